//! What the back office reads about orders: the filtered list (and its
//! CSV), each order's history as Tickets reported it
//! (`pedido_historial`, written with every report by
//! `Store::apply_ticket_update` and `Store::record_ticket`), and the
//! dashboard's figures (today's orders, best sellers, low stock).

use belgrano_contract::ticket::TicketCreado;
use belgrano_contract::{Centavos, Estado, MetodoPago};
use belgrano_platform::db::{Param, Sql, StoreError, Ts, Tx, parse_stored, sql};
use chrono::{DateTime, Utc};

use super::Store;
use super::pedidos::{ITEM_COLS, ItemRow, PEDIDO_SELECT, PedidoRow};
use crate::domain::pedido::{Pedido, TicketUpdate};

/// Which orders to list; every `None` matches all. Dates are instants
/// (the handler turns Buenos Aires days into them).
#[derive(Debug, Clone, Default)]
pub struct FiltroPedidos {
    /// The ticket's state (`pendiente` until Tickets reported one).
    pub estado: Option<Estado>,
    /// From this instant on.
    pub desde: Option<DateTime<Utc>>,
    /// Before this instant.
    pub hasta: Option<DateTime<Utc>>,
    /// Orders with at least one product of this store.
    pub negocio: Option<String>,
    /// Part of the customer's name, surname or e-mail (any case).
    pub cliente: Option<String>,
    pub metodo_pago: Option<MetodoPago>,
    pub limit: i64,
    pub offset: i64,
}

/// One report from Tickets about an order.
#[derive(Debug, Clone)]
pub struct Historia {
    /// `ticket_creado` or `ticket_actualizado`.
    pub evento: String,
    pub estado: Estado,
    pub repartidor: Option<String>,
    pub version: Option<i64>,
    /// False for a late or repeated update (an older version).
    pub aplicado: bool,
    pub recibido: DateTime<Utc>,
}

