//! Merchants' bundles (paquetes) and their executions: saving and reading
//! them, and placing one as an order ([`Store::ejecutar_paquete`]) in one
//! write transaction: the compare-and-set of its next date (scheduled
//! runs), the execution row (`UNIQUE (paquete_id, fecha_programada,
//! origen)`: the exactly-once key), the order through the checkout's own
//! [`super::pedidos::place_in`], and the merchant's mail. A crash before
//! the commit leaves nothing; a second instance loses the compare-and-set
//! (or the key) and writes nothing.

use belgrano_contract::FieldError;
use belgrano_platform::db::{Param, Sql, StoreError, Ts, Tx, sql};
use chrono::NaiveDate;

use super::{PlaceError, Store, pedidos};
use crate::domain::checkout::Checkout;
use crate::domain::correo::{self, DatosPaquete, DatosPedido, Linea};
use crate::domain::entrega::Direccion;
use crate::domain::paquete::{
    Ejecucion, EjecucionGuardada, MAX_PAQUETES, NuevoPaquete, Omitido, Paquete, fecha_en_palabras,
};
use crate::domain::pedido::{EntregaPedida, PlacedPedido, new_numero, pago_en_palabras};

fn fecha_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn parse_fecha(s: &str) -> Result<NaiveDate, StoreError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| StoreError::Corrupt(format!("paquete date '{s}'")))
}

#[derive(sqlx::FromRow)]
struct PaqueteRow {
    id: i64,
    usuario_id: i64,
    nombre: String,
    frecuencia: String,
    proxima_fecha: String,
    direccion: String,
    dir_calle: Option<String>,
    dir_altura: Option<String>,
    dir_piso: Option<String>,
    dir_entre_calles: Option<String>,
    dir_barrio: Option<String>,
    dir_codigo_postal: Option<String>,
    dir_referencias: Option<String>,
    franja_id: Option<i64>,
    activo: bool,
}

const PAQUETE_COLS: &str = "id, usuario_id, nombre, frecuencia, proxima_fecha, direccion, dir_calle, dir_altura, \
     dir_piso, dir_entre_calles, dir_barrio, dir_codigo_postal, dir_referencias, franja_id, activo";

impl PaqueteRow {
    fn into_paquete(self, items: Vec<(i64, i64)>) -> Result<Paquete, StoreError> {
        let direccion_estructurada = self.dir_calle.map(|calle| Direccion {
            calle,
            altura: self.dir_altura.unwrap_or_default(),
            piso: self.dir_piso.unwrap_or_default(),
            entre_calles: self.dir_entre_calles.unwrap_or_default(),
            barrio: self.dir_barrio.unwrap_or_default(),
            codigo_postal: self.dir_codigo_postal.unwrap_or_default(),
            referencias: self.dir_referencias.unwrap_or_default(),
        });
        Ok(Paquete {
            id: self.id,
            usuario_id: self.usuario_id,
            nombre: self.nombre,
            frecuencia: self.frecuencia.parse().map_err(StoreError::Corrupt)?,
            proxima_fecha: parse_fecha(&self.proxima_fecha)?,
            direccion: self.direccion,
            direccion_estructurada,
            franja_id: self.franja_id,
            activo: self.activo,
            items,
        })
    }
}

/// Who runs a bundle: the scheduler for the date it was due, or the
/// merchant's "Pedir ahora" (at most once a day).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origen {
    /// Advances `proxima_fecha` from `programada` to `proxima`.
    Programado {
        proxima: NaiveDate,
    },
    Manual,
}

impl Origen {
    fn as_str(self) -> &'static str {
        match self {
            Origen::Programado { .. } => "programado",
            Origen::Manual => "manual",
        }
    }
}

/// One run of a bundle, as the service prepared it.
pub struct Corrida<'a> {
    pub paquete: &'a Paquete,
    /// The merchant's checkout of the bundle (its lines are filtered here,
    /// against stock, inside the transaction).
    pub checkout: Checkout,
    /// The delivery, or why there can be none (the barrio is no longer
    /// served).
    pub entrega: Result<EntregaPedida, String>,
    /// The date it was due (today for a manual run).
    pub programada: NaiveDate,
    pub hoy: NaiveDate,
    pub origen: Origen,
}

/// What [`Store::ejecutar_paquete`] did.
#[derive(Debug)]
pub enum Resultado {
    Hecho(Ejecucion),
    /// Already done: another instance placed it (or the merchant already
    /// ordered it today); nothing written.
    YaHecho,
    /// A manual run with nothing to send: nothing written, the reason.
    NadaDisponible(String),
}

