//! A message from the contact form: what the visitor typed, validated
//! ([`MensajeContacto::parse`], each refusal naming its field), and a kept
//! message as the back office lists it ([`Contacto`]).

use belgrano_contract::{Email, FieldError};
use chrono::{DateTime, Utc};

use super::hora;

/// Longest name.
pub const MAX_NOMBRE: usize = 100;
/// Longest message.
pub const MAX_MENSAJE: usize = 5000;

/// A contact message, validated: name, a valid e-mail to answer to, text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MensajeContacto {
    pub nombre: String,
    pub email: String,
    pub mensaje: String,
}

impl MensajeContacto {
    /// The form's fields, trimmed; the first wrong one is named
    /// (`nombre`, `email`, `mensaje`).
    pub fn parse(nombre: &str, email: &str, mensaje: &str) -> Result<Self, FieldError> {
        let nombre = nombre.trim();
        if nombre.is_empty() || nombre.chars().count() > MAX_NOMBRE {
            return Err(FieldError::new("nombre", format!("Escribí tu nombre (hasta {MAX_NOMBRE} caracteres)")));
        }
        let email = Email::parse(email.trim())
            .map_err(|_| FieldError::new("email", "Escribí un email válido, para poder responderte"))?;
        let mensaje = mensaje.trim();
        if mensaje.is_empty() || mensaje.chars().count() > MAX_MENSAJE {
            return Err(FieldError::new("mensaje", format!("Escribí tu mensaje (hasta {MAX_MENSAJE} caracteres)")));
        }
        Ok(Self { nombre: nombre.to_owned(), email: email.as_str().to_owned(), mensaje: mensaje.to_owned() })
    }
}

/// A kept message, for `/admin/mensajes`.
#[derive(Debug, Clone)]
pub struct Contacto {
    pub id: i64,
    pub nombre: String,
    pub email: String,
    pub mensaje: String,
    /// The account it was sent from, when logged in.
    pub usuario_id: Option<i64>,
    pub creado: DateTime<Utc>,
    /// When staff marked it answered, and who.
    pub respondido: Option<(DateTime<Utc>, String)>,
}

impl Contacto {
    /// `dd/mm/aaaa hh:mm`, Buenos Aires time.
    pub fn creado_local(&self) -> String {
        hora::local(self.creado)
    }

    /// "respondido el 02/12/2026 18:00 por Ana", or empty.
    pub fn respondido_texto(&self) -> String {
        self.respondido
            .as_ref()
            .map(|(at, quien)| format!("respondido el {} por {quien}", hora::local(*at)))
            .unwrap_or_default()
    }

    /// A `mailto:` link answering it ("Re: tu consulta a Belgrano Ahorro").
    pub fn responder_url(&self) -> String {
        format!("mailto:{}?subject=Re%3A%20tu%20consulta%20a%20Belgrano%20Ahorro", self.email)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_field_is_checked_and_named() {
        let ok = MensajeContacto::parse(" Ana ", "ana@example.com ", " Hola ").unwrap();
        assert_eq!((ok.nombre.as_str(), ok.email.as_str(), ok.mensaje.as_str()), ("Ana", "ana@example.com", "Hola"));
        assert_eq!(MensajeContacto::parse(" ", "ana@example.com", "Hola").unwrap_err().field, "nombre");
        assert_eq!(MensajeContacto::parse(&"a".repeat(101), "ana@example.com", "Hola").unwrap_err().field, "nombre");
        assert_eq!(MensajeContacto::parse("Ana", "no-es-email", "Hola").unwrap_err().field, "email");
        assert_eq!(MensajeContacto::parse("Ana", "ana@example.com", "  ").unwrap_err().field, "mensaje");
        assert_eq!(MensajeContacto::parse("Ana", "ana@example.com", &"x".repeat(5001)).unwrap_err().field, "mensaje");
    }
}
