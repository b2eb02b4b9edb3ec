//! Invitations (开庭通知) by SMS: send the hearing's notices, resend one, and read the
//! outbox with each message's delivery status.

use super::Staff;
use super::error::{ApiError, ApiJson, ApiPath, ApiResult};
use super::hearings::{NoticeContext, visible_hearing};
use super::participants::participant_of;
use crate::app::AppState;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use court::{
    Action, HearingId, Invalid, NewAuditEvent, NoticeKind, OutboxMessage, ParticipantId,
    ParticipantRole, SmsStatus,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(send_invitations))
        .routes(routes!(resend_invitation))
        .routes(routes!(outbox))
}

/// How a participant's notice fared.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NoticeStatus {
    pub message_id: uuid::Uuid,
    pub kind: NoticeKind,
    pub status: SmsStatus,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// When a failed message is tried again; none when it was given up.
    pub next_attempt_at: Option<DateTime<Utc>>,
}

impl From<OutboxMessage> for NoticeStatus {
    fn from(m: OutboxMessage) -> Self {
        Self {
            message_id: m.id,
            kind: m.kind,
            status: m.status,
            attempts: m.attempts,
            last_error: m.last_error,
            sent_at: m.sent_at,
            delivered_at: m.delivered_at,
            next_attempt_at: m.next_attempt_at.filter(|_| m.status == SmsStatus::Failed),
        }
    }
}

/// A message of the outbox as staff see it in lists: the phone masked.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OutboxView {
    pub id: uuid::Uuid,
    pub hearing_id: Option<HearingId>,
    pub participant_id: Option<ParticipantId>,
    pub participant_name: String,
    /// 138****1234.
    pub phone_masked: String,
    /// The SMS word for word.
    pub text: String,
    pub kind: NoticeKind,
    pub status: SmsStatus,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub provider_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub next_attempt_at: Option<DateTime<Utc>>,
}

impl From<OutboxMessage> for OutboxView {
    fn from(m: OutboxMessage) -> Self {
        Self {
            id: m.id,
            hearing_id: m.hearing_id,
            participant_id: m.participant_id,
            participant_name: m.recipient_name,
            phone_masked: sms::masked(&m.phone),
            text: m.text,
            kind: m.kind,
            status: m.status,
            attempts: m.attempts,
            last_error: m.last_error,
            provider_id: m.provider_id,
            created_at: m.created_at,
            sent_at: m.sent_at,
            delivered_at: m.delivered_at,
            next_attempt_at: m.next_attempt_at.filter(|_| m.status == SmsStatus::Failed),
        }
    }
}

/// Each participant's latest notice of the hearing's time (invitation or new time).
pub async fn latest_schedule_notices(
    state: &AppState,
    hearing_id: HearingId,
) -> ApiResult<HashMap<ParticipantId, OutboxMessage>> {
    let mut latest: HashMap<ParticipantId, OutboxMessage> = HashMap::new();
    // What told them the current time: the invitation, or the notice of a new time.
    for kind in [NoticeKind::Invitation, NoticeKind::Reschedule] {
        for message in state.store.hearing_sms(hearing_id, kind).await? {
            let Some(participant) = message.participant_id else {
                continue;
            };
            let newer = latest
                .get(&participant)
                .is_none_or(|seen| seen.created_at < message.created_at);
            if newer {
                latest.insert(participant, message);
            }
        }
    }
    Ok(latest)
}

/// A participant the notices could not reach.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Skipped {
    pub participant_id: ParticipantId,
    pub name: String,
    pub role: ParticipantRole,
    /// `no_phone`.
    pub reason: &'static str,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InvitationReport {
    /// Messages queued now (participants already told this time are not told again).
    pub queued: usize,
    /// Participants without a phone: staff must reach them another way or add one.
    pub skipped: Vec<Skipped>,
}

fn before_session(hearing: &court::Hearing) -> ApiResult<()> {
    if hearing.state.can_reschedule() {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::CONFLICT,
        "hearing_finished",
        format!(
            "庭审当前状态为“{}”，不能发送开庭通知",
            hearing.state.label_zh()
        ),
        format!("A hearing that is {} takes no more notices", hearing.state),
    ))
}

/// Send the hearing notices (发送开庭通知) by SMS to every participant with a phone.
#[utoipa::path(post, path = "/api/v1/hearings/{id}/invitations", tag = "invitations",
    params(("id" = String, Path, description = "Hearing id")),
    responses(
        (status = 200, body = InvitationReport),
        (status = 409, body = super::error::Problem, description = "The hearing has started or ended"),
    ))]
