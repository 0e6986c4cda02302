//! The picker's rows: which runbooks match alerts firing now, and every row
//! ranked against the filter (fuzzy, with the matched characters kept for
//! highlighting).

use super::{Firing, PickItem, Picker};
use crate::app::action::IncidentListing;
use crate::app::board::StatusBoard;
use crate::gameday::Scenario;
use crate::runbook::library::Library;
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
    /// Game-day scenarios.
    pub gamedays: &'a [Arc<Scenario>],
    /// The status panel (for alerts firing now).
    pub board: &'a StatusBoard,
    /// Offer game days only (`mayday gameday`).
    pub gameday_only: bool,
}

/// Runbooks whose alert names (or `runbook_url`) match alerts firing now in
/// the status sources.
fn firing_now(l: &Lists) -> Vec<Firing> {
    let mut out: Vec<Firing> = Vec::new();
    for src in &l.board.sources {
        for alert in &src.snapshot.alerts {
            for (i, rb) in l.library.runbooks.iter().enumerate() {
                let by_name = rb
                    .alerts
                    .iter()
                    .any(|a| a.eq_ignore_ascii_case(&alert.alertname));
                let by_url = alert
                    .runbook_url
                    .as_deref()
                    .is_some_and(|u| url_names_runbook(u, &rb.id));
                if (by_name || by_url) && !out.iter().any(|f| f.runbook == i) {
                    out.push(Firing {
                        runbook: i,
                        alertname: alert.alertname.clone(),
                        source: src.snapshot.name.clone(),
                    });
                }
            }
        }
    }
    out
}

/// Does a `runbook_url` point at this runbook (its last path segment is the
/// id, with or without `.md`/`.yaml`, ignoring `#anchors` and `?queries`)?
pub fn url_names_runbook(url: &str, id: &str) -> bool {
    let path = url
        .split(['#', '?'])
        .next()
        .unwrap_or(url)
        .trim_end_matches('/');
    let last = path.rsplit('/').next().unwrap_or(path);
    let stem = last
        .strip_suffix(".md")
        .or_else(|| last.strip_suffix(".yaml"))
        .or_else(|| last.strip_suffix(".yml"))
        .or_else(|| last.strip_suffix(".html"))
        .unwrap_or(last);
    stem.eq_ignore_ascii_case(id)
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
                scored.push((score, PickItem::Runbook(i)));
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
    if p.selected >= p.items.len() {
        p.selected = p.items.len().saturating_sub(1);
    }
}
