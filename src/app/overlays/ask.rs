//! The yes/no questions: quit (with unsaved events: write a rescue copy
//! first), take back "mitigated", close a rehearsal, resolve anyway, resume
//! the open incident instead of a second, trust a runbook file.

use crate::app::session::Session;
use crate::app::widgets::kit::{block, centered, s};
use crate::ui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

/// A small yes/no question.
pub fn draw_ask<T: AsRef<str>>(
    title: &str,
    text: &[T],
    keys: &[(&str, &str)],
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
) {
    let mut lines: Vec<Line> = text
        .iter()
        .map(|l| Line::styled(s(l.as_ref()), theme.style("ui.header")))
        .collect();
    lines.push(Line::default());
    lines.push(Line::from(
        keys.iter()
            .flat_map(|(k, what)| {
                [
                    Span::styled(format!(" {k} "), theme.style("ui.key")),
                    Span::styled(format!("{what}   "), theme.style("ui")),
                ]
            })
            .collect::<Vec<_>>(),
    ));
    let r = centered(area, 72, lines.len() as u16 + 4);
    frame.render_widget(Clear, r);
    let b = block(theme, title.to_owned(), true);
    let inner = b.inner(r);
    frame.render_widget(b, r);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

/// "Trust this runbook file?" with the file, its hash and what it allows.
pub fn draw_confirm_trust(
    session: Option<&Session>,
    path: &str,
    hash: &str,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
) {
    let runnable = session.map_or(0, |s_| {
        s_.runbook
            .steps
            .iter()
            .flat_map(|st| &st.commands)
            .filter(|c| c.runnable)
            .count()
    });
    let lines = vec![
        Line::styled("Trust this runbook file?", theme.style("ui.header")),
        Line::default(),
        Line::styled(format!("file     {}", s(path)), theme.style("ui")),
        Line::styled(
            format!("content  blake3 {}", s(hash.get(..16).unwrap_or(hash))),
            theme.style("ui"),
        ),
        Line::default(),
        Line::styled(
            format!(
                "Its {runnable} runnable command(s) may then run (each still asks as the runbook says). Any edit to the file revokes trust."
            ),
            theme.style("ui.muted"),
        ),
        Line::default(),
        Line::from(vec![
            Span::styled(" y ", theme.style("ui.key")),
            Span::styled("trust   ", theme.style("ui")),
            Span::styled(" n ", theme.style("ui.key")),
            Span::styled("keep display-only", theme.style("ui")),
        ]),
    ];
    let r = centered(area, 76, lines.len() as u16 + 4);
    frame.render_widget(Clear, r);
    let b = block(theme, " Trust? ", true);
    let inner = b.inner(r);
    frame.render_widget(b, r);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

/// "Quit?": what stays open, what is unsaved, what is still running.
pub fn draw_confirm_quit(session: Option<&Session>, theme: &Theme, frame: &mut Frame, area: Rect) {
    let Some(session) = session else {
        return;
    };
    let id = s(&session.incident.id);
    let unsaved = session.unsaved();
    let key = |k: &'static str, what: &'static str| {
        [
            Span::styled(k, theme.style("ui.key")),
            Span::styled(what, theme.style("ui")),
        ]
    };
    let mut lines = Vec::new();
    if unsaved == 0 {
        lines.push(Line::styled(
            "The incident stays OPEN. Everything is saved in its log.",
            theme.style("ui.header"),
        ));
    } else {
        lines.push(Line::styled(
            format!("✗ {unsaved} event(s) are NOT saved in the incident log."),
            theme.style("ui.banner.error"),
        ));
        if let Some(e) = &session.save_error {
            lines.push(Line::styled(s(e), theme.style("ui.muted")));
        }
        match session.rescue_current() {
            Some(path) => lines.push(Line::styled(
                format!("A complete copy with them is in {}", s(path)),
                theme.style("ui.header"),
            )),
            None => lines.push(Line::styled(
                "Quitting now would lose them: write a rescue copy first.",
                theme.style("ui.header"),
            )),
        }
    }
    if let Some(run) = session
        .run
        .as_ref()
        .filter(|r| r.finished.is_none() && !r.dry_run)
    {
        lines.push(Line::styled(
            format!(
                "! A command is still running: {} — quitting stops it (SIGTERM to its group) and logs it as abandoned.",
                s(run.text.lines().next().unwrap_or(""))
            ),
            theme.style("ui.banner.warning"),
        ));
    }
    lines.push(Line::styled(
        format!("Resume it with: mayday resume {id}"),
        theme.style("ui"),
    ));
    lines.push(Line::default());
    let mut keys = Vec::new();
    if unsaved > 0 && session.rescue_current().is_none() {
        keys.extend(key(" w ", "write a rescue copy   "));
    } else {
        keys.extend(key(" y ", "quit   "));
    }
    keys.extend(key(" n ", "stay"));
    lines.push(Line::from(keys));
    let running = session
        .run
        .as_ref()
        .is_some_and(|r| r.finished.is_none() && !r.dry_run);
    let width: u16 = if unsaved > 0 || running { 76 } else { 64 };
    // Rows as wrapped (an error or a rescue path can run long), so the
    // keys at the bottom are never cut off.
    let inner_w = usize::from(width.saturating_sub(2)).max(1);
    let rows: usize = lines
        .iter()
        .map(|l| l.width().div_ceil(inner_w).max(1))
        .sum();
    let height = u16::try_from(rows).unwrap_or(u16::MAX).saturating_add(3);
    let r = centered(area, width, height);
    frame.render_widget(Clear, r);
    let b = block(theme, " Quit? ", true);
    let inner = b.inner(r);
    frame.render_widget(b, r);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
