//! The ticket lifecycle's rules: what may change, who may change it, and
//! what each change leaves behind (history lines, live events, the status
//! update for Ahorro).
//!
//! `pendiente → en-preparacion → en-camino → entregado`, and any non-final
//! state → `cancelado`. `entregado` and `cancelado` are final. The same
//! rules hold for the pages and the API, because both come through
//! [`crate::lifecycle::Lifecycle`].
//!
//! [`plan_change`] is pure: it decides. The store applies the plan in one
//! transaction (ticket row, events, notify outbox); then the lifecycle
//! service broadcasts the events and wakes the notify worker.

use belgrano_contract::events::{TICKET_ACTUALIZADO, TICKET_ASIGNADO, TicketEliminadoEvent, TicketEvent};
use belgrano_contract::ticket::{EVENTO_ACTUALIZACION, Ticket, TicketActualizacion};
use belgrano_contract::validation::check_text;
use belgrano_contract::{Estado, FieldError, Prioridad};
use belgrano_platform::db::StoreError;
use chrono::{DateTime, Utc};

use super::usuario::Actor;

/// A requested change: a new state and/or a new courier.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TicketChange {
    pub estado: Option<Estado>,
    pub repartidor: Option<CourierChoice>,
    /// Why it was cancelled (required to cancel from a page or by a courier).
    pub motivo: Option<String>,
    /// The courier's note on delivery.
    pub nota: Option<String>,
    /// Dispatchers' edits (a customer's call): none when `None`.
    pub prioridad: Option<Prioridad>,
    /// `Some(None)` clears them.
    pub indicaciones: Option<Option<String>>,
    pub cliente_direccion: Option<String>,
}

