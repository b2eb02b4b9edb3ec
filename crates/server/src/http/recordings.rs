//! The hearing's recording for the court's staff: its segments (one per run of the
//! recorder: a restart mid-hearing begins a new one) with their files, SHA-256 and gap
//! register, and each file for download (audited). Only files a segment's manifest lists
//! are served; names from the request never reach the file system otherwise.

use super::Staff;
use super::error::{ApiError, ApiPath, ApiResult};
use super::hearings::visible_hearing;
use crate::app::AppState;
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use court::{Action, HearingId, NewAuditEvent};
use media::recording::{Gap, Manifest, read_gaps};
use serde::Serialize;
use serde_json::json;
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
    /// The manifest as written (state, tracks with their RTP-to-wall-clock mapping,
    /// outputs, files with SHA-256).
    #[schema(value_type = Object)]
    pub manifest: Manifest,
    /// The gap register: recess, disconnections, losses, interruptions.
    #[schema(value_type = Vec<Object>)]
    pub gaps: Vec<Gap>,
    /// Where each file of the segment downloads from (the manifest first).
    pub files: Vec<FileLink>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FileLink {
    pub file: String,
    pub url: String,
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
    let dir = state.recordings.hearing_dir(hearing.id);
    let segments = tokio::task::spawn_blocking(move || segments(&dir))
        .await
        .map_err(ApiError::internal)?;
    let list = segments
        .into_iter()
        .map(|(segment, manifest, gaps)| {
            let url = |file: &str| {
                format!(
                    "/api/v1/hearings/{}/recordings/{segment}/{file}",
                    hearing.id
                )
            };
            let mut files = vec![FileLink {
                file: media::recording::MANIFEST_FILE.to_owned(),
                url: url(media::recording::MANIFEST_FILE),
            }];
            files.extend(listed(&manifest).into_iter().map(|file| FileLink {
                url: url(&file),
                file,
            }));
            Segment {
                segment,
                manifest,
                gaps,
                files,
            }
        })
        .collect();
    Ok(Json(list))
}

/// Downloads one file of a segment.
#[utoipa::path(get, path = "/api/v1/hearings/{id}/recordings/{segment}/{file}", tag = "recordings",
    params(("id" = uuid::Uuid, Path), ("segment" = u32, Path), ("file" = String, Path)),
    responses((status = 200, description = "The file"),
        (status = 401, body = super::error::Problem), (status = 403, body = super::error::Problem),
        (status = 404, body = super::error::Problem)))]
async fn download_file(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath((id, segment, file)): ApiPath<(HearingId, u32, String)>,
) -> ApiResult<Response> {
    let hearing = visible_hearing(&state, &staff, id).await?;
    staff.require(Action::ViewHearing)?;
    let dir = state
        .recordings
        .hearing_dir(hearing.id)
        .join(segment.to_string());
    let manifest = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || Manifest::load(&dir))
            .await
            .map_err(ApiError::internal)?
            .map_err(|_| not_found())?
    };
    // Only a name the manifest lists: never a path from the request.
    let known = file == media::recording::MANIFEST_FILE || listed(&manifest).contains(&file);
    if !known {
        return Err(not_found());
    }
    let path = dir.join(&file);
    let opened = tokio::fs::File::open(&path)
        .await
        .map_err(|_| not_found())?;
    let size = opened.metadata().await.map_err(ApiError::internal)?.len();
    let audit = NewAuditEvent::new(
        staff.actor(),
        "recording.download",
        json!({"segment": segment, "file": file, "bytes": size}),
    )
    .court(hearing.court_id)
    .hearing(hearing.id);
    state.store.append_audit(audit).await?;
    let mut response = Response::new(Body::from_stream(tokio_util::io::ReaderStream::new(opened)));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(&file)),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// The files of a segment: every one hashed at the end, or while it is still being
/// written, its tracks and the gap register.
fn listed(manifest: &Manifest) -> Vec<String> {
    if !manifest.files.is_empty() {
        return manifest.files.iter().map(|f| f.file.clone()).collect();
    }
    let mut files: Vec<String> = manifest.tracks.iter().map(|t| t.file.clone()).collect();
    files.push(manifest.gaps_file.clone());
    files
}

/// Each segment's manifest and gaps, by number.
fn segments(dir: &std::path::Path) -> Vec<(u32, Manifest, Vec<Gap>)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<(u32, Manifest, Vec<Gap>)> = entries
        .flatten()
        .filter_map(|entry| {
            let number = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let manifest = Manifest::load(&entry.path()).ok()?;
            let gaps = read_gaps(&entry.path()).unwrap_or_default();
            Some((number, manifest, gaps))
        })
        .collect();
    found.sort_by_key(|(number, _, _)| *number);
    found
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
