//! Settings from the environment: the same variable names as the old system
//! and the Render blueprints (`PORT`, `DATABASE_URL`,
//! `BELGRANO_AHORRO_API_KEY`, `BELGRANO_AHORRO_URL`, `RENDER_ENVIRONMENT`),
//! plus `REDIS_URL` when several instances share the live board.

use belgrano_shared::api_key::{ApiKeys, LEGACY_DEFAULT_API_KEY};

pub const DEFAULT_PORT: u16 = 5001;
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/tickets.db";

pub use belgrano_shared::runtime::Environment;

#[derive(Debug, Clone)]
pub struct Settings {
    pub environment: Environment,
    /// 0 binds a free port (tests).
    pub port: u16,
    /// `127.0.0.1` in tests, `0.0.0.0` otherwise.
    pub host: String,
    pub database_url: String,
    pub api_keys: ApiKeys,
    /// Where ticket updates go back to (Ahorro).
    pub ahorro_url: String,
    /// Create the five demo couriers at first start (development only).
    pub seed_demo_data: bool,
    /// The first dispatcher, from `ADMIN_EMAIL` + `ADMIN_PASSWORD`.
    pub admin: Option<AdminAccount>,
    /// `REDIS_URL`: Socket.IO events fan out to every instance through it.
    /// Unset: one instance, rooms in memory.
    pub redis_url: Option<String>,
}

/// A dispatcher account created or updated at every start.
#[derive(Debug, Clone)]
pub struct AdminAccount {
    /// Lower-cased.
    pub email: String,
    pub password: Secret,
}

/// A value that must not reach logs: `Debug` prints `***`.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} no es válido: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error(
        "RENDER_ENVIRONMENT=production pero BELGRANO_AHORRO_API_KEY {0}. \
         Configure una clave secreta propia (por ejemplo generada por Render) y compártala con Belgrano Ahorro."
    )]
    InsecureApiKey(&'static str),
    #[error(
        "{missing} no está definida pero {present} sí: ADMIN_EMAIL y ADMIN_PASSWORD van juntas \
         (crean o actualizan el primer despachante). Defina las dos o ninguna."
    )]
    AdminHalfSet { present: &'static str, missing: &'static str },
}

impl Settings {
    /// Reads settings from process environment variables.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup`, so tests need not touch the process
    /// environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let environment = Environment::from_env_value(lookup("RENDER_ENVIRONMENT").as_deref());
        let port = match lookup("PORT").filter(|p| !p.trim().is_empty()) {
            None => DEFAULT_PORT,
            Some(raw) => raw
                .trim()
                .parse()
                .map_err(|_| ConfigError::Invalid { name: "PORT", reason: format!("'{raw}' no es un puerto") })?,
        };
        let database_url =
            lookup("DATABASE_URL").filter(|u| !u.trim().is_empty()).unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(ConfigError::Invalid {
                name: "DATABASE_URL",
                reason: "se espera sqlite://..., postgres://... o postgresql://...".into(),
            });
        }

        let api_keys = ApiKeys::parse(&lookup("BELGRANO_AHORRO_API_KEY").unwrap_or_default());
        let api_keys = match environment {
            Environment::Production if api_keys.is_empty() => {
                return Err(ConfigError::InsecureApiKey("no está definida"));
            }
            Environment::Production if api_keys.contains_legacy_default() => {
                return Err(ConfigError::InsecureApiKey(
                    "es la clave por defecto del sistema anterior, que es pública",
                ));
            }
            Environment::Development if api_keys.is_empty() => ApiKeys::parse(LEGACY_DEFAULT_API_KEY),
            _ => api_keys,
        };

        let ahorro_url = lookup("BELGRANO_AHORRO_URL")
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| "http://localhost:5000".to_owned());

        let admin = admin_account(lookup("ADMIN_EMAIL"), lookup("ADMIN_PASSWORD"))?;
        let redis_url =
            lookup("REDIS_URL").map(|u| u.trim().to_owned()).filter(|u| !u.is_empty()).map(redis_url).transpose()?;

        Ok(Self {
            environment,
            port,
            host: "0.0.0.0".to_owned(),
            database_url,
            api_keys,
            ahorro_url: ahorro_url.trim_end_matches('/').to_owned(),
            seed_demo_data: !environment.is_production(),
            admin,
            redis_url,
        })
    }

    /// The Redis channel prefix of this deployment: instances on the same
    /// database share events, instances on different databases (other
    /// deployments, parallel tests on one Redis) never see each other's.
    pub fn fanout_channel_prefix(&self) -> String {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(self.database_url.as_bytes());
        format!("belgrano-tickets-{}", hex::encode(&digest[..8]))
    }

    /// True when development runs on the publicly known legacy key.
    pub fn uses_legacy_api_key(&self) -> bool {
        self.api_keys.contains_legacy_default()
    }
}

