//! The HTTP layer: one poll of one source.
//!
//! Every request has a deadline (the source's `timeout`, covering connect,
//! headers and body), a body size cap (read chunk by chunk, stopped at the
//! cap), and retries with exponential backoff and jitter (`backon`) on
//! connection errors, 429 and 503 — only for reads (every request here is a
//! read; UptimeRobot's `getMonitors` is a POST that changes nothing).
//! `Retry-After` is a floor (at least 1 s, so `0` never spins) with a
//! ceiling; a wait longer than [`IN_POLL_WAIT`] ends the poll and the poller
//! waits that long before the next one. `X-RateLimit-Remaining: 0` with a
//! reset time defers the next poll the same way. Tokens go out only in
//! headers marked sensitive (or UptimeRobot's form body), only to the
//! configured origin: redirects and next-page links to another host are not
//! followed with a token.

mod call;
mod http;
mod pagerduty;
mod query;

pub use call::perform;
pub use http::{
    BODY_CAP, Clients, IN_POLL_WAIT, MAX_PAGES, Options, Outcome, endpoint, redact_body,
};
pub use pagerduty::Memo;
pub use query::query;

use http::{Ctx, Req, fetch};

use super::PollError;
use super::parse::{self, Reading, Response};
use super::ratelimit::rate_limit_wait;
use super::source::{SourceConfig, Spec};
use reqwest::Url;
use secrecy::SecretString;
use std::time::Duration;

/// The alerting rules a live Prometheus has loaded (`GET /api/v1/rules`),
/// with the source's timeout, body cap and retries.
pub async fn rules(
    source: &SourceConfig,
    clients: &Clients,
    opts: Options,
) -> Result<Vec<crate::status::rules::AlertRule>, PollError> {
    let ctx = Ctx::new(source, clients, None, opts);
    let url = endpoint(&source.url, &["api", "v1", "rules"], &[("type", "alert")])?;
    let r = fetch(&ctx, &Req::Get(url), false).await?;
    crate::status::rules::api_rules(&r)
}

/// Poll `source` once; `memo` is what its task remembers between polls.
pub async fn poll(
    source: &SourceConfig,
    clients: &Clients,
    token: Option<&SecretString>,
    opts: Options,
    memo: &mut Memo,
) -> Result<Outcome, PollError> {
    let ctx = Ctx::new(source, clients, token, opts);
    let base = &source.url;
    match &source.spec {
        Spec::Http(spec) => {
            let needs_body = spec.body_contains.is_some() || spec.body_regex.is_some();
            match fetch(&ctx, &Req::Get(base.clone()), needs_body).await {
                Ok(r) => Ok(Outcome {
                    reading: parse::http(spec, &r),
                    latency: Some(r.latency),
                    wait: rate_limit_wait(&r.headers, jiff::Timestamp::now()),
                }),
                Err(e) => Ok(Outcome {
                    reading: parse::http_unreachable(&e),
                    latency: None,
                    wait: e.retry_after(),
                }),
            }
        }
        Spec::Statuspage => {
            single(
                &ctx,
                endpoint(base, &["api", "v2", "summary.json"], &[])?,
                parse::statuspage,
            )
            .await
        }
        Spec::Prometheus { query: None } => {
            single(&ctx, endpoint(base, &["api", "v1", "alerts"], &[])?, |r| {
                parse::prometheus_alerts(r, &source.ignore_alerts)
            })
            .await
        }
        Spec::Prometheus { query: Some(q) } => {
            let url = endpoint(base, &["api", "v1", "query"], &[("query", &q.expr)])?;
            single(&ctx, url, |r| parse::prometheus_query(q, r)).await
        }
        Spec::Alertmanager { filter } => {
            // Silenced and inhibited alerts too: they are shown as such, and
            // a source whose only alerts are silenced is not an all-clear.
            let mut params = vec![
                ("active", "true"),
                ("silenced", "true"),
                ("inhibited", "true"),
            ];
            params.extend(filter.iter().map(|f| ("filter", f.as_str())));
            let mut out = single(
                &ctx,
                endpoint(base, &["api", "v2", "alerts"], &params)?,
                |r| parse::alertmanager(r, &source.ignore_alerts),
            )
            .await?;
            alertmanager_context(&ctx, &mut out.reading).await;
            Ok(out)
        }
        Spec::Sentry {
            org,
            project,
            window,
        } => sentry(&ctx, org, project, *window).await,
        Spec::Uptimerobot => uptimerobot(&ctx).await,
        Spec::Betterstack => betterstack(&ctx).await,
        Spec::UptimeKuma { slug } => {
            let names = fetch(
                &ctx,
                &Req::Get(endpoint(base, &["api", "status-page", slug], &[])?),
                false,
            )
            .await?;
            let names = parse::kuma_names(&names)?;
            let hb_url = endpoint(base, &["api", "status-page", "heartbeat", slug], &[])?;
            let hb = fetch(&ctx, &Req::Get(hb_url), false).await?;
            Ok(Outcome {
                reading: parse::kuma(Some(&names), &hb)?,
                latency: Some(hb.latency),
                wait: rate_limit_wait(&hb.headers, jiff::Timestamp::now()),
            })
        }
        Spec::Gatus => {
            let url = endpoint(
                base,
                &["api", "v1", "endpoints", "statuses"],
                &[("page", "1"), ("pageSize", "20")],
            )?;
            single(&ctx, url, parse::gatus).await
        }
        Spec::Healthchecks => {
            single(
                &ctx,
                endpoint(base, &["api", "v3", "checks", ""], &[])?,
                parse::healthchecks,
            )
            .await
        }
        Spec::Pagerduty(spec) => pagerduty::poll(&ctx, spec, memo).await,
        Spec::Loki { .. } => {
            single(
                &ctx,
                endpoint(base, &["loki", "api", "v1", "labels"], &[])?,
                parse::loki_labels,
            )
            .await
        }
        Spec::Simulated => Err(PollError::Request(
            "a simulated source is not polled".into(),
        )),
    }
}

