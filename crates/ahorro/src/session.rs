//! Sessions and CSRF tokens.
//!
//! Every browser gets a random session token in an HttpOnly cookie. Only a
//! logged-in session has a database row (keyed by the token's SHA-256, so a
//! leaked database holds no usable token); a guest's token just names their
//! cart. Login and logout issue a fresh token (no session fixation).
//!
//! CSRF: each form carries `HMAC-SHA256(SECRET_KEY, token)`; a post without
//! the matching value is refused. A page on another site can neither read
//! the cookie nor compute the value.

use rand::RngCore;
use sha2::{Digest, Sha256};

pub const COOKIE: &str = "ahorro_sesion";
/// Session lifetime: 30 days.
pub const MAX_AGE_SECS: i64 = 30 * 24 * 3600;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Token(hex::encode(bytes))
    }

    /// Accepts only what [`Token::generate`] makes.
    pub fn parse(raw: &str) -> Option<Self> {
        (raw.len() == 64 && raw.bytes().all(|b| b.is_ascii_hexdigit())).then(|| Token(raw.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What the database stores for this token.
    pub fn hash(&self) -> String {
        hex::encode(Sha256::digest(self.0.as_bytes()))
    }

    pub fn csrf(&self, secret: &[u8]) -> String {
        hex::encode(hmac_sha256(secret, self.0.as_bytes()))
    }

    pub fn verify_csrf(&self, secret: &[u8], presented: &str) -> bool {
        use subtle_eq::ct_eq;
        ct_eq(self.csrf(secret).as_bytes(), presented.as_bytes())
    }

    pub fn set_cookie(&self, secure: bool) -> String {
        format!(
            "{COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={MAX_AGE_SECS}{}",
            self.0,
            if secure { "; Secure" } else { "" }
        )
    }
}

/// Reads the session token from a `Cookie` header value.
pub fn from_cookie_header(header: &str) -> Option<Token> {
    header
        .split(';')
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .and_then(|(_, v)| Token::parse(v))
}

/// HMAC (RFC 2104) over SHA-256.
pub(crate) fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(message);
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

pub(crate) use subtle_eq::ct_eq;

mod subtle_eq {
    /// Constant-time comparison of two byte strings of public length.
    pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(hex::encode(mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn csrf_is_bound_to_the_token_and_the_secret() {
        let t = Token::generate();
        let csrf = t.csrf(b"secret");
        assert!(t.verify_csrf(b"secret", &csrf));
        assert!(!t.verify_csrf(b"other", &csrf));
        assert!(!Token::generate().verify_csrf(b"secret", &csrf));
        assert_eq!(from_cookie_header(&format!("a=b; {COOKIE}={}", t.as_str())), Some(t));
        assert_eq!(from_cookie_header("ahorro_sesion=../etc"), None);
    }
}
