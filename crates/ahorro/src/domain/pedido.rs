//! The order (pedido): what a checkout commits ([`NuevoPedido`]), what the
//! commit reserved ([`PlacedPedido`]), and the order as stored and shown
//! ([`Pedido`]) with the state of its ticket and of its delivery to Tickets.

use std::fmt;
use std::str::FromStr;

use belgrano_contract::ticket::Numero;
use belgrano_contract::{Centavos, Estado, MetodoPago, TipoCliente};
use chrono::{DateTime, Utc};
use rand::Rng;

use super::entrega::{Direccion, Entrega, Turno, Zona};
use super::hora::local;
use super::usuario::Usuario;

/// A fresh order number: `PED-YYYYMMDD-` and ten random letters or digits
/// (32^10 per day; the unique index catches the impossible collision and
/// the checkout draws again).
pub fn new_numero() -> Numero {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    let suffix: String = (0..10).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect();
    let numero = format!("PED-{}-{suffix}", Utc::now().format("%Y%m%d"));
    Numero::parse(&numero).expect("a generated numero is valid")
}

/// Who a pedido is for: the customer's contact data (as typed, until the
/// checkout validates it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cliente {
    pub nombre: String,
    pub apellido: String,
    pub email: String,
    pub telefono: String,
}

impl Cliente {
    pub fn from_usuario(u: &Usuario) -> Self {
        Self {
            nombre: u.nombre.clone(),
            apellido: u.apellido.clone(),
            email: u.email.clone(),
            telefono: u.telefono.clone(),
        }
    }

    pub fn nombre_completo(&self) -> String {
        format!("{} {}", self.nombre, self.apellido).trim().to_owned()
    }
}

/// What a checkout asks the store to commit.
#[derive(Debug, Clone)]
pub struct NuevoPedido {
    pub numero: Numero,
    pub usuario_id: Option<i64>,
    /// The placing visitor's token hash, for a guest.
    pub sesion: Option<String>,
    pub cliente: Cliente,
    pub direccion: String,
    pub metodo_pago: MetodoPago,
    pub notas: String,
    pub tipo_cliente: TipoCliente,
    /// (producto_id, cantidad), one line per product.
    pub items: Vec<(i64, i64)>,
    /// Where and when it is delivered.
    pub entrega: EntregaPedida,
    /// What a cash payer pays with (the courier brings change).
    pub paga_con: Option<Centavos>,
}

/// The delivery a checkout asks for (checked in the transaction: the
/// minimum against the subtotal, a place in the window, `paga_con`
/// against the total).
#[derive(Debug, Clone)]
pub struct EntregaPedida {
    pub zona: Zona,
    /// The windows to try, in order, for the first with a place left: the
    /// customer's one, or every open one (earliest first) for an old
    /// client's flat address.
    pub turnos: Vec<Turno>,
    /// Whether the zone's minimum applies (not to old clients, who cannot
    /// know it).
    pub exige_minimo: bool,
    /// `None` for a flat address text.
    pub direccion: Option<Direccion>,
}

/// A product line as reserved: the current catalogue price, and where
/// dispatch picks it up.
#[derive(Debug, Clone)]
pub struct ReservedLine {
    pub producto_id: i64,
    pub nombre: String,
    pub negocio_id: String,
    pub cantidad: i64,
    pub precio: Centavos,
    pub negocio_nombre: String,
    pub categoria: String,
    /// (id, nombre, direccion) of the product's first branch, if any.
    pub sucursal: Option<(String, String, String)>,
}

impl ReservedLine {
    pub fn subtotal(&self) -> Centavos {
        self.precio * self.cantidad
    }
}

/// A committed order: its id, when, the total and the priced lines in the
/// customer's order.
#[derive(Debug, Clone)]
pub struct PlacedPedido {
    pub pedido_id: i64,
    pub fecha: DateTime<Utc>,
    /// Subtotal plus delivery.
    pub total: Centavos,
    pub subtotal: Centavos,
    pub costo_envio: Centavos,
    /// The window it got a place in.
    pub turno: Turno,
    pub lines: Vec<ReservedLine>,
}

