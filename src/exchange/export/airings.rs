//! Airings: net broadcasts only — neither the corrections (reversal rows) nor the airings they
//! correct — the airing list's own query (`AiringFilter::query`), keyed by the airing.

use super::{name_in, username_of, Cell, Chunk, CHUNK};
use crate::db::connection::MultiBackend;
use crate::db::schema::{airings, locations, materials, regions};
use crate::db::DbConn;
use crate::domain::{Lang, LocationId, MaterialId};
use crate::models::airing::AiringFilter;
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable, Text};
use std::collections::HashMap;

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

type Row = ((i32, NaiveDate, MaterialId, LocationId, i32, String, String, Option<String>), Option<String>);

/// The airing list's own rows (`AiringFilter::query`), net broadcasts only.
fn net(conn: &mut DbConn, filter: &AiringFilter) -> QueryResult<airings::BoxedQuery<'static, MultiBackend>> {
    Ok(filter.query(conn)?.filter(diesel::dsl::sql::<Bool>(NET_SQL)))
}

pub(super) fn count(conn: &mut DbConn, filter: &AiringFilter) -> QueryResult<i64> {
    net(conn, filter)?.count().get_result(conn)
}

pub(super) fn chunk(conn: &mut DbConn, filter: &AiringFilter, after: super::Cursor, lang: Lang) -> QueryResult<Chunk> {
    let recorded_by = username_of("airings.recorded_by");
    let rows: Vec<Row> = super::after_day!(net(conn, filter)?, airings::aired_on, airings::id, after)
        .order((airings::aired_on, airings::id))
        .limit(CHUNK)
        .select((
            (
                airings::id,
                airings::aired_on,
                airings::material_id,
                airings::location_id,
                airings::times,
                airings::time_slot,
                airings::programme,
                airings::external_ref,
            ),
            diesel::dsl::sql::<Nullable<Text>>(&recorded_by),
        ))
        .load(conn)?;
    // The names of the chunk's spots and outlets, once each.
    let spot_ids: Vec<MaterialId> = rows.iter().map(|r| r.0 .2).collect();
    let spots: HashMap<MaterialId, (String, String)> = materials::table
        .filter(materials::id.eq_any(spot_ids))
        .select((materials::id, materials::code, name_in(lang, "materials")))
        .load::<(MaterialId, String, String)>(conn)?
        .into_iter()
        .map(|(id, code, name)| (id, (code, name)))
        .collect();
    let outlet_ids: Vec<LocationId> = rows.iter().map(|r| r.0 .3).collect();
    let outlets: HashMap<LocationId, (String, String, Option<String>)> = locations::table
        .left_join(regions::table.on(locations::region_id.eq(regions::id.nullable())))
        .filter(locations::id.eq_any(outlet_ids))
        .select((locations::id, locations::code, locations::name, regions::code.nullable()))
        .load::<(LocationId, String, String, Option<String>)>(conn)?
        .into_iter()
        .map(|(id, code, name, region)| (id, (code, name, region)))
        .collect();
    let last = rows.last().map(|r| super::Cursor { day: Some(r.0 .1), id: r.0 .0 });
    let cells = rows
        .into_iter()
        .map(|(a, recorded_by)| {
            let (spot_code, spot_name) = spots.get(&a.2).cloned().unwrap_or_default();
            let (outlet_code, outlet_name, region_code) = outlets.get(&a.3).cloned().unwrap_or_default();
            vec![
                Cell::Date(a.1),
                Cell::Text(spot_code),
                Cell::Text(outlet_code),
                Cell::Int(i64::from(a.4)),
                Cell::Text(a.5),
                Cell::Text(a.6),
                a.7.into(),
                Cell::Text(spot_name),
                Cell::Text(outlet_name),
                region_code.into(),
                recorded_by.into(),
            ]
        })
        .collect();
    Ok((last, cells))
}
