//! Rate-limit headers: how long a provider asks us to wait (`Retry-After`,
//! `X-RateLimit-*`, Sentry's and the IETF draft's), clamped so one bad
//! header can neither hammer a provider nor freeze a source for hours.

use reqwest::header::{self, HeaderMap};
use std::time::Duration;

/// The shortest wait a `Retry-After` or rate-limit reset can ask for.
pub const WAIT_FLOOR: Duration = Duration::from_secs(1);
/// The longest: one bad header cannot freeze a source for hours.
pub const WAIT_CEILING: Duration = Duration::from_secs(15 * 60);

/// `Retry-After`: seconds, or an HTTP date. Clamped to [`WAIT_CEILING`].
pub fn retry_after(headers: &HeaderMap, now: jiff::Timestamp) -> Option<Duration> {
    let v = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    let d = if let Ok(secs) = v.parse::<u64>() {
        Duration::from_secs(secs)
    } else {
        let at = jiff::fmt::rfc2822::parse(v).ok()?.timestamp();
        Duration::try_from(at.duration_since(now)).unwrap_or(Duration::ZERO)
    };
    Some(d.min(WAIT_CEILING))
}

/// How long a 429 (or 503) asks us to wait: its `Retry-After`, else the
/// reset of a rate-limit header that says nothing is left (PagerDuty
/// sends only `ratelimit-reset`).
pub fn asked_wait(headers: &HeaderMap, now: jiff::Timestamp) -> Option<Duration> {
    retry_after(headers, now).or_else(|| rate_limit_wait(headers, now))
}

/// When a rate-limit header says no requests are left, how long until the
/// reset (clamped between [`WAIT_FLOOR`] and [`WAIT_CEILING`]; a minute
/// when no reset is given). Resets are epoch seconds (UptimeRobot, Sentry)
/// or seconds from now (the IETF `RateLimit-Reset`).
pub fn rate_limit_wait(headers: &HeaderMap, now: jiff::Timestamp) -> Option<Duration> {
    const PAIRS: [(&str, &str); 3] = [
        ("x-ratelimit-remaining", "x-ratelimit-reset"),
        ("x-sentry-rate-limit-remaining", "x-sentry-rate-limit-reset"),
        ("ratelimit-remaining", "ratelimit-reset"),
    ];
    let num = |name: &str| -> Option<f64> { headers.get(name)?.to_str().ok()?.trim().parse().ok() };
    for (remaining, reset) in PAIRS {
        if num(remaining).is_some_and(|n| n <= 0.0) {
            let wait = match num(reset) {
                Some(r) if r > 1_000_000_000.0 => {
                    Duration::from_secs_f64((r - now.as_second() as f64).max(0.0))
                }
                Some(r) if r >= 0.0 => Duration::from_secs_f64(r),
                _ => Duration::from_secs(60),
            };
            return Some(wait.clamp(WAIT_FLOOR, WAIT_CEILING));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn retry_after_forms() {
        let now: jiff::Timestamp = "2015-10-21T07:27:00Z".parse().unwrap();
        assert_eq!(
            retry_after(&headers(&[("retry-after", "120")]), now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            retry_after(
                &headers(&[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")]),
                now
            ),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", "999999")]), now),
            Some(WAIT_CEILING)
        );
        assert_eq!(retry_after(&headers(&[("retry-after", "soon")]), now), None);
        assert_eq!(retry_after(&headers(&[]), now), None);
    }

    #[test]
    fn rate_limit_headers() {
        let now = jiff::Timestamp::from_second(1_700_000_000).unwrap();
        let h = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1700000030"),
        ]);
        assert_eq!(rate_limit_wait(&h, now), Some(Duration::from_secs(30)));
        let h = headers(&[
            ("x-sentry-rate-limit-remaining", "0"),
            ("x-sentry-rate-limit-reset", "1700000000"),
        ]);
        assert_eq!(rate_limit_wait(&h, now), Some(WAIT_FLOOR));
        let h = headers(&[("ratelimit-remaining", "0"), ("ratelimit-reset", "99999")]);
        assert_eq!(rate_limit_wait(&h, now), Some(WAIT_CEILING));
        let h = headers(&[
            ("x-ratelimit-remaining", "7"),
            ("x-ratelimit-reset", "1700000030"),
        ]);
        assert_eq!(rate_limit_wait(&h, now), None);
    }
}
