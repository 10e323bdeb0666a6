//! Checkout: validated order data → one transaction (stock, order, lines,
//! outbox row) → a short wait for the first delivery to Tickets.
//!
//! Prices and totals always come from the catalogue inside the
//! transaction; anything a client says about money is ignored.

use std::time::Duration;

use belgrano_shared::ticket::{NuevoTicket, Numero, Producto as TicketProducto, iso8601};
use belgrano_shared::{Estado, FieldError, MetodoPago, Prioridad, TipoCliente};
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::accounts::{self, Usuario};
use crate::outbox::Deliveries;
use crate::store::{NewOrder, Pedido, PlaceError, PlacedOrder, Store, StoreError};

/// Most distinct products in one order.
pub const MAX_ITEMS: usize = 100;

/// The customer's contact data as typed (form or JSON).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ClienteInput {
    pub nombre: String,
    pub apellido: String,
    pub email: String,
    pub telefono: String,
}

impl ClienteInput {
    pub fn from_usuario(u: &Usuario) -> Self {
        Self {
            nombre: u.nombre.clone(),
            apellido: u.apellido.clone(),
            email: u.email.clone(),
            telefono: u.telefono.clone(),
        }
    }
}

/// A validated checkout.
#[derive(Debug, Clone)]
pub struct Checkout {
    pub cliente: ClienteInput,
    pub direccion: String,
    pub metodo_pago: MetodoPago,
    pub notas: String,
    /// (producto_id, cantidad), one line per product.
    pub items: Vec<(i64, i64)>,
    pub usuario_id: Option<i64>,
    pub tipo_cliente: TipoCliente,
    /// A guest's session token hash (they may see the order from it).
    pub sesion: Option<String>,
}

impl Checkout {
    /// Validates everything but stock (checked in the transaction). Field
    /// names follow the JSON API (`cliente.email`, `items[0].cantidad`).
    pub fn parse(
        cliente: ClienteInput,
        direccion: &str,
        metodo_pago: &str,
        notas: &str,
        items: &[(Value, Value)],
        usuario: Option<&Usuario>,
    ) -> Result<Self, FieldError> {
        let nombre = accounts::text("cliente.nombre", &cliente.nombre, true, 100)?;
        let apellido = accounts::text("cliente.apellido", &cliente.apellido, false, 100)?;
        let email = accounts::email(&cliente.email).map_err(|e| FieldError::new("cliente.email", e.message))?;
        let telefono = accounts::text("cliente.telefono", &cliente.telefono, false, 50)?;
        let direccion = accounts::text("direccion", direccion, true, 300)?;
        let metodo_pago: MetodoPago = metodo_pago.trim().parse().map_err(|e| FieldError::new("metodo_pago", e))?;
        let notas = accounts::text("notas", notas, false, 1000)?;
        if items.is_empty() {
            return Err(FieldError::new("items", "el carrito está vacío"));
        }
        if items.len() > MAX_ITEMS {
            return Err(FieldError::new("items", format!("admite hasta {MAX_ITEMS} productos distintos")));
        }
        let mut lines: Vec<(i64, i64)> = Vec::with_capacity(items.len());
        for (i, (id, cantidad)) in items.iter().enumerate() {
            let id = int(id)
                .filter(|id| *id > 0)
                .ok_or_else(|| FieldError::new(format!("items[{i}].producto_id"), "debe ser un id de producto"))?;
            let cantidad = int(cantidad)
                .filter(|q| (1..=crate::cart::MAX_CANTIDAD).contains(q))
                .ok_or_else(|| FieldError::new(format!("items[{i}].cantidad"), "debe ser un entero entre 1 y 999"))?;
            match lines.iter_mut().find(|(p, _)| *p == id) {
                Some((_, q)) => *q += cantidad,
                None => lines.push((id, cantidad)),
            }
        }
        Ok(Self {
            cliente: ClienteInput { nombre, apellido, email, telefono },
            direccion,
            metodo_pago,
            notas,
            items: lines,
            usuario_id: usuario.map(|u| u.id),
            tipo_cliente: usuario.map_or(TipoCliente::Cliente, |u| u.tipo_cliente),
            sesion: None,
        })
    }

