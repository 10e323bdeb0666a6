//! Validation shared by every surface: the field error APIs answer, and the
//! one rule for e-mail addresses (accounts in both services, the intake's
//! `cliente_email`). Each surface words its own message; the rule is here.

use serde::Serialize;

/// One field that failed validation. APIs answer it as
/// `{"error": "...", "campo": "...", "detalle": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// Whether `value` may be stored and shown: no NUL and no other control
/// character but tab and line breaks. PostgreSQL refuses NUL in text (so a
/// NUL that passed validation would fail later, as an outage, and be
/// retried forever); the others break pages, logs and CSV exports.
pub fn check_text(field: &str, value: &str) -> Result<(), FieldError> {
    if value.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) {
        Err(FieldError::new(field, "contiene caracteres de control no permitidos"))
    } else {
        Ok(())
    }
}

/// Longest e-mail address accepted (RFC 5321's path limit).
pub const EMAIL_MAX_LEN: usize = 254;

/// Why an e-mail address was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailError {
    /// Not of the form `nombre@dominio.com`.
    Malformed,
    /// Longer than [`EMAIL_MAX_LEN`].
    TooLong,
}

/// Whether `raw` (already trimmed) looks like a deliverable address: one
/// `@`, something before it, a dotted domain after it, no spaces or control
/// characters. Deliberately not RFC 5322: the aim is to catch typos, not to
/// accept every legal oddity.
pub fn check_email(raw: &str) -> Result<(), EmailError> {
    if raw.len() > EMAIL_MAX_LEN {
        return Err(EmailError::TooLong);
    }
    let Some((local, domain)) = raw.split_once('@') else { return Err(EmailError::Malformed) };
    let well_formed = !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !raw.chars().any(|c| c.is_whitespace() || c.is_control());
    if well_formed { Ok(()) } else { Err(EmailError::Malformed) }
}

/// An e-mail address for an account: trimmed, lower-cased, checked with
/// [`check_email`]. Accounts are found by it, so `Ana@X.com` and
/// `ana@x.com` are one account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let email = raw.trim().to_lowercase();
        check_email(&email)?;
        Ok(Email(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_refuses_nul_and_control_characters() {
        assert!(check_text("x", "Timbre 3B\nPortería\tsur").is_ok());
        for bad in ["a\u{0}b", "\u{7}", "a\u{1b}[31m", "\u{85}"] {
            assert_eq!(check_text("x", bad).unwrap_err().field, "x", "{bad:?}");
        }
    }

    #[test]
    fn one_rule_for_every_address() {
        assert_eq!(Email::parse("  Ana@Belgrano.Local ").unwrap().as_str(), "ana@belgrano.local");
        for bad in [
            "",
            "ana",
            "@x.com",
            "ana@",
            "a b@c.com",
            "a@b@c.com",
            "ana@localhost",
            "ana@.com",
            "ana@x.",
            "a\u{0}@x.com",
        ] {
            assert_eq!(Email::parse(bad), Err(EmailError::Malformed), "{bad:?}");
        }
        let long = format!("{}@x.com", "a".repeat(EMAIL_MAX_LEN));
        assert_eq!(Email::parse(&long), Err(EmailError::TooLong));
    }
}
