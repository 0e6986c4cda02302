//! Against the real thing: Prometheus and Alertmanager (Debian packages
//! `prometheus`, `prometheus-alertmanager`) started on free loopback ports
//! with an always-firing rule. Both sources must report `down` with the
//! alert in their items. Without the binaries the test prints a SKIPPED
//! line; with `MAYDAY_REQUIRE_PROMETHEUS=1` (CI) it fails instead.

mod status_support;

use mayday::config::Config;
use mayday::status::Snapshot;
use mayday::status::health::Health;
use status_support::{fast, poll_once};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn which(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names
        .iter()
        .flat_map(|n| std::env::split_paths(&path).map(move |d| d.join(n)))
        .find(|p| p.is_file())
}

fn free_port() -> u16 {
    status_support::refused_port()
}

/// Kills the child when the test ends, however it ends.
struct Proc(Child, &'static str, PathBuf);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Proc {
    fn start(name: &'static str, bin: &Path, args: &[String], dir: &Path) -> Proc {
        let log = dir.join(format!("{name}.log"));
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(bin)
            .args(args)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        Proc(child, name, log)
    }

    fn log(&self) -> String {
        let text = std::fs::read_to_string(&self.2).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(15).collect();
        format!(
            "--- {} log (last lines) ---\n{}",
            self.1,
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        )
    }
}

fn source(kind: &str, port: u16) -> mayday::status::SourceConfig {
    let yaml = format!(
        "sources:\n  - name: {kind}\n    kind: {kind}\n    url: http://127.0.0.1:{port}\n    timeout: 2s\n"
    );
    Config::parse(&yaml).unwrap().sources.remove(0)
}

fn fired(s: &Snapshot) -> bool {
    s.state == Health::Down && s.items.iter().any(|i| i.name == "MaydayAlwaysFiring")
}

