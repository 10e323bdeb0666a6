//! E-mail, the same way in both services: a mail is a row of the service's
//! `correos` outbox, written in the transaction of what causes it
//! ([`queue`]), and sent by the platform's outbox [`Worker`](crate::outbox::Worker)
//! through a [`MailDelivery`]: real SMTP ([`SmtpUrl`]), or, in development
//! without `SMTP_URL`, the dev mailbox (rows marked delivered and kept,
//! readable at `/dev/correo`, [`kept`], [`dev_page`]).
//!
//! In production without `SMTP_URL` no mail worker runs: mails stay
//! `pending` in the table (nothing is lost) and go out once `SMTP_URL` is
//! configured and the service restarts; the start logs it loudly.
//!
//! `SMTP_URL`:
//! - `smtp://[user:pass@]host[:port]`: STARTTLS when the server offers it
//!   (opportunistic), plain otherwise; port 587 by default;
//! - `smtp://...?tls=starttls`: STARTTLS required (refuses a server that
//!   does not offer it); port 587;
//! - `smtp://...?tls=none`: plain SMTP, never TLS (a relay on the same
//!   machine, test servers); port 25;
//! - `smtps://[user:pass@]host[:port]`: implicit TLS; port 465.
//!
//! User and password are percent-decoded. Send credentials over
//! `?tls=starttls` or `smtps://` only: opportunistic STARTTLS falls back
//! to plain text when a (possibly tampered) server does not offer it.
//!
//! The `correos` table has the outbox's mechanical columns, `para` (the
//! subject, shown to people) and `clave`, a unique key per event
//! (`pedido:PED-…:entregado`): queuing the same event twice inserts nothing
//! the second time ([`queue`] uses `ON CONFLICT (clave) DO NOTHING`).

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};

use crate::config::{ConfigError, Vars};
use crate::db::{Db, Param, Sql, StoreError, Ts};
use crate::outbox::{Delivery, Failure, OutboxRow, Table};
use crate::runtime::Environment;

/// How long one SMTP conversation may take (connect, send, quit).
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(10);

/// One e-mail: HTML with a plain-text part (multipart/alternative).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correo {
    /// The recipient's address.
    pub para: String,
    pub asunto: String,
    pub texto: String,
    pub html: String,
    /// `Reply-To` (the contact form: the visitor's address).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responder_a: Option<String>,
}

/// A service's `correos` table.
pub fn table(name: &'static str) -> Table {
    Table { name, subject: "para" }
}

/// The `INSERT` that queues `correo` under `clave` (one key per event), to
/// run inside the caller's transaction. A second queue with the same key
/// inserts nothing (and does not fail the transaction).
pub fn queue(table: Table, clave: &str, correo: &Correo) -> Sql {
    let payload = serde_json::to_string(correo).expect("a mail serialises");
    let mut q = crate::outbox::insert(
        table,
        &[("para", Param::from(correo.para.as_str())), ("clave", Param::from(clave))],
        payload.into(),
    );
    q.push(" ON CONFLICT (clave) DO NOTHING");
    q
}

/// How a service sends mail, from `SMTP_URL` and `MAIL_FROM`.
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// `None`: development keeps mails in the dev mailbox; production keeps
    /// them pending.
    pub smtp: Option<SmtpUrl>,
    /// `MAIL_FROM`: the sender (`Nombre <dirección>` or an address).
    pub from: String,
}

impl MailSettings {
    /// Reads `SMTP_URL` and `MAIL_FROM`; `default_from` stands in for an
    /// unset `MAIL_FROM`, except in production with `SMTP_URL` set (the
    /// server must accept the sender: a made-up one would be refused).
    pub fn from_vars<F: Fn(&str) -> Option<String>>(
        vars: &Vars<F>,
        environment: Environment,
        default_from: &str,
    ) -> Result<Self, ConfigError> {
        let smtp = vars.get("SMTP_URL").map(|raw| SmtpUrl::parse(&raw)).transpose()?;
        let from = match vars.get("MAIL_FROM") {
            Some(from) => from,
            None if smtp.is_some() && environment.is_production() => {
                return Err(ConfigError::invalid(
                    "MAIL_FROM",
                    "hace falta con SMTP_URL en producción (una dirección que el servidor SMTP acepte como remitente)",
                ));
            }
            None => default_from.to_owned(),
        };
        from.parse::<Mailbox>()
            .map_err(|e| ConfigError::invalid("MAIL_FROM", format!("'{from}' no es una dirección válida: {e}")))?;
        Ok(Self { smtp, from })
    }

