//! The in-memory runbook model, shared by both file formats.

use crate::status::health::Health;
use crate::util::diag::Pos;
use serde::Serialize;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// Which file format a runbook was written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Markdown with optional YAML front matter (`.md`, `.markdown`).
    Markdown,
    /// The structural YAML format (`.yaml`, `.yml`).
    Yaml,
}

impl Format {
    /// The format of a file, from its extension.
    pub fn from_path(path: &str) -> Option<Format> {
        let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase())?;
        match ext.as_str() {
            "md" | "markdown" => Some(Format::Markdown),
            "yaml" | "yml" => Some(Format::Yaml),
            _ => None,
        }
    }
}

/// Where a runbook came from. Bundled and user runbooks are trusted; extra
/// directories (`--runbooks`) are not until the user trusts the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// A directory given with `--runbooks` or `MAYDAY_RUNBOOKS`.
    Extra,
    /// The user's runbook directory.
    User,
    /// Embedded in the binary.
    Bundled,
}

/// How urgent an incident is.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// SEV1: customers cannot use the product.
    Critical,
    /// SEV2: a major function is down or badly degraded.
    High,
    /// SEV3: a minor function, or a workaround exists.
    Medium,
    /// SEV4: cosmetic, or no customer impact.
    Low,
}

impl Severity {
    /// The severity an alert's `severity` label means: `critical` → SEV1,
    /// `error`/`high` → SEV2, `warning` → SEV3, `info`/`low` → SEV4 (and
    /// `page`, `sevN`, `pN` alike). Unknown values (`none`) mean none.
    pub fn from_alert_label(label: &str) -> Option<Severity> {
        match label.trim().to_ascii_lowercase().as_str() {
            "critical" | "page" | "emergency" | "sev1" | "p1" => Some(Severity::Critical),
            "error" | "high" | "major" | "sev2" | "p2" => Some(Severity::High),
            "warning" | "warn" | "medium" | "sev3" | "p3" => Some(Severity::Medium),
            "info" | "low" | "minor" | "sev4" | "p4" => Some(Severity::Low),
            _ => None,
        }
    }

    /// Every severity, most severe first.
    pub const ALL: [Severity; 4] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ];

    /// The name as written in runbooks and the config (`critical`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }

    /// `SEV1` … `SEV4`.
    pub fn sev(self) -> &'static str {
        match self {
            Severity::Critical => "SEV1",
            Severity::High => "SEV2",
            Severity::Medium => "SEV3",
            Severity::Low => "SEV4",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm: String = s
            .trim()
            .to_ascii_lowercase()
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | ' '))
            .collect();
        Ok(match norm.as_str() {
            "critical" | "sev1" | "p1" | "1" | "sev0" | "p0" | "page" | "emergency" => {
                Severity::Critical
            }
            "high" | "sev2" | "p2" | "2" | "major" | "error" => Severity::High,
            "medium" | "sev3" | "p3" | "3" | "moderate" | "warning" | "minor" => Severity::Medium,
            "low" | "sev4" | "p4" | "4" | "sev5" | "p5" | "5" | "info" | "informational" => {
                Severity::Low
            }
            _ => {
                return Err(format!(
                    "`{}` is not a severity: use `critical`, `high`, `medium` or `low` (or sev1–sev4)",
                    s.trim()
                ));
            }
        })
    }
}

/// What a step is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepKind {
    /// Background to read; changes nothing.
    Info,
    /// Find out what is wrong.
    Diagnose,
    /// Stop the impact.
    Mitigate,
    /// Undo a change (a deploy, a config push).
    Rollback,
    /// Check that it is fixed.
    Verify,
    /// Tell people: stakeholders, the status page.
    Communicate,
}

impl StepKind {
    /// Every kind, in the order a runbook usually goes.
    pub const ALL: [StepKind; 6] = [
        StepKind::Info,
        StepKind::Diagnose,
        StepKind::Mitigate,
        StepKind::Rollback,
        StepKind::Verify,
        StepKind::Communicate,
    ];

