//! Game days, as the router runs them: an opened rehearsal loads its
//! script, the script's changes go through the real status path, and a
//! resolved rehearsal is scored.

use crate::app::action::{Effect, Notice};
use crate::app::overlays::Overlay;
use crate::app::session::{Session, emit};
use crate::app::state::State;
use crate::incident::EventKind;

/// An incident opened: if it is a rehearsal, load its script (the one just
/// started from, or the scenario by id when resumed) and show only
/// simulated sources.
pub fn start(state: &mut State, session: &Session) {
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
pub fn drive(state: &mut State, fx: &mut Vec<Effect>) {
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
                super::status::on_status(state, crate::status::Update::new(snap), fx);
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
pub fn score(state: &mut State, fx: &mut Vec<Effect>) {
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

/// The score card as text (shown in an overlay when the rehearsal ends).
fn score_text(lines: &[crate::incident::ScoreLine]) -> String {
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
