//! Customer and merchant accounts: validated registration data, Argon2id
//! password hashes (computed off the async threads), the CUIT check digit.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use belgrano_shared::{FieldError, TipoCliente};

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

#[derive(Debug, Clone)]
pub struct NuevoUsuario {
    pub email: String,
    pub password_hash: String,
    pub perfil: Perfil,
    pub comercio: Option<Comercio>,
}

pub const MIN_PASSWORD: usize = 8;

pub fn text(field: &str, value: &str, required: bool, max: usize) -> Result<String, FieldError> {
    let value = value.trim();
    if required && value.is_empty() {
        return Err(FieldError::new(field, "es obligatorio"));
    }
    if value.chars().count() > max {
        return Err(FieldError::new(field, format!("no puede superar {max} caracteres")));
    }
    Ok(value.to_owned())
}

pub fn email(value: &str) -> Result<String, FieldError> {
    let value = text("email", value, true, 254)?.to_lowercase();
    match value.split_once('@') {
        Some((user, domain)) if !user.is_empty() && domain.contains('.') && !value.contains(char::is_whitespace) => {
            Ok(value)
        }
        _ => Err(FieldError::new("email", "no es un email válido")),
    }
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

/// Argon2id with the OWASP parameters (19 MiB, 2 passes, 1 lane), on a
/// blocking thread: hashing takes tens of milliseconds.
pub async fn hash_password(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
    })
    .await?
}

pub async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
    .unwrap_or(false)
}

/// A hash to verify against when the email is unknown, so a wrong email
/// takes as long as a wrong password.
pub async fn dummy_hash() -> String {
    static DUMMY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DUMMY
        .get_or_init(|| async { hash_password("contraseña-inexistente".into()).await.unwrap_or_default() })
        .await
        .clone()
}

/// Failed logins per email before that email is locked for a while.
pub const MAX_FAILED_LOGINS: u32 = 5;
/// How long failures are remembered, and the lock lasts.
pub const LOGIN_WINDOW: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// Slows password guessing: after [`MAX_FAILED_LOGINS`] failures for one
/// email within [`LOGIN_WINDOW`], further attempts for it are refused until
/// the window passes. Kept in memory (per instance): enough to stop a
/// script, nothing to store.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    failures: std::sync::Mutex<std::collections::HashMap<String, (u32, std::time::Instant)>>,
}

impl LoginThrottle {
    pub fn is_locked(&self, email: &str) -> bool {
        let mut failures = self.failures.lock().expect("lock");
        match failures.get(email) {
            Some((_, since)) if since.elapsed() > LOGIN_WINDOW => {
                failures.remove(email);
                false
            }
            Some((count, _)) => *count >= MAX_FAILED_LOGINS,
            None => false,
        }
    }

    pub fn failed(&self, email: &str) {
        let mut failures = self.failures.lock().expect("lock");
        // Forget old entries so the map cannot grow without bound.
        if failures.len() > 100_000 {
            failures.retain(|_, (_, since)| since.elapsed() <= LOGIN_WINDOW);
        }
        let entry = failures.entry(email.to_owned()).or_insert((0, std::time::Instant::now()));
        entry.0 += 1;
    }

    pub fn succeeded(&self, email: &str) {
        self.failures.lock().expect("lock").remove(email);
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

    #[test]
    fn locks_an_email_after_repeated_failures() {
        let t = LoginThrottle::default();
        for _ in 0..MAX_FAILED_LOGINS {
            assert!(!t.is_locked("a@b.c"));
            t.failed("a@b.c");
        }
        assert!(t.is_locked("a@b.c"));
        assert!(!t.is_locked("otro@b.c"));
        t.succeeded("a@b.c");
        assert!(!t.is_locked("a@b.c"));
    }

    #[tokio::test]
    async fn hashes_and_verifies() {
        let hash = hash_password("secreto123".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("secreto123".into(), hash.clone()).await);
        assert!(!verify_password("otro".into(), hash).await);
    }
}
