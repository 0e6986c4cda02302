//! `mayday export ID --format md`: a postmortem draft in Markdown, in the
//! shape of the Google SRE and PagerDuty templates — facts, summary, impact,
//! detection, key durations, the sections a team fills in, then the record:
//! every event, time per step (with a Mermaid Gantt chart), each status
//! source's states, every command with its output, the notes and, for game
//! days, the score card.
//!
//! Everything that comes from the log is outside text (notes, command text
//! and output, summaries, step titles, responder names, variable values,
//! status summaries). Each piece goes through [`crate::util::sanitize`] first and
//! then through the escaper for where it lands, so it can never add a
//! heading, a table cell, an HTML tag or a link, nor close a code fence:
//!
//! * [`cell`]: table cells and single-line places (list items, headings):
//!   Markdown-active characters are backslash-escaped, `<`, `>` and `&`
//!   become entities, newlines become `<br>`.
//! * [`prose`]: multi-line paragraphs: the same, and each line's start is
//!   neutralized (indentation dropped; a leading `-`, `+`, `=` or `1.` is
//!   escaped).
//! * [`fenced`]: code blocks, with a fence longer than any backtick run in
//!   the text.
//! * [`mermaid_text`]: Mermaid task names.
//!
//! The document is written into one `String` with `write!`; the escapers
//! copy runs of plain bytes in one go, and times are computed from the
//! offset of each timestamp, with the date formatted only when it changes.

use crate::incident::review::{self, Stats, StepEnd, StepTime};
use crate::incident::{CommandRecord, Event, EventKind, Incident};
use crate::runbook::Runbook;
use crate::status::health::Health;
use crate::util::sanitize;
use jiff::Timestamp;
use jiff::tz::{Offset, TimeZone};
use std::cell::Cell;
use std::collections::HashMap;
use std::fmt::{self, Write as _};

/// The postmortem draft of an incident. `stats` is [`review::stats`] of
/// `events`; `runbook` (the copy saved with the incident) lists the steps
/// that were never reached; times are shown in `tz`.
pub fn markdown(
    inc: &Incident,
    events: &[Event],
    stats: &Stats,
    runbook: Option<&Runbook>,
    tz: &TimeZone,
) -> String {
    // About 150 bytes an event (timeline row, commands, notes, chart).
    let mut out = String::with_capacity(8192 + events.len() * 160);
    let mut doc = Doc {
        out: &mut out,
        clock: Clock::new(tz, stats.started_at),
        inc,
        events,
        stats,
        runbook,
    };
    // Writing into a String cannot fail.
    let _ = doc.write_all();
    out
}

struct Doc<'a> {
    out: &'a mut String,
    clock: Clock<'a>,
    inc: &'a Incident,
    events: &'a [Event],
    stats: &'a Stats,
    runbook: Option<&'a Runbook>,
}

const PLACEHOLDER_SUMMARY: &str =
    "<!-- Two or three sentences: what happened, who was affected, how it was fixed. -->";
const PLACEHOLDER_IMPACT: &str =
    "<!-- Who and what was affected, and how badly: users, requests, data, revenue, SLOs. -->";
const PLACEHOLDER_DETECTION: &str =
    "<!-- How did we find out (alert, customer, colleague)? Could we have known sooner? -->";
const PLACEHOLDER_ROOT_CAUSE: &str =
    "<!-- What caused it, and why it was possible (ask \"why?\" until it is useful). -->";
const PLACEHOLDER_WELL: &str = "<!-- What helped: tooling, runbook steps, people, luck. -->";
const PLACEHOLDER_BADLY: &str =
    "<!-- What slowed us down or made it worse; where the runbook was wrong or missing. -->";

