//! Game days: rehearsals of a runbook on a simulated outage.
//!
//! A scenario (YAML, see `docs/gamedays.md`) names the runbook and its
//! variables, the simulated status sources with their starting states, a
//! script of what they do (at a time, or in reaction to the responder) and
//! the targets the score card measures against.
//!
//! [`Rehearsal`] is the script engine: pure, driven by the incident state
//! and the time passed in, so the app's `update` stays free of I/O and a
//! rehearsal is deterministic under test.

use crate::incident::review::{Stats, fmt_duration};
use crate::incident::{Incident, ScoreLine, StepStatus};
use crate::runbook::Severity;
use crate::runbook::library::{Library, Sources, bundled};
use crate::status::health::Health;
use crate::util::diag::{Diagnostic, Pos};
use crate::util::yaml::{DurationText, Scalar, pos_of};
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

const DOCS: &str = "docs/gamedays.md";

/// A simulated source and the state it starts in.
#[derive(Clone, Debug, PartialEq)]
pub struct SimSource {
    /// The source's name (as runbooks' verify conditions refer to it).
    pub name: String,
    /// Its state.
    pub state: Health,
    /// Its one-line summary.
    pub summary: String,
}

/// When a script entry fires.
#[derive(Clone, Debug, PartialEq)]
pub enum Trigger {
    /// This long after the rehearsal started.
    At(Duration),
    /// `delay` after the step was done (or entered, or one of its commands
    /// ran — as a dry run, since rehearsals never execute).
    After {
        /// The step's id.
        step: String,
        /// Which happening of the step starts the delay.
        on: StepEvent,
        /// How long after it.
        delay: Duration,
    },
    /// `delay` after the incident was marked mitigated.
    AfterMitigated(Duration),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
/// What happened to a step, for a script trigger.
pub enum StepEvent {
    /// The step was entered.
    Entered,
    /// The step was marked done (or left by a decision).
    Done,
    /// One of the step's commands ran (as a dry run).
    Command,
}

/// What a script entry does.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// When it fires.
    pub trigger: Trigger,
    /// A source changes state (a new name adds a source to the panel).
    pub source: Option<SimSource>,
    /// A surprise, logged as `injected` and shown as a banner.
    pub inject: Option<String>,
    /// Its line in the scenario file.
    pub line: u32,
}

/// The score card's targets.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Targets {
    /// Time to diagnose: the first diagnose step done or decided.
    pub diagnose: Option<Duration>,
    /// Time to mitigate.
    pub mitigate: Option<Duration>,
    /// Time to resolve.
    pub resolve: Option<Duration>,
}

/// A game-day scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// The scenario's id (its file name, or `id:`).
    pub id: String,
    /// Its title.
    pub title: String,
    /// What the rehearsal is about (shown in the picker).
    pub description: String,
    /// Where it came from: a path or `bundled:NAME`.
    pub path: String,
    /// The id of the runbook it rehearses.
    pub runbook: String,
    /// Values for the runbook's variables (not asked).
    pub variables: BTreeMap<String, String>,
    /// The severity it starts with (else the runbook's).
    pub severity: Option<Severity>,
    /// The simulated sources and their starting states.
    pub sources: Vec<SimSource>,
    /// The script, in file order.
    pub script: Vec<Entry>,
    /// The score card's targets.
    pub targets: Targets,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    id: Option<String>,
    title: String,
    #[serde(default)]
    description: String,
    runbook: String,
    #[serde(default)]
    variables: BTreeMap<String, Scalar>,
    severity: Option<Spanned<String>>,
    #[serde(default)]
    sources: Vec<Spanned<RawSource>>,
    #[serde(default)]
    script: Vec<Spanned<RawEntry>>,
    #[serde(default)]
    targets: RawTargets,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    name: String,
    state: String,
    #[serde(default)]
    summary: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    at: Option<DurationText>,
    after: Option<String>,
    on: Option<String>,
    delay: Option<DurationText>,
    source: Option<String>,
    state: Option<String>,
    #[serde(default)]
    summary: String,
    inject: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawTargets {
    diagnose: Option<Spanned<DurationText>>,
    mitigate: Option<Spanned<DurationText>>,
    resolve: Option<Spanned<DurationText>>,
}

