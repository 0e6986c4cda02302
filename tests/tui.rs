//! The app without a terminal: `update` for every action, the incident log
//! replay invariant, and snapshots of every screen drawn by `view` into
//! ratatui's `TestBackend`.

mod common;

use common::tui::*;
use crossterm::event::{KeyCode, KeyModifiers};
use mayday::app::{self, Action, Effect, IncidentListing, Notice, Opened, Overlay, Screen};
use mayday::incident::{Event, EventKind, Incident, Phase, StepStatus};
use mayday::runbook::Severity;
use proptest::prelude::*;
use ratatui::style::Color;

fn kinds(fx: &[Effect]) -> Vec<&'static str> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Append(k, _) => Some(k.name()),
            _ => None,
        })
        .collect()
}

/// The state on screen is exactly the log replayed.
fn assert_replays(s: &app::State) {
    let session = s.session.as_ref().expect("session");
    let replayed = Incident::replay(&session.events).expect("replay");
    assert_eq!(replayed, session.incident);
    let seqs: Vec<u64> = session.events.iter().map(|e| e.seq).collect();
    assert_eq!(
        seqs,
        (1..=seqs.len() as u64).collect::<Vec<_>>(),
        "contiguous sequence numbers"
    );
}

// ---------------------------------------------------------------- picker

#[test]
fn the_picker_lists_open_incidents_first_and_filters_as_you_type() {
    let mut s = state();
    assert_eq!(s.screen, Screen::Picker);
    let all = s.picker.items.len();
    assert_eq!(all, s.library.runbooks.len());
    app::update(
        &mut s,
        Action::Incidents(vec![
            IncidentListing {
                id: "20261122-230000-api-latency".into(),
                runbook_id: "api-latency".into(),
                title: "API latency is high".into(),
                started_at: t(-3600),
                state: Phase::Mitigated,
                events: 12,
                rehearsal: false,
                problem: None,
            },
            IncidentListing {
                id: "old".into(),
                runbook_id: "api-latency".into(),
                title: "done".into(),
                started_at: t(-7200),
                state: Phase::Resolved,
                events: 3,
                rehearsal: false,
                problem: None,
            },
        ]),
    );
    assert_eq!(
        s.incidents.len(),
        1,
        "resolved incidents are not offered for resume"
    );
    assert_eq!(s.picker.items[0], app::screens::picker::PickItem::Resume(0));
    // The picker opens ready to type; the filter matches alert names too.
    assert!(s.picker.filtering);
    typed(&mut s, "crashloop", 1);
    assert!(s.picker.filtering);
    let titles: Vec<String> = s
        .picker
        .items
        .iter()
        .filter_map(|i| s.picked_runbook(*i).map(|r| r.title.clone()))
        .collect();
    assert_eq!(titles.len(), 1, "{titles:?}");
    assert!(titles[0].contains("Crash"), "{titles:?}");
    // Esc clears the filter, and a second Esc leaves it for the keys.
    key(&mut s, KeyCode::Esc, 2);
    // Plus the open incident to resume and the resolved one to review.
    assert_eq!(s.picker.items.len(), all + 2);
    assert_eq!(
        s.picker.items.last(),
        Some(&app::screens::picker::PickItem::Review(0))
    );
    key(&mut s, KeyCode::Esc, 2);
    assert!(!s.picker.filtering);
    // `/` filters too, and Enter on a resume row resumes.
    ch(&mut s, '/', 3);
    assert!(s.picker.filtering);
    key(&mut s, KeyCode::Esc, 3);
    key(&mut s, KeyCode::Home, 3);
    let fx = key(&mut s, KeyCode::Enter, 4);
    assert_eq!(
        fx,
        vec![Effect::ResumeIncident("20261122-230000-api-latency".into())]
    );
}

#[test]
fn moving_in_the_picker_stays_in_bounds() {
    let mut s = state();
    key(&mut s, KeyCode::Esc, 1);
    for _ in 0..10 {
        ch(&mut s, 'j', 1);
    }
    assert_eq!(s.picker.selected, s.picker.items.len() - 1);
    ch(&mut s, 'g', 1);
    assert_eq!(s.picker.selected, 0);
    ch(&mut s, 'k', 1);
    assert_eq!(s.picker.selected, 0);
}

#[test]
fn quitting_from_the_picker_needs_no_confirmation() {
    let mut s = state();
    assert!(ch(&mut s, 'q', 1).is_empty(), "q is typed into the filter");
    key(&mut s, KeyCode::Esc, 1);
    key(&mut s, KeyCode::Esc, 1);
    assert_eq!(ch(&mut s, 'q', 1), vec![Effect::Quit]);
    let mut s = state();
    assert_eq!(
        key_mod(&mut s, KeyCode::Char('c'), KeyModifiers::CONTROL, 1),
        vec![Effect::Quit]
    );
}

// ---------------------------------------------------------------- start

#[test]
fn the_start_form_prefills_defaults_and_enter_accepts() {
    let mut s = state();
    typed(&mut s, "cache evic", 1);
    key(&mut s, KeyCode::Enter, 2);
    assert_eq!(s.screen, Screen::Start);
    let form = s.start.as_ref().expect("form");
    let labels: Vec<&str> = form.fields.iter().map(|f| f.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "Kubernetes namespace of the Redis deployment (namespace)",
            "Severity",
            "Responder"
        ]
    );
    assert_eq!(form.fields[0].input.text(), "cache");
    assert_eq!(form.fields[2].input.text(), "alice");
    assert_eq!(form.severity, Severity::High, "the runbook's severity");
    // Tab (or ↓) moves to a field to change it; Enter starts at once.
    key(&mut s, KeyCode::Tab, 3);
    ch(&mut s, '1', 3);
    assert_eq!(
        s.start.as_ref().map(|f| f.severity),
        Some(Severity::Critical)
    );
    let fx = key(&mut s, KeyCode::Enter, 4);
    let Some(Effect::StartIncident(req)) = fx.first() else {
        panic!("expected a start: {fx:?}")
    };
    assert_eq!(
        req.variables.get("namespace").map(String::as_str),
        Some("cache")
    );
    assert_eq!(req.severity, Severity::Critical);
    assert_eq!(req.responder, "alice");
    assert_eq!(req.at, t(4));
}

#[test]
fn required_variables_must_be_answered() {
    let mut s = state();
    typed(&mut s, "cache evic", 1);
    key(&mut s, KeyCode::Enter, 2);
    // Clear the namespace field.
    for _ in 0..5 {
        key(&mut s, KeyCode::Backspace, 2);
    }
    key(&mut s, KeyCode::Enter, 3);
    key(&mut s, KeyCode::Enter, 3);
    let fx = key(&mut s, KeyCode::Enter, 3);
    assert!(fx.is_empty(), "{fx:?}");
    let form = s.start.as_ref().expect("still on the form");
    assert_eq!(form.focus, 0);
    assert!(form.error.as_deref().unwrap_or("").contains("namespace"));
    // Esc goes back to the picker.
    key(&mut s, KeyCode::Esc, 4);
    assert_eq!(s.screen, Screen::Picker);
}

#[test]
fn values_from_the_command_line_are_not_asked_again() {
    let mut s = state();
    s.settings.preset = app::settings::Preset {
        variables: [("namespace".to_owned(), "prod".to_owned())]
            .into_iter()
            .collect(),
        severity: Some(Severity::Low),
        responder: Some("bob".into()),
    };
    let rb = s.library.get("cache-evictions").cloned().expect("fixture");
    let mut fx = Vec::new();
    mayday::app::update::open_start(&mut s, rb, &mut fx);
    let Some(Effect::StartIncident(req)) = fx.first() else {
        panic!("everything given: starts at once, {fx:?}")
    };
    assert_eq!(
        (req.severity, req.responder.as_str()),
        (Severity::Low, "bob")
    );
    assert_eq!(req.variables["namespace"], "prod");
}

// ---------------------------------------------------------------- incident

#[test]
fn opening_an_incident_enters_the_first_step() {
    let mut s = state();
    typed(&mut s, "cache evic", 1);
    // Enter on the runbook, Enter on the form: the incident.
    key(&mut s, KeyCode::Enter, 2);
    let fx = key(&mut s, KeyCode::Enter, 3);
    let fx = open(&mut s, fx);
    assert_eq!(kinds(&fx), ["step_entered"]);
    assert_eq!(s.screen, Screen::Incident);
    let session = s.session.as_ref().unwrap();
    assert_eq!(session.incident.current_step.as_deref(), Some("check"));
    assert!(!session.all_saved());
    save_all(&mut s);
    assert!(s.session.as_ref().unwrap().all_saved());
    assert_replays(&s);
}

