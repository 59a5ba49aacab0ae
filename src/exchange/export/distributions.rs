//! Distributions: one row per delivered shipment line (units received) to a place that is not a
//! depot, keyed by the shipment line.

use super::{is_sqlite, name_in, region_name_in, Cell, Chunk, Filter, CHUNK};
use crate::db::schema::{
    location_types, locations, materials, regions, shipment_events, shipment_lines, shipments, users,
};
use crate::db::DbConn;
use crate::domain::Lang;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use std::collections::HashMap;

/// The canonical distribution columns, in this order. The first fourteen never move; later
/// columns are only ever appended.
pub const DISTRIBUTION_COLUMNS: [&str; 21] = [
    "delivered_on",
    "shipment_reference",
    "material_code",
    "material_name",
    "quantity",
    "location_name",
    "location_type",
    "region_code",
    "region_name",
    "city",
    "country",
    "recorded_by",
    "location_code",
    "quantity_sent",
    "origin_code",
    "external_ref",
    "shortfall_reason",
    "confirmed_by_recipient",
    "confirmer_name",
    "confirmer_role",
    "confirmed_at",
];

type Row = (
    (i32, Option<NaiveDate>, String, String, String, Option<i32>, String, String),
    (Option<String>, Option<String>, String, String, String, i32, i32, i32),
    (Option<String>, Option<String>),
);

macro_rules! query {
    ($filter:expr, $sqlite:expr) => {{
        let filter: &Filter = $filter;
        // On SQLite, `|| ''` keeps the planner from driving the join by the status index, which
        // would sort every delivered line for each chunk; walking shipment_lines by id keeps each
        // chunk cheap. PostgreSQL's statistics choose that walk by themselves.
        let delivered = if $sqlite { "shipments.status || '' = 'delivered'" } else { "shipments.status = 'delivered'" };
        let mut q = shipment_lines::table
            .inner_join(shipments::table)
            .inner_join(materials::table)
            .inner_join(locations::table.on(locations::id.eq(shipments::destination_id)))
            .inner_join(location_types::table.on(location_types::id.eq(locations::location_type_id)))
            .left_join(regions::table.on(locations::region_id.eq(regions::id.nullable())))
            .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(delivered))
            .filter(locations::is_depot.eq(false))
            .filter(shipment_lines::quantity_received.gt(0))
            .into_boxed();
        if let Some(id) = filter.campaign_id {
            q = q.filter(materials::campaign_id.eq(id));
        }
        if let Some(id) = filter.material_id {
            q = q.filter(shipment_lines::material_id.eq(id));
        }
        if let Some(id) = filter.region_id {
            q = q.filter(locations::region_id.eq(id));
        }
        if let Some(id) = filter.type_id {
            q = q.filter(locations::location_type_id.eq(id));
        }
        if let Some(from) = filter.from {
            q = q.filter(shipments::delivered_on.ge(from));
        }
        if let Some(to) = filter.to {
            q = q.filter(shipments::delivered_on.le(to));
        }
        if let Some(regions) = &filter.regions {
            q = q.filter(locations::region_id.eq_any(regions.clone()));
        }
        q
    }};
}

pub(super) fn count(conn: &mut DbConn, filter: &Filter) -> QueryResult<i64> {
    query!(filter, is_sqlite(conn)).count().get_result(conn)
}

/// Who recorded the delivery of each of these shipments: the user of the latest `delivered`
/// event that has one. One query per chunk rather than a subquery per row, which took half of
/// each chunk's time on PostgreSQL.
fn recorded_by(conn: &mut DbConn, shipment_ids: &[i32]) -> QueryResult<HashMap<i32, String>> {
    let events: Vec<(i32, NaiveDateTime, i32, String)> = shipment_events::table
        .inner_join(users::table.on(shipment_events::user_id.eq(users::id.nullable())))
        .filter(shipment_events::status.eq(crate::domain::ShipmentStatus::Delivered))
        .filter(shipment_events::shipment_id.eq_any(shipment_ids))
        .select((shipment_events::shipment_id, shipment_events::at, shipment_events::id, users::username))
        .load(conn)?;
    let mut latest: HashMap<i32, (NaiveDateTime, i32, String)> = HashMap::new();
    for (shipment, at, id, username) in events {
        match latest.get(&shipment) {
            Some((a, i, _)) if (*a, *i) >= (at, id) => {}
            _ => {
                latest.insert(shipment, (at, id, username));
            }
        }
    }
    Ok(latest.into_iter().map(|(shipment, (_, _, username))| (shipment, username)).collect())
}