fn health(s: &str, pos: Pos) -> Result<Health, Diagnostic> {
    s.parse::<Health>().map_err(|_| {
        Diagnostic::error("invalid-field", pos, format!("`{s}` is not a source state"))
            .with_hint("use up, degraded, down or unknown")
    })
}

use crate::util::yaml::duration as dur;

impl Scenario {
    /// Parse a scenario. `path` names it in messages; the id defaults to the
    /// file stem.
    pub fn parse(text: &str, path: &str) -> Result<Scenario, Diagnostic> {
        let raw: RawScenario = serde_saphyr::from_str(text).map_err(|e| {
            crate::util::yaml::yaml_error(&e, text, 0, "gameday-syntax", DOCS).at_path(path)
        })?;
        Self::from_raw(raw, path).map_err(|d| d.at_path(path))
    }

    fn from_raw(raw: RawScenario, path: &str) -> Result<Scenario, Diagnostic> {
        let stem = Path::new(path.strip_prefix("bundled:").unwrap_or(path))
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let severity = match raw.severity {
            Some(s) => Some(s.value.parse::<Severity>().map_err(|_| {
                Diagnostic::error(
                    "invalid-field",
                    pos_of(&s.referenced),
                    format!("`{}` is not a severity", s.value),
                )
                .with_hint("use critical, high, medium, low or info (or sev1…sev5)")
            })?),
            None => None,
        };
        let mut sources = Vec::new();
        for s in raw.sources {
            let pos = pos_of(&s.referenced);
            sources.push(SimSource {
                state: health(&s.value.state, pos)?,
                name: s.value.name,
                summary: s.value.summary,
            });
        }
        let mut script = Vec::new();
        for e in raw.script {
            let pos = pos_of(&e.referenced);
            let r = e.value;
            let delay = match &r.delay {
                Some(d) => dur(&d.0, pos, "delay")?,
                None => Duration::ZERO,
            };
            let trigger = match (&r.at, &r.after) {
                (Some(at), None) => {
                    if r.on.is_some() || r.delay.is_some() {
                        return Err(Diagnostic::error(
                            "invalid-field",
                            pos,
                            "`on` and `delay` go with `after`, not with `at`",
                        ));
                    }
                    Trigger::At(dur(&at.0, pos, "at")?)
                }
                (None, Some(after)) if after == "mitigated" && r.on.is_none() => {
                    Trigger::AfterMitigated(delay)
                }
                (None, Some(step)) => {
                    let on = match r.on.as_deref().unwrap_or("done") {
                        "done" => StepEvent::Done,
                        "entered" => StepEvent::Entered,
                        "command" => StepEvent::Command,
                        other => {
                            return Err(Diagnostic::error(
                                "invalid-field",
                                pos,
                                format!("`on: {other}` is not a step event"),
                            )
                            .with_hint("use done, entered or command"));
                        }
                    };
                    Trigger::After {
                        step: step.clone(),
                        on,
                        delay,
                    }
                }
                _ => {
                    return Err(Diagnostic::error(
                        "invalid-field",
                        pos,
                        "a script entry needs exactly one of `at` or `after`",
                    )
                    .with_hint(
                        "`at: 2m` (since the start) or `after: STEP_ID` with `delay: 20s`",
                    ));
                }
            };
            let source = match (r.source, r.state) {
                (Some(name), Some(state)) => Some(SimSource {
                    state: health(&state, pos)?,
                    name,
                    summary: r.summary,
                }),
                (None, None) => None,
                _ => {
                    return Err(Diagnostic::error(
                        "invalid-field",
                        pos,
                        "`source` and `state` go together",
                    ));
                }
            };
            if source.is_none() && r.inject.is_none() {
                return Err(Diagnostic::error(
                    "invalid-field",
                    pos,
                    "this script entry does nothing",
                )
                .with_hint("give it `source` and `state`, or `inject`, or both"));
            }
            script.push(Entry {
                trigger,
                source,
                inject: r.inject,
                line: pos.line,
            });
        }
        let target = |t: &Option<Spanned<DurationText>>, what: &str| match t {
            Some(t) => dur(&t.value.0, pos_of(&t.referenced), what).map(Some),
            None => Ok(None),
        };
        let targets = Targets {
            diagnose: target(&raw.targets.diagnose, "targets.diagnose")?,
            mitigate: target(&raw.targets.mitigate, "targets.mitigate")?,
            resolve: target(&raw.targets.resolve, "targets.resolve")?,
        };
        Ok(Scenario {
            id: raw.id.filter(|s| !s.trim().is_empty()).unwrap_or(stem),
            title: raw.title,
            description: raw.description,
            path: path.to_owned(),
            runbook: raw.runbook,
            variables: raw.variables.into_iter().map(|(k, v)| (k, v.0)).collect(),
            severity,
            sources,
            script,
            targets,
        })
    }

