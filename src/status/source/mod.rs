//! The `sources:` list of the config file: one [`SourceConfig`] per status
//! source, every field checked, errors with line and hint.

mod parse;

pub(crate) use parse::{RawSource, parse_sources, parse_sources_lenient};

use crate::status::health::Health;
use crate::util::diag::{Diagnostic, Pos};
use crate::util::yaml::{DurationText, OneOrMany, Scalar, pos_of};
use reqwest::Url;
use secrecy::SecretString;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_saphyr::{Location, Spanned};
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Default poll interval.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);
/// Default per-request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default Sentry window ("issues seen within the last 15 minutes").
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(15 * 60);

const SEE: &str = "see docs/status-sources.md";

/// The kinds of status source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// An HTTP health check: status code, body, latency.
    Http,
    /// A Statuspage page's components and incidents.
    Statuspage,
    /// Prometheus: firing alerts, or one PromQL query against a threshold.
    Prometheus,
    /// Alertmanager: active alerts.
    Alertmanager,
    /// Sentry or GlitchTip: unresolved issues of a project.
    Sentry,
    /// UptimeRobot monitors.
    Uptimerobot,
    /// Better Stack (Better Uptime) monitors.
    Betterstack,
    /// An Uptime Kuma status page.
    UptimeKuma,
    /// Gatus endpoint statuses.
    Gatus,
    /// Healthchecks.io checks.
    Healthchecks,
    /// PagerDuty: triggered and acknowledged pages (incidents).
    Pagerduty,
    /// Loki: answers a step's `logql` blocks; polled by listing its labels.
    Loki,
    /// Driven by a script (game days), never polled.
    Simulated,
}

impl Kind {
    /// Every kind a config file may name.
    pub const CONFIGURABLE: [Kind; 12] = [
        Kind::Http,
        Kind::Statuspage,
        Kind::Prometheus,
        Kind::Alertmanager,
        Kind::Sentry,
        Kind::Uptimerobot,
        Kind::Betterstack,
        Kind::UptimeKuma,
        Kind::Gatus,
        Kind::Healthchecks,
        Kind::Pagerduty,
        Kind::Loki,
    ];

    /// The kind as the config spells it (`uptime_kuma`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Http => "http",
            Kind::Statuspage => "statuspage",
            Kind::Prometheus => "prometheus",
            Kind::Alertmanager => "alertmanager",
            Kind::Sentry => "sentry",
            Kind::Uptimerobot => "uptimerobot",
            Kind::Betterstack => "betterstack",
            Kind::UptimeKuma => "uptime-kuma",
            Kind::Gatus => "gatus",
            Kind::Healthchecks => "healthchecks",
            Kind::Pagerduty => "pagerduty",
            Kind::Loki => "loki",
            Kind::Simulated => "simulated",
        }
    }

    /// The public API base URL of a hosted service, used when `url` is left out.
    pub fn default_url(self) -> Option<&'static str> {
        match self {
            Kind::Sentry => Some("https://sentry.io"),
            Kind::Uptimerobot => Some("https://api.uptimerobot.com"),
            Kind::Betterstack => Some("https://uptime.betterstack.com"),
            Kind::Healthchecks => Some("https://healthchecks.io"),
            Kind::Pagerduty => Some("https://api.pagerduty.com"),
            _ => None,
        }
    }

    /// Kinds whose API always needs a token.
    pub fn needs_token(self) -> bool {
        matches!(
            self,
            Kind::Sentry
                | Kind::Uptimerobot
                | Kind::Betterstack
                | Kind::Healthchecks
                | Kind::Pagerduty
        )
    }

    /// The kind-specific fields (beyond name, kind, interval, timeout, url,
    /// token_env, token_file).
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            Kind::Http => &["expect_status", "body_contains", "body_regex", "slow"],
            Kind::Prometheus => &["query", "threshold", "compare", "breach", "ignore_alerts"],
            Kind::Alertmanager => &["filter", "ignore_alerts"],
            Kind::Sentry => &["org", "project", "window"],
            Kind::UptimeKuma => &["slug"],
            Kind::Loki => &["tenant"],
            Kind::Pagerduty => &[
                "from",
                "user_ids",
                "service_ids",
                "team_ids",
                "acknowledge",
                "mirror_notes",
            ],
            _ => &[],
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a source's token comes from. The token itself is only read when
/// polling starts ([`Credential::resolve`]) and is never stored in the config.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    /// No token.
    None,
    /// `token_env: VAR`
    Env(String),
    /// `token_file: PATH` (relative paths are relative to the config file).
    File(PathBuf),
}

/// Tokens taken out of the environment by [`capture_env_tokens`].
static CAPTURED: std::sync::OnceLock<
    std::sync::Mutex<std::collections::HashMap<String, SecretString>>,
> = std::sync::OnceLock::new();

