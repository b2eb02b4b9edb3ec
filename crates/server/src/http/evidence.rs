//! The evidence API (证据): resumable uploads (our own tus-like protocol: create, then
//! `PATCH` chunks at `Upload-Offset`, resume from the server's offset after a drop),
//! the hearing's evidence list, content with ranges for previews (verified against its
//! SHA-256 before it is served), withdrawal, admission, opinions (质证意见),
//! presenting an item on every screen, and the staff's ZIP of it all.

use super::error::{ApiError, ApiJson, ApiPath, ApiResult};
use super::join::ParticipantSession;
use super::live::{Viewer, authorise};
use super::{Staff, hearings::visible_hearing};
use crate::app::AppState;
use crate::staging::AppendError;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use court::evidence::{self, Admission, Evidence, EvidenceKind, EvidenceStatus, Opinion, Stance};
use court::{
    Action, AuditActor, Hearing, HearingId, HearingState, NewAuditEvent, ParticipantId,
    ParticipantRole,
};
use futures_util::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use store::Upload;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

/// The largest chunk one `PATCH` may carry (clients send 4 MiB).
const MAX_CHUNK_BYTES: usize = 16 * 1024 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    let chunks = OpenApiRouter::new()
        .routes(routes!(upload_status, upload_chunk, cancel_upload))
        .layer(DefaultBodyLimit::max(MAX_CHUNK_BYTES));
    OpenApiRouter::new()
        .merge(chunks)
        .routes(routes!(create_upload))
        .routes(routes!(list))
        .routes(routes!(content))
        .routes(routes!(withdraw))
        .routes(routes!(admit))
        .routes(routes!(give_opinion))
        .routes(routes!(present, stop_presenting, presentation))
        .routes(routes!(zip))
}

/// Who acts on evidence: the court's staff or one of the hearing's participants.
enum Actor {
    Staff(Staff),
    Participant(ParticipantSession),
}

impl Actor {
    fn audit(&self) -> AuditActor {
        match self {
            Actor::Staff(staff) => staff.actor(),
            Actor::Participant(session) => session.actor(),
        }
    }

    fn require(&self, action: Action) -> ApiResult<()> {
        match self {
            Actor::Staff(staff) => staff.require(action),
            Actor::Participant(session) => session.require(action),
        }
    }

    /// (`staff` | `participant`, id)
    fn identity(&self) -> (&'static str, Uuid) {
        match self {
            Actor::Staff(staff) => ("staff", staff.user.id.0),
            Actor::Participant(session) => ("participant", session.participant.id.0),
        }
    }

    /// As a submitter: name and role in this hearing (staff by their bench seat).
    async fn submitter(
        &self,
        state: &AppState,
        hearing: HearingId,
    ) -> ApiResult<evidence::Submitter> {
        Ok(match self {
            Actor::Staff(staff) => {
                let seat = state
                    .store
                    .bench(hearing)
                    .await?
                    .into_iter()
                    .find(|seat| seat.user.id == staff.user.id);
                evidence::Submitter {
                    kind: "staff".into(),
                    id: staff.user.id.0,
                    name: staff.user.display_name.to_string(),
                    role: seat.map_or(
                        match staff.user.role {
                            court::StaffRole::Clerk => ParticipantRole::Clerk,
                            _ => ParticipantRole::Judge,
                        },
                        |seat| seat.role,
                    ),
                }
            }
            Actor::Participant(session) => evidence::Submitter {
                kind: "participant".into(),
                id: session.participant.id.0,
                name: session.participant.name.to_string(),
                role: session.participant.role,
            },
        })
    }
}

/// Whoever may see the hearing: its court's staff, or its own participant.
async fn actor_in(
    state: &AppState,
    parts: &mut Parts,
    id: HearingId,
) -> ApiResult<(Actor, Hearing)> {
    let (viewer, hearing) = authorise(state, parts, id).await?;
    let actor = match viewer {
        Viewer::Staff(staff) => Actor::Staff(staff),
        Viewer::Participant(session) => {
            session.require_inside()?;
            Actor::Participant(session)
        }
    };
    actor.require(Action::ViewEvidence)?;
    Ok((actor, hearing))
}

/// The requester behind an upload id (no hearing in the path): staff or participant.
async fn requester(state: &AppState, parts: &mut Parts) -> ApiResult<Actor> {
    if let Ok(staff) = Staff::from_request_parts(parts, state).await {
        return Ok(Actor::Staff(staff));
    }
    Ok(Actor::Participant(
        ParticipantSession::from_request_parts(parts, state).await?,
    ))
}

fn sealed(hearing: &Hearing) -> ApiResult<()> {
    if matches!(
        hearing.state,
        HearingState::Archived | HearingState::Cancelled
    ) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "hearing_sealed",
            format!("庭审{}，不能再提交或更改证据", hearing.state.label_zh()),
            format!(
                "The hearing is {}; its evidence can no longer change",
                hearing.state
            ),
        ));
    }
    Ok(())
}

fn evidence_not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "证据不存在",
        "No such evidence",
    )
}

fn upload_not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "上传不存在或已结束",
        "No such upload, or it has ended",
    )
}

