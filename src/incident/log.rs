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
pub enum LogError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} already exists")]
    Exists { path: PathBuf },
    #[error("incident {id} is open in another mayday process (its log is locked)")]
    Locked { id: String },
    #[error("{path} is not a Mayday incident log: {why}")]
    NotALog { path: PathBuf, why: String },
    #[error(
        "{path}: the record on line {line} is corrupt ({why}) and {after} good record(s) follow it; \
         the log is left untouched and can only be read"
    )]
    Corrupt {
        path: PathBuf,
        line: usize,
        why: String,
        after: usize,
    },
    #[error("could not sync {path} to disk: {source}")]
    Sync {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot serialize the event: {0}")]
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
    pub version: u32,
    pub created: Timestamp,
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

/// What follows the last good record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tail {
    Clean,
    /// The last record is incomplete or damaged: a write cut short.
    Torn {
        offset: u64,
        bytes: u64,
        reason: String,
    },
    /// A damaged record with good ones after it.
    Corrupt {
        line: usize,
        offset: u64,
        reason: String,
        good_after: usize,
    },
}

/// A log as read from disk.
#[derive(Clone, Debug)]
pub struct ReadLog {
    pub header: Header,
    pub events: Vec<Event>,
    pub tail: Tail,
    /// The byte length of the header and the good records before the first
    /// bad one.
    pub good_len: u64,
    /// The chained CRC after the last good record.
    pub last_crc: u32,
}

impl ReadLog {
    /// A one-line description of a problem, if there is one.
    pub fn problem(&self) -> Option<String> {
        match &self.tail {
            Tail::Clean => None,
            Tail::Torn { bytes, reason, .. } => Some(format!(
                "torn tail: the last {bytes} byte(s) are incomplete ({reason})"
            )),
            Tail::Corrupt {
                line,
                reason,
                good_after,
                ..
            } => Some(format!(
                "corrupt record on line {line} ({reason}); {good_after} good record(s) after it"
            )),
        }
    }
}

fn crc_of(prev: u32, seq: u64, json: &str) -> u32 {
    let c = crc32c::crc32c_append(prev, seq.to_string().as_bytes());
    let c = crc32c::crc32c_append(c, b" ");
    crc32c::crc32c_append(c, json.as_bytes())
}

/// One record line (with its newline) and its CRC.
fn record(prev: u32, event: &Event) -> Result<(String, u32), LogError> {
    let json = serde_json::to_string(event)?;
    let crc = crc_of(prev, event.seq, &json);
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

/// Check one record line: returns the event and its CRC.
fn parse_record(line: &str, prev: u32, expect_seq: u64) -> Result<(Event, u32), String> {
    let mut parts = line.splitn(3, ' ');
    let seq: u64 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or("no sequence number")?;
    let crc = parts
        .next()
        .filter(|c| is_crc_text(c))
        .and_then(|c| u32::from_str_radix(c, 16).ok())
        .ok_or("no checksum")?;
    let json = parts.next().ok_or("no payload")?;
    if crc_of(prev, seq, json) != crc {
        return Err("checksum mismatch".into());
    }
    if seq != expect_seq {
        return Err(format!(
            "sequence number {seq} where {expect_seq} was expected"
        ));
    }
    let event: Event = serde_json::from_str(json).map_err(|e| format!("bad event: {e}"))?;
    if event.seq != seq {
        return Err("the sequence number inside the record differs".into());
    }
    Ok((event, crc))
}

/// Parse a whole log from its bytes. Never fails on damaged records: they
/// are described in the tail.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<ReadLog, LogError> {
    let not_a_log = |why: String| LogError::NotALog {
        path: path.to_path_buf(),
        why,
    };
    let header_end = memchr::memchr(b'\n', bytes)
        .ok_or_else(|| not_a_log("the header line is incomplete".into()))?;
    let header_line = std::str::from_utf8(&bytes[..=header_end])
        .map_err(|_| not_a_log("the header is not UTF-8".into()))?;
    let header = parse_header(header_line).map_err(not_a_log)?;
    let mut prev = header_crc(header_line);
    let mut events = Vec::new();
    let mut offset = header_end + 1;
    let mut line_no = 1;
    let mut tail = Tail::Clean;
    while offset < bytes.len() {
        line_no += 1;
        let rest = &bytes[offset..];
        let Some(nl) = memchr::memchr(b'\n', rest) else {
            tail = Tail::Torn {
                offset: offset as u64,
                bytes: rest.len() as u64,
                reason: "the last record has no line end".into(),
            };
            break;
        };
        let line = &rest[..nl];
        let parsed = std::str::from_utf8(line)
            .map_err(|_| "not UTF-8".to_owned())
            .and_then(|l| parse_record(l, prev, events.len() as u64 + 1));
        match parsed {
            Ok((event, crc)) => {
                events.push(event);
                prev = crc;
                offset += nl + 1;
            }
            Err(reason) => {
                // Good records after this one mean corruption, not a crash —
                // including one glued to this line by a damaged line end.
                let good_after = count_good_after(&rest[nl + 1..])
                    + usize::from(has_embedded_record(line, events.len() as u64 + 2));
                tail = if good_after == 0 {
                    Tail::Torn {
                        offset: offset as u64,
                        bytes: rest.len() as u64,
                        reason,
                    }
                } else {
                    Tail::Corrupt {
                        line: line_no,
                        offset: offset as u64,
                        reason,
                        good_after,
                    }
                };
                break;
            }
        }
    }
    let good_len = match &tail {
        Tail::Clean => bytes.len() as u64,
        Tail::Torn { offset, .. } | Tail::Corrupt { offset, .. } => *offset,
    };
    Ok(ReadLog {
        header,
        events,
        tail,
        good_len,
        last_crc: prev,
    })
}

