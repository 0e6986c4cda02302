//! Alert coverage: which alerting rules have a runbook (matched by the same
//! rules the picker uses: `runbook_url`, the alert's name as a runbook id
//! or file name, a runbook's `alerts:` list), which `runbook_url`s name no
//! loaded runbook, which runbooks list alerts no rule defines, and how many
//! alerts of each severity are covered. Pure: the rules and runbooks come
//! in, a report goes out (`mayday coverage` prints it).

use super::Runbook;
use super::matching::{match_strength, url_names_runbook};
use crate::status::rules::AlertRule;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// An alert without a runbook.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Uncovered {
    /// The alert's name.
    pub alert: String,
    /// Its `severity` label as written.
    pub severity: Option<String>,
    /// Where the rule is.
    pub file: String,
    /// The line of its `- alert:` entry.
    pub line: Option<u32>,
}

/// A `runbook_url` that names no loaded runbook.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BrokenUrl {
    /// The alert's name.
    pub alert: String,
    /// The URL.
    pub url: String,
    /// Where the rule is.
    pub file: String,
    /// The line of its `- alert:` entry.
    pub line: Option<u32>,
}

/// A runbook that lists alerts no rule defines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Orphan {
    /// The runbook's id.
    pub runbook: String,
    /// Its file.
    pub path: String,
    /// Its `owner:`.
    pub owner: Option<String>,
    /// The alerts it lists that no rule defines.
    pub alerts: Vec<String>,
}

/// A covered alert and its runbook.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Covered {
    /// The alert's name.
    pub alert: String,
    /// Its `severity` label as written.
    pub severity: Option<String>,
    /// The runbook that answers it.
    pub runbook: String,
    /// The runbook's `owner:`.
    pub owner: Option<String>,
}

/// Covered and total, for one severity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Alerts with a runbook.
    pub covered: usize,
    /// All alerts.
    pub alerts: usize,
}

/// What `mayday coverage` reports.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// How many alerting rules were read.
    pub alerts: usize,
    /// How many have a runbook.
    pub covered: usize,
    /// Those without.
    pub uncovered: Vec<Uncovered>,
    /// `runbook_url`s that name no loaded runbook.
    pub broken_urls: Vec<BrokenUrl>,
    /// Runbooks listing alerts no rule defines.
    pub orphan_runbooks: Vec<Orphan>,
    /// Per `severity` label value (`unset` when a rule has none).
    pub by_severity: BTreeMap<String, Tally>,
    /// Each covered alert and its runbook.
    pub covered_by: Vec<Covered>,
}

impl Report {
    /// Covered alerts as a percentage (100 with no alerts).
    pub fn percent(&self) -> f64 {
        if self.alerts == 0 {
            100.0
        } else {
            self.covered as f64 * 100.0 / self.alerts as f64
        }
    }

    /// Uncovered alerts whose severity label means critical (`critical`,
    /// `page`, `sev1`, …).
    pub fn critical_uncovered(&self) -> Vec<&Uncovered> {
        self.uncovered
            .iter()
            .filter(|u| {
                u.severity
                    .as_deref()
                    .and_then(super::Severity::from_alert_label)
                    == Some(super::Severity::Critical)
            })
            .collect()
    }
}

