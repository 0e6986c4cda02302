//! Idle cost of the real binary with an incident open: CPU over 10 s and
//! resident memory. Runs `mayday start …` in a detached tmux session.
//!
//! cargo bench --bench idle

use mayday::runbook::library::{Library, Sources};
use std::process::Command;
use std::time::{Duration, Instant};

fn ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = after.split_whitespace().collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Start `args` in a detached tmux session, wait for it to settle, sample
/// CPU and memory for 10 s, and print the figures under `label`.
fn measure(label: &str, bin: &str, args: &str, envs: &[(&str, String)]) {
    let socket = format!("mayday-idle-{}-{}", std::process::id(), label.len());
    let mut cmd = String::new();
    for (k, v) in envs {
        cmd.push_str(&format!("{k}={v} "));
    }
    cmd.push_str(&format!("{bin} {args}"));
    let ok = Command::new("tmux")
        .args([
            "-L",
            &socket,
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "idle",
            "-x",
            "120",
            "-y",
            "40",
            &cmd,
        ])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "tmux failed");
    // Let loading, the first polls and the first frames pass.
    std::thread::sleep(Duration::from_secs(4));
    let pid = Command::new("pgrep")
        .args(["-n", "-f", &format!("{bin} {args}")])
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .trim()
                .parse::<u32>()
                .ok()
        })
        .expect("the mayday process");
    let hz = 100.0; // USER_HZ on Linux
    let t0 = Instant::now();
    let c0 = ticks(pid).expect("stat");
    std::thread::sleep(Duration::from_secs(10));
    let c1 = ticks(pid).expect("stat");
    let secs = t0.elapsed().as_secs_f64();
    let cpu = (c1 - c0) as f64 / hz / secs * 100.0;
    let rss = rss_kib(pid).unwrap_or(0) as f64 / 1024.0;
    println!("{label}: {cpu:.2} % of one core over {secs:.1} s, {rss:.1} MiB resident");
    let _ = Command::new("tmux")
        .args(["-L", &socket, "kill-server"])
        .status();
}

/// A loopback HTTP server that answers every request `200 ok` (the status
/// sources of the busy case), on a thread, for the life of the bench.
fn health_server() -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = conn.read(&mut buf);
            let _ = conn
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
        }
    });
    format!("http://{addr}/healthz")
}

/// A loopback server answering like Prometheus: no alerts, and every
/// `query_range` with 6 series of 121 samples (30 minutes at 15 s).
fn prometheus_server() -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let now = jiff::Timestamp::now().as_second();
    let series: Vec<String> = (0..6)
        .map(|k| {
            let values: Vec<String> = (0..=120)
                .map(|i| {
                    format!(
                        "[{},\"{}\"]",
                        now - (120 - i) * 15,
                        0.2 + 0.01 * (k * i) as f64
                    )
                })
                .collect();
            format!(
                r#"{{"metric":{{"pod":"checkout-api-{k}"}},"values":[{}]}}"#,
                values.join(",")
            )
        })
        .collect();
    let matrix = format!(
        r#"{{"status":"success","data":{{"resultType":"matrix","result":[{}]}}}}"#,
        series.join(",")
    );
    let alerts = r#"{"status":"success","data":{"alerts":[]}}"#.to_owned();
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let mut buf = [0u8; 8192];
            let n = conn.read(&mut buf).unwrap_or(0);
            let body = if buf[..n].starts_with(b"GET /api/v1/query_range") {
                &matrix
            } else {
                &alerts
            };
            let _ = conn.write_all(
                format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                )
                .as_bytes(),
            );
        }
    });
    format!("http://{addr}")
}

