//! The catalogue: seeded once from the bundled file, then read (stock lives
//! here and changes with every checkout, see `pedidos`).

use belgrano_contract::Centavos;
use belgrano_platform::db::{Param, Sql, insert_rows, sql};

use super::{EXCLUSIVE, Store, StoreError};
use crate::domain::catalogo::{
    Categoria, Negocio, Oferta, PAGE_SIZE, Producto, ProductoPage, ProductoQuery, Seed, Sucursal, fold,
};

#[derive(sqlx::FromRow)]
struct ProductoRow {
    id: i64,
    nombre: String,
    precio: i64,
    precio_original: Option<i64>,
    negocio_id: String,
    categoria_id: String,
    stock: i64,
    destacado: bool,
    activo: bool,
    sucursales: String,
}

impl From<ProductoRow> for Producto {
    fn from(r: ProductoRow) -> Self {
        Producto {
            id: r.id,
            nombre: r.nombre,
            precio: Centavos(r.precio),
            precio_original: r.precio_original.map(Centavos),
            negocio_id: r.negocio_id,
            categoria_id: r.categoria_id,
            stock: r.stock,
            destacado: r.destacado,
            activo: r.activo,
            // Only shown as a list of names: an unreadable one shows none.
            sucursales: serde_json::from_str(&r.sucursales).unwrap_or_default(),
        }
    }
}

const PRODUCTO_COLS: &str =
    "id, nombre, precio, precio_original, negocio_id, categoria_id, stock, destacado, activo, sucursales";

/// The listing filter: absent filters are bound as NULL so one SQL text
/// serves every combination.
const PRODUCTO_FILTER: &str = "activo AND ($1 IS NULL OR negocio_id = $1) AND ($2 IS NULL OR categoria_id = $2) \
     AND ($3 IS NULL OR nombre_busqueda LIKE $3 ESCAPE '\\') AND ($4 = 0 OR destacado)";

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
        let head = "INSERT INTO productos (id, nombre, nombre_busqueda, precio, precio_original, negocio_id, categoria_id, \
                    stock, destacado, activo, sucursales) VALUES ";
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

    /// Categories that have at least one active product.
    pub async fn categorias(&self) -> Result<Vec<Categoria>, StoreError> {
        let rows: Vec<(String, i64, String, String, String)> =
            sql("SELECT c.id, c.num_id, c.nombre, c.descripcion, c.icono FROM categorias c \
             WHERE EXISTS (SELECT 1 FROM productos p WHERE p.categoria_id = c.id AND p.activo) ORDER BY c.num_id")
            .fetch_all(self.db.read())
            .await?;
        Ok(rows
            .into_iter()
            .map(|(id, num_id, nombre, descripcion, icono)| Categoria { id, num_id, nombre, descripcion, icono })
            .collect())
    }

    pub async fn sucursales(&self, negocio_id: &str) -> Result<Vec<Sucursal>, StoreError> {
        let rows: Vec<(String, i64, String, String, String, String, String)> =
            sql("SELECT id, num_id, negocio_id, nombre, direccion, telefono, horarios FROM sucursales \
             WHERE negocio_id = $1 ORDER BY num_id")
            .bind(negocio_id)
            .fetch_all(self.db.read())
            .await?;
        Ok(rows
            .into_iter()
            .map(|(id, num_id, negocio_id, nombre, direccion, telefono, horarios)| Sucursal {
                id,
                num_id,
                negocio_id,
                nombre,
                direccion,
                telefono,
                horarios,
            })
            .collect())
    }

    pub async fn ofertas(&self) -> Result<Vec<Oferta>, StoreError> {
        type OfertaRow = (String, String, String, String, i64, String, String, String);
        let rows: Vec<OfertaRow> = sql(
            "SELECT id, negocio_id, titulo, descripcion, descuento, fecha_inicio, fecha_fin, productos FROM ofertas \
             ORDER BY id",
        )
        .fetch_all(self.db.read())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, negocio_id, titulo, descripcion, descuento, fecha_inicio, fecha_fin, productos)| Oferta {
                id,
                negocio_id,
                titulo,
                descripcion,
                descuento,
                fecha_inicio,
                fecha_fin,
                productos: serde_json::from_str(&productos).unwrap_or_default(),
            })
            .collect())
    }

    /// A page of active products matching the query, by id.
    pub async fn productos(&self, q: &ProductoQuery) -> Result<ProductoPage, StoreError> {
        let filters = |text: &str| {
            Sql::build(text)
                .bind(q.negocio.as_deref())
                .bind(q.categoria.as_deref())
                .bind(q.like_pattern())
                .bind(i64::from(q.destacados))
        };
        let list = filters(&format!(
            "SELECT {PRODUCTO_COLS} FROM productos WHERE {PRODUCTO_FILTER} ORDER BY id LIMIT $5 OFFSET $6"
        ))
        .bind(PAGE_SIZE)
        .bind(q.offset());
        let rows: Vec<ProductoRow> = list.fetch_all(self.db.read()).await?;
        let (total,): (i64,) = filters(&format!("SELECT COUNT(*) FROM productos WHERE {PRODUCTO_FILTER}"))
            .fetch_one(self.db.read())
            .await?;
        Ok(ProductoPage { productos: rows.into_iter().map(Into::into).collect(), total, page: q.page.max(1) })
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
