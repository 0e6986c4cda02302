//! The runtime: one `tokio::select!` loop over terminal events, actions from
//! background tasks, a 1 Hz clock and shutdown signals. Each action goes
//! through `update`; the effects it returns are carried out here (the only
//! place that does I/O for the app); the screen is redrawn only when
//! something changed, so an idle Mayday uses next to no CPU.

mod effects;

use effects::{Background, run_effects};
mod inbox;
pub mod io;
mod live;
mod queries;
pub mod terminal;

use crate::app::action::{Action, Effect, Notice};
use crate::app::settings::{Preset, Settings};
use crate::app::state::State;
use crate::app::{update, view};
use crate::config::Config;
use crate::runbook::library::Library;
use crate::ui::keymap::Keymap;
use crate::ui::theme::{Theme, ThemeSources};
use anyhow::{Context, Result, bail};
use crossterm::event::{Event as TermEvent, EventStream, KeyEventKind};
use futures_util::StreamExt;
use io::IncidentIo;
use jiff::Timestamp;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

/// What the TUI was asked to do on the command line.
#[derive(Debug, Default, Clone)]
pub struct Options {
    /// `--config`: the config file to read instead of the default one.
    pub config: Option<PathBuf>,
    /// Where runbooks and game-day scenarios are loaded from.
    pub sources: crate::runbook::library::Sources,
    /// Where incident logs and the diagnostics log live.
    pub data_dir: PathBuf,
    /// `--theme`: overrides the config's theme.
    pub theme: Option<String>,
    /// `--dry-run`: log commands as dry runs, execute nothing.
    pub dry_run: bool,
    /// Values given on the command line (not asked again).
    pub preset: Preset,
    /// `mayday start ID`.
    pub start: Option<String>,
    /// `mayday resume [ID]`: `Some(None)` resumes the newest open incident.
    pub resume: Option<Option<String>>,
    /// `mayday gameday [SCENARIO]`: `Some(None)` opens the picker on the game days.
    pub gameday: Option<Option<String>>,
    /// `mayday review [ID]`: `Some(None)` reviews the newest incident.
    pub review: Option<Option<String>>,
}

/// Send diagnostics to `<data dir>/mayday.log` (never to the screen).
/// Level from `MAYDAY_LOG` (default `info`). A data directory that cannot
/// hold the file (read-only, `mayday.log` a directory, a full disk) turns
/// the file log off with the reason, never stops the program.
fn init_tracing(
    dir: &std::path::Path,
) -> Result<tracing_appender::non_blocking::WorkerGuard, String> {
    let path = dir.join("mayday.log");
    let file = std::fs::create_dir_all(dir)
        .and_then(|()| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
        })
        .map_err(|e| format!("the diagnostics log {} is off: {e}", path.display()))?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    let filter = tracing_subscriber::EnvFilter::try_from_env("MAYDAY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .map_err(|e| format!("the diagnostics log is off: {e}"))?;
    Ok(guard)
}

/// The OS user, for the responder's default handle.
pub fn os_user() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()))
        .or_else(passwd_name)
        .unwrap_or_else(|| format!("uid-{}", rustix::process::getuid().as_raw()))
}

/// The login name of this process's user from the password database (for
/// environments with no `USER`, such as cron or a bare `env -i`).
fn passwd_name() -> Option<String> {
    let uid = rustix::process::getuid().as_raw();
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as libc::c_char; 4096];
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: `pwd`, `buf` and `result` outlive the call; `getpwuid_r`
    // writes only within `buf`'s length and sets `result` to `&pwd` or null.
    let rc = unsafe { libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut result) };
    if rc != 0 || result.is_null() || pwd.pw_name.is_null() {
        return None;
    }
    // SAFETY: on success `pw_name` points to a NUL-terminated string in `buf`.
    let name = unsafe { std::ffi::CStr::from_ptr(pwd.pw_name) };
    Some(name.to_string_lossy().into_owned()).filter(|n| !n.is_empty())
}

/// Run the TUI until the user quits.
pub fn run(opts: Options) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(main_loop(opts))
}

