//! Live queries of a runbook step (PromQL against a `prometheus` source,
//! LogQL against a `loki` source): what is asked, what came back, and the
//! rules that pick a source. The request itself is in `fetch::query`, the
//! parsing in `parse::promql` and `parse::loki`.

use super::parse::loki::LogLine;
use super::parse::promql::{QueryResult, Series};
use super::source::{Kind, SourceConfig};
use crate::util::sanitize;
use jiff::Timestamp;
use std::time::Duration;

/// The query languages a block can be written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QueryLanguage {
    /// PromQL (Prometheus, VictoriaMetrics, Thanos, Mimir…).
    Promql,
    /// LogQL (Loki).
    Logql,
}

impl QueryLanguage {
    /// The language of a fence's info string (`promql`, `PromQL`, `logql`).
    pub fn of(lang: Option<&str>) -> Option<QueryLanguage> {
        match lang?.to_ascii_lowercase().as_str() {
            "promql" => Some(QueryLanguage::Promql),
            "logql" => Some(QueryLanguage::Logql),
            _ => None,
        }
    }

    /// As written in a fence.
    pub fn as_str(self) -> &'static str {
        match self {
            QueryLanguage::Promql => "promql",
            QueryLanguage::Logql => "logql",
        }
    }

    /// Can a source of this kind answer it? (Other log back-ends would add
    /// a language and a kind here.)
    pub fn answered_by(self, kind: Kind) -> bool {
        matches!(
            (self, kind),
            (QueryLanguage::Promql, Kind::Prometheus) | (QueryLanguage::Logql, Kind::Loki)
        )
    }
}

impl std::fmt::Display for QueryLanguage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Can a source of this kind answer any query block?
pub fn answers_queries(kind: Kind) -> bool {
    [QueryLanguage::Promql, QueryLanguage::Logql]
        .iter()
        .any(|l| l.answered_by(kind))
}

/// What picking a source for a block needs to know of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Queryable {
    /// The source's name.
    pub name: String,
    /// Its kind.
    pub kind: Kind,
    /// Its poll interval: the fastest a block on it refreshes.
    pub interval: Duration,
}

impl From<&SourceConfig> for Queryable {
    fn from(s: &SourceConfig) -> Queryable {
        Queryable {
            name: s.name.clone(),
            kind: s.kind,
            interval: s.interval,
        }
    }
}

/// The source a block asks: the one it names, else the runbook's
/// `query_source`, else the first configured source that speaks its
/// language. A named source that does not exist or cannot answer is
/// `Err` with the reason; no source at all is `Ok(None)` (the block stays
/// plain text).
pub fn pick_source<'a>(
    sources: &'a [Queryable],
    language: QueryLanguage,
    named: Option<&str>,
    runbook_default: Option<&str>,
) -> Result<Option<&'a Queryable>, String> {
    let fits = |s: &&Queryable| language.answered_by(s.kind);
    if let Some(name) = named {
        return match sources.iter().find(|s| s.name == name) {
            Some(s) if fits(&s) => Ok(Some(s)),
            Some(s) => Err(format!(
                "source `{name}` is a {} source; a {language} block needs a {} source",
                s.kind,
                if language == QueryLanguage::Promql {
                    "prometheus"
                } else {
                    "loki"
                }
            )),
            None => Err(format!(
                "no source is named `{name}`: add it to the config's sources, or fix `source=`"
            )),
        };
    }
    if let Some(name) = runbook_default
        && let Some(s) = sources.iter().filter(fits).find(|s| s.name == name)
    {
        return Ok(Some(s));
    }
    Ok(sources.iter().find(fits))
}

/// The resolution of a chart over `window`: about 120 points, whole
/// seconds (30 minutes → 15 s).
pub fn step_for(window: Duration) -> Duration {
    Duration::from_secs((window.as_secs() / 120).max(1))
}

/// How many log lines are asked for.
pub const LOG_LINES: usize = 100;

/// One evaluation of a query block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ask {
    /// What it is written in.
    pub language: QueryLanguage,
    /// The query, variables filled in.
    pub expr: String,
    /// The end of the window (now).
    pub end: Timestamp,
    /// How far back the chart and the lines go.
    pub window: Duration,
}

impl Ask {
    /// The start of the window.
    pub fn start(&self) -> Timestamp {
        let w = jiff::SignedDuration::try_from(self.window).unwrap_or(jiff::SignedDuration::ZERO);
        self.end.checked_sub(w).unwrap_or(self.end)
    }

    /// The chart's resolution.
    pub fn step(&self) -> Duration {
        step_for(self.window)
    }
}

