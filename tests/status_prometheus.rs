//! Against the real thing: Prometheus and Alertmanager (Debian packages
//! `prometheus`, `prometheus-alertmanager`) started on free loopback ports
//! with an always-firing rule. Both sources must report `down` with the
//! alert in their items. Without the binaries the test prints a SKIPPED
//! line; with `MAYDAY_REQUIRE_PROMETHEUS=1` (CI) it fails instead.

mod common;
mod status_support;

use common::procs::{Proc, free_port, which};

use mayday::config::Config;
use mayday::status::Snapshot;
use mayday::status::health::Health;
use status_support::{fast, poll_once};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

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
        "groups:\n  - name: mayday-test\n    rules:\n      - alert: MaydayAlwaysFiring\n        expr: vector(1)\n        for: 0s\n        labels:\n          severity: critical\n        annotations:\n          summary: always firing (mayday test)\n          runbook_url: https://runbooks.test/always-firing\n  - name: general.rules\n    rules:\n      - alert: Watchdog\n        expr: vector(1)\n        labels:\n          severity: none\n        annotations:\n          summary: kube-prometheus dead man's switch, always firing\n".to_owned() + KUBE_RULES,
    )
    .unwrap();
    std::fs::write(
        d.join("prometheus.yml"),
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - {}\n  - {}\nalerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['127.0.0.1:{am_port}']\n",
            d.join("rules.yml").display(),
            d.join("storage-rules.yml").display()
        ),
    )
    .unwrap();
    std::fs::write(d.join("storage-rules.yml"), STORAGE_RULES).unwrap();
    std::fs::create_dir_all(d.join("am-data")).unwrap();
    std::fs::create_dir_all(d.join("prom-data")).unwrap();
    let s = |p: &Path| p.display().to_string();
    let am_args = [
        format!("--config.file={}", s(&d.join("alertmanager.yml"))),
        format!("--storage.path={}", s(&d.join("am-data"))),
        format!("--web.listen-address=127.0.0.1:{am_port}"),
        "--cluster.listen-address=".into(),
    ];
    let am_proc = Proc::start("alertmanager", &am, &am_args, d);
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
    assert_ne!(a.state, Health::Up, "{a:#?}");
    assert!(a.summary.contains("1 silenced"), "{}", a.summary);
    assert!(
        !a.alerts.iter().any(|x| x.alertname == "MaydayAlwaysFiring"),
        "a silenced alert is not offered: {a:#?}"
    );

    kube_story(d, am_port, &prom_proc, &am_proc).await;

    // Alertmanager restarted while Prometheus is away: it holds no alerts,
    // and that is "no data yet", not an all-clear.
    drop(prom_proc);
    drop(am_proc);
    let am_proc = Proc::start("alertmanager-again", &am, &am_args, d);
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut a = poll_once(source("alertmanager", am_port), fast()).await;
    while a.error.is_some() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        a = poll_once(source("alertmanager", am_port), fast()).await;
    }
    assert_eq!(a.state, Health::Unknown, "{a:#?}\n{}", am_proc.log());
    assert!(
        a.summary.starts_with("no data yet: Alertmanager started"),
        "{}",
        a.summary
    );
}

