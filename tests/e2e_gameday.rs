//! A game day through the real binary in a terminal (tmux): the scenario's
//! simulated sources drive the status panel and verify conditions, a
//! surprise is injected, commands are dry runs, and the score card lands in
//! the log, `mayday incidents --json` and the export.

mod common;

use common::Env;
use common::tmux::{self, Tmux};
use serde_json::Value;
use std::path::Path;

const RUNBOOK: &str = r#"---
id: drill
title: Drill outage
sources: [api]
---

# Drill outage

## Look around {#look .diagnose}

```sh {run}
touch ran-look
```

## Fix it {#fix .mitigate}

```sh {run}
touch ran-fix
```

## Check {#check .verify}

**Verify:** `api` is `up` for 2s
"#;

const SCENARIO: &str = r#"
title: Drill day
description: A rehearsal of the drill runbook.
runbook: drill
sources:
  - { name: api, state: down, summary: "HTTP 503" }
script:
  - at: 2s
    inject: "surprise: the dashboards go blank"
    source: dashboards
    state: unknown
    summary: "no data"
  - after: fix
    on: command
    delay: 1s
    source: api
    state: up
    summary: "HTTP 200"
targets: { diagnose: 1m, mitigate: 2m, resolve: 1s }
"#;

#[test]
fn a_game_day_runs_end_to_end_with_a_scripted_recovery_and_executes_nothing() {
    if !tmux::available() {
        return;
    }
    let env = Env::new();
    let dir = env.mkdir("drills");
    std::fs::create_dir_all(dir.join("gamedays")).unwrap();
    std::fs::write(dir.join("drill.md"), RUNBOOK).unwrap();
    std::fs::write(dir.join("gamedays/drill-day.yaml"), SCENARIO).unwrap();
    let data = env.data_home().join("mayday");
    let list = env
        .cmd()
        .args(["--no-bundled", "--runbooks"])
        .arg(&dir)
        .args(["gameday", "--list"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let list = String::from_utf8_lossy(&list);
    assert!(
        list.contains("drill-day") && list.contains("Drill day"),
        "{list}"
    );

    let cmd = format!(
        "cd {} && {} --no-bundled --runbooks {} --data-dir {} gameday drill-day --responder ida; echo MAYDAY-EXITED; sleep 60",
        env.path().display(),
        assert_cmd::cargo::cargo_bin("mayday").display(),
        dir.display(),
        data.display()
    );
    let envs = [("XDG_CONFIG_HOME", env.config_home())];
    let envs: Vec<(&str, &Path)> = envs.iter().map(|(k, v)| (*k, v.as_path())).collect();
    let t = Tmux::start("gameday", 120, 36, &cmd, &envs);
    let screen = t.wait_for("Step 1/3");
    assert!(screen.contains("REHEARSAL"), "{screen}");
    t.wait_for("api: unknown → down");
    t.wait_for("game day: surprise: the dashboards go blank");

    t.keys(&["r"]);
    let screen = t.wait_for("Run this command?");
    assert!(screen.contains("DRY RUN"), "{screen}");
    t.keys(&["y"]);
    t.wait_for("dry run, nothing executed");
    t.keys(&["d"]);
    t.wait_for("Step 2/3");
    t.keys(&["r"]);
    t.wait_for("Run this command?");
    t.keys(&["y"]);
    t.wait_for("api: down → up");
    t.keys(&["d"]);
    t.wait_for("verified: api is up");
    assert!(t.screen().contains("REHEARSAL"));
    t.keys(&["m"]);
    t.wait_for("marked mitigated");
    t.keys(&["R"]);
    t.wait_for("Resolve the incident");
    t.type_text("drill went fine");
    t.keys(&["Enter"]);
    let card = t.wait_for("score card");
    assert!(card.contains("✓ time to diagnose"), "{card}");
    assert!(card.contains("✗ time to resolve"), "target 1s:\n{card}");
    assert!(card.contains("verify conditions met         1"), "{card}");
    t.keys(&["Escape"]);
    t.keys(&["q"]);
    t.wait_exit("MAYDAY-EXITED");

    for f in ["ran-look", "ran-fix"] {
        assert!(
            !env.path().join(f).exists(),
            "{f}: a rehearsal executed a command"
        );
    }
    let (id, v) = env.export_newest(&data);
    let listed = env.stdout(&[
        "--data-dir".as_ref(),
        data.as_os_str(),
        "incidents".as_ref(),
        "--json".as_ref(),
    ]);
    let listed: Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed[0]["id"], Value::String(id.clone()));
    assert_eq!(listed[0]["rehearsal"], Value::Bool(true), "{listed}");
    assert_eq!(v["incident"]["rehearsal"], Value::Bool(true));
    assert_eq!(v["incident"]["dry_run"], Value::Bool(true));
    assert_eq!(v["incident"]["scenario"], "drill-day");
    let events = v["events"].as_array().unwrap();
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["kind"].as_str()).collect();
    for k in ["injected", "verify_met", "resolved", "score_card"] {
        assert!(kinds.contains(&k), "{k} missing: {kinds:?}");
    }
    let finished: Vec<&Value> = events
        .iter()
        .filter(|e| e["kind"] == "command_finished")
        .collect();
    assert_eq!(finished.len(), 2);
    assert!(finished.iter().all(|e| e["dry_run"] == Value::Bool(true)));
    let card = events.iter().find(|e| e["kind"] == "score_card").unwrap();
    let met: Vec<(String, Value)> = card["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["label"].as_str().unwrap_or("").to_owned(),
                l["met"].clone(),
            )
        })
        .collect();
    assert!(
        met.contains(&("time to diagnose".to_owned(), Value::Bool(true))),
        "{met:?}"
    );
    assert!(
        met.contains(&("time to resolve".to_owned(), Value::Bool(false))),
        "{met:?}"
    );

    // The postmortem draft says it was a rehearsal and carries the card.
    let md = env.stdout(&[
        "--data-dir".as_ref(),
        data.as_os_str(),
        "export".as_ref(),
        id.as_ref(),
        "--format".as_ref(),
        "md".as_ref(),
    ]);
    assert!(md.contains("**Rehearsal**"), "{md}");
    assert!(md.contains("## Score card"), "{md}");
    assert!(md.contains("surprise: the dashboards go blank"), "{md}");

    // Review it in the real binary: statistics, a draft written with `e`,
    // and a replay.
    let cmd = format!(
        "cd {} && TZ=UTC {} --no-bundled --runbooks {} --data-dir {} review; echo MAYDAY-EXITED; sleep 60",
        env.path().display(),
        assert_cmd::cargo::cargo_bin("mayday").display(),
        dir.display(),
        data.display()
    );
    let t = Tmux::start("review", 120, 36, &cmd, &envs);
    let screen = t.wait_for("Key durations");
    assert!(
        screen.contains("REVIEW") && screen.contains("REHEARSAL"),
        "{screen}"
    );
    assert!(screen.contains("Status over the incident"), "{screen}");
    t.keys(&["e"]);
    t.wait_for("postmortem draft written");
    let draft = data.join("incidents").join(format!("{id}.postmortem.md"));
    let text =
        std::fs::read_to_string(&draft).unwrap_or_else(|e| panic!("{}: {e}", draft.display()));
    assert!(text.contains("## Score card"), "{text}");
    t.keys(&["Escape"]);
    t.keys(&["Enter"]);
    t.wait_for("REPLAY");
    t.keys(&["End"]);
    t.wait_for("RESOLVED");
    t.keys(&["Escape"]);
    t.wait_for("Key durations");
    t.keys(&["q"]);
    t.wait_exit("MAYDAY-EXITED");
}

