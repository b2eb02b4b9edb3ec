//! `cloudcourt audit verify` against a real database: it passes on the chain the server
//! wrote, the table refuses changes, and a row altered behind its back is named.

mod common;

use common::{Backend, TestApp};
use serde_json::json;

async fn verify(app: &TestApp) -> (bool, String) {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_cloudcourt"))
        .args(["audit", "verify"])
        .args(app.cli_database_args())
        .env("CLOUDCOURT_LOG", "warn")
        .output()
        .await
        .expect("run cloudcourt audit verify");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    (output.status.success(), format!("{stdout}{stderr}"))
}

async fn altered_rows_are_named(app: &TestApp) {
    // Some real activity through the API.
    let clerk = app.login("clerk").await;
    let response = clerk
        .post(app.url("/api/v1/cases"))
        .json(&json!({"case_number": "(2026)京0107民初77号", "cause": "物业服务合同纠纷"}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), reqwest::StatusCode::CREATED);

    let (ok, output) = verify(app).await;
    assert!(ok, "{output}");
    assert!(output.contains("audit chain intact"), "{output}");
    let rows = app.audit_rows().await;
    assert!(
        rows >= 6,
        "court, users, login and case were audited: {rows}"
    );

    // The table itself refuses changes and deletions.
    let refused = app
        .execute(
            "UPDATE audit_events SET actor = 'forged' WHERE seq = 3",
            None,
        )
        .await;
    assert!(
        refused
            .expect_err("append-only")
            .to_string()
            .contains("append-only")
    );
    let refused = app
        .execute("DELETE FROM audit_events WHERE seq = 3", None)
        .await;
    assert!(refused.is_err());

    // Someone with the database's keys turns the protection off and edits row 3.
    let disable = match app.backend() {
        Backend::Sqlite => "DROP TRIGGER audit_events_no_update",
        Backend::Postgres => "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change",
    };
    app.execute(disable, None)
        .await
        .expect("disable protection");
    app.execute(
        "UPDATE audit_events SET actor = 'staff:forged' WHERE seq = 3",
        None,
    )
    .await
    .expect("tamper");
    let (ok, output) = verify(app).await;
    assert!(!ok, "verify must fail: {output}");
    assert!(output.contains("BROKEN at row 3"), "{output}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn altered_rows_are_named_sqlite() {
    let app = TestApp::spawn(Backend::Sqlite).await.expect("SQLite");
    altered_rows_are_named(&app).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn altered_rows_are_named_postgres() {
    if let Some(app) = TestApp::spawn(Backend::Postgres).await {
        altered_rows_are_named(&app).await;
        app.stop().await;
    }
}