    /// The name as written in runbooks (`diagnose`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::Info => "info",
            StepKind::Diagnose => "diagnose",
            StepKind::Mitigate => "mitigate",
            StepKind::Rollback => "rollback",
            StepKind::Verify => "verify",
            StepKind::Communicate => "communicate",
        }
    }

    /// Steps that change production.
    pub fn changes_things(self) -> bool {
        matches!(self, StepKind::Mitigate | StepKind::Rollback)
    }

    /// Infer the kind from a heading, the way plain runbooks name their
    /// sections: the first word that names a kind wins.
    pub fn infer(heading: &str) -> StepKind {
        let lower = heading.to_lowercase();
        let mut words = lower
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .peekable();
        while let Some(word) = words.next() {
            let next = words.peek().copied().unwrap_or("");
            if let Some(kind) = phrase_kind(word, next).or_else(|| word_kind(word)) {
                return kind;
            }
        }
        StepKind::Info
    }
}

fn phrase_kind(word: &str, next: &str) -> Option<StepKind> {
    match (word, next) {
        ("fail", "over") => Some(StepKind::Mitigate),
        ("roll", "back") => Some(StepKind::Rollback),
        ("status", "update" | "updates") => Some(StepKind::Communicate),
        _ => None,
    }
}

fn word_kind(word: &str) -> Option<StepKind> {
    const PREFIXES: &[(&str, StepKind)] = &[
        ("meaning", StepKind::Info),
        ("impact", StepKind::Info),
        ("overview", StepKind::Info),
        ("summary", StepKind::Info),
        ("context", StepKind::Info),
        ("background", StepKind::Info),
        ("symptom", StepKind::Info),
        ("description", StepKind::Info),
        ("diagnos", StepKind::Diagnose),
        ("investigat", StepKind::Diagnose),
        ("triag", StepKind::Diagnose),
        ("identif", StepKind::Diagnose),
        ("troubleshoot", StepKind::Diagnose),
        ("debug", StepKind::Diagnose),
        ("inspect", StepKind::Diagnose),
        ("mitigat", StepKind::Mitigate),
        ("remediat", StepKind::Mitigate),
        ("workaround", StepKind::Mitigate),
        ("restart", StepKind::Mitigate),
        ("failover", StepKind::Mitigate),
        ("recover", StepKind::Mitigate),
        ("resolution", StepKind::Mitigate),
        ("rollback", StepKind::Rollback),
        ("revert", StepKind::Rollback),
        ("downgrad", StepKind::Rollback),
        ("verif", StepKind::Verify),
        ("validat", StepKind::Verify),
        ("escalat", StepKind::Communicate),
        ("communicat", StepKind::Communicate),
        ("notif", StepKind::Communicate),
        ("announc", StepKind::Communicate),
    ];
    const EXACT: &[(&str, StepKind)] = &[
        ("check", StepKind::Diagnose),
        ("checks", StepKind::Diagnose),
        ("fix", StepKind::Mitigate),
        ("scale", StepKind::Mitigate),
        ("drain", StepKind::Mitigate),
        ("undo", StepKind::Rollback),
        ("confirm", StepKind::Verify),
        ("test", StepKind::Verify),
        ("contact", StepKind::Communicate),
    ];
    EXACT
        .iter()
        .find(|(w, _)| *w == word)
        .or_else(|| PREFIXES.iter().find(|(p, _)| word.starts_with(p)))
        .map(|(_, k)| *k)
}

impl fmt::Display for StepKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for StepKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        StepKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "`{s}` is not a step kind: use info, diagnose, mitigate, rollback, verify or communicate"
                )
            })
    }
}

/// How a runnable command must be confirmed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confirm {
    /// Runs without asking.
    None,
    /// Asks y/n.
    Confirm,
    /// Asks for a phrase to be typed (the incident's default, or the command's `phrase`).
    Typed,
}

impl Confirm {
    /// The name as written in runbooks (`none`, `confirm`, `typed`).
    pub fn as_str(self) -> &'static str {
        match self {
            Confirm::None => "none",
            Confirm::Confirm => "confirm",
            Confirm::Typed => "typed",
        }
    }
}

