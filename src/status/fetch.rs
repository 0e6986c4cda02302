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

use super::PollError;
use super::parse::{self, Reading, Response};
use super::ratelimit::{WAIT_FLOOR, rate_limit_wait, retry_after};
use super::source::{Kind, SourceConfig, Spec};
use backon::{ExponentialBuilder, Retryable};
use reqwest::header::{self, HeaderValue};
use reqwest::{Client, Url};
use secrecy::{ExposeSecret, SecretString};
use std::time::{Duration, Instant};

/// Default response body cap.
pub const BODY_CAP: usize = 4 * 1024 * 1024;
/// Waits up to this long happen inside a poll (then the request is retried);
/// longer ones end the poll.
pub const IN_POLL_WAIT: Duration = Duration::from_secs(10);
/// At most this many pages are read per poll.
pub const MAX_PAGES: usize = 10;

/// Knobs for the HTTP layer (tests and benchmarks lower them).
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// The largest body read, in bytes.
    pub body_cap: usize,
    /// Attempts per request (the first one included).
    pub attempts: usize,
    /// First backoff delay between attempts.
    pub retry_delay: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            body_cap: BODY_CAP,
            attempts: 3,
            retry_delay: Duration::from_millis(500),
        }
    }
}

/// The two HTTP clients: one that follows redirects anywhere (for sources
/// without a token), one that follows them only within the same origin.
#[derive(Clone, Debug)]
pub struct Clients {
    public: Client,
    private: Client,
}

fn ensure_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Fails only when a provider is already installed: that one is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

impl Clients {
    /// The HTTP clients (one that follows redirects, one that does not).
    pub fn new() -> Result<Clients, String> {
        ensure_crypto_provider();
        let build = |policy: reqwest::redirect::Policy| {
            Client::builder()
                .user_agent(concat!("mayday/", env!("CARGO_PKG_VERSION")))
                .redirect(policy)
                .pool_max_idle_per_host(2)
                .pool_idle_timeout(Duration::from_secs(90))
                .build()
                .map_err(|e| error_text(&e))
        };
        let same_origin = reqwest::redirect::Policy::custom(|attempt| {
            let allowed = attempt.previous().len() < 5
                && attempt
                    .previous()
                    .last()
                    .is_some_and(|prev| prev.origin() == attempt.url().origin());
            if allowed {
                attempt.follow()
            } else {
                attempt.stop()
            }
        });
        Ok(Clients {
            public: build(reqwest::redirect::Policy::limited(5))?,
            private: build(same_origin)?,
        })
    }
}

/// How a kind sends its token.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Auth {
    Bearer,
    ApiKeyHeader,
    /// UptimeRobot: `api_key` in the form body.
    Form,
}

fn auth_for(kind: Kind) -> Auth {
    match kind {
        Kind::Healthchecks => Auth::ApiKeyHeader,
        Kind::Uptimerobot => Auth::Form,
        _ => Auth::Bearer,
    }
}

