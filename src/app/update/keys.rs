//! Keys and pastes, routed: an open overlay takes them first (its answer is
//! carried out here), else the screen on show. Screens get a [`Cx`] lent
//! from the state and hand back [`Request`]s, which are carried out here
//! too.

use crate::app::action::Effect;
use crate::app::context::{Request, Screen};
use crate::app::overlays::{self, Answer, Overlay, PromptKind};
use crate::app::screens::{incident, picker, review, start};
use crate::app::session::{abandon_running, emit};
use crate::app::state::State;
use crate::app::widgets::input::paste_line_ends;
use crate::incident::{EventKind, Phase};
use crate::runbook::Runbook;
use crossterm::event::{KeyCode, KeyEvent};
use std::sync::Arc;

/// A paste goes into the text field that has the focus.
pub fn on_paste(state: &mut State, text: &str) {
    let normalized = paste_line_ends(text);
    let text = normalized.as_ref();
    if let Some(Overlay::Prompt(p)) = state.overlay.as_mut() {
        p.input.paste(text);
        return;
    }
    match state.screen {
        Screen::Picker => {
            state.picker.filtering = true;
            state.picker.filter.paste(text);
            state.refilter();
        }
        Screen::Start => {
            if let Some(f) = state.start.as_mut().and_then(|f| f.fields.get_mut(f.focus)) {
                f.input.paste(text);
            }
        }
        Screen::Incident | Screen::Review => {}
    }
}

/// A key: Esc first dismisses notices; an overlay takes it before the
/// screen.
pub fn on_key(state: &mut State, key: KeyEvent, fx: &mut Vec<Effect>) {
    if state.quitting {
        return;
    }
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
        return on_overlay_key(state, overlay, key, fx);
    }
    let replaying = state.review.as_ref().is_some_and(|r| r.replay.is_some());
    let mut again = None;
    let requests = {
        let mut cx = cx!(state, fx);
        match state.screen {
            Screen::Picker => picker::on_key(&mut state.picker, &mut cx, key),
            Screen::Start => start::on_key(&mut state.start, &mut cx, key),
            Screen::Incident if replaying => {
                review::on_key(&mut state.review, &mut state.session, &mut cx, key)
            }
            Screen::Incident => match state.session.as_mut() {
                Some(s) if state.review.is_none() => {
                    again = incident::typing::on_key(&mut state.typing, s, &mut cx, key);
                }
                Some(s) => incident::on_key(s, &mut cx, key),
                None => cx.request(Request::Show(Screen::Picker)),
            },
            Screen::Review => review::on_key(&mut state.review, &mut state.session, &mut cx, key),
        }
        cx.requests
    };
    apply(state, requests, fx);
    if let Some(key) = again {
        on_key(state, key, fx);
    }
}

/// Carry out what a screen asked for.
pub fn apply(state: &mut State, requests: Vec<Request>, fx: &mut Vec<Effect>) {
    for r in requests {
        match r {
            Request::Quit => quit_now(state, fx),
            Request::AskQuit => request_quit(state, fx),
            Request::Show(screen) => state.screen = screen,
            Request::OpenStart(rb) => open_start(state, rb, fx),
            Request::StartFromAlert(rb, alert) => {
                let more = {
                    let mut cx = cx!(state, fx);
                    start::open_from_alert(&mut state.start, rb, *alert, &mut cx);
                    cx.requests
                };
                apply(state, more, fx);
            }
            Request::Rehearse(g) => {
                let more = {
                    let mut cx = cx!(state, fx);
                    start::rehearse(&mut state.start, g, &mut cx);
                    cx.requests
                };
                apply(state, more, fx);
            }
            Request::Refilter => state.refilter(),
        }
    }
}

fn on_overlay_key(state: &mut State, overlay: Overlay, key: KeyEvent, fx: &mut Vec<Effect>) {
    let unsaved_unrescued = state
        .session
        .as_ref()
        .is_some_and(|s| s.unsaved() > 0 && s.rescue_current().is_none());
    let mut keys = overlays::Keys {
        keymap: &state.keymap,
        board: &state.status,
        unsaved_unrescued,
        fx,
    };
    match overlays::on_key(overlay, key, &mut keys) {
        Ok(kept) => state.overlay = kept,
        Err(answer) => answered(state, answer, fx),
    }
}

/// Carry out an overlay's answer.
fn answered(state: &mut State, answer: Answer, fx: &mut Vec<Effect>) {
    let now = state.now;
    match answer {
        Answer::Run(c) => {
            let requests = {
                let mut cx = cx!(state, fx);
                if let Some(s) = state.session.as_mut() {
                    incident::run::confirmed(s, &mut cx, &c);
                }
                cx.requests
            };
            apply(state, requests, fx);
        }
        Answer::Decline(c) => {
            if let Some(s) = state.session.as_mut() {
                let kind = EventKind::CommandDeclined {
                    step: c.step.clone(),
                    index: c.index,
                };
                emit(s, kind, now, fx);
            }
        }
        Answer::ResolveAnyway => state.overlay = Some(overlays::resolve_prompt()),
        Answer::StartSecond(rb, None) => open_start(state, rb, fx),
        Answer::StartSecond(rb, Some(alert)) => {
            apply(state, vec![Request::StartFromAlert(rb, alert)], fx)
        }
        Answer::Retract => {
            if let Some(s) = state.session.as_mut()
                && s.incident.phase == Phase::Mitigated
            {
                emit(s, EventKind::MitigationRetracted, now, fx);
            }
        }
        Answer::Quit => quit_now(state, fx),
        Answer::Submit(mut prompt) => {
            let resolved = prompt.kind == PromptKind::ResolveSummary;
            let (result, requests) = {
                let mut cx = cx!(state, fx);
                let result = match state.session.as_mut() {
                    Some(s) => incident::prompts::submit(s, &mut cx, &prompt),
                    None => Ok(()),
                };
                (result, cx.requests)
            };
            match result {
                Ok(()) if resolved => super::rehearsal::score(state, fx),
                Ok(()) => {}
                Err(e) => {
                    prompt.error = Some(e);
                    state.overlay = Some(Overlay::Prompt(prompt));
                }
            }
            apply(state, requests, fx);
        }
    }
}

/// Quit: an open incident gets `session_ended` and stays open.
pub fn quit_now(state: &mut State, fx: &mut Vec<Effect>) {
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

/// Quit, asking first when an incident of ours is open.
fn request_quit(state: &mut State, fx: &mut Vec<Effect>) {
    match &state.session {
        // Read-only: nothing of ours is open, nothing to lose.
        Some(s) if s.incident.is_open() && s.read_only.is_none() => {
            state.overlay = Some(Overlay::ConfirmQuit)
        }
        _ => quit_now(state, fx),
    }
}

/// Open the start form for a runbook (with every value preset, the
/// incident starts at once).
pub fn open_start(state: &mut State, runbook: Arc<Runbook>, fx: &mut Vec<Effect>) {
    let requests = {
        let mut cx = cx!(state, fx);
        start::open(&mut state.start, runbook, &mut cx);
        cx.requests
    };
    apply(state, requests, fx);
}

/// Rehearse a game-day scenario: its variables and severity are given, so
/// with nothing else to ask it opens straight into the incident.
pub fn start_gameday(
    state: &mut State,
    scenario: Arc<crate::gameday::Scenario>,
    fx: &mut Vec<Effect>,
) {
    apply(
        state,
        vec![crate::app::context::Request::Rehearse(scenario)],
        fx,
    );
}