#[test]
fn checklist_decision_note_done_skip_mitigate_resolve() {
    let mut s = started();
    // x ticks the first unticked item (nothing selected yet → the first).
    assert_eq!(kinds(&ch(&mut s, 'x', 10)), ["checklist_toggled"]);
    let p = s
        .session
        .as_ref()
        .unwrap()
        .incident
        .progress("check")
        .cloned()
        .unwrap();
    assert_eq!(p.checked.get(&0), Some(&true));
    // A note, multi-line.
    ch(&mut s, 'i', 11);
    assert!(matches!(s.overlay, Some(Overlay::Prompt(_))));
    typed(&mut s, "used 3.9G", 12);
    key_mod(&mut s, KeyCode::Enter, KeyModifiers::ALT, 12);
    typed(&mut s, "of 4G", 12);
    let fx = key(&mut s, KeyCode::Enter, 13);
    assert_eq!(kinds(&fx), ["note"]);
    assert_eq!(
        s.session.as_ref().unwrap().incident.notes[0].2,
        "used 3.9G\nof 4G"
    );
    // Esc, asked twice for a written draft, cancels a note without logging.
    ch(&mut s, 'i', 14);
    typed(&mut s, "never mind", 14);
    assert!(kinds(&key(&mut s, KeyCode::Esc, 14)).is_empty());
    assert!(kinds(&key(&mut s, KeyCode::Esc, 14)).is_empty());
    assert!(s.overlay.is_none());
    // Choice 1 → "raise": decision, done, enter.
    assert_eq!(
        kinds(&ch(&mut s, '1', 20)),
        ["decision_taken", "step_done", "step_entered"]
    );
    let inc = &s.session.as_ref().unwrap().incident;
    assert_eq!(inc.current_step.as_deref(), Some("raise"));
    assert_eq!(inc.status("check"), StepStatus::Done);
    // Skip asks for a reason; an empty reason is refused.
    ch(&mut s, 's', 21);
    assert!(kinds(&key(&mut s, KeyCode::Enter, 21)).is_empty());
    let Some(Overlay::Prompt(p)) = &s.overlay else {
        panic!("prompt stays")
    };
    assert!(p.error.is_some());
    typed(&mut s, "pod already has 4Gi", 22);
    assert_eq!(
        kinds(&key(&mut s, KeyCode::Enter, 22)),
        ["step_skipped", "step_entered"]
    );
    assert_eq!(
        s.session.as_ref().unwrap().incident.status("raise"),
        StepStatus::Skipped
    );
    // d: done and on to the next step.
    assert_eq!(kinds(&ch(&mut s, 'd', 30)), ["step_done", "step_entered"]);
    // p goes back, n forward.
    assert_eq!(kinds(&ch(&mut s, 'p', 31)), ["step_entered"]);
    assert_eq!(kinds(&ch(&mut s, 'n', 32)), ["step_entered"]);
    // m: mitigated once (a second m offers to take it back; n keeps it).
    assert_eq!(kinds(&ch(&mut s, 'm', 40)), ["mitigated"]);
    assert!(kinds(&ch(&mut s, 'm', 41)).is_empty());
    assert!(matches!(s.overlay, Some(Overlay::ConfirmRetract)));
    assert!(kinds(&key(&mut s, KeyCode::Esc, 41)).is_empty());
    assert_eq!(s.session.as_ref().unwrap().incident.phase, Phase::Mitigated);
    // R: resolve with a summary.
    ch(&mut s, 'R', 50);
    typed(&mut s, "evictions stopped after raising the limit", 51);
    assert_eq!(kinds(&key(&mut s, KeyCode::Enter, 52)), ["resolved"]);
    let inc = &s.session.as_ref().unwrap().incident;
    assert_eq!(inc.phase, Phase::Resolved);
    assert_eq!(
        inc.summary.as_deref(),
        Some("evictions stopped after raising the limit")
    );
    assert_replays(&s);
    // Resolved: q quits without asking.
    let fx = ch(&mut s, 'q', 60);
    assert_eq!(fx, vec![Effect::CloseIncident, Effect::Quit]);
}

#[test]
fn waits_count_down_and_finish_on_the_tick() {
    let mut s = started();
    ch(&mut s, '1', 10); // → raise, which has a 2m wait
    assert_eq!(kinds(&ch(&mut s, 'w', 20)), ["wait_started"]);
    assert!(kinds(&ch(&mut s, 'w', 21)).is_empty(), "no second wait");
    let screen_text = screen(&s, t(50), 100, 30);
    assert!(screen_text.contains("01:30 left"), "{screen_text}");
    let fx = app::update(&mut s, Action::Tick(t(139)));
    assert!(kinds(&fx).is_empty());
    let fx = app::update(&mut s, Action::Tick(t(140)));
    assert_eq!(kinds(&fx), ["wait_finished"]);
    assert!(fx.contains(&Effect::Bell));
    assert!(
        kinds(&app::update(&mut s, Action::Tick(t(141)))).is_empty(),
        "finished once"
    );
    assert_replays(&s);
}

#[test]
fn the_status_update_reminder_rings_once_and_a_posted_update_resets_it() {
    let mut s = started();
    let due = 30 * 60 + 4;
    assert!(!app::update(&mut s, Action::Tick(t(due - 1))).contains(&Effect::Bell));
    assert!(app::update(&mut s, Action::Tick(t(due))).contains(&Effect::Bell));
    assert!(!app::update(&mut s, Action::Tick(t(due + 1))).contains(&Effect::Bell));
    assert!(screen(&s, t(due + 65), 100, 30).contains("update OVERDUE 01:05"));
    ch(&mut s, 'u', due + 70);
    let Some(Overlay::Prompt(p)) = &s.overlay else {
        panic!("prompt")
    };
    assert!(
        p.input
            .text()
            .starts_with("[SEV2] Cache eviction storm — investigating."),
        "{}",
        p.input.text()
    );
    let fx = key(&mut s, KeyCode::Enter, due + 80);
    assert_eq!(kinds(&fx), ["note"]);
    let inc = &s.session.as_ref().unwrap().incident;
    assert_eq!(inc.last_status_update, t(due + 80));
    assert!(screen(&s, t(due + 80), 100, 30).contains("update in 30:00"));
}

#[test]
fn quitting_an_open_incident_asks_and_keeps_it_open() {
    let mut s = started();
    assert!(ch(&mut s, 'q', 10).is_empty());
    assert!(matches!(s.overlay, Some(Overlay::ConfirmQuit)));
    assert!(ch(&mut s, 'n', 11).is_empty());
    assert!(s.overlay.is_none());
    key_mod(&mut s, KeyCode::Char('c'), KeyModifiers::CONTROL, 12);
    assert!(matches!(s.overlay, Some(Overlay::ConfirmQuit)));
    let fx = ch(&mut s, 'y', 13);
    assert_eq!(kinds(&fx), ["session_ended"]);
    assert_eq!(&fx[1..], &[Effect::CloseIncident, Effect::Quit]);
    assert_eq!(s.session.as_ref().unwrap().incident.phase, Phase::Open);
}

#[test]
fn writer_acknowledgements_and_failures() {
    let mut s = started();
    ch(&mut s, 'x', 10);
    assert!(screen(&s, t(10), 100, 30).contains("1 saving…"));
    let e = s.session.as_ref().unwrap().events.last().cloned().unwrap();
    app::update(&mut s, Action::Saved(Box::new(e)));
    let text = screen(&s, t(11), 100, 30);
    assert!(text.contains("all saved"), "{text}");
    ch(&mut s, 'x', 12);
    app::update(
        &mut s,
        Action::SaveFailed {
            error: "No space left on device".into(),
        },
    );
    let text = screen(&s, t(13), 100, 30);
    assert!(
        text.contains("NOT SAVED: No space left on device"),
        "{text}"
    );
    assert!(
        text.contains("✗ [ ]"),
        "the unsaved event is marked:\n{text}"
    );
}

#[test]
fn a_resumed_session_is_logged_and_shows_what_was_saved() {
    let mut s = started();
    ch(&mut s, 'x', 10);
    ch(&mut s, '1', 11);
    save_all(&mut s);
    let events = s.session.as_ref().unwrap().events.clone();
    let runbook = s.session.as_ref().unwrap().runbook.clone();
    let before = s.session.as_ref().unwrap().incident.clone();
    let mut fresh = state();
    let fx = app::update(
        &mut fresh,
        Action::IncidentOpened(Box::new(Opened {
            runbook,
            events,
            read_only: None,
            notices: vec![Notice::warning("recovered a torn tail")],
            trusted: true,
            resumed: true,
        })),
    );
    assert_eq!(kinds(&fx), ["session_resumed"]);
    let inc = &fresh.session.as_ref().unwrap().incident;
    assert_eq!(inc.current_step, before.current_step);
    assert_eq!(inc.steps, before.steps);
    assert_eq!(fresh.notices.len(), 1);
    assert_replays(&fresh);
}

#[test]
fn read_only_incidents_log_nothing() {
    let mut s = started();
    s.session.as_mut().unwrap().read_only = Some("corrupt record on line 7".into());
    assert!(kinds(&ch(&mut s, 'x', 10)).is_empty());
    assert!(screen(&s, t(10), 100, 30).contains("READ-ONLY: corrupt record on line 7"));
}

#[test]
fn failures_and_notices_show_and_esc_dismisses_them() {
    let mut s = state();
    app::update(
        &mut s,
        Action::IncidentFailed("cannot create the log: read-only file system".into()),
    );
    assert!(screen(&s, t(1), 100, 30).contains("cannot create the log"));
    key(&mut s, KeyCode::Esc, 2);
    assert!(s.notices.is_empty());
    app::update(&mut s, Action::Notice(Notice::info("fyi")));
    assert_eq!(s.notices.len(), 1);
    app::update(&mut s, Action::Tick(t(20)));
    assert!(s.notices.is_empty(), "info notices fade");
}

#[test]
fn paste_goes_into_the_focused_input() {
    let mut s = started();
    ch(&mut s, 'i', 10);
    app::update(
        &mut s,
        Action::Paste {
            text: "line one\nline two\u{1b}[2J".into(),
            at: t(11),
        },
    );
    let fx = key(&mut s, KeyCode::Enter, 12);
    assert_eq!(kinds(&fx), ["note"]);
    assert_eq!(
        s.session.as_ref().unwrap().incident.notes[0].2,
        "line one\nline two^[[2J"
    );
}

#[test]
fn tab_cycles_focus_and_the_step_list_can_jump() {
    let mut s = started();
    key(&mut s, KeyCode::Tab, 1);
    assert_eq!(s.session.as_ref().unwrap().focus, app::Pane::Steps);
    ch(&mut s, 'j', 2);
    ch(&mut s, 'j', 2);
    assert_eq!(kinds(&key(&mut s, KeyCode::Enter, 3)), ["step_entered"]);
    assert_eq!(
        s.session.as_ref().unwrap().incident.current_step.as_deref(),
        Some("confirm")
    );
    key(&mut s, KeyCode::Tab, 4);
    key(&mut s, KeyCode::Tab, 4);
    key(&mut s, KeyCode::Tab, 4);
    assert_eq!(s.session.as_ref().unwrap().focus, app::Pane::Content);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Whatever the keys, the app never panics and what it shows is the log
    /// replayed.
    #[test]
    fn any_key_sequence_keeps_the_state_equal_to_the_replayed_log(
        keys in proptest::collection::vec(proptest::sample::select(vec![
            'n', 'p', 'x', ' ', 'd', 's', '1', '2', '3', 'i', 'm', 'R', 'w', 'j', 'k', '\t', '\n', 'a', 'q', 'u', '\u{1b}',
        ]), 0..60),
    ) {
        let mut s = started();
        for (i, c) in keys.into_iter().enumerate() {
            let at = 10 + i as i64 * 7;
            match c {
                '\t' => { key(&mut s, KeyCode::Tab, at); }
                '\n' => { key(&mut s, KeyCode::Enter, at); }
                '\u{1b}' => { key(&mut s, KeyCode::Esc, at); }
                c => { ch(&mut s, c, at); }
            }
            app::update(&mut s, Action::Tick(t(at + 3)));
            if s.quitting { break; }
        }
        let session = s.session.as_ref().unwrap();
        prop_assert_eq!(Incident::replay(&session.events).unwrap(), session.incident.clone());
        let _ = screen(&s, t(1000), 80, 24);
    }
}