fn staging_fault(err: impl std::fmt::Display) -> ApiError {
    ApiError::internal(format!("upload staging: {err}"))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewUpload {
    /// The file's name on the device (kept only as metadata, cleaned).
    pub file_name: String,
    /// Its size in bytes.
    pub size: u64,
    /// 证据名称.
    pub title: String,
    /// 证明目的.
    #[serde(default)]
    pub purpose: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UploadView {
    pub id: Uuid,
    pub hearing_id: HearingId,
    pub file_name: String,
    pub size: u64,
    /// Bytes received: send the next chunk from here.
    pub offset: u64,
    pub title: String,
    pub purpose: String,
    pub created_at: DateTime<Utc>,
    /// The finished item, once every byte arrived and the file was accepted.
    pub evidence: Option<EvidenceView>,
}

fn upload_view(upload: &Upload, offset: u64, evidence: Option<EvidenceView>) -> UploadView {
    UploadView {
        id: upload.id,
        hearing_id: upload.hearing_id,
        file_name: upload.file_name.clone(),
        size: u64::try_from(upload.size).unwrap_or_default(),
        offset,
        title: upload.title.clone(),
        purpose: upload.purpose.clone(),
        created_at: upload.created_at,
        evidence,
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OpinionView {
    pub id: Uuid,
    pub evidence_id: Uuid,
    pub participant_id: ParticipantId,
    pub name: String,
    pub role: ParticipantRole,
    pub authenticity: Stance,
    pub legality: Stance,
    pub relevance: Stance,
    pub text: String,
    pub given_at: DateTime<Utc>,
}

fn opinion_view(o: Opinion, who: Option<&court::Participant>) -> OpinionView {
    OpinionView {
        id: o.id,
        evidence_id: o.evidence_id,
        participant_id: o.participant_id,
        name: who.map(|p| p.name.to_string()).unwrap_or_default(),
        role: who.map_or(ParticipantRole::Plaintiff, |p| p.role),
        authenticity: o.authenticity,
        legality: o.legality,
        relevance: o.relevance,
        text: o.text,
        given_at: o.given_at,
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EvidenceView {
    pub id: Uuid,
    pub hearing_id: HearingId,
    /// 1, 2, 3 … (证据一, 证据二 …).
    pub number: i32,
    pub title: String,
    pub purpose: String,
    pub file_name: String,
    /// Sniffed from the content.
    pub media_type: String,
    pub kind: EvidenceKind,
    pub size: i64,
    pub sha256: String,
    pub submitted_by: evidence::Submitter,
    pub submitted_at: DateTime<Utc>,
    pub status: EvidenceStatus,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub withdraw_reason: Option<String>,
    pub admission: Admission,
    pub admission_reason: Option<String>,
    /// Each party's latest opinion.
    pub opinions: Vec<OpinionView>,
    /// Where the bytes are read (`Range` supported; `?download=1` for a download).
    pub content_url: String,
}

fn evidence_view(item: Evidence, opinions: Vec<OpinionView>) -> EvidenceView {
    let status = item.status();
    EvidenceView {
        content_url: format!(
            "/api/v1/hearings/{}/evidence/{}/content",
            item.hearing_id, item.id
        ),
        id: item.id,
        hearing_id: item.hearing_id,
        number: item.number,
        title: item.title,
        purpose: item.purpose,
        file_name: item.file_name,
        media_type: item.media_type,
        kind: item.kind,
        size: item.size,
        sha256: item.sha256,
        submitted_by: item.submitter,
        submitted_at: item.submitted_at,
        status,
        withdrawn_at: item.withdrawn_at,
        withdraw_reason: item.withdraw_reason,
        admission: item.admission,
        admission_reason: item.admission_reason,
        opinions,
    }
}

/// Every item of a hearing with each party's latest opinion on it.
async fn evidence_views(state: &AppState, hearing: HearingId) -> ApiResult<Vec<EvidenceView>> {
    let names: HashMap<ParticipantId, court::Participant> = state
        .store
        .participants(hearing)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    // Oldest first: a later opinion of the same party on the same item replaces it.
    let mut latest: HashMap<(Uuid, ParticipantId), Opinion> = HashMap::new();
    for opinion in state.store.opinions(hearing).await? {
        latest.insert((opinion.evidence_id, opinion.participant_id), opinion);
    }
    let mut by_item: HashMap<Uuid, Vec<OpinionView>> = HashMap::new();
    let mut opinions: Vec<Opinion> = latest.into_values().collect();
    opinions.sort_by_key(|o| o.given_at);
    for o in opinions {
        let who = names.get(&o.participant_id);
        by_item
            .entry(o.evidence_id)
            .or_default()
            .push(opinion_view(o, who));
    }
    Ok(state
        .store
        .evidence_list(hearing)
        .await?
        .into_iter()
        .map(|item| {
            let opinions = by_item.remove(&item.id).unwrap_or_default();
            evidence_view(item, opinions)
        })
        .collect())
}

async fn one_view(state: &AppState, hearing: HearingId, id: Uuid) -> ApiResult<EvidenceView> {
    evidence_views(state, hearing)
        .await?
        .into_iter()
        .find(|item| item.id == id)
        .ok_or_else(evidence_not_found)
}

fn publish(state: &AppState, hearing: HearingId, id: Uuid, changed: &str) {
    state.live.publish(
        hearing,
        json!({"type": "evidence", "evidence_id": id, "changed": changed}),
    );
}

/// Start an upload (上传证据 → 本地上传): declare the file, its title and purpose.
#[utoipa::path(post, path = "/api/v1/hearings/{id}/evidence/uploads", tag = "evidence", request_body = NewUpload,
    params(("id" = String, Path, description = "Hearing id")),
    responses(
        (status = 201, body = UploadView, description = "Send the bytes with PATCH /api/v1/evidence/uploads/{uid}"),
        (status = 403, body = super::error::Problem, description = "Not allowed to submit evidence, or another hearing"),
        (status = 409, body = super::error::Problem, description = "`hearing_sealed`, or `too_many_evidence`"),
        (status = 413, body = super::error::Problem, description = "`file_too_large`"),
        (status = 422, body = super::error::Problem),
    ))]
async fn create_upload(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<HearingId>,
    mut parts: Parts,
    ApiJson(body): ApiJson<NewUpload>,
) -> ApiResult<(StatusCode, ApiJson<UploadView>)> {
    let (actor, hearing) = actor_in(&state, &mut parts, id).await?;
    actor.require(Action::UploadEvidence)?;
    sealed(&hearing)?;
    let limits = &state.config.evidence;
    evidence::check_size(body.size, limits.max_bytes).map_err(|problem| match problem {
        evidence::SizeProblem::Empty => {
            ApiError::from(court::Invalid::new("size", "文件为空", "The file is empty"))
        }
        evidence::SizeProblem::TooLarge { limit } => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "file_too_large",
            format!("文件超过{}的上限", human_size(limit)),
            format!("The file is larger than the limit of {}", human_size(limit)),
        ),
    })?;
    let title = evidence::title(&body.title)?;
    let purpose = evidence::long_text(&body.purpose, "purpose")?;
    if state.store.evidence_count(id).await? >= limits.max_items {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "too_many_evidence",
            format!("本庭审的证据已达{}件的上限", limits.max_items),
            format!(
                "This hearing holds the most evidence allowed ({})",
                limits.max_items
            ),
        ));
    }
    let (kind, uploader) = actor.identity();
    let upload = Upload {
        id: Uuid::now_v7(),
        hearing_id: id,
        uploader_kind: kind.to_owned(),
        uploader_id: uploader,
        file_name: evidence::clean_file_name(&body.file_name),
        size: i64::try_from(body.size).unwrap_or(i64::MAX),
        title,
        purpose,
        created_at: court::to_storage_precision(Utc::now()),
    };
    state
        .staging
        .create(upload.id)
        .await
        .map_err(staging_fault)?;
    if let Err(err) = state.store.create_upload(&upload).await {
        state.staging.remove(upload.id).await;
        return Err(err.into());
    }
    // Several nodes: the upload's chunks are sent on to this one, wherever they arrive.
    if let Some(cluster) = &state.cluster {
        cluster
            .db()
            .set_upload_node(upload.id, cluster.node())
            .await?;
    }
    Ok((StatusCode::CREATED, ApiJson(upload_view(&upload, 0, None))))
}

fn human_size(bytes: u64) -> String {
    const GIB: u64 = 1 << 30;
    const MIB: u64 = 1 << 20;
    if bytes >= GIB && bytes.is_multiple_of(GIB) {
        format!("{} GiB", bytes / GIB)
    } else if bytes >= MIB {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{bytes} B")
    }
}

/// The upload, if it is the requester's own.
async fn own_upload(state: &AppState, actor: &Actor, uid: Uuid) -> ApiResult<Upload> {
    let upload = state
        .store
        .upload(uid)
        .await?
        .ok_or_else(upload_not_found)?;
    let (kind, id) = actor.identity();
    if upload.uploader_kind != kind || upload.uploader_id != id {
        return Err(upload_not_found());
    }
    if let Actor::Participant(session) = actor
        && session.hearing.id != upload.hearing_id
    {
        return Err(upload_not_found());
    }
    Ok(upload)
}

/// Where an upload stands: resume from `offset`.
#[utoipa::path(get, path = "/api/v1/evidence/uploads/{uid}", tag = "evidence",
    params(("uid" = String, Path, description = "Upload id")),
    responses((status = 200, body = UploadView), (status = 404, body = super::error::Problem)))]
