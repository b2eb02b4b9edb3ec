//! The hearing's recording for the court's staff, on any node: its segments (one per run
//! of a recorder: a restart or another node taking the hearing over begins a new one)
//! from the database, with their state, manifest, gap register and files, and each file
//! for download from the blob store (`Range` supported, audited). A file is checked
//! against its recorded SHA-256 before it is served (once per version of its blob): one
//! altered at rest is refused and the refusal audited. Only names the database lists are
//! served; a name from the request is never a path.

use super::Staff;
use super::error::{ApiError, ApiPath, ApiResult};
use super::hearings::visible_hearing;
use crate::app::AppState;
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use court::{Action, AuditActor, HearingId, NewAuditEvent};
use futures_util::TryStreamExt;
use serde::Serialize;
use serde_json::json;
use store::RecordingFile;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_recordings))
        .routes(routes!(download_file))
}

/// One run of the recorder.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Segment {
    pub segment: u32,
    /// `recording` (being written on its node, no files yet), `finished`, `recovered`
    /// (closed after its node stopped), or `failed` (its files wait on its node's disk
    /// and are stored at that node's next start; see `error`).
    pub state: String,
    /// The node that records (or recorded) it.
    pub node: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
    /// The manifest as written (state, tracks with their RTP-to-wall-clock mapping,
    /// outputs, files with SHA-256); `null` until the segment is stored.
    #[schema(value_type = Option<Object>)]
    pub manifest: Option<serde_json::Value>,
    /// The gap register: recess, disconnections, losses, interruptions.
    #[schema(value_type = Vec<Object>)]
    pub gaps: Vec<serde_json::Value>,
    /// Each stored file of the segment and where it downloads from (the manifest first).
    pub files: Vec<FileLink>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FileLink {
    pub file: String,
    pub url: String,
    /// `audio`, `video`, `participant_webm`, `composed`, `gaps` or `manifest`.
    pub kind: String,
    pub participant_id: Option<String>,
    /// Lowercase hex.
    pub sha256: String,
    pub bytes: i64,
}

/// The hearing's recordings, oldest segment first.
#[utoipa::path(get, path = "/api/v1/hearings/{id}/recordings", tag = "recordings",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = Vec<Segment>),
        (status = 401, body = super::error::Problem), (status = 403, body = super::error::Problem),
        (status = 404, body = super::error::Problem)))]
async fn list_recordings(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<HearingId>,
) -> ApiResult<Json<Vec<Segment>>> {
    let hearing = visible_hearing(&state, &staff, id).await?;
    staff.require(Action::ViewHearing)?;
    let segments = state.store.recording_segments(hearing.id).await?;
    let mut files = state.store.recording_files(hearing.id).await?;
    let mut list = Vec::with_capacity(segments.len());
    for row in segments {
        let segment = u32::try_from(row.segment).map_err(ApiError::internal)?;
        let manifest = row
            .manifest
            .as_deref()
            .map(serde_json::from_str::<serde_json::Value>)
            .transpose()
            .map_err(|err| ApiError::internal(format!("segment {segment}'s manifest: {err}")))?;
        let gaps = row
            .gaps
            .as_deref()
            .map(serde_json::from_str::<Vec<serde_json::Value>>)
            .transpose()
            .map_err(|err| ApiError::internal(format!("segment {segment}'s gaps: {err}")))?
            .unwrap_or_default();
        let (mine, rest): (Vec<RecordingFile>, Vec<RecordingFile>) =
            files.into_iter().partition(|f| f.segment == row.segment);
        files = rest;
        let links = mine
            .into_iter()
            .map(|f| FileLink {
                url: format!(
                    "/api/v1/hearings/{}/recordings/{segment}/{}",
                    hearing.id, f.file
                ),
                file: f.file,
                kind: f.kind,
                participant_id: f.participant_id,
                sha256: f.sha256,
                bytes: f.size,
            })
            .collect();
        list.push(Segment {
            segment,
            state: row.state.as_str().to_owned(),
            node: row.node,
            started_at: row.started_at,
            finished_at: row.finished_at,
            error: row.error,
            manifest,
            gaps,
            files: links,
        });
    }
    Ok(Json(list))
}

