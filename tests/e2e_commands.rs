//! Commands through the real binary in a terminal (tmux): run, fail, time
//! out, escape sequences, cancel without orphans, decline, typed
//! confirmation — each checked in the incident log with `mayday export`.
//! Trust, secrets and live reload too.

mod common;

use common::Env;
use common::tmux::{self, Tmux};
use serde_json::Value;
use std::path::Path;

fn bin() -> String {
    assert_cmd::cargo::cargo_bin("mayday").display().to_string()
}

const RUNBOOK: &str = r#"---
id: cmds
title: Command drill
services: [orders]
variables:
  - name: who
    default: world
---

# Command drill

## Echo {#echo .diagnose}

```sh {run}
echo "hello {{who}} from $MAYDAY_VAR_WHO"
```

## Fail {#fail .diagnose}

```sh {run}
echo about to fail; exit 7
```

## Slow {#slow .diagnose}

```sh {run timeout=1s}
echo slow; sleep 30
```

## Escapes {#escapes .diagnose}

```sh {run}
printf 'A\033[31mred\033[0mB \033[2J \033]0;pwned\007 done\n'
```

## Cancel {#cancel .diagnose}

```sh {run}
sleep 120 & echo "grandchild $!"; wait
```

## Decline {#decline .diagnose}

```sh {run}
touch declined-ran
```

## Restart {#restart .mitigate}

```sh {run dangerous phrase=orders-prod}
echo restarted
```
"#;

struct Session {
    env: Env,
    data: std::path::PathBuf,
}

fn setup() -> Session {
    let env = Env::new();
    std::fs::create_dir_all(env.user_runbooks()).unwrap();
    std::fs::write(env.user_runbooks().join("cmds.md"), RUNBOOK).unwrap();
    let data = env.data_home().join("mayday");
    Session { env, data }
}

fn start(s: &Session, name: &str, extra: &str) -> Tmux {
    let cmd = format!(
        "cd {} && {} --no-bundled --data-dir {} {extra} start cmds --var who=world --severity low --responder fay; echo MAYDAY-EXITED; sleep 60",
        s.env.path().display(),
        bin(),
        s.data.display()
    );
    let envs = [("XDG_CONFIG_HOME", s.env.config_home())];
    let envs: Vec<(&str, &Path)> = envs.iter().map(|(k, v)| (*k, v.as_path())).collect();
    let t = Tmux::start(name, 120, 40, &cmd, &envs);
    t.wait_for("Step 1/7");
    t
}

/// Write a user runbook `<file>` and start it in tmux with `start ARGS`
/// (`env` prefixes the command, e.g. `HC_KEY=… `).
fn start_own(s: &Session, name: &str, file: &str, runbook: &str, env: &str, args: &str) -> Tmux {
    std::fs::write(s.env.user_runbooks().join(file), runbook).unwrap();
    let cmd = format!(
        "cd {} && {env}{} --no-bundled --data-dir {} start {args} --severity low --responder gus; echo MAYDAY-EXITED-$?; sleep 60",
        s.env.path().display(),
        bin(),
        s.data.display()
    );
    let envs = [("XDG_CONFIG_HOME", s.env.config_home())];
    let envs: Vec<(&str, &Path)> = envs.iter().map(|(k, v)| (*k, v.as_path())).collect();
    Tmux::start(name, 140, 40, &cmd, &envs)
}

