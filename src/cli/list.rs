//! `mayday list`: every loaded runbook, as a table or JSON (with how
//! fresh each is: its last real use and last rehearsal). Exit 1 when a
//! file failed to load or two files claim one id.

use crate::incident::freshness::{self, Use};
use crate::runbook::Origin;
use crate::runbook::library::Library;
use crate::util::diag::Diagnostic;
use crate::util::sanitize;
use anyhow::Result;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

/// Every diagnostic on stderr, one per line.
pub fn print_diagnostics(diags: &[Diagnostic]) {
    let mut err = std::io::stderr().lock();
    for d in diags {
        let _ = writeln!(err, "{d}");
    }
}

/// [`freshness()`], or nothing without a data dir.
pub fn freshness_in(data_dir: Option<&Path>) -> BTreeMap<String, Use> {
    data_dir.map(freshness).unwrap_or_default()
}

/// Each runbook's use, from the incidents in the data dir.
pub fn freshness(data_dir: &Path) -> BTreeMap<String, Use> {
    let all = crate::incident::store::list(data_dir);
    freshness::tally(
        all.iter()
            .map(|s| (s.runbook.as_str(), s.started_at, s.rehearsal)),
    )
}

#[derive(Serialize)]
struct ListRow<'a> {
    id: &'a str,
    title: &'a str,
    path: &'a str,
    severity: Option<&'static str>,
    steps: usize,
    alerts: &'a [String],
    tags: &'a [String],
    services: &'a [String],
    format: crate::runbook::Format,
    origin: Origin,
    summary: Option<&'a str>,
    owner: Option<&'a str>,
    /// The newest real incident on it.
    last_used: Option<jiff::Timestamp>,
    /// The newest rehearsal of it.
    last_rehearsed: Option<jiff::Timestamp>,
    used: usize,
    rehearsed: usize,
}

/// List the runbooks (exit 1 when a file failed to load or an id is taken twice).
pub fn run(lib: Library, data_dir: Option<&Path>, json: bool) -> Result<ExitCode> {
    let used = freshness_in(data_dir);
    print_diagnostics(&lib.dir_errors);
    print_diagnostics(&lib.failures);
    print_diagnostics(&lib.duplicates);
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    if json {
        let rows: Vec<ListRow<'_>> = lib
            .runbooks
            .iter()
            .map(|r| ListRow {
                id: &r.id,
                title: &r.title,
                path: &r.path,
                severity: r.severity.map(|s| s.as_str()),
                steps: r.steps.len(),
                alerts: &r.alerts,
                tags: &r.tags,
                services: &r.services,
                format: r.format,
                origin: r.origin,
                summary: r.summary.as_deref(),
                owner: r.owner.as_deref(),
                last_used: used.get(&r.id).and_then(|u| u.last_used),
                last_rehearsed: used.get(&r.id).and_then(|u| u.last_rehearsed),
                used: used.get(&r.id).map_or(0, |u| u.used),
                rehearsed: used.get(&r.id).map_or(0, |u| u.rehearsed),
            })
            .collect();
        // Indented for a person at a terminal; compact for a program (half
        // the bytes for ten thousand runbooks).
        let pretty = std::io::IsTerminal::is_terminal(&std::io::stdout());
        sanitize::write_json(&mut out, &rows, pretty)?;
        writeln!(out)?;
    } else {
        let idw = lib
            .runbooks
            .iter()
            .map(|r| r.id.chars().count())
            .max()
            .unwrap_or(2)
            .max(2);
        writeln!(
            out,
            "{:<idw$}  {:<8}  {:>5}  TITLE",
            "ID", "SEVERITY", "STEPS"
        )?;
        for r in &lib.runbooks {
            writeln!(
                out,
                "{:<idw$}  {:<8}  {:>5}  {}",
                sanitize::line(&r.id),
                r.severity.map_or("-", |s| s.as_str()),
                r.steps.len(),
                sanitize::line(&r.title),
            )?;
        }
    }
    out.flush()?;
    if !lib.duplicates.is_empty() {
        let _ = writeln!(
            std::io::stderr(),
            "mayday: {} runbook id(s) used by more than one file; the messages above say which file is used",
            lib.duplicates.len()
        );
    }
    let failed =
        !lib.failures.is_empty() || !lib.dir_errors.is_empty() || !lib.duplicates.is_empty();
    if lib.failures.len() + lib.dir_errors.len() > 0 {
        let n = lib
            .failures
            .iter()
            .map(|d| d.path.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .len()
            + lib.dir_errors.len();
        let _ = writeln!(
            std::io::stderr(),
            "mayday: {n} file(s) or directories failed to load; run `mayday lint` for details"
        );
    }
    // The process ends now: freeing ten thousand runbooks one by one would
    // only cost time.
    std::mem::forget(lib);
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