async fn upload_status(
    State(state): State<AppState>,
    ApiPath(uid): ApiPath<Uuid>,
    mut parts: Parts,
) -> ApiResult<Response> {
    if let Some(node) = crate::cluster::staged_elsewhere(&state, uid, &parts.headers).await? {
        return forward_upload(&state, &node, &parts, Body::empty()).await;
    }
    let actor = requester(&state, &mut parts).await?;
    let upload = own_upload(&state, &actor, uid).await?;
    let offset = state
        .staging
        .offset(uid)
        .await
        .map_err(staging_fault)?
        .ok_or_else(upload_not_found)?;
    Ok(ApiJson(upload_view(&upload, offset, None)).into_response())
}

/// Cluster mode: the request goes to the node the upload is staged on.
async fn forward_upload(
    state: &AppState,
    node_url: &str,
    parts: &Parts,
    body: Body,
) -> ApiResult<Response> {
    let node = state.cluster.as_ref().map(|c| c.node()).unwrap_or_default();
    crate::cluster::forward(node_url, parts, body, node).await
}

/// The `Upload-Offset` header: where the body's bytes go.
fn upload_offset(headers: &HeaderMap) -> ApiResult<u64> {
    headers
        .get("upload-offset")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "offset_required",
                "请求缺少有效的 Upload-Offset",
                "The request needs a valid Upload-Offset header",
            )
        })
}

/// Send the next bytes of an upload at `Upload-Offset` (which must be the server's
/// offset). Bytes that arrive before a drop are kept: ask for the offset and go on.
/// When the last byte arrives the file is checked and becomes evidence.
#[utoipa::path(patch, path = "/api/v1/evidence/uploads/{uid}", tag = "evidence",
    params(("uid" = String, Path, description = "Upload id"),
           ("Upload-Offset" = u64, Header, description = "Where these bytes start: the server's offset")),
    request_body(content = Vec<u8>, content_type = "application/offset+octet-stream", description = "The next bytes (at most 16 MiB)"),
    responses(
        (status = 200, body = UploadView, description = "The new offset; `evidence` once finished"),
        (status = 404, body = super::error::Problem),
        (status = 409, body = super::error::Problem, description = "`offset_mismatch`: resume from the server's offset, given in the body's `offset` and the `Upload-Offset` header"),
        (status = 413, body = super::error::Problem, description = "More bytes than declared"),
        (status = 415, body = super::error::Problem, description = "`type_not_allowed`: the content is not a type the court accepts; the upload is discarded"),
    ))]
