//! A fast path for the front matter most runbooks have.
//!
//! serde-saphyr is exact but costs tens of microseconds per document, which
//! dominates loading ten thousand runbooks. Front matter is almost always a
//! handful of `key: value` lines, flow lists (`[a, b]`) and block lists. This
//! module reads exactly that subset and gives up (`None`) on anything else —
//! quotes with escapes, anchors, block scalars, nested maps, numbers or
//! booleans where a string is expected, duplicate keys, tabs — so that
//! serde-saphyr handles every case where the two could disagree. A property
//! test checks that both give the same header for the subset.

use super::common::Header;
use crate::util::diag::Pos;

/// One parsed value of the subset.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    /// A string scalar (plain or simply quoted) and its column.
    Str(String, u32),
    /// `true` / `false` (only where a boolean is expected).
    Bool(bool),
    /// A scalar whose type we do not classify (numbers, dates, …): fine for
    /// keys we ignore, a reason to give up for keys we read.
    Other,
    List(Vec<String>),
    /// A block list of simple maps (the `variables:` list).
    Maps(Vec<Vec<(String, Value, u32)>>),
}

/// Parse `fm` (the text between the `---` lines). `line_offset` is the
/// number of file lines before it. `None`: use the full YAML parser.
pub(crate) fn parse(fm: &str, line_offset: u32) -> Option<Header> {
    if fm.contains('\t') || fm.contains('\r') {
        return None;
    }
    let lines: Vec<&str> = fm.split('\n').collect();
    let mut h = Header::default();
    let mut seen: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if is_blank_or_comment(line) {
            i += 1;
            continue;
        }
        if line.starts_with(' ') {
            return None;
        }
        let (key, rest) = split_key(line)?;
        if seen.contains(&key) {
            return None;
        }
        seen.push(key);
        let line_no = line_offset + 1 + u32::try_from(i).ok()?;
        let rest_col = u32::try_from(line.len() - rest.len()).ok()?;
        let rest_trim = strip_comment(rest)?;
        let value;
        if rest_trim.trim().is_empty() {
            // A block list (or nothing: null).
            let (v, next) = block(&lines, i + 1, line_offset)?;
            value = v;
            i = next;
        } else {
            // A scalar or a flow list on this line; no continuation lines.
            if lines
                .get(i + 1)
                .is_some_and(|l| l.starts_with(' ') && !is_blank_or_comment(l))
            {
                return None;
            }
            let lead = rest_trim.len() - rest_trim.trim_start().len();
            value = inline(rest_trim.trim(), rest_col + u32::try_from(lead).ok()?)?;
            i += 1;
        }
        apply(&mut h, key, value, line_no)?;
    }
    Some(h)
}

fn is_blank_or_comment(line: &str) -> bool {
    let t = line.trim_start();
    t.is_empty() || t.starts_with('#')
}

/// `key: rest` with a simple key at column 0.
fn split_key(line: &str) -> Option<(&str, &str)> {
    let colon = line.find(':')?;
    let key = &line[..colon];
    let ok = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !ok {
        return None;
    }
    let rest = &line[colon + 1..];
    if !rest.is_empty() && !rest.starts_with(' ') {
        return None;
    }
    Some((key, rest))
}

/// Drop a trailing ` # comment` outside quotes; `None` when quoting makes it
/// unclear.
fn strip_comment(s: &str) -> Option<&str> {
    let t = s.trim_start();
    if t.starts_with('"') || t.starts_with('\'') {
        // Quoted: only `"…"` optionally followed by a comment.
        let q = t.chars().next()?;
        let close = t[1..].find(q)? + 1;
        let after = t[close + 1..].trim_start();
        if !(after.is_empty() || after.starts_with('#')) {
            return None;
        }
        let start = s.len() - t.len();
        return Some(&s[..start + close + 1]);
    }
    match find2(s, b' ', b'#') {
        Some(i) => Some(&s[..i]),
        None => Some(s),
    }
}

/// The position of the two-byte sequence `a b` (cheaper than `str::find`
/// for these short lines).
fn find2(s: &str, a: u8, b: u8) -> Option<usize> {
    s.as_bytes().windows(2).position(|w| w[0] == a && w[1] == b)
}

/// A plain or simply quoted string scalar; `None` for anything whose type or
/// syntax the full parser should decide.
fn string_scalar(s: &str) -> Option<String> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Some(inner) = s.strip_prefix('"') {
        let inner = inner.strip_suffix('"')?;
        if inner.contains(['"', '\\']) {
            return None;
        }
        return Some(inner.to_owned());
    }
    if let Some(inner) = s.strip_prefix('\'') {
        let inner = inner.strip_suffix('\'')?;
        if inner.contains('\'') {
            return None;
        }
        return Some(inner.to_owned());
    }
    let first = s.chars().next()?;
    if "-?:,[]{}#&*!|>'\"%@`.+~".contains(first) || first.is_ascii_digit() {
        return None;
    }
    if find2(s, b':', b' ').is_some() || s.ends_with(':') || find2(s, b' ', b'#').is_some() {
        return None;
    }
    const SPECIAL: &[&str] = &[
        "y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf",
    ];
    if s.len() <= 5 && SPECIAL.iter().any(|w| w.eq_ignore_ascii_case(s)) {
        return None;
    }
    Some(s.to_owned())
}

