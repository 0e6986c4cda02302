//! The open incident as the screens see it: the runbook version it runs,
//! the state replayed from its log, every event (saved or not), the
//! command running, and where the responder is looking. The incident
//! screen drives it; replay shows one rebuilt from a past log.

use crate::app::action::{Effect, Opened};
use crate::incident::{Event, EventKind, Incident, Phase};
use crate::runbook::Runbook;
use jiff::Timestamp;
use std::sync::Arc;
use std::time::Duration;

/// The incident screen's panes, in Tab order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    /// The step list.
    Steps,
    /// The step pane (the current step's content).
    Content,
    /// The incident log.
    Log,
    /// The status panel.
    Status,
}

impl Pane {
    /// Tab order.
    pub const ORDER: [Pane; 4] = [Pane::Content, Pane::Steps, Pane::Log, Pane::Status];
}

/// The command that is running (or ran last) in this session.
#[derive(Clone, Debug)]
pub struct RunView {
    /// The step's id.
    pub step: String,
    /// The command's index in the step.
    pub index: usize,
    /// The command as it runs.
    pub text: String,
    /// When it was confirmed.
    pub started_at: Timestamp,
    /// Its process id, once started.
    pub pid: Option<u32>,
    /// A dry run.
    pub dry_run: bool,
    /// Output lines (SGR colour sequences kept), the tail.
    pub output: std::collections::VecDeque<String>,
    /// The line being written.
    pub partial: String,
    /// How it ended, once it has.
    pub finished: Option<crate::exec::Finished>,
    /// Its timeout.
    pub timeout: std::time::Duration,
    /// How it runs (`bash -e -o pipefail`), once started.
    pub shell: Option<String>,
}

/// How many output lines the pane keeps.
pub const OUTPUT_LINES: usize = 2000;

/// An open incident.
#[derive(Clone, Debug)]
pub struct Session {
    /// The runbook version the incident started with.
    pub runbook: Arc<Runbook>,
    /// The incident as replayed from the log (plus events not yet saved).
    pub incident: Incident,
    /// Every event, in order. Events after `saved_seq` are not on disk yet.
    pub events: Vec<Event>,
    /// The highest sequence number the writer has synced to disk.
    pub saved_seq: u64,
    /// The log could not be written: shown as a banner until resolved.
    pub save_error: Option<String>,
    /// The rescue copy written for unsaved events: the last sequence number
    /// it holds, and its path.
    pub rescued: Option<(u64, String)>,
    /// Why the log is read-only (corruption), if it is.
    pub read_only: Option<String>,
    /// The runbook file is trusted (its commands may run).
    pub trusted: bool,
    /// The pane with the focus.
    pub focus: Pane,
    /// The step highlighted in the step list.
    pub list_selected: usize,
    /// The selected checklist item or command in the current step
    /// (index into [`Session::selectables`]).
    pub item_selected: usize,
    /// Lines the step pane is scrolled down.
    pub content_scroll: u16,
    /// Log lines scrolled up from the bottom (0 = follow the newest).
    pub log_scroll: usize,
    /// Events that arrived while the log was scrolled up (shown as "↓ N
    /// new"; the view stays where the responder put it).
    pub log_unseen: usize,
    /// The due time of the status update the bell already rang for.
    pub update_belled_for: Option<Timestamp>,
    /// The command running or last run.
    pub run: Option<RunView>,
    /// Text the next note starts with (after a failed command).
    pub note_template: Option<String>,
    /// How sharing stands (none: the incident is not shared).
    pub sync: Option<SyncView>,
    /// The current step's live query blocks.
    pub queries: crate::app::evidence::QueryBoard,
    /// The runbook file changed since the incident started: the new version,
    /// offered with a banner (the incident keeps the old one until the
    /// responder switches).
    pub runbook_update: Option<Arc<Runbook>>,
}

impl Session {
    /// The session of an opened incident (`None` if its log does not start with
    /// `incident_started`).
    pub fn new(o: &Opened) -> Option<Session> {
        let events = crate::incident::timeline::order(o.events.clone());
        let incident = Incident::replay(&events)?;
        let saved_seq = incident.last_seq;
        let mut s = Session {
            runbook: o.runbook.clone(),
            incident,
            events,
            saved_seq,
            save_error: None,
            rescued: None,
            read_only: o.read_only.clone(),
            trusted: o.trusted,
            focus: Pane::Content,
            list_selected: 0,
            item_selected: 0,
            content_scroll: 0,
            log_scroll: 0,
            log_unseen: 0,
            update_belled_for: None,
            run: None,
            note_template: None,
            queries: Default::default(),
            runbook_update: None,
            sync: None,
        };
        s.list_selected = s.current_index();
        Some(s)
    }

