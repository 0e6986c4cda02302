//! `mayday status`: poll every source once (or keep polling with `--watch`)
//! and print a table or JSON. Exit code 0 when every source is up, 1 when
//! any is degraded, down or unknown (the caller maps config errors to 2).

use super::{Snapshot, SourceConfig, StatusHandle, Update};
use crate::status::health::Health;
use crate::util::sanitize;
use serde::Serialize;
use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::Path;
use tokio::sync::mpsc;
use unicode_width::UnicodeWidthStr;

/// How many non-up items the table shows under a source.
const TABLE_ITEMS: usize = 5;

/// One source in `--json` output.
#[derive(Serialize)]
struct JsonSource<'a> {
    name: &'a str,
    kind: super::Kind,
    state: Health,
    summary: &'a str,
    checked_at: jiff::Timestamp,
    latency_ms: Option<u64>,
    error: Option<&'a str>,
    items: Vec<JsonItem<'a>>,
}

#[derive(Serialize)]
struct JsonItem<'a> {
    name: &'a str,
    state: Health,
    detail: &'a str,
}

/// `[{"name", "kind", "state", "summary", "checked_at", "latency_ms", "error", "items": [{"name", "state", "detail"}]}]`
pub fn render_json(snaps: &[Snapshot], pretty: bool) -> String {
    let rows: Vec<JsonSource<'_>> = snaps
        .iter()
        .map(|s| JsonSource {
            name: &s.name,
            kind: s.kind,
            state: s.state,
            summary: &s.summary,
            checked_at: s.checked_at,
            latency_ms: s.latency_ms,
            error: s.error.as_deref(),
            items: s
                .items
                .iter()
                .map(|i| JsonItem {
                    name: &i.name,
                    state: i.state,
                    detail: &i.detail,
                })
                .collect(),
        })
        .collect();
    crate::util::sanitize::to_json(&rows, pretty)
        .unwrap_or_else(|e| format!("[] // cannot serialize: {e}"))
}

fn pad(s: &str, w: usize) -> String {
    let width = UnicodeWidthStr::width(s);
    format!("{s}{}", " ".repeat(w.saturating_sub(width)))
}

/// A plain-text table, one source per line, with up to five items that are
/// not up under each source, and the error of a failed poll.
pub fn render_table(snaps: &[Snapshot], now: jiff::Timestamp) -> String {
    let rows: Vec<[String; 6]> = snaps
        .iter()
        .map(|s| {
            let age = now.duration_since(s.checked_at).as_secs();
            [
                sanitize::line(&s.name).into_owned(),
                s.kind.to_string(),
                format!(
                    "{} {}{}",
                    s.state.icon(),
                    s.state,
                    if s.stale { " (stale)" } else { "" }
                ),
                s.latency_ms
                    .map_or_else(|| "-".to_owned(), |ms| format!("{ms} ms")),
                crate::util::duration::short(age),
                sanitize::line(&s.summary).into_owned(),
            ]
        })
        .collect();
    let head = ["SOURCE", "KIND", "STATE", "LATENCY", "AGE", "SUMMARY"];
    let mut widths = head.map(UnicodeWidthStr::width);
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(UnicodeWidthStr::width(c.as_str()));
        }
    }
    let mut out = String::new();
    let line = |cells: [&str; 6], out: &mut String| {
        let mut l = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i == 3 {
                // Right-align the latency.
                l.push_str(&" ".repeat(widths[i].saturating_sub(UnicodeWidthStr::width(*c))));
                l.push_str(c);
            } else if i == 5 {
                l.push_str(c);
            } else {
                l.push_str(&pad(c, widths[i]));
            }
            if i < 5 {
                l.push_str("  ");
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(head, &mut out);
    for (s, r) in snaps.iter().zip(&rows) {
        line([&r[0], &r[1], &r[2], &r[3], &r[4], &r[5]], &mut out);
        if let Some(e) = &s.error {
            out.push_str(&format!("    error: {}\n", sanitize::line(e)));
        }
        let bad: Vec<_> = s.items.iter().filter(|i| i.state != Health::Up).collect();
        for i in bad.iter().take(TABLE_ITEMS) {
            out.push_str(&format!(
                "    {} {} — {}\n",
                i.state.icon(),
                sanitize::line(&i.name),
                sanitize::line(&i.detail)
            ));
        }
        if bad.len() > TABLE_ITEMS {
            out.push_str(&format!("    … and {} more\n", bad.len() - TABLE_ITEMS));
        }
    }
    out
}

/// 0 when every source is up, else 1.
pub fn exit_code(snaps: &[Snapshot]) -> u8 {
    u8::from(snaps.iter().any(|s| s.state != Health::Up))
}

/// Start the diagnostics log (`<data dir>/mayday.log`, level from
/// `MAYDAY_LOG`, default `warn,mayday=info`). Best effort: no log is not an error.
pub fn init_log(data_dir: &Path) {
    use tracing_subscriber::EnvFilter;
    if std::fs::create_dir_all(data_dir).is_err() {
        return;
    }
    let mut open = std::fs::OpenOptions::new();
    open.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        open.mode(0o600);
    }
    let Ok(file) = open.open(data_dir.join("mayday.log")) else {
        return;
    };
    let filter = EnvFilter::try_from_env("MAYDAY_LOG")
        .unwrap_or_else(|_| EnvFilter::new("warn,mayday=info"));
    let _ = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .with_env_filter(filter)
        .try_init();
}

