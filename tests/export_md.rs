//! `mayday export ID --format md`: the postmortem draft of a fixed incident
//! log (written with the library, fixed timestamps), through the real binary
//! with `TZ=UTC`. The whole document is a snapshot; the targeted checks
//! below say what must hold whatever the snapshot says.

mod common;

use common::Env;
use jiff::Timestamp;
use mayday::incident::{EventKind, ScoreLine, store};
use mayday::runbook::Severity;
use mayday::status::health::Health;
use std::path::PathBuf;

/// A note that tries to break out of every place it lands.
const HOSTILE: &str = "| x |\n## Root cause\n<script>alert(1)</script> ``` [link](javascript:x)";

const RUNBOOK: &str = "---\nid: database-down\nseverity: critical\n---\n\n# Primary database is down\n\nThe primary stopped answering.\n\n## Impact {#impact}\n\nLook at the dashboards.\n\n- [ ] Tell #incidents\n\n## Check the primary {#check .diagnose}\n\n```sh {run}\npg_isready -h {{cluster}}\n```\n\n## Fail over: promote the replica {#failover .mitigate}\n\n```sh {run}\npatronictl failover --force {{cluster}}\n```\n\n## Verify {#verify .verify}\n\nErrors are back to normal.\n\n## Escalate {#escalate .communicate}\n\nPage the database team.\n";

fn t(s: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + s).unwrap()
}

fn started(rehearsal: bool) -> EventKind {
    EventKind::IncidentStarted {
        incident_id: String::new(),
        runbook_id: "database-down".into(),
        runbook_title: "Primary database is down".into(),
        runbook_hash: "5f1c2a9be07d44c1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70819".into(),
        runbook_path: "bundled:database-down.md".into(),
        variables: [("cluster".to_owned(), "orders-prod".to_owned())]
            .into_iter()
            .collect(),
        severity: Severity::Critical,
        responder: "alice".into(),
        rehearsal,
        scenario: rehearsal.then(|| "primary-disk-full".to_owned()),
        dry_run: false,
        mayday_version: "test".into(),
        alert: None,
    }
}

fn status(source: &str, from: Health, to: Health, summary: &str) -> EventKind {
    EventKind::StatusChanged {
        source: source.into(),
        from,
        to,
        summary: summary.into(),
        error: None,
    }
}

fn enter(step: &str, title: &str) -> EventKind {
    EventKind::StepEntered {
        step: step.into(),
        title: title.into(),
    }
}

fn note(text: &str, status_update: bool) -> EventKind {
    EventKind::Note {
        text: text.into(),
        status_update,
    }
}

/// A command's requested/confirmed/started/finished events, one a second
/// from `at`.
fn command(
    at: i64,
    step: &str,
    index: usize,
    text: &str,
    exit_code: i32,
    dry_run: bool,
    output: &[&str],
) -> Vec<(i64, EventKind)> {
    let kinds = [
        EventKind::CommandRequested {
            step: step.into(),
            index,
            text: text.into(),
        },
        EventKind::CommandConfirmed {
            step: step.into(),
            index,
        },
        EventKind::CommandStarted {
            step: step.into(),
            index,
            text: text.into(),
            pid: (!dry_run).then_some(4242),
            cwd: "/srv".into(),
            timeout_secs: 30,
            dry_run,
            shell: None,
        },
        EventKind::CommandFinished {
            step: step.into(),
            index,
            exit_code: (!dry_run).then_some(exit_code),
            signal: None,
            duration_ms: if dry_run { 0 } else { 2_500 },
            timed_out: false,
            cancelled: false,
            dry_run,
            output_tail: output.iter().map(|s| (*s).to_owned()).collect(),
            output_truncated: false,
            ok: None,
            failed_line: None,
            failed_command: None,
            abandoned_at_quit: false,
        },
    ];
    (at..).zip(kinds).collect()
}

