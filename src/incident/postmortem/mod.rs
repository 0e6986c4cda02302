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

mod clock;
mod escape;
mod evidence;

pub use escape::{cell, fence_len, fenced, fenced_lines, line, mermaid_text, prose};

use crate::incident::review::{self, Stats, StepEnd, StepTime};
use crate::incident::{CommandRecord, Event, EventKind, Incident};
use crate::runbook::Runbook;
use crate::status::health::Health;
use clock::Clock;
use jiff::tz::TimeZone;
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
        self.people()?;
        self.score_card()?;
        self.fill_in()?;
        self.timeline()?;
        self.steps()?;
        self.evidence()?;
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
            let held: Vec<&str> = inc
                .roles
                .iter()
                .filter(|(_, who)| *who == r)
                .map(|(role, _)| role.as_str())
                .collect();
            if held.is_empty() {
                cell(o, r);
            } else {
                cell(o, &format!("{r} ({})", held.join(", ")));
            }
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
        if let Some(a) = &self.inc.alert {
            o.push_str("Started from the alert **");
            line(o, &a.name);
            o.push_str("**");
            if !a.source.is_empty() {
                o.push_str(" (");
                line(o, &a.source);
                o.push(')');
            }
            if let Some(at) = a.starts_at {
                o.push_str(", firing since ");
                self.clock.datetime(o, at)?;
                let respond = (self.inc.started_at - at).as_secs().max(0);
                let _ = write!(
                    o,
                    "; the incident started {} later (time to respond)",
                    crate::util::duration::format(std::time::Duration::from_secs(
                        respond.unsigned_abs()
                    ))
                );
            }
            o.push_str(".\n");
            let labels = a.label_pairs();
            if !labels.is_empty() {
                o.push_str("Labels: ");
                line(o, &labels.join(", "));
                o.push_str(".\n");
            }
            if let Some(p) = &a.page {
                let _ = write!(o, "Paged as #{} (", p.number);
                line(o, &p.urgency);
                o.push_str(" urgency, ");
                line(o, &p.service);
                o.push_str("): ");
                line(o, &p.title);
                if !p.html_url.is_empty() {
                    o.push_str(" — <");
                    line(o, &p.html_url);
                    o.push('>');
                }
                o.push_str(".\n");
            }
            o.push('\n');
        }
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
    /// Who was on it, when, in which role, and the handoffs (only when more
    /// than one responder was, or someone took a role).
    fn people(&mut self) -> fmt::Result {
        let inc = self.inc;
        if inc.presence.len() < 2 && inc.handoffs.is_empty() {
            return Ok(());
        }
        let o = &mut *self.out;
        o.push_str(
            "## Responders\n\n| Responder | Roles | Joined | Left |\n| --- | --- | --- | --- |\n",
        );
        for p in &inc.presence {
            o.push_str("| ");
            cell(o, &p.responder);
            o.push_str(" | ");
            let mut roles: Vec<&str> = inc
                .handoffs
                .iter()
                .filter(|h| h.to == p.responder)
                .map(|h| h.role.as_str())
                .collect();
            roles.dedup();
            cell(o, &roles.join(", "));
            o.push_str(" | ");
            self.clock.time_elapsed(o, p.joined)?;
            o.push_str(" | ");
            match p.left {
                Some(at) => self.clock.time_elapsed(o, at)?,
                None => o.push_str("to the end"),
            }
            o.push_str(" |\n");
        }
        o.push('\n');
        if !inc.handoffs.is_empty() {
            o.push_str("Roles and handoffs:\n\n");
            for h in &inc.handoffs {
                o.push_str("- ");
                self.clock.time_elapsed(o, h.at)?;
                o.push_str(" — ");
                let line = match &h.from {
                    Some(f) if *f != h.to => format!("{}: {f} → {} (by {})", h.role, h.to, h.by),
                    _ => format!("{}: {} (by {})", h.role, h.to, h.by),
                };
                cell(o, &line);
                o.push('\n');
            }
            o.push('\n');
        }
        Ok(())
    }

    fn timeline(&mut self) -> fmt::Result {
        // A shared incident's rows say who: several responders at once.
        let several = self.events.iter().any(|e| e.merged);
        let o = &mut *self.out;
        o.push_str("## Timeline\n\n| Time | Elapsed | Event |\n| --- | --- | --- |\n");
        self.clock.last_day = None;
        for e in self.events {
            o.push_str("| ");
            self.clock.time_or_datetime(o, e.at)?;
            o.push_str(" | ");
            self.clock.elapsed(o, e.at)?;
            o.push_str(" | ");
            if several && !e.by.is_empty() {
                cell(o, &format!("{}: {}", e.by, e.kind.describe()));
            } else {
                cell(o, &e.kind.describe());
            }
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

    /// What the steps' live queries showed (nothing when no step had any).
    fn evidence(&mut self) -> fmt::Result {
        evidence::section(self.out, &self.clock, self.events, &self.stats.steps)
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
    escape::step_name(o, &s.title, &s.id);
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
