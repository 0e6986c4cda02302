//! The one sanitizer for untrusted text.
//!
//! Everything that comes from outside — runbook text, file names, API
//! responses, command output — passes through here before it is drawn on the
//! screen, printed by the CLI or written to an export, so that no escape
//! sequence or control character from that text can reach the terminal.
//!
//! Escape sequences are parsed properly (with `vte`, the parser Alacritty
//! uses), not matched with a regex. What is not kept is made *visible*
//! (`ESC` becomes `^[`, `BEL` becomes `^G`) rather than silently dropped, so a
//! hostile string is noticeable. Bidirectional overrides (U+202A–U+202E,
//! U+2066–U+2069) are removed: they are not control characters, but they
//! reorder what is shown.

use std::borrow::Cow;
use vte::{Params, Parser, Perform};

/// What a [`Sanitizer`] keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// One line of text: newlines and tabs become spaces.
    Line,
    /// Multi-line text: `\n` and `\t` are kept, `\r\n` becomes `\n`.
    Text,
    /// Like [`Mode::Text`], and SGR sequences (colours, bold, …) are kept as
    /// they are so they can be turned into styles. Every other sequence is
    /// made visible.
    Sgr,
    /// Every character that is not plainly visible is shown as `<U+XXXX>` or
    /// caret notation: for the command confirmation, where the user must see
    /// exactly what will run. Newlines are kept (and shown as `⏎` before them).
    Reveal,
}

/// Sanitize one line of untrusted text.
pub fn line(s: &str) -> Cow<'_, str> {
    clean(s, Mode::Line)
}

/// Sanitize multi-line untrusted text.
pub fn text(s: &str) -> Cow<'_, str> {
    clean(s, Mode::Text)
}

/// Make every invisible or control character in `s` visible.
pub fn reveal(s: &str) -> String {
    clean(s, Mode::Reveal).into_owned()
}

/// Sanitize `s` in the given mode. Returns the input unchanged (borrowed)
/// when there is nothing to do, which is the common case.
pub fn clean(s: &str, mode: Mode) -> Cow<'_, str> {
    // Printable ASCII (and `\n`, `\t` where the mode keeps them) is plain in
    // every mode: check bytes first, characters only from the first byte
    // that is not (a character boundary: everything before it is ASCII).
    let ascii = plain_ascii_prefix(s.as_bytes(), matches!(mode, Mode::Text | Mode::Sgr));
    if s[ascii..].chars().all(|c| is_plain(c, mode)) {
        return Cow::Borrowed(s);
    }
    let mut sanitizer = Sanitizer::new(mode);
    let mut out = sanitizer.push(s.as_bytes());
    out.push_str(&sanitizer.finish());
    Cow::Owned(out)
}

/// Remove every escape sequence and make other controls visible: for text
/// that was shown with colours and is now written somewhere without them
/// (the incident log, an export).
pub fn strip_sgr(s: &str) -> String {
    let kept = clean(s, Mode::Sgr);
    let mut out = String::with_capacity(kept.len());
    let mut rest: &str = &kept;
    while let Some(i) = rest.find('\u{1b}') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        // Only SGR sequences survive `Mode::Sgr`: ESC [ params m.
        match rest.find('m') {
            Some(end) => rest = &rest[end + 1..],
            None => rest = "",
        }
    }
    out.push_str(rest);
    out
}

/// The length of the leading run of printable ASCII bytes (and `\n`, `\t`
/// with `keep_ws`). Sixteen bytes at a time with no branch inside, which
/// the compiler turns into vector instructions.
fn plain_ascii_prefix(bytes: &[u8], keep_ws: bool) -> usize {
    let plain = |b: u8| (b.wrapping_sub(0x20) < 0x5f) | (keep_ws & ((b == b'\n') | (b == b'\t')));
    let mut i = 0;
    for chunk in bytes.chunks_exact(16) {
        if !chunk.iter().fold(true, |all, &b| all & plain(b)) {
            break;
        }
        i += 16;
    }
    i + bytes[i..]
        .iter()
        .position(|&b| !plain(b))
        .unwrap_or(bytes.len() - i)
}

fn is_plain(c: char, mode: Mode) -> bool {
    match c {
        '\n' | '\t' => matches!(mode, Mode::Text | Mode::Sgr),
        c if c.is_control() => false,
        c if is_bidi_control(c) => false,
        c if mode == Mode::Reveal && is_invisible(c) => false,
        _ => true,
    }
}

