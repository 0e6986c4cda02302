//! "Run this command?": the command as it will run (quoted values,
//! invisible characters made visible, where and how), then y/n or the
//! typed phrase the runbook asks for.

use crate::app::widgets::input::{self, TextInput, is_ctrl_c};
use crate::app::widgets::kit::{block, centered, s};
use crate::runbook::Confirm;
use crate::ui::theme::Theme;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

/// What a key did to the question.
#[derive(Debug)]
pub enum Outcome {
    /// Still asking.
    Keep(Box<Confirmation>),
    /// Run it.
    Run(Box<Confirmation>),
    /// Don't (logged as declined).
    Decline(Box<Confirmation>),
}

/// y/n, or the typed phrase for `confirm=typed`; Esc, n and Ctrl-C decline.
pub fn on_key(mut c: Box<Confirmation>, key: KeyEvent) -> Outcome {
    match c.level {
        Confirm::Typed => match c.typed.key(key) {
            input::Outcome::Submit => {
                if c.typed.text().trim() == c.phrase {
                    Outcome::Run(c)
                } else {
                    c.error = Some(format!(
                        "type `{}` exactly to run it (Esc cancels)",
                        c.phrase
                    ));
                    Outcome::Keep(c)
                }
            }
            input::Outcome::Cancel => Outcome::Decline(c),
            _ => {
                c.error = None;
                Outcome::Keep(c)
            }
        },
        _ => match key.code {
            KeyCode::Char('y' | 'Y') => Outcome::Run(c),
            KeyCode::Char('n' | 'N') | KeyCode::Esc => Outcome::Decline(c),
            _ if is_ctrl_c(&key) => Outcome::Decline(c),
            _ => Outcome::Keep(c),
        },
    }
}

/// Asking before a command runs.
#[derive(Clone, Debug)]
pub struct Confirmation {
    /// The step's id.
    pub step: String,
    /// The command's index in the step.
    pub index: usize,
    /// The command as it will run (values quoted).
    pub text: String,
    /// What the dialog shows: the command with invisible characters made
    /// visible, where and how it runs.
    pub preview: Vec<String>,
    /// How it asks: y/n, or a typed phrase.
    pub level: crate::runbook::Confirm,
    /// The phrase to type for `confirm=typed`.
    pub phrase: String,
    /// What has been typed of the phrase.
    pub typed: TextInput,
    /// Why the last answer was not taken.
    pub error: Option<String>,
    /// What runs once confirmed.
    pub request: crate::app::action::RunRequest,
}

/// Draw the question.
pub fn draw_confirm_command(c: &Confirmation, theme: &Theme, frame: &mut Frame, area: Rect) {
    use crate::runbook::Confirm;
    let h = (c.preview.len() as u16 + 6 + u16::from(c.error.is_some())).min(area.height);
    let r = centered(
        area,
        (area.width * 9 / 10).clamp(40.min(area.width), 110),
        h,
    );
    frame.render_widget(Clear, r);
    let b = block(theme, " Run this command? ", true);
    let inner = b.inner(r);
    frame.render_widget(b, r);
    let mut lines: Vec<Line> = Vec::new();
    for (i, l) in c.preview.iter().enumerate() {
        let style = if i == 0
            || (!l.is_empty()
                && !l.starts_with("in ")
                && !l.starts_with("with ")
                && !l.starts_with("DRY RUN"))
        {
            theme.style("md.code")
        } else if l.starts_with("DRY RUN") {
            theme.style("ui.banner.warning")
        } else {
            theme.style("ui.muted")
        };
        lines.push(Line::styled(format!("  {l}"), style));
    }
    lines.push(Line::default());
    match c.level {
        Confirm::Typed => {
            lines.push(Line::from(vec![
                Span::styled(
                    "This command changes things. Type ",
                    theme.style("ui.header"),
                ),
                Span::styled(s(&c.phrase), theme.style("ui.banner.warning")),
                Span::styled(
                    " and press Enter to run it; Esc cancels.",
                    theme.style("ui.header"),
                ),
            ]));
            lines.push(Line::from(vec![
                Span::styled("> ", theme.style("ui.key")),
                Span::styled(s(&c.typed.text()), theme.style("ui.selected")),
                Span::styled("▏", theme.style("ui.key")),
            ]));
        }
        _ => lines.push(Line::from(vec![
            Span::styled(" y ", theme.style("ui.key")),
            Span::styled("run it   ", theme.style("ui")),
            Span::styled(" n ", theme.style("ui.key")),
            Span::styled("don't (logged as declined)", theme.style("ui")),
        ])),
    }
    if let Some(e) = &c.error {
        lines.push(Line::styled(
            format!("✗ {}", s(e)),
            theme.style("log.error"),
        ));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
