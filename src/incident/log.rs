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
    /// Damaged records that were skipped, in file order.
    pub skipped: Vec<Skipped>,
    /// Why the header line could not be used, when it was rebuilt.
    pub header_damage: Option<String>,
}

impl ReadLog {
    /// A one-line description of a problem, if there is one.
    pub fn problem(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(h) = &self.header_damage {
            parts.push(h.clone());
        }
        match &self.tail {
            Tail::Clean => {}
            Tail::Torn { bytes, reason, .. } => parts.push(format!(
                "torn tail: the last {bytes} byte(s) are incomplete ({reason})"
            )),
            Tail::Corrupt {
                line,
                reason,
                good_after,
                ..
            } => {
                let others = self.skipped.len().saturating_sub(1);
                parts.push(format!(
                    "corrupt record on line {line} ({reason}); {good_after} good record(s) after it{}",
                    if others > 0 {
                        format!(", {others} more damaged record(s) skipped")
                    } else {
                        String::new()
                    }
                ));
            }
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }

    /// What reading skipped, one line each (for a warning on stderr).
    pub fn skipped_lines(&self) -> Vec<String> {
        self.skipped
            .iter()
            .map(|s| {
                format!(
                    "line {} (bytes {}..{}, after event {}): {}",
                    s.line,
                    s.offset,
                    s.offset + s.bytes,
                    s.after_seq,
                    s.reason
                )
            })
            .collect()
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

/// A damaged record that reading skipped.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
    /// The line it is on (the header is line 1).
    pub line: usize,
    /// Its byte range in the file.
    pub offset: u64,
    pub bytes: u64,
    /// The sequence number of the last good event before it (0: none).
    pub after_seq: u64,
    pub reason: String,
}

/// One line's fields, as written: `seq crc json`. Read as bytes, so damage
/// inside the JSON still leaves the checksum readable.
struct Fields<'a> {
    seq: u64,
    crc: u32,
    json: &'a [u8],
}

fn fields(line: &[u8]) -> Option<Fields<'_>> {
    let mut parts = line.splitn(3, |b| *b == b' ');
    let seq = std::str::from_utf8(parts.next()?).ok()?.parse().ok()?;
    let crc = std::str::from_utf8(parts.next()?)
        .ok()
        .filter(|c| is_crc_text(c))
        .and_then(|c| u32::from_str_radix(c, 16).ok())?;
    let json = parts.next()?;
    Some(Fields { seq, crc, json })
}

/// Where a second record starts inside a damaged line (`<seq> <crc> {"seq":<seq>,`
/// mid-line): a flipped line end glues two records together, and the second
/// one is still good.
fn glued_at(line: &[u8]) -> Option<usize> {
    const KEY: &[u8] = b" {\"seq\":";
    memchr::memmem::find_iter(line, KEY).find_map(|i| {
        // `i` is the space before the JSON; before it, 8 hex digits and a
        // space, and before that the sequence number the JSON repeats.
        let digits_end = line[i + KEY.len()..]
            .iter()
            .position(|b| !b.is_ascii_digit())?;
        let seq = &line[i + KEY.len()..i + KEY.len() + digits_end];
        if seq.is_empty() || line.get(i + KEY.len() + digits_end) != Some(&b',') {
            return None;
        }
        let crc_start = i.checked_sub(8)?;
        let start = crc_start.checked_sub(1 + seq.len())?;
        (start > 0
            && line[crc_start - 1] == b' '
            && std::str::from_utf8(&line[crc_start..i]).is_ok_and(is_crc_text)
            && &line[start..crc_start - 1] == seq)
            .then_some(start)
    })
}

