//! What the Markdown and YAML loaders share: the result of a load, the
//! runbook header (front matter or a YAML file's top keys) and how it is
//! applied, automatic step ids, and small text helpers.

use super::model::*;
use super::template;
use crate::util::diag::{Diagnostic, Pos};
use crate::util::yaml::{OneOrMany, Scalar, pos_of};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;
use std::collections::HashSet;
use std::fmt;

/// The result of loading one file: the runbook (unless the file could not be
/// read as one at all) and everything found wrong on the way.
#[derive(Debug)]
pub struct Loaded {
    /// The runbook, unless the file could not be read as one at all.
    pub runbook: Option<Runbook>,
    /// Everything found wrong on the way.
    pub diagnostics: Vec<Diagnostic>,
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

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawVariable {
    name: Spanned<String>,
    #[serde(alias = "description")]
    prompt: Option<String>,
    default: Option<Scalar>,
    #[serde(default)]
    required: bool,
    /// `ask: on_use`: asked when a command that needs it is about to run,
    /// not on the start form.
    ask: Option<Spanned<String>>,
    /// The alert label it comes from (`label: namespace`).
    label: Option<String>,
}

/// Is `ask:` the "when a command needs it" value?
pub(crate) fn ask_on_use(value: &str) -> Option<bool> {
    match value.trim() {
        "on_use" | "on-use" | "later" => Some(true),
        "on_start" | "on-start" | "start" => Some(false),
        _ => None,
    }
}

/// `variables:` as a list of declarations, or a map from name to default.
#[derive(Debug, Default)]
pub(crate) struct RawVariables(Vec<VarDecl>);

/// A variable declaration as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct VarDecl {
    /// Its name.
    pub name: String,
    /// What the start form asks.
    pub prompt: Option<String>,
    /// Its default.
    pub default: Option<String>,
    /// It must have a value.
    pub required: bool,
    /// Where its name is.
    pub pos: Pos,
    /// `ask: on_use`.
    pub ask_on_use: bool,
    /// `label:`: the alert label it is filled from.
    pub label: Option<String>,
}

