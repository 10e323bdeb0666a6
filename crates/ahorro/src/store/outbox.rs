//! The orders' outbox: one row per order, written in the checkout's
//! transaction ([`queue`]) and emptied by the platform's delivery worker
//! (`crate::delivery`), which claims, retries and parks rows through
//! [`belgrano_platform::outbox::Outbox`] over this [`TABLE`].
//!
//! Columns: the platform's mechanical ones (`id`, `payload`, `status`,
//! `attempts`, `next_attempt_at`, `claimed_until`, `last_error`,
//! `created_at`, `delivered_at`) plus `pedido_id` and `numero`, the row's
//! subject.

use belgrano_contract::ticket::Numero;
use belgrano_platform::db::{Param, Sql};
use belgrano_platform::outbox::{self, Table};

pub const TABLE: Table = Table { name: "outbox", subject: "numero" };

/// The `INSERT` of an order's row, to run in the order's transaction.
pub(super) fn queue(pedido_id: i64, numero: &Numero, payload: String) -> Sql {
    outbox::insert(
        TABLE,
        &[("pedido_id", Param::from(pedido_id)), ("numero", Param::from(numero.as_str()))],
        payload.into(),
    )
}
