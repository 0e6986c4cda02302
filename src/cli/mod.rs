//! The command line: global flags, subcommands and their exit codes.

pub mod complete;
pub mod coverage;
pub mod incidents;
pub mod lint;
pub mod list;
pub mod sync;

use crate::runbook::Origin;
use crate::runbook::library::{self, FileLocation, FileRef, Library, Sources};
use crate::util::sanitize;
use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "mayday",
    version,
    about = "A terminal incident-runbook assistant: guided runbooks, live status, a crash-safe incident log.",
    long_about = None,
)]
/// The command line.
pub struct Cli {
    #[command(flatten)]
    /// Flags for every command.
    pub global: Global,
    #[command(flatten)]
    /// The full-screen app's flags (with no command).
    pub tui: TuiFlags,
    #[command(subcommand)]
    /// The command (none opens the picker).
    pub command: Option<Command>,
}

/// Flags accepted before or after the subcommand.
#[derive(Args, Debug, Clone, Default)]
pub struct Global {
    /// The config file (default: `<config dir>/mayday/config.yaml`).
    #[arg(
        long,
        env = "MAYDAY_CONFIG",
        global = true,
        value_name = "FILE",
        help = "The config file [default: <config dir>/mayday/config.yaml]"
    )]
    pub config: Option<PathBuf>,
    /// Also load runbooks from DIR (repeatable; MAYDAY_RUNBOOKS is colon-separated).
    #[arg(
        long = "runbooks",
        env = "MAYDAY_RUNBOOKS",
        value_delimiter = ':',
        global = true,
        value_name = "DIR"
    )]
    pub runbooks: Vec<PathBuf>,
    /// Leave the bundled runbooks out.
    #[arg(long, global = true)]
    pub no_bundled: bool,
    /// Where incident logs live [default: the platform data dir, ~/.local/share/mayday].
    #[arg(long, env = "MAYDAY_DATA_DIR", global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

/// Flags for the commands that open the full-screen app (not listed where
/// they would do nothing).
#[derive(Args, Debug, Clone, Default)]
pub struct TuiFlags {
    /// The colour theme (dark, light, high-contrast, colorblind, or a user theme).
    #[arg(long, value_name = "NAME")]
    pub theme: Option<String>,
    /// Show what commands would run and log them as dry runs; execute nothing.
    #[arg(long)]
    pub dry_run: bool,
}

impl TuiFlags {
    /// These flags, those given after the subcommand winning.
    fn and(&self, later: &TuiFlags) -> TuiFlags {
        TuiFlags {
            theme: later.theme.clone().or_else(|| self.theme.clone()),
            dry_run: self.dry_run || later.dry_run,
        }
    }
}

