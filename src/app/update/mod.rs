//! `update(&mut State, Action) -> Vec<Effect>`: every state change, and no
//! I/O. The router: keys go to the overlay or screen on show
//! (`keys.rs`), poll results and ticks to the board and the open incident
//! (`status.rs`), game days are driven by `rehearsal.rs`, and the
//! background's reports (saved, failed, reloaded…) are handled here.
//!
//! Events for the incident log are applied to the state at once (and
//! shown as "saving…") and handed to the runtime as `Effect::Append`; the
//! writer's acknowledgement (`Action::Saved`) marks them saved.

/// Lend a screen the shared parts of the state (everything but the
/// screens' own state) as a [`Cx`](crate::app::context::Cx).
macro_rules! cx {
    ($state:ident, $fx:expr) => {
        $crate::app::context::Cx {
            now: $state.now,
            size: $state.size,
            keymap: &$state.keymap,
            settings: &$state.settings,
            library: &$state.library,
            trust: &$state.trust,
            incidents: &$state.incidents,
            past: &$state.past,
            shared: &$state.shared,
            gamedays: &$state.gamedays,
            gameday_only: $state.gameday_only,
            status: &mut $state.status,
            overlay: &mut $state.overlay,
            notices: &mut $state.notices,
            fx: $fx,
            requests: Vec::new(),
        }
    };
}

mod keys;
mod rehearsal;
mod status;

pub use keys::{open_start, quit_now, start_gameday};

use crate::app::action::{Action, Effect, Notice, NoticeLevel};
use crate::app::context::Screen;
use crate::app::screens::{incident, review};
use crate::app::session::{Session, emit, log_source_state};
use crate::app::state::State;
use crate::incident::{EventKind, Phase};
use crate::ui::keymap::Cmd;
use crossterm::event::KeyEventKind;

/// Apply one action.
pub fn update(state: &mut State, action: Action) -> Vec<Effect> {
    let mut fx = Vec::new();
    let notices_before = state.notices.len();
    dispatch(state, action, &mut fx);
    // The step on screen keeps its live queries asked (and only it).
    let on_screen = state.screen == Screen::Incident && state.review.is_none();
    if let Some(s) = state.session.as_mut() {
        incident::queries::refresh(s, &state.settings, state.now, on_screen, &mut fx);
    }
    // The same message twice is once.
    let mut i = notices_before.min(state.notices.len());
    while i < state.notices.len() {
        if state.notices[..i].contains(&state.notices[i]) {
            state.notices.remove(i);
        } else {
            i += 1;
        }
    }
    if state.notices.len() > notices_before {
        state.notice_since = state.now;
        // Keep the banner area small: the newest few.
        let excess = state.notices.len().saturating_sub(3);
        state.notices.drain(..excess);
    }
    fx
}

/// How many resolved incidents the picker offers for review.
pub const PAST_IN_PICKER: usize = 5;

