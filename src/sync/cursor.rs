//! The sync cursor kept beside an incident's log (`<id>.sync.json`): the
//! last own record the server acknowledged, the last stream message
//! fetched, and which stream they refer to. Losing it only costs work.

use crate::incident::store;
use async_nats::jetstream;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Where sync stands for one incident.
#[derive(Serialize, Deserialize, Default, Debug, Clone)]
pub struct Cursor {
    /// The highest local seq of an own record the server acknowledged.
    pub published_through: u64,
    /// The highest stream sequence fetched.
    pub fetched_through: u64,
    /// When the stream was created (Unix nanoseconds), to notice a server
    /// whose store was wiped: then everything is published again.
    #[serde(default)]
    pub stream_created: i128,
    /// The stream was made anew and this log's whole timeline (others'
    /// events too) is being published again; cleared once all of it is.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub republish: bool,
}

impl Cursor {
    /// A stream other than the one this cursor counted in (the server's
    /// store was deleted and the stream made anew): start over, so every
    /// own event is published again and everything is fetched again (both
    /// de-duplicated by event id).
    ///
    /// Returns whether it started over: then every event this log has,
    /// others' included, is published again, so the new stream holds the
    /// whole timeline even if its other writers never come back.
    pub fn check_stream(&mut self, stream: &jetstream::stream::Stream) -> bool {
        let created = stream.cached_info().created.unix_timestamp_nanos();
        let reset = self.stream_created != 0 && self.stream_created != created;
        if reset {
            tracing::warn!(
                "sync: the stream was made anew since the last round; publishing everything again"
            );
            *self = Cursor {
                republish: true,
                ..Cursor::default()
            };
        }
        self.stream_created = created;
        reset
    }
}

/// Where the cursor of incident `id` is kept.
pub fn cursor_path(data_dir: &Path, id: &str) -> PathBuf {
    store::dir(data_dir).join(format!("{id}.sync.json"))
}

/// The cursor at `path` (a fresh one when missing or unreadable).
pub fn load_cursor(path: &Path) -> Cursor {
    std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// Save the cursor (write a copy, rename it over); a failure is logged.
pub fn save_cursor(path: &Path, c: &Cursor) {
    let tmp = path.with_extension("json.tmp");
    let result = serde_json::to_vec(c)
        .map_err(std::io::Error::other)
        .and_then(|b| std::fs::write(&tmp, b))
        .and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = result {
        // Only costs work next time: duplicates are dropped by id.
        tracing::warn!("cannot save the sync cursor {}: {e}", path.display());
    }
}
