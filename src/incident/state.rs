//! The incident as rebuilt from its log. Everything the incident screen
//! shows about progress comes from here, so what is on screen after a
//! resume is exactly what was saved.

use super::event::{Event, EventKind, Phase, ScoreLine};
use crate::runbook::Severity;
use crate::status::health::Health;
use jiff::Timestamp;
use std::collections::{BTreeMap, HashMap};

/// Where a step stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum StepStatus {
    #[default]
    /// Not entered yet.
    Pending,
    /// The step the responder is on.
    Current,
    /// Marked done (or left by a decision).
    Done,
    /// Skipped, with a reason.
    Skipped,
}

/// What the log says about one step (by step id).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepProgress {
    /// Where the step stands.
    pub status: StepStatus,
    /// Checklist items ticked (index → ticked).
    pub checked: BTreeMap<usize, bool>,
    /// Per decision index: the choice taken (the last in the timeline).
    pub decisions: BTreeMap<usize, usize>,
    /// Per decision index: every choice taken, by whom, in the timeline's
    /// order (two responders deciding differently are both kept).
    pub choices: BTreeMap<usize, Vec<(String, usize)>>,
    /// Per wait index: (started, seconds, finished).
    pub waits: BTreeMap<usize, WaitProgress>,
    /// Per verify condition index: when it was met.
    pub verified: BTreeMap<usize, Timestamp>,
    /// Why it was skipped.
    pub skip_reason: Option<String>,
    /// Time spent with this step current, in seconds (closed intervals).
    pub seconds: i64,
    /// First time the step was entered.
    pub first_entered: Option<Timestamp>,
    /// When it was last entered (while current).
    pub entered_at: Option<Timestamp>,
    /// When it was marked done or skipped.
    pub finished_at: Option<Timestamp>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
/// A wait of a step, as the log has it.
pub struct WaitProgress {
    /// When it started.
    pub started: Timestamp,
    /// How long it lasts.
    pub seconds: u64,
    /// It ran out or was cancelled.
    pub finished: bool,
}

/// One command run (or dry run) as the log recorded it.
#[derive(Clone, Debug, PartialEq)]
pub struct CommandRecord {
    /// The step's id.
    pub step: String,
    /// The command's index in the step.
    pub index: usize,
    /// The command as it ran (values quoted).
    pub text: String,
    /// When `r` was pressed.
    pub requested_at: Timestamp,
    /// Confirmed (true), declined (false), or not answered yet.
    pub confirmed: Option<bool>,
    /// When its process started.
    pub started_at: Option<Timestamp>,
    /// Its process id.
    pub pid: Option<u32>,
    /// A dry run: nothing was executed.
    pub dry_run: bool,
    /// How it ended, once it has.
    pub finished: Option<CommandResult>,
}

#[derive(Clone, Debug, PartialEq)]
/// How a command ended.
pub struct CommandResult {
    /// When it ended.
    pub at: Timestamp,
    /// Its exit code, when it exited.
    pub exit_code: Option<i32>,
    /// The signal that killed it, when one did.
    pub signal: Option<i32>,
    /// How long it ran, in milliseconds.
    pub duration_ms: u64,
    /// It ran past its timeout and was stopped.
    pub timed_out: bool,
    /// The responder cancelled it.
    pub cancelled: bool,
    /// The last lines of its output (redacted, sanitized).
    pub output_tail: Vec<String>,
    /// The exit code is one the runbook declares as success (else: 0).
    pub ok: Option<bool>,
    /// The line of the block (1-based) that failed, when the shell could tell.
    pub failed_line: Option<u32>,
    /// The responder quit while it ran.
    pub abandoned_at_quit: bool,
}

impl CommandResult {
    /// Did it succeed (an exit code the runbook counts as success, not cancelled, not timed
    /// out)?
    pub fn succeeded(&self) -> bool {
        !self.timed_out
            && !self.cancelled
            && !self.abandoned_at_quit
            && self.ok.unwrap_or(self.exit_code == Some(0))
    }
}