/// Today's orders (not cancelled) for the dashboard.
#[derive(Debug, Clone, Default)]
pub struct PanelHoy {
    pub pedidos: i64,
    pub recaudado: Centavos,
    /// When each order was placed, to count them by local hour.
    pub momentos: Vec<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct HistoriaRow {
    pedido_id: i64,
    evento: String,
    estado: String,
    repartidor: Option<String>,
    version: Option<i64>,
    aplicado: bool,
    recibido: Ts,
}

/// Records a status update as it arrived, in its transaction.
pub(super) async fn record_history(
    tx: &mut Tx,
    pedido_id: i64,
    evento: &str,
    update: &TicketUpdate,
    aplicado: bool,
) -> Result<(), StoreError> {
    sql("INSERT INTO pedido_historial (pedido_id, evento, estado, repartidor, version, aplicado, recibido) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)")
    .bind(pedido_id)
    .bind(evento)
    .bind(update.estado.as_str())
    .bind(&update.repartidor)
    .bind(update.versioned.as_ref().map(|v| v.version))
    .bind(aplicado)
    .bind(Ts::now())
    .execute(tx)
    .await
    .map(drop)
}

/// Records Tickets' answer to the delivery (the ticket was created).
pub(super) async fn record_creation(tx: &mut Tx, numero: &str, creado: &TicketCreado) -> Result<(), StoreError> {
    sql("INSERT INTO pedido_historial (pedido_id, evento, estado, repartidor, version, aplicado, recibido) \
         SELECT id, 'ticket_creado', $1, $2, NULL, $3, $4 FROM pedidos WHERE numero = $5")
    .bind(creado.estado.as_str())
    .bind(creado.repartidor_asignado.as_deref())
    .bind(true)
    .bind(Ts::now())
    .bind(numero)
    .execute(tx)
    .await
    .map(drop)
}

/// `%text%` for LIKE, with LIKE's own characters escaped (`\`).
fn like_pattern(text: &str) -> String {
    let mut out = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

impl FiltroPedidos {
    /// ` WHERE ...` for the filters (on `pedidos p`).
    fn push_where(&self, q: &mut Sql) {
        q.push(" WHERE 1 = 1");
        if let Some(estado) = self.estado {
            q.push(" AND COALESCE(p.ticket_estado, 'pendiente') = ").push_bind(estado.as_str());
        }
        if let Some(desde) = self.desde {
            q.push(" AND p.fecha >= ").push_bind(Ts(desde));
        }
        if let Some(hasta) = self.hasta {
            q.push(" AND p.fecha < ").push_bind(Ts(hasta));
        }
        if let Some(negocio) = &self.negocio {
            q.push(
                " AND EXISTS (SELECT 1 FROM pedido_items i JOIN productos pr ON pr.id = i.producto_id \
                 WHERE i.pedido_id = p.id AND pr.negocio_id = ",
            )
            .push_bind(negocio.as_str())
            .push(")");
        }
        if let Some(cliente) = &self.cliente {
            q.push(" AND LOWER(p.cliente_nombre || ' ' || p.cliente_apellido || ' ' || p.cliente_email) LIKE ")
                .push_bind(like_pattern(cliente))
                .push(" ESCAPE '\\'");
        }
        if let Some(metodo) = self.metodo_pago {
            q.push(" AND p.metodo_pago = ").push_bind(metodo.as_str());
        }
    }
}

impl Store {
    /// The orders matching `f`, newest first, with their lines, and how
    /// many match in all (for paging).
    pub async fn buscar_pedidos(&self, f: &FiltroPedidos) -> Result<(Vec<Pedido>, i64), StoreError> {
        let mut count = Sql::build("SELECT COUNT(*) FROM pedidos p");
        f.push_where(&mut count);
        let (total,): (i64,) = count.fetch_one(self.db.read()).await?;
        let mut q = Sql::build(PEDIDO_SELECT);
        f.push_where(&mut q);
        q.push(" ORDER BY p.fecha DESC, p.id DESC LIMIT ").push_bind(f.limit).push(" OFFSET ").push_bind(f.offset);
        let rows: Vec<PedidoRow> = q.fetch_all(self.db.read()).await?;
        if rows.is_empty() {
            return Ok((Vec::new(), total));
        }
        let mut q = Sql::build(&format!("SELECT {ITEM_COLS} FROM pedido_items WHERE pedido_id IN "));
        q.push_row(rows.iter().map(|r| Param::from(r.id)));
        q.push(" ORDER BY id");
        let mut items: Vec<ItemRow> = q.fetch_all(self.db.read()).await?;
        let pedidos = rows
            .into_iter()
            .map(|row| {
                let mine = items.extract_if(.., |i| i.pedido_id == row.id).map(Into::into).collect();
                row.into_pedido(mine)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok((pedidos, total))
    }

    /// The reports Tickets sent about these orders, oldest first:
    /// (pedido id, report).
    pub async fn historial(&self, pedido_ids: &[i64]) -> Result<Vec<(i64, Historia)>, StoreError> {
        if pedido_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = Sql::build(
            "SELECT pedido_id, evento, estado, repartidor, version, aplicado, recibido FROM pedido_historial \
             WHERE pedido_id IN ",
        );
        q.push_row(pedido_ids.iter().map(|id| Param::from(*id)));
        q.push(" ORDER BY id");
        let rows: Vec<HistoriaRow> = q.fetch_all(self.db.read()).await?;
        rows.into_iter()
            .map(|r| {
                Ok((
                    r.pedido_id,
                    Historia {
                        evento: r.evento,
                        estado: parse_stored(&r.estado)?,
                        repartidor: r.repartidor,
                        version: r.version,
                        aplicado: r.aplicado,
                        recibido: r.recibido.0,
                    },
                ))
            })
            .collect()
    }

    /// Orders placed in `[desde, hasta)` and not cancelled: how many, what
    /// they add up to and when each was placed.
    pub async fn pedidos_entre(&self, desde: DateTime<Utc>, hasta: DateTime<Utc>) -> Result<PanelHoy, StoreError> {
        let rows: Vec<(Ts, i64)> = sql("SELECT fecha, total FROM pedidos WHERE fecha >= $1 AND fecha < $2 \
             AND (ticket_estado IS NULL OR ticket_estado <> 'cancelado')")
        .bind(Ts(desde))
        .bind(Ts(hasta))
        .fetch_all(self.db.read())
        .await?;
        Ok(PanelHoy {
            pedidos: rows.len() as i64,
            recaudado: Centavos(rows.iter().map(|(_, t)| *t).sum()),
            momentos: rows.into_iter().map(|(f, _)| f.0).collect(),
        })
    }

    /// The products sold most since `desde` (orders not cancelled):
    /// (producto id, name, units), most units first.
    pub async fn mas_vendidos(&self, desde: DateTime<Utc>, limit: i64) -> Result<Vec<(i64, String, i64)>, StoreError> {
        sql("SELECT i.producto_id, MAX(i.nombre), CAST(SUM(i.cantidad) AS BIGINT) AS unidades \
             FROM pedido_items i JOIN pedidos p ON p.id = i.pedido_id \
             WHERE p.fecha >= $1 AND (p.ticket_estado IS NULL OR p.ticket_estado <> 'cancelado') \
             GROUP BY i.producto_id ORDER BY unidades DESC, i.producto_id LIMIT $2")
        .bind(Ts(desde))
        .bind(limit)
        .fetch_all(self.db.read())
        .await
    }

    /// Active products with at most `max` units left: (id, name, stock),
    /// fewest first.
    pub async fn stock_bajo(&self, max: i64, limit: i64) -> Result<Vec<(i64, String, i64)>, StoreError> {
        sql("SELECT id, nombre, stock FROM productos WHERE activo AND stock <= $1 ORDER BY stock, nombre, id LIMIT $2")
            .bind(max)
            .bind(limit)
            .fetch_all(self.db.read())
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::like_pattern;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern("Ana_50%"), "%ana\\_50\\%%");
    }
}
