//! Game days and review without a terminal: a scripted rehearsal through
//! `update`, the score card, the review screen's statistics and filters,
//! and replay — the state at every event equals the log's prefix replayed.

mod common;

use common::tui::*;
use crossterm::event::KeyCode;
use mayday::app::screens::review::{Review, board_at, cursor_at};
use mayday::app::{self, Action, Effect, IncidentListing, Overlay, Screen};
use mayday::gameday::Scenario;
use mayday::incident::{Event, EventKind, Incident, Phase};
use mayday::status::health::Health;
use std::sync::Arc;

const SCENARIO: &str = r#"
title: Cache drill
description: Redis evicts; sessions fail.
runbook: cache-evictions
severity: critical
sources:
  - { name: sessions-api, state: down, summary: "5xx 30%" }
script:
  - at: 30s
    inject: "a second alert fires: RedisReplicaDown"
    source: redis-replica
    state: degraded
    summary: "1 of 2 replicas"
  - after: raise
    delay: 20s
    source: sessions-api
    state: up
    summary: "HTTP 200 in 40 ms"
targets: { diagnose: 1m, mitigate: 2m, resolve: 90s }
"#;

fn scenario() -> Arc<Scenario> {
    Arc::new(Scenario::parse(SCENARIO, "tests/cache-drill.yaml").expect("scenario"))
}

fn appended(fx: &[Effect]) -> Vec<&EventKind> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Append(k, _) => Some(k),
            _ => None,
        })
        .collect()
}

fn tick(s: &mut app::State, at: i64) -> Vec<Effect> {
    app::update(s, Action::Tick(t(at)))
}

/// A rehearsal of the cache drill, played through to the score card.
fn rehearsed() -> app::State {
    let mut s = state();
    s.gamedays = vec![scenario()];
    let mut fx = Vec::new();
    app::update::start_gameday(&mut s, scenario(), &mut fx);
    let req = fx
        .iter()
        .find_map(|e| match e {
            Effect::StartIncident(r) => Some(r.clone()),
            _ => None,
        })
        .expect("a rehearsal starts at once: everything has a value");
    assert!(req.rehearsal);
    assert_eq!(req.scenario.as_deref(), Some("cache-drill"));
    assert_eq!(req.variables["namespace"], "cache", "the runbook default");
    assert_eq!(req.severity, mayday::runbook::Severity::Critical);
    open(&mut s, fx);
    save_all(&mut s);
    s
}

