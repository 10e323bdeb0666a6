//! Data read on every page or checkout and changed only by the back office
//! (the shop window, the delivery settings), kept in memory: loaded on
//! first use, then served until this instance commits a change to it (the
//! store function that writes calls [`Snapshot::changed`] after its
//! commit) or it is [`FRESH_FOR`] old, so what another instance commits
//! (several instances on PostgreSQL) shows within that time.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use super::StoreError;

/// The longest another instance's change takes to show.
pub const FRESH_FOR: Duration = Duration::from_secs(2);

#[derive(Debug)]
pub(super) struct Snapshot<T> {
    loaded: RwLock<Option<Loaded<T>>>,
    /// Bumped by every change this instance commits.
    generation: AtomicU64,
    /// One load at a time: requests arriving meanwhile wait for it.
    loading: tokio::sync::Mutex<()>,
}

#[derive(Debug)]
struct Loaded<T> {
    value: Arc<T>,
    /// The generation before the load's reads began: a change committed
    /// while they ran makes the result stale at once.
    generation: u64,
    at: Instant,
}

impl<T> Default for Snapshot<T> {
    fn default() -> Self {
        Self { loaded: RwLock::new(None), generation: AtomicU64::new(0), loading: tokio::sync::Mutex::new(()) }
    }
}

impl<T> Snapshot<T> {
    /// After committing a change to what the snapshot holds.
    pub(super) fn changed(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    fn fresh(&self) -> Option<Arc<T>> {
        let loaded = self.loaded.read().expect("snapshot lock");
        let l = loaded.as_ref()?;
        (l.generation == self.generation.load(Ordering::Acquire) && l.at.elapsed() < FRESH_FOR).then(|| l.value.clone())
    }

    /// The value, from memory when fresh, else from `load`.
    pub(super) async fn get<F, Fut>(&self, load: F) -> Result<Arc<T>, StoreError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, StoreError>>,
    {
        if let Some(v) = self.fresh() {
            return Ok(v);
        }
        let _one_load = self.loading.lock().await;
        if let Some(v) = self.fresh() {
            return Ok(v);
        }
        let generation = self.generation.load(Ordering::Acquire);
        let at = Instant::now();
        let value = Arc::new(load().await?);
        *self.loaded.write().expect("snapshot lock") = Some(Loaded { value: value.clone(), generation, at });
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn served_from_memory_until_changed() {
        let snapshot: Snapshot<u32> = Snapshot::default();
        let loads = AtomicU64::new(0);
        let load =
            || async { Ok::<u32, StoreError>(u32::try_from(loads.fetch_add(1, Ordering::SeqCst)).expect("small")) };
        assert_eq!(*snapshot.get(load).await.unwrap(), 0);
        assert_eq!(*snapshot.get(load).await.unwrap(), 0, "fresh: not loaded again");
        snapshot.changed();
        assert_eq!(*snapshot.get(load).await.unwrap(), 1, "changed: loaded again");
        assert_eq!(loads.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_change_during_a_load_makes_its_result_stale() {
        let snapshot: Snapshot<u32> = Snapshot::default();
        let first = snapshot.get(|| async {
            snapshot.changed();
            Ok::<u32, StoreError>(1)
        });
        assert_eq!(*first.await.unwrap(), 1, "the caller still gets what it loaded");
        assert_eq!(*snapshot.get(|| async { Ok::<u32, StoreError>(2) }).await.unwrap(), 2);
    }

    #[tokio::test]
    async fn a_failed_load_keeps_nothing() {
        let snapshot: Snapshot<u32> = Snapshot::default();
        let failed = snapshot.get(|| async { Err::<u32, StoreError>(StoreError::Corrupt("down".into())) }).await;
        assert!(failed.is_err());
        assert_eq!(*snapshot.get(|| async { Ok::<u32, StoreError>(3) }).await.unwrap(), 3);
    }
}
