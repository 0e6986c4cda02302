//! Which runbooks may run commands.
//!
//! Bundled runbooks and the user's own runbook directory are trusted.
//! Runbooks from anywhere else (`--runbooks`) are not, until the user trusts
//! the file (`T` in the TUI, or `mayday trust PATH`). Trust is bound to the
//! file's content hash: any edit revokes it.
//!
//! The store is `<data dir>/trust.json`: canonical path → content hash,
//! written atomically. A store that cannot be read is reported, kept aside
//! as `trust.json.bad`, and treated as empty — never fatal.

use crate::runbook::{Origin, Runbook};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
/// What can go wrong with the trust store.
pub enum TrustError {
    #[error("{path}: {source}")]
    /// Reading or writing the store failed.
    Io {
        /// The store's file.
        path: PathBuf,
        #[source]
        /// The OS error.
        source: std::io::Error,
    },
    #[error("cannot write the trust store: {0}")]
    /// The store could not be written as JSON.
    Json(#[from] serde_json::Error),
}

#[derive(Serialize, Deserialize, Debug, Default, Clone, PartialEq, Eq)]
struct File {
    version: u32,
    /// Canonical path → content hash.
    trusted: BTreeMap<String, Entry>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
/// One trusted file.
pub struct Entry {
    /// The content hash it is trusted with (any change revokes it).
    pub hash: String,
    /// When it was trusted.
    pub at: jiff::Timestamp,
}

/// The trust store.
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    path: Option<PathBuf>,
    file: File,
    /// A problem reading the store, to show the user once.
    pub warning: Option<String>,
}

/// The canonical form of a runbook's path (symlinks resolved).
pub fn canonical(path: &Path) -> String {
    std::fs::canonicalize(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}

impl TrustStore {
    /// Where the store lives.
    pub fn path_in(data_dir: &Path) -> PathBuf {
        data_dir.join("trust.json")
    }

    /// Load the store (a missing file is an empty store).
    pub fn load(data_dir: &Path) -> TrustStore {
        let path = TrustStore::path_in(data_dir);
        let mut store = TrustStore {
            path: Some(path.clone()),
            ..TrustStore::default()
        };
        match std::fs::read(&path) {
            Ok(bytes) => match serde_json::from_slice::<File>(&bytes) {
                Ok(f) => store.file = f,
                Err(e) => {
                    let bad = path.with_extension("json.bad");
                    let _ = std::fs::write(&bad, &bytes);
                    store.warning = Some(format!(
                        "{} could not be read ({e}); it was kept as {} and no runbook outside the bundled and user directories is trusted",
                        path.display(),
                        bad.display()
                    ));
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => store.warning = Some(format!("{}: {e}", path.display())),
        }
        store
    }

    /// Is this runbook trusted to run commands?
    pub fn is_trusted(&self, rb: &Runbook) -> bool {
        match rb.origin {
            Origin::Bundled | Origin::User => true,
            Origin::Extra => {
                !rb.hash.is_empty()
                    && self
                        .file
                        .trusted
                        .get(&canonical(Path::new(&rb.path)))
                        .is_some_and(|e| e.hash == rb.hash)
            }
        }
    }

    /// Trust a file with this content hash, and save the store.
    pub fn trust(&mut self, path: &Path, hash: &str) -> Result<(), TrustError> {
        self.record(path, hash);
        self.save()
    }

    /// Record trust in memory only (the app's copy, after the runtime saved).
    pub fn record(&mut self, path: &Path, hash: &str) {
        self.file.version = 1;
        self.file.trusted.insert(
            canonical(path),
            Entry {
                hash: hash.to_owned(),
                at: jiff::Timestamp::now(),
            },
        );
    }

    /// Stop trusting a file. Returns whether it was trusted.
    pub fn revoke(&mut self, path: &Path) -> Result<bool, TrustError> {
        let removed = self.file.trusted.remove(&canonical(path)).is_some();
        if removed {
            self.save()?;
        }
        Ok(removed)
    }

    /// Every trusted file.
    pub fn list(&self) -> impl Iterator<Item = (&str, &Entry)> {
        self.file.trusted.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Write atomically: a temp file, synced, renamed over the store.
    fn save(&self) -> Result<(), TrustError> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let io = |source| TrustError::Io {
            path: path.clone(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let tmp = path.with_extension("json.tmp");
        let mut f = std::fs::File::create(&tmp).map_err(io)?;
        f.write_all(&serde_json::to_vec_pretty(&self.file)?)
            .map_err(io)?;
        f.sync_all().map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rb(path: &Path, text: &str, origin: Origin) -> Runbook {
        std::fs::write(path, text).unwrap();
        crate::runbook::load(&path.display().to_string(), text.as_bytes(), origin)
            .runbook
            .unwrap()
    }

    #[test]
    fn trust_is_bound_to_the_content() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("x.md");
        let a = rb(
            &file,
            "# X\n\n## S\n\n```sh {run}\necho hi\n```\n",
            Origin::Extra,
        );
        let mut store = TrustStore::load(dir.path());
        assert!(!store.is_trusted(&a));
        store.trust(&file, &a.hash).unwrap();
        assert!(store.is_trusted(&a));
        // A fresh load sees it too.
        assert!(TrustStore::load(dir.path()).is_trusted(&a));
        // An edit revokes it.
        let b = rb(
            &file,
            "# X\n\n## S\n\n```sh {run}\necho pwned\n```\n",
            Origin::Extra,
        );
        assert!(!store.is_trusted(&b));
        assert!(store.revoke(&file).unwrap());
        assert!(!store.is_trusted(&a));
        // Bundled and user runbooks are always trusted.
        let u = rb(&file, "# U\n", Origin::User);
        assert!(store.is_trusted(&u));
    }

    #[test]
    fn a_broken_store_is_kept_aside_and_treated_as_empty() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(TrustStore::path_in(dir.path()), "{not json").unwrap();
        let store = TrustStore::load(dir.path());
        assert!(
            store
                .warning
                .as_deref()
                .unwrap_or("")
                .contains("could not be read")
        );
        assert_eq!(store.list().count(), 0);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("trust.json.bad")).unwrap(),
            "{not json"
        );
    }
}