/// kube-prometheus alerts with their real names and labels, from several
/// rule groups (Prometheus sends them in varying order).
const KUBE_RULES: &str = "  - name: kubernetes-apps
    rules:
      - alert: KubePodCrashLooping
        expr: label_replace(vector(1), \"pod\", \"api-1\", \"\", \"\") or label_replace(vector(2), \"pod\", \"api-2\", \"\", \"\")
        labels:
          severity: warning
          namespace: payments
          container: api
          job: kube-state-metrics
        annotations:
          summary: Pod is crash looping.
          runbook_url: https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepodcrashlooping
  - name: kubernetes-system-apiserver
    rules:
      - alert: KubeAPIDown
        expr: vector(1)
        labels:
          severity: critical
        annotations:
          summary: Target disappeared from Prometheus target discovery.
          runbook_url: https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubeapidown
";

/// A rule group that is taken away (and Prometheus reloaded) to resolve
/// its alert while the others fire on.
const STORAGE_RULES: &str = "groups:
  - name: kubernetes-storage
    rules:
      - alert: KubePersistentVolumeFillingUp
        expr: vector(1)
        labels:
          severity: warning
          namespace: payments
          persistentvolumeclaim: data-db-0
        annotations:
          summary: PersistentVolume is filling up.
          runbook_url: https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepersistentvolumefillingup
";

/// Runbooks for those alerts, one with variables that come from labels.
fn kube_library(dir: &Path) -> std::sync::Arc<mayday::runbook::library::Library> {
    use mayday::runbook::library::{FileLocation, FileRef, Library};
    let rb = dir.join("runbooks");
    std::fs::create_dir_all(&rb).unwrap();
    std::fs::write(
        rb.join("KubePersistentVolumeFillingUp.md"),
        "---\nvariables:\n  - name: claim\n    label: persistentvolumeclaim\n  - name: namespace\n    default: shop\n---\n# KubePersistentVolumeFillingUp\n\n## Check the claim {.diagnose}\n\n```sh\nkubectl -n {{namespace}} get pvc {{claim}}\n```\n",
    )
    .unwrap();
    std::fs::write(
        rb.join("KubePodCrashLooping.md"),
        "# KubePodCrashLooping\n\n## Look {.diagnose}\n\n```sh\nkubectl -n $NAMESPACE logs $POD\n```\n",
    )
    .unwrap();
    std::fs::write(
        rb.join("KubeAPIDown.md"),
        "# KubeAPIDown\n\n## Look {.diagnose}\n\nIs the API server up?\n",
    )
    .unwrap();
    let files: Vec<FileRef> = mayday::runbook::library::discover(&rb)
        .unwrap()
        .into_iter()
        .map(|p| FileRef {
            display: p.display().to_string(),
            origin: mayday::runbook::Origin::User,
            location: FileLocation::Disk(p),
        })
        .collect();
    std::sync::Arc::new(Library::from_files(&files))
}

/// Poll until `ok` holds (or 30 s pass).
async fn poll_until(port: u16, ok: impl Fn(&Snapshot) -> bool) -> Snapshot {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut a = poll_once(source("alertmanager", port), fast()).await;
    while !ok(&a) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(300)).await;
        a = poll_once(source("alertmanager", port), fast()).await;
    }
    a
}

