//! Live-status benchmarks.
//!
//! - `parse/<kind>`: one provider response with 1,000 items through the
//!   pure parser (decode, map states, sanitize, sort, cap) into a Snapshot.
//! - `poll/500-sources-first-round`: 500 sources against a local server;
//!   one round is "spawn, every source's first update, shut down". Before
//!   it, 500 sources poll at a 1 s interval for 15 s and the process RSS
//!   (VmRSS / VmHWM from /proc/self/status) is printed: the goal is < 50 MiB.
//!
//! `cargo bench --bench status` (or `-- poll` / `-- parse` for one group).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mayday::config::Config;
use mayday::status::parse::{Response, parse};
use mayday::status::{SourceConfig, Update};
use std::hint::black_box;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const N: usize = 1000;

fn source(kind: &str, extra: &str) -> SourceConfig {
    let url = if kind == "http" {
        "http://127.0.0.1:1/health"
    } else {
        "http://127.0.0.1:1"
    };
    let token = match kind {
        "sentry" | "uptimerobot" | "betterstack" | "healthchecks" | "pagerduty" => {
            "    token_env: T\n"
        }
        _ => "",
    };
    let yaml =
        format!("sources:\n  - name: bench\n    kind: {kind}\n    url: {url}\n{token}{extra}");
    Config::parse(&yaml).unwrap().sources.remove(0)
}

fn join(n: usize, f: impl Fn(usize) -> String) -> String {
    (0..n).map(f).collect::<Vec<_>>().join(",")
}

