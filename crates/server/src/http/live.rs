//! The hearing's live WebSocket (`/api/v1/hearings/{id}/live`): the state and the
//! roster (who is there, with role; who waits to be admitted), numbered so that a
//! client reconnecting with `?since=N` catches up on what it missed. Staff of the
//! court and the hearing's own participants may connect; nobody else.
//!
//! Not everyone is told everything. The roster as published lists who is in the hearing
//! (`members`) and, apart, the witnesses who wait outside until the court calls them in
//! (`witnesses`); each connection shapes every message for its viewer ([`Follower`]):
//! staff get it all; a participant gets `members` only (so nobody sees a tile of a
//! witness outside); a witness outside gets the hearing's state, their own roster entry
//! and what is addressed to them (`"to"`), and nothing else — no roster of others, no
//! transcript, evidence or presentation (a witness must not follow the hearing before
//! testifying). A message addressed to one participant (`removed`) reaches only them.
//!
//! The same socket carries the connection's own media signalling, unnumbered and never
//! broadcast: the client sends `media.offer` (its SDP), the server answers `media.answer`,
//! later sends `media.offer` when other members' tracks come or go and takes the client's
//! `media.answer`; `media.leave` ends the media session, `media.closed` says the server
//! ended it, `media.error` that an offer or answer was refused. Court rule: only staff and
//! participants in the hearing room get media — a participant once admitted, a witness
//! once called in; anyone else is refused (`media.error` with code `media_not_allowed`).
//! When a participant leaves the room (removed, 移出庭审; a witness sent out, 退庭), their
//! connection ends its media session at once and says `media.closed`.

use super::Staff;
use super::error::{ApiError, ApiPath, ApiResult};
use super::join::ParticipantSession;
use crate::app::AppState;
use crate::live::{Catchup, Member};
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::response::Response;
use chrono::{DateTime, Utc};
use court::{
    Action, Hearing, HearingId, HearingState, Participant, ParticipantId, ParticipantRole,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
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
    // In a cluster the connection is served where the hearing's media runs.
    let route = match &state.cluster {
        Some(cluster) => {
            cluster
                .route(&state, hearing.id, &parts.uri, &parts.headers)
                .await?
        }
        None => crate::cluster::Route::Here,
    };
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
    let upgrade = upgrade.max_message_size(64 * 1024);
    Ok(match route {
        crate::cluster::Route::Here => {
            upgrade.on_upgrade(move |socket| serve(state, viewer, hearing, query.since, socket))
        }
        crate::cluster::Route::Proxy(upstream) => {
            upgrade.on_upgrade(move |socket| crate::cluster::relay(socket, *upstream))
        }
    })
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

/// The roster as published: who is in the hearing, and (for the staff only) the
/// witnesses who wait outside until called in.
struct Roster {
    members: Vec<RosterEntry>,
    witnesses: Vec<RosterEntry>,
}

async fn roster(state: &AppState, hearing_id: HearingId) -> ApiResult<Roster> {
    let present = state.live.present(hearing_id).await?;
    let muted = state.live.muted(hearing_id).await?;
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
            connected: present.contains(&seat.user.id.0),
            rules_confirmed: true,
            checked_in: true,
            muted: muted.contains(&seat.user.id.0),
        });
    let entry = |p: &Participant| RosterEntry {
        kind: "participant",
        id: p.id.0,
        name: p.name.to_string(),
        role: p.role,
        connected: present.contains(&p.id.0),
        rules_confirmed: p.rules_confirmed_at.is_some(),
        checked_in: p.checked_in_at.is_some(),
        muted: muted.contains(&p.id.0),
    };
    let (outside, inside): (Vec<_>, Vec<_>) = state
        .store
        .participants(hearing_id)
        .await?
        .into_iter()
        .partition(court::admission::waits_outside);
    Ok(Roster {
        members: bench.chain(inside.iter().map(entry)).collect(),
        witnesses: outside.iter().map(entry).collect(),
    })
}

/// Tells the hearing's clients who is there now.
pub async fn publish_roster(state: &AppState, hearing_id: HearingId) {
    match roster(state, hearing_id).await {
        Ok(roster) => state.live.publish(
            hearing_id,
            json!({"type": "roster", "members": roster.members, "witnesses": roster.witnesses}),
        ),
        Err(err) => tracing::warn!(hearing = %hearing_id, error = ?err, "roster not published"),
    }
}

