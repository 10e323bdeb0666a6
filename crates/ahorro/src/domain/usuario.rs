//! Accounts (usuarios): customers, merchants and the shop's staff. The
//! account as pages see it, its role ([`Rol`]: who may open the back
//! office), and the validation of what a person types (profile,
//! registration, new passwords, the CUIT check digit, a new staff
//! account). Hashing and sessions are the platform's, in
//! [`crate::accounts`].

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
    pub rol: Rol,
    /// False once deactivated by an admin: it cannot log in.
    pub activo: bool,
}

/// What an account may do. Customers and merchants are `Cliente`; the
/// back office (`/admin`) is for `Encargado` (catalogue, stock, orders)
/// and `Admin` (everything, staff management too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Rol {
    Cliente,
    Encargado,
    Admin,
}

impl Rol {
    pub const ALL: [Rol; 3] = [Rol::Cliente, Rol::Encargado, Rol::Admin];
    /// The roles a staff account can have.
    pub const STAFF: [Rol; 2] = [Rol::Encargado, Rol::Admin];

    pub const fn as_str(self) -> &'static str {
        match self {
            Rol::Cliente => "cliente",
            Rol::Encargado => "encargado",
            Rol::Admin => "admin",
        }
    }

    /// May open the back office.
    pub fn is_staff(self) -> bool {
        matches!(self, Rol::Encargado | Rol::Admin)
    }

    /// A staff role as a person chose it (`rol` field): `encargado` or
    /// `admin`.
    pub fn parse_staff(field: &str, value: &str) -> Result<Rol, FieldError> {
        match value.trim().parse::<Rol>() {
            Ok(rol) if rol.is_staff() => Ok(rol),
            _ => Err(FieldError::new(field, "debe ser encargado o admin")),
        }
    }

    /// For pages: "Administrador", "Encargado", "Cliente".
    pub fn label(self) -> &'static str {
        match self {
            Rol::Cliente => "Cliente",
            Rol::Encargado => "Encargado",
            Rol::Admin => "Administrador",
        }
    }
}

impl std::fmt::Display for Rol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Rol {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Rol::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| format!("rol desconocido: {s}"))
    }
}

impl Usuario {
    pub fn nombre_completo(&self) -> String {
        format!("{} {}", self.nombre, self.apellido).trim().to_owned()
    }
    pub fn es_comerciante(&self) -> bool {
        self.tipo_cliente == TipoCliente::Comerciante
    }
    /// An active staff account (may open `/admin`).
    pub fn es_staff(&self) -> bool {
        self.activo && self.rol.is_staff()
    }
    pub fn es_admin(&self) -> bool {
        self.activo && self.rol == Rol::Admin
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
    Email::parse(&value).map_err(|_| FieldError::new(field, "no es válido (por ejemplo nombre@dominio.com)"))
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
        return Err(FieldError::new("cuit", "no es válido: revisá el último dígito (el verificador)"));
    }
    let s: String = digits.iter().map(|d| char::from_digit(*d, 10).unwrap_or('0')).collect();
    Ok(format!("{}-{}-{}", &s[..2], &s[2..10], &s[10..]))
}

/// A staff account to create, validated (the password still in clear).
#[derive(Debug, Clone)]
pub struct NuevoStaff {
    pub email: Email,
    pub nombre: String,
    pub rol: Rol,
    pub password: String,
}

impl NuevoStaff {
    /// The staff form (or JSON body) as typed; names the first field at fault.
    pub fn parse(email: &str, nombre: &str, rol: &str, password: &str) -> Result<Self, FieldError> {
        Ok(Self {
            email: self::email("email", email)?,
            nombre: text("nombre", nombre, true, 100)?,
            rol: Rol::parse_staff("rol", rol)?,
            password: new_password(password, password)?,
        })
    }
}

/// What an admin changes on a staff account: any of its role, whether it
/// is active, its password (then hashed).
#[derive(Debug, Clone, Default)]
pub struct CambioStaff<P = String> {
    pub rol: Option<Rol>,
    pub activo: Option<bool>,
    pub password: Option<P>,
}

impl<P> CambioStaff<P> {
    /// Whether the account's sessions must end: deactivated, or a new
    /// password (whoever knew the old one is out).
    pub fn ends_sessions(&self) -> bool {
        self.activo == Some(false) || self.password.is_some()
    }

    pub fn is_empty(&self) -> bool {
        self.rol.is_none() && self.activo.is_none() && self.password.is_none()
    }
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
            return Err(FieldError::new(
                "terminos",
                "tenés que aceptar los términos y condiciones para crear la cuenta",
            ));
        }
        Ok(Self { email, perfil, comercio, password })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_roles_and_new_staff() {
        assert_eq!("encargado".parse::<Rol>().unwrap(), Rol::Encargado);
        assert!("jefe".parse::<Rol>().is_err());
        assert_eq!(Rol::parse_staff("rol", "cliente").unwrap_err().field, "rol");
        let s = NuevoStaff::parse(" Ana@Tienda.com ", "Ana", "admin", "secreta123").unwrap();
        assert_eq!((s.email.as_str(), s.rol), ("ana@tienda.com", Rol::Admin));
        assert_eq!(NuevoStaff::parse("ana", "Ana", "admin", "secreta123").unwrap_err().field, "email");
        assert_eq!(NuevoStaff::parse("a@b.com", " ", "admin", "secreta123").unwrap_err().field, "nombre");
        assert_eq!(NuevoStaff::parse("a@b.com", "Ana", "x", "secreta123").unwrap_err().field, "rol");
        assert_eq!(NuevoStaff::parse("a@b.com", "Ana", "admin", "corta").unwrap_err().field, "password");
        let c: CambioStaff = CambioStaff { activo: Some(false), ..Default::default() };
        assert!(c.ends_sessions() && !c.is_empty());
        assert!(CambioStaff::<String>::default().is_empty());
    }

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
