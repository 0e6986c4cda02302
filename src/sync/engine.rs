//! One sync round for one incident: publish what this log wrote that the
//! server has not acknowledged, fetch what the others wrote, append it.
//!
//! A cursor beside the log (`<id>.sync.json`) remembers the last own
//! record acknowledged and the last stream message fetched. Losing it only
//! costs work: publishing again is dropped as a duplicate (`Nats-Msg-Id` =
//! the event id) and fetching again is dropped by event id.

use super::config::SyncConfig;
use super::cursor::{cursor_path, load_cursor, save_cursor};
use super::nats::{self, NatsError};
use crate::incident::log::{LogError, LogWriter};
use crate::incident::{Event, EventKind, store};
use async_nats::jetstream;
use futures_util::StreamExt;
use std::collections::{BTreeSet, HashSet};
use std::path::Path;
use std::time::Duration;

/// How long one batch request waits for its messages.
const PATIENCE: Duration = Duration::from_secs(10);
/// Messages asked for at a time.
const BATCH: usize = 500;

/// What one round did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Own events the server acknowledged this round.
    pub published: usize,
    /// Others' events appended to the local log.
    pub fetched: usize,
    /// Own events still not acknowledged.
    pub queued: usize,
    /// The local log was created from the shared timeline (joined).
    pub joined: bool,
    /// Who the fetched events were by.
    pub from: BTreeSet<String>,
}

/// Why a round could not finish.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The server could not be used; `queued` own events wait for it.
    #[error("{source} ({queued} event(s) queued)")]
    Server {
        /// What went wrong.
        source: NatsError,
        /// Own events not yet acknowledged.
        queued: usize,
    },
    /// The local log could not be read or written.
    #[error(transparent)]
    Log(#[from] LogError),
    /// Neither a local log nor a shared timeline has this incident.
    #[error("no incident `{0}` here or on the sync server")]
    Unknown(String),
}

