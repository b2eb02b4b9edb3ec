//! Persistence of the hearing's recording (庭审录像): its segments, numbered per hearing in
//! the database so that several nodes never write the same one, and the files of each
//! finished or recovered segment, kept in the blob store with their SHA-256. The SQL is
//! written once and expanded in each backend's module.

use crate::Result;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use court::{HearingId, NewAuditEvent};
use uuid::Uuid;

/// Where a segment is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SegmentState {
    /// Being written on its node's disk (or its node stopped and has not recovered it yet).
    Recording,
    /// Finished normally; its files are in the blob store.
    Finished,
    /// Closed after its node stopped mid-recording; its files are in the blob store.
    Recovered,
    /// Finishing or storing it failed: its files wait on its node's disk, which tries
    /// again at its next start (see the segment's `error`).
    Failed,
}

impl SegmentState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Recording => "recording",
            Self::Finished => "finished",
            Self::Recovered => "recovered",
            Self::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "recording" => Self::Recording,
            "finished" => Self::Finished,
            "recovered" => Self::Recovered,
            "failed" => Self::Failed,
            _ => return None,
        })
    }

    /// Whether the segment's files are in the blob store (nothing more will change).
    pub fn is_stored(self) -> bool {
        matches!(self, Self::Finished | Self::Recovered)
    }
}

/// One run of a recorder on one node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingSegment {
    pub hearing_id: HearingId,
    /// 1, 2, … per hearing.
    pub segment: i32,
    /// The node that records (or recorded) it: its files are on that node's disk until
    /// they are stored.
    pub node: String,
    pub state: SegmentState,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Why finishing or storing failed (state `failed`).
    pub error: Option<String>,
    /// The segment's `manifest.json` as stored (once finished or recovered).
    pub manifest: Option<String>,
    /// The segment's gap register as a JSON array (once finished or recovered).
    pub gaps: Option<String>,
}

/// A file of a stored segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingFile {
    /// The file's own id (the server remembers by it which blobs it verified).
    pub id: Uuid,
    pub hearing_id: HearingId,
    pub segment: i32,
    /// The file's place in the segment's list (the manifest first).
    pub position: i32,
    /// Its name in the segment (`manifest.json`, `{participant}-audio-1.ogg`, …).
    pub file: String,
    /// As the manifest says: `audio`, `video`, `participant_webm`, `composed`, `gaps`,
    /// `manifest`.
    pub kind: String,
    pub participant_id: Option<String>,
    pub size: i64,
    /// Lowercase hex.
    pub sha256: String,
    pub blob_key: String,
    pub stored_at: DateTime<Utc>,
}

/// What a finished or recovered segment records beside its files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentOutcome {
    /// [`SegmentState::Finished`] or [`SegmentState::Recovered`].
    pub state: SegmentState,
    pub finished_at: DateTime<Utc>,
    pub manifest: String,
    pub gaps: String,
}

#[async_trait]
pub trait RecordingStore: Send + Sync {
    /// Gives `node` the hearing's next segment number (state `recording`).
    async fn begin_segment(
        &self,
        hearing_id: HearingId,
        node: &str,
        started_at: DateTime<Utc>,
    ) -> Result<RecordingSegment>;
    /// Registers a segment found on `node`'s disk under the number it has there (an
    /// earlier version numbered segments from the disk), unless the number is taken;
    /// returns the segment as stored, which may be another node's: the caller checks.
    async fn adopt_segment(
        &self,
        hearing_id: HearingId,
        segment: i32,
        node: &str,
        started_at: DateTime<Utc>,
    ) -> Result<RecordingSegment>;
    async fn recording_segment(
        &self,
        hearing_id: HearingId,
        segment: i32,
    ) -> Result<Option<RecordingSegment>>;
    /// A hearing's segments by number.
    async fn recording_segments(&self, hearing_id: HearingId) -> Result<Vec<RecordingSegment>>;
    /// The stored files of a hearing's segments, by segment and position.
    async fn recording_files(&self, hearing_id: HearingId) -> Result<Vec<RecordingFile>>;
    async fn recording_file(
        &self,
        hearing_id: HearingId,
        segment: i32,
        file: &str,
    ) -> Result<Option<RecordingFile>>;
    /// Marks a segment not yet stored `failed` with why, and appends `audit`.
    /// [`crate::Conflict::StateChanged`] if it is stored already.
    async fn fail_segment(
        &self,
        hearing_id: HearingId,
        segment: i32,
        error: &str,
        audit: NewAuditEvent,
    ) -> Result<()>;
    /// Records a segment's files, stored in the blob store, and its end, with `audits`,
    /// in one transaction. [`crate::Conflict::StateChanged`] if it is stored already.
    async fn store_segment(
        &self,
        hearing_id: HearingId,
        segment: i32,
        outcome: &SegmentOutcome,
        files: &[RecordingFile],
        audits: Vec<NewAuditEvent>,
    ) -> Result<()>;
}

