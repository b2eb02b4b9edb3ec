//! Joining a hearing (进入庭审): the meeting number and the phone the court registered,
//! a one-time code by SMS, and the participant session it opens — scoped to one
//! participant of one hearing, in an HttpOnly cookie. Also what a participant does
//! before entering: read their hearing, confirm the court rules, leave.

use super::auth::{new_token, session_cookie_header, token_hash};
use super::client_address::ClientAddress;
use super::error::{ApiError, ApiJson, ApiResult};
use crate::app::AppState;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use court::join::{CODE_LIFETIME, CodeRefusal, IssuedCode, SESSION_LIFETIME};
use court::{
    Action, ActorRole, AuditActor, Hearing, HearingState, Invalid, MeetingNumber, NewAuditEvent,
    NoticeKind, OutboxMessage, Participant, ParticipantRole, PhoneNumber, SmsStatus, permits,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::time::Instant;
use store::ParticipantMark;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub const COOKIE: &str = "cc_participant";
/// A new code is sent at most this often per participant.
const RESEND_AFTER_SECONDS: i64 = 60;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(request_code))
        .routes(routes!(verify_code))
        .routes(routes!(me, leave))
        .routes(routes!(confirm_rules))
}

/// A participant signed in to their hearing, from the `cc_participant` cookie.
#[derive(Debug, Clone)]
pub struct ParticipantSession {
    pub participant: Participant,
    pub hearing: Hearing,
}

impl ParticipantSession {
    pub fn require(&self, action: Action) -> ApiResult<()> {
        if permits(ActorRole::Participant(self.participant.role), action) {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }

    pub fn actor(&self) -> AuditActor {
        AuditActor::Participant {
            id: self.participant.id,
            name: self.participant.name.to_string(),
        }
    }

    /// Refuses what goes on inside the hearing (its transcript, its evidence) to a
    /// witness waiting outside: a witness may not follow the hearing before testifying
    /// (证据规定 第72条). Once the hearing is closed, the record is theirs to read and
    /// sign like everyone's.
    pub fn require_inside(&self) -> ApiResult<()> {
        let live = matches!(
            self.hearing.state,
            HearingState::Open | HearingState::InSession | HearingState::Recess
        );
        if live && court::admission::waits_outside(&self.participant) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "witness_outside",
                "证人在传唤入庭前不能查看庭审内容",
                "A witness cannot follow the hearing before being called in",
            ));
        }
        Ok(())
    }
}

/// Whether participants may still come in: not after the hearing is archived or cancelled.
fn joinable(state: HearingState) -> bool {
    !matches!(state, HearingState::Archived | HearingState::Cancelled)
}

fn cookie_token(headers: &HeaderMap) -> Option<&str> {
    super::auth::cookie_value(headers, COOKIE)
}

fn unauthenticated() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        "请先使用会议号和验证码进入庭审",
        "Join with the meeting number and the code first",
    )
}

