//! Orders: the checkout transaction (stock, order, lines and outbox row
//! together), reading orders back, and what Tickets reports about their
//! tickets.

use belgrano_contract::ticket::{Numero, TicketCreado};
use belgrano_contract::{Centavos, Estado};
use belgrano_platform::db::{Backend, Param, Sql, StoreError, Ts, Tx, parse_stored, sql};

use super::correos::PedidoCorreo;
use super::{PlaceError, Store, entrega, outbox};
use crate::domain::entrega::{Direccion, Entrega, Turno, costo_envio};
use crate::domain::pedido::{Cliente, NuevoPedido, Pedido, PedidoItem, PlacedPedido, ReservedLine, TicketUpdate};

/// The lines priced from the catalogue, read without locking a row: name,
/// price, business, category and first branch (where dispatch picks it
/// up). Refuses the order if a product is unknown or inactive, or has less
/// stock than asked; the stock itself is reserved later ([`reserve`]).
async fn priced_lines(tx: &mut Tx, items: &[(i64, i64)]) -> Result<Vec<ReservedLine>, PlaceError> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::build(
        "SELECT p.id, p.nombre, p.negocio_id, p.precio, p.stock, p.activo, COALESCE(n.nombre, ''), \
         COALESCE(c.nombre, ''), p.sucursales FROM productos p LEFT JOIN negocios n ON n.id = p.negocio_id \
         LEFT JOIN categorias c ON c.id = p.categoria_id WHERE p.id IN ",
    );
    q.push_row(items.iter().map(|(id, _)| Param::from(*id)));
    type Row = (i64, String, String, i64, i64, bool, String, String, String);
    let rows: Vec<Row> = q.fetch_all(&mut *tx).await?;
    let mut lines = Vec::with_capacity(items.len());
    for (index, (producto_id, cantidad)) in items.iter().enumerate() {
        let Some((_, nombre, negocio_id, precio, stock, activo, negocio, categoria, _)) =
            rows.iter().find(|r| r.0 == *producto_id)
        else {
            return Err(PlaceError::UnknownProduct { index });
        };
        if !activo {
            return Err(PlaceError::UnknownProduct { index });
        }
        let asked: i64 = items.iter().filter(|(id, _)| id == producto_id).map(|(_, q)| q).sum();
        if *stock < asked {
            return Err(PlaceError::NotEnoughStock { index, disponible: *stock });
        }
        lines.push(ReservedLine {
            producto_id: *producto_id,
            nombre: nombre.clone(),
            negocio_id: negocio_id.clone(),
            cantidad: *cantidad,
            precio: Centavos(*precio),
            negocio_nombre: negocio.clone(),
            categoria: categoria.clone(),
            sucursal: None,
        });
    }
    let firsts: Vec<(i64, String)> = rows
        .iter()
        .filter_map(|r| {
            let ids: Vec<String> = serde_json::from_str(&r.8).unwrap_or_default();
            ids.into_iter().next().map(|first| (r.0, first))
        })
        .collect();
    if firsts.is_empty() {
        return Ok(lines);
    }
    let mut q = Sql::build("SELECT id, nombre, direccion FROM sucursales WHERE id IN ");
    q.push_row(firsts.iter().map(|(_, s)| Param::from(s.as_str())));
    let sucursales: Vec<(String, String, String)> = q.fetch_all(&mut *tx).await?;
    for (producto_id, sucursal_id) in firsts {
        let Some(found) = sucursales.iter().find(|s| s.0 == sucursal_id) else { continue };
        for line in lines.iter_mut().filter(|l| l.producto_id == producto_id) {
            line.sucursal = Some(found.clone());
        }
    }
    Ok(lines)
}

/// Takes the lines' stock, in product id order (so concurrent checkouts
/// cannot deadlock), only while each product is still active, at the price
/// read and with the stock asked. A product that changed since it was read
/// refuses the whole transaction as [`PlaceError::Contended`].
async fn reserve(tx: &mut Tx, lines: &[ReservedLine]) -> Result<(), PlaceError> {
    let mut order: Vec<&ReservedLine> = lines.iter().collect();
    order.sort_by_key(|l| l.producto_id);
    for line in order {
        let taken =
            sql("UPDATE productos SET stock = stock - $1 WHERE id = $2 AND activo AND stock >= $1 AND precio = $3")
                .bind(line.cantidad)
                .bind(line.producto_id)
                .bind(line.precio.0)
                .execute(&mut *tx)
                .await?;
        if taken != 1 {
            return Err(PlaceError::Contended);
        }
    }
    Ok(())
}

