//! What issue 9 found with the real binary, kept as tests: concurrent
//! `mayday note` writers, damaged logs exported as far as they can be read,
//! a log with only a header, and a full disk.

mod common;

use common::{Env, Tmpfs};
use jiff::Timestamp;
use mayday::incident::log::{self, Tail};
use mayday::incident::{EventKind, store};
use mayday::runbook::Severity;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn started() -> EventKind {
    EventKind::IncidentStarted {
        incident_id: String::new(),
        runbook_id: "database-down".into(),
        runbook_title: "Primary database is down".into(),
        runbook_hash: "abc".into(),
        runbook_path: "bundled:database-down.md".into(),
        variables: Default::default(),
        severity: Severity::High,
        responder: "me".into(),
        rehearsal: false,
        scenario: None,
        dry_run: false,
        mayday_version: "test".into(),
        alert: None,
    }
}

/// A new incident in `data` with `notes` notes after its first event.
fn incident(data: &Path, notes: usize) -> (String, PathBuf) {
    let at = Timestamp::from_second(1_800_000_000).unwrap();
    let (mut w, _) = store::create(data, "database-down", started(), at).unwrap();
    for i in 0..notes {
        w.append(
            EventKind::Note {
                text: format!("note {i}"),
                status_update: false,
            },
            at,
        )
        .unwrap();
    }
    (w.incident_id().to_owned(), w.path().to_path_buf())
}

fn export(env: &Env, data: &Path, id: &str) -> (serde_json::Value, String) {
    let out = env
        .cmd()
        .arg("--data-dir")
        .arg(data)
        .args(["export", id])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        serde_json::from_slice(&out.stdout).unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn note_seqs(v: &serde_json::Value) -> Vec<u64> {
    v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect()
}

/// The start offset of each line.
fn line_starts(bytes: &[u8]) -> Vec<usize> {
    std::iter::once(0)
        .chain(
            bytes
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i + 1),
        )
        .filter(|i| *i < bytes.len())
        .collect()
}

