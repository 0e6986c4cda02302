//! The runbook library: every runbook from the bundled set, the user's
//! runbook directory and `--runbooks` directories, loaded in parallel. A
//! broken file is reported and skipped; it never stops the others.

use crate::runbook::{self, Format, Loaded, Origin, Runbook};
use crate::util::diag::{Diagnostic, Pos};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Files compiled into the binary.
pub mod bundled {
    include!(concat!(env!("OUT_DIR"), "/bundled.rs"));
}

/// Where to load runbooks from.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    /// `--runbooks DIR` and `MAYDAY_RUNBOOKS` entries, highest precedence.
    pub extra_dirs: Vec<PathBuf>,
    /// The user's runbook directory (may not exist).
    pub user_dir: Option<PathBuf>,
    /// Include the bundled runbooks.
    pub bundled: bool,
}

/// One file to load.
#[derive(Clone, Debug)]
pub struct FileRef {
    /// What messages show: the path, or `bundled:NAME`.
    pub display: String,
    /// Where it comes from (decides precedence and trust).
    pub origin: Origin,
    /// Where its bytes are.
    pub location: FileLocation,
}

#[derive(Clone, Debug)]
/// Where a file's bytes are.
pub enum FileLocation {
    /// A file on disk.
    Disk(PathBuf),
    /// Embedded in the binary.
    Bundled(&'static [u8]),
}

/// Everything loaded, and everything that went wrong.
#[derive(Debug, Default)]
pub struct Library {
    /// Loaded runbooks, unique by id, sorted by title.
    pub runbooks: Vec<Arc<Runbook>>,
    /// Files that could not be loaded at all (their fatal diagnostics).
    pub failures: Vec<Diagnostic>,
    /// Non-fatal findings from loading (unknown kinds, bad durations, …).
    pub warnings: Vec<Diagnostic>,
    /// Runbooks whose id another runbook already uses (the first one wins).
    pub duplicates: Vec<Diagnostic>,
    /// Directories that could not be read.
    pub dir_errors: Vec<Diagnostic>,
    /// How many files were read.
    pub files: usize,
    /// Every runbook that parsed, by path (duplicates included), so a reload
    /// can reuse what did not change.
    parsed: HashMap<String, Arc<Runbook>>,
}

/// What a reload changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReloadReport {
    /// Ids of runbooks that appeared.
    pub added: Vec<String>,
    /// Ids of runbooks whose file changed.
    pub changed: Vec<String>,
    /// Ids of runbooks that are gone.
    pub removed: Vec<String>,
    /// Files that no longer load (their last good version is kept).
    pub failed: Vec<Diagnostic>,
}

impl ReloadReport {
    /// Did nothing change?
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.changed.is_empty()
            && self.removed.is_empty()
            && self.failed.is_empty()
    }
}

impl Library {
    /// Load from every source.
    pub fn load(sources: &Sources) -> Library {
        Library::load_with(sources, true)
    }

    /// Load without content hashes, for commands that only list or check
    /// runbooks (`list`, `lint`, `show`).
    pub fn load_unhashed(sources: &Sources) -> Library {
        Library::load_with(sources, false)
    }

    fn load_with(sources: &Sources, hash: bool) -> Library {
        let (files, dir_errors) = collect_files(sources);
        let mut lib = Library::from_files_with(&files, hash);
        lib.dir_errors = dir_errors;
        lib
    }

    /// Load a given list of files (in precedence order).
    pub fn from_files(files: &[FileRef]) -> Library {
        Library::from_files_with(files, true)
    }

    /// [`Library::from_files`] without content hashes (for `lint`).
    pub fn from_files_unhashed(files: &[FileRef]) -> Library {
        Library::from_files_with(files, false)
    }

    fn from_files_with(files: &[FileRef], hash: bool) -> Library {
        let loaded = load_parallel(files, hash)
            .into_iter()
            .map(|l| (l.runbook.map(Arc::new), l.diagnostics))
            .collect();
        Library::merge(files.len(), loaded)
    }

