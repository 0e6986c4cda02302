//! The directory of incidents: `<data dir>/incidents/<id>.log`, with a copy
//! of the runbook each incident started with (`<id>.runbook.md|yaml`).
//!
//! Ids are readable and sort by time: `YYYYMMDD-HHMMSS-<runbook id>` (UTC),
//! with `-2`, `-3`, … when two start in the same second.

use super::event::{Event, EventKind, Phase};
use super::log::{self, LogError, LogWriter, ReadLog};
use super::state::Incident;
use crate::runbook::library::Library;
use crate::runbook::{Origin, Runbook};
use jiff::Timestamp;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The incidents directory under a data dir.
pub fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("incidents")
}

/// The log file of incident `id`.
pub fn log_path(data_dir: &Path, id: &str) -> PathBuf {
    dir(data_dir).join(format!("{id}.log"))
}

/// One incident, as listed.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// The incident's id.
    pub id: String,
    /// The id of its runbook.
    pub runbook: String,
    /// The runbook's title.
    pub title: String,
    /// When it started.
    pub started_at: Timestamp,
    /// Open, mitigated or resolved.
    pub state: Phase,
    /// How many events its log has.
    pub events: usize,
    /// A game-day rehearsal.
    pub rehearsal: bool,
    /// Its log file.
    pub path: PathBuf,
    /// The time of its last event.
    pub last_at: Timestamp,
    /// A torn or corrupt log is listed with what is wrong, never hidden.
    pub problem: Option<String>,
    /// Everyone its events are by, in the order they first appear.
    pub responders: Vec<String>,
    /// It is shared through the sync server (it has a sync cursor).
    pub shared: bool,
}

impl Summary {
    fn from_log(path: &Path, log: &ReadLog) -> Option<Summary> {
        let inc = Incident::replay(&log.events)?;
        Some(Summary {
            id: log.header.incident_id.clone(),
            runbook: inc.runbook_id.clone(),
            title: inc.runbook_title.clone(),
            started_at: inc.started_at,
            state: inc.phase,
            events: log.events.len(),
            rehearsal: inc.rehearsal,
            path: path.to_path_buf(),
            last_at: inc.last_at,
            problem: log.problem(),
            responders: log.events.iter().fold(Vec::new(), |mut who, e| {
                if !e.by.is_empty() && !who.contains(&e.by) {
                    who.push(e.by.clone());
                }
                who
            }),
            shared: path.with_extension("sync.json").exists(),
        })
    }
}

/// A new, unused incident id.
pub fn new_id(data_dir: &Path, at: Timestamp, runbook_id: &str) -> String {
    let stamp = at.strftime("%Y%m%d-%H%M%S").to_string();
    let slug: String = runbook_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let base = format!("{stamp}-{slug}");
    let mut id = base.clone();
    let mut n = 2;
    while log_path(data_dir, &id).exists() {
        id = format!("{base}-{n}");
        n += 1;
    }
    id
}

/// Create an incident: a new id, its log, its first event (with the id
/// filled in).
pub fn create(
    data_dir: &Path,
    runbook_id: &str,
    mut first: EventKind,
    at: Timestamp,
) -> Result<(LogWriter, Event), LogError> {
    let d = dir(data_dir);
    std::fs::create_dir_all(&d).map_err(|source| LogError::Io {
        path: d.clone(),
        source,
    })?;
    loop {
        let id = new_id(data_dir, at, runbook_id);
        if let EventKind::IncidentStarted { incident_id, .. } = &mut first {
            incident_id.clone_from(&id);
        }
        match LogWriter::create(&log_path(data_dir, &id), &id, first.clone(), at) {
            // Another process took the id in between: pick the next one.
            Err(LogError::Exists { .. }) => continue,
            other => return other,
        }
    }
}

/// Every incident in the data dir, newest first. Unreadable files are
/// listed with their problem.
pub fn list(data_dir: &Path) -> Vec<Summary> {
    let Ok(entries) = std::fs::read_dir(dir(data_dir)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("log") {
            continue;
        }
        match log::read(&path) {
            Ok(log) => match Summary::from_log(&path, &log) {
                Some(s) => out.push(s),
                None => out.push(broken(
                    &path,
                    "the log has no `incident_started` event".into(),
                )),
            },
            Err(e) => out.push(broken(&path, e.to_string())),
        }
    }
    out.sort_by(|a, b| b.started_at.cmp(&a.started_at).then(b.id.cmp(&a.id)));
    out
}