/// Many `mayday note` processes at once on one incident: every note that
/// was acknowledged (`saved N`) is in the log exactly once, the sequence
/// numbers are unique, and the log stays valid.
#[test]
fn concurrent_note_writers_never_corrupt_the_log_or_lose_a_note() {
    let env = Env::new();
    let data = env.data_home().join("mayday");
    let (id, path) = incident(&data, 0);
    let bin = assert_cmd::cargo::cargo_bin("mayday");
    let mut acked: Vec<(u64, String)> = Vec::new();
    for round in 0..12 {
        let children: Vec<_> = (0..4)
            .map(|p| {
                let mut c = Command::new(&bin)
                    .env("XDG_STATE_HOME", env.path().join("state"))
                    .arg("--data-dir")
                    .arg(&data)
                    .args(["note", "--incident", &id, "-"])
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap();
                let mut stdin = c.stdin.take().unwrap();
                for i in 0..5 {
                    writeln!(stdin, "round {round} writer {p} line {i}").unwrap();
                }
                drop(stdin);
                (p, c)
            })
            .collect();
        for (p, c) in children {
            let out = c.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "writer {p}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let seqs: Vec<u64> = String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(|l| l.strip_prefix("saved ").unwrap().parse().unwrap())
                .collect();
            assert_eq!(seqs.len(), 5, "writer {p} acknowledged every line");
            for (i, seq) in seqs.into_iter().enumerate() {
                acked.push((seq, format!("round {round} writer {p} line {i}")));
            }
        }
    }
    let read = log::read(&path).unwrap();
    assert_eq!(read.tail, Tail::Clean, "{:?}", read.problem());
    assert!(read.skipped.is_empty());
    let seqs: Vec<u64> = read.events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=read.events.len() as u64).collect::<Vec<_>>());
    let by_seq: HashMap<u64, &str> = read
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Note { text, .. } => Some((e.seq, text.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(by_seq.len(), acked.len(), "no note twice, none extra");
    for (seq, text) in &acked {
        assert_eq!(by_seq.get(seq), Some(&text.as_str()), "note {seq}");
    }
    // And it is still a log another writer can append to.
    env.cmd()
        .arg("--data-dir")
        .arg(&data)
        .args(["note", "--incident", &id, "after"])
        .assert()
        .success();
}

/// One flipped byte in record 130 of 259: every other record is exported,
/// the warning names the skipped line, `incidents` agrees, and the file is
/// never changed.
#[test]
fn a_damaged_record_costs_only_itself() {
    let env = Env::new();
    let data = env.data_home().join("mayday");
    let (id, path) = incident(&data, 258);
    let mut bytes = std::fs::read(&path).unwrap();
    let starts = line_starts(&bytes);
    // Line 131 holds record 130; damage its payload.
    bytes[starts[130] + 30] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();
    let (v, stderr) = export(&env, &data, &id);
    let seqs = note_seqs(&v);
    assert_eq!(seqs.len(), 258);
    assert!(!seqs.contains(&130));
    assert!(seqs.contains(&129) && seqs.contains(&131) && seqs.contains(&259));
    assert!(stderr.contains("line 131"), "{stderr}");
    assert!(stderr.contains("file is unchanged"), "{stderr}");
    assert_eq!(v["incident"]["skipped"][0]["line"], 131);
    assert_eq!(v["incident"]["skipped"][0]["after_seq"], 129);
    assert_eq!(v["incident"]["events"], 258);
    let list: serde_json::Value = serde_json::from_str(&env.stdout(&[
        "--data-dir".as_ref(),
        data.as_os_str(),
        "incidents".as_ref(),
        "--json".as_ref(),
    ]))
    .unwrap();
    let problem = list[0]["problem"].as_str().unwrap();
    assert!(
        problem.contains("line 131") && problem.contains("129 good record(s) after it"),
        "{problem}"
    );
    assert_eq!(list[0]["events"], 258);
    // The Markdown draft reads the same records.
    env.cmd()
        .arg("--data-dir")
        .arg(&data)
        .args(["export", &id, "--format", "md"])
        .assert()
        .success();
    // Appending is refused; nothing was changed by any of it.
    env.cmd()
        .arg("--data-dir")
        .arg(&data)
        .args(["note", "--incident", &id, "x"])
        .assert()
        .code(2);
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

/// A damaged header is rebuilt from the first record (and checked by its
/// checksum), so the export has every event.
#[test]
fn a_damaged_header_still_exports_everything() {
    let env = Env::new();
    let data = env.data_home().join("mayday");
    let (id, path) = incident(&data, 10);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[3] = b'#';
    std::fs::write(&path, &bytes).unwrap();
    let (v, stderr) = export(&env, &data, &id);
    assert_eq!(note_seqs(&v), (1..=11).collect::<Vec<_>>());
    assert!(stderr.contains("header"), "{stderr}");
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

/// A file whose line ends were converted to CRLF reads as it was written.
#[test]
fn a_crlf_converted_log_reads_whole() {
    let env = Env::new();
    let data = env.data_home().join("mayday");
    let (id, path) = incident(&data, 10);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace('\n', "\r\n")).unwrap();
    let (v, stderr) = export(&env, &data, &id);
    assert_eq!(note_seqs(&v), (1..=11).collect::<Vec<_>>());
    assert!(stderr.is_empty(), "{stderr}");
    // And notes can still be added.
    env.cmd()
        .arg("--data-dir")
        .arg(&data)
        .args(["note", "--incident", &id, "after the conversion"])
        .assert()
        .success()
        .stdout("saved 12\n");
    assert_eq!(note_seqs(&export(&env, &data, &id).0).len(), 12);
}

/// A log with only its header (the first write never finished) is not
/// appended to: a note there would make a log that can never be exported.
#[test]
fn a_header_only_log_is_left_alone() {
    let env = Env::new();
    let data = env.data_home().join("mayday");
    let (id, path) = incident(&data, 0);
    let bytes = std::fs::read(&path).unwrap();
    let header_only = &bytes[..=bytes.iter().position(|b| *b == b'\n').unwrap()];
    std::fs::write(&path, header_only).unwrap();
    let out = env
        .cmd()
        .arg("--data-dir")
        .arg(&data)
        .args(["note", "--incident", &id, "x"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(std::fs::read(&path).unwrap(), header_only);
}

#[test]
fn a_full_disk_fails_notes_cleanly() {
    let Some(fs) = Tmpfs::mount(256) else { return };
    let env = Env::new();
    let data = fs.0.join("data");
    let (id, path) = incident(&data, 3);
    // A torn tail to set aside, then no room at all.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    f.write_all(b"5 0000").unwrap();
    drop(f);
    fs.fill();
    let before = std::fs::read(&path).unwrap();
    for _ in 0..20 {
        let out = env
            .cmd()
            .arg("--data-dir")
            .arg(&data)
            .args(["note", "--incident", &id, "a note that cannot fit"])
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("No space left on device"), "{err}");
        assert_eq!(
            err.matches("No space left on device").count(),
            1,
            "the OS error is said once: {err}"
        );
    }
    let leftovers: Vec<String> = std::fs::read_dir(store::dir(&data))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".torn-") || n.ends_with(".new"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "nothing acknowledged, nothing changed"
    );
    // Room again: the next note recovers the torn tail and is saved.
    std::fs::remove_file(fs.0.join("filler")).unwrap();
    env.cmd()
        .arg("--data-dir")
        .arg(&data)
        .args(["note", "--incident", &id, "room again"])
        .assert()
        .success()
        .stdout("saved 6\n");
}

/// The writer thread on a full disk: nothing acknowledged is lost, a rescue
/// copy outside the data dir holds every event on request, the writer saves
/// by itself once there is room again, and closing with events it still
/// cannot save rescues them and says so.
#[test]
fn the_writer_retries_and_rescues_what_it_cannot_save() {
    use mayday::incident::writer::WriterEvent;
    let Some(fs) = Tmpfs::mount(256) else { return };
    let data = fs.0.join("data");
    let (_, path) = incident(&data, 2);
    // Waiting: a test spawning a child may hold the lock between fork and exec.
    let (w, recovered) =
        log::LogWriter::open_append_waiting(&path, std::time::Duration::from_secs(5)).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let rescue_dir = tempfile::tempdir().unwrap();
    rt.block_on(async {
        let (h, mut reports) = mayday::incident::writer::spawn_with(
            w,
            recovered.events,
            vec![rescue_dir.path().to_path_buf()],
        );
        // Each note longer than a page: the slack at the end of the log's
        // last page (a tmpfs hands out whole pages) can never take one, so
        // on the full disk the first write fails whatever the log's length.
        let note = |i: usize| EventKind::Note {
            text: format!("note {i} {}", "x".repeat(4200)),
            status_update: false,
        };
        let at = Timestamp::from_second(1_800_000_100).unwrap();
        fs.fill();
        for i in 0..25 {
            h.append(note(i), at);
        }
        match reports.recv().await {
            Some(WriterEvent::Failed(e)) => assert!(e.contains("No space left"), "{e}"),
            other => panic!("{other:?}"),
        }
        // A rescue copy on request: every event, saved or not.
        let r = h.rescue().unwrap().await.unwrap();
        let copy = r.result.unwrap();
        assert!(copy.starts_with(rescue_dir.path()));
        assert_eq!((r.unsaved, r.through_seq), (25, 28));
        let read = log::read(&copy).unwrap();
        assert_eq!(read.tail, Tail::Clean);
        assert_eq!(read.events.len(), 28);
        // Room again: the writer saves them by itself, no new event needed.
        std::fs::remove_file(fs.0.join("filler")).unwrap();
        let mut saved = 0;
        while saved < 25 {
            match tokio::time::timeout(std::time::Duration::from_secs(15), reports.recv())
                .await
                .expect("saved within seconds")
            {
                Some(WriterEvent::Saved(e)) => {
                    saved += 1;
                    assert_eq!(e.seq, 3 + saved as u64);
                }
                Some(WriterEvent::Failed(_)) => {}
                None => panic!("the writer stopped"),
            }
        }
        assert_eq!(log::read(&path).unwrap().events.len(), 28);
        // Full again (the log's last page may still take a few), and closing
        // with events unsaved: rescued, reported.
        fs.fill();
        for i in 25..50 {
            h.append(note(i), at);
        }
        let closed = h.close().await;
        assert!(closed.unsaved > 0);
        let again = closed.rescue.unwrap().unwrap();
        assert_eq!(
            again, copy,
            "one rescue copy per session, brought up to date"
        );
        let read = log::read(&again).unwrap();
        assert_eq!(read.events.len(), 53);
        let on_disk = log::read(&path).unwrap();
        assert_eq!(&read.events[..on_disk.events.len()], &on_disk.events[..]);
    });
}
