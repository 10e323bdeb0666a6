//! Storage of ticket changes: the ticket row, its events (history and live
//! feed) and the status update for Ahorro, all in one write transaction
//! holding the desk's lock. The rules come from [`crate::domain::change`];
//! this applies what they decide.

use belgrano_contract::Estado;
use belgrano_contract::events::{EventoPerdido, TICKET_ASIGNADO, TICKET_ELIMINADO, TicketEliminadoEvent};
use belgrano_contract::ticket::{NuevoTicket, Numero, Ticket};
use belgrano_platform::db::{Param, Ts, Tx, sql};
use belgrano_platform::outbox;

use super::{NOTIFY_OUTBOX, Store, StoreError, TicketRow, courier_loads, ticket_select};
use crate::domain::assign::{AssignmentStrategy, record_assignment};
use crate::domain::change::{
    ChangeError, ChangePlan, Changed, CourierChoice, RecordedEvent, TicketChange, card, live_kind, plan_change,
    plan_intento_fallido, status_update,
};
use crate::domain::usuario::Actor;

/// One line of a ticket's history.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    pub seq: i64,
    pub kind: String,
    pub actor: String,
    pub detail: String,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// A courier as menus list them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct CourierOption {
    pub id: i64,
    pub nombre: String,
    pub disponible: bool,
}

impl Store {
    /// Applies a change in one transaction; see [`crate::domain::change`].
    pub async fn update_ticket(&self, id: i64, change: &TicketChange, actor: &Actor) -> Result<Changed, ChangeError> {
        let mut tx = self.begin().await?;
        let changed = apply_change(&mut tx, id, change, actor, Ts::now()).await?;
        tx.commit().await?;
        Ok(changed)
    }

    /// Records a failed delivery attempt in one transaction; see
    /// [`crate::domain::change::plan_intento_fallido`].
    pub async fn intento_fallido(&self, id: i64, motivo: &str, actor: &Actor) -> Result<Changed, ChangeError> {
        let mut tx = self.begin().await?;
        let now = Ts::now();
        let current = load_ticket(&mut tx, id).await?.ok_or(ChangeError::NotFound)?;
        let plan = plan_intento_fallido(&current, motivo, actor)?;
        let changed = write_plan(&mut tx, &current, plan, actor, now).await?;
        tx.commit().await?;
        Ok(changed)
    }

    /// Deletes a ticket; the events record it, and Ahorro hears it cancelled.
    pub async fn delete_ticket(&self, id: i64, actor: &Actor) -> Result<Vec<RecordedEvent>, ChangeError> {
        let mut tx = self.begin().await?;
        let now = Ts::now();
        let mut ticket = load_ticket(&mut tx, id).await?.ok_or(ChangeError::NotFound)?;
        sql("DELETE FROM tickets WHERE id = $1").bind(id).execute(&mut tx).await?;
        adjust_open_tickets(&mut tx, ticket.repartidor_id.filter(|_| ticket.estado.is_open()), -1).await?;
        let event = TicketEliminadoEvent {
            seq: 0,
            ticket_id: id,
            numero: ticket.numero.clone(),
            repartidor_id: ticket.repartidor_id,
        };
        let detail = format!("Ticket {} eliminado", ticket.numero);
        let row = EventRow {
            kind: TICKET_ELIMINADO,
            ticket_id: id,
            repartidor_id: ticket.repartidor_id,
            anterior: None,
            payload: serde_json::to_value(&event).map_err(StoreError::from)?,
            detail: &detail,
        };
        let seq = record_event(&mut tx, row, actor, now).await?;
        if !ticket.estado.is_final() {
            // The customer must not wait forever for a ticket that is gone.
            ticket.estado = Estado::Cancelado;
            ticket.motivo_cancelacion = Some("Ticket eliminado por despacho".to_owned());
            ticket.version += 1;
            ticket.fecha_actualizacion = now.0;
            queue_status_update(&mut tx, &ticket).await?;
        }
        tx.commit().await?;
        Ok(vec![RecordedEvent::Deleted(TicketEliminadoEvent { seq, ..event })])
    }

