//! Pure functions from one HTTP response to a [`Reading`]: no I/O, and the
//! caller passes `now` for time windows (the clock is read only to turn a
//! `Retry-After` date into a wait), so every provider is tested and
//! benchmarked without a server.

mod alerts;
mod http;
pub mod loki;
mod monitors;
mod pagerduty;
pub mod promql;
mod sentry;
mod statuspage;

pub use alerts::{
    ALERTMANAGER_WARMUP, alertmanager, alertmanager_silences, alertmanager_started,
    alertmanager_warming_up, prometheus_alerts, prometheus_query,
};
pub use http::{http, http_unreachable};
pub use loki::loki_labels;
pub use monitors::{
    UptimeRobotPage, betterstack_page, gatus, healthchecks, kuma, kuma_names, uptimerobot_page,
};
pub use pagerduty::{
    OpenPage, PagedAlert, name_from_title, pagerduty_alerts, pagerduty_incidents, pagerduty_me,
    pagerduty_reading,
};
pub use sentry::{SentryIssue, next_link, sentry_page, sentry_reading};
pub use statuspage::statuspage;

use super::source::{Kind, SourceConfig, Spec};
use super::{FiringAlert, Item, PollError, Snapshot};
use crate::status::health::Health;
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use std::time::Duration;

/// What one poll found out, before it is sanitized into a [`Snapshot`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Reading {
    /// The worst of the items.
    pub state: Health,
    /// One line for the panel.
    pub summary: String,
    /// What the source watches, one by one.
    pub items: Vec<Item>,
    /// Alerts firing now (Prometheus, Alertmanager).
    pub alerts: Vec<FiringAlert>,
    /// Alerts firing but silenced or inhibited (Alertmanager).
    pub suppressed: Vec<FiringAlert>,
    /// The silences behind them.
    pub silences: Vec<super::Silence>,
    /// Set when the reading itself is an error report (an `http` target that
    /// could not be reached is `down`, with the reason here).
    pub error: Option<String>,
}

/// One HTTP response, body read (up to the cap).
#[derive(Clone, Debug)]
pub struct Response {
    /// The HTTP status.
    pub status: u16,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body (up to the cap).
    pub body: Vec<u8>,
    /// From sending the request to the end of the body.
    pub latency: Duration,
    /// The body was longer than the cap; `body` holds the first part.
    pub truncated: bool,
}

impl Response {
    /// A 200 response with this body (tests, benchmarks).
    pub fn ok(body: impl Into<Vec<u8>>) -> Response {
        Response {
            status: 200,
            headers: HeaderMap::new(),
            body: body.into(),
            latency: Duration::ZERO,
            truncated: false,
        }
    }
}

/// Parse one response of `source` into a snapshot. For paged providers
/// this is one page; for Uptime Kuma it is the heartbeat response, with
/// monitors named by id. The poller uses the per-kind functions directly.
pub fn parse(
    source: &SourceConfig,
    resp: &Response,
    now: jiff::Timestamp,
) -> Result<Snapshot, PollError> {
    let reading = reading(source, resp, now)?;
    Ok(Snapshot::from_reading(
        &source.name,
        source.kind,
        reading,
        now,
        Some(resp.latency),
    ))
}

/// [`parse`] without building the snapshot.
pub fn reading(
    source: &SourceConfig,
    resp: &Response,
    now: jiff::Timestamp,
) -> Result<Reading, PollError> {
    match &source.spec {
        Spec::Http(spec) => Ok(http(spec, resp)),
        Spec::Statuspage => statuspage(resp),
        Spec::Prometheus { query: None } => prometheus_alerts(resp, &source.ignore_alerts),
        Spec::Prometheus { query: Some(q) } => prometheus_query(q, resp),
        Spec::Alertmanager { .. } => alertmanager(resp, &source.ignore_alerts),
        Spec::Sentry { window, .. } => {
            let page = sentry_page(resp)?;
            Ok(sentry_reading(page.issues, now, *window))
        }
        Spec::Uptimerobot => {
            let page = uptimerobot_page(resp)?;
            Ok(monitor_reading(
                page.items,
                page.ignored,
                "paused",
                "monitor",
            ))
        }
        Spec::Betterstack => {
            let (items, ignored, _) = betterstack_page(resp)?;
            Ok(monitor_reading(
                items,
                ignored,
                "paused or in maintenance",
                "monitor",
            ))
        }
        Spec::UptimeKuma { .. } => kuma(None, resp),
        Spec::Gatus => gatus(resp),
        Spec::Healthchecks => healthchecks(resp),
        Spec::Pagerduty(_) => {
            let (pages, _) = pagerduty_incidents(resp)?;
            Ok(pagerduty_reading(
                pages.into_iter().map(|p| (p, None)).collect(),
            ))
        }
        Spec::Loki { .. } => loki_labels(resp),
        Spec::Simulated => Err(PollError::Request(
            "a simulated source is not polled".into(),
        )),
    }
}