/// Poll every source once, or keep polling until Ctrl-C with `watch`.
/// Returns the exit code (0 all up, 1 otherwise).
pub fn run(sources: Vec<SourceConfig>, json: bool, watch: bool) -> anyhow::Result<u8> {
    // Before the runtime's threads exist.
    super::capture_env_tokens(&sources);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(run_async(sources, json, watch))
}

async fn run_async(sources: Vec<SourceConfig>, json: bool, watch: bool) -> anyhow::Result<u8> {
    let mut snaps: Vec<Snapshot> = sources
        .iter()
        .map(|s| Snapshot::pending(&s.name, s.kind))
        .collect();
    let index: HashMap<String, usize> = sources
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.clone(), i))
        .collect();
    let (tx, mut rx) = mpsc::channel::<Update>(sources.len().max(1) * 2);
    let handle: StatusHandle = super::spawn(sources, tx);
    let mut stdout = std::io::stdout();
    if !watch {
        let mut seen = vec![false; snaps.len()];
        while seen.iter().any(|s| !s) {
            let Some(u) = rx.recv().await else { break };
            if let Some(&i) = index.get(&u.source) {
                snaps[i] = u.snapshot;
                seen[i] = true;
            }
        }
        handle.shutdown().await;
        let text = if json {
            render_json(&snaps, true)
        } else {
            render_table(&snaps, jiff::Timestamp::now())
        };
        writeln!(stdout, "{}", text.trim_end())?;
        return Ok(exit_code(&snaps));
    }
    let tty = stdout.is_terminal() && !json;
    let draw = |snaps: &[Snapshot], out: &mut std::io::Stdout| -> std::io::Result<()> {
        if json {
            writeln!(out, "{}", render_json(snaps, false))?;
        } else {
            if tty {
                write!(out, "\x1b[H\x1b[2J")?;
            } else {
                writeln!(out)?;
            }
            writeln!(
                out,
                "mayday status — {} — Ctrl-C to stop\n",
                jiff::ZonedDateTime::now().strftime("%H:%M:%S")
            )?;
            write!(out, "{}", render_table(snaps, jiff::Timestamp::now()))?;
        }
        out.flush()
    };
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut ticker = tokio::time::interval(std::time::Duration::from_secs(1));
    let mut dirty = true;
    loop {
        tokio::select! {
            _ = &mut ctrl_c => break,
            u = rx.recv() => match u {
                Some(u) => {
                    if let Some(&i) = index.get(&u.source) {
                        snaps[i] = u.snapshot;
                        dirty = true;
                    }
                }
                None => break,
            },
            _ = ticker.tick() => {
                // Redraw at most once a second (the age column moves too).
                if dirty || (tty && !json) {
                    draw(&snaps, &mut stdout)?;
                    dirty = false;
                }
            }
        }
    }
    handle.shutdown().await;
    Ok(exit_code(&snaps))
}
