//! Live status: sources from the config file, polled in the background, each
//! turned into a [`Snapshot`] the UI draws.
//!
//! - [`source`] reads the `sources:` list of the config file into
//!   [`SourceConfig`] values and resolves tokens into secrets.
//! - [`parse`] holds the pure functions that turn one HTTP response of one
//!   provider into a [`Reading`] (state, summary, items, firing alerts). They
//!   need no server, so they are unit-tested and benchmarked directly.
//! - [`fetch`] is the HTTP layer: one shared client, per-request timeout, a
//!   body size cap, retries with backoff, `Retry-After` and rate-limit
//!   headers, paging.
//! - [`poller`] runs one task per source and sends owned [`Update`] values
//!   down a channel; [`StatusHandle`] asks for a poll now or shuts them down.
//! - [`report`] is `mayday status`: a table or JSON, and its exit code.
//!
//! Updates need not come from HTTP: a game-day script can build
//! [`Snapshot`]s itself ([`Snapshot::simulated`]) and send them down the same
//! channel.

pub mod call;
pub mod fetch;
pub mod health;
pub mod parse;
pub mod poller;
pub mod query;
pub mod ratelimit;
pub mod report;
pub mod rules;
pub mod source;

pub use call::{Call, Reply};
pub use parse::Reading;
pub use poller::{PollTarget, StatusHandle, spawn};
pub use source::{Credential, Kind, PagerdutySpec, SourceConfig, Spec, capture_env_tokens};

use crate::status::health::Health;
use crate::util::sanitize;
use serde::Serialize;
use std::time::Duration;

/// At most this many items are kept per snapshot; the rest are summed up in
/// one note item at the end.
pub const MAX_ITEMS: usize = 200;

/// The summary of a source not polled yet.
pub const PENDING: &str = "waiting for the first poll";

/// What one source said at one time: everything the status panel draws.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Snapshot {
    /// The source's name from the config file.
    pub name: String,
    /// What kind of source it is.
    pub kind: Kind,
    /// The worst of the items, or `unknown` when the poll failed.
    pub state: Health,
    /// A short line: "3 firing", "HTTP 200 in 212 ms", "14 unresolved", "all 12 up".
    pub summary: String,
    /// When this snapshot was taken (or, for a failed poll, when it failed).
    pub checked_at: jiff::Timestamp,
    /// How long the (first) request took; `None` when there was no answer.
    pub latency_ms: Option<u64>,
    /// Why the poll failed (the last good data is kept, marked stale).
    pub error: Option<String>,
    /// The items and summary are from an earlier, successful poll.
    pub stale: bool,
    /// Monitors, components, issues or alerts, worst first.
    pub items: Vec<Item>,
    /// Firing alerts (prometheus and alertmanager sources): what the
    /// runbook picker suggests under "firing now".
    pub alerts: Vec<FiringAlert>,
    /// Alerts that fire but are silenced or inhibited in Alertmanager:
    /// someone has them in hand, so the picker does not offer them, but
    /// they are never an all-clear.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suppressed: Vec<FiringAlert>,
    /// The silences those alerts are silenced by (who, until when, why).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub silences: Vec<Silence>,
}

/// One thing a source watches: a monitor, a component, an issue, an alert.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Item {
    /// The item's name (monitor, component, issue title, alert name).
    pub name: String,
    /// Its state.
    pub state: Health,
    /// One line: "critical · since 2026-03-01T03:12:09Z · error rate 12%".
    pub detail: String,
    /// A link to open (issue permalink, runbook URL, monitored URL).
    pub url: Option<String>,
}

