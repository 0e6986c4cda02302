//! Running a runbook's commands: child processes in their own process
//! group, output streamed through the sanitizer as it arrives, a timeout and
//! a cancel that kill the whole group, secrets kept out of the child's
//! environment and out of the output that is kept.
//!
//! The runner never decides whether to run: the app confirms with the user
//! first (and only for runnable commands of trusted runbooks).

pub mod trust;

use crate::util::sanitize::{Mode, Sanitizer};
use secrecy::{ExposeSecret, SecretString};
use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;
use tokio::sync::{mpsc, oneshot};

/// How many lines of output go into the incident log.
pub const LOG_TAIL_LINES: usize = 40;
/// How many bytes of output are kept in memory (the tail).
pub const KEEP_BYTES: usize = 1 << 20;
/// How long a cancelled group gets between SIGTERM and SIGKILL.
pub const GRACE: Duration = Duration::from_secs(2);

/// What to run.
#[derive(Clone, Debug)]
pub struct CommandSpec {
    /// The fully expanded command text (variables substituted).
    pub text: String,
    /// The shell it runs with (`shell -c text`).
    pub shell: String,
    pub cwd: Option<PathBuf>,
    /// The runbook's variables, passed as `MAYDAY_VAR_<NAME>` too.
    pub vars: BTreeMap<String, String>,
    pub timeout: Duration,
    /// Environment variables to remove (the config's `token_env` names).
    pub scrub_env: Vec<String>,
    /// Secret values: removed from the environment wherever they appear and
    /// redacted from the output that is kept.
    pub secrets: Vec<SecretString>,
    /// Exit codes that mean success for this block (empty: just 0).
    pub ok_exit: Vec<i32>,
}

/// Which stream output came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// What the runner reports, in order: `Started`, any `Output`, `Finished`.
#[derive(Clone, Debug, PartialEq)]
pub enum ExecEvent {
    Started {
        pid: Option<u32>,
        /// How it runs: `bash -e -o pipefail`, or what is missing.
        shell: Option<String>,
    },
    /// Sanitized output (SGR colours kept, every other control made visible).
    Output {
        stream: Stream,
        text: String,
    },
    Finished(Finished),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finished {
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub duration: Duration,
    pub timed_out: bool,
    pub cancelled: bool,
    pub dry_run: bool,
    /// The last lines of output: no escape sequences, secrets redacted.
    pub tail: Vec<String>,
    /// Output was dropped from the front (only the tail was kept).
    pub truncated: bool,
    /// The command could not be started at all.
    pub spawn_error: Option<String>,
    /// The exit code is one that means success for this block.
    pub ok: bool,
    /// The line of the block (1-based) whose command failed, when the
    /// shell could tell (bash's ERR trap).
    pub failed_line: Option<u32>,
}

impl Finished {
    pub fn succeeded(&self) -> bool {
        self.ok && !self.timed_out && !self.cancelled && self.spawn_error.is_none()
    }
}

/// How a block runs: the program, its options, and whether a failure
/// anywhere — inside a pipeline too — fails the block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShellPlan {
    pub program: String,
    pub args: Vec<&'static str>,
    pub pipefail: bool,
    /// bash: an ERR trap names the failing line.
    pub bash: bool,
}

impl ShellPlan {
    /// What the output header and the log say.
    pub fn label(&self) -> String {
        let name = std::path::Path::new(&self.program)
            .file_name()
            .map_or(self.program.clone(), |n| n.to_string_lossy().into_owned());
        let mut l = format!("{name} {}", self.args[..self.args.len() - 1].join(" "));
        if !self.pipefail {
            l.push_str(" (no pipefail: a failure inside a pipeline is not seen)");
        }
        l
    }
}

