//! What an incident log says in numbers: key durations, time per step, and
//! each status source's state over time. Used by the review screen, the
//! Markdown postmortem and game-day score cards. One pass over the events,
//! no I/O.

use crate::incident::{Event, EventKind};
use crate::runbook::{Runbook, StepKind};
use crate::status::health::Health;
use jiff::{SignedDuration, Timestamp};
use std::collections::{BTreeMap, HashMap};

/// How a step ended (as far as the log goes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepEnd {
    /// Marked done (or left by a decision).
    Done,
    /// Skipped.
    Skipped,
    /// Entered but never marked done or skipped.
    Open,
}

/// The time one step was the current step.
#[derive(Clone, Debug, PartialEq)]
pub struct StepTime {
    /// The step's id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its kind.
    pub kind: StepKind,
    /// Each interval the step was current, in order.
    pub spans: Vec<(Timestamp, Timestamp)>,
    /// How it ended.
    pub end: StepEnd,
}

impl StepTime {
    /// The time it was current, all intervals together.
    pub fn total(&self) -> SignedDuration {
        self.spans.iter().fold(SignedDuration::ZERO, |acc, (a, b)| {
            acc + b.duration_since(*a)
        })
    }
    /// When it was first entered.
    pub fn first_entered(&self) -> Option<Timestamp> {
        self.spans.first().map(|s| s.0)
    }
}

/// One status source's states over the incident.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceStrip {
    /// The source's name.
    pub name: String,
    /// Consecutive (from, to, state) segments covering the incident.
    pub segments: Vec<(Timestamp, Timestamp, Health)>,
}

/// Event counts by what happened.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Every event.
    pub events: usize,
    /// Notes (status updates included).
    pub notes: usize,
    /// Steps marked done.
    pub steps_done: usize,
    /// Steps skipped.
    pub steps_skipped: usize,
    /// Decisions taken.
    pub decisions: usize,
    /// Commands that ran (dry runs included).
    pub commands: usize,
    /// Commands that failed.
    pub commands_failed: usize,
    /// Dry runs.
    pub dry_runs: usize,
    /// Status changes logged.
    pub status_changes: usize,
    /// Verify conditions met.
    pub verify_met: usize,
    /// Game-day surprises injected.
    pub injected: usize,
}

/// The statistics of one incident.
#[derive(Clone, Debug, PartialEq)]
pub struct Stats {
    /// When it started.
    pub started_at: Timestamp,
    /// When it was resolved, else the time of the last event.
    pub ended_at: Timestamp,
    /// It was resolved.
    pub resolved: bool,
    /// Start → first diagnose step done (or its decision taken): when the
    /// responder knew, not when they started looking.
    pub to_diagnose: Option<SignedDuration>,
    /// Start → marked mitigated.
    pub to_mitigate: Option<SignedDuration>,
    /// Start → resolved.
    pub to_resolve: Option<SignedDuration>,
    /// The alert it was started from began firing → the incident started
    /// (only for an incident started from an alert that says when).
    pub to_respond: Option<SignedDuration>,
    /// Steps in the order they were first entered.
    pub steps: Vec<StepTime>,
    /// Sources in the order they first appear in the log.
    pub sources: Vec<SourceStrip>,
    /// Event counts.
    pub counts: Counts,
}

impl Stats {
    /// How long the incident lasted (to resolution, or so far).
    pub fn duration(&self) -> SignedDuration {
        self.ended_at.duration_since(self.started_at)
    }

    /// The key durations as (label, value) rows, in the order teams read them
    /// (time to respond only for an incident started from an alert).
    pub fn key_durations(&self) -> Vec<(&'static str, Option<SignedDuration>)> {
        let mut rows = Vec::with_capacity(4);
        if self.to_respond.is_some() {
            rows.push(("time to respond", self.to_respond));
        }
        rows.extend([
            ("time to diagnose", self.to_diagnose),
            ("time to mitigate", self.to_mitigate),
            ("time to resolve", self.to_resolve),
        ]);
        rows
    }
}

