//! Frame render time with a 100,000-event incident log, and key press to
//! updated frame.
//!
//! cargo bench --bench tui

use criterion::{Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use jiff::Timestamp;
use mayday::app::{self, Action, Opened, Settings, State};
use mayday::incident::{Event, EventKind};
use mayday::keymap::Keymap;
use mayday::library::{Library, Sources};
use mayday::runbook::Severity;
use mayday::theme::{Theme, ThemeSources};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::hint::black_box;
use std::sync::Arc;

fn t(s: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + s).expect("time")
}

/// An open incident on the bundled database-down runbook with `n` events.
fn state_with_events(n: usize) -> State {
    let lib = Arc::new(Library::load(&Sources {
        bundled: true,
        ..Sources::default()
    }));
    let runbook = lib.get("database-down").cloned().expect("bundled runbook");
    let mut events = vec![Event {
        seq: 1,
        at: t(0),
        kind: EventKind::IncidentStarted {
            incident_id: "bench".into(),
            runbook_id: runbook.id.clone(),
            runbook_title: runbook.title.clone(),
            runbook_hash: runbook.hash.clone(),
            runbook_path: runbook.path.clone(),
            variables: runbook
                .variables
                .iter()
                .map(|v| (v.name.clone(), v.default.clone().unwrap_or_default()))
                .collect(),
            severity: Severity::Critical,
            responder: "bench".into(),
            rehearsal: false,
            scenario: None,
            dry_run: false,
            mayday_version: "bench".into(),
        },
    }];
    let first = runbook.steps[0].id.clone();
    events.push(Event {
        seq: 2,
        at: t(1),
        kind: EventKind::StepEntered {
            step: first,
            title: runbook.steps[0].title.clone(),
        },
    });
    for i in events.len()..n {
        events.push(Event {
            seq: i as u64 + 1,
            at: t(i as i64),
            kind: EventKind::Note {
                text: format!("note {i}: replication lag 12s on replica-2, connections 480/500"),
                status_update: false,
            },
        });
    }
    let mut s = State::new(
        lib,
        Keymap::default(),
        Settings::default(),
        t(n as i64),
        jiff::tz::TimeZone::UTC,
    );
    app::update(
        &mut s,
        Action::IncidentOpened(Box::new(Opened {
            runbook,
            events,
            read_only: None,
            notices: vec![],
            trusted: true,
            resumed: false,
        })),
    );
    s
}

fn bench(c: &mut Criterion) {
    let theme = Theme::load("dark", &ThemeSources::default()).0;
    let mut state = state_with_events(100_000);
    let now = t(100_001);
    let mut g = c.benchmark_group("tui");
    for (w, h) in [(80u16, 24u16), (200, 60)] {
        let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
        g.bench_function(format!("frame_100k_events_{w}x{h}"), |b| {
            b.iter(|| {
                term.draw(|f| app::view(black_box(&state), now, &theme, f))
                    .expect("draw");
            });
        });
    }
    let mut term = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    let mut i = 0i64;
    g.bench_function("key_to_frame_100k_events_120x40", |b| {
        b.iter(|| {
            i += 1;
            let fx = app::update(
                &mut state,
                Action::Key {
                    key: KeyEvent::new(KeyCode::Char('x'), KeyModifiers::NONE),
                    at: t(100_000 + i),
                },
            );
            black_box(fx);
            term.draw(|f| app::view(&state, now, &theme, f))
                .expect("draw");
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
