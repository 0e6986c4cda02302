//! Property tests: no input makes the loaders or the linter panic.

use mayday::library::Library;
use mayday::runbook::{self, Origin};
use proptest::prelude::*;

fn load_and_lint(name: &str, bytes: &[u8]) {
    let loaded = runbook::load(name, bytes, Origin::Extra);
    if let Some(rb) = &loaded.runbook {
        let _ = mayday::lint::check(rb);
        let _ = mayday::show::render(rb, 60);
    }
}

fn bundled_texts() -> Vec<(String, Vec<u8>)> {
    mayday::library::bundled::RUNBOOKS
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
    let lib = Library::load(&mayday::library::Sources {
        extra_dirs: vec![dir.path().to_path_buf()],
        ..Default::default()
    });
    assert!(lib.get("good").is_some());
    assert!(!lib.failures.is_empty());
}
