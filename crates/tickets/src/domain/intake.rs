//! Intake decisions, as pure functions: for one batch of validated
//! requests and what the store read inside its transaction (the numeros
//! already stored, the available couriers' loads), decide for each request
//! whether it is a new ticket, an identical repeat or a conflicting one,
//! and who takes each new ticket. The store applies the plan; see
//! [`crate::intake`] for the writer that batches requests.

use std::collections::HashMap;

use belgrano_contract::events::NuevoTicketEvent;
use belgrano_contract::ticket::{NuevoTicket, TicketCreado};
use belgrano_contract::{Centavos, Estado};
use chrono::{DateTime, Utc};

use super::assign::{AssignmentStrategy, CourierLoad, record_assignment};

/// A validated request waiting for the writer.
#[derive(Debug, Clone)]
pub struct IntakeRequest {
    pub ticket: NuevoTicket,
    pub fingerprint: String,
    pub request_id: Option<String>,
}

impl IntakeRequest {
    pub fn new(ticket: NuevoTicket, request_id: Option<String>) -> Self {
        let fingerprint = ticket.fingerprint();
        Self { ticket, fingerprint, request_id }
    }
}

/// What intake did with one request.
#[derive(Debug, Clone)]
// Short-lived and moved once: the card grew (window, attempts), boxing buys nothing.
#[allow(clippy::large_enum_variant)]
pub enum IntakeOutcome {
    Created {
        creado: TicketCreado,
        event: NuevoTicketEvent,
    },
    /// The same order was already stored: answered with the stored ticket.
    Repeated(TicketCreado),
    /// The numero exists with a different payload; nothing changed.
    Conflict {
        numero: String,
    },
}

/// A stored ticket as far as intake needs to know it.
#[derive(Debug, Clone)]
pub struct StoredTicket {
    pub id: i64,
    pub numero: String,
    pub payload_hash: String,
    pub estado: Estado,
    pub repartidor: Option<String>,
    pub fecha_creacion: DateTime<Utc>,
    pub cliente_nombre: String,
    pub total: Centavos,
}

impl StoredTicket {
    fn answer(&self, idempotent: bool) -> TicketCreado {
        TicketCreado {
            exito: true,
            ticket_id: self.id,
            numero: self.numero.clone(),
            estado: self.estado,
            repartidor_asignado: self.repartidor.clone(),
            fecha_creacion: self.fecha_creacion,
            cliente_nombre: self.cliente_nombre.clone(),
            total: self.total.pesos(),
            idempotent: idempotent.then_some(true),
        }
    }
}

/// A ticket the batch will insert.
#[derive(Debug, Clone)]
pub struct PlannedTicket {
    /// Index of its request in the batch.
    pub request: usize,
    pub courier: Option<(i64, String)>,
    pub assigned_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
enum Decision {
    Insert(usize),
    SameAsNew(usize),
    Existing(StoredTicket),
    Conflict,
}

/// The decisions for one batch, made inside the store's transaction from
/// what it read there.
#[derive(Debug)]
pub struct BatchPlan {
    pub new_tickets: Vec<PlannedTicket>,
    decisions: Vec<Decision>,
}

impl BatchPlan {
    /// Decides every request of a batch. `existing` holds the stored
    /// tickets whose numero appears in the batch; `couriers` the available
    /// couriers' loads (updated as tickets are assigned).
    pub fn new(
        requests: &[IntakeRequest],
        existing: &HashMap<String, StoredTicket>,
        couriers: &mut [CourierLoad],
        strategy: &dyn AssignmentStrategy,
        now: DateTime<Utc>,
    ) -> Self {
        let mut new_tickets: Vec<PlannedTicket> = Vec::new();
        let mut first_in_batch: HashMap<&str, usize> = HashMap::new();
        let mut decisions = Vec::with_capacity(requests.len());
        for (index, request) in requests.iter().enumerate() {
            let numero = request.ticket.numero.as_str();
            let decision = if let Some(stored) = existing.get(numero) {
                if stored.payload_hash == request.fingerprint {
                    Decision::Existing(stored.clone())
                } else {
                    Decision::Conflict
                }
            } else if let Some(&earlier) = first_in_batch.get(numero) {
                if requests[new_tickets[earlier].request].fingerprint == request.fingerprint {
                    Decision::SameAsNew(earlier)
                } else {
                    Decision::Conflict
                }
            } else {
                // Distinct microseconds keep "least recently assigned" exact
                // within a batch.
                let assigned_at = now + chrono::Duration::microseconds(new_tickets.len() as i64);
                let courier = strategy.pick(couriers, &request.ticket).map(|i| {
                    record_assignment(&mut couriers[i], assigned_at);
                    (couriers[i].id, couriers[i].nombre.clone())
                });
                first_in_batch.insert(numero, new_tickets.len());
                new_tickets.push(PlannedTicket {
                    request: index,
                    assigned_at: courier.as_ref().map(|_| assigned_at),
                    courier,
                });
                Decision::Insert(new_tickets.len() - 1)
            };
            decisions.push(decision);
        }
        Self { new_tickets, decisions }
    }