/// The real incident: steps, a decision, a mitigation, three commands (ok,
/// failed with output, dry run), status changes, hostile notes, a resolve.
fn real_events() -> Vec<(i64, EventKind)> {
    let mut v = vec![
        (
            1,
            status("api", Health::Unknown, Health::Down, "connection refused"),
        ),
        (
            2,
            status(
                "alerts",
                Health::Unknown,
                Health::Degraded,
                "2 firing: DatabaseDown, HighErrorRate",
            ),
        ),
        (5, enter("impact", "Impact")),
        (
            30,
            EventKind::ChecklistToggled {
                step: "impact".into(),
                item: 0,
                text: "Tell #incidents".into(),
                checked: true,
            },
        ),
        (40, note("Checkout returns 500s for *everyone*", true)),
        (
            60,
            EventKind::StepDone {
                step: "impact".into(),
            },
        ),
        (61, enter("check", "Check the primary")),
    ];
    v.extend(command(
        70,
        "check",
        0,
        "pg_isready -h orders-prod",
        2,
        false,
        &["orders-prod:5432 - no response"],
    ));
    v.extend(command(
        74,
        "check",
        1,
        "journalctl -u postgresql -n 3 | grep -v ```",
        0,
        false,
        &[
            "FATAL:  could not write to file \"pg_wal/xlogtemp\": No space left on device",
            "LOG:  database system is shut down",
            "| ```` <b>not bold</b>",
        ],
    ));
    v.extend([
        (90, note(HOSTILE, false)),
        (
            100,
            EventKind::DecisionTaken {
                step: "check".into(),
                decision: 0,
                choice: 1,
                label: "Primary is down: fail over".into(),
                goto: "failover".into(),
            },
        ),
        (
            101,
            EventKind::StepDone {
                step: "check".into(),
            },
        ),
        (102, enter("failover", "Fail over: promote the replica")),
        (
            103,
            EventKind::SeverityChanged {
                from: Severity::Critical,
                to: Severity::High,
            },
        ),
    ]);
    v.extend(command(
        110,
        "failover",
        0,
        "patronictl failover --force orders-prod",
        0,
        true,
        &[],
    ));
    v.extend([
        (
            120,
            EventKind::WaitStarted {
                step: "failover".into(),
                index: 0,
                seconds: 60,
                reason: "let replication settle".into(),
            },
        ),
        (
            180,
            EventKind::WaitFinished {
                step: "failover".into(),
                index: 0,
                cancelled: false,
            },
        ),
        (200, EventKind::Mitigated),
        (210, status("api", Health::Down, Health::Up, "200 OK")),
        (215, status("alerts", Health::Degraded, Health::Up, "0 firing")),
        (230, EventKind::StepDone { step: "failover".into() }),
        (231, EventKind::SessionEnded),
        (
            400,
            EventKind::SessionResumed {
                responder: "bob".into(),
            },
        ),
        (401, enter("verify", "Verify")),
        (
            461,
            EventKind::VerifyMet {
                step: "verify".into(),
                index: 0,
                source: "api".into(),
                state: Health::Up,
                for_secs: 60,
            },
        ),
        (
            470,
            EventKind::StepSkipped {
                step: "verify".into(),
                reason: "dashboards | already green".into(),
            },
        ),
        (
            480,
            note("Root cause\n===\n- disk full\n1. WAL volume\n    indented", false),
        ),
        (
            500,
            EventKind::Resolved {
                summary: "Failed over to the replica.\nThe old primary's WAL disk was full; see <ticket> #42.".into(),
            },
        ),
    ]);
    v
}

/// Write an incident log (and its runbook copy) under the env's data dir.
fn write_incident(env: &Env, base: i64, rehearsal: bool, events: &[(i64, EventKind)]) -> String {
    let data = data_dir(env);
    let (mut w, _) = store::create(&data, "database-down", started(rehearsal), t(base)).unwrap();
    for (secs, k) in events {
        w.append(k.clone(), t(base + secs)).unwrap();
    }
    let id = w.incident_id().to_owned();
    std::fs::write(store::dir(&data).join(format!("{id}.runbook.md")), RUNBOOK).unwrap();
    id
}

fn data_dir(env: &Env) -> PathBuf {
    env.data_home().join("mayday")
}

fn export(env: &Env, id: &str, format: &str) -> String {
    let out = env
        .cmd()
        .env("TZ", "UTC")
        .args(["export", id, "--format", format])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).unwrap()
}

/// The lines of one `## ` section (without its heading).
fn section<'a>(doc: &'a str, heading: &str) -> Vec<&'a str> {
    let start = format!("## {heading}\n");
    let Some(i) = doc.find(&start) else {
        panic!("no section {heading}");
    };
    let rest = &doc[i + start.len()..];
    let end = rest.find("\n## ").map_or(rest.len(), |e| e + 1);
    rest[..end].lines().collect()
}

