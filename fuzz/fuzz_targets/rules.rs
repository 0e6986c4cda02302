//! Alerting rule files and PrometheusRule manifests (`mayday coverage`):
//! any bytes read as a rule file either give rules, each with a line inside
//! the file, or a diagnostic — never a panic. Coverage over what was read
//! against the bundled runbooks must not panic either.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::{Arc, OnceLock};

fn runbooks() -> &'static [Arc<mayday::runbook::Runbook>] {
    static R: OnceLock<Vec<Arc<mayday::runbook::Runbook>>> = OnceLock::new();
    R.get_or_init(|| {
        mayday::runbook::library::Library::load(&mayday::runbook::library::Sources {
            bundled: true,
            ..Default::default()
        })
        .runbooks
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(rules) = mayday::status::rules::parse_rule_file("f.yaml", &text) {
        let lines = text.lines().count().max(1) as u32;
        for r in &rules {
            assert!(r.line.is_some_and(|l| l >= 1 && l <= lines + 1), "{r:?}");
        }
        let _ = mayday::runbook::coverage::check(&rules, runbooks());
    }
});
