//! The shared timeline against a real `nats-server` on loopback (Debian's
//! 2.9.10 with JetStream; skipped with a message when it is not installed):
//!
//! 1. an event on one responder → in another's sync task: p50 and p99 over
//!    500 events, one at a time (the path the TUI uses: the sync task
//!    publishes once the log saved the event; the other's task streams it);
//! 2. joining an incident of 10,000 events → the first frame: fetch the
//!    runbook copy and timeline into a new local log, open it, replay, draw;
//! 3. catching up after being offline with 1,000 queued events on each of
//!    three responders: from their sync tasks starting to every one of them
//!    holding the others' 2,000.
//!
//! cargo bench --bench sync

use jiff::Timestamp;
use mayday::app::{self, Action, Opened, Settings, State};
use mayday::incident::log::{self, LogWriter};
use mayday::incident::{Event, EventKind, store};
use mayday::runbook::Severity;
use mayday::runbook::library::{Library, Sources};
use mayday::sync::live::{self, LiveUpdate};
use mayday::sync::{SyncConfig, sync_incident};
use mayday::ui::keymap::Keymap;
use mayday::ui::theme::{Theme, ThemeSources};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn server(store: &Path) -> Option<(Server, u16)> {
    let bin = ["/usr/sbin/nats-server", "/usr/bin/nats-server"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let child = Command::new(bin)
        .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
        .arg(store)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Some((Server(child), port))
}

fn config(port: u16, stream: &str) -> SyncConfig {
    let yaml = format!("sync:\n  url: nats://127.0.0.1:{port}\n  stream: {stream}\n");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("config.yaml");
    std::fs::write(&path, yaml).expect("config");
    mayday::config::Config::load(Some(&path))
        .expect("config")
        .sync
        .expect("a sync section")
}

fn started(runbook: &mayday::runbook::Runbook, who: &str) -> EventKind {
    EventKind::IncidentStarted {
        incident_id: String::new(),
        runbook_id: runbook.id.clone(),
        runbook_title: runbook.title.clone(),
        runbook_hash: runbook.hash.clone(),
        runbook_path: runbook.path.clone(),
        variables: Default::default(),
        severity: Severity::Critical,
        responder: who.into(),
        rehearsal: false,
        scenario: None,
        dry_run: false,
        mayday_version: "bench".into(),
        alert: None,
    }
}

fn note(i: usize, who: &str) -> EventKind {
    EventKind::Note {
        text: format!("{who} {i}: replication lag 12s on replica-2, connections 480/500"),
        status_update: false,
    }
}

/// A new incident in `data` with `n` notes after its start; its id.
fn incident(data: &Path, lib: &Library, who: &str, n: usize) -> String {
    let rb = lib.get("database-down").expect("bundled runbook");
    let (mut w, _) = store::create(data, &rb.id, started(rb, who), Timestamp::now()).expect("log");
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        w.append_batch(
            chunk
                .iter()
                .map(|i| (note(*i, who), Timestamp::now()))
                .collect(),
        )
        .expect("append");
    }
    std::fs::write(
        store::dir(data).join(format!("{}.runbook.md", w.incident_id())),
        std::fs::read(&rb.path).unwrap_or_else(|_| b"# x\n".to_vec()),
    )
    .expect("runbook copy");
    w.incident_id().to_owned()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// 1. One event, one responder to another.
async fn latency(port: u16, lib: &Library) {
    let cfg = config(port, "LATENCY");
    let a = tempfile::tempdir().expect("dir");
    let b = tempfile::tempdir().expect("dir");
    let id = incident(a.path(), lib, "alice", 0);
    sync_incident(&cfg, a.path(), &id, "alice")
        .await
        .expect("publish");
    sync_incident(&cfg, b.path(), &id, "bob")
        .await
        .expect("join");
    let read = |d: &Path| log::read(&store::log_path(d, &id)).expect("log").events;
    let (atx, mut arx) = mpsc::unbounded_channel();
    let (btx, mut brx) = mpsc::unbounded_channel();
    let alice = live::spawn(
        cfg.clone(),
        a.path().into(),
        id.clone(),
        "alice".into(),
        &read(a.path()),
        atx,
    );
    let _bob = live::spawn(
        cfg.clone(),
        b.path().into(),
        id.clone(),
        "bob".into(),
        &read(b.path()),
        btx,
    );
    for rx in [&mut arx, &mut brx] {
        while let Some(u) = rx.recv().await {
            if u == (LiveUpdate::Link {
                link: live::Link::Connected,
                queued: 0,
            }) {
                break;
            }
        }
    }
    tokio::spawn(async move { while arx.recv().await.is_some() {} });
    let mut times = Vec::new();
    for i in 0..520u64 {
        let mut e = Event::new(100 + i, Timestamp::now(), note(i as usize, "alice"));
        e.id = format!("lat-{i}");
        e.by = "alice".into();
        let t0 = Instant::now();
        alice.share(e);
        'wait: while let Some(u) = brx.recv().await {
            if let LiveUpdate::Fetched(v) = u
                && v.iter().any(|e| e.id == format!("lat-{i}"))
            {
                break 'wait;
            }
        }
        if i >= 20 {
            times.push(t0.elapsed()); // the first 20 warm up
        }
    }
    times.sort();
    println!(
        "sync/event_to_other_responder   p50 {}   p99 {}   max {}   ({} events, one at a time)",
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.99)),
        ms(*times.last().expect("times")),
        times.len()
    );
}