/// Fail unless the status is 2xx, with a reason fit for the user.
pub fn check_status(kind: Kind, resp: &Response) -> Result<(), PollError> {
    let status = resp.status;
    if (200..300).contains(&status) {
        return Ok(());
    }
    let detail = api_message(&resp.body);
    Err(match status {
        401 | 403 => PollError::Unauthorized { status, detail },
        404 => PollError::NotFound {
            hint: match kind {
                Kind::Sentry => " and the org and project slugs",
                Kind::UptimeKuma => " and the status page slug",
                _ => "",
            },
            detail,
        },
        429 => PollError::RateLimited {
            status,
            retry_after: super::ratelimit::asked_wait(&resp.headers, jiff::Timestamp::now()),
        },
        503 if resp.headers.contains_key(reqwest::header::RETRY_AFTER) => PollError::RateLimited {
            status,
            retry_after: super::ratelimit::retry_after(&resp.headers, jiff::Timestamp::now()),
        },
        _ => PollError::Status { status, detail },
    })
}

/// A short message from an error body (`{"error": …}`, `{"detail": …}`,
/// or a short plain-text body).
pub fn api_message(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?.trim();
    if text.is_empty() {
        return None;
    }
    let msg = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(v) => ["error", "errors", "detail", "message", "errorMessage"]
            .iter()
            .find_map(|k| message_of(v.get(k)?))?,
        Err(_) if text.len() <= 200 && !text.starts_with('<') => text.to_owned(),
        Err(_) => return None,
    };
    Some(truncate(&crate::util::sanitize::line(&msg), 160))
}

/// A message from a JSON error value: a string, `{"message"|"detail"|"title": …}`,
/// or the first of a list of those (JSON:API `errors`).
fn message_of(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Object(o) => ["message", "detail", "title"]
            .iter()
            .find_map(|k| o.get(*k)?.as_str().map(str::to_owned)),
        serde_json::Value::Array(a) => a.iter().find_map(message_of),
        _ => None,
    }
}

/// Cut `s` to at most `max` characters, with an ellipsis.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Decode a JSON body, with a useful reason when it is not what we expect.
pub fn json<T: DeserializeOwned>(body: &[u8], what: &str) -> Result<T, PollError> {
    serde_json::from_slice(body).map_err(|e| {
        let start = body.iter().find(|b| !b.is_ascii_whitespace());
        if start == Some(&b'<') {
            return PollError::Malformed(format!(
                "got HTML, not JSON: is the url the base address of {what}?"
            ));
        }
        let syntax = serde_json::from_slice::<serde::de::IgnoredAny>(body).err();
        match (e.classify(), syntax) {
            (serde_json::error::Category::Data, None) => PollError::Malformed(format!(
                "the JSON is not shaped like a response from {what} ({e}): is the url right?"
            )),
            (_, Some(syntax)) => PollError::Malformed(format!("invalid JSON ({syntax})")),
            (_, None) => PollError::Malformed(format!("invalid JSON ({e})")),
        }
    })
}

/// A number that some APIs send as a string (`"count": "1234"`).
pub(crate) fn num_or_str<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        Some(serde_json::Value::Number(n)) => n.as_f64(),
        Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    })
}

/// Anything as an optional string (ids are numbers in one API, strings in another).
pub(crate) fn any_str<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        Some(serde_json::Value::String(s)) => Some(s),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        Some(serde_json::Value::Bool(b)) => Some(b.to_string()),
        _ => None,
    })
}

/// Parse an RFC 3339 time, or the `2025-05-20 10:00:00.123` form (UTC) of
/// older Uptime Kuma builds.
pub fn parse_time(s: &str) -> Option<jiff::Timestamp> {
    let s = s.trim();
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Some(t);
    }
    s.parse::<jiff::civil::DateTime>()
        .ok()
        .and_then(|dt| jiff::tz::TimeZone::UTC.to_timestamp(dt).ok())
}

/// `2026-03-01T03:12:09Z`
pub fn fmt_time(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `212 ms`, `2.3 s`
pub fn fmt_ms(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        format!("{} ms", ms.round() as i64)
    }
}

