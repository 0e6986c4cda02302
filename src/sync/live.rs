//! The TUI's sync: while an incident is open, a task keeps it shared —
//! publishes each own event once the log has saved it, streams the others'
//! events as they arrive, and says how the link stands (connected, offline
//! since when with how many events queued, catching up).
//!
//! The task owns its connection and talks to the app through channels of
//! owned values: own saved events in, [`LiveUpdate`]s out. Fetched events
//! are not written here: the app hands them to the log writer, so they are
//! numbered in order with its own events. Losing the connection only
//! queues: the task reconnects (1 s, 2 s, … 15 s apart) and publishes what
//! waited, in order; the server drops duplicates by `Nats-Msg-Id`.

use super::config::SyncConfig;
use super::cursor::{Cursor, cursor_path, load_cursor, save_cursor};
use super::nats;
use super::shared::{self, Header};
use crate::incident::Event;
use async_nats::jetstream;
use futures_util::{FutureExt, StreamExt};
use jiff::Timestamp;
use std::collections::{HashSet, VecDeque};
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::mpsc;

/// The longest wait between reconnection attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(15);
/// At most this many fetched events go to the app in one update.
const BATCH: usize = 500;

/// How the link to the sync server stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Link {
    /// Connecting for the first time.
    Connecting,
    /// Connected, reading what was missed (`left` messages to go).
    CatchingUp {
        /// Messages still to read.
        left: u64,
    },
    /// Connected and up to date.
    Connected,
    /// Cannot reach the server since `since`; retrying.
    Offline {
        /// When it was last reachable (or first tried).
        since: Timestamp,
        /// Why, the last time it was tried.
        why: String,
    },
}

/// What the task tells the app.
#[derive(Clone, Debug, PartialEq)]
pub enum LiveUpdate {
    /// The link changed; `queued` own events wait for the server.
    Link {
        /// How it stands.
        link: Link,
        /// Own events not yet acknowledged.
        queued: usize,
    },
    /// The server acknowledged own events up to this local `seq`: shared.
    Shared(u64),
    /// Other responders' events, in the order the server has them.
    Fetched(Vec<Event>),
}

enum In {
    Own(Box<Event>),
    Header(Box<Header>),
    /// The session is closing: publish what the log has that is not shared
    /// yet, then answer with what is still queued.
    Finish(tokio::sync::oneshot::Sender<usize>),
}

/// The app's end of the task; dropping it stops the task.
#[derive(Debug)]
pub struct LiveHandle {
    tx: mpsc::UnboundedSender<In>,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for In {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            In::Own(e) => write!(f, "Own({})", e.seq),
            In::Header(h) => write!(f, "Header({})", h.id),
            In::Finish(_) => write!(f, "Finish"),
        }
    }
}

impl LiveHandle {
    /// An own event the log has saved: publish it.
    pub fn share(&self, e: Event) {
        let _ = self.tx.send(In::Own(Box::new(e)));
    }

    /// The incident's header changed: publish it (newest wins).
    pub fn header(&self, h: Header) {
        let _ = self.tx.send(In::Header(Box::new(h)));
    }

    /// The session is closing (its log is closed): publish the own events
    /// the log has that the server has not acknowledged, waiting at most
    /// `patience`. Returns how many are still queued (`mayday sync` or the
    /// next session publishes them).
    pub async fn finish(self, patience: Duration) -> usize {
        let (tx, rx) = tokio::sync::oneshot::channel();
        if self.tx.send(In::Finish(tx)).is_err() {
            return 0;
        }
        tokio::time::timeout(patience, rx)
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or(usize::MAX)
    }
}

