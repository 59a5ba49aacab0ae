//! Shipments: one row per shipment, through the shipment list's own query
//! (`models::shipment_query`).

use super::{Cell, Chunk, CHUNK};
use crate::db::schema::{location_types, locations, regions, shipments};
use crate::db::DbConn;
use crate::models::shipment::ShipmentFilter;
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};
use std::collections::HashMap;

pub const SHIPMENT_COLUMNS: [&str; 17] = [
    "reference",
    "status",
    "origin_code",
    "origin_name",
    "destination_code",
    "destination_name",
    "destination_type",
    "destination_region_code",
    "carrier",
    "expected_on",
    "dispatched_on",
    "delivered_on",
    "units",
    "units_received",
    "received_by",
    "created_by",
    "note",
];

const UNITS_SQL: &str =
    "(SELECT CAST(COALESCE(SUM(shipment_lines.quantity), 0) AS BIGINT) FROM shipment_lines WHERE shipment_lines.shipment_id = shipments.id)";
const UNITS_RECEIVED_SQL: &str = "(SELECT CAST(SUM(shipment_lines.quantity_received) AS BIGINT) FROM shipment_lines WHERE shipment_lines.shipment_id = shipments.id)";
const CREATED_BY_SQL: &str = "(SELECT users.username FROM users WHERE users.id = shipments.created_by)";

type Row = (
    (i32, String, String, i32, i32),
    (String, Option<NaiveDate>, Option<NaiveDate>, Option<NaiveDate>, i64, Option<i64>, String),
    (Option<String>, String),
);

/// A place as a shipment row names it: code, name, type code and region code.
type Place = (String, String, String, Option<String>);

pub(super) fn count(conn: &mut DbConn, filter: &ShipmentFilter) -> QueryResult<i64> {
    filter.query(conn)?.count().get_result(conn)
}

pub(super) fn chunk(conn: &mut DbConn, filter: &ShipmentFilter, after: i32) -> QueryResult<Chunk> {
    let rows: Vec<Row> = filter
        .query(conn)?
        .filter(shipments::id.gt(after))
        .order(shipments::id)
        .limit(CHUNK)
        .select((
            (shipments::id, shipments::reference, shipments::status, shipments::origin_id, shipments::destination_id),
            (
                shipments::carrier,
                shipments::expected_on,
                shipments::dispatched_on,
                shipments::delivered_on,
                diesel::dsl::sql::<diesel::sql_types::BigInt>(UNITS_SQL),
                diesel::dsl::sql::<Nullable<diesel::sql_types::BigInt>>(UNITS_RECEIVED_SQL),
                shipments::received_by,
            ),
            (diesel::dsl::sql::<Nullable<Text>>(CREATED_BY_SQL), shipments::note),
        ))
        .load(conn)?;
    let last = rows.last().map(|r| r.0 .0).map(super::Cursor::by_id);
    // A chunk names a few hundred places at most: read them once, not joined per row.
    let mut ids: Vec<i32> = rows.iter().flat_map(|r| [r.0 .3, r.0 .4]).collect();
    ids.sort_unstable();
    ids.dedup();
    let places: HashMap<i32, Place> = locations::table
        .inner_join(location_types::table)
        .left_join(regions::table.on(locations::region_id.eq(regions::id.nullable())))
        .filter(locations::id.eq_any(ids))
        .select((locations::id, (locations::code, locations::name, location_types::code, regions::code.nullable())))
        .load::<(i32, Place)>(conn)?
        .into_iter()
        .collect();
    let place = |id: i32| places.get(&id).cloned().unwrap_or_default();
    let cells = rows
        .into_iter()
        .map(|(a, b, c)| {
            let (origin_code, origin_name, _, _) = place(a.3);
            let (destination_code, destination_name, destination_type, destination_region) = place(a.4);
            vec![
                Cell::Text(a.1),
                Cell::Text(a.2),
                Cell::Text(origin_code),
                Cell::Text(origin_name),
                Cell::Text(destination_code),
                Cell::Text(destination_name),
                Cell::Text(destination_type),
                destination_region.into(),
                Cell::Text(b.0),
                Cell::date(b.1),
                Cell::date(b.2),
                Cell::date(b.3),
                Cell::Int(b.4),
                b.5.map(Cell::Int).unwrap_or(Cell::Empty),
                Cell::Text(b.6),
                c.0.into(),
                Cell::Text(c.1),
            ]
        })
        .collect();
    Ok((last, cells))
}
