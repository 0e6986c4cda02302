//! The incident log file: append-only, checksummed, synced before it is
//! acknowledged.
//!
//! ```text
//! mayday-incident-log 1 2026-11-23T03:00:00Z 20261123-030000-database-down
//! 1 8f2c1a09 {"seq":1,"at":"2026-11-23T03:00:00Z","kind":"incident_started",…}
//! 2 0b7e44d1 {"seq":2,"at":"2026-11-23T03:00:04Z","kind":"step_entered",…}
//! ```
//!
//! Each record is one line: the sequence number, a CRC32C chained over the
//! previous record's CRC and this record's `seq json`, and the event as JSON
//! (which never contains a raw newline, so the file stays greppable). The
//! writer serializes a record into one buffer, writes it with one
//! `write_all`, and calls `sync_data` before the event counts as saved.
//!
//! Reading tells a torn tail (the last record bad or unterminated: a write
//! cut short by a crash) from corruption (a bad record followed by good
//! ones). A torn tail is copied aside and cut off when the log is reopened
//! for appending; corruption is never "repaired": the log can only be read.
//! The writer holds an exclusive `flock` on the file, so two Mayday
//! processes never append to the same incident.

mod read;
mod write;

pub use read::*;
pub use write::*;

use super::event::{Event, EventKind};
use jiff::Timestamp;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The first word of every incident log.
pub const MAGIC: &str = "mayday-incident-log";
/// The format version this code writes.
pub const VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
/// What can go wrong with an incident log.
pub enum LogError {
    #[error("{path}: {source}")]
    /// Reading or writing the file failed.
    Io {
        /// The log.
        path: PathBuf,
        #[source]
        /// The OS error.
        source: std::io::Error,
    },
    #[error("{path} already exists")]
    /// A new log's file is already there.
    Exists {
        /// The log.
        path: PathBuf,
    },
    #[error("incident {id} is open in another mayday process (its log is locked)")]
    /// Another Mayday holds the log.
    Locked {
        /// The incident.
        id: String,
    },
    #[error("{path} is not a Mayday incident log: {why}")]
    /// The file does not start with a Mayday header.
    NotALog {
        /// The file.
        path: PathBuf,
        /// What is wrong with its first line.
        why: String,
    },
    #[error(
        "{path}: the record on line {line} is corrupt ({why}) and {after} good record(s) follow it; \
         the log is left untouched and can only be read"
    )]
    /// A bad record with good ones after it: the log is read-only.
    Corrupt {
        /// The log.
        path: PathBuf,
        /// The bad record's line.
        line: usize,
        /// What is wrong with it.
        why: String,
        /// How many good records follow it.
        after: usize,
    },
    #[error("could not sync {path} to disk: {source}")]
    /// `sync_data` failed: the record may not be on disk.
    Sync {
        /// The log.
        path: PathBuf,
        #[source]
        /// The OS error.
        source: std::io::Error,
    },
    #[error("cannot serialize the event: {0}")]
    /// An event could not be serialized.
    Serialize(#[from] serde_json::Error),
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> LogError + '_ {
    move |source| LogError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The first line of a log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// The format version (1).
    pub version: u32,
    /// When the log was created.
    pub created: Timestamp,
    /// The incident's id.
    pub incident_id: String,
}

impl Header {
    fn line(&self) -> String {
        format!(
            "{MAGIC} {} {} {}\n",
            self.version, self.created, self.incident_id
        )
    }
}

fn crc_of(prev: u32, seq: u64, json: &[u8]) -> u32 {
    let c = crc32c::crc32c_append(prev, seq.to_string().as_bytes());
    let c = crc32c::crc32c_append(c, b" ");
    crc32c::crc32c_append(c, json)
}

/// One record line (with its newline) and its CRC.
fn record(prev: u32, event: &Event) -> Result<(String, u32), LogError> {
    let json = serde_json::to_string(event)?;
    let crc = crc_of(prev, event.seq, json.as_bytes());
    Ok((format!("{} {crc:08x} {json}\n", event.seq), crc))
}

