//! Storage of ticket changes: the ticket row, its events (history and live
//! feed) and the status update for Ahorro, all in one write transaction.
//!
//! The operations are written once, inside `lifecycle_ops!`, and
//! instantiated for each backend (the SQL is portable: `$n` placeholders,
//! [`Ts`] timestamps, `CAST(... AS TEXT)` for JSON).

use belgrano_shared::Estado;
use belgrano_shared::events::{EventoPerdido, TICKET_ASIGNADO, TICKET_ELIMINADO, TicketEliminadoEvent};
use belgrano_shared::ticket::Ticket;

use super::ts::Ts;
use super::write::{WritePool, on_pool};
use super::{Store, StoreError, TicketRow};
use crate::assign::{AssignmentStrategy, CourierLoad};
use crate::lifecycle::{
    ChangeError, Changed, CourierChoice, RecordedEvent, TicketChange, card, plan_change, status_update,
};
use crate::users::Actor;

/// Calls the backend's instantiation of a `lifecycle_ops!` function.
macro_rules! dispatch {
    ($store:expr, $op:ident($($arg:expr),*)) => {
        match $store {
            Store::Sqlite(pool) => sqlite_ops::$op(pool, $($arg),*).await,
            Store::Postgres(pool) => postgres_ops::$op(pool, $($arg),*).await,
        }
    };
}

/// One line of a ticket's history.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    pub seq: i64,
    pub kind: String,
    pub actor: String,
    pub detail: String,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// A status update waiting for (or refused by) Ahorro.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct OutboxItem {
    pub id: i64,
    pub ticket_id: i64,
    pub numero: String,
    pub version: i64,
    pub payload: String,
    pub attempts: i32,
    pub last_error: Option<String>,
}

impl Store {
    /// Applies a change in one transaction; see [`crate::lifecycle`].
    pub async fn update_ticket(&self, id: i64, change: &TicketChange, actor: &Actor) -> Result<Changed, ChangeError> {
        dispatch!(self, update_ticket(id, change, actor))
    }

    /// Deletes a ticket; the events record it, and Ahorro hears it cancelled.
    pub async fn delete_ticket(&self, id: i64, actor: &Actor) -> Result<Vec<RecordedEvent>, ChangeError> {
        dispatch!(self, delete_ticket(id, actor))
    }

    /// Moves every open ticket of `courier_id` to other available couriers.
    pub async fn reassign_open_tickets_of(
        &self,
        courier_id: i64,
        actor: &Actor,
        strategy: &dyn AssignmentStrategy,
    ) -> Result<Vec<RecordedEvent>, ChangeError> {
        dispatch!(self, reassign_open_tickets_of(courier_id, actor, strategy))
    }

