//! The CLI contract of the foundation: list, show, lint, global flags, exit
//! codes. Drives the real binary.

mod common;

use common::{Env, runbook_md};
use predicates::prelude::*;
use serde_json::Value;

fn json(out: &[u8]) -> Value {
    serde_json::from_slice(out).expect("valid JSON on stdout")
}

#[test]
fn list_json_covers_the_bundled_runbooks() {
    let env = Env::new();
    let out = env
        .cmd()
        .args(["list", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let rows = json(&out);
    let rows = rows.as_array().expect("array");
    assert!(
        rows.len() >= 8,
        "at least 8 bundled runbooks, got {}",
        rows.len()
    );
    for row in rows {
        for key in ["id", "title", "path", "severity", "steps", "alerts"] {
            assert!(row.get(key).is_some(), "missing {key} in {row}");
        }
        assert!(row["steps"].as_u64().unwrap_or(0) >= 3, "{row}");
        assert!(row["alerts"].is_array());
        assert!(row["path"].as_str().unwrap_or("").starts_with("bundled:"));
    }
    let ids: Vec<&str> = rows.iter().filter_map(|r| r["id"].as_str()).collect();
    for id in ["database-down", "rate-limited-api", "bad-deploy"] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
}

#[test]
fn list_text_is_a_table() {
    let env = Env::new();
    env.cmd()
        .arg("list")
        .assert()
        .success()
        .stdout(predicate::str::starts_with("ID"))
        .stdout(predicate::str::contains("database-down"));
}

#[test]
fn a_broken_file_is_reported_and_the_rest_still_load() {
    let env = Env::new();
    let dir = env.mkdir("rb");
    env.write("rb/good.md", &runbook_md("good", "A good one"));
    env.write(
        "rb/broken.yaml",
        "id: broken\ntitle: Broken\nsteps:\n  - title: [unclosed\n",
    );
    let assert = env
        .cmd()
        .args(["list", "--json", "--no-bundled", "--runbooks"])
        .arg(&dir)
        .assert()
        .code(1);
    let out = assert.get_output();
    let rows = json(&out.stdout);
    assert_eq!(rows.as_array().map(Vec::len), Some(1));
    assert_eq!(rows[0]["id"], "good");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("broken.yaml:4:"), "{stderr}");
    assert!(stderr.contains("error[yaml-syntax]"), "{stderr}");
}

#[test]
fn duplicate_ids_are_reported_with_both_paths() {
    let env = Env::new();
    let a = env.mkdir("a");
    let b = env.mkdir("b");
    env.write("a/one.md", &runbook_md("same", "First"));
    env.write("b/two.md", &runbook_md("same", "Second"));
    let out = env
        .cmd()
        .args(["list", "--json", "--no-bundled"])
        .arg("--runbooks")
        .arg(&a)
        .arg("--runbooks")
        .arg(&b)
        .assert()
        .code(1)
        .get_output()
        .clone();
    let rows = json(&out.stdout);
    assert_eq!(rows.as_array().map(Vec::len), Some(1));
    assert_eq!(rows[0]["title"], "First", "the first directory wins");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("one.md") && stderr.contains("two.md"),
        "{stderr}"
    );
    assert!(stderr.contains("duplicate-runbook-id"), "{stderr}");
    assert!(
        stderr.contains("(that one is used)"),
        "says which file wins: {stderr}"
    );
    // An unknown id: the closest few, not every id.
    let out = env.cmd().args(["show", "databse-down"]).output().unwrap();
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    let closest = err
        .split("closest: ")
        .nth(1)
        .unwrap_or_else(|| panic!("{err}"));
    assert!(closest.starts_with("database-down"), "{err}");
    assert!(
        closest.matches(", ").count() < 5,
        "a few, not all ten: {err}"
    );
}

