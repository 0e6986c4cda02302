//! The picker's rows: which runbooks match alerts firing now, and every row
//! ranked against the filter (fuzzy, with the matched characters kept for
//! highlighting).

use super::{Firing, PickItem, Picker};
use crate::app::action::IncidentListing;
use crate::app::board::StatusBoard;
use crate::gameday::Scenario;
use crate::runbook::Severity;
use crate::runbook::library::Library;
use crate::runbook::matching::{match_strength, title_names};
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};
use std::sync::Arc;

/// What the rows are made from.
pub struct Lists<'a> {
    /// Every runbook.
    pub library: &'a Library,
    /// Open incidents (offered first, to resume).
    pub incidents: &'a [IncidentListing],
    /// Recently resolved incidents (to review).
    pub past: &'a [IncidentListing],
    /// Shared incidents on the sync server that are not here (to join).
    pub shared: &'a [crate::sync::shared::Header],
    /// Game-day scenarios.
    pub gamedays: &'a [Arc<Scenario>],
    /// The status panel (for alerts firing now).
    pub board: &'a StatusBoard,
    /// Offer game days only (`mayday gameday`).
    pub gameday_only: bool,
}

/// The order of an alert's `severity` label: critical first, unlabelled
/// last.
fn severity_rank(severity: Option<&str>) -> usize {
    severity
        .and_then(Severity::from_alert_label)
        .and_then(|s| Severity::ALL.iter().position(|x| *x == s))
        .unwrap_or(Severity::ALL.len())
}

/// Labels that tell instances of one problem apart: alerts that differ
/// only in these are one row (`KubePodCrashLooping ×500`).
pub const INSTANCE_LABELS: [&str; 18] = [
    "pod",
    "pod_name",
    "pod_ip",
    "instance",
    "container",
    "container_name",
    "image",
    "uid",
    "id",
    "node",
    "host",
    "hostname",
    "endpoint",
    "device",
    "mountpoint",
    "exported_instance",
    "exported_pod",
    "exported_container",
];

/// Shared labels shown on a row, in this order, when present.
const CONTEXT_LABELS: [&str; 4] = ["namespace", "service", "cluster", "job"];

/// The row an alert belongs to: its source and name, the labels that are
/// not instance labels (`namespace=payments` and `namespace=checkout` are
/// two rows), or its page (every page is its own row).
fn group_key(source: &str, a: &crate::status::FiringAlert) -> String {
    if let Some(p) = &a.page {
        return format!("page:{source}:{}", p.id);
    }
    let mut key = format!("{source}\u{1f}{}", a.alertname.to_lowercase());
    for (k, v) in &a.labels {
        if !matches!(k.as_str(), "alertname" | "severity") && !INSTANCE_LABELS.contains(&k.as_str())
        {
            key.push('\u{1f}');
            key.push_str(k);
            key.push('=');
            key.push_str(v);
        }
    }
    key
}

