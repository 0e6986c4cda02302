//! Helpers for reading YAML files with serde-saphyr: flexible scalar types
//! and turning errors into diagnostics with file positions.

use crate::util::diag::{Diagnostic, Pos};
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, SeqAccess, Visitor};
use std::fmt;

/// A string, or a list of strings.
#[derive(Default, Debug)]
pub struct OneOrMany(pub Vec<String>);

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OneOrMany;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<OneOrMany, E> {
                Ok(OneOrMany(vec![v.to_owned()]))
            }
            fn visit_unit<E: de::Error>(self) -> Result<OneOrMany, E> {
                Ok(OneOrMany(Vec::new()))
            }
            fn visit_none<E: de::Error>(self) -> Result<OneOrMany, E> {
                Ok(OneOrMany(Vec::new()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<OneOrMany, A::Error> {
                let mut out = Vec::new();
                while let Some(Scalar(s)) = seq.next_element()? {
                    out.push(s);
                }
                Ok(OneOrMany(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// Any scalar (string, number, boolean), as text.
#[derive(Debug, Clone)]
pub struct Scalar(pub String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, number or boolean")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(v.to_owned()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// A duration written as text (`2m`) or a number of seconds.
#[derive(Debug)]
pub struct DurationText(pub String);

impl<'de> Deserialize<'de> for DurationText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Scalar::deserialize(d).map(|s| DurationText(s.0))
    }
}

/// A duration from a YAML value (`30s`, `2m`, `1h30m` or seconds), or a
/// diagnostic at `pos` that starts with `what`.
pub fn duration(text: &str, pos: Pos, what: &str) -> Result<std::time::Duration, Diagnostic> {
    crate::util::duration::parse(text).map_err(|e| {
        Diagnostic::error("invalid-duration", pos, format!("{what}: {e}"))
            .with_hint("write a duration such as `30s`, `2m` or `1h30m`")
    })
}

/// [`duration`] for a value read with its location.
pub fn spanned_duration(
    d: &serde_saphyr::Spanned<DurationText>,
    what: &str,
) -> Result<std::time::Duration, Diagnostic> {
    duration(&d.value.0, pos_of(&d.referenced), what)
}

/// A YAML location as a diagnostic position.
pub fn pos_of(loc: &serde_saphyr::Location) -> Pos {
    Pos::new(clamp32(loc.line()), clamp32(loc.column()))
}

fn clamp32(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// Turn a serde-saphyr error into a diagnostic. `line_offset` is added to
/// the line (front matter starts on line 2 of its file).
pub fn yaml_error(
    err: &serde_saphyr::Error,
    text: &str,
    line_offset: u32,
    syntax_code: &'static str,
    docs: &str,
) -> Diagnostic {
    let pos = err.location().map_or(Pos::new(1 + line_offset, 1), |l| {
        Pos::new(
            clamp32(l.line()).max(1) + line_offset,
            clamp32(l.column()).max(1),
        )
    });
    let rendered = err.to_string();
    let first = rendered.lines().next().unwrap_or("invalid YAML");
    // "error: line 2 column 1: unknown field `x`, expected one of …"
    let message = first
        .strip_prefix("error: ")
        .unwrap_or(first)
        .split_once(": ")
        .filter(|(head, _)| head.starts_with("line "))
        .map_or(first, |(_, m)| m)
        .to_owned();
    // A syntax error also fails an untyped parse; a type error does not.
    let syntax_ok = serde_saphyr::from_str::<IgnoredAny>(text).is_ok();
    if !syntax_ok {
        return Diagnostic::error(syntax_code, pos, format!("invalid YAML: {message}")).with_hint(
            "check indentation (spaces, not tabs), quotes and brackets around this point",
        );
    }
    if message.contains("unknown field") {
        let field = message.split('`').nth(1).unwrap_or("?").to_owned();
        return Diagnostic::error("unknown-field", pos, format!("unknown field `{field}`"))
            .with_hint(
                message
                    .split_once(", ")
                    .map_or(format!("see {docs} for the fields"), |(_, rest)| {
                        rest.to_owned()
                    }),
            );
    }
    Diagnostic::error("invalid-field", pos, message)
        .with_hint(format!("see {docs} for the type of each field"))
}
