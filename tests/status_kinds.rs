//! Every kind against a local server answering like the real API: state,
//! summary and items, through the real poller.

mod status_support;

use mayday::status::Kind;
use mayday::status::health::Health;
use status_support::*;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn good(kind: &str) -> mayday::status::Snapshot {
    let server = MockServer::start().await;
    let expect = mount_good(kind, &server).await;
    let env = env();
    let snap = poll_once(source(kind, &server.uri(), "5s", &env), fast()).await;
    assert_eq!(snap.error, None, "{kind}: {snap:#?}");
    assert_eq!(snap.state, expect.state, "{kind}: {snap:#?}");
    assert!(
        snap.summary.starts_with(expect.summary),
        "{kind}: {:?} vs {:?}",
        snap.summary,
        expect.summary
    );
    assert!(!snap.stale);
    assert!(snap.latency_ms.is_some(), "{kind}");
    assert_eq!(snap.name, format!("{kind}-src"));
    snap
}

#[tokio::test]
async fn http_up_with_body_match() {
    let s = good("http").await;
    assert_eq!(s.kind, Kind::Http);
    assert!(s.items.is_empty());
}

#[tokio::test]
async fn statuspage_components_and_incidents() {
    let s = good("statuspage").await;
    let items: Vec<_> = s.items.iter().map(|i| (i.name.as_str(), i.state)).collect();
    assert_eq!(
        items,
        [
            ("Git Operations", Health::Down),
            ("Git operations failing", Health::Down)
        ]
    );
    assert_eq!(s.items[0].detail, "major outage");
    assert_eq!(s.items[1].url.as_deref(), Some("https://stspg.io/abc"));
    assert!(
        s.items[1]
            .detail
            .starts_with("incident investigating · major impact · since ")
    );
}

#[tokio::test]
async fn prometheus_firing_alert_with_runbook() {
    let s = good("prometheus").await;
    assert_eq!(s.items.len(), 1);
    assert_eq!(s.items[0].name, "HighErrorRate");
    assert!(
        s.items[0]
            .detail
            .starts_with("critical · 5xx above 5% · since "),
        "{}",
        s.items[0].detail
    );
    assert!(s.items[0].detail.ends_with(" · job=api"));
    assert_eq!(s.alerts.len(), 1);
    assert_eq!(s.alerts[0].alertname, "HighErrorRate");
    assert_eq!(s.alerts[0].severity.as_deref(), Some("critical"));
    assert_eq!(
        s.alerts[0].runbook_url.as_deref(),
        Some("https://runbooks.test/high-error-rate")
    );
    assert!(s.alerts[0].since.is_some());
}

#[tokio::test]
async fn prometheus_behind_a_path_prefix_and_with_a_query() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/prom/api/v1/query"))
        .and(wiremock::matchers::query_param("query", "sum by (job) (rate(errors[5m]))"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"job":"api"},"value":[1772334000.123,"0.2"]},{"metric":{"job":"web"},"value":[1772334000.123,"0.01"]}]}}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    let yaml = format!(
        "sources:\n  - name: errors\n    kind: prometheus\n    url: '{}/prom/'\n    query: 'sum by (job) (rate(errors[5m]))'\n    threshold: 0.05\n    breach: degraded\n",
        server.uri()
    );
    let src = mayday::config::Config::parse(&yaml)
        .unwrap()
        .sources
        .remove(0);
    let s = poll_once(src, fast()).await;
    assert_eq!(
        (s.state, s.summary.as_str()),
        (Health::Degraded, "1 of 2 above 0.05")
    );
    assert_eq!(s.items[0].name, "{job=\"api\"}");
    assert_eq!(s.items[0].detail, "0.2 > 0.05");
}

#[tokio::test]
async fn alertmanager_active_alerts() {
    let s = good("alertmanager").await;
    assert_eq!(s.items[0].name, "DiskFilling");
    assert_eq!(s.items[0].state, Health::Degraded);
    assert!(
        s.items[0].detail.contains("disk 91% full") && s.items[0].detail.ends_with("instance=db1")
    );
    assert_eq!(
        s.items[0].url.as_deref(),
        Some("http://prometheus:9090/graph?g0.expr=x")
    );
    assert_eq!(s.alerts[0].runbook_url, None);
}

