//! Uptime monitors: UptimeRobot, Better Stack, Uptime Kuma, Gatus, Healthchecks.

use super::{
    Reading, Response, any_str, check_status, fmt_ms, fmt_time, json, monitor_reading, num_or_str,
    parse_time, truncate,
};
use crate::status::health::Health;
use crate::status::source::Kind;
use crate::status::{Item, PollError};
use serde::Deserialize;
use std::collections::HashMap;

// ---------------------------------------------------------------- UptimeRobot

#[derive(Deserialize)]
struct UrResponse {
    stat: String,
    #[serde(default)]
    error: Option<serde_json::Value>,
    #[serde(default)]
    pagination: Option<UrPagination>,
    #[serde(default)]
    monitors: Vec<UrMonitor>,
}

#[derive(Deserialize)]
struct UrPagination {
    #[serde(default)]
    offset: u64,
    #[serde(default)]
    limit: u64,
    #[serde(default)]
    total: u64,
}

#[derive(Deserialize)]
struct UrMonitor {
    #[serde(default)]
    friendly_name: String,
    #[serde(default)]
    url: Option<String>,
    status: i64,
    #[serde(default, deserialize_with = "num_or_str")]
    average_response_time: Option<f64>,
    #[serde(default)]
    logs: Vec<UrLog>,
}

#[derive(Deserialize)]
struct UrLog {
    #[serde(default)]
    datetime: i64,
}

/// One page of `getMonitors`.
#[derive(Clone, Debug, PartialEq)]
pub struct UptimeRobotPage {
    /// The monitors on this page.
    pub items: Vec<Item>,
    /// Paused monitors (left out).
    pub ignored: usize,
    /// The `offset` of the next page, if there is one.
    pub next_offset: Option<u64>,
}

/// `POST /v2/getMonitors`: any `9` → down, `8` → degraded, all `2` → up;
/// paused (`0`) monitors are left out, `1` (not checked yet) is unknown.
/// Errors arrive as `"stat": "fail"` with HTTP 200.
pub fn uptimerobot_page(resp: &Response) -> Result<UptimeRobotPage, PollError> {
    check_status(Kind::Uptimerobot, resp)?;
    let r: UrResponse = json(&resp.body, "the UptimeRobot API")?;
    if r.stat != "ok" {
        let e = r.error.unwrap_or_default();
        let field = |k: &str| e.get(k).and_then(|v| v.as_str()).unwrap_or("").to_owned();
        let (kind, msg) = (field("type"), field("message"));
        let text = match (kind.is_empty(), msg.is_empty()) {
            (true, true) => format!("stat: {}", r.stat),
            (false, true) => kind.clone(),
            (true, false) => msg,
            (false, false) => format!("{kind}: {msg}"),
        };
        let hint = if text.contains("api_key") {
            " (check the token)"
        } else {
            ""
        };
        return Err(PollError::Api(format!("{}{hint}", truncate(&text, 160))));
    }
    let mut ignored = 0;
    let mut items = Vec::with_capacity(r.monitors.len());
    for m in r.monitors {
        let (state, word) = match m.status {
            0 => {
                ignored += 1;
                continue;
            }
            1 => (Health::Unknown, "not checked yet"),
            2 => (Health::Up, "up"),
            8 => (Health::Degraded, "seems down"),
            9 => (Health::Down, "down"),
            _ => (Health::Unknown, "unknown status"),
        };
        let mut detail = word.to_owned();
        if let Some(ms) = m.average_response_time.filter(|ms| *ms > 0.0) {
            detail.push_str(&format!(" · avg {}", fmt_ms(ms)));
        }
        if let Some(t) = m
            .logs
            .iter()
            .map(|l| l.datetime)
            .max()
            .and_then(|s| jiff::Timestamp::from_second(s).ok())
            .filter(|_| m.status != 1)
        {
            detail.push_str(&format!(" · since {}", fmt_time(t)));
        }
        items.push(Item {
            name: m.friendly_name,
            state,
            detail,
            url: m.url.filter(|u| !u.is_empty()),
        });
    }
    let next_offset = r.pagination.and_then(|p| {
        let next = p.offset.saturating_add(p.limit.max(1));
        (p.limit > 0 && next < p.total).then_some(next)
    });
    Ok(UptimeRobotPage {
        items,
        ignored,
        next_offset,
    })
}

// ---------------------------------------------------------------- Better Stack

