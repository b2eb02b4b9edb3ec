//! Persistence of evidence (证据): uploads in progress, the items (numbered per
//! hearing in the order they arrive, never deleted), and the parties' opinions. The SQL
//! is written once and expanded in each backend's module.

use crate::Result;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use court::evidence::{Admission, Evidence, Opinion};
use court::{HearingId, NewAuditEvent};
use uuid::Uuid;

/// An upload in progress: who sends what. Its bytes are staged outside the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub id: Uuid,
    pub hearing_id: HearingId,
    /// `staff` or `participant`.
    pub uploader_kind: String,
    pub uploader_id: Uuid,
    pub file_name: String,
    pub size: i64,
    pub title: String,
    pub purpose: String,
    pub created_at: DateTime<Utc>,
}

#[async_trait]
pub trait EvidenceStore: Send + Sync {
    async fn create_upload(&self, upload: &Upload) -> Result<()>;
    async fn upload(&self, id: Uuid) -> Result<Option<Upload>>;
    /// Forgets an upload (cancelled, refused, or finished elsewhere).
    async fn delete_upload(&self, id: Uuid) -> Result<()>;
    /// Items kept plus uploads in progress: what counts against a hearing's limit.
    async fn evidence_count(&self, hearing_id: HearingId) -> Result<i64>;
    /// Keeps an item finished from `upload_id`, giving it the hearing's next number
    /// (the audit details get `number`); returns it as stored.
    async fn add_evidence(
        &self,
        evidence: &Evidence,
        upload_id: Uuid,
        audit: NewAuditEvent,
    ) -> Result<Evidence>;
    /// A hearing's items by number.
    async fn evidence_list(&self, hearing_id: HearingId) -> Result<Vec<Evidence>>;
    async fn evidence(&self, hearing_id: HearingId, id: Uuid) -> Result<Option<Evidence>>;
    /// Marks an item withdrawn; [`crate::Conflict::StateChanged`] if it already was.
    async fn withdraw_evidence(
        &self,
        hearing_id: HearingId,
        id: Uuid,
        at: DateTime<Utc>,
        reason: Option<&str>,
        audit: NewAuditEvent,
    ) -> Result<Evidence>;
    /// Records the court's decision on an item (it may be changed; each is audited).
    async fn decide_admission(
        &self,
        hearing_id: HearingId,
        id: Uuid,
        admission: Admission,
        reason: Option<&str>,
        audit: NewAuditEvent,
    ) -> Result<Evidence>;
    async fn add_opinion(&self, opinion: &Opinion, audit: NewAuditEvent) -> Result<()>;
    /// A hearing's opinions, oldest first (a participant's latest on an item stands).
    async fn opinions(&self, hearing_id: HearingId) -> Result<Vec<Opinion>>;
}

