//! Order intake: turning validated requests into tickets, exactly once each.
//!
//! All intake goes through one writer task per process. It takes whatever
//! requests have queued up (up to [`MAX_BATCH`]) and handles them in one
//! database transaction: look up the numeros already stored, decide for each
//! request (new, identical repeat, conflicting repeat: the pure
//! [`crate::domain::intake::BatchPlan`]), assign couriers with the
//! [`AssignmentStrategy`], insert, record events, commit. Then it
//! broadcasts `nuevo_ticket` and answers the waiting requests.
//!
//! Why a single writer: SQLite allows one writer at a time anyway, and a
//! batch costs a handful of statements instead of a handful per ticket, so
//! intake outruns a plain one-insert-per-request handler. It also makes the
//! idempotency check free of races inside a process; across processes on
//! PostgreSQL the store takes an advisory lock for the same effect.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::domain::assign::AssignmentStrategy;
use crate::domain::intake::{IntakeOutcome, IntakeRequest};
use crate::live::Broadcaster;
use crate::store::{Store, StoreError};

/// Most requests handled in one transaction.
pub const MAX_BATCH: usize = 256;

struct IntakeJob {
    request: IntakeRequest,
    reply: oneshot::Sender<Result<IntakeOutcome, StoreError>>,
}

/// The handle request handlers submit to. Cheap to clone.
#[derive(Clone)]
pub struct Intake {
    jobs: mpsc::Sender<IntakeJob>,
}

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("el servicio se está deteniendo")]
    ShuttingDown,
}

impl Intake {
    /// Starts the writer task. It stops once every `Intake` handle is
    /// dropped and the queue is drained.
    pub fn start(
        store: Store,
        strategy: Arc<dyn AssignmentStrategy>,
        broadcaster: Broadcaster,
    ) -> (Self, tokio::task::JoinHandle<()>) {
        let (jobs, queue) = mpsc::channel(4 * MAX_BATCH);
        let writer = tokio::spawn(run_writer(queue, store, strategy, broadcaster));
        (Self { jobs }, writer)
    }

    pub async fn submit(&self, request: IntakeRequest) -> Result<IntakeOutcome, IntakeError> {
        let (reply, answer) = oneshot::channel();
        self.jobs.send(IntakeJob { request, reply }).await.map_err(|_| IntakeError::ShuttingDown)?;
        answer.await.map_err(|_| IntakeError::ShuttingDown)?.map_err(IntakeError::from)
    }
}

async fn run_writer(
    mut queue: mpsc::Receiver<IntakeJob>,
    store: Store,
    strategy: Arc<dyn AssignmentStrategy>,
    broadcaster: Broadcaster,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (requests, replies): (Vec<_>, Vec<_>) = batch.drain(..).map(|j| (j.request, j.reply)).unzip();
        match store.intake_batch(&requests, strategy.as_ref()).await {
            Ok(outcomes) => deliver(outcomes, replies, &broadcaster).await,
            Err(error) if error.is_unavailable() => {
                // The database is down: every request waiting now would
                // wait for a connection again, so all of them get the answer
                // now (a 503 the client retries) instead of queueing.
                tracing::warn!(%error, size = requests.len(), "intake: database unavailable");
                let mut waiting = replies;
                while let Ok(job) = queue.try_recv() {
                    waiting.push(job.reply);
                }
                for reply in waiting {
                    let _ = reply.send(Err(error.clone()));
                }
            }
            Err(error) if requests.len() > 1 => {
                // Do not let one request sink its neighbours: retry alone.
                tracing::warn!(%error, size = requests.len(), "intake batch failed; retrying one by one");
                for (request, reply) in requests.into_iter().zip(replies) {
                    match store.intake_batch(std::slice::from_ref(&request), strategy.as_ref()).await {
                        Ok(outcomes) => deliver(outcomes, vec![reply], &broadcaster).await,
                        Err(error) => {
                            let _ = reply.send(Err(error));
                        }
                    }
                }
            }
            Err(error) => {
                for reply in replies {
                    let _ = reply.send(Err(error.clone()));
                }
            }
        }
    }
}

/// Broadcasts after the commit, then answers: by the time a client sees its
/// 200, the boards have been sent the ticket.
async fn deliver(
    outcomes: Vec<IntakeOutcome>,
    replies: Vec<oneshot::Sender<Result<IntakeOutcome, StoreError>>>,
    broadcaster: &Broadcaster,
) {
    for outcome in &outcomes {
        if let IntakeOutcome::Created { event, .. } = outcome {
            broadcaster.nuevo_ticket(event).await;
        }
    }
    for (outcome, reply) in outcomes.into_iter().zip(replies) {
        let _ = reply.send(Ok(outcome));
    }
}
