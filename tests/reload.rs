//! Live reload: the library follows added, edited, broken and deleted
//! runbooks; the watcher reports changes made the way editors make them.

use mayday::runbook::library::{Library, Sources};
use mayday::runbook::watch::{self, WatchEvent};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn rb(id: &str, title: &str) -> String {
    format!("---\nid: {id}\n---\n# {title}\n\n## Check\n\ntext\n")
}

fn sources(dir: &Path) -> Sources {
    Sources {
        extra_dirs: vec![dir.to_path_buf()],
        user_dir: None,
        bundled: false,
    }
}

#[test]
fn reload_adds_changes_keeps_the_last_good_version_and_removes() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.md");
    std::fs::write(&a, rb("a", "Alpha")).unwrap();
    let src = sources(dir.path());
    let lib = Library::load(&src);
    assert_eq!(lib.runbooks.len(), 1);

    let b = dir.path().join("b.md");
    std::fs::write(&b, rb("b", "Bravo")).unwrap();
    let (lib, report) = lib.reload(&src, std::slice::from_ref(&b));
    assert_eq!(report.added, ["b"]);
    assert_eq!(lib.runbooks.len(), 2);

    std::fs::write(&b, rb("b", "Bravo, edited")).unwrap();
    let (lib, report) = lib.reload(&src, std::slice::from_ref(&b));
    assert_eq!(report.changed, ["b"]);
    assert_eq!(lib.get("b").unwrap().title, "Bravo, edited");

    // Broken: the last good version stays, the diagnostic is reported.
    std::fs::write(&b, "---\nid: b\ntitle: [broken\n---\n").unwrap();
    let (lib, report) = lib.reload(&src, std::slice::from_ref(&b));
    assert!(report.changed.is_empty() && report.removed.is_empty());
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].code, "front-matter-syntax");
    assert_eq!(report.failed[0].line, 3);
    assert_eq!(lib.get("b").unwrap().title, "Bravo, edited");

    // Fixed again.
    std::fs::write(&b, rb("b", "Bravo, fixed")).unwrap();
    let (lib, report) = lib.reload(&src, std::slice::from_ref(&b));
    assert_eq!(report.changed, ["b"]);
    assert_eq!(lib.get("b").unwrap().title, "Bravo, fixed");

    std::fs::remove_file(&b).unwrap();
    let (lib, report) = lib.reload(&src, &[b]);
    assert_eq!(report.removed, ["b"]);
    assert!(lib.get("b").is_none());
    // Untouched runbooks are reused as they were.
    assert_eq!(lib.get("a").unwrap().title, "Alpha");
}

/// Wait for change reports until `want` has been reported (or fail).
fn wait_for(rx: &mut tokio::sync::mpsc::UnboundedReceiver<WatchEvent>, want: &Path) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        match rx.try_recv() {
            Ok(WatchEvent::Changed(paths))
                if paths.iter().any(|p| p.ends_with(want.file_name().unwrap())) =>
            {
                return;
            }
            Ok(_) => {}
            Err(_) => {
                assert!(
                    std::time::Instant::now() < deadline,
                    "no change reported for {}",
                    want.display()
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

#[test]
fn the_watcher_reports_adds_edits_renames_and_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("team");
    std::fs::create_dir(&sub).unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let missing: PathBuf = dir.path().join("does-not-exist");
    let handle = watch::spawn_watcher(vec![dir.path().to_path_buf(), missing], tx).unwrap();
    assert_eq!(handle.watching, [dir.path().to_path_buf()]);
    let f = sub.join("x.md");
    std::fs::write(&f, rb("x", "X")).unwrap();
    wait_for(&mut rx, &f);
    std::fs::write(&f, rb("x", "X2")).unwrap();
    wait_for(&mut rx, &f);
    // Save the way editors do: write elsewhere, rename over.
    let tmp = sub.join(".x.md.swp");
    std::fs::write(&tmp, rb("x", "X3")).unwrap();
    std::fs::rename(&tmp, &f).unwrap();
    wait_for(&mut rx, &f);
    std::fs::remove_file(&f).unwrap();
    wait_for(&mut rx, &f);
    // Files that are not runbooks are not reported.
    std::fs::write(sub.join("notes.txt"), "x").unwrap();
    std::thread::sleep(Duration::from_millis(800));
    while let Ok(WatchEvent::Changed(paths)) = rx.try_recv() {
        assert!(
            paths
                .iter()
                .all(|p| p.extension().is_some_and(|e| e != "txt")),
            "{paths:?}"
        );
    }
    drop(handle);
}

/// Reading is not changing: `cat`, `grep -r`, an editor opening a file, and
/// the reload itself read every watched file, and none of that may report a
/// change (it used to reload in a loop, ten to a thousand times a second).
#[test]
fn reading_every_watched_file_reports_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<PathBuf> = (0..5)
        .map(|i| {
            let f = dir.path().join(format!("r{i}.md"));
            std::fs::write(&f, rb(&format!("r{i}"), "R")).unwrap();
            f
        })
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let _handle = watch::spawn_watcher(vec![dir.path().to_path_buf()], tx).unwrap();
    for _ in 0..20 {
        for f in &files {
            let _ = std::fs::read(f).unwrap();
            let _ = std::fs::File::open(f).unwrap().metadata().unwrap();
        }
    }
    // And the way `grep -r` does it, through a real process.
    let _ = std::process::Command::new("grep")
        .args(["-r", "anything"])
        .arg(dir.path())
        .output();
    std::thread::sleep(watch::DEBOUNCE * 4);
    let reported: Vec<WatchEvent> = std::iter::from_fn(|| rx.try_recv().ok()).collect();
    assert!(reported.is_empty(), "reads were reported: {reported:?}");
    // The watcher is alive: a write is still seen.
    std::fs::write(&files[0], rb("r0", "R2")).unwrap();
    wait_for(&mut rx, &files[0]);
}
