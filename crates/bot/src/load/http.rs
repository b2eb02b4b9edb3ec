//! The load test's REST client: every call is timed from send to the last byte of the
//! answer and recorded under its endpoint (the path with `{id}` placeholders); an
//! answer with status ≥ 400 or a request that fails is recorded as an error, with the
//! server's problem text.

use super::record::Recorder;
use anyhow::{Context, bail};
use reqwest::{Method, RequestBuilder};
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// An answer below 400.
pub struct Answer {
    pub body: Vec<u8>,
    /// When the request was sent and when its answer was read whole.
    pub sent: Instant,
    pub done: Instant,
}

#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
    base: String,
    recorder: Arc<Recorder>,
}

impl Http {
    pub fn new(server: &str, recorder: Arc<Recorder>) -> anyhow::Result<Self> {
        let base = server.trim_end_matches('/').to_owned();
        if !base.starts_with("http://") {
            bail!(
                "--server must be an http:// URL (the load test runs on loopback), not {server:?}"
            );
        }
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .context("building the HTTP client")?;
        Ok(Self {
            client,
            base,
            recorder,
        })
    }

    /// A request to `path` (below the server's base) with a session cookie
    /// (`name=value`), if any.
    pub fn request(&self, method: Method, path: &str, cookie: Option<&str>) -> RequestBuilder {
        let request = self.client.request(method, format!("{}{path}", self.base));
        match cookie {
            Some(cookie) => request.header(reqwest::header::COOKIE, cookie),
            None => request,
        }
    }

    /// Sends, times and records one call; `None` when it failed (the error is recorded).
    pub async fn call(&self, endpoint: &str, who: &str, request: RequestBuilder) -> Option<Answer> {
        let phase = self.recorder.phase();
        let sent = Instant::now();
        let outcome = async {
            let response = request.send().await?;
            let status = response.status();
            let body = response.bytes().await?.to_vec();
            Ok::<_, reqwest::Error>((status, body))
        }
        .await;
        let done = Instant::now();
        match outcome {
            Ok((status, body)) => {
                let ok = status.as_u16() < 400;
                self.recorder.call(phase, endpoint, done - sent, ok);
                if ok {
                    return Some(Answer { body, sent, done });
                }
                let text: String = String::from_utf8_lossy(&body).chars().take(300).collect();
                self.recorder
                    .error("http", format!("{endpoint} ({who}): {status} {text}"));
                None
            }
            Err(err) => {
                self.recorder.call(phase, endpoint, done - sent, false);
                let kind = if err.is_timeout() {
                    "timeout"
                } else {
                    "transport"
                };
                self.recorder
                    .error(kind, format!("{endpoint} ({who}): {err:#}"));
                None
            }
        }
    }

    /// [`Http::call`], then the answer as JSON (an unreadable answer is an error too).
    pub async fn json<T: DeserializeOwned>(
        &self,
        endpoint: &str,
        who: &str,
        request: RequestBuilder,
    ) -> Option<(T, Answer)> {
        let answer = self.call(endpoint, who, request).await?;
        match serde_json::from_slice(&answer.body) {
            Ok(value) => Some((value, answer)),
            Err(err) => {
                self.recorder.error(
                    "unexpected",
                    format!("{endpoint} ({who}): the answer is not the expected JSON: {err}"),
                );
                None
            }
        }
    }
}