impl FromStr for Confirm {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "none" => Ok(Confirm::None),
            "confirm" | "yes" | "y/n" => Ok(Confirm::Confirm),
            "typed" | "type" => Ok(Confirm::Typed),
            other => Err(format!(
                "`{other}` is not a confirmation level: use none, confirm or typed"
            )),
        }
    }
}

/// A variable asked for when an incident starts and used as `{{name}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Variable {
    /// The name used as `{{name}}`.
    pub name: String,
    /// What the start form asks (else the name).
    pub prompt: Option<String>,
    /// The value filled in on the start form.
    pub default: Option<String>,
    /// The incident cannot start without a value.
    pub required: bool,
    /// `ask: on_use`: not on the start form; asked when a command that
    /// uses it is about to run with no value.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub ask_on_use: bool,
    /// `label: NAME`: started from an alert, the variable takes the value
    /// of the alert's label `NAME`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(skip)]
    /// Where it is declared.
    pub pos: Pos,
}

/// A fenced code block / YAML command.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Command {
    /// The fence's language (`sh`, `sql`, `text`), lower-cased.
    pub language: Option<String>,
    /// The command text, `{{variables}}` not yet substituted.
    pub text: String,
    /// Marked runnable (`{run}` or `run: true`); anything else is display-only.
    pub runnable: bool,
    /// How it asks before it runs.
    pub confirm: Confirm,
    /// The confirmation level was written out (not defaulted).
    #[serde(skip)]
    pub confirm_explicit: bool,
    #[serde(with = "opt_secs")]
    /// Its own timeout (else the config's default).
    pub timeout: Option<Duration>,
    /// It changes things (`dangerous`): typed confirmation by default in changing steps.
    pub dangerous: bool,
    /// The phrase to type for `confirm=typed`, if not the runbook's default.
    pub phrase: Option<String>,
    /// The directory to run it in (may use `{{variables}}`).
    pub cwd: Option<String>,
    /// Exit codes that mean success for the block (`ok_exit=0,1`); empty
    /// means just 0.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ok_exit: Vec<i32>,
    /// A query block's source (`promql source=NAME`): the configured source
    /// it asks; else the runbook's `query_source`, else the first that fits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// A query block's chart window (`window=1h`; default 30 minutes).
    #[serde(with = "opt_secs", skip_serializing_if = "Option::is_none")]
    pub window: Option<Duration>,
    #[serde(skip)]
    /// Where it is in the file.
    pub pos: Pos,
}

/// Parse `0,1` (or `0 1`) into exit codes.
pub fn parse_exit_codes(s: &str) -> Result<Vec<i32>, String> {
    let codes: Result<Vec<i32>, _> = s
        .split([',', ' '])
        .filter(|p| !p.trim().is_empty())
        .map(|p| p.trim().parse::<i32>())
        .collect();
    match codes {
        Ok(c) if !c.is_empty() && c.iter().all(|c| (0..=255).contains(c)) => Ok(c),
        _ => Err(format!(
            "`{s}` is not a list of exit codes (0–255), such as `0,1`"
        )),
    }
}

