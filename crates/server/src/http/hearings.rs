//! Hearings (庭审): scheduling with a bench and participants, the meeting number, the
//! detail staff work from, rescheduling and state changes.

use super::Staff;
use super::error::{ApiError, ApiJson, ApiPath, ApiResult};
use super::participants::{NewParticipant, ParticipantView};
use crate::app::AppState;
use crate::notices::HearingNotices;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use court::NoticeKind;
use court::{
    Action, Bench, Case, CaseId, Hearing, HearingId, HearingState, Invalid, MeetingNumber,
    NewAuditEvent, ParticipantRole, StaffRole, Transition, UserId,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use store::{Conflict, StoreError};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_hearing, list_hearings))
        .routes(routes!(get_hearing, reschedule))
        .routes(routes!(change_state))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewHearing {
    pub case_id: CaseId,
    /// RFC 3339, or court-local `YYYY-MM-DDTHH:MM`.
    pub scheduled_at: String,
    /// The judges; the first presides (审判长).
    pub judge_ids: Vec<UserId>,
    pub clerk_id: UserId,
    /// Participants to invite, if known already.
    #[serde(default)]
    pub participants: Vec<NewParticipant>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Reschedule {
    pub scheduled_at: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct StateChange {
    /// open, start, recess, resume, close, archive or cancel.
    pub transition: String,
}

/// A hearing in the court's list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HearingSummary {
    pub id: HearingId,
    pub case_id: CaseId,
    pub case_number: String,
    pub cause: String,
    pub meeting_number: MeetingNumber,
    pub scheduled_at: DateTime<Utc>,
    /// The time in the court's time zone, `YYYY-MM-DD HH:MM`.
    pub scheduled_local: String,
    pub state: HearingState,
    pub participant_count: i64,
}

/// A member of the bench.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BenchMember {
    pub user_id: UserId,
    pub display_name: String,
    pub role: ParticipantRole,
}

/// Everything staff need about one hearing.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HearingDetail {
    pub id: HearingId,
    pub court_id: court::CourtId,
    pub case: Case,
    pub meeting_number: MeetingNumber,
    pub scheduled_at: DateTime<Utc>,
    pub scheduled_local: String,
    pub state: HearingState,
    /// The state changes possible now.
    pub allowed_transitions: Vec<Transition>,
    pub bench: Vec<BenchMember>,
    pub participants: Vec<ParticipantView>,
    /// When the court first sent the notices (开庭通知), if it has.
    pub notices_sent_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The court and case of a hearing, loaded once to write its notices.
pub struct NoticeContext<'a> {
    state: &'a AppState,
    hearing: &'a Hearing,
    court: court::Court,
    case: Case,
}

impl<'a> NoticeContext<'a> {
    pub async fn load(state: &'a AppState, hearing: &'a Hearing) -> ApiResult<Self> {
        Ok(Self {
            state,
            hearing,
            court: state.store.court(hearing.court_id).await?,
            case: state.store.case(hearing.case_id).await?,
        })
    }

    pub fn notices(&self) -> HearingNotices<'_> {
        HearingNotices {
            config: &self.state.config,
            court: &self.court,
            case: &self.case,
            hearing: self.hearing,
        }
    }
}

fn local_time(at: DateTime<Utc>, zone: chrono_tz::Tz) -> String {
    at.with_timezone(&zone).format("%Y-%m-%d %H:%M").to_string()
}

/// The hearing, after checking the staff member may see it.
pub async fn visible_hearing(state: &AppState, staff: &Staff, id: HearingId) -> ApiResult<Hearing> {
    staff.require(Action::ViewHearing)?;
    let hearing = state.store.hearing(id).await?;
    staff.same_court(hearing.court_id)?;
    Ok(hearing)
}

async fn court_zone(state: &AppState, staff: &Staff) -> ApiResult<chrono_tz::Tz> {
    Ok(state.store.court(staff.user.court_id).await?.time_zone.tz())
}