async fn main_loop(opts: Options) -> Result<()> {
    let data_dir = opts.data_dir.clone();
    let log_guard = init_tracing(&data_dir);
    tracing::info!("mayday {} starting", env!("CARGO_PKG_VERSION"));

    let mut notices = Vec::new();
    let _log_guard = match log_guard {
        Ok(g) => Some(g),
        Err(why) => {
            notices.push(Notice::warning(why));
            None
        }
    };
    let config = match Config::load_with(opts.config.as_deref(), true) {
        Ok(c) => {
            for d in &c.skipped_sources {
                notices.push(Notice::warning(format!(
                    "config: {d} — this source is skipped; the others poll"
                )));
            }
            c
        }
        Err(e) => {
            notices.push(Notice::error(format!(
                "config: {e} — running with defaults"
            )));
            Config::default()
        }
    };
    // Tokens leave the environment before any task could read it or any
    // command could inherit a way to it.
    crate::status::capture_env_tokens(&config.sources);
    let library = Library::load(&opts.sources);
    let failed: std::collections::BTreeSet<&str> =
        library.failures.iter().map(|d| d.path.as_str()).collect();
    if !failed.is_empty() {
        notices.push(Notice::warning(format!(
            "{} runbook file(s) could not be loaded (first: {}) — run `mayday lint` for details",
            failed.len(),
            failed.iter().next().copied().unwrap_or("")
        )));
    }
    for d in &library.dir_errors {
        notices.push(Notice::warning(d.to_string()));
    }
    let theme_name = opts
        .theme
        .clone()
        .or_else(|| config.theme.clone())
        .unwrap_or_else(|| crate::ui::theme::DEFAULT.to_owned());
    let (mut theme, theme_warnings) = Theme::load(&theme_name, &ThemeSources::from_platform());
    for w in theme_warnings {
        notices.push(Notice::warning(format!(
            "theme: {}",
            w.to_string().replace('\n', " ")
        )));
    }
    let (keymap, key_warnings) = Keymap::with_overrides(&config.keys);
    for w in key_warnings {
        notices.push(Notice::warning(format!(
            "config: {}",
            w.to_string().replace('\n', " ")
        )));
    }
    let settings = Settings {
        status_update_every: config.status_update_every,
        alert_severity: config.alert_severity.clone(),
        default_responder: config.responder.clone().unwrap_or_else(os_user),
        dry_run: opts.dry_run,
        command_timeout: config.command_timeout,
        // What the confirmation shows: the shell that will really run.
        shell: crate::exec::plan_shell(&config.shell).label(),
        preset: opts.preset.clone(),
        writable: config
            .sources
            .iter()
            .filter_map(|src| Some((src.name.clone(), crate::app::settings::Writable::of(src)?)))
            .collect(),
        queryable: Vec::new(),
    };
    let library = Arc::new(library);

    // Decide what to open before taking over the screen, so mistakes on the
    // command line are plain error messages.
    let start_runbook = match &opts.start {
        Some(id) => match library.find(id) {
            Some(rb) => Some(rb.clone()),
            None => bail!("{}", library.not_found(id)),
        },
        None => None,
    };
    // `--var` names the runbook does not declare are typing mistakes: a
    // value that silently goes nowhere is worse than an error.
    if let Some(rb) = &start_runbook {
        let unknown: Vec<&str> = opts
            .preset
            .variables
            .keys()
            .map(String::as_str)
            .filter(|k| !rb.variables.iter().any(|v| v.name == *k))
            .collect();
        if !unknown.is_empty() {
            let known: Vec<&str> = rb.variables.iter().map(|v| v.name.as_str()).collect();
            bail!(
                "`{}` declares no variable {} (it has: {})",
                rb.id,
                unknown
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            );
        }
    }
    let (gamedays, gameday_problems) = crate::gameday::load_all(&opts.sources);
    for d in &gameday_problems {
        tracing::warn!("{d}");
    }
    if let Some(first) = gameday_problems.iter().find(|d| d.is_error()) {
        notices.push(Notice::warning(format!(
            "{} game-day file(s) could not be loaded (first: {}:{}) — run `mayday gameday --list`",
            gameday_problems.iter().filter(|d| d.is_error()).count(),
            first.path,
            first.line
        )));
    }
    let gameday = match &opts.gameday {
        Some(Some(name)) => {
            let found = gamedays.iter().find(|g| g.id == *name).cloned();
            match found {
                Some(g) => Some(g),
                None if std::path::Path::new(name).is_file() => {
                    match crate::gameday::load_file(std::path::Path::new(name)) {
                        Ok(g) => Some(Arc::new(g)),
                        Err(d) => bail!("{d}"),
                    }
                }
                None => bail!(
                    "no game day `{name}` (scenarios: {}); see `mayday gameday --list`",
                    gamedays
                        .iter()
                        .map(|g| g.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }
        }
        _ => None,
    };
    if let Some(g) = &gameday {
        let problems: Vec<_> = g
            .check(&library)
            .into_iter()
            .filter(|d| d.is_error())
            .collect();
        if let Some(d) = problems.first() {
            bail!("{d}");
        }
    }
    let mut io = IncidentIo::new(data_dir.clone());
    let review_id = match &opts.review {
        Some(Some(id)) => Some(crate::incident::store::find(&data_dir, id)?.id),
        Some(None) => Some(
            crate::incident::store::list(&data_dir)
                .into_iter()
                .max_by_key(|s| s.started_at)
                .map(|s| s.id)
                .with_context(|| {
                    format!("there are no incidents in {} to review", data_dir.display())
                })?,
        ),
        None => None,
    };
    let resume_id = match &opts.resume {
        Some(id) => Some(io.resolve_resume(id.as_deref())?),
        None => None,
    };

    let now = crate::incident::archive::now();
    let tz = jiff::tz::TimeZone::system();
    let mut state = State::new(library, keymap, settings, now, tz);
    state.trust = crate::exec::trust::TrustStore::load(&data_dir);
    if let Some(w) = &state.trust.warning {
        notices.push(Notice::warning(w.clone()));
    }
    state.notices = notices;
    state.gamedays = gamedays;
    state.refilter();
    let mut initial = vec![Effect::ListIncidents];
    // `mayday gameday SCENARIO` shows simulated sources only: the real ones
    // are not polled at all.
    let poll_real_sources = gameday.is_none();
    if let Some(g) = gameday {
        state.gamedays.retain(|x| x.id != g.id);
        state.gamedays.insert(0, g.clone());
        update::start_gameday(&mut state, g, &mut initial);
    } else if matches!(opts.gameday, Some(None)) {
        state.gameday_only = true;
        state.refilter();
    }
    if let Some(id) = review_id {
        state.review_only = true;
        initial.push(Effect::OpenReview(id));
    }
    if let Some(rb) = start_runbook {
        update::open_start(&mut state, rb, &mut initial);
    }
    if let Some(id) = resume_id {
        initial.push(Effect::ResumeIncident(id));
    }

    let panics = terminal::panic_reports();
    let mut term = terminal::init().context("cannot set up the terminal")?;
    if let Ok(size) = term.size() {
        state.size = (size.width, size.height);
    }
    // Live status: one poller task per configured source.
    let (status_tx, status_rx) = mpsc::channel::<crate::status::Update>(256);
    let polled: &[crate::status::SourceConfig] = if poll_real_sources {
        &config.sources
    } else {
        &[]
    };
    for src in polled {
        state.status.sources.push(crate::app::board::SourceView {
            snapshot: crate::status::Snapshot::pending(&src.name, src.kind),
            since: crate::incident::archive::now(),
            latencies: std::collections::VecDeque::new(),
        });
    }
    let status = (!polled.is_empty()).then(|| crate::status::spawn(polled.to_vec(), status_tx));
    // A step's query blocks ask the same sources (not in a game day).
    let queries = queries::QueryRunner::new(polled);
    state.settings.queryable = polled
        .iter()
        .filter(|s| crate::status::query::answers_queries(s.kind))
        .map(crate::status::query::Queryable::from)
        .collect();
    // Tokens the config loaded never reach a command's environment or the
    // output that is kept.
    let scrub_env: Vec<String> = config
        .sources
        .iter()
        .filter_map(|s| match &s.credential {
            crate::status::Credential::Env(var) => Some(var.clone()),
            _ => None,
        })
        .collect();
    let secrets: Vec<secrecy::SecretString> = config
        .sources
        .iter()
        .filter_map(|s| s.credential.resolve().ok().flatten())
        .collect();
    let (exec_tx, exec_rx) = mpsc::unbounded_channel();
    // Live reload: runbook directories (not the bundled set) and themes.
    let sources = opts.sources.clone();
    let theme_dir = crate::util::paths::user_theme_dir();
    let (watch_tx, watch_rx) = mpsc::unbounded_channel();
    let mut watch_dirs: Vec<PathBuf> = sources.extra_dirs.clone();
    watch_dirs.extend(sources.user_dir.clone());
    watch_dirs.extend(theme_dir.clone());
    let watcher = match crate::runbook::watch::spawn_watcher(watch_dirs, watch_tx) {
        Ok(w) => Some(w),
        Err(e) => {
            state
                .notices
                .push(Notice::warning(format!("live reload is off: {e}")));
            None
        }
    };
    let (inbox_tx, inbox_rx) = mpsc::unbounded_channel();
    let mut bg = Background {
        status,
        status_rx,
        panics,
        runner: None,
        exec_tx,
        exec_rx,
        shell: config.shell.clone(),
        scrub_env,
        secrets,
        data_dir: data_dir.clone(),
        _watcher: watcher,
        watch_rx,
        sources,
        theme_dir,
        theme_name,
        inbox: None,
        inbox_tx,
        inbox_rx,
        notes_waiting: std::collections::HashMap::new(),
        notes_saving: std::collections::HashMap::new(),
        next_ticket: 0,
        follower: None,
        sharing: live::Sharing {
            cfg: config.sync.clone(),
            data_dir: data_dir.clone(),
            session: None,
        },
        queries,
    };
    let result = event_loop(&mut term, &mut state, &mut theme, &mut io, &mut bg, initial).await;
    // Nothing queued may be lost, whatever ended the loop.
    io.close().await;
    bg.sharing.finish().await;
    if let Some(h) = bg.status.take() {
        h.shutdown().await;
    }
    terminal::restore();
    tracing::info!("mayday exiting");
    let lost = io.take_lost();
    if !lost.is_empty() {
        let mut why = Vec::new();
        for c in &lost {
            let log = crate::util::sanitize::line(&c.log.display().to_string()).into_owned();
            why.push(match &c.rescue {
                Some(Ok(copy)) => format!(
                    "{} event(s) could not be written to {log}; a complete copy of the log, with them, is in {} (copy it over the log to restore it)",
                    c.unsaved,
                    crate::util::sanitize::line(&copy.display().to_string())
                ),
                Some(Err(e)) => format!(
                    "{} event(s) could not be written to {log}, and no rescue copy could be written either: {}",
                    c.unsaved,
                    crate::util::sanitize::line(e)
                ),
                None => format!("{} event(s) could not be written to {log}", c.unsaved),
            });
        }
        result?;
        anyhow::bail!("{}", why.join("\n"));
    }
    result
}

/// Keep the inbox on the incident this session may write to (and only
/// then): opened with it, closed when it closes or is resolved.
/// A session that could only open an incident read-only (another Mayday
/// holds its log) follows the log live: a task reads it once a second and
/// sends what is new.
fn sync_follower(state: &State, bg: &mut Background, tx: &mpsc::UnboundedSender<Action>) {
    // Not a replay: that one shows the past on purpose.
    let want = state
        .session
        .as_ref()
        .filter(|s| s.read_only.is_some() && state.review.is_none())
        .map(|s| (s.incident.id.clone(), s.incident.last_seq));
    if bg.follower.as_ref().map(|(id, _)| id) == want.as_ref().map(|(id, _)| id) {
        return;
    }
    if let Some((_, task)) = bg.follower.take() {
        task.abort();
    }
    let Some((id, mut last)) = want else { return };
    let path = crate::incident::store::log_path(&bg.data_dir, &id);
    let tx = tx.clone();
    let task = tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(1));
        loop {
            every.tick().await;
            let p = path.clone();
            let Ok(Ok(read)) =
                tokio::task::spawn_blocking(move || crate::incident::log::read(&p)).await
            else {
                continue;
            };
            let new: Vec<_> = read.events.into_iter().filter(|e| e.seq > last).collect();
            if let Some(e) = new.last() {
                last = e.seq;
                if tx.send(Action::Followed(new)).is_err() {
                    return;
                }
            }
        }
    });
    bg.follower = Some((id, task));
}

