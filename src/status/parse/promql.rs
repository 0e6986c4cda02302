//! A PromQL answer as evidence: every series of `/api/v1/query` (instant)
//! or `/api/v1/query_range` (range) with its labels and samples as
//! numbers, the labels that tell the series apart, and values put in the
//! unit the metric's name says. The first piece of live query blocks in
//! runbook steps (issue 14): pure, no I/O, the same for any server that
//! speaks the Prometheus HTTP API (Prometheus, VictoriaMetrics).

use super::{Response, check_status, json};
use crate::status::PollError;
use crate::status::source::Kind;
use jiff::Timestamp;
use serde::Deserialize;
use std::collections::BTreeMap;

/// What shape the answer has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// One sample per series (an instant query).
    Vector,
    /// Samples over a range per series.
    Matrix,
    /// One number, no labels.
    Scalar,
}

/// One series: its labels (with `__name__` when the query keeps it) and
/// its samples in time order. Values are numbers; `NaN` and `±Inf` stay
/// what they are.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// The series' labels.
    pub labels: BTreeMap<String, String>,
    /// (when, value), oldest first.
    pub samples: Vec<(Timestamp, f64)>,
}

/// A query's answer.
#[derive(Clone, Debug, PartialEq)]
pub struct QueryResult {
    /// Vector, matrix or scalar.
    pub shape: Shape,
    /// Every series, in the order the server sent them.
    pub series: Vec<Series>,
    /// What the server warned about (a partial answer, a limit hit).
    pub warnings: Vec<String>,
}

#[derive(Deserialize)]
struct Envelope {
    status: String,
    #[serde(default)]
    data: Option<Data>,
    #[serde(default)]
    warnings: Vec<String>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "resultType")]
    result_type: String,
    result: serde_json::Value,
}

#[derive(Deserialize)]
struct RawSeries {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    #[serde(default)]
    value: Option<(serde_json::Value, String)>,
    #[serde(default)]
    values: Vec<(serde_json::Value, String)>,
}

/// A sample value as the API writes it: a string, `"NaN"`, `"+Inf"`, `"-Inf"`.
fn value(raw: &str) -> Result<f64, PollError> {
    match raw.trim() {
        "NaN" => Ok(f64::NAN),
        "+Inf" | "Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        s => s
            .parse()
            .map_err(|_| PollError::Malformed(format!("a sample value `{s}` is not a number"))),
    }
}

/// A sample time as the API writes it: Unix seconds, with a fraction (read
/// from its digits: as a float, `1435781451.781` is `…451.780999…`).
fn time(raw: &serde_json::Value) -> Result<Timestamp, PollError> {
    let bad = || PollError::Malformed(format!("a sample time `{raw}` is not a number"));
    let text = match raw {
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::String(s) => s.clone(),
        _ => return Err(bad()),
    };
    let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
    let exact = (!text.starts_with('-'))
        .then_some(())
        .and(whole.parse::<i64>().ok())
        .zip(
            (frac.len() <= 9 && frac.bytes().all(|b| b.is_ascii_digit()))
                .then(|| format!("{frac:0<9}").parse::<i32>().ok())
                .flatten(),
        );
    let (secs, nanos) = match exact {
        Some(t) => t,
        None => {
            // An exponent or more digits than nanoseconds: as a float.
            let f: f64 = text.parse().map_err(|_| bad())?;
            let w = f.floor();
            (w as i64, (((f - w) * 1e9).round() as i32).min(999_999_999))
        }
    };
    Timestamp::new(secs, nanos)
        .map_err(|e| PollError::Malformed(format!("a sample time {text}: {e}")))
}

fn sample(raw: &(serde_json::Value, String)) -> Result<(Timestamp, f64), PollError> {
    Ok((time(&raw.0)?, value(&raw.1)?))
}

/// An error answer of the Prometheus API (Loki's too):
/// `{"status":"error","errorType":…,"error":…}` as `errorType: error`.
pub fn error_answer(resp: &Response) -> Option<PollError> {
    #[derive(Deserialize)]
    struct Error {
        status: String,
        #[serde(default)]
        error: Option<String>,
        #[serde(default, rename = "errorType")]
        error_type: Option<String>,
    }
    let e = serde_json::from_slice::<Error>(&resp.body).ok()?;
    (e.status == "error").then(|| {
        PollError::Api(format!(
            "{}: {}",
            e.error_type.as_deref().unwrap_or("error"),
            e.error.as_deref().unwrap_or("no message")
        ))
    })
}

