//! The hearing's live WebSocket (`/api/v1/hearings/{id}/live`): the state and the
//! roster (who is there, with role; who waits to be admitted), numbered so that a
//! client reconnecting with `?since=N` catches up on what it missed. Staff of the
//! court and the hearing's own participants may connect; nobody else.

use super::Staff;
use super::error::{ApiError, ApiPath, ApiResult};
use super::join::ParticipantSession;
use crate::app::AppState;
use crate::live::{Catchup, Member, Numbered};
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::response::Response;
use chrono::{DateTime, Utc};
use court::{Action, Hearing, HearingId, HearingState, ParticipantRole};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

pub fn router() -> axum::Router<AppState> {
    axum::Router::new().route("/api/v1/hearings/{id}/live", axum::routing::get(live))
}

/// Who is connecting.
pub(super) enum Viewer {
    Staff(Staff),
    Participant(ParticipantSession),
}

impl Viewer {
    fn member(&self) -> Member {
        match self {
            Viewer::Staff(staff) => Member::Staff(staff.user.id),
            Viewer::Participant(session) => Member::Participant(session.participant.id),
        }
    }

    fn describe(&self) -> serde_json::Value {
        match self {
            Viewer::Staff(staff) => json!({
                "kind": "staff", "id": staff.user.id, "name": staff.user.display_name, "role": staff.user.role,
            }),
            Viewer::Participant(session) => json!({
                "kind": "participant", "id": session.participant.id, "name": session.participant.name,
                "role": session.participant.role,
            }),
        }
    }
}

/// The hearing, if this viewer may follow it: staff of its court, or its own participant.
pub(super) async fn authorise(
    state: &AppState,
    parts: &mut Parts,
    id: HearingId,
) -> ApiResult<(Viewer, Hearing)> {
    if let Ok(staff) = Staff::from_request_parts(parts, state).await {
        let hearing = super::hearings::visible_hearing(state, &staff, id).await?;
        staff.require(Action::ViewHearing)?;
        return Ok((Viewer::Staff(staff), hearing));
    }
    let session = ParticipantSession::from_request_parts(parts, state).await?;
    if session.hearing.id != id {
        return Err(ApiError::forbidden());
    }
    session.require(Action::JoinHearing)?;
    let hearing = session.hearing.clone();
    Ok((Viewer::Participant(session), hearing))
}

#[derive(Debug, Deserialize)]
struct LiveQuery {
    /// The last sequence number the client saw.
    since: Option<u64>,
}

async fn live(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<HearingId>,
    Query(query): Query<LiveQuery>,
    request: axum::extract::Request,
) -> ApiResult<Response> {
    let (mut parts, body) = request.into_parts();
    let (viewer, hearing) = authorise(&state, &mut parts, id).await?;
    let upgrade =
        WebSocketUpgrade::from_request(axum::extract::Request::from_parts(parts, body), &state)
            .await
            .map_err(|rejection| {
                ApiError::new(
                    axum::http::StatusCode::BAD_REQUEST,
                    "websocket_expected",
                    "此地址需要 WebSocket 连接",
                    rejection.body_text(),
                )
            })?;
    Ok(upgrade
        .max_message_size(64 * 1024)
        .on_upgrade(move |socket| serve(state, viewer, hearing, query.since, socket)))
}

use axum::extract::FromRequest;

/// A hearing's state as clients show it.
#[derive(Debug, Serialize)]
struct LiveState {
    state: HearingState,
    scheduled_at: DateTime<Utc>,
    scheduled_local: String,
}

/// One person of the roster.
#[derive(Debug, Serialize)]
pub struct RosterEntry {
    /// `staff` or `participant`.
    kind: &'static str,
    id: uuid::Uuid,
    name: String,
    role: ParticipantRole,
    connected: bool,
    rules_confirmed: bool,
    checked_in: bool,
}

async fn live_state(state: &AppState, hearing: &Hearing) -> ApiResult<LiveState> {
    let zone = state.store.court(hearing.court_id).await?.time_zone.tz();
    Ok(LiveState {
        state: hearing.state,
        scheduled_at: hearing.scheduled_at,
        scheduled_local: hearing
            .scheduled_at
            .with_timezone(&zone)
            .format("%Y-%m-%d %H:%M")
            .to_string(),
    })
}

async fn roster(state: &AppState, hearing_id: HearingId) -> ApiResult<Vec<RosterEntry>> {
    let live = &state.live;
    let bench = state
        .store
        .bench(hearing_id)
        .await?
        .into_iter()
        .map(|seat| RosterEntry {
            kind: "staff",
            id: seat.user.id.0,
            name: seat.user.display_name.to_string(),
            role: seat.role,
            connected: live.is_present(hearing_id, Member::Staff(seat.user.id)),
            rules_confirmed: true,
            checked_in: true,
        });
    let participants = state.store.participants(hearing_id).await?;
    let participants = participants.into_iter().map(|p| RosterEntry {
        kind: "participant",
        id: p.id.0,
        name: p.name.to_string(),
        role: p.role,
        connected: live.is_present(hearing_id, Member::Participant(p.id)),
        rules_confirmed: p.rules_confirmed_at.is_some(),
        checked_in: p.checked_in_at.is_some(),
    });
    Ok(bench.chain(participants).collect())
}