// ---------------------------------------------------------------- snapshots

fn snap(name: &str, s: &app::State, secs: i64, w: u16, h: u16) {
    insta::assert_snapshot!(name, screen(s, t(secs), w, h));
}

#[test]
fn snapshot_picker() {
    let s = state();
    snap("picker_80x24", &s, 0, 80, 24);
    let mut s = state();
    typed(&mut s, "kube", 1);
    snap("picker_filtered_80x24", &s, 1, 80, 24);
}

#[test]
fn snapshot_start_prompt() {
    let mut s = state();
    typed(&mut s, "cache evic", 1);
    key(&mut s, KeyCode::Enter, 2);
    snap("start_80x24", &s, 2, 80, 24);
}

fn in_progress() -> app::State {
    let mut s = started();
    ch(&mut s, 'x', 30);
    ch(&mut s, 'i', 40);
    typed(&mut s, "redis at 98% of maxmemory; evictions 1.2k/s", 41);
    key(&mut s, KeyCode::Enter, 45);
    save_all(&mut s);
    s
}

#[test]
fn snapshot_incident_in_progress_at_both_sizes() {
    let s = in_progress();
    snap("incident_80x24", &s, 125, 80, 24);
    snap("incident_200x60", &s, 125, 200, 60);
}

#[test]
fn snapshot_decision_wait_and_help() {
    let mut s = in_progress();
    snap("decision_100x30", &s, 50, 100, 30);
    ch(&mut s, '1', 60);
    ch(&mut s, 'w', 61);
    save_all(&mut s);
    snap("wait_countdown_100x30", &s, 90, 100, 30);
    ch(&mut s, '?', 91);
    snap("help_100x30", &s, 91, 100, 30);
}

#[test]
fn snapshot_each_theme_once() {
    let s = in_progress();
    for name in ["dark", "light", "high-contrast", "colorblind"] {
        let th = theme(name);
        assert_eq!(th.name, name, "bundled theme {name} loads");
        let buf = render(&s, t(125), 100, 30, &th);
        insta::assert_snapshot!(format!("theme_{name}"), text(&buf));
    }
}

// ---------------------------------------------------------------- colours

fn find(buf: &ratatui::buffer::Buffer, needle: &str) -> (u16, u16) {
    let t = text(buf);
    for (y, line) in t.lines().enumerate() {
        if let Some(byte) = line.find(needle) {
            let x = line[..byte].chars().count();
            return (x as u16, y as u16);
        }
    }
    panic!("`{needle}` not on screen:\n{t}");
}

#[test]
fn colours_that_carry_meaning() {
    let mut s = in_progress();
    ch(&mut s, '1', 60);
    save_all(&mut s);
    let th = theme("dark");
    let buf = render(&s, t(70), 100, 30, &th);
    let (x, y) = find(&buf, "● OPEN");
    assert_eq!(
        buf[(x + 2, y)].fg,
        th.style("phase.open").fg.unwrap_or(Color::Reset)
    );
    assert_eq!(
        buf[(x + 2, y)].fg,
        Color::Rgb(0xbf, 0x61, 0x6a),
        "open is red in the dark theme"
    );
    let (x, y) = find(&buf, "✔ 1");
    assert_eq!(
        buf[(x, y)].fg,
        th.style("step.done").fg.unwrap_or(Color::Reset)
    );
    let (x, y) = find(&buf, "SEV2");
    assert_eq!(
        buf[(x, y)].fg,
        th.style("severity.high").fg.unwrap_or(Color::Reset)
    );
    // Without colour, the words and icons are still there.
    let mono = th.without_colors();
    let buf = render(&s, t(70), 100, 30, &mono);
    let text = text(&buf);
    for word in ["● OPEN", "✔ 1", "▶ 2", "SEV2"] {
        assert!(text.contains(word), "{word} without colour:\n{text}");
    }
    assert!(
        buf.content
            .iter()
            .all(|c| c.fg == Color::Reset && c.bg == Color::Reset)
    );
}

#[test]
fn hostile_text_in_the_log_never_reaches_the_screen_as_escapes() {
    let mut s = started();
    ch(&mut s, 'i', 10);
    app::update(
        &mut s,
        Action::Paste {
            text: "\u{1b}]0;pwned\u{7}\u{202e}evil".into(),
            at: t(11),
        },
    );
    key(&mut s, KeyCode::Enter, 12);
    let buf = render(&s, t(13), 100, 30, &theme("dark"));
    let text = text(&buf);
    assert!(!text.contains('\u{1b}') && !text.contains('\u{202e}'));
    assert!(text.contains("note: ^[]0;pwned^Gevil"), "{text}");
    let _ = Event::new(0, t(0), EventKind::Mitigated);
}

/// A sentence typed into the incident screen with no editor open runs
/// nothing, skips nothing, decides nothing: it becomes a note draft with
/// every character, and Enter saves it.
#[test]
fn a_typed_sentence_becomes_a_note_not_commands() {
    let mut s = started();
    let before = s.session.as_ref().unwrap().events.len();
    let at = t(10);
    let mut fx = Vec::new();
    for (i, c) in "restarted pgbouncer".chars().enumerate() {
        // 80 ms apart: a person typing.
        let at = at + jiff::SignedDuration::from_millis(80 * i as i64);
        fx.extend(app::update(
            &mut s,
            Action::Key {
                key: crossterm::event::KeyEvent::new(
                    KeyCode::Char(c),
                    crossterm::event::KeyModifiers::NONE,
                ),
                at,
            },
        ));
    }
    // The timer the first key asked for goes off: nothing is held any more.
    fx.extend(app::update(&mut s, Action::Wake(t(12))));
    assert!(kinds(&fx).is_empty(), "{:?}", kinds(&fx));
    assert_eq!(s.session.as_ref().unwrap().events.len(), before);
    let Some(Overlay::Prompt(p)) = &s.overlay else {
        panic!("a note draft: {:?}", s.overlay)
    };
    assert_eq!(p.input.text(), "restarted pgbouncer");
    let fx = key(&mut s, KeyCode::Enter, 13);
    assert_eq!(kinds(&fx), ["note"]);
    // One key on its own still acts (after the guard's short wait).
    let fx = ch(&mut s, 'r', 20);
    assert_eq!(kinds(&fx), ["command_requested"]);
}

/// Scrolled up, the log pane stays where it is and counts what arrived
/// below; End follows again.
#[test]
fn the_log_pane_counts_new_events_while_scrolled_up() {
    let mut s = started();
    for i in 0..6 {
        ch(&mut s, 'i', 10 + i);
        typed(&mut s, &format!("note {i}"), 10 + i);
        key(&mut s, KeyCode::Enter, 10 + i);
    }
    s.session.as_mut().unwrap().focus = app::Pane::Log;
    key(&mut s, KeyCode::Up, 20);
    key(&mut s, KeyCode::Up, 20);
    let before = screen(&s, t(21), 120, 34);
    assert!(before.contains("↓ 2 below"), "{before}");
    ch(&mut s, 'i', 22);
    typed(&mut s, "arrived while reading", 22);
    key(&mut s, KeyCode::Enter, 22);
    let after = screen(&s, t(23), 120, 34);
    assert!(after.contains("↓ 1 new below"), "{after}");
    assert!(
        !after.contains("arrived while reading"),
        "the view stayed put:\n{after}"
    );
    key(&mut s, KeyCode::End, 24);
    let end = screen(&s, t(25), 120, 34);
    assert!(
        end.contains("note: arrived while reading") && !end.contains("new below"),
        "{end}"
    );
}

/// A variable a command uses is never blank when it runs: it is asked for
/// (showing the command), logged, and the run goes on.
#[test]
fn a_blank_variable_is_asked_for_before_its_command_runs() {
    let mut s = started();
    s.session
        .as_mut()
        .unwrap()
        .incident
        .variables
        .insert("namespace".into(), String::new());
    assert!(kinds(&ch(&mut s, 'r', 10)).is_empty(), "nothing runs blank");
    let Some(Overlay::Prompt(p)) = &s.overlay else {
        panic!("asks: {:?}", s.overlay)
    };
    assert!(p.title.contains("`namespace` is needed"), "{}", p.title);
    assert!(p.help.contains("redis-cli info memory"), "{}", p.help);
    assert!(
        kinds(&key(&mut s, KeyCode::Enter, 11)).is_empty(),
        "a value is needed"
    );
    typed(&mut s, "prod", 12);
    let fx = key(&mut s, KeyCode::Enter, 12);
    assert_eq!(kinds(&fx), ["variable_set", "command_requested"]);
    let Some(Overlay::Confirm(c)) = &s.overlay else {
        panic!("on to the confirmation")
    };
    assert_eq!(
        c.text,
        "kubectl -n prod exec deploy/redis -- redis-cli info memory"
    );
    assert_replays(&s);
}