#[test]
fn runbook_dirs_from_the_environment_and_the_user_dir() {
    let env = Env::new();
    let a = env.mkdir("a");
    let b = env.mkdir("b");
    env.write("a/x.md", &runbook_md("from-a", "From A"));
    env.write("b/y.md", &runbook_md("from-b", "From B"));
    std::fs::create_dir_all(env.user_runbooks()).unwrap();
    std::fs::write(
        env.user_runbooks().join("z.md"),
        runbook_md("from-user", "From user"),
    )
    .unwrap();
    let joined = format!("{}:{}", a.display(), b.display());
    let out = env
        .cmd()
        .env("MAYDAY_RUNBOOKS", joined)
        .args(["list", "--json", "--no-bundled"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let rows = json(&out);
    let mut ids: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, ["from-a", "from-b", "from-user"]);
}

#[test]
fn global_flags_work_before_and_after_the_subcommand() {
    let env = Env::new();
    let dir = env.mkdir("rb");
    env.write("rb/only.md", &runbook_md("only", "Only"));
    for args in [
        vec!["--no-bundled", "list", "--json", "--runbooks"],
        vec!["list", "--json", "--no-bundled", "--runbooks"],
    ] {
        let out = env
            .cmd()
            .args(&args)
            .arg(&dir)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        assert_eq!(json(&out).as_array().map(Vec::len), Some(1), "{args:?}");
    }
}

#[test]
fn a_missing_runbook_dir_fails_the_listing() {
    let env = Env::new();
    env.cmd()
        .args(["list", "--runbooks"])
        .arg(env.path().join("nope"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("nope"));
}

#[test]
fn show_prints_steps_with_kinds_commands_and_decisions() {
    let env = Env::new();
    let out = env
        .cmd()
        .args(["show", "database-down"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8_lossy(&out);
    assert!(text.contains("id: database-down"), "{text}");
    assert!(text.contains("1. ["), "{text}");
    for kind in ["[diagnose]", "[mitigate]", "[verify]"] {
        assert!(text.contains(kind), "{kind} missing:\n{text}");
    }
    assert!(text.contains("runnable"), "{text}");
    assert!(text.contains("display only"), "{text}");
    assert!(text.contains("◆ Decision:"), "{text}");
}

#[test]
fn show_an_unknown_id_names_the_five_closest() {
    let env = Env::new();
    let out = env.cmd().args(["show", "databse-down"]).assert().code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(err.contains("no runbook with id `databse-down`"), "{err}");
    let (_, close) = err.split_once("closest: ").expect("closest ids");
    let ids: Vec<&str> = close
        .split(" (see")
        .next()
        .unwrap_or("")
        .split(", ")
        .collect();
    // Five, the misspelt one first — not the whole library.
    assert_eq!(ids.len(), 5, "{err}");
    assert_eq!(ids[0], "database-down", "{err}");
}

#[test]
fn ids_are_taken_in_any_case_by_file_name_and_by_alert() {
    let env = Env::new();
    let file = env.write(
        "extra/KubeProxyDown.md",
        "# KubeProxyDown\n\n## Check the proxy pods\n\nLook at them.\n",
    );
    let dir = file.parent().expect("a directory").to_path_buf();
    for wanted in [
        "database-down",
        "DATABASE-DOWN",
        "Database-Down",
        // An alert the bundled runbook handles.
        "PostgresqlDown",
    ] {
        let out = env.cmd().args(["show", wanted]).assert().success();
        let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
        assert!(
            text.contains("Primary PostgreSQL database is down"),
            "{wanted}: {text}"
        );
    }
    // A kube-prometheus runbook file named after its alert.
    for wanted in ["KubeProxyDown", "kubeproxydown"] {
        let out = env
            .cmd()
            .arg("--runbooks")
            .arg(&dir)
            .args(["show", wanted])
            .assert()
            .success();
        let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
        assert!(text.contains("Check the proxy pods"), "{wanted}: {text}");
    }
}

#[test]
fn lint_exit_codes_and_text_format() {
    let env = Env::new();
    let good = env.write("ok/good.md", &runbook_md("good", "Good"));
    env.cmd()
        .arg("lint")
        .arg(&good)
        .assert()
        .success()
        .stdout("");

    let bad = env.write(
        "bad/bad.md",
        "# Bad\n\n## One {#one}\n\n**Decision:** which?\n\n1. this → [Nowhere](#nowhere)\n\n## Two {#one}\n\nRun {{undeclared}}.\n",
    );
    let out = env
        .cmd()
        .arg("lint")
        .arg(&bad)
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8_lossy(&out);
    let p = bad.display().to_string();
    assert!(
        text.contains(&format!("{p}:7:1: error[unknown-step]")),
        "{text}"
    );
    assert!(
        text.contains(&format!("{p}:9:1: error[duplicate-step-id]")),
        "{text}"
    );
    assert!(
        text.contains(&format!("{p}:11:5: error[undeclared-variable]")),
        "{text}"
    );
    assert!(text.contains("  = hint: "), "{text}");

    // Warnings alone do not fail.
    let warn = env.write(
        "warn/warn.md",
        "---\nvariables: [{name: unused}]\n---\n# Warn\n\n## Step\n\ntext\n",
    );
    env.cmd()
        .arg("lint")
        .arg(&warn)
        .assert()
        .success()
        .stdout(predicate::str::contains("warning[unused-variable]"));

    env.cmd()
        .arg("lint")
        .arg(env.path().join("missing.md"))
        .assert()
        .code(2);
}

#[test]
fn lint_json_shape() {
    let env = Env::new();
    let dir = env.mkdir("mixed");
    env.write("mixed/good.md", &runbook_md("good", "Good"));
    env.write("mixed/notitle.md", "## A step\n\ntext\n");
    let out = env
        .cmd()
        .args(["lint", "--format", "json"])
        .arg(&dir)
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let v = json(&out);
    assert_eq!(v["files"], 2);
    assert_eq!(v["errors"], 1);
    assert_eq!(v["warnings"], 0);
    let d = &v["diagnostics"][0];
    for key in ["path", "line", "column", "severity", "code", "message"] {
        assert!(d.get(key).is_some(), "missing {key}: {d}");
    }
    assert_eq!(d["code"], "missing-title");
    assert_eq!(d["severity"], "error");
}

#[test]
fn lint_without_paths_checks_every_loaded_runbook() {
    let env = Env::new();
    env.cmd().arg("lint").assert().success();
    let dir = env.mkdir("extra");
    env.write("extra/dup.md", &runbook_md("database-down", "Shadowing"));
    env.cmd()
        .arg("lint")
        .arg("--runbooks")
        .arg(&dir)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("duplicate-runbook-id"));
}

#[test]
fn escape_sequences_in_file_names_and_text_never_reach_the_terminal() {
    let env = Env::new();
    let dir = env.mkdir("evil");
    env.write(
        "evil/evil\u{1b}[2J.md",
        "# Evil \u{1b}]0;pwned\u{7} title\n\n## Step \u{1b}[31mred\n\n\u{202e}reversed text\n",
    );
    let out = env
        .cmd()
        .args(["--no-bundled", "lint", "--runbooks"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(!out.stdout.contains(&0x1b) && !out.stderr.contains(&0x1b));
    let out = env
        .cmd()
        .args(["--no-bundled", "show", "evil2j", "--runbooks"])
        .arg(&dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{202e}'),
        "{text:?}"
    );
    assert!(text.contains("^[]0;pwned^G"), "{text}");
}

/// Titles, file names and notes with C1 controls and bidi overrides come
/// out of every JSON output as `\u` escapes, never raw.
#[test]
fn json_outputs_escape_c1_controls_and_bidi_overrides() {
    let env = common::Env::new();
    let hostile = "X\u{9b}31mY\u{85}Z \u{202e}txt.exe\u{2066}i\u{2069}";
    let dir = env.mkdir("rb");
    std::fs::write(
        dir.join("evil\u{202e}name.md"),
        format!("---\nid: evil\ntitle: \"{hostile}\"\n---\n# T\n\n## Check {{#check .diagnose}}\n\nLook.\n"),
    )
    .unwrap();
    let data = env.data_home().join("mayday");
    let is_clean = |out: &[u8]| {
        let text = String::from_utf8_lossy(out);
        text.chars()
            .all(|c| !matches!(c, '\u{80}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
    };
    let list = env
        .cmd()
        .args(["--no-bundled", "--runbooks"])
        .arg(&dir)
        .args(["list", "--json"])
        .output()
        .unwrap();
    assert!(list.status.success());
    assert!(
        is_clean(&list.stdout),
        "{}",
        String::from_utf8_lossy(&list.stdout)
    );
    let v: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(v[0]["title"], hostile, "the escapes mean the same text");
    // An incident with a hostile note.
    let at = jiff::Timestamp::from_second(1_800_000_000).unwrap();
    let (mut w, _) =
        mayday::incident::store::create(&data, "evil", started_event(hostile, false), at).unwrap();
    w.append(
        mayday::incident::EventKind::Note {
            text: hostile.into(),
            status_update: false,
        },
        at,
    )
    .unwrap();
    let id = w.incident_id().to_owned();
    drop(w);
    for args in [vec!["incidents", "--json"], vec!["export", id.as_str()]] {
        let out = env
            .cmd()
            .arg("--data-dir")
            .arg(&data)
            .args(&args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}");
        assert!(
            is_clean(&out.stdout),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("\\u202e"),
            "{args:?}"
        );
    }
}

/// `--config FILE` that does not exist is an error for every command.
#[test]
fn a_missing_config_file_is_an_error_everywhere() {
    let env = Env::new();
    for args in [
        vec!["list"],
        vec!["status"],
        vec!["incidents"],
        vec!["lint"],
    ] {
        env.cmd()
            .args(["--config", "/no/such/mayday.yaml"])
            .args(&args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(
                "/no/such/mayday.yaml does not exist",
            ));
    }
}

/// `export -o FILE` never replaces a file without `--force`.
#[test]
fn export_does_not_overwrite_without_force() {
    let env = Env::new();
    let data = env.data_home().join("mayday");
    let at = jiff::Timestamp::from_second(1_800_000_000).unwrap();
    let (w, _) =
        mayday::incident::store::create(&data, "rb", started_event("RB", false), at).unwrap();
    let id = w.incident_id().to_owned();
    drop(w);
    let out = env.write("postmortem.md", "my careful edits\n");
    env.cmd()
        .arg("--data-dir")
        .arg(&data)
        .args(["export", &id, "--format", "md", "-o"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--force"));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "my careful edits\n");
    env.cmd()
        .arg("--data-dir")
        .arg(&data)
        .args(["export", &id, "--format", "md", "--force", "-o"])
        .arg(&out)
        .assert()
        .success();
    assert!(std::fs::read_to_string(&out).unwrap().starts_with("# "));
}

/// `mayday note` without `--incident` goes to the newest *real* open
/// incident, never to a newer rehearsal.
#[test]
fn note_without_an_id_never_lands_in_a_rehearsal() {
    let env = Env::new();
    let data = env.data_home().join("mayday");
    let make = |secs: i64, rehearsal: bool| {
        let (w, _) = mayday::incident::store::create(
            &data,
            if rehearsal { "drill" } else { "real" },
            started_event("RB", rehearsal),
            jiff::Timestamp::from_second(1_800_000_000 + secs).unwrap(),
        )
        .unwrap();
        w.path().to_path_buf()
    };
    let real = make(0, false);
    let drill = make(60, true);
    env.cmd()
        .arg("--data-dir")
        .arg(&data)
        .args(["note", "for the real page"])
        .assert()
        .success();
    let has_note = |p: &std::path::Path| {
        mayday::incident::log::read(p)
            .unwrap()
            .events
            .iter()
            .any(|e| matches!(&e.kind, mayday::incident::EventKind::Note { text, .. } if text == "for the real page"))
    };
    assert!(has_note(&real));
    assert!(!has_note(&drill));
}

/// The first event of a test incident.
fn started_event(title: &str, rehearsal: bool) -> mayday::incident::EventKind {
    mayday::incident::EventKind::IncidentStarted {
        incident_id: String::new(),
        runbook_id: "rb".into(),
        runbook_title: title.into(),
        runbook_hash: "h".into(),
        runbook_path: "p".into(),
        variables: Default::default(),
        severity: mayday::runbook::Severity::High,
        responder: "me".into(),
        rehearsal,
        scenario: rehearsal.then(|| "drill".into()),
        dry_run: rehearsal,
        mayday_version: "t".into(),
        alert: None,
    }
}

/// An abandoned rehearsal can be closed from the command line (its log is
/// kept and still exports); a real incident is refused.
#[test]
fn close_ends_an_abandoned_rehearsal_only() {
    let env = Env::new();
    let data = env.data_home().join("mayday");
    let make = |secs: i64, rehearsal: bool| {
        let (w, _) = mayday::incident::store::create(
            &data,
            "rb",
            started_event("RB", rehearsal),
            jiff::Timestamp::from_second(1_800_000_000 + secs).unwrap(),
        )
        .unwrap();
        w.incident_id().to_owned()
    };
    let real = make(0, false);
    let drill = make(60, true);
    env.cmd()
        .arg("--data-dir")
        .arg(&data)
        .args(["close", &real])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("real incident"));
    env.cmd()
        .arg("--data-dir")
        .arg(&data)
        .args(["close", &drill])
        .assert()
        .success()
        .stdout(predicate::str::contains("its log is kept"));
    let v: Value = serde_json::from_str(&env.stdout(&[
        "--data-dir".as_ref(),
        data.as_os_str(),
        "export".as_ref(),
        drill.as_ref(),
    ]))
    .unwrap();
    assert_eq!(v["incident"]["state"], "resolved");
    assert_eq!(v["incident"]["rehearsal"], true);
    assert_eq!(
        mayday::incident::store::find(&data, &real).unwrap().state,
        mayday::incident::Phase::Open
    );
}

/// With a config, `mayday lint` checks query blocks against its sources: a
/// `source=` that names nothing, or a source of the wrong kind, is a
/// warning at the block's line; without a config nothing is said; a
/// broken config given on the command line is exit 2.
#[test]
fn lint_checks_query_sources_against_the_config() {
    let env = Env::new();
    let rb = env.write(
        "q/q.md",
        "# Q\n\n## Look\n\n```promql source=prod\nup\n```\n\n```promql source=logs\nup\n```\n\n```logql\n{app=\"x\"}\n```\n\n```promql source=metrics\nup\n```\n",
    );
    let config = env.write(
        "config.yaml",
        "sources:\n  - name: metrics\n    kind: prometheus\n    url: http://127.0.0.1:9/\n  - name: logs\n    kind: loki\n    url: http://127.0.0.1:9/\n",
    );
    // No config anywhere: nothing to check against.
    env.cmd().arg("lint").arg(&rb).assert().success().stdout("");
    let out = env
        .cmd()
        .arg("--config")
        .arg(&config)
        .arg("lint")
        .arg(&rb)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8_lossy(&out);
    let p = rb.display().to_string();
    assert!(
        text.contains(&format!(
            "{p}:5:1: warning[unknown-source]: no source is named `prod`"
        )),
        "{text}"
    );
    assert!(
        text.contains("sources that answer promql blocks: metrics"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "{p}:9:1: warning[unknown-source]: source `logs` is a loki source"
        )),
        "{text}"
    );
    assert_eq!(text.matches("warning[").count(), 2, "{text}");
    let broken = env.write("broken.yaml", "sources: [\n");
    env.cmd()
        .arg("--config")
        .arg(&broken)
        .arg("lint")
        .arg(&rb)
        .assert()
        .code(2);
}
