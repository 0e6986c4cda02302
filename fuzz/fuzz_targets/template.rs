//! Templates: finding `{{name}}`, plain substitution, and shell-quoted
//! substitution (which must never panic and must keep text outside the
//! placeholders as written).
#![no_main]
use libfuzzer_sys::fuzz_target;
use mayday::runbook::template;
use std::collections::BTreeMap;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The first line is a value, the rest the command.
    let (value, cmd) = text.split_once('\n').unwrap_or(("v", text));
    let refs = template::find(cmd);
    let mut vars = BTreeMap::new();
    for r in &refs {
        assert!(r.start < r.end && r.end <= cmd.len());
        vars.insert(r.name.to_owned(), value.to_owned());
    }
    let _ = template::substitute(cmd, &vars);
    if let Ok(t) = template::substitute_shell(cmd, &vars)
        && refs.is_empty()
    {
        assert_eq!(t.text, cmd);
    }
});