/// What a Markdown parser (GFM tables) makes of the document.
#[derive(Debug, Default)]
struct Parsed {
    headings: Vec<String>,
    links: usize,
    html: Vec<String>,
    code_blocks: usize,
    /// Per table: (rows including the header, cells in each row — the
    /// same for every row, else `usize::MAX`).
    tables: Vec<(usize, usize)>,
}

fn parse(doc: &str) -> Parsed {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let mut p = Parsed::default();
    let mut heading: Option<String> = None;
    let mut cells = 0;
    let opts = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_FOOTNOTES;
    for e in Parser::new_ext(doc, opts) {
        match e {
            Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
            Event::End(TagEnd::Heading(_)) => p.headings.extend(heading.take()),
            Event::Text(t) | Event::Code(t) => {
                if let Some(h) = heading.as_mut() {
                    h.push_str(&t);
                }
            }
            Event::Start(Tag::Link { .. } | Tag::Image { .. }) => p.links += 1,
            Event::Html(h) | Event::InlineHtml(h) => p.html.push(h.trim_end().to_owned()),
            Event::Start(Tag::CodeBlock(_)) => p.code_blocks += 1,
            Event::Start(Tag::Table(_)) => p.tables.push((0, 0)),
            Event::Start(Tag::TableHead | Tag::TableRow) => cells = 0,
            Event::Start(Tag::TableCell) => cells += 1,
            Event::End(TagEnd::TableHead | TagEnd::TableRow) => {
                if let Some(t) = p.tables.last_mut() {
                    t.1 = if t.0 == 0 || t.1 == cells {
                        cells
                    } else {
                        usize::MAX
                    };
                    t.0 += 1;
                }
            }
            _ => {}
        }
    }
    p
}

/// `|` not preceded by an odd number of backslashes.
fn unescaped_pipes(line: &str) -> usize {
    let b = line.as_bytes();
    (0..b.len())
        .filter(|&i| {
            b[i] == b'|' && b[..i].iter().rev().take_while(|&&c| c == b'\\').count() % 2 == 0
        })
        .count()
}

