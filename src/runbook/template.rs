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
    pub name: &'a str,
    pub start: usize,
    pub end: usize,
}

/// Is `name` a valid variable name?
pub fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

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
        let Some(close_rel) = find_double(&bytes[inner_start..], b'}') else {
            break;
        };
        let inner_end = inner_start + close_rel;
        let inner = &text[inner_start..inner_end];
        let name = inner.trim_matches(' ');
        if name.is_empty()
            || inner.len() > 80
            || !is_valid_name(name)
            || GO_KEYWORDS.contains(&name)
        {
            continue;
        }
        out.push(VarRef {
            name,
            start,
            end: inner_end + 2,
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

#[cfg(test)]
mod tests {
    use super::*;

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
