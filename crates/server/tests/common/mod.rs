//! Test harness: starts the real server in-process on 127.0.0.1:0 with a fresh database
//! (a new SQLite file, or a new PostgreSQL database when `CLOUDCOURT_TEST_POSTGRES` is
//! set) and two courts' staff, and talks to it over HTTP as a client would.
#![allow(dead_code)]

use cloudcourt::admin::create_user;
use cloudcourt::app::{self, AppState};
use cloudcourt::config::Config;
use court::{AuditActor, Court, StaffRole, User};
use reqwest::{Client, Response, StatusCode};
use serde_json::Value;
use sqlx::Connection;
use std::sync::Arc;
use store::{AuditVerdict, Store};
use tokio::sync::oneshot;

pub const PASSWORD: &str = "correct horse 正确";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub base: String,
    pub store: Arc<dyn Store>,
    pub config: Config,
    pub court: Court,
    pub other_court: Court,
    pub admin: User,
    pub judge: User,
    pub clerk: User,
    pub other_clerk: User,
    pub data_dir: tempfile::TempDir,
    /// The S3 the blobs are kept in, when the test runs on one (else a local directory).
    pub moto: Option<store::testing::Moto>,
    postgres: Option<PostgresDatabase>,
    shutdown: Option<oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// A throwaway PostgreSQL database, dropped when the test finishes.
pub struct PostgresDatabase {
    admin_url: String,
    name: String,
}

impl PostgresDatabase {
    pub async fn create(admin_url: &str) -> Self {
        let name = format!("cc_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(admin_url)
            .await
            .expect("connect to PostgreSQL");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("create test database");
        Self {
            admin_url: admin_url.to_owned(),
            name,
        }
    }

    pub fn url(&self) -> String {
        let base = self
            .admin_url
            .rsplit_once('/')
            .map_or(self.admin_url.as_str(), |(base, _)| base);
        format!("{base}/{}", self.name)
    }

    pub async fn drop_database(&self) {
        if let Ok(mut conn) = sqlx::PgConnection::connect(&self.admin_url).await {
            let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&mut conn)
                .await;
        }
    }
}

impl TestApp {
    /// Starts a server on `backend`; `None` when PostgreSQL is asked for but not configured.
    pub async fn spawn(backend: Backend) -> Option<Self> {
        Self::spawn_with(backend, |_| {}).await
    }

    pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> Option<Self> {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let postgres = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => match std::env::var("CLOUDCOURT_TEST_POSTGRES") {
                Ok(url) if !url.is_empty() => Some(PostgresDatabase::create(&url).await),
                _ => {
                    eprintln!("CLOUDCOURT_TEST_POSTGRES is not set: PostgreSQL variant not run");
                    return None;
                }
            },
        };
        let mut config = Config {
            data_dir: data_dir.path().to_path_buf(),
            database_url: postgres.as_ref().map(PostgresDatabase::url),
            listen: "127.0.0.1:0".parse().expect("address"),
            ..Config::default()
        };
        adjust(&mut config);
        let store = app::open_store(&config).await.expect("open store");
        let court = store.courts().await.expect("courts").remove(0);
        let other_court = app::create_court(
            store.as_ref(),
            "北京互联网法院",
            "Asia/Shanghai",
            AuditActor::System,
        )
        .await
        .expect("second court");
        let user = |court: &Court, name: &'static str, display: &'static str, role| {
            let store = store.clone();
            let court = court.clone();
            async move {
                create_user(
                    store.as_ref(),
                    &court,
                    name,
                    display,
                    role,
                    PASSWORD,
                    AuditActor::System,
                )
                .await
                .expect("create user")
            }
        };
        let admin = user(&court, "admin", "管理员", StaffRole::Admin).await;
        let judge = user(&court, "judge", "许1", StaffRole::Judge).await;
        let clerk = user(&court, "clerk", "梁1", StaffRole::Clerk).await;
        let other_clerk = user(&other_court, "other-clerk", "周9", StaffRole::Clerk).await;

        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        // Links in notices must carry the real address, as `serve` does for port 0.
        config.public_url = Some(base.clone());
        let (shutdown, stopped) = oneshot::channel::<()>();
        let state = AppState::new(store.clone(), config.clone()).expect("application state");
        let server = tokio::spawn(app::launch(state, listener, async {
            let _ = stopped.await;
        }));
        Some(Self {
            base,
            store,
            config,
            court,
            other_court,
            admin,
            judge,
            clerk,
            other_clerk,
            data_dir,
            moto: None,
            postgres,
            shutdown: Some(shutdown),
            server,
        })
    }

    /// The `--database-url` or `--data-dir` arguments that point the CLI at this database.
    pub fn cli_database_args(&self) -> Vec<String> {
        match &self.config.database_url {
            Some(url) => vec!["--database-url".into(), url.clone()],
            None => vec![
                "--data-dir".into(),
                self.data_dir.path().display().to_string(),
            ],
        }
    }

    /// Runs `sql` on the test database behind the server's back (as a clock moving on,
    /// or an intruder with the database's keys, would), with `at` bound as `$1` if given.
    pub async fn execute(
        &self,
        sql: &str,
        at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<u64, sqlx::Error> {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        match &self.config.database_url {
            None => {
                let path = self.data_dir.path().join("cloudcourt.db");
                let mut conn =
                    sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                        .await?;
                let mut query = sqlx::query(sql);
                if let Some(at) = at {
                    query = query.bind(at);
                }
                Ok(query.execute(&mut conn).await?.rows_affected())
            }
            Some(url) => {
                let mut conn = sqlx::PgConnection::connect(url).await?;
                let mut query = sqlx::query(sql);
                if let Some(at) = at {
                    query = query.bind(at);
                }
                Ok(query.execute(&mut conn).await?.rows_affected())
            }
        }
    }

    pub fn backend(&self) -> Backend {
        if self.postgres.is_some() {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A client that keeps cookies, like a browser.
    pub fn client() -> Client {
        Client::builder()
            .cookie_store(true)
            .build()
            .expect("client")
    }

    /// A client signed in as `username`.
    pub async fn login(&self, username: &str) -> Client {
        let client = Self::client();
        let response = client
            .post(self.url("/api/v1/session"))
            .json(&serde_json::json!({"username": username, "password": PASSWORD}))
            .send()
            .await
            .expect("login request");
        assert_eq!(response.status(), StatusCode::OK, "login as {username}");
        client
    }

    pub async fn audit_rows(&self) -> i64 {
        self.store
            .audit_head()
            .await
            .expect("audit head")
            .map_or(0, |(seq, _)| seq)
    }

    /// Checks the audit chain, stops the server and drops the test database.
    pub async fn finish(self) {
        match store::verify_audit(self.store.as_ref())
            .await
            .expect("verify audit")
        {
            AuditVerdict::Intact { rows } => assert!(rows > 0, "the test left an audit trail"),
            AuditVerdict::Broken(broken) => panic!("audit chain broken after the test: {broken}"),
        }
        self.stop().await;
    }

    /// Stops the server and drops the test database, without checking anything.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        let _ = (&mut self.server).await;
        if let Some(db) = &self.postgres {
            db.drop_database().await;
        }
    }
}

/// The JSON of a successful answer, after checking its status.
pub async fn json(response: Response, expected: StatusCode) -> Value {
    let status = response.status();
    let text = response.text().await.expect("body");
    assert_eq!(status, expected, "unexpected status; body: {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Creates a case numbered `case_number` and schedules its hearing at `scheduled_at`
/// before the app's judge and clerk, with `participants`; returns the hearing's detail.
pub async fn schedule(
    app: &TestApp,
    clerk: &Client,
    case_number: &str,
    scheduled_at: &str,
    participants: Value,
) -> Value {
    let case = json(
        clerk
            .post(app.url("/api/v1/cases"))
            .json(&serde_json::json!({"case_number": case_number, "cause": "民间借贷纠纷"}))
            .send()
            .await
            .expect("request"),
        StatusCode::CREATED,
    )
    .await;
    let hearing = serde_json::json!({
        "case_id": case["id"], "scheduled_at": scheduled_at,
        "judge_ids": [app.judge.id], "clerk_id": app.clerk.id, "participants": participants,
    });
    json(
        clerk
            .post(app.url("/api/v1/hearings"))
            .json(&hearing)
            .send()
            .await
            .expect("request"),
        StatusCode::CREATED,
    )
    .await
}

/// Takes a scheduled hearing through open, start and close to archived.
pub async fn archive(app: &TestApp, clerk: &Client, hearing: &Value) {
    for transition in ["open", "start", "close", "archive"] {
        json(
            clerk
                .post(app.url(&format!("/api/v1/hearings/{}/transitions", id(hearing))))
                .json(&serde_json::json!({"transition": transition}))
                .send()
                .await
                .expect("request"),
            StatusCode::OK,
        )
        .await;
    }
}

/// GETs `url` and returns its JSON, expecting 200.
pub async fn get_ok(client: &Client, url: impl reqwest::IntoUrl) -> Value {
    json(
        client.get(url).send().await.expect("request"),
        StatusCode::OK,
    )
    .await
}

/// The `id` of a JSON record.
pub fn id(record: &Value) -> &str {
    record["id"].as_str().expect("record has an id")
}

/// A problem answer: checks status, content type and both messages; returns the body.
pub async fn problem(response: Response, expected: StatusCode) -> Value {
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = response.text().await.expect("body");
    assert_eq!(status, expected, "unexpected status; body: {text}");
    assert_eq!(content_type, "application/problem+json", "body: {text}");
    let body: Value = serde_json::from_str(&text).expect("problem JSON");
    assert_eq!(body["status"], expected.as_u16());
    assert!(
        !body["message"]["zh-CN"]
            .as_str()
            .unwrap_or_default()
            .is_empty(),
        "Chinese message: {text}"
    );
    assert!(
        !body["message"]["en"]
            .as_str()
            .unwrap_or_default()
            .is_empty(),
        "English message: {text}"
    );
    body
}

/// Defines a test per backend for each scenario: `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! on_both_backends {
    ($($scenario:ident),* $(,)?) => {
        $(
            mod $scenario {
                use super::common::{Backend, TestApp};

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let app = TestApp::spawn(Backend::Sqlite).await.expect("SQLite is always there");
                    super::$scenario(&app).await;
                    app.finish().await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if let Some(app) = TestApp::spawn(Backend::Postgres).await {
                        super::$scenario(&app).await;
                        app.finish().await;
                    }
                }
            }
        )*
    };
}

/// Like [`on_both_backends`], plus a third variant with the blobs on S3 (moto).
#[macro_export]
macro_rules! on_every_store {
    ($($scenario:ident),* $(,)?) => {
        $(
            mod $scenario {
                use super::common::{Backend, TestApp};

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let app = TestApp::spawn(Backend::Sqlite).await.expect("SQLite is always there");
                    super::$scenario(&app).await;
                    app.finish().await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if let Some(app) = TestApp::spawn(Backend::Postgres).await {
                        super::$scenario(&app).await;
                        app.finish().await;
                    }
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn s3() {
                    if store::testing::s3_skipped(stringify!($scenario)) {
                        return;
                    }
                    let moto = store::testing::Moto::start().await;
                    let blobs = moto.config();
                    let mut app = TestApp::spawn_with(Backend::Sqlite, |config| config.blobs = blobs)
                        .await
                        .expect("SQLite is always there");
                    app.moto = Some(moto);
                    super::$scenario(&app).await;
                    app.finish().await;
                }
            }
        )*
    };
}

impl TestApp {
    /// Replaces a stored blob's bytes behind the server's back (an alteration at rest).
    pub async fn overwrite_blob(&self, key: &str, bytes: Vec<u8>) {
        match &self.moto {
            Some(moto) => moto.put_raw(key, bytes).await,
            None => {
                let path = self.data_dir.path().join("blobs").join(key);
                assert!(path.exists(), "the blob {} is on disk", path.display());
                std::fs::write(&path, bytes).expect("overwrite the blob");
            }
        }
    }
}

pub async fn request_code(
    app: &TestApp,
    client: &Client,
    number: &str,
    phone: &str,
) -> reqwest::Response {
    client
        .post(app.url("/api/v1/join"))
        .json(&serde_json::json!({"meeting_number": number, "phone": phone}))
        .send()
        .await
        .expect("request")
}

pub async fn verify(
    app: &TestApp,
    client: &Client,
    number: &str,
    phone: &str,
    code: &str,
) -> reqwest::Response {
    client
        .post(app.url("/api/v1/join/verify"))
        .json(&serde_json::json!({"meeting_number": number, "phone": phone, "code": code}))
        .send()
        .await
        .expect("request")
}

/// The codes sent for a hearing, newest first, read from the outbox's SMS texts.
pub async fn codes(app: &TestApp, hearing: &Value) -> Vec<String> {
    let hearing_id: uuid::Uuid = id(hearing).parse().expect("uuid");
    let messages = app
        .store
        .hearing_sms(court::HearingId(hearing_id), court::NoticeKind::JoinCode)
        .await
        .expect("outbox");
    messages
        .iter()
        .map(|m| {
            let start = m.text.find("验证码为").expect("code in text") + "验证码为".len();
            m.text[start..].chars().take(6).collect()
        })
        .collect()
}

/// The `name=value` of a response's Set-Cookie, as a browser would send it back.
pub fn session_cookie(response: &reqwest::Response) -> String {
    let header = response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("a cookie");
    header.split(';').next().unwrap_or_default().to_owned()
}

/// Joins as the participant with `phone`: code by SMS, then the session; returns the
/// client and its session cookie.
pub async fn join(app: &TestApp, hearing: &Value, phone: &str) -> (Client, String) {
    let client = TestApp::client();
    let number = hearing["meeting_number"].as_str().expect("number");
    let response = request_code(app, &client, number, phone).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let code = codes(app, hearing)
        .await
        .into_iter()
        .next()
        .expect("a code was sent");
    let response = verify(app, &client, number, phone, &code).await;
    let cookie = session_cookie(&response);
    json(response, StatusCode::OK).await;
    (client, cookie)
}

/// A second server on a test's database, as after a restart: it keeps nothing of the
/// first one's memory (live channels, mutes, media sessions), only what the database
/// kept. Stop it before the test ends.
pub struct Restarted {
    pub base: String,
    shutdown: Option<oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Restarted {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        let _ = (&mut self.server).await;
    }
}

impl TestApp {
    /// Starts another server on this test's database and blobs (the first one keeps
    /// running: what matters is that the new one starts from the database alone).
    pub async fn restarted(&self) -> Restarted {
        let mut config = self.config.clone();
        let store = app::open_store(&config).await.expect("open store again");
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
        Restarted {
            base,
            shutdown: Some(shutdown),
            server,
        }
    }
}

/// A live channel (`/api/v1/hearings/{id}/live`) as a test holds it.
pub type LiveSocket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens hearing `hearing_id`'s live channel on the server at `base` with `cookie` (a
/// staff or participant session), as a browser would.
pub async fn connect_live(base: &str, cookie: &str, hearing_id: &str) -> LiveSocket {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let url = format!(
        "{}/api/v1/hearings/{hearing_id}/live",
        base.replace("http://", "ws://")
    );
    let mut request = url.into_client_request().expect("a request");
    request
        .headers_mut()
        .insert("cookie", cookie.parse().expect("a cookie header"));
    tokio_tungstenite::connect_async(request)
        .await
        .expect("the live channel opens")
        .0
}

/// The next JSON message of a live channel within `wait`, if one comes.
pub async fn next_live(socket: &mut LiveSocket, wait: std::time::Duration) -> Option<Value> {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let read = async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Text(text))) => {
                    return serde_json::from_str::<Value>(&text).ok();
                }
                Some(Ok(_)) => continue,
                _ => return None,
            }
        }
    };
    tokio::time::timeout(wait, read).await.ok().flatten()
}

/// Sends a JSON message on a live channel.
pub async fn send_live(socket: &mut LiveSocket, message: &Value) {
    use futures_util::SinkExt;
    socket
        .send(tokio_tungstenite::tungstenite::Message::Text(
            message.to_string().into(),
        ))
        .await
        .expect("the live channel takes the message");
}

/// Logs `username` in with a fresh client; returns it and its session cookie (to open
/// live channels with).
pub async fn staff_session(app: &TestApp, username: &str) -> (Client, String) {
    let client = TestApp::client();
    let response = client
        .post(app.url("/api/v1/session"))
        .json(&serde_json::json!({"username": username, "password": PASSWORD}))
        .send()
        .await
        .expect("login request");
    let cookie = session_cookie(&response);
    json(response, StatusCode::OK).await;
    (client, cookie)
}
