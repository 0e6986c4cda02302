//! Time and the outside world, routed: a poll result goes onto the status
//! board, into the open incident's log when the source's state changed,
//! and through the current step's verify conditions; the clock tick fades
//! notices and lets the incident's waits, verify conditions and update
//! reminder fall due.

use crate::app::action::{Effect, Notice, NoticeLevel};
use crate::app::context::Screen;
use crate::app::screens::incident;
use crate::app::session::{log_alert_state, log_source_state};
use crate::app::state::State;

/// How long an informational notice stays up.
const INFO_SECONDS: i64 = 8;
/// How often the picker asks the sync server for shared incidents (seconds).
const SHARED_EVERY: i64 = 10;

/// A status source reported: keep it, log a change of state into the open
/// incident, and check verify conditions.
pub fn on_status(state: &mut State, u: crate::status::Update, fx: &mut Vec<Effect>) {
    let snap = u.snapshot;
    // A rehearsal's panel shows its simulated sources only.
    if state.rehearsal.is_some() && snap.kind != crate::status::Kind::Simulated {
        return;
    }
    let at = snap.checked_at;
    state.status.record(&snap);
    let had_alerts = !state.picker.firing.is_empty() || !snap.alerts.is_empty();
    if let Some(s) = state.session.as_mut()
        && s.incident.is_open()
        && s.read_only.is_none()
    {
        log_source_state(s, &snap, at, fx);
        log_alert_state(s, &snap, at, fx);
        incident::steps::check_verify(s, &state.status, at.max(state.now), fx);
    }
    if had_alerts && state.screen == Screen::Picker {
        let before: Vec<String> = state.picker.firing.iter().map(|f| f.key.clone()).collect();
        state.refilter();
        // The cursor stays on the row the responder chose: new alerts are
        // announced instead of moving it.
        if state.picker.selected_key.is_some() {
            let new: Vec<String> = state
                .picker
                .firing
                .iter()
                .filter(|f| !before.contains(&f.key))
                .map(|f| match &f.alert.page {
                    Some(p) => format!("page #{} {}", p.number, f.alertname),
                    None => f.alertname.clone(),
                })
                .collect();
            if !new.is_empty() {
                state.notices.push(Notice::warning(format!(
                    "now firing: {} — at the top of the list",
                    new.join(", ")
                )));
            }
        }
    }
}

/// The clock ticked.
pub fn on_tick(state: &mut State, fx: &mut Vec<Effect>) {
    if (state.now - state.notice_since).as_secs() >= INFO_SECONDS {
        state.notices.retain(|n| n.level != NoticeLevel::Info);
    }
    // On the picker, incidents others share appear as they start.
    if state.screen == Screen::Picker && (state.now - state.shared_asked).as_secs() >= SHARED_EVERY
    {
        state.shared_asked = state.now;
        fx.push(Effect::ListShared);
    }
    let mut cx = cx!(state, fx);
    if let Some(s) = state.session.as_mut() {
        incident::steps::tick(s, &mut cx);
    }
}
