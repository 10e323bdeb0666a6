//! The transactional outbox: one worker for everything a service must send
//! elsewhere exactly once in effect (Ahorro's orders to Tickets, Tickets'
//! status updates to Ahorro, e-mails).
//!
//! A row is written in the same transaction as what causes it, so nothing
//! is lost if the process dies. The worker claims due rows with a lease (a
//! crashed worker's claims expire and come back; on PostgreSQL `FOR UPDATE
//! SKIP LOCKED` keeps several instances from claiming the same rows),
//! delivers each through a [`Delivery`], and records the outcome:
//!
//! - delivered: closed, in one transaction with whatever the delivery
//!   records beside it ([`Delivery::record`]);
//! - a retryable failure (connection error, timeout, 5xx, 429): tried again
//!   after [`crate::retry::delay_after`], for as long as it takes;
//! - a permanent refusal (any other 4xx): parked as `failed` for a person
//!   ([`Outbox::parked`], [`Outbox::retry_parked`]), never dropped.
//!
//! Delivery is at least once: the receiver makes repeats harmless
//! (Tickets' idempotency by `numero`, Ahorro's `version` check). The worker
//! keeps no state a restart would lose.
//!
//! Every outbox table has the same mechanical columns: `id`, `payload`,
//! `status` (`pending`, `delivered`, `failed`, `unwanted`), `attempts`,
//! `next_attempt_at`, `claimed_until`, `last_error`, `created_at`,
//! `delivered_at`, plus a `subject` column the service names (what the row is
//! about, e.g. the `numero`), and whatever else the service keeps.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::{Notify, Semaphore, watch};

use crate::db::{Db, Param, Sql, StoreError, Ts, Tx};
use crate::retry::delay_after;

/// How often to look for due retries when nothing wakes the worker.
const POLL: Duration = Duration::from_millis(500);

/// The HTTP client deliveries use: the retry policy's timeout per request
/// ([`crate::retry::REQUEST_TIMEOUT`]), five seconds to connect.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(crate::retry::REQUEST_TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .build()
        .expect("an HTTP client builds")
}

/// One outbox table.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    pub name: &'static str,
    /// The column that says what a row is about (shown to people, used in
    /// logs and request ids).
    pub subject: &'static str,
}

/// A row being delivered.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: i64,
    pub subject: String,
    pub payload: String,
    /// Attempts before this one.
    pub attempts: i64,
}

/// A row parked for a person.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Parked {
    pub id: i64,
    pub subject: String,
    pub payload: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: Ts,
}

/// The outbox at a glance, for `/health` and `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Stats {
    /// Rows waiting for delivery (first attempt or a retry).
    pub pending: i64,
    /// Rows refused for good, waiting for a person.
    pub failed: i64,
    /// Age of the oldest waiting row; `None` when none waits.
    pub oldest_pending_secs: Option<f64>,
}

/// Why an attempt did not deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Try again later (the receiver is down, slow or busy).
    Retry(String),
    /// The same request will fail again: park it for a person.
    Permanent(String),
    /// The receiver says it has no use for it (e.g. a status update for an
    /// order it never had): recorded as `unwanted` and dropped, neither
    /// retried nor parked.
    Unwanted(String),
}

/// How one attempt ended, as [`Delivery::attempted`] hears it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    Delivered,
    WillRetry,
    Parked,
    /// Dropped: the receiver does not want it ([`Failure::Unwanted`]).
    Unwanted,
    /// Sent, but the outcome could not be written; the lease brings it back.
    NotRecorded,
}

/// What one outbox delivers, and how.
pub trait Delivery: Send + Sync + 'static {
    /// What a successful attempt hands to [`Delivery::record`].
    type Receipt: Send;

    /// One attempt for one row.
    fn deliver(&self, row: &OutboxRow) -> impl Future<Output = Result<Self::Receipt, Failure>> + Send;

    /// Writes that belong with "delivered", in its transaction (Ahorro
    /// records the ticket it got back): take it with [`Closing::tx`].
    /// Nothing by default, and then no transaction is opened.
    fn record(
        &self,
        _closing: &mut Closing<'_>,
        _row: &OutboxRow,
        _receipt: Self::Receipt,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        async { Ok(()) }
    }

    /// After each attempt, once its outcome is recorded (and counted).
    fn attempted(&self, _row: &OutboxRow, _attempt: Attempt) {}
}

