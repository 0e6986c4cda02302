//! LogQL blocks against a local server shaped like Loki's HTTP API
//! reference: streams with nanosecond timestamps (newest first, sanitized),
//! the count over the window, a metric query's matrix, a 400 for a bad
//! query, the tenant header and the token, and the source's timeout and
//! body cap.

mod status_support;

use mayday::status::fetch::{self, Clients};
use mayday::status::query::{Answer, Ask, Found, LOG_LINES, QueryLanguage};
use mayday::status::{PollError, SourceConfig};
use status_support::*;
use std::time::Duration;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn loki(server: &MockServer, extra: &str, timeout: &str) -> SourceConfig {
    let env = env();
    let yaml = format!(
        "sources:\n  - name: logs\n    kind: loki\n    url: '{}'\n    timeout: {timeout}\n    token_file: '{}'\n{extra}",
        server.uri(),
        env.token_file.display()
    );
    // The token file must outlive the config: leak the temp dir.
    std::mem::forget(env);
    mayday::config::Config::parse(&yaml)
        .unwrap_or_else(|e| panic!("{yaml}\n{e}"))
        .sources
        .remove(0)
}

async fn ask(src: &SourceConfig, expr: &str) -> Result<Answer, PollError> {
    let ask = Ask {
        language: QueryLanguage::Logql,
        expr: expr.into(),
        end: jiff::Timestamp::from_second(1_700_000_000).unwrap(),
        window: Duration::from_secs(1800),
    };
    let token = src.credential.resolve().unwrap();
    fetch::query(src, &Clients::new().unwrap(), token.as_ref(), fast(), &ask).await
}

fn json(body: String) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.into_bytes(), "application/json")
}

fn streams(n: usize, hostile: bool) -> String {
    let values: Vec<String> = (0..n)
        .map(|i| {
            let line = if hostile && i == 0 {
                r"error: \u001b]52;c;cm0gLXJmIC8=\u0007 \u001b[2J boom".to_owned()
            } else {
                format!("error: request {i} failed")
            };
            format!(
                r#"["{}","{line}"]"#,
                1_700_000_000_000_000_000u128 - i as u128 * 1_000_000_000
            )
        })
        .collect();
    format!(
        r#"{{"status":"success","data":{{"resultType":"streams","result":[{{"stream":{{"app":"checkout","level":"error"}},"values":[{}]}}],"stats":{{}}}}}}"#,
        values.join(",")
    )
}

#[tokio::test]
async fn lines_newest_first_with_the_tenant_and_the_token() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/loki/api/v1/query_range"))
        .and(query_param("query", r#"{app="checkout"} |= "error""#))
        .and(query_param("start", "1699998200000000000"))
        .and(query_param("end", "1700000000000000000"))
        .and(query_param("limit", "100"))
        .and(query_param("direction", "backward"))
        .and(header("x-scope-orgid", "team-a"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(json(streams(3, true)))
        .expect(1)
        .mount(&server)
        .await;
    let src = loki(&server, "    tenant: team-a\n", "5s");
    let a = ask(&src, r#"{app="checkout"} |= "error""#)
        .await
        .expect("lines");
    let Found::Lines { lines, count } = &a.found else {
        panic!("{a:?}")
    };
    // Fewer than asked for: that is all of them, no count query needed.
    assert_eq!(*count, Some(3));
    assert_eq!(lines[0].at.as_nanosecond(), 1_700_000_000_000_000_000);
    assert_eq!(lines[2].line, "error: request 2 failed");
    // The hostile line reaches nobody's terminal as escapes.
    assert!(!lines[0].line.contains('\u{1b}'), "{:?}", lines[0].line);
    assert!(!lines[0].line.contains('\u{7}'), "{:?}", lines[0].line);
    assert!(lines[0].line.contains("boom"));
    assert_eq!(lines[0].labels["app"], "checkout");
}

#[tokio::test]
async fn a_full_page_is_counted_over_the_window() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/loki/api/v1/query_range"))
        .respond_with(json(streams(LOG_LINES, false)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/loki/api/v1/query"))
        .and(query_param(
            "query",
            r#"sum(count_over_time({app="checkout"} |= "error" [1800s]))"#,
        ))
        .and(query_param("time", "1700000000000000000"))
        .respond_with(json(
            r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000,"4711"]}]}}"#.into(),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let src = loki(&server, "", "5s");
    let a = ask(&src, r#"{app="checkout"} |= "error""#)
        .await
        .expect("lines");
    let Found::Lines { lines, count } = &a.found else {
        panic!("{a:?}")
    };
    assert_eq!(lines.len(), LOG_LINES);
    assert_eq!(*count, Some(4711));
}

#[tokio::test]
async fn a_failing_count_leaves_the_lines() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/loki/api/v1/query_range"))
        .respond_with(json(streams(LOG_LINES, false)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/loki/api/v1/query"))
        .respond_with(ResponseTemplate::new(500).set_body_string("too many outstanding requests"))
        .mount(&server)
        .await;
    let src = loki(&server, "", "5s");
    let a = ask(&src, r#"{app="checkout"}"#).await.expect("lines");
    let Found::Lines { lines, count } = &a.found else {
        panic!("{a:?}")
    };
    assert_eq!(lines.len(), LOG_LINES);
    assert_eq!(*count, None, "unknown, not zero");
}

#[tokio::test]
async fn a_metric_query_is_numbers() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/loki/api/v1/query_range"))
        .and(query_param("step", "15"))
        .respond_with(json(
            r#"{"status":"success","data":{"resultType":"matrix","result":[
              {"metric":{"level":"error"},"values":[[1699999970,"0.5"],[1699999985,"1.25"],[1700000000,"2"]]},
              {"metric":{"level":"warn"},"values":[[1700000000,"0.1"]]}]}}"#
                .into(),
        ))
        .mount(&server)
        .await;
    let src = loki(&server, "", "5s");
    let a = ask(&src, r#"sum by (level) (rate({app="checkout"}[5m]))"#)
        .await
        .expect("numbers");
    assert_eq!(a.series().len(), 2);
    assert_eq!(a.series()[0].samples[2].1, 2.0);
    assert_eq!(a.step, Duration::from_secs(15));
}

#[tokio::test]
async fn a_bad_query_says_why() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/loki/api/v1/query_range"))
        .respond_with(ResponseTemplate::new(400).set_body_string(
            "parse error at line 1, col 15: syntax error: unexpected IDENTIFIER\n",
        ))
        .mount(&server)
        .await;
    let src = loki(&server, "", "5s");
    let e = ask(&src, r#"{app="checkout" |= "x""#)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("parse error at line 1, col 15"), "{e}");
}

#[tokio::test]
async fn timeouts_and_huge_bodies_are_errors_in_time() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/loki/api/v1/query_range"))
        .and(query_param("query", "{slow=\"1\"}"))
        .respond_with(json(streams(1, false)).set_delay(Duration::from_secs(20)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/loki/api/v1/query_range"))
        .and(query_param("query", "{big=\"1\"}"))
        .respond_with(move |_: &Request| {
            json(format!("{{\"pad\":\"{}\"}}", "x".repeat(400 * 1024)))
        })
        .mount(&server)
        .await;
    let src = loki(&server, "", "1s");
    let started = std::time::Instant::now();
    let e = ask(&src, "{slow=\"1\"}").await.unwrap_err().to_string();
    assert!(e.contains("no answer within 1s"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(10));
    let e = ask(&src, "{big=\"1\"}").await.unwrap_err().to_string();
    assert!(e.contains("larger than 256 KiB"), "{e}");
}
