//! Joining a hearing (进入庭审): the one-time code sent by SMS, and the limits that keep
//! strangers from guessing meeting numbers or codes. Pure rules; the server stores.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use sha2::{Digest, Sha256};

/// How long a code is valid.
pub const CODE_LIFETIME: Duration = Duration::minutes(5);
/// Wrong tries a code survives before it is void.
pub const CODE_MAX_ATTEMPTS: i32 = 5;
/// How long a participant's session lasts: a long hearing and the signing after it.
pub const SESSION_LIFETIME: Duration = Duration::hours(12);

/// A fresh 6-digit code (leading zeros allowed: it is read, not dialled).
pub fn generate_code<R: Rng + ?Sized>(rng: &mut R) -> String {
    format!("{:06}", rng.random_range(0..1_000_000u32))
}

/// What is stored of a code: its SHA-256 with the code's own id, so equal codes of
/// different requests never share a hash.
pub fn code_hash(code_id: &uuid::Uuid, code: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(code_id.as_bytes());
    hasher.update(code.trim().as_bytes());
    hex::encode(hasher.finalize())
}

/// Whether a code typed by a person has the right shape (6 digits).
pub fn well_formed_code(code: &str) -> bool {
    let code = code.trim();
    code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())
}

/// A stored code, as far as the rules care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCode {
    pub id: uuid::Uuid,
    pub code_hash: String,
    pub expires_at: DateTime<Utc>,
    pub attempts: i32,
    pub used: bool,
}

/// Why a code was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeRefusal {
    /// Wrong digits; the attempt counts.
    Wrong,
    /// Too old, already used, or tried too often: ask for a new one.
    Void,
}

impl IssuedCode {
    /// Checks `typed` at `now`.
    pub fn check(&self, typed: &str, now: DateTime<Utc>) -> Result<(), CodeRefusal> {
        if self.used || now >= self.expires_at || self.attempts >= CODE_MAX_ATTEMPTS {
            return Err(CodeRefusal::Void);
        }
        // Both sides are hashes of equal length; compare without an early exit.
        let typed_hash = code_hash(&self.id, typed);
        let same = typed_hash
            .bytes()
            .zip(self.code_hash.bytes())
            .fold(typed_hash.len() == self.code_hash.len(), |same, (a, b)| {
                same & (a == b)
            });
        if same {
            Ok(())
        } else {
            Err(CodeRefusal::Wrong)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issued(code: &str, now: DateTime<Utc>) -> IssuedCode {
        let id = uuid::Uuid::now_v7();
        IssuedCode {
            id,
            code_hash: code_hash(&id, code),
            expires_at: now + CODE_LIFETIME,
            attempts: 0,
            used: false,
        }
    }

    #[test]
    fn codes_have_six_digits() {
        let mut rng = rand::rng();
        for _ in 0..1000 {
            let code = generate_code(&mut rng);
            assert!(well_formed_code(&code), "{code}");
        }
        assert!(!well_formed_code("12345"));
        assert!(!well_formed_code("12345a"));
        assert!(well_formed_code(" 012345 "));
    }

    #[test]
    fn a_code_works_once_within_five_minutes() {
        let now = Utc::now();
        let code = issued("123456", now);
        assert_eq!(code.check("123456", now), Ok(()));
        assert_eq!(code.check(" 123456", now + Duration::minutes(4)), Ok(()));
        assert_eq!(code.check("654321", now), Err(CodeRefusal::Wrong));
        assert_eq!(
            code.check("123456", now + Duration::minutes(5)),
            Err(CodeRefusal::Void)
        );
        let used = IssuedCode {
            used: true,
            ..code.clone()
        };
        assert_eq!(used.check("123456", now), Err(CodeRefusal::Void));
        let tried = IssuedCode {
            attempts: CODE_MAX_ATTEMPTS,
            ..code
        };
        assert_eq!(tried.check("123456", now), Err(CodeRefusal::Void));
    }

    #[test]
    fn equal_codes_hash_apart() {
        let (a, b) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
        assert_ne!(code_hash(&a, "123456"), code_hash(&b, "123456"));
    }
}
