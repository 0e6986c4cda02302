//! Property tests: no input makes the loaders or the linter panic.

use mayday::runbook::library::Library;
use mayday::runbook::{self, Origin};
use proptest::prelude::*;

fn load_and_lint(name: &str, bytes: &[u8]) {
    let loaded = runbook::load(name, bytes, Origin::Extra);
    if let Some(rb) = &loaded.runbook {
        let _ = mayday::runbook::lint::check(rb);
        let _ = mayday::ui::show::render(rb, 60);
    }
}

fn bundled_texts() -> Vec<(String, Vec<u8>)> {
    mayday::runbook::library::bundled::RUNBOOKS
        .iter()
        .map(|(name, bytes)| ((*name).to_owned(), bytes.to_vec()))
        .collect()
}

/// Pieces that exercise the parsers' special paths.
const TOKENS: &[&str] = &[
    "---\n",
    "```",
    "```sh {run",
    "}",
    "{#",
    " .mitigate}",
    "## ",
    "# ",
    "- [ ] ",
    "- [x] ",
    "**Decision:**",
    "**Verify:** `",
    "` is `",
    "**Wait:** ",
    "[x](#",
    ")",
    "{{",
    "}}",
    "\t",
    "\r\n",
    "\u{1b}[",
    "é",
    "\u{202e}",
    "steps:\n",
    "  - title: ",
    "    commands:\n",
    "      - text: ",
    "  ",
    ": ",
    "- ",
    "&a ",
    "*a",
    "<<: *a\n",
    "{",
    "[",
    "'",
    "\"",
    "|\n",
    ">\n",
    "\u{0}",
    "\u{feff}",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        load_and_lint("x.md", &bytes);
        load_and_lint("x.yaml", &bytes);
    }

    #[test]
    fn token_soup_never_panics(parts in proptest::collection::vec(proptest::sample::select(TOKENS), 0..80)) {
        let text: String = parts.concat();
        load_and_lint("soup.md", text.as_bytes());
        load_and_lint("soup.yaml", text.as_bytes());
    }

    #[test]
    fn mutated_bundled_runbooks_never_panic(
        which in any::<prop::sample::Index>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..4, any::<u8>(), proptest::sample::select(TOKENS)), 1..12),
    ) {
        let texts = bundled_texts();
        prop_assume!(!texts.is_empty());
        let (name, mut bytes) = texts[which.index(texts.len())].clone();
        for (at, op, byte, token) in edits {
            if bytes.is_empty() { break; }
            let i = at.index(bytes.len());
            match op {
                0 => { bytes.remove(i); }
                1 => bytes.insert(i, byte),
                2 => bytes[i] = byte,
                _ => { let t = token.as_bytes(); bytes.splice(i..i, t.iter().copied()); }
            }
        }
        load_and_lint(&name, &bytes);
    }
}

#[test]
fn a_directory_of_garbage_still_loads_the_good_files() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..20 {
        let junk: Vec<u8> = (0..200).map(|j| ((i * 31 + j * 7) % 256) as u8).collect();
        std::fs::write(dir.path().join(format!("junk{i}.md")), &junk).unwrap();
        std::fs::write(dir.path().join(format!("junk{i}.yaml")), &junk).unwrap();
    }
    std::fs::write(dir.path().join("good.md"), "# Good\n\n## Step\n\ntext\n").unwrap();
    let lib = Library::load(&mayday::runbook::library::Sources {
        extra_dirs: vec![dir.path().to_path_buf()],
        ..Default::default()
    });
    assert!(lib.get("good").is_some());
    assert!(!lib.failures.is_empty());
}

/// `show` at any width, down to zero, never panics.
#[test]
fn show_renders_at_every_small_width() {
    for (name, bytes) in bundled_texts() {
        let loaded = runbook::load(&name, &bytes, Origin::Extra);
        let rb = loaded.runbook.expect("bundled runbooks load");
        for width in 0..12 {
            let text = mayday::ui::show::render(&rb, width);
            assert!(text.contains(&rb.id), "{name} at {width}");
        }
    }
}

/// Load, lint and show one file; how long the best of three runs took.
fn cost(bytes: &[u8]) -> std::time::Duration {
    (0..3)
        .map(|_| {
            let started = std::time::Instant::now();
            load_and_lint("big.md", bytes);
            started.elapsed()
        })
        .min()
        .unwrap_or_default()
}

/// Loading is linear in the input: a 1 MB file built to hit every
/// quadratic path found so far (one heading title repeated, `{{` that never
/// closes, `{{ a}` runs) costs the same order of time as a 1 MB ordinary
/// runbook. A ratio, not a time: both run on the same machine in the same
/// build. (Before the fix the first took about 30 s for 40 KB.)
#[test]
fn pathological_inputs_load_in_linear_time() {
    const MB: usize = 1 << 20;
    let fill = |unit: &str| unit.repeat(MB / unit.len());
    let ordinary = {
        let (_, body) = bundled_texts()
            .into_iter()
            .find(|(n, _)| n.ends_with("database-down.md"))
            .expect("bundled database-down");
        let body = String::from_utf8(body).unwrap();
        let mut out = String::new();
        let mut i = 0;
        while out.len() < MB {
            out.push_str(&body.replace("## ", &format!("## {i} ")));
            i += 1;
        }
        out
    };
    let base = cost(ordinary.as_bytes());
    for (what, text) in [
        ("one heading title repeated", fill("## a\n")),
        ("unclosed {{", fill("{{ ")),
        ("`{{ a} ` runs", fill("{{ a} ") + "}}"),
        (
            "headings with the same slug",
            fill("## A!\n## a?\n## a-1\n"),
        ),
        ("fences", fill("```\n")),
        ("decisions", fill("**Decision:** x\n")),
    ] {
        let took = cost(text.as_bytes());
        assert!(
            took < base * 25 + std::time::Duration::from_millis(50),
            "{what}: {took:?} against {base:?} for an ordinary 1 MB runbook"
        );
    }
}
