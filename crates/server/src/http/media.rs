//! What a browser needs before it calls the SFU: the ICE servers (`iceServers`), with
//! short-lived credentials for the court's TURN servers. The SFU's own addresses (UDP
//! and the passive ICE-TCP candidate) come in its SDP answers, not from here.

use super::error::{ApiPath, ApiResult};
use super::live::{Viewer, authorise};
use crate::app::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::request::Parts;
use court::HearingId;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(ice_servers))
}

/// An `RTCIceServer` for `new RTCPeerConnection({iceServers})`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IceServer {
    pub urls: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// The ICE servers for this viewer's media session.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IceServers {
    pub ice_servers: Vec<IceServer>,
}

/// The court's TURN/STUN servers, with credentials for this viewer only.
#[utoipa::path(get, path = "/api/v1/hearings/{id}/media/ice-servers", tag = "media",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = IceServers),
        (status = 401, body = super::error::Problem), (status = 403, body = super::error::Problem),
        (status = 404, body = super::error::Problem)))]
async fn ice_servers(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<HearingId>,
    mut parts: Parts,
) -> ApiResult<Json<IceServers>> {
    let (viewer, _hearing) = authorise(&state, &mut parts, id).await?;
    // The label coturn logs with each allocation: whose relay it is.
    let member = match &viewer {
        Viewer::Staff(staff) => format!("staff-{}", staff.user.id),
        Viewer::Participant(session) => format!("participant-{}", session.participant.id),
    };
    let now = std::time::SystemTime::now();
    let ice_servers = state
        .config
        .media
        .turn_servers()
        .iter()
        .map(|server| {
            let ice = server.credentials(&member, now);
            IceServer {
                urls: ice.urls,
                username: ice.username,
                credential: ice.credential,
            }
        })
        .collect();
    Ok(Json(IceServers { ice_servers }))
}
