//! Live query blocks in the app, without a network: the step on screen
//! asks its blocks (and only it), answers are shown under the block, the
//! first answer of a visit and every snapshot become `evidence` events,
//! failures and missing values say why in place, and the step pane is
//! drawn with a value, a chart, a failure and at 80×24.

mod common;

use common::tui::*;
use crossterm::event::KeyCode;
use mayday::app::evidence::{QueryAnswered, QueryRequest, Record};
use mayday::app::{self, Action, Effect, Settings, State};
use mayday::incident::EventKind;
use mayday::incident::evidence::Evidence;
use mayday::runbook::Origin;
use mayday::runbook::library::{FileLocation, FileRef, Library};
use mayday::status::Kind;
use mayday::status::parse::loki::LogLine;
use mayday::status::parse::promql::{QueryResult, Series, Shape};
use mayday::status::query::{Answer, Found, Queryable};
use mayday::ui::keymap::Keymap;
use std::sync::Arc;
use std::time::Duration;

const RUNBOOK: &str = r#"---
variables:
  - name: service
    default: checkout
---
# Checkout errors

## Check the error rate

How many requests fail, by status code:

```promql
sum by (code) (rate(http_requests_total{service="{{service}}"}[5m]))
```

And what the service logs:

```logql source=logs
{app="{{service}}"} |= "error"
```

## Roll back

```sh
kubectl rollout undo deploy/{{service}}
```
"#;

fn library_with(text: &str) -> (tempfile::TempDir, Arc<Library>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("checkout-errors.md");
    std::fs::write(&path, text).expect("write");
    let files = vec![FileRef {
        display: "checkout-errors.md".into(),
        origin: Origin::Bundled,
        location: FileLocation::Disk(path),
    }];
    (dir, Arc::new(Library::from_files(&files)))
}

fn sources() -> Vec<Queryable> {
    vec![
        Queryable {
            name: "prom".into(),
            kind: Kind::Prometheus,
            interval: Duration::from_secs(15),
        },
        Queryable {
            name: "logs".into(),
            kind: Kind::Loki,
            interval: Duration::from_secs(30),
        },
    ]
}

/// The incident started on the runbook, first step entered; the effects
/// of opening it.
fn start(text: &str, queryable: Vec<Queryable>) -> (tempfile::TempDir, State, Vec<Effect>) {
    let (dir, lib) = library_with(text);
    let settings = Settings {
        default_responder: "alice".into(),
        queryable,
        ..Settings::default()
    };
    let mut s = State::new(
        lib,
        Keymap::default(),
        settings,
        t(0),
        jiff::tz::TimeZone::UTC,
    );
    typed(&mut s, "checkout", 1);
    key(&mut s, KeyCode::Enter, 2);
    let fx = key(&mut s, KeyCode::Enter, 4);
    let fx = open(&mut s, fx);
    save_all(&mut s);
    (dir, s, fx)
}

fn queries(fx: &[Effect]) -> Vec<QueryRequest> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Query(q) => Some((**q).clone()),
            _ => None,
        })
        .collect()
}

fn evidence(fx: &[Effect]) -> Vec<Evidence> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Append(EventKind::Evidence(e), _) => Some((**e).clone()),
            _ => None,
        })
        .collect()
}

fn numbers(req: &QueryRequest, series: Vec<Series>) -> Answer {
    Answer {
        start: req.ask.start(),
        end: req.ask.end,
        step: req.ask.step(),
        found: Found::Numbers(QueryResult {
            shape: Shape::Matrix,
            series,
            warnings: vec![],
        }),
    }
}

/// Two series over the window, `code` 200 and 500, 15 s apart, ending at
/// the window's end.
fn two_series(req: &QueryRequest) -> Vec<Series> {
    let end = req.ask.end;
    let mk = |code: &str, f: &dyn Fn(i64) -> f64| Series {
        labels: [
            ("code".to_owned(), code.to_owned()),
            ("service".to_owned(), "checkout".to_owned()),
        ]
        .into(),
        samples: (0..=120)
            .map(|k| (end - jiff::SignedDuration::from_secs((120 - k) * 15), f(k)))
            .collect(),
    };
    vec![
        mk("200", &|k| 40.0 + (k % 10) as f64),
        mk("500", &|k| if k > 100 { 12.5 } else { 0.25 }),
    ]
}