/// Closing a delivered row. A delivery that records something beside it
/// asks for the transaction ([`Closing::tx`]) and the row is closed in it;
/// otherwise the row is closed by one statement on its own. On SQLite each
/// statement, `BEGIN` and `COMMIT` is a round trip to the writer's thread,
/// so a mail or a status update closed without a transaction costs one
/// trip instead of three.
pub struct Closing<'a> {
    db: &'a Db,
    tx: Option<Tx>,
}

impl Closing<'_> {
    /// The closing's write transaction, begun on first use.
    pub async fn tx(&mut self) -> Result<&mut Tx, StoreError> {
        let tx = match self.tx.take() {
            Some(tx) => tx,
            None => self.db.begin_write().await?,
        };
        Ok(self.tx.insert(tx))
    }
}

/// How a worker runs.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    /// The `service` label of `outbox_delivery_attempts_total`.
    pub service: &'static str,
    /// How long a claim lasts; longer than one attempt can take.
    pub lease: Duration,
    /// Most deliveries in flight at once.
    pub max_in_flight: usize,
}

/// The queries of one outbox table, built once.
#[derive(Debug, Clone)]
pub struct Outbox {
    db: Db,
    table: Table,
    queries: Arc<Queries>,
}

#[derive(Debug)]
struct Queries {
    claim: String,
    delivered: String,
    retry: String,
    failed: String,
    expedite: String,
    parked: String,
    unwanted: String,
    retry_parked: String,
    stats: String,
}

impl Queries {
    fn new(table: Table, db: &Db) -> Self {
        let Table { name: t, subject } = table;
        // PostgreSQL: rows another instance is claiming right now are skipped.
        let skip_locked = match db.backend() {
            crate::db::Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            crate::db::Backend::Sqlite => "",
        };
        let row =
            format!("id, {subject} AS subject, CAST(payload AS TEXT) AS payload, CAST(attempts AS BIGINT) AS attempts");
        Queries {
            // Oldest due first, in the due index's own order (status,
            // next_attempt_at, then the row id), so the claim reads about
            // `limit` rows of it and stops. `ORDER BY id` made SQLite read
            // and sort every due row for each claim: with a backlog (an
            // outage, a slow SMTP server) each claim cost O(backlog).
            claim: format!(
                "UPDATE {t} SET claimed_until = $1
                  WHERE id IN (SELECT id FROM {t}
                                WHERE status = 'pending' AND next_attempt_at <= $2
                                  AND (claimed_until IS NULL OR claimed_until < $2)
                                ORDER BY next_attempt_at, id LIMIT $3{skip_locked})
                  RETURNING {row}"
            ),
            delivered: format!(
                "UPDATE {t} SET status = 'delivered', attempts = attempts + 1, claimed_until = NULL,
                        last_error = NULL, delivered_at = $1
                  WHERE id = $2"
            ),
            retry: format!(
                "UPDATE {t} SET attempts = attempts + 1, claimed_until = NULL, last_error = $1, next_attempt_at = $2
                  WHERE id = $3 AND status = 'pending'"
            ),
            failed: format!(
                "UPDATE {t} SET status = 'failed', attempts = attempts + 1, claimed_until = NULL, last_error = $1
                  WHERE id = $2 AND status = 'pending'"
            ),
            unwanted: format!(
                "UPDATE {t} SET status = 'unwanted', attempts = attempts + 1, claimed_until = NULL, last_error = $1
                  WHERE id = $2 AND status = 'pending'"
            ),
            expedite: format!("UPDATE {t} SET next_attempt_at = $1 WHERE status = 'pending' AND next_attempt_at > $1"),
            parked: format!("SELECT {row}, last_error, created_at FROM {t} WHERE status = 'failed' ORDER BY id"),
            retry_parked: format!(
                "UPDATE {t} SET status = 'pending', next_attempt_at = $1 WHERE id = $2 AND status = 'failed'"
            ),
            // One query over the undelivered rows (found through the status index).
            stats: format!(
                "SELECT status, COUNT(*), MIN(created_at) FROM {t}
                  WHERE status IN ('pending', 'failed') GROUP BY status"
            ),
        }
    }
}