    /// Build the library from each file's result, in precedence order: the
    /// first runbook with an id wins, later ones are duplicates.
    fn merge(files: usize, loaded: Vec<(Option<Arc<Runbook>>, Vec<Diagnostic>)>) -> Library {
        let mut lib = Library {
            files,
            ..Library::default()
        };
        let mut by_id: HashMap<String, usize> = HashMap::new();
        for (runbook, diagnostics) in loaded {
            match runbook {
                Some(rb) => {
                    lib.warnings.extend(diagnostics);
                    lib.parsed.insert(rb.path.clone(), rb.clone());
                    if let Some(&first) = by_id.get(&rb.id) {
                        let kept: &Runbook = &lib.runbooks[first];
                        lib.duplicates.push(
                            Diagnostic::error(
                                "duplicate-runbook-id",
                                rb.id_pos,
                                format!(
                                    "runbook id `{}` is also used by {} (that one is used)",
                                    rb.id, kept.path
                                ),
                            )
                            .with_hint("give one of them another `id:`")
                            .at_path(&rb.path),
                        );
                    } else {
                        by_id.insert(rb.id.clone(), lib.runbooks.len());
                        lib.runbooks.push(rb);
                    }
                }
                None => lib
                    .failures
                    .extend(diagnostics.into_iter().filter(Diagnostic::is_error)),
            }
        }
        lib.runbooks
            .sort_by_cached_key(|r| (r.title.to_lowercase(), r.id.clone()));
        lib
    }

    /// Reload after files changed: re-read the directories, load the
    /// changed and new files, reuse every other runbook as it was. A file
    /// that fails to load keeps its last good version, and its diagnostic is
    /// reported.
    pub fn reload(&self, sources: &Sources, changed: &[PathBuf]) -> (Library, ReloadReport) {
        let (files, dir_errors) = collect_files(sources);
        let changed: std::collections::HashSet<String> =
            changed.iter().map(|p| p.display().to_string()).collect();
        let mut report = ReloadReport::default();
        let loaded: Vec<(Option<Arc<Runbook>>, Vec<Diagnostic>)> = files
            .iter()
            .map(|f| {
                let prev = self.parsed.get(&f.display);
                match prev {
                    Some(rb) if !changed.contains(&f.display) => (Some(rb.clone()), Vec::new()),
                    _ => {
                        let l = load_one(f, true, &mut Vec::new());
                        match (l.runbook, prev) {
                            (Some(rb), _) => (Some(Arc::new(rb)), l.diagnostics),
                            (None, Some(last_good)) => {
                                report
                                    .failed
                                    .extend(l.diagnostics.into_iter().filter(Diagnostic::is_error));
                                (Some(last_good.clone()), Vec::new())
                            }
                            (None, None) => (None, l.diagnostics),
                        }
                    }
                }
            })
            .collect();
        let mut lib = Library::merge(files.len(), loaded);
        lib.dir_errors = dir_errors;
        let old: HashMap<&str, &str> = self
            .runbooks
            .iter()
            .map(|r| (r.id.as_str(), r.hash.as_str()))
            .collect();
        let new: HashMap<&str, &str> = lib
            .runbooks
            .iter()
            .map(|r| (r.id.as_str(), r.hash.as_str()))
            .collect();
        for (id, hash) in &new {
            match old.get(id) {
                None => report.added.push((*id).to_owned()),
                Some(h) if h != hash => report.changed.push((*id).to_owned()),
                Some(_) => {}
            }
        }
        report.removed = old
            .keys()
            .filter(|id| !new.contains_key(*id))
            .map(|id| (*id).to_owned())
            .collect();
        report.added.sort();
        report.changed.sort();
        report.removed.sort();
        (lib, report)
    }

    /// The runbook with this id (ids are unique in a library).
    pub fn get(&self, id: &str) -> Option<&Arc<Runbook>> {
        self.runbooks.iter().find(|r| r.id == id)
    }

