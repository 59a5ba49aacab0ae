//! Row structs and their queries, one module per table. Models never know about HTTP.

pub mod adjustment;
pub mod airing;
pub mod audit;
pub mod campaign;
pub mod confirmation;
pub mod delivery_code;
pub mod import;
pub mod keyset;
pub mod location;
pub mod location_type;
pub mod material;
pub mod pending_form;
pub mod query;
pub mod receipt;
pub mod region;
pub mod session;
pub mod setting;
pub mod shipment;
pub mod shipment_query;
pub mod submission;
pub mod target;
pub mod throttle;
pub mod user;

use chrono::NaiveDateTime;

/// The current time in UTC, as stored in every timestamp column.
pub fn now() -> NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

/// One page of a list and how many rows the whole list has.
#[derive(Debug)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

impl<T> Page<T> {
    pub fn page_count(&self) -> i64 {
        ((self.total + self.per_page - 1) / self.per_page).max(1)
    }
}

/// Escapes `%` and `_` so user text in a LIKE pattern matches literally.
pub fn like_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// True when a diesel error is a UNIQUE violation (a duplicate code or username).
pub fn is_unique_violation(e: &diesel::result::Error) -> bool {
    matches!(e, diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _))
}
