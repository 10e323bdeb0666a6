//! The delivery retry policy shared by both outboxes (Ahorro → Tickets and
//! Tickets → Ahorro).
//!
//! The seed specifies exponential backoff of 1 s, 2 s, 4 s with jitter and a
//! 10 s timeout per request. Unlike the old system we never give up on a
//! retryable failure: after the third try the delay keeps doubling up to a
//! 60 s cap, for as long as it takes.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};

/// Timeout for one delivery request.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// First retry delay.
pub const BASE_DELAY: Duration = Duration::from_secs(1);
/// Longest delay between two tries.
pub const MAX_DELAY: Duration = Duration::from_secs(60);

/// The delay before try number `attempt + 1`, given `attempt` failed tries
/// so far (1 → about 1 s, 2 → about 2 s, 3 → about 4 s, ... capped at 60 s).
/// Jitter spreads a crowd of failed deliveries so they do not all return at
/// once.
pub fn delay_after(failed_attempts: u32) -> Duration {
    let index = failed_attempts.saturating_sub(1) as usize;
    ExponentialBuilder::default()
        .with_min_delay(BASE_DELAY)
        .with_max_delay(MAX_DELAY)
        .with_factor(2.0)
        .without_max_times()
        .with_jitter()
        .build()
        .nth(index)
        .unwrap_or(MAX_DELAY)
        .min(MAX_DELAY)
}

/// How an HTTP answer (or its absence) should be treated by an outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// Connection error, timeout, 5xx or 429: try again later.
    Retry,
    /// Any other 4xx: the same request will fail again; park it for a person.
    Permanent,
}

impl Outcome {
    pub fn from_status(status: u16) -> Self {
        match status {
            200..=299 => Outcome::Delivered,
            429 | 408 => Outcome::Retry,
            500..=599 => Outcome::Retry,
            _ => Outcome::Permanent,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_with_jitter_and_is_capped() {
        for _ in 0..50 {
            let first = delay_after(1);
            assert!(first >= Duration::from_secs(1) && first <= Duration::from_secs(2), "{first:?}");
            let third = delay_after(3);
            assert!(third >= Duration::from_secs(4) && third <= Duration::from_secs(8), "{third:?}");
            assert!(delay_after(40) <= MAX_DELAY);
            assert!(delay_after(40) >= Duration::from_secs(30));
        }
    }

    #[test]
    fn classifies_answers() {
        assert_eq!(Outcome::from_status(200), Outcome::Delivered);
        assert_eq!(Outcome::from_status(503), Outcome::Retry);
        assert_eq!(Outcome::from_status(429), Outcome::Retry);
        assert_eq!(Outcome::from_status(401), Outcome::Permanent);
        assert_eq!(Outcome::from_status(422), Outcome::Permanent);
    }
}