impl TicketChange {
    fn edits(&self) -> bool {
        self.prioridad.is_some() || self.indicaciones.is_some() || self.cliente_direccion.is_some()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CourierChoice {
    Assign(i64),
    Unassign,
}

#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error("ticket no encontrado")]
    NotFound,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("No se puede pasar de '{from}' a '{to}': {hint}")]
    InvalidTransition { from: Estado, to: Estado, hint: String },
    #[error("El ticket ya está {0}: no admite más cambios")]
    Final(Estado),
    #[error("El repartidor no existe o está inactivo")]
    UnknownCourier,
    #[error("Indique el motivo")]
    MotivoRequerido,
    #[error("No se pidió ningún cambio")]
    NothingToChange,
    /// A failed attempt is only for a ticket on its way.
    #[error("Solo un ticket en camino puede tener un intento fallido; este está {}", .0.label())]
    IntentoNoEnCamino(Estado),
    /// A text that cannot be stored (see `belgrano_contract::validation::check_text`).
    #[error("{}", .0.message)]
    Invalid(FieldError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One event a change records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedEvent {
    pub kind: &'static str,
    /// For people, in the history.
    pub detail: String,
    pub anterior_repartidor_id: Option<i64>,
}

/// The ticket's new values after a change.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangePlan {
    pub estado: Estado,
    pub repartidor: Option<(i64, String)>,
    pub fecha_asignacion: Option<DateTime<Utc>>,
    pub fecha_en_camino: Option<DateTime<Utc>>,
    pub fecha_entrega: Option<DateTime<Utc>>,
    pub motivo_cancelacion: Option<String>,
    pub notas_repartidor: Option<String>,
    pub intentos_fallidos: u32,
    pub motivo_intento: Option<String>,
    pub prioridad: Prioridad,
    pub indicaciones: Option<String>,
    pub cliente_direccion: Option<String>,
    pub events: Vec<PlannedEvent>,
}

impl ChangePlan {
    /// The ticket as the plan leaves it, written at `now`: what the row
    /// holds after [`crate::store`] writes the plan (one more version), so
    /// the store need not read it back.
    pub fn ticket_after(&self, current: &Ticket, now: DateTime<Utc>) -> Ticket {
        Ticket {
            estado: self.estado,
            repartidor_id: self.repartidor.as_ref().map(|(id, _)| *id),
            repartidor: self.repartidor.as_ref().map(|(_, nombre)| nombre.clone()),
            fecha_asignacion: self.fecha_asignacion,
            fecha_en_camino: self.fecha_en_camino,
            fecha_entrega: self.fecha_entrega,
            motivo_cancelacion: self.motivo_cancelacion.clone(),
            notas_repartidor: self.notas_repartidor.clone(),
            intentos_fallidos: self.intentos_fallidos,
            motivo_intento: self.motivo_intento.clone(),
            prioridad: self.prioridad,
            indicaciones: self.indicaciones.clone(),
            cliente_direccion: self.cliente_direccion.clone(),
            version: current.version + 1,
            fecha_actualizacion: now,
            ..current.clone()
        }
    }
}

/// The history kind of a failed attempt. Live it goes out as
/// `ticket_asignado` (see [`live_kind`]): boards and couriers already move a
/// card on it, and it carries who had the ticket, so their view drops it.
pub const INTENTO_FALLIDO: &str = "intento_fallido";

/// Longest `motivo` of a failed attempt.
pub const MOTIVO_INTENTO_MAX: usize = 500;

/// The live event name of a recorded kind (clients know the card events only).
pub fn live_kind(kind: &str) -> &str {
    if kind == INTENTO_FALLIDO { TICKET_ASIGNADO } else { kind }
}

/// The plan that keeps a ticket as it is (each change edits what it changes).
fn unchanged(current: &Ticket) -> ChangePlan {
    ChangePlan {
        estado: current.estado,
        repartidor: current.repartidor_id.zip(current.repartidor.clone()),
        fecha_asignacion: current.fecha_asignacion,
        fecha_en_camino: current.fecha_en_camino,
        fecha_entrega: current.fecha_entrega,
        motivo_cancelacion: current.motivo_cancelacion.clone(),
        notas_repartidor: current.notas_repartidor.clone(),
        intentos_fallidos: current.intentos_fallidos,
        motivo_intento: current.motivo_intento.clone(),
        prioridad: current.prioridad,
        indicaciones: current.indicaciones.clone(),
        cliente_direccion: current.cliente_direccion.clone(),
        events: Vec::new(),
    }
}

/// Decides a failed delivery attempt: the ticket goes back to `pendiente`
/// without a courier (to be dispatched again), counting the attempt and
/// keeping its reason. Not a state change of the machine: `PATCH` still
/// refuses `en-camino → pendiente`.
pub fn plan_intento_fallido(current: &Ticket, motivo: &str, actor: &Actor) -> Result<ChangePlan, ChangeError> {
    if let Actor::Courier { id, .. } = actor
        && current.repartidor_id != Some(*id)
    {
        return Err(ChangeError::NotFound);
    }
    let motivo = motivo.trim();
    if motivo.is_empty() {
        return Err(ChangeError::MotivoRequerido);
    }
    check_text("motivo", motivo).map_err(ChangeError::Invalid)?;
    if motivo.chars().count() > MOTIVO_INTENTO_MAX {
        return Err(ChangeError::Invalid(FieldError::new(
            "motivo",
            format!("no puede superar {MOTIVO_INTENTO_MAX} caracteres"),
        )));
    }
    if current.estado != Estado::EnCamino {
        return Err(ChangeError::IntentoNoEnCamino(current.estado));
    }
    let mut plan = unchanged(current);
    plan.estado = Estado::Pendiente;
    plan.repartidor = None;
    plan.fecha_asignacion = None;
    plan.fecha_en_camino = None;
    plan.intentos_fallidos = current.intentos_fallidos.saturating_add(1);
    plan.motivo_intento = Some(motivo.to_owned());
    plan.events.push(PlannedEvent {
        kind: INTENTO_FALLIDO,
        detail: format!("Intento fallido: {motivo}"),
        anterior_repartidor_id: current.repartidor_id,
    });
    Ok(plan)
}

/// Decides a change. `new_courier` is the account named by
/// `CourierChoice::Assign`, already looked up (active couriers only).
pub fn plan_change(
    current: &Ticket,
    change: &TicketChange,
    actor: &Actor,
    new_courier: Option<(i64, String)>,
    now: DateTime<Utc>,
) -> Result<ChangePlan, ChangeError> {
    if let Actor::Courier { id, .. } = actor {
        // A courier cannot even learn that another courier's ticket exists.
        if current.repartidor_id != Some(*id) {
            return Err(ChangeError::NotFound);
        }
        if change.repartidor.is_some() {
            return Err(ChangeError::Forbidden("Un repartidor no puede reasignar tickets"));
        }
        if change.edits() {
            return Err(ChangeError::Forbidden(
                "Un repartidor no puede editar la prioridad, las indicaciones ni la dirección",
            ));
        }
    }
    if change.estado.is_none() && change.repartidor.is_none() && !change.edits() {
        return Err(ChangeError::NothingToChange);
    }
    let edited = [
        ("indicaciones", change.indicaciones.clone().flatten()),
        ("cliente_direccion", change.cliente_direccion.clone()),
    ];
    for (field, text) in
        [("motivo", &change.motivo), ("nota", &change.nota), (edited[0].0, &edited[0].1), (edited[1].0, &edited[1].1)]
    {
        if let Some(text) = text {
            check_text(field, text).map_err(ChangeError::Invalid)?;
        }
    }
    if current.estado.is_final() {
        return Err(ChangeError::Final(current.estado));
    }

    let mut plan = unchanged(current);

    if let Some(choice) = change.repartidor {
        let previous = current.repartidor_id;
        let next = match choice {
            CourierChoice::Assign(id) => {
                Some(new_courier.filter(|(found, _)| *found == id).ok_or(ChangeError::UnknownCourier)?)
            }
            CourierChoice::Unassign => None,
        };
        if next.as_ref().map(|(id, _)| *id) != previous {
            let detail = match &next {
                Some((_, nombre)) => format!("Asignado a {nombre}"),
                None => "Sin repartidor asignado".to_owned(),
            };
            plan.fecha_asignacion = next.as_ref().map(|_| now);
            plan.repartidor = next;
            plan.events.push(PlannedEvent { kind: TICKET_ASIGNADO, detail, anterior_repartidor_id: previous });
        }
    }

    if let Some(to) = change.estado {
        if !current.estado.can_become(to) {
            let hint = if to == current.estado {
                "ya está en ese estado".to_owned()
            } else {
                match current.estado.next() {
                    Some(next) => format!("el siguiente paso es '{next}' (o 'cancelado')"),
                    None => "es un estado final".to_owned(),
                }
            };
            return Err(ChangeError::InvalidTransition { from: current.estado, to, hint });
        }
        let motivo = change.motivo.as_deref().map(str::trim).filter(|m| !m.is_empty());
        let mut detail = format!("Estado: {} → {}", current.estado.label(), to.label());
        match to {
            Estado::EnCamino => plan.fecha_en_camino = Some(now),
            Estado::Entregado => {
                plan.fecha_entrega = Some(now);
                if let Some(nota) = change.nota.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
                    plan.notas_repartidor = Some(nota.to_owned());
                    detail.push_str(&format!(" (nota: {nota})"));
                }
            }
            Estado::Cancelado => {
                // People must say why; the API may cancel without a reason.
                let motivo = match (motivo, actor) {
                    (Some(m), _) => m.to_owned(),
                    (None, Actor::Service) => "cancelado por API".to_owned(),
                    (None, _) => return Err(ChangeError::MotivoRequerido),
                };
                detail.push_str(&format!(" (motivo: {motivo})"));
                plan.motivo_cancelacion = Some(motivo);
            }
            Estado::Pendiente | Estado::EnPreparacion => {}
        }
        plan.estado = to;
        plan.events.push(PlannedEvent { kind: TICKET_ACTUALIZADO, detail, anterior_repartidor_id: None });
    }
    let shown = |text: &Option<String>| text.clone().unwrap_or_else(|| "(sin datos)".to_owned());
    if let Some(prioridad) = change.prioridad.filter(|p| *p != current.prioridad) {
        let detail = format!("Prioridad: {} → {}", current.prioridad, prioridad);
        plan.prioridad = prioridad;
        plan.events.push(PlannedEvent { kind: TICKET_ACTUALIZADO, detail, anterior_repartidor_id: None });
    }
    if let Some(indicaciones) = change.indicaciones.clone().filter(|i| *i != current.indicaciones) {
        let detail = format!("Indicaciones: {} → {}", shown(&current.indicaciones), shown(&indicaciones));
        plan.indicaciones = indicaciones;
        plan.events.push(PlannedEvent { kind: TICKET_ACTUALIZADO, detail, anterior_repartidor_id: None });
    }
    if let Some(direccion) = change.cliente_direccion.clone().filter(|d| Some(d) != current.cliente_direccion.as_ref())
    {
        let detail = format!("Dirección: {} → {}", shown(&current.cliente_direccion), direccion);
        plan.cliente_direccion = Some(direccion);
        plan.events.push(PlannedEvent { kind: TICKET_ACTUALIZADO, detail, anterior_repartidor_id: None });
    }
    if plan.events.is_empty() {
        return Err(ChangeError::NothingToChange);
    }
    Ok(plan)
}

