//! The incident and the outside world, without a terminal: a page starts
//! an incident and is acknowledged; the incident's alert is silenced from
//! the screen (how long, why), the silence is logged and expired when the
//! incident resolves, along with the page; notes reach the page when the
//! config says so; a call that fails is a logged message. Also: alerts of
//! one name in different namespaces are different rows.

mod common;

use common::tui::*;
use crossterm::event::KeyCode;
use mayday::app::action::Called;
use mayday::app::settings::Writable;
use mayday::app::{self, Action, Effect, Overlay};
use mayday::incident::{EventKind, Incident};
use mayday::status::health::Health;
use mayday::status::{Call, FiringAlert, Kind, Page, Snapshot};

fn snap(name: &str, kind: Kind, alerts: Vec<FiringAlert>, at: i64) -> Snapshot {
    let mut s = Snapshot::simulated(name, Health::Degraded, "firing", vec![]);
    s.kind = kind;
    s.checked_at = t(at);
    s.latency_ms = Some(20);
    s.alerts = alerts;
    s
}

fn status(s: &mut app::State, snap: Snapshot) -> Vec<Effect> {
    app::update(
        s,
        Action::Status(Box::new(mayday::status::Update::new(snap))),
    )
}

fn crashloop(ns: &str, pod: &str) -> FiringAlert {
    FiringAlert {
        alertname: "KubePodCrashLooping".into(),
        severity: Some("warning".into()),
        since: Some(t(-300)),
        labels: [
            ("alertname", "KubePodCrashLooping"),
            ("namespace", ns),
            ("pod", pod),
            ("severity", "warning"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect(),
        ..FiringAlert::default()
    }
}

fn page() -> FiringAlert {
    let mut a = crashloop("payments", "api-7d9f");
    a.page = Some(Box::new(Page {
        id: "PT4KHLK".into(),
        number: 1234,
        title: "[FIRING:1] KubePodCrashLooping (payments)".into(),
        html_url: "https://acme.pagerduty.com/incidents/PT4KHLK".into(),
        urgency: "high".into(),
        service: "payments".into(),
        status: "triggered".into(),
        assignees: vec!["Alice".into()],
    }));
    a
}

fn state_with(writable: &[(&str, Writable)]) -> app::State {
    let mut s = state();
    s.settings.writable = writable
        .iter()
        .map(|(n, w)| ((*n).to_owned(), *w))
        .collect();
    s
}

fn calls(fx: &[Effect]) -> Vec<(String, Call)> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Call { source, call } => Some((source.clone(), call.clone())),
            _ => None,
        })
        .collect()
}

fn answer(s: &mut app::State, source: &str, call: Call, reply: Result<&str, &str>) -> Vec<Effect> {
    app::update(
        s,
        Action::Called(Box::new(Called {
            source: source.into(),
            call,
            reply: reply.map(str::to_owned).map_err(str::to_owned),
        })),
    )
}

fn called_events(s: &app::State) -> Vec<String> {
    s.session
        .as_ref()
        .unwrap()
        .events
        .iter()
        .filter(|e| e.kind.name() == "source_called")
        .map(|e| e.kind.describe())
        .collect()
}

/// Enter, Enter on the page's row, the log opened and saved.
fn from_page(writable: &[(&str, Writable)]) -> (app::State, Vec<Effect>) {
    let mut s = state_with(writable);
    status(&mut s, snap("pd", Kind::Pagerduty, vec![page()], 1));
    key(&mut s, KeyCode::Enter, 2);
    let fx = key(&mut s, KeyCode::Enter, 3);
    let fx = open(&mut s, fx);
    save_all(&mut s);
    (s, fx)
}

const PAGER: Writable = Writable::Pager {
    acknowledge: true,
    mirror_notes: true,
};

