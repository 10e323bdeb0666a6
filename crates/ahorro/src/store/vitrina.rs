//! The shop window ([`Vitrina`]), a [`super::snapshot::Snapshot`]: every
//! write to products, stores, categories or offers drops it once
//! committed. The back office reads the database itself; only the shop's
//! pages read the window.

use std::sync::Arc;

use super::{Store, StoreError};
use crate::domain::vitrina::Vitrina;

impl Store {
    /// The shop window, fresh as `snapshot` describes.
    pub async fn vitrina(&self) -> Result<Arc<Vitrina>, StoreError> {
        self.vitrina
            .get(|| async {
                let (negocios, categorias, ofertas, productos) = tokio::try_join!(
                    self.negocios(),
                    self.todas_las_categorias(),
                    self.ofertas(),
                    self.todos_los_productos()
                )?;
                Ok(Vitrina::new(negocios, categorias, ofertas, productos))
            })
            .await
    }
}
