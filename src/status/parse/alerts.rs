//! Kinds `prometheus` and `alertmanager`: firing alerts (and a PromQL
//! query with a threshold).

use super::{
    Reading, Response, check_status, fmt_num, fmt_time, json, parse_time, truncate, worst,
};
use crate::status::health::Health;
use crate::status::source::{Compare, Kind, QuerySpec};
use crate::status::{FiringAlert, Item, PollError, Silence};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
struct PromEnvelope<T> {
    status: String,
    #[serde(default = "Option::default")]
    data: Option<T>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default, rename = "errorType")]
    error_type: Option<String>,
}

impl<T> PromEnvelope<T> {
    fn into_data(self) -> Result<T, PollError> {
        if self.status != "success" {
            return Err(PollError::Api(format!(
                "{}: {}",
                self.error_type.as_deref().unwrap_or("error"),
                self.error.as_deref().unwrap_or("no message")
            )));
        }
        self.data
            .ok_or_else(|| PollError::Malformed("status success but no `data`".into()))
    }
}

#[derive(Deserialize)]
struct AlertsData {
    alerts: Vec<PromAlert>,
}

#[derive(Deserialize)]
struct PromAlert {
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    #[serde(default)]
    state: String,
    #[serde(default, rename = "activeAt")]
    active_at: Option<String>,
}

#[derive(Deserialize)]
struct AmAlert {
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    #[serde(default, rename = "startsAt")]
    starts_at: Option<String>,
    #[serde(default)]
    status: Option<AmStatus>,
    #[serde(default, rename = "generatorURL")]
    generator_url: Option<String>,
    #[serde(default)]
    fingerprint: Option<String>,
}

#[derive(Deserialize)]
struct AmStatus {
    #[serde(default)]
    state: String,
    #[serde(default, rename = "silencedBy")]
    silenced_by: Vec<String>,
    #[serde(default, rename = "inhibitedBy")]
    inhibited_by: Vec<String>,
}

/// One firing alert as an item and as a picker suggestion.
fn alert(
    labels: &BTreeMap<String, String>,
    annotations: &BTreeMap<String, String>,
    since: Option<&str>,
    fallback_url: Option<&str>,
) -> (Item, FiringAlert) {
    let alertname = labels
        .get("alertname")
        .cloned()
        .unwrap_or_else(|| "(no alertname)".into());
    let severity = labels.get("severity").filter(|s| !s.is_empty()).cloned();
    let state = if severity
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("critical"))
    {
        Health::Down
    } else {
        Health::Degraded
    };
    let summary = ["summary", "description", "message"]
        .iter()
        .find_map(|k| annotations.get(*k))
        .filter(|s| !s.trim().is_empty())
        .cloned();
    let runbook_url = annotations
        .get("runbook_url")
        .or_else(|| labels.get("runbook_url"))
        .filter(|s| !s.trim().is_empty())
        .cloned();
    let since = since.and_then(parse_time);
    let mut detail = severity.clone().unwrap_or_else(|| "no severity".into());
    if let Some(s) = &summary {
        detail.push_str(" · ");
        detail.push_str(&truncate(s, 160));
    }
    if let Some(t) = since {
        detail.push_str(&format!(" · since {}", fmt_time(t)));
    }
    let other: Vec<String> = labels
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "alertname" | "severity" | "runbook_url"))
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    if !other.is_empty() {
        detail.push_str(" · ");
        detail.push_str(&truncate(&other.join(" "), 120));
    }
    let item = Item {
        name: alertname.clone(),
        state,
        detail,
        url: runbook_url
            .clone()
            .or_else(|| fallback_url.map(str::to_owned)),
    };
    let firing = FiringAlert {
        alertname,
        severity,
        runbook_url,
        summary,
        since,
        labels: labels.clone(),
        annotations: annotations.clone(),
        fingerprint: None,
        ..Default::default()
    };
    (item, firing)
}

/// Is this alert one to ignore: its name is on the list, or it matches a
/// `label=value` entry of it?
pub fn ignored(labels: &BTreeMap<String, String>, ignore: &[String]) -> bool {
    let name = labels.get("alertname").map_or("", String::as_str);
    ignore.iter().any(|entry| match entry.split_once('=') {
        Some((label, value)) => labels
            .get(label.trim())
            .is_some_and(|v| v.eq_ignore_ascii_case(value.trim())),
        None => entry.eq_ignore_ascii_case(name),
    })
}

