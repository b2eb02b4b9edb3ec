//! Staff sign-in: argon2id passwords, throttled attempts, and an opaque session token in
//! an HttpOnly, SameSite=Strict cookie (stored only as its SHA-256).

use super::client_address::ClientAddress;
use super::error::{ApiError, ApiJson, ApiResult};
use crate::app::AppState;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use chrono::Utc;
use court::{Action, ActorRole, AuditActor, Court, CourtId, NewAuditEvent, User, permits};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::time::Instant;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub const COOKIE: &str = "cc_session";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login, logout))
        .routes(routes!(me))
        .routes(routes!(staff_list))
}

/// A signed-in staff member, taken from the session cookie.
#[derive(Debug, Clone)]
pub struct Staff {
    pub user: User,
}

impl Staff {
    /// Refuses unless the permission table lets this role do `action`.
    pub fn require(&self, action: Action) -> ApiResult<()> {
        if permits(ActorRole::Staff(self.user.role), action) {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }

    /// Refuses a record of another court.
    pub fn same_court(&self, court_id: CourtId) -> ApiResult<()> {
        if self.user.court_id == court_id {
            Ok(())
        } else {
            Err(ApiError::other_court())
        }
    }

    pub fn actor(&self) -> AuditActor {
        AuditActor::Staff {
            id: self.user.id,
            username: self.user.username.to_string(),
        }
    }
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = session_cookie(&parts.headers).ok_or_else(ApiError::unauthenticated)?;
        let user = state
            .store
            .session_user(&token_hash(token), Utc::now())
            .await?
            .ok_or_else(ApiError::unauthenticated)?;
        Ok(Staff { user })
    }
}

/// The value of the cookie `name`, if the request carries a non-empty one.
pub(super) fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(cookie, _)| *cookie == name)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    cookie_value(headers, COOKIE)
}

/// What is stored of a session token: its SHA-256, so a stolen database opens nothing.
pub(super) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A fresh session token: 256 random bits.
pub(super) fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A session cookie: HttpOnly, SameSite=Strict, Secure when served over HTTPS.
pub(super) fn session_cookie_header(
    state: &AppState,
    name: &str,
    value: &str,
    max_age_seconds: u64,
) -> ApiResult<HeaderValue> {
    let secure = if state.config.cookie_secure {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_seconds}{secure}"
    ))
    .map_err(ApiError::internal)
}

fn cookie(state: &AppState, value: &str, max_age_seconds: u64) -> ApiResult<HeaderValue> {
    session_cookie_header(state, COOKIE, value, max_age_seconds)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Login {
    pub username: String,
    pub password: String,
}

/// Who is signed in, and their court.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Me {
    pub user: User,
    pub court: Court,
}

/// Sign in (登录). Sets the session cookie.
#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = Login,
    responses(
        (status = 200, body = Me, description = "Signed in; the `cc_session` cookie is set"),
        (status = 401, body = super::error::Problem, description = "Wrong username or password"),
        (status = 429, body = super::error::Problem, description = "Too many failed attempts"),
    ))]
async fn login(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    ApiJson(body): ApiJson<Login>,
) -> ApiResult<Response> {
    let username = body.username.trim().to_ascii_lowercase();
    let user_key = format!("user:{username}");
    let ip_key = format!("ip:{}", client);
    let throttle = &state.login_throttle;
    if let Err(seconds) = throttle.check(&[(&user_key, 1), (&ip_key, 4)], Instant::now()) {
        let minutes = seconds.div_ceil(60);
        return Err(ApiError::too_many(
            format!("登录失败次数过多，请{minutes}分钟后再试"),
            format!("Too many failed sign-ins; try again in {minutes} minute(s)"),
            seconds,
        ));
    }
    let credentials = state.store.user_credentials(&username).await?;
    let (user, hash) = match credentials {
        Some((user, hash)) if !user.disabled => (Some(user), Some(hash)),
        _ => (None, None),
    };
    let valid = crate::password::verify(body.password, hash).await;
    let Some(user) = user.filter(|_| valid) else {
        throttle.record_failure(&[&user_key, &ip_key], Instant::now());
        state.metrics.login_failures.inc();
        let audit = NewAuditEvent::new(
            AuditActor::System,
            "session.login_failed",
            json!({"username": username, "address": client.to_string()}),
        );
        state.store.append_audit(audit).await?;
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "用户名或密码错误",
            "Wrong username or password",
        ));
    };
    throttle.clear(&user_key);
    let token = new_token();
    let lifetime = chrono::Duration::hours(i64::from(state.config.session_hours));
    let audit = NewAuditEvent::new(
        AuditActor::Staff {
            id: user.id,
            username: user.username.to_string(),
        },
        "session.login",
        json!({"address": client.to_string()}),
    )
    .court(user.court_id);
    state
        .store
        .create_session(&token_hash(&token), user.id, Utc::now() + lifetime, audit)
        .await?;
    let court = state.store.court(user.court_id).await?;
    let set_cookie = cookie(&state, &token, lifetime.num_seconds().unsigned_abs())?;
    Ok((
        [(header::SET_COOKIE, set_cookie)],
        axum::Json(Me { user, court }),
    )
        .into_response())
}

/// Sign out (退出登录). Ends the session and clears the cookie.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session",
    responses((status = 204, description = "Signed out")))]
async fn logout(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
) -> ApiResult<Response> {
    if let Some(token) = session_cookie(&headers) {
        let audit = NewAuditEvent::new(staff.actor(), "session.logout", json!({}))
            .court(staff.user.court_id);
        state
            .store
            .delete_session(&token_hash(token), audit)
            .await?;
    }
    let clear = cookie(&state, "", 0)?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear)]).into_response())
}

/// The signed-in staff member and their court.
#[utoipa::path(get, path = "/api/v1/me", tag = "session",
    responses((status = 200, body = Me), (status = 401, body = super::error::Problem)))]
async fn me(State(state): State<AppState>, staff: Staff) -> ApiResult<ApiJson<Me>> {
    let court = state.store.court(staff.user.court_id).await?;
    Ok(ApiJson(Me {
        user: staff.user,
        court,
    }))
}

/// The staff of the signed-in member's court (to choose a hearing's judges and clerk).
#[utoipa::path(get, path = "/api/v1/staff", tag = "session",
    responses((status = 200, body = Vec<User>), (status = 401, body = super::error::Problem)))]
async fn staff_list(State(state): State<AppState>, staff: Staff) -> ApiResult<ApiJson<Vec<User>>> {
    staff.require(Action::ViewStaff)?;
    Ok(ApiJson(state.store.users(staff.user.court_id).await?))
}