/// The incident, replayed.
#[derive(Clone, Debug, PartialEq)]
pub struct Incident {
    /// The incident's id.
    pub id: String,
    /// The id of the runbook it runs.
    pub runbook_id: String,
    /// The runbook's title.
    pub runbook_title: String,
    /// The content hash of the runbook version it runs (changes with `runbook_switched`).
    pub runbook_hash: String,
    /// Where the runbook file was.
    pub runbook_path: String,
    /// The variables' values (set at the start, or later with `variable_set`).
    pub variables: BTreeMap<String, String>,
    /// The current severity.
    pub severity: Severity,
    /// Everyone who started or resumed a session, in order.
    pub responders: Vec<String>,
    /// A game-day rehearsal.
    pub rehearsal: bool,
    /// The rehearsal's scenario id.
    pub scenario: Option<String>,
    /// Started with `--dry-run`.
    pub dry_run: bool,
    /// The alert it was started from, if any.
    pub alert: Option<crate::incident::AlertRef>,
    /// What the log last said of that alert (`resolved`, `silenced`,
    /// `firing`) and when; none while it fires as it did at the start.
    pub alert_status: Option<(String, Timestamp)>,
    /// The silence this incident made for its alert and has not expired:
    /// (source, silence id, until).
    pub silence: Option<(String, String, Option<Timestamp>)>,
    /// What became of the page the incident was started from
    /// (`acknowledged`, `resolved`), as the pager confirmed it.
    pub page_status: Option<String>,
    /// When it started.
    pub started_at: Timestamp,
    /// Open, mitigated or resolved.
    pub phase: Phase,
    /// When it was (last) mitigated.
    pub mitigated_at: Option<Timestamp>,
    /// When it was resolved.
    pub resolved_at: Option<Timestamp>,
    /// The resolve summary.
    pub summary: Option<String>,
    /// The id of the current step.
    pub current_step: Option<String>,
    /// Each step's progress, by step id.
    pub steps: HashMap<String, StepProgress>,
    /// The order steps were first entered in.
    pub step_order: Vec<String>,
    /// The notes: sequence number, time, text.
    pub notes: Vec<(u64, Timestamp, String)>,
    /// When the last stakeholder update was posted (the start, before any).
    pub last_status_update: Timestamp,
    /// Last state the log recorded for each status source.
    pub sources: BTreeMap<String, Health>,
    /// Every command requested, in order.
    pub commands: Vec<CommandRecord>,
    /// The game-day score card (scenario id, lines), once resolved.
    pub score_card: Option<(String, Vec<ScoreLine>)>,
    /// Number of events applied, and the last sequence number.
    pub events: usize,
    /// The sequence number of the last event applied.
    pub last_seq: u64,
    /// The time of the last event applied.
    pub last_at: Timestamp,
    /// The responder of this log's latest own session (not a merged one).
    pub session_responder: String,
    /// Where each responder is: the step they last entered.
    pub positions: BTreeMap<String, String>,
    /// Who holds each role (`commander`, `scribe`, `comms`).
    pub roles: BTreeMap<String, String>,
    /// Every role change: when, the role, from whom, to whom, by whom.
    pub handoffs: Vec<Handoff>,
    /// When each responder joined (their first event) and left (their
    /// session ended; cleared when they come back), in order of joining.
    pub presence: Vec<Presence>,
}

/// A role given or handed off.
#[derive(Clone, Debug, PartialEq)]
pub struct Handoff {
    /// When.
    pub at: Timestamp,
    /// The role.
    pub role: String,
    /// Who held it before.
    pub from: Option<String>,
    /// Who holds it now.
    pub to: String,
    /// Who made the change.
    pub by: String,
}

/// A responder's time on the incident.
#[derive(Clone, Debug, PartialEq)]
pub struct Presence {
    /// The responder.
    pub responder: String,
    /// Their first event.
    pub joined: Timestamp,
    /// When their (last) session ended, unless they are still on it.
    pub left: Option<Timestamp>,
}

