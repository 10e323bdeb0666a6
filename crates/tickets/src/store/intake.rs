//! Storage side of intake: one batch of requests, one write transaction.
//! See [`crate::intake`] for the why. Written once in `intake_ops!` and
//! instantiated per backend (portable SQL, [`Ts`] timestamps, JSON bound
//! as `Json`, which SQLite stores as text and PostgreSQL as JSONB).

use std::collections::HashMap;

use super::ts::Ts;
use super::write::WritePool;
use super::{CourierLoadRow, Store, StoreError, StoredTicketRow};
use crate::assign::{AssignmentStrategy, CourierLoad};
use crate::intake::{BatchPlan, IntakeOutcome, IntakeRequest, new_ticket_event};

/// Rows per multi-row INSERT: few statements, far below parameter limits.
const INSERT_CHUNK: usize = 64;

/// Who the history says created a ticket.
const INTAKE_ACTOR: &str = "sistema (API)";

/// The available couriers and their open loads (a counter kept with every
/// ticket change), read inside the intake transaction (so the write lock
/// makes them exact).
pub(super) const COURIER_LOADS: &str = "
    SELECT u.id, u.nombre, u.last_assigned_at, CAST(u.open_tickets AS BIGINT) AS open_tickets
      FROM users u
     WHERE u.role = 'flota' AND u.activo = TRUE AND u.disponible = TRUE";

impl Store {
    /// Handles one intake batch in one transaction; see [`crate::intake`].
    pub async fn intake_batch(
        &self,
        requests: &[IntakeRequest],
        strategy: &dyn AssignmentStrategy,
    ) -> Result<Vec<IntakeOutcome>, StoreError> {
        match self {
            Store::Sqlite(pool) => sqlite_ops::intake_batch(pool, requests, strategy).await,
            Store::Postgres(pool) => postgres_ops::intake_batch(pool, requests, strategy).await,
        }
    }
}

/// The distinct numeros of a batch, for the lookup of stored tickets.
fn distinct_numeros(requests: &[IntakeRequest]) -> Vec<&str> {
    let mut numeros: Vec<&str> = requests.iter().map(|r| r.ticket.numero.as_str()).collect();
    numeros.sort_unstable();
    numeros.dedup();
    numeros
}

/// The history line of a new ticket.
fn intake_detail(courier: Option<&(i64, String)>) -> String {
    match courier {
        Some((_, nombre)) => format!("Pedido recibido; asignado a {nombre}"),
        None => "Pedido recibido; sin repartidor disponible".to_owned(),
    }
}

