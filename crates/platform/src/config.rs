//! Reading settings from the environment, the same way in both services:
//! values are trimmed and an empty value counts as unset; each refusal
//! names the variable; production refuses what only development may use.
//!
//! Services read their variables through [`Vars`] (from the process, or
//! from a map in tests) and keep their own `Settings` type.

use crate::api_key::{ApiKeys, LEGACY_DEFAULT_API_KEY};
use crate::db::Backend;
use crate::runtime::Environment;

/// Shortest secret or API key production accepts.
pub const MIN_SECRET_LEN: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} no es válido: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error(
        "RENDER_ENVIRONMENT=production pero {name} {reason}. \
         Configure un secreto propio (por ejemplo generado por Render) y compártalo donde haga falta."
    )]
    Insecure { name: &'static str, reason: &'static str },
    #[error(
        "{missing} no está definida pero {present} sí: ADMIN_EMAIL y ADMIN_PASSWORD van juntas \
         (crean o actualizan la primera cuenta de administración). Defina las dos o ninguna."
    )]
    AdminHalfSet { present: &'static str, missing: &'static str },
}

impl ConfigError {
    pub fn invalid(name: &'static str, reason: impl Into<String>) -> Self {
        ConfigError::Invalid { name, reason: reason.into() }
    }
}

/// The environment variables a service reads.
pub struct Vars<F: Fn(&str) -> Option<String>> {
    lookup: F,
}

/// The process's own environment.
pub fn from_process() -> Vars<impl Fn(&str) -> Option<String>> {
    Vars::new(|name: &str| std::env::var(name).ok())
}

impl<F: Fn(&str) -> Option<String>> Vars<F> {
    pub fn new(lookup: F) -> Self {
        Self { lookup }
    }

    /// A trimmed value; empty counts as unset.
    pub fn get(&self, name: &str) -> Option<String> {
        (self.lookup)(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
    }

    /// `RENDER_ENVIRONMENT`, refused unless a documented value.
    pub fn environment(&self) -> Result<Environment, ConfigError> {
        Environment::parse(self.get("RENDER_ENVIRONMENT").as_deref())
            .map_err(|reason| ConfigError::invalid("RENDER_ENVIRONMENT", reason))
    }

    /// A whole number within `range`, or `None` when unset; `unit` names
    /// it in the refusal ("milisegundos").
    pub fn number(
        &self,
        name: &'static str,
        range: std::ops::RangeInclusive<u64>,
        unit: &str,
    ) -> Result<Option<u64>, ConfigError> {
        self.get(name)
            .map(|raw| {
                raw.parse::<u64>().ok().filter(|n| range.contains(n)).ok_or_else(|| {
                    ConfigError::invalid(name, format!("se esperan {unit} entre {} y {}", range.start(), range.end()))
                })
            })
            .transpose()
    }

    /// `HOST`: the address to listen on, `0.0.0.0` by default (every
    /// interface, as Render needs); `127.0.0.1` keeps a service on this
    /// machine.
    pub fn host(&self) -> String {
        self.get("HOST").unwrap_or_else(|| "0.0.0.0".to_owned())
    }

    /// `PORT`, or `default`.
    pub fn port(&self, default: u16) -> Result<u16, ConfigError> {
        match self.get("PORT") {
            None => Ok(default),
            Some(raw) => raw.parse().map_err(|_| ConfigError::invalid("PORT", format!("'{raw}' no es un puerto"))),
        }
    }

    /// `DATABASE_URL`: a SQLite file or a PostgreSQL server; `default` when unset.
    pub fn database_url(&self, default: &str) -> Result<String, ConfigError> {
        let url = self.get("DATABASE_URL").unwrap_or_else(|| default.to_owned());
        match Backend::of_url(&url) {
            Some(_) => Ok(url),
            None => {
                Err(ConfigError::invalid("DATABASE_URL", "se espera sqlite://..., postgres://... o postgresql://..."))
            }
        }
    }

    /// An `http(s)://` base URL, without a trailing slash.
    pub fn base_url(&self, name: &'static str, default: &str) -> Result<String, ConfigError> {
        let url = self.get(name).unwrap_or_else(|| default.to_owned());
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(ConfigError::invalid(name, "se espera una URL http:// o https://"));
        }
        Ok(url.trim_end_matches('/').to_owned())
    }