#[derive(Deserialize)]
struct BsResponse {
    data: Vec<BsMonitor>,
    #[serde(default)]
    pagination: Option<BsPagination>,
}

#[derive(Deserialize)]
struct BsMonitor {
    attributes: BsAttributes,
}

#[derive(Deserialize)]
struct BsAttributes {
    #[serde(default)]
    pronounceable_name: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    status: String,
    #[serde(default)]
    last_checked_at: Option<String>,
}

#[derive(Deserialize)]
struct BsPagination {
    #[serde(default)]
    next: Option<String>,
}

/// `GET /api/v2/monitors` (JSON:API): `down` → down, `validating`/`pending`
/// → degraded, `up` → up; paused and maintenance are left out. Returns the
/// items, how many were left out, and the next page's URL.
pub fn betterstack_page(resp: &Response) -> Result<(Vec<Item>, usize, Option<String>), PollError> {
    check_status(Kind::Betterstack, resp)?;
    let r: BsResponse = json(&resp.body, "the Better Stack Uptime API")?;
    let mut ignored = 0;
    let mut items = Vec::with_capacity(r.data.len());
    for m in r.data {
        let a = m.attributes;
        let state = match a.status.as_str() {
            "paused" | "maintenance" => {
                ignored += 1;
                continue;
            }
            "up" => Health::Up,
            "validating" | "pending" => Health::Degraded,
            "down" => Health::Down,
            _ => Health::Unknown,
        };
        let mut detail = a.status.clone();
        if let Some(t) = a.last_checked_at.as_deref().and_then(parse_time) {
            detail.push_str(&format!(" · checked {}", fmt_time(t)));
        }
        let name = a
            .pronounceable_name
            .filter(|n| !n.trim().is_empty())
            .or_else(|| a.url.clone())
            .unwrap_or_else(|| "(unnamed monitor)".into());
        items.push(Item {
            name,
            state,
            detail,
            url: a.url.filter(|u| !u.is_empty()),
        });
    }
    let next = r.pagination.and_then(|p| p.next).filter(|n| !n.is_empty());
    Ok((items, ignored, next))
}

// ---------------------------------------------------------------- Uptime Kuma

#[derive(Deserialize)]
struct KumaPage {
    #[serde(default, rename = "publicGroupList")]
    groups: Vec<KumaGroup>,
}

#[derive(Deserialize)]
struct KumaGroup {
    #[serde(default, rename = "monitorList")]
    monitors: Vec<KumaMonitor>,
}

