//! Live query blocks of the step on screen: which source each asks, the
//! query with its values filled in, the last answer, when to ask again,
//! and which answer becomes an `evidence` event. Plain data and pure
//! functions; the runtime makes the requests (`Effect::Query`) and hands
//! the answers back (`Action::QueryAnswered`).
//!
//! Only the current step's blocks are kept: entering another step drops
//! them (an answer for a step no longer on screen is ignored), so nothing
//! is asked for a step nobody is looking at.

use crate::incident::evidence::{Asked, Evidence};
use crate::runbook::query::{self as rq, QueryLanguage};
use crate::runbook::{Runbook, Step};
use crate::status::query::{Answer, Ask, Queryable, pick_source};
use jiff::Timestamp;
use std::collections::BTreeMap;
use std::time::Duration;

/// What an answer is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    /// Only the screen.
    No,
    /// The first answer since the step was entered: written as evidence.
    First,
    /// A snapshot the responder asked for, with their comment: written
    /// as evidence whatever comes back (a failure too).
    Snapshot(Option<String>),
}

/// A query to make.
#[derive(Clone, Debug, PartialEq)]
pub struct QueryRequest {
    /// The incident it is for.
    pub incident: String,
    /// The step.
    pub step: String,
    /// The block's place among the step's query blocks.
    pub index: usize,
    /// The source to ask, by name.
    pub source: String,
    /// What to ask.
    pub ask: Ask,
    /// What the answer is for.
    pub record: Record,
    /// Which visit of the step asked (answers for older visits are dropped).
    pub visit: u64,
}

/// A query's answer, back from the runtime.
#[derive(Clone, Debug, PartialEq)]
pub struct QueryAnswered {
    /// The request it answers.
    pub request: QueryRequest,
    /// The answer (sanitized), or why there is none.
    pub result: Result<Answer, String>,
    /// The source asked to wait this long before the next request.
    pub retry_after: Option<Duration>,
}

/// One query block as the step pane shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct QueryView {
    /// Its language.
    pub language: QueryLanguage,
    /// The source it asks (`None`: no source can, so it is plain text).
    pub source: Option<String>,
    /// The query with its values, once they are all there.
    pub expr: Option<String>,
    /// Why it is not asked (a missing value, an unknown source).
    pub blocked: Option<String>,
    /// The chart's window.
    pub window: Duration,
    /// How often it is asked again (the source's interval).
    pub every: Duration,
    /// The newest answer.
    pub answer: Option<Answer>,
    /// When it came.
    pub answered_at: Option<Timestamp>,
    /// Why the newest request failed (the older answer, if any, stays).
    pub error: Option<String>,
    /// A request is out.
    pub in_flight: bool,
    /// When to ask again.
    pub due: Timestamp,
    /// This visit's first answer is in the timeline.
    pub recorded: bool,
}

impl QueryView {
    /// The block is live (a source answers it).
    pub fn is_live(&self) -> bool {
        self.source.is_some()
    }
}

/// The current step's query blocks.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QueryBoard {
    /// The step they belong to.
    pub step: Option<String>,
    /// Counts the visits (a new one each time the step changes).
    pub visit: u64,
    /// One per query block, in order.
    pub views: Vec<QueryView>,
    /// Snapshots asked for, waiting to be sent: (block, comment).
    pub snapshots: Vec<(usize, Option<String>)>,
}

/// What filling in a block needs.
pub struct Inputs<'a> {
    /// The incident.
    pub incident: &'a str,
    /// The runbook.
    pub runbook: &'a Runbook,
    /// The sources that can answer queries.
    pub sources: &'a [Queryable],
    /// The incident's variables.
    pub vars: &'a BTreeMap<String, String>,
    /// Its alert's labels, as `$NAME` placeholders.
    pub labels: &'a BTreeMap<String, String>,
    /// Now.
    pub now: Timestamp,
}

