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

/// One record of the incident log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// 1, 2, 3, … without gaps.
    pub seq: u64,
    /// Wall-clock time the event happened.
    pub at: Timestamp,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// Open, mitigated, resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    #[default]
    Open,
    Mitigated,
    Resolved,
}

impl Phase {
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
        incident_id: String,
        runbook_id: String,
        runbook_title: String,
        /// The content hash (BLAKE3) of the runbook file the incident started with.
        runbook_hash: String,
        runbook_path: String,
        variables: BTreeMap<String, String>,
        severity: Severity,
        responder: String,
        #[serde(default)]
        rehearsal: bool,
        /// The game-day scenario, for rehearsals.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scenario: Option<String>,
        #[serde(default)]
        dry_run: bool,
        #[serde(default)]
        mayday_version: String,
    },
    /// The incident was reopened in a new session (after quitting or a crash).
    SessionResumed {
        responder: String,
    },
    /// The responder quit with the incident still open.
    SessionEnded,
    StepEntered {
        step: String,
        title: String,
    },
    StepDone {
        step: String,
    },
    StepSkipped {
        step: String,
        reason: String,
    },
    ChecklistToggled {
        step: String,
        item: usize,
        text: String,
        checked: bool,
    },
    DecisionTaken {
        step: String,
        decision: usize,
        choice: usize,
        label: String,
        goto: String,
    },
    WaitStarted {
        step: String,
        index: usize,
        seconds: u64,
        reason: String,
    },
    WaitFinished {
        step: String,
        index: usize,
        #[serde(default)]
        cancelled: bool,
    },
    Note {
        text: String,
        /// Posted as the periodic stakeholder status update.
        #[serde(default)]
        status_update: bool,
    },
    SeverityChanged {
        from: Severity,
        to: Severity,
    },
    Mitigated,
    /// `m` pressed by mistake (or too soon): the incident is open again.
    MitigationRetracted,
    /// A variable given (or changed) after the start: asked for when a
    /// command that needs it was about to run with it blank.
    VariableSet {
        name: String,
        value: String,
    },
    Resolved {
        summary: String,
    },
    Reopened,
    /// A status source changed state (logged automatically).
    StatusChanged {
        source: String,
        from: Health,
        to: Health,
        summary: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// A step's verify condition held for its duration.
    VerifyMet {
        step: String,
        index: usize,
        source: String,
        state: Health,
        for_secs: u64,
    },
    CommandRequested {
        step: String,
        index: usize,
        /// The fully expanded command text.
        text: String,
    },
    CommandConfirmed {
        step: String,
        index: usize,
    },
    CommandDeclined {
        step: String,
        index: usize,
    },
    CommandStarted {
        step: String,
        index: usize,
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pid: Option<u32>,
        cwd: String,
        timeout_secs: u64,
        #[serde(default)]
        dry_run: bool,
        /// The shell and options it ran with (`bash -e -o pipefail`), and
        /// what that cannot see when the shell has no `pipefail`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        shell: Option<String>,
    },
    CommandFinished {
        step: String,
        index: usize,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        exit_code: Option<i32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signal: Option<i32>,
        duration_ms: u64,
        #[serde(default)]
        timed_out: bool,
        #[serde(default)]
        cancelled: bool,
        #[serde(default)]
        dry_run: bool,
        /// The last lines of output, secrets redacted, escapes removed.
        #[serde(default)]
        output_tail: Vec<String>,
        #[serde(default)]
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
        failed_command: Option<String>,
        /// The responder quit while it ran: it was stopped, not finished.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        abandoned_at_quit: bool,
    },
    /// The runbook file changed and the responder switched to the new version.
    RunbookSwitched {
        from_hash: String,
        to_hash: String,
    },
    /// A game-day surprise was injected.
    Injected {
        description: String,
    },
    /// The game-day score card, written when a rehearsal is resolved.
    ScoreCard {
        scenario: String,
        #[serde(default)]
        lines: Vec<ScoreLine>,
    },
    /// The log was recovered after a crash: the torn tail was set aside.
    LogRecovered {
        torn_bytes: u64,
        saved_as: String,
    },
}