impl Incident {
    /// Start from the first event, which must be `incident_started`.
    pub fn from_start(first: &Event) -> Option<Incident> {
        let EventKind::IncidentStarted {
            incident_id,
            runbook_id,
            runbook_title,
            runbook_hash,
            runbook_path,
            variables,
            severity,
            responder,
            rehearsal,
            scenario,
            dry_run,
            alert,
            ..
        } = &first.kind
        else {
            return None;
        };
        Some(Incident {
            id: incident_id.clone(),
            runbook_id: runbook_id.clone(),
            runbook_title: runbook_title.clone(),
            runbook_hash: runbook_hash.clone(),
            runbook_path: runbook_path.clone(),
            variables: variables.clone(),
            severity: *severity,
            responders: vec![responder.clone()],
            rehearsal: *rehearsal,
            scenario: scenario.clone(),
            dry_run: *dry_run,
            alert: alert.as_deref().cloned(),
            alert_status: None,
            silence: None,
            page_status: None,
            started_at: first.at,
            phase: Phase::Open,
            mitigated_at: None,
            resolved_at: None,
            summary: None,
            current_step: None,
            steps: HashMap::new(),
            step_order: Vec::new(),
            notes: Vec::new(),
            last_status_update: first.at,
            sources: BTreeMap::new(),
            commands: Vec::new(),
            score_card: None,
            events: 1,
            last_seq: first.seq,
            last_at: first.at,
            session_responder: responder.clone(),
            positions: BTreeMap::new(),
            roles: BTreeMap::new(),
            handoffs: Vec::new(),
            presence: vec![Presence {
                responder: responder.clone(),
                joined: first.at,
                left: None,
            }],
        })
    }