impl Doc<'_> {
    fn write_all(&mut self) -> fmt::Result {
        self.header()?;
        self.summary()?;
        self.impact()?;
        self.detection()?;
        self.key_durations()?;
        self.score_card()?;
        self.fill_in()?;
        self.timeline()?;
        self.steps()?;
        self.status()?;
        self.commands()?;
        self.notes()
    }

    fn header(&mut self) -> fmt::Result {
        let inc = self.inc;
        let stats = self.stats;
        let o = &mut *self.out;
        o.push_str("# Postmortem: ");
        line(o, &inc.runbook_title);
        o.push_str(" (");
        line(o, &inc.id);
        o.push_str(")\n\n");
        if inc.rehearsal {
            o.push_str("> **Rehearsal** — game day");
            if let Some(s) = inc.scenario.as_deref().filter(|s| !s.is_empty()) {
                o.push_str(" “");
                line(o, s);
                o.push('”');
            }
            o.push_str("; nothing was executed (every command was a dry run).\n\n");
        } else if inc.dry_run {
            o.push_str("> **Dry run**: commands were shown and logged, none was executed.\n\n");
        }
        o.push_str("*A draft written by `mayday export --format md` from the incident log. Fill in the commented sections; the record below them is the log.* ");
        self.clock.tz_note(o)?;
        o.push_str("\n\n");

        o.push_str("- **Status:** ");
        o.push_str(inc.phase.as_str());
        o.push_str("\n- **Severity:** ");
        write!(o, "{} ({})", inc.severity, inc.severity.sev())?;
        if let Some(Event {
            kind: EventKind::IncidentStarted { severity, .. },
            ..
        }) = self.events.first()
            && *severity != inc.severity
        {
            write!(o, ", {} ({}) at the start", severity, severity.sev())?;
        }
        o.push_str("\n- **Responders:** ");
        for (i, r) in inc.responders.iter().enumerate() {
            if i > 0 {
                o.push_str(", ");
            }
            cell(o, r);
        }
        o.push_str("\n- **Runbook:** ");
        cell(o, &inc.runbook_id);
        if !inc.runbook_hash.is_empty() {
            o.push_str(", version ");
            let hash = &inc.runbook_hash;
            let prefix = hash.get(..12).unwrap_or(hash.as_str());
            cell(o, prefix);
        }
        o.push_str("\n- **Started:** ");
        self.clock.datetime(o, stats.started_at)?;
        o.push_str("\n- **Mitigated:** ");
        self.clock.moment(o, inc.mitigated_at)?;
        o.push_str("\n- **Resolved:** ");
        self.clock.moment(o, inc.resolved_at)?;
        o.push_str("\n- **Impact window:** ");
        self.impact_window()?;
        let o = &mut *self.out;
        write!(o, "\n- **Rehearsal:** {}", inc.rehearsal)?;
        if inc.rehearsal
            && let Some(s) = inc.scenario.as_deref()
        {
            o.push_str(" (scenario: ");
            cell(o, s);
            o.push(')');
        }
        if inc.dry_run {
            o.push_str("\n- **Dry run:** true");
        }
        if !inc.variables.is_empty() {
            o.push_str("\n- **Variables:** ");
            for (i, (k, v)) in inc.variables.iter().enumerate() {
                if i > 0 {
                    o.push_str(", ");
                }
                cell(o, k);
                o.push_str(" = ");
                cell(o, v);
            }
        }
        write!(o, "\n- **Events in the log:** {}\n\n", self.events.len())
    }

    /// `03:00:00 → 03:45:10 (45m10s)`, or up to the last event when open.
    fn impact_window(&mut self) -> fmt::Result {
        let stats = self.stats;
        let o = &mut *self.out;
        self.clock.datetime(o, stats.started_at)?;
        o.push_str(" → ");
        match self.inc.resolved_at {
            Some(at) => {
                self.clock.datetime(o, at)?;
                write!(
                    o,
                    " ({})",
                    review::fmt_duration(at.duration_since(stats.started_at))
                )
            }
            None => {
                o.push_str("not resolved (");
                o.push_str(&review::fmt_duration(stats.duration()));
                o.push_str(" to the last event, ");
                self.clock.datetime(o, stats.ended_at)?;
                o.push(')');
                Ok(())
            }
        }
    }

    fn summary(&mut self) -> fmt::Result {
        let o = &mut *self.out;
        o.push_str("## Summary\n\n");
        match self.inc.summary.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(s) => {
                prose(o, s);
                o.push_str("\n\n");
                o.push_str(PLACEHOLDER_SUMMARY);
            }
            None => o.push_str(PLACEHOLDER_SUMMARY),
        }
        o.push_str("\n\n");
        Ok(())
    }

    fn impact(&mut self) -> fmt::Result {
        self.out.push_str("## Impact\n\n");
        self.out.push_str(PLACEHOLDER_IMPACT);
        self.out.push_str("\n\nImpact window: ");
        self.impact_window()?;
        self.out.push_str("\n\n");
        Ok(())
    }

    /// How it started: the first event, status changes before the first
    /// step, and the sources that were not up by then.
    fn detection(&mut self) -> fmt::Result {
        const MAX_ROWS: usize = 20;
        let o = &mut *self.out;
        o.push_str("## Detection\n\n");
        o.push_str(PLACEHOLDER_DETECTION);
        o.push_str("\n\n");
        let mut rows = 0;
        let mut more = 0;
        let mut first_step: Option<&Event> = None;
        // Each source's latest state before the first step.
        let mut before: Vec<(&str, Health, &str)> = Vec::new();
        for (i, e) in self.events.iter().enumerate() {
            // Sources logged as the incident opened share the first step's
            // time: they are part of how it was detected.
            if first_step.is_some_and(|f| e.at > f.at) {
                break;
            }
            match &e.kind {
                EventKind::StepEntered { .. } => {
                    first_step.get_or_insert(e);
                    continue;
                }
                EventKind::StatusChanged {
                    source,
                    to,
                    summary,
                    ..
                } => {
                    let now = (source.as_str(), *to, summary.as_str());
                    match before.iter_mut().find(|b| b.0 == now.0) {
                        Some(b) => *b = now,
                        None => before.push(now),
                    }
                }
                _ if i > 0 => continue,
                _ => {}
            }
            if rows < MAX_ROWS {
                rows += 1;
                o.push_str("- ");
                self.clock.time_elapsed(o, e.at)?;
                o.push_str(" — ");
                cell(o, &e.kind.describe());
                o.push('\n');
            } else {
                more += 1;
            }
        }
        if more > 0 {
            writeln!(o, "- … and {more} more status change(s)")?;
        }
        if let Some(e) = first_step {
            o.push_str("- ");
            self.clock.time_elapsed(o, e.at)?;
            o.push_str(" — first ");
            cell(o, &e.kind.describe());
            o.push('\n');
        }
        let not_up: Vec<_> = before.iter().filter(|b| b.1 != Health::Up).collect();
        if !not_up.is_empty() {
            o.push_str("\nNot up when work on the runbook began: ");
            for (i, (source, state, summary)) in not_up.into_iter().enumerate() {
                if i > 0 {
                    o.push_str("; ");
                }
                o.push_str("**");
                cell(o, source);
                write!(o, "** {state}")?;
                if !summary.is_empty() {
                    o.push_str(" (");
                    cell(o, summary);
                    o.push(')');
                }
            }
            o.push('\n');
        }
        o.push('\n');
        Ok(())
    }

    fn key_durations(&mut self) -> fmt::Result {
        let s = self.stats;
        let c = &s.counts;
        let o = &mut *self.out;
        o.push_str("## Key durations\n\n| Measure | Value |\n| --- | --- |\n");
        for (label, d) in s.key_durations() {
            let mut label = label.to_owned();
            if let Some(first) = label.get_mut(..1) {
                first.make_ascii_uppercase();
            }
            write!(o, "| {label} | ")?;
            match d {
                Some(d) => o.push_str(&review::fmt_duration(d)),
                None => o.push('—'),
            }
            o.push_str(" |\n");
        }
        write!(
            o,
            "| Duration{} | {} |\n\
             | Steps done / skipped | {} / {} |\n\
             | Decisions taken | {} |\n\
             | Commands run / failed | {} / {} |\n\
             | Dry runs | {} |\n\
             | Notes | {} |\n\
             | Status changes | {} |\n\
             | Verify conditions met | {} |\n",
            if s.resolved { "" } else { " (so far)" },
            review::fmt_duration(s.duration()),
            c.steps_done,
            c.steps_skipped,
            c.decisions,
            c.commands,
            c.commands_failed,
            c.dry_runs,
            c.notes,
            c.status_changes,
            c.verify_met,
        )?;
        if c.injected > 0 {
            writeln!(o, "| Game-day injections | {} |", c.injected)?;
        }
        o.push('\n');
        Ok(())
    }

    fn score_card(&mut self) -> fmt::Result {
        let Some((scenario, lines)) = &self.inc.score_card else {
            return Ok(());
        };
        let o = &mut *self.out;
        o.push_str("## Score card\n\nScenario: ");
        cell(o, scenario);
        o.push_str("\n\n| Measure | Value | Target | Met |\n| --- | --- | --- | --- |\n");
        for l in lines {
            o.push_str("| ");
            cell(o, &l.label);
            o.push_str(" | ");
            cell(o, &l.value);
            o.push_str(" | ");
            match &l.target {
                Some(t) => cell(o, t),
                None => o.push('—'),
            }
            o.push_str(match l.met {
                Some(true) => " | ✓ |\n",
                Some(false) => " | ✗ |\n",
                None => " | — |\n",
            });
        }
        o.push('\n');
        Ok(())
    }

    fn fill_in(&mut self) -> fmt::Result {
        let o = &mut *self.out;
        for (heading, placeholder) in [
            ("Root cause", PLACEHOLDER_ROOT_CAUSE),
            ("What went well", PLACEHOLDER_WELL),
            ("What went badly", PLACEHOLDER_BADLY),
        ] {
            write!(o, "## {heading}\n\n{placeholder}\n\n")?;
        }
        o.push_str(
            "## Action items\n\n| Action | Owner | Due |\n| --- | --- | --- |\n|  |  |  |\n\n",
        );
        Ok(())
    }

    /// One row per event, in log order.
    fn timeline(&mut self) -> fmt::Result {
        let o = &mut *self.out;
        o.push_str("## Timeline\n\n| Time | Elapsed | Event |\n| --- | --- | --- |\n");
        self.clock.last_day = None;
        for e in self.events {
            o.push_str("| ");
            self.clock.time_or_datetime(o, e.at)?;
            o.push_str(" | ");
            self.clock.elapsed(o, e.at)?;
            o.push_str(" | ");
            cell(o, &e.kind.describe());
            o.push_str(" |\n");
        }
        o.push('\n');
        Ok(())
    }

    fn steps(&mut self) -> fmt::Result {
        let stats = self.stats;
        let o = &mut *self.out;
        o.push_str("## Time per step\n\n");
        if stats.steps.is_empty() {
            o.push_str("No step was entered.\n\n");
            return Ok(());
        }
        o.push_str("| Step | Kind | Time | Outcome |\n| --- | --- | --- | --- |\n");
        for s in &stats.steps {
            o.push_str("| ");
            step_name(o, s);
            write!(
                o,
                " | {} | {}",
                s.kind.as_str(),
                review::fmt_duration(s.total())
            )?;
            if s.spans.len() > 1 {
                write!(o, " ({} visits)", s.spans.len())?;
            }
            o.push_str(" | ");
            match s.end {
                StepEnd::Done => o.push_str("done"),
                StepEnd::Open => o.push_str("not finished"),
                StepEnd::Skipped => {
                    o.push_str("skipped");
                    if let Some(reason) = self
                        .inc
                        .steps
                        .get(&s.id)
                        .and_then(|p| p.skip_reason.as_deref())
                        .filter(|r| !r.is_empty())
                    {
                        o.push_str(": ");
                        cell(o, reason);
                    }
                }
            }
            o.push_str(" |\n");
        }
        if let Some(rb) = self.runbook {
            for step in &rb.steps {
                if !self.inc.steps.contains_key(&step.id) {
                    o.push_str("| ");
                    cell(o, &step.title);
                    o.push_str(" (");
                    cell(o, &step.id);
                    writeln!(o, ") | {} | — | not reached |", step.kind.as_str())?;
                }
            }
        }
        o.push('\n');
        self.gantt()
    }

    /// A Mermaid Gantt chart: one task per span a step was current, tagged
    /// `done` (done), `crit` (skipped) or `active` (not finished), and
    /// milestones for mitigated and resolved.
    fn gantt(&mut self) -> fmt::Result {
        let o = &mut *self.out;
        o.push_str(
            "```mermaid\ngantt\n    title Time per step\n    dateFormat YYYY-MM-DDTHH:mm:ss\n    axisFormat %H:%M\n    section Steps\n",
        );
        for s in &self.stats.steps {
            let tag = match s.end {
                StepEnd::Done => "done",
                StepEnd::Skipped => "crit",
                StepEnd::Open => "active",
            };
            for &(from, to) in &s.spans {
                o.push_str("    ");
                let name = if s.title.trim().is_empty() {
                    &s.id
                } else {
                    &s.title
                };
                mermaid_text(o, name);
                write!(o, " :{tag}, ")?;
                self.clock.iso(o, from)?;
                o.push_str(", ");
                self.clock.iso(o, to.max(from))?;
                o.push('\n');
            }
        }
        if self.inc.mitigated_at.is_some() || self.inc.resolved_at.is_some() {
            o.push_str("    section Milestones\n");
            for (label, at) in [
                ("Mitigated", self.inc.mitigated_at),
                ("Resolved", self.inc.resolved_at),
            ] {
                if let Some(at) = at {
                    write!(o, "    {label} :milestone, ")?;
                    self.clock.iso(o, at)?;
                    o.push_str(", 0s\n");
                }
            }
        }
        o.push_str("```\n\n");
        Ok(())
    }

    fn status(&mut self) -> fmt::Result {
        let o = &mut *self.out;
        o.push_str("## Status during the incident\n\n");
        if self.stats.sources.is_empty() {
            o.push_str("No status source changed state.\n\n");
            return Ok(());
        }
        o.push_str("| Source | State | From | To | Duration |\n| --- | --- | --- | --- | --- |\n");
        self.clock.last_day = None;
        for src in &self.stats.sources {
            for &(from, to, state) in &src.segments {
                o.push_str("| ");
                cell(o, &src.name);
                write!(o, " | {state} | ")?;
                self.clock.time_or_datetime(o, from)?;
                o.push_str(" | ");
                self.clock.time_or_datetime(o, to)?;
                writeln!(o, " | {} |", review::fmt_duration(to.duration_since(from)))?;
            }
        }
        o.push('\n');
        Ok(())
    }

    fn commands(&mut self) -> fmt::Result {
        let titles: HashMap<&str, &str> = self
            .stats
            .steps
            .iter()
            .map(|s| (s.id.as_str(), s.title.as_str()))
            .collect();
        let o = &mut *self.out;
        o.push_str("## Commands\n\n");
        if self.inc.commands.is_empty() {
            o.push_str("No command was run.\n\n");
            return Ok(());
        }
        for (n, c) in self.inc.commands.iter().enumerate() {
            writeln!(o, "### Command {} — {}\n", n + 1, outcome(c))?;
            o.push_str("Step: ");
            match titles.get(c.step.as_str()) {
                Some(title) if !title.is_empty() => {
                    cell(o, title);
                    o.push_str(" (");
                    cell(o, &c.step);
                    o.push(')');
                }
                _ => cell(o, &c.step),
            }
            o.push_str(" · requested ");
            self.clock.time_elapsed(o, c.requested_at)?;
            if let Some(r) = c.finished.as_ref().filter(|_| !c.dry_run) {
                write!(
                    o,
                    " · took {}",
                    crate::util::duration::format(std::time::Duration::from_millis(r.duration_ms))
                )?;
            }
            o.push_str("\n\n");
            fenced(o, "sh", &c.text);
            if let Some(r) = c.finished.as_ref().filter(|r| !r.output_tail.is_empty()) {
                writeln!(o, "Output (last {} line(s)):\n", r.output_tail.len())?;
                fenced_lines(o, "text", &r.output_tail);
            }
        }
        Ok(())
    }

    fn notes(&mut self) -> fmt::Result {
        let o = &mut *self.out;
        o.push_str("## Notes\n\n");
        let mut any = false;
        for e in self.events {
            if let EventKind::Note {
                text,
                status_update,
            } = &e.kind
            {
                any = true;
                o.push_str("- ");
                self.clock.time_elapsed(o, e.at)?;
                o.push_str(if *status_update {
                    " — **status update:** "
                } else {
                    " — "
                });
                cell(o, text);
                o.push('\n');
            }
        }
        if !any {
            o.push_str("No notes were taken.\n");
        }
        Ok(())
    }
}

