//! The command output pane: the running (or last) command's output tail,
//! SGR colours kept and everything else sanitized, with how it ended.

use crate::app::session::Session;
use crate::app::widgets::kit::{Vcx, block, s};
use crate::ui::keymap::Cmd;
use crate::ui::theme::Theme;
use jiff::Timestamp;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// The running (or last) command's output.
pub fn draw_output(
    env: &Vcx,
    s_: &Session,
    now: Timestamp,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
) {
    let Some(run) = &s_.run else { return };
    let first = run.text.lines().next().unwrap_or("");
    let (status, style) = match &run.finished {
        None if run.dry_run => ("dry run".to_owned(), theme.style("ui.banner.warning")),
        None => (
            format!(
                "running {} · {} cancels",
                crate::util::duration::short((now - run.started_at).as_secs()),
                env.keymap.hint(Cmd::Cancel)
            ),
            theme.style("log.pending"),
        ),
        Some(f) if f.dry_run => (
            "dry run: nothing was executed".to_owned(),
            theme.style("ui.banner.warning"),
        ),
        Some(f) if f.succeeded() => (
            format!(
                "✔ exit {}{} in {}",
                f.exit_code.unwrap_or(0),
                if f.exit_code == Some(0) {
                    ""
                } else {
                    " (declared ok)"
                },
                crate::util::duration::precise(f.duration)
            ),
            theme.style("status.up"),
        ),
        Some(f) => {
            let how = if f.timed_out {
                "TIMED OUT".to_owned()
            } else if f.cancelled {
                "CANCELLED".to_owned()
            } else if f.spawn_error.is_some() {
                "COULD NOT START".to_owned()
            } else if let Some(code) = f.exit_code {
                match f.failed_line {
                    Some(line) => format!("EXIT {code} at line {line}"),
                    None => format!("EXIT {code}"),
                }
            } else if let Some(sig) = f.signal {
                format!("KILLED (signal {sig})")
            } else {
                "FAILED".to_owned()
            };
            (
                format!(
                    "✖ {how} after {}",
                    crate::util::duration::precise(f.duration)
                ),
                theme.style("ui.banner.error"),
            )
        }
    };
    let title = Line::from(vec![
        Span::styled(" Output ", theme.style("ui.title")),
        Span::styled(format!(" {status} "), style),
        Span::styled(format!(" {} ", s(first)), theme.style("ui.muted")),
    ]);
    let mut b = block(theme, title, false);
    if let Some(shell) = &run.shell {
        // Which shell ran, and whether it sees failures inside pipelines.
        b = b.title_bottom(
            Line::styled(format!(" {} ", s(shell)), theme.style("ui.muted")).right_aligned(),
        );
    }
    let inner = b.inner(area);
    frame.render_widget(b, area);
    let h = usize::from(inner.height);
    let mut lines: Vec<&str> = run.output.iter().map(String::as_str).collect();
    if !run.partial.is_empty() {
        lines.push(&run.partial);
    }
    let start = lines.len().saturating_sub(h);
    let mut text: Vec<Line> = Vec::new();
    for l in &lines[start..] {
        // Only SGR colours are left in the output (the runner sanitized it):
        // turn them into styles.
        match ansi_to_tui::IntoText::into_text(&l.as_bytes()) {
            Ok(t) => text.extend(
                t.lines
                    .into_iter()
                    .map(|line| line.patch_style(theme.style("output"))),
            ),
            Err(_) => text.push(Line::styled(
                crate::util::sanitize::strip_sgr(l),
                theme.style("output"),
            )),
        }
    }
    if lines.is_empty() {
        let note = if run.dry_run {
            "(dry run: nothing executed)"
        } else {
            "(no output yet)"
        };
        text.push(Line::styled(note, theme.style("ui.muted")));
    }
    frame.render_widget(Paragraph::new(text), inner);
}
