//! Query blocks: fenced ```` ```promql ```` and ```` ```logql ```` blocks
//! of a step, which the TUI evaluates against a configured source, and how
//! their `{{variables}}` and `$ALERT_LABELS` are filled in.
//!
//! A query is read-only, so filling needs no trust, but a value must not
//! change the query's shape: inside a quoted string it is escaped for that
//! string; outside quotes only plain names and numbers
//! (`[A-Za-z0-9_:.-]`) are put in, anything else is refused.

use super::model::{Command, Step};
use super::template;
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// A chart's window when the block names none.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(30 * 60);

pub use crate::status::query::QueryLanguage;

/// One query block of a step.
#[derive(Clone, Copy, Debug)]
pub struct QueryBlock<'a> {
    /// Its place among the step's query blocks (0, 1, …).
    pub index: usize,
    /// Its place among the step's commands (code blocks).
    pub command_index: usize,
    /// What it is written in.
    pub language: QueryLanguage,
    /// The block.
    pub command: &'a Command,
}

impl QueryBlock<'_> {
    /// The chart's window.
    pub fn window(&self) -> Duration {
        self.command.window.unwrap_or(DEFAULT_WINDOW)
    }
}

impl Step {
    /// The step's query blocks, in order.
    pub fn queries(&self) -> impl Iterator<Item = QueryBlock<'_>> {
        self.commands
            .iter()
            .enumerate()
            .filter_map(|(ci, c)| Some((ci, QueryLanguage::of(c.language.as_deref())?, c)))
            .enumerate()
            .map(|(index, (command_index, language, command))| QueryBlock {
                index,
                command_index,
                language,
                command,
            })
    }
}

/// Why a query cannot be filled in (yet).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FillError {
    /// `{{name}}` has no value yet.
    Missing(String),
    /// The value cannot go where the placeholder stands.
    Unsafe {
        /// The variable or label.
        name: String,
    },
}

impl fmt::Display for FillError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FillError::Missing(name) => write!(f, "waiting for {{{{{name}}}}}: give it a value"),
            FillError::Unsafe { name } => write!(
                f,
                "the value of {name} is not a plain name, so it is not put outside quotes (quote the placeholder in the query)"
            ),
        }
    }
}

/// Where in a query a byte is: which string literal it is inside.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Quote {
    None,
    Double,
    Single,
    Back,
}

/// Fill `{{name}}` from `vars` and `$NAME` / `${NAME}` from `labels`
/// (alert labels, keys as [`template::label_placeholders`] makes them).
/// Unknown `$NAME`s stay as written.
pub fn fill(
    text: &str,
    vars: &BTreeMap<String, String>,
    labels: &BTreeMap<String, String>,
) -> Result<String, FillError> {
    let refs = template::find(text);
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut quote = Quote::None;
    let mut refs = refs.iter().peekable();
    let mut i = 0;
    while i < bytes.len() {
        if let Some(r) = refs.peek().filter(|r| r.start == i) {
            // An empty value is no value: `service=""` would match the
            // series without the label, not the one the responder meant.
            let value = vars
                .get(r.name)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| FillError::Missing(r.name.to_owned()))?;
            out.push_str(&put(value, quote, r.name)?);
            i = r.end;
            refs.next();
            continue;
        }
        let b = bytes[i];
        if b == b'$'
            && let Some((name, used)) = label_name(&text[i + 1..])
            && let Some(value) = labels.get(name)
        {
            out.push_str(&put(value, quote, name)?);
            i += 1 + used;
            continue;
        }
        match (quote, b) {
            (Quote::None, b'"') => quote = Quote::Double,
            (Quote::None, b'\'') => quote = Quote::Single,
            (Quote::None, b'`') => quote = Quote::Back,
            (Quote::Double, b'"') | (Quote::Single, b'\'') | (Quote::Back, b'`') => {
                quote = Quote::None
            }
            (Quote::Double | Quote::Single, b'\\') if i + 1 < bytes.len() => {
                // An escaped character: copy both, whatever the second is.
                let next = text[i + 1..].chars().next().map_or(1, char::len_utf8);
                out.push_str(&text[i..i + 1 + next]);
                i += 1 + next;
                continue;
            }
            _ => {}
        }
        let len = text[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&text[i..i + len]);
        i += len;
    }
    Ok(out)
}

/// `NAME` or `{NAME}` after a `$`: the name and how many bytes it takes.
fn label_name(after: &str) -> Option<(&str, usize)> {
    let name_len = |s: &str| {
        s.char_indices()
            .take_while(|(i, c)| {
                c.is_ascii_uppercase() || *c == '_' || (*i > 0 && c.is_ascii_digit())
            })
            .count()
    };
    if let Some(inner) = after.strip_prefix('{') {
        let n = name_len(inner);
        (n > 0 && inner[n..].starts_with('}')).then(|| (&inner[..n], n + 2))
    } else {
        let n = name_len(after);
        (n > 0).then(|| (&after[..n], n))
    }
}