    /// The address part of `MAIL_FROM` (the contact form's default).
    pub fn from_address(&self) -> String {
        self.from.parse::<Mailbox>().map(|m| m.email.to_string()).unwrap_or_else(|_| self.from.clone())
    }
}

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// STARTTLS if offered.
    Opportunistic,
    /// STARTTLS or refuse.
    StartTls,
    /// TLS from the first byte (`smtps://`).
    Implicit,
    None,
}

/// A parsed `SMTP_URL` (see the module's documentation).
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpUrl {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    credentials: Option<(String, String)>,
}

impl std::fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The password never reaches a log.
        f.debug_struct("SmtpUrl")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("user", &self.credentials.as_ref().map(|(u, _)| u.as_str()))
            .finish()
    }
}

fn percent_decode(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = raw.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

impl SmtpUrl {
    pub fn parse(raw: &str) -> Result<Self, ConfigError> {
        let bad = |reason: &str| ConfigError::invalid("SMTP_URL", reason.to_owned());
        let (scheme, rest) = raw.split_once("://").ok_or_else(|| bad("se espera smtp://... o smtps://..."))?;
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let rest = rest.trim_end_matches('/');
        let mut tls = match scheme {
            "smtp" => SmtpTls::Opportunistic,
            "smtps" => SmtpTls::Implicit,
            _ => return Err(bad("se espera smtp://... o smtps://...")),
        };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            tls = match (pair, scheme) {
                ("tls=starttls" | "tls=required", "smtp") => SmtpTls::StartTls,
                ("tls=none", "smtp") => SmtpTls::None,
                ("tls=opportunistic", "smtp") => SmtpTls::Opportunistic,
                _ => return Err(bad("parámetros posibles: ?tls=starttls o ?tls=none (sólo con smtp://)")),
            };
        }
        let (userinfo, hostport) = match rest.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, rest),
        };
        let credentials = userinfo
            .map(|u| {
                let (user, pass) = u.split_once(':').unwrap_or((u, ""));
                match (percent_decode(user), percent_decode(pass)) {
                    (Some(user), Some(pass)) if !user.is_empty() => Ok((user, pass)),
                    _ => Err(bad("usuario o contraseña mal escritos (los caracteres especiales van como %XX)")),
                }
            })
            .transpose()?;
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || p.is_empty() => {
                (h, Some(p.parse::<u16>().map_err(|_| bad("el puerto no es un número"))?))
            }
            _ => (hostport, None),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() || host.contains(['/', ' ']) {
            return Err(bad("falta el servidor (smtp://servidor:puerto)"));
        }
        let port = port.unwrap_or(match tls {
            SmtpTls::Implicit => 465,
            SmtpTls::None => 25,
            SmtpTls::Opportunistic | SmtpTls::StartTls => 587,
        });
        Ok(Self { host: host.to_owned(), port, tls, credentials })
    }

    fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
        use lettre::transport::smtp::client::{Tls, TlsParameters};
        let params = || TlsParameters::new(self.host.clone()).map_err(|e| e.to_string());
        let tls = match self.tls {
            SmtpTls::Opportunistic => Tls::Opportunistic(params()?),
            SmtpTls::StartTls => Tls::Required(params()?),
            SmtpTls::Implicit => Tls::Wrapper(params()?),
            SmtpTls::None => Tls::None,
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.host)
            .port(self.port)
            .tls(tls)
            .timeout(Some(SMTP_TIMEOUT));
        if let Some((user, pass)) = &self.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), pass.clone()));
        }
        Ok(builder.build())
    }
}

/// Builds the MIME message of a queued row.
pub fn message(from: &str, correo: &Correo) -> Result<Message, String> {
    let from: Mailbox = from.parse().map_err(|e| format!("MAIL_FROM no válido: {e}"))?;
    let to: Mailbox = correo.para.parse().map_err(|e| format!("destinatario '{}' no válido: {e}", correo.para))?;
    let mut builder = Message::builder().from(from).to(to).subject(correo.asunto.clone());
    if let Some(reply) = &correo.responder_a {
        let reply: Mailbox = reply.parse().map_err(|e| format!("Reply-To '{reply}' no válido: {e}"))?;
        builder = builder.reply_to(reply);
    }
    builder
        .multipart(
            MultiPart::alternative()
                .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(correo.texto.clone()))
                .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(correo.html.clone())),
        )
        .map_err(|e| e.to_string())
}