impl FromRequestParts<AppState> for ParticipantSession {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = cookie_token(&parts.headers).ok_or_else(unauthenticated)?;
        let participant = state
            .store
            .session_participant(&token_hash(token), Utc::now())
            .await?
            .ok_or_else(unauthenticated)?;
        let hearing = state.store.hearing(participant.hearing_id).await?;
        if !joinable(hearing.state) {
            return Err(ApiError::new(
                StatusCode::GONE,
                "hearing_finished",
                format!("庭审{}", hearing.state.label_zh()),
                format!("The hearing is {}", hearing.state),
            ));
        }
        Ok(Self {
            participant,
            hearing,
        })
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CodeRequest {
    /// 会议号, 8 digits.
    pub meeting_number: String,
    /// The phone the court registered for the participant.
    pub phone: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CodeRequested {
    pub message: super::error::Messages,
    pub expires_in_seconds: i64,
    pub resend_after_seconds: i64,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CodeCheck {
    pub meeting_number: String,
    pub phone: String,
    /// The 6-digit code from the SMS.
    pub code: String,
}

/// What a participant sees of themselves and their hearing.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ParticipantMe {
    pub participant_id: court::ParticipantId,
    pub name: String,
    pub role: ParticipantRole,
    pub hearing_id: court::HearingId,
    pub meeting_number: MeetingNumber,
    pub court_name: String,
    /// The court's time zone (IANA, e.g. Asia/Shanghai): times are shown in it.
    pub time_zone: String,
    pub case_number: String,
    pub cause: String,
    pub scheduled_at: DateTime<Utc>,
    pub scheduled_local: String,
    pub state: HearingState,
    pub rules_confirmed_at: Option<DateTime<Utc>>,
    pub checked_in_at: Option<DateTime<Utc>>,
}

async fn participant_me(
    state: &AppState,
    participant: &Participant,
    hearing: &Hearing,
) -> ApiResult<ParticipantMe> {
    let court = state.store.court(hearing.court_id).await?;
    let case = state.store.case(hearing.case_id).await?;
    Ok(ParticipantMe {
        participant_id: participant.id,
        name: participant.name.to_string(),
        role: participant.role,
        hearing_id: hearing.id,
        meeting_number: hearing.meeting_number,
        court_name: court.name.to_string(),
        time_zone: court.time_zone.as_str().to_owned(),
        case_number: case.case_number.to_string(),
        cause: case.cause.to_string(),
        scheduled_at: hearing.scheduled_at,
        scheduled_local: hearing
            .scheduled_at
            .with_timezone(&court.time_zone.tz())
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        state: hearing.state,
        rules_confirmed_at: participant.rules_confirmed_at,
        checked_in_at: participant.checked_in_at,
    })
}

fn locked(seconds: u64) -> ApiError {
    let minutes = seconds.div_ceil(60);
    ApiError::too_many(
        format!("尝试次数过多，请{minutes}分钟后再试"),
        format!("Too many attempts; try again in {minutes} minute(s)"),
        seconds,
    )
}

fn parse_pair(meeting_number: &str, phone: &str) -> ApiResult<(MeetingNumber, PhoneNumber)> {
    Ok((
        MeetingNumber::parse(meeting_number)?,
        PhoneNumber::parse(phone)?,
    ))
}

/// The hearing and participant a number and phone name together, if they do.
async fn find(
    state: &AppState,
    number: MeetingNumber,
    phone: &PhoneNumber,
) -> ApiResult<Option<(Hearing, Participant)>> {
    let Some(hearing) = state.store.hearing_by_meeting_number(number).await? else {
        return Ok(None);
    };
    if !joinable(hearing.state) {
        return Ok(None);
    }
    let participant = state
        .store
        .participant_by_phone(hearing.id, phone.as_str())
        .await?;
    Ok(participant.map(|p| (hearing, p)))
}

/// Ask for a code (获取验证码). The answer is the same whether or not the number and
/// phone belong together, so it tells a stranger nothing; the SMS goes only to a
/// participant's registered phone.
#[utoipa::path(post, path = "/api/v1/join", tag = "join", request_body = CodeRequest,
    responses(
        (status = 202, body = CodeRequested),
        (status = 422, body = super::error::Problem, description = "Not a meeting number or not a mobile number"),
        (status = 429, body = super::error::Problem, description = "Too many requests from this address or for this phone"),
    ))]
async fn request_code(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    ApiJson(body): ApiJson<CodeRequest>,
) -> ApiResult<(StatusCode, ApiJson<CodeRequested>)> {
    let (number, phone) = parse_pair(&body.meeting_number, &body.phone)?;
    let now = Instant::now();
    let address = format!("ip:{}", client);
    let phone_key = format!("phone:{phone}");
    state
        .join_failures
        .check(&[(&address, 1)], now)
        .map_err(locked)?;
    state
        .join_requests
        .check(&[(&address, 2), (&phone_key, 1)], now)
        .map_err(locked)?;
    state
        .join_requests
        .record_failure(&[&address, &phone_key], now);

    match find(&state, number, &phone).await? {
        Some((hearing, participant)) => send_code(&state, &hearing, &participant).await?,
        // Guessing numbers counts against the address like a wrong code does.
        None => state.join_failures.record_failure(&[&address], now),
    }
    Ok((
        StatusCode::ACCEPTED,
        ApiJson(CodeRequested {
            message: super::error::Messages {
                zh_cn: "如会议号与手机号码匹配，验证码已通过短信发送至该手机，5分钟内有效".into(),
                en: "If the meeting number and the phone match, a code has been sent to that phone by SMS; it is valid for 5 minutes".into(),
            },
            expires_in_seconds: CODE_LIFETIME.num_seconds(),
            resend_after_seconds: RESEND_AFTER_SECONDS,
        }),
    ))
}

