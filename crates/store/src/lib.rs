//! Persistence for cloudcourt: the [`Store`] trait, with a SQLite implementation (the
//! embedded default) and a PostgreSQL one (production), each with its own migrations.
//! Every state-changing method appends its audit event in the same transaction.
//! The files themselves live in the blob store, [`Blobs`]: a local directory or S3.

pub mod backup;
pub mod blobs;
pub mod cluster;
mod error;
mod evidence;
mod recordings;
mod sql;
mod transcript;

#[cfg(feature = "testing")]
pub mod testing;

pub use blobs::{BlobConfig, BlobError, BlobMeta, Blobs, Stored};
pub use error::{Conflict, StoreError};
pub use evidence::{EvidenceStore, Upload};
pub use recordings::{
    RecordingFile, RecordingSegment, RecordingStore, SegmentOutcome, SegmentState,
};
pub use sql::{PostgresStore, SqliteStore};
pub use transcript::{TranscriptHead, TranscriptStore};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use court::join::IssuedCode;
use court::{
    AuditEvent, Bench, Case, CaseId, ChainBreak, ChainVerifier, Court, CourtId, Hearing, HearingId,
    HearingState, MeetingNumber, NewAuditEvent, NoticeKind, OutboxMessage, Participant,
    ParticipantId, ParticipantRole, SmsStatus, User, UserId,
};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use uuid::Uuid;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A member of a hearing's bench with the user behind the seat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchSeat {
    pub user: User,
    pub role: ParticipantRole,
}

/// A step of a participant's way into the hearing, recorded once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParticipantMark {
    /// Confirmed the court rules (法庭纪律).
    RulesConfirmed,
    /// Admitted from the waiting room (签到), or — a witness — called in (传唤入庭).
    CheckedIn,
}

