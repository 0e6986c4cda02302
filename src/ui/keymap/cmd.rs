//! What a key does ([`Cmd`]) and where a binding applies ([`Ctx`]).

/// What a key does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cmd {
    /// Show the keys.
    Help,
    /// Quit (an open incident stays open).
    Quit,
    /// Type to filter the list.
    Filter,
    /// Move up.
    Up,
    /// Move down.
    Down,
    /// A page up.
    PageUp,
    /// A page down.
    PageDown,
    /// To the top.
    Top,
    /// To the bottom.
    Bottom,
    /// Open or act on the selected row.
    Select,
    /// Back, or close.
    Back,
    /// The next pane.
    FocusNext,
    /// The previous pane.
    FocusPrev,
    /// Enter the next step.
    NextStep,
    /// Enter the previous step.
    PrevStep,
    /// Tick the selected (or first unticked) checklist item.
    Toggle,
    /// Mark the current step done and go to the next.
    Done,
    /// Skip the current step, with a reason.
    Skip,
    /// Take choice N of the current decision.
    Choose(u8),
    /// Write a note.
    Note,
    /// Post a stakeholder status update.
    StatusUpdate,
    /// Mark the incident mitigated (again: take it back).
    Mitigate,
    /// Resolve the incident, with a summary.
    Resolve,
    /// Start the current step's next wait.
    StartWait,
    /// Run the selected (or first runnable) command.
    Run,
    /// Copy the selected command (OSC 52).
    Copy,
    /// Cancel the running command.
    Cancel,
    /// Trust this runbook file.
    Trust,
    /// Poll status sources now.
    PollNow,
    /// Silence the incident's alert in Alertmanager.
    Silence,
    /// Acknowledge the page the incident was started from.
    Acknowledge,
    /// Take or give a role (incident commander, scribe, comms).
    Role,
    /// Attach a fresh snapshot of the step's live queries to the timeline.
    Evidence,
    /// Switch to the changed runbook file.
    SwitchRunbook,
    /// Review the selected incident.
    Review,
    /// Picker: close the selected abandoned rehearsal.
    CloseRehearsal,
    /// Review: show/hide a group of events (0 shows all).
    ReviewFilter(u8),
    /// Review: replay from the selected event.
    Replay,
    /// Review: write the postmortem draft next to the log.
    ExportDraft,
    /// Replay: the next event.
    NextEvent,
    /// Replay: the previous event.
    PrevEvent,
    /// Replay: a minute forward.
    JumpForward,
    /// Replay: a minute back.
    JumpBack,
    /// Replay: play or pause.
    PlayPause,
    /// Replay: faster (×1, ×10, ×60).
    Faster,
    /// Replay: slower.
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
                | Cmd::Silence
                | Cmd::Acknowledge
                | Cmd::Role
                | Cmd::Evidence
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
    /// The picker.
    Picker,
    /// The incident screen.
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
