//! The incident log's durability: truncation at every offset, bit flips,
//! recovery, the writer thread, SIGKILL of the real binary mid-write, and the
//! `incidents` / `export` / `note` commands.

mod common;

use common::Env;
use jiff::Timestamp;
use mayday::incident::log::{self, LogError, LogWriter, Tail};
use mayday::incident::writer::{self, WriterEvent};
use mayday::incident::{Event, EventKind, Phase, store};
use mayday::runbook::Severity;
use predicates::prelude::*;
use proptest::prelude::*;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn t(s: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + s).unwrap()
}

fn started(id: &str) -> EventKind {
    EventKind::IncidentStarted {
        incident_id: id.into(),
        runbook_id: "database-down".into(),
        runbook_title: "Primary database is down".into(),
        runbook_hash: "abc".into(),
        runbook_path: "bundled:database-down.md".into(),
        variables: [("cluster".to_owned(), "orders-prod".to_owned())]
            .into_iter()
            .collect(),
        severity: Severity::Critical,
        responder: "alice".into(),
        rehearsal: false,
        scenario: None,
        dry_run: false,
        mayday_version: "test".into(),
        alert: None,
    }
}

fn kind(i: usize, text: &str) -> EventKind {
    match i % 4 {
        0 => EventKind::Note {
            text: text.to_owned(),
            status_update: false,
        },
        1 => EventKind::StepEntered {
            step: format!("s{i}"),
            title: text.to_owned(),
        },
        2 => EventKind::StepSkipped {
            step: format!("s{i}"),
            reason: text.to_owned(),
        },
        _ => EventKind::ChecklistToggled {
            step: "s".into(),
            item: i,
            text: text.to_owned(),
            checked: i.is_multiple_of(2),
        },
    }
}

/// Write a log with `texts.len()` events after the first; return its bytes
/// and events.
fn make_log(dir: &Path, texts: &[String]) -> (PathBuf, Vec<u8>, Vec<Event>) {
    let path = dir.join("inc.log");
    let (mut w, first) = LogWriter::create(&path, "inc", started("inc"), t(0)).unwrap();
    let mut events = vec![first];
    for (i, text) in texts.iter().enumerate() {
        events.push(w.append(kind(i, text), t(i as i64 + 1)).unwrap());
    }
    drop(w);
    (path.clone(), std::fs::read(&path).unwrap(), events)
}

/// Byte offsets where each record ends (just after its newline).
fn record_ends(bytes: &[u8]) -> Vec<usize> {
    bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i + 1)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Cut the file at every byte: reading returns exactly the records that
    /// ended before the cut; reopening recovers and appending continues.
    #[test]
    fn truncation_at_every_offset_recovers_the_prefix(texts in proptest::collection::vec("[ -~é✓\\t]{0,30}", 1..6)) {
        let dir = tempfile::tempdir().unwrap();
        let (path, bytes, events) = make_log(dir.path(), &texts);
        let ends = record_ends(&bytes);
        let header_end = ends[0];
        for cut in 0..=bytes.len() {
            std::fs::write(&path, &bytes[..cut]).unwrap();
            let read = log::read(&path);
            if cut < header_end {
                prop_assert!(read.is_err(), "no header: not a log (cut {cut})");
                continue;
            }
            let read = read.unwrap();
            let complete = ends.iter().filter(|e| **e <= cut).count() - 1;
            prop_assert_eq!(&read.events[..], &events[..complete], "cut at {}", cut);
            if ends.contains(&cut) {
                prop_assert_eq!(&read.tail, &Tail::Clean);
            } else {
                let torn = matches!(read.tail, Tail::Torn { .. });
                prop_assert!(torn, "cut at {} should be a torn tail: {:?}", cut, read.tail);
            }
            // Recovery: the torn bytes go aside, appending continues, and the
            // log reads back clean and contiguous. A log whose first record
            // never made it is refused: appending would make a log that can
            // never be exported.
            if complete == 0 {
                let refused = open_retrying(&path);
                prop_assert!(matches!(refused, Err(LogError::NotALog { .. })), "cut {}: {:?}", cut, refused.map(|_| ()));
                prop_assert_eq!(std::fs::read(&path).unwrap(), bytes[..cut].to_vec(), "refusing changes nothing");
                continue;
            }
            let (mut w, rec) = open_retrying(&path).unwrap();
            prop_assert_eq!(rec.torn.is_some(), !ends.contains(&cut));
            let e = w.append(EventKind::Mitigated, t(100)).unwrap();
            drop(w);
            let again = log::read(&path).unwrap();
            prop_assert_eq!(&again.tail, &Tail::Clean);
            prop_assert_eq!(again.events.last().map(|e| e.seq), Some(e.seq));
            let seqs: Vec<u64> = again.events.iter().map(|e| e.seq).collect();
            prop_assert_eq!(seqs, (1..=again.events.len() as u64).collect::<Vec<_>>());
            prop_assert_eq!(&again.events[..complete], &events[..complete]);
            for f in std::fs::read_dir(dir.path()).unwrap().flatten() {
                if f.file_name().to_string_lossy().contains(".torn-") {
                    std::fs::remove_file(f.path()).unwrap();
                }
            }
        }
    }
}

