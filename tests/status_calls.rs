//! PagerDuty against a local server shaped like its REST API v2 reference
//! (pagination, `ratelimit-*` headers and 429s, `GET /users/me`, the
//! `From` header of writes, a refused token), and the writes a responder
//! asks for — silences in Alertmanager, acknowledging, resolving and
//! noting a page — made by the source's own task through the real poller.

mod status_support;

use mayday::status::health::Health;
use mayday::status::poller::spawn_with;
use mayday::status::{Call, SourceConfig, Update};
use status_support::*;
use std::time::Duration;
use tokio::sync::mpsc;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn pagerduty(server: &MockServer, env: &Env, extra: &str) -> SourceConfig {
    let yaml = format!(
        "sources:\n  - name: pd\n    kind: pagerduty\n    url: '{}'\n    timeout: 5s\n    token_file: '{}'\n{extra}",
        server.uri(),
        env.token_file.display()
    );
    let cfg = mayday::config::Config::parse(&yaml).unwrap_or_else(|e| panic!("{yaml}\n{e}"));
    cfg.sources.into_iter().next().unwrap()
}

fn json(body: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.as_bytes().to_vec(), "application/json")
}

async fn next(rx: &mut mpsc::Receiver<Update>) -> mayday::status::Snapshot {
    tokio::time::timeout(Duration::from_secs(30), rx.recv())
        .await
        .expect("no update within 30 s")
        .expect("channel closed")
        .snapshot
}

#[tokio::test]
async fn pages_with_what_they_were_paged_for() {
    let server = MockServer::start().await;
    mount_pagerduty(&server).await;
    let env = env();
    let s = poll_once(
        pagerduty(&server, &env, "    from: alice@example.com\n"),
        fast(),
    )
    .await;
    assert_eq!(s.error, None, "{s:#?}");
    assert_eq!(
        (s.state, s.summary.as_str()),
        (Health::Down, "1 triggered, 1 acknowledged")
    );
    assert_eq!(s.items.len(), 2, "both pages of the list were read");
    let first = &s.alerts[0];
    assert_eq!(first.alertname, "KubePodCrashLooping");
    assert_eq!(first.labels["namespace"], "payments");
    assert_eq!(
        first.severity.as_deref(),
        Some("warning"),
        "the alert's own label wins over urgency"
    );
    assert!(
        first
            .runbook_url
            .as_deref()
            .unwrap()
            .ends_with("/kubepodcrashlooping")
    );
    let page = first.page.as_ref().unwrap();
    assert_eq!(
        (
            page.id.as_str(),
            page.number,
            page.service.as_str(),
            page.urgency.as_str()
        ),
        ("PT4KHLK", 1234, "payments", "high")
    );
    // No alert details: the title names it.
    assert_eq!(s.alerts[1].alertname, "Disk almost full on db-1");
    assert_eq!(s.alerts[1].page.as_ref().unwrap().status, "acknowledged");
}