/// A silenced or inhibited alert: shown, never an all-clear, not offered
/// to the picker (someone has it in hand).
fn suppressed_item(a: &AmAlert, status: &AmStatus) -> Item {
    let (mut item, _) = alert(
        &a.labels,
        &a.annotations,
        a.starts_at.as_deref(),
        a.generator_url.as_deref(),
    );
    let why = if !status.silenced_by.is_empty() {
        format!(
            "silenced ({})",
            truncate(&status.silenced_by.join(", "), 80)
        )
    } else if !status.inhibited_by.is_empty() {
        "inhibited".to_owned()
    } else {
        "suppressed".to_owned()
    };
    item.detail = format!("{why} · {}", item.detail);
    item.state = Health::Degraded;
    item
}

fn firing_reading(
    pairs: Vec<(Item, FiringAlert)>,
    suppressed: Vec<Item>,
    ignored: usize,
    pending: usize,
) -> Reading {
    let (mut items, alerts): (Vec<Item>, Vec<FiringAlert>) = pairs.into_iter().unzip();
    let mut summary = if items.is_empty() {
        "none firing".to_owned()
    } else {
        format!("{} firing", items.len())
    };
    if pending > 0 {
        summary.push_str(&format!(", {pending} pending"));
    }
    if !suppressed.is_empty() {
        summary.push_str(&format!(", {} silenced", suppressed.len()));
    }
    if ignored > 0 {
        summary.push_str(&format!(", {ignored} ignored"));
    }
    items.extend(suppressed);
    Reading {
        state: worst(&items),
        summary,
        items,
        alerts,
        error: None,
        ..Default::default()
    }
}

/// `GET /api/v1/alerts`: a firing alert with `severity=critical` → down,
/// any other firing alert → degraded, none → up. Pending alerts are only
/// counted; alerts on the `ignore` list (heartbeats) are only counted.
pub fn prometheus_alerts(resp: &Response, ignore: &[String]) -> Result<Reading, PollError> {
    check_status(Kind::Prometheus, resp)?;
    let env: PromEnvelope<AlertsData> = json(&resp.body, "a Prometheus server")?;
    let data = env.into_data()?;
    let (skip, alerts): (Vec<&PromAlert>, Vec<&PromAlert>) =
        data.alerts.iter().partition(|a| ignored(&a.labels, ignore));
    let pending = alerts.iter().filter(|a| a.state == "pending").count();
    let ignored = skip.iter().filter(|a| a.state == "firing").count();
    let pairs = alerts
        .iter()
        .filter(|a| a.state == "firing")
        .map(|a| alert(&a.labels, &a.annotations, a.active_at.as_deref(), None))
        .collect();
    Ok(firing_reading(pairs, Vec::new(), ignored, pending))
}

/// `GET /api/v2/alerts?active=true&silenced=true&inhibited=true`: the same
/// mapping as Prometheus for active alerts; silenced and inhibited ones are
/// listed as such and keep the source at least degraded (a silence is not
/// an all-clear).
pub fn alertmanager(resp: &Response, ignore: &[String]) -> Result<Reading, PollError> {
    check_status(Kind::Alertmanager, resp)?;
    let alerts: Vec<AmAlert> = json(&resp.body, "an Alertmanager (v2 API)")?;
    let mut pairs = Vec::new();
    let mut suppressed = Vec::new();
    let mut held_alerts = Vec::new();
    let mut skipped = 0;
    for a in &alerts {
        if ignored(&a.labels, ignore) {
            skipped += 1;
            continue;
        }
        match a.status.as_ref().filter(|s| {
            s.state == "suppressed" || !s.silenced_by.is_empty() || !s.inhibited_by.is_empty()
        }) {
            Some(status) => {
                suppressed.push(suppressed_item(a, status));
                let (_, mut held) = alert(&a.labels, &a.annotations, a.starts_at.as_deref(), None);
                held.fingerprint.clone_from(&a.fingerprint);
                held.silenced_by.clone_from(&status.silenced_by);
                held.inhibited_by.clone_from(&status.inhibited_by);
                held_alerts.push(held);
            }
            None => {
                let (item, mut firing) = alert(
                    &a.labels,
                    &a.annotations,
                    a.starts_at.as_deref(),
                    a.generator_url.as_deref(),
                );
                firing.fingerprint.clone_from(&a.fingerprint);
                pairs.push((item, firing));
            }
        }
    }
    let mut reading = firing_reading(pairs, suppressed, skipped, 0);
    reading.suppressed = held_alerts;
    Ok(reading)
}

