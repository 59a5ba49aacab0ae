//! Locations: the reference list of places, with the locations page's filters.

use super::{in_lang, region_name_in, Cell, Chunk, Filter, CHUNK};
use crate::db::schema::{location_types, locations, regions};
use crate::db::DbConn;
use crate::domain::Lang;
use crate::models::like_pattern;
use diesel::prelude::*;
use diesel::sql_types::Text;

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

macro_rules! query {
    ($filter:expr) => {{
        let filter: &Filter = $filter;
        let mut q = locations::table
            .inner_join(location_types::table)
            .left_join(regions::table.on(locations::region_id.eq(regions::id.nullable())))
            .into_boxed();
        if let Some(id) = filter.region_id {
            q = q.filter(locations::region_id.eq(id));
        }
        if let Some(id) = filter.type_id {
            q = q.filter(locations::location_type_id.eq(id));
        }
        if let Some(active) = filter.active {
            q = q.filter(locations::is_active.eq(active));
        }
        if let Some(text) = &filter.text {
            let pattern = like_pattern(text);
            q = q.filter(
                diesel::dsl::sql::<diesel::sql_types::Bool>("(lower(locations.name) LIKE ")
                    .bind::<Text, _>(pattern.clone())
                    .sql(" ESCAPE '\\' OR lower(locations.code) LIKE ")
                    .bind::<Text, _>(pattern.clone())
                    .sql(" ESCAPE '\\' OR lower(locations.city) LIKE ")
                    .bind::<Text, _>(pattern)
                    .sql(" ESCAPE '\\')"),
            );
        }
        q
    }};
}

pub(super) fn count(conn: &mut DbConn, filter: &Filter) -> QueryResult<i64> {
    query!(filter).count().get_result(conn)
}

pub(super) fn chunk(conn: &mut DbConn, filter: &Filter, after: i32, lang: Lang) -> QueryResult<Chunk> {
    let rows: Vec<Row> = query!(filter)
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
