//! The HTTP machinery every poll and call shares: the clients, one
//! request with its deadline, body cap and retries, how each kind sends its
//! token, and building endpoint URLs.

use crate::status::PollError;
use crate::status::parse::{self, Reading, Response};
use crate::status::ratelimit::{WAIT_FLOOR, asked_wait};
use crate::status::source::{Kind, SourceConfig};
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
/// The `Accept` header PagerDuty's REST API v2 wants.
pub(super) const PAGERDUTY_ACCEPT: &str = "application/vnd.pagerduty+json;version=2";
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

pub(super) fn ensure_crypto_provider() {
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
pub(super) enum Auth {
    Bearer,
    /// PagerDuty: `Authorization: Token token=…`.
    PagerdutyToken,
    ApiKeyHeader,
    /// UptimeRobot: `api_key` in the form body.
    Form,
}

pub(super) fn auth_for(kind: Kind) -> Auth {
    match kind {
        Kind::Healthchecks => Auth::ApiKeyHeader,
        Kind::Uptimerobot => Auth::Form,
        Kind::Pagerduty => Auth::PagerdutyToken,
        _ => Auth::Bearer,
    }
}

pub(super) enum Req {
    Get(Url),
    /// A read-only POST with a form body (`api_key` is added when sent).
    PostForm(Url, Vec<(&'static str, String)>),
    /// A write the responder asked for (a silence, an acknowledgement):
    /// a JSON body, and PagerDuty's `From` header.
    Write {
        method: reqwest::Method,
        url: Url,
        body: Option<serde_json::Value>,
        from: Option<String>,
    },
}

impl Req {
    pub(super) fn url(&self) -> &Url {
        match self {
            Req::Get(u) | Req::PostForm(u, _) | Req::Write { url: u, .. } => u,
        }
    }
}

/// Everything one poll needs.
pub(super) struct Ctx<'a> {
    pub(super) source: &'a SourceConfig,
    pub(super) client: &'a Client,
    pub(super) token: Option<&'a SecretString>,
    pub(super) opts: Options,
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

impl<'a> Ctx<'a> {
    pub(super) fn new(
        source: &'a SourceConfig,
        clients: &'a Clients,
        token: Option<&'a SecretString>,
        opts: Options,
    ) -> Ctx<'a> {
        Ctx {
            source,
            client: if token.is_some() {
                &clients.private
            } else {
                &clients.public
            },
            token,
            opts,
        }
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
pub(super) enum Attempt {
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
pub(super) async fn fetch(
    ctx: &Ctx<'_>,
    req: &Req,
    read_body_partly: bool,
) -> Result<Response, PollError> {
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
                Attempt::Busy(r) => match asked_wait(&r.headers, jiff::Timestamp::now()) {
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
pub(super) async fn send(
    ctx: &Ctx<'_>,
    req: &Req,
    read_body_partly: bool,
) -> Result<Response, PollError> {
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
        Req::Write {
            method,
            url,
            body,
            from,
        } => {
            let mut rb = ctx.client.request(method.clone(), url.clone());
            if let Some(b) = body {
                rb = rb.json(b);
            }
            if let Some(f) = from {
                rb = rb.header(
                    "from",
                    HeaderValue::from_str(f).map_err(|_| {
                        PollError::Request("`from` is not a valid header value".into())
                    })?,
                );
            }
            rb
        }
    };
    if let crate::status::source::Spec::Loki {
        tenant: Some(tenant),
    } = &src.spec
    {
        rb = rb.header(
            "x-scope-orgid",
            HeaderValue::from_str(tenant)
                .map_err(|_| PollError::Request("the tenant is not a valid header value".into()))?,
        );
    }
    match src.kind {
        Kind::Http => {}
        Kind::Pagerduty => rb = rb.header(header::ACCEPT, PAGERDUTY_ACCEPT),
        _ => rb = rb.header(header::ACCEPT, "application/json"),
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
            Auth::PagerdutyToken => {
                rb = rb.header(
                    header::AUTHORIZATION,
                    sensitive(&format!("Token token={}", t.expose_secret()))?,
                )
            }
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
pub(super) fn redacted_url(u: &Url) -> String {
    let mut u = u.clone();
    u.set_query(None);
    u.to_string()
}

pub(super) fn sensitive(value: &str) -> Result<HeaderValue, PollError> {
    let mut v = HeaderValue::from_str(value).map_err(|_| {
        PollError::Token(
            "the token contains characters that cannot be sent in an HTTP header".into(),
        )
    })?;
    v.set_sensitive(true);
    Ok(v)
}

/// The innermost cause of an error: "Connection refused (os error 111)".
pub(super) fn error_text(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

pub(super) fn map_reqwest(e: &reqwest::Error, timeout: Duration) -> PollError {
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
