//! The config file (`--config FILE`, `MAYDAY_CONFIG`, default
//! `<config dir>/mayday/config.yaml`). Every key is optional; unknown keys
//! and bad values are errors with the file, line and a hint.

use crate::util::diag::{Diagnostic, Pos};
use crate::util::yaml::{DurationText, OneOrMany, pos_of};
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The documentation every config error points to.
pub const DOCS: &str = "docs/config.example.yaml";

/// A config problem: where, what, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub Diagnostic);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for ConfigError {}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    theme: Option<String>,
    responder: Option<String>,
    status_update_every: Option<Spanned<DurationText>>,
    #[serde(default)]
    alert_severity: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    keys: BTreeMap<String, Spanned<OneOrMany>>,
    #[serde(default)]
    commands: Option<RawCommands>,
    /// Status sources, checked by `crate::status::source`.
    #[serde(default, deserialize_with = "null_is_empty")]
    sources: Vec<Spanned<crate::status::source::RawSource>>,
    /// The shared timeline, checked by `crate::sync::config`.
    sync: Option<Spanned<crate::sync::config::RawSync>>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct RawCommands {
    default_timeout: Option<Spanned<DurationText>>,
    shell: Option<String>,
}

/// The loaded configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it came from, if any.
    pub path: Option<PathBuf>,
    /// The theme to use (`--theme` overrides it).
    pub theme: Option<String>,
    /// The default responder handle (else the OS user).
    pub responder: Option<String>,
    /// How often the "status update due" reminder comes round.
    pub status_update_every: Option<Duration>,
    /// `alert_severity`: an alert's `severity` label value → the incident's
    /// severity, over the defaults (critical → SEV1 … info → SEV4).
    pub alert_severity: BTreeMap<String, crate::runbook::Severity>,
    /// Key rebindings: action name → keys, with the line they are on.
    pub keys: BTreeMap<String, (Vec<String>, Pos)>,
    /// Default timeout for runbook commands that name none.
    pub command_timeout: Duration,
    /// The shell runnable commands run with (`sh` by default).
    pub shell: String,
    /// Live-status sources, in file order (names are unique).
    pub sources: Vec<crate::status::SourceConfig>,
    /// Sources left out because they do not read (lenient loading only).
    pub skipped_sources: Vec<Diagnostic>,
    /// Where the shared timeline lives (`sync:`); none: nothing is shared.
    pub sync: Option<crate::sync::SyncConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            path: None,
            theme: None,
            responder: None,
            status_update_every: None,
            alert_severity: BTreeMap::new(),
            keys: BTreeMap::new(),
            command_timeout: Duration::from_secs(5 * 60),
            shell: "sh".to_owned(),
            sources: Vec::new(),
            skipped_sources: Vec::new(),
            sync: None,
        }
    }
}

impl Config {
    /// Load the config: the explicit file (which must exist), else the
    /// default file if it exists, else defaults.
    pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
        Config::load_with(explicit, false)
    }

    /// [`Config::load`]; `lenient`: a source that does not read is left out
    /// and reported in [`Config::skipped_sources`] instead of failing the
    /// whole file (the TUI: one bad source must not take the others away).
    pub fn load_with(explicit: Option<&Path>, lenient: bool) -> Result<Config, ConfigError> {
        let (path, must_exist) = match explicit {
            Some(p) => (Some(p.to_path_buf()), true),
            None => (crate::util::paths::default_config_file(), false),
        };
        let Some(path) = path else {
            return Ok(Config::default());
        };
        let display = path.display().to_string();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => {
                return Ok(Config::default());
            }
            Err(e) => {
                return Err(ConfigError(
                    Diagnostic::error(
                        "io",
                        Pos::new(0, 0),
                        format!("cannot read the config file: {e}"),
                    )
                    .with_hint("check the path given with --config or MAYDAY_CONFIG")
                    .at_path(&display),
                ));
            }
        };
        let mut cfg =
            Config::parse_with(&text, lenient).map_err(|d| ConfigError(d.at_path(&display)))?;
        for d in &mut cfg.skipped_sources {
            display.clone_into(&mut d.path);
        }
        if let Some(dir) = path.parent() {
            for s in &mut cfg.sources {
                s.rebase_paths(dir);
            }
            if let Some(s) = &mut cfg.sync {
                s.rebase_paths(dir);
            }
        }
        cfg.path = Some(path);
        Ok(cfg)
    }

    /// Parse config text. Errors carry no path yet.
    pub fn parse(text: &str) -> Result<Config, Diagnostic> {
        Config::parse_with(text, false)
    }

    /// [`Config::parse`]; `lenient` as for [`Config::load_with`].
    pub fn parse_with(text: &str, lenient: bool) -> Result<Config, Diagnostic> {
        let mut text = std::borrow::Cow::Borrowed(text);
        // Leniently, a source whose fields do not even deserialize (an
        // unknown field, a list where a string belongs) is blanked out and
        // the file read again: the other sources still poll.
        let mut unreadable = Vec::new();
        let raw: RawConfig = loop {
            match serde_saphyr::from_str::<Option<RawConfig>>(&text) {
                Ok(r) => break r.unwrap_or_default(),
                Err(e) => {
                    let d = crate::util::yaml::yaml_error(&e, &text, 0, "config-syntax", DOCS);
                    let entry = lenient.then(|| source_entry_lines(&text, d.line)).flatten();
                    let Some(lines) = entry else {
                        return Err(d);
                    };
                    text = std::borrow::Cow::Owned(blank_lines(&text, lines));
                    unreadable.push(d);
                }
            }
        };
        let mut cfg = Config {
            theme: raw.theme,
            responder: raw.responder.filter(|r| !r.trim().is_empty()),
            ..Config::default()
        };
        if let Some(d) = raw.status_update_every {
            let every = duration(&d, "status_update_every")?;
            cfg.status_update_every = Some(every);
            if every.is_zero() {
                return Err(Diagnostic::error(
                    "invalid-field",
                    pos_of(&d.referenced),
                    "status_update_every must be more than 0",
                )
                .with_hint("write e.g. `status_update_every: 30m`"));
            }
        }
        for (label, sev) in raw.alert_severity {
            let Ok(s) = sev.value.trim().parse::<crate::runbook::Severity>() else {
                return Err(Diagnostic::error(
                    "invalid-field",
                    pos_of(&sev.referenced),
                    format!("alert_severity: `{}` is not a severity", sev.value),
                )
                .with_hint("write critical, high, medium or low (or sev1–sev4)"));
            };
            cfg.alert_severity
                .insert(label.trim().to_ascii_lowercase(), s);
        }
        if let Some(c) = raw.commands {
            if let Some(t) = c.default_timeout {
                cfg.command_timeout = duration(&t, "commands.default_timeout")?;
            }
            if let Some(shell) = c.shell.filter(|s| !s.trim().is_empty()) {
                cfg.shell = shell;
            }
        }
        if lenient {
            let (good, bad) = crate::status::source::parse_sources_lenient(raw.sources);
            cfg.sources = good;
            cfg.skipped_sources = unreadable;
            cfg.skipped_sources.extend(bad);
            cfg.skipped_sources.sort_by_key(|d| d.line);
        } else {
            cfg.sources = crate::status::source::parse_sources(raw.sources)?;
        }
        if let Some(sync) = raw.sync {
            cfg.sync = Some(crate::sync::config::parse(sync)?);
        }
        cfg.keys = raw
            .keys
            .into_iter()
            .map(|(k, v)| (k, (v.value.0, pos_of(&v.referenced))))
            .collect();
        Ok(cfg)
    }
}