async fn upload_chunk(
    State(state): State<AppState>,
    ApiPath(uid): ApiPath<Uuid>,
    mut parts: Parts,
    body: Body,
) -> ApiResult<Response> {
    if let Some(node) = crate::cluster::staged_elsewhere(&state, uid, &parts.headers).await? {
        return forward_upload(&state, &node, &parts, body).await;
    }
    let actor = requester(&state, &mut parts).await?;
    let upload = own_upload(&state, &actor, uid).await?;
    let hearing = state.store.hearing(upload.hearing_id).await?;
    sealed(&hearing)?;
    let offset = upload_offset(&parts.headers)?;
    let size = u64::try_from(upload.size).unwrap_or_default();
    let reached = match state.staging.append(uid, offset, size, body).await {
        Ok(reached) => reached,
        Err(AppendError::OffsetMismatch { actual, .. }) => {
            return Err(ApiError {
                upload_offset: Some(actual),
                ..ApiError::new(
                    StatusCode::CONFLICT,
                    "offset_mismatch",
                    format!("服务器已收到{actual}字节，请从该处继续上传"),
                    format!("The server has {actual} bytes; continue from there"),
                )
            });
        }
        Err(AppendError::TooLong) => {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "upload_too_long",
                "上传的内容超过了声明的文件大小",
                "More bytes than the declared file size",
            ));
        }
        Err(AppendError::Missing) => return Err(upload_not_found()),
        Err(AppendError::Interrupted { written, detail }) => {
            tracing::info!(upload = %uid, written, detail, "upload chunk interrupted; it can resume");
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "upload_interrupted",
                "上传中断，请继续上传",
                "The upload was interrupted; resume it",
            ));
        }
        Err(AppendError::Io(err)) => return Err(staging_fault(err)),
    };
    if reached < size {
        return Ok(ApiJson(upload_view(&upload, reached, None)).into_response());
    }
    // One request finishes an upload: a resent last chunk waits here, then finds it done.
    let finishing = state.staging.lock(uid).await;
    if state.store.upload(uid).await?.is_none() {
        return Err(upload_not_found());
    }
    // Finished on a task of its own, so that a client gone mid-way (the request
    // dropped) cannot leave a stored blob without its item.
    let view = upload_view(&upload, reached, None);
    let task = tokio::spawn(async move {
        let _finishing = finishing;
        finish(&state, &actor, &hearing, &upload).await
    });
    let item = task.await.map_err(ApiError::internal)??;
    Ok(ApiJson(UploadView {
        evidence: Some(item),
        ..view
    })
    .into_response())
}

/// Every byte is here: sniff the type, store the bytes while hashing them, and keep
/// the item. A refused file is discarded whole.
async fn finish(
    state: &AppState,
    actor: &Actor,
    hearing: &Hearing,
    upload: &Upload,
) -> ApiResult<EvidenceView> {
    let size = u64::try_from(upload.size).unwrap_or_default();
    let head = state
        .staging
        .head(upload.id, evidence::SNIFF_BYTES)
        .await
        .map_err(staging_fault)?;
    let sniffed = match evidence::sniff(&head, size <= evidence::SNIFF_BYTES as u64) {
        Ok(sniffed) => sniffed,
        Err(refused) => {
            discard(state, upload).await;
            let audit = NewAuditEvent::new(
                actor.audit(),
                "evidence.refuse",
                json!({"file_name": upload.file_name, "size": upload.size, "found": refused.found}),
            )
            .court(hearing.court_id)
            .hearing(hearing.id);
            state.store.append_audit(audit).await?;
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "type_not_allowed",
                "该文件的实际类型不在允许范围内（仅接受图片、PDF、音频、视频、Office文档和文本），已拒收",
                format!(
                    "The file's content is {}, which the court does not accept (images, PDF, audio, video, office documents and text only)",
                    refused.found
                ),
            ));
        }
    };
    let evidence_id = Uuid::now_v7();
    let key = format!("evidence/{}/{evidence_id}", hearing.id);
    let file = state.staging.open(upload.id).await.map_err(staging_fault)?;
    let stored = state
        .blobs
        .put_stream(&key, file, size)
        .await
        .map_err(|err| ApiError::internal(format!("storing evidence {key}: {err}")))?;
    if stored.size != size {
        let _ = state.blobs.delete(&key).await;
        return Err(ApiError::internal(format!(
            "stored {} bytes of {size} for {key}",
            stored.size
        )));
    }
    let item = Evidence {
        id: evidence_id,
        hearing_id: hearing.id,
        number: 0,
        title: upload.title.clone(),
        purpose: upload.purpose.clone(),
        file_name: upload.file_name.clone(),
        media_type: sniffed.media_type.to_owned(),
        kind: sniffed.kind,
        size: upload.size,
        sha256: stored.sha256.clone(),
        blob_key: key.clone(),
        submitter: actor.submitter(state, hearing.id).await?,
        submitted_at: court::to_storage_precision(Utc::now()),
        withdrawn_at: None,
        withdraw_reason: None,
        admission: Admission::Pending,
        admission_reason: None,
    };
    let details = json!({
        "evidence": item.id, "title": item.title, "file_name": item.file_name, "media_type": item.media_type,
        "size": item.size, "sha256": item.sha256, "blob_key": item.blob_key,
    });
    let mut attempt = 0;
    let kept = loop {
        let audit = NewAuditEvent::new(actor.audit(), "evidence.submit", details.clone())
            .court(hearing.court_id)
            .hearing(hearing.id);
        match state.store.add_evidence(&item, upload.id, audit).await {
            Ok(kept) => break kept,
            // Another item took the number meanwhile: take the next one.
            Err(store::StoreError::Conflict(store::Conflict::StateChanged)) if attempt < 5 => {
                attempt += 1;
            }
            Err(err) => {
                let _ = state.blobs.delete(&key).await;
                return Err(err.into());
            }
        }
    };
    state.staging.remove(upload.id).await;
    publish(state, hearing.id, kept.id, "added");
    Ok(evidence_view(kept, Vec::new()))
}

