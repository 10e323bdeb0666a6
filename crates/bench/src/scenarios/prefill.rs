//! Databases that already hold a shop's history, written straight into the
//! services' SQLite files with a few set-based statements (not through the
//! HTTP API: a million requests would take minutes), so the benchmark can
//! show that intake and checkout cost the same on a full database as on an
//! empty one.
//!
//! The rows look like the past: delivered tickets with their events, and
//! delivered orders with two lines and a delivered outbox row each.

use std::path::Path;
use std::time::Instant;

use sqlx::{Connection, SqliteConnection};

/// How much history the prefilled databases hold.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    pub tickets: i64,
    pub pedidos: i64,
}

/// What the issue asks for: a million tickets, 200,000 orders.
pub const FULL: Sizes = Sizes { tickets: 1_000_000, pedidos: 200_000 };
/// For `--smoke`: proves the prefill runs, in a second.
pub const SMOKE: Sizes = Sizes { tickets: 10_000, pedidos: 2_000 };

/// Rows per statement: each statement is one recursive CTE over a range.
const CHUNK: i64 = 100_000;

async fn open(db: &Path) -> anyhow::Result<SqliteConnection> {
    Ok(SqliteConnection::connect(&format!("sqlite://{}", db.display())).await?)
}

/// Fills a migrated, empty Tickets database with `n` delivered tickets
/// (spread over the last 200 days, shared among the seeded couriers) and
/// their `nuevo_ticket` events. Returns the seconds it took.
pub async fn tickets(db: &Path, n: i64) -> anyhow::Result<f64> {
    let started = Instant::now();
    let mut conn = open(db).await?;
    let mut tx = conn.begin().await?;
    let couriers: Vec<(i64,)> =
        sqlx::query_as("SELECT id FROM usuarios WHERE role = 'flota' ORDER BY id").fetch_all(&mut *tx).await?;
    let courier = |i: usize| couriers.get(i).map(|c| c.0).unwrap_or(0);
    let (first, count) = (courier(0), couriers.len().max(1) as i64);
    for start in (1..=n).step_by(CHUNK as usize) {
        let end = (start + CHUNK - 1).min(n);
        sqlx::query(
            "WITH RECURSIVE k(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM k WHERE i < ?2)
             INSERT INTO tickets (numero, cliente_nombre, cliente_direccion, cliente_telefono, cliente_email,
                 productos, productos_count, total_centavos, metodo_pago, estado, prioridad, indicaciones,
                 tipo_cliente, repartidor_id, payload_hash, fecha_creacion, fecha_asignacion, fecha_en_camino,
                 fecha_entrega, fecha_actualizacion)
             SELECT 'HIST-' || i, 'Cliente ' || i, 'Av. Cabildo ' || (i % 4000), '011-5555-0000',
                 'h' || i || '@example.com',
                 '[{\"id\":1,\"nombre\":\"Arroz 1kg\",\"precio\":950,\"cantidad\":2,\"subtotal\":1900}]', 1,
                 190000, 'efectivo', 'entregado', 'normal', '', 'cliente', ?3 + (i % ?4),
                 lower(hex(randomblob(32))), d, d, d, d, d
             FROM (SELECT i, strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-' || (200 - i * 200 / ?2) || ' days') AS d FROM k)",
        )
        .bind(start)
        .bind(end)
        .bind(first)
        .bind(count)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query(
        "INSERT INTO events (kind, ticket_id, repartidor_id, payload, created_at)
         SELECT 'nuevo_ticket', id, repartidor_id, '{}', fecha_creacion FROM tickets WHERE numero LIKE 'HIST-%'",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut conn).await?;
    conn.close().await?;
    Ok(started.elapsed().as_secs_f64())
}

/// Fills a migrated Ahorro database (with its seeded catalogue) with `n`
/// delivered guest orders, two lines each, and their delivered outbox
/// rows. Returns the seconds it took.
pub async fn ahorro(db: &Path, n: i64) -> anyhow::Result<f64> {
    let started = Instant::now();
    let mut conn = open(db).await?;
    let mut tx = conn.begin().await?;
    for start in (1..=n).step_by(CHUNK as usize) {
        let end = (start + CHUNK - 1).min(n);
        sqlx::query(
            "WITH RECURSIVE k(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM k WHERE i < ?2)
             INSERT INTO pedidos (numero, cliente_nombre, cliente_apellido, cliente_email, cliente_telefono,
                 direccion, metodo_pago, notas, tipo_cliente, total, estado, fecha, ticket_id, ticket_estado,
                 ticket_fecha_creacion, repartidor, ticket_version, fecha_actualizacion)
             SELECT 'H' || printf('%08d', i), 'Cliente', 'Historia ' || i, 'h' || i || '@example.com',
                 '011-5555-0000', 'Av. Cabildo ' || (i % 4000), 'efectivo', '', 'cliente', 390000, 'entregado',
                 d, i, 'entregado', d, 'Repartidor1', 4, d
             FROM (SELECT i, strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-' || (200 - i * 200 / ?2) || ' days') AS d FROM k)",
        )
        .bind(start)
        .bind(end)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query(
        "INSERT INTO pedido_items (pedido_id, producto_id, nombre, cantidad, precio_unitario, subtotal)
         SELECT p.id, x.producto, 'Producto ' || x.producto, 1, 195000, 195000
         FROM pedidos p, (SELECT 1 AS producto UNION ALL SELECT 40) x WHERE p.numero LIKE 'H%'",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO outbox (pedido_id, numero, payload, status, attempts, next_attempt_at, created_at, delivered_at)
         SELECT id, numero, '{}', 'delivered', 1, fecha, fecha, fecha FROM pedidos WHERE numero LIKE 'H%'",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut conn).await?;
    conn.close().await?;
    Ok(started.elapsed().as_secs_f64())
}