#[test]
fn a_real_incident_exports_a_postmortem_draft() {
    let env = Env::new();
    let events = real_events();
    let id = write_incident(&env, 0, false, &events);
    let doc = export(&env, &id, "md");
    insta::assert_snapshot!("postmortem_real", doc);

    // `-o FILE` writes the same document, and nothing to stdout.
    let file = env.path().join("pm.md");
    env.cmd()
        .env("TZ", "UTC")
        .args(["export", &id, "--format", "markdown", "-o"])
        .arg(&file)
        .assert()
        .success()
        .stdout("");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), doc);

    // The hostile note made no heading, no HTML, no link.
    assert_eq!(doc.matches("\n## Root cause\n").count(), 1);
    assert!(!doc.contains("<script"), "raw HTML got through");
    let parsed = parse(&doc);
    assert_eq!(parsed.links, 0, "no link, no image");
    assert!(
        parsed
            .html
            .iter()
            .all(|h| h.starts_with("<!--") || h == "<br>"),
        "{:?}",
        parsed.html
    );
    assert_eq!(
        parsed
            .headings
            .iter()
            .filter(|h| h.contains("Root cause"))
            .count(),
        1
    );
    assert_eq!(
        parsed.code_blocks, 6,
        "3 commands, 2 outputs, the chart: {:?}",
        parsed.code_blocks
    );
    // The responders (alice, then bob who resumed it): a header and a row each.
    assert_eq!(parsed.tables[1], (3, 4), "{:?}", parsed.tables);
    // The timeline table: a header and one row of three cells per event.
    assert_eq!(
        parsed.tables[3],
        (events.len() + 2, 3),
        "{:?}",
        parsed.tables
    );
    let widths: Vec<usize> = parsed.tables.iter().map(|t| t.1).collect();
    assert_eq!(
        widths,
        vec![2, 4, 3, 3, 4, 5],
        "every row of every table whole"
    );
    // Only our headings, in order.
    let headings: Vec<&str> = doc.lines().filter(|l| l.starts_with('#')).collect();
    assert_eq!(
        headings,
        vec![
            "# Postmortem: Primary database is down (20270115-080000-database-down)",
            "## Summary",
            "## Impact",
            "## Detection",
            "## Key durations",
            "## Responders",
            "## Root cause",
            "## What went well",
            "## What went badly",
            "## Action items",
            "## Timeline",
            "## Time per step",
            "## Status during the incident",
            "## Commands",
            "### Command 1 — failed, exit 2",
            "### Command 2 — exit 0",
            "### Command 3 — dry run, nothing executed",
            "## Notes",
        ]
    );

    // The timeline: one row per event, three cells each.
    let timeline = section(&doc, "Timeline");
    let rows: Vec<&str> = timeline
        .iter()
        .copied()
        .filter(|l| l.starts_with("| "))
        .skip(2)
        .collect();
    assert_eq!(rows.len(), events.len() + 1, "one row per event");
    for r in &rows {
        assert_eq!(unescaped_pipes(r), 4, "three cells: {r}");
    }
    assert!(rows[0].starts_with("| 2027-01-15 08:00:00 | T+00:00:00 | incident started"));
    assert!(rows[1].starts_with("| 08:00:01 | T+00:00:01 | api: unknown → down"));

    // The Gantt chart: present and well-formed.
    let start = doc.find("```mermaid\n").expect("a mermaid block");
    let block = &doc[start + 11..];
    let block = &block[..block.find("\n```\n").expect("closed")];
    let mut lines = block.lines();
    assert_eq!(lines.next(), Some("gantt"));
    let task = regex::Regex::new(
        r"^    [^:#;%\s][^:#;%]* :(done|crit|active|milestone), \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d, (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d|0s)$",
    )
    .unwrap();
    let mut tasks = 0;
    for l in lines {
        let l = l.trim_end();
        if [
            "    title ",
            "    dateFormat YYYY-MM-DDTHH:mm:ss",
            "    axisFormat %H:%M",
            "    section ",
        ]
        .iter()
        .any(|p| l.starts_with(p))
        {
            continue;
        }
        assert!(task.is_match(l), "not a task line: {l:?}");
        tasks += 1;
    }
    assert_eq!(tasks, 4 + 2, "four step spans and two milestones");
    assert!(block.contains(
        "    Fail over promote the replica :done, 2027-01-15T08:01:42, 2027-01-15T08:03:50"
    ));
    assert!(block.contains("    Verify :crit, "));

    // Fences: the command with ``` in it gets a longer fence, and so does
    // its output (which holds ````).
    assert!(doc.contains("````sh\njournalctl -u postgresql -n 3 | grep -v ```\n````\n"));
    assert!(doc.contains("`````text\n"));
    // A step never reached is listed.
    assert!(doc.contains("| Escalate (escalate) | communicate | — | not reached |"));
    // Not a rehearsal.
    assert!(doc.contains("- **Rehearsal:** false"));
    assert!(!doc.contains("## Score card"));
}

#[test]
fn a_rehearsal_has_its_flag_and_score_card() {
    let env = Env::new();
    let mut events = vec![
        (
            3,
            EventKind::Injected {
                description: "the replica is down too".into(),
            },
        ),
        (5, enter("check", "Check the primary")),
    ];
    events.extend(command(
        10,
        "check",
        0,
        "pg_isready -h orders-prod",
        0,
        true,
        &[],
    ));
    events.extend([
        (
            60,
            EventKind::StepDone {
                step: "check".into(),
            },
        ),
        (
            90,
            EventKind::Resolved {
                summary: "practised".into(),
            },
        ),
        (
            90,
            EventKind::ScoreCard {
                scenario: "primary-disk-full".into(),
                lines: vec![
                    ScoreLine {
                        label: "time to diagnose".into(),
                        value: "5s".into(),
                        target: Some("5m".into()),
                        met: Some(true),
                    },
                    ScoreLine {
                        label: "time to | mitigate".into(),
                        value: "1m30s".into(),
                        target: Some("1m".into()),
                        met: Some(false),
                    },
                    ScoreLine {
                        label: "notes".into(),
                        value: "0".into(),
                        target: None,
                        met: None,
                    },
                ],
            },
        ),
    ]);
    let id = write_incident(&env, 3600, true, &events);
    let doc = export(&env, &id, "md");
    assert!(
        doc.contains("> **Rehearsal** — game day “primary-disk-full”; nothing was executed"),
        "{doc}"
    );
    assert!(doc.contains("- **Rehearsal:** true (scenario: primary-disk-full)"));
    let card = section(&doc, "Score card");
    assert!(
        card.contains(&"| Measure | Value | Target | Met |"),
        "{card:?}"
    );
    assert!(
        card.contains(&"| time to diagnose | 5s | 5m | ✓ |"),
        "{card:?}"
    );
    assert!(
        card.contains(&"| time to \\| mitigate | 1m30s | 1m | ✗ |"),
        "{card:?}"
    );
    assert!(card.contains(&"| notes | 0 | — | — |"), "{card:?}");
    assert!(doc.contains("| Game-day injections | 1 |"));
    assert!(doc.contains("### Command 1 — dry run, nothing executed"));
    assert!(doc.contains("| Dry runs | 1 |"));
}

