//! The audit chain under concurrent writers, on SQLite and PostgreSQL: appends from many
//! tasks at once still form one unbroken chain with no gap and no fork.

use court::{AuditActor, NewAuditEvent};
use serde_json::json;
use sqlx::Connection;
use std::sync::Arc;
use store::{AuditVerdict, Store};

async fn concurrent_appends_form_one_chain(store: Arc<dyn Store>) {
    let tasks: Vec<_> = (0..40)
        .map(|n| {
            let store = store.clone();
            tokio::spawn(async move {
                let event =
                    NewAuditEvent::new(AuditActor::System, "test.concurrent", json!({"n": n}));
                store.append_audit(event).await.expect("append")
            })
        })
        .collect();
    let mut seqs = Vec::new();
    for task in tasks {
        seqs.push(task.await.expect("task").seq);
    }
    seqs.sort_unstable();
    assert_eq!(
        seqs,
        (1..=40).collect::<Vec<i64>>(),
        "one sequence number each, no gaps"
    );
    match store::verify_audit(store.as_ref()).await.expect("verify") {
        AuditVerdict::Intact { rows } => assert_eq!(rows, 40),
        AuditVerdict::Broken(broken) => panic!("{broken}"),
    }
    let events = store.audit_events(0, 100).await.expect("events");
    for pair in events.windows(2) {
        assert_eq!(pair[1].prev_hash, pair[0].hash);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = store::open(None, dir.path()).await.expect("open SQLite");
    concurrent_appends_form_one_chain(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres() {
    let Ok(admin_url) = std::env::var("CLOUDCOURT_TEST_POSTGRES") else {
        eprintln!("CLOUDCOURT_TEST_POSTGRES is not set: PostgreSQL variant not run");
        return;
    };
    let name = format!("cc_store_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&admin_url)
        .await
        .expect("connect");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("create database");
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url.as_str(), |(base, _)| base);
    let store = store::open(
        Some(&format!("{base}/{name}")),
        std::path::Path::new("unused"),
    )
    .await
    .expect("open PostgreSQL");
    concurrent_appends_form_one_chain(store).await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE {name} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .expect("drop database");
}
