//! Airings: net broadcasts only — neither the corrections (reversal rows) nor the airings they
//! correct — with the airing list's filters, keyed by the airing.

use super::{name_in, username_of, Cell, Chunk, Filter, CHUNK};
use crate::db::schema::{airings, locations, materials, regions};
use crate::db::DbConn;
use crate::domain::Lang;
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable, Text};

/// The airing columns, in this order (the airing import reads them back by name).
pub const AIRING_COLUMNS: [&str; 11] = [
    "aired_on",
    "material_code",
    "location_code",
    "times",
    "time_slot",
    "programme",
    "external_ref",
    "material_name",
    "location_name",
    "region_code",
    "recorded_by",
];

/// Not a correction, and not corrected.
const NET_SQL: &str =
    "airings.reverses_id IS NULL AND NOT EXISTS (SELECT 1 FROM airings correction WHERE correction.reverses_id = airings.id)";

type Row = (
    (i32, NaiveDate, String, String, i32, String, String, Option<String>),
    (String, String, Option<String>, Option<String>),
);

macro_rules! query {
    ($filter:expr) => {{
        let filter: &Filter = $filter;
        let mut q = airings::table
            .inner_join(materials::table)
            .inner_join(locations::table)
            .left_join(regions::table.on(locations::region_id.eq(regions::id.nullable())))
            .filter(diesel::dsl::sql::<Bool>(NET_SQL))
            .into_boxed();
        if let Some(id) = filter.campaign_id {
            q = q.filter(materials::campaign_id.eq(id));
        }
        if let Some(id) = filter.material_id {
            q = q.filter(airings::material_id.eq(id));
        }
        if let Some(id) = filter.origin_id {
            q = q.filter(airings::location_id.eq(id));
        }
        if let Some(ownership) = &filter.status {
            q = q.filter(locations::ownership.eq(ownership.clone()));
        }
        if let Some(id) = filter.region_id {
            q = q.filter(locations::region_id.eq(id));
        }
        if let Some(id) = filter.type_id {
            q = q.filter(locations::location_type_id.eq(id));
        }
        if let Some(from) = filter.from {
            q = q.filter(airings::aired_on.ge(from));
        }
        if let Some(to) = filter.to {
            q = q.filter(airings::aired_on.le(to));
        }
        if let Some(regions) = &filter.regions {
            q = q.filter(locations::region_id.eq_any(regions.clone()));
        }
        q
    }};
}

pub(super) fn count(conn: &mut DbConn, filter: &Filter) -> QueryResult<i64> {
    query!(filter).count().get_result(conn)
}

pub(super) fn chunk(conn: &mut DbConn, filter: &Filter, after: super::Cursor, lang: Lang) -> QueryResult<Chunk> {
    let recorded_by = username_of("airings.recorded_by");
    let rows: Vec<Row> = super::after_day!(query!(filter), airings::aired_on, airings::id, after)
        .order((airings::aired_on, airings::id))
        .limit(CHUNK)
        .select((
            (
                airings::id,
                airings::aired_on,
                materials::code,
                locations::code,
                airings::times,
                airings::time_slot,
                airings::programme,
                airings::external_ref,
            ),
            (
                name_in(lang, "materials"),
                locations::name,
                regions::code.nullable(),
                diesel::dsl::sql::<Nullable<Text>>(&recorded_by),
            ),
        ))
        .load(conn)?;
    let last = rows.last().map(|r| super::Cursor { day: Some(r.0 .1), id: r.0 .0 });
    let cells = rows
        .into_iter()
        .map(|(a, b)| {
            vec![
                Cell::Date(a.1),
                Cell::Text(a.2),
                Cell::Text(a.3),
                Cell::Int(i64::from(a.4)),
                Cell::Text(a.5),
                Cell::Text(a.6),
                a.7.into(),
                Cell::Text(b.0),
                Cell::Text(b.1),
                b.2.into(),
                b.3.into(),
            ]
        })
        .collect();
    Ok((last, cells))
}