/// Read every `token_env` token once, keep it in memory only, and take it
/// out of this process's environment — the variable and the bytes of the
/// environment block that `/proc/<pid>/environ` shows — so a command run
/// from a runbook cannot read it from its parent. The process is also
/// marked non-dumpable, which keeps other processes of the same user out of
/// its `/proc` files and memory (root can still read them: `token_file`
/// with mode 600 is the stronger choice). Call it before any thread other
/// than the caller reads the environment.
pub fn capture_env_tokens(sources: &[SourceConfig]) {
    let names: Vec<&str> = sources
        .iter()
        .filter_map(|s| match &s.credential {
            Credential::Env(v) => Some(v.as_str()),
            _ => None,
        })
        .collect();
    let has_secret = sources
        .iter()
        .any(|s| !matches!(s.credential, Credential::None));
    if has_secret {
        #[cfg(target_os = "linux")]
        if let Err(e) =
            rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)
        {
            tracing::warn!("cannot mark the process non-dumpable: {e}");
        }
    }
    let map = CAPTURED.get_or_init(Default::default);
    let Ok(mut map) = map.lock() else { return };
    for name in names {
        if map.contains_key(name) {
            continue;
        }
        // Empty or unreadable values stay where they are, for `resolve` to
        // report.
        let Ok(value) = std::env::var(name) else {
            continue;
        };
        if value.trim().is_empty() {
            continue;
        }
        map.insert(name.to_owned(), SecretString::from(value.trim().to_owned()));
        scrub_env_var(name);
    }
}

/// Overwrite a variable's value in the environment block, then remove it.
fn scrub_env_var(name: &str) {
    let Ok(c_name) = std::ffi::CString::new(name) else {
        return;
    };
    // SAFETY: called at start-up before other threads touch the
    // environment (see `capture_env_tokens`). `getenv` returns a pointer to
    // the value inside the environment string it owns; the value is
    // NUL-terminated, and overwriting its bytes (not its length) keeps the
    // block well-formed.
    unsafe {
        let p = libc::getenv(c_name.as_ptr());
        if !p.is_null() {
            let len = libc::strlen(p);
            std::ptr::write_bytes(p, 0, len);
        }
        std::env::remove_var(name);
    }
}

impl Credential {
    /// Read the token. Errors name the variable or file and what to do, never the token.
    pub fn resolve(&self) -> Result<Option<SecretString>, String> {
        match self {
            Credential::None => Ok(None),
            Credential::Env(var)
                if let Some(t) = CAPTURED
                    .get()
                    .and_then(|m| m.lock().ok()?.get(var).cloned()) =>
            {
                Ok(Some(t))
            }
            Credential::Env(var) => match std::env::var(var) {
                Ok(v) if !v.trim().is_empty() => Ok(Some(SecretString::from(v.trim().to_owned()))),
                Ok(_) => Err(format!("token_env: environment variable {var} is empty")),
                Err(std::env::VarError::NotPresent) => Err(format!(
                    "token_env: environment variable {var} is not set (export it before starting mayday)"
                )),
                Err(std::env::VarError::NotUnicode(_)) => Err(format!(
                    "token_env: environment variable {var} is not valid UTF-8"
                )),
            },
            Credential::File(path) => read_token_file(path).map(Some),
        }
    }

    fn rebase(&mut self, dir: &Path) {
        if let Credential::File(p) = self
            && p.is_relative()
        {
            *p = dir.join(&*p);
        }
    }
}

fn read_token_file(path: &Path) -> Result<SecretString, String> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| format!("token_file {shown}: {e}"))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(format!(
                "token_file {shown} is readable by other users (mode {:o}): run `chmod 600 {shown}`",
                mode & 0o777
            ));
        }
    }
    if !meta.is_file() {
        return Err(format!("token_file {shown} is not a regular file"));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("token_file {shown}: {e}"))?;
    let token = text.trim();
    if token.is_empty() {
        return Err(format!("token_file {shown} is empty"));
    }
    Ok(SecretString::from(token.to_owned()))
}

/// Which HTTP status codes an `http` source accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StatusMatch {
    /// Any 2xx.
    Success,
    /// Exact codes or classes (`2xx` is stored as 2).
    Any(Vec<StatusPattern>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
/// One accepted status: a code, or a class (`2xx`).
pub enum StatusPattern {
    /// Exactly this code.
    Code(u16),
    /// Any code of this hundred (`2` for `2xx`).
    Class(u16),
}

impl StatusMatch {
    /// Does this HTTP status count as up?
    pub fn matches(&self, status: u16) -> bool {
        match self {
            StatusMatch::Success => (200..300).contains(&status),
            StatusMatch::Any(pats) => pats.iter().any(|p| match p {
                StatusPattern::Code(c) => *c == status,
                StatusPattern::Class(c) => status / 100 == *c,
            }),
        }
    }
}

/// `http` settings.
#[derive(Clone, Debug)]
pub struct HttpSpec {
    /// The statuses that count as up.
    pub expect: StatusMatch,
    /// Text the body must contain.
    pub body_contains: Option<String>,
    /// A pattern the body must match.
    pub body_regex: Option<regex::Regex>,
    /// Slower than this → degraded.
    pub slow: Option<Duration>,
}

/// Which side of the threshold is bad.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compare {
    /// A value above the threshold is bad.
    Above,
    /// A value below the threshold is bad.
    Below,
}

