//! Text input (the filter, form fields, prompts, notes) on top of
//! `ratatui-textarea`.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;

/// What a key did to an input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Enter.
    Submit,
    /// Esc or Ctrl-C.
    Cancel,
    /// The text changed.
    Changed,
    /// Nothing changed (a cursor move, say).
    Unchanged,
}

/// A one-line or multi-line text field.
#[derive(Clone, Debug)]
pub struct TextInput {
    /// The editor.
    pub area: TextArea<'static>,
    /// Enter adds no line; Alt-Enter and Ctrl-J do.
    pub multiline: bool,
}

impl TextInput {
    /// A field holding `initial`, the cursor at its end.
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

    /// Is it empty?
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
        let clean = crate::util::sanitize::text(text);
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

/// Pasted text with LF line ends. Terminals send a pasted line end as CR
/// (they turn LF into CR), so text copied with CRLF arrives as CR CR: when
/// every CR in a paste comes in such a pair, each pair is one line end;
/// otherwise CRLF and lone CR are each one. A pasted 20-line log stays 20
/// lines in the log, the export and the postmortem.
pub fn paste_line_ends(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('\r') {
        return std::borrow::Cow::Borrowed(text);
    }
    let b = text.as_bytes();
    let mut i = 0;
    let mut paired = true;
    while i < b.len() {
        if b[i] == b'\r' {
            if b.get(i + 1) == Some(&b'\r') {
                i += 2;
                continue;
            }
            // A CR at the very end (the last line's end) is a pair cut short.
            if i + 1 < b.len() {
                paired = false;
                break;
            }
        }
        i += 1;
    }
    let out = if paired {
        text.replace("\r\r", "\n").replace('\r', "\n")
    } else {
        text.replace("\r\n", "\n").replace('\r', "\n")
    };
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod paste_tests {
    use super::paste_line_ends;

    #[test]
    fn line_ends_from_every_kind_of_paste() {
        // LF text as a terminal sends it (LF → CR), with a blank line.
        assert_eq!(paste_line_ends("a\rb\r\rc"), "a\nb\n\nc");
        // CRLF text as a terminal sends it (CR LF → CR CR).
        assert_eq!(paste_line_ends("a\r\rb\r\rc\r\r"), "a\nb\nc\n");
        assert_eq!(paste_line_ends("a\r\rb\r"), "a\nb\n");
        // CRLF and LF as they are (a paste that kept them).
        assert_eq!(paste_line_ends("a\r\nb\nc"), "a\nb\nc");
        assert_eq!(paste_line_ends("plain"), "plain");
    }
}

/// Ctrl-C: cancels a dialog or a text field like Esc.
pub fn is_ctrl_c(key: &KeyEvent) -> bool {
    key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL)
}
