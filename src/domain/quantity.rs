//! Quantities of material: whole units, never negative, within 32 bits, read as people write
//! them in the interface's language and never guessed at.

use super::{Invalid, Lang};

/// A count of units from 0 to i32::MAX.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quantity(i32);

/// How a language writes a whole number: the thousands separators it accepts and the mark that
/// starts decimals. A space (or a no-break space) groups thousands in either language.
fn separators(lang: Lang) -> (&'static [char], char) {
    const SPACES: [char; 3] = [' ', '\u{a0}', '\u{202f}'];
    match lang {
        Lang::En => (&[',', ' ', '\u{a0}', '\u{202f}'], '.'),
        Lang::Es => (&['.', SPACES[0], SPACES[1], SPACES[2]], ','),
    }
}

impl Quantity {
    /// Parses what a person typed in `lang`: plain digits (`1500`), or digits grouped by
    /// thousands with the language's separator in every valid position (`1,500` in English,
    /// `1.500` or `1 500` in Spanish; `1.500.000`, never `1.50`). A decimal part is refused
    /// ("whole units only"), even `,00`: nothing is rounded or guessed.
    pub fn parse(raw: &str, lang: Lang) -> Result<Self, Invalid> {
        let (groups, decimal) = separators(lang);
        let trimmed = raw.trim_matches(|c: char| c.is_whitespace());
        if trimmed.is_empty() {
            return Err(Invalid::new("err.required"));
        }
        if trimmed.starts_with('-') {
            return Err(Invalid::new("err.negative"));
        }
        if !trimmed.chars().all(|c| c.is_ascii_digit() || c == decimal || groups.contains(&c)) {
            return Err(Invalid::new("err.not_a_number"));
        }
        let (whole, fraction) = match trimmed.split_once(decimal) {
            Some((whole, fraction)) => (whole, Some(fraction)),
            None => (trimmed, None),
        };
        if let Some(fraction) = fraction {
            // `1.500,00` in Spanish or `12.5` in English: a decimal part, however small.
            let digits_only = fraction.chars().all(|c| c.is_ascii_digit());
            return Err(if digits_only && !fraction.is_empty() && !whole.is_empty() {
                Invalid::with("err.whole_units", decimal)
            } else {
                Invalid::new("err.not_a_number")
            });
        }
        let digits = grouped_digits(whole, groups).ok_or_else(|| Invalid::with("err.grouping", groups[0]))?;
        match digits.parse::<i32>() {
            Ok(n) => Ok(Quantity(n)),
            Err(_) => Err(Invalid::with("err.too_large", crate::i18n::number(lang, i64::from(i32::MAX)))),
        }
    }

    /// Like `parse`, but zero is refused too.
    pub fn parse_positive(raw: &str, lang: Lang) -> Result<PositiveQuantity, Invalid> {
        let q = Self::parse(raw, lang)?;
        PositiveQuantity::new(q.0).ok_or_else(|| Invalid::new("err.zero"))
    }

    /// A quantity the program itself computed or read from the database.
    pub fn new(n: i32) -> Option<Self> {
        (n >= 0).then_some(Quantity(n))
    }

    pub fn get(self) -> i32 {
        self.0
    }
}

/// A count of units above zero: what a receipt, an adjustment, a shipment line and every ledger
/// posting move. Parsed from the form (or the file) once and carried as it is to the posting, so
/// no later step has to ask again whether it is positive.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Integer)]
pub struct PositiveQuantity(i32);

impl PositiveQuantity {
    /// A quantity the program computed or read from the database; None unless above zero.
    pub fn new(n: i32) -> Option<Self> {
        (n > 0).then_some(PositiveQuantity(n))
    }

    pub fn get(self) -> i32 {
        self.0
    }
}

impl From<PositiveQuantity> for i64 {
    fn from(q: PositiveQuantity) -> i64 {
        i64::from(q.0)
    }
}

impl<DB> diesel::serialize::ToSql<diesel::sql_types::Integer, DB> for PositiveQuantity
where
    DB: diesel::backend::Backend,
    i32: diesel::serialize::ToSql<diesel::sql_types::Integer, DB>,
{
    fn to_sql<'b>(&'b self, out: &mut diesel::serialize::Output<'b, '_, DB>) -> diesel::serialize::Result {
        self.0.to_sql(out)
    }
}

/// A stored quantity that is not positive (the tables' CHECKs forbid it) is a database error.
impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Integer, DB> for PositiveQuantity
where
    DB: diesel::backend::Backend,
    i32: diesel::deserialize::FromSql<diesel::sql_types::Integer, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
        let n = i32::from_sql(bytes)?;
        PositiveQuantity::new(n).ok_or_else(|| format!("a stored quantity of {n}, not above zero").into())
    }
}

