//! The reports page's inline SVG charts: the platform's (shared with
//! Ahorro's back-office dashboard).

pub use belgrano_platform::charts::{columns, horizontal_bars};
