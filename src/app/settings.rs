//! Settings fixed for the session, from the config file and the command
//! line.

use crate::runbook::Severity;
use std::collections::BTreeMap;
use std::time::Duration;

/// Settings fixed for the session (from the config file and the CLI).
#[derive(Clone, Debug)]
pub struct Settings {
    /// The config's `status_update_every`, when it sets one: then it holds
    /// for every severity. Unset, the interval follows severity
    /// ([`Settings::update_every`]).
    pub status_update_every: Option<Duration>,
    /// The config's `alert_severity` (label value, lower-case → severity),
    /// over the defaults of [`Severity::from_alert_label`].
    pub alert_severity: BTreeMap<String, Severity>,
    /// Who responds when no one is given (the config's `responder`, else the OS user).
    pub default_responder: String,
    /// `--dry-run`: commands are logged as dry runs, never executed.
    pub dry_run: bool,
    /// The default command timeout (the config's `commands.default_timeout`).
    pub command_timeout: std::time::Duration,
    /// How commands run, as the confirmation shows it
    /// (`bash -e -o pipefail`).
    pub shell: String,
    /// Values from `mayday start --var/--severity/--responder`: not asked again.
    pub preset: Preset,
    /// What the responder may write to, by source name, in config order:
    /// Alertmanager sources (silences) and pagers (acknowledge, resolve,
    /// notes).
    pub writable: Vec<(String, Writable)>,
    /// The sources a step's query blocks can ask (`prometheus`, `loki`),
    /// in config order; empty in a game day.
    pub queryable: Vec<crate::status::query::Queryable>,
}

/// A source the responder can write to, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Writable {
    /// An Alertmanager: alerts can be silenced.
    Alertmanager,
    /// A pager (PagerDuty).
    Pager {
        /// Starting from a page acknowledges it.
        acknowledge: bool,
        /// Notes are added to the page too.
        mirror_notes: bool,
    },
}

impl Writable {
    /// How the config's source can be written to, if it can.
    pub fn of(src: &crate::status::SourceConfig) -> Option<Writable> {
        match &src.spec {
            crate::status::Spec::Alertmanager { .. } => Some(Writable::Alertmanager),
            crate::status::Spec::Pagerduty(p) => Some(Writable::Pager {
                acknowledge: p.acknowledge,
                mirror_notes: p.mirror_notes,
            }),
            _ => None,
        }
    }
}

impl Settings {
    /// How the source `name` can be written to, if it can.
    pub fn writable(&self, name: &str) -> Option<Writable> {
        self.writable
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, w)| *w)
    }

    /// How often stakeholders hear from us at this severity: SEV1 every
    /// 15 minutes, SEV2 30, lower ones hourly — unless the config says.
    pub fn update_every(&self, severity: crate::runbook::Severity) -> Duration {
        self.status_update_every.unwrap_or_else(|| {
            Duration::from_secs(
                60 * match severity.sev() {
                    "SEV1" => 15,
                    "SEV2" => 30,
                    _ => 60,
                },
            )
        })
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            status_update_every: None,
            alert_severity: BTreeMap::new(),
            default_responder: "responder".into(),
            dry_run: false,
            command_timeout: std::time::Duration::from_secs(300),
            shell: "sh".into(),
            preset: Preset::default(),
            writable: Vec::new(),
            queryable: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
/// Values given before the start form (command line, game-day scenario).
pub struct Preset {
    /// Variable values.
    pub variables: BTreeMap<String, String>,
    /// The severity.
    pub severity: Option<Severity>,
    /// The responder.
    pub responder: Option<String>,
}