fn lines_answer(req: &QueryRequest) -> Answer {
    Answer {
        start: req.ask.start(),
        end: req.ask.end,
        step: req.ask.step(),
        found: Found::Lines {
            lines: vec![
                LogLine {
                    at: req.ask.end - jiff::SignedDuration::from_secs(5),
                    labels: [("app".to_owned(), "checkout".to_owned())].into(),
                    line: "error: connection refused to payments:443".into(),
                },
                LogLine {
                    at: req.ask.end - jiff::SignedDuration::from_secs(65),
                    labels: [("app".to_owned(), "checkout".to_owned())].into(),
                    line: "error: upstream timed out".into(),
                },
            ],
            count: Some(214),
        },
    }
}

/// Started, both blocks answered at 5 s (two series, two log lines), saved.
fn started_and_answered() -> (tempfile::TempDir, State) {
    let (d, mut s, fx) = start(RUNBOOK, sources());
    let asked = queries(&fx);
    let numbers_answer = numbers(&asked[0], two_series(&asked[0]));
    answer(&mut s, asked[0].clone(), Ok(numbers_answer), 5);
    answer(&mut s, asked[1].clone(), Ok(lines_answer(&asked[1])), 5);
    save_all(&mut s);
    (d, s)
}

fn answer(
    s: &mut State,
    req: QueryRequest,
    result: Result<Answer, String>,
    at: i64,
) -> Vec<Effect> {
    app::update(s, Action::Tick(t(at)));
    app::update(
        s,
        Action::QueryAnswered(Box::new(QueryAnswered {
            request: req,
            result,
            retry_after: None,
        })),
    )
}

