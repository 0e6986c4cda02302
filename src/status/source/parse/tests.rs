//! The `sources:` list read from real-looking config text: every kind,
//! every mistake with its line and hint, leniency, tokens.

use super::*;
use crate::config::Config;

fn parse(yaml: &str) -> Result<Vec<SourceConfig>, Diagnostic> {
    Config::parse(yaml).map(|c| c.sources)
}

#[test]
fn every_kind_parses_with_defaults() {
    let y = "sources:
  - {name: web, kind: http, url: 'https://example.com/health', expect_status: [200, 3xx], body_contains: ok, slow: 2s}
  - {name: gh, kind: statuspage, url: 'https://www.githubstatus.com'}
  - {name: prom, kind: prometheus, url: 'http://127.0.0.1:9090/prom/'}
  - {name: err, kind: prometheus, url: 'http://127.0.0.1:9090', query: 'rate(x[5m])', threshold: 0.5, compare: below, breach: degraded}
  - {name: am, kind: alertmanager, url: 'http://127.0.0.1:9093', filter: 'severity=\"critical\"'}
  - {name: sentry, kind: sentry, org: acme, project: api, token_env: SENTRY_TOKEN, window: 1h}
  - {name: ur, kind: uptimerobot, token_file: ur.token}
  - {name: bs, kind: betterstack, token_env: BS}
  - {name: kuma, kind: uptime-kuma, url: 'http://kuma:3001', slug: prod, interval: 1m, timeout: 3s}
  - {name: gatus, kind: gatus, url: 'http://gatus:8080'}
  - {name: hc, kind: healthchecks, token_env: HC}
";
    let s = parse(y).unwrap();
    assert_eq!(s.len(), 11);
    assert_eq!(s[0].kind, Kind::Http);
    assert_eq!(s[0].line, 2);
    let Spec::Http(h) = &s[0].spec else { panic!() };
    assert!(h.expect.matches(200) && h.expect.matches(302) && !h.expect.matches(204));
    assert_eq!(h.slow, Some(Duration::from_secs(2)));
    assert_eq!(s[2].url.as_str(), "http://127.0.0.1:9090/prom/");
    let Spec::Prometheus { query: Some(q) } = &s[3].spec else {
        panic!()
    };
    assert_eq!(
        (q.compare, q.breach, q.threshold),
        (Compare::Below, Health::Degraded, 0.5)
    );
    let Spec::Alertmanager { filter } = &s[4].spec else {
        panic!()
    };
    assert_eq!(filter, &["severity=\"critical\""]);
    assert_eq!(s[5].url.as_str(), "https://sentry.io/");
    assert_eq!(s[5].credential, Credential::Env("SENTRY_TOKEN".into()));
    let Spec::Sentry { window, .. } = &s[5].spec else {
        panic!()
    };
    assert_eq!(*window, Duration::from_secs(3600));
    assert_eq!(s[6].credential, Credential::File("ur.token".into()));
    assert_eq!(s[8].interval, Duration::from_secs(60));
    assert_eq!(s[8].timeout, Duration::from_secs(3));
    assert_eq!(s[9].interval, DEFAULT_INTERVAL);
    assert_eq!(s[10].url.as_str(), "https://healthchecks.io/");
}

/// Leniently (the TUI), a source that does not read is reported and
/// left out; the others stay. Strictly (`mayday status`, lint), it is an
/// error.
#[test]
fn one_bad_source_leaves_the_others() {
    let y = "sources:
  - {name: web, kind: http, url: 'https://example.com/health'}
  - {name: prom, kind: prometheus, url: 'http://127.0.0.1:9090', threshold: 5}
  - {name: web, kind: http, url: 'https://example.com/other'}
  - {name: am, kind: alertmanager, url: 'http://127.0.0.1:9093'}";
    let cfg = Config::parse_with(y, true).unwrap();
    let names: Vec<&str> = cfg.sources.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["web", "am"]);
    let why: Vec<(u32, &str)> = cfg
        .skipped_sources
        .iter()
        .map(|d| (d.line, d.code))
        .collect();
    assert_eq!(
        why,
        [(3, "invalid-source"), (4, "duplicate-source")],
        "{:?}",
        cfg.skipped_sources
    );
    let e = parse(y).unwrap_err();
    assert_eq!(e.line, 3, "{e}");
}