#[test]
fn a_rehearsal_runs_its_script_against_the_real_status_panel_and_scores() {
    let mut s = rehearsed();
    let names: Vec<_> = s
        .status
        .sources
        .iter()
        .map(|v| (v.snapshot.name.clone(), v.snapshot.state))
        .collect();
    assert_eq!(names, vec![("sessions-api".to_owned(), Health::Down)]);
    let logged = |s: &app::State| {
        s.session
            .as_ref()
            .map(|x| x.incident.sources.clone())
            .unwrap_or_default()
    };
    assert_eq!(logged(&s).get("sessions-api"), Some(&Health::Down));

    // A real poll result is ignored: the panel is simulated.
    let real = mayday::status::Snapshot::pending("prod-api", mayday::status::Kind::Http);
    app::update(
        &mut s,
        Action::Status(Box::new(mayday::status::Update::new(real))),
    );
    assert_eq!(s.status.sources.len(), 1);

    assert!(appended(&tick(&mut s, 29)).is_empty());
    let fx = tick(&mut s, 30);
    let kinds = appended(&fx);
    assert!(
        matches!(kinds.first(), Some(EventKind::Injected { description }) if description.contains("RedisReplicaDown")),
        "{kinds:?}"
    );
    assert!(fx.contains(&Effect::Bell));
    assert!(
        s.notices
            .iter()
            .any(|n| n.text.contains("RedisReplicaDown"))
    );
    assert!(s.status.get("redis-replica").is_some());
    // Fires once.
    assert!(appended(&tick(&mut s, 31)).is_empty());

    // Commands are dry runs, trusted or not.
    s.session.as_mut().expect("session").trusted = false;
    ch(&mut s, 'r', 35);
    let fx = match s.overlay.take() {
        Some(Overlay::Confirm(c)) => {
            assert!(c.request.dry_run);
            s.overlay = Some(Overlay::Confirm(c));
            ch(&mut s, 'y', 36)
        }
        other => panic!("expected a confirmation, got {other:?}"),
    };
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::RunCommand(r) if r.dry_run))
    );

    // Step 1 done → decision 1 → "raise"; done at 60 → the API recovers 20s later.
    ch(&mut s, '1', 40);
    ch(&mut s, 'd', 60);
    let cur = s
        .session
        .as_ref()
        .and_then(|x| x.incident.current_step.clone());
    assert_eq!(cur.as_deref(), Some("confirm"));
    assert!(appended(&tick(&mut s, 79)).is_empty());
    let fx = tick(&mut s, 80);
    assert!(
        appended(&fx).iter().any(|k| matches!(k, EventKind::StatusChanged { source, to: Health::Up, .. } if source == "sessions-api")),
        "{fx:?}"
    );
    ch(&mut s, 'm', 90);
    ch(&mut s, 'R', 100);
    typed(&mut s, "raised the limit", 100);
    let fx = key(&mut s, KeyCode::Enter, 101);
    let card = appended(&fx)
        .into_iter()
        .find_map(|k| match k {
            EventKind::ScoreCard { scenario, lines } => Some((scenario.clone(), lines.clone())),
            _ => None,
        })
        .expect("a score card");
    assert_eq!(card.0, "cache-drill");
    let line = |label: &str| {
        card.1
            .iter()
            .find(|l| l.label == label)
            .cloned()
            .expect(label)
    };
    assert_eq!(line("time to diagnose").value, "40s");
    assert_eq!(line("time to diagnose").met, Some(true));
    assert_eq!(line("time to mitigate").value, "1m30s");
    assert_eq!(line("time to mitigate").met, Some(true));
    assert_eq!(line("time to resolve").value, "1m41s");
    assert_eq!(line("time to resolve").met, Some(false), "target 90s");
    assert_eq!(
        line("commands rehearsed (dry run)").value,
        "0",
        "never finished: no exec event"
    );
    assert_eq!(line("surprises injected").value, "1");
    assert!(
        matches!(&s.overlay, Some(Overlay::ShowText { title, text }) if title.contains("score card") && text.contains("✗ time to resolve"))
    );
    // Resolved: the script stops.
    let session = s.session.as_ref().expect("session");
    assert_eq!(session.incident.phase, Phase::Resolved);
    assert_eq!(
        Incident::replay(&session.events).as_ref(),
        Some(&session.incident)
    );
}

#[test]
fn a_resumed_rehearsal_does_not_inject_twice() {
    let mut s = rehearsed();
    tick(&mut s, 30);
    let events = s.session.as_ref().expect("session").events.clone();
    let mut s2 = state();
    s2.gamedays = vec![scenario()];
    app::update(
        &mut s2,
        Action::IncidentOpened(Box::new(app::Opened {
            runbook: s.session.as_ref().expect("session").runbook.clone(),
            events,
            read_only: None,
            notices: vec![],
            trusted: true,
            resumed: true,
        })),
    );
    assert!(s2.rehearsal.is_some());
    let fx = tick(&mut s2, 40);
    assert!(
        !appended(&fx)
            .iter()
            .any(|k| matches!(k, EventKind::Injected { .. })),
        "{fx:?}"
    );
}

