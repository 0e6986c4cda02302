//! `{{name}}` variables: finding and substituting them without touching text
//! that only looks like a template (Go templates, Helm, Hugo shortcodes,
//! Prometheus' `{{ $labels.x }}`).

use std::collections::BTreeMap;

/// Go-template keywords: `{{end}}` in a `kubectl -o go-template=…` command is
/// not a variable.
const GO_KEYWORDS: &[&str] = &[
    "end", "else", "range", "if", "with", "define", "template", "block", "break", "continue", "nil",
];

/// One `{{name}}` occurrence: the name and the byte range of the whole
/// placeholder, braces included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VarRef<'a> {
    /// The variable's name.
    pub name: &'a str,
    /// Where `{{` starts (byte offset).
    pub start: usize,
    /// Where `}}` ends (byte offset, exclusive).
    pub end: usize,
    /// `{{name|raw}}`: the runbook asks for the value unquoted in a shell
    /// command (such commands always ask before they run).
    pub raw: bool,
}

/// Is `name` a valid variable name?
pub fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The longest text between `{{` and `}}` that can be a variable.
const MAX_INNER: usize = 80;

/// Where `bb` (two equal bytes, `{{` or `}}`) first occurs. memchr for the
/// byte: cheaper than building a substring searcher for every text.
fn find_double(hay: &[u8], b: u8) -> Option<usize> {
    let mut from = 0;
    while let Some(rel) = memchr::memchr(b, &hay[from..]) {
        let i = from + rel;
        if hay.get(i + 1) == Some(&b) {
            return Some(i);
        }
        from = i + 1;
    }
    None
}

/// Every `{{name}}` / `{{ name }}` in `text`, in order.
pub fn find(text: &str) -> Vec<VarRef<'_>> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(rel) = find_double(&bytes[from..], b'{') {
        let start = from + rel;
        from = start + 2;
        // `{{{name}}}` is another language's syntax: leave it.
        if start > 0 && bytes[start - 1] == b'{' {
            continue;
        }
        let inner_start = start + 2;
        // A name is at most 80 bytes: look for `}}` that far only, so text
        // full of unclosed `{{` is read in linear time.
        let window = (inner_start + MAX_INNER + 2).min(bytes.len());
        let Some(close_rel) = find_double(&bytes[inner_start..window], b'}') else {
            continue;
        };
        let inner_end = inner_start + close_rel;
        let inner = &text[inner_start..inner_end];
        let (name, raw) = match inner.split_once('|') {
            Some((n, f)) if f.trim_matches(' ') == "raw" => (n.trim_matches(' '), true),
            _ => (inner.trim_matches(' '), false),
        };
        if name.is_empty()
            || inner.len() > MAX_INNER
            || !is_valid_name(name)
            || GO_KEYWORDS.contains(&name)
        {
            continue;
        }
        out.push(VarRef {
            name,
            start,
            end: inner_end + 2,
            raw,
        });
        from = inner_end + 2;
    }
    out
}

/// Replace every `{{name}}` whose name is in `values`; everything else stays
/// exactly as written.
pub fn substitute(text: &str, values: &BTreeMap<String, String>) -> String {
    let refs = find(text);
    if refs.is_empty() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for r in refs {
        if let Some(value) = values.get(r.name) {
            out.push_str(&text[last..r.start]);
            out.push_str(value);
            last = r.end;
        }
    }
    out.push_str(&text[last..]);
    out
}

/// A shell command with the variables substituted so that each value
/// reaches the shell as the literal text it is, whatever it contains: quoted
/// for the place it lands in (bare words, `'…'`, `"…"`, here-documents).
/// `{{name|raw}}` pastes the value as written; `raw` in the result says
/// the command holds such a fragment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShellText {
    /// The command with the values in place.
    pub text: String,
    /// It holds a `{{name|raw}}` fragment (the command always asks).
    pub raw: bool,
}

