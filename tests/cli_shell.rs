//! A CLI that fits the shell: completions for every shell (commands,
//! flags, and runbook and incident ids read when Tab is pressed), the man
//! page, and flags that only matter to the full-screen app listed only
//! where they do something.

mod common;

use common::Env;

fn bin() -> String {
    assert_cmd::cargo::cargo_bin("mayday").display().to_string()
}

#[test]
fn completions_for_every_shell_register_this_binary() {
    let env = Env::new();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = env.cmd().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("COMPLETE"), "{shell}: {text}");
        assert!(
            text.contains(&bin()),
            "{shell} calls this binary back: {text}"
        );
    }
    assert_eq!(
        env.cmd()
            .args(["completions", "tcsh"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
    // Bash takes it as it is.
    if let Ok(out) = std::process::Command::new("bash")
        .args([
            "-c",
            &format!(
                "source <('{}' completions bash) && complete -p mayday",
                bin()
            ),
        ])
        .output()
    {
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            text.contains("_clap_complete_mayday") && text.ends_with("mayday\n"),
            "{text}"
        );
    }
}

/// What the shell gets on Tab: the fish protocol (one candidate per line,
/// a tab before its description), which every shell's code calls the same
/// way.
fn tab(env: &Env, words: &[&str]) -> Vec<String> {
    let out = env
        .cmd()
        .env("COMPLETE", "fish")
        .arg("--")
        .arg("mayday")
        .args(words)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split('\t').next().unwrap_or("").to_owned())
        .collect()
}

#[test]
fn tab_completes_commands_runbook_ids_and_incident_ids() {
    let env = Env::new();
    assert!(tab(&env, &["cov"]).contains(&"coverage".to_owned()));
    // Runbook ids: the bundled ones and those in MAYDAY_RUNBOOKS.
    let dir = env.mkdir("extra");
    env.write(
        "extra/payments-down.md",
        "# Payments down\n\n## Look\n\nx\n",
    );
    let mut with_extra = env.cmd();
    with_extra
        .env("COMPLETE", "fish")
        .env("MAYDAY_RUNBOOKS", &dir)
        .args(["--", "mayday", "start", ""]);
    let out = with_extra.output().unwrap();
    let ids = String::from_utf8_lossy(&out.stdout);
    assert!(ids.contains("database-down\t"), "{ids}");
    assert!(ids.contains("payments-down\tPayments down"), "{ids}");
    // Incident ids from the data dir.
    let data = env.data_home().join("mayday");
    let kind = common::started_kind("database-down", false);
    let at = jiff::Timestamp::from_second(1_800_000_000).unwrap();
    let (w, _) = mayday::incident::store::create(&data, "database-down", kind, at).unwrap();
    let id = w.incident_id().to_owned();
    drop(w);
    let mut c = env.cmd();
    c.env("COMPLETE", "fish")
        .env("MAYDAY_DATA_DIR", &data)
        .args(["--", "mayday", "export", ""]);
    let out = String::from_utf8_lossy(&c.output().unwrap().stdout).into_owned();
    assert!(out.lines().any(|l| l == id), "{out}");
    for words in [["resume", ""], ["review", ""]] {
        let mut c = env.cmd();
        c.env("COMPLETE", "fish")
            .env("MAYDAY_DATA_DIR", &data)
            .arg("--")
            .arg("mayday")
            .args(words);
        let out = String::from_utf8_lossy(&c.output().unwrap().stdout).into_owned();
        assert!(out.lines().any(|l| l == id), "{words:?}: {out}");
    }
}

#[test]
fn the_man_page_and_flags_where_they_mean_something() {
    let env = Env::new();
    let out = env.cmd().arg("man").output().unwrap();
    assert!(out.status.success());
    let man = String::from_utf8_lossy(&out.stdout);
    assert!(
        man.starts_with(".ie") || man.contains(".TH mayday 1"),
        "{}",
        &man[..200.min(man.len())]
    );
    assert!(man.contains("coverage"), "subcommands are listed");
    // TUI flags: on the commands that open the app, nowhere else.
    for cmd in [
        vec!["start", "--help"],
        vec!["review", "--help"],
        vec!["gameday", "--help"],
        vec!["--help"],
    ] {
        let help =
            String::from_utf8_lossy(&env.cmd().args(&cmd).output().unwrap().stdout).into_owned();
        assert!(
            help.contains("--theme") && help.contains("--dry-run"),
            "{cmd:?}: {help}"
        );
    }
    for cmd in [
        "list",
        "lint",
        "export",
        "status",
        "coverage",
        "note",
        "incidents",
    ] {
        let help =
            String::from_utf8_lossy(&env.cmd().args([cmd, "--help"]).output().unwrap().stdout)
                .into_owned();
        assert!(
            !help.contains("--theme") && !help.contains("--dry-run"),
            "{cmd}: {help}"
        );
    }
    assert_eq!(
        env.cmd()
            .args(["list", "--dry-run"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
    // Before the subcommand or after it, both still work for the app's commands.
    let parse = |args: &[&str]| {
        <mayday::cli::Cli as clap::Parser>::try_parse_from(
            std::iter::once("mayday").chain(args.iter().copied()),
        )
    };
    assert!(parse(&["--dry-run", "start", "x"]).is_ok());
    assert!(parse(&["start", "x", "--dry-run", "--theme", "light"]).is_ok());
    assert!(
        parse(&["--theme", "light", "list"]).is_ok(),
        "top-level flags stay accepted"
    );
}
