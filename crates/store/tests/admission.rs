//! A participant's admission on SQLite and PostgreSQL: taking it back (移出庭审, a witness
//! sent out) keeps everything else and is audited; and migration 0006 sends witnesses
//! whom the old 准许入庭 let into a hearing still under way back outside, until called in.

use chrono::Utc;
use court::{
    AuditActor, Bench, Case, CaseId, CaseNumber, Cause, Court, CourtId, CourtName, Hearing,
    HearingId, HearingState, MeetingNumber, NewAuditEvent, Participant, ParticipantId,
    ParticipantRole, PersonName, StaffRole, TimeZoneName, User, UserId, Username,
};
use serde_json::json;
use sqlx::Connection;
use std::sync::Arc;
use store::{Store, StoreError};

fn audit(action: &'static str) -> NewAuditEvent {
    NewAuditEvent::new(AuditActor::System, action, json!({}))
}

fn person(hearing: HearingId, name: &str, role: ParticipantRole) -> Participant {
    let now = court::to_storage_precision(Utc::now());
    Participant {
        id: ParticipantId::new(),
        hearing_id: hearing,
        name: PersonName::parse(name).expect("a name"),
        role,
        phone: None,
        id_number: None,
        rules_confirmed_at: Some(now),
        checked_in_at: Some(now),
        created_at: now,
    }
}

/// A court with a clerk, and a hearing in `state` whose participants are all admitted.
async fn hearing(
    store: &dyn Store,
    court: &Court,
    clerk: UserId,
    number: &str,
    state: HearingState,
    people: &[(&str, ParticipantRole)],
) -> Vec<Participant> {
    let now = court::to_storage_precision(Utc::now());
    let case = Case {
        id: CaseId::new(),
        court_id: court.id,
        case_number: CaseNumber::parse(&format!("(2026)京0107民初{number}号")).expect("number"),
        cause: Cause::parse("民间借贷纠纷").expect("cause"),
        created_at: now,
    };
    store
        .create_case(&case, audit("case.create"))
        .await
        .expect("case");
    let hearing = Hearing {
        id: HearingId::new(),
        court_id: court.id,
        case_id: case.id,
        meeting_number: MeetingNumber::parse(number).expect("meeting number"),
        scheduled_at: now,
        state,
        notices_sent_at: None,
        created_at: now,
        updated_at: now,
    };
    let people: Vec<_> = people
        .iter()
        .map(|(name, role)| person(hearing.id, name, *role))
        .collect();
    let bench = Bench {
        judges: vec![],
        clerk,
    };
    store
        .create_hearing(&hearing, &bench, &people, audit("hearing.create"))
        .await
        .expect("hearing");
    people
}

async fn setup(store: &dyn Store) -> (Court, UserId) {
    let now = court::to_storage_precision(Utc::now());
    let court = Court {
        id: CourtId::new(),
        name: CourtName::parse("北京市石景山区人民法院").expect("name"),
        time_zone: TimeZoneName::parse("Asia/Shanghai").expect("zone"),
        created_at: now,
    };
    store
        .create_court(&court, audit("court.create"))
        .await
        .expect("court");
    let clerk = User {
        id: UserId::new(),
        court_id: court.id,
        username: Username::parse("clerk").expect("username"),
        display_name: PersonName::parse("梁1").expect("name"),
        role: StaffRole::Clerk,
        disabled: false,
        created_at: now,
    };
    store
        .create_user(&clerk, "not-a-real-hash", audit("user.create"))
        .await
        .expect("clerk");
    (court, clerk.id)
}

async fn admission_is_taken_back(store: Arc<dyn Store>) {
    let (court, clerk) = setup(store.as_ref()).await;
    let people = hearing(
        store.as_ref(),
        &court,
        clerk,
        "81000001",
        HearingState::InSession,
        &[("贾1", ParticipantRole::Plaintiff)],
    )
    .await;
    let before = store.audit_head().await.expect("head").map(|(seq, _)| seq);
    let out = store
        .revoke_admission(people[0].id, audit("participant.removal"))
        .await
        .expect("revoked");
    assert_eq!(out.checked_in_at, None);
    assert_eq!(
        out.rules_confirmed_at, people[0].rules_confirmed_at,
        "the rules stay confirmed"
    );
    assert_eq!(
        store.participant(people[0].id).await.expect("read"),
        out,
        "stored"
    );
    let after = store.audit_head().await.expect("head").map(|(seq, _)| seq);
    assert_eq!(after, before.map(|seq| seq + 1), "audited with it");
    assert!(matches!(
        store
            .revoke_admission(ParticipantId::new(), audit("participant.removal"))
            .await,
        Err(StoreError::NotFound("participant"))
    ));
}