async fn discard(state: &AppState, upload: &Upload) {
    state.staging.remove(upload.id).await;
    if let Err(err) = state.store.delete_upload(upload.id).await {
        tracing::warn!(upload = %upload.id, error = %err, "upload row not removed");
    }
}

/// Cancel an upload: its bytes are discarded.
#[utoipa::path(delete, path = "/api/v1/evidence/uploads/{uid}", tag = "evidence",
    params(("uid" = String, Path, description = "Upload id")),
    responses((status = 204, description = "Cancelled"), (status = 404, body = super::error::Problem)))]
async fn cancel_upload(
    State(state): State<AppState>,
    ApiPath(uid): ApiPath<Uuid>,
    mut parts: Parts,
) -> ApiResult<Response> {
    if let Some(node) = crate::cluster::staged_elsewhere(&state, uid, &parts.headers).await? {
        return forward_upload(&state, &node, &parts, Body::empty()).await;
    }
    let actor = requester(&state, &mut parts).await?;
    let upload = own_upload(&state, &actor, uid).await?;
    discard(&state, &upload).await;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The hearing's evidence list (证据列表), by number, with each party's opinion.
#[utoipa::path(get, path = "/api/v1/hearings/{id}/evidence", tag = "evidence",
    params(("id" = String, Path, description = "Hearing id")),
    responses((status = 200, body = Vec<EvidenceView>), (status = 403, body = super::error::Problem)))]
async fn list(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<HearingId>,
    mut parts: Parts,
) -> ApiResult<ApiJson<Vec<EvidenceView>>> {
    actor_in(&state, &mut parts, id).await?;
    Ok(ApiJson(evidence_views(&state, id).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContentQuery {
    /// `1`: as a download with the original name (else shown inline).
    #[serde(default)]
    download: Option<u8>,
}

/// A single `bytes=a-b` range of a file of `size` bytes (end exclusive); `None` for a
/// header that is absent or not one satisfiable range (the whole file is sent); `Err`
/// for a range outside the file. Recordings are served with it too.
pub(super) fn byte_range(
    headers: &HeaderMap,
    size: u64,
) -> Result<Option<std::ops::Range<u64>>, ()> {
    let Some(raw) = headers.get(header::RANGE).and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    let Some(spec) = raw.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let (start, end) = spec.split_once('-').ok_or(())?;
    let (start, end) = match (start.trim(), end.trim()) {
        ("", suffix) => {
            let n: u64 = suffix.parse().map_err(|_| ())?;
            (size.saturating_sub(n), size)
        }
        (start, "") => (start.parse().map_err(|_| ())?, size),
        (start, end) => {
            let end: u64 = end.parse().map_err(|_| ())?;
            (
                start.parse().map_err(|_| ())?,
                end.saturating_add(1).min(size),
            )
        }
    };
    if start >= end || start >= size {
        return Err(());
    }
    Ok(Some(start..end))
}

/// What a stored blob holds, against the SHA-256 and size recorded when it was stored.
pub(super) enum BlobCheck {
    Intact,
    /// Altered at rest: what was found instead.
    Altered {
        sha256: String,
        size: u64,
    },
}

/// Checks the blob `key` (recorded as `id`) against its SHA-256 and size, once per version
/// of the blob (its size, time and tag): an intact version is remembered and not read
/// again. Evidence and recordings are served only after it.
pub(super) async fn check_blob(
    state: &AppState,
    id: Uuid,
    key: &str,
    sha256: &str,
    size: i64,
) -> ApiResult<BlobCheck> {
    let meta = state
        .blobs
        .head(key)
        .await
        .map_err(|err| ApiError::internal(format!("reading {key}: {err}")))?;
    let stamp = (meta.size, meta.last_modified, meta.e_tag.clone());
    if state
        .verified_blobs
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&id)
        == Some(&stamp)
    {
        return Ok(BlobCheck::Intact);
    }
    let found = state
        .blobs
        .sha256(key)
        .await
        .map_err(|err| ApiError::internal(format!("hashing {key}: {err}")))?;
    if found != sha256 || i64::try_from(meta.size).ok() != Some(size) {
        return Ok(BlobCheck::Altered {
            sha256: found,
            size: meta.size,
        });
    }
    state
        .verified_blobs
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(id, stamp);
    Ok(BlobCheck::Intact)
}

/// Checks the stored bytes against the SHA-256 kept at submission, so that a file
/// altered at rest is never served (the refusal is audited).
async fn verified(state: &AppState, item: &Evidence) -> ApiResult<()> {
    let check = check_blob(state, item.id, &item.blob_key, &item.sha256, item.size).await?;
    if let BlobCheck::Altered { sha256, size } = check {
        let audit = NewAuditEvent::new(
            AuditActor::System,
            "evidence.corrupt",
            json!({"evidence": item.id, "blob_key": item.blob_key, "expected": item.sha256, "found": sha256, "size": size}),
        )
        .hearing(item.hearing_id);
        state.store.append_audit(audit).await?;
        tracing::error!(evidence = %item.id, key = %item.blob_key, "evidence bytes do not match their SHA-256");
        return Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "evidence_corrupt",
            "该证据文件已损坏或被篡改（校验值不符），已记录，请联系法院",
            "This evidence file no longer matches its SHA-256; the court has been notified",
        ));
    }
    Ok(())
}

/// The bytes of an item, for preview or download; `Range` for seeking in audio and
/// video. Same-origin pages may frame it (the PDF preview).
#[utoipa::path(get, path = "/api/v1/hearings/{id}/evidence/{eid}/content", tag = "evidence",
    params(("id" = String, Path, description = "Hearing id"), ("eid" = String, Path, description = "Evidence id"), ContentQuery),
    responses(
        (status = 200, description = "The file, with its sniffed type"),
        (status = 206, description = "A range of it"),
        (status = 416, description = "Not a satisfiable range"),
        (status = 500, body = super::error::Problem, description = "`evidence_corrupt`: the stored bytes no longer match"),
    ))]
