//! Courier auto-assignment: which available courier gets a new ticket.
//!
//! The strategy is a small pure unit so it can be replaced (by distance,
//! by zone, round-robin with a daily cap...) without touching intake. The
//! store hands it a snapshot of the available couriers' open loads, taken
//! inside the intake transaction, and updates the snapshot after each pick.

use belgrano_contract::ticket::NuevoTicket;
use chrono::{DateTime, Utc};

/// One available courier and their current load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourierLoad {
    pub id: i64,
    pub nombre: String,
    /// Tickets in pendiente, en-preparacion or en-camino.
    pub open_tickets: i64,
    pub last_assigned_at: Option<DateTime<Utc>>,
}

pub trait AssignmentStrategy: Send + Sync + 'static {
    /// The index in `couriers` of the one who should take `ticket`, or
    /// `None` to leave it unassigned.
    fn pick(&self, couriers: &[CourierLoad], ticket: &NuevoTicket) -> Option<usize>;
}

/// Fewest open tickets first; ties go to whoever was assigned least recently
/// (never assigned counts as longest ago), then to the lowest id so the
/// choice is deterministic.
#[derive(Debug, Default, Clone, Copy)]
pub struct LeastLoaded;

impl AssignmentStrategy for LeastLoaded {
    fn pick(&self, couriers: &[CourierLoad], _ticket: &NuevoTicket) -> Option<usize> {
        couriers
            .iter()
            .enumerate()
            .min_by_key(|(_, c)| (c.open_tickets, c.last_assigned_at, c.id))
            .map(|(index, _)| index)
    }
}

/// Records a pick in the snapshot so the next ticket of the same batch sees it.
pub fn record_assignment(courier: &mut CourierLoad, at: DateTime<Utc>) {
    courier.open_tickets += 1;
    courier.last_assigned_at = Some(at);
}

#[cfg(test)]
mod tests {
    use super::*;
    use belgrano_contract::ticket::NuevoTicket;
    use chrono::TimeZone;
    use serde_json::json;

    fn ticket() -> NuevoTicket {
        NuevoTicket::from_json(&json!({"numero": "T-1", "cliente_nombre": "Ana", "total": 1})).unwrap()
    }

    fn courier(id: i64, open: i64, last: Option<i64>) -> CourierLoad {
        CourierLoad {
            id,
            nombre: format!("Repartidor{id}"),
            open_tickets: open,
            last_assigned_at: last.map(|s| Utc.timestamp_opt(s, 0).unwrap()),
        }
    }

    #[test]
    fn picks_the_least_loaded() {
        let couriers = [courier(1, 3, Some(1)), courier(2, 1, Some(5)), courier(3, 2, None)];
        assert_eq!(LeastLoaded.pick(&couriers, &ticket()), Some(1));
    }

    #[test]
    fn breaks_ties_by_least_recent_assignment() {
        let couriers = [courier(1, 2, Some(10)), courier(2, 2, Some(5)), courier(3, 2, Some(7))];
        assert_eq!(LeastLoaded.pick(&couriers, &ticket()), Some(1));
        let with_new = [courier(1, 2, Some(10)), courier(2, 2, None)];
        assert_eq!(LeastLoaded.pick(&with_new, &ticket()), Some(1), "never assigned goes first");
    }

    #[test]
    fn nobody_available_means_unassigned() {
        assert_eq!(LeastLoaded.pick(&[], &ticket()), None);
    }

    #[test]
    fn a_stream_of_tickets_spreads_evenly() {
        let mut couriers = vec![courier(1, 0, None), courier(2, 4, None), courier(3, 1, None), courier(4, 0, None)];
        let start = Utc.timestamp_opt(1_000, 0).unwrap();
        for i in 0..95 {
            let index = LeastLoaded.pick(&couriers, &ticket()).unwrap();
            record_assignment(&mut couriers[index], start + chrono::Duration::seconds(i));
        }
        let loads: Vec<i64> = couriers.iter().map(|c| c.open_tickets).collect();
        let spread = loads.iter().max().unwrap() - loads.iter().min().unwrap();
        assert!(spread <= 1, "{loads:?}");
        assert_eq!(loads.iter().sum::<i64>(), 100);
    }
}
