//! Three responders, each the real binary in its own terminal with its own
//! data dir, share one incident through a real `nats-server` on loopback:
//! notes from all three at once reach every screen; the server is killed
//! and restarted mid-incident (events queue and go out on reconnect); one
//! responder is SIGKILLed and resumes; the server's store is deleted while
//! one responder is offline (everyone publishes again). At the end every
//! replica's merged timeline — in the order the app shows it — is the same,
//! and holds every event exactly once.
//!
//! Needs `nats-server` and `tmux` (CI installs both and requires them).

mod common;

use common::nats::{Responder, free_port, nats_server, start};
use common::tmux::{self, Tmux};
use mayday::incident::{EventKind, log, store, timeline};
use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

fn bin() -> String {
    env!("CARGO_BIN_EXE_mayday").to_owned()
}

fn tui(r: &Responder, args: &str) -> Tmux {
    let cmd = format!(
        "exec {} --config {} --data-dir {} {args}",
        bin(),
        r.config.display(),
        r.data().display()
    );
    let home = r.env.config_home();
    Tmux::start(
        r.name,
        160,
        40,
        &cmd,
        &[("XDG_CONFIG_HOME", home.as_path())],
    )
}

/// The replica's timeline as the app shows it: (id, by, note text or kind).
fn ordered(r: &Responder, id: &str) -> Vec<(String, String, String)> {
    let Ok(read) = log::read(&store::log_path(&r.data(), id)) else {
        return Vec::new();
    };
    timeline::order(read.events)
        .into_iter()
        .map(|e| {
            let what = match &e.kind {
                EventKind::Note { text, .. } => text.clone(),
                k => k.name().to_owned(),
            };
            (e.id, e.by, what)
        })
        .collect()
}

fn notes_of(v: &[(String, String, String)]) -> Vec<&str> {
    v.iter()
        .filter(|e| e.2.contains(" #"))
        .map(|e| e.2.as_str())
        .collect()
}