fn sync_inbox(state: &State, bg: &mut Background) {
    let want = state
        .session
        .as_ref()
        .filter(|s| s.read_only.is_none() && !s.is_resolved())
        .map(|s| s.incident.id.clone());
    if bg.inbox.as_ref().map(|i| &i.incident_id) == want.as_ref() {
        return;
    }
    bg.inbox = None;
    bg.notes_waiting.clear();
    bg.notes_saving.clear();
    if let Some(id) = want {
        let path = inbox::socket_path(&crate::incident::store::dir(&bg.data_dir), &id);
        match inbox::Inbox::open(path, id, bg.inbox_tx.clone()) {
            Ok(i) => bg.inbox = Some(i),
            Err(e) => tracing::warn!("notes from other terminals are off: {e}"),
        }
    }
}

async fn event_loop(
    term: &mut ratatui::DefaultTerminal,
    state: &mut State,
    theme: &mut Theme,
    io: &mut IncidentIo,
    bg: &mut Background,
    initial: Vec<Effect>,
) -> Result<()> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Action>();
    let mut events = EventStream::new();
    let mut sigterm = signal(SignalKind::terminate()).context("SIGTERM handler")?;
    let mut sighup = signal(SignalKind::hangup()).context("SIGHUP handler")?;
    let mut sigint = signal(SignalKind::interrupt()).context("SIGINT handler")?;
    // The clock ticks on the second, so T+ changes exactly when it should.
    let start = tokio::time::Instant::now()
        + Duration::from_millis(
            1000 - u64::try_from(Timestamp::now().subsec_millisecond().clamp(0, 999)).unwrap_or(0),
        );
    let mut tick = tokio::time::interval_at(start, Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);

    let mut quit = false;
    run_effects(initial, state, io, bg, &tx, &mut quit).await;
    let mut dirty = true;
    loop {
        if dirty {
            let now = crate::incident::archive::now();
            term.draw(|f| view(state, now, theme, f))
                .context("drawing the screen")?;
            dirty = false;
        }
        if quit {
            return Ok(());
        }
        let action = tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(TermEvent::Key(key))) if key.kind != KeyEventKind::Release => Action::Key { key, at: crate::incident::archive::now() },
                Some(Ok(TermEvent::Paste(text))) => Action::Paste { text, at: crate::incident::archive::now() },
                Some(Ok(TermEvent::Resize(width, height))) => Action::Resize { width, height },
                Some(Ok(_)) => continue,
                Some(Err(e)) => {
                    tracing::error!("terminal input failed: {e}");
                    shutdown(state, io, bg, &tx).await;
                    return Err(e).context("reading the terminal");
                }
                None => {
                    shutdown(state, io, bg, &tx).await;
                    return Ok(());
                }
            },
            Some(action) = rx.recv() => action,
            Some(note) = bg.inbox_rx.recv() => {
                bg.next_ticket += 1;
                bg.notes_waiting.insert(bg.next_ticket, note.reply);
                Action::RemoteNote { text: note.text, ticket: bg.next_ticket, at: crate::incident::archive::now() }
            }
            Some(update) = bg.status_rx.recv() => Action::Status(Box::new(update)),
            Some(event) = bg.exec_rx.recv() => Action::Exec(Box::new(event)),
            Some(crate::runbook::watch::WatchEvent::Changed(paths)) = bg.watch_rx.recv() => {
                let (themes, runbooks): (Vec<PathBuf>, Vec<PathBuf>) = paths
                    .into_iter()
                    .partition(|p| bg.theme_dir.as_ref().is_some_and(|d| p.starts_with(d)));
                if !themes.is_empty() {
                    let (t, warnings) = Theme::load(&bg.theme_name, &ThemeSources::from_platform());
                    *theme = t;
                    for w in warnings {
                        let _ = tx.send(Action::Notice(Notice::warning(format!("theme: {}", w.to_string().replace('\n', " ")))));
                    }
                    dirty = true;
                }
                if runbooks.is_empty() {
                    continue;
                }
                tracing::info!(files = runbooks.len(), "runbook files changed: reloading");
                let lib = state.library.clone();
                let sources = bg.sources.clone();
                let tx2 = tx.clone();
                tokio::task::spawn_blocking(move || {
                    let (new, report) = lib.reload(&sources, &runbooks);
                    let _ = tx2.send(Action::LibraryReloaded(Arc::new(new), report));
                });
                continue;
            }
            Some(panic) = bg.panics.recv() => {
                tracing::error!("a background task panicked; saving and exiting");
                shutdown(state, io, bg, &tx).await;
                anyhow::bail!("an internal task failed ({panic}); the incident was saved — see mayday.log in the data directory");
            }
            _ = tick.tick() => Action::Tick(crate::incident::archive::now()),
            _ = sigterm.recv() => { tracing::warn!("SIGTERM"); shutdown(state, io, bg, &tx).await; return Ok(()); }
            _ = sighup.recv() => { tracing::warn!("SIGHUP"); shutdown(state, io, bg, &tx).await; return Ok(()); }
            _ = sigint.recv() => { tracing::warn!("SIGINT"); shutdown(state, io, bg, &tx).await; return Ok(()); }
        };
        let is_tick = matches!(action, Action::Tick(_));
        let before = redraw_key(state);
        answer_saved(&action, bg);
        bg.sharing.saved(&action);
        let fx = update(state, action);
        // Ticks redraw only where a clock or countdown is on screen.
        dirty = !is_tick
            || state.session.is_some()
            || !state.notices.is_empty()
            || redraw_key(state) != before;
        run_effects(fx, state, io, bg, &tx, &mut quit).await;
        // Take everything else that is already waiting before drawing.
        while let Ok(action) = rx.try_recv() {
            answer_saved(&action, bg);
            bg.sharing.saved(&action);
            let fx = update(state, action);
            dirty = true;
            run_effects(fx, state, io, bg, &tx, &mut quit).await;
        }
        sync_inbox(state, bg);
        sync_follower(state, bg, &tx);
        bg.sharing.follow(state, &tx);
    }
}