/// Resolving while a mitigation step is still pending asks first.
#[test]
fn resolving_with_mitigation_pending_asks_first() {
    let mut s = started();
    assert!(ch(&mut s, 'R', 10).is_empty());
    let Some(Overlay::ConfirmResolve { reasons }) = &s.overlay else {
        panic!("asks: {:?}", s.overlay)
    };
    assert!(
        reasons.iter().any(|r| r.contains("Raise the memory limit")),
        "{reasons:?}"
    );
    assert!(screen(&s, t(10), 120, 34).contains("Resolve now?"));
    ch(&mut s, 'n', 11);
    assert!(s.overlay.is_none());
    ch(&mut s, 'R', 12);
    ch(&mut s, 'y', 12);
    assert!(
        matches!(s.overlay, Some(Overlay::Prompt(_))),
        "then the summary"
    );
}

/// Starting a runbook that already has an open incident offers to resume
/// it; Enter resumes, `n` starts a second one.
#[test]
fn a_second_incident_on_a_runbook_offers_the_open_one() {
    let mut s = state();
    app::update(
        &mut s,
        Action::Incidents(vec![IncidentListing {
            id: "20261122-230000-cache-evictions".into(),
            runbook_id: "cache-evictions".into(),
            title: "Cache eviction storm".into(),
            started_at: t(-600),
            state: Phase::Open,
            events: 5,
            rehearsal: false,
            problem: None,
        }]),
    );
    typed(&mut s, "cache evic", 1);
    // The open incident's resume row comes first; the runbook below it.
    key(&mut s, KeyCode::Down, 2);
    key(&mut s, KeyCode::Enter, 2);
    let Some(Overlay::ConfirmSecond { open_id, .. }) = &s.overlay else {
        panic!("offers the open one: {:?} {:?}", s.overlay, s.screen)
    };
    assert_eq!(open_id, "20261122-230000-cache-evictions");
    let fx = key(&mut s, KeyCode::Enter, 3);
    assert!(
        matches!(fx.first(), Some(Effect::ResumeIncident(id)) if id == "20261122-230000-cache-evictions"),
        "{fx:?}"
    );
    key(&mut s, KeyCode::Enter, 4);
    assert!(
        matches!(s.overlay, Some(Overlay::ConfirmSecond { .. })),
        "{:?}",
        s.overlay
    );
    ch(&mut s, 'n', 5);
    assert_eq!(s.screen, Screen::Start, "a second one, on purpose");
}

/// `mayday gameday` with no scenario: the picker offers game days only, and
/// nothing in it can start a real incident, whatever is typed.
#[test]
fn the_gameday_picker_offers_only_scenarios() {
    let mut s = state();
    s.gameday_only = true;
    s.refilter();
    assert!(
        s.picker
            .items
            .iter()
            .all(|i| matches!(i, app::screens::picker::PickItem::Gameday(_))),
        "{:?}",
        s.picker.items
    );
    typed(&mut s, "cache", 1);
    let fx = key(&mut s, KeyCode::Enter, 2);
    assert!(
        !fx.iter()
            .any(|e| matches!(e, Effect::StartIncident(r) if !r.rehearsal)),
        "{fx:?}"
    );
    assert_ne!(s.screen, Screen::Start);
}

/// A bounced Enter on the start form never starts a second incident.
#[test]
fn a_second_enter_on_the_form_starts_nothing_more() {
    let mut s = state();
    typed(&mut s, "cache evic", 1);
    key(&mut s, KeyCode::Enter, 2);
    let first = key(&mut s, KeyCode::Enter, 3);
    assert!(first.iter().any(|e| matches!(e, Effect::StartIncident(_))));
    let again = key(&mut s, KeyCode::Enter, 3);
    assert!(again.is_empty(), "{again:?}");
}

/// `u` starts from the runbook's own update template (a `text` block in a
/// communicate step), and the reminder follows severity: SEV1 every 15
/// minutes, as the bundled template promises.
#[test]
fn the_status_update_uses_the_runbooks_template_and_severity() {
    let lib = mayday::runbook::library::Library::load(&mayday::runbook::library::Sources {
        bundled: true,
        ..Default::default()
    });
    let rb = lib.get("database-down").cloned().expect("bundled");
    let mut s = state();
    s.settings.preset.severity = Some(Severity::Critical);
    let mut fx = Vec::new();
    app::update::open_start(&mut s, rb, &mut fx);
    if fx.is_empty() {
        fx = key(&mut s, KeyCode::Enter, 2);
    }
    open(&mut s, fx);
    save_all(&mut s);
    ch(&mut s, 'u', 10);
    let Some(Overlay::Prompt(p)) = &s.overlay else {
        panic!("{:?}", s.overlay)
    };
    assert!(
        p.input.text().starts_with("[INVESTIGATING]"),
        "{}",
        p.input.text()
    );
    assert!(p.input.text().contains("Next update in 15 minutes"));
    assert_eq!(
        s.settings.update_every(Severity::Critical),
        std::time::Duration::from_secs(15 * 60)
    );
    assert_eq!(
        s.settings.update_every(Severity::Low),
        std::time::Duration::from_secs(60 * 60)
    );
    s.settings.status_update_every = Some(std::time::Duration::from_secs(600));
    assert_eq!(
        s.settings.update_every(Severity::Low),
        std::time::Duration::from_secs(600),
        "the config's value holds for every severity"
    );
}

/// An abandoned rehearsal's resume row can be closed from the picker: `X`
/// asks, `y` closes it (the runtime resolves it, keeping the log); real
/// incidents cannot be closed there.
#[test]
fn an_abandoned_rehearsal_can_be_closed_from_the_picker() {
    let mut s = state();
    let listing = |id: &str, rehearsal: bool| IncidentListing {
        id: id.into(),
        runbook_id: "cache-evictions".into(),
        title: "Cache eviction storm".into(),
        started_at: t(-600),
        state: Phase::Open,
        events: 5,
        rehearsal,
        problem: None,
    };
    app::update(
        &mut s,
        Action::Incidents(vec![listing("drill-1", true), listing("real-1", false)]),
    );
    key(&mut s, KeyCode::Tab, 1); // leave the filter: keys are commands
    let rows: Vec<_> = s.picker.items.clone();
    let ids: Vec<String> = s.incidents.iter().map(|i| i.id.clone()).collect();
    let at = |id: &str| {
        rows.iter()
            .position(|r| matches!(r, app::screens::picker::PickItem::Resume(i) if ids[*i] == id))
            .expect(id)
    };
    s.picker.selected = at("real-1");
    ch(&mut s, 'X', 2);
    assert!(s.overlay.is_none(), "a real incident is not closed here");
    s.picker.selected = at("drill-1");
    ch(&mut s, 'X', 3);
    assert!(matches!(&s.overlay, Some(Overlay::ConfirmClose { id }) if id == "drill-1"));
    let fx = ch(&mut s, 'y', 4);
    assert!(
        matches!(fx.first(), Some(Effect::CloseRehearsal(id)) if id == "drill-1"),
        "{fx:?}"
    );
}

/// A runbook can mark a variable `ask: on_use`: it is not on the start form,
/// and is asked when a command that needs it is about to run — in both
/// formats, through the fast front-matter path and the full parser.
#[test]
fn variables_marked_on_use_are_asked_when_a_command_needs_them() {
    let md = "---\nid: lazy\nvariables:\n  - name: namespace\n    default: shop\n  - name: pod\n    prompt: The crashing pod\n    ask: on_use\n---\n# Lazy\n\n## Look {#look .diagnose}\n\n```sh {run}\nkubectl -n {{namespace}} logs {{pod}}\n```\n";
    let yaml = "id: lazy\ntitle: Lazy\nvariables:\n  - name: namespace\n    default: shop\n  - name: pod\n    ask: on_use\nsteps:\n  - title: Look\n    kind: diagnose\n    commands:\n      - text: kubectl -n {{namespace}} logs {{pod}}\n        run: true\n";
    for (name, text) in [("lazy.md", md), ("lazy.yaml", yaml)] {
        let loaded = mayday::runbook::load(name, text.as_bytes(), mayday::runbook::Origin::Extra);
        let rb = loaded
            .runbook
            .unwrap_or_else(|| panic!("{name}: {:?}", loaded.diagnostics));
        assert!(
            rb.variables.iter().any(|v| v.name == "pod" && v.ask_on_use),
            "{name}"
        );
        let mut s = state();
        let mut fx = Vec::new();
        app::update::open_start(&mut s, std::sync::Arc::new(rb), &mut fx);
        let form = s.start.as_ref().expect("a form");
        assert!(
            form.fields.iter().all(|f| !f.label.contains("pod")),
            "{name}: not on the start form"
        );
        let fx = key(&mut s, KeyCode::Enter, 2);
        open(&mut s, fx);
        s.session.as_mut().unwrap().trusted = true;
        ch(&mut s, 'r', 10);
        let Some(Overlay::Prompt(p)) = &s.overlay else {
            panic!("{name}: asked at run time: {:?}", s.overlay)
        };
        assert!(p.title.contains("`pod`"), "{}", p.title);
    }
    let bad =
        "---\nid: bad\nvariables:\n  - name: pod\n    ask: sometimes\n---\n# Bad\n\n## A\n\nx\n";
    let loaded = mayday::runbook::load("bad.md", bad.as_bytes(), mayday::runbook::Origin::Extra);
    assert!(
        loaded
            .diagnostics
            .iter()
            .any(|d| d.message.contains("on_use")),
        "{:?}",
        loaded.diagnostics
    );
}

/// `m` by mistake can be taken back: asked, logged, and replay agrees.
#[test]
fn mitigated_can_be_taken_back() {
    let mut s = started();
    assert_eq!(kinds(&ch(&mut s, 'm', 10)), ["mitigated"]);
    assert!(ch(&mut s, 'm', 11).is_empty(), "asks first");
    assert!(screen(&s, t(11), 120, 34).contains("Take back"));
    assert!(ch(&mut s, 'n', 11).is_empty());
    assert_eq!(
        s.session.as_ref().unwrap().incident.phase,
        mayday::incident::Phase::Mitigated
    );
    ch(&mut s, 'm', 12);
    assert_eq!(kinds(&ch(&mut s, 'y', 12)), ["mitigation_retracted"]);
    let inc = &s.session.as_ref().unwrap().incident;
    assert_eq!(inc.phase, mayday::incident::Phase::Open);
    assert_eq!(inc.mitigated_at, None);
    assert_replays(&s);
    assert_eq!(kinds(&ch(&mut s, 'm', 20)), ["mitigated"]);
    assert_eq!(
        s.session.as_ref().unwrap().incident.mitigated_at,
        Some(t(20))
    );
}