/// 2. Join 10,000 events and draw the first frame.
async fn join(port: u16, lib: Arc<Library>) {
    let cfg = config(port, "JOIN");
    let a = tempfile::tempdir().expect("dir");
    let id = incident(a.path(), &lib, "alice", 9_999);
    sync_incident(&cfg, a.path(), &id, "alice")
        .await
        .expect("publish");
    let theme = Theme::load("dark", &ThemeSources::default()).0;
    let mut runs = Vec::new();
    for _ in 0..5 {
        let b = tempfile::tempdir().expect("dir");
        let t0 = Instant::now();
        let r = sync_incident(&cfg, b.path(), &id, "bob")
            .await
            .expect("join");
        assert!(r.joined && r.fetched == 10_000, "{r:?}");
        let fetched = t0.elapsed();
        let (_w, rec) = LogWriter::open_append(&store::log_path(b.path(), &id)).expect("open");
        let ordered = mayday::incident::timeline::order(rec.events.clone());
        let inc = mayday::incident::Incident::replay(&ordered).expect("an incident");
        let (runbook, _) = store::runbook_for(b.path(), &inc, &lib);
        let mut s = State::new(
            lib.clone(),
            Keymap::default(),
            Settings::default(),
            Timestamp::now(),
            jiff::tz::TimeZone::UTC,
        );
        app::update(
            &mut s,
            Action::IncidentOpened(Box::new(Opened {
                runbook,
                events: rec.events,
                read_only: None,
                notices: vec![],
                trusted: true,
                resumed: true,
            })),
        );
        let mut term = Terminal::new(TestBackend::new(160, 45)).expect("terminal");
        term.draw(|f| app::view(&s, Timestamp::now(), &theme, f))
            .expect("draw");
        runs.push((t0.elapsed(), fetched));
    }
    runs.sort();
    let (total, fetched) = runs[runs.len() / 2];
    println!(
        "sync/join_10k_events_to_first_frame   median {} (of which fetching and writing the local log {})   min {}   max {}",
        ms(total),
        ms(fetched),
        ms(runs[0].0),
        ms(runs[runs.len() - 1].0)
    );
}

/// 3. Three responders back online with 1,000 queued events each.
async fn catch_up(port: u16, lib: &Library) {
    let cfg = config(port, "CATCHUP");
    let names = ["alice", "bob", "carol"];
    let dirs: Vec<tempfile::TempDir> = names
        .iter()
        .map(|_| tempfile::tempdir().expect("dir"))
        .collect();
    let id = incident(dirs[0].path(), lib, "alice", 0);
    sync_incident(&cfg, dirs[0].path(), &id, "alice")
        .await
        .expect("publish");
    for (d, who) in dirs.iter().zip(names).skip(1) {
        sync_incident(&cfg, d.path(), &id, who).await.expect("join");
    }
    // Offline: each writes 1,000 events to its own log.
    for (d, who) in dirs.iter().zip(names) {
        let (mut w, _) = LogWriter::open_append(&store::log_path(d.path(), &id)).expect("open");
        w.set_responder(who);
        w.append_batch(
            (0..1000)
                .map(|i| (note(i, who), Timestamp::now()))
                .collect(),
        )
        .expect("append");
    }
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    let mut handles = Vec::new();
    for (d, who) in dirs.iter().zip(names) {
        let events = log::read(&store::log_path(d.path(), &id))
            .expect("log")
            .events;
        let (tx, mut rx) = mpsc::unbounded_channel();
        handles.push(live::spawn(
            cfg.clone(),
            d.path().into(),
            id.clone(),
            who.into(),
            &events,
            tx,
        ));
        tasks.push(tokio::spawn(async move {
            let (mut fetched, mut shared) = (0usize, false);
            while let Some(u) = rx.recv().await {
                match u {
                    LiveUpdate::Fetched(v) => fetched += v.len(),
                    LiveUpdate::Link {
                        queued: 0,
                        link: live::Link::Connected,
                    } => shared = true,
                    _ => {}
                }
                if fetched >= 2000 && shared {
                    return Instant::now();
                }
            }
            Instant::now()
        }));
    }
    let mut last = t0;
    for t in tasks {
        last = last.max(t.await.expect("task"));
    }
    println!(
        "sync/catch_up_3x1000_queued   {} until every responder has published its 1,000 and holds the others' 2,000",
        ms(last - t0)
    );
    drop(handles);
}

fn main() {
    let lib = Arc::new(Library::load(&Sources {
        bundled: true,
        ..Sources::default()
    }));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    // A fresh server for each (their streams would share subjects).
    for part in 0..3 {
        let store_dir = tempfile::tempdir().expect("dir");
        let Some((_server, port)) = server(store_dir.path()) else {
            println!("sync: SKIPPED (nats-server is not installed: apt-get install nats-server)");
            return;
        };
        rt.block_on(async {
            match part {
                0 => latency(port, &lib).await,
                1 => join(port, lib.clone()).await,
                _ => catch_up(port, &lib).await,
            }
        });
    }
}
