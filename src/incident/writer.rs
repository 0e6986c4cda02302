//! The log writer: a thread that owns the incident's `LogWriter`, takes
//! owned events from a channel, writes and syncs them (a burst in one
//! write), and reports each one saved — or the failure. Closing waits until
//! everything queued is on disk.

use super::event::{Event, EventKind};
use super::log::{Entry, LogWriter};
use jiff::Timestamp;
use tokio::sync::{mpsc, oneshot};

/// What the writer reports.
#[derive(Debug, Clone, PartialEq)]
pub enum WriterEvent {
    /// This event is on disk.
    Saved(Box<Event>),
    /// Writing failed; events from here on are not saved yet (they are kept
    /// and retried with the next event or on close).
    Failed(String),
}

enum Request {
    Append(Entry),
    /// Write every event, saved or not, to a rescue copy outside the data
    /// directory.
    Rescue(oneshot::Sender<Rescue>),
    Close(oneshot::Sender<Closed>),
}

/// A rescue copy: where it is and how many of its events are not in the log.
#[derive(Debug, Clone, PartialEq)]
pub struct Rescue {
    /// The copy's path, or why none could be written.
    pub result: Result<std::path::PathBuf, String>,
    /// Events in the copy that the incident log does not have.
    pub unsaved: usize,
    /// The sequence number of the last event in the copy.
    pub through_seq: u64,
}

/// How closing ended.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Closed {
    /// Events that could not be written to the log. When there are any, a
    /// rescue copy was written (see `rescue`).
    pub unsaved: usize,
    /// Where the rescue copy was written (or why it could not be), when events were unsaved.
    pub rescue: Option<Result<std::path::PathBuf, String>>,
    /// The log's path.
    pub log: std::path::PathBuf,
}

/// The app's end of the writer.
#[derive(Debug)]
pub struct WriterHandle {
    tx: mpsc::UnboundedSender<Request>,
}

impl WriterHandle {
    /// Queue an event (never blocks).
    pub fn append(&self, kind: EventKind, at: Timestamp) {
        let name = kind.name();
        if self
            .tx
            .send(Request::Append(Entry::Own(Box::new(kind), at)))
            .is_err()
        {
            tracing::error!("the log writer has stopped; a {name} event was not written");
        }
    }

    /// Queue another responder's event from the shared timeline, in order
    /// with this session's own events (never blocks).
    pub fn merge(&self, event: Event) {
        if self
            .tx
            .send(Request::Append(Entry::Merged(Box::new(event))))
            .is_err()
        {
            tracing::error!("the log writer has stopped; a merged event was not written");
        }
    }

    /// Write everything queued, then stop. Whatever still cannot be
    /// written goes to a rescue copy, and the report says where.
    pub async fn close(self) -> Closed {
        let (done_tx, done_rx) = oneshot::channel();
        if self.tx.send(Request::Close(done_tx)).is_ok() {
            return done_rx.await.unwrap_or_default();
        }
        Closed::default()
    }

    /// Ask for a rescue copy of every event, saved or not.
    pub fn rescue(&self) -> Option<oneshot::Receiver<Rescue>> {
        let (tx, rx) = oneshot::channel();
        self.tx.send(Request::Rescue(tx)).ok()?;
        Some(rx)
    }
}

/// Start the writer thread. `history` is every event already in the log
/// (needed to rewrite it whole if a sync ever fails).
pub fn spawn(
    log: LogWriter,
    history: Vec<Event>,
) -> (WriterHandle, mpsc::UnboundedReceiver<WriterEvent>) {
    spawn_with(log, history, super::log::rescue_dirs())
}

/// [`spawn`], with the directories a rescue copy may go to.
pub fn spawn_with(
    log: LogWriter,
    history: Vec<Event>,
    rescue_dirs: Vec<std::path::PathBuf>,
) -> (WriterHandle, mpsc::UnboundedReceiver<WriterEvent>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let (report_tx, report_rx) = mpsc::unbounded_channel();
    let name = format!("log-writer {}", log.incident_id());
    let spawned = std::thread::Builder::new()
        .name(name)
        .spawn(move || run(log, history, rx, report_tx, rescue_dirs));
    if let Err(e) = spawned {
        tracing::error!("cannot start the log writer: {e}");
    }
    (WriterHandle { tx }, report_rx)
}

