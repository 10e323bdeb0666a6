//! PostgreSQL: the server for scale and for several instances. Every write
//! that records events takes one transaction-scoped advisory lock, so
//! intake's idempotency check and courier loads are exact across instances
//! and event sequence numbers commit in order.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{SubsecRound, Utc};
use sqlx::postgres::PgPoolOptions;
use sqlx::{PgPool, Postgres, QueryBuilder};

use super::{
    CourierLoadRow, INSERT_CHUNK, StoreError, StoredTicketRow,  distinct_numeros,
    event_payload, intake_detail, INTAKE_ACTOR, stored_by_numero,
};
use crate::assign::{AssignmentStrategy, CourierLoad};
use crate::intake::{BatchPlan, IntakeOutcome, IntakeRequest, new_ticket_event};

use super::write::WRITE_LOCK;

pub(super) async fn connect(url: &str) -> Result<PgPool, StoreError> {
    Ok(PgPoolOptions::new()
        .max_connections(10)
        .acquire_timeout(Duration::from_secs(5))
        .connect(url)
        .await?)
}

const COURIER_LOADS: &str = "
    SELECT u.id, u.nombre, u.last_assigned_at,
           (SELECT COUNT(*) FROM tickets t
             WHERE t.repartidor_id = u.id
               AND t.estado IN ('pendiente', 'en-preparacion', 'en-camino')) AS open_tickets
    FROM users u
    WHERE u.role = 'flota' AND u.activo AND u.disponible";

pub(super) async fn intake_batch(
    pool: &PgPool,
    requests: &[IntakeRequest],
    strategy: &dyn AssignmentStrategy,
) -> Result<Vec<IntakeOutcome>, StoreError> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(WRITE_LOCK).execute(&mut *tx).await?;
    let now = Utc::now().trunc_subsecs(6);

    let numeros: Vec<&str> = distinct_numeros(requests);
    let rows: Vec<StoredTicketRow> = sqlx::query_as(
        "SELECT t.id, t.numero, t.payload_hash, t.estado, u.nombre AS repartidor, t.fecha_creacion,
                t.cliente_nombre, t.total_centavos
         FROM tickets t LEFT JOIN users u ON u.id = t.repartidor_id WHERE t.numero = ANY($1)",
    )
    .bind(&numeros)
    .fetch_all(&mut *tx)
    .await?;
    let existing = stored_by_numero(rows)?;

    let mut couriers: Vec<CourierLoad> = sqlx::query_as::<_, CourierLoadRow>(COURIER_LOADS)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    let plan = BatchPlan::new(requests, &existing, &mut couriers, strategy, now);

    let mut ids = vec![0_i64; plan.new_tickets.len()];
    let mut seqs = vec![0_i64; plan.new_tickets.len()];
    for (chunk_index, chunk) in plan.new_tickets.chunks(INSERT_CHUNK).enumerate() {
        let offset = chunk_index * INSERT_CHUNK;
        let mut insert = QueryBuilder::<Postgres>::new(
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
                .push_bind(serde_json::to_string(&t.productos).expect("productos serialise"))
                .push_unseparated("::jsonb")
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
                .push_bind(new.assigned_at)
                .push_bind(now);
        });
        insert.push(" RETURNING id, numero");
        let rows: Vec<(i64, String)> = insert.build_query_as().fetch_all(&mut *tx).await?;
        let by_numero: HashMap<String, i64> = rows.into_iter().map(|(id, numero)| (numero, id)).collect();
        for (i, new) in chunk.iter().enumerate() {
            ids[offset + i] = by_numero[requests[new.request].ticket.numero.as_str()];
        }

        let mut events = QueryBuilder::<Postgres>::new(
            "INSERT INTO events (kind, ticket_id, repartidor_id, payload, actor, detail, created_at) ",
        );
        events.push_values(chunk.iter().enumerate(), |mut row, (i, new)| {
            let id = ids[offset + i];
            let event = new_ticket_event(0, id, &requests[new.request].ticket, new.courier.as_ref(), now);
            row.push_bind(belgrano_shared::events::NUEVO_TICKET)
                .push_bind(id)
                .push_bind(new.courier.as_ref().map(|(id, _)| *id))
                .push_bind(event_payload(&event))
                .push_unseparated("::jsonb")
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

    for courier in couriers.iter().filter(|c| plan.new_tickets.iter().any(|n| n.courier.as_ref().map(|x| x.0) == Some(c.id))) {
        sqlx::query("UPDATE users SET last_assigned_at = $1 WHERE id = $2")
            .bind(courier.last_assigned_at)
            .bind(courier.id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(plan.outcomes(requests, &ids, &seqs, now))
}