/// Find `name` on `PATH`.
fn on_path(name: &str) -> Option<PathBuf> {
    if name.contains('/') {
        return Some(PathBuf::from(name)).filter(|p| p.is_file());
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// Does `shell` take `-o pipefail`? Asked once per shell.
fn has_pipefail(shell: &str) -> bool {
    static SEEN: std::sync::OnceLock<std::sync::Mutex<std::collections::HashMap<String, bool>>> =
        std::sync::OnceLock::new();
    let seen = SEEN.get_or_init(Default::default);
    if let Some(v) = seen.lock().ok().and_then(|m| m.get(shell).copied()) {
        return v;
    }
    let ok = std::process::Command::new(shell)
        .args(["-o", "pipefail", "-c", "false | true"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.code() == Some(1));
    if let Ok(mut m) = seen.lock() {
        m.insert(shell.to_owned(), ok);
    }
    ok
}

/// How to run blocks for the configured shell. `sh` (the default) means
/// "a POSIX shell": bash is used where it is installed, for `pipefail` and
/// the failing line; otherwise the configured shell with `-e`, and
/// `-o pipefail` where it has it.
pub fn plan_shell(configured: &str) -> ShellPlan {
    let bash = if configured == "sh" || configured.ends_with("/bash") || configured == "bash" {
        on_path(if configured == "sh" {
            "bash"
        } else {
            configured
        })
    } else {
        None
    };
    if let Some(b) = bash {
        return ShellPlan {
            program: b.display().to_string(),
            args: vec!["-e", "-o", "pipefail", "-c"],
            pipefail: true,
            bash: true,
        };
    }
    let pipefail = has_pipefail(configured);
    ShellPlan {
        program: configured.to_owned(),
        args: if pipefail {
            vec!["-e", "-o", "pipefail", "-c"]
        } else {
            vec!["-e", "-c"]
        },
        pipefail,
        bash: false,
    }
}

/// Watches stderr for the ERR trap's line (`<nonce> <exit> <line>`), which
/// is Mayday's, not the command's: it is taken out of the output.
struct FailMarker {
    nonce: String,
    held: String,
    found: Option<u32>,
}

impl FailMarker {
    fn new(nonce: String) -> FailMarker {
        FailMarker {
            nonce,
            held: String::new(),
            found: None,
        }
    }

    fn push(&mut self, text: &str) -> String {
        let mut buf = std::mem::take(&mut self.held);
        buf.push_str(text);
        while let Some(i) = buf.find(&self.nonce) {
            let Some(nl) = buf[i..].find('\n') else {
                // The marker's end is still to come.
                self.held = buf.split_off(i);
                return buf;
            };
            let line = buf[i + self.nonce.len()..i + nl].trim().to_owned();
            if let Some(n) = line.split(' ').nth(1).and_then(|n| n.parse::<u32>().ok()) {
                self.found.get_or_insert(n);
            }
            buf.replace_range(i..=i + nl, "");
        }
        // Hold back an end that could be the start of the marker.
        let hold = (1..self.nonce.len().min(buf.len() + 1))
            .rev()
            .find(|&n| self.nonce.is_char_boundary(n) && buf.ends_with(&self.nonce[..n]))
            .unwrap_or(0);
        self.held = buf.split_off(buf.len() - hold);
        buf
    }

    fn finish(&mut self) -> String {
        std::mem::take(&mut self.held)
    }
}

/// The name a variable is passed as: `MAYDAY_VAR_<NAME>`.
pub fn env_name(var: &str) -> String {
    format!("MAYDAY_VAR_{}", var.to_ascii_uppercase().replace('-', "_"))
}

/// Substitute the runbook's variables (Go-template look-alikes stay as
/// written), as plain text: for a working directory or a phrase, never for
/// a shell command (see [`expand_command`]).
pub fn expand(text: &str, vars: &BTreeMap<String, String>) -> String {
    crate::runbook::template::substitute(text, vars)
}

/// Substitute the runbook's variables into a shell command, each value
/// quoted for where it lands, so it reaches the shell as one literal piece
/// of text; `{{name|raw}}` pastes a value unquoted (and `raw` is set).
pub fn expand_command(
    text: &str,
    vars: &BTreeMap<String, String>,
) -> Result<crate::runbook::template::ShellText, crate::runbook::template::UnsafeValue> {
    crate::runbook::template::substitute_shell(text, vars)
}

/// What the confirmation dialog shows: the command with every invisible or
/// control character made visible, where and how it runs.
pub fn preview(spec: &CommandSpec) -> Vec<String> {
    let mut lines: Vec<String> = crate::util::sanitize::reveal(&spec.text)
        .lines()
        .map(str::to_owned)
        .collect();
    lines.push(String::new());
    let cwd = spec.cwd.as_ref().map_or_else(
        || "(the directory mayday was started in)".to_owned(),
        |p| p.display().to_string(),
    );
    lines.push(format!("in {}", crate::util::sanitize::line(&cwd)));
    lines.push(format!(
        "with `{}`, timeout {}, {} variable(s) as MAYDAY_VAR_*",
        crate::util::sanitize::line(&spec.shell),
        crate::util::duration::format(spec.timeout),
        spec.vars.len()
    ));
    lines
}

/// OSC 52: ask the terminal to put `text` on the clipboard (works over SSH
/// and in tmux with `set-clipboard on`). Payloads are capped at 100 KB.
pub fn osc52(text: &str) -> Option<String> {
    use base64::Engine as _;
    if text.len() > 100_000 {
        return None;
    }
    let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    Some(format!("\x1b]52;c;{encoded}\x07"))
}

/// A running command.
#[derive(Debug)]
pub struct RunHandle {
    cancel: Option<oneshot::Sender<()>>,
}

impl RunHandle {
    /// Kill the whole process group (SIGTERM, then SIGKILL after a grace).
    pub fn cancel(&mut self) {
        if let Some(tx) = self.cancel.take() {
            let _ = tx.send(());
        }
    }
}

/// Keeps the tail of the output within [`KEEP_BYTES`].
struct Tail {
    lines: VecDeque<String>,
    partial: String,
    bytes: usize,
    truncated: bool,
}

impl Tail {
    fn new() -> Self {
        Tail {
            lines: VecDeque::new(),
            partial: String::new(),
            bytes: 0,
            truncated: false,
        }
    }

    fn push(&mut self, text: &str) {
        for (i, piece) in text.split('\n').enumerate() {
            if i > 0 {
                let line = std::mem::take(&mut self.partial);
                self.bytes += line.len();
                self.lines.push_back(line);
            }
            self.partial.push_str(piece);
        }
        while self.bytes > KEEP_BYTES
            && let Some(l) = self.lines.pop_front()
        {
            self.bytes -= l.len();
            self.truncated = true;
        }
    }

    fn finish(mut self, secrets: &[SecretString]) -> (Vec<String>, bool) {
        if !self.partial.is_empty() {
            self.lines.push_back(std::mem::take(&mut self.partial));
        }
        let truncated = self.truncated || self.lines.len() > LOG_TAIL_LINES;
        let start = self.lines.len().saturating_sub(LOG_TAIL_LINES);
        let tail = self
            .lines
            .into_iter()
            .skip(start)
            .map(|l| redact(&crate::util::sanitize::strip_sgr(&l), secrets))
            .collect();
        (tail, truncated)
    }
}

/// Replace every secret value in `text` with `[REDACTED]`.
pub fn redact(text: &str, secrets: &[SecretString]) -> String {
    let mut out = text.to_owned();
    for s in secrets {
        let v = s.expose_secret();
        if v.len() >= 4 && out.contains(v) {
            out = out.replace(v, "[REDACTED]");
        }
    }
    out
}

/// Redaction of a stream that arrives in pieces: a secret split across two
/// writes (`printf 'CANARY-7f'; sleep 1; printf '3e…'`) is still caught,
/// because the end of each piece that could begin a secret is held back
/// until the next piece (or the end) shows what it is.
pub struct StreamRedactor {
    secrets: Vec<String>,
    held: String,
}

impl StreamRedactor {
    pub fn new(secrets: &[SecretString]) -> StreamRedactor {
        StreamRedactor {
            secrets: secrets
                .iter()
                .map(|s| s.expose_secret().to_owned())
                .filter(|s| s.len() >= 4)
                .collect(),
            held: String::new(),
        }
    }

    /// Take the next piece; returns what can be shown now.
    pub fn push(&mut self, text: &str) -> String {
        if self.secrets.is_empty() {
            return text.to_owned();
        }
        let mut buf = std::mem::take(&mut self.held);
        buf.push_str(text);
        let mut out = buf;
        for v in &self.secrets {
            if out.contains(v.as_str()) {
                out = out.replace(v.as_str(), "[REDACTED]");
            }
        }
        // The longest end of `out` that is the start of a secret.
        let hold = self
            .secrets
            .iter()
            .filter_map(|v| {
                (1..v.len().min(out.len() + 1))
                    .rev()
                    .find(|&n| v.is_char_boundary(n) && out.ends_with(&v[..n]))
            })
            .max()
            .unwrap_or(0);
        self.held = out.split_off(out.len() - hold);
        out
    }

    /// The end of the stream: whatever was held back.
    pub fn finish(&mut self) -> String {
        std::mem::take(&mut self.held)
    }
}

/// Start a command. Events go to `tx`; the returned handle cancels it.
pub fn spawn(spec: CommandSpec, tx: mpsc::UnboundedSender<ExecEvent>) -> RunHandle {
    let (cancel_tx, cancel_rx) = oneshot::channel();
    tokio::spawn(run(spec, tx, cancel_rx));
    RunHandle {
        cancel: Some(cancel_tx),
    }
}

/// Report what would run, run nothing: the same events as [`spawn`].
pub fn dry_run(tx: &mpsc::UnboundedSender<ExecEvent>) {
    let _ = tx.send(ExecEvent::Started {
        pid: None,
        shell: None,
    });
    let _ = tx.send(ExecEvent::Finished(Finished {
        exit_code: None,
        signal: None,
        duration: Duration::ZERO,
        timed_out: false,
        cancelled: false,
        dry_run: true,
        tail: Vec::new(),
        truncated: false,
        spawn_error: None,
        ok: false,
        failed_line: None,
    }));
}

fn command(spec: &CommandSpec, plan: &ShellPlan, nonce: &str) -> tokio::process::Command {
    let mut c = tokio::process::Command::new(&plan.program);
    c.args(&plan.args);
    if plan.bash {
        // Say which line failed (on stderr, with a nonce the runner takes
        // out again), in functions and subshells too. On the block's own
        // first line, so line numbers — bash's messages, the trap's — are
        // the block's.
        c.arg(format!(
            "set -E; trap '__mayday_rc=$?; printf \"%s %s %s\\n\" {nonce} \"$__mayday_rc\" \"$LINENO\" >&2' ERR; {}",
            spec.text
        ));
    } else {
        c.arg(&spec.text);
    }
    // The parent's environment, minus every token the config loaded.
    for name in &spec.scrub_env {
        c.env_remove(name);
    }
    for (k, v) in std::env::vars_os() {
        let v = v.to_string_lossy();
        if spec.secrets.iter().any(|s| {
            let s = s.expose_secret();
            s.len() >= 4 && v.contains(s)
        }) {
            c.env_remove(k);
        }
    }
    for (k, v) in &spec.vars {
        c.env(env_name(k), v);
    }
    if let Some(cwd) = &spec.cwd {
        c.current_dir(cwd);
    }
    c.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    c
}

/// Signal the whole process group `pgid`.
fn signal_group(pgid: u32, sig: rustix::process::Signal) {
    if let Some(pid) = i32::try_from(pgid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    {
        let _ = rustix::process::kill_process_group(pid, sig);
    }
}

/// Is anything in process group `pgid` still running? Zombies (exited,
/// waiting to be reaped by their parent) do not count. On Linux this reads
/// `/proc`; elsewhere it asks the kernel whether the group exists.
pub fn group_alive(pgid: u32) -> bool {
    if let Ok(entries) = std::fs::read_dir("/proc") {
        return entries.flatten().any(|e| {
            let name = e.file_name();
            let Some(pid) = name
                .to_str()
                .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
            else {
                return false;
            };
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                return false;
            };
            // "pid (comm) state ppid pgrp …": comm may contain spaces.
            let Some((_, after)) = stat.rsplit_once(')') else {
                return false;
            };
            let mut f = after.split_whitespace();
            let state = f.next().unwrap_or("Z");
            let pgrp = f.nth(1).and_then(|p| p.parse::<u32>().ok());
            pgrp == Some(pgid) && state != "Z" && state != "X"
        });
    }
    i32::try_from(pgid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
        .is_some_and(|pid| rustix::process::test_kill_process_group(pid).is_ok())
}

async fn run(
    spec: CommandSpec,
    tx: mpsc::UnboundedSender<ExecEvent>,
    mut cancel_rx: oneshot::Receiver<()>,
) {
    let started = Instant::now();
    let plan = plan_shell(&spec.shell);
    let nonce = nonce();
    let mut child = match command(&spec, &plan, &nonce).spawn() {
        Ok(c) => c,
        Err(e) => {
            let _ = tx.send(ExecEvent::Started {
                pid: None,
                shell: Some(plan.label()),
            });
            let _ = tx.send(ExecEvent::Finished(Finished {
                exit_code: None,
                signal: None,
                duration: started.elapsed(),
                timed_out: false,
                cancelled: false,
                dry_run: false,
                tail: vec![format!("cannot start `{}`: {e}", plan.program)],
                truncated: false,
                spawn_error: Some(e.to_string()),
                ok: false,
                failed_line: None,
            }));
            return;
        }
    };
    let pid = child.id();
    let _ = tx.send(ExecEvent::Started {
        pid,
        shell: Some(plan.label()),
    });
    if !plan.pipefail {
        let _ = tx.send(ExecEvent::Output {
            stream: Stream::Stderr,
            text: format!(
                "mayday: {} has no pipefail: a failing command inside a pipeline does not fail the block\n",
                crate::util::sanitize::line(&plan.program)
            ),
        });
    }
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<(Stream, Vec<u8>)>();
    for (stream, reader) in [
        (
            Stream::Stdout,
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
        ),
        (
            Stream::Stderr,
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
        ),
    ] {
        let Some(mut reader) = reader else { continue };
        let out_tx = out_tx.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 8192];
            loop {
                match reader.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if out_tx.send((stream, buf[..n].to_vec())).is_err() {
                            break;
                        }
                    }
                }
            }
        });
    }
    drop(out_tx);
    let mut sanitizers = [Sanitizer::new(Mode::Sgr), Sanitizer::new(Mode::Sgr)];
    let mut tail = Tail::new();
    let deadline = tokio::time::sleep(spec.timeout);
    tokio::pin!(deadline);
    let mut timed_out = false;
    let mut cancelled = false;
    let mut streams_open = true;
    let mut redactors = [
        StreamRedactor::new(&spec.secrets),
        StreamRedactor::new(&spec.secrets),
    ];
    let mut marker = FailMarker::new(nonce);
    let mut emit = |stream: Stream, text: String, tail: &mut Tail, end: bool| {
        let text = if stream == Stream::Stderr {
            let mut t = marker.push(&text);
            if end {
                t.push_str(&marker.finish());
            }
            t
        } else {
            text
        };
        tail.push(&text);
        let r = &mut redactors[usize::from(stream == Stream::Stderr)];
        let mut shown = r.push(&text);
        if end {
            shown.push_str(&r.finish());
        }
        if !shown.is_empty() {
            let _ = tx.send(ExecEvent::Output {
                stream,
                text: shown,
            });
        }
    };
    let status = loop {
        tokio::select! {
            chunk = out_rx.recv(), if streams_open => match chunk {
                Some((stream, bytes)) => {
                    let i = usize::from(stream == Stream::Stderr);
                    let text = sanitizers[i].push(&bytes);
                    emit(stream, text, &mut tail, false);
                }
                None => streams_open = false,
            },
            status = child.wait(), if !streams_open => break status,
            () = &mut deadline, if !timed_out && !cancelled => {
                timed_out = true;
                kill_group(pid, &mut child).await;
            }
            _ = &mut cancel_rx, if !timed_out && !cancelled => {
                cancelled = true;
                kill_group(pid, &mut child).await;
            }
        }
    };
    // A grandchild may hold nothing open but live on: the group goes.
    if let Some(pgid) = pid
        && group_alive(pgid)
    {
        signal_group(pgid, rustix::process::Signal::KILL);
        let until = Instant::now() + GRACE;
        while group_alive(pgid) && Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    for (i, s) in sanitizers.iter_mut().enumerate() {
        let stream = if i == 0 {
            Stream::Stdout
        } else {
            Stream::Stderr
        };
        let text = s.finish();
        emit(stream, text, &mut tail, true);
    }
    let failed_line = marker.found;
    let (tail, truncated) = tail.finish(&spec.secrets);
    let (exit_code, signal) = match status {
        Ok(st) => {
            use std::os::unix::process::ExitStatusExt;
            (st.code(), st.signal())
        }
        Err(_) => (None, None),
    };
    let ok = exit_code.is_some_and(|c| {
        if spec.ok_exit.is_empty() {
            c == 0
        } else {
            spec.ok_exit.contains(&c)
        }
    });
    let _ = tx.send(ExecEvent::Finished(Finished {
        exit_code,
        signal,
        duration: started.elapsed(),
        timed_out,
        cancelled,
        dry_run: false,
        tail,
        truncated,
        spawn_error: None,
        ok,
        failed_line: failed_line.filter(|_| !ok),
    }));
}

