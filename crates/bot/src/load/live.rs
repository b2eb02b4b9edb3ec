//! One live WebSocket of the load test (`/api/v1/hearings/{id}/live`), held as the web
//! client holds it (`web/lib/live.js`): cookie auth, a `ping` every 15 s. It checks
//! what the server promises: the first numbered message is the snapshot and every
//! later `seq` is the one before plus one (a gap, or a snapshot mid-connection after the
//! server found it lagging, is an error); it notes when each `transcript` and `evidence`
//! message arrived (for the fan-out latency and the missed-message check) and passes
//! them on to the participant's task, which refetches like the web client. A socket that
//! ends before the test closes it is a drop.

use super::record::Recorder;
use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};

/// As the web client: the server drops a client silent for 60 s.
const PING_EVERY: Duration = Duration::from_secs(15);

/// What a participant's task reacts to, as the web client's views do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveEvent {
    Transcript,
    Evidence,
}

/// What one socket saw.
#[derive(Debug, Default)]
pub struct LiveLog {
    /// Text messages received (pongs included).
    pub messages: u64,
    pub pings: u64,
    pub pongs: u64,
    pub last_seq: Option<u64>,
    pub seq_gaps: u64,
    /// `transcript` messages: (version, arrival).
    pub transcripts: Vec<(i64, Instant)>,
    /// `evidence` messages of new items: (evidence id, arrival).
    pub evidence: Vec<(String, Instant)>,
    /// Why the socket ended, if it did.
    pub ended: Option<String>,
}

impl LiveLog {
    /// Takes one text message; returns the event to pass on and, for a broken
    /// numbering, the error to record.
    fn take(
        &mut self,
        text: &str,
        at: Instant,
    ) -> (Option<LiveEvent>, Option<(&'static str, String)>) {
        self.messages += 1;
        let Ok(message) = serde_json::from_str::<Value>(text) else {
            return (
                None,
                Some(("unexpected", format!("not JSON: {}", short(text)))),
            );
        };
        let kind = message["type"].as_str().unwrap_or_default();
        let mut problem = None;
        if kind == "pong" {
            self.pongs += 1;
        }
        if let Some(seq) = message["seq"].as_u64() {
            problem = match (kind, self.last_seq) {
                ("snapshot", None) => None,
                ("snapshot", Some(last)) => Some((
                    "resync",
                    format!(
                        "a snapshot (seq {seq}) after seq {last}: the server found this socket lagging"
                    ),
                )),
                (_, None) => Some((
                    "seq_gap",
                    format!("the first numbered message is {kind} seq {seq}, not the snapshot"),
                )),
                (_, Some(last)) if seq != last + 1 => {
                    self.seq_gaps += 1;
                    Some((
                        "seq_gap",
                        format!("{kind} seq {seq} after seq {last} (expected {})", last + 1),
                    ))
                }
                _ => None,
            };
            self.last_seq = Some(seq);
        }
        let event = match kind {
            "transcript" => {
                if let Some(version) = message["version"].as_i64() {
                    self.transcripts.push((version, at));
                }
                Some(LiveEvent::Transcript)
            }
            "evidence" => {
                if message["changed"] == "added"
                    && let Some(id) = message["evidence_id"].as_str()
                {
                    self.evidence.push((id.to_owned(), at));
                }
                Some(LiveEvent::Evidence)
            }
            "replaced" => {
                problem = Some((
                    "ws_drop",
                    "replaced: another connection of the same member took over".to_owned(),
                ));
                None
            }
            _ => None,
        };
        (event, problem)
    }
}

fn short(text: &str) -> String {
    text.chars().take(200).collect()
}

fn lock(log: &Mutex<LiveLog>) -> std::sync::MutexGuard<'_, LiveLog> {
    log.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

enum Outgoing {
    Close,
}

/// A held live socket.
pub struct LiveConn {
    pub label: String,
    pub log: Arc<Mutex<LiveLog>>,
    closing: Arc<AtomicBool>,
    out: mpsc::UnboundedSender<Outgoing>,
    reader: Option<JoinHandle<()>>,
    writer: JoinHandle<()>,
}

impl LiveConn {
    /// Connects with the session cookie (`name=value`); `events` gets the transcript
    /// and evidence messages.
    pub async fn connect(
        url: &str,
        cookie: &str,
        label: String,
        recorder: Arc<Recorder>,
        events: Option<mpsc::UnboundedSender<LiveEvent>>,
    ) -> anyhow::Result<Self> {
        let what = format!("connect the live socket of {label}");
        let mut request = url.into_client_request().with_context(|| what.clone())?;
        request.headers_mut().insert(
            "cookie",
            cookie
                .parse()
                .with_context(|| format!("{what}: the cookie is not a header value"))?,
        );
        let socket = match tokio::time::timeout(
            Duration::from_secs(30),
            tokio_tungstenite::connect_async(request),
        )
        .await
        {
            Err(_) => bail!("{what}: no answer within 30 s"),
            Ok(Ok((socket, _))) => socket,
            Ok(Err(tungstenite::Error::Http(response))) => {
                let body = response
                    .body()
                    .as_deref()
                    .map(|b| short(&String::from_utf8_lossy(b)))
                    .unwrap_or_default();
                bail!("{what}: {} {body}", response.status());
            }
            Ok(Err(err)) => return Err(anyhow::Error::new(err).context(what)),
        };
        let (mut sink, mut stream) = socket.split();
        let log = Arc::new(Mutex::new(LiveLog::default()));
        let closing = Arc::new(AtomicBool::new(false));
        let (out, mut out_rx) = mpsc::unbounded_channel::<Outgoing>();
        let writer_log = log.clone();
        let writer_label = label.clone();
        let writer_recorder = recorder.clone();
        let writer_closing = closing.clone();
        let writer = tokio::spawn(async move {
            let mut ping = tokio::time::interval(PING_EVERY);
            ping.tick().await;
            loop {
                let message = tokio::select! {
                    out = out_rx.recv() => match out {
                        Some(Outgoing::Close) | None => {
                            let _ = sink.send(Message::Close(None)).await;
                            return;
                        }
                    },
                    _ = ping.tick() => {
                        lock(&writer_log).pings += 1;
                        Message::text(json!({"type": "ping"}).to_string())
                    }
                };
                if let Err(err) = sink.send(message).await {
                    if !writer_closing.load(Ordering::SeqCst) {
                        writer_recorder
                            .error("ws_drop", format!("{writer_label}: send failed: {err}"));
                    }
                    return;
                }
            }
        });
        let reader_log = log.clone();
        let reader_closing = closing.clone();
        let reader_label = label.clone();
        let reader = tokio::spawn(async move {
            let ended = loop {
                match stream.next().await {
                    Some(Ok(Message::Text(text))) => {
                        let (event, problem) = lock(&reader_log).take(&text, Instant::now());
                        if let Some((kind, what)) = problem {
                            recorder.error(kind, format!("{reader_label}: {what}"));
                        }
                        if let (Some(event), Some(events)) = (event, &events) {
                            let _ = events.send(event);
                        }
                    }
                    Some(Ok(Message::Close(frame))) => {
                        break format!("closed by the server ({frame:?})");
                    }
                    Some(Ok(_)) => {}
                    Some(Err(err)) => break format!("receive failed: {err}"),
                    None => break "the connection ended".to_owned(),
                }
            };
            if !reader_closing.load(Ordering::SeqCst) {
                recorder.error("ws_drop", format!("{reader_label}: {ended}"));
            }
            lock(&reader_log).ended = Some(ended);
        });
        Ok(Self {
            label,
            log,
            closing,
            out,
            reader: Some(reader),
            writer,
        })
    }