#[derive(Deserialize)]
struct AmSilence {
    id: String,
    #[serde(default, rename = "createdBy")]
    created_by: String,
    #[serde(default)]
    comment: String,
    #[serde(default, rename = "endsAt")]
    ends_at: Option<String>,
    #[serde(default)]
    status: Option<AmSilenceStatus>,
}

#[derive(Deserialize)]
struct AmSilenceStatus {
    #[serde(default)]
    state: String,
}

/// `GET /api/v2/silences`: the active silences among `ids` (who made
/// them, why, until when).
pub fn alertmanager_silences(resp: &Response, ids: &[&str]) -> Result<Vec<Silence>, PollError> {
    check_status(Kind::Alertmanager, resp)?;
    let all: Vec<AmSilence> = json(&resp.body, "an Alertmanager (v2 API)")?;
    Ok(all
        .into_iter()
        .filter(|s| ids.contains(&s.id.as_str()))
        .filter(|s| s.status.as_ref().is_none_or(|st| st.state != "expired"))
        .map(|s| Silence {
            ends_at: s.ends_at.as_deref().and_then(parse_time),
            id: s.id,
            created_by: s.created_by,
            comment: truncate(&s.comment, 300),
        })
        .collect())
}

#[derive(Deserialize)]
struct AmRuntime {
    #[serde(default)]
    uptime: Option<String>,
}

/// `GET /api/v2/status`: when this Alertmanager started (its `uptime`).
pub fn alertmanager_started(resp: &Response) -> Result<Option<jiff::Timestamp>, PollError> {
    check_status(Kind::Alertmanager, resp)?;
    let st: AmRuntime = json(&resp.body, "an Alertmanager (v2 API)")?;
    Ok(st.uptime.as_deref().and_then(parse_time))
}

/// How long after a start an Alertmanager with no alerts has not heard
/// from Prometheus yet: Prometheus resends firing alerts every minute
/// (`resend_delay`) after its next rule evaluation.
pub const ALERTMANAGER_WARMUP: std::time::Duration = std::time::Duration::from_secs(150);

/// An Alertmanager that started within [`ALERTMANAGER_WARMUP`] and holds
/// no alerts has no data yet: "none firing" would be a false all-clear.
pub fn alertmanager_warming_up(
    reading: &mut Reading,
    started: jiff::Timestamp,
    now: jiff::Timestamp,
) {
    let up_for = now.duration_since(started);
    let warmup = jiff::SignedDuration::try_from(ALERTMANAGER_WARMUP).unwrap_or_default();
    let empty = reading.alerts.is_empty() && reading.suppressed.is_empty();
    if empty && up_for < warmup && !up_for.is_negative() {
        reading.state = Health::Unknown;
        reading.summary = format!(
            "no data yet: Alertmanager started {} ago, waiting for Prometheus to send alerts",
            crate::util::duration::format(std::time::Duration::from_secs(
                up_for.as_secs().max(0).unsigned_abs()
            ))
        );
    }
}

fn series_name(metric: &BTreeMap<String, String>) -> String {
    let name = metric.get("__name__").cloned().unwrap_or_default();
    let labels: Vec<String> = metric
        .iter()
        .filter(|(k, _)| k.as_str() != "__name__")
        .map(|(k, v)| format!("{k}=\"{v}\""))
        .collect();
    match (name.is_empty(), labels.is_empty()) {
        (true, true) => "value".into(),
        (_, true) => name,
        _ => format!("{name}{{{}}}", labels.join(", ")),
    }
}