/// Does a damaged line contain the start of record `seq` (`seq crc {`)? A
/// flipped newline glues two records together; that is damage to data that
/// was saved, not a write cut short.
fn has_embedded_record(line: &[u8], seq: u64) -> bool {
    let digits = seq.to_string();
    let json = format!("{{\"seq\":{seq},");
    memchr::memmem::find_iter(line, json.as_bytes()).any(|i| {
        // `<seq> <crc> {"seq":<seq>,` with the record starting mid-line.
        let Some(start) = i.checked_sub(digits.len() + 10) else {
            return false;
        };
        start > 0
            && &line[start..start + digits.len()] == digits.as_bytes()
            && line[start + digits.len()] == b' '
            && std::str::from_utf8(&line[i - 9..i - 1]).is_ok_and(is_crc_text)
            && line[i - 1] == b' '
    })
}

/// Records after a damaged one that look intact on their own (their chain
/// cannot be checked, but their JSON and shape can).
fn count_good_after(rest: &[u8]) -> usize {
    rest.split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .filter(|l| {
            std::str::from_utf8(l).is_ok_and(|l| {
                let mut parts = l.splitn(3, ' ');
                parts.next().is_some_and(|s| s.parse::<u64>().is_ok())
                    && parts
                        .next()
                        .is_some_and(|c| c.len() == 8 && u32::from_str_radix(c, 16).is_ok())
                    && parts
                        .next()
                        .is_some_and(|j| serde_json::from_str::<Event>(j).is_ok())
            })
        })
        .count()
}

/// Read a log without changing anything.
pub fn read(path: &Path) -> Result<ReadLog, LogError> {
    let bytes = std::fs::read(path).map_err(io_err(path))?;
    parse(path, &bytes)
}

/// Sync a directory, so a new or renamed file in it survives a power cut.
pub fn sync_dir(dir: &Path) -> Result<(), LogError> {
    let d = File::open(dir).map_err(io_err(dir))?;
    d.sync_all().map_err(|source| LogError::Sync {
        path: dir.to_path_buf(),
        source,
    })
}

fn lock(file: &File, id: &str) -> Result<(), LogError> {
    use rustix::fs::{FlockOperation, flock};
    match flock(file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(()),
        Err(rustix::io::Errno::WOULDBLOCK) => Err(LogError::Locked { id: id.to_owned() }),
        // Filesystems without locks: carry on unlocked rather than refuse.
        Err(e) => {
            tracing::warn!("cannot lock the incident log: {e}");
            Ok(())
        }
    }
}

