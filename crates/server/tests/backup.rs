//! `cloudcourt backup` and `cloudcourt restore` as a court's IT runs them: a backup taken
//! while the server serves (and writes), restored into a fresh data directory (or a
//! fresh PostgreSQL database), where a new server serves the same hearing, evidence
//! bytes, transcript versions and signatures, and the audit chain verifies; a damaged
//! backup and a non-empty target are refused without changing anything; with S3 the
//! blobs are referenced by an inventory, not copied.

mod common;

use base64::Engine;
use cloudcourt::app::{self, AppState};
use cloudcourt::backup::{BlobsEntry, INVENTORY_FILE, InventoryEntry, MANIFEST_FILE, Manifest};
use cloudcourt::config::Config;
use common::{Backend, PASSWORD, TestApp, get_ok, id, join, json};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use tokio::process::Command;
use tokio::sync::oneshot;

const PLAINTIFF_PHONE: &str = "13800001111";
const DEFENDANT_PHONE: &str = "13900002222";
const CHUNK: usize = 1024 * 1024;

/// Runs the real binary with `args`, in an empty working directory (no stray
/// cloudcourt.toml); returns whether it succeeded and what it printed.
async fn cloudcourt(args: &[&str]) -> (bool, String) {
    let cwd = tempfile::tempdir().expect("temp dir");
    let output = Command::new(env!("CARGO_BIN_EXE_cloudcourt"))
        .args(args)
        .current_dir(cwd.path())
        .env("CLOUDCOURT_LOG", "warn")
        .env_remove("CLOUDCOURT_DATABASE_URL")
        .env_remove("CLOUDCOURT_DATA_DIR")
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .expect("run cloudcourt");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A PDF of `size` bytes whose content varies.
fn pdf_bytes(size: usize) -> Vec<u8> {
    let mut bytes = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n".to_vec();
    let mut n: u32 = 11;
    while bytes.len() < size {
        n = n.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        bytes.push((n >> 16) as u8);
    }
    bytes.truncate(size);
    bytes
}

fn png_data_url() -> String {
    let (width, height) = (400u32, 200u32);
    let mut pixels = vec![255u8; (width * height * 4) as usize];
    for x in 0..width {
        let at = (((x * height / width).min(height - 1) * width + x) * 4) as usize;
        pixels[at..at + 3].copy_from_slice(&[0, 0, 0]);
    }
    let mut bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut bytes, width, height);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().expect("png header");
        writer.write_image_data(&pixels).expect("png data");
    }
    format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// Two strokes across most of an 800 × 400 canvas.
fn strokes() -> Value {
    let stroke = |from: (f64, f64), to: (f64, f64)| -> Value {
        Value::Array(
            (0..25)
                .map(|i| {
                    let f = f64::from(i) / 24.0;
                    json!({"x": from.0 + (to.0 - from.0) * f, "y": from.1 + (to.1 - from.1) * f, "t": f64::from(i) * 16.0, "p": 0.5})
                })
                .collect(),
        )
    };
    json!([
        stroke((100.0, 120.0), (600.0, 260.0)),
        stroke((150.0, 300.0), (650.0, 100.0))
    ])
}

/// What the test put into the court, to find again after the restore.
struct Fixture {
    hearing: Value,
    evidence: Value,
    evidence_bytes: Vec<u8>,
    transcript_v1: Value,
    transcript_v2: Value,
    signed_image: String,
}

