//! Test helpers (the `testing` feature) for this crate's tests and the server's:
//! [`Moto`], an S3 on loopback. Its functions panic with what went wrong, as a test would.
//!
//! `scripts/test` installs `moto_server` and names it in `CLOUDCOURT_TEST_MOTO`. Without
//! it, [`Moto::start`] fails loudly; `CLOUDCOURT_TEST_NO_S3=1` skips the S3 variants of
//! tests on purpose (see [`s3_skipped`]).

use crate::blobs::{BlobConfig, install_crypto_provider};
use object_store::aws::AmazonS3Builder;
use object_store::{ObjectStoreExt, PutPayload};
use std::io::Write;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStderr, Command};

/// The variable naming the `moto_server` executable.
pub const MOTO_ENV: &str = "CLOUDCOURT_TEST_MOTO";
/// The variable that, set to `1`, skips the tests' S3 variants.
pub const NO_S3_ENV: &str = "CLOUDCOURT_TEST_NO_S3";

const REGION: &str = "us-east-1";
/// How long moto may take to start (its first start compiles its Python files).
const START_TIMEOUT: Duration = Duration::from_secs(90);
/// How much of moto's log is kept for failure messages.
const LOG_TAIL: usize = 16 * 1024;

/// True (after saying so on stderr) when `CLOUDCOURT_TEST_NO_S3=1` asks to skip the S3
/// variant of `test`.
pub fn s3_skipped(test: &str) -> bool {
    let skipped = std::env::var(NO_S3_ENV).is_ok_and(|v| v == "1");
    if skipped {
        // Straight to stderr, past the test harness's capture: a skip must be seen.
        let _ = writeln!(std::io::stderr(), "SKIPPED on S3: {test} ({NO_S3_ENV}=1)");
    }
    skipped
}

/// A `moto_server` on `127.0.0.1` with a fresh bucket; killed when dropped.
pub struct Moto {
    _child: Child,
    endpoint: String,
    bucket: String,
    log: Arc<Mutex<String>>,
    http: object_store_reqwest::Client,
}

impl Moto {
    /// Starts the `moto_server` that `CLOUDCOURT_TEST_MOTO` names on a free port and
    /// creates a bucket.
    ///
    /// # Panics
    /// When `CLOUDCOURT_TEST_MOTO` is unset, or moto does not start.
    pub async fn start() -> Moto {
        let Some(program) = std::env::var_os(MOTO_ENV) else {
            panic!(
                "{MOTO_ENV} is not set: the S3 tests need moto_server (`scripts/test` installs it \
                 and sets {MOTO_ENV}); set {NO_S3_ENV}=1 to skip them on purpose"
            );
        };
        let mut child = Command::new(&program)
            .args(["-H", "127.0.0.1", "-p", "0"])
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.to_string_lossy()));
        let Some(stderr) = child.stderr.take() else {
            panic!("moto_server's stderr is not piped");
        };
        let log = Arc::new(Mutex::new(String::new()));
        let port =
            match tokio::time::timeout(START_TIMEOUT, listening_port(stderr, log.clone())).await {
                Ok(Some(port)) => port,
                Ok(None) => panic!("moto_server exited before listening:\n{}", tail(&log)),
                Err(_) => panic!(
                    "moto_server did not listen within {START_TIMEOUT:?}:\n{}",
                    tail(&log)
                ),
            };
        install_crypto_provider();
        let http = object_store_reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap_or_else(|e| panic!("cannot build an HTTP client: {e}"));
        let moto = Moto {
            _child: child,
            endpoint: format!("http://127.0.0.1:{port}"),
            bucket: format!("cloudcourt-{}", uuid::Uuid::new_v4().simple()),
            log,
            http,
        };
        // Moto checks no signature: a plain PUT creates the bucket.
        let response = moto
            .http
            .put(format!("{}/{}", moto.endpoint, moto.bucket))
            .send()
            .await
            .unwrap_or_else(|e| panic!("cannot create the bucket: {e}\n{}", tail(&moto.log)));
        assert!(
            response.status().is_success(),
            "cannot create the bucket: {}",
            response.status()
        );
        moto
    }

    /// A config for the bucket (any key works: moto checks none).
    pub fn config(&self) -> BlobConfig {
        BlobConfig::S3 {
            bucket: self.bucket.clone(),
            region: REGION.to_owned(),
            endpoint: Some(self.endpoint.clone()),
            access_key_id: "testing".to_owned(),
            secret_access_key: "testing".to_owned(),
            allow_http: true,
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Stores `bytes` under `key` behind the blob store's back (an object altered at
    /// rest), with a client of its own. (Moto refuses an unsigned overwrite.)
    pub async fn put_raw(&self, key: &str, bytes: Vec<u8>) {
        let store = AmazonS3Builder::new()
            .with_bucket_name(&self.bucket)
            .with_region(REGION)
            .with_endpoint(&self.endpoint)
            .with_allow_http(true)
            .with_access_key_id("testing")
            .with_secret_access_key("testing")
            .build()
            .unwrap_or_else(|e| panic!("cannot build an S3 client: {e}"));
        let path =
            object_store::path::Path::parse(key).unwrap_or_else(|e| panic!("bad key {key}: {e}"));
        store
            .put(&path, PutPayload::from(bytes))
            .await
            .unwrap_or_else(|e| panic!("cannot put {key}: {e}\n{}", self.log_tail()));
    }

    /// How many multipart uploads the bucket holds unfinished (neither completed nor aborted).
    pub async fn pending_uploads(&self) -> usize {
        let response = self
            .http
            .get(format!("{}/{}?uploads", self.endpoint, self.bucket))
            .send()
            .await
            .unwrap_or_else(|e| panic!("cannot list multipart uploads: {e}"));
        let status = response.status();
        let body = response
            .text()
            .await
            .unwrap_or_else(|e| panic!("cannot read the multipart uploads: {e}"));
        assert!(
            status.is_success(),
            "cannot list multipart uploads: {status}: {body}"
        );
        body.matches("<Upload>").count()
    }

    /// The end of moto's log, for a failing test's message.
    pub fn log_tail(&self) -> String {
        tail(&self.log)
    }
}

/// Reads moto's log until it says where it listens (`Running on http://127.0.0.1:PORT`),
/// then keeps reading it (so that moto never blocks on a full pipe) into `log`.
async fn listening_port(stderr: ChildStderr, log: Arc<Mutex<String>>) -> Option<u16> {
    let mut lines = BufReader::new(stderr).lines();
    let mut port = None;
    while port.is_none() {
        let line = lines.next_line().await.ok()??;
        append(&log, &line);
        port = line
            .split_once("Running on http://127.0.0.1:")
            .and_then(|(_, rest)| {
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                digits.parse().ok()
            });
    }
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            append(&log, &line);
        }
    });
    port
}

fn append(log: &Mutex<String>, line: &str) {
    let mut log = log.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    log.push_str(line);
    log.push('\n');
    if log.len() > 2 * LOG_TAIL {
        let mut cut = log.len() - LOG_TAIL;
        while !log.is_char_boundary(cut) {
            cut += 1;
        }
        log.drain(..cut);
    }
}

fn tail(log: &Mutex<String>) -> String {
    log.lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone()
}