/// A firing alert from Prometheus or Alertmanager.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FiringAlert {
    /// The alert's name (the `alertname` label).
    pub alertname: String,
    /// Its `severity` label.
    pub severity: Option<String>,
    /// Its `runbook_url` annotation.
    pub runbook_url: Option<String>,
    /// Its `summary` (or `description`) annotation.
    pub summary: Option<String>,
    /// When it started firing (`activeAt` / `startsAt`).
    pub since: Option<jiff::Timestamp>,
    /// Every label (the alert's context: namespace, pod, …).
    pub labels: std::collections::BTreeMap<String, String>,
    /// Every annotation.
    pub annotations: std::collections::BTreeMap<String, String>,
    /// Alertmanager's fingerprint, where the source has one.
    pub fingerprint: Option<String>,
    /// The silences that silence it (Alertmanager), by id.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub silenced_by: Vec<String>,
    /// The alerts that inhibit it (Alertmanager), by fingerprint.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub inhibited_by: Vec<String>,
    /// The page this alert came from (a paging source such as PagerDuty).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<Box<Page>>,
}

/// An Alertmanager silence.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Silence {
    /// Its id.
    pub id: String,
    /// Who created it.
    pub created_by: String,
    /// Why.
    pub comment: String,
    /// When it ends.
    pub ends_at: Option<jiff::Timestamp>,
}

/// A page (an incident of a paging tool such as PagerDuty): what a
/// responder was paged for.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Page {
    /// The paging tool's id of it (`PT4KHLK`).
    pub id: String,
    /// Its number (`#1234`).
    pub number: u64,
    /// Its title.
    pub title: String,
    /// Where it is in the paging tool's web UI.
    pub html_url: String,
    /// `high` or `low`.
    pub urgency: String,
    /// The service it belongs to.
    pub service: String,
    /// `triggered` or `acknowledged`.
    pub status: String,
    /// Who it is assigned to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assignees: Vec<String>,
}

/// A new snapshot for a source: what the status tasks send to the UI.
#[derive(Clone, Debug, PartialEq)]
pub struct Update {
    /// The source's name.
    pub source: String,
    /// What it said.
    pub snapshot: Snapshot,
}

impl Update {
    /// The update carrying this snapshot.
    pub fn new(snapshot: Snapshot) -> Update {
        Update {
            source: snapshot.name.clone(),
            snapshot,
        }
    }
}

/// Why a poll failed. The message is what the user sees (as `error`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PollError {
    #[error("connection failed: {0}")]
    /// The connection could not be made (refused, DNS, TLS).
    Connect(String),
    #[error("no answer within {}", crate::util::duration::format(*.0))]
    /// No answer within the source's timeout.
    Timeout(Duration),
    #[error("request failed: {0}")]
    /// The request failed on the way.
    Request(String),
    #[error("HTTP {status}: the token was refused; check token_env/token_file and its permissions{}", detail_suffix(.detail))]
    /// The token was refused (401 or 403).
    Unauthorized {
        /// The HTTP status (401 or 403).
        status: u16,
        /// What the API said, if anything.
        detail: Option<String>,
    },
    #[error("HTTP 404 Not Found: check the url{}{}", .hint, detail_suffix(.detail))]
    /// The URL (or the slug, project…) does not exist.
    NotFound {
        /// What to check, for this kind of source.
        hint: &'static str,
        /// What the API said, if anything.
        detail: Option<String>,
    },
    #[error("rate limited (HTTP {status}){}", retry_suffix(.retry_after))]
    /// Too many requests: the source waits before the next poll.
    RateLimited {
        /// The HTTP status (429 or 503).
        status: u16,
        /// How long the API asked us to wait.
        retry_after: Option<Duration>,
    },
    #[error("HTTP {status}{}", detail_suffix(.detail))]
    /// Any other unexpected HTTP status.
    Status {
        /// The HTTP status.
        status: u16,
        /// What the API said, if anything.
        detail: Option<String>,
    },
    #[error("response larger than {} KiB: not read", .0 / 1024)]
    /// The body was larger than the cap (in bytes); not read.
    TooLarge(usize),
    #[error("unexpected response: {0}")]
    /// The body was not what the API documents.
    Malformed(String),
    #[error("the API reported an error: {0}")]
    /// The API answered with an error message.
    Api(String),
    #[error("{0}")]
    /// The token could not be read (a missing variable, an unreadable file).
    Token(String),
    #[error("HTTP client unavailable: {0}")]
    /// The HTTP client could not be built.
    Client(String),
}

