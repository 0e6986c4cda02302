//! The incident's text prompts: what a stakeholder update starts from (the
//! runbook's own template, else one built from the incident), and what a
//! submitted prompt logs.

use super::steps::enter_step;
use crate::app::context::Cx;
use crate::app::overlays::{Prompt, PromptKind};
use crate::app::session::{Session, emit};
use crate::incident::{EventKind, Phase};
use jiff::Timestamp;

/// The runbook's own status-update template: a `text` block in the current (else the first)
/// communicate step, variables filled in.
pub fn runbook_update_template(s: &Session) -> Option<String> {
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

/// A status update built from the incident: severity, title, phase, elapsed time, current step,
/// when the next is due.
pub fn status_update_template(s: &Session, now: Timestamp, every: std::time::Duration) -> String {
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

/// Log what a prompt submitted (or say why it cannot be: the prompt
/// stays open with the reason).
pub fn submit(s: &mut Session, cx: &mut Cx, prompt: &Prompt) -> Result<(), String> {
    let now = cx.now;
    let text = prompt.input.text().trim().to_owned();
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
                cx.fx,
            );
            if let Some(i) = idx
                && i + 1 < s.runbook.steps.len()
            {
                enter_step(s, i + 1, now, cx.fx);
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
                cx.fx,
            );
            super::calls::offer_wrap_up(s, cx);
        }
        PromptKind::Silence { source } => super::calls::submit_silence(s, cx, source, &text)?,
        PromptKind::Role => super::roles::submit(s, cx, &text)?,
        PromptKind::Evidence => super::queries::submit(s, cx, &text),
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
                cx.fx,
            );
            // The command that asked for it goes on to its confirmation.
            super::run::request(s, cx);
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
                cx.fx,
            );
            if status_update {
                s.update_belled_for = None;
            }
        }
    }
    Ok(())
}
