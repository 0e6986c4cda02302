//! The status panel and the per-source details: drawn from a
//! [`StatusBoard`](crate::app::board::StatusBoard) by the incident screen
//! and by replay alike.

use crate::app::session::{Pane, Session};
use crate::app::widgets::kit::{Vcx, block, health_scope, s};
use crate::ui::theme::Theme;
use jiff::Timestamp;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

/// A latency sparkline from unicode blocks.
fn sparkline(values: &std::collections::VecDeque<u64>, width: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let take = values.len().min(width);
    let slice: Vec<u64> = values.iter().skip(values.len() - take).copied().collect();
    let max = slice.iter().copied().max().unwrap_or(0).max(1);
    slice
        .iter()
        .map(|v| BARS[usize::try_from(v * 7 / max).unwrap_or(7).min(7)])
        .collect()
}

/// Draw the status panel.
pub fn draw_status(
    env: &Vcx,
    s_: &Session,
    now: Timestamp,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
) {
    if area.height < 2 {
        return;
    }
    let focused = s_.focus == Pane::Status;
    let board = env.board;
    let worst = board
        .sources
        .iter()
        .fold(crate::status::health::Health::Up, |w, v| {
            w.worst(v.snapshot.state)
        });
    let title = if board.sources.is_empty() {
        " Status ".to_owned()
    } else {
        format!(" Status · {} {} ", worst.icon(), worst)
    };
    let b = block(theme, title, focused);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    if board.sources.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled(
                "no sources configured",
                theme.style("ui.muted"),
            ))
            .wrap(Wrap { trim: true }),
            inner,
        );
        return;
    }
    let width = usize::from(inner.width);
    let h = usize::from(inner.height);
    let start = board
        .selected
        .saturating_sub(h.saturating_sub(1))
        .min(board.sources.len().saturating_sub(h));
    let mut lines = Vec::new();
    for (i, v) in board.sources.iter().enumerate().skip(start).take(h) {
        let snap = &v.snapshot;
        let selected = focused && i == board.selected;
        let base = if selected {
            theme.style("ui.selected")
        } else {
            Style::default()
        };
        let state_style = theme.style(health_scope(snap.state)).patch(base);
        let age = crate::util::duration::short((now - snap.checked_at).as_secs());
        let mut spans = vec![
            Span::styled(format!("{} ", snap.state.icon()), state_style),
            Span::styled(
                if width >= 40 {
                    format!("{:<8} ", snap.state.as_str())
                } else {
                    format!("{} ", snap.state.as_str())
                },
                state_style,
            ),
            Span::styled(s(&snap.name), theme.style("ui.header").patch(base)),
        ];
        let mut used: usize = spans.iter().map(|sp| sp.content.width()).sum();
        let age_text = if snap.stale {
            format!(" {age} stale")
        } else {
            format!(" {age}")
        };
        let room = width.saturating_sub(used + age_text.width() + 1);
        if room > 4 && !snap.summary.is_empty() {
            let mut summary = format!(" {}", s(&snap.summary));
            if summary.width() > room {
                summary = summary
                    .chars()
                    .take(room.saturating_sub(1))
                    .collect::<String>()
                    + "…";
            }
            used += summary.width();
            spans.push(Span::styled(summary, theme.style("ui").patch(base)));
        }
        spans.push(Span::styled(
            age_text.clone(),
            theme
                .style(if snap.stale {
                    "status.stale"
                } else {
                    "ui.muted"
                })
                .patch(base),
        ));
        used += age_text.width();
        let spark_room = width.saturating_sub(used + 1);
        if spark_room >= 6 && !v.latencies.is_empty() {
            spans.push(Span::styled(
                format!(" {}", sparkline(&v.latencies, spark_room.min(20))),
                theme.style("ui.muted").patch(base),
            ));
        }
        lines.push(Line::from(spans));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