impl std::fmt::Display for PositiveQuantity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// The digits of `text` when it is plain digits, or digits grouped in threes by one separator
/// (a first group of one to three digits, then groups of exactly three).
fn grouped_digits(text: &str, groups: &[char]) -> Option<String> {
    let mut used = text.chars().filter(|c| groups.contains(c));
    let Some(separator) = used.next() else {
        return Some(text.to_string());
    };
    if used.any(|c| c != separator) {
        return None;
    }
    let mut parts = text.split(separator);
    let first = parts.next()?;
    if first.is_empty() || first.len() > 3 {
        return None;
    }
    let mut digits = first.to_string();
    for part in parts {
        if part.len() != 3 {
            return None;
        }
        digits.push_str(part);
    }
    Some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn en(raw: &str) -> Result<i32, &'static str> {
        Quantity::parse(raw, Lang::En).map(Quantity::get).map_err(|e| e.key)
    }

    fn es(raw: &str) -> Result<i32, &'static str> {
        Quantity::parse(raw, Lang::Es).map(Quantity::get).map_err(|e| e.key)
    }

    #[test]
    fn a_positive_quantity_is_never_zero_or_negative() {
        assert_eq!(PositiveQuantity::new(0), None);
        assert_eq!(PositiveQuantity::new(-5), None);
        assert_eq!(PositiveQuantity::new(1).map(PositiveQuantity::get), Some(1));
        assert_eq!(Quantity::parse_positive("0", Lang::En).map_err(|e| e.key), Err("err.zero"));
        assert_eq!(Quantity::parse_positive("1.500", Lang::Es).map(PositiveQuantity::get), Ok(1500));
    }

    #[test]
    fn plain_and_grouped_digits_in_each_language() {
        assert_eq!(en("60000"), Ok(60_000));
        assert_eq!(es("60000"), Ok(60_000));
        assert_eq!(en(" 60,000 "), Ok(60_000));
        assert_eq!(es("60.000"), Ok(60_000));
        assert_eq!(es("60 000"), Ok(60_000));
        assert_eq!(es("1\u{a0}500"), Ok(1_500));
        assert_eq!(en("1 500"), Ok(1_500));
        assert_eq!(es("1.500.000"), Ok(1_500_000));
        assert_eq!(en("1,500,000"), Ok(1_500_000));
        assert_eq!(en("0"), Ok(0));
    }

    #[test]
    fn a_decimal_part_is_never_guessed() {
        // The field findings: `1.500,00` in Spanish became 150.000; `1,5` and `1.5` became 15.
        assert_eq!(es("1.500,00"), Err("err.whole_units"));
        assert_eq!(es("1,5"), Err("err.whole_units"));
        assert_eq!(en("1.5"), Err("err.whole_units"));
        assert_eq!(en("1,500.00"), Err("err.whole_units"));
        assert_eq!(en("12,34"), Err("err.grouping"));
        assert_eq!(es("1.5"), Err("err.grouping"));
        assert_eq!(es("1.50"), Err("err.grouping"));
        assert_eq!(en("1,50"), Err("err.grouping"));
        assert_eq!(es("1.500 000"), Err("err.grouping"), "two kinds of separator");
        assert_eq!(es(".500"), Err("err.grouping"));
        assert_eq!(es("1500."), Err("err.grouping"));
        assert_eq!(es("1234.567"), Err("err.grouping"));
        assert_eq!(en("1,5,"), Err("err.grouping"));
        // The other language's separator reads as its decimals or as a misplaced group.
        assert_eq!(es("1,500"), Err("err.whole_units"));
        assert_eq!(en("1.500"), Err("err.whole_units"));
    }

    #[test]
    fn refuses_what_is_not_a_count() {
        assert_eq!(en(""), Err("err.required"));
        assert_eq!(en("-5"), Err("err.negative"));
        assert_eq!(en("12a"), Err("err.not_a_number"));
        assert_eq!(en("1e5"), Err("err.not_a_number"));
        assert_eq!(en("+5"), Err("err.not_a_number"));
        assert_eq!(en(".5"), Err("err.not_a_number"));
        assert_eq!(es("5,"), Err("err.not_a_number"));
        assert_eq!(en("2147483648"), Err("err.too_large"));
        assert_eq!(en("2,147,483,647"), Ok(i32::MAX));
        assert_eq!(Quantity::parse_positive("0", Lang::Es).map_err(|e| e.key), Err("err.zero"));
    }

    /// Writes `n` with `separator` between groups of three, the first group shortened.
    fn grouped(n: u32, separator: char) -> String {
        let digits = n.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(separator);
            }
            out.push(c);
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Every number our own formatter writes, in each language, reads back as itself.
        #[test]
        fn what_we_write_reads_back(n in 0..=i32::MAX) {
            for lang in Lang::ALL {
                let written = crate::i18n::number(lang, i64::from(n));
                prop_assert_eq!(Quantity::parse(&written, lang).map(Quantity::get), Ok(n), "{} in {:?}", written, lang);
            }
        }

        /// A separator anywhere but between groups of three is refused, in both languages.
        #[test]
        fn a_misplaced_separator_is_refused(
            n in 10u32..2_000_000_000,
            at in 1usize..10,
            lang in prop_oneof![Just(Lang::En), Just(Lang::Es)],
        ) {
            let (groups, _) = separators(lang);
            let digits = n.to_string();
            let at = at.min(digits.len() - 1);
            let written = format!("{}{}{}", &digits[..at], groups[0], &digits[at..]);
            // Valid only when the separator falls where grouping puts it and no other is needed.
            let valid = digits.len() - at == 3 && digits.len() <= 6;
            let parsed = Quantity::parse(&written, lang);
            if valid {
                prop_assert_eq!(parsed.map(Quantity::get).ok(), i32::try_from(n).ok());
            } else {
                prop_assert!(parsed.is_err(), "{} read as {:?}", written, parsed);
            }
            prop_assert_eq!(Quantity::parse(&grouped(n.min(i32::MAX as u32), groups[0]), lang).map(Quantity::get).ok(),
                Some(n.min(i32::MAX as u32) as i32));
        }
    }
}