/// The board card of a ticket, as sent in live events.
pub fn card(ticket: &Ticket, seq: i64, anterior_repartidor_id: Option<i64>) -> TicketEvent {
    TicketEvent {
        seq,
        ticket_id: ticket.id,
        numero: ticket.numero.clone(),
        cliente_nombre: ticket.cliente_nombre.clone(),
        cliente_direccion: ticket.cliente_direccion.clone(),
        estado: ticket.estado,
        repartidor: ticket.repartidor.clone(),
        repartidor_id: ticket.repartidor_id,
        anterior_repartidor_id,
        prioridad: ticket.prioridad,
        tipo_cliente: ticket.tipo_cliente,
        total: ticket.total,
        productos_count: ticket.productos.len(),
        version: ticket.version,
        fecha_creacion: ticket.fecha_creacion,
        fecha_actualizacion: ticket.fecha_actualizacion,
        franja: ticket.entrega.as_ref().map(|e| e.franja.clone()),
        barrio: ticket.entrega.as_ref().map(|e| e.barrio.clone()),
        intentos_fallidos: ticket.intentos_fallidos,
        motivo_intento: ticket.motivo_intento.clone(),
    }
}

/// The status update Ahorro receives for a ticket as it now is.
pub fn status_update(ticket: &Ticket) -> TicketActualizacion {
    TicketActualizacion {
        evento: EVENTO_ACTUALIZACION.to_owned(),
        numero: ticket.numero.clone(),
        ticket_id: ticket.id,
        estado: ticket.estado,
        repartidor: ticket.repartidor.clone(),
        version: ticket.version,
        fecha_actualizacion: ticket.fecha_actualizacion,
        fecha_en_camino: ticket.fecha_en_camino,
        fecha_entrega: ticket.fecha_entrega,
        motivo_cancelacion: ticket.motivo_cancelacion.clone(),
        notas_repartidor: ticket.notas_repartidor.clone(),
        intentos_fallidos: Some(ticket.intentos_fallidos),
        motivo_intento: ticket.motivo_intento.clone(),
    }
}

