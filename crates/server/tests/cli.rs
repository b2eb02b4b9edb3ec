//! The operator's commands as a deployment uses them: `admin` creates courts and
//! accounts and resets passwords; `serve` and `demo` start on a free port; `demo`
//! creates its data once and prints where to go and which meeting number to dial.

use reqwest::StatusCode;
use serde_json::json;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

fn cloudcourt(data_dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cloudcourt"));
    command
        .arg("--data-dir")
        .arg(data_dir)
        .env("CLOUDCOURT_LOG", "info")
        .env_remove("CLOUDCOURT_DATABASE_URL")
        .kill_on_drop(true);
    command
}

async fn run(data_dir: &std::path::Path, args: &[&str], stdin: Option<&str>) -> (bool, String) {
    let mut child = cloudcourt(data_dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start cloudcourt");
    if let (Some(mut pipe), Some(text)) = (child.stdin.take(), stdin) {
        pipe.write_all(text.as_bytes()).await.expect("write stdin");
    }
    let output = child.wait_with_output().await.expect("cloudcourt finished");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// Reads lines from `stream` until one contains `until`; returns the first http:// URL
/// on a line containing `needle`, and all that was read.
async fn wait_for_url(
    stream: impl AsyncRead + Unpin + Send + 'static,
    needle: &str,
    until: &str,
) -> (String, String) {
    let mut lines = BufReader::new(stream).lines();
    let mut seen = String::new();
    let mut url = None;
    let finished = tokio::time::timeout(Duration::from_secs(60), async {
        while let Ok(Some(line)) = lines.next_line().await {
            seen.push_str(&line);
            seen.push('\n');
            if url.is_none()
                && line.contains(needle)
                && let Some(start) = line.find("http://")
            {
                let found: String = line[start..]
                    .chars()
                    .take_while(|c| !c.is_whitespace())
                    .collect();
                url = Some(
                    found
                        .trim_end_matches('/')
                        .trim_end_matches("/console")
                        .to_owned(),
                );
            }
            if line.contains(until) {
                return true;
            }
        }
        false
    })
    .await;
    // Keep draining so the server never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    match (finished, url) {
        (Ok(true), Some(url)) => (url, seen),
        _ => panic!("no URL with {needle:?} before {until:?} in the output:\n{seen}"),
    }
}

async fn start(data_dir: &std::path::Path, args: &[&str]) -> (Child, String, String) {
    let mut child = cloudcourt(data_dir)
        .args(args)
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start cloudcourt");
    let (url, seen) = if args[0] == "demo" {
        wait_for_url(
            child.stdout.take().expect("stdout"),
            "console",
            "meeting number",
        )
        .await
    } else {
        wait_for_url(
            child.stderr.take().expect("stderr"),
            "listening on",
            "listening on",
        )
        .await
    };
    (child, url, seen)
}

async fn login(base: &str, username: &str, password: &str) -> (StatusCode, reqwest::Client) {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");
    let status = client
        .post(format!("{base}/api/v1/session"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .expect("login")
        .status();
    (status, client)
}

#[tokio::test]
async fn a_deployment_without_demo_data() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path();

    let (ok, out) = run(
        data,
        &["admin", "create-court", "--name", "北京互联网法院"],
        None,
    )
    .await;
    assert!(ok, "{out}");
    let (ok, out) = run(data, &["admin", "list-courts"], None).await;
    assert!(
        ok && out.contains("北京互联网法院") && out.contains("北京市石景山区人民法院"),
        "{out}"
    );

    let (ok, out) = run(
        data,
        &[
            "admin",
            "create-user",
            "--username",
            "zhang",
            "--display-name",
            "张3",
            "--role",
            "judge",
            "--court",
            "北京互联网法院",
        ],
        None,
    )
    .await;
    assert!(ok, "{out}");
    let generated = out
        .lines()
        .find_map(|line| line.split("(shown once): ").nth(1))
        .expect("generated password printed")
        .trim()
        .to_owned();
    assert_eq!(generated.len(), 16);

    let (ok, out) = run(
        data,
        &[
            "admin",
            "create-user",
            "--username",
            "zhang",
            "--display-name",
            "张3",
            "--role",
            "judge",
        ],
        None,
    )
    .await;
    assert!(!ok && out.contains("taken"), "{out}");
    let (ok, out) = run(
        data,
        &[
            "admin",
            "create-user",
            "--username",
            "li",
            "--display-name",
            "李4",
            "--role",
            "bailiff",
        ],
        None,
    )
    .await;
    assert!(!ok && out.contains("Unknown staff role"), "{out}");
    let (ok, out) = run(
        data,
        &[
            "admin",
            "reset-password",
            "--username",
            "zhang",
            "--password-stdin",
        ],
        Some("short\n"),
    )
    .await;
    assert!(!ok && out.contains("8 to 256"), "{out}");
    let (ok, out) = run(
        data,
        &[
            "admin",
            "reset-password",
            "--username",
            "zhang",
            "--password-stdin",
        ],
        Some("a new password 1\n"),
    )
    .await;
    assert!(ok, "{out}");

    let (ok, out) = run(
        data,
        &["admin", "list-users", "--court", "北京互联网法院"],
        None,
    )
    .await;
    assert!(ok && out.contains("zhang\t张3\tjudge\tactive"), "{out}");

    let (mut server, base, log) = start(data, &["serve"]).await;
    assert!(log.contains("configuration:"), "{log}");
    assert_eq!(
        login(&base, "zhang", &generated).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, client) = login(&base, "zhang", "a new password 1").await;
    assert_eq!(status, StatusCode::OK);
    let me: serde_json::Value = client
        .get(format!("{base}/api/v1/me"))
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("json");
    assert_eq!(me["court"]["name"], "北京互联网法院");
    server.kill().await.expect("stop server");

    let (ok, out) = run(data, &["audit", "verify"], None).await;
    assert!(ok && out.contains("intact"), "{out}");
}

#[tokio::test]
async fn the_demo_creates_its_data_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut server, base, banner) =
        start(dir.path(), &["demo", "--demo-password", "demo password 1"]).await;
    let number = banner
        .lines()
        .find_map(|line| line.split("meeting number: ").nth(1))
        .expect("meeting number printed")
        .trim()
        .to_owned();
    assert!(
        number.len() == 8 && number.chars().all(|c| c.is_ascii_digit()),
        "{banner}"
    );
    for account in ["admin", "judge", "clerk", "许1", "梁1"] {
        assert!(banner.contains(account), "{account} in {banner}");
    }

    let (status, clerk) = login(&base, "clerk", "demo password 1").await;
    assert_eq!(status, StatusCode::OK);
    let hearings: serde_json::Value = clerk
        .get(format!("{base}/api/v1/hearings"))
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(hearings[0]["meeting_number"], number.as_str());
    assert_eq!(hearings[0]["case_number"], "(2026)京0107民初1614号");
    let id = hearings[0]["id"].as_str().expect("id");
    let hearing: serde_json::Value = clerk
        .get(format!("{base}/api/v1/hearings/{id}"))
        .send()
        .await
        .expect("detail")
        .json()
        .await
        .expect("json");
    let roles: Vec<(&str, &str)> = hearing["participants"]
        .as_array()
        .expect("participants")
        .iter()
        .map(|p| {
            (
                p["role"].as_str().unwrap_or_default(),
                p["name"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        roles,
        vec![("plaintiff", "贾1"), ("defendant", "王2"), ("agent", "李3")]
    );
    assert_eq!(hearing["bench"][0]["display_name"], "许1");
    assert_eq!(hearing["bench"][1]["display_name"], "梁1");
    server.kill().await.expect("stop");

    // A second start keeps the data and the number; without a password none is shown.
    let (mut server, _, banner) = start(dir.path(), &["demo"]).await;
    assert!(
        banner.contains(&format!("meeting number: {number}")),
        "{banner}"
    );
    assert!(banner.contains("shown at first start"), "{banner}");
    server.kill().await.expect("stop");
}

#[tokio::test]
async fn the_pdf_signing_key_is_made_and_checked() {
    let data = tempfile::tempdir().expect("temp dir");
    let keys = data.path().join("keys");
    let keys_arg = keys.to_str().expect("utf-8 path");
    let (ok, out) = run(data.path(), &["pdf-key", "--dir", keys_arg], None).await;
    assert!(ok, "{out}");
    assert!(out.contains("[pdf]"), "it says how to configure it: {out}");
    let certificate = std::fs::read_to_string(keys.join("certificate.pem")).expect("certificate");
    assert!(certificate.starts_with("-----BEGIN CERTIFICATE-----"));
    let key = keys.join("key.pem");
    assert!(
        std::fs::read_to_string(&key)
            .expect("key")
            .contains("PRIVATE KEY")
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).expect("key").permissions().mode();
        assert_eq!(mode & 0o077, 0, "only the owner reads the private key");
    }

    // A server whose configured key cannot be read does not start.
    let output = cloudcourt(data.path())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("CLOUDCOURT_PDF__CERTIFICATE", keys.join("certificate.pem"))
        .env("CLOUDCOURT_PDF__KEY", keys.join("missing.pem"))
        .output();
    let output = tokio::time::timeout(Duration::from_secs(60), output)
        .await
        .expect("it stops by itself")
        .expect("ran");
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        text.contains("missing.pem"),
        "the error names the file: {text}"
    );
}