/// Check every rule against the runbooks.
pub fn check(rules: &[AlertRule], runbooks: &[Arc<Runbook>]) -> Report {
    let mut r = Report {
        alerts: rules.len(),
        ..Report::default()
    };
    for rule in rules {
        let url = rule.runbook_url.as_deref();
        let best = runbooks
            .iter()
            .map(|rb| (match_strength(rb, &rule.name, url), rb))
            .filter(|(s, _)| *s > 0)
            .max_by_key(|(s, _)| *s);
        let url_ok = url.is_none_or(|u| {
            runbooks.iter().any(|rb| {
                url_names_runbook(u, &rb.id) || url_names_runbook(u, &super::id_from_path(&rb.path))
            })
        });
        if let (Some(u), false) = (url, url_ok) {
            r.broken_urls.push(BrokenUrl {
                alert: rule.name.clone(),
                url: u.to_owned(),
                file: rule.file.clone(),
                line: rule.line,
            });
        }
        let sev = rule.severity.clone().unwrap_or_else(|| "unset".to_owned());
        let tally = r.by_severity.entry(sev).or_default();
        tally.alerts += 1;
        match best {
            Some((_, rb)) => {
                tally.covered += 1;
                r.covered += 1;
                r.covered_by.push(Covered {
                    alert: rule.name.clone(),
                    severity: rule.severity.clone(),
                    runbook: rb.id.clone(),
                    owner: rb.owner.clone(),
                });
            }
            None => r.uncovered.push(Uncovered {
                alert: rule.name.clone(),
                severity: rule.severity.clone(),
                file: rule.file.clone(),
                line: rule.line,
            }),
        }
    }
    for rb in runbooks {
        let missing: Vec<String> = rb
            .alerts
            .iter()
            .filter(|a| !rules.iter().any(|r| r.name.eq_ignore_ascii_case(a)))
            .cloned()
            .collect();
        if !missing.is_empty() {
            r.orphan_runbooks.push(Orphan {
                runbook: rb.id.clone(),
                path: rb.path.clone(),
                owner: rb.owner.clone(),
                alerts: missing,
            });
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rb(path: &str, text: &str) -> Arc<Runbook> {
        let mut r = crate::runbook::load(path, text.as_bytes(), crate::runbook::Origin::Extra)
            .runbook
            .unwrap();
        r.path = path.to_owned();
        Arc::new(r)
    }

    fn rule(name: &str, sev: Option<&str>, url: Option<&str>, line: u32) -> AlertRule {
        AlertRule {
            name: name.into(),
            severity: sev.map(str::to_owned),
            runbook_url: url.map(str::to_owned),
            file: "rules.yaml".into(),
            line: Some(line),
            group: "g".into(),
        }
    }

    #[test]
    fn matched_like_the_picker_and_every_kind_of_gap_reported() {
        let runbooks = vec![
            rb(
                "runbooks/KubePodCrashLooping.md",
                "# Crash looping\n\n## Look\n\nx\n",
            ),
            rb(
                "runbooks/disk.md",
                "---\nowner: team-storage\nalerts: [NodeFilesystemSpaceFillingUp, NodeDiskGone]\n---\n# Disk\n\n## Look\n\nx\n",
            ),
        ];
        let rules = vec![
            // runbook_url names the file.
            rule(
                "KubePodCrashLooping",
                Some("warning"),
                Some(
                    "https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepodcrashlooping",
                ),
                4,
            ),
            // listed under alerts:, no URL.
            rule("NodeFilesystemSpaceFillingUp", Some("critical"), None, 9),
            // a URL naming nothing, and no other match: uncovered and broken.
            rule(
                "KubeAPIDown",
                Some("critical"),
                Some("https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubeapidown"),
                14,
            ),
            // a broken URL, but the name matches a listed alert: covered, still broken.
            rule(
                "NodeFilesystemSpaceFillingUp",
                Some("warning"),
                Some("https://wiki.example.com/Disk+Space"),
                20,
            ),
            // nothing at all.
            rule("Watchdog", Some("none"), None, 30),
            rule("NoSeverity", None, None, 31),
        ];
        let r = check(&rules, &runbooks);
        assert_eq!(r.alerts, 6);
        assert_eq!(r.covered, 3);
        assert_eq!(
            r.uncovered
                .iter()
                .map(|u| (u.alert.as_str(), u.line))
                .collect::<Vec<_>>(),
            [
                ("KubeAPIDown", Some(14)),
                ("Watchdog", Some(30)),
                ("NoSeverity", Some(31))
            ]
        );
        assert_eq!(r.broken_urls.len(), 2);
        assert_eq!(r.broken_urls[1].url, "https://wiki.example.com/Disk+Space");
        assert_eq!(r.orphan_runbooks.len(), 1);
        assert_eq!(r.orphan_runbooks[0].alerts, ["NodeDiskGone"]);
        assert_eq!(r.orphan_runbooks[0].owner.as_deref(), Some("team-storage"));
        assert_eq!(
            r.by_severity["critical"],
            Tally {
                covered: 1,
                alerts: 2
            }
        );
        assert_eq!(
            r.by_severity["none"],
            Tally {
                covered: 0,
                alerts: 1
            }
        );
        assert_eq!(
            r.by_severity["unset"],
            Tally {
                covered: 0,
                alerts: 1
            }
        );
        assert_eq!(r.critical_uncovered().len(), 1);
        assert_eq!(r.percent(), 50.0);
        let disk = r.covered_by.iter().find(|c| c.runbook == "disk").unwrap();
        assert_eq!(disk.owner.as_deref(), Some("team-storage"));
    }
}