/// Parse a whole log from its bytes. Never fails on damaged records: each
/// record is checked against the checksum stored on the line before it, so
/// one damaged record costs that record only; what was skipped is listed in
/// `skipped` and summed up in the tail. CRLF line ends (a file converted by
/// an editor or a transfer) are read as LF. A damaged header is rebuilt
/// from the first record when that record's checksum proves the rebuild.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<ReadLog, LogError> {
    let not_a_log = |why: String| LogError::NotALog {
        path: path.to_path_buf(),
        why,
    };
    // The lines, each with its offset and length (line end included). A
    // line glued to the next by a damaged line end is split in two.
    let mut lines: Vec<(u64, &[u8], bool)> = Vec::new();
    let mut offset = 0usize;
    let mut glued = false;
    while offset < bytes.len() {
        let rest = &bytes[offset..];
        let (line, len, ended) = match memchr::memchr(b'\n', rest) {
            Some(nl) => (&rest[..nl], nl + 1, true),
            None => (rest, rest.len(), false),
        };
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        match glued_at(line) {
            Some(at) if ended => {
                glued |= offset == 0;
                lines.push((offset as u64, &line[..at], true));
                lines.push(((offset + at) as u64, &line[at..], true));
            }
            _ => lines.push((offset as u64, line, ended)),
        }
        offset += len;
    }
    let Some(&(_, header_bytes, true)) = lines.first() else {
        return Err(not_a_log("the header line is incomplete".into()));
    };
    let header_line = std::str::from_utf8(header_bytes).map_err(|_| "the header is not UTF-8");
    let parsed_header = header_line.map_err(str::to_owned).and_then(parse_header);
    let mut header = parsed_header.clone().ok();
    let mut header_damage = glued.then(|| {
        "the header's line end is damaged (the first record was read after it)".to_owned()
    });
    // The checksums a record may chain from: the one stored on the line
    // before it, the one that line's own content gives, the last good one.
    let mut stored_prev = header_line.ok().map(header_crc);
    let mut computed_prev = None;
    let mut last_good: Option<u32> = stored_prev;
    let mut events: Vec<Event> = Vec::new();
    let mut skipped: Vec<Skipped> = Vec::new();
    let mut good_len = lines.get(1).map_or(bytes.len() as u64, |l| l.0);
    let mut last_crc = stored_prev.unwrap_or(0);
    let mut first_bad: Option<(usize, u64, String)> = None;
    let mut good_after_bad = 0usize;
    for (i, &(off, line, ended)) in lines.iter().enumerate().skip(1) {
        let line_no = i + 1;
        let next_off = lines.get(i + 1).map_or(bytes.len() as u64, |l| l.0);
        let f = fields(line);
        let candidates = [stored_prev, computed_prev, last_good];
        let mut verdict: Result<(Event, u32), String> = Err(match &f {
            None => "not a record (sequence number, checksum, event)".to_owned(),
            Some(_) => "checksum mismatch".to_owned(),
        });
        if !ended {
            verdict = Err("the last record has no line end".into());
        } else if let Some(f) = &f {
            let chained = candidates
                .iter()
                .flatten()
                .any(|&p| crc_of(p, f.seq, f.json) == f.crc);
            let rebuilt = if !chained && events.is_empty() && skipped.is_empty() {
                rebuild_header(f)
            } else {
                None
            };
            if chained || rebuilt.is_some() {
                verdict = match serde_json::from_slice::<Event>(f.json) {
                    Err(e) => Err(format!("bad event: {e}")),
                    Ok(e) if e.seq != f.seq => {
                        Err("the sequence number inside the record differs".into())
                    }
                    Ok(e) if events.last().is_some_and(|l| l.seq >= e.seq) => Err(format!(
                        "sequence number {} after {}",
                        e.seq,
                        events.last().map_or(0, |l| l.seq)
                    )),
                    Ok(e) if events.is_empty() && e.seq != 1 && first_bad.is_none() => {
                        Err(format!("sequence number {} where 1 was expected", e.seq))
                    }
                    Ok(e) => Ok((e, f.crc)),
                };
                if verdict.is_ok()
                    && let Some(h) = rebuilt
                {
                    header_damage = Some(match &parsed_header {
                        Ok(_) => {
                            "the header line is damaged (rebuilt from the first record)".to_owned()
                        }
                        Err(why) => format!("{why} (rebuilt from the first record)"),
                    });
                    header = Some(h);
                }
            }
        }
        // When the frame is damaged, the checksum and the JSON may still be
        // found where they always are: around ` {"seq":`.
        let loose = memchr::memmem::find(line, b"{\"seq\":").map(|j| {
            let crc = j
                .checked_sub(9)
                .and_then(|c| std::str::from_utf8(&line[c..j - 1]).ok())
                .filter(|c| is_crc_text(c))
                .and_then(|c| u32::from_str_radix(c, 16).ok());
            (crc, &line[j..])
        });
        // What this line's checksum should be, from its own content: when
        // only its checksum or its frame is damaged, the next record still
        // chains to it.
        let base = candidates.iter().flatten().next().copied();
        computed_prev = match (&f, loose) {
            (Some(f), _) => base.map(|p| crc_of(p, f.seq, f.json)),
            (None, Some((_, json))) => {
                let seq = events.last().map_or(1, |e| e.seq + 1);
                last_good.map(|p| crc_of(p, seq, json))
            }
            _ => None,
        };
        stored_prev = f.as_ref().map(|f| f.crc).or(loose.and_then(|l| l.0));
        match verdict {
            Ok((event, crc)) => {
                events.push(event);
                last_good = Some(crc);
                // A record proven by its own checksum vouches for the
                // stored checksum it chains to on the next line.
                computed_prev = None;
                if first_bad.is_none() {
                    good_len = next_off;
                    last_crc = crc;
                } else {
                    good_after_bad += 1;
                }
            }
            Err(reason) => {
                if first_bad.is_none() {
                    first_bad = Some((line_no, off, reason.clone()));
                }
                skipped.push(Skipped {
                    line: line_no,
                    offset: off,
                    bytes: next_off - off,
                    after_seq: events.last().map_or(0, |e| e.seq),
                    reason,
                });
            }
        }
    }
    let header = match header {
        Some(h) => h,
        None => {
            return Err(not_a_log(
                parsed_header
                    .err()
                    .unwrap_or_else(|| "the header is damaged".into()),
            ));
        }
    };
    let tail = match first_bad {
        None => Tail::Clean,
        Some((_, off, reason)) if good_after_bad == 0 => Tail::Torn {
            offset: off,
            bytes: bytes.len() as u64 - off,
            reason,
        },
        Some((line, off, reason)) => Tail::Corrupt {
            line,
            offset: off,
            reason,
            good_after: good_after_bad,
        },
    };
    Ok(ReadLog {
        header,
        events,
        tail,
        good_len,
        last_crc,
        skipped,
        header_damage,
    })
}