/// Wait until all replicas hold the same timeline containing every note
/// written; return it.
fn converge(
    rs: &[&Responder],
    id: &str,
    written: &HashSet<String>,
    secs: u64,
) -> Vec<(String, String, String)> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let all: Vec<_> = rs.iter().map(|r| ordered(r, id)).collect();
        let same = all.windows(2).all(|w| w[0] == w[1]);
        let have: HashSet<String> = notes_of(&all[0]).iter().map(|s| (*s).to_owned()).collect();
        if same && written.is_subset(&have) {
            return all[0].clone();
        }
        if Instant::now() > deadline {
            let missing: Vec<_> = rs
                .iter()
                .map(|r| {
                    let got: HashSet<String> = notes_of(&ordered(r, id))
                        .iter()
                        .map(|s| (*s).to_owned())
                        .collect();
                    let mut m: Vec<_> = written.difference(&got).cloned().collect();
                    m.sort();
                    (r.name, m)
                })
                .collect();
            panic!("replicas did not converge in {secs}s; missing: {missing:?}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Everyone writes `n` notes at once, through `mayday note` (to the open
/// screen when one holds the log).
fn notes_at_once(rs: &[&Responder], id: &str, tag: &str, n: usize, written: &mut HashSet<String>) {
    std::thread::scope(|s| {
        for r in rs {
            s.spawn(move || {
                for i in 0..n {
                    r.note(id, &format!("{} {tag} #{i}", r.name));
                }
            });
        }
    });
    for r in rs {
        for i in 0..n {
            written.insert(format!("{} {tag} #{i}", r.name));
        }
    }
}

#[test]
fn three_responders_one_timeline_through_kills_and_a_lost_store() {
    let Some(nats) = nats_server() else { return };
    if !tmux::available() {
        return;
    }
    let port = free_port();
    let store_dir = tempfile::tempdir().unwrap();
    let server = start(&nats, port, store_dir.path());
    let alice = Responder::new("alice", port);
    let bob = Responder::new("bob", port);
    let carol = Responder::new("carol", port);

    // Alice's incident, with its runbook copy; her screen opens on it.
    let id = alice.incident();
    std::fs::write(
        store::dir(&alice.data()).join(format!("{id}.runbook.md")),
        "# Primary database refuses connections\n\n## Look {.diagnose}\n\nIs it up?\n\n## Fix {.mitigate}\n\nFix it.\n",
    )
    .unwrap();
    let a = tui(&alice, &format!("resume {id}"));
    a.wait_for("⇅ shared");

    // Bob and carol find it listed, and join.
    let (code, out, err) = bob.mayday(&["incidents"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("mayday join {id}")), "{out}{err}");
    let mut b = tui(&bob, &format!("join {id}"));
    let c = tui(&carol, &format!("join {id}"));
    b.wait_for("⇅ shared");
    c.wait_for("⇅ shared");

    // Carol takes incident commander: every screen says so.
    c.keys(&["C"]);
    c.wait_for("Take or hand off a role");
    c.keys(&["Enter"]);
    c.wait_for("IC carol");
    a.wait_for("IC carol");
    b.wait_for("IC carol");

    // All three write at once.
    let mut written = HashSet::new();
    let everyone = [&alice, &bob, &carol];
    notes_at_once(&everyone, &id, "first", 5, &mut written);
    converge(&everyone, &id, &written, 30);
    // Live on another screen: alice writes, bob's log pane shows it (the
    // newest line), saying who.
    alice.note(&id, "alice live #0");
    written.insert("alice live #0".to_owned());
    b.wait_for("alice: note: alice live #0");

    // The server dies mid-incident: notes queue on every screen.
    drop(server);
    a.wait_for_within("OFFLINE since", 20);
    notes_at_once(&everyone, &id, "offline", 3, &mut written);
    a.wait_for("queued");
    // Back (same store): everything goes out.
    let server = start(&nats, port, store_dir.path());
    converge(&everyone, &id, &written, 60);

    // Bob's terminal process is SIGKILLed; the others go on; he resumes.
    let pid = b.pane_pid();
    let killed = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    drop(b);
    notes_at_once(&[&alice, &carol], &id, "while bob is gone", 2, &mut written);
    // Bob, without a screen: written here and shared at once.
    bob.note(&id, "bob from a shell #0");
    written.insert("bob from a shell #0".to_owned());
    b = tui(&bob, &format!("resume {id}"));
    b.wait_for("⇅ shared");
    converge(&everyone, &id, &written, 60);

    // Carol leaves; the server loses its store while she is away; she
    // writes offline. Everyone publishes again to the new, empty stream.
    c.keys(&["q"]);
    c.keys(&["y"]);
    std::thread::sleep(Duration::from_millis(500));
    drop(c);
    drop(server);
    std::fs::remove_dir_all(store_dir.path()).unwrap();
    std::fs::create_dir_all(store_dir.path()).unwrap();
    for i in 0..2 {
        let text = format!("carol away #{i}");
        let (code, _, err) =
            carol.mayday(&["note", "--incident", &id, "--responder", "carol", &text]);
        assert_eq!(code, 0, "{err}");
        assert!(err.contains("not shared yet"), "{err}");
        written.insert(text);
    }
    let _server = start(&nats, port, store_dir.path());
    let (code, out, err) = carol.mayday(&["sync", &id]);
    assert_eq!(code, 0, "{out}{err}");
    converge(&everyone, &id, &written, 60);
    // Nothing lost with the store: a newcomer joining now gets the whole
    // timeline from the new stream (everyone published theirs again).
    let dave = Responder::new("dave", port);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let _ = std::fs::remove_dir_all(dave.data());
        let (code, out, err) = dave.mayday(&["sync", &id]);
        let got = ordered(&dave, &id);
        if code == 0 && got == ordered(&alice, &id) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "dave's join is not the whole timeline: {out}{err}\n{} of {} events",
            got.len(),
            ordered(&alice, &id).len()
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    let timeline = converge(&[&alice, &bob, &carol, &dave], &id, &written, 60);

    // Every event exactly once, on every replica, in one order.
    let ids: Vec<&str> = timeline.iter().map(|e| e.0.as_str()).collect();
    let unique: HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(ids.len(), unique.len(), "an event twice");
    let mut per_note: BTreeMap<&str, usize> = BTreeMap::new();
    for n in notes_of(&timeline) {
        *per_note.entry(n).or_default() += 1;
    }
    assert!(per_note.values().all(|&n| n == 1), "{per_note:?}");
    assert_eq!(per_note.len(), written.len());
    // Who did what is kept: each note by its author.
    for (_, by, what) in &timeline {
        if what.contains(" #") {
            assert!(what.starts_with(by.as_str()), "{by}: {what}");
        }
    }
    // The postmortem of any replica lists the three responders.
    let (code, md, _) = bob.mayday(&["export", &id, "--format", "md"]);
    assert_eq!(code, 0);
    assert!(md.contains("## Responders"), "{md}");
    for who in ["alice", "bob", "carol"] {
        assert!(md.contains(&format!("| {who} |")), "{md}");
    }
    assert!(md.contains("carol (commander)"), "{md}");
}
