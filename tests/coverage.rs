//! `mayday coverage` on the shapes teams have: kube-prometheus's
//! `PrometheusRule` manifests against the public prometheus-operator
//! runbooks (tests/corpus/plain, as published), a plain rule file, and a
//! real Prometheus's `/api/v1/rules`.

mod common;

use common::Env;
use std::path::Path;

fn corpus() -> &'static str {
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/plain")
}

fn fixture(name: &str) -> String {
    format!("{}/tests/coverage/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn json(out: &[u8]) -> serde_json::Value {
    serde_json::from_slice(out).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(out)))
}

#[test]
fn kube_prometheus_rules_against_the_public_runbooks() {
    let env = Env::new();
    let out = env
        .cmd()
        .args([
            "--no-bundled",
            "--runbooks",
            corpus(),
            "coverage",
            "--rules",
        ])
        .arg(fixture("kube-prometheus.yaml"))
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "a critical alert is uncovered: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out.stdout);
    assert_eq!(v["alerts"], 9);
    assert_eq!(v["covered"], 7);
    let uncovered: Vec<(String, String, u64)> = v["uncovered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["alert"].as_str().unwrap().to_owned(),
                u["severity"].as_str().unwrap().to_owned(),
                u["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        uncovered,
        [
            ("KubeletDown".to_owned(), "critical".to_owned(), 41),
            ("Watchdog".to_owned(), "none".to_owned(), 89),
        ]
    );
    assert!(
        v["uncovered"][0]["file"]
            .as_str()
            .unwrap()
            .ends_with("kube-prometheus.yaml")
    );
    let broken: Vec<&str> = v["broken_urls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["alert"].as_str().unwrap())
        .collect();
    assert_eq!(broken, ["KubeletDown", "Watchdog"]);
    assert_eq!(v["by_severity"]["critical"]["covered"], 4);
    assert_eq!(v["by_severity"]["critical"]["alerts"], 5);
    assert!(
        v["orphan_runbooks"].as_array().unwrap().is_empty(),
        "{}",
        v["orphan_runbooks"]
    );

    // The same for people.
    let out = env
        .cmd()
        .args([
            "--no-bundled",
            "--runbooks",
            corpus(),
            "coverage",
            "--rules",
        ])
        .arg(fixture("kube-prometheus.yaml"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("9 alerting rule(s), 7 with a runbook (77.8 %)"),
        "{text}"
    );
    assert!(
        text.contains("kube-prometheus.yaml:41  KubeletDown  critical"),
        "{text}"
    );
    assert!(
        text.contains(
            "KubeletDown  https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubeletdown"
        ),
        "{text}"
    );
}

#[test]
fn exit_codes_thresholds_and_orphans() {
    let env = Env::new();
    let runbooks = env.mkdir("rb");
    std::fs::write(
        runbooks.join("checkout-errors.md"),
        "---\nowner: team-checkout\nalerts: [CheckoutHighErrorRate, CheckoutGone]\n---\n# Checkout errors\n\n## Look\n\nx\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        env.cmd()
            .args(["--no-bundled", "--runbooks"])
            .arg(&runbooks)
            .arg("coverage")
            .args(args)
            .output()
            .unwrap()
    };
    let rules = fixture("prometheus-rules.yml");
    // Critical covered (by URL and list), the warning not: exit 0.
    let out = run(&["--rules", &rules]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("2 alerting rule(s), 1 with a runbook (50.0 %)"),
        "{text}"
    );
    assert!(text.contains("checkout-errors ("), "{text}");
    assert!(
        text.contains("owner team-checkout): CheckoutGone"),
        "{text}"
    );
    assert!(
        text.contains("Runbook owners of the covered alerts: team-checkout 1"),
        "{text}"
    );
    // Under the floor: exit 1.
    assert_eq!(
        run(&["--rules", &rules, "--min-coverage", "60"])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        run(&["--rules", &rules, "--min-coverage", "50"])
            .status
            .code(),
        Some(0)
    );
    // A directory is read whole.
    let dir = Path::new(&rules)
        .parent()
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let out = run(&["--rules", &dir, "--format", "json"]);
    assert_eq!(json(&out.stdout)["alerts"], 11);
    // A file given twice counts once.
    let out = run(&["--rules", &dir, "--rules", &rules, "--format", "json"]);
    assert_eq!(json(&out.stdout)["alerts"], 11);
    // Usage and I/O errors: 2.
    assert_eq!(run(&[]).status.code(), Some(2));
    assert_eq!(
        run(&["--rules", "/no/such/file.yaml"]).status.code(),
        Some(2)
    );
    assert_eq!(
        run(&["--rules", &rules, "--min-coverage", "150"])
            .status
            .code(),
        Some(2)
    );
    // Hostile names reach no terminal as escapes, in text or JSON.
    let evil = env.write(
        "evil.yaml",
        "groups:\n- name: x\n  rules:\n  - alert: \"Evil\\e]0;pwned\\a\\e[2J\"\n    labels: {severity: \"crit\\e[31mical\"}\n    annotations: {runbook_url: \"https://x/\\e]8;;evil\\a\"}\n",
    );
    for format in ["text", "json"] {
        let out = run(&["--rules", evil.to_str().unwrap(), "--format", format]);
        assert_eq!(out.status.code(), Some(1), "a broken URL");
        assert!(
            !out.stdout.contains(&0x1b) && !out.stdout.contains(&0x07),
            "{format}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    let bad = env.write("bad.yaml", "groups:\n- name: x\n  rules: [\n");
    let out = run(&["--rules", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("bad.yaml:"),
        "file and line"
    );
    assert_eq!(
        run(&[
            "--prometheus",
            &format!("http://127.0.0.1:{}", common::procs::free_port())
        ])
        .status
        .code(),
        Some(2),
        "an unreachable Prometheus"
    );
}

#[test]
fn a_real_prometheus_reports_its_loaded_rules() {
    let env = Env::new();
    let dir = env.mkdir("prom");
    std::fs::copy(fixture("prometheus-rules.yml"), dir.join("rules.yml")).unwrap();
    let Some((_prom, port)) = common::procs::prometheus_with(&dir, "rule_files: ['rules.yml']\n")
    else {
        return;
    };
    let runbooks = env.mkdir("rb");
    std::fs::write(
        runbooks.join("checkout-errors.md"),
        "# Checkout errors\n\n## Look\n\nx\n",
    )
    .unwrap();
    let out = env
        .cmd()
        .args(["--no-bundled", "--runbooks"])
        .arg(&runbooks)
        .args([
            "coverage",
            "--prometheus",
            &format!("http://127.0.0.1:{port}"),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let v = json(&out.stdout);
    assert_eq!(v["alerts"], 2, "{v}");
    assert_eq!(v["covered"], 1);
    assert_eq!(v["uncovered"][0]["alert"], "CheckoutSlow");
    assert!(
        v["uncovered"][0]["file"]
            .as_str()
            .unwrap()
            .ends_with("rules.yml")
    );
    assert_eq!(out.status.code(), Some(0));
}
