//! What the responder does to steps, and what time does to them: enter a
//! step, tick a checklist item, take a decision, start a wait; waits that
//! run out and verify conditions that hold are logged on the tick.

use crate::app::action::{Effect, Notice, NoticeLevel};
use crate::app::board::StatusBoard;
use crate::app::context::Cx;
use crate::app::session::{Selectable, Session, emit};
use crate::incident::EventKind;
use crate::ui::keymap::Cmd;
use jiff::Timestamp;

/// Enter step `index`: logs `step_entered`.
pub fn enter_step(s: &mut Session, index: usize, now: Timestamp, fx: &mut Vec<Effect>) {
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

/// Is checklist item `item` of step `step_index` ticked (in the log, else in the file)?
pub fn checked(s: &Session, step_index: usize, item: usize) -> bool {
    let Some(step) = s.runbook.steps.get(step_index) else {
        return false;
    };
    s.incident
        .progress(&step.id)
        .and_then(|p| p.checked.get(&item).copied())
        .unwrap_or_else(|| step.checklist.get(item).is_some_and(|c| c.checked))
}

/// The current step's first unticked checklist item.
pub fn first_unticked(s: &Session) -> Option<usize> {
    let cur = s.current_index();
    let step = s.runbook.steps.get(cur)?;
    (0..step.checklist.len()).find(|&i| !checked(s, cur, i))
}

/// Tick or untick a checklist item of the current step.
pub fn toggle_item(s: &mut Session, item: usize, now: Timestamp, fx: &mut Vec<Effect>) {
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

/// Take choice `n` (1-based) of the current step's next open decision, and go where it leads.
pub fn choose(
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

/// Start the current step's next wait.
pub fn start_wait(
    s: &mut Session,
    now: Timestamp,
    fx: &mut Vec<Effect>,
    notices: &mut Vec<Notice>,
) {
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

/// Log each verify condition of the current step the moment it holds: the
/// source is in the state, and has been for the condition's duration.
pub fn check_verify(s: &mut Session, board: &StatusBoard, now: Timestamp, fx: &mut Vec<Effect>) {
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

/// Time passed: waits that ran out end, verify conditions that now hold
/// are logged, and the stakeholder-update reminder rings once when due.
pub fn tick(s: &mut Session, cx: &mut Cx) {
    let now = cx.now;
    let every = cx.settings.update_every(s.incident.severity);
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
            cx.fx,
        );
        cx.fx.push(Effect::Bell);
    }
    check_verify(s, cx.status, now, cx.fx);
    // The status update reminder rings once when it falls due.
    let due = s.update_due(every);
    if now >= due && s.update_belled_for != Some(due) {
        s.update_belled_for = Some(due);
        cx.fx.push(Effect::Bell);
        cx.notices.push(Notice {
            level: NoticeLevel::Warning,
            text: format!(
                "a stakeholder status update is due: press {} to post one",
                cx.keymap.hint(Cmd::StatusUpdate)
            ),
        });
    }
}
