//! Notices through real gateways, seen from the court's side: a provider that throttles
//! or refuses (the failure and its reason stay visible, temporary ones are retried, the
//! hearing stays usable), an SMPP SMSC whose delivery receipts mark messages delivered,
//! and a server killed with notices queued that sends each exactly once after restart.

mod common;

use axum::extract::State;
use common::{Backend, TestApp, get_ok, id, json};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Creates a hearing with `participants` and sends its invitations.
async fn invite(app: &TestApp, clerk: &Client, number: &str, participants: Value) -> Value {
    let at = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let hearing = common::schedule(app, clerk, number, &at, participants).await;
    let response = clerk
        .post(app.url(&format!("/api/v1/hearings/{}/invitations", id(&hearing))))
        .send()
        .await
        .expect("request");
    json(response, StatusCode::OK).await;
    hearing
}

async fn wait_for<T>(what: &str, mut probe: impl AsyncFnMut() -> Option<T>) -> T {
    for _ in 0..200 {
        if let Some(found) = probe().await {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

async fn messages(app: &TestApp, client: &Client, hearing: &Value) -> Vec<Value> {
    let list = get_ok(
        client,
        app.url(&format!("/api/v1/sms/outbox?hearing_id={}", id(hearing))),
    )
    .await;
    list.as_array().cloned().unwrap_or_default()
}

/// A stand-in for Aliyun's SendSms that answers from a script (the signature itself is
/// verified by the sms crate's own tests): throttled twice, then accepted; refused for
/// one number.
async fn fake_aliyun() -> (String, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let app = axum::Router::new()
        .fallback(|State(seen): State<Arc<Mutex<Vec<String>>>>, uri: axum::http::Uri| async move {
            let query = uri.query().unwrap_or_default().to_owned();
            let calls = {
                let mut seen = seen.lock().expect("lock");
                seen.push(query.clone());
                seen.len()
            };
            let body = if query.contains("13900002222") {
                json!({"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号", "RequestId": "r"})
            } else if calls <= 2 {
                json!({"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发流控", "RequestId": "r"})
            } else {
                json!({"Code": "OK", "Message": "OK", "BizId": format!("biz-{calls}"), "RequestId": "r"})
            };
            axum::Json(body)
        })
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

async fn failures_are_shown_and_retried(backend: Backend) {
    let (endpoint, seen) = fake_aliyun().await;
    let Some(app) = TestApp::spawn_with(backend, |config| {
        let transport = &mut config.sms.transport;
        transport.driver = sms::DriverName::Aliyun;
        transport.aliyun.endpoint = endpoint.clone();
        transport.aliyun.access_key_id = "test-key".into();
        transport.aliyun.access_key_secret = "test-secret".into();
        transport.aliyun.sign_name = "北京云法庭".into();
        transport
            .aliyun
            .templates
            .insert("invitation".into(), "SMS_100".into());
        config.sms.retry_base_seconds = 1;
    })
    .await
    else {
        return;
    };
    let clerk = app.login("clerk").await;
    let hearing = invite(
        &app,
        &clerk,
        "(2026)京0107民初31号",
        json!([{"name": "贾1", "role": "plaintiff", "phone": "13800001111"}]),
    )
    .await;

    // Throttled: failed with the provider's reason, and a time for the next attempt.
    let failed = wait_for("a failed attempt", async || {
        messages(&app, &clerk, &hearing)
            .await
            .into_iter()
            .find(|m| m["status"] == "failed")
    })
    .await;
    assert!(
        failed["last_error"]
            .as_str()
            .unwrap_or_default()
            .contains("BUSINESS_LIMIT_CONTROL"),
        "{failed}"
    );
    assert!(failed["next_attempt_at"].is_string(), "{failed}");
    // The hearing is as usable as before.
    let detail = get_ok(
        &clerk,
        app.url(&format!("/api/v1/hearings/{}", id(&hearing))),
    )
    .await;
    assert_eq!(detail["participants"][0]["invitation"]["status"], "failed");
    let opened = clerk
        .post(app.url(&format!("/api/v1/hearings/{}/transitions", id(&hearing))))
        .json(&json!({"transition": "open"}))
        .send()
        .await
        .expect("request");
    assert_eq!(opened.status(), StatusCode::OK);

    // Retried with backoff until the provider takes it.
    let sent = wait_for("the retried message", async || {
        messages(&app, &clerk, &hearing)
            .await
            .into_iter()
            .find(|m| m["status"] == "sent")
    })
    .await;
    assert_eq!(sent["attempts"], 3);
    assert_eq!(sent["provider_id"], "biz-3");
    assert_eq!(sent["last_error"], Value::Null);
    assert_eq!(seen.lock().expect("lock").len(), 3);

    // A refusal is final: failed with its reason and no retry.
    let other = invite(
        &app,
        &clerk,
        "(2026)京0107民初32号",
        json!([{"name": "王2", "role": "defendant", "phone": "13900002222"}]),
    )
    .await;
    let refused = wait_for("the refusal", async || {
        messages(&app, &clerk, &other)
            .await
            .into_iter()
            .find(|m| m["status"] == "failed")
    })
    .await;
    assert!(
        refused["last_error"]
            .as_str()
            .unwrap_or_default()
            .contains("MOBILE_NUMBER_ILLEGAL"),
        "{refused}"
    );
    assert_eq!(refused["next_attempt_at"], Value::Null);
    assert_eq!(refused["attempts"], 1);
    let events = app.store.audit_events(0, 10_000).await.expect("audit");
    assert!(events.iter().filter(|e| e.action == "sms.failed").count() >= 3);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_shown_and_retried_sqlite() {
    failures_are_shown_and_retried(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_shown_and_retried_postgres() {
    failures_are_shown_and_retried(Backend::Postgres).await;
}

/// The loopback SMSC of `tests/smpp` (npm `smpp`), with every event it reports.
struct Smsc {
    _child: Child,
    port: u16,
    events: Arc<Mutex<Vec<Value>>>,
}

impl Smsc {
    async fn start(port: u16) -> Self {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/smpp");
        assert!(
            std::path::Path::new(dir).join("node_modules/smpp").exists(),
            "run `npm ci` in tests/smpp first (scripts/test does)"
        );
        let mut child = Command::new("node")
            .arg(format!("{dir}/server.mjs"))
            .args([
                "--port",
                &port.to_string(),
                "--system-id",
                "cloudcourt",
                "--password",
                "secret",
                "--stdin-lifeline",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start the SMPP server (node)");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("SMPP server started")
            .expect("read")
            .expect("a first line");
        let port = serde_json::from_str::<Value>(&first).expect("port line")["port"]
            .as_u64()
            .expect("port") as u16;
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = events.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Ok(event) = serde_json::from_str::<Value>(&line) {
                    sink.lock().expect("lock").push(event);
                }
            }
        });
        Self {
            _child: child,
            port,
            events,
        }
    }

    /// The texts of the submit_sm parts received, per destination.
    fn received(&self) -> Vec<(String, String)> {
        self.events
            .lock()
            .expect("lock")
            .iter()
            .filter(|e| e["type"] == "submit_sm")
            .map(|e| {
                (
                    e["destination"].as_str().unwrap_or_default().to_owned(),
                    e["text"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }
}

fn use_smsc(config: &mut cloudcourt::config::Config, port: u16) {
    let transport = &mut config.sms.transport;
    transport.driver = sms::DriverName::Smpp;
    transport.smpp.port = port;
    transport.smpp.system_id = "cloudcourt".into();
    transport.smpp.password = "secret".into();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smpp_receipts_mark_messages_delivered() {
    let smsc = Smsc::start(0).await;
    let port = smsc.port;
    let app = TestApp::spawn_with(Backend::Sqlite, |config| use_smsc(config, port))
        .await
        .expect("SQLite");
    let clerk = app.login("clerk").await;
    let hearing = invite(
        &app,
        &clerk,
        "(2026)京0107民初33号",
        json!([{"name": "贾1", "role": "plaintiff", "phone": "13800001111"}]),
    )
    .await;
    let delivered = wait_for("a delivery receipt", async || {
        messages(&app, &clerk, &hearing)
            .await
            .into_iter()
            .find(|m| m["status"] == "delivered")
    })
    .await;
    // The SMSC got the text in UCS-2 parts of 67 characters that join to the message.
    let text = delivered["text"].as_str().expect("text");
    let parts = smsc.received();
    let units = text.encode_utf16().count();
    assert_eq!(parts.len(), units.div_ceil(67), "{parts:?}");
    assert!(parts.iter().all(|(to, _)| to == "8613800001111"));
    assert_eq!(
        parts
            .iter()
            .map(|(_, part)| part.as_str())
            .collect::<String>(),
        text
    );
    let detail = get_ok(
        &clerk,
        app.url(&format!("/api/v1/hearings/{}", id(&hearing))),
    )
    .await;
    assert_eq!(
        detail["participants"][0]["invitation"]["status"],
        "delivered"
    );
    assert!(detail["participants"][0]["invitation"]["delivered_at"].is_string());
    app.finish().await;
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

async fn serve(data_dir: &std::path::Path, smsc_port: u16) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cloudcourt"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .env("CLOUDCOURT_LOG", "info")
        .env("CLOUDCOURT_SMS__DRIVER", "smpp")
        .env("CLOUDCOURT_SMS__SMPP__PORT", smsc_port.to_string())
        .env("CLOUDCOURT_SMS__SMPP__SYSTEM_ID", "cloudcourt")
        .env("CLOUDCOURT_SMS__SMPP__PASSWORD", "secret")
        .env_remove("CLOUDCOURT_DATABASE_URL")
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start cloudcourt");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let url = tokio::time::timeout(Duration::from_secs(60), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(at) = line.find("listening on http://") {
                return line[at + "listening on ".len()..].trim().to_owned();
            }
        }
        String::new()
    })
    .await
    .expect("server started");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_sends_each_queued_notice_exactly_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let smsc_port = free_port();
    let mut admin = Command::new(env!("CARGO_BIN_EXE_cloudcourt"))
        .args([
            "admin",
            "create-user",
            "--username",
            "clerk",
            "--display-name",
            "梁1",
            "--role",
            "clerk",
            "--password-stdin",
            "--data-dir",
        ])
        .arg(dir.path())
        .stdin(Stdio::piped())
        .spawn()
        .expect("create clerk");
    let mut stdin = admin.stdin.take().expect("stdin");
    tokio::io::AsyncWriteExt::write_all(&mut stdin, b"clerk password 1\n")
        .await
        .expect("write");
    drop(stdin);
    assert!(admin.wait().await.expect("admin finished").success());
    let output = Command::new(env!("CARGO_BIN_EXE_cloudcourt"))
        .args([
            "admin",
            "create-user",
            "--username",
            "judge",
            "--display-name",
            "许1",
            "--role",
            "judge",
            "--data-dir",
        ])
        .arg(dir.path())
        .output()
        .await
        .expect("create judge");
    assert!(output.status.success());

    // The SMSC is down: notices wait in the queue.
    let (mut server, base) = serve(dir.path(), smsc_port).await;
    let clerk = Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");
    let login = clerk
        .post(format!("{base}/api/v1/session"))
        .json(&json!({"username": "clerk", "password": "clerk password 1"}))
        .send()
        .await
        .expect("login");
    let me: Value = login.json().await.expect("me");
    let staff: Value = clerk
        .get(format!("{base}/api/v1/staff"))
        .send()
        .await
        .expect("staff")
        .json()
        .await
        .expect("json");
    let judge = staff
        .as_array()
        .and_then(|s| s.iter().find(|u| u["username"] == "judge"))
        .expect("judge")["id"]
        .clone();
    let case: Value = clerk
        .post(format!("{base}/api/v1/cases"))
        .json(&json!({"case_number": "(2026)京0107民初34号", "cause": "民间借贷纠纷"}))
        .send()
        .await
        .expect("case")
        .json()
        .await
        .expect("json");
    let phones: Vec<String> = (1..=6).map(|n| format!("1380000{n:04}")).collect();
    let participants: Vec<Value> = phones
        .iter()
        .enumerate()
        .map(
            |(i, phone)| json!({"name": format!("当事人{i}"), "role": "plaintiff", "phone": phone}),
        )
        .collect();
    let at = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let hearing: Value = clerk
        .post(format!("{base}/api/v1/hearings"))
        .json(
            &json!({"case_id": case["id"], "scheduled_at": at, "judge_ids": [judge],
                      "clerk_id": me["user"]["id"], "participants": participants}),
        )
        .send()
        .await
        .expect("hearing")
        .json()
        .await
        .expect("json");
    let report: Value = clerk
        .post(format!(
            "{base}/api/v1/hearings/{}/invitations",
            id(&hearing)
        ))
        .send()
        .await
        .expect("invitations")
        .json()
        .await
        .expect("json");
    assert_eq!(report["queued"], 6);
    // kill -9 while all six are queued.
    server.start_kill().expect("kill");
    server.wait().await.expect("killed");

    // Pretend the first one was being handed to the SMSC at the moment of the kill.
    let interrupted_phone = phones[0].clone();
    {
        use sqlx::Connection;
        let path = dir.path().join("cloudcourt.db");
        let mut db = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
            .await
            .expect("open db");
        let changed =
            sqlx::query("UPDATE sms_outbox SET status = 'sending', attempts = 1 WHERE phone = $1")
                .bind(&interrupted_phone)
                .execute(&mut db)
                .await
                .expect("update")
                .rows_affected();
        assert_eq!(changed, 1);
    }

    // The SMSC comes up, the server restarts, and every notice goes out once; the one
    // caught mid-send is not sent again blindly (it may have reached the phone) but
    // shown as failed, for staff to resend.
    let smsc = Smsc::start(smsc_port).await;
    let (_server, base) = serve(dir.path(), smsc_port).await;
    let clerk = Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");
    clerk
        .post(format!("{base}/api/v1/session"))
        .json(&json!({"username": "clerk", "password": "clerk password 1"}))
        .send()
        .await
        .expect("login");
    let outbox_url = format!("{base}/api/v1/sms/outbox?hearing_id={}", id(&hearing));
    wait_for("every notice sent", async || {
        let list: Value = clerk
            .get(&outbox_url)
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        let all = list.as_array()?;
        let settled = all.iter().all(|m| {
            ["sent", "delivered", "failed"].contains(&m["status"].as_str().unwrap_or_default())
        });
        settled.then_some(())
    })
    .await;
    let list: Value = clerk
        .get(&outbox_url)
        .send()
        .await
        .expect("outbox")
        .json()
        .await
        .expect("json");
    let failed: Vec<&Value> = list
        .as_array()
        .expect("list")
        .iter()
        .filter(|m| m["status"] == "failed")
        .collect();
    assert_eq!(failed.len(), 1, "{list}");
    assert!(
        failed[0]["last_error"]
            .as_str()
            .unwrap_or_default()
            .contains("interrupted"),
        "{}",
        failed[0]
    );
    assert_eq!(failed[0]["next_attempt_at"], Value::Null);
    // Give a duplicate, if there were one, time to arrive before counting.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let received = smsc.received();
    assert!(
        !received
            .iter()
            .any(|(to, _)| *to == format!("86{interrupted_phone}"))
    );
    for phone in &phones[1..] {
        let destination = format!("86{phone}");
        let parts = received.iter().filter(|(to, _)| *to == destination).count();
        let text: String = received
            .iter()
            .filter(|(to, _)| *to == destination)
            .map(|(_, t)| t.as_str())
            .collect();
        assert!(text.starts_with("【北京云法庭】当事人"), "{text}");
        assert_eq!(
            text.matches("【北京云法庭】").count(),
            1,
            "{phone} got its notice once: {text}"
        );
        assert!(parts >= 2, "a long notice comes in parts");
    }
}