fn main() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("SKIPPED: tmux is not installed");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_mayday");
    let dir = tempfile::tempdir().expect("temp dir");
    let lib = Library::load(&Sources {
        bundled: true,
        ..Sources::default()
    });
    let rb = lib.get("database-down").expect("bundled runbook");
    let mut start = format!(
        "--data-dir {} start database-down --severity high --responder bench",
        dir.path().display()
    );
    for v in &rb.variables {
        start.push_str(&format!(
            " --var {}={}",
            v.name,
            v.default.clone().unwrap_or_else(|| "x".into())
        ));
    }
    let config_home = dir.path().join("config");
    std::fs::create_dir_all(config_home.join("mayday")).expect("config dir");
    let home = [("XDG_CONFIG_HOME", config_home.display().to_string())];
    measure(
        "idle with an incident open (bundled runbooks only)",
        bin,
        &start,
        &home,
    );

    // Busy: 400 user runbooks (the bundled ones, forty times under other
    // ids) and two status sources polling every 2 s.
    let user = config_home.join("mayday").join("runbooks");
    std::fs::create_dir_all(&user).expect("runbook dir");
    let mut n = 0;
    'outer: for copy in 0..60 {
        for (name, bytes) in mayday::runbook::library::bundled::RUNBOOKS {
            if n >= 400 {
                break 'outer;
            }
            let Some(stem) = name
                .strip_suffix(".md")
                .or_else(|| name.strip_suffix(".yaml"))
            else {
                continue;
            };
            let ext = if name.ends_with(".md") { "md" } else { "yaml" };
            let text = String::from_utf8_lossy(bytes).replacen(
                &format!("id: {stem}"),
                &format!("id: {stem}-{copy}"),
                1,
            );
            std::fs::write(user.join(format!("{stem}-{copy}.{ext}")), text).expect("write");
            n += 1;
        }
    }
    let url = health_server();
    std::fs::write(
        config_home.join("mayday").join("config.yaml"),
        format!(
            "sources:\n  - {{name: api, kind: http, url: \"{url}\", interval: 2s}}\n  - {{name: web, kind: http, url: \"{url}\", interval: 2s}}\n"
        ),
    )
    .expect("config");
    // A step with three live query blocks on screen, a Prometheus source
    // every 5 s (its status poll and the three queries), nothing else.
    let q_home = dir.path().join("q-config");
    let q_runbooks = q_home.join("mayday").join("runbooks");
    std::fs::create_dir_all(&q_runbooks).expect("runbook dir");
    std::fs::write(
        q_runbooks.join("checkout-latency.md"),
        "# Checkout latency\n\n## Measure {.diagnose}\n\n```promql\nhistogram_quantile(0.99, sum by (le, pod) (rate(http_request_duration_seconds_bucket[5m])))\n```\n\n```promql\nsum by (pod) (rate(http_requests_total[5m]))\n```\n\n```promql\nsum by (pod) (rate(container_cpu_usage_seconds_total[5m]))\n```\n",
    )
    .expect("runbook");
    std::fs::write(
        q_home.join("mayday").join("config.yaml"),
        format!(
            "sources:\n  - {{name: prom, kind: prometheus, url: \"{}\", interval: 5s}}\n",
            prometheus_server()
        ),
    )
    .expect("config");
    measure(
        "incident open on a step with 3 live queries, refreshed every 5 s",
        bin,
        &format!(
            "--data-dir {} start checkout-latency --severity high --responder bench",
            dir.path().join("queries").display()
        ),
        &[("XDG_CONFIG_HOME", q_home.display().to_string())],
    );
    // The queries did run: their first answers are evidence in the log.
    let evidence: usize = std::fs::read_dir(dir.path().join("queries").join("incidents"))
        .expect("the incidents dir")
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .map(|t| t.matches("\"kind\":\"evidence\"").count())
        .sum();
    assert!(
        evidence >= 3,
        "the three queries were not answered ({evidence} evidence events)"
    );

    measure(
        &format!("picker, {n} user runbooks + bundled, 2 sources every 2 s"),
        bin,
        &format!("--data-dir {}", dir.path().join("busy").display()),
        &home,
    );
    measure(
        &format!("incident open, {n} user runbooks + bundled, 2 sources every 2 s"),
        bin,
        &start
            .replace("start database-down", "start database-down-0")
            .replace(
                &format!("--data-dir {}", dir.path().display()),
                &format!("--data-dir {}", dir.path().join("busy2").display()),
            ),
        &home,
    );
}