    /// The index of the current step in the runbook (0 when none yet).
    pub fn current_index(&self) -> usize {
        self.incident
            .current_step
            .as_deref()
            .and_then(|id| self.runbook.step_index(id))
            .unwrap_or(0)
    }

    /// The checklist items and commands of the current step, in the order
    /// they appear.
    pub fn selectables(&self) -> Vec<Selectable> {
        let Some(step) = self.runbook.steps.get(self.current_index()) else {
            return Vec::new();
        };
        let mut v: Vec<(u32, Selectable)> = step
            .checklist
            .iter()
            .enumerate()
            .map(|(i, c)| (c.pos.line, Selectable::Checklist(i)))
            .chain(
                step.commands
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (c.pos.line, Selectable::Command(i))),
            )
            .collect();
        v.sort_by_key(|(line, s)| (*line, matches!(s, Selectable::Command(_))));
        v.into_iter().map(|(_, s)| s).collect()
    }

    /// The selected checklist item or command of the current step.
    pub fn selected_item(&self) -> Option<Selectable> {
        self.selectables().get(self.item_selected).copied()
    }

    /// Has every event been synced to disk?
    pub fn all_saved(&self) -> bool {
        self.saved_seq >= self.incident.last_seq
    }

    /// How many events are not on disk yet.
    pub fn unsaved(&self) -> u64 {
        self.incident.last_seq.saturating_sub(self.saved_seq)
    }

    /// The rescue copy, if it holds every event there is.
    pub fn rescue_current(&self) -> Option<&str> {
        self.rescued
            .as_ref()
            .filter(|(through, _)| *through >= self.incident.last_seq)
            .map(|(_, p)| p.as_str())
    }

    /// When the next stakeholder status update is due.
    pub fn update_due(&self, every: Duration) -> Timestamp {
        let secs = i64::try_from(every.as_secs()).unwrap_or(i64::MAX / 2);
        self.incident
            .last_status_update
            .checked_add(jiff::SignedDuration::from_secs(secs))
            .unwrap_or(self.incident.last_status_update)
    }

    /// Where each responder of a shared incident is: `alice · step 4, bob
    /// · step 6` (none with fewer than two).
    pub fn positions(&self) -> Option<String> {
        if self.incident.positions.len() < 2 {
            return None;
        }
        let parts: Vec<String> = self
            .incident
            .positions
            .iter()
            .map(|(who, step)| match self.runbook.step_index(step) {
                Some(i) => format!("{who} · step {}", i + 1),
                None => format!("{who} · {step}"),
            })
            .collect();
        Some(crate::util::sanitize::line(&parts.join(", ")).into_owned())
    }

    /// Is the incident resolved?
    pub fn is_resolved(&self) -> bool {
        self.incident.phase == Phase::Resolved
    }
}

/// How the open incident's sharing stands, as the sync task last said.
#[derive(Clone, Debug, PartialEq)]
pub struct SyncView {
    /// The link to the sync server.
    pub link: crate::sync::live::Link,
    /// Own events waiting for the server.
    pub queued: usize,
    /// Own events up to this `seq` were acknowledged: shared.
    pub shared_through: u64,
}

impl SyncView {
    /// Is this event on the shared timeline (acknowledged, or fetched from it)?
    pub fn is_shared(&self, e: &Event) -> bool {
        e.merged || e.seq <= self.shared_through
    }
}

/// Something the content pane can select.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Selectable {
    /// The k-th checklist item.
    Checklist(usize),
    /// The k-th command.
    Command(usize),
}

/// Record an event: applied to the state now, written by the runtime.
pub fn emit(session: &mut Session, kind: EventKind, at: Timestamp, fx: &mut Vec<Effect>) -> bool {
    if session.read_only.is_some() {
        return false;
    }
    // The log keeps milliseconds.
    let at = at.round(jiff::Unit::Millisecond).unwrap_or(at);
    let event = Event::new(session.incident.last_seq + 1, at, kind.clone());
    session.incident.apply(&event);
    session.events.push(event);
    // Scrolled up: keep the same lines on screen and count what is new.
    if session.log_scroll > 0 {
        session.log_scroll += 1;
        session.log_unseen += 1;
    }
    fx.push(Effect::Append(kind, at));
    true
}

