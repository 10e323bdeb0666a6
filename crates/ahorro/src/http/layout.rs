//! What every page shares: the layout's data ([`Layout`]: title, who is
//! logged in, the cart badge, the CSRF token) and small view helpers.
//! Handler modules import this one; it imports no handler.

use std::borrow::Borrow;

use axum::response::{IntoResponse, Redirect, Response};
use belgrano_contract::FieldError;
use belgrano_platform::http::NextPath;

use super::error::ApiError;
use super::extract::Visitor;
use super::state::AppState;
use crate::domain::carrito::Carrito;

/// What the layout (`base.html`) needs on every page.
pub struct Layout {
    pub title: String,
    pub usuario: Option<String>,
    /// A merchant account: the nav shows "Mis paquetes".
    pub comerciante: bool,
    pub unidades: i64,
    /// In the hidden `csrf` field of every form, `data-csrf` and the
    /// `csrf-token` meta.
    pub csrf: String,
    pub busqueda: String,
    pub aviso: String,
    /// The visitor's cart, so product cards show a − / + stepper for what
    /// is already in it.
    pub carrito: Carrito,
}

impl Layout {
    pub async fn new(state: &AppState, visitor: &Visitor, title: impl Into<String>) -> Result<Self, ApiError> {
        let carrito = visitor.carrito(&state.store).await?;
        Ok(Self {
            title: title.into(),
            usuario: visitor.usuario.as_ref().map(|u| u.nombre.clone()),
            comerciante: visitor.usuario.as_ref().is_some_and(|u| u.es_comerciante()),
            unidades: carrito.unidades(),
            csrf: visitor.csrf.clone(),
            busqueda: String::new(),
            aviso: String::new(),
            carrito,
        })
    }

    /// Units of a product in the visitor's cart (0 when none).
    pub fn en_carrito(&self, producto_id: impl Borrow<i64>) -> i64 {
        self.carrito.cantidad_de(*producto_id.borrow())
    }

    /// "3 productos" (units in the cart), for the header's badge label.
    pub fn unidades_label(&self) -> String {
        plural(self.unidades, "producto", "productos")
    }
}

/// To the login page, coming back to `next` after it (pages that need an
/// account): `/login?next=%2Fperfil`.
pub fn login_to(next: &str) -> Response {
    Redirect::to(&NextPath::or_home(next).login_url("/login")).into_response()
}

/// The field's name as a sentence starts it, and whether the adjectives
/// that follow agree in feminine and plural ("La dirección es obligatoria",
/// "Las notas no pueden superar…").
fn campo(field: &str) -> (&'static str, bool, bool) {
    let (fem, masc) = ((true, false), (false, false));
    let (nombre, (femenino, plural)) = match field {
        "password" | "actual" => ("La contraseña", fem),
        "confirmar_password" => ("La confirmación", fem),
        "nombre" | "cliente.nombre" => ("El nombre", masc),
        "apellido" | "cliente.apellido" => ("El apellido", masc),
        "email" | "cliente.email" => ("El email", masc),
        "telefono" | "cliente.telefono" => ("El teléfono", masc),
        "direccion" => ("La dirección", fem),
        "direccion.calle" | "calle" => ("La calle", fem),
        "direccion.altura" | "altura" => ("La altura", fem),
        "direccion.piso" | "piso" => ("El piso o depto.", masc),
        "direccion.entre_calles" | "entre_calles" => ("Las entre calles", (true, true)),
        "direccion.barrio" | "barrio" => ("El barrio", masc),
        "direccion.codigo_postal" | "codigo_postal" => ("El código postal", masc),
        "direccion.referencias" | "referencias" => ("Las referencias", (true, true)),
        "franja_id" => ("La franja de entrega", fem),
        "paga_con" => ("El monto con el que pagás", masc),
        "nombre_negocio" => ("El nombre del negocio", masc),
        "cuit" => ("El CUIT", masc),
        "tipo_negocio" => ("El tipo de negocio", masc),
        "metodo_pago" => ("El método de pago", masc),
        "notas" => ("Las notas", (true, true)),
        "numero" => ("El número de pedido", masc),
        "terminos" => ("Los términos", (false, true)),
        "items" => ("El carrito", masc),
        other if other.starts_with("items[") => ("Un producto del carrito", masc),
        _ => ("Un dato", masc),
    };
    (nombre, femenino, plural)
}

/// A Spanish sentence for a form error, the field's name agreeing with
/// what follows: "La dirección es obligatoria.", "El CUIT no es válido…".
/// A message that is a sentence of its own ("las contraseñas no
/// coinciden") is only capitalised.
pub fn message(e: &FieldError) -> String {
    let (nombre, femenino, plural) = campo(&e.field);
    let m = e.message.trim_end_matches('.');
    // Most messages go on from the field ("es obligatorio", "contiene…");
    // these are sentences of their own.
    let oracion = ["las ", "los ", "la ", "el ", "tenés ", "no llegamos", "no quedan", "por ahora", "solo ", "ya "]
        .iter()
        .any(|p| m.starts_with(p));
    if oracion || m.is_empty() {
        let mut chars = m.chars();
        return match chars.next() {
            Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
            None => format!("{nombre} no es válido."),
        };
    }
    let mut m = m.to_owned();
    if femenino {
        for (masc, fem) in
            [("obligatorio", "obligatoria"), ("válido", "válida"), ("demasiado largo", "demasiado larga")]
        {
            m = m.replace(masc, fem);
        }
    }
    if plural {
        for (sing, pl) in [
            ("es ", "son "),
            ("no puede ", "no pueden "),
            ("debe ", "deben "),
            ("obligatoria", "obligatorias"),
            ("obligatorio", "obligatorios"),
            ("válida", "válidas"),
            ("válido", "válidos"),
        ] {
            m = m.replacen(sing, pl, 1);
        }
    }
    format!("{nombre} {m}.")
}