fn detail_suffix(d: &Option<String>) -> String {
    d.as_deref().map_or(String::new(), |d| format!(" ({d})"))
}

fn retry_suffix(d: &Option<Duration>) -> String {
    d.map_or(String::new(), |d| {
        format!(", retry after {}", crate::util::duration::format(d))
    })
}

impl PollError {
    /// How long the server asked us to wait, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            PollError::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

impl Snapshot {
    /// Build a snapshot from a reading: sanitizes every text that came from
    /// the network, sorts items worst first and caps them at [`MAX_ITEMS`].
    pub fn from_reading(
        name: &str,
        kind: Kind,
        reading: Reading,
        checked_at: jiff::Timestamp,
        latency: Option<Duration>,
    ) -> Snapshot {
        let Reading {
            state,
            summary,
            mut items,
            alerts,
            suppressed,
            silences,
            error,
        } = reading;
        for it in &mut items {
            clean(&mut it.name);
            clean(&mut it.detail);
            if let Some(u) = &mut it.url {
                clean(u);
            }
        }
        // Worst first; the order within one state is the provider's.
        items.sort_by_key(|i| std::cmp::Reverse(i.state.badness()));
        if items.len() > MAX_ITEMS {
            let dropped = items.split_off(MAX_ITEMS);
            let worst = dropped.iter().fold(Health::Up, |w, i| w.worst(i.state));
            items.push(Item {
                name: format!("… {} more", dropped.len()),
                state: worst,
                detail: format!("only the first {MAX_ITEMS} items are kept"),
                url: None,
            });
        }
        let alerts = alerts.into_iter().map(clean_alert).collect();
        let suppressed = suppressed.into_iter().map(clean_alert).collect();
        let silences = silences
            .into_iter()
            .map(|mut s| {
                clean(&mut s.id);
                clean(&mut s.created_by);
                clean(&mut s.comment);
                s
            })
            .collect();
        let mut summary = summary;
        clean(&mut summary);
        let error = error.map(|mut e| {
            clean(&mut e);
            e
        });
        Snapshot {
            name: name.to_owned(),
            kind,
            state,
            summary,
            checked_at,
            latency_ms: latency.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            error,
            stale: false,
            items,
            alerts,
            suppressed,
            silences,
        }
    }

    /// The snapshot of a failed poll: the last good data (if any), marked
    /// stale, with state `unknown` and the reason.
    pub fn failed(
        name: &str,
        kind: Kind,
        last_good: Option<&Snapshot>,
        error: &str,
        checked_at: jiff::Timestamp,
    ) -> Snapshot {
        let mut error = error.to_owned();
        clean(&mut error);
        match last_good {
            Some(prev) => Snapshot {
                state: Health::Unknown,
                checked_at,
                latency_ms: None,
                error: Some(error),
                stale: true,
                ..prev.clone()
            },
            None => Snapshot {
                name: name.to_owned(),
                kind,
                state: Health::Unknown,
                summary: "no data".to_owned(),
                checked_at,
                latency_ms: None,
                error: Some(error),
                stale: false,
                items: Vec::new(),
                alerts: Vec::new(),
                suppressed: Vec::new(),
                silences: Vec::new(),
            },
        }
    }

    /// What the panel shows before the first poll of a source has finished.
    pub fn pending(name: &str, kind: Kind) -> Snapshot {
        Snapshot {
            name: name.to_owned(),
            kind,
            state: Health::Unknown,
            summary: PENDING.to_owned(),
            checked_at: jiff::Timestamp::now(),
            latency_ms: None,
            error: None,
            stale: false,
            items: Vec::new(),
            alerts: Vec::new(),
            suppressed: Vec::new(),
            silences: Vec::new(),
        }
    }

