//! Shipments: one row per shipment, with the shipment list's filters.

use super::{Cell, Chunk, Filter, CHUNK};
use crate::db::schema::{location_types, locations, materials, regions, shipment_lines, shipments};
use crate::db::DbConn;
use crate::models::like_pattern;
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};

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

/// The date a shipment is filed under, as on the shipment list: delivered, dispatched, expected.
const EFFECTIVE_DATE_SQL: &str = "COALESCE(shipments.delivered_on, shipments.dispatched_on, shipments.expected_on)";

const UNITS_SQL: &str =
    "(SELECT CAST(COALESCE(SUM(shipment_lines.quantity), 0) AS BIGINT) FROM shipment_lines WHERE shipment_lines.shipment_id = shipments.id)";
const UNITS_RECEIVED_SQL: &str = "(SELECT CAST(SUM(shipment_lines.quantity_received) AS BIGINT) FROM shipment_lines WHERE shipment_lines.shipment_id = shipments.id)";
const CREATED_BY_SQL: &str = "(SELECT users.username FROM users WHERE users.id = shipments.created_by)";

macro_rules! query {
    ($filter:expr, $origins:expr, $destinations:expr) => {{
        let filter: &Filter = $filter;
        let (origins, destinations) = ($origins, $destinations);
        let mut q = shipments::table
            .inner_join(origins.on(origins.field(locations::id).eq(shipments::origin_id)))
            .inner_join(destinations.on(destinations.field(locations::id).eq(shipments::destination_id)))
            .inner_join(
                location_types::table.on(location_types::id.eq(destinations.field(locations::location_type_id))),
            )
            .left_join(regions::table.on(destinations.field(locations::region_id).eq(regions::id.nullable())))
            .into_boxed();
        if let Some(status) = &filter.status {
            q = q.filter(shipments::status.eq(status.clone()));
        }
        if let Some(id) = filter.material_id {
            q = q.filter(shipments::id.eq_any(
                shipment_lines::table.filter(shipment_lines::material_id.eq(id)).select(shipment_lines::shipment_id),
            ));
        }
        if let Some(id) = filter.campaign_id {
            q = q.filter(
                shipments::id.eq_any(
                    shipment_lines::table
                        .inner_join(materials::table)
                        .filter(materials::campaign_id.eq(id))
                        .select(shipment_lines::shipment_id),
                ),
            );
        }
        if let Some(id) = filter.origin_id {
            q = q.filter(shipments::origin_id.eq(id));
        }
        if let Some(id) = filter.region_id {
            q = q.filter(destinations.field(locations::region_id).eq(id));
        }
        if let Some(id) = filter.type_id {
            q = q.filter(destinations.field(locations::location_type_id).eq(id));
        }
        if filter.points_only {
            q = q.filter(destinations.field(locations::is_depot).eq(false));
        }
        if let Some(from) = filter.from {
            q = q.filter(
                diesel::dsl::sql::<diesel::sql_types::Bool>(&format!("{EFFECTIVE_DATE_SQL} >= "))
                    .bind::<diesel::sql_types::Date, _>(from),
            );
        }
        if let Some(to) = filter.to {
            q = q.filter(
                diesel::dsl::sql::<diesel::sql_types::Bool>(&format!("{EFFECTIVE_DATE_SQL} <= "))
                    .bind::<diesel::sql_types::Date, _>(to),
            );
        }
        if let Some(regions) = &filter.regions {
            q = q.filter(
                origins
                    .field(locations::region_id)
                    .eq_any(regions.clone())
                    .or(destinations.field(locations::region_id).eq_any(regions.clone())),
            );
        }
        if let Some(text) = &filter.text {
            let pattern = like_pattern(text);
            q = q.filter(
                diesel::dsl::sql::<diesel::sql_types::Bool>("(lower(shipments.reference) LIKE ")
                    .bind::<Text, _>(pattern.clone())
                    .sql(" ESCAPE '\\' OR lower(origins.name) LIKE ")
                    .bind::<Text, _>(pattern.clone())
                    .sql(" ESCAPE '\\' OR lower(destinations.name) LIKE ")
                    .bind::<Text, _>(pattern)
                    .sql(" ESCAPE '\\')"),
            );
        }
        q
    }};
}

type Row = (
    (i32, String, String, String, String, String, String, String),
    (Option<String>, String, Option<NaiveDate>, Option<NaiveDate>, Option<NaiveDate>, i64, Option<i64>, String),
    (Option<String>, String),
);

pub(super) fn count(conn: &mut DbConn, filter: &Filter) -> QueryResult<i64> {
    let (origins, destinations) = diesel::alias!(locations as origins, locations as destinations);
    query!(filter, origins, destinations).count().get_result(conn)
}

pub(super) fn chunk(conn: &mut DbConn, filter: &Filter, after: i32) -> QueryResult<Chunk> {
    let (origins, destinations) = diesel::alias!(locations as origins, locations as destinations);
    let rows: Vec<Row> = query!(filter, origins, destinations)
        .filter(shipments::id.gt(after))
        .order(shipments::id)
        .limit(CHUNK)
        .select((
            (
                shipments::id,
                shipments::reference,
                shipments::status,
                origins.field(locations::code),
                origins.field(locations::name),
                destinations.field(locations::code),
                destinations.field(locations::name),
                location_types::code,
            ),
            (
                regions::code.nullable(),
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
    let cells = rows
        .into_iter()
        .map(|(a, b, c)| {
            vec![
                Cell::Text(a.1),
                Cell::Text(a.2),
                Cell::Text(a.3),
                Cell::Text(a.4),
                Cell::Text(a.5),
                Cell::Text(a.6),
                Cell::Text(a.7),
                b.0.into(),
                Cell::Text(b.1),
                Cell::date(b.2),
                Cell::date(b.3),
                Cell::date(b.4),
                Cell::Int(b.5),
                b.6.map(Cell::Int).unwrap_or(Cell::Empty),
                Cell::Text(b.7),
                c.0.into(),
                Cell::Text(c.1),
            ]
        })
        .collect();
    Ok((last, cells))
}
