//! Incident events: everything that happens during an incident, as written
//! to the incident log. The log is the source of truth; the incident's state
//! is rebuilt from these by [`super::state::Incident::replay`].
//!
//! Events are serialized as JSON objects tagged by `kind` (snake_case). New
//! variants may be added; existing ones never change meaning.

use crate::runbook::Severity;
use crate::status::health::Health;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use super::alert::AlertRef;

/// One record of the incident log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// 1, 2, 3, … without gaps.
    pub seq: u64,
    /// Wall-clock time the event happened.
    pub at: Timestamp,
    /// A stable, globally unique id (random, given when the event is
    /// written; records written before ids existed get
    /// `<incident id>-<seq>` when read).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// Who caused it: the responder of the session that wrote it (status
    /// changes seen by a responder's poller are theirs). Named `by`: some
    /// kinds have a `responder` field of their own.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub by: String,
    /// Written here from the shared timeline (another responder's event,
    /// fetched through `sync`), not by a session of this log.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub merged: bool,
    /// For a merged record: its sequence number in the log of the responder
    /// who wrote it (this log numbers it anew in `seq`). Keeps each
    /// responder's events in their own order on every replica.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub origin_seq: u64,
    #[serde(flatten)]
    /// What happened (flattened into the record: `"kind": "step_entered"` and its fields).
    pub kind: EventKind,
}

impl Event {
    /// An event not written yet: no id or responder until the log writer
    /// gives them.
    pub fn new(seq: u64, at: Timestamp, kind: EventKind) -> Event {
        Event {
            seq,
            at,
            id: String::new(),
            by: String::new(),
            merged: false,
            origin_seq: 0,
            kind,
        }
    }

    /// Its sequence number in the log of the responder who wrote it.
    pub fn origin(&self) -> u64 {
        if self.merged && self.origin_seq > 0 {
            self.origin_seq
        } else {
            self.seq
        }
    }

