//! Cases (案件): create and list a court's cases.

use super::Staff;
use super::error::{ApiJson, ApiPath, ApiResult};
use crate::app::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use court::{Action, Case, CaseId, CaseNumber, Cause, NewAuditEvent};
use serde::Deserialize;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_case, list_cases))
        .routes(routes!(get_case))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewCase {
    /// 案号, e.g. (2026)京0107民初1614号.
    pub case_number: String,
    /// 案由, e.g. 民间借贷纠纷.
    pub cause: String,
}

/// Create a case (新建案件).
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", request_body = NewCase,
    responses(
        (status = 201, body = Case),
        (status = 409, body = super::error::Problem, description = "The court has a case with this number"),
        (status = 422, body = super::error::Problem),
    ))]
async fn create_case(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(body): ApiJson<NewCase>,
) -> ApiResult<(StatusCode, ApiJson<Case>)> {
    staff.require(Action::CreateCase)?;
    let case = Case {
        id: CaseId::new(),
        court_id: staff.user.court_id,
        case_number: CaseNumber::parse(&body.case_number)?,
        cause: Cause::parse(&body.cause)?,
        created_at: court::to_storage_precision(chrono::Utc::now()),
    };
    let audit = NewAuditEvent::new(
        staff.actor(),
        "case.create",
        json!({"case_id": case.id, "case_number": case.case_number, "cause": case.cause}),
    )
    .court(case.court_id);
    state.store.create_case(&case, audit).await?;
    Ok((StatusCode::CREATED, ApiJson(case)))
}

/// The court's cases, newest first.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", responses((status = 200, body = Vec<Case>)))]
async fn list_cases(State(state): State<AppState>, staff: Staff) -> ApiResult<ApiJson<Vec<Case>>> {
    staff.require(Action::ViewCases)?;
    Ok(ApiJson(state.store.cases(staff.user.court_id).await?))
}

/// One case.
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases",
    params(("id" = String, Path, description = "Case id")),
    responses((status = 200, body = Case), (status = 404, body = super::error::Problem)))]
async fn get_case(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<CaseId>,
) -> ApiResult<ApiJson<Case>> {
    staff.require(Action::ViewCases)?;
    let case = state.store.case(id).await?;
    staff.same_court(case.court_id)?;
    Ok(ApiJson(case))
}