/// Bidirectional formatting characters that reorder the display.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Characters that take no visible space: zero-width spaces and joiners,
/// the byte-order mark, soft hyphen, and the Unicode "tag" block.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{00A0}' | '\u{00AD}' | '\u{034F}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180E}' | '\u{2000}'..='\u{200F}' | '\u{2028}'..='\u{202F}' | '\u{205F}'..='\u{206F}'
        | '\u{3000}' | '\u{3164}' | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF9}'..='\u{FFFB}'
        | '\u{E0000}'..='\u{E007F}')
}

/// A streaming sanitizer: feed it bytes as they arrive (sequences split
/// across reads are handled), get back clean text.
pub struct Sanitizer {
    parser: Parser,
    out: Collector,
    pending: Vec<u8>,
}

impl Sanitizer {
    /// A sanitizer for this mode.
    pub fn new(mode: Mode) -> Self {
        Self {
            parser: Parser::new(),
            out: Collector {
                mode,
                buf: String::new(),
                pending_cr: false,
                callbacks: 0,
            },
            pending: Vec::new(),
        }
    }

    /// Feed bytes; returns the clean text produced so far.
    pub fn push(&mut self, bytes: &[u8]) -> String {
        // Bytes up to the last ESC go through in bulk (the parser's fast
        // path); from there on byte by byte, remembering the bytes of a
        // sequence that has not finished yet so `finish` can show them.
        let split = if self.pending.is_empty() {
            bytes
                .iter()
                .rposition(|&b| b == 0x1b)
                .unwrap_or(bytes.len())
        } else {
            0
        };
        self.parser.advance(&mut self.out, &bytes[..split]);
        for &b in &bytes[split..] {
            let before = self.out.callbacks;
            self.parser.advance(&mut self.out, &[b]);
            if self.out.callbacks == before {
                self.pending.push(b);
            } else {
                self.pending.clear();
            }
        }
        std::mem::take(&mut self.out.buf)
    }

    /// Flush what is held back: a trailing carriage return, or an escape
    /// sequence cut off at the end (shown, never obeyed).
    pub fn finish(&mut self) -> String {
        if !self.pending.is_empty() {
            let pending = std::mem::take(&mut self.pending);
            self.parser = Parser::new();
            for c in String::from_utf8_lossy(&pending).chars() {
                if c.is_control() {
                    self.out.caret_char(c);
                } else if !is_bidi_control(c) {
                    self.out.buf.push(c);
                }
            }
        }
        if self.out.pending_cr {
            self.out.pending_cr = false;
            self.out.caret(b'\r');
        }
        std::mem::take(&mut self.out.buf)
    }
}

struct Collector {
    mode: Mode,
    buf: String,
    pending_cr: bool,
    /// Counts parser callbacks, so `push` can tell when a byte finished
    /// something.
    callbacks: u64,
}

impl Collector {
    fn caret_char(&mut self, c: char) {
        match u8::try_from(u32::from(c)) {
            Ok(b) if b < 0x20 || b == 0x7f => self.caret(b),
            _ => self.buf.push_str(&format!("<U+{:04X}>", c as u32)),
        }
    }

    fn caret(&mut self, byte: u8) {
        match byte {
            0x7f => self.buf.push_str("^?"),
            b if b < 0x20 => {
                self.buf.push('^');
                self.buf.push((b + 0x40) as char);
            }
            b => self.buf.push_str(&format!("<U+{b:04X}>")),
        }
    }

    fn flush_cr(&mut self) {
        if self.pending_cr {
            self.pending_cr = false;
            // A lone carriage return (progress bars) would overwrite the line:
            // show it rather than obey it.
            self.caret(b'\r');
        }
    }

    fn visible_params(&mut self, params: &Params) {
        let mut first = true;
        for param in params {
            if !first {
                self.buf.push(';');
            }
            first = false;
            let mut sub_first = true;
            for sub in param {
                if !sub_first {
                    self.buf.push(':');
                }
                sub_first = false;
                self.buf.push_str(&sub.to_string());
            }
        }
    }
}

impl Perform for Collector {
    fn print(&mut self, c: char) {
        self.callbacks += 1;
        self.flush_cr();
        if is_bidi_control(c) {
            if self.mode == Mode::Reveal {
                self.buf.push_str(&format!("<U+{:04X}>", c as u32));
            }
            return;
        }
        if c.is_control() {
            // C1 controls arrive here as characters.
            self.buf.push_str(&format!("<U+{:04X}>", c as u32));
            return;
        }
        if self.mode == Mode::Reveal && is_invisible(c) {
            self.buf.push_str(&format!("<U+{:04X}>", c as u32));
            return;
        }
        self.buf.push(c);
    }

