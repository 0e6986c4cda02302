//! `mayday incidents`, `mayday export`, `mayday note`: the incident log from
//! the command line.

use crate::incident::event::{Event, EventKind};
use crate::incident::log::{self, LogWriter};
use crate::incident::state::Incident;
use crate::incident::store::{self, Summary};
use crate::util::sanitize;
use anyhow::{Context, Result, bail};
use jiff::Timestamp;
use serde::Serialize;
use std::io::{BufRead, Write};
use std::path::Path;

#[derive(Serialize)]
struct Row<'a> {
    id: &'a str,
    runbook: &'a str,
    title: &'a str,
    started_at: String,
    state: &'static str,
    events: usize,
    rehearsal: bool,
    path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    problem: Option<&'a str>,
}

/// `mayday incidents [--json]`.
pub fn incidents(data_dir: &Path, json: bool, out: &mut dyn Write) -> Result<()> {
    let list = store::list(data_dir);
    if json {
        let rows: Vec<Row<'_>> = list
            .iter()
            .map(|s| Row {
                id: &s.id,
                runbook: &s.runbook,
                title: &s.title,
                started_at: s.started_at.to_string(),
                state: s.state.as_str(),
                events: s.events,
                rehearsal: s.rehearsal,
                path: s.path.display().to_string(),
                problem: s.problem.as_deref(),
            })
            .collect();
        sanitize::write_json(&mut *out, &rows, true)?;
        writeln!(out)?;
        return Ok(());
    }
    if list.is_empty() {
        writeln!(
            out,
            "no incidents in {}",
            sanitize::line(&data_dir.display().to_string())
        )?;
        return Ok(());
    }
    let idw = list.iter().map(|s| s.id.len()).max().unwrap_or(2).max(2);
    writeln!(
        out,
        "{:<idw$}  {:<9}  {:>6}  {:<20}  TITLE",
        "ID", "STATE", "EVENTS", "STARTED"
    )?;
    for s in &list {
        let mut title = sanitize::line(&s.title).into_owned();
        if s.rehearsal {
            title.push_str(" [rehearsal]");
        }
        if let Some(p) = &s.problem {
            title.push_str(&format!(" [{}]", sanitize::line(p)));
        }
        writeln!(
            out,
            "{:<idw$}  {:<9}  {:>6}  {:<20}  {title}",
            sanitize::line(&s.id),
            s.state.as_str(),
            s.events,
            s.started_at.strftime("%Y-%m-%d %H:%M:%SZ").to_string(),
        )?;
    }
    Ok(())
}

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
    pub summary: Summary,
    pub events: Vec<Event>,
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
    let read =
        log::read(&found.path).with_context(|| format!("reading {}", found.path.display()))?;
    let problem = read.problem();
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

/// `mayday note [--incident ID] TEXT|-`: append notes to an incident from a
/// script or another terminal. With `-`, every line of stdin is a note and
/// `saved SEQ` is printed once it is on disk.
pub fn note(
    data_dir: &Path,
    incident: Option<&str>,
    text: &str,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> Result<()> {
    let found = match incident {
        Some(id) => store::find(data_dir, id)?,
        None => store::newest_open(data_dir)
            .with_context(|| format!("there is no open incident in {}", data_dir.display()))?,
    };
    if found.state == crate::incident::Phase::Resolved {
        bail!(
            "incident {} is resolved; notes go to open incidents",
            found.id
        );
    }
    if text != "-" {
        if text.trim().is_empty() {
            bail!("the note is empty");
        }
        let seq = Sink::open(data_dir, &found)?.note(text)?;
        writeln!(out, "saved {seq}")?;
        return Ok(());
    }
    // Read as it comes: each line is saved (and acknowledged) before the
    // next is read, so a pipe sees `saved N` as it goes. The log (or the
    // session) is opened at the first note.
    let mut line = String::new();
    let mut sink = None;
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let t = line.trim_end_matches(['\n', '\r']);
        if t.trim().is_empty() {
            continue;
        }
        let sink = match &mut sink {
            Some(s) => s,
            None => sink.insert(Sink::open(data_dir, &found)?),
        };
        let seq = sink.note(t)?;
        writeln!(out, "saved {seq}")?;
        out.flush()?;
    }
}

/// Where `mayday note` writes: the log itself, or — while an incident
/// screen holds the log — that session, through its inbox socket (see
/// `app::inbox`), which saves the note and says so.
enum Sink {
    Log(LogWriter),
    Session(std::io::BufReader<std::os::unix::net::UnixStream>),
}

impl Sink {
    fn open(data_dir: &Path, found: &Summary) -> Result<Sink> {
        let sock = store::dir(data_dir).join(format!("{}.sock", found.id));
        if sock.exists()
            && let Ok(stream) = std::os::unix::net::UnixStream::connect(&sock)
        {
            return Ok(Sink::Session(std::io::BufReader::new(stream)));
        }
        // Lock first, then read: another `mayday note` finishing its write
        // is waited for, never raced.
        let (writer, _) = LogWriter::open_append_waiting(&found.path, NOTE_LOCK_WAIT)?;
        Ok(Sink::Log(writer))
    }

    /// Save one note; its sequence number once it is on disk.
    fn note(&mut self, text: &str) -> Result<u64> {
        match self {
            Sink::Log(w) => Ok(w
                .append(
                    EventKind::Note {
                        text: text.to_owned(),
                        status_update: false,
                    },
                    now(),
                )?
                .seq),
            Sink::Session(conn) => {
                let mut line = serde_json::to_string(text)?;
                line.push('\n');
                conn.get_mut().write_all(line.as_bytes())?;
                let mut answer = String::new();
                conn.read_line(&mut answer)?;
                let answer = answer.trim_end();
                match answer.strip_prefix("saved ").and_then(|n| n.parse().ok()) {
                    Some(seq) => Ok(seq),
                    None if answer.is_empty() => {
                        bail!(
                            "the incident screen holding this incident closed before the note was saved"
                        )
                    }
                    None => bail!(
                        "the incident screen holding this incident did not save the note: {}",
                        answer.strip_prefix("error: ").unwrap_or(answer)
                    ),
                }
            }
        }
    }
}

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
