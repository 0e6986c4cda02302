//! Kind `pagerduty`: open pages (`GET /incidents`), what each was paged for
//! (`GET /incidents/{id}/alerts`: the alert's name, labels and
//! `runbook_url` as the integration sent them) and who the token belongs
//! to (`GET /users/me`).

use super::{Reading, Response, check_status, fmt_time, json, parse_time, truncate, worst};
use crate::status::health::Health;
use crate::status::source::Kind;
use crate::status::{FiringAlert, Item, Page, PollError};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
struct Incidents {
    #[serde(default)]
    incidents: Vec<Incident>,
    #[serde(default)]
    more: bool,
}

#[derive(Deserialize)]
struct Incident {
    id: String,
    #[serde(default)]
    incident_number: u64,
    #[serde(default)]
    title: String,
    #[serde(default)]
    html_url: String,
    #[serde(default)]
    urgency: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    service: Option<Reference>,
    #[serde(default)]
    assignments: Vec<Assignment>,
}

#[derive(Deserialize, Default)]
struct Reference {
    #[serde(default)]
    summary: String,
}

#[derive(Deserialize)]
struct Assignment {
    #[serde(default)]
    assignee: Reference,
}

/// One open page and when it was created.
#[derive(Clone, Debug, PartialEq)]
pub struct OpenPage {
    /// The page.
    pub page: Page,
    /// When it was triggered.
    pub since: Option<jiff::Timestamp>,
}

/// One page of `GET /incidents`: the open pages on it, and whether more follow.
pub fn pagerduty_incidents(resp: &Response) -> Result<(Vec<OpenPage>, bool), PollError> {
    check_status(Kind::Pagerduty, resp)?;
    let list: Incidents = json(&resp.body, "the PagerDuty REST API")?;
    let pages = list
        .incidents
        .into_iter()
        .filter(|i| matches!(i.status.as_str(), "triggered" | "acknowledged"))
        .map(|i| OpenPage {
            since: i.created_at.as_deref().and_then(parse_time),
            page: Page {
                id: i.id,
                number: i.incident_number,
                title: truncate(&i.title, 300),
                html_url: i.html_url,
                urgency: i.urgency,
                service: i.service.map(|s| s.summary).unwrap_or_default(),
                status: i.status,
                assignees: i
                    .assignments
                    .into_iter()
                    .map(|a| a.assignee.summary)
                    .filter(|s| !s.is_empty())
                    .collect(),
            },
        })
        .collect();
    Ok((pages, list.more))
}

#[derive(Deserialize)]
struct Me {
    user: MeUser,
}

#[derive(Deserialize)]
struct MeUser {
    id: String,
}

/// `GET /users/me`: the token's own user id. An account-level token has
/// none: then the config must name users, services or teams.
pub fn pagerduty_me(resp: &Response) -> Result<String, PollError> {
    if resp.status == 400 {
        return Err(PollError::Api(
            "this token has no user (an account-level API key): set `user_ids`, `service_ids` or `team_ids` on the source".into(),
        ));
    }
    check_status(Kind::Pagerduty, resp)?;
    let me: Me = json(&resp.body, "the PagerDuty REST API")?;
    Ok(me.user.id)
}

/// What a page was paged for: the alert as its integration sent it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PagedAlert {
    /// The alert's name (`alertname`), if the details carry one.
    pub name: Option<String>,
    /// Its labels.
    pub labels: BTreeMap<String, String>,
    /// Its annotations (`runbook_url`, `summary`, …).
    pub annotations: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct Alerts {
    #[serde(default)]
    alerts: Vec<PdAlert>,
}

#[derive(Deserialize)]
struct PdAlert {
    #[serde(default)]
    body: Option<AlertBody>,
}

#[derive(Deserialize)]
struct AlertBody {
    #[serde(default)]
    details: Option<serde_json::Value>,
    #[serde(default)]
    cef_details: Option<CefDetails>,
}

#[derive(Deserialize)]
struct CefDetails {
    #[serde(default)]
    details: Option<serde_json::Value>,
}

/// Annotation keys (everything else a flat `details` object carries is a
/// label).
const ANNOTATIONS: [&str; 5] = [
    "runbook_url",
    "summary",
    "description",
    "message",
    "dashboard_url",
];

/// `GET /incidents/{id}/alerts`: the first alert's details. Alertmanager's
/// PagerDuty integration sends them as text (`firing: "Labels:\n -
/// alertname = …\nAnnotations:\n - runbook_url = …"`); other integrations
/// as flat fields (`{"alertname": …, "runbook_url": …}`).
pub fn pagerduty_alerts(resp: &Response) -> Result<Option<PagedAlert>, PollError> {
    check_status(Kind::Pagerduty, resp)?;
    let list: Alerts = json(&resp.body, "the PagerDuty REST API")?;
    Ok(list.alerts.into_iter().find_map(|a| {
        let body = a.body?;
        let details = body
            .details
            .filter(|d| !d.is_null())
            .or_else(|| body.cef_details.and_then(|c| c.details))?;
        alert_of(&details)
    }))
}

