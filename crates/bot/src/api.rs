//! The cloudcourt REST API as a participant and the clerk's console use it to bring a
//! participant in: staff login, the hearing by its meeting number, the join code by SMS
//! (read back from the court's outbox), the participant session, the court rules, and
//! admission (签到). Every failure names the step and carries the server's problem.

use anyhow::{Context, anyhow, bail};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// The staff session cookie's name (crates/server/src/http/auth.rs).
const STAFF_COOKIE: &str = "cc_session";
/// The participant session cookie's name (crates/server/src/http/join.rs).
const PARTICIPANT_COOKIE: &str = "cc_participant";
/// The server sends at most one join code a minute per participant.
const RESEND_AFTER: Duration = Duration::from_secs(61);
/// How long a new code may take to show in the outbox.
const CODE_WAIT: Duration = Duration::from_secs(10);

/// A hearing as the staff list shows it.
#[derive(Debug, Clone, Deserialize)]
pub struct HearingSummary {
    pub id: String,
    pub meeting_number: String,
    pub state: String,
}

/// A participant as the staff see them.
#[derive(Debug, Clone, Deserialize)]
pub struct ParticipantView {
    pub id: String,
    pub role: String,
    pub phone: Option<String>,
}

#[derive(Debug, Deserialize)]
struct HearingDetail {
    participants: Vec<ParticipantView>,
}

#[derive(Debug, Deserialize)]
struct OutboxMessage {
    id: String,
    participant_id: Option<String>,
    kind: String,
    text: String,
}

/// What a signed-in participant sees of themselves.
#[derive(Debug, Clone, Deserialize)]
pub struct ParticipantMe {
    pub participant_id: String,
    pub hearing_id: String,
    pub name: String,
    pub role: String,
    pub rules_confirmed_at: Option<String>,
    pub checked_in_at: Option<String>,
}

/// The server's `application/problem+json`, as far as the bot shows it.
#[derive(Debug, Deserialize)]
struct Problem {
    code: Option<String>,
    detail: Option<String>,
}

/// A phone as the bot's messages show it: 138****0001.
pub fn masked(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 8 {
        return phone.to_owned();
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// The 6-digit code of a join-code SMS (…验证码为123456，…).
pub fn code_in(text: &str) -> Option<String> {
    let start = text.find("验证码为")? + "验证码为".len();
    let code: String = text[start..].chars().take(6).collect();
    (code.len() == 6 && code.chars().all(|c| c.is_ascii_digit())).then_some(code)
}

/// The `name=value` pair of the response's cookie called `name`.
fn cookie_of(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|value| value.split(';').next())
        .find(|pair| {
            pair.split_once('=')
                .is_some_and(|(n, v)| n.trim() == name && !v.is_empty())
        })
        .map(|pair| pair.trim().to_owned())
}

/// The server at one base URL.
#[derive(Debug, Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
}

/// A signed-in staff member (the `cc_session` cookie).
#[derive(Debug, Clone)]
pub struct StaffSession {
    pub cookie: String,
}

/// A participant's session (the `cc_participant` cookie).
#[derive(Debug, Clone)]
pub struct ParticipantSession {
    pub cookie: String,
    pub me: ParticipantMe,
}