    /// Events after `after_seq`, in order (at most `limit`). For a courier,
    /// only events about their tickets (now or before a reassignment).
    pub async fn events_after(
        &self,
        after_seq: i64,
        courier: Option<i64>,
        limit: i64,
    ) -> Result<Vec<EventoPerdido>, StoreError> {
        let rows: Vec<(i64, String, String)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT seq, kind, CAST(payload AS TEXT) FROM events
                  WHERE seq > $1 AND ($2 IS NULL OR repartidor_id = $2 OR anterior_repartidor_id = $2)
                  ORDER BY seq LIMIT $3",
            )
            .bind(after_seq)
            .bind(courier)
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(seq, evento, payload)| {
                let mut datos: serde_json::Value =
                    serde_json::from_str(&payload).map_err(|e| StoreError::Corrupt(format!("event {seq}: {e}")))?;
                datos["seq"] = seq.into();
                Ok(EventoPerdido { seq, evento, datos })
            })
            .collect()
    }

    /// The highest sequence number so far (0 when none).
    pub async fn last_seq(&self) -> Result<i64, StoreError> {
        let (seq,): (Option<i64>,) =
            on_pool!(self, |pool| sqlx::query_as("SELECT MAX(seq) FROM events").fetch_one(pool).await?);
        Ok(seq.unwrap_or(0))
    }

    /// Every change of a ticket, oldest first.
    pub async fn history(&self, ticket_id: i64) -> Result<Vec<HistoryEntry>, StoreError> {
        let rows: Vec<(i64, String, String, String, Ts)> = on_pool!(self, |pool| {
            sqlx::query_as("SELECT seq, kind, actor, detail, created_at FROM events WHERE ticket_id = $1 ORDER BY seq")
                .bind(ticket_id)
                .fetch_all(pool)
                .await?
        });
        Ok(rows
            .into_iter()
            .map(|(seq, kind, actor, detail, at)| HistoryEntry { seq, kind, actor, detail, at: at.0 })
            .collect())
    }

    /// Claims up to `limit` due status updates for `lease` (a crashed
    /// worker's claims expire). On PostgreSQL, `SKIP LOCKED` keeps several
    /// instances from claiming the same rows.
    pub async fn claim_due_updates(
        &self,
        limit: i64,
        lease: std::time::Duration,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        let now = Ts::now();
        let until = Ts(now.0 + chrono::Duration::from_std(lease).unwrap_or_default());
        let mut items: Vec<OutboxItem> = match self {
            Store::Sqlite(pool) => {
                let mut tx = pool.begin_write().await?;
                let rows = sqlx::query_as(
                    "UPDATE notify_outbox SET claimed_until = $1
                      WHERE id IN (SELECT id FROM notify_outbox
                                    WHERE status = 'pending' AND next_attempt_at <= $2
                                      AND (claimed_until IS NULL OR claimed_until < $2)
                                    ORDER BY id LIMIT $3)
                      RETURNING id, ticket_id, numero, version, payload, attempts, last_error",
                )
                .bind(until)
                .bind(now)
                .bind(limit)
                .fetch_all(&mut *tx)
                .await?;
                tx.commit().await?;
                rows
            }
            Store::Postgres(pool) => {
                sqlx::query_as(
                    "UPDATE notify_outbox SET claimed_until = $1
                      WHERE id IN (SELECT id FROM notify_outbox
                                    WHERE status = 'pending' AND next_attempt_at <= $2
                                      AND (claimed_until IS NULL OR claimed_until < $2)
                                    ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
                      RETURNING id, ticket_id, numero, version, CAST(payload AS TEXT) AS payload, attempts, last_error",
                )
                .bind(until)
                .bind(now)
                .bind(limit)
                .fetch_all(pool)
                .await?
            }
        };
        items.sort_by_key(|i| i.id);
        Ok(items)
    }

    pub async fn mark_update_delivered(&self, id: i64) -> Result<(), StoreError> {
        on_pool!(self, |pool| {
            sqlx::query("UPDATE notify_outbox SET status = 'delivered', delivered_at = $1, claimed_until = NULL, attempts = attempts + 1 WHERE id = $2")
                .bind(Ts::now())
                .bind(id)
                .execute(pool)
                .await
                .map(drop)?
        });
        Ok(())
    }

    /// A retryable failure: try again at `retry_at`.
    pub async fn mark_update_retry(
        &self,
        id: i64,
        error: &str,
        retry_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        on_pool!(self, |pool| {
            sqlx::query("UPDATE notify_outbox SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2, claimed_until = NULL WHERE id = $3")
                .bind(error)
                .bind(Ts(retry_at))
                .bind(id)
                .execute(pool)
                .await
                .map(drop)?
        });
        Ok(())
    }

    /// A permanent failure (4xx): parked for a person, never dropped.
    pub async fn mark_update_failed(&self, id: i64, error: &str) -> Result<(), StoreError> {
        on_pool!(self, |pool| {
            sqlx::query("UPDATE notify_outbox SET status = 'failed', attempts = attempts + 1, last_error = $1, claimed_until = NULL WHERE id = $2")
                .bind(error)
                .bind(id)
                .execute(pool)
                .await
                .map(drop)?
        });
        Ok(())
    }

    /// Status updates Ahorro refused for good.
    pub async fn failed_updates(&self) -> Result<Vec<OutboxItem>, StoreError> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, ticket_id, numero, version, CAST(payload AS TEXT) AS payload, attempts, last_error
                   FROM notify_outbox WHERE status = 'failed' ORDER BY id",
            )
            .fetch_all(pool)
            .await?
        }))
    }

    /// Puts a failed update back in the queue (a person's manual retry).
    pub async fn retry_failed_update(&self, id: i64) -> Result<bool, StoreError> {
        let result = on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE notify_outbox SET status = 'pending', next_attempt_at = $1 WHERE id = $2 AND status = 'failed'",
            )
            .bind(Ts::now())
            .bind(id)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(result == 1)
    }

    /// How many updates wait, and the age in seconds of the oldest.
    pub async fn pending_updates(&self) -> Result<(i64, Option<f64>), StoreError> {
        let (count, oldest): (i64, Option<Ts>) = on_pool!(self, |pool| {
            sqlx::query_as("SELECT COUNT(*), MIN(created_at) FROM notify_outbox WHERE status = 'pending'")
                .fetch_one(pool)
                .await?
        });
        Ok((count, oldest.map(|t| (chrono::Utc::now() - t.0).num_milliseconds() as f64 / 1000.0)))
    }
}

