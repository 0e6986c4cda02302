//! Front matter: the input is the YAML between `---` lines of a Markdown
//! runbook (the fast path and the full parser both see it).
#![no_main]
use libfuzzer_sys::fuzz_target;
use mayday::runbook::{self, Origin};

fuzz_target!(|data: &[u8]| {
    let mut doc = b"---\n".to_vec();
    doc.extend_from_slice(data);
    doc.extend_from_slice(b"\n---\n# Title\n\n## Check {#check .diagnose}\n\n```sh {run}\necho {{x}}\n```\n");
    let loaded = runbook::load("fm.md", &doc, Origin::Extra);
    if let Some(rb) = &loaded.runbook {
        let _ = mayday::runbook::lint::check(rb);
    }
});
