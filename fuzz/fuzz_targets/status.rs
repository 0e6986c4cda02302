//! Each status provider's response parser, chosen by the first byte (and
//! one of the side responses: a page's alerts, silences, Alertmanager's
//! uptime, a query block's answer); the rest is the body (HTTP 200, a JSON content type).
#![no_main]
use libfuzzer_sys::fuzz_target;
use mayday::status::parse::{self, Response};
use std::sync::OnceLock;

const CONFIG: &str = r#"
sources:
  - {name: http, kind: http, url: "http://127.0.0.1:1/", body_contains: ok, body_regex: "o+k"}
  - {name: statuspage, kind: statuspage, url: "http://127.0.0.1:1"}
  - {name: prom, kind: prometheus, url: "http://127.0.0.1:1"}
  - {name: promq, kind: prometheus, url: "http://127.0.0.1:1", query: "up", threshold: 1}
  - {name: am, kind: alertmanager, url: "http://127.0.0.1:1"}
  - {name: sentry, kind: sentry, url: "http://127.0.0.1:1", org: o, project: p, token_env: FUZZ_TOKEN}
  - {name: ur, kind: uptimerobot, url: "http://127.0.0.1:1", token_env: FUZZ_TOKEN}
  - {name: bs, kind: betterstack, url: "http://127.0.0.1:1", token_env: FUZZ_TOKEN}
  - {name: kuma, kind: uptime-kuma, url: "http://127.0.0.1:1", slug: s}
  - {name: gatus, kind: gatus, url: "http://127.0.0.1:1"}
  - {name: hc, kind: healthchecks, url: "http://127.0.0.1:1", token_env: FUZZ_TOKEN}
  - {name: pd, kind: pagerduty, url: "http://127.0.0.1:1", token_env: FUZZ_TOKEN}
  - {name: loki, kind: loki, url: "http://127.0.0.1:1", tenant: t}
"#;

fn sources() -> &'static [mayday::status::SourceConfig] {
    static S: OnceLock<Vec<mayday::status::SourceConfig>> = OnceLock::new();
    S.get_or_init(|| {
        mayday::config::Config::parse(CONFIG)
            .expect("the fuzz config parses")
            .sources
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let sources = sources();
    let source = &sources[usize::from(pick) % sources.len()];
    let resp = Response::ok(body.to_vec());
    let now = jiff::Timestamp::from_second(1_800_000_000).expect("a time");
    let _ = parse::parse(source, &resp, now);
    // The responses read beside the main one: a page's alerts, the
    // silences, Alertmanager's uptime; a step's query answers (PromQL,
    // Loki's lines or numbers, Loki's count).
    match pick % 6 {
        0 => drop(parse::pagerduty_alerts(&resp)),
        1 => drop(parse::alertmanager_silences(&resp, &["s1"])),
        2 => drop(parse::alertmanager_started(&resp)),
        3 => drop(parse::promql::query_result(&resp)),
        4 => drop(parse::loki::loki_result(&resp)),
        _ => drop(parse::loki::loki_count(&resp)),
    }
});
