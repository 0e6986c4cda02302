//! Idle cost of the real binary with an incident open: CPU over 10 s and
//! resident memory. Runs `mayday start …` in a detached tmux session.
//!
//! cargo bench --bench idle

use mayday::library::{Library, Sources};
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
    let mut cmd = format!(
        "{bin} --data-dir {} start database-down --severity high --responder bench",
        dir.path().display()
    );
    for v in &rb.variables {
        cmd.push_str(&format!(
            " --var {}={}",
            v.name,
            v.default.clone().unwrap_or_else(|| "x".into())
        ));
    }
    let socket = format!("mayday-idle-{}", std::process::id());
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
    std::thread::sleep(Duration::from_secs(2));
    let pid = Command::new("pgrep")
        .args([
            "-n",
            "-f",
            &format!("{bin} --data-dir {}", dir.path().display()),
        ])
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
    println!(
        "idle with an incident open: {cpu:.2} % of one core over {secs:.1} s, {rss:.1} MiB resident"
    );
    let _ = Command::new("tmux")
        .args(["-L", &socket, "kill-server"])
        .status();
}
