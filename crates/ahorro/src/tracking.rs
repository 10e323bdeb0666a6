//! Tracking links and live order status for customers.
//!
//! A link is `/seguimiento/{numero}.{mac}` where `mac` is the first 128
//! bits of `HMAC-SHA256(SECRET_KEY, "seguimiento:v1:" + numero)`, in hex.
//! Nothing is stored: a leaked database reveals no live link, any instance
//! can verify a link, and old orders have links too. Verification checks
//! the MAC in constant time before touching the database, so a tampered
//! link cannot tell whether its order exists. Rotating `SECRET_KEY`
//! invalidates every link (as it does every CSRF value).
//!
//! Live updates: [`Novedades`] is a broadcast of order numbers whose ticket
//! changed on this instance; tracking streams re-read the order from the
//! database when told, and also every few seconds, so a change received
//! by another instance reaches them too.

use belgrano_shared::Estado;
use belgrano_shared::ticket::{Numero, iso8601};
use serde::Serialize;
use tokio::sync::{broadcast, watch};

use crate::session::{ct_eq, hmac_sha256};
use crate::store::Seguimiento;

/// Bytes of the MAC kept in a link (128 bits).
const MAC_BYTES: usize = 16;

fn mac(secret: &[u8], numero: &str) -> String {
    let full = hmac_sha256(secret, format!("seguimiento:v1:{numero}").as_bytes());
    hex::encode(&full[..MAC_BYTES])
}

/// The token of an order's tracking link.
pub fn token(secret: &[u8], numero: &str) -> String {
    format!("{numero}.{}", mac(secret, numero))
}

/// The link's path (pages use it as is; the API makes it absolute).
pub fn path(secret: &[u8], numero: &str) -> String {
    format!("/seguimiento/{}", token(secret, numero))
}

/// The order number a token stands for, if the token is genuine.
pub fn verify(secret: &[u8], token: &str) -> Option<String> {
    let (numero, presented) = token.rsplit_once('.')?;
    let numero = Numero::parse(numero).ok()?;
    if numero.as_str() != token.rsplit_once('.')?.0 {
        return None; // Numero::parse trims; a token has no spaces.
    }
    ct_eq(mac(secret, numero.as_str()).as_bytes(), presented.as_bytes()).then(|| numero.to_string())
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

/// The order's progress as pages, streams and the JSON answer show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EstadoPedido {
    pub numero: String,
    /// The ticket's state; `pendiente` until Tickets confirmed it.
    pub estado: String,
    pub estado_label: String,
    pub ticket_id: Option<i64>,
    pub repartidor: Option<String>,
    pub version: i64,
    pub actualizado: String,
    pub actualizado_local: String,
    pub fecha: String,
    pub fecha_local: String,
    pub fecha_en_camino: Option<String>,
    pub en_camino_local: Option<String>,
    pub fecha_entrega: Option<String>,
    pub entrega_local: Option<String>,
    pub motivo_cancelacion: Option<String>,
}

/// Buenos Aires time (UTC−3, no daylight saving), as the shop shows dates.
pub fn local(at: chrono::DateTime<chrono::Utc>) -> String {
    let offset = chrono::FixedOffset::west_opt(3 * 3600).expect("valid offset");
    at.with_timezone(&offset).format("%d/%m/%Y %H:%M").to_string()
}

impl From<&Seguimiento> for EstadoPedido {
    fn from(s: &Seguimiento) -> Self {
        let estado = s.ticket_estado.clone().unwrap_or_else(|| Estado::Pendiente.as_str().to_owned());
        let estado_label = estado.parse::<Estado>().map(|e| e.label().to_owned()).unwrap_or_else(|_| estado.clone());
        Self {
            numero: s.numero.clone(),
            estado,
            estado_label,
            ticket_id: s.ticket_id,
            repartidor: s.repartidor.clone(),
            version: s.ticket_version,
            actualizado: iso8601(s.fecha_actualizacion.0),
            actualizado_local: local(s.fecha_actualizacion.0),
            fecha: iso8601(s.fecha.0),
            fecha_local: local(s.fecha.0),
            fecha_en_camino: s.fecha_en_camino.map(|t| iso8601(t.0)),
            en_camino_local: s.fecha_en_camino.map(|t| local(t.0)),
            fecha_entrega: s.fecha_entrega.map(|t| iso8601(t.0)),
            entrega_local: s.fecha_entrega.map(|t| local(t.0)),
            motivo_cancelacion: s.motivo_cancelacion.clone(),
        }
    }
}

/// One step of `pendiente → en preparación → en camino → entregado`.
#[derive(Debug, Clone)]
pub struct Paso {
    pub estado: &'static str,
    pub label: &'static str,
    /// `hecho`, `actual` or `pendiente` (a CSS class too).
    pub clase: &'static str,
    pub fecha: String,
}

const PASOS: [Estado; 4] = [Estado::Pendiente, Estado::EnPreparacion, Estado::EnCamino, Estado::Entregado];

impl EstadoPedido {
    pub fn cancelado(&self) -> bool {
        self.estado == Estado::Cancelado.as_str()
    }

    /// The four steps with where the order is; all `pendiente` if cancelled.
    pub fn pasos(&self) -> Vec<Paso> {
        let actual = PASOS.iter().position(|e| e.as_str() == self.estado);
        PASOS
            .iter()
            .enumerate()
            .map(|(i, e)| Paso {
                estado: e.as_str(),
                label: e.label(),
                clase: match actual {
                    Some(a) if i < a => "hecho",
                    Some(a) if i == a => "actual",
                    _ => "pendiente",
                },
                fecha: match e {
                    Estado::Pendiente => Some(self.fecha_local.clone()),
                    Estado::EnCamino => self.en_camino_local.clone(),
                    Estado::Entregado => self.entrega_local.clone(),
                    _ => None,
                }
                .unwrap_or_default(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
