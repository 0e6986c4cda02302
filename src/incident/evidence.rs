//! Evidence: what a step's live query showed, as written to the timeline
//! (`evidence` events). Numbers stay numbers (JSON numbers with their
//! labels; `NaN` and `±Inf`, which JSON cannot hold, are `null`), log
//! lines stay lines; large answers are cut with a note saying what was
//! left out, so one event stays a few tens of kilobytes at most.

use crate::status::query::{Answer, Found, QueryLanguage};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// At most this many series are kept.
pub const MAX_SERIES: usize = 20;
/// At most this many samples per series are kept (the newest).
pub const MAX_SAMPLES: usize = 240;
/// At most this many log lines are kept (the newest).
pub const MAX_LINES: usize = 50;
/// A log line longer than this is cut.
pub const MAX_LINE_CHARS: usize = 1000;

/// One series as recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvidenceSeries {
    /// Its labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// `[unix seconds, value]`, oldest first; `null` for NaN and ±Inf.
    #[serde(default)]
    pub samples: Vec<(f64, Option<f64>)>,
}

/// One log line as recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvidenceLine {
    /// When it was logged.
    pub at: Timestamp,
    /// Its stream's labels.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// The line (sanitized).
    pub line: String,
}

/// What a query showed, at one moment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// The step it belongs to.
    pub step: String,
    /// The query's language.
    pub language: QueryLanguage,
    /// The query as sent (variables filled in).
    pub query: String,
    /// The source that answered.
    pub source: String,
    /// The window's start.
    pub start: Timestamp,
    /// The window's end (when it was asked).
    pub end: Timestamp,
    /// The resolution of the samples, in seconds.
    pub step_seconds: u64,
    /// The series (numbers).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub series: Vec<EvidenceSeries>,
    /// The newest log lines.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<EvidenceLine>,
    /// How many lines matched over the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// What was left out because it was large.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncated: Option<String>,
    /// Why the query failed (a snapshot of a failing query).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What the responder said about it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// What the query was: everything but the answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Asked {
    /// The step.
    pub step: String,
    /// The language.
    pub language: QueryLanguage,
    /// The query as sent.
    pub query: String,
    /// The source.
    pub source: String,
}

impl Evidence {
    /// The evidence of an answer (already sanitized), cut to size.
    pub fn of(asked: Asked, answer: &Answer, comment: Option<String>) -> Evidence {
        let mut cut = Vec::new();
        let mut series = Vec::new();
        let mut lines = Vec::new();
        let mut count = None;
        match &answer.found {
            Found::Numbers(r) => {
                if r.series.len() > MAX_SERIES {
                    cut.push(format!("{} of {} series kept", MAX_SERIES, r.series.len()));
                }
                let mut long = false;
                for s in r.series.iter().take(MAX_SERIES) {
                    let skip = s.samples.len().saturating_sub(MAX_SAMPLES);
                    long |= skip > 0;
                    series.push(EvidenceSeries {
                        labels: s.labels.clone(),
                        samples: s.samples[skip..]
                            .iter()
                            .map(|(t, v)| (seconds(*t), v.is_finite().then_some(*v)))
                            .collect(),
                    });
                }
                if long {
                    cut.push(format!(
                        "the newest {MAX_SAMPLES} samples of each series kept"
                    ));
                }
            }
            Found::Lines {
                lines: all,
                count: c,
            } => {
                count = *c;
                if all.len() > MAX_LINES {
                    cut.push(format!(
                        "the newest {MAX_LINES} of {} lines kept",
                        all.len()
                    ));
                }
                let mut long = false;
                for l in all.iter().take(MAX_LINES) {
                    let mut line = l.line.clone();
                    if line.chars().count() > MAX_LINE_CHARS {
                        long = true;
                        line = line.chars().take(MAX_LINE_CHARS).collect();
                        line.push('…');
                    }
                    lines.push(EvidenceLine {
                        at: l.at,
                        labels: l.labels.clone(),
                        line,
                    });
                }
                if long {
                    cut.push(format!("lines over {MAX_LINE_CHARS} characters cut"));
                }
            }
        }
        Evidence {
            step: asked.step,
            language: asked.language,
            query: asked.query,
            source: asked.source,
            start: answer.start,
            end: answer.end,
            step_seconds: answer.step.as_secs(),
            series,
            lines,
            count,
            truncated: (!cut.is_empty()).then(|| cut.join("; ")),
            error: None,
            comment: comment.filter(|c| !c.trim().is_empty()),
        }
    }

    /// The evidence of a query that failed (only snapshots record these).
    pub fn failed(asked: Asked, at: Timestamp, error: String, comment: Option<String>) -> Evidence {
        Evidence {
            step: asked.step,
            language: asked.language,
            query: asked.query,
            source: asked.source,
            start: at,
            end: at,
            step_seconds: 0,
            series: Vec::new(),
            lines: Vec::new(),
            count: None,
            truncated: None,
            error: Some(error),
            comment: comment.filter(|c| !c.trim().is_empty()),
        }
    }

    /// The newest value of each series.
    pub fn latest(&self) -> impl Iterator<Item = (&BTreeMap<String, String>, Option<f64>)> {
        self.series
            .iter()
            .filter_map(|s| Some((&s.labels, s.samples.last()?.1)))
    }

