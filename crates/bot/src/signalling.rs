//! Signalling behind a small trait, so the media session does not care whose SFU it
//! talks to: [`Signalling`] connects, publishes (our offer → the SFU's answer), waits for
//! the SFU's subscription offers and answers them, and leaves. [`LiveSignalling`] is
//! cloudcourt's: the hearing's live WebSocket with its `media.*` messages
//! (crates/server/src/http/live.rs). Janus's VideoRoom (crate::janus) fits the same seam
//! with two sessions per bot: one that publishes (our offer, Janus's answer) and one
//! that only answers the subscriptions Janus offers ([`Signalling::offers_first`]), whose
//! tracks it attributes to their publishers itself ([`Signalling::source_of`]).

use anyhow::{Context, anyhow, bail};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::json;
use std::collections::VecDeque;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};

/// What the SFU says about the media session, apart from answering our offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signal {
    /// A renegotiation: others' tracks came or went. Answer with [`Signalling::answer`].
    Offer(String),
    /// The SFU ended the media session (or the channel is gone).
    Closed(String),
    /// The SFU refused something we sent.
    Error { code: String, message: String },
}

/// The signalling of one participant's media session.
pub trait Signalling {
    /// Opens the channel.
    async fn connect(&mut self) -> anyhow::Result<()>;
    /// Starts the media session with our SDP offer; returns the SFU's answer.
    async fn publish(&mut self, offer: &str) -> anyhow::Result<String>;
    /// The next subscription change the SFU offers (or the end). Cancel-safe: the
    /// session waits for it alongside its sockets and timers.
    async fn subscribe(&mut self) -> anyhow::Result<Signal>;
    /// Answers the last [`Signal::Offer`].
    async fn answer(&mut self, answer: &str) -> anyhow::Result<()>;
    /// Ends the media session and closes the channel.
    async fn leave(&mut self) -> anyhow::Result<()>;
    /// Whether the SFU makes the first offer (a Janus subscription): the session then
    /// offers nothing and waits for [`Signal::Offer`]; [`Signalling::publish`] is not used.
    fn offers_first(&self) -> bool {
        false
    }
    /// The publisher of the track on media line `mid` when the signalling knows it (Janus
    /// names it beside the offer); otherwise the SDP's stream id (cloudcourt: the
    /// publishing member's id) is taken.
    fn source_of(&self, _mid: &str) -> Option<String> {
        None
    }
}

/// How long the SFU may take to answer our offer.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(20);
/// The live socket's keep-alive (the server drops a client silent for 60 s).
const PING_EVERY: Duration = Duration::from_secs(15);

/// A server message of the live socket, as far as media goes.
#[derive(Debug, Deserialize)]
#[serde(tag = "type")]
enum ServerMessage {
    #[serde(rename = "media.answer")]
    Answer { sdp: String },
    #[serde(rename = "media.offer")]
    Offer { sdp: String },
    #[serde(rename = "media.closed")]
    Closed,
    #[serde(rename = "media.error")]
    Error {
        #[serde(default)]
        code: String,
        #[serde(default)]
        message: String,
    },
    /// Another connection of the same member took over.
    #[serde(rename = "replaced")]
    Replaced,
    #[serde(other)]
    Other,
}

/// What the reader task passes on.
#[derive(Debug)]
enum Incoming {
    Answer(String),
    Signal(Signal),
}

/// Parses one text message of the live socket; `None` for what media does not need
/// (state, roster, pongs, unknown types, malformed text).
fn parse(text: &str) -> Option<Incoming> {
    match serde_json::from_str::<ServerMessage>(text).ok()? {
        ServerMessage::Answer { sdp } => Some(Incoming::Answer(sdp)),
        ServerMessage::Offer { sdp } => Some(Incoming::Signal(Signal::Offer(sdp))),
        ServerMessage::Closed => Some(Incoming::Signal(Signal::Closed(
            "the server ended the media session (media.closed)".into(),
        ))),
        ServerMessage::Error { code, message } => {
            Some(Incoming::Signal(Signal::Error { code, message }))
        }
        ServerMessage::Replaced => Some(Incoming::Signal(Signal::Closed(
            "another connection of this participant replaced the live socket".into(),
        ))),
        ServerMessage::Other => None,
    }
}