#[test]
fn entering_a_step_asks_its_blocks_and_records_the_first_answers() {
    let (_d, mut s, fx) = start(RUNBOOK, sources());
    let asked = queries(&fx);
    assert_eq!(asked.len(), 2, "both blocks asked on entering: {asked:?}");
    // The variable is filled in, inside its quotes; each block asks its source.
    assert_eq!(
        asked[0].ask.expr,
        r#"sum by (code) (rate(http_requests_total{service="checkout"}[5m]))"#
    );
    assert_eq!(asked[0].source, "prom");
    assert_eq!(asked[1].source, "logs");
    assert_eq!(asked[1].ask.expr, r#"{app="checkout"} |= "error""#);
    assert_eq!(asked[0].record, Record::First);
    assert_eq!(asked[0].ask.window, Duration::from_secs(1800));
    // Nothing more is asked while they are out.
    assert!(queries(&app::update(&mut s, Action::Tick(t(6)))).is_empty());

    let fx = answer(
        &mut s,
        asked[0].clone(),
        Ok(numbers(&asked[0], two_series(&asked[0]))),
        7,
    );
    let ev = evidence(&fx);
    assert_eq!(ev.len(), 1, "the first answer is evidence");
    assert_eq!(ev[0].step, "check-the-error-rate");
    assert_eq!(ev[0].source, "prom");
    assert_eq!(ev[0].series.len(), 2);
    assert_eq!(ev[0].series[1].samples.last().unwrap().1, Some(12.5));
    let fx = answer(&mut s, asked[1].clone(), Ok(lines_answer(&asked[1])), 8);
    let ev = evidence(&fx);
    assert_eq!(ev[0].count, Some(214));
    assert_eq!(
        ev[0].lines[0].line,
        "error: connection refused to payments:443"
    );
    save_all(&mut s);

    // Refreshed at each source's interval, and not recorded again.
    assert!(queries(&app::update(&mut s, Action::Tick(t(20)))).is_empty());
    let again = queries(&app::update(&mut s, Action::Tick(t(23))));
    assert_eq!(
        again.len(),
        1,
        "prom (15 s) is due, logs (30 s) not yet: {again:?}"
    );
    assert_eq!(again[0].record, Record::No);
    let fx = answer(&mut s, again[0].clone(), Ok(numbers(&again[0], vec![])), 24);
    assert!(evidence(&fx).is_empty());
    // At 40 s both are due: prom 15 s after 24, logs 30 s after 8.
    let both = queries(&app::update(&mut s, Action::Tick(t(40))));
    assert_eq!(
        both.iter().map(|q| q.source.as_str()).collect::<Vec<_>>(),
        ["prom", "logs"]
    );
}

#[test]
fn only_the_step_on_screen_is_asked_and_late_answers_are_dropped() {
    let (_d, mut s, fx) = start(RUNBOOK, sources());
    let asked = queries(&fx);
    // Done with the step: the next one has no queries.
    let fx = key(&mut s, KeyCode::Char('d'), 10);
    assert!(queries(&fx).is_empty());
    assert!(s.session.as_ref().unwrap().queries.views.is_empty());
    // The answer to the old step comes late: shown nowhere, recorded nowhere.
    let fx = answer(
        &mut s,
        asked[0].clone(),
        Ok(numbers(&asked[0], two_series(&asked[0]))),
        11,
    );
    assert!(evidence(&fx).is_empty());
    // Minutes pass: nothing is asked for a step nobody looks at.
    for sec in [60, 120, 600] {
        assert!(queries(&app::update(&mut s, Action::Tick(t(sec)))).is_empty());
    }
    // Back to the step: a new visit, asked and recorded again.
    let fx = key(&mut s, KeyCode::Char('p'), 601);
    let back = queries(&fx);
    assert_eq!(back.len(), 2, "{fx:?}");
    assert!(back[0].visit > asked[0].visit);
    let fx = answer(
        &mut s,
        back[0].clone(),
        Ok(numbers(&back[0], two_series(&back[0]))),
        602,
    );
    assert_eq!(evidence(&fx).len(), 1);
    // An answer of the earlier visit does not count for this one.
    let fx = answer(&mut s, asked[1].clone(), Ok(lines_answer(&asked[1])), 603);
    assert!(evidence(&fx).is_empty());
}

#[test]
fn a_snapshot_with_a_comment_records_what_comes_back_even_a_failure() {
    let (_d, mut s) = started_and_answered();
    let fx = key(&mut s, KeyCode::Char('E'), 20);
    assert!(
        !queries(&fx)
            .iter()
            .any(|q| matches!(q.record, Record::Snapshot(_))),
        "asks for a comment first"
    );
    typed(&mut s, "500s started with the deploy", 21);
    let fx = key(&mut s, KeyCode::Enter, 22);
    let snaps = queries(&fx);
    assert_eq!(snaps.len(), 2);
    assert_eq!(
        snaps[0].record,
        Record::Snapshot(Some("500s started with the deploy".into()))
    );
    let fx = answer(
        &mut s,
        snaps[0].clone(),
        Ok(numbers(&snaps[0], two_series(&snaps[0]))),
        23,
    );
    let ev = evidence(&fx);
    assert_eq!(
        ev[0].comment.as_deref(),
        Some("500s started with the deploy")
    );
    let fx = answer(
        &mut s,
        snaps[1].clone(),
        Err("no answer within 10s".into()),
        24,
    );
    let ev = evidence(&fx);
    assert_eq!(ev[0].error.as_deref(), Some("no answer within 10s"));
    assert!(ev[0].lines.is_empty());
    // The log pane says so.
    save_all(&mut s);
    let screen = screen(&s, t(25), 160, 50);
    assert!(screen.contains("evidence (logs)"), "{screen}");
    assert!(screen.contains("failed: no answer within 10s"), "{screen}");
}

#[test]
fn failures_missing_values_and_unknown_sources_say_why_in_place() {
    // A failing query keeps the step usable and says why under the block.
    let (_d, mut s, fx) = start(RUNBOOK, sources());
    let asked = queries(&fx);
    let fx = answer(
        &mut s,
        asked[0].clone(),
        Err("bad_data: 1:14: parse error: unexpected right parenthesis ')'".into()),
        5,
    );
    assert!(
        evidence(&fx).is_empty(),
        "a failure is not the visit's evidence"
    );
    let text = screen(&s, t(6), 120, 40);
    assert!(
        text.contains("✖ prom: bad_data: 1:14: parse error"),
        "{text}"
    );
    assert!(text.contains("⋯ asking logs"), "{text}");
    // The step still works: done moves on.
    let fx = key(&mut s, KeyCode::Char('d'), 7);
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Append(EventKind::StepDone { .. }, _)))
    );

    // A block naming a source that does not exist, one with a variable
    // without a value.
    let text = RUNBOOK
        .replace("```logql source=logs", "```logql source=nope")
        .replace("default: checkout", "required: false");
    let (_d, s, fx) = start(&text, sources());
    assert!(queries(&fx).is_empty(), "{:?}", queries(&fx));
    let shown = screen(&s, t(5), 120, 40);
    assert!(shown.contains("no source is named `nope`"), "{shown}");
    assert!(shown.contains("waiting for {{service}}"), "{shown}");

    // No source that answers queries: the blocks are plain text, nothing asked.
    let (_d, s, fx) = start(RUNBOOK, vec![]);
    assert!(queries(&fx).is_empty());
    let shown = screen(&s, t(5), 120, 40);
    assert!(shown.contains("promql · display only"), "{shown}");
}

