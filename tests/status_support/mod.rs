//! Shared helpers for the live-status tests: sources from YAML, one poll
//! through the real poller, and provider fixtures served by `wiremock`
//! exactly as the real APIs shape them.
#![allow(dead_code)]

use mayday::config::Config;
use mayday::status::fetch::Options;
use mayday::status::health::Health;
use mayday::status::poller::spawn_with;
use mayday::status::{Snapshot, SourceConfig};
use std::path::PathBuf;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::{body_string_contains, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The token every fixture expects.
pub const TOKEN: &str = "tok-5f1c2e9a7b3d4c";

/// Every configurable kind.
pub const KINDS: [&str; 12] = [
    "http",
    "statuspage",
    "prometheus",
    "alertmanager",
    "sentry",
    "uptimerobot",
    "betterstack",
    "uptime-kuma",
    "gatus",
    "healthchecks",
    "pagerduty",
    "loki",
];

/// A temp dir with a token file (mode 600).
pub struct Env {
    pub dir: tempfile::TempDir,
    pub token_file: PathBuf,
}

pub fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    Env { dir, token_file }
}

/// Options for tests: short backoff, a 256 KiB body cap.
pub fn fast() -> Options {
    Options {
        body_cap: 256 * 1024,
        attempts: 3,
        retry_delay: Duration::from_millis(50),
    }
}

/// The kind-specific YAML fields of each fixture.
pub fn extra_yaml(kind: &str) -> &'static str {
    match kind {
        "http" => "    body_contains: '\"status\":\"ok\"'\n",
        "sentry" => "    org: acme\n    project: api\n",
        "uptime-kuma" => "    slug: prod\n",
        "pagerduty" => "    from: alice@example.com\n",
        _ => "",
    }
}

/// A source of `kind` against `base` (with the token file for every kind
/// except `http`, and `timeout`).
pub fn source(kind: &str, base: &str, timeout: &str, env: &Env) -> SourceConfig {
    let url = if kind == "http" {
        format!("{base}/health")
    } else {
        base.to_owned()
    };
    let token = if kind == "http" {
        String::new()
    } else {
        format!("    token_file: '{}'\n", env.token_file.display())
    };
    let yaml = format!(
        "sources:\n  - name: {kind}-src\n    kind: {kind}\n    url: '{url}'\n    timeout: {timeout}\n{token}{}",
        extra_yaml(kind)
    );
    let cfg = Config::parse(&yaml).unwrap_or_else(|e| panic!("{yaml}\n{e}"));
    cfg.sources.into_iter().next().unwrap()
}

/// Run the real poller for one source until its first update.
pub async fn poll_once(src: SourceConfig, opts: Options) -> Snapshot {
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    let handle = spawn_with(vec![src], tx, opts);
    let update = tokio::time::timeout(Duration::from_secs(30), rx.recv())
        .await
        .expect("no update within 30 s")
        .expect("channel closed");
    handle.shutdown().await;
    update.snapshot
}

fn json(body: String) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.into_bytes(), "application/json")
}

