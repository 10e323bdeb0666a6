//! Checkout: the form (prefilled from the profile, guests welcome) and
//! `POST /api/checkout`, answering the seed's step-7 shape. Both turn what
//! was sent into one [`CheckoutInput`], validated once into the domain's
//! [`Checkout`].

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use belgrano_contract::ticket::iso8601;
use belgrano_contract::{FieldError, MetodoPago};
use belgrano_platform::csrf::CsrfForm;
use belgrano_platform::http::Json;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::entrega::ofrecidas;
use super::error::{ApiError, PageError};
use super::extract::Visitor;
use super::layout::{FormError, Layout};
use super::seguimiento::absolute_url;
use super::state::AppState;
use crate::checkout::CheckoutError;
use crate::domain::carrito::{Carrito, PricedCarrito};
use crate::domain::checkout::{Checkout, CheckoutInput, DireccionInput, ItemInput};
use crate::domain::entrega::{BARRIO_POR_DEFECTO, Direccion, DireccionGuardada, Opcion, Zona};
use crate::domain::pedido::Cliente;
use crate::domain::pedido::Pedido;
use belgrano_contract::Centavos;

#[derive(Template, WebTemplate)]
#[template(path = "checkout.html")]
pub struct CheckoutPage {
    pub l: Layout,
    pub f: CheckoutForm,
    pub carrito: PricedCarrito,
    pub metodos: Vec<(&'static str, &'static str)>,
    /// Beside the field it names (`calle`, `franja_id`); errors about the
    /// cart's items only at the top.
    pub error: FormError,
    pub zonas: Vec<Zona>,
    pub opciones: Vec<Opcion>,
    /// The logged-in customer's saved addresses.
    pub direcciones: Vec<DireccionGuardada>,
    pub cuenta: Cuenta,
}

/// The cart's delivery figures for the chosen (or default) barrio.
#[derive(Debug, Clone)]
pub struct Cuenta {
    pub barrio: String,
    pub envio: String,
    pub total: String,
    /// "Te faltan $ 2.000 para el mínimo de Belgrano ($ 8.000)", or empty.
    pub falta_minimo: String,
    /// "Te faltan $ 5.000 para el envío gratis", or empty.
    pub falta_gratis: String,
}

