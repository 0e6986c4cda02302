//! Shell completion: `mayday completions SHELL` prints the shell code
//! (clap_complete's `COMPLETE=<shell> mayday` protocol: the shell calls
//! mayday back on each Tab), so commands and flags complete, and runbook
//! and incident ids too — read from the runbook directories and the data
//! directory the environment names (`MAYDAY_RUNBOOKS`, `MAYDAY_DATA_DIR`,
//! else the defaults) at the moment Tab is pressed.

use crate::runbook::library::{Library, Sources};
use anyhow::Result;
use clap::ValueEnum;
use clap_complete::engine::{ArgValueCandidates, CompletionCandidate};
use clap_complete::env::Shells;
use std::process::ExitCode;

/// The shells completion code can be printed for.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shell {
    /// Bash.
    Bash,
    /// Zsh.
    Zsh,
    /// Fish.
    Fish,
    /// Elvish.
    Elvish,
    /// PowerShell.
    Powershell,
}

impl Shell {
    fn name(self) -> &'static str {
        match self {
            Shell::Bash => "bash",
            Shell::Zsh => "zsh",
            Shell::Fish => "fish",
            Shell::Elvish => "elvish",
            Shell::Powershell => "powershell",
        }
    }
}

/// Print the shell code that registers mayday's completions.
pub fn registration(shell: Shell) -> Result<ExitCode> {
    let shells = Shells::builtins();
    let Some(completer) = shells.completer(shell.name()) else {
        anyhow::bail!("no completions for {}", shell.name());
    };
    // The shell calls this very binary back, wherever it is installed.
    let bin = std::env::current_exe()
        .ok()
        .and_then(|p| p.to_str().map(str::to_owned))
        .unwrap_or_else(|| "mayday".to_owned());
    let mut out = std::io::stdout().lock();
    completer.write_registration("COMPLETE", "mayday", "mayday", &bin, &mut out)?;
    Ok(ExitCode::SUCCESS)
}

/// Runbook ids (with their titles), from where the environment says
/// runbooks are.
pub fn runbook_ids() -> ArgValueCandidates {
    ArgValueCandidates::new(|| {
        let sources = Sources {
            extra_dirs: std::env::var_os("MAYDAY_RUNBOOKS")
                .map(|v| {
                    std::env::split_paths(&v)
                        .filter(|p| !p.as_os_str().is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            user_dir: crate::util::paths::user_runbook_dir(),
            bundled: true,
        };
        Library::load_unhashed(&sources)
            .runbooks
            .iter()
            .map(|rb| {
                CompletionCandidate::new(rb.id.clone()).help(Some(
                    crate::util::sanitize::line(&rb.title).into_owned().into(),
                ))
            })
            .collect()
    })
}

/// Incident ids in the data directory (the log files' names; nothing is
/// read or replayed, so it stays quick with thousands of incidents).
pub fn incident_ids() -> ArgValueCandidates {
    ArgValueCandidates::new(|| {
        let Some(dir) = std::env::var_os("MAYDAY_DATA_DIR")
            .map(std::path::PathBuf::from)
            .or_else(crate::util::paths::default_data_dir)
        else {
            return Vec::new();
        };
        let Ok(entries) = std::fs::read_dir(crate::incident::store::dir(&dir)) else {
            return Vec::new();
        };
        let mut ids: Vec<String> = entries
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                name.strip_suffix(".log").map(str::to_owned)
            })
            .filter(|id| crate::util::sanitize::line(id) == *id)
            .collect();
        ids.sort_unstable_by(|a, b| b.cmp(a));
        ids.into_iter().map(CompletionCandidate::new).collect()
    })
}
