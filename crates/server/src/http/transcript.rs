//! The transcript API (庭审笔录): read a version, the clerk's saves (whole entry lists,
//! each an immutable version; a resent save is recognised by its id), the version
//! history, the confirmation (确认笔录) with each participant's task, handwritten
//! signatures bound to a version's hash, and correction requests (申请补正).

use super::error::{ApiError, ApiJson, ApiPath, ApiResult};
use super::join::ParticipantSession;
use super::live::{Viewer, authorise};
use super::{Staff, hearings::visible_hearing};
use crate::app::AppState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use chrono::{DateTime, Utc};
use court::transcript::{
    self, Content, Correction, CorrectionStatus, Entry, Header, SaveDecision, Signature,
    SignatureProblem, StrokePoint, TaskStatus, Version, VersionInfo,
};
use court::{
    Action, Hearing, HearingId, HearingState, NewAuditEvent, ParticipantId, ParticipantRole,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

/// The largest save the clerk's editor sends (a whole day's transcript is well below).
const MAX_SAVE_BYTES: usize = 8 * 1024 * 1024;
/// The largest signature body (strokes and PNG).
const MAX_SIGNATURE_BYTES: usize = 2 * 1024 * 1024;
/// The largest signature PNG, decoded from the body.
const MAX_SIGNATURE_PNG_BYTES: usize = 1536 * 1024;
/// The largest signature image, per side (the signing page sends at most 1600 wide):
/// decoding one costs at most 2048 × 2048 × 4 bytes.
const MAX_SIGNATURE_PIXELS: u32 = 2048;

pub fn router() -> OpenApiRouter<AppState> {
    let saves = OpenApiRouter::new()
        .routes(routes!(get_transcript, save_transcript))
        .layer(DefaultBodyLimit::max(MAX_SAVE_BYTES));
    let signatures = OpenApiRouter::new()
        .routes(routes!(sign))
        .layer(DefaultBodyLimit::max(MAX_SIGNATURE_BYTES));
    OpenApiRouter::new()
        .merge(saves)
        .merge(signatures)
        .routes(routes!(versions))
        .routes(routes!(confirmation, open_confirmation))
        .routes(routes!(signature_image))
        .routes(routes!(corrections, request_correction))
        .routes(routes!(resolve_correction))
        .routes(routes!(transcript_pdf))
}

/// A version as read. Version 0 is the empty draft before the first save.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TranscriptView {
    pub hearing_id: HearingId,
    pub version: i32,
    pub latest_version: i32,
    /// Hex SHA-256 of the version's canonical form (`null` for the draft).
    pub sha256: Option<String>,
    pub saved_at: Option<DateTime<Utc>>,
    /// The clerk who saved it (display name).
    pub saved_by: Option<String>,
    pub header: Header,
    pub opening_note: String,
    pub entries: Vec<Entry>,
    pub confirmation: ConfirmationState,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConfirmationState {
    pub open: bool,
    pub opened_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VersionQuery {
    /// A version number; the latest when absent.
    version: Option<i32>,
}

/// An entry as the editor sends it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct EntryInput {
    pub role: ParticipantRole,
    pub name: String,
    pub text: String,
}

/// The clerk's save: the whole entry list, the version it was edited from, and an id
/// the client makes once per save (a resend with the same id is recognised).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct TranscriptSave {
    pub base_version: i32,
    pub save_id: Uuid,
    pub entries: Vec<EntryInput>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TranscriptSaved {
    pub version: i32,
    pub sha256: String,
    pub saved_at: DateTime<Utc>,
    /// False when nothing changed or the save was already kept.
    pub created: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VersionSummary {
    pub version: i32,
    pub sha256: String,
    pub saved_at: DateTime<Utc>,
    pub saved_by: String,
    pub entry_count: i32,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SignatureSummary {
    pub id: Uuid,
    /// The version signed, and its hash.
    pub version: i32,
    pub sha256: String,
    pub signed_at: DateTime<Utc>,
    pub image_url: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CorrectionView {
    pub id: Uuid,
    pub participant_id: ParticipantId,
    pub name: String,
    pub role: ParticipantRole,
    pub version: i32,
    pub text: String,
    pub requested_at: DateTime<Utc>,
    pub status: CorrectionStatus,
    pub reason: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolved_version: Option<i32>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConfirmationTask {
    pub participant_id: ParticipantId,
    pub name: String,
    pub role: ParticipantRole,
    pub status: TaskStatus,
    /// The participant's latest signature.
    pub signature: Option<SignatureSummary>,
    /// The participant's latest correction request.
    pub correction: Option<CorrectionView>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConfirmationView {
    pub open: bool,
    pub opened_at: Option<DateTime<Utc>>,
    /// The latest version: the one to sign.
    pub version: i32,
    pub sha256: Option<String>,
    /// One per participant (the bench signs through the court's seal on the PDF).
    pub tasks: Vec<ConfirmationTask>,
}

/// A handwritten signature as the signing page sends it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SignatureInput {
    /// The version shown while signing, and its hash.
    pub version: i32,
    pub sha256: String,
    /// The canvas size in CSS pixels.
    pub width: f64,
    pub height: f64,
    pub strokes: Vec<Vec<StrokePoint>>,
    /// `data:image/png;base64,…` of the canvas.
    pub image: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CorrectionInput {
    /// The version the request is about.
    pub version: i32,
    pub text: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CorrectionResolution {
    pub accepted: bool,
    /// Required when refusing; an optional note when accepting.
    #[serde(default)]
    pub reason: String,
}

/// The hearing, for someone allowed to read its transcript: staff of its court, or
/// one of its own participants.
async fn readable(state: &AppState, parts: &mut Parts, id: HearingId) -> ApiResult<Hearing> {
    Ok(reader(state, parts, id).await?.hearing)
}

/// Who reads a transcript: for the audit of what they take away, and so that a party
/// sees the other parties' progress but not their handwriting or requests.
struct Reader {
    actor: court::AuditActor,
    hearing: Hearing,
    /// `None` for the court's staff.
    participant: Option<ParticipantId>,
}

impl Reader {
    /// Whether this reader may see what `owner` gave (a signature, a request).
    fn may_see(&self, owner: ParticipantId) -> bool {
        self.participant.is_none_or(|me| me == owner)
    }
}

async fn reader(state: &AppState, parts: &mut Parts, id: HearingId) -> ApiResult<Reader> {
    let (viewer, hearing) = authorise(state, parts, id).await?;
    let (actor, participant) = match &viewer {
        Viewer::Staff(staff) => {
            staff.require(Action::ViewTranscript)?;
            (staff.actor(), None)
        }
        Viewer::Participant(session) => {
            session.require(Action::ViewTranscript)?;
            session.require_inside()?;
            (session.actor(), Some(session.participant.id))
        }
    };
    Ok(Reader {
        actor,
        hearing,
        participant,
    })
}

/// Refuses writes once the record is sealed (archived) or the hearing was cancelled.
fn writable(hearing: &Hearing) -> ApiResult<()> {
    if matches!(
        hearing.state,
        HearingState::Archived | HearingState::Cancelled
    ) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "transcript_sealed",
            format!("庭审{}，笔录不能再更改", hearing.state.label_zh()),
            format!(
                "The hearing is {}; its transcript can no longer change",
                hearing.state
            ),
        ));
    }
    Ok(())
}

/// The hearing's own participant, or 403 for a participant of another hearing.
fn own_hearing(session: &ParticipantSession, id: HearingId) -> ApiResult<()> {
    if session.hearing.id == id {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "您不是该庭审的参与人",
            "You are not a participant of this hearing",
        ))
    }
}

fn version_not_found(number: i32) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "version_not_found",
        format!("笔录第{number}版不存在"),
        format!("Transcript version {number} does not exist"),
    )
}