/// Each of `got` is one of `all`, unchanged and in order.
fn assert_subsequence(got: &[Event], all: &[Event], what: &str) {
    let mut it = all.iter();
    for e in got {
        assert!(
            it.any(|a| a == e),
            "{what}: event {} was read changed or out of order",
            e.seq
        );
    }
}

/// Open for appending; another test spawning a child can hold the lock for
/// the instant between fork and exec, so "locked" is retried briefly.
fn open_retrying(path: &Path) -> Result<(LogWriter, log::Recovered), LogError> {
    for _ in 0..50 {
        match LogWriter::open_append(path) {
            Err(LogError::Locked { .. }) => {
                std::thread::sleep(std::time::Duration::from_millis(10))
            }
            other => return other,
        }
    }
    LogWriter::open_append(path)
}

#[test]
fn every_bit_flip_is_detected_and_never_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let texts: Vec<String> = ["first note", "second", "third one", "last"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let (path, bytes, events) = make_log(dir.path(), &texts);
    let ends = record_ends(&bytes);
    let last_record_start = ends[ends.len() - 2];
    for byte in 0..bytes.len() {
        for bit in 0..8 {
            let mut flipped = bytes.clone();
            flipped[byte] ^= 1 << bit;
            std::fs::write(&path, &flipped).unwrap();
            let read = log::read(&path).unwrap_or_else(|e| {
                panic!("one flipped bit never makes a log unreadable (byte {byte} bit {bit}): {e}")
            });
            // Every event read is unchanged, and one flip costs at most the
            // record it hit (a damaged header is rebuilt from the first).
            assert_subsequence(&read.events, &events, &format!("byte {byte} bit {bit}"));
            let lost = events.len() - read.events.len();
            assert!(lost <= 1, "byte {byte} bit {bit}: {lost} events lost");
            assert_eq!(
                lost,
                read.skipped.len(),
                "byte {byte} bit {bit}: {:?}",
                read.skipped
            );
            assert!(
                read.problem().is_some(),
                "byte {byte} bit {bit}: a flip is always noticed"
            );
            if byte < ends[0] {
                assert_eq!(lost, 0, "byte {byte} bit {bit}: the header is rebuilt");
                assert!(read.header_damage.is_some());
                assert_eq!(read.header.incident_id, "inc");
                let opened = open_retrying(&path);
                assert!(
                    matches!(opened, Err(LogError::Corrupt { line: 1, .. })),
                    "{opened:?}"
                );
                assert_eq!(std::fs::read(&path).unwrap(), flipped, "never repaired");
            }
            if byte >= ends[0] && byte < last_record_start {
                // Damage before the last record: corruption, and nothing
                // would be thrown away by reopening.
                assert!(
                    matches!(read.tail, Tail::Corrupt { .. }),
                    "byte {byte} bit {bit}: {:?}",
                    read.tail
                );
                let opened = open_retrying(&path);
                assert!(
                    matches!(opened, Err(LogError::Corrupt { .. })),
                    "byte {byte} bit {bit}: {opened:?}\n{}",
                    String::from_utf8_lossy(&flipped)
                );
                assert_eq!(
                    std::fs::read(&path).unwrap(),
                    flipped,
                    "corruption is never repaired"
                );
            } else if byte >= last_record_start {
                assert!(
                    matches!(read.tail, Tail::Torn { .. }),
                    "byte {byte} bit {bit}: {:?}",
                    read.tail
                );
            }
        }
    }
}

