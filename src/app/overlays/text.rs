//! Text to copy by hand (shown after an OSC 52 copy, and for the score
//! card).

use crate::app::widgets::kit::{block, centered, s};
use crate::ui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph, Wrap};

/// Draw the text in a box.
pub fn draw_show_text(title: &str, text: &str, theme: &Theme, frame: &mut Frame, area: Rect) {
    let lines: Vec<Line> = crate::util::sanitize::text(text)
        .lines()
        .map(|l| Line::styled(l.to_owned(), theme.style("md.code")))
        .collect();
    let h = (lines.len() as u16 + 4).min(area.height);
    let r = centered(
        area,
        (area.width * 9 / 10).clamp(40.min(area.width), 120),
        h,
    );
    frame.render_widget(Clear, r);
    let b = block(theme, format!(" {} ", s(title)), true);
    let inner = b.inner(r);
    frame.render_widget(b, r);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
