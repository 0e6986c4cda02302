//! The incident log pane: the last screenful of events (whatever the log's
//! length), each with its time, T+ offset and saved mark.

use crate::app::session::{Pane, Session};
use crate::app::widgets::kit::{Vcx, block};
use crate::incident::{Event, EventKind};
use crate::ui::theme::Theme;
use crate::util::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// One log line: absolute time, elapsed, saved marker, description.
fn log_line<'a>(env: &Vcx, s_: &Session, e: &Event, theme: &Theme, wide: bool) -> Line<'a> {
    let elapsed = (e.at - s_.incident.started_at).as_secs();
    let saved = e.seq <= s_.saved_seq;
    // Shared incidents: a second mark, shared (acknowledged by the server,
    // or fetched from it) or queued; others' events say who.
    let (shared, who) = match &s_.sync {
        Some(v) if v.is_shared(e) => ("⇅", true),
        Some(_) => ("·", true),
        None => ("", false),
    };
    let (mark, mark_style) = if saved {
        ("✓", theme.style("ui.muted"))
    } else if s_.save_error.is_some() {
        ("✗", theme.style("log.error"))
    } else {
        ("…", theme.style("log.pending"))
    };
    let scope = match &e.kind {
        EventKind::Note { .. } => "log.note",
        EventKind::StatusChanged { .. }
        | EventKind::VerifyMet { .. }
        | EventKind::AlertChanged { .. } => "log.status",
        EventKind::CommandRequested { .. }
        | EventKind::CommandConfirmed { .. }
        | EventKind::CommandDeclined { .. }
        | EventKind::CommandStarted { .. }
        | EventKind::CommandFinished { .. } => "log.command",
        EventKind::StepEntered { .. }
        | EventKind::StepDone { .. }
        | EventKind::StepSkipped { .. } => "log.step",
        EventKind::LogRecovered { .. } => "log.error",
        _ => "log.text",
    };
    let time = if wide {
        e.at.to_zoned_datetime(env.tz.clone())
            .strftime("%Y-%m-%d %H:%M:%S")
            .to_string()
    } else {
        e.at.to_zoned_datetime(env.tz.clone())
            .strftime("%H:%M:%S")
            .to_string()
    };
    Line::from(vec![
        Span::styled(format!("{time} "), theme.style("log.time")),
        Span::styled(
            format!("T+{} ", crate::util::duration::clock(elapsed)),
            theme.style("log.time"),
        ),
        Span::styled(format!("{mark}{shared} "), mark_style),
        Span::styled(
            sanitize::line(
                &if who && e.by != s_.incident.responder() && !e.by.is_empty() {
                    format!("{}: {}", e.by, e.kind.describe())
                } else {
                    e.kind.describe()
                },
            )
            .into_owned(),
            theme.style(scope),
        ),
    ])
}

/// Draw the incident log pane.
pub fn draw_log(env: &Vcx, s_: &Session, theme: &Theme, frame: &mut Frame, area: Rect) {
    let focused = s_.focus == Pane::Log;
    let unsaved = s_.incident.last_seq.saturating_sub(s_.saved_seq);
    let mut title = if unsaved > 0 {
        format!(
            " Incident log · {} events · {unsaved} saving… ",
            s_.events.len()
        )
    } else {
        format!(" Incident log · {} events · all saved ", s_.events.len())
    };
    if let Some(p) = s_.positions() {
        title.push_str(&format!("· {p} "));
    }
    let mut b = block(theme, title, focused);
    if s_.log_scroll > 0 {
        // Scrolled up: the view stays put; say what arrived below.
        let below = if s_.log_unseen > 0 {
            format!(" ↓ {} new below · End follows ", s_.log_unseen)
        } else {
            format!(" ↓ {} below · End follows ", s_.log_scroll)
        };
        b = b.title_bottom(Line::styled(below, theme.style("ui.banner.info")).right_aligned());
    }
    let inner = b.inner(area);
    frame.render_widget(b, area);
    let h = usize::from(inner.height);
    let end = s_.events.len().saturating_sub(s_.log_scroll);
    let start = end.saturating_sub(h);
    let wide = inner.width >= 110;
    let lines: Vec<Line> = s_.events[start..end]
        .iter()
        .map(|e| log_line(env, s_, e, theme, wide))
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