/// Runs migration 0006 again, as on a database made before it: its row is forgotten
/// and the store opened anew.
async fn witnesses_wait_outside_after_0006(
    store: Arc<dyn Store>,
    forget_0006: impl AsyncFnOnce(),
    reopen: impl AsyncFnOnce() -> Arc<dyn Store>,
) {
    let (court, clerk) = setup(store.as_ref()).await;
    let live = hearing(
        store.as_ref(),
        &court,
        clerk,
        "81000002",
        HearingState::InSession,
        &[
            ("王5", ParticipantRole::Witness),
            ("贾1", ParticipantRole::Plaintiff),
            ("鉴6", ParticipantRole::Expert),
        ],
    )
    .await;
    let closed = hearing(
        store.as_ref(),
        &court,
        clerk,
        "81000003",
        HearingState::Closed,
        &[("赵7", ParticipantRole::Witness)],
    )
    .await;
    drop(store);
    forget_0006().await;
    let store = reopen().await;
    let admitted = |p: &Participant| {
        let store = store.clone();
        let id = p.id;
        async move {
            store
                .participant(id)
                .await
                .expect("read")
                .checked_in_at
                .is_some()
        }
    };
    assert!(
        !admitted(&live[0]).await,
        "the witness waits outside for the call"
    );
    assert!(admitted(&live[1]).await, "a party stays admitted");
    assert!(admitted(&live[2]).await, "an expert stays admitted");
    assert!(
        admitted(&closed[0]).await,
        "a finished hearing keeps its record"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite() {
    let dir = tempfile::tempdir().expect("temp dir");
    admission_is_taken_back(store::open(None, dir.path()).await.expect("open")).await;

    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().to_path_buf();
    let store = store::open(None, &path).await.expect("open");
    witnesses_wait_outside_after_0006(
        store,
        async || {
            let url = format!("sqlite://{}", path.join("cloudcourt.db").display());
            let mut conn = sqlx::SqliteConnection::connect(&url)
                .await
                .expect("connect");
            sqlx::query("DELETE FROM _sqlx_migrations WHERE version = 6")
                .execute(&mut conn)
                .await
                .expect("forget 0006");
        },
        async || store::open(None, &path).await.expect("open again"),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    let Ok(admin_url) = std::env::var("CLOUDCOURT_TEST_POSTGRES") else {
        eprintln!("CLOUDCOURT_TEST_POSTGRES is not set: PostgreSQL variant not run");
        return;
    };
    let mut admin = sqlx::PgConnection::connect(&admin_url)
        .await
        .expect("connect");
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url.as_str(), |(base, _)| base)
        .to_owned();
    let mut names = Vec::new();
    for _ in 0..2 {
        let name = format!("cc_store_{}", uuid::Uuid::new_v4().simple());
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("create database");
        names.push(name);
    }
    let unused = std::path::Path::new("unused");
    let first = format!("{base}/{}", names[0]);
    admission_is_taken_back(store::open(Some(&first), unused).await.expect("open")).await;

    let url = format!("{base}/{}", names[1]);
    let store = store::open(Some(&url), unused).await.expect("open");
    witnesses_wait_outside_after_0006(
        store,
        async || {
            let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect");
            sqlx::query("DELETE FROM _sqlx_migrations WHERE version = 6")
                .execute(&mut conn)
                .await
                .expect("forget 0006");
        },
        async || store::open(Some(&url), unused).await.expect("open again"),
    )
    .await;
    for name in names {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE {name} WITH (FORCE)"
        )))
        .execute(&mut admin)
        .await
        .expect("drop database");
    }
}