/// `mayday`, Enter, Enter on a page: the incident starts with the page in
/// its first event and the page is acknowledged.
#[test]
fn a_page_starts_an_incident_and_is_acknowledged() {
    let mut s = state_with(&[("pd", PAGER), ("am", Writable::Alertmanager)]);
    status(&mut s, snap("pd", Kind::Pagerduty, vec![page()], 1));
    let text = screen(&s, t(2), 240, 30);
    assert!(text.contains("✖ paged"), "{text}");
    assert!(
        text.contains("Kube Pod Crash Looping  #1234 (triggered) · namespace=payments"),
        "{text}"
    );
    key(&mut s, KeyCode::Enter, 2);
    let fx = key(&mut s, KeyCode::Enter, 3);
    let fx = open(&mut s, fx);
    save_all(&mut s);
    assert_eq!(
        calls(&fx),
        [(
            "pd".to_owned(),
            Call::Acknowledge {
                page_id: "PT4KHLK".into()
            }
        )]
    );
    let sess = s.session.as_ref().unwrap();
    let a = sess.incident.alert.as_ref().unwrap();
    assert_eq!(a.page.as_ref().unwrap().number, 1234);
    assert_eq!(a.labels["namespace"], "payments");
    let json = serde_json::to_string(&sess.events[0]).unwrap();
    assert!(
        json.contains(r#""page":{"id":"PT4KHLK","number":1234"#),
        "{json}"
    );
    // The answer is logged; the header shows the page's state.
    answer(
        &mut s,
        "pd",
        Call::Acknowledge {
            page_id: "PT4KHLK".into(),
        },
        Ok("acknowledged"),
    );
    assert_eq!(
        called_events(&s),
        ["acknowledge PT4KHLK via pd: acknowledged"]
    );
    let text = screen(&s, t(10), 160, 30);
    assert!(text.contains("page #1234 acknowledged"), "{text}");
    // `A` again: already acknowledged, nothing sent.
    assert!(calls(&ch(&mut s, 'A', 11)).is_empty());
    // With `acknowledge: false`, starting does not acknowledge.
    let quiet = Writable::Pager {
        acknowledge: false,
        mirror_notes: false,
    };
    let (mut s, fx) = from_page(&[("pd", quiet)]);
    assert!(calls(&fx).is_empty());
    // … and `A` does, on demand.
    assert_eq!(calls(&ch(&mut s, 'A', 5)).len(), 1);
}

/// A failed acknowledgement is logged and said, with how to retry; the
/// incident goes on.
#[test]
fn a_failed_call_is_a_logged_message() {
    let (mut s, _) = from_page(&[("pd", PAGER)]);
    let fx = answer(
        &mut s,
        "pd",
        Call::Acknowledge {
            page_id: "PT4KHLK".into(),
        },
        Err("HTTP 401: the token was refused"),
    );
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::Append(EventKind::SourceCalled { ok: false, .. }, _)
    )));
    assert_eq!(
        called_events(&s),
        ["acknowledge PT4KHLK via pd FAILED: HTTP 401: the token was refused"]
    );
    assert!(
        s.notices
            .iter()
            .any(|n| n.text.contains("press A to try again")),
        "{:?}",
        s.notices
    );
    assert_eq!(s.session.as_ref().unwrap().incident.page_status, None);
    assert_eq!(calls(&ch(&mut s, 'A', 20)).len(), 1, "it can be retried");
}

/// `S` asks how long and why, and silences exactly this alert; the silence
/// is logged; resolving offers to expire it and to resolve the page.
#[test]
fn silence_from_the_incident_then_wrap_up_on_resolve() {
    let (mut s, _) = from_page(&[("pd", PAGER), ("am", Writable::Alertmanager)]);
    ch(&mut s, 'S', 10);
    assert!(matches!(s.overlay, Some(Overlay::Prompt(_))));
    // Replace the suggested text.
    for _ in 0..200 {
        key(&mut s, KeyCode::Backspace, 11);
    }
    typed(&mut s, "soon we hope", 12);
    key(&mut s, KeyCode::Enter, 13);
    let Some(Overlay::Prompt(p)) = &s.overlay else {
        panic!("the prompt stays open on a bad duration");
    };
    assert!(
        p.error.as_deref().unwrap().contains("not a duration"),
        "{:?}",
        p.error
    );
    for _ in 0..40 {
        key(&mut s, KeyCode::Backspace, 14);
    }
    typed(&mut s, "2h", 15);
    key(&mut s, KeyCode::Enter, 16);
    let Some(Overlay::Prompt(p)) = &s.overlay else {
        panic!("a silence needs a reason");
    };
    assert!(p.error.as_deref().unwrap().contains("say why"));
    typed(&mut s, " rolling back; $(not a command)", 17);
    let fx = key(&mut s, KeyCode::Enter, 18);
    assert!(s.overlay.is_none());
    let sent = calls(&fx);
    assert_eq!(sent.len(), 1);
    let (source, call) = &sent[0];
    assert_eq!(
        source, "am",
        "the page's labels are silenced in the Alertmanager"
    );
    let Call::Silence {
        matchers,
        ends_at,
        created_by,
        comment,
    } = call
    else {
        panic!("{call:?}")
    };
    assert_eq!(matchers["alertname"], "KubePodCrashLooping");
    assert_eq!(matchers["namespace"], "payments");
    assert_eq!(matchers["pod"], "api-7d9f");
    assert_eq!(*ends_at, t(18) + jiff::SignedDuration::from_hours(2));
    assert_eq!(
        (created_by.as_str(), comment.as_str()),
        ("alice", "rolling back; $(not a command)")
    );
    answer(&mut s, "am", call.clone(), Ok("7d7b9a3c"));
    save_all(&mut s);
    let inc = &s.session.as_ref().unwrap().incident;
    assert_eq!(
        inc.silence
            .as_ref()
            .map(|(src, id, _)| (src.as_str(), id.as_str())),
        Some(("am", "7d7b9a3c"))
    );
    assert_eq!(
        inc.silence.as_ref().unwrap().2,
        Some(t(18) + jiff::SignedDuration::from_hours(2))
    );
    // The log replays to the same state.
    let sess = s.session.as_ref().unwrap();
    assert_eq!(Incident::replay(&sess.events).unwrap(), sess.incident);

    // Resolve: summary, then the wrap-up question.
    ch(&mut s, 'd', 30);
    ch(&mut s, 'R', 31);
    if matches!(s.overlay, Some(Overlay::ConfirmResolve { .. })) {
        ch(&mut s, 'y', 32);
    }
    typed(&mut s, "rolled back", 33);
    key(&mut s, KeyCode::Enter, 34);
    assert!(
        matches!(
            &s.overlay,
            Some(Overlay::ConfirmWrapUp {
                silence: Some(_),
                page: Some(_)
            })
        ),
        "{:?}",
        s.overlay
    );
    let text = screen(&s, t(35), 120, 30);
    assert!(
        text.contains("expire the silence 7d7b9a3c it made in am"),
        "{text}"
    );
    assert!(text.contains("resolve page #1234 in pd"), "{text}");
    let fx = ch(&mut s, 'y', 36);
    assert_eq!(
        calls(&fx),
        [
            (
                "am".to_owned(),
                Call::ExpireSilence {
                    id: "7d7b9a3c".into()
                }
            ),
            (
                "pd".to_owned(),
                Call::ResolvePage {
                    page_id: "PT4KHLK".into()
                }
            ),
        ]
    );
    answer(
        &mut s,
        "am",
        Call::ExpireSilence {
            id: "7d7b9a3c".into(),
        },
        Ok("expired"),
    );
    answer(
        &mut s,
        "pd",
        Call::ResolvePage {
            page_id: "PT4KHLK".into(),
        },
        Ok("resolved"),
    );
    let inc = &s.session.as_ref().unwrap().incident;
    assert_eq!(
        (inc.silence.as_ref(), inc.page_status.as_deref()),
        (None, Some("resolved"))
    );
}

