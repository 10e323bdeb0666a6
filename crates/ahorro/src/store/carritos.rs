//! Carts, one row per owner (`s:<visitor token hash>` for a guest,
//! `u:<id>` for an account), the lines as JSON.

use belgrano_platform::db::{StoreError, Ts, sql};

use super::Store;
use crate::domain::carrito::{Carrito, CarritoOwner};

/// A guest cart untouched this long is dropped.
const GUEST_CART_DAYS: i64 = 30;

impl Store {
    pub async fn carrito(&self, owner: &CarritoOwner) -> Result<Carrito, StoreError> {
        let row: Option<(String,)> =
            sql("SELECT items FROM carritos WHERE owner = $1").bind(owner.key()).fetch_optional(self.db.read()).await?;
        Ok(row
            .map(|(items,)| {
                // A cart that no longer parses is empty, not an outage.
                serde_json::from_str(&items).unwrap_or_else(|error| {
                    tracing::warn!(%error, "carrito ilegible: se muestra vacío");
                    Carrito::default()
                })
            })
            .unwrap_or_default())
    }

    /// Stores a cart; an empty cart is deleted.
    pub async fn save_carrito(&self, owner: &CarritoOwner, carrito: &Carrito) -> Result<(), StoreError> {
        if carrito.is_empty() {
            return sql("DELETE FROM carritos WHERE owner = $1")
                .bind(owner.key())
                .execute(self.db.write())
                .await
                .map(drop);
        }
        sql("INSERT INTO carritos (owner, items, fecha_actualizacion) VALUES ($1, $2, $3) \
             ON CONFLICT (owner) DO UPDATE SET items = excluded.items, fecha_actualizacion = excluded.fecha_actualizacion")
        .bind(owner.key())
        .bind(serde_json::to_string(carrito)?)
        .bind(Ts::now())
        .execute(self.db.write())
        .await
        .map(drop)
    }

    /// Drops guest carts untouched for 30 days.
    pub async fn purge_stale_carritos(&self) -> Result<(), StoreError> {
        let stale = Ts(Ts::now().0 - chrono::Duration::days(GUEST_CART_DAYS));
        sql("DELETE FROM carritos WHERE owner LIKE 's:%' AND fecha_actualizacion < $1")
            .bind(stale)
            .execute(self.db.write())
            .await
            .map(drop)
    }
}
