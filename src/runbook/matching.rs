//! Which runbook an alert (or a page) is for: the rules the picker ranks
//! firing alerts by and `mayday coverage` checks alerting rules with.

use super::Runbook;

/// How well a runbook matches an alert (higher is better; 0: not at all).
///
/// 3 — the alert's `runbook_url` names the runbook's file (its last path
/// segment with or without extension, or a kubernetes-mixin style
/// `…#alert-name-<name>` anchor); 2 — the alert's name is the runbook's id
/// or file name; 1 — the runbook lists the alert under `alerts:`. All
/// case-insensitive.
pub fn match_strength(rb: &Runbook, alertname: &str, runbook_url: Option<&str>) -> u8 {
    let stem = crate::runbook::id_from_path(&rb.path);
    let names = |x: &str| x.eq_ignore_ascii_case(&rb.id) || x.eq_ignore_ascii_case(&stem);
    if runbook_url.is_some_and(|u| url_names_runbook(u, &rb.id) || url_names_runbook(u, &stem)) {
        return 3;
    }
    if names(alertname) || names(&crate::runbook::id_from_path(alertname)) {
        return 2;
    }
    if rb.alerts.iter().any(|a| a.eq_ignore_ascii_case(alertname)) {
        return 1;
    }
    0
}

/// Does a page's title name this runbook (its id or file name) or one of
/// its `alerts:`, as a whole word, in any case?
pub fn title_names(title: &str, rb: &Runbook) -> bool {
    let stem = crate::runbook::id_from_path(&rb.path);
    title
        .split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_'))
        .filter(|w| w.len() > 2)
        .any(|w| {
            w.eq_ignore_ascii_case(&rb.id)
                || w.eq_ignore_ascii_case(&stem)
                || rb.alerts.iter().any(|a| a.eq_ignore_ascii_case(w))
        })
}

/// Does a `runbook_url` point at the runbook with this id or file name (its
/// last path segment, with or without `.md`/`.yaml`, ignoring `?queries`;
/// or a kubernetes-mixin style `#alert-name-<name>` anchor)?
pub fn url_names_runbook(url: &str, id: &str) -> bool {
    let (rest, anchor) = url.split_once('#').unwrap_or((url, ""));
    if let Some(name) = anchor.strip_prefix("alert-name-")
        && name.eq_ignore_ascii_case(id)
    {
        return true;
    }
    let path = rest.split('?').next().unwrap_or(rest).trim_end_matches('/');
    let last = path.rsplit('/').next().unwrap_or(path);
    let stem = last
        .strip_suffix(".md")
        .or_else(|| last.strip_suffix(".yaml"))
        .or_else(|| last.strip_suffix(".yml"))
        .or_else(|| last.strip_suffix(".html"))
        .unwrap_or(last);
    stem.eq_ignore_ascii_case(id)
}