/// An event recorded by the store, ready to broadcast.
#[derive(Debug, Clone)]
pub enum RecordedEvent {
    /// Boxed: a card is large and moves once, from the store to the broadcaster.
    Card {
        kind: &'static str,
        event: Box<TicketEvent>,
    },
    Deleted(TicketEliminadoEvent),
}

/// What a committed change produced.
#[derive(Debug, Clone)]
pub struct Changed {
    pub ticket: Ticket,
    pub events: Vec<RecordedEvent>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use belgrano_contract::{MetodoPago, Prioridad, TipoCliente};

    fn ticket(estado: Estado, courier: Option<i64>) -> Ticket {
        let now = Utc::now();
        Ticket {
            id: 1,
            numero: "PED-1".into(),
            cliente_nombre: "Ana".into(),
            cliente_direccion: None,
            cliente_telefono: None,
            cliente_email: None,
            productos: vec![],
            total: 10.0,
            metodo_pago: Some(MetodoPago::Efectivo),
            estado,
            prioridad: Prioridad::Normal,
            indicaciones: None,
            tipo_cliente: TipoCliente::Cliente,
            repartidor: courier.map(|id| format!("Repartidor{id}")),
            repartidor_id: courier,
            notas_repartidor: None,
            motivo_cancelacion: None,
            version: 1,
            fecha_creacion: now,
            fecha_asignacion: None,
            fecha_en_camino: None,
            fecha_entrega: None,
            fecha_actualizacion: now,
            entrega: None,
            cobro: None,
            intentos_fallidos: 0,
            motivo_intento: None,
        }
    }