/// A number without needless decimals: `1`, `0.93`, `1.5e-7`.
pub fn fmt_num(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    if v.fract() == 0.0 && v.abs() < 1e15 {
        return format!("{}", v as i64);
    }
    if v.abs() >= 0.001 {
        let s = format!("{v:.3}");
        return s.trim_end_matches('0').trim_end_matches('.').to_owned();
    }
    format!("{v:.2e}")
}

/// The worst state of the items (`up` when there are none).
pub fn worst(items: &[Item]) -> Health {
    items.iter().fold(Health::Up, |w, i| w.worst(i.state))
}

/// "all 12 up", "2 down, 1 degraded of 12", "no monitors", with ", 3 paused".
pub fn tally(items: &[Item], ignored: usize, ignored_word: &str, noun: &str) -> String {
    let total = items.len();
    let count = |h: Health| items.iter().filter(|i| i.state == h).count();
    let (down, degraded, unknown) = (
        count(Health::Down),
        count(Health::Degraded),
        count(Health::Unknown),
    );
    let mut s = if total == 0 {
        format!("no {noun}s")
    } else if down + degraded + unknown == 0 {
        format!("all {total} up")
    } else {
        let parts: Vec<String> = [(down, "down"), (degraded, "degraded"), (unknown, "unknown")]
            .into_iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, w)| format!("{n} {w}"))
            .collect();
        format!("{} of {total}", parts.join(", "))
    };
    if ignored > 0 {
        s.push_str(&format!(", {ignored} {ignored_word}"));
    }
    s
}

/// A reading for a list of monitors: the worst of them, and a tally.
pub fn monitor_reading(
    items: Vec<Item>,
    ignored: usize,
    ignored_word: &str,
    noun: &str,
) -> Reading {
    Reading {
        state: worst(&items),
        summary: tally(&items, ignored, ignored_word, noun),
        items,
        alerts: Vec::new(),
        error: None,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_both_forms() {
        let a = parse_time("2025-05-20T10:00:00.123Z").unwrap();
        let b = parse_time("2025-05-20 10:00:00.123").unwrap();
        assert_eq!(a, b);
        assert_eq!(fmt_time(a), "2025-05-20T10:00:00Z");
        assert_eq!(
            parse_time("2025-05-20T12:00:00+02:00").unwrap(),
            parse_time("2025-05-20T10:00:00Z").unwrap()
        );
        assert!(parse_time("yesterday").is_none());
    }

    #[test]
    fn numbers_and_tallies() {
        assert_eq!(fmt_num(1.0), "1");
        assert_eq!(fmt_num(0.93), "0.93");
        assert_eq!(fmt_num(0.1234), "0.123");
        assert_eq!(fmt_ms(212.4), "212 ms");
        assert_eq!(fmt_ms(2300.0), "2.3 s");
        let it = |s| Item {
            name: "x".into(),
            state: s,
            detail: String::new(),
            url: None,
        };
        assert_eq!(
            tally(&[it(Health::Up), it(Health::Up)], 0, "paused", "monitor"),
            "all 2 up"
        );
        assert_eq!(
            tally(
                &[it(Health::Up), it(Health::Down), it(Health::Degraded)],
                2,
                "paused",
                "monitor"
            ),
            "1 down, 1 degraded of 3, 2 paused"
        );
        assert_eq!(tally(&[], 0, "paused", "check"), "no checks");
    }

    #[test]
    fn error_bodies() {
        assert_eq!(
            api_message(br#"{"detail":"Invalid token"}"#).as_deref(),
            Some("Invalid token")
        );
        assert_eq!(
            api_message(br#"{"error":{"type":"x","message":"api_key not found."}}"#).as_deref(),
            Some("api_key not found.")
        );
        assert_eq!(
            api_message(br#"{"errors":[{"status":"401","title":"Unauthorized"}]}"#).as_deref(),
            Some("Unauthorized")
        );
        assert_eq!(api_message(b"<html>oops</html>"), None);
        assert_eq!(
            api_message(b"upstream down").as_deref(),
            Some("upstream down")
        );
        let e = json::<Vec<u8>>(b"<html>", "Prometheus").unwrap_err();
        assert!(e.to_string().contains("HTML"), "{e}");
        let e = json::<serde_json::Value>(b"{\"a\":", "Prometheus").unwrap_err();
        assert!(e.to_string().contains("invalid JSON"), "{e}");
    }
}
