//! Login sessions, the same design in both services.
//!
//! A session is a random 32-byte token in an HttpOnly cookie; the database
//! keeps only its SHA-256 (a copy of the table opens no session), with the
//! account and a fixed expiry (no sliding: a stolen cookie dies at the
//! latest by then). Every login makes a new token (no session fixation);
//! logout deletes it; a password change or a deactivation deletes the
//! account's others.
//!
//! Every service's `sessions` table has the same shape:
//! `token_hash` (primary key), `user_id` (the service's account), `created_at`,
//! `expires_at`.
//!
//! A service that keeps something for visitors before they log in (Ahorro's
//! guest cart) gives every browser a token ([`visitor_token`]); the token
//! only becomes a session when a login stores it.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use sha2::{Digest, Sha256};

use crate::db::{Db, StoreError, Ts, Tx, sql};

/// A random token: 32 bytes from the OS-seeded CSPRNG, hex-encoded.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Token(String);

impl Token {
    pub fn generate() -> Self {
        Token(hex::encode(rand::random::<[u8; 32]>()))
    }

    /// Accepts only what [`Token::generate`] makes (64 hex digits).
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
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(***)")
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// How a service's cookies are set.
#[derive(Debug, Clone, Copy)]
pub struct CookieSpec {
    pub name: &'static str,
    pub same_site: &'static str,
    pub max_age_secs: i64,
    /// `Secure` (production: HTTPS on Render).
    pub secure: bool,
}

impl CookieSpec {
    /// `Set-Cookie` for a cookie only the server reads.
    pub fn set(&self, value: &str) -> HeaderValue {
        let secure = if self.secure { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{}={value}; Path=/; HttpOnly; SameSite={}; Max-Age={}{secure}",
            self.name, self.same_site, self.max_age_secs
        ))
        .expect("cookie values are hex")
    }

    /// `Set-Cookie` that removes the cookie.
    pub fn clear(&self) -> HeaderValue {
        CookieSpec { max_age_secs: 0, ..*self }.set("")
    }

    /// The well-formed token the request carries in this cookie, if any.
    pub fn token(&self, headers: &HeaderMap) -> Option<Token> {
        cookie_value(headers, self.name).and_then(|v| Token::parse(&v))
    }
}

/// The login sessions of one service's database.
#[derive(Clone, Debug)]
pub struct Sessions {
    db: Db,
}

impl Sessions {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Stores `token` as a session of `user_id` until `expires_at`, and
    /// drops expired sessions while at it.
    pub async fn create(
        &self,
        token: &Token,
        user_id: i64,
        expires_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        let now = Ts::now();
        let mut tx = self.db.begin_write().await?;
        sql("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(&mut tx).await?;
        sql("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token.hash())
            .bind(user_id)
            .bind(now)
            .bind(Ts(expires_at))
            .execute(&mut tx)
            .await?;
        tx.commit().await
    }

    /// The account of a live (unexpired) session.
    pub async fn user_id(&self, token: &Token) -> Result<Option<i64>, StoreError> {
        let row: Option<(i64,)> = sql("SELECT user_id FROM sessions WHERE token_hash = $1 AND expires_at > $2")
            .bind(token.hash())
            .bind(Ts::now())
            .fetch_optional(self.db.read())
            .await?;
        Ok(row.map(|(id,)| id))
    }

    /// Ends one session (logout).
    pub async fn delete(&self, token: &Token) -> Result<(), StoreError> {
        sql("DELETE FROM sessions WHERE token_hash = $1").bind(token.hash()).execute(self.db.write()).await.map(drop)
    }

    /// Ends every session of an account except `keep` (a password change
    /// keeps the session that made it).
    pub async fn delete_all_of(&self, user_id: i64, keep: Option<&Token>) -> Result<(), StoreError> {
        sql("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(user_id)
            .bind(keep.map(Token::hash).unwrap_or_default())
            .execute(self.db.write())
            .await
            .map(drop)
    }

    /// Drops expired sessions.
    pub async fn purge_expired(&self) -> Result<(), StoreError> {
        sql("DELETE FROM sessions WHERE expires_at <= $1").bind(Ts::now()).execute(self.db.write()).await.map(drop)
    }
}

/// Ends every session of an account inside `tx`, so it happens together
/// with what made it necessary (a deactivation).
pub async fn end_all_in(tx: &mut Tx, user_id: i64) -> Result<(), StoreError> {
    sql("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(tx).await.map(drop)
}

/// The visitor's token, as [`visitor_token`] put it in the request:
/// `is_new` when the browser sent none (so no session can exist for it).
#[derive(Debug, Clone)]
pub struct VisitorToken {
    pub token: Token,
    pub is_new: bool,
}

/// Middleware for services that keep state for anonymous visitors: gives
/// every browser a token cookie on its first visit and puts the token in
/// the request ([`VisitorToken`]). A handler that sets this cookie itself
/// (login, logout) wins.
/// A response that shared caches may keep (`Cache-Control: public`: static
/// files, product photos) never carries the cookie: a cache would hand one
/// visitor's token to everyone.
pub async fn visitor_token(
    axum::extract::State(cookie): axum::extract::State<CookieSpec>,
    mut request: Request,
    next: Next,
) -> Response {
    let existing = cookie.token(request.headers());
    let is_new = existing.is_none();
    let token = existing.unwrap_or_else(Token::generate);
    request.extensions_mut().insert(VisitorToken { token: token.clone(), is_new });
    let mut response = next.run(request).await;
    let prefix = format!("{}=", cookie.name);
    let handler_set_it =
        response.headers().get_all(header::SET_COOKIE).iter().any(|v| v.as_bytes().starts_with(prefix.as_bytes()));
    let public = response
        .headers()
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|d| d.trim().eq_ignore_ascii_case("public")));
    if is_new && !handler_set_it && !public {
        response.headers_mut().append(header::SET_COOKIE, cookie.set(token.as_str()));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_hex_and_stored_hashed() {
        let t = Token::generate();
        assert_eq!(Token::parse(t.as_str()), Some(t.clone()));
        assert_ne!(t, Token::generate());
        assert_eq!(t.hash().len(), 64);
        assert_ne!(t.hash(), t.as_str());
        assert_eq!(Token::parse("../etc"), None);
        assert_eq!(format!("{t:?}"), "Token(***)");
    }

    #[test]
    fn reads_cookies_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("a=1; belgrano_sesion=abc; b=2"));
        assert_eq!(cookie_value(&headers, "belgrano_sesion").as_deref(), Some("abc"));
        headers.insert(header::COOKIE, HeaderValue::from_static("belgrano_sesion="));
        assert_eq!(cookie_value(&headers, "belgrano_sesion"), None);
    }
}