    pub fn cliente_nombre(&self) -> String {
        format!("{} {}", self.cliente.nombre, self.cliente.apellido).trim().to_owned()
    }
}

/// An integer from JSON (number or numeric string, as forms send).
fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => {
            n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 1e15).map(|f| f as i64))
        }
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CheckoutError {
    #[error("{0}")]
    Invalid(FieldError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A fresh order number: `PED-YYYYMMDD-` and ten random letters or digits
/// (36^10 per day; the unique index catches the impossible collision and
/// the checkout draws again).
pub fn new_numero() -> Numero {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    let suffix: String = (0..10).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect();
    let numero = format!("PED-{}-{suffix}", chrono::Utc::now().format("%Y%m%d"));
    Numero::parse(&numero).expect("a generated numero is valid")
}

/// The seed's step-2 body for this order, with the prices just reserved.
pub fn ticket_payload(numero: &Numero, checkout: &Checkout, placed: &PlacedOrder) -> NuevoTicket {
    let productos = placed
        .lines
        .iter()
        .map(|l| {
            let mut extra = Map::new();
            extra.insert("negocio".into(), Value::String(l.negocio_id.clone()));
            TicketProducto {
                id: Some(json!(l.producto_id)),
                nombre: l.nombre.clone(),
                precio: Some(l.precio.pesos()),
                cantidad: u32::try_from(l.cantidad).unwrap_or(u32::MAX),
                subtotal: Some((l.precio * l.cantidad).pesos()),
                extra,
            }
        })
        .collect();
    let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    NuevoTicket {
        numero: numero.clone(),
        cliente_nombre: checkout.cliente_nombre(),
        cliente_direccion: non_empty(&checkout.direccion),
        cliente_telefono: non_empty(&checkout.cliente.telefono),
        cliente_email: non_empty(&checkout.cliente.email),
        productos,
        total: placed.total,
        metodo_pago: Some(checkout.metodo_pago),
        indicaciones: non_empty(&checkout.notas),
        estado: Estado::Pendiente,
        prioridad: checkout.tipo_cliente.forced_prioridad().unwrap_or(Prioridad::Normal),
        tipo_cliente: checkout.tipo_cliente,
    }
}

#[derive(Clone)]
pub struct CheckoutService {
    store: Store,
    deliveries: Deliveries,
    wait: Duration,
}

impl CheckoutService {
    pub fn new(store: Store, deliveries: Deliveries, wait: Duration) -> Self {
        Self { store, deliveries, wait }
    }

    /// Commits the order (with its outbox row) and waits at most the
    /// configured time for Tickets to confirm it. The order stands either
    /// way; the answer says whether the ticket is known yet.
    pub async fn place(&self, checkout: &Checkout) -> Result<Pedido, CheckoutError> {
        let mut attempt = 0;
        let (numero, placed, attempt_over) = loop {
            attempt += 1;
            let numero = new_numero();
            let order = NewOrder {
                numero: numero.to_string(),
                usuario_id: checkout.usuario_id,
                sesion: checkout.sesion.clone(),
                cliente_nombre: checkout.cliente.nombre.clone(),
                cliente_apellido: checkout.cliente.apellido.clone(),
                cliente_email: checkout.cliente.email.clone(),
                cliente_telefono: checkout.cliente.telefono.clone(),
                direccion: checkout.direccion.clone(),
                metodo_pago: checkout.metodo_pago.as_str().to_owned(),
                notas: checkout.notas.clone(),
                tipo_cliente: checkout.tipo_cliente.as_str().to_owned(),
                items: checkout.items.clone(),
            };
            let payload = |placed: &PlacedOrder| {
                serde_json::to_string(&ticket_payload(&numero, checkout, placed)).expect("a ticket serialises")
            };
            let attempt_over = self.deliveries.listen(numero.as_str());
            let placed = self.store.place_order(&order, payload).await;
            if placed.is_err() {
                self.deliveries.forget(numero.as_str());
            }
            match placed {
                Ok(placed) => break (numero, placed, attempt_over),
                Err(PlaceError::DuplicateNumero) if attempt < 5 => continue,
                Err(PlaceError::DuplicateNumero) => {
                    return Err(StoreError::Corrupt("could not draw a unique order number".into()).into());
                }
                Err(PlaceError::UnknownProduct { index }) => {
                    return Err(CheckoutError::Invalid(FieldError::new(
                        format!("items[{index}].producto_id"),
                        "el producto no existe",
                    )));
                }
                Err(PlaceError::NotEnoughStock { index, disponible }) => {
                    let message = if disponible == 0 {
                        "el producto no tiene stock".to_owned()
                    } else {
                        format!("solo quedan {disponible} unidades")
                    };
                    return Err(CheckoutError::Invalid(FieldError::new(format!("items[{index}].cantidad"), message)));
                }
                Err(PlaceError::Store(e)) => return Err(e.into()),
            }
        };
        tracing::info!(total = %placed.total.format_ars(), "pedido {numero} registrado; se envía a Tickets");
        self.deliveries.wake();
        if tokio::time::timeout(self.wait, attempt_over).await.is_err() {
            self.deliveries.forget(numero.as_str());
        }
        self.store
            .pedido(numero.as_str())
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("order {numero} vanished after commit")).into())
    }
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
    /// The order's tracking link (see [`crate::tracking`]).
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
            numero: p.numero.clone(),
            estado: p.ticket_estado.clone().unwrap_or_else(|| "pendiente".into()),
            repartidor: p.repartidor.clone(),
            fecha_creacion: p.ticket_fecha_creacion.map(|t| iso8601(t.0)),
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
                numero: p.numero.clone(),
                cliente: format!("{} {}", p.cliente_nombre, p.cliente_apellido).trim().to_owned(),
                total: belgrano_shared::Centavos(p.total).pesos(),
                fecha: iso8601(p.fecha.0),
                seguimiento_url,
            },
            ticket,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_pass_the_contract() {
        let a = new_numero();
        assert!(a.as_str().starts_with("PED-"));
        assert_eq!(a.as_str().len(), "PED-20241201-".len() + 10);
        assert_ne!(a, new_numero());
    }

    #[test]
    fn names_the_field_at_fault() {
        let c = || ClienteInput {
            nombre: "Ana".into(),
            apellido: "Paz".into(),
            email: "ana@example.com".into(),
            telefono: "".into(),
        };
        let ok = [(json!(1), json!(2))];
        assert!(Checkout::parse(c(), "Calle 1", "efectivo", "", &ok, None).is_ok());
        let err = |r: Result<Checkout, FieldError>| r.unwrap_err().field;
        assert_eq!(err(Checkout::parse(c(), "", "efectivo", "", &ok, None)), "direccion");
        assert_eq!(err(Checkout::parse(c(), "C", "bitcoin", "", &ok, None)), "metodo_pago");
        assert_eq!(err(Checkout::parse(c(), "C", "efectivo", "", &[], None)), "items");
        assert_eq!(err(Checkout::parse(c(), "C", "efectivo", "", &[(json!(1), json!(0))], None)), "items[0].cantidad");
        assert_eq!(err(Checkout::parse(c(), "C", "efectivo", "", &[(json!(1), json!(-2))], None)), "items[0].cantidad");
        assert_eq!(
            err(Checkout::parse(c(), "C", "efectivo", "", &[(json!("x"), json!(1))], None)),
            "items[0].producto_id"
        );
        let mut bad = c();
        bad.email = "nope".into();
        assert_eq!(err(Checkout::parse(bad, "C", "efectivo", "", &ok, None)), "cliente.email");
    }
}
