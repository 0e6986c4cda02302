//! Runbook variables in shell commands: whatever a value holds, the shell
//! receives it as the literal text it is, in every place a placeholder can
//! stand (bare word, '…', "…", $(…), `…`, here-documents). Run through the
//! real shells: dash (`/bin/sh` on Debian) and bash.

use mayday::runbook::template::substitute_shell;
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::process::Command;

fn shells() -> Vec<&'static str> {
    ["/bin/sh", "/bin/bash"]
        .into_iter()
        .filter(|s| std::path::Path::new(s).exists())
        .collect()
}

/// Run `template` with `{{v}}` = `value` in `shell`; its stdout.
fn run(shell: &str, template: &str, value: &str) -> Vec<u8> {
    let vars: BTreeMap<String, String> = [("v".to_owned(), value.to_owned())].into();
    let cmd = substitute_shell(template, &vars).expect("substitutes");
    assert!(!cmd.raw);
    let out = Command::new(shell)
        .arg("-c")
        .arg(&cmd.text)
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{shell} -c {:?}: {}",
        cmd.text,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Each template prints the value between markers once (as one argument
/// where it is a word).
const TEMPLATES: &[(&str, &str, &str)] = &[
    ("bare", "printf '[%s]' {{v}}", ""),
    ("bare, twice", "printf '[%s]' {{v}}{{v}}", "twice"),
    ("single", "printf '[%s]' 'a{{v}}b'", "ab"),
    ("double", "printf '[%s]' \"a{{v}}b\"", "ab"),
    (
        "subst in double",
        "printf '[%s]' \"$(printf '%s' {{v}})\"",
        "subst",
    ),
    (
        "backticks",
        "printf '[%s]' \"`printf '%s' {{v}}`\"",
        "subst",
    ),
    ("subshell", "(printf '[%s]' {{v}})", ""),
    ("after a comment", "# {{v}}\nprintf '[%s]' {{v}}", ""),
];

fn expected(kind: &str, value: &str) -> Vec<u8> {
    match kind {
        "twice" => format!("[{value}{value}]").into_bytes(),
        "ab" => format!("[a{value}b]").into_bytes(),
        // Command substitution drops trailing line feeds: the shell's rule.
        "subst" => format!("[{}]", value.trim_end_matches('\n')).into_bytes(),
        _ => format!("[{value}]").into_bytes(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn every_value_reaches_the_shell_unchanged(
        value in "[^\u{0}]{0,24}",
        hostile in prop::sample::select(vec![
            "x; touch pwned #", "$(touch pwned)", "`touch pwned`", "' ; touch pwned ; '",
            "\" ; touch pwned ; \"", "a\nb", "\\", "'", "\"", "$HOME", "*", "-n", "", " ",
            "a'b\"c$d`e\\f", "\t\r", "!", "x)", "EOF", "${IFS}", "é ✓",
        ]),
        which in 0usize..2,
    ) {
        let value = if which == 0 { value } else { hostile.to_owned() };
        for shell in shells() {
            for (name, template, kind) in TEMPLATES {
                let got = run(shell, template, &value);
                let want = expected(kind, &value);
                prop_assert_eq!(
                    String::from_utf8_lossy(&got),
                    String::from_utf8_lossy(&want),
                    "{} in {}", name, shell
                );
            }
            if !value.contains('\n') {
                let got = run(shell, "cat <<EOF\n[{{v}}]\nEOF", &value);
                prop_assert_eq!(got, format!("[{value}]\n").into_bytes(), "heredoc in {}", shell);
                let got = run(shell, "cat <<'EOF'\n[{{v}}]\nEOF\nprintf '[%s]' {{v}}", &value);
                prop_assert_eq!(got, format!("[{value}]\n[{value}]").into_bytes(), "quoted heredoc in {}", shell);
            }
        }
        prop_assert!(!std::env::temp_dir().join("pwned").exists());
    }
}

#[test]
fn a_line_break_in_a_heredoc_is_refused_and_raw_is_marked() {
    let vars: BTreeMap<String, String> =
        [("v".to_owned(), "a\nEOF\ntouch pwned".to_owned())].into();
    assert!(substitute_shell("cat <<EOF\n{{v}}\nEOF", &vars).is_err());
    let raw = substitute_shell("kubectl {{ v | raw }} get pods", &vars).unwrap();
    assert!(raw.raw);
    assert_eq!(raw.text, "kubectl a\nEOF\ntouch pwned get pods");
    let quoted = substitute_shell("kubectl cordon {{v}}", &vars).unwrap();
    assert_eq!(quoted.text, "kubectl cordon 'a\nEOF\ntouch pwned'");
    // Plain words stay readable.
    let vars: BTreeMap<String, String> = [("v".to_owned(), "orders-prod".to_owned())].into();
    assert_eq!(
        substitute_shell("kubectl -n {{v}} get pods", &vars)
            .unwrap()
            .text,
        "kubectl -n orders-prod get pods"
    );
}