fn iso(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// What a fixture's good responses must produce.
pub struct Expect {
    pub state: Health,
    pub summary: &'static str,
}

/// Mount the good responses of `kind` on `server`; returns what a poll must see.
pub async fn mount_good(kind: &str, server: &MockServer) -> Expect {
    let uri = server.uri();
    let now = jiff::Timestamp::now();
    let ago = |m: i64| iso(now - jiff::SignedDuration::from_mins(m));
    match kind {
        "http" => {
            Mock::given(method("GET"))
                .and(path("/health"))
                .respond_with(json(r#"{"status":"ok","checks":{"db":"ok"}}"#.into()))
                .mount(server)
                .await;
            Expect {
                state: Health::Up,
                summary: "HTTP 200 OK in",
            }
        }
        "statuspage" => {
            let body = format!(
                r#"{{"page":{{"id":"kctbh9vrtdwd","name":"Acme","url":"{uri}","time_zone":"Etc/UTC","updated_at":"{u}"}},
                "components":[
                  {{"id":"c1","name":"API","status":"operational","created_at":"{u}","updated_at":"{u}","position":1,"description":null,"showcase":true,"start_date":null,"group_id":null,"page_id":"kctbh9vrtdwd","group":false,"only_show_if_degraded":false}},
                  {{"id":"c2","name":"Git Operations","status":"major_outage","created_at":"{u}","updated_at":"{u}","position":2,"description":null,"showcase":true,"start_date":null,"group_id":null,"page_id":"kctbh9vrtdwd","group":false,"only_show_if_degraded":false}}],
                "incidents":[{{"id":"i1","name":"Git operations failing","status":"investigating","created_at":"{u}","updated_at":"{u}","monitoring_at":null,"resolved_at":null,"impact":"major","shortlink":"https://stspg.io/abc","started_at":"{u}","page_id":"kctbh9vrtdwd","incident_updates":[],"components":[]}}],
                "scheduled_maintenances":[],
                "status":{{"indicator":"major","description":"Partial System Outage"}}}}"#,
                u = ago(5)
            );
            Mock::given(method("GET"))
                .and(path("/api/v2/summary.json"))
                .respond_with(json(body))
                .mount(server)
                .await;
            Expect {
                state: Health::Down,
                summary: "Partial System Outage",
            }
        }
        "prometheus" => {
            let body = format!(
                r#"{{"status":"success","data":{{"alerts":[{{"labels":{{"alertname":"HighErrorRate","job":"api","severity":"critical"}},"annotations":{{"runbook_url":"https://runbooks.test/high-error-rate","summary":"5xx above 5%"}},"state":"firing","activeAt":"{}","value":"1e+00"}}]}}}}"#,
                ago(3)
            );
            Mock::given(method("GET"))
                .and(path("/api/v1/alerts"))
                .respond_with(json(body))
                .mount(server)
                .await;
            Expect {
                state: Health::Down,
                summary: "1 firing",
            }
        }
        "alertmanager" => {
            let body = format!(
                r#"[{{"annotations":{{"summary":"disk 91% full"}},"endsAt":"{e}","fingerprint":"3e2c1c1b","receivers":[{{"name":"null"}}],"startsAt":"{s}","status":{{"inhibitedBy":[],"silencedBy":[],"state":"active"}},"updatedAt":"{s}","generatorURL":"http://prometheus:9090/graph?g0.expr=x","labels":{{"alertname":"DiskFilling","instance":"db1","severity":"warning"}}}}]"#,
                s = ago(10),
                e = ago(-4)
            );
            Mock::given(method("GET"))
                .and(path("/api/v2/alerts"))
                .and(query_param("active", "true"))
                .and(query_param("silenced", "true"))
                .and(query_param("inhibited", "true"))
                .respond_with(json(body))
                .mount(server)
                .await;
            Expect {
                state: Health::Degraded,
                summary: "1 firing",
            }
        }
        "sentry" => {
            let issue = |id: u32, level: &str, count: &str, users: u32, seen: String| {
                format!(
                    r#"{{"id":"{id}","shortId":"API-{id}","title":"Error {id}","culprit":"app.views.handler","level":"{level}","status":"unresolved","count":"{count}","userCount":{users},"firstSeen":"{f}","lastSeen":"{seen}","permalink":"{uri}/organizations/acme/issues/{id}/","project":{{"id":"2","name":"api","slug":"api"}},"stats":{{"24h":[[1772323200,0],[1772326800,4]]}}}}"#,
                    f = ago(600)
                )
            };
            let page1 = format!(
                "[{},{}]",
                issue(1, "error", "120", 7, ago(1)),
                issue(2, "warning", "40", 3, ago(2))
            );
            let page2 = format!(
                "[{},{}]",
                issue(3, "error", "5", 1, ago(9)),
                issue(4, "fatal", "999", 50, ago(60))
            );
            let base = format!("{uri}/api/0/projects/acme/api/issues/");
            Mock::given(method("GET"))
                .and(path("/api/0/projects/acme/api/issues/"))
                .and(query_param("cursor", "0:100:0"))
                .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
                .respond_with(json(page2).insert_header(
                    "link",
                    format!(r#"<{base}?cursor=0:0:1>; rel="previous"; results="true"; cursor="0:0:1", <{base}?cursor=0:200:0>; rel="next"; results="false"; cursor="0:200:0""#).as_str(),
                ))
                .mount(server)
                .await;
            Mock::given(method("GET"))
                .and(path("/api/0/projects/acme/api/issues/"))
                .and(query_param("query", "is:unresolved"))
                .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
                .respond_with(json(page1).insert_header(
                    "link",
                    format!(r#"<{base}?cursor=0:0:1>; rel="previous"; results="false"; cursor="0:0:1", <{base}?cursor=0:100:0>; rel="next"; results="true"; cursor="0:100:0""#).as_str(),
                ))
                .mount(server)
                .await;
            Expect {
                state: Health::Degraded,
                summary: "3 unresolved in 15m",
            }
        }
        "uptimerobot" => {
            let m = |id: u32, name: &str, status: u8| {
                format!(
                    r#"{{"id":{id},"friendly_name":"{name}","url":"https://{name}.test","type":1,"sub_type":"","keyword_type":null,"keyword_case_type":null,"keyword_value":"","http_username":"","http_password":"","port":"","interval":300,"timeout":30,"status":{status},"create_datetime":1700000000,"logs":[{{"id":1,"type":2,"datetime":1772334000,"duration":3600,"reason":{{"code":"200","detail":"OK"}}}}],"average_response_time":"212.40"}}"#
                )
            };
            let page1 = format!(
                r#"{{"stat":"ok","pagination":{{"offset":0,"limit":50,"total":52}},"monitors":[{},{}]}}"#,
                m(1, "api", 2),
                m(2, "old", 0)
            );
            let page2 = format!(
                r#"{{"stat":"ok","pagination":{{"offset":50,"limit":50,"total":52}},"monitors":[{},{}]}}"#,
                m(3, "web", 2),
                m(4, "cdn", 2)
            );
            Mock::given(method("POST"))
                .and(path("/v2/getMonitors"))
                .and(body_string_contains(format!("api_key={TOKEN}").as_str()))
                .and(body_string_contains("offset=50"))
                .respond_with(json(page2))
                .mount(server)
                .await;
            Mock::given(method("POST"))
                .and(path("/v2/getMonitors"))
                .and(body_string_contains(format!("api_key={TOKEN}").as_str()))
                .and(body_string_contains("offset=0"))
                .respond_with(json(page1))
                .mount(server)
                .await;
            Expect {
                state: Health::Up,
                summary: "all 3 up, 1 paused",
            }
        }
        "betterstack" => {
            let m = |id: u32, name: &str, status: &str| {
                format!(
                    r#"{{"id":"{id}","type":"monitor","attributes":{{"url":"https://{name}.test","pronounceable_name":"{name}","monitor_type":"status","monitor_group_id":null,"last_checked_at":"{t}","status":"{status}","policy_id":null,"check_frequency":180,"paused_at":null,"created_at":"{t}","updated_at":"{t}"}},"relationships":{{}}}}"#,
                    t = ago(1)
                )
            };
            let page1 = format!(
                r#"{{"data":[{},{}],"pagination":{{"first":"{uri}/api/v2/monitors?page=1","last":"{uri}/api/v2/monitors?page=2","prev":null,"next":"{uri}/api/v2/monitors?page=2"}}}}"#,
                m(1, "api", "up"),
                m(2, "old", "paused")
            );
            let page2 = format!(
                r#"{{"data":[{}],"pagination":{{"first":"{uri}/api/v2/monitors?page=1","last":"{uri}/api/v2/monitors?page=2","prev":"{uri}/api/v2/monitors?page=1","next":null}}}}"#,
                m(3, "web", "validating")
            );
            let auth = format!("Bearer {TOKEN}");
            Mock::given(method("GET"))
                .and(path("/api/v2/monitors"))
                .and(query_param("page", "2"))
                .and(header("authorization", auth.as_str()))
                .respond_with(json(page2))
                .mount(server)
                .await;
            Mock::given(method("GET"))
                .and(path("/api/v2/monitors"))
                .and(header("authorization", auth.as_str()))
                .respond_with(json(page1))
                .mount(server)
                .await;
            Expect {
                state: Health::Degraded,
                summary: "1 degraded of 2, 1 paused or in maintenance",
            }
        }
        "uptime-kuma" => {
            mount_kuma(server, false).await;
            Expect {
                state: Health::Degraded,
                summary: "1 degraded of 2, 1 in maintenance",
            }
        }
        "gatus" => {
            let body = format!(
                r#"[{{"name":"api","group":"core","key":"core_api","results":[{{"status":200,"hostname":"api.test","duration":21000000,"conditionResults":[{{"condition":"[STATUS] == 200","success":true}}],"success":true,"timestamp":"{a}"}}],"events":[{{"type":"START","timestamp":"{a}"}}]}},
                   {{"name":"db","group":"core","key":"core_db","results":[{{"status":200,"hostname":"db.test","duration":5000000,"conditionResults":[{{"condition":"[STATUS] == 200","success":true}}],"success":true,"timestamp":"{b}"}},{{"status":0,"hostname":"db.test","duration":0,"conditionResults":[{{"condition":"[CONNECTED] == true","success":false}}],"success":false,"timestamp":"{a}","errors":["dial tcp: connection refused"]}}],"events":[]}}]"#,
                a = ago(1),
                b = ago(2)
            );
            Mock::given(method("GET"))
                .and(path("/api/v1/endpoints/statuses"))
                .respond_with(json(body))
                .mount(server)
                .await;
            Expect {
                state: Health::Down,
                summary: "1 down of 2",
            }
        }
        "healthchecks" => {
            let c = |name: &str, status: &str| {
                format!(
                    r#"{{"name":"{name}","slug":"{name}","tags":"prod","desc":"","grace":3600,"n_pings":12,"status":"{status}","started":false,"last_ping":"{t}","next_ping":"{t}","manual_resume":false,"methods":"","subject":"","subject_fail":"","start_kw":"","success_kw":"","failure_kw":"","filter_subject":false,"filter_body":false,"badge_url":"https://hc.test/b/2/x.svg","uuid":"1","ping_url":"https://hc-ping.test/1","update_url":"https://hc.test/api/v3/checks/1","pause_url":"https://hc.test/api/v3/checks/1/pause","resume_url":"https://hc.test/api/v3/checks/1/resume","channels":"","timeout":86400}}"#,
                    t = iso(now)
                )
            };
            let body = format!(
                r#"{{"checks":[{},{},{}]}}"#,
                c("backup", "up"),
                c("report", "new"),
                c("legacy", "paused")
            );
            Mock::given(method("GET"))
                .and(path("/api/v3/checks/"))
                .and(header("x-api-key", TOKEN))
                .respond_with(json(body))
                .mount(server)
                .await;
            Expect {
                state: Health::Up,
                summary: "all 2 up, 1 paused",
            }
        }
        "loki" => {
            Mock::given(method("GET"))
                .and(path("/loki/api/v1/labels"))
                .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
                .respond_with(json(
                    r#"{"status":"success","data":["app","level","namespace"]}"#.to_owned(),
                ))
                .mount(server)
                .await;
            Expect {
                state: Health::Up,
                summary: "answering · 3 labels",
            }
        }
        "pagerduty" => {
            mount_pagerduty(server).await;
            Expect {
                state: Health::Down,
                summary: "1 triggered, 1 acknowledged",
            }
        }
        other => panic!("no fixture for {other}"),
    }
}

/// PagerDuty as its REST API v2 reference shapes it: `GET /users/me`, two
/// pages of open incidents (`more`), and the first page's alert with
/// Alertmanager's text details. Every request must carry the token as
/// `Token token=…` and the v2 `Accept` header.
pub async fn mount_pagerduty(server: &MockServer) {
    let auth = format!("Token token={TOKEN}");
    let accept = "application/vnd.pagerduty+json;version=2";
    let uri = server.uri();
    let now = jiff::Timestamp::now();
    let ago = |m: i64| iso(now - jiff::SignedDuration::from_mins(m));
    Mock::given(method("GET"))
        .and(path("/users/me"))
        .and(header("authorization", auth.as_str()))
        .and(header("accept", accept))
        .respond_with(json(
            r#"{"user":{"id":"PXPGF42","type":"user","name":"Alice","email":"alice@example.com"}}"#
                .into(),
        ))
        .mount(server)
        .await;
    let incident = |id: &str, n: u32, title: &str, status: &str, urgency: &str, at: String| {
        format!(
            r#"{{"id":"{id}","type":"incident","summary":"[#{n}] {title}","self":"{uri}/incidents/{id}","html_url":"https://acme.pagerduty.com/incidents/{id}","incident_number":{n},"title":"{title}","created_at":"{at}","updated_at":"{at}","status":"{status}","incident_key":"k{n}","service":{{"id":"PIJ90N7","type":"service_reference","summary":"payments","self":"{uri}/services/PIJ90N7","html_url":"https://acme.pagerduty.com/services/PIJ90N7"}},"assignments":[{{"at":"{at}","assignee":{{"id":"PXPGF42","type":"user_reference","summary":"Alice"}}}}],"last_status_change_at":"{at}","urgency":"{urgency}","escalation_policy":{{"id":"PT20YPA","type":"escalation_policy_reference","summary":"Payments on call"}},"teams":[],"alert_counts":{{"all":1,"triggered":1,"resolved":0}}}}"#
        )
    };
    let page1 = format!(
        r#"{{"incidents":[{}],"limit":100,"offset":0,"total":null,"more":true}}"#,
        incident(
            "PT4KHLK",
            1234,
            "[FIRING:1] KubePodCrashLooping (payments)",
            "triggered",
            "high",
            ago(4)
        )
    );
    let page2 = format!(
        r#"{{"incidents":[{}],"limit":100,"offset":100,"total":null,"more":false}}"#,
        incident(
            "Q1ZTGKS",
            1235,
            "Disk almost full on db-1",
            "acknowledged",
            "low",
            ago(50)
        )
    );
    Mock::given(method("GET"))
        .and(path("/incidents"))
        .and(query_param("offset", "100"))
        .and(query_param("user_ids[]", "PXPGF42"))
        .and(header("authorization", auth.as_str()))
        .respond_with(json(page2))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/incidents"))
        .and(query_param("offset", "0"))
        .and(query_param("user_ids[]", "PXPGF42"))
        .and(header("authorization", auth.as_str()))
        .respond_with(json(page1))
        .mount(server)
        .await;
    let alerts = r#"{"alerts":[{"id":"Q0RIJJZL24RC6W","type":"alert","summary":"[FIRING:1] KubePodCrashLooping (payments)","status":"triggered","alert_key":"a1b2","body":{"type":"alert_body","contexts":[],"details":{"firing":"Labels:\n - alertname = KubePodCrashLooping\n - container = api\n - namespace = payments\n - pod = api-7d9f\n - severity = warning\nAnnotations:\n - runbook_url = https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepodcrashlooping\n - summary = Pod is crash looping.\nSource: http://prometheus:9090/graph\n","num_firing":"1","num_resolved":"0","resolved":""}}}],"limit":1,"offset":0,"more":false}"#;
    Mock::given(method("GET"))
        .and(path("/incidents/PT4KHLK/alerts"))
        .and(header("authorization", auth.as_str()))
        .respond_with(json(alerts.into()))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/incidents/Q1ZTGKS/alerts"))
        .respond_with(json(r#"{"alerts":[],"more":false}"#.into()))
        .mount(server)
        .await;
}

/// Uptime Kuma: the status page and its heartbeats, in the older
/// (`"<id>_24"`, space-separated times) or newer (ISO times) shape.
pub async fn mount_kuma(server: &MockServer, newer: bool) {
    let page = r#"{"config":{"slug":"prod","title":"Production","description":null,"icon":"/icon.svg","theme":"light","published":true,"showTags":false},"incident":null,
      "publicGroupList":[{"id":1,"name":"Services","weight":1,"monitorList":[{"id":1,"name":"API","sendUrl":0,"type":"http"},{"id":2,"name":"Worker","sendUrl":0,"type":"push"},{"id":3,"name":"DB","sendUrl":0,"type":"port"}]}],"maintenanceList":[]}"#;
    let (t1, t2, up1, up2) = if newer {
        (
            "2026-03-01T03:00:00.000Z",
            "2026-03-01T03:01:00.000Z",
            "\"1\"",
            "\"2\"",
        )
    } else {
        (
            "2026-03-01 03:00:00.000",
            "2026-03-01 03:01:00.000",
            "\"1_24\"",
            "\"2_24\"",
        )
    };
    let beats = format!(
        r#"{{"heartbeatList":{{"1":[{{"status":0,"time":"{t1}","msg":"timeout","ping":null}},{{"status":1,"time":"{t2}","msg":"200 - OK","ping":42}}],
          "2":[{{"status":1,"time":"{t1}","msg":"","ping":null}},{{"status":2,"time":"{t2}","msg":"No heartbeat in the time window","ping":null}}],
          "3":[{{"status":3,"time":"{t2}","msg":"Maintenance","ping":null}}]}},
          "uptimeList":{{{up1}:0.9986,{up2}:0.97}}}}"#
    );
    Mock::given(method("GET"))
        .and(path("/api/status-page/prod"))
        .respond_with(json(page.into()))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/status-page/heartbeat/prod"))
        .respond_with(json(beats))
        .mount(server)
        .await;
}

/// A port nothing listens on.
pub fn refused_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    port
}

/// A raw HTTP server that answers every request with `head` and then
/// `body`, a piece every `every` (a slow drip when `every` is long; a body
/// without Content-Length when `head` leaves it out).
pub async fn raw_server(
    head: &'static str,
    body: Vec<u8>,
    piece: usize,
    every: Duration,
) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let body = body.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                let mut got = Vec::new();
                while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                }
                if sock.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                for chunk in body.chunks(piece.max(1)) {
                    if sock.write_all(chunk).await.is_err() {
                        return;
                    }
                    if !every.is_zero() {
                        tokio::time::sleep(every).await;
                    }
                }
                let _ = sock.shutdown().await;
            });
        }
    });
    format!("http://{addr}")
}