#[tokio::test]
async fn sentry_follows_link_paging_within_the_window() {
    let s = good("sentry").await;
    let names: Vec<_> = s.items.iter().map(|i| i.name.as_str()).collect();
    // Errors first (worst), busiest first within a level; the fatal issue is outside the window.
    assert_eq!(names, ["API-1 Error 1", "API-3 Error 3", "API-2 Error 2"]);
    assert!(
        s.items[0]
            .detail
            .starts_with("error · 120 events · 7 users · last seen "),
        "{}",
        s.items[0].detail
    );
    assert!(
        s.items[0]
            .url
            .as_deref()
            .unwrap()
            .ends_with("/organizations/acme/issues/1/")
    );
}

#[tokio::test]
async fn uptimerobot_pages_and_skips_paused() {
    let s = good("uptimerobot").await;
    let names: Vec<_> = s.items.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["api", "web", "cdn"]);
    assert_eq!(
        s.items[0].detail,
        "up · avg 212 ms · since 2026-03-01T03:00:00Z"
    );
    assert_eq!(s.items[0].url.as_deref(), Some("https://api.test"));
}

#[tokio::test]
async fn uptimerobot_stat_fail_is_unknown_with_the_message() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/getMonitors"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"stat":"fail","error":{"type":"invalid_parameter","parameter_name":"api_key","passed_value":"x","message":"api_key not found."}}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    let env = env();
    let s = poll_once(source("uptimerobot", &server.uri(), "5s", &env), fast()).await;
    assert_eq!(s.state, Health::Unknown);
    assert_eq!(
        s.error.as_deref(),
        Some("the API reported an error: invalid_parameter: api_key not found. (check the token)")
    );
}

#[tokio::test]
async fn betterstack_jsonapi_paging() {
    let s = good("betterstack").await;
    let items: Vec<_> = s.items.iter().map(|i| (i.name.as_str(), i.state)).collect();
    assert_eq!(items, [("web", Health::Degraded), ("api", Health::Up)]);
    assert!(s.items[0].detail.starts_with("validating · checked "));
}

#[tokio::test]
async fn uptime_kuma_both_heartbeat_shapes() {
    for newer in [false, true] {
        let server = MockServer::start().await;
        mount_kuma(&server, newer).await;
        let env = env();
        let s = poll_once(source("uptime-kuma", &server.uri(), "5s", &env), fast()).await;
        assert_eq!(
            (s.state, s.summary.as_str()),
            (Health::Degraded, "1 degraded of 2, 1 in maintenance"),
            "newer={newer}"
        );
        let items: Vec<_> = s
            .items
            .iter()
            .map(|i| (i.name.as_str(), i.detail.as_str()))
            .collect();
        assert_eq!(
            items,
            [
                (
                    "Worker",
                    "pending · 97.00% (24h) · No heartbeat in the time window"
                ),
                ("API", "up · 42 ms · 99.86% (24h) · 200 - OK"),
            ],
            "newer={newer}"
        );
    }
}

#[tokio::test]
async fn gatus_latest_result() {
    let s = good("gatus").await;
    assert_eq!(s.items[0].name, "core/db");
    assert!(
        s.items[0]
            .detail
            .ends_with("failed: [CONNECTED] == true, dial tcp: connection refused"),
        "{}",
        s.items[0].detail
    );
    assert!(s.items[1].detail.starts_with("up · HTTP 200 · 21 ms · "));
}

#[tokio::test]
async fn healthchecks_with_api_key() {
    let s = good("healthchecks").await;
    let names: Vec<_> = s.items.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["backup", "report"]);
    // The ping URL is a capability: it is never shown.
    assert!(
        s.items
            .iter()
            .all(|i| i.url.is_none() && !i.detail.contains("hc-ping"))
    );
}

#[tokio::test]
async fn hostile_text_is_sanitized() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/alerts"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"status":"success","data":{"alerts":[{"labels":{"alertname":"Evil\u001b]0;pwned\u0007\u001b[31m","severity":"critical"},"annotations":{"summary":"a\u202eb\nc"},"state":"firing","activeAt":"2026-03-01T03:00:00Z"}]}}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    let env = env();
    let s = poll_once(source("prometheus", &server.uri(), "5s", &env), fast()).await;
    for text in [&s.items[0].name, &s.items[0].detail, &s.alerts[0].alertname] {
        assert!(
            !text.chars().any(|c| c.is_control() || c == '\u{202e}'),
            "{text:?}"
        );
    }
    assert!(s.items[0].name.starts_with("Evil"));
}

#[tokio::test]
async fn loki_answers_with_its_labels() {
    let s = good("loki").await;
    assert_eq!(s.kind, Kind::Loki);
}