/// `prometheus` with a `query`: each series beyond the threshold is bad.
#[derive(Clone, Debug, PartialEq)]
pub struct QuerySpec {
    /// The PromQL expression.
    pub expr: String,
    /// The threshold.
    pub threshold: f64,
    /// Which side of it is bad.
    pub compare: Compare,
    /// The state of a series beyond the threshold (down or degraded).
    pub breach: Health,
}

/// The kind and its own settings.
#[derive(Clone, Debug)]
pub enum Spec {
    /// An HTTP health check.
    Http(HttpSpec),
    /// A Statuspage page.
    Statuspage,
    /// Prometheus: firing alerts, or a query.
    Prometheus {
        /// A query to check instead of the firing alerts.
        query: Option<QuerySpec>,
    },
    /// Alertmanager's active alerts.
    Alertmanager {
        /// Matchers alerts must satisfy (`severity=critical`).
        filter: Vec<String>,
    },
    /// Sentry or GlitchTip issues.
    Sentry {
        /// The organization slug.
        org: String,
        /// The project slug.
        project: String,
        /// How far back issues count.
        window: Duration,
    },
    /// UptimeRobot monitors.
    Uptimerobot,
    /// Better Stack monitors.
    Betterstack,
    /// An Uptime Kuma status page.
    UptimeKuma {
        /// The status page's slug.
        slug: String,
    },
    /// Gatus endpoint statuses.
    Gatus,
    /// Healthchecks.io checks.
    Healthchecks,
    /// PagerDuty pages.
    Pagerduty(PagerdutySpec),
    /// Loki, for log queries.
    Loki {
        /// The tenant (`X-Scope-OrgID`) of a multi-tenant Loki.
        tenant: Option<String>,
    },
    /// A game day's simulated source (never polled).
    Simulated,
}

/// A PagerDuty source's settings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PagerdutySpec {
    /// The responder's PagerDuty login e-mail: the `From` header that
    /// acknowledging, resolving and notes need.
    pub from: Option<String>,
    /// Pages assigned to these users (default: the token's own user).
    pub user_ids: Vec<String>,
    /// Pages of these services.
    pub service_ids: Vec<String>,
    /// Pages of these teams.
    pub team_ids: Vec<String>,
    /// Starting an incident from a page acknowledges it (default on).
    pub acknowledge: bool,
    /// Notes are also added to the page (default off).
    pub mirror_notes: bool,
}

impl Spec {
    /// The kind these settings belong to.
    pub fn kind(&self) -> Kind {
        match self {
            Spec::Http(_) => Kind::Http,
            Spec::Statuspage => Kind::Statuspage,
            Spec::Prometheus { .. } => Kind::Prometheus,
            Spec::Alertmanager { .. } => Kind::Alertmanager,
            Spec::Sentry { .. } => Kind::Sentry,
            Spec::Uptimerobot => Kind::Uptimerobot,
            Spec::Betterstack => Kind::Betterstack,
            Spec::UptimeKuma { .. } => Kind::UptimeKuma,
            Spec::Gatus => Kind::Gatus,
            Spec::Healthchecks => Kind::Healthchecks,
            Spec::Pagerduty(_) => Kind::Pagerduty,
            Spec::Loki { .. } => Kind::Loki,
            Spec::Simulated => Kind::Simulated,
        }
    }
}

/// One configured status source.
#[derive(Clone, Debug)]
pub struct SourceConfig {
    /// The source's name (runbooks and the log refer to it by name).
    pub name: String,
    /// What it is.
    pub kind: Kind,
    /// How often it is polled.
    pub interval: Duration,
    /// How long one poll may take.
    pub timeout: Duration,
    /// The base URL (a path prefix, as behind a reverse proxy, is kept); for
    /// `http` the URL that is fetched.
    pub url: Url,
    /// Where its token comes from.
    pub credential: Credential,
    /// The kind's own settings.
    pub spec: Spec,
    /// Alerts that say nothing about health (`prometheus`, `alertmanager`):
    /// alert names, or `label=value` matchers. Default: [`HEARTBEATS`].
    pub ignore_alerts: Vec<String>,
    /// The line of the source in the config file.
    pub line: u32,
}

/// Alerts that fire all the time by design (kube-prometheus's dead-man's
/// switch and inhibitor helper, anything with `severity: none`): ignored by
/// default, so they never keep a source degraded.
pub const HEARTBEATS: [&str; 3] = ["Watchdog", "InfoInhibitor", "severity=none"];

impl SourceConfig {
    /// A source with default settings (for tests, benchmarks and code that
    /// builds sources without a config file).
    pub fn new(name: &str, spec: Spec, url: Url) -> SourceConfig {
        SourceConfig {
            name: name.to_owned(),
            kind: spec.kind(),
            interval: DEFAULT_INTERVAL,
            timeout: DEFAULT_TIMEOUT,
            url,
            credential: Credential::None,
            spec,
            ignore_alerts: HEARTBEATS.iter().map(|s| (*s).to_owned()).collect(),
            line: 0,
        }
    }

    /// Make relative `token_file` paths relative to `dir` (the config file's directory).
    pub fn rebase_paths(&mut self, dir: &Path) {
        self.credential.rebase(dir);
    }
}
