//! Delivery settings (zones and windows), the places taken in each window
//! and date, and accounts' saved addresses. The place itself is taken in
//! the checkout transaction ([`take_place`], from `pedidos.rs`).

use std::collections::HashMap;

use belgrano_contract::Centavos;
use belgrano_platform::db::{Backend, Param, Sql, StoreError, Ts, Tx, sql};
use chrono::{NaiveDate, NaiveTime};

use super::{EXCLUSIVE, Store};
use crate::domain::entrega::{Ajustes, Direccion, DireccionGuardada, Franja, MAX_DIRECCIONES, Turno, TurnoId, Zona};

fn parse_hora(s: &str) -> Result<NaiveTime, StoreError> {
    NaiveTime::parse_from_str(s, "%H:%M").map_err(|_| StoreError::Corrupt(format!("franja hour '{s}'")))
}

type FranjaRow = (i64, i64, String, String, i64, i64, Option<i64>);

/// Takes one place in a window and date inside the checkout's transaction:
/// creates its counter row at 1, or adds one only while under the franja's
/// capacity, so two checkouts (in any instance, on either backend) cannot
/// both take the last place. `false` when the window is full (or gone).
pub(super) async fn take_place(tx: &mut Tx, turno: TurnoId) -> Result<bool, StoreError> {
    let fecha = turno.fecha.format("%Y-%m-%d").to_string();
    if tx.backend() == Backend::Postgres {
        return take_place_postgres(tx, turno.franja_id, &fecha).await;
    }
    // One statement (issue 17: each is a round trip to SQLite's thread):
    // the day's first place creates the counter, later ones count up while
    // the window has room; a full or deleted window changes no row.
    let taken = sql("INSERT INTO franja_cupos (franja_id, fecha, usados) \
         SELECT $1, $2, 1 WHERE (SELECT capacidad FROM franjas WHERE id = $1) > 0 \
         ON CONFLICT (franja_id, fecha) DO UPDATE SET usados = franja_cupos.usados + 1 \
         WHERE franja_cupos.usados < (SELECT capacidad FROM franjas WHERE id = $1)")
    .bind(turno.franja_id)
    .bind(&fecha)
    .execute(&mut *tx)
    .await?;
    Ok(taken == 1)
}

/// PostgreSQL's [`take_place`]. `ON CONFLICT DO UPDATE` locks the counter
/// row even when its `WHERE` refuses (the window is full), so every
/// checkout that tried a full window would hold it to its commit and the
/// next ones would queue behind it. A plain `UPDATE ... WHERE usados <
/// capacidad` skips a full row without locking it; the day's first place
/// inserts the row. If another checkout inserted it in between (seen as
/// neither taken nor existing), the statement runs once more, on a fresh
/// snapshot.
async fn take_place_postgres(tx: &mut Tx, franja_id: i64, fecha: &str) -> Result<bool, StoreError> {
    for _ in 0..2 {
        let (taken, raced): (i64, bool) = sql("WITH f AS (SELECT capacidad FROM franjas WHERE id = $1), \
             up AS (UPDATE franja_cupos SET usados = usados + 1 WHERE franja_id = $1 AND fecha = $2 \
                    AND usados < (SELECT capacidad FROM f) RETURNING 1), \
             nuevo AS (INSERT INTO franja_cupos (franja_id, fecha, usados) SELECT $1, $2, 1 FROM f \
                    WHERE f.capacidad > 0 AND NOT EXISTS \
                    (SELECT 1 FROM franja_cupos WHERE franja_id = $1 AND fecha = $2) \
                    ON CONFLICT (franja_id, fecha) DO NOTHING RETURNING 1) \
             SELECT (SELECT count(*) FROM up) + (SELECT count(*) FROM nuevo), \
             COALESCE((SELECT capacidad FROM f), 0) > 0 \
             AND NOT EXISTS (SELECT 1 FROM franja_cupos WHERE franja_id = $1 AND fecha = $2)")
        .bind(franja_id)
        .bind(fecha)
        .fetch_one(&mut *tx)
        .await?;
        if taken == 1 {
            return Ok(true);
        }
        if !raced {
            return Ok(false);
        }
    }
    Ok(false)
}

/// Takes a place in the first of `turnos` that has one ([`take_place`]).
pub(super) async fn take_first_place(tx: &mut Tx, turnos: &[Turno]) -> Result<Option<Turno>, StoreError> {
    for t in turnos {
        if take_place(tx, t.id()).await? {
            return Ok(Some(t.clone()));
        }
    }
    Ok(None)
}