/// Where in a shell command a byte is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ctx {
    Bare,
    Single,
    Double,
    Comment,
    /// A here-document body; `expands` when its delimiter was unquoted.
    Heredoc {
        expands: bool,
    },
}

/// The quoting context at each placeholder, by scanning the text once, and
/// how many `…` command substitutions it sits in (each unescapes once).
fn contexts(text: &str, refs: &[VarRef<'_>]) -> Vec<(Ctx, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(refs.len());
    let mut k = 0;
    let mut ctx = Ctx::Bare;
    // Here-documents opened on the current line, bodies still to come.
    let mut pending: std::collections::VecDeque<(String, bool)> = Default::default();
    let mut delim: Option<String> = None;
    // Command substitutions and subshells: the context to return to, and
    // the byte that closes them.
    let mut nest: Vec<(Ctx, u8)> = Vec::new();
    let mut line_start = true;
    let mut i = 0;
    while i < b.len() {
        if line_start && let Some(d) = &delim {
            let line_end = memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |n| i + n);
            if text[i..line_end].trim_start_matches('\t') == d {
                while k < refs.len() && refs[k].start < line_end {
                    out.push((Ctx::Bare, 0));
                    k += 1;
                }
                ctx = Ctx::Bare;
                delim = None;
                if let Some((d, expands)) = pending.pop_front() {
                    ctx = Ctx::Heredoc { expands };
                    delim = Some(d);
                }
                i = line_end + 1;
                continue;
            }
        }
        line_start = false;
        if k < refs.len() && refs[k].start == i {
            out.push((ctx, nest.iter().filter(|(_, c)| *c == b'`').count()));
            i = refs[k].end;
            k += 1;
            continue;
        }
        let c = b[i];
        match ctx {
            Ctx::Heredoc { .. } => line_start = c == b'\n',
            Ctx::Single => {
                if c == b'\'' {
                    ctx = Ctx::Bare;
                }
            }
            Ctx::Double => match c {
                b'\\' => i += 1,
                b'"' => ctx = Ctx::Bare,
                b'$' if b.get(i + 1) == Some(&b'(') => {
                    nest.push((ctx, b')'));
                    ctx = Ctx::Bare;
                    i += 1;
                }
                b'`' => {
                    nest.push((ctx, b'`'));
                    ctx = Ctx::Bare;
                }
                _ => {}
            },
            Ctx::Comment | Ctx::Bare if c == b'\n' => {
                ctx = Ctx::Bare;
                if let Some((d, expands)) = pending.pop_front() {
                    ctx = Ctx::Heredoc { expands };
                    delim = Some(d);
                    line_start = true;
                }
            }
            Ctx::Comment => {}
            Ctx::Bare => match c {
                b'\\' => i += 1,
                b'\'' => ctx = Ctx::Single,
                b'"' => ctx = Ctx::Double,
                b'#' if i == 0 || b" \t;&|(".contains(&b[i - 1]) => ctx = Ctx::Comment,
                b'(' => nest.push((Ctx::Bare, b')')),
                b')' | b'`' if nest.last().is_some_and(|(_, close)| *close == c) => {
                    ctx = nest.pop().map_or(Ctx::Bare, |(back, _)| back);
                }
                b'`' => nest.push((Ctx::Bare, b'`')),
                b'<' if b.get(i + 1) == Some(&b'<') && b.get(i + 2) != Some(&b'<') => {
                    let mut j = i + 2;
                    if b.get(j) == Some(&b'-') {
                        j += 1;
                    }
                    while b.get(j).is_some_and(|c| *c == b' ' || *c == b'\t') {
                        j += 1;
                    }
                    let start = j;
                    while b
                        .get(j)
                        .is_some_and(|c| !c.is_ascii_whitespace() && !b";&|<>()".contains(c))
                    {
                        j += 1;
                    }
                    let word = &text[start..j];
                    let quoted = word.contains(['\'', '"', '\\']);
                    let d: String = word
                        .chars()
                        .filter(|c| !matches!(c, '\'' | '"' | '\\'))
                        .collect();
                    if !d.is_empty() {
                        pending.push_back((d, !quoted));
                    }
                    i = j;
                    continue;
                }
                _ => {}
            },
        }
        i += 1;
    }
    while out.len() < refs.len() {
        out.push((ctx, 0));
    }
    out
}

