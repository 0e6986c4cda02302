//! The command runner: output, exit codes, timeouts, escape sequences,
//! cancellation without orphans, variables, secrets, output caps, dry runs.

use mayday::exec::{self, CommandSpec, ExecEvent, Finished, Stream};
use secrecy::SecretString;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::sync::mpsc;

fn spec(text: &str) -> CommandSpec {
    CommandSpec {
        text: text.into(),
        shell: "sh".into(),
        cwd: None,
        vars: BTreeMap::new(),
        timeout: Duration::from_secs(20),
        scrub_env: Vec::new(),
        secrets: Vec::new(),
        ok_exit: Vec::new(),
    }
}

/// Run to the end; return (pid, output text, finished).
async fn run(spec: CommandSpec) -> (Option<u32>, String, Finished) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let _handle = exec::spawn(spec, tx);
    collect(&mut rx).await
}

async fn collect(rx: &mut mpsc::UnboundedReceiver<ExecEvent>) -> (Option<u32>, String, Finished) {
    let mut pid = None;
    let mut out = String::new();
    loop {
        match tokio::time::timeout(Duration::from_secs(30), rx.recv())
            .await
            .expect("the command ends")
            .expect("events")
        {
            ExecEvent::Started { pid: p, .. } => pid = p,
            ExecEvent::Output { text, .. } => out.push_str(&text),
            ExecEvent::Finished(f) => return (pid, out, f),
        }
    }
}

#[tokio::test]
async fn echo_streams_output_and_exits_zero() {
    let (pid, out, f) = run(spec("echo hello; echo oops >&2")).await;
    assert!(pid.is_some());
    assert!(out.contains("hello\n") && out.contains("oops\n"), "{out:?}");
    assert!(f.succeeded(), "{f:?}");
    let mut tail = f.tail.clone();
    tail.sort();
    assert_eq!(tail, ["hello", "oops"]);
    assert!(!f.truncated);
}

#[tokio::test]
async fn a_failing_command_reports_its_exit_code() {
    let (_, _, f) = run(spec("echo about to fail; exit 3")).await;
    assert_eq!(f.exit_code, Some(3));
    assert!(!f.succeeded());
    assert_eq!(f.tail, ["about to fail"]);
}

#[tokio::test]
async fn a_command_past_its_timeout_is_killed() {
    let mut s = spec("echo started; sleep 30; echo never");
    s.timeout = Duration::from_millis(500);
    let started = std::time::Instant::now();
    let (pid, out, f) = run(s).await;
    assert!(f.timed_out, "{f:?}");
    assert!(!out.contains("never"));
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(!exec::group_alive(pid.unwrap()));
}

#[tokio::test]
async fn colours_are_kept_and_other_escapes_neutralised() {
    let (_, out, f) = run(spec(
        r"printf '\033[31mred\033[0m \033[2J\033]0;title\007 \033[1;1Hmoved\n'",
    ))
    .await;
    assert!(out.contains("\u{1b}[31mred\u{1b}[0m"), "{out:?}");
    assert!(
        out.contains("^[[2J") && out.contains("^[]0;title^G") && out.contains("^[[1;1Hmoved"),
        "{out:?}"
    );
    assert!(!out.contains("\u{1b}[2J") && !out.contains("\u{1b}]0;"));
    // The log's tail has no escapes at all.
    assert_eq!(f.tail, ["red ^[[2J^[]0;title^G ^[[1;1Hmoved"]);
}

#[tokio::test]
async fn cancelling_kills_the_whole_group_with_no_orphans() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    // A grandchild in the background, and the child waiting on it.
    let mut handle = exec::spawn(spec("sleep 60 & echo $! ; wait"), tx);
    let mut pid = None;
    let mut grandchild = None;
    while grandchild.is_none() {
        match rx.recv().await.unwrap() {
            ExecEvent::Started { pid: p, .. } => pid = p,
            ExecEvent::Output {
                text,
                stream: Stream::Stdout,
            } => grandchild = text.trim().parse::<i32>().ok(),
            other => panic!("{other:?}"),
        }
    }
    handle.cancel();
    let (_, _, f) = collect(&mut rx).await;
    assert!(f.cancelled, "{f:?}");
    let pgid = pid.unwrap();
    assert!(!exec::group_alive(pgid), "the process group is gone");
    let gc = grandchild.unwrap();
    let running = std::fs::read_to_string(format!("/proc/{gc}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .map(|(_, a)| a.split_whitespace().next() != Some("Z"))
        })
        .unwrap_or(false);
    assert!(!running, "the grandchild (pid {gc}) is not running");
}