/// The SQL of [`EvidenceStore`], expanded inside a backend module of `sql.rs`.
macro_rules! evidence_sql {
    ($store:ident) => {
        mod evidence_impl {
            use super::*;
            use court::evidence::{Admission, Evidence, EvidenceKind, Opinion, Stance, Submitter};
            use $crate::Conflict;
            use $crate::evidence::{EvidenceStore, Upload, evidence_columns, upload_columns};

            fn upload_from(row: &DbRow) -> Result<Upload> {
                Ok(Upload {
                    id: row.try_get("id")?,
                    hearing_id: HearingId(row.try_get("hearing_id")?),
                    uploader_kind: row.try_get("uploader_kind")?,
                    uploader_id: row.try_get("uploader_id")?,
                    file_name: row.try_get("file_name")?,
                    size: row.try_get("size")?,
                    title: row.try_get("title")?,
                    purpose: row.try_get("purpose")?,
                    created_at: row.try_get("created_at")?,
                })
            }

            fn evidence_from(row: &DbRow) -> Result<Evidence> {
                let kind: String = row.try_get("kind")?;
                let role: String = row.try_get("submitter_role")?;
                let admission: String = row.try_get("admission")?;
                Ok(Evidence {
                    id: row.try_get("id")?,
                    hearing_id: HearingId(row.try_get("hearing_id")?),
                    number: row.try_get("number")?,
                    title: row.try_get("title")?,
                    purpose: row.try_get("purpose")?,
                    file_name: row.try_get("file_name")?,
                    media_type: row.try_get("media_type")?,
                    kind: EvidenceKind::parse(&kind).ok_or_else(|| StoreError::Corrupt {
                        what: "evidence kind",
                        detail: kind.clone(),
                    })?,
                    size: row.try_get("size")?,
                    sha256: row.try_get("sha256")?,
                    blob_key: row.try_get("blob_key")?,
                    submitter: Submitter {
                        kind: row.try_get("submitter_kind")?,
                        id: row.try_get("submitter_id")?,
                        name: row.try_get("submitter_name")?,
                        role: ParticipantRole::from_str(&role).map_err(corrupt("submitter role"))?,
                    },
                    submitted_at: row.try_get("submitted_at")?,
                    withdrawn_at: row.try_get("withdrawn_at")?,
                    withdraw_reason: row.try_get("withdraw_reason")?,
                    admission: Admission::parse(&admission).ok_or_else(|| StoreError::Corrupt {
                        what: "admission",
                        detail: admission.clone(),
                    })?,
                    admission_reason: row.try_get("admission_reason")?,
                })
            }

            fn stance(row: &DbRow, column: &'static str) -> Result<Stance> {
                let raw: String = row.try_get(column)?;
                Stance::parse(&raw).ok_or(StoreError::Corrupt { what: "opinion stance", detail: raw })
            }

            fn opinion_from(row: &DbRow) -> Result<Opinion> {
                Ok(Opinion {
                    id: row.try_get("id")?,
                    evidence_id: row.try_get("evidence_id")?,
                    hearing_id: HearingId(row.try_get("hearing_id")?),
                    participant_id: ParticipantId(row.try_get("participant_id")?),
                    authenticity: stance(row, "authenticity")?,
                    legality: stance(row, "legality")?,
                    relevance: stance(row, "relevance")?,
                    text: row.try_get("text")?,
                    given_at: row.try_get("given_at")?,
                })
            }

            #[async_trait]
            impl EvidenceStore for $store {
                async fn create_upload(&self, u: &Upload) -> Result<()> {
                    sqlx::query(concat!(
                        "INSERT INTO evidence_uploads (", upload_columns!(), ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
                    ))
                    .bind(u.id)
                    .bind(u.hearing_id.0)
                    .bind(&u.uploader_kind)
                    .bind(u.uploader_id)
                    .bind(&u.file_name)
                    .bind(u.size)
                    .bind(&u.title)
                    .bind(&u.purpose)
                    .bind(u.created_at)
                    .execute(&self.writer)
                    .await?;
                    Ok(())
                }

                async fn upload(&self, id: Uuid) -> Result<Option<Upload>> {
                    let row = sqlx::query(concat!("SELECT ", upload_columns!(), " FROM evidence_uploads WHERE id = $1"))
                        .bind(id)
                        .fetch_optional(&self.reader)
                        .await?;
                    row.map(|row| upload_from(&row)).transpose()
                }

                async fn delete_upload(&self, id: Uuid) -> Result<()> {
                    sqlx::query("DELETE FROM evidence_uploads WHERE id = $1")
                        .bind(id)
                        .execute(&self.writer)
                        .await?;
                    Ok(())
                }

                async fn evidence_count(&self, hearing_id: HearingId) -> Result<i64> {
                    let row = sqlx::query(
                        "SELECT (SELECT COUNT(*) FROM evidence WHERE hearing_id = $1) \
                         + (SELECT COUNT(*) FROM evidence_uploads WHERE hearing_id = $1) AS n",
                    )
                    .bind(hearing_id.0)
                    .fetch_one(&self.reader)
                    .await?;
                    Ok(row.try_get("n")?)
                }

                async fn add_evidence(&self, e: &Evidence, upload_id: Uuid, mut audit: NewAuditEvent) -> Result<Evidence> {
                    let mut tx = self.writer.begin().await?;
                    let row = sqlx::query("SELECT CAST(COALESCE(MAX(number), 0) + 1 AS BIGINT) AS next FROM evidence WHERE hearing_id = $1")
                        .bind(e.hearing_id.0)
                        .fetch_one(&mut *tx)
                        .await?;
                    let next: i64 = row.try_get("next")?;
                    let number = i32::try_from(next).map_err(corrupt("evidence number"))?;
                    sqlx::query(concat!(
                        "INSERT INTO evidence (", evidence_columns!(), ") VALUES ",
                        "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)"
                    ))
                    .bind(e.id)
                    .bind(e.hearing_id.0)
                    .bind(number)
                    .bind(&e.title)
                    .bind(&e.purpose)
                    .bind(&e.file_name)
                    .bind(&e.media_type)
                    .bind(e.kind.as_str())
                    .bind(e.size)
                    .bind(&e.sha256)
                    .bind(&e.blob_key)
                    .bind(&e.submitter.kind)
                    .bind(e.submitter.id)
                    .bind(&e.submitter.name)
                    .bind(e.submitter.role.as_str())
                    .bind(e.submitted_at)
                    .bind(e.withdrawn_at)
                    .bind(&e.withdraw_reason)
                    .bind(e.admission.as_str())
                    .bind(&e.admission_reason)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query("DELETE FROM evidence_uploads WHERE id = $1")
                        .bind(upload_id)
                        .execute(&mut *tx)
                        .await?;
                    if let Some(details) = audit.details.as_object_mut() {
                        details.insert("number".to_owned(), serde_json::Value::from(number));
                    }
                    append_audit_in(&mut tx, audit).await?;
                    tx.commit().await?;
                    Ok(Evidence { number, ..e.clone() })
                }

                async fn evidence_list(&self, hearing_id: HearingId) -> Result<Vec<Evidence>> {
                    let rows = sqlx::query(concat!(
                        "SELECT ", evidence_columns!(), " FROM evidence WHERE hearing_id = $1 ORDER BY number"
                    ))
                    .bind(hearing_id.0)
                    .fetch_all(&self.reader)
                    .await?;
                    rows.iter().map(evidence_from).collect()
                }

                async fn evidence(&self, hearing_id: HearingId, id: Uuid) -> Result<Option<Evidence>> {
                    let row = sqlx::query(concat!(
                        "SELECT ", evidence_columns!(), " FROM evidence WHERE hearing_id = $1 AND id = $2"
                    ))
                    .bind(hearing_id.0)
                    .bind(id)
                    .fetch_optional(&self.reader)
                    .await?;
                    row.map(|row| evidence_from(&row)).transpose()
                }

                async fn withdraw_evidence(
                    &self,
                    hearing_id: HearingId,
                    id: Uuid,
                    at: DateTime<Utc>,
                    reason: Option<&str>,
                    audit: NewAuditEvent,
                ) -> Result<Evidence> {
                    let mut tx = self.writer.begin().await?;
                    let row = sqlx::query(concat!(
                        "UPDATE evidence SET withdrawn_at = $3, withdraw_reason = $4 ",
                        "WHERE hearing_id = $1 AND id = $2 AND withdrawn_at IS NULL RETURNING ", evidence_columns!()
                    ))
                    .bind(hearing_id.0)
                    .bind(id)
                    .bind(at)
                    .bind(reason)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or(StoreError::Conflict(Conflict::StateChanged))?;
                    let evidence = evidence_from(&row)?;
                    append_audit_in(&mut tx, audit).await?;
                    tx.commit().await?;
                    Ok(evidence)
                }

                async fn decide_admission(
                    &self,
                    hearing_id: HearingId,
                    id: Uuid,
                    admission: Admission,
                    reason: Option<&str>,
                    audit: NewAuditEvent,
                ) -> Result<Evidence> {
                    let mut tx = self.writer.begin().await?;
                    let row = sqlx::query(concat!(
                        "UPDATE evidence SET admission = $3, admission_reason = $4 ",
                        "WHERE hearing_id = $1 AND id = $2 RETURNING ", evidence_columns!()
                    ))
                    .bind(hearing_id.0)
                    .bind(id)
                    .bind(admission.as_str())
                    .bind(reason)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or(StoreError::NotFound("evidence"))?;
                    let evidence = evidence_from(&row)?;
                    append_audit_in(&mut tx, audit).await?;
                    tx.commit().await?;
                    Ok(evidence)
                }

                async fn add_opinion(&self, o: &Opinion, audit: NewAuditEvent) -> Result<()> {
                    let mut tx = self.writer.begin().await?;
                    sqlx::query(
                        "INSERT INTO evidence_opinions (id, evidence_id, hearing_id, participant_id, authenticity, \
                         legality, relevance, text, given_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    )
                    .bind(o.id)
                    .bind(o.evidence_id)
                    .bind(o.hearing_id.0)
                    .bind(o.participant_id.0)
                    .bind(o.authenticity.as_str())
                    .bind(o.legality.as_str())
                    .bind(o.relevance.as_str())
                    .bind(&o.text)
                    .bind(o.given_at)
                    .execute(&mut *tx)
                    .await?;
                    append_audit_in(&mut tx, audit).await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn opinions(&self, hearing_id: HearingId) -> Result<Vec<Opinion>> {
                    let rows = sqlx::query(
                        "SELECT id, evidence_id, hearing_id, participant_id, authenticity, legality, relevance, text, \
                         given_at FROM evidence_opinions WHERE hearing_id = $1 ORDER BY given_at, id",
                    )
                    .bind(hearing_id.0)
                    .fetch_all(&self.reader)
                    .await?;
                    rows.iter().map(opinion_from).collect()
                }
            }
        }
    };
}

// Column lists, as macros so that `concat!` keeps every query a static string.
macro_rules! upload_columns {
    () => {
        "id, hearing_id, uploader_kind, uploader_id, file_name, size, title, purpose, created_at"
    };
}
macro_rules! evidence_columns {
    () => {
        "id, hearing_id, number, title, purpose, file_name, media_type, kind, size, sha256, blob_key, \
         submitter_kind, submitter_id, submitter_name, submitter_role, submitted_at, withdrawn_at, \
         withdraw_reason, admission, admission_reason"
    };
}

pub(crate) use {evidence_columns, evidence_sql, upload_columns};