/// Go to step 5 (`sleep 120 & echo "grandchild $!"; wait`), run it, and
/// read the grandchild's pid from its output.
fn run_the_cancel_step(t: &Tmux) -> i32 {
    for _ in 0..4 {
        t.keys(&["n"]);
    }
    t.wait_for("Step 5/7");
    t.keys(&["r"]);
    t.wait_for("Run this command?");
    t.keys(&["y"]);
    // The command text says `grandchild $!` too: wait for the output line.
    (0..100)
        .find_map(|_| {
            let found = t
                .screen()
                .split("grandchild ")
                .skip(1)
                .find_map(|r| r.split_whitespace().next()?.parse().ok());
            if found.is_none() {
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            found
        })
        .unwrap_or_else(|| panic!("the grandchild's pid; the screen is:\n{}", t.screen()))
}

/// Wait until process `pid` is gone (or only a zombie); false if it stays.
fn gone(pid: i32) -> bool {
    (0..50).any(|_| {
        let alive = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|st| {
                st.rsplit_once(')')
                    .map(|(_, a)| a.split_whitespace().next() != Some("Z"))
            })
            .unwrap_or(false);
        if alive {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        !alive
    })
}

/// Every event's kind, in order.
fn kinds(v: &Value) -> Vec<&str> {
    v["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect()
}

/// The id of the newest incident in the session's data dir.
fn newest_id(s: &Session) -> String {
    let list = s.env.stdout(&[
        "--data-dir".as_ref(),
        s.data.as_os_str(),
        "incidents".as_ref(),
        "--json".as_ref(),
    ]);
    let list: Value = serde_json::from_str(&list).unwrap();
    list[0]["id"].as_str().unwrap().to_owned()
}

fn export(s: &Session) -> Value {
    s.env.export_newest(&s.data).1
}

fn quit(t: &Tmux) {
    t.keys(&["q"]);
    t.wait_for("The incident stays OPEN");
    t.keys(&["y"]);
    t.wait_exit("MAYDAY-EXITED");
}

/// The command events of the log, as (kind, step) plus the finished ones.
fn command_events(v: &Value) -> Vec<Value> {
    v["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["kind"]
                .as_str()
                .is_some_and(|k| k.starts_with("command_"))
        })
        .cloned()
        .collect()
}

fn finished<'a>(events: &'a [Value], step: &str) -> &'a Value {
    events
        .iter()
        .find(|e| e["kind"] == "command_finished" && e["step"] == step)
        .unwrap_or_else(|| panic!("no command_finished for {step}: {events:#?}"))
}

#[test]
fn commands_run_fail_time_out_and_keep_escapes_harmless() {
    if !tmux::available() {
        return;
    }
    let s = setup();
    let t = start(&s, "cmds", "");
    // Echo.
    t.keys(&["r"]);
    t.wait_for("Run this command?");
    t.keys(&["y"]);
    t.wait_for("hello world from world");
    t.wait_for("✔ exit 0");
    // Fail.
    t.keys(&["n", "r"]);
    t.wait_for("Run this command?");
    t.keys(&["y"]);
    t.wait_for("✖ EXIT 7");
    // Slow: times out after 1s.
    t.keys(&["n", "r"]);
    t.wait_for("Run this command?");
    t.keys(&["y"]);
    t.wait_for("✖ TIMED OUT");
    // Escapes: colour kept, the rest shown, never obeyed.
    t.keys(&["n", "r"]);
    t.wait_for("Run this command?");
    t.keys(&["y"]);
    let screen = t.wait_for("done");
    assert!(screen.contains("AredB ^[[2J ^[]0;pwned^G done"), "{screen}");
    t.wait_for("all saved");
    quit(&t);
    drop(t);

    let v = export(&s);
    let ev = command_events(&v);
    let echo = finished(&ev, "echo");
    assert_eq!(echo["exit_code"], 0);
    assert_eq!(
        echo["output_tail"],
        serde_json::json!(["hello world from world"])
    );
    let started = ev
        .iter()
        .find(|e| e["kind"] == "command_started" && e["step"] == "echo")
        .unwrap();
    assert_eq!(
        started["text"],
        r#"echo "hello world from $MAYDAY_VAR_WHO""#
    );
    assert!(started["pid"].as_u64().is_some());
    assert_eq!(finished(&ev, "fail")["exit_code"], 7);
    assert_eq!(finished(&ev, "slow")["timed_out"], true);
    let esc = finished(&ev, "escapes");
    assert_eq!(
        esc["output_tail"],
        serde_json::json!(["AredB ^[[2J ^[]0;pwned^G done"])
    );
    let text = serde_json::to_string(&v).unwrap();
    assert!(!text.contains("\\u001b"), "no escape character in the log");
}

