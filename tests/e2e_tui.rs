//! End to end through the real binary in a terminal (tmux): filter, start
//! an incident, tick a checklist item, take a decision, write a note, mark a
//! step done, quit, resume, and check it all with `mayday export`.

mod common;

use common::Env;
use common::tmux::{self, Tmux};
use serde_json::Value;

fn bin() -> String {
    assert_cmd::cargo::cargo_bin("mayday").display().to_string()
}

#[test]
fn an_incident_from_start_to_resume() {
    if !tmux::available() {
        return;
    }
    let env = Env::new();
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let data = env.data_home().join("mayday");
    let cmd = format!(
        "{} --no-bundled --runbooks {fixtures} --data-dir {}; echo MAYDAY-EXITED; sleep 60",
        bin(),
        data.display()
    );
    let envs = [
        ("XDG_CONFIG_HOME", env.config_home()),
        ("USER", std::path::PathBuf::from("carol")),
    ];
    let envs: Vec<(&str, &std::path::Path)> = envs.iter().map(|(k, v)| (*k, v.as_path())).collect();
    let t = Tmux::start("e2e", 100, 30, &cmd, &envs);

    // The picker, filtered as you type.
    t.wait_for("Runbooks");
    t.type_text("evict");
    let s = t.wait_for("/ evict");
    assert!(
        s.contains("Cache eviction storm") && !s.contains("API latency is high"),
        "{s}"
    );
    t.keys(&["Enter"]);
    t.wait_for("Start an incident: Cache eviction storm");
    // Every value has a default: Enter starts at once.
    t.keys(&["Enter"]);
    t.wait_for("Step 1/4");
    // Tick the checklist item, write a two-line note.
    t.keys(&["x"]);
    t.wait_for("[x] Note");
    t.keys(&["i"]);
    t.wait_for("Enter saves");
    t.type_text("evictions at 1.2k/s");
    t.keys(&["M-Enter"]);
    t.type_text("maxmemory 4G");
    t.keys(&["Enter"]);
    t.wait_for("note: evictions at 1.2k/s maxmemory 4G");
    // Decision 1 → "Raise the memory limit"; then mark that step done.
    t.keys(&["1"]);
    t.wait_for("Step 2/4");
    t.keys(&["d"]);
    t.wait_for("Step 3/4");
    t.wait_for("all saved");
    // Quit: asks, the incident stays open.
    t.keys(&["q"]);
    t.wait_for("The incident stays OPEN");
    t.keys(&["y"]);
    t.wait_exit("MAYDAY-EXITED");
    drop(t);

    // Resume in a new terminal: the screen shows what was saved.
    let cmd = format!(
        "{} --no-bundled --runbooks {fixtures} --data-dir {} resume; echo MAYDAY-EXITED; sleep 60",
        bin(),
        data.display()
    );
    let t = Tmux::start("e2e-resume", 100, 30, &cmd, &envs);
    let s = t.wait_for("Step 3/4");
    assert!(s.contains("✔ 1") && s.contains("✔ 2"), "{s}");
    t.wait_for("session resumed by carol");
    t.keys(&["q"]);
    t.wait_for("The incident stays OPEN");
    t.keys(&["y"]);
    t.wait_exit("MAYDAY-EXITED");

    // The log, through `mayday export`.
    let list = env
        .cmd()
        .args(["incidents", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let list: Value = serde_json::from_slice(&list).unwrap();
    let id = list[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(list[0]["state"], "open");
    let out = env
        .cmd()
        .args(["export", &id, "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    let kinds: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "incident_started",
            "step_entered",
            "checklist_toggled",
            "note",
            "decision_taken",
            "step_done",
            "step_entered",
            "step_done",
            "step_entered",
            "session_ended",
            "session_resumed",
            "session_ended"
        ]
    );
    let ev = v["events"].as_array().unwrap();
    assert_eq!(ev[3]["text"], "evictions at 1.2k/s\nmaxmemory 4G");
    assert_eq!(ev[4]["goto"], "raise");
    assert_eq!(ev[0]["responder"], "carol");
    assert_eq!(ev[0]["variables"]["namespace"], "cache");
    assert_eq!(v["incident"]["responders"], serde_json::json!(["carol"]));
}

/// SIGTERM (and SIGHUP) end the session cleanly: the incident stays open,
/// `session_ended` is saved, and the terminal is restored.
#[test]
fn a_signal_saves_and_restores_the_terminal() {
    if !tmux::available() {
        return;
    }
    for signal in ["TERM", "HUP"] {
        let env = Env::new();
        let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
        let data = env.data_home().join("mayday");
        let pidfile = env.path().join("pid");
        let cmd = format!(
            "sh -c 'echo $$ > {}; exec {} --no-bundled --runbooks {fixtures} --data-dir {} start cache-evictions --var namespace=x --severity low --responder dan'; echo MAYDAY-EXITED; sleep 60",
            pidfile.display(),
            bin(),
            data.display(),
        );
        let envs = [("XDG_CONFIG_HOME", env.config_home())];
        let envs: Vec<(&str, &std::path::Path)> =
            envs.iter().map(|(k, v)| (*k, v.as_path())).collect();
        let t = Tmux::start(&format!("sig{signal}"), 100, 30, &cmd, &envs);
        t.wait_for("Step 1/4");
        t.keys(&["x"]);
        t.wait_for("[x] ");
        t.wait_for("all saved");
        let pid = std::fs::read_to_string(&pidfile).unwrap();
        let status = std::process::Command::new("kill")
            .args([&format!("-{signal}"), pid.trim()])
            .status()
            .unwrap();
        assert!(status.success());
        let screen = t.wait_for("MAYDAY-EXITED");
        assert!(
            !screen.contains("Step 1/4"),
            "the alternate screen is gone:\n{screen}"
        );
        let list = env
            .cmd()
            .args(["incidents", "--json"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let list: Value = serde_json::from_slice(&list).unwrap();
        assert_eq!(list[0]["state"], "open");
        let id = list[0]["id"].as_str().unwrap().to_owned();
        let out = env
            .cmd()
            .args(["export", &id])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let v: Value = serde_json::from_slice(&out).unwrap();
        let kinds: Vec<&str> = v["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            [
                "incident_started",
                "step_entered",
                "checklist_toggled",
                "session_ended"
            ],
            "SIG{signal}"
        );
    }
}

/// A token from the config never lands on the screen or in any file Mayday
/// writes, through a whole incident with the status source polling it.
#[test]
fn a_canary_token_never_reaches_the_screen_or_a_file() {
    if !tmux::available() {
        return;
    }
    let canary = "canary-3f9c1e7d0b5a4e21-do-not-leak";
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(wiremock::MockServer::start());
    rt.block_on(
        wiremock::Mock::given(wiremock::matchers::path("/api/v3/checks/"))
            .and(wiremock::matchers::header("X-Api-Key", canary))
            .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "checks": [{"name": "backup", "slug": "backup", "status": "down", "tags": "", "n_pings": 3}]
            })))
            .mount(&server),
    );
    let env = Env::new();
    let config = env.write(
        "cfg/config.yaml",
        &format!("sources:\n  - name: cron\n    kind: healthchecks\n    url: {}\n    token_env: HC_KEY\n    interval: 1s\n", server.uri()),
    );
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let data = env.data_home().join("mayday");
    let cmd = format!(
        "HC_KEY={canary} MAYDAY_LOG=trace {} --config {} --no-bundled --runbooks {fixtures} --data-dir {} start cache-evictions --var namespace=x --severity low --responder eve; echo MAYDAY-EXITED; sleep 60",
        bin(),
        config.display(),
        data.display()
    );
    let envs = [("XDG_CONFIG_HOME", env.config_home())];
    let envs: Vec<(&str, &std::path::Path)> = envs.iter().map(|(k, v)| (*k, v.as_path())).collect();
    let t = Tmux::start("canary", 120, 32, &cmd, &envs);
    let screen = t.wait_for("cron: unknown → down");
    assert!(!screen.contains(canary));
    t.keys(&["Tab", "Tab", "Tab", "Enter"]);
    let details = t.wait_for("backup");
    assert!(!details.contains(canary), "{details}");
    t.keys(&["Escape"]);
    std::thread::sleep(std::time::Duration::from_millis(200));
    t.keys(&["q"]);
    t.wait_for("The incident stays OPEN");
    t.keys(&["y"]);
    t.wait_exit("MAYDAY-EXITED");
    // Every file Mayday could have written: the data dir (incident log, the
    // runbook copy, mayday.log), the config home, the temp home.
    let mut checked = 0;
    let mut stack = vec![env.path().to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p != config {
                let bytes = std::fs::read(&p).unwrap_or_default();
                assert!(
                    !String::from_utf8_lossy(&bytes).contains(canary),
                    "the token leaked into {}",
                    p.display()
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 3, "checked {checked} files");
    assert!(data.join("mayday.log").exists());
}

/// A data directory where the diagnostics log cannot be created
/// (`mayday.log` is a directory) never crashes the TUI: it says the file
/// log is off and carries on.
#[test]
fn an_unwritable_diagnostics_log_is_a_warning_not_a_crash() {
    if !tmux::available() {
        return;
    }
    let env = Env::new();
    let data = env.data_home().join("mayday");
    std::fs::create_dir_all(data.join("mayday.log")).unwrap();
    let cmd = format!(
        "{} --data-dir {}; echo MAYDAY-EXITED-$?; sleep 60",
        bin(),
        data.display()
    );
    let envs = [("XDG_CONFIG_HOME", env.config_home())];
    let envs: Vec<(&str, &std::path::Path)> = envs.iter().map(|(k, v)| (*k, v.as_path())).collect();
    let t = Tmux::start("nolog", 120, 30, &cmd, &envs);
    let screen = t.wait_for("diagnostics log");
    assert!(screen.contains("is off"), "{screen}");
    t.wait_for("Runbooks");
    t.keys(&["C-c"]);
    t.wait_exit("MAYDAY-EXITED-0");
}