/// A damaged header is rebuilt from the first record: the header holds
/// the incident id and the first event's time, and the first record's
/// checksum chains from the header's, so a rebuild is checked, not guessed.
fn rebuild_header(f: &Fields<'_>) -> Option<Header> {
    if f.seq != 1 {
        return None;
    }
    let event: Event = serde_json::from_slice(f.json).ok()?;
    let EventKind::IncidentStarted { incident_id, .. } = &event.kind else {
        return None;
    };
    let header = Header {
        version: VERSION,
        created: event.at,
        incident_id: incident_id.clone(),
    };
    (crc_of(header_crc(&header.line()), f.seq, f.json) == f.crc).then_some(header)
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

/// Try the exclusive lock once.
fn try_lock(file: &File) -> Result<bool, rustix::io::Errno> {
    use rustix::fs::{FlockOperation, flock};
    match flock(file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(true),
        Err(rustix::io::Errno::WOULDBLOCK) => Ok(false),
        Err(e) => Err(e),
    }
}

fn lock(file: &File, id: &str) -> Result<(), LogError> {
    match try_lock(file) {
        Ok(true) => Ok(()),
        Ok(false) => Err(LogError::Locked { id: id.to_owned() }),
        // Filesystems without locks: carry on unlocked rather than refuse.
        Err(e) => {
            tracing::warn!("cannot lock the incident log: {e}");
            Ok(())
        }
    }
}

/// Is `file` still the file at `path`? A writer that rewrote the log after
/// a failed sync renamed a fresh file over it; a lock on the old one
/// guards nothing.
fn still_at(file: &File, path: &Path) -> bool {
    match (rustix::fs::fstat(file), rustix::fs::stat(path)) {
        (Ok(a), Ok(b)) => a.st_dev == b.st_dev && a.st_ino == b.st_ino,
        _ => false,
    }
}

/// The id a log's file name gives (for messages before it is read).
fn id_of(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
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
    /// The file's length after the last good write: a failed write is cut
    /// back to it, so a half-written record never stays in the file.
    len: u64,
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
        let written = file.write_all(&buf).map_err(io_err(path)).and_then(|()| {
            file.sync_all().map_err(|source| LogError::Sync {
                path: path.to_path_buf(),
                source,
            })
        });
        if let Err(e) = written {
            // Nothing is acknowledged: leave no half-made log behind.
            drop(file);
            let _ = std::fs::remove_file(path);
            return Err(e);
        }
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
                len: buf.len() as u64,
            },
            event,
        ))
    }

    /// Reopen a log to append to it, refusing at once if another process
    /// holds it. See [`LogWriter::open_append_waiting`].
    pub fn open_append(path: &Path) -> Result<(LogWriter, Recovered), LogError> {
        Self::open_append_waiting(path, std::time::Duration::ZERO)
    }

    /// Reopen a log to append to it. The lock is taken *before* the file is
    /// read, so what is read is what the last writer left, and nobody can
    /// append in between; while another process holds it, this waits up to
    /// `wait` and then reports [`LogError::Locked`].
    ///
    /// A torn tail is copied aside (`<log>.torn-N`), cut off, and recorded
    /// with a `log_recovered` event. Corruption, a damaged header and a log
    /// with no first event are refused: nothing is changed.
    pub fn open_append_waiting(
        path: &Path,
        wait: std::time::Duration,
    ) -> Result<(LogWriter, Recovered), LogError> {
        let deadline = std::time::Instant::now() + wait;
        let mut file = loop {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .open(path)
                .map_err(io_err(path))?;
            match try_lock(&file) {
                Ok(true) => {}
                Ok(false) => {
                    if std::time::Instant::now() >= deadline {
                        return Err(LogError::Locked { id: id_of(path) });
                    }
                    std::thread::sleep(std::time::Duration::from_millis(5));
                    continue;
                }
                Err(e) => tracing::warn!("cannot lock the incident log: {e}"),
            }
            if still_at(&file, path) {
                break file;
            }
            // Replaced while we waited: lock the file that is there now.
        };
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io_err(path))?;
        let log = parse(path, &bytes)?;
        if let Some(why) = &log.header_damage {
            return Err(LogError::Corrupt {
                path: path.to_path_buf(),
                line: 1,
                why: why.clone(),
                after: log.events.len(),
            });
        }
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
        if !matches!(
            log.events.first().map(|e| &e.kind),
            Some(EventKind::IncidentStarted { .. })
        ) {
            return Err(LogError::NotALog {
                path: path.to_path_buf(),
                why: "it has no `incident_started` record to append to (its first write never \
                      finished); it is left as it is"
                    .into(),
            });
        }
        let mut torn = None;
        if let Tail::Torn { offset, .. } = &log.tail {
            let torn_bytes = &bytes[*offset as usize..];
            let saved = set_aside(path, torn_bytes)?;
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
        let len = file.seek(SeekFrom::End(0)).map_err(io_err(path))?;
        let mut writer = LogWriter {
            file,
            path: path.to_path_buf(),
            header: log.header.clone(),
            next_seq: log.events.last().map_or(1, |e| e.seq + 1),
            prev_crc: log.last_crc,
            len,
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

    /// The log's header (a rescue copy carries the same one).
    pub fn header(&self) -> &Header {
        &self.header
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
        if let Err(e) = self.file.write_all(buf.as_bytes()) {
            // A short write (a full disk): cut the partial record off so the
            // file ends on a whole record again. If even that fails, the
            // next reader sees a torn tail and sets it aside.
            let _ = self.file.set_len(self.len);
            let _ = self.file.seek(SeekFrom::Start(self.len));
            return Err(LogError::Io {
                path: self.path.clone(),
                source: e,
            });
        }
        self.file.sync_data().map_err(|source| LogError::Sync {
            path: self.path.clone(),
            source,
        })?;
        self.len += buf.len() as u64;
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
        let header_line = self.header.line();
        let mut crc = header_crc(&header_line);
        let mut buf = header_line;
        for e in known {
            let (rec, c) = record(crc, e)?;
            buf.push_str(&rec);
            crc = c;
        }
        let mut seq = known.last().map_or(1, |e| e.seq + 1);
        let mut added = Vec::new();
        for (kind, at) in pending {
            let e = Event { seq, at, kind };
            let (rec, c) = record(crc, &e)?;
            buf.push_str(&rec);
            crc = c;
            seq += 1;
            added.push(e);
        }
        let file = match self.write_fresh(&fresh_path, buf.as_bytes()) {
            Ok(f) => f,
            Err(e) => {
                // Leave no half-written copy behind.
                let _ = std::fs::remove_file(&fresh_path);
                return Err(e);
            }
        };
        self.file = file;
        self.file
            .seek(SeekFrom::End(0))
            .map_err(io_err(&self.path))?;
        self.len = buf.len() as u64;
        self.prev_crc = crc;
        self.next_seq = seq;
        Ok(added)
    }

    /// Write, sync, lock and rename a fresh copy over the log.
    fn write_fresh(&self, fresh_path: &Path, bytes: &[u8]) -> Result<File, LogError> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(fresh_path)
            .map_err(io_err(fresh_path))?;
        file.write_all(bytes).map_err(io_err(fresh_path))?;
        file.sync_all().map_err(|source| LogError::Sync {
            path: fresh_path.to_path_buf(),
            source,
        })?;
        lock(&file, &self.header.incident_id)?;
        std::fs::rename(fresh_path, &self.path).map_err(io_err(&self.path))?;
        if let Some(dir) = self.path.parent() {
            sync_dir(dir)?;
        }
        Ok(file)
    }
}