/// The step pane with a value, the chart, a failing query, and at 80×24.
#[test]
fn snapshots_of_the_step_pane() {
    let (_d, mut s) = started_and_answered();
    let wide = screen(&s, t(6), 140, 48);
    assert!(wide.contains("promql · live"), "{wide}");
    assert!(wide.contains("code=200"), "{wide}");
    assert!(wide.contains("12.5"), "{wide}");
    assert!(
        wide.contains('⣀')
            || wide.contains('⠉')
            || wide.chars().any(|c| ('\u{2801}'..='\u{28ff}').contains(&c)),
        "a braille chart: {wide}"
    );
    assert!(wide.contains("214 lines in 30m"), "{wide}");
    insta::assert_snapshot!("evidence_step_140x48", wide);
    let small = screen(&s, t(6), 80, 24);
    assert!(
        small.contains('▁') || small.contains('█'),
        "sparklines at 80×24: {small}"
    );
    insta::assert_snapshot!("evidence_step_80x24", small);
    // The same step when the next refresh fails: the error on top, the last
    // answer kept below it.
    let again = queries(&app::update(&mut s, Action::Tick(t(21))));
    answer(
        &mut s,
        again[0].clone(),
        Err("connection failed: Connection refused (os error 111)".into()),
        22,
    );
    let failing = screen(&s, t(23), 140, 48);
    assert!(
        failing.contains("(below: the last answer that came)"),
        "{failing}"
    );
    insta::assert_snapshot!("evidence_step_failing_140x48", failing);
}

/// The postmortem draft holds what the responder saw, under the step: the
/// query, a table, a Mermaid line chart, the log lines; hostile label
/// values and lines cannot add Markdown.
#[test]
fn the_postmortem_shows_the_evidence_under_its_step() {
    let (_d, mut s, fx) = start(RUNBOOK, sources());
    let asked = queries(&fx);
    let mut series = two_series(&asked[0]);
    series[1]
        .labels
        .insert("code".into(), "500 | <b>x</b>\n## not a heading".into());
    answer(&mut s, asked[0].clone(), Ok(numbers(&asked[0], series)), 5);
    let mut logs = lines_answer(&asked[1]);
    if let Found::Lines { lines, .. } = &mut logs.found {
        lines[1].line = "```\n# injected".into();
    }
    answer(&mut s, asked[1].clone(), Ok(logs), 5);
    save_all(&mut s);
    let session = s.session.as_ref().unwrap();
    let stats = mayday::incident::review::stats(&session.events, Some(&session.runbook)).unwrap();
    let md = mayday::incident::postmortem::markdown(
        &session.incident,
        &session.events,
        &stats,
        Some(&session.runbook),
        &jiff::tz::TimeZone::UTC,
    );
    let ev = md.split("## Evidence").nth(1).expect("an evidence section");
    let ev = ev.split("\n## ").next().unwrap();
    assert!(
        ev.contains("### Check the error rate (check-the-error-rate)"),
        "{ev}"
    );
    assert!(
        ev.contains("#### 03:00:05 (T+00:00:01) — promql on prom"),
        "{ev}"
    );
    assert!(
        ev.contains(
            "```promql\nsum by (code) (rate(http_requests_total{service=\"checkout\"}[5m]))\n```"
        ),
        "{ev}"
    );
    assert!(ev.contains("| Series | Last | Min | Max |"), "{ev}");
    assert!(ev.contains("| code=200 | 40 | 40 | 49 |"), "{ev}");
    assert!(
        ev.contains("```mermaid\nxychart-beta\n    x-axis [\"02:30\""),
        "{ev}"
    );
    assert_eq!(ev.matches("    line [").count(), 2, "{ev}");
    assert!(ev.contains("214 lines matched; the newest 2:"), "{ev}");
    assert!(
        ev.contains("02:59:59 error: connection refused to payments:443"),
        "{ev}"
    );
    // Nothing from outside becomes Markdown: no new heading, no tag, no
    // fence closed early.
    assert!(!ev.contains("\n## not a heading"), "{ev}");
    assert!(!ev.contains("<b>"), "{ev}");
    assert!(
        ev.contains("````text\n") && ev.contains("# injected\n````\n"),
        "a longer fence keeps the lines inside: {ev}"
    );
    // And the JSON export carries the numbers as numbers.
    let json = serde_json::to_value(&session.events).unwrap();
    let e = json
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "evidence" && e["language"] == "promql")
        .expect("an evidence event");
    assert_eq!(e["series"][0]["labels"]["code"], "200");
    assert_eq!(e["series"][1]["samples"][120][1], 12.5);
    assert_eq!(e["step_seconds"], 15);
}
