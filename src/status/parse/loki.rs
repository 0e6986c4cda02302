//! Loki's answers: `/loki/api/v1/query_range` log lines (streams with
//! nanosecond timestamps) or numbers (a metric query's matrix, read by the
//! PromQL reader), a count query's vector, and the label names the status
//! poll reads.
//!
//! Nothing here sanitizes: lines and labels are raw until
//! `status::query::Answer::sanitized` cleans them, like every other text
//! that came from the network.

use super::promql::{self, QueryResult};
use super::{Reading, Response, json};
use crate::status::PollError;
use crate::status::health::Health;
use jiff::Timestamp;
use serde::Deserialize;
use std::collections::BTreeMap;

/// One log line with its stream's labels.
#[derive(Clone, Debug, PartialEq)]
pub struct LogLine {
    /// When it was logged.
    pub at: Timestamp,
    /// Its stream's labels.
    pub labels: BTreeMap<String, String>,
    /// The line as logged.
    pub line: String,
}

/// What a LogQL query returned.
#[derive(Clone, Debug, PartialEq)]
pub enum LokiResult {
    /// Log lines of every stream, newest first.
    Lines(Vec<LogLine>),
    /// A metric query's numbers (`rate(…)`, `count_over_time(…)`).
    Numbers(QueryResult),
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    data: Option<Data>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "resultType")]
    result_type: String,
    #[serde(default)]
    result: serde_json::Value,
}

#[derive(Deserialize)]
struct RawStream {
    #[serde(default)]
    stream: BTreeMap<String, String>,
    #[serde(default)]
    values: Vec<Vec<serde_json::Value>>,
}

/// A Loki error: its JSON (`{"status":"error","error":…}`) or, as older
/// versions send it, a plain-text body (`parse error at line 1, col 7: …`).
fn error_of(resp: &Response) -> Option<PollError> {
    if let Some(e) = promql::error_answer(resp) {
        return Some(e);
    }
    if resp.status == 400 || resp.status == 422 {
        let text = String::from_utf8_lossy(&resp.body);
        let text = text.trim();
        if !text.is_empty() && !text.starts_with('<') {
            return Some(PollError::Api(super::truncate(text, 300)));
        }
    }
    None
}

/// `GET /loki/api/v1/query_range` (or `/query`): the lines of every stream,
/// newest first, or a metric query's numbers.
pub fn loki_result(resp: &Response) -> Result<LokiResult, PollError> {
    if let Some(e) = error_of(resp) {
        return Err(e);
    }
    super::check_status(crate::status::source::Kind::Loki, resp)?;
    let env: Envelope = json(&resp.body, "Loki")?;
    let data = env
        .data
        .ok_or_else(|| PollError::Malformed("status success but no `data`".into()))?;
    if data.result_type != "streams" {
        return promql::query_result(resp).map(LokiResult::Numbers);
    }
    let streams: Vec<RawStream> = serde_json::from_value(data.result)
        .map_err(|e| PollError::Malformed(format!("streams result: {e}")))?;
    let mut lines = Vec::new();
    for s in streams {
        for v in s.values {
            let (Some(ts), Some(line)) = (v.first(), v.get(1).and_then(|l| l.as_str())) else {
                return Err(PollError::Malformed(
                    "a log entry is not [\"<nanoseconds>\", \"<line>\"]".into(),
                ));
            };
            lines.push(LogLine {
                at: nanos(ts)?,
                labels: s.stream.clone(),
                line: line.to_owned(),
            });
        }
    }
    // Newest first; equal times keep the server's order.
    lines.sort_by_key(|l| std::cmp::Reverse(l.at));
    Ok(LokiResult::Lines(lines))
}

/// A Loki entry time: nanoseconds since the epoch, as a string.
fn nanos(raw: &serde_json::Value) -> Result<Timestamp, PollError> {
    let bad = || PollError::Malformed(format!("a log time `{raw}` is not nanoseconds"));
    let n: i128 = match raw {
        serde_json::Value::String(s) => s.trim().parse().map_err(|_| bad())?,
        serde_json::Value::Number(n) => n.as_i64().ok_or_else(bad)?.into(),
        _ => return Err(bad()),
    };
    Timestamp::from_nanosecond(n).map_err(|_| bad())
}

/// The answer to `sum(count_over_time(… [window]))`: the number of lines,
/// or none when nothing matched (an empty vector).
pub fn loki_count(resp: &Response) -> Result<Option<f64>, PollError> {
    match loki_result(resp)? {
        LokiResult::Numbers(r) => Ok(r
            .series
            .iter()
            .filter_map(|s| s.samples.last().map(|(_, v)| *v))
            .reduce(|a, b| a + b)),
        LokiResult::Lines(_) => Err(PollError::Malformed(
            "a count query returned log lines".into(),
        )),
    }
}

