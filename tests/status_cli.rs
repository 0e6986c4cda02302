//! `mayday status`: output, exit codes, concurrency, secrets; and the
//! example config never rots.

mod status_support;

use mayday::config::Config;
use mayday::status::Kind;
use status_support::{KINDS, TOKEN, env, mount_good};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};
use wiremock::matchers::{any, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[test]
fn the_example_config_parses_and_covers_every_kind() {
    let text = include_str!("../docs/config.example.yaml");
    let cfg = Config::parse(text).unwrap_or_else(|e| panic!("docs/config.example.yaml: {e}"));
    for kind in Kind::CONFIGURABLE {
        assert!(
            cfg.sources.iter().any(|s| s.kind == kind),
            "no {kind} source in the example"
        );
    }
    assert_eq!(cfg.theme.as_deref(), Some("dark"));
    assert!(!cfg.keys.is_empty());
}

/// A sandbox: config and data dirs in a temp dir, never the real home.
struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn p(&self, sub: &str) -> PathBuf {
        self.dir.path().join(sub)
    }
    fn write_config(&self, yaml: &str) -> PathBuf {
        let dir = self.p("config/mayday");
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("config.yaml");
        std::fs::write(&f, yaml).unwrap();
        f
    }
    fn cmd(&self, args: &[&str]) -> tokio::process::Command {
        let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_mayday"));
        c.args(args)
            .env("XDG_CONFIG_HOME", self.p("config"))
            .env("XDG_DATA_HOME", self.p("data"))
            .env("MAYDAY_DATA_DIR", self.p("data/mayday"))
            .env_remove("MAYDAY_CONFIG")
            .env_remove("MAYDAY_RUNBOOKS")
            .kill_on_drop(true);
        c
    }
    async fn run(&self, args: &[&str]) -> (Output, Duration) {
        let start = Instant::now();
        let out = tokio::time::timeout(Duration::from_secs(60), self.cmd(args).output())
            .await
            .expect("mayday status did not finish in 60 s")
            .unwrap();
        (out, start.elapsed())
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn entry(name: &str, kind: &str, url: &str, extra: &str) -> String {
    format!("  - name: {name}\n    kind: {kind}\n    url: '{url}'\n    timeout: 3s\n{extra}")
}

#[tokio::test]
async fn json_output_shape_and_exit_codes() {
    let server = MockServer::start().await;
    mount_good("gatus", &server).await; // one endpoint down
    let up = MockServer::start().await;
    mount_good("http", &up).await;
    let sb = Sandbox::new();

    // All up → 0.
    let cfg = sb.write_config(&format!(
        "sources:\n{}",
        entry("web", "http", &format!("{}/health", up.uri()), "")
    ));
    let (out, _) = sb.run(&["status", "--config", cfg.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(table.starts_with("SOURCE"), "{table}");
    assert!(
        table.contains("web") && table.contains("● up") && table.contains("HTTP 200 OK in"),
        "{table}"
    );

    // Any down → 1, JSON with exactly the documented keys.
    let cfg = sb.write_config(&format!(
        "sources:\n{}{}",
        entry("web", "http", &format!("{}/health", up.uri()), ""),
        entry("gatus", "gatus", &server.uri(), "")
    ));
    let (out, _) = sb
        .run(&["status", "--json", "--config", cfg.to_str().unwrap()])
        .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let arr = v.as_array().unwrap();
    assert_eq!(arr.len(), 2);
    let keys: Vec<&str> = arr[1]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut want = [
        "name",
        "kind",
        "state",
        "summary",
        "checked_at",
        "latency_ms",
        "error",
        "items",
    ];
    want.sort_unstable();
    let mut keys = keys;
    keys.sort_unstable();
    assert_eq!(keys, want);
    assert_eq!(arr[1]["name"], "gatus");
    assert_eq!(arr[1]["kind"], "gatus");
    assert_eq!(arr[1]["state"], "down");
    assert_eq!(arr[1]["summary"], "1 down of 2");
    assert!(arr[1]["error"].is_null());
    assert!(arr[1]["latency_ms"].is_u64());
    assert!(
        arr[1]["checked_at"]
            .as_str()
            .unwrap()
            .parse::<jiff::Timestamp>()
            .is_ok()
    );
    let item = &arr[1]["items"][0];
    assert_eq!(item.as_object().unwrap().len(), 3);
    assert_eq!(
        (item["name"].as_str(), item["state"].as_str()),
        (Some("core/db"), Some("down"))
    );
    assert_eq!(arr[0]["state"], "up");

    // Unknown (refused) → 1, with latency null and the error.
    let cfg = sb.write_config(&format!(
        "sources:\n{}",
        entry(
            "gone",
            "gatus",
            &format!("http://127.0.0.1:{}", status_support::refused_port()),
            ""
        )
    ));
    let (out, _) = sb
        .run(&["status", "--json", "--config", cfg.to_str().unwrap()])
        .await;
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["state"], "unknown");
    assert!(v[0]["latency_ms"].is_null());
    assert!(
        v[0]["error"]
            .as_str()
            .unwrap()
            .starts_with("connection failed")
    );

    // A config error → 2, with file, line and hint.
    let cfg = sb.write_config(
        "sources:\n  - name: x\n    kind: gatus\n    url: http://127.0.0.1:1\n    pagesize: 3\n",
    );
    let (out, _) = sb.run(&["status", "--config", cfg.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("config.yaml:5:")
            && err.contains("unknown field `pagesize`")
            && err.contains("hint"),
        "{err}"
    );

    // The default config file in the config dir is used without --config.
    sb.write_config(&format!(
        "sources:\n{}",
        entry("web", "http", &format!("{}/health", up.uri()), "")
    ));
    let (out, _) = sb.run(&["status", "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("\"web\""));
}

#[tokio::test]
async fn a_hung_source_costs_its_timeout_not_the_sum() {
    let hang = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(30)))
        .mount(&hang)
        .await;
    let ok = MockServer::start().await;
    mount_good("prometheus", &ok).await;
    mount_good("http", &ok).await;
    let sb = Sandbox::new();
    let cfg = sb.write_config(&format!(
        "sources:\n{}{}{}",
        entry("hung", "prometheus", &hang.uri(), "    timeout: 1s\n")
            .replace("    timeout: 3s\n", ""),
        entry("prom", "prometheus", &ok.uri(), ""),
        entry("web", "http", &format!("{}/health", ok.uri()), "")
    ));
    let (out, took) = sb
        .run(&["status", "--json", "--config", cfg.to_str().unwrap()])
        .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["state"], "unknown");
    assert_eq!(v[0]["error"], "no answer within 1s");
    assert_eq!(
        (v[1]["state"].as_str(), v[2]["state"].as_str()),
        (Some("down"), Some("up"))
    );
    // Loose behavioural bound: the sources are polled at the same time.
    assert!(took < Duration::from_millis(2500), "took {took:?}");
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[tokio::test]
async fn canary_token_never_leaks() {
    // Token sources: sentry (env, Bearer), healthchecks (file, X-Api-Key),
    // uptimerobot (env, form body), and a server that echoes the token back
    // in its error body.
    let server = MockServer::start().await;
    for kind in ["sentry", "healthchecks", "uptimerobot"] {
        mount_good(kind, &server).await;
    }
    let echo = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/monitors"))
        .respond_with(
            ResponseTemplate::new(401).set_body_raw(
                // Long enough that the message is cut inside the token: the cut
                // must not keep its start (redact first, then shorten).
                format!(
                    r#"{{"errors":"{} Invalid token: Bearer {TOKEN} (rejected)"}}"#,
                    "x".repeat(130)
                )
                .into_bytes(),
                "application/json",
            ),
        )
        .mount(&echo)
        .await;
    let tok = env(); // token file (mode 600), outside the program's dirs
    let sb = Sandbox::new();
    let file = format!("    token_file: '{}'\n", tok.token_file.display());
    let cfg = sb.write_config(&format!(
        "sources:\n{}{}{}{}",
        entry(
            "sentry",
            "sentry",
            &server.uri(),
            "    org: acme\n    project: api\n    token_env: MAYDAY_CANARY\n"
        ),
        entry("hc", "healthchecks", &server.uri(), &file),
        entry(
            "ur",
            "uptimerobot",
            &server.uri(),
            "    token_env: MAYDAY_CANARY\n"
        ),
        entry(
            "echo",
            "betterstack",
            &echo.uri(),
            "    token_env: MAYDAY_CANARY\n"
        ),
    ));
    let cfg_s = cfg.to_str().unwrap();
    let mut outputs = Vec::new();
    for args in [
        &["status", "--config", cfg_s][..],
        &["status", "--json", "--config", cfg_s][..],
    ] {
        let mut c = sb.cmd(args);
        c.env("MAYDAY_CANARY", TOKEN).env("MAYDAY_LOG", "trace");
        let out = c.output().await.unwrap();
        outputs.push(out);
    }
    // The tokens were used: the sources behind them answered.
    let v: serde_json::Value = serde_json::from_slice(&outputs[1].stdout).unwrap();
    let states: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["degraded", "up", "up", "unknown"], "{v:#}");
    assert!(v[3]["error"].as_str().unwrap().contains("[redac"), "{v:#}");
    let start = &TOKEN[..6];

    for out in &outputs {
        for (what, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            assert!(!text(bytes).contains(TOKEN), "the token is in {what}");
            assert!(
                !text(bytes).contains(start),
                "the token's start is in {what}: {}",
                text(bytes)
            );
        }
    }
    let mut files = Vec::new();
    files_under(sb.dir.path(), &mut files);
    let log = sb.p("data/mayday/mayday.log");
    assert!(files.contains(&log), "no diagnostics log among {files:?}");
    assert!(std::fs::metadata(&log).unwrap().len() > 0);
    for f in &files {
        let content = std::fs::read(f).unwrap();
        assert!(
            !text(&content).contains(TOKEN),
            "the token is in {}",
            f.display()
        );
    }
}

#[cfg(unix)]
#[tokio::test]
async fn group_readable_token_file_is_refused_with_a_hint() {
    use std::os::unix::fs::PermissionsExt;
    let tok = env();
    std::fs::set_permissions(&tok.token_file, std::fs::Permissions::from_mode(0o640)).unwrap();
    let sb = Sandbox::new();
    let cfg = sb.write_config(&format!(
        "sources:\n{}",
        entry(
            "hc",
            "healthchecks",
            "http://127.0.0.1:1",
            &format!("    token_file: '{}'\n", tok.token_file.display())
        )
    ));
    let (out, _) = sb
        .run(&["status", "--json", "--config", cfg.to_str().unwrap()])
        .await;
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["state"], "unknown");
    assert!(
        v[0]["error"].as_str().unwrap().contains("chmod 600"),
        "{v:#}"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn watch_refreshes_until_interrupted() {
    use tokio::io::AsyncBufReadExt;
    let server = MockServer::start().await;
    mount_good("gatus", &server).await;
    let sb = Sandbox::new();
    let cfg = sb.write_config(&format!(
        "sources:\n{}    interval: 1s\n",
        entry("gatus", "gatus", &server.uri(), "")
    ));
    let mut child = sb
        .cmd(&[
            "status",
            "--watch",
            "--json",
            "--config",
            cfg.to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut polled = 0;
    let deadline = Instant::now() + Duration::from_secs(20);
    while polled < 2 && Instant::now() < deadline {
        let line = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        if v[0]["state"] == "down" {
            polled += 1;
        }
    }
    assert_eq!(polled, 2, "expected two refreshes");
    let pid = rustix::process::Pid::from_raw(child.id().unwrap() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::INT).unwrap();
    let status = tokio::time::timeout(Duration::from_secs(5), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.code(), Some(1));
    // Everything else in KINDS is covered by the other tests.
    assert_eq!(KINDS.len(), Kind::CONFIGURABLE.len());
}