    fn execute(&mut self, byte: u8) {
        self.callbacks += 1;
        if byte == b'\r' {
            self.flush_cr();
            self.pending_cr = true;
            return;
        }
        if byte == b'\n' {
            // \r\n is a plain line ending.
            self.pending_cr = false;
            match self.mode {
                Mode::Line => self.buf.push(' '),
                Mode::Reveal => self.buf.push_str("⏎\n"),
                Mode::Text | Mode::Sgr => self.buf.push('\n'),
            }
            return;
        }
        self.flush_cr();
        match (byte, self.mode) {
            (b'\t', Mode::Line) => self.buf.push(' '),
            (b'\t', Mode::Text | Mode::Sgr) => self.buf.push('\t'),
            (b'\t', Mode::Reveal) => self.buf.push_str("<TAB>"),
            (b, _) => self.caret(b),
        }
    }

    fn hook(&mut self, params: &Params, intermediates: &[u8], _ignore: bool, action: char) {
        self.callbacks += 1;
        self.flush_cr();
        self.buf.push_str("^[P");
        self.visible_params(params);
        self.buf.push_str(&String::from_utf8_lossy(intermediates));
        self.buf.push(action);
    }

    fn put(&mut self, byte: u8) {
        self.callbacks += 1;
        if byte.is_ascii_graphic() || byte == b' ' {
            self.buf.push(byte as char);
        } else {
            self.caret(byte);
        }
    }

    fn unhook(&mut self) {
        self.callbacks += 1;
        self.buf.push_str("^[\\");
    }

    fn osc_dispatch(&mut self, params: &[&[u8]], bell_terminated: bool) {
        self.callbacks += 1;
        self.flush_cr();
        self.buf.push_str("^[]");
        for (i, p) in params.iter().enumerate() {
            if i > 0 {
                self.buf.push(';');
            }
            for c in String::from_utf8_lossy(p).chars() {
                if c.is_control() || is_bidi_control(c) {
                    self.buf.push_str(&format!("<U+{:04X}>", c as u32));
                } else {
                    self.buf.push(c);
                }
            }
        }
        self.buf
            .push_str(if bell_terminated { "^G" } else { "^[\\" });
    }

    fn csi_dispatch(&mut self, params: &Params, intermediates: &[u8], ignore: bool, action: char) {
        self.callbacks += 1;
        self.flush_cr();
        if self.mode == Mode::Sgr && action == 'm' && intermediates.is_empty() && !ignore {
            self.buf.push_str("\u{1b}[");
            self.visible_params(params);
            self.buf.push('m');
            return;
        }
        self.buf.push_str("^[[");
        self.visible_params(params);
        self.buf.push_str(&String::from_utf8_lossy(intermediates));
        self.buf.push(action);
    }

    fn esc_dispatch(&mut self, intermediates: &[u8], _ignore: bool, byte: u8) {
        self.callbacks += 1;
        self.flush_cr();
        self.buf.push_str("^[");
        self.buf.push_str(&String::from_utf8_lossy(intermediates));
        if byte.is_ascii_graphic() {
            self.buf.push(byte as char);
        } else {
            self.caret(byte);
        }
    }
}

/// Is `c` a character JSON may carry raw but a terminal or an editor would
/// act on: C1 controls (U+0080–U+009F: U+009B is a CSI on some
/// terminals, U+0085 a line end), the line and paragraph separators, and
/// the bidi marks, embeddings, overrides and isolates that reorder text?
fn json_needs_escape(c: char) -> bool {
    matches!(c,
        '\u{80}'..='\u{9f}'
        | '\u{061c}'
        | '\u{200e}' | '\u{200f}'
        | '\u{2028}' | '\u{2029}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}')
}