#[test]
fn random_bit_flips_in_a_large_log() {
    let dir = tempfile::tempdir().unwrap();
    let texts: Vec<String> = (0..300)
        .map(|i| format!("note number {i} with some text"))
        .collect();
    let (path, bytes, events) = make_log(dir.path(), &texts);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..400 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let byte = (x as usize) % bytes.len();
        let mut flipped = bytes.clone();
        flipped[byte] ^= 1 << (x % 8);
        std::fs::write(&path, &flipped).unwrap();
        let read = log::read(&path).unwrap();
        assert_subsequence(&read.events, &events, &format!("byte {byte}"));
        assert!(events.len() - read.events.len() <= 1, "byte {byte}");
        assert!(
            read.problem().is_some(),
            "a flip is always noticed (byte {byte})"
        );
    }
}

#[test]
fn the_writer_thread_saves_in_order_and_drains_on_close() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.log");
        let (w, first) = LogWriter::create(&path, "w", started("w"), t(0)).unwrap();
        let (handle, mut reports) = writer::spawn(w, vec![first]);
        for i in 0..500 {
            handle.append(kind(i, "burst"), t(i as i64));
        }
        handle.close().await;
        let mut seqs = Vec::new();
        while let Ok(r) = reports.try_recv() {
            match r {
                WriterEvent::Saved(e) => seqs.push(e.seq),
                WriterEvent::Failed(e) => panic!("{e}"),
            }
        }
        assert_eq!(seqs, (2..=501).collect::<Vec<_>>());
        let read = log::read(&path).unwrap();
        assert_eq!(read.events.len(), 501);
        assert_eq!(read.tail, Tail::Clean);
    });
}

#[test]
fn ids_are_readable_sortable_and_unique() {
    let dir = tempfile::tempdir().unwrap();
    let at: Timestamp = "2026-11-23T03:04:05Z".parse().unwrap();
    let (a, _) = store::create(dir.path(), "database-down", started(""), at).unwrap();
    let (b, _) = store::create(dir.path(), "database-down", started(""), at).unwrap();
    assert_eq!(a.incident_id(), "20261123-030405-database-down");
    assert_eq!(b.incident_id(), "20261123-030405-database-down-2");
    let read = log::read(b.path()).unwrap();
    match &read.events[0].kind {
        EventKind::IncidentStarted { incident_id, .. } => {
            assert_eq!(incident_id, "20261123-030405-database-down-2")
        }
        other => panic!("{other:?}"),
    }
    drop((a, b));
    assert_eq!(
        store::find(dir.path(), "20261123-030405-database-down")
            .unwrap()
            .id,
        "20261123-030405-database-down"
    );
    assert!(store::find(dir.path(), "2026").is_err(), "ambiguous prefix");
    assert!(store::find(dir.path(), "nope").is_err());
}

// ---------------------------------------------------------------- CLI

/// Create an incident in `env`'s data dir with the library; returns its id.
fn incident(env: &Env, secs: i64, extra: &[EventKind]) -> String {
    let data = env.data_home().join("mayday");
    let (mut w, _) = store::create(&data, "database-down", started(""), t(secs)).unwrap();
    for (i, k) in extra.iter().enumerate() {
        w.append(k.clone(), t(secs + 1 + i as i64)).unwrap();
    }
    w.incident_id().to_owned()
}