/// `Title (id)` for a step, escaped for a cell.
fn step_name(o: &mut String, s: &StepTime) {
    if s.title.is_empty() {
        cell(o, &s.id);
    } else {
        cell(o, &s.title);
        o.push_str(" (");
        cell(o, &s.id);
        o.push(')');
    }
}

/// How a command ended, in a few words (no outside text).
fn outcome(c: &CommandRecord) -> String {
    if c.confirmed == Some(false) {
        return "declined, not run".into();
    }
    if c.dry_run {
        return "dry run, nothing executed".into();
    }
    match &c.finished {
        None => "no result recorded".into(),
        Some(r) if r.abandoned_at_quit => "abandoned at quit (stopped)".into(),
        Some(r) if r.timed_out => "timed out".into(),
        Some(r) if r.cancelled => "cancelled".into(),
        Some(r) => match (r.exit_code, r.signal) {
            (Some(code), _) if r.succeeded() && code == 0 => "exit 0".into(),
            (Some(code), _) if r.succeeded() => format!("exit {code} (declared ok)"),
            (Some(code), _) => match r.failed_line {
                Some(line) => format!("failed, exit {code} at line {line}"),
                None => format!("failed, exit {code}"),
            },
            (None, Some(sig)) => format!("killed by signal {sig}"),
            (None, None) => "finished".into(),
        },
    }
}

