//! The hearing's live WebSocket (`/api/v1/hearings/{id}/live`): the state and the
//! roster (who is there, with role; who waits to be admitted), numbered so that a
//! client reconnecting with `?since=N` catches up on what it missed. Staff of the
//! court and the hearing's own participants may connect; nobody else.
//!
//! The same socket carries the connection's own media signalling, unnumbered and never
//! broadcast: the client sends `media.offer` (its SDP), the server answers `media.answer`,
//! later sends `media.offer` when other members' tracks come or go and takes the client's
//! `media.answer`; `media.leave` ends the media session, `media.closed` says the SFU ended
//! it, `media.error` that an offer or answer was refused. Court rule, phase 1: a witness
//! (who must hear nothing until called in) and a participant not yet admitted get no media
//! at all (`media.error` with code `media_not_allowed`).

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
use tokio::sync::mpsc;

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

    /// The id the roster shows for this viewer, which names its media streams.
    fn member_id(&self) -> String {
        match self {
            Viewer::Staff(staff) => staff.user.id.to_string(),
            Viewer::Participant(session) => session.participant.id.to_string(),
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
    /// The court muted them: nobody receives their audio.
    muted: bool,
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
            muted: live.is_muted(hearing_id, Member::Staff(seat.user.id)),
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
        muted: live.is_muted(hearing_id, Member::Participant(p.id)),
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
    let mut media: Option<MediaPeer> = None;
    let outcome = session_loop(state, viewer, hearing, joined, socket, &mut media).await;
    if let Some(peer) = media {
        state.media.leave(peer.peer);
    }
    outcome
}

/// This connection's media session.
struct MediaPeer {
    peer: media::PeerId,
    events: mpsc::UnboundedReceiver<media::PeerEvent>,
}

/// What a client sends on the live socket.
#[derive(Debug, Deserialize)]
#[serde(tag = "type")]
enum ClientMessage {
    #[serde(rename = "ping")]
    Ping,
    #[serde(rename = "media.offer")]
    MediaOffer { sdp: String },
    #[serde(rename = "media.answer")]
    MediaAnswer { sdp: String },
    #[serde(rename = "media.leave")]
    MediaLeave,
    #[serde(other)]
    Other,
}

async fn next_media_event(media: &mut Option<MediaPeer>) -> Option<media::PeerEvent> {
    match media {
        Some(peer) => peer.events.recv().await,
        None => std::future::pending().await,
    }
}

fn media_error(code: &str, message: impl std::fmt::Display) -> serde_json::Value {
    json!({"type": "media.error", "code": code, "message": message.to_string()})
}

/// Whether this viewer may exchange media now: staff always; a participant once admitted,
/// and never a witness in phase 1 (calling a witness in comes with the SFU's per-track
/// permissions).
async fn media_allowed(state: &AppState, viewer: &Viewer) -> Result<bool, ApiError> {
    match viewer {
        Viewer::Staff(_) => Ok(true),
        Viewer::Participant(session) => {
            let participant = state.store.participant(session.participant.id).await?;
            Ok(participant.role != ParticipantRole::Witness && participant.checked_in_at.is_some())
        }
    }
}

/// The client's offer starts (or restarts) its media session; the reply is the answer.
async fn media_offer(
    state: &AppState,
    viewer: &Viewer,
    hearing: &Hearing,
    media: &mut Option<MediaPeer>,
    sdp: &str,
) -> serde_json::Value {
    match media_allowed(state, viewer).await {
        Ok(true) => {}
        Ok(false) => {
            return media_error("media_not_allowed", "no media for this participant now");
        }
        Err(err) => {
            tracing::warn!(hearing = %hearing.id, error = ?err, "media permission unreadable");
            return media_error("media_unavailable", "cannot check permission");
        }
    }
    if let Some(previous) = media.take() {
        state.media.leave(previous.peer);
    }
    match state
        .media
        .join(&hearing.id.to_string(), &viewer.member_id(), sdp)
        .await
    {
        Ok(joined) => {
            *media = Some(MediaPeer {
                peer: joined.peer,
                events: joined.events,
            });
            json!({"type": "media.answer", "sdp": joined.answer})
        }
        Err(err) => {
            tracing::debug!(hearing = %hearing.id, error = %err, "media offer refused");
            media_error("media_offer_refused", err)
        }
    }
}

/// The client's answer to the SFU's renegotiation offer; a reply only on error.
async fn media_answer(
    state: &AppState,
    media: &Option<MediaPeer>,
    sdp: &str,
) -> Option<serde_json::Value> {
    let Some(peer) = media else {
        return Some(media_error("media_not_started", "no media session"));
    };
    match state.media.answer(peer.peer, sdp).await {
        Ok(()) => None,
        Err(err) => Some(media_error("media_answer_refused", err)),
    }
}

async fn session_loop(
    state: &AppState,
    viewer: &Viewer,
    hearing: &Hearing,
    joined: &mut crate::live::Joined,
    socket: &mut WebSocket,
    media: &mut Option<MediaPeer>,
) -> Result<(), &'static str> {
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
                    match serde_json::from_str::<ClientMessage>(&text) {
                        Ok(ClientMessage::Ping) => {
                            send(socket, json!({"type": "pong"}).to_string()).await?;
                        }
                        Ok(ClientMessage::MediaOffer { sdp }) => {
                            let reply = media_offer(state, viewer, hearing, media, &sdp).await;
                            send(socket, reply.to_string()).await?;
                        }
                        Ok(ClientMessage::MediaAnswer { sdp }) => {
                            if let Some(reply) = media_answer(state, media, &sdp).await {
                                send(socket, reply.to_string()).await?;
                            }
                        }
                        Ok(ClientMessage::MediaLeave) => {
                            if let Some(peer) = media.take() {
                                state.media.leave(peer.peer);
                            }
                        }
                        // Unknown or malformed: newer clients may say more.
                        Ok(ClientMessage::Other) | Err(_) => {}
                    }
                }
                Ok(Some(Ok(Message::Close(_)))) | Ok(None) => return Ok(()),
                Ok(Some(Ok(_))) => {}
                Ok(Some(Err(_))) => return Err("receive failed"),
                Err(_) => return Err("idle"),
            },
            event = next_media_event(media) => match event {
                Some(media::PeerEvent::Offer(sdp)) => {
                    send(socket, json!({"type": "media.offer", "sdp": sdp}).to_string()).await?;
                }
                Some(media::PeerEvent::Closed) | None => {
                    *media = None;
                    send(socket, json!({"type": "media.closed"}).to_string()).await?;
                }
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

#[cfg(test)]
mod tests {
    use super::ClientMessage;

    #[test]
    fn client_messages_parse_by_type() {
        let parse = |text: &str| serde_json::from_str::<ClientMessage>(text);
        assert!(matches!(
            parse(r#"{"type":"ping"}"#),
            Ok(ClientMessage::Ping)
        ));
        assert!(matches!(
            parse(r#"{"type":"media.offer","sdp":"v=0"}"#),
            Ok(ClientMessage::MediaOffer { sdp }) if sdp == "v=0"
        ));
        assert!(matches!(
            parse(r#"{"type":"media.answer","sdp":"v=0"}"#),
            Ok(ClientMessage::MediaAnswer { .. })
        ));
        assert!(matches!(
            parse(r#"{"type":"media.leave"}"#),
            Ok(ClientMessage::MediaLeave)
        ));
        // Types this server does not know are ignored, not errors.
        assert!(matches!(
            parse(r#"{"type":"something.new","x":1}"#),
            Ok(ClientMessage::Other)
        ));
        assert!(
            parse(r#"{"type":"media.offer"}"#).is_err(),
            "an offer needs its SDP"
        );
    }
}