#[derive(Deserialize)]
struct KumaMonitor {
    #[serde(deserialize_with = "any_str")]
    id: Option<String>,
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
struct KumaHeartbeats {
    #[serde(rename = "heartbeatList")]
    heartbeats: HashMap<String, Vec<KumaBeat>>,
    #[serde(default, rename = "uptimeList")]
    uptime: HashMap<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct KumaBeat {
    status: i64,
    #[serde(default)]
    msg: Option<String>,
    #[serde(default, deserialize_with = "num_or_str")]
    ping: Option<f64>,
}

/// The monitors of a status page (`GET /api/status-page/{slug}`), in page
/// order, as `(id, name)`.
pub fn kuma_names(resp: &Response) -> Result<Vec<(String, String)>, PollError> {
    check_status(Kind::UptimeKuma, resp)?;
    let page: KumaPage = json(&resp.body, "an Uptime Kuma status page")?;
    Ok(page
        .groups
        .into_iter()
        .flat_map(|g| g.monitors)
        .filter_map(|m| Some((m.id?, m.name)))
        .collect())
}

/// `GET /api/status-page/heartbeat/{slug}`: the newest beat of each monitor
/// (0 → down, 2 → degraded, 1 → up, 3 maintenance left out). Both shapes:
/// `uptimeList` keyed `"<id>_24"` (older) or `"<id>"` (newer).
pub fn kuma(names: Option<&[(String, String)]>, resp: &Response) -> Result<Reading, PollError> {
    check_status(Kind::UptimeKuma, resp)?;
    let hb: KumaHeartbeats = json(&resp.body, "an Uptime Kuma status page (heartbeats)")?;
    let order: Vec<(String, String)> = match names {
        Some(n) => {
            let mut order = n.to_vec();
            let mut extra: Vec<&String> = hb
                .heartbeats
                .keys()
                .filter(|id| !n.iter().any(|(i, _)| i == *id))
                .collect();
            extra.sort_by_key(|id| (id.len(), (*id).clone()));
            order.extend(
                extra
                    .into_iter()
                    .map(|id| (id.clone(), format!("monitor {id}"))),
            );
            order
        }
        None => {
            let mut ids: Vec<&String> = hb.heartbeats.keys().collect();
            ids.sort_by_key(|id| (id.len(), (*id).clone()));
            ids.into_iter()
                .map(|id| (id.clone(), format!("monitor {id}")))
                .collect()
        }
    };
    let mut ignored = 0;
    let mut items = Vec::with_capacity(order.len());
    for (id, name) in order {
        let beat = hb.heartbeats.get(&id).and_then(|b| b.last());
        let (state, word) = match beat.map(|b| b.status) {
            None => (Health::Unknown, "no heartbeat yet"),
            Some(3) => {
                ignored += 1;
                continue;
            }
            Some(0) => (Health::Down, "down"),
            Some(1) => (Health::Up, "up"),
            Some(2) => (Health::Degraded, "pending"),
            Some(_) => (Health::Unknown, "unknown status"),
        };
        let mut detail = word.to_owned();
        if let Some(ms) = beat.and_then(|b| b.ping) {
            detail.push_str(&format!(" · {}", fmt_ms(ms)));
        }
        let uptime = hb
            .uptime
            .get(&format!("{id}_24"))
            .or_else(|| hb.uptime.get(&id))
            .and_then(serde_json::Value::as_f64);
        if let Some(u) = uptime {
            detail.push_str(&format!(" · {:.2}% (24h)", u * 100.0));
        }
        if let Some(msg) = beat
            .and_then(|b| b.msg.as_deref())
            .filter(|m| !m.trim().is_empty())
        {
            detail.push_str(" · ");
            detail.push_str(&truncate(msg, 120));
        }
        items.push(Item {
            name,
            state,
            detail,
            url: None,
        });
    }
    Ok(monitor_reading(items, ignored, "in maintenance", "monitor"))
}

// ---------------------------------------------------------------- Gatus

#[derive(Deserialize)]
struct GatusEndpoint {
    #[serde(default)]
    name: String,
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    results: Vec<GatusResult>,
}

#[derive(Deserialize)]
struct GatusResult {
    #[serde(default)]
    status: Option<i64>,
    #[serde(default)]
    duration: Option<f64>,
    #[serde(default, rename = "conditionResults")]
    conditions: Vec<GatusCondition>,
    success: bool,
    #[serde(default)]
    timestamp: Option<String>,
    #[serde(default)]
    errors: Vec<String>,
}

#[derive(Deserialize)]
struct GatusCondition {
    condition: String,
    success: bool,
}

/// `GET /api/v1/endpoints/statuses`: the newest (last) result of each
/// endpoint: successful → up, else down.
pub fn gatus(resp: &Response) -> Result<Reading, PollError> {
    check_status(Kind::Gatus, resp)?;
    let eps: Vec<GatusEndpoint> = json(&resp.body, "a Gatus server")?;
    let items = eps
        .into_iter()
        .map(|e| {
            let name = match e.group.filter(|g| !g.is_empty()) {
                Some(g) => format!("{g}/{}", e.name),
                None => e.name,
            };
            let Some(r) = e.results.last() else {
                return Item {
                    name,
                    state: Health::Unknown,
                    detail: "no results yet".into(),
                    url: None,
                };
            };
            let mut detail = if r.success {
                "up".to_owned()
            } else {
                "down".to_owned()
            };
            if let Some(code) = r.status.filter(|c| *c > 0) {
                detail.push_str(&format!(" · HTTP {code}"));
            }
            if let Some(ns) = r.duration {
                detail.push_str(&format!(" · {}", fmt_ms(ns / 1e6)));
            }
            if let Some(t) = r.timestamp.as_deref().and_then(parse_time) {
                detail.push_str(&format!(" · {}", fmt_time(t)));
            }
            if !r.success {
                let failed: Vec<&str> = r
                    .conditions
                    .iter()
                    .filter(|c| !c.success)
                    .map(|c| c.condition.as_str())
                    .chain(r.errors.iter().map(String::as_str))
                    .collect();
                if !failed.is_empty() {
                    detail.push_str(" · failed: ");
                    detail.push_str(&truncate(&failed.join(", "), 160));
                }
            }
            Item {
                name,
                state: if r.success { Health::Up } else { Health::Down },
                detail,
                url: None,
            }
        })
        .collect();
    Ok(monitor_reading(items, 0, "", "endpoint"))
}

// ---------------------------------------------------------------- Healthchecks

#[derive(Deserialize)]
struct HcResponse {
    checks: Vec<HcCheck>,
}

#[derive(Deserialize)]
struct HcCheck {
    #[serde(default)]
    name: String,
    #[serde(default)]
    slug: Option<String>,
    #[serde(default)]
    status: String,
    #[serde(default)]
    last_ping: Option<String>,
    #[serde(default)]
    n_pings: Option<u64>,
}

/// `GET /api/v3/checks/`: `down` → down, `grace` → degraded, `up`/`new` →
/// up; paused checks are left out.
pub fn healthchecks(resp: &Response) -> Result<Reading, PollError> {
    check_status(Kind::Healthchecks, resp)?;
    let r: HcResponse = json(&resp.body, "a Healthchecks server (v3 API)")?;
    let mut ignored = 0;
    let mut items = Vec::with_capacity(r.checks.len());
    for c in r.checks {
        let state = match c.status.as_str() {
            "paused" => {
                ignored += 1;
                continue;
            }
            "up" | "new" => Health::Up,
            "grace" => Health::Degraded,
            "down" => Health::Down,
            _ => Health::Unknown,
        };
        let mut detail = c.status.clone();
        match c.last_ping.as_deref().and_then(parse_time) {
            Some(t) => detail.push_str(&format!(" · last ping {}", fmt_time(t))),
            None if c.n_pings == Some(0) || c.last_ping.is_none() => {
                detail.push_str(" · never pinged")
            }
            None => {}
        }
        let name = if c.name.trim().is_empty() {
            c.slug
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "(unnamed check)".into())
        } else {
            c.name
        };
        items.push(Item {
            name,
            state,
            detail,
            url: None,
        });
    }
    Ok(monitor_reading(items, ignored, "paused", "check"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uptimerobot_states_paging_and_fail() {
        let body = r#"{"stat":"ok","pagination":{"offset":0,"limit":50,"total":120},"monitors":[
          {"id":1,"friendly_name":"API","url":"https://api.test","type":1,"status":2,"average_response_time":"212.5","logs":[{"type":2,"datetime":1772334000,"duration":100},{"type":1,"datetime":1772330000,"duration":10}]},
          {"id":2,"friendly_name":"Web","url":"https://web.test","type":1,"status":9,"logs":[]},
          {"id":3,"friendly_name":"Paused","url":"","type":1,"status":0},
          {"id":4,"friendly_name":"Flaky","url":"","type":1,"status":8}]}"#;
        let p = uptimerobot_page(&Response::ok(body)).unwrap();
        assert_eq!((p.ignored, p.next_offset), (1, Some(50)));
        assert_eq!(
            p.items[0].detail,
            "up · avg 213 ms · since 2026-03-01T03:00:00Z"
        );
        let r = monitor_reading(p.items, p.ignored, "paused", "monitor");
        assert_eq!(
            (r.state, r.summary.as_str()),
            (Health::Down, "1 down, 1 degraded of 3, 1 paused")
        );
        let fail = r#"{"stat":"fail","error":{"type":"invalid_parameter","parameter_name":"api_key","message":"api_key not found."}}"#;
        let e = uptimerobot_page(&Response::ok(fail)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the API reported an error: invalid_parameter: api_key not found. (check the token)"
        );
    }