/// A value as it may stand where the placeholder is.
fn put(value: &str, quote: Quote, name: &str) -> Result<String, FillError> {
    let unsafe_ = || FillError::Unsafe {
        name: name.to_owned(),
    };
    match quote {
        Quote::Double | Quote::Single => {
            let q = if quote == Quote::Double { '"' } else { '\'' };
            let mut out = String::with_capacity(value.len());
            for c in value.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    c if c == q => {
                        out.push('\\');
                        out.push(c);
                    }
                    c if c.is_control() => return Err(unsafe_()),
                    c => out.push(c),
                }
            }
            Ok(out)
        }
        Quote::Back => {
            if value.contains('`') || value.chars().any(char::is_control) {
                Err(unsafe_())
            } else {
                Ok(value.to_owned())
            }
        }
        Quote::None => {
            let plain = !value.is_empty()
                && value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | ':' | '.' | '-'));
            if plain {
                Ok(value.to_owned())
            } else {
                Err(unsafe_())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn variables_and_labels_are_filled_in() {
        let q =
            r#"sum(rate(http_requests_total{namespace="{{namespace}}", pod="$POD"}[{{window}}]))"#;
        let out = fill(
            q,
            &map(&[("namespace", "payments"), ("window", "5m")]),
            &map(&[("POD", "api-7")]),
        )
        .unwrap();
        assert_eq!(
            out,
            r#"sum(rate(http_requests_total{namespace="payments", pod="api-7"}[5m]))"#
        );
    }

    #[test]
    fn a_value_cannot_break_out_of_its_string() {
        let q = r#"up{job="{{job}}"}"#;
        let out = fill(
            q,
            &map(&[("job", r#"x"} or vector(1) or up{a="\"#)]),
            &map(&[]),
        )
        .unwrap();
        assert_eq!(out, r#"up{job="x\"} or vector(1) or up{a=\"\\"}"#);
        // Single quotes escape their own quote.
        let out = fill("up{job='{{job}}'}", &map(&[("job", "it's")]), &map(&[])).unwrap();
        assert_eq!(out, r"up{job='it\'s'}");
        // A newline is written as an escape, other control bytes refused.
        let out = fill(r#"up{job="{{job}}"}"#, &map(&[("job", "a\nb")]), &map(&[])).unwrap();
        assert_eq!(out, r#"up{job="a\nb"}"#);
        assert!(
            fill(
                r#"up{job="{{job}}"}"#,
                &map(&[("job", "a\x1bb")]),
                &map(&[])
            )
            .is_err()
        );
    }

    #[test]
    fn outside_quotes_only_plain_names_go_in() {
        let q = "rate(x[{{w}}])";
        assert_eq!(
            fill(q, &map(&[("w", "5m")]), &map(&[])).unwrap(),
            "rate(x[5m])"
        );
        assert_eq!(
            fill(q, &map(&[("w", "5m]) or vector(1")]), &map(&[])),
            Err(FillError::Unsafe { name: "w".into() })
        );
        assert_eq!(
            fill(q, &map(&[("w", "")]), &map(&[])),
            Err(FillError::Missing("w".into()))
        );
        // A `;` is not a plain name either.
        assert!(fill("{{m}}", &map(&[("m", "up;")]), &map(&[])).is_err());
    }

    #[test]
    fn missing_values_and_unknown_labels() {
        assert_eq!(
            fill(r#"up{ns="{{namespace}}"}"#, &map(&[]), &map(&[])),
            Err(FillError::Missing("namespace".into()))
        );
        // `$UNKNOWN` and Grafana's `$__interval` stay as written.
        let q = r#"rate(x{a="$UNKNOWN"}[$__interval])"#;
        assert_eq!(fill(q, &map(&[]), &map(&[("POD", "p")])).unwrap(), q);
        // `${POD}` is filled; inside a raw string a backtick is refused.
        assert_eq!(
            fill(r#"x{pod="${POD}"}"#, &map(&[]), &map(&[("POD", "p-1")])).unwrap(),
            r#"x{pod="p-1"}"#
        );
        assert!(fill("x{pod=`$POD`}", &map(&[]), &map(&[("POD", "a`b")])).is_err());
        // An escaped quote does not end the string.
        let q = r#"x{a="\"{{v}}"}"#;
        assert_eq!(
            fill(q, &map(&[("v", "a b")]), &map(&[])).unwrap(),
            r#"x{a="\"a b"}"#
        );
    }

    #[test]
    fn queries_of_a_step_in_order() {
        let loaded = crate::runbook::load(
            "q.md",
            b"# Q\n\n## Check\n\n```promql source=prod window=1h\nup\n```\n\n```sh\nls\n```\n\n```logql\n{app=\"x\"}\n```\n",
            crate::runbook::Origin::Bundled,
        );
        let rb = loaded.runbook.unwrap();
        let q: Vec<_> = rb.steps[0].queries().collect();
        assert_eq!(q.len(), 2);
        assert_eq!(q[0].language, QueryLanguage::Promql);
        assert_eq!(q[0].command.source.as_deref(), Some("prod"));
        assert_eq!(q[0].window(), Duration::from_secs(3600));
        assert_eq!(q[1].language, QueryLanguage::Logql);
        assert_eq!(q[1].index, 1);
        assert_eq!(q[1].command_index, 2);
        assert_eq!(q[1].window(), DEFAULT_WINDOW);
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    }

    #[test]
    fn attributes_in_braces_and_mistakes() {
        let loaded = crate::runbook::load(
            "q.md",
            b"# Q\n\n## Check\n\n```PromQL {source=prod window=6h}\nup\n```\n\n```promql source=p windw=1h {run}\nup\n```\n\n```logql window=0s\n{a=\"b\"}\n```\n",
            crate::runbook::Origin::Bundled,
        );
        let rb = loaded.runbook.unwrap();
        let q: Vec<_> = rb.steps[0].queries().collect();
        assert_eq!(q.len(), 3);
        assert_eq!(q[0].command.source.as_deref(), Some("prod"));
        assert_eq!(q[0].window(), Duration::from_secs(6 * 3600));
        // A query block never runs as a command, whatever it says.
        assert!(!q[1].command.runnable);
        let codes: Vec<&str> = loaded.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(
            codes,
            ["unknown-attribute", "unknown-attribute", "invalid-duration"],
            "{:?}",
            loaded.diagnostics
        );
        assert_eq!(q[2].window(), DEFAULT_WINDOW);
    }
}
