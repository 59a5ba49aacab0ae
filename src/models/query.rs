//! What the lists' query types share. A list's filters are read from the query string once
//! (serde), checked once into ids and dates, and then narrow one diesel query; the page, its
//! export and the command line all go through the same check, so a value the page refuses is
//! refused by the export with the same message.

use crate::db::schema::{campaigns, location_types, locations, materials, regions};
use crate::db::DbConn;
use crate::domain::Invalid;
use crate::domain::{LocationId, MaterialId};
use chrono::NaiveDate;
use diesel::prelude::*;
use serde::de::DeserializeOwned;

/// The refused filters, each under the query-string name of its field.
pub type Refusals = Vec<(&'static str, Invalid)>;

/// What a list page says above its filters when some were refused: the message of the first
/// filter its form has no field for (a link or a download's address carried it), which would
/// otherwise be shown nowhere; else "correct the fields below".
pub fn summary(refusals: &Refusals, fields: &[&str]) -> Invalid {
    refusals
        .iter()
        .find(|(name, _)| !fields.contains(name))
        .map(|(_, invalid)| invalid.clone())
        .unwrap_or_else(|| Invalid::new("form.fix_errors"))
}

/// Reads a query string into a list's query type; a repeated filter parameter is refused
/// rather than guessed at.
pub fn from_query_string<T: DeserializeOwned>(query: &str) -> Result<T, Invalid> {
    serde_urlencoded::from_str(query).map_err(|_| Invalid::new("filter.err.unreadable"))
}

/// The value of a valid filter; an invalid one's message goes to `refusals`.
pub fn keep<T>(refusals: &mut Refusals, field: &'static str, result: Result<Option<T>, Invalid>) -> Option<T> {
    result.unwrap_or_else(|invalid| {
        refusals.push((field, invalid));
        None
    })
}

/// A YYYY-MM-DD date, or none when empty; the message repeats what was typed.
pub fn date(raw: &str) -> Result<Option<NaiveDate>, Invalid> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").map(Some).map_err(|_| Invalid::with("export.err.date", raw))
}

/// "To" before "From" is refused on "to".
pub fn check_range(refusals: &mut Refusals, from: Option<NaiveDate>, to: Option<NaiveDate>) {
    if let (Some(from), Some(to)) = (from, to) {
        if to < from {
            refusals.push(("to", Invalid::new("filter.err.to_before_from")));
        }
    }
}

/// One of a fixed set of values, or none when empty.
pub fn one_of(raw: &str, values: &[&'static str], key: &'static str) -> Result<Option<&'static str>, Invalid> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    values.iter().find(|v| **v == raw).copied().map(Some).ok_or_else(|| Invalid::with(key, raw))
}

/// Longer than any code or id: refused without asking the database.
const CODE_MAX: usize = 64;

/// Looks a code up, else takes a numeric id (the pages' selects send ids, the command line and
/// scripts codes); none when empty.
macro_rules! lookup {
    ($conn:expr, $table:ident, $id:ty, $raw:expr, $key:expr) => {{
        let raw = $raw.trim();
        if raw.is_empty() {
            Ok(Ok(None))
        } else if raw.len() > CODE_MAX || raw.chars().any(char::is_control) {
            // Never sent to the database: PostgreSQL refuses a NUL in text outright.
            let shown: String = raw
                .chars()
                .take(CODE_MAX)
                .map(|c| if c.is_control() { char::REPLACEMENT_CHARACTER } else { c })
                .collect();
            Ok(Err(Invalid::with($key, shown)))
        } else {
            let by_code: Option<$id> =
                $table::table.filter($table::code.eq(raw)).select($table::id).first::<$id>(&mut *$conn).optional()?;
            let found = match by_code {
                Some(id) => Some(id),
                None => match raw.parse::<i32>() {
                    Ok(id) => $table::table.find(id).select($table::id).first::<$id>(&mut *$conn).optional()?,
                    Err(_) => None,
                },
            };
            Ok(found.map(Some).ok_or_else(|| Invalid::with($key, raw)))
        }
    }};
}

/// A checked lookup: the database answered, and the value is known (or empty) or refused.
pub type Lookup<Id = i32> = QueryResult<Result<Option<Id>, Invalid>>;

pub fn campaign(conn: &mut DbConn, raw: &str) -> Lookup {
    lookup!(conn, campaigns, i32, raw, "export.err.campaign")
}

pub fn material(conn: &mut DbConn, raw: &str) -> Lookup<MaterialId> {
    lookup!(conn, materials, MaterialId, raw, "export.err.material")
}

pub fn region(conn: &mut DbConn, raw: &str) -> Lookup {
    lookup!(conn, regions, i32, raw, "export.err.region")
}

pub fn location_type(conn: &mut DbConn, raw: &str) -> Lookup {
    lookup!(conn, location_types, i32, raw, "export.err.location_type")
}

/// A place by code or id; `key` names it in the message ("origin", "place").
pub fn place(conn: &mut DbConn, raw: &str, key: &'static str) -> Lookup<LocationId> {
    lookup!(conn, locations, LocationId, raw, key)
}

/// A search text: trimmed, at most `max` characters, none when empty.
pub fn text(raw: &str, max: usize) -> Result<Option<String>, Invalid> {
    crate::domain::OptionalText::parse(raw, max).map(|t| Some(t.into_inner()).filter(|t| !t.is_empty()))
}
