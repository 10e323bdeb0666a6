//! The shared API key (`X-API-Key`) that authenticates one service to the
//! other. Several keys may be valid at once so a key can be rotated without
//! downtime: `BELGRANO_AHORRO_API_KEY="new,old"`.

use subtle::ConstantTimeEq;

/// The key the old system shipped in its code. Accepted in development
/// (with a loud warning) so old scripts keep working; refused in production.
pub const LEGACY_DEFAULT_API_KEY: &str = "belgrano_ahorro_api_key_2025";

#[derive(Clone)]
pub struct ApiKeys {
    keys: Vec<String>,
}

impl std::fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApiKeys({} key(s), redacted)", self.keys.len())
    }
}

impl ApiKeys {
    /// Parses a comma-separated list; blanks are dropped.
    pub fn parse(raw: &str) -> Self {
        let keys = raw.split(',').map(str::trim).filter(|k| !k.is_empty()).map(str::to_owned).collect();
        Self { keys }
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The key used when this service calls the other one (the first).
    pub fn outgoing(&self) -> &str {
        self.keys.first().map(String::as_str).unwrap_or("")
    }

    /// The length of the shortest key (0 when none).
    pub fn shortest(&self) -> usize {
        self.keys.iter().map(|k| k.chars().count()).min().unwrap_or(0)
    }

    pub fn contains_legacy_default(&self) -> bool {
        self.keys.iter().any(|k| k == LEGACY_DEFAULT_API_KEY)
    }

    /// Constant-time check against every configured key (each comparison
    /// runs to the end, so timing reveals neither which key nor how much of
    /// it matched).
    pub fn verify(&self, presented: &str) -> bool {
        let presented = presented.as_bytes();
        self.keys.iter().fold(false, |ok, key| ok | bool::from(key.as_bytes().ct_eq(presented)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_any_configured_key_and_nothing_else() {
        let keys = ApiKeys::parse(" new-key , old-key ,");
        assert!(keys.verify("new-key"));
        assert!(keys.verify("old-key"));
        assert!(!keys.verify("new-ke"));
        assert!(!keys.verify(""));
        assert_eq!(keys.outgoing(), "new-key");
        assert!(ApiKeys::parse(" , ").is_empty());
    }
}
