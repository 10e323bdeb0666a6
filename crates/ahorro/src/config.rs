//! Settings from the environment, with the old system's variable names:
//! `PORT`, `DATABASE_URL`, `TICKETERA_URL`, `BELGRANO_AHORRO_API_KEY`,
//! `SECRET_KEY`, `RENDER_ENVIRONMENT`, plus `CHECKOUT_WAIT_MS` (how long a
//! checkout waits for Tickets, default 2000) and `OUTBOX_LEASE_SECS` (how
//! long a claimed delivery stays claimed, default 30),
//! `ADMIN_EMAIL`/`ADMIN_PASSWORD` for the first back-office admin, and
//! e-mail: `SMTP_URL`, `MAIL_FROM` (`belgrano_platform::mail`),
//! `CONTACT_EMAIL` (where the contact form goes, `MAIL_FROM`'s address by
//! default) and `PUBLIC_URL` (the shop's address in mailed links;
//! Render's `RENDER_EXTERNAL_URL` by default); the merchants' bundles:
//! `PAQUETES_INTERVALO_SEGUNDOS` (default 60) and, in tests only,
//! `CLOCK_FILE` (the scheduler's clock read from a file).

use std::time::Duration;

use belgrano_platform::api_key::ApiKeys;
use belgrano_platform::cli::{About, COMMON_VARS, Var};
use belgrano_platform::config::{AdminAccount, Vars};
use belgrano_platform::mail::MailSettings;

pub use belgrano_platform::config::{ConfigError, MIN_SECRET_LEN};
pub use belgrano_platform::runtime::Environment;

pub const DEFAULT_PORT: u16 = 5000;
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/ahorro.db";
pub const DEFAULT_TICKETERA_URL: &str = "http://localhost:5001";
pub const DEFAULT_CHECKOUT_WAIT: Duration = Duration::from_millis(2000);
pub const DEFAULT_OUTBOX_LEASE: Duration = Duration::from_secs(30);
pub const DEFAULT_PAQUETES_INTERVALO: Duration = Duration::from_secs(60);
/// The sender when `MAIL_FROM` is unset (development, or production with
/// mails kept pending).
pub const DEFAULT_MAIL_FROM: &str = "Belgrano Ahorro <no-responder@belgranoahorro.local>";
/// The development secret (it signs tracking links): public, so refused in
/// production.
pub const DEV_SECRET_KEY: &str = "belgrano-ahorro-desarrollo-no-usar-en-produccion";

/// The demo accounts of a development database: (email, password). Their
/// passwords are public, so production refuses them as `ADMIN_PASSWORD`
/// and disables these accounts if a database still has them.
pub const DEMO_CLIENTE: (&str, &str) = ("cliente@belgrano.local", "cliente1234");
pub const DEMO_COMERCIANTE: (&str, &str) = ("comerciante@belgrano.local", "comerciante1234");
pub const DEMO_ADMIN: (&str, &str) = ("admin@belgranoahorro.com.ar", "admin1234");

/// Passwords everybody knows (the demo logins, the README's examples,
/// Tickets' demo password): refused as `ADMIN_PASSWORD` in production.
pub const KNOWN_PASSWORDS: &[&str] =
    &[DEMO_CLIENTE.1, DEMO_COMERCIANTE.1, DEMO_ADMIN.1, "demo1234", "admin123", "password"];

