//! A real `nats-server` for the sync tests (Debian's 2.9.10, JetStream),
//! started on a free loopback port, and responders: each a data dir and a
//! config pointing at it.
#![allow(dead_code)]

use super::Env;
use mayday::incident::log;
use mayday::incident::{EventKind, store};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn nats_server() -> Option<PathBuf> {
    let found = ["/usr/sbin/nats-server", "/usr/bin/nats-server"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file());
    if found.is_none() {
        assert!(
            std::env::var("MAYDAY_REQUIRE_NATS").as_deref() != Ok("1"),
            "nats-server is not installed, and MAYDAY_REQUIRE_NATS=1 says this test must run"
        );
        eprintln!("SKIPPED: nats-server is not installed (apt-get install nats-server)");
    }
    found
}

pub struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn start(bin: &Path, port: u16, store: &Path) -> Server {
    let mut c = Command::new(bin);
    c.args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
        .arg(store);
    run(c, port)
}

/// Start the server with a config file (accounts, permissions) on `port`.
pub fn start_with_config(bin: &Path, port: u16, config: &Path) -> Server {
    let mut c = Command::new(bin);
    c.arg("-c").arg(config);
    run(c, port)
}

fn run(mut c: Command, port: u16) -> Server {
    let child = c
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start nats-server");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nats-server did not come up");
        std::thread::sleep(Duration::from_millis(50));
    }
    Server(child)
}

pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// One responder: a data dir and a config pointing at the server.
pub struct Responder {
    pub env: Env,
    pub name: &'static str,
    pub config: PathBuf,
}

impl Responder {
    pub fn new(name: &'static str, port: u16) -> Responder {
        let env = Env::new();
        let config = env.write(
            "cfg/config.yaml",
            &format!("responder: {name}\nsync:\n  url: nats://127.0.0.1:{port}\n"),
        );
        Responder { env, name, config }
    }

    pub fn data(&self) -> PathBuf {
        self.env.data_home().join("mayday")
    }

    pub fn mayday(&self, args: &[&str]) -> (i32, String, String) {
        let out = self
            .env
            .cmd()
            .arg("--config")
            .arg(&self.config)
            .arg("--data-dir")
            .arg(self.data())
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    pub fn note(&self, id: &str, text: &str) {
        let (code, _, err) =
            self.mayday(&["note", "--incident", id, "--responder", self.name, text]);
        assert_eq!(code, 0, "{err}");
    }

    /// (id, by, text of a note) of every event, in log order.
    pub fn timeline(&self, id: &str) -> Vec<(String, String, String)> {
        let read = log::read(&store::log_path(&self.data(), id)).unwrap();
        read.events
            .iter()
            .map(|e| {
                let what = match &e.kind {
                    EventKind::Note { text, .. } => text.clone(),
                    k => k.name().to_owned(),
                };
                (e.id.clone(), e.by.clone(), what)
            })
            .collect()
    }
}

/// The first event of a test incident started by `responder`.
pub fn started(responder: &str) -> EventKind {
    EventKind::IncidentStarted {
        incident_id: String::new(),
        runbook_id: "database-down".into(),
        runbook_title: "Primary database refuses connections".into(),
        runbook_hash: "abc".into(),
        runbook_path: "bundled:database-down.md".into(),
        variables: Default::default(),
        severity: mayday::runbook::Severity::Critical,
        responder: responder.into(),
        rehearsal: false,
        scenario: None,
        dry_run: false,
        mayday_version: "test".into(),
        alert: None,
    }
}

impl Responder {
    /// A new incident of this responder's (just its first event); its id.
    pub fn incident(&self) -> String {
        let (w, _) = store::create(
            &self.data(),
            "database-down",
            started(self.name),
            jiff::Timestamp::now(),
        )
        .unwrap();
        w.incident_id().to_owned()
    }
}