/// Local times, computed from each timestamp's offset in the time zone
/// and plain arithmetic. The offset is cached with the span it holds for
/// (up to the zone's next transition), so a log in order costs one zone
/// lookup per transition, not per event; the date is formatted only when
/// it changes.
struct Clock<'a> {
    tz: &'a TimeZone,
    start: Timestamp,
    last_day: Option<i64>,
    /// (valid from, valid until, offset).
    cache: Cell<Option<(Timestamp, Option<Timestamp>, Offset)>>,
    /// The last date written, by local day number.
    day_text: Cell<Option<(i64, [u8; 10])>>,
}

impl<'a> Clock<'a> {
    fn new(tz: &'a TimeZone, start: Timestamp) -> Self {
        Clock {
            tz,
            start,
            last_day: None,
            cache: Cell::new(None),
            day_text: Cell::new(None),
        }
    }

    fn offset(&self, at: Timestamp) -> Offset {
        if let Some((from, until, off)) = self.cache.get()
            && from <= at
            && until.is_none_or(|u| at < u)
        {
            return off;
        }
        let off = self.tz.to_offset(at);
        let until = self.tz.following(at).next().map(|t| t.timestamp());
        self.cache.set(Some((at, until, off)));
        off
    }

    /// (offset, day number, second of the day) in local time.
    fn local(&self, at: Timestamp) -> (Offset, i64, i64) {
        let off = self.offset(at);
        let secs = at.as_second() + i64::from(off.seconds());
        (off, secs.div_euclid(86_400), secs.rem_euclid(86_400))
    }