fn inline(s: &str, col: u32) -> Option<Value> {
    if let Some(inner) = s.strip_prefix('[') {
        let inner = inner.strip_suffix(']')?;
        if inner.contains(['[', ']', '{', '}', '"', '\'', '#']) {
            return None;
        }
        if inner.trim().is_empty() {
            return Some(Value::List(Vec::new()));
        }
        let items: Option<Vec<String>> = inner.split(',').map(string_scalar).collect();
        return items.map(Value::List);
    }
    if s.starts_with(['{', '|', '>', '&', '*', '!', '%', '@', '`']) {
        return None;
    }
    match s {
        "true" => return Some(Value::Bool(true)),
        "false" => return Some(Value::Bool(false)),
        _ => {}
    }
    match string_scalar(s) {
        Some(v) => Some(Value::Str(v, col + 1)),
        None if !s.starts_with(['"', '\'', '-', '[', '{']) && find2(s, b':', b' ').is_none() => {
            Some(Value::Other)
        }
        None => None,
    }
}

/// A block list starting at line `start`: scalars (`- a`) or simple maps
/// (`- name: x` / `  default: y`). Returns the value and the next line.
fn block(lines: &[&str], start: usize, line_offset: u32) -> Option<(Value, usize)> {
    let mut i = start;
    while i < lines.len() && is_blank_or_comment(lines[i]) {
        i += 1;
    }
    let Some(first) = lines.get(i) else {
        return Some((Value::Other, i));
    };
    let indent = first.len() - first.trim_start().len();
    if !first.trim_start().starts_with("- ") {
        // Nothing indented follows: a null value. Anything else (a nested
        // map) goes to the full parser.
        return if indent == 0 {
            Some((Value::Other, i))
        } else {
            None
        };
    }
    let mut scalars = Vec::new();
    let mut maps: Vec<Vec<(String, Value, u32)>> = Vec::new();
    while i < lines.len() {
        let line = lines[i];
        if is_blank_or_comment(line) {
            i += 1;
            continue;
        }
        let ind = line.len() - line.trim_start().len();
        if ind < indent || (ind == indent && !line.trim_start().starts_with("- ")) {
            break;
        }
        if ind != indent {
            return None;
        }
        let item = strip_comment(&line[indent + 2..])?;
        let line_no = line_offset + 1 + u32::try_from(i).ok()?;
        let item_col = u32::try_from(indent + 2).ok()?;
        if let Some((k, rest)) = split_key(item) {
            if !scalars.is_empty() {
                return None;
            }
            let rest = strip_comment(rest)?;
            let lead = rest.len() - rest.trim_start().len();
            let col = item_col + u32::try_from(k.len() + 1 + lead).ok()?;
            let mut map = vec![(k.to_owned(), map_value(rest.trim(), col)?, line_no)];
            i += 1;
            // Continuation keys of this map, indented to the first key.
            while i < lines.len() {
                let l = lines[i];
                if is_blank_or_comment(l) {
                    i += 1;
                    continue;
                }
                let li = l.len() - l.trim_start().len();
                if li != indent + 2 {
                    break;
                }
                let (k2, rest2) = split_key(&l[li..])?;
                if map.iter().any(|(k, _, _)| k == k2) {
                    return None;
                }
                let rest2 = strip_comment(rest2)?;
                let lead2 = rest2.len() - rest2.trim_start().len();
                let col2 = u32::try_from(li + k2.len() + 1 + lead2).ok()?;
                let l_no = line_offset + 1 + u32::try_from(i).ok()?;
                map.push((k2.to_owned(), map_value(rest2.trim(), col2)?, l_no));
                i += 1;
            }
            maps.push(map);
        } else {
            if !maps.is_empty() {
                return None;
            }
            if item.trim().starts_with(['[', '{']) {
                return None;
            }
            // A nested block under a scalar item is not ours.
            if lines.get(i + 1).is_some_and(|l| {
                !is_blank_or_comment(l)
                    && (l.len() - l.trim_start().len()) > indent
                    && !l.trim_start().starts_with("- ")
            }) {
                return None;
            }
            scalars.push(string_scalar(item)?);
            i += 1;
        }
    }
    if !maps.is_empty() {
        Some((Value::Maps(maps), i))
    } else {
        Some((Value::List(scalars), i))
    }
}

fn map_value(s: &str, col: u32) -> Option<Value> {
    if s.is_empty() || s.starts_with('[') {
        return None;
    }
    inline(s, col)
}