/// The languages that can run (through `sh -c`).
pub fn is_shell_language(lang: Option<&str>) -> bool {
    matches!(
        lang.map(str::to_ascii_lowercase).as_deref(),
        None | Some("sh" | "bash" | "shell" | "zsh")
    )
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
/// A task-list item of a step (`- [ ] drain the node`).
pub struct ChecklistItem {
    /// The item's text.
    pub text: String,
    /// Ticked in the file itself.
    pub checked: bool,
    #[serde(skip)]
    /// Where it is in the file.
    pub pos: Pos,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
/// One answer to a decision, and the step it leads to.
pub struct Choice {
    /// The answer as shown.
    pub label: String,
    /// The id of the step this choice leads to (empty when the choice has no
    /// step link; the linter reports that).
    pub goto: String,
    #[serde(skip)]
    /// Where it is in the file.
    pub pos: Pos,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
/// A question whose answer picks the next step (`**Decision:**`).
pub struct Decision {
    /// The question.
    pub question: String,
    /// The answers, in order (keys 1–9).
    pub choices: Vec<Choice>,
    #[serde(skip)]
    /// Where it is in the file.
    pub pos: Pos,
}

/// "source `api` is `up` for 2m".
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VerifyCondition {
    /// The status source's name in the config.
    pub source: String,
    /// The state it must be in.
    pub state: Health,
    #[serde(rename = "for", with = "secs")]
    /// How long it must have been in that state.
    pub for_: Duration,
    #[serde(skip)]
    /// Where it is in the file.
    pub pos: Pos,
}

impl fmt::Display for VerifyCondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is `{}`", self.source, self.state)?;
        if !self.for_.is_zero() {
            write!(f, " for {}", crate::util::duration::format(self.for_))?;
        }
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
/// A wait in a step (`**Wait:** 5m for the pool to drain`).
pub struct Wait {
    #[serde(with = "secs")]
    /// How long.
    pub duration: Duration,
    /// What for.
    pub reason: String,
    #[serde(skip)]
    /// Where it is in the file.
    pub pos: Pos,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
/// A link in the runbook (to a dashboard, a doc, another step).
pub struct Link {
    /// The link text.
    pub text: String,
    /// Where it points.
    pub url: String,
    #[serde(skip)]
    /// Where it is in the file.
    pub pos: Pos,
}

impl Link {
    /// The step id a `#id` link points at.
    pub fn step_target(&self) -> Option<&str> {
        self.url.strip_prefix('#').filter(|s| !s.is_empty())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
/// One step of a runbook: a `##` section, or an entry of YAML `steps:`.
pub struct Step {
    /// Its id: declared, or the heading's slug.
    pub id: String,
    /// Its title.
    pub title: String,
    /// What kind of step it is (declared, or inferred from the words).
    pub kind: StepKind,
    /// The step as Markdown, including its commands, checklist, decisions,
    /// verify conditions and waits in the order they appear. (YAML steps get
    /// an equivalent Markdown body generated from their fields, so the screen
    /// renders both formats the same way.) The k-th fenced code block is
    /// `commands[k]`, the k-th task-list item is `checklist[k]`.
    pub body: String,
    /// Its fenced code blocks, in order.
    pub commands: Vec<Command>,
    /// Its task-list items, in order.
    pub checklist: Vec<ChecklistItem>,
    /// Its decisions, in order.
    pub decisions: Vec<Decision>,
    /// Its verify conditions, in order.
    pub verify: Vec<VerifyCondition>,
    /// Its waits, in order.
    pub waits: Vec<Wait>,
    /// Its links.
    pub links: Vec<Link>,
    #[serde(skip)]
    /// The id was declared (`{#id}` or `id:`), not made from the title.
    pub explicit_id: bool,
    #[serde(skip)]
    /// Where it starts in the file.
    pub pos: Pos,
}

/// A use of `{{name}}` somewhere in the runbook, for the linter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VarUse {
    /// The variable's name.
    pub name: String,
    /// Where it is used.
    pub pos: Pos,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
/// A runbook, loaded from either format.
pub struct Runbook {
    /// Its id: declared, or the file name's slug.
    pub id: String,
    /// Its title (`# Title` or `title:`).
    pub title: String,
    /// One line on what it is for.
    pub summary: Option<String>,
    /// The severity incidents on it start with, unless given.
    pub severity: Option<Severity>,
    /// Free tags, for search.
    pub tags: Vec<String>,
    /// The services it covers, for search.
    pub services: Vec<String>,
    /// Who keeps it up to date.
    pub owner: Option<String>,
    /// Alert names it handles (matched against firing alerts).
    pub alerts: Vec<String>,
    /// Status sources it cares about.
    pub sources: Vec<String>,
    /// The source its query blocks ask when a block names none
    /// (`query_source:`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query_source: Option<String>,
    /// Variables asked for at the start.
    pub variables: Vec<Variable>,
    /// Markdown shown before the first step.
    pub intro: String,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// Links outside the steps.
    pub links: Vec<Link>,
    /// The format it was written in.
    pub format: Format,
    /// Where it was loaded from (a file path, or `bundled:NAME`).
    pub path: String,
    /// Where it was loaded from (bundled, the user dir, an extra dir).
    pub origin: Origin,
    /// BLAKE3 of the file's bytes, hex (see `content_hash`).
    pub hash: String,
    #[serde(skip)]
    /// Where the id is (or the top of the file), for diagnostics.
    pub id_pos: Pos,
    #[serde(skip)]
    /// Where the title is, for diagnostics.
    pub title_pos: Pos,
    /// Where the steps are declared (YAML `steps:`), for "no steps".
    #[serde(skip)]
    pub steps_pos: Option<Pos>,
    #[serde(skip)]
    /// Every `{{name}}` in the file, for the linter.
    pub var_uses: Vec<VarUse>,
    /// Every heading anchor in the file (any level), so links to a `###`
    /// heading inside a step are not reported as broken.
    #[serde(skip)]
    pub anchors: Vec<String>,
}

impl Runbook {
    /// The index of the step with this id.
    pub fn step_index(&self, id: &str) -> Option<usize> {
        self.steps.iter().position(|s| s.id == id)
    }

    /// The variable declared with this name.
    pub fn variable(&self, name: &str) -> Option<&Variable> {
        self.variables.iter().find(|v| v.name == name)
    }

    /// The phrase a `confirm=typed` command asks for when it names none.
    pub fn default_phrase(&self) -> &str {
        self.services
            .first()
            .map_or(self.id.as_str(), String::as_str)
    }

    /// Text the fuzzy filter matches against: title, id, tags, services,
    /// alert names.
    pub fn search_text(&self) -> String {
        let mut s = String::with_capacity(128);
        s.push_str(&self.title);
        for part in std::iter::once(&self.id)
            .chain(&self.tags)
            .chain(&self.services)
            .chain(&self.alerts)
        {
            s.push(' ');
            s.push_str(part);
        }
        s
    }
}

/// Slugify the way GitHub makes heading anchors: lower-case, keep letters,
/// digits, `-` and `_`, spaces become `-`.
pub fn slugify(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.trim().chars() {
        if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
            out.push(c.to_ascii_lowercase());
        } else if c == ' ' {
            out.push('-');
        } else if !c.is_ascii() && c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        }
    }
    out
}

mod secs {
    use serde::Serializer;
    use std::time::Duration;
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_secs())
    }
}

mod opt_secs {
    use serde::Serializer;
    use std::time::Duration;
    #[allow(clippy::ref_option)]
    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_u64(d.as_secs()),
            None => s.serialize_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_inferred_from_heading_words() {
        let cases = [
            ("Meaning", StepKind::Info),
            ("Impact", StepKind::Info),
            ("Diagnosis", StepKind::Diagnose),
            ("Check replication lag", StepKind::Diagnose),
            ("Mitigation", StepKind::Mitigate),
            ("Remediation", StepKind::Mitigate),
            ("Fail over to the replica", StepKind::Mitigate),
            ("Rollback", StepKind::Rollback),
            ("Roll back the deploy", StepKind::Rollback),
            ("Verification", StepKind::Verify),
            ("Verify the rollback", StepKind::Verify),
            ("Escalation", StepKind::Communicate),
            ("Post a status update", StepKind::Communicate),
            ("Something else entirely", StepKind::Info),
        ];
        for (heading, kind) in cases {
            assert_eq!(StepKind::infer(heading), kind, "{heading}");
        }
    }

    #[test]
    fn severities_accept_common_spellings() {
        assert_eq!("SEV1".parse(), Ok(Severity::Critical));
        assert_eq!("p2".parse(), Ok(Severity::High));
        assert_eq!("warning".parse(), Ok(Severity::Medium));
        assert_eq!("Low".parse(), Ok(Severity::Low));
        assert!("urgent-ish".parse::<Severity>().is_err());
    }

    #[test]
    fn slugs_match_github_anchors() {
        assert_eq!(
            slugify("Fail over to the replica"),
            "fail-over-to-the-replica"
        );
        assert_eq!(
            slugify("Check `pg_stat_activity`!"),
            "check-pg_stat_activity"
        );
        assert_eq!(slugify("Étape 2: vérifier"), "étape-2-vérifier");
    }
}