/// Quote `value` for a bare word: `'…'`, with `'` as `'\''`.
pub fn shell_quote(value: &str) -> String {
    if !value.is_empty()
        && value
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"-_./:=@%+,".contains(&c))
    {
        return value.to_owned();
    }
    format!("'{}'", value.replace('\'', "'\\''"))
}

/// Why a value cannot be substituted safely where it is used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the value of `{name}` has a line break, which cannot go safely into a here-document")]
pub struct UnsafeValue {
    /// The variable.
    pub name: String,
}

/// Substitute `values` into a shell command, each quoted for where it lands
/// (see [`ShellText`]). Names without a value stay as written.
pub fn substitute_shell(
    text: &str,
    values: &BTreeMap<String, String>,
) -> Result<ShellText, UnsafeValue> {
    let refs = find(text);
    if refs.is_empty() {
        return Ok(ShellText {
            text: text.to_owned(),
            raw: false,
        });
    }
    let ctxs = contexts(text, &refs);
    let mut out = String::with_capacity(text.len() + 16);
    let mut last = 0;
    let mut raw = false;
    for (r, (ctx, backticks)) in refs.iter().zip(ctxs) {
        let Some(value) = values.get(r.name) else {
            continue;
        };
        out.push_str(&text[last..r.start]);
        last = r.end;
        if r.raw {
            raw = true;
            out.push_str(value);
            continue;
        }
        let quoted = quote_for(ctx, r.name, value)?;
        // Inside `…`, the shell first turns \\, \` and \$ back into \, `
        // and $: escape once per level.
        let mut quoted = quoted;
        for _ in 0..backticks {
            let mut esc = String::with_capacity(quoted.len() + 4);
            for ch in quoted.chars() {
                if matches!(ch, '\\' | '`' | '$') {
                    esc.push('\\');
                }
                esc.push(ch);
            }
            quoted = esc;
        }
        out.push_str(&quoted);
    }
    out.push_str(&text[last..]);
    Ok(ShellText { text: out, raw })
}

/// A value quoted for one context.
fn quote_for(ctx: Ctx, name: &str, value: &str) -> Result<String, UnsafeValue> {
    let mut out = String::with_capacity(value.len() + 2);
    {
        match ctx {
            Ctx::Bare => out.push_str(&shell_quote(value)),
            // A line break would end the comment and run the rest.
            Ctx::Comment => out.push_str(&value.replace(['\n', '\r'], " ")),
            Ctx::Single => out.push_str(&value.replace('\'', "'\\''")),
            Ctx::Double | Ctx::Heredoc { expands: true } => {
                if matches!(ctx, Ctx::Heredoc { .. }) && value.contains('\n') {
                    return Err(UnsafeValue {
                        name: name.to_owned(),
                    });
                }
                for ch in value.chars() {
                    if matches!(ch, '\\' | '$' | '`') || (ch == '"' && ctx == Ctx::Double) {
                        out.push('\\');
                    }
                    out.push(ch);
                }
            }
            Ctx::Heredoc { expands: false } => {
                if value.contains('\n') {
                    return Err(UnsafeValue {
                        name: name.to_owned(),
                    });
                }
                out.push_str(value);
            }
        }
    }
    Ok(out)
}