/// Where in `turnos` the first with a place left is, from a plain read (no
/// row lock): PostgreSQL's checkout starts taking a place there, late in
/// its transaction (see `pedidos::place_in`).
pub(super) async fn first_with_room(tx: &mut Tx, turnos: &[Turno]) -> Result<Option<usize>, StoreError> {
    let (Some(desde), Some(hasta)) = (turnos.iter().map(|t| t.fecha).min(), turnos.iter().map(|t| t.fecha).max())
    else {
        return Ok(None);
    };
    let mut q = Sql::build(
        "SELECT f.id, f.capacidad, c.fecha, c.usados FROM franjas f LEFT JOIN franja_cupos c \
         ON c.franja_id = f.id AND c.fecha >= $1 AND c.fecha <= $2 WHERE f.id IN ",
    );
    q = q.bind(desde.format("%Y-%m-%d").to_string()).bind(hasta.format("%Y-%m-%d").to_string());
    let mut ids: Vec<i64> = turnos.iter().map(|t| t.franja.id).collect();
    ids.sort_unstable();
    ids.dedup();
    q.push_row(ids.into_iter().map(Param::from));
    let rows: Vec<(i64, i64, Option<String>, Option<i64>)> = q.fetch_all(&mut *tx).await?;
    let room = |t: &Turno| {
        let fecha = t.fecha.format("%Y-%m-%d").to_string();
        let mut franja = rows.iter().filter(|r| r.0 == t.franja.id).peekable();
        let Some(capacidad) = franja.peek().map(|r| r.1) else { return false };
        let usados = franja.find(|r| r.2.as_deref() == Some(fecha.as_str())).and_then(|r| r.3).unwrap_or(0);
        usados < capacidad
    };
    Ok(turnos.iter().position(room))
}

impl Store {
    /// The delivery settings: zones in their order, windows by day and hour
    /// (from memory, see `snapshot`: every checkout reads them).
    pub async fn ajustes_entrega(&self) -> Result<Ajustes, StoreError> {
        Ok(self.ajustes.get(|| self.leer_ajustes_entrega()).await?.as_ref().clone())
    }

    async fn leer_ajustes_entrega(&self) -> Result<Ajustes, StoreError> {
        let zonas: Vec<(String, i64, i64)> =
            sql("SELECT barrio, costo_envio, minimo FROM zonas ORDER BY orden, barrio")
                .fetch_all(self.db.read())
                .await?;
        let franjas: Vec<FranjaRow> = sql("SELECT id, dia, desde, hasta, capacidad, corte_minutos, \
             envio_gratis_desde FROM franjas ORDER BY dia, desde")
        .fetch_all(self.db.read())
        .await?;
        let franjas = franjas
            .into_iter()
            .map(|(id, dia, desde, hasta, capacidad, corte_minutos, gratis)| {
                Ok(Franja {
                    id,
                    dia: u32::try_from(dia).map_err(|_| StoreError::Corrupt(format!("franja day {dia}")))?,
                    desde: parse_hora(&desde)?,
                    hasta: parse_hora(&hasta)?,
                    capacidad,
                    corte_minutos,
                    envio_gratis_desde: gratis.map(Centavos),
                })
            })
            .collect::<Result<_, StoreError>>()?;
        let zonas = zonas
            .into_iter()
            .map(|(barrio, costo, minimo)| Zona { barrio, costo_envio: Centavos(costo), minimo: Centavos(minimo) })
            .collect();
        Ok(Ajustes { zonas, franjas })
    }

