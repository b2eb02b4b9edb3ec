//! The same bots against Janus 1.1.x's VideoRoom, for the side-by-side SFU benchmark
//! (`bench/sfu.py`): Janus's HTTP transport (`POST /janus` to create a session, `POST
//! /janus/{session}` to attach the `janus.plugin.videoroom` plugin, `POST
//! /janus/{session}/{handle}` for its requests, a long poll `GET /janus/{session}` for its
//! events, which also keeps the session alive).
//!
//! A bot is one Janus session with two handles and, in Janus's way, two PeerConnections
//! (two str0m sessions, [`crate::session::run`] each):
//!
//! - the **room handle** joins the room as a publisher with its feed id (`--phone`):
//!   `joinandconfigure` with our offer → Janus's answer for a publishing bot, a plain
//!   `join` for one that only receives; its events name the room's publishers as they
//!   come and go;
//! - the **subscriber handle** is one multistream subscription to everyone else:
//!   `join` with `ptype: subscriber` and one `streams` entry per feed, then `subscribe`
//!   for feeds that come later; each `attached`/`updated` event brings Janus's offer,
//!   which the session answers (`start` with our answer). Janus names the feed of each
//!   media line beside the offer ([`Signalling::source_of`]), which is how latency finds
//!   the publisher's send log (registered under its feed id).
//!
//! str0m puts every candidate in the SDP: after each offer or answer, a trickle
//! `completed` tells Janus there are no more.

use crate::report::{BotReport, KindCounters, Outcome};
use crate::session::{self, Media, SessionConfig};
use crate::signalling::{Signal, Signalling};
use anyhow::{Context, anyhow, bail};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

/// How long Janus may take to answer our publisher offer.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(20);
/// Janus holds a long poll up to 30 s before it answers with a keepalive.
const POLL_TIMEOUT: Duration = Duration::from_secs(45);
/// Any other request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
/// Events fetched per long poll.
const MAX_EVENTS: u32 = 10;

/// Janus's HTTP API at one base URL (e.g. `http://10.77.0.1:8088/janus`).
#[derive(Debug)]
pub struct JanusClient {
    http: reqwest::Client,
    base: String,
    transactions: AtomicU64,
}

/// A Janus error answer or event, as the bot shows it.
fn janus_error(what: &str, answer: &Value) -> anyhow::Error {
    let error = &answer["error"];
    anyhow!(
        "{what}: Janus error {}: {}",
        error["code"],
        error["reason"].as_str().unwrap_or("(no reason)")
    )
}

/// A Janus id (session, handle; a feed when `string_ids` is off) from a JSON number.
fn id_of(value: &Value) -> Option<u64> {
    value.as_u64()
}