/// A random marker for one run's ERR trap line.
fn nonce() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    format!("mayday-failed-{:016x}", h.finish())
}

/// SIGTERM to the group, then SIGKILL if the child has not exited after
/// the grace; whatever is left of the group goes too.
async fn kill_group(pid: Option<u32>, child: &mut tokio::process::Child) {
    let Some(pgid) = pid else {
        let _ = child.start_kill();
        return;
    };
    signal_group(pgid, rustix::process::Signal::TERM);
    // Reaping the child is what tells us it is gone (a zombie still counts
    // as a member of the group).
    if tokio::time::timeout(GRACE, child.wait()).await.is_err() {
        signal_group(pgid, rustix::process::Signal::KILL);
    }
    // Grandchildren that ignored SIGTERM.
    let until = Instant::now() + GRACE;
    while group_alive(pgid) && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    if group_alive(pgid) {
        signal_group(pgid, rustix::process::Signal::KILL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names_and_expansion() {
        assert_eq!(env_name("db-host"), "MAYDAY_VAR_DB_HOST");
        let vars: BTreeMap<String, String> =
            [("ns".to_owned(), "prod".to_owned())].into_iter().collect();
        assert_eq!(
            expand("kubectl -n {{ns}} get '{{range .items}}{{end}}'", &vars),
            "kubectl -n prod get '{{range .items}}{{end}}'"
        );
    }

    #[test]
    fn the_preview_shows_what_hides() {
        let spec = CommandSpec {
            text: "rm\u{202e} -rf\t/tmp/x\u{200b}".into(),
            shell: "sh".into(),
            cwd: None,
            vars: BTreeMap::new(),
            timeout: Duration::from_secs(120),
            scrub_env: vec![],
            secrets: vec![],
            ok_exit: vec![],
        };
        let p = preview(&spec);
        assert_eq!(p[0], "rm<U+202E> -rf<TAB>/tmp/x<U+200B>");
        assert!(p.iter().any(|l| l.contains("timeout 2m")));
    }

    #[test]
    fn osc52_is_base64_and_capped() {
        assert_eq!(osc52("hi").as_deref(), Some("\x1b]52;c;aGk=\x07"));
        assert!(osc52(&"x".repeat(200_000)).is_none());
    }

    #[test]
    fn a_secret_split_across_pieces_is_redacted() {
        let secret = SecretString::from("CANARY-7f3e9b2d");
        let mut r = StreamRedactor::new(std::slice::from_ref(&secret));
        // Every way of cutting the text in two.
        let text = "token: CANARY-7f3e9b2d ok C";
        for cut in 0..=text.len() {
            let mut r2 = StreamRedactor::new(std::slice::from_ref(&secret));
            let mut shown = r2.push(&text[..cut]);
            shown.push_str(&r2.push(&text[cut..]));
            shown.push_str(&r2.finish());
            assert_eq!(shown, "token: [REDACTED] ok C", "cut at {cut}");
        }
        // Byte by byte, with multi-byte characters around it.
        let text = "é CANARY-7f3e9b2d✓CANARY-7f";
        let mut shown = String::new();
        for ch in text.chars() {
            shown.push_str(&r.push(&ch.to_string()));
        }
        shown.push_str(&r.finish());
        assert_eq!(shown, "é [REDACTED]✓CANARY-7f");
    }

    #[test]
    fn the_tail_keeps_the_end_and_redacts() {
        let mut t = Tail::new();
        for i in 0..100 {
            t.push(&format!("line {i} token=s3cr3t-value\n"));
        }
        let (tail, truncated) = t.finish(&[SecretString::from("s3cr3t-value")]);
        assert!(truncated);
        assert_eq!(tail.len(), LOG_TAIL_LINES);
        assert_eq!(
            tail.last().map(String::as_str),
            Some("line 99 token=[REDACTED]")
        );
    }
}
