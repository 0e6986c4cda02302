//! Incident headers: what others need to find a shared incident (id,
//! title, runbook, severity, state, responders, commander) without reading
//! its timeline. Each responder publishes the header as they know it on
//! `mayday.header.<id>`; the newest message is the current one.

use super::config::SyncConfig;
use super::nats::{self, NatsError};
use crate::incident::{Incident, Phase};
use crate::runbook::Severity;
use async_nats::jetstream;
use futures_util::StreamExt;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// A shared incident, as the picker and `mayday incidents` list it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// The incident's id.
    pub id: String,
    /// The runbook's title.
    pub title: String,
    /// The runbook's id.
    pub runbook_id: String,
    /// The current severity.
    pub severity: Severity,
    /// Open, mitigated or resolved.
    pub state: Phase,
    /// Everyone on it so far.
    pub responders: Vec<String>,
    /// The incident commander, if someone took the role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commander: Option<String>,
    /// When it started.
    pub started_at: Timestamp,
    /// A game-day rehearsal.
    #[serde(default)]
    pub rehearsal: bool,
}

impl Header {
    /// The header of a replayed incident.
    pub fn of(inc: &Incident) -> Header {
        Header {
            id: inc.id.clone(),
            title: inc.runbook_title.clone(),
            runbook_id: inc.runbook_id.clone(),
            severity: inc.severity,
            state: inc.phase,
            responders: inc.responders.clone(),
            commander: inc.commander().map(str::to_owned),
            started_at: inc.started_at,
            rehearsal: inc.rehearsal,
        }
    }
}

/// Publish a header (the newest one wins).
pub async fn publish(js: &jetstream::Context, h: &Header) -> Result<(), NatsError> {
    let payload = serde_json::to_vec(h).map_err(|e| NatsError::JetStream(e.to_string()))?;
    js.publish(nats::header_subject(&h.id), payload.into())
        .await
        .map_err(|e| NatsError::JetStream(e.to_string()))?
        .await
        .map_err(|e| NatsError::JetStream(e.to_string()))?;
    Ok(())
}

/// Every shared incident's header, newest first. Headers that do not
/// parse are skipped (and logged).
pub async fn list(cfg: &SyncConfig) -> Result<Vec<Header>, NatsError> {
    let (_, stream) = nats::connect(cfg).await?;
    let js_err = |e: &dyn std::fmt::Display| NatsError::JetStream(e.to_string());
    let mut subjects = Vec::new();
    {
        let mut info = stream
            .info_with_subjects("mayday.header.*")
            .await
            .map_err(|e| js_err(&e))?;
        while let Some(item) = info.next().await {
            subjects.push(item.map_err(|e| js_err(&e))?.0);
        }
    }
    let mut out = Vec::new();
    for subject in subjects {
        let m = match stream.get_last_raw_message_by_subject(&subject).await {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!("sync: cannot read {subject}: {e}");
                continue;
            }
        };
        match serde_json::from_slice::<Header>(&m.payload) {
            Ok(h) if nats::header_subject(&h.id) == subject => out.push(h),
            Ok(_) => tracing::warn!("sync: {subject} names another incident; skipped"),
            Err(e) => tracing::warn!("sync: {subject} is not a header: {e}"),
        }
    }
    out.sort_by(|a, b| b.started_at.cmp(&a.started_at).then(a.id.cmp(&b.id)));
    Ok(out)
}