#[derive(Subcommand, Debug)]
/// The commands.
pub enum Command {
    /// Start an incident on a runbook (values given here are not asked again).
    Start {
        /// The runbook id (see `mayday list`).
        #[arg(add = complete::runbook_ids())]
        id: String,
        /// A variable value, NAME=VALUE (repeatable).
        #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
        vars: Vec<(String, String)>,
        /// critical, high, medium or low (or sev1–sev4).
        #[arg(long, value_parser = parse_severity)]
        severity: Option<crate::runbook::Severity>,
        /// The responder's handle [default: the config's `responder`, else the OS user].
        #[arg(long)]
        responder: Option<String>,
        /// The full-screen app's flags.
        #[command(flatten)]
        tui: TuiFlags,
    },
    /// Reopen an unresolved incident (the newest when no id is given).
    Resume {
        /// The incident id (or a unique prefix; see `mayday incidents`).
        #[arg(add = complete::incident_ids())]
        id: Option<String>,
        /// Who is resuming (default: the config's `responder`, else the OS user).
        #[arg(long)]
        responder: Option<String>,
        /// The full-screen app's flags.
        #[command(flatten)]
        tui: TuiFlags,
    },
    /// Join an incident shared through the sync server: fetch its runbook
    /// copy and whole timeline into a local log, then open it.
    Join {
        /// The incident's id (see `mayday incidents`).
        id: String,
        /// Who is joining (default: the config's `responder`, else the OS user).
        #[arg(long)]
        responder: Option<String>,
        /// The full-screen app's flags.
        #[command(flatten)]
        tui: TuiFlags,
    },
    /// List incidents (newest first).
    Incidents {
        /// Print JSON: [{id, runbook, title, started_at, state, events, rehearsal, path}].
        #[arg(long)]
        json: bool,
    },
    /// Export an incident: every event as JSON, or a postmortem draft in Markdown.
    ///
    /// `--format md` writes a postmortem draft: the facts, key durations,
    /// sections to fill in, a timeline of every event, time per step with a
    /// Mermaid chart, status changes, commands with their output, and notes.
    /// Times are in the local time zone (`TZ`).
    Export {
        /// The incident id (or a unique prefix).
        #[arg(add = complete::incident_ids())]
        id: String,
        /// json (the whole log) or md (a postmortem draft; also `markdown`).
        #[arg(long, value_enum, default_value_t = ExportFormat::Json)]
        format: ExportFormat,
        /// Write to FILE instead of stdout (an existing FILE only with --force).
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Replace FILE if it exists.
        #[arg(long, requires = "output")]
        force: bool,
    },
    /// Trust a runbook file so its commands can run (trust is bound to its content).
    Trust {
        /// The runbook file.
        path: Option<PathBuf>,
        /// Stop trusting it.
        #[arg(long)]
        revoke: bool,
        /// List trusted files.
        #[arg(long)]
        list: bool,
    },
    /// Add a note to an open incident (TEXT, or `-` for one note per line of stdin).
    Note {
        /// The incident [default: the newest open one].
        #[arg(long, value_name = "ID", add = complete::incident_ids())]
        incident: Option<String>,
        /// The note, or `-` to read notes from stdin.
        text: String,
        /// Who writes it [default: the config's `responder`, else the OS user].
        #[arg(long)]
        responder: Option<String>,
    },
    /// Share incidents through the sync server (`sync:` in the config):
    /// publish what is queued, fetch what is new; an id not here joins it.
    /// Exit 0 when nothing is left queued, 1 when the server cannot be
    /// reached, 2 on config errors.
    Sync {
        /// The incident [default: every open incident here].
        #[arg(add = complete::incident_ids())]
        id: Option<String>,
    },
    /// Close an abandoned rehearsal (its log is kept; real incidents are
    /// resolved in the incident screen, with a summary).
    Close {
        /// The rehearsal's id (or a unique prefix; see `mayday incidents`).
        #[arg(add = complete::incident_ids())]
        id: String,
    },
    /// List the loaded runbooks.
    List {
        /// Print JSON: [{id, title, path, severity, steps, alerts, …}].
        #[arg(long)]
        json: bool,
    },
    /// Print a runbook as readable text.
    Show {
        /// The runbook id (see `mayday list`).
        #[arg(add = complete::runbook_ids())]
        id: String,
        /// Wrap at this many columns.
        #[arg(long, default_value_t = 100)]
        width: u16,
    },
    /// Check runbooks for mistakes (exit 0: no errors, 1: errors, 2: usage or I/O error).
    Lint {
        /// Files or directories [default: every loaded runbook].
        paths: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = LintFormat::Text)]
        format: LintFormat,
        /// Warn about runbooks neither rehearsed nor changed within this
        /// long (`90d`), from the incident logs and the files' times.
        #[arg(long, value_name = "DURATION")]
        stale: Option<String>,
        /// Warn about runbooks without an `owner:`.
        #[arg(long)]
        require_owner: bool,
    },
    /// Which alerting rules have a runbook: rule files, PrometheusRule
    /// manifests or a live Prometheus against the loaded runbooks (exit 1: a
    /// critical alert uncovered, a broken runbook_url or under
    /// --min-coverage; 2: usage or I/O error).
    Coverage {
        /// A rule file or directory (plain `groups:` or PrometheusRule manifests); repeatable.
        #[arg(long = "rules", value_name = "FILE|DIR")]
        rules: Vec<PathBuf>,
        /// A live Prometheus whose loaded rules to read (`/api/v1/rules`).
        #[arg(long, value_name = "URL")]
        prometheus: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = LintFormat::Text)]
        format: LintFormat,
        /// Fail (exit 1) when fewer than PCT % of the alerts have a runbook.
        #[arg(long, value_name = "PCT")]
        min_coverage: Option<f64>,
    },
    /// Poll every configured status source once and print a table
    /// (exit 0: all up, 1: any degraded, down or unknown, 2: config error).
    Status {
        /// Print JSON: [{name, kind, state, summary, checked_at, latency_ms, error, items}].
        #[arg(long)]
        json: bool,
        /// Keep polling and redraw until Ctrl-C (with --json: one array per line).
        #[arg(long)]
        watch: bool,
    },
    /// Rehearse a game day: a simulated outage on a runbook, with scripted
    /// status sources and a score card; nothing is executed.
    Gameday {
        /// A scenario id (see --list) or a scenario file [default: pick one in the TUI].
        scenario: Option<String>,
        /// List the scenarios and check them (exit 1 if any is broken).
        #[arg(long)]
        list: bool,
        /// The responder's handle [default: the config's `responder`, else the OS user].
        #[arg(long)]
        responder: Option<String>,
        /// The full-screen app's flags.
        #[command(flatten)]
        tui: TuiFlags,
    },
    /// Review a past incident: timeline with filters, key durations, time per
    /// step, status over time, and replay.
    Review {
        /// The incident id (or a unique prefix) [default: the newest incident].
        #[arg(add = complete::incident_ids())]
        id: Option<String>,
        /// The full-screen app's flags.
        #[command(flatten)]
        tui: TuiFlags,
    },
    /// Print the shell code that completes mayday's commands, flags, runbook
    /// ids and incident ids (e.g. `source <(mayday completions bash)`).
    Completions {
        /// The shell.
        shell: complete::Shell,
    },
    /// Print the manual page (roff): `mayday man > ~/.local/share/man/man1/mayday.1`.
    Man,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