#[test]
fn incidents_lists_json_with_the_promised_fields() {
    let env = Env::new();
    let a = incident(&env, 0, &[EventKind::Mitigated]);
    let b = incident(
        &env,
        60,
        &[EventKind::Resolved {
            summary: "fixed".into(),
        }],
    );
    let out = env
        .cmd()
        .args(["incidents", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["id"], b.as_str(), "newest first");
    assert_eq!(rows[0]["state"], "resolved");
    assert_eq!(rows[1]["id"], a.as_str());
    assert_eq!(rows[1]["state"], "mitigated");
    for r in rows {
        for key in [
            "id",
            "runbook",
            "title",
            "started_at",
            "state",
            "events",
            "rehearsal",
            "path",
        ] {
            assert!(r.get(key).is_some(), "{key} in {r}");
        }
        assert_eq!(r["events"], 2);
        assert_eq!(r["rehearsal"], false);
        assert_eq!(r["runbook"], "database-down");
    }
    env.cmd()
        .arg("incidents")
        .assert()
        .success()
        .stdout(predicate::str::contains("mitigated"));
}

#[test]
fn a_corrupt_log_is_listed_with_its_problem_and_exported_with_a_warning() {
    let env = Env::new();
    let id = incident(&env, 0, &[kind(0, "one"), kind(0, "two"), kind(0, "three")]);
    let path = store::log_path(&env.data_home().join("mayday"), &id);
    let mut bytes = std::fs::read(&path).unwrap();
    let second_record = record_ends(&bytes)[1] + 3;
    bytes[second_record] ^= 0x20;
    std::fs::write(&path, &bytes).unwrap();
    let out = env
        .cmd()
        .args(["incidents", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert!(
        v[0]["problem"]
            .as_str()
            .unwrap_or("")
            .contains("corrupt record on line 3"),
        "{v}"
    );
    env.cmd()
        .args(["export", &id])
        .assert()
        .success()
        .stderr(predicate::str::contains("warning"));
    env.cmd()
        .args(["note", "--incident", &id, "x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("corrupt"));
}

#[test]
fn export_json_has_the_incident_and_every_event() {
    let env = Env::new();
    let id = incident(
        &env,
        0,
        &[
            EventKind::StepSkipped {
                step: "failover".into(),
                reason: "replica down too".into(),
            },
            EventKind::Note {
                text: "pg_isready says no\nsecond line".into(),
                status_update: false,
            },
            EventKind::Resolved {
                summary: "restarted the primary".into(),
            },
        ],
    );
    let out_file = env.path().join("export.json");
    env.cmd()
        .args(["export", &id[..10], "--format", "json", "-o"])
        .arg(&out_file)
        .assert()
        .success()
        .stdout("");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out_file).unwrap()).unwrap();
    assert_eq!(v["incident"]["id"], id.as_str());
    assert_eq!(v["incident"]["state"], "resolved");
    assert_eq!(v["incident"]["summary"], "restarted the primary");
    assert_eq!(v["incident"]["severity"], "critical");
    let events = v["events"].as_array().unwrap();
    assert_eq!(events.len(), 4);
    assert_eq!(events[1]["kind"], "step_skipped");
    assert_eq!(events[1]["reason"], "replica down too");
    assert_eq!(events[2]["text"], "pg_isready says no\nsecond line");
    assert_eq!(events[3]["seq"], 4);
    assert!(
        events[3]["at"]
            .as_str()
            .unwrap()
            .parse::<Timestamp>()
            .is_ok()
    );
    env.cmd()
        .args(["export", "nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no incident `nope`"));
}

#[test]
fn note_appends_and_refuses_what_it_must() {
    let env = Env::new();
    env.cmd()
        .args(["note", "hello"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no open incident"));
    let id = incident(&env, 0, &[]);
    env.cmd()
        .args(["note", "deploy rolled back by CI"])
        .assert()
        .success()
        .stdout("saved 2\n");
    env.cmd()
        .args(["note", "-"])
        .write_stdin("line one\n\nline two\n")
        .assert()
        .success()
        .stdout("saved 3\nsaved 4\n");
    let data = env.data_home().join("mayday");
    let read = log::read(&store::log_path(&data, &id)).unwrap();
    let texts: Vec<&str> = read
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Note { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(texts, ["deploy rolled back by CI", "line one", "line two"]);
    // Each note is by whoever wrote it (the OS user here), not by the
    // responder of the session before; `--responder` says otherwise.
    let by: Vec<&str> = read.events.iter().map(|e| e.by.as_str()).collect();
    assert_eq!(by, ["alice", "tester", "tester", "tester"]);
    env.cmd()
        .args(["note", "--responder", "carol", "paged the vendor"])
        .assert()
        .success();
    let read = log::read(&store::log_path(&data, &id)).unwrap();
    assert_eq!(read.events.last().unwrap().by, "carol");
    // Every event has its own id.
    let ids: std::collections::HashSet<&str> = read.events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids.len(), read.events.len());
    // Locked by another writer.
    let (_held, _) = LogWriter::open_append(&store::log_path(&data, &id)).unwrap();
    env.cmd()
        .args(["note", "--incident", &id, "x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("open in another mayday process"));
    drop(_held);
    // Resolved.
    let resolved = incident(
        &env,
        60,
        &[EventKind::Resolved {
            summary: "done".into(),
        }],
    );
    env.cmd()
        .args(["note", "--incident", &resolved, "x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("resolved"));
    assert_eq!(
        store::find(&data, &resolved).unwrap().state,
        Phase::Resolved
    );
}

/// SIGKILL the real binary while it writes notes, many times: every note it
/// acknowledged (`saved N`) is in the log afterwards, and the log stays
/// contiguous and readable.
#[test]
fn sigkill_mid_write_never_loses_an_acknowledged_event() {
    let env = Env::new();
    let id = incident(&env, 0, &[]);
    let data = env.data_home().join("mayday");
    let path = store::log_path(&data, &id);
    let bin = assert_cmd::cargo::cargo_bin("mayday");
    let mut acked: Vec<(u64, String)> = Vec::new();
    for round in 0..30 {
        let mut child = Command::new(&bin)
            .args(["--data-dir"])
            .arg(&data)
            .args(["note", "--incident", &id, "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        // Write a burst, wait for a few acknowledgements, then kill it while
        // the rest are in flight.
        let burst = 5 + round % 7;
        let texts: Vec<String> = (0..burst)
            .map(|i| format!("round {round} note {i}"))
            .collect();
        let writer_thread = std::thread::spawn(move || {
            for t in texts {
                if writeln!(stdin, "{t}").is_err() {
                    break;
                }
                let _ = stdin.flush();
            }
            stdin
        });
        let want = 1 + round % 4;
        let mut line = String::new();
        for _ in 0..want {
            line.clear();
            if stdout.read_line(&mut line).unwrap_or(0) == 0 {
                break;
            }
            if let Some(seq) = line
                .trim()
                .strip_prefix("saved ")
                .and_then(|s| s.parse::<u64>().ok())
            {
                acked.push((
                    seq,
                    format!(
                        "round {round} note {}",
                        acked
                            .iter()
                            .filter(|(_, t)| t.starts_with(&format!("round {round} ")))
                            .count()
                    ),
                ));
            }
        }
        child.kill().unwrap();
        let _ = child.wait();
        let _ = writer_thread.join();
        // Check after every kill.
        let read = log::read(&path).unwrap();
        assert!(
            !matches!(read.tail, Tail::Corrupt { .. }),
            "round {round}: {:?}",
            read.tail
        );
        for (seq, text) in &acked {
            let e = read.events.iter().find(|e| e.seq == *seq);
            match e.map(|e| &e.kind) {
                Some(EventKind::Note { text: t, .. }) => {
                    assert_eq!(t, text, "round {round} seq {seq}")
                }
                other => {
                    panic!("round {round}: acknowledged seq {seq} missing or wrong: {other:?}")
                }
            }
        }
    }
    // The log still works, and export reads it all.
    env.cmd()
        .args(["note", "--incident", &id, "after the storm"])
        .assert()
        .success();
    let out = env
        .cmd()
        .args(["export", &id])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let seqs: Vec<u64> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>());
    assert!(
        acked.len() >= 30,
        "the test acknowledged {} notes",
        acked.len()
    );
}

/// A log written before events had ids and responders reads with them:
/// `<incident id>-<seq>` (the same every time) and the responder of the
/// session each was written in.
#[test]
fn records_without_ids_get_stable_ones() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.log");
    let (w, _) = LogWriter::create(&path, "inc", started("inc"), t(0)).unwrap();
    drop(w);
    // Strip the id and `by` from the first record as an older Mayday wrote
    // it, and add records by hand with the right checksums: a resume by bob.
    let old = r#"{"seq":2,"at":"2027-01-15T08:00:00Z","kind":"session_resumed","responder":"bob"}"#;
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let first: serde_json::Value =
        serde_json::from_str(lines[1].splitn(3, ' ').nth(2).unwrap()).unwrap();
    let mut first = first.as_object().unwrap().clone();
    first.remove("id");
    first.remove("by");
    let first = serde_json::to_string(&first).unwrap();
    let header_crc = crc32c::crc32c(lines[0].as_bytes());
    let rec = |prev: u32, seq: u64, json: &str| {
        let c = crc32c::crc32c_append(prev, format!("{seq} ").as_bytes());
        let c = crc32c::crc32c_append(c, json.as_bytes());
        (format!("{seq} {c:08x} {json}"), c)
    };
    let (l1, c1) = rec(header_crc, 1, &first);
    let (l2, _) = rec(c1, 2, old);
    lines.truncate(1);
    lines.push(l1);
    lines.push(l2);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    for _ in 0..2 {
        let r = log::read(&path).unwrap();
        assert_eq!(r.tail, Tail::Clean, "{r:?}");
        let got: Vec<(&str, &str)> = r
            .events
            .iter()
            .map(|e| (e.id.as_str(), e.by.as_str()))
            .collect();
        assert_eq!(got, [("inc-1", "alice"), ("inc-2", "bob")]);
    }
    // Appending after them gives new records their own random ids.
    let (mut w, _) = LogWriter::open_append(&path).unwrap();
    let e = w.append(EventKind::Mitigated, t(5)).unwrap();
    assert_eq!((e.id.len(), e.by.as_str()), (32, "bob"));
}

/// A page, a silence and the calls made about them survive the log: written,
/// read back and replayed, the incident knows its open silence and what
/// became of its page; a line written before these fields existed still
/// reads.
#[test]
fn pages_silences_and_calls_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inc.log");
    let mut first = started("inc");
    if let EventKind::IncidentStarted { alert, .. } = &mut first {
        *alert = Some(Box::new(mayday::incident::AlertRef {
            name: "KubePodCrashLooping".into(),
            labels: [("namespace".to_owned(), "payments".to_owned())].into(),
            source: "pd".into(),
            page: Some(mayday::status::Page {
                id: "PT4KHLK".into(),
                number: 1234,
                title: "[FIRING:1] KubePodCrashLooping".into(),
                status: "triggered".into(),
                ..Default::default()
            }),
            ..Default::default()
        }));
    }
    let (mut w, first) = LogWriter::create(&path, "inc", first, t(0)).unwrap();
    let called =
        |call: &str, target: &str, request: &str, ok: bool, result: &str| EventKind::SourceCalled {
            source: if call.contains("silence") { "am" } else { "pd" }.into(),
            call: call.into(),
            target: target.into(),
            request: request.into(),
            until: request
                .strip_prefix("until ")
                .and_then(|r| r.split(' ').next())
                .and_then(|t| t.parse().ok()),
            ok,
            result: result.into(),
        };
    let mut events = vec![first];
    for (i, k) in [
        called(
            "acknowledge",
            "PT4KHLK",
            "",
            false,
            "HTTP 401: the token was refused",
        ),
        called("acknowledge", "PT4KHLK", "", true, "acknowledged"),
        called(
            "silence",
            "KubePodCrashLooping",
            "until 2027-01-15T08:00:00Z · rolling back",
            true,
            "7d7b9a3c",
        ),
        EventKind::AlertChanged {
            alert: "KubePodCrashLooping".into(),
            source: "pd".into(),
            status: "silenced".into(),
            silence: Some(mayday::status::Silence {
                id: "7d7b9a3c".into(),
                created_by: "alice".into(),
                comment: "rolling back".into(),
                ends_at: Some("2027-01-15T08:00:00Z".parse().unwrap()),
            }),
        },
    ]
    .into_iter()
    .enumerate()
    {
        events.push(w.append(k, t(i as i64 + 1)).unwrap());
    }
    drop(w);
    let back = log::read(&path).unwrap();
    assert_eq!(back.events, events);
    let inc = mayday::incident::Incident::replay(&back.events).unwrap();
    assert_eq!(
        inc.page_status.as_deref(),
        Some("acknowledged"),
        "a failed call changes nothing"
    );
    let (src, id, until) = inc.silence.clone().unwrap();
    assert_eq!((src.as_str(), id.as_str()), ("am", "7d7b9a3c"));
    assert_eq!(until, Some("2027-01-15T08:00:00Z".parse().unwrap()));
    assert_eq!(
        inc.alert.as_ref().unwrap().page.as_ref().unwrap().number,
        1234
    );
    // Expired and resolved: replay forgets the silence, the page is resolved.
    let mut w = LogWriter::open_append(&path).unwrap().0;
    let more = [
        w.append(
            called("expire_silence", "7d7b9a3c", "", true, "expired"),
            t(10),
        )
        .unwrap(),
        w.append(
            called("resolve_page", "PT4KHLK", "", true, "resolved"),
            t(11),
        )
        .unwrap(),
    ];
    drop(w);
    let back = log::read(&path).unwrap();
    assert_eq!(&back.events[back.events.len() - 2..], &more);
    let inc = mayday::incident::Incident::replay(&back.events).unwrap();
    assert_eq!(
        (inc.silence, inc.page_status.as_deref()),
        (None, Some("resolved"))
    );
    // An alert_changed written before `silence` existed.
    let old: Event = serde_json::from_str(
        r#"{"seq":9,"at":"2026-11-23T03:00:00Z","kind":"alert_changed","alert":"X","source":"am","status":"resolved"}"#,
    )
    .unwrap();
    assert!(matches!(
        old.kind,
        EventKind::AlertChanged { silence: None, .. }
    ));
}