async fn send_code(
    state: &AppState,
    hearing: &Hearing,
    participant: &Participant,
) -> ApiResult<()> {
    let now = Utc::now();
    // One SMS a minute per participant, however often the button is pressed.
    if let Some((_, issued_at)) = state.store.latest_join_code(participant.id).await?
        && now - issued_at < chrono::Duration::seconds(RESEND_AFTER_SECONDS)
    {
        return Ok(());
    }
    let Some(phone) = &participant.phone else {
        return Ok(());
    };
    let code = court::join::generate_code(&mut rand::rng());
    let id = uuid::Uuid::now_v7();
    let issued = IssuedCode {
        id,
        code_hash: court::join::code_hash(&id, &code),
        expires_at: now + CODE_LIFETIME,
        attempts: 0,
        used: false,
    };
    let stored_now = court::to_storage_precision(now);
    let sms = OutboxMessage {
        id: uuid::Uuid::now_v7(),
        court_id: hearing.court_id,
        hearing_id: Some(hearing.id),
        participant_id: Some(participant.id),
        recipient_name: participant.name.to_string(),
        phone: phone.to_string(),
        text: court::notice::join_code_text(&state.config.sms.sign_name, &code),
        kind: NoticeKind::JoinCode,
        params: [("code".to_owned(), code)].into_iter().collect(),
        idempotency_key: format!("join_code:{id}"),
        status: SmsStatus::Queued,
        attempts: 0,
        last_error: None,
        provider_id: None,
        next_attempt_at: Some(stored_now),
        created_at: stored_now,
        updated_at: stored_now,
        sent_at: None,
        delivered_at: None,
    };
    let audit = NewAuditEvent::new(
        AuditActor::Participant {
            id: participant.id,
            name: participant.name.to_string(),
        },
        "join.code_sent",
        json!({"participant_id": participant.id, "phone": phone.masked(), "message_id": sms.id}),
    )
    .court(hearing.court_id)
    .hearing(hearing.id);
    state
        .store
        .issue_join_code(&issued, participant, &sms, audit)
        .await?;
    state.outbox_wakeup.notify_one();
    Ok(())
}

/// Enter with the code (进入庭审): opens the participant session.
#[utoipa::path(post, path = "/api/v1/join/verify", tag = "join", request_body = CodeCheck,
    responses(
        (status = 200, body = ParticipantMe, description = "Joined; the `cc_participant` cookie is set"),
        (status = 401, body = super::error::Problem, description = "Wrong, expired or used code"),
        (status = 429, body = super::error::Problem, description = "Locked after too many failures"),
    ))]
async fn verify_code(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    ApiJson(body): ApiJson<CodeCheck>,
) -> ApiResult<Response> {
    let (number, phone) = parse_pair(&body.meeting_number, &body.phone)?;
    if !court::join::well_formed_code(&body.code) {
        return Err(Invalid::new("code", "验证码为6位数字", "The code has 6 digits").into());
    }
    let now = Instant::now();
    let address = format!("ip:{}", client);
    let phone_key = format!("phone:{phone}");
    let hearing_key = format!("hearing:{number}");
    state
        .join_failures
        .check(&[(&address, 1), (&phone_key, 1), (&hearing_key, 4)], now)
        .map_err(locked)?;
    let refused = || {
        state
            .join_failures
            .record_failure(&[&address, &phone_key, &hearing_key], now);
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_code",
            "验证码错误或已失效，请核对或重新获取",
            "The code is wrong or no longer valid; check it or ask for a new one",
        )
    };
    let Some((hearing, participant)) = find(&state, number, &phone).await? else {
        return Err(refused());
    };
    let Some((code, _)) = state.store.latest_join_code(participant.id).await? else {
        return Err(refused());
    };
    match code.check(&body.code, Utc::now()) {
        Ok(()) => {}
        Err(CodeRefusal::Wrong) => {
            state.store.join_code_failed(code.id).await?;
            return Err(refused());
        }
        Err(CodeRefusal::Void) => return Err(refused()),
    }
    let token = new_token();
    let audit = NewAuditEvent::new(
        AuditActor::Participant {
            id: participant.id,
            name: participant.name.to_string(),
        },
        "join.session",
        json!({"participant_id": participant.id, "address": client.to_string()}),
    )
    .court(hearing.court_id)
    .hearing(hearing.id);
    let expires = Utc::now() + SESSION_LIFETIME;
    if !state
        .store
        .redeem_join_code(code.id, &participant, &token_hash(&token), expires, audit)
        .await?
    {
        return Err(refused());
    }
    state.join_failures.clear(&phone_key);
    let lifetime = SESSION_LIFETIME.num_seconds().unsigned_abs();
    let cookie = session_cookie_header(&state, COOKIE, &token, lifetime)?;
    let me = participant_me(&state, &participant, &hearing).await?;
    Ok(([(header::SET_COOKIE, cookie)], axum::Json(me)).into_response())
}

