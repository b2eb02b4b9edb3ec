//! The SMPP driver against a real SMPP server: `tests/smpp/server.mjs` (Node.js and the
//! npm `smpp` package) on 127.0.0.1, which decodes every submit_sm it gets and answers
//! with delivery receipts.

use serde_json::Value;
use sms::smpp::{SmppConfig, SmppDriver};
use sms::{Driver, Kind, Message, Receipt, SendError};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

const SERVER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/smpp/server.mjs");
const SYSTEM_ID: &str = "cloudcourt";
const PASSWORD: &str = "secret";
const WAIT: Duration = Duration::from_secs(15);

/// The seed's invitation: long enough for several parts.
const INVITATION: &str = "【北京云法庭】贾1，您好，您参与的(2026)京0107民初1614号会议，已决定于2026-11-28 17:00进行互联网庭审。请提前访问https://cloudcourt.example.cn/d/91951413下载庭审客户端（手机和电脑均可使用）、安装并使用会议号登录，会议号为：91951413";
const SHORT: &str = "【北京云法庭】贾1，您好，您的庭审将于2026-11-28 17:00开始，会议号91951413。";

/// Installs the server's npm packages once per test run when they are missing.
fn ensure_node_modules() {
    static READY: OnceLock<Result<(), String>> = OnceLock::new();
    let ready = READY.get_or_init(|| {
        let dir = Path::new(SERVER)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        if dir.join("node_modules/smpp").is_dir() {
            return Ok(());
        }
        let status = std::process::Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .status()
            .map_err(|error| format!("cannot run npm: {error}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("npm ci exited with {status}"))
        }
    });
    if let Err(error) = ready {
        panic!(
            "the SMPP test server needs its npm packages ({error}); run `npm ci --no-audit --no-fund` in tests/smpp"
        );
    }
}

/// A running `server.mjs`, killed when dropped.
struct SmppServer {
    child: Child,
    port: u16,
    events: mpsc::UnboundedReceiver<Value>,
}

impl SmppServer {
    async fn start(args: &[&str]) -> SmppServer {
        ensure_node_modules();
        let mut child = Command::new("node")
            .arg(SERVER)
            .args([
                "--system-id",
                SYSTEM_ID,
                "--password",
                PASSWORD,
                "--stdin-lifeline",
            ])
            .args(args)
            // The server exits when its stdin closes, even if this process is killed.
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs tests/smpp/server.mjs (is Node.js installed?)");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, mut events) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let value = serde_json::from_str(&line).unwrap_or(Value::String(line));
                if tx.send(value).is_err() {
                    break;
                }
            }
        });
        let first = tokio::time::timeout(WAIT, events.recv())
            .await
            .expect("the SMPP test server prints its port in time")
            .expect("the SMPP test server prints its port before exiting");
        let port = first["port"]
            .as_u64()
            .and_then(|port| u16::try_from(port).ok())
            .expect("a {\"port\":N} line");
        SmppServer {
            child,
            port,
            events,
        }
    }

    /// The next event of this type, skipping others.
    async fn next(&mut self, kind: &str) -> Value {
        let wait = async {
            loop {
                let event = self
                    .events
                    .recv()
                    .await
                    .expect("the SMPP test server is still running");
                if event["type"] == kind {
                    return event;
                }
            }
        };
        tokio::time::timeout(WAIT, wait)
            .await
            .unwrap_or_else(|_| panic!("no {kind} from the SMPP test server in time"))
    }

    fn config(&self) -> SmppConfig {
        SmppConfig {
            host: "127.0.0.1".into(),
            port: self.port,
            system_id: SYSTEM_ID.into(),
            password: PASSWORD.into(),
            response_timeout_seconds: 5,
            ..SmppConfig::default()
        }
    }
}

fn message(phone: &str, text: &str) -> Message {
    Message {
        id: uuid::Uuid::now_v7(),
        phone: phone.into(),
        text: text.into(),
        kind: Kind::Invitation,
        params: BTreeMap::new(),
    }
}