impl Api {
    pub fn new(server: &str) -> anyhow::Result<Self> {
        let base = server.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            bail!("--server must be an http:// or https:// URL, not {server:?}");
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .context("building the HTTP client")?;
        Ok(Self { http, base })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    fn request(&self, method: Method, path: &str, cookie: Option<&str>) -> RequestBuilder {
        let request = self.http.request(method, format!("{}{path}", self.base));
        match cookie {
            Some(cookie) => request.header(reqwest::header::COOKIE, cookie),
            None => request,
        }
    }

    /// Sends and checks the status; a refusal becomes "`what`: 401 invalid_code: …".
    async fn send(
        &self,
        what: &str,
        request: RequestBuilder,
        expected: StatusCode,
    ) -> anyhow::Result<Response> {
        let response = request
            .send()
            .await
            .with_context(|| format!("{what}: request to {} failed", self.base))?;
        let status = response.status();
        if status == expected {
            return Ok(response);
        }
        let retry = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(|s| format!(" (retry after {s} s)"))
            .unwrap_or_default();
        let body = response.text().await.unwrap_or_default();
        let explained = match serde_json::from_str::<Problem>(&body) {
            Ok(Problem {
                code: Some(code),
                detail,
            }) => format!("{code}: {}", detail.unwrap_or_default()),
            _ => body.chars().take(300).collect(),
        };
        Err(anyhow!("{what}: {status} {explained}{retry}"))
    }

    async fn json<T: DeserializeOwned>(what: &str, response: Response) -> anyhow::Result<T> {
        let bytes = response
            .bytes()
            .await
            .with_context(|| format!("{what}: reading the answer"))?;
        serde_json::from_slice(&bytes).with_context(|| format!("{what}: unexpected answer"))
    }

    pub async fn staff_login(&self, user: &str, password: &str) -> anyhow::Result<StaffSession> {
        let what = format!("staff login as {user}");
        let response = self
            .send(
                &what,
                self.request(Method::POST, "/api/v1/session", None)
                    .json(&json!({"username": user, "password": password})),
                StatusCode::OK,
            )
            .await?;
        let cookie = cookie_of(&response, STAFF_COOKIE)
            .with_context(|| format!("{what}: no {STAFF_COOKIE} cookie in the answer"))?;
        Ok(StaffSession { cookie })
    }

    pub async fn hearing_by_meeting(
        &self,
        staff: &StaffSession,
        meeting: &str,
    ) -> anyhow::Result<HearingSummary> {
        let what = format!("find hearing {meeting}");
        let response = self
            .send(
                &what,
                self.request(Method::GET, "/api/v1/hearings", Some(&staff.cookie)),
                StatusCode::OK,
            )
            .await?;
        let hearings: Vec<HearingSummary> = Self::json(&what, response).await?;
        // A meeting number is unique among live hearings; an old one may repeat it.
        hearings
            .into_iter()
            .filter(|h| h.meeting_number == meeting)
            .find(|h| !matches!(h.state.as_str(), "archived" | "cancelled"))
            .with_context(|| format!("{what}: no live hearing has meeting number {meeting}"))
    }

    pub async fn participants(
        &self,
        staff: &StaffSession,
        hearing_id: &str,
    ) -> anyhow::Result<Vec<ParticipantView>> {
        let what = format!("read hearing {hearing_id}");
        let response = self
            .send(
                &what,
                self.request(
                    Method::GET,
                    &format!("/api/v1/hearings/{hearing_id}"),
                    Some(&staff.cookie),
                ),
                StatusCode::OK,
            )
            .await?;
        let detail: HearingDetail = Self::json(&what, response).await?;
        Ok(detail.participants)
    }

    /// Opens the hearing's waiting room (开放候庭), as the clerk's console does.
    pub async fn open_hearing(&self, staff: &StaffSession, hearing_id: &str) -> anyhow::Result<()> {
        self.send(
            &format!("open hearing {hearing_id}"),
            self.request(
                Method::POST,
                &format!("/api/v1/hearings/{hearing_id}/transitions"),
                Some(&staff.cookie),
            )
            .json(&json!({"transition": "open"})),
            StatusCode::OK,
        )
        .await?;
        Ok(())
    }

    /// Join codes sent to a participant: (message id, code), newest first.
    async fn codes_sent(
        &self,
        staff: &StaffSession,
        hearing_id: &str,
        participant_id: &str,
        phone: &str,
    ) -> anyhow::Result<Vec<(String, String)>> {
        let what = format!("read the SMS outbox for {}", masked(phone));
        let response = self
            .send(
                &what,
                self.request(
                    Method::GET,
                    &format!("/api/v1/sms/outbox?hearing_id={hearing_id}&limit=1000"),
                    Some(&staff.cookie),
                ),
                StatusCode::OK,
            )
            .await?;
        let messages: Vec<OutboxMessage> = Self::json(&what, response).await?;
        Ok(messages
            .into_iter()
            .filter(|m| m.kind == "join_code")
            .filter(|m| m.participant_id.as_deref() == Some(participant_id))
            .filter_map(|m| code_in(&m.text).map(|code| (m.id, code)))
            .collect())
    }

    async fn request_code(&self, meeting: &str, phone: &str) -> anyhow::Result<()> {
        self.send(
            &format!("request a join code for {}", masked(phone)),
            self.request(Method::POST, "/api/v1/join", None)
                .json(&json!({"meeting_number": meeting, "phone": phone})),
            StatusCode::ACCEPTED,
        )
        .await?;
        Ok(())
    }

    /// Asks for a join code and reads the new one from the outbox. When the server sent
    /// one less than a minute ago it sends none now: then the bot asks again after the
    /// minute.
    pub async fn join_code(
        &self,
        staff: &StaffSession,
        hearing_id: &str,
        participant_id: &str,
        meeting: &str,
        phone: &str,
    ) -> anyhow::Result<String> {
        let known: HashSet<String> = self
            .codes_sent(staff, hearing_id, participant_id, phone)
            .await?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        let first = Instant::now();
        for attempt in 0..2 {
            if attempt > 0 {
                tracing::info!(
                    phone = %masked(phone),
                    "no new join code: the server sends one a minute per participant; asking again after the minute"
                );
                tokio::time::sleep_until((first + RESEND_AFTER).into()).await;
            }
            self.request_code(meeting, phone).await?;
            let deadline = Instant::now() + CODE_WAIT;
            while Instant::now() < deadline {
                let codes = self
                    .codes_sent(staff, hearing_id, participant_id, phone)
                    .await?;
                if let Some((_, code)) = codes.into_iter().find(|(id, _)| !known.contains(id)) {
                    return Ok(code);
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        bail!(
            "no join code for {} reached the SMS outbox (is the phone registered for meeting {meeting}?)",
            masked(phone)
        )
    }

    pub async fn verify(
        &self,
        meeting: &str,
        phone: &str,
        code: &str,
    ) -> anyhow::Result<ParticipantSession> {
        let what = format!("verify join code for {}", masked(phone));
        let response = self
            .send(
                &what,
                self.request(Method::POST, "/api/v1/join/verify", None)
                    .json(&json!({"meeting_number": meeting, "phone": phone, "code": code})),
                StatusCode::OK,
            )
            .await?;
        let cookie = cookie_of(&response, PARTICIPANT_COOKIE)
            .with_context(|| format!("{what}: no {PARTICIPANT_COOKIE} cookie in the answer"))?;
        let me = Self::json(&what, response).await?;
        Ok(ParticipantSession { cookie, me })
    }

    /// Confirms the court rules (我已阅读并遵守), as the participant's page does.
    pub async fn confirm_rules(
        &self,
        session: &ParticipantSession,
    ) -> anyhow::Result<ParticipantMe> {
        let what = format!("confirm the court rules as {}", session.me.name);
        let response = self
            .send(
                &what,
                self.request(
                    Method::POST,
                    "/api/v1/participant/rules",
                    Some(&session.cookie),
                ),
                StatusCode::OK,
            )
            .await?;
        Self::json(&what, response).await
    }

    pub async fn me(&self, session: &ParticipantSession) -> anyhow::Result<ParticipantMe> {
        let what = format!("read the participant session of {}", session.me.name);
        let response = self
            .send(
                &what,
                self.request(Method::GET, "/api/v1/participant/me", Some(&session.cookie)),
                StatusCode::OK,
            )
            .await?;
        Self::json(&what, response).await
    }

    /// Admits a waiting participant (准许入庭), as the clerk's console does.
    pub async fn check_in(
        &self,
        staff: &StaffSession,
        hearing_id: &str,
        participant: &ParticipantMe,
    ) -> anyhow::Result<()> {
        self.send(
            &format!(
                "admit {} ({})",
                participant.name, participant.participant_id
            ),
            self.request(
                Method::POST,
                &format!(
                    "/api/v1/hearings/{hearing_id}/participants/{}/check-in",
                    participant.participant_id
                ),
                Some(&staff.cookie),
            ),
            StatusCode::OK,
        )
        .await?;
        Ok(())
    }

    /// The live WebSocket's URL for a hearing.
    pub fn live_url(&self, hearing_id: &str) -> anyhow::Result<String> {
        let ws = if let Some(rest) = self.base.strip_prefix("http://") {
            format!("ws://{rest}")
        } else if let Some(rest) = self.base.strip_prefix("https://") {
            format!("wss://{rest}")
        } else {
            bail!("the server URL {} is not http(s)", self.base);
        };
        Ok(format!("{ws}/api/v1/hearings/{hearing_id}/live"))
    }

    /// The host of the server URL (for the local address that reaches it).
    pub fn host(&self) -> Option<&str> {
        let rest = self
            .base
            .strip_prefix("http://")
            .or_else(|| self.base.strip_prefix("https://"))?;
        let authority = rest.split('/').next()?;
        // [::1]:8080, host:8080, host
        if let Some(v6) = authority.strip_prefix('[') {
            return v6.split(']').next();
        }
        Some(
            authority
                .rsplit_once(':')
                .map_or(authority, |(host, _)| host),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_read_from_the_sms_text() {
        let text = "【北京市石景山区人民法院】您的庭审登录验证码为123456，5分钟内有效。请勿告诉他人；如非本人操作，请忽略本短信。";
        assert_eq!(code_in(text), Some("123456".into()));
        assert_eq!(code_in("验证码为12345，"), None);
        assert_eq!(code_in("验证码为"), None);
        assert_eq!(code_in("no code here"), None);
    }

    #[test]
    fn phones_are_masked_in_messages() {
        assert_eq!(masked("13800000001"), "138****0001");
        assert_eq!(masked("123"), "123");
    }

    #[test]
    fn urls_derive_from_the_server() {
        let api = Api::new("http://127.0.0.1:8080/").expect("api");
        assert_eq!(
            api.live_url("h1").expect("url"),
            "ws://127.0.0.1:8080/api/v1/hearings/h1/live"
        );
        assert_eq!(api.host(), Some("127.0.0.1"));
        let api = Api::new("https://[::1]:8443").expect("api");
        assert_eq!(api.host(), Some("::1"));
        assert!(
            api.live_url("h")
                .expect("url")
                .starts_with("wss://[::1]:8443/")
        );
        assert!(Api::new("127.0.0.1:8080").is_err());
    }
}
