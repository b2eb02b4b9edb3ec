//! Persistence of the transcript (庭审笔录): versions (append-only, a head row per
//! hearing makes saves and signatures race-free), the confirmation, signatures and
//! correction requests. The SQL is written once and expanded in each backend's module.

use crate::Result;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use court::transcript::{Correction, Signature, Version, VersionInfo};
use court::{HearingId, NewAuditEvent, UserId};
use uuid::Uuid;

/// A hearing's transcript at a glance: its latest version and its confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranscriptHead {
    pub latest_version: i32,
    pub confirmation_opened_at: Option<DateTime<Utc>>,
    pub confirmation_opened_by: Option<UserId>,
}

#[async_trait]
pub trait TranscriptStore: Send + Sync {
    /// `None` until the first version is saved.
    async fn transcript_head(&self, hearing_id: HearingId) -> Result<Option<TranscriptHead>>;
    async fn transcript_version(
        &self,
        hearing_id: HearingId,
        number: i32,
    ) -> Result<Option<Version>>;
    /// The version a save with this client id made, if any.
    async fn transcript_version_by_save_id(
        &self,
        hearing_id: HearingId,
        save_id: Uuid,
    ) -> Result<Option<VersionInfo>>;
    /// Every version, newest first.
    async fn transcript_versions(&self, hearing_id: HearingId) -> Result<Vec<VersionInfo>>;
    /// Keeps `version`, made from version `base`; [`crate::Conflict::TranscriptChanged`]
    /// when `base` is no longer the latest (another save came first).
    async fn save_transcript(
        &self,
        version: &Version,
        base: i32,
        audit: NewAuditEvent,
    ) -> Result<()>;
    /// Opens the transcript for confirmation (once; later calls keep the first time and
    /// write nothing). Returns when it was opened and whether this call opened it.
    async fn open_confirmation(
        &self,
        hearing_id: HearingId,
        by: UserId,
        at: DateTime<Utc>,
        audit: NewAuditEvent,
    ) -> Result<(DateTime<Utc>, bool)>;
    /// Keeps a signature and its PNG; refused with
    /// [`crate::Conflict::ConfirmationClosed`] before the confirmation is opened and
    /// [`crate::Conflict::TranscriptChanged`] unless it signs the latest version.
    async fn add_signature(
        &self,
        signature: &Signature,
        image: &[u8],
        audit: NewAuditEvent,
    ) -> Result<()>;
    /// A hearing's signatures, oldest first.
    async fn signatures(&self, hearing_id: HearingId) -> Result<Vec<Signature>>;
    async fn signature_image(&self, hearing_id: HearingId, id: Uuid) -> Result<Option<Vec<u8>>>;
    /// Keeps a correction request; refused with [`crate::Conflict::ConfirmationClosed`]
    /// before the confirmation is opened.
    async fn add_correction(&self, correction: &Correction, audit: NewAuditEvent) -> Result<()>;
    /// A hearing's correction requests, oldest first.
    async fn corrections(&self, hearing_id: HearingId) -> Result<Vec<Correction>>;
    async fn correction(&self, hearing_id: HearingId, id: Uuid) -> Result<Option<Correction>>;
    /// Records the clerk's answer; [`crate::Conflict::StateChanged`] when the request
    /// was answered meanwhile.
    async fn resolve_correction(&self, correction: &Correction, audit: NewAuditEvent)
    -> Result<()>;
}