    /// `BELGRANO_AHORRO_API_KEY` (several separated by commas). Production
    /// refuses none and the old system's public key; development falls back
    /// to that key so old scripts keep working.
    pub fn api_keys(&self, environment: Environment) -> Result<ApiKeys, ConfigError> {
        const NAME: &str = "BELGRANO_AHORRO_API_KEY";
        let keys = ApiKeys::parse(&self.get(NAME).unwrap_or_default());
        match environment {
            Environment::Production if keys.is_empty() => {
                Err(ConfigError::Insecure { name: NAME, reason: "no está definida" })
            }
            Environment::Production if keys.contains_legacy_default() => Err(ConfigError::Insecure {
                name: NAME,
                reason: "es la clave por defecto del sistema anterior, que es pública",
            }),
            Environment::Production if keys.shortest() < MIN_SECRET_LEN => {
                Err(ConfigError::Insecure { name: NAME, reason: "tiene una clave de menos de 32 caracteres" })
            }
            Environment::Development if keys.is_empty() => Ok(ApiKeys::parse(LEGACY_DEFAULT_API_KEY)),
            _ => Ok(keys),
        }
    }

    /// A secret (`SECRET_KEY`): in production it must be set, at least
    /// [`MIN_SECRET_LEN`] characters and none of `known_defaults`; in
    /// development `dev_default` stands in when unset.
    pub fn secret(
        &self,
        name: &'static str,
        environment: Environment,
        dev_default: &str,
        known_defaults: &[&str],
    ) -> Result<String, ConfigError> {
        match (self.get(name), environment) {
            (None, Environment::Production) => Err(ConfigError::Insecure { name, reason: "no está definida" }),
            (Some(s), Environment::Production) if s == dev_default || known_defaults.contains(&s.as_str()) => {
                Err(ConfigError::Insecure { name, reason: "es un valor por defecto conocido, que es público" })
            }
            (Some(s), Environment::Production) if s.chars().count() < MIN_SECRET_LEN => {
                Err(ConfigError::Insecure { name, reason: "tiene menos de 32 caracteres" })
            }
            (None, Environment::Development) => Ok(dev_default.to_owned()),
            (Some(s), _) => Ok(s),
        }
    }

    /// `ADMIN_EMAIL` + `ADMIN_PASSWORD`: both or neither (in any
    /// environment: half a login is a mistake, and production would
    /// otherwise start with no way in).
    pub fn admin_account(&self) -> Result<Option<AdminAccount>, ConfigError> {
        let email = self.get("ADMIN_EMAIL").map(|e| e.to_lowercase());
        let password = (self.lookup)("ADMIN_PASSWORD").filter(|p| !p.is_empty());
        match (email, password) {
            (None, None) => Ok(None),
            (Some(_), None) => Err(ConfigError::AdminHalfSet { present: "ADMIN_EMAIL", missing: "ADMIN_PASSWORD" }),
            (None, Some(_)) => Err(ConfigError::AdminHalfSet { present: "ADMIN_PASSWORD", missing: "ADMIN_EMAIL" }),
            (Some(email), Some(password)) => {
                let email = belgrano_contract::Email::parse(&email)
                    .map_err(|_| ConfigError::invalid("ADMIN_EMAIL", format!("'{email}' no es un email")))?;
                if password.chars().count() < 8 {
                    return Err(ConfigError::invalid("ADMIN_PASSWORD", "debe tener al menos 8 caracteres"));
                }
                Ok(Some(AdminAccount { email: email.into_string(), password: Secret(password) }))
            }
        }
    }
}

/// An account created or updated at every start (`ADMIN_EMAIL`).
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
    pub fn new(value: String) -> Self {
        Secret(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}
