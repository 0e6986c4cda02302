//! `mayday lint`: every runbook's diagnostics, as text or JSON, and — with
//! a config — query blocks checked against its sources.

use crate::incident::freshness::Use;
use crate::runbook::library::{Library, sort_diagnostics};
use crate::status::query::Queryable;
use crate::util::diag::{Diagnostic, Level};
use crate::util::sanitize;
use anyhow::Result;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

#[derive(Serialize)]
struct LintReport<'a> {
    files: usize,
    errors: usize,
    warnings: usize,
    diagnostics: &'a [Diagnostic],
}

/// A window as written: `90d`, `12w`, or any duration (`36h`).
pub fn window(text: &str) -> Result<(std::time::Duration, String), String> {
    let t = text.trim();
    let days = |n: &str, per: u64| {
        n.parse::<u64>()
            .ok()
            .filter(|n| *n > 0)
            .and_then(|n| n.checked_mul(per * 86_400))
            .map(std::time::Duration::from_secs)
    };
    let d = match (t.strip_suffix('d'), t.strip_suffix('w')) {
        (Some(n), _) if days(n, 1).is_some() => days(n, 1),
        (_, Some(n)) if days(n, 7).is_some() => days(n, 7),
        _ => crate::util::duration::parse(t)
            .ok()
            .filter(|d| !d.is_zero()),
    };
    d.map(|d| (d, t.to_owned()))
        .ok_or_else(|| format!("`{t}` is not a window: write e.g. `90d`, `12w` or `36h`"))
}

/// The optional checks: staleness and owners.
#[derive(Default)]
pub struct Extra {
    /// `--stale WINDOW` (as written too), with each runbook's use.
    pub stale: Option<((std::time::Duration, String), BTreeMap<String, Use>)>,
    /// `--require-owner`.
    pub require_owner: bool,
}

/// A runbook neither rehearsed nor changed within the window, or without
/// an owner when one is required.
fn extra_checks(lib: &Library, extra: &Extra, now: jiff::Timestamp) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for rb in &lib.runbooks {
        if extra.require_owner && rb.owner.as_deref().is_none_or(|o| o.trim().is_empty()) {
            out.push(
                Diagnostic::warning(
                    "missing-owner",
                    rb.id_pos,
                    format!("`{}` has no owner", rb.id),
                )
                .with_hint("add `owner: team-name` to its front matter (YAML: a top-level key)")
                .at_path(&rb.path),
            );
        }
        let Some(((window, window_text), used)) = &extra.stale else {
            continue;
        };
        // A window longer than time itself reaches back to the start.
        let since = jiff::SignedDuration::try_from(*window)
            .ok()
            .and_then(|w| now.checked_sub(w).ok())
            .unwrap_or(jiff::Timestamp::MIN);
        let u = used.get(&rb.id).copied().unwrap_or_default();
        if u.last_rehearsed.is_some_and(|t| t >= since) {
            continue;
        }
        // A file changed within the window is being looked after.
        let changed = (rb.origin != crate::runbook::Origin::Bundled)
            .then(|| std::fs::metadata(&rb.path).and_then(|m| m.modified()).ok())
            .flatten()
            .and_then(|m| jiff::Timestamp::try_from(m).ok());
        if changed.is_some_and(|t| t >= since) {
            continue;
        }
        let rehearsed = match u.last_rehearsed {
            Some(t) => format!(
                "last rehearsed {}",
                crate::incident::freshness::days_ago(now, t)
            ),
            None => "never rehearsed".to_owned(),
        };
        let changed = match changed {
            Some(t) => format!(
                ", file unchanged since {}",
                crate::incident::freshness::days_ago(now, t)
            ),
            None => String::new(),
        };
        out.push(
            Diagnostic::warning(
                "stale",
                rb.id_pos,
                format!(
                    "`{}` was not rehearsed or changed in {window_text}: {rehearsed}{changed}",
                    rb.id
                ),
            )
            .with_hint(format!(
                "rehearse it: `mayday gameday` (or review it and save the file){}",
                if u.used > 0 {
                    ""
                } else {
                    "; it was never used for a real incident either"
                }
            ))
            .at_path(&rb.path),
        );
    }
    out
}

/// The sources query blocks can ask, from the config: the one given
/// (`--config`; a broken one is an error, exit 2), else the default file
/// when it exists and reads (`None` without one: the check is skipped).
pub fn queryable(explicit: Option<&Path>) -> Result<Option<Vec<Queryable>>, ExitCode> {
    match crate::config::Config::load(explicit) {
        Ok(cfg) if explicit.is_some() || cfg.path.is_some() => Ok(Some(
            cfg.sources
                .iter()
                .filter(|s| crate::status::query::answers_queries(s.kind))
                .map(Queryable::from)
                .collect(),
        )),
        Ok(_) => Ok(None),
        Err(e) if explicit.is_some() => {
            let _ = writeln!(std::io::stderr(), "{e}");
            Err(ExitCode::from(2))
        }
        Err(e) => {
            let _ = writeln!(
                std::io::stderr(),
                "mayday: query sources not checked, the config does not load: {e}"
            );
            Ok(None)
        }
    }
}

/// Print the library's diagnostics (and, with sources, the query-source
/// checks); exit 1 on errors, 2 when a file could not be read.
pub fn report(
    lib: &Library,
    json: bool,
    sources: Option<&[Queryable]>,
    extra: &Extra,
) -> Result<ExitCode> {
    let mut diags = lib.lint();
    if let Some(sources) = sources {
        for rb in &lib.runbooks {
            diags.extend(crate::runbook::lint::check_query_sources(rb, sources));
        }
    }
    diags.extend(extra_checks(lib, extra, jiff::Timestamp::now()));
    sort_diagnostics(&mut diags);
    let errors = diags.iter().filter(|d| d.severity == Level::Error).count();
    let warnings = diags.len() - errors;
    let io_error = diags.iter().any(|d| d.code == "io");
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if json {
        sanitize::write_json(
            &mut out,
            &LintReport {
                files: lib.files,
                errors,
                warnings,
                diagnostics: &diags,
            },
            true,
        )?;
        writeln!(out)?;
    } else {
        for d in &diags {
            writeln!(out, "{d}")?;
        }
        out.flush()?;
        let _ = writeln!(
            std::io::stderr(),
            "{} file(s) checked: {errors} error(s), {warnings} warning(s)",
            lib.files
        );
    }
    out.flush()?;
    Ok(if io_error {
        ExitCode::from(2)
    } else if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
