//! The catalogue: seeded once from the bundled file, then read by the shop
//! (stock lives here and changes with every checkout, see `pedidos`) and
//! edited by the back office (below: products with their price history,
//! stock, bulk prices, the CSV import, offers, stores and branches). Each
//! change to what the shop window shows (`vitrina`) drops it once committed.

use belgrano_contract::{Centavos, FieldError};
use belgrano_platform::db::{Param, Sql, Ts, Tx, insert_rows, sql};

use super::{EXCLUSIVE, Store, StoreError};
use crate::domain::catalogo::{
    ADMIN_PAGE_SIZE, AdminProductoQuery, AjustePrecios, Autor, Cambio, Categoria, CsvFila, Importado, MAX_STOCK,
    Negocio, NegocioDatos, Oferta, OfertaDatos, PrecioCambio, PrecioNuevo, Producto, ProductoDatos, ProductoDatosConId,
    Referencias, Seed, StockCambio, Sucursal, SucursalDatos, Unidad, fold,
};
use crate::domain::imagen::Foto;

#[derive(sqlx::FromRow)]
pub(super) struct ProductoRow {
    id: i64,
    nombre: String,
    descripcion: String,
    precio: i64,
    precio_original: Option<i64>,
    negocio_id: String,
    categoria_id: String,
    stock: i64,
    destacado: bool,
    activo: bool,
    sucursales: String,
    unidad: String,
    medida: Option<String>,
    precio_por_medida: Option<i64>,
    // Absent from statements that do not select them (no photo then).
    #[sqlx(default)]
    imagen_tarjeta: Option<String>,
    #[sqlx(default)]
    imagen_pagina: Option<String>,
}

impl From<ProductoRow> for Producto {
    fn from(r: ProductoRow) -> Self {
        Producto {
            id: r.id,
            nombre: r.nombre,
            descripcion: r.descripcion,
            precio: Centavos(r.precio),
            precio_original: r.precio_original.map(Centavos),
            negocio_id: r.negocio_id,
            categoria_id: r.categoria_id,
            stock: r.stock,
            destacado: r.destacado,
            activo: r.activo,
            // Only shown as a list of names: an unreadable one shows none.
            sucursales: serde_json::from_str(&r.sucursales).unwrap_or_default(),
            foto: r.imagen_tarjeta.zip(r.imagen_pagina).map(|(tarjeta, pagina)| Foto { tarjeta, pagina }),
            unidad: Unidad::stored(&r.unidad),
            precio_por_medida: r.precio_por_medida.zip(r.medida).map(|(p, m)| (Centavos(p), Unidad::stored(&m))),
        }
    }
}

pub(super) type OfertaRow = (String, String, String, String, i64, String, String, String, String);

pub(super) fn oferta_of_row(row: OfertaRow) -> Oferta {
    let (id, negocio_id, titulo, descripcion, descuento, fecha_inicio, fecha_fin, productos, descuento_texto) = row;
    Oferta {
        id,
        negocio_id,
        titulo,
        descripcion,
        descuento,
        descuento_texto,
        fecha_inicio,
        fecha_fin,
        productos: serde_json::from_str(&productos).unwrap_or_default(),
    }
}

pub(super) const PRODUCTO_COLS: &str = "id, nombre, descripcion, precio, precio_original, negocio_id, categoria_id, stock, destacado, \
     activo, sucursales, unidad, medida, precio_por_medida, imagen_tarjeta, imagen_pagina";

