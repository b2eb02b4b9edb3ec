//! Participants (参与人) of a hearing: add, edit and remove the people the court invites,
//! admit them, and mute them (静音: the SFU forwards none of their audio until unmuted).

use super::Staff;
use super::error::{ApiError, ApiJson, ApiPath, ApiResult};
use super::hearings::visible_hearing;
use crate::app::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use court::{
    Action, Hearing, HearingId, IdNumber, Invalid, NewAuditEvent, Participant, ParticipantId,
    ParticipantRole, PersonName, PhoneNumber,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(add_participant))
        .routes(routes!(update_participant, remove_participant))
        .routes(routes!(check_in))
        .routes(routes!(mute))
}

/// A participant as staff give it: every field is checked before anything is stored.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewParticipant {
    pub name: String,
    /// plaintiff, defendant, third_party, agent, witness, expert or interpreter.
    pub role: String,
    /// Mainland mobile number; the invitation SMS goes there.
    #[serde(default)]
    pub phone: Option<String>,
    /// Resident identity card number (optional).
    #[serde(default)]
    pub id_number: Option<String>,
}

impl NewParticipant {
    /// Parses every field into the domain's participant (blank optional fields are none).
    pub fn into_participant(
        self,
        hearing_id: HearingId,
        now: DateTime<Utc>,
    ) -> Result<Participant, Invalid> {
        let present = |value: Option<String>| value.filter(|v| !v.trim().is_empty());
        Ok(Participant {
            id: ParticipantId::new(),
            hearing_id,
            name: PersonName::parse(&self.name)?,
            role: ParticipantRole::parse_invited(self.role.trim())?,
            phone: present(self.phone)
                .map(|p| PhoneNumber::parse(&p))
                .transpose()?,
            id_number: present(self.id_number)
                .map(|n| IdNumber::parse(&n))
                .transpose()?,
            rules_confirmed_at: None,
            checked_in_at: None,
            created_at: court::to_storage_precision(now),
        })
    }
}

/// A participant as staff see it: the phone in full (they call people) and masked.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ParticipantView {
    pub id: ParticipantId,
    pub hearing_id: HearingId,
    pub name: String,
    pub role: ParticipantRole,
    pub phone: Option<String>,
    /// 138****1234, for lists on screens others may see.
    pub phone_masked: Option<String>,
    pub id_number: Option<String>,
    /// The latest notice that told them the hearing's time, and how it fared.
    pub invitation: Option<super::invitations::NoticeStatus>,
    pub created_at: DateTime<Utc>,
}

impl ParticipantView {
    pub fn with_invitation(mut self, notice: Option<court::OutboxMessage>) -> Self {
        self.invitation = notice.map(super::invitations::NoticeStatus::from);
        self
    }
}

impl From<Participant> for ParticipantView {
    fn from(p: Participant) -> Self {
        Self {
            id: p.id,
            hearing_id: p.hearing_id,
            name: p.name.to_string(),
            role: p.role,
            phone_masked: p.phone.as_ref().map(PhoneNumber::masked),
            phone: p.phone.map(String::from),
            id_number: p.id_number.map(String::from),
            invitation: None,
            created_at: p.created_at,
        }
    }
}

/// What the audit log keeps of a participant: no full phone or ID number.
fn audit_details(p: &Participant) -> serde_json::Value {
    json!({
        "participant_id": p.id,
        "name": p.name,
        "role": p.role,
        "phone": p.phone.as_ref().map(PhoneNumber::masked),
        "id_number": p.id_number.as_ref().map(IdNumber::masked),
    })
}

/// The hearing, if this staff member may change its participants now.
pub async fn editable_hearing(
    state: &AppState,
    staff: &Staff,
    id: HearingId,
) -> ApiResult<Hearing> {
    let hearing = visible_hearing(state, staff, id).await?;
    staff.require(Action::ManageParticipants)?;
    if !hearing.state.accepts_participant_changes() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "hearing_finished",
            format!(
                "庭审当前状态为“{}”，不能再更改参与人",
                hearing.state.label_zh()
            ),
            format!(
                "A hearing that is {} no longer takes participant changes",
                hearing.state
            ),
        ));
    }
    Ok(hearing)
}

/// The participant `pid` of hearing `id`.
pub async fn participant_of(
    state: &AppState,
    id: HearingId,
    pid: ParticipantId,
) -> ApiResult<Participant> {
    let participant = state.store.participant(pid).await?;
    if participant.hearing_id != id {
        return Err(ApiError::not_found("participant"));
    }
    Ok(participant)
}

/// Add a participant (添加参与人).
#[utoipa::path(post, path = "/api/v1/hearings/{id}/participants", tag = "participants", request_body = NewParticipant,
    params(("id" = String, Path, description = "Hearing id")),
    responses(
        (status = 201, body = ParticipantView),
        (status = 409, body = super::error::Problem, description = "The phone belongs to another participant of this hearing"),
        (status = 422, body = super::error::Problem, description = "Invalid name, role, phone or ID number"),
    ))]
async fn add_participant(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<HearingId>,
    ApiJson(body): ApiJson<NewParticipant>,
) -> ApiResult<(StatusCode, ApiJson<ParticipantView>)> {
    let hearing = editable_hearing(&state, &staff, id).await?;
    let participant = body.into_participant(hearing.id, Utc::now())?;
    let audit = NewAuditEvent::new(
        staff.actor(),
        "participant.add",
        audit_details(&participant),
    )
    .court(hearing.court_id)
    .hearing(hearing.id);
    state.store.add_participant(&participant, audit).await?;
    super::live::publish_roster(&state, hearing.id).await;
    Ok((StatusCode::CREATED, ApiJson(participant.into())))
}