#[test]
fn cancel_decline_and_typed_confirmation() {
    if !tmux::available() {
        return;
    }
    let s = setup();
    let t = start(&s, "cancel", "");
    let gc = run_the_cancel_step(&t);
    t.keys(&["C-k"]);
    t.wait_for("✖ CANCELLED");
    let gone = gone(gc);
    assert!(gone, "the grandchild {gc} was left running");
    // Decline: nothing runs.
    t.keys(&["n", "r"]);
    t.wait_for("Run this command?");
    t.keys(&["n"]);
    t.wait_for("command declined");
    // Typed: a wrong phrase runs nothing; the right one runs.
    t.keys(&["n", "r"]);
    t.wait_for("Type orders-prod");
    t.type_text("orders");
    t.keys(&["Enter"]);
    t.wait_for("type `orders-prod` exactly");
    t.type_text("-prod");
    t.keys(&["Enter"]);
    t.wait_for("restarted");
    t.wait_for("all saved");
    quit(&t);
    drop(t);

    assert!(!s.env.path().join("declined-ran").exists());
    let v = export(&s);
    let ev = command_events(&v);
    assert_eq!(finished(&ev, "cancel")["cancelled"], true);
    let kinds: Vec<(&str, &str)> = ev
        .iter()
        .map(|e| (e["kind"].as_str().unwrap(), e["step"].as_str().unwrap()))
        .collect();
    assert!(kinds.contains(&("command_declined", "decline")));
    assert!(!kinds.contains(&("command_started", "decline")));
    assert!(kinds.contains(&("command_confirmed", "restart")));
    assert_eq!(finished(&ev, "restart")["exit_code"], 0);
}

#[test]
fn untrusted_runbooks_cannot_run_until_trusted_and_edits_revoke_trust() {
    if !tmux::available() {
        return;
    }
    let s = setup();
    // The same runbook from a --runbooks directory: untrusted.
    let extra = s.env.mkdir("extra");
    std::fs::remove_file(s.env.user_runbooks().join("cmds.md")).unwrap();
    let file = extra.join("cmds.md");
    std::fs::write(&file, RUNBOOK).unwrap();
    let arg = format!("--runbooks {}", extra.display());
    let t = start(&s, "untrusted", &arg);
    t.wait_for("UNTRUSTED");
    t.wait_for("runnable once trusted");
    t.keys(&["r"]);
    t.wait_for("this runbook is not trusted");
    quit(&t);
    drop(t);
    // Trust it from the command line.
    s.env
        .cmd()
        .arg("--data-dir")
        .arg(&s.data)
        .arg("trust")
        .arg(&file)
        .assert()
        .success();
    let t = start(&s, "trusted", &arg);
    let screen = t.screen();
    assert!(!screen.contains("UNTRUSTED"), "{screen}");
    t.keys(&["r"]);
    t.wait_for("Run this command?");
    t.keys(&["y"]);
    t.wait_for("hello world");
    quit(&t);
    drop(t);
    // An edit revokes it.
    std::fs::write(&file, RUNBOOK.replace("hello", "HELLO")).unwrap();
    let t = start(&s, "edited", &arg);
    t.wait_for("UNTRUSTED");
    quit(&t);
    let v = export(&s);
    assert!(
        command_events(&v)
            .iter()
            .all(|e| e["text"].as_str().is_none_or(|t| !t.contains("HELLO")))
    );
}

#[test]
fn a_secret_never_reaches_a_commands_environment_screen_or_log() {
    if !tmux::available() {
        return;
    }
    let canary = "canary-e2e-7d41c0-top-secret";
    let s = setup();
    std::fs::write(
        s.env.user_runbooks().join("env.md"),
        "---\nid: envdump\n---\n# Env dump\n\n## Dump {#dump .diagnose}\n\n```sh {run confirm=none}\nenv | sort; echo \"and $HC_KEY\"; tr '\\0' '\\n' < /proc/$PPID/environ | grep -c 'top-secret' | sed 's/^/parent-has-/'\n```\n",
    )
    .unwrap();
    let config = s.env.write(
        "cfg/config.yaml",
        "sources:\n  - name: cron\n    kind: healthchecks\n    url: http://127.0.0.1:9/\n    token_env: HC_KEY\n    interval: 60s\n",
    );
    let cmd = format!(
        "cd {} && HC_KEY={canary} {} --config {} --no-bundled --data-dir {} start envdump --severity low --responder gus; echo MAYDAY-EXITED; sleep 60",
        s.env.path().display(),
        bin(),
        config.display(),
        s.data.display()
    );
    let envs = [("XDG_CONFIG_HOME", s.env.config_home())];
    let envs: Vec<(&str, &Path)> = envs.iter().map(|(k, v)| (*k, v.as_path())).collect();
    let t = Tmux::start("secret", 160, 50, &cmd, &envs);
    t.wait_for("Step 1/1");
    t.keys(&["r"]);
    let screen = t.wait_for("parent-has-0");
    assert!(!screen.contains(canary), "{screen}");
    assert!(
        !screen.contains("HC_KEY="),
        "the variable is not in the child's environment:\n{screen}"
    );
    t.wait_for("all saved");
    quit(&t);
    let v = export(&s);
    let text = serde_json::to_string(&v).unwrap();
    assert!(!text.contains(canary));
    let tail = finished(&command_events(&v), "dump")["output_tail"].clone();
    assert!(
        tail.as_array().unwrap().iter().any(|l| l == "and "),
        "{tail}"
    );
}