pub async fn detail(state: &AppState, hearing: Hearing) -> ApiResult<HearingDetail> {
    let store = &state.store;
    let zone = store.court(hearing.court_id).await?.time_zone.tz();
    let case = store.case(hearing.case_id).await?;
    let bench = store.bench(hearing.id).await?;
    let participants = store.participants(hearing.id).await?;
    let notices = super::invitations::latest_schedule_notices(state, hearing.id).await?;
    Ok(HearingDetail {
        id: hearing.id,
        court_id: hearing.court_id,
        case,
        meeting_number: hearing.meeting_number,
        scheduled_at: hearing.scheduled_at,
        scheduled_local: local_time(hearing.scheduled_at, zone),
        state: hearing.state,
        allowed_transitions: hearing.state.allowed_transitions(),
        bench: bench
            .into_iter()
            .map(|seat| BenchMember {
                user_id: seat.user.id,
                display_name: seat.user.display_name.to_string(),
                role: seat.role,
            })
            .collect(),
        participants: participants
            .into_iter()
            .map(|p| {
                let notice = notices.get(&p.id).cloned();
                ParticipantView::from(p).with_invitation(notice)
            })
            .collect(),
        notices_sent_at: hearing.notices_sent_at,
        created_at: hearing.created_at,
        updated_at: hearing.updated_at,
    })
}

/// Checks that `id` is an active member of the staff's court with `role`.
async fn bench_member(
    state: &AppState,
    staff: &Staff,
    id: UserId,
    role: StaffRole,
    field: &'static str,
) -> ApiResult<()> {
    let wrong = || {
        let (zh, en) = match role {
            StaffRole::Judge => (
                "所选审判人员不是本院的审判人员",
                "The chosen judge is not a judge of this court",
            ),
            _ => (
                "所选书记员不是本院的书记员",
                "The chosen clerk is not a clerk of this court",
            ),
        };
        ApiError::from(Invalid::new(field, zh, en))
    };
    let user = match state.store.user(id).await {
        Ok(user) => user,
        Err(StoreError::NotFound(_)) => return Err(wrong()),
        Err(other) => return Err(other.into()),
    };
    if user.court_id != staff.user.court_id || user.role != role || user.disabled {
        return Err(wrong());
    }
    Ok(())
}

/// Schedule a hearing (安排庭审). It gets a fresh 8-digit meeting number.
#[utoipa::path(post, path = "/api/v1/hearings", tag = "hearings", request_body = NewHearing,
    responses(
        (status = 201, body = HearingDetail),
        (status = 404, body = super::error::Problem, description = "No such case"),
        (status = 409, body = super::error::Problem, description = "Two participants share a phone"),
        (status = 422, body = super::error::Problem),
    ))]
