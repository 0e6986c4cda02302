//! Kind `statuspage`: Atlassian Statuspage's public `/api/v2/summary.json`.

use super::{Reading, Response, check_status, fmt_time, json, parse_time, worst};
use crate::status::health::Health;
use crate::status::source::Kind;
use crate::status::{Item, PollError};
use serde::Deserialize;

#[derive(Deserialize)]
struct Summary {
    #[serde(default)]
    page: Option<Page>,
    status: Status,
    #[serde(default)]
    components: Vec<Component>,
    #[serde(default)]
    incidents: Vec<Incident>,
}

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    url: Option<String>,
}

#[derive(Deserialize)]
struct Status {
    indicator: String,
    #[serde(default)]
    description: String,
}

#[derive(Deserialize)]
struct Component {
    name: String,
    status: String,
    #[serde(default)]
    group: bool,
}

#[derive(Deserialize)]
struct Incident {
    name: String,
    status: String,
    #[serde(default)]
    impact: Option<String>,
    #[serde(default)]
    shortlink: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
}

/// `status.indicator` none → up, minor → degraded, major/critical → down;
/// the state is also no better than any component or unresolved incident.
pub fn statuspage(resp: &Response) -> Result<Reading, PollError> {
    check_status(Kind::Statuspage, resp)?;
    let s: Summary = json(&resp.body, "a Statuspage page")?;
    let indicator = match s.status.indicator.as_str() {
        "none" | "maintenance" => Health::Up,
        "minor" => Health::Degraded,
        "major" | "critical" => Health::Down,
        _ => Health::Unknown,
    };
    let page_url = s.page.and_then(|p| p.url);
    let mut items = Vec::new();
    for c in s
        .components
        .into_iter()
        .filter(|c| !c.group && c.status != "operational")
    {
        let state = match c.status.as_str() {
            "degraded_performance" | "partial_outage" => Health::Degraded,
            "major_outage" => Health::Down,
            // Planned work: shown, but not a problem.
            "under_maintenance" => Health::Up,
            _ => Health::Unknown,
        };
        items.push(Item {
            name: c.name,
            state,
            detail: c.status.replace('_', " "),
            url: page_url.clone(),
        });
    }
    for i in s
        .incidents
        .into_iter()
        .filter(|i| !matches!(i.status.as_str(), "resolved" | "postmortem" | "completed"))
    {
        let impact = i.impact.as_deref().unwrap_or("none");
        let state = match impact {
            "minor" => Health::Degraded,
            "major" | "critical" => Health::Down,
            _ => Health::Up,
        };
        let mut detail = format!("incident {} · {impact} impact", i.status);
        if let Some(t) = i.created_at.as_deref().and_then(parse_time) {
            detail.push_str(&format!(" · since {}", fmt_time(t)));
        }
        items.push(Item {
            name: i.name,
            state,
            detail,
            url: i.shortlink.or_else(|| page_url.clone()),
        });
    }
    let state = indicator.worst(worst(&items));
    let summary = if s.status.description.trim().is_empty() {
        format!("indicator {}", s.status.indicator)
    } else {
        s.status.description
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

    #[test]
    fn indicator_components_and_incidents() {
        let body = r#"{"page":{"id":"x","name":"Acme","url":"https://status.acme.test","time_zone":"Etc/UTC","updated_at":"2026-03-01T03:00:00.000Z"},
          "status":{"indicator":"minor","description":"Partially Degraded Service"},
          "components":[
            {"id":"a","name":"API","status":"operational","group":false},
            {"id":"b","name":"Webhooks","status":"partial_outage","group":false},
            {"id":"g","name":"Infra","status":"major_outage","group":true},
            {"id":"c","name":"DB","status":"under_maintenance","group":false}],
          "incidents":[
            {"id":"i1","name":"Webhook delays","status":"identified","impact":"minor","shortlink":"https://stspg.io/x","created_at":"2026-03-01T02:50:00.000Z","incident_updates":[]},
            {"id":"i2","name":"Old thing","status":"resolved","impact":"major"}],
          "scheduled_maintenances":[]}"#;
        let r = statuspage(&Response::ok(body)).unwrap();
        assert_eq!(r.state, Health::Degraded);
        assert_eq!(r.summary, "Partially Degraded Service");
        let names: Vec<_> = r.items.iter().map(|i| (i.name.as_str(), i.state)).collect();
        assert_eq!(
            names,
            [
                ("Webhooks", Health::Degraded),
                ("DB", Health::Up),
                ("Webhook delays", Health::Degraded)
            ]
        );
        assert_eq!(r.items[2].url.as_deref(), Some("https://stspg.io/x"));
        assert!(r.items[2].detail.contains("since 2026-03-01T02:50:00Z"));
        let ok = r#"{"status":{"indicator":"none","description":"All Systems Operational"},"components":[],"incidents":[]}"#;
        assert_eq!(statuspage(&Response::ok(ok)).unwrap().state, Health::Up);
        let crit = r#"{"status":{"indicator":"critical","description":"Major Outage"}}"#;
        assert_eq!(statuspage(&Response::ok(crit)).unwrap().state, Health::Down);
    }
}
