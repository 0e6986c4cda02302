//! `mayday lint`: every runbook's diagnostics, as text or JSON, and — with
//! a config — query blocks checked against its sources.

use crate::runbook::library::{Library, sort_diagnostics};
use crate::status::query::Queryable;
use crate::util::diag::{Diagnostic, Level};
use crate::util::sanitize;
use anyhow::Result;
use serde::Serialize;
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
pub fn report(lib: &Library, json: bool, sources: Option<&[Queryable]>) -> Result<ExitCode> {
    let mut diags = lib.lint();
    if let Some(sources) = sources {
        for rb in &lib.runbooks {
            diags.extend(crate::runbook::lint::check_query_sources(rb, sources));
        }
        sort_diagnostics(&mut diags);
    }
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