    /// Check the scenario against the loaded runbooks: the runbook exists,
    /// the steps it reacts to exist, sources are declared.
    pub fn check(&self, library: &Library) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let at = |line: u32, code, msg: String| {
            Diagnostic::error(code, Pos::new(line, 1), msg).at_path(&self.path)
        };
        let Some(rb) = library.get(&self.runbook) else {
            out.push(
                at(
                    1,
                    "unknown-runbook",
                    format!("no runbook has the id `{}`", self.runbook),
                )
                .with_hint("`mayday list` shows the runbook ids"),
            );
            return out;
        };
        for e in &self.script {
            if let Trigger::After { step, .. } = &e.trigger
                && rb.step_index(step).is_none()
            {
                out.push(
                    at(
                        e.line,
                        "unknown-step",
                        format!("runbook `{}` has no step `{step}`", rb.id),
                    )
                    .with_hint(format!(
                        "steps: {}",
                        rb.steps
                            .iter()
                            .map(|s| s.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                );
            }
        }
        for v in &rb.variables {
            if v.required && v.default.is_none() && !self.variables.contains_key(&v.name) {
                out.push(
                    at(
                        1,
                        "missing-variable",
                        format!(
                            "the runbook needs `{}`; the rehearsal will ask for it",
                            v.name
                        ),
                    )
                    .warn(),
                );
            }
        }
        out
    }
}

trait Warn {
    fn warn(self) -> Self;
}

impl Warn for Diagnostic {
    fn warn(mut self) -> Self {
        self.severity = crate::util::diag::Level::Warning;
        self
    }
}

/// Every scenario: from `gamedays/` inside each runbook directory, then the
/// bundled ones (the first with an id wins). Broken files are reported,
/// never fatal.
pub fn load_all(sources: &Sources) -> (Vec<Arc<Scenario>>, Vec<Diagnostic>) {
    let mut found: Vec<Arc<Scenario>> = Vec::new();
    let mut problems = Vec::new();
    let add = |text: &str,
               path: &str,
               found: &mut Vec<Arc<Scenario>>,
               problems: &mut Vec<Diagnostic>| match Scenario::parse(text, path) {
        Ok(s) => {
            if found.iter().any(|f| f.id == s.id) {
                problems.push(
                    Diagnostic::warning(
                        "duplicate-id",
                        Pos::new(1, 1),
                        format!("another game day already has the id `{}`", s.id),
                    )
                    .at_path(path),
                );
            } else {
                found.push(Arc::new(s));
            }
        }
        Err(d) => problems.push(d),
    };
    let dirs: Vec<PathBuf> = sources
        .extra_dirs
        .iter()
        .cloned()
        .chain(sources.user_dir.clone())
        .map(|d| d.join("gamedays"))
        .collect();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
            .collect();
        paths.sort();
        for p in paths {
            let shown = p.display().to_string();
            match std::fs::read(&p) {
                Ok(bytes) => add(
                    &String::from_utf8_lossy(&bytes),
                    &shown,
                    &mut found,
                    &mut problems,
                ),
                Err(e) => problems.push(
                    Diagnostic::error("io", Pos::new(0, 0), format!("cannot read: {e}"))
                        .at_path(&shown),
                ),
            }
        }
    }
    if sources.bundled {
        for (name, bytes) in bundled::GAMEDAYS {
            add(
                &String::from_utf8_lossy(bytes),
                &format!("bundled:gamedays/{name}"),
                &mut found,
                &mut problems,
            );
        }
    }
    (found, problems)
}

/// Load one scenario file given by path.
pub fn load_file(path: &Path) -> Result<Scenario, Diagnostic> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| {
        Diagnostic::error("io", Pos::new(0, 0), format!("cannot read: {e}")).at_path(&shown)
    })?;
    Scenario::parse(&String::from_utf8_lossy(&bytes), &shown)
}

