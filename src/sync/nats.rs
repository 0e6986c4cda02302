//! Talking to NATS: connect with the configured credentials, make sure the
//! stream exists, and the subject names.

use super::config::{Auth, SyncConfig};
use async_nats::jetstream;
use secrecy::ExposeSecret;
use std::time::Duration;

/// How long connecting may take before the server counts as unreachable.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long JetStream keeps message ids to drop duplicates (the engine also
/// drops them by event id, so this only saves work).
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(10 * 60);

/// Why the server could not be used.
#[derive(Debug, thiserror::Error)]
pub enum NatsError {
    /// A credential could not be read (a missing variable, an unreadable file).
    #[error("{0}")]
    Credential(String),
    /// The server could not be reached or refused the login.
    #[error("cannot reach the sync server {url}: {why}")]
    Unreachable {
        /// The configured address.
        url: String,
        /// What went wrong.
        why: String,
    },
    /// The server answered, but JetStream did not do what was asked.
    #[error("JetStream: {0}")]
    JetStream(String),
}

/// A subject token for a name: letters, digits, `-` and `_` as they are,
/// anything else as `_` and its hex code (a responder called `a.b` or
/// `*` must not change what a subject means).
pub fn token(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '-' {
            out.push(c);
        } else {
            out.push_str(&format!("_{:x}", u32::from(c)));
            out.push('_');
        }
    }
    if out.is_empty() {
        out.push_str("_anon");
    }
    out
}

/// The subject a responder's events of an incident go to.
pub fn event_subject(incident: &str, responder: &str) -> String {
    format!("mayday.incident.{}.{}", token(incident), token(responder))
}

/// Every responder's events of an incident.
pub fn incident_filter(incident: &str) -> String {
    format!("mayday.incident.{}.>", token(incident))
}

/// The subject of an incident's runbook copy (`md` or `yaml`).
pub fn runbook_subject(incident: &str, ext: &str) -> String {
    format!("mayday.runbook.{}.{ext}", token(incident))
}

/// The subject of an incident's header (the newest message is current).
pub fn header_subject(incident: &str) -> String {
    format!("mayday.header.{}", token(incident))
}

/// Publish acknowledgements awaited at most this many at a time behind the
/// newest publish. (The client holds back publishes past its own limit of
/// acks in flight; awaiting none until all are sent would wait forever
/// with a long queue.)
pub const ACK_WINDOW: usize = 256;

/// Publish `events` in order on `subject`, each with `Nats-Msg-Id` = its
/// id, with up to [`ACK_WINDOW`] acknowledgements in flight; `acked` is
/// called for each acknowledged event, in order. On failure: how many were
/// acknowledged, and why.
pub async fn publish_events<'a>(
    js: &jetstream::Context,
    subject: &str,
    events: impl IntoIterator<Item = &'a crate::incident::Event>,
    mut acked: impl FnMut(&'a crate::incident::Event),
) -> Result<(), (usize, String)> {
    let mut in_flight = std::collections::VecDeque::new();
    let mut done = 0usize;
    for e in events {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", e.id.as_str());
        let payload = serde_json::to_vec(e).unwrap_or_default();
        let ack = js
            .publish_with_headers(subject.to_owned(), headers, payload.into())
            .await
            .map_err(|err| (done, err.to_string()))?;
        in_flight.push_back((e, ack));
        if in_flight.len() >= ACK_WINDOW
            && let Some((e, ack)) = in_flight.pop_front()
        {
            ack.await.map_err(|err| (done, err.to_string()))?;
            done += 1;
            acked(e);
        }
    }
    while let Some((e, ack)) = in_flight.pop_front() {
        ack.await.map_err(|err| (done, err.to_string()))?;
        done += 1;
        acked(e);
    }
    Ok(())
}

/// Connect and open JetStream, creating the stream if it is not there.
pub async fn connect(
    cfg: &SyncConfig,
) -> Result<(jetstream::Context, jetstream::stream::Stream), NatsError> {
    let unreachable = |why: String| NatsError::Unreachable {
        url: cfg.url.clone(),
        why,
    };
    let mut opts = async_nats::ConnectOptions::new()
        .name("mayday")
        .connection_timeout(CONNECT_TIMEOUT)
        .max_reconnects(Some(1));
    opts = match &cfg.auth {
        Auth::None => opts,
        Auth::Token(c) => {
            let t = c
                .resolve()
                .map_err(NatsError::Credential)?
                .unwrap_or_default();
            opts.token(t.expose_secret().to_owned())
        }
        Auth::UserPassword(user, c) => {
            let p = c
                .resolve()
                .map_err(NatsError::Credential)?
                .unwrap_or_default();
            opts.user_and_password(user.clone(), p.expose_secret().to_owned())
        }
        Auth::CredsFile(path) => opts
            .credentials_file(path)
            .await
            .map_err(|e| NatsError::Credential(format!("creds_file {}: {e}", path.display())))?,
    };
    if let Some(ca) = &cfg.ca_file {
        opts = opts.add_root_certificates(ca.clone());
    }
    if cfg.url.starts_with("tls://") {
        opts = opts.require_tls(true);
    }
    let client = tokio::time::timeout(CONNECT_TIMEOUT, opts.connect(cfg.url.as_str()))
        .await
        .map_err(|_| unreachable(format!("no answer within {}s", CONNECT_TIMEOUT.as_secs())))?
        .map_err(|e| unreachable(e.to_string()))?;
    let js = jetstream::new(client);
    let subjects = ["mayday.incident.>", "mayday.runbook.>", "mayday.header.>"];
    let mut stream = js
        .get_or_create_stream(jetstream::stream::Config {
            name: cfg.stream.clone(),
            subjects: subjects.iter().map(|s| (*s).to_owned()).collect(),
            duplicate_window: DUPLICATE_WINDOW,
            ..Default::default()
        })
        .await
        .map_err(|e| NatsError::JetStream(format!("cannot open stream {}: {e}", cfg.stream)))?;
    // A stream made by an older Mayday (or by hand) may lack a subject:
    // add it rather than lose what goes there.
    let mut config = stream.cached_info().config.clone();
    let missing: Vec<&str> = subjects
        .iter()
        .copied()
        .filter(|s| !config.subjects.iter().any(|have| have == s))
        .collect();
    if !missing.is_empty() {
        config
            .subjects
            .extend(missing.iter().map(|s| (*s).to_owned()));
        js.update_stream(config).await.map_err(|e| {
            NatsError::JetStream(format!(
                "cannot add {} to stream {}: {e}",
                missing.join(", "),
                cfg.stream
            ))
        })?;
        stream = js
            .get_stream(cfg.stream.clone())
            .await
            .map_err(|e| NatsError::JetStream(e.to_string()))?;
    }
    Ok((js, stream))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cannot_change_what_a_subject_means() {
        assert_eq!(token("alice"), "alice");
        assert_eq!(token("a.b"), "a_2e_b");
        assert_eq!(token("*"), "_2a_");
        assert_eq!(token(">"), "_3e_");
        assert_eq!(token(""), "_anon");
        assert_eq!(
            event_subject("20261203-x", "bob smith"),
            "mayday.incident.20261203-x.bob_20_smith"
        );
        // Distinct names stay distinct.
        assert_ne!(token("a_2e_b"), token("a.b"));
    }
}