    fn to(estado: Estado) -> TicketChange {
        TicketChange { estado: Some(estado), ..Default::default() }
    }

    const DISPATCHER: Actor = Actor::Service;

    #[test]
    fn steps_forward_one_at_a_time_with_timestamps() {
        let now = Utc::now();
        let plan = plan_change(&ticket(Estado::EnPreparacion, Some(1)), &to(Estado::EnCamino), &DISPATCHER, None, now)
            .unwrap();
        assert_eq!(plan.estado, Estado::EnCamino);
        assert_eq!(plan.fecha_en_camino, Some(now));
        assert_eq!(plan.events[0].kind, TICKET_ACTUALIZADO);
        let mut delivered = to(Estado::Entregado);
        delivered.nota = Some("Dejado en portería".into());
        let plan = plan_change(&ticket(Estado::EnCamino, Some(1)), &delivered, &DISPATCHER, None, now).unwrap();
        assert_eq!(plan.fecha_entrega, Some(now));
        assert_eq!(plan.notas_repartidor.as_deref(), Some("Dejado en portería"));
    }

    #[test]
    fn refuses_skips_backwards_and_final_states() {
        let now = Utc::now();
        assert!(matches!(
            plan_change(&ticket(Estado::Pendiente, None), &to(Estado::Entregado), &DISPATCHER, None, now),
            Err(ChangeError::InvalidTransition { .. })
        ));
        assert!(matches!(
            plan_change(&ticket(Estado::EnCamino, None), &to(Estado::Pendiente), &DISPATCHER, None, now),
            Err(ChangeError::InvalidTransition { .. })
        ));
        assert!(matches!(
            plan_change(&ticket(Estado::Entregado, None), &to(Estado::Cancelado), &DISPATCHER, None, now),
            Err(ChangeError::Final(Estado::Entregado))
        ));
        let reassign = TicketChange { repartidor: Some(CourierChoice::Unassign), ..Default::default() };
        assert!(matches!(
            plan_change(&ticket(Estado::Cancelado, Some(1)), &reassign, &DISPATCHER, None, now),
            Err(ChangeError::Final(_))
        ));
    }

    #[test]
    fn people_must_say_why_they_cancel() {
        let now = Utc::now();
        let courier = Actor::Courier { id: 1, nombre: "Repartidor1".into() };
        assert!(matches!(
            plan_change(&ticket(Estado::EnCamino, Some(1)), &to(Estado::Cancelado), &courier, None, now),
            Err(ChangeError::MotivoRequerido)
        ));
        let mut cancel = to(Estado::Cancelado);
        cancel.motivo = Some("No había nadie".into());
        let plan = plan_change(&ticket(Estado::EnCamino, Some(1)), &cancel, &courier, None, now).unwrap();
        assert_eq!(plan.motivo_cancelacion.as_deref(), Some("No había nadie"));
    }