/// What the script does now.
#[derive(Clone, Debug, PartialEq)]
pub enum Happening {
    /// A simulated source changes state.
    Source(SimSource),
    /// A surprise, logged as `injected`.
    Inject(String),
}

/// A running rehearsal: the scenario and which script entries have fired.
#[derive(Clone, Debug, PartialEq)]
pub struct Rehearsal {
    /// The scenario.
    pub scenario: Arc<Scenario>,
    fired: Vec<bool>,
    /// The starting states have been put on the board.
    started: bool,
    /// Source states of entries that fired before a resume.
    restore: Vec<SimSource>,
}

impl Rehearsal {
    /// A rehearsal of this scenario, nothing fired yet.
    pub fn new(scenario: Arc<Scenario>) -> Rehearsal {
        let fired = vec![false; scenario.script.len()];
        Rehearsal {
            scenario,
            fired,
            started: false,
            restore: Vec::new(),
        }
    }

    /// For a resumed rehearsal: surprises already in the log are not
    /// injected again (their source changes are put back on the board).
    /// Other entries fire again when due; a source state is only logged
    /// when it differs from what the log says.
    pub fn resume(scenario: Arc<Scenario>, injected: &[String]) -> Rehearsal {
        let mut r = Rehearsal::new(scenario);
        for (i, e) in r.scenario.script.iter().enumerate() {
            if let Some(text) = &e.inject
                && injected.contains(text)
            {
                r.fired[i] = true;
                r.restore.extend(e.source.clone());
            }
        }
        r
    }

    /// Everything due by `now`, in script order. Each entry fires once.
    pub fn due(&mut self, inc: &Incident, now: jiff::Timestamp) -> Vec<Happening> {
        let mut out = Vec::new();
        if !self.started {
            self.started = true;
            out.extend(self.scenario.sources.iter().cloned().map(Happening::Source));
            out.extend(self.restore.drain(..).map(Happening::Source));
        }
        let since = |d: Duration, from: jiff::Timestamp| {
            let d = jiff::SignedDuration::try_from(d).unwrap_or(jiff::SignedDuration::MAX);
            now.duration_since(from) >= d
        };
        for (i, e) in self.scenario.script.iter().enumerate() {
            if self.fired[i] {
                continue;
            }
            let fire = match &e.trigger {
                Trigger::At(d) => since(*d, inc.started_at),
                Trigger::AfterMitigated(d) => inc.mitigated_at.is_some_and(|t| since(*d, t)),
                Trigger::After { step, on, delay } => {
                    let p = inc.progress(step);
                    let when = match on {
                        StepEvent::Entered => p.and_then(|p| p.first_entered),
                        StepEvent::Done => p
                            .filter(|p| p.status == StepStatus::Done)
                            .and_then(|p| p.finished_at),
                        StepEvent::Command => inc
                            .commands
                            .iter()
                            .filter(|c| c.step == *step)
                            .find_map(|c| c.finished.as_ref().map(|f| f.at)),
                    };
                    when.is_some_and(|t| since(*delay, t))
                }
            };
            if fire {
                self.fired[i] = true;
                if let Some(text) = &e.inject {
                    out.push(Happening::Inject(text.clone()));
                }
                if let Some(s) = &e.source {
                    out.push(Happening::Source(s.clone()));
                }
            }
        }
        out
    }
}

