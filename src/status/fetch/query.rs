//! One evaluation of a step's query block: PromQL's `query_range`, or
//! Loki's `query_range` (lines, or numbers for a metric query) and a count
//! of the lines over the window. Same deadline, body cap, retries and
//! token handling as a poll.

use super::http::{Ctx, Req, endpoint, fetch};
use super::{Clients, Options};
use crate::status::PollError;
use crate::status::parse::loki::{self, LokiResult};
use crate::status::parse::promql;
use crate::status::query::{Answer, Ask, Found, LOG_LINES, QueryLanguage};
use crate::status::source::{SourceConfig, Spec};
use jiff::Timestamp;
use secrecy::SecretString;

/// Unix seconds with the fraction, as the Prometheus API takes them.
fn unix(t: Timestamp) -> String {
    let ns = t.subsec_nanosecond();
    if ns == 0 {
        t.as_second().to_string()
    } else {
        format!("{}.{:09}", t.as_second(), ns)
    }
}

/// Evaluate `ask` against `source` (which must speak its language).
pub async fn query(
    source: &SourceConfig,
    clients: &Clients,
    token: Option<&SecretString>,
    opts: Options,
    ask: &Ask,
) -> Result<Answer, PollError> {
    let ctx = Ctx::new(source, clients, token, opts);
    let base = &source.url;
    let (start, end, step) = (ask.start(), ask.end, ask.step());
    let step_s = step.as_secs().to_string();
    let found = match (&source.spec, ask.language) {
        (Spec::Prometheus { .. }, QueryLanguage::Promql) => {
            let url = endpoint(
                base,
                &["api", "v1", "query_range"],
                &[
                    ("query", &ask.expr),
                    ("start", &unix(start)),
                    ("end", &unix(end)),
                    ("step", &step_s),
                ],
            )?;
            let r = fetch(&ctx, &Req::Get(url), false).await?;
            Found::Numbers(promql::query_result(&r)?)
        }
        (Spec::Loki { .. }, QueryLanguage::Logql) => {
            let (s_ns, e_ns) = (
                start.as_nanosecond().to_string(),
                end.as_nanosecond().to_string(),
            );
            let limit = LOG_LINES.to_string();
            let url = endpoint(
                base,
                &["loki", "api", "v1", "query_range"],
                &[
                    ("query", &ask.expr),
                    ("start", &s_ns),
                    ("end", &e_ns),
                    ("limit", &limit),
                    ("direction", "backward"),
                    ("step", &step_s),
                ],
            )?;
            let r = fetch(&ctx, &Req::Get(url), false).await?;
            match loki::loki_result(&r)? {
                LokiResult::Numbers(n) => Found::Numbers(n),
                LokiResult::Lines(mut lines) => {
                    lines.truncate(LOG_LINES);
                    let count = if lines.len() < LOG_LINES {
                        // Fewer than asked: that is all of them.
                        Some(lines.len() as u64)
                    } else {
                        count(&ctx, ask, &e_ns).await
                    };
                    Found::Lines { lines, count }
                }
            }
        }
        _ => {
            return Err(PollError::Request(format!(
                "a {} source cannot answer a {} query",
                source.kind, ask.language
            )));
        }
    };
    Ok(Answer {
        start,
        end,
        step,
        found,
    }
    .sanitized())
}

/// How many lines matched over the window:
/// `sum(count_over_time(QUERY [WINDOW]))` at the end. A failure is logged
/// and leaves the count unknown: the lines are what matter.
async fn count(ctx: &Ctx<'_>, ask: &Ask, end_ns: &str) -> Option<u64> {
    let expr = format!(
        "sum(count_over_time({} [{}s]))",
        ask.expr.trim(),
        ask.window.as_secs().max(1)
    );
    let url = endpoint(
        &ctx.source.url,
        &["loki", "api", "v1", "query"],
        &[("query", &expr), ("time", end_ns)],
    )
    .ok()?;
    let got = fetch(ctx, &Req::Get(url), false)
        .await
        .and_then(|r| loki::loki_count(&r));
    match got {
        Ok(n) => Some(n.map_or(0, |n| n.max(0.0).round() as u64)),
        Err(e) => {
            tracing::warn!(source = %ctx.source.name, "cannot count the lines: {e}");
            None
        }
    }
}