async fn create_hearing(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(body): ApiJson<NewHearing>,
) -> ApiResult<(StatusCode, ApiJson<HearingDetail>)> {
    staff.require(Action::ScheduleHearing)?;
    let case = state.store.case(body.case_id).await?;
    staff.same_court(case.court_id)?;
    let now = Utc::now();
    let scheduled_at =
        court::hearing::parse_schedule(&body.scheduled_at, court_zone(&state, &staff).await?, now)?;
    let bench = Bench::new(body.judge_ids, body.clerk_id)?;
    for judge in &bench.judges {
        bench_member(&state, &staff, *judge, StaffRole::Judge, "judge_ids").await?;
    }
    bench_member(&state, &staff, bench.clerk, StaffRole::Clerk, "clerk_id").await?;
    if !body.participants.is_empty() {
        staff.require(Action::ManageParticipants)?;
    }
    let now = court::to_storage_precision(now);
    let mut hearing = Hearing {
        id: HearingId::new(),
        court_id: case.court_id,
        case_id: case.id,
        meeting_number: MeetingNumber::generate(&mut rand::rng()),
        scheduled_at,
        state: HearingState::Scheduled,
        notices_sent_at: None,
        created_at: now,
        updated_at: now,
    };
    let participants = body
        .participants
        .into_iter()
        .map(|p| p.into_participant(hearing.id, now))
        .collect::<Result<Vec<_>, Invalid>>()?;
    // A clash of random numbers is rare but possible: draw again.
    let mut attempts = 0;
    loop {
        let audit = NewAuditEvent::new(
            staff.actor(),
            "hearing.create",
            json!({
                "case_id": case.id,
                "meeting_number": hearing.meeting_number,
                "scheduled_at": hearing.scheduled_at,
                "bench": bench.seats().iter().map(|(id, role)| json!({"user_id": id, "role": role})).collect::<Vec<_>>(),
                "participants": participants.iter().map(|p| json!({"participant_id": p.id, "name": p.name, "role": p.role})).collect::<Vec<_>>(),
            }),
        )
        .court(hearing.court_id)
        .hearing(hearing.id);
        match state
            .store
            .create_hearing(&hearing, &bench, &participants, audit)
            .await
        {
            Ok(()) => break,
            Err(StoreError::Conflict(Conflict::MeetingNumberTaken)) if attempts < 8 => {
                attempts += 1;
                hearing.meeting_number = MeetingNumber::generate(&mut rand::rng());
            }
            Err(other) => return Err(other.into()),
        }
    }
    Ok((StatusCode::CREATED, ApiJson(detail(&state, hearing).await?)))
}

/// The court's hearings, latest time first.
#[utoipa::path(get, path = "/api/v1/hearings", tag = "hearings", responses((status = 200, body = Vec<HearingSummary>)))]
async fn list_hearings(
    State(state): State<AppState>,
    staff: Staff,
) -> ApiResult<ApiJson<Vec<HearingSummary>>> {
    staff.require(Action::ViewHearing)?;
    let court_id = staff.user.court_id;
    let zone = court_zone(&state, &staff).await?;
    let cases: HashMap<CaseId, Case> = state
        .store
        .cases(court_id)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let counts = state.store.participant_counts(court_id).await?;
    let hearings = state.store.hearings(court_id).await?;
    let summaries = hearings
        .into_iter()
        .map(|hearing| {
            let case = cases.get(&hearing.case_id);
            HearingSummary {
                id: hearing.id,
                case_id: hearing.case_id,
                case_number: case.map(|c| c.case_number.to_string()).unwrap_or_default(),
                cause: case.map(|c| c.cause.to_string()).unwrap_or_default(),
                meeting_number: hearing.meeting_number,
                scheduled_at: hearing.scheduled_at,
                scheduled_local: local_time(hearing.scheduled_at, zone),
                state: hearing.state,
                participant_count: counts.get(&hearing.id).copied().unwrap_or(0),
            }
        })
        .collect();
    Ok(ApiJson(summaries))
}

/// One hearing with its case, bench, participants and the state changes possible now.
#[utoipa::path(get, path = "/api/v1/hearings/{id}", tag = "hearings",
    params(("id" = String, Path, description = "Hearing id")),
    responses((status = 200, body = HearingDetail), (status = 403, body = super::error::Problem), (status = 404, body = super::error::Problem)))]
async fn get_hearing(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<HearingId>,
) -> ApiResult<ApiJson<HearingDetail>> {
    let hearing = visible_hearing(&state, &staff, id).await?;
    Ok(ApiJson(detail(&state, hearing).await?))
}

/// Change the hearing's time (修改开庭时间), before it starts.
#[utoipa::path(patch, path = "/api/v1/hearings/{id}", tag = "hearings", request_body = Reschedule,
    params(("id" = String, Path, description = "Hearing id")),
    responses((status = 200, body = HearingDetail), (status = 409, body = super::error::Problem), (status = 422, body = super::error::Problem)))]