/// `GET /api/v1/query?query=EXPR`: each series beyond the threshold is in
/// the `breach` state (down by default). No series → unknown.
pub fn prometheus_query(q: &QuerySpec, resp: &Response) -> Result<Reading, PollError> {
    // The same reader as a step's query blocks; the newest sample of each
    // series is compared with the threshold.
    let answer = super::promql::query_result(resp)?;
    let samples: Vec<(String, f64)> = answer
        .series
        .iter()
        .filter_map(|s| Some((series_name(&s.labels), s.samples.last()?.1)))
        .collect();
    let (op, ok_op, word) = match q.compare {
        Compare::Above => (">", "≤", "above"),
        Compare::Below => ("<", "≥", "below"),
    };
    let thr = fmt_num(q.threshold);
    let items: Vec<Item> = samples
        .into_iter()
        .map(|(name, v)| {
            let (state, detail) = if v.is_nan() {
                (
                    Health::Unknown,
                    "the value is NaN (not a number)".to_owned(),
                )
            } else {
                let beyond = match q.compare {
                    Compare::Above => v > q.threshold,
                    Compare::Below => v < q.threshold,
                };
                if beyond {
                    (q.breach, format!("{} {op} {thr}", fmt_num(v)))
                } else {
                    (Health::Up, format!("{} {ok_op} {thr}", fmt_num(v)))
                }
            };
            Item {
                name,
                state,
                detail,
                url: None,
            }
        })
        .collect();
    let breaching = items.iter().filter(|i| i.state == q.breach).count();
    let (state, summary) = match items.as_slice() {
        [] => (Health::Unknown, "the query returned no series".to_owned()),
        [one] => (one.state, format!("value {}", one.detail)),
        many if breaching > 0 => (
            worst(many),
            format!("{breaching} of {} {word} {thr}", many.len()),
        ),
        many => (
            worst(many),
            format!("{} series, none {word} {thr}", many.len()),
        ),
    };
    Ok(Reading {
        state,
        summary,
        items,
        alerts: Vec::new(),
        error: None,
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROM: &str = r#"{"status":"success","data":{"alerts":[
      {"labels":{"alertname":"HighErrorRate","severity":"critical","job":"api"},"annotations":{"summary":"5xx above 5%","runbook_url":"https://runbooks.test/high-error-rate"},"state":"firing","activeAt":"2026-03-01T03:12:09.5Z","value":"1e+00"},
      {"labels":{"alertname":"DiskFilling","severity":"warning"},"annotations":{},"state":"firing","activeAt":"2026-03-01T02:00:00Z","value":"1"},
      {"labels":{"alertname":"Flappy","severity":"critical"},"annotations":{},"state":"pending","activeAt":"2026-03-01T03:15:00Z","value":"1"}]}}"#;

    #[test]
    fn prometheus_firing_alerts() {
        let r = prometheus_alerts(&Response::ok(PROM), &[]).unwrap();
        assert_eq!(r.state, Health::Down);
        assert_eq!(r.summary, "2 firing, 1 pending");
        assert_eq!(r.items.len(), 2);
        assert_eq!(r.items[0].name, "HighErrorRate");
        assert_eq!(r.items[0].state, Health::Down);
        assert_eq!(
            r.items[0].detail,
            "critical · 5xx above 5% · since 2026-03-01T03:12:09Z · job=api"
        );
        assert_eq!(
            r.items[0].url.as_deref(),
            Some("https://runbooks.test/high-error-rate")
        );
        assert_eq!(r.items[1].state, Health::Degraded);
        assert_eq!(r.alerts[0].alertname, "HighErrorRate");
        assert_eq!(
            r.alerts[0].runbook_url.as_deref(),
            Some("https://runbooks.test/high-error-rate")
        );
        assert_eq!(r.alerts[1].severity.as_deref(), Some("warning"));
        let none = r#"{"status":"success","data":{"alerts":[]}}"#;
        let r = prometheus_alerts(&Response::ok(none), &[]).unwrap();
        assert_eq!((r.state, r.summary.as_str()), (Health::Up, "none firing"));
        let err = r#"{"status":"error","errorType":"bad_data","error":"parse error"}"#;
        let e = prometheus_alerts(&Response::ok(err), &[]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the API reported an error: bad_data: parse error"
        );
    }

    #[test]
    fn alertmanager_lists_suppressed_as_silenced() {
        let body = r#"[
          {"labels":{"alertname":"Down","severity":"warning"},"annotations":{"summary":"s"},"startsAt":"2026-03-01T03:00:00Z","endsAt":"2026-03-01T03:20:00Z","updatedAt":"2026-03-01T03:10:00Z","fingerprint":"a","receivers":[{"name":"null"}],"status":{"state":"active","silencedBy":[],"inhibitedBy":[]},"generatorURL":"http://prom/graph"},
          {"labels":{"alertname":"Silenced","severity":"critical"},"annotations":{},"startsAt":"2026-03-01T03:00:00Z","status":{"state":"suppressed","silencedBy":["x"],"inhibitedBy":[]}}]"#;
        let r = alertmanager(&Response::ok(body), &[]).unwrap();
        assert_eq!(
            (r.state, r.summary.as_str()),
            (Health::Degraded, "1 firing, 1 silenced")
        );
        assert_eq!(r.items[0].url.as_deref(), Some("http://prom/graph"));
        // The silenced one is listed as such, and not offered to the picker.
        assert_eq!(r.items[1].name, "Silenced");
        assert!(
            r.items[1].detail.starts_with("silenced (x)"),
            "{}",
            r.items[1].detail
        );
        assert_eq!(r.alerts.len(), 1);
    }

    /// kube-prometheus fires `Watchdog` and `InfoInhibitor` (severity
    /// `none`) forever by design: ignored by default, they leave the source
    /// up; a configured list replaces the default.
    #[test]
    fn heartbeats_are_ignored_by_default() {
        let heartbeats: Vec<String> = crate::status::source::HEARTBEATS
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let prom = r#"{"status":"success","data":{"alerts":[
          {"labels":{"alertname":"Watchdog","severity":"none"},"annotations":{},"state":"firing","activeAt":"2026-03-01T03:00:00Z"},
          {"labels":{"alertname":"InfoInhibitor","severity":"none","namespace":"kube-system"},"annotations":{},"state":"firing"},
          {"labels":{"alertname":"SomethingQuiet","severity":"none"},"annotations":{},"state":"firing"}]}}"#;
        let r = prometheus_alerts(&Response::ok(prom), &heartbeats).unwrap();
        assert_eq!(
            (r.state, r.summary.as_str()),
            (Health::Up, "none firing, 3 ignored")
        );
        assert!(r.items.is_empty() && r.alerts.is_empty());
        // Configured: only Watchdog is ignored.
        let r = prometheus_alerts(&Response::ok(prom), &["watchdog".to_owned()]).unwrap();
        assert_eq!(
            (r.state, r.summary.as_str()),
            (Health::Degraded, "2 firing, 1 ignored")
        );
        let am = r#"[{"labels":{"alertname":"Watchdog","severity":"none"},"annotations":{},"status":{"state":"active","silencedBy":[],"inhibitedBy":[]}}]"#;
        let r = alertmanager(&Response::ok(am), &heartbeats).unwrap();
        assert_eq!(
            (r.state, r.summary.as_str()),
            (Health::Up, "none firing, 1 ignored")
        );
    }

    /// An Alertmanager whose only alerts are silenced or inhibited is not
    /// up.
    #[test]
    fn only_silenced_alerts_are_not_an_all_clear() {
        let am = r#"[
          {"labels":{"alertname":"KubePodCrashLooping","severity":"warning"},"annotations":{},"status":{"state":"suppressed","silencedBy":["5c1f"],"inhibitedBy":[]}},
          {"labels":{"alertname":"KubeNodeNotReady","severity":"critical"},"annotations":{},"status":{"state":"suppressed","silencedBy":[],"inhibitedBy":["9d2e"]}}]"#;
        let r = alertmanager(&Response::ok(am), &[]).unwrap();
        assert_eq!(
            (r.state, r.summary.as_str()),
            (Health::Degraded, "none firing, 2 silenced")
        );
        assert!(
            r.items[1].detail.starts_with("inhibited"),
            "{}",
            r.items[1].detail
        );
        assert!(r.alerts.is_empty());
    }

    #[test]
    fn query_threshold() {
        let q = QuerySpec {
            expr: "x".into(),
            threshold: 0.05,
            compare: Compare::Above,
            breach: Health::Down,
        };
        let body = r#"{"status":"success","data":{"resultType":"vector","result":[
          {"metric":{"job":"api"},"value":[1700000000.1,"0.12"]},
          {"metric":{"job":"web"},"value":[1700000000.1,"0.01"]}]}}"#;
        let r = prometheus_query(&q, &Response::ok(body)).unwrap();
        assert_eq!(
            (r.state, r.summary.as_str()),
            (Health::Down, "1 of 2 above 0.05")
        );
        assert_eq!(r.items[0].name, "{job=\"api\"}");
        assert_eq!(r.items[0].detail, "0.12 > 0.05");
        let scalar =
            r#"{"status":"success","data":{"resultType":"scalar","result":[1700000000,"0.01"]}}"#;
        let r = prometheus_query(&q, &Response::ok(scalar)).unwrap();
        assert_eq!(
            (r.state, r.summary.as_str()),
            (Health::Up, "value 0.01 ≤ 0.05")
        );
        let empty = r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#;
        assert_eq!(
            prometheus_query(&q, &Response::ok(empty)).unwrap().state,
            Health::Unknown
        );
    }
}
