//! The SQL behind [`Store`], written once and expanded for SQLite and for PostgreSQL.
//! Both accept `$1…$n` placeholders and `RETURNING`; the types that differ (UUID, time,
//! boolean) are mapped by sqlx per backend, and the schemas live in `migrations/`.

use crate::{Backend, BenchSeat, ParticipantMark, Result, Store, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use court::join::IssuedCode;
use court::{
    AuditEvent, Bench, Case, CaseId, CaseNumber, Cause, Court, CourtId, CourtName, Hearing,
    HearingId, HearingState, IdNumber, MeetingNumber, NewAuditEvent, NoticeKind, OutboxMessage,
    Participant, ParticipantId, ParticipantRole, PersonName, PhoneNumber, SmsStatus, StaffRole,
    TimeZoneName, User, UserId, Username,
};
use sqlx::Row;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;
use uuid::Uuid;

/// The SQLite store: one writer connection (SQLite allows one writer at a time, and a
/// single writer never meets `SQLITE_BUSY`) and a pool of readers, in WAL mode.
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
}

impl SqliteStore {
    pub async fn open_file(path: &Path) -> Result<Self> {
        Self::with_options(SqliteConnectOptions::new().filename(path)).await
    }

    pub async fn connect_url(url: &str) -> Result<Self> {
        Self::with_options(SqliteConnectOptions::from_str(url)?).await
    }

    async fn with_options(options: SqliteConnectOptions) -> Result<Self> {
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&writer).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.read_only(true))
            .await?;
        Ok(Self { writer, reader })
    }
}

/// The PostgreSQL store: one pool serves reads and writes.
pub struct PostgresStore {
    writer: PgPool,
    reader: PgPool,
}

impl PostgresStore {
    pub async fn connect(url: &str) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        Ok(Self {
            writer: pool.clone(),
            reader: pool,
        })
    }
}

impl SqliteStore {
    /// One node only: nothing to share.
    fn cluster_db(&self) -> Option<crate::cluster::ClusterDb> {
        None
    }
}

impl PostgresStore {
    fn cluster_db(&self) -> Option<crate::cluster::ClusterDb> {
        Some(crate::cluster::ClusterDb::new(self.writer.clone()))
    }
}

/// Wraps a value read from the database that does not parse as its domain type.
fn corrupt<E: std::fmt::Display>(what: &'static str) -> impl FnOnce(E) -> StoreError {
    move |err| StoreError::Corrupt {
        what,
        detail: err.to_string(),
    }
}

fn parse_state(raw: &str) -> Result<HearingState> {
    HearingState::parse(raw).ok_or_else(|| StoreError::Corrupt {
        what: "hearing state",
        detail: raw.to_owned(),
    })
}

// Column lists, as macros so that `concat!` keeps every query a static string.
macro_rules! hearing_columns {
    () => {
        "id, court_id, case_id, meeting_number, scheduled_at, state, notices_sent_at, created_at, updated_at"
    };
}
macro_rules! sms_columns {
    () => {
        "id, court_id, hearing_id, participant_id, recipient_name, phone, text, kind, params, idempotency_key, status, \
         attempts, last_error, provider_id, next_attempt_at, created_at, updated_at, sent_at, delivered_at"
    };
}
macro_rules! user_columns {
    ($p:literal) => {
        concat!(
            $p,
            "id, ",
            $p,
            "court_id, ",
            $p,
            "username, ",
            $p,
            "display_name, ",
            $p,
            "role, ",
            $p,
            "disabled, ",
            $p,
            "created_at"
        )
    };
}
macro_rules! participant_columns {
    () => {
        "id, hearing_id, name, role, phone, id_number, rules_confirmed_at, checked_in_at, created_at"
    };
}