impl Drop for LiveHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Start keeping incident `id` shared as responder `me` (what it publishes
/// goes on `me`'s subject). `events` is every event the session has saved
/// (own ones past the cursor are published first; all of them are known,
/// so they are not fetched back).
pub fn spawn(
    cfg: SyncConfig,
    data_dir: PathBuf,
    id: String,
    me: String,
    events: &[Event],
    out: mpsc::UnboundedSender<LiveUpdate>,
) -> LiveHandle {
    let (tx, rx) = mpsc::unbounded_channel();
    let known: HashSet<String> = events.iter().map(|e| e.id.clone()).collect();
    let own: Vec<Event> = events
        .iter()
        .filter(|e| !e.merged && !e.id.is_empty())
        .cloned()
        .collect();
    let task = tokio::spawn(async move {
        let mut live = Live {
            cursor_file: cursor_path(&data_dir, &id),
            cursor: Cursor::default(),
            cfg,
            data_dir,
            id,
            me,
            own,
            queue: VecDeque::new(),
            known,
            header: None,
            fetched: 0,
            held: false,
            finishing: None,
            out,
        };
        live.cursor = load_cursor(&live.cursor_file);
        live.fetched = live.cursor.fetched_through;
        live.requeue();
        live.run(rx).await;
    });
    LiveHandle { tx, task }
}

struct Live {
    cfg: SyncConfig,
    data_dir: PathBuf,
    id: String,
    /// Who this side is (the subject it publishes on).
    me: String,
    cursor_file: PathBuf,
    cursor: Cursor,
    /// Every own event (to publish again if the server lost its store).
    own: Vec<Event>,
    /// Own events not yet acknowledged, in order.
    queue: VecDeque<Event>,
    /// Ids of every event this log has.
    known: HashSet<String>,
    /// The newest header, until it is published.
    header: Option<Header>,
    /// The last stream message read this session. Kept in memory only: the
    /// cursor file's is advanced by `mayday sync`, which writes what it
    /// reads itself; here the app's writer does, and a crash in between
    /// must not skip anything (reading again is dropped by event id).
    fetched: u64,
    /// The link came up this attempt.
    held: bool,
    /// A closing session waits for the queue to drain.
    finishing: Option<tokio::sync::oneshot::Sender<usize>>,
    out: mpsc::UnboundedSender<LiveUpdate>,
}

impl Live {
    fn requeue(&mut self) {
        let through = self.cursor.published_through;
        self.queue = self
            .own
            .iter()
            .filter(|e| e.seq > through)
            .cloned()
            .collect();
    }

    fn say(&self, link: Link) -> bool {
        self.out
            .send(LiveUpdate::Link {
                link,
                queued: self.queue.len(),
            })
            .is_ok()
    }

    fn take(&mut self, msg: In) {
        match msg {
            In::Own(e) => self.add_own(*e),
            In::Header(h) => self.header = Some(*h),
            In::Finish(reply) => {
                self.read_back();
                self.finishing = Some(reply);
            }
        }
    }

    fn add_own(&mut self, e: Event) {
        // Own events come in `seq` order: one already here is not again.
        if e.merged || e.id.is_empty() || self.own.last().is_some_and(|o| o.seq >= e.seq) {
            return;
        }
        self.known.insert(e.id.clone());
        if e.seq > self.cursor.published_through {
            self.queue.push_back(e.clone());
        }
        self.own.push(e);
    }

    /// Every event of the log past the cursor, in its order (a republish).
    fn queue_everything(&mut self) {
        let path = crate::incident::store::log_path(&self.data_dir, &self.id);
        match crate::incident::log::read(&path) {
            Ok(read) => {
                let through = self.cursor.published_through;
                self.queue = read
                    .events
                    .into_iter()
                    .filter(|e| e.seq > through)
                    .collect();
            }
            Err(e) => tracing::warn!(
                "sync: cannot read {} to publish it again: {e}",
                path.display()
            ),
        }
    }

    /// Own events the log has that were never handed over (written as the
    /// session closed).
    fn read_back(&mut self) {
        let path = crate::incident::store::log_path(&self.data_dir, &self.id);
        if let Ok(read) = crate::incident::log::read(&path) {
            let last = self.own.last().map_or(0, |e| e.seq);
            for e in read.events.into_iter().filter(|e| e.seq > last) {
                self.add_own(e);
            }
        }
    }

    /// Answer a pending `finish` once nothing is queued (or when offline).
    fn answer_finish(&mut self, offline: bool) {
        if (offline || self.queue.is_empty())
            && let Some(reply) = self.finishing.take()
        {
            let _ = reply.send(self.queue.len());
        }
    }

    async fn run(&mut self, mut rx: mpsc::UnboundedReceiver<In>) {
        let mut backoff = Duration::from_secs(1);
        let mut offline_since: Option<Timestamp> = None;
        if !self.say(Link::Connecting) {
            return;
        }
        let mut waiting = Link::Connecting;
        loop {
            self.held = false;
            let why = match self.connected(&mut rx, &waiting).await {
                Ok(()) => return, // the app is gone
                Err(why) => why,
            };
            tracing::warn!("sync {}: {why}", self.id);
            if self.held {
                // It was up: a fresh outage, retried soon.
                backoff = Duration::from_secs(1);
                offline_since = None;
            }
            let since = *offline_since.get_or_insert_with(Timestamp::now);
            waiting = Link::Offline {
                since,
                why: String::new(),
            };
            self.answer_finish(true);
            if !self.say(Link::Offline { since, why }) {
                return;
            }
            // Wait, still taking own events (they queue).
            let sleep = tokio::time::sleep(backoff);
            tokio::pin!(sleep);
            loop {
                tokio::select! {
                    () = &mut sleep => break,
                    msg = rx.recv() => match msg {
                        Some(m) => {
                            self.take(m);
                            self.answer_finish(true);
                            if !self.say(Link::Offline { since, why: String::new() }) {
                                return;
                            }
                        }
                        None => return,
                    },
                }
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    /// Connect, publish what is queued, then stream. Returns `Ok` when the
    /// app went away, `Err(why)` when the link broke.
    /// While connecting (up to its timeout) own events still queue, and
    /// the count the app shows follows them (`waiting` is the link to say).
    async fn connected(
        &mut self,
        rx: &mut mpsc::UnboundedReceiver<In>,
        waiting: &Link,
    ) -> Result<(), String> {
        let cfg = self.cfg.clone();
        let connecting = nats::connect(&cfg);
        tokio::pin!(connecting);
        let (js, stream) = loop {
            tokio::select! {
                r = &mut connecting => break r.map_err(|e| e.to_string())?,
                msg = rx.recv() => {
                    let Some(m) = msg else { return Ok(()) };
                    self.take(m);
                    if !self.say(waiting.clone()) {
                        return Ok(());
                    }
                }
            }
        };
        if self.cursor.check_stream(&stream) {
            // The server lost its store: read everything again.
            self.fetched = 0;
        }
        if self.cursor.republish {
            // ... and publish every event this log has, others' too, so the
            // new stream is whole even if they never come back.
            self.queue_everything();
        }
        self.publish_queue(&js).await?;
        super::engine::publish_runbook_copy(&js, &self.data_dir, &self.id).await;
        let start = self.fetched;
        let consumer = stream
            .create_consumer(jetstream::consumer::pull::Config {
                filter_subject: nats::incident_filter(&self.id),
                deliver_policy: match start {
                    0 => jetstream::consumer::DeliverPolicy::All,
                    n => jetstream::consumer::DeliverPolicy::ByStartSequence {
                        start_sequence: n + 1,
                    },
                },
                ack_policy: jetstream::consumer::AckPolicy::None,
                inactive_threshold: Duration::from_secs(60),
                ..Default::default()
            })
            .await
            .map_err(|e| e.to_string())?;
        let mut left = consumer.cached_info().num_pending;
        let mut messages = consumer
            .stream()
            .max_messages_per_batch(BATCH)
            .heartbeat(Duration::from_secs(2))
            .expires(Duration::from_secs(10))
            .messages()
            .await
            .map_err(|e| e.to_string())?;
        self.held = true;
        if !self.say(if left > 0 {
            Link::CatchingUp { left }
        } else {
            Link::Connected
        }) {
            return Ok(());
        }
        let client = js.client();
        let mut check = tokio::time::interval(Duration::from_secs(1));
        loop {
            if let Some(h) = self.header.take()
                && let Err(e) = shared::publish(&js, &h).await
            {
                self.header = Some(h);
                return Err(e.to_string());
            }
            tokio::select! {
                msg = rx.recv() => {
                    let Some(m) = msg else { return Ok(()) };
                    self.take(m);
                    while let Ok(m) = rx.try_recv() {
                        self.take(m);
                    }
                    self.publish_queue(&js).await?;
                    self.answer_finish(false);
                }
                m = messages.next() => {
                    let first = match m {
                        Some(Ok(m)) => m,
                        Some(Err(e)) => return Err(e.to_string()),
                        None => return Err("the server ended the stream".into()),
                    };
                    let mut batch = vec![first];
                    while batch.len() < BATCH {
                        match messages.next().now_or_never() {
                            Some(Some(Ok(m))) => batch.push(m),
                            Some(Some(Err(e))) => return Err(e.to_string()),
                            _ => break,
                        }
                    }
                    let read = batch.len() as u64;
                    let mut fetched = Vec::new();
                    for m in batch {
                        if let Ok(info) = m.info() {
                            self.fetched = self.fetched.max(info.stream_sequence);
                        }
                        match serde_json::from_slice::<Event>(&m.payload) {
                            Ok(e) if !e.id.is_empty() && self.known.insert(e.id.clone()) => {
                                fetched.push(e);
                            }
                            Ok(_) => {}
                            Err(e) => tracing::warn!("sync: skipped a message that is not an event: {e}"),
                        }
                    }
                    if !fetched.is_empty() && self.out.send(LiveUpdate::Fetched(fetched)).is_err() {
                        return Ok(());
                    }
                    if left > 0 {
                        left = left.saturating_sub(read);
                        let link = if left > 0 { Link::CatchingUp { left } } else { Link::Connected };
                        if !self.say(link) {
                            return Ok(());
                        }
                    }
                }
                _ = check.tick() => {
                    if client.connection_state() != async_nats::connection::State::Connected {
                        return Err("lost the connection to the sync server".into());
                    }
                }
            }
        }
    }

    /// Publish every queued own event, in order; each acknowledged one is
    /// reported shared and counted in the cursor.
    async fn publish_queue(&mut self, js: &jetstream::Context) -> Result<(), String> {
        if self.queue.is_empty() {
            return Ok(());
        }
        let batch: Vec<Event> = self.queue.iter().cloned().collect();
        let subject = nats::event_subject(&self.id, &self.me);
        let mut shared = Vec::new();
        let sent = nats::publish_events(js, &subject, &batch, |e| shared.push(e.seq)).await;
        for seq in shared {
            self.queue.pop_front();
            self.cursor.published_through = seq;
            let _ = self.out.send(LiveUpdate::Shared(seq));
        }
        if let Err((_, why)) = sent {
            save_cursor(&self.cursor_file, &self.cursor);
            return Err(why);
        }
        if self.queue.is_empty() {
            self.cursor.republish = false;
        }
        save_cursor(&self.cursor_file, &self.cursor);
        Ok(())
    }
}