/// Why a bundle could not be saved.
#[derive(Debug)]
pub enum PaqueteRefusal {
    Invalid(FieldError),
    NotFound,
}

impl Store {
    /// Checks what only the database knows: every product exists and is
    /// sold, the franja exists.
    async fn check_paquete(tx: &mut Tx, p: &NuevoPaquete) -> Result<Result<(), FieldError>, StoreError> {
        let mut q = Sql::build("SELECT id FROM productos WHERE activo AND id IN ");
        q.push_row(p.items.iter().map(|(id, _)| Param::from(*id)));
        let found: Vec<(i64,)> = q.fetch_all(&mut *tx).await?;
        if let Some(i) = p.items.iter().position(|(id, _)| !found.iter().any(|(f,)| f == id)) {
            return Ok(Err(FieldError::new(
                format!("items[{i}].producto_id"),
                "el producto no existe o ya no se vende",
            )));
        }
        if let Some(franja) = p.franja_id {
            let exists: Option<(i64,)> =
                sql("SELECT id FROM franjas WHERE id = $1").bind(franja).fetch_optional(&mut *tx).await?;
            if exists.is_none() {
                return Ok(Err(FieldError::new("franja_id", "no es una franja de entrega ofrecida")));
            }
        }
        Ok(Ok(()))
    }

    async fn write_items(tx: &mut Tx, paquete_id: i64, items: &[(i64, i64)]) -> Result<(), StoreError> {
        sql("DELETE FROM paquete_items WHERE paquete_id = $1").bind(paquete_id).execute(&mut *tx).await?;
        let rows =
            items.iter().map(|(id, q)| vec![Param::from(paquete_id), Param::from(*id), Param::from(*q)]).collect();
        belgrano_platform::db::insert_rows(
            tx,
            "INSERT INTO paquete_items (paquete_id, producto_id, cantidad) VALUES ",
            rows,
        )
        .await
    }

    /// A new bundle for `usuario_id`; its id.
    pub async fn crear_paquete(
        &self,
        usuario_id: i64,
        p: &NuevoPaquete,
    ) -> Result<Result<i64, FieldError>, StoreError> {
        let mut tx = self.db.begin_write().await?;
        if let Err(e) = Self::check_paquete(&mut tx, p).await? {
            return Ok(Err(e));
        }
        let (count,): (i64,) =
            sql("SELECT COUNT(*) FROM paquetes WHERE usuario_id = $1").bind(usuario_id).fetch_one(&mut tx).await?;
        if count >= MAX_PAQUETES {
            return Ok(Err(FieldError::new("nombre", format!("podés tener hasta {MAX_PAQUETES} paquetes"))));
        }
        let d = p.direccion_estructurada.as_ref();
        let part = |f: fn(&Direccion) -> &String| d.map(|d| f(d).clone());
        let now = Ts::now();
        let ids: Vec<(i64,)> = sql("INSERT INTO paquetes (usuario_id, nombre, frecuencia, proxima_fecha, direccion, \
             dir_calle, dir_altura, dir_piso, dir_entre_calles, dir_barrio, dir_codigo_postal, dir_referencias, \
             franja_id, activo, creado, actualizado) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) RETURNING id")
        .bind(usuario_id)
        .bind(&p.nombre)
        .bind(p.frecuencia.as_str())
        .bind(fecha_text(p.proxima_fecha))
        .bind(&p.direccion)
        .bind(part(|d| &d.calle))
        .bind(part(|d| &d.altura))
        .bind(part(|d| &d.piso))
        .bind(part(|d| &d.entre_calles))
        .bind(part(|d| &d.barrio))
        .bind(part(|d| &d.codigo_postal))
        .bind(part(|d| &d.referencias))
        .bind(p.franja_id)
        .bind(true)
        .bind(now)
        .fetch_all(&mut tx)
        .await?;
        let id = ids.first().map(|(id,)| *id).ok_or_else(|| StoreError::Corrupt("INSERT returned no id".into()))?;
        Self::write_items(&mut tx, id, &p.items).await?;
        tx.commit().await?;
        Ok(Ok(id))
    }