#[test]
fn the_picker_offers_game_days_and_resolved_incidents_to_review() {
    let mut s = state();
    s.gamedays = vec![scenario()];
    s.refilter();
    let listing = |id: &str, state: Phase| IncidentListing {
        id: id.into(),
        runbook_id: "cache-evictions".into(),
        title: "Cache eviction storm".into(),
        started_at: t(-3600),
        state,
        events: 12,
        rehearsal: false,
        problem: None,
    };
    app::update(
        &mut s,
        Action::Incidents(vec![listing(
            "20261123-020000-cache-evictions",
            Phase::Resolved,
        )]),
    );
    let text = screen(&s, t(0), 100, 30);
    assert!(text.contains("▶ rehearse Cache drill"), "{text}");
    assert!(text.contains("✔ review Cache eviction storm"), "{text}");
    typed(&mut s, "rehearse", 1);
    let text = screen(&s, t(1), 100, 30);
    assert!(
        text.contains("GAME DAY"),
        "the preview explains it:\n{text}"
    );
    let fx = key(&mut s, KeyCode::Enter, 2);
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::StartIncident(r) if r.rehearsal))
    );

    let mut s = state();
    app::update(
        &mut s,
        Action::Incidents(vec![listing(
            "20261123-020000-cache-evictions",
            Phase::Resolved,
        )]),
    );
    typed(&mut s, "review", 1);
    let fx = key(&mut s, KeyCode::Enter, 2);
    assert_eq!(
        fx,
        vec![Effect::OpenReview("20261123-020000-cache-evictions".into())]
    );
}

/// The review screen over the rehearsal's log.
fn reviewing() -> (app::State, Vec<Event>) {
    let mut s = rehearsed();
    tick(&mut s, 30);
    ch(&mut s, 'i', 35);
    typed(&mut s, "replica alert is a red herring", 35);
    key(&mut s, KeyCode::Enter, 36);
    ch(&mut s, '1', 40);
    ch(&mut s, 'd', 60);
    tick(&mut s, 80);
    ch(&mut s, 'm', 90);
    ch(&mut s, 'R', 100);
    typed(&mut s, "raised the limit", 100);
    key(&mut s, KeyCode::Enter, 101);
    save_all(&mut s);
    let session = s.session.take().expect("session");
    let events = session.events.clone();
    let mut r = state();
    r.review_only = true;
    app::update(
        &mut r,
        Action::ReviewOpened(Box::new(app::action::ReviewOpened {
            id: "20261123-030000-cache-evictions".into(),
            runbook: session.runbook.clone(),
            events: events.clone(),
            problem: None,
        })),
    );
    assert_eq!(r.screen, Screen::Review);
    (r, events)
}

#[test]
fn review_statistics_filters_and_snapshots() {
    let (mut r, events) = reviewing();
    let rv = r.review.as_ref().expect("review");
    let st = &rv.stats;
    assert_eq!(
        st.to_diagnose.map(|d| d.as_secs()),
        Some(40),
        "the first diagnose step's decision, not its entry"
    );
    assert_eq!(st.to_mitigate.map(|d| d.as_secs()), Some(90));
    assert_eq!(st.to_resolve.map(|d| d.as_secs()), Some(101));
    let steps: Vec<_> = st
        .steps
        .iter()
        .map(|x| (x.id.as_str(), x.total().as_secs()))
        .collect();
    assert_eq!(steps, vec![("check", 40), ("raise", 20), ("confirm", 41)]);
    let api = st
        .sources
        .iter()
        .find(|x| x.name == "sessions-api")
        .expect("strip");
    let segs: Vec<_> = api
        .segments
        .iter()
        .map(|(a, b, h)| ((*a - t(0)).as_secs(), (*b - t(0)).as_secs(), *h))
        .collect();
    assert_eq!(segs, vec![(0, 80, Health::Down), (80, 101, Health::Up)]);
    assert_eq!(rv.rows.len(), events.len());
    insta::assert_snapshot!("review_120x34", screen(&r, t(200), 120, 34));
    insta::assert_snapshot!("review_80x24", screen(&r, t(200), 80, 24));

    // Only notes: key 1 toggles notes off, 0 shows all, then hide all but notes.
    ch(&mut r, '1', 201);
    let rv = r.review.as_ref().expect("review");
    assert!(
        rv.rows
            .iter()
            .all(|&i| !matches!(events[i].kind, EventKind::Note { .. }))
    );
    for n in ['0', '2', '3', '4', '5', '6'] {
        ch(&mut r, n, 202);
    }
    let rv = r.review.as_ref().expect("review");
    let shown: Vec<_> = rv.rows.iter().map(|&i| events[i].kind.name()).collect();
    assert_eq!(shown, vec!["note"]);
    assert!(screen(&r, t(200), 120, 34).contains("red herring"));
}

