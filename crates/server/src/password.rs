//! Staff passwords: argon2id hashes, computed off the async runtime, and generated
//! passwords for new accounts.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use court::Invalid;
use rand::{Rng, RngCore};
use std::sync::OnceLock;

pub const MIN_LENGTH: usize = 8;
const MAX_LENGTH: usize = 256;

/// Checks a password a person chose.
pub fn check(password: &str) -> Result<(), Invalid> {
    let length = password.chars().count();
    if !(MIN_LENGTH..=MAX_LENGTH).contains(&length) {
        return Err(Invalid::new(
            "password",
            format!("密码长度须为{MIN_LENGTH}至{MAX_LENGTH}个字符"),
            format!("The password must be {MIN_LENGTH} to {MAX_LENGTH} characters"),
        ));
    }
    Ok(())
}

/// A random password of 16 characters that are hard to misread (no 0/O, 1/l/I).
pub fn generate() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..16)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// The argon2id hash (PHC string) of a password.
pub async fn hash(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || hash_blocking(&password)).await?
}

fn hash_blocking(password: &str) -> anyhow::Result<String> {
    let mut salt_bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut salt_bytes);
    let salt = SaltString::encode_b64(&salt_bytes)
        .map_err(|err| anyhow::anyhow!("making a salt failed: {err}"))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|err| anyhow::anyhow!("hashing the password failed: {err}"))
}

/// Whether `password` matches `hash`. With no hash (an unknown user) a dummy hash is
/// checked all the same, so the answer takes as long either way.
pub async fn verify(password: String, hash: Option<String>) -> bool {
    let outcome = tokio::task::spawn_blocking(move || {
        let stored = hash.as_deref().unwrap_or_else(|| dummy_hash());
        let matches = PasswordHash::new(stored)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false);
        matches && hash.is_some()
    })
    .await;
    outcome.unwrap_or(false)
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_blocking("not a real password").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify() {
        let hash = hash("正确的密码 horse".into()).await.expect("hashes");
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify("正确的密码 horse".into(), Some(hash.clone())).await);
        assert!(!verify("wrong password".into(), Some(hash)).await);
        assert!(!verify("not a real password".into(), None).await);
    }

    #[test]
    fn generated_passwords_are_long_enough() {
        let password = generate();
        assert_eq!(password.len(), 16);
        assert!(check(&password).is_ok());
        assert!(check("short").is_err());
    }
}