fn outdated(latest: i32) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "transcript_outdated",
        format!("笔录已更新至第{latest}版，请查看最新笔录后再确认"),
        format!("The transcript was updated to version {latest}; read the latest version first"),
    )
}

fn confirmation_closed() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "confirmation_closed",
        "书记员尚未发起确认笔录，请稍候",
        "The court has not opened the transcript for confirmation yet",
    )
}

/// The header of the hearing's transcript as it stands now.
async fn header_of(state: &AppState, hearing: &Hearing) -> ApiResult<Header> {
    let court = state.store.court(hearing.court_id).await?;
    let case = state.store.case(hearing.case_id).await?;
    let bench: Vec<(ParticipantRole, String)> = state
        .store
        .bench(hearing.id)
        .await?
        .into_iter()
        .map(|seat| (seat.role, seat.user.display_name.to_string()))
        .collect();
    Ok(Header::for_hearing(&court, &case, hearing, &bench))
}

async fn saver_name(state: &AppState, info: &VersionInfo) -> ApiResult<String> {
    Ok(state
        .store
        .user(info.saved_by)
        .await?
        .display_name
        .to_string())
}

/// The latest version's number (0 before the first save).
async fn latest_number(state: &AppState, hearing_id: HearingId) -> ApiResult<i32> {
    Ok(state
        .store
        .transcript_head(hearing_id)
        .await?
        .map_or(0, |head| head.latest_version))
}

/// The latest version of a hearing's transcript, if one was saved.
async fn latest_version(state: &AppState, hearing_id: HearingId) -> ApiResult<Option<Version>> {
    let Some(head) = state.store.transcript_head(hearing_id).await? else {
        return Ok(None);
    };
    let version = state
        .store
        .transcript_version(hearing_id, head.latest_version)
        .await?
        .ok_or_else(|| ApiError::internal("the transcript head names a missing version"))?;
    Ok(Some(version))
}

/// Read the latest version of the transcript, or one version (查看笔录).
#[utoipa::path(get, path = "/api/v1/hearings/{id}/transcript", tag = "transcript",
    params(("id" = String, Path, description = "Hearing id"), VersionQuery),
    responses(
        (status = 200, body = TranscriptView),
        (status = 403, body = super::error::Problem, description = "Another court's hearing, or not this hearing's participant"),
        (status = 404, body = super::error::Problem, description = "No such hearing or version"),
    ))]
