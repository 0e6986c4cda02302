//! Alerting rules, as `mayday coverage` reads them: Prometheus rule files
//! (`groups:`), Kubernetes `PrometheusRule` manifests (the groups under
//! `spec:`, several documents in one file), and a live Prometheus's
//! `/api/v1/rules`. Each alerting rule with its name, `severity` label as
//! written, `runbook_url` annotation and where it is defined.

use super::PollError;
use super::parse::{Response, check_status, json};
use crate::util::diag::Diagnostic;
use crate::util::yaml::{Scalar, pos_of};
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;

/// One alerting rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertRule {
    /// The `alert:` name.
    pub name: String,
    /// Its `severity` label, as written.
    pub severity: Option<String>,
    /// Its `runbook_url` annotation.
    pub runbook_url: Option<String>,
    /// The file it is defined in (for a live Prometheus: the rule file it
    /// reports).
    pub file: String,
    /// The line of its `- alert:` entry (none from a live Prometheus).
    pub line: Option<u32>,
    /// Its group.
    pub group: String,
}

#[derive(Deserialize)]
struct RawDoc {
    #[serde(default)]
    groups: Option<Vec<RawGroup>>,
    #[serde(default)]
    spec: Option<RawSpec>,
}

#[derive(Deserialize)]
struct RawSpec {
    #[serde(default)]
    groups: Vec<RawGroup>,
}

#[derive(Deserialize)]
struct RawGroup {
    #[serde(default)]
    name: Option<Scalar>,
    #[serde(default)]
    rules: Vec<RawRule>,
}

#[derive(Deserialize)]
struct RawRule {
    #[serde(default)]
    alert: Option<Spanned<Scalar>>,
    #[serde(default)]
    labels: BTreeMap<String, Option<Scalar>>,
    #[serde(default)]
    annotations: BTreeMap<String, Option<Scalar>>,
}

/// The documents of a YAML file (split at `---` lines), each with the
/// number of lines before it.
fn documents(text: &str) -> Vec<(u32, String)> {
    let mut docs = vec![(0u32, String::new())];
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_end();
        if t == "---" || t.starts_with("--- ") {
            docs.push((i as u32 + 1, String::new()));
            continue;
        }
        if t == "..." {
            continue;
        }
        let d = &mut docs.last_mut().expect("one document at least").1;
        d.push_str(line);
        d.push('\n');
    }
    docs.retain(|(_, d)| {
        d.lines().any(|l| {
            let l = l.trim();
            !l.is_empty() && !l.starts_with('#')
        })
    });
    docs
}

/// The alerting rules of one rule file or manifest (`file` is what reports
/// show). A document that is neither is skipped (a kustomization, a
/// ConfigMap); a YAML error is an error with its line.
pub fn parse_rule_file(file: &str, text: &str) -> Result<Vec<AlertRule>, Diagnostic> {
    let mut out = Vec::new();
    for (offset, doc) in documents(text) {
        let raw: RawDoc = serde_saphyr::from_str(&doc).map_err(|e| {
            crate::util::yaml::yaml_error(&e, &doc, offset, "yaml-syntax", "docs/coverage.md")
                .at_path(file)
        })?;
        let groups = raw
            .groups
            .or(raw.spec.map(|s| s.groups))
            .unwrap_or_default();
        for g in groups {
            let group = g.name.map(|n| n.0).unwrap_or_default();
            for r in g.rules {
                let Some(alert) = r.alert else { continue };
                let text = |m: &BTreeMap<String, Option<Scalar>>, k: &str| {
                    m.get(k)
                        .and_then(|v| v.as_ref())
                        .map(|v| v.0.trim().to_owned())
                        .filter(|v| !v.is_empty())
                };
                out.push(AlertRule {
                    name: alert.value.0.trim().to_owned(),
                    severity: text(&r.labels, "severity"),
                    runbook_url: text(&r.annotations, "runbook_url"),
                    file: file.to_owned(),
                    line: Some(pos_of(&alert.referenced).line + offset),
                    group: group.clone(),
                });
            }
        }
    }
    Ok(out)
}

#[derive(Deserialize)]
struct ApiRules {
    #[serde(default)]
    status: String,
    #[serde(default)]
    data: Option<ApiData>,
}