enum Req {
    Get(Url),
    /// A read-only POST with a form body (`api_key` is added when sent).
    PostForm(Url, Vec<(&'static str, String)>),
}

impl Req {
    fn url(&self) -> &Url {
        match self {
            Req::Get(u) | Req::PostForm(u, _) => u,
        }
    }
}

/// Everything one poll needs.
struct Ctx<'a> {
    source: &'a SourceConfig,
    client: &'a Client,
    token: Option<&'a SecretString>,
    opts: Options,
}

/// What a successful poll produced.
#[derive(Debug)]
pub struct Outcome {
    /// What the response said.
    pub reading: Reading,
    /// How long the request took (for `http` sources).
    pub latency: Option<Duration>,
    /// Wait at least this long before the next poll (rate limit reached).
    pub wait: Option<Duration>,
}

/// Poll `source` once.
pub async fn poll(
    source: &SourceConfig,
    clients: &Clients,
    token: Option<&SecretString>,
    opts: Options,
) -> Result<Outcome, PollError> {
    let ctx = Ctx {
        source,
        client: if token.is_some() {
            &clients.private
        } else {
            &clients.public
        },
        token,
        opts,
    };
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
            single(
                &ctx,
                endpoint(base, &["api", "v2", "alerts"], &params)?,
                |r| parse::alertmanager(r, &source.ignore_alerts),
            )
            .await
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
        Spec::Simulated => Err(PollError::Request(
            "a simulated source is not polled".into(),
        )),
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

/// `base` + path segments (the base's own path is kept as a prefix) +
/// query parameters. An empty last segment gives a trailing slash.
pub fn endpoint(base: &Url, segments: &[&str], params: &[(&str, &str)]) -> Result<Url, PollError> {
    let mut url = base.clone();
    url.path_segments_mut()
        .map_err(|()| PollError::Request("the url cannot be a base".into()))?
        .pop_if_empty()
        .extend(segments);
    if !params.is_empty() {
        url.query_pairs_mut().extend_pairs(params);
    }
    Ok(url)
}

/// Why a retry is wanted (or not).
enum Attempt {
    /// A 429 or 503 answer: retried, and handed to the parser when retries run out.
    Busy(Response),
    /// A connection error: retried.
    Connect(PollError),
    /// Anything else: not retried.
    Fatal(PollError),
}

/// One request with retries: connection errors, 429 and 503 are retried
/// with backoff and jitter; `Retry-After` sets the wait (floor 1 s), and
/// one longer than [`IN_POLL_WAIT`] ends the retries.
async fn fetch(ctx: &Ctx<'_>, req: &Req, read_body_partly: bool) -> Result<Response, PollError> {
    let backoff = ExponentialBuilder::new()
        .with_min_delay(ctx.opts.retry_delay)
        .with_max_delay(Duration::from_secs(8))
        .with_jitter()
        .with_max_times(ctx.opts.attempts.saturating_sub(1))
        .with_total_delay(Some(Duration::from_secs(30)));
    let attempt = || async {
        match send(ctx, req, read_body_partly).await {
            Ok(r) if r.status == 429 || r.status == 503 => Err(Attempt::Busy(r)),
            Ok(r) => Ok(r),
            Err(e @ PollError::Connect(_)) => Err(Attempt::Connect(e)),
            Err(e) => Err(Attempt::Fatal(e)),
        }
    };
    let result = attempt
        .retry(backoff)
        .sleep(tokio::time::sleep)
        .when(|a| !matches!(a, Attempt::Fatal(_)))
        .adjust(|a, delay| {
            let delay = delay?;
            match a {
                Attempt::Busy(r) => match retry_after(&r.headers, jiff::Timestamp::now()) {
                    Some(ra) => {
                        let ra = ra.max(WAIT_FLOOR);
                        (ra <= IN_POLL_WAIT).then_some(ra.max(delay))
                    }
                    None => Some(delay),
                },
                _ => Some(delay),
            }
        })
        .notify(|a, delay| {
            let why = match a {
                Attempt::Busy(r) => format!("HTTP {}", r.status),
                Attempt::Connect(e) | Attempt::Fatal(e) => e.to_string(),
            };
            tracing::debug!(source = %ctx.source.name, "retrying in {delay:?}: {why}");
        })
        .await;
    match result {
        Ok(r) => Ok(r),
        // Out of retries on a 429/503: the parser turns it into the error.
        Err(Attempt::Busy(r)) => {
            if ctx.source.kind == Kind::Http {
                Ok(r)
            } else {
                parse::check_status(ctx.source.kind, &r).map(|()| r)
            }
        }
        Err(Attempt::Connect(e) | Attempt::Fatal(e)) => Err(e),
    }
}

/// One attempt: send, then read the body up to the cap, all within the
/// source's timeout. With `read_body_partly` a body over the cap is cut
/// (for `http` body checks) instead of failing; an `http` source without
/// body checks does not read the body at all.
async fn send(ctx: &Ctx<'_>, req: &Req, read_body_partly: bool) -> Result<Response, PollError> {
    let src = ctx.source;
    let auth = auth_for(src.kind);
    let mut rb = match req {
        Req::Get(url) => ctx.client.get(url.clone()),
        Req::PostForm(url, form) => {
            let mut form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            if let (Some(t), Auth::Form) = (ctx.token, auth) {
                form.insert(0, ("api_key", t.expose_secret()));
            }
            ctx.client.post(url.clone()).form(&form)
        }
    };
    if src.kind != Kind::Http {
        rb = rb.header(header::ACCEPT, "application/json");
    }
    if let Some(t) = ctx.token {
        match auth {
            Auth::Bearer => {
                rb = rb.header(
                    header::AUTHORIZATION,
                    sensitive(&format!("Bearer {}", t.expose_secret()))?,
                )
            }
            Auth::ApiKeyHeader => rb = rb.header("x-api-key", sensitive(t.expose_secret())?),
            Auth::Form => {}
        }
    }
    let cap = ctx.opts.body_cap;
    let read_body = src.kind != Kind::Http || read_body_partly;
    let started = Instant::now();
    let work = async {
        let mut resp = rb.send().await.map_err(|e| map_reqwest(&e, src.timeout))?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let mut body = Vec::new();
        let mut truncated = false;
        if read_body {
            if resp.content_length().is_some_and(|n| n > cap as u64) && !read_body_partly {
                return Err(PollError::TooLarge(cap));
            }
            while let Some(chunk) = resp
                .chunk()
                .await
                .map_err(|e| map_reqwest(&e, src.timeout))?
            {
                if body.len() + chunk.len() > cap {
                    if !read_body_partly {
                        return Err(PollError::TooLarge(cap));
                    }
                    body.extend_from_slice(&chunk[..cap - body.len()]);
                    truncated = true;
                    break;
                }
                body.extend_from_slice(&chunk);
            }
        }
        // A server that echoes the token back (in an error, a name) must
        // not reach the screen: redact before anything parses, truncates
        // or shortens the body, so no part of it survives.
        if let Some(t) = ctx.token {
            redact_body(&mut body, t.expose_secret().as_bytes(), truncated);
        }
        Ok(Response {
            status,
            headers,
            body,
            latency: started.elapsed(),
            truncated,
        })
    };
    let result = tokio::time::timeout(src.timeout, work)
        .await
        .map_err(|_| PollError::Timeout(src.timeout))?;
    match &result {
        Ok(r) => {
            tracing::debug!(source = %src.name, url = %redacted_url(req.url()), status = r.status, bytes = r.body.len(), "fetched")
        }
        Err(e) => {
            tracing::debug!(source = %src.name, url = %redacted_url(req.url()), "request failed: {e}")
        }
    }
    result
}

/// Replace every occurrence of `token` in a response body (and, when the
/// body was cut short, a start of it at the very end).
pub fn redact_body(body: &mut Vec<u8>, token: &[u8], truncated: bool) {
    if token.len() < 4 {
        return;
    }
    if memchr::memmem::find(body, token).is_some() {
        let finder = memchr::memmem::Finder::new(token);
        let mut out = Vec::with_capacity(body.len());
        let mut last = 0;
        for i in finder.find_iter(body) {
            out.extend_from_slice(&body[last..i]);
            out.extend_from_slice(b"[redacted]");
            last = i + token.len();
        }
        out.extend_from_slice(&body[last..]);
        *body = out;
    }
    if truncated
        && let Some(n) = (1..token.len().min(body.len() + 1))
            .rev()
            .find(|&n| body.ends_with(&token[..n]))
    {
        body.truncate(body.len() - n);
        body.extend_from_slice(b"[redacted]");
    }
}

/// A URL for the log: no query string (it may carry an expression or a key).
fn redacted_url(u: &Url) -> String {
    let mut u = u.clone();
    u.set_query(None);
    u.to_string()
}

fn sensitive(value: &str) -> Result<HeaderValue, PollError> {
    let mut v = HeaderValue::from_str(value).map_err(|_| {
        PollError::Token(
            "the token contains characters that cannot be sent in an HTTP header".into(),
        )
    })?;
    v.set_sensitive(true);
    Ok(v)
}

/// The innermost cause of an error: "Connection refused (os error 111)".
fn error_text(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

fn map_reqwest(e: &reqwest::Error, timeout: Duration) -> PollError {
    if e.is_timeout() {
        return PollError::Timeout(timeout);
    }
    // Display of a reqwest error may include the URL: use only the causes.
    let text = error_text(e);
    if e.is_connect() {
        PollError::Connect(text)
    } else {
        PollError::Request(text)
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
