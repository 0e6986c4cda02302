//! The shared timeline inside one app, without a network: others' events
//! (what the sync task fetched) are numbered after everything the session
//! has and written by the real log writer with the same numbers; others
//! moving never moves this responder's step; a late arrival is put in its
//! place in the one order every replica uses; two conflicting decisions are
//! both kept and shown; roles and handoffs reach the header and the
//! postmortem.

mod common;

use common::tui::*;
use crossterm::event::KeyCode;
use mayday::app::{self, Action, Effect};
use mayday::incident::log::LogWriter;
use mayday::incident::{Event, EventKind, Incident, timeline, writer};
use mayday::sync::live::{Link, LiveUpdate};

fn by(name: &str, seq: u64, at: i64, id: &str, kind: EventKind) -> Event {
    let mut e = Event::new(seq, t(at), kind);
    e.by = name.into();
    e.id = id.into();
    e
}

fn sync(s: &mut app::State, update: LiveUpdate) -> Vec<Effect> {
    let incident = session(s).incident.id.clone();
    app::update(
        s,
        Action::Sync {
            incident,
            update: Box::new(update),
        },
    )
}

fn fetched(s: &mut app::State, events: Vec<Event>) -> Vec<Effect> {
    sync(s, LiveUpdate::Fetched(events))
}

fn session(s: &app::State) -> &mayday::app::Session {
    s.session.as_ref().expect("an open incident")
}

fn seqs_and_ids(events: &[Event]) -> Vec<(u64, String)> {
    events.iter().map(|e| (e.seq, e.id.clone())).collect()
}

/// Bob's events arrive while alice has one of her own not yet saved: they
/// take the numbers after it, the effects hand them to the writer in that
/// order, and the real writer gives every record the number the screen
/// shows.
#[test]
fn others_events_are_numbered_in_order_with_own_unsaved_ones() {
    let mut s = started();
    let before = session(&s).incident.last_seq;
    // Alice's note: applied now, not saved yet.
    let mut fx = key(&mut s, KeyCode::Char('i'), 10);
    fx.extend(typed(&mut s, "looking at redis", 11));
    fx.extend(key(&mut s, KeyCode::Enter, 12));
    assert!(!session(&s).all_saved());
    fx.extend(fetched(
        &mut s,
        vec![
            by(
                "bob",
                2,
                13,
                "b2",
                EventKind::Note {
                    text: "redis-2 is swapping".into(),
                    status_update: false,
                },
            ),
            by("bob", 3, 14, "b3", EventKind::Mitigated),
        ],
    ));
    let ss = session(&s);
    let tail: Vec<(u64, bool, &str)> = ss
        .events
        .iter()
        .filter(|e| e.seq > before)
        .map(|e| (e.seq, e.merged, e.by.as_str()))
        .collect();
    assert_eq!(
        tail,
        [
            (before + 1, false, ""),
            (before + 2, true, "bob"),
            (before + 3, true, "bob")
        ]
    );
    // Bob's events keep their own numbers as their origin.
    let origins: Vec<u64> = ss
        .events
        .iter()
        .filter(|e| e.merged)
        .map(|e| e.origin_seq)
        .collect();
    assert_eq!(origins, [2, 3]);
    // Marked mitigated by bob: the phase is everyone's.
    assert_eq!(ss.incident.phase, mayday::incident::Phase::Mitigated);

    // The real writer, fed the effects in order, numbers them the same.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.log");
    let first = ss.events[0].clone();
    let (mut log, _) = LogWriter::create_with(&path, &ss.incident.id, first).unwrap();
    // Everything saved before the note, as the session has it.
    let saved: Vec<(EventKind, jiff::Timestamp)> = ss.events[1..]
        .iter()
        .filter(|e| e.seq <= before)
        .map(|e| (e.kind.clone(), e.at))
        .collect();
    log.append_batch(saved).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (w, mut reports) = writer::spawn(log, vec![]);
        for f in fx {
            match f {
                Effect::Append(kind, at) => w.append(kind, at),
                Effect::Merge(e) => w.merge(*e),
                _ => {}
            }
        }
        let mut got = Vec::new();
        while got.len() < 3 {
            match reports.recv().await {
                Some(writer::WriterEvent::Saved(e)) => got.push(*e),
                other => panic!("{other:?}"),
            }
        }
        let nums: Vec<(u64, bool)> = got.iter().map(|e| (e.seq, e.merged)).collect();
        assert_eq!(
            nums,
            [(before + 1, false), (before + 2, true), (before + 3, true)]
        );
        assert_eq!(got[1].id, "b2");
        assert_eq!(got[1].origin_seq, 2);
        w.close().await;
    });
    let back = mayday::incident::log::read(&path).unwrap();
    assert_eq!(back.events.len(), usize::try_from(before).unwrap() + 3);
}