#[test]
fn replay_state_equals_the_log_prefix_at_every_event() {
    let (mut r, events) = reviewing();
    ch(&mut r, 'g', 300);
    key(&mut r, KeyCode::Enter, 300);
    assert_eq!(r.screen, Screen::Incident);
    let check = |r: &app::State, k: usize| {
        let s = r.session.as_ref().expect("replay session");
        assert_eq!(s.events.as_slice(), &events[..k], "events at {k}");
        assert_eq!(
            Some(&s.incident),
            Incident::replay(&events[..k]).as_ref(),
            "state at event {k}"
        );
        assert_eq!(
            r.board()
                .sources
                .iter()
                .map(|v| (v.snapshot.name.clone(), v.snapshot.state))
                .collect::<Vec<_>>(),
            board_at(&events[..k])
                .sources
                .iter()
                .map(|v| (v.snapshot.name.clone(), v.snapshot.state))
                .collect::<Vec<_>>()
        );
        assert!(s.read_only.is_some(), "a replay cannot change anything");
    };
    check(&r, 1);
    for k in 2..=events.len() {
        ch(&mut r, 'l', 300);
        check(&r, k);
    }
    ch(&mut r, 'l', 300);
    check(&r, events.len());
    for k in (1..events.len()).rev() {
        ch(&mut r, 'h', 300);
        check(&r, k);
    }
    // Keys that would change a live incident change nothing here.
    for c in ['d', 'm', 'x', 'R'] {
        let fx = ch(&mut r, c, 300);
        assert!(appended(&fx).is_empty(), "{c}: {fx:?}");
    }
    r.overlay = None;
    // Jumps by time land on the last event at or before the time.
    ch(&mut r, ']', 300);
    let rp = r
        .review
        .as_ref()
        .and_then(|x| x.replay.clone())
        .expect("replay");
    assert_eq!(rp.time, t(60));
    check(&r, cursor_at(&events, t(60)));
    // Play at ×60: one wall second is a minute of incident.
    ch(&mut r, '>', 301);
    ch(&mut r, '>', 301);
    ch(&mut r, ' ', 301);
    tick(&mut r, 302);
    let rp = r
        .review
        .as_ref()
        .and_then(|x| x.replay.clone())
        .expect("replay");
    assert_eq!(rp.speed, 60);
    assert_eq!(
        rp.time,
        events.last().expect("events").at,
        "clamped at the end"
    );
    assert!(!rp.playing, "stops at the end");
    check(&r, events.len());
    let text = screen(&r, t(302), 100, 30);
    assert!(text.contains("REPLAY ⏸ ×60"), "{text}");
    assert!(text.contains("RESOLVED"), "{text}");
    insta::assert_snapshot!("replay_100x30", text);
    // Esc: back to the review with the replayed event selected.
    key(&mut r, KeyCode::Esc, 303);
    assert_eq!(r.screen, Screen::Review);
    assert!(r.session.is_none());
}

#[test]
fn replay_at_random_positions_matches_the_prefix() {
    let (r, events) = reviewing();
    let rv: &Review = r.review.as_deref().expect("review");
    let mut session = rv.session_at(1).expect("session");
    // A fixed pseudo-random walk (forward and backward jumps of any size).
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..200 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let k = 1 + usize::try_from(x % events.len() as u64).expect("small");
        mayday::app::screens::review::seek(&mut session, &events, k);
        assert_eq!(
            Some(&session.incident),
            Incident::replay(&events[..k]).as_ref()
        );
    }
}
