//! Quantities of material: whole units, never negative, within 32 bits.

use super::Invalid;

/// A count of units from 0 to i32::MAX.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Quantity(i32);

impl Quantity {
    /// Parses what a person typed: digits, optionally with thousands separators (`60,000` or `60.000`).
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(Invalid::new("err.required"));
        }
        if trimmed.starts_with('-') {
            return Err(Invalid::new("err.negative"));
        }
        let digits: String = trimmed.chars().filter(|c| !matches!(c, ',' | '.' | ' ' | '_')).collect();
        if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(Invalid::new("err.not_a_number"));
        }
        match digits.parse::<i32>() {
            Ok(n) => Ok(Quantity(n)),
            Err(_) => Err(Invalid::with("err.too_large", i32::MAX)),
        }
    }

    /// Like `parse`, but zero is refused too.
    pub fn parse_positive(raw: &str) -> Result<Self, Invalid> {
        let q = Self::parse(raw)?;
        if q.0 == 0 {
            return Err(Invalid::new("err.zero"));
        }
        Ok(q)
    }

    pub fn get(self) -> i32 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_and_grouped_digits() {
        assert_eq!(Quantity::parse("60000").map(Quantity::get), Ok(60_000));
        assert_eq!(Quantity::parse(" 60,000 ").map(Quantity::get), Ok(60_000));
        assert_eq!(Quantity::parse("60.000").map(Quantity::get), Ok(60_000));
        assert_eq!(Quantity::parse("0").map(Quantity::get), Ok(0));
    }

    #[test]
    fn refuses_what_is_not_a_count() {
        assert_eq!(Quantity::parse("").unwrap_err().key, "err.required");
        assert_eq!(Quantity::parse("-5").unwrap_err().key, "err.negative");
        assert_eq!(Quantity::parse("12a").unwrap_err().key, "err.not_a_number");
        assert_eq!(Quantity::parse("1e5").unwrap_err().key, "err.not_a_number");
        assert_eq!(Quantity::parse("2147483648").unwrap_err().key, "err.too_large");
        assert_eq!(Quantity::parse("2147483647").map(Quantity::get), Ok(i32::MAX));
        assert_eq!(Quantity::parse_positive("0").unwrap_err().key, "err.zero");
    }
}