async fn get_transcript(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<HearingId>,
    query: Result<Query<VersionQuery>, QueryRejection>,
    mut parts: Parts,
) -> ApiResult<ApiJson<TranscriptView>> {
    let Query(query) = query?;
    let hearing = readable(&state, &mut parts, id).await?;
    let head = state.store.transcript_head(id).await?;
    let latest = head.as_ref().map_or(0, |head| head.latest_version);
    let wanted = query.version.unwrap_or(latest);
    let confirmation = ConfirmationState {
        open: head
            .as_ref()
            .is_some_and(|head| head.confirmation_opened_at.is_some()),
        opened_at: head.as_ref().and_then(|head| head.confirmation_opened_at),
    };
    if wanted == 0 {
        let header = header_of(&state, &hearing).await?;
        return Ok(ApiJson(TranscriptView {
            hearing_id: id,
            version: 0,
            latest_version: latest,
            sha256: None,
            saved_at: None,
            saved_by: None,
            header,
            opening_note: transcript::OPENING_NOTE.to_owned(),
            entries: Vec::new(),
            confirmation,
        }));
    }
    let version = state
        .store
        .transcript_version(id, wanted)
        .await?
        .ok_or_else(|| version_not_found(wanted))?;
    let saved_by = saver_name(&state, &version.info).await?;
    Ok(ApiJson(TranscriptView {
        hearing_id: id,
        version: version.info.number,
        latest_version: latest,
        sha256: Some(version.info.sha256),
        saved_at: Some(version.info.saved_at),
        saved_by: Some(saved_by),
        header: version.content.header,
        opening_note: version.content.opening_note,
        entries: version.content.entries,
        confirmation,
    }))
}

/// The clerk saves the transcript: the whole entry list, made from `base_version`.
/// The same content as the latest version, or a `save_id` already kept, creates
/// nothing; a save made from an older version than the latest is refused (409).
#[utoipa::path(put, path = "/api/v1/hearings/{id}/transcript", tag = "transcript", request_body = TranscriptSave,
    params(("id" = String, Path, description = "Hearing id")),
    responses(
        (status = 200, body = TranscriptSaved),
        (status = 403, body = super::error::Problem, description = "Only the court's clerk edits the transcript"),
        (status = 409, body = super::error::Problem, description = "`transcript_conflict`: a newer version was saved; `transcript_sealed`: the hearing is archived or cancelled"),
        (status = 413, body = super::error::Problem),
        (status = 422, body = super::error::Problem, description = "An empty or oversized entry, or too many entries"),
    ))]
async fn save_transcript(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<HearingId>,
    ApiJson(body): ApiJson<TranscriptSave>,
) -> ApiResult<ApiJson<TranscriptSaved>> {
    let hearing = visible_hearing(&state, &staff, id).await?;
    staff.require(Action::EditTranscript)?;
    writable(&hearing)?;
    if let Some(kept) = state
        .store
        .transcript_version_by_save_id(id, body.save_id)
        .await?
    {
        return Ok(ApiJson(TranscriptSaved {
            version: kept.number,
            sha256: kept.sha256,
            saved_at: kept.saved_at,
            created: false,
        }));
    }
    transcript::check_entry_count(body.entries.len())?;
    let entries = body
        .entries
        .iter()
        .enumerate()
        .map(|(index, entry)| Entry::parse(entry.role, &entry.name, &entry.text, index))
        .collect::<Result<Vec<_>, _>>()?;
    let content = Content::new(header_of(&state, &hearing).await?, entries);
    let sha256 = content.sha256();
    let latest = latest_version(&state, id).await?;
    let decision = transcript::decide_save(
        latest
            .as_ref()
            .map(|v| (v.info.number, v.info.sha256.as_str())),
        body.base_version,
        &sha256,
    )
    .map_err(|conflict| save_conflict(conflict.latest))?;
    let number = match (decision, latest) {
        (SaveDecision::Unchanged, Some(latest)) => {
            return Ok(ApiJson(TranscriptSaved {
                version: latest.info.number,
                sha256: latest.info.sha256,
                saved_at: latest.info.saved_at,
                created: false,
            }));
        }
        (SaveDecision::Create { number }, _) => number,
        (SaveDecision::Unchanged, None) => {
            return Err(ApiError::internal("unchanged from nothing"));
        }
    };
    let info = VersionInfo {
        hearing_id: id,
        number,
        sha256: sha256.clone(),
        entry_count: i32::try_from(content.entries.len()).unwrap_or(i32::MAX),
        save_id: body.save_id,
        saved_by: staff.user.id,
        saved_at: court::to_storage_precision(Utc::now()),
    };
    let audit = NewAuditEvent::new(
        staff.actor(),
        "transcript.save",
        json!({"version": number, "sha256": sha256, "entries": info.entry_count, "save_id": body.save_id}),
    )
    .court(hearing.court_id)
    .hearing(id);
    let version = Version { info, content };
    match state
        .store
        .save_transcript(&version, body.base_version, audit)
        .await
    {
        Ok(()) => {}
        Err(store::StoreError::Conflict(store::Conflict::TranscriptChanged)) => {
            let latest = latest_number(&state, id).await?;
            return Err(save_conflict(latest));
        }
        Err(other) => return Err(other.into()),
    }
    state.live.publish(
        id,
        json!({"type": "transcript", "version": number, "sha256": sha256, "saved_at": version.info.saved_at}),
    );
    Ok(ApiJson(TranscriptSaved {
        version: number,
        sha256,
        saved_at: version.info.saved_at,
        created: true,
    }))
}

