//! Several nodes on one PostgreSQL database and one blob store (cluster mode; with
//! SQLite a process is the only node and none of this runs).
//!
//! - Each node registers at start with its internal address (`[cluster] node_url`) and
//!   beats every [`HEARTBEAT`]; one silent for [`NODE_TIMEOUT`] counts as dead.
//! - Each hearing's media (SFU room and recorder) runs on one node, recorded in the
//!   database: the first live connection places the hearing on the node it reaches. A
//!   live connection reaching another node is proxied there ([`Route::Proxy`]). When
//!   the hearing's node is dead, the next connection places it here, and this node
//!   records on in a new segment (the dead node recovers its own segment when it
//!   starts again).
//! - The live messages go through the hearing's log in the database; this node's
//!   listener delivers them to its clients ([`crate::live::LiveHub::catch_up`]) and, for
//!   the hearings whose media runs here, applies them: a new state drives the recorder,
//!   a roster's mutes the SFU.

use crate::app::AppState;
use crate::http::error::ApiError;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use court::{HearingId, HearingState};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use store::cluster::{ClusterDb, HEARTBEAT, NODE_TIMEOUT};
use tokio_tungstenite::MaybeTlsStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use uuid::Uuid;

/// Marks a live connection one node proxies to another, so that it is never proxied on.
pub const FORWARDED_HEADER: &str = "x-cloudcourt-forwarded-by";

/// A WebSocket from this node to the hearing's node.
pub type Upstream = tokio_tungstenite::WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

/// This node in the cluster.
pub struct Cluster {
    db: ClusterDb,
    node: Uuid,
    /// The hearings whose media runs here.
    owned: Mutex<HashSet<HearingId>>,
    /// Stopping: no more heartbeats.
    retired: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster").field("node", &self.node).finish()
    }
}

/// Where a live connection is served.
pub enum Route {
    Here,
    /// On the hearing's node, through this connection to it.
    Proxy(Box<Upstream>),
}

impl Cluster {
    pub fn new(db: ClusterDb) -> Self {
        Self {
            db,
            node: Uuid::now_v7(),
            owned: Mutex::default(),
            retired: Default::default(),
        }
    }

    pub fn node(&self) -> Uuid {
        self.node
    }

    pub fn db(&self) -> &ClusterDb {
        &self.db
    }

    fn owned(&self) -> std::sync::MutexGuard<'_, HashSet<HearingId>> {
        self.owned
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Leaves the cluster (a clean stop): the other nodes take this node's hearings
    /// over at their next connection instead of waiting for its heartbeat to age.
    pub async fn retire(&self) {
        self.retired
            .store(true, std::sync::atomic::Ordering::SeqCst);
        if let Err(err) = self.db.retire(self.node).await {
            tracing::warn!(error = %err, "could not tell the cluster this node stops");
        }
    }

    /// Whether the hearing's media runs here.
    pub fn owns(&self, hearing: HearingId) -> bool {
        self.owned().contains(&hearing)
    }

