//! Participants (参与人) of a hearing: add, edit and remove the people the court invites,
//! admit them, mute them (静音: the SFU forwards none of their audio until unmuted), call
//! a witness in and send them out again (传唤入庭, 退庭), and remove someone from the live
//! hearing (移出庭审: back to the waiting room, media ended at once). Who may is the
//! permission table's; when, `court::admission`'s.

use super::Staff;
use super::error::{ApiError, ApiJson, ApiPath, ApiResult};
use super::hearings::visible_hearing;
use super::join::ParticipantSession;
use crate::app::AppState;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use court::admission::{Refusal, RemovalReason};
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
        .routes(routes!(call_in))
        .routes(routes!(removal))
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
/// court rules, and the hearing must be open. A witness is not admitted but called in.
#[utoipa::path(post, path = "/api/v1/hearings/{id}/participants/{pid}/check-in", tag = "participants",
    params(("id" = String, Path, description = "Hearing id"), ("pid" = String, Path, description = "Participant id")),
    responses(
        (status = 200, body = ParticipantView),
        (status = 409, body = super::error::Problem, description = "Hearing not open, or rules not confirmed"),
        (status = 422, body = super::error::Problem, description = "A witness, whom the court calls in instead (witness_needs_call_in)"),
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
    state
        .live
        .set_muted(
            hearing.id,
            crate::live::Member::Participant(participant.id),
            body.muted,
        )
        .await?;
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

impl From<Refusal> for ApiError {
    /// A step asked of the wrong person (a call-in for a party) is 422; one asked at the
    /// wrong moment (the hearing not open, the rules not confirmed) is 409.
    fn from(refusal: Refusal) -> Self {
        let status = if refusal.is_about_the_role() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::CONFLICT
        };
        ApiError::new(
            status,
            refusal.code(),
            refusal.message_zh(),
            refusal.to_string(),
        )
    }
}

/// Whoever asks to act on a participant in the live hearing: a staff member, or a
/// signed-in participant — who is refused with 403, not 401, since they did sign in.
pub enum Caller {
    Staff(Staff),
    Participant(Box<ParticipantSession>),
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match Staff::from_request_parts(parts, state).await {
            Ok(staff) => Ok(Caller::Staff(staff)),
            Err(no_staff) => match ParticipantSession::from_request_parts(parts, state).await {
                Ok(session) => Ok(Caller::Participant(Box::new(session))),
                // Neither: the staff sign-in is what these requests need.
                Err(_) => Err(no_staff),
            },
        }
    }
}

impl Caller {
    /// The staff member, if the permission table lets their role do `action`.
    fn staff_for(self, action: Action) -> ApiResult<Staff> {
        match self {
            Caller::Staff(staff) => {
                staff.require(action)?;
                Ok(staff)
            }
            Caller::Participant(session) => {
                session.require(action)?;
                // No participant role may act on others; the table says so too.
                Err(ApiError::forbidden())
            }
        }
    }
}

/// A live hearing's participant to act on, refusing the bench itself: staff are the
/// court and are never removed or called (422 rather than a bare 404, which would
/// suggest a typo).
async fn live_participant_of(
    state: &AppState,
    hearing: &Hearing,
    pid: ParticipantId,
) -> ApiResult<Participant> {
    match participant_of(state, hearing.id, pid).await {
        Err(err) if err.status == StatusCode::NOT_FOUND => {
            let bench = state.store.bench(hearing.id).await?;
            if bench.iter().any(|seat| seat.user.id.0 == pid.0) {
                Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "staff_not_participant",
                    "审判人员和书记员是法庭组成人员，不能被移出或传唤",
                    "The judges and the clerk are the court: they are not removed or called in",
                ))
            } else {
                Err(err)
            }
        }
        other => other,
    }
}

/// Whether a witness is to be in the hearing room.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CallInRequest {
    /// true: 传唤入庭 (call in); false: 退庭 (send out again, e.g. after testifying).
    pub called_in: bool,
}

/// A witness's call-in state after the change.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CallInState {
    pub participant_id: ParticipantId,
    pub called_in: bool,
}

/// Call a witness in (传唤证人入庭) or send them out again (退庭). Until called in, a
/// witness waits outside: no media, no roster of others, no tile on anyone's screen
/// (a witness must not follow the hearing before testifying). Called in, they are
/// admitted like a party and get media; sent out, their media ends at once and their
/// tile disappears. Only a witness is called in: an expert or interpreter is admitted
/// with 准许入庭 (see `court::admission::waits_for_call_in`).
#[utoipa::path(post, path = "/api/v1/hearings/{id}/participants/{pid}/call-in", tag = "participants", request_body = CallInRequest,
    params(("id" = String, Path, description = "Hearing id"), ("pid" = String, Path, description = "Participant id (a witness)")),
    responses(
        (status = 200, body = CallInState),
        (status = 400, body = super::error::Problem, description = "Malformed JSON"),
        (status = 401, body = super::error::Problem, description = "Not signed in"),
        (status = 403, body = super::error::Problem, description = "Not the court's judge or clerk (parties are refused)"),
        (status = 404, body = super::error::Problem, description = "No such participant in this hearing"),
        (status = 409, body = super::error::Problem, description = "Hearing not open (hearing_not_open), or the witness has not confirmed the court rules (rules_not_confirmed)"),
        (status = 422, body = super::error::Problem, description = "Not a witness (not_a_witness), or a judge or clerk (staff_not_participant)"),
    ))]