/// Edit a participant: the body replaces name, role, phone and ID number.
#[utoipa::path(patch, path = "/api/v1/hearings/{id}/participants/{pid}", tag = "participants", request_body = NewParticipant,
    params(("id" = String, Path, description = "Hearing id"), ("pid" = String, Path, description = "Participant id")),
    responses((status = 200, body = ParticipantView), (status = 404, body = super::error::Problem), (status = 409, body = super::error::Problem), (status = 422, body = super::error::Problem)))]
async fn update_participant(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath((id, pid)): ApiPath<(HearingId, ParticipantId)>,
    ApiJson(body): ApiJson<NewParticipant>,
) -> ApiResult<ApiJson<ParticipantView>> {
    let hearing = editable_hearing(&state, &staff, id).await?;
    let before = participant_of(&state, id, pid).await?;
    let parsed = body.into_participant(hearing.id, Utc::now())?;
    let after = Participant {
        id: before.id,
        rules_confirmed_at: before.rules_confirmed_at,
        checked_in_at: before.checked_in_at,
        created_at: before.created_at,
        ..parsed
    };
    let audit = NewAuditEvent::new(
        staff.actor(),
        "participant.update",
        json!({"before": audit_details(&before), "after": audit_details(&after)}),
    )
    .court(hearing.court_id)
    .hearing(hearing.id);
    state.store.update_participant(&after, audit).await?;
    super::live::publish_roster(&state, hearing.id).await;
    Ok(ApiJson(after.into()))
}

/// Remove a participant.
#[utoipa::path(delete, path = "/api/v1/hearings/{id}/participants/{pid}", tag = "participants",
    params(("id" = String, Path, description = "Hearing id"), ("pid" = String, Path, description = "Participant id")),
    responses((status = 204, description = "Removed"), (status = 404, body = super::error::Problem)))]
async fn remove_participant(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath((id, pid)): ApiPath<(HearingId, ParticipantId)>,
) -> ApiResult<StatusCode> {
    let hearing = editable_hearing(&state, &staff, id).await?;
    let participant = participant_of(&state, id, pid).await?;
    let audit = NewAuditEvent::new(
        staff.actor(),
        "participant.remove",
        audit_details(&participant),
    )
    .court(hearing.court_id)
    .hearing(hearing.id);
    state.store.remove_participant(pid, audit).await?;
    super::live::publish_roster(&state, hearing.id).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Admit a waiting participant into the hearing (签到); they must have confirmed the
/// court rules, and the hearing must be open.
#[utoipa::path(post, path = "/api/v1/hearings/{id}/participants/{pid}/check-in", tag = "participants",
    params(("id" = String, Path, description = "Hearing id"), ("pid" = String, Path, description = "Participant id")),
    responses(
        (status = 200, body = ParticipantView),
        (status = 409, body = super::error::Problem, description = "Hearing not open, or rules not confirmed"),
    ))]
async fn check_in(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath((id, pid)): ApiPath<(HearingId, ParticipantId)>,
) -> ApiResult<ApiJson<ParticipantView>> {
    let hearing = visible_hearing(&state, &staff, id).await?;
    staff.require(Action::ManageParticipants)?;
    let participant = participant_of(&state, id, pid).await?;
    let admitted = super::join::check_in(&state, &staff, &hearing, &participant).await?;
    Ok(ApiJson(admitted.into()))
}

/// Whether a participant is to be muted.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct MuteRequest {
    pub muted: bool,
}

/// A participant's mute state after the change.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MuteState {
    pub participant_id: ParticipantId,
    pub muted: bool,
}

/// Mute (静音) or unmute a participant for everyone: the SFU stops forwarding their
/// audio (video goes on), also for a media session they start later; every client sees
/// the state in the roster.
#[utoipa::path(post, path = "/api/v1/hearings/{id}/participants/{pid}/mute", tag = "participants", request_body = MuteRequest,
    params(("id" = String, Path, description = "Hearing id"), ("pid" = String, Path, description = "Participant id")),
    responses(
        (status = 200, body = MuteState),
        (status = 403, body = super::error::Problem, description = "Not the hearing's judge or clerk"),
        (status = 404, body = super::error::Problem, description = "No such participant in this hearing"),
    ))]
async fn mute(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath((id, pid)): ApiPath<(HearingId, ParticipantId)>,
    ApiJson(body): ApiJson<MuteRequest>,
) -> ApiResult<ApiJson<MuteState>> {
    let hearing = visible_hearing(&state, &staff, id).await?;
    staff.require(Action::MuteParticipant)?;
    let participant = participant_of(&state, id, pid).await?;
    let audit = NewAuditEvent::new(
        staff.actor(),
        "participant.mute",
        json!({
            "participant_id": participant.id,
            "name": participant.name,
            "role": participant.role,
            "muted": body.muted,
        }),
    )
    .court(hearing.court_id)
    .hearing(hearing.id);
    state.store.append_audit(audit).await?;
    state.live.set_muted(
        hearing.id,
        crate::live::Member::Participant(participant.id),
        body.muted,
    );
    if let Err(err) = state.media.set_muted(
        &hearing.id.to_string(),
        &participant.id.to_string(),
        body.muted,
    ) {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "media_unavailable",
            "音视频服务不可用",
            format!("The mute could not reach the media engine: {err}"),
        ));
    }
    super::live::publish_roster(&state, hearing.id).await;
    Ok(ApiJson(MuteState {
        participant_id: participant.id,
        muted: body.muted,
    }))
}
