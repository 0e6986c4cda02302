//! Faults for every kind: refused connection, timeout, 500, 401, 429 with
//! Retry-After (then success), malformed JSON, a body over the cap, a slow
//! drip. No panic; `unknown` with a useful reason (an `http` source is
//! `down`: reaching the target is what it checks).

mod status_support;

use futures_util::future::join_all;
use mayday::status::Snapshot;
use mayday::status::health::Health;
use status_support::*;
use std::time::{Duration, Instant};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Poll every kind against a server made by `serve`, concurrently.
async fn each_kind<F, Fut>(timeout: &str, serve: F) -> Vec<(&'static str, Snapshot, Duration)>
where
    F: Fn(&'static str) -> Fut,
    Fut: Future<Output = (String, Option<MockServer>)>,
{
    let env = env();
    let runs = KINDS.iter().map(|kind| {
        let (env, serve) = (&env, &serve);
        async move {
            let (base, _server) = serve(kind).await;
            let start = Instant::now();
            let snap = poll_once(source(kind, &base, timeout, env), fast()).await;
            (*kind, snap, start.elapsed())
        }
    });
    join_all(runs).await
}

async fn mock_any(t: ResponseTemplate) -> (String, Option<MockServer>) {
    let server = MockServer::start().await;
    Mock::given(any()).respond_with(t).mount(&server).await;
    (server.uri(), Some(server))
}

fn check(
    results: &[(&str, Snapshot, Duration)],
    unknown_error: &str,
    http: impl Fn(&Snapshot) -> bool,
) {
    for (kind, s, _) in results {
        if *kind == "http" {
            assert_eq!(s.state, Health::Down, "http: {s:#?}");
            assert!(http(s), "http: {s:#?}");
        } else {
            assert_eq!(s.state, Health::Unknown, "{kind}: {s:#?}");
            let e = s.error.as_deref().unwrap_or_default();
            assert!(
                e.contains(unknown_error),
                "{kind}: error {e:?} lacks {unknown_error:?}"
            );
            assert_eq!(s.summary, "no data", "{kind}");
        }
        assert!(!s.stale, "{kind}: nothing good to keep yet");
    }
}

#[tokio::test]
async fn refused_connection() {
    let r = each_kind("2s", |_| async {
        (format!("http://127.0.0.1:{}", refused_port()), None)
    })
    .await;
    check(&r, "connection failed", |s| {
        s.summary == "unreachable"
            && s.error
                .as_deref()
                .is_some_and(|e| e.starts_with("connection failed"))
    });
}

#[tokio::test]
async fn timeout() {
    let r = each_kind("1s", |_| {
        mock_any(ResponseTemplate::new(200).set_delay(Duration::from_secs(20)))
    })
    .await;
    check(&r, "no answer within 1s", |s| {
        s.summary == "no answer within 1s"
    });
    for (kind, _, took) in &r {
        // A timeout is not retried: one deadline, not three.
        assert!(*took < Duration::from_secs(5), "{kind} took {took:?}");
    }
}

#[tokio::test]
async fn server_error() {
    let r = each_kind("2s", |_| {
        mock_any(ResponseTemplate::new(500).set_body_string("internal error"))
    })
    .await;
    check(&r, "HTTP 500 (internal error)", |s| {
        s.summary.starts_with("HTTP 500 Internal Server Error")
    });
}

#[tokio::test]
async fn unauthorized() {
    let r = each_kind("2s", |_| {
        mock_any(
            ResponseTemplate::new(401)
                .set_body_raw(r#"{"detail":"Invalid token"}"#, "application/json"),
        )
    })
    .await;
    check(&r, "HTTP 401: the token was refused", |s| {
        s.summary.starts_with("HTTP 401 Unauthorized")
    });
    for (kind, s, _) in &r {
        if *kind != "http" {
            assert!(
                s.error.as_deref().unwrap().ends_with("(Invalid token)"),
                "{kind}"
            );
        }
    }
}

async fn busy_then_good(
    kind: &'static str,
    retry_after: &'static str,
) -> (String, Option<MockServer>) {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", retry_after))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    mount_good(kind, &server).await;
    (server.uri(), Some(server))
}

#[tokio::test]
async fn rate_limited_then_success() {
    let r = each_kind("5s", |kind| busy_then_good(kind, "1")).await;
    for (kind, s, took) in &r {
        let server = MockServer::start().await;
        let expect = mount_good(kind, &server).await;
        assert_eq!(
            (s.state, s.error.as_deref()),
            (expect.state, None),
            "{kind}: {s:#?}"
        );
        assert!(
            s.summary.starts_with(expect.summary),
            "{kind}: {}",
            s.summary
        );
        // Retry-After is a floor: the retry did not come sooner.
        assert!(
            *took >= Duration::from_secs(1),
            "{kind} retried after {took:?}"
        );
    }
}

#[tokio::test]
async fn retry_after_zero_is_not_a_tight_loop() {
    let r = each_kind("5s", |kind| busy_then_good(kind, "0")).await;
    for (kind, s, took) in &r {
        assert_ne!(s.state, Health::Unknown, "{kind}: {s:#?}");
        assert!(
            *took >= Duration::from_secs(1),
            "{kind} retried after {took:?}"
        );
    }
}

#[tokio::test]
async fn long_retry_after_ends_the_poll() {
    let r = each_kind("5s", |_| {
        mock_any(ResponseTemplate::new(429).insert_header("retry-after", "120"))
    })
    .await;
    check(&r, "rate limited (HTTP 429), retry after 2m", |s| {
        s.summary.starts_with("HTTP 429")
    });
    for (kind, _, took) in &r {
        assert!(
            *took < Duration::from_secs(5),
            "{kind} waited {took:?} inside the poll"
        );
    }
}

#[tokio::test]
async fn malformed_json() {
    let r = each_kind("2s", |_| {
        mock_any(ResponseTemplate::new(200).set_body_raw(r#"{"status":"succ"#, "application/json"))
    })
    .await;
    check(&r, "unexpected response: invalid JSON", |s| {
        s.summary.contains("does not contain the expected text")
    });
}

fn big_body() -> Vec<u8> {
    // Valid JSON, 300 KiB, the part an `http` check looks for at the end.
    format!(r#"{{"pad":"{}","status":"ok"}}"#, "x".repeat(300 * 1024)).into_bytes()
}

#[tokio::test]
async fn body_over_the_cap() {
    let r = each_kind("5s", |_| {
        mock_any(ResponseTemplate::new(200).set_body_raw(big_body(), "application/json"))
    })
    .await;
    check(&r, "response larger than 256 KiB", |s| {
        s.summary.contains("(in the first part read)")
    });
}

#[tokio::test]
async fn body_over_the_cap_without_content_length() {
    let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n";
    let r = each_kind("5s", |_| async {
        (
            raw_server(head, big_body(), 16 * 1024, Duration::ZERO).await,
            None,
        )
    })
    .await;
    check(&r, "response larger than 256 KiB", |s| {
        s.summary.contains("(in the first part read)")
    });
}

#[tokio::test]
async fn slow_drip() {
    let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2000\r\n\r\n";
    let r = each_kind("1s", |_| async {
        (
            raw_server(head, vec![b' '; 2000], 1, Duration::from_millis(50)).await,
            None,
        )
    })
    .await;
    check(&r, "no answer within 1s", |s| {
        s.summary == "no answer within 1s"
    });
}

#[tokio::test]
async fn failure_keeps_the_last_good_data_and_poll_now_works() {
    let server = MockServer::start().await;
    let body = r#"{"status":"success","data":{"alerts":[{"labels":{"alertname":"A","severity":"critical"},"annotations":{},"state":"firing","activeAt":"2026-03-01T03:00:00Z"}]}}"#;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let env = env();
    let mut src = source("prometheus", &server.uri(), "2s", &env);
    src.interval = Duration::from_secs(3600);
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    let handle = mayday::status::poller::spawn_with(vec![src], tx, fast());
    let first = rx.recv().await.unwrap().snapshot;
    assert_eq!((first.state, first.stale), (Health::Down, false));
    assert!(handle.poll_now(&mayday::status::PollTarget::One("prometheus-src".into())));
    assert!(!handle.poll_now(&mayday::status::PollTarget::One("nope".into())));
    let second = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .unwrap()
        .unwrap()
        .snapshot;
    assert_eq!((second.state, second.stale), (Health::Unknown, true));
    assert_eq!(second.summary, "1 firing");
    assert_eq!(second.items, first.items);
    assert_eq!(second.alerts, first.alerts);
    assert_eq!(second.error.as_deref(), Some("HTTP 500"));
    assert!(second.checked_at >= first.checked_at);
    handle.shutdown().await;
}

#[tokio::test]
async fn rate_limit_headers_defer_the_next_poll() {
    let server = MockServer::start().await;
    let reset = (jiff::Timestamp::now().as_second() + 4).to_string();
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(
                    r#"{"status":"success","data":{"alerts":[]}}"#,
                    "application/json",
                )
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", reset.as_str()),
        )
        .mount(&server)
        .await;
    let env = env();
    let mut src = source("prometheus", &server.uri(), "2s", &env);
    src.interval = Duration::from_secs(1);
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    let handle = mayday::status::poller::spawn_with(vec![src], tx, fast());
    let first = rx.recv().await.unwrap();
    let start = Instant::now();
    let _second = tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await
        .unwrap()
        .unwrap();
    // The interval is 1 s, but the server said no requests are left until the reset.
    assert!(
        start.elapsed() >= Duration::from_secs(2),
        "next poll after {:?}",
        start.elapsed()
    );
    assert_eq!(first.snapshot.state, Health::Up);
    handle.shutdown().await;
}

#[tokio::test]
async fn shutdown_is_prompt_and_tasks_end_without_a_receiver() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(60)))
        .mount(&server)
        .await;
    let env = env();
    let sources: Vec<_> = (0..3)
        .map(|i| {
            let mut s = source("gatus", &server.uri(), "60s", &env);
            s.name = format!("g{i}");
            s
        })
        .collect();
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let handle = mayday::status::poller::spawn_with(sources.clone(), tx, fast());
    assert_eq!(handle.sources().collect::<Vec<_>>(), ["g0", "g1", "g2"]);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let start = Instant::now();
    handle.shutdown().await;
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "shutdown took {:?}",
        start.elapsed()
    );
    drop(rx);

    // Without a receiver, each task stops after its poll.
    let quick = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_raw("[]", "application/json"))
        .mount(&quick)
        .await;
    let sources: Vec<_> = sources
        .into_iter()
        .map(|mut s| {
            s.url = quick.uri().parse().unwrap();
            s
        })
        .collect();
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let mut handle = mayday::status::poller::spawn_with(sources, tx, fast());
    drop(rx);
    let deadline = Instant::now() + Duration::from_secs(10);
    while handle.running() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(handle.running(), 0);
}
