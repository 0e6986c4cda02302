//! `mayday incidents`, `mayday export`, `mayday note`: the incident log from
//! the command line.

use crate::incident::archive::{NOTE_LOCK_WAIT, now};
use crate::incident::event::EventKind;
use crate::incident::log::LogWriter;
use crate::incident::store::{self, Summary};
use crate::util::sanitize;
use anyhow::{Context, Result, bail};
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
    /// Shared through the sync server.
    shared: bool,
    /// Everyone its events are by.
    responders: &'a [String],
    /// There is a log of it here (else it is only on the sync server:
    /// `mayday join ID`).
    local: bool,
    path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    problem: Option<&'a str>,
}

/// `mayday incidents [--json]`; `remote` are the shared incidents on the
/// sync server (those not here are listed too, to join).
pub fn incidents(
    data_dir: &Path,
    remote: &[crate::sync::shared::Header],
    json: bool,
    out: &mut dyn Write,
) -> Result<()> {
    let list = store::list(data_dir);
    let remote: Vec<&crate::sync::shared::Header> = remote
        .iter()
        .filter(|h| !list.iter().any(|s| s.id == h.id))
        .collect();
    if json {
        let mut rows: Vec<Row<'_>> = list
            .iter()
            .map(|s| Row {
                id: &s.id,
                runbook: &s.runbook,
                title: &s.title,
                started_at: s.started_at.to_string(),
                state: s.state.as_str(),
                events: s.events,
                rehearsal: s.rehearsal,
                shared: s.shared,
                responders: &s.responders,
                local: true,
                path: s.path.display().to_string(),
                problem: s.problem.as_deref(),
            })
            .collect();
        rows.extend(remote.iter().map(|h| Row {
            id: &h.id,
            runbook: &h.runbook_id,
            title: &h.title,
            started_at: h.started_at.to_string(),
            state: h.state.as_str(),
            events: 0,
            rehearsal: h.rehearsal,
            shared: true,
            responders: &h.responders,
            local: false,
            path: String::new(),
            problem: None,
        }));
        sanitize::write_json(&mut *out, &rows, true)?;
        writeln!(out)?;
        return Ok(());
    }
    if list.is_empty() && remote.is_empty() {
        writeln!(
            out,
            "no incidents in {}",
            sanitize::line(&data_dir.display().to_string())
        )?;
        return Ok(());
    }
    let idw = list
        .iter()
        .map(|s| s.id.len())
        .chain(remote.iter().map(|h| h.id.len()))
        .max()
        .unwrap_or(2)
        .max(2);
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
    for h in remote {
        writeln!(
            out,
            "{:<idw$}  {:<9}  {:>6}  {:<20}  {} [shared by {}: mayday join {}]",
            sanitize::line(&h.id),
            h.state.as_str(),
            "-",
            h.started_at.strftime("%Y-%m-%d %H:%M:%SZ").to_string(),
            sanitize::line(&h.title),
            sanitize::line(&h.responders.join(", ")),
            sanitize::line(&h.id),
        )?;
    }
    Ok(())
}

/// `mayday note`: join an incident that is only on the sync server, write
/// the notes, then share them (see [`note`]).
pub fn note_command(
    config: Option<&Path>,
    dir: &Path,
    incident: Option<&str>,
    text: &str,
    responder: Option<String>,
) -> Result<std::process::ExitCode> {
    use super::sync;
    let by = sync::me(config, responder.as_deref());
    // An incident only on the sync server: join it first.
    if let Some(id) = incident
        && store::find(dir, id).is_err()
        && sync::configured(config).is_some()
        && let Err(code) = sync::join(config, dir, id, &by)?
    {
        return Ok(code);
    }
    note(
        dir,
        incident,
        text,
        &by,
        &mut std::io::stdin().lock(),
        &mut std::io::stdout().lock(),
    )?;
    let found = match incident {
        Some(id) => store::find(dir, id).ok(),
        None => store::newest_open(dir),
    };
    if let Some(found) = found {
        sync::share_after_note(config, dir, &found.id, &by)?;
    }
    Ok(std::process::ExitCode::SUCCESS)
}

/// `mayday note [--incident ID] TEXT|-`: append notes to an incident from a
/// script or another terminal. With `-`, every line of stdin is a note and
/// `saved SEQ` is printed once it is on disk.
pub fn note(
    data_dir: &Path,
    incident: Option<&str>,
    text: &str,
    by: &str,
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
        let seq = Sink::open(data_dir, &found, by)?.note(text)?;
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
            None => sink.insert(Sink::open(data_dir, &found, by)?),
        };
        let seq = sink.note(t)?;
        writeln!(out, "saved {seq}")?;
        out.flush()?;
    }
}

/// Where `mayday note` writes: the log itself, or — while an incident
/// screen holds the log — that session, through its inbox socket (see
/// `app::runtime::inbox`), which saves the note and says so.
enum Sink {
    Log(LogWriter),
    Session(std::io::BufReader<std::os::unix::net::UnixStream>),
}

impl Sink {
    /// `by`: who writes the notes (into the log directly; a session writes
    /// them as its own responder's).
    fn open(data_dir: &Path, found: &Summary, by: &str) -> Result<Sink> {
        let sock = store::dir(data_dir).join(format!("{}.sock", found.id));
        if sock.exists()
            && let Ok(stream) = std::os::unix::net::UnixStream::connect(&sock)
        {
            return Ok(Sink::Session(std::io::BufReader::new(stream)));
        }
        // Lock first, then read: another `mayday note` finishing its write
        // is waited for, never raced.
        let (mut writer, _) = LogWriter::open_append_waiting(&found.path, NOTE_LOCK_WAIT)?;
        writer.set_responder(by);
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