/// What `ahorro --help` says.
pub const ABOUT: About = About {
    binary: "ahorro",
    version: env!("CARGO_PKG_VERSION"),
    summary: "Belgrano Ahorro, la tienda: catálogo de los tres negocios, carrito, cuentas y checkout; \
              cada pedido llega a Belgrano Tickets por un outbox que no pierde ninguno, y el cliente \
              sigue su estado en vivo.",
    vars: &[
        &[
            Var { name: "PORT", default: "5000", meaning: "puerto HTTP" },
            Var {
                name: "DATABASE_URL",
                default: DEFAULT_DATABASE_URL,
                meaning: "un archivo SQLite (se crea si falta) o postgres://...",
            },
            Var { name: "TICKETERA_URL", default: DEFAULT_TICKETERA_URL, meaning: "dónde responde Belgrano Tickets" },
            Var {
                name: "SECRET_KEY",
                default: "en desarrollo, un secreto público; en producción es obligatoria (32 caracteres o más)",
                meaning: "firma los enlaces de seguimiento",
            },
            Var {
                name: "ADMIN_EMAIL, ADMIN_PASSWORD",
                default: "—",
                meaning: "las dos o ninguna: crean o actualizan el primer administrador del back office (/admin) al arrancar",
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
                name: "CONTACT_EMAIL",
                default: "la dirección de MAIL_FROM",
                meaning: "adónde llegan los mensajes del formulario /contacto",
            },
            Var {
                name: "PUBLIC_URL",
                default: "RENDER_EXTERNAL_URL, o http://localhost:PORT",
                meaning: "dirección pública de la tienda, para los enlaces de los correos",
            },
            Var {
                name: "CHECKOUT_WAIT_MS",
                default: "2000",
                meaning: "cuánto espera un checkout la primera respuesta de Tickets antes de contestar",
            },
            Var {
                name: "OUTBOX_LEASE_SECS",
                default: "30",
                meaning: "cuánto dura la reserva de un envío por un worker (más que un pedido HTTP)",
            },
            Var {
                name: "PAQUETES_INTERVALO_SEGUNDOS",
                default: "60",
                meaning: "cada cuánto se revisan los paquetes de comerciantes que vencen (se hacen sus pedidos)",
            },
            Var {
                name: "CLOCK_FILE",
                default: "sin definir: la hora del sistema",
                meaning: "sólo pruebas: un archivo con un instante RFC 3339 que hace de reloj de los paquetes (rechazado en producción)",
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
    /// The first back-office admin, from `ADMIN_EMAIL` + `ADMIN_PASSWORD`.
    pub admin: Option<AdminAccount>,
    /// `SMTP_URL`, `MAIL_FROM`.
    pub mail: MailSettings,
    /// `CONTACT_EMAIL`: where `/contacto` sends.
    pub contact_email: String,
    /// `PUBLIC_URL`, without a trailing slash: the base of mailed links.
    pub public_url: String,
    /// What the merchants' bundles are scheduled by (`CLOCK_FILE` in tests).
    pub clock: belgrano_platform::clock::Clock,
    /// `PAQUETES_INTERVALO_SEGUNDOS`: how often due bundles are looked for.
    pub paquetes_intervalo: Duration,
}

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup`, so tests need not touch the process
    /// environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let vars = Vars::new(lookup);
        let environment = vars.environment()?;
        let checkout_wait = vars.number("CHECKOUT_WAIT_MS", 0..=30_000, "milisegundos")?;
        let outbox_lease = vars.number("OUTBOX_LEASE_SECS", 1..=3600, "segundos")?;
        let admin = vars.admin_account()?;
        if let Some(admin) = &admin
            && environment.is_production()
            && KNOWN_PASSWORDS.contains(&admin.password.expose())
        {
            return Err(ConfigError::invalid("ADMIN_PASSWORD", "es una contraseña conocida; elegí otra"));
        }
        let port = vars.port(DEFAULT_PORT)?;
        let paquetes_intervalo = vars.number("PAQUETES_INTERVALO_SEGUNDOS", 1..=86_400, "segundos")?;
        let clock = match vars.get("CLOCK_FILE").filter(|p| !p.trim().is_empty()) {
            Some(_) if environment.is_production() => {
                return Err(ConfigError::invalid("CLOCK_FILE", "es sólo para pruebas; no se admite en producción"));
            }
            Some(path) => belgrano_platform::clock::Clock::file(path),
            None => belgrano_platform::clock::Clock::System,
        };
        let mail = MailSettings::from_vars(&vars, environment, DEFAULT_MAIL_FROM)?;
        let contact_email = match vars.get("CONTACT_EMAIL") {
            Some(raw) => belgrano_contract::Email::parse(&raw)
                .map_err(|_| ConfigError::invalid("CONTACT_EMAIL", format!("'{raw}' no es un email")))?
                .into_string(),
            None => mail.from_address(),
        };
        let default_public = vars.get("RENDER_EXTERNAL_URL").unwrap_or_else(|| format!("http://localhost:{port}"));
        let public_url = vars.base_url("PUBLIC_URL", &default_public)?;
        Ok(Self {
            environment,
            port,
            host: vars.host(),
            database_url: vars.database_url(DEFAULT_DATABASE_URL)?,
            ticketera_url: vars.base_url("TICKETERA_URL", DEFAULT_TICKETERA_URL)?,
            api_keys: vars.api_keys(environment)?,
            secret_key: vars.secret("SECRET_KEY", environment, DEV_SECRET_KEY, &[])?,
            checkout_wait: checkout_wait.map_or(DEFAULT_CHECKOUT_WAIT, Duration::from_millis),
            outbox_lease: outbox_lease.map_or(DEFAULT_OUTBOX_LEASE, Duration::from_secs),
            seed_demo_users: !environment.is_production(),
            admin,
            mail,
            contact_email,
            public_url,
            clock,
            paquetes_intervalo: paquetes_intervalo.map_or(DEFAULT_PAQUETES_INTERVALO, Duration::from_secs),
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
    use belgrano_platform::api_key::LEGACY_DEFAULT_API_KEY;
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
        let key = ("BELGRANO_AHORRO_API_KEY", "k-from-render-0123456789abcdefghijk");
        let secret = ("SECRET_KEY", "0123456789abcdef0123456789abcdef");
        assert!(settings(&[prod, secret]).is_err());
        assert!(settings(&[prod, ("BELGRANO_AHORRO_API_KEY", LEGACY_DEFAULT_API_KEY), secret]).is_err());
        assert!(settings(&[prod, key]).is_err());
        assert!(settings(&[prod, key, ("SECRET_KEY", DEV_SECRET_KEY)]).is_err());
        assert!(settings(&[prod, key, ("SECRET_KEY", "short")]).is_err());
        let ok = settings(&[prod, key, secret]).unwrap();
        assert!(ok.secure_cookies() && !ok.seed_demo_users);
        let short_key = settings(&[prod, ("BELGRANO_AHORRO_API_KEY", "x"), secret]).unwrap_err();
        assert!(short_key.to_string().contains("32 caracteres"), "{short_key}");
    }

    #[test]
    fn admin_variables_go_together_and_production_refuses_known_passwords() {
        assert!(settings(&[]).unwrap().admin.is_none());
        let s = settings(&[("ADMIN_EMAIL", " Duena@Tienda.com.ar "), ("ADMIN_PASSWORD", "muy-secreta")]).unwrap();
        let admin = s.admin.unwrap();
        assert_eq!((admin.email.as_str(), admin.password.expose()), ("duena@tienda.com.ar", "muy-secreta"));
        assert!(
            settings(&[("ADMIN_EMAIL", "duena@tienda.com.ar")]).unwrap_err().to_string().contains("ADMIN_PASSWORD")
        );
        assert!(settings(&[("ADMIN_PASSWORD", "muy-secreta")]).unwrap_err().to_string().contains("ADMIN_EMAIL"));
        assert!(settings(&[("ADMIN_EMAIL", "duena@tienda.com.ar"), ("ADMIN_PASSWORD", "corta")]).is_err());
        // A demo password is fine in development, refused in production.
        let demo = [("ADMIN_EMAIL", "duena@tienda.com.ar"), ("ADMIN_PASSWORD", DEMO_ADMIN.1)];
        assert!(settings(&demo).is_ok());
        let prod = [
            ("RENDER_ENVIRONMENT", "production"),
            ("BELGRANO_AHORRO_API_KEY", "k-from-render-0123456789abcdefghijk"),
            ("SECRET_KEY", "0123456789abcdef0123456789abcdef"),
        ];
        let err = settings(&[prod[0], prod[1], prod[2], demo[0], demo[1]]).unwrap_err().to_string();
        assert!(err.contains("ADMIN_PASSWORD"), "{err}");
        let ok = settings(&[prod[0], prod[1], prod[2], demo[0], ("ADMIN_PASSWORD", "otra-muy-secreta")]).unwrap();
        assert!(ok.admin.is_some());
    }

    #[test]
    fn an_unknown_environment_stops_the_start() {
        let err = settings(&[("RENDER_ENVIRONMENT", "prod")]).unwrap_err().to_string();
        assert!(err.contains("RENDER_ENVIRONMENT") && err.contains("production o development"), "{err}");
        assert!(!settings(&[("RENDER_ENVIRONMENT", "development")]).unwrap().environment.is_production());
    }

    #[test]
    fn rejects_bad_values() {
        assert!(settings(&[("PORT", "x")]).is_err());
        assert!(settings(&[("DATABASE_URL", "mysql://x")]).is_err());
        assert!(settings(&[("TICKETERA_URL", "localhost:5001")]).is_err());
        assert!(settings(&[("CHECKOUT_WAIT_MS", "-1")]).is_err());
        assert_eq!(settings(&[("CHECKOUT_WAIT_MS", "0")]).unwrap().checkout_wait, Duration::ZERO);
        assert!(settings(&[("SMTP_URL", "mail.x.com")]).is_err());
        assert!(settings(&[("MAIL_FROM", "nadie")]).is_err());
        assert!(settings(&[("CONTACT_EMAIL", "nadie")]).is_err());
        assert!(settings(&[("PUBLIC_URL", "tienda.com")]).is_err());
        assert!(settings(&[("PAQUETES_INTERVALO_SEGUNDOS", "0")]).is_err());
        assert_eq!(
            settings(&[("PAQUETES_INTERVALO_SEGUNDOS", "1")]).unwrap().paquetes_intervalo,
            Duration::from_secs(1)
        );
    }

    #[test]
    fn a_clock_file_is_refused_in_production() {
        assert!(!settings(&[("CLOCK_FILE", "/tmp/reloj")]).unwrap().clock.is_system());
        let prod = [
            ("RENDER_ENVIRONMENT", "production"),
            ("BELGRANO_AHORRO_API_KEY", "k-from-render-0123456789abcdefghijk"),
            ("SECRET_KEY", "0123456789abcdef0123456789abcdef"),
            ("CLOCK_FILE", "/tmp/reloj"),
        ];
        assert!(settings(&prod).unwrap_err().to_string().contains("CLOCK_FILE"));
        assert!(settings(&prod[..3]).unwrap().clock.is_system());
    }

    #[test]
    fn mail_settings() {
        let s = settings(&[]).unwrap();
        assert!(s.mail.smtp.is_none());
        assert_eq!(s.contact_email, "no-responder@belgranoahorro.local");
        assert_eq!(s.public_url, "http://localhost:5000");
        let s = settings(&[("RENDER_EXTERNAL_URL", "https://ahorro.onrender.com/"), ("CONTACT_EMAIL", "hola@x.com")])
            .unwrap();
        assert_eq!((s.public_url.as_str(), s.contact_email.as_str()), ("https://ahorro.onrender.com", "hola@x.com"));
        // Production with a server needs a real sender.
        let prod = [
            ("RENDER_ENVIRONMENT", "production"),
            ("BELGRANO_AHORRO_API_KEY", "k-from-render-0123456789abcdefghijk"),
            ("SECRET_KEY", "0123456789abcdef0123456789abcdef"),
            ("SMTP_URL", "smtp://u:p@mail.x.com?tls=starttls"),
        ];
        assert!(settings(&prod).unwrap_err().to_string().contains("MAIL_FROM"));
        let ok = settings(&[prod[0], prod[1], prod[2], prod[3], ("MAIL_FROM", "Tienda <hola@x.com>")]).unwrap();
        assert_eq!(ok.contact_email, "hola@x.com");
        assert!(settings(&prod[..3]).unwrap().mail.smtp.is_none(), "production without SMTP_URL starts (mails wait)");
    }
}
