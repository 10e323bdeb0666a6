//! Customer and merchant accounts (usuarios): the account as pages see it,
//! and the validation of what a person types (profile, registration, new
//! passwords, the CUIT check digit). Hashing and sessions are the
//! platform's, in [`crate::accounts`].

use belgrano_contract::validation::{EMAIL_MAX_LEN, check_text};
use belgrano_contract::{Email, FieldError, TipoCliente};

/// An account as the pages see it (never its hash).
#[derive(Debug, Clone)]
pub struct Usuario {
    pub id: i64,
    pub email: String,
    pub nombre: String,
    pub apellido: String,
    pub telefono: String,
    pub direccion: String,
    pub tipo_cliente: TipoCliente,
    pub nombre_negocio: Option<String>,
    pub cuit: Option<String>,
    pub tipo_negocio: Option<String>,
}

impl Usuario {
    pub fn nombre_completo(&self) -> String {
        format!("{} {}", self.nombre, self.apellido).trim().to_owned()
    }
    pub fn es_comerciante(&self) -> bool {
        self.tipo_cliente == TipoCliente::Comerciante
    }
}

/// Profile data, validated.
#[derive(Debug, Clone)]
pub struct Perfil {
    pub nombre: String,
    pub apellido: String,
    pub telefono: String,
    pub direccion: String,
}

/// Merchant data, validated.
#[derive(Debug, Clone)]
pub struct Comercio {
    pub nombre_negocio: String,
    pub cuit: String,
    pub tipo_negocio: String,
}

/// An account to create: validated data and the password's hash.
#[derive(Debug, Clone)]
pub struct NuevoUsuario {
    pub email: Email,
    pub password_hash: String,
    pub perfil: Perfil,
    pub comercio: Option<Comercio>,
}

impl NuevoUsuario {
    pub fn tipo_cliente(&self) -> TipoCliente {
        if self.comercio.is_some() { TipoCliente::Comerciante } else { TipoCliente::Cliente }
    }
}

pub const MIN_PASSWORD: usize = 8;

/// A trimmed text field: required or not, at most `max` characters.
pub fn text(field: &str, value: &str, required: bool, max: usize) -> Result<String, FieldError> {
    let value = value.trim();
    if required && value.is_empty() {
        return Err(FieldError::new(field, "es obligatorio"));
    }
    if value.chars().count() > max {
        return Err(FieldError::new(field, format!("no puede superar {max} caracteres")));
    }
    check_text(field, value)?;
    Ok(value.to_owned())
}

/// A required e-mail address under `field` (`email`, `cliente.email`):
/// the contract's one rule ([`Email::parse`]: trimmed, lower-cased, a
/// dotted domain), in Ahorro's words.
pub fn email(field: &str, value: &str) -> Result<Email, FieldError> {
    let value = text(field, value, true, EMAIL_MAX_LEN)?;
    Email::parse(&value).map_err(|_| FieldError::new(field, "no es un email válido"))
}

pub fn perfil(nombre: &str, apellido: &str, telefono: &str, direccion: &str) -> Result<Perfil, FieldError> {
    Ok(Perfil {
        nombre: text("nombre", nombre, true, 100)?,
        apellido: text("apellido", apellido, true, 100)?,
        telefono: text("telefono", telefono, false, 50)?,
        direccion: text("direccion", direccion, false, 300)?,
    })
}

pub fn new_password(password: &str, confirmacion: &str) -> Result<String, FieldError> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(FieldError::new("password", format!("debe tener al menos {MIN_PASSWORD} caracteres")));
    }
    if password.len() > 1024 {
        return Err(FieldError::new("password", "es demasiado larga"));
    }
    if password != confirmacion {
        return Err(FieldError::new("confirmar_password", "las contraseñas no coinciden"));
    }
    Ok(password.to_owned())
}

/// A CUIT: 11 digits (dashes allowed) whose last digit is the modulo-11
/// check digit of the first ten. Returned as `XX-XXXXXXXX-X`.
pub fn cuit(value: &str) -> Result<String, FieldError> {
    let digits: Vec<u32> =
        value.chars().filter(|c| !matches!(c, '-' | ' ' | '.')).map(|c| c.to_digit(10).unwrap_or(99)).collect();
    if digits.len() != 11 || digits.iter().any(|d| *d > 9) {
        return Err(FieldError::new("cuit", "debe tener 11 dígitos (por ejemplo 20-12345678-6)"));
    }
    const WEIGHTS: [u32; 10] = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
    let sum: u32 = digits.iter().zip(WEIGHTS).map(|(d, w)| d * w).sum();
    let expected = match 11 - sum % 11 {
        11 => 0,
        10 => 9,
        n => n,
    };
    if digits[10] != expected {
        return Err(FieldError::new("cuit", "el dígito verificador no es válido"));
    }
    let s: String = digits.iter().map(|d| char::from_digit(*d, 10).unwrap_or('0')).collect();
    Ok(format!("{}-{}-{}", &s[..2], &s[2..10], &s[10..]))
}

/// The registration form as typed.
#[derive(Debug, Clone, Copy)]
pub struct RegistroInput<'a> {
    pub nombre: &'a str,
    pub apellido: &'a str,
    pub email: &'a str,
    pub password: &'a str,
    pub confirmar_password: &'a str,
    pub telefono: &'a str,
    pub direccion: &'a str,
    /// `si` for a merchant.
    pub comerciante: &'a str,
    pub nombre_negocio: &'a str,
    pub cuit: &'a str,
    pub tipo_negocio: &'a str,
    /// `si` once the terms are accepted.
    pub terminos: &'a str,
}

/// A validated registration (the password still in clear, to be hashed).
#[derive(Debug, Clone)]
pub struct Registro {
    pub email: Email,
    pub perfil: Perfil,
    pub comercio: Option<Comercio>,
    pub password: String,
}

impl Registro {
    /// Checks the fields in the form's order and names the first at fault.
    pub fn parse(f: RegistroInput<'_>) -> Result<Self, FieldError> {
        let perfil = perfil(f.nombre, f.apellido, f.telefono, f.direccion)?;
        let email = email("email", f.email)?;
        let password = new_password(f.password, f.confirmar_password)?;
        let comercio = if f.comerciante == "si" {
            Some(Comercio {
                nombre_negocio: text("nombre_negocio", f.nombre_negocio, true, 200)?,
                cuit: cuit(f.cuit)?,
                tipo_negocio: text("tipo_negocio", f.tipo_negocio, true, 100)?,
            })
        } else {
            None
        };
        if f.terminos != "si" {
            return Err(FieldError::new("terminos", "debe aceptar los términos y condiciones"));
        }
        Ok(Self { email, perfil, comercio, password })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_the_cuit_digit() {
        assert_eq!(cuit("20-12345678-6").unwrap(), "20-12345678-6");
        assert_eq!(cuit("20123456786").unwrap(), "20-12345678-6");
        assert_eq!(cuit("30-71234567-1").unwrap(), "30-71234567-1");
        assert_eq!(cuit("30-71234567-2").unwrap_err().field, "cuit");
        assert!(cuit("20-12345678-5").is_err());
        assert!(cuit("20-1234567").is_err());
        assert!(cuit("2a-12345678-6").is_err());
    }
}