#[test]
fn ignore_alerts_replaces_the_heartbeat_default() {
    let s = parse(
        "sources:
  - {name: prom, kind: prometheus, url: 'http://127.0.0.1:9090'}
  - {name: am, kind: alertmanager, url: 'http://127.0.0.1:9093', ignore_alerts: [Watchdog, 'team=sandbox']}
  - {name: prom2, kind: prometheus, url: 'http://127.0.0.1:9090', ignore_alerts: []}",
    )
    .unwrap();
    assert_eq!(
        s[0].ignore_alerts,
        ["Watchdog", "InfoInhibitor", "severity=none"]
    );
    assert_eq!(s[1].ignore_alerts, ["Watchdog", "team=sandbox"]);
    assert!(s[2].ignore_alerts.is_empty());
    let e = parse(
        "sources:
  - {name: web, kind: http, url: 'https://example.com', ignore_alerts: [Watchdog]}",
    )
    .unwrap_err();
    assert_eq!(e.line, 2, "{e}");
    assert!(e.message.contains("`ignore_alerts` does not apply"), "{e}");
}

#[test]
fn errors_have_lines_and_hints() {
    let cases: &[(&str, &str, u32, &str)] = &[
        (
            "sources:\n  - name: a\n    kind: http\n    url: http://x\n    slugg: p\n",
            "unknown-field",
            5,
            "slugg",
        ),
        (
            "sources:\n  - name: a\n    kind: htp\n",
            "invalid-source",
            3,
            "unknown kind",
        ),
        (
            "sources:\n  - name: a\n    kind: http\n",
            "invalid-source",
            3,
            "needs a `url`",
        ),
        (
            "sources:\n  - name: a\n    kind: http\n    url: http://x\n    slug: p\n",
            "invalid-source",
            5,
            "does not apply",
        ),
        (
            "sources:\n  - name: a\n    kind: sentry\n    org: o\n",
            "invalid-source",
            3,
            "needs a token",
        ),
        (
            "sources:\n  - name: a\n    kind: sentry\n    token_env: T\n    org: o\n",
            "invalid-source",
            3,
            "needs `project`",
        ),
        (
            "sources:\n  - name: a\n    kind: gatus\n    url: ftp://x\n",
            "invalid-source",
            4,
            "http://",
        ),
        (
            "sources:\n  - name: a\n    kind: gatus\n    url: http://u:p@x\n",
            "invalid-source",
            4,
            "user name",
        ),
        (
            "sources:\n  - name: a\n    kind: gatus\n    url: http://x\n    interval: soon\n",
            "invalid-duration",
            5,
            "interval",
        ),
        (
            "sources:\n  - name: a\n    kind: gatus\n    url: http://x\n    timeout: 0s\n",
            "invalid-source",
            5,
            "timeout",
        ),
        (
            "sources:\n  - name: a\n    kind: http\n    url: http://x\n    expect_status: 700\n",
            "invalid-source",
            5,
            "not an HTTP status",
        ),
        (
            "sources:\n  - name: a\n    kind: http\n    url: http://x\n    body_regex: '('\n",
            "invalid-source",
            5,
            "regular expression",
        ),
        (
            "sources:\n  - name: a\n    kind: prometheus\n    url: http://x\n    query: up\n",
            "invalid-source",
            5,
            "threshold",
        ),
        (
            "sources:\n  - name: a\n    kind: prometheus\n    url: http://x\n    threshold: 1\n",
            "invalid-source",
            5,
            "needs a `query`",
        ),
        (
            "sources:\n  - name: a\n    kind: gatus\n    url: http://x\n    token_env: A\n    token_file: f\n",
            "invalid-source",
            6,
            "both",
        ),
        (
            "sources:\n  - name: a\n    kind: gatus\n    url: http://x\n  - name: a\n    kind: gatus\n    url: http://y\n",
            "duplicate-source",
            5,
            "line 2",
        ),
        (
            "sources:\n  - kind: gatus\n    url: http://x\n",
            "invalid-source",
            2,
            "no `name`",
        ),
        (
            "sources:\n  - name: a\n    kind: sentry\n    token_env: T\n    org: o\n    project: p\n    window: 10s\n",
            "invalid-source",
            7,
            "window",
        ),
    ];
    for (yaml, code, line, needle) in cases {
        let e = parse(yaml).unwrap_err();
        assert_eq!((e.code, e.line), (*code, *line), "{yaml}\n{e}");
        assert!(e.message.contains(needle), "{yaml}\n{e}");
        assert!(e.hint.is_some(), "{e}");
    }
}