/// What the alerts alone do not say: who silenced them, why and until
/// when; and, when there are none, whether this Alertmanager has just
/// started and not heard from Prometheus yet. Either request failing
/// leaves the reading as it was (the alerts are what matter).
async fn alertmanager_context(ctx: &Ctx<'_>, reading: &mut Reading) {
    let base = &ctx.source.url;
    let mut ids: Vec<&str> = reading
        .suppressed
        .iter()
        .flat_map(|a| a.silenced_by.iter().map(String::as_str))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    if !ids.is_empty() {
        let got = match endpoint(base, &["api", "v2", "silences"], &[]) {
            Ok(url) => fetch(ctx, &Req::Get(url), false).await,
            Err(e) => Err(e),
        };
        match got.and_then(|r| parse::alertmanager_silences(&r, &ids)) {
            Ok(silences) => reading.silences = silences,
            Err(e) => tracing::warn!(source = %ctx.source.name, "cannot read the silences: {e}"),
        }
    }
    if reading.alerts.is_empty() && reading.suppressed.is_empty() {
        let got = match endpoint(base, &["api", "v2", "status"], &[]) {
            Ok(url) => fetch(ctx, &Req::Get(url), false).await,
            Err(e) => Err(e),
        };
        match got.and_then(|r| parse::alertmanager_started(&r)) {
            Ok(Some(started)) => {
                parse::alertmanager_warming_up(reading, started, jiff::Timestamp::now());
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(source = %ctx.source.name, "cannot read the status: {e}"),
        }
    }
}

async fn single(
    ctx: &Ctx<'_>,
    url: Url,
    parse: impl FnOnce(&Response) -> Result<Reading, PollError>,
) -> Result<Outcome, PollError> {
    let r = fetch(ctx, &Req::Get(url), false).await?;
    Ok(Outcome {
        reading: parse(&r)?,
        latency: Some(r.latency),
        wait: rate_limit_wait(&r.headers, jiff::Timestamp::now()),
    })
}

async fn sentry(
    ctx: &Ctx<'_>,
    org: &str,
    project: &str,
    window: Duration,
) -> Result<Outcome, PollError> {
    let period = if window <= Duration::from_secs(24 * 3600) {
        "24h"
    } else {
        "14d"
    };
    let mut url = endpoint(
        &ctx.source.url,
        &["api", "0", "projects", org, project, "issues", ""],
        &[
            ("query", "is:unresolved"),
            ("statsPeriod", period),
            ("sort", "date"),
            ("limit", "100"),
        ],
    )?;
    let now = jiff::Timestamp::now();
    let since = now
        .checked_sub(jiff::SignedDuration::try_from(window).unwrap_or(jiff::SignedDuration::MAX))
        .unwrap_or(jiff::Timestamp::MIN);
    let mut issues = Vec::new();
    let mut latency = None;
    let mut wait = None;
    for _ in 0..MAX_PAGES {
        let r = fetch(ctx, &Req::Get(url.clone()), false).await?;
        latency.get_or_insert(r.latency);
        wait = rate_limit_wait(&r.headers, now);
        let page = parse::sentry_page(&r)?;
        // Sorted by last seen: once a page reaches past the window, stop.
        let older = page
            .issues
            .last()
            .is_none_or(|i| i.last_seen.is_none_or(|t| t < since));
        issues.extend(page.issues);
        match page.next {
            Some(next) if !older && wait.is_none() => match same_origin(&ctx.source.url, &next) {
                Some(u) => url = u,
                None => break,
            },
            _ => break,
        }
    }
    Ok(Outcome {
        reading: parse::sentry_reading(issues, now, window),
        latency,
        wait,
    })
}

async fn uptimerobot(ctx: &Ctx<'_>) -> Result<Outcome, PollError> {
    let url = endpoint(&ctx.source.url, &["v2", "getMonitors"], &[])?;
    let (mut items, mut ignored, mut latency, mut wait) = (Vec::new(), 0, None, None);
    let mut offset = 0u64;
    for _ in 0..MAX_PAGES * 2 {
        let form = vec![
            ("format", "json".to_owned()),
            ("logs", "1".to_owned()),
            ("logs_limit", "1".to_owned()),
            ("response_times", "1".to_owned()),
            ("offset", offset.to_string()),
            ("limit", "50".to_owned()),
        ];
        let r = fetch(ctx, &Req::PostForm(url.clone(), form), false).await?;
        latency.get_or_insert(r.latency);
        wait = rate_limit_wait(&r.headers, jiff::Timestamp::now());
        let page = parse::uptimerobot_page(&r)?;
        items.extend(page.items);
        ignored += page.ignored;
        match page.next_offset {
            Some(n) if n > offset && wait.is_none() => offset = n,
            _ => break,
        }
    }
    Ok(Outcome {
        reading: parse::monitor_reading(items, ignored, "paused", "monitor"),
        latency,
        wait,
    })
}

async fn betterstack(ctx: &Ctx<'_>) -> Result<Outcome, PollError> {
    let mut url = endpoint(
        &ctx.source.url,
        &["api", "v2", "monitors"],
        &[("per_page", "250")],
    )?;
    let (mut items, mut ignored, mut latency, mut wait) = (Vec::new(), 0, None, None);
    for _ in 0..MAX_PAGES {
        let r = fetch(ctx, &Req::Get(url.clone()), false).await?;
        latency.get_or_insert(r.latency);
        wait = rate_limit_wait(&r.headers, jiff::Timestamp::now());
        let (page, n, next) = parse::betterstack_page(&r)?;
        items.extend(page);
        ignored += n;
        match next {
            Some(next) if wait.is_none() => match same_origin(&ctx.source.url, &next) {
                Some(u) => url = u,
                None => break,
            },
            _ => break,
        }
    }
    Ok(Outcome {
        reading: parse::monitor_reading(items, ignored, "paused or in maintenance", "monitor"),
        latency,
        wait,
    })
}

/// A next-page link, only if it stays on the configured origin (a token is
/// never sent elsewhere).
fn same_origin(base: &Url, next: &str) -> Option<Url> {
    let url = base.join(next).ok()?;
    if url.origin() == base.origin() {
        Some(url)
    } else {
        tracing::warn!(
            "not following a next-page link to another host ({})",
            url.host_str().unwrap_or("?")
        );
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_keep_the_path_prefix() {
        let base = Url::parse("https://proxy.test/prometheus/").unwrap();
        let u = endpoint(&base, &["api", "v1", "query"], &[("query", "up == 0")]).unwrap();
        assert_eq!(
            u.as_str(),
            "https://proxy.test/prometheus/api/v1/query?query=up+%3D%3D+0"
        );
        let base = Url::parse("https://sentry.io").unwrap();
        let u = endpoint(
            &base,
            &["api", "0", "projects", "my org", "p", "issues", ""],
            &[],
        )
        .unwrap();
        assert_eq!(
            u.as_str(),
            "https://sentry.io/api/0/projects/my%20org/p/issues/"
        );
        assert!(same_origin(&base, "https://sentry.io/api/0/x?cursor=1").is_some());
        assert!(same_origin(&base, "https://evil.test/api/0/x").is_none());
        assert!(same_origin(&base, "http://sentry.io/api/0/x").is_none());
    }
}