/// A hearing with two parties, an evidence upload, two transcript versions and the
/// plaintiff's signature on the first one.
async fn populate(app: &TestApp, case_number: &str) -> Fixture {
    let clerk = app.login("clerk").await;
    let at = (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
    let hearing = common::schedule(
        app,
        &clerk,
        case_number,
        &at,
        json!([
            {"name": "贾1", "role": "plaintiff", "phone": PLAINTIFF_PHONE},
            {"name": "李1", "role": "defendant", "phone": DEFENDANT_PHONE},
        ]),
    )
    .await;
    let (plaintiff, _) = join(app, &hearing, PLAINTIFF_PHONE).await;

    let evidence_bytes = pdf_bytes(CHUNK + 54_321);
    let created = json(
        plaintiff
            .post(app.url(&format!("/api/v1/hearings/{}/evidence/uploads", id(&hearing))))
            .json(&json!({"file_name": "借条.pdf", "size": evidence_bytes.len(), "title": "借条", "purpose": "证明借款事实"}))
            .send()
            .await
            .expect("request"),
        StatusCode::CREATED,
    )
    .await;
    let mut done = Value::Null;
    for (n, chunk) in evidence_bytes.chunks(CHUNK).enumerate() {
        done = json(
            plaintiff
                .patch(app.url(&format!("/api/v1/evidence/uploads/{}", id(&created))))
                .header("upload-offset", (n * CHUNK).to_string())
                .header("content-type", "application/offset+octet-stream")
                .body(chunk.to_vec())
                .send()
                .await
                .expect("request"),
            StatusCode::OK,
        )
        .await;
    }
    let evidence = done["evidence"].clone();
    assert_eq!(evidence["sha256"], sha256(&evidence_bytes));

    let transcript = app.url(&format!("/api/v1/hearings/{}/transcript", id(&hearing)));
    let save = |base: i64, lines: Value| {
        let clerk = clerk.clone();
        let transcript = transcript.clone();
        async move {
            json(
                clerk
                    .put(&transcript)
                    .json(&json!({"base_version": base, "save_id": uuid::Uuid::new_v4(), "entries": lines}))
                    .send()
                    .await
                    .expect("request"),
                StatusCode::OK,
            )
            .await
        }
    };
    let v1 = save(
        0,
        json!([
            {"role": "presiding_judge", "name": "许1", "text": "现在开庭。"},
            {"role": "plaintiff", "name": "贾1", "text": "我方坚持诉讼请求。"},
        ]),
    )
    .await;
    json(
        clerk
            .post(format!("{transcript}/confirmation"))
            .json(&json!({}))
            .send()
            .await
            .expect("request"),
        StatusCode::OK,
    )
    .await;
    let signed_image = png_data_url();
    json(
        plaintiff
            .post(format!("{transcript}/signatures"))
            .json(&json!({
                "version": v1["version"], "sha256": v1["sha256"], "width": 800, "height": 400,
                "strokes": strokes(), "image": signed_image,
            }))
            .send()
            .await
            .expect("request"),
        StatusCode::CREATED,
    )
    .await;
    let v2 = save(
        1,
        json!([
            {"role": "presiding_judge", "name": "许1", "text": "现在开庭。"},
            {"role": "plaintiff", "name": "贾1", "text": "我方坚持诉讼请求。"},
            {"role": "defendant", "name": "李1", "text": "不同意原告的诉讼请求。"},
        ]),
    )
    .await;
    let transcript_v1 = get_ok(&clerk, format!("{transcript}?version=1")).await;
    let transcript_v2 = get_ok(&clerk, &transcript).await;
    assert_eq!(transcript_v1["sha256"], v1["sha256"]);
    assert_eq!(transcript_v2["sha256"], v2["sha256"]);
    // The first PDF makes the court's self-signed key in the data directory.
    let pdf = clerk
        .get(format!("{transcript}.pdf"))
        .send()
        .await
        .expect("request");
    assert_eq!(pdf.status(), StatusCode::OK);
    Fixture {
        hearing,
        evidence,
        evidence_bytes,
        transcript_v1,
        transcript_v2,
        signed_image,
    }
}

/// Writes a finished recording segment (one audio file, its hash in the segment's
/// manifest) and one still being recorded, as the recorder lays them out.
fn fake_recordings(data_dir: &Path, hearing_id: &str) -> Vec<u8> {
    let audio = b"OggS\x00fake opus pages of a finished track".repeat(100);
    let finished = data_dir.join("recordings").join(hearing_id).join("1");
    std::fs::create_dir_all(&finished).expect("segment dir");
    std::fs::write(finished.join("p1-audio.ogg"), &audio).expect("audio");
    std::fs::write(finished.join("gaps.jsonl"), b"").expect("gaps");
    let manifest = json!({
        "format": "cloudcourt-recording/1", "hearing_id": hearing_id, "state": "finished",
        "started_at": "2026-01-05T01:00:00Z", "ended_at": "2026-01-05T02:00:00Z",
        "gaps_file": "gaps.jsonl",
        "files": [
            {"file": "p1-audio.ogg", "kind": "audio", "sha256": sha256(&audio), "bytes": audio.len()},
            {"file": "gaps.jsonl", "kind": "gaps", "sha256": sha256(b""), "bytes": 0},
        ],
    });
    std::fs::write(
        finished.join("manifest.json"),
        serde_json::to_vec_pretty(&manifest).expect("json"),
    )
    .expect("manifest");
    let live = data_dir.join("recordings").join(hearing_id).join("2");
    std::fs::create_dir_all(&live).expect("segment dir");
    std::fs::write(live.join("p1-audio.ogg"), b"OggS growing").expect("audio");
    let manifest = json!({
        "format": "cloudcourt-recording/1", "hearing_id": hearing_id, "state": "recording",
        "started_at": "2026-01-05T03:00:00Z", "gaps_file": "gaps.jsonl",
    });
    std::fs::write(
        live.join("manifest.json"),
        serde_json::to_vec(&manifest).expect("json"),
    )
    .expect("manifest");
    audio
}

/// A server on a restored data directory (and database), as `cloudcourt serve` starts it.
struct Served {
    base: String,
    shutdown: Option<oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Served {
    async fn start(config: &Config) -> Self {
        let mut config = config.clone();
        config.listen = "127.0.0.1:0".parse().expect("address");
        let store = app::open_store(&config)
            .await
            .expect("open the restored store");
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        config.public_url = Some(base.clone());
        let (shutdown, stopped) = oneshot::channel::<()>();
        let state = AppState::new(store, config).expect("application state");
        let server = tokio::spawn(app::launch(state, listener, async {
            let _ = stopped.await;
        }));
        Self {
            base,
            shutdown: Some(shutdown),
            server,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn login(&self, username: &str) -> Client {
        let client = TestApp::client();
        let response = client
            .post(self.url("/api/v1/session"))
            .json(&json!({"username": username, "password": PASSWORD}))
            .send()
            .await
            .expect("login");
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "login on the restored server"
        );
        client
    }

    async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        let _ = (&mut self.server).await;
    }
}

/// The restored server serves what the fixture put in: the hearing with its
/// participants, the evidence bytes, both transcript versions and the signature.
async fn check_restored(served: &Served, fixture: &Fixture) {
    let clerk = served.login("clerk").await;
    let hearing_id = id(&fixture.hearing);
    let hearing = get_ok(
        &clerk,
        served.url(&format!("/api/v1/hearings/{hearing_id}")),
    )
    .await;
    assert_eq!(hearing["meeting_number"], fixture.hearing["meeting_number"]);
    assert_eq!(hearing["state"], fixture.hearing["state"]);
    let names: Vec<&str> = hearing["participants"]
        .as_array()
        .expect("participants")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert!(
        names.contains(&"贾1") && names.contains(&"李1"),
        "{names:?}"
    );

    let list = get_ok(
        &clerk,
        served.url(&format!("/api/v1/hearings/{hearing_id}/evidence")),
    )
    .await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert_eq!(list[0]["id"], fixture.evidence["id"]);
    assert_eq!(list[0]["sha256"], fixture.evidence["sha256"]);
    let content = clerk
        .get(served.url(fixture.evidence["content_url"].as_str().expect("url")))
        .send()
        .await
        .expect("request");
    assert_eq!(content.status(), StatusCode::OK);
    assert_eq!(
        content.bytes().await.expect("bytes").as_ref(),
        fixture.evidence_bytes.as_slice(),
        "the restored evidence is byte for byte the uploaded file"
    );

    let transcript = served.url(&format!("/api/v1/hearings/{hearing_id}/transcript"));
    let v1 = get_ok(&clerk, format!("{transcript}?version=1")).await;
    let v2 = get_ok(&clerk, &transcript).await;
    assert_eq!(v1, fixture.transcript_v1);
    assert_eq!(v2, fixture.transcript_v2);
    let confirmation = get_ok(&clerk, format!("{transcript}/confirmation")).await;
    let task = confirmation["tasks"]
        .as_array()
        .and_then(|tasks| tasks.iter().find(|t| t["name"] == "贾1"))
        .expect("the plaintiff's task");
    assert_eq!(task["signature"]["version"], 1);
    assert_eq!(task["signature"]["sha256"], fixture.transcript_v1["sha256"]);
    let image = clerk
        .get(served.url(task["signature"]["image_url"].as_str().expect("image url")))
        .send()
        .await
        .expect("request");
    assert_eq!(image.status(), StatusCode::OK);
    let sent = base64::engine::general_purpose::STANDARD
        .decode(
            fixture
                .signed_image
                .trim_start_matches("data:image/png;base64,"),
        )
        .expect("base64");
    assert_eq!(
        image.bytes().await.expect("bytes").as_ref(),
        sent.as_slice()
    );
    // The transcript PDF is signed again with the same (restored) key.
    let pdf = clerk
        .get(format!("{transcript}.pdf"))
        .send()
        .await
        .expect("request");
    assert_eq!(pdf.status(), StatusCode::OK);
}

fn read_manifest(dir: &Path) -> Manifest {
    serde_json::from_slice(&std::fs::read(dir.join(MANIFEST_FILE)).expect("manifest"))
        .expect("manifest JSON")
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

/// Every file below `dir`, relative, with its bytes' hash.
fn tree(dir: &Path) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(at) = pending.pop() {
        for entry in std::fs::read_dir(&at).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .expect("inside")
                    .display()
                    .to_string();
                found.push((rel, sha256(&std::fs::read(&path).expect("read"))));
            }
        }
    }
    found.sort();
    found
}