/// Without an Alertmanager in the config, or for an incident not started
/// from an alert, `S` says why instead of opening a prompt.
#[test]
fn silence_says_why_it_cannot() {
    let mut s = started();
    ch(&mut s, 'S', 10);
    assert!(s.overlay.is_none());
    assert!(
        s.notices
            .iter()
            .any(|n| n.text.contains("not started from an alert")),
        "{:?}",
        s.notices
    );
    let (mut s, _) = from_page(&[("pd", PAGER)]);
    ch(&mut s, 'S', 10);
    assert!(s.overlay.is_none());
    assert!(
        s.notices
            .iter()
            .any(|n| n.text.contains("no alertmanager source")),
        "{:?}",
        s.notices
    );
}

/// Notes reach the page only when the config says so, and only once saved.
#[test]
fn notes_are_mirrored_when_asked() {
    for mirror in [true, false] {
        let (mut s, _) = from_page(&[(
            "pd",
            Writable::Pager {
                acknowledge: false,
                mirror_notes: mirror,
            },
        )]);
        ch(&mut s, 'i', 10);
        typed(&mut s, "restarted api-7d9f", 11);
        let fx = key(&mut s, KeyCode::Enter, 12);
        assert!(calls(&fx).is_empty(), "not before it is saved");
        let note = s.session.as_ref().unwrap().events.last().unwrap().clone();
        let fx = app::update(&mut s, Action::Saved(Box::new(note)));
        let sent = calls(&fx);
        if mirror {
            assert_eq!(
                sent,
                [(
                    "pd".to_owned(),
                    Call::PageNote {
                        page_id: "PT4KHLK".into(),
                        content: "restarted api-7d9f".into()
                    }
                )]
            );
        } else {
            assert!(sent.is_empty());
        }
    }
}

/// The incident's alert silenced by someone (whom, until when, why), then
/// unsilenced: both in the timeline.
#[test]
fn its_alert_silenced_by_someone_and_unsilenced() {
    let mut s = state_with(&[("am", Writable::Alertmanager)]);
    status(
        &mut s,
        snap(
            "am",
            Kind::Alertmanager,
            vec![crashloop("payments", "api-1")],
            1,
        ),
    );
    key(&mut s, KeyCode::Enter, 2);
    let fx = key(&mut s, KeyCode::Enter, 3);
    open(&mut s, fx);
    save_all(&mut s);
    let mut silenced = snap("am", Kind::Alertmanager, vec![], 10);
    let mut held = crashloop("payments", "api-1");
    held.silenced_by = vec!["s1".into()];
    silenced.suppressed = vec![held];
    silenced.silences = vec![mayday::status::Silence {
        id: "s1".into(),
        created_by: "bob".into(),
        comment: "known: deploy in progress".into(),
        ends_at: Some(t(7200)),
    }];
    status(&mut s, silenced);
    status(
        &mut s,
        snap(
            "am",
            Kind::Alertmanager,
            vec![crashloop("payments", "api-1")],
            20,
        ),
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
            "its alert KubePodCrashLooping (am): silenced by bob until 2026-11-23T05:00:00Z — known: deploy in progress",
            "its alert KubePodCrashLooping (am): unsilenced",
        ]
    );
}