/// Compute the statistics of an incident from its events. `runbook` (the
/// copy saved with the incident) gives step kinds; without it kinds are
/// inferred from the step titles. Empty input gives `None`.
pub fn stats(events: &[Event], runbook: Option<&Runbook>) -> Option<Stats> {
    let first = events.first()?;
    let started_at = first.at;
    let mut steps: Vec<StepTime> = Vec::new();
    let mut step_index: HashMap<&str, usize> = HashMap::new();
    // The step each responder is on (a shared incident has several; one
    // responder's log has one). A step's time is when anyone was on it.
    let mut current: BTreeMap<&str, (usize, Timestamp)> = BTreeMap::new();
    let mut sources: Vec<SourceStrip> = Vec::new();
    let mut source_index: HashMap<&str, usize> = HashMap::new();
    let mut counts = Counts::default();
    let mut to_diagnose = None;
    let mut to_mitigate = None;
    let mut resolved_at: Option<Timestamp> = None;
    let kind_of = |id: &str, title: &str| {
        runbook
            .and_then(|rb| rb.step_index(id).and_then(|i| rb.steps.get(i)))
            .map(|s| s.kind)
            .unwrap_or_else(|| StepKind::infer(title))
    };
    fn close(steps: &mut [StepTime], cur: Option<(usize, Timestamp)>, at: Timestamp) {
        if let Some((i, since)) = cur
            && let Some(s) = steps.get_mut(i)
        {
            s.spans.push((since, at.max(since)));
        }
    }
    fn close_all(
        steps: &mut [StepTime],
        current: &mut BTreeMap<&str, (usize, Timestamp)>,
        at: Timestamp,
    ) {
        for (_, cur) in std::mem::take(current) {
            close(steps, Some(cur), at);
        }
    }

    for e in events {
        counts.events += 1;
        match &e.kind {
            EventKind::StepEntered { step, title } => {
                close(&mut steps, current.remove(e.by.as_str()), e.at);
                let i = *step_index.entry(step.as_str()).or_insert_with(|| {
                    steps.push(StepTime {
                        id: step.clone(),
                        title: title.clone(),
                        kind: kind_of(step, title),
                        spans: Vec::new(),
                        end: StepEnd::Open,
                    });
                    steps.len() - 1
                });
                current.insert(e.by.as_str(), (i, e.at));
            }
            EventKind::StepDone { step } | EventKind::StepSkipped { step, .. } => {
                let skipped = matches!(e.kind, EventKind::StepSkipped { .. });
                if skipped {
                    counts.steps_skipped += 1;
                } else {
                    counts.steps_done += 1;
                }
                if let Some(&i) = step_index.get(step.as_str()) {
                    if !skipped && to_diagnose.is_none() && steps[i].kind == StepKind::Diagnose {
                        to_diagnose = Some(e.at.duration_since(started_at));
                    }
                    let on: Vec<&str> = current
                        .iter()
                        .filter(|(_, (c, _))| *c == i)
                        .map(|(who, _)| *who)
                        .collect();
                    for who in on {
                        close(&mut steps, current.remove(who), e.at);
                    }
                    steps[i].end = if skipped {
                        StepEnd::Skipped
                    } else {
                        StepEnd::Done
                    };
                }
            }
            // A stakeholder update is not a note about the incident.
            EventKind::Note { status_update, .. } if !status_update => counts.notes += 1,
            EventKind::DecisionTaken { step, .. } => {
                counts.decisions += 1;
                if to_diagnose.is_none()
                    && step_index
                        .get(step.as_str())
                        .is_some_and(|&i| steps[i].kind == StepKind::Diagnose)
                {
                    to_diagnose = Some(e.at.duration_since(started_at));
                }
            }
            EventKind::CommandFinished {
                exit_code,
                timed_out,
                cancelled,
                dry_run,
                ok,
                abandoned_at_quit,
                ..
            } => {
                if *dry_run {
                    counts.dry_runs += 1;
                } else {
                    counts.commands += 1;
                    if !ok.unwrap_or(*exit_code == Some(0))
                        || *timed_out
                        || *cancelled
                        || *abandoned_at_quit
                    {
                        counts.commands_failed += 1;
                    }
                }
            }
            EventKind::StatusChanged {
                source, from, to, ..
            } => {
                counts.status_changes += 1;
                let i = *source_index.entry(source.as_str()).or_insert_with(|| {
                    // Until its first change the source was in `from`.
                    sources.push(SourceStrip {
                        name: source.clone(),
                        segments: vec![(started_at, started_at, *from)],
                    });
                    sources.len() - 1
                });
                let segs = &mut sources[i].segments;
                if let Some(last) = segs.last_mut() {
                    last.1 = e.at.max(last.0);
                }
                segs.push((e.at, e.at, *to));
            }
            EventKind::VerifyMet { .. } => counts.verify_met += 1,
            EventKind::Injected { .. } => counts.injected += 1,
            EventKind::Mitigated => {
                to_mitigate.get_or_insert(e.at.duration_since(started_at));
            }
            // Taken back: mitigation is whenever it is marked again.
            EventKind::MitigationRetracted => to_mitigate = None,
            EventKind::Resolved { .. } => {
                close_all(&mut steps, &mut current, e.at);
                to_mitigate.get_or_insert(e.at.duration_since(started_at));
                resolved_at = Some(e.at);
            }
            EventKind::Reopened => resolved_at = None,
            EventKind::SessionEnded => {
                // Time away from the screen does not count against a step.
                close(&mut steps, current.remove(e.by.as_str()), e.at);
            }
            _ => {}
        }
    }
    let last_at = events.last().map_or(started_at, |e| e.at);
    let ended_at = resolved_at.unwrap_or(last_at);
    close_all(&mut steps, &mut current, ended_at);
    // Responders on the same step at once: their intervals are one.
    for st in &mut steps {
        st.spans.sort();
        let mut merged: Vec<(Timestamp, Timestamp)> = Vec::with_capacity(st.spans.len());
        for (a, b) in st.spans.drain(..) {
            match merged.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        st.spans = merged;
    }
    for s in &mut sources {
        if let Some(last) = s.segments.last_mut() {
            last.1 = ended_at.max(last.0);
        }
        // Drop the zero-length placeholder segments (a change at the very start).
        s.segments.retain(|(a, b, _)| b > a);
    }
    Some(Stats {
        started_at,
        ended_at,
        resolved: resolved_at.is_some(),
        to_diagnose,
        to_mitigate,
        to_resolve: resolved_at.map(|at| at.duration_since(started_at)),
        to_respond: match &first.kind {
            EventKind::IncidentStarted { alert: Some(a), .. } => a
                .starts_at
                .map(|fired| started_at.duration_since(fired).max(SignedDuration::ZERO)),
            _ => None,
        },
        steps,
        sources,
        counts,
    })
}

/// `1h02m03s`, `4m05s`, `12s` — for tables and charts.
pub fn fmt_duration(d: SignedDuration) -> String {
    let secs = d.as_secs().max(0);
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        format!("{h}h{m:02}m{s:02}s")
    } else if m > 0 {
        format!("{m}m{s:02}s")
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runbook::Severity;

    fn ev(seq: u64, secs: i64, kind: EventKind) -> Event {
        Event::new(
            seq,
            Timestamp::from_second(1_700_000_000 + secs).unwrap(),
            kind,
        )
    }

    fn started() -> EventKind {
        EventKind::IncidentStarted {
            incident_id: "x".into(),
            runbook_id: "db".into(),
            runbook_title: "DB".into(),
            runbook_hash: String::new(),
            runbook_path: String::new(),
            variables: Default::default(),
            severity: Severity::High,
            responder: "ana".into(),
            rehearsal: false,
            scenario: None,
            dry_run: false,
            mayday_version: String::new(),
            alert: None,
        }
    }

    fn enter(step: &str, title: &str) -> EventKind {
        EventKind::StepEntered {
            step: step.into(),
            title: title.into(),
        }
    }

    #[test]
    fn key_durations_step_times_and_strips() {
        let events = vec![
            ev(1, 0, started()),
            ev(
                2,
                0,
                EventKind::StatusChanged {
                    source: "api".into(),
                    from: Health::Unknown,
                    to: Health::Down,
                    summary: String::new(),
                    error: None,
                },
            ),
            ev(3, 5, enter("impact", "Impact")),
            ev(4, 65, enter("diagnosis", "Diagnosis")),
            ev(
                5,
                125,
                EventKind::StepDone {
                    step: "diagnosis".into(),
                },
            ),
            ev(6, 130, enter("failover", "Fail over")),
            ev(7, 200, EventKind::Mitigated),
            ev(
                8,
                260,
                EventKind::StatusChanged {
                    source: "api".into(),
                    from: Health::Down,
                    to: Health::Up,
                    summary: String::new(),
                    error: None,
                },
            ),
            ev(
                9,
                300,
                EventKind::StepDone {
                    step: "failover".into(),
                },
            ),
            ev(
                10,
                400,
                EventKind::Resolved {
                    summary: "ok".into(),
                },
            ),
            ev(
                11,
                500,
                EventKind::Note {
                    text: "after".into(),
                    status_update: false,
                },
            ),
        ];
        let s = stats(&events, None).unwrap();
        assert_eq!(s.to_diagnose, Some(SignedDuration::from_secs(125)));
        assert_eq!(s.to_mitigate, Some(SignedDuration::from_secs(200)));
        assert_eq!(s.to_resolve, Some(SignedDuration::from_secs(400)));
        assert_eq!(s.ended_at, events[9].at);
        let ids: Vec<_> = s
            .steps
            .iter()
            .map(|s| (s.id.as_str(), s.total().as_secs(), s.end))
            .collect();
        assert_eq!(
            ids,
            vec![
                ("impact", 60, StepEnd::Open),
                ("diagnosis", 60, StepEnd::Done),
                ("failover", 170, StepEnd::Done)
            ]
        );
        assert_eq!(s.sources.len(), 1);
        let segs: Vec<_> = s.sources[0]
            .segments
            .iter()
            .map(|(a, b, h)| {
                (
                    a.duration_since(s.started_at).as_secs(),
                    b.duration_since(s.started_at).as_secs(),
                    *h,
                )
            })
            .collect();
        assert_eq!(segs, vec![(0, 260, Health::Down), (260, 400, Health::Up)]);
        assert_eq!(s.counts.notes, 1);
        assert_eq!(s.counts.steps_done, 2);
    }

    #[test]
    fn unresolved_incident_runs_to_the_last_event() {
        let events = vec![
            ev(1, 0, started()),
            ev(2, 10, enter("a", "Check the logs")),
            ev(3, 70, EventKind::SessionEnded),
        ];
        let s = stats(&events, None).unwrap();
        assert!(!s.resolved);
        assert_eq!(s.to_resolve, None);
        assert_eq!(s.duration().as_secs(), 70);
        assert_eq!(s.steps[0].total().as_secs(), 60);
        assert_eq!(stats(&[], None), None);
    }

    #[test]
    fn durations_format_compactly() {
        assert_eq!(fmt_duration(SignedDuration::from_secs(12)), "12s");
        assert_eq!(fmt_duration(SignedDuration::from_secs(245)), "4m05s");
        assert_eq!(fmt_duration(SignedDuration::from_secs(3723)), "1h02m03s");
    }
}