/// A note the responder wrote is never thrown away by one Esc (or Ctrl-C).
#[test]
fn a_written_note_is_not_discarded_without_asking() {
    let mut s = started();
    ch(&mut s, 'i', 10);
    typed(&mut s, "pgbouncer restarted at 03:12", 11);
    key(&mut s, KeyCode::Esc, 12);
    let Some(Overlay::Prompt(p)) = &s.overlay else {
        panic!("still editing: {:?}", s.overlay)
    };
    assert_eq!(p.input.text(), "pgbouncer restarted at 03:12");
    assert!(
        p.error
            .as_deref()
            .unwrap_or("")
            .contains("Esc again discards")
    );
    // Any other key keeps editing; Enter saves.
    typed(&mut s, "!", 13);
    assert_eq!(kinds(&key(&mut s, KeyCode::Enter, 14)), ["note"]);
    // An untouched note goes with one Esc; an edited one with two.
    ch(&mut s, 'i', 20);
    key(&mut s, KeyCode::Esc, 21);
    assert!(s.overlay.is_none());
    ch(&mut s, 'i', 22);
    typed(&mut s, "draft", 23);
    key_mod(
        &mut s,
        KeyCode::Char('c'),
        crossterm::event::KeyModifiers::CONTROL,
        24,
    );
    assert!(s.overlay.is_some(), "Ctrl-C asks too");
    key(&mut s, KeyCode::Esc, 25);
    assert!(s.overlay.is_none());
}

/// Terminals paste line ends as CR or CRLF: the note keeps its lines, with
/// LF, and no `^M`.
#[test]
fn a_crlf_paste_keeps_its_lines_with_lf() {
    let mut s = started();
    ch(&mut s, 'i', 10);
    let pasted: String = (1..=20).map(|i| format!("log line {i}\r\n")).collect();
    app::update(
        &mut s,
        Action::Paste {
            text: format!("{pasted}tail\rend"),
            at: t(11),
        },
    );
    key(&mut s, KeyCode::Enter, 12);
    let notes = &s.session.as_ref().unwrap().incident.notes;
    let (_, _, text) = notes.last().expect("the note");
    assert!(!text.contains('\r'), "{text:?}");
    assert_eq!(text.lines().count(), 22, "{text:?}");
    assert!(text.starts_with("log line 1\nlog line 2\n"));
}

// ---------------------------------------------------------------- live status

fn snapshot(
    name: &str,
    kind: mayday::status::Kind,
    state: mayday::status::health::Health,
    summary: &str,
    at: i64,
) -> mayday::status::Snapshot {
    mayday::status::Snapshot {
        name: name.into(),
        kind,
        state,
        summary: summary.into(),
        checked_at: t(at),
        latency_ms: Some(40 + at.unsigned_abs() % 50),
        error: None,
        stale: false,
        items: vec![mayday::status::Item {
            name: "RedisEvictionsHigh".into(),
            state,
            detail: "evictions 1.2k/s on redis-0".into(),
            url: Some("https://grafana.example.com/d/redis".into()),
        }],
        alerts: Vec::new(),
        suppressed: Vec::new(),
        silences: Vec::new(),
    }
}

fn status(s: &mut app::State, snap: mayday::status::Snapshot) -> Vec<Effect> {
    app::update(
        s,
        Action::Status(Box::new(mayday::status::Update::new(snap))),
    )
}

#[test]
fn status_changes_are_logged_by_themselves() {
    use mayday::status::Kind;
    use mayday::status::health::Health::*;
    let mut s = started();
    assert_eq!(
        kinds(&status(
            &mut s,
            snapshot("sessions-api", Kind::Http, Down, "503 in 12 ms", 10)
        )),
        ["status_changed"]
    );
    assert!(
        kinds(&status(
            &mut s,
            snapshot("sessions-api", Kind::Http, Down, "503 in 14 ms", 20)
        ))
        .is_empty(),
        "no change, nothing logged"
    );
    assert_eq!(
        kinds(&status(
            &mut s,
            snapshot("sessions-api", Kind::Http, Up, "200 in 30 ms", 30)
        )),
        ["status_changed"]
    );
    // A source that starts unknown is not news; one that becomes unknown is.
    assert!(
        kinds(&status(
            &mut s,
            snapshot("redis", Kind::Prometheus, Unknown, "waiting", 31)
        ))
        .is_empty()
    );
    assert_eq!(
        kinds(&status(
            &mut s,
            snapshot("sessions-api", Kind::Http, Unknown, "timeout", 40)
        )),
        ["status_changed"]
    );
    let session = s.session.as_ref().unwrap();
    let changes: Vec<(String, String)> = session
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::StatusChanged {
                source, from, to, ..
            } => Some((source.clone(), format!("{from}→{to}"))),
            _ => None,
        })
        .collect();
    assert_eq!(
        changes,
        [
            ("sessions-api".to_owned(), "unknown→down".to_owned()),
            ("sessions-api".to_owned(), "down→up".to_owned()),
            ("sessions-api".to_owned(), "up→unknown".to_owned())
        ]
    );
    assert_eq!(
        session
            .events
            .iter()
            .find(|e| e.kind.name() == "status_changed")
            .map(|e| e.at),
        Some(t(10))
    );
    assert_replays(&s);
    let text = screen(&s, t(45), 120, 32);
    assert!(
        text.contains("sessions-api: up → unknown (timeout)"),
        "{text}"
    );
}

#[test]
fn sources_known_before_the_incident_starts_are_logged_when_it_opens() {
    use mayday::status::Kind;
    use mayday::status::health::Health::*;
    let mut s = state();
    status(
        &mut s,
        snapshot("orders-db", Kind::Http, Down, "unreachable", 0),
    );
    status(&mut s, snapshot("quiet", Kind::Http, Unknown, "waiting", 0));
    typed(&mut s, "cache evic", 1);
    // Enter on the runbook, Enter on the form: the incident.
    key(&mut s, KeyCode::Enter, 2);
    let fx = key(&mut s, KeyCode::Enter, 3);
    let fx = open(&mut s, fx);
    assert_eq!(kinds(&fx), ["step_entered", "status_changed"]);
    assert_eq!(
        s.session
            .as_ref()
            .unwrap()
            .incident
            .sources
            .get("orders-db"),
        Some(&Down)
    );
    assert_replays(&s);
}

#[test]
fn verify_conditions_are_evaluated_live_and_logged_once() {
    use mayday::status::Kind;
    use mayday::status::health::Health::*;
    let mut s = started();
    // Step 3 says: `sessions-api` is `up` for 5m.
    key(&mut s, KeyCode::Tab, 1);
    ch(&mut s, 'j', 1);
    ch(&mut s, 'j', 1);
    key(&mut s, KeyCode::Enter, 2);
    assert_eq!(
        s.session.as_ref().unwrap().incident.current_step.as_deref(),
        Some("confirm")
    );
    let text = screen(&s, t(3), 200, 40);
    assert!(
        text.contains("no status source `sessions-api` configured"),
        "{text}"
    );
    status(&mut s, snapshot("sessions-api", Kind::Http, Down, "503", 5));
    assert!(screen(&s, t(6), 200, 40).contains("(sessions-api is down)"));
    status(&mut s, snapshot("sessions-api", Kind::Http, Up, "200", 100));
    assert!(kinds(&app::update(&mut s, Action::Tick(t(399)))).is_empty());
    assert!(screen(&s, t(250), 200, 40).contains("(up for 2m of 5m)"));
    assert_eq!(
        kinds(&app::update(&mut s, Action::Tick(t(400)))),
        ["verify_met"]
    );
    assert!(kinds(&app::update(&mut s, Action::Tick(t(401)))).is_empty());
    assert!(
        kinds(&status(
            &mut s,
            snapshot("sessions-api", Kind::Http, Up, "200", 402)
        ))
        .is_empty()
    );
    let text = screen(&s, t(402), 200, 40);
    assert!(
        text.contains("✔ met Verify: sessions-api is up for 5m  (met at 03:06:40)"),
        "{text}"
    );
    assert!(
        text.contains("verified: sessions-api is up for 5m"),
        "{text}"
    );
    assert_replays(&s);
}

#[test]
fn the_picker_suggests_runbooks_for_alerts_firing_now() {
    use mayday::status::health::Health::*;
    use mayday::status::{FiringAlert, Kind};
    let mut s = state();
    let mut snap = snapshot("prometheus", Kind::Prometheus, Down, "2 firing", 1);
    snap.alerts = vec![
        FiringAlert {
            alertname: "RedisEvictionsHigh".into(),
            severity: Some("critical".into()),
            runbook_url: None,
            summary: None,
            since: None,
            ..Default::default()
        },
        FiringAlert {
            alertname: "SomethingElse".into(),
            severity: None,
            runbook_url: Some("https://runbooks.example.com/api-latency.md#diagnosis".into()),
            summary: None,
            since: None,
            ..Default::default()
        },
    ];
    status(&mut s, snap);
    let firing: Vec<String> = s
        .picker
        .firing
        .iter()
        .map(|f| s.library.runbooks[f.runbook].id.clone())
        .collect();
    assert_eq!(firing, ["cache-evictions", "api-latency"]);
    assert!(matches!(
        s.picker.items[0],
        app::screens::picker::PickItem::Firing(..)
    ));
    let text = screen(&s, t(2), 100, 30);
    assert!(
        text.contains("✖ firing Cache eviction storm  RedisEvict"),
        "{text}"
    );
    assert!(
        text.contains("FIRING NOW: RedisEvictionsHigh (from prometheus)"),
        "{text}"
    );
    insta::assert_snapshot!("picker_firing_100x30", text);
    // Enter on it starts that runbook.
    key(&mut s, KeyCode::Enter, 3);
    assert_eq!(
        s.start.as_ref().map(|f| f.runbook.id.as_str()),
        Some("cache-evictions")
    );
    assert!(mayday::app::screens::picker::url_names_runbook(
        "https://x/runbooks/cache-evictions/",
        "cache-evictions"
    ));
    assert!(!mayday::app::screens::picker::url_names_runbook(
        "https://x/runbooks/cache-evictions-2",
        "cache-evictions"
    ));
}