#[tokio::test]
async fn real_prometheus_and_alertmanager_report_down() {
    let required = std::env::var("MAYDAY_REQUIRE_PROMETHEUS").is_ok_and(|v| v == "1");
    let prom = which(&["prometheus"]);
    let am = which(&["prometheus-alertmanager", "alertmanager"]);
    let (Some(prom), Some(am)) = (prom.clone(), am.clone()) else {
        let missing: Vec<&str> = [
            (prom.is_none(), "prometheus"),
            (am.is_none(), "prometheus-alertmanager"),
        ]
        .into_iter()
        .filter_map(|(m, n)| m.then_some(n))
        .collect();
        let msg = format!(
            "SKIPPED: real Prometheus/Alertmanager test: {} not installed (apt-get install --no-install-recommends prometheus prometheus-alertmanager)",
            missing.join(" and ")
        );
        assert!(
            !required,
            "{} not installed, and MAYDAY_REQUIRE_PROMETHEUS=1 says this test must run",
            missing.join(" and ")
        );
        // Straight to the terminal: the test harness would hide a println.
        let _ = writeln!(std::io::stderr().lock(), "{msg}");
        return;
    };

    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (am_port, prom_port) = (free_port(), free_port());
    std::fs::write(
        d.join("alertmanager.yml"),
        "route:\n  receiver: 'null'\n  group_wait: 0s\n  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n  - name: 'null'\n",
    )
    .unwrap();
    std::fs::write(
        d.join("rules.yml"),
        "groups:\n  - name: mayday-test\n    rules:\n      - alert: MaydayAlwaysFiring\n        expr: vector(1)\n        for: 0s\n        labels:\n          severity: critical\n        annotations:\n          summary: always firing (mayday test)\n          runbook_url: https://runbooks.test/always-firing\n  - name: general.rules\n    rules:\n      - alert: Watchdog\n        expr: vector(1)\n        labels:\n          severity: none\n        annotations:\n          summary: kube-prometheus dead man's switch, always firing\n",
    )
    .unwrap();
    std::fs::write(
        d.join("prometheus.yml"),
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - {}\nalerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['127.0.0.1:{am_port}']\n",
            d.join("rules.yml").display()
        ),
    )
    .unwrap();
    std::fs::create_dir_all(d.join("am-data")).unwrap();
    std::fs::create_dir_all(d.join("prom-data")).unwrap();
    let s = |p: &Path| p.display().to_string();
    let am_proc = Proc::start(
        "alertmanager",
        &am,
        &[
            format!("--config.file={}", s(&d.join("alertmanager.yml"))),
            format!("--storage.path={}", s(&d.join("am-data"))),
            format!("--web.listen-address=127.0.0.1:{am_port}"),
            "--cluster.listen-address=".into(),
        ],
        d,
    );
    let prom_proc = Proc::start(
        "prometheus",
        &prom,
        &[
            format!("--config.file={}", s(&d.join("prometheus.yml"))),
            format!("--storage.tsdb.path={}", s(&d.join("prom-data"))),
            format!("--web.listen-address=127.0.0.1:{prom_port}"),
            "--rules.alert.resend-delay=1s".into(),
        ],
        d,
    );

    let deadline = Instant::now() + Duration::from_secs(60);
    let (mut p, mut a) = (None, None);
    // Rule groups are evaluated on their own: wait for the heartbeat too.
    let fired_p = |s: &Snapshot| fired(s) && s.summary.contains("1 ignored");
    while Instant::now() < deadline {
        if !p.as_ref().is_some_and(fired_p) {
            p = Some(poll_once(source("prometheus", prom_port), fast()).await);
        }
        if !a.as_ref().is_some_and(fired) {
            a = Some(poll_once(source("alertmanager", am_port), fast()).await);
        }
        if p.as_ref().is_some_and(fired_p) && a.as_ref().is_some_and(fired) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let (p, a) = (p.unwrap(), a.unwrap());
    let logs = format!("{}\n{}", prom_proc.log(), am_proc.log());
    assert!(fired(&p), "prometheus: {p:#?}\n{logs}");
    assert!(fired(&a), "alertmanager: {a:#?}\n{logs}");
    for s in [&p, &a] {
        let alert = s
            .alerts
            .iter()
            .find(|x| x.alertname == "MaydayAlwaysFiring")
            .unwrap();
        assert_eq!(alert.severity.as_deref(), Some("critical"));
        assert_eq!(
            alert.runbook_url.as_deref(),
            Some("https://runbooks.test/always-firing")
        );
        assert_eq!(
            alert.summary.as_deref(),
            Some("always firing (mayday test)")
        );
        let item = s
            .items
            .iter()
            .find(|i| i.name == "MaydayAlwaysFiring")
            .unwrap();
        assert_eq!(
            item.url.as_deref(),
            Some("https://runbooks.test/always-firing")
        );
        assert!(s.summary.contains("firing"), "{}", s.summary);
        assert!(s.latency_ms.is_some());
        // The heartbeat fires too, and is ignored: never an item, never a
        // reason for the source's state.
        assert!(!s.items.iter().any(|i| i.name == "Watchdog"), "{s:#?}");
        assert!(
            !s.alerts.iter().any(|x| x.alertname == "Watchdog"),
            "{s:#?}"
        );
    }
    assert!(p.summary.contains("1 ignored"), "{}", p.summary);

    // A silence through Alertmanager's API: the alert is listed as silenced,
    // and the source is degraded — not "up (none firing)".
    let now = jiff::Timestamp::now();
    let silence = serde_json::json!({
        "matchers": [{"name": "alertname", "value": "MaydayAlwaysFiring", "isRegex": false, "isEqual": true}],
        "startsAt": now.to_string(),
        "endsAt": (now + jiff::SignedDuration::from_secs(3600)).to_string(),
        "createdBy": "mayday-test",
        "comment": "silenced by the test",
    });
    let resp = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{am_port}/api/v2/silences"))
        .json(&silence)
        .send()
        .await
        .expect("create a silence");
    assert!(resp.status().is_success(), "{resp:?}");
    let silenced = |s: &Snapshot| {
        s.items
            .iter()
            .any(|i| i.name == "MaydayAlwaysFiring" && i.detail.starts_with("silenced"))
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut a = poll_once(source("alertmanager", am_port), fast()).await;
    while !silenced(&a) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(300)).await;
        a = poll_once(source("alertmanager", am_port), fast()).await;
    }
    assert!(silenced(&a), "{a:#?}\n{}", am_proc.log());
    assert_eq!(a.state, Health::Degraded, "{a:#?}");
    assert!(a.summary.contains("1 silenced"), "{}", a.summary);
    assert!(
        a.alerts.is_empty(),
        "a silenced alert is not offered: {a:#?}"
    );
}
