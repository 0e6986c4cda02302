//! The shape of the code, checked (see ARCHITECTURE.md):
//!
//! - At every level of `src/` — the top-level modules, and the files and
//!   sub-folders inside each folder — modules that sit side by side depend
//!   on each other one way only. A cycle fails, named as its shortest loop
//!   with the references (`file:line`) that make each step of it.
//! - The top-level modules keep the layering ARCHITECTURE.md draws.
//! - No source file runs past [`MAX_LINES`] lines unless its top says why
//!   it is kept whole (a `//! Kept whole:` line).
//!
//! The references are read from the source text: `use` trees and paths
//! starting with `crate::`, `super::`, `self::` or a module the file
//! declares. Paths through a folder's `mod.rs` are followed to the file that
//! defines the item when the `mod.rs` re-exports it. Unit-test modules
//! (`#[cfg(test)]`, inline or in their own file) are left out: tests may
//! reach anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 800;

/// A module path from the crate root: `["app", "screens", "picker"]`.
type ModPath = Vec<String>;

struct File {
    rel: String,
    module: ModPath,
    /// `mod.rs` or `lib.rs`: the folder's front door.
    facade: bool,
    /// Modules this file declares (`mod x;`).
    children: BTreeSet<String>,
    /// Modules it declares for tests only (`#[cfg(test)] mod tests;`).
    test_children: BTreeSet<String>,
    /// Public items defined here (for following `pub use x::*`).
    items: BTreeSet<String>,
    /// `pub use child::{A, B}` / `pub use child::*` (façades only).
    reexports: Vec<(String, Option<String>)>,
    /// Every path referenced, with its line, as written.
    refs: Vec<(usize, Vec<String>)>,
    lines: usize,
    top: String,
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read src")
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The text with comments, string and char literals blanked (newlines kept,
/// so line numbers stay right).
fn code_only(text: &str) -> String {
    let b: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(b[i]));
                    i += 1;
                }
            }
        } else if c == 'r'
            && (next == Some('"') || next == Some('#'))
            && (i == 0 || !(b[i - 1].is_alphanumeric() || b[i - 1] == '_'))
        {
            // A raw string: r"…", r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= b.len() {
                    break;
                }
                if b[j] == '"' && (0..hashes).all(|k| b.get(j + 1 + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            for &ch in &b[i..j.min(b.len())] {
                out.push(blank(ch));
            }
            i = j;
        } else if c == '"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != '"' {
                if b[j] == '\\' {
                    j += 1;
                }
                j += 1;
            }
            for &ch in &b[i..(j + 1).min(b.len())] {
                out.push(blank(ch));
            }
            i = j + 1;
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{1b}') or a lifetime ('a).
            let end = if next == Some('\\') {
                (i + 2..b.len()).find(|&j| b[j] == '\'')
            } else if b.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            match end {
                Some(e) => {
                    for &ch in &b[i..=e] {
                        out.push(blank(ch));
                    }
                    i = e + 1;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Blank out `#[cfg(test)]` items (the brace block that follows).
fn without_tests(code: &str) -> String {
    let mut s: Vec<char> = code.chars().collect();
    let pat: Vec<char> = "#[cfg(test)]".chars().collect();
    let mut i = 0;
    while i + pat.len() <= s.len() {
        if s[i..i + pat.len()] != pat[..] {
            i += 1;
            continue;
        }
        // Up to the end of the item: `;` before any `{`, or the matching `}`.
        let mut j = i + pat.len();
        let mut depth = 0usize;
        while j < s.len() {
            match s[j] {
                ';' if depth == 0 => break,
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
            j += 1;
        }
        let last = j.min(s.len() - 1);
        for ch in &mut s[i..=last] {
            if *ch != '\n' {
                *ch = ' ';
            }
        }
        i = j + 1;
    }
    s.into_iter().collect()
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Expand a `use` tree (`crate::a::{b, c::{self, D}}`) into paths.
fn expand_use(tree: &str, prefix: &[String], out: &mut Vec<Vec<String>>) {
    let tree = tree.trim();
    // Split at top-level commas.
    let mut depth = 0;
    let mut start = 0;
    let mut parts = Vec::new();
    for (k, ch) in tree.char_indices() {
        match ch {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&tree[start..k]);
                start = k + 1;
            }
            _ => {}
        }
    }
    parts.push(&tree[start..]);
    for part in parts {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        if let Some(open) = part.find('{') {
            let head = part[..open].trim().trim_end_matches("::");
            let inner = part[open + 1..part.rfind('}').unwrap_or(part.len())].to_string();
            let mut p = prefix.to_vec();
            p.extend(
                head.split("::")
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
            );
            expand_use(&inner, &p, out);
        } else {
            let part = part.split(" as ").next().unwrap_or(part).trim();
            let mut p = prefix.to_vec();
            for seg in part.split("::").map(str::trim) {
                if seg != "self" {
                    p.push(seg.to_string());
                }
            }
            out.push(p);
        }
    }
}

fn read_file(path: &Path, src: &Path) -> File {
    let text = std::fs::read_to_string(path).expect("read source");
    let rel = path.strip_prefix(src).expect("under src");
    let mut module: ModPath = rel
        .with_extension("")
        .iter()
        .map(|s| s.to_string_lossy().into_owned())
        .collect();
    let stem = module.last().cloned().unwrap_or_default();
    let facade = stem == "mod" || stem == "lib";
    if facade {
        module.pop();
    }
    let stripped = code_only(&text);
    let mut test_children = BTreeSet::new();
    let mut rest = stripped.as_str();
    while let Some(i) = rest.find("#[cfg(test)]") {
        rest = &rest[i + "#[cfg(test)]".len()..];
        let decl = rest.trim_start();
        if let Some(after) = decl.strip_prefix("mod ") {
            let name: String = after.chars().take_while(|c| is_ident(*c)).collect();
            if after[name.len()..].trim_start().starts_with(';') {
                test_children.insert(name);
            }
        }
    }
    let code = without_tests(&stripped);
    let line_of = |pos: usize| code[..pos].matches('\n').count() + 1;

    let mut children = BTreeSet::new();
    let mut items = BTreeSet::new();
    let mut reexports = Vec::new();
    let mut refs = Vec::new();
    let words: Vec<(usize, &str)> = code
        .split(|c: char| !is_ident(c))
        .scan(0usize, |pos, w| {
            let at = *pos;
            *pos += w.len() + 1;
            Some((at, w))
        })
        .filter(|(_, w)| !w.is_empty())
        .collect();
    for k in 0..words.len().saturating_sub(1) {
        let (_, w) = words[k];
        let (_, name) = words[k + 1];
        if w == "mod"
            && code[words[k + 1].0 + name.len()..]
                .trim_start()
                .starts_with(';')
        {
            children.insert(name.to_string());
        }
        if matches!(
            w,
            "struct" | "enum" | "fn" | "trait" | "type" | "const" | "static" | "mod" | "union"
        ) {
            items.insert(name.to_string());
        }
    }

    // `use` statements.
    let mut use_spans = Vec::new();
    let bytes = code.as_bytes();
    let mut search = 0;
    while let Some(off) = code[search..].find("use ") {
        let at = search + off;
        search = at + 4;
        if at > 0 && is_ident(bytes[at - 1] as char) {
            continue;
        }
        let Some(end) = code[at..].find(';') else {
            break;
        };
        let tree = &code[at + 4..at + end];
        let before = code[..at].trim_end();
        let public = before.ends_with("pub") || before.ends_with(')');
        let mut paths = Vec::new();
        expand_use(tree, &[], &mut paths);
        for p in paths {
            if facade && public && p.len() >= 2 && children.contains(&p[0]) {
                let item = p.last().cloned().filter(|s| s != "*");
                reexports.push((p[0].clone(), item));
                continue;
            }
            refs.push((line_of(at), p));
        }
        use_spans.push(at..at + end);
    }

    // Paths in code: `a::b::c` not inside a `use`.
    let chars: Vec<(usize, char)> = code.char_indices().collect();
    let mut k = 0;
    while k < chars.len() {
        let (pos, c) = chars[k];
        let starts = is_ident(c) && (k == 0 || !is_ident(chars[k - 1].1));
        let after_colons = k >= 2 && chars[k - 1].1 == ':' && chars[k - 2].1 == ':';
        if !starts || after_colons || use_spans.iter().any(|r| r.contains(&pos)) {
            k += 1;
            continue;
        }
        let mut segs = Vec::new();
        let mut j = k;
        loop {
            let s = j;
            while j < chars.len() && is_ident(chars[j].1) {
                j += 1;
            }
            if s == j {
                break;
            }
            let from = chars[s].0;
            let to = chars.get(j).map_or(code.len(), |x| x.0);
            segs.push(code[from..to].to_string());
            if j + 1 < chars.len() && chars[j].1 == ':' && chars[j + 1].1 == ':' {
                j += 2;
            } else {
                break;
            }
        }
        if segs.len() >= 2 {
            refs.push((line_of(pos), segs));
        }
        k = j.max(k + 1);
    }

    File {
        rel: format!("src/{}", rel.display()),
        module,
        facade,
        children,
        test_children,
        items,
        reexports,
        refs,
        lines: text.lines().count(),
        top: text.lines().take(20).collect::<Vec<_>>().join("\n"),
    }
}

struct Crate {
    files: Vec<File>,
    modules: BTreeMap<ModPath, usize>,
}

impl Crate {
    fn load() -> Crate {
        let src = src_dir();
        let mut paths = Vec::new();
        rust_files(&src, &mut paths);
        let all: Vec<File> = paths
            .iter()
            .filter(|p| p.file_name().is_some_and(|n| n != "main.rs"))
            .map(|p| read_file(p, &src))
            .collect();
        // Files that are test modules of their parent (`#[cfg(test)] mod
        // tests;`) are tests: they may reach anywhere.
        let tests: BTreeSet<ModPath> = all
            .iter()
            .flat_map(|f| {
                f.test_children.iter().map(|c| {
                    let mut m = f.module.clone();
                    m.push(c.clone());
                    m
                })
            })
            .collect();
        let files: Vec<File> = all
            .into_iter()
            .filter(|f| !tests.iter().any(|t| f.module.starts_with(t)))
            .collect();
        let modules = files
            .iter()
            .enumerate()
            .map(|(i, f)| (f.module.clone(), i))
            .collect();
        Crate { files, modules }
    }

    /// The absolute path a reference written in `file` points at, if it
    /// points into this crate.
    fn absolute(&self, file: &File, path: &[String]) -> Option<ModPath> {
        let first = path.first()?;
        let mut base: ModPath = match first.as_str() {
            "crate" => Vec::new(),
            "self" => file.module.clone(),
            "super" => {
                let mut m = file.module.clone();
                m.pop()?;
                m
            }
            name if file.children.contains(name) => {
                let mut m = file.module.clone();
                m.push(name.to_string());
                return Some(m.into_iter().chain(path[1..].iter().cloned()).collect());
            }
            _ => return None,
        };
        let mut rest = &path[1..];
        while rest.first().is_some_and(|s| s == "super") {
            base.pop()?;
            rest = &rest[1..];
        }
        base.extend(rest.iter().cloned());
        Some(base)
    }

    /// The file (module) a path ends up in: the longest module prefix,
    /// followed through its façade's re-exports.
    fn target(&self, path: &ModPath) -> Option<ModPath> {
        let mut n = path.len();
        while n > 0 && !self.modules.contains_key(&path[..n]) {
            n -= 1;
        }
        let mut m: ModPath = path[..n].to_vec();
        let rest = &path[n..];
        // Follow re-exports of façades (a few levels at most).
        for _ in 0..4 {
            let Some(&i) = self.modules.get(&m) else {
                break;
            };
            let f = &self.files[i];
            let Some(item) = rest.first() else { break };
            if !f.facade || f.items.contains(item) {
                break;
            }
            let child = f
                .reexports
                .iter()
                .find(|(_, it)| it.as_deref() == Some(item.as_str()))
                .or_else(|| {
                    f.reexports.iter().find(|(c, it)| {
                        it.is_none() && {
                            let mut cm = m.clone();
                            cm.push(c.clone());
                            self.modules
                                .get(&cm)
                                .is_some_and(|&ci| self.files[ci].items.contains(item))
                        }
                    })
                })
                .map(|(c, _)| c.clone());
            match child {
                Some(c) => m.push(c),
                None => break,
            }
        }
        Some(m)
    }

    /// Every dependency between two modules: (from, to, "file:line").
    fn edges(&self) -> Vec<(ModPath, ModPath, String)> {
        let mut out = Vec::new();
        for f in &self.files {
            for (line, p) in &f.refs {
                let Some(abs) = self.absolute(f, p) else {
                    continue;
                };
                let Some(to) = self.target(&abs) else {
                    continue;
                };
                if to != f.module {
                    out.push((f.module.clone(), to, format!("{}:{line}", f.rel)));
                }
            }
        }
        out
    }
}

/// The node a module is inside `folder`: the child it lives under, or
/// `mod.rs` for the folder's own file.
fn node_in(folder: &[String], m: &[String]) -> Option<String> {
    if !m.starts_with(folder) {
        return None;
    }
    Some(
        m.get(folder.len())
            .cloned()
            .unwrap_or_else(|| "mod.rs".into()),
    )
}

/// The cycles among the nodes of one folder, each as its edges with the
/// references that make them.
fn cycles(graph: &BTreeMap<String, BTreeMap<String, Vec<String>>>) -> Vec<Vec<String>> {
    // Strongly connected components (Tarjan), reported when larger than one.
    struct T<'a> {
        g: &'a BTreeMap<String, BTreeMap<String, Vec<String>>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        next: usize,
        out: Vec<Vec<&'a str>>,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a str) {
        t.index.insert(v, t.next);
        t.low.insert(v, t.next);
        t.next += 1;
        t.stack.push(v);
        t.on.insert(v);
        if let Some(ns) = t.g.get(v) {
            for w in ns.keys() {
                if !t.index.contains_key(w.as_str()) {
                    visit(t, w);
                    let lw = t.low[w.as_str()];
                    let lv = t.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(lw);
                } else if t.on.contains(w.as_str()) {
                    let iw = t.index[w.as_str()];
                    let lv = t.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(iw);
                }
            }
        }
        if t.low[v] == t.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = t.stack.pop() {
                t.on.remove(w);
                comp.push(w);
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                t.out.push(comp);
            }
        }
    }
    let mut t = T {
        g: graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    let nodes: BTreeSet<&str> = graph
        .iter()
        .flat_map(|(a, ns)| std::iter::once(a.as_str()).chain(ns.keys().map(String::as_str)))
        .collect();
    for v in nodes {
        if !t.index.contains_key(v) {
            visit(&mut t, v);
        }
    }
    // For each component, its shortest cycle (a breadth-first search from
    // each member back to itself), so the report names one loop to break
    // rather than every edge among the members.
    t.out
        .iter()
        .map(|comp| {
            let set: BTreeSet<&str> = comp.iter().copied().collect();
            let mut best: Option<Vec<&str>> = None;
            for &start in comp {
                let mut prev: BTreeMap<&str, &str> = BTreeMap::new();
                let mut queue = std::collections::VecDeque::from([start]);
                let mut found = None;
                while let Some(v) = queue.pop_front() {
                    for w in graph.get(v).into_iter().flat_map(|ns| ns.keys()) {
                        let w = w.as_str();
                        if !set.contains(w) {
                            continue;
                        }
                        if w == start {
                            found = Some(v);
                            break;
                        }
                        if w != start && !prev.contains_key(w) {
                            prev.insert(w, v);
                            queue.push_back(w);
                        }
                    }
                    if found.is_some() {
                        break;
                    }
                }
                if let Some(last) = found {
                    let mut path = vec![last];
                    while let Some(&p) = prev.get(path[path.len() - 1]) {
                        path.push(p);
                    }
                    path.reverse();
                    if path[0] != start {
                        path.insert(0, start);
                    }
                    if best.as_ref().is_none_or(|b| path.len() < b.len()) {
                        best = Some(path);
                    }
                }
            }
            let path = best.unwrap_or_default();
            let mut lines = Vec::new();
            for (i, a) in path.iter().enumerate() {
                let b = path[(i + 1) % path.len()];
                let why = &graph[*a][b];
                let shown: Vec<&str> = why.iter().take(3).map(String::as_str).collect();
                lines.push(format!("{a} → {b}  ({})", shown.join(", ")));
            }
            lines
        })
        .collect()
}

#[test]
fn modules_side_by_side_depend_one_way() {
    let krate = Crate::load();
    let edges = krate.edges();
    let folders: BTreeSet<ModPath> = krate
        .files
        .iter()
        .filter(|f| f.facade)
        .map(|f| f.module.clone())
        .collect();
    let mut problems = Vec::new();
    for folder in &folders {
        let mut graph: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
        for (from, to, why) in &edges {
            let (Some(a), Some(b)) = (node_in(folder, from), node_in(folder, to)) else {
                continue;
            };
            if a != b {
                graph
                    .entry(a)
                    .or_default()
                    .entry(b)
                    .or_default()
                    .push(why.clone());
            }
        }
        for cycle in cycles(&graph) {
            let name = if folder.is_empty() {
                "src/".to_string()
            } else {
                format!("src/{}/", folder.join("/"))
            };
            problems.push(format!("a cycle in {name}:\n  {}", cycle.join("\n  ")));
        }
    }
    assert!(
        problems.is_empty(),
        "dependencies must point one way (see ARCHITECTURE.md); break each cycle by \
         moving the shared piece down or passing it in as a parameter:\n\n{}",
        problems.join("\n\n")
    );
}

#[test]
fn the_top_level_modules_are_layered() {
    // The order ARCHITECTURE.md draws: each may use only those after it.
    const LAYERS: [&str; 11] = [
        "cli", "app", "ui", "config", "sync", "gameday", "incident", "exec", "runbook", "status",
        "util",
    ];
    let krate = Crate::load();
    let mut problems = BTreeSet::new();
    for (from, to, why) in krate.edges() {
        let (Some(a), Some(b)) = (from.first(), to.first()) else {
            continue;
        };
        if a == b {
            continue;
        }
        let rank = |m: &str| LAYERS.iter().position(|l| *l == m);
        match (rank(a), rank(b)) {
            (Some(x), Some(y)) if x < y => {}
            (Some(_), Some(_)) => {
                problems.insert(format!("{a} → {b} points up ({why})"));
            }
            _ => {
                problems.insert(format!(
                    "{a} → {b}: a top-level module missing from LAYERS ({why})"
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "top-level modules must depend only on those below them ({}):\n{}",
        LAYERS.join(" → "),
        problems.into_iter().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn no_source_file_runs_long_without_saying_why() {
    let krate = Crate::load();
    let long: Vec<String> = krate
        .files
        .iter()
        .filter(|f| f.lines > MAX_LINES && !f.top.contains("//! Kept whole:"))
        .map(|f| format!("{} ({} lines)", f.rel, f.lines))
        .collect();
    assert!(
        long.is_empty(),
        "split these files, or say at the top why each reads better whole \
         (a `//! Kept whole: …` line):\n{}",
        long.join("\n")
    );
}

/// The checker itself: a planted cycle is found, comments and strings are
/// not mistaken for code, and re-exports are followed.
#[test]
fn the_checker_sees_what_it_should() {
    let code = code_only("let a = \"crate::x::y\"; // crate::z\n/* crate::w */ let c = 'x';\n");
    assert!(!code.contains("crate::"), "{code}");
    assert_eq!(code.lines().count(), 2);
    let code =
        without_tests("fn a() {}\n#[cfg(test)]\nmod tests {\n use crate::z;\n}\nfn b() {}\n");
    assert!(
        !code.contains("crate::z") && code.contains("fn b"),
        "{code}"
    );
    let mut paths = Vec::new();
    expand_use("crate::a::{self, b::{C, D as E}, f}", &[], &mut paths);
    let joined: Vec<String> = paths.iter().map(|p| p.join("::")).collect();
    assert_eq!(
        joined,
        [
            "crate::a",
            "crate::a::b::C",
            "crate::a::b::D",
            "crate::a::f"
        ]
    );

    let mut g: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    g.entry("a".into())
        .or_default()
        .insert("b".into(), vec!["x.rs:1".into()]);
    assert!(cycles(&g).is_empty());
    g.entry("b".into())
        .or_default()
        .insert("a".into(), vec!["y.rs:2".into()]);
    let found = cycles(&g);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].iter().any(|l| l.contains("y.rs:2")), "{found:?}");
    // A larger component is reported as its shortest loop.
    for (a, b) in [("b", "c"), ("c", "d"), ("d", "b")] {
        g.entry(a.into())
            .or_default()
            .insert(b.into(), vec![format!("{a}.rs:1")]);
    }
    let found = cycles(&g);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        found[0].len(),
        2,
        "the a ⇄ b loop, not all five edges: {found:?}"
    );

    // The real crate: `crate::runbook::Runbook` is followed through the
    // façade's `pub use model::*` to the file that defines it.
    let krate = Crate::load();
    let runbook = krate
        .target(&vec!["runbook".into(), "Runbook".into()])
        .expect("resolves");
    assert_eq!(runbook, ["runbook", "model"]);
}