/// Tells a participant the court removed them from the hearing (移出庭审), with its
/// reason if given; only their connection receives it, and it ends their media.
pub fn publish_removed(
    state: &AppState,
    hearing_id: HearingId,
    participant: ParticipantId,
    reason: Option<&str>,
) {
    state.live.publish(
        hearing_id,
        json!({"type": "removed", "to": participant, "reason": reason}),
    );
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
    // Cluster mode: this node follows the hearing's log from here on.
    let mut joined = state.live.join_following(hearing.id, member, since).await;
    let connection = joined.connection;
    state
        .live
        .share_presence(hearing.id, member, connection, true)
        .await;
    publish_roster(&state, hearing.id).await;
    let outcome = session(&state, &viewer, &hearing, &mut joined, &mut socket).await;
    if let Err(reason) = outcome {
        tracing::debug!(hearing = %hearing.id, reason, "live connection ended");
    }
    if state.live.leave(hearing.id, member, connection) {
        state
            .live
            .share_presence(hearing.id, member, connection, false)
            .await;
        publish_roster(&state, hearing.id).await;
    }
}

async fn send(socket: &mut WebSocket, text: String) -> Result<(), &'static str> {
    socket
        .send(Message::Text(text.into()))
        .await
        .map_err(|_| "send failed")
}

/// The hearing as it is now, numbered `seq`, as staff see it (a [`Follower`] shapes it).
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
    let roster = roster(state, hearing_id)
        .await
        .map_err(|_| "roster unreadable")?;
    Ok(json!({
        "type": "snapshot", "seq": seq, "hearing": live,
        "members": roster.members, "witnesses": roster.witnesses,
    })
    .to_string())
}

/// Where a connection's viewer stands in the hearing, which decides what they are told
/// and whether they may have media.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    /// The court: everything, media always.
    Staff,
    /// A participant in the hearing room (admitted; a witness: called in).
    InRoom,
    /// A participant in the waiting room: sees who is there, has no media.
    Waiting,
    /// A witness not called in (or one whose record is gone): nothing of the hearing.
    Outside,
}

impl Standing {
    fn of(participant: &Participant) -> Self {
        if court::admission::in_the_room(participant) {
            Standing::InRoom
        } else if court::admission::waits_outside(participant) {
            Standing::Outside
        } else {
            Standing::Waiting
        }
    }

    /// Where a published roster (or snapshot) puts participant `me`.
    fn in_roster(roster: &Value, me: &str) -> Self {
        let find = |list: &str| {
            roster[list]
                .as_array()
                .and_then(|entries| entries.iter().find(|e| e["id"].as_str() == Some(me)))
        };
        if find("witnesses").is_some() {
            return Standing::Outside;
        }
        match find("members") {
            Some(entry) if entry["checked_in"] == Value::Bool(true) => Standing::InRoom,
            Some(_) => Standing::Waiting,
            None => Standing::Outside,
        }
    }
}

/// Shapes the hearing's messages for one connection. A participant's standing is read
/// from the store — the authority — when the connection opens, and again whenever a
/// roster places them elsewhere or a message addressed to them says so: rosters may
/// arrive a little out of date, the store may not.
struct Follower {
    /// The participant this connection serves; none for staff.
    me: Option<ParticipantId>,
    standing: Standing,
}

impl Follower {
    fn new(viewer: &Viewer) -> Self {
        match viewer {
            Viewer::Staff(_) => Self {
                me: None,
                standing: Standing::Staff,
            },
            Viewer::Participant(session) => Self {
                me: Some(session.participant.id),
                standing: Standing::of(&session.participant),
            },
        }
    }

    async fn refresh(&mut self, state: &AppState) {
        let Some(me) = self.me else { return };
        self.standing = match state.store.participant(me).await {
            Ok(participant) => Standing::of(&participant),
            Err(store::StoreError::NotFound(_)) => Standing::Outside,
            Err(err) => {
                // Unsure: tell nothing and end the media until the next roster.
                tracing::warn!(participant = %me, error = ?err, "standing unreadable");
                Standing::Outside
            }
        };
    }

    fn may_have_media(&self) -> bool {
        matches!(self.standing, Standing::Staff | Standing::InRoom)
    }

    /// The message (as published) as this connection may see it; none when it is not
    /// for this viewer.
    async fn shape(&mut self, state: &AppState, text: &str) -> Option<String> {
        let Some(me) = self.me else {
            return Some(text.to_owned());
        };
        let mut message: Value = serde_json::from_str(text).ok()?;
        let me_text = me.to_string();
        if let Some(to) = message.get("to")
            && to.as_str() != Some(me_text.as_str())
        {
            return None;
        }
        match message["type"].as_str().unwrap_or_default() {
            "roster" | "snapshot" => {
                if Standing::in_roster(&message, &me_text) != self.standing {
                    self.refresh(state).await;
                }
                self.view_roster(&mut message, &me_text);
                Some(message.to_string())
            }
            "removed" => {
                self.refresh(state).await;
                Some(text.to_owned())
            }
            // Everyone may know whether the hearing is open, in session or over.
            "state" => Some(text.to_owned()),
            _ if self.standing == Standing::Outside => None,
            _ => Some(text.to_owned()),
        }
    }

