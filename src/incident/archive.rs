//! Incidents by id, whole: read one (with whatever damage it has), export
//! it as JSON or as a postmortem draft, write that draft next to its log,
//! close an abandoned rehearsal. The CLI (`mayday export`, `mayday close`)
//! and the review screen both come here.

use super::event::{Event, EventKind};
use super::log::{self, LogWriter};
use super::state::Incident;
use super::store::{self, Summary};
use crate::util::sanitize;
use anyhow::{Context, Result, bail};
use jiff::Timestamp;
use serde::Serialize;
use std::io::Write;
use std::path::Path;

#[derive(Serialize)]
struct ExportIncident<'a> {
    id: &'a str,
    runbook: &'a str,
    title: &'a str,
    runbook_hash: &'a str,
    runbook_path: &'a str,
    severity: crate::runbook::Severity,
    responders: &'a [String],
    started_at: String,
    state: &'static str,
    mitigated_at: Option<String>,
    resolved_at: Option<String>,
    summary: Option<&'a str>,
    rehearsal: bool,
    scenario: Option<&'a str>,
    dry_run: bool,
    variables: &'a std::collections::BTreeMap<String, String>,
    events: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    problem: Option<String>,
    /// Damaged records left out, with where the checksum chain broke.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    skipped: &'a [log::Skipped],
}

#[derive(Serialize)]
struct Export<'a> {
    incident: ExportIncident<'a>,
    events: &'a [Event],
}

/// An incident as read for export: whatever can be read, and what could not.
pub struct Loaded {
    /// The incident as listed.
    pub summary: Summary,
    /// Every event whose record is good.
    pub events: Vec<Event>,
    /// The incident replayed from them.
    pub incident: Incident,
    /// A one-line description of damage, if any.
    pub problem: Option<String>,
    /// The damaged records that were left out.
    pub skipped: Vec<log::Skipped>,
    /// Every damaged record, one line each, for a warning.
    pub skipped_lines: Vec<String>,
}

impl Loaded {
    /// The warnings an export prints: the problem, then each skipped record.
    pub fn warnings(&self) -> Vec<String> {
        self.problem
            .iter()
            .cloned()
            .chain(self.skipped_lines.iter().map(|l| format!("skipped {l}")))
            .collect()
    }
}

/// Read an incident's events (every record whose own checksum is good) and
/// the replayed state. Never changes the file.
pub fn load(data_dir: &Path, id: &str) -> Result<Loaded> {
    let found = store::find(data_dir, id)?;
    let mut read =
        log::read(&found.path).with_context(|| format!("reading {}", found.path.display()))?;
    let problem = read.problem();
    // A shared incident's records are in arrival order: put them in the
    // timeline's (the same on every replica).
    read.events = super::timeline::order(std::mem::take(&mut read.events));
    let Some(inc) = Incident::replay(&read.events) else {
        match read.skipped.first() {
            Some(s) if s.after_seq == 0 => bail!(
                "{}: the first record (`incident_started`, line {}) is damaged ({}); \
                 the other {} record(s) cannot be read as an incident",
                found.path.display(),
                s.line,
                s.reason,
                read.events.len()
            ),
            _ => bail!(
                "{}: the log has no `incident_started` event",
                found.path.display()
            ),
        }
    };
    let skipped_lines = read.skipped_lines();
    Ok(Loaded {
        summary: found,
        events: read.events,
        incident: inc,
        problem,
        skipped: read.skipped,
        skipped_lines,
    })
}