/// One line of a game-day score card.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreLine {
    pub label: String,
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
            EventKind::StatusChanged { .. } | EventKind::VerifyMet { .. } => Group::Status,
            EventKind::DecisionTaken { .. } => Group::Decisions,
            _ => Group::Incident,
        }
    }

    /// One line describing the event, for the log pane and timelines.
    /// Contains untrusted text: sanitize before drawing.
    pub fn describe(&self) -> String {
        match self {
            EventKind::IncidentStarted {
                runbook_title,
                severity,
                responder,
                rehearsal,
                ..
            } => format!(
                "{}incident started: {runbook_title} ({}, {severity}) by {responder}",
                if *rehearsal { "rehearsal " } else { "" },
                severity.sev()
            ),
            EventKind::SessionResumed { responder } => format!("session resumed by {responder}"),
            EventKind::SessionEnded => "session ended (incident still open)".into(),
            EventKind::StepEntered { title, .. } => format!("step: {title}"),
            EventKind::StepDone { step } => format!("step done: {step}"),
            EventKind::StepSkipped { step, reason } => format!("step skipped: {step} — {reason}"),
            EventKind::ChecklistToggled { text, checked, .. } => {
                format!("{} {text}", if *checked { "[x]" } else { "[ ]" })
            }
            EventKind::DecisionTaken { label, goto, .. } => format!("decision: {label} → {goto}"),
            EventKind::WaitStarted {
                seconds, reason, ..
            } => format!(
                "wait {}{}",
                crate::util::duration::format(std::time::Duration::from_secs(*seconds)),
                if reason.is_empty() {
                    String::new()
                } else {
                    format!(": {reason}")
                }
            ),
            EventKind::WaitFinished { cancelled, .. } => {
                if *cancelled {
                    "wait cancelled".into()
                } else {
                    "wait over".into()
                }
            }
            EventKind::Note {
                text,
                status_update,
            } => {
                if *status_update {
                    format!("status update: {text}")
                } else {
                    format!("note: {text}")
                }
            }
            EventKind::SeverityChanged { from, to } => format!("severity {from} → {to}"),
            EventKind::Mitigated => "marked mitigated".into(),
            EventKind::MitigationRetracted => "mitigated taken back: open again".into(),
            EventKind::VariableSet { name, value } => format!("variable {name} = {value}"),
            EventKind::Resolved { summary } => format!("resolved: {summary}"),
            EventKind::Reopened => "reopened".into(),
            EventKind::StatusChanged {
                source,
                from,
                to,
                summary,
                ..
            } => format!(
                "{source}: {from} → {to}{}",
                if summary.is_empty() {
                    String::new()
                } else {
                    format!(" ({summary})")
                }
            ),
            EventKind::VerifyMet {
                source,
                state,
                for_secs,
                ..
            } => format!(
                "verified: {source} is {state}{}",
                if *for_secs > 0 {
                    format!(
                        " for {}",
                        crate::util::duration::format(std::time::Duration::from_secs(*for_secs))
                    )
                } else {
                    String::new()
                }
            ),
            EventKind::CommandRequested { text, .. } => {
                format!("command requested: {}", first_line(text))
            }
            EventKind::CommandConfirmed { .. } => "command confirmed".into(),
            EventKind::CommandDeclined { .. } => "command declined".into(),
            EventKind::CommandStarted { text, dry_run, .. } => format!(
                "{}: {}",
                if *dry_run {
                    "dry run (not executed)"
                } else {
                    "command started"
                },
                first_line(text)
            ),
            EventKind::CommandFinished {
                exit_code,
                signal,
                timed_out,
                cancelled,
                dry_run,
                duration_ms,
                ok,
                failed_line,
                abandoned_at_quit,
                ..
            } => {
                let how = if *dry_run {
                    "dry run, nothing executed".to_owned()
                } else if *abandoned_at_quit {
                    "abandoned at quit (stopped)".to_owned()
                } else if *timed_out {
                    "timed out".to_owned()
                } else if *cancelled {
                    "cancelled".to_owned()
                } else if let Some(code) = exit_code {
                    match (ok, failed_line) {
                        (Some(true), _) if *code != 0 => format!("exit {code} (declared ok)"),
                        (Some(false) | None, Some(line)) => {
                            format!("exit {code}, failed at line {line}")
                        }
                        _ => format!("exit {code}"),
                    }
                } else if let Some(sig) = signal {
                    format!("killed by signal {sig}")
                } else {
                    "finished".to_owned()
                };
                format!(
                    "command finished: {how} after {}",
                    crate::util::duration::format(std::time::Duration::from_millis(*duration_ms))
                )
            }
            EventKind::RunbookSwitched { to_hash, .. } => {
                format!(
                    "switched to the changed runbook ({})",
                    &to_hash[..to_hash.len().min(12)]
                )
            }
            EventKind::Injected { description } => format!("game day: {description}"),
            EventKind::ScoreCard { .. } => "score card".into(),
            EventKind::LogRecovered {
                torn_bytes,
                saved_as,
            } => {
                format!(
                    "log recovered after a crash: {torn_bytes} torn byte(s) saved as {saved_as}"
                )
            }
        }
    }
}

fn first_line(s: &str) -> String {
    let mut lines = s.lines();
    let first = lines.next().unwrap_or("");
    if lines.next().is_some() {
        format!("{first} …")
    } else {
        first.to_owned()
    }
}

/// Filter groups for the review timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Group {
    Incident,
    Notes,
    Steps,
    Commands,
    Status,
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
