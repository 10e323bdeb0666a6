//! The lifecycle service pages and API handlers call to change tickets:
//! the store applies a change (decided by [`crate::domain::change`]) in one
//! transaction, then this broadcasts its events and wakes the notify worker.

use std::sync::Arc;

use belgrano_contract::ticket::Ticket;
use belgrano_platform::outbox::Waker;

use crate::domain::assign::AssignmentStrategy;
use crate::domain::change::{ChangeError, RecordedEvent, TicketChange};
use crate::domain::usuario::Actor;
use crate::live::Broadcaster;
use crate::store::Store;

/// Cheap to clone.
#[derive(Clone)]
pub struct Lifecycle {
    store: Store,
    strategy: Arc<dyn AssignmentStrategy>,
    broadcaster: Broadcaster,
    /// Wakes the notify worker when an update for Ahorro was queued.
    notify: Waker,
}

impl Lifecycle {
    pub fn new(store: Store, strategy: Arc<dyn AssignmentStrategy>, broadcaster: Broadcaster, notify: Waker) -> Self {
        Self { store, strategy, broadcaster, notify }
    }

    /// Changes state and/or courier.
    pub async fn change(&self, id: i64, change: &TicketChange, actor: &Actor) -> Result<Ticket, ChangeError> {
        let changed = self.store.update_ticket(id, change, actor).await?;
        self.publish(&changed.events).await;
        Ok(changed.ticket)
    }

    /// Records a failed delivery attempt: back to `pendiente`, unassigned.
    pub async fn intento_fallido(&self, id: i64, motivo: &str, actor: &Actor) -> Result<Ticket, ChangeError> {
        let changed = self.store.intento_fallido(id, motivo, actor).await?;
        self.publish(&changed.events).await;
        Ok(changed.ticket)
    }

    /// Deletes a ticket (dispatchers only). Ahorro hears it as cancelled.
    pub async fn delete(&self, id: i64, actor: &Actor) -> Result<(), ChangeError> {
        if matches!(actor, Actor::Courier { .. }) {
            return Err(ChangeError::Forbidden("Un repartidor no puede eliminar tickets"));
        }
        let events = self.store.delete_ticket(id, actor).await?;
        self.publish(&events).await;
        Ok(())
    }

    /// Hands a courier's open tickets to others by the intake strategy
    /// (when they are deactivated). Returns how many moved.
    pub async fn reassign_open_tickets_of(&self, courier_id: i64, actor: &Actor) -> Result<usize, ChangeError> {
        let events = self.store.reassign_open_tickets_of(courier_id, actor, self.strategy.as_ref()).await?;
        self.publish(&events).await;
        Ok(events.len())
    }

    /// Tells the notify worker there is something to deliver.
    pub fn wake_notifier(&self) {
        self.notify.wake();
    }

    async fn publish(&self, events: &[RecordedEvent]) {
        for event in events {
            self.broadcaster.recorded(event).await;
        }
        if !events.is_empty() {
            self.notify.wake();
        }
    }
}