#[tokio::test]
async fn variables_are_substituted_and_passed_as_environment() {
    let mut vars = BTreeMap::new();
    vars.insert("namespace".to_owned(), "prod; rm -rf /".to_owned());
    vars.insert("db-host".to_owned(), "db.example.com".to_owned());
    let mut s = spec(&exec::expand(
        r#"echo "host={{db-host}}"; printf '%s\n' "$MAYDAY_VAR_NAMESPACE""#,
        &vars,
    ));
    s.vars = vars;
    let (_, out, _) = run(s).await;
    assert!(out.contains("host=db.example.com"), "{out}");
    assert!(
        out.contains("prod; rm -rf /"),
        "passed as data through the environment: {out}"
    );
}

#[tokio::test]
async fn secrets_never_reach_the_child_or_the_kept_output() {
    let canary = "canary-9f3b2c-secret-value";
    // SAFETY: this test's process sets an env var for the child to inherit;
    // no other thread reads the environment meanwhile.
    unsafe {
        std::env::set_var("MAYDAY_TEST_TOKEN", canary);
        std::env::set_var("MAYDAY_TEST_OTHER", format!("prefix-{canary}"));
    }
    let mut s = spec(&format!("env; echo leaked {canary}"));
    s.scrub_env = vec!["MAYDAY_TEST_TOKEN".into()];
    s.secrets = vec![SecretString::from(canary)];
    let (_, out, f) = run(s).await;
    assert!(!out.contains("MAYDAY_TEST_TOKEN"), "scrubbed by name");
    assert!(!out.contains("MAYDAY_TEST_OTHER"), "scrubbed by value");
    assert!(!out.contains(canary), "redacted in the output");
    assert!(out.contains("leaked [REDACTED]"));
    assert!(f.tail.iter().all(|l| !l.contains(canary)));
}

/// A token written in two pieces with a pause between them (two reads,
/// two output events) is still redacted on screen.
#[tokio::test]
async fn a_secret_split_across_writes_is_redacted() {
    let canary = "CANARY-7f3e9b2d41";
    let mut s = spec(
        "printf 'token CANARY-7f3e'; sleep 0.3; printf '9b2d41 end\\n'; printf 'CANARY-7f3e' >&2; sleep 0.2; printf '9b2d41\\n' >&2",
    );
    s.secrets = vec![SecretString::from(canary)];
    let (tx, mut rx) = mpsc::unbounded_channel();
    let _handle = exec::spawn(s, tx);
    let mut pieces = Vec::new();
    let f = loop {
        match tokio::time::timeout(Duration::from_secs(30), rx.recv())
            .await
            .unwrap()
            .unwrap()
        {
            ExecEvent::Output { stream, text } => pieces.push((stream, text)),
            ExecEvent::Finished(f) => break f,
            ExecEvent::Started { .. } => {}
        }
    };
    let stdout: String = pieces
        .iter()
        .filter(|(s, _)| *s == Stream::Stdout)
        .map(|(_, t)| t.as_str())
        .collect();
    assert_eq!(stdout, "token [REDACTED] end\n");
    let all: String = pieces.iter().map(|(_, t)| t.as_str()).collect();
    assert!(!all.contains("9b2d41"), "{pieces:?}");
    assert!(f.tail.iter().all(|l| !l.contains("9b2d41")), "{:?}", f.tail);
}