/// A plain `redis://` URL (Render's internal Key Value address), spoken in
/// RESP3 as the Redis adapter requires.
fn redis_url(url: String) -> Result<String, ConfigError> {
    if url.starts_with("rediss://") {
        return Err(ConfigError::Invalid {
            name: "REDIS_URL",
            reason: "rediss:// (TLS) no está soportado; use la URL interna redis://... de Render Key Value".into(),
        });
    }
    if !url.starts_with("redis://") {
        return Err(ConfigError::Invalid { name: "REDIS_URL", reason: "se espera redis://host:puerto".into() });
    }
    if url.to_ascii_lowercase().contains("protocol=") {
        return Ok(url);
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    Ok(format!("{url}{separator}protocol=resp3"))
}

/// Both variables or neither (in any environment: half a login is a
/// mistake, and production would otherwise start with no way in).
fn admin_account(email: Option<String>, password: Option<String>) -> Result<Option<AdminAccount>, ConfigError> {
    let email = email.map(|e| e.trim().to_lowercase()).filter(|e| !e.is_empty());
    let password = password.filter(|p| !p.is_empty());
    match (email, password) {
        (None, None) => Ok(None),
        (Some(_), None) => Err(ConfigError::AdminHalfSet { present: "ADMIN_EMAIL", missing: "ADMIN_PASSWORD" }),
        (None, Some(_)) => Err(ConfigError::AdminHalfSet { present: "ADMIN_PASSWORD", missing: "ADMIN_EMAIL" }),
        (Some(email), Some(password)) => {
            let (local, domain) = email.split_once('@').unwrap_or_default();
            if local.is_empty() || domain.is_empty() || email.chars().any(char::is_whitespace) {
                return Err(ConfigError::Invalid { name: "ADMIN_EMAIL", reason: format!("'{email}' no es un email") });
            }
            if password.chars().count() < 8 {
                return Err(ConfigError::Invalid {
                    name: "ADMIN_PASSWORD",
                    reason: "debe tener al menos 8 caracteres".into(),
                });
            }
            Ok(Some(AdminAccount { email, password: Secret(password) }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let vars: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Settings::from_lookup(|k| vars.get(k).cloned())
    }

    #[test]
    fn development_has_working_defaults() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.port, 5001);
        assert_eq!(s.database_url, DEFAULT_DATABASE_URL);
        assert!(s.uses_legacy_api_key());
        assert!(s.seed_demo_data);
    }

    #[test]
    fn production_refuses_missing_or_legacy_keys() {
        let err = settings(&[("RENDER_ENVIRONMENT", "production")]).unwrap_err();
        assert!(err.to_string().contains("no está definida"));
        let err =
            settings(&[("RENDER_ENVIRONMENT", "production"), ("BELGRANO_AHORRO_API_KEY", LEGACY_DEFAULT_API_KEY)])
                .unwrap_err();
        assert!(err.to_string().contains("pública"));
        let ok = settings(&[("RENDER_ENVIRONMENT", "production"), ("BELGRANO_AHORRO_API_KEY", "s3cret-from-render")])
            .unwrap();
        assert!(!ok.seed_demo_data);
    }

    #[test]
    fn admin_variables_go_together_and_are_validated() {
        assert!(settings(&[]).unwrap().admin.is_none());
        let s = settings(&[("ADMIN_EMAIL", " Jefa@Belgrano.com "), ("ADMIN_PASSWORD", "muy-secreta")]).unwrap();
        let admin = s.admin.unwrap();
        assert_eq!(admin.email, "jefa@belgrano.com");
        assert_eq!(admin.password.expose(), "muy-secreta");
        assert!(!format!("{admin:?}").contains("muy-secreta"));

        let prod = [("RENDER_ENVIRONMENT", "production"), ("BELGRANO_AHORRO_API_KEY", "s3cret-from-render")];
        let err = settings(&[prod[0], prod[1], ("ADMIN_EMAIL", "jefa@belgrano.com")]).unwrap_err();
        assert!(err.to_string().contains("ADMIN_PASSWORD no está definida"), "{err}");
        let err = settings(&[prod[0], prod[1], ("ADMIN_PASSWORD", "muy-secreta")]).unwrap_err();
        assert!(err.to_string().contains("ADMIN_EMAIL no está definida"), "{err}");
        assert!(settings(&[("ADMIN_EMAIL", "jefa"), ("ADMIN_PASSWORD", "muy-secreta")]).is_err());
        assert!(settings(&[("ADMIN_EMAIL", "jefa@belgrano.com"), ("ADMIN_PASSWORD", "corta")]).is_err());
    }

    #[test]
    fn redis_url_is_optional_and_spoken_in_resp3() {
        assert!(settings(&[]).unwrap().redis_url.is_none());
        assert!(settings(&[("REDIS_URL", "  ")]).unwrap().redis_url.is_none());
        let s = settings(&[("REDIS_URL", "redis://red-abc:6379")]).unwrap();
        assert_eq!(s.redis_url.as_deref(), Some("redis://red-abc:6379?protocol=resp3"));
        let s = settings(&[("REDIS_URL", "redis://h:6379/0?protocol=resp3")]).unwrap();
        assert_eq!(s.redis_url.as_deref(), Some("redis://h:6379/0?protocol=resp3"));
        assert!(settings(&[("REDIS_URL", "rediss://h:6379")]).unwrap_err().to_string().contains("REDIS_URL"));
        assert!(settings(&[("REDIS_URL", "http://h")]).is_err());
    }

    #[test]
    fn instances_on_one_database_share_a_channel_prefix() {
        let a = settings(&[("DATABASE_URL", "postgres://db/one")]).unwrap();
        let b = settings(&[("DATABASE_URL", "postgres://db/one"), ("PORT", "7000")]).unwrap();
        let c = settings(&[("DATABASE_URL", "postgres://db/two")]).unwrap();
        assert_eq!(a.fanout_channel_prefix(), b.fanout_channel_prefix());
        assert_ne!(a.fanout_channel_prefix(), c.fanout_channel_prefix());
    }

    #[test]
    fn rejects_a_bad_port_or_database_url() {
        assert!(settings(&[("PORT", "http")]).is_err());
        assert!(settings(&[("DATABASE_URL", "mysql://x")]).is_err());
    }
}