impl Cuenta {
    /// With the first open window's free-delivery threshold.
    pub fn new(zona: Option<&Zona>, opciones: &[Opcion], subtotal: Centavos) -> Self {
        let Some(zona) = zona else {
            return Cuenta {
                barrio: String::new(),
                envio: "—".into(),
                total: subtotal.format_ars(),
                falta_minimo: String::new(),
                falta_gratis: String::new(),
            };
        };
        let gratis = opciones.iter().find(|o| o.elegible()).and_then(|o| o.turno.franja.envio_gratis_desde);
        let envio = match gratis {
            Some(g) if subtotal >= g => Centavos(0),
            _ => zona.costo_envio,
        };
        let falta = |hasta: Centavos| Centavos(hasta.0 - subtotal.0).format_ars();
        Cuenta {
            barrio: zona.barrio.clone(),
            envio: if envio.0 == 0 { "Gratis".into() } else { envio.format_ars() },
            total: (subtotal + envio).format_ars(),
            falta_minimo: if subtotal < zona.minimo {
                format!(
                    "Te faltan {} para el pedido mínimo a {} ({}).",
                    falta(zona.minimo),
                    zona.barrio,
                    zona.minimo.format_ars()
                )
            } else {
                String::new()
            },
            falta_gratis: match gratis {
                Some(g) if subtotal < g => {
                    format!("Te faltan {} para el envío gratis (desde {}).", falta(g), g.format_ars())
                }
                _ => String::new(),
            },
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CheckoutForm {
    pub nombre: String,
    pub apellido: String,
    pub email: String,
    pub telefono: String,
    /// Old forms' one-line address (used only when `calle` is empty).
    pub direccion: String,
    pub calle: String,
    pub altura: String,
    pub piso: String,
    pub entre_calles: String,
    pub barrio: String,
    pub codigo_postal: String,
    pub referencias: String,
    /// A saved address's id; when set it replaces the typed address.
    pub direccion_id: String,
    /// "si": keep the typed address in the account.
    pub guardar_direccion: String,
    pub franja_id: String,
    pub paga_con: String,
    pub metodo_pago: String,
    pub notas: String,
}

impl CheckoutForm {
    fn direccion_input(&self, guardadas: &[DireccionGuardada]) -> DireccionInput {
        if let Some(g) =
            self.direccion_id.trim().parse::<i64>().ok().and_then(|id| guardadas.iter().find(|g| g.id == id))
        {
            return DireccionInput::Estructurada(g.direccion.clone());
        }
        if self.calle.trim().is_empty() && !self.direccion.trim().is_empty() {
            return DireccionInput::Texto(self.direccion.clone());
        }
        DireccionInput::Estructurada(Direccion {
            calle: self.calle.clone(),
            altura: self.altura.clone(),
            piso: self.piso.clone(),
            entre_calles: self.entre_calles.clone(),
            barrio: self.barrio.clone(),
            codigo_postal: self.codigo_postal.clone(),
            referencias: self.referencias.clone(),
        })
    }
}

/// A checkout error for the form: beside its control, or at the top for the
/// cart's items (the form has no control for them).
fn form_error(e: &FieldError) -> FormError {
    let error = FormError::field(e);
    if error.field.starts_with("items") { FormError::general(error.message) } else { error }
}

/// The payment methods as offered in the form: (value, label).
fn metodos() -> Vec<(&'static str, &'static str)> {
    MetodoPago::ALL.iter().map(|m| (m.as_str(), m.label())).collect()
}

async fn render(
    state: &AppState,
    visitor: &Visitor,
    f: CheckoutForm,
    error: FormError,
    status: StatusCode,
) -> Result<Response, PageError> {
    let cart = state.store.carrito(&visitor.carrito_owner()).await?;
    let ids: Vec<i64> = cart.items.iter().map(|i| i.producto_id).collect();
    let carrito = PricedCarrito::price(&cart, &state.store.productos_por_id(&ids).await?);
    let (ajustes, opciones) = ofrecidas(state).await?;
    let direcciones = match &visitor.usuario {
        Some(u) => state.store.direcciones(u.id).await?,
        None => Vec::new(),
    };
    let barrio = if f.barrio.is_empty() { BARRIO_POR_DEFECTO } else { f.barrio.as_str() };
    let cuenta = Cuenta::new(ajustes.zona(barrio), &opciones, carrito.total());
    let page = CheckoutPage {
        l: Layout::new(state, visitor, "Finalizar compra").await?,
        f,
        carrito,
        metodos: metodos(),
        error,
        zonas: ajustes.zonas,
        opciones,
        direcciones,
        cuenta,
    };
    Ok((status, page).into_response())
}

pub async fn form(State(state): State<AppState>, visitor: Visitor) -> Result<Response, PageError> {
    let f = match &visitor.usuario {
        Some(u) => CheckoutForm {
            nombre: u.nombre.clone(),
            apellido: u.apellido.clone(),
            email: u.email.clone(),
            telefono: u.telefono.clone(),
            // The account's one-line address, to complete with the altura.
            calle: u.direccion.clone(),
            metodo_pago: MetodoPago::Efectivo.as_str().into(),
            ..Default::default()
        },
        None => CheckoutForm { metodo_pago: MetodoPago::Efectivo.as_str().into(), ..Default::default() },
    };
    render(&state, &visitor, f, FormError::default(), StatusCode::OK).await
}

pub async fn submit(
    State(state): State<AppState>,
    visitor: Visitor,
    CsrfForm(f): CsrfForm<CheckoutForm>,
) -> Result<Response, PageError> {
    let owner = visitor.carrito_owner();
    let cart = state.store.carrito(&owner).await?;
    let guardadas = match &visitor.usuario {
        Some(u) => state.store.direcciones(u.id).await?,
        None => Vec::new(),
    };
    let direccion = f.direccion_input(&guardadas);
    let input = CheckoutInput {
        cliente: Cliente {
            nombre: f.nombre.clone(),
            apellido: f.apellido.clone(),
            email: f.email.clone(),
            telefono: f.telefono.clone(),
        },
        direccion,
        metodo_pago: f.metodo_pago.clone(),
        notas: f.notas.clone(),
        items: ItemInput::from_carrito(&cart),
        franja_id: f.franja_id.clone(),
        paga_con: f.paga_con.clone(),
    };
    let bad = StatusCode::BAD_REQUEST;
    let mut checkout = match Checkout::parse(input, visitor.usuario.as_ref()) {
        Ok(c) => c,
        Err(e) => return render(&state, &visitor, f, form_error(&e), bad).await,
    };
    if visitor.is_guest() {
        checkout.sesion = Some(visitor.token.hash());
    }
    match state.checkout.place(&checkout).await {
        Ok(pedido) => {
            state.store.save_carrito(&owner, &Carrito::default()).await?;
            let nueva = f.direccion_id.trim().is_empty() && f.guardar_direccion == "si";
            if let (Some(u), true, Some(d)) =
                (&visitor.usuario, nueva, pedido.entrega.as_ref().and_then(|e| e.direccion.as_ref()))
            {
                state.store.agregar_direccion(u.id, d).await?;
            }
            Ok(Redirect::to(&format!("/pedido/{}", pedido.numero)).into_response())
        }
        Err(CheckoutError::Invalid(e)) => render(&state, &visitor, f, form_error(&e), bad).await,
        Err(CheckoutError::Conflict(e)) => render(&state, &visitor, f, form_error(&e), StatusCode::CONFLICT).await,
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------------------ the JSON API

/// A JSON value where old clients may send anything: absent and `null`
/// are [`Loose::Absent`], the expected kind is [`Loose::Is`], any other
/// is [`Loose::Wrong`] (answered as a field error, never as a parse error).
#[derive(Debug, Clone, Default)]
pub enum Loose<T> {
    #[default]
    Absent,
    Is(T),
    Wrong,
}

/// Reads one JSON value into `T` when `accept` says it is of `T`'s kind.
fn loose<'de, D: Deserializer<'de>, T: serde::de::DeserializeOwned>(
    d: D,
    accept: fn(&Value) -> bool,
) -> Result<Loose<T>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Null => Loose::Absent,
        v if accept(&v) => Loose::Is(serde_json::from_value(v).map_err(serde::de::Error::custom)?),
        _ => Loose::Wrong,
    })
}

/// A text: a JSON string.
#[derive(Debug, Clone, Default)]
pub struct Text(pub(super) Loose<String>);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        loose(d, Value::is_string).map(Text)
    }
}