    /// The runbook a person means by `wanted` on the command line: its id
    /// (in any case), its file name without the extension, or an alert it
    /// handles (`KubePodCrashLooping`). An exact id wins; an alert named by
    /// several runbooks goes to the first in title order.
    pub fn find(&self, wanted: &str) -> Option<&Arc<Runbook>> {
        let wanted = wanted.trim();
        if let Some(rb) = self.get(wanted) {
            return Some(rb);
        }
        let slug = crate::runbook::id_from_path(wanted);
        let stem = |rb: &Runbook| crate::runbook::id_from_path(&rb.path);
        self.runbooks
            .iter()
            .find(|r| r.id.eq_ignore_ascii_case(wanted))
            .or_else(|| self.runbooks.iter().find(|r| r.id == slug))
            .or_else(|| {
                self.runbooks
                    .iter()
                    .find(|r| stem(r).eq_ignore_ascii_case(&slug))
            })
            .or_else(|| {
                self.runbooks
                    .iter()
                    .find(|r| r.alerts.iter().any(|a| a.eq_ignore_ascii_case(wanted)))
            })
    }

    /// The `n` runbook ids closest to `wanted` (by edit distance, ignoring
    /// case), for "no runbook `x`; did you mean …".
    pub fn closest(&self, wanted: &str, n: usize) -> Vec<&str> {
        let wanted = wanted.trim().to_lowercase();
        let mut ids: Vec<(usize, &str)> = self
            .runbooks
            .iter()
            .map(|r| {
                let id = r.id.to_lowercase();
                // A shared prefix or substring counts as close.
                let d = if id.contains(&wanted) || wanted.contains(&id) {
                    0
                } else {
                    crate::runbook::common::edit_distance(&wanted, &id)
                };
                (d, r.id.as_str())
            })
            .collect();
        ids.sort();
        ids.into_iter().take(n).map(|(_, id)| id).collect()
    }

    /// The message for an id that names no runbook: the five closest.
    pub fn not_found(&self, wanted: &str) -> String {
        let close = self.closest(wanted, 5);
        if close.is_empty() {
            format!("no runbook with id `{wanted}`: none are loaded (see `mayday list`)")
        } else {
            format!(
                "no runbook with id `{wanted}` (nor with that file name or alert); closest: {} (see `mayday list`)",
                close.join(", ")
            )
        }
    }

    /// Every diagnostic: load failures, load warnings, duplicates, the
    /// linter's checks on each runbook. Sorted by path and line.
    pub fn lint(&self) -> Vec<Diagnostic> {
        let mut all: Vec<Diagnostic> = self
            .dir_errors
            .iter()
            .chain(&self.failures)
            .chain(&self.warnings)
            .chain(&self.duplicates)
            .cloned()
            .collect();
        for rb in &self.runbooks {
            all.extend(crate::runbook::lint::check(rb));
        }
        sort_diagnostics(&mut all);
        all
    }
}

/// Order diagnostics by file, line and column.
pub fn sort_diagnostics(all: &mut [Diagnostic]) {
    all.sort_by(|a, b| {
        (a.path.as_str(), a.line, a.column, a.code).cmp(&(
            b.path.as_str(),
            b.line,
            b.column,
            b.code,
        ))
    });
}

/// Every runbook file from every source, in precedence order, and the
/// directories that could not be read.
fn collect_files(sources: &Sources) -> (Vec<FileRef>, Vec<Diagnostic>) {
    let mut files = Vec::new();
    let mut dir_errors = Vec::new();
    let mut add_dir = |dir: &Path, origin: Origin, files: &mut Vec<FileRef>| match discover(dir) {
        Ok(found) => files.extend(found.into_iter().map(|p| disk(p, origin))),
        Err(e) => dir_errors.push(
            Diagnostic::error(
                "io",
                Pos::new(0, 0),
                format!("cannot read the runbook directory: {e}"),
            )
            .at_path(&dir.display().to_string()),
        ),
    };
    for dir in &sources.extra_dirs {
        add_dir(dir, Origin::Extra, &mut files);
    }
    if let Some(dir) = &sources.user_dir
        && dir.is_dir()
    {
        add_dir(dir, Origin::User, &mut files);
    }
    if sources.bundled {
        files.extend(bundled_files());
    }
    (files, dir_errors)
}

fn disk(path: PathBuf, origin: Origin) -> FileRef {
    FileRef {
        display: path.display().to_string(),
        origin,
        location: FileLocation::Disk(path),
    }
}