    fn tz_note(&self, o: &mut String) -> fmt::Result {
        o.push_str("Times are in ");
        match self.tz.iana_name() {
            Some(name) => line(o, name),
            None => o.push_str("local time"),
        }
        o.push_str(" (UTC");
        push_offset(o, self.offset(self.start))?;
        o.push_str(" at the start).");
        Ok(())
    }

    /// `HH:MM:SS`.
    fn hms(o: &mut String, sod: i64) {
        let sod = sod.unsigned_abs();
        push2(o, sod / 3600);
        o.push(':');
        push2(o, sod / 60 % 60);
        o.push(':');
        push2(o, sod % 60);
    }

    /// `YYYY-MM-DD` of local day number `day` (cached: dates repeat).
    fn date(&self, o: &mut String, off: Offset, at: Timestamp, day: i64) {
        if let Some((d, text)) = self.day_text.get()
            && d == day
        {
            o.push_str(std::str::from_utf8(&text).unwrap_or_default());
            return;
        }
        let start = o.len();
        let d = off.to_datetime(at);
        let _ = write!(o, "{:04}-{:02}-{:02}", d.year(), d.month(), d.day());
        if let Ok(text) = <[u8; 10]>::try_from(&o.as_bytes()[start..]) {
            self.day_text.set(Some((day, text)));
        }
    }

    /// `2026-11-23 03:04:05`.
    fn datetime(&self, o: &mut String, at: Timestamp) -> fmt::Result {
        let (off, day, sod) = self.local(at);
        self.date(o, off, at, day);
        o.push(' ');
        Self::hms(o, sod);
        Ok(())
    }

    /// `2026-11-23 03:04:05` on the first call and when the date changes,
    /// else `03:04:05`.
    fn time_or_datetime(&mut self, o: &mut String, at: Timestamp) -> fmt::Result {
        let (off, day, sod) = self.local(at);
        if self.last_day != Some(day) {
            self.last_day = Some(day);
            self.date(o, off, at, day);
            o.push(' ');
        }
        Self::hms(o, sod);
        Ok(())
    }

    /// `T+01:02:03` since the start.
    fn elapsed(&self, o: &mut String, at: Timestamp) -> fmt::Result {
        let secs = at.duration_since(self.start).as_secs();
        o.push_str(if secs < 0 { "T-" } else { "T+" });
        let s = secs.unsigned_abs();
        let h = s / 3600;
        if h < 100 {
            push2(o, h);
        } else {
            write!(o, "{h}")?;
        }
        o.push(':');
        push2(o, s / 60 % 60);
        o.push(':');
        push2(o, s % 60);
        Ok(())
    }

    /// `03:04:05 (T+00:04:05)`.
    fn time_elapsed(&self, o: &mut String, at: Timestamp) -> fmt::Result {
        let (_, _, sod) = self.local(at);
        Self::hms(o, sod);
        o.push_str(" (");
        self.elapsed(o, at)?;
        o.push(')');
        Ok(())
    }

    /// A full date and time, or `—`.
    fn moment(&self, o: &mut String, at: Option<Timestamp>) -> fmt::Result {
        match at {
            Some(at) => {
                self.datetime(o, at)?;
                o.push_str(" (");
                self.elapsed(o, at)?;
                o.push(')');
                Ok(())
            }
            None => {
                o.push('—');
                Ok(())
            }
        }
    }

    /// `2026-11-23T03:04:05`, Mermaid's `dateFormat YYYY-MM-DDTHH:mm:ss`.
    fn iso(&self, o: &mut String, at: Timestamp) -> fmt::Result {
        let (off, day, sod) = self.local(at);
        self.date(o, off, at, day);
        o.push('T');
        Self::hms(o, sod);
        Ok(())
    }
}