impl QueryBoard {
    /// Bring the board in line with the step on screen (`None`: none is,
    /// or queries must not run) and return the requests that are due.
    pub fn refresh(&mut self, step: Option<&Step>, inp: &Inputs<'_>) -> Vec<QueryRequest> {
        let Some(step) = step.filter(|s| s.queries().next().is_some()) else {
            if self.step.is_some() || !self.views.is_empty() {
                *self = QueryBoard {
                    visit: self.visit + 1,
                    ..QueryBoard::default()
                };
            }
            return Vec::new();
        };
        if self.step.as_deref() != Some(step.id.as_str()) {
            self.step = Some(step.id.clone());
            self.visit += 1;
            self.views.clear();
            self.snapshots.clear();
        }
        let blocks: Vec<rq::QueryBlock<'_>> = step.queries().collect();
        // A reloaded runbook may have more or fewer blocks.
        self.views.truncate(blocks.len());
        let mut out = Vec::new();
        for b in &blocks {
            let (source, blocked, every) = match pick_source(
                inp.sources,
                b.language,
                b.command.source.as_deref(),
                inp.runbook.query_source.as_deref(),
            ) {
                Ok(Some(s)) => (Some(s.name.clone()), None, s.interval),
                Ok(None) => (None, None, Duration::from_secs(30)),
                Err(why) => (None, Some(why), Duration::from_secs(30)),
            };
            let (expr, blocked) = match (&source, blocked) {
                (Some(_), None) => match rq::fill(&b.command.text, inp.vars, inp.labels) {
                    Ok(e) if e.trim().is_empty() => (None, Some("the query is empty".to_owned())),
                    Ok(e) => (Some(e), None),
                    Err(e) => (None, Some(e.to_string())),
                },
                (_, blocked) => (None, blocked),
            };
            if b.index >= self.views.len() {
                self.views.push(QueryView {
                    language: b.language,
                    source: None,
                    expr: None,
                    blocked: None,
                    window: b.window(),
                    every,
                    answer: None,
                    answered_at: None,
                    error: None,
                    in_flight: false,
                    due: inp.now,
                    recorded: false,
                });
            }
            let v = &mut self.views[b.index];
            if v.expr != expr || v.source != source || v.window != b.window() {
                // A value given, a source added: what was shown is another
                // query's answer, and one still out will be dropped.
                v.answer = None;
                v.answered_at = None;
                v.error = None;
                v.in_flight = false;
                v.due = inp.now;
                v.recorded = false;
            }
            v.language = b.language;
            v.source = source;
            v.expr = expr;
            v.blocked = blocked;
            v.window = b.window();
            v.every = every;
        }
        let snapshots = std::mem::take(&mut self.snapshots);
        for (i, v) in self.views.iter_mut().enumerate() {
            let (Some(source), Some(expr)) = (&v.source, &v.expr) else {
                continue;
            };
            let snapshot = snapshots.iter().find(|(s, _)| *s == i);
            if v.in_flight && snapshot.is_none() {
                continue;
            }
            let record = match snapshot {
                Some((_, comment)) => Record::Snapshot(comment.clone()),
                None if inp.now < v.due => continue,
                None if v.recorded => Record::No,
                None => Record::First,
            };
            v.in_flight = true;
            out.push(QueryRequest {
                incident: inp.incident.to_owned(),
                step: step.id.clone(),
                index: i,
                source: source.clone(),
                ask: Ask {
                    language: v.language,
                    expr: expr.clone(),
                    end: inp.now,
                    window: v.window,
                },
                record,
                visit: self.visit,
            });
        }
        out
    }

    /// Ask for a fresh snapshot of every live block (or one), recorded with
    /// `comment`. Returns how many blocks will be asked.
    pub fn snapshot(&mut self, only: Option<usize>, comment: Option<String>) -> usize {
        let live: Vec<usize> = self
            .views
            .iter()
            .enumerate()
            .filter(|(i, v)| v.expr.is_some() && v.source.is_some() && only.is_none_or(|o| o == *i))
            .map(|(i, _)| i)
            .collect();
        for &i in &live {
            self.snapshots.push((i, comment.clone()));
        }
        live.len()
    }