/// (kind, extra YAML, a response body with 1,000 items)
fn bodies() -> Vec<(&'static str, &'static str, String)> {
    let t = "2026-03-01T03:10:00.000Z";
    vec![
        (
            "http",
            "    body_contains: '\"status\":\"ok\"'\n",
            format!(
                r#"{{"checks":[{}],"status":"ok"}}"#,
                join(N, |i| format!(r#"{{"name":"check-{i}","ok":true}}"#))
            ),
        ),
        (
            "statuspage",
            "",
            format!(
                r#"{{"page":{{"id":"p","name":"Acme","url":"https://status.acme.test","time_zone":"Etc/UTC","updated_at":"{t}"}},"status":{{"indicator":"minor","description":"Partially Degraded Service"}},"components":[{}],"incidents":[],"scheduled_maintenances":[]}}"#,
                join(N, |i| format!(
                    r#"{{"id":"c{i}","name":"Component {i}","status":"{}","created_at":"{t}","updated_at":"{t}","position":{i},"description":null,"showcase":true,"start_date":null,"group_id":null,"page_id":"p","group":false,"only_show_if_degraded":false}}"#,
                    [
                        "operational",
                        "degraded_performance",
                        "partial_outage",
                        "major_outage"
                    ][i % 4]
                ))
            ),
        ),
        (
            "prometheus",
            "",
            format!(
                r#"{{"status":"success","data":{{"alerts":[{}]}}}}"#,
                join(N, |i| format!(
                    r#"{{"labels":{{"alertname":"Alert{i}","severity":"{}","instance":"host-{i}:9100","job":"node"}},"annotations":{{"summary":"something is wrong on host-{i}","runbook_url":"https://runbooks.test/a{i}"}},"state":"firing","activeAt":"{t}","value":"1e+00"}}"#,
                    if i % 3 == 0 { "critical" } else { "warning" }
                ))
            ),
        ),
        (
            "alertmanager",
            "",
            format!(
                "[{}]",
                join(N, |i| format!(
                    r#"{{"annotations":{{"summary":"s{i}"}},"endsAt":"{t}","fingerprint":"f{i}","receivers":[{{"name":"null"}}],"startsAt":"{t}","status":{{"inhibitedBy":[],"silencedBy":[],"state":"active"}},"updatedAt":"{t}","generatorURL":"http://prom/graph","labels":{{"alertname":"A{i}","severity":"warning","instance":"h{i}"}}}}"#
                ))
            ),
        ),
        (
            "sentry",
            "    org: acme\n    project: api\n",
            format!(
                "[{}]",
                join(N, |i| format!(
                    r#"{{"id":"{i}","shortId":"API-{i}","title":"TypeError: cannot read property of undefined ({i})","culprit":"app/handlers/{i}","level":"{}","status":"unresolved","count":"{}","userCount":{},"firstSeen":"{t}","lastSeen":"{t}","permalink":"https://sentry.test/issues/{i}/","stats":{{"24h":[[1772323200,1],[1772326800,4]]}}}}"#,
                    ["error", "warning", "fatal"][i % 3],
                    i * 7,
                    i % 50
                ))
            ),
        ),
        (
            "uptimerobot",
            "",
            format!(
                r#"{{"stat":"ok","pagination":{{"offset":0,"limit":1000,"total":1000}},"monitors":[{}]}}"#,
                join(N, |i| format!(
                    r#"{{"id":{i},"friendly_name":"monitor-{i}","url":"https://m{i}.test","type":1,"status":{},"logs":[{{"id":1,"type":2,"datetime":1772334000,"duration":60}}],"average_response_time":"212.40"}}"#,
                    [2, 2, 8, 9, 0][i % 5]
                ))
            ),
        ),
        (
            "betterstack",
            "",
            format!(
                r#"{{"data":[{}],"pagination":{{"first":null,"last":null,"prev":null,"next":null}}}}"#,
                join(N, |i| format!(
                    r#"{{"id":"{i}","type":"monitor","attributes":{{"url":"https://m{i}.test","pronounceable_name":"monitor {i}","monitor_type":"status","last_checked_at":"{t}","status":"{}","check_frequency":180}}}}"#,
                    ["up", "up", "validating", "down", "paused"][i % 5]
                ))
            ),
        ),
        (
            "uptime-kuma",
            "    slug: prod\n",
            format!(
                r#"{{"heartbeatList":{{{}}},"uptimeList":{{{}}}}}"#,
                join(N, |i| format!(
                    r#""{i}":[{}]"#,
                    join(10, |j| format!(
                        r#"{{"status":{},"time":"2026-03-01 03:{j:02}:00.000","msg":"200 - OK","ping":{}}}"#,
                        [1, 1, 0, 2][(i + j) % 4],
                        20 + j
                    ))
                )),
                join(N, |i| format!(r#""{i}_24":0.99"#))
            ),
        ),
        (
            "gatus",
            "",
            format!(
                "[{}]",
                join(N, |i| format!(
                    r#"{{"name":"ep{i}","group":"g{}","key":"g_ep{i}","results":[{}],"events":[]}}"#,
                    i % 10,
                    join(5, |j| format!(
                        r#"{{"status":200,"hostname":"h{i}","duration":{},"conditionResults":[{{"condition":"[STATUS] == 200","success":{}}}],"success":{},"timestamp":"{t}"}}"#,
                        1_000_000 * j,
                        (i + j) % 7 != 0,
                        (i + j) % 7 != 0
                    ))
                ))
            ),
        ),
        (
            "healthchecks",
            "",
            format!(
                r#"{{"checks":[{}]}}"#,
                join(N, |i| format!(
                    r#"{{"name":"check-{i}","slug":"c{i}","tags":"prod","desc":"","grace":3600,"n_pings":12,"status":"{}","started":false,"last_ping":"{t}","next_ping":"{t}"}}"#,
                    ["up", "new", "grace", "down", "paused"][i % 5]
                ))
            ),
        ),
        (
            "pagerduty",
            "",
            format!(
                r#"{{"incidents":[{}],"limit":100,"offset":0,"more":false}}"#,
                join(N, |i| format!(
                    r#"{{"id":"P{i}","type":"incident","incident_number":{i},"title":"[FIRING:1] Alert{i} (payments)","status":"{}","urgency":"{}","html_url":"https://acme.pagerduty.test/incidents/P{i}","created_at":"{t}","service":{{"id":"S1","type":"service_reference","summary":"payments"}},"assignments":[{{"at":"{t}","assignee":{{"id":"U1","type":"user_reference","summary":"Alice"}}}}]}}"#,
                    ["triggered", "acknowledged"][i % 2],
                    ["high", "low", "high"][i % 3]
                ))
            ),
        ),
    ]
}

fn parse_benches(c: &mut Criterion) {
    let now: jiff::Timestamp = "2026-03-01T03:12:00Z".parse().unwrap();
    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Elements(N as u64));
    for (kind, extra, body) in bodies() {
        let src = source(kind, extra);
        let resp = Response::ok(body.into_bytes());
        // The body is well formed: check once, outside the timing.
        let snap = parse(&src, &resp, now).unwrap();
        assert!(kind == "http" || !snap.items.is_empty(), "{kind}: no items");
        group.bench_function(kind, |b| {
            b.iter(|| parse(black_box(&src), black_box(&resp), now).unwrap())
        });
    }
    group.finish();
}

/// A tiny keep-alive HTTP server: a fixed JSON body per path.
async fn serve() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let prom = format!(
        r#"{{"status":"success","data":{{"alerts":[{}]}}}}"#,
        join(20, |i| format!(
            r#"{{"labels":{{"alertname":"A{i}","severity":"warning"}},"annotations":{{"summary":"s"}},"state":"firing","activeAt":"2026-03-01T03:00:00Z"}}"#
        ))
    );
    let gatus = format!(
        "[{}]",
        join(20, |i| format!(
            r#"{{"name":"ep{i}","results":[{{"status":200,"duration":1000,"conditionResults":[],"success":true,"timestamp":"2026-03-01T03:00:00Z"}}]}}"#
        ))
    );
    let hc = format!(
        r#"{{"checks":[{}]}}"#,
        join(20, |i| format!(
            r#"{{"name":"c{i}","status":"up","last_ping":"2026-03-01T03:00:00Z"}}"#
        ))
    );
    let bodies: &'static [(&'static str, String)] = Box::leak(Box::new([
        ("/api/v1/alerts", prom),
        ("/api/v1/endpoints/statuses", gatus),
        ("/api/v3/checks/", hc),
        ("/health", r#"{"status":"ok"}"#.to_owned()),
    ]));
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let mut got = Vec::new();
                loop {
                    let end = loop {
                        if let Some(p) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                            break p + 4;
                        }
                        match sock.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => got.extend_from_slice(&buf[..n]),
                        }
                    };
                    let head = String::from_utf8_lossy(&got[..end]).into_owned();
                    got.drain(..end);
                    let target = head.split_whitespace().nth(1).unwrap_or("/");
                    let path = target.split('?').next().unwrap_or(target);
                    let body = bodies
                        .iter()
                        .find(|(p, _)| *p == path)
                        .map_or("{}", |(_, b)| b.as_str());
                    let resp = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if sock.write_all(resp.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    format!("http://{addr}")
}

fn sources(base: &str, n: usize, interval: &str) -> Vec<SourceConfig> {
    let mut yaml = String::from("sources:\n");
    for i in 0..n {
        let (kind, url, extra) = match i % 4 {
            0 => ("prometheus", base.to_owned(), ""),
            1 => ("gatus", base.to_owned(), ""),
            2 => (
                "healthchecks",
                base.to_owned(),
                "    token_env: MAYDAY_BENCH_TOKEN\n",
            ),
            _ => ("http", format!("{base}/health"), "    body_contains: ok\n"),
        };
        yaml.push_str(&format!(
            "  - name: s{i}\n    kind: {kind}\n    url: '{url}'\n    interval: {interval}\n{extra}"
        ));
    }
    Config::parse(&yaml).unwrap().sources
}

fn proc_status_mib(field: &str) -> f64 {
    let text = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    text.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn poll_benches(c: &mut Criterion) {
    // SAFETY: set before the runtime starts, while this is the only thread.
    unsafe { std::env::set_var("MAYDAY_BENCH_TOKEN", "bench-token-0123456789") };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let base = rt.block_on(serve());
    const SOURCES: usize = 500;

    // Memory: 500 sources at a 1 s interval for 15 s.
    let rss_before = proc_status_mib("VmRSS:");
    let (updates, elapsed) = rt.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Update>(1024);
        let handle = mayday::status::spawn(sources(&base, SOURCES, "1s"), tx);
        let start = Instant::now();
        let (mut n, mut failed) = (0usize, 0usize);
        while start.elapsed() < Duration::from_secs(15) {
            if let Ok(Some(u)) = tokio::time::timeout(Duration::from_secs(1), rx.recv()).await {
                n += 1;
                failed += usize::from(u.snapshot.error.is_some());
            }
        }
        handle.shutdown().await;
        assert_eq!(failed, 0, "some polls failed");
        (n, start.elapsed())
    });
    let rss_after = proc_status_mib("VmRSS:");
    let hwm = proc_status_mib("VmHWM:");
    eprintln!(
        "poll/500-sources memory: {updates} updates in {:.1} s; RSS before spawn {rss_before:.1} MiB, \
         after {rss_after:.1} MiB, peak (VmHWM) {hwm:.1} MiB; goal < 50 MiB: {}",
        elapsed.as_secs_f64(),
        if hwm < 50.0 { "met" } else { "NOT MET" }
    );

    let mut group = c.benchmark_group("poll");
    group.sample_size(10);
    group.throughput(Throughput::Elements(SOURCES as u64));
    group.bench_function("500-sources-first-round", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let srcs = sources(&base, SOURCES, "1h");
                    let start = Instant::now();
                    let (tx, mut rx) = tokio::sync::mpsc::channel::<Update>(1024);
                    let handle = mayday::status::spawn(srcs, tx);
                    for _ in 0..SOURCES {
                        black_box(rx.recv().await.unwrap());
                    }
                    handle.shutdown().await;
                    total += start.elapsed();
                }
                total
            })
        });
    });
    group.finish();
}

criterion_group!(benches, poll_benches, parse_benches);
criterion_main!(benches);