#[test]
fn snapshot_status_panel_and_details() {
    use mayday::status::Kind;
    use mayday::status::health::Health::*;
    let mut s = in_progress();
    for (i, (name, kind, state, summary)) in [
        ("sessions-api", Kind::Http, Up, "200 in 41 ms"),
        ("redis", Kind::Prometheus, Down, "1 firing"),
        ("sentry", Kind::Sentry, Degraded, "14 unresolved"),
    ]
    .into_iter()
    .enumerate()
    {
        for k in 0..6 {
            status(
                &mut s,
                snapshot(name, kind, state, summary, 50 + i as i64 + k * 10),
            );
        }
    }
    let mut stale = snapshot(
        "statuspage",
        Kind::Statuspage,
        Unknown,
        "all operational",
        60,
    );
    stale.stale = true;
    stale.error = Some("timeout after 10s".into());
    status(&mut s, stale);
    save_all(&mut s);
    let th = theme("dark");
    let buf = render(&s, t(125), 120, 32, &th);
    insta::assert_snapshot!("status_panel_120x32", text(&buf));
    let (x, y) = find(&buf, "✖ down redis");
    assert_eq!(
        buf[(x, y)].fg,
        th.style("status.down").fg.unwrap_or(Color::Reset)
    );
    let (x, y) = find(&buf, "● up sessions");
    assert_eq!(
        buf[(x, y)].fg,
        th.style("status.up").fg.unwrap_or(Color::Reset)
    );
    snap("status_panel_80x24", &s, 125, 80, 24);
    // Details: Tab to the status pane, select redis, Enter.
    for _ in 0..3 {
        key(&mut s, KeyCode::Tab, 126);
    }
    assert_eq!(s.session.as_ref().unwrap().focus, app::Pane::Status);
    ch(&mut s, 'j', 126);
    key(&mut s, KeyCode::Enter, 127);
    assert!(matches!(
        s.overlay,
        Some(Overlay::SourceDetails { index: 1, .. })
    ));
    snap("status_details_100x30", &s, 128, 100, 30);
    assert_eq!(
        ch(&mut s, 'P', 129),
        vec![Effect::PollNow(Some("redis".into()))]
    );
    key(&mut s, KeyCode::Esc, 130);
    assert!(s.overlay.is_none());
}

// ---------------------------------------------------------------- commands

fn exec_event(s: &mut app::State, e: mayday::exec::ExecEvent) -> Vec<Effect> {
    app::update(s, Action::Exec(Box::new(e)))
}

fn finished(code: i32, tail: &[&str]) -> mayday::exec::ExecEvent {
    mayday::exec::ExecEvent::Finished(mayday::exec::Finished {
        exit_code: Some(code),
        signal: None,
        duration: std::time::Duration::from_millis(1500),
        timed_out: false,
        cancelled: false,
        dry_run: false,
        tail: tail.iter().map(|s| (*s).to_owned()).collect(),
        truncated: false,
        spawn_error: None,
        ok: code == 0,
        failed_line: None,
    })
}

#[test]
fn running_a_command_asks_runs_and_logs_everything() {
    let mut s = started();
    // The first step's command is runnable with a y/n confirmation.
    let fx = ch(&mut s, 'r', 10);
    assert_eq!(kinds(&fx), ["command_requested"]);
    let Some(Overlay::Confirm(c)) = &s.overlay else {
        panic!("asks first")
    };
    assert_eq!(
        c.text,
        "kubectl -n cache exec deploy/redis -- redis-cli info memory"
    );
    assert!(c.preview.iter().any(|l| l.contains("timeout 30s")));
    let fx = ch(&mut s, 'y', 11);
    assert_eq!(kinds(&fx), ["command_confirmed"]);
    let Some(Effect::RunCommand(req)) = fx.last() else {
        panic!("{fx:?}")
    };
    assert_eq!(req.timeout, Some(std::time::Duration::from_secs(30)));
    assert!(!req.dry_run);
    assert_eq!(req.vars["namespace"], "cache");
    assert_eq!(
        kinds(&exec_event(
            &mut s,
            mayday::exec::ExecEvent::Started {
                pid: Some(4242),
                shell: None
            }
        )),
        ["command_started"]
    );
    exec_event(
        &mut s,
        mayday::exec::ExecEvent::Output {
            stream: mayday::exec::Stream::Stdout,
            text: "used_memory:3.9G\n\u{1b}[31mmaxmemory:4G\u{1b}[0m\n".into(),
        },
    );
    let text = screen(&s, t(13), 120, 34);
    assert!(
        text.contains("used_memory:3.9G") && text.contains("maxmemory:4G"),
        "{text}"
    );
    assert!(text.contains("running"), "{text}");
    let fx = exec_event(&mut s, finished(1, &["used_memory:3.9G", "maxmemory:4G"]));
    assert_eq!(kinds(&fx), ["command_finished"]);
    let text = screen(&s, t(14), 120, 34);
    assert!(text.contains("✖ EXIT 1 after 1.5s"), "{text}");
    // A failure is offered as a note.
    ch(&mut s, 'i', 15);
    let Some(Overlay::Prompt(p)) = &s.overlay else {
        panic!("note")
    };
    assert!(p.input.text().starts_with(
        "`kubectl -n cache exec deploy/redis -- redis-cli info memory` exited with 1: "
    ));
    key(&mut s, KeyCode::Esc, 16);
    let cmd = &s.session.as_ref().unwrap().incident.commands[0];
    assert_eq!(cmd.confirmed, Some(true));
    assert_eq!(cmd.pid, Some(4242));
    assert_eq!(
        cmd.finished.as_ref().unwrap().output_tail,
        ["used_memory:3.9G", "maxmemory:4G"]
    );
    assert_replays(&s);
}

#[test]
fn declining_and_typed_confirmation() {
    let mut s = started();
    ch(&mut s, 'r', 10);
    assert_eq!(kinds(&ch(&mut s, 'n', 11)), ["command_declined"]);
    assert!(s.overlay.is_none());
    // Step 2: a dangerous mitigate command asks for the phrase (the
    // runbook's first service, `sessions`).
    ch(&mut s, '1', 12);
    ch(&mut s, 'r', 13);
    let Some(Overlay::Confirm(c)) = &s.overlay else {
        panic!("asks")
    };
    assert_eq!(c.level, mayday::runbook::Confirm::Typed);
    assert_eq!(c.phrase, "sessions");
    typed(&mut s, "session", 14);
    assert!(
        kinds(&key(&mut s, KeyCode::Enter, 14)).is_empty(),
        "a wrong phrase runs nothing"
    );
    let Some(Overlay::Confirm(c)) = &s.overlay else {
        panic!("still asking")
    };
    assert!(c.error.is_some());
    ch(&mut s, 's', 15);
    let fx = key(&mut s, KeyCode::Enter, 15);
    assert_eq!(kinds(&fx), ["command_confirmed"]);
    assert!(matches!(fx.last(), Some(Effect::RunCommand(_))));
    assert_replays(&s);
}

#[test]
fn untrusted_runbooks_only_display_their_commands_until_trusted() {
    let mut s = started();
    s.session.as_mut().unwrap().trusted = false;
    assert!(screen(&s, t(5), 120, 34).contains("runnable once trusted"));
    assert!(screen(&s, t(5), 120, 34).contains("UNTRUSTED"));
    assert!(ch(&mut s, 'r', 10).is_empty(), "nothing requested");
    assert!(s.notices.iter().any(|n| n.text.contains("not trusted")));
    // `T` asks first, naming the file and its content hash.
    assert!(ch(&mut s, 'T', 11).is_empty());
    let text = screen(&s, t(11), 120, 34);
    assert!(
        text.contains("Trust this runbook file?") && text.contains("fixtures/cache-evictions.md"),
        "{text}"
    );
    assert!(text.contains("content  blake3 "), "{text}");
    assert!(ch(&mut s, 'n', 11).is_empty(), "n keeps it display-only");
    assert!(s.overlay.is_none());
    ch(&mut s, 'T', 11);
    let fx = ch(&mut s, 'y', 11);
    let Some(Effect::Trust { path, hash }) = fx.first() else {
        panic!("{fx:?}")
    };
    assert_eq!(path, "fixtures/cache-evictions.md");
    let (path, hash) = (path.clone(), hash.clone());
    // The runbook is bundled in this fixture library, so once the runtime
    // reports trust the session may run commands.
    app::update(&mut s, Action::Trusted(Ok((path, hash))));
    assert!(s.session.as_ref().unwrap().trusted);
    assert_eq!(kinds(&ch(&mut s, 'r', 12)), ["command_requested"]);
}

#[test]
fn dry_runs_are_forced_and_logged_as_such() {
    let mut s = started();
    s.settings.dry_run = true;
    ch(&mut s, 'r', 10);
    let fx = ch(&mut s, 'y', 11);
    let Some(Effect::RunCommand(req)) = fx.last() else {
        panic!("{fx:?}")
    };
    assert!(req.dry_run);
    exec_event(
        &mut s,
        mayday::exec::ExecEvent::Started {
            pid: None,
            shell: None,
        },
    );
    let mut f = finished(0, &[]);
    if let mayday::exec::ExecEvent::Finished(x) = &mut f {
        x.exit_code = None;
        x.dry_run = true;
    }
    exec_event(&mut s, f);
    let text = screen(&s, t(12), 120, 34);
    assert!(text.contains("dry run: nothing was executed"), "{text}");
    assert!(text.contains("dry run (not executed)"), "{text}");
    assert!(s.notices.is_empty(), "a dry run is not a failure");
}