/// How a service's mail worker delivers.
pub enum MailDelivery {
    /// Real SMTP.
    Smtp { transport: Box<AsyncSmtpTransport<Tokio1Executor>>, from: String },
    /// Development without `SMTP_URL`: marked delivered, kept in the table
    /// for `/dev/correo`.
    DevMailbox,
}

impl MailDelivery {
    /// The delivery for these settings, or `None` when mails must stay
    /// pending (production without `SMTP_URL`).
    pub fn for_settings(settings: &MailSettings, environment: Environment) -> Result<Option<Self>, String> {
        match &settings.smtp {
            Some(url) => {
                Ok(Some(MailDelivery::Smtp { transport: Box::new(url.transport()?), from: settings.from.clone() }))
            }
            None if environment.is_production() => Ok(None),
            None => Ok(Some(MailDelivery::DevMailbox)),
        }
    }
}

/// Transient (4xx, connection refused, timeouts, TLS trouble, a server
/// going away) → retry; a permanent (5xx) answer → parked.
fn classify(error: &lettre::transport::smtp::Error) -> Failure {
    let text = format!("SMTP: {error}");
    if error.is_permanent() { Failure::Permanent(text) } else { Failure::Retry(text) }
}

impl Delivery for MailDelivery {
    type Receipt = ();

    async fn deliver(&self, row: &OutboxRow) -> Result<(), Failure> {
        let correo: Correo = serde_json::from_str(&row.payload)
            .map_err(|e| Failure::Permanent(format!("correo ilegible en la cola: {e}")))?;
        match self {
            MailDelivery::DevMailbox => {
                tracing::info!(para = %correo.para, asunto = %correo.asunto, "correo guardado en /dev/correo (sin SMTP_URL)");
                Ok(())
            }
            MailDelivery::Smtp { transport, from } => {
                let message = message(from, &correo).map_err(Failure::Permanent)?;
                match tokio::time::timeout(SMTP_TIMEOUT + Duration::from_secs(2), transport.send(message)).await {
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err(error)) => Err(classify(&error)),
                    Err(_) => Err(Failure::Retry("SMTP: sin respuesta a tiempo".into())),
                }
            }
        }
    }
}

/// Most mails in flight at once (one SMTP connection each).
pub const MAIL_IN_FLIGHT: usize = 8;
/// How long a claimed mail stays claimed: longer than one SMTP attempt.
pub const MAIL_LEASE: Duration = Duration::from_secs(60);

/// A service's mail worker: the platform's outbox [`Worker`](crate::outbox::Worker)
/// over its `correos` table, delivering through SMTP or into the dev
/// mailbox, running until `stop`. Production without `SMTP_URL` starts
/// none (mails stay pending) and says so loudly. Returns the worker's
/// waker (a default one, that wakes nothing, when none runs).
pub fn spawn_worker(
    outbox: crate::outbox::Outbox,
    settings: &MailSettings,
    environment: Environment,
    service: &'static str,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Result<(crate::outbox::Waker, Option<tokio::task::JoinHandle<()>>), String> {
    let Some(delivery) = MailDelivery::for_settings(settings, environment)? else {
        tracing::error!(
            "⚠️  SMTP_URL no está configurada en producción: los correos (confirmaciones, avisos, cambios de \
             contraseña) quedan PENDIENTES en la tabla correos y salen cuando se configure SMTP_URL y se reinicie."
        );
        return Ok((crate::outbox::Waker::default(), None));
    };
    match &settings.smtp {
        Some(url) => tracing::info!(host = %url.host, port = url.port, tls = ?url.tls, "correo por SMTP"),
        None => tracing::warn!("SMTP_URL no está configurada: los correos quedan en /dev/correo (sólo desarrollo)."),
    }
    let config = crate::outbox::Config { service, lease: MAIL_LEASE, max_in_flight: MAIL_IN_FLIGHT };
    let worker = crate::outbox::Worker::new(outbox, delivery, config);
    let waker = worker.waker();
    Ok((waker, Some(tokio::spawn(worker.run(stop)))))
}

/// A kept mail, for `/dev/correo` and the back office.
#[derive(Debug, Clone)]
pub struct Kept {
    pub id: i64,
    pub status: String,
    pub created_at: Ts,
    pub correo: Correo,
}

