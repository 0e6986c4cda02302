//! One task per source, each polling on its own schedule and sending owned
//! [`Update`]s down a channel (after bottom's collection thread: a control
//! channel for "poll now", exit when the receiver is gone).
//!
//! A hung or slow source only delays itself: every task has its own
//! deadline per request, and the UI never waits on a task. After a failure
//! the next poll backs off exponentially with jitter (from the interval up
//! to 8× it, at most 5 minutes unless the interval is longer), and never
//! sooner than a `Retry-After` or rate-limit reset asked for.

use super::fetch::{self, Clients, Options};
use super::source::SourceConfig;
use super::{Call, Reply, Snapshot, Update};
use backon::{BackoffBuilder, ExponentialBuilder};
use futures_util::FutureExt;
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

/// Which sources to poll now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PollTarget {
    /// Every source.
    All,
    /// The source with this name.
    One(String),
}

#[derive(Debug)]
enum Control {
    PollNow,
    /// Make this call, answer on the sender, then poll (so the screen
    /// shows what it changed).
    Call(Call, oneshot::Sender<Reply>),
}

/// Calls asked for while a poll was running, made right after it.
type Queued = Vec<(Call, oneshot::Sender<Reply>)>;

/// Owns the source tasks: ask them to poll now, or stop them. Dropping the
/// handle stops them too.
#[derive(Debug)]
pub struct StatusHandle {
    controls: Vec<(String, mpsc::Sender<Control>)>,
    tasks: JoinSet<()>,
}

impl StatusHandle {
    /// Poll one source (by name) or all of them now, without waiting for
    /// the interval. Returns false when no source has that name. A source
    /// already polling finishes that poll instead.
    pub fn poll_now(&self, target: &PollTarget) -> bool {
        let mut found = false;
        for (name, tx) in &self.controls {
            if matches!(target, PollTarget::All)
                || matches!(target, PollTarget::One(n) if n == name)
            {
                found = true;
                // A full queue means a poll-now is already waiting: nothing to add.
                let _ = tx.try_send(Control::PollNow);
            }
        }
        found
    }

    /// Ask the source `name`'s task to make `call` (it holds the token);
    /// the answer comes on the returned receiver. `Err` says why it cannot
    /// be asked (no such source, or it is busy with other calls).
    pub fn call(&self, name: &str, call: Call) -> Result<oneshot::Receiver<Reply>, String> {
        let Some((_, tx)) = self.controls.iter().find(|(n, _)| n == name) else {
            return Err(format!("no status source named `{name}` is polled"));
        };
        let (reply_tx, reply_rx) = oneshot::channel();
        match tx.try_send(Control::Call(call, reply_tx)) {
            Ok(()) => Ok(reply_rx),
            Err(mpsc::error::TrySendError::Full(_)) => Err(format!(
                "source `{name}` is busy with earlier calls: try again in a moment"
            )),
            Err(mpsc::error::TrySendError::Closed(_)) => {
                Err(format!("source `{name}` has stopped"))
            }
        }
    }

    /// The names of the polled sources, in config order.
    pub fn sources(&self) -> impl Iterator<Item = &str> {
        self.controls.iter().map(|(n, _)| n.as_str())
    }

    /// How many source tasks are still running (a task ends when the update
    /// receiver is gone).
    pub fn running(&mut self) -> usize {
        while self.tasks.try_join_next().is_some() {}
        self.tasks.len()
    }

    /// Stop every task now (in-flight requests are dropped) and wait until
    /// they are gone.
    pub async fn shutdown(mut self) {
        self.controls.clear();
        self.tasks.abort_all();
        while self.tasks.join_next().await.is_some() {}
    }
}

/// Start one polling task per source (simulated sources are skipped: their
/// updates come from elsewhere). Must be called inside a tokio runtime.
pub fn spawn(sources: Vec<SourceConfig>, tx: mpsc::Sender<Update>) -> StatusHandle {
    spawn_with(sources, tx, Options::default())
}

/// [`spawn`] with explicit HTTP options.
pub fn spawn_with(
    sources: Vec<SourceConfig>,
    tx: mpsc::Sender<Update>,
    opts: Options,
) -> StatusHandle {
    let clients = Clients::new();
    if let Err(e) = &clients {
        tracing::error!("cannot build the HTTP client: {e}");
    }
    let mut tasks = JoinSet::new();
    let mut controls = Vec::with_capacity(sources.len());
    for src in sources
        .into_iter()
        .filter(|s| s.kind != super::Kind::Simulated)
    {
        let (ctl_tx, ctl_rx) = mpsc::channel(CONTROL_QUEUE);
        controls.push((src.name.clone(), ctl_tx));
        tasks.spawn(run_source(src, clients.clone(), tx.clone(), ctl_rx, opts));
    }
    StatusHandle { controls, tasks }
}

/// Poll-now requests and calls waiting for a source's task.
const CONTROL_QUEUE: usize = 8;

/// The delays between polls after consecutive failures.
fn failure_backoff(interval: Duration) -> impl Iterator<Item = Duration> {
    let cap = interval.max((interval * 8).min(Duration::from_secs(300)));
    ExponentialBuilder::new()
        .with_min_delay(interval)
        .with_max_delay(cap)
        .with_jitter()
        .without_max_times()
        .build()
}

/// Wait for `fut` while answering the control channel (calls wait in
/// `queued`); `None` when the task should stop (the handle is gone).
async fn or_stop<T>(
    fut: impl Future<Output = T>,
    ctl: &mut mpsc::Receiver<Control>,
    queued: &mut Queued,
) -> Option<T> {
    tokio::pin!(fut);
    loop {
        tokio::select! {
            v = &mut fut => return Some(v),
            c = ctl.recv() => match c {
                // Already busy with exactly that.
                Some(Control::PollNow) => {}
                Some(Control::Call(call, reply)) => queued.push((call, reply)),
                None => return None,
            },
        }
    }
}

