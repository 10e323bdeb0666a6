//! What the tracking page and the live streams read: an order's ticket
//! state without its lines or the customer's contact data.

use belgrano_platform::db::{Sql, StoreError, Ts, parse_stored};

use super::Store;
use crate::domain::seguimiento::Seguimiento;

#[derive(sqlx::FromRow)]
struct SeguimientoRow {
    numero: String,
    fecha: Ts,
    ticket_id: Option<i64>,
    ticket_estado: Option<String>,
    repartidor: Option<String>,
    ticket_version: i64,
    fecha_actualizacion: Ts,
    fecha_en_camino: Option<Ts>,
    fecha_entrega: Option<Ts>,
    motivo_cancelacion: Option<String>,
    intentos_fallidos: i64,
    motivo_intento: Option<String>,
}

impl TryFrom<SeguimientoRow> for Seguimiento {
    type Error = StoreError;
    fn try_from(r: SeguimientoRow) -> Result<Self, StoreError> {
        Ok(Seguimiento {
            numero: r.numero,
            fecha: r.fecha.0,
            ticket_id: r.ticket_id,
            ticket_estado: r.ticket_estado.as_deref().map(parse_stored).transpose()?,
            repartidor: r.repartidor,
            ticket_version: r.ticket_version,
            fecha_actualizacion: r.fecha_actualizacion.0,
            fecha_en_camino: r.fecha_en_camino.map(|t| t.0),
            fecha_entrega: r.fecha_entrega.map(|t| t.0),
            motivo_cancelacion: r.motivo_cancelacion,
            intentos_fallidos: r.intentos_fallidos,
            motivo_intento: r.motivo_intento,
        })
    }
}

const SEGUIMIENTO_COLS: &str = "numero, fecha, ticket_id, ticket_estado, repartidor, ticket_version, \
     fecha_actualizacion, fecha_en_camino, fecha_entrega, motivo_cancelacion, \
     intentos_fallidos, motivo_intento";

impl Store {
    pub async fn seguimiento(&self, numero: &str) -> Result<Option<Seguimiento>, StoreError> {
        let row: Option<SeguimientoRow> =
            Sql::build(&format!("SELECT {SEGUIMIENTO_COLS} FROM pedidos WHERE numero = $1"))
                .bind(numero)
                .fetch_optional(self.db.read())
                .await?;
        row.map(Seguimiento::try_from).transpose()
    }

    /// An account's latest orders' progress, newest first.
    pub async fn seguimientos_de(&self, usuario_id: i64, limit: i64) -> Result<Vec<Seguimiento>, StoreError> {
        let rows: Vec<SeguimientoRow> = Sql::build(&format!(
            "SELECT {SEGUIMIENTO_COLS} FROM pedidos WHERE usuario_id = $1 ORDER BY id DESC LIMIT $2"
        ))
        .bind(usuario_id)
        .bind(limit)
        .fetch_all(self.db.read())
        .await?;
        rows.into_iter().map(Seguimiento::try_from).collect()
    }
}
