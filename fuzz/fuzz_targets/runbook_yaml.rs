//! A YAML runbook: load, lint, show.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mayday::runbook::{self, Origin};

fuzz_target!(|data: &[u8]| {
    let loaded = runbook::load("fuzz.yaml", data, Origin::Extra);
    if let Some(rb) = &loaded.runbook {
        let _ = mayday::runbook::lint::check(rb);
        let _ = mayday::ui::show::render(rb, 80);
    }
});
