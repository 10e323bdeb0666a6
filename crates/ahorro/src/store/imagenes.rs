//! Product photos: the re-encoded files (table `imagenes`, by the hash of
//! their bytes) and which two a product shows (`productos.imagen_tarjeta`,
//! `productos.imagen_pagina`). Everything lives in the database: Render's
//! free instances have no disk.

use belgrano_platform::db::{Param, Ts, sql};

use super::{Store, StoreError};
use crate::domain::imagen::{Foto, Procesada, TIPO, Version};

impl Store {
    /// Stores both versions of an upload and points the product at them, in
    /// one transaction; files no product shows any more (its old photo) are
    /// deleted in it too. `None` when there is no such product (nothing
    /// written).
    pub async fn set_foto(&self, producto_id: i64, foto: &Procesada) -> Result<Option<Foto>, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let found: Option<(i64,)> =
            sql("SELECT id FROM productos WHERE id = $1").bind(producto_id).fetch_optional(&mut tx).await?;
        if found.is_none() {
            return Ok(None);
        }
        for version in [&foto.tarjeta, &foto.pagina] {
            insert_version(&mut tx, version).await?;
        }
        sql("UPDATE productos SET imagen_tarjeta = $2, imagen_pagina = $3 WHERE id = $1")
            .bind(producto_id)
            .bind(foto.tarjeta.hash.as_str())
            .bind(foto.pagina.hash.as_str())
            .execute(&mut tx)
            .await?;
        // A sweep rather than "the old two": it also catches what a
        // concurrent upload of the same product left behind. Uncommitted
        // files of other uploads are invisible here, so they are safe.
        sql("DELETE FROM imagenes WHERE NOT EXISTS \
             (SELECT 1 FROM productos p WHERE p.imagen_tarjeta = imagenes.hash OR p.imagen_pagina = imagenes.hash)")
        .execute(&mut tx)
        .await?;
        tx.commit().await?;
        self.vitrina.changed();
        Ok(Some(Foto { tarjeta: foto.tarjeta.hash.clone(), pagina: foto.pagina.hash.clone() }))
    }

    /// A stored file's bytes and content type.
    pub async fn imagen(&self, hash: &str) -> Result<Option<(String, Vec<u8>)>, StoreError> {
        sql("SELECT tipo, datos FROM imagenes WHERE hash = $1").bind(hash).fetch_optional(self.db.read()).await
    }

    /// How many files are stored (for tests and metrics).
    pub async fn imagenes_count(&self) -> Result<i64, StoreError> {
        let (count,): (i64,) = sql("SELECT COUNT(*) FROM imagenes").fetch_one(self.db.read()).await?;
        Ok(count)
    }
}

/// A file with the same hash is the same bytes: kept as it is.
async fn insert_version(tx: &mut belgrano_platform::db::Tx, version: &Version) -> Result<(), StoreError> {
    let side = |px: u32| i32::try_from(px).unwrap_or(i32::MAX);
    sql("INSERT INTO imagenes (hash, tipo, ancho, alto, datos, fecha) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (hash) DO NOTHING")
    .bind(version.hash.as_str())
    .bind(TIPO)
    .bind(side(version.ancho))
    .bind(side(version.alto))
    .bind_param(Param::Bytes(Some(version.datos.clone())))
    .bind(Ts::now())
    .execute(tx)
    .await?;
    Ok(())
}