/// Downloads one file of a stored segment (`Range` for a part of it).
#[utoipa::path(get, path = "/api/v1/hearings/{id}/recordings/{segment}/{file}", tag = "recordings",
    params(("id" = uuid::Uuid, Path), ("segment" = u32, Path), ("file" = String, Path)),
    responses((status = 200, description = "The file"),
        (status = 206, description = "A range of it"),
        (status = 401, body = super::error::Problem), (status = 403, body = super::error::Problem),
        (status = 404, body = super::error::Problem),
        (status = 416, description = "Not a satisfiable range"),
        (status = 500, body = super::error::Problem, description = "`recording_corrupt`: the stored bytes no longer match their SHA-256")))]
async fn download_file(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath((id, segment, file)): ApiPath<(HearingId, u32, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let hearing = visible_hearing(&state, &staff, id).await?;
    staff.require(Action::ViewHearing)?;
    let number = i32::try_from(segment).map_err(|_| not_found())?;
    // Only a name the database lists: never a path from the request.
    let item = state
        .store
        .recording_file(hearing.id, number, &file)
        .await?
        .ok_or_else(not_found)?;
    verified(&state, &item).await?;
    let size = u64::try_from(item.size).map_err(ApiError::internal)?;
    let range = match super::evidence::byte_range(&headers, size) {
        Ok(range) => range,
        Err(()) => {
            return Ok((
                StatusCode::RANGE_NOT_SATISFIABLE,
                [(header::CONTENT_RANGE, format!("bytes */{size}"))],
            )
                .into_response());
        }
    };
    let audit = NewAuditEvent::new(
        staff.actor(),
        "recording.download",
        json!({"segment": segment, "file": item.file, "bytes": size, "sha256": item.sha256,
            "range": range.as_ref().map(|r| format!("{}-{}", r.start, r.end - 1))}),
    )
    .court(hearing.court_id)
    .hearing(hearing.id);
    state.store.append_audit(audit).await?;
    let stream = state
        .blobs
        .get(&item.blob_key, range.clone())
        .await
        .map_err(|err| ApiError::internal(format!("reading {}: {err}", item.blob_key)))?
        .map_err(std::io::Error::other);
    let mut response = Response::new(Body::from_stream(stream));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(&item.file)),
    );
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Ok(value) = HeaderValue::from_str(&format!("\"{}\"", item.sha256)) {
        headers.insert(header::ETAG, value);
    }
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", item.file)) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    match range {
        Some(range) => {
            *response.status_mut() = StatusCode::PARTIAL_CONTENT;
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_LENGTH,
                HeaderValue::from(range.end - range.start),
            );
            let value = format!("bytes {}-{}/{size}", range.start, range.end - 1);
            headers.insert(
                header::CONTENT_RANGE,
                HeaderValue::from_str(&value).map_err(ApiError::internal)?,
            );
        }
        None => {
            response
                .headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(size));
        }
    }
    Ok(response)
}

/// Checks a file's stored bytes against the SHA-256 recorded when it was stored, as the
/// evidence download does: a file altered at rest is never served, and the refusal is
/// audited.
async fn verified(state: &AppState, item: &RecordingFile) -> ApiResult<()> {
    let check =
        super::evidence::check_blob(state, item.id, &item.blob_key, &item.sha256, item.size)
            .await?;
    if let super::evidence::BlobCheck::Altered { sha256, size } = check {
        let audit = NewAuditEvent::new(
            AuditActor::System,
            "recording.corrupt",
            json!({"segment": item.segment, "file": item.file, "blob_key": item.blob_key,
                "expected": item.sha256, "found": sha256, "bytes": item.size, "size": size}),
        )
        .hearing(item.hearing_id);
        state.store.append_audit(audit).await?;
        tracing::error!(hearing = %item.hearing_id, segment = item.segment, key = %item.blob_key,
            "a recording file no longer matches its SHA-256");
        return Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "recording_corrupt",
            "该录像文件已损坏或被篡改（校验值不符），已记录，请联系法院",
            "This recording file no longer matches its SHA-256; the court has been notified",
        ));
    }
    Ok(())
}

fn content_type(file: &str) -> &'static str {
    match file.rsplit_once('.').map(|(_, ext)| ext) {
        Some("ogg") => "audio/ogg",
        Some("ivf") => "video/x-ivf",
        Some("webm") => "video/webm",
        Some("json") => "application/json",
        Some("jsonl") => "application/x-ndjson",
        _ => "application/octet-stream",
    }
}

fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "录像文件不存在",
        "No such recording file",
    )
}