fn run(
    mut log: LogWriter,
    history: Vec<Event>,
    mut rx: mpsc::UnboundedReceiver<Request>,
    report: mpsc::UnboundedSender<WriterEvent>,
    dirs: Vec<std::path::PathBuf>,
) {
    // Events on disk (for a rewrite after a failed sync) and events not yet.
    let mut written: Vec<Event> = history;
    let mut pending: Vec<Entry> = Vec::new();
    let mut failed = false;
    let mut rescued: Option<std::path::PathBuf> = None;
    loop {
        let req = if failed && !pending.is_empty() {
            // Unsaved events: retry on our own every few seconds, so they
            // reach the disk (and the NOT SAVED banner clears) as soon as
            // there is room, not only when the next event comes.
            match wait_retrying(&mut rx, || {
                flush(&mut log, &mut written, &mut pending, &mut failed, &report);
                !failed
            }) {
                Waited::Request(r) => r,
                Waited::Saved => continue,
                Waited::Closed => break,
            }
        } else {
            match rx.blocking_recv() {
                Some(r) => r,
                None => break,
            }
        };
        let mut batch = vec![req];
        // Take the rest of a burst: one sync for all of it.
        while let Ok(more) = rx.try_recv() {
            batch.push(more);
        }
        let mut closing = None;
        let mut rescues = Vec::new();
        for r in batch {
            match r {
                Request::Append(entry) => pending.push(entry),
                Request::Rescue(reply) => rescues.push(reply),
                Request::Close(done) => closing = Some(done),
            }
        }
        flush(&mut log, &mut written, &mut pending, &mut failed, &report);
        if let Some(done) = closing {
            if !pending.is_empty() {
                // One more try before giving up on close.
                flush(&mut log, &mut written, &mut pending, &mut failed, &report);
            }
            let mut closed = Closed {
                unsaved: pending.len(),
                rescue: None,
                log: log.path().to_path_buf(),
            };
            if !pending.is_empty() {
                let r = rescue(&log, &written, &pending, &dirs, &mut rescued);
                closed.rescue = Some(r.result);
            }
            let _ = done.send(closed);
            return;
        }
        for reply in rescues {
            let _ = reply.send(rescue(&log, &written, &pending, &dirs, &mut rescued));
        }
    }
    flush(&mut log, &mut written, &mut pending, &mut failed, &report);
}

/// How often the writer retries unsaved events by itself.
const RETRY_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

enum Waited {
    Request(Request),
    Saved,
    Closed,
}

/// Wait for the next request, calling `retry` every [`RETRY_EVERY`] until
/// it reports everything saved.
fn wait_retrying(
    rx: &mut mpsc::UnboundedReceiver<Request>,
    mut retry: impl FnMut() -> bool,
) -> Waited {
    let step = std::time::Duration::from_millis(50);
    let mut waited = std::time::Duration::ZERO;
    loop {
        match rx.try_recv() {
            Ok(r) => return Waited::Request(r),
            Err(mpsc::error::TryRecvError::Disconnected) => return Waited::Closed,
            Err(mpsc::error::TryRecvError::Empty) => {}
        }
        std::thread::sleep(step);
        waited += step;
        if waited >= RETRY_EVERY {
            waited = std::time::Duration::ZERO;
            if retry() {
                return Waited::Saved;
            }
        }
    }
}

/// Write the whole history, saved and pending, to the session's rescue copy.
fn rescue(
    log: &LogWriter,
    written: &[Event],
    pending: &[Entry],
    dirs: &[std::path::PathBuf],
    rescued: &mut Option<std::path::PathBuf>,
) -> Rescue {
    let mut all = written.to_vec();
    let mut seq = written.last().map_or(1, |e| e.seq + 1);
    for entry in pending {
        all.push(match entry {
            Entry::Own(kind, at) => Event::new(seq, *at, (**kind).clone()),
            Entry::Merged(e) => Event {
                seq,
                ..(**e).clone()
            },
        });
        seq += 1;
    }
    let through_seq = seq - 1;
    let result = super::log::write_rescue(log.header(), &all, dirs, rescued.as_deref())
        .or_else(|_| super::log::write_rescue(log.header(), &all, dirs, None));
    match &result {
        Ok(p) => {
            tracing::warn!(
                "rescue copy of {} written to {}",
                log.incident_id(),
                p.display()
            );
            *rescued = Some(p.clone());
        }
        Err(e) => tracing::error!("cannot write a rescue copy: {e}"),
    }
    Rescue {
        result: result.map_err(|e| e.to_string()),
        unsaved: pending.len(),
        through_seq,
    }
}

fn flush(
    log: &mut LogWriter,
    written: &mut Vec<Event>,
    pending: &mut Vec<Entry>,
    failed: &mut bool,
    report: &mpsc::UnboundedSender<WriterEvent>,
) {
    if pending.is_empty() {
        return;
    }
    let items = std::mem::take(pending);
    let result = if *failed {
        // After a failed sync the old file cannot be trusted: rewrite the
        // whole history into a fresh one.
        log.rewrite(written, items.clone())
    } else {
        log.append_entries(items.clone())
    };
    match result {
        Ok(events) => {
            *failed = false;
            for e in &events {
                let _ = report.send(WriterEvent::Saved(Box::new(e.clone())));
            }
            written.extend(events);
        }
        Err(e) => {
            tracing::error!("incident log write failed: {e}");
            *failed = true;
            *pending = items;
            let _ = report.send(WriterEvent::Failed(e.to_string()));
        }
    }
}
