//! The time a service acts on: the system's, or one a test controls.
//!
//! - [`Clock::System`], in production.
//! - [`Clock::manual`]: in-process tests move it ([`Clock::set`],
//!   [`Clock::advance`]).
//! - [`Clock::file`]: cross-process tests write an RFC 3339 instant to the
//!   file `CLOCK_FILE` names; every reading reads the file again (the
//!   system time while it is missing or unreadable).
//!
//! Only schedules read it (what falls due, and when); timestamps of what
//! happened keep the system time.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Default)]
pub enum Clock {
    #[default]
    System,
    Manual(Arc<Mutex<DateTime<Utc>>>),
    File(PathBuf),
}

impl Clock {
    /// A clock standing at `at` until moved.
    pub fn manual(at: DateTime<Utc>) -> Self {
        Clock::Manual(Arc::new(Mutex::new(at)))
    }

    /// A clock read from `path` (an RFC 3339 instant).
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Clock::File(path.into())
    }

    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Manual(at) => *at.lock().expect("clock lock"),
            Clock::File(path) => std::fs::read_to_string(path)
                .ok()
                .and_then(|s| DateTime::parse_from_rfc3339(s.trim()).ok())
                .map_or_else(Utc::now, |t| t.to_utc()),
        }
    }

    /// Moves a manual clock to `at` (other clocks ignore it).
    pub fn set(&self, at: DateTime<Utc>) {
        if let Clock::Manual(now) = self {
            *now.lock().expect("clock lock") = at;
        }
    }

    /// Moves a manual clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        if let Clock::Manual(now) = self {
            let mut now = now.lock().expect("clock lock");
            *now += by;
        }
    }

    pub fn is_system(&self) -> bool {
        matches!(self, Clock::System)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_and_file_clocks_move_when_told() {
        let start = DateTime::parse_from_rfc3339("2026-12-02T12:00:00Z").unwrap().to_utc();
        let c = Clock::manual(start);
        let copy = c.clone();
        c.advance(Duration::days(7));
        assert_eq!(copy.now(), start + Duration::days(7), "clones share the time");
        let path = std::env::temp_dir().join(format!("clock-{}", std::process::id()));
        std::fs::write(&path, "2030-01-01T03:00:00Z\n").unwrap();
        let f = Clock::file(&path);
        assert_eq!(f.now().to_rfc3339(), "2030-01-01T03:00:00+00:00");
        std::fs::remove_file(&path).unwrap();
        assert!((f.now() - Utc::now()).num_seconds().abs() < 5, "missing file: system time");
    }
}