/// The score card of a rehearsal.
pub fn score(scenario: &Scenario, stats: &Stats, runbook_steps: usize) -> Vec<ScoreLine> {
    let timed = |label: &str, got: Option<jiff::SignedDuration>, target: Option<Duration>| {
        let target_d = target.and_then(|t| jiff::SignedDuration::try_from(t).ok());
        ScoreLine {
            label: label.into(),
            value: got.map_or("not reached".into(), fmt_duration),
            target: target_d.map(|t| format!("≤ {}", fmt_duration(t))),
            met: target_d.map(|t| got.is_some_and(|g| g <= t)),
        }
    };
    let plain = |label: &str, value: String| ScoreLine {
        label: label.into(),
        value,
        target: None,
        met: None,
    };
    let c = stats.counts;
    vec![
        timed(
            "time to diagnose",
            stats.to_diagnose,
            scenario.targets.diagnose,
        ),
        timed(
            "time to mitigate",
            stats.to_mitigate,
            scenario.targets.mitigate,
        ),
        timed(
            "time to resolve",
            stats.to_resolve,
            scenario.targets.resolve,
        ),
        plain("steps done", format!("{} of {runbook_steps}", c.steps_done)),
        plain("steps skipped", c.steps_skipped.to_string()),
        plain("verify conditions met", c.verify_met.to_string()),
        plain("notes taken", c.notes.to_string()),
        plain("commands rehearsed (dry run)", c.dry_runs.to_string()),
        plain("surprises injected", c.injected.to_string()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCENARIO: &str = r#"
title: Primary down
runbook: database-down
variables: { cluster: orders-db, db_port: 5432 }
severity: critical
sources:
  - { name: orders-db, state: down, summary: connection refused }
script:
  - at: 30s
    source: api
    state: degraded
  - after: failover
    delay: 20s
    source: orders-db
    state: up
  - after: mitigated
    delay: 1m
    inject: a second alert fires
targets: { diagnose: 2m, mitigate: 10m }
"#;

    #[test]
    fn parses_a_scenario() {
        let s = Scenario::parse(SCENARIO, "gamedays/db.yaml").unwrap();
        assert_eq!(s.id, "db");
        assert_eq!(s.variables["db_port"], "5432");
        assert_eq!(s.severity, Some(Severity::Critical));
        assert_eq!(s.script.len(), 3);
        assert_eq!(
            s.script[1].trigger,
            Trigger::After {
                step: "failover".into(),
                on: StepEvent::Done,
                delay: Duration::from_secs(20)
            }
        );
        assert_eq!(
            s.script[2].trigger,
            Trigger::AfterMitigated(Duration::from_secs(60))
        );
        assert_eq!(s.targets.resolve, None);
    }

    #[test]
    fn bad_scenarios_say_where_and_what() {
        let e = Scenario::parse(
            "title: x\nrunbook: y\nscript:\n  - at: 1m\n    after: a\n    inject: z\n",
            "g.yaml",
        )
        .unwrap_err();
        assert_eq!((e.code, e.line), ("invalid-field", 4), "{e}");
        let e = Scenario::parse(
            "title: x\nrunbook: y\nsources:\n  - {name: a, state: sideways}\n",
            "g.yaml",
        )
        .unwrap_err();
        assert!(e.message.contains("sideways"), "{e}");
        assert_eq!(e.line, 4);
        let e = Scenario::parse("title: x\nrunbok: y\n", "g.yaml").unwrap_err();
        assert_eq!(e.code, "unknown-field");
        assert_eq!(e.path, "g.yaml");
    }

    #[test]
    fn every_bundled_scenario_parses_and_checks() {
        let lib = Library::load(&Sources {
            bundled: true,
            ..Sources::default()
        });
        let (all, problems) = load_all(&Sources {
            bundled: true,
            ..Sources::default()
        });
        assert!(problems.is_empty(), "{problems:?}");
        assert!(all.len() >= 3);
        for s in &all {
            let errs: Vec<_> = s.check(&lib).into_iter().filter(|d| d.is_error()).collect();
            assert!(errs.is_empty(), "{}: {errs:?}", s.id);
        }
        for rb in ["database-down", "rate-limited-api", "bad-deploy"] {
            assert!(all.iter().any(|s| s.runbook == rb), "no game day for {rb}");
        }
    }
}