fn dispatch(state: &mut State, action: Action, fx: &mut Vec<Effect>) {
    let fx = &mut *fx;
    match action {
        Action::Key { key, at } => {
            state.now = at;
            if key.kind != KeyEventKind::Release {
                keys::on_key(state, key, fx);
            }
        }
        Action::Paste { text, at } => {
            state.now = at;
            keys::on_paste(state, &text);
        }
        Action::Tick(at) => {
            state.now = at;
            fire_due(state, fx);
            status::on_tick(state, fx);
        }
        Action::Wake(at) => {
            state.now = at;
            fire_due(state, fx);
        }
        Action::Followed(events) => {
            if state.review.is_none()
                && let Some(s) = state.session.as_mut()
                && s.read_only.is_some()
            {
                for e in events {
                    if e.seq > s.incident.last_seq {
                        s.incident.apply(&e);
                        s.saved_seq = e.seq;
                        s.events.push(e);
                        if s.log_scroll > 0 {
                            s.log_scroll += 1;
                            s.log_unseen += 1;
                        }
                    }
                }
            }
        }
        Action::RemoteNote { text, ticket, at } => {
            state.now = at;
            let text = text.replace("\r\n", "\n").replace('\r', "\n");
            match state.session.as_mut() {
                Some(s) if s.read_only.is_none() && !s.is_resolved() && !text.trim().is_empty() => {
                    emit(
                        s,
                        EventKind::Note {
                            text: text.trim_end().to_owned(),
                            status_update: false,
                        },
                        at,
                        fx,
                    );
                    fx.push(Effect::NoteAccepted {
                        ticket,
                        seq: s.incident.last_seq,
                    });
                    state.notices.push(Notice::info(format!(
                        "note from another terminal: {}",
                        text.lines().next().unwrap_or("")
                    )));
                }
                Some(s) if s.is_resolved() => fx.push(Effect::NoteRefused {
                    ticket,
                    why: "the incident is resolved".into(),
                }),
                Some(_) if text.trim().is_empty() => fx.push(Effect::NoteRefused {
                    ticket,
                    why: "the note is empty".into(),
                }),
                _ => fx.push(Effect::NoteRefused {
                    ticket,
                    why: "the incident is not open for writing in this session".into(),
                }),
            }
        }
        Action::Resize { width, height } => state.size = (width, height),
        Action::Incidents(list) => {
            state.freshness = crate::incident::freshness::tally(
                list.iter()
                    .map(|i| (i.runbook_id.as_str(), i.started_at, i.rehearsal)),
            );
            let (past, open): (Vec<_>, Vec<_>) =
                list.into_iter().partition(|i| i.state == Phase::Resolved);
            state.incidents = open;
            // The newest few resolved incidents, for review.
            let mut past = past;
            past.sort_by_key(|i| std::cmp::Reverse(i.started_at));
            past.truncate(PAST_IN_PICKER);
            state.past = past;
            state.refilter();
        }
        Action::IncidentOpened(opened) => {
            for n in &opened.notices {
                state.notices.push(n.clone());
            }
            match Session::new(&opened) {
                Some(mut session) => {
                    let now = state.now;
                    if opened.resumed {
                        let who = state
                            .settings
                            .preset
                            .responder
                            .clone()
                            .unwrap_or_else(|| state.settings.default_responder.clone());
                        emit(
                            &mut session,
                            EventKind::SessionResumed { responder: who },
                            now,
                            fx,
                        );
                    }
                    if session.incident.current_step.is_none()
                        && session.incident.is_open()
                        && let Some(first) = session.runbook.steps.first()
                    {
                        let kind = EventKind::StepEntered {
                            step: first.id.clone(),
                            title: first.title.clone(),
                        };
                        emit(&mut session, kind, now, fx);
                    }
                    session.list_selected = session.current_index();
                    rehearsal::start(state, &session);
                    // Sources already polled: their state goes into the
                    // timeline now, not at their next change. One not polled
                    // yet says nothing (a resume must not log a flap to
                    // "unknown" and back).
                    if !opened.resumed {
                        incident::calls::on_started(&session, &state.settings, fx);
                    }
                    if session.incident.is_open() {
                        let polled = state
                            .status
                            .sources
                            .iter()
                            .filter(|v| !v.snapshot.is_pending());
                        for v in polled {
                            log_source_state(&mut session, &v.snapshot, now, fx);
                        }
                    }
                    state.session = Some(session);
                    state.screen = Screen::Incident;
                    state.start = None;
                }
                None => {
                    state.notices.push(Notice::error("the incident log does not start with `incident_started`; it cannot be opened"));
                    state.screen = Screen::Picker;
                }
            }
        }
        Action::IncidentFailed(e) => {
            state.notices.push(Notice::error(e));
            if let Some(f) = state.start.as_mut() {
                f.starting = false;
            }
            if state.session.is_none() {
                state.screen = if state.start.is_some() {
                    Screen::Start
                } else {
                    Screen::Picker
                };
            }
        }
        Action::Saved(event) => {
            if let (Some(s), EventKind::Note { text, .. }) = (state.session.as_ref(), &event.kind) {
                incident::calls::on_note_saved(s, &state.settings, text, fx);
            }
            if let Some(s) = state.session.as_mut() {
                s.saved_seq = s.saved_seq.max(event.seq);
                if let Some(mine) = s.events.iter_mut().rev().find(|e| e.seq == event.seq)
                    && *mine != *event
                {
                    *mine = *event;
                }
                // The writer caught up (space was freed): the banner goes.
                if s.all_saved() && s.save_error.take().is_some() {
                    state.notices.retain(|n| {
                        n.level != NoticeLevel::Error
                            || !n.text.starts_with("the incident log could not be saved")
                    });
                    state.notices.push(Notice::info(
                        "the incident log is saved again: every event is on disk",
                    ));
                }
            }
        }
        Action::Rescued(r) => {
            let now_unsaved = state.session.as_ref().map_or(0, |s| s.unsaved());
            match r.result {
                Ok(path) => {
                    let path = path.display().to_string();
                    if let Some(s) = state.session.as_mut() {
                        s.rescued = Some((r.through_seq, path.clone()));
                    }
                    state.notices.push(Notice::warning(format!(
                        "{} unsaved event(s) written with the whole log to {path}",
                        r.unsaved.max(now_unsaved as usize)
                    )));
                }
                Err(e) => state.notices.push(Notice::error(format!(
                    "no rescue copy could be written either: {e}. Stay, and free some disk space."
                ))),
            }
        }
        Action::SaveFailed { error } => {
            // The writer retries by itself every few seconds: say it once.
            let first = state
                .session
                .as_mut()
                .is_some_and(|s| s.save_error.replace(error.clone()).is_none());
            if first {
                state.notices.push(Notice::error(format!(
                "the incident log could not be saved: {error}. Unsaved events are kept in memory; do not quit until this is resolved."
                )));
            }
        }
        Action::Notice(n) => state.notices.push(n),
        Action::Sync { incident, update } => {
            if let Some(s) = state.session.as_mut()
                && state.review.is_none()
                && s.incident.id == incident
            {
                incident::shared::on_update(s, *update, fx);
            }
        }
        Action::Joined(Ok(id)) => fx.push(Effect::ResumeIncident(id)),
        Action::Joined(Err(why)) => state.notices.push(Notice::error(why)),
        Action::QueryAnswered(a) => {
            if let Some(s) = state.session.as_mut() {
                incident::queries::answered(s, *a, state.now, fx);
            }
        }
        Action::SharedIncidents(list) => {
            let here = |id: &str| {
                state
                    .incidents
                    .iter()
                    .chain(&state.past)
                    .any(|i| i.id == id)
            };
            state.shared = list
                .into_iter()
                .filter(|h| h.state != Phase::Resolved && !here(&h.id))
                .collect();
            state.refilter();
        }
        Action::Called(c) => {
            let mut cx = cx!(state, fx);
            match state.session.as_mut() {
                Some(s) => incident::calls::on_called(s, &mut cx, *c),
                // The incident was left before the answer came: say it at least.
                None => cx.notices.push(match &c.reply {
                    Ok(said) => Notice::info(format!("{} via {}: {said}", c.call.name(), c.source)),
                    Err(why) => {
                        Notice::error(format!("{} via {} failed: {why}", c.call.name(), c.source))
                    }
                }),
            }
        }
        Action::Status(u) => status::on_status(state, *u, fx),
        Action::Exec(e) => {
            let mut cx = cx!(state, fx);
            if let Some(s) = state.session.as_mut() {
                incident::run::on_exec(s, &mut cx, *e);
            }
        }
        Action::LibraryReloaded(lib, report) => {
            state.library = lib;
            for d in &report.failed {
                state.notices.push(Notice::warning(format!(
                    "{}:{}: {} [{}] — keeping the last good version",
                    d.path,
                    d.line,
                    d.message.lines().next().unwrap_or(""),
                    d.code
                )));
            }
            let mut parts = Vec::new();
            for (what, ids) in [
                ("added", &report.added),
                ("changed", &report.changed),
                ("removed", &report.removed),
            ] {
                if !ids.is_empty() {
                    parts.push(format!("{what}: {}", ids.join(", ")));
                }
            }
            if !parts.is_empty() {
                state.notices.push(Notice::info(format!(
                    "runbooks reloaded — {}",
                    parts.join("; ")
                )));
            }
            if let Some(s) = state.session.as_mut() {
                let newer = state
                    .library
                    .get(&s.runbook.id)
                    .filter(|rb| rb.hash != s.runbook.hash && !rb.hash.is_empty())
                    .cloned();
                if newer.is_some() {
                    state.notices.push(Notice::warning(format!(
                        "the runbook file changed; the incident keeps the version it started with — press {} to switch to the new one",
                        state.keymap.hint(Cmd::SwitchRunbook)
                    )));
                }
                s.runbook_update = newer;
            }
            state.refilter();
        }
        Action::Trusted(result) => match result {
            Ok((path, hash)) => {
                state.trust.record(std::path::Path::new(&path), &hash);
                state.notices.clear();
                if let Some(s) = state.session.as_mut() {
                    s.trusted = state.trust.is_trusted(&s.runbook);
                }
                state.notices.push(Notice::info(
                    "trusted: this file's runnable commands can run until it changes",
                ));
            }
            Err(e) => state
                .notices
                .push(Notice::error(format!("could not trust the runbook: {e}"))),
        },
        Action::ReviewOpened(r) => {
            let from_picker = !state.review_only;
            let r = *r;
            match review::Review::new(r.id, r.runbook, r.events, r.problem, from_picker) {
                Some(review) => {
                    if let Some(p) = &review.problem {
                        state.notices.push(Notice::warning(format!(
                            "the incident log has a problem ({p}); showing what can be read"
                        )));
                    }
                    state.review = Some(Box::new(review));
                    state.screen = Screen::Review;
                }
                None => state.notices.push(Notice::error(
                    "the incident log does not start with `incident_started`; it cannot be reviewed",
                )),
            }
        }
        Action::DraftWritten(result) => match result {
            Ok(path) => state
                .notices
                .push(Notice::info(format!("postmortem draft written to {path}"))),
            Err(e) => state.notices.push(Notice::error(format!(
                "could not write the postmortem draft: {e}"
            ))),
        },
    }
    rehearsal::drive(state, fx);
    if let Some(r) = state.review.as_mut()
        && let Some(rp) = r.replay.as_mut()
        && rp.playing
    {
        rp.advance(&r.events, state.now);
        let cursor = rp.cursor;
        if let Some(s) = state.session.as_mut()
            && s.events.len() != cursor
        {
            review::seek_review(r, s, cursor);
        }
    }
}

/// A held-back key whose time has come acts now (the typing guard).
fn fire_due(state: &mut State, fx: &mut Vec<Effect>) {
    let Some((key, at)) = incident::typing::due(&mut state.typing, state.now) else {
        return;
    };
    if state.overlay.is_none() && state.screen == Screen::Incident {
        act(state, key, at, fx);
    }
}

/// The app is closing: a key pressed just before acts now (the
/// responder pressed it; a signal must not eat it).
pub fn flush_typing(state: &mut State, fx: &mut Vec<Effect>) {
    if let Some((key, at)) = state.typing.deferred.take()
        && state.overlay.is_none()
        && state.screen == Screen::Incident
    {
        act(state, key, at, fx);
    }
}

fn act(
    state: &mut State,
    key: crossterm::event::KeyEvent,
    at: jiff::Timestamp,
    fx: &mut Vec<Effect>,
) {
    let requests = {
        let mut cx = cx!(state, fx);
        if let Some(s) = state.session.as_mut() {
            incident::typing::act(s, &mut cx, key, at);
        }
        cx.requests
    };
    keys::apply(state, requests, fx);
}
