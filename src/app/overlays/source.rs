//! The items of one status source (Enter on the status panel): every item
//! with its state, detail and link; `p` polls it now.

use crate::app::action::Effect;
use crate::app::board::StatusBoard;
use crate::app::widgets::kit::{abs_time, block, centered, health_scope, kv, s};
use crate::ui::keymap::Keymap;
use crate::ui::keymap::{Cmd, Ctx};
use crate::ui::theme::Theme;
use crossterm::event::KeyEvent;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

/// Scroll (the new scroll); `p` polls the source now; any other key closes
/// (`None`).
pub fn on_key(
    index: usize,
    scroll: u16,
    key: KeyEvent,
    keymap: &Keymap,
    board: &StatusBoard,
    fx: &mut Vec<Effect>,
) -> Option<u16> {
    let cmd = keymap.lookup(&[Ctx::Lists, Ctx::Incident, Ctx::Global], &key);
    let scroll = match cmd {
        Some(Cmd::Down) => scroll.saturating_add(1),
        Some(Cmd::Up) => scroll.saturating_sub(1),
        Some(Cmd::PageDown) => scroll.saturating_add(10),
        Some(Cmd::PageUp) => scroll.saturating_sub(10),
        Some(Cmd::PollNow) => {
            if let Some(v) = board.sources.get(index) {
                fx.push(Effect::PollNow(Some(v.snapshot.name.clone())));
            }
            scroll
        }
        _ => return None,
    };
    Some(scroll)
}

/// Draw the items of the source at `index` on `board`.
#[allow(clippy::too_many_arguments)]
pub fn draw_source_details(
    board: &StatusBoard,
    index: usize,
    scroll: u16,
    now: Timestamp,
    tz: &TimeZone,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
) {
    let Some(v) = board.sources.get(index) else {
        return;
    };
    let snap = &v.snapshot;
    let w = (area.width * 9 / 10).clamp(40.min(area.width), 120);
    let r = centered(area, w, area.height.saturating_sub(2).max(6));
    frame.render_widget(Clear, r);
    let title = format!(
        " {} · {} · {} {} ",
        s(&snap.name),
        snap.kind.as_str(),
        snap.state.icon(),
        snap.state.as_str().to_uppercase()
    );
    let b = block(theme, title, true);
    let inner = b.inner(r);
    frame.render_widget(b, r);
    let mut lines = vec![
        kv("summary", s(&snap.summary), theme),
        kv(
            "checked",
            format!(
                "{} ({} ago){}",
                abs_time(tz, snap.checked_at),
                crate::util::duration::short((now - snap.checked_at).as_secs()),
                if snap.stale {
                    " — stale: showing the last good data"
                } else {
                    ""
                }
            ),
            theme,
        ),
        kv(
            "in this state for",
            crate::util::duration::short((now - v.since).as_secs()),
            theme,
        ),
    ];
    if let Some(ms) = snap.latency_ms {
        lines.push(kv("latency", format!("{ms} ms"), theme));
    }
    if let Some(e) = &snap.error {
        lines.push(Line::from(vec![
            Span::styled("error: ", theme.style("ui.muted")),
            Span::styled(s(e), theme.style("log.error")),
        ]));
    }
    lines.push(Line::default());
    if snap.items.is_empty() {
        lines.push(Line::styled("no items", theme.style("ui.muted")));
    }
    for item in &snap.items {
        let mut spans = vec![
            Span::styled(
                format!("{} {:<8} ", item.state.icon(), item.state.as_str()),
                theme.style(health_scope(item.state)),
            ),
            Span::styled(s(&item.name), theme.style("ui.header")),
        ];
        if !item.detail.is_empty() {
            spans.push(Span::styled(
                format!("  {}", s(&item.detail)),
                theme.style("ui"),
            ));
        }
        if let Some(u) = &item.url {
            spans.push(Span::styled(format!("  {}", s(u)), theme.style("md.link")));
        }
        lines.push(Line::from(spans));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        inner,
    );
}
