//! The postmortem's evidence: what each step's live queries showed, under
//! the step — the query, the window, a table of the values, a Mermaid
//! `xychart-beta` line chart for a range, or the log lines in a fenced
//! block. Labels, lines and comments are outside text and go through the
//! escapers like everything else.

use super::clock::Clock;
use super::escape::{cell, fenced, fenced_lines, prose, step_name};
use crate::incident::evidence::{Evidence, number};
use crate::incident::review::StepTime;
use crate::incident::{Event, EventKind};
use crate::status::parse::promql::{distinct_keys, series_label};
use crate::status::query::QueryLanguage;
use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

/// At most this many points on a chart's x axis (samples are averaged
/// into buckets).
pub(super) const CHART_POINTS: usize = 30;
/// At most this many lines on a chart.
pub(super) const CHART_LINES: usize = 6;
/// At most this many rows in a values table.
pub(super) const TABLE_ROWS: usize = 20;

/// `## Evidence`: every evidence record under its step, steps in the order
/// they were first entered. Nothing at all when no step had queries.
pub(super) fn section(
    o: &mut String,
    clock: &Clock<'_>,
    events: &[Event],
    steps: &[StepTime],
) -> fmt::Result {
    let mut by_step: Vec<(&str, Vec<&Event>)> = Vec::new();
    for e in events {
        if let EventKind::Evidence(ev) = &e.kind {
            match by_step.iter_mut().find(|(s, _)| *s == ev.step) {
                Some((_, list)) => list.push(e),
                None => by_step.push((&ev.step, vec![e])),
            }
        }
    }
    if by_step.is_empty() {
        return Ok(());
    }
    by_step.sort_by_key(|(id, _)| steps.iter().position(|s| s.id == *id).unwrap_or(usize::MAX));
    o.push_str("## Evidence\n\nWhat the steps' live queries showed, as the responders saw it.\n\n");
    for (id, list) in by_step {
        o.push_str("### ");
        match steps.iter().find(|s| s.id == id) {
            Some(s) => step_name(o, &s.title, &s.id),
            None => cell(o, id),
        }
        o.push_str("\n\n");
        for e in list {
            if let EventKind::Evidence(ev) = &e.kind {
                write(o, clock, e.at, ev)?;
            }
        }
    }
    Ok(())
}

/// One evidence record, as a `####` section.
pub(super) fn write(
    o: &mut String,
    clock: &Clock<'_>,
    at: jiff::Timestamp,
    e: &Evidence,
) -> fmt::Result {
    o.push_str("#### ");
    clock.time_elapsed(o, at)?;
    write!(o, " — {} on ", e.language)?;
    cell(o, &e.source);
    o.push_str("\n\n");
    if let Some(c) = &e.comment {
        o.push_str("> ");
        prose(o, c);
        o.push_str("\n\n");
    }
    fenced(o, e.language.as_str(), &e.query);
    if let Some(err) = &e.error {
        o.push_str("The query failed: ");
        cell(o, err);
        o.push_str("\n\n");
        return Ok(());
    }
    o.push_str("Window ");
    clock.time_elapsed(o, e.start)?;
    o.push_str(" to ");
    clock.time_elapsed(o, e.end)?;
    if e.step_seconds > 0 {
        write!(o, ", every {} s", e.step_seconds)?;
    }
    o.push_str(".\n\n");
    if e.language == QueryLanguage::Logql && e.series.is_empty() {
        lines(o, clock, e)?;
    } else {
        table(o, e)?;
        chart(o, clock, e)?;
    }
    if let Some(t) = &e.truncated {
        o.push_str("*Cut to size: ");
        cell(o, t);
        o.push_str(".*\n\n");
    }
    Ok(())
}

/// The labels that tell the series apart.
fn distinct(e: &Evidence) -> Vec<String> {
    let labels: Vec<&BTreeMap<String, String>> = e.series.iter().map(|s| &s.labels).collect();
    distinct_keys(&labels)
}

fn table(o: &mut String, e: &Evidence) -> fmt::Result {
    if e.series.is_empty() {
        o.push_str("No data: the query matched nothing in the window.\n\n");
        return Ok(());
    }
    let keys = distinct(e);
    o.push_str("| Series |");
    o.push_str(" Last | Min | Max |\n| --- | --- | --- | --- |\n");
    for s in e.series.iter().take(TABLE_ROWS) {
        o.push_str("| ");
        series_name(o, &s.labels, &keys);
        let finite: Vec<f64> = s.samples.iter().filter_map(|(_, v)| *v).collect();
        let show = |v: Option<f64>| v.map_or("—".to_owned(), number);
        let last = s.samples.last().and_then(|(_, v)| *v);
        let min = finite.iter().copied().reduce(f64::min);
        let max = finite.iter().copied().reduce(f64::max);
        writeln!(o, " | {} | {} | {} |", show(last), show(min), show(max))?;
    }
    if e.series.len() > TABLE_ROWS {
        writeln!(
            o,
            "\n{} more series are in the JSON export.",
            e.series.len() - TABLE_ROWS
        )?;
    }
    o.push('\n');
    Ok(())
}