impl Store {
    /// Loads the catalogue unless products already exist (first start only,
    /// so stock and later edits survive restarts). Returns whether it did.
    pub async fn seed_catalogo_if_empty(&self, seed: &Seed) -> Result<bool, StoreError> {
        // Exclusive: two instances starting together must not both seed.
        let mut tx = self.db.begin_exclusive(EXCLUSIVE).await?;
        let (count,): (i64,) = sql("SELECT COUNT(*) FROM productos").fetch_one(&mut tx).await?;
        if count > 0 {
            return Ok(false);
        }
        let negocios = seed.negocios.iter().map(|n| {
            vec![
                n.id.as_str().into(),
                n.num_id.into(),
                n.nombre.as_str().into(),
                n.descripcion.as_str().into(),
                n.color.as_str().into(),
            ]
        });
        insert_rows(
            &mut tx,
            "INSERT INTO negocios (id, num_id, nombre, descripcion, color) VALUES ",
            negocios.collect(),
        )
        .await?;
        let sucursales = seed.sucursales.iter().map(|s| {
            [&s.id, &s.negocio_id, &s.nombre, &s.direccion, &s.telefono, &s.horarios]
                .into_iter()
                .map(|text| Param::from(text.as_str()))
                .chain([Param::from(s.num_id)])
                .collect()
        });
        let head = "INSERT INTO sucursales (id, negocio_id, nombre, direccion, telefono, horarios, num_id) VALUES ";
        insert_rows(&mut tx, head, sucursales.collect()).await?;
        let categorias = seed.categorias.iter().map(|c| {
            vec![
                c.id.as_str().into(),
                c.num_id.into(),
                c.nombre.as_str().into(),
                c.descripcion.as_str().into(),
                c.icono.as_str().into(),
            ]
        });
        insert_rows(
            &mut tx,
            "INSERT INTO categorias (id, num_id, nombre, descripcion, icono) VALUES ",
            categorias.collect(),
        )
        .await?;
        let mut productos = Vec::with_capacity(seed.productos.len());
        for p in &seed.productos {
            productos.push(vec![
                p.id.into(),
                p.nombre.as_str().into(),
                fold(&p.nombre).into(),
                p.descripcion.as_str().into(),
                p.precio.0.into(),
                p.precio_original.map(|c| c.0).into(),
                p.negocio_id.as_str().into(),
                p.categoria_id.as_str().into(),
                p.stock.into(),
                p.destacado.into(),
                p.activo.into(),
                serde_json::to_string(&p.sucursales)?.into(),
            ]);
        }
        let head = "INSERT INTO productos (id, nombre, nombre_busqueda, descripcion, precio, precio_original, negocio_id, \
                    categoria_id, stock, destacado, activo, sucursales) VALUES ";
        insert_rows(&mut tx, head, productos).await?;
        let mut ofertas = Vec::with_capacity(seed.ofertas.len());
        for o in &seed.ofertas {
            ofertas.push(vec![
                o.id.as_str().into(),
                o.negocio_id.as_str().into(),
                o.titulo.as_str().into(),
                o.descripcion.as_str().into(),
                o.descuento.into(),
                o.fecha_inicio.as_str().into(),
                o.fecha_fin.as_str().into(),
                serde_json::to_string(&o.productos)?.into(),
            ]);
        }
        let head = "INSERT INTO ofertas (id, negocio_id, titulo, descripcion, descuento, fecha_inicio, fecha_fin, productos) \
                    VALUES ";
        insert_rows(&mut tx, head, ofertas).await?;
        tx.commit().await?;
        self.vitrina.changed();
        Ok(true)
    }

    pub async fn negocios(&self) -> Result<Vec<Negocio>, StoreError> {
        let rows: Vec<(String, i64, String, String, String)> =
            sql("SELECT id, num_id, nombre, descripcion, color FROM negocios ORDER BY num_id")
                .fetch_all(self.db.read())
                .await?;
        Ok(rows
            .into_iter()
            .map(|(id, num_id, nombre, descripcion, color)| Negocio { id, num_id, nombre, descripcion, color })
            .collect())
    }

    pub async fn sucursales(&self, negocio_id: &str) -> Result<Vec<Sucursal>, StoreError> {
        let rows: Vec<SucursalRow> = sql("SELECT id, num_id, negocio_id, nombre, direccion, telefono, horarios FROM sucursales WHERE negocio_id = $1 ORDER BY num_id")
            .bind(negocio_id)
            .fetch_all(self.db.read())
            .await?;
        Ok(rows.into_iter().map(sucursal).collect())
    }

    pub async fn ofertas(&self) -> Result<Vec<Oferta>, StoreError> {
        let rows: Vec<OfertaRow> = sql(
            "SELECT id, negocio_id, titulo, descripcion, descuento, fecha_inicio, fecha_fin, productos, descuento_texto \
             FROM ofertas ORDER BY id",
        )
        .fetch_all(self.db.read())
        .await?;
        Ok(rows.into_iter().map(oferta_of_row).collect())
    }