/// Put a value into the header, or give up when its type is not what the
/// full parser would accept without question.
fn apply(h: &mut Header, key: &str, value: Value, line: u32) -> Option<()> {
    let string = |v: &Value| match v {
        Value::Str(s, col) => Some((s.clone(), *col)),
        _ => None,
    };
    let list = |v: Value| match v {
        Value::List(items) => Some(items),
        Value::Str(s, _) => Some(vec![s]),
        _ => None,
    };
    match key {
        "id" => {
            let (s, col) = string(&value)?;
            h.id = Some((s, Pos::new(line, col)));
        }
        "title" => {
            let (s, col) = string(&value)?;
            h.title = Some((s, Pos::new(line, col)));
        }
        "summary" | "description" => {
            if h.summary.is_some() {
                return None;
            }
            h.summary = Some(string(&value)?.0);
        }
        "severity" => {
            let (s, col) = string(&value)?;
            h.severity = Some((s, Pos::new(line, col)));
        }
        "owner" | "team" => {
            if h.owner.is_some() {
                return None;
            }
            h.owner = Some(string(&value)?.0);
        }
        "tags" => h.tags = list(value)?,
        "services" | "service" => {
            if !h.services.is_empty() {
                return None;
            }
            h.services = list(value)?;
        }
        "alerts" | "alert" => {
            if !h.alerts.is_empty() {
                return None;
            }
            h.alerts = list(value)?;
        }
        "sources" => h.sources = list(value)?,
        "query_source" => h.query_source = Some(string(&value)?.0),
        "variables" => {
            let Value::Maps(maps) = value else {
                // Lists of names, empty lists, the map form: full parser.
                return None;
            };
            let mut vars = Vec::new();
            for map in maps {
                let mut name = None;
                let mut prompt = None;
                let mut default = None;
                let mut required = false;
                let mut on_use = false;
                let mut label = None;
                for (k, v, l) in map {
                    match (k.as_str(), v) {
                        ("name", Value::Str(s, col)) => name = Some((s, Pos::new(l, col))),
                        ("prompt" | "description", Value::Str(s, _)) if prompt.is_none() => {
                            prompt = Some(s)
                        }
                        ("default", Value::Str(s, _)) => default = Some(s),
                        ("required", Value::Bool(b)) => required = b,
                        ("ask", Value::Str(s, _)) => on_use = super::common::ask_on_use(&s)?,
                        ("label", Value::Str(s, _)) => {
                            label = Some(s.trim().to_owned()).filter(|s| !s.is_empty())
                        }
                        _ => return None,
                    }
                }
                let (n, pos) = name?;
                vars.push(super::common::VarDecl {
                    name: n,
                    prompt,
                    default,
                    required,
                    pos,
                    ask_on_use: on_use,
                    label,
                });
            }
            h.variables = Some(vars);
        }
        // Keys Mayday does not read (Hugo's weight, date, draft, aliases…).
        _ => {}
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(fm: &str) -> Option<Header> {
        serde_saphyr::from_str::<Option<super::super::common::RawHeader>>(fm)
            .ok()
            .map(|h| h.unwrap_or_default().into_header(1))
    }

    #[test]
    fn the_common_shapes_match_the_full_parser() {
        let cases = [
            "id: database-down\ntitle: Primary database is down\nseverity: critical\ntags: [database, postgresql]\n",
            "title: KubePodCrashLooping\nweight: 20\ndate: 2021-01-01\ndraft: false\naliases:\n  - /old/path\n",
            "id: x\nvariables:\n  - name: namespace\n    prompt: Kubernetes namespace\n    default: prod\n    required: true\n  - name: cluster\n",
            "title: \"Quoted: title\"\nowner: 'team-data'   # a comment\nalerts:\n- A\n- B\n",
            "# a comment\n\nid: why\nservices: api\nsources: []\n",
        ];
        for fm in cases {
            let fast = parse(fm, 1);
            assert!(fast.is_some(), "fast path should take:\n{fm}");
            assert_eq!(fast, full(fm), "\n{fm}");
        }
    }

    #[test]
    fn anything_unusual_goes_to_the_full_parser() {
        let cases = [
            "title: |\n  block\n",
            "title: &a x\nsummary: *a\n",
            "title: a\ntitle: b\n",
            "tags: 5\n",
            "title: 2024\n",
            "title: \"esc\\\"aped\"\n",
            "params:\n  nested: map\n",
            "title: folded\n  continuation\n",
            "variables: {a: 1}\n",
            "variables:\n  - name: port\n    default: 5432\n",
            "title:\tx\n",
            "severity: [a, [b]]\n",
            "title: x: y\n",
        ];
        for fm in cases {
            assert_eq!(parse(fm, 1), None, "should bail:\n{fm}");
        }
    }

    #[test]
    fn positions_are_file_lines_and_columns() {
        let h = parse("title: T\nid:   abc\nvariables:\n  - name: ns\n", 1).unwrap();
        assert_eq!(h.title.unwrap().1, Pos::new(2, 8));
        assert_eq!(h.id.unwrap().1, Pos::new(3, 7));
        assert_eq!(h.variables.unwrap()[0].pos, Pos::new(5, 11));
        let f = full("title: T\nid:   abc\nvariables:\n  - name: ns\n").unwrap();
        assert_eq!(f.id.unwrap().1, Pos::new(3, 7));
    }
}