async fn send_invitations(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<HearingId>,
) -> ApiResult<ApiJson<InvitationReport>> {
    let hearing = visible_hearing(&state, &staff, id).await?;
    staff.require(Action::SendInvitations)?;
    before_session(&hearing)?;
    let participants = state.store.participants(id).await?;
    let now = Utc::now();
    let context = NoticeContext::load(&state, &hearing).await?;
    let messages = context
        .notices()
        .for_everyone(NoticeKind::Invitation, &participants, now);
    let skipped: Vec<Skipped> = participants
        .iter()
        .filter(|p| p.phone.is_none())
        .map(|p| Skipped {
            participant_id: p.id,
            name: p.name.to_string(),
            role: p.role,
            reason: "no_phone",
        })
        .collect();
    let audit = NewAuditEvent::new(
        staff.actor(),
        "notice.invitations",
        json!({
            "without_phone": skipped.iter().map(|s| s.participant_id).collect::<Vec<_>>(),
        }),
    )
    .court(hearing.court_id)
    .hearing(hearing.id);
    let queued = state
        .store
        .enqueue_sms(
            &messages,
            Some((hearing.id, court::to_storage_precision(now))),
            audit,
        )
        .await?;
    if queued > 0 {
        state.outbox_wakeup.notify_one();
    }
    Ok(ApiJson(InvitationReport { queued, skipped }))
}

/// Send one participant's invitation again (重发), e.g. after their phone was corrected.
#[utoipa::path(post, path = "/api/v1/hearings/{id}/participants/{pid}/invitation", tag = "invitations",
    params(("id" = String, Path, description = "Hearing id"), ("pid" = String, Path, description = "Participant id")),
    responses(
        (status = 201, body = OutboxView),
        (status = 409, body = super::error::Problem, description = "The hearing has started or ended"),
        (status = 422, body = super::error::Problem, description = "The participant has no phone"),
    ))]
async fn resend_invitation(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath((id, pid)): ApiPath<(HearingId, ParticipantId)>,
) -> ApiResult<(StatusCode, ApiJson<OutboxView>)> {
    let hearing = visible_hearing(&state, &staff, id).await?;
    staff.require(Action::SendInvitations)?;
    before_session(&hearing)?;
    let participant = participant_of(&state, id, pid).await?;
    let context = NoticeContext::load(&state, &hearing).await?;
    let now = Utc::now();
    let key = format!("resend:{}", uuid::Uuid::now_v7());
    let message = context
        .notices()
        .message(
            NoticeKind::Invitation,
            &participant,
            hearing.scheduled_at,
            key,
            now,
        )
        .ok_or_else(|| {
            Invalid::new(
                "phone",
                format!("{}没有手机号码，无法发送开庭通知", participant.name),
                format!(
                    "{} has no phone number to send the invitation to",
                    participant.name
                ),
            )
        })?;
    let audit = NewAuditEvent::new(
        staff.actor(),
        "notice.resend",
        json!({"message_id": message.id, "participant_id": participant.id}),
    )
    .court(hearing.court_id)
    .hearing(hearing.id);
    state
        .store
        .enqueue_sms(
            std::slice::from_ref(&message),
            Some((hearing.id, court::to_storage_precision(now))),
            audit,
        )
        .await?;
    state.outbox_wakeup.notify_one();
    Ok((StatusCode::CREATED, ApiJson(message.into())))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutboxQuery {
    /// Only this hearing's messages.
    pub hearing_id: Option<HearingId>,
    /// queued, sending, sent, delivered or failed.
    pub status: Option<String>,
    /// At most this many (default 100, at most 1000).
    pub limit: Option<i64>,
}

/// The court's SMS outbox, newest first.
#[utoipa::path(get, path = "/api/v1/sms/outbox", tag = "invitations", params(OutboxQuery),
    responses((status = 200, body = Vec<OutboxView>), (status = 422, body = super::error::Problem)))]
async fn outbox(
    State(state): State<AppState>,
    staff: Staff,
    query: Result<Query<OutboxQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<ApiJson<Vec<OutboxView>>> {
    let Query(query) = query?;
    staff.require(Action::ViewOutbox)?;
    let status = match query.status.as_deref().filter(|s| !s.is_empty()) {
        Some(raw) => Some(SmsStatus::parse(raw).ok_or_else(|| {
            Invalid::new(
                "status",
                format!("未知的短信状态：{raw}"),
                format!(
                    "Unknown status: {raw} (expected queued, sending, sent, delivered or failed)"
                ),
            )
        })?),
        None => None,
    };
    if let Some(hearing_id) = query.hearing_id {
        visible_hearing(&state, &staff, hearing_id).await?;
    }
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    let messages = state
        .store
        .outbox(staff.user.court_id, query.hearing_id, status, limit)
        .await?;
    Ok(ApiJson(
        messages.into_iter().map(OutboxView::from).collect(),
    ))
}