/// At 80×24, a decision that comes after several commands is on screen
/// (pinned at the foot of the step pane), so `1`–`9` is never pressed
/// blind — the bundled bad-deploy rehearsal, step 2.
#[test]
fn a_decision_after_several_commands_is_visible_at_80x24() {
    if !tmux::available() {
        return;
    }
    let env = Env::new();
    let data = env.data_home().join("mayday");
    let cmd = format!(
        "{} --data-dir {} gameday bad-deploy; echo MAYDAY-EXITED; sleep 60",
        assert_cmd::cargo::cargo_bin("mayday").display(),
        data.display()
    );
    let envs = [("XDG_CONFIG_HOME", env.config_home())];
    let envs: Vec<(&str, &std::path::Path)> = envs.iter().map(|(k, v)| (*k, v.as_path())).collect();
    let t = Tmux::start("decide80", 80, 24, &cmd, &envs);
    t.wait_for("Step 1/");
    let mut screen = String::new();
    for _ in 0..6 {
        screen = t.screen();
        if screen.contains("Did the errors start") {
            break;
        }
        t.keys(&["d"]);
        std::thread::sleep(std::time::Duration::from_millis(700));
    }
    assert!(screen.contains("Did the errors start"), "{screen}");
    assert!(
        screen.contains(" 1 ") && screen.contains(" 2 "),
        "the choices: {screen}"
    );
    t.keys(&["C-c"]);
    t.wait_for("Quit?");
    t.keys(&["y"]);
    t.wait_exit("MAYDAY-EXITED");
}
