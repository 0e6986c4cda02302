//! Kind `http`: the status code (and optionally the body) of one URL.

use super::{Reading, Response, fmt_ms};
use crate::status::PollError;
use crate::status::health::Health;
use crate::status::source::HttpSpec;

/// Expected status and body → up; slower than `slow` → degraded; else down.
pub fn http(spec: &HttpSpec, resp: &Response) -> Reading {
    let ms = resp.latency.as_secs_f64() * 1000.0;
    let code = resp.status;
    let reason = reqwest::StatusCode::from_u16(code)
        .ok()
        .and_then(|s| s.canonical_reason())
        .map_or_else(|| format!("HTTP {code}"), |r| format!("HTTP {code} {r}"));
    let down = |summary: String| Reading {
        state: Health::Down,
        summary,
        ..Reading::default()
    };
    if !spec.expect.matches(code) {
        return down(format!("{reason} in {}", fmt_ms(ms)));
    }
    let needs_body = spec.body_contains.is_some() || spec.body_regex.is_some();
    if needs_body {
        let body = String::from_utf8_lossy(&resp.body);
        let cut = if resp.truncated {
            " (in the first part read)"
        } else {
            ""
        };
        if let Some(needle) = &spec.body_contains
            && !body.contains(needle.as_str())
        {
            return down(format!(
                "{reason}, but the body does not contain the expected text{cut}"
            ));
        }
        if let Some(re) = &spec.body_regex
            && !re.is_match(&body)
        {
            return down(format!(
                "{reason}, but the body does not match body_regex{cut}"
            ));
        }
    }
    if let Some(slow) = spec.slow
        && resp.latency > slow
    {
        return Reading {
            state: Health::Degraded,
            summary: format!(
                "{reason} in {} (slower than {})",
                fmt_ms(ms),
                crate::util::duration::format(slow)
            ),
            ..Reading::default()
        };
    }
    Reading {
        state: Health::Up,
        summary: format!("{reason} in {}", fmt_ms(ms)),
        ..Reading::default()
    }
}

/// An `http` target that could not be reached is down (that is what the
/// check is for), with the reason.
pub fn http_unreachable(err: &PollError) -> Reading {
    let summary = match err {
        PollError::Connect(_) => "unreachable".to_owned(),
        PollError::Timeout(d) => format!("no answer within {}", crate::util::duration::format(*d)),
        PollError::TooLarge(_) => "response too large".to_owned(),
        _ => "request failed".to_owned(),
    };
    Reading {
        state: Health::Down,
        summary,
        error: Some(err.to_string()),
        ..Reading::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::source::StatusMatch;
    use std::time::Duration;

    fn spec() -> HttpSpec {
        HttpSpec {
            expect: StatusMatch::Success,
            body_contains: Some("\"ok\"".into()),
            body_regex: None,
            slow: Some(Duration::from_millis(500)),
        }
    }

    fn resp(status: u16, body: &str, ms: u64) -> Response {
        Response {
            status,
            latency: Duration::from_millis(ms),
            ..Response::ok(body)
        }
    }

    #[test]
    fn states() {
        let r = http(&spec(), &resp(200, r#"{"status":"ok"}"#, 212));
        assert_eq!(
            (r.state, r.summary.as_str()),
            (Health::Up, "HTTP 200 OK in 212 ms")
        );
        let r = http(&spec(), &resp(200, r#"{"status":"ok"}"#, 900));
        assert_eq!(r.state, Health::Degraded);
        assert!(r.summary.contains("slower than"), "{}", r.summary);
        let r = http(&spec(), &resp(200, r#"{"status":"failing"}"#, 20));
        assert_eq!(r.state, Health::Down);
        assert!(r.summary.contains("does not contain"), "{}", r.summary);
        let r = http(&spec(), &resp(502, "", 20));
        assert_eq!(
            (r.state, r.summary.as_str()),
            (Health::Down, "HTTP 502 Bad Gateway in 20 ms")
        );
        let r = http_unreachable(&PollError::Timeout(Duration::from_secs(2)));
        assert_eq!(
            (r.state, r.summary.as_str()),
            (Health::Down, "no answer within 2s")
        );
        assert!(r.error.is_some());
    }
}
