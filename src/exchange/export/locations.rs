//! Locations: the reference list of places, the location list's own query
//! (`LocationFilter::query`), keyed by the place.

use super::{in_lang, region_name_in, Cell, Chunk, CHUNK};
use crate::db::schema::{location_types, locations, regions};
use crate::db::DbConn;
use crate::domain::Lang;
use crate::models::location::LocationFilter;
use diesel::prelude::*;

pub const LOCATION_COLUMNS: [&str; 12] = [
    "code",
    "name",
    "location_type",
    "location_type_name",
    "region_code",
    "region_name",
    "city",
    "country",
    "ownership",
    "contact",
    "is_depot",
    "is_active",
];

type Row = (
    i32,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    Option<String>,
    String,
    bool,
    bool,
);

pub(super) fn count(conn: &mut DbConn, filter: &LocationFilter) -> QueryResult<i64> {
    filter.query().count().get_result(conn)
}

pub(super) fn chunk(conn: &mut DbConn, filter: &LocationFilter, after: i32, lang: Lang) -> QueryResult<Chunk> {
    let rows: Vec<Row> = filter
        .query()
        .filter(locations::id.gt(after))
        .order(locations::id)
        .limit(CHUNK)
        .select((
            locations::id,
            locations::code,
            locations::name,
            location_types::code,
            location_types::name_en,
            location_types::name_es,
            regions::code.nullable(),
            region_name_in(lang),
            locations::city,
            locations::country,
            locations::ownership,
            locations::contact,
            locations::is_depot,
            locations::is_active,
        ))
        .load(conn)?;
    let last = rows.last().map(|r| r.0).map(super::Cursor::by_id);
    let cells = rows
        .into_iter()
        .map(|r| {
            vec![
                Cell::Text(r.1),
                Cell::Text(r.2),
                Cell::Text(r.3),
                Cell::Text(in_lang(lang, r.4, r.5)),
                r.6.into(),
                r.7.into(),
                Cell::Text(r.8),
                Cell::Text(r.9),
                r.10.into(),
                Cell::Text(r.11),
                Cell::Bool(r.12),
                Cell::Bool(r.13),
            ]
        })
        .collect();
    Ok((last, cells))
}
