//! A text prompt: a note, a status update, a skip reason, a resolve
//! summary, a blank variable. It owns the draft; what is submitted goes back
//! to the incident screen to log.

use crate::app::widgets::input::{self, TextInput};
use crate::app::widgets::kit::{block, centered, s};
use crate::ui::theme::Theme;
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

/// What a key did to the prompt.
#[derive(Debug)]
pub enum Outcome {
    /// Still editing.
    Keep(Box<Prompt>),
    /// Enter: the text is submitted.
    Submit(Box<Prompt>),
    /// Cancelled.
    Close,
}

/// Edit the draft; Enter submits it; Esc cancels — but a note or status
/// update the responder wrote is only thrown away on a second Esc.
pub fn on_key(mut prompt: Box<Prompt>, key: KeyEvent) -> Outcome {
    match prompt.input.key(key) {
        input::Outcome::Submit => Outcome::Submit(prompt),
        // Esc or Ctrl-C on a draft the responder wrote: ask first.
        input::Outcome::Cancel
            if !prompt.discard_armed
                && matches!(prompt.kind, PromptKind::Note | PromptKind::StatusUpdate)
                && prompt.input.text().trim() != prompt.initial.trim() =>
        {
            prompt.discard_armed = true;
            prompt.error =
                Some("Esc again discards this draft; any other key keeps editing it".into());
            Outcome::Keep(prompt)
        }
        input::Outcome::Cancel => Outcome::Close,
        input::Outcome::Changed | input::Outcome::Unchanged => {
            prompt.error = None;
            prompt.discard_armed = false;
            Outcome::Keep(prompt)
        }
    }
}

/// What a prompt is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PromptKind {
    /// Why the current step is skipped.
    SkipReason {
        /// The step's id.
        step: String,
    },
    /// A blank variable the selected command needs: given, then the run
    /// goes on.
    Variable {
        /// The variable's name.
        name: String,
    },
    /// The one-line summary that resolves the incident.
    ResolveSummary,
    /// A note.
    Note,
    /// A stakeholder status update.
    StatusUpdate,
    /// A role and who gets it (`commander`, `scribe bob`).
    Role,
    /// A comment for a snapshot of the step's live queries.
    Evidence,
    /// How long and why to silence the incident's alert.
    Silence {
        /// The Alertmanager source to silence it in.
        source: String,
    },
}

#[derive(Clone, Debug)]
/// A text prompt and its draft.
pub struct Prompt {
    /// What it is for.
    pub kind: PromptKind,
    /// Its title.
    pub title: String,
    /// The line under the title (what Enter and Esc do).
    pub help: String,
    /// The draft.
    pub input: TextInput,
    /// The text it opened with: a draft that differs is never thrown away
    /// without a second Esc.
    pub initial: String,
    /// Esc was pressed once on an edited draft.
    pub discard_armed: bool,
    /// Why the last submit was refused.
    pub error: Option<String>,
}

impl Prompt {
    /// A prompt opening with `input`'s text (a draft that differs from it is
    /// the responder's, and Esc asks before it goes).
    pub fn new(
        kind: PromptKind,
        title: impl Into<String>,
        help: impl Into<String>,
        input: TextInput,
    ) -> Prompt {
        Prompt {
            kind,
            title: title.into(),
            help: help.into(),
            initial: input.text(),
            input,
            error: None,
            discard_armed: false,
        }
    }
}

/// Draw the prompt.
pub fn draw_prompt(p: &Prompt, theme: &Theme, frame: &mut Frame, area: Rect) {
    let input_h: u16 = if p.input.multiline { 6 } else { 1 };
    let h = input_h + 6 + u16::from(p.error.is_some());
    let r = centered(
        area,
        (area.width * 8 / 10).clamp(40.min(area.width), 100),
        h,
    );
    frame.render_widget(Clear, r);
    let b = block(theme, format!(" {} ", s(&p.title)), true);
    let inner = b.inner(r);
    frame.render_widget(b, r);
    let [help, _, input, _, err] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(input_h + 2),
        Constraint::Length(0),
        Constraint::Length(u16::from(p.error.is_some())),
    ])
    .areas(inner);
    frame.render_widget(
        Paragraph::new(Line::styled(p.help.clone(), theme.style("ui.muted"))),
        help,
    );
    let mut area_widget = p.input.area.clone();
    area_widget.set_block(
        Block::default()
            .borders(Borders::ALL)
            .border_style(theme.style("ui.border.focused")),
    );
    area_widget.set_style(theme.style("ui"));
    area_widget.set_cursor_style(theme.style("ui").add_modifier(Modifier::REVERSED));
    frame.render_widget(&area_widget, input);
    if let Some(e) = &p.error {
        frame.render_widget(
            Paragraph::new(Line::styled(
                format!("✗ {}", s(e)),
                theme.style("log.error"),
            )),
            err,
        );
    }
}