#[test]
fn display_only_commands_can_be_copied_not_run() {
    let mut s = started();
    // Fixture step 1 has one runnable command; make it display-only.
    let mut rb = (*s.session.as_ref().unwrap().runbook).clone();
    rb.steps[0].commands[0].runnable = false;
    s.session.as_mut().unwrap().runbook = std::sync::Arc::new(rb);
    assert!(ch(&mut s, 'r', 10).is_empty());
    assert!(s.notices.iter().any(|n| n.text.contains("display-only")));
    let fx = ch(&mut s, 'c', 11);
    assert_eq!(
        fx,
        vec![Effect::Copy(
            "kubectl -n cache exec deploy/redis -- redis-cli info memory".into()
        )]
    );
    assert!(matches!(s.overlay, Some(Overlay::ShowText { .. })));
}

fn alert(name: &str, severity: Option<&str>, since: i64) -> mayday::status::FiringAlert {
    mayday::status::FiringAlert {
        alertname: name.into(),
        severity: severity.map(Into::into),
        runbook_url: None,
        summary: None,
        since: Some(t(since)),
        ..Default::default()
    }
}

fn labels(pairs: &[(&str, &str)]) -> std::collections::BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn firing_rows(s: &app::State) -> Vec<String> {
    s.picker
        .firing
        .iter()
        .map(|f| {
            format!(
                "{}×{}→{}",
                f.alertname, f.count, s.library.runbooks[f.runbook].id
            )
        })
        .collect()
}

fn selected_row(s: &app::State) -> String {
    match s.picker.items.get(s.picker.selected) {
        Some(app::screens::picker::PickItem::Firing(_, f)) => {
            format!("firing {}", s.picker.firing[*f].alertname)
        }
        Some(app::screens::picker::PickItem::Runbook(i)) => {
            format!("runbook {}", s.library.runbooks[*i].id)
        }
        other => format!("{other:?}"),
    }
}

/// Firing rows: one per alert name and source with the instance count,
/// the most severe first, then the longest firing; the runbook named for
/// the alert beats one that merely lists it.
#[test]
fn firing_rows_are_grouped_and_sorted_by_severity() {
    use mayday::status::Kind;
    use mayday::status::health::Health::*;
    let mut s = state();
    let mut snap = snapshot("prometheus", Kind::Prometheus, Down, "firing", 1);
    snap.alerts = vec![
        alert("HighRequestLatency", Some("warning"), -600),
        alert("KubePodCrashLooping", Some("warning"), -60),
        alert("KubePodCrashLooping", Some("critical"), -30),
        alert("KubePodCrashLooping", Some("warning"), -900),
        alert("RedisEvictionsHigh", Some("critical"), -10),
        alert("NoRunbookForThis", Some("critical"), -5000),
    ];
    status(&mut s, snap);
    assert_eq!(
        firing_rows(&s),
        [
            // critical, firing longest first
            "KubePodCrashLooping×3→kubepodcrashlooping",
            "RedisEvictionsHigh×1→cache-evictions",
            "HighRequestLatency×1→api-latency",
        ]
    );
    // The top row is selected, and Enter starts its runbook.
    assert_eq!(selected_row(&s), "firing KubePodCrashLooping");
    let text = screen(&s, t(2), 100, 30);
    assert!(text.contains("KubePodCrashLooping ×3"), "{text}");
    key(&mut s, KeyCode::Enter, 3);
    assert_eq!(
        s.start.as_ref().map(|f| f.runbook.id.as_str()),
        Some("kubepodcrashlooping")
    );
}

/// A poll that reorders the alerts, adds a more severe one or drops one
/// never moves the cursor to another row: it stays on what was chosen.
#[test]
fn the_selection_follows_the_alert_not_the_row_number() {
    use mayday::status::Kind;
    use mayday::status::health::Health::*;
    let mut s = state();
    let poll = |s: &mut app::State, alerts: Vec<mayday::status::FiringAlert>, at: i64| {
        let mut snap = snapshot("prometheus", Kind::Prometheus, Down, "firing", at);
        snap.alerts = alerts;
        status(s, snap);
    };
    poll(
        &mut s,
        vec![
            alert("RedisEvictionsHigh", Some("critical"), -10),
            alert("HighRequestLatency", Some("warning"), -600),
        ],
        1,
    );
    // The filter opens focused: ↓ moves the selection.
    key(&mut s, KeyCode::Down, 2);
    assert_eq!(selected_row(&s), "firing HighRequestLatency");
    // Prometheus returns the groups in another order, and a critical alert
    // starts firing above: the cursor stays on HighRequestLatency.
    for (i, alerts) in [
        vec![
            alert("HighRequestLatency", Some("warning"), -600),
            alert("RedisEvictionsHigh", Some("critical"), -10),
        ],
        vec![
            alert("KubePodCrashLooping", Some("critical"), -2),
            alert("HighRequestLatency", Some("warning"), -600),
            alert("RedisEvictionsHigh", Some("critical"), -10),
        ],
        vec![alert("HighRequestLatency", Some("warning"), -600)],
    ]
    .into_iter()
    .enumerate()
    {
        poll(&mut s, alerts, 3 + i as i64);
        assert_eq!(selected_row(&s), "firing HighRequestLatency", "poll {i}");
        // The new critical alert is announced, not jumped to.
        if i == 1 {
            assert!(
                s.notices
                    .iter()
                    .any(|n| n.text.starts_with("now firing: KubePodCrashLooping")),
                "{:?}",
                s.notices
            );
        }
    }
    // Enter starts the runbook of the row the responder chose.
    key(&mut s, KeyCode::Enter, 10);
    assert_eq!(
        s.start.as_ref().map(|f| f.runbook.id.as_str()),
        Some("api-latency")
    );
    // Once it resolves, the selection falls back to where it was.
    let mut s = state();
    poll(&mut s, vec![alert("HighRequestLatency", None, 0)], 1);
    key(&mut s, KeyCode::Down, 2);
    let before = selected_row(&s);
    poll(&mut s, vec![], 3);
    assert_ne!(selected_row(&s), "firing HighRequestLatency", "{before}");
}

/// Typing an alert's name puts the runbook named for it first.
#[test]
fn typing_an_alert_name_puts_its_exact_runbook_first() {
    let mut s = state();
    typed(&mut s, "KubePodCrashLooping", 1);
    assert_eq!(selected_row(&s), "runbook kubepodcrashlooping");
    let mut s = state();
    typed(&mut s, "HighRequestLatency", 1);
    assert_eq!(selected_row(&s), "runbook api-latency");
}

/// `runbook_url` forms: GitHub blob URLs, kubernetes-mixin anchors, case.
#[test]
fn runbook_urls_name_their_runbook() {
    use mayday::app::screens::picker::url_names_runbook as names;
    assert!(names(
        "https://github.com/prometheus-operator/runbooks/blob/main/content/runbooks/kubernetes/KubePodCrashLooping.md",
        "kubepodcrashlooping"
    ));
    assert!(names(
        "https://github.com/kubernetes-monitoring/kubernetes-mixin/tree/master/runbook.md#alert-name-kubejobcompletion",
        "KubeJobCompletion"
    ));
    assert!(names(
        "https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepodcrashlooping",
        "kubepodcrashlooping"
    ));
    assert!(!names(
        "https://github.com/kubernetes-monitoring/kubernetes-mixin/tree/master/runbook.md#alert-name-kubejobfailed",
        "KubeJobCompletion"
    ));
}

/// Resuming with the status panel still waiting for its first polls logs
/// no state for those sources (it used to log `down → unknown`, then
/// `unknown → down` at the first poll: a flap that never happened).
#[test]
fn a_resume_before_the_first_poll_logs_no_flap() {
    use mayday::status::health::Health::*;
    use mayday::status::{Kind, Snapshot};
    let mut s = state();
    status(
        &mut s,
        snapshot("orders-db", Kind::Http, Down, "unreachable", 0),
    );
    typed(&mut s, "cache evic", 1);
    key(&mut s, KeyCode::Enter, 2);
    let fx = key(&mut s, KeyCode::Enter, 3);
    open(&mut s, fx);
    save_all(&mut s);
    let events = s.session.as_ref().unwrap().events.clone();
    assert_eq!(
        s.session
            .as_ref()
            .unwrap()
            .incident
            .sources
            .get("orders-db"),
        Some(&Down)
    );
    // A new session: the panel has the source, not polled yet.
    let mut s = state();
    s.status.sources.push(mayday::app::board::SourceView {
        snapshot: Snapshot::pending("orders-db", Kind::Http),
        since: t(10),
        latencies: Default::default(),
    });
    let rb = s.library.get("cache-evictions").cloned().unwrap();
    let fx = app::update(
        &mut s,
        Action::IncidentOpened(Box::new(Opened {
            runbook: rb,
            events,
            read_only: None,
            notices: vec![],
            trusted: true,
            resumed: true,
        })),
    );
    assert_eq!(kinds(&fx), ["session_resumed"]);
    // The first real poll says down: nothing changed, nothing logged.
    let fx = status(
        &mut s,
        snapshot("orders-db", Kind::Http, Down, "unreachable", 12),
    );
    assert!(kinds(&fx).is_empty(), "{:?}", kinds(&fx));
    assert_replays(&s);
}

