//! The shop window ([`Vitrina`]) kept in memory: loaded on first use, then
//! served until either this instance commits a catalogue change (each
//! write below calls [`VitrinaCache::changed`] after its commit) or it is
//! [`FRESH_FOR`] old, so what another instance commits (several instances
//! on PostgreSQL) shows within that time. The back office reads the
//! database itself; only the shop's pages read the window.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use super::{Store, StoreError};
use crate::domain::vitrina::Vitrina;

/// The longest another instance's change takes to show.
pub const FRESH_FOR: Duration = Duration::from_secs(2);

#[derive(Debug, Default)]
pub(super) struct VitrinaCache {
    loaded: RwLock<Option<Loaded>>,
    /// Bumped by every change this instance commits.
    generation: AtomicU64,
    /// One load at a time: visitors arriving meanwhile wait for it.
    loading: tokio::sync::Mutex<()>,
}

#[derive(Debug)]
struct Loaded {
    vitrina: Arc<Vitrina>,
    /// The generation before the load's reads began: a change committed
    /// while they ran makes the result stale at once.
    generation: u64,
    at: Instant,
}

impl VitrinaCache {
    /// After committing a change to products, stores, categories, branches
    /// or offers.
    pub(super) fn changed(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    fn fresh(&self) -> Option<Arc<Vitrina>> {
        let loaded = self.loaded.read().expect("vitrina lock");
        let l = loaded.as_ref()?;
        (l.generation == self.generation.load(Ordering::Acquire) && l.at.elapsed() < FRESH_FOR)
            .then(|| l.vitrina.clone())
    }
}

impl Store {
    /// The shop window, fresh as [`VitrinaCache`] describes.
    pub async fn vitrina(&self) -> Result<Arc<Vitrina>, StoreError> {
        if let Some(v) = self.vitrina.fresh() {
            return Ok(v);
        }
        let _one_load = self.vitrina.loading.lock().await;
        if let Some(v) = self.vitrina.fresh() {
            return Ok(v);
        }
        let generation = self.vitrina.generation.load(Ordering::Acquire);
        let at = Instant::now();
        let (negocios, categorias, ofertas, productos) =
            tokio::try_join!(self.negocios(), self.todas_las_categorias(), self.ofertas(), self.todos_los_productos())?;
        let vitrina = Arc::new(Vitrina::new(negocios, categorias, ofertas, productos));
        *self.vitrina.loaded.write().expect("vitrina lock") = Some(Loaded { vitrina: vitrina.clone(), generation, at });
        Ok(vitrina)
    }
}