    #[test]
    fn couriers_touch_only_their_own_tickets_and_never_reassign() {
        let now = Utc::now();
        let courier = Actor::Courier { id: 2, nombre: "Repartidor2".into() };
        assert!(matches!(
            plan_change(&ticket(Estado::EnPreparacion, Some(1)), &to(Estado::EnCamino), &courier, None, now),
            Err(ChangeError::NotFound)
        ));
        let reassign = TicketChange { repartidor: Some(CourierChoice::Assign(3)), ..Default::default() };
        assert!(matches!(
            plan_change(&ticket(Estado::Pendiente, Some(2)), &reassign, &courier, Some((3, "R3".into())), now),
            Err(ChangeError::Forbidden(_))
        ));
    }

    #[test]
    fn a_failed_attempt_goes_back_to_dispatch() {
        let courier = Actor::Courier { id: 1, nombre: "Repartidor1".into() };
        let mut current = ticket(Estado::EnCamino, Some(1));
        current.fecha_en_camino = Some(Utc::now());
        current.intentos_fallidos = 1;
        let plan = plan_intento_fallido(&current, "  No había nadie ", &courier).unwrap();
        assert_eq!(plan.estado, Estado::Pendiente);
        assert_eq!(plan.repartidor, None);
        assert_eq!(plan.fecha_en_camino, None);
        assert_eq!(plan.intentos_fallidos, 2);
        assert_eq!(plan.motivo_intento.as_deref(), Some("No había nadie"));
        assert_eq!(plan.events[0].kind, INTENTO_FALLIDO);
        assert_eq!(plan.events[0].detail, "Intento fallido: No había nadie");
        assert_eq!(plan.events[0].anterior_repartidor_id, Some(1));
        assert_eq!(live_kind(INTENTO_FALLIDO), TICKET_ASIGNADO);
        // Only from en-camino, only one's own, and always with a reason.
        assert!(matches!(
            plan_intento_fallido(&ticket(Estado::EnPreparacion, Some(1)), "x", &DISPATCHER),
            Err(ChangeError::IntentoNoEnCamino(Estado::EnPreparacion))
        ));
        let other = Actor::Courier { id: 2, nombre: "Repartidor2".into() };
        assert!(matches!(plan_intento_fallido(&current, "x", &other), Err(ChangeError::NotFound)));
        assert!(matches!(plan_intento_fallido(&current, " ", &DISPATCHER), Err(ChangeError::MotivoRequerido)));
        let long = "a".repeat(MOTIVO_INTENTO_MAX + 1);
        assert!(
            matches!(plan_intento_fallido(&current, &long, &DISPATCHER), Err(ChangeError::Invalid(f)) if f.field == "motivo")
        );
        // The machine itself still refuses going back.
        assert!(matches!(
            plan_change(&current, &to(Estado::Pendiente), &DISPATCHER, None, Utc::now()),
            Err(ChangeError::InvalidTransition { .. })
        ));
    }

    #[test]
    fn reassignment_records_who_had_it() {
        let now = Utc::now();
        let reassign = TicketChange { repartidor: Some(CourierChoice::Assign(3)), ..Default::default() };
        let plan = plan_change(
            &ticket(Estado::Pendiente, Some(1)),
            &reassign,
            &DISPATCHER,
            Some((3, "Repartidor3".into())),
            now,
        )
        .unwrap();
        assert_eq!(plan.repartidor, Some((3, "Repartidor3".into())));
        assert_eq!(plan.fecha_asignacion, Some(now));
        assert_eq!(plan.events[0].kind, TICKET_ASIGNADO);
        assert_eq!(plan.events[0].anterior_repartidor_id, Some(1));
        assert!(matches!(
            plan_change(&ticket(Estado::Pendiente, Some(1)), &reassign, &DISPATCHER, None, now),
            Err(ChangeError::UnknownCourier)
        ));
    }
}