macro_rules! sql_store {
    ($store:ident, $db:ty, $backend:expr, $skip_locked:literal) => {
        type DbRow = <$db as sqlx::Database>::Row;
        type Tx<'a> = sqlx::Transaction<'a, $db>;

        fn court_from(row: &DbRow) -> Result<Court> {
            Ok(Court {
                id: CourtId(row.try_get("id")?),
                name: CourtName::parse(row.try_get("name")?).map_err(corrupt("court name"))?,
                time_zone: TimeZoneName::parse(row.try_get("time_zone")?).map_err(corrupt("time zone"))?,
                created_at: row.try_get("created_at")?,
            })
        }

        fn user_from(row: &DbRow) -> Result<User> {
            Ok(User {
                id: UserId(row.try_get("id")?),
                court_id: CourtId(row.try_get("court_id")?),
                username: Username::parse(row.try_get("username")?).map_err(corrupt("username"))?,
                display_name: PersonName::parse(row.try_get("display_name")?).map_err(corrupt("display name"))?,
                role: StaffRole::from_str(row.try_get("role")?).map_err(corrupt("staff role"))?,
                disabled: row.try_get("disabled")?,
                created_at: row.try_get("created_at")?,
            })
        }

        fn case_from(row: &DbRow) -> Result<Case> {
            Ok(Case {
                id: CaseId(row.try_get("id")?),
                court_id: CourtId(row.try_get("court_id")?),
                case_number: CaseNumber::parse(row.try_get("case_number")?).map_err(corrupt("case number"))?,
                cause: Cause::parse(row.try_get("cause")?).map_err(corrupt("cause"))?,
                created_at: row.try_get("created_at")?,
            })
        }

        fn hearing_from(row: &DbRow) -> Result<Hearing> {
            Ok(Hearing {
                id: HearingId(row.try_get("id")?),
                court_id: CourtId(row.try_get("court_id")?),
                case_id: CaseId(row.try_get("case_id")?),
                meeting_number: MeetingNumber::parse(row.try_get("meeting_number")?)
                    .map_err(corrupt("meeting number"))?,
                scheduled_at: row.try_get("scheduled_at")?,
                state: parse_state(row.try_get("state")?)?,
                notices_sent_at: row.try_get("notices_sent_at")?,
                created_at: row.try_get("created_at")?,
                updated_at: row.try_get("updated_at")?,
            })
        }

        fn participant_from(row: &DbRow) -> Result<Participant> {
            let phone: Option<String> = row.try_get("phone")?;
            let id_number: Option<String> = row.try_get("id_number")?;
            Ok(Participant {
                id: ParticipantId(row.try_get("id")?),
                hearing_id: HearingId(row.try_get("hearing_id")?),
                name: PersonName::parse(row.try_get("name")?).map_err(corrupt("participant name"))?,
                role: ParticipantRole::from_str(row.try_get("role")?).map_err(corrupt("participant role"))?,
                phone: phone
                    .map(|p| PhoneNumber::parse(&p))
                    .transpose()
                    .map_err(corrupt("phone"))?,
                id_number: id_number
                    .map(|n| IdNumber::parse(&n))
                    .transpose()
                    .map_err(corrupt("id number"))?,
                rules_confirmed_at: row.try_get("rules_confirmed_at")?,
                checked_in_at: row.try_get("checked_in_at")?,
                created_at: row.try_get("created_at")?,
            })
        }

        fn sms_from(row: &DbRow) -> Result<OutboxMessage> {
            let kind: String = row.try_get("kind")?;
            let status: String = row.try_get("status")?;
            let params: String = row.try_get("params")?;
            Ok(OutboxMessage {
                id: row.try_get("id")?,
                court_id: CourtId(row.try_get("court_id")?),
                hearing_id: row.try_get::<Option<Uuid>, _>("hearing_id")?.map(HearingId),
                participant_id: row.try_get::<Option<Uuid>, _>("participant_id")?.map(ParticipantId),
                recipient_name: row.try_get("recipient_name")?,
                phone: row.try_get("phone")?,
                text: row.try_get("text")?,
                kind: NoticeKind::parse(&kind).ok_or_else(|| StoreError::Corrupt { what: "sms kind", detail: kind.clone() })?,
                params: serde_json::from_str(&params).map_err(corrupt("sms params"))?,
                idempotency_key: row.try_get("idempotency_key")?,
                status: SmsStatus::parse(&status).ok_or_else(|| StoreError::Corrupt { what: "sms status", detail: status.clone() })?,
                attempts: row.try_get("attempts")?,
                last_error: row.try_get("last_error")?,
                provider_id: row.try_get("provider_id")?,
                next_attempt_at: row.try_get("next_attempt_at")?,
                created_at: row.try_get("created_at")?,
                updated_at: row.try_get("updated_at")?,
                sent_at: row.try_get("sent_at")?,
                delivered_at: row.try_get("delivered_at")?,
            })
        }

        /// Queues one message unless its key is queued already; true when queued.
        async fn insert_sms(tx: &mut Tx<'_>, m: &OutboxMessage) -> Result<bool> {
            let params = serde_json::to_string(&m.params).map_err(corrupt("sms params"))?;
            let inserted = sqlx::query(concat!(
                "INSERT INTO sms_outbox (", sms_columns!(), ") VALUES ",
                "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) ",
                "ON CONFLICT (idempotency_key) DO NOTHING"
            ))
            .bind(m.id)
            .bind(m.court_id.0)
            .bind(m.hearing_id.map(|id| id.0))
            .bind(m.participant_id.map(|id| id.0))
            .bind(&m.recipient_name)
            .bind(&m.phone)
            .bind(&m.text)
            .bind(m.kind.as_str())
            .bind(params)
            .bind(&m.idempotency_key)
            .bind(m.status.as_str())
            .bind(m.attempts)
            .bind(&m.last_error)
            .bind(&m.provider_id)
            .bind(m.next_attempt_at)
            .bind(m.created_at)
            .bind(m.updated_at)
            .bind(m.sent_at)
            .bind(m.delivered_at)
            .execute(&mut **tx)
            .await?
            .rows_affected();
            Ok(inserted == 1)
        }

        fn audit_from(row: &DbRow) -> Result<AuditEvent> {
            let details: String = row.try_get("details")?;
            Ok(AuditEvent {
                seq: row.try_get("seq")?,
                at: row.try_get("at")?,
                actor: row.try_get("actor")?,
                action: row.try_get("action")?,
                court_id: row.try_get::<Option<Uuid>, _>("court_id")?.map(CourtId),
                hearing_id: row.try_get::<Option<Uuid>, _>("hearing_id")?.map(HearingId),
                details: serde_json::from_str(&details).map_err(corrupt("audit details"))?,
                prev_hash: row.try_get("prev_hash")?,
                hash: row.try_get("hash")?,
            })
        }

        /// Appends an audit event inside `tx`. Bumping the head row first takes its
        /// lock, so concurrent appends queue up and the chain stays linear.
        async fn append_audit_in(tx: &mut Tx<'_>, event: NewAuditEvent) -> Result<AuditEvent> {
            let head = sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
                .fetch_one(&mut **tx)
                .await?;
            let sealed = event.seal(head.try_get("seq")?, &head.try_get::<String, _>("hash")?, Utc::now());
            let details = serde_json::to_string(&sealed.details).map_err(corrupt("audit details"))?;
            sqlx::query(
                "INSERT INTO audit_events (seq, at, actor, action, court_id, hearing_id, details, prev_hash, hash) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(sealed.seq)
            .bind(sealed.at)
            .bind(&sealed.actor)
            .bind(&sealed.action)
            .bind(sealed.court_id.map(|id| id.0))
            .bind(sealed.hearing_id.map(|id| id.0))
            .bind(details)
            .bind(&sealed.prev_hash)
            .bind(&sealed.hash)
            .execute(&mut **tx)
            .await?;
            sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
                .bind(&sealed.hash)
                .execute(&mut **tx)
                .await?;
            Ok(sealed)
        }

        async fn insert_participant(tx: &mut Tx<'_>, p: &Participant) -> Result<()> {
            sqlx::query(
                "INSERT INTO participants (id, hearing_id, name, role, phone, id_number, rules_confirmed_at, \
                 checked_in_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(p.id.0)
            .bind(p.hearing_id.0)
            .bind(p.name.as_str())
            .bind(p.role.as_str())
            .bind(p.phone.as_ref().map(|x| x.as_str()))
            .bind(p.id_number.as_ref().map(|x| x.as_str()))
            .bind(p.rules_confirmed_at)
            .bind(p.checked_in_at)
            .bind(p.created_at)
            .execute(&mut **tx)
            .await?;
            Ok(())
        }

        #[async_trait]
        impl Store for $store {
            fn backend(&self) -> Backend {
                $backend
            }

            fn cluster(&self) -> Option<crate::cluster::ClusterDb> {
                self.cluster_db()
            }

            async fn ping(&self) -> Result<()> {
                sqlx::query("SELECT 1").execute(&self.reader).await?;
                Ok(())
            }

            async fn create_court(&self, court: &Court, audit: NewAuditEvent) -> Result<()> {
                let mut tx = self.writer.begin().await?;
                sqlx::query("INSERT INTO courts (id, name, time_zone, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(court.id.0)
                    .bind(court.name.as_str())
                    .bind(court.time_zone.as_str())
                    .bind(court.created_at)
                    .execute(&mut *tx)
                    .await?;
                append_audit_in(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn court(&self, id: CourtId) -> Result<Court> {
                let row = sqlx::query("SELECT id, name, time_zone, created_at FROM courts WHERE id = $1")
                    .bind(id.0)
                    .fetch_optional(&self.reader)
                    .await?
                    .ok_or(StoreError::NotFound("court"))?;
                court_from(&row)
            }

            async fn court_by_name(&self, name: &str) -> Result<Option<Court>> {
                let row = sqlx::query("SELECT id, name, time_zone, created_at FROM courts WHERE name = $1")
                    .bind(name)
                    .fetch_optional(&self.reader)
                    .await?;
                row.as_ref().map(court_from).transpose()
            }

            async fn courts(&self) -> Result<Vec<Court>> {
                let rows = sqlx::query("SELECT id, name, time_zone, created_at FROM courts ORDER BY created_at, id")
                    .fetch_all(&self.reader)
                    .await?;
                rows.iter().map(court_from).collect()
            }

            async fn create_user(&self, user: &User, password_hash: &str, audit: NewAuditEvent) -> Result<()> {
                let mut tx = self.writer.begin().await?;
                sqlx::query(
                    "INSERT INTO users (id, court_id, username, display_name, role, password_hash, disabled, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(user.id.0)
                .bind(user.court_id.0)
                .bind(user.username.as_str())
                .bind(user.display_name.as_str())
                .bind(user.role.as_str())
                .bind(password_hash)
                .bind(user.disabled)
                .bind(user.created_at)
                .execute(&mut *tx)
                .await?;
                append_audit_in(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn user(&self, id: UserId) -> Result<User> {
                let row = sqlx::query(concat!("SELECT ", user_columns!(""), " FROM users WHERE id = $1"))
                    .bind(id.0)
                    .fetch_optional(&self.reader)
                    .await?
                    .ok_or(StoreError::NotFound("user"))?;
                user_from(&row)
            }

            async fn user_credentials(&self, username: &str) -> Result<Option<(User, String)>> {
                let row = sqlx::query(concat!("SELECT ", user_columns!(""), ", password_hash FROM users WHERE username = $1"))
                    .bind(username)
                    .fetch_optional(&self.reader)
                    .await?;
                match row {
                    Some(row) => Ok(Some((user_from(&row)?, row.try_get("password_hash")?))),
                    None => Ok(None),
                }
            }

            async fn users(&self, court_id: CourtId) -> Result<Vec<User>> {
                let rows = sqlx::query(concat!("SELECT ", user_columns!(""), " FROM users WHERE court_id = $1 ORDER BY role, username"))
                .bind(court_id.0)
                .fetch_all(&self.reader)
                .await?;
                rows.iter().map(user_from).collect()
            }

            async fn set_password(&self, id: UserId, password_hash: &str, audit: NewAuditEvent) -> Result<()> {
                let mut tx = self.writer.begin().await?;
                let changed = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                    .bind(password_hash)
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if changed == 0 {
                    return Err(StoreError::NotFound("user"));
                }
                sqlx::query("DELETE FROM staff_sessions WHERE user_id = $1")
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
                append_audit_in(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn create_session(
                &self,
                token_hash: &str,
                user_id: UserId,
                expires_at: DateTime<Utc>,
                audit: NewAuditEvent,
            ) -> Result<()> {
                let mut tx = self.writer.begin().await?;
                let now = Utc::now();
                // Expired sessions of anyone are swept as new ones are made.
                sqlx::query("DELETE FROM staff_sessions WHERE expires_at < $1")
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO staff_sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(token_hash)
                .bind(user_id.0)
                .bind(now)
                .bind(expires_at)
                .execute(&mut *tx)
                .await?;
                append_audit_in(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn session_user(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<User>> {
                let row = sqlx::query(concat!(
                    "SELECT ", user_columns!("u."), " FROM users u JOIN staff_sessions s ON s.user_id = u.id ",
                    "WHERE s.token_hash = $1 AND s.expires_at > $2 AND NOT u.disabled"
                ))
                .bind(token_hash)
                .bind(now)
                .fetch_optional(&self.reader)
                .await?;
                row.as_ref().map(user_from).transpose()
            }

            async fn delete_session(&self, token_hash: &str, audit: NewAuditEvent) -> Result<()> {
                let mut tx = self.writer.begin().await?;
                sqlx::query("DELETE FROM staff_sessions WHERE token_hash = $1")
                    .bind(token_hash)
                    .execute(&mut *tx)
                    .await?;
                append_audit_in(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn create_case(&self, case: &Case, audit: NewAuditEvent) -> Result<()> {
                let mut tx = self.writer.begin().await?;
                sqlx::query(
                    "INSERT INTO cases (id, court_id, case_number, cause, created_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(case.id.0)
                .bind(case.court_id.0)
                .bind(case.case_number.as_str())
                .bind(case.cause.as_str())
                .bind(case.created_at)
                .execute(&mut *tx)
                .await?;
                append_audit_in(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn case(&self, id: CaseId) -> Result<Case> {
                let row = sqlx::query("SELECT id, court_id, case_number, cause, created_at FROM cases WHERE id = $1")
                    .bind(id.0)
                    .fetch_optional(&self.reader)
                    .await?
                    .ok_or(StoreError::NotFound("case"))?;
                case_from(&row)
            }

            async fn cases(&self, court_id: CourtId) -> Result<Vec<Case>> {
                let rows = sqlx::query(
                    "SELECT id, court_id, case_number, cause, created_at FROM cases \
                     WHERE court_id = $1 ORDER BY created_at DESC, id DESC",
                )
                .bind(court_id.0)
                .fetch_all(&self.reader)
                .await?;
                rows.iter().map(case_from).collect()
            }

            async fn create_hearing(
                &self,
                hearing: &Hearing,
                bench: &Bench,
                participants: &[Participant],
                audit: NewAuditEvent,
            ) -> Result<()> {
                let mut tx = self.writer.begin().await?;
                sqlx::query(concat!("INSERT INTO hearings (", hearing_columns!(), ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"))
                .bind(hearing.id.0)
                .bind(hearing.court_id.0)
                .bind(hearing.case_id.0)
                .bind(hearing.meeting_number.to_string())
                .bind(hearing.scheduled_at)
                .bind(hearing.state.as_str())
                .bind(hearing.notices_sent_at)
                .bind(hearing.created_at)
                .bind(hearing.updated_at)
                .execute(&mut *tx)
                .await?;
                for (seat, (user_id, role)) in bench.seats().into_iter().enumerate() {
                    sqlx::query("INSERT INTO hearing_bench (hearing_id, user_id, role, seat) VALUES ($1, $2, $3, $4)")
                        .bind(hearing.id.0)
                        .bind(user_id.0)
                        .bind(role.as_str())
                        .bind(seat as i32)
                        .execute(&mut *tx)
                        .await?;
                }
                for participant in participants {
                    insert_participant(&mut tx, participant).await?;
                }
                append_audit_in(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn hearing(&self, id: HearingId) -> Result<Hearing> {
                let row = sqlx::query(concat!("SELECT ", hearing_columns!(), " FROM hearings WHERE id = $1"))
                    .bind(id.0)
                    .fetch_optional(&self.reader)
                    .await?
                    .ok_or(StoreError::NotFound("hearing"))?;
                hearing_from(&row)
            }

            async fn hearing_by_meeting_number(&self, number: MeetingNumber) -> Result<Option<Hearing>> {
                let row = sqlx::query(concat!("SELECT ", hearing_columns!(), " FROM hearings WHERE meeting_number = $1 AND state <> 'archived'"))
                .bind(number.to_string())
                .fetch_optional(&self.reader)
                .await?;
                row.as_ref().map(hearing_from).transpose()
            }

            async fn hearings(&self, court_id: CourtId) -> Result<Vec<Hearing>> {
                let rows = sqlx::query(concat!("SELECT ", hearing_columns!(), " FROM hearings WHERE court_id = $1 ORDER BY scheduled_at DESC, id DESC"))
                .bind(court_id.0)
                .fetch_all(&self.reader)
                .await?;
                rows.iter().map(hearing_from).collect()
            }

            async fn bench(&self, hearing_id: HearingId) -> Result<Vec<BenchSeat>> {
                let rows = sqlx::query(
                    "SELECT u.id, u.court_id, u.username, u.display_name, u.role, u.disabled, u.created_at, \
                     b.role AS seat_role FROM hearing_bench b JOIN users u ON u.id = b.user_id \
                     WHERE b.hearing_id = $1 ORDER BY b.seat",
                )
                .bind(hearing_id.0)
                .fetch_all(&self.reader)
                .await?;
                rows.iter()
                    .map(|row| {
                        Ok(BenchSeat {
                            user: user_from(row)?,
                            role: ParticipantRole::from_str(row.try_get("seat_role")?)
                                .map_err(corrupt("bench role"))?,
                        })
                    })
                    .collect()
            }

            async fn change_state(
                &self,
                id: HearingId,
                from: HearingState,
                to: HearingState,
                notices: &[OutboxMessage],
                audit: NewAuditEvent,
            ) -> Result<Hearing> {
                let mut tx = self.writer.begin().await?;
                let row = sqlx::query(concat!("UPDATE hearings SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4 \
                     RETURNING ", hearing_columns!()))
                .bind(to.as_str())
                .bind(court::to_storage_precision(Utc::now()))
                .bind(id.0)
                .bind(from.as_str())
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::Conflict(crate::Conflict::StateChanged))?;
                let hearing = hearing_from(&row)?;
                for notice in notices {
                    insert_sms(&mut tx, notice).await?;
                }
                append_audit_in(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(hearing)
            }

            async fn reschedule(
                &self,
                id: HearingId,
                scheduled_at: DateTime<Utc>,
                notices: &[OutboxMessage],
                audit: NewAuditEvent,
            ) -> Result<Hearing> {
                let mut tx = self.writer.begin().await?;
                let now = court::to_storage_precision(Utc::now());
                // Notices of the new time count as the hearing's notices from now on.
                let row = sqlx::query(concat!(
                    "UPDATE hearings SET scheduled_at = $1, updated_at = $2, ",
                    "notices_sent_at = CASE WHEN $4 THEN $2 ELSE notices_sent_at END ",
                    "WHERE id = $3 AND state IN ('scheduled', 'open') RETURNING ", hearing_columns!()
                ))
                .bind(scheduled_at)
                .bind(now)
                .bind(id.0)
                .bind(!notices.is_empty())
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::Conflict(crate::Conflict::StateChanged))?;
                let hearing = hearing_from(&row)?;
                for notice in notices {
                    insert_sms(&mut tx, notice).await?;
                }
                append_audit_in(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(hearing)
            }

            async fn hearings_starting_between(&self, after: DateTime<Utc>, until: DateTime<Utc>) -> Result<Vec<Hearing>> {
                let rows = sqlx::query(concat!(
                    "SELECT ", hearing_columns!(), " FROM hearings WHERE notices_sent_at IS NOT NULL ",
                    "AND state IN ('scheduled', 'open') AND scheduled_at > $1 AND scheduled_at <= $2"
                ))
                .bind(after)
                .bind(until)
                .fetch_all(&self.reader)
                .await?;
                rows.iter().map(hearing_from).collect()
            }

            async fn add_participant(&self, participant: &Participant, audit: NewAuditEvent) -> Result<()> {
                let mut tx = self.writer.begin().await?;
                insert_participant(&mut tx, participant).await?;
                append_audit_in(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn update_participant(&self, p: &Participant, audit: NewAuditEvent) -> Result<()> {
                let mut tx = self.writer.begin().await?;
                let changed = sqlx::query(
                    "UPDATE participants SET name = $1, role = $2, phone = $3, id_number = $4 \
                     WHERE id = $5 AND hearing_id = $6",
                )
                .bind(p.name.as_str())
                .bind(p.role.as_str())
                .bind(p.phone.as_ref().map(|x| x.as_str()))
                .bind(p.id_number.as_ref().map(|x| x.as_str()))
                .bind(p.id.0)
                .bind(p.hearing_id.0)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if changed == 0 {
                    return Err(StoreError::NotFound("participant"));
                }
                append_audit_in(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn remove_participant(&self, id: ParticipantId, audit: NewAuditEvent) -> Result<()> {
                let mut tx = self.writer.begin().await?;
                let changed = sqlx::query("DELETE FROM participants WHERE id = $1")
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if changed == 0 {
                    return Err(StoreError::NotFound("participant"));
                }
                // A removed participant's sessions and codes die with them.
                for table in ["DELETE FROM participant_sessions WHERE participant_id = $1", "DELETE FROM join_codes WHERE participant_id = $1"] {
                    sqlx::query(table).bind(id.0).execute(&mut *tx).await?;
                }
                append_audit_in(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn participant_by_phone(&self, hearing_id: HearingId, phone: &str) -> Result<Option<Participant>> {
                let row = sqlx::query(concat!(
                    "SELECT ", participant_columns!(), " FROM participants WHERE hearing_id = $1 AND phone = $2"
                ))
                .bind(hearing_id.0)
                .bind(phone)
                .fetch_optional(&self.reader)
                .await?;
                row.as_ref().map(participant_from).transpose()
            }

            async fn issue_join_code(
                &self,
                code: &IssuedCode,
                participant: &Participant,
                sms: &OutboxMessage,
                audit: NewAuditEvent,
            ) -> Result<()> {
                let mut tx = self.writer.begin().await?;
                sqlx::query(
                    "INSERT INTO join_codes (id, hearing_id, participant_id, code_hash, created_at, expires_at, attempts) \
                     VALUES ($1, $2, $3, $4, $5, $6, 0)",
                )
                .bind(code.id)
                .bind(participant.hearing_id.0)
                .bind(participant.id.0)
                .bind(&code.code_hash)
                .bind(sms.created_at)
                .bind(code.expires_at)
                .execute(&mut *tx)
                .await?;
                insert_sms(&mut tx, sms).await?;
                append_audit_in(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn latest_join_code(&self, participant_id: ParticipantId) -> Result<Option<(IssuedCode, DateTime<Utc>)>> {
                let row = sqlx::query(
                    "SELECT id, code_hash, created_at, expires_at, attempts, used_at FROM join_codes \
                     WHERE participant_id = $1 ORDER BY created_at DESC LIMIT 1",
                )
                .bind(participant_id.0)
                .fetch_optional(&self.writer)
                .await?;
                let Some(row) = row else { return Ok(None) };
                let used_at: Option<DateTime<Utc>> = row.try_get("used_at")?;
                let code = IssuedCode {
                    id: row.try_get("id")?,
                    code_hash: row.try_get("code_hash")?,
                    expires_at: row.try_get("expires_at")?,
                    attempts: row.try_get("attempts")?,
                    used: used_at.is_some(),
                };
                Ok(Some((code, row.try_get("created_at")?)))
            }

            async fn join_code_failed(&self, code_id: Uuid) -> Result<()> {
                sqlx::query("UPDATE join_codes SET attempts = attempts + 1 WHERE id = $1")
                    .bind(code_id)
                    .execute(&self.writer)
                    .await?;
                Ok(())
            }

            async fn redeem_join_code(
                &self,
                code_id: Uuid,
                participant: &Participant,
                token_hash: &str,
                expires_at: DateTime<Utc>,
                audit: NewAuditEvent,
            ) -> Result<bool> {
                let mut tx = self.writer.begin().await?;
                let now = court::to_storage_precision(Utc::now());
                // Only the first of two racing requests marks the code used.
                let redeemed = sqlx::query("UPDATE join_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL")
                    .bind(now)
                    .bind(code_id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if redeemed != 1 {
                    return Ok(false);
                }
                sqlx::query("DELETE FROM participant_sessions WHERE expires_at < $1")
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO participant_sessions (token_hash, participant_id, hearing_id, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(token_hash)
                .bind(participant.id.0)
                .bind(participant.hearing_id.0)
                .bind(now)
                .bind(expires_at)
                .execute(&mut *tx)
                .await?;
                append_audit_in(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn session_participant(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<Participant>> {
                let row = sqlx::query(concat!(
                    "SELECT ", participant_columns!(), " FROM participants WHERE id = ",
                    "(SELECT participant_id FROM participant_sessions WHERE token_hash = $1 AND expires_at > $2)"
                ))
                .bind(token_hash)
                .bind(now)
                .fetch_optional(&self.reader)
                .await?;
                row.as_ref().map(participant_from).transpose()
            }

            async fn end_participant_session(&self, token_hash: &str) -> Result<()> {
                sqlx::query("DELETE FROM participant_sessions WHERE token_hash = $1")
                    .bind(token_hash)
                    .execute(&self.writer)
                    .await?;
                Ok(())
            }

            async fn mark_participant(
                &self,
                id: ParticipantId,
                mark: ParticipantMark,
                audit: NewAuditEvent,
            ) -> Result<Participant> {
                let mut tx = self.writer.begin().await?;
                let now = court::to_storage_precision(Utc::now());
                let query = match mark {
                    ParticipantMark::RulesConfirmed => concat!(
                        "UPDATE participants SET rules_confirmed_at = COALESCE(rules_confirmed_at, $1) ",
                        "WHERE id = $2 RETURNING ", participant_columns!()
                    ),
                    ParticipantMark::CheckedIn => concat!(
                        "UPDATE participants SET checked_in_at = COALESCE(checked_in_at, $1) ",
                        "WHERE id = $2 RETURNING ", participant_columns!()
                    ),
                };
                let row = sqlx::query(query)
                    .bind(now)
                    .bind(id.0)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or(StoreError::NotFound("participant"))?;
                let participant = participant_from(&row)?;
                append_audit_in(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(participant)
            }

            async fn revoke_admission(&self, id: ParticipantId, audit: NewAuditEvent) -> Result<Participant> {
                let mut tx = self.writer.begin().await?;
                let row = sqlx::query(concat!(
                    "UPDATE participants SET checked_in_at = NULL WHERE id = $1 RETURNING ",
                    participant_columns!()
                ))
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound("participant"))?;
                let participant = participant_from(&row)?;
                append_audit_in(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(participant)
            }

            async fn participant(&self, id: ParticipantId) -> Result<Participant> {
                let row = sqlx::query(concat!("SELECT ", participant_columns!(), " FROM participants WHERE id = $1"))
                    .bind(id.0)
                    .fetch_optional(&self.reader)
                    .await?
                    .ok_or(StoreError::NotFound("participant"))?;
                participant_from(&row)
            }

            async fn participants(&self, hearing_id: HearingId) -> Result<Vec<Participant>> {
                let rows = sqlx::query(concat!("SELECT ", participant_columns!(), " FROM participants WHERE hearing_id = $1 ORDER BY created_at, id"))
                .bind(hearing_id.0)
                .fetch_all(&self.reader)
                .await?;
                rows.iter().map(participant_from).collect()
            }

            async fn participant_counts(&self, court_id: CourtId) -> Result<HashMap<HearingId, i64>> {
                let rows = sqlx::query(
                    "SELECT p.hearing_id, COUNT(*) AS n FROM participants p \
                     JOIN hearings h ON h.id = p.hearing_id WHERE h.court_id = $1 GROUP BY p.hearing_id",
                )
                .bind(court_id.0)
                .fetch_all(&self.reader)
                .await?;
                rows.iter()
                    .map(|row| Ok((HearingId(row.try_get("hearing_id")?), row.try_get("n")?)))
                    .collect()
            }

            async fn enqueue_sms(
                &self,
                messages: &[OutboxMessage],
                notices_sent: Option<(HearingId, DateTime<Utc>)>,
                audit: NewAuditEvent,
            ) -> Result<usize> {
                let mut tx = self.writer.begin().await?;
                let mut queued = Vec::new();
                for message in messages {
                    if insert_sms(&mut tx, message).await? {
                        queued.push(serde_json::json!({"message_id": message.id, "participant_id": message.participant_id}));
                    }
                }
                if let Some((hearing_id, at)) = notices_sent {
                    sqlx::query("UPDATE hearings SET notices_sent_at = COALESCE(notices_sent_at, $1) WHERE id = $2")
                        .bind(at)
                        .bind(hearing_id.0)
                        .execute(&mut *tx)
                        .await?;
                }
                // Nothing new queued (a second click): nothing happened worth a record.
                let count = queued.len();
                if count > 0 {
                    // The record names what was queued, not what was only asked for.
                    let mut audit = audit;
                    if let Some(details) = audit.details.as_object_mut() {
                        details.insert("queued".into(), queued.into());
                    }
                    append_audit_in(&mut tx, audit).await?;
                }
                tx.commit().await?;
                Ok(count)
            }

            async fn claim_due_sms(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<OutboxMessage>> {
                let rows = sqlx::query(concat!(
                    "UPDATE sms_outbox SET status = 'sending', attempts = attempts + 1, updated_at = $1 ",
                    "WHERE id IN (SELECT id FROM sms_outbox WHERE status IN ('queued', 'failed') ",
                    "AND next_attempt_at IS NOT NULL AND next_attempt_at <= $1 ",
                    "ORDER BY next_attempt_at LIMIT $2", $skip_locked, ") RETURNING ", sms_columns!()
                ))
                .bind(now)
                .bind(limit)
                .fetch_all(&self.writer)
                .await?;
                rows.iter().map(sms_from).collect()
            }

            async fn sms_with_status(&self, status: SmsStatus) -> Result<Vec<OutboxMessage>> {
                let rows = sqlx::query(concat!("SELECT ", sms_columns!(), " FROM sms_outbox WHERE status = $1 ORDER BY created_at"))
                    .bind(status.as_str())
                    .fetch_all(&self.reader)
                    .await?;
                rows.iter().map(sms_from).collect()
            }

            async fn sms_sent(&self, id: Uuid, provider_id: Option<&str>, audit: NewAuditEvent) -> Result<()> {
                let mut tx = self.writer.begin().await?;
                let now = court::to_storage_precision(Utc::now());
                sqlx::query(
                    "UPDATE sms_outbox SET status = 'sent', provider_id = $1, sent_at = $2, updated_at = $2, \
                     last_error = NULL, next_attempt_at = NULL WHERE id = $3",
                )
                .bind(provider_id)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                append_audit_in(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn sms_failed(
                &self,
                id: Uuid,
                error: &str,
                retry_at: Option<DateTime<Utc>>,
                audit: NewAuditEvent,
            ) -> Result<()> {
                let mut tx = self.writer.begin().await?;
                sqlx::query(
                    "UPDATE sms_outbox SET status = 'failed', last_error = $1, next_attempt_at = $2, updated_at = $3 \
                     WHERE id = $4",
                )
                .bind(error)
                .bind(retry_at)
                .bind(court::to_storage_precision(Utc::now()))
                .bind(id)
                .execute(&mut *tx)
                .await?;
                append_audit_in(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn sms_by_provider_id(&self, provider_id: &str) -> Result<Option<OutboxMessage>> {
                let row = sqlx::query(concat!("SELECT ", sms_columns!(), " FROM sms_outbox WHERE provider_id = $1"))
                    .bind(provider_id)
                    .fetch_optional(&self.reader)
                    .await?;
                row.as_ref().map(sms_from).transpose()
            }

            async fn sms_receipt(&self, id: Uuid, delivered: bool, detail: &str, audit: NewAuditEvent) -> Result<()> {
                let mut tx = self.writer.begin().await?;
                let now = court::to_storage_precision(Utc::now());
                if delivered {
                    sqlx::query("UPDATE sms_outbox SET status = 'delivered', delivered_at = $1, updated_at = $1 WHERE id = $2")
                        .bind(now)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                } else {
                    sqlx::query(
                        "UPDATE sms_outbox SET status = 'failed', last_error = $1, next_attempt_at = NULL, updated_at = $2 \
                         WHERE id = $3",
                    )
                    .bind(detail)
                    .bind(now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                }
                append_audit_in(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn outbox(
                &self,
                court_id: CourtId,
                hearing_id: Option<HearingId>,
                status: Option<SmsStatus>,
                limit: i64,
            ) -> Result<Vec<OutboxMessage>> {
                let rows = sqlx::query(concat!(
                    "SELECT ", sms_columns!(), " FROM sms_outbox WHERE court_id = $1 ",
                    "AND ($2 IS NULL OR hearing_id = $2) AND ($3 IS NULL OR status = $3) ",
                    "ORDER BY created_at DESC, id DESC LIMIT $4"
                ))
                .bind(court_id.0)
                .bind(hearing_id.map(|id| id.0))
                .bind(status.map(|s| s.as_str()))
                .bind(limit)
                .fetch_all(&self.reader)
                .await?;
                rows.iter().map(sms_from).collect()
            }

            async fn hearing_sms(&self, hearing_id: HearingId, kind: NoticeKind) -> Result<Vec<OutboxMessage>> {
                let rows = sqlx::query(concat!(
                    "SELECT ", sms_columns!(), " FROM sms_outbox WHERE hearing_id = $1 AND kind = $2 ",
                    "ORDER BY created_at DESC, id DESC"
                ))
                .bind(hearing_id.0)
                .bind(kind.as_str())
                .fetch_all(&self.reader)
                .await?;
                rows.iter().map(sms_from).collect()
            }

            async fn append_audit(&self, event: NewAuditEvent) -> Result<AuditEvent> {
                let mut tx = self.writer.begin().await?;
                let sealed = append_audit_in(&mut tx, event).await?;
                tx.commit().await?;
                Ok(sealed)
            }

            async fn audit_events(&self, after_seq: i64, limit: i64) -> Result<Vec<AuditEvent>> {
                let rows = sqlx::query(
                    "SELECT seq, at, actor, action, court_id, hearing_id, details, prev_hash, hash \
                     FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2",
                )
                .bind(after_seq)
                .bind(limit)
                .fetch_all(&self.reader)
                .await?;
                rows.iter().map(audit_from).collect()
            }

            async fn audit_head(&self) -> Result<Option<(i64, String)>> {
                let row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
                    .fetch_one(&self.reader)
                    .await?;
                let seq: i64 = row.try_get("seq")?;
                Ok((seq > 0).then(|| row.try_get("hash")).transpose()?.map(|hash| (seq, hash)))
            }
        }
    };
}

mod sqlite_impl {
    use super::*;
    sql_store!(SqliteStore, sqlx::Sqlite, Backend::Sqlite, "");
    crate::transcript::transcript_sql!(SqliteStore);
    crate::evidence::evidence_sql!(SqliteStore);
    crate::recordings::recordings_sql!(SqliteStore);
}

mod postgres_impl {
    use super::*;
    // Several nodes may send from one outbox: each claims rows the others do not hold.
    sql_store!(
        PostgresStore,
        sqlx::Postgres,
        Backend::Postgres,
        " FOR UPDATE SKIP LOCKED"
    );
    crate::transcript::transcript_sql!(PostgresStore);
    crate::evidence::evidence_sql!(PostgresStore);
    crate::recordings::recordings_sql!(PostgresStore);
}
