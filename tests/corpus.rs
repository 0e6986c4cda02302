//! Runbook corpora: the bundled runbooks, malformed files with their
//! expected diagnostics, and plain Markdown runbooks in the style of public
//! alert-runbook collections.

use mayday::runbook::library::{self, FileLocation, FileRef, Library, Sources};
use mayday::runbook::{Format, Origin, StepKind};
use mayday::util::diag::Level;
use std::path::{Path, PathBuf};

fn corpus(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(rel)
}

fn files_in(dir: &Path) -> Vec<FileRef> {
    library::discover(dir)
        .expect("corpus dir")
        .into_iter()
        .map(|p| FileRef {
            display: p.display().to_string(),
            origin: Origin::Extra,
            location: FileLocation::Disk(p),
        })
        .collect()
}

fn one_file(path: &Path) -> Library {
    Library::from_files(&[FileRef {
        display: path.display().to_string(),
        origin: Origin::Extra,
        location: FileLocation::Disk(path.to_path_buf()),
    }])
}

fn manifest(path: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect()
}

#[test]
fn bundled_runbooks_load_and_lint_clean() {
    let lib = Library::load(&Sources {
        bundled: true,
        ..Sources::default()
    });
    assert!(lib.failures.is_empty(), "{:#?}", lib.failures);
    let diags = lib.lint();
    let shown: Vec<String> = diags.iter().map(ToString::to_string).collect();
    assert!(
        diags.is_empty(),
        "bundled runbooks must lint clean:\n{}",
        shown.join("\n")
    );
    assert!(lib.runbooks.len() >= 8, "{} runbooks", lib.runbooks.len());
    for id in ["database-down", "rate-limited-api", "bad-deploy"] {
        let rb = lib.get(id).unwrap_or_else(|| panic!("{id} is bundled"));
        for kind in [StepKind::Diagnose, StepKind::Mitigate, StepKind::Verify] {
            assert!(
                rb.steps.iter().any(|s| s.kind == kind),
                "{id} has a {kind} step"
            );
        }
        assert!(
            rb.steps.iter().any(|s| !s.decisions.is_empty()),
            "{id} has a decision"
        );
        assert!(
            rb.steps.iter().any(|s| !s.checklist.is_empty()),
            "{id} has a checklist"
        );
        assert!(!rb.variables.is_empty(), "{id} has variables");
        assert!(
            rb.steps.iter().any(|s| !s.verify.is_empty()),
            "{id} has a verify condition"
        );
        assert!(
            rb.steps
                .iter()
                .any(|s| s.commands.iter().any(|c| c.runnable)),
            "{id} has a runnable command"
        );
    }
    let formats: Vec<Format> = lib.runbooks.iter().map(|r| r.format).collect();
    assert!(
        formats.contains(&Format::Markdown) && formats.contains(&Format::Yaml),
        "both formats are bundled"
    );
}