    /// The responder a session-opening event names (`incident_started`,
    /// `session_resumed`): who the events after it are by.
    pub fn session_responder(&self) -> Option<&str> {
        match &self.kind {
            EventKind::IncidentStarted { responder, .. }
            | EventKind::SessionResumed { responder } => Some(responder),
            _ => None,
        }
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The roles a responder can hold, as the log spells them.
pub const ROLES: [&str; 3] = ["commander", "scribe", "comms"];

/// Open, mitigated, resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    #[default]
    /// Being worked on.
    Open,
    /// The impact is stopped; the responder is verifying or cleaning up.
    Mitigated,
    /// Over: resolved with a summary.
    Resolved,
}

impl Phase {
    /// The phase as the log and the screen spell it (`open`, `mitigated`, `resolved`).
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Open => "open",
            Phase::Mitigated => "mitigated",
            Phase::Resolved => "resolved",
        }
    }
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    /// Always the first event.
    IncidentStarted {
        /// The incident's id (`YYYYMMDD-HHMMSS-<runbook id>`), also its log's file name.
        incident_id: String,
        /// The id of the runbook it runs.
        runbook_id: String,
        /// The runbook's title when it started.
        runbook_title: String,
        /// The content hash (BLAKE3) of the runbook file the incident started with.
        runbook_hash: String,
        /// Where the runbook file was.
        runbook_path: String,
        /// The values given for the runbook's variables.
        variables: BTreeMap<String, String>,
        /// The severity it started with.
        severity: Severity,
        /// Who started it.
        responder: String,
        #[serde(default)]
        /// A game-day rehearsal, not a real incident.
        rehearsal: bool,
        /// The game-day scenario, for rehearsals.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scenario: Option<String>,
        #[serde(default)]
        /// Started with `--dry-run`: no command is executed.
        dry_run: bool,
        #[serde(default)]
        /// The Mayday version that wrote the log.
        mayday_version: String,
        /// The alert it was started from, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        alert: Option<Box<AlertRef>>,
    },
    /// The incident was reopened in a new session (after quitting or a crash).
    SessionResumed {
        /// Who resumed it.
        responder: String,
    },
    /// The responder quit with the incident still open.
    SessionEnded,
    /// The responder moved to a step (it becomes the current step).
    StepEntered {
        /// The step's id.
        step: String,
        /// The step's title.
        title: String,
    },
    /// A step was marked done.
    StepDone {
        /// The step's id.
        step: String,
    },
    /// A step was skipped, with the reason.
    StepSkipped {
        /// The step's id.
        step: String,
        /// Why it was skipped, as the responder wrote it.
        reason: String,
    },
    /// A checklist item was ticked or unticked.
    ChecklistToggled {
        /// The step's id.
        step: String,
        /// The item's index in the step's checklist.
        item: usize,
        /// The item's text as shown (variables substituted).
        text: String,
        /// Ticked (true) or unticked.
        checked: bool,
    },
    /// A decision was taken: the choice, and the step it leads to.
    DecisionTaken {
        /// The step's id.
        step: String,
        /// The decision's index in the step.
        decision: usize,
        /// The choice's index (0-based; the key pressed was one more).
        choice: usize,
        /// The choice's label as shown.
        label: String,
        /// The id of the step the choice leads to.
        goto: String,
    },
    /// A wait began (`**Wait:** 5m for the pool to drain`).
    WaitStarted {
        /// The step's id.
        step: String,
        /// The wait's index in the step.
        index: usize,
        /// How long it lasts.
        seconds: u64,
        /// What it waits for.
        reason: String,
    },
    /// A wait ran out (or was cancelled).
    WaitFinished {
        /// The step's id.
        step: String,
        /// The wait's index in the step.
        index: usize,
        #[serde(default)]
        /// Ended before its time.
        cancelled: bool,
    },
    /// A note from the responder (or from `mayday note`).
    Note {
        /// The note, as written (may span lines).
        text: String,
        /// Posted as the periodic stakeholder status update.
        #[serde(default)]
        status_update: bool,
    },
    /// The severity changed.
    SeverityChanged {
        /// The severity before.
        from: Severity,
        /// The severity after.
        to: Severity,
    },
    /// The impact is stopped (`m`).
    Mitigated,
    /// `m` pressed by mistake (or too soon): the incident is open again.
    MitigationRetracted,
    /// A variable given (or changed) after the start: asked for when a
    /// command that needs it was about to run with it blank.
    VariableSet {
        /// The variable's name.
        name: String,
        /// Its value.
        value: String,
    },
    /// The incident is over.
    Resolved {
        /// One line: what happened and what fixed it.
        summary: String,
    },
    /// A resolved incident was opened again.
    Reopened,
    /// A status source changed state (logged automatically).
    StatusChanged {
        /// The source's name in the config.
        source: String,
        /// The state the log had for it before (unknown for the first reading).
        from: Health,
        /// The state it is in now.
        to: Health,
        /// The source's one-line summary (sanitized).
        summary: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        /// Why it could not be read, when that is why it changed.
        error: Option<String>,
    },
    /// A step's verify condition held for its duration.
    VerifyMet {
        /// The step's id.
        step: String,
        /// The condition's index in the step.
        index: usize,
        /// The source it watches.
        source: String,
        /// The state it was in.
        state: Health,
        /// For how long it had been in it, in seconds (the condition's `for`).
        for_secs: u64,
    },
    /// `r` on a command: it was expanded and is waiting for its confirmation.
    CommandRequested {
        /// The step's id.
        step: String,
        /// The command's index in the step.
        index: usize,
        /// The fully expanded command text.
        text: String,
    },
    /// The responder confirmed the command (y, or the typed phrase).
    CommandConfirmed {
        /// The step's id.
        step: String,
        /// The command's index in the step.
        index: usize,
    },
    /// The responder declined the command.
    CommandDeclined {
        /// The step's id.
        step: String,
        /// The command's index in the step.
        index: usize,
    },
    /// The command's process started (or its dry run began).
    CommandStarted {
        /// The step's id.
        step: String,
        /// The command's index in the step.
        index: usize,
        /// The command as it runs (values quoted).
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        /// The process id (the process group leader); none for a dry run.
        pid: Option<u32>,
        /// The directory it runs in.
        cwd: String,
        /// Its timeout, in seconds.
        timeout_secs: u64,
        #[serde(default)]
        /// A dry run: nothing was executed.
        dry_run: bool,
        /// The shell and options it ran with (`bash -e -o pipefail`), and
        /// what that cannot see when the shell has no `pipefail`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        shell: Option<String>,
    },
    /// The command ended: how, how long it took, and its output's tail.
    CommandFinished {
        /// The step's id.
        step: String,
        /// The command's index in the step.
        index: usize,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        /// Its exit code, when it exited.
        exit_code: Option<i32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        /// The signal that killed it, when one did.
        signal: Option<i32>,
        /// How long it ran, in milliseconds.
        duration_ms: u64,
        #[serde(default)]
        /// It ran past its timeout and was stopped.
        timed_out: bool,
        #[serde(default)]
        /// The responder cancelled it.
        cancelled: bool,
        #[serde(default)]
        /// A dry run: nothing was executed.
        dry_run: bool,
        /// The last lines of output, secrets redacted, escapes removed.
        #[serde(default)]
        output_tail: Vec<String>,
        #[serde(default)]
        /// More output came than the tail keeps.
        output_truncated: bool,
        /// Whether the block succeeded: its exit code is one the runbook
        /// declares as success (`ok_exit`, default 0). Absent in logs
        /// written before it existed (then: exit 0).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ok: Option<bool>,
        /// The line of the block (1-based) whose command failed, and its
        /// text, when the shell could tell.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        failed_line: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        /// The text of the failed line, trimmed.
        failed_command: Option<String>,
        /// The responder quit while it ran: it was stopped, not finished.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        abandoned_at_quit: bool,
    },
    /// The runbook file changed and the responder switched to the new version.
    RunbookSwitched {
        /// The content hash of the version it ran until now.
        from_hash: String,
        /// The content hash of the version it runs from now.
        to_hash: String,
    },
    /// A game-day surprise was injected.
    Injected {
        /// What the script says happened.
        description: String,
    },
    /// The game-day score card, written when a rehearsal is resolved.
    ScoreCard {
        /// The scenario's id.
        scenario: String,
        #[serde(default)]
        /// The lines of the card.
        lines: Vec<ScoreLine>,
    },
    /// The alert the incident was started from changed: it stopped firing
    /// (`resolved`), was silenced or inhibited (`silenced`), or fires again
    /// (`firing`). Logged by itself, apart from its source's overall state.
    AlertChanged {
        /// The alert's name.
        alert: String,
        /// The source it is seen in.
        source: String,
        /// `firing`, `resolved`, `silenced`, `inhibited`, or `unsilenced`
        /// (firing again after a silence ended).
        status: String,
        /// The silence, when it was silenced: who, why, until when.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        silence: Option<crate::status::Silence>,
    },
    /// A write to a status source or pager the responder asked for
    /// (silence the alert, acknowledge the page…), and what came of it.
    SourceCalled {
        /// The source (by its config name).
        source: String,
        /// `silence`, `expire_silence`, `acknowledge`, `resolve_page`, `page_note`.
        call: String,
        /// What it was about: the alert, the silence id, the page id.
        target: String,
        /// The request's details (the silence's end and comment, the note).
        #[serde(default, skip_serializing_if = "String::is_empty")]
        request: String,
        /// When what it made ends (a silence's `endsAt`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<Timestamp>,
        /// The source accepted it.
        ok: bool,
        /// What the source said: the new silence's id, or why it failed.
        result: String,
    },
    /// A role was given to a responder: taken, assigned or handed off. Who
    /// did it is the event's `by`.
    RoleAssigned {
        /// `commander` (incident commander), `scribe` or `comms`.
        role: String,
        /// Who holds it now.
        responder: String,
        /// Who held it before, if anyone.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<String>,
    },
    /// What a step's live query showed (entering the step, or a snapshot
    /// the responder took).
    Evidence(Box<super::evidence::Evidence>),
    /// The log was recovered after a crash: the torn tail was set aside.
    LogRecovered {
        /// How many bytes of a half-written record were cut off.
        torn_bytes: u64,
        /// Where they were copied to.
        saved_as: String,
    },
}