    #[test]
    fn betterstack_jsonapi() {
        let body = r#"{"data":[
          {"id":"1","type":"monitor","attributes":{"url":"https://a.test","pronounceable_name":"A","monitor_type":"status","status":"up","last_checked_at":"2026-03-01T03:14:00.000Z"}},
          {"id":"2","type":"monitor","attributes":{"url":"https://b.test","pronounceable_name":"B","status":"validating"}},
          {"id":"3","type":"monitor","attributes":{"url":"https://c.test","pronounceable_name":"C","status":"maintenance"}}],
          "pagination":{"first":"https://x/api/v2/monitors?page=1","last":"https://x/api/v2/monitors?page=2","prev":null,"next":"https://x/api/v2/monitors?page=2"}}"#;
        let (items, ignored, next) = betterstack_page(&Response::ok(body)).unwrap();
        assert_eq!(ignored, 1);
        assert_eq!(next.as_deref(), Some("https://x/api/v2/monitors?page=2"));
        assert_eq!(items[0].detail, "up · checked 2026-03-01T03:14:00Z");
        assert_eq!(items[1].state, Health::Degraded);
    }

    #[test]
    fn kuma_both_shapes() {
        let names = r#"{"config":{"slug":"prod","title":"Prod"},"incident":null,"publicGroupList":[
          {"id":1,"name":"Services","weight":1,"monitorList":[{"id":1,"name":"API","type":"http"},{"id":2,"name":"DB","type":"port"},{"id":3,"name":"Backup","type":"push"}]}],"maintenanceList":[]}"#;
        let names = kuma_names(&Response::ok(names)).unwrap();
        assert_eq!(names[1], ("2".to_owned(), "DB".to_owned()));
        let old = r#"{"heartbeatList":{"1":[{"status":0,"time":"2026-03-01 03:00:00.000","msg":"","ping":null},{"status":1,"time":"2026-03-01 03:01:00.000","msg":"200 - OK","ping":23}],
          "2":[{"status":0,"time":"2026-03-01 03:01:00.000","msg":"ECONNREFUSED","ping":null}],"3":[{"status":3,"time":"2026-03-01 03:01:00.000","msg":""}]},
          "uptimeList":{"1_24":0.9931,"2_24":0.5}}"#;
        let new = r#"{"heartbeatList":{"1":[{"status":1,"time":"2026-03-01T03:01:00.000Z","msg":"200 - OK","ping":23}],
          "2":[{"status":0,"time":"2026-03-01T03:01:00.000Z","msg":"ECONNREFUSED","ping":null}],"3":[{"status":3,"time":"2026-03-01T03:01:00Z","msg":""}]},
          "uptimeList":{"1":0.9931,"2":0.5}}"#;
        for body in [old, new] {
            let r = kuma(Some(&names), &Response::ok(body)).unwrap();
            assert_eq!(
                (r.state, r.summary.as_str()),
                (Health::Down, "1 down of 2, 1 in maintenance")
            );
            assert_eq!(r.items[0].name, "API");
            assert_eq!(r.items[0].detail, "up · 23 ms · 99.31% (24h) · 200 - OK");
            assert_eq!(r.items[1].detail, "down · 50.00% (24h) · ECONNREFUSED");
        }
        let r = kuma(None, &Response::ok(new)).unwrap();
        assert_eq!(r.items[0].name, "monitor 1");
    }

    #[test]
    fn gatus_latest_result() {
        let body = r#"[{"name":"api","group":"core","key":"core_api","results":[
            {"status":500,"hostname":"api","duration":1000000,"conditionResults":[{"condition":"[STATUS] == 200","success":false}],"success":false,"timestamp":"2026-03-01T03:00:00Z"},
            {"status":200,"hostname":"api","duration":12500000,"conditionResults":[{"condition":"[STATUS] == 200","success":true}],"success":true,"timestamp":"2026-03-01T03:01:00Z"}],"events":[]},
          {"name":"db","key":"_db","results":[{"status":0,"duration":0,"conditionResults":[{"condition":"[CONNECTED] == true","success":false}],"success":false,"timestamp":"2026-03-01T03:01:00Z","errors":["dial tcp: connection refused"]}]}]"#;
        let r = gatus(&Response::ok(body)).unwrap();
        assert_eq!((r.state, r.summary.as_str()), (Health::Down, "1 down of 2"));
        assert_eq!(
            r.items[0].detail,
            "up · HTTP 200 · 13 ms · 2026-03-01T03:01:00Z"
        );
        assert!(
            r.items[1]
                .detail
                .ends_with("failed: [CONNECTED] == true, dial tcp: connection refused")
        );
    }

    #[test]
    fn healthchecks_states() {
        let body = r#"{"checks":[
          {"name":"backup","slug":"backup","tags":"prod","status":"grace","last_ping":"2026-03-01T02:00:00+00:00","n_pings":5},
          {"name":"","slug":"cron","tags":"","status":"new","last_ping":null,"n_pings":0},
          {"name":"old","slug":"old","tags":"","status":"paused","last_ping":null,"n_pings":0}]}"#;
        let r = healthchecks(&Response::ok(body)).unwrap();
        assert_eq!(
            (r.state, r.summary.as_str()),
            (Health::Degraded, "1 degraded of 2, 1 paused")
        );
        assert_eq!(r.items[0].detail, "grace · last ping 2026-03-01T02:00:00Z");
        assert_eq!(
            (r.items[1].name.as_str(), r.items[1].detail.as_str()),
            ("cron", "new · never pinged")
        );
    }
}