/// One round for incident `id` in `data_dir` (see the module docs). A
/// local log held by a running session is waited for briefly, then
/// reported as [`LogError::Locked`].
///
/// `me` is who this side is: what it publishes goes on `me`'s subject
/// (the only one a NATS account may let it write), each event still saying
/// who it is by.
pub async fn sync_incident(
    cfg: &SyncConfig,
    data_dir: &Path,
    id: &str,
    me: &str,
) -> Result<Report, SyncError> {
    let path = store::log_path(data_dir, id);
    let cursor_file = cursor_path(data_dir, id);
    let mut cursor = load_cursor(&cursor_file);
    let mut local = if path.exists() {
        let (w, rec) = LogWriter::open_append_waiting(&path, Duration::from_secs(2))?;
        Some((w, rec.events))
    } else {
        None
    };
    let queued_now = |events: &[Event], through: u64| {
        events
            .iter()
            .filter(|e| !e.merged && e.seq > through)
            .count()
    };
    let (js, stream) = match nats::connect(cfg).await {
        Ok(s) => s,
        Err(source) => {
            let queued = local
                .as_ref()
                .map_or(0, |(_, ev)| queued_now(ev, cursor.published_through));
            return Err(SyncError::Server { source, queued });
        }
    };
    cursor.check_stream(&stream);
    let republish = cursor.republish;
    let client_err = |e: &dyn std::fmt::Display, queued| SyncError::Server {
        source: NatsError::JetStream(e.to_string()),
        queued,
    };
    let mut report = Report::default();

    // Publish: own records the server has not acknowledged, in order.
    if let Some((_, events)) = &local {
        let own: Vec<&Event> = events
            .iter()
            .filter(|e| (republish || !e.merged) && e.seq > cursor.published_through)
            .collect();
        let total = own.len();
        let sent = nats::publish_events(&js, &nats::event_subject(id, me), own, |e| {
            cursor.published_through = e.seq;
            report.published += 1;
        })
        .await;
        if let Err((acked, why)) = sent {
            save_cursor(&cursor_file, &cursor);
            return Err(client_err(&why, total - acked));
        }
        cursor.republish = false;
        save_cursor(&cursor_file, &cursor);
        publish_runbook_copy(&js, data_dir, id).await;
    }

    // Fetch: everything on the incident's subjects after the cursor.
    let mut known: HashSet<String> = local
        .as_ref()
        .map(|(_, ev)| ev.iter().map(|e| e.id.clone()).collect())
        .unwrap_or_default();
    let deliver = match cursor.fetched_through {
        0 => jetstream::consumer::DeliverPolicy::All,
        n => jetstream::consumer::DeliverPolicy::ByStartSequence {
            start_sequence: n + 1,
        },
    };
    // A short-lived pull consumer (no acks, gone a minute after this round):
    // batches are asked for, so a slow server is waited for rather than
    // mistaken for an empty timeline, and the count of what is left says
    // when everything is read.
    let mut consumer = stream
        .create_consumer(jetstream::consumer::pull::Config {
            filter_subject: nats::incident_filter(id),
            deliver_policy: deliver,
            ack_policy: jetstream::consumer::AckPolicy::None,
            inactive_threshold: Duration::from_secs(60),
            ..Default::default()
        })
        .await
        .map_err(|e| client_err(&e, 0))?;
    let mut new: Vec<Event> = Vec::new();
    let mut last_stream_seq = cursor.fetched_through;
    let mut waiting = consumer.cached_info().num_pending;
    let started = std::time::Instant::now();
    while waiting > 0 {
        if started.elapsed() > PATIENCE * 6 {
            return Err(client_err(&"fetching took more than a minute", 0));
        }
        let mut batch = consumer
            .fetch()
            .max_messages(BATCH)
            .expires(PATIENCE)
            .messages()
            .await
            .map_err(|e| client_err(&e, 0))?;
        while let Some(m) = batch.next().await {
            let m = m.map_err(|e| client_err(&e, 0))?;
            if let Ok(i) = m.info() {
                last_stream_seq = last_stream_seq.max(i.stream_sequence);
            }
            match serde_json::from_slice::<Event>(&m.payload) {
                Ok(e) if !e.id.is_empty() && known.insert(e.id.clone()) => new.push(e),
                Ok(_) => {}
                Err(err) => tracing::warn!("sync: skipped a message that is not an event: {err}"),
            }
        }
        waiting = consumer
            .info()
            .await
            .map_err(|e| client_err(&e, 0))?
            .num_pending;
    }

    // Append what is new (or start the local log from it: joined).
    if !new.is_empty() {
        report.from = new.iter().map(|e| e.by.clone()).collect();
        match &mut local {
            Some((w, _)) => {
                report.fetched = w.append_merged(new)?.len();
            }
            None => {
                // Its first event, wherever the stream has it (after a lost
                // store, others may have published again before its author).
                let Some(at) = new
                    .iter()
                    .position(|e| matches!(e.kind, EventKind::IncidentStarted { .. }))
                else {
                    return Err(SyncError::Unknown(id.to_owned()));
                };
                let first = new.remove(at);
                std::fs::create_dir_all(store::dir(data_dir)).map_err(|source| LogError::Io {
                    path: store::dir(data_dir),
                    source,
                })?;
                fetch_runbook_copy(&stream, data_dir, id).await;
                let mut first = first;
                first.merged = true;
                let (mut w, _) = LogWriter::create_with(&path, id, first)?;
                report.fetched = 1 + w.append_merged(new)?.len();
                report.joined = true;
            }
        }
    } else if local.is_none() {
        return Err(SyncError::Unknown(id.to_owned()));
    }
    cursor.fetched_through = last_stream_seq;
    save_cursor(&cursor_file, &cursor);
    publish_header(&js, &path).await;
    report.queued = local
        .as_ref()
        .map_or(0, |(_, ev)| queued_now(ev, cursor.published_through));
    Ok(report)
}

/// Tell others about the incident as this log has it (its header).
async fn publish_header(js: &jetstream::Context, path: &Path) {
    let Ok(read) = crate::incident::log::read(path) else {
        return;
    };
    let events = crate::incident::timeline::order(read.events);
    if let Some(inc) = crate::incident::Incident::replay(&events)
        && let Err(e) = super::shared::publish(js, &super::shared::Header::of(&inc)).await
    {
        tracing::warn!("sync: the header of {} was not shared: {e}", inc.id);
    }
}

/// The runbook copy goes with the timeline once (a joining responder sees
/// the version the incident started with).
pub(super) async fn publish_runbook_copy(js: &jetstream::Context, data_dir: &Path, id: &str) {
    for ext in ["md", "yaml"] {
        let path = store::dir(data_dir).join(format!("{id}.runbook.{ext}"));
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", format!("runbook-{id}").as_str());
        let sent = js
            .publish_with_headers(nats::runbook_subject(id, ext), headers, bytes.into())
            .await;
        if let Ok(ack) = sent
            && ack.await.is_ok()
        {
            return;
        }
        tracing::warn!("sync: the runbook copy of {id} was not shared");
    }
}

async fn fetch_runbook_copy(stream: &jetstream::stream::Stream, data_dir: &Path, id: &str) {
    for ext in ["md", "yaml"] {
        if let Ok(m) = stream
            .get_last_raw_message_by_subject(&nats::runbook_subject(id, ext))
            .await
        {
            let path = store::dir(data_dir).join(format!("{id}.runbook.{ext}"));
            let _ = std::fs::create_dir_all(store::dir(data_dir));
            if let Err(e) = std::fs::write(&path, &m.payload) {
                tracing::warn!("sync: cannot keep the runbook copy of {id}: {e}");
            }
            return;
        }
    }
}