async fn content(
    State(state): State<AppState>,
    ApiPath((id, eid)): ApiPath<(HearingId, Uuid)>,
    query: Result<Query<ContentQuery>, axum::extract::rejection::QueryRejection>,
    mut parts: Parts,
) -> ApiResult<Response> {
    let Query(query) = query?;
    actor_in(&state, &mut parts, id).await?;
    let item = state
        .store
        .evidence(id, eid)
        .await?
        .ok_or_else(evidence_not_found)?;
    verified(&state, &item).await?;
    let size = u64::try_from(item.size).unwrap_or_default();
    let range = match byte_range(&parts.headers, size) {
        Ok(range) => range,
        Err(()) => {
            return Ok((
                StatusCode::RANGE_NOT_SATISFIABLE,
                [(header::CONTENT_RANGE, format!("bytes */{size}"))],
            )
                .into_response());
        }
    };
    let stream = state
        .blobs
        .get(&item.blob_key, range.clone())
        .await
        .map_err(|err| ApiError::internal(format!("reading {}: {err}", item.blob_key)))?
        .map_err(std::io::Error::other);
    let disposition = format!(
        "{}; filename=\"evidence-{}\"; filename*=UTF-8''{}",
        if query.download == Some(1) {
            "attachment"
        } else {
            "inline"
        },
        item.number,
        super::transcript::encoded_filename(&item.file_name)
    );
    // The global policy forbids framing; a preview in the hearing's own pages may.
    let policy = if item.kind == EvidenceKind::Pdf {
        "frame-ancestors 'self'"
    } else {
        "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'"
    };
    let mut response = Response::new(Body::from_stream(stream));
    let headers = response.headers_mut();
    let header_value = |value: &str| HeaderValue::from_str(value).map_err(ApiError::internal);
    headers.insert(header::CONTENT_TYPE, header_value(&item.media_type)?);
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    headers.insert(header::CONTENT_DISPOSITION, header_value(&disposition)?);
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    headers.insert(header::CONTENT_SECURITY_POLICY, header_value(policy)?);
    headers.insert("x-frame-options", HeaderValue::from_static("SAMEORIGIN"));
    headers.insert(header::ETAG, header_value(&format!("\"{}\"", item.sha256))?);
    match range {
        Some(range) => {
            *response.status_mut() = StatusCode::PARTIAL_CONTENT;
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_LENGTH,
                HeaderValue::from(range.end - range.start),
            );
            headers.insert(
                header::CONTENT_RANGE,
                header_value(&format!("bytes {}-{}/{size}", range.start, range.end - 1))?,
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

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct Withdrawal {
    #[serde(default)]
    pub reason: String,
}

/// Withdraw one's own item (撤回): it stays, marked withdrawn.
#[utoipa::path(post, path = "/api/v1/hearings/{id}/evidence/{eid}/withdrawal", tag = "evidence", request_body = Withdrawal,
    params(("id" = String, Path, description = "Hearing id"), ("eid" = String, Path, description = "Evidence id")),
    responses((status = 200, body = EvidenceView), (status = 403, body = super::error::Problem, description = "Not the submitter"),
        (status = 409, body = super::error::Problem, description = "Already withdrawn, or the hearing is sealed")))]
async fn withdraw(
    State(state): State<AppState>,
    ApiPath((id, eid)): ApiPath<(HearingId, Uuid)>,
    mut parts: Parts,
    ApiJson(body): ApiJson<Withdrawal>,
) -> ApiResult<ApiJson<EvidenceView>> {
    let (actor, hearing) = actor_in(&state, &mut parts, id).await?;
    sealed(&hearing)?;
    let item = state
        .store
        .evidence(id, eid)
        .await?
        .ok_or_else(evidence_not_found)?;
    let (kind, who) = actor.identity();
    if item.submitter.kind != kind || item.submitter.id != who {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "只有提交人可以撤回证据",
            "Only the submitter may withdraw an item",
        ));
    }
    let reason = evidence::long_text(&body.reason, "reason")?;
    let audit = NewAuditEvent::new(
        actor.audit(),
        "evidence.withdraw",
        json!({"evidence": eid, "number": item.number, "reason": reason}),
    )
    .court(hearing.court_id)
    .hearing(id);
    let reason = (!reason.is_empty()).then_some(reason);
    match state
        .store
        .withdraw_evidence(
            id,
            eid,
            court::to_storage_precision(Utc::now()),
            reason.as_deref(),
            audit,
        )
        .await
    {
        Ok(_) => {}
        Err(store::StoreError::Conflict(store::Conflict::StateChanged)) => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "already_withdrawn",
                "该证据已撤回",
                "This item was already withdrawn",
            ));
        }
        Err(err) => return Err(err.into()),
    }
    publish(&state, id, eid, "withdrawn");
    Ok(ApiJson(one_view(&state, id, eid).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct AdmissionInput {
    pub admitted: bool,
    #[serde(default)]
    pub reason: String,
}

/// The judge decides whether an item is admitted (采纳 / 不予采纳).
#[utoipa::path(post, path = "/api/v1/hearings/{id}/evidence/{eid}/admission", tag = "evidence", request_body = AdmissionInput,
    params(("id" = String, Path, description = "Hearing id"), ("eid" = String, Path, description = "Evidence id")),
    responses((status = 200, body = EvidenceView), (status = 403, body = super::error::Problem)))]