    /// Moves every open ticket of `courier_id` to other available couriers
    /// (by the intake strategy), or leaves them unassigned when nobody is.
    pub async fn reassign_open_tickets_of(
        &self,
        courier_id: i64,
        actor: &Actor,
        strategy: &dyn AssignmentStrategy,
    ) -> Result<Vec<RecordedEvent>, ChangeError> {
        let mut tx = self.begin().await?;
        let now = Ts::now();
        let open: Vec<(i64,)> = sql("SELECT id FROM tickets WHERE repartidor_id = $1
               AND estado IN ('pendiente', 'en-preparacion', 'en-camino') ORDER BY id")
        .bind(courier_id)
        .fetch_all(&mut tx)
        .await?;
        let mut couriers = courier_loads(&mut tx, Some(courier_id)).await?;
        let mut events = Vec::new();
        for (n, (ticket_id,)) in open.into_iter().enumerate() {
            let ticket = load_ticket(&mut tx, ticket_id).await?.ok_or(ChangeError::NotFound)?;
            let at = Ts(now.0 + chrono::Duration::microseconds(n as i64));
            let choice = match strategy.pick(&couriers, &nuevo_for_strategy(&ticket)) {
                Some(index) => {
                    record_assignment(&mut couriers[index], at.0);
                    CourierChoice::Assign(couriers[index].id)
                }
                None => CourierChoice::Unassign,
            };
            let change = TicketChange { repartidor: Some(choice), ..Default::default() };
            events.extend(apply_change(&mut tx, ticket_id, &change, actor, at).await?.events);
        }
        tx.commit().await?;
        Ok(events)
    }

    /// Events after `after_seq`, in order (at most `limit`). For a courier,
    /// only events about their tickets (now or before a reassignment).
    pub async fn events_after(
        &self,
        after_seq: i64,
        courier: Option<i64>,
        limit: i64,
    ) -> Result<Vec<EventoPerdido>, StoreError> {
        let rows: Vec<(i64, String, String)> = sql("SELECT seq, kind, CAST(payload AS TEXT) FROM events
              WHERE seq > $1 AND ($2 IS NULL OR repartidor_id = $2 OR anterior_repartidor_id = $2)
              ORDER BY seq LIMIT $3")
        .bind(after_seq)
        .bind(courier)
        .bind(limit)
        .fetch_all(self.db.read())
        .await?;
        rows.into_iter()
            .map(|(seq, evento, payload)| {
                let mut datos: serde_json::Value =
                    serde_json::from_str(&payload).map_err(|e| StoreError::Corrupt(format!("event {seq}: {e}")))?;
                datos["seq"] = seq.into();
                Ok(EventoPerdido { seq, evento: live_kind(&evento).to_owned(), datos })
            })
            .collect()
    }

    /// The highest sequence number so far (0 when none).
    pub async fn last_seq(&self) -> Result<i64, StoreError> {
        let (seq,): (Option<i64>,) = sql("SELECT MAX(seq) FROM events").fetch_one(self.db.read()).await?;
        Ok(seq.unwrap_or(0))
    }

    /// Every change of a ticket, oldest first.
    pub async fn history(&self, ticket_id: i64) -> Result<Vec<HistoryEntry>, StoreError> {
        let rows: Vec<(i64, String, String, String, Ts)> =
            sql("SELECT seq, kind, actor, detail, created_at FROM events WHERE ticket_id = $1 ORDER BY seq")
                .bind(ticket_id)
                .fetch_all(self.db.read())
                .await?;
        Ok(rows
            .into_iter()
            .map(|(seq, kind, actor, detail, at)| HistoryEntry { seq, kind, actor, detail, at: at.0 })
            .collect())
    }

    /// Active couriers, for assignment menus.
    pub async fn courier_options(&self) -> Result<Vec<CourierOption>, StoreError> {
        sql("SELECT id, nombre, disponible FROM usuarios WHERE role = 'flota' AND activo = TRUE ORDER BY nombre")
            .fetch_all(self.db.read())
            .await
    }
}

async fn load_ticket(tx: &mut Tx, id: i64) -> Result<Option<Ticket>, StoreError> {
    let row: Option<TicketRow> = ticket_select(" WHERE t.id = $1").bind(id).fetch_optional(tx).await?;
    row.map(TicketRow::into_ticket).transpose()
}

async fn active_courier(tx: &mut Tx, id: i64) -> Result<Option<(i64, String)>, StoreError> {
    sql("SELECT id, nombre FROM usuarios WHERE id = $1 AND role = 'flota' AND activo = TRUE")
        .bind(id)
        .fetch_optional(tx)
        .await
}

/// One row of the events table, before it gets its seq.
struct EventRow<'a> {
    kind: &'a str,
    ticket_id: i64,
    repartidor_id: Option<i64>,
    anterior: Option<i64>,
    /// The event as sent live; its `seq` is left out (the table assigns it).
    payload: serde_json::Value,
    detail: &'a str,
}

/// Records one event (history + live feed) and returns its seq.
async fn record_event(tx: &mut Tx, event: EventRow<'_>, actor: &Actor, now: Ts) -> Result<i64, StoreError> {
    let EventRow { kind, ticket_id, repartidor_id, anterior, mut payload, detail } = event;
    if let Some(obj) = payload.as_object_mut() {
        obj.remove("seq");
    }
    let (seq,): (i64,) = sql(
        "INSERT INTO events (kind, ticket_id, repartidor_id, anterior_repartidor_id, payload, actor, detail, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING seq",
    )
    .bind(kind)
    .bind(ticket_id)
    .bind(repartidor_id)
    .bind(anterior)
    .bind_param(Param::json(&payload)?)
    .bind(actor.label())
    .bind(detail)
    .bind(now)
    .fetch_one(tx)
    .await?;
    Ok(seq)
}

/// Adds `delta` to a courier's open-ticket counter.
async fn adjust_open_tickets(tx: &mut Tx, courier: Option<i64>, delta: i64) -> Result<(), StoreError> {
    if let Some(courier) = courier {
        sql("UPDATE usuarios SET open_tickets = open_tickets + $1 WHERE id = $2")
            .bind(delta)
            .bind(courier)
            .execute(tx)
            .await?;
    }
    Ok(())
}

/// Queues the ticket's current state for Ahorro.
async fn queue_status_update(tx: &mut Tx, ticket: &Ticket) -> Result<(), StoreError> {
    let columns = [
        ("ticket_id", Param::from(ticket.id)),
        ("numero", Param::from(&ticket.numero)),
        ("version", Param::from(ticket.version)),
    ];
    outbox::insert(NOTIFY_OUTBOX, &columns, Param::json(&status_update(ticket))?).execute(tx).await.map(drop)
}

/// Plans, writes the row, records events and the update; no commit.
async fn apply_change(
    tx: &mut Tx,
    id: i64,
    change: &TicketChange,
    actor: &Actor,
    now: Ts,
) -> Result<Changed, ChangeError> {
    let current = load_ticket(tx, id).await?.ok_or(ChangeError::NotFound)?;
    let new_courier = match change.repartidor {
        Some(CourierChoice::Assign(courier)) => active_courier(tx, courier).await?,
        _ => None,
    };
    let plan = plan_change(&current, change, actor, new_courier, now.0)?;
    write_plan(tx, &current, plan, actor, now).await
}

/// Writes a decided plan: the row, the counters, the events and the update
/// for Ahorro; no commit.
async fn write_plan(
    tx: &mut Tx,
    current: &Ticket,
    plan: ChangePlan,
    actor: &Actor,
    now: Ts,
) -> Result<Changed, ChangeError> {
    let id = current.id;
    sql("UPDATE tickets SET estado = $1, repartidor_id = $2, fecha_asignacion = $3, fecha_en_camino = $4,
                fecha_entrega = $5, motivo_cancelacion = $6, notas_repartidor = $7,
                version = version + 1, fecha_actualizacion = $8, intentos_fallidos = $9, motivo_intento = $10,
                prioridad = $11, indicaciones = $12, cliente_direccion = $13
          WHERE id = $14")
    .bind(plan.estado.as_str())
    .bind(plan.repartidor.as_ref().map(|(id, _)| *id))
    .bind(plan.fecha_asignacion.map(Ts))
    .bind(plan.fecha_en_camino.map(Ts))
    .bind(plan.fecha_entrega.map(Ts))
    .bind(&plan.motivo_cancelacion)
    .bind(&plan.notas_repartidor)
    .bind(now)
    .bind(i64::from(plan.intentos_fallidos))
    .bind(&plan.motivo_intento)
    .bind(plan.prioridad.as_str())
    .bind(&plan.indicaciones)
    .bind(&plan.cliente_direccion)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    // Keep each courier's open-ticket counter exact.
    let was_open = current.repartidor_id.filter(|_| current.estado.is_open());
    let is_open = plan.repartidor.as_ref().map(|(id, _)| *id).filter(|_| plan.estado.is_open());
    if was_open != is_open {
        adjust_open_tickets(tx, was_open, -1).await?;
        adjust_open_tickets(tx, is_open, 1).await?;
    }
    if let Some((courier, _)) = &plan.repartidor
        && plan.events.iter().any(|e| e.kind == TICKET_ASIGNADO)
    {
        sql("UPDATE usuarios SET last_assigned_at = $1 WHERE id = $2")
            .bind(now)
            .bind(*courier)
            .execute(&mut *tx)
            .await?;
    }
    // Not read back: one trip less to SQLite's writer thread. The tests
    // compare what a change answers with a fresh read of the ticket.
    let ticket = plan.ticket_after(current, now.0);
    let mut events = Vec::with_capacity(plan.events.len());
    for planned in &plan.events {
        let row = EventRow {
            kind: planned.kind,
            ticket_id: id,
            repartidor_id: ticket.repartidor_id,
            anterior: planned.anterior_repartidor_id,
            payload: serde_json::to_value(card(&ticket, 0, planned.anterior_repartidor_id))
                .map_err(StoreError::from)?,
            detail: &planned.detail,
        };
        let seq = record_event(tx, row, actor, now).await?;
        events.push(RecordedEvent::Card {
            kind: live_kind(planned.kind),
            event: Box::new(card(&ticket, seq, planned.anterior_repartidor_id)),
        });
    }
    queue_status_update(tx, &ticket).await?;
    Ok(Changed { ticket, events })
}

/// The strategy looks at the order; rebuild its intake shape from the ticket.
fn nuevo_for_strategy(ticket: &Ticket) -> NuevoTicket {
    NuevoTicket {
        numero: Numero::parse(&ticket.numero).expect("stored numeros are valid"),
        cliente_nombre: ticket.cliente_nombre.clone(),
        cliente_direccion: ticket.cliente_direccion.clone(),
        cliente_telefono: ticket.cliente_telefono.clone(),
        cliente_email: ticket.cliente_email.clone(),
        productos: ticket.productos.clone(),
        total: belgrano_contract::Centavos::from_pesos(ticket.total).unwrap_or_default(),
        metodo_pago: ticket.metodo_pago,
        indicaciones: ticket.indicaciones.clone(),
        estado: ticket.estado,
        prioridad: ticket.prioridad,
        tipo_cliente: ticket.tipo_cliente,
        entrega: ticket.entrega.clone(),
        cobro: ticket.cobro.clone(),
    }
}