/// `GET /api/v1/query` or `/api/v1/query_range`: every series with its
/// samples. An error answer (`"status": "error"`) names its type and
/// message (`bad_data: parse error at char 5 …`), so a mistyped query says
/// what is wrong in the step.
pub fn query_result(resp: &Response) -> Result<QueryResult, PollError> {
    // A bad query is a 400 with a JSON body that says why: read it first.
    if let Some(e) = error_answer(resp) {
        return Err(e);
    }
    check_status(Kind::Prometheus, resp)?;
    let env: Envelope = json(&resp.body, "a Prometheus API server")?;
    if env.status != "success" {
        return Err(PollError::Malformed(format!(
            "status `{}`, not success",
            super::truncate(&env.status, 40)
        )));
    }
    let data = env
        .data
        .ok_or_else(|| PollError::Malformed("status success but no `data`".into()))?;
    let (shape, series) = match data.result_type.as_str() {
        "scalar" => {
            let raw: (serde_json::Value, String) = serde_json::from_value(data.result)
                .map_err(|e| PollError::Malformed(format!("scalar result: {e}")))?;
            let one = Series {
                labels: BTreeMap::new(),
                samples: vec![sample(&raw)?],
            };
            (Shape::Scalar, vec![one])
        }
        kind @ ("vector" | "matrix") => {
            let raw: Vec<RawSeries> = serde_json::from_value(data.result)
                .map_err(|e| PollError::Malformed(format!("{kind} result: {e}")))?;
            let mut series = Vec::with_capacity(raw.len());
            for s in raw {
                let mut samples = s
                    .value
                    .iter()
                    .chain(&s.values)
                    .map(sample)
                    .collect::<Result<Vec<_>, _>>()?;
                samples.sort_by_key(|(t, _)| *t);
                series.push(Series {
                    labels: s.metric,
                    samples,
                });
            }
            let shape = if kind == "vector" {
                Shape::Vector
            } else {
                Shape::Matrix
            };
            (shape, series)
        }
        other => {
            return Err(PollError::Malformed(format!(
                "the query returns a {other}; write one that returns numbers"
            )));
        }
    };
    Ok(QueryResult {
        shape,
        series,
        warnings: env.warnings,
    })
}

/// The labels that tell the series apart (their values differ, or some
/// series lack them), sorted; what every series shares is left out.
pub fn distinct_labels(series: &[Series]) -> Vec<String> {
    let labels: Vec<&BTreeMap<String, String>> = series.iter().map(|s| &s.labels).collect();
    distinct_keys(&labels)
}

/// [`distinct_labels`] for any list of label sets (recorded evidence too).
pub fn distinct_keys(labels: &[&BTreeMap<String, String>]) -> Vec<String> {
    let mut names: Vec<&String> = labels.iter().flat_map(|l| l.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|name| {
            let first = labels.first().and_then(|l| l.get(*name));
            labels.iter().any(|l| l.get(*name) != first)
        })
        .cloned()
        .collect()
}

/// What a series is called in a table: its values of `keys` (the labels
/// that differ, `k=v`, joined with `sep`); with none of those — one series,
/// or all alike — its own labels (`up{job=a}`), else `value`.
pub fn series_label(labels: &BTreeMap<String, String>, keys: &[String], sep: &str) -> String {
    let parts: Vec<String> = keys
        .iter()
        .filter_map(|k| Some(format!("{k}={}", labels.get(k)?)))
        .collect();
    if !parts.is_empty() {
        return parts.join(sep);
    }
    let own: Vec<String> = labels
        .iter()
        .filter(|(k, _)| *k != "__name__")
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    match labels.get("__name__") {
        Some(n) if own.is_empty() => n.clone(),
        Some(n) => format!("{n}{{{}}}", own.join(sep)),
        None if own.is_empty() => "value".to_owned(),
        None => own.join(sep),
    }
}

/// A value in the unit the metric's name says: `_seconds` as a duration,
/// `_bytes` in binary units, `_ratio` (and `_percent`) as a percentage;
/// anything else as a plain number. `NaN` and `±Inf` as themselves.
pub fn humanise(metric: &str, v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    let name = metric.to_ascii_lowercase();
    let base = name.trim_end_matches("_total").trim_end_matches("_sum");
    if base.ends_with("_seconds") {
        return seconds(v);
    }
    if base.ends_with("_bytes") {
        return bytes(v);
    }
    if base.ends_with("_ratio") {
        return format!("{} %", plain(v * 100.0));
    }
    if base.ends_with("_percent") {
        return format!("{} %", plain(v));
    }
    plain(v)
}