#[test]
fn malformed_files_give_the_expected_diagnostic() {
    let dir = corpus("malformed");
    let rows = manifest(&dir.join("expected.tsv"));
    assert!(
        rows.len() >= 30,
        "at least 30 malformed files, found {}",
        rows.len()
    );
    let mut failures = Vec::new();
    for row in &rows {
        let [file, code, line, severity] = &row[..] else {
            panic!("bad manifest row {row:?}");
        };
        let path = dir.join(file);
        assert!(path.exists(), "{} is listed but missing", path.display());
        let diags = one_file(&path).lint();
        let line: u32 = line.parse().expect("line number");
        let level = if severity == "warning" {
            Level::Warning
        } else {
            Level::Error
        };
        let found = diags
            .iter()
            .any(|d| d.code == code.as_str() && d.line == line && d.severity == level);
        if !found {
            let got: Vec<String> = diags
                .iter()
                .map(|d| format!("{}:{} {}[{}]", d.line, d.column, d.severity, d.code))
                .collect();
            failures.push(format!(
                "{file}: expected {severity}[{code}] on line {line}, got {got:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_malformed_file_is_in_the_manifest() {
    let dir = corpus("malformed");
    let listed: Vec<String> = manifest(&dir.join("expected.tsv"))
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    for entry in std::fs::read_dir(&dir).expect("dir") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if name != "expected.tsv" {
            assert!(listed.contains(&name), "{name} has no expected diagnostic");
        }
    }
}

#[test]
fn duplicate_runbook_ids_name_both_files() {
    let lib = Library::from_files(&files_in(&corpus("duplicate-ids")));
    assert_eq!(lib.duplicates.len(), 1, "{:#?}", lib.duplicates);
    let d = &lib.duplicates[0];
    assert_eq!(d.code, "duplicate-runbook-id");
    let kept = &lib.runbooks[0].path;
    assert!(d.message.contains(kept.as_str()) && d.path != *kept, "{d}");
}

#[test]
fn plain_markdown_runbooks_load_with_the_right_steps_and_kinds() {
    let dir = corpus("plain");
    let rows = manifest(&dir.join("expected.tsv"));
    assert!(rows.len() >= 6);
    for row in rows {
        let [file, title, count, kinds] = &row[..] else {
            panic!("bad manifest row {row:?}");
        };
        let lib = one_file(&dir.join(file));
        assert!(lib.failures.is_empty(), "{file}: {:#?}", lib.failures);
        let rb = &lib.runbooks[0];
        assert_eq!(&rb.title, title, "{file}");
        assert_eq!(
            rb.steps.len(),
            count.parse::<usize>().unwrap(),
            "{file}: {:?}",
            rb.steps.iter().map(|s| &s.title).collect::<Vec<_>>()
        );
        let got: Vec<&str> = rb.steps.iter().map(|s| s.kind.as_str()).collect();
        let want: Vec<&str> = kinds.split(',').map(str::trim).collect();
        assert_eq!(got, want, "{file}");
        // Code blocks in plain runbooks are display-only.
        assert!(
            rb.steps
                .iter()
                .flat_map(|s| &s.commands)
                .all(|c| !c.runnable),
            "{file}"
        );
    }
}

#[test]
fn template_lookalikes_survive_loading_unchanged() {
    let dir = corpus("plain");
    for row in manifest(&dir.join("templates.tsv")) {
        let [file, line] = &row[..] else {
            panic!("bad manifest row {row:?}");
        };
        let lib = one_file(&dir.join(file));
        let rb = &lib.runbooks[0];
        let in_command = rb
            .steps
            .iter()
            .flat_map(|s| &s.commands)
            .any(|c| c.text.lines().any(|l| l == line.as_str()));
        assert!(
            in_command,
            "{file}: `{line}` not found verbatim in any command"
        );
        assert!(
            rb.var_uses.is_empty() || rb.var_uses.iter().all(|u| rb.variable(&u.name).is_some()),
            "{file}: template text taken for variables: {:?}",
            rb.var_uses
        );
    }
}

#[test]
fn show_output_of_a_bundled_runbook() {
    let lib = Library::load(&Sources {
        bundled: true,
        ..Sources::default()
    });
    let rb = lib.get("database-down").expect("bundled");
    insta::assert_snapshot!("show_database_down", mayday::ui::show::render(rb, 100));
}

#[test]
fn both_formats_of_the_format_doc_example_load_the_same_steps() {
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/runbook-format.md"),
    )
    .unwrap();
    let md_start = doc.find("### Markdown").expect("section");
    let md = &doc[md_start..];
    let md = &md[md.find("````markdown\n").unwrap() + 13..];
    let md = &md[..md.find("\n````\n").unwrap() + 1];
    let yaml_start = doc[md_start..].find("### YAML").unwrap() + md_start;
    let y = &doc[yaml_start..];
    let y = &y[y.find("```yaml\n").unwrap() + 8..];
    let y = &y[..y.find("\n```").unwrap() + 1];
    let a = mayday::runbook::load("example.md", md.as_bytes(), Origin::Extra);
    let b = mayday::runbook::load("example.yaml", y.as_bytes(), Origin::Extra);
    let (a, b) = (
        a.runbook.expect("markdown loads"),
        b.runbook.expect("yaml loads"),
    );
    assert!(
        mayday::runbook::lint::check(&a).is_empty(),
        "{:?}",
        mayday::runbook::lint::check(&a)
    );
    assert!(
        mayday::runbook::lint::check(&b).is_empty(),
        "{:?}",
        mayday::runbook::lint::check(&b)
    );
    assert_eq!(a.id, b.id);
    assert_eq!(
        a.variables,
        b.variables
            .iter()
            .map(|v| mayday::runbook::Variable {
                pos: a.variables[0].pos,
                ..v.clone()
            })
            .collect::<Vec<_>>()
    );
    assert_eq!(a.steps.len(), b.steps.len());
    for (x, y) in a.steps.iter().zip(&b.steps) {
        assert_eq!((&x.id, &x.title, x.kind), (&y.id, &y.title, y.kind));
        let cmds = |s: &mayday::runbook::Step| {
            s.commands
                .iter()
                .map(|c| {
                    (
                        c.text.clone(),
                        c.runnable,
                        c.confirm,
                        c.timeout,
                        c.dangerous,
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(cmds(x), cmds(y));
        let checks = |s: &mayday::runbook::Step| {
            s.checklist
                .iter()
                .map(|c| c.text.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(checks(x), checks(y));
        let gotos = |s: &mayday::runbook::Step| {
            s.decisions
                .iter()
                .flat_map(|d| d.choices.iter().map(|c| c.goto.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(gotos(x), gotos(y));
        let verify = |s: &mayday::runbook::Step| {
            s.verify
                .iter()
                .map(|v| (v.source.clone(), v.state, v.for_))
                .collect::<Vec<_>>()
        };
        assert_eq!(verify(x), verify(y));
        let waits = |s: &mayday::runbook::Step| {
            s.waits
                .iter()
                .map(|w| (w.duration, w.reason.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(waits(x), waits(y));
    }
}

/// `label:` on a variable names the alert label it is filled from, in both
/// formats (and the front matter's fast path).
#[test]
fn variables_can_name_the_alert_label_they_come_from() {
    let md = "---\ntitle: Pods crash looping\nvariables:\n  - name: ns\n    label: namespace\n  - name: pod\n    prompt: The pod\n    label: pod\n    required: true\n---\n\n# Pods crash looping\n\n## Look {.diagnose}\n\n```sh\nkubectl -n {{ns}} describe pod {{pod}}\n```\n";
    let y = "title: Pods crash looping\nvariables:\n  - {name: ns, label: namespace}\n  - {name: pod, prompt: The pod, label: pod, required: true}\nsteps:\n  - title: Look\n    kind: diagnose\n    commands:\n      - text: 'kubectl -n {{ns}} describe pod {{pod}}'\n";
    for (name, text) in [("a.md", md), ("a.yaml", y)] {
        let loaded = mayday::runbook::load(name, text.as_bytes(), Origin::Extra);
        assert!(
            loaded
                .diagnostics
                .iter()
                .all(|d| d.severity != Level::Error),
            "{name}: {:?}",
            loaded.diagnostics
        );
        let rb = loaded.runbook.expect("loads");
        let labels: Vec<(&str, Option<&str>)> = rb
            .variables
            .iter()
            .map(|v| (v.name.as_str(), v.label.as_deref()))
            .collect();
        assert_eq!(
            labels,
            [("ns", Some("namespace")), ("pod", Some("pod"))],
            "{name}"
        );
    }
}