/// One line of a game-day score card.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreLine {
    /// What is measured (`time to mitigate`).
    pub label: String,
    /// What the rehearsal achieved.
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// The scenario's target, if it sets one.
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// Whether the target was met (none without a target).
    pub met: Option<bool>,
}

impl EventKind {
    /// The `kind` tag.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::IncidentStarted { .. } => "incident_started",
            EventKind::SessionResumed { .. } => "session_resumed",
            EventKind::SessionEnded => "session_ended",
            EventKind::StepEntered { .. } => "step_entered",
            EventKind::StepDone { .. } => "step_done",
            EventKind::StepSkipped { .. } => "step_skipped",
            EventKind::ChecklistToggled { .. } => "checklist_toggled",
            EventKind::DecisionTaken { .. } => "decision_taken",
            EventKind::WaitStarted { .. } => "wait_started",
            EventKind::WaitFinished { .. } => "wait_finished",
            EventKind::Note { .. } => "note",
            EventKind::SeverityChanged { .. } => "severity_changed",
            EventKind::Mitigated => "mitigated",
            EventKind::MitigationRetracted => "mitigation_retracted",
            EventKind::VariableSet { .. } => "variable_set",
            EventKind::Resolved { .. } => "resolved",
            EventKind::Reopened => "reopened",
            EventKind::StatusChanged { .. } => "status_changed",
            EventKind::VerifyMet { .. } => "verify_met",
            EventKind::CommandRequested { .. } => "command_requested",
            EventKind::CommandConfirmed { .. } => "command_confirmed",
            EventKind::CommandDeclined { .. } => "command_declined",
            EventKind::CommandStarted { .. } => "command_started",
            EventKind::CommandFinished { .. } => "command_finished",
            EventKind::RunbookSwitched { .. } => "runbook_switched",
            EventKind::Injected { .. } => "injected",
            EventKind::ScoreCard { .. } => "score_card",
            EventKind::AlertChanged { .. } => "alert_changed",
            EventKind::SourceCalled { .. } => "source_called",
            EventKind::RoleAssigned { .. } => "role_assigned",
            EventKind::Evidence(_) => "evidence",
            EventKind::LogRecovered { .. } => "log_recovered",
        }
    }

    /// Which filter group the event belongs to (review screen filters).
    pub fn group(&self) -> Group {
        match self {
            EventKind::Note { .. } => Group::Notes,
            EventKind::StepEntered { .. }
            | EventKind::StepDone { .. }
            | EventKind::StepSkipped { .. }
            | EventKind::ChecklistToggled { .. }
            | EventKind::WaitStarted { .. }
            | EventKind::WaitFinished { .. } => Group::Steps,
            EventKind::CommandRequested { .. }
            | EventKind::CommandConfirmed { .. }
            | EventKind::CommandDeclined { .. }
            | EventKind::CommandStarted { .. }
            | EventKind::CommandFinished { .. } => Group::Commands,
            EventKind::StatusChanged { .. }
            | EventKind::VerifyMet { .. }
            | EventKind::AlertChanged { .. }
            | EventKind::SourceCalled { .. }
            | EventKind::Evidence(_) => Group::Status,
            EventKind::DecisionTaken { .. } => Group::Decisions,
            _ => Group::Incident,
        }
    }
}

/// Filter groups for the review timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Group {
    /// Started, mitigated, resolved, severity, sessions.
    Incident,
    /// Notes and status updates.
    Notes,
    /// Steps, checklists, waits.
    Steps,
    /// Commands.
    Commands,
    /// Status changes and verify conditions.
    Status,
    /// Decisions.
    Decisions,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_serialize_flat_with_a_kind_tag() {
        let e = Event {
            seq: 3,
            at: "2026-11-23T03:04:05Z".parse().unwrap(),
            id: String::new(),
            by: String::new(),
            merged: false,
            origin_seq: 0,
            kind: EventKind::StepSkipped {
                step: "failover".into(),
                reason: "replica is down too".into(),
            },
        };
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(
            json,
            r#"{"seq":3,"at":"2026-11-23T03:04:05Z","kind":"step_skipped","step":"failover","reason":"replica is down too"}"#
        );
        let back: Event = serde_json::from_str(&json).unwrap();
        assert_eq!(back, e);
        let unit = serde_json::to_string(&EventKind::Mitigated).unwrap();
        assert_eq!(unit, r#"{"kind":"mitigated"}"#);
    }
}
