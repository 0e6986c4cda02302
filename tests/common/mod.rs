//! Shared test helpers: run the real binary with an isolated home, and
//! drive the app without a terminal (`tui`).
#![allow(dead_code)]

pub mod nats;
pub mod procs;
pub mod tmux;
pub mod tui;

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// An isolated environment: config, data and runbook dirs under a temp dir,
/// so tests never read or write the real home.
pub struct Env {
    pub dir: TempDir,
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::tempdir().expect("temp dir");
        Env { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn config_home(&self) -> PathBuf {
        self.path().join("config")
    }

    pub fn data_home(&self) -> PathBuf {
        self.path().join("data")
    }

    /// The user runbook directory `<config>/mayday/runbooks`.
    pub fn user_runbooks(&self) -> PathBuf {
        self.config_home().join("mayday").join("runbooks")
    }

    /// A directory under the temp dir, created.
    pub fn mkdir(&self, name: &str) -> PathBuf {
        let p = self.path().join(name);
        std::fs::create_dir_all(&p).expect("mkdir");
        p
    }

    /// Write a file (creating parent dirs) and return its path.
    pub fn write(&self, rel: &str, contents: &str) -> PathBuf {
        let p = self.path().join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, contents).expect("write");
        p
    }

    /// Run `mayday ARGS…` (which must succeed) and return its stdout.
    pub fn stdout(&self, args: &[&std::ffi::OsStr]) -> String {
        let out = self
            .cmd()
            .args(args)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        String::from_utf8_lossy(&out).into_owned()
    }

    /// The newest incident in `data` as `mayday export --format json` has
    /// it, with its id.
    pub fn export_newest(&self, data: &Path) -> (String, serde_json::Value) {
        let d = data.as_os_str();
        let list = self.stdout(&[
            "--data-dir".as_ref(),
            d,
            "incidents".as_ref(),
            "--json".as_ref(),
        ]);
        let list: serde_json::Value = serde_json::from_str(&list).expect("incidents --json");
        let id = list[0]["id"].as_str().expect("an incident").to_owned();
        let out = self.stdout(&["--data-dir".as_ref(), d, "export".as_ref(), id.as_ref()]);
        (id, serde_json::from_str(&out).expect("export json"))
    }

    /// `mayday` with this environment.
    pub fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("mayday").expect("binary");
        c.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.path())
            .env("XDG_CONFIG_HOME", self.config_home())
            .env("XDG_DATA_HOME", self.data_home())
            .env("XDG_STATE_HOME", self.path().join("state"))
            .env("XDG_CACHE_HOME", self.path().join("cache"))
            .env("USER", "tester")
            .env("TERM", "xterm-256color");
        c
    }
}

/// The first event of an incident on `runbook` (a rehearsal, or a real one).
pub fn started_kind(runbook: &str, rehearsal: bool) -> mayday::incident::EventKind {
    mayday::incident::EventKind::IncidentStarted {
        incident_id: String::new(),
        runbook_id: runbook.into(),
        runbook_title: runbook.into(),
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

/// A small valid Markdown runbook.
pub fn runbook_md(id: &str, title: &str) -> String {
    format!(
        "---\nid: {id}\nseverity: high\nalerts: [{id}Alert]\n---\n\n# {title}\n\nWhat this is about.\n\n## Check it {{#check .diagnose}}\n\n```sh {{run}}\necho checking\n```\n\n## Fix it {{#fix .mitigate}}\n\n- [ ] do the thing\n"
    )
}

/// A small filesystem filled up: run as root (CI) with `mount`; skipped
/// elsewhere unless `MAYDAY_REQUIRE_TMPFS` is set.
pub struct Tmpfs(pub PathBuf, #[allow(dead_code)] tempfile::TempDir);

impl Tmpfs {
    pub fn mount(kib: u32) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kib}k"), "tmpfs"])
            .arg(dir.path())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            assert!(
                std::env::var_os("MAYDAY_REQUIRE_TMPFS").is_none(),
                "cannot mount a tmpfs, and MAYDAY_REQUIRE_TMPFS is set"
            );
            eprintln!("skipped: cannot mount a tmpfs (needs root)");
            return None;
        }
        Some(Tmpfs(dir.path().to_path_buf(), dir))
    }

    /// Fill the filesystem to the last byte.
    pub fn fill(&self) {
        use std::io::Write as _;
        let mut f = std::fs::File::create(self.0.join("filler")).unwrap();
        let block = vec![b'x'; 4096];
        while f.write_all(&block).is_ok() {}
        while f.write_all(b"x").is_ok() {}
        let _ = f.sync_all();
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}