fn save_conflict(latest: i32) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "transcript_conflict",
        format!("笔录已被保存为第{latest}版，请载入最新笔录后再修改"),
        format!("The transcript was saved as version {latest} meanwhile; load it before editing"),
    )
}

/// Every saved version, newest first (staff).
#[utoipa::path(get, path = "/api/v1/hearings/{id}/transcript/versions", tag = "transcript",
    params(("id" = String, Path, description = "Hearing id")),
    responses((status = 200, body = Vec<VersionSummary>), (status = 403, body = super::error::Problem)))]
async fn versions(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<HearingId>,
) -> ApiResult<ApiJson<Vec<VersionSummary>>> {
    visible_hearing(&state, &staff, id).await?;
    staff.require(Action::ViewTranscriptHistory)?;
    let infos = state.store.transcript_versions(id).await?;
    let mut names: HashMap<court::UserId, String> = HashMap::new();
    let mut out = Vec::with_capacity(infos.len());
    for info in infos {
        let saved_by = match names.get(&info.saved_by) {
            Some(name) => name.clone(),
            None => {
                let name = saver_name(&state, &info).await?;
                names.insert(info.saved_by, name.clone());
                name
            }
        };
        out.push(VersionSummary {
            version: info.number,
            sha256: info.sha256,
            saved_at: info.saved_at,
            saved_by,
            entry_count: info.entry_count,
        });
    }
    Ok(ApiJson(out))
}

fn signature_summary(signature: &Signature) -> SignatureSummary {
    SignatureSummary {
        id: signature.id,
        version: signature.version,
        sha256: signature.sha256.clone(),
        signed_at: signature.signed_at,
        image_url: format!(
            "/api/v1/hearings/{}/transcript/signatures/{}/image",
            signature.hearing_id, signature.id
        ),
    }
}

async fn correction_views(
    state: &AppState,
    hearing_id: HearingId,
) -> ApiResult<Vec<CorrectionView>> {
    let participants: HashMap<ParticipantId, court::Participant> = state
        .store
        .participants(hearing_id)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    Ok(state
        .store
        .corrections(hearing_id)
        .await?
        .into_iter()
        .map(|c| {
            let who = participants.get(&c.participant_id);
            correction_view(c, who)
        })
        .collect())
}

fn correction_view(c: Correction, who: Option<&court::Participant>) -> CorrectionView {
    CorrectionView {
        id: c.id,
        participant_id: c.participant_id,
        name: who.map(|p| p.name.to_string()).unwrap_or_default(),
        role: who.map_or(ParticipantRole::Plaintiff, |p| p.role),
        version: c.version,
        text: c.text,
        requested_at: c.requested_at,
        status: c.status,
        reason: c.reason,
        resolved_at: c.resolved_at,
        resolved_version: c.resolved_version,
    }
}

/// The confirmation as it stands: open or not, the version to sign, and a task per
/// participant.
async fn confirmation_view(
    state: &AppState,
    hearing_id: HearingId,
    visible: impl Fn(ParticipantId) -> bool,
) -> ApiResult<ConfirmationView> {
    let head = state.store.transcript_head(hearing_id).await?;
    let latest = latest_version(state, hearing_id).await?;
    let latest_sha = latest.as_ref().map(|v| v.info.sha256.clone());
    let signatures = state.store.signatures(hearing_id).await?;
    let corrections = state.store.corrections(hearing_id).await?;
    let tasks = state
        .store
        .participants(hearing_id)
        .await?
        .into_iter()
        .map(|p| {
            // Both lists are oldest first: the last one is the participant's latest.
            let signature = signatures.iter().rfind(|s| s.participant_id == p.id);
            let correction = corrections.iter().rfind(|c| c.participant_id == p.id);
            let pending = corrections
                .iter()
                .any(|c| c.participant_id == p.id && c.status == CorrectionStatus::Pending);
            ConfirmationTask {
                participant_id: p.id,
                name: p.name.to_string(),
                role: p.role,
                status: transcript::task_status(
                    latest_sha.as_deref(),
                    signature.map(|s| s.sha256.as_str()),
                    pending,
                ),
                signature: signature.filter(|_| visible(p.id)).map(signature_summary),
                correction: correction
                    .filter(|_| visible(p.id))
                    .cloned()
                    .map(|c| correction_view(c, Some(&p))),
            }
        })
        .collect();
    Ok(ConfirmationView {
        open: head
            .as_ref()
            .is_some_and(|h| h.confirmation_opened_at.is_some()),
        opened_at: head.and_then(|h| h.confirmation_opened_at),
        version: latest.as_ref().map_or(0, |v| v.info.number),
        sha256: latest_sha,
        tasks,
    })
}

