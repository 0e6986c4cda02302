//! Kind `sentry` (Sentry and GlitchTip): unresolved issues seen within a window.

use super::{
    Reading, Response, check_status, fmt_time, json, num_or_str, parse_time, truncate, worst,
};
use crate::status::health::Health;
use crate::status::source::Kind;
use crate::status::{Item, PollError};
use reqwest::header::HeaderMap;
use serde::Deserialize;
use std::time::Duration;

#[derive(Deserialize)]
struct RawIssue {
    #[serde(default, rename = "shortId")]
    short_id: Option<String>,
    #[serde(default)]
    title: String,
    #[serde(default)]
    culprit: Option<String>,
    #[serde(default)]
    level: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default, deserialize_with = "num_or_str")]
    count: Option<f64>,
    #[serde(default, rename = "userCount", deserialize_with = "num_or_str")]
    user_count: Option<f64>,
    #[serde(default, rename = "lastSeen")]
    last_seen: Option<String>,
    #[serde(default)]
    permalink: Option<String>,
}

/// One issue, as much as the status panel needs.
#[derive(Clone, Debug, PartialEq)]
pub struct SentryIssue {
    /// The issue's short id (`API-1A`).
    pub short_id: Option<String>,
    /// Its title.
    pub title: String,
    /// Where it happens (a function, a route).
    pub culprit: Option<String>,
    /// Its level (`error`, `fatal`, …).
    pub level: String,
    /// It is unresolved.
    pub unresolved: bool,
    /// How many events it has.
    pub count: u64,
    /// How many users it affected.
    pub users: u64,
    /// When it was last seen.
    pub last_seen: Option<jiff::Timestamp>,
    /// A link to it.
    pub permalink: Option<String>,
}

/// One page of issues and the `Link` to the next one.
#[derive(Clone, Debug, PartialEq)]
pub struct SentryPage {
    pub issues: Vec<SentryIssue>,
    pub next: Option<String>,
}

/// One page of a project's issues, with the link to the next page.
pub fn sentry_page(resp: &Response) -> Result<SentryPage, PollError> {
    check_status(Kind::Sentry, resp)?;
    let raw: Vec<RawIssue> = json(&resp.body, "a Sentry or GlitchTip server (project issues)")?;
    let issues = raw
        .into_iter()
        .map(|r| SentryIssue {
            short_id: r.short_id.filter(|s| !s.is_empty()),
            title: r.title,
            culprit: r.culprit.filter(|s| !s.is_empty()),
            level: r
                .level
                .unwrap_or_else(|| "error".into())
                .to_ascii_lowercase(),
            unresolved: r.status.as_deref().is_none_or(|s| s == "unresolved"),
            count: r.count.map_or(0, |c| c.max(0.0) as u64),
            users: r.user_count.map_or(0, |c| c.max(0.0) as u64),
            last_seen: r.last_seen.as_deref().and_then(parse_time),
            permalink: r.permalink.filter(|s| !s.is_empty()),
        })
        .collect();
    Ok(SentryPage {
        issues,
        next: next_link(&resp.headers),
    })
}

/// The `rel="next"` URL of a `Link` header, unless it says `results="false"`.
pub fn next_link(headers: &HeaderMap) -> Option<String> {
    for value in headers.get_all(reqwest::header::LINK) {
        let Ok(text) = value.to_str() else { continue };
        let mut rest = text;
        while let Some(open) = rest.find('<') {
            let Some(close) = rest[open..].find('>') else {
                break;
            };
            let url = &rest[open + 1..open + close];
            let after = &rest[open + close + 1..];
            let params_end = after.find('<').unwrap_or(after.len());
            let params = &after[..params_end];
            let has = |k: &str, v: &str| {
                params.split(';').any(|p| {
                    p.trim()
                        .trim_end_matches(',')
                        .trim()
                        .split_once('=')
                        .is_some_and(|(pk, pv)| {
                            pk.trim().eq_ignore_ascii_case(k)
                                && pv.trim().trim_matches('"').eq_ignore_ascii_case(v)
                        })
                })
            };
            if has("rel", "next") && !has("results", "false") {
                return Some(url.to_owned());
            }
            rest = after;
        }
    }
    None
}

