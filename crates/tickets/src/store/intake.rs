//! Storage side of intake: one batch of requests, one write transaction
//! (see [`crate::intake`] for the why). Few statements per batch: one
//! lookup of the stored numeros, one read of the couriers' loads, and
//! multi-row INSERTs for tickets and their events.

use std::collections::HashMap;

use belgrano_contract::events::NUEVO_TICKET;
use belgrano_platform::db::{Param, Sql, StoreError, Ts, Tx};

use super::{Store, StoredTicketRow, courier_loads, stored_by_numero};
use crate::domain::assign::{AssignmentStrategy, CourierLoad};
use crate::domain::intake::{BatchPlan, IntakeOutcome, IntakeRequest, PlannedTicket, new_ticket_event};

/// Rows per multi-row INSERT: few statements, far below parameter limits.
const INSERT_CHUNK: usize = 64;

/// Who the history says created a ticket.
const INTAKE_ACTOR: &str = "sistema (API)";

impl Store {
    /// Handles one intake batch in one transaction; see [`crate::intake`].
    pub async fn intake_batch(
        &self,
        requests: &[IntakeRequest],
        strategy: &dyn AssignmentStrategy,
    ) -> Result<Vec<IntakeOutcome>, StoreError> {
        let mut tx = self.begin().await?;
        let now = Ts::now();
        let existing = stored_tickets(&mut tx, requests).await?;
        let mut couriers = courier_loads(&mut tx, None).await?;
        let plan = BatchPlan::new(requests, &existing, &mut couriers, strategy, now.0);

        let mut ids = Vec::with_capacity(plan.new_tickets.len());
        let mut seqs = Vec::with_capacity(plan.new_tickets.len());
        for chunk in plan.new_tickets.chunks(INSERT_CHUNK) {
            let chunk_ids = insert_tickets(&mut tx, requests, chunk, now).await?;
            seqs.extend(insert_events(&mut tx, requests, chunk, &chunk_ids, now).await?);
            ids.extend(chunk_ids);
        }

        record_loads(&mut tx, &plan.new_tickets, &couriers).await?;
        tx.commit().await?;
        Ok(plan.outcomes(requests, &ids, &seqs, now.0))
    }
}

/// Persists each new load and tie-break (when they last got a ticket) of
/// the couriers who got tickets in the batch, in one statement: one round
/// trip instead of one per courier, while the batch holds the writer (and,
/// on PostgreSQL, the intake lock).
async fn record_loads(tx: &mut Tx, new_tickets: &[PlannedTicket], couriers: &[CourierLoad]) -> Result<(), StoreError> {
    let loads: Vec<(i64, i64, Option<Ts>)> = couriers
        .iter()
        .filter_map(|c| {
            let added = new_tickets.iter().filter(|n| n.courier.as_ref().map(|(id, _)| *id) == Some(c.id)).count();
            (added > 0).then(|| (c.id, added as i64, c.last_assigned_at.map(Ts)))
        })
        .collect();
    if loads.is_empty() {
        return Ok(());
    }
    // $1, $3, … are the ids, $2, $4, … what each got; the moments follow.
    let mut update = Sql::build("UPDATE usuarios SET open_tickets = open_tickets + CASE id");
    for (id, added, _) in &loads {
        update.push(" WHEN ").push_bind(*id).push(" THEN ").push_bind(*added);
    }
    update.push(" END, last_assigned_at = CASE id");
    for (i, (_, _, at)) in loads.iter().enumerate() {
        update.push(&format!(" WHEN ${} THEN ", 2 * i + 1)).push_bind(*at);
    }
    update.push(" END WHERE id IN (");
    for i in 0..loads.len() {
        update.push(if i == 0 { "" } else { ", " }).push(&format!("${}", 2 * i + 1));
    }
    update.push(")");
    update.execute(&mut *tx).await.map(drop)
}

/// The stored tickets whose numero appears in the batch.
async fn stored_tickets(
    tx: &mut Tx,
    requests: &[IntakeRequest],
) -> Result<HashMap<String, crate::domain::intake::StoredTicket>, StoreError> {
    let mut numeros: Vec<&str> = requests.iter().map(|r| r.ticket.numero.as_str()).collect();
    numeros.sort_unstable();
    numeros.dedup();
    let mut existing = HashMap::new();
    for chunk in numeros.chunks(INSERT_CHUNK * 4) {
        let mut q = Sql::build(
            "SELECT t.id, t.numero, t.payload_hash, t.estado, u.nombre AS repartidor, t.fecha_creacion,
                    t.cliente_nombre, t.total_centavos
               FROM tickets t LEFT JOIN usuarios u ON u.id = t.repartidor_id WHERE t.numero IN (",
        );
        for (i, numero) in chunk.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.push_bind(*numero);
        }
        q.push(")");
        let rows: Vec<StoredTicketRow> = q.fetch_all(&mut *tx).await?;
        existing.extend(stored_by_numero(rows)?);
    }
    Ok(existing)
}