/// A remote note is answered once its event is on disk.
fn answer_saved(action: &Action, bg: &mut Background) {
    if let Action::Saved(e) = action
        && let Some(reply) = bg.notes_saving.remove(&e.seq)
    {
        let _ = reply.send(format!("saved {}", e.seq));
    }
}

/// A cheap fingerprint of what a tick could change off the incident screen.
fn redraw_key(state: &State) -> usize {
    state.notices.len() + state.incidents.len()
}

/// A signal or a closed terminal: the incident stays open and every event is
/// saved before we exit.
async fn shutdown(
    state: &mut State,
    io: &mut IncidentIo,
    bg: &mut Background,
    tx: &mpsc::UnboundedSender<Action>,
) {
    let now = crate::incident::archive::now();
    let mut held = Vec::new();
    update::flush_typing(state, &mut held);
    let mut quit = false;
    run_effects(held, state, io, bg, tx, &mut quit).await;
    if let Some(s) = state.session.as_mut()
        && s.incident.is_open()
    {
        let mut fx = Vec::new();
        crate::app::session::abandon_running(s, now, &mut fx);
        crate::app::session::emit(s, crate::incident::EventKind::SessionEnded, now, &mut fx);
        let mut quit = false;
        run_effects(fx, state, io, bg, tx, &mut quit).await;
    }
    io.close().await;
}
