//! Runbooks: the model, and the loaders for its two formats.

mod frontmatter;
pub mod library;
pub mod lint;
pub mod markdown;
mod model;
pub mod template;
pub mod watch;
mod yaml;

pub use model::*;

use crate::util::diag::{Diagnostic, LineIndex, Pos};
use std::collections::HashSet;

/// The result of loading one file: the runbook (unless the file could not be
/// read as one at all) and everything found wrong on the way.
#[derive(Debug)]
pub struct Loaded {
    pub runbook: Option<Runbook>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Load a runbook from a file's bytes. `path` is what diagnostics and the
/// runbook's `path` show; its extension picks the format and its stem is the
/// id when the file declares none.
pub fn load(path: &str, bytes: &[u8], origin: Origin) -> Loaded {
    load_with(path, bytes, origin, true)
}

/// [`load`], optionally without the content hash (`hash` stays empty): for
/// listing and linting, which never need it.
pub fn load_with(path: &str, bytes: &[u8], origin: Origin, hash: bool) -> Loaded {
    let format = Format::from_path(path).unwrap_or(Format::Markdown);
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let good = &bytes[..e.valid_up_to()];
            // The prefix is valid UTF-8 by construction.
            let good = std::str::from_utf8(good).unwrap_or_default();
            let pos = LineIndex::new(good).pos(good, good.len());
            let d = Diagnostic::error("invalid-utf8", pos, "the file is not valid UTF-8")
                .with_hint("save the file as UTF-8")
                .at_path(path);
            return Loaded {
                runbook: None,
                diagnostics: vec![d],
            };
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let file_id = id_from_path(path);
    let mut loaded = match format {
        Format::Markdown => markdown::load(text, &file_id),
        Format::Yaml => yaml::load(text, &file_id),
    };
    for d in &mut loaded.diagnostics {
        path.clone_into(&mut d.path);
    }
    if let Some(rb) = loaded.runbook.as_mut() {
        path.clone_into(&mut rb.path);
        rb.origin = origin;
        if hash {
            rb.hash = content_hash(bytes);
        }
    }
    loaded
}

/// The content hash of a file: BLAKE3 of its bytes, hex. Incident logs
/// record it, and trust is bound to it.
pub fn content_hash(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// The id a file gets when it declares none: its file name without the
/// extension, slugified.
pub fn id_from_path(path: &str) -> String {
    let name = path.rsplit(['/', '\\', ':']).next().unwrap_or(path);
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    let slug = slugify(stem);
    if slug.is_empty() {
        "runbook".to_owned()
    } else {
        slug
    }
}

/// The automatic ids given so far, and the next suffix to try for each
/// base, so a thousand headings with one title cost a thousand steps, not
/// half a million probes.
#[derive(Debug, Default)]
pub(crate) struct AutoIds {
    used: HashSet<String>,
    next: std::collections::HashMap<String, usize>,
}

/// A heading's slug, made unique the way GitHub does (`-1`, `-2`, …).
pub(crate) fn unique_slug(title: &str, index: usize, used: &mut AutoIds) -> String {
    unique_id(slugify(title), index, used)
}

/// Make a slug unique among `used` (`-1`, `-2`, …).
pub(crate) fn unique_id(base: String, index: usize, used: &mut AutoIds) -> String {
    let base = if base.is_empty() {
        format!("step-{}", index + 1)
    } else {
        base
    };
    if used.used.insert(base.clone()) {
        return base;
    }
    let n = used.next.entry(base.clone()).or_insert(1);
    loop {
        let id = format!("{base}-{n}");
        *n += 1;
        if used.used.insert(id.clone()) {
            return id;
        }
    }
}

/// Collapse runs of white space (new lines included) into single spaces.
pub(crate) fn squash(s: &str) -> String {
    let t = s.trim();
    // Most text has single spaces already.
    let b = t.as_bytes();
    let simple = b
        .iter()
        .all(|c| c.is_ascii() && (*c == b' ' || !c.is_ascii_whitespace()))
        && !b.windows(2).any(|w| w == b"  ");
    if simple {
        return t.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    for w in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// The confirmation a runnable command gets when the runbook names none:
/// typed for dangerous commands in steps that change things, else y/n.
pub(crate) fn default_confirm(dangerous: bool, kind: StepKind) -> Confirm {
    if dangerous && kind.changes_things() {
        Confirm::Typed
    } else {
        Confirm::Confirm
    }
}

/// A runbook with no steps, standing in for one that cannot be found.
pub fn placeholder(id: &str, title: &str) -> Runbook {
    let mut rb = yaml::empty_runbook(id, Format::Markdown);
    title.clone_into(&mut rb.title);
    rb
}

/// Where a runbook's `{{name}}` appears first, for messages.
pub fn first_use<'a>(rb: &'a Runbook, name: &str) -> Option<&'a VarUse> {
    rb.var_uses.iter().find(|u| u.name == name)
}

impl Runbook {
    /// Positions are useful in diagnostics; this is the fallback.
    pub fn pos(&self) -> Pos {
        self.id_pos
    }
}