/// A feed id as the report and the latency registry name it: its digits (or the string
/// itself with `string_ids`).
fn feed_name(value: &Value) -> Option<String> {
    match value {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

impl JanusClient {
    pub fn new(base: &str) -> anyhow::Result<Self> {
        let base = base.trim_end_matches('/').to_owned();
        if !base.starts_with("http://") {
            bail!(
                "--janus must be Janus's http:// API URL, e.g. http://10.77.0.1:8088/janus, not {base:?}"
            );
        }
        let http = reqwest::Client::builder()
            .timeout(POLL_TIMEOUT)
            .build()
            .context("building the HTTP client")?;
        Ok(Self {
            http,
            base,
            transactions: AtomicU64::new(1),
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// POSTs a Janus request (a transaction is added) to `path` below the base and
    /// returns the answer; `"janus": "error"` becomes an error.
    async fn post(&self, what: &str, path: &str, mut body: Value) -> anyhow::Result<Value> {
        let transaction = self.transactions.fetch_add(1, Ordering::Relaxed);
        body["transaction"] = json!(format!("t{transaction}"));
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .timeout(REQUEST_TIMEOUT)
            .json(&body)
            .send()
            .await
            .with_context(|| format!("{what}: POST {}{path}", self.base))?;
        let status = response.status();
        let answer: Value = response
            .json()
            .await
            .with_context(|| format!("{what}: {status}, not a JSON answer"))?;
        if answer["janus"] == "error" {
            return Err(janus_error(what, &answer));
        }
        Ok(answer)
    }

    async fn create_session(&self) -> anyhow::Result<u64> {
        let answer = self
            .post("create a Janus session", "", json!({"janus": "create"}))
            .await?;
        id_of(&answer["data"]["id"]).context("create a Janus session: no id in the answer")
    }

    async fn attach(&self, session: u64) -> anyhow::Result<u64> {
        let answer = self
            .post(
                "attach the VideoRoom plugin",
                &format!("/{session}"),
                json!({"janus": "attach", "plugin": "janus.plugin.videoroom"}),
            )
            .await?;
        id_of(&answer["data"]["id"]).context("attach the VideoRoom plugin: no handle id")
    }

    /// A plugin request; the answer is an `ack` (the result comes as an event) or, for
    /// synchronous requests, `success` with the plugin's data.
    async fn message(
        &self,
        what: &str,
        session: u64,
        handle: u64,
        body: Value,
        jsep: Option<Value>,
    ) -> anyhow::Result<Value> {
        let mut request = json!({"janus": "message", "body": body});
        if let Some(jsep) = jsep {
            request["jsep"] = jsep;
        }
        let answer = self
            .post(what, &format!("/{session}/{handle}"), request)
            .await?;
        let data = &answer["plugindata"]["data"];
        if data.get("error_code").is_some() {
            bail!(
                "{what}: VideoRoom error {}: {}",
                data["error_code"],
                data["error"].as_str().unwrap_or("(no reason)")
            );
        }
        Ok(answer)
    }

    /// Tells Janus that every candidate of ours was in the SDP.
    async fn end_of_candidates(&self, session: u64, handle: u64) -> anyhow::Result<()> {
        self.post(
            "signal the end of candidates",
            &format!("/{session}/{handle}"),
            json!({"janus": "trickle", "candidate": {"completed": true}}),
        )
        .await
        .map(drop)
    }

    /// One long poll: the session's next events (none after a keepalive).
    async fn poll(&self, session: u64) -> anyhow::Result<Vec<Value>> {
        let response = self
            .http
            .get(format!("{}/{session}?maxev={MAX_EVENTS}", self.base))
            .send()
            .await
            .context("long poll for Janus events")?;
        let answer: Value = response
            .json()
            .await
            .context("long poll for Janus events: not JSON")?;
        Ok(match answer {
            Value::Array(events) => events,
            event => vec![event],
        })
    }

    async fn destroy(&self, session: u64) -> anyhow::Result<()> {
        self.post(
            "destroy the Janus session",
            &format!("/{session}"),
            json!({"janus": "destroy"}),
        )
        .await
        .map(drop)
    }
}

/// What the signalling front-ends ask of a bot's Janus task.
enum Command {
    /// Join the room publishing with this offer; the answer comes back.
    Publish(String, oneshot::Sender<anyhow::Result<String>>),
    /// Our answer to the subscriber handle's last offer.
    Answer(String),
    /// Stop publishing (the publishing session is over).
    Unpublish,
    /// Destroy the session and end the task.
    Leave(oneshot::Sender<()>),
}

/// Where the task is with the subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Subscription {
    /// Not joined as a subscriber yet (nobody else publishes yet).
    None,
    /// A `join`/`subscribe` went out, or an offer is being answered: wait.
    Negotiating,
    /// Answered; new feeds may be added.
    Idle,
}

/// A bot's Janus task: owns the session and both handles, turns events into signals.
struct Task {
    client: Arc<JanusClient>,
    session: u64,
    room_handle: u64,
    subscriber_handle: u64,
    room: u64,
    feed: u64,
    display: String,
    private_id: Option<u64>,
    /// The publishing session waits for Janus's answer here.
    publish_reply: Option<oneshot::Sender<anyhow::Result<String>>>,
    /// Feeds publishing in the room, ours excepted.
    feeds: BTreeSet<u64>,
    /// Feeds asked for on the subscriber handle.
    subscribed: BTreeSet<u64>,
    subscription: Subscription,
    /// To the subscribing session: Janus's offers, or the end.
    to_subscriber: mpsc::UnboundedSender<Signal>,
    /// To the publishing session: the end.
    to_publisher: mpsc::UnboundedSender<Signal>,
    /// Media line → publishing feed, from the subscriber handle's `streams`.
    sources: Arc<Mutex<HashMap<String, String>>>,
}

impl Task {
    fn what(&self, request: &str) -> String {
        format!(
            "VideoRoom {request} (room {}, feed {})",
            self.room, self.feed
        )
    }

    /// Ends both sessions with `why`.
    fn close(&self, why: &str) {
        let _ = self.to_subscriber.send(Signal::Closed(why.to_owned()));
        let _ = self.to_publisher.send(Signal::Closed(why.to_owned()));
    }

    async fn run(
        mut self,
        mut commands: mpsc::UnboundedReceiver<Command>,
        mut events: mpsc::UnboundedReceiver<anyhow::Result<Value>>,
        publish: bool,
    ) {
        if !publish && let Err(err) = self.join_without_publishing().await {
            self.close(&format!("{err:#}"));
        }
        loop {
            let step = tokio::select! {
                command = commands.recv() => match command {
                    Some(Command::Leave(done)) => {
                        if let Err(err) = self.client.destroy(self.session).await {
                            tracing::debug!(error = %err, "destroy the Janus session");
                        }
                        let _ = done.send(());
                        return;
                    }
                    Some(command) => self.command(command).await,
                    None => return,
                },
                event = events.recv() => match event {
                    Some(Ok(event)) => self.event(event).await,
                    Some(Err(err)) => Err(err),
                    None => Err(anyhow!("the Janus long poll ended")),
                },
            };
            if let Err(err) = step {
                let why = format!("{err:#}");
                tracing::warn!(feed = self.feed, error = %why, "Janus");
                if let Some(reply) = self.publish_reply.take() {
                    let _ = reply.send(Err(anyhow!(why.clone())));
                }
                self.close(&why);
            }
        }
    }

    async fn join_without_publishing(&mut self) -> anyhow::Result<()> {
        let what = self.what("join as a participant who does not publish");
        let body = json!({
            "request": "join", "ptype": "publisher", "room": self.room,
            "id": self.feed, "display": self.display,
        });
        self.client
            .message(&what, self.session, self.room_handle, body, None)
            .await
            .map(drop)
    }

    async fn command(&mut self, command: Command) -> anyhow::Result<()> {
        match command {
            Command::Publish(offer, reply) => {
                tracing::debug!(feed = self.feed, sdp = %offer, "our offer");
                let what = self.what("joinandconfigure");
                let body = json!({
                    "request": "joinandconfigure", "ptype": "publisher", "room": self.room,
                    "id": self.feed, "display": self.display, "audio": true, "video": true,
                });
                let jsep = json!({"type": "offer", "sdp": offer});
                match self
                    .client
                    .message(&what, self.session, self.room_handle, body, Some(jsep))
                    .await
                {
                    Ok(_) => {
                        self.publish_reply = Some(reply);
                        self.client
                            .end_of_candidates(self.session, self.room_handle)
                            .await
                    }
                    Err(err) => {
                        let _ = reply.send(Err(err));
                        Ok(())
                    }
                }
            }
            Command::Answer(answer) => {
                tracing::debug!(feed = self.feed, sdp = %answer, "our answer");
                let what = self.what("start (the subscriber's answer)");
                let jsep = json!({"type": "answer", "sdp": answer});
                self.client
                    .message(
                        &what,
                        self.session,
                        self.subscriber_handle,
                        json!({"request": "start"}),
                        Some(jsep),
                    )
                    .await?;
                self.client
                    .end_of_candidates(self.session, self.subscriber_handle)
                    .await?;
                self.subscription = Subscription::Idle;
                self.subscribe_new_feeds().await
            }
            Command::Unpublish => {
                let what = self.what("unpublish");
                if let Err(err) = self
                    .client
                    .message(
                        &what,
                        self.session,
                        self.room_handle,
                        json!({"request": "unpublish"}),
                        None,
                    )
                    .await
                {
                    tracing::debug!(error = %err, "unpublish");
                }
                Ok(())
            }
            Command::Leave(_) => Ok(()),
        }
    }

    /// Adds the feeds of a `publishers` list.
    fn add_publishers(&mut self, publishers: &Value) {
        for publisher in publishers.as_array().into_iter().flatten() {
            if let Some(id) = id_of(&publisher["id"])
                && id != self.feed
            {
                self.feeds.insert(id);
            }
        }
    }

    async fn event(&mut self, event: Value) -> anyhow::Result<()> {
        let sender = id_of(&event["sender"]);
        let kind = event["janus"].as_str().unwrap_or_default();
        match kind {
            "event" => {}
            "hangup" => {
                let reason = event["reason"].as_str().unwrap_or("no reason");
                let why = format!("Janus hung up the PeerConnection: {reason}");
                if sender == Some(self.room_handle) {
                    let _ = self.to_publisher.send(Signal::Closed(why));
                } else {
                    let _ = self.to_subscriber.send(Signal::Closed(why));
                }
                return Ok(());
            }
            "detached" => return Ok(()),
            "timeout" => bail!("Janus timed the session out"),
            // keepalive, ack, webrtcup, media, slowlink, trickle: nothing to do.
            _ => return Ok(()),
        }
        let data = &event["plugindata"]["data"];
        let jsep = &event["jsep"];
        if let Some(code) = data.get("error_code") {
            let message = data["error"].as_str().unwrap_or("(no reason)").to_owned();
            let error = Signal::Error {
                code: code.to_string(),
                message: message.clone(),
            };
            if sender == Some(self.room_handle) {
                if let Some(reply) = self.publish_reply.take() {
                    let _ = reply.send(Err(anyhow!("VideoRoom error {code}: {message}")));
                } else {
                    let _ = self.to_publisher.send(error);
                }
            } else {
                let _ = self.to_subscriber.send(error);
            }
            return Ok(());
        }
        if sender == Some(self.room_handle) {
            if data["videoroom"] == "joined" {
                self.private_id = id_of(&data["private_id"]);
            }
            self.add_publishers(&data["publishers"]);
            for gone in [&data["unpublished"], &data["leaving"]] {
                if let Some(id) = id_of(gone) {
                    self.feeds.remove(&id);
                    self.subscribed.remove(&id);
                }
            }
            if jsep["type"] == "answer"
                && let Some(sdp) = jsep["sdp"].as_str()
                && let Some(reply) = self.publish_reply.take()
            {
                tracing::debug!(feed = self.feed, %sdp, "Janus's answer");
                let _ = reply.send(Ok(sdp.to_owned()));
            }
            return self.subscribe_new_feeds().await;
        }
        if sender == Some(self.subscriber_handle) {
            tracing::debug!(feed = self.feed, %data, "subscriber event");
            if let Some(streams) = data["streams"].as_array() {
                let mut sources = self
                    .sources
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                for stream in streams {
                    if let (Some(mid), Some(feed)) =
                        (stream["mid"].as_str(), feed_name(&stream["feed_id"]))
                    {
                        sources.insert(mid.to_owned(), feed);
                    }
                }
            }
            if jsep["type"] == "offer"
                && let Some(sdp) = jsep["sdp"].as_str()
            {
                tracing::debug!(feed = self.feed, %sdp, "Janus's offer");
                self.subscription = Subscription::Negotiating;
                let _ = self.to_subscriber.send(Signal::Offer(sdp.to_owned()));
            } else if self.subscription == Subscription::Negotiating
                && data["videoroom"] == "updated"
            {
                // Nothing to renegotiate after all.
                self.subscription = Subscription::Idle;
                return self.subscribe_new_feeds().await;
            }
        }
        Ok(())
    }

    /// Asks for the feeds not subscribed yet, unless a negotiation is under way (its
    /// end asks again).
    async fn subscribe_new_feeds(&mut self) -> anyhow::Result<()> {
        if self.subscription == Subscription::Negotiating {
            return Ok(());
        }
        let new: Vec<u64> = self.feeds.difference(&self.subscribed).copied().collect();
        if new.is_empty() {
            return Ok(());
        }
        let streams: Vec<Value> = new.iter().map(|feed| json!({"feed": feed})).collect();
        let (what, body) = if self.subscription == Subscription::None {
            let mut body = json!({
                "request": "join", "ptype": "subscriber", "room": self.room, "streams": streams,
            });
            if let Some(private_id) = self.private_id {
                body["private_id"] = json!(private_id);
            }
            (self.what("join as a subscriber"), body)
        } else {
            (
                self.what("subscribe"),
                json!({"request": "subscribe", "streams": streams}),
            )
        };
        self.client
            .message(&what, self.session, self.subscriber_handle, body, None)
            .await?;
        self.subscribed.extend(new);
        self.subscription = Subscription::Negotiating;
        Ok(())
    }
}

/// One bot in Janus: its session, handles and task.
pub struct JanusBot {
    commands: mpsc::UnboundedSender<Command>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for JanusBot {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// The publishing PeerConnection's signalling.
pub struct Publisher {
    commands: mpsc::UnboundedSender<Command>,
    signals: mpsc::UnboundedReceiver<Signal>,
}

/// The subscribing PeerConnection's signalling: Janus offers, the session answers.
pub struct Subscriber {
    commands: mpsc::UnboundedSender<Command>,
    signals: mpsc::UnboundedReceiver<Signal>,
    sources: Arc<Mutex<HashMap<String, String>>>,
}

impl JanusBot {
    /// Creates the session and both handles, starts the long poll and the task; a bot
    /// that does not publish joins the room at once (it then sees who publishes).
    pub async fn start(
        client: Arc<JanusClient>,
        room: u64,
        feed: u64,
        publish: bool,
    ) -> anyhow::Result<(Self, Option<Publisher>, Subscriber)> {
        let session = client.create_session().await?;
        let room_handle = client.attach(session).await?;
        let subscriber_handle = client.attach(session).await?;
        let (event_tx, event_rx) = mpsc::unbounded_channel();
        let poller = {
            let client = client.clone();
            tokio::spawn(async move {
                loop {
                    match client.poll(session).await {
                        Ok(events) => {
                            for event in events {
                                if event_tx.send(Ok(event)).is_err() {
                                    return;
                                }
                            }
                        }
                        Err(err) => {
                            let _ = event_tx.send(Err(err));
                            return;
                        }
                    }
                }
            })
        };
        let (command_tx, command_rx) = mpsc::unbounded_channel();
        let (subscriber_tx, subscriber_rx) = mpsc::unbounded_channel();
        let (publisher_tx, publisher_rx) = mpsc::unbounded_channel();
        let sources = Arc::new(Mutex::new(HashMap::new()));
        let task = Task {
            client,
            session,
            room_handle,
            subscriber_handle,
            room,
            feed,
            display: format!("bot {feed}"),
            private_id: None,
            publish_reply: None,
            feeds: BTreeSet::new(),
            subscribed: BTreeSet::new(),
            subscription: Subscription::None,
            to_subscriber: subscriber_tx,
            to_publisher: publisher_tx,
            sources: sources.clone(),
        };
        let task = tokio::spawn(task.run(command_rx, event_rx, publish));
        let publisher = publish.then(|| Publisher {
            commands: command_tx.clone(),
            signals: publisher_rx,
        });
        let subscriber = Subscriber {
            commands: command_tx.clone(),
            signals: subscriber_rx,
            sources,
        };
        Ok((
            Self {
                commands: command_tx,
                tasks: vec![task, poller],
            },
            publisher,
            subscriber,
        ))
    }

    /// Destroys the Janus session (both PeerConnections end).
    pub async fn leave(self) {
        let (done_tx, done_rx) = oneshot::channel();
        if self.commands.send(Command::Leave(done_tx)).is_ok() {
            let _ = tokio::time::timeout(Duration::from_secs(5), done_rx).await;
        }
    }
}

fn send(commands: &mpsc::UnboundedSender<Command>, command: Command) -> anyhow::Result<()> {
    commands
        .send(command)
        .map_err(|_| anyhow!("the bot's Janus task has ended"))
}

impl Signalling for Publisher {
    async fn connect(&mut self) -> anyhow::Result<()> {
        Ok(())
    }

    async fn publish(&mut self, offer: &str) -> anyhow::Result<String> {
        let (reply_tx, reply_rx) = oneshot::channel();
        send(&self.commands, Command::Publish(offer.to_owned(), reply_tx))?;
        tokio::time::timeout(ANSWER_TIMEOUT, reply_rx)
            .await
            .map_err(|_| {
                anyhow!(
                    "Janus did not answer the publisher offer within {} s",
                    ANSWER_TIMEOUT.as_secs()
                )
            })?
            .map_err(|_| anyhow!("the bot's Janus task has ended"))?
    }

    async fn subscribe(&mut self) -> anyhow::Result<Signal> {
        Ok(self
            .signals
            .recv()
            .await
            .unwrap_or_else(|| Signal::Closed("the bot's Janus task has ended".into())))
    }

    async fn answer(&mut self, _answer: &str) -> anyhow::Result<()> {
        bail!("Janus makes no offers to a publisher")
    }

    async fn leave(&mut self) -> anyhow::Result<()> {
        send(&self.commands, Command::Unpublish)
    }
}

impl Signalling for Subscriber {
    async fn connect(&mut self) -> anyhow::Result<()> {
        Ok(())
    }

    async fn publish(&mut self, _offer: &str) -> anyhow::Result<String> {
        bail!("a Janus subscription is offered by Janus")
    }

    async fn subscribe(&mut self) -> anyhow::Result<Signal> {
        Ok(self
            .signals
            .recv()
            .await
            .unwrap_or_else(|| Signal::Closed("the bot's Janus task has ended".into())))
    }

    async fn answer(&mut self, answer: &str) -> anyhow::Result<()> {
        send(&self.commands, Command::Answer(answer.to_owned()))
    }

    async fn leave(&mut self) -> anyhow::Result<()> {
        Ok(())
    }

    fn offers_first(&self) -> bool {
        true
    }

    fn source_of(&self, mid: &str) -> Option<String> {
        self.sources
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(mid)
            .cloned()
    }
}

/// What every Janus bot of the process shares.
pub struct JanusRun {
    pub client: Arc<JanusClient>,
    pub room: u64,
    pub session: SessionConfig,
    pub media: Media,
}

/// One Janus bot from start to end (`feed` is its `--phone`, digits): its report,
/// whatever happens.
pub async fn bot(
    run: Arc<JanusRun>,
    feed: String,
    publish: bool,
    stop: watch::Receiver<bool>,
) -> BotReport {
    let started = Instant::now();
    let mut report = BotReport::new(&feed);
    report.participant_id = Some(feed.clone());
    report.name = Some(format!("bot {feed}"));
    report.role = Some(if publish { "publisher" } else { "subscriber" }.into());
    let Ok(id) = feed.parse::<u64>() else {
        report.error = Some(format!(
            "{feed:?} is no Janus feed id (digits, as --phone gives them)"
        ));
        return report;
    };
    let joined = tokio::select! {
        joined = JanusBot::start(run.client.clone(), run.room, id, publish) => joined,
        _ = wait_stop(stop.clone()) => {
            report.outcome = Outcome::Stopped;
            return report;
        }
    };
    let (janus, publisher, mut subscriber) = match joined {
        Ok(started) => started,
        Err(err) => {
            report.error = Some(format!("{err:#}"));
            return report;
        }
    };
    let log = Arc::new(run.media.new_log());
    run.media.registry.register(&feed, log.clone());
    // Either session failing ends the other one too.
    let (local_stop, local_stop_rx) = watch::channel(false);
    let forward = {
        let local_stop = local_stop.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            wait_stop(stop).await;
            let _ = local_stop.send(true);
        })
    };
    let mut published = BotReport::new(&feed);
    let mut received = BotReport::new(&feed);
    let publishing = async {
        let mut publisher = publisher?;
        let mut stop = local_stop_rx.clone();
        let config = SessionConfig {
            publish: true,
            ..run.session.clone()
        };
        let outcome = session::run(
            &mut publisher,
            &run.media,
            &config,
            log.clone(),
            &mut published,
            started,
            &mut stop,
        )
        .await;
        if outcome.is_err() {
            let _ = local_stop.send(true);
        }
        let _ = publisher.leave().await;
        Some(outcome)
    };
    let receiving = async {
        let mut stop = local_stop_rx.clone();
        let config = SessionConfig {
            publish: false,
            ..run.session.clone()
        };
        let outcome = session::run(
            &mut subscriber,
            &run.media,
            &config,
            log.clone(),
            &mut received,
            started,
            &mut stop,
        )
        .await;
        if outcome.is_err() {
            let _ = local_stop.send(true);
        }
        outcome
    };
    let (publishing, receiving) = tokio::join!(publishing, receiving);
    forward.abort();
    janus.leave().await;
    let outcome = merge(&mut report, published, received, publishing, receiving);
    match outcome {
        Ok(outcome) => report.outcome = outcome,
        Err(err) => {
            let message = format!("{err:#}");
            tracing::error!(feed = %feed, error = %message, "bot failed");
            report.outcome = Outcome::Failed;
            report.error = Some(message);
        }
    }
    report
}

async fn wait_stop(mut stop: watch::Receiver<bool>) {
    while !*stop.borrow() {
        if stop.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

fn add(into: &mut KindCounters, other: &KindCounters) {
    into.frames += other.frames;
    into.payload_bytes += other.payload_bytes;
    into.packets += other.packets;
    into.bytes += other.bytes;
    into.packets_lost += other.packets_lost;
    into.nacks += other.nacks;
    into.plis += other.plis;
    into.firs += other.firs;
}

/// One report of the bot's two sessions: sent from the publishing one, received from
/// the subscribing one; the first failure is the bot's.
fn merge(
    report: &mut BotReport,
    published: BotReport,
    received: BotReport,
    publishing: Option<anyhow::Result<Outcome>>,
    receiving: anyhow::Result<Outcome>,
) -> anyhow::Result<Outcome> {
    let main = if publishing.is_some() {
        &published
    } else {
        &received
    };
    report.joined_ms = main.joined_ms;
    report.connected_ms = main.connected_ms;
    report.published = publishing.is_some();
    report.media_seconds = published.media_seconds.max(received.media_seconds);
    report.rtt_ms = main.rtt_ms.or(received.rtt_ms);
    for part in [&published, &received] {
        add(&mut report.sent.audio, &part.sent.audio);
        add(&mut report.sent.video, &part.sent.video);
        add(&mut report.received.audio, &part.received.audio);
        add(&mut report.received.video, &part.received.video);
        report.unmatched_frames += part.unmatched_frames;
        report.keyframe_requests += part.keyframe_requests;
        report.keyframe_jumps += part.keyframe_jumps;
        report.video_loops += part.video_loops;
        report.renegotiations += part.renegotiations;
        report.audio_latency.extend(&part.audio_latency);
        report.video_latency.extend(&part.video_latency);
        for (source, counts) in &part.sources {
            report.sources.insert(source.clone(), counts.clone());
        }
    }
    let outcomes = [publishing, Some(receiving)];
    let mut stopped = false;
    for outcome in outcomes.into_iter().flatten() {
        match outcome? {
            Outcome::Stopped => stopped = true,
            Outcome::Completed | Outcome::Failed => {}
        }
    }
    Ok(if stopped {
        Outcome::Stopped
    } else {
        Outcome::Completed
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_ids_name_their_publishers() {
        assert_eq!(feed_name(&json!(1001)), Some("1001".into()));
        assert_eq!(feed_name(&json!("abc")), Some("abc".into()));
        assert_eq!(feed_name(&Value::Null), None);
        assert_eq!(id_of(&json!(7)), Some(7));
        assert_eq!(id_of(&json!("7")), None);
    }

    #[test]
    fn a_bot_reports_what_it_sent_and_what_it_received() {
        let mut published = BotReport::new("1001");
        published.sent.video.frames = 10;
        published.joined_ms = Some(5.0);
        let mut received = BotReport::new("1001");
        received.received.audio.packets = 7;
        received.renegotiations = 2;
        let mut report = BotReport::new("1001");
        let outcome = merge(
            &mut report,
            published,
            received,
            Some(Ok(Outcome::Completed)),
            Ok(Outcome::Completed),
        )
        .expect("both completed");
        assert_eq!(outcome, Outcome::Completed);
        assert_eq!(report.sent.video.frames, 10);
        assert_eq!(report.received.audio.packets, 7);
        assert_eq!(report.renegotiations, 2);
        assert_eq!(report.joined_ms, Some(5.0));
        assert!(report.published);

        let mut report = BotReport::new("1002");
        let failed = merge(
            &mut report,
            BotReport::new("1002"),
            BotReport::new("1002"),
            None,
            Err(anyhow!("ICE failed")),
        );
        assert!(failed.is_err_and(|e| e.to_string() == "ICE failed"));
        assert!(!report.published);

        let mut report = BotReport::new("1003");
        let stopped = merge(
            &mut report,
            BotReport::new("1003"),
            BotReport::new("1003"),
            Some(Ok(Outcome::Stopped)),
            Ok(Outcome::Completed),
        );
        assert_eq!(stopped.expect("no failure"), Outcome::Stopped);
    }

    /// A minimal Janus on a local port: create, attach, and a long poll that answers
    /// with a keepalive at once.
    #[tokio::test]
    async fn sessions_and_handles_are_created_over_http() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = tokio::spawn(async move {
            let mut next_id = 100u64;
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                // Read the head and the body of one request.
                loop {
                    let n = socket.read(&mut buf).await.unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    request.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&request).to_string();
                    if let Some(head_end) = text.find("\r\n\r\n") {
                        let length = text[..head_end]
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        if request.len() >= head_end + 4 + length {
                            break;
                        }
                    }
                }
                let text = String::from_utf8_lossy(&request).to_string();
                next_id += 1;
                let body = if text.starts_with("GET") {
                    json!({"janus": "keepalive"})
                } else if text.contains("\"attach\"") && text.contains("janus.plugin.videoroom") {
                    json!({"janus": "success", "data": {"id": next_id}})
                } else if text.contains("\"create\"") {
                    json!({"janus": "success", "data": {"id": 42}})
                } else {
                    json!({"janus": "error", "error": {"code": 458, "reason": "No such session"}})
                }
                .to_string();
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
            }
        });
        let client = JanusClient::new(&format!("http://127.0.0.1:{port}/janus/")).expect("url");
        assert_eq!(client.base(), format!("http://127.0.0.1:{port}/janus"));
        let session = client.create_session().await.expect("session");
        assert_eq!(session, 42);
        let handle = client.attach(session).await.expect("handle");
        assert!(handle > 100);
        let events = client.poll(session).await.expect("poll");
        assert_eq!(events, vec![json!({"janus": "keepalive"})]);
        let refused = client.destroy(session).await.expect_err("refused");
        assert!(refused.to_string().contains("No such session"), "{refused}");
        assert!(JanusClient::new("ws://127.0.0.1:1/janus").is_err());
        server.abort();
    }
}
