//! Frame render time with a 100,000-event incident log, and key press to
//! updated frame.
//!
//! cargo bench --bench tui

use criterion::{Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use jiff::Timestamp;
use mayday::app::{self, Action, Opened, Settings, State};
use mayday::incident::{Event, EventKind};
use mayday::runbook::Severity;
use mayday::runbook::library::{Library, Sources};
use mayday::ui::keymap::Keymap;
use mayday::ui::theme::{Theme, ThemeSources};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::hint::black_box;
use std::sync::Arc;

fn t(s: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + s).expect("time")
}

/// The first event of an incident on `runbook` (variables at their
/// defaults).
fn started(runbook: &mayday::runbook::Runbook, severity: Severity) -> Event {
    Event::new(
        1,
        t(0),
        EventKind::IncidentStarted {
            incident_id: "bench".into(),
            runbook_id: runbook.id.clone(),
            runbook_title: runbook.title.clone(),
            runbook_hash: runbook.hash.clone(),
            runbook_path: runbook.path.clone(),
            variables: runbook
                .variables
                .iter()
                .map(|v| {
                    (
                        v.name.clone(),
                        v.default.clone().unwrap_or_else(|| "x".into()),
                    )
                })
                .collect(),
            severity,
            responder: "bench".into(),
            rehearsal: false,
            scenario: None,
            dry_run: false,
            mayday_version: "bench".into(),
            alert: None,
        },
    )
}

/// An open incident on the bundled database-down runbook with `n` events.
fn state_with_events(n: usize) -> State {
    let lib = Arc::new(Library::load(&Sources {
        bundled: true,
        ..Sources::default()
    }));
    let runbook = lib.get("database-down").cloned().expect("bundled runbook");
    let mut events = vec![started(&runbook, Severity::Critical)];
    let first = runbook.steps[0].id.clone();
    events.push(Event::new(
        2,
        t(1),
        EventKind::StepEntered {
            step: first,
            title: runbook.steps[0].title.clone(),
        },
    ));
    for i in events.len()..n {
        events.push(Event::new(
            i as u64 + 1,
            t(i as i64),
            EventKind::Note {
                text: format!("note {i}: replication lag 12s on replica-2, connections 480/500"),
                status_update: false,
            },
        ));
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

/// A tiny HTTP server on loopback answering every request with 200 "ok".
async fn serve(listener: tokio::net::TcpListener) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    loop {
        let Ok((mut sock, _)) = listener.accept().await else {
            continue;
        };
        tokio::spawn(async move {
            let mut buf = [0u8; 2048];
            loop {
                match sock.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {
                        let reply = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nok";
                        if sock.write_all(reply).await.is_err() {
                            return;
                        }
                    }
                }
            }
        });
    }
}

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .unwrap_or(0.0)
        / 1024.0
}

