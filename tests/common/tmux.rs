//! Drive the real binary in a terminal: tmux in a detached session on a
//! private socket, `send-keys`, and `capture-pane` to read the screen.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

pub struct Tmux {
    socket: String,
    session: String,
}

/// Is tmux here? Without it the end-to-end tests say so and stop, unless
/// `MAYDAY_REQUIRE_TMUX=1` (CI), where that is a failure.
pub fn available() -> bool {
    let ok = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        if std::env::var("MAYDAY_REQUIRE_TMUX").as_deref() == Ok("1") {
            panic!("tmux is required (MAYDAY_REQUIRE_TMUX=1) but not installed");
        }
        eprintln!("SKIPPED: tmux is not installed; the end-to-end TUI test did not run");
    }
    ok
}

impl Tmux {
    /// Start `command` (a shell command line) in a new detached session.
    pub fn start(
        name: &str,
        width: u16,
        height: u16,
        command: &str,
        env: &[(&str, &Path)],
    ) -> Tmux {
        let socket = format!("mayday-test-{}-{name}", std::process::id());
        let session = name.to_owned();
        let mut c = Command::new("tmux");
        c.args([
            "-L",
            &socket,
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            &session,
        ])
        .args(["-x", &width.to_string(), "-y", &height.to_string()]);
        for (k, v) in env {
            c.arg("-e").arg(format!("{k}={}", v.display()));
        }
        c.arg(command);
        let out = c.output().expect("run tmux");
        assert!(
            out.status.success(),
            "tmux new-session failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Tmux { socket, session }
    }

    fn tmux(&self) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket]);
        c
    }

    /// Send keys (tmux key names: `Enter`, `Escape`, `M-Enter`, or text with `-l`).
    pub fn keys(&self, keys: &[&str]) {
        let out = self
            .tmux()
            .args(["send-keys", "-t", &self.session])
            .args(keys)
            .output()
            .expect("send-keys");
        assert!(out.status.success());
        std::thread::sleep(Duration::from_millis(60));
    }

    /// Type literal text.
    pub fn type_text(&self, text: &str) {
        let out = self
            .tmux()
            .args(["send-keys", "-t", &self.session, "-l", "--", text])
            .output()
            .expect("send-keys");
        assert!(out.status.success());
        std::thread::sleep(Duration::from_millis(60));
    }

    /// Paste `text` as a terminal does (bracketed paste, `paste-buffer -p`);
    /// tmux turns line feeds into carriage returns, as terminals send them.
    pub fn paste(&self, text: &str) {
        let out = self
            .tmux()
            .args(["set-buffer", "-b", "mayday-test", "--", text])
            .output()
            .expect("set-buffer");
        assert!(out.status.success());
        let out = self
            .tmux()
            .args([
                "paste-buffer",
                "-p",
                "-d",
                "-b",
                "mayday-test",
                "-t",
                &self.session,
            ])
            .output()
            .expect("paste-buffer");
        assert!(out.status.success());
        std::thread::sleep(Duration::from_millis(60));
    }

    /// The pid of the pane's process (the program, when started with `exec`).
    pub fn pane_pid(&self) -> u32 {
        let out = self
            .tmux()
            .args(["list-panes", "-t", &self.session, "-F", "#{pane_pid}"])
            .output()
            .expect("list-panes");
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("a pane pid")
    }

    /// Wait up to `secs` seconds until the screen contains `text`.
    pub fn wait_for_within(&self, text: &str, secs: u64) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let s = self.screen();
            if s.contains(text) {
                return s;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {text:?}; the screen is:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn screen(&self) -> String {
        let out = self
            .tmux()
            .args(["capture-pane", "-p", "-t", &self.session])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Wait until the screen contains `text` (or panic with the screen).
    pub fn wait_for(&self, text: &str) -> String {
        self.wait_for_within(text, 15)
    }

    /// Wait until the program in the pane has exited (the pane is dead or
    /// shows the marker the command line prints after it).
    pub fn wait_exit(&self, marker: &str) {
        self.wait_for(marker);
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux().arg("kill-server").output();
    }
}