#[test]
fn the_picker_follows_runbooks_added_edited_and_deleted_while_it_runs() {
    if !tmux::available() {
        return;
    }
    let s = setup();
    let extra = s.env.mkdir("live");
    let cmd = format!(
        "{} --no-bundled --runbooks {} --data-dir {}; echo MAYDAY-EXITED; sleep 60",
        bin(),
        extra.display(),
        s.data.display()
    );
    let envs = [("XDG_CONFIG_HOME", s.env.config_home())];
    let envs: Vec<(&str, &Path)> = envs.iter().map(|(k, v)| (*k, v.as_path())).collect();
    let t = Tmux::start("live", 100, 24, &cmd, &envs);
    t.wait_for("Command drill");
    let f = extra.join("new.md");
    std::fs::write(&f, "# Freshly added\n\n## Step\n\ntext\n").unwrap();
    t.wait_for("Freshly added");
    // An editor's save: a new file renamed over the old one.
    let tmp = extra.join(".new.md.tmp");
    std::fs::write(&tmp, "# Edited title\n\n## Step\n\ntext\n").unwrap();
    std::fs::rename(&tmp, &f).unwrap();
    t.wait_for("Edited title");
    // Broken: the last good version stays, with its diagnostic.
    std::fs::write(&f, "---\ntitle: [oops\n---\n").unwrap();
    let screen = t.wait_for("front-matter-syntax");
    assert!(screen.contains("Edited title"), "{screen}");
    std::fs::remove_file(&f).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while t.screen().contains("Edited title") {
        assert!(
            std::time::Instant::now() < deadline,
            "the deleted runbook is still listed"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    t.keys(&["C-c"]);
    t.wait_exit("MAYDAY-EXITED");
}

/// A variable value with shell syntax in it (`;`, `#`, `$( )`) is one
/// argument: a no-confirmation command runs with it quoted, creates
/// nothing, and the log records the command as it ran. A `{{x|raw}}`
/// fragment always asks first.
#[test]
fn variable_values_reach_the_shell_quoted() {
    if !tmux::available() {
        return;
    }
    let s = setup();
    let t = start_own(
        &s,
        "quote",
        "quote.md",
        "---\nid: quote\nvariables:\n  - name: node\n  - name: extra\n    default: \"-n\"\n---\n# Quote\n\n## Cordon {#cordon .diagnose}\n\n```sh {run confirm=none}\nprintf '[%s]\\n' {{node}} \"in {{node}}\"\n```\n\n## Raw {#raw .diagnose}\n\n```sh {run confirm=none}\necho {{extra|raw}} raw-ran\n```\n",
        "",
        "quote --var 'node=x; touch pwned-semi #' --var extra=-n",
    );
    t.wait_for("Step 1/2");
    t.keys(&["r"]);
    let screen = t.wait_for("✔ exit 0");
    assert!(screen.contains("[x; touch pwned-semi #]"), "{screen}");
    assert!(screen.contains("[in x; touch pwned-semi #]"), "{screen}");
    assert!(!s.env.path().join("pwned-semi").exists());
    // The raw fragment asks, even though the runbook says confirm=none.
    t.keys(&["n", "r"]);
    // Waiting for the last thing the dialog draws: a capture can land in
    // the middle of a frame on a busy machine.
    let screen = t.wait_for("RAW");
    assert!(screen.contains("Run this command?"), "{screen}");
    t.keys(&["n"]);
    t.wait_for("all saved");
    quit(&t);
    let v = export(&s);
    let started = command_events(&v)
        .into_iter()
        .find(|e| e["kind"] == "command_started")
        .unwrap();
    assert_eq!(
        started["text"],
        r#"printf '[%s]\n' 'x; touch pwned-semi #' "in x; touch pwned-semi #""#
    );
}

/// A full disk at 3 AM: notes keep being taken (in memory, NOT SAVED), quit
/// says how many are unsaved and refuses, `w` writes a rescue copy outside
/// the data dir and names it, and only then does `y` quit — with every note
/// in the copy and the path printed after the terminal is restored.
#[test]
fn quitting_on_a_full_disk_rescues_every_unsaved_event() {
    if !tmux::available() {
        return;
    }
    let Some(fs) = common::Tmpfs::mount(256) else {
        return;
    };
    let s = setup();
    let data = fs.0.join("data");
    let rescue = s.env.mkdir("rescue");
    let cmd = format!(
        "cd {} && MAYDAY_RESCUE_DIR={} {} --no-bundled --data-dir {} start cmds --var who=world --severity low --responder fay; echo MAYDAY-EXITED-$?; sleep 60",
        s.env.path().display(),
        rescue.display(),
        bin(),
        data.display()
    );
    let envs = [("XDG_CONFIG_HOME", s.env.config_home())];
    let envs: Vec<(&str, &Path)> = envs.iter().map(|(k, v)| (*k, v.as_path())).collect();
    let t = Tmux::start("diskfull", 120, 40, &cmd, &envs);
    t.wait_for("Step 1/7");
    t.wait_for("all saved");
    fs.fill();
    let long = "x".repeat(300);
    for i in 0..20 {
        t.keys(&["i"]);
        t.wait_for("Enter saves");
        t.type_text(&format!("note {i} {long}"));
        t.keys(&["Enter"]);
    }
    t.wait_for("NOT SAVED");
    t.keys(&["q"]);
    let screen = t.wait_for("are NOT saved in the incident log");
    assert!(screen.contains("write a rescue copy"), "{screen}");
    // `y` is refused while nothing holds them.
    t.keys(&["y"]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(t.screen().contains("are NOT saved in the incident log"));
    t.keys(&["w"]);
    let screen = t.wait_for("A complete copy with them is in");
    assert!(screen.contains("rescue"), "{screen}");
    t.keys(&["y"]);
    let screen = t.wait_for("MAYDAY-EXITED-2");
    assert!(screen.contains(".rescue.log"), "{screen}");
    let copy = std::fs::read_dir(&rescue)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with(".rescue.log"))
        .expect("a rescue copy");
    let read = mayday::incident::log::read(&copy).unwrap();
    let notes = read
        .events
        .iter()
        .filter(|e| matches!(&e.kind, mayday::incident::EventKind::Note { text, .. } if text.ends_with(&long)))
        .count();
    assert_eq!(notes, 20, "every note is in the rescue copy");
    assert!(matches!(
        read.events.last().map(|e| &e.kind),
        Some(mayday::incident::EventKind::SessionEnded)
    ));
}

/// A multi-line block whose first line fails: the screen, the note offered
/// and the log all say it failed, at that line — never `exit 0` because the
/// last line succeeded.
#[test]
fn a_failing_first_line_fails_the_block() {
    if !tmux::available() {
        return;
    }
    let s = setup();
    let t = start_own(
        &s,
        "freeze",
        "freeze.md",
        "---\nid: freeze\n---\n# Freeze\n\n## Freeze the pipeline {#freeze .mitigate}\n\n```sh {run confirm=none}\nnosuch-argocd app set orders --sync-policy none\necho auto-sync is off\n```\n",
        "",
        "freeze",
    );
    t.wait_for("Step 1/1");
    t.keys(&["r"]);
    let screen = t.wait_for("✖ EXIT 127");
    // Once, in the step pane; never in the output.
    assert_eq!(screen.matches("auto-sync is off").count(), 1, "{screen}");
    assert!(screen.contains("at line 1"), "{screen}");
    assert!(screen.contains("line 1: nosuch-argocd"), "{screen}");
    assert!(screen.contains("pipefail"), "the shell is named: {screen}");
    t.keys(&["i"]);
    let screen = t.wait_for("Enter saves");
    assert!(
        screen.contains("`nosuch-argocd app set orders --sync-policy none` exited with 127"),
        "{screen}"
    );
    t.keys(&["Enter"]);
    t.wait_for("all saved");
    quit(&t);
    let v = export(&s);
    let f = finished(&command_events(&v), "freeze").clone();
    assert_eq!(f["exit_code"], 127);
    assert_eq!(f["ok"], false);
    assert_eq!(f["failed_line"], 1);
    assert_eq!(
        f["failed_command"],
        "nosuch-argocd app set orders --sync-policy none"
    );
}

/// Quitting while a command runs: the dialog warns, the command's whole
/// group is stopped, and the log records it as abandoned at quit.
#[test]
fn quitting_with_a_command_running_stops_it_and_logs_it() {
    if !tmux::available() {
        return;
    }
    let s = setup();
    let t = start(&s, "quitrun", "");
    let gc = run_the_cancel_step(&t);
    t.keys(&["q"]);
    let screen = t.wait_for("A command is still running");
    assert!(screen.contains("abandoned"), "{screen}");
    t.keys(&["y"]);
    t.wait_exit("MAYDAY-EXITED");
    let gone = gone(gc);
    assert!(gone, "the grandchild {gc} was left running");
    let v = export(&s);
    let f = finished(&command_events(&v), "cancel").clone();
    assert_eq!(f["abandoned_at_quit"], true, "{f}");
    assert_eq!(f["cancelled"], true);
    let kinds = kinds(&v);
    let at = kinds
        .iter()
        .rposition(|k| *k == "command_finished")
        .unwrap();
    assert_eq!(kinds[at + 1..], ["session_ended"]);
}

/// A sentence typed with no editor open ("restarted pgbouncer": `r` runs,
/// `s` skips) runs nothing and skips nothing: it becomes a note draft.
#[test]
fn a_sentence_typed_with_no_editor_open_becomes_a_note() {
    if !tmux::available() {
        return;
    }
    let s = setup();
    let t = start(&s, "typed", "");
    t.wait_for("all saved");
    t.type_text("restarted pgbouncer");
    let screen = t.wait_for("Looked like typing");
    assert!(!screen.contains("Run this command?"), "{screen}");
    t.wait_for("restarted pgbouncer");
    t.keys(&["Enter"]);
    t.wait_for("note: restarted pgbouncer");
    t.wait_for("all saved");
    quit(&t);
    let v = export(&s);
    let kinds = kinds(&v);
    assert!(
        !kinds
            .iter()
            .any(|k| k.starts_with("command_") || *k == "step_skipped"),
        "{kinds:?}"
    );
    assert!(kinds.contains(&"note"), "{kinds:?}");
}

/// `mayday note` while the incident screen holds the incident: the note
/// reaches the open session, is saved by it (`saved N` only once it is on
/// disk), and shows on screen at once — from several terminals at a time.
#[test]
fn notes_from_other_terminals_reach_the_open_session() {
    if !tmux::available() {
        return;
    }
    let s = setup();
    let t = start(&s, "inbox", "");
    t.wait_for("all saved");
    let id = newest_id(&s);
    // Four at once.
    let running: Vec<_> = (0..4)
        .map(|i| {
            std::process::Command::new(bin())
                .arg("--data-dir")
                .arg(&s.data)
                .args(["note", "--incident", &id, &format!("from terminal {i}")])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let children: Vec<_> = running
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let mut seqs = Vec::new();
    for (i, out) in children.iter().enumerate() {
        assert!(
            out.status.success(),
            "terminal {i}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        seqs.push(
            text.trim()
                .strip_prefix("saved ")
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or_else(|| panic!("{text}")),
        );
    }
    t.wait_for("note: from terminal 3");
    // Piped lines, one note each.
    let mut child = std::process::Command::new(bin())
        .arg("--data-dir")
        .arg(&s.data)
        .args(["note", "--incident", &id, "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "piped one\r\npiped two").unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 2);
    t.wait_for("note: piped two");
    t.wait_for("all saved");
    quit(&t);
    let v = export(&s);
    let notes: Vec<(u64, String)> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "note")
        .map(|e| {
            (
                e["seq"].as_u64().unwrap(),
                e["text"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for (i, seq) in seqs.iter().enumerate() {
        assert!(
            notes.contains(&(*seq, format!("from terminal {i}"))),
            "{notes:?}"
        );
    }
    assert_eq!(notes.len(), 6, "each once: {notes:?}");
    // The socket goes with the session.
    assert!(!s.data.join("incidents").join(format!("{id}.sock")).exists());
}

/// A pasted 20-line log (CR or CRLF line ends, as terminals send them) is a
/// 20-line note in the log and the export, with no `^M`.
#[test]
fn a_crlf_paste_stays_twenty_lines() {
    if !tmux::available() {
        return;
    }
    let s = setup();
    let t = start(&s, "paste", "");
    t.wait_for("all saved");
    t.keys(&["i"]);
    t.wait_for("Enter saves");
    let pasted: String = (1..=20).map(|i| format!("pod-{i} OOMKilled\r\n")).collect();
    t.paste(pasted.trim_end());
    t.wait_for("pod-20 OOMKilled");
    t.keys(&["Enter"]);
    t.wait_for("note: pod-1 OOMKilled");
    t.wait_for("all saved");
    quit(&t);
    let v = export(&s);
    let note = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "note")
        .expect("the note")["text"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!note.contains('\r'), "{note:?}");
    assert_eq!(note.lines().count(), 20, "{note:?}");
    assert_eq!(note.lines().last(), Some("pod-20 OOMKilled"));
}

/// A second `mayday` on an incident another one holds follows its log
/// live, read-only, and takes no key that would change it.
#[test]
fn a_second_mayday_follows_the_held_incident_read_only() {
    if !tmux::available() {
        return;
    }
    let s = setup();
    let a = start(&s, "holder", "");
    a.wait_for("all saved");
    let id = newest_id(&s);
    let cmd = format!(
        "cd {} && {} --no-bundled --data-dir {} resume {id} --responder hal; echo MAYDAY-EXITED; sleep 60",
        s.env.path().display(),
        bin(),
        s.data.display()
    );
    let envs = [("XDG_CONFIG_HOME", s.env.config_home())];
    let envs: Vec<(&str, &Path)> = envs.iter().map(|(k, v)| (*k, v.as_path())).collect();
    let b = Tmux::start("follower", 140, 40, &cmd, &envs);
    let screen = b.wait_for("READ-ONLY");
    assert!(screen.contains("following it live"), "{screen}");
    // The holder writes; the follower shows it.
    a.keys(&["i"]);
    a.wait_for("Enter saves");
    a.type_text("seen from the other seat");
    a.keys(&["Enter"]);
    b.wait_for("note: seen from the other seat");
    // Keys that would change it do nothing here.
    b.keys(&["m"]);
    b.wait_for("read-only: this incident is held by another Mayday");
    b.keys(&["C-c"]);
    b.wait_exit("MAYDAY-EXITED");
    a.wait_for("all saved");
    quit(&a);
    let v = export(&s);
    let kinds = kinds(&v);
    assert!(!kinds.contains(&"mitigated"), "{kinds:?}");
    assert!(
        !kinds.contains(&"session_resumed"),
        "the follower wrote nothing: {kinds:?}"
    );
}

/// The real binary at rest: reading every watched runbook (`cat`,
/// `grep -r`, again and again) never makes it reload; writing one does.
/// Read from its diagnostics log, which says each time it reloads.
#[test]
fn reading_runbooks_never_reloads_the_running_binary() {
    if !tmux::available() {
        return;
    }
    let s = setup();
    let extra = s.env.mkdir("watched");
    for i in 0..5 {
        std::fs::write(
            extra.join(format!("r{i}.md")),
            format!("# Runbook {i}\n\n## Step\n\ntext\n"),
        )
        .unwrap();
    }
    let cmd = format!(
        "MAYDAY_LOG=info {} --no-bundled --runbooks {} --data-dir {}; echo MAYDAY-EXITED; sleep 60",
        bin(),
        extra.display(),
        s.data.display()
    );
    let envs = [("XDG_CONFIG_HOME", s.env.config_home())];
    let envs: Vec<(&str, &Path)> = envs.iter().map(|(k, v)| (*k, v.as_path())).collect();
    let t = Tmux::start("atrest", 100, 24, &cmd, &envs);
    t.wait_for("Runbook 4");
    let log = s.data.join("mayday.log");
    let reloads = || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .matches("runbook files changed: reloading")
            .count()
    };
    for _ in 0..10 {
        for i in 0..5 {
            let _ = std::fs::read(extra.join(format!("r{i}.md"))).unwrap();
        }
        let _ = std::process::Command::new("cat")
            .arg(extra.join("r0.md"))
            .output();
        let _ = std::process::Command::new("grep")
            .args(["-r", "Step"])
            .arg(&extra)
            .output();
    }
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert_eq!(reloads(), 0, "reading reloaded the library");
    // A write is still seen, and logged.
    std::fs::write(
        extra.join("r0.md"),
        "# Runbook zero, edited\n\n## Step\n\ntext\n",
    )
    .unwrap();
    t.wait_for("Runbook zero, edited");
    assert!(reloads() >= 1);
    t.keys(&["C-c"]);
    t.wait_exit("MAYDAY-EXITED");
}
