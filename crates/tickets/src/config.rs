//! Settings from the environment: the same variable names as the old system
//! and the Render blueprints (`PORT`, `DATABASE_URL`,
//! `BELGRANO_AHORRO_API_KEY`, `BELGRANO_AHORRO_URL`, `RENDER_ENVIRONMENT`),
//! plus `ADMIN_EMAIL`/`ADMIN_PASSWORD` for the first dispatcher and
//! `REDIS_URL` when several instances share the live board, and e-mail
//! (password reset links): `SMTP_URL`, `MAIL_FROM`
//! (`belgrano_platform::mail`) and `PUBLIC_URL` (the desk's address in
//! mailed links; Render's `RENDER_EXTERNAL_URL` by default), and
//! `TICKET_DEMORA_MINUTOS` (when the board marks a ticket without a delivery
//! window as late). Read with the platform's rules
//! (`belgrano_platform::config`).

use belgrano_platform::api_key::ApiKeys;
use belgrano_platform::cli::{About, COMMON_VARS, Var};
use belgrano_platform::config::{AdminAccount, Vars};
use belgrano_platform::mail::MailSettings;

pub use belgrano_platform::config::ConfigError;
pub use belgrano_platform::runtime::Environment;

pub const DEFAULT_PORT: u16 = 5001;
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/tickets.db";
pub const DEFAULT_AHORRO_URL: &str = "http://localhost:5000";
/// The sender when `MAIL_FROM` is unset.
pub const DEFAULT_MAIL_FROM: &str = "Belgrano Tickets <no-responder@belgranotickets.local>";

/// Minutes after which an open ticket without a delivery window is late.
pub const DEFAULT_DEMORA_MINUTOS: u32 = 90;

/// What `tickets --help` says.
pub const ABOUT: About = About {
    binary: "tickets",
    version: env!("CARGO_PKG_VERSION"),
    summary: "Belgrano Tickets, el despacho: recibe los pedidos de Belgrano Ahorro (POST /api/tickets), \
              les asigna repartidor, los muestra en vivo en el tablero (/panel) y a cada repartidor \
              (/repartidor), y devuelve cada cambio de estado a Ahorro.",
    vars: &[
        &[
            Var { name: "PORT", default: "5001", meaning: "puerto HTTP y Socket.IO" },
            Var {
                name: "DATABASE_URL",
                default: DEFAULT_DATABASE_URL,
                meaning: "un archivo SQLite (se crea si falta) o postgres://...",
            },
            Var {
                name: "BELGRANO_AHORRO_URL", default: DEFAULT_AHORRO_URL, meaning: "dónde responde Belgrano Ahorro"
            },
            Var {
                name: "ADMIN_EMAIL, ADMIN_PASSWORD",
                default: "—",
                meaning: "las dos o ninguna: crean o actualizan la primera cuenta de despacho al arrancar",
            },
            Var {
                name: "REDIS_URL",
                default: "— (una sola instancia)",
                meaning: "redis://host:puerto para varias instancias: los eventos llegan a los tableros de todas",
            },
            Var {
                name: "SMTP_URL",
                default: "sin definir: en desarrollo los correos quedan en /dev/correo; en producción quedan pendientes hasta configurarla",
                meaning: "servidor de correo: smtp://usuario:clave@host:587 (STARTTLS si lo ofrece; ?tls=starttls lo exige, ?tls=none nunca) o smtps://... (TLS directo)",
            },
            Var {
                name: "MAIL_FROM",
                default: DEFAULT_MAIL_FROM,
                meaning: "remitente de los correos (obligatorio en producción con SMTP_URL)",
            },
            Var {
                name: "PUBLIC_URL",
                default: "RENDER_EXTERNAL_URL, o http://localhost:PORT",
                meaning: "dirección pública del despacho, para los enlaces de los correos",
            },
            Var {
                name: "TICKET_DEMORA_MINUTOS",
                default: "90",
                meaning: "minutos (1 a 1440) tras los que el tablero marca como demorado un ticket abierto sin franja de entrega",
            },
        ],
        COMMON_VARS,
    ],
};

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
    /// `SMTP_URL`, `MAIL_FROM`.
    pub mail: MailSettings,
    /// `PUBLIC_URL`, without a trailing slash: the base of mailed links.
    pub public_url: String,
    /// `TICKET_DEMORA_MINUTOS`: an open ticket without a delivery window is
    /// marked late on the board once it is this old.
    pub demora_minutos: u32,
}