impl Outbox {
    pub fn new(db: Db, table: Table) -> Self {
        let queries = Arc::new(Queries::new(table, &db));
        Self { db, table, queries }
    }

    pub fn table(&self) -> Table {
        self.table
    }

    /// Claims up to `limit` due rows for `lease`.
    pub async fn claim_due(&self, limit: usize, lease: Duration) -> Result<Vec<OutboxRow>, StoreError> {
        let now = Ts::now();
        let until = Ts(now.0 + chrono::Duration::from_std(lease).unwrap_or_default());
        let mut rows: Vec<OutboxRow> =
            Sql::build(&self.queries.claim).bind(until).bind(now).bind(limit as i64).fetch_all(self.db.write()).await?;
        rows.sort_by_key(|r| r.id);
        Ok(rows)
    }

    /// Closes a delivered row inside `tx`, or on its own without one.
    pub async fn mark_delivered(&self, tx: Option<&mut Tx>, id: i64) -> Result<(), StoreError> {
        let close = Sql::build(&self.queries.delivered).bind(Ts::now()).bind(id);
        match tx {
            Some(tx) => close.execute(tx).await.map(drop),
            None => close.execute(self.db.write()).await.map(drop),
        }
    }

    /// A retryable failure: due again at `at`.
    pub async fn mark_retry(&self, id: i64, error: &str, at: chrono::DateTime<chrono::Utc>) -> Result<(), StoreError> {
        Sql::build(&self.queries.retry).bind(error).bind(Ts(at)).bind(id).execute(self.db.write()).await.map(drop)
    }

    /// A permanent refusal: parked for a person.
    pub async fn mark_failed(&self, id: i64, error: &str) -> Result<(), StoreError> {
        Sql::build(&self.queries.failed).bind(error).bind(id).execute(self.db.write()).await.map(drop)
    }

    /// The receiver does not want the row: closed as `unwanted` (kept, so
    /// it can be looked up, but not listed with the parked ones).
    pub async fn mark_unwanted(&self, id: i64, error: &str) -> Result<(), StoreError> {
        Sql::build(&self.queries.unwanted).bind(error).bind(id).execute(self.db.write()).await.map(drop)
    }

    /// Makes every waiting row due now (the receiver answered again, so the
    /// backlog need not sit out its backoff). Returns how many.
    pub async fn expedite_waiting(&self) -> Result<u64, StoreError> {
        Sql::build(&self.queries.expedite).bind(Ts::now()).execute(self.db.write()).await
    }

    /// Rows refused for good, oldest first.
    pub async fn parked(&self) -> Result<Vec<Parked>, StoreError> {
        Sql::build(&self.queries.parked).fetch_all(self.db.read()).await
    }

    /// Puts a parked row back in the queue (a person's retry). False if no
    /// parked row has that id.
    pub async fn retry_parked(&self, id: i64) -> Result<bool, StoreError> {
        let changed = Sql::build(&self.queries.retry_parked).bind(Ts::now()).bind(id).execute(self.db.write()).await?;
        Ok(changed == 1)
    }

    pub async fn stats(&self) -> Result<Stats, StoreError> {
        let rows: Vec<(String, i64, Option<Ts>)> = Sql::build(&self.queries.stats).fetch_all(self.db.read()).await?;
        let mut stats = Stats::default();
        for (status, count, oldest) in rows {
            if status == "pending" {
                stats.pending = count;
                stats.oldest_pending_secs =
                    oldest.map(|t| ((chrono::Utc::now() - t.0).num_milliseconds() as f64 / 1000.0).max(0.0));
            } else {
                stats.failed = count;
            }
        }
        Ok(stats)
    }
}

