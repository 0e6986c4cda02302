//! One poll of a PagerDuty source: whose pages (the configured users,
//! services or teams, else the token's own user from `GET /users/me`,
//! asked once), every open page (`limit`/`offset` until `more` is false),
//! and what each new page was paged for (`GET /incidents/{id}/alerts`,
//! remembered while the page stays open). Requests go one at a time, as
//! PagerDuty asks of a token.

use super::http::{Ctx, MAX_PAGES, Outcome, Req, endpoint, fetch};
use crate::status::PollError;
use crate::status::parse;
use crate::status::ratelimit::rate_limit_wait;
use crate::status::source::PagerdutySpec;

/// What a source's task remembers between polls (PagerDuty: who the token
/// belongs to, what each open page was paged for).
#[derive(Debug, Default)]
pub struct Memo {
    me: Option<String>,
    paged: std::collections::HashMap<String, Option<parse::PagedAlert>>,
}

/// Pages per request (PagerDuty's maximum).
const LIMIT: u64 = 100;
/// What a page was paged for is looked up for at most this many new
/// pages per poll (the rest on the next polls).
const ALERT_LOOKUPS: usize = 10;

pub(super) async fn poll(
    ctx: &Ctx<'_>,
    spec: &PagerdutySpec,
    memo: &mut Memo,
) -> Result<Outcome, PollError> {
    let base = &ctx.source.url;
    let mut latency = None;
    let mut wait = None;
    let mut users = spec.user_ids.clone();
    if users.is_empty() && spec.service_ids.is_empty() && spec.team_ids.is_empty() {
        let me = match &memo.me {
            Some(me) => me.clone(),
            None => {
                let r = fetch(
                    ctx,
                    &Req::Get(endpoint(base, &["users", "me"], &[])?),
                    false,
                )
                .await?;
                latency = Some(r.latency);
                let me = parse::pagerduty_me(&r)?;
                memo.me = Some(me.clone());
                me
            }
        };
        users.push(me);
    }
    let mut params: Vec<(&str, String)> = vec![
        ("statuses[]", "triggered".into()),
        ("statuses[]", "acknowledged".into()),
        ("limit", LIMIT.to_string()),
    ];
    params.extend(users.iter().map(|u| ("user_ids[]", u.clone())));
    params.extend(
        spec.service_ids
            .iter()
            .map(|s| ("service_ids[]", s.clone())),
    );
    params.extend(spec.team_ids.iter().map(|t| ("team_ids[]", t.clone())));
    let mut pages = Vec::new();
    let mut offset = 0u64;
    for _ in 0..MAX_PAGES {
        let mut p: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let off = offset.to_string();
        p.push(("offset", &off));
        let r = fetch(ctx, &Req::Get(endpoint(base, &["incidents"], &p)?), false).await?;
        latency.get_or_insert(r.latency);
        wait = rate_limit_wait(&r.headers, jiff::Timestamp::now());
        let (found, more) = parse::pagerduty_incidents(&r)?;
        pages.extend(found);
        offset += LIMIT;
        // PagerDuty stops at offset + limit = 10,000.
        if !more || wait.is_some() || offset + LIMIT > 10_000 {
            break;
        }
    }
    // What each page was paged for: looked up once while it stays open.
    memo.paged
        .retain(|id, _| pages.iter().any(|p| &p.page.id == id));
    let new: Vec<String> = pages
        .iter()
        .filter(|p| !memo.paged.contains_key(&p.page.id))
        .map(|p| p.page.id.clone())
        .take(ALERT_LOOKUPS)
        .collect();
    for id in new {
        if wait.is_some() {
            break;
        }
        let url = endpoint(base, &["incidents", &id, "alerts"], &[("limit", "1")])?;
        match fetch(ctx, &Req::Get(url), false).await {
            Ok(r) => {
                wait = rate_limit_wait(&r.headers, jiff::Timestamp::now());
                match parse::pagerduty_alerts(&r) {
                    Ok(a) => {
                        memo.paged.insert(id, a);
                    }
                    Err(e) => {
                        tracing::warn!(source = %ctx.source.name, page = %id, "cannot read the page's alerts: {e}");
                        memo.paged.insert(id, None);
                    }
                }
            }
            // A rate limit or an outage: the pages are still worth showing.
            Err(e) => {
                tracing::warn!(source = %ctx.source.name, page = %id, "cannot read the page's alerts: {e}");
                wait = wait.or(e.retry_after());
                break;
            }
        }
    }
    let pages = pages
        .into_iter()
        .map(|p| {
            let paged = memo.paged.get(&p.page.id).cloned().flatten();
            (p, paged)
        })
        .collect();
    Ok(Outcome {
        reading: parse::pagerduty_reading(pages),
        latency,
        wait,
    })
}
