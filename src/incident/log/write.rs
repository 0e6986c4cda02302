//! Writing an incident log: one writer at a time (an exclusive `flock`),
//! each record written whole and synced before it counts as saved; a torn
//! tail set aside on reopening; rescue copies when the disk refuses.

use super::*;

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
    /// Who the events appended now are by: the responder of the last
    /// `incident_started` / `session_resumed` (or [`LogWriter::set_responder`]).
    responder: String,
}

/// One thing the log writer is asked to append.
#[derive(Clone, Debug, PartialEq)]
pub enum Entry {
    /// An event of this log's session: numbered, given an id and the
    /// current responder when written.
    Own(Box<EventKind>, Timestamp),
    /// Another responder's event from the shared timeline, kept as it is
    /// (its id, who, when, what), marked `merged`.
    Merged(Box<Event>),
}

/// Another responder's event as this log keeps it at `seq`: marked
/// `merged`, its own sequence number kept as `origin_seq`.
fn merged_as(seq: u64, mut e: Event) -> Event {
    if !e.merged || e.origin_seq == 0 {
        e.origin_seq = e.seq;
    }
    e.seq = seq;
    e.merged = true;
    e
}

/// A new event id: 128 random bits as 32 hex digits.
pub fn new_event_id() -> String {
    format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
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
        let mut event = Event::new(1, at, first);
        event.id = new_event_id();
        if let Some(r) = event.session_responder() {
            event.by = r.to_owned();
        }
        Self::create_with(path, incident_id, event)
    }

    /// [`LogWriter::create`] with a first event that already has its id and
    /// responder (a shared incident joined from another responder's log:
    /// the event is marked `merged`).
    pub fn create_with(
        path: &Path,
        incident_id: &str,
        event: Event,
    ) -> Result<(LogWriter, Event), LogError> {
        let at = event.at;
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
        let event = Event { seq: 1, ..event };
        // Who this log's own sessions are starts with the first responder;
        // a joining responder's own `session_resumed` changes it.
        let responder = event.session_responder().unwrap_or_default().to_owned();
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
                responder,
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
            responder: log
                .events
                .iter()
                .rev()
                .find_map(Event::session_responder)
                .unwrap_or_default()
                .to_owned(),
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

    /// The incident this log belongs to.
    pub fn incident_id(&self) -> &str {
        &self.header.incident_id
    }

    /// The log's header (a rescue copy carries the same one).
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The log's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Who the events appended from now on are by (a `mayday note` from
    /// another terminal is by its own responder).
    pub fn set_responder(&mut self, responder: &str) {
        responder.clone_into(&mut self.responder);
    }

    /// A new event with the next id, by the current responder (a
    /// session-opening event makes its responder the current one).
    fn stamp(&mut self, seq: u64, at: Timestamp, kind: EventKind) -> Event {
        let mut e = Event::new(seq, at, kind);
        if let Some(r) = e.session_responder() {
            self.responder = r.to_owned();
        }
        e.id = new_event_id();
        e.by.clone_from(&self.responder);
        e
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
        self.append_entries(
            items
                .into_iter()
                .map(|(kind, at)| Entry::Own(Box::new(kind), at))
                .collect(),
        )
    }

    /// Append own and merged events, in the order given, with one write and
    /// one sync.
    pub fn append_entries(&mut self, items: Vec<Entry>) -> Result<Vec<Event>, LogError> {
        let mut events = Vec::with_capacity(items.len());
        for (seq, entry) in (self.next_seq..).zip(items) {
            events.push(self.entry(seq, entry));
        }
        self.write_events(events)
    }

    fn entry(&mut self, seq: u64, entry: Entry) -> Event {
        match entry {
            Entry::Own(kind, at) => self.stamp(seq, at, *kind),
            Entry::Merged(e) => merged_as(seq, *e),
        }
    }

    /// Append other responders' events from the shared timeline as they
    /// are (their id, who, when, what), marked `merged`, with this log's
    /// next sequence numbers; one write and one sync.
    pub fn append_merged(&mut self, items: Vec<Event>) -> Result<Vec<Event>, LogError> {
        let events = (self.next_seq..)
            .zip(items)
            .map(|(seq, e)| merged_as(seq, e))
            .collect();
        self.write_events(events)
    }

    /// Write whole records for `events` (numbered from `next_seq`) with one
    /// write and one sync; a failed write is cut back.
    fn write_events(&mut self, events: Vec<Event>) -> Result<Vec<Event>, LogError> {
        let mut buf = String::new();
        let mut crc = self.prev_crc;
        let mut seq = self.next_seq;
        for event in &events {
            let (rec, c) = record(crc, event)?;
            buf.push_str(&rec);
            crc = c;
            seq = event.seq + 1;
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
        pending: Vec<Entry>,
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
        for entry in pending {
            let e = self.entry(seq, entry);
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