macro_rules! intake_ops {
    ($db:ty, $pool:ty) => {
        use sqlx::types::Json;
        use sqlx::QueryBuilder;

        #[allow(unused_imports)]
        use super::*;

        pub(super) async fn intake_batch(
            pool: &$pool,
            requests: &[IntakeRequest],
            strategy: &dyn AssignmentStrategy,
        ) -> Result<Vec<IntakeOutcome>, StoreError> {
            let mut tx = pool.begin_write().await?;
            let now = Ts::now();

            let mut existing = HashMap::new();
            for chunk in distinct_numeros(requests).chunks(INSERT_CHUNK * 4) {
                let mut query = QueryBuilder::<$db>::new(
                    "SELECT t.id, t.numero, t.payload_hash, t.estado, u.nombre AS repartidor, t.fecha_creacion,
                            t.cliente_nombre, t.total_centavos
                       FROM tickets t LEFT JOIN users u ON u.id = t.repartidor_id WHERE t.numero IN (",
                );
                let mut list = query.separated(", ");
                for numero in chunk {
                    list.push_bind(*numero);
                }
                query.push(")");
                let rows: Vec<StoredTicketRow> = query.build_query_as().fetch_all(&mut *tx).await?;
                existing.extend(super::super::stored_by_numero(rows)?);
            }

            let mut couriers: Vec<CourierLoad> = sqlx::query_as::<_, CourierLoadRow>(COURIER_LOADS)
                .fetch_all(&mut *tx)
                .await?
                .into_iter()
                .map(Into::into)
                .collect();
            let plan = BatchPlan::new(requests, &existing, &mut couriers, strategy, now.0);

            let mut ids = vec![0_i64; plan.new_tickets.len()];
            let mut seqs = vec![0_i64; plan.new_tickets.len()];
            for (chunk_index, chunk) in plan.new_tickets.chunks(INSERT_CHUNK).enumerate() {
                let offset = chunk_index * INSERT_CHUNK;
                let mut insert = QueryBuilder::<$db>::new(
                    "INSERT INTO tickets (numero, cliente_nombre, cliente_direccion, cliente_telefono, cliente_email,
                        productos, productos_count, total_centavos, metodo_pago, estado, prioridad, indicaciones,
                        tipo_cliente, repartidor_id, payload_hash, request_id, fecha_creacion, fecha_asignacion,
                        fecha_actualizacion) ",
                );
                insert.push_values(chunk, |mut row, new| {
                    let request = &requests[new.request];
                    let t = &request.ticket;
                    row.push_bind(t.numero.as_str())
                        .push_bind(&t.cliente_nombre)
                        .push_bind(&t.cliente_direccion)
                        .push_bind(&t.cliente_telefono)
                        .push_bind(&t.cliente_email)
                        .push_bind(Json(&t.productos))
                        .push_bind(t.productos.len() as i32)
                        .push_bind(t.total.0)
                        .push_bind(t.metodo_pago.map(|m| m.as_str()))
                        .push_bind(t.estado.as_str())
                        .push_bind(t.prioridad.as_str())
                        .push_bind(&t.indicaciones)
                        .push_bind(t.tipo_cliente.as_str())
                        .push_bind(new.courier.as_ref().map(|(id, _)| *id))
                        .push_bind(&request.fingerprint)
                        .push_bind(&request.request_id)
                        .push_bind(now)
                        .push_bind(new.assigned_at.map(Ts))
                        .push_bind(now);
                });
                insert.push(" RETURNING id, numero");
                let rows: Vec<(i64, String)> = insert.build_query_as().fetch_all(&mut *tx).await?;
                let by_numero: HashMap<String, i64> = rows.into_iter().map(|(id, numero)| (numero, id)).collect();
                for (i, new) in chunk.iter().enumerate() {
                    ids[offset + i] = by_numero[requests[new.request].ticket.numero.as_str()];
                }

                let mut events = QueryBuilder::<$db>::new(
                    "INSERT INTO events (kind, ticket_id, repartidor_id, payload, actor, detail, created_at) ",
                );
                events.push_values(chunk.iter().enumerate(), |mut row, (i, new)| {
                    let id = ids[offset + i];
                    let mut event = serde_json::to_value(new_ticket_event(0, id, &requests[new.request].ticket, new.courier.as_ref(), now.0))
                        .expect("events serialise");
                    // The events table assigns the seq.
                    event.as_object_mut().map(|o| o.remove("seq"));
                    row.push_bind(belgrano_shared::events::NUEVO_TICKET)
                        .push_bind(id)
                        .push_bind(new.courier.as_ref().map(|(id, _)| *id))
                        .push_bind(Json(event))
                        .push_bind(INTAKE_ACTOR)
                        .push_bind(intake_detail(new.courier.as_ref()))
                        .push_bind(now);
                });
                events.push(" RETURNING seq, ticket_id");
                let rows: Vec<(i64, i64)> = events.build_query_as().fetch_all(&mut *tx).await?;
                let by_ticket: HashMap<i64, i64> = rows.into_iter().map(|(seq, ticket)| (ticket, seq)).collect();
                for i in 0..chunk.len() {
                    seqs[offset + i] = by_ticket[&ids[offset + i]];
                }
            }

            // Persist each courier's new load and the tie-break (when they
            // last got a ticket).
            for courier in &couriers {
                let added = plan.new_tickets.iter().filter(|n| n.courier.as_ref().map(|c| c.0) == Some(courier.id)).count();
                if added > 0 {
                    sqlx::query("UPDATE users SET open_tickets = open_tickets + $1, last_assigned_at = $2 WHERE id = $3")
                        .bind(added as i64)
                        .bind(courier.last_assigned_at.map(Ts))
                        .bind(courier.id)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            tx.commit().await?;
            Ok(plan.outcomes(requests, &ids, &seqs, now.0))
        }
    };
}

mod sqlite_ops {
    intake_ops!(sqlx::Sqlite, sqlx::SqlitePool);
}

mod postgres_ops {
    intake_ops!(sqlx::Postgres, sqlx::PgPool);
}