/// Two decimal digits (`n` < 100).
fn push2(o: &mut String, n: u64) {
    let n = (n % 100) as u8;
    o.push(char::from(b'0' + n / 10));
    o.push(char::from(b'0' + n % 10));
}

/// `+01:00`, `-05:30`.
fn push_offset(o: &mut String, off: Offset) -> fmt::Result {
    let s = off.seconds();
    let sign = if s < 0 { '-' } else { '+' };
    let a = s.unsigned_abs();
    write!(o, "{sign}{:02}:{:02}", a / 3600, a / 60 % 60)
}

// ---------------------------------------------------------------------------
// Escaping

/// Bytes that mean something to Markdown (or HTML) inline. All ASCII, so a
/// run of other bytes can be copied as it is without splitting a character.
const fn special_bytes() -> [bool; 256] {
    let mut t = [false; 256];
    let specials = b"\\`*_[]<>&#|~$\n\r";
    let mut i = 0;
    while i < specials.len() {
        t[specials[i] as usize] = true;
        i += 1;
    }
    t
}

static SPECIAL: [bool; 256] = special_bytes();

/// Escape sanitized text inline; `newline` replaces `\n`.
fn escape_inline(o: &mut String, s: &str, newline: &str) {
    let bytes = s.as_bytes();
    // Fast path: nothing to escape (the usual case) is one copy.
    let Some(first) = bytes.iter().position(|&b| SPECIAL[usize::from(b)]) else {
        o.push_str(s);
        return;
    };
    o.reserve(s.len() + 8);
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate().skip(first) {
        if !SPECIAL[usize::from(b)] {
            continue;
        }
        o.push_str(&s[start..i]);
        match b {
            b'<' => o.push_str("&lt;"),
            b'>' => o.push_str("&gt;"),
            b'&' => o.push_str("&amp;"),
            b'\n' => o.push_str(newline),
            // The sanitizer leaves none; a stray one is dropped.
            b'\r' => {}
            _ => {
                o.push('\\');
                o.push(char::from(b));
            }
        }
        start = i + 1;
    }
    o.push_str(&s[start..]);
}

/// Outside text in a table cell or any single-line place (a list item, a
/// heading, after a label): sanitized, Markdown-active characters escaped,
/// `|` escaped, newlines turned into `<br>`.
pub fn cell(o: &mut String, text: &str) {
    escape_inline(o, &sanitize::text(text), "<br>");
}

/// Like [`cell`] for text that must stay on one line without `<br>`
/// (headings, the title): newlines and tabs become spaces.
pub fn line(o: &mut String, text: &str) {
    escape_inline(o, &sanitize::line(text), " ");
}

/// Outside text as one or more paragraphs: each line escaped like a
/// [`cell`] and its start neutralized, so no line can begin a heading, a
/// list, a quote, a code block, a table or a setext underline.
pub fn prose(o: &mut String, text: &str) {
    let clean = sanitize::text(text);
    for (i, l) in clean.split('\n').enumerate() {
        if i > 0 {
            o.push('\n');
        }
        let l = l.trim_start_matches([' ', '\t']);
        let bytes = l.as_bytes();
        let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
        let rest = match bytes.first() {
            Some(b'-' | b'+' | b'=') => {
                o.push('\\');
                l
            }
            Some(b'0'..=b'9') if matches!(bytes.get(digits), Some(b'.' | b')')) => {
                o.push_str(&l[..digits]);
                o.push('\\');
                &l[digits..]
            }
            _ => l,
        };
        escape_inline(o, rest, " ");
    }
}

/// The fence for `text`: backticks, one more than its longest run, at
/// least three.
pub fn fence_len(text: &str) -> usize {
    let b = text.as_bytes();
    let mut longest = 0;
    let mut i = 0;
    while let Some(p) = memchr::memchr(b'`', &b[i..]) {
        let start = i + p;
        let run = b[start..].iter().take_while(|&&c| c == b'`').count();
        longest = longest.max(run);
        i = start + run;
    }
    (longest + 1).max(3)
}

/// Outside text as a fenced code block (`info` is ours: `sh`, `text`).
pub fn fenced(o: &mut String, info: &str, text: &str) {
    fenced_lines(o, info, &[text]);
}

/// Lines of outside text as one fenced code block, with a fence longer
/// than any run of backticks in them. Trailing empty lines are dropped.
pub fn fenced_lines<S: AsRef<str>>(o: &mut String, info: &str, lines: &[S]) {
    let n = lines
        .iter()
        .map(|l| fence_len(&sanitize::text(l.as_ref())))
        .max()
        .unwrap_or(3);
    let fence = |o: &mut String| (0..n).for_each(|_| o.push('`'));
    fence(o);
    o.push_str(info);
    o.push('\n');
    let start = o.len();
    for (i, l) in lines.iter().enumerate() {
        if i > 0 {
            o.push('\n');
        }
        o.push_str(&sanitize::text(l.as_ref()));
    }
    let kept = o[start..].trim_end_matches('\n').len();
    o.truncate(start + kept);
    o.push('\n');
    fence(o);
    o.push_str("\n\n");
}

