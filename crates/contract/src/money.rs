//! Money in pesos, stored as integer centavos.
//!
//! The wire carries pesos as JSON numbers (`"total": 130.0`); storage and
//! arithmetic use centavos so that sums never drift.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Centavos(pub i64);

/// The largest amount accepted on the wire (one thousand million pesos).
pub const MAX_PESOS: f64 = 1_000_000_000.0;

impl Centavos {
    /// Converts pesos to centavos, rounding to the nearest centavo.
    /// Returns `None` for negative, non-finite or absurdly large amounts.
    pub fn from_pesos(pesos: f64) -> Option<Self> {
        if !pesos.is_finite() || !(0.0..=MAX_PESOS).contains(&pesos) {
            return None;
        }
        Some(Self((pesos * 100.0).round() as i64))
    }

    pub fn pesos(self) -> f64 {
        self.0 as f64 / 100.0
    }

    /// Formats for people in Buenos Aires: `$ 1.800` or `$ 1.800,50`.
    pub fn format_ars(self) -> String {
        let negative = self.0 < 0;
        let abs = self.0.unsigned_abs();
        let (whole, cents) = (abs / 100, abs % 100);
        let digits = whole.to_string();
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, ch) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push('.');
            }
            grouped.push(ch);
        }
        let sign = if negative { "-" } else { "" };
        if cents == 0 { format!("{sign}$ {grouped}") } else { format!("{sign}$ {grouped},{cents:02}") }
    }
}

impl std::ops::Add for Centavos {
    type Output = Self;
    fn add(self, rhs: Self) -> Self {
        Self(self.0 + rhs.0)
    }
}

impl std::ops::Mul<i64> for Centavos {
    type Output = Self;
    fn mul(self, rhs: i64) -> Self {
        Self(self.0 * rhs)
    }
}

impl std::iter::Sum for Centavos {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        Self(iter.map(|c| c.0).sum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_and_formats() {
        assert_eq!(Centavos::from_pesos(130.0), Some(Centavos(13_000)));
        assert_eq!(Centavos::from_pesos(0.1 + 0.2), Some(Centavos(30)));
        assert_eq!(Centavos::from_pesos(-1.0), None);
        assert_eq!(Centavos::from_pesos(f64::NAN), None);
        assert_eq!(Centavos(180_000).format_ars(), "$ 1.800");
        assert_eq!(Centavos(123_456_789).format_ars(), "$ 1.234.567,89");
        assert_eq!(Centavos(95_000).format_ars(), "$ 950");
        assert_eq!(Centavos(5).format_ars(), "$ 0,05");
    }
}
