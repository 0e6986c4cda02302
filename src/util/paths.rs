//! Where Mayday keeps things: the platform config and data directories.

use std::path::PathBuf;

fn project() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "mayday")
}

/// `…/mayday` under the platform config directory (`~/.config/mayday`).
pub fn config_dir() -> Option<PathBuf> {
    project().map(|p| p.config_dir().to_path_buf())
}

/// The user's runbook directory: `<config dir>/runbooks`.
pub fn user_runbook_dir() -> Option<PathBuf> {
    config_dir().map(|d| d.join("runbooks"))
}

/// The user's theme directory: `<config dir>/themes`.
pub fn user_theme_dir() -> Option<PathBuf> {
    config_dir().map(|d| d.join("themes"))
}

/// The default config file: `<config dir>/config.yaml`.
pub fn default_config_file() -> Option<PathBuf> {
    config_dir().map(|d| d.join("config.yaml"))
}

/// The default data directory (incident logs, trust store, diagnostics log):
/// `~/.local/share/mayday` on Linux.
pub fn default_data_dir() -> Option<PathBuf> {
    project().map(|p| p.data_dir().to_path_buf())
}