fn series_name(o: &mut String, labels: &BTreeMap<String, String>, keys: &[String]) {
    cell(o, &series_label(labels, keys, ", "));
}

/// A Mermaid line chart of the first series, when the answer is a range.
fn chart(o: &mut String, clock: &Clock<'_>, e: &Evidence) -> fmt::Result {
    let drawn: Vec<_> = e
        .series
        .iter()
        .take(CHART_LINES)
        .filter(|s| s.samples.len() >= 2)
        .collect();
    if drawn.is_empty() {
        return Ok(());
    }
    let (t0, t1) = (e.start.as_second() as f64, e.end.as_second() as f64);
    if t1 <= t0 {
        return Ok(());
    }
    let width = (t1 - t0) / CHART_POINTS as f64;
    let bucket = |t: f64| (((t - t0) / width) as usize).min(CHART_POINTS - 1);
    let mut gaps = false;
    let mut lines = Vec::new();
    for s in &drawn {
        let mut sums = vec![(0.0f64, 0usize); CHART_POINTS];
        for (t, v) in &s.samples {
            if let Some(v) = v
                && *t >= t0
            {
                let b = &mut sums[bucket(*t)];
                b.0 += v;
                b.1 += 1;
            }
        }
        let mut prev: Option<f64> = None;
        let mut points = Vec::with_capacity(CHART_POINTS);
        for (sum, n) in sums {
            let v = if n > 0 {
                Some(sum / n as f64)
            } else {
                gaps = true;
                prev
            };
            prev = v.or(prev);
            points.push(v);
        }
        // Leading gaps take the first value there is.
        let first = points.iter().flatten().next().copied().unwrap_or(0.0);
        lines.push(
            points
                .into_iter()
                .map(|v| v.unwrap_or(first))
                .collect::<Vec<f64>>(),
        );
    }
    let (lo, hi) = lines
        .iter()
        .flatten()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(*v), hi.max(*v))
        });
    o.push_str("```mermaid\nxychart-beta\n    x-axis [");
    for i in 0..CHART_POINTS {
        if i > 0 {
            o.push_str(", ");
        }
        let at = e
            .start
            .checked_add(jiff::SignedDuration::from_secs_f64(width * i as f64))
            .unwrap_or(e.start);
        let (_, _, sod) = clock.local(at);
        write!(o, "\"{:02}:{:02}\"", sod / 3600, sod % 3600 / 60)?;
    }
    o.push_str("]\n");
    let pad = ((hi - lo) * 0.05).max(1e-9);
    let lo = if lo >= 0.0 {
        (lo - pad).max(0.0)
    } else {
        lo - pad
    };
    writeln!(o, "    y-axis {} --> {}", number(lo), number(hi + pad))?;
    for l in &lines {
        o.push_str("    line [");
        for (i, v) in l.iter().enumerate() {
            if i > 0 {
                o.push_str(", ");
            }
            o.push_str(&number(*v));
        }
        o.push_str("]\n");
    }
    o.push_str("```\n\n");
    let keys = distinct(e);
    if drawn.len() > 1 {
        o.push_str("Lines, in order: ");
        for (i, s) in drawn.iter().enumerate() {
            if i > 0 {
                o.push_str("; ");
            }
            series_name(o, &s.labels, &keys);
        }
        o.push_str(".\n\n");
    }
    if gaps {
        o.push_str("Gaps in the data are drawn at the value before them.\n\n");
    }
    Ok(())
}

fn lines(o: &mut String, clock: &Clock<'_>, e: &Evidence) -> fmt::Result {
    let n = e.count.unwrap_or(e.lines.len() as u64);
    writeln!(
        o,
        "{n} line{} matched; the newest {}:\n",
        if n == 1 { "" } else { "s" },
        e.lines.len()
    )?;
    if e.lines.is_empty() {
        return Ok(());
    }
    let shown: Vec<String> = e
        .lines
        .iter()
        .map(|l| {
            let (_, _, sod) = clock.local(l.at);
            let mut t = String::new();
            super::clock::Clock::hms(&mut t, sod);
            format!("{t} {}", l.line)
        })
        .collect();
    fenced_lines(o, "text", &shown);
    Ok(())
}
