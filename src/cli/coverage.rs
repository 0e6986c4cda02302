//! `mayday coverage`: alerting rules (rule files, `PrometheusRule`
//! manifests, a live Prometheus) against the loaded runbooks. Text for
//! people, JSON for CI; exit 1 when a critical alert has no runbook, a
//! `runbook_url` is broken or coverage is under `--min-coverage`, 2 on
//! usage or I/O errors.

use crate::runbook::coverage::{self, Report};
use crate::runbook::library::Library;
use crate::status::rules::{AlertRule, parse_rule_file};
use crate::util::sanitize;
use anyhow::Result;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// What the command was asked.
pub struct Ask<'a> {
    /// Rule files or directories (`--rules`).
    pub rules: &'a [PathBuf],
    /// A live Prometheus (`--prometheus URL`).
    pub prometheus: Option<&'a str>,
    /// `--format json`.
    pub json: bool,
    /// `--min-coverage PCT`.
    pub min_coverage: Option<f64>,
}

/// Rule files under `path` (itself when it is a file): `.yaml`, `.yml`,
/// `.rules`, in name order.
fn rule_files(path: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if !std::fs::metadata(path)?.is_dir() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for p in entries {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with('.') {
            continue;
        }
        if p.is_dir() {
            rule_files(&p, out)?;
        } else if [".yaml", ".yml", ".rules"]
            .iter()
            .any(|e| name.ends_with(e))
        {
            out.push(p);
        }
    }
    Ok(())
}

fn usage(msg: &str) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "mayday coverage: {msg}");
    ExitCode::from(2)
}

/// Run it.
pub fn run(lib: &Library, ask: &Ask<'_>) -> Result<ExitCode> {
    if ask.rules.is_empty() && ask.prometheus.is_none() {
        return Ok(usage(
            "give alerting rules: --rules FILE|DIR (repeatable) and/or --prometheus URL",
        ));
    }
    if let Some(p) = ask.min_coverage
        && !(0.0..=100.0).contains(&p)
    {
        return Ok(usage("--min-coverage is a percentage, 0 to 100"));
    }
    let mut rules: Vec<AlertRule> = Vec::new();
    for path in ask.rules {
        let mut files = Vec::new();
        if let Err(e) = rule_files(path, &mut files) {
            return Ok(usage(&format!("cannot read {}: {e}", path.display())));
        }
        for f in files {
            let text = match std::fs::read(&f) {
                Ok(b) => String::from_utf8_lossy(&b).into_owned(),
                Err(e) => return Ok(usage(&format!("cannot read {}: {e}", f.display()))),
            };
            match parse_rule_file(&f.display().to_string(), &text) {
                Ok(r) => rules.extend(r),
                Err(d) => {
                    let _ = writeln!(std::io::stderr(), "{d}");
                    return Ok(ExitCode::from(2));
                }
            }
        }
    }
    if let Some(url) = ask.prometheus {
        match live_rules(url) {
            Ok(r) => rules.extend(r),
            Err(e) => return Ok(usage(&format!("{url}: {e}"))),
        }
    }
    // A file given twice (or inside a directory also given) counts once.
    let mut seen = std::collections::HashSet::new();
    rules.retain(|r| r.line.is_none() || seen.insert((r.file.clone(), r.line, r.name.clone())));
    let report = coverage::check(&rules, &lib.runbooks);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if ask.json {
        sanitize::write_json(&mut out, &report, true)?;
        writeln!(out)?;
    } else {
        text(&mut out, &report)?;
    }
    out.flush()?;
    let below = ask.min_coverage.is_some_and(|min| report.percent() < min);
    let failing =
        !report.critical_uncovered().is_empty() || !report.broken_urls.is_empty() || below;
    if below {
        let _ = writeln!(
            std::io::stderr(),
            "mayday coverage: {:.1} % covered, under --min-coverage {}",
            report.percent(),
            ask.min_coverage.unwrap_or_default()
        );
    }
    Ok(if failing {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The alerting rules of a live Prometheus.
fn live_rules(url: &str) -> Result<Vec<AlertRule>, String> {
    let base: reqwest::Url = url
        .parse()
        .map_err(|e| format!("not a URL ({e}): write it as http://host:9090"))?;
    let source = crate::status::SourceConfig::new(
        "prometheus",
        crate::status::Spec::Prometheus { query: None },
        base,
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        let clients = crate::status::fetch::Clients::new()?;
        crate::status::fetch::rules(&source, &clients, crate::status::fetch::Options::default())
            .await
            .map_err(|e| e.to_string())
    })
}

fn place(file: &str, line: Option<u32>) -> String {
    match line {
        Some(l) => format!("{}:{l}", sanitize::line(file)),
        None => sanitize::line(file).into_owned(),
    }
}

fn text(out: &mut impl Write, r: &Report) -> std::io::Result<()> {
    let s = |t: &str| sanitize::line(t).into_owned();
    writeln!(
        out,
        "{} alerting rule(s), {} with a runbook ({:.1} %)",
        r.alerts,
        r.covered,
        r.percent()
    )?;
    for (sev, t) in &r.by_severity {
        writeln!(out, "  {:<10} {}/{}", s(sev), t.covered, t.alerts)?;
    }
    // Who answers for the covered alerts.
    let mut owners: std::collections::BTreeMap<&str, usize> = Default::default();
    for c in &r.covered_by {
        *owners
            .entry(c.owner.as_deref().unwrap_or("(no owner)"))
            .or_default() += 1;
    }
    if !owners.is_empty() {
        let list: Vec<String> = owners
            .iter()
            .map(|(o, n)| format!("{} {n}", s(o)))
            .collect();
        writeln!(
            out,
            "Runbook owners of the covered alerts: {}",
            list.join(", ")
        )?;
    }
    if !r.uncovered.is_empty() {
        writeln!(out, "\nNo runbook ({}):", r.uncovered.len())?;
        for u in &r.uncovered {
            writeln!(
                out,
                "  {}  {}  {}",
                place(&u.file, u.line),
                s(&u.alert),
                s(u.severity.as_deref().unwrap_or("(no severity)"))
            )?;
        }
    }
    if !r.broken_urls.is_empty() {
        writeln!(
            out,
            "\nrunbook_url naming no loaded runbook ({}):",
            r.broken_urls.len()
        )?;
        for b in &r.broken_urls {
            writeln!(
                out,
                "  {}  {}  {}",
                place(&b.file, b.line),
                s(&b.alert),
                s(&b.url)
            )?;
        }
    }
    let critical = r.critical_uncovered().len();
    if critical > 0 || !r.broken_urls.is_empty() {
        writeln!(
            out,
            "\nFailing: {critical} critical alert(s) without a runbook, {} broken runbook_url(s)",
            r.broken_urls.len()
        )?;
    }
    if !r.orphan_runbooks.is_empty() {
        writeln!(
            out,
            "\nRunbooks listing alerts no rule defines ({}):",
            r.orphan_runbooks.len()
        )?;
        for o in &r.orphan_runbooks {
            writeln!(
                out,
                "  {} ({}{}): {}",
                s(&o.runbook),
                s(&o.path),
                o.owner
                    .as_deref()
                    .map(|w| format!(", owner {}", s(w)))
                    .unwrap_or_default(),
                s(&o.alerts.join(", "))
            )?;
        }
    }
    Ok(())
}
