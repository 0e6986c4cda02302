//! From the page to the first step, through the real binary in tmux: one
//! firing alert (Alertmanager on loopback) → `mayday`, Enter, Enter → the
//! first step with the alert's label in its command; one PagerDuty page →
//! Enter, Enter → the incident, the page acknowledged in the responder's
//! name (the server saw the `From` header), and then a silence asked for
//! with `S` reaching Alertmanager.

mod common;
mod status_support;

use common::Env;
use common::tmux::{self, Tmux};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn bin() -> String {
    assert_cmd::cargo::cargo_bin("mayday").display().to_string()
}

const RUNBOOK: &str = "---
variables:
  - name: namespace
    default: shop
---
# KubePodCrashLooping

## Find the crashing pods {.diagnose}

```sh
kubectl -n {{namespace}} get pods --field-selector=status.phase!=Running
```

## Roll back {.rollback}

Roll the deployment back.
";

fn alertmanager_body() -> String {
    let since = jiff::Timestamp::now() - jiff::SignedDuration::from_mins(7);
    format!(
        r#"[{{"labels":{{"alertname":"KubePodCrashLooping","namespace":"payments","pod":"api-7d9f","container":"api","severity":"warning"}},"annotations":{{"summary":"Pod is crash looping.","runbook_url":"https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepodcrashlooping"}},"startsAt":"{since}","endsAt":"{since}","updatedAt":"{since}","fingerprint":"a1b2c3","receivers":[{{"name":"pagerduty"}}],"status":{{"state":"active","silencedBy":[],"inhibitedBy":[]}},"generatorURL":"http://prometheus:9090/graph"}}]"#
    )
}

fn run(env: &Env, config: &std::path::Path, runbooks: &std::path::Path, name: &str) -> Tmux {
    let data = env.data_home().join("mayday");
    let cmd = format!(
        "PD_TOKEN={} {} --config {} --no-bundled --runbooks {} --data-dir {}; echo MAYDAY-EXITED; sleep 60",
        status_support::TOKEN,
        bin(),
        config.display(),
        runbooks.display(),
        data.display()
    );
    let envs = [("XDG_CONFIG_HOME", env.config_home())];
    let envs: Vec<(&str, &std::path::Path)> = envs.iter().map(|(k, v)| (*k, v.as_path())).collect();
    Tmux::start(name, 140, 36, &cmd, &envs)
}

