//! A checkout as typed (form or JSON) and as validated ([`Checkout`]), and
//! the ticket it becomes for Tickets (the seed's step-2 body).
//!
//! Prices and totals always come from the catalogue inside the checkout's
//! transaction; nothing here carries money from a client.

use belgrano_contract::ticket::{Cobro, EntregaTicket, FranjaTicket, NuevoTicket, Numero, Producto as TicketProducto};
use belgrano_contract::{Centavos, Estado, FieldError, MetodoPago, Prioridad, TipoCliente};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::carrito::{Carrito, MAX_CANTIDAD};
use super::entrega::{Ajustes, BARRIO_POR_DEFECTO, DIAS_OFRECIDOS, Direccion, TurnoId};
use super::pedido::{Cliente, EntregaPedida, NuevoPedido, PlacedPedido};
use super::usuario::{self, Usuario};

/// The address as sent: an old client's flat text, or the structured one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DireccionInput {
    Texto(String),
    Estructurada(Direccion),
}

impl Default for DireccionInput {
    fn default() -> Self {
        DireccionInput::Texto(String::new())
    }
}

/// Why a checkout's delivery cannot be served, before any stock is taken.
#[derive(Debug, Clone)]
pub enum EntregaError {
    /// 400: a value that can never be right (a barrio not served).
    Invalid(FieldError),
    /// 409: right once, not now (the window closed).
    Conflict(FieldError),
}

fn barrios(ajustes: &Ajustes) -> String {
    ajustes.zonas.iter().map(|z| z.barrio.as_str()).collect::<Vec<_>>().join(", ")
}

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
    pub direccion: DireccionInput,
    pub metodo_pago: String,
    pub notas: String,
    pub items: Vec<ItemInput>,
    /// `"<franja_id>@<YYYY-MM-DD>"`; empty: the earliest window open.
    pub franja_id: String,
    /// What a cash payer pays with, in pesos as typed; empty for none.
    pub paga_con: String,
}

/// A validated checkout.
#[derive(Debug, Clone)]
pub struct Checkout {
    pub cliente: Cliente,
    /// The one-line address (the flat text, or the structured one rendered).
    pub direccion: String,
    /// `None` for a flat text.
    pub direccion_estructurada: Option<Direccion>,
    pub franja_id: Option<TurnoId>,
    pub paga_con: Option<Centavos>,
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
        let CheckoutInput { cliente, direccion, metodo_pago, notas, items, franja_id, paga_con } = input;
        let nombre = usuario::text("cliente.nombre", &cliente.nombre, true, 100)?;
        let apellido = usuario::text("cliente.apellido", &cliente.apellido, false, 100)?;
        let email = usuario::email("cliente.email", &cliente.email)?.into_string();
        let telefono = usuario::text("cliente.telefono", &cliente.telefono, false, 50)?;
        let (direccion, direccion_estructurada) = match direccion {
            DireccionInput::Texto(t) => (usuario::text("direccion", &t, true, 300)?, None),
            DireccionInput::Estructurada(d) => {
                let d = Direccion::parse(d, "direccion")?;
                (d.una_linea(), Some(d))
            }
        };
        let metodo_pago: MetodoPago = metodo_pago.trim().parse().map_err(|e| FieldError::new("metodo_pago", e))?;
        let franja_id = match franja_id.trim() {
            "" => None,
            id => Some(TurnoId::parse(id).ok_or_else(|| {
                FieldError::new("franja_id", "debe ser el id de una franja ofrecida (\"<franja>@<AAAA-MM-DD>\")")
            })?),
        };
        // The house's one reading of an amount in pesos ("10000", "$ 10.000", "10.000,50").
        let paga_con = match paga_con.trim() {
            "" => None,
            raw => Some(super::catalogo::parse_pesos("paga_con", raw)?),
        };
        // Change only matters when paying cash.
        let paga_con = paga_con.filter(|_| metodo_pago == MetodoPago::Efectivo);
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
            direccion_estructurada,
            franja_id,
            paga_con,
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