    /// Where `hearing`'s live connection is served: here when its media runs here (or
    /// it had no live node and now runs here), else proxied to its node. When that node
    /// does not answer, waits for it to count as dead and takes the hearing over —
    /// clients are back as soon as the cluster knows, not after their next retry.
    pub async fn route(
        &self,
        state: &AppState,
        hearing: HearingId,
        uri: &axum::http::Uri,
        headers: &HeaderMap,
    ) -> Result<Route, ApiError> {
        if let Some(by) = headers.get(FORWARDED_HEADER) {
            // Proxied here by another node: serve it only as the hearing's node.
            let placement = self.db.place(hearing, self.node).await?;
            if placement.node_id != self.node {
                tracing::info!(hearing = %hearing, from = ?by, "hearing moved on: proxied connection refused");
                return Err(moved());
            }
            self.took(state, hearing).await;
            return Ok(Route::Here);
        }
        let deadline = tokio::time::Instant::now() + NODE_TIMEOUT + Duration::from_secs(2);
        loop {
            let placement = self.db.place(hearing, self.node).await?;
            if placement.node_id == self.node {
                self.took(state, hearing).await;
                return Ok(Route::Here);
            }
            match connect(&placement.url, uri, headers, self.node).await {
                Ok(upstream) => return Ok(Route::Proxy(Box::new(upstream))),
                Err(Refused::Status(status)) if status != StatusCode::SERVICE_UNAVAILABLE => {
                    // The hearing's node answered (401, 403…): its word is the answer.
                    return Err(ApiError::new(
                        status,
                        "live_refused",
                        "庭审连接被拒绝",
                        format!("The hearing's node refused the connection ({status})"),
                    ));
                }
                Err(refused) => {
                    let reason = match refused {
                        Refused::Status(status) => status.to_string(),
                        Refused::Network(reason) => reason,
                    };
                    tracing::info!(hearing = %hearing, node = %placement.node_id, reason, "the hearing's node does not answer");
                    if tokio::time::Instant::now() >= deadline {
                        return Err(moved());
                    }
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
            }
        }
    }

    /// The hearing's media runs here from now on: when it is being recorded, this node
    /// records on (a new segment).
    async fn took(&self, state: &AppState, hearing_id: HearingId) {
        if self.owns(hearing_id) {
            return;
        }
        // Read what was published so far first: only what comes next is applied here.
        state.live.catch_up(hearing_id, true).await;
        if !self.owned().insert(hearing_id) {
            return;
        }
        tracing::info!(hearing = %hearing_id, node = %self.node, "the hearing's media runs here");
        match state.store.hearing(hearing_id).await {
            Ok(hearing)
                if matches!(
                    hearing.state,
                    HearingState::InSession | HearingState::Recess
                ) =>
            {
                state.recordings.follow(&state.store, &hearing).await;
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(hearing = %hearing_id, error = %err, "hearing unreadable"),
        }
    }
}

fn moved() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "hearing_node_unavailable",
        "庭审所在节点暂不可用，请稍后重试",
        "The node serving this hearing does not answer yet; try again shortly",
    )
}

#[derive(Debug)]
enum Refused {
    Status(StatusCode),
    Network(String),
}

/// Opens the same live connection on the hearing's node, carrying the client's
/// credentials (cookie) and address.
async fn connect(
    node_url: &str,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    node: Uuid,
) -> Result<Upstream, Refused> {
    let base = node_url
        .trim_end_matches('/')
        .replacen("https://", "wss://", 1)
        .replacen("http://", "ws://", 1);
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let mut request = format!("{base}{path}")
        .into_client_request()
        .map_err(|err| Refused::Network(err.to_string()))?;
    for name in [
        axum::http::header::COOKIE,
        axum::http::header::AUTHORIZATION,
        axum::http::header::USER_AGENT,
        axum::http::header::ACCEPT_LANGUAGE,
    ] {
        if let Some(value) = headers.get(&name) {
            request.headers_mut().insert(name, value.clone());
        }
    }
    if let Ok(value) = HeaderValue::from_str(&node.to_string()) {
        request.headers_mut().insert(FORWARDED_HEADER, value);
    }
    let attempt = tokio_tungstenite::connect_async(request);
    match tokio::time::timeout(Duration::from_secs(3), attempt).await {
        Ok(Ok((upstream, _))) => Ok(upstream),
        Ok(Err(tokio_tungstenite::tungstenite::Error::Http(response))) => {
            Err(Refused::Status(response.status()))
        }
        Ok(Err(err)) => Err(Refused::Network(err.to_string())),
        Err(_) => Err(Refused::Network("timed out".into())),
    }
}