/// What a query found.
#[derive(Clone, Debug, PartialEq)]
pub enum Found {
    /// Series of numbers over the window (PromQL, or a LogQL metric query).
    Numbers(QueryResult),
    /// Log lines, newest first.
    Lines {
        /// The newest lines (at most [`LOG_LINES`]).
        lines: Vec<LogLine>,
        /// How many lines matched over the window (`None` when the count
        /// query failed).
        count: Option<u64>,
    },
}

/// The answer to one [`Ask`].
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    /// The window's start.
    pub start: Timestamp,
    /// The window's end.
    pub end: Timestamp,
    /// The chart's resolution.
    pub step: Duration,
    /// What came back, sanitized.
    pub found: Found,
}

impl Answer {
    /// Every text from the server made safe to draw and to write (labels,
    /// lines, warnings).
    pub fn sanitized(mut self) -> Answer {
        let clean_labels = |labels: &mut std::collections::BTreeMap<String, String>| {
            *labels = std::mem::take(labels)
                .into_iter()
                .map(|(k, v)| {
                    (
                        sanitize::line(&k).into_owned(),
                        sanitize::line(&v).into_owned(),
                    )
                })
                .collect();
        };
        match &mut self.found {
            Found::Numbers(r) => {
                for s in &mut r.series {
                    clean_labels(&mut s.labels);
                }
                for w in &mut r.warnings {
                    *w = sanitize::line(w).into_owned();
                }
            }
            Found::Lines { lines, .. } => {
                for l in lines {
                    clean_labels(&mut l.labels);
                    l.line = sanitize::line(&l.line).into_owned();
                }
            }
        }
        self
    }

    /// The series, when the answer is numbers.
    pub fn series(&self) -> &[Series] {
        match &self.found {
            Found::Numbers(r) => &r.series,
            Found::Lines { .. } => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::source::Spec;

    fn src(name: &str, spec: Spec) -> SourceConfig {
        SourceConfig::new(name, spec, "http://127.0.0.1:1/".parse().unwrap())
    }

    #[test]
    fn the_named_source_then_the_runbooks_then_the_first() {
        let sources: Vec<Queryable> = [
            src("site", Spec::Statuspage),
            src("prom-a", Spec::Prometheus { query: None }),
            src("prom-b", Spec::Prometheus { query: None }),
            src("logs", Spec::Loki { tenant: None }),
        ]
        .iter()
        .map(Queryable::from)
        .collect();
        let pick = |lang, named, default| {
            pick_source(&sources, lang, named, default).map(|s| s.map(|s| s.name.clone()))
        };
        use QueryLanguage::*;
        assert_eq!(pick(Promql, None, None), Ok(Some("prom-a".into())));
        assert_eq!(
            pick(Promql, None, Some("prom-b")),
            Ok(Some("prom-b".into()))
        );
        assert_eq!(
            pick(Promql, Some("prom-a"), Some("prom-b")),
            Ok(Some("prom-a".into()))
        );
        // A runbook default that cannot answer falls through to the first.
        assert_eq!(pick(Promql, None, Some("logs")), Ok(Some("prom-a".into())));
        assert_eq!(pick(Logql, None, None), Ok(Some("logs".into())));
        assert!(
            pick(Promql, Some("logs"), None)
                .unwrap_err()
                .contains("loki source")
        );
        assert!(
            pick(Promql, Some("nope"), None)
                .unwrap_err()
                .contains("no source is named `nope`")
        );
        assert!(matches!(
            pick_source(&sources[..1], Promql, None, None),
            Ok(None)
        ));
    }

    #[test]
    fn resolution_and_window() {
        assert_eq!(step_for(Duration::from_secs(1800)), Duration::from_secs(15));
        assert_eq!(step_for(Duration::from_secs(60)), Duration::from_secs(1));
        let ask = Ask {
            language: QueryLanguage::Promql,
            expr: "up".into(),
            end: Timestamp::from_second(1_800).unwrap(),
            window: Duration::from_secs(1800),
        };
        assert_eq!(ask.start(), Timestamp::UNIX_EPOCH);
    }

    #[test]
    fn answers_are_sanitized() {
        let a = Answer {
            start: Timestamp::UNIX_EPOCH,
            end: Timestamp::UNIX_EPOCH,
            step: Duration::from_secs(1),
            found: Found::Lines {
                lines: vec![LogLine {
                    at: Timestamp::UNIX_EPOCH,
                    labels: [("app".to_owned(), "x\x1b]52;c;aGk=\x07".to_owned())].into(),
                    line: "boom \x1b[2J\x1b]0;pwned\x07".into(),
                }],
                count: Some(1),
            },
        }
        .sanitized();
        let Found::Lines { lines, .. } = &a.found else {
            unreachable!()
        };
        assert!(!lines[0].line.contains('\x1b'), "{:?}", lines[0].line);
        assert!(!lines[0].labels["app"].contains('\x1b'));
        assert!(!lines[0].labels["app"].contains('\x07'));
    }
}