/// Keeps writing (new cases) until stopped: the backup runs against a busy server.
fn busy_writer(app: &TestApp, clerk: Client) -> (Arc<AtomicBool>, tokio::task::JoinHandle<usize>) {
    let stop = Arc::new(AtomicBool::new(false));
    let url = app.url("/api/v1/cases");
    let flag = stop.clone();
    let written = Arc::new(AtomicUsize::new(0));
    let handle = tokio::spawn(async move {
        while !flag.load(Ordering::Relaxed) {
            let n = written.fetch_add(1, Ordering::Relaxed);
            let response = clerk
                .post(&url)
                .json(&json!({"case_number": format!("（2026）京0107民初{}号", 9000 + n), "cause": "合同纠纷"}))
                .send()
                .await
                .expect("request");
            assert_eq!(response.status(), StatusCode::CREATED);
        }
        written.load(Ordering::Relaxed)
    });
    (stop, handle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_backup_taken_while_serving_restores_everything() {
    let app = TestApp::spawn(Backend::Sqlite)
        .await
        .expect("SQLite is always there");
    let fixture = populate(&app, "（2026）京0107民初801号").await;
    let audio = fake_recordings(app.data_dir.path(), id(&fixture.hearing));
    let source_dir = app.data_dir.path().display().to_string();
    #[cfg(unix)]
    assert_eq!(
        mode(&app.data_dir.path().join("pdf-signing/key.pem")),
        0o600
    );

    // The backup runs while the server serves and a clerk keeps creating cases.
    let work = tempfile::tempdir().expect("temp dir");
    let out = work.path().join("backup-1");
    let (stop, writer) = busy_writer(&app, app.login("clerk").await);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let (ok, output) = cloudcourt(&[
        "--data-dir",
        &source_dir,
        "backup",
        "--out",
        out.to_str().expect("utf-8"),
    ])
    .await;
    stop.store(true, Ordering::Relaxed);
    let cases_written = writer.await.expect("writer");
    assert!(ok, "backup failed:\n{output}");
    assert!(output.contains("备份完成 backup written"), "{output}");
    assert!(cases_written > 0);

    // What the backup holds, each file named with its hash in the manifest.
    let manifest = read_manifest(&out);
    assert_eq!(manifest.format, "cloudcourt-backup/1");
    assert_eq!(manifest.cloudcourt_version, env!("CARGO_PKG_VERSION"));
    assert_eq!(manifest.database.backend, "sqlite");
    assert_eq!(manifest.database.method, "VACUUM INTO");
    assert!(manifest.database.schema_version >= 6);
    assert!(manifest.problems.is_empty(), "{:?}", manifest.problems);
    assert_eq!(manifest.blobs, BlobsEntry::Local { files: 1 });
    let listed: Vec<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
    let blob_key = format!(
        "blobs/evidence/{}/{}",
        id(&fixture.hearing),
        id(&fixture.evidence)
    );
    for expected in [
        "database/cloudcourt.db",
        INVENTORY_FILE,
        blob_key.as_str(),
        "pdf-signing/key.pem",
        "pdf-signing/certificate.pem",
    ] {
        assert!(listed.contains(&expected), "{expected} in {listed:?}");
    }
    let segment = format!("recordings/{}/1/p1-audio.ogg", id(&fixture.hearing));
    assert!(listed.contains(&segment.as_str()), "{listed:?}");
    assert!(
        !listed.iter().any(|p| p.contains("/2/")),
        "a segment still recording is not copied: {listed:?}"
    );
    assert_eq!(
        manifest.recordings_in_progress,
        [format!("{}/2", id(&fixture.hearing))]
    );
    for file in &manifest.files {
        let bytes = std::fs::read(out.join(&file.path)).expect("listed file");
        assert_eq!(sha256(&bytes), file.sha256, "{}", file.path);
        assert_eq!(bytes.len() as u64, file.size, "{}", file.path);
    }
    assert_eq!(
        std::fs::read(out.join(&blob_key)).expect("blob"),
        fixture.evidence_bytes
    );
    let inventory: Vec<InventoryEntry> =
        serde_json::from_slice(&std::fs::read(out.join(INVENTORY_FILE)).expect("inventory"))
            .expect("inventory JSON");
    assert_eq!(inventory.len(), 1);
    assert_eq!(inventory[0].sha256, sha256(&fixture.evidence_bytes));
    #[cfg(unix)]
    {
        assert_eq!(mode(&out.join("pdf-signing/key.pem")), 0o600);
        assert_eq!(mode(&out), 0o700, "a backup is private to its owner");
    }
    // A second backup into the same directory is refused.
    let (ok, output) = cloudcourt(&[
        "--data-dir",
        &source_dir,
        "backup",
        "--out",
        out.to_str().expect("utf-8"),
    ])
    .await;
    assert!(!ok && output.contains("not empty"), "{output}");

    // Restore into a fresh directory, check it, and serve it.
    let restored = work.path().join("restored");
    let restored_dir = restored.to_str().expect("utf-8");
    let (ok, output) = cloudcourt(&[
        "--data-dir",
        restored_dir,
        "restore",
        "--from",
        out.to_str().expect("utf-8"),
    ])
    .await;
    assert!(ok, "restore failed:\n{output}");
    assert!(output.contains("audit chain intact"), "{output}");
    let (ok, output) = cloudcourt(&["--data-dir", restored_dir, "audit", "verify"]).await;
    assert!(ok, "audit verify after the restore:\n{output}");
    assert!(
        output.contains("审计日志完整 audit chain intact"),
        "{output}"
    );
    assert_eq!(
        std::fs::read(
            restored
                .join("recordings")
                .join(id(&fixture.hearing))
                .join("1/p1-audio.ogg")
        )
        .expect("restored recording"),
        audio
    );
    #[cfg(unix)]
    assert_eq!(mode(&restored.join("pdf-signing/key.pem")), 0o600);
    assert_eq!(
        std::fs::read(restored.join("pdf-signing/key.pem")).expect("key"),
        std::fs::read(app.data_dir.path().join("pdf-signing/key.pem")).expect("key")
    );

    let config = Config {
        data_dir: restored.clone(),
        ..Config::default()
    };
    let served = Served::start(&config).await;
    check_restored(&served, &fixture).await;
    // The copy is one moment of the busy database: the cases it holds are a prefix of
    // what was written, and the audit chain (checked above) has no torn end.
    let clerk = served.login("clerk").await;
    let restored_cases = get_ok(&clerk, served.url("/api/v1/cases")).await;
    let original_cases = get_ok(&app.login("clerk").await, app.url("/api/v1/cases")).await;
    let count = |cases: &Value| cases.as_array().map_or(0, Vec::len);
    assert!(count(&restored_cases) >= 1);
    assert!(count(&restored_cases) <= count(&original_cases));
    served.stop().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_backup_is_refused_and_changes_nothing() {
    let app = TestApp::spawn(Backend::Sqlite)
        .await
        .expect("SQLite is always there");
    let fixture = populate(&app, "（2026）京0107民初802号").await;
    let work = tempfile::tempdir().expect("temp dir");
    let out = work.path().join("backup");
    let source_dir = app.data_dir.path().display().to_string();
    let (ok, output) = cloudcourt(&[
        "--data-dir",
        &source_dir,
        "backup",
        "--out",
        out.to_str().expect("utf-8"),
    ])
    .await;
    assert!(ok, "{output}");

    // One flipped byte in the evidence copy.
    let blob = out.join(format!(
        "blobs/evidence/{}/{}",
        id(&fixture.hearing),
        id(&fixture.evidence)
    ));
    let mut bytes = std::fs::read(&blob).expect("blob");
    bytes[1000] ^= 0x01;
    std::fs::write(&blob, &bytes).expect("damage");

    // Into a directory that does not exist yet: it still does not afterwards.
    let fresh = work.path().join("fresh");
    let (ok, output) = cloudcourt(&[
        "--data-dir",
        fresh.to_str().expect("utf-8"),
        "restore",
        "--from",
        out.to_str().expect("utf-8"),
    ])
    .await;
    assert!(!ok, "a damaged backup must be refused:\n{output}");
    assert!(output.contains("damaged"), "{output}");
    assert!(
        output.contains(id(&fixture.evidence)),
        "names the file: {output}"
    );
    assert!(!fresh.exists(), "nothing was created");

    // Into an empty directory, and with --force into a used one: nothing changes.
    let empty = work.path().join("empty");
    std::fs::create_dir(&empty).expect("dir");
    let (ok, _) = cloudcourt(&[
        "--data-dir",
        empty.to_str().expect("utf-8"),
        "restore",
        "--from",
        out.to_str().expect("utf-8"),
    ])
    .await;
    assert!(!ok);
    assert!(tree(&empty).is_empty(), "no file left behind");
    assert_eq!(std::fs::read_dir(&empty).expect("dir").count(), 0);
    let used = work.path().join("used");
    std::fs::create_dir_all(used.join("blobs")).expect("dir");
    std::fs::write(used.join("cloudcourt.db"), b"the court's current database").expect("file");
    std::fs::write(used.join("blobs/kept"), b"current evidence").expect("file");
    let before = tree(&used);
    let (ok, output) = cloudcourt(&[
        "--data-dir",
        used.to_str().expect("utf-8"),
        "restore",
        "--force",
        "--from",
        out.to_str().expect("utf-8"),
    ])
    .await;
    assert!(!ok && output.contains("damaged"), "{output}");
    assert_eq!(tree(&used), before);
    assert_eq!(std::fs::read_dir(&used).expect("dir").count(), 2);

    // A directory without a manifest (an interrupted backup) is no backup.
    std::fs::remove_file(out.join(MANIFEST_FILE)).expect("remove");
    let (ok, output) = cloudcourt(&[
        "--data-dir",
        fresh.to_str().expect("utf-8"),
        "restore",
        "--from",
        out.to_str().expect("utf-8"),
    ])
    .await;
    assert!(
        !ok && output.contains("not a cloudcourt backup"),
        "{output}"
    );
    assert!(!fresh.exists());
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_never_overwrites_a_data_directory_silently() {
    let app = TestApp::spawn(Backend::Sqlite)
        .await
        .expect("SQLite is always there");
    let fixture = populate(&app, "（2026）京0107民初803号").await;
    let work = tempfile::tempdir().expect("temp dir");
    let out = work.path().join("backup");
    let source_dir = app.data_dir.path().display().to_string();
    let (ok, output) = cloudcourt(&[
        "--data-dir",
        &source_dir,
        "backup",
        "--out",
        out.to_str().expect("utf-8"),
    ])
    .await;
    assert!(ok, "{output}");

    // The running server's own directory: refused, untouched.
    let before = tree(app.data_dir.path())
        .into_iter()
        .map(|(path, _)| path)
        .filter(|p| !p.starts_with("cloudcourt.db"))
        .collect::<Vec<_>>();
    let (ok, output) = cloudcourt(&[
        "--data-dir",
        &source_dir,
        "restore",
        "--from",
        out.to_str().expect("utf-8"),
    ])
    .await;
    assert!(!ok, "{output}");
    assert!(output.contains("is not empty"), "{output}");
    assert!(output.contains("--force"), "says how: {output}");
    let after = tree(app.data_dir.path())
        .into_iter()
        .map(|(path, _)| path)
        .filter(|p| !p.starts_with("cloudcourt.db"))
        .collect::<Vec<_>>();
    assert_eq!(before, after);

    // With --force, what was there is moved aside, not deleted.
    let used = work.path().join("used");
    std::fs::create_dir_all(used.join("blobs")).expect("dir");
    std::fs::write(used.join("cloudcourt.db"), b"an older database").expect("file");
    std::fs::write(used.join("blobs/kept"), b"older evidence").expect("file");
    std::fs::write(used.join("notes.txt"), b"the operator's notes").expect("file");
    let (ok, output) = cloudcourt(&[
        "--data-dir",
        used.to_str().expect("utf-8"),
        "restore",
        "--force",
        "--from",
        out.to_str().expect("utf-8"),
    ])
    .await;
    assert!(ok, "{output}");
    assert!(output.contains("restore-replaced-"), "{output}");
    let aside = std::fs::read_dir(&used)
        .expect("dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("restore-replaced-"))
        })
        .expect("the replaced files are kept");
    assert_eq!(
        std::fs::read(aside.join("cloudcourt.db")).expect("kept"),
        b"an older database"
    );
    assert_eq!(
        std::fs::read(aside.join("blobs/kept")).expect("kept"),
        b"older evidence"
    );
    assert_eq!(
        std::fs::read(used.join("notes.txt")).expect("untouched"),
        b"the operator's notes"
    );
    let served = Served::start(&Config {
        data_dir: used.clone(),
        ..Config::default()
    })
    .await;
    check_restored(&served, &fixture).await;
    served.stop().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_backup_restores_into_a_new_database() {
    let Some(app) = TestApp::spawn(Backend::Postgres).await else {
        return;
    };
    let admin_url = std::env::var("CLOUDCOURT_TEST_POSTGRES").expect("set when spawned");
    let fixture = populate(&app, "（2026）京0107民初804号").await;
    let source_url = app.config.database_url.clone().expect("a PostgreSQL URL");
    let source_dir = app.data_dir.path().display().to_string();
    let work = tempfile::tempdir().expect("temp dir");
    let out = work.path().join("backup");
    let (stop, writer) = busy_writer(&app, app.login("clerk").await);
    let (ok, output) = cloudcourt(&[
        "--data-dir",
        &source_dir,
        "--database-url",
        &source_url,
        "backup",
        "--out",
        out.to_str().expect("utf-8"),
    ])
    .await;
    stop.store(true, Ordering::Relaxed);
    writer.await.expect("writer");
    assert!(ok, "backup failed:\n{output}");
    let manifest = read_manifest(&out);
    assert_eq!(manifest.database.backend, "postgres");
    assert_eq!(manifest.database.file, "database/cloudcourt.pgdump");
    assert!(
        std::fs::read(out.join("database/cloudcourt.pgdump"))
            .expect("dump")
            .starts_with(b"PGDMP"),
        "a pg_dump custom-format archive"
    );
    assert!(manifest.problems.is_empty(), "{:?}", manifest.problems);

    // The source database is not empty: refused.
    let restored = work.path().join("restored");
    let (ok, output) = cloudcourt(&[
        "--data-dir",
        restored.to_str().expect("utf-8"),
        "--database-url",
        &source_url,
        "restore",
        "--from",
        out.to_str().expect("utf-8"),
    ])
    .await;
    assert!(!ok && output.contains("is not empty"), "{output}");
    assert!(!restored.exists(), "nothing was created");

    let target = common::PostgresDatabase::create(&admin_url).await;
    let target_url = target.url();
    let (ok, output) = cloudcourt(&[
        "--data-dir",
        restored.to_str().expect("utf-8"),
        "--database-url",
        &target_url,
        "restore",
        "--from",
        out.to_str().expect("utf-8"),
    ])
    .await;
    assert!(ok, "restore failed:\n{output}");
    let (ok, output) = cloudcourt(&[
        "--data-dir",
        restored.to_str().expect("utf-8"),
        "--database-url",
        &target_url,
        "audit",
        "verify",
    ])
    .await;
    assert!(ok, "audit verify after the restore:\n{output}");
    let config = Config {
        data_dir: restored.clone(),
        database_url: Some(target_url.clone()),
        ..Config::default()
    };
    let served = Served::start(&config).await;
    check_restored(&served, &fixture).await;
    served.stop().await;
    target.drop_database().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_s3_the_backup_lists_the_blobs_and_copies_none() {
    if store::testing::s3_skipped("with_s3_the_backup_lists_the_blobs_and_copies_none") {
        return;
    }
    let moto = store::testing::Moto::start().await;
    let blobs = moto.config();
    let mut app = TestApp::spawn_with(Backend::Sqlite, |config| config.blobs = blobs.clone())
        .await
        .expect("SQLite is always there");
    app.moto = Some(moto);
    let fixture = populate(&app, "（2026）京0107民初805号").await;
    let work = tempfile::tempdir().expect("temp dir");
    let out = work.path().join("backup");
    let (written, manifest) = cloudcourt::backup::create(&app.config, &out)
        .await
        .expect("backup");
    assert_eq!(written, out);
    assert!(manifest.problems.is_empty(), "{:?}", manifest.problems);
    assert!(matches!(manifest.blobs, BlobsEntry::S3 { files: 1, .. }));
    assert!(
        manifest.files.iter().all(|f| !f.path.starts_with("blobs/")),
        "no blob is copied"
    );
    assert!(!out.join("blobs").exists());
    let inventory: Vec<InventoryEntry> =
        serde_json::from_slice(&std::fs::read(out.join(INVENTORY_FILE)).expect("inventory"))
            .expect("inventory JSON");
    assert_eq!(inventory.len(), 1);
    assert_eq!(
        inventory[0].key,
        format!(
            "evidence/{}/{}",
            id(&fixture.hearing),
            id(&fixture.evidence)
        )
    );
    assert_eq!(inventory[0].sha256, sha256(&fixture.evidence_bytes));

    // A local configuration cannot take it; the same bucket can.
    let restored: PathBuf = work.path().join("restored");
    let local = Config {
        data_dir: restored.clone(),
        ..Config::default()
    };
    let refused = cloudcourt::backup::restore_into(&local, &out, false)
        .await
        .expect_err("local blobs cannot come from a bucket backup");
    assert!(format!("{refused:#}").contains("S3 bucket"), "{refused:#}");
    assert!(!restored.exists());
    let config = Config {
        data_dir: restored.clone(),
        blobs,
        ..Config::default()
    };
    let report = cloudcourt::backup::restore_into(&config, &out, false)
        .await
        .expect("restore");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let served = Served::start(&config).await;
    check_restored(&served, &fixture).await;
    served.stop().await;
    app.finish().await;
}
