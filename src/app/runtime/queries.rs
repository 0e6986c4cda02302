//! Making a step's queries: one short task per request, owning a copy of
//! its source's config, at most [`IN_FLIGHT`] at a time. Every request is
//! answered (`Action::QueryAnswered`), a failure too, so the step pane
//! never waits for an answer that will not come.

use crate::app::action::Action;
use crate::app::evidence::{QueryAnswered, QueryRequest};
use crate::status::SourceConfig;
use crate::status::fetch::{self, Clients, Options};
use futures_util::FutureExt;
use secrecy::ExposeSecret;
use std::sync::Arc;
use tokio::sync::{Semaphore, mpsc};

/// Queries running at once (more wait their turn).
pub(super) const IN_FLIGHT: usize = 4;

/// What the tasks need: the sources that answer queries, one HTTP client.
pub(super) struct QueryRunner {
    sources: Vec<SourceConfig>,
    clients: Result<Clients, String>,
    slots: Arc<Semaphore>,
}

impl QueryRunner {
    pub(super) fn new(sources: &[SourceConfig]) -> QueryRunner {
        let sources: Vec<SourceConfig> = sources
            .iter()
            .filter(|s| crate::status::query::answers_queries(s.kind))
            .cloned()
            .collect();
        let clients = if sources.is_empty() {
            Err("no source answers queries".to_owned())
        } else {
            Clients::new()
        };
        QueryRunner {
            sources,
            clients,
            slots: Arc::new(Semaphore::new(IN_FLIGHT)),
        }
    }

    /// Make `request` in a task; the answer goes to `tx`.
    pub(super) fn run(&self, request: QueryRequest, tx: &mpsc::UnboundedSender<Action>) {
        let source = self
            .sources
            .iter()
            .find(|s| s.name == request.source)
            .cloned();
        let clients = self.clients.clone();
        let slots = self.slots.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            let (result, retry_after) = match source {
                None => (
                    Err(format!(
                        "no source named `{}` answers queries",
                        request.source
                    )),
                    None,
                ),
                Some(src) => {
                    let _slot = slots.acquire_owned().await;
                    ask(&src, clients, &request).await
                }
            };
            let _ = tx.send(Action::QueryAnswered(Box::new(QueryAnswered {
                request,
                result,
                retry_after,
            })));
        });
    }
}

/// One query, its token read when it is made; errors never carry the token.
async fn ask(
    src: &SourceConfig,
    clients: Result<Clients, String>,
    request: &QueryRequest,
) -> (
    Result<crate::status::query::Answer, String>,
    Option<std::time::Duration>,
) {
    let work = async {
        let clients = clients.map_err(crate::status::PollError::Client)?;
        let token = src
            .credential
            .resolve()
            .map_err(crate::status::PollError::Token)?;
        fetch::query(
            src,
            &clients,
            token.as_ref(),
            Options::default(),
            &request.ask,
        )
        .await
    };
    let got = std::panic::AssertUnwindSafe(work)
        .catch_unwind()
        .await
        .unwrap_or_else(|_| {
            tracing::error!(source = %src.name, "panic while querying");
            Err(crate::status::PollError::Request(
                "internal error (see the diagnostics log)".into(),
            ))
        });
    match got {
        Ok(a) => (Ok(a), None),
        Err(e) => {
            let retry = e.retry_after();
            let mut text = e.to_string();
            if let Ok(Some(t)) = src.credential.resolve() {
                let t = t.expose_secret();
                if t.len() >= 8 {
                    text = text.replace(t, "[redacted]");
                }
            }
            tracing::warn!(source = %src.name, "query failed: {text}");
            (Err(crate::util::sanitize::line(&text).into_owned()), retry)
        }
    }
}