/// The metric whose unit a query's values are in: the first metric name
/// in it (outside strings and label matchers) that names a unit
/// (`_seconds`, `_bytes`, `_ratio`, `_percent`, also as `_bucket` or
/// `_sum`), for [`humanise`]. `rate(x_seconds_sum[5m]) /
/// rate(x_seconds_count[5m])` is in seconds; `sum(rate(x_total[5m]))` has
/// no unit.
pub fn metric_of(expr: &str) -> Option<&str> {
    let b = expr.as_bytes();
    let mut i = 0;
    let mut depth_braces = 0usize;
    while i < b.len() {
        let c = b[i];
        match c {
            b'"' | b'\'' | b'`' => {
                // Skip the string (escapes inside "" and '').
                i += 1;
                while i < b.len() && b[i] != c {
                    if b[i] == b'\\' && c != b'`' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
                continue;
            }
            b'{' => depth_braces += 1,
            b'}' => depth_braces = depth_braces.saturating_sub(1),
            _ => {}
        }
        if depth_braces == 0 && (c.is_ascii_alphabetic() || c == b'_' || c == b':') {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b':') {
                i += 1;
            }
            let word = &expr[start..i];
            let base = word
                .trim_end_matches("_bucket")
                .trim_end_matches("_sum")
                .trim_end_matches("_total");
            if ["_seconds", "_bytes", "_ratio", "_percent"]
                .iter()
                .any(|u| base.ends_with(u))
            {
                return Some(base);
            }
            continue;
        }
        i += 1;
    }
    None
}

/// A number with at most three significant decimals, no trailing zeros.
fn plain(v: f64) -> String {
    if v != 0.0 && (v.abs() >= 1e15 || v.abs() < 1e-3) {
        return format!("{v:.3e}");
    }
    let s = if v.abs() >= 100.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    };
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

fn seconds(v: f64) -> String {
    let a = v.abs();
    let sign = if v < 0.0 { "-" } else { "" };
    if a == 0.0 {
        "0 s".into()
    } else if a < 1e-3 {
        format!("{sign}{} µs", plain(a * 1e6))
    } else if a < 1.0 {
        format!("{sign}{} ms", plain(a * 1e3))
    } else if a < 120.0 {
        format!("{sign}{} s", plain(a))
    } else {
        let d = crate::util::duration::format(std::time::Duration::from_secs_f64(a));
        format!("{sign}{d}")
    }
}

