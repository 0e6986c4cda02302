//! Text input (the filter, form fields, prompts, notes) on top of
//! `ratatui-textarea`.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;

/// What a key did to an input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Submit,
    Cancel,
    Changed,
    Unchanged,
}

/// A one-line or multi-line text field.
#[derive(Clone, Debug)]
pub struct TextInput {
    pub area: TextArea<'static>,
    pub multiline: bool,
}

impl TextInput {
    pub fn new(initial: &str, multiline: bool) -> TextInput {
        let lines: Vec<String> = if multiline {
            initial.split('\n').map(str::to_owned).collect()
        } else {
            vec![initial.replace(['\n', '\r'], " ")]
        };
        let mut area = TextArea::new(lines);
        area.move_cursor(ratatui_textarea::CursorMove::Bottom);
        area.move_cursor(ratatui_textarea::CursorMove::End);
        area.set_cursor_line_style(ratatui::style::Style::default());
        TextInput { area, multiline }
    }

    /// The text, lines joined with `\n`.
    pub fn text(&self) -> String {
        self.area.lines().join("\n")
    }

    pub fn is_empty(&self) -> bool {
        self.area.lines().iter().all(|l| l.is_empty())
    }

    /// Handle a key: Enter submits, Esc (and Ctrl-C) cancels; in multi-line
    /// inputs Alt-Enter, Shift-Enter and Ctrl-J insert a new line.
    pub fn key(&mut self, key: KeyEvent) -> Outcome {
        let newline = (key.code == KeyCode::Enter
            && key
                .modifiers
                .intersects(KeyModifiers::ALT | KeyModifiers::SHIFT))
            || (key.code == KeyCode::Char('j') && key.modifiers.contains(KeyModifiers::CONTROL));
        if newline {
            if self.multiline {
                self.area.insert_newline();
                return Outcome::Changed;
            }
            return Outcome::Unchanged;
        }
        match key.code {
            KeyCode::Enter => Outcome::Submit,
            KeyCode::Esc => Outcome::Cancel,
            KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => Outcome::Cancel,
            _ => {
                let before = self.area.lines().to_vec();
                self.area.input(key);
                if self.area.lines() == before.as_slice() {
                    Outcome::Unchanged
                } else {
                    Outcome::Changed
                }
            }
        }
    }

    /// Insert pasted text (new lines become spaces in one-line inputs).
    pub fn paste(&mut self, text: &str) {
        let clean = crate::sanitize::text(text);
        if self.multiline {
            self.area.insert_str(clean.replace('\t', "    "));
        } else {
            self.area.insert_str(clean.replace(['\n', '\t'], " "));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn typing_submitting_and_newlines() {
        let mut t = TextInput::new("ab", true);
        assert_eq!(t.key(k(KeyCode::Char('c'))), Outcome::Changed);
        assert_eq!(
            t.key(KeyEvent::new(KeyCode::Enter, KeyModifiers::ALT)),
            Outcome::Changed
        );
        t.key(k(KeyCode::Char('d')));
        assert_eq!(t.text(), "abc\nd");
        assert_eq!(t.key(k(KeyCode::Enter)), Outcome::Submit);
        let mut one = TextInput::new("x", false);
        assert_eq!(
            one.key(KeyEvent::new(KeyCode::Enter, KeyModifiers::ALT)),
            Outcome::Unchanged
        );
        one.paste("y\nz\u{1b}[2J");
        assert_eq!(one.text(), "xy z^[[2J");
        assert_eq!(one.key(k(KeyCode::Esc)), Outcome::Cancel);
    }
}