/// An order as a Tickets update finds it, with what a mail would show.
#[derive(sqlx::FromRow)]
struct EstadoAntes {
    id: i64,
    ticket_estado: Option<String>,
    intentos_fallidos: i64,
    #[sqlx(flatten)]
    correo: PedidoCorreo,
}

#[derive(sqlx::FromRow)]
pub(super) struct PedidoRow {
    pub(super) id: i64,
    numero: String,
    usuario_id: Option<i64>,
    sesion: Option<String>,
    cliente_nombre: String,
    cliente_apellido: String,
    cliente_email: String,
    cliente_telefono: String,
    direccion: String,
    metodo_pago: String,
    notas: String,
    tipo_cliente: String,
    total: i64,
    estado: String,
    fecha: Ts,
    ticket_id: Option<i64>,
    ticket_estado: Option<String>,
    ticket_fecha_creacion: Option<Ts>,
    repartidor: Option<String>,
    fecha_actualizacion: Ts,
    envio: Option<String>,
    subtotal: Option<i64>,
    costo_envio: Option<i64>,
    barrio: Option<String>,
    franja_desde: Option<Ts>,
    franja_hasta: Option<Ts>,
    paga_con: Option<i64>,
    dir_calle: Option<String>,
    dir_altura: Option<String>,
    dir_piso: Option<String>,
    dir_entre_calles: Option<String>,
    dir_codigo_postal: Option<String>,
    dir_referencias: Option<String>,
    intentos_fallidos: i64,
    motivo_intento: Option<String>,
}

impl PedidoRow {
    pub(super) fn into_pedido(self, items: Vec<PedidoItem>) -> Result<Pedido, StoreError> {
        let direccion = self.dir_calle.map(|calle| Direccion {
            calle,
            altura: self.dir_altura.unwrap_or_default(),
            piso: self.dir_piso.unwrap_or_default(),
            entre_calles: self.dir_entre_calles.unwrap_or_default(),
            barrio: self.barrio.clone().unwrap_or_default(),
            codigo_postal: self.dir_codigo_postal.unwrap_or_default(),
            referencias: self.dir_referencias.unwrap_or_default(),
        });
        let entrega = match (self.barrio, self.subtotal, self.costo_envio, self.franja_desde, self.franja_hasta) {
            (Some(barrio), Some(subtotal), Some(costo), Some(desde), Some(hasta)) => Some(Entrega {
                barrio,
                subtotal: Centavos(subtotal),
                costo_envio: Centavos(costo),
                desde: desde.0,
                hasta: hasta.0,
                direccion,
            }),
            _ => None,
        };
        Ok(Pedido {
            entrega,
            paga_con: self.paga_con.map(Centavos),
            id: self.id,
            numero: Numero::parse(&self.numero).map_err(StoreError::Corrupt)?,
            usuario_id: self.usuario_id,
            sesion: self.sesion,
            cliente: Cliente {
                nombre: self.cliente_nombre,
                apellido: self.cliente_apellido,
                email: self.cliente_email,
                telefono: self.cliente_telefono,
            },
            direccion: self.direccion,
            metodo_pago: parse_stored(&self.metodo_pago)?,
            notas: self.notas,
            tipo_cliente: parse_stored(&self.tipo_cliente)?,
            total: Centavos(self.total),
            estado: parse_stored(&self.estado)?,
            fecha: self.fecha.0,
            ticket_id: self.ticket_id,
            ticket_estado: self.ticket_estado.as_deref().map(parse_stored).transpose()?,
            ticket_fecha_creacion: self.ticket_fecha_creacion.map(|t| t.0),
            repartidor: self.repartidor,
            fecha_actualizacion: self.fecha_actualizacion.0,
            envio: self.envio.as_deref().map(parse_stored).transpose()?,
            items,
            intentos_fallidos: self.intentos_fallidos,
            motivo_intento: self.motivo_intento,
        })
    }
}