/// A command still running when the responder quits is stopped, and the
/// log says so: `command_finished` with `abandoned_at_quit`, so resume,
/// review and the postmortem never show it as still running or as done.
pub fn abandon_running(s: &mut Session, now: Timestamp, fx: &mut Vec<Effect>) {
    let Some(run) = s.run.as_ref() else { return };
    if run.finished.is_some() || run.dry_run {
        return;
    }
    let mut tail: Vec<String> = run
        .output
        .iter()
        .chain((!run.partial.is_empty()).then_some(&run.partial))
        .map(|l| crate::util::sanitize::strip_sgr(l))
        .collect();
    let truncated = tail.len() > crate::exec::LOG_TAIL_LINES;
    tail.drain(..tail.len().saturating_sub(crate::exec::LOG_TAIL_LINES));
    let kind = EventKind::CommandFinished {
        step: run.step.clone(),
        index: run.index,
        exit_code: None,
        signal: Some(15),
        duration_ms: u64::try_from(now.duration_since(run.started_at).as_millis()).unwrap_or(0),
        timed_out: false,
        cancelled: true,
        dry_run: false,
        output_tail: tail,
        output_truncated: truncated,
        ok: Some(false),
        failed_line: None,
        failed_command: None,
        abandoned_at_quit: true,
    };
    s.run = None;
    fx.push(Effect::CancelCommand);
    emit(s, kind, now, fx);
}

/// Log a source's state if it differs from the last state the log has for
/// it (the timeline writes itself; the same state twice is logged once).
pub fn log_source_state(
    s: &mut Session,
    snap: &crate::status::Snapshot,
    at: Timestamp,
    fx: &mut Vec<Effect>,
) {
    let logged = s
        .incident
        .sources
        .get(&snap.name)
        .copied()
        .unwrap_or_default();
    if logged != snap.state {
        let kind = EventKind::StatusChanged {
            source: snap.name.clone(),
            from: logged,
            to: snap.state,
            summary: snap.summary.clone(),
            error: snap.error.clone(),
        };
        emit(s, kind, at, fx);
    }
}

/// What a snapshot says of the incident's alert: `firing`, `silenced`
/// (with the silence, when the source knows it), `inhibited` or
/// `resolved`.
pub fn alert_status_in(
    snap: &crate::status::Snapshot,
    a: &crate::incident::AlertRef,
) -> (&'static str, Option<crate::status::Silence>) {
    let same = |f: &&crate::status::FiringAlert| {
        f.alertname == a.name
            && match (&f.fingerprint, &a.fingerprint) {
                (Some(x), Some(y)) => x == y,
                _ => a.labels.iter().all(|(k, v)| f.labels.get(k) == Some(v)),
            }
    };
    if snap.alerts.iter().any(|f| same(&f)) {
        return ("firing", None);
    }
    if let Some(held) = snap.suppressed.iter().find(same) {
        if held.silenced_by.is_empty() {
            return ("inhibited", None);
        }
        let silence = snap
            .silences
            .iter()
            .find(|s| held.silenced_by.contains(&s.id))
            .cloned()
            .or_else(|| {
                held.silenced_by.first().map(|id| crate::status::Silence {
                    id: id.clone(),
                    ..crate::status::Silence::default()
                })
            });
        return ("silenced", silence);
    }
    // A snapshot made without the suppressed list (a game day's script):
    // its items say so.
    if snap.items.iter().any(|i| {
        i.name == a.name && (i.detail.starts_with("silenced") || i.detail.starts_with("inhibited"))
    }) {
        ("silenced", None)
    } else {
        ("resolved", None)
    }
}

/// Log a change of the incident's own alert (it resolved, was silenced —
/// by whom, until when, why —, fires again), apart from its source's
/// overall state. A poll that failed, or a source not polled yet, says
/// nothing about it.
pub fn log_alert_state(
    s: &mut Session,
    snap: &crate::status::Snapshot,
    at: Timestamp,
    fx: &mut Vec<Effect>,
) {
    let Some(a) = s.incident.alert.as_ref() else {
        return;
    };
    if a.source != snap.name || snap.error.is_some() || snap.is_pending() {
        return;
    }
    let (now, silence) = alert_status_in(snap, a);
    let last = s
        .incident
        .alert_status
        .as_ref()
        .map_or("firing", |(st, _)| st.as_str());
    let last = if last == "unsilenced" { "firing" } else { last };
    if now == last {
        return;
    }
    let status = match (last, now) {
        ("silenced" | "inhibited", "firing") => "unsilenced",
        _ => now,
    };
    let kind = EventKind::AlertChanged {
        alert: a.name.clone(),
        source: a.source.clone(),
        status: status.to_owned(),
        silence,
    };
    emit(s, kind, at, fx);
}