/// The newest `limit` mails of `table`, any status.
pub async fn kept(db: &Db, table: Table, limit: i64) -> Result<Vec<Kept>, StoreError> {
    let rows: Vec<(i64, String, String, Ts)> = Sql::build(&format!(
        "SELECT id, CAST(payload AS TEXT), status, created_at FROM {} ORDER BY id DESC LIMIT $1",
        table.name
    ))
    .bind(limit)
    .fetch_all(db.read())
    .await?;
    rows.into_iter()
        .map(|(id, payload, status, created_at)| {
            let correo = serde_json::from_str(&payload).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            Ok(Kept { id, status, created_at, correo })
        })
        .collect()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The development mailbox page (`/dev/correo`): every kept mail, newest
/// first, its text part and its HTML part (in a sandboxed frame).
pub fn dev_page(service: &str, mails: &[Kept]) -> String {
    let mut out = format!(
        "<!doctype html><html lang=\"es\"><head><meta charset=\"utf-8\"><title>Correo de desarrollo · {s}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem}}\
         article{{border:1px solid #ccc;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}}\
         pre{{white-space:pre-wrap;background:#f6f6f6;padding:.5rem}}iframe{{width:100%;height:24rem;border:1px solid #ddd}}</style>\
         </head><body><h1>Correo de desarrollo · {s}</h1>\
         <p>Sin <code>SMTP_URL</code>, los correos quedan acá en vez de salir. En producción esta página no existe.</p>",
        s = escape(service)
    );
    if mails.is_empty() {
        out.push_str("<p id=\"sin-correos\">Todavía no hay correos.</p>");
    }
    for m in mails {
        let c = &m.correo;
        out.push_str(&format!(
            "<article class=\"correo\" id=\"correo-{id}\"><p><strong>Para:</strong> <span class=\"para\">{para}</span> · \
             <strong>Asunto:</strong> <span class=\"asunto\">{asunto}</span> · {fecha} · {status}</p>\
             <pre class=\"texto\">{texto}</pre><details><summary>HTML</summary>\
             <iframe sandbox srcdoc=\"{html}\"></iframe></details></article>",
            id = m.id,
            para = escape(&c.para),
            asunto = escape(&c.asunto),
            fecha = escape(&m.created_at.text()),
            status = escape(&m.status),
            texto = escape(&c.texto),
            html = escape(&c.html),
        ));
    }
    out.push_str("</body></html>");
    out
}

/// Escapes text for the HTML part of a mail.
pub fn html_escape(s: &str) -> String {
    escape(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls() {
        let u = SmtpUrl::parse("smtp://127.0.0.1:2525").unwrap();
        assert_eq!((u.host.as_str(), u.port, u.tls), ("127.0.0.1", 2525, SmtpTls::Opportunistic));
        assert!(u.credentials.is_none());
        let u = SmtpUrl::parse("smtp://ana%40x.com:p%3Ass@mail.x.com?tls=starttls").unwrap();
        assert_eq!((u.host.as_str(), u.port, u.tls), ("mail.x.com", 587, SmtpTls::StartTls));
        assert_eq!(u.credentials, Some(("ana@x.com".into(), "p:ss".into())));
        assert!(!format!("{u:?}").contains("p:ss"));
        let u = SmtpUrl::parse("smtps://u:p@mail.x.com").unwrap();
        assert_eq!((u.port, u.tls), (465, SmtpTls::Implicit));
        assert_eq!(SmtpUrl::parse("smtp://relay?tls=none").unwrap().port, 25);
        for bad in ["mail.x.com", "http://x", "smtp://", "smtp://x:abc", "smtp://x?tls=maybe", "smtps://x?tls=none"] {
            assert!(SmtpUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn messages_are_multipart_alternative() {
        let c = Correo {
            para: "ana@example.com".into(),
            asunto: "Tu pedido está en camino".into(),
            texto: "Hola".into(),
            html: "<p>Hola</p>".into(),
            responder_a: Some("juan@example.com".into()),
        };
        let m = String::from_utf8(message("Belgrano <no-responder@belgrano.local>", &c).unwrap().formatted()).unwrap();
        assert!(m.contains("multipart/alternative") && m.contains("text/plain") && m.contains("text/html"), "{m}");
        assert!(m.contains("Reply-To: juan@example.com"), "{m}");
        assert!(message("x", &c).is_err());
        assert!(message("a@b.c", &Correo { para: "nadie".into(), ..c }).is_err());
    }
}