fn bytes(v: f64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut a = v.abs();
    let mut unit = 0;
    while a >= 1024.0 && unit < UNITS.len() - 1 {
        a /= 1024.0;
        unit += 1;
    }
    let sign = if v < 0.0 { "-" } else { "" };
    format!("{sign}{} {}", plain(a), UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(body: &str) -> Response {
        Response::ok(body)
    }

    /// The instant-query example of the Prometheus HTTP API reference.
    const VECTOR: &str = r#"{"status":"success","data":{"resultType":"vector","result":[
        {"metric":{"__name__":"up","job":"prometheus","instance":"localhost:9090"},"value":[1435781451.781,"1"]},
        {"metric":{"__name__":"up","job":"node","instance":"localhost:9100"},"value":[1435781451.781,"0"]}]}}"#;

    #[test]
    fn the_unit_of_a_query() {
        assert_eq!(
            metric_of(
                "histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket{job=\"api_bytes\"}[5m])) by (le))"
            ),
            Some("http_request_duration_seconds")
        );
        assert_eq!(
            metric_of("rate(x_seconds_sum[5m]) / rate(x_seconds_count[5m])"),
            Some("x_seconds")
        );
        assert_eq!(metric_of("sum(rate(http_requests_total[5m]))"), None);
        assert_eq!(
            metric_of("node_memory_MemAvailable_bytes / 2"),
            Some("node_memory_MemAvailable_bytes")
        );
        assert_eq!(metric_of("up{a=\"x_seconds\"}"), None);
        assert_eq!(metric_of("\"unterminated"), None);
    }

    /// The range-query example of the reference (samples out of order on
    /// purpose: they are put in time order).
    const MATRIX: &str = r#"{"status":"success","data":{"resultType":"matrix","result":[
        {"metric":{"__name__":"up","job":"prometheus","instance":"localhost:9090"},
         "values":[[1435781445.781,"1"],[1435781430.781,"1"],[1435781460.781,"NaN"]]},
        {"metric":{"__name__":"up","job":"node","instance":"localhost:9091"},
         "values":[[1435781430.781,"0"],[1435781445.781,"+Inf"],[1435781460.781,"1"]]}]}}"#;

    #[test]
    fn an_instant_vector_is_every_series_with_its_value() {
        let r = query_result(&ok(VECTOR)).unwrap();
        assert_eq!(r.shape, Shape::Vector);
        assert_eq!(r.series.len(), 2);
        assert_eq!(r.series[1].labels["job"], "node");
        let (t, v) = r.series[1].samples[0];
        assert_eq!(v, 0.0);
        assert_eq!(t.as_millisecond(), 1_435_781_451_781);
        assert_eq!(distinct_labels(&r.series), ["instance", "job"]);
    }

    #[test]
    fn a_range_is_every_sample_in_time_order_nan_and_inf_kept() {
        let r = query_result(&ok(MATRIX)).unwrap();
        assert_eq!(r.shape, Shape::Matrix);
        let a: Vec<f64> = r.series[0].samples.iter().map(|s| s.1).collect();
        assert_eq!(a[..2], [1.0, 1.0]);
        assert!(a[2].is_nan());
        assert!(r.series[0].samples.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(r.series[1].samples[1].1, f64::INFINITY);
    }

    #[test]
    fn a_scalar_is_one_unlabelled_series() {
        let r = query_result(&ok(
            r#"{"status":"success","data":{"resultType":"scalar","result":[1700000000,"0.25"]}}"#,
        ))
        .unwrap();
        assert_eq!(r.shape, Shape::Scalar);
        assert_eq!(r.series[0].samples[0].1, 0.25);
        assert!(r.series[0].labels.is_empty());
    }

    /// VictoriaMetrics adds fields of its own (`stats`, `isPartial`) and
    /// may warn; the answer is read the same.
    #[test]
    fn victoria_metrics_extras_are_fine_and_warnings_kept() {
        let r = query_result(&ok(
            r#"{"status":"success","isPartial":false,"data":{"resultType":"vector","result":[
              {"metric":{},"value":[1700000000,"3"]}]},"stats":{"seriesFetched":"1"},
              "warnings":["the result may be partial"]}"#,
        ))
        .unwrap();
        assert_eq!(r.series[0].samples[0].1, 3.0);
        assert_eq!(r.warnings, ["the result may be partial"]);
    }

    #[test]
    fn a_bad_query_says_why() {
        let mut resp = ok(
            r#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:5: parse error: unexpected right parenthesis ')'"}"#,
        );
        resp.status = 400;
        let e = query_result(&resp).unwrap_err().to_string();
        assert!(e.contains("bad_data"), "{e}");
        assert!(e.contains("unexpected right parenthesis"), "{e}");
        // Garbage and the wrong shapes are errors, never a panic.
        for body in [
            "",
            "<html>",
            r#"{"status":"success"}"#,
            r#"{"status":"success","data":{"resultType":"string","result":[1,"x"]}}"#,
            r#"{"status":"success","data":{"resultType":"vector","result":[{"value":[1,"one"]}]}}"#,
            r#"{"status":"success","data":{"resultType":"vector","result":[{"value":["x","1"]}]}}"#,
            r#"{"status":"success","data":{"resultType":"matrix","result":{"a":1}}}"#,
        ] {
            assert!(query_result(&ok(body)).is_err(), "{body}");
        }
    }

    #[test]
    fn values_in_the_unit_the_name_says() {
        assert_eq!(humanise("http_request_duration_seconds", 0.35), "350 ms");
        assert_eq!(humanise("http_request_duration_seconds_sum", 4.5), "4.5 s");
        assert_eq!(humanise("process_cpu_seconds_total", 7322.0), "2h2m2s");
        assert_eq!(humanise("go_gc_duration_seconds", 0.000_042), "42 µs");
        assert_eq!(
            humanise(
                "node_memory_MemAvailable_bytes",
                3.5 * 1024.0 * 1024.0 * 1024.0
            ),
            "3.5 GiB"
        );
        assert_eq!(humanise("container_fs_usage_bytes", 512.0), "512 B");
        assert_eq!(humanise("cache_hit_ratio", 0.9731), "97.31 %");
        assert_eq!(humanise("disk_used_percent", 81.5), "81.5 %");
        assert_eq!(humanise("up", 1.0), "1");
        assert_eq!(humanise("requests", 1234.5678), "1234.6");
        assert_eq!(humanise("x", f64::NAN), "NaN");
        assert_eq!(humanise("x", f64::NEG_INFINITY), "-Inf");
        assert_eq!(humanise("x", 0.0), "0");
    }
}
