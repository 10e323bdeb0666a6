//! A checkout as typed (form or JSON) and as validated ([`Checkout`]), and
//! the ticket it becomes for Tickets (the seed's step-2 body).
//!
//! Prices and totals always come from the catalogue inside the checkout's
//! transaction; nothing here carries money from a client.

use belgrano_contract::ticket::{NuevoTicket, Numero, Producto as TicketProducto};
use belgrano_contract::{Estado, FieldError, MetodoPago, Prioridad, TipoCliente};
use serde_json::{Map, Value, json};

use super::carrito::{Carrito, MAX_CANTIDAD};
use super::pedido::{Cliente, NuevoPedido, PlacedPedido};
use super::usuario::{self, Usuario};

/// Most distinct products in one order.
pub const MAX_ITEMS: usize = 100;

/// One line as asked for; `None` where what was sent is not an integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemInput {
    pub producto_id: Option<i64>,
    pub cantidad: Option<i64>,
}

impl ItemInput {
    /// A cart's lines as checkout items (quantities as the customer chose;
    /// the transaction checks them against stock).
    pub fn from_carrito(carrito: &Carrito) -> Vec<ItemInput> {
        carrito
            .items
            .iter()
            .map(|i| ItemInput { producto_id: Some(i.producto_id), cantidad: Some(i.cantidad) })
            .collect()
    }
}

/// Everything a checkout asks for, before validation.
#[derive(Debug, Clone, Default)]
pub struct CheckoutInput {
    pub cliente: Cliente,
    pub direccion: String,
    pub metodo_pago: String,
    pub notas: String,
    pub items: Vec<ItemInput>,
}

/// A validated checkout.
#[derive(Debug, Clone)]
pub struct Checkout {
    pub cliente: Cliente,
    pub direccion: String,
    pub metodo_pago: MetodoPago,
    pub notas: String,
    /// (producto_id, cantidad), one line per product.
    pub items: Vec<(i64, i64)>,
    pub usuario_id: Option<i64>,
    pub tipo_cliente: TipoCliente,
    /// A guest's visitor token hash (they may see the order from it).
    pub sesion: Option<String>,
}

impl Checkout {
    /// Validates everything but stock (checked in the transaction). Field
    /// names follow the JSON API (`cliente.email`, `items[0].cantidad`).
    pub fn parse(input: CheckoutInput, usuario: Option<&Usuario>) -> Result<Self, FieldError> {
        let CheckoutInput { cliente, direccion, metodo_pago, notas, items } = input;
        let nombre = usuario::text("cliente.nombre", &cliente.nombre, true, 100)?;
        let apellido = usuario::text("cliente.apellido", &cliente.apellido, false, 100)?;
        let email = usuario::email("cliente.email", &cliente.email)?.into_string();
        let telefono = usuario::text("cliente.telefono", &cliente.telefono, false, 50)?;
        let direccion = usuario::text("direccion", &direccion, true, 300)?;
        let metodo_pago: MetodoPago = metodo_pago.trim().parse().map_err(|e| FieldError::new("metodo_pago", e))?;
        let notas = usuario::text("notas", &notas, false, 1000)?;
        if items.is_empty() {
            return Err(FieldError::new("items", "el carrito está vacío"));
        }
        if items.len() > MAX_ITEMS {
            return Err(FieldError::new("items", format!("admite hasta {MAX_ITEMS} productos distintos")));
        }
        let mut lines: Vec<(i64, i64)> = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let id = item
                .producto_id
                .filter(|id| *id > 0)
                .ok_or_else(|| FieldError::new(format!("items[{i}].producto_id"), "debe ser un id de producto"))?;
            let cantidad = item
                .cantidad
                .filter(|q| (1..=MAX_CANTIDAD).contains(q))
                .ok_or_else(|| FieldError::new(format!("items[{i}].cantidad"), "debe ser un entero entre 1 y 999"))?;
            match lines.iter_mut().find(|(p, _)| *p == id) {
                Some((_, q)) => *q += cantidad,
                None => lines.push((id, cantidad)),
            }
        }
        Ok(Self {
            cliente: Cliente { nombre, apellido, email, telefono },
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
        self.cliente.nombre_completo()
    }

    /// The order to commit under `numero`.
    pub fn pedido(&self, numero: &Numero) -> NuevoPedido {
        NuevoPedido {
            numero: numero.clone(),
            usuario_id: self.usuario_id,
            sesion: self.sesion.clone(),
            cliente: self.cliente.clone(),
            direccion: self.direccion.clone(),
            metodo_pago: self.metodo_pago,
            notas: self.notas.clone(),
            tipo_cliente: self.tipo_cliente,
            items: self.items.clone(),
        }
    }

    /// The seed's step-2 body for this order, with the prices just reserved.
    pub fn ticket(&self, numero: &Numero, placed: &PlacedPedido) -> NuevoTicket {
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
                    subtotal: Some(l.subtotal().pesos()),
                    extra,
                }
            })
            .collect();
        let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        NuevoTicket {
            numero: numero.clone(),
            cliente_nombre: self.cliente_nombre(),
            cliente_direccion: non_empty(&self.direccion),
            cliente_telefono: non_empty(&self.cliente.telefono),
            cliente_email: non_empty(&self.cliente.email),
            productos,
            total: placed.total,
            metodo_pago: Some(self.metodo_pago),
            indicaciones: non_empty(&self.notas),
            estado: Estado::Pendiente,
            prioridad: self.tipo_cliente.forced_prioridad().unwrap_or(Prioridad::Normal),
            tipo_cliente: self.tipo_cliente,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_field_at_fault() {
        let c = || Cliente {
            nombre: "Ana".into(),
            apellido: "Paz".into(),
            email: "ana@example.com".into(),
            telefono: "".into(),
        };
        // (producto_id, cantidad) as sent; `None`: not an integer (`"x"`).
        let item = |id: Option<i64>, cantidad: Option<i64>| ItemInput { producto_id: id, cantidad };
        let parse = |cliente: Cliente, direccion: &str, metodo_pago: &str, notas: &str, items: &[ItemInput]| {
            let input = CheckoutInput {
                cliente,
                direccion: direccion.into(),
                metodo_pago: metodo_pago.into(),
                notas: notas.into(),
                items: items.to_vec(),
            };
            Checkout::parse(input, None)
        };
        let ok = [item(Some(1), Some(2))];
        assert!(parse(c(), "Calle 1", "efectivo", "", &ok).is_ok());
        let err = |r: Result<Checkout, FieldError>| r.unwrap_err().field;
        assert_eq!(err(parse(c(), "", "efectivo", "", &ok)), "direccion");
        assert_eq!(err(parse(c(), "C", "bitcoin", "", &ok)), "metodo_pago");
        assert_eq!(err(parse(c(), "C", "efectivo", "", &[])), "items");
        assert_eq!(err(parse(c(), "C", "efectivo", "", &[item(Some(1), Some(0))])), "items[0].cantidad");
        assert_eq!(err(parse(c(), "C", "efectivo", "", &[item(Some(1), Some(-2))])), "items[0].cantidad");
        assert_eq!(err(parse(c(), "C", "efectivo", "", &[item(None, Some(1))])), "items[0].producto_id");
        let mut bad = c();
        bad.email = "nope".into();
        assert_eq!(err(parse(bad, "C", "efectivo", "", &ok)), "cliente.email");
    }
}
