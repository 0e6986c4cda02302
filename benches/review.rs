//! Incident statistics and the Markdown postmortem over a synthetic
//! 100,000-event incident: steps entered, done and skipped, checklist ticks,
//! notes (some with Markdown and HTML in them), commands with five-line
//! output tails, status changes, all a few seconds apart over about two
//! days, so the timeline crosses midnight.
//!
//! - `review_100k/stats`: `review::stats` (one pass over the events).
//! - `review_100k/markdown`: `postmortem::markdown` with the time zone
//!   Europe/Berlin (UTC if the system has no time zone database).
//! - `review_100k/replay_stats_markdown`: what `mayday export --format md`
//!   does after reading the log: replay, stats, Markdown.
//! - `review_screen_100k/*`: the review screen — opening it (replay, stats,
//!   rows), one frame at 120×40, and replay steps (one event forward; a jump
//!   back to the middle, which rebuilds the state from the log's prefix).
//!
//! cargo bench --bench review

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

// The same allocator as the binary.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use mayday::incident::{Event, EventKind, Incident};
use mayday::runbook::Severity;
use mayday::status::health::Health;
use std::hint::black_box;
use std::time::Duration;

const EVENTS: usize = 100_000;

const NOTES: &[&str] = &[
    "Checkout error rate is still at 12%; paging the payments team.",
    "Restarted api-7, latency back under 300 ms for now",
    "Customer support reports *failed* payments in the EU | see ticket #4711",
    "Deploy 2026.11.23-3 looks unrelated: <no changes to the db layer>",
    "`kubectl get pods` shows 3 of 12 pods in CrashLoopBackOff\nthe others are fine",
];

const OUTPUT: &[&str] = &[
    "NAME                     READY   STATUS             RESTARTS   AGE",
    "api-7c9f8d6b5-2xkqz      1/1     Running            0          3h",
    "api-7c9f8d6b5-8ghtp      0/1     CrashLoopBackOff   14         3h",
    "api-7c9f8d6b5-9mzlw      1/1     Running            0          3h",
    "error: connection refused (os error 111) | retrying in 5s",
];

/// The synthetic incident, in log order.
fn incident() -> Vec<Event> {
    let start = Timestamp::from_second(1_795_000_000).expect("timestamp");
    let mut events = Vec::with_capacity(EVENTS);
    let mut push = |kind: EventKind| {
        let n = events.len() as i64;
        events.push(Event::new(
            n as u64 + 1,
            start + jiff::SignedDuration::from_secs(n * 2),
            kind,
        ));
    };
    push(EventKind::IncidentStarted {
        incident_id: "20261123-030000-api-down".into(),
        runbook_id: "api-down".into(),
        runbook_title: "API is down".into(),
        runbook_hash: "0123456789abcdef".repeat(4),
        runbook_path: "bundled:api-down.md".into(),
        variables: [("namespace".to_owned(), "prod".to_owned())]
            .into_iter()
            .collect(),
        severity: Severity::Critical,
        responder: "alice".into(),
        rehearsal: false,
        scenario: None,
        dry_run: false,
        mayday_version: "bench".into(),
        alert: None,
    });
    let mut step = 0usize;
    let mut round = 0usize;
    let healths = [Health::Down, Health::Degraded, Health::Up];
    // The first event is above, the last two (mitigated, resolved) below.
    while round < EVENTS - 3 {
        let id = format!("step-{}", step % 400);
        let title = match step % 4 {
            0 => format!("Diagnose: check the logs ({step})"),
            1 => format!("Mitigate: restart the pods ({step})"),
            2 => format!("Verify: error rate #{step}"),
            _ => format!("Tell #incidents what is going on ({step})"),
        };
        let batch = [
            EventKind::StepEntered {
                step: id.clone(),
                title,
            },
            EventKind::ChecklistToggled {
                step: id.clone(),
                item: 0,
                text: "Note the time in the log".into(),
                checked: true,
            },
            EventKind::Note {
                text: NOTES[step % NOTES.len()].into(),
                status_update: step.is_multiple_of(7),
            },
            EventKind::CommandRequested {
                step: id.clone(),
                index: 0,
                text: format!("kubectl -n prod rollout restart deploy/api-{}", step % 9),
            },
            EventKind::CommandConfirmed {
                step: id.clone(),
                index: 0,
            },
            EventKind::CommandStarted {
                step: id.clone(),
                index: 0,
                text: format!("kubectl -n prod rollout restart deploy/api-{}", step % 9),
                pid: Some(4242),
                cwd: "/srv".into(),
                timeout_secs: 30,
                dry_run: step.is_multiple_of(11),
                shell: None,
            },
            EventKind::CommandFinished {
                step: id.clone(),
                index: 0,
                exit_code: Some(i32::from(step.is_multiple_of(5))),
                signal: None,
                duration_ms: 1_250,
                timed_out: false,
                cancelled: false,
                dry_run: step.is_multiple_of(11),
                output_tail: OUTPUT.iter().map(|s| (*s).to_owned()).collect(),
                output_truncated: false,
                ok: None,
                failed_line: None,
                failed_command: None,
                abandoned_at_quit: false,
            },
            EventKind::StatusChanged {
                source: format!("source-{}", step % 5),
                from: healths[step % 3],
                to: healths[(step + 1) % 3],
                summary: "3 of 12 pods ready".into(),
                error: None,
            },
            if step.is_multiple_of(6) {
                EventKind::StepSkipped {
                    step: id.clone(),
                    reason: "not needed".into(),
                }
            } else {
                EventKind::StepDone { step: id.clone() }
            },
            EventKind::Note {
                text: format!("done with {id}"),
                status_update: false,
            },
        ];
        for kind in batch.into_iter().take(EVENTS - 3 - round) {
            push(kind);
            round += 1;
        }
        step += 1;
    }
    push(EventKind::Mitigated);
    push(EventKind::Resolved {
        summary: "Rolled back the deploy; pods are healthy.".into(),
    });
    events
}