/// Make the queued calls, one at a time, answering each.
async fn make_calls(
    src: &SourceConfig,
    clients: &Result<Clients, String>,
    queued: &mut Queued,
    opts: Options,
) {
    for (call, reply) in queued.drain(..) {
        let outcome = async {
            let clients = clients
                .as_ref()
                .map_err(|e| super::PollError::Client(e.clone()))?;
            let token = src.credential.resolve().map_err(super::PollError::Token)?;
            fetch::perform(src, clients, token.as_ref(), &call, opts).await
        };
        let outcome = std::panic::AssertUnwindSafe(outcome)
            .catch_unwind()
            .await
            .unwrap_or_else(|_| {
                Err(super::PollError::Request(
                    "internal error (see the diagnostics log)".into(),
                ))
            })
            .map_err(|e| {
                let mut text = e.to_string();
                if let Ok(Some(t)) = src.credential.resolve() {
                    let t = t.expose_secret();
                    if t.len() >= 8 {
                        text = text.replace(t, "[redacted]");
                    }
                }
                text
            });
        match &outcome {
            Ok(said) => tracing::info!(source = %src.name, call = call.name(), "call made: {said}"),
            Err(e) => tracing::warn!(source = %src.name, call = call.name(), "call failed: {e}"),
        }
        // Nobody waiting any more (the app quit): nothing to tell.
        let _ = reply.send(outcome);
    }
}

async fn run_source(
    src: SourceConfig,
    clients: Result<Clients, String>,
    tx: mpsc::Sender<Update>,
    mut ctl: mpsc::Receiver<Control>,
    opts: Options,
) {
    let mut last_good: Option<Snapshot> = None;
    let mut backoff = failure_backoff(src.interval);
    let mut memo = fetch::Memo::default();
    let mut queued: Queued = Vec::new();
    loop {
        let poll = async {
            let clients = clients
                .as_ref()
                .map_err(|e| super::PollError::Client(e.clone()))?;
            let token = src.credential.resolve().map_err(super::PollError::Token)?;
            let result = fetch::poll(&src, clients, token.as_ref(), opts, &mut memo).await;
            Ok::<_, super::PollError>((result?, token))
        };
        // A bug in a parser must not silence the source: report it like any failure.
        let poll = std::panic::AssertUnwindSafe(poll).catch_unwind();
        let Some(result) = or_stop(poll, &mut ctl, &mut queued).await else {
            return;
        };
        let result = result.unwrap_or_else(|_| {
            tracing::error!(source = %src.name, "panic while polling");
            Err(super::PollError::Request(
                "internal error while polling (see the diagnostics log)".into(),
            ))
        });
        let now = jiff::Timestamp::now();
        let (snapshot, next) = match result {
            Ok((out, token)) => {
                let mut snap =
                    Snapshot::from_reading(&src.name, src.kind, out.reading, now, out.latency);
                if let Some(t) = &token {
                    redact(&mut snap, t);
                }
                last_good = Some(snap.clone());
                backoff = failure_backoff(src.interval);
                let next = out.wait.map_or(src.interval, |w| w.max(src.interval));
                (snap, next)
            }
            Err(e) => {
                let mut snap =
                    Snapshot::failed(&src.name, src.kind, last_good.as_ref(), &e.to_string(), now);
                if let Ok(Some(t)) = src.credential.resolve() {
                    redact(&mut snap, &t);
                }
                let delay = backoff.next().unwrap_or(src.interval);
                let next = match e.retry_after() {
                    Some(ra) => delay.max(
                        ra.clamp(super::ratelimit::WAIT_FLOOR, super::ratelimit::WAIT_CEILING),
                    ),
                    None => delay,
                };
                (snap, next)
            }
        };
        match &snapshot.error {
            Some(e) => {
                tracing::warn!(source = %src.name, state = %snapshot.state, "poll failed: {e}")
            }
            None => {
                tracing::debug!(source = %src.name, state = %snapshot.state, summary = %snapshot.summary, "polled")
            }
        }
        match or_stop(tx.send(Update::new(snapshot)), &mut ctl, &mut queued).await {
            Some(Ok(())) => {}
            // Stopped, or the receiver is gone: nobody is listening.
            Some(Err(_)) | None => return,
        }
        if !queued.is_empty() {
            // Asked for during the poll: made now, then polled again.
            make_calls(&src, &clients, &mut queued, opts).await;
            continue;
        }
        tokio::select! {
            () = tokio::time::sleep(next) => {}
            () = tx.closed() => return,
            c = ctl.recv() => match c {
                Some(Control::PollNow) => {}
                Some(Control::Call(call, reply)) => {
                    queued.push((call, reply));
                    make_calls(&src, &clients, &mut queued, opts).await;
                }
                None => return,
            },
        }
    }
}

/// Belt and braces: should a server echo the token back in an error or a
/// name, it does not reach the screen.
fn redact(s: &mut Snapshot, token: &SecretString) {
    let t = token.expose_secret();
    if t.len() < 8 {
        return;
    }
    let fix = |x: &mut String| {
        if x.contains(t) {
            *x = x.replace(t, "[redacted]");
        }
    };
    fix(&mut s.summary);
    if let Some(e) = &mut s.error {
        fix(e);
    }
    for i in &mut s.items {
        fix(&mut i.name);
        fix(&mut i.detail);
        if let Some(u) = &mut i.url {
            fix(u);
        }
    }
}