    /// Closes the socket (a close frame, then waits up to 5 s for the server's).
    pub async fn close(&mut self) {
        self.closing.store(true, Ordering::SeqCst);
        let _ = self.out.send(Outgoing::Close);
        if let Some(reader) = self.reader.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), reader).await;
        }
        self.writer.abort();
    }
}

impl Drop for LiveConn {
    fn drop(&mut self) {
        self.closing.store(true, Ordering::SeqCst);
        if let Some(reader) = &self.reader {
            reader.abort();
        }
        self.writer.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbering_must_be_contiguous_after_the_snapshot() {
        let mut log = LiveLog::default();
        let now = Instant::now();
        let (_, problem) = log.take(r#"{"type":"welcome","you":{}}"#, now);
        assert!(problem.is_none());
        let (_, problem) = log.take(r#"{"type":"snapshot","seq":7}"#, now);
        assert!(problem.is_none());
        let (event, problem) = log.take(r#"{"type":"transcript","seq":8,"version":3}"#, now);
        assert_eq!(event, Some(LiveEvent::Transcript));
        assert!(problem.is_none());
        assert_eq!(log.transcripts, vec![(3, now)]);
        let (_, problem) = log.take(r#"{"type":"roster","seq":10}"#, now);
        assert_eq!(problem.map(|(kind, _)| kind), Some("seq_gap"));
        let (_, problem) = log.take(r#"{"type":"snapshot","seq":10}"#, now);
        assert_eq!(problem.map(|(kind, _)| kind), Some("resync"));
        let (event, problem) = log.take(
            r#"{"type":"evidence","seq":11,"evidence_id":"e1","changed":"added"}"#,
            now,
        );
        assert_eq!(event, Some(LiveEvent::Evidence));
        assert!(problem.is_none());
        assert_eq!(log.evidence.len(), 1);
        log.take(r#"{"type":"pong"}"#, now);
        assert_eq!((log.pongs, log.seq_gaps, log.messages), (1, 1, 7));
    }

    #[test]
    fn the_first_numbered_message_is_the_snapshot() {
        let mut log = LiveLog::default();
        let (_, problem) = log.take(r#"{"type":"roster","seq":1}"#, Instant::now());
        assert_eq!(problem.map(|(kind, _)| kind), Some("seq_gap"));
    }
}
