//! Ledger: the stock movements as recorded (reversals included, each pointing at what it
//! reverses), with a material's ledger filters, keyed by the movement.

use super::{username_of, Cell, Chunk, Filter, CHUNK};
use crate::db::schema::{locations, materials, shipments, stock_movements};
use crate::db::DbConn;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};

/// The ledger columns, in this order.
pub const LEDGER_COLUMNS: [&str; 14] = [
    "id",
    "effective_on",
    "kind",
    "material_code",
    "from_location_code",
    "to_location_code",
    "quantity",
    "reverses_id",
    "shipment_reference",
    "receipt_id",
    "adjustment_id",
    "reason",
    "recorded_by",
    "recorded_at",
];

type Row = (
    (i32, NaiveDate, String, String, Option<String>, Option<String>, i32, Option<i32>),
    (Option<String>, Option<i32>, Option<i32>, String, Option<String>, NaiveDateTime),
);

/// The places a region, type or region-limited user narrows movements to (None: any place).
fn place_ids(conn: &mut DbConn, filter: &Filter) -> QueryResult<Option<Vec<i32>>> {
    if filter.region_id.is_none() && filter.type_id.is_none() && filter.regions.is_none() {
        return Ok(None);
    }
    let mut p = locations::table.select(locations::id).into_boxed();
    if let Some(id) = filter.region_id {
        p = p.filter(locations::region_id.eq(id));
    }
    if let Some(id) = filter.type_id {
        p = p.filter(locations::location_type_id.eq(id));
    }
    if let Some(regions) = &filter.regions {
        p = p.filter(locations::region_id.eq_any(regions.clone()));
    }
    p.load(conn).map(Some)
}

macro_rules! query {
    ($filter:expr, $places:expr, $froms:expr, $tos:expr) => {{
        let filter: &Filter = $filter;
        let places: Option<Vec<i32>> = $places;
        let (froms, tos) = ($froms, $tos);
        let mut q = stock_movements::table
            .inner_join(materials::table)
            .left_join(froms.on(stock_movements::from_location_id.eq(froms.field(locations::id).nullable())))
            .left_join(tos.on(stock_movements::to_location_id.eq(tos.field(locations::id).nullable())))
            .left_join(shipments::table.on(stock_movements::shipment_id.eq(shipments::id.nullable())))
            .into_boxed();
        if let Some(id) = filter.campaign_id {
            q = q.filter(materials::campaign_id.eq(id));
        }
        if let Some(id) = filter.material_id {
            q = q.filter(stock_movements::material_id.eq(id));
        }
        if let Some(id) = filter.origin_id {
            q = q.filter(stock_movements::from_location_id.eq(id).or(stock_movements::to_location_id.eq(id)));
        }
        if let Some(from) = filter.from {
            q = q.filter(stock_movements::effective_on.ge(from));
        }
        if let Some(to) = filter.to {
            q = q.filter(stock_movements::effective_on.le(to));
        }
        // Either end of the movement may be in the region, of the type, in the user's regions.
        if let Some(ids) = places {
            q = q.filter(
                stock_movements::from_location_id.eq_any(ids.clone()).or(stock_movements::to_location_id.eq_any(ids)),
            );
        }
        q
    }};
}

pub(super) fn count(conn: &mut DbConn, filter: &Filter) -> QueryResult<i64> {
    let (froms, tos) = diesel::alias!(locations as froms, locations as tos);
    let places = place_ids(conn, filter)?;
    query!(filter, places, froms, tos).count().get_result(conn)
}

pub(super) fn chunk(conn: &mut DbConn, filter: &Filter, after: super::Cursor) -> QueryResult<Chunk> {
    let (froms, tos) = diesel::alias!(locations as froms, locations as tos);
    let recorded_by = username_of("stock_movements.recorded_by");
    let places = place_ids(conn, filter)?;
    let rows: Vec<Row> = super::after_day!(
        query!(filter, places, froms, tos),
        stock_movements::effective_on,
        stock_movements::id,
        after
    )
    .order((stock_movements::effective_on, stock_movements::id))
    .limit(CHUNK)
    .select((
        (
            stock_movements::id,
            stock_movements::effective_on,
            stock_movements::kind,
            materials::code,
            froms.field(locations::code).nullable(),
            tos.field(locations::code).nullable(),
            stock_movements::quantity,
            stock_movements::reverses_id,
        ),
        (
            shipments::reference.nullable(),
            stock_movements::receipt_id,
            stock_movements::adjustment_id,
            stock_movements::reason,
            diesel::dsl::sql::<Nullable<Text>>(&recorded_by),
            stock_movements::recorded_at,
        ),
    ))
    .load(conn)?;
    let last = rows.last().map(|r| super::Cursor { day: Some(r.0 .1), id: r.0 .0 });
    let cells = rows
        .into_iter()
        .map(|(a, b)| {
            vec![
                Cell::Int(i64::from(a.0)),
                Cell::Date(a.1),
                Cell::Text(a.2),
                Cell::Text(a.3),
                a.4.into(),
                a.5.into(),
                Cell::Int(i64::from(a.6)),
                Cell::int(a.7),
                b.0.into(),
                Cell::int(b.1),
                Cell::int(b.2),
                Cell::Text(b.3),
                b.4.into(),
                // UTC, to the second, as text: ISO 8601 with a space like the database's own.
                Cell::Text(b.5.format("%Y-%m-%d %H:%M:%S").to_string()),
            ]
        })
        .collect();
    Ok((last, cells))
}