/// `mayday export ID --format json`.
pub fn export_json(data_dir: &Path, id: &str, out: &mut dyn Write) -> Result<Vec<String>> {
    let loaded = load(data_dir, id)?;
    let (events, inc) = (&loaded.events, &loaded.incident);
    let export = Export {
        incident: ExportIncident {
            id: &inc.id,
            runbook: &inc.runbook_id,
            title: &inc.runbook_title,
            runbook_hash: &inc.runbook_hash,
            runbook_path: &inc.runbook_path,
            severity: inc.severity,
            responders: &inc.responders,
            started_at: inc.started_at.to_string(),
            state: inc.phase.as_str(),
            mitigated_at: inc.mitigated_at.map(|t| t.to_string()),
            resolved_at: inc.resolved_at.map(|t| t.to_string()),
            summary: inc.summary.as_deref(),
            rehearsal: inc.rehearsal,
            scenario: inc.scenario.as_deref(),
            dry_run: inc.dry_run,
            variables: &inc.variables,
            events: events.len(),
            problem: loaded.problem.clone(),
            skipped: &loaded.skipped,
        },
        events,
    };
    sanitize::write_json(&mut *out, &export, true)?;
    writeln!(out)?;
    Ok(loaded.warnings())
}

/// `mayday export ID --format md`: a postmortem draft (see
/// [`crate::incident::postmortem`]), with the runbook copy saved with the incident (for
/// step kinds and the steps never reached) and times in the local time zone.
pub fn export_md(data_dir: &Path, id: &str, out: &mut dyn Write) -> Result<Vec<String>> {
    let loaded = load(data_dir, id)?;
    let (events, inc) = (&loaded.events, &loaded.incident);
    // Only the copy the incident started with: with an empty library,
    // `runbook_for` notes when there is none and gives a stand-in.
    let (runbook, missing) =
        store::runbook_for(data_dir, inc, &crate::runbook::library::Library::default());
    let runbook = missing.is_none().then_some(&*runbook);
    let stats = crate::incident::review::stats(events, runbook).context("the log has no events")?;
    let tz = jiff::tz::TimeZone::system();
    let doc = crate::incident::postmortem::markdown(inc, events, &stats, runbook, &tz);
    out.write_all(doc.as_bytes())?;
    Ok(loaded.warnings())
}

/// How long `mayday note` waits for another writer (another `mayday note`
/// takes milliseconds; an open incident screen holds the lock for good).
pub const NOTE_LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(5);
/// `mayday close ID`: a rehearsal left open (the game day ended, the
/// laptop closed) is resolved with a note saying so; its log is kept, so
/// review and export still work. Real incidents are refused: they are
/// resolved with a summary, in the incident screen.
pub fn close_rehearsal(data_dir: &Path, id: &str, out: &mut dyn Write) -> Result<()> {
    let found = store::find(data_dir, id)?;
    if !found.rehearsal {
        bail!(
            "{} is a real incident: resolve it in the incident screen (`mayday resume {}`, then R) with a summary",
            found.id,
            found.id
        );
    }
    if found.state == crate::incident::Phase::Resolved {
        bail!("rehearsal {} is already closed", found.id);
    }
    let (mut writer, _) = LogWriter::open_append_waiting(&found.path, NOTE_LOCK_WAIT)?;
    let e = writer.append(
        EventKind::Resolved {
            summary: "rehearsal closed unfinished (mayday close)".into(),
        },
        now(),
    )?;
    writeln!(
        out,
        "closed {} (event {}); its log is kept",
        found.id, e.seq
    )?;
    Ok(())
}

/// The time now, to the millisecond (what the log records).
pub fn now() -> Timestamp {
    Timestamp::now()
        .round(jiff::Unit::Millisecond)
        .unwrap_or_else(|_| Timestamp::now())
}

/// Write the postmortem draft of an incident to `<id>.postmortem.md` next
/// to its log (the review screen's `e`). Returns the path.
pub fn write_draft(data_dir: &Path, id: &str) -> Result<std::path::PathBuf> {
    let found = store::find(data_dir, id)?;
    let mut buf = Vec::new();
    export_md(data_dir, &found.id, &mut buf)?;
    let path = store::dir(data_dir).join(format!("{}.postmortem.md", found.id));
    let tmp = path.with_extension("md.tmp");
    std::fs::write(&tmp, &buf).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}
