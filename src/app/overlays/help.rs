//! Help: every key, from the keymap (so rebinding shows here too).

use crate::app::widgets::kit::{block, centered};
use crate::ui::keymap::{Cmd, Ctx, Keymap};
use crate::ui::theme::Theme;
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use unicode_width::UnicodeWidthStr;

/// Scroll with the list keys (the new scroll); any other key closes help
/// (`None`).
pub fn on_key(scroll: u16, key: KeyEvent, keymap: &Keymap) -> Option<u16> {
    let scroll = match keymap.lookup(&[Ctx::Lists, Ctx::Global], &key) {
        Some(Cmd::Down) => scroll.saturating_add(1),
        Some(Cmd::Up) => scroll.saturating_sub(1),
        Some(Cmd::PageDown) => scroll.saturating_add(10),
        Some(Cmd::PageUp) => scroll.saturating_sub(10),
        Some(Cmd::Top) => 0,
        _ => return None,
    };
    Some(scroll)
}

/// Draw the help: every binding by context, scrolled.
pub fn draw_help(keymap: &Keymap, scroll: u16, theme: &Theme, frame: &mut Frame, area: Rect) {
    let w = (area.width * 8 / 10).clamp(40.min(area.width), 100);
    let h = area.height.saturating_sub(2).max(5);
    let r = centered(area, w, h);
    frame.render_widget(Clear, r);
    let b = block(
        theme,
        " Help · keys (from the keymap; rebind them under `keys:` in the config) ",
        true,
    );
    let inner = b.inner(r);
    frame.render_widget(b, r);
    let mut lines = Vec::new();
    for (section, rows) in keymap.help() {
        lines.push(Line::styled(section, theme.style("ui.title")));
        let kw = rows.iter().map(|(k, _)| k.width()).max().unwrap_or(4);
        for (keys, desc) in rows {
            lines.push(Line::from(vec![
                Span::styled(format!("  {keys:<kw$}  "), theme.style("ui.key")),
                Span::styled(desc, theme.style("ui")),
            ]));
        }
        lines.push(Line::default());
    }
    lines.push(Line::styled(
        "In text fields: Enter saves, Esc or Ctrl-C cancels, Alt-Enter adds a line to notes.",
        theme.style("ui.muted"),
    ));
    frame.render_widget(Paragraph::new(lines).scroll((scroll, 0)), inner);
}