/// The SQL of [`RecordingStore`], expanded inside a backend module of `sql.rs`.
macro_rules! recordings_sql {
    ($store:ident) => {
        mod recordings_impl {
            use super::*;
            use $crate::Conflict;
            use $crate::recordings::{
                RecordingFile, RecordingSegment, RecordingStore, SegmentOutcome, SegmentState,
                recording_file_columns, recording_segment_columns,
            };

            /// How often a segment number taken by a racing node is tried again.
            const NUMBER_TRIES: usize = 8;

            fn segment_from(row: &DbRow) -> Result<RecordingSegment> {
                let state: String = row.try_get("state")?;
                Ok(RecordingSegment {
                    hearing_id: HearingId(row.try_get("hearing_id")?),
                    segment: row.try_get("segment")?,
                    node: row.try_get("node")?,
                    state: SegmentState::parse(&state).ok_or_else(|| StoreError::Corrupt {
                        what: "recording segment state",
                        detail: state.clone(),
                    })?,
                    started_at: row.try_get("started_at")?,
                    finished_at: row.try_get("finished_at")?,
                    error: row.try_get("error")?,
                    manifest: row.try_get("manifest")?,
                    gaps: row.try_get("gaps")?,
                })
            }

            fn file_from(row: &DbRow) -> Result<RecordingFile> {
                Ok(RecordingFile {
                    id: row.try_get("id")?,
                    hearing_id: HearingId(row.try_get("hearing_id")?),
                    segment: row.try_get("segment")?,
                    position: row.try_get("position")?,
                    file: row.try_get("file")?,
                    kind: row.try_get("kind")?,
                    participant_id: row.try_get("participant_id")?,
                    size: row.try_get("size")?,
                    sha256: row.try_get("sha256")?,
                    blob_key: row.try_get("blob_key")?,
                    stored_at: row.try_get("stored_at")?,
                })
            }

            #[async_trait]
            impl RecordingStore for $store {
                async fn begin_segment(
                    &self,
                    hearing_id: HearingId,
                    node: &str,
                    started_at: DateTime<Utc>,
                ) -> Result<RecordingSegment> {
                    let started_at = court::to_storage_precision(started_at);
                    let mut tries = 0;
                    loop {
                        // One statement: on PostgreSQL two nodes may still read the same
                        // maximum, and the loser's insert meets the primary key.
                        let inserted = sqlx::query(concat!(
                            "INSERT INTO recording_segments (hearing_id, segment, node, state, started_at) ",
                            "SELECT $1, COALESCE(MAX(segment), 0) + 1, $2, 'recording', $3 ",
                            "FROM recording_segments WHERE hearing_id = $1 RETURNING ",
                            recording_segment_columns!()
                        ))
                        .bind(hearing_id.0)
                        .bind(node)
                        .bind(started_at)
                        .fetch_one(&self.writer)
                        .await;
                        match inserted {
                            Ok(row) => return segment_from(&row),
                            Err(sqlx::Error::Database(db))
                                if db.is_unique_violation() && tries < NUMBER_TRIES =>
                            {
                                tries += 1;
                            }
                            Err(err) => return Err(err.into()),
                        }
                    }
                }

                async fn adopt_segment(
                    &self,
                    hearing_id: HearingId,
                    segment: i32,
                    node: &str,
                    started_at: DateTime<Utc>,
                ) -> Result<RecordingSegment> {
                    sqlx::query(
                        "INSERT INTO recording_segments (hearing_id, segment, node, state, started_at) \
                         VALUES ($1, $2, $3, 'recording', $4) ON CONFLICT (hearing_id, segment) DO NOTHING",
                    )
                    .bind(hearing_id.0)
                    .bind(segment)
                    .bind(node)
                    .bind(court::to_storage_precision(started_at))
                    .execute(&self.writer)
                    .await?;
                    let row = sqlx::query(concat!(
                        "SELECT ", recording_segment_columns!(),
                        " FROM recording_segments WHERE hearing_id = $1 AND segment = $2"
                    ))
                    .bind(hearing_id.0)
                    .bind(segment)
                    .fetch_one(&self.writer)
                    .await?;
                    segment_from(&row)
                }

                async fn recording_segment(
                    &self,
                    hearing_id: HearingId,
                    segment: i32,
                ) -> Result<Option<RecordingSegment>> {
                    let row = sqlx::query(concat!(
                        "SELECT ", recording_segment_columns!(),
                        " FROM recording_segments WHERE hearing_id = $1 AND segment = $2"
                    ))
                    .bind(hearing_id.0)
                    .bind(segment)
                    .fetch_optional(&self.reader)
                    .await?;
                    row.map(|row| segment_from(&row)).transpose()
                }

                async fn recording_segments(&self, hearing_id: HearingId) -> Result<Vec<RecordingSegment>> {
                    let rows = sqlx::query(concat!(
                        "SELECT ", recording_segment_columns!(),
                        " FROM recording_segments WHERE hearing_id = $1 ORDER BY segment"
                    ))
                    .bind(hearing_id.0)
                    .fetch_all(&self.reader)
                    .await?;
                    rows.iter().map(segment_from).collect()
                }

                async fn recording_files(&self, hearing_id: HearingId) -> Result<Vec<RecordingFile>> {
                    let rows = sqlx::query(concat!(
                        "SELECT ", recording_file_columns!(),
                        " FROM recording_files WHERE hearing_id = $1 ORDER BY segment, position"
                    ))
                    .bind(hearing_id.0)
                    .fetch_all(&self.reader)
                    .await?;
                    rows.iter().map(file_from).collect()
                }

                async fn recording_file(
                    &self,
                    hearing_id: HearingId,
                    segment: i32,
                    file: &str,
                ) -> Result<Option<RecordingFile>> {
                    let row = sqlx::query(concat!(
                        "SELECT ", recording_file_columns!(),
                        " FROM recording_files WHERE hearing_id = $1 AND segment = $2 AND file = $3"
                    ))
                    .bind(hearing_id.0)
                    .bind(segment)
                    .bind(file)
                    .fetch_optional(&self.reader)
                    .await?;
                    row.map(|row| file_from(&row)).transpose()
                }

                async fn fail_segment(
                    &self,
                    hearing_id: HearingId,
                    segment: i32,
                    error: &str,
                    audit: NewAuditEvent,
                ) -> Result<()> {
                    let mut tx = self.writer.begin().await?;
                    let changed = sqlx::query(
                        "UPDATE recording_segments SET state = 'failed', error = $3 \
                         WHERE hearing_id = $1 AND segment = $2 AND state IN ('recording', 'failed')",
                    )
                    .bind(hearing_id.0)
                    .bind(segment)
                    .bind(error)
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

                async fn store_segment(
                    &self,
                    hearing_id: HearingId,
                    segment: i32,
                    outcome: &SegmentOutcome,
                    files: &[RecordingFile],
                    audits: Vec<NewAuditEvent>,
                ) -> Result<()> {
                    let mut tx = self.writer.begin().await?;
                    // Only once: a segment stored already keeps its files.
                    let changed = sqlx::query(
                        "UPDATE recording_segments SET state = $3, finished_at = $4, manifest = $5, gaps = $6, \
                         error = NULL WHERE hearing_id = $1 AND segment = $2 AND state IN ('recording', 'failed')",
                    )
                    .bind(hearing_id.0)
                    .bind(segment)
                    .bind(outcome.state.as_str())
                    .bind(court::to_storage_precision(outcome.finished_at))
                    .bind(&outcome.manifest)
                    .bind(&outcome.gaps)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if changed != 1 {
                        return Err(StoreError::Conflict(Conflict::StateChanged));
                    }
                    for f in files {
                        sqlx::query(concat!(
                            "INSERT INTO recording_files (", recording_file_columns!(), ") ",
                            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
                        ))
                        .bind(f.id)
                        .bind(hearing_id.0)
                        .bind(segment)
                        .bind(f.position)
                        .bind(&f.file)
                        .bind(&f.kind)
                        .bind(&f.participant_id)
                        .bind(f.size)
                        .bind(&f.sha256)
                        .bind(&f.blob_key)
                        .bind(court::to_storage_precision(f.stored_at))
                        .execute(&mut *tx)
                        .await?;
                    }
                    for audit in audits {
                        append_audit_in(&mut tx, audit).await?;
                    }
                    tx.commit().await?;
                    Ok(())
                }
            }
        }
    };
}

// Column lists, as macros so that `concat!` keeps every query a static string.
macro_rules! recording_segment_columns {
    () => {
        "hearing_id, segment, node, state, started_at, finished_at, error, manifest, gaps"
    };
}
macro_rules! recording_file_columns {
    () => {
        "id, hearing_id, segment, position, file, kind, participant_id, size, sha256, blob_key, stored_at"
    };
}

pub(crate) use {recording_file_columns, recording_segment_columns, recordings_sql};
