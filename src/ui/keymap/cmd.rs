//! What a key does ([`Cmd`]) and where a binding applies ([`Ctx`]).

/// What a key does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cmd {
    Help,
    Quit,
    Filter,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Select,
    Back,
    FocusNext,
    FocusPrev,
    NextStep,
    PrevStep,
    Toggle,
    Done,
    Skip,
    Choose(u8),
    Note,
    StatusUpdate,
    Mitigate,
    Resolve,
    StartWait,
    Run,
    Copy,
    Cancel,
    Trust,
    PollNow,
    SwitchRunbook,
    Review,
    /// Picker: close the selected abandoned rehearsal.
    CloseRehearsal,
    /// Review: show/hide a group of events (0 shows all).
    ReviewFilter(u8),
    /// Review: replay from the selected event.
    Replay,
    /// Review: write the postmortem draft next to the log.
    ExportDraft,
    NextEvent,
    PrevEvent,
    JumpForward,
    JumpBack,
    PlayPause,
    Faster,
    Slower,
}

impl Cmd {
    /// Does this command change the incident (or open a dialog that does)?
    /// The typing guard holds these back; a read-only session refuses them.
    pub fn changes_incident(self) -> bool {
        matches!(
            self,
            Cmd::Run
                | Cmd::Skip
                | Cmd::Choose(_)
                | Cmd::Mitigate
                | Cmd::Resolve
                | Cmd::Trust
                | Cmd::Done
                | Cmd::Toggle
                | Cmd::SwitchRunbook
                | Cmd::StartWait
                | Cmd::NextStep
                | Cmd::PrevStep
        )
    }
}

/// Where a binding applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ctx {
    /// Everywhere (unless text is being typed).
    Global,
    /// Lists: the picker, the step list, the log, the status panel.
    Lists,
    Picker,
    Incident,
    /// The review screen (`mayday review`).
    Review,
    /// Replaying a past incident.
    Replay,
}

impl Ctx {
    pub(super) fn title(self) -> &'static str {
        match self {
            Ctx::Global => "Everywhere",
            Ctx::Lists => "Lists",
            Ctx::Picker => "Runbook picker",
            Ctx::Incident => "Incident",
            Ctx::Review => "Review",
            Ctx::Replay => "Replay",
        }
    }
}