fn duration(d: &Spanned<DurationText>, what: &str) -> Result<Duration, Diagnostic> {
    crate::util::yaml::spanned_duration(d, what)
}

/// Just the shape of the file: where each entry of `sources:` starts. Reads
/// any content, so it fails only on a YAML syntax error.
#[derive(Deserialize, Default)]
struct Outline {
    #[serde(default, deserialize_with = "null_is_empty")]
    sources: Vec<Spanned<serde::de::IgnoredAny>>,
}

fn null_is_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// The lines (1-based, inclusive) of the `sources:` entry that holds
/// `line`, if one does.
fn source_entry_lines(text: &str, line: u32) -> Option<(u32, u32)> {
    let outline = serde_saphyr::from_str::<Option<Outline>>(text).ok()??;
    let starts: Vec<(u32, u32)> = outline
        .sources
        .iter()
        .map(|s| {
            let p = pos_of(&s.referenced);
            (p.line, p.column)
        })
        .collect();
    let lines: Vec<&str> = text.lines().collect();
    let last_line = u32::try_from(lines.len()).unwrap_or(u32::MAX);
    starts.iter().enumerate().find_map(|(i, &(start, column))| {
        let next = starts
            .get(i + 1)
            .map_or(last_line, |&(l, _)| l.saturating_sub(1));
        // The entry also ends where the indentation drops below its keys
        // (the next top-level key after the list).
        let indent = column.saturating_sub(1) as usize;
        let end = (start + 1..=next)
            .find(|&l| {
                let t = lines.get(l as usize - 1).copied().unwrap_or("");
                let body = t.trim_start();
                !body.is_empty() && !body.starts_with('#') && t.len() - body.len() < indent
            })
            .map_or(next, |l| l - 1);
        (start..=end.max(start))
            .contains(&line)
            .then_some((start, end.max(start)))
    })
}

/// `text` with the lines `from..=to` (1-based) emptied: line numbers of
/// everything else stay as the user sees them in the file.
fn blank_lines(text: &str, (from, to): (u32, u32)) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, l) in text.split_inclusive('\n').enumerate() {
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        if (from..=to).contains(&n) {
            if l.ends_with('\n') {
                out.push('\n');
            }
        } else {
            out.push_str(l);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alert_severity_maps_label_values() {
        let c = Config::parse("alert_severity:\n  warning: sev2\n  Page: critical\n").unwrap();
        assert_eq!(
            c.alert_severity.get("warning"),
            Some(&crate::runbook::Severity::High)
        );
        assert_eq!(
            c.alert_severity.get("page"),
            Some(&crate::runbook::Severity::Critical)
        );
        let e = Config::parse("theme: dark\nalert_severity:\n  warning: urgent\n").unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        assert!(e.message.contains("`urgent` is not a severity"), "{e}");
    }

    #[test]
    fn empty_and_defaults() {
        let c = Config::parse("").unwrap();
        assert_eq!(c.status_update_every, None, "follows severity");
        assert_eq!(c.command_timeout, Duration::from_secs(300));
    }

    #[test]
    fn values_and_errors_with_lines() {
        let c =
            Config::parse("theme: light\nstatus_update_every: 15m\nkeys:\n  quit: [q, ctrl-q]\n")
                .unwrap();
        assert_eq!(c.theme.as_deref(), Some("light"));
        assert_eq!(c.status_update_every, Some(Duration::from_secs(900)));
        assert_eq!(c.keys["quit"].0, ["q", "ctrl-q"]);
        let e = Config::parse("theme: light\nthem: dark\n").unwrap_err();
        assert_eq!((e.code, e.line), ("unknown-field", 2));
        let e = Config::parse("status_update_every: soon\n").unwrap_err();
        assert_eq!((e.code, e.line), ("invalid-duration", 1));
        let e = Config::parse("theme: [\n").unwrap_err();
        assert_eq!(e.code, "config-syntax");
    }
}