/// Where the order's delivery to Tickets is (its outbox row's `status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Waiting for its first attempt or a retry.
    Pending,
    Delivered,
    /// Refused for good; an administrator looks at it.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }
}

impl fmt::Display for DeliveryStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DeliveryStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "pending" => Ok(DeliveryStatus::Pending),
            "delivered" => Ok(DeliveryStatus::Delivered),
            "failed" => Ok(DeliveryStatus::Failed),
            other => Err(format!("estado de envío desconocido '{other}'")),
        }
    }
}

/// An order as stored, with its lines and the state of its delivery.
#[derive(Debug, Clone)]
pub struct Pedido {
    pub id: i64,
    pub numero: Numero,
    pub usuario_id: Option<i64>,
    pub sesion: Option<String>,
    pub cliente: Cliente,
    pub direccion: String,
    pub metodo_pago: MetodoPago,
    pub notas: String,
    pub tipo_cliente: TipoCliente,
    pub total: Centavos,
    /// The order's own state: `pendiente` from the checkout on (the
    /// ticket's state is [`Pedido::ticket_estado`]).
    pub estado: Estado,
    pub fecha: DateTime<Utc>,
    pub ticket_id: Option<i64>,
    /// The ticket's state as Tickets last reported it; `None` until then.
    pub ticket_estado: Option<Estado>,
    pub ticket_fecha_creacion: Option<DateTime<Utc>>,
    pub repartidor: Option<String>,
    pub fecha_actualizacion: DateTime<Utc>,
    /// The delivery to Tickets; `None` only for an order without outbox row.
    pub envio: Option<DeliveryStatus>,
    pub items: Vec<PedidoItem>,
    /// Window, barrio and cost; `None` for orders from before delivery
    /// windows existed.
    pub entrega: Option<Entrega>,
    pub paga_con: Option<Centavos>,
    /// Failed delivery attempts Tickets reported, and the last one's reason.
    pub intentos_fallidos: i64,
    pub motivo_intento: Option<String>,
}

#[derive(Debug, Clone)]
pub struct PedidoItem {
    pub producto_id: i64,
    pub nombre: String,
    pub cantidad: i64,
    pub precio_unitario: Centavos,
    pub subtotal: Centavos,
}

impl Pedido {
    pub fn cliente_nombre(&self) -> String {
        self.cliente.nombre_completo()
    }

    pub fn total_ars(&self) -> String {
        self.total.format_ars()
    }

    /// The order date in Buenos Aires time.
    pub fn fecha_local(&self) -> String {
        local(self.fecha)
    }

    /// The ticket's state for people; `Pendiente` until Tickets confirmed it.
    pub fn estado_label(&self) -> &'static str {
        self.ticket_estado.unwrap_or(Estado::Pendiente).label()
    }

    /// The reason of the failed attempt the order is being rescheduled
    /// after, if it is (see [`no_entregado`]).
    pub fn no_entregado(&self) -> Option<&str> {
        no_entregado(self.ticket_estado, self.intentos_fallidos, self.motivo_intento.as_deref())
    }

    pub fn envio_fallido(&self) -> bool {
        self.envio == Some(DeliveryStatus::Failed)
    }

    /// The change a cash payer gets back.
    pub fn vuelto(&self) -> Option<Centavos> {
        self.paga_con.filter(|p| *p >= self.total).map(|p| Centavos(p.0 - self.total.0))
    }

    /// "jueves 3/12, de 15:00 a 18:00", when the order has a window.
    pub fn entrega_en_palabras(&self) -> Option<String> {
        self.entrega.as_ref().map(Entrega::franja_en_palabras)
    }

    /// "$ 1.500", "Envío gratis", or `None` for an order without window.
    pub fn envio_en_palabras(&self) -> Option<String> {
        self.entrega.as_ref().map(Entrega::costo_en_palabras)
    }

    /// The payment in words: "Efectivo, pagás con $ 10.000 (vuelto $ 1.250)",
    /// "Mercado Pago".
    pub fn pago_en_palabras(&self) -> String {
        pago_en_palabras(self.metodo_pago, self.total, self.paga_con)
    }
}