/// Relays a client's live connection to the hearing's node until either side ends it.
pub async fn relay(mut client: axum::extract::ws::WebSocket, upstream: Upstream) {
    use axum::extract::ws::Message as Client;
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message as Node;
    let (mut to_node, mut from_node) = upstream.split();
    loop {
        tokio::select! {
            message = client.recv() => {
                let forwarded = match message {
                    Some(Ok(Client::Text(text))) => Node::text(text.as_str()),
                    Some(Ok(Client::Binary(bytes))) => Node::binary(bytes),
                    Some(Ok(Client::Ping(bytes))) => Node::Ping(bytes),
                    Some(Ok(Client::Pong(bytes))) => Node::Pong(bytes),
                    Some(Ok(Client::Close(_))) | Some(Err(_)) | None => break,
                };
                if to_node.send(forwarded).await.is_err() {
                    break;
                }
            }
            message = from_node.next() => {
                let forwarded = match message {
                    Some(Ok(Node::Text(text))) => Client::Text(text.as_str().into()),
                    Some(Ok(Node::Binary(bytes))) => Client::Binary(bytes),
                    Some(Ok(Node::Ping(bytes))) => Client::Ping(bytes),
                    Some(Ok(Node::Pong(bytes))) => Client::Pong(bytes),
                    Some(Ok(Node::Frame(_))) => continue,
                    Some(Ok(Node::Close(_))) | Some(Err(_)) | None => break,
                };
                if client.send(forwarded).await.is_err() {
                    break;
                }
            }
        }
    }
    let _ = to_node.close().await;
    let _ = client.close().await;
}

/// Registers this node, then keeps it alive, delivers the live log and tidies up, in
/// the background, until the process ends.
pub async fn start(state: &AppState, node_url: String) -> anyhow::Result<()> {
    use anyhow::Context;
    let Some(cluster) = state.cluster.clone() else {
        return Ok(());
    };
    cluster
        .db
        .register_node(cluster.node, &node_url)
        .await
        .context("registering this node in the cluster")?;
    tracing::info!(node = %cluster.node, url = %node_url, "cluster node registered");
    let beating = cluster.clone();
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(HEARTBEAT);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut beats = 0u64;
        loop {
            ticks.tick().await;
            if beating.retired.load(std::sync::atomic::Ordering::SeqCst) {
                return;
            }
            if let Err(err) = beating.db.heartbeat(beating.node).await {
                tracing::warn!(error = %err, "heartbeat not written");
            }
            beats += 1;
            if beats.is_multiple_of(120)
                && let Err(err) = beating.db.prune().await
            {
                tracing::warn!(error = %err, "cluster tables not pruned");
            }
        }
    });
    tokio::spawn(listen(state.clone(), cluster));
    Ok(())
}