/// What reopening a log found and did.
#[derive(Debug)]
pub struct Recovered {
    /// Every event, including the `log_recovered` event appended when a torn
    /// tail was set aside.
    pub events: Vec<Event>,
    /// Torn bytes that were set aside, and where.
    pub torn: Option<(u64, PathBuf)>,
}

impl Recovered {
    /// A message for the user, when something was recovered.
    pub fn note(&self) -> Option<String> {
        self.torn.as_ref().map(|(bytes, saved)| {
            format!(
                "the incident log ended in an incomplete record (a crash mid-write): {bytes} byte(s) were set aside in {}; every saved event is intact",
                saved.display()
            )
        })
    }
}

/// The appending side of a log. Owns the file and its lock.
#[derive(Debug)]
pub struct LogWriter {
    file: File,
    path: PathBuf,
    header: Header,
    next_seq: u64,
    prev_crc: u32,
}

impl LogWriter {
    /// Create a new log at `path` (never overwriting) with its first event.
    /// The file and its directory are synced before this returns.
    pub fn create(
        path: &Path,
        incident_id: &str,
        first: EventKind,
        at: Timestamp,
    ) -> Result<(LogWriter, Event), LogError> {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|source| {
                if source.kind() == std::io::ErrorKind::AlreadyExists {
                    LogError::Exists {
                        path: path.to_path_buf(),
                    }
                } else {
                    LogError::Io {
                        path: path.to_path_buf(),
                        source,
                    }
                }
            })?;
        lock(&file, incident_id)?;
        let header = Header {
            version: VERSION,
            created: at,
            incident_id: incident_id.to_owned(),
        };
        let header_line = header.line();
        let event = Event {
            seq: 1,
            at,
            kind: first,
        };
        let (rec, crc) = record(header_crc(&header_line), &event)?;
        let mut buf = header_line.into_bytes();
        buf.extend_from_slice(rec.as_bytes());
        file.write_all(&buf).map_err(io_err(path))?;
        file.sync_all().map_err(|source| LogError::Sync {
            path: path.to_path_buf(),
            source,
        })?;
        if let Some(dir) = path.parent() {
            sync_dir(dir)?;
        }
        Ok((
            LogWriter {
                file,
                path: path.to_path_buf(),
                header,
                next_seq: 2,
                prev_crc: crc,
            },
            event,
        ))
    }

    /// Reopen a log to append to it. A torn tail is copied aside
    /// (`<log>.torn-N`), cut off, and recorded with a `log_recovered` event.
    /// Corruption is refused: nothing is changed.
    pub fn open_append(path: &Path) -> Result<(LogWriter, Recovered), LogError> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(io_err(path))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io_err(path))?;
        let log = parse(path, &bytes)?;
        lock(&file, &log.header.incident_id)?;
        if let Tail::Corrupt {
            line,
            reason,
            good_after,
            ..
        } = &log.tail
        {
            return Err(LogError::Corrupt {
                path: path.to_path_buf(),
                line: *line,
                why: reason.clone(),
                after: *good_after,
            });
        }
        let mut torn = None;
        if let Tail::Torn { offset, .. } = &log.tail {
            let saved = torn_path(path);
            let torn_bytes = &bytes[*offset as usize..];
            let mut aside = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&saved)
                .map_err(io_err(&saved))?;
            aside.write_all(torn_bytes).map_err(io_err(&saved))?;
            aside.sync_all().map_err(io_err(&saved))?;
            file.set_len(*offset).map_err(io_err(path))?;
            file.sync_all().map_err(|source| LogError::Sync {
                path: path.to_path_buf(),
                source,
            })?;
            if let Some(dir) = path.parent() {
                sync_dir(dir)?;
            }
            torn = Some((torn_bytes.len() as u64, saved));
        }
        file.seek(SeekFrom::End(0)).map_err(io_err(path))?;
        let mut writer = LogWriter {
            file,
            path: path.to_path_buf(),
            header: log.header.clone(),
            next_seq: log.events.len() as u64 + 1,
            prev_crc: log.last_crc,
        };
        let mut events = log.events;
        if let Some((bytes, saved)) = &torn {
            let name = saved
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let e = writer.append(
                EventKind::LogRecovered {
                    torn_bytes: *bytes,
                    saved_as: name,
                },
                Timestamp::now(),
            )?;
            events.push(e);
        }
        Ok((writer, Recovered { events, torn }))
    }

    pub fn incident_id(&self) -> &str {
        &self.header.incident_id
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The sequence number the next event gets.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Append one event; returns once it is synced to disk.
    pub fn append(&mut self, kind: EventKind, at: Timestamp) -> Result<Event, LogError> {
        let mut v = self.append_batch(vec![(kind, at)])?;
        v.pop().ok_or_else(|| LogError::NotALog {
            path: self.path.clone(),
            why: "nothing was appended".into(),
        })
    }

    /// Append several events with one write and one sync.
    pub fn append_batch(
        &mut self,
        items: Vec<(EventKind, Timestamp)>,
    ) -> Result<Vec<Event>, LogError> {
        let mut buf = String::new();
        let mut events = Vec::with_capacity(items.len());
        let mut crc = self.prev_crc;
        let mut seq = self.next_seq;
        for (kind, at) in items {
            let event = Event { seq, at, kind };
            let (rec, c) = record(crc, &event)?;
            buf.push_str(&rec);
            crc = c;
            seq += 1;
            events.push(event);
        }
        self.file
            .write_all(buf.as_bytes())
            .map_err(io_err(&self.path))?;
        self.file.sync_data().map_err(|source| LogError::Sync {
            path: self.path.clone(),
            source,
        })?;
        self.prev_crc = crc;
        self.next_seq = seq;
        Ok(events)
    }

    /// After a failed sync the file cannot be trusted (the kernel may have
    /// dropped the dirty pages and will not say so twice). Write the whole
    /// history — every event known, saved or not — to a fresh file, sync it
    /// and rename it over the old one. Returns the events that are now on
    /// disk for the first time.
    pub fn rewrite(
        &mut self,
        known: &[Event],
        pending: Vec<(EventKind, Timestamp)>,
    ) -> Result<Vec<Event>, LogError> {
        let fresh_path = self.path.with_extension("log.new");
        let _ = std::fs::remove_file(&fresh_path);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&fresh_path)
            .map_err(io_err(&fresh_path))?;
        let header_line = self.header.line();
        let mut crc = header_crc(&header_line);
        let mut buf = header_line;
        for e in known {
            let (rec, c) = record(crc, e)?;
            buf.push_str(&rec);
            crc = c;
        }
        let mut seq = known.len() as u64 + 1;
        let mut added = Vec::new();
        for (kind, at) in pending {
            let e = Event { seq, at, kind };
            let (rec, c) = record(crc, &e)?;
            buf.push_str(&rec);
            crc = c;
            seq += 1;
            added.push(e);
        }
        file.write_all(buf.as_bytes())
            .map_err(io_err(&fresh_path))?;
        file.sync_all().map_err(|source| LogError::Sync {
            path: fresh_path.clone(),
            source,
        })?;
        lock(&file, &self.header.incident_id)?;
        std::fs::rename(&fresh_path, &self.path).map_err(io_err(&self.path))?;
        if let Some(dir) = self.path.parent() {
            sync_dir(dir)?;
        }
        self.file = file;
        self.file
            .seek(SeekFrom::End(0))
            .map_err(io_err(&self.path))?;
        self.prev_crc = crc;
        self.next_seq = seq;
        Ok(added)
    }
}

fn torn_path(path: &Path) -> PathBuf {
    for n in 1.. {
        let p = PathBuf::from(format!("{}.torn-{n}", path.display()));
        if !p.exists() {
            return p;
        }
    }
    unreachable!("an unused name exists")
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
            .rewrite(&[first, e2], vec![(EventKind::Reopened, t(2))])
            .unwrap();
        assert_eq!(added[0].seq, 3);
        assert_eq!(w.append(EventKind::SessionEnded, t(3)).unwrap().seq, 4);
        let r = read(&path).unwrap();
        assert_eq!(r.tail, Tail::Clean);
        assert_eq!(r.events.len(), 4);
    }
}