async fn reschedule(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<HearingId>,
    ApiJson(body): ApiJson<Reschedule>,
) -> ApiResult<ApiJson<HearingDetail>> {
    let hearing = visible_hearing(&state, &staff, id).await?;
    staff.require(Action::ScheduleHearing)?;
    if !hearing.state.can_reschedule() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "transition_not_allowed",
            format!(
                "庭审当前状态为“{}”，不能修改开庭时间",
                hearing.state.label_zh()
            ),
            format!("A hearing that is {} cannot be rescheduled", hearing.state),
        ));
    }
    let scheduled_at = court::hearing::parse_schedule(
        &body.scheduled_at,
        court_zone(&state, &staff).await?,
        Utc::now(),
    )?;
    // Those already told the old time are told the new one, in the same transaction.
    let notices = match hearing.notices_sent_at {
        Some(_) => {
            let moved = Hearing {
                scheduled_at,
                ..hearing.clone()
            };
            let context = NoticeContext::load(&state, &moved).await?;
            let participants = state.store.participants(hearing.id).await?;
            context
                .notices()
                .for_everyone(NoticeKind::Reschedule, &participants, Utc::now())
        }
        None => Vec::new(),
    };
    let audit = NewAuditEvent::new(
        staff.actor(),
        "hearing.reschedule",
        json!({"from": hearing.scheduled_at, "to": scheduled_at, "notices": notices.len()}),
    )
    .court(hearing.court_id)
    .hearing(hearing.id);
    let hearing = state
        .store
        .reschedule(id, scheduled_at, &notices, audit)
        .await?;
    if !notices.is_empty() {
        state.outbox_wakeup.notify_one();
    }
    super::live::publish_state(&state, &hearing).await;
    Ok(ApiJson(detail(&state, hearing).await?))
}

/// Change the hearing's state: open (开放候庭), start (开庭), recess (休庭), resume
/// (继续开庭), close (闭庭), archive (归档), cancel (取消庭审).
#[utoipa::path(post, path = "/api/v1/hearings/{id}/transitions", tag = "hearings", request_body = StateChange,
    params(("id" = String, Path, description = "Hearing id")),
    responses(
        (status = 200, body = HearingDetail),
        (status = 409, body = super::error::Problem, description = "Not allowed from the current state"),
        (status = 422, body = super::error::Problem, description = "Unknown transition"),
    ))]
async fn change_state(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<HearingId>,
    ApiJson(body): ApiJson<StateChange>,
) -> ApiResult<ApiJson<HearingDetail>> {
    let transition = Transition::ALL
        .into_iter()
        .find(|t| t.as_str() == body.transition.trim())
        .ok_or_else(|| {
            Invalid::new(
                "transition",
                format!("未知的庭审操作：{}", body.transition),
                format!(
                    "Unknown transition: {} (expected open, start, recess, resume, close, archive or cancel)",
                    body.transition
                ),
            )
        })?;
    let hearing = visible_hearing(&state, &staff, id).await?;
    staff.require(Action::ChangeState(transition))?;
    let next = hearing.state.apply(transition)?;
    // Participants who were invited hear of a cancellation, in the same transaction.
    let notices = if next == HearingState::Cancelled {
        let context = NoticeContext::load(&state, &hearing).await?;
        let participants = state.store.participants(hearing.id).await?;
        context.notices().cancellations(&participants, Utc::now())
    } else {
        Vec::new()
    };
    let audit = NewAuditEvent::new(
        staff.actor(),
        "hearing.state",
        json!({"transition": transition, "from": hearing.state, "to": next, "notices": notices.len()}),
    )
    .court(hearing.court_id)
    .hearing(hearing.id);
    let hearing = state
        .store
        .change_state(id, hearing.state, next, &notices, audit)
        .await?;
    if !notices.is_empty() {
        state.outbox_wakeup.notify_one();
    }
    // The recording follows the state, in order (finishing goes on in the background).
    // In a cluster the hearing's node follows it, when the state message reaches it.
    if state.cluster.is_none() {
        state.recordings.follow(&state.store, &hearing).await;
    }
    super::live::publish_state(&state, &hearing).await;
    Ok(ApiJson(detail(&state, hearing).await?))
}