fn context_of(a: &crate::status::FiringAlert) -> String {
    CONTEXT_LABELS
        .iter()
        .filter_map(|k| a.labels.get(*k).map(|v| format!("{k}={v}")))
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Alerts firing now (and pages) that a runbook handles: one row per alert
/// name, source and shared labels (with how many instances fire), each
/// with its best-matching runbook; most severe first, then longest firing.
fn firing_now(l: &Lists) -> Vec<Firing> {
    let mut out: Vec<Firing> = Vec::new();
    // Alerts no runbook handles are looked up once, however many fire.
    let mut unmatched: std::collections::HashSet<(&str, &str)> = std::collections::HashSet::new();
    for src in &l.board.sources {
        for alert in &src.snapshot.alerts {
            if unmatched.contains(&(src.snapshot.name.as_str(), alert.alertname.as_str())) {
                continue;
            }
            let key = group_key(&src.snapshot.name, alert);
            if let Some(f) = out.iter_mut().find(|f| f.key == key) {
                f.count += 1;
                if severity_rank(alert.severity.as_deref()) < severity_rank(f.severity.as_deref()) {
                    f.severity.clone_from(&alert.severity);
                    f.alert = alert_ref(alert, &src.snapshot.name);
                }
                f.since = match (f.since, alert.since) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                continue;
            }
            let best = l
                .library
                .runbooks
                .iter()
                .enumerate()
                .map(|(i, rb)| {
                    let mut strength =
                        match_strength(rb, &alert.alertname, alert.runbook_url.as_deref());
                    // A page that came without alert details: its title may
                    // still name the runbook or one of its alerts.
                    if strength == 0
                        && let Some(p) = &alert.page
                        && title_names(&p.title, rb)
                    {
                        strength = 1;
                    }
                    (strength, std::cmp::Reverse(i))
                })
                .max();
            if let Some((strength, std::cmp::Reverse(i))) = best.filter(|(s, _)| *s > 0) {
                out.push(Firing {
                    runbook: i,
                    alertname: alert.alertname.clone(),
                    source: src.snapshot.name.clone(),
                    count: 1,
                    severity: alert.severity.clone(),
                    since: alert.since,
                    strength,
                    alert: alert_ref(alert, &src.snapshot.name),
                    key,
                    context: context_of(alert),
                });
            } else {
                unmatched.insert((src.snapshot.name.as_str(), alert.alertname.as_str()));
            }
        }
    }
    out.sort_by(|a, b| {
        severity_rank(a.severity.as_deref())
            .cmp(&severity_rank(b.severity.as_deref()))
            .then_with(|| match (a.since, b.since) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            })
            .then_with(|| a.alertname.cmp(&b.alertname))
            .then_with(|| a.source.cmp(&b.source))
    });
    out
}

/// An alert as an incident records it.
fn alert_ref(a: &crate::status::FiringAlert, source: &str) -> crate::incident::AlertRef {
    crate::incident::AlertRef {
        name: a.alertname.clone(),
        labels: a.labels.clone(),
        annotations: a.annotations.clone(),
        starts_at: a.since,
        source: source.to_owned(),
        fingerprint: a.fingerprint.clone(),
        page: a.page.as_deref().cloned(),
    }
}

/// What a row is, whatever its position: the selection follows it across
/// refreshes.
fn item_key(p: &Picker, l: &Lists, item: PickItem) -> Option<String> {
    Some(match item {
        PickItem::Resume(i) => format!("resume:{}", l.incidents.get(i)?.id),
        PickItem::Firing(_, f) => format!("firing:{}", p.firing.get(f)?.key),
        PickItem::Runbook(i) => format!("runbook:{}", l.library.runbooks.get(i)?.id),
        PickItem::Gameday(i) => format!("gameday:{}", l.gamedays.get(i)?.id),
        PickItem::Review(i) => format!("review:{}", l.past.get(i)?.id),
        PickItem::Join(i) => format!("join:{}", l.shared.get(i)?.id),
    })
}

/// Remember which row is selected (after the responder moved the selection).
pub fn remember_selection(p: &mut Picker, l: &Lists) {
    p.selected_key = p
        .items
        .get(p.selected)
        .copied()
        .and_then(|item| item_key(p, l, item));
}