/// The SQL of [`TranscriptStore`], expanded inside a backend module of `sql.rs` (where
/// `DbRow`, `append_audit_in` and `corrupt` are in scope).
macro_rules! transcript_sql {
    ($store:ident) => {
        mod transcript_impl {
            use super::*;
            use court::transcript::{
                Content, Correction, CorrectionStatus, Signature, StrokePoint, Version, VersionInfo,
            };
            use $crate::transcript::{
                correction_columns, signature_columns, version_columns, TranscriptHead,
                TranscriptStore,
            };
            use $crate::Conflict;

            fn version_info_from(row: &DbRow) -> Result<VersionInfo> {
                Ok(VersionInfo {
                    hearing_id: HearingId(row.try_get("hearing_id")?),
                    number: row.try_get("version")?,
                    sha256: row.try_get("sha256")?,
                    entry_count: row.try_get("entry_count")?,
                    save_id: row.try_get("save_id")?,
                    saved_by: UserId(row.try_get("saved_by")?),
                    saved_at: row.try_get("saved_at")?,
                })
            }

            fn signature_from(row: &DbRow) -> Result<Signature> {
                let strokes: String = row.try_get("strokes")?;
                let strokes: Vec<Vec<StrokePoint>> =
                    serde_json::from_str(&strokes).map_err(corrupt("signature strokes"))?;
                Ok(Signature {
                    id: row.try_get("id")?,
                    hearing_id: HearingId(row.try_get("hearing_id")?),
                    participant_id: ParticipantId(row.try_get("participant_id")?),
                    version: row.try_get("version")?,
                    sha256: row.try_get("sha256")?,
                    width: row.try_get("width")?,
                    height: row.try_get("height")?,
                    strokes,
                    image_sha256: row.try_get("image_sha256")?,
                    signed_at: row.try_get("signed_at")?,
                })
            }

            fn correction_from(row: &DbRow) -> Result<Correction> {
                let status: String = row.try_get("status")?;
                Ok(Correction {
                    id: row.try_get("id")?,
                    hearing_id: HearingId(row.try_get("hearing_id")?),
                    participant_id: ParticipantId(row.try_get("participant_id")?),
                    version: row.try_get("version")?,
                    text: row.try_get("text")?,
                    requested_at: row.try_get("requested_at")?,
                    status: CorrectionStatus::parse(&status).ok_or_else(|| StoreError::Corrupt {
                        what: "correction status",
                        detail: status.clone(),
                    })?,
                    reason: row.try_get("reason")?,
                    resolved_by: row.try_get::<Option<Uuid>, _>("resolved_by")?.map(UserId),
                    resolved_at: row.try_get("resolved_at")?,
                    resolved_version: row.try_get("resolved_version")?,
                })
            }

            /// Locks the head row (PostgreSQL: a row lock until commit; SQLite has one
            /// writer) and reads it.
            async fn lock_head(tx: &mut Tx<'_>, hearing_id: HearingId) -> Result<Option<TranscriptHead>> {
                let row = sqlx::query(
                    "UPDATE transcripts SET latest_version = latest_version WHERE hearing_id = $1 \
                     RETURNING latest_version, confirmation_opened_at, confirmation_opened_by",
                )
                .bind(hearing_id.0)
                .fetch_optional(&mut **tx)
                .await?;
                row.map(|row| head_from(&row)).transpose()
            }

            /// [`lock_head`], refused with [`Conflict::ConfirmationClosed`] unless the
            /// transcript is open for confirmation (signatures, correction requests).
            async fn lock_open_head(tx: &mut Tx<'_>, hearing_id: HearingId) -> Result<TranscriptHead> {
                lock_head(tx, hearing_id)
                    .await?
                    .filter(|head| head.confirmation_opened_at.is_some())
                    .ok_or(StoreError::Conflict(Conflict::ConfirmationClosed))
            }

            fn head_from(row: &DbRow) -> Result<TranscriptHead> {
                Ok(TranscriptHead {
                    latest_version: row.try_get("latest_version")?,
                    confirmation_opened_at: row.try_get("confirmation_opened_at")?,
                    confirmation_opened_by: row
                        .try_get::<Option<Uuid>, _>("confirmation_opened_by")?
                        .map(UserId),
                })
            }

            #[async_trait]
            impl TranscriptStore for $store {
                async fn transcript_head(&self, hearing_id: HearingId) -> Result<Option<TranscriptHead>> {
                    let row = sqlx::query(
                        "SELECT latest_version, confirmation_opened_at, confirmation_opened_by \
                         FROM transcripts WHERE hearing_id = $1",
                    )
                    .bind(hearing_id.0)
                    .fetch_optional(&self.reader)
                    .await?;
                    row.map(|row| head_from(&row)).transpose()
                }

                async fn transcript_version(&self, hearing_id: HearingId, number: i32) -> Result<Option<Version>> {
                    let row = sqlx::query(concat!(
                        "SELECT ", version_columns!(), ", content FROM transcript_versions WHERE hearing_id = $1 AND version = $2"
                    ))
                    .bind(hearing_id.0)
                    .bind(number)
                    .fetch_optional(&self.reader)
                    .await?;
                    let Some(row) = row else { return Ok(None) };
                    let content: String = row.try_get("content")?;
                    let content: Content =
                        serde_json::from_str(&content).map_err(corrupt("transcript content"))?;
                    Ok(Some(Version { info: version_info_from(&row)?, content }))
                }

                async fn transcript_version_by_save_id(
                    &self,
                    hearing_id: HearingId,
                    save_id: Uuid,
                ) -> Result<Option<VersionInfo>> {
                    let row = sqlx::query(concat!(
                        "SELECT ", version_columns!(), " FROM transcript_versions WHERE hearing_id = $1 AND save_id = $2"
                    ))
                    .bind(hearing_id.0)
                    .bind(save_id)
                    .fetch_optional(&self.reader)
                    .await?;
                    row.map(|row| version_info_from(&row)).transpose()
                }

                async fn transcript_versions(&self, hearing_id: HearingId) -> Result<Vec<VersionInfo>> {
                    let rows = sqlx::query(concat!(
                        "SELECT ", version_columns!(), " FROM transcript_versions WHERE hearing_id = $1 ORDER BY version DESC"
                    ))
                    .bind(hearing_id.0)
                    .fetch_all(&self.reader)
                    .await?;
                    rows.iter().map(version_info_from).collect()
                }

                async fn save_transcript(&self, version: &Version, base: i32, audit: NewAuditEvent) -> Result<()> {
                    let info = &version.info;
                    let mut tx = self.writer.begin().await?;
                    sqlx::query(
                        "INSERT INTO transcripts (hearing_id, latest_version) VALUES ($1, 0) \
                         ON CONFLICT (hearing_id) DO NOTHING",
                    )
                    .bind(info.hearing_id.0)
                    .execute(&mut *tx)
                    .await?;
                    let moved = sqlx::query(
                        "UPDATE transcripts SET latest_version = $2 WHERE hearing_id = $1 AND latest_version = $3",
                    )
                    .bind(info.hearing_id.0)
                    .bind(info.number)
                    .bind(base)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if moved != 1 {
                        return Err(StoreError::Conflict(Conflict::TranscriptChanged));
                    }
                    let content = serde_json::to_string(&version.content).map_err(corrupt("transcript content"))?;
                    sqlx::query(concat!(
                        "INSERT INTO transcript_versions (", version_columns!(), ", content) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                    ))
                    .bind(info.hearing_id.0)
                    .bind(info.number)
                    .bind(&info.sha256)
                    .bind(info.entry_count)
                    .bind(info.save_id)
                    .bind(info.saved_by.0)
                    .bind(info.saved_at)
                    .bind(content)
                    .execute(&mut *tx)
                    .await?;
                    append_audit_in(&mut tx, audit).await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn open_confirmation(
                    &self,
                    hearing_id: HearingId,
                    by: UserId,
                    at: DateTime<Utc>,
                    audit: NewAuditEvent,
                ) -> Result<(DateTime<Utc>, bool)> {
                    let mut tx = self.writer.begin().await?;
                    let head = lock_head(&mut tx, hearing_id).await?.ok_or(StoreError::NotFound("transcript"))?;
                    if let Some(opened) = head.confirmation_opened_at {
                        return Ok((opened, false));
                    }
                    sqlx::query(
                        "UPDATE transcripts SET confirmation_opened_at = $2, confirmation_opened_by = $3 \
                         WHERE hearing_id = $1",
                    )
                    .bind(hearing_id.0)
                    .bind(at)
                    .bind(by.0)
                    .execute(&mut *tx)
                    .await?;
                    append_audit_in(&mut tx, audit).await?;
                    tx.commit().await?;
                    Ok((at, true))
                }

                async fn add_signature(&self, s: &Signature, image: &[u8], audit: NewAuditEvent) -> Result<()> {
                    let mut tx = self.writer.begin().await?;
                    let head = lock_open_head(&mut tx, s.hearing_id).await?;
                    if head.latest_version != s.version {
                        return Err(StoreError::Conflict(Conflict::TranscriptChanged));
                    }
                    let strokes = serde_json::to_string(&s.strokes).map_err(corrupt("signature strokes"))?;
                    sqlx::query(concat!(
                        "INSERT INTO transcript_signatures (", signature_columns!(), ", image) ",
                        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
                    ))
                    .bind(s.id)
                    .bind(s.hearing_id.0)
                    .bind(s.participant_id.0)
                    .bind(s.version)
                    .bind(&s.sha256)
                    .bind(s.width)
                    .bind(s.height)
                    .bind(strokes)
                    .bind(&s.image_sha256)
                    .bind(s.signed_at)
                    .bind(image)
                    .execute(&mut *tx)
                    .await?;
                    append_audit_in(&mut tx, audit).await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn signatures(&self, hearing_id: HearingId) -> Result<Vec<Signature>> {
                    let rows = sqlx::query(concat!(
                        "SELECT ", signature_columns!(), " FROM transcript_signatures WHERE hearing_id = $1 \
                         ORDER BY signed_at, id"
                    ))
                    .bind(hearing_id.0)
                    .fetch_all(&self.reader)
                    .await?;
                    rows.iter().map(signature_from).collect()
                }

                async fn signature_image(&self, hearing_id: HearingId, id: Uuid) -> Result<Option<Vec<u8>>> {
                    let row = sqlx::query("SELECT image FROM transcript_signatures WHERE hearing_id = $1 AND id = $2")
                        .bind(hearing_id.0)
                        .bind(id)
                        .fetch_optional(&self.reader)
                        .await?;
                    Ok(row.map(|row| row.try_get("image")).transpose()?)
                }

                async fn add_correction(&self, c: &Correction, audit: NewAuditEvent) -> Result<()> {
                    let mut tx = self.writer.begin().await?;
                    lock_open_head(&mut tx, c.hearing_id).await?;
                    sqlx::query(concat!(
                        "INSERT INTO transcript_corrections (", correction_columns!(), ") ",
                        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
                    ))
                    .bind(c.id)
                    .bind(c.hearing_id.0)
                    .bind(c.participant_id.0)
                    .bind(c.version)
                    .bind(&c.text)
                    .bind(c.requested_at)
                    .bind(c.status.as_str())
                    .bind(&c.reason)
                    .bind(c.resolved_by.map(|id| id.0))
                    .bind(c.resolved_at)
                    .bind(c.resolved_version)
                    .execute(&mut *tx)
                    .await?;
                    append_audit_in(&mut tx, audit).await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn corrections(&self, hearing_id: HearingId) -> Result<Vec<Correction>> {
                    let rows = sqlx::query(concat!(
                        "SELECT ", correction_columns!(), " FROM transcript_corrections WHERE hearing_id = $1 \
                         ORDER BY requested_at, id"
                    ))
                    .bind(hearing_id.0)
                    .fetch_all(&self.reader)
                    .await?;
                    rows.iter().map(correction_from).collect()
                }

                async fn correction(&self, hearing_id: HearingId, id: Uuid) -> Result<Option<Correction>> {
                    let row = sqlx::query(concat!(
                        "SELECT ", correction_columns!(), " FROM transcript_corrections WHERE hearing_id = $1 AND id = $2"
                    ))
                    .bind(hearing_id.0)
                    .bind(id)
                    .fetch_optional(&self.reader)
                    .await?;
                    row.map(|row| correction_from(&row)).transpose()
                }

                async fn resolve_correction(&self, c: &Correction, audit: NewAuditEvent) -> Result<()> {
                    let mut tx = self.writer.begin().await?;
                    let changed = sqlx::query(
                        "UPDATE transcript_corrections SET status = $3, reason = $4, resolved_by = $5, \
                         resolved_at = $6, resolved_version = $7 \
                         WHERE hearing_id = $1 AND id = $2 AND status = 'pending'",
                    )
                    .bind(c.hearing_id.0)
                    .bind(c.id)
                    .bind(c.status.as_str())
                    .bind(&c.reason)
                    .bind(c.resolved_by.map(|id| id.0))
                    .bind(c.resolved_at)
                    .bind(c.resolved_version)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if changed != 1 {
                        return Err(StoreError::Conflict(Conflict::StateChanged));
                    }
                    append_audit_in(&mut tx, audit).await?;
                    tx.commit().await?;
                    Ok(())
                }
            }
        }
    };
}

// Column lists, as macros so that `concat!` keeps every query a static string.
macro_rules! version_columns {
    () => {
        "hearing_id, version, sha256, entry_count, save_id, saved_by, saved_at"
    };
}
macro_rules! signature_columns {
    () => {
        "id, hearing_id, participant_id, version, sha256, width, height, strokes, image_sha256, signed_at"
    };
}
macro_rules! correction_columns {
    () => {
        "id, hearing_id, participant_id, version, text, requested_at, status, reason, resolved_by, \
         resolved_at, resolved_version"
    };
}

pub(crate) use {correction_columns, signature_columns, transcript_sql, version_columns};