/// The signed-in participant and their hearing.
#[utoipa::path(get, path = "/api/v1/participant/me", tag = "join",
    responses((status = 200, body = ParticipantMe), (status = 401, body = super::error::Problem)))]
async fn me(
    State(state): State<AppState>,
    session: ParticipantSession,
) -> ApiResult<ApiJson<ParticipantMe>> {
    Ok(ApiJson(
        participant_me(&state, &session.participant, &session.hearing).await?,
    ))
}

/// Leave: ends the participant session.
#[utoipa::path(delete, path = "/api/v1/participant/me", tag = "join", responses((status = 204, description = "Left")))]
async fn leave(
    State(state): State<AppState>,
    session: ParticipantSession,
    headers: HeaderMap,
) -> ApiResult<Response> {
    if let Some(token) = cookie_token(&headers) {
        state
            .store
            .end_participant_session(&token_hash(token))
            .await?;
    }
    super::live::publish_roster(&state, session.hearing.id).await;
    let clear = session_cookie_header(&state, COOKIE, "", 0)?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear)]).into_response())
}

/// Confirm the court rules (法庭纪律) before entering; recorded in the audit log.
#[utoipa::path(post, path = "/api/v1/participant/rules", tag = "join",
    responses((status = 200, body = ParticipantMe), (status = 401, body = super::error::Problem)))]
async fn confirm_rules(
    State(state): State<AppState>,
    session: ParticipantSession,
) -> ApiResult<ApiJson<ParticipantMe>> {
    session.require(Action::JoinHearing)?;
    let audit = NewAuditEvent::new(
        session.actor(),
        "participant.rules_confirmed",
        json!({"participant_id": session.participant.id, "rules": "人民法院在线诉讼规则 第24–27条"}),
    )
    .court(session.hearing.court_id)
    .hearing(session.hearing.id);
    let participant = state
        .store
        .mark_participant(
            session.participant.id,
            ParticipantMark::RulesConfirmed,
            audit,
        )
        .await?;
    super::live::publish_roster(&state, session.hearing.id).await;
    Ok(ApiJson(
        participant_me(&state, &participant, &session.hearing).await?,
    ))
}

/// Staff admit a participant from the waiting room (签到); a witness is not admitted but
/// called in (see `participants::call_in`), and the rule for both is the court's
/// (`court::admission`).
pub async fn check_in(
    state: &AppState,
    staff: &super::Staff,
    hearing: &Hearing,
    participant: &Participant,
) -> ApiResult<Participant> {
    court::admission::check_admit(participant, hearing.state).map_err(ApiError::from)?;
    let audit = NewAuditEvent::new(
        staff.actor(),
        "participant.check_in",
        json!({"participant_id": participant.id, "name": participant.name, "role": participant.role}),
    )
    .court(hearing.court_id)
    .hearing(hearing.id);
    let admitted = state
        .store
        .mark_participant(participant.id, ParticipantMark::CheckedIn, audit)
        .await?;
    super::live::publish_roster(state, hearing.id).await;
    Ok(admitted)
}