/// Follows the NOTIFYs of the live log. After the listening connection was lost, every
/// hearing followed here is read again from the log: nothing is missed.
async fn listen(state: AppState, cluster: Arc<Cluster>) {
    loop {
        let mut listener = match cluster.db.listener().await {
            Ok(listener) => listener,
            Err(err) => {
                tracing::warn!(error = %err, "cannot listen to the live log; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        catch_up_all(&state, &cluster).await;
        loop {
            match listener.try_recv().await {
                Ok(Some(notification)) => {
                    let Some(hearing) = notification
                        .payload()
                        .split(' ')
                        .next()
                        .and_then(|id| id.parse::<Uuid>().ok())
                        .map(HearingId)
                    else {
                        continue;
                    };
                    deliver(&state, &cluster, hearing).await;
                }
                Ok(None) => {
                    tracing::warn!("the live log listener reconnects");
                    catch_up_all(&state, &cluster).await;
                }
                Err(err) => {
                    tracing::warn!(error = %err, "the live log listener failed");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    break;
                }
            }
        }
    }
}

async fn catch_up_all(state: &AppState, cluster: &Cluster) {
    for hearing in state.live.hearings() {
        deliver(state, cluster, hearing).await;
    }
}

/// Delivers `hearing`'s new messages to this node's clients and, when its media runs
/// here, applies them.
async fn deliver(state: &AppState, cluster: &Cluster, hearing: HearingId) {
    let owned = cluster.owns(hearing);
    let delivered = state.live.catch_up(hearing, owned).await;
    if !owned {
        state.live.forget_if_idle(hearing).await;
        return;
    }
    for message in delivered {
        let Ok(body) = serde_json::from_str::<serde_json::Value>(&message.json) else {
            continue;
        };
        match body["type"].as_str() {
            Some("state") => match state.store.hearing(hearing).await {
                Ok(current) => state.recordings.follow(&state.store, &current).await,
                Err(err) => tracing::warn!(hearing = %hearing, error = %err, "hearing unreadable"),
            },
            Some("roster") => apply_mutes(state, hearing, &body),
            _ => {}
        }
    }
}

/// The SFU here follows the court's mutes as the roster states them.
fn apply_mutes(state: &AppState, hearing: HearingId, roster: &serde_json::Value) {
    let room = hearing.to_string();
    let entries = roster["members"]
        .as_array()
        .into_iter()
        .chain(roster["witnesses"].as_array())
        .flatten();
    for entry in entries {
        let (Some(id), Some(muted)) = (entry["id"].as_str(), entry["muted"].as_bool()) else {
            continue;
        };
        if let Err(err) = state.media.set_muted(&room, id, muted) {
            tracing::warn!(hearing = %hearing, error = %err, "mute not applied");
        }
    }
}

/// Cluster mode: the address of the node an evidence upload is staged on, when that is
/// another node (its chunks go there). A node that died took the staged bytes with it:
/// the upload is then gone (410), and the client starts it again.
pub async fn staged_elsewhere(
    state: &AppState,
    upload: Uuid,
    headers: &HeaderMap,
) -> Result<Option<String>, ApiError> {
    let Some(cluster) = &state.cluster else {
        return Ok(None);
    };
    if headers.contains_key(FORWARDED_HEADER)
        || state
            .staging
            .offset(upload)
            .await
            .is_ok_and(|offset| offset.is_some())
    {
        return Ok(None);
    }
    match cluster.db.upload_node(upload).await? {
        Some((node, _, _)) if node == cluster.node => Ok(None),
        Some((_, url, true)) => Ok(Some(url)),
        Some((_, _, false)) => Err(ApiError::new(
            StatusCode::GONE,
            "upload_lost",
            "上传所在的服务器已停止，请重新上传该文件",
            "The server this upload was staged on stopped; upload the file again",
        )),
        None => Ok(None),
    }
}

/// Sends an upload request on to the node it is staged on and returns that node's
/// answer, streaming the body through.
pub async fn forward(
    node_url: &str,
    parts: &axum::http::request::Parts,
    body: axum::body::Body,
    node: Uuid,
) -> Result<axum::response::Response, ApiError> {
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let url = format!("{}{path}", node_url.trim_end_matches('/'));
    let mut request = reqwest::Client::new()
        .request(parts.method.clone(), url)
        .body(reqwest::Body::wrap_stream(body.into_data_stream()));
    for (name, value) in &parts.headers {
        if !matches!(
            name.as_str(),
            "host" | "connection" | "transfer-encoding" | "keep-alive" | "upgrade"
        ) {
            request = request.header(name, value);
        }
    }
    request = request.header(FORWARDED_HEADER, node.to_string());
    let answer = request.send().await.map_err(|err| {
        ApiError::new(
            StatusCode::BAD_GATEWAY,
            "upload_node_unreachable",
            "上传所在的服务器暂时无法连接，请稍后继续上传",
            format!("The server this upload is staged on does not answer: {err}"),
        )
    })?;
    let mut response = axum::response::Response::builder().status(answer.status());
    for (name, value) in answer.headers() {
        if !matches!(
            name.as_str(),
            "connection" | "transfer-encoding" | "content-length"
        ) {
            response = response.header(name, value);
        }
    }
    let bytes = answer.bytes().await.map_err(ApiError::internal)?;
    response
        .body(axum::body::Body::from(bytes))
        .map_err(ApiError::internal)
}
