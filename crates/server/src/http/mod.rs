//! HTTP: the REST API under `/api/v1`, operations endpoints, the OpenAPI document and the
//! embedded web client, assembled from one `router()` per module.

mod auth;
mod cases;
pub mod client_address;
pub mod error;
pub mod evidence;
mod hearings;
mod invitations;
mod join;
mod live;
mod media;
mod ops;
mod participants;
mod recordings;
mod transcript;
mod web;

pub use auth::Staff;

use crate::app::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Request, header};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "cloudcourt API",
        description = "云法庭 — online court hearings. Errors are application/problem+json with a Chinese and an English message."
    ),
    tags(
        (name = "session", description = "Staff sign-in"),
        (name = "cases", description = "案件"),
        (name = "hearings", description = "庭审"),
        (name = "participants", description = "参与人"),
        (name = "invitations", description = "开庭通知 (SMS)"),
        (name = "join", description = "进入庭审: meeting number, SMS code, participant session"),
        (name = "evidence", description = "证据: resumable uploads, the list, content, opinions (质证意见), presenting, ZIP"),
        (name = "transcript", description = "庭审笔录: versions, confirmation, signatures, corrections, PDF"),
        (name = "media", description = "庭审音视频: ICE servers (TURN credentials) for the SFU"),
        (name = "recordings", description = "庭审录像: segments, files with SHA-256, gaps, downloads"),
        (name = "ops", description = "Health and metrics"),
    )
)]
struct ApiDoc;

/// The API routes with their OpenAPI description.
fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(auth::router())
        .merge(cases::router())
        .merge(hearings::router())
        .merge(participants::router())
        .merge(invitations::router())
        .merge(join::router())
        .merge(transcript::router())
        .merge(evidence::router())
        .merge(media::router())
        .merge(recordings::router())
        .merge(ops::router())
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    let (api, openapi) = api().split_for_parts();
    let openapi = std::sync::Arc::new(openapi);
    let metrics = state.metrics.clone();
    let max_body = state.config.max_json_bytes;
    let app = Router::new()
        .merge(api)
        .route(
            "/api/openapi.json",
            axum::routing::get(move || {
                let openapi = openapi.clone();
                async move { axum::Json(openapi.as_ref().clone()) }
            }),
        )
        .merge(web::router())
        .merge(live::router())
        .fallback(web::fallback)
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(
            metrics,
            crate::metrics::track,
        ))
        .layer(DefaultBodyLimit::max(max_body));
    with_security_headers(app)
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                tracing::info_span!("request", method = %request.method(), path = %request.uri().path())
            }),
        )
        .layer(CatchPanicLayer::custom(|_| {
            axum::response::IntoResponse::into_response(error::ApiError::internal("a handler panicked"))
        }))
}

/// Headers that keep the pages safe: a strict content security policy (no inline
/// script), no MIME sniffing, no framing, no referrer leaks.
fn with_security_headers(router: Router) -> Router {
    const CSP: &str = "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; \
                       style-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'";
    [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (HeaderName::from_static("x-frame-options"), "DENY"),
    ]
    .into_iter()
    .fold(router, |router, (name, value)| {
        router.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ))
    })
}