/// One alert name in two namespaces is two rows (their context differs);
/// pods of one namespace are one row with a count.
#[test]
fn rows_split_by_the_labels_that_are_not_instances() {
    let mut s = state();
    status(
        &mut s,
        snap(
            "am",
            Kind::Alertmanager,
            vec![
                crashloop("payments", "api-1"),
                crashloop("payments", "api-2"),
                crashloop("checkout", "web-1"),
            ],
            1,
        ),
    );
    let rows: Vec<(String, usize, String)> = s
        .picker
        .firing
        .iter()
        .map(|f| (f.alertname.clone(), f.count, f.context.clone()))
        .collect();
    assert_eq!(
        rows,
        [
            ("KubePodCrashLooping".into(), 2, "namespace=payments".into()),
            ("KubePodCrashLooping".into(), 1, "namespace=checkout".into()),
        ]
    );
    let text = screen(&s, t(2), 240, 30);
    assert!(
        text.contains("Kube Pod Crash Looping  ×2 · namespace=payments"),
        "{text}"
    );
    assert!(
        text.contains("Kube Pod Crash Looping  namespace=checkout"),
        "{text}"
    );
    // Starting from the second row takes its own namespace.
    key(&mut s, KeyCode::Down, 3);
    key(&mut s, KeyCode::Enter, 4);
    let fx = key(&mut s, KeyCode::Enter, 5);
    open(&mut s, fx);
    let inc = &s.session.as_ref().unwrap().incident;
    let a = inc.alert.as_ref().unwrap();
    assert_eq!(
        (a.labels["namespace"].as_str(), a.labels["pod"].as_str()),
        ("checkout", "web-1")
    );
}

/// A page without alert details is matched by its title: a runbook id or
/// an alert a runbook lists, as a word of it.
#[test]
fn a_page_without_details_is_matched_by_its_title() {
    let mut s = state();
    let mut bare = page();
    bare.labels.clear();
    bare.alertname = "Redis cache: RedisEvictionsHigh on redis-0".into();
    bare.page.as_mut().unwrap().title = bare.alertname.clone();
    let mut other = bare.clone();
    other.alertname = "Something nobody wrote a runbook for".into();
    other.page.as_mut().unwrap().id = "Q2".into();
    other.page.as_mut().unwrap().title = other.alertname.clone();
    status(&mut s, snap("pd", Kind::Pagerduty, vec![bare, other], 1));
    let rows: Vec<String> = s
        .picker
        .firing
        .iter()
        .map(|f| s.library.runbooks[f.runbook].id.clone())
        .collect();
    assert_eq!(rows, ["cache-evictions"]);
}

/// `--dry-run` sends nothing to a real pager or Alertmanager: no
/// acknowledgement on start, and `S` / `A` say why.
#[test]
fn a_dry_run_writes_to_nothing() {
    let mut s = state_with(&[("pd", PAGER), ("am", Writable::Alertmanager)]);
    s.settings.dry_run = true;
    status(&mut s, snap("pd", Kind::Pagerduty, vec![page()], 1));
    key(&mut s, KeyCode::Enter, 2);
    let fx = key(&mut s, KeyCode::Enter, 3);
    assert!(calls(&open(&mut s, fx)).is_empty());
    assert!(calls(&ch(&mut s, 'A', 5)).is_empty());
    ch(&mut s, 'S', 6);
    assert!(s.overlay.is_none());
    assert!(
        s.notices.iter().any(|n| n.text.starts_with("dry run")),
        "{:?}",
        s.notices
    );
}

/// An alert from a pager is silenced in the first Alertmanager *in the
/// config*, not the first by name.
#[test]
fn the_first_alertmanager_in_the_config_silences() {
    let (mut s, _) = from_page(&[
        ("pd", PAGER),
        ("zz-prod", Writable::Alertmanager),
        ("aa-staging", Writable::Alertmanager),
    ]);
    ch(&mut s, 'S', 10);
    for _ in 0..200 {
        key(&mut s, KeyCode::Backspace, 11);
    }
    typed(&mut s, "1h rolling back", 12);
    let fx = key(&mut s, KeyCode::Enter, 13);
    let sent = calls(&fx);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, "zz-prod");
}