    pub async fn producto(&self, id: i64) -> Result<Option<Producto>, StoreError> {
        let row: Option<ProductoRow> = Sql::build(&format!("SELECT {PRODUCTO_COLS} FROM productos WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.db.read())
            .await?;
        Ok(row.map(Into::into))
    }

    pub async fn productos_por_id(&self, ids: &[i64]) -> Result<Vec<Producto>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = Sql::build(&format!("SELECT {PRODUCTO_COLS} FROM productos WHERE id IN "));
        q.push_row(ids.iter().map(|id| Param::from(*id)));
        let rows: Vec<ProductoRow> = q.fetch_all(self.db.read()).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
}

// ---------------------------------------------------------------------------
// The back office: every product (inactive too), edits with their price
// history, stock, bulk prices, the CSV import, offers, stores and branches.
// Check-then-write work runs in an exclusive transaction (`EXCLUSIVE`),
// so two staff saving at once, or an import and a bulk change, never
// interleave; stock adjustments are single conditional statements, like
// the checkout's.

const ADMIN_FILTER: &str = "($1 IS NULL OR negocio_id = $1) AND ($2 IS NULL OR categoria_id = $2) \
     AND ($3 IS NULL OR nombre_busqueda LIKE $3 ESCAPE '\\') AND ($4 IS NULL OR activo = $4) \
     AND ($5 = 0 OR stock = 0) AND ($6 IS NULL OR destacado = $6) AND ($7 IS NULL OR stock <= $7)";

fn update_params(q: Sql, d: &ProductoDatos) -> Result<Sql, StoreError> {
    Ok(q.bind(d.nombre.as_str())
        .bind(fold(&d.nombre))
        .bind(d.descripcion.as_str())
        .bind(d.precio.0)
        .bind(d.precio_original.map(|c| c.0))
        .bind(d.stock)
        .bind(d.unidad.as_str())
        .bind(d.precio_por_medida.map(|(_, m)| m.as_str()))
        .bind(d.precio_por_medida.map(|(p, _)| p.0))
        .bind(d.negocio_id.as_str())
        .bind(d.categoria_id.as_str())
        .bind(serde_json::to_string(&d.sucursales)?)
        .bind(d.destacado)
        .bind(d.activo))
}

const UPDATE_PRODUCTO: &str = "UPDATE productos SET nombre = $1, nombre_busqueda = $2, descripcion = $3, precio = $4, \
     precio_original = $5, stock = $6, unidad = $7, medida = $8, precio_por_medida = $9, negocio_id = $10, \
     categoria_id = $11, sucursales = $12, destacado = $13, activo = $14 WHERE id = $15";
const INSERT_PRODUCTO: &str = "INSERT INTO productos (nombre, nombre_busqueda, descripcion, precio, precio_original, \
     stock, unidad, medida, precio_por_medida, negocio_id, categoria_id, sucursales, destacado, activo, id) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)";

async fn record_price(
    tx: &mut Tx,
    id: i64,
    old: Centavos,
    new: Centavos,
    autor: &Autor,
    origen: &str,
) -> Result<(), StoreError> {
    if old == new {
        return Ok(());
    }
    sql("INSERT INTO precio_cambios (producto_id, precio_anterior, precio_nuevo, usuario_id, quien, origen, fecha) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)")
    .bind(id)
    .bind(old.0)
    .bind(new.0)
    .bind(autor.usuario_id)
    .bind(autor.email.as_str())
    .bind(origen)
    .bind(Ts::now())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn producto_in(tx: &mut Tx, id: i64) -> Result<Option<Producto>, StoreError> {
    let row: Option<ProductoRow> = Sql::build(&format!("SELECT {PRODUCTO_COLS} FROM productos WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    Ok(row.map(Into::into))
}

/// Writes one product (an update when `id` names one, else a new one with
/// the next id) and its price change; returns the id.
async fn save_in(
    tx: &mut Tx,
    id: Option<i64>,
    datos: &ProductoDatos,
    autor: &Autor,
    origen: &str,
) -> Result<Option<i64>, StoreError> {
    match id {
        Some(id) => {
            let Some(old) = producto_in(tx, id).await? else { return Ok(None) };
            update_params(Sql::build(UPDATE_PRODUCTO), datos)?.bind(id).execute(&mut *tx).await?;
            record_price(tx, id, old.precio, datos.precio, autor, origen).await?;
            Ok(Some(id))
        }
        None => {
            let (next,): (i64,) = sql("SELECT COALESCE(MAX(id), 0) + 1 FROM productos").fetch_one(&mut *tx).await?;
            update_params(Sql::build(INSERT_PRODUCTO), datos)?.bind(next).execute(&mut *tx).await?;
            Ok(Some(next))
        }
    }
}

impl Store {
    /// Every store, category and branch id, for validating what staff type.
    pub async fn referencias(&self) -> Result<Referencias, StoreError> {
        let negocios: Vec<(String,)> = sql("SELECT id FROM negocios ORDER BY num_id").fetch_all(self.db.read()).await?;
        let categorias: Vec<(String,)> =
            sql("SELECT id FROM categorias ORDER BY num_id").fetch_all(self.db.read()).await?;
        let sucursales: Vec<(String, String)> =
            sql("SELECT id, negocio_id FROM sucursales ORDER BY num_id").fetch_all(self.db.read()).await?;
        Ok(Referencias {
            negocios: negocios.into_iter().map(|(id,)| id).collect(),
            categorias: categorias.into_iter().map(|(id,)| id).collect(),
            sucursales,
        })
    }

    /// Every category, with products or not (the admin's selects).
    pub async fn todas_las_categorias(&self) -> Result<Vec<Categoria>, StoreError> {
        let rows: Vec<(String, i64, String, String, String)> =
            sql("SELECT id, num_id, nombre, descripcion, icono FROM categorias ORDER BY num_id")
                .fetch_all(self.db.read())
                .await?;
        Ok(rows
            .into_iter()
            .map(|(id, num_id, nombre, descripcion, icono)| Categoria { id, num_id, nombre, descripcion, icono })
            .collect())
    }

    /// Every branch of every store.
    pub async fn todas_las_sucursales(&self) -> Result<Vec<Sucursal>, StoreError> {
        let rows: Vec<SucursalRow> =
            sql("SELECT id, num_id, negocio_id, nombre, direccion, telefono, horarios FROM sucursales ORDER BY num_id")
                .fetch_all(self.db.read())
                .await?;
        Ok(rows.into_iter().map(sucursal).collect())
    }

    /// A page of the admin's list (inactive products too) and the total.
    pub async fn admin_productos(&self, q: &AdminProductoQuery) -> Result<(Vec<Producto>, i64), StoreError> {
        let filters = |text: &str| {
            Sql::build(text)
                .bind(q.negocio.as_deref())
                .bind(q.categoria.as_deref())
                .bind(q.like_pattern())
                .bind(q.activo)
                .bind(i64::from(q.sin_stock))
                .bind(q.destacado)
                .bind(q.stock_max)
        };
        let rows: Vec<ProductoRow> = filters(&format!(
            "SELECT {PRODUCTO_COLS} FROM productos WHERE {ADMIN_FILTER} ORDER BY id LIMIT $8 OFFSET $9"
        ))
        .bind(ADMIN_PAGE_SIZE)
        .bind(q.offset())
        .fetch_all(self.db.read())
        .await?;
        let (total,): (i64,) =
            filters(&format!("SELECT COUNT(*) FROM productos WHERE {ADMIN_FILTER}")).fetch_one(self.db.read()).await?;
        Ok((rows.into_iter().map(Into::into).collect(), total))
    }

    /// Every product, by id (the CSV export, the import's checks).
    pub async fn todos_los_productos(&self) -> Result<Vec<Producto>, StoreError> {
        let rows: Vec<ProductoRow> =
            Sql::build(&format!("SELECT {PRODUCTO_COLS} FROM productos ORDER BY id")).fetch_all(self.db.read()).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Creates a product; returns its id.
    pub async fn crear_producto(&self, datos: &ProductoDatos, autor: &Autor) -> Result<i64, StoreError> {
        let mut tx = self.db.begin_exclusive(EXCLUSIVE).await?;
        let id = save_in(&mut tx, None, datos, autor, "manual").await?;
        tx.commit().await?;
        self.vitrina.changed();
        id.ok_or_else(|| StoreError::Corrupt("a new product got no id".into()))
    }

    /// Replaces a product's fields, recording a price change. `datos` was
    /// validated over `base`, the product as the caller read it: if it
    /// changed meanwhile (another save), nothing is written and the
    /// caller gets the product as it is now, to validate again.
    pub async fn actualizar_producto(
        &self,
        id: i64,
        base: &ProductoDatos,
        datos: &ProductoDatos,
        autor: &Autor,
    ) -> Result<Cambio<Option<Producto>>, StoreError> {
        let mut tx = self.db.begin_exclusive(EXCLUSIVE).await?;
        let Some(now) = producto_in(&mut tx, id).await? else { return Ok(Cambio::NoExiste) };
        // Stock moves with every checkout: only the other fields must be as read.
        let unchanged = ProductoDatos { stock: base.stock, ..ProductoDatos::from(&now) } == *base;
        if !unchanged {
            return Ok(Cambio::Hecho(Some(now)));
        }
        let datos =
            if datos.stock == base.stock { ProductoDatos { stock: now.stock, ..datos.clone() } } else { datos.clone() };
        save_in(&mut tx, Some(id), &datos, autor, "manual").await?;
        tx.commit().await?;
        self.vitrina.changed();
        Ok(Cambio::Hecho(None))
    }

    /// Sets or adjusts a product's stock in one statement; returns the new
    /// stock.
    pub async fn cambiar_stock(&self, id: i64, cambio: StockCambio) -> Result<Cambio<i64>, StoreError> {
        let updated: Vec<(i64,)> = match cambio {
            StockCambio::Fijar(n) => {
                sql("UPDATE productos SET stock = $1 WHERE id = $2 RETURNING stock").bind(n).bind(id)
            }
            StockCambio::Ajustar(n) => {
                sql("UPDATE productos SET stock = stock + $1 WHERE id = $2 AND stock + $1 >= 0 AND stock + $1 <= $3 \
                 RETURNING stock")
                .bind(n)
                .bind(id)
                .bind(MAX_STOCK)
            }
        }
        .fetch_all(self.db.write())
        .await?;
        if let Some((stock,)) = updated.first() {
            self.vitrina.changed();
            return Ok(Cambio::Hecho(*stock));
        }
        match self.producto(id).await? {
            None => Ok(Cambio::NoExiste),
            Some(p) => match cambio.apply(p.stock) {
                Err(e) => Ok(Cambio::Invalido(e)),
                // It moved between the two statements: say what it is now.
                Ok(_) => Ok(Cambio::Invalido(FieldError::new("ajuste", format!("el stock cambió (hay {})", p.stock)))),
            },
        }
    }

    /// The prices a bulk change sets (all of them when not `simular`, in
    /// one transaction, each recorded).
    pub async fn ajustar_precios(
        &self,
        ajuste: &AjustePrecios,
        autor: &Autor,
        simular: bool,
    ) -> Result<Vec<PrecioNuevo>, StoreError> {
        let mut tx = self.db.begin_exclusive(EXCLUSIVE).await?;
        let rows: Vec<ProductoRow> = Sql::build(&format!(
            "SELECT {PRODUCTO_COLS} FROM productos WHERE ($1 IS NULL OR negocio_id = $1) \
             AND ($2 IS NULL OR categoria_id = $2) ORDER BY id"
        ))
        .bind(ajuste.negocio.as_deref())
        .bind(ajuste.categoria.as_deref())
        .fetch_all(&mut tx)
        .await?;
        let mut cambios = Vec::new();
        for p in rows.into_iter().map(Producto::from).filter(|p| ajuste.applies_to(p)) {
            let nuevo = ajuste.nuevo_precio(p.precio);
            // The old price keeps the discount it showed.
            let original = p.precio_original.map(|o| ajuste.nuevo_precio(o));
            if nuevo == p.precio {
                continue;
            }
            if !simular {
                sql("UPDATE productos SET precio = $1, precio_original = $2 WHERE id = $3")
                    .bind(nuevo.0)
                    .bind(original.map(|c| c.0))
                    .bind(p.id)
                    .execute(&mut tx)
                    .await?;
                record_price(&mut tx, p.id, p.precio, nuevo, autor, "ajuste").await?;
            }
            cambios.push(PrecioNuevo { id: p.id, nombre: p.nombre, precio_anterior: p.precio, precio_nuevo: nuevo });
        }
        if !simular {
            tx.commit().await?;
            self.vitrina.changed();
        }
        Ok(cambios)
    }

    /// Applies a validated import in one transaction (or, `simular`, only
    /// says what it would do). Every line was checked against the products
    /// as read before; `base` is that reading, and if any product changed
    /// since, nothing is written and `None` says to read and check again.
    pub async fn importar(
        &self,
        filas: &[CsvFila],
        base: &[ProductoDatosConId],
        autor: &Autor,
        simular: bool,
    ) -> Result<Option<Importado>, StoreError> {
        let mut tx = self.db.begin_exclusive(EXCLUSIVE).await?;
        let mut out = Importado::default();
        for fila in filas {
            match fila.id {
                Some(id) => {
                    let now = producto_in(&mut tx, id).await?.map(|p| ProductoDatos::from(&p));
                    let read = base.iter().find(|b| b.id == id).map(|b| &b.datos);
                    if now.as_ref() != read {
                        return Ok(None);
                    }
                    if !simular {
                        save_in(&mut tx, Some(id), &fila.datos, autor, "csv").await?;
                    }
                    out.actualizados.push(id);
                }
                None => {
                    if simular {
                        out.creados.push(0);
                    } else if let Some(id) = save_in(&mut tx, None, &fila.datos, autor, "csv").await? {
                        out.creados.push(id);
                    }
                }
            }
        }
        if !simular {
            tx.commit().await?;
            self.vitrina.changed();
        }
        Ok(Some(out))
    }

    /// A product's price changes, newest first.
    pub async fn historial_precios(&self, id: i64) -> Result<Vec<PrecioCambio>, StoreError> {
        let rows: Vec<(i64, i64, i64, String, String, Ts)> =
            sql("SELECT producto_id, precio_anterior, precio_nuevo, quien, origen, fecha FROM precio_cambios \
             WHERE producto_id = $1 ORDER BY id DESC LIMIT 200")
            .bind(id)
            .fetch_all(self.db.read())
            .await?;
        Ok(rows
            .into_iter()
            .map(|(producto_id, anterior, nuevo, quien, origen, fecha)| PrecioCambio {
                producto_id,
                precio_anterior: Centavos(anterior),
                precio_nuevo: Centavos(nuevo),
                quien,
                origen,
                fecha: fecha.0,
            })
            .collect())
    }

    pub async fn oferta(&self, id: &str) -> Result<Option<Oferta>, StoreError> {
        let row: Option<OfertaRow> = sql(
            "SELECT id, negocio_id, titulo, descripcion, descuento, fecha_inicio, fecha_fin, productos, descuento_texto \
             FROM ofertas WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.db.read())
        .await?;
        Ok(row.map(oferta_of_row))
    }

    /// Creates (`id` None, a new `oferta_N` id) or replaces an offer;
    /// returns its id, or None when `id` names no offer.
    pub async fn guardar_oferta(&self, id: Option<&str>, o: &OfertaDatos) -> Result<Option<String>, StoreError> {
        let mut tx = self.db.begin_exclusive(EXCLUSIVE).await?;
        let (descuento, texto) = o.descuento.stored();
        let productos = serde_json::to_string(&o.productos)?;
        let params = |q: Sql| {
            q.bind(o.negocio_id.as_str())
                .bind(o.titulo.as_str())
                .bind(o.descripcion.as_str())
                .bind(descuento)
                .bind(texto)
                .bind(o.desde.format("%Y-%m-%d").to_string())
                .bind(o.hasta.format("%Y-%m-%d").to_string())
                .bind(productos.as_str())
        };
        let id = match id {
            Some(id) => {
                let changed =
                    params(sql("UPDATE ofertas SET negocio_id = $1, titulo = $2, descripcion = $3, descuento = $4, \
                     descuento_texto = $5, fecha_inicio = $6, fecha_fin = $7, productos = $8 WHERE id = $9"))
                    .bind(id)
                    .execute(&mut tx)
                    .await?;
                if changed == 0 {
                    return Ok(None);
                }
                id.to_owned()
            }
            None => {
                let ids: Vec<(String,)> = sql("SELECT id FROM ofertas").fetch_all(&mut tx).await?;
                let next =
                    ids.iter().filter_map(|(id,)| id.strip_prefix("oferta_")?.parse::<i64>().ok()).max().unwrap_or(0)
                        + 1;
                let id = format!("oferta_{next}");
                params(sql(
                    "INSERT INTO ofertas (negocio_id, titulo, descripcion, descuento, descuento_texto, fecha_inicio, \
                     fecha_fin, productos, id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                ))
                .bind(id.as_str())
                .execute(&mut tx)
                .await?;
                id
            }
        };
        tx.commit().await?;
        self.vitrina.changed();
        Ok(Some(id))
    }

    /// Whether there was such an offer.
    pub async fn borrar_oferta(&self, id: &str) -> Result<bool, StoreError> {
        let deleted = sql("DELETE FROM ofertas WHERE id = $1").bind(id).execute(self.db.write()).await? > 0;
        self.vitrina.changed();
        Ok(deleted)
    }

    pub async fn actualizar_negocio(&self, id: &str, n: &NegocioDatos) -> Result<bool, StoreError> {
        let changed = sql("UPDATE negocios SET nombre = $1, descripcion = $2, color = $3 WHERE id = $4")
            .bind(n.nombre.as_str())
            .bind(n.descripcion.as_str())
            .bind(n.color.as_str())
            .bind(id)
            .execute(self.db.write())
            .await?;
        self.vitrina.changed();
        Ok(changed > 0)
    }

    pub async fn actualizar_sucursal(&self, id: &str, s: &SucursalDatos) -> Result<bool, StoreError> {
        let changed =
            sql("UPDATE sucursales SET nombre = $1, direccion = $2, telefono = $3, horarios = $4 WHERE id = $5")
                .bind(s.nombre.as_str())
                .bind(s.direccion.as_str())
                .bind(s.telefono.as_str())
                .bind(s.horarios.as_str())
                .bind(id)
                .execute(self.db.write())
                .await?;
        Ok(changed > 0)
    }

    /// A new branch of a store (`sucursal_N` id); None when there is no
    /// such store.
    pub async fn crear_sucursal(&self, negocio_id: &str, s: &SucursalDatos) -> Result<Option<String>, StoreError> {
        let mut tx = self.db.begin_exclusive(EXCLUSIVE).await?;
        let exists: Option<(String,)> =
            sql("SELECT id FROM negocios WHERE id = $1").bind(negocio_id).fetch_optional(&mut tx).await?;
        if exists.is_none() {
            return Ok(None);
        }
        let (next,): (i64,) = sql("SELECT COALESCE(MAX(num_id), 0) + 1 FROM sucursales").fetch_one(&mut tx).await?;
        let id = format!("sucursal_{next}");
        sql("INSERT INTO sucursales (id, num_id, negocio_id, nombre, direccion, telefono, horarios) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(id.as_str())
        .bind(next)
        .bind(negocio_id)
        .bind(s.nombre.as_str())
        .bind(s.direccion.as_str())
        .bind(s.telefono.as_str())
        .bind(s.horarios.as_str())
        .execute(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(Some(id))
    }
}

/// A branch as the `sucursales` queries read it (id, num_id, negocio_id,
/// nombre, direccion, telefono, horarios).
type SucursalRow = (String, i64, String, String, String, String, String);

fn sucursal((id, num_id, negocio_id, nombre, direccion, telefono, horarios): SucursalRow) -> Sucursal {
    Sucursal { id, num_id, negocio_id, nombre, direccion, telefono, horarios }
}
