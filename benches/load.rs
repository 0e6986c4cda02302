//! Load and lint throughput over 10,000 real-world-sized Markdown runbooks
//! (about 20 MB), measured in one run against the floor: pulldown-cmark
//! alone parsing the same files.
//!
//! cargo bench --bench load

use criterion::{Criterion, criterion_group, criterion_main};

// The same allocator as the binary.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use mayday::runbook::library::{Library, Sources};
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

const FILES: usize = 10_000;

/// Sentences and blocks runbooks are made of.
const PROSE: &[&str] = &[
    "This alert fires when the error ratio of the service stays above the SLO burn rate for five minutes.",
    "Check the dashboards first: a spike that matches a deploy is usually the deploy.",
    "Customers see **timeouts** on checkout and the mobile app retries, which doubles the load.",
    "If the database is the bottleneck, `pg_stat_activity` shows many sessions *waiting on locks*.",
    "Do not restart everything at once; restart one pod, watch it for a minute, then continue.",
    "The runbook owner is the platform team; page them if nothing here helps within 15 minutes.",
    "Look at the [Grafana dashboard](https://grafana.example.com/d/abc) and the recent deploys.",
    "Capacity is tight during the evening peak, so scaling out takes about four minutes.",
];
const CODE: &[&str] = &[
    "```console\n$ kubectl -n {{namespace}} get pods -l app=api -o wide\n$ kubectl -n {{namespace}} logs deploy/api --since=10m | tail -50\n```",
    "```sh {run timeout=30s}\ncurl -sS -o /dev/null -w '%{http_code} %{time_total}\\n' https://api.example.com/healthz\n```",
    "```promql\nsum(rate(http_requests_total{job=\"api\",code=~\"5..\"}[5m])) / sum(rate(http_requests_total{job=\"api\"}[5m]))\n```",
    "```sh\nkubectl get pods -A -o go-template='{{range .items}}{{.metadata.name}}{{\"\\n\"}}{{end}}'\n```",
];
const HEADINGS: &[&str] = &[
    "Meaning",
    "Impact",
    "Diagnosis",
    "Mitigation",
    "Rollback",
    "Verification",
    "Escalation",
];

fn runbook(i: usize) -> String {
    let mut s = format!(
        "---\nid: rb-{i:05}\ntitle: Service {i} is failing\nseverity: high\ntags: [api, team-{t}]\nalerts: [Alert{i}]\nvariables:\n  - name: namespace\n    default: prod\n---\n\n# Service {i} is failing\n\n",
        t = i % 17
    );
    for (h, heading) in HEADINGS.iter().enumerate() {
        s.push_str(&format!("## {heading}\n\n"));
        s.push_str(PROSE[(i + h) % PROSE.len()]);
        s.push(' ');
        s.push_str(PROSE[(i * 3 + h) % PROSE.len()]);
        s.push_str("\n\n");
        if h % 2 == 1 {
            s.push_str(CODE[(i + h) % CODE.len()]);
            s.push_str("\n\n");
        }
        if h == 3 {
            s.push_str(
                "- [ ] Tell #incidents what you are doing\n- [ ] Note the time in the log\n\n",
            );
        }
    }
    s
}

fn write_corpus(dir: &Path) -> (Vec<String>, usize) {
    let mut texts = Vec::with_capacity(FILES);
    let mut bytes = 0;
    for i in 0..FILES {
        let text = runbook(i);
        bytes += text.len();
        let sub = dir.join(format!("team-{:02}", i % 50));
        std::fs::create_dir_all(&sub).expect("mkdir");
        std::fs::write(sub.join(format!("rb-{i:05}.md")), &text).expect("write");
        texts.push(text);
    }
    (texts, bytes)
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let (texts, bytes) = write_corpus(dir.path());
    eprintln!("corpus: {FILES} files, {:.1} MB", bytes as f64 / 1e6);
    let sources = Sources {
        extra_dirs: vec![dir.path().to_path_buf()],
        user_dir: None,
        bundled: false,
    };
    let mut g = c.benchmark_group("load_10k_runbooks");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(15))
        .warm_up_time(Duration::from_secs(2));
    g.bench_function("pulldown_cmark_alone", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for t in &texts {
                n += pulldown_cmark::Parser::new_ext(t, mayday::runbook::options()).count();
            }
            black_box(n)
        });
    });
    // What `mayday list` does (no content hashes); dropping the result is
    // not part of loading (the CLI exits without freeing it).
    g.bench_function("library_load", |b| {
        b.iter_with_large_drop(|| {
            let lib = Library::load_unhashed(&sources);
            assert_eq!(lib.runbooks.len(), FILES);
            lib
        });
    });
    g.bench_function("library_load_with_hashes", |b| {
        b.iter_with_large_drop(|| Library::load(&sources));
    });
    let lib = Library::load(&sources);
    g.bench_function("lint_loaded", |b| b.iter(|| black_box(lib.lint().len())));
    g.bench_function("list_json_process", |b| {
        b.iter(|| {
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_mayday"))
                .args(["list", "--json", "--no-bundled", "--runbooks"])
                .arg(dir.path())
                .env("XDG_CONFIG_HOME", dir.path().join(".none"))
                .output()
                .expect("run mayday");
            assert!(out.status.success());
            black_box(out.stdout.len())
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
