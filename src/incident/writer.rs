//! The log writer: a thread that owns the incident's `LogWriter`, takes
//! owned events from a channel, writes and syncs them (a burst in one
//! write), and reports each one saved — or the failure. Closing waits until
//! everything queued is on disk.

use super::event::{Event, EventKind};
use super::log::LogWriter;
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
    Append(Box<EventKind>, Timestamp),
    Close(oneshot::Sender<()>),
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
        if self.tx.send(Request::Append(Box::new(kind), at)).is_err() {
            tracing::error!("the log writer has stopped; a {name} event was not written");
        }
    }

    /// Write everything queued, then stop.
    pub async fn close(self) {
        let (done_tx, done_rx) = oneshot::channel();
        if self.tx.send(Request::Close(done_tx)).is_ok() {
            let _ = done_rx.await;
        }
    }
}

/// Start the writer thread. `history` is every event already in the log
/// (needed to rewrite it whole if a sync ever fails).
pub fn spawn(
    log: LogWriter,
    history: Vec<Event>,
) -> (WriterHandle, mpsc::UnboundedReceiver<WriterEvent>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let (report_tx, report_rx) = mpsc::unbounded_channel();
    let name = format!("log-writer {}", log.incident_id());
    let spawned = std::thread::Builder::new()
        .name(name)
        .spawn(move || run(log, history, rx, report_tx));
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
) {
    // Events on disk (for a rewrite after a failed sync) and events not yet.
    let mut written: Vec<Event> = history;
    let mut pending: Vec<(EventKind, Timestamp)> = Vec::new();
    let mut failed = false;
    let mut closing: Option<oneshot::Sender<()>> = None;
    while let Some(req) = rx.blocking_recv() {
        let mut batch = vec![req];
        // Take the rest of a burst: one sync for all of it.
        while let Ok(more) = rx.try_recv() {
            batch.push(more);
        }
        for r in batch {
            match r {
                Request::Append(kind, at) => pending.push((*kind, at)),
                Request::Close(done) => closing = Some(done),
            }
        }
        flush(&mut log, &mut written, &mut pending, &mut failed, &report);
        if let Some(done) = closing.take() {
            if !pending.is_empty() {
                // One more try before giving up on close.
                flush(&mut log, &mut written, &mut pending, &mut failed, &report);
            }
            let _ = done.send(());
            return;
        }
    }
    flush(&mut log, &mut written, &mut pending, &mut failed, &report);
}

fn flush(
    log: &mut LogWriter,
    written: &mut Vec<Event>,
    pending: &mut Vec<(EventKind, Timestamp)>,
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
        log.append_batch(items.clone())
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
