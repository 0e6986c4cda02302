//! The step list: every step with its kind and progress, the current one
//! marked.

use crate::app::session::{Pane, Session};
use crate::app::widgets::kit::{block, kind_span, s, step_icon};
use crate::incident::StepStatus;
use crate::ui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Draw the step list.
pub fn draw_steps(s_: &Session, theme: &Theme, frame: &mut Frame, area: Rect, wide: bool) {
    let done = s_
        .runbook
        .steps
        .iter()
        .filter(|st| {
            matches!(
                s_.incident.status(&st.id),
                StepStatus::Done | StepStatus::Skipped
            )
        })
        .count();
    let focused = s_.focus == Pane::Steps;
    let b = block(
        theme,
        format!(" Steps {done}/{} ", s_.runbook.steps.len()),
        focused,
    );
    let inner = b.inner(area);
    frame.render_widget(b, area);
    let current = s_.current_index();
    let h = usize::from(inner.height);
    let anchor = if focused { s_.list_selected } else { current };
    let start = anchor
        .saturating_sub(h.saturating_sub(1) / 2)
        .min(s_.runbook.steps.len().saturating_sub(h));
    let mut lines = Vec::new();
    for (i, step) in s_.runbook.steps.iter().enumerate().skip(start).take(h) {
        let mut status = s_.incident.status(&step.id);
        if i == current && status == StepStatus::Pending {
            status = StepStatus::Current;
        }
        let (icon, scope) = step_icon(status);
        let is_current = i == current;
        let mut base = theme.style(scope);
        if focused && i == s_.list_selected {
            base = base.patch(theme.style("ui.selected"));
        }
        let mut spans = vec![
            Span::styled(format!("{icon}{:>2} ", i + 1), base),
            kind_span(step.kind, theme, wide).patch_style(if focused && i == s_.list_selected {
                theme.style("ui.selected")
            } else {
                Style::default()
            }),
        ];
        // Other responders on this step (a shared incident).
        let others: Vec<&str> = s_
            .incident
            .positions
            .iter()
            .filter(|(who, at)| **at == step.id && who.as_str() != s_.incident.responder())
            .map(|(who, _)| who.as_str())
            .collect();
        if !others.is_empty() {
            // Before the kind and title, so a narrow pane still shows it.
            spans.insert(
                1,
                Span::styled(format!("{} ", s(&others.join(","))), theme.style("ui.key")),
            );
        }
        let title_style = if is_current {
            base.add_modifier(Modifier::BOLD)
        } else {
            base
        };
        spans.push(Span::styled(s(&step.title), title_style));
        lines.push(Line::from(spans));
    }
    if s_.runbook.steps.is_empty() {
        lines.push(Line::styled(
            "this runbook has no steps",
            theme.style("ui.muted"),
        ));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