    /// Replaces the settings (validated by the caller): every zone; windows
    /// with an id are updated (their places taken stay), those without are
    /// new, and stored ones not listed are deleted with their counters.
    /// `Ok(Err(i))` when `franjas[i].id` names no stored window.
    pub async fn guardar_ajustes_entrega(&self, ajustes: &Ajustes) -> Result<Result<(), usize>, StoreError> {
        let mut tx = self.db.begin_exclusive(EXCLUSIVE).await?;
        let stored: Vec<(i64,)> = sql("SELECT id FROM franjas").fetch_all(&mut tx).await?;
        let stored: Vec<i64> = stored.into_iter().map(|(id,)| id).collect();
        if let Some(i) = ajustes.franjas.iter().position(|f| f.id != 0 && !stored.contains(&f.id)) {
            return Ok(Err(i));
        }
        sql("DELETE FROM zonas").execute(&mut tx).await?;
        for (orden, z) in ajustes.zonas.iter().enumerate() {
            sql("INSERT INTO zonas (barrio, costo_envio, minimo, orden) VALUES ($1, $2, $3, $4)")
                .bind(&z.barrio)
                .bind(z.costo_envio.0)
                .bind(z.minimo.0)
                .bind(orden as i64)
                .execute(&mut tx)
                .await?;
        }
        for id in stored.iter().filter(|id| !ajustes.franjas.iter().any(|f| f.id == **id)) {
            sql("DELETE FROM franja_cupos WHERE franja_id = $1").bind(*id).execute(&mut tx).await?;
            sql("DELETE FROM franjas WHERE id = $1").bind(*id).execute(&mut tx).await?;
        }
        for f in &ajustes.franjas {
            let q = if f.id == 0 {
                sql("INSERT INTO franjas (dia, desde, hasta, capacidad, corte_minutos, envio_gratis_desde) \
                     VALUES ($1, $2, $3, $4, $5, $6)")
            } else {
                sql("UPDATE franjas SET dia = $1, desde = $2, hasta = $3, capacidad = $4, corte_minutos = $5, \
                     envio_gratis_desde = $6 WHERE id = $7")
            };
            let q = q
                .bind(i64::from(f.dia))
                .bind(f.desde.format("%H:%M").to_string())
                .bind(f.hasta.format("%H:%M").to_string())
                .bind(f.capacidad)
                .bind(f.corte_minutos)
                .bind(f.envio_gratis_desde.map(|c| c.0));
            let q = if f.id == 0 { q } else { q.bind(f.id) };
            q.execute(&mut tx).await?;
        }
        tx.commit().await?;
        self.ajustes.changed();
        Ok(Ok(()))
    }

    /// Places taken per (franja, fecha) from `desde` to `hasta` (inclusive).
    pub async fn cupos_usados(
        &self,
        desde: NaiveDate,
        hasta: NaiveDate,
    ) -> Result<HashMap<(i64, NaiveDate), i64>, StoreError> {
        let rows: Vec<(i64, String, i64)> =
            sql("SELECT franja_id, fecha, usados FROM franja_cupos WHERE fecha >= $1 AND fecha <= $2")
                .bind(desde.format("%Y-%m-%d").to_string())
                .bind(hasta.format("%Y-%m-%d").to_string())
                .fetch_all(self.db.read())
                .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, fecha, usados)| {
                NaiveDate::parse_from_str(&fecha, "%Y-%m-%d").ok().map(|f| ((id, f), usados))
            })
            .collect())
    }

    /// An account's saved addresses, oldest first.
    pub async fn direcciones(&self, usuario_id: i64) -> Result<Vec<DireccionGuardada>, StoreError> {
        type Row = (i64, String, String, String, String, String, String, String);
        let rows: Vec<Row> = sql("SELECT id, calle, altura, piso, entre_calles, barrio, codigo_postal, referencias \
             FROM direcciones WHERE usuario_id = $1 ORDER BY id")
        .bind(usuario_id)
        .fetch_all(self.db.read())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, calle, altura, piso, entre_calles, barrio, codigo_postal, referencias)| DireccionGuardada {
                id,
                direccion: Direccion { calle, altura, piso, entre_calles, barrio, codigo_postal, referencias },
            })
            .collect())
    }

    /// Saves an address (validated) unless the account has the most already
    /// or the very same one; `None` when not saved.
    pub async fn agregar_direccion(&self, usuario_id: i64, d: &Direccion) -> Result<Option<i64>, StoreError> {
        let mut tx = self.db.begin_exclusive(EXCLUSIVE).await?;
        let saved = self.direcciones(usuario_id).await?;
        if saved.len() as i64 >= MAX_DIRECCIONES || saved.iter().any(|s| &s.direccion == d) {
            return Ok(None);
        }
        let ids: Vec<(i64,)> = sql("INSERT INTO direcciones (usuario_id, calle, altura, piso, entre_calles, barrio, \
             codigo_postal, referencias, fecha) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
        .bind(usuario_id)
        .bind(&d.calle)
        .bind(&d.altura)
        .bind(&d.piso)
        .bind(&d.entre_calles)
        .bind(&d.barrio)
        .bind(&d.codigo_postal)
        .bind(&d.referencias)
        .bind(Ts::now())
        .fetch_all(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(ids.first().map(|(id,)| *id))
    }

    /// Deletes one of the account's addresses; false when it has no such one.
    pub async fn borrar_direccion(&self, usuario_id: i64, id: i64) -> Result<bool, StoreError> {
        let n = sql("DELETE FROM direcciones WHERE id = $1 AND usuario_id = $2")
            .bind(id)
            .bind(usuario_id)
            .execute(self.db.write())
            .await?;
        Ok(n > 0)
    }
}