    /// Not polled yet ([`Snapshot::pending`]): it says nothing about the
    /// source, so it is never logged as the source's state.
    pub fn is_pending(&self) -> bool {
        self.state == Health::Unknown
            && self.summary == PENDING
            && self.error.is_none()
            && self.latency_ms.is_none()
    }

    /// A snapshot made up by a script (game days): no HTTP involved.
    pub fn simulated(name: &str, state: Health, summary: &str, items: Vec<Item>) -> Snapshot {
        Snapshot::from_reading(
            name,
            Kind::Simulated,
            Reading {
                state,
                summary: summary.to_owned(),
                items,
                ..Reading::default()
            },
            jiff::Timestamp::now(),
            None,
        )
    }
}

/// Every text of an alert that came from the network, sanitized (labels
/// and annotations are drawn and logged too).
fn clean_alert(mut a: FiringAlert) -> FiringAlert {
    clean(&mut a.alertname);
    for s in [
        &mut a.severity,
        &mut a.runbook_url,
        &mut a.summary,
        &mut a.fingerprint,
    ]
    .into_iter()
    .flatten()
    {
        clean(s);
    }
    for m in [&mut a.labels, &mut a.annotations] {
        *m = std::mem::take(m)
            .into_iter()
            .map(|(mut k, mut v)| {
                clean(&mut k);
                clean(&mut v);
                (k, v)
            })
            .collect();
    }
    for s in a.silenced_by.iter_mut().chain(a.inhibited_by.iter_mut()) {
        clean(s);
    }
    if let Some(p) = &mut a.page {
        for s in [
            &mut p.id,
            &mut p.title,
            &mut p.html_url,
            &mut p.urgency,
            &mut p.service,
            &mut p.status,
        ] {
            clean(s);
        }
        p.assignees.iter_mut().for_each(clean);
    }
    a
}

fn clean(s: &mut String) {
    if let std::borrow::Cow::Owned(c) = sanitize::line(s) {
        *s = c;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(name: &str, state: Health) -> Item {
        Item {
            name: name.into(),
            state,
            detail: String::new(),
            url: None,
        }
    }

    #[test]
    fn snapshot_sanitizes_sorts_and_caps() {
        let mut items: Vec<Item> = (0..250)
            .map(|i| item(&format!("m{i}"), Health::Up))
            .collect();
        items.push(item("evil\u{1b}]0;pwned\u{7}", Health::Down));
        items.push(item("slow", Health::Degraded));
        let r = Reading {
            state: Health::Down,
            summary: "2 \u{202e}bad".into(),
            items,
            alerts: vec![],
            error: None,
            ..Default::default()
        };
        let s = Snapshot::from_reading("x", Kind::Gatus, r, jiff::Timestamp::UNIX_EPOCH, None);
        assert_eq!(s.items.len(), MAX_ITEMS + 1);
        assert_eq!(s.items[0].state, Health::Down);
        assert!(!s.items[0].name.contains('\u{1b}'), "{}", s.items[0].name);
        assert_eq!(s.items[1].name, "slow");
        assert_eq!(s.summary, "2 bad");
        let note = &s.items[MAX_ITEMS];
        assert_eq!(note.name, "… 52 more");
        assert_eq!(note.state, Health::Up);
    }

    #[test]
    fn failure_keeps_last_good_data_as_stale() {
        let good = Snapshot::simulated("api", Health::Up, "all 3 up", vec![item("a", Health::Up)]);
        let f = Snapshot::failed(
            "api",
            Kind::Simulated,
            Some(&good),
            "timed out",
            good.checked_at,
        );
        assert_eq!((f.state, f.stale), (Health::Unknown, true));
        assert_eq!(f.summary, "all 3 up");
        assert_eq!(f.items, good.items);
        assert_eq!(f.error.as_deref(), Some("timed out"));
        let f = Snapshot::failed("api", Kind::Http, None, "refused", good.checked_at);
        assert_eq!(
            (f.state, f.stale, f.summary.as_str()),
            (Health::Unknown, false, "no data")
        );
    }
}