/// The confirmation (确认笔录): the version to sign and every participant's task. A
/// party sees everyone's status but only their own signature and request.
#[utoipa::path(get, path = "/api/v1/hearings/{id}/transcript/confirmation", tag = "transcript",
    params(("id" = String, Path, description = "Hearing id")),
    responses((status = 200, body = ConfirmationView), (status = 403, body = super::error::Problem)))]
async fn confirmation(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<HearingId>,
    mut parts: Parts,
) -> ApiResult<ApiJson<ConfirmationView>> {
    let reader = reader(&state, &mut parts, id).await?;
    Ok(ApiJson(
        confirmation_view(&state, id, |owner| reader.may_see(owner)).await?,
    ))
}

/// The court opens the transcript for confirmation (发起确认笔录): every participant
/// is asked to sign the latest version. Opening it again changes nothing.
#[utoipa::path(post, path = "/api/v1/hearings/{id}/transcript/confirmation", tag = "transcript",
    params(("id" = String, Path, description = "Hearing id")),
    responses(
        (status = 200, body = ConfirmationView),
        (status = 403, body = super::error::Problem),
        (status = 409, body = super::error::Problem, description = "`transcript_empty`: nothing saved yet"),
    ))]
async fn open_confirmation(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<HearingId>,
) -> ApiResult<ApiJson<ConfirmationView>> {
    let hearing = visible_hearing(&state, &staff, id).await?;
    staff.require(Action::OpenConfirmation)?;
    writable(&hearing)?;
    let Some(latest) = latest_version(&state, id).await? else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "transcript_empty",
            "笔录尚未保存，不能发起确认",
            "Nothing has been saved in the transcript yet",
        ));
    };
    let audit = NewAuditEvent::new(
        staff.actor(),
        "transcript.confirmation_open",
        json!({"version": latest.info.number, "sha256": latest.info.sha256}),
    )
    .court(hearing.court_id)
    .hearing(id);
    let (_, opened) = state
        .store
        .open_confirmation(
            id,
            staff.user.id,
            court::to_storage_precision(Utc::now()),
            audit,
        )
        .await?;
    if opened {
        state.live.publish(
            id,
            json!({"type": "confirmation", "open": true, "changed": "opened"}),
        );
    }
    Ok(ApiJson(confirmation_view(&state, id, |_| true).await?))
}

/// Decodes the `data:image/png;base64,…` of a signature and checks it is a PNG of a
/// sensible size, decoding it whole so a broken image never reaches the PDF.
fn signature_png(data_url: &str) -> ApiResult<Vec<u8>> {
    let invalid = || {
        ApiError::from(court::Invalid::new(
            "image",
            "签名图片无效，须为PNG图片",
            "The signature image must be a PNG",
        ))
    };
    let encoded = data_url
        .strip_prefix("data:image/png;base64,")
        .ok_or_else(invalid)?;
    if encoded.len() > MAX_SIGNATURE_PNG_BYTES / 3 * 4 + 4 {
        return Err(too_large());
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|_| invalid())?;
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes.as_slice()));
    decoder.set_limits(png::Limits {
        bytes: 16 * 1024 * 1024,
    });
    let mut reader = decoder.read_info().map_err(|_| invalid())?;
    let (width, height) = {
        let info = reader.info();
        (info.width, info.height)
    };
    if width == 0 || height == 0 || width > MAX_SIGNATURE_PIXELS || height > MAX_SIGNATURE_PIXELS {
        return Err(invalid());
    }
    let mut pixels = vec![0; reader.output_buffer_size().ok_or_else(invalid)?];
    reader.next_frame(&mut pixels).map_err(|_| invalid())?;
    Ok(bytes)
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "signature_too_large",
        "签名数据过大",
        "The signature is too large",
    )
}

impl From<SignatureProblem> for ApiError {
    fn from(problem: SignatureProblem) -> Self {
        match problem {
            SignatureProblem::Empty => ApiError {
                field: Some("strokes"),
                ..ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "signature_empty",
                    "请先在签名区域签名",
                    "Sign in the signing area first",
                )
            },
            SignatureProblem::Trivial => ApiError {
                field: Some("strokes"),
                ..ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "signature_trivial",
                    "签名过于简单，请写下您的姓名",
                    "This is too little to be a signature; write your name",
                )
            },
            SignatureProblem::TooLarge => too_large(),
            SignatureProblem::Malformed(invalid) => invalid.into(),
        }
    }
}

/// A participant signs the version they were shown (点击对号提交签名). Refused before
/// the court opens the confirmation, and for any version but the latest.
#[utoipa::path(post, path = "/api/v1/hearings/{id}/transcript/signatures", tag = "transcript", request_body = SignatureInput,
    params(("id" = String, Path, description = "Hearing id")),
    responses(
        (status = 201, body = SignatureSummary),
        (status = 403, body = super::error::Problem, description = "Not this hearing's participant, or staff"),
        (status = 404, body = super::error::Problem, description = "`version_not_found`"),
        (status = 409, body = super::error::Problem, description = "`confirmation_closed`, or `transcript_outdated` (a newer version exists)"),
        (status = 413, body = super::error::Problem),
        (status = 422, body = super::error::Problem, description = "`signature_empty`, `signature_trivial`, a bad image or strokes outside the canvas"),
    ))]