impl Settings {
    /// Reads settings from process environment variables.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup`, so tests need not touch the process
    /// environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let vars = Vars::new(lookup);
        let environment = vars.environment()?;
        let port = vars.port(DEFAULT_PORT)?;
        let default_public = vars.get("RENDER_EXTERNAL_URL").unwrap_or_else(|| format!("http://localhost:{port}"));
        Ok(Self {
            environment,
            port,
            host: vars.host(),
            database_url: vars.database_url(DEFAULT_DATABASE_URL)?,
            api_keys: vars.api_keys(environment)?,
            ahorro_url: vars.base_url("BELGRANO_AHORRO_URL", DEFAULT_AHORRO_URL)?,
            seed_demo_data: !environment.is_production(),
            admin: vars.admin_account()?,
            redis_url: vars.get("REDIS_URL").map(redis_url).transpose()?,
            mail: MailSettings::from_vars(&vars, environment, DEFAULT_MAIL_FROM)?,
            public_url: vars.base_url("PUBLIC_URL", &default_public)?,
            demora_minutos: vars
                .number("TICKET_DEMORA_MINUTOS", 1..=1440, "minutos")?
                .map_or(DEFAULT_DEMORA_MINUTOS, |n| n as u32),
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
        return Err(ConfigError::invalid(
            "REDIS_URL",
            "rediss:// (TLS) no está soportado; use la URL interna redis://... de Render Key Value",
        ));
    }
    if !url.starts_with("redis://") {
        return Err(ConfigError::invalid("REDIS_URL", "se espera redis://host:puerto"));
    }
    if url.to_ascii_lowercase().contains("protocol=") {
        return Ok(url);
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    Ok(format!("{url}{separator}protocol=resp3"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use belgrano_platform::api_key::LEGACY_DEFAULT_API_KEY;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let vars: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Settings::from_lookup(|k| vars.get(k).cloned())
    }

    #[test]
    fn mail_settings() {
        let s = settings(&[]).unwrap();
        assert!(s.mail.smtp.is_none());
        assert_eq!(s.public_url, "http://localhost:5001");
        assert!(settings(&[("SMTP_URL", "smtp//x")]).is_err());
        assert!(settings(&[("PUBLIC_URL", "despacho.com")]).is_err());
        let s = settings(&[("SMTP_URL", "smtp://127.0.0.1:2525?tls=none"), ("MAIL_FROM", "d@x.com")]).unwrap();
        assert_eq!(s.mail.smtp.unwrap().port, 2525);
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
        let ok = settings(&[
            ("RENDER_ENVIRONMENT", "production"),
            ("BELGRANO_AHORRO_API_KEY", "s3cret-from-render-0123456789abcdef"),
        ])
        .unwrap();
        assert!(!ok.seed_demo_data);
        let err = settings(&[("RENDER_ENVIRONMENT", "production"), ("BELGRANO_AHORRO_API_KEY", "1")]).unwrap_err();
        assert!(err.to_string().contains("32 caracteres"), "{err}");
        let err = settings(&[("RENDER_ENVIRONMENT", "produccion")]).unwrap_err();
        assert!(err.to_string().contains("RENDER_ENVIRONMENT"), "{err}");
    }

    #[test]
    fn admin_variables_go_together_and_are_validated() {
        assert!(settings(&[]).unwrap().admin.is_none());
        let s = settings(&[("ADMIN_EMAIL", " Jefa@Belgrano.com "), ("ADMIN_PASSWORD", "muy-secreta")]).unwrap();
        let admin = s.admin.unwrap();
        assert_eq!(admin.email, "jefa@belgrano.com");
        assert_eq!(admin.password.expose(), "muy-secreta");
        assert!(!format!("{admin:?}").contains("muy-secreta"));

        let prod =
            [("RENDER_ENVIRONMENT", "production"), ("BELGRANO_AHORRO_API_KEY", "s3cret-from-render-0123456789abcdef")];
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
    fn late_threshold_is_a_bounded_number_of_minutes() {
        assert_eq!(settings(&[]).unwrap().demora_minutos, DEFAULT_DEMORA_MINUTOS);
        assert_eq!(settings(&[("TICKET_DEMORA_MINUTOS", "45")]).unwrap().demora_minutos, 45);
        for bad in ["0", "1441", "-5", "noventa", "1.5"] {
            let err = settings(&[("TICKET_DEMORA_MINUTOS", bad)]).unwrap_err();
            assert!(err.to_string().contains("TICKET_DEMORA_MINUTOS"), "{bad}: {err}");
        }
    }

    #[test]
    fn rejects_a_bad_port_or_database_url() {
        assert!(settings(&[("PORT", "http")]).is_err());
        assert!(settings(&[("DATABASE_URL", "mysql://x")]).is_err());
    }
}
