//! Tracking links and live order status for customers.
//!
//! A link is `/seguimiento/{numero}.{mac}` where `mac` is the first 128
//! bits of `HMAC-SHA256(SECRET_KEY, "seguimiento:v1:" + numero)`, in hex
//! (the platform's [`Signer`]). Nothing is stored: a leaked database
//! reveals no live link, any instance can verify a link, and old orders
//! have links too. Verification checks the MAC in constant time before
//! touching the database, so a tampered link cannot tell whether its order
//! exists. Rotating `SECRET_KEY` invalidates every link.
//!
//! Live updates: [`Novedades`] is a broadcast of order numbers whose ticket
//! changed on this instance; tracking streams re-read the order from the
//! database when told, and also every few seconds, so a change received
//! by another instance reaches them too. What a stream shows is
//! [`crate::domain::seguimiento::EstadoPedido`].

use belgrano_contract::ticket::Numero;
use belgrano_platform::signing::Signer;
use tokio::sync::{broadcast, watch};

/// Bytes of the MAC kept in a link (128 bits).
const MAC_BYTES: usize = 16;

fn message(numero: &str) -> String {
    format!("seguimiento:v1:{numero}")
}

/// The token of an order's tracking link.
pub fn token(secret: &[u8], numero: &str) -> String {
    format!("{numero}.{}", Signer::new(secret).tag(&message(numero), MAC_BYTES))
}

/// The link's path (pages use it as is; the API makes it absolute).
pub fn path(secret: &[u8], numero: &str) -> String {
    format!("/seguimiento/{}", token(secret, numero))
}

/// The order number a token stands for, if the token is genuine.
pub fn verify(secret: &[u8], token: &str) -> Option<String> {
    let (numero, presented) = token.rsplit_once('.')?;
    let parsed = Numero::parse(numero).ok()?;
    if parsed.as_str() != numero {
        return None; // Numero::parse trims; a token has no spaces.
    }
    Signer::new(secret).verify(&message(numero), presented, MAC_BYTES).then(|| parsed.to_string())
}

/// Order numbers whose ticket just changed here, and the shutdown signal
/// that ends every open stream (so a graceful stop does not wait on them).
#[derive(Clone)]
pub struct Novedades {
    tx: broadcast::Sender<String>,
    closing: watch::Sender<bool>,
}

impl Default for Novedades {
    fn default() -> Self {
        Self { tx: broadcast::channel(1024).0, closing: watch::channel(false).0 }
    }
}

impl Novedades {
    /// Tells open streams that `numero` changed (nobody listening is fine).
    pub fn publish(&self, numero: &str) {
        let _ = self.tx.send(numero.to_owned());
    }

    pub fn subscribe(&self) -> broadcast::Receiver<String> {
        self.tx.subscribe()
    }

    /// Open tracking streams: only they subscribe, each for its whole life.
    pub fn streams(&self) -> usize {
        self.tx.receiver_count()
    }

    /// Ends every open stream, now and for streams opened later.
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    pub fn closing(&self) -> watch::Receiver<bool> {
        self.closing.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let mac = Signer::new(b"Jefe").tag("what do ya want for nothing?", 32);
        assert_eq!(mac, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        // The links made before the platform's signer, unchanged.
        assert_eq!(
            token(b"secret", "PED-20261128-ABCDEFGHJK"),
            "PED-20261128-ABCDEFGHJK.c52894ede17b119658037ed8de97dc3a"
        );
    }

    #[test]
    fn a_token_verifies_only_unchanged_and_with_its_secret() {
        let t = token(b"secret", "PED-20261128-ABCDEFGHJK");
        assert_eq!(verify(b"secret", &t).as_deref(), Some("PED-20261128-ABCDEFGHJK"));
        assert_eq!(verify(b"other", &t), None);
        let mac_len = t.len() - t.rfind('.').unwrap() - 1;
        assert_eq!(mac_len, 32, "128 bits in hex");
        // Change any one character: the MAC, the number, the separator.
        for i in 0..t.len() {
            let mut bytes = t.clone().into_bytes();
            bytes[i] = if bytes[i] == b'0' { b'1' } else { b'0' };
            assert_eq!(verify(b"secret", &String::from_utf8(bytes).unwrap()), None, "changed at {i}");
        }
        assert_eq!(verify(b"secret", &format!(" {t}")), None);
        assert_eq!(verify(b"secret", &t.to_uppercase()), None);
        assert_eq!(verify(b"secret", "PED-1"), None);
        assert_ne!(token(b"secret", "PED-1"), token(b"secret", "PED-2"));
    }
}