async fn sign(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<HearingId>,
    mut parts: Parts,
    ApiJson(body): ApiJson<SignatureInput>,
) -> ApiResult<(StatusCode, ApiJson<SignatureSummary>)> {
    let session = participant(&state, &mut parts, id).await?;
    session.require(Action::SignTranscript)?;
    writable(&session.hearing)?;
    transcript::check_signature(body.width, body.height, &body.strokes)?;
    let version = state
        .store
        .transcript_version(id, body.version)
        .await?
        .ok_or_else(|| version_not_found(body.version))?;
    if version.info.sha256 != body.sha256 {
        return Err(ApiError::from(court::Invalid::new(
            "sha256",
            "签名所对应的笔录版本校验值不符",
            "The hash does not match the version signed",
        )));
    }
    let image = signature_png(&body.image)?;
    // (The store checks this again, atomically; here it keeps the answers in order.)
    let latest = latest_number(&state, id).await?;
    if latest != body.version {
        return Err(outdated(latest));
    }
    let signed_before = state
        .store
        .signatures(id)
        .await?
        .into_iter()
        .any(|s| s.participant_id == session.participant.id && s.sha256 == version.info.sha256);
    if signed_before {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "already_signed",
            "您已签署该版本的笔录",
            "You have already signed this version of the transcript",
        ));
    }
    let signature = Signature {
        id: Uuid::now_v7(),
        hearing_id: id,
        participant_id: session.participant.id,
        version: body.version,
        sha256: body.sha256,
        width: body.width,
        height: body.height,
        strokes: body.strokes,
        image_sha256: hex::encode(Sha256::digest(&image)),
        signed_at: court::to_storage_precision(Utc::now()),
    };
    let points: usize = signature.strokes.iter().map(Vec::len).sum();
    let audit = NewAuditEvent::new(
        session.actor(),
        "transcript.sign",
        json!({
            "signature": signature.id, "version": signature.version, "sha256": signature.sha256,
            "image_sha256": signature.image_sha256, "strokes": signature.strokes.len(), "points": points,
        }),
    )
    .court(session.hearing.court_id)
    .hearing(id);
    match state.store.add_signature(&signature, &image, audit).await {
        Ok(()) => {}
        Err(store::StoreError::Conflict(store::Conflict::ConfirmationClosed)) => {
            return Err(confirmation_closed());
        }
        Err(store::StoreError::Conflict(store::Conflict::TranscriptChanged)) => {
            let latest = latest_number(&state, id).await?;
            return Err(outdated(latest));
        }
        Err(other) => return Err(other.into()),
    }
    state.live.publish(
        id,
        json!({"type": "confirmation", "open": true, "changed": "signature"}),
    );
    Ok((StatusCode::CREATED, ApiJson(signature_summary(&signature))))
}

/// The participant of this hearing behind the request's participant session.
async fn participant(
    state: &AppState,
    parts: &mut Parts,
    id: HearingId,
) -> ApiResult<ParticipantSession> {
    let session = match ParticipantSession::from_request_parts(parts, state).await {
        Ok(session) => session,
        // Staff sign through the court's seal on the PDF, not here.
        Err(err) if Staff::from_request_parts(parts, state).await.is_ok() => {
            tracing::debug!(error = ?err, "staff tried a participant's confirmation");
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "只有本庭审的参与人可以确认笔录",
                "Only this hearing's participants confirm the transcript",
            ));
        }
        Err(err) => return Err(err),
    };
    own_hearing(&session, id)?;
    Ok(session)
}

/// The image of a handwritten signature (PNG): for the court, and for its signer.
#[utoipa::path(get, path = "/api/v1/hearings/{id}/transcript/signatures/{sid}/image", tag = "transcript",
    params(("id" = String, Path, description = "Hearing id"), ("sid" = String, Path, description = "Signature id")),
    responses((status = 200, content_type = "image/png", description = "The signature"), (status = 404, body = super::error::Problem)))]
async fn signature_image(
    State(state): State<AppState>,
    ApiPath((id, sid)): ApiPath<(HearingId, Uuid)>,
    mut parts: Parts,
) -> ApiResult<Response> {
    let reader = reader(&state, &mut parts, id).await?;
    let owner = state
        .store
        .signatures(id)
        .await?
        .into_iter()
        .find(|s| s.id == sid)
        .map(|s| s.participant_id);
    let Some(image) = state
        .store
        .signature_image(id, sid)
        .await?
        .filter(|_| owner.is_some_and(|owner| reader.may_see(owner)))
    else {
        return Err(ApiError::not_found("signature"));
    };
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("image/png")),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=86400, immutable"),
            ),
        ],
        image,
    )
        .into_response())
}

/// Correction requests (申请补正), oldest first: all for the court, a party's own for them.
#[utoipa::path(get, path = "/api/v1/hearings/{id}/transcript/corrections", tag = "transcript",
    params(("id" = String, Path, description = "Hearing id")),
    responses((status = 200, body = Vec<CorrectionView>), (status = 403, body = super::error::Problem)))]