fn broken(path: &Path, problem: String) -> Summary {
    let id = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Summary {
        id,
        runbook: String::new(),
        title: String::new(),
        started_at: Timestamp::UNIX_EPOCH,
        state: Phase::Open,
        events: 0,
        rehearsal: false,
        path: path.to_path_buf(),
        last_at: Timestamp::UNIX_EPOCH,
        problem: Some(problem),
        responders: Vec::new(),
        shared: false,
    }
}

#[derive(Debug, thiserror::Error)]
/// Finding an incident by id (or a unique prefix) failed.
pub enum FindError {
    #[error("no incident `{0}` (see `mayday incidents`)")]
    /// No incident has this id.
    NotFound(String),
    #[error("`{id}` matches several incidents: {}", matches.join(", "))]
    /// Several incidents start with this prefix.
    Ambiguous {
        /// What was asked for.
        id: String,
        /// The incidents it matches.
        matches: Vec<String>,
    },
}

/// Find an incident by id or unique prefix.
pub fn find(data_dir: &Path, id: &str) -> Result<Summary, FindError> {
    let all = list(data_dir);
    if let Some(s) = all.iter().find(|s| s.id == id) {
        return Ok(s.clone());
    }
    let matches: Vec<&Summary> = all.iter().filter(|s| s.id.starts_with(id)).collect();
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(FindError::NotFound(id.to_owned())),
        many => Err(FindError::Ambiguous {
            id: id.to_owned(),
            matches: many.iter().map(|s| s.id.clone()).collect(),
        }),
    }
}

/// The newest unresolved real incident: never a rehearsal (a note or a
/// resume meant for a real page must not land in a game day).
pub fn newest_open(data_dir: &Path) -> Option<Summary> {
    list(data_dir)
        .into_iter()
        .find(|s| s.state != Phase::Resolved && !s.runbook.is_empty() && !s.rehearsal)
}

fn copy_path(data_dir: &Path, id: &str, rb: &Runbook) -> PathBuf {
    let ext = match rb.format {
        crate::runbook::Format::Markdown => "md",
        crate::runbook::Format::Yaml => "yaml",
    };
    dir(data_dir).join(format!("{id}.runbook.{ext}"))
}

/// Keep a copy of the runbook an incident started with (best effort: the
/// log already has its hash; the copy lets a resume show the same version).
pub fn save_runbook_copy(data_dir: &Path, id: &str, rb: &Runbook, source: &[u8]) {
    let path = copy_path(data_dir, id, rb);
    let tmp = path.with_extension("tmp");
    let result = std::fs::write(&tmp, source).and_then(|()| std::fs::rename(&tmp, &path));
    if let Err(e) = result {
        tracing::warn!("cannot keep a copy of the runbook for {id}: {e}");
    }
}

/// The runbook to show for an incident: the copy it started with, else the
/// library's current version, else an empty stand-in. With a note when what
/// is shown is not what the incident started with.
pub fn runbook_for(
    data_dir: &Path,
    inc: &Incident,
    library: &Library,
) -> (Arc<Runbook>, Option<String>) {
    let current = library.get(&inc.runbook_id).cloned();
    for ext in ["md", "yaml"] {
        let path = dir(data_dir).join(format!("{}.runbook.{ext}", inc.id));
        if let Ok(bytes) = std::fs::read(&path) {
            let display = if inc.runbook_path.is_empty() {
                path.display().to_string()
            } else {
                inc.runbook_path.clone()
            };
            let origin = current.as_ref().map_or(Origin::Extra, |r| r.origin);
            let fake_name = format!("{display}.{ext}");
            let loaded = crate::runbook::load(&fake_name, &bytes, origin);
            if let Some(mut rb) = loaded.runbook {
                rb.path = display;
                rb.id.clone_from(&inc.runbook_id);
                let note = current
                    .as_ref()
                    .filter(|c| c.hash != inc.runbook_hash)
                    .map(|_| "the runbook file has changed since this incident started; showing the version it started with".to_owned());
                return (Arc::new(rb), note);
            }
        }
    }
    match current {
        Some(rb) if rb.hash == inc.runbook_hash => (rb, None),
        Some(rb) => (
            rb,
            Some("the runbook has changed since this incident started and its original copy is missing; showing the current version".into()),
        ),
        None => {
            let rb = crate::runbook::placeholder(&inc.runbook_id, &inc.runbook_title);
            (
                Arc::new(rb),
                Some(format!(
                    "runbook `{}` is not loaded: the incident's steps cannot be shown, but notes and the log still work",
                    inc.runbook_id
                )),
            )
        }
    }
}