/// Bob moving to another step shows where he is, and alice's step stays.
#[test]
fn others_moving_never_moves_my_step() {
    let mut s = started();
    let mine = session(&s).incident.current_step.clone();
    assert!(mine.is_some());
    fetched(
        &mut s,
        vec![by(
            "bob",
            5,
            20,
            "b5",
            EventKind::StepEntered {
                step: "escalate".into(),
                title: "Escalate to the platform team".into(),
            },
        )],
    );
    let ss = session(&s);
    assert_eq!(ss.incident.current_step, mine);
    assert_eq!(
        ss.incident.positions.get("bob").map(String::as_str),
        Some("escalate")
    );
    let text = screen(&s, t(21), 160, 40);
    assert!(text.contains("alice · step 1, bob · step 4"), "{text}");
    assert!(text.contains("bob: step: Escalate"), "{text}");
}

/// An event that happened before alice's last one, fetched late, is put in
/// its place: the session's timeline is the one order every replica uses.
#[test]
fn a_late_arrival_is_put_in_its_place() {
    let mut s = started();
    key(&mut s, KeyCode::Char('i'), 30);
    typed(&mut s, "alice at 31", 31);
    key(&mut s, KeyCode::Enter, 32);
    save_all(&mut s);
    fetched(
        &mut s,
        vec![by(
            "bob",
            2,
            20,
            "late",
            EventKind::Note {
                text: "bob at 20".into(),
                status_update: false,
            },
        )],
    );
    let ss = session(&s);
    let notes: Vec<&str> = ss
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Note { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(notes, ["bob at 20", "alice at 31"]);
    assert_eq!(
        seqs_and_ids(&timeline::order(ss.events.clone())),
        seqs_and_ids(&ss.events)
    );
    // Numbers still grow: the next own event comes after bob's.
    let top = ss.events.iter().map(|e| e.seq).max();
    assert_eq!(Some(ss.incident.last_seq), top);
}

/// Alice and bob answer the same decision differently: both are in the
/// state and on the screen, the last in the timeline counts.
#[test]
fn conflicting_decisions_are_both_kept_and_shown() {
    let mut s = started();
    // Alice: choice 2 (escalate).
    key(&mut s, KeyCode::Char('2'), 40);
    save_all(&mut s);
    fetched(
        &mut s,
        vec![by(
            "bob",
            4,
            41,
            "bd",
            EventKind::DecisionTaken {
                step: "check".into(),
                decision: 0,
                choice: 0,
                label: "Yes".into(),
                goto: "raise".into(),
            },
        )],
    );
    let ss = session(&s);
    let p = ss.incident.progress("check").expect("progress");
    assert_eq!(p.choices.get(&0).map(Vec::len), Some(2));
    assert_eq!(p.decisions.get(&0), Some(&0));
    // Back on the step that was decided, the conflict is said.
    let mut text = String::new();
    for at in 42..50 {
        text = screen(&s, t(at), 160, 40);
        if text.contains("decided differently") {
            break;
        }
        key(&mut s, KeyCode::Char('p'), at);
    }
    assert!(text.contains("⚠ decided differently: alice → No"), "{text}");
    assert!(text.contains("bob → Yes"), "{text}");
}

/// Roles: alice takes incident commander, hands it to bob; the header
/// shows bob, the postmortem lists both with their roles and the handoff.
#[test]
fn roles_are_taken_and_handed_off() {
    let mut s = started();
    key(&mut s, KeyCode::Char('C'), 50);
    key(&mut s, KeyCode::Enter, 51);
    assert_eq!(session(&s).incident.commander(), Some("alice"));
    key(&mut s, KeyCode::Char('C'), 52);
    // The prompt opens with `commander`: add who.
    typed(&mut s, " bob", 53);
    key(&mut s, KeyCode::Enter, 54);
    // A role that does not exist is refused, the prompt stays.
    key(&mut s, KeyCode::Char('C'), 55);
    typed(&mut s, "x", 56);
    key(&mut s, KeyCode::Enter, 57);
    assert!(s.overlay.is_some());
    key(&mut s, KeyCode::Esc, 58);
    key(&mut s, KeyCode::Esc, 58);
    save_all(&mut s);
    let ss = session(&s);
    assert_eq!(ss.incident.commander(), Some("bob"));
    assert_eq!(ss.incident.handoffs.len(), 2);
    assert_eq!(ss.incident.handoffs[1].from.as_deref(), Some("alice"));
    let text = screen(&s, t(60), 160, 40);
    assert!(text.contains("IC bob"), "{text}");
    assert!(
        text.contains("commander: handed from alice to bob"),
        "{text}"
    );

    let inc: Incident = Incident::replay(&ss.events).unwrap();
    let stats = mayday::incident::review::stats(&ss.events, Some(&ss.runbook)).unwrap();
    let md = mayday::incident::postmortem::markdown(
        &inc,
        &ss.events,
        &stats,
        Some(&ss.runbook),
        &jiff::tz::TimeZone::UTC,
    );
    assert!(md.contains("## Responders"), "{md}");
    assert!(md.contains("- **Responders:** alice"), "{md}");
    assert!(md.contains("commander: alice → bob (by alice)"), "{md}");
}

/// The link's state reaches the header: offline since when, with what is
/// queued; back to shared once connected.
#[test]
fn the_sync_state_is_always_visible() {
    let mut s = started();
    let link =
        |s: &mut app::State, link: Link, queued: usize| sync(s, LiveUpdate::Link { link, queued });
    link(
        &mut s,
        Link::Offline {
            since: t(100),
            why: "connection refused".into(),
        },
        3,
    );
    let text = screen(&s, t(130), 200, 30);
    assert!(text.contains("⇅ OFFLINE since 03:01 · 3 queued"), "{text}");
    link(&mut s, Link::CatchingUp { left: 42 }, 0);
    assert!(screen(&s, t(131), 200, 30).contains("⇅ catching up (42)"));
    link(&mut s, Link::Connected, 0);
    let text = screen(&s, t(132), 200, 30);
    assert!(text.contains("⇅ shared"), "{text}");
    // Own events: saved, then shared once acknowledged.
    let last = session(&s).incident.last_seq;
    assert!(text.contains("✓· "), "not acknowledged yet: {text}");
    sync(&mut s, LiveUpdate::Shared(last));
    // A late report of another incident's task changes nothing here.
    let before = session(&s).events.len();
    app::update(
        &mut s,
        Action::Sync {
            incident: "20261122-000000-other".into(),
            update: Box::new(LiveUpdate::Fetched(vec![by(
                "bob",
                9,
                134,
                "other",
                EventKind::Mitigated,
            )])),
        },
    );
    assert_eq!(session(&s).events.len(), before);
    let text = screen(&s, t(133), 200, 30);
    assert!(!text.contains("✓· "), "{text}");
    assert!(text.contains("✓⇅ "), "{text}");
}

/// Time per step with several responders: a step's time is when anyone was
/// on it (two on it at once count once), and one responder moving on does
/// not end another's step.
#[test]
fn time_per_step_counts_when_anyone_was_on_it() {
    let s = started();
    let ss = session(&s);
    let first = ss.events[0].clone();
    let step = |who: &str, seq, at, id: &str, step: &str| {
        by(
            who,
            seq,
            at,
            id,
            EventKind::StepEntered {
                step: step.into(),
                title: step.into(),
            },
        )
    };
    let mut events = vec![first];
    events[0].at = t(0);
    events.extend([
        step("alice", 2, 0, "a2", "check"),
        step("bob", 2, 30, "b2", "check"),
        // Alice moves on at 60; bob stays on `check` until 100.
        step("alice", 3, 60, "a3", "raise"),
        step("bob", 3, 100, "b3", "escalate"),
        by(
            "alice",
            4,
            120,
            "a4",
            EventKind::Resolved {
                summary: "ok".into(),
            },
        ),
    ]);
    let events = timeline::order(events);
    let stats = mayday::incident::review::stats(&events, Some(&ss.runbook)).unwrap();
    let secs = |id: &str| {
        stats
            .steps
            .iter()
            .find(|st| st.id == id)
            .map(|st| st.total().as_secs())
    };
    assert_eq!(secs("check"), Some(100), "0–100, alice and bob overlapping");
    assert_eq!(secs("raise"), Some(60), "alice 60–120");
    assert_eq!(secs("escalate"), Some(20), "bob 100–120");
}

fn header(id: &str, state: mayday::incident::Phase, who: &[&str]) -> mayday::sync::shared::Header {
    mayday::sync::shared::Header {
        id: id.into(),
        title: "Cache eviction storm".into(),
        runbook_id: "cache-evictions".into(),
        severity: mayday::runbook::Severity::High,
        state,
        responders: who.iter().map(|w| (*w).to_owned()).collect(),
        commander: Some(who[0].to_owned()),
        started_at: t(-120),
        rehearsal: false,
    }
}

/// The picker asks for shared incidents now and then, offers the open ones
/// that are not here as join rows, and Enter joins then opens one.
#[test]
fn the_picker_offers_to_join_what_others_share() {
    let mut s = state();
    let ticks: Vec<Effect> = (1..=11)
        .flat_map(|i| app::update(&mut s, Action::Tick(t(i))))
        .collect();
    assert_eq!(
        ticks.iter().filter(|e| **e == Effect::ListShared).count(),
        1,
        "once in ten seconds: {ticks:?}"
    );
    app::update(
        &mut s,
        Action::SharedIncidents(vec![
            header(
                "20261123-025800-cache-evictions",
                mayday::incident::Phase::Open,
                &["bob", "carol"],
            ),
            header(
                "20261122-010000-cache-evictions",
                mayday::incident::Phase::Resolved,
                &["bob"],
            ),
        ]),
    );
    assert_eq!(s.shared.len(), 1, "a resolved one is not offered");
    let text = screen(&s, t(12), 160, 30);
    assert!(text.contains("⇄ join"), "{text}");
    assert!(text.contains("bob, carol"), "{text}");
    assert!(text.contains("incident commander: bob"), "{text}");
    let fx = key(&mut s, KeyCode::Enter, 13);
    assert!(
        fx.contains(&Effect::JoinIncident(
            "20261123-025800-cache-evictions".into()
        )),
        "{fx:?}"
    );
    let fx = app::update(
        &mut s,
        Action::Joined(Ok("20261123-025800-cache-evictions".into())),
    );
    assert_eq!(
        fx,
        [Effect::ResumeIncident(
            "20261123-025800-cache-evictions".into()
        )]
    );
    app::update(
        &mut s,
        Action::Joined(Err("cannot join x: no answer".into())),
    );
    assert!(screen(&s, t(14), 160, 30).contains("cannot join x: no answer"));
}