pub(super) const PEDIDO_SELECT: &str = "SELECT p.id, p.numero, p.usuario_id, p.sesion, p.cliente_nombre, p.cliente_apellido, \
     p.cliente_email, p.cliente_telefono, p.direccion, p.metodo_pago, p.notas, p.tipo_cliente, p.total, p.estado, \
     p.fecha, p.ticket_id, p.ticket_estado, p.ticket_fecha_creacion, p.repartidor, p.fecha_actualizacion, \
     o.status AS envio, p.subtotal, p.costo_envio, p.barrio, p.franja_desde, p.franja_hasta, p.paga_con, \
     p.dir_calle, p.dir_altura, p.dir_piso, p.dir_entre_calles, p.dir_codigo_postal, p.dir_referencias, \
     p.intentos_fallidos, p.motivo_intento \
     FROM pedidos p LEFT JOIN outbox o ON o.pedido_id = p.id";

#[derive(sqlx::FromRow)]
pub(super) struct ItemRow {
    pub(super) pedido_id: i64,
    producto_id: i64,
    nombre: String,
    cantidad: i64,
    precio_unitario: i64,
    subtotal: i64,
}

impl From<ItemRow> for PedidoItem {
    fn from(r: ItemRow) -> Self {
        PedidoItem {
            producto_id: r.producto_id,
            nombre: r.nombre,
            cantidad: r.cantidad,
            precio_unitario: Centavos(r.precio_unitario),
            subtotal: Centavos(r.subtotal),
        }
    }
}

pub(super) const ITEM_COLS: &str = "pedido_id, producto_id, nombre, cantidad, precio_unitario, subtotal";

/// The checkout's writes inside `tx` (the caller commits): the lines
/// priced from the catalogue, a place in the first window with one left,
/// the order, its lines and its outbox row, and the stock reserved for
/// every line (refusing the whole order if one line cannot be served).
/// `payload` builds the outbox body from the priced lines. The checkout
/// ([`Store::place_pedido`]) and the merchants' bundles (`store::paquetes`)
/// share it.
///
/// The rows concurrent checkouts meet on are a window's counter (every
/// checkout, in the hour's first window) and the products' stock. On
/// PostgreSQL a row's lock is held from the statement that changes it until
/// the commit, so both are changed last, after plain reads chose the window
/// and priced the lines (issue 17: 94 of 100 checkouts were waiting on one
/// window's lock taken first). A window that filled in between moves the
/// order to the next window with a place, inside this transaction (a retry
/// could lose again: 100 checkouts at once over 12-place windows would
/// need nine). Stock gone or a price changed in between refuses the
/// transaction as [`PlaceError::Contended`]: roll back and try again. Locks
/// are taken in one order (products by id, then windows by time), so
/// checkouts never deadlock. SQLite's one writer makes nobody wait, so
/// there the place is taken first, without the extra read.
pub(super) async fn place_in(
    tx: &mut Tx,
    pedido: &NuevoPedido,
    payload: impl Fn(&PlacedPedido) -> String,
) -> Result<PlacedPedido, PlaceError> {
    let turnos = &pedido.entrega.turnos;
    if tx.backend() != Backend::Postgres {
        let turno = entrega::take_first_place(tx, turnos).await?.ok_or(PlaceError::WindowFull)?;
        let lines = priced_lines(tx, &pedido.items).await?;
        let placed = write_order(tx, pedido, turno, lines, &payload).await?;
        reserve(tx, &placed.lines).await?;
        return Ok(placed);
    }
    let from = entrega::first_with_room(tx, turnos).await?.ok_or(PlaceError::WindowFull)?;
    let lines = priced_lines(tx, &pedido.items).await?;
    let mut placed = write_order(tx, pedido, turnos[from].clone(), lines, &payload).await?;
    reserve(tx, &placed.lines).await?;
    if !entrega::take_place(tx, placed.turno.id()).await? {
        let Some(next) = entrega::take_first_place(tx, &turnos[from + 1..]).await? else {
            // Every later window filled meanwhile too: the retry reads
            // again (and says WindowFull if they all are).
            return Err(PlaceError::Contended);
        };
        move_to(tx, pedido, &mut placed, next, &payload).await?;
    }
    Ok(placed)
}

/// The delivery cost and total of the order in `turno`'s window; refuses
/// one under the zone's minimum or paid with less than its total.
fn totals(pedido: &NuevoPedido, turno: &Turno, subtotal: Centavos) -> Result<(Centavos, Centavos), PlaceError> {
    let entrega = &pedido.entrega;
    if entrega.exige_minimo && subtotal < entrega.zona.minimo {
        return Err(PlaceError::UnderMinimum { minimo: entrega.zona.minimo, subtotal });
    }
    let costo_envio = costo_envio(&entrega.zona, &turno.franja, subtotal);
    let total = subtotal + costo_envio;
    if pedido.paga_con.is_some_and(|p| p < total) {
        return Err(PlaceError::PagaConShort { total });
    }
    Ok((costo_envio, total))
}

