//! The shared timeline against the real thing: Debian's `nats-server`
//! (2.9.10, JetStream) started on a free loopback port by the test. Two
//! responders, each with their own data dir, share an incident through
//! `mayday sync` run as separate processes: published, joined, fetched,
//! de-duplicated; queued while the server is down and published when it is
//! back. Without the binary the test prints SKIPPED; with
//! `MAYDAY_REQUIRE_NATS=1` (CI) it fails instead.

mod common;

use common::Env;
use common::nats::{Responder, free_port, nats_server, start, started};
use mayday::incident::log::{self, LogWriter};
use mayday::incident::{EventKind, store};
use std::time::Duration;

fn sorted(mut v: Vec<(String, String, String)>) -> Vec<(String, String, String)> {
    v.sort();
    v
}

#[test]
fn two_responders_share_an_incident_through_nats() {
    let Some(bin) = nats_server() else {
        return;
    };
    let port = free_port();
    let store_dir = tempfile::tempdir().unwrap();
    let server = start(&bin, port, store_dir.path());
    let alice = Responder::new("alice", port);
    let bob = Responder::new("bob", port);

    // Alice has an incident with a runbook copy and two notes.
    let t0 = jiff::Timestamp::now();
    let (w, _) = store::create(&alice.data(), "database-down", started("alice"), t0).unwrap();
    let id = w.incident_id().to_owned();
    drop(w);
    std::fs::write(
        store::dir(&alice.data()).join(format!("{id}.runbook.md")),
        "# Primary database refuses connections\n\n## Look {.diagnose}\n\nIs it up?\n",
    )
    .unwrap();
    alice.note(&id, "replica lag 40s; failing over");
    alice.note(&id, "a note with ; and $(x) and \u{1b}[31m in it");
    // `mayday note` shared each note as it was written: nothing is left.
    let (code, out, err) = alice.mayday(&["sync"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(&format!("{id}: published 0, fetched 0; nothing queued")),
        "{out}"
    );
    // Again: nothing new either way.
    let (code, out, _) = alice.mayday(&["sync", &id]);
    assert_eq!(code, 0);
    assert!(
        out.contains("published 0, fetched 0; nothing queued"),
        "{out}"
    );

    // Bob joins by id: alice's timeline and the runbook copy.
    let (code, out, err) = bob.mayday(&["sync", &id]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("fetched 3 (by alice), joined"), "{out}");
    assert_eq!(bob.timeline(&id), alice.timeline(&id));
    assert!(
        store::dir(&bob.data())
            .join(format!("{id}.runbook.md"))
            .exists()
    );
    let read = log::read(&store::log_path(&bob.data(), &id)).unwrap();
    assert!(
        read.events.iter().all(|e| e.merged),
        "bob wrote none of them"
    );

    // Both write at the same time, then both sync: one timeline, every
    // event once.
    std::thread::scope(|s| {
        s.spawn(|| bob.note(&id, "vendor says: maintenance overran"));
        s.spawn(|| alice.note(&id, "promoted replica-2"));
    });
    // Both sync at once, then once more: each has the other's note.
    let (ra, rb) = std::thread::scope(|s| {
        let a = s.spawn(|| alice.mayday(&["sync"]));
        let b = s.spawn(|| bob.mayday(&["sync"]));
        (a.join().unwrap(), b.join().unwrap())
    });
    assert_eq!((ra.0, rb.0), (0, 0), "{ra:?} {rb:?}");
    // Each note was shared by `mayday note` itself.
    assert!(
        ra.1.contains("published 0") && rb.1.contains("published 0"),
        "{ra:?} {rb:?}"
    );
    for r in [&alice, &bob] {
        let (code, out, _) = r.mayday(&["sync"]);
        assert_eq!(code, 0, "{out}");
        assert!(out.contains("published 0"), "{out}");
    }
    let (a, b) = (alice.timeline(&id), bob.timeline(&id));
    assert_eq!(a.len(), 5, "{a:#?}\n{b:#?}");
    assert_eq!(
        sorted(a.clone()),
        sorted(b.clone()),
        "the same events on both"
    );
    let ids: std::collections::HashSet<&str> = a.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(ids.len(), 5, "each event once");
    assert!(
        a.iter()
            .any(|e| e.1 == "bob" && e.2 == "vendor says: maintenance overran")
    );

    // The server goes away: notes queue, sync says so with exit 1; back
    // up (same store), they are published.
    drop(server);
    alice.note(&id, "written while the server is down");
    let (code, out, _) = alice.mayday(&["sync"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("cannot reach the sync server") && out.contains("1 event(s) queued"),
        "{out}"
    );
    let _server = start(&bin, port, store_dir.path());
    let (code, out, _) = alice.mayday(&["sync"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("published 1"), "{out}");
    let (code, out, _) = bob.mayday(&["sync"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("fetched 1 (by alice)"), "{out}");
    assert_eq!(sorted(alice.timeline(&id)), sorted(bob.timeline(&id)));

    // A lost cursor only costs work: everything is offered again and
    // dropped as already there.
    std::fs::remove_file(store::dir(&bob.data()).join(format!("{id}.sync.json"))).unwrap();
    let (code, out, _) = bob.mayday(&["sync"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("published 1, fetched 0"), "{out}");
    assert_eq!(bob.timeline(&id).len(), 6);

    // `mayday incidents --json` says it is shared, and by whom.
    let (code, out, _) = bob.mayday(&["incidents", "--json"]);
    assert_eq!(code, 0);
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(list[0]["shared"], true, "{out}");
    assert_eq!(
        list[0]["responders"],
        serde_json::json!(["alice", "bob"]),
        "{out}"
    );
    // Held by a session: said, not waited for forever.
    let (_held, _) = LogWriter::open_append(&store::log_path(&bob.data(), &id)).unwrap();
    let (code, out, _) = bob.mayday(&["sync", &id]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("open in another mayday process"), "{out}");
}

/// `mayday sync` with this config.
fn sync_with(env: &Env, yaml: &str) -> std::process::Output {
    let config = env.write("cfg/config.yaml", yaml);
    env.cmd()
        .arg("--config")
        .arg(&config)
        .args(["sync"])
        .output()
        .unwrap()
}

#[test]
fn sync_config_errors_exit_2() {
    let env = Env::new();
    for (yaml, says) in [
        ("responder: x\n", "no `sync:` section"),
        (
            "sync:\n  url: http://127.0.0.1:4222\n",
            "is not a NATS server address",
        ),
        (
            "sync:\n  url: nats://u:p@127.0.0.1:4222\n",
            "is not a NATS server address",
        ),
        ("sync:\n  token_env: T\n", "needs a `url`"),
        (
            "sync:\n  url: nats://127.0.0.1:4222\n  user: a\n",
            "needs `password_env` or `password_file`",
        ),
        (
            "sync:\n  url: nats://127.0.0.1:4222\n  token_env: T\n  creds_file: x.creds\n",
            "one way to log in",
        ),
        (
            "sync:\n  url: nats://127.0.0.1:4222\n  stream: 'a b'\n",
            "not a stream name",
        ),
        (
            "sync:\n  url: nats://127.0.0.1:4222\n  tokn_env: T\n",
            "unknown field",
        ),
    ] {
        let out = sync_with(&env, yaml);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{yaml}: {err}");
        assert!(err.contains(says), "{yaml}: {err}");
    }
    // Nothing listening: exit 1, and how much waits.
    let port = free_port();
    let data = env.data_home().join("mayday");
    let (w, _) = store::create(
        &data,
        "database-down",
        started("eve"),
        jiff::Timestamp::now(),
    )
    .unwrap();
    drop(w);
    let out = sync_with(&env, &format!("sync:\n  url: nats://127.0.0.1:{port}\n"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("cannot reach the sync server") && text.contains("1 event(s) queued"),
        "{text}"
    );
}

/// The account from docs/sync.md: each user may publish incident events
/// only on their own subject. Mayday works inside it (publish, join,
/// headers, the runbook copy), and a responder cannot write as another.
#[test]
fn an_account_where_each_responder_writes_only_as_themselves() {
    let Some(bin) = nats_server() else {
        return;
    };
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let user = |name: &str| {
        format!(
            r#"{{ user: {name}, password: "pw-{name}",
        permissions: {{ publish: {{ allow: ["mayday.incident.*.{name}", "mayday.header.>", "mayday.runbook.>", "$JS.API.>"] }},
                       subscribe: {{ allow: ["_INBOX.>"] }} }} }}"#
        )
    };
    let conf = dir.path().join("nats.conf");
    std::fs::write(
        &conf,
        format!(
            "listen: 127.0.0.1:{port}\njetstream {{ store_dir: \"{}\" }}\naccounts {{\n  MAYDAY {{\n    jetstream: enabled\n    users = [\n      {}\n      {}\n    ]\n  }}\n}}\n",
            dir.path().join("store").display(),
            user("alice"),
            user("bob")
        ),
    )
    .unwrap();
    let _server = common::nats::start_with_config(&bin, port, &conf);
    let login = |r: &Responder| {
        let pw = r.env.write("cfg/pw", &format!("pw-{}", r.name));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        std::fs::write(
            &r.config,
            format!(
                "responder: {}\nsync:\n  url: nats://127.0.0.1:{port}\n  user: {}\n  password_file: pw\n",
                r.name, r.name
            ),
        )
        .unwrap();
    };
    let alice = Responder::new("alice", port);
    let bob = Responder::new("bob", port);
    login(&alice);
    login(&bob);

    let id = alice.incident();
    alice.note(&id, "inside the account");
    let (code, out, err) = alice.mayday(&["sync"]);
    assert_eq!(code, 0, "{out}{err}");
    // Bob sees it listed (the header) and joins; his note reaches alice.
    let (code, out, err) = bob.mayday(&["incidents", "--json"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("\"id\": \"{id}\"")), "{out}{err}");
    assert!(out.contains("\"local\": false"), "{out}");
    let (code, out, err) = bob.mayday(&["sync", &id]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("joined"), "{out}");
    bob.note(&id, "bob inside the account");
    let (code, out, err) = alice.mayday(&["sync"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("fetched 1 (by bob)"), "{out}");

    // Bob writing on alice's subject is refused by the server.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let forged = rt.block_on(async {
        let client =
            async_nats::ConnectOptions::with_user_and_password("bob".into(), "pw-bob".into())
                .connect(format!("127.0.0.1:{port}"))
                .await
                .unwrap();
        let js = async_nats::jetstream::new(client);
        let mut e = mayday::incident::Event::new(
            99,
            jiff::Timestamp::now(),
            EventKind::Note {
                text: "forged by bob".into(),
                status_update: false,
            },
        );
        e.id = "forged".into();
        e.by = "alice".into();
        let subject = format!("mayday.incident.{id}.alice");
        let sent = js
            .publish(subject, serde_json::to_vec(&e).unwrap().into())
            .await;
        match sent {
            Ok(ack) => tokio::time::timeout(Duration::from_secs(6), ack)
                .await
                .is_ok_and(|r| r.is_ok()),
            Err(_) => false,
        }
    });
    assert!(!forged, "the server took bob's event on alice's subject");
    let (code, out, err) = alice.mayday(&["sync"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        alice.timeline(&id).iter().all(|e| e.2 != "forged by bob"),
        "forged event fetched"
    );
}

/// A long queue (a responder offline for a long time, or a big incident
/// joined after a lost store) goes out in one round: more events than the
/// client lets wait for their acknowledgements at once (5,000).
#[test]
fn a_queue_longer_than_the_clients_ack_limit_is_published() {
    let Some(bin) = nats_server() else {
        return;
    };
    let port = free_port();
    let store_dir = tempfile::tempdir().unwrap();
    let _server = start(&bin, port, store_dir.path());
    let alice = Responder::new("alice", port);
    let bob = Responder::new("bob", port);
    let (mut w, _) = store::create(
        &alice.data(),
        "database-down",
        started("alice"),
        jiff::Timestamp::now(),
    )
    .unwrap();
    let id = w.incident_id().to_owned();
    w.append_batch(
        (0..6_000)
            .map(|i| {
                (
                    EventKind::Note {
                        text: format!("offline note {i}"),
                        status_update: false,
                    },
                    jiff::Timestamp::now(),
                )
            })
            .collect(),
    )
    .unwrap();
    drop(w);
    let (code, out, err) = alice.mayday(&["sync"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("published 6001, fetched 0; nothing queued"),
        "{out}"
    );
    let (code, out, err) = bob.mayday(&["sync", &id]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("fetched 6001 (by alice), joined"), "{out}");
}

/// `tls://` with the team's CA: shared over TLS; without the CA the server
/// is not trusted, and `mayday sync` says so (exit 1) instead of sending
/// anything.
#[test]
fn tls_with_the_teams_ca() {
    let Some(bin) = nats_server() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let openssl = |args: &[&str]| {
        std::process::Command::new("openssl")
            .args(args)
            .current_dir(d)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    std::fs::write(d.join("ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n").unwrap();
    let made = openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=mayday-test-ca",
    ]) && openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]) && openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "ext",
    ]);
    if !made {
        assert!(
            std::env::var("MAYDAY_REQUIRE_NATS").as_deref() != Ok("1"),
            "openssl is needed to make the test's certificates"
        );
        eprintln!("SKIPPED: openssl is not installed");
        return;
    }
    let port = free_port();
    let conf = d.join("nats.conf");
    std::fs::write(
        &conf,
        format!(
            "listen: 127.0.0.1:{port}\njetstream {{ store_dir: \"{}\" }}\ntls {{ cert_file: \"{}\", key_file: \"{}\" }}\n",
            d.join("store").display(),
            d.join("server.pem").display(),
            d.join("server.key").display()
        ),
    )
    .unwrap();
    let _server = common::nats::start_with_config(&bin, port, &conf);
    let alice = Responder::new("alice", port);
    alice.incident();
    // Not trusted: nothing sent, said, exit 1, the events queued.
    std::fs::write(
        &alice.config,
        format!("responder: alice\nsync:\n  url: tls://127.0.0.1:{port}\n"),
    )
    .unwrap();
    let (code, out, err) = alice.mayday(&["sync"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("cannot reach the sync server"), "{out}");
    assert!(out.contains("1 event(s) queued"), "{out}");
    // With the CA: shared over TLS.
    std::fs::copy(d.join("ca.pem"), alice.env.path().join("cfg/ca.pem")).unwrap();
    std::fs::write(
        &alice.config,
        format!("responder: alice\nsync:\n  url: tls://127.0.0.1:{port}\n  ca_file: ca.pem\n"),
    )
    .unwrap();
    let (code, out, err) = alice.mayday(&["sync"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("published 1"), "{out}");
}
