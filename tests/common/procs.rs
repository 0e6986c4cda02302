//! Real servers for the tests (Debian's `prometheus`, `alertmanager`,
//! `victoria-metrics`): found on the PATH, started on free loopback ports,
//! killed when the test ends however it ends.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The first of `names` on the PATH.
pub fn which(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names
        .iter()
        .flat_map(|n| std::env::split_paths(&path).map(move |d| d.join(n)))
        .find(|p| p.is_file())
}

/// A free loopback port (nothing listens on it once this returns).
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// `which`, or — without the binary — a SKIPPED line (a failure under
/// `MAYDAY_REQUIRE_PROMETHEUS=1`, as in CI).
pub fn required(names: &[&str]) -> Option<PathBuf> {
    let required = std::env::var("MAYDAY_REQUIRE_PROMETHEUS").is_ok_and(|v| v == "1");
    let found = which(names);
    if found.is_none() {
        assert!(!required, "{} is not installed", names[0]);
        let _ = writeln!(
            std::io::stderr().lock(),
            "SKIPPED: {} is not installed",
            names[0]
        );
    }
    found
}

/// Kills the child when the test ends, however it ends.
pub struct Proc(Child, &'static str, PathBuf);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Proc {
    /// Start `bin` with `args`, its output in `<dir>/<name>.log`.
    pub fn start(name: &'static str, bin: &Path, args: &[String], dir: &Path) -> Proc {
        let log = dir.join(format!("{name}.log"));
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(bin)
            .args(args)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        Proc(child, name, log)
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.0.id()
    }

    /// The last lines of its log, for a failure message.
    pub fn log(&self) -> String {
        let text = std::fs::read_to_string(&self.2).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(15).collect();
        format!(
            "--- {} log (last lines) ---\n{}",
            self.1,
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        )
    }
}

/// A Prometheus scraping itself every second on a free port, once it
/// answers a query (`None` without the binary).
pub fn self_scraping_prometheus(dir: &Path) -> Option<(Proc, u16)> {
    prometheus_with(dir, "")
}

/// [`self_scraping_prometheus`] with more configuration (`rule_files:`,
/// relative to `dir`).
pub fn prometheus_with(dir: &Path, extra: &str) -> Option<(Proc, u16)> {
    let bin = required(&["prometheus"])?;
    let port = free_port();
    std::fs::write(
        dir.join("prometheus.yml"),
        format!(
            "global:\n  scrape_interval: 1s\n{extra}scrape_configs:\n  - job_name: self\n    static_configs:\n      - targets: ['127.0.0.1:{port}']\n"
        ),
    )
    .unwrap();
    let prom = Proc::start(
        "prometheus",
        &bin,
        &[
            format!("--config.file={}", dir.join("prometheus.yml").display()),
            format!("--storage.tsdb.path={}", dir.join("data").display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
        ],
        dir,
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        // A plain HTTP/1.0 request: no client needed to know it is up.
        let up = std::net::TcpStream::connect(("127.0.0.1", port)).and_then(|mut s| {
            use std::io::Read;
            s.set_read_timeout(Some(Duration::from_secs(2)))?;
            s.write_all(b"GET /api/v1/query?query=up HTTP/1.0\r\n\r\n")?;
            let mut body = String::new();
            s.read_to_string(&mut body)?;
            Ok(body.contains("\"value\""))
        });
        if up.unwrap_or(false) {
            return Some((prom, port));
        }
        assert!(
            Instant::now() < deadline,
            "Prometheus did not answer\n{}",
            prom.log()
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}