/// Moves a written order to `turno` (its first window filled meanwhile):
/// the window, what delivery costs there and the ticket sent to Tickets.
async fn move_to(
    tx: &mut Tx,
    pedido: &NuevoPedido,
    placed: &mut PlacedPedido,
    turno: Turno,
    payload: &impl Fn(&PlacedPedido) -> String,
) -> Result<(), PlaceError> {
    let (costo_envio, total) = totals(pedido, &turno, placed.subtotal)?;
    sql("UPDATE pedidos SET franja_desde = $1, franja_hasta = $2, costo_envio = $3, total = $4 WHERE id = $5")
        .bind(turno.desde().to_utc())
        .bind(turno.hasta().to_utc())
        .bind(costo_envio.0)
        .bind(total.0)
        .bind(placed.pedido_id)
        .execute(&mut *tx)
        .await?;
    (placed.turno, placed.costo_envio, placed.total) = (turno, costo_envio, total);
    sql("UPDATE outbox SET payload = $1 WHERE pedido_id = $2")
        .bind(payload(placed))
        .bind(placed.pedido_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// The order's rows in `turno`'s window: the order, its lines and its
/// outbox row.
async fn write_order(
    tx: &mut Tx,
    pedido: &NuevoPedido,
    turno: Turno,
    lines: Vec<ReservedLine>,
    payload: &impl Fn(&PlacedPedido) -> String,
) -> Result<PlacedPedido, PlaceError> {
    let now = Ts::now();
    let entrega = &pedido.entrega;
    let subtotal: Centavos = lines.iter().map(ReservedLine::subtotal).sum();
    let (costo_envio, total) = totals(pedido, &turno, subtotal)?;
    let dir = entrega.direccion.as_ref();
    let part = |f: fn(&Direccion) -> &String| dir.map(|d| f(d).clone());
    let ids: Vec<(i64,)> =
            sql("INSERT INTO pedidos (numero, usuario_id, cliente_nombre, cliente_apellido, cliente_email, \
             cliente_telefono, direccion, metodo_pago, notas, tipo_cliente, total, estado, fecha, fecha_actualizacion, \
             sesion, subtotal, costo_envio, barrio, franja_desde, franja_hasta, paga_con, dir_calle, dir_altura, \
             dir_piso, dir_entre_calles, dir_codigo_postal, dir_referencias) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
             $9, $10, $11, $12, $13, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26) RETURNING id")
            .bind(pedido.numero.as_str())
            .bind(pedido.usuario_id)
            .bind(&pedido.cliente.nombre)
            .bind(&pedido.cliente.apellido)
            .bind(&pedido.cliente.email)
            .bind(&pedido.cliente.telefono)
            .bind(&pedido.direccion)
            .bind(pedido.metodo_pago.as_str())
            .bind(&pedido.notas)
            .bind(pedido.tipo_cliente.as_str())
            .bind(total.0)
            .bind(Estado::Pendiente.as_str())
            .bind(now)
            .bind(pedido.sesion.as_deref())
            .bind(subtotal.0)
            .bind(costo_envio.0)
            .bind(&entrega.zona.barrio)
            .bind(turno.desde().to_utc())
            .bind(turno.hasta().to_utc())
            .bind(pedido.paga_con.map(|p| p.0))
            .bind(part(|d| &d.calle))
            .bind(part(|d| &d.altura))
            .bind(part(|d| &d.piso))
            .bind(part(|d| &d.entre_calles))
            .bind(part(|d| &d.codigo_postal))
            .bind(part(|d| &d.referencias))
            .fetch_all(&mut *tx)
            .await?;
    let pedido_id = ids.first().map(|(id,)| *id).ok_or_else(|| StoreError::Corrupt("INSERT returned no id".into()))?;
    let mut insert = Sql::build(&format!("INSERT INTO pedido_items ({ITEM_COLS}) VALUES "));
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            insert.push(", ");
        }
        insert.push_row([
            Param::from(pedido_id),
            line.producto_id.into(),
            line.nombre.as_str().into(),
            line.cantidad.into(),
            line.precio.0.into(),
            line.subtotal().0.into(),
        ]);
    }
    insert.execute(&mut *tx).await?;
    let placed = PlacedPedido { pedido_id, fecha: now.0, total, subtotal, costo_envio, turno, lines };
    outbox::queue(pedido_id, &pedido.numero, payload(&placed)).execute(&mut *tx).await?;
    Ok(placed)
}