impl Text {
    /// The text, empty when absent; `field` names it when it is no text.
    pub(super) fn or_empty(&self, field: &str) -> Result<String, FieldError> {
        match &self.0 {
            Loose::Absent => Ok(String::new()),
            Loose::Is(s) => Ok(s.clone()),
            Loose::Wrong => Err(FieldError::new(field, "debe ser un texto")),
        }
    }
}

/// An object of `T`'s fields (which are all loose themselves).
#[derive(Debug, Clone)]
pub struct Object<T>(pub(super) Loose<T>);

impl<T> Default for Object<T> {
    fn default() -> Self {
        Object(Loose::Absent)
    }
}

impl<'de, T: serde::de::DeserializeOwned> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        loose(d, Value::is_object).map(Object)
    }
}

/// A list of `T`.
#[derive(Debug, Clone)]
pub struct List<T>(pub(super) Loose<Vec<T>>);

impl<T> Default for List<T> {
    fn default() -> Self {
        List(Loose::Absent)
    }
}

impl<'de, T: serde::de::DeserializeOwned> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        loose(d, Value::is_array).map(List)
    }
}

/// An integer as old clients send it: a JSON integer (or a float without
/// fraction), or a string of digits as forms send them. `None` otherwise.
#[derive(Debug, Clone, Copy, Default)]
pub struct LooseInt(pub(super) Option<i64>);

impl<'de> Deserialize<'de> for LooseInt {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(LooseInt(match Value::deserialize(d)? {
            Value::Number(n) => {
                n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 1e15).map(|f| f as i64))
            }
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }))
    }
}

/// The body of `POST /api/checkout`. `cliente`, `items` and `direccion`
/// may be left out: they come from the logged-in account and its cart.
/// Money in the body (`total`, `precio`) is ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CheckoutBody {
    pub cliente: Object<ClienteBody>,
    pub items: List<Object<ItemBody>>,
    pub direccion: DireccionBody,
    pub metodo_pago: Text,
    pub notas: Text,
    /// `"<franja_id>@<YYYY-MM-DD>"` as `GET /api/entrega/opciones` offers.
    pub franja_id: Text,
    pub paga_con: NumText,
}

/// `direccion`: an old client's flat text, or the structured object.
#[derive(Debug, Clone, Default)]
pub enum DireccionBody {
    #[default]
    Absent,
    Texto(String),
    Objeto(DireccionObjeto),
    Wrong,
}