/// Words that start a statement in a Mermaid Gantt chart (its lexer is
/// case-insensitive): a task named like this would be read as one.
const MERMAID_KEYWORDS: &[&str] = &[
    "gantt",
    "title",
    "section",
    "dateformat",
    "axisformat",
    "tickinterval",
    "includes",
    "excludes",
    "todaymarker",
    "weekday",
    "weekend",
    "inclusiveenddates",
    "topaxis",
    "acctitle",
    "accdescr",
    "click",
    "call",
    "href",
    "displaymode",
];

/// Outside text as a Mermaid task name: characters Mermaid reads as syntax
/// (`:` ends the name, `;` and newlines end the statement, `#` and `%`
/// start entities and comments, and HTML and Markdown characters) become
/// spaces; runs of spaces collapse; a name that would read as a keyword
/// gets a `step ` prefix.
pub fn mermaid_text(o: &mut String, text: &str) {
    let clean = sanitize::line(text);
    let start = o.len();
    let mut space = true; // drops leading spaces
    for c in clean.chars() {
        let c = match c {
            ':' | ';' | '#' | '%' | '`' | '<' | '>' | '&' | '"' | '\'' | '\\' | '|' | '{' | '}'
            | '[' | ']' | '*' | '_' | '~' | '$' => ' ',
            c if c.is_whitespace() => ' ',
            c => c,
        };
        if c == ' ' {
            if !space {
                o.push(' ');
            }
            space = true;
        } else {
            o.push(c);
            space = false;
        }
    }
    if o.ends_with(' ') && o.len() > start {
        o.pop();
    }
    if o.len() == start {
        o.push_str("step");
        return;
    }
    let name = o[start..].to_ascii_lowercase();
    if MERMAID_KEYWORDS.iter().any(|k| name.starts_with(k)) {
        o.insert_str(start, "step ");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use pulldown_cmark::{Event as Md, Options, Parser, Tag, TagEnd};

    fn s(f: fn(&mut String, &str), text: &str) -> String {
        let mut o = String::new();
        f(&mut o, text);
        o
    }

    fn opts() -> Options {
        Options::ENABLE_TABLES
            | Options::ENABLE_STRIKETHROUGH
            | Options::ENABLE_TASKLISTS
            | Options::ENABLE_FOOTNOTES
    }

    const HOSTILE: &str = "| x |\n## Root cause\n<script>alert(1)</script> ``` [link](javascript:x) *em* _u_ ~~s~~ &lt; \\ $x$";

    #[test]
    fn cells_escape_markdown_and_html() {
        assert_eq!(s(cell, "plain text, ok."), "plain text, ok.");
        assert_eq!(
            s(cell, HOSTILE),
            "\\| x \\|<br>\\#\\# Root cause<br>&lt;script&gt;alert(1)&lt;/script&gt; \\`\\`\\` \\[link\\](javascript:x) \\*em\\* \\_u\\_ \\~\\~s\\~\\~ &amp;lt; \\\\ \\$x\\$"
        );
        assert_eq!(s(cell, "a\u{1b}[2Jb"), "a^\\[\\[2Jb");
        assert_eq!(s(line, "a\nb"), "a b");
    }

    #[test]
    fn prose_neutralizes_line_starts() {
        assert_eq!(
            s(prose, "- a\n+ b\n1. c\n10) d\n    code\n===\n> q\n# h"),
            "\\- a\n\\+ b\n1\\. c\n10\\) d\ncode\n\\===\n&gt; q\n\\# h"
        );
        assert_eq!(s(prose, "2026 was fine"), "2026 was fine");
    }

    #[test]
    fn fences_outgrow_the_text() {
        assert_eq!(fence_len("no ticks"), 3);
        assert_eq!(fence_len("a ``` b ```` c"), 5);
        let out = s(|o, t| fenced(o, "sh", t), "echo ````\n");
        assert_eq!(out, "`````sh\necho ````\n`````\n\n");
    }

    #[test]
    fn mermaid_names_lose_syntax() {
        assert_eq!(
            s(mermaid_text, "Fail over: primary #1; now"),
            "Fail over primary 1 now"
        );
        assert_eq!(s(mermaid_text, "section B"), "step section B");
        assert_eq!(s(mermaid_text, " :: "), "step");
        assert_eq!(s(mermaid_text, "a\nb"), "a b");
    }

    /// Local times across a daylight-saving change and midnight, in order
    /// and out of order (the offset cache must never serve a stale offset).
    #[test]
    fn the_clock_follows_offset_changes() {
        let tz = TimeZone::posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap();
        // 2026-10-25 00:59:58 UTC is 02:59:58 CEST; 01:00:00 UTC is 02:00:00 CET.
        let base: Timestamp = "2026-10-25T00:59:58Z".parse().unwrap();
        let mut clock = Clock::new(&tz, base);
        let mut o = String::new();
        for secs in [0, 1, 2, 3, 0, 3, 79_200, 79_202, -86_400] {
            let at = base + jiff::SignedDuration::from_secs(secs);
            clock.time_or_datetime(&mut o, at).unwrap();
            o.push(' ');
            clock.elapsed(&mut o, at).unwrap();
            o.push(' ');
            clock.iso(&mut o, at).unwrap();
            o.push('\n');
        }
        assert_eq!(
            o,
            "2026-10-25 02:59:58 T+00:00:00 2026-10-25T02:59:58\n\
             02:59:59 T+00:00:01 2026-10-25T02:59:59\n\
             02:00:00 T+00:00:02 2026-10-25T02:00:00\n\
             02:00:01 T+00:00:03 2026-10-25T02:00:01\n\
             02:59:58 T+00:00:00 2026-10-25T02:59:58\n\
             02:00:01 T+00:00:03 2026-10-25T02:00:01\n\
             23:59:58 T+22:00:00 2026-10-25T23:59:58\n\
             2026-10-26 00:00:00 T+22:00:02 2026-10-26T00:00:00\n\
             2026-10-24 02:59:58 T-24:00:00 2026-10-24T02:59:58\n"
        );
    }

    /// Parse `md` and return its events, owned.
    fn parse(md: &str) -> Vec<Md<'static>> {
        Parser::new_ext(md, opts())
            .map(|e| e.into_static())
            .collect()
    }

    /// What a reader sees of a cell: text, with `<br>` as a newline.
    fn cell_text(events: &[Md<'_>]) -> String {
        let mut t = String::new();
        for e in events {
            match e {
                Md::Text(s) => t.push_str(s),
                Md::InlineHtml(h) if &**h == "<br>" => t.push('\n'),
                _ => {}
            }
        }
        t
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        /// Escaped text in a table cell stays one cell of one row, holds no
        /// newline and no unescaped `|`, makes no link, HTML, code or
        /// emphasis, and reads back as the (sanitized) text.
        #[test]
        fn a_cell_stays_a_cell(text in "[a-z |\\\\`*_\\[\\]()<>&#!~$:=+.0-9\n\t-]{0,40}") {
            let esc = s(cell, &text);
            prop_assert!(!esc.contains('\n'));
            let b = esc.as_bytes();
            for (i, &c) in b.iter().enumerate() {
                if c == b'|' {
                    let slashes = b[..i].iter().rev().take_while(|&&x| x == b'\\').count();
                    prop_assert!(slashes % 2 == 1, "unescaped | at {i} in {esc:?}");
                }
            }
            let md = format!("| a | b |\n| --- | --- |\n| {esc} | z |\n");
            let events = parse(&md);
            let cells = events.iter().filter(|e| matches!(e, Md::Start(Tag::TableCell))).count();
            prop_assert_eq!(cells, 4, "{:?}", events);
            let rows = events.iter().filter(|e| matches!(e, Md::Start(Tag::TableRow))).count();
            prop_assert_eq!(rows, 1);
            for e in &events {
                let ok = match e {
                    Md::Start(t) => matches!(t, Tag::Table(_) | Tag::TableHead | Tag::TableRow | Tag::TableCell),
                    Md::End(t) => matches!(t, TagEnd::Table | TagEnd::TableHead | TagEnd::TableRow | TagEnd::TableCell),
                    Md::Text(_) => true,
                    Md::InlineHtml(h) => &**h == "<br>",
                    _ => false,
                };
                prop_assert!(ok, "unexpected {:?} from {:?}", e, esc);
            }
            // The first body cell, between its start and end.
            let body_start = events.iter().position(|e| matches!(e, Md::End(TagEnd::TableHead))).unwrap_or(0);
            let first = &events[body_start..];
            let end = first.iter().position(|e| matches!(e, Md::End(TagEnd::TableCell))).unwrap_or(first.len());
            let seen = cell_text(&first[..end]);
            let want = sanitize::text(&text);
            prop_assert_eq!(seen.trim_matches([' ', '\t']), want.trim_matches([' ', '\t']));
        }

        /// Escaped prose is only paragraphs of text: no heading, list,
        /// quote, code, HTML, table, link or emphasis, and the same words.
        #[test]
        fn prose_stays_paragraphs(text in "[a-z |\\\\`*_\\[\\]()<>&#!~$:=+.0-9\n\t-]{0,60}") {
            let esc = s(prose, &text);
            let events = parse(&esc);
            let mut seen = String::new();
            for e in &events {
                let ok = match e {
                    Md::Start(t) => matches!(t, Tag::Paragraph),
                    Md::End(t) => matches!(t, TagEnd::Paragraph),
                    Md::Text(t) => { seen.push_str(t); true }
                    Md::SoftBreak | Md::HardBreak => true,
                    _ => false,
                };
                prop_assert!(ok, "unexpected {:?} from {:?}", e, esc);
            }
            let squash = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
            prop_assert_eq!(squash(&seen), squash(&sanitize::text(&text)));
        }

        /// A fenced block's fence never occurs inside it, and the block
        /// reads back as the text.
        #[test]
        fn a_fence_is_never_inside(text in "[a-z `~\n]{0,40}") {
            let out = s(|o, t| fenced(o, "text", t), &text);
            let n = fence_len(&text);
            let fence = "`".repeat(n);
            let body = &out[n + 5..out.len() - n - 3];
            prop_assert!(!body.contains(&fence), "{:?}", out);
            let events = parse(&out);
            let blocks = events.iter().filter(|e| matches!(e, Md::Start(Tag::CodeBlock(_)))).count();
            prop_assert_eq!(blocks, 1, "{:?}", events);
            let code: String = events.iter().filter_map(|e| match e { Md::Text(t) => Some(t.to_string()), _ => None }).collect();
            let want = text.trim_end_matches('\n');
            prop_assert_eq!(code.trim_end_matches('\n'), want);
        }

        /// Mermaid names never hold a character Mermaid reads as syntax.
        #[test]
        fn mermaid_names_are_inert(text in "\\PC{0,30}") {
            let out = s(mermaid_text, &text);
            prop_assert!(!out.is_empty());
            prop_assert!(!out.contains([':', ';', '#', '%', '\n', '`', '<', '>']), "{:?}", out);
        }
    }
}
