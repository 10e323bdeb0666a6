//! Password hashing for both services: Argon2id with the crate's defaults
//! (m = 19 MiB, t = 2, p = 1: the OWASP baseline). Hashing takes tens of
//! milliseconds of CPU, so it runs on the blocking pool, never on the async
//! workers.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

/// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`) for `password`.
pub async fn hash(password: &str) -> anyhow::Result<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || hash_now(&password)).await?
}

fn hash_now(password: &str) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
}

/// True if `password` matches `stored`. With no stored hash (unknown
/// account, or an account without a password) it still spends the time of
/// one verification, so response times do not tell which emails exist.
pub async fn verify(password: &str, stored: Option<String>) -> bool {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || match stored {
        Some(stored) => Argon2::default().verify_password(password.as_bytes(), stored.as_str()).is_ok(),
        None => {
            let _ = Argon2::default().verify_password(password.as_bytes(), dummy_hash());
            false
        }
    })
    .await
    .unwrap_or(false)
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_now("not a password of anyone").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_with_argon2id_defaults_and_verifies() {
        let stored = hash("correcto-123").await.unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{stored}");
        assert!(verify("correcto-123", Some(stored.clone())).await);
        assert!(!verify("incorrecto", Some(stored)).await);
        assert!(!verify("cualquiera", None).await);
    }
}