/// The bytes a loaded runbook came from, if they are still the same (its
/// content hash matches): for keeping a copy with an incident.
pub fn source_bytes(rb: &Runbook) -> Option<Vec<u8>> {
    let bytes = match rb.path.strip_prefix("bundled:") {
        Some(name) => bundled::RUNBOOKS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, b)| b.to_vec())?,
        None => std::fs::read(&rb.path).ok()?,
    };
    (runbook::content_hash(&bytes) == rb.hash).then_some(bytes)
}

/// The bundled runbooks as files to load.
pub fn bundled_files() -> Vec<FileRef> {
    bundled::RUNBOOKS
        .iter()
        .map(|(name, bytes)| FileRef {
            display: format!("bundled:{name}"),
            origin: Origin::Bundled,
            location: FileLocation::Bundled(bytes),
        })
        .collect()
}

/// Is this a file the library loads? Runbook extensions, not hidden, not
/// `README.md`, not starting with `_` (Hugo's `_index.md`).
pub fn is_runbook_file(name: &str) -> bool {
    !name.starts_with('.')
        && !name.starts_with('_')
        && !name.eq_ignore_ascii_case("readme.md")
        && Format::from_path(name).is_some()
}

/// Every runbook file under `dir`, recursively, sorted. Hidden directories
/// and `gamedays/` are skipped.
pub fn discover(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    let mut first = true;
    while let Some(d) = stack.pop() {
        let entries = match std::fs::read_dir(&d) {
            Ok(e) => e,
            Err(e) if first => return Err(e),
            Err(e) => {
                tracing::warn!("skipping {}: {e}", d.display());
                continue;
            }
        };
        first = false;
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let path = entry.path();
            let Ok(ft) = entry.file_type() else { continue };
            let is_dir = ft.is_dir() || (ft.is_symlink() && path.is_dir());
            if is_dir {
                if !name.starts_with('.') && name != "gamedays" {
                    stack.push(path);
                }
            } else if is_runbook_file(&name) {
                out.push(path);
            }
        }
    }
    // Byte order: as stable as component order and much cheaper to sort.
    out.sort_unstable_by(|a, b| a.as_os_str().cmp(b.as_os_str()));
    Ok(out)
}

fn load_one(f: &FileRef, hash: bool, buf: &mut Vec<u8>) -> Loaded {
    match &f.location {
        FileLocation::Bundled(bytes) => runbook::load_with(&f.display, bytes, f.origin, hash),
        FileLocation::Disk(path) => match read_into(path, buf) {
            Ok(()) => runbook::load_with(&f.display, buf, f.origin, hash),
            Err(e) => Loaded {
                runbook: None,
                diagnostics: vec![
                    Diagnostic::error("io", Pos::new(0, 0), format!("cannot read the file: {e}"))
                        .at_path(&f.display),
                ],
            },
        },
    }
}

/// Read a whole file into `buf` (cleared first), reusing its memory: open,
/// read until end of file, close — without `std::fs::read`'s extra
/// `statx` per file, which adds up over thousands of runbooks.
fn read_into(path: &Path, buf: &mut Vec<u8>) -> std::io::Result<()> {
    use std::io::Read;
    buf.clear();
    buf.reserve(16 * 1024);
    let file = std::fs::File::open(path)?;
    // Through `Take`, `read_to_end` reads into the spare capacity without
    // asking the file for its size first.
    (&file).take(u64::MAX).read_to_end(buf)?;
    Ok(())
}

/// Load files on every core, keeping their order.
pub fn load_parallel(files: &[FileRef], hash: bool) -> Vec<Loaded> {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(files.len().div_ceil(16).max(1));
    if threads <= 1 {
        let mut buf = Vec::new();
        return files.iter().map(|f| load_one(f, hash, &mut buf)).collect();
    }
    let next = AtomicUsize::new(0);
    let mut results: Vec<(usize, Loaded)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    let mut buf = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(f) = files.get(i) else { break };
                        mine.push((i, load_one(f, hash, &mut buf)));
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, l)| l).collect()
}