/// Wakes a worker: something was queued or put back.
#[derive(Debug, Clone, Default)]
pub struct Waker(Arc<Notify>);

impl Waker {
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

/// Empties one outbox through a [`Delivery`].
pub struct Worker<D: Delivery> {
    outbox: Outbox,
    delivery: D,
    config: Config,
    waker: Waker,
}

impl<D: Delivery> Worker<D> {
    pub fn new(outbox: Outbox, delivery: D, config: Config) -> Self {
        Self { outbox, delivery, config, waker: Waker::default() }
    }

    /// The handle that wakes this worker.
    pub fn waker(&self) -> Waker {
        self.waker.clone()
    }

    /// Runs until `stop` turns true; deliveries in flight finish first.
    ///
    /// Up to `max_in_flight` deliveries run at once, each on its own task,
    /// and the loop claims more as soon as rows are due and a slot is free,
    /// so one slow answer does not hold back the rows behind it.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let max_in_flight = self.config.max_in_flight;
        let waker = self.waker.clone();
        let worker = Arc::new(self);
        let slots = Arc::new(Semaphore::new(max_in_flight));
        let slot_freed = Arc::new(Notify::new());
        let failing = Arc::new(AtomicBool::new(false));
        loop {
            if *stop.borrow() {
                break;
            }
            let free = slots.available_permits();
            if free == 0 {
                tokio::select! {
                    _ = slot_freed.notified() => {}
                    _ = stop.changed() => {}
                }
                continue;
            }
            match worker.outbox.claim_due(free, worker.config.lease).await {
                Ok(rows) if !rows.is_empty() => {
                    let full = rows.len() == free;
                    for row in rows {
                        let Ok(permit) = slots.clone().acquire_owned().await else { break };
                        let (worker, failing, slot_freed) = (worker.clone(), failing.clone(), slot_freed.clone());
                        tokio::spawn(async move {
                            match worker.attempt(row).await {
                                Attempt::Delivered if failing.swap(false, Ordering::Relaxed) => {
                                    worker.receiver_is_back().await;
                                }
                                Attempt::WillRetry => failing.store(true, Ordering::Relaxed),
                                _ => {}
                            }
                            drop(permit);
                            slot_freed.notify_one();
                        });
                    }
                    // A full claim may have left due rows: claim again now.
                    // Otherwise it took every due row, and claiming again
                    // would only cost a write: a new row wakes the worker
                    // (a wake during the claim is kept), retries come due
                    // by the poll.
                    if full {
                        continue;
                    }
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, outbox = worker.outbox.table.name, "could not claim rows"),
            }
            tokio::select! {
                _ = waker.0.notified() => {}
                _ = tokio::time::sleep(POLL) => {}
                _ = stop.changed() => {}
            }
        }
        // Let deliveries in flight record their outcome.
        let _ = slots.acquire_many(max_in_flight as u32).await;
    }

    /// The receiver answered after failures: the backlog goes now.
    async fn receiver_is_back(&self) {
        if let Ok(n) = self.outbox.expedite_waiting().await
            && n > 0
        {
            tracing::info!(
                outbox = self.outbox.table.name,
                "el destino responde de nuevo: se reenvían {n} envíos en espera"
            );
            self.waker.wake();
        }
    }