/// How `mayday export` writes.
pub enum ExportFormat {
    /// `{"incident": {…}, "events": [{"seq", "at", "kind", …}]}`
    Json,
    /// A postmortem draft in Markdown (see docs/postmortem.md).
    #[value(name = "md", alias = "markdown")]
    Md,
}

/// How `mayday lint` reports: one line per problem (`file:line:col: level
/// code: message`), or one JSON object with every problem.
// Variant docs would become long `--format` help text.
#[allow(missing_docs)]
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LintFormat {
    Text,
    Json,
}

/// Entry point used by `main.rs`.
pub fn main() -> ExitCode {
    // `COMPLETE=bash mayday …`: the shell asking for completions.
    clap_complete::CompleteEnv::with_factory(<Cli as clap::CommandFactory>::command).complete();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(
                std::io::stderr(),
                "mayday: error: {}",
                sanitize::line(&crate::util::diag::error_chain(&e))
            );
            ExitCode::from(2)
        }
    }
}

/// Run a parsed command line.
pub fn run(cli: Cli) -> Result<ExitCode> {
    let g = cli.global;
    let top = cli.tui;
    // A config file named on the command line must be there, for every
    // command: running on defaults instead would hide the mistake.
    if let Some(p) = &g.config
        && !p.is_file()
    {
        anyhow::bail!(
            "the config file {} does not exist (given with --config or MAYDAY_CONFIG)",
            p.display()
        );
    }
    match cli.command {
        None => tui(tui_options(&g, &top)?),
        Some(Command::Start {
            id,
            vars,
            severity,
            responder,
            tui: flags,
        }) => tui(crate::app::runtime::Options {
            preset: crate::app::settings::Preset {
                variables: vars.into_iter().collect(),
                severity,
                responder,
            },
            start: Some(id),
            ..tui_options(&g, &top.and(&flags))?
        }),
        Some(Command::Resume {
            id,
            responder,
            tui: flags,
        }) => tui(crate::app::runtime::Options {
            preset: crate::app::settings::Preset {
                responder,
                ..Default::default()
            },
            resume: Some(id),
            ..tui_options(&g, &top.and(&flags))?
        }),
        Some(Command::Join {
            id,
            responder,
            tui: flags,
        }) => {
            let dir = data_dir(&g)?;
            let local = crate::incident::store::find(&dir, &id).ok();
            if local.is_none()
                && let Err(code) = sync::join(
                    g.config.as_deref(),
                    &dir,
                    &id,
                    &sync::me(g.config.as_deref(), responder.as_deref()),
                )?
            {
                return Ok(code);
            }
            tui(crate::app::runtime::Options {
                preset: crate::app::settings::Preset {
                    responder,
                    ..Default::default()
                },
                resume: Some(Some(local.map_or(id, |s| s.id))),
                ..tui_options(&g, &top.and(&flags))?
            })
        }
        Some(Command::Incidents { json }) => {
            let dir = data_dir(&g)?;
            let remote = sync::remote_headers(g.config.as_deref());
            crate::cli::incidents::incidents(&dir, &remote, json, &mut std::io::stdout().lock())?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Export {
            id,
            format,
            output,
            force,
        }) => export(&g, &id, format, output.as_deref(), force),
        Some(Command::Trust { path, revoke, list }) => trust(&g, path.as_deref(), revoke, list),
        Some(Command::Close { id }) => {
            let dir = data_dir(&g)?;
            crate::incident::archive::close_rehearsal(&dir, &id, &mut std::io::stdout().lock())?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Note {
            incident,
            text,
            responder,
        }) => crate::cli::incidents::note_command(
            g.config.as_deref(),
            &data_dir(&g)?,
            incident.as_deref(),
            &text,
            responder,
        ),
        Some(Command::List { json }) => list::run(
            Library::load_unhashed(&sources(&g)),
            data_dir(&g).ok().as_deref(),
            json,
        ),
        Some(Command::Show { id, width }) => show(&g, &id, width),
        Some(Command::Lint {
            paths,
            format,
            stale,
            require_owner,
        }) => {
            let stale = match stale.as_deref().map(lint::window).transpose() {
                Ok(s) => s,
                Err(e) => {
                    let _ = writeln!(std::io::stderr(), "mayday lint: --stale: {e}");
                    return Ok(ExitCode::from(2));
                }
            };
            let extra = lint::Extra {
                stale: stale.map(|w| (w, list::freshness_in(data_dir(&g).ok().as_deref()))),
                require_owner,
            };
            lint(&g, &paths, format, &extra)
        }
        Some(Command::Coverage {
            rules,
            prometheus,
            format,
            min_coverage,
        }) => coverage::run(
            &Library::load_unhashed(&sources(&g)),
            &coverage::Ask {
                rules: &rules,
                prometheus: prometheus.as_deref(),
                json: format == LintFormat::Json,
                min_coverage,
            },
        ),
        Some(Command::Status { json, watch }) => status(&g, json, watch),
        Some(Command::Sync { id }) => sync::run(
            g.config.as_deref(),
            &data_dir(&g)?,
            id.as_deref(),
            &mut std::io::stdout().lock(),
        ),
        Some(Command::Gameday {
            scenario,
            list,
            responder,
            tui: flags,
        }) => {
            if list {
                return gameday_list(&g);
            }
            tui(crate::app::runtime::Options {
                preset: crate::app::settings::Preset {
                    responder,
                    ..Default::default()
                },
                gameday: Some(scenario),
                ..tui_options(&g, &top.and(&flags))?
            })
        }
        Some(Command::Review { id, tui: flags }) => tui(crate::app::runtime::Options {
            review: Some(id),
            ..tui_options(&g, &top.and(&flags))?
        }),
        Some(Command::Completions { shell }) => complete::registration(shell),
        Some(Command::Man) => {
            let mut out = std::io::stdout().lock();
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command()).render(&mut out)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `mayday gameday --list`: every scenario, checked against the runbooks.
fn gameday_list(g: &Global) -> Result<ExitCode> {
    let src = sources(g);
    let library = Library::load_unhashed(&src);
    let (all, mut problems) = crate::gameday::load_all(&src);
    let mut out = std::io::stdout().lock();
    let id_w = all.iter().map(|s| s.id.len()).max().unwrap_or(2).max(2);
    let rb_w = all
        .iter()
        .map(|s| s.runbook.len())
        .max()
        .unwrap_or(7)
        .max(7);
    writeln!(out, "{:<id_w$}  {:<rb_w$}  TITLE", "ID", "RUNBOOK")?;
    for sc in &all {
        writeln!(
            out,
            "{:<id_w$}  {:<rb_w$}  {}",
            sanitize::line(&sc.id),
            sanitize::line(&sc.runbook),
            sanitize::line(&sc.title)
        )?;
        problems.extend(sc.check(&library));
    }
    if all.is_empty() {
        writeln!(
            out,
            "(no game days: put scenarios in <runbook dir>/gamedays/, see docs/gamedays.md)"
        )?;
    }
    let mut err = std::io::stderr().lock();
    for d in &problems {
        writeln!(err, "{}", sanitize::text(&d.to_string()))?;
    }
    Ok(if problems.iter().any(|d| d.is_error()) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn trust(g: &Global, path: Option<&std::path::Path>, revoke: bool, list: bool) -> Result<ExitCode> {
    let dir = data_dir(g)?;
    let mut store = crate::exec::trust::TrustStore::load(&dir);
    if let Some(w) = &store.warning {
        let _ = writeln!(std::io::stderr(), "mayday: warning: {}", sanitize::line(w));
    }
    let mut out = std::io::stdout().lock();
    if list {
        for (p, e) in store.list() {
            writeln!(
                out,
                "{}  {}  trusted {}",
                sanitize::line(p),
                &e.hash[..e.hash.len().min(16)],
                e.at
            )?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let Some(path) = path else {
        anyhow::bail!("give the runbook file to trust (or --list)");
    };
    if revoke {
        let was = store.revoke(path)?;
        writeln!(
            out,
            "{} {}",
            sanitize::line(&path.display().to_string()),
            if was {
                "is no longer trusted"
            } else {
                "was not trusted"
            }
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let loaded = crate::runbook::load(&path.display().to_string(), &bytes, Origin::Extra);
    let Some(rb) = loaded.runbook else {
        list::print_diagnostics(&loaded.diagnostics);
        anyhow::bail!(
            "{} is not a runbook Mayday can load; nothing was trusted",
            path.display()
        );
    };
    let runnable = rb
        .steps
        .iter()
        .flat_map(|s| &s.commands)
        .filter(|c| c.runnable)
        .count();
    store.trust(path, &rb.hash)?;
    writeln!(
        out,
        "trusted {} ({}: {}), content {}: its {runnable} runnable command(s) can run until the file changes",
        sanitize::line(&path.display().to_string()),
        sanitize::line(&rb.id),
        sanitize::line(&rb.title),
        &rb.hash[..16]
    )?;
    Ok(ExitCode::SUCCESS)
}

fn export(
    g: &Global,
    id: &str,
    format: ExportFormat,
    output: Option<&std::path::Path>,
    force: bool,
) -> Result<ExitCode> {
    let dir = data_dir(g)?;
    if let Some(path) = output
        && !force
        && path.exists()
    {
        anyhow::bail!(
            "{} already exists: pass --force to replace it, or choose another file",
            path.display()
        );
    }
    let mut buf = Vec::new();
    let warnings = match format {
        ExportFormat::Json => crate::incident::archive::export_json(&dir, id, &mut buf)?,
        ExportFormat::Md => crate::incident::archive::export_md(&dir, id, &mut buf)?,
    };
    if let Some((problem, skipped)) = warnings.split_first() {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(
            err,
            "mayday: warning: the incident log has a problem ({}); exported every record whose checksum is good, the file is unchanged",
            sanitize::line(problem)
        );
        for s in skipped {
            let _ = writeln!(err, "mayday: warning: {}", sanitize::line(s));
        }
    }
    match output {
        Some(path) => {
            let tmp = path.with_extension("tmp");
            std::fs::write(&tmp, &buf)
                .with_context(|| format!("cannot write {}", tmp.display()))?;
            std::fs::rename(&tmp, path)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        None => std::io::stdout().lock().write_all(&buf)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn tui(opts: crate::app::runtime::Options) -> Result<ExitCode> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "the incident screen needs a terminal (stdin and stdout are not one). \
             For scripts, see `mayday list`, `mayday incidents`, `mayday export` and `mayday note`."
        );
    }
    crate::app::runtime::run(opts)?;
    Ok(ExitCode::SUCCESS)
}

fn parse_var(s: &str) -> std::result::Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if crate::runbook::template::is_valid_name(k.trim()) => {
            Ok((k.trim().to_owned(), v.to_owned()))
        }
        _ => Err(format!("`{s}` is not NAME=VALUE")),
    }
}

fn parse_severity(s: &str) -> std::result::Result<crate::runbook::Severity, String> {
    s.parse()
}

/// Where incident logs and the diagnostics log live.
pub fn data_dir(global: &Global) -> Result<PathBuf> {
    match &global.data_dir {
        Some(d) => Ok(d.clone()),
        None => crate::util::paths::default_data_dir()
            .context("cannot find a data directory: pass --data-dir or set MAYDAY_DATA_DIR"),
    }
}

/// The TUI's options from the global flags (each command adds its own).
fn tui_options(g: &Global, t: &TuiFlags) -> Result<crate::app::runtime::Options> {
    Ok(crate::app::runtime::Options {
        config: g.config.clone(),
        sources: sources(g),
        data_dir: data_dir(g)?,
        theme: t.theme.clone(),
        dry_run: t.dry_run,
        ..Default::default()
    })
}

/// Where runbooks come from, as the flags and environment say.
pub fn sources(g: &Global) -> Sources {
    Sources {
        extra_dirs: g
            .runbooks
            .iter()
            .filter(|p| !p.as_os_str().is_empty())
            .cloned()
            .collect(),
        user_dir: crate::util::paths::user_runbook_dir(),
        bundled: !g.no_bundled,
    }
}

fn show(g: &Global, id: &str, width: u16) -> Result<ExitCode> {
    let lib = Library::load_unhashed(&sources(g));
    let Some(rb) = lib.find(id) else {
        anyhow::bail!("{}", lib.not_found(id));
    };
    let mut out = std::io::stdout().lock();
    out.write_all(crate::ui::show::render(rb, width.max(40)).as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

fn status(g: &Global, json: bool, watch: bool) -> Result<ExitCode> {
    let cfg = match crate::config::Config::load(g.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "{e}");
            return Ok(ExitCode::from(2));
        }
    };
    if let Some(dir) = g
        .data_dir
        .clone()
        .or_else(crate::util::paths::default_data_dir)
    {
        crate::status::report::init_log(&dir);
    }
    if cfg.sources.is_empty() {
        let _ = writeln!(
            std::io::stderr(),
            "mayday: no status sources configured; add a `sources:` list to the config file \
             (see docs/config.example.yaml)"
        );
    }
    let code = crate::status::report::run(cfg.sources, json, watch)?;
    Ok(ExitCode::from(code))
}

fn lint(
    g: &Global,
    paths: &[PathBuf],
    format: LintFormat,
    extra: &lint::Extra,
) -> Result<ExitCode> {
    let lib = if paths.is_empty() {
        Library::load_unhashed(&sources(g))
    } else {
        let mut files = Vec::new();
        for p in paths {
            let meta =
                std::fs::metadata(p).with_context(|| format!("cannot read {}", p.display()))?;
            if meta.is_dir() {
                let found =
                    library::discover(p).with_context(|| format!("cannot read {}", p.display()))?;
                files.extend(found.into_iter().map(|f| FileRef {
                    display: f.display().to_string(),
                    origin: Origin::Extra,
                    location: FileLocation::Disk(f),
                }));
            } else {
                files.push(FileRef {
                    display: p.display().to_string(),
                    origin: Origin::Extra,
                    location: FileLocation::Disk(p.clone()),
                });
            }
        }
        Library::from_files_unhashed(&files)
    };
    let sources = match lint::queryable(g.config.as_deref()) {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    lint::report(&lib, format == LintFormat::Json, sources.as_deref(), extra)
}