/// The operations, once per backend.
macro_rules! lifecycle_ops {
    ($db:ty, $pool:ty) => {
        #[allow(unused_imports)]
        use super::*;
        use sqlx::Transaction;

        type Tx = Transaction<'static, $db>;

        async fn load_ticket(tx: &mut Tx, id: i64) -> Result<Option<Ticket>, ChangeError> {
            let row: Option<TicketRow> = sqlx::query_as(concat!(crate::store::ticket_select!(), " WHERE t.id = $1"))
                .bind(id)
                .fetch_optional(&mut **tx)
                .await?;
            Ok(row.map(TicketRow::into_ticket).transpose()?)
        }

        async fn active_courier(tx: &mut Tx, id: i64) -> Result<Option<(i64, String)>, ChangeError> {
            Ok(sqlx::query_as("SELECT id, nombre FROM users WHERE id = $1 AND role = 'flota' AND activo = TRUE")
                .bind(id)
                .fetch_optional(&mut **tx)
                .await?)
        }

        /// Records one event (history + live feed) and returns its seq.
        async fn record_event(tx: &mut Tx, event: EventRow<'_>, actor: &Actor, now: Ts) -> Result<i64, ChangeError> {
            let EventRow { kind, ticket_id, repartidor_id, anterior, payload, detail } = event;
            let mut payload = payload.clone();
            if let Some(obj) = payload.as_object_mut() {
                obj.remove("seq");
            }
            let (seq,): (i64,) = sqlx::query_as(
                "INSERT INTO events (kind, ticket_id, repartidor_id, anterior_repartidor_id, payload, actor, detail, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING seq",
            )
            .bind(kind)
            .bind(ticket_id)
            .bind(repartidor_id)
            .bind(anterior)
            .bind(sqlx::types::Json(payload))
            .bind(actor.label())
            .bind(detail)
            .bind(now)
            .fetch_all(&mut **tx)
            .await?
            .pop()
            .expect("INSERT ... RETURNING gives a row");
            Ok(seq)
        }

        /// Adds `delta` to a courier's open-ticket counter.
        async fn adjust_open_tickets(tx: &mut Tx, courier: Option<i64>, delta: i64) -> Result<(), ChangeError> {
            if let Some(courier) = courier {
                sqlx::query("UPDATE users SET open_tickets = open_tickets + $1 WHERE id = $2")
                    .bind(delta)
                    .bind(courier)
                    .execute(&mut **tx)
                    .await?;
            }
            Ok(())
        }

        /// Queues the ticket's current state for Ahorro.
        async fn queue_status_update(tx: &mut Tx, ticket: &Ticket, now: Ts) -> Result<(), ChangeError> {
            let update = status_update(ticket);
            sqlx::query(
                "INSERT INTO notify_outbox (ticket_id, numero, version, payload, next_attempt_at, created_at)
                 VALUES ($1, $2, $3, $4, $5, $5)",
            )
            .bind(ticket.id)
            .bind(&ticket.numero)
            .bind(ticket.version)
            .bind(sqlx::types::Json(&update))
            .bind(now)
            .execute(&mut **tx)
            .await?;
            Ok(())
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
            sqlx::query(
                "UPDATE tickets SET estado = $1, repartidor_id = $2, fecha_asignacion = $3, fecha_en_camino = $4,
                        fecha_entrega = $5, motivo_cancelacion = $6, notas_repartidor = $7,
                        version = version + 1, fecha_actualizacion = $8
                  WHERE id = $9",
            )
            .bind(plan.estado.as_str())
            .bind(plan.repartidor.as_ref().map(|(id, _)| *id))
            .bind(plan.fecha_asignacion.map(Ts))
            .bind(plan.fecha_en_camino.map(Ts))
            .bind(plan.fecha_entrega.map(Ts))
            .bind(&plan.motivo_cancelacion)
            .bind(&plan.notas_repartidor)
            .bind(now)
            .bind(id)
            .execute(&mut **tx)
            .await?;
            // Keep each courier's open-ticket counter exact.
            let was_open = current.repartidor_id.filter(|_| current.estado.is_open());
            let is_open = plan.repartidor.as_ref().map(|(id, _)| *id).filter(|_| plan.estado.is_open());
            if was_open != is_open {
                adjust_open_tickets(tx, was_open, -1).await?;
                adjust_open_tickets(tx, is_open, 1).await?;
            }
            if let Some((courier, _)) = &plan.repartidor {
                if plan.events.iter().any(|e| e.kind == TICKET_ASIGNADO) {
                    sqlx::query("UPDATE users SET last_assigned_at = $1 WHERE id = $2")
                        .bind(now)
                        .bind(courier)
                        .execute(&mut **tx)
                        .await?;
                }
            }
            let ticket = load_ticket(tx, id).await?.ok_or(ChangeError::NotFound)?;
            let mut events = Vec::with_capacity(plan.events.len());
            for planned in &plan.events {
                let event = card(&ticket, 0, planned.anterior_repartidor_id);
                let payload = serde_json::to_value(&event).expect("events serialise");
                let row = EventRow {
                    kind: planned.kind,
                    ticket_id: id,
                    repartidor_id: ticket.repartidor_id,
                    anterior: planned.anterior_repartidor_id,
                    payload: &payload,
                    detail: &planned.detail,
                };
                let seq = record_event(tx, row, actor, now).await?;
                events.push(RecordedEvent::Card { kind: planned.kind, event: card(&ticket, seq, planned.anterior_repartidor_id) });
            }
            queue_status_update(tx, &ticket, now).await?;
            Ok(Changed { ticket, events })
        }

        pub(super) async fn update_ticket(pool: &$pool, id: i64, change: &TicketChange, actor: &Actor) -> Result<Changed, ChangeError> {
            let mut tx = pool.begin_write().await?;
            let changed = apply_change(&mut tx, id, change, actor, Ts::now()).await?;
            tx.commit().await?;
            Ok(changed)
        }

        pub(super) async fn delete_ticket(pool: &$pool, id: i64, actor: &Actor) -> Result<Vec<RecordedEvent>, ChangeError> {
            let mut tx = pool.begin_write().await?;
            let now = Ts::now();
            let mut ticket = load_ticket(&mut tx, id).await?.ok_or(ChangeError::NotFound)?;
            sqlx::query("DELETE FROM tickets WHERE id = $1").bind(id).execute(&mut *tx).await?;
            adjust_open_tickets(&mut tx, ticket.repartidor_id.filter(|_| ticket.estado.is_open()), -1).await?;
            let event = TicketEliminadoEvent { seq: 0, ticket_id: id, numero: ticket.numero.clone(), repartidor_id: ticket.repartidor_id };
            let payload = serde_json::to_value(&event).expect("events serialise");
            let detail = format!("Ticket {} eliminado", ticket.numero);
            let row = EventRow {
                kind: TICKET_ELIMINADO,
                ticket_id: id,
                repartidor_id: ticket.repartidor_id,
                anterior: None,
                payload: &payload,
                detail: &detail,
            };
            let seq = record_event(&mut tx, row, actor, now).await?;
            if !ticket.estado.is_final() {
                // The customer must not wait forever for a ticket that is gone.
                ticket.estado = Estado::Cancelado;
                ticket.motivo_cancelacion = Some("Ticket eliminado por despacho".to_owned());
                ticket.version += 1;
                ticket.fecha_actualizacion = now.0;
                queue_status_update(&mut tx, &ticket, now).await?;
            }
            tx.commit().await?;
            Ok(vec![RecordedEvent::Deleted(TicketEliminadoEvent { seq, ..event })])
        }

        pub(super) async fn reassign_open_tickets_of(
            pool: &$pool,
            courier_id: i64,
            actor: &Actor,
            strategy: &dyn AssignmentStrategy,
        ) -> Result<Vec<RecordedEvent>, ChangeError> {
            let mut tx = pool.begin_write().await?;
            let now = Ts::now();
            let open: Vec<(i64,)> = sqlx::query_as(
                "SELECT id FROM tickets WHERE repartidor_id = $1
                   AND estado IN ('pendiente', 'en-preparacion', 'en-camino') ORDER BY id",
            )
            .bind(courier_id)
            .fetch_all(&mut *tx)
            .await?;
            let mut couriers: Vec<CourierLoad> = sqlx::query_as::<_, crate::store::CourierLoadRow>(
                "SELECT u.id, u.nombre, u.last_assigned_at, CAST(u.open_tickets AS BIGINT) AS open_tickets
                   FROM users u
                  WHERE u.role = 'flota' AND u.activo = TRUE AND u.disponible = TRUE AND u.id <> $1",
            )
            .bind(courier_id)
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .map(Into::into)
            .collect();
            let mut events = Vec::new();
            for (n, (ticket_id,)) in open.into_iter().enumerate() {
                let ticket = load_ticket(&mut tx, ticket_id).await?.ok_or(ChangeError::NotFound)?;
                let at = Ts(now.0 + chrono::Duration::microseconds(n as i64));
                let choice = match strategy.pick(&couriers, &nuevo_for_strategy(&ticket)) {
                    Some(index) => {
                        crate::assign::record_assignment(&mut couriers[index], at.0);
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
    };
}

/// One row of the events table, before it gets its seq.
struct EventRow<'a> {
    kind: &'a str,
    ticket_id: i64,
    repartidor_id: Option<i64>,
    anterior: Option<i64>,
    payload: &'a serde_json::Value,
    detail: &'a str,
}

/// The strategy looks at the order; rebuild its intake shape from the ticket.
fn nuevo_for_strategy(ticket: &Ticket) -> belgrano_shared::ticket::NuevoTicket {
    belgrano_shared::ticket::NuevoTicket {
        numero: belgrano_shared::ticket::Numero::parse(&ticket.numero).expect("stored numeros are valid"),
        cliente_nombre: ticket.cliente_nombre.clone(),
        cliente_direccion: ticket.cliente_direccion.clone(),
        cliente_telefono: ticket.cliente_telefono.clone(),
        cliente_email: ticket.cliente_email.clone(),
        productos: ticket.productos.clone(),
        total: belgrano_shared::Centavos::from_pesos(ticket.total).unwrap_or_default(),
        metodo_pago: ticket.metodo_pago,
        indicaciones: ticket.indicaciones.clone(),
        estado: ticket.estado,
        prioridad: ticket.prioridad,
        tipo_cliente: ticket.tipo_cliente,
    }
}

mod sqlite_ops {
    lifecycle_ops!(sqlx::Sqlite, sqlx::SqlitePool);
}

mod postgres_ops {
    lifecycle_ops!(sqlx::Postgres, sqlx::PgPool);
}

impl Store {
    /// The tickets created in `[desde, hasta)`, as much as reports need.
    pub async fn report_tickets(
        &self,
        desde: chrono::DateTime<chrono::Utc>,
        hasta: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<crate::reports::ReportTicket>, StoreError> {
        let rows: Vec<(String, Option<String>, Ts, Option<Ts>)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT t.estado, u.nombre, t.fecha_creacion, t.fecha_entrega
                   FROM tickets t LEFT JOIN users u ON u.id = t.repartidor_id
                  WHERE t.fecha_creacion >= $1 AND t.fecha_creacion < $2",
            )
            .bind(Ts(desde))
            .bind(Ts(hasta))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(estado, repartidor, creacion, entrega)| {
                Ok(crate::reports::ReportTicket {
                    estado: estado.parse().map_err(StoreError::Corrupt)?,
                    repartidor,
                    fecha_creacion: creacion.0,
                    fecha_entrega: entrega.map(|t| t.0),
                })
            })
            .collect()
    }
}

/// A courier as menus list them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct CourierOption {
    pub id: i64,
    pub nombre: String,
    pub disponible: bool,
}

impl Store {
    /// Active couriers, for assignment menus.
    pub async fn courier_options(&self) -> Result<Vec<CourierOption>, StoreError> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, nombre, disponible FROM users WHERE role = 'flota' AND activo = TRUE ORDER BY nombre",
            )
            .fetch_all(pool)
            .await?
        }))
    }

    /// A courier's open tickets, the most urgent first, then the oldest.
    pub async fn open_tickets_of(&self, courier_id: i64) -> Result<Vec<Ticket>, StoreError> {
        let rows: Vec<TicketRow> = on_pool!(self, |pool| {
            sqlx::query_as(concat!(
                crate::store::ticket_select!(),
                " WHERE t.repartidor_id = $1 AND t.estado IN ('pendiente', 'en-preparacion', 'en-camino')
                  ORDER BY CASE t.prioridad WHEN 'alta' THEN 0 WHEN 'normal' THEN 1 ELSE 2 END, t.id"
            ))
            .bind(courier_id)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(TicketRow::into_ticket).collect()
    }
}

impl Store {
    /// How many tickets are in each state (every state listed).
    pub async fn count_by_state(&self) -> Result<Vec<(Estado, i64)>, StoreError> {
        let rows: Vec<(String, i64)> = on_pool!(self, |pool| {
            sqlx::query_as("SELECT estado, COUNT(*) FROM tickets GROUP BY estado").fetch_all(pool).await?
        });
        Ok(Estado::ALL
            .iter()
            .map(|e| (*e, rows.iter().find(|(s, _)| s == e.as_str()).map(|(_, n)| *n).unwrap_or(0)))
            .collect())
    }
}