#[derive(Deserialize)]
struct ApiData {
    #[serde(default)]
    groups: Vec<ApiGroup>,
}

#[derive(Deserialize)]
struct ApiGroup {
    #[serde(default)]
    name: String,
    #[serde(default)]
    file: String,
    #[serde(default)]
    rules: Vec<ApiRule>,
}

#[derive(Deserialize)]
struct ApiRule {
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

/// `GET /api/v1/rules`: the alerting rules Prometheus has loaded.
pub fn api_rules(resp: &Response) -> Result<Vec<AlertRule>, PollError> {
    if let Some(e) = super::parse::promql::error_answer(resp) {
        return Err(e);
    }
    check_status(super::Kind::Prometheus, resp)?;
    let r: ApiRules = json(&resp.body, "Prometheus")?;
    if r.status != "success" {
        return Err(PollError::Malformed(format!(
            "status `{}`, not success",
            super::parse::truncate(&r.status, 40)
        )));
    }
    let mut out = Vec::new();
    for g in r.data.map(|d| d.groups).unwrap_or_default() {
        for rule in g.rules.into_iter().filter(|r| r.kind == "alerting") {
            let get = |m: &BTreeMap<String, String>, k: &str| {
                m.get(k)
                    .map(|v| v.trim().to_owned())
                    .filter(|v| !v.is_empty())
            };
            out.push(AlertRule {
                severity: get(&rule.labels, "severity"),
                runbook_url: get(&rule.annotations, "runbook_url"),
                name: rule.name,
                file: g.file.clone(),
                line: None,
                group: g.name.clone(),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_groups_and_manifests_with_lines() {
        let plain = "groups:\n- name: kubernetes-apps\n  rules:\n  - alert: KubePodCrashLooping\n    expr: x > 0\n    for: 15m\n    labels:\n      severity: warning\n    annotations:\n      runbook_url: https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepodcrashlooping\n  - record: job:up:sum\n    expr: sum(up)\n  - alert: KubeAPIDown\n    expr: absent(up)\n    labels: {severity: critical}\n";
        let r = parse_rule_file("rules.yaml", plain).unwrap();
        assert_eq!(r.len(), 2, "recording rules are not alerts");
        assert_eq!(r[0].name, "KubePodCrashLooping");
        assert_eq!(r[0].line, Some(4));
        assert_eq!(r[0].severity.as_deref(), Some("warning"));
        assert!(
            r[0].runbook_url
                .as_deref()
                .unwrap()
                .ends_with("kubepodcrashlooping")
        );
        assert_eq!(r[1].line, Some(13));
        assert_eq!(r[1].runbook_url, None);
        assert_eq!(r[1].group, "kubernetes-apps");

        let manifest = "# kube-prometheus\n---\napiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: a\nspec:\n  groups:\n  - name: a\n    rules:\n    - alert: A1\n      labels:\n        severity: 3\n---\napiVersion: v1\nkind: ConfigMap\ndata: {x: y}\n---\napiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nspec:\n  groups:\n  - name: b\n    rules:\n    - alert: B1\n";
        let r = parse_rule_file("m.yaml", manifest).unwrap();
        assert_eq!(
            r.iter()
                .map(|r| (r.name.as_str(), r.line))
                .collect::<Vec<_>>(),
            [("A1", Some(11)), ("B1", Some(25))]
        );
        assert_eq!(r[0].severity.as_deref(), Some("3"));
        let e = parse_rule_file("bad.yaml", "groups:\n- name: x\n  rules: [\n").unwrap_err();
        assert_eq!(e.path, "bad.yaml");
        assert!(e.line >= 3, "{e}");
    }

    #[test]
    fn a_live_prometheus_lists_its_alerting_rules() {
        let body = r#"{"status":"success","data":{"groups":[{"name":"g","file":"/etc/prometheus/rules.yml","rules":[
          {"type":"alerting","name":"HighErrorRate","labels":{"severity":"page"},"annotations":{"runbook_url":"https://x/high-error-rate"},"state":"inactive"},
          {"type":"recording","name":"job:x","query":"sum(x)"}]}]}}"#;
        let r = api_rules(&Response::ok(body)).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].file, "/etc/prometheus/rules.yml");
        assert_eq!(r[0].severity.as_deref(), Some("page"));
        assert!(api_rules(&Response::ok("<html>")).is_err());
    }
}