    /// One line for the log pane and timelines.
    pub fn describe(&self) -> String {
        let mut out = format!("evidence ({}): {}", self.source, one_line(&self.query, 80));
        if let Some(e) = &self.error {
            out.push_str(&format!(" — failed: {e}"));
        } else if self.language == QueryLanguage::Logql && self.series.is_empty() {
            let n = self.count.unwrap_or(self.lines.len() as u64);
            out.push_str(&format!(" — {n} line{}", if n == 1 { "" } else { "s" }));
            if let Some(l) = self.lines.first() {
                out.push_str(&format!(", newest: {}", one_line(&l.line, 60)));
            }
        } else {
            match self.series.len() {
                0 => out.push_str(" — no data"),
                1 => match self.latest().next() {
                    Some((_, Some(v))) => out.push_str(&format!(" = {}", number(v))),
                    Some((_, None)) => out.push_str(" = NaN"),
                    None => out.push_str(" — no samples"),
                },
                n => out.push_str(&format!(" — {n} series")),
            }
        }
        if let Some(c) = &self.comment {
            out.push_str(&format!(" · “{}”", one_line(c, 80)));
        }
        out
    }
}

/// Unix seconds with the fraction.
fn seconds(t: Timestamp) -> f64 {
    t.as_second() as f64 + f64::from(t.subsec_nanosecond()) / 1e9
}

/// A number as people read it: up to 4 significant decimals, no trailing zeros.
pub fn number(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e15 {
        return format!("{v:.0}");
    }
    let s = if v.abs() >= 100.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.4}")
    };
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_owned()
}

fn one_line(s: &str, max: usize) -> String {
    let flat: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        let mut t: String = flat.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::parse::loki::LogLine;
    use crate::status::parse::promql::{QueryResult, Series, Shape};
    use std::time::Duration;

    fn asked(lang: QueryLanguage) -> Asked {
        Asked {
            step: "check".into(),
            language: lang,
            query: "sum(rate(x[5m]))".into(),
            source: "prom".into(),
        }
    }

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(s).unwrap()
    }

    #[test]
    fn numbers_stay_numbers_and_big_answers_are_cut() {
        let series: Vec<Series> = (0..25)
            .map(|i| Series {
                labels: [("pod".to_owned(), format!("api-{i}"))].into(),
                samples: (0..300)
                    .map(|k| {
                        (
                            t(1_000 + k * 15),
                            if k == 299 { f64::NAN } else { k as f64 / 2.0 },
                        )
                    })
                    .collect(),
            })
            .collect();
        let answer = Answer {
            start: t(1_000),
            end: t(1_000 + 299 * 15),
            step: Duration::from_secs(15),
            found: Found::Numbers(QueryResult {
                shape: Shape::Matrix,
                series,
                warnings: vec![],
            }),
        };
        let e = Evidence::of(asked(QueryLanguage::Promql), &answer, Some("  ".into()));
        assert_eq!(e.series.len(), MAX_SERIES);
        assert_eq!(e.series[0].samples.len(), MAX_SAMPLES);
        assert_eq!(e.series[0].samples.last().unwrap().1, None);
        assert_eq!(e.series[0].samples[0].1, Some(30.0));
        let cut = e.truncated.clone().unwrap();
        assert!(cut.contains("20 of 25 series"), "{cut}");
        assert!(cut.contains("newest 240 samples"), "{cut}");
        assert_eq!(e.comment, None);
        // JSON numbers, null for NaN, and it reads back.
        let json = serde_json::to_string(&e).unwrap();
        assert!(json.contains(r#"[5485.0,null]"#), "{}", &json[..200]);
        assert!(json.contains(r#"[1900.0,30.0]"#));
        let back: Evidence = serde_json::from_str(&json).unwrap();
        assert_eq!(back, e);
        assert_eq!(
            e.describe(),
            "evidence (prom): sum(rate(x[5m])) — 20 series"
        );
    }

    #[test]
    fn lines_are_cut_and_described() {
        let lines: Vec<LogLine> = (0..60)
            .map(|i| LogLine {
                at: t(2_000 - i),
                labels: BTreeMap::new(),
                line: if i == 0 {
                    "x".repeat(1500)
                } else {
                    format!("line {i}")
                },
            })
            .collect();
        let answer = Answer {
            start: t(0),
            end: t(2_000),
            step: Duration::from_secs(15),
            found: Found::Lines {
                lines,
                count: Some(1234),
            },
        };
        let e = Evidence::of(
            asked(QueryLanguage::Logql),
            &answer,
            Some("after the deploy".into()),
        );
        assert_eq!(e.lines.len(), MAX_LINES);
        assert_eq!(e.lines[0].line.chars().count(), MAX_LINE_CHARS + 1);
        assert!(e.truncated.as_deref().unwrap().contains("50 of 60 lines"));
        assert!(e.describe().contains("1234 lines"));
        assert!(e.describe().ends_with("· “after the deploy”"));
    }

    #[test]
    fn one_value_and_failures() {
        let answer = Answer {
            start: t(0),
            end: t(60),
            step: Duration::from_secs(1),
            found: Found::Numbers(QueryResult {
                shape: Shape::Matrix,
                series: vec![Series {
                    labels: BTreeMap::new(),
                    samples: vec![(t(60), 0.123456)],
                }],
                warnings: vec![],
            }),
        };
        let e = Evidence::of(asked(QueryLanguage::Promql), &answer, None);
        assert_eq!(e.describe(), "evidence (prom): sum(rate(x[5m])) = 0.1235");
        let f = Evidence::failed(asked(QueryLanguage::Promql), t(5), "timeout".into(), None);
        assert!(f.describe().ends_with("— failed: timeout"));
        assert_eq!(number(3.0), "3");
        assert_eq!(number(1234.5678), "1234.57");
        assert_eq!(number(0.5), "0.5");
    }
}
