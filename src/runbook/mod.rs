//! Runbooks: the model, and the loaders for its two formats.

mod body;
pub(crate) mod common;
pub mod coverage;
mod frontmatter;
pub mod library;
pub mod lint;
pub mod markdown;
pub mod matching;
mod model;
pub mod query;
pub mod template;
pub mod watch;
mod yaml;

pub use body::{Marker, marker, options, wait};
pub use common::Loaded;
pub use model::*;

use crate::util::diag::{Diagnostic, LineIndex, Pos};

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

/// A runbook with no steps, standing in for one that cannot be found.
pub fn placeholder(id: &str, title: &str) -> Runbook {
    let mut rb = common::empty_runbook(id, Format::Markdown);
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
