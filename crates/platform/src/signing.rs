//! Signed values (HMAC-SHA256 from the `hmac` crate, compared in constant
//! time with `subtle`): links that prove they were made here without
//! anything stored, such as Ahorro's tracking links.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Signs with one service secret.
#[derive(Clone)]
pub struct Signer {
    key: Vec<u8>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer(***)")
    }
}

impl Signer {
    pub fn new(secret: &[u8]) -> Self {
        Self { key: secret.to_vec() }
    }

    /// The first `bytes` bytes of `HMAC-SHA256(secret, message)`, in hex.
    pub fn tag(&self, message: &str, bytes: usize) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(message.as_bytes());
        let full = mac.finalize().into_bytes();
        hex::encode(&full[..bytes.min(full.len())])
    }

    /// Whether `presented` is the tag of `message` (constant time).
    pub fn verify(&self, message: &str, presented: &str, bytes: usize) -> bool {
        bool::from(self.tag(message, bytes).as_bytes().ct_eq(presented.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_rfc_4231_case_2() {
        let signer = Signer::new(b"Jefe");
        assert_eq!(
            signer.tag("what do ya want for nothing?", 32),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(signer.verify("what do ya want for nothing?", "5bdcc146bf60754e6a042426089575c7", 16));
        assert!(!Signer::new(b"otro").verify("what do ya want for nothing?", "5bdcc146bf60754e6a042426089575c7", 16));
    }
}