/// The frame while 500 sources poll a local server (1 s interval) and their
/// updates flow through `update`, against the same frame with no sources.
fn bench_with_polling(c: &mut Criterion) {
    let theme = Theme::load("dark", &ThemeSources::default()).0;
    let now = t(100_001);
    let mut quiet = state_with_events(100_000);
    let mut busy = state_with_events(100_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    rt.spawn(serve(listener));
    let mut yaml = String::from("sources:\n");
    for i in 0..500 {
        yaml.push_str(&format!("  - name: svc-{i:03}\n    kind: http\n    url: http://127.0.0.1:{port}/health\n    interval: 1s\n"));
    }
    let config = mayday::config::Config::parse(&yaml).expect("config");
    let rss_before = rss_mib();
    let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
    let handle = {
        let _guard = rt.enter();
        mayday::status::spawn(config.sources, tx)
    };
    let mut updates = 0usize;
    let mut drain = |s: &mut State, n: &mut usize| {
        while let Ok(u) = rx.try_recv() {
            *n += 1;
            app::update(s, Action::Status(Box::new(u)));
        }
    };
    // Let every source report at least once.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while busy.status.sources.len() < 500 && std::time::Instant::now() < deadline {
        drain(&mut busy, &mut updates);
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let mut g = c.benchmark_group("tui_status");
    g.measurement_time(std::time::Duration::from_secs(10));
    let mut term = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
    g.bench_function("frame_no_sources_200x60", |b| {
        b.iter(|| {
            term.draw(|f| app::view(&quiet, now, &theme, f))
                .expect("draw");
        });
    });
    g.bench_function("frame_500_sources_polling_200x60", |b| {
        b.iter(|| {
            drain(&mut busy, &mut updates);
            term.draw(|f| app::view(&busy, now, &theme, f))
                .expect("draw");
        });
    });
    g.finish();
    let started = std::time::Instant::now();
    let before = updates;
    while started.elapsed() < std::time::Duration::from_secs(5) {
        drain(&mut busy, &mut updates);
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let rate = (updates - before) as f64 / started.elapsed().as_secs_f64();
    eprintln!(
        "tui_status: {} sources reporting, {rate:.0} updates/s through update(), RSS {rss_before:.1} MiB before the pollers, {:.1} MiB with them",
        busy.status.sources.len(),
        rss_mib()
    );
    rt.block_on(handle.shutdown());
    drop(quiet.session.take());
}

/// The step pane with three live charts: the bundled `latency-spike`
/// runbook's "Measure the spike" step (three ```promql blocks), each
/// answered with 30 minutes at 15 s (121 samples) for 6 series.
fn bench_evidence(c: &mut Criterion) {
    use mayday::app::Effect;
    use mayday::app::evidence::QueryAnswered;
    use mayday::status::parse::promql::{QueryResult, Series, Shape};
    use mayday::status::query::{Answer, Found, Queryable};
    let theme = Theme::load("dark", &ThemeSources::default()).0;
    let lib = Arc::new(Library::load(&Sources {
        bundled: true,
        ..Sources::default()
    }));
    let runbook = lib.get("latency-spike").cloned().expect("bundled runbook");
    let step = runbook.step_index("measure").expect("the measure step");
    let settings = Settings {
        queryable: vec![Queryable {
            name: "prom".into(),
            kind: mayday::status::Kind::Prometheus,
            interval: std::time::Duration::from_secs(15),
        }],
        ..Settings::default()
    };
    let mut s = State::new(
        lib,
        Keymap::default(),
        settings,
        t(10),
        jiff::tz::TimeZone::UTC,
    );
    let events = vec![
        started(&runbook, Severity::High),
        Event::new(
            2,
            t(1),
            EventKind::StepEntered {
                step: runbook.steps[step].id.clone(),
                title: runbook.steps[step].title.clone(),
            },
        ),
    ];
    let fx = app::update(
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
    let asked: Vec<_> = fx
        .into_iter()
        .filter_map(|e| match e {
            Effect::Query(q) => Some(*q),
            _ => None,
        })
        .collect();
    assert_eq!(asked.len(), 3, "three live blocks");
    for q in asked {
        let end = q.ask.end;
        let series = (0..6)
            .map(|k| Series {
                labels: [("pod".to_owned(), format!("checkout-api-{k}"))].into(),
                samples: (0..=120)
                    .map(|i| {
                        (
                            end - jiff::SignedDuration::from_secs((120 - i) * 15),
                            0.2 + 0.05 * k as f64 + ((i as f64) / 9.0).sin() * 0.1,
                        )
                    })
                    .collect(),
            })
            .collect();
        let answer = Answer {
            start: q.ask.start(),
            end,
            step: q.ask.step(),
            found: Found::Numbers(QueryResult {
                shape: Shape::Matrix,
                series,
                warnings: vec![],
            }),
        };
        app::update(
            &mut s,
            Action::QueryAnswered(Box::new(QueryAnswered {
                request: q,
                result: Ok(answer),
                retry_after: None,
            })),
        );
    }
    let now = t(12);
    let mut g = c.benchmark_group("tui_evidence");
    for (w, h) in [(120u16, 40u16), (200, 60), (80, 24)] {
        let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
        g.bench_function(format!("frame_3_live_charts_{w}x{h}"), |b| {
            b.iter(|| {
                term.draw(|f| app::view(black_box(&s), now, &theme, f))
                    .expect("draw");
            });
        });
    }
    g.finish();
}

criterion_group!(benches, bench, bench_with_polling, bench_evidence);
criterion_main!(benches);