    /// Take an answer in; the evidence to write, if it is to be recorded.
    /// Answers for another step, visit or query are dropped.
    pub fn answered(&mut self, a: QueryAnswered, now: Timestamp) -> Option<Evidence> {
        let r = &a.request;
        if self.step.as_deref() != Some(r.step.as_str()) || self.visit != r.visit {
            return None;
        }
        let v = self.views.get_mut(r.index)?;
        if v.expr.as_deref() != Some(r.ask.expr.as_str())
            || v.source.as_deref() != Some(r.source.as_str())
        {
            return None;
        }
        v.in_flight = false;
        let wait = a.retry_after.map_or(v.every, |w| w.max(v.every));
        v.due = now
            .checked_add(jiff::SignedDuration::try_from(wait).unwrap_or_default())
            .unwrap_or(now);
        let asked = Asked {
            step: r.step.clone(),
            language: r.ask.language,
            query: r.ask.expr.clone(),
            source: r.source.clone(),
        };
        match a.result {
            Ok(answer) => {
                v.error = None;
                let evidence = match &r.record {
                    Record::First if !v.recorded => {
                        v.recorded = true;
                        Some(Evidence::of(asked, &answer, None))
                    }
                    Record::Snapshot(comment) => {
                        Some(Evidence::of(asked, &answer, comment.clone()))
                    }
                    _ => None,
                };
                v.answer = Some(answer);
                v.answered_at = Some(now);
                evidence
            }
            Err(e) => {
                v.error = Some(e.clone());
                match &r.record {
                    Record::Snapshot(comment) => {
                        Some(Evidence::failed(asked, r.ask.end, e, comment.clone()))
                    }
                    _ => None,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::Kind;
    use crate::status::query::Found;

    fn runbook() -> Runbook {
        crate::runbook::load(
            "q.md",
            b"# Q\n\n## Check\n\n```promql\nup{job=\"{{job}}\"}\n```\n",
            crate::runbook::Origin::Bundled,
        )
        .runbook
        .unwrap()
    }

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + s).unwrap()
    }

    /// A value changed while a request was out: the new query is asked at
    /// once, and the old answer, when it comes, is dropped.
    #[test]
    fn a_changed_value_is_asked_at_once_and_the_old_answer_dropped() {
        let rb = runbook();
        let sources = [Queryable {
            name: "prom".into(),
            kind: Kind::Prometheus,
            interval: Duration::from_secs(30),
        }];
        let labels = BTreeMap::new();
        let vars_a: BTreeMap<String, String> = [("job".to_owned(), "api".to_owned())].into();
        let vars_b: BTreeMap<String, String> = [("job".to_owned(), "web".to_owned())].into();
        let inputs = |vars, now| Inputs {
            incident: "i",
            runbook: &rb,
            sources: &sources,
            vars,
            labels: &labels,
            now,
        };
        let mut board = QueryBoard::default();
        let first = board.refresh(Some(&rb.steps[0]), &inputs(&vars_a, t(0)));
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].ask.expr, r#"up{job="api"}"#);
        // Out, nothing more to ask.
        assert!(
            board
                .refresh(Some(&rb.steps[0]), &inputs(&vars_a, t(1)))
                .is_empty()
        );
        let second = board.refresh(Some(&rb.steps[0]), &inputs(&vars_b, t(2)));
        assert_eq!(second.len(), 1, "asked again at once");
        assert_eq!(second[0].ask.expr, r#"up{job="web"}"#);
        let answer = |req: &QueryRequest| QueryAnswered {
            request: req.clone(),
            result: Ok(Answer {
                start: t(0),
                end: t(2),
                step: Duration::from_secs(15),
                found: Found::Lines {
                    lines: vec![],
                    count: Some(0),
                },
            }),
            retry_after: None,
        };
        assert!(
            board.answered(answer(&first[0]), t(3)).is_none(),
            "the old answer is dropped"
        );
        assert!(board.views[0].answer.is_none());
        let ev = board
            .answered(answer(&second[0]), t(4))
            .expect("the first answer is evidence");
        assert_eq!(ev.query, r#"up{job="web"}"#);
        // Rate limited: the next request waits for the server, not the interval.
        let third = board.refresh(Some(&rb.steps[0]), &inputs(&vars_b, t(40)));
        assert_eq!(third.len(), 1);
        let mut limited = answer(&third[0]);
        limited.result = Err("rate limited (HTTP 429)".into());
        limited.retry_after = Some(Duration::from_secs(120));
        assert!(board.answered(limited, t(41)).is_none());
        assert!(
            board
                .refresh(Some(&rb.steps[0]), &inputs(&vars_b, t(100)))
                .is_empty()
        );
        assert_eq!(
            board
                .refresh(Some(&rb.steps[0]), &inputs(&vars_b, t(162)))
                .len(),
            1
        );
        // Off screen: emptied, nothing asked.
        assert!(board.refresh(None, &inputs(&vars_b, t(200))).is_empty());
        assert!(board.views.is_empty());
    }
}
