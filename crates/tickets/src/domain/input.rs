//! Account data as people type it, parsed once into validated values. The
//! error texts are shown on the forms as they are.

use belgrano_contract::validation::{Email, EmailError, check_text};

/// An e-mail address as people type it: the one rule of the contract, in
/// this desk's words.
pub fn parse_email(raw: &str) -> Result<Email, &'static str> {
    Email::parse(raw).map_err(|e| match e {
        EmailError::Malformed => "Ingrese un email válido (por ejemplo nombre@dominio.com).",
        EmailError::TooLong => "El email es demasiado largo.",
    })
}

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest: hashing cost grows with length, so it is capped.
pub const MAX_PASSWORD_CHARS: usize = 128;

/// A password someone chose (new accounts, password changes).
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let chars = raw.chars().count();
        if chars < MIN_PASSWORD_CHARS {
            return Err("La contraseña debe tener al menos 8 caracteres.");
        }
        if chars > MAX_PASSWORD_CHARS {
            return Err("La contraseña no puede superar los 128 caracteres.");
        }
        if raw.trim().is_empty() {
            return Err("La contraseña no puede ser sólo espacios.");
        }
        Ok(NewPassword(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

/// A person's name: 1 to 100 characters.
pub fn parse_nombre(raw: &str) -> Result<String, &'static str> {
    let nombre = raw.trim();
    if nombre.is_empty() {
        return Err("Ingrese el nombre.");
    }
    if nombre.chars().count() > 100 {
        return Err("El nombre no puede superar los 100 caracteres.");
    }
    if check_text("nombre", nombre).is_err() {
        return Err("El nombre tiene caracteres no permitidos.");
    }
    Ok(nombre.to_owned())
}

/// An optional phone number: digits, spaces and `+ - ( )`.
pub fn parse_telefono(raw: &str) -> Result<Option<String>, &'static str> {
    let telefono = raw.trim();
    if telefono.is_empty() {
        return Ok(None);
    }
    if telefono.len() > 30 || !telefono.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c)) {
        return Err("El teléfono sólo puede tener números, espacios y + - ( ).");
    }
    Ok(Some(telefono.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(parse_email("  Ana@Belgrano.Local ").unwrap().as_str(), "ana@belgrano.local");
        for bad in ["", "ana", "@x", "ana@", "a b@c", "a@b@c"] {
            assert!(parse_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_need_eight_characters() {
        assert!(NewPassword::parse("1234567").is_err());
        assert!(NewPassword::parse("        ").is_err());
        assert!(NewPassword::parse("ñandú-12").is_ok());
        assert_eq!(format!("{:?}", NewPassword::parse("secreto-largo").unwrap()), "NewPassword(***)");
    }

    #[test]
    fn phones_and_names() {
        assert_eq!(parse_telefono(" 11-5555-0001 ").unwrap().as_deref(), Some("11-5555-0001"));
        assert_eq!(parse_telefono("").unwrap(), None);
        assert!(parse_telefono("llamame").is_err());
        assert!(parse_nombre("  ").is_err());
        assert_eq!(parse_nombre(" Ana ").unwrap(), "Ana");
    }
}