/// JSON text with every character `json_needs_escape` accepts written as a
/// `\uXXXX` escape (serde_json already escapes C0 controls, ESC among
/// them). Outside strings JSON is ASCII, so the escapes only ever land in
/// strings, where they mean the same character.
pub fn json_text(json: String) -> String {
    if json.is_ascii() || !json.chars().any(json_needs_escape) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if json_needs_escape(c) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// Serialize `value` as JSON for a terminal or a file: indented or compact,
/// with [`json_text`]'s escapes.
pub fn to_json<T: serde::Serialize + ?Sized>(
    value: &T,
    pretty: bool,
) -> serde_json::Result<String> {
    let text = if pretty {
        serde_json::to_string_pretty(value)?
    } else {
        serde_json::to_string(value)?
    };
    Ok(json_text(text))
}

/// [`to_json`] written to `out`.
pub fn write_json<T: serde::Serialize + ?Sized>(
    out: &mut dyn std::io::Write,
    value: &T,
    pretty: bool,
) -> std::io::Result<()> {
    let text = to_json(value, pretty).map_err(std::io::Error::other)?;
    out.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    #[test]
    fn json_escapes_c1_and_bidi_and_means_the_same() {
        let hostile = "a\u{9b}31m b\u{85}c \u{202e}evil\u{2066}x\u{2069} \u{1b}[2J ok é";
        let text = super::to_json(&serde_json::json!({ "t": hostile }), false).unwrap();
        assert!(text.is_ascii() || text.chars().all(|c| !super::json_needs_escape(c)));
        assert!(
            text.contains("\\u009b") && text.contains("\\u202e") && text.contains("\\u001b"),
            "{text}"
        );
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["t"], hostile);
    }

    use super::*;

    /// The byte-level fast path agrees with the character check.
    #[test]
    fn the_ascii_fast_path_agrees() {
        let samples = [
            "",
            "plain",
            "tab\there",
            "new\nline",
            "é✓ ok",
            "a\u{1b}[2J",
            "x\ry",
            "\u{202E}rtl",
            "caf\u{e9}\n",
            "\u{7f}",
            "zero\u{200B}width",
            "~ end",
        ];
        for s in samples {
            for mode in [Mode::Line, Mode::Text, Mode::Sgr, Mode::Reveal] {
                let slow = s.chars().all(|c| is_plain(c, mode));
                assert_eq!(
                    matches!(clean(s, mode), Cow::Borrowed(_)),
                    slow,
                    "{s:?} {mode:?}"
                );
            }
        }
    }

    proptest::proptest! {
        /// Whatever the text, the fast path decides as the character check.
        #[test]
        fn the_fast_path_agrees_on_anything(s in "[ -~\t\n\r\u{1b}\u{7f}\u{85}\u{202e}\u{200b}é✓]{0,40}") {
            for mode in [Mode::Line, Mode::Text, Mode::Sgr, Mode::Reveal] {
                let slow = s.chars().all(|c| is_plain(c, mode));
                proptest::prop_assert_eq!(matches!(clean(&s, mode), Cow::Borrowed(_)), slow);
            }
        }
    }

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(line("hello world"), Cow::Borrowed(_)));
        assert!(matches!(text("a\n\tb"), Cow::Borrowed(_)));
    }

    #[test]
    fn escape_sequences_become_visible() {
        assert_eq!(line("a\u{1b}[2Jb"), "a^[[2Jb");
        assert_eq!(line("\u{1b}]0;owned\u{7}x"), "^[]0;owned^Gx");
        assert_eq!(line("bell\u{7}"), "bell^G");
        assert_eq!(line("a\nb\tc"), "a b c");
    }

    #[test]
    fn sgr_is_kept_only_in_sgr_mode() {
        let s = "\u{1b}[31mred\u{1b}[0m \u{1b}[1;1Hmoved";
        assert_eq!(clean(s, Mode::Sgr), "\u{1b}[31mred\u{1b}[0m ^[[1;1Hmoved");
        assert_eq!(text(s), "^[[31mred^[[0m ^[[1;1Hmoved");
        assert_eq!(strip_sgr(s), "red ^[[1;1Hmoved");
    }

    #[test]
    fn bidi_overrides_are_removed_and_revealed() {
        assert_eq!(line("abc\u{202E}fed"), "abcfed");
        assert_eq!(reveal("rm\u{202E} -rf"), "rm<U+202E> -rf");
        assert_eq!(reveal("a\u{200B}b\tc\n"), "a<U+200B>b<TAB>c⏎\n");
    }

    #[test]
    fn carriage_returns() {
        assert_eq!(text("a\r\nb"), "a\nb");
        assert_eq!(text("50%\r100%"), "50%^M100%");
        assert_eq!(text("end\r"), "end^M");
    }

    #[test]
    fn a_sequence_cut_off_at_the_end_is_shown() {
        assert_eq!(line("evil \u{1b}"), "evil ^[");
        assert_eq!(line("x\u{1b}]0;tit"), "x^[]0;tit");
        assert_eq!(line("x\u{1b}[3"), "x^[[3");
    }

    #[test]
    fn c1_controls_are_visible() {
        assert_eq!(line("a\u{9b}31mb"), "a<U+009B>31mb");
    }

    #[test]
    fn streaming_handles_split_sequences() {
        let mut s = Sanitizer::new(Mode::Sgr);
        let mut out = s.push(b"ok \x1b[3");
        out.push_str(&s.push(b"2mgreen\x1b[0m\x1b]2;ti"));
        out.push_str(&s.push(b"tle\x07"));
        out.push_str(&s.finish());
        assert_eq!(out, "ok \u{1b}[32mgreen\u{1b}[0m^[]2;title^G");
    }
}