/// Unresolved issues whose last event is within `window` of `now`: any
/// `fatal` → down, any `error` → degraded, else up. Busiest first.
pub fn sentry_reading(issues: Vec<SentryIssue>, now: jiff::Timestamp, window: Duration) -> Reading {
    let since = now
        .checked_sub(jiff::SignedDuration::try_from(window).unwrap_or(jiff::SignedDuration::MAX))
        .unwrap_or(jiff::Timestamp::MIN);
    let mut recent: Vec<SentryIssue> = issues
        .into_iter()
        .filter(|i| i.unresolved && i.last_seen.is_some_and(|t| t >= since))
        .collect();
    recent.sort_by_key(|i| std::cmp::Reverse(i.count));
    let items: Vec<Item> = recent
        .into_iter()
        .map(|i| {
            let state = match i.level.as_str() {
                "fatal" => Health::Down,
                "error" => Health::Degraded,
                _ => Health::Up,
            };
            let mut detail = format!(
                "{} · {} event{} · {} user{}",
                i.level,
                i.count,
                if i.count == 1 { "" } else { "s" },
                i.users,
                if i.users == 1 { "" } else { "s" }
            );
            if let Some(t) = i.last_seen {
                detail.push_str(&format!(" · last seen {}", fmt_time(t)));
            }
            if let Some(c) = &i.culprit {
                detail.push_str(" · ");
                detail.push_str(&truncate(c, 80));
            }
            let title = truncate(&i.title, 120);
            Item {
                name: match &i.short_id {
                    Some(id) => format!("{id} {title}"),
                    None => title,
                },
                state,
                detail,
                url: i.permalink,
            }
        })
        .collect();
    let span = crate::util::duration::format(window);
    let summary = if items.is_empty() {
        format!("no unresolved issues in {span}")
    } else {
        format!("{} unresolved in {span}", items.len())
    };
    Reading {
        state: worst(&items),
        summary,
        items,
        alerts: Vec::new(),
        error: None,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn link_header() {
        let mut h = HeaderMap::new();
        h.insert(
            "link",
            HeaderValue::from_static(
                "<https://sentry.io/api/0/projects/a/b/issues/?&cursor=0:0:1>; rel=\"previous\"; results=\"false\"; cursor=\"0:0:1\", \
                 <https://sentry.io/api/0/projects/a/b/issues/?&cursor=0:100:0>; rel=\"next\"; results=\"true\"; cursor=\"0:100:0\"",
            ),
        );
        assert_eq!(
            next_link(&h).as_deref(),
            Some("https://sentry.io/api/0/projects/a/b/issues/?&cursor=0:100:0")
        );
        h.insert(
            "link",
            HeaderValue::from_static(
                "<https://x/?cursor=1>; rel=\"next\"; results=\"false\"; cursor=\"1\"",
            ),
        );
        assert_eq!(next_link(&h), None);
    }

    #[test]
    fn window_and_levels() {
        let body = r#"[
          {"id":"1","shortId":"API-1","title":"TypeError: x is undefined","culprit":"app/handler","level":"error","status":"unresolved","count":"120","userCount":7,"firstSeen":"2026-03-01T00:00:00Z","lastSeen":"2026-03-01T03:10:00.123Z","permalink":"https://sentry.test/i/1/","stats":{"24h":[[1,2]]}},
          {"id":"2","shortId":"API-2","title":"Panic","level":"fatal","status":"unresolved","count":"3","userCount":1,"lastSeen":"2026-03-01T03:14:00Z","permalink":"https://sentry.test/i/2/"},
          {"id":"3","shortId":"API-3","title":"Old","level":"fatal","status":"unresolved","count":"9","userCount":0,"lastSeen":"2026-03-01T01:00:00Z"},
          {"id":"4","shortId":"API-4","title":"Resolved","level":"fatal","status":"resolved","count":"9","userCount":0,"lastSeen":"2026-03-01T03:14:00Z"},
          {"id":"5","shortId":"API-5","title":"Slow","level":"warning","status":"unresolved","count":5,"userCount":0,"lastSeen":"2026-03-01T03:14:30Z"}]"#;
        let page = sentry_page(&Response::ok(body)).unwrap();
        assert_eq!(page.issues.len(), 5);
        let now: jiff::Timestamp = "2026-03-01T03:15:00Z".parse().unwrap();
        let r = sentry_reading(page.issues, now, Duration::from_secs(900));
        assert_eq!(
            (r.state, r.summary.as_str()),
            (Health::Down, "3 unresolved in 15m")
        );
        let names: Vec<_> = r.items.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "API-1 TypeError: x is undefined",
                "API-5 Slow",
                "API-2 Panic"
            ]
        );
        assert_eq!(
            r.items[0].detail,
            "error · 120 events · 7 users · last seen 2026-03-01T03:10:00Z · app/handler"
        );
        assert_eq!(r.items[0].url.as_deref(), Some("https://sentry.test/i/1/"));
    }
}
