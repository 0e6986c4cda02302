//! Running a runbook's commands: child processes in their own process
//! group, output streamed through the sanitizer as it arrives, a timeout and
//! a cancel that kill the whole group, secrets kept out of the child's
//! environment and out of the output that is kept.
//!
//! The runner never decides whether to run: the app confirms with the user
//! first (and only for runnable commands of trusted runbooks).

mod runner;
pub mod trust;

pub use runner::{RunHandle, dry_run, group_alive, spawn};

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
    /// The directory to run in (else the current one).
    pub cwd: Option<PathBuf>,
    /// The runbook's variables, passed as `MAYDAY_VAR_<NAME>` too.
    pub vars: BTreeMap<String, String>,
    /// Stop it (the whole group) after this long.
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
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// What the runner reports, in order: `Started`, any `Output`, `Finished`.
#[derive(Clone, Debug, PartialEq)]
pub enum ExecEvent {
    /// The process started.
    Started {
        /// Its process id (the group leader); none for a dry run.
        pid: Option<u32>,
        /// How it runs: `bash -e -o pipefail`, or what is missing.
        shell: Option<String>,
    },
    /// Sanitized output (SGR colours kept, every other control made visible).
    Output {
        /// Which stream it came from.
        stream: Stream,
        /// The text (a chunk: may end mid-line).
        text: String,
    },
    /// It ended.
    Finished(Finished),
}

#[derive(Clone, Debug, PartialEq, Eq)]
/// How a command ended.
pub struct Finished {
    /// Its exit code, when it exited.
    pub exit_code: Option<i32>,
    /// The signal that killed it, when one did.
    pub signal: Option<i32>,
    /// How long it ran.
    pub duration: Duration,
    /// It ran past its timeout and was stopped.
    pub timed_out: bool,
    /// It was cancelled.
    pub cancelled: bool,
    /// A dry run: nothing was executed.
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
    /// Did it succeed: an exit code the runbook counts as success, and not stopped?
    pub fn succeeded(&self) -> bool {
        self.ok && !self.timed_out && !self.cancelled && self.spawn_error.is_none()
    }
}

/// How a block runs: the program, its options, and whether a failure
/// anywhere — inside a pipeline too — fails the block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShellPlan {
    /// The shell to run (`bash`, else the configured one).
    pub program: String,
    /// Its options (`-e -o pipefail`, as far as it has them).
    pub args: Vec<&'static str>,
    /// A failure inside a pipeline fails the block.
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
    /// A redactor for these secrets.
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

#[cfg(test)]
mod tests {
    use super::runner::Tail;
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