fn header_crc(header_line: &str) -> u32 {
    crc32c::crc32c(header_line.trim_end().as_bytes())
}

fn parse_header(line: &str) -> Result<Header, String> {
    let mut parts = line.trim_end().split(' ');
    if parts.next() != Some(MAGIC) {
        return Err("the first line is not a Mayday log header".into());
    }
    let version: u32 = parts
        .next()
        .and_then(|v| v.parse().ok())
        .ok_or("the header has no version")?;
    if version != VERSION {
        return Err(format!(
            "format version {version} is not supported (this Mayday writes {VERSION})"
        ));
    }
    let created: Timestamp = parts
        .next()
        .and_then(|v| v.parse().ok())
        .ok_or("the header has no creation time")?;
    let incident_id = parts
        .next()
        .filter(|s| !s.is_empty())
        .ok_or("the header has no incident id")?
        .to_owned();
    Ok(Header {
        version,
        created,
        incident_id,
    })
}

/// Exactly eight lower-case hex digits, as written (so a flipped case bit is
/// noticed too).
fn is_crc_text(c: &str) -> bool {
    c.len() == 8
        && c.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + s).unwrap()
    }

    fn started() -> EventKind {
        EventKind::IncidentStarted {
            incident_id: "x".into(),
            runbook_id: "rb".into(),
            runbook_title: "RB".into(),
            runbook_hash: "h".into(),
            runbook_path: "p".into(),
            variables: Default::default(),
            severity: crate::runbook::Severity::High,
            responder: "me".into(),
            rehearsal: false,
            scenario: None,
            dry_run: false,
            mayday_version: "0".into(),
            alert: None,
        }
    }

    #[test]
    fn write_read_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.log");
        let (mut w, first) = LogWriter::create(&path, "x", started(), t(0)).unwrap();
        assert_eq!(first.seq, 1);
        let e = w.append(EventKind::Mitigated, t(5)).unwrap();
        assert_eq!(e.seq, 2);
        let batch = w
            .append_batch(vec![
                (EventKind::Reopened, t(6)),
                (EventKind::SessionEnded, t(7)),
            ])
            .unwrap();
        assert_eq!(batch.iter().map(|e| e.seq).collect::<Vec<_>>(), [3, 4]);
        // Locked while open.
        assert!(matches!(
            LogWriter::open_append(&path),
            Err(LogError::Locked { .. })
        ));
        drop(w);
        let r = read(&path).unwrap();
        assert_eq!(r.tail, Tail::Clean);
        assert_eq!(r.events.len(), 4);
        let (mut w, rec) = LogWriter::open_append(&path).unwrap();
        assert!(rec.torn.is_none());
        assert_eq!(w.append(EventKind::Mitigated, t(9)).unwrap().seq, 5);
        assert!(matches!(
            LogWriter::create(&path, "x", started(), t(0)),
            Err(LogError::Exists { .. })
        ));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("mayday-incident-log 1 "));
        assert_eq!(text.lines().count(), 6);
    }

    #[test]
    fn rewrite_keeps_everything_and_continues() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.log");
        let (mut w, first) = LogWriter::create(&path, "x", started(), t(0)).unwrap();
        let e2 = w.append(EventKind::Mitigated, t(1)).unwrap();
        let added = w
            .rewrite(
                &[first, e2],
                vec![Entry::Own(Box::new(EventKind::Reopened), t(2))],
            )
            .unwrap();
        assert_eq!(added[0].seq, 3);
        assert_eq!(w.append(EventKind::SessionEnded, t(3)).unwrap().seq, 4);
        let r = read(&path).unwrap();
        assert_eq!(r.tail, Tail::Clean);
        assert_eq!(r.events.len(), 4);
    }
}
