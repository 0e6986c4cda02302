//! Running one command: in its own process group, with a clean
//! environment, errexit and pipefail where the shell has them; output
//! streamed (secrets redacted across chunk boundaries) and kept as a tail;
//! cancelled or timed out with SIGTERM then SIGKILL to the whole group.

use super::*;

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
pub(super) struct Tail {
    lines: VecDeque<String>,
    partial: String,
    bytes: usize,
    truncated: bool,
}

impl Tail {
    pub(super) fn new() -> Self {
        Tail {
            lines: VecDeque::new(),
            partial: String::new(),
            bytes: 0,
            truncated: false,
        }
    }

    pub(super) fn push(&mut self, text: &str) {
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

    pub(super) fn finish(mut self, secrets: &[SecretString]) -> (Vec<String>, bool) {
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