#[test]
fn token_from_env_and_file() {
    use secrecy::ExposeSecret;
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("tok");
    std::fs::write(&f, "s3cret\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = Credential::File(f.clone()).resolve().unwrap_err();
        assert!(e.contains("chmod 600"), "{e}");
        assert!(!e.contains("s3cret"));
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let t = Credential::File(f.clone()).resolve().unwrap().unwrap();
    assert_eq!(t.expose_secret(), "s3cret");
    let e = Credential::Env("MAYDAY_TEST_SURELY_UNSET_VAR".into())
        .resolve()
        .unwrap_err();
    assert!(e.contains("not set"), "{e}");
    let mut c = Credential::File("rel.token".into());
    c.rebase(dir.path());
    assert_eq!(c, Credential::File(dir.path().join("rel.token")));
}

/// A field the loader does not know, or a value of the wrong shape, used
/// to fail the whole file before any source was checked: leniently, only
/// that source is left out (and named, with its line); strictly it is
/// still an error.
#[test]
fn a_source_that_does_not_deserialize_leaves_the_others() {
    let y = "theme: dark
sources:
  - name: web
    kind: http
    url: 'https://example.com/health'
  - name: prom
    kind: prometheus
    urll: 'http://127.0.0.1:9090'
  - {name: am, kind: alertmanager, url: 'http://127.0.0.1:9093'}
  - name: hc
    kind: healthchecks
    token_env: [A, B]
  - name: last
    kind: gatus
    url: 'http://127.0.0.1:8080'
    interval: {every: 5}
responder: alice
";
    let cfg = Config::parse_with(y, true).unwrap();
    let names: Vec<&str> = cfg.sources.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["web", "am"]);
    assert_eq!(cfg.responder.as_deref(), Some("alice"));
    let why: Vec<(u32, &str)> = cfg
        .skipped_sources
        .iter()
        .map(|d| (d.line, d.code))
        .collect();
    assert_eq!(why.len(), 3, "{:?}", cfg.skipped_sources);
    assert_eq!(why[0], (8, "unknown-field"), "{:?}", cfg.skipped_sources);
    assert!(
        why[1].0 == 12 && why[2].0 == 16,
        "{:?}",
        cfg.skipped_sources
    );
    let e = parse(y).unwrap_err();
    assert_eq!((e.line, e.code), (8, "unknown-field"), "{e}");
    // Every source bad: none left, the rest of the file still read.
    let cfg = Config::parse_with(
        "sources:\n  - name: a\n    kind: http\n    nope: 1\nresponder: bob\n",
        true,
    )
    .unwrap();
    assert!(cfg.sources.is_empty());
    assert_eq!(cfg.responder.as_deref(), Some("bob"));
    assert_eq!(cfg.skipped_sources.len(), 1);
    // A YAML syntax error is still the whole file's.
    assert!(Config::parse_with("sources:\n  - name: [a\n", true).is_err());
}