/// Inserts one chunk of new tickets; their ids, in chunk order.
async fn insert_tickets(
    tx: &mut Tx,
    requests: &[IntakeRequest],
    chunk: &[PlannedTicket],
    now: Ts,
) -> Result<Vec<i64>, StoreError> {
    let mut insert = Sql::build(
        "INSERT INTO tickets (numero, cliente_nombre, cliente_direccion, cliente_telefono, cliente_email,
            productos, productos_count, total_centavos, metodo_pago, estado, prioridad, indicaciones,
            tipo_cliente, repartidor_id, payload_hash, request_id, fecha_creacion, fecha_asignacion,
            fecha_actualizacion, entrega, cobro) VALUES ",
    );
    for (i, new) in chunk.iter().enumerate() {
        if i > 0 {
            insert.push(", ");
        }
        let request = &requests[new.request];
        let t = &request.ticket;
        insert.push_row([
            Param::from(t.numero.as_str()),
            Param::from(&t.cliente_nombre),
            Param::from(&t.cliente_direccion),
            Param::from(&t.cliente_telefono),
            Param::from(&t.cliente_email),
            Param::json(&t.productos)?,
            Param::from(t.productos.len() as i32),
            Param::from(t.total.0),
            Param::from(t.metodo_pago.map(|m| m.as_str())),
            Param::from(t.estado.as_str()),
            Param::from(t.prioridad.as_str()),
            Param::from(&t.indicaciones),
            Param::from(t.tipo_cliente.as_str()),
            Param::from(new.courier.as_ref().map(|(id, _)| *id)),
            Param::from(&request.fingerprint),
            Param::from(&request.request_id),
            Param::from(now),
            Param::from(new.assigned_at.map(Ts)),
            Param::from(now),
            Param::from(t.entrega.as_ref().map(|e| serde_json::to_string(e).expect("entrega serialises"))),
            Param::from(t.cobro.as_ref().map(|c| serde_json::to_string(c).expect("cobro serialises"))),
        ]);
    }
    insert.push(" RETURNING id, numero");
    let rows: Vec<(i64, String)> = insert.fetch_all(&mut *tx).await?;
    let by_numero: HashMap<String, i64> = rows.into_iter().map(|(id, numero)| (numero, id)).collect();
    Ok(chunk.iter().map(|new| by_numero[requests[new.request].ticket.numero.as_str()]).collect())
}

/// Records the `nuevo_ticket` event of each new ticket of a chunk; their
/// sequence numbers, in chunk order.
async fn insert_events(
    tx: &mut Tx,
    requests: &[IntakeRequest],
    chunk: &[PlannedTicket],
    ids: &[i64],
    now: Ts,
) -> Result<Vec<i64>, StoreError> {
    let mut events =
        Sql::build("INSERT INTO events (kind, ticket_id, repartidor_id, payload, actor, detail, created_at) VALUES ");
    for (i, (new, id)) in chunk.iter().zip(ids).enumerate() {
        if i > 0 {
            events.push(", ");
        }
        let mut event =
            serde_json::to_value(new_ticket_event(0, *id, &requests[new.request].ticket, new.courier.as_ref(), now.0))?;
        // The events table assigns the seq.
        if let Some(obj) = event.as_object_mut() {
            obj.remove("seq");
        }
        events.push_row([
            Param::from(NUEVO_TICKET),
            Param::from(*id),
            Param::from(new.courier.as_ref().map(|(id, _)| *id)),
            Param::json(&event)?,
            Param::from(INTAKE_ACTOR),
            Param::from(intake_detail(new.courier.as_ref())),
            Param::from(now),
        ]);
    }
    events.push(" RETURNING seq, ticket_id");
    let rows: Vec<(i64, i64)> = events.fetch_all(&mut *tx).await?;
    let by_ticket: HashMap<i64, i64> = rows.into_iter().map(|(seq, ticket)| (ticket, seq)).collect();
    Ok(ids.iter().map(|id| by_ticket[id]).collect())
}

/// The history line of a new ticket.
fn intake_detail(courier: Option<&(i64, String)>) -> String {
    match courier {
        Some((_, nombre)) => format!("Pedido recibido; asignado a {nombre}"),
        None => "Pedido recibido; sin repartidor disponible".to_owned(),
    }
}