/// Copy torn bytes aside into a new `<log>.torn-N`, synced. On failure
/// nothing is left behind (no empty `.torn-N` per failed attempt).
fn set_aside(path: &Path, torn: &[u8]) -> Result<PathBuf, LogError> {
    let saved = torn_path(path);
    let result = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&saved)
        .and_then(|mut f| {
            f.write_all(torn)?;
            f.sync_all()
        });
    match result {
        Ok(()) => Ok(saved),
        Err(e) => {
            let _ = std::fs::remove_file(&saved);
            Err(LogError::Io {
                path: saved,
                source: e,
            })
        }
    }
}

/// Where rescue copies go when the data directory cannot be written:
/// `MAYDAY_RESCUE_DIR` if set, then the temporary directory, the home
/// directory and the working directory — each tried in turn.
pub fn rescue_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(d) = std::env::var_os("MAYDAY_RESCUE_DIR") {
        dirs.push(PathBuf::from(d));
    }
    dirs.push(std::env::temp_dir());
    if let Some(b) = directories::BaseDirs::new() {
        dirs.push(b.home_dir().to_path_buf());
    }
    if let Ok(d) = std::env::current_dir() {
        dirs.push(d);
    }
    dirs
}

/// Write a complete, valid log (the header and every event, chained and
/// checksummed like the original) to `<dir>/<id>.rescue.log` in the first
/// of `dirs` that works, replacing `previous` if it is given (so repeated
/// rescues of one session keep one file). Synced before it returns. The
/// copy reads like any log: `cp` it over the incident's log to restore it.
pub fn write_rescue(
    header: &Header,
    events: &[Event],
    dirs: &[PathBuf],
    previous: Option<&Path>,
) -> Result<PathBuf, LogError> {
    let header_line = header.line();
    let mut crc = header_crc(&header_line);
    let mut buf = header_line;
    for e in events {
        let (rec, c) = record(crc, e)?;
        buf.push_str(&rec);
        crc = c;
    }
    let mut last_err = None;
    let targets: Vec<PathBuf> = match previous {
        Some(p) => vec![p.to_path_buf()],
        None => dirs
            .iter()
            .map(|d| {
                let base = d.join(format!("{}.rescue.log", header.incident_id));
                (1..)
                    .map(|n| {
                        if n == 1 {
                            base.clone()
                        } else {
                            d.join(format!("{}.rescue-{n}.log", header.incident_id))
                        }
                    })
                    .find(|p| !p.exists())
                    .unwrap_or(base)
            })
            .collect(),
    };
    for target in targets {
        let tmp = target.with_extension("log.tmp");
        let written = std::fs::write(&tmp, buf.as_bytes())
            .and_then(|()| File::open(&tmp)?.sync_all())
            .and_then(|()| std::fs::rename(&tmp, &target));
        match written {
            Ok(()) => {
                if let Some(dir) = target.parent() {
                    let _ = sync_dir(dir);
                }
                return Ok(target);
            }
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                last_err = Some(LogError::Io {
                    path: target,
                    source: e,
                });
            }
        }
    }
    Err(last_err.unwrap_or_else(|| LogError::NotALog {
        path: PathBuf::new(),
        why: "no directory to write a rescue copy to".into(),
    }))
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