/// The issue's measure: from `mayday` to the first step, with the label's
/// value in the command, in two keys.
#[test]
fn a_firing_alert_to_the_first_step_in_two_keys() {
    if !tmux::available() {
        return;
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let am = rt.block_on(MockServer::start());
    rt.block_on(
        Mock::given(method("GET"))
            .and(path("/api/v2/alerts"))
            .respond_with(
                ResponseTemplate::new(200).set_body_raw(alertmanager_body(), "application/json"),
            )
            .mount(&am),
    );
    let env = Env::new();
    let runbooks = env.mkdir("runbooks");
    std::fs::write(runbooks.join("KubePodCrashLooping.md"), RUNBOOK).unwrap();
    let config = env.write(
        "cfg/config.yaml",
        &format!("responder: eve\nsources:\n  - name: am\n    kind: alertmanager\n    url: {}\n    interval: 2s\n", am.uri()),
    );
    let t = run(&env, &config, &runbooks, "alert-two-keys");
    let picker = t.wait_for("✖ firing");
    assert!(
        picker.contains("✖ firing KubePodCrashLooping  namespace=payments"),
        "{picker}"
    );
    t.keys(&["Enter"]);
    let form = t.wait_for("payments");
    assert!(!form.contains("shop"), "the label, not the default: {form}");
    t.keys(&["Enter"]);
    let step = t.wait_for("kubectl -n payments get pods");
    assert!(step.contains("Find the crashing pods"), "{step}");
    t.keys(&["q"]);
    t.wait_for("The incident stays OPEN");
    t.keys(&["y"]);
    t.wait_exit("MAYDAY-EXITED");
}

/// A page: two keys to the first step, the page acknowledged in the
/// responder's name; `S` silences the alert in Alertmanager with the
/// responder's reason; every call in the log.
#[test]
fn a_page_is_acknowledged_and_its_alert_silenced() {
    if !tmux::available() {
        return;
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let pd = rt.block_on(MockServer::start());
    rt.block_on(status_support::mount_pagerduty(&pd));
    rt.block_on(
        Mock::given(method("PUT"))
            .and(path("/incidents"))
            .and(header("from", "eve@example.com"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(
                r#"{"incidents":[{"id":"PT4KHLK","status":"acknowledged"}]}"#,
                "application/json",
            ))
            .mount(&pd),
    );
    let am = rt.block_on(MockServer::start());
    rt.block_on(async {
        Mock::given(method("GET"))
            .and(path("/api/v2/alerts"))
            .respond_with(ResponseTemplate::new(200).set_body_raw("[]", "application/json"))
            .mount(&am)
            .await;
        Mock::given(method("GET"))
            .and(path("/api/v2/status"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw(r#"{"uptime":"2020-01-01T00:00:00Z"}"#, "application/json"),
            )
            .mount(&am)
            .await;
        Mock::given(method("POST"))
            .and(path("/api/v2/silences"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw(r#"{"silenceID":"5c1f0e2a"}"#, "application/json"),
            )
            .mount(&am)
            .await;
    });
    let env = Env::new();
    let runbooks = env.mkdir("runbooks");
    std::fs::write(runbooks.join("KubePodCrashLooping.md"), RUNBOOK).unwrap();
    let config = env.write(
        "cfg/config.yaml",
        &format!(
            "responder: eve\nsources:\n  - name: pd\n    kind: pagerduty\n    url: {}\n    token_env: PD_TOKEN\n    from: eve@example.com\n    interval: 2s\n  - name: am\n    kind: alertmanager\n    url: {}\n    interval: 2s\n",
            pd.uri(),
            am.uri()
        ),
    );
    let t = run(&env, &config, &runbooks, "page-ack");
    let picker = t.wait_for("✖ paged");
    assert!(
        picker.contains("✖ paged  KubePodCrashLooping  #1234 (triggered)"),
        "{picker}"
    );
    t.keys(&["Enter"]);
    t.wait_for("payments");
    t.keys(&["Enter"]);
    t.wait_for("kubectl -n payments get pods");
    t.wait_for("page #1234 acknowledged");
    // Silence its alert: how long and why.
    t.keys(&["S"]);
    t.wait_for("Silence KubePodCrashLooping");
    t.keys(&["BSpace"; 120]);
    t.type_text("30m rolling back api");
    t.keys(&["Enter"]);
    t.wait_for("silence KubePodCrashLooping via am");
    t.keys(&["q"]);
    t.wait_for("The incident stays OPEN");
    t.keys(&["y"]);
    t.wait_exit("MAYDAY-EXITED");

    let puts = rt.block_on(pd.received_requests()).unwrap();
    let ack = puts
        .iter()
        .find(|r| r.method.as_str() == "PUT")
        .expect("the page was acknowledged");
    let body: serde_json::Value = serde_json::from_slice(&ack.body).unwrap();
    assert_eq!(body["incidents"][0]["status"], "acknowledged");
    assert_eq!(ack.headers.get("from").unwrap(), "eve@example.com");
    let posts = rt.block_on(am.received_requests()).unwrap();
    let silence = posts
        .iter()
        .find(|r| r.method.as_str() == "POST")
        .expect("the silence was asked for");
    let body: serde_json::Value = serde_json::from_slice(&silence.body).unwrap();
    assert_eq!(body["createdBy"], "eve");
    assert_eq!(body["comment"], "rolling back api");
    let names: Vec<&str> = body["matchers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"namespace") && names.contains(&"pod"),
        "{names:?}"
    );

    let data = env.data_home().join("mayday");
    let (_, export) = env.export_newest(&data);
    let calls: Vec<String> = export["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "source_called")
        .map(|e| format!("{} {} {}", e["call"], e["ok"], e["result"]))
        .collect();
    assert_eq!(
        calls,
        [
            r#""acknowledge" true "acknowledged""#,
            r#""silence" true "5c1f0e2a""#
        ]
    );
    let started = &export["events"][0];
    assert_eq!(started["alert"]["page"]["number"], 1234);
}