impl<'de> Deserialize<'de> for DireccionBody {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::Null => DireccionBody::Absent,
            Value::String(s) => DireccionBody::Texto(s),
            v @ Value::Object(_) => DireccionBody::Objeto(serde_json::from_value(v).map_err(serde::de::Error::custom)?),
            _ => DireccionBody::Wrong,
        })
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DireccionObjeto {
    pub calle: Text,
    pub altura: NumText,
    pub piso: Text,
    pub entre_calles: Text,
    pub barrio: Text,
    pub codigo_postal: Text,
    pub referencias: Text,
}

impl DireccionObjeto {
    pub(super) fn direccion(&self) -> Result<Direccion, FieldError> {
        Ok(Direccion {
            calle: self.calle.or_empty("direccion.calle")?,
            altura: self.altura.or_empty("direccion.altura")?,
            piso: self.piso.or_empty("direccion.piso")?,
            entre_calles: self.entre_calles.or_empty("direccion.entre_calles")?,
            barrio: self.barrio.or_empty("direccion.barrio")?,
            codigo_postal: self.codigo_postal.or_empty("direccion.codigo_postal")?,
            referencias: self.referencias.or_empty("direccion.referencias")?,
        })
    }
}

/// A JSON number or a string (a street number, an amount in pesos), read
/// as text; absent is empty.
#[derive(Debug, Clone, Default)]
pub struct NumText(Loose<String>);

impl<'de> Deserialize<'de> for NumText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(NumText(match Value::deserialize(d)? {
            Value::Null => Loose::Absent,
            Value::Number(n) => Loose::Is(n.to_string()),
            Value::String(s) => Loose::Is(s),
            _ => Loose::Wrong,
        }))
    }
}