/// Recompute the picker rows from the filter.
pub fn refilter(p: &mut Picker, l: &Lists) {
    let query = p.filter.text();
    let query = query.trim();
    let mut items: Vec<PickItem> = Vec::new();
    p.highlights.clear();
    p.firing = firing_now(l);
    if query.is_empty() {
        items.extend((0..l.incidents.len()).map(PickItem::Resume));
        items.extend((0..l.shared.len()).map(PickItem::Join));
        items.extend(
            p.firing
                .iter()
                .enumerate()
                .map(|(i, f)| PickItem::Firing(f.runbook, i)),
        );
        items.extend((0..l.library.runbooks.len()).map(PickItem::Runbook));
        items.extend((0..l.gamedays.len()).map(PickItem::Gameday));
        items.extend((0..l.past.len()).map(PickItem::Review));
    } else {
        let pattern = Pattern::parse(query, CaseMatching::Smart, Normalization::Smart);
        let mut matcher = Matcher::new(Config::DEFAULT);
        let mut buf = Vec::new();
        let mut scored: Vec<(u32, PickItem)> = Vec::new();
        for (i, inc) in l.incidents.iter().enumerate() {
            let hay = format!("{} {} {}", inc.title, inc.runbook_id, inc.id);
            if let Some(score) = pattern.score(Utf32Str::new(&hay, &mut buf), &mut matcher) {
                scored.push((score.saturating_add(1_000_000), PickItem::Resume(i)));
            }
        }
        for (i, h) in l.shared.iter().enumerate() {
            let hay = format!(
                "join {} {} {} {}",
                h.title,
                h.runbook_id,
                h.id,
                h.responders.join(" ")
            );
            if let Some(score) = pattern.score(Utf32Str::new(&hay, &mut buf), &mut matcher) {
                scored.push((score.saturating_add(900_000), PickItem::Join(i)));
            }
        }
        for (fi, f) in p.firing.iter().enumerate() {
            let Some(rb) = l.library.runbooks.get(f.runbook) else {
                continue;
            };
            let hay = format!("{} {} {}", rb.search_text(), f.alertname, f.source);
            if let Some(score) = pattern.score(Utf32Str::new(&hay, &mut buf), &mut matcher) {
                scored.push((
                    score.saturating_add(500_000),
                    PickItem::Firing(f.runbook, fi),
                ));
            }
        }
        for (i, rb) in l.library.runbooks.iter().enumerate() {
            let hay = rb.search_text();
            let mut indices = Vec::new();
            if let Some(score) =
                pattern.indices(Utf32Str::new(&hay, &mut buf), &mut matcher, &mut indices)
            {
                indices.sort_unstable();
                indices.dedup();
                p.highlights.insert(i, indices);
                // Typing an alert's name (or a runbook's id) puts the runbook
                // named for it first, before broad ones that merely list it.
                let exact = match_strength(rb, query, None);
                let bonus = match exact {
                    2 => 300_000,
                    1 => 100_000,
                    _ => 0,
                };
                scored.push((score.saturating_add(bonus), PickItem::Runbook(i)));
            }
        }
        for (i, g) in l.gamedays.iter().enumerate() {
            let hay = format!(
                "game day gameday rehearsal {} {} {}",
                g.title, g.id, g.runbook
            );
            if let Some(score) = pattern.score(Utf32Str::new(&hay, &mut buf), &mut matcher) {
                scored.push((score, PickItem::Gameday(i)));
            }
        }
        for (i, inc) in l.past.iter().enumerate() {
            let hay = format!("review {} {} {}", inc.title, inc.runbook_id, inc.id);
            if let Some(score) = pattern.score(Utf32Str::new(&hay, &mut buf), &mut matcher) {
                scored.push((score, PickItem::Review(i)));
            }
        }
        scored.sort_by_key(|(score, _)| std::cmp::Reverse(*score));
        items.extend(scored.into_iter().map(|(_, i)| i));
    }
    if l.gameday_only {
        items.retain(|i| matches!(i, PickItem::Gameday(_)));
    }
    p.items = items;
    // The selection stays on the row the responder chose, wherever it moved
    // to; until they choose one, the top row (the most severe alert) is it.
    if let Some(key) = p.selected_key.clone() {
        match (0..p.items.len()).find(|&i| item_key(p, l, p.items[i]).as_deref() == Some(&key)) {
            Some(i) => p.selected = i,
            None => p.selected_key = None,
        }
    }
    if p.selected >= p.items.len() {
        p.selected = p.items.len().saturating_sub(1);
    }
}
