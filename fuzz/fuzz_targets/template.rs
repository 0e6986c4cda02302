//! Templates: finding `{{name}}`, plain substitution, shell-quoted
//! substitution and a query block's filling (which must never panic and
//! must keep text outside the placeholders as written).
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
    // A query block's filling: the same value as every variable and as an
    // alert label; without placeholders the query stays as written.
    let labels: BTreeMap<String, String> = [("POD".to_owned(), value.to_owned())].into();
    if let Ok(q) = mayday::runbook::query::fill(cmd, &vars, &labels)
        && refs.is_empty()
        && !cmd.contains("$POD")
        && !cmd.contains("${POD}")
    {
        assert_eq!(q, cmd);
    }
});
