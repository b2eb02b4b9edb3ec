//! What the cloud SMS drivers (Aliyun, Tencent) share about talking HTTP to a provider:
//! the endpoint, bounded answers, and error texts that keep their causes.

use crate::{Accepted, Kind, Message, SendError};

/// The largest answer read from a provider; theirs are a few hundred bytes.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// Parses the configured endpoint into the request URL (path `/`) and the signed host.
pub(crate) fn endpoint_url(endpoint: &str) -> Result<(reqwest::Url, String), String> {
    let mut url = reqwest::Url::parse(endpoint.trim())
        .map_err(|e| format!("`{endpoint}` is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("`{endpoint}` is not an http(s) URL"));
    }
    if !matches!(url.path(), "" | "/") || url.query().is_some() {
        return Err(format!(
            "`{endpoint}` must have no path or query (the API lives at `/`)"
        ));
    }
    let host = match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        (None, _) => return Err(format!("`{endpoint}` has no host")),
    };
    url.set_path("/");
    url.set_fragment(None);
    Ok((url, host))
}

pub(crate) fn kind_names() -> String {
    Kind::ALL
        .iter()
        .map(|kind| kind.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads an answer, refusing to hold more than [`MAX_ANSWER_BYTES`].
async fn read_limited(mut response: reqwest::Response) -> Result<Vec<u8>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = MAX_ANSWER_BYTES.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= MAX_ANSWER_BYTES {
            break;
        }
    }
    Ok(body)
}

/// The start of a body, for error messages.
pub(crate) fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut shown: String = text.chars().take(200).collect();
    if text.chars().count() > 200 {
        shown.push('…');
    }
    shown
}

/// An error with its causes, since reqwest's own message hides the reason (refused, DNS…).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Sends a signed request to a provider and judges its bounded answer with `classify`;
/// network faults become errors worded for staff. Logs the outcome with the phone masked.
pub(crate) async fn exchange(
    provider: &'static str,
    host: &str,
    timeout_seconds: u64,
    request: reqwest::RequestBuilder,
    message: &Message,
    classify: fn(u16, &[u8]) -> Result<Accepted, SendError>,
) -> Result<Accepted, SendError> {
    let transport_error = |error: &reqwest::Error| {
        let detail = error_chain(error);
        if error.is_builder() {
            SendError::Rejected(format!("{provider}: cannot build the request: {detail}"))
        } else if error.is_timeout() {
            SendError::Temporary(format!(
                "{provider}: no answer from {host} within {timeout_seconds}s: {detail}"
            ))
        } else {
            SendError::Temporary(format!("{provider}: cannot reach {host}: {detail}"))
        }
    };
    let outcome = match request.send().await {
        Err(error) => Err(transport_error(&error)),
        Ok(response) => {
            let status = response.status().as_u16();
            match read_limited(response).await {
                Ok(body) => classify(status, &body),
                Err(error) => Err(transport_error(&error)),
            }
        }
    };
    match &outcome {
        Ok(accepted) => tracing::info!(
            phone = %crate::masked(&message.phone),
            kind = message.kind.as_str(),
            provider_id = accepted.provider_id.as_deref().unwrap_or(""),
            "{provider} accepted the message"
        ),
        Err(error) => tracing::warn!(
            phone = %crate::masked(&message.phone),
            kind = message.kind.as_str(),
            %error,
            "{provider} did not take the message"
        ),
    }
    outcome
}