/// A form's error as its page shows it: beside the field it names (with
/// `aria-invalid` and `aria-describedby` on the control) and, for errors
/// no field owns ("Ya existe una cuenta…"), at the top. `Display` is the
/// sentence, for the summary at the top.
#[derive(Debug, Clone, Default)]
pub struct FormError {
    /// The form control's `name` (`calle`, not `direccion.calle`); empty
    /// when no control owns the error.
    pub field: String,
    pub message: String,
}

impl FormError {
    /// A field's error; `form_field` maps the domain's field names
    /// (`cliente.email`, `direccion.calle`) to the form's controls.
    pub fn field(e: &FieldError) -> Self {
        let field = e.field.strip_prefix("cliente.").or(e.field.strip_prefix("direccion.")).unwrap_or(&e.field);
        Self { field: field.to_owned(), message: message(e) }
    }

    /// The same error in one of a page's several forms (`clave.password`
    /// on the profile page, whose e-mail form has a `password` too).
    pub fn in_form(mut self, form: &str) -> Self {
        if !self.field.is_empty() {
            self.field = format!("{form}.{}", self.field);
        }
        self
    }

    /// A message no field owns.
    pub fn general(message: impl Into<String>) -> Self {
        Self { field: String::new(), message: message.into() }
    }

    pub fn is_empty(&self) -> bool {
        self.message.is_empty()
    }

    /// For the summary at the top: only errors no field shows.
    pub fn general_message(&self) -> &str {
        if self.field.is_empty() { &self.message } else { "" }
    }

    /// The control's attributes when the error is its own (raw HTML).
    pub fn aria(&self, field: &str) -> String {
        if self.is_empty() || self.field != field {
            return String::new();
        }
        format!(" aria-invalid=\"true\" aria-describedby=\"{}\"", Self::id(field))
    }

    /// The message beside the control it names (raw HTML, escaped).
    pub fn beside(&self, field: &str) -> String {
        if self.is_empty() || self.field != field {
            return String::new();
        }
        format!("<p class=\"field-error\" id=\"{}\">{}</p>", Self::id(field), super::error::html_escape(&self.message))
    }

    fn id(field: &str) -> String {
        format!("error-{}", field.replace('.', "-"))
    }
}

impl From<&FieldError> for FormError {
    fn from(e: &FieldError) -> Self {
        Self::field(e)
    }
}

impl std::fmt::Display for FormError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// "1 producto", "3 productos": a count with its noun.
pub fn plural(n: impl Borrow<i64>, uno: &str, varios: &str) -> String {
    let n = *n.borrow();
    format!("{n} {}", if n == 1 { uno } else { varios })
}

/// A price (or a sentence with prices) for HTML: the space in `$ 1.800`
/// becomes a non-breaking one, so a narrow column never splits a price.
/// Only pages: JSON, mails and Tickets keep `format_ars`'s plain space.
pub fn ars(text: impl AsRef<str>) -> String {
    text.as_ref().replace("$ ", "$\u{a0}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(field: &str, message: &str) -> String {
        super::message(&FieldError::new(field, message))
    }

    #[test]
    fn messages_agree_with_their_field() {
        assert_eq!(said("direccion", "es obligatorio"), "La dirección es obligatoria.");
        assert_eq!(said("nombre", "es obligatorio"), "El nombre es obligatorio.");
        assert_eq!(said("direccion.altura", "es obligatorio"), "La altura es obligatoria.");
        assert_eq!(said("notas", "no puede superar 500 caracteres"), "Las notas no pueden superar 500 caracteres.");
        assert_eq!(said("direccion.referencias", "es obligatorio"), "Las referencias son obligatorias.");
        assert_eq!(said("confirmar_password", "las contraseñas no coinciden"), "Las contraseñas no coinciden.");
        assert_eq!(said("direccion.barrio", "no llegamos a 'Mitre'"), "No llegamos a 'Mitre'.");
        assert_eq!(said("cliente.email", "no es válido"), "El email no es válido.");
        assert_eq!(said("nombre", "contiene caracteres de control"), "El nombre contiene caracteres de control.");
        assert_eq!(said("items", "el carrito está vacío"), "El carrito está vacío.");
    }

    #[test]
    fn a_form_error_sits_beside_its_control_only() {
        let e = FormError::field(&FieldError::new("direccion.calle", "es obligatorio"));
        assert_eq!(e.field, "calle");
        assert_eq!(e.aria("calle"), " aria-invalid=\"true\" aria-describedby=\"error-calle\"");
        assert_eq!(e.aria("altura"), "");
        assert!(e.beside("calle").contains(">La calle es obligatoria.</p>"));
        assert_eq!(e.general_message(), "");
        let e = FormError::field(&FieldError::new("password", "es <b>")).in_form("clave");
        assert_eq!(
            e.beside("clave.password"),
            "<p class=\"field-error\" id=\"error-clave-password\">La contraseña es &lt;b&gt;.</p>"
        );
        assert_eq!(FormError::general("Ya existe").general_message(), "Ya existe");
    }

    #[test]
    fn plurals_and_unbreakable_prices() {
        assert_eq!(plural(1, "producto", "productos"), "1 producto");
        assert_eq!(plural(0, "pedido", "pedidos"), "0 pedidos");
        assert_eq!(plural(12, "producto", "productos"), "12 productos");
        assert_eq!(ars("Te faltan $ 2.000 (mínimo $ 8.000)"), "Te faltan $\u{a0}2.000 (mínimo $\u{a0}8.000)");
    }
}
