//! Diagnostics: what the loaders and the linter report about a file.

use serde::Serialize;
use std::fmt;

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// It stops the file from loading (or the check from passing).
    Error,
    /// Worth fixing; the file still loads.
    Warning,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Error => "error",
            Level::Warning => "warning",
        })
    }
}

/// A position in a source file (1-based line and column; 0 when unknown).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Pos {
    /// The line, 1-based.
    pub line: u32,
    /// The column, 1-based, in characters.
    pub column: u32,
}

impl Pos {
    /// A position.
    pub const fn new(line: u32, column: u32) -> Self {
        Self { line, column }
    }
}

/// One finding about one file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// The file.
    pub path: String,
    /// The line, 1-based.
    pub line: u32,
    /// The column, 1-based.
    pub column: u32,
    /// Error or warning.
    pub severity: Level,
    /// A stable code (`unknown-step`), for filtering and docs.
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// What to do about it.
    pub hint: Option<String>,
}

impl Diagnostic {
    /// An error at `pos`.
    pub fn error(code: &'static str, pos: Pos, message: impl Into<String>) -> Self {
        Self::new(Level::Error, code, pos, message)
    }

    /// A warning at `pos`.
    pub fn warning(code: &'static str, pos: Pos, message: impl Into<String>) -> Self {
        Self::new(Level::Warning, code, pos, message)
    }

    fn new(severity: Level, code: &'static str, pos: Pos, message: impl Into<String>) -> Self {
        Self {
            path: String::new(),
            line: pos.line,
            column: pos.column,
            severity,
            code,
            message: message.into(),
            hint: None,
        }
    }

    #[must_use]
    /// With a hint (what to do).
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    #[must_use]
    /// In this file.
    pub fn at_path(mut self, path: &str) -> Self {
        path.clone_into(&mut self.path);
        self
    }

    /// Is it an error?
    pub fn is_error(&self) -> bool {
        self.severity == Level::Error
    }
}

impl fmt::Display for Diagnostic {
    /// `path:line:column: error[code]: message` (`path: …` without a line), then `  = hint: …` on its own line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = crate::util::sanitize::line(&self.path);
        let message = crate::util::sanitize::line(&self.message);
        // A position only when there is one: no `:0:0:` for "no such
        // theme" or an unreadable file.
        match (path.is_empty(), self.line) {
            (true, _) => write!(f, "{}[{}]: {message}", self.severity, self.code)?,
            (false, 0) => write!(f, "{path}: {}[{}]: {message}", self.severity, self.code)?,
            _ => write!(
                f,
                "{path}:{}:{}: {}[{}]: {message}",
                self.line, self.column, self.severity, self.code
            )?,
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  = hint: {}", crate::util::sanitize::line(hint))?;
        }
        Ok(())
    }
}

/// Maps byte offsets in a source text to line/column positions.
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// The index of a text's line starts.
    pub fn new(text: &str) -> Self {
        let mut starts = Vec::with_capacity(text.len() / 32 + 1);
        starts.push(0);
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        Self { starts }
    }

    /// The 1-based line and (character) column of a byte offset.
    pub fn pos(&self, text: &str, offset: usize) -> Pos {
        let offset = offset.min(text.len());
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line.saturating_sub(1)];
        let column = text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count())
            + 1;
        Pos::new(line as u32, column as u32)
    }

    /// The 1-based line of a byte offset.
    pub fn line(&self, offset: usize) -> u32 {
        self.starts.partition_point(|&s| s <= offset) as u32
    }
}

/// An error and its causes, `: `-separated, each cause said once: error
/// types that already print their source (`{path}: {source}`) are not
/// followed by it again.
pub fn error_chain(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let text = "ab\nçd\n\nx";
        let idx = LineIndex::new(text);
        assert_eq!(idx.pos(text, 0), Pos::new(1, 1));
        assert_eq!(idx.pos(text, 1), Pos::new(1, 2));
        assert_eq!(idx.pos(text, 3), Pos::new(2, 1));
        // 'ç' is two bytes: the 'd' after it is column 2.
        assert_eq!(idx.pos(text, 5), Pos::new(2, 2));
        assert_eq!(idx.pos(text, 7), Pos::new(3, 1));
        assert_eq!(idx.pos(text, 8), Pos::new(4, 1));
        assert_eq!(idx.line(8), 4);
    }

    #[test]
    fn display_matches_the_compiler_style() {
        let d = Diagnostic::error("no-steps", Pos::new(3, 1), "no steps")
            .with_hint("add a `##` section")
            .at_path("a.md");
        assert_eq!(
            d.to_string(),
            "a.md:3:1: error[no-steps]: no steps\n  = hint: add a `##` section"
        );
    }
}