#[tokio::test]
async fn only_the_tail_of_big_output_is_kept() {
    let (_, _, f) = run(spec(
        "i=0; while [ $i -lt 3000 ]; do echo line $i; i=$((i+1)); done",
    ))
    .await;
    assert!(f.truncated);
    assert_eq!(f.tail.len(), exec::LOG_TAIL_LINES);
    assert_eq!(f.tail.last().map(String::as_str), Some("line 2999"));
}

#[tokio::test]
async fn a_dry_run_executes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let (tx, mut rx) = mpsc::unbounded_channel();
    let _ = spec(&format!("touch {}", marker.display()));
    exec::dry_run(&tx);
    let (pid, out, f) = collect(&mut rx).await;
    assert!(pid.is_none() && out.is_empty());
    assert!(f.dry_run && f.exit_code.is_none());
    assert!(!marker.exists());
}

#[tokio::test]
async fn a_missing_shell_is_reported() {
    let mut s = spec("true");
    s.shell = "/nonexistent/shell".into();
    let (_, _, f) = run(s).await;
    assert!(f.spawn_error.is_some());
    assert!(!f.succeeded());
}

/// A block is the truth of all its lines: the first line failing fails it
/// (errexit), the failing line is named, and Mayday's marker never shows.
#[tokio::test]
async fn a_failing_first_line_fails_the_whole_block() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let _h = exec::spawn(
        spec("echo before\nnosuch-mayday-cmd --flag\necho after"),
        tx,
    );
    let mut shell = None;
    let mut out = String::new();
    let f = loop {
        match tokio::time::timeout(Duration::from_secs(30), rx.recv())
            .await
            .unwrap()
            .unwrap()
        {
            ExecEvent::Started { shell: s, .. } => shell = s,
            ExecEvent::Output { text, .. } => out.push_str(&text),
            ExecEvent::Finished(f) => break f,
        }
    };
    assert!(!f.succeeded());
    assert_eq!(f.exit_code, Some(127));
    assert!(out.contains("before") && !out.contains("after"), "{out}");
    assert!(!out.contains("mayday-failed"), "{out}");
    assert!(f.tail.iter().all(|l| !l.contains("mayday-failed")));
    let shell = shell.unwrap();
    if std::path::Path::new("/bin/bash").exists() {
        assert_eq!(f.failed_line, Some(2), "{out}");
        assert!(shell.starts_with("bash -e -o pipefail"), "{shell}");
    }
}

/// A failure inside a pipeline fails the block (pipefail), including in
/// a function and a subshell.
#[tokio::test]
async fn a_failure_inside_a_pipeline_fails_the_block() {
    for text in [
        "false | cat\necho after",
        "f() { false | cat; }\nf\necho after",
        "(exit 3) | tail -n 1",
    ] {
        let (_, out, f) = run(spec(text)).await;
        assert!(!f.succeeded(), "{text}: {f:?}");
        assert!(!out.contains("after"), "{text}: {out}");
    }
}

/// The runbook's declared exit codes: `grep -c` finding nothing (exit 1)
/// is a success when the block says `ok_exit=0,1`, and a failure when not.
#[tokio::test]
async fn declared_exit_codes_mean_success() {
    let mut s = spec("grep -c no-such-text /dev/null");
    let (_, out, f) = run(s.clone()).await;
    assert_eq!(f.exit_code, Some(1));
    assert!(!f.succeeded(), "{out}");
    s.ok_exit = vec![0, 1];
    let (_, out, f) = run(s).await;
    assert_eq!(f.exit_code, Some(1));
    assert!(f.succeeded(), "{out}");
    assert_eq!(f.failed_line, None);
}

/// A shell without pipefail (dash) is said to be one, in the output.
#[tokio::test]
async fn a_shell_without_pipefail_says_so() {
    let plan = exec::plan_shell("dash");
    if plan.program != "dash" || plan.pipefail {
        return; // no dash here, or a dash that has it
    }
    let mut s = spec("false | true\necho still-ran");
    s.shell = "dash".into();
    let (_, out, f) = run(s).await;
    assert!(out.contains("has no pipefail"), "{out}");
    assert!(plan.label().contains("no pipefail"));
    assert!(f.succeeded(), "dash cannot see it: said, not hidden");
}