/// Tells the hearing's clients who is there now.
pub async fn publish_roster(state: &AppState, hearing_id: HearingId) {
    match roster(state, hearing_id).await {
        Ok(members) => state
            .live
            .publish(hearing_id, json!({"type": "roster", "members": members})),
        Err(err) => tracing::warn!(hearing = %hearing_id, error = ?err, "roster not published"),
    }
}

/// Tells the hearing's clients its state (after a state change or a new time).
pub async fn publish_state(state: &AppState, hearing: &Hearing) {
    match live_state(state, hearing).await {
        Ok(live) => state
            .live
            .publish(hearing.id, json!({"type": "state", "hearing": live})),
        Err(err) => tracing::warn!(hearing = %hearing.id, error = ?err, "state not published"),
    }
}

/// How long a silent client is kept: clients ping every 15 seconds.
const IDLE_LIMIT: Duration = Duration::from_secs(60);

async fn serve(
    state: AppState,
    viewer: Viewer,
    hearing: Hearing,
    since: Option<u64>,
    mut socket: WebSocket,
) {
    let member = viewer.member();
    let mut joined = state.live.join(hearing.id, member, since);
    let connection = joined.connection;
    publish_roster(&state, hearing.id).await;
    let outcome = session(&state, &viewer, &hearing, &mut joined, &mut socket).await;
    if let Err(reason) = outcome {
        tracing::debug!(hearing = %hearing.id, reason, "live connection ended");
    }
    if state.live.leave(hearing.id, member, connection) {
        publish_roster(&state, hearing.id).await;
    }
}

async fn send(socket: &mut WebSocket, text: String) -> Result<(), &'static str> {
    socket
        .send(Message::Text(text.into()))
        .await
        .map_err(|_| "send failed")
}

async fn snapshot(
    state: &AppState,
    hearing_id: HearingId,
    seq: u64,
) -> Result<String, &'static str> {
    let hearing = state
        .store
        .hearing(hearing_id)
        .await
        .map_err(|_| "hearing unreadable")?;
    let live = live_state(state, &hearing)
        .await
        .map_err(|_| "state unreadable")?;
    let members = roster(state, hearing_id)
        .await
        .map_err(|_| "roster unreadable")?;
    Ok(json!({"type": "snapshot", "seq": seq, "hearing": live, "members": members}).to_string())
}

async fn session(
    state: &AppState,
    viewer: &Viewer,
    hearing: &Hearing,
    joined: &mut crate::live::Joined,
    socket: &mut WebSocket,
) -> Result<(), &'static str> {
    send(
        socket,
        json!({"type": "welcome", "you": viewer.describe(), "hearing_id": hearing.id}).to_string(),
    )
    .await?;
    let mut last_sent = 0;
    match &joined.catchup {
        Catchup::Replay(missed) => {
            for message in missed {
                send(socket, message.json.clone()).await?;
                last_sent = message.seq;
            }
        }
        Catchup::Snapshot { seq } => {
            send(socket, snapshot(state, hearing.id, *seq).await?).await?;
            last_sent = *seq;
        }
    }
    loop {
        tokio::select! {
            event = joined.events.recv() => match event {
                Ok(message) => forward(socket, &message, &mut last_sent).await?,
                // Too far behind to replay: start again from a snapshot.
                Err(RecvError::Lagged(_)) => {
                    let seq = last_sent.max(1);
                    send(socket, snapshot(state, hearing.id, seq).await?).await?;
                }
                Err(RecvError::Closed) => return Err("hub closed"),
            },
            incoming = tokio::time::timeout(IDLE_LIMIT, socket.recv()) => match incoming {
                Ok(Some(Ok(Message::Text(text)))) => {
                    if text.contains("\"ping\"") {
                        send(socket, json!({"type": "pong"}).to_string()).await?;
                    }
                }
                Ok(Some(Ok(Message::Close(_)))) | Ok(None) => return Ok(()),
                Ok(Some(Ok(_))) => {}
                Ok(Some(Err(_))) => return Err("receive failed"),
                Err(_) => return Err("idle"),
            },
            _ = &mut joined.replaced => {
                let _ = send(socket, json!({"type": "replaced"}).to_string()).await;
                let _ = socket.send(Message::Close(None)).await;
                return Ok(());
            }
        }
    }
}

async fn forward(
    socket: &mut WebSocket,
    message: &Arc<Numbered>,
    last_sent: &mut u64,
) -> Result<(), &'static str> {
    // Already sent in the catch-up.
    if message.seq <= *last_sent {
        return Ok(());
    }
    send(socket, message.json.clone()).await?;
    *last_sent = message.seq;
    Ok(())
}