    /// Turns the plan into answers once the new tickets have ids and event
    /// sequence numbers (both indexed like `new_tickets`).
    pub fn outcomes(
        &self,
        requests: &[IntakeRequest],
        ids: &[i64],
        seqs: &[i64],
        now: DateTime<Utc>,
    ) -> Vec<IntakeOutcome> {
        let created = |n: usize| {
            let new = &self.new_tickets[n];
            let t = &requests[new.request].ticket;
            let repartidor = new.courier.as_ref().map(|(_, nombre)| nombre.clone());
            let stored = StoredTicket {
                id: ids[n],
                numero: t.numero.to_string(),
                payload_hash: String::new(),
                estado: Estado::Pendiente,
                repartidor,
                fecha_creacion: now,
                cliente_nombre: t.cliente_nombre.clone(),
                total: t.total,
            };
            let event = new_ticket_event(seqs[n], ids[n], t, new.courier.as_ref(), now);
            (stored, event)
        };
        self.decisions
            .iter()
            .zip(requests)
            .map(|(decision, request)| match decision {
                Decision::Insert(n) => {
                    let (stored, event) = created(*n);
                    IntakeOutcome::Created { creado: stored.answer(false), event }
                }
                Decision::SameAsNew(n) => IntakeOutcome::Repeated(created(*n).0.answer(true)),
                Decision::Existing(stored) => IntakeOutcome::Repeated(stored.answer(true)),
                Decision::Conflict => IntakeOutcome::Conflict { numero: request.ticket.numero.to_string() },
            })
            .collect()
    }
}

/// The `nuevo_ticket` payload for a freshly inserted ticket.
pub fn new_ticket_event(
    seq: i64,
    ticket_id: i64,
    t: &NuevoTicket,
    courier: Option<&(i64, String)>,
    now: DateTime<Utc>,
) -> NuevoTicketEvent {
    NuevoTicketEvent {
        seq,
        ticket_id,
        numero: t.numero.to_string(),
        cliente_nombre: t.cliente_nombre.clone(),
        cliente_direccion: t.cliente_direccion.clone(),
        estado: Estado::Pendiente,
        repartidor: courier.map(|(_, nombre)| nombre.clone()),
        repartidor_id: courier.map(|(id, _)| *id),
        anterior_repartidor_id: None,
        prioridad: t.prioridad,
        tipo_cliente: t.tipo_cliente,
        total: t.total.pesos(),
        productos_count: t.productos.len(),
        version: 1,
        fecha_creacion: now,
        fecha_actualizacion: now,
        franja: t.entrega.as_ref().map(|e| e.franja.clone()),
        barrio: t.entrega.as_ref().map(|e| e.barrio.clone()),
        intentos_fallidos: 0,
        motivo_intento: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::assign::LeastLoaded;
    use serde_json::json;

    fn request(numero: &str, total: f64) -> IntakeRequest {
        let t = NuevoTicket::from_json(&json!({"numero": numero, "cliente_nombre": "Ana", "total": total})).unwrap();
        IntakeRequest::new(t, None)
    }

    #[test]
    fn repeats_inside_a_batch_become_one_ticket() {
        let requests = [request("A", 1.0), request("A", 1.0), request("A", 2.0), request("B", 1.0)];
        let mut couriers = vec![];
        let now = Utc::now();
        let plan = BatchPlan::new(&requests, &HashMap::new(), &mut couriers, &LeastLoaded, now);
        assert_eq!(plan.new_tickets.len(), 2);
        let outcomes = plan.outcomes(&requests, &[10, 11], &[1, 2], now);
        assert!(
            matches!(&outcomes[0], IntakeOutcome::Created { creado, .. } if creado.ticket_id == 10 && creado.idempotent.is_none())
        );
        assert!(matches!(&outcomes[1], IntakeOutcome::Repeated(c) if c.ticket_id == 10 && c.idempotent == Some(true)));
        assert!(matches!(&outcomes[2], IntakeOutcome::Conflict { numero } if numero == "A"));
        assert!(matches!(&outcomes[3], IntakeOutcome::Created { creado, .. } if creado.ticket_id == 11));
    }

    #[test]
    fn stored_tickets_answer_repeats_and_refuse_changes() {
        let requests = [request("A", 1.0), request("A", 5.0)];
        let stored = StoredTicket {
            id: 7,
            numero: "A".into(),
            payload_hash: requests[0].fingerprint.clone(),
            estado: Estado::EnCamino,
            repartidor: Some("Repartidor2".into()),
            fecha_creacion: Utc::now(),
            cliente_nombre: "Ana".into(),
            total: Centavos(100),
        };
        let existing = HashMap::from([("A".to_owned(), stored)]);
        let now = Utc::now();
        let plan = BatchPlan::new(&requests, &existing, &mut [], &LeastLoaded, now);
        assert!(plan.new_tickets.is_empty());
        let outcomes = plan.outcomes(&requests, &[], &[], now);
        assert!(matches!(&outcomes[0], IntakeOutcome::Repeated(c) if c.ticket_id == 7 && c.estado == Estado::EnCamino));
        assert!(matches!(&outcomes[1], IntakeOutcome::Conflict { .. }));
    }
}