async fn call_in(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, pid)): ApiPath<(HearingId, ParticipantId)>,
    ApiJson(body): ApiJson<CallInRequest>,
) -> ApiResult<ApiJson<CallInState>> {
    let staff = caller.staff_for(Action::CallInWitness)?;
    let hearing = visible_hearing(&state, &staff, id).await?;
    let witness = live_participant_of(&state, &hearing, pid).await?;
    court::admission::check_call_in(&witness, hearing.state, body.called_in)?;
    let audit = NewAuditEvent::new(
        staff.actor(),
        "participant.call_in",
        json!({
            "participant_id": witness.id,
            "name": witness.name,
            "role": witness.role,
            "called_in": body.called_in,
        }),
    )
    .court(hearing.court_id)
    .hearing(hearing.id);
    if body.called_in {
        state
            .store
            .mark_participant(witness.id, store::ParticipantMark::CheckedIn, audit)
            .await?;
    } else {
        state.store.revoke_admission(witness.id, audit).await?;
    }
    // The roster moves the witness in or out on every screen; the witness's own live
    // connection reads it there too and, sent out, ends its media at once.
    super::live::publish_roster(&state, hearing.id).await;
    Ok(ApiJson(CallInState {
        participant_id: witness.id,
        called_in: body.called_in,
    }))
}

/// Why the court removes someone (optional; kept in the audit log and shown to them).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct RemovalRequest {
    /// At most 200 characters; blank means none.
    #[serde(default)]
    pub reason: Option<String>,
}

/// A removal done.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Removal {
    pub participant_id: ParticipantId,
    pub reason: Option<String>,
}

/// Remove a participant from the live hearing (移出庭审): their admission is taken back
/// (they wait in the waiting room until admitted again with 准许入庭; a witness, until
/// called in), their live connection is told (`{"type":"removed"}`) and leaves the SFU
/// at once. Only while the hearing is open, in session or in recess; staff are never
/// removed.
#[utoipa::path(post, path = "/api/v1/hearings/{id}/participants/{pid}/removal", tag = "participants", request_body = RemovalRequest,
    params(("id" = String, Path, description = "Hearing id"), ("pid" = String, Path, description = "Participant id")),
    responses(
        (status = 200, body = Removal),
        (status = 400, body = super::error::Problem, description = "Malformed JSON"),
        (status = 401, body = super::error::Problem, description = "Not signed in"),
        (status = 403, body = super::error::Problem, description = "Not the court's judge or clerk (parties are refused)"),
        (status = 404, body = super::error::Problem, description = "No such participant in this hearing"),
        (status = 409, body = super::error::Problem, description = "Hearing not open, in session or in recess (hearing_not_open), or the participant is not in the room (not_in_the_room)"),
        (status = 422, body = super::error::Problem, description = "A judge or clerk (staff_not_participant), or a reason too long"),
    ))]
async fn removal(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, pid)): ApiPath<(HearingId, ParticipantId)>,
    ApiJson(body): ApiJson<RemovalRequest>,
) -> ApiResult<ApiJson<Removal>> {
    let staff = caller.staff_for(Action::RemoveParticipant)?;
    let hearing = visible_hearing(&state, &staff, id).await?;
    let reason = RemovalReason::parse(body.reason.as_deref())?;
    let participant = live_participant_of(&state, &hearing, pid).await?;
    court::admission::check_remove(&participant, hearing.state)?;
    let reason = reason.as_ref().map(|r| r.as_str().to_owned());
    // `participant.remove` already names deleting a participant from the hearing's list.
    let audit = NewAuditEvent::new(
        staff.actor(),
        "participant.removal",
        json!({
            "participant_id": participant.id,
            "name": participant.name,
            "role": participant.role,
            "reason": reason,
        }),
    )
    .court(hearing.court_id)
    .hearing(hearing.id);
    state.store.revoke_admission(participant.id, audit).await?;
    super::live::publish_removed(&state, hearing.id, participant.id, reason.as_deref());
    super::live::publish_roster(&state, hearing.id).await;
    Ok(ApiJson(Removal {
        participant_id: participant.id,
        reason,
    }))
}