enum Outgoing {
    Text(String),
    Close,
}

/// cloudcourt's signalling: the hearing's live WebSocket, with the participant's
/// session cookie.
pub struct LiveSignalling {
    url: String,
    cookie: String,
    out: Option<mpsc::UnboundedSender<Outgoing>>,
    incoming: Option<mpsc::UnboundedReceiver<Incoming>>,
    /// Signals that arrived while we waited for an answer.
    pending: VecDeque<Signal>,
    tasks: Vec<JoinHandle<()>>,
}

impl LiveSignalling {
    pub fn new(url: String, cookie: String) -> Self {
        Self {
            url,
            cookie,
            out: None,
            incoming: None,
            pending: VecDeque::new(),
            tasks: Vec::new(),
        }
    }

    fn send(&self, message: serde_json::Value) -> anyhow::Result<()> {
        self.out
            .as_ref()
            .context("the live socket is not connected")?
            .send(Outgoing::Text(message.to_string()))
            .map_err(|_| anyhow!("the live socket is closed"))
    }

    async fn next(&mut self) -> Incoming {
        let Some(incoming) = self.incoming.as_mut() else {
            return Incoming::Signal(Signal::Closed("the live socket is not connected".into()));
        };
        incoming
            .recv()
            .await
            .unwrap_or_else(|| Incoming::Signal(Signal::Closed("the live socket closed".into())))
    }
}

impl Drop for LiveSignalling {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Signalling for LiveSignalling {
    async fn connect(&mut self) -> anyhow::Result<()> {
        let what = format!("connect the live socket {}", self.url);
        let mut request = self
            .url
            .as_str()
            .into_client_request()
            .with_context(|| what.clone())?;
        request.headers_mut().insert(
            "cookie",
            self.cookie
                .parse()
                .with_context(|| format!("{what}: the session cookie is not a header value"))?,
        );
        let (socket, _) = match tokio_tungstenite::connect_async(request).await {
            Ok(connected) => connected,
            Err(tungstenite::Error::Http(response)) => {
                let body = response
                    .body()
                    .as_deref()
                    .map(|b| {
                        String::from_utf8_lossy(b)
                            .chars()
                            .take(300)
                            .collect::<String>()
                    })
                    .unwrap_or_default();
                bail!("{what}: {} {body}", response.status());
            }
            Err(tungstenite::Error::Url(err)) => {
                bail!("{what}: {err} (wss:// needs a TLS-enabled build; use http:// on loopback)")
            }
            Err(err) => return Err(anyhow::Error::new(err).context(what)),
        };
        let (mut sink, mut stream) = socket.split();
        let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Outgoing>();
        let (in_tx, in_rx) = mpsc::unbounded_channel::<Incoming>();
        let writer = tokio::spawn(async move {
            let mut ping = tokio::time::interval(PING_EVERY);
            ping.tick().await;
            loop {
                let message = tokio::select! {
                    out = out_rx.recv() => match out {
                        Some(Outgoing::Text(text)) => Message::text(text),
                        Some(Outgoing::Close) | None => {
                            let _ = sink.close().await;
                            return;
                        }
                    },
                    _ = ping.tick() => Message::text(json!({"type": "ping"}).to_string()),
                };
                if let Err(err) = sink.send(message).await {
                    tracing::debug!(error = %err, "live socket send failed");
                    return;
                }
            }
        });
        let reader = tokio::spawn(async move {
            while let Some(message) = stream.next().await {
                match message {
                    Ok(Message::Text(text)) => {
                        if let Some(incoming) = parse(&text)
                            && in_tx.send(incoming).is_err()
                        {
                            return;
                        }
                    }
                    Ok(Message::Close(_)) => break,
                    Ok(_) => {}
                    Err(err) => {
                        tracing::debug!(error = %err, "live socket receive failed");
                        break;
                    }
                }
            }
            let _ = in_tx.send(Incoming::Signal(Signal::Closed(
                "the server closed the live socket".into(),
            )));
        });
        self.out = Some(out_tx);
        self.incoming = Some(in_rx);
        self.tasks = vec![writer, reader];
        Ok(())
    }