#[test]
fn json_export_is_unchanged() {
    let env = Env::new();
    let id = write_incident(&env, 0, false, &real_events());
    let json = export(&env, &id, "json");
    let default = env
        .cmd()
        .args(["export", &id])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        String::from_utf8(default).unwrap(),
        json,
        "json is the default"
    );
    // Every event has its own id (random, so redacted in the snapshot) and
    // who it is by.
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let events = v["events"].as_array().unwrap();
    let ids: std::collections::HashSet<&str> =
        events.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), events.len(), "ids are unique");
    assert!(ids.iter().all(|id| id.len() == 32), "{ids:?}");
    // By alice until bob resumed it, then by bob.
    let mut who = "";
    for e in events {
        if let Some(r) = e["responder"].as_str() {
            who = r;
        }
        assert_eq!(e["by"], who, "{e}");
    }
    assert_eq!(who, "bob");
    insta::with_settings!({filters => vec![(r#""id": "[0-9a-f]{32}""#, r#""id": "[event id]""#)]}, {
        insta::assert_snapshot!("export_json_real", json);
    });
}

#[test]
fn local_time_follows_tz() {
    let env = Env::new();
    let id = write_incident(&env, 0, false, &real_events());
    let out = env
        .cmd()
        // A POSIX rule, so the test needs no time zone database.
        .env("TZ", "IST-5:30")
        .args(["export", &id, "--format", "md"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let doc = String::from_utf8(out).unwrap();
    assert!(
        doc.contains("Times are in local time (UTC+05:30 at the start)."),
        "{doc}"
    );
    assert!(doc.contains("| 2027-01-15 13:30:00 | T+00:00:00 | incident started"));
    assert!(doc.contains("Fail over promote the replica :done, 2027-01-15T13:31:42, "));
}

/// An incident started from an alert says so in Detection: which alert,
/// when it fired, how long until the incident started; its labels
/// escaped like any outside text. JSON export carries the alert too.
#[test]
fn detection_names_the_alert_and_the_time_to_respond() {
    let env = Env::new();
    let data = data_dir(&env);
    let mut first = started(false);
    if let EventKind::IncidentStarted { alert, .. } = &mut first {
        *alert = Some(Box::new(mayday::incident::AlertRef {
            name: "PostgresDown".into(),
            labels: [
                ("alertname", "PostgresDown"),
                ("namespace", "databases"),
                ("cluster", "| orders ## <b>"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
            annotations: Default::default(),
            starts_at: Some(t(-240)),
            source: "alertmanager".into(),
            fingerprint: Some("3e2c1c1b".into()),
            ..Default::default()
        }));
    }
    let (w, _) = store::create(&data, "database-down", first, t(0)).unwrap();
    let id = w.incident_id().to_owned();
    drop(w);
    std::fs::write(store::dir(&data).join(format!("{id}.runbook.md")), RUNBOOK).unwrap();
    let md = export(&env, &id, "md");
    let detection = section(&md, "Detection").join("\n");
    assert!(
        detection.contains("Started from the alert **PostgresDown** (alertmanager), firing since"),
        "{detection}"
    );
    assert!(
        detection.contains("the incident started 4m later (time to respond)"),
        "{detection}"
    );
    // The key durations and the timeline say it too.
    let durations = section(&md, "Key durations").join("\n");
    assert!(durations.contains("| Time to respond | 4m"), "{durations}");
    assert!(
        md.contains("from alert PostgresDown (alertmanager, firing since"),
        "{md}"
    );
    // The hostile label value cannot make a heading, a cell or a tag.
    assert!(!md.contains("<b>") && !md.contains("\n## <"), "{detection}");
    let json = export(&env, &id, "json");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["events"][0]["alert"]["fingerprint"], "3e2c1c1b", "{json}");
}