/// Everything cloudcourt keeps, behind one interface for both databases.
#[async_trait]
pub trait Store: TranscriptStore + EvidenceStore + RecordingStore + Send + Sync + 'static {
    fn backend(&self) -> Backend;

    /// The tables several nodes share: PostgreSQL only (SQLite serves one node).
    fn cluster(&self) -> Option<cluster::ClusterDb>;

    /// Checks that the database answers (for `/healthz`).
    async fn ping(&self) -> Result<()>;

    async fn create_court(&self, court: &Court, audit: NewAuditEvent) -> Result<()>;
    async fn court(&self, id: CourtId) -> Result<Court>;
    async fn court_by_name(&self, name: &str) -> Result<Option<Court>>;
    async fn courts(&self) -> Result<Vec<Court>>;

    async fn create_user(
        &self,
        user: &User,
        password_hash: &str,
        audit: NewAuditEvent,
    ) -> Result<()>;
    async fn user(&self, id: UserId) -> Result<User>;
    /// The user and their password hash, for signing in.
    async fn user_credentials(&self, username: &str) -> Result<Option<(User, String)>>;
    async fn users(&self, court_id: CourtId) -> Result<Vec<User>>;
    /// Sets a new password hash and ends the user's sessions.
    async fn set_password(
        &self,
        id: UserId,
        password_hash: &str,
        audit: NewAuditEvent,
    ) -> Result<()>;

    async fn create_session(
        &self,
        token_hash: &str,
        user_id: UserId,
        expires_at: DateTime<Utc>,
        audit: NewAuditEvent,
    ) -> Result<()>;
    /// The user of a live session, if the token is known and not expired.
    async fn session_user(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<User>>;
    async fn delete_session(&self, token_hash: &str, audit: NewAuditEvent) -> Result<()>;

    async fn create_case(&self, case: &Case, audit: NewAuditEvent) -> Result<()>;
    async fn case(&self, id: CaseId) -> Result<Case>;
    async fn cases(&self, court_id: CourtId) -> Result<Vec<Case>>;

    /// Creates a hearing with its bench and first participants. Fails with
    /// [`Conflict::MeetingNumberTaken`] when a live hearing holds the number.
    async fn create_hearing(
        &self,
        hearing: &Hearing,
        bench: &Bench,
        participants: &[Participant],
        audit: NewAuditEvent,
    ) -> Result<()>;
    async fn hearing(&self, id: HearingId) -> Result<Hearing>;
    /// The live (not archived) hearing that holds a meeting number.
    async fn hearing_by_meeting_number(&self, number: MeetingNumber) -> Result<Option<Hearing>>;
    async fn hearings(&self, court_id: CourtId) -> Result<Vec<Hearing>>;
    async fn bench(&self, hearing_id: HearingId) -> Result<Vec<BenchSeat>>;
    /// Moves a hearing from `from` to `to` and queues `notices` with it;
    /// [`Conflict::StateChanged`] if it is no longer in `from` (someone else changed it first).
    async fn change_state(
        &self,
        id: HearingId,
        from: HearingState,
        to: HearingState,
        notices: &[OutboxMessage],
        audit: NewAuditEvent,
    ) -> Result<Hearing>;
    /// Moves the hearing's time (before it starts) and queues `notices` with it.
    async fn reschedule(
        &self,
        id: HearingId,
        scheduled_at: DateTime<Utc>,
        notices: &[OutboxMessage],
        audit: NewAuditEvent,
    ) -> Result<Hearing>;
    /// Hearings whose notices went out and which start in (`after`, `until`]: the
    /// candidates for reminders.
    async fn hearings_starting_between(
        &self,
        after: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<Hearing>>;

    async fn add_participant(&self, participant: &Participant, audit: NewAuditEvent) -> Result<()>;
    async fn update_participant(
        &self,
        participant: &Participant,
        audit: NewAuditEvent,
    ) -> Result<()>;
    async fn remove_participant(&self, id: ParticipantId, audit: NewAuditEvent) -> Result<()>;
    async fn participant(&self, id: ParticipantId) -> Result<Participant>;
    /// The participant of a hearing registered with this phone.
    async fn participant_by_phone(
        &self,
        hearing_id: HearingId,
        phone: &str,
    ) -> Result<Option<Participant>>;
    /// Records a one-time code and queues the SMS that carries it.
    async fn issue_join_code(
        &self,
        code: &IssuedCode,
        participant: &Participant,
        sms: &OutboxMessage,
        audit: NewAuditEvent,
    ) -> Result<()>;
    /// A participant's latest code, with when it was issued.
    async fn latest_join_code(
        &self,
        participant_id: ParticipantId,
    ) -> Result<Option<(IssuedCode, DateTime<Utc>)>>;
    /// Counts a wrong try of a code.
    async fn join_code_failed(&self, code_id: Uuid) -> Result<()>;
    /// Uses a code up and opens a participant session; false when the code was used
    /// meanwhile (by a racing request).
    async fn redeem_join_code(
        &self,
        code_id: Uuid,
        participant: &Participant,
        token_hash: &str,
        expires_at: DateTime<Utc>,
        audit: NewAuditEvent,
    ) -> Result<bool>;
    /// The participant of a live session.
    async fn session_participant(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Participant>>;
    async fn end_participant_session(&self, token_hash: &str) -> Result<()>;
    /// Records the participant's confirmation of the rules, or their check-in (the
    /// first time only; later calls keep the first time).
    async fn mark_participant(
        &self,
        id: ParticipantId,
        mark: ParticipantMark,
        audit: NewAuditEvent,
    ) -> Result<Participant>;
    /// Takes a participant's admission back (移出庭审, or a witness sent out, 退庭): they
    /// wait outside the room again until the court admits (or calls) them anew.
    async fn revoke_admission(
        &self,
        id: ParticipantId,
        audit: NewAuditEvent,
    ) -> Result<Participant>;
    async fn participants(&self, hearing_id: HearingId) -> Result<Vec<Participant>>;
    /// How many participants each hearing of a court has.
    async fn participant_counts(&self, court_id: CourtId) -> Result<HashMap<HearingId, i64>>;

    /// Queues SMS messages, skipping any whose idempotency key is already queued; with
    /// `notices_sent`, records on the hearing when its notices went out. The audit
    /// event (appended only when something was queued) gets a `queued` list of the
    /// message and participant ids. Returns the number queued.
    async fn enqueue_sms(
        &self,
        messages: &[OutboxMessage],
        notices_sent: Option<(HearingId, DateTime<Utc>)>,
        audit: NewAuditEvent,
    ) -> Result<usize>;
    /// Marks up to `limit` messages due at `now` as sending (one more attempt) and
    /// returns them; on PostgreSQL, rows another node claims are skipped.
    async fn claim_due_sms(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<OutboxMessage>>;
    /// Messages in one status (the worker's recovery looks for `sending` ones).
    async fn sms_with_status(&self, status: SmsStatus) -> Result<Vec<OutboxMessage>>;
    async fn sms_sent(
        &self,
        id: Uuid,
        provider_id: Option<&str>,
        audit: NewAuditEvent,
    ) -> Result<()>;
    /// Records a failed attempt; retried at `retry_at`, or given up when `None`.
    async fn sms_failed(
        &self,
        id: Uuid,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        audit: NewAuditEvent,
    ) -> Result<()>;
    async fn sms_by_provider_id(&self, provider_id: &str) -> Result<Option<OutboxMessage>>;
    /// Records a delivery receipt: delivered, or failed with the provider's reason.
    async fn sms_receipt(
        &self,
        id: Uuid,
        delivered: bool,
        detail: &str,
        audit: NewAuditEvent,
    ) -> Result<()>;
    /// A court's outbox, newest first, optionally for one hearing or status.
    async fn outbox(
        &self,
        court_id: CourtId,
        hearing_id: Option<HearingId>,
        status: Option<SmsStatus>,
        limit: i64,
    ) -> Result<Vec<OutboxMessage>>;
    /// A hearing's messages of one kind, newest first.
    async fn hearing_sms(
        &self,
        hearing_id: HearingId,
        kind: NoticeKind,
    ) -> Result<Vec<OutboxMessage>>;

    /// Appends an event that has no other write with it (a failed login, say).
    async fn append_audit(&self, event: NewAuditEvent) -> Result<AuditEvent>;
    /// Events after `after_seq`, in order, at most `limit`.
    async fn audit_events(&self, after_seq: i64, limit: i64) -> Result<Vec<AuditEvent>>;
    /// The last sequence number and hash the chain recorded, if any event exists.
    async fn audit_head(&self) -> Result<Option<(i64, String)>>;
}

/// What verifying the audit chain found.
#[derive(Debug)]
pub enum AuditVerdict {
    Intact { rows: i64 },
    Broken(ChainBreak),
}

/// Reads the whole audit chain page by page and checks every link.
pub async fn verify_audit(store: &dyn Store) -> Result<AuditVerdict> {
    const PAGE: i64 = 1_000;
    let mut verifier = ChainVerifier::default();
    let mut after = 0;
    loop {
        let page = store.audit_events(after, PAGE).await?;
        for event in &page {
            if let Err(broken) = verifier.check(event) {
                return Ok(AuditVerdict::Broken(broken));
            }
        }
        match page.last() {
            Some(last) if page.len() as i64 == PAGE => after = last.seq,
            _ => break,
        }
    }
    let head = store.audit_head().await?;
    Ok(
        match verifier.finish(head.as_ref().map(|(seq, hash)| (*seq, hash.as_str()))) {
            Ok(rows) => AuditVerdict::Intact { rows },
            Err(broken) => AuditVerdict::Broken(broken),
        },
    )
}

/// Opens the store a database URL names (`postgres://…`, `sqlite://…`), or the SQLite
/// file in `data_dir` when there is none, and applies pending migrations.
pub async fn open(database_url: Option<&str>, data_dir: &Path) -> Result<Arc<dyn Store>> {
    match database_url {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            Ok(Arc::new(PostgresStore::connect(url).await?))
        }
        Some(url) => Ok(Arc::new(SqliteStore::connect_url(url).await?)),
        None => {
            std::fs::create_dir_all(data_dir).map_err(|source| StoreError::DataDir {
                path: data_dir.display().to_string(),
                source,
            })?;
            Ok(Arc::new(
                SqliteStore::open_file(&data_dir.join("cloudcourt.db")).await?,
            ))
        }
    }
}