    /// A participant sees who is in the hearing; a witness outside sees only themselves.
    fn view_roster(&self, message: &mut Value, me: &str) {
        let Some(object) = message.as_object_mut() else {
            return;
        };
        let witnesses = object.remove("witnesses");
        if self.standing != Standing::Outside {
            return;
        }
        let mine = |list: Option<&Value>| {
            list.and_then(Value::as_array)
                .and_then(|entries| entries.iter().find(|e| e["id"].as_str() == Some(me)))
                .cloned()
        };
        let own = mine(witnesses.as_ref()).or_else(|| mine(object.get("members")));
        object.insert("members".into(), Value::Array(own.into_iter().collect()));
    }
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

/// Whether this viewer may exchange media now: staff always; a participant only in the
/// hearing room — admitted, and a witness only once called in.
async fn media_allowed(state: &AppState, viewer: &Viewer) -> Result<bool, ApiError> {
    match viewer {
        Viewer::Staff(_) => Ok(true),
        Viewer::Participant(session) => {
            let participant = state.store.participant(session.participant.id).await?;
            Ok(court::admission::in_the_room(&participant))
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
    let mut follower = Follower::new(viewer);
    let mut last_sent = 0;
    match &joined.catchup {
        Catchup::Replay(missed) => {
            for message in missed {
                deliver(state, socket, &mut follower, media, &message.json).await?;
                last_sent = message.seq;
            }
        }
        Catchup::Snapshot { seq } => {
            let snapshot = snapshot(state, hearing.id, *seq).await?;
            deliver(state, socket, &mut follower, media, &snapshot).await?;
            last_sent = *seq;
        }
    }
    loop {
        tokio::select! {
            event = joined.events.recv() => match event {
                // Already sent in the catch-up, or not yet: the numbers say.
                Ok(message) if message.seq <= last_sent => {}
                Ok(message) => {
                    deliver(state, socket, &mut follower, media, &message.json).await?;
                    last_sent = message.seq;
                }
                // Too far behind to replay: start again from a snapshot.
                Err(RecvError::Lagged(_)) => {
                    let seq = last_sent.max(1);
                    let snapshot = snapshot(state, hearing.id, seq).await?;
                    deliver(state, socket, &mut follower, media, &snapshot).await?;
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

/// Sends one message of the hearing as this connection may see it, then ends the media
/// session if the viewer is no longer in the room (removed, or a witness sent out): the
/// SFU stops forwarding to and from them at once, and the client hears `media.closed`.
async fn deliver(
    state: &AppState,
    socket: &mut WebSocket,
    follower: &mut Follower,
    media: &mut Option<MediaPeer>,
    text: &str,
) -> Result<(), &'static str> {
    if let Some(shaped) = follower.shape(state, text).await {
        send(socket, shaped).await?;
    }
    if !follower.may_have_media()
        && let Some(peer) = media.take()
    {
        tracing::debug!(participant = ?follower.me, standing = ?follower.standing, "out of the room: media ended");
        state.media.leave(peer.peer);
        send(socket, json!({"type": "media.closed"}).to_string()).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{ClientMessage, Follower, Standing};
    use court::ParticipantId;
    use serde_json::json;

    fn roster(me: &str) -> serde_json::Value {
        json!({
            "type": "roster",
            "members": [
                {"id": "judge", "name": "许1", "checked_in": true},
                {"id": "party", "name": "贾1", "checked_in": true},
                {"id": "late", "name": "易2", "checked_in": false},
            ],
            "witnesses": [{"id": me, "name": "王5", "checked_in": false}],
        })
    }

    #[test]
    fn a_roster_says_where_a_participant_stands() {
        let message = roster("witness");
        assert_eq!(Standing::in_roster(&message, "witness"), Standing::Outside);
        assert_eq!(Standing::in_roster(&message, "party"), Standing::InRoom);
        assert_eq!(Standing::in_roster(&message, "late"), Standing::Waiting);
        // Gone from the roster (deleted): nothing of the hearing.
        assert_eq!(Standing::in_roster(&message, "nobody"), Standing::Outside);
    }

    #[test]
    fn a_witness_outside_sees_only_themselves_and_a_party_no_witnesses() {
        let outside = Follower {
            me: Some(ParticipantId::new()),
            standing: Standing::Outside,
        };
        let mut message = roster("witness");
        outside.view_roster(&mut message, "witness");
        assert_eq!(
            message,
            json!({"type": "roster", "members": [{"id": "witness", "name": "王5", "checked_in": false}]})
        );
        let party = Follower {
            me: Some(ParticipantId::new()),
            standing: Standing::InRoom,
        };
        let mut message = roster("witness");
        party.view_roster(&mut message, "party");
        assert!(message.get("witnesses").is_none());
        assert_eq!(message["members"].as_array().map(Vec::len), Some(3));
        assert!(party.may_have_media());
        assert!(!outside.may_have_media());
    }

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
