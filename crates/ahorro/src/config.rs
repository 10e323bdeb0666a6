//! Settings from the environment, with the old system's variable names:
//! `PORT`, `DATABASE_URL`, `TICKETERA_URL`, `BELGRANO_AHORRO_API_KEY`,
//! `SECRET_KEY`, `RENDER_ENVIRONMENT`, plus `CHECKOUT_WAIT_MS` (how long a
//! checkout waits for Tickets, default 2000) and `OUTBOX_LEASE_SECS` (how
//! long a claimed delivery stays claimed, default 30).

use std::time::Duration;

use belgrano_platform::api_key::{ApiKeys, LEGACY_DEFAULT_API_KEY};

pub const DEFAULT_PORT: u16 = 5000;
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/ahorro.db";
pub const DEFAULT_TICKETERA_URL: &str = "http://localhost:5001";
pub const DEFAULT_CHECKOUT_WAIT: Duration = Duration::from_millis(2000);
/// The development secret (it signs tracking links): public, so refused in
/// production.
pub const DEV_SECRET_KEY: &str = "belgrano-ahorro-desarrollo-no-usar-en-produccion";
pub const MIN_SECRET_LEN: usize = 32;

pub use belgrano_platform::runtime::Environment;

#[derive(Debug, Clone)]
pub struct Settings {
    pub environment: Environment,
    /// 0 binds a free port (tests).
    pub port: u16,
    pub host: String,
    pub database_url: String,
    /// Base URL of Belgrano Tickets, without a trailing slash.
    pub ticketera_url: String,
    pub api_keys: ApiKeys,
    pub secret_key: String,
    /// How long a checkout waits for Tickets to confirm before answering.
    pub checkout_wait: Duration,
    /// How long a claimed outbox row stays claimed (longer than a request).
    pub outbox_lease: Duration,
    /// Demo accounts at first start (development only).
    pub seed_demo_users: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} no es válido: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error(
        "RENDER_ENVIRONMENT=production pero {name} {reason}. Configure un secreto propio (por ejemplo generado por Render)."
    )]
    Insecure { name: &'static str, reason: &'static str },
}

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup`, so tests need not touch the process
    /// environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let environment = Environment::from_env_value(get("RENDER_ENVIRONMENT").as_deref());
        let production = environment.is_production();
        let port = match get("PORT") {
            None => DEFAULT_PORT,
            Some(raw) => raw
                .parse()
                .map_err(|_| ConfigError::Invalid { name: "PORT", reason: format!("'{raw}' no es un puerto") })?,
        };
        let database_url = get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(ConfigError::Invalid {
                name: "DATABASE_URL",
                reason: "se espera sqlite://..., postgres://... o postgresql://...".into(),
            });
        }
        let ticketera_url = get("TICKETERA_URL").unwrap_or_else(|| DEFAULT_TICKETERA_URL.to_owned());
        if !(ticketera_url.starts_with("http://") || ticketera_url.starts_with("https://")) {
            return Err(ConfigError::Invalid {
                name: "TICKETERA_URL",
                reason: "se espera una URL http:// o https://".into(),
            });
        }

        let api_keys = ApiKeys::parse(&get("BELGRANO_AHORRO_API_KEY").unwrap_or_default());
        let api_keys = match (production, api_keys.is_empty(), api_keys.contains_legacy_default()) {
            (true, true, _) => {
                return Err(ConfigError::Insecure { name: "BELGRANO_AHORRO_API_KEY", reason: "no está definida" });
            }
            (true, _, true) => {
                return Err(ConfigError::Insecure {
                    name: "BELGRANO_AHORRO_API_KEY",
                    reason: "es la clave por defecto del sistema anterior, que es pública",
                });
            }
            (false, true, _) => ApiKeys::parse(LEGACY_DEFAULT_API_KEY),
            _ => api_keys,
        };

        let secret_key = match get("SECRET_KEY") {
            None if production => {
                return Err(ConfigError::Insecure { name: "SECRET_KEY", reason: "no está definida" });
            }
            Some(s) if production && s == DEV_SECRET_KEY => {
                return Err(ConfigError::Insecure {
                    name: "SECRET_KEY",
                    reason: "es el secreto público de desarrollo",
                });
            }
            Some(s) if production && s.len() < MIN_SECRET_LEN => {
                return Err(ConfigError::Insecure { name: "SECRET_KEY", reason: "tiene menos de 32 caracteres" });
            }
            None => DEV_SECRET_KEY.to_owned(),
            Some(s) => s,
        };

        let checkout_wait = match get("CHECKOUT_WAIT_MS") {
            None => DEFAULT_CHECKOUT_WAIT,
            Some(raw) => {
                raw.parse::<u64>().ok().filter(|ms| *ms <= 30_000).map(Duration::from_millis).ok_or_else(|| {
                    ConfigError::Invalid {
                        name: "CHECKOUT_WAIT_MS",
                        reason: "se esperan milisegundos entre 0 y 30000".into(),
                    }
                })?
            }
        };

        let outbox_lease = match get("OUTBOX_LEASE_SECS") {
            None => Duration::from_secs(30),
            Some(raw) => {
                raw.parse::<u64>().ok().filter(|s| (1..=3600).contains(s)).map(Duration::from_secs).ok_or_else(
                    || ConfigError::Invalid {
                        name: "OUTBOX_LEASE_SECS",
                        reason: "se esperan segundos entre 1 y 3600".into(),
                    },
                )?
            }
        };

        Ok(Self {
            environment,
            port,
            host: "0.0.0.0".to_owned(),
            database_url,
            ticketera_url: ticketera_url.trim_end_matches('/').to_owned(),
            api_keys,
            secret_key,
            checkout_wait,
            outbox_lease,
            seed_demo_users: !production,
        })
    }

    pub fn uses_legacy_api_key(&self) -> bool {
        self.api_keys.contains_legacy_default()
    }

    pub fn uses_dev_secret(&self) -> bool {
        self.secret_key == DEV_SECRET_KEY
    }

    /// Cookies (session, CSRF) are `Secure` in production (HTTPS on Render).
    pub fn secure_cookies(&self) -> bool {
        self.environment.is_production()
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
        assert_eq!(s.port, 5000);
        assert_eq!(s.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(s.ticketera_url, "http://localhost:5001");
        assert_eq!(s.checkout_wait, Duration::from_millis(2000));
        assert!(s.uses_legacy_api_key() && s.uses_dev_secret() && !s.secure_cookies());
    }

    #[test]
    fn production_refuses_missing_or_default_secrets() {
        let prod = ("RENDER_ENVIRONMENT", "production");
        let key = ("BELGRANO_AHORRO_API_KEY", "k-from-render");
        let secret = ("SECRET_KEY", "0123456789abcdef0123456789abcdef");
        assert!(settings(&[prod, secret]).is_err());
        assert!(settings(&[prod, ("BELGRANO_AHORRO_API_KEY", LEGACY_DEFAULT_API_KEY), secret]).is_err());
        assert!(settings(&[prod, key]).is_err());
        assert!(settings(&[prod, key, ("SECRET_KEY", DEV_SECRET_KEY)]).is_err());
        assert!(settings(&[prod, key, ("SECRET_KEY", "short")]).is_err());
        let ok = settings(&[prod, key, secret]).unwrap();
        assert!(ok.secure_cookies() && !ok.seed_demo_users);
    }

    #[test]
    fn rejects_bad_values() {
        assert!(settings(&[("PORT", "x")]).is_err());
        assert!(settings(&[("DATABASE_URL", "mysql://x")]).is_err());
        assert!(settings(&[("TICKETERA_URL", "localhost:5001")]).is_err());
        assert!(settings(&[("CHECKOUT_WAIT_MS", "-1")]).is_err());
        assert_eq!(settings(&[("CHECKOUT_WAIT_MS", "0")]).unwrap().checkout_wait, Duration::ZERO);
    }
}