    /// The delivery asked for against the settings at `now`: the barrio's
    /// zone (a flat text is priced at [`BARRIO_POR_DEFECTO`] and exempt from
    /// the minimum) and the window (the one chosen, which must still be open;
    /// without one, every open window of the next days, earliest first).
    pub fn entrega(&self, ajustes: &Ajustes, now: DateTime<Utc>) -> Result<EntregaPedida, EntregaError> {
        let (zona, exige_minimo) = match &self.direccion_estructurada {
            Some(d) => {
                let zona = ajustes.zona(&d.barrio).ok_or_else(|| {
                    EntregaError::Invalid(FieldError::new(
                        "direccion.barrio",
                        format!("no llegamos a '{}'; barrios con envío: {}", d.barrio, barrios(ajustes)),
                    ))
                })?;
                (zona.clone(), true)
            }
            None => {
                let zona = ajustes.zona(BARRIO_POR_DEFECTO).or_else(|| ajustes.zonas.first()).ok_or_else(|| {
                    EntregaError::Conflict(FieldError::new("direccion", "por ahora no hay barrios con envío"))
                })?;
                (zona.clone(), false)
            }
        };
        let turnos = match self.franja_id {
            Some(id) => {
                let turno = ajustes
                    .turno(&id)
                    .ok_or_else(|| EntregaError::Invalid(FieldError::new("franja_id", "no es una de las ofrecidas")))?;
                if turno.cerrado(now) {
                    return Err(EntregaError::Conflict(FieldError::new(
                        "franja_id",
                        format!("la franja del {} ya cerró; elegí otra", turno.etiqueta()),
                    )));
                }
                vec![turno]
            }
            None => ajustes.turnos(now, DIAS_OFRECIDOS).into_iter().filter(|t| !t.cerrado(now)).collect(),
        };
        let mut direccion = self.direccion_estructurada.clone();
        if let Some(d) = &mut direccion {
            // As the zone spells it.
            d.barrio = zona.barrio.clone();
        }
        Ok(EntregaPedida { zona, turnos, exige_minimo, direccion })
    }

    /// The order to commit under `numero`, delivered as `entrega` says.
    pub fn pedido(&self, numero: &Numero, entrega: EntregaPedida) -> NuevoPedido {
        let direccion = match &entrega.direccion {
            Some(d) => d.una_linea(),
            None => self.direccion.clone(),
        };
        NuevoPedido {
            entrega,
            paga_con: self.paga_con,
            numero: numero.clone(),
            usuario_id: self.usuario_id,
            sesion: self.sesion.clone(),
            cliente: self.cliente.clone(),
            direccion,
            metodo_pago: self.metodo_pago,
            notas: self.notas.clone(),
            tipo_cliente: self.tipo_cliente,
            items: self.items.clone(),
        }
    }

    /// The seed's step-2 body for this order, with the prices just reserved
    /// (`barrio`: the zone it was priced at).
    pub fn ticket(&self, numero: &Numero, barrio: &str, placed: &PlacedPedido) -> NuevoTicket {
        let productos = placed
            .lines
            .iter()
            .map(|l| {
                let mut extra = Map::new();
                extra.insert("negocio".into(), Value::String(l.negocio_id.clone()));
                extra.insert("negocio_nombre".into(), Value::String(l.negocio_nombre.clone()));
                extra.insert("categoria".into(), Value::String(l.categoria.clone()));
                if let Some((id, nombre, direccion)) = &l.sucursal {
                    extra.insert("sucursal".into(), json!({"id": id, "nombre": nombre, "direccion": direccion}));
                }
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
        let direccion = match &self.direccion_estructurada {
            Some(d) => {
                let mut d = d.clone();
                d.barrio = barrio.to_owned();
                d.una_linea()
            }
            None => self.direccion.clone(),
        };
        let vuelto = self.paga_con.filter(|p| *p >= placed.total).map(|p| Centavos(p.0 - placed.total.0));
        NuevoTicket {
            numero: numero.clone(),
            cliente_nombre: self.cliente_nombre(),
            cliente_direccion: non_empty(&direccion),
            entrega: Some(EntregaTicket {
                barrio: barrio.to_owned(),
                franja: FranjaTicket { desde: placed.turno.desde(), hasta: placed.turno.hasta() },
                costo_envio: placed.costo_envio,
            }),
            cobro: Some(Cobro { metodo: self.metodo_pago, monto: placed.total, paga_con: self.paga_con, vuelto }),
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
                direccion: DireccionInput::Texto(direccion.into()),
                metodo_pago: metodo_pago.into(),
                notas: notas.into(),
                items: items.to_vec(),
                ..Default::default()
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
