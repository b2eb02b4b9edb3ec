//! TURN credentials for the court's coturn servers, by coturn's `use-auth-secret` scheme
//! (the "TURN REST API"): the username is `{expiry unix time}:{member}`, the password
//! is base64(HMAC-SHA1(shared secret, username)). coturn checks both without asking us,
//! and a leaked pair stops working when it expires.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// One TURN (or STUN) server of the court, as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnServer {
    /// `turn:`/`turns:`/`stun:` URLs, e.g. `turns:turn.court.example:443?transport=tcp`.
    pub urls: Vec<String>,
    /// coturn's `static-auth-secret`; `None` for a STUN-only entry.
    pub secret: Option<String>,
    /// How long handed-out credentials stay valid.
    pub ttl: Duration,
}

/// An entry of `RTCConfiguration.iceServers`, as the browser takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IceServer {
    pub urls: Vec<String>,
    pub username: Option<String>,
    pub credential: Option<String>,
}

impl TurnServer {
    /// Credentials for `member`, valid from `now` for the server's TTL.
    pub fn credentials(&self, member: &str, now: SystemTime) -> IceServer {
        let Some(secret) = &self.secret else {
            return IceServer {
                urls: self.urls.clone(),
                username: None,
                credential: None,
            };
        };
        let expiry = now
            .checked_add(self.ttl)
            .and_then(|at| at.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |since| since.as_secs());
        // coturn splits the username at its first ':'; the member part is only a label.
        let member: String = member.chars().filter(|c| *c != ':').collect();
        let username = format!("{expiry}:{member}");
        IceServer {
            urls: self.urls.clone(),
            credential: Some(password(secret, &username)),
            username: Some(username),
        }
    }
}

/// base64(HMAC-SHA1(secret, username)), coturn's check of a REST-API username.
fn password(secret: &str, username: &str) -> String {
    // HMAC accepts a key of any length; `new_from_slice` cannot fail for it.
    let mut mac = match Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(username.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_follow_coturns_rest_scheme() {
        let server = TurnServer {
            urls: vec!["turn:turn.example:3478".into()],
            secret: Some("north".into()),
            ttl: Duration::from_secs(3600),
        };
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let ice = server.credentials("member:1", now);
        assert_eq!(ice.username.as_deref(), Some("1700003600:member1"));
        // Known answer, computed outside Rust:
        // printf '1700003600:member1' | openssl dgst -sha1 -hmac north -binary | base64
        assert_eq!(
            ice.credential.as_deref(),
            Some("noirP2My6wpxc1xtBluo8jnYkgE=")
        );
    }

    #[test]
    fn a_stun_entry_has_no_credentials() {
        let server = TurnServer {
            urls: vec!["stun:stun.example:3478".into()],
            secret: None,
            ttl: Duration::from_secs(60),
        };
        let ice = server.credentials("m", SystemTime::now());
        assert_eq!(ice.username, None);
        assert_eq!(ice.credential, None);
    }
}