    /// Replaces a bundle of `usuario_id` (lines, rhythm, date, address,
    /// franja); pausing is [`Store::pausar_paquete`].
    pub async fn actualizar_paquete(
        &self,
        usuario_id: i64,
        id: i64,
        p: &NuevoPaquete,
    ) -> Result<Result<(), PaqueteRefusal>, StoreError> {
        let mut tx = self.db.begin_write().await?;
        if let Err(e) = Self::check_paquete(&mut tx, p).await? {
            return Ok(Err(PaqueteRefusal::Invalid(e)));
        }
        let d = p.direccion_estructurada.as_ref();
        let part = |f: fn(&Direccion) -> &String| d.map(|d| f(d).clone());
        let updated = sql("UPDATE paquetes SET nombre = $1, frecuencia = $2, proxima_fecha = $3, direccion = $4, \
             dir_calle = $5, dir_altura = $6, dir_piso = $7, dir_entre_calles = $8, dir_barrio = $9, \
             dir_codigo_postal = $10, dir_referencias = $11, franja_id = $12, actualizado = $13 \
             WHERE id = $14 AND usuario_id = $15")
        .bind(&p.nombre)
        .bind(p.frecuencia.as_str())
        .bind(fecha_text(p.proxima_fecha))
        .bind(&p.direccion)
        .bind(part(|d| &d.calle))
        .bind(part(|d| &d.altura))
        .bind(part(|d| &d.piso))
        .bind(part(|d| &d.entre_calles))
        .bind(part(|d| &d.barrio))
        .bind(part(|d| &d.codigo_postal))
        .bind(part(|d| &d.referencias))
        .bind(p.franja_id)
        .bind(Ts::now())
        .bind(id)
        .bind(usuario_id)
        .execute(&mut tx)
        .await?;
        if updated == 0 {
            return Ok(Err(PaqueteRefusal::NotFound));
        }
        Self::write_items(&mut tx, id, &p.items).await?;
        tx.commit().await?;
        Ok(Ok(()))
    }

    /// Pauses (`activo = false`) or resumes a bundle; false when it is not
    /// one of `usuario_id`'s.
    pub async fn pausar_paquete(&self, usuario_id: i64, id: i64, activo: bool) -> Result<bool, StoreError> {
        let n = sql("UPDATE paquetes SET activo = $1, actualizado = $2 WHERE id = $3 AND usuario_id = $4")
            .bind(activo)
            .bind(Ts::now())
            .bind(id)
            .bind(usuario_id)
            .execute(self.db.write())
            .await?;
        Ok(n > 0)
    }

