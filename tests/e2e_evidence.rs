//! The issue's "done when", through the real binary in tmux against a real
//! Prometheus (Debian's, scraping itself): a plain prometheus-operator
//! style runbook with ```promql blocks, loaded as it is, shows live values
//! in its Diagnosis step; `E` attaches a snapshot with a comment; the
//! evidence is in `mayday export --format json` and, with its chart, in
//! the Markdown postmortem.

mod common;

use common::Env;
use common::procs;
use common::tmux::{self, Tmux};

fn bin() -> String {
    assert_cmd::cargo::cargo_bin("mayday").display().to_string()
}

/// Shaped like the public prometheus-operator runbooks: no front matter,
/// a heading per section, the queries in ```promql fences.
const RUNBOOK: &str = "# PrometheusHTTPErrors

## Meaning

Prometheus answers HTTP requests with errors, or one of its targets is down.

## Impact

Dashboards and alert evaluation may show gaps.

## Diagnosis

Requests Prometheus answered, by handler:

```promql
sum by (handler) (rate(prometheus_http_requests_total[1m]))
```

Whether each target is up:

```promql
up
```

## Mitigation

Restart the failing target and watch the rate above fall.
";

#[test]
fn live_values_in_a_plain_runbook_and_the_evidence_in_the_postmortem() {
    if !tmux::available() {
        return;
    }
    let env = Env::new();
    let prom_dir = env.mkdir("prom");
    let Some((_prom, port)) = procs::self_scraping_prometheus(&prom_dir) else {
        return;
    };
    let runbooks = env.mkdir("runbooks");
    std::fs::write(runbooks.join("PrometheusHTTPErrors.md"), RUNBOOK).unwrap();
    let config = env.write(
        "cfg/config.yaml",
        &format!(
            "responder: eve\nsources:\n  - name: prom\n    kind: prometheus\n    url: http://127.0.0.1:{port}\n    interval: 2s\n"
        ),
    );
    let data = env.data_home().join("mayday");
    let cmd = format!(
        "{} --config {} --no-bundled --runbooks {} --data-dir {}; echo MAYDAY-EXITED; sleep 60",
        bin(),
        config.display(),
        runbooks.display(),
        data.display()
    );
    let envs = [("XDG_CONFIG_HOME", env.config_home())];
    let envs: Vec<(&str, &std::path::Path)> = envs.iter().map(|(k, v)| (*k, v.as_path())).collect();
    let t = Tmux::start("evidence", 140, 48, &cmd, &envs);
    t.wait_for("PrometheusHTTPErrors");
    t.keys(&["Enter"]);
    t.wait_for("Start an incident");
    t.keys(&["Enter"]);
    t.wait_for("Prometheus answers HTTP requests");
    // Meaning → Impact → Diagnosis.
    t.keys(&["n"]);
    t.wait_for("Dashboards and alert evaluation");
    t.keys(&["n"]);
    let step = t.wait_for("promql · live");
    assert!(step.contains("Requests Prometheus answered"), "{step}");
    // Real values: a row per handler, and `up` is 1.
    let live = t.wait_for_within("handler=/api/v1/query", 30);
    assert!(live.contains("◆ prom ·"), "{live}");
    let live = t.wait_for_within("evidence (prom): up = 1", 30);
    assert!(live.contains("evidence (prom): sum by (handler)"), "{live}");
    // A snapshot with a comment, once the 15 s resolution of a 30 min
    // window has a few points (Prometheus has only just started).
    std::thread::sleep(std::time::Duration::from_secs(32));
    t.keys(&["E"]);
    t.wait_for("Attach evidence");
    t.type_text("rate is flat, nothing failing");
    t.keys(&["Enter"]);
    t.wait_for_within("“rate is flat, nothing failing”", 30);
    t.keys(&["q"]);
    t.wait_for("The incident stays OPEN");
    t.keys(&["y"]);
    t.wait_exit("MAYDAY-EXITED");

    let listed = env
        .cmd()
        .arg("--data-dir")
        .arg(&data)
        .args(["incidents", "--json"])
        .output()
        .expect("incidents");
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).expect("json");
    let id = listed
        .as_array()
        .and_then(|a| a.first())
        .and_then(|i| i["id"].as_str())
        .unwrap_or_else(|| panic!("an incident: {listed}"))
        .to_owned();
    let export = |format: &str| {
        env.cmd()
            .args(["--data-dir"])
            .arg(&data)
            .args(["export", &id, "--format", format])
            .output()
            .expect("export")
    };
    let json = export("json");
    assert!(
        json.status.success(),
        "{}",
        String::from_utf8_lossy(&json.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    let events = v["events"]
        .as_array()
        .or_else(|| v.as_array())
        .expect("events");
    let evidence: Vec<&serde_json::Value> =
        events.iter().filter(|e| e["kind"] == "evidence").collect();
    assert!(
        evidence.len() >= 4,
        "two first answers and two snapshots: {evidence:#?}"
    );
    let up = evidence
        .iter()
        .find(|e| e["query"] == "up")
        .expect("the up query");
    assert_eq!(up["source"], "prom");
    assert_eq!(up["step"], "diagnosis");
    let last = up["series"][0]["samples"]
        .as_array()
        .unwrap()
        .last()
        .unwrap();
    assert_eq!(last[1], 1.0, "{up}");
    assert!(
        evidence
            .iter()
            .any(|e| e["comment"] == "rate is flat, nothing failing"),
        "{evidence:#?}"
    );
    let md = export("md");
    assert!(md.status.success());
    let md = String::from_utf8_lossy(&md.stdout);
    let section = md.split("## Evidence").nth(1).expect("an evidence section");
    assert!(section.contains("### Diagnosis (diagnosis)"), "{section}");
    assert!(section.contains("```mermaid\nxychart-beta"), "{section}");
    assert!(
        section.contains("> rate is flat, nothing failing"),
        "{section}"
    );
}