impl NumText {
    pub(super) fn or_empty(&self, field: &str) -> Result<String, FieldError> {
        match &self.0 {
            Loose::Absent => Ok(String::new()),
            Loose::Is(s) => Ok(s.clone()),
            Loose::Wrong => Err(FieldError::new(field, "debe ser un número o un texto")),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ClienteBody {
    pub nombre: Text,
    pub apellido: Text,
    pub email: Text,
    pub telefono: Text,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ItemBody {
    pub producto_id: LooseInt,
    pub cantidad: LooseInt,
}

/// Where the items come from.
enum Items {
    Sent(Vec<ItemInput>),
    /// Not sent: the visitor's cart (emptied once the order stands).
    Cart,
}

impl CheckoutBody {
    /// What was sent, with the account's data where it was left out. Errors
    /// name the field as the client spelled it, in the body's order.
    fn input(self, visitor: &Visitor) -> Result<(CheckoutInput, Items), FieldError> {
        let cliente = match self.cliente.0 {
            Loose::Absent => match &visitor.usuario {
                Some(u) => Cliente::from_usuario(u),
                None => return Err(FieldError::new("cliente", "es obligatorio (o iniciá sesión)")),
            },
            Loose::Is(c) => Cliente {
                nombre: c.nombre.or_empty("cliente.nombre")?,
                apellido: c.apellido.or_empty("cliente.apellido")?,
                email: c.email.or_empty("cliente.email")?,
                telefono: c.telefono.or_empty("cliente.telefono")?,
            },
            Loose::Wrong => return Err(FieldError::new("cliente", "debe ser un objeto")),
        };
        let items = match self.items.0 {
            Loose::Absent => Items::Cart,
            Loose::Is(list) => Items::Sent(
                list.into_iter()
                    .enumerate()
                    .map(|(i, item)| match item.0 {
                        Loose::Is(ItemBody { producto_id, cantidad }) => {
                            Ok(ItemInput { producto_id: producto_id.0, cantidad: cantidad.0 })
                        }
                        Loose::Absent | Loose::Wrong => {
                            Err(FieldError::new(format!("items[{i}]"), "debe ser un objeto {producto_id, cantidad}"))
                        }
                    })
                    .collect::<Result<_, _>>()?,
            ),
            Loose::Wrong => return Err(FieldError::new("items", "debe ser una lista")),
        };
        let direccion = match &self.direccion {
            DireccionBody::Absent => {
                DireccionInput::Texto(visitor.usuario.as_ref().map(|u| u.direccion.clone()).unwrap_or_default())
            }
            DireccionBody::Texto(t) => DireccionInput::Texto(t.clone()),
            DireccionBody::Objeto(o) => DireccionInput::Estructurada(o.direccion()?),
            DireccionBody::Wrong => {
                return Err(FieldError::new("direccion", "debe ser un objeto {calle, altura, barrio, ...} o un texto"));
            }
        };
        let metodo_pago = self.metodo_pago.or_empty("metodo_pago")?;
        let metodo_pago = if metodo_pago.is_empty() { MetodoPago::Efectivo.as_str().to_owned() } else { metodo_pago };
        let notas = self.notas.or_empty("notas")?;
        let franja_id = self.franja_id.or_empty("franja_id")?;
        let paga_con = self.paga_con.or_empty("paga_con")?;
        let input = CheckoutInput { cliente, direccion, metodo_pago, notas, items: Vec::new(), franja_id, paga_con };
        Ok((input, items))
    }
}

/// `POST /api/checkout`.
pub async fn api(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Json(body): Json<Object<CheckoutBody>>,
) -> Result<axum::Json<CheckoutResponse>, ApiError> {
    let Loose::Is(body) = body.0 else { return Err(FieldError::new("body", "se espera un objeto JSON").into()) };
    let (mut input, items) = body.input(&visitor)?;
    input.items = match &items {
        Items::Sent(items) => items.clone(),
        Items::Cart => ItemInput::from_carrito(&state.store.carrito(&visitor.carrito_owner()).await?),
    };
    let mut checkout = Checkout::parse(input, visitor.usuario.as_ref())?;
    if visitor.is_guest() {
        checkout.sesion = Some(visitor.token.hash());
    }
    let pedido = state.checkout.place(&checkout).await?;
    if let Items::Cart = items {
        state.store.save_carrito(&visitor.carrito_owner(), &Carrito::default()).await?;
    }
    let seguimiento_url = absolute_url(&state, &headers, pedido.numero.as_str());
    Ok(axum::Json(CheckoutResponse::from_pedido(&pedido, seguimiento_url)))
}

/// The seed's step-7 answer.
#[derive(Debug, Serialize)]
pub struct CheckoutResponse {
    pub success: bool,
    pub message: String,
    pub pedido: PedidoResumen,
    pub ticket: Option<TicketResumen>,
}

#[derive(Debug, Serialize)]
pub struct PedidoResumen {
    pub numero: String,
    pub cliente: String,
    pub total: f64,
    pub fecha: String,
    /// The order's tracking link (see `crate::tracking`).
    pub seguimiento_url: String,
}

#[derive(Debug, Serialize)]
pub struct TicketResumen {
    pub id: i64,
    pub numero: String,
    pub estado: String,
    pub repartidor: Option<String>,
    pub fecha_creacion: Option<String>,
}

impl CheckoutResponse {
    pub fn from_pedido(p: &Pedido, seguimiento_url: String) -> Self {
        let ticket = p.ticket_id.map(|id| TicketResumen {
            id,
            numero: p.numero.to_string(),
            estado: p.ticket_estado.unwrap_or(belgrano_contract::Estado::Pendiente).as_str().to_owned(),
            repartidor: p.repartidor.clone(),
            fecha_creacion: p.ticket_fecha_creacion.map(iso8601),
        });
        let message = if ticket.is_some() {
            "Compra realizada exitosamente".to_owned()
        } else {
            "Compra realizada exitosamente. Tu pedido está en camino al centro de despacho; el ticket se confirmará en breve.".to_owned()
        };
        Self {
            success: true,
            message,
            pedido: PedidoResumen {
                numero: p.numero.to_string(),
                cliente: p.cliente_nombre(),
                total: p.total.pesos(),
                fecha: iso8601(p.fecha),
                seguimiento_url,
            },
            ticket,
        }
    }
}

#[cfg(test)]
mod tests {
    //! The document against the code: `Compra` in `api/openapi.json` states
    //! the rules a guest's `POST /api/checkout` body is held to here (all
    //! but the stored ones: products and stock).

    use belgrano_platform::http::text_patterns;
    use belgrano_platform::session::Token;
    use serde_json::json;

    use super::*;
    use crate::domain::carrito::MAX_CANTIDAD;
    use crate::domain::checkout::MAX_ITEMS;

    fn document() -> Value {
        serde_json::from_str(crate::http::OPENAPI).unwrap()
    }

    /// A guest's body as the handler reads it, up to the stored rules: `Ok`
    /// or the field it names.
    fn parse(body: &Value) -> Result<(), String> {
        let guest = Visitor { token: Token::generate(), usuario: None, csrf: String::new(), token_nuevo: true };
        let Loose::Is(body) = serde_json::from_value::<Object<CheckoutBody>>(body.clone()).unwrap().0 else {
            return Err("body".into());
        };
        let (mut input, items) = body.input(&guest).map_err(|e| e.field)?;
        let Items::Sent(items) = items else { return Err("items".into()) };
        input.items = items;
        Checkout::parse(input, None).map(drop).map_err(|e| e.field)
    }

    fn body_with(field: &str, value: Value) -> Value {
        let mut body = json!({
            "cliente": {"nombre": "Ana", "email": "ana@example.com"},
            "direccion": "Cabildo 1234",
            "items": [{"producto_id": 1, "cantidad": 1}],
        });
        match field.split_once('.') {
            Some((outer, inner)) => body[outer][inner] = value,
            None => body[field] = value,
        }
        body
    }

    /// The `n` of a trimmed-text pattern, checking that the pattern is
    /// exactly the platform's spelling of it.
    fn trimmed_max(pattern: &str, required: bool) -> usize {
        let n =
            pattern.split("{0,").nth(1).and_then(|rest| rest.split('}').next()).unwrap().parse::<usize>().unwrap() + 2;
        assert_eq!(pattern, text_patterns::trimmed(Some(n), required), "not the platform's spelling");
        n
    }

    #[test]
    fn every_documented_rule_of_a_checkout_is_the_parser_s() {
        let doc = document();
        let schemas = &doc["components"]["schemas"];
        assert!(parse(&body_with("notas", json!(""))).is_ok());
        let texts = [
            ("cliente.nombre", &schemas["Cliente"]["properties"]["nombre"], true),
            ("cliente.apellido", &schemas["Cliente"]["properties"]["apellido"], false),
            ("cliente.telefono", &schemas["Cliente"]["properties"]["telefono"], false),
            ("cliente.email", &schemas["Cliente"]["properties"]["email"]["allOf"][0], true),
            ("direccion", &schemas["Compra"]["properties"]["direccion"]["anyOf"][0], true),
            ("notas", &schemas["Compra"]["properties"]["notas"], false),
        ];
        for (field, schema, required) in texts {
            let max = trimmed_max(schema["pattern"].as_str().unwrap(), required);
            let fits =
                if field == "cliente.email" { format!("{}@x.com", "a".repeat(max - 6)) } else { "a".repeat(max) };
            assert_eq!(parse(&body_with(field, json!(format!(" {fits}\u{a0}")))), Ok(()), "{field}: {max}");
            assert_eq!(parse(&body_with(field, json!(format!("a{fits}")))), Err(field.to_owned()), "{field}");
            assert_eq!(parse(&body_with(field, json!("a\u{7}b@x.com"))), Err(field.to_owned()), "{field}: control");
            let blank = if required { Err(field.to_owned()) } else { Ok(()) };
            assert_eq!(parse(&body_with(field, json!("  "))), blank, "{field}: blank");
            assert_eq!(parse(&body_with(field, Value::Null)), blank, "{field}: null");
        }
        let compra = &schemas["Compra"];
        assert_eq!(compra["properties"]["items"]["maxItems"], json!(MAX_ITEMS));
        let many = vec![json!({"producto_id": 1, "cantidad": 1}); MAX_ITEMS + 1];
        assert_eq!(parse(&body_with("items", json!(many))), Err("items".to_owned()));
        assert_eq!(parse(&body_with("items", json!([]))), Err("items".to_owned()));
        let cantidad = &schemas["ItemCompra"]["properties"]["cantidad"]["anyOf"];
        assert_eq!(cantidad[0]["maximum"], json!(MAX_CANTIDAD));
        for (q, ok) in
            [(json!(MAX_CANTIDAD), true), (json!(MAX_CANTIDAD + 1), false), (json!(" 7 "), true), (json!(0), false)]
        {
            let body = body_with("items", json!([{"producto_id": "1", "cantidad": q}]));
            assert_eq!(parse(&body).is_ok(), ok, "{q}");
        }
        let metodos = compra["properties"]["metodo_pago"]["anyOf"][0]["enum"].as_array().unwrap();
        let mut expected: Vec<Value> = MetodoPago::ALL.iter().map(|m| json!(m.as_str())).collect();
        expected.extend([json!(""), Value::Null]);
        assert_eq!(metodos, &expected);
        assert_eq!(parse(&body_with("metodo_pago", json!(" tarjeta "))), Ok(()));
        assert_eq!(parse(&body_with("metodo_pago", json!(" "))), Err("metodo_pago".to_owned()));
        for required in compra["required"].as_array().unwrap() {
            let mut body = body_with("notas", json!(""));
            body.as_object_mut().unwrap().remove(required.as_str().unwrap());
            assert_eq!(parse(&body), Err(required.as_str().unwrap().to_owned()), "a guest must send {required}");
        }
    }
}
