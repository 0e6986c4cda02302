//! Freshness from the incident history: `mayday list --json` gains each
//! runbook's last real use and last rehearsal, `mayday lint --stale 90d`
//! warns about runbooks neither rehearsed nor changed within the window,
//! `--require-owner` about runbooks without an owner, and the picker's
//! preview says "used 1× · last 41 days ago · rehearsed never".

mod common;

use common::Env;
use jiff::{SignedDuration, Timestamp};
use std::path::Path;

fn days_ago(d: i64) -> Timestamp {
    Timestamp::now() - SignedDuration::from_hours(24 * d)
}

fn incident(data: &Path, runbook: &str, at: Timestamp, rehearsal: bool) {
    let kind = common::started_kind(runbook, rehearsal);
    mayday::incident::store::create(data, runbook, kind, at).unwrap();
}

/// Three runbooks: `db` used twice and rehearsed 10 days ago; `dns` used
/// 41 days ago, never rehearsed, its file untouched for a year; `cache`
/// never used or rehearsed but edited today (no owner either).
fn setup(env: &Env) -> (std::path::PathBuf, std::path::PathBuf) {
    let rb = env.mkdir("rb");
    for (id, owner) in [
        ("db", Some("team-data")),
        ("dns", Some("team-net")),
        ("cache", None),
    ] {
        let owner = owner.map(|o| format!("owner: {o}\n")).unwrap_or_default();
        std::fs::write(
            rb.join(format!("{id}.md")),
            format!("---\nid: {id}\n{owner}---\n# {id}\n\n## Look\n\nx\n"),
        )
        .unwrap();
    }
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(365 * 86_400);
    std::fs::File::options()
        .write(true)
        .open(rb.join("dns.md"))
        .unwrap()
        .set_modified(old)
        .unwrap();
    std::fs::File::options()
        .write(true)
        .open(rb.join("db.md"))
        .unwrap()
        .set_modified(old)
        .unwrap();
    let data = env.data_home().join("mayday");
    incident(&data, "db", days_ago(200), false);
    incident(&data, "db", days_ago(3), false);
    incident(&data, "db", days_ago(10), true);
    incident(&data, "dns", days_ago(41), false);
    (rb, data)
}

#[test]
fn list_json_has_last_use_and_rehearsal() {
    let env = Env::new();
    let (rb, data) = setup(&env);
    let out = env
        .cmd()
        .args(["--no-bundled", "--runbooks"])
        .arg(&rb)
        .arg("--data-dir")
        .arg(&data)
        .args(["list", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let row = |id: &str| {
        v.as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .cloned()
            .unwrap()
    };
    let db = row("db");
    assert_eq!(db["used"], 2);
    assert_eq!(db["rehearsed"], 1);
    let last: Timestamp = db["last_used"].as_str().unwrap().parse().unwrap();
    assert!((last - days_ago(3)).as_secs().abs() < 60, "{db}");
    assert!(db["last_rehearsed"].is_string());
    assert_eq!(db["owner"], "team-data");
    let cache = row("cache");
    assert!(
        cache["last_used"].is_null() && cache["last_rehearsed"].is_null(),
        "{cache}"
    );
    assert_eq!(cache["used"], 0);
}

#[test]
fn lint_stale_and_require_owner() {
    let env = Env::new();
    let (rb, data) = setup(&env);
    let lint = |args: &[&str]| {
        env.cmd()
            .args(["--no-bundled", "--runbooks"])
            .arg(&rb)
            .arg("--data-dir")
            .arg(&data)
            .arg("lint")
            .args(args)
            .output()
            .unwrap()
    };
    // Off by default.
    let out = lint(&[]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
    let out = lint(&["--stale", "90d"]);
    assert!(out.status.success(), "warnings do not fail");
    let text = String::from_utf8_lossy(&out.stdout);
    // dns: never rehearsed, file a year old. db was rehearsed 10 days ago;
    // cache was edited today.
    assert!(text.contains("warning[stale]: `dns` was not rehearsed or changed in 90d: never rehearsed, file unchanged since 365 days ago"), "{text}");
    assert_eq!(text.matches("warning[stale]").count(), 1, "{text}");
    // A shorter window catches db too (rehearsed 10 days ago).
    let text = String::from_utf8_lossy(&lint(&["--stale", "7d"]).stdout).into_owned();
    assert!(
        text.contains("`db` was not rehearsed or changed in 7d: last rehearsed 10 days ago"),
        "{text}"
    );
    let text = String::from_utf8_lossy(&lint(&["--require-owner"]).stdout).into_owned();
    assert!(
        text.contains("warning[missing-owner]: `cache` has no owner"),
        "{text}"
    );
    assert_eq!(text.matches("missing-owner").count(), 1, "{text}");
    assert_eq!(lint(&["--stale", "soon"]).status.code(), Some(2));
    assert_eq!(lint(&["--stale", "0d"]).status.code(), Some(2));
    // Absurd windows do not panic: past what a number holds is a usage
    // error; longer than time reaches back to the start, and every file was
    // written within it.
    assert_eq!(
        lint(&["--stale", "99999999999999999d"]).status.code(),
        Some(2)
    );
    let out = lint(&["--stale", "9999999999d"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout)
            .matches("warning[stale]")
            .count(),
        0
    );
}

#[test]
fn the_picker_preview_says_how_fresh_a_runbook_is() {
    use mayday::app::{self, Action, IncidentListing};
    use mayday::incident::Phase;
    let mut s = common::tui::state();
    let id = s.library.runbooks[0].id.clone();
    let now = common::tui::t(0);
    let listing = |days: i64, rehearsal: bool| IncidentListing {
        id: format!("x-{days}"),
        runbook_id: id.clone(),
        title: "t".into(),
        started_at: now - SignedDuration::from_hours(24 * days),
        state: Phase::Resolved,
        events: 3,
        rehearsal,
        problem: None,
    };
    app::update(
        &mut s,
        Action::Incidents(vec![listing(41, false), listing(90, false)]),
    );
    let screen = common::tui::screen(&s, now, 120, 40);
    assert!(
        screen.contains("used 2× · last 41 days ago · rehearsed never"),
        "{screen}"
    );
}