fn bench(c: &mut Criterion) {
    let events = incident();
    assert_eq!(events.len(), EVENTS);
    let inc = Incident::replay(&events).expect("replay");
    let stats = mayday::incident::review::stats(&events, None).expect("stats");
    let tz = TimeZone::get("Europe/Berlin").unwrap_or(TimeZone::UTC);
    let doc = mayday::incident::postmortem::markdown(&inc, &events, &stats, None, &tz);
    eprintln!(
        "{} events, {} steps, {} commands; postmortem {:.1} MB in {}",
        events.len(),
        stats.steps.len(),
        inc.commands.len(),
        doc.len() as f64 / 1e6,
        tz.iana_name().unwrap_or("UTC"),
    );

    let mut g = c.benchmark_group("review_100k");
    g.sample_size(20)
        .measurement_time(Duration::from_secs(10))
        .warm_up_time(Duration::from_secs(2))
        .throughput(Throughput::Elements(events.len() as u64));
    g.bench_function("stats", |b| {
        b.iter_with_large_drop(|| mayday::incident::review::stats(black_box(&events), None))
    });
    g.bench_function("markdown", |b| {
        b.iter_with_large_drop(|| {
            mayday::incident::postmortem::markdown(&inc, black_box(&events), &stats, None, &tz)
        })
    });
    g.bench_function("replay_stats_markdown", |b| {
        b.iter_with_large_drop(|| {
            let inc = Incident::replay(black_box(&events)).expect("replay");
            let stats = mayday::incident::review::stats(&events, None).expect("stats");
            mayday::incident::postmortem::markdown(&inc, &events, &stats, None, &tz)
        })
    });
    g.finish();
    screen(c, &events);
}

fn key(c: char) -> mayday::app::Action {
    mayday::app::Action::Key {
        key: crossterm::event::KeyEvent::new(
            crossterm::event::KeyCode::Char(c),
            crossterm::event::KeyModifiers::NONE,
        ),
        at: Timestamp::from_second(1_795_500_000).expect("timestamp"),
    }
}

fn screen(c: &mut Criterion, events: &[Event]) {
    use mayday::app::{self, Action, State};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    let runbook = std::sync::Arc::new(mayday::runbook::placeholder("api-down", "API down"));
    let now = Timestamp::from_second(1_795_500_000).expect("timestamp");
    let theme = mayday::ui::theme::Theme::builtin();
    let opened = || {
        let mut s = State::new(
            std::sync::Arc::new(mayday::runbook::library::Library::default()),
            mayday::ui::keymap::Keymap::default(),
            app::Settings::default(),
            now,
            TimeZone::UTC,
        );
        app::update(
            &mut s,
            Action::ReviewOpened(Box::new(app::action::ReviewOpened {
                id: "20261123-030000-api-down".into(),
                runbook: runbook.clone(),
                events: events.to_vec(),
                problem: None,
            })),
        );
        s
    };
    let mut g = c.benchmark_group("review_screen_100k");
    g.sample_size(20)
        .measurement_time(Duration::from_secs(10))
        .warm_up_time(Duration::from_secs(2));
    g.bench_function("open", |b| b.iter_with_large_drop(opened));
    let mut s = opened();
    let mut term = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    g.bench_function("frame_120x40", |b| {
        b.iter(|| {
            term.draw(|f| app::view(&s, now, &theme, f)).expect("draw");
        })
    });
    // Replay from the middle of the incident.
    for _ in 0..events.len() / 2 {
        app::update(&mut s, key('j'));
    }
    app::update(&mut s, key('r'));
    assert!(s.review.as_ref().is_some_and(|r| r.replay.is_some()));
    g.bench_function("replay_next_event_and_frame", |b| {
        b.iter(|| {
            app::update(&mut s, key('l'));
            term.draw(|f| app::view(&s, now, &theme, f)).expect("draw");
        })
    });
    g.bench_function("replay_one_minute_back_and_frame", |b| {
        b.iter(|| {
            app::update(&mut s, key('['));
            app::update(&mut s, key(']'));
            term.draw(|f| app::view(&s, now, &theme, f)).expect("draw");
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