async fn corrections(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<HearingId>,
    mut parts: Parts,
) -> ApiResult<ApiJson<Vec<CorrectionView>>> {
    let reader = reader(&state, &mut parts, id).await?;
    let mut views = correction_views(&state, id).await?;
    views.retain(|c| reader.may_see(c.participant_id));
    Ok(ApiJson(views))
}

/// A participant asks for a correction instead of signing (申请补正).
#[utoipa::path(post, path = "/api/v1/hearings/{id}/transcript/corrections", tag = "transcript", request_body = CorrectionInput,
    params(("id" = String, Path, description = "Hearing id")),
    responses(
        (status = 201, body = CorrectionView),
        (status = 403, body = super::error::Problem),
        (status = 404, body = super::error::Problem, description = "`version_not_found`"),
        (status = 409, body = super::error::Problem, description = "`confirmation_closed`"),
        (status = 422, body = super::error::Problem),
    ))]
async fn request_correction(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<HearingId>,
    mut parts: Parts,
    ApiJson(body): ApiJson<CorrectionInput>,
) -> ApiResult<(StatusCode, ApiJson<CorrectionView>)> {
    let session = participant(&state, &mut parts, id).await?;
    session.require(Action::SignTranscript)?;
    writable(&session.hearing)?;
    let text = transcript::correction_text(&body.text, "text")?;
    if state
        .store
        .transcript_version(id, body.version)
        .await?
        .is_none()
    {
        return Err(version_not_found(body.version));
    }
    let correction = Correction {
        id: Uuid::now_v7(),
        hearing_id: id,
        participant_id: session.participant.id,
        version: body.version,
        text,
        requested_at: court::to_storage_precision(Utc::now()),
        status: CorrectionStatus::Pending,
        reason: None,
        resolved_by: None,
        resolved_at: None,
        resolved_version: None,
    };
    let audit = NewAuditEvent::new(
        session.actor(),
        "transcript.correction_request",
        json!({"correction": correction.id, "version": correction.version, "text": correction.text}),
    )
    .court(session.hearing.court_id)
    .hearing(id);
    match state.store.add_correction(&correction, audit).await {
        Ok(()) => {}
        Err(store::StoreError::Conflict(store::Conflict::ConfirmationClosed)) => {
            return Err(confirmation_closed());
        }
        Err(other) => return Err(other.into()),
    }
    state.live.publish(
        id,
        json!({"type": "confirmation", "open": true, "changed": "correction"}),
    );
    Ok((
        StatusCode::CREATED,
        ApiJson(correction_view(correction, Some(&session.participant))),
    ))
}

/// The clerk answers a correction request: accepted (after saving the corrected
/// version, which the answer records) or refused with a reason.
#[utoipa::path(post, path = "/api/v1/hearings/{id}/transcript/corrections/{cid}/resolution", tag = "transcript",
    request_body = CorrectionResolution,
    params(("id" = String, Path, description = "Hearing id"), ("cid" = String, Path, description = "Correction id")),
    responses(
        (status = 200, body = CorrectionView),
        (status = 403, body = super::error::Problem),
        (status = 404, body = super::error::Problem),
        (status = 409, body = super::error::Problem, description = "`correction_resolved`: already answered"),
        (status = 422, body = super::error::Problem, description = "A refusal without a reason"),
    ))]
async fn resolve_correction(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath((id, cid)): ApiPath<(HearingId, Uuid)>,
    ApiJson(body): ApiJson<CorrectionResolution>,
) -> ApiResult<ApiJson<CorrectionView>> {
    let hearing = visible_hearing(&state, &staff, id).await?;
    staff.require(Action::EditTranscript)?;
    writable(&hearing)?;
    let correction = state
        .store
        .correction(id, cid)
        .await?
        .ok_or_else(|| ApiError::not_found("correction"))?;
    let latest = latest_number(&state, id).await?;
    let resolved = correction
        .resolve(
            body.accepted,
            &body.reason,
            latest,
            staff.user.id,
            court::to_storage_precision(Utc::now()),
        )
        .map_err(|err| match err {
            transcript::ResolveError::AlreadyResolved => already_resolved(),
            transcript::ResolveError::Invalid(invalid) => invalid.into(),
        })?;
    let audit = NewAuditEvent::new(
        staff.actor(),
        "transcript.correction_resolve",
        json!({
            "correction": resolved.id, "status": resolved.status, "reason": resolved.reason,
            "resolved_version": resolved.resolved_version,
        }),
    )
    .court(hearing.court_id)
    .hearing(id);
    match state.store.resolve_correction(&resolved, audit).await {
        Ok(()) => {}
        Err(store::StoreError::Conflict(store::Conflict::StateChanged)) => {
            return Err(already_resolved());
        }
        Err(other) => return Err(other.into()),
    }
    state.live.publish(
        id,
        json!({"type": "confirmation", "open": true, "changed": "correction"}),
    );
    let who = state.store.participant(resolved.participant_id).await.ok();
    Ok(ApiJson(correction_view(resolved, who.as_ref())))
}

fn already_resolved() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "correction_resolved",
        "该补正申请已处理",
        "This correction request was already answered",
    )
}