impl Store {
    /// The checkout transaction: [`place_in`] and the confirmation mail,
    /// committed together. `payload` builds the outbox body from the priced
    /// lines.
    pub async fn place_pedido(
        &self,
        pedido: &NuevoPedido,
        payload: impl Fn(&PlacedPedido) -> String,
    ) -> Result<PlacedPedido, PlaceError> {
        let mut tx = self.db.begin_write().await?;
        let placed = place_in(&mut tx, pedido, payload).await?;
        super::correos::queue_confirmacion(&mut tx, &self.enlaces, pedido, &placed).await?;
        tx.commit().await?;
        // The stock moved.
        self.vitrina.changed();
        Ok(placed)
    }

    pub async fn pedido(&self, numero: &str) -> Result<Option<Pedido>, StoreError> {
        let row: Option<PedidoRow> = Sql::build(&format!("{PEDIDO_SELECT} WHERE p.numero = $1"))
            .bind(numero)
            .fetch_optional(self.db.read())
            .await?;
        let Some(row) = row else { return Ok(None) };
        let items: Vec<ItemRow> =
            Sql::build(&format!("SELECT {ITEM_COLS} FROM pedido_items WHERE pedido_id = $1 ORDER BY id"))
                .bind(row.id)
                .fetch_all(self.db.read())
                .await?;
        row.into_pedido(items.into_iter().map(Into::into).collect()).map(Some)
    }

