//! Live query blocks on the incident screen: keeping the current step's
//! blocks asked while it is on screen, taking answers in (the first of a
//! visit, and every snapshot, becomes an `evidence` event), and `E`, which
//! attaches a fresh snapshot with a comment.

use crate::app::action::{Effect, Notice};
use crate::app::context::Cx;
use crate::app::evidence::{Inputs, QueryAnswered};
use crate::app::overlays::{PromptKind, open_prompt};
use crate::app::session::{Session, emit};
use crate::app::settings::Settings;
use crate::app::widgets::input::TextInput;
use crate::incident::EventKind;
use jiff::Timestamp;

/// Ask what is due for the step on screen (`on_screen`: the incident
/// screen shows this session's current step). Off screen, the board is
/// emptied, so nothing is asked and late answers are dropped.
pub fn refresh(
    s: &mut Session,
    settings: &Settings,
    now: Timestamp,
    on_screen: bool,
    fx: &mut Vec<Effect>,
) {
    let live = on_screen && !s.is_resolved() && !settings.queryable.is_empty();
    // The step pane shows the current step (the first before any).
    let step = s.runbook.steps.get(s.current_index()).filter(|_| live);
    // Called after every action: a step without query blocks (most of
    // them) and an empty board cost nothing more.
    if step.is_none_or(|st| st.queries().next().is_none())
        && s.queries.step.is_none()
        && s.queries.views.is_empty()
    {
        return;
    }
    let labels = s
        .incident
        .alert
        .as_ref()
        .map(|a| crate::runbook::template::label_placeholders(&a.labels))
        .unwrap_or_default();
    let inputs = Inputs {
        incident: &s.incident.id,
        runbook: &s.runbook,
        sources: &settings.queryable,
        vars: &s.incident.variables,
        labels: &labels,
        now,
    };
    for r in s.queries.refresh(step, &inputs) {
        fx.push(Effect::Query(Box::new(r)));
    }
}

/// An answer came back: shown, and written as evidence when it is the
/// visit's first or a snapshot.
pub fn answered(s: &mut Session, a: QueryAnswered, now: Timestamp, fx: &mut Vec<Effect>) {
    if a.request.incident != s.incident.id {
        return;
    }
    if let Some(e) = s.queries.answered(a, now) {
        emit(s, EventKind::Evidence(Box::new(e)), now, fx);
    }
}

/// `E`: ask for a comment, then snapshot every live block of the step.
pub fn ask(s: &Session, cx: &mut Cx) {
    let live = s
        .queries
        .views
        .iter()
        .filter(|v| v.expr.is_some() && v.source.is_some())
        .count();
    if live == 0 {
        let why = if cx.settings.queryable.is_empty() {
            "no live queries: configure a `prometheus` or `loki` source (docs/status-sources.md)"
        } else {
            "this step has no live query (a ```promql or ```logql block with its values given)"
        };
        return cx.notices.push(Notice::info(why));
    }
    *cx.overlay = Some(open_prompt(
        PromptKind::Evidence,
        "Attach evidence",
        format!(
            "A fresh snapshot of the step's {live} live quer{} goes into the timeline. A comment (optional): what it shows. Enter: attach, Esc: cancel.",
            if live == 1 { "y" } else { "ies" }
        ),
        TextInput::new("", false),
    ));
}

/// The comment prompt was submitted.
pub fn submit(s: &mut Session, cx: &mut Cx, text: &str) {
    let comment = Some(text.trim().to_owned()).filter(|c| !c.is_empty());
    let n = s.queries.snapshot(None, comment);
    cx.notices.push(Notice::info(format!(
        "asking {n} quer{} again; the answer goes into the timeline",
        if n == 1 { "y" } else { "ies" }
    )));
}