/// The court's local time as the PDF prints it: 2026年11月28日 14:05.
fn local_time(at: DateTime<Utc>, zone: chrono_tz::Tz) -> String {
    at.with_timezone(&zone)
        .format("%Y年%m月%d日 %H:%M")
        .to_string()
}

/// A version laid out for print, with the signatures bound to exactly that version
/// (a participant's latest one; outdated signatures belong to other versions' PDFs).
async fn printable(
    state: &AppState,
    hearing: &Hearing,
    version: Version,
) -> ApiResult<transcript_pdf::Transcript> {
    let zone = state.store.court(hearing.court_id).await?.time_zone.tz();
    let participants: HashMap<ParticipantId, court::Participant> = state
        .store
        .participants(hearing.id)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let mut signatures: Vec<Signature> = state
        .store
        .signatures(hearing.id)
        .await?
        .into_iter()
        .filter(|s| s.sha256 == version.info.sha256)
        .collect();
    // Oldest first; keep one per participant, in the order they signed.
    signatures.dedup_by_key(|s| s.participant_id);
    let mut blocks = Vec::with_capacity(signatures.len());
    for signature in signatures {
        let png = state
            .store
            .signature_image(hearing.id, signature.id)
            .await?
            .ok_or_else(|| ApiError::internal("a signature without its image"))?;
        let who = participants.get(&signature.participant_id);
        blocks.push(transcript_pdf::SignatureBlock {
            signer: who.map(|p| p.name.to_string()).unwrap_or_default(),
            role: who
                .map(|p| p.role.label_zh().to_owned())
                .unwrap_or_default(),
            signed_at: local_time(signature.signed_at, zone),
            sha256: signature.sha256,
            png,
        });
    }
    let content = version.content;
    let header = &content.header;
    Ok(transcript_pdf::Transcript {
        court: header.court.clone(),
        title: header.title.clone(),
        header: vec![
            ("时间".to_owned(), header.time.clone()),
            ("地点".to_owned(), header.place.clone()),
            ("案由".to_owned(), header.cause.clone()),
            ("案号".to_owned(), header.case_number.clone()),
            ("审判人员".to_owned(), header.judges.join("、")),
            ("书记员".to_owned(), header.clerk.clone()),
        ],
        opening_note: content.opening_note,
        entries: content
            .entries
            .into_iter()
            .map(|entry| transcript_pdf::Entry {
                speaker: format!("{} {}", entry.role.label_zh(), entry.name),
                text: entry.text,
            })
            .collect(),
        version: u32::try_from(version.info.number).unwrap_or_default(),
        sha256: version.info.sha256,
        signatures: blocks,
        labels: transcript_pdf::Labels::default(),
    })
}

/// `filename*` of a Content-Disposition (RFC 6266 / 5987): UTF-8, percent-encoded.
pub(super) fn encoded_filename(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// The transcript as a PDF signed by the court (PAdES): the header, the entries, page
/// numbers, and each signature of this version with signer, role, time and hash.
#[utoipa::path(get, path = "/api/v1/hearings/{id}/transcript.pdf", tag = "transcript",
    params(("id" = String, Path, description = "Hearing id"), VersionQuery),
    responses(
        (status = 200, content_type = "application/pdf", description = "The signed PDF"),
        (status = 403, body = super::error::Problem),
        (status = 404, body = super::error::Problem, description = "`version_not_found`, or nothing saved yet"),
    ))]
async fn transcript_pdf(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<HearingId>,
    query: Result<Query<VersionQuery>, QueryRejection>,
    mut parts: Parts,
) -> ApiResult<Response> {
    let Query(query) = query?;
    let Reader { actor, hearing, .. } = reader(&state, &mut parts, id).await?;
    let number = match query.version {
        Some(number) => number,
        None => latest_number(&state, id).await?,
    };
    let version = state
        .store
        .transcript_version(id, number)
        .await?
        .ok_or_else(|| version_not_found(number))?;
    let case_number = version.content.header.case_number.clone();
    let document = printable(&state, &hearing, version).await?;
    let (version_number, sha256, signed) = (
        document.version,
        document.sha256.clone(),
        document.signatures.len(),
    );
    let service = state.pdf().await.map_err(ApiError::internal)?;
    let pdf = tokio::task::spawn_blocking(move || service.render_signed(&document))
        .await
        .map_err(ApiError::internal)?
        .map_err(|err| ApiError::internal(format!("{err:#}")))?;
    let audit = NewAuditEvent::new(
        actor,
        "transcript.pdf",
        json!({
            "version": version_number, "sha256": sha256, "signatures": signed,
            "pdf_sha256": hex::encode(Sha256::digest(&pdf)), "bytes": pdf.len(),
        }),
    )
    .court(hearing.court_id)
    .hearing(id);
    state.store.append_audit(audit).await?;
    let filename = format!("庭审笔录-{case_number}-第{version_number}版.pdf");
    let disposition = format!(
        "inline; filename=\"transcript-{version_number}.pdf\"; filename*=UTF-8''{}",
        encoded_filename(&filename)
    );
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/pdf"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition).map_err(ApiError::internal)?,
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            ),
        ],
        pdf,
    )
        .into_response())
}