#[tokio::test]
async fn what_a_page_was_paged_for_is_asked_once_while_it_stays_open() {
    let server = MockServer::start().await;
    mount_pagerduty(&server).await;
    Mock::given(method("GET"))
        .and(path("/incidents/PT4KHLK/alerts"))
        .respond_with(json(r#"{"alerts":[]}"#))
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/users/me"))
        .respond_with(json(r#"{"user":{"id":"PXPGF42"}}"#))
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    let env = env();
    let (tx, mut rx) = mpsc::channel(8);
    let h = spawn_with(vec![pagerduty(&server, &env, "")], tx, fast());
    next(&mut rx).await;
    h.poll_now(&mayday::status::PollTarget::All);
    let s = next(&mut rx).await;
    assert_eq!(s.error, None);
    h.shutdown().await;
    server.verify().await;
}

#[tokio::test]
async fn configured_users_skip_users_me_and_an_account_token_says_what_to_set() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/users/me"))
        .respond_with(ResponseTemplate::new(400).set_body_raw(
            r#"{"error":{"message":"Invalid Input Provided","code":2001,"errors":["Account-level token has no user"]}}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/incidents"))
        .and(query_param("service_ids[]", "PIJ90N7"))
        .and(query_param("statuses[]", "triggered"))
        .respond_with(json(
            r#"{"incidents":[],"limit":100,"offset":0,"more":false}"#,
        ))
        .mount(&server)
        .await;
    let env = env();
    let s = poll_once(pagerduty(&server, &env, ""), fast()).await;
    let e = s.error.unwrap();
    assert!(e.contains("service_ids"), "{e}");
    let s = poll_once(
        pagerduty(&server, &env, "    service_ids: [PIJ90N7]\n"),
        fast(),
    )
    .await;
    assert_eq!(s.error, None, "{s:#?}");
    assert_eq!((s.state, s.summary.as_str()), (Health::Up, "no open pages"));
}

#[tokio::test]
async fn a_429_waits_for_the_ratelimit_reset_then_goes_on() {
    let server = MockServer::start().await;
    mount_pagerduty(&server).await;
    // PagerDuty's 429 carries no Retry-After, only the rate-limit headers.
    Mock::given(method("GET"))
        .and(path("/incidents"))
        .and(query_param("offset", "0"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("ratelimit-limit", "960")
                .insert_header("ratelimit-remaining", "0")
                .insert_header("ratelimit-reset", "1")
                .set_body_raw(
                    r#"{"error":{"message":"Rate Limit Exceeded","code":2020}}"#,
                    "application/json",
                ),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    let env = env();
    let started = std::time::Instant::now();
    let s = poll_once(pagerduty(&server, &env, ""), fast()).await;
    assert_eq!(s.error, None, "{s:#?}");
    assert_eq!(s.summary, "1 triggered, 1 acknowledged");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "waited for the reset"
    );

    // A reset far off ends the poll, and says how long it waits.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("ratelimit-remaining", "0")
                .insert_header("ratelimit-reset", "45"),
        )
        .mount(&server)
        .await;
    let s = poll_once(
        pagerduty(&server, &env, "    user_ids: [PXPGF42]\n"),
        fast(),
    )
    .await;
    let e = s.error.unwrap();
    assert!(
        e.contains("rate limited (HTTP 429), retry after 45s"),
        "{e}"
    );
}

#[tokio::test]
async fn a_refused_token_is_named() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_raw(
            r#"{"error":{"message":"Authentication failed","code":2006}}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    let env = env();
    let s = poll_once(pagerduty(&server, &env, ""), fast()).await;
    let e = s.error.unwrap();
    assert!(
        e.contains("HTTP 401: the token was refused") && e.contains("Authentication failed"),
        "{e}"
    );
    assert_eq!(s.state, Health::Unknown);
}

/// Make one call through a running source task.
async fn call(src: SourceConfig, c: Call) -> Result<String, String> {
    let (tx, mut rx) = mpsc::channel(8);
    let h = spawn_with(vec![src], tx, fast());
    let name = h.sources().next().unwrap().to_owned();
    let answer = h.call(&name, c).unwrap();
    let reply = tokio::time::timeout(Duration::from_secs(30), answer)
        .await
        .expect("no answer within 30 s")
        .expect("the task dropped the call");
    // The task polls again after a call: the screen sees what changed.
    let mut updates = 0;
    while updates < 2 {
        tokio::time::timeout(Duration::from_secs(30), rx.recv())
            .await
            .unwrap()
            .unwrap();
        updates += 1;
    }
    h.shutdown().await;
    reply
}

#[tokio::test]
async fn acknowledge_resolve_and_notes_carry_the_from_header() {
    let server = MockServer::start().await;
    mount_pagerduty(&server).await;
    let auth = format!("Token token={TOKEN}");
    for status in ["acknowledged", "resolved"] {
        Mock::given(method("PUT"))
            .and(path("/incidents"))
            .and(header("from", "alice@example.com"))
            .and(header("authorization", auth.as_str()))
            .and(header("accept", "application/vnd.pagerduty+json;version=2"))
            .and(body_json(serde_json::json!({"incidents":[
                {"id":"PT4KHLK","type":"incident_reference","status":status}]})))
            .respond_with(json(&format!(
                r#"{{"incidents":[{{"id":"PT4KHLK","type":"incident","status":"{status}"}}]}}"#
            )))
            .expect(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("POST"))
        .and(path("/incidents/PT4KHLK/notes"))
        .and(header("from", "alice@example.com"))
        .and(body_json(
            serde_json::json!({"note":{"content":"rolled back to v41; error rate falling"}}),
        ))
        .respond_with(ResponseTemplate::new(201).set_body_raw(
            r#"{"note":{"id":"PWL7QXS","content":"x"}}"#,
            "application/json",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let env = env();
    let src = pagerduty(&server, &env, "    from: alice@example.com\n");
    let page = || "PT4KHLK".to_owned();
    assert_eq!(
        call(src.clone(), Call::Acknowledge { page_id: page() }).await,
        Ok("acknowledged".into())
    );
    assert_eq!(
        call(src.clone(), Call::ResolvePage { page_id: page() }).await,
        Ok("resolved".into())
    );
    let note = Call::PageNote {
        page_id: page(),
        content: "rolled back to v41; error rate falling".into(),
    };
    assert_eq!(call(src, note).await, Ok("note added".into()));
    server.verify().await;

    // Without `from:` a write is refused before it is sent, with what to add.
    let e = call(
        pagerduty(&server, &env, ""),
        Call::Acknowledge { page_id: page() },
    )
    .await
    .unwrap_err();
    assert!(e.contains("needs `from:`"), "{e}");
}

#[tokio::test]
async fn a_refused_write_is_an_answer_not_a_hang() {
    let server = MockServer::start().await;
    mount_pagerduty(&server).await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(403).set_body_raw(
            r#"{"error":{"message":"Access Denied","code":2010,"errors":["Read-only API key"]}}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    let env = env();
    let e = call(
        pagerduty(&server, &env, "    from: alice@example.com\n"),
        Call::Acknowledge {
            page_id: "PT4KHLK".into(),
        },
    )
    .await
    .unwrap_err();
    assert!(e.contains("HTTP 403") && e.contains("Access Denied"), "{e}");
    assert!(!e.contains(TOKEN));
}

fn alertmanager(server: &MockServer) -> SourceConfig {
    let yaml = format!(
        "sources:\n  - name: am\n    kind: alertmanager\n    url: '{}'\n    timeout: 5s\n",
        server.uri()
    );
    mayday::config::Config::parse(&yaml)
        .unwrap()
        .sources
        .remove(0)
}

#[tokio::test]
async fn silences_are_made_and_expired_in_alertmanager() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/alerts"))
        .respond_with(json("[]"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v2/silences"))
        .and(wiremock::matchers::body_partial_json(serde_json::json!({
            "matchers": [
                {"name":"alertname","value":"KubePodCrashLooping","isRegex":false,"isEqual":true},
                {"name":"namespace","value":"pay;ments $(x)","isRegex":false,"isEqual":true}],
            "endsAt": "2030-01-01T00:00:00Z",
            "createdBy": "alice",
            "comment": "rolling back",
        })))
        .respond_with(json(
            r#"{"silenceID":"7d7b9a3c-7f2e-4b8e-9a35-2a7d1c0f5e11"}"#,
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/api/v2/silence/7d7b9a3c-7f2e-4b8e-9a35-2a7d1c0f5e11"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let silence = Call::Silence {
        matchers: [
            ("alertname".to_owned(), "KubePodCrashLooping".to_owned()),
            ("namespace".to_owned(), "pay;ments $(x)".to_owned()),
        ]
        .into(),
        ends_at: "2030-01-01T00:00:00Z".parse().unwrap(),
        created_by: "alice".into(),
        comment: "rolling back".into(),
    };
    assert_eq!(
        call(alertmanager(&server), silence).await,
        Ok("7d7b9a3c-7f2e-4b8e-9a35-2a7d1c0f5e11".into())
    );
    let expire = Call::ExpireSilence {
        id: "7d7b9a3c-7f2e-4b8e-9a35-2a7d1c0f5e11".into(),
    };
    assert_eq!(
        call(alertmanager(&server), expire).await,
        Ok("expired".into())
    );
    server.verify().await;
    // A call that does not fit the kind is refused, not sent.
    let e = call(
        alertmanager(&server),
        Call::Acknowledge {
            page_id: "P".into(),
        },
    )
    .await
    .unwrap_err();
    assert!(e.contains("cannot acknowledge"), "{e}");
}

#[tokio::test]
async fn a_silenced_alert_names_its_silence_and_a_fresh_alertmanager_has_no_data_yet() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/alerts"))
        .respond_with(json(r#"[{"labels":{"alertname":"KubePodCrashLooping","namespace":"payments","pod":"api-1","severity":"warning"},"annotations":{},"startsAt":"2026-12-03T02:58:00Z","fingerprint":"f1","status":{"state":"suppressed","silencedBy":["s1"],"inhibitedBy":[]}}]"#))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/silences"))
        .respond_with(json(r#"[
          {"id":"s0","matchers":[],"startsAt":"2026-12-01T00:00:00Z","endsAt":"2026-12-01T01:00:00Z","createdBy":"old","comment":"expired one","status":{"state":"expired"}},
          {"id":"s1","matchers":[],"startsAt":"2026-12-03T03:00:00Z","endsAt":"2026-12-03T05:00:00Z","createdBy":"bob","comment":"rolling back \u001b[31mnow","status":{"state":"active"}}]"#))
        .mount(&server)
        .await;
    let s = poll_once(alertmanager(&server), fast()).await;
    assert_eq!(
        (s.state, s.summary.as_str()),
        (Health::Degraded, "none firing, 1 silenced")
    );
    assert!(s.alerts.is_empty());
    assert_eq!(s.suppressed[0].silenced_by, ["s1"]);
    assert_eq!(s.silences.len(), 1);
    assert_eq!(s.silences[0].created_by, "bob");
    let comment = &s.silences[0].comment;
    assert!(
        comment.starts_with("rolling back") && !comment.contains('\u{1b}'),
        "{comment:?}"
    );

    // Just restarted, nothing heard from Prometheus yet: no data, not an all-clear.
    let fresh = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/alerts"))
        .respond_with(json("[]"))
        .mount(&fresh)
        .await;
    let uptime = jiff::Timestamp::now() - jiff::SignedDuration::from_secs(20);
    Mock::given(method("GET"))
        .and(path("/api/v2/status"))
        .respond_with(json(&format!(
            r#"{{"cluster":{{"status":"disabled","peers":[]}},"config":{{"original":""}},"uptime":"{uptime}","versionInfo":{{"version":"0.25.0"}}}}"#
        )))
        .mount(&fresh)
        .await;
    let s = poll_once(alertmanager(&fresh), fast()).await;
    assert_eq!(s.state, Health::Unknown, "{s:#?}");
    assert!(
        s.summary.starts_with("no data yet: Alertmanager started"),
        "{}",
        s.summary
    );
    // Up for an hour with nothing firing: that is an all-clear.
    let old = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/alerts"))
        .respond_with(json("[]"))
        .mount(&old)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/status"))
        .respond_with(json(r#"{"uptime":"2020-01-01T00:00:00Z"}"#))
        .mount(&old)
        .await;
    let s = poll_once(alertmanager(&old), fast()).await;
    assert_eq!((s.state, s.summary.as_str()), (Health::Up, "none firing"));
}