    /// Rebuild an incident from its events. `None` when the first event is
    /// not `incident_started`.
    pub fn replay<'a>(events: impl IntoIterator<Item = &'a Event>) -> Option<Incident> {
        let mut it = events.into_iter();
        let mut inc = Incident::from_start(it.next()?)?;
        for e in it {
            inc.apply(e);
        }
        Some(inc)
    }

    fn step_mut(&mut self, id: &str) -> &mut StepProgress {
        if !self.steps.contains_key(id) {
            self.step_order.push(id.to_owned());
        }
        self.steps.entry(id.to_owned()).or_default()
    }

    /// Leave the current step (closing its time interval).
    fn leave_current(&mut self, at: Timestamp) {
        if let Some(cur) = self.current_step.take()
            && let Some(p) = self.steps.get_mut(&cur)
        {
            if let Some(entered) = p.entered_at.take() {
                p.seconds += (at - entered).as_secs().max(0);
            }
            if p.status == StepStatus::Current {
                p.status = StepStatus::Pending;
            }
        }
    }

    /// Apply one event. Unknown or out-of-place events are ignored, never
    /// fatal: the log is the record, whatever it contains.
    pub fn apply(&mut self, e: &Event) {
        self.events += 1;
        // The highest, not the last: the merged timeline is not in `seq` order.
        self.last_seq = self.last_seq.max(e.seq);
        self.last_at = e.at;
        let by = if e.by.is_empty() {
            self.responder().to_owned()
        } else {
            e.by.clone()
        };
        self.track_presence(&by, e);
        match &e.kind {
            EventKind::IncidentStarted { .. }
            | EventKind::LogRecovered { .. }
            | EventKind::Evidence(_) => {}
            EventKind::SessionResumed { responder } if !e.merged => {
                self.session_responder.clone_from(responder);
            }
            EventKind::SessionResumed { .. } => {}
            EventKind::SessionEnded => {}
            EventKind::StepEntered { step, .. } if e.merged => {
                // Another responder moved: where they are is shown, but
                // this responder's own step stays where it is.
                self.positions.insert(by, step.clone());
                self.step_mut(step).first_entered.get_or_insert(e.at);
            }
            EventKind::StepEntered { step, .. } => {
                self.positions.insert(by, step.clone());
                self.leave_current(e.at);
                let p = self.step_mut(step);
                p.first_entered.get_or_insert(e.at);
                p.entered_at = Some(e.at);
                if !matches!(p.status, StepStatus::Done | StepStatus::Skipped) {
                    p.status = StepStatus::Current;
                }
                self.current_step = Some(step.clone());
            }
            EventKind::StepDone { step } | EventKind::StepSkipped { step, .. } => {
                let skipped = matches!(e.kind, EventKind::StepSkipped { .. });
                let reason = match &e.kind {
                    EventKind::StepSkipped { reason, .. } => Some(reason.clone()),
                    _ => None,
                };
                let at = e.at;
                let p = self.step_mut(step);
                // The step's clock stops now; it stays the current step
                // until another one is entered.
                if let Some(entered) = p.entered_at.take() {
                    p.seconds += (at - entered).as_secs().max(0);
                }
                p.status = if skipped {
                    StepStatus::Skipped
                } else {
                    StepStatus::Done
                };
                p.skip_reason = reason;
                p.finished_at = Some(at);
            }
            EventKind::ChecklistToggled {
                step,
                item,
                checked,
                ..
            } => {
                self.step_mut(step).checked.insert(*item, *checked);
            }
            EventKind::DecisionTaken {
                step,
                decision,
                choice,
                ..
            } => {
                let p = self.step_mut(step);
                p.decisions.insert(*decision, *choice);
                p.choices.entry(*decision).or_default().push((by, *choice));
            }
            EventKind::RoleAssigned {
                role, responder, ..
            } => {
                let from = self.roles.insert(role.clone(), responder.clone());
                self.handoffs.push(Handoff {
                    at: e.at,
                    role: role.clone(),
                    from,
                    to: responder.clone(),
                    by,
                });
            }
            EventKind::WaitStarted {
                step,
                index,
                seconds,
                ..
            } => {
                let at = e.at;
                self.step_mut(step).waits.insert(
                    *index,
                    WaitProgress {
                        started: at,
                        seconds: *seconds,
                        finished: false,
                    },
                );
            }
            EventKind::WaitFinished { step, index, .. } => {
                if let Some(w) = self.step_mut(step).waits.get_mut(index) {
                    w.finished = true;
                }
            }
            EventKind::Note {
                text,
                status_update,
            } => {
                self.notes.push((e.seq, e.at, text.clone()));
                if *status_update {
                    self.last_status_update = e.at;
                }
            }
            EventKind::SeverityChanged { to, .. } => self.severity = *to,
            EventKind::Mitigated => {
                if self.phase == Phase::Open {
                    self.phase = Phase::Mitigated;
                    self.mitigated_at = Some(e.at);
                }
            }
            EventKind::VariableSet { name, value } => {
                self.variables.insert(name.clone(), value.clone());
            }
            EventKind::MitigationRetracted => {
                if self.phase == Phase::Mitigated {
                    self.phase = Phase::Open;
                    self.mitigated_at = None;
                }
            }
            EventKind::Resolved { summary } => {
                self.leave_current(e.at);
                self.phase = Phase::Resolved;
                self.resolved_at = Some(e.at);
                self.mitigated_at.get_or_insert(e.at);
                self.summary = Some(summary.clone());
            }
            EventKind::Reopened => {
                self.phase = if self.mitigated_at.is_some() {
                    Phase::Mitigated
                } else {
                    Phase::Open
                };
                self.resolved_at = None;
            }
            EventKind::StatusChanged { source, to, .. } => {
                self.sources.insert(source.clone(), *to);
            }
            EventKind::AlertChanged { status, .. } => {
                self.alert_status = Some((status.clone(), e.at));
            }
            EventKind::SourceCalled {
                source,
                call,
                until,
                ok: true,
                result,
                ..
            } => match call.as_str() {
                "silence" => self.silence = Some((source.clone(), result.clone(), *until)),
                "expire_silence" => self.silence = None,
                "acknowledge" if self.page_status.is_none() => {
                    self.page_status = Some("acknowledged".into());
                }
                "resolve_page" => self.page_status = Some("resolved".into()),
                _ => {}
            },
            EventKind::SourceCalled { ok: false, .. } => {}
            EventKind::VerifyMet { step, index, .. } => {
                let at = e.at;
                self.step_mut(step).verified.entry(*index).or_insert(at);
            }
            EventKind::CommandRequested { step, index, text } => {
                self.commands.push(CommandRecord {
                    step: step.clone(),
                    index: *index,
                    text: text.clone(),
                    requested_at: e.at,
                    confirmed: None,
                    started_at: None,
                    pid: None,
                    dry_run: false,
                    finished: None,
                })
            }
            EventKind::CommandConfirmed { step, index }
            | EventKind::CommandDeclined { step, index } => {
                let ok = matches!(e.kind, EventKind::CommandConfirmed { .. });
                if let Some(c) = self.open_command(step, *index) {
                    c.confirmed = Some(ok);
                }
            }
            EventKind::CommandStarted {
                step,
                index,
                text,
                pid,
                dry_run,
                ..
            } => {
                let at = e.at;
                match self.open_command(step, *index) {
                    Some(c) => {
                        c.started_at = Some(at);
                        c.pid = *pid;
                        c.dry_run = *dry_run;
                        c.text.clone_from(text);
                    }
                    None => self.commands.push(CommandRecord {
                        step: step.clone(),
                        index: *index,
                        text: text.clone(),
                        requested_at: at,
                        confirmed: Some(true),
                        started_at: Some(at),
                        pid: *pid,
                        dry_run: *dry_run,
                        finished: None,
                    }),
                }
            }
            EventKind::CommandFinished {
                step,
                index,
                exit_code,
                signal,
                duration_ms,
                timed_out,
                cancelled,
                output_tail,
                ok,
                failed_line,
                abandoned_at_quit,
                ..
            } => {
                let at = e.at;
                if let Some(c) = self.open_command(step, *index) {
                    c.finished = Some(CommandResult {
                        at,
                        exit_code: *exit_code,
                        signal: *signal,
                        duration_ms: *duration_ms,
                        timed_out: *timed_out,
                        cancelled: *cancelled,
                        output_tail: output_tail.clone(),
                        ok: *ok,
                        failed_line: *failed_line,
                        abandoned_at_quit: *abandoned_at_quit,
                    });
                }
            }
            EventKind::RunbookSwitched { to_hash, .. } => self.runbook_hash.clone_from(to_hash),
            EventKind::Injected { .. } => {}
            EventKind::ScoreCard { scenario, lines } => {
                self.score_card = Some((scenario.clone(), lines.clone()));
            }
        }
    }

    /// Keep who is on the incident: a responder's first event is when they
    /// joined; ending their session is when they left.
    fn track_presence(&mut self, by: &str, e: &Event) {
        if let EventKind::SessionResumed { responder } = &e.kind
            && !self.responders.contains(responder)
        {
            self.responders.push(responder.clone());
        }
        match self.presence.iter_mut().find(|p| p.responder == by) {
            Some(p) => {
                p.left = match e.kind {
                    EventKind::SessionEnded | EventKind::Resolved { .. } => Some(e.at),
                    _ => None,
                }
            }
            None if !by.is_empty() => {
                if !self.responders.iter().any(|r| r == by) {
                    self.responders.push(by.to_owned());
                }
                self.presence.push(Presence {
                    responder: by.to_owned(),
                    joined: e.at,
                    left: None,
                });
            }
            None => {}
        }
    }

    /// The incident commander, if someone took the role.
    pub fn commander(&self) -> Option<&str> {
        self.roles.get("commander").map(String::as_str)
    }

    /// The newest command for (step, index) that has not finished.
    fn open_command(&mut self, step: &str, index: usize) -> Option<&mut CommandRecord> {
        self.commands
            .iter_mut()
            .rev()
            .find(|c| c.step == step && c.index == index && c.finished.is_none())
    }

    /// What the log says about a step, if it has been entered.
    pub fn progress(&self, step: &str) -> Option<&StepProgress> {
        self.steps.get(step)
    }

    /// Where a step stands (pending when never entered).
    pub fn status(&self, step: &str) -> StepStatus {
        match self.steps.get(step) {
            Some(p) => p.status,
            None => StepStatus::Pending,
        }
    }

    /// Is the incident still open (not resolved)?
    pub fn is_open(&self) -> bool {
        self.phase != Phase::Resolved
    }

    /// The responder of this log's latest own session (others' merged
    /// sessions do not change it).
    pub fn responder(&self) -> &str {
        &self.session_responder
    }
}