    /// Deletes a bundle with its lines and executions (the orders stay).
    pub async fn borrar_paquete(&self, usuario_id: i64, id: i64) -> Result<bool, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let owned: Option<(i64,)> = sql("SELECT id FROM paquetes WHERE id = $1 AND usuario_id = $2")
            .bind(id)
            .bind(usuario_id)
            .fetch_optional(&mut tx)
            .await?;
        if owned.is_none() {
            return Ok(false);
        }
        // Explicit, so SQLite without foreign keys enforced does the same.
        sql("DELETE FROM paquete_items WHERE paquete_id = $1").bind(id).execute(&mut tx).await?;
        sql("DELETE FROM paquete_pedidos WHERE paquete_id = $1").bind(id).execute(&mut tx).await?;
        sql("DELETE FROM paquetes WHERE id = $1").bind(id).execute(&mut tx).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn with_items(&self, rows: Vec<PaqueteRow>) -> Result<Vec<Paquete>, StoreError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = Sql::build("SELECT paquete_id, producto_id, cantidad FROM paquete_items WHERE paquete_id IN ");
        q.push_row(rows.iter().map(|r| Param::from(r.id)));
        q.push(" ORDER BY id");
        let items: Vec<(i64, i64, i64)> = q.fetch_all(self.db.read()).await?;
        rows.into_iter()
            .map(|r| {
                let mine = items.iter().filter(|i| i.0 == r.id).map(|i| (i.1, i.2)).collect();
                r.into_paquete(mine)
            })
            .collect()
    }

    /// A merchant's bundles, oldest first.
    pub async fn paquetes_de(&self, usuario_id: i64) -> Result<Vec<Paquete>, StoreError> {
        let rows: Vec<PaqueteRow> =
            Sql::build(&format!("SELECT {PAQUETE_COLS} FROM paquetes WHERE usuario_id = $1 ORDER BY id"))
                .bind(usuario_id)
                .fetch_all(self.db.read())
                .await?;
        self.with_items(rows).await
    }

    /// One bundle, if it is `usuario_id`'s.
    pub async fn paquete(&self, usuario_id: i64, id: i64) -> Result<Option<Paquete>, StoreError> {
        let rows: Vec<PaqueteRow> =
            Sql::build(&format!("SELECT {PAQUETE_COLS} FROM paquetes WHERE id = $1 AND usuario_id = $2"))
                .bind(id)
                .bind(usuario_id)
                .fetch_all(self.db.read())
                .await?;
        Ok(self.with_items(rows).await?.into_iter().next())
    }

    /// Active bundles of active accounts due on or before `hoy`.
    pub async fn paquetes_vencidos(&self, hoy: NaiveDate, limit: i64) -> Result<Vec<Paquete>, StoreError> {
        let rows: Vec<PaqueteRow> = Sql::build(&format!(
            "SELECT {} FROM paquetes p WHERE p.activo AND p.proxima_fecha <= $1 \
             AND EXISTS (SELECT 1 FROM usuarios u WHERE u.id = p.usuario_id AND u.activo) \
             ORDER BY p.proxima_fecha, p.id LIMIT $2",
            PAQUETE_COLS.split(", ").map(|c| format!("p.{c}")).collect::<Vec<_>>().join(", ")
        ))
        .bind(fecha_text(hoy))
        .bind(limit)
        .fetch_all(self.db.read())
        .await?;
        self.with_items(rows).await
    }

    /// The newest executions of a merchant's bundles.
    pub async fn ejecuciones_de(&self, usuario_id: i64, limit: i64) -> Result<Vec<EjecucionGuardada>, StoreError> {
        type Row = (i64, String, String, Option<String>, String, Option<String>);
        let rows: Vec<Row> = sql("SELECT e.paquete_id, e.fecha_programada, e.origen, e.pedido_numero, e.omitidos, \
             e.motivo FROM paquete_pedidos e JOIN paquetes p ON p.id = e.paquete_id WHERE p.usuario_id = $1 \
             ORDER BY e.id DESC LIMIT $2")
        .bind(usuario_id)
        .bind(limit)
        .fetch_all(self.db.read())
        .await?;
        rows.into_iter()
            .map(|(paquete_id, fecha_programada, origen, pedido_numero, omitidos, motivo)| {
                Ok(EjecucionGuardada {
                    paquete_id,
                    fecha_programada,
                    origen,
                    pedido_numero,
                    omitidos: serde_json::from_str(&omitidos)?,
                    motivo,
                })
            })
            .collect()
    }

    /// Places one run of a bundle (see the module's comment). Lines whose
    /// product is gone, no longer sold or out of stock are left out (a
    /// short one goes with what there is); with nothing left, or no window
    /// with a place, a scheduled run still records itself and mails why.
    pub async fn ejecutar_paquete(&self, run: Corrida<'_>) -> Result<Resultado, PlaceError> {
        let Corrida { paquete, mut checkout, entrega, programada, hoy, origen } = run;
        let mut tx = self.db.begin_write().await?;
        if let Origen::Programado { proxima } = origen {
            let moved = sql("UPDATE paquetes SET proxima_fecha = $1, actualizado = $2 \
                 WHERE id = $3 AND proxima_fecha = $4 AND activo")
            .bind(fecha_text(proxima))
            .bind(Ts::now())
            .bind(paquete.id)
            .bind(fecha_text(programada))
            .execute(&mut tx)
            .await?;
            if moved == 0 {
                return Ok(Resultado::YaHecho);
            }
        }
        let key: Result<Vec<(i64,)>, StoreError> =
            sql("INSERT INTO paquete_pedidos (paquete_id, fecha_programada, origen, omitidos, creado) \
             VALUES ($1, $2, $3, '[]', $4) RETURNING id")
            .bind(paquete.id)
            .bind(fecha_text(programada))
            .bind(origen.as_str())
            .bind(Ts::now())
            .fetch_all(&mut tx)
            .await;
        let ejecucion_id = match key {
            Ok(ids) => ids.first().map(|(id,)| *id).ok_or_else(|| StoreError::Corrupt("no id".into()))?,
            Err(e) if e.is_unique_violation() => return Ok(Resultado::YaHecho),
            Err(e) => return Err(PlaceError::Store(e)),
        };
        // What can go, read in the transaction that reserves it.
        let mut q = Sql::build("SELECT id, nombre, stock, activo FROM productos WHERE id IN ");
        q.push_row(paquete.items.iter().map(|(id, _)| Param::from(*id)));
        let productos: Vec<(i64, String, i64, bool)> = q.fetch_all(&mut tx).await?;
        let mut lines = Vec::new();
        let mut omitidos = Vec::new();
        for (id, cantidad) in &paquete.items {
            match productos.iter().find(|p| p.0 == *id) {
                None => omitidos
                    .push(Omitido { nombre: format!("Producto #{id}"), motivo: "ya no está en el catálogo".into() }),
                Some((_, nombre, _, false)) => {
                    omitidos.push(Omitido { nombre: nombre.clone(), motivo: "ya no se vende".into() });
                }
                Some((_, nombre, stock, true)) if *stock <= 0 => {
                    omitidos.push(Omitido { nombre: nombre.clone(), motivo: "sin stock".into() });
                }
                Some((_, nombre, stock, true)) if stock < cantidad => {
                    omitidos.push(Omitido {
                        nombre: nombre.clone(),
                        motivo: format!("sólo había {stock} de {cantidad}; van {stock}"),
                    });
                    lines.push((*id, *stock));
                }
                Some(_) => lines.push((*id, *cantidad)),
            }
        }
        let mut motivo = None;
        let mut placed: Option<(String, PlacedPedido, String)> = None;
        match entrega {
            Err(why) => motivo = Some(why),
            Ok(_) if lines.is_empty() => motivo = Some("ningún producto del paquete estaba disponible".to_owned()),
            Ok(entrega) => {
                checkout.items = lines;
                let numero = new_numero();
                let barrio = entrega.zona.barrio.clone();
                let pedido = checkout.pedido(&numero, entrega);
                let payload = |p: &PlacedPedido| {
                    serde_json::to_string(&checkout.ticket(&numero, &barrio, p)).expect("a ticket serialises")
                };
                match pedidos::place_in(&mut tx, &pedido, payload).await {
                    Ok(p) => placed = Some((numero.to_string(), p, pedido.direccion.clone())),
                    Err(PlaceError::WindowFull) => {
                        motivo = Some("no quedaban franjas de entrega con lugar en los próximos días".to_owned());
                    }
                    // Stock taken by a checkout since the read above, or a
                    // repeated number: nothing stays, the next tick retries.
                    Err(e) => return Err(e),
                }
            }
        }
        if placed.is_none() && origen == Origen::Manual {
            return Ok(Resultado::NadaDisponible(motivo.unwrap_or_default()));
        }
        let numero = placed.as_ref().map(|(n, _, _)| n.clone());
        sql("UPDATE paquete_pedidos SET pedido_numero = $1, omitidos = $2, motivo = $3 WHERE id = $4")
            .bind(numero.clone())
            .bind(serde_json::to_string(&omitidos).map_err(StoreError::from)?)
            .bind(motivo.clone())
            .bind(ejecucion_id)
            .execute(&mut tx)
            .await?;
        let proxima = match origen {
            Origen::Programado { proxima } => Some(proxima),
            Origen::Manual => None,
        };
        let datos = DatosPaquete {
            email: checkout.cliente.email.clone(),
            nombre: checkout.cliente.nombre.clone(),
            paquete: paquete.nombre.clone(),
            programado_para: (programada < hoy).then(|| fecha_en_palabras(programada)),
            pedido: placed.as_ref().map(|(numero, p, direccion)| DatosPedido {
                numero: numero.clone(),
                email: checkout.cliente.email.clone(),
                nombre: checkout.cliente.nombre.clone(),
                direccion: direccion.clone(),
                pago: pago_en_palabras(checkout.metodo_pago, p.total, None),
                franja: Some(p.turno.etiqueta()),
                envio: Some(if p.costo_envio.0 == 0 { "Envío gratis".to_owned() } else { p.costo_envio.format_ars() }),
                lineas: p
                    .lines
                    .iter()
                    .map(|l| Linea { nombre: l.nombre.clone(), cantidad: l.cantidad, subtotal: l.subtotal() })
                    .collect(),
                total: p.total,
                seguimiento: self.enlaces.seguimiento(numero),
            }),
            omitidos: omitidos.clone(),
            motivo: motivo.clone(),
            proxima: proxima.map(fecha_en_palabras),
        };
        let clave = match origen {
            Origen::Programado { .. } => format!("paquete:{}:{}", paquete.id, fecha_text(programada)),
            Origen::Manual => format!("paquete:{}:{}:ahora", paquete.id, fecha_text(programada)),
        };
        super::correos::queue(&mut tx, &clave, &correo::paquete(&datos)).await?;
        tx.commit().await?;
        if numero.is_some() {
            // The order took stock.
            self.vitrina.changed();
        }
        Ok(Resultado::Hecho(Ejecucion {
            paquete_id: paquete.id,
            programada,
            pedido_numero: numero,
            omitidos,
            motivo,
            proxima_fecha: proxima,
        }))
    }
}