/// See [`Pedido::pago_en_palabras`].
pub fn pago_en_palabras(metodo: MetodoPago, total: Centavos, paga_con: Option<Centavos>) -> String {
    match paga_con {
        Some(p) if metodo == MetodoPago::Efectivo && p.0 > total.0 => format!(
            "{}, pagás con {} (vuelto {})",
            metodo.label(),
            p.format_ars(),
            Centavos(p.0 - total.0).format_ars()
        ),
        Some(p) if metodo == MetodoPago::Efectivo => {
            format!("{}, pagás con {} (justo)", metodo.label(), p.format_ars())
        }
        _ => metodo.label().to_owned(),
    }
}

impl PedidoItem {
    pub fn subtotal_ars(&self) -> String {
        self.subtotal.format_ars()
    }
}

/// A ticket's state as Tickets reported it to `POST /api/tickets`: its
/// versioned `ticket_actualizado`, or an old client's plain
/// `{numero, estado, repartidor}`.
#[derive(Debug, Clone)]
pub struct TicketUpdate {
    pub numero: String,
    pub ticket_id: Option<i64>,
    pub estado: Estado,
    pub repartidor: Option<String>,
    /// Only Tickets' updates have one.
    pub versioned: Option<Versioned>,
}

/// What a versioned update adds: it applies only if newer than the one the
/// order holds (updates may arrive late or twice), with its moments.
#[derive(Debug, Clone)]
pub struct Versioned {
    pub version: i64,
    pub fecha_en_camino: Option<DateTime<Utc>>,
    pub fecha_entrega: Option<DateTime<Utc>>,
    pub motivo_cancelacion: Option<String>,
    /// Failed attempts so far; `None` from senders that do not count them.
    pub intentos_fallidos: Option<u32>,
    pub motivo_intento: Option<String>,
}

/// "No pudimos entregarlo": an order back to `pendiente` after a failed
/// attempt shows the attempt's reason until it moves on.
pub fn no_entregado(ticket_estado: Option<Estado>, intentos: i64, motivo: Option<&str>) -> Option<&str> {
    (intentos > 0 && ticket_estado == Some(Estado::Pendiente)).then_some(motivo).flatten()
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
    fn payment_in_words() {
        let t = Centavos(875_000);
        assert_eq!(
            pago_en_palabras(MetodoPago::Efectivo, t, Some(Centavos(1_000_000))),
            "Efectivo, pagás con $ 10.000 (vuelto $ 1.250)"
        );
        assert_eq!(pago_en_palabras(MetodoPago::Efectivo, t, None), "Efectivo");
        assert_ne!(pago_en_palabras(MetodoPago::Mercadopago, t, None), "mercadopago");
    }
}

/// What a guest types at `/buscar-pedido` to find an order again: its
/// number (trimmed) and the e-mail it was placed with (trimmed, lower-case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Busqueda {
    pub numero: Numero,
    pub email: belgrano_contract::Email,
}

impl Busqueda {
    /// Every field's error at once, so each is shown beside its field.
    pub fn parse(numero: &str, email: &str) -> Result<Self, Vec<belgrano_contract::FieldError>> {
        use belgrano_contract::FieldError;
        let numero = Numero::parse(numero).map_err(|e| FieldError::new("numero", e));
        let email = crate::domain::usuario::email("email", email);
        match (numero, email) {
            (Ok(numero), Ok(email)) => Ok(Self { numero, email }),
            (numero, email) => Err([numero.err(), email.err()].into_iter().flatten().collect()),
        }
    }

    /// Whether `pedido` is the order looked for: the same number and the
    /// e-mail it was placed with, in any case. An order whose e-mail was
    /// erased (a deleted account's) matches nothing.
    pub fn matches(&self, pedido: &Pedido) -> bool {
        let stored = pedido.cliente.email.trim();
        pedido.numero == self.numero && !stored.is_empty() && stored.to_lowercase() == self.email.as_str()
    }
}
