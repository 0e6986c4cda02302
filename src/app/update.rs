//! `update(&mut State, Action) -> Vec<Effect>`: every state change, and no
//! I/O. Events for the incident log are applied to the state at once (and
//! shown as "saving…") and handed to the runtime as `Effect::Append`; the
//! writer's acknowledgement (`Action::Saved`) marks them saved.

use super::action::{Action, Effect, Notice, NoticeLevel, StartRequest};
use super::input::{Outcome, TextInput};
use super::state::*;
use crate::incident::{Event, EventKind, Phase};
use crate::runbook::{Runbook, Severity};
use crate::ui::keymap::{Cmd, Ctx};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use jiff::Timestamp;
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Apply one action.
pub fn update(state: &mut State, action: Action) -> Vec<Effect> {
    let mut fx = Vec::new();
    let notices_before = state.notices.len();
    dispatch(state, action, &mut fx);
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

/// How long an informational notice stays up.
const INFO_SECONDS: i64 = 8;

fn dispatch(state: &mut State, action: Action, fx: &mut Vec<Effect>) {
    let fx = &mut *fx;
    match action {
        Action::Key { key, at } => {
            state.now = at;
            if key.kind != KeyEventKind::Release {
                on_key(state, key, fx);
            }
        }
        Action::Paste { text, at } => {
            state.now = at;
            on_paste(state, &text);
        }
        Action::Tick(at) => {
            state.now = at;
            typing::fire_due(state, fx);
            on_tick(state, fx);
        }
        Action::Wake(at) => {
            state.now = at;
            typing::fire_due(state, fx);
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
            let (past, open): (Vec<_>, Vec<_>) =
                list.into_iter().partition(|i| i.state == Phase::Resolved);
            state.incidents = open;
            // The newest few resolved incidents, for review.
            let mut past = past;
            past.sort_by_key(|i| std::cmp::Reverse(i.started_at));
            past.truncate(PAST_IN_PICKER);
            state.past = past;
            refilter(state);
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
                    start_rehearsal(state, &session);
                    // Sources already polled: their state goes into the
                    // timeline now, not at their next change.
                    if session.incident.is_open() {
                        for v in &state.status.sources {
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
        Action::Status(u) => on_status(state, *u, fx),
        Action::Exec(e) => on_exec(state, *e, fx),
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
            refilter(state);
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
            match super::review::Review::new(r.id, r.runbook, r.events, r.problem, from_picker) {
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
    drive_rehearsal(state, fx);
    if let Some(r) = state.review.as_mut()
        && let Some(rp) = r.replay.as_mut()
        && rp.playing
    {
        rp.advance(&r.events, state.now);
        let cursor = rp.cursor;
        if let Some(s) = state.session.as_mut()
            && s.events.len() != cursor
        {
            super::review::seek_review(r, s, cursor);
        }
    }
}

// ---------------------------------------------------------------- game days

/// An incident opened: if it is a rehearsal, load its script (the one just
/// started from, or the scenario by id when resumed) and show only
/// simulated sources.
fn start_rehearsal(state: &mut State, session: &Session) {
    state.rehearsal = None;
    let inc = &session.incident;
    if !inc.rehearsal {
        return;
    }
    let Some(id) = inc.scenario.as_deref() else {
        return;
    };
    let scenario = state
        .start
        .as_ref()
        .and_then(|f| f.scenario.clone())
        .filter(|g| g.id == id)
        .or_else(|| state.gamedays.iter().find(|g| g.id == id).cloned());
    let Some(scenario) = scenario else {
        state.notices.push(Notice::warning(format!(
            "game day `{id}` is not loaded: the rehearsal goes on without its script"
        )));
        return;
    };
    state
        .status
        .sources
        .retain(|v| v.snapshot.kind == crate::status::Kind::Simulated);
    let injected: Vec<String> = session
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Injected { description } => Some(description.clone()),
            _ => None,
        })
        .collect();
    state.rehearsal = Some(crate::gameday::Rehearsal::resume(scenario, &injected));
}

/// Run the rehearsal's script: whatever is due by now changes the simulated
/// sources (through the same path as a real poll) or is injected.
fn drive_rehearsal(state: &mut State, fx: &mut Vec<Effect>) {
    let Some(mut r) = state.rehearsal.take() else {
        return;
    };
    let due = match state.session.as_ref() {
        Some(s) if s.incident.is_open() && s.read_only.is_none() => r.due(&s.incident, state.now),
        _ => Vec::new(),
    };
    state.rehearsal = Some(r);
    for h in due {
        match h {
            crate::gameday::Happening::Source(src) => {
                let mut snap = crate::status::Snapshot::simulated(
                    &src.name,
                    src.state,
                    &src.summary,
                    Vec::new(),
                );
                snap.checked_at = state.now;
                on_status(state, crate::status::Update::new(snap), fx);
            }
            crate::gameday::Happening::Inject(text) => {
                let now = state.now;
                if let Some(s) = state.session.as_mut() {
                    emit(
                        s,
                        EventKind::Injected {
                            description: text.clone(),
                        },
                        now,
                        fx,
                    );
                }
                state
                    .notices
                    .push(Notice::warning(format!("game day: {text}")));
                fx.push(Effect::Bell);
            }
        }
    }
}

/// A rehearsal was resolved: score it, log the card and show it.
fn score_rehearsal(state: &mut State, fx: &mut Vec<Effect>) {
    let Some(scenario) = state.rehearsal.as_ref().map(|r| r.scenario.clone()) else {
        return;
    };
    let now = state.now;
    let Some(s) = state.session.as_mut() else {
        return;
    };
    let Some(stats) = crate::incident::review::stats(&s.events, Some(&s.runbook)) else {
        return;
    };
    let lines = crate::gameday::score(&scenario, &stats, s.runbook.steps.len());
    let text = score_text(&lines);
    emit(
        s,
        EventKind::ScoreCard {
            scenario: scenario.id.clone(),
            lines,
        },
        now,
        fx,
    );
    state.overlay = Some(Overlay::ShowText {
        title: format!("Game day score card — {}", scenario.title),
        text,
    });
}

/// The score card as text (the overlay and `mayday incidents`).
pub fn score_text(lines: &[crate::incident::ScoreLine]) -> String {
    let width = lines.iter().map(|l| l.label.len()).max().unwrap_or(0);
    let mut out = String::new();
    for l in lines {
        let mark = match l.met {
            Some(true) => "✓ ",
            Some(false) => "✗ ",
            None => "  ",
        };
        out.push_str(&format!("{mark}{:<width$}  {}", l.label, l.value));
        if let Some(t) = &l.target {
            out.push_str(&format!("  (target {t})"));
        }
        out.push('\n');
    }
    out
}

// ---------------------------------------------------------------- review

fn review_key(state: &mut State, key: KeyEvent, fx: &mut Vec<Effect>) {
    let Some(r) = state.review.as_mut() else {
        state.screen = Screen::Picker;
        return;
    };
    let cmd = state
        .keymap
        .lookup(&[Ctx::Review, Ctx::Lists, Ctx::Global], &key);
    let page = usize::from(state.size.1.saturating_sub(8)).max(1);
    match cmd {
        Some(Cmd::Help) => state.overlay = Some(Overlay::Help { scroll: 0 }),
        Some(Cmd::Back) => {
            // Esc: to the picker (where other incidents can be reviewed).
            state.review = None;
            state.screen = Screen::Picker;
            fx.push(Effect::ListIncidents);
        }
        Some(Cmd::Quit) => {
            if r.from_picker && !is_ctrl_c(&key) {
                state.review = None;
                state.screen = Screen::Picker;
            } else {
                quit_now(state, fx);
            }
        }
        Some(Cmd::ReviewFilter(n)) => r.toggle(usize::from(n)),
        Some(c @ (Cmd::Up | Cmd::Down | Cmd::PageUp | Cmd::PageDown | Cmd::Top | Cmd::Bottom)) => {
            let len = r.rows.len();
            move_sel(&mut r.selected, len, c, page);
        }
        Some(Cmd::Replay) => {
            // A replay borrows the incident screen: never over a live one.
            if state.session.is_some() {
                state.notices.push(Notice::warning(
                    "an incident is open in this session; replay it after quitting",
                ));
                return;
            }
            let cursor = r.selected_event().map_or(1, |i| i + 1);
            let replay = super::review::Replay::new(&r.events, cursor, state.now);
            if let Some(mut session) = r.session_at(replay.cursor) {
                let cursor = replay.cursor;
                r.replay = Some(replay);
                // The panel is rebuilt for the new session.
                r.board_upto = usize::MAX;
                super::review::seek_review(r, &mut session, cursor);
                state.session = Some(session);
                state.screen = Screen::Incident;
            }
        }
        Some(Cmd::ExportDraft) => fx.push(Effect::WriteDraft(r.id.clone())),
        _ => {}
    }
}

fn replay_key(state: &mut State, key: KeyEvent, fx: &mut Vec<Effect>) {
    let now = state.now;
    let Some(r) = state.review.as_mut() else {
        return;
    };
    let Some(rp) = r.replay.as_mut() else {
        return;
    };
    let events = Arc::clone(&r.events);
    let cmd = state
        .keymap
        .lookup(&[Ctx::Replay, Ctx::Lists, Ctx::Global], &key);
    match cmd {
        Some(Cmd::Help) => {
            state.overlay = Some(Overlay::Help { scroll: 0 });
            return;
        }
        Some(Cmd::Quit | Cmd::Back) => {
            if is_ctrl_c(&key) {
                quit_now(state, fx);
                return;
            }
            // Back to the review, with the replayed event selected.
            let cursor = rp.cursor;
            r.replay = None;
            let target = cursor.saturating_sub(1);
            r.selected = match r.rows.binary_search(&target) {
                Ok(i) => i,
                Err(i) => i.saturating_sub(1),
            };
            state.session = None;
            state.screen = Screen::Review;
            return;
        }
        Some(Cmd::NextEvent | Cmd::Down) => rp.to_event(&events, rp.cursor + 1),
        Some(Cmd::PrevEvent | Cmd::Up) => rp.to_event(&events, rp.cursor.saturating_sub(1)),
        Some(Cmd::Top) => rp.to_event(&events, 1),
        Some(Cmd::Bottom) => rp.to_event(&events, events.len()),
        Some(Cmd::JumpForward) => rp.jump(&events, jiff::SignedDuration::from_secs(60)),
        Some(Cmd::JumpBack) => rp.jump(&events, jiff::SignedDuration::from_secs(-60)),
        Some(Cmd::PlayPause) => {
            if !rp.playing && rp.cursor >= events.len() {
                rp.to_event(&events, 1);
            }
            rp.playing = !rp.playing;
            rp.last_wall = now;
        }
        Some(Cmd::Faster) => rp.faster(),
        Some(Cmd::Slower) => rp.slower(),
        Some(Cmd::FocusNext | Cmd::FocusPrev) => {
            if let Some(s) = state.session.as_mut() {
                let i = Pane::ORDER.iter().position(|p| *p == s.focus).unwrap_or(0);
                let n = Pane::ORDER.len();
                let j = if cmd == Some(Cmd::FocusNext) {
                    i + 1
                } else {
                    i + n - 1
                };
                s.focus = Pane::ORDER[j % n];
            }
            return;
        }
        _ => return,
    }
    let cursor = rp.cursor;
    if let Some(s) = state.session.as_mut() {
        super::review::seek_review(r, s, cursor);
    }
}

/// Record an event: applied to the state now, written by the runtime.
pub fn emit(session: &mut Session, kind: EventKind, at: Timestamp, fx: &mut Vec<Effect>) -> bool {
    if session.read_only.is_some() {
        return false;
    }
    // The log keeps milliseconds.
    let at = at.round(jiff::Unit::Millisecond).unwrap_or(at);
    let event = Event {
        seq: session.incident.last_seq + 1,
        at,
        kind: kind.clone(),
    };
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

fn on_paste(state: &mut State, text: &str) {
    let normalized = super::input::paste_line_ends(text);
    let text = normalized.as_ref();
    if let Some(Overlay::Prompt(p)) = state.overlay.as_mut() {
        p.input.paste(text);
        return;
    }
    match state.screen {
        Screen::Picker => {
            state.picker.filtering = true;
            state.picker.filter.paste(text);
            refilter(state);
        }
        Screen::Start => {
            if let Some(f) = state.start.as_mut().and_then(|f| f.fields.get_mut(f.focus)) {
                f.input.paste(text);
            }
        }
        Screen::Incident | Screen::Review => {}
    }
}

fn is_ctrl_c(key: &KeyEvent) -> bool {
    key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL)
}

fn on_key(state: &mut State, key: KeyEvent, fx: &mut Vec<Effect>) {
    if state.quitting {
        return;
    }
    // Esc first dismisses notices.
    let editing_filter = state.screen == Screen::Picker && !state.picker.filter.is_empty();
    if key.code == KeyCode::Esc
        && state.overlay.is_none()
        && !state.notices.is_empty()
        && !editing_filter
    {
        state.notices.clear();
        return;
    }
    if let Some(overlay) = state.overlay.take() {
        on_overlay_key(state, overlay, key, fx);
        return;
    }
    match state.screen {
        Screen::Picker => picker_key(state, key, fx),
        Screen::Start => start_key(state, key, fx),
        Screen::Incident if state.review.as_ref().is_some_and(|r| r.replay.is_some()) => {
            replay_key(state, key, fx)
        }
        Screen::Incident if state.session.is_some() && state.review.is_none() => {
            typing::on_incident_key(state, key, fx)
        }
        Screen::Incident => incident_key(state, key, fx),
        Screen::Review => review_key(state, key, fx),
    }
}

fn on_overlay_key(state: &mut State, overlay: Overlay, key: KeyEvent, fx: &mut Vec<Effect>) {
    match overlay {
        Overlay::Help { scroll } => {
            let cmd = state.keymap.lookup(&[Ctx::Lists, Ctx::Global], &key);
            state.overlay = match cmd {
                Some(Cmd::Down) => Some(Overlay::Help {
                    scroll: scroll.saturating_add(1),
                }),
                Some(Cmd::Up) => Some(Overlay::Help {
                    scroll: scroll.saturating_sub(1),
                }),
                Some(Cmd::PageDown) => Some(Overlay::Help {
                    scroll: scroll.saturating_add(10),
                }),
                Some(Cmd::PageUp) => Some(Overlay::Help {
                    scroll: scroll.saturating_sub(10),
                }),
                Some(Cmd::Top) => Some(Overlay::Help { scroll: 0 }),
                // Any other key closes help.
                _ => None,
            };
        }
        Overlay::SourceDetails { index, scroll } => {
            let cmd = state
                .keymap
                .lookup(&[Ctx::Lists, Ctx::Incident, Ctx::Global], &key);
            state.overlay = match cmd {
                Some(Cmd::Down) => Some(Overlay::SourceDetails {
                    index,
                    scroll: scroll.saturating_add(1),
                }),
                Some(Cmd::Up) => Some(Overlay::SourceDetails {
                    index,
                    scroll: scroll.saturating_sub(1),
                }),
                Some(Cmd::PageDown) => Some(Overlay::SourceDetails {
                    index,
                    scroll: scroll.saturating_add(10),
                }),
                Some(Cmd::PageUp) => Some(Overlay::SourceDetails {
                    index,
                    scroll: scroll.saturating_sub(10),
                }),
                Some(Cmd::PollNow) => {
                    if let Some(v) = state.status.sources.get(index) {
                        fx.push(Effect::PollNow(Some(v.snapshot.name.clone())));
                    }
                    Some(Overlay::SourceDetails { index, scroll })
                }
                _ => None,
            };
        }
        Overlay::Confirm(mut c) => {
            use crate::runbook::Confirm;
            let now = state.now;
            let decline =
                |state: &mut State, c: &super::state::Confirmation, fx: &mut Vec<Effect>| {
                    if let Some(s) = state.session.as_mut() {
                        emit(
                            s,
                            EventKind::CommandDeclined {
                                step: c.step.clone(),
                                index: c.index,
                            },
                            now,
                            fx,
                        );
                    }
                };
            match c.level {
                Confirm::Typed => match c.typed.key(key) {
                    Outcome::Submit => {
                        if c.typed.text().trim() == c.phrase {
                            run_confirmed(state, &c, fx);
                        } else {
                            c.error = Some(format!(
                                "type `{}` exactly to run it (Esc cancels)",
                                c.phrase
                            ));
                            state.overlay = Some(Overlay::Confirm(c));
                        }
                    }
                    Outcome::Cancel => decline(state, &c, fx),
                    _ => {
                        c.error = None;
                        state.overlay = Some(Overlay::Confirm(c));
                    }
                },
                _ => match key.code {
                    KeyCode::Char('y' | 'Y') => run_confirmed(state, &c, fx),
                    KeyCode::Char('n' | 'N') | KeyCode::Esc => decline(state, &c, fx),
                    _ if is_ctrl_c(&key) => decline(state, &c, fx),
                    _ => state.overlay = Some(Overlay::Confirm(c)),
                },
            }
        }
        Overlay::ShowText { .. } => {}
        Overlay::ConfirmResolve { reasons } => match key.code {
            KeyCode::Char('y' | 'Y') => state.overlay = Some(resolve_prompt()),
            KeyCode::Char('n' | 'N') | KeyCode::Esc => {}
            _ if is_ctrl_c(&key) => {}
            _ => state.overlay = Some(Overlay::ConfirmResolve { reasons }),
        },
        Overlay::ConfirmSecond { runbook, open_id } => match key.code {
            KeyCode::Char('r' | 'R') | KeyCode::Enter => fx.push(Effect::ResumeIncident(open_id)),
            // The responder said so: a second incident on this runbook.
            KeyCode::Char('n' | 'N') => open_start(state, runbook, fx),
            KeyCode::Esc => {}
            _ if is_ctrl_c(&key) => {}
            _ => state.overlay = Some(Overlay::ConfirmSecond { runbook, open_id }),
        },
        Overlay::ConfirmClose { id } => match key.code {
            KeyCode::Char('y' | 'Y') => fx.push(Effect::CloseRehearsal(id)),
            KeyCode::Char('n' | 'N') | KeyCode::Esc => {}
            _ if is_ctrl_c(&key) => {}
            _ => state.overlay = Some(Overlay::ConfirmClose { id }),
        },
        Overlay::ConfirmRetract => match key.code {
            KeyCode::Char('y' | 'Y') => {
                let now = state.now;
                if let Some(s) = state.session.as_mut()
                    && s.incident.phase == Phase::Mitigated
                {
                    emit(s, EventKind::MitigationRetracted, now, fx);
                }
            }
            KeyCode::Char('n' | 'N') | KeyCode::Esc => {}
            _ if is_ctrl_c(&key) => {}
            _ => state.overlay = Some(Overlay::ConfirmRetract),
        },
        Overlay::ConfirmTrust { path, hash } => match key.code {
            KeyCode::Char('y' | 'Y') => fx.push(Effect::Trust { path, hash }),
            KeyCode::Char('n' | 'N') | KeyCode::Esc => {}
            _ if is_ctrl_c(&key) => {}
            _ => state.overlay = Some(Overlay::ConfirmTrust { path, hash }),
        },
        Overlay::ConfirmQuit => {
            // Unsaved events: quitting is refused until a rescue copy holds
            // every one of them (asked for with `w`, named on screen).
            let unsaved_unrescued = state
                .session
                .as_ref()
                .is_some_and(|s| s.unsaved() > 0 && s.rescue_current().is_none());
            match key.code {
                KeyCode::Char('w' | 'W') if unsaved_unrescued => {
                    fx.push(Effect::Rescue);
                    state.overlay = Some(Overlay::ConfirmQuit);
                }
                KeyCode::Char('y' | 'Y') if unsaved_unrescued => {
                    state.overlay = Some(Overlay::ConfirmQuit);
                }
                KeyCode::Char('y' | 'Y') => quit_now(state, fx),
                _ if is_ctrl_c(&key) && !unsaved_unrescued => quit_now(state, fx),
                _ => {}
            }
        }
        Overlay::Prompt(mut prompt) => match prompt.input.key(key) {
            Outcome::Submit => {
                if let Err(e) = submit_prompt(state, &prompt, fx) {
                    prompt.error = Some(e);
                    state.overlay = Some(Overlay::Prompt(prompt));
                }
            }
            // Esc or Ctrl-C on a draft the responder wrote: ask first.
            Outcome::Cancel
                if !prompt.discard_armed
                    && matches!(prompt.kind, PromptKind::Note | PromptKind::StatusUpdate)
                    && prompt.input.text().trim() != prompt.initial.trim() =>
            {
                prompt.discard_armed = true;
                prompt.error =
                    Some("Esc again discards this draft; any other key keeps editing it".into());
                state.overlay = Some(Overlay::Prompt(prompt));
            }
            Outcome::Cancel => {}
            Outcome::Changed | Outcome::Unchanged => {
                prompt.error = None;
                prompt.discard_armed = false;
                state.overlay = Some(Overlay::Prompt(prompt));
            }
        },
    }
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

/// Quit: an open incident gets `session_ended` and stays open.
fn quit_now(state: &mut State, fx: &mut Vec<Effect>) {
    let now = state.now;
    if let Some(s) = state.session.as_mut() {
        abandon_running(s, now, fx);
        if s.incident.is_open() {
            emit(s, EventKind::SessionEnded, now, fx);
        }
        fx.push(Effect::CloseIncident);
    }
    state.quitting = true;
    fx.push(Effect::Quit);
}

fn request_quit(state: &mut State, fx: &mut Vec<Effect>) {
    match &state.session {
        // Read-only: nothing of ours is open, nothing to lose.
        Some(s) if s.incident.is_open() && s.read_only.is_none() => {
            state.overlay = Some(Overlay::ConfirmQuit)
        }
        _ => quit_now(state, fx),
    }
}

// ---------------------------------------------------------------- picker

/// Runbooks whose alert names (or `runbook_url`) match alerts firing now in
/// the status sources.
fn firing_now(state: &State) -> Vec<super::state::Firing> {
    let mut out: Vec<super::state::Firing> = Vec::new();
    for src in &state.status.sources {
        for alert in &src.snapshot.alerts {
            for (i, rb) in state.library.runbooks.iter().enumerate() {
                let by_name = rb
                    .alerts
                    .iter()
                    .any(|a| a.eq_ignore_ascii_case(&alert.alertname));
                let by_url = alert
                    .runbook_url
                    .as_deref()
                    .is_some_and(|u| url_names_runbook(u, &rb.id));
                if (by_name || by_url) && !out.iter().any(|f| f.runbook == i) {
                    out.push(super::state::Firing {
                        runbook: i,
                        alertname: alert.alertname.clone(),
                        source: src.snapshot.name.clone(),
                    });
                }
            }
        }
    }
    out
}

/// Does a `runbook_url` point at this runbook (its last path segment is the
/// id, with or without `.md`/`.yaml`, ignoring `#anchors` and `?queries`)?
pub fn url_names_runbook(url: &str, id: &str) -> bool {
    let path = url
        .split(['#', '?'])
        .next()
        .unwrap_or(url)
        .trim_end_matches('/');
    let last = path.rsplit('/').next().unwrap_or(path);
    let stem = last
        .strip_suffix(".md")
        .or_else(|| last.strip_suffix(".yaml"))
        .or_else(|| last.strip_suffix(".yml"))
        .or_else(|| last.strip_suffix(".html"))
        .unwrap_or(last);
    stem.eq_ignore_ascii_case(id)
}

/// Recompute the picker rows from the filter.
pub fn refilter(state: &mut State) {
    let query = state.picker.filter.text();
    let query = query.trim();
    let mut items: Vec<PickItem> = Vec::new();
    state.picker.highlights.clear();
    state.firing = firing_now(state);
    if query.is_empty() {
        items.extend((0..state.incidents.len()).map(PickItem::Resume));
        items.extend(
            state
                .firing
                .iter()
                .enumerate()
                .map(|(i, f)| PickItem::Firing(f.runbook, i)),
        );
        items.extend((0..state.library.runbooks.len()).map(PickItem::Runbook));
        items.extend((0..state.gamedays.len()).map(PickItem::Gameday));
        items.extend((0..state.past.len()).map(PickItem::Review));
    } else {
        let pattern = Pattern::parse(query, CaseMatching::Smart, Normalization::Smart);
        let mut matcher = Matcher::new(Config::DEFAULT);
        let mut buf = Vec::new();
        let mut scored: Vec<(u32, PickItem)> = Vec::new();
        for (i, inc) in state.incidents.iter().enumerate() {
            let hay = format!("{} {} {}", inc.title, inc.runbook_id, inc.id);
            if let Some(score) = pattern.score(Utf32Str::new(&hay, &mut buf), &mut matcher) {
                scored.push((score.saturating_add(1_000_000), PickItem::Resume(i)));
            }
        }
        for (fi, f) in state.firing.iter().enumerate() {
            let Some(rb) = state.library.runbooks.get(f.runbook) else {
                continue;
            };
            let hay = format!("{} {} {}", rb.search_text(), f.alertname, f.source);
            if let Some(score) = pattern.score(Utf32Str::new(&hay, &mut buf), &mut matcher) {
                scored.push((
                    score.saturating_add(500_000),
                    PickItem::Firing(f.runbook, fi),
                ));
            }
        }
        for (i, rb) in state.library.runbooks.iter().enumerate() {
            let hay = rb.search_text();
            let mut indices = Vec::new();
            if let Some(score) =
                pattern.indices(Utf32Str::new(&hay, &mut buf), &mut matcher, &mut indices)
            {
                indices.sort_unstable();
                indices.dedup();
                state.picker.highlights.insert(i, indices);
                scored.push((score, PickItem::Runbook(i)));
            }
        }
        for (i, g) in state.gamedays.iter().enumerate() {
            let hay = format!(
                "game day gameday rehearsal {} {} {}",
                g.title, g.id, g.runbook
            );
            if let Some(score) = pattern.score(Utf32Str::new(&hay, &mut buf), &mut matcher) {
                scored.push((score, PickItem::Gameday(i)));
            }
        }
        for (i, inc) in state.past.iter().enumerate() {
            let hay = format!("review {} {} {}", inc.title, inc.runbook_id, inc.id);
            if let Some(score) = pattern.score(Utf32Str::new(&hay, &mut buf), &mut matcher) {
                scored.push((score, PickItem::Review(i)));
            }
        }
        scored.sort_by_key(|(score, _)| std::cmp::Reverse(*score));
        items.extend(scored.into_iter().map(|(_, i)| i));
    }
    if state.gameday_only {
        items.retain(|i| matches!(i, PickItem::Gameday(_)));
    }
    state.picker.items = items;
    if state.picker.selected >= state.picker.items.len() {
        state.picker.selected = state.picker.items.len().saturating_sub(1);
    }
}

fn move_sel(sel: &mut usize, len: usize, cmd: Cmd, page: usize) {
    if len == 0 {
        *sel = 0;
        return;
    }
    *sel = match cmd {
        Cmd::Up => sel.saturating_sub(1),
        Cmd::Down => (*sel + 1).min(len - 1),
        Cmd::PageUp => sel.saturating_sub(page),
        Cmd::PageDown => (*sel + page).min(len - 1),
        Cmd::Top => 0,
        Cmd::Bottom => len - 1,
        _ => *sel,
    };
}

fn page(state: &State) -> usize {
    usize::from(state.size.1.saturating_sub(8)).max(1)
}

fn picker_key(state: &mut State, key: KeyEvent, fx: &mut Vec<Effect>) {
    if state.picker.filtering {
        match key.code {
            KeyCode::Up | KeyCode::Down | KeyCode::PageUp | KeyCode::PageDown => {
                let cmd = match key.code {
                    KeyCode::Up => Cmd::Up,
                    KeyCode::Down => Cmd::Down,
                    KeyCode::PageUp => Cmd::PageUp,
                    _ => Cmd::PageDown,
                };
                let len = state.picker.items.len();
                let p = page(state);
                move_sel(&mut state.picker.selected, len, cmd, p);
                return;
            }
            KeyCode::Tab => {
                state.picker.filtering = false;
                return;
            }
            _ => {}
        }
        if is_ctrl_c(&key) {
            request_quit(state, fx);
            return;
        }
        match state.picker.filter.key(key) {
            Outcome::Submit => activate_pick(state, fx),
            Outcome::Cancel => {
                if state.picker.filter.is_empty() {
                    state.picker.filtering = false;
                } else {
                    state.picker.filter = TextInput::new("", false);
                    state.picker.filtering = false;
                    refilter(state);
                }
            }
            Outcome::Changed => {
                state.picker.selected = 0;
                refilter(state);
            }
            Outcome::Unchanged => {}
        }
        return;
    }
    match state
        .keymap
        .lookup(&[Ctx::Picker, Ctx::Lists, Ctx::Global], &key)
    {
        Some(Cmd::Quit) => request_quit(state, fx),
        Some(Cmd::Help) => state.overlay = Some(Overlay::Help { scroll: 0 }),
        Some(Cmd::Filter) => state.picker.filtering = true,
        Some(Cmd::Select) => activate_pick(state, fx),
        Some(Cmd::CloseRehearsal) => match state.picker.items.get(state.picker.selected) {
            Some(PickItem::Resume(i))
                if state.incidents.get(*i).is_some_and(|inc| inc.rehearsal) =>
            {
                let id = state.incidents[*i].id.clone();
                state.overlay = Some(Overlay::ConfirmClose { id });
            }
            _ => state
                .notices
                .push(Notice::info("select an open rehearsal to close it")),
        },
        Some(Cmd::Review) => match state.picker.items.get(state.picker.selected) {
            Some(PickItem::Review(i)) => {
                if let Some(inc) = state.past.get(*i) {
                    fx.push(Effect::OpenReview(inc.id.clone()));
                }
            }
            Some(PickItem::Resume(i)) => {
                if let Some(inc) = state.incidents.get(*i) {
                    fx.push(Effect::OpenReview(inc.id.clone()));
                }
            }
            _ => state
                .notices
                .push(Notice::info("select an incident to review")),
        },
        Some(Cmd::Back) => {
            if !state.picker.filter.is_empty() {
                state.picker.filter = TextInput::new("", false);
                refilter(state);
            }
        }
        Some(
            cmd @ (Cmd::Up | Cmd::Down | Cmd::PageUp | Cmd::PageDown | Cmd::Top | Cmd::Bottom),
        ) => {
            let len = state.picker.items.len();
            let p = page(state);
            move_sel(&mut state.picker.selected, len, cmd, p);
        }
        Some(_) => {}
        None => {
            // Filtered as you type: an unbound printable key starts the filter.
            if let KeyCode::Char(c) = key.code
                && !key
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
                && !c.is_control()
            {
                state.picker.filtering = true;
                state.picker.filter.key(key);
                state.picker.selected = 0;
                refilter(state);
            } else if key.code == KeyCode::Backspace && !state.picker.filter.is_empty() {
                state.picker.filtering = true;
                state.picker.filter.key(key);
                refilter(state);
            }
        }
    }
}

fn activate_pick(state: &mut State, fx: &mut Vec<Effect>) {
    let Some(item) = state.picker.items.get(state.picker.selected).copied() else {
        return;
    };
    if state.gameday_only && !matches!(item, PickItem::Gameday(_)) {
        return;
    }
    match item {
        PickItem::Resume(i) => {
            if let Some(inc) = state.incidents.get(i) {
                fx.push(Effect::ResumeIncident(inc.id.clone()));
            }
        }
        PickItem::Runbook(i) | PickItem::Firing(i, _) => {
            if let Some(rb) = state.library.runbooks.get(i).cloned() {
                // One page, one incident: an open (real) incident on this
                // runbook is offered first.
                match state
                    .incidents
                    .iter()
                    .find(|inc| inc.runbook_id == rb.id && !inc.rehearsal)
                {
                    Some(inc) => {
                        state.overlay = Some(Overlay::ConfirmSecond {
                            runbook: rb,
                            open_id: inc.id.clone(),
                        });
                    }
                    None => open_start(state, rb, fx),
                }
            }
        }
        PickItem::Gameday(i) => {
            if let Some(g) = state.gamedays.get(i).cloned() {
                start_gameday(state, g, fx);
            }
        }
        PickItem::Review(i) => {
            if let Some(inc) = state.past.get(i) {
                fx.push(Effect::OpenReview(inc.id.clone()));
            }
        }
    }
}

/// Rehearse a game-day scenario: its variables and severity are given, so
/// with nothing else to ask it opens straight into the incident.
pub fn start_gameday(
    state: &mut State,
    scenario: Arc<crate::gameday::Scenario>,
    fx: &mut Vec<Effect>,
) {
    let Some(rb) = state.library.get(&scenario.runbook).cloned() else {
        state.notices.push(Notice::error(format!(
            "game day `{}`: no runbook has the id `{}` ({})",
            scenario.id, scenario.runbook, scenario.path
        )));
        return;
    };
    // Nothing to ask that has a default: a rehearsal opens straight in.
    let mut variables = scenario.variables.clone();
    for v in &rb.variables {
        if let Some(d) = &v.default {
            variables.entry(v.name.clone()).or_insert_with(|| d.clone());
        }
    }
    let preset = Preset {
        variables,
        severity: Some(scenario.severity.or(rb.severity).unwrap_or(Severity::High)),
        responder: Some(
            state
                .settings
                .preset
                .responder
                .clone()
                .unwrap_or_else(|| state.settings.default_responder.clone()),
        ),
    };
    open_start_with(state, rb, preset, Some(scenario), fx);
}

// ---------------------------------------------------------------- start

/// Open the start form for a runbook; with every value preset, start at once.
pub fn open_start(state: &mut State, runbook: Arc<Runbook>, fx: &mut Vec<Effect>) {
    let preset = state.settings.preset.clone();
    open_start_with(state, runbook, preset, None, fx);
}

fn open_start_with(
    state: &mut State,
    runbook: Arc<Runbook>,
    preset: Preset,
    scenario: Option<Arc<crate::gameday::Scenario>>,
    fx: &mut Vec<Effect>,
) {
    let mut fields = Vec::new();
    for v in &runbook.variables {
        // Given already, or asked when a command needs it.
        if preset.variables.contains_key(&v.name) || v.ask_on_use {
            continue;
        }
        let label = match &v.prompt {
            Some(p) => format!("{} ({})", p, v.name),
            None => v.name.clone(),
        };
        fields.push(Field {
            label,
            kind: FieldKind::Variable {
                name: v.name.clone(),
                required: v.required,
            },
            input: TextInput::new(v.default.as_deref().unwrap_or(""), false),
        });
    }
    let severity = preset
        .severity
        .or(runbook.severity)
        .unwrap_or(Severity::High);
    if preset.severity.is_none() {
        fields.push(Field {
            label: "Severity".into(),
            kind: FieldKind::Severity,
            input: TextInput::new(severity.as_str(), false),
        });
    }
    if preset.responder.is_none() {
        fields.push(Field {
            label: "Responder".into(),
            kind: FieldKind::Responder,
            input: TextInput::new(&state.settings.default_responder, false),
        });
    }
    let form = StartForm {
        runbook,
        preset,
        scenario,
        fields,
        focus: 0,
        severity,
        error: None,
        starting: false,
    };
    if form.fields.is_empty() {
        submit_start(state, form, fx);
    } else {
        state.start = Some(form);
        state.screen = Screen::Start;
    }
}

fn submit_start(state: &mut State, mut form: StartForm, fx: &mut Vec<Effect>) {
    let preset = &form.preset;
    let mut variables: BTreeMap<String, String> = BTreeMap::new();
    for v in &form.runbook.variables {
        if let Some(val) = preset.variables.get(&v.name) {
            variables.insert(v.name.clone(), val.clone());
        }
    }
    let mut responder = preset.responder.clone().unwrap_or_default();
    let preset_vars = preset.variables.clone();
    for (i, f) in form.fields.iter().enumerate() {
        let value = f.input.text().trim().to_owned();
        match &f.kind {
            FieldKind::Variable { name, required } => {
                if *required && value.is_empty() {
                    form.error = Some(format!("`{name}` is required"));
                    form.focus = i;
                    state.start = Some(form);
                    state.screen = Screen::Start;
                    return;
                }
                variables.insert(name.clone(), value);
            }
            FieldKind::Severity => {}
            FieldKind::Responder => responder = value,
        }
    }
    // Extra --var values the runbook does not declare are kept too.
    for (k, v) in preset_vars {
        variables.entry(k).or_insert(v);
    }
    if responder.trim().is_empty() {
        form.error = Some("the responder's handle is required".into());
        form.focus = form
            .fields
            .iter()
            .position(|f| matches!(f.kind, FieldKind::Responder))
            .unwrap_or(0);
        state.start = Some(form);
        state.screen = Screen::Start;
        return;
    }
    fx.push(Effect::StartIncident(StartRequest {
        runbook: form.runbook.clone(),
        variables,
        severity: form.severity,
        responder,
        rehearsal: form.scenario.is_some(),
        scenario: form.scenario.as_ref().map(|g| g.id.clone()),
        at: state.now,
    }));
    form.starting = true;
    state.start = Some(form);
}

fn start_key(state: &mut State, key: KeyEvent, fx: &mut Vec<Effect>) {
    let Some(mut form) = state.start.take() else {
        state.screen = Screen::Picker;
        return;
    };
    if is_ctrl_c(&key) {
        state.start = Some(form);
        request_quit(state, fx);
        return;
    }
    let last = form.fields.len().saturating_sub(1);
    if form.starting {
        // Asked for already: wait for it (Esc still goes back).
        if key.code == KeyCode::Esc {
            state.screen = Screen::Picker;
        } else {
            state.start = Some(form);
        }
        return;
    }
    match key.code {
        KeyCode::Esc => {
            state.screen = Screen::Picker;
            return;
        }
        KeyCode::Up | KeyCode::BackTab => form.focus = form.focus.saturating_sub(1),
        KeyCode::Down | KeyCode::Tab => form.focus = (form.focus + 1).min(last),
        // Enter starts the incident whenever every required value has one
        // (Tab and the arrows move between fields to change them first);
        // otherwise it goes to the first value still missing.
        KeyCode::Enter => {
            submit_start(state, form, fx);
            return;
        }
        _ => {
            let focus = form.focus;
            let is_sev = matches!(
                form.fields.get(focus).map(|f| &f.kind),
                Some(FieldKind::Severity)
            );
            if is_sev {
                let all = Severity::ALL;
                let cur = all.iter().position(|s| *s == form.severity).unwrap_or(0);
                let next = match key.code {
                    KeyCode::Left => Some(all[(cur + all.len() - 1) % all.len()]),
                    KeyCode::Right | KeyCode::Char(' ') => Some(all[(cur + 1) % all.len()]),
                    KeyCode::Char(c @ '1'..='4') => all.get(usize::from(c as u8 - b'1')).copied(),
                    KeyCode::Char(c) => Severity::ALL
                        .into_iter()
                        .find(|s| s.as_str().starts_with(c)),
                    _ => None,
                };
                if let Some(s) = next {
                    form.severity = s;
                    if let Some(f) = form.fields.get_mut(focus) {
                        f.input = TextInput::new(s.as_str(), false);
                    }
                }
            } else if let Some(f) = form.fields.get_mut(focus) {
                f.input.key(key);
                form.error = None;
            }
        }
    }
    state.start = Some(form);
}

// ---------------------------------------------------------------- incident

/// The typing guard: a sentence typed into the incident screen with no
/// editor open ("restarted pgbouncer") must not run, skip, decide or
/// mitigate anything. Keys that change the incident are held back for
/// [`BURST`]; another printable key in that time (or such a key arriving
/// within a burst of typing) opens a note draft holding what was typed.
pub mod typing {
    use super::*;
    use crate::app::state::BURST;

    fn printable(key: &KeyEvent) -> Option<char> {
        match key.code {
            KeyCode::Char(c)
                if !key
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
            {
                Some(c)
            }
            _ => None,
        }
    }

    /// Keys whose command changes the incident (or opens a dialog that
    /// would swallow the rest of a sentence).
    fn acts(state: &State, key: &KeyEvent) -> bool {
        let ctxs: &[Ctx] = &[Ctx::Incident, Ctx::Lists, Ctx::Global];
        state
            .keymap
            .lookup(ctxs, key)
            .is_some_and(Cmd::changes_incident)
    }

    fn within(a: Timestamp, b: Timestamp) -> bool {
        b.duration_since(a).unsigned_abs() < BURST
    }

    /// A held-back key acts with the time it was pressed: that is when the
    /// responder acted, and what the log records.
    fn act(state: &mut State, key: KeyEvent, at: Timestamp, fx: &mut Vec<Effect>) {
        let now = std::mem::replace(&mut state.now, at);
        super::incident_key(state, key, fx);
        state.now = now;
    }

    /// Is every character of `text` a key bound to a command here? A burst
    /// of nothing but command keys (`n` `r`) is a fast hand; one with any
    /// other character in it (`re…`, `10 p…`) is typing.
    fn all_commands(state: &State, text: &str) -> bool {
        let ctxs: &[Ctx] = &[Ctx::Incident, Ctx::Lists, Ctx::Global];
        text.chars().all(|c| {
            let mods = if c.is_ascii_uppercase() {
                KeyModifiers::SHIFT
            } else {
                KeyModifiers::NONE
            };
            state
                .keymap
                .lookup(ctxs, &KeyEvent::new(KeyCode::Char(c), mods))
                .is_some()
        })
    }

    pub fn on_incident_key(state: &mut State, key: KeyEvent, fx: &mut Vec<Effect>) {
        // Read-only: nothing can act, so nothing needs holding back.
        if state
            .session
            .as_ref()
            .is_some_and(|s| s.read_only.is_some())
        {
            return super::incident_key(state, key, fx);
        }
        let now = state.now;
        let c = printable(&key);
        let in_burst = state.typing.last.is_some_and(|t| within(t, now));
        if !in_burst {
            state.typing.burst.clear();
        }
        let Some(c) = c else {
            // Not a character: whatever was held back acts first.
            if let Some((held, at)) = state.typing.deferred.take() {
                act(state, held, at, fx);
            }
            state.typing.burst.clear();
            state.typing.last = None;
            if state.overlay.is_none() {
                super::incident_key(state, key, fx);
            }
            return;
        };
        state.typing.last = Some(now);
        state.typing.burst.push(c);
        let typing = in_burst
            && state.typing.burst.chars().count() > 1
            && !all_commands(state, &state.typing.burst);
        if typing && (state.typing.deferred.is_some() || acts(state, &key)) {
            let text = std::mem::take(&mut state.typing.burst);
            return draft(state, text);
        }
        if let Some((held, at)) = state.typing.deferred.take() {
            act(state, held, at, fx);
            if state.overlay.is_some() {
                // The held key opened a dialog: this key is for it.
                return super::on_key(state, key, fx);
            }
        }
        if acts(state, &key) {
            state.typing.deferred = Some((key, now));
            fx.push(Effect::WakeAfter(BURST));
            return;
        }
        super::incident_key(state, key, fx);
    }

    /// A held-back key whose time has come acts now.
    pub fn fire_due(state: &mut State, fx: &mut Vec<Effect>) {
        let due = state
            .typing
            .deferred
            .as_ref()
            .is_some_and(|(_, at)| !within(*at, state.now));
        if due && let Some((key, at)) = state.typing.deferred.take() {
            state.typing.burst.clear();
            if state.overlay.is_none() && state.screen == Screen::Incident {
                act(state, key, at, fx);
            }
        }
    }

    /// The app is closing: a key pressed just before acts now (the
    /// responder pressed it; a signal must not eat it).
    pub fn flush(state: &mut State, fx: &mut Vec<Effect>) {
        if let Some((key, at)) = state.typing.deferred.take()
            && state.overlay.is_none()
            && state.screen == Screen::Incident
        {
            act(state, key, at, fx);
        }
    }

    fn draft(state: &mut State, text: String) {
        state.typing.deferred = None;
        state.typing.burst.clear();
        // Keep typing into the draft: the keys that follow land in it.
        let start = state
            .session
            .as_mut()
            .and_then(|s| s.note_template.take())
            .unwrap_or_default();
        let mut overlay = prompt(
            PromptKind::Note,
            "Note",
            "Looked like typing, so it is a note: nothing ran. Enter saves · Esc discards",
            TextInput::new(&format!("{start}{text}"), true),
        );
        // What was typed is the responder's text: Esc asks before it goes.
        if let Overlay::Prompt(p) = &mut overlay {
            p.initial = start;
        }
        state.overlay = Some(overlay);
    }
}

fn incident_key(state: &mut State, key: KeyEvent, fx: &mut Vec<Effect>) {
    let Some(focus) = state.session.as_ref().map(|s| s.focus) else {
        state.screen = Screen::Picker;
        return;
    };
    let ctxs: &[Ctx] = &[Ctx::Incident, Ctx::Lists, Ctx::Global];
    let Some(cmd) = state.keymap.lookup(ctxs, &key) else {
        return;
    };
    // A read-only session (another Mayday holds the log, or it is damaged)
    // takes no key that would change the incident.
    if state
        .session
        .as_ref()
        .is_some_and(|s| s.read_only.is_some())
        && (cmd.changes_incident() || matches!(cmd, Cmd::Note | Cmd::StatusUpdate | Cmd::Cancel))
    {
        state.notices.push(Notice::info(
            "read-only: this incident is held by another Mayday (or its log is damaged); nothing here changes it",
        ));
        return;
    }
    let now = state.now;
    let every = state.session.as_ref().map_or_else(
        || state.settings.update_every(crate::runbook::Severity::High),
        |s| state.settings.update_every(s.incident.severity),
    );
    let page = page(state);
    match cmd {
        Cmd::Quit => return request_quit(state, fx),
        Cmd::Help => {
            state.overlay = Some(Overlay::Help { scroll: 0 });
            return;
        }
        _ => {}
    }
    let Some(s) = state.session.as_mut() else {
        return;
    };
    match cmd {
        Cmd::FocusNext | Cmd::FocusPrev => {
            let order = Pane::ORDER;
            let i = order.iter().position(|p| *p == focus).unwrap_or(0);
            let n = order.len();
            s.focus = if cmd == Cmd::FocusNext {
                order[(i + 1) % n]
            } else {
                order[(i + n - 1) % n]
            };
        }
        Cmd::Up | Cmd::Down | Cmd::PageUp | Cmd::PageDown | Cmd::Top | Cmd::Bottom => match focus {
            Pane::Steps => {
                let len = s.runbook.steps.len();
                move_sel(&mut s.list_selected, len, cmd, page);
            }
            Pane::Content => {
                let len = s.selectables().len();
                if len == 0 {
                    s.content_scroll = match cmd {
                        Cmd::Up => s.content_scroll.saturating_sub(1),
                        Cmd::Down => s.content_scroll.saturating_add(1),
                        Cmd::PageUp => s.content_scroll.saturating_sub(10),
                        Cmd::PageDown => s.content_scroll.saturating_add(10),
                        Cmd::Top => 0,
                        _ => s.content_scroll,
                    };
                } else {
                    // Past the last command or checklist item, ↓ and PgDn
                    // scroll on, to whatever the step says below it.
                    let last = s.item_selected + 1 >= len;
                    match cmd {
                        Cmd::Down if last => s.content_scroll = s.content_scroll.saturating_add(1),
                        Cmd::PageDown if last => {
                            s.content_scroll = s.content_scroll.saturating_add(10)
                        }
                        Cmd::Bottom => {
                            move_sel(&mut s.item_selected, len, cmd, page);
                            s.content_scroll = u16::MAX;
                        }
                        _ => {
                            s.content_scroll = 0;
                            move_sel(&mut s.item_selected, len, cmd, page);
                        }
                    }
                }
            }
            Pane::Log => {
                let max = s.events.len().saturating_sub(1);
                s.log_scroll = match cmd {
                    Cmd::Up => (s.log_scroll + 1).min(max),
                    Cmd::Down => s.log_scroll.saturating_sub(1),
                    Cmd::PageUp => (s.log_scroll + page).min(max),
                    Cmd::PageDown => s.log_scroll.saturating_sub(page),
                    Cmd::Top => max,
                    _ => 0,
                };
                // Everything below the view has been seen once it is shown.
                s.log_unseen = s.log_unseen.min(s.log_scroll);
            }
            Pane::Status => {
                let len = state.status.sources.len();
                move_sel(&mut state.status.selected, len, cmd, page);
            }
        },
        Cmd::Select => match focus {
            Pane::Steps => {
                let target = s.list_selected;
                enter_step(s, target, now, fx);
            }
            Pane::Content => {
                if let Some(Selectable::Checklist(i)) = s.selected_item() {
                    toggle_item(s, i, now, fx);
                }
            }
            Pane::Status => {
                if state.status.selected < state.status.sources.len() {
                    state.overlay = Some(Overlay::SourceDetails {
                        index: state.status.selected,
                        scroll: 0,
                    });
                }
            }
            Pane::Log => {}
        },
        Cmd::Run => request_run(state, now, fx),
        Cmd::SwitchRunbook => match s.runbook_update.take() {
            Some(new) => {
                let kind = EventKind::RunbookSwitched {
                    from_hash: s.runbook.hash.clone(),
                    to_hash: new.hash.clone(),
                };
                emit(s, kind, now, fx);
                s.trusted = state.trust.is_trusted(&new);
                s.runbook = new;
                s.item_selected = 0;
                s.list_selected = s.current_index();
                state.notices.clear();
                state
                    .notices
                    .push(Notice::info("switched to the changed runbook"));
            }
            None => state
                .notices
                .push(Notice::info("the runbook has not changed")),
        },
        Cmd::Cancel => match s.run.as_ref() {
            Some(r) if r.finished.is_none() && !r.dry_run => fx.push(Effect::CancelCommand),
            _ => state.notices.push(Notice::info("no command is running")),
        },
        Cmd::Copy => {
            let cur = s.current_index();
            let index = match s.selected_item() {
                Some(Selectable::Command(i)) => Some(i),
                _ => s
                    .runbook
                    .steps
                    .get(cur)
                    .and_then(|st| (!st.commands.is_empty()).then_some(0)),
            };
            match index.and_then(|i| s.runbook.steps.get(cur).and_then(|st| st.commands.get(i))) {
                Some(cmd) => {
                    // Copied as it would run: values quoted for the shell.
                    let text = crate::exec::expand_command(&cmd.text, &s.incident.variables)
                        .map_or_else(
                            |_| crate::exec::expand(&cmd.text, &s.incident.variables),
                            |t| t.text,
                        );
                    fx.push(Effect::Copy(text.clone()));
                    state.overlay = Some(Overlay::ShowText {
                        title: "Copied to the clipboard (OSC 52) — or copy it from here".into(),
                        text,
                    });
                }
                None => state
                    .notices
                    .push(Notice::info("this step has no command to copy")),
            }
        }
        Cmd::Trust => {
            if s.trusted {
                state
                    .notices
                    .push(Notice::info("this runbook is already trusted"));
            } else if s.runbook.hash.is_empty() {
                state.notices.push(Notice::warning(
                    "this runbook's file cannot be read to trust it",
                ));
            } else {
                // Trusting lets every runnable command in the file run: say
                // which file, and which content, and ask.
                state.overlay = Some(Overlay::ConfirmTrust {
                    path: s.runbook.path.clone(),
                    hash: s.runbook.hash.clone(),
                });
            }
        }
        Cmd::PollNow => {
            let target = match focus {
                Pane::Status => state
                    .status
                    .sources
                    .get(state.status.selected)
                    .map(|v| v.snapshot.name.clone()),
                _ => None,
            };
            if state.status.sources.is_empty() {
                state.notices.push(Notice::info(
                    "no status sources are configured (see docs/config.example.yaml)",
                ));
            } else {
                fx.push(Effect::PollNow(target));
            }
        }
        Cmd::NextStep => {
            let next = s.current_index() + 1;
            if next < s.runbook.steps.len() {
                enter_step(s, next, now, fx);
            }
        }
        Cmd::PrevStep => {
            let cur = s.current_index();
            if cur > 0 {
                enter_step(s, cur - 1, now, fx);
            }
        }
        Cmd::Toggle => {
            let item = match s.selected_item() {
                Some(Selectable::Checklist(i)) => Some(i),
                _ => first_unticked(s),
            };
            if let Some(i) = item {
                toggle_item(s, i, now, fx);
            }
        }
        Cmd::Done => {
            let cur = s.current_index();
            if let Some(step) = s.runbook.steps.get(cur) {
                let id = step.id.clone();
                emit(s, EventKind::StepDone { step: id }, now, fx);
                if cur + 1 < s.runbook.steps.len() {
                    enter_step(s, cur + 1, now, fx);
                }
            }
        }
        Cmd::Skip => {
            if let Some(step) = s.runbook.steps.get(s.current_index()) {
                let title = format!("Skip \"{}\"", step.title);
                state.overlay = Some(prompt(
                    PromptKind::SkipReason {
                        step: step.id.clone(),
                    },
                    title,
                    "Why skip it? The reason goes in the incident log. Enter saves, Esc cancels.",
                    TextInput::new("", false),
                ));
            }
        }
        Cmd::Choose(n) => choose(s, usize::from(n), now, fx, &mut state.notices),
        Cmd::Note => {
            let start = s.note_template.take().unwrap_or_default();
            state.overlay = Some(prompt(
                PromptKind::Note,
                "Note",
                "Enter saves · Alt-Enter or Ctrl-J: new line · Esc cancels",
                TextInput::new(&start, true),
            ));
        }
        Cmd::StatusUpdate => {
            // The runbook's own template where it has one (a `text` block
            // in the current, else the first, communicate step), variables
            // filled in; otherwise one built from the incident.
            let template =
                runbook_update_template(s).unwrap_or_else(|| status_update_template(s, now, every));
            state.overlay = Some(prompt(
                PromptKind::StatusUpdate,
                "Stakeholder status update",
                "Edit and post: it is logged and resets the reminder. Enter saves · Alt-Enter new line · Esc cancels",
                TextInput::new(&template, true),
            ));
        }
        Cmd::StartWait => start_wait(s, now, fx, &mut state.notices),
        Cmd::Mitigate => {
            if s.incident.phase == Phase::Open {
                emit(s, EventKind::Mitigated, now, fx);
            } else if s.incident.phase == Phase::Mitigated {
                // A slip of the finger can be taken back (and the log
                // says so).
                state.overlay = Some(Overlay::ConfirmRetract);
            } else {
                state.notices.push(Notice::info(format!(
                    "the incident is already {}",
                    s.incident.phase
                )));
            }
        }
        Cmd::Resolve => {
            if s.incident.phase == Phase::Resolved {
                state
                    .notices
                    .push(Notice::info("the incident is already resolved"));
            } else {
                // Resolving while something still says "not fixed" asks
                // first.
                let mut reasons: Vec<String> = state
                    .status
                    .sources
                    .iter()
                    .filter(|v| v.snapshot.state == crate::status::health::Health::Down)
                    .map(|v| format!("source `{}` is down", v.snapshot.name))
                    .collect();
                let pending: Vec<&str> = s
                    .runbook
                    .steps
                    .iter()
                    .filter(|st| {
                        matches!(
                            st.kind,
                            crate::runbook::StepKind::Mitigate | crate::runbook::StepKind::Rollback
                        ) && matches!(
                            s.incident.status(&st.id),
                            crate::incident::StepStatus::Pending
                                | crate::incident::StepStatus::Current
                        )
                    })
                    .map(|st| st.title.as_str())
                    .collect();
                if !pending.is_empty() {
                    reasons.push(format!(
                        "{} mitigation step(s) not done or skipped: {}",
                        pending.len(),
                        pending.join(", ")
                    ));
                }
                state.overlay = Some(if reasons.is_empty() {
                    resolve_prompt()
                } else {
                    Overlay::ConfirmResolve { reasons }
                });
            }
        }
        Cmd::Back if focus != Pane::Content => s.focus = Pane::Content,
        _ => {}
    }
}

fn resolve_prompt() -> Overlay {
    prompt(
        PromptKind::ResolveSummary,
        "Resolve the incident",
        "One line: what happened and what fixed it. Enter resolves, Esc cancels.",
        TextInput::new("", false),
    )
}

fn prompt(
    kind: PromptKind,
    title: impl Into<String>,
    help: impl Into<String>,
    input: TextInput,
) -> Overlay {
    Overlay::Prompt(Box::new(Prompt {
        kind,
        title: title.into(),
        help: help.into(),
        initial: input.text(),
        input,
        error: None,
        discard_armed: false,
    }))
}

/// Enter step `index`: logs `step_entered`.
fn enter_step(s: &mut Session, index: usize, now: Timestamp, fx: &mut Vec<Effect>) {
    let Some(step) = s.runbook.steps.get(index) else {
        return;
    };
    if s.incident.current_step.as_deref() == Some(step.id.as_str()) {
        s.list_selected = index;
        return;
    }
    let kind = EventKind::StepEntered {
        step: step.id.clone(),
        title: step.title.clone(),
    };
    emit(s, kind, now, fx);
    s.list_selected = index;
    s.content_scroll = 0;
    // The last step's output does not linger on this one (a command still
    // running keeps its pane until it ends).
    if s.run
        .as_ref()
        .is_some_and(|r| r.finished.is_some() || r.dry_run)
    {
        s.run = None;
    }
    // `r` right away runs this step's first runnable command.
    let step = &s.runbook.steps[index];
    s.item_selected = s
        .selectables()
        .iter()
        .position(|sel| matches!(sel, Selectable::Command(i) if step.commands.get(*i).is_some_and(|c| c.runnable)))
        .unwrap_or(0);
}

fn checked(s: &Session, step_index: usize, item: usize) -> bool {
    let Some(step) = s.runbook.steps.get(step_index) else {
        return false;
    };
    s.incident
        .progress(&step.id)
        .and_then(|p| p.checked.get(&item).copied())
        .unwrap_or_else(|| step.checklist.get(item).is_some_and(|c| c.checked))
}

fn first_unticked(s: &Session) -> Option<usize> {
    let cur = s.current_index();
    let step = s.runbook.steps.get(cur)?;
    (0..step.checklist.len()).find(|&i| !checked(s, cur, i))
}

fn toggle_item(s: &mut Session, item: usize, now: Timestamp, fx: &mut Vec<Effect>) {
    let cur = s.current_index();
    let Some(step) = s.runbook.steps.get(cur) else {
        return;
    };
    let Some(c) = step.checklist.get(item) else {
        return;
    };
    let kind = EventKind::ChecklistToggled {
        step: step.id.clone(),
        item,
        // As the screen showed it: variables substituted.
        text: crate::runbook::template::substitute(&c.text, &s.incident.variables),
        checked: !checked(s, cur, item),
    };
    emit(s, kind, now, fx);
    // Keep the selection on this item.
    if let Some(pos) = s
        .selectables()
        .iter()
        .position(|x| *x == Selectable::Checklist(item))
    {
        s.item_selected = pos;
    }
}

fn choose(
    s: &mut Session,
    n: usize,
    now: Timestamp,
    fx: &mut Vec<Effect>,
    notices: &mut Vec<Notice>,
) {
    let cur = s.current_index();
    let Some(step) = s.runbook.steps.get(cur) else {
        return;
    };
    if step.decisions.is_empty() {
        return;
    }
    let taken = s
        .incident
        .progress(&step.id)
        .map(|p| p.decisions.clone())
        .unwrap_or_default();
    let di = (0..step.decisions.len())
        .find(|d| !taken.contains_key(d))
        .unwrap_or(step.decisions.len() - 1);
    let decision = &step.decisions[di];
    let Some(choice) = decision.choices.get(n.wrapping_sub(1)) else {
        notices.push(Notice::info(format!(
            "there is no choice {n}: pick 1–{}",
            decision.choices.len()
        )));
        return;
    };
    let (step_id, label, goto) = (
        step.id.clone(),
        crate::runbook::template::substitute(&choice.label, &s.incident.variables),
        choice.goto.clone(),
    );
    let target = s.runbook.step_index(&goto);
    emit(
        s,
        EventKind::DecisionTaken {
            step: step_id.clone(),
            decision: di,
            choice: n - 1,
            label,
            goto: goto.clone(),
        },
        now,
        fx,
    );
    emit(s, EventKind::StepDone { step: step_id }, now, fx);
    match target {
        Some(t) => enter_step(s, t, now, fx),
        None => notices.push(Notice::warning(format!(
            "the choice leads to `{goto}`, which is not a step of this runbook"
        ))),
    }
}

fn start_wait(s: &mut Session, now: Timestamp, fx: &mut Vec<Effect>, notices: &mut Vec<Notice>) {
    let cur = s.current_index();
    let Some(step) = s.runbook.steps.get(cur) else {
        return;
    };
    let started = s
        .incident
        .progress(&step.id)
        .map(|p| p.waits.clone())
        .unwrap_or_default();
    let Some((index, wait)) = step
        .waits
        .iter()
        .enumerate()
        .find(|(i, _)| !started.contains_key(i))
    else {
        notices.push(Notice::info(if step.waits.is_empty() {
            "this step has no wait"
        } else {
            "every wait of this step has started"
        }));
        return;
    };
    let kind = EventKind::WaitStarted {
        step: step.id.clone(),
        index,
        seconds: wait.duration.as_secs(),
        reason: wait.reason.clone(),
    };
    emit(s, kind, now, fx);
}

fn runbook_update_template(s: &Session) -> Option<String> {
    use crate::runbook::StepKind;
    let is_text = |c: &&crate::runbook::Command| {
        !c.runnable
            && matches!(
                c.language
                    .as_deref()
                    .map(str::to_ascii_lowercase)
                    .as_deref(),
                Some("text" | "txt" | "plain" | "update")
            )
    };
    let current = s
        .runbook
        .steps
        .get(s.current_index())
        .filter(|st| st.kind == StepKind::Communicate);
    let step = current.or_else(|| {
        s.runbook
            .steps
            .iter()
            .find(|st| st.kind == StepKind::Communicate && st.commands.iter().any(|c| is_text(&c)))
    })?;
    let text = step.commands.iter().find(is_text)?;
    Some(crate::runbook::template::substitute(
        &text.text,
        &s.incident.variables,
    ))
}

fn status_update_template(s: &Session, now: Timestamp, every: std::time::Duration) -> String {
    let inc = &s.incident;
    let state = match inc.phase {
        Phase::Open => "investigating",
        Phase::Mitigated => "mitigated, monitoring",
        Phase::Resolved => "resolved",
    };
    let step = s
        .runbook
        .steps
        .get(s.current_index())
        .map_or("", |st| st.title.as_str());
    let elapsed = (now - inc.started_at).as_secs();
    format!(
        "[{}] {} — {state}. Started {} ago. Current step: {step}. Next update in {}.",
        inc.severity.sev(),
        inc.runbook_title,
        crate::util::duration::format(std::time::Duration::from_secs(
            elapsed.max(0).unsigned_abs()
        )),
        crate::util::duration::format(every),
    )
}

fn submit_prompt(state: &mut State, prompt: &Prompt, fx: &mut Vec<Effect>) -> Result<(), String> {
    let now = state.now;
    let text = prompt.input.text().trim().to_owned();
    let Some(s) = state.session.as_mut() else {
        return Ok(());
    };
    match &prompt.kind {
        PromptKind::SkipReason { step } => {
            if text.is_empty() {
                return Err("give a reason: it goes in the timeline".into());
            }
            let idx = s.runbook.step_index(step);
            emit(
                s,
                EventKind::StepSkipped {
                    step: step.clone(),
                    reason: text,
                },
                now,
                fx,
            );
            if let Some(i) = idx
                && i + 1 < s.runbook.steps.len()
            {
                enter_step(s, i + 1, now, fx);
            }
        }
        PromptKind::ResolveSummary => {
            if text.is_empty() {
                return Err("a one-line summary is required to resolve".into());
            }
            emit(
                s,
                EventKind::Resolved {
                    summary: text.replace('\n', " "),
                },
                now,
                fx,
            );
            score_rehearsal(state, fx);
        }
        PromptKind::Variable { name } => {
            if text.is_empty() {
                return Err(format!("`{name}` needs a value for this command"));
            }
            emit(
                s,
                EventKind::VariableSet {
                    name: name.clone(),
                    value: text,
                },
                now,
                fx,
            );
            // The command that asked for it goes on to its confirmation.
            request_run(state, now, fx);
        }
        PromptKind::Note | PromptKind::StatusUpdate => {
            if text.is_empty() {
                return Ok(());
            }
            let status_update = prompt.kind == PromptKind::StatusUpdate;
            emit(
                s,
                EventKind::Note {
                    text,
                    status_update,
                },
                now,
                fx,
            );
            if status_update {
                s.update_belled_for = None;
            }
        }
    }
    Ok(())
}

fn on_tick(state: &mut State, fx: &mut Vec<Effect>) {
    let now = state.now;
    if (now - state.notice_since).as_secs() >= INFO_SECONDS {
        state.notices.retain(|n| n.level != NoticeLevel::Info);
    }
    let Some(s) = state.session.as_mut() else {
        return;
    };
    let every = state.settings.update_every(s.incident.severity);
    if !s.incident.is_open() || s.read_only.is_some() {
        return;
    }
    // Waits that ran out.
    let mut finished = Vec::new();
    for (step, p) in &s.incident.steps {
        for (index, w) in &p.waits {
            let secs = i64::try_from(w.seconds).unwrap_or(i64::MAX / 2);
            if !w.finished && (now - w.started).as_secs() >= secs {
                finished.push((step.clone(), *index));
            }
        }
    }
    finished.sort();
    for (step, index) in finished {
        emit(
            s,
            EventKind::WaitFinished {
                step,
                index,
                cancelled: false,
            },
            now,
            fx,
        );
        fx.push(Effect::Bell);
    }
    check_verify(s, &state.status, now, fx);
    // The status update reminder rings once when it falls due.
    let due = s.update_due(every);
    if now >= due && s.update_belled_for != Some(due) {
        s.update_belled_for = Some(due);
        fx.push(Effect::Bell);
        state.notices.push(Notice {
            level: NoticeLevel::Warning,
            text: format!(
                "a stakeholder status update is due: press {} to post one",
                state.keymap.hint(Cmd::StatusUpdate)
            ),
        });
    }
}

// ---------------------------------------------------------------- status

/// A status source reported: keep it, log a change of state into the open
/// incident, and check verify conditions.
fn on_status(state: &mut State, u: crate::status::Update, fx: &mut Vec<Effect>) {
    let snap = u.snapshot;
    // A rehearsal's panel shows its simulated sources only.
    if state.rehearsal.is_some() && snap.kind != crate::status::Kind::Simulated {
        return;
    }
    let at = snap.checked_at;
    let board = &mut state.status;
    let index = match board
        .sources
        .iter()
        .position(|v| v.snapshot.name == snap.name)
    {
        Some(i) => i,
        None => {
            board.sources.push(super::state::SourceView {
                snapshot: snap.clone(),
                since: at,
                latencies: std::collections::VecDeque::new(),
            });
            board.sources.len() - 1
        }
    };
    let view = &mut board.sources[index];
    if view.snapshot.state != snap.state {
        view.since = at;
    }
    if let Some(ms) = snap.latency_ms {
        if view.latencies.len() >= super::state::LATENCY_HISTORY {
            view.latencies.pop_front();
        }
        view.latencies.push_back(ms);
    }
    view.snapshot = snap.clone();
    let had_alerts = !state.firing.is_empty() || !snap.alerts.is_empty();
    if let Some(s) = state.session.as_mut()
        && s.incident.is_open()
        && s.read_only.is_none()
    {
        log_source_state(s, &snap, at, fx);
        check_verify(s, &state.status, at.max(state.now), fx);
    }
    if had_alerts && state.screen == Screen::Picker {
        refilter(state);
    }
}

/// Log a source's state if it differs from the last state the log has for
/// it (the timeline writes itself; the same state twice is logged once).
fn log_source_state(
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

/// Log each verify condition of the current step the moment it holds: the
/// source is in the state, and has been for the condition's duration.
fn check_verify(
    s: &mut Session,
    board: &super::state::StatusBoard,
    now: Timestamp,
    fx: &mut Vec<Effect>,
) {
    if !s.incident.is_open() || s.read_only.is_some() {
        return;
    }
    let cur = s.current_index();
    let Some(step) = s.runbook.steps.get(cur) else {
        return;
    };
    let done: Vec<usize> = s
        .incident
        .progress(&step.id)
        .map(|p| p.verified.keys().copied().collect())
        .unwrap_or_default();
    let mut met = Vec::new();
    for (i, cond) in step.verify.iter().enumerate() {
        if done.contains(&i) {
            continue;
        }
        if let Some(v) = board.get(&cond.source)
            && v.snapshot.state == cond.state
        {
            let held = (now - v.since).as_secs().max(0);
            if held >= i64::try_from(cond.for_.as_secs()).unwrap_or(i64::MAX) {
                met.push(EventKind::VerifyMet {
                    step: step.id.clone(),
                    index: i,
                    source: cond.source.clone(),
                    state: cond.state,
                    for_secs: cond.for_.as_secs(),
                });
            }
        }
    }
    for kind in met {
        emit(s, kind, now, fx);
    }
}

// ---------------------------------------------------------------- commands

/// `r`: the selected runnable command (else the step's first runnable one),
/// expanded, logged as requested, then confirmed as the runbook asks.
fn request_run(state: &mut State, now: Timestamp, fx: &mut Vec<Effect>) {
    let dry = state.settings.dry_run;
    let timeout_default = state.settings.command_timeout;
    let shell = state.settings.shell.clone();
    let Some(s) = state.session.as_mut() else {
        return;
    };
    let cur = s.current_index();
    let Some(step) = s.runbook.steps.get(cur) else {
        return;
    };
    let index = match s.selected_item() {
        Some(Selectable::Command(i)) => Some(i),
        _ => step.commands.iter().position(|c| c.runnable),
    };
    let Some((index, cmd)) = index.and_then(|i| step.commands.get(i).map(|c| (i, c))) else {
        state
            .notices
            .push(Notice::info("this step has no runnable command"));
        return;
    };
    if !cmd.runnable {
        state.notices.push(Notice::info(format!(
            "this command is display-only (the runbook does not mark it runnable); press {} to copy it",
            state.keymap.hint(Cmd::Copy)
        )));
        return;
    }
    let forced_dry = dry || s.incident.dry_run || s.incident.rehearsal;
    if !s.trusted && !forced_dry {
        state.notices.push(Notice::warning(format!(
            "this runbook is not trusted, so its commands are display-only: press {} to trust this file (or run `mayday trust {}`)",
            state.keymap.hint(Cmd::Trust),
            s.runbook.path
        )));
        return;
    }
    if s.run.as_ref().is_some_and(|r| r.finished.is_none()) {
        state.notices.push(Notice::info(format!(
            "a command is still running; {} cancels it",
            state.keymap.hint(Cmd::Cancel)
        )));
        return;
    }
    if !s.incident.is_open() {
        state.notices.push(Notice::info("the incident is resolved"));
        return;
    }
    // A variable the command uses may not be blank (`kubectl -n  get
    // pods`): ask for it now, showing the command, then go on.
    let blank = crate::runbook::template::find(&cmd.text)
        .into_iter()
        .map(|r| r.name)
        .find(|n| {
            s.runbook.variables.iter().any(|v| v.name == *n)
                && s.incident
                    .variables
                    .get(*n)
                    .is_none_or(|v| v.trim().is_empty())
        })
        .map(str::to_owned);
    if let Some(name) = blank {
        let first = cmd.text.lines().next().unwrap_or("").to_owned();
        let label = s
            .runbook
            .variables
            .iter()
            .find(|v| v.name == name)
            .and_then(|v| v.prompt.clone())
            .unwrap_or_else(|| name.clone());
        state.overlay = Some(prompt(
            PromptKind::Variable { name: name.clone() },
            format!("`{name}` is needed to run this command"),
            format!(
                "{label} — for: {}. Enter sets it (logged) and goes on to run · Esc cancels",
                crate::util::sanitize::line(&first)
            ),
            TextInput::new("", false),
        ));
        return;
    }
    let expanded = match crate::exec::expand_command(&cmd.text, &s.incident.variables) {
        Ok(t) => t,
        Err(e) => {
            state.notices.push(Notice::error(format!("not run: {e}")));
            return;
        }
    };
    let text = expanded.text;
    let step_id = step.id.clone();
    let request = super::action::RunRequest {
        text: text.clone(),
        cwd: cmd
            .cwd
            .as_ref()
            .map(|c| crate::exec::expand(c, &s.incident.variables)),
        timeout: cmd.timeout,
        vars: s.incident.variables.clone(),
        dry_run: forced_dry,
        ok_exit: cmd.ok_exit.clone(),
    };
    let phrase = crate::exec::expand(
        cmd.phrase.as_deref().unwrap_or(s.runbook.default_phrase()),
        &s.incident.variables,
    );
    // A raw fragment is the runbook's own choice, but never unasked.
    let level = if expanded.raw {
        match cmd.confirm {
            crate::runbook::Confirm::None => crate::runbook::Confirm::Confirm,
            other => other,
        }
    } else {
        cmd.confirm
    };
    let spec = crate::exec::CommandSpec {
        text: text.clone(),
        shell,
        cwd: request.cwd.as_ref().map(std::path::PathBuf::from),
        vars: request.vars.clone(),
        timeout: request.timeout.unwrap_or(timeout_default),
        scrub_env: Vec::new(),
        secrets: Vec::new(),
        ok_exit: request.ok_exit.clone(),
    };
    let mut preview = crate::exec::preview(&spec);
    if expanded.raw {
        preview.push(
            "RAW: the runbook pastes a value unquoted ({{name|raw}}): read the command above"
                .into(),
        );
    }
    if request.dry_run {
        preview.push("DRY RUN: nothing will be executed; the log records it as a dry run".into());
    }
    emit(
        s,
        EventKind::CommandRequested {
            step: step_id.clone(),
            index,
            text: text.clone(),
        },
        now,
        fx,
    );
    let c = super::state::Confirmation {
        step: step_id,
        index,
        text,
        preview,
        level,
        phrase,
        typed: TextInput::new("", false),
        error: None,
        request,
    };
    if level == crate::runbook::Confirm::None {
        run_confirmed(state, &c, fx);
    } else {
        state.overlay = Some(Overlay::Confirm(Box::new(c)));
    }
}

fn run_confirmed(state: &mut State, c: &super::state::Confirmation, fx: &mut Vec<Effect>) {
    let now = state.now;
    let timeout = c.request.timeout.unwrap_or(state.settings.command_timeout);
    let Some(s) = state.session.as_mut() else {
        return;
    };
    emit(
        s,
        EventKind::CommandConfirmed {
            step: c.step.clone(),
            index: c.index,
        },
        now,
        fx,
    );
    s.run = Some(super::state::RunView {
        step: c.step.clone(),
        index: c.index,
        text: c.text.clone(),
        started_at: now,
        pid: None,
        dry_run: c.request.dry_run,
        output: std::collections::VecDeque::new(),
        partial: String::new(),
        finished: None,
        timeout,
        shell: None,
    });
    fx.push(Effect::RunCommand(c.request.clone()));
}

/// What the running command reported.
fn on_exec(state: &mut State, event: crate::exec::ExecEvent, fx: &mut Vec<Effect>) {
    use crate::exec::ExecEvent;
    let now = state.now;
    let Some(s) = state.session.as_mut() else {
        return;
    };
    let Some(run) = s.run.as_mut() else { return };
    match event {
        ExecEvent::Started { pid, shell } => {
            run.pid = pid;
            run.shell.clone_from(&shell);
            let kind = EventKind::CommandStarted {
                step: run.step.clone(),
                index: run.index,
                text: run.text.clone(),
                pid,
                cwd: std::env::current_dir()
                    .map(|d| d.display().to_string())
                    .unwrap_or_default(),
                timeout_secs: run.timeout.as_secs(),
                dry_run: run.dry_run,
                shell,
            };
            emit(s, kind, now, fx);
        }
        ExecEvent::Output { text, .. } => {
            for (i, piece) in text.split('\n').enumerate() {
                if i > 0 {
                    let line = std::mem::take(&mut run.partial);
                    if run.output.len() >= super::state::OUTPUT_LINES {
                        run.output.pop_front();
                    }
                    run.output.push_back(line);
                }
                run.partial.push_str(piece);
            }
        }
        ExecEvent::Finished(f) => {
            if !run.partial.is_empty() {
                let line = std::mem::take(&mut run.partial);
                run.output.push_back(line);
            }
            let kind = EventKind::CommandFinished {
                step: run.step.clone(),
                index: run.index,
                exit_code: f.exit_code,
                signal: f.signal,
                duration_ms: u64::try_from(f.duration.as_millis()).unwrap_or(u64::MAX),
                timed_out: f.timed_out,
                cancelled: f.cancelled,
                dry_run: f.dry_run,
                output_tail: f.tail.clone(),
                output_truncated: f.truncated,
                ok: (!f.dry_run).then_some(f.ok),
                failed_line: f.failed_line,
                failed_command: f
                    .failed_line
                    .and_then(|l| run.text.lines().nth(l.saturating_sub(1) as usize))
                    .map(|l| l.trim().to_owned()),
                abandoned_at_quit: false,
            };
            let failed = !f.succeeded() && !f.dry_run;
            let how = if f.timed_out {
                "timed out".to_owned()
            } else if f.cancelled {
                "was cancelled".to_owned()
            } else if let Some(e) = &f.spawn_error {
                format!("could not start ({e})")
            } else if let Some(code) = f.exit_code {
                format!("exited with {code}")
            } else if let Some(sig) = f.signal {
                format!("was killed by signal {sig}")
            } else {
                "failed".to_owned()
            };
            // Name the command that failed: the line the shell reported,
            // else the block's only line, else the block.
            let first = match f.failed_line {
                Some(l) => run
                    .text
                    .lines()
                    .nth(l.saturating_sub(1) as usize)
                    .unwrap_or("")
                    .trim()
                    .to_owned(),
                None if run.text.lines().count() == 1 => run.text.trim().to_owned(),
                None => format!("{} …", run.text.lines().next().unwrap_or("").trim()),
            };
            run.finished = Some(f);
            emit(s, kind, now, fx);
            if failed {
                s.note_template = Some(format!("`{first}` {how}: "));
                state.notices.push(Notice::warning(format!(
                    "the command {how}; press {} to note what it means",
                    state.keymap.hint(Cmd::Note)
                )));
            }
        }
    }
}