/// `GET /loki/api/v1/labels`: up when Loki answers a query for this
/// tenant (its readiness alone would not say that the token and tenant
/// work), with how many label names it knows.
pub fn loki_labels(resp: &Response) -> Result<Reading, PollError> {
    if let Some(e) = error_of(resp) {
        return Err(e);
    }
    super::check_status(crate::status::source::Kind::Loki, resp)?;
    #[derive(Deserialize)]
    struct Labels {
        status: String,
        #[serde(default)]
        data: Vec<String>,
    }
    let l: Labels = json(&resp.body, "Loki")?;
    if l.status != "success" {
        return Err(PollError::Malformed(format!(
            "Loki answered status `{}`",
            super::truncate(&l.status, 40)
        )));
    }
    Ok(Reading {
        state: Health::Up,
        summary: format!(
            "answering · {} label{}",
            l.data.len(),
            if l.data.len() == 1 { "" } else { "s" }
        ),
        ..Reading::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16, body: &str) -> Response {
        Response {
            status: code,
            ..Response::ok(body)
        }
    }

    #[test]
    fn streams_are_read_newest_first_with_nanoseconds() {
        // Shaped like the HTTP API reference's query_range streams example.
        let body = r#"{"status":"success","data":{"resultType":"streams","result":[
          {"stream":{"filename":"/var/log/myproject.log","job":"varlogs","level":"info"},
           "values":[["1569266497240578000","foo"],["1569266492548155000","bar"]]},
          {"stream":{"filename":"/var/log/myproject.log","job":"varlogs","level":"error"},
           "values":[["1569266498000000001","connection refused",{"trace_id":"abc"}]]}],
          "stats":{"summary":{"bytesProcessedPerSecond":1}}}}"#;
        let LokiResult::Lines(lines) = loki_result(&Response::ok(body)).unwrap() else {
            panic!("not lines")
        };
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].line, "connection refused");
        assert_eq!(lines[0].labels["level"], "error");
        assert_eq!(lines[0].at.as_nanosecond(), 1_569_266_498_000_000_001);
        assert_eq!(lines[1].line, "foo");
        assert_eq!(lines[2].line, "bar");
    }

    #[test]
    fn a_metric_query_is_numbers() {
        let body = r#"{"status":"success","data":{"resultType":"matrix","result":[
          {"metric":{"level":"error"},"values":[[1569266497.240,"0.5"],[1569266512.240,"1.5"]]}]}}"#;
        let LokiResult::Numbers(r) = loki_result(&Response::ok(body)).unwrap() else {
            panic!("not numbers")
        };
        assert_eq!(r.series[0].samples.len(), 2);
        assert_eq!(r.series[0].samples[1].1, 1.5);
        let count = r#"{"status":"success","data":{"resultType":"vector","result":[
          {"metric":{},"value":[1569266497.240,"42"]}]}}"#;
        assert_eq!(loki_count(&Response::ok(count)).unwrap(), Some(42.0));
        let none = r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#;
        assert_eq!(loki_count(&Response::ok(none)).unwrap(), None);
    }

    #[test]
    fn bad_queries_say_why_in_either_spelling() {
        let plain = status(
            400,
            "parse error at line 1, col 7: syntax error: unexpected IDENTIFIER\n",
        );
        let e = loki_result(&plain).unwrap_err().to_string();
        assert!(e.contains("parse error at line 1, col 7"), "{e}");
        let json = status(
            400,
            r#"{"status":"error","errorType":"bad_data","error":"parse error at line 1, col 1: syntax error"}"#,
        );
        let e = loki_result(&json).unwrap_err().to_string();
        assert!(e.contains("bad_data: parse error"), "{e}");
        // Garbage and wrong shapes are errors, not panics.
        for body in [
            "",
            "null",
            "<html>",
            r#"{"status":"success"}"#,
            r#"{"status":"success","data":{"resultType":"streams","result":[{"values":[["x","y"]]}]}}"#,
            r#"{"status":"success","data":{"resultType":"streams","result":[{"values":[[1]]}]}}"#,
            r#"{"status":"success","data":{"resultType":"streams","result":{}}}"#,
            r#"{"status":"success","data":{"resultType":"streams","result":[{"values":[["99999999999999999999999999","y"]]}]}}"#,
        ] {
            assert!(loki_result(&Response::ok(body)).is_err(), "{body}");
        }
    }

    #[test]
    fn labels_mean_loki_answers() {
        let r = loki_labels(&Response::ok(
            r#"{"status":"success","data":["app","level"]}"#,
        ))
        .unwrap();
        assert_eq!(r.state, Health::Up);
        assert_eq!(r.summary, "answering · 2 labels");
        let e = loki_labels(&status(
            503,
            "Ingester not ready: waiting for 15s after being ready\n",
        ))
        .unwrap_err()
        .to_string();
        assert!(e.contains("503"), "{e}");
        assert!(loki_labels(&Response::ok("ready")).is_err());
        let e = loki_labels(&status(401, "no org id\n"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("401"), "{e}");
    }
}
