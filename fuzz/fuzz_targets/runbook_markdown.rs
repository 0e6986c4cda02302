//! A Markdown runbook: load, lint, render for `show` at a width from the
//! input, and draw its steps the way the step pane does.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mayday::runbook::{self, Origin};

fuzz_target!(|data: &[u8]| {
    let width = u16::from(data.first().copied().unwrap_or(60));
    let loaded = runbook::load("fuzz.md", data, Origin::Extra);
    if let Some(rb) = &loaded.runbook {
        let _ = mayday::runbook::lint::check(rb);
        let _ = mayday::ui::show::render(rb, width);
    }
});
