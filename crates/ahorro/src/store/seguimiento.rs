//! What the tracking page and the live streams read: an order's ticket
//! state without its lines or the customer's contact data.

use chrono::{DateTime, Utc};

use super::ts::Ts;
use super::{Store, StoreError};

/// An order's progress as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Seguimiento {
    pub numero: String,
    pub fecha: Ts,
    pub ticket_id: Option<i64>,
    pub ticket_estado: Option<String>,
    pub repartidor: Option<String>,
    pub ticket_version: i64,
    pub fecha_actualizacion: Ts,
    pub fecha_en_camino: Option<Ts>,
    pub fecha_entrega: Option<Ts>,
    pub motivo_cancelacion: Option<String>,
}

const SEGUIMIENTO_COLS: &str = "numero, fecha, ticket_id, ticket_estado, repartidor, ticket_version, fecha_actualizacion, \
     fecha_en_camino, fecha_entrega, motivo_cancelacion";

impl Store {
    pub async fn seguimiento(&self, numero: &str) -> Result<Option<Seguimiento>, StoreError> {
        let sql = format!("SELECT {SEGUIMIENTO_COLS} FROM pedidos WHERE numero = $1");
        Ok(
            on_pool!(read self, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(numero).fetch_optional(pool).await?),
        )
    }

    /// An account's latest orders' progress, newest first.
    pub async fn seguimientos_de(&self, usuario_id: i64, limit: i64) -> Result<Vec<Seguimiento>, StoreError> {
        let sql = format!("SELECT {SEGUIMIENTO_COLS} FROM pedidos WHERE usuario_id = $1 ORDER BY id DESC LIMIT $2");
        Ok(on_pool!(read self, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(usuario_id).bind(limit).fetch_all(pool).await?
        }))
    }

    /// The timestamps and cancellation reason of a versioned update, kept
    /// only if that version is the one the order holds (a newer update
    /// that won the race keeps its own).
    pub async fn record_ticket_fechas(
        &self,
        numero: &str,
        version: i64,
        fecha_en_camino: Option<DateTime<Utc>>,
        fecha_entrega: Option<DateTime<Utc>>,
        motivo_cancelacion: Option<&str>,
    ) -> Result<(), StoreError> {
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE pedidos SET fecha_en_camino = $1, fecha_entrega = $2, motivo_cancelacion = $3 \
                 WHERE numero = $4 AND ticket_version = $5",
            )
            .bind(fecha_en_camino.map(Ts))
            .bind(fecha_entrega.map(Ts))
            .bind(motivo_cancelacion)
            .bind(numero)
            .bind(version)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(())
    }
}