/// The picker over many real polls, an incident from a labelled alert, its
/// own alert resolving while others fire, a silence made and expired by
/// Mayday's own call.
async fn kube_story(d: &Path, am_port: u16, prom: &Proc, am: &Proc) {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use mayday::app::{self, Action};
    let firing = |s: &Snapshot, name: &str| s.alerts.iter().filter(|a| a.alertname == name).count();
    let all = |s: &Snapshot| {
        firing(s, "KubePodCrashLooping") == 2
            && firing(s, "KubeAPIDown") == 1
            && firing(s, "KubePersistentVolumeFillingUp") == 1
    };
    let a = poll_until(am_port, all).await;
    assert!(all(&a), "{a:#?}\n{}\n{}", prom.log(), am.log());

    let settings = app::Settings {
        default_responder: "alice".into(),
        ..app::Settings::default()
    };
    let at = jiff::Timestamp::now();
    let mut s = app::State::new(
        kube_library(d),
        mayday::ui::keymap::Keymap::default(),
        settings,
        at,
        jiff::tz::TimeZone::UTC,
    );
    let feed = |s: &mut app::State, snap: Snapshot| {
        app::update(
            s,
            Action::Status(Box::new(mayday::status::Update::new(snap))),
        )
    };
    let key = |s: &mut app::State, code: KeyCode| {
        app::update(
            s,
            Action::Key {
                key: KeyEvent::new(code, KeyModifiers::NONE),
                at: jiff::Timestamp::now(),
            },
        )
    };
    let rows = |s: &app::State| -> Vec<String> {
        s.picker
            .firing
            .iter()
            .map(|f| format!("{}×{}", f.alertname, f.count))
            .collect()
    };
    feed(&mut s, a);
    let first = rows(&s);
    // Critical first; the two warnings (started within the same
    // evaluation) by how long they have fired.
    let mut warnings = first[1..].to_vec();
    warnings.sort();
    assert_eq!(first[0], "KubeAPIDown×1", "{first:?}");
    assert_eq!(
        warnings,
        ["KubePersistentVolumeFillingUp×1", "KubePodCrashLooping×2"]
    );
    // The responder moves to the third row; many polls later it is still
    // there and the rows have not moved.
    let target = first
        .iter()
        .position(|r| r.starts_with("KubePersistentVolumeFillingUp"))
        .unwrap();
    for _ in 0..target {
        key(&mut s, KeyCode::Down);
    }
    let chosen = s.picker.items[s.picker.selected];
    for _ in 0..12 {
        let snap = poll_once(source("alertmanager", am_port), fast()).await;
        feed(&mut s, snap);
        assert_eq!(rows(&s), first);
        assert_eq!(
            s.picker.items[s.picker.selected], chosen,
            "the selection follows the row"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    // Enter, Enter: the incident, its variables from the alert's labels.
    key(&mut s, KeyCode::Enter);
    let fx = key(&mut s, KeyCode::Enter);
    let req = fx
        .into_iter()
        .find_map(|e| match e {
            app::Effect::StartIncident(r) => Some(r),
            _ => None,
        })
        .expect("Enter, Enter starts the incident");
    assert_eq!(req.variables["claim"], "data-db-0");
    assert_eq!(
        req.variables["namespace"], "payments",
        "the label, not the default"
    );
    let alert = req.alert.clone().unwrap();
    assert_eq!(alert.name, "KubePersistentVolumeFillingUp");
    assert!(alert.fingerprint.is_some());
    let mut first_event = req.started_event(false);
    if let mayday::incident::EventKind::IncidentStarted { incident_id, .. } = &mut first_event {
        *incident_id = "20261203-031500-kubepersistentvolumefillingup".into();
    }
    app::update(
        &mut s,
        Action::IncidentOpened(Box::new(app::Opened {
            runbook: req.runbook.clone(),
            events: vec![mayday::incident::Event::new(1, req.at, first_event)],
            read_only: None,
            notices: vec![],
            trusted: true,
            resumed: false,
        })),
    );

    // Its own alert resolves (the rule group is taken away) while the
    // others still fire.
    std::fs::write(d.join("storage-rules.yml"), "groups: []\n").unwrap();
    let pid = rustix::process::Pid::from_raw(prom.pid() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::HUP).unwrap();
    let gone = poll_until(am_port, |s| {
        firing(s, "KubePersistentVolumeFillingUp") == 0 && firing(s, "KubePodCrashLooping") == 2
    })
    .await;
    assert_eq!(
        firing(&gone, "KubePersistentVolumeFillingUp"),
        0,
        "{gone:#?}\n{}",
        prom.log()
    );
    feed(&mut s, gone);
    let inc = &s.session.as_ref().unwrap().incident;
    assert_eq!(
        inc.alert_status.as_ref().map(|(st, _)| st.as_str()),
        Some("resolved")
    );
    let text = {
        let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(200, 30)).unwrap();
        let theme =
            mayday::ui::theme::Theme::load("dark", &mayday::ui::theme::ThemeSources::default()).0;
        t.draw(|f| app::view(&s, jiff::Timestamp::now(), &theme, f))
            .unwrap();
        let buf = t.backend().buffer().clone();
        (0..buf.area.height)
            .map(|y| {
                (0..buf.area.width)
                    .map(|x| buf[(x, y)].symbol())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(
        text.contains("its alert KubePersistentVolumeFillingUp resolved"),
        "{text}"
    );

    // A silence made by Mayday's own call (the source's task makes it),
    // listed with who made it and why; expired again by the same way.
    let (tx, mut rx) = tokio::sync::mpsc::channel(8);
    let h = mayday::status::poller::spawn_with(vec![source("alertmanager", am_port)], tx, fast());
    let matchers = [
        ("alertname".to_owned(), "KubePodCrashLooping".to_owned()),
        ("namespace".to_owned(), "payments".to_owned()),
    ]
    .into();
    let call = mayday::status::Call::Silence {
        matchers,
        ends_at: jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1),
        created_by: "mayday-test".into(),
        comment: "rolling back the deploy".into(),
    };
    let id = h
        .call("alertmanager", call)
        .unwrap()
        .await
        .unwrap()
        .expect("silenced");
    let held = |s: &Snapshot| {
        s.suppressed
            .iter()
            .filter(|a| a.silenced_by.contains(&id))
            .count()
    };
    let a = poll_until(am_port, |s| held(s) == 2).await;
    assert_eq!(held(&a), 2, "{a:#?}");
    let sl = a
        .silences
        .iter()
        .find(|x| x.id == id)
        .expect("the silence is listed");
    assert_eq!(
        (sl.created_by.as_str(), sl.comment.as_str()),
        ("mayday-test", "rolling back the deploy")
    );
    assert!(sl.ends_at.is_some());
    let expired = h
        .call(
            "alertmanager",
            mayday::status::Call::ExpireSilence { id: id.clone() },
        )
        .unwrap()
        .await
        .unwrap();
    assert_eq!(expired, Ok("expired".into()));
    let a = poll_until(am_port, |s| firing(s, "KubePodCrashLooping") == 2).await;
    assert_eq!(firing(&a, "KubePodCrashLooping"), 2, "{a:#?}");
    while rx.try_recv().is_ok() {}
    h.shutdown().await;
}

/// GET `path` from a PromQL server as the reader sees it.
async fn api_get(
    http: &reqwest::Client,
    base: &str,
    path: &str,
) -> Option<mayday::status::parse::Response> {
    let r = http.get(format!("{base}{path}")).send().await.ok()?;
    let status = r.status().as_u16();
    let mut resp = mayday::status::parse::Response::ok(r.bytes().await.ok()?.to_vec());
    resp.status = status;
    Some(resp)
}

/// The answers of a real Prometheus (scraping itself) to instant and range
/// queries read as evidence: every series with numbers, the labels that
/// tell them apart, a bad query's reason (the first piece of live query
/// blocks, issue 14).
#[tokio::test]
async fn real_prometheus_answers_queries_as_evidence() {
    use mayday::status::parse::promql::{Shape, distinct_labels, query_result};
    let dir = tempfile::tempdir().unwrap();
    let Some((prom, port)) = common::procs::self_scraping_prometheus(dir.path()) else {
        return;
    };
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let get = |path: String| {
        let (http, base) = (&http, &base);
        async move { api_get(http, base, &path).await }
    };
    // Wait for a few scrapes of itself.
    let deadline = Instant::now() + Duration::from_secs(30);
    let instant = loop {
        if let Some(resp) = get("/api/v1/query?query=prometheus_http_requests_total".into()).await
            && let Ok(r) = query_result(&resp)
            && r.series.len() >= 2
        {
            break r;
        }
        assert!(
            Instant::now() < deadline,
            "no series from Prometheus\n{}",
            prom.log()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert_eq!(instant.shape, Shape::Vector);
    assert!(instant.series.iter().all(|s| s.samples.len() == 1));
    let distinct = distinct_labels(&instant.series);
    assert!(distinct.contains(&"handler".to_owned()), "{distinct:?}");
    assert!(
        !distinct.contains(&"job".to_owned()),
        "all the same job: {distinct:?}"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    let now = jiff::Timestamp::now().as_second();
    let range = query_result(
        &get(format!(
            "/api/v1/query_range?query=up&start={}&end={now}&step=1",
            now - 30
        ))
        .await
        .expect("an answer"),
    )
    .expect("a matrix");
    assert_eq!(range.shape, Shape::Matrix);
    assert!(range.series[0].samples.len() >= 2, "{range:?}");
    assert!(range.series[0].samples.iter().all(|s| s.1 == 1.0));
    let err = query_result(
        &get("/api/v1/query?query=sum(up%29%29".into())
            .await
            .expect("an answer"),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("bad_data"), "{err}");

    // A step's query block, as the app asks it: a range over the window,
    // every series with its samples, sanitized; a bad one says why.
    let src = source("prometheus", port);
    let answer = step_query(
        &src,
        "sum by (handler) (rate(prometheus_http_requests_total[1m]))",
        60,
    )
    .await
    .expect("an answer");
    let series = answer.series();
    assert!(series.len() >= 2, "{answer:?}");
    assert!(series.iter().all(|s| s.labels.contains_key("handler")));
    assert!(series.iter().any(|s| s.samples.len() >= 2), "{answer:?}");
    assert_eq!(answer.step, Duration::from_secs(1));
    let err = step_query(&src, "sum(up))", 60)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("bad_data"), "{err}");
    // Nothing matched: an empty answer, not an error.
    let none = step_query(&src, "up{job=\"no-such-job\"}", 60)
        .await
        .expect("an answer");
    assert!(none.series().is_empty());
}

/// Ask a query block's question of a real source, as the app does.
async fn step_query(
    src: &mayday::status::SourceConfig,
    expr: &str,
    window_secs: u64,
) -> Result<mayday::status::query::Answer, mayday::status::PollError> {
    let ask = mayday::status::query::Ask {
        language: mayday::status::query::QueryLanguage::Promql,
        expr: expr.into(),
        end: jiff::Timestamp::now(),
        window: Duration::from_secs(window_secs),
    };
    let clients = mayday::status::fetch::Clients::new().expect("clients");
    mayday::status::fetch::query(
        src,
        &clients,
        None,
        mayday::status::fetch::Options::default(),
        &ask,
    )
    .await
}

/// A second real PromQL server (Debian's `victoria-metrics`), so the reader
/// follows the API rather than one server's habits: imported samples read
/// back as numbers with their labels, instant and range, and its own kind
/// of error (`422`) says why.
#[tokio::test]
async fn real_victoria_metrics_answers_queries_as_evidence() {
    use mayday::status::parse::promql::{Shape, distinct_labels, humanise, query_result};
    let Some(bin) = common::procs::required(&["victoria-metrics"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let port = free_port();
    let vm = Proc::start(
        "victoria-metrics",
        &bin,
        &[
            format!("-storageDataPath={}", d.join("data").display()),
            format!("-httpListenAddr=127.0.0.1:{port}"),
            "-search.latencyOffset=0s".into(),
            "-search.disableCache".into(),
        ],
        d,
    );
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let now = jiff::Timestamp::now().as_second();
    let body = [(-20, "0.35", "1.5"), (-10, "0.4", "1.6")]
        .iter()
        .flat_map(|(ago, p1, p2)| {
            let ms = (now + ago) * 1000;
            [
                format!("mayday_wait_seconds{{job=\"a\",pod=\"p1\"}} {p1} {ms}"),
                format!("mayday_wait_seconds{{job=\"a\",pod=\"p2\"}} {p2} {ms}"),
            ]
        })
        .collect::<Vec<_>>()
        .join("\n");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let sent = http
            .post(format!("{base}/api/v1/import/prometheus"))
            .body(body.clone())
            .send()
            .await;
        if sent.is_ok_and(|r| r.status().is_success()) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "VictoriaMetrics did not come up\n{}",
            vm.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let get = |path: String| {
        let (http, base) = (&http, &base);
        async move { api_get(http, base, &path).await }
    };
    let instant = loop {
        if let Some(resp) = get("/api/v1/query?query=mayday_wait_seconds".into()).await
            && let Ok(r) = query_result(&resp)
            && r.series.len() == 2
        {
            break r;
        }
        assert!(
            Instant::now() < deadline,
            "the samples never showed\n{}",
            vm.log()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert_eq!(instant.shape, Shape::Vector);
    assert_eq!(distinct_labels(&instant.series), ["pod"]);
    let p2 = instant
        .series
        .iter()
        .find(|s| s.labels["pod"] == "p2")
        .unwrap();
    assert_eq!(p2.samples[0].1, 1.6);
    assert_eq!(humanise("mayday_wait_seconds", p2.samples[0].1), "1.6 s");
    let range = query_result(
        &get(format!(
            "/api/v1/query_range?query=mayday_wait_seconds&start={}&end={now}&step=10",
            now - 30
        ))
        .await
        .expect("an answer"),
    )
    .expect("a matrix");
    assert_eq!(range.shape, Shape::Matrix);
    let p1 = range
        .series
        .iter()
        .find(|s| s.labels["pod"] == "p1")
        .unwrap();
    let values: Vec<f64> = p1.samples.iter().map(|s| s.1).collect();
    assert!(values.starts_with(&[0.35, 0.4]), "{values:?}");
    let err = query_result(
        &get("/api/v1/query?query=sum(up%29%29".into())
            .await
            .expect("an answer"),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("unparsed data left"), "{err}");
    // The same through a step's query block.
    let src = source("prometheus", port);
    let answer = step_query(&src, "mayday_wait_seconds", 120)
        .await
        .expect("an answer");
    assert_eq!(answer.series().len(), 2, "{answer:?}");
    assert_eq!(distinct_labels(answer.series()), ["pod"]);
    let err = step_query(&src, "sum(up))", 60)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("unparsed data left"), "{err}");
}