fn alert_of(details: &serde_json::Value) -> Option<PagedAlert> {
    use serde_json::Value;
    match details {
        Value::String(text) => from_text(text),
        Value::Object(map) => {
            if let Some(Value::String(text)) = map.get("firing")
                && let Some(a) = from_text(text)
            {
                return Some(a);
            }
            let mut out = PagedAlert::default();
            for (k, v) in map {
                let v = match v {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => continue,
                };
                if ANNOTATIONS.contains(&k.as_str()) {
                    out.annotations.insert(k.clone(), v);
                } else {
                    out.labels.insert(k.clone(), v);
                }
            }
            out.name = out.labels.get("alertname").cloned();
            (out.name.is_some() || !out.annotations.is_empty()).then_some(out)
        }
        _ => None,
    }
}

/// Alertmanager's `__text_alert_list`: the first alert's `Labels:` and
/// `Annotations:` blocks of ` - name = value` lines.
fn from_text(text: &str) -> Option<PagedAlert> {
    let mut out = PagedAlert::default();
    let mut section = None;
    for line in text.lines().take(400) {
        let t = line.trim();
        match t {
            "Labels:" if !out.labels.is_empty() => break,
            "Labels:" => section = Some(true),
            "Annotations:" => section = Some(false),
            _ => {
                let Some((k, v)) = t.strip_prefix("- ").and_then(|kv| kv.split_once(" = ")) else {
                    if t.starts_with("Source:") {
                        section = None;
                    }
                    continue;
                };
                let (k, v) = (k.trim().to_owned(), v.trim().to_owned());
                match section {
                    Some(true) => {
                        out.labels.insert(k, v);
                    }
                    Some(false) => {
                        out.annotations.insert(k, v);
                    }
                    None => {}
                }
            }
        }
    }
    out.name = out.labels.get("alertname").cloned();
    out.name.is_some().then_some(out)
}

/// The alert name in an Alertmanager-made title (`[FIRING:3] KubePodCrashLooping
/// (payments …)`), else the whole title.
pub fn name_from_title(title: &str) -> String {
    let t = title.trim();
    let rest = t
        .strip_prefix('[')
        .and_then(|r| r.split_once(']'))
        .map_or(t, |(_, rest)| rest.trim_start());
    match rest.split_whitespace().next() {
        Some(word) if t.starts_with('[') => word.to_owned(),
        _ => t.to_owned(),
    }
}