    /// One attempt for one row, its outcome recorded.
    async fn attempt(&self, row: OutboxRow) -> Attempt {
        let table = self.outbox.table.name;
        let recorded = match self.delivery.deliver(&row).await {
            Ok(receipt) => {
                self.count("delivered");
                self.close_delivered(&row, receipt).await.map(|()| Attempt::Delivered)
            }
            Err(Failure::Retry(error)) => {
                self.count("retry");
                let attempts = u32::try_from(row.attempts + 1).unwrap_or(u32::MAX);
                let delay = delay_after(attempts);
                tracing::warn!(outbox = table, subject = %row.subject, attempts, ?delay, "{error}; se reintentará");
                let at = chrono::Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default();
                self.outbox.mark_retry(row.id, &error, at).await.map(|()| Attempt::WillRetry)
            }
            Err(Failure::Permanent(error)) => {
                self.count("failed");
                tracing::error!(outbox = table, subject = %row.subject, "{error}: rechazado; queda para reintento manual");
                self.outbox.mark_failed(row.id, &error).await.map(|()| Attempt::Parked)
            }
            Err(Failure::Unwanted(error)) => {
                self.count("unwanted");
                tracing::warn!(outbox = table, subject = %row.subject, "{error}: el destino no lo quiere; se descarta");
                self.outbox.mark_unwanted(row.id, &error).await.map(|()| Attempt::Unwanted)
            }
        };
        let attempt = recorded.unwrap_or_else(|error| {
            // The claim expires and the row is tried again: at least once.
            tracing::warn!(%error, outbox = table, subject = %row.subject, "could not record the outcome");
            Attempt::NotRecorded
        });
        self.delivery.attempted(&row, attempt);
        attempt
    }

    async fn close_delivered(&self, row: &OutboxRow, receipt: D::Receipt) -> Result<(), StoreError> {
        let mut closing = Closing { db: &self.outbox.db, tx: None };
        self.delivery.record(&mut closing, row, receipt).await?;
        match closing.tx {
            Some(mut tx) => {
                self.outbox.mark_delivered(Some(&mut tx), row.id).await?;
                tx.commit().await
            }
            None => self.outbox.mark_delivered(None, row.id).await,
        }
    }

    /// Counted before anyone waiting hears of the attempt, so an answer
    /// never outruns the counter.
    fn count(&self, outcome: &'static str) {
        metrics::counter!("outbox_delivery_attempts_total", "service" => self.config.service, "outcome" => outcome)
            .increment(1);
    }
}

/// Queues a row: the `INSERT` a service runs inside the transaction that
/// causes it. `columns` are the service's own (at least the subject);
/// `payload` is the body to deliver.
pub fn insert(table: Table, columns: &[(&str, Param)], payload: Param) -> Sql {
    let now = Ts::now();
    let mut q = Sql::build(&format!("INSERT INTO {} (", table.name));
    for (name, _) in columns {
        q.push(name).push(", ");
    }
    q.push("payload, status, attempts, next_attempt_at, created_at) VALUES ");
    let mut values: Vec<Param> = columns.iter().map(|(_, v)| v.clone()).collect();
    values.extend([payload, Param::from("pending"), Param::from(0_i64), Param::from(now), Param::from(now)]);
    q.push_row(values);
    q
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{Migrations, Options};

    static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("tests/migrations/sqlite");
    static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("tests/migrations/postgres");

    /// The claim walks the due index in its own order and stops at its
    /// limit. A plan that sorts (`USE TEMP B-TREE FOR ORDER BY`) reads every
    /// due row for each claim: with a backlog, O(backlog) per claim.
    #[tokio::test]
    async fn the_claim_reads_the_due_index_in_order_without_sorting_the_backlog() {
        let file = belgrano_testkit::TestDb::new(belgrano_testkit::Backend::Sqlite).await;
        let migrations = Migrations { sqlite: &SQLITE, postgres: &POSTGRES };
        let options = Options { migrations, postgres_schema: "prueba", postgres_connections: 1 };
        let db = Db::connect(&file.url, options).await.unwrap();
        let queries = Queries::new(Table { name: "envios", subject: "destino" }, &db);
        let plan: Vec<(i64, i64, i64, String)> = Sql::build(&format!("EXPLAIN QUERY PLAN {}", queries.claim))
            .bind(Ts::now())
            .bind(Ts::now())
            .bind(8_i64)
            .fetch_all(db.read())
            .await
            .unwrap();
        let steps: Vec<&str> = plan.iter().map(|(_, _, _, step)| step.as_str()).collect();
        assert!(steps.iter().any(|s| s.contains("USING INDEX envios_due")), "{steps:?}");
        assert!(!steps.iter().any(|s| s.contains("TEMP B-TREE")), "{steps:?}");
    }
}