    /// The number of the order with this numeric id (the old shop's
    /// `/ver_pedido/{id}` links).
    pub async fn numero_de_pedido(&self, id: i64) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> =
            sql("SELECT numero FROM pedidos WHERE id = $1").bind(id).fetch_optional(self.db.read()).await?;
        Ok(row.map(|(numero,)| numero))
    }

    /// An account's orders, newest first, with their lines.
    pub async fn pedidos_de(&self, usuario_id: i64, limit: i64) -> Result<Vec<Pedido>, StoreError> {
        let rows: Vec<PedidoRow> =
            Sql::build(&format!("{PEDIDO_SELECT} WHERE p.usuario_id = $1 ORDER BY p.id DESC LIMIT $2"))
                .bind(usuario_id)
                .bind(limit)
                .fetch_all(self.db.read())
                .await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        // One query for every order's lines.
        let mut q = Sql::build(&format!("SELECT {ITEM_COLS} FROM pedido_items WHERE pedido_id IN "));
        q.push_row(rows.iter().map(|r| Param::from(r.id)));
        q.push(" ORDER BY id");
        let mut items: Vec<ItemRow> = q.fetch_all(self.db.read()).await?;
        rows.into_iter()
            .map(|row| {
                let mine = items.extract_if(.., |i| i.pedido_id == row.id).map(Into::into).collect();
                row.into_pedido(mine)
            })
            .collect()
    }

    /// (number of orders, total spent) of an account.
    pub async fn order_stats(&self, usuario_id: i64) -> Result<(i64, Centavos), StoreError> {
        let (count, spent): (i64, i64) =
            sql("SELECT COUNT(*), CAST(COALESCE(SUM(total), 0) AS BIGINT) FROM pedidos WHERE usuario_id = $1")
                .bind(usuario_id)
                .fetch_one(self.db.read())
                .await?;
        Ok((count, Centavos(spent)))
    }

    /// Orders per ticket state (`pendiente` until Tickets confirmed one).
    pub async fn pedidos_por_estado(&self) -> Result<Vec<(Estado, i64)>, StoreError> {
        let rows: Vec<(String, i64)> = sql("SELECT COALESCE(ticket_estado, 'pendiente'), COUNT(*) FROM pedidos \
             GROUP BY COALESCE(ticket_estado, 'pendiente')")
        .fetch_all(self.db.read())
        .await?;
        rows.into_iter().map(|(estado, n)| Ok((parse_stored(&estado)?, n))).collect()
    }

    /// A status update from Tickets. A versioned one applies only if newer
    /// than the last one applied, and then also records its moments and
    /// cancellation reason. Returns false when no such order exists.
    pub async fn apply_ticket_update(&self, update: &TicketUpdate) -> Result<bool, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let antes: Option<EstadoAntes> = Sql::build(&format!(
            "SELECT id, ticket_estado, intentos_fallidos, {} FROM pedidos WHERE numero = $1",
            PedidoCorreo::COLUMNS
        ))
        .bind(&update.numero)
        .fetch_optional(&mut tx)
        .await?;
        let Some(antes) = antes else { return Ok(false) };
        let version = update.versioned.as_ref().map(|v| v.version);
        let v = update.versioned.as_ref();
        // A versioned update applies if newer, with its dates, reason and
        // attempts. An unversioned one (old clients) carries none of them,
        // never overrides a versioned state, nor moves a final one. One
        // statement: on SQLite each is a trip to the writer's thread.
        let applied =
            sql("UPDATE pedidos SET ticket_estado = $1, repartidor = $2, ticket_id = COALESCE($3, ticket_id), \
             ticket_version = COALESCE($4, ticket_version), fecha_actualizacion = $5, \
             fecha_en_camino = CASE WHEN $4 IS NULL THEN fecha_en_camino ELSE $7 END, \
             fecha_entrega = CASE WHEN $4 IS NULL THEN fecha_entrega ELSE $8 END, \
             motivo_cancelacion = CASE WHEN $4 IS NULL THEN motivo_cancelacion ELSE $9 END, \
             intentos_fallidos = COALESCE($10, intentos_fallidos), \
             motivo_intento = CASE WHEN $10 IS NULL THEN motivo_intento ELSE $11 END \
             WHERE numero = $6 AND (ticket_version < $4 OR ($4 IS NULL AND ticket_version = 0 \
                   AND (ticket_estado IS NULL OR ticket_estado NOT IN ('entregado', 'cancelado'))))")
            .bind(update.estado.as_str())
            .bind(&update.repartidor)
            .bind(update.ticket_id)
            .bind(version)
            .bind(Ts::now())
            .bind(&update.numero)
            .bind(v.and_then(|v| v.fecha_en_camino))
            .bind(v.and_then(|v| v.fecha_entrega))
            .bind(v.and_then(|v| v.motivo_cancelacion.as_deref()))
            .bind(v.and_then(|v| v.intentos_fallidos).map(i64::from))
            .bind(v.and_then(|v| v.motivo_intento.as_deref()))
            .execute(&mut tx)
            .await?;
        let pedido_id = antes.id;
        let intentos_antes = antes.intentos_fallidos;
        // Every report is kept for the back office, applied or not.
        super::backoffice::record_history(&mut tx, pedido_id, "ticket_actualizado", update, applied > 0).await?;
        // The customer hears of a change once: only an applied update that
        // changed the state queues a mail (and its key refuses a repeat).
        if applied > 0 && antes.ticket_estado.as_deref() != Some(update.estado.as_str()) {
            let motivo = update.versioned.as_ref().and_then(|v| v.motivo_cancelacion.as_deref());
            super::correos::queue_estado(&mut tx, &self.enlaces, &antes.correo, update.estado, motivo).await?;
        }
        // A new failed attempt: one mail per attempt (keyed by its count).
        if let Some(v) = update.versioned.as_ref().filter(|_| applied > 0)
            && let (Some(intentos), Some(motivo)) = (v.intentos_fallidos, v.motivo_intento.as_deref())
            && i64::from(intentos) > intentos_antes
            && update.estado == Estado::Pendiente
        {
            super::correos::queue_no_entregado(&mut tx, &self.enlaces, &antes.correo, intentos, motivo).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// A delivery Tickets accepted: the order learns its ticket (the seed's
    /// step 6), inside the transaction that closes its outbox row.
    pub async fn record_ticket(tx: &mut Tx, numero: &str, creado: &TicketCreado) -> Result<(), StoreError> {
        sql("UPDATE pedidos SET ticket_id = $1, ticket_estado = COALESCE(ticket_estado, $2), ticket_fecha_creacion = $3, \
             repartidor = COALESCE(repartidor, $4), fecha_actualizacion = $5 WHERE numero = $6")
        .bind(creado.ticket_id)
        .bind(creado.estado.as_str())
        .bind(creado.fecha_creacion)
        .bind(creado.repartidor_asignado.as_deref())
        .bind(Ts::now())
        .bind(numero)
        .execute(&mut *tx)
        .await?;
        super::backoffice::record_creation(tx, numero, creado).await
    }
}