async fn next_receipt(receipts: &mut mpsc::UnboundedReceiver<Receipt>) -> Receipt {
    tokio::time::timeout(WAIT, receipts.recv())
        .await
        .expect("a delivery receipt in time")
        .expect("the receipt channel is open")
}

#[tokio::test]
async fn invitations_arrive_intact_in_ucs2_parts_and_receipts_come_back() {
    let mut server = SmppServer::start(&[]).await;
    let (tx, mut receipts) = mpsc::unbounded_channel();
    let driver = SmppDriver::connect(&server.config(), tx)
        .await
        .expect("the driver binds");
    let bind = server.next("bind_transceiver").await;
    assert_eq!(bind["interface_version"], 0x34, "binds as SMPP 3.4");

    // A short text: one submit_sm, no header.
    let accepted = driver
        .send(&message("13800138000", SHORT))
        .await
        .expect("the short text is accepted");
    let provider_id = accepted.provider_id.expect("the SMSC's message id");
    let submit = server.next("submit_sm").await;
    assert_eq!(submit["text"], SHORT);
    assert_eq!(submit["udh"], Value::Null);
    assert_eq!(submit["data_coding"], 8);
    assert_eq!(submit["esm_class"], 0);
    assert_eq!(submit["registered_delivery"], 1);
    assert_eq!(submit["destination"], "8613800138000");
    assert_eq!(
        (
            submit["dest_addr_ton"].clone(),
            submit["dest_addr_npi"].clone()
        ),
        (1.into(), 1.into())
    );
    assert_eq!(submit["source"], "106900000000");
    assert_eq!(submit["message_id"], provider_id.as_str());
    let receipt = next_receipt(&mut receipts).await;
    assert_eq!(
        receipt,
        Receipt {
            provider_id,
            delivered: true,
            detail: "DELIVRD".into()
        }
    );

    // The seed's invitation: ceil(units / 67) parts sharing one reference.
    let units = INVITATION.encode_utf16().count();
    let expected_parts = units.div_ceil(67);
    assert!(
        expected_parts > 1,
        "the invitation ({units} units) needs several parts"
    );
    let accepted = driver
        .send(&message("13800138000", INVITATION))
        .await
        .expect("the invitation is accepted");
    let provider_id = accepted.provider_id.expect("the first part's message id");
    let mut text = String::new();
    let mut reference = None;
    for seq in 1..=expected_parts {
        let part = server.next("submit_sm").await;
        if seq == 1 {
            assert_eq!(
                part["message_id"],
                provider_id.as_str(),
                "send returns the first part's id"
            );
        }
        assert_eq!(part["esm_class"], 0x40, "UDHI set");
        assert_eq!(part["data_coding"], 8);
        let udh: Vec<u64> = part["udh"]
            .as_array()
            .expect("a UDH")
            .iter()
            .map(|octet| octet.as_u64().expect("an octet"))
            .collect();
        assert_eq!(udh.len(), 6, "8-bit concatenation header: {udh:?}");
        assert_eq!(&udh[..3], &[5, 0, 3]);
        assert_eq!(
            *reference.get_or_insert(udh[3]),
            udh[3],
            "all parts share one reference"
        );
        assert_eq!((udh[4], udh[5]), (expected_parts as u64, seq as u64));
        text.push_str(part["text"].as_str().expect("decoded text"));
    }
    assert_eq!(text, INVITATION, "the parts reassemble to the exact text");
    // One receipt for the whole message, under the first part's id, once all parts are delivered.
    let receipt = next_receipt(&mut receipts).await;
    assert_eq!(
        receipt,
        Receipt {
            provider_id,
            delivered: true,
            detail: "DELIVRD".into()
        }
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(receipts.try_recv().is_err(), "no receipt per part");

    // A number that is no mainland mobile is refused before anything is sent.
    let refused = driver.send(&message("12345", SHORT)).await;
    assert!(
        matches!(refused, Err(SendError::Rejected(_))),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_wrong_password_or_address_fails_to_connect_with_a_clear_error() {
    let mut server = SmppServer::start(&[]).await;
    let config = SmppConfig {
        password: "wrong".into(),
        ..server.config()
    };
    let (tx, _receipts) = mpsc::unbounded_channel();
    let error = SmppDriver::connect(&config, tx.clone())
        .await
        .err()
        .expect("a wrong password fails");
    assert_eq!(error.driver, "smpp");
    assert!(error.reason.contains("ESME_RINVPASWD"), "{}", error.reason);
    assert!(error.reason.contains("smpp.password"), "{}", error.reason);
    assert!(
        !error.reason.contains("wrong"),
        "the password is not shown: {}",
        error.reason
    );
    assert_eq!(server.next("bind_transceiver").await["status"], 0x0E);

    // Nothing listens on a port held bound but not listening (a port merely released
    // could be taken by another test's server meanwhile).
    let held = tokio::net::TcpSocket::new_v4().expect("a socket");
    held.bind("127.0.0.1:0".parse().expect("an address"))
        .expect("a free port");
    let port = held.local_addr().expect("its address").port();
    let config = SmppConfig {
        port,
        ..server.config()
    };
    let error = SmppDriver::connect(&config, tx)
        .await
        .err()
        .expect("a closed port fails");
    assert!(
        error.reason.contains("cannot reach the SMSC"),
        "{}",
        error.reason
    );
    drop(held);
}

#[tokio::test]
async fn enquire_link_keeps_the_session_and_throttled_submits_are_temporary() {
    // The first two submits are throttled; receipts carry no receipted_message_id TLV.
    let mut server = SmppServer::start(&["--throttle", "2", "--no-receipt-tlv"]).await;
    let (tx, mut receipts) = mpsc::unbounded_channel();
    let config = SmppConfig {
        enquire_link_seconds: 1,
        ..server.config()
    };
    let driver = SmppDriver::connect(&config, tx)
        .await
        .expect("the driver binds");
    // The session is kept alive with enquire_link, and stays bound through it.
    server.next("enquire_link").await;
    server.next("enquire_link").await;
    for _ in 0..2 {
        let result = driver.send(&message("13900139000", SHORT)).await;
        match result {
            Err(SendError::Temporary(reason)) => {
                assert!(reason.contains("ESME_RTHROTTLED"), "{reason}")
            }
            other => panic!("a throttled submit is temporary, got {other:?}"),
        }
        server.next("throttled").await;
    }
    let accepted = driver
        .send(&message("13900139000", SHORT))
        .await
        .expect("accepted once the SMSC has room");
    let provider_id = accepted.provider_id.expect("the SMSC's message id");
    let receipt = next_receipt(&mut receipts).await;
    assert_eq!(
        receipt,
        Receipt {
            provider_id,
            delivered: true,
            detail: "DELIVRD".into()
        }
    );
}

#[tokio::test]
async fn a_send_during_an_outage_is_temporary_and_the_session_comes_back() {
    let mut server = SmppServer::start(&[]).await;
    let port = server.port;
    let (tx, mut receipts) = mpsc::unbounded_channel();
    let driver = SmppDriver::connect(&server.config(), tx)
        .await
        .expect("the driver binds");
    server
        .child
        .kill()
        .await
        .expect("the SMPP test server stops");
    drop(server);

    let result = driver.send(&message("13700137000", SHORT)).await;
    assert!(matches!(result, Err(SendError::Temporary(_))), "{result:?}");

    // The SMSC comes back on the same port; the driver rebinds with backoff.
    let port = port.to_string();
    let mut server = SmppServer::start(&["--port", &port]).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let accepted = loop {
        match driver.send(&message("13700137000", SHORT)).await {
            Ok(accepted) => break accepted,
            Err(SendError::Temporary(_)) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(error) => panic!("the driver did not come back: {error}"),
        }
    };
    assert_eq!(server.next("submit_sm").await["text"], SHORT);
    let receipt = next_receipt(&mut receipts).await;
    assert_eq!(Some(receipt.provider_id), accepted.provider_id);
}