/// The shell-style placeholders of a display-only block (`$NAMESPACE`,
/// `${POD}`: how plain Markdown runbooks written for people spell them)
/// filled from `values` (keys upper-case). Unknown names, `$1`, `$?`,
/// `$(…)` and lower-case names stay as written.
pub fn fill_shell_placeholders(text: &str, values: &BTreeMap<String, String>) -> String {
    if values.is_empty() || !text.contains('$') {
        return text.to_owned();
    }
    let name_len = |s: &str| {
        s.char_indices()
            .take_while(|(i, c)| {
                c.is_ascii_uppercase() || *c == '_' || (*i > 0 && c.is_ascii_digit())
            })
            .count()
    };
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let (name, used) = if let Some(inner) = after.strip_prefix('{') {
            let n = name_len(inner);
            if n > 0 && inner[n..].starts_with('}') {
                (&inner[..n], n + 2)
            } else {
                ("", 0)
            }
        } else {
            let n = name_len(after);
            (&after[..n], n)
        };
        match values.get(name).filter(|_| !name.is_empty()) {
            Some(v) => {
                out.push_str(v);
                rest = &after[used..];
            }
            None => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// An alert's labels as shell placeholders: `namespace` → `NAMESPACE`,
/// `k8s-app` → `K8S_APP`.
pub fn label_placeholders(labels: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    labels
        .iter()
        .map(|(k, v)| {
            let name: String = k
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_uppercase()
                    } else {
                        '_'
                    }
                })
                .collect();
            (name, v.clone())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_placeholders_take_the_alert_labels() {
        let labels: BTreeMap<String, String> = [
            ("namespace", "payments"),
            ("pod", "api-7"),
            ("k8s-app", "dns"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let v = label_placeholders(&labels);
        assert_eq!(
            fill_shell_placeholders("kubectl describe pod -n $NAMESPACE ${POD} # $K8S_APP", &v),
            "kubectl describe pod -n payments api-7 # dns"
        );
        // Unknown, lower-case, positional and special ones stay.
        for t in [
            "$CONTAINER",
            "$namespace",
            "$1 $? $$ $(date)",
            "${NAMESPACE",
            "$ kubectl",
            "cost: 5$",
        ] {
            assert_eq!(fill_shell_placeholders(t, &v), t);
        }
        assert_eq!(fill_shell_placeholders("$NAMESPACEX", &v), "$NAMESPACEX");
    }

    fn names(text: &str) -> Vec<&str> {
        find(text).into_iter().map(|r| r.name).collect()
    }

    #[test]
    fn finds_simple_and_spaced_variables() {
        assert_eq!(
            names("kubectl -n {{namespace}} get {{ pod }}"),
            ["namespace", "pod"]
        );
        assert_eq!(names("{{a_b-c}}{{x1}}"), ["a_b-c", "x1"]);
    }

    #[test]
    fn template_lookalikes_are_not_variables() {
        let go = r#"kubectl get pods -o go-template='{{range .items}}{{.metadata.name}}{{"\n"}}{{end}}'"#;
        assert!(names(go).is_empty());
        assert!(names(r#"{{< ref "x.md" >}} {{% notice %}}"#).is_empty());
        assert!(names("{{ $labels.instance }} {{ .Values.image }} {{- if .x -}}").is_empty());
        assert!(names("{{{raw}}} {{}} {{ }} {{1abc}} {{a b}}").is_empty());
        // A variable right before a closing brace is still a variable.
        assert_eq!(
            names(r#"{run phrase={{cluster}}} '{"max":{{replicas}}}}'"#),
            ["cluster", "replicas"]
        );
    }

    #[test]
    fn substitute_leaves_unknown_and_lookalikes_alone() {
        let mut v = BTreeMap::new();
        v.insert("ns".to_owned(), "prod".to_owned());
        assert_eq!(
            substitute("-n {{ns}} {{other}} {{range .items}}{{end}}", &v),
            "-n prod {{other}} {{range .items}}{{end}}"
        );
        assert_eq!(substitute("no vars", &v), "no vars");
    }
}
