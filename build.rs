//! Embeds the bundled runbooks, game-day scenarios and themes in the binary,
//! so `cargo install` works anywhere.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn collect(
    dir: &Path,
    rel: &str,
    skip_dir: Option<&str>,
    exts: &[&str],
    out: &mut Vec<(String, PathBuf)>,
) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let path = e.path();
        let rel_name = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        if path.is_dir() {
            if Some(name.as_str()) == skip_dir {
                continue;
            }
            println!("cargo:rerun-if-changed={}", path.display());
            collect(&path, &rel_name, skip_dir, exts, out);
        } else if exts.iter().any(|x| name.ends_with(x)) {
            out.push((rel_name, path));
        }
    }
}

fn table(name: &str, what: &str, files: &[(String, PathBuf)]) -> String {
    let mut s = format!(
        "/// The bundled {what}: (relative path, file bytes).\npub static {name}: &[(&str, &[u8])] = &[\n"
    );
    for (rel, path) in files {
        let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
        let _ = writeln!(
            s,
            "    ({rel:?}, include_bytes!({:?})),",
            abs.display().to_string()
        );
    }
    s.push_str("];\n");
    s
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into()));
    for d in ["runbooks", "runbooks/gamedays", "themes"] {
        println!("cargo:rerun-if-changed={}", root.join(d).display());
    }
    let mut runbooks = Vec::new();
    collect(
        &root.join("runbooks"),
        "",
        Some("gamedays"),
        &[".md", ".markdown", ".yaml", ".yml"],
        &mut runbooks,
    );
    let mut gamedays = Vec::new();
    collect(
        &root.join("runbooks/gamedays"),
        "",
        None,
        &[".yaml", ".yml"],
        &mut gamedays,
    );
    let mut themes = Vec::new();
    collect(
        &root.join("themes"),
        "",
        None,
        &[".yaml", ".yml"],
        &mut themes,
    );
    let mut code = String::new();
    code.push_str(&table("RUNBOOKS", "runbooks", &runbooks));
    code.push_str(&table("GAMEDAYS", "game-day scenarios", &gamedays));
    code.push_str(&table("THEMES", "themes", &themes));
    let out =
        PathBuf::from(std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into())).join("bundled.rs");
    if let Err(e) = std::fs::write(&out, code) {
        panic!("cannot write {}: {e}", out.display());
    }
}