    async fn publish(&mut self, offer: &str) -> anyhow::Result<String> {
        self.send(json!({"type": "media.offer", "sdp": offer}))
            .context("send the media offer")?;
        let wait = async {
            loop {
                match self.next().await {
                    Incoming::Answer(sdp) => return Ok(sdp),
                    Incoming::Signal(Signal::Error { code, message }) => {
                        let hint = if code == "media_not_allowed" {
                            " (not admitted yet, or a witness: witnesses get no media)"
                        } else {
                            ""
                        };
                        bail!("the server refused the media offer: {code}: {message}{hint}")
                    }
                    Incoming::Signal(Signal::Closed(why)) => {
                        bail!("no answer to the media offer: {why}")
                    }
                    Incoming::Signal(offer @ Signal::Offer(_)) => self.pending.push_back(offer),
                }
            }
        };
        tokio::time::timeout(ANSWER_TIMEOUT, wait)
            .await
            .map_err(|_| {
                anyhow!(
                    "no answer to the media offer within {} s",
                    ANSWER_TIMEOUT.as_secs()
                )
            })?
    }

    async fn subscribe(&mut self) -> anyhow::Result<Signal> {
        if let Some(signal) = self.pending.pop_front() {
            return Ok(signal);
        }
        loop {
            match self.next().await {
                Incoming::Signal(signal) => return Ok(signal),
                // An answer nobody waits for (a late duplicate): nothing to do.
                Incoming::Answer(_) => {}
            }
        }
    }

    async fn answer(&mut self, answer: &str) -> anyhow::Result<()> {
        self.send(json!({"type": "media.answer", "sdp": answer}))
            .context("send the media answer")
    }

    async fn leave(&mut self) -> anyhow::Result<()> {
        let Some(out) = self.out.take() else {
            return Ok(());
        };
        let _ = out.send(Outgoing::Text(json!({"type": "media.leave"}).to_string()));
        let _ = out.send(Outgoing::Close);
        // Let the writer flush media.leave and the close frame.
        if let Some(writer) = self.tasks.first_mut() {
            let _ = tokio::time::timeout(Duration::from_secs(2), writer).await;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_messages_parse_and_the_rest_is_ignored() {
        assert!(matches!(
            parse(r#"{"type":"media.answer","sdp":"v=0"}"#),
            Some(Incoming::Answer(sdp)) if sdp == "v=0"
        ));
        assert!(matches!(
            parse(r#"{"type":"media.offer","sdp":"v=1"}"#),
            Some(Incoming::Signal(Signal::Offer(sdp))) if sdp == "v=1"
        ));
        assert!(matches!(
            parse(r#"{"type":"media.closed"}"#),
            Some(Incoming::Signal(Signal::Closed(_)))
        ));
        assert!(matches!(
            parse(r#"{"type":"media.error","code":"media_not_allowed","message":"no"}"#),
            Some(Incoming::Signal(Signal::Error { code, .. })) if code == "media_not_allowed"
        ));
        assert!(matches!(
            parse(r#"{"type":"replaced"}"#),
            Some(Incoming::Signal(Signal::Closed(_)))
        ));
        assert!(parse(r#"{"type":"roster","members":[]}"#).is_none());
        assert!(
            parse(r#"{"type":"media.offer"}"#).is_none(),
            "an offer without SDP"
        );
        assert!(parse("not json").is_none());
        assert!(parse(r#"{"no":"type"}"#).is_none());
    }
}