async fn admit(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath((id, eid)): ApiPath<(HearingId, Uuid)>,
    ApiJson(body): ApiJson<AdmissionInput>,
) -> ApiResult<ApiJson<EvidenceView>> {
    let hearing = visible_hearing(&state, &staff, id).await?;
    staff.require(Action::AdmitEvidence)?;
    sealed(&hearing)?;
    let item = state
        .store
        .evidence(id, eid)
        .await?
        .ok_or_else(evidence_not_found)?;
    let reason = evidence::long_text(&body.reason, "reason")?;
    let admission = if body.admitted {
        Admission::Admitted
    } else {
        Admission::NotAdmitted
    };
    let audit = NewAuditEvent::new(
        staff.actor(),
        "evidence.admission",
        json!({"evidence": eid, "number": item.number, "admission": admission, "reason": reason}),
    )
    .court(hearing.court_id)
    .hearing(id);
    let reason = (!reason.is_empty()).then_some(reason);
    state
        .store
        .decide_admission(id, eid, admission, reason.as_deref(), audit)
        .await?;
    publish(&state, id, eid, "admission");
    Ok(ApiJson(one_view(&state, id, eid).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct OpinionInput {
    /// 真实性.
    pub authenticity: Stance,
    /// 合法性.
    pub legality: Stance,
    /// 关联性.
    pub relevance: Stance,
    #[serde(default)]
    pub text: String,
}

/// A party records its cross-examination opinion (质证意见) on another party's item;
/// a later one replaces it in the list (all are in the audit log).
#[utoipa::path(post, path = "/api/v1/hearings/{id}/evidence/{eid}/opinions", tag = "evidence", request_body = OpinionInput,
    params(("id" = String, Path, description = "Hearing id"), ("eid" = String, Path, description = "Evidence id")),
    responses((status = 201, body = OpinionView), (status = 403, body = super::error::Problem, description = "Not a party, or one's own item"),
        (status = 409, body = super::error::Problem, description = "The item was withdrawn")))]
async fn give_opinion(
    State(state): State<AppState>,
    ApiPath((id, eid)): ApiPath<(HearingId, Uuid)>,
    mut parts: Parts,
    ApiJson(body): ApiJson<OpinionInput>,
) -> ApiResult<(StatusCode, ApiJson<OpinionView>)> {
    let (actor, hearing) = actor_in(&state, &mut parts, id).await?;
    let Actor::Participant(session) = &actor else {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "质证意见由当事人发表",
            "Opinions are given by the parties",
        ));
    };
    session.require(Action::GiveOpinion)?;
    sealed(&hearing)?;
    let item = state
        .store
        .evidence(id, eid)
        .await?
        .ok_or_else(evidence_not_found)?;
    evidence::may_give_opinion(&item, session.participant.id).map_err(|refused| match refused {
        evidence::OpinionRefused::OwnEvidence => ApiError::new(
            StatusCode::FORBIDDEN,
            "own_evidence",
            "不能对自己提交的证据发表质证意见",
            "One does not cross-examine one's own evidence",
        ),
        evidence::OpinionRefused::Withdrawn => ApiError::new(
            StatusCode::CONFLICT,
            "evidence_withdrawn",
            "该证据已撤回",
            "This item was withdrawn",
        ),
    })?;
    let opinion = Opinion {
        id: Uuid::now_v7(),
        evidence_id: eid,
        hearing_id: id,
        participant_id: session.participant.id,
        authenticity: body.authenticity,
        legality: body.legality,
        relevance: body.relevance,
        text: evidence::long_text(&body.text, "text")?,
        given_at: court::to_storage_precision(Utc::now()),
    };
    let audit = NewAuditEvent::new(
        session.actor(),
        "evidence.opinion",
        json!({
            "evidence": eid, "number": item.number, "authenticity": opinion.authenticity,
            "legality": opinion.legality, "relevance": opinion.relevance, "text": opinion.text,
        }),
    )
    .court(hearing.court_id)
    .hearing(id);
    state.store.add_opinion(&opinion, audit).await?;
    publish(&state, id, eid, "opinion");
    Ok((
        StatusCode::CREATED,
        ApiJson(opinion_view(opinion, Some(&session.participant))),
    ))
}

/// The item shown on every screen now, where.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Presentation {
    pub evidence_id: Uuid,
    /// The PDF page to open at.
    pub page: Option<u32>,
    /// The audio or video position, in seconds.
    pub time: Option<f64>,
    /// Who presents it.
    pub by: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct PresentInput {
    pub page: Option<u32>,
    pub time: Option<f64>,
}

/// The judge or the clerk opens an item on every participant's screen, at a page or time.
#[utoipa::path(post, path = "/api/v1/hearings/{id}/evidence/{eid}/presentation", tag = "evidence", request_body = PresentInput,
    params(("id" = String, Path, description = "Hearing id"), ("eid" = String, Path, description = "Evidence id")),
    responses((status = 200, body = Presentation), (status = 403, body = super::error::Problem), (status = 409, body = super::error::Problem)))]
async fn present(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath((id, eid)): ApiPath<(HearingId, Uuid)>,
    ApiJson(body): ApiJson<PresentInput>,
) -> ApiResult<ApiJson<Presentation>> {
    let hearing = visible_hearing(&state, &staff, id).await?;
    staff.require(Action::PresentEvidence)?;
    sealed(&hearing)?;
    let item = state
        .store
        .evidence(id, eid)
        .await?
        .ok_or_else(evidence_not_found)?;
    if item.withdrawn_at.is_some() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "evidence_withdrawn",
            "该证据已撤回，不能展示",
            "A withdrawn item is not presented",
        ));
    }
    let time = body.time.filter(|t| t.is_finite() && *t >= 0.0);
    let presentation = Presentation {
        evidence_id: eid,
        page: body.page.filter(|p| *p >= 1),
        time,
        by: staff.user.display_name.to_string(),
        at: court::to_storage_precision(Utc::now()),
    };
    let audit = NewAuditEvent::new(
        staff.actor(),
        "evidence.present",
        json!({"evidence": eid, "number": item.number, "page": presentation.page, "time": presentation.time}),
    )
    .court(hearing.court_id)
    .hearing(id);
    state.store.append_audit(audit).await?;
    state
        .presentations
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(id, presentation.clone());
    state.live.publish(
        id,
        json!({"type": "presentation", "presentation": presentation}),
    );
    Ok(ApiJson(presentation))
}