/// From the page to the first step in two keys: the top row is the alert,
/// Enter opens the form with its labels filled in and its severity, Enter
/// starts the incident, which records the alert.
#[test]
fn starting_from_an_alert_fills_the_form_and_records_the_alert() {
    use mayday::status::Kind;
    use mayday::status::health::Health::*;
    let mut s = state();
    let mut snap = snapshot("alertmanager", Kind::Alertmanager, Degraded, "1 firing", 1);
    let mut a = alert("RedisEvictionsHigh", Some("warning"), -300);
    a.labels = labels(&[
        ("alertname", "RedisEvictionsHigh"),
        ("namespace", "payments"),
        ("pod", "redis-0"),
        ("severity", "warning"),
    ]);
    a.fingerprint = Some("3e2c1c1b".into());
    snap.alerts = vec![a];
    status(&mut s, snap);
    // Key 1: Enter on the selected (top) row, the alert.
    key(&mut s, KeyCode::Enter, 2);
    let form = s.start.as_ref().expect("the start form");
    assert_eq!(form.runbook.id, "cache-evictions");
    assert_eq!(
        form.fields[0].input.text(),
        "payments",
        "the label, not the default `cache`"
    );
    assert_eq!(
        form.severity,
        mayday::runbook::Severity::Medium,
        "warning → SEV3"
    );
    // Key 2: Enter starts it.
    let fx = key(&mut s, KeyCode::Enter, 3);
    let req = fx
        .iter()
        .find_map(|e| match e {
            Effect::StartIncident(r) => Some(r.clone()),
            _ => None,
        })
        .expect("started with two keys");
    assert_eq!(
        req.variables.get("namespace").map(String::as_str),
        Some("payments")
    );
    let alert = req.alert.clone().expect("the alert is recorded");
    assert_eq!(alert.name, "RedisEvictionsHigh");
    assert_eq!(alert.source, "alertmanager");
    assert_eq!(alert.labels.get("pod").map(String::as_str), Some("redis-0"));
    assert_eq!(alert.fingerprint.as_deref(), Some("3e2c1c1b"));
    assert_eq!(alert.starts_at, Some(t(-300)));
    open(&mut s, fx);
    let inc = &s.session.as_ref().expect("open").incident;
    assert_eq!(
        inc.alert.as_ref().map(|a| a.name.as_str()),
        Some("RedisEvictionsHigh")
    );
    assert_eq!(inc.severity, mayday::runbook::Severity::Medium);
    // The first event carries it, so export, review and the postmortem do.
    let first = &s.session.as_ref().unwrap().events[0];
    let json = serde_json::to_string(first).unwrap();
    assert!(
        json.contains(r#""alert":{"name":"RedisEvictionsHigh""#),
        "{json}"
    );
}

/// The incident follows its own alert: it resolving is logged (and shown)
/// while other alerts of the same source still fire; silenced and firing
/// again likewise; a failed poll says nothing.
#[test]
fn the_incident_follows_its_own_alert() {
    use mayday::status::Kind;
    use mayday::status::health::Health::*;
    // Redis fires longest, so it is the top row.
    let labelled = |name: &str, ns: &str| {
        let since = if name.starts_with("Redis") {
            -300
        } else {
            -100
        };
        let mut a = alert(name, Some("warning"), since);
        a.labels = labels(&[
            ("alertname", name),
            ("namespace", ns),
            ("severity", "warning"),
        ]);
        a
    };
    let poll = |s: &mut app::State, alerts: Vec<mayday::status::FiringAlert>, at: i64| {
        let mut snap = snapshot("alertmanager", Kind::Alertmanager, Degraded, "firing", at);
        snap.items.clear();
        snap.alerts = alerts;
        kinds(&status(s, snap))
    };
    let mut s = state();
    poll(
        &mut s,
        vec![
            labelled("RedisEvictionsHigh", "payments"),
            labelled("HighRequestLatency", "web"),
        ],
        1,
    );
    key(&mut s, KeyCode::Enter, 2);
    let fx = key(&mut s, KeyCode::Enter, 3);
    open(&mut s, fx);
    save_all(&mut s);
    assert_eq!(
        s.session
            .as_ref()
            .unwrap()
            .incident
            .alert
            .as_ref()
            .map(|a| a.name.as_str()),
        Some("RedisEvictionsHigh")
    );
    let both = || {
        vec![
            labelled("RedisEvictionsHigh", "payments"),
            labelled("HighRequestLatency", "web"),
        ]
    };
    // Still firing: nothing to log.
    assert!(!poll(&mut s, both(), 10).contains(&"alert_changed"));
    // The same alert for another namespace is not ours.
    let other = vec![
        labelled("RedisEvictionsHigh", "checkout"),
        labelled("HighRequestLatency", "web"),
    ];
    assert!(poll(&mut s, other, 20).contains(&"alert_changed"));
    let inc = &s.session.as_ref().unwrap().incident;
    assert_eq!(
        inc.alert_status.as_ref().map(|(st, _)| st.as_str()),
        Some("resolved")
    );
    let text = screen(&s, t(80), 160, 30);
    assert!(
        text.contains("its alert RedisEvictionsHigh resolved 1m ago"),
        "{text}"
    );
    // A failed poll says nothing about it.
    let mut failed = snapshot("alertmanager", Kind::Alertmanager, Unknown, "no data", 30);
    failed.error = Some("connection refused".into());
    assert!(!kinds(&status(&mut s, failed)).contains(&"alert_changed"));
    // It fires again.
    assert!(poll(&mut s, both(), 40).contains(&"alert_changed"));
    let inc = &s.session.as_ref().unwrap().incident;
    assert_eq!(
        inc.alert_status.as_ref().map(|(st, _)| st.as_str()),
        Some("firing")
    );
    let log: Vec<String> = s
        .session
        .as_ref()
        .unwrap()
        .events
        .iter()
        .filter(|e| e.kind.name() == "alert_changed")
        .map(|e| e.kind.describe())
        .collect();
    assert_eq!(
        log,
        [
            "its alert RedisEvictionsHigh (alertmanager): resolved",
            "its alert RedisEvictionsHigh (alertmanager): firing"
        ]
    );
    assert_replays(&s);
}

/// Plain Markdown runbooks written for people spell placeholders as
/// `$NAMESPACE` / `${POD}`: started from an alert, display-only blocks are
/// shown and copied with its labels (upper-cased); unknown ones stay.
#[test]
fn shell_placeholders_show_and_copy_the_alerts_labels() {
    use mayday::status::Kind;
    use mayday::status::health::Health::*;
    let mut s = state();
    let mut snap = snapshot("alertmanager", Kind::Alertmanager, Degraded, "1 firing", 1);
    let mut a = alert("KubePodCrashLooping", Some("warning"), -60);
    a.labels = labels(&[
        ("alertname", "KubePodCrashLooping"),
        ("namespace", "payments"),
        ("pod", "api-7c9d6b5f4-2xkqp"),
    ]);
    snap.alerts = vec![a];
    status(&mut s, snap);
    key(&mut s, KeyCode::Enter, 2);
    let fx = key(&mut s, KeyCode::Enter, 3);
    open(&mut s, fx);
    save_all(&mut s);
    let steps = &s.session.as_ref().unwrap().runbook.steps;
    let diagnosis = steps
        .iter()
        .position(|st| st.body.contains("kubectl describe pod -n $NAMESPACE $POD"))
        .expect("the diagnosis step");
    for i in 0..diagnosis {
        ch(&mut s, 'n', 10 + i as i64);
    }
    let text = screen(&s, t(20), 240, 80);
    assert!(
        text.contains("kubectl describe pod -n payments api-7c9d6b5f4-2xkqp"),
        "{text}"
    );
    assert!(
        text.contains("--field-selector involvedObject.name=api-7c9d6b5f4-2xkqp"),
        "{text}"
    );
    // `$CONTAINER` is no label: it stays for the responder to fill in.
    assert!(text.contains("-c $CONTAINER --previous"), "{text}");
    // Copy the describe block: the values are in the copied text too.
    let session = s.session.as_ref().unwrap();
    let describe = session.runbook.steps[diagnosis]
        .commands
        .iter()
        .position(|c| c.text.contains("describe pod"))
        .expect("the describe block");
    let pos = session
        .selectables()
        .iter()
        .position(|x| *x == app::session::Selectable::Command(describe))
        .expect("selectable");
    s.session.as_mut().unwrap().item_selected = pos;
    let fx = ch(&mut s, 'c', 30);
    let copied = fx
        .iter()
        .find_map(|e| match e {
            Effect::Copy(t) => Some(t.clone()),
            _ => None,
        })
        .expect("copied");
    assert!(
        copied.contains("kubectl describe pod -n payments api-7c9d6b5f4-2xkqp"),
        "{copied}"
    );
}

/// The config's `alert_severity` maps a team's own label values.
#[test]
fn the_config_maps_alert_severities() {
    use mayday::status::Kind;
    use mayday::status::health::Health::*;
    let mut s = state();
    s.settings
        .alert_severity
        .insert("warning".into(), mayday::runbook::Severity::High);
    let mut snap = snapshot("prometheus", Kind::Prometheus, Degraded, "1 firing", 1);
    let mut a = alert("RedisEvictionsHigh", Some("Warning"), -10);
    a.labels = labels(&[("severity", "Warning")]);
    snap.alerts = vec![a];
    status(&mut s, snap);
    key(&mut s, KeyCode::Enter, 2);
    assert_eq!(
        s.start.as_ref().map(|f| f.severity),
        Some(mayday::runbook::Severity::High),
        "warning → SEV2 by the config (SEV3 by default)"
    );
}

/// From an alert's row with the runbook's incident already open, `n`
/// starts a second incident that still carries the alert.
#[test]
fn a_second_incident_from_an_alert_keeps_the_alert() {
    use mayday::status::Kind;
    use mayday::status::health::Health::*;
    let mut s = state();
    app::update(
        &mut s,
        Action::Incidents(vec![IncidentListing {
            id: "20261122-230000-cache-evictions".into(),
            runbook_id: "cache-evictions".into(),
            title: "Cache eviction storm".into(),
            started_at: t(-600),
            state: Phase::Open,
            events: 5,
            rehearsal: false,
            problem: None,
        }]),
    );
    let mut snap = snapshot("prometheus", Kind::Prometheus, Down, "1 firing", 1);
    let mut a = alert("RedisEvictionsHigh", Some("critical"), -30);
    a.labels = labels(&[("namespace", "payments")]);
    snap.alerts = vec![a];
    status(&mut s, snap);
    // Row 0 resumes the open incident; row 1 is the alert.
    key(&mut s, KeyCode::Down, 2);
    assert_eq!(selected_row(&s), "firing RedisEvictionsHigh");
    key(&mut s, KeyCode::Enter, 3);
    assert!(
        matches!(s.overlay, Some(Overlay::ConfirmSecond { .. })),
        "{:?}",
        s.overlay
    );
    ch(&mut s, 'n', 4);
    let form = s.start.as_ref().expect("the start form");
    assert_eq!(
        form.alert.as_ref().map(|a| a.name.as_str()),
        Some("RedisEvictionsHigh")
    );
    assert_eq!(form.fields[0].input.text(), "payments");
}