/// What the recipients of these shipments confirmed (the confirmation in force): name, role and
/// time. One query per chunk, like `recorded_by`.
fn confirmed(conn: &mut DbConn, shipment_ids: &[i32]) -> QueryResult<HashMap<i32, (String, String, NaiveDateTime)>> {
    use crate::db::schema::recipient_confirmations as rc;
    Ok(rc::table
        .filter(rc::shipment_id.eq_any(shipment_ids))
        .filter(rc::superseded_at.is_null())
        .select((rc::shipment_id, rc::confirmer_name, rc::confirmer_role, rc::confirmed_at))
        .load::<(i32, String, String, NaiveDateTime)>(conn)?
        .into_iter()
        .map(|(shipment, name, role, at)| (shipment, (name, role, at)))
        .collect())
}

/// The codes of these locations.
fn codes(conn: &mut DbConn, location_ids: &[i32]) -> QueryResult<HashMap<i32, String>> {
    Ok(locations::table
        .filter(locations::id.eq_any(location_ids))
        .select((locations::id, locations::code))
        .load::<(i32, String)>(conn)?
        .into_iter()
        .collect())
}

fn distinct(mut ids: Vec<i32>) -> Vec<i32> {
    ids.sort_unstable();
    ids.dedup();
    ids
}

pub(super) fn chunk(conn: &mut DbConn, filter: &Filter, after: super::Cursor, lang: Lang) -> QueryResult<Chunk> {
    let rows: Vec<Row> = super::after_day!(
        query!(filter, is_sqlite(conn)),
        shipments::delivered_on.assume_not_null(),
        shipment_lines::id,
        after
    )
    .order((shipments::delivered_on, shipment_lines::id))
    .limit(CHUNK)
    .select((
        (
            shipment_lines::id,
            shipments::delivered_on,
            shipments::reference,
            materials::code,
            name_in(lang, "materials"),
            shipment_lines::quantity_received,
            locations::name,
            location_types::code,
        ),
        (
            regions::code.nullable(),
            region_name_in(lang),
            locations::city,
            locations::country,
            locations::code,
            shipment_lines::quantity,
            shipments::id,
            shipments::origin_id,
        ),
        (shipments::external_ref, shipment_lines::shortfall_reason),
    ))
    .load(conn)?;
    let last = rows.last().map(|r| super::Cursor { day: r.0 .1, id: r.0 .0 });
    let people = recorded_by(conn, &distinct(rows.iter().map(|r| r.1 .6).collect()))?;
    let origins = codes(conn, &distinct(rows.iter().map(|r| r.1 .7).collect()))?;
    let recipients = confirmed(conn, &distinct(rows.iter().map(|r| r.1 .6).collect()))?;
    let cells = rows
        .into_iter()
        .map(|(a, b, (external_ref, shortfall_reason))| {
            let recipient = recipients.get(&b.6);
            vec![
                Cell::date(a.1),
                Cell::Text(a.2),
                Cell::Text(a.3),
                Cell::Text(a.4),
                Cell::Int(i64::from(a.5.unwrap_or(0))),
                Cell::Text(a.6),
                Cell::Text(a.7),
                b.0.into(),
                b.1.into(),
                Cell::Text(b.2),
                Cell::Text(b.3),
                people.get(&b.6).cloned().into(),
                Cell::Text(b.4),
                Cell::Int(i64::from(b.5)),
                origins.get(&b.7).cloned().into(),
                external_ref.into(),
                shortfall_reason.into(),
                Cell::Bool(recipient.is_some()),
                recipient.map(|r| r.0.clone()).into(),
                recipient.map(|r| r.1.clone()).into(),
                recipient.map_or(Cell::Empty, |r| Cell::Text(r.2.format("%Y-%m-%d %H:%M:%S").to_string())),
            ]
        })
        .collect();
    Ok((last, cells))
}