/// Stop presenting: every screen closes the item.
#[utoipa::path(delete, path = "/api/v1/hearings/{id}/evidence/presentation", tag = "evidence",
    params(("id" = String, Path, description = "Hearing id")),
    responses((status = 204, description = "Stopped"), (status = 403, body = super::error::Problem)))]
async fn stop_presenting(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<HearingId>,
) -> ApiResult<StatusCode> {
    let hearing = visible_hearing(&state, &staff, id).await?;
    staff.require(Action::PresentEvidence)?;
    let stopped = state
        .presentations
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&id);
    if let Some(stopped) = stopped {
        let audit = NewAuditEvent::new(
            staff.actor(),
            "evidence.present_stop",
            json!({"evidence": stopped.evidence_id}),
        )
        .court(hearing.court_id)
        .hearing(id);
        state.store.append_audit(audit).await?;
        state
            .live
            .publish(id, json!({"type": "presentation", "presentation": null}));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// What is being presented now, if anything (for a screen that joins late).
#[utoipa::path(get, path = "/api/v1/hearings/{id}/evidence/presentation", tag = "evidence",
    params(("id" = String, Path, description = "Hearing id")),
    responses((status = 200, body = Option<Presentation>)))]
async fn presentation(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<HearingId>,
    mut parts: Parts,
) -> ApiResult<ApiJson<Option<Presentation>>> {
    actor_in(&state, &mut parts, id).await?;
    let now = state
        .presentations
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&id)
        .cloned();
    Ok(ApiJson(now))
}

/// A CSV field, quoted.
fn csv(field: &str) -> String {
    format!("\"{}\"", field.replace('"', "\"\""))
}

/// All of a hearing's evidence as a ZIP (staff): each file as `{number}-{name}`, and
/// `manifest.csv` with every item's number, title, file, SHA-256, size, submitter,
/// time and status. Streamed: nothing is held whole in memory.
#[utoipa::path(get, path = "/api/v1/hearings/{id}/evidence.zip", tag = "evidence",
    params(("id" = String, Path, description = "Hearing id")),
    responses((status = 200, content_type = "application/zip", description = "The files and manifest.csv"), (status = 403, body = super::error::Problem)))]
async fn zip(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<HearingId>,
) -> ApiResult<Response> {
    let hearing = visible_hearing(&state, &staff, id).await?;
    staff.require(Action::ExportEvidence)?;
    let items = state.store.evidence_list(id).await?;
    // Refuse before streaming: a corrupt file cannot become an error after headers.
    for item in &items {
        verified(&state, item).await?;
    }
    let case = state.store.case(hearing.case_id).await?;
    let audit = NewAuditEvent::new(
        staff.actor(),
        "evidence.export",
        json!({"items": items.iter().map(|i| json!({"number": i.number, "sha256": i.sha256})).collect::<Vec<_>>()}),
    )
    .court(hearing.court_id)
    .hearing(id);
    state.store.append_audit(audit).await?;
    let (writer, reader) = tokio::io::duplex(256 * 1024);
    let blobs = state.blobs.clone();
    tokio::spawn(async move {
        if let Err(err) = write_zip(writer, &blobs, &items).await {
            tracing::warn!(hearing = %id, error = %err, "evidence zip stopped");
        }
    });
    let name = format!("证据-{}.zip", case.case_number.as_str());
    let disposition = format!(
        "attachment; filename=\"evidence.zip\"; filename*=UTF-8''{}",
        super::transcript::encoded_filename(&name)
    );
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/zip"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition).map_err(ApiError::internal)?,
            ),
        ],
        Body::from_stream(tokio_util::io::ReaderStream::new(reader)),
    )
        .into_response())
}

async fn write_zip(
    writer: tokio::io::DuplexStream,
    blobs: &store::blobs::Blobs,
    items: &[Evidence],
) -> anyhow::Result<()> {
    use async_zip::base::write::ZipFileWriter;
    use async_zip::{Compression, ZipEntryBuilder};
    use futures_util::AsyncWriteExt;
    let mut zip = ZipFileWriter::with_tokio(writer);
    let mut manifest = String::from(
        "number,title,file,sha256,size,submitter,role,submitted_at,status,admission\n",
    );
    for item in items {
        let entry_name = format!("{:03}-{}", item.number, item.file_name);
        manifest.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{}\n",
            item.number,
            csv(&item.title),
            csv(&entry_name),
            item.sha256,
            item.size,
            csv(&item.submitter.name),
            item.submitter.role.as_str(),
            item.submitted_at.to_rfc3339(),
            if item.withdrawn_at.is_some() {
                "withdrawn"
            } else {
                "submitted"
            },
            item.admission.as_str(),
        ));
        let entry = ZipEntryBuilder::new(entry_name.into(), Compression::Stored);
        let mut entry_writer = zip.write_entry_stream(entry).await?;
        let mut stream = blobs.get(&item.blob_key, None).await?;
        while let Some(chunk) = stream.next().await {
            entry_writer.write_all(&chunk?).await?;
        }
        entry_writer.close().await?;
    }
    let entry = ZipEntryBuilder::new("manifest.csv".to_owned().into(), Compression::Stored);
    zip.write_entry_whole(entry, manifest.as_bytes()).await?;
    zip.close().await?;
    Ok(())
}