impl<'de> Deserialize<'de> for RawVariables {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawVariables;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of variables (name, prompt, default, required) or a map from name to default")
            }
            fn visit_unit<E: de::Error>(self) -> Result<RawVariables, E> {
                Ok(RawVariables::default())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawVariables, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = seq.next_element::<RawVariable>()? {
                    let on_use = match &v.ask {
                        None => false,
                        Some(a) => ask_on_use(&a.value).ok_or_else(|| {
                            de::Error::custom(format!(
                                "`ask: {}` is not `on_use` or `on_start`",
                                a.value
                            ))
                        })?,
                    };
                    out.push(VarDecl {
                        pos: pos_of(&v.name.referenced),
                        name: v.name.value,
                        prompt: v.prompt,
                        default: v.default.map(|s| s.0),
                        required: v.required,
                        ask_on_use: on_use,
                        label: v
                            .label
                            .map(|l| l.trim().to_owned())
                            .filter(|l| !l.is_empty()),
                    });
                }
                Ok(RawVariables(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawVariables, A::Error> {
                let mut out = Vec::new();
                while let Some(name) = map.next_key::<Spanned<String>>()? {
                    let default = map.next_value::<Option<Scalar>>()?;
                    out.push(VarDecl {
                        pos: pos_of(&name.referenced),
                        name: name.value,
                        default: default.map(|s| s.0),
                        ..VarDecl::default()
                    });
                }
                Ok(RawVariables(out))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLink {
    #[serde(alias = "text")]
    title: Option<String>,
    url: String,
}

/// The metadata both formats share: YAML runbooks at the top level, Markdown
/// runbooks in the front matter.
#[derive(Deserialize, Debug, Default)]
pub(crate) struct RawHeader {
    pub id: Option<Spanned<String>>,
    pub title: Option<Spanned<String>>,
    #[serde(alias = "description")]
    pub summary: Option<String>,
    pub severity: Option<Spanned<Scalar>>,
    #[serde(default)]
    pub tags: OneOrMany,
    #[serde(default, alias = "service")]
    pub services: OneOrMany,
    #[serde(alias = "team")]
    pub owner: Option<String>,
    #[serde(default, alias = "alert")]
    pub alerts: OneOrMany,
    #[serde(default)]
    pub sources: OneOrMany,
    pub query_source: Option<String>,
    pub variables: Option<RawVariables>,
}

/// Front matter keys Mayday reads (aliases included).
pub(crate) const HEADER_KEYS: &[&str] = &[
    "id",
    "title",
    "summary",
    "description",
    "severity",
    "tags",
    "services",
    "service",
    "owner",
    "team",
    "alerts",
    "alert",
    "sources",
    "query_source",
    "variables",
];

/// The header fields both formats share, with positions already shifted to
/// file lines. Built from serde-saphyr's [`RawHeader`] or by the front-matter
/// fast path (`super::frontmatter`).
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Header {
    pub id: Option<(String, Pos)>,
    pub title: Option<(String, Pos)>,
    pub summary: Option<String>,
    pub severity: Option<(String, Pos)>,
    pub tags: Vec<String>,
    pub services: Vec<String>,
    pub owner: Option<String>,
    pub alerts: Vec<String>,
    pub sources: Vec<String>,
    pub query_source: Option<String>,
    pub variables: Option<Vec<VarDecl>>,
}

impl RawHeader {
    pub(crate) fn into_header(self, line_offset: u32) -> Header {
        let shift = |p: Pos| Pos::new(p.line + line_offset, p.column);
        Header {
            id: self.id.map(|v| (v.value, shift(pos_of(&v.referenced)))),
            title: self.title.map(|v| (v.value, shift(pos_of(&v.referenced)))),
            summary: self.summary,
            severity: self
                .severity
                .map(|v| (v.value.0, shift(pos_of(&v.referenced)))),
            tags: self.tags.0,
            services: self.services.0,
            owner: self.owner,
            alerts: self.alerts.0,
            sources: self.sources.0,
            query_source: self.query_source,
            variables: self.variables.map(|vars| {
                vars.0
                    .into_iter()
                    .map(|v| VarDecl {
                        pos: shift(v.pos),
                        ..v
                    })
                    .collect()
            }),
        }
    }
}

/// Apply the shared header to a runbook.
pub(crate) fn apply_header(rb: &mut Runbook, h: Header, diags: &mut Vec<Diagnostic>) {
    if let Some((id, pos)) = h.id {
        rb.id_pos = pos;
        if is_valid_id(&id) {
            rb.id = id;
        } else {
            diags.push(
                Diagnostic::error(
                    "invalid-field",
                    pos,
                    format!("`{id}` is not a valid runbook id"),
                )
                .with_hint("use lower-case letters, digits, `-`, `_` and `.`"),
            );
        }
    }
    if let Some((title, pos)) = h.title {
        rb.title_pos = pos;
        rb.title = title.trim().to_owned();
    }
    rb.summary = h
        .summary
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    if let Some((sev, pos)) = h.severity {
        match sev.parse::<Severity>() {
            Ok(s) => rb.severity = Some(s),
            Err(e) => diags.push(Diagnostic::error("invalid-field", pos, e)),
        }
    }
    rb.tags = h.tags;
    rb.services = h.services;
    rb.owner = h.owner;
    rb.alerts = h.alerts;
    rb.sources = h.sources;
    rb.query_source = h
        .query_source
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    if let Some(vars) = h.variables {
        for VarDecl {
            name,
            prompt,
            default,
            required,
            pos,
            ask_on_use,
            label,
        } in vars
        {
            if !template::is_valid_name(&name) {
                diags.push(
                    Diagnostic::error(
                        "invalid-variable",
                        pos,
                        format!("`{name}` is not a valid variable name"),
                    )
                    .with_hint("start with a letter or `_`; use letters, digits, `_` and `-`"),
                );
                continue;
            }
            if rb.variables.iter().any(|v| v.name == name) {
                diags.push(Diagnostic::error(
                    "invalid-variable",
                    pos,
                    format!("variable `{name}` is declared twice"),
                ));
                continue;
            }
            rb.variables.push(Variable {
                name,
                prompt,
                default,
                required,
                ask_on_use,
                label,
                pos,
            });
        }
    }
}

pub(crate) fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

pub(crate) fn not_runnable(pos: Pos, lang: Option<&str>) -> Diagnostic {
    Diagnostic::error(
        "not-runnable-language",
        pos,
        format!(
            "`{}` blocks cannot be runnable: only sh, bash, shell and zsh run",
            lang.unwrap_or("?")
        ),
    )
    .with_hint("remove `run`, or make it a shell command")
}

pub(crate) fn not_runnable_diag(pos: Pos, lang: Option<&str>) -> Diagnostic {
    not_runnable(pos, lang)
}

pub(crate) fn link(l: Spanned<RawLink>) -> Link {
    let pos = pos_of(&l.referenced);
    let l = l.value;
    Link {
        text: l.title.unwrap_or_else(|| l.url.clone()),
        url: l.url,
        pos,
    }
}

pub(crate) fn empty_runbook(file_id: &str, format: Format) -> Runbook {
    Runbook {
        id: file_id.to_owned(),
        title: String::new(),
        summary: None,
        severity: None,
        tags: Vec::new(),
        services: Vec::new(),
        owner: None,
        alerts: Vec::new(),
        sources: Vec::new(),
        query_source: None,
        variables: Vec::new(),
        intro: String::new(),
        steps: Vec::new(),
        links: Vec::new(),
        format,
        path: String::new(),
        origin: Origin::Extra,
        hash: String::new(),
        id_pos: Pos::new(1, 1),
        title_pos: Pos::new(1, 1),
        steps_pos: None,
        var_uses: Vec::new(),
        anchors: Vec::new(),
    }
}

/// The Levenshtein distance between two strings, in characters (for "did you
/// mean" suggestions).
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}