/// The open pages as a reading: each one an item (triggered and high
/// urgency is `down`, anything else open `degraded`) and a picker row
/// (an alert carrying its page), matched to a runbook by what it was
/// paged for, else by its title.
pub fn pagerduty_reading(pages: Vec<(OpenPage, Option<PagedAlert>)>) -> Reading {
    let mut items = Vec::with_capacity(pages.len());
    let mut alerts = Vec::with_capacity(pages.len());
    let (mut triggered, mut acked) = (0, 0);
    for (open, paged) in pages {
        let p = open.page;
        let state = match (p.status.as_str(), p.urgency.as_str()) {
            ("triggered", "high") => Health::Down,
            _ => Health::Degraded,
        };
        if p.status == "triggered" {
            triggered += 1;
        } else {
            acked += 1;
        }
        let mut detail = format!("{} · {} urgency", p.status, p.urgency);
        if !p.service.is_empty() {
            detail.push_str(&format!(" · {}", p.service));
        }
        if !p.assignees.is_empty() {
            detail.push_str(&format!(" · {}", truncate(&p.assignees.join(", "), 80)));
        }
        if let Some(t) = open.since {
            detail.push_str(&format!(" · since {}", fmt_time(t)));
        }
        items.push(Item {
            name: format!("#{} {}", p.number, p.title),
            state,
            detail,
            url: (!p.html_url.is_empty()).then(|| p.html_url.clone()),
        });
        let paged = paged.unwrap_or_default();
        let severity = paged.labels.get("severity").cloned().or_else(|| {
            Some(match p.urgency.as_str() {
                "high" => "critical".to_owned(),
                _ => "warning".to_owned(),
            })
        });
        alerts.push(FiringAlert {
            alertname: paged.name.unwrap_or_else(|| name_from_title(&p.title)),
            severity,
            runbook_url: paged.annotations.get("runbook_url").cloned(),
            summary: Some(p.title.clone()),
            since: open.since,
            labels: paged.labels,
            annotations: paged.annotations,
            page: Some(Box::new(p)),
            ..FiringAlert::default()
        });
    }
    let summary = match (triggered, acked) {
        (0, 0) => "no open pages".to_owned(),
        (t, 0) => format!("{t} triggered"),
        (0, a) => format!("{a} acknowledged"),
        (t, a) => format!("{t} triggered, {a} acknowledged"),
    };
    Reading {
        state: worst(&items),
        summary,
        items,
        alerts,
        ..Reading::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INCIDENTS: &str = r#"{"incidents":[
      {"id":"PT4KHLK","type":"incident","incident_number":1234,"title":"[FIRING:1] KubePodCrashLooping (payments api-7d9)","status":"triggered","urgency":"high","html_url":"https://acme.pagerduty.com/incidents/PT4KHLK","created_at":"2026-12-03T02:58:00Z","service":{"id":"PIJ90N7","type":"service_reference","summary":"payments"},"assignments":[{"at":"2026-12-03T02:58:00Z","assignee":{"id":"PXPGF42","type":"user_reference","summary":"Alice"}}]},
      {"id":"Q1","incident_number":1235,"title":"Disk almost full on db-1","status":"acknowledged","urgency":"low","html_url":"","created_at":"2026-12-03T01:00:00Z"},
      {"id":"Q2","incident_number":1236,"title":"old","status":"resolved","urgency":"high"}
    ],"limit":25,"offset":0,"more":true,"total":null}"#;

    #[test]
    fn open_pages_become_items_and_picker_rows() {
        let (pages, more) = pagerduty_incidents(&Response::ok(INCIDENTS)).unwrap();
        assert!(more);
        assert_eq!(pages.len(), 2, "a resolved page is not open");
        assert_eq!(pages[0].page.service, "payments");
        assert_eq!(pages[0].page.assignees, ["Alice"]);
        let r = pagerduty_reading(pages.into_iter().map(|p| (p, None)).collect());
        assert_eq!(r.state, Health::Down);
        assert_eq!(r.summary, "1 triggered, 1 acknowledged");
        assert_eq!(
            r.items[0].name,
            "#1234 [FIRING:1] KubePodCrashLooping (payments api-7d9)"
        );
        assert_eq!(r.items[1].state, Health::Degraded);
        assert_eq!(r.alerts[0].alertname, "KubePodCrashLooping");
        assert_eq!(r.alerts[0].severity.as_deref(), Some("critical"));
        assert_eq!(r.alerts[1].alertname, "Disk almost full on db-1");
        assert_eq!(r.alerts[1].page.as_ref().unwrap().number, 1235);
    }

    #[test]
    fn alertmanager_text_details_give_labels_and_runbook() {
        let body = r#"{"alerts":[{"id":"A1","alert_key":"k","body":{"type":"alert_body","contexts":[],"details":{"firing":"Labels:\n - alertname = KubePodCrashLooping\n - namespace = payments\n - pod = api-7d9\n - severity = warning\nAnnotations:\n - runbook_url = https://runbooks.example.com/kubernetes/kubepodcrashlooping\n - summary = Pod is crash looping.\nSource: http://prom/graph\nLabels:\n - alertname = KubePodCrashLooping\n - pod = other\n","num_firing":"2","num_resolved":"0","resolved":""}}}]}"#;
        let a = pagerduty_alerts(&Response::ok(body)).unwrap().unwrap();
        assert_eq!(a.name.as_deref(), Some("KubePodCrashLooping"));
        assert_eq!(a.labels["pod"], "api-7d9", "the first alert's labels only");
        assert_eq!(a.labels["namespace"], "payments");
        assert_eq!(
            a.annotations["runbook_url"],
            "https://runbooks.example.com/kubernetes/kubepodcrashlooping"
        );
    }

    #[test]
    fn flat_details_and_odd_bodies() {
        let flat = r#"{"alerts":[{"body":{"cef_details":{"details":{"alertname":"HighErrorRate","service":"checkout","runbook_url":"https://x/high-error-rate.md","count":3}}}}]}"#;
        let a = pagerduty_alerts(&Response::ok(flat)).unwrap().unwrap();
        assert_eq!(a.name.as_deref(), Some("HighErrorRate"));
        assert_eq!(a.labels["count"], "3");
        assert_eq!(a.annotations["runbook_url"], "https://x/high-error-rate.md");
        for body in [
            r#"{"alerts":[]}"#,
            r#"{"alerts":[{"body":null}]}"#,
            r#"{"alerts":[{"body":{"details":"just text"}}]}"#,
            r#"{"alerts":[{"body":{"details":[1,2]}}]}"#,
        ] {
            assert_eq!(
                pagerduty_alerts(&Response::ok(body)).unwrap(),
                None,
                "{body}"
            );
        }
        assert!(pagerduty_alerts(&Response::ok("<html>")).is_err());
    }

    #[test]
    fn names_from_titles() {
        assert_eq!(name_from_title("[FIRING:3] KubeAPIDown (x)"), "KubeAPIDown");
        assert_eq!(name_from_title("Database down"), "Database down");
        assert_eq!(name_from_title("[RESOLVED]"), "[RESOLVED]");
    }

    #[test]
    fn account_tokens_have_no_me() {
        let mut r = Response::ok(r#"{"error":{"message":"Invalid Input Provided","code":2001}}"#);
        r.status = 400;
        let e = pagerduty_me(&r).unwrap_err().to_string();
        assert!(e.contains("user_ids"), "{e}");
        let me = pagerduty_me(&Response::ok(r#"{"user":{"id":"PXPGF42","name":"Alice"}}"#));
        assert_eq!(me.unwrap(), "PXPGF42");
    }
}
