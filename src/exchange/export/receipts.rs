//! Receipts: material arriving at a depot, one row per receipt that stands (a receipt whose
//! movement was reversed is left out), keyed by the receipt.

use super::{name_in, username_of, Cell, Chunk, Filter, CHUNK};
use crate::db::schema::{locations, materials, receipts, regions};
use crate::db::DbConn;
use crate::domain::Lang;
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable, Text};

/// The receipt columns, in this order (the receipt import reads them back by name).
pub const RECEIPT_COLUMNS: [&str; 11] = [
    "received_on",
    "material_code",
    "location_code",
    "quantity",
    "supplier",
    "reference",
    "external_ref",
    "material_name",
    "location_name",
    "region_code",
    "recorded_by",
];

/// No reversal points at the receipt's own movement.
const NOT_REVERSED_SQL: &str = "NOT EXISTS (SELECT 1 FROM stock_movements own \
     JOIN stock_movements reversal ON reversal.reverses_id = own.id WHERE own.receipt_id = receipts.id)";

type Row = (
    (i32, NaiveDate, String, String, i32, String, String, Option<String>),
    (String, String, Option<String>, Option<String>),
);

macro_rules! query {
    ($filter:expr) => {{
        let filter: &Filter = $filter;
        let mut q = receipts::table
            .inner_join(materials::table)
            .inner_join(locations::table)
            .left_join(regions::table.on(locations::region_id.eq(regions::id.nullable())))
            .filter(diesel::dsl::sql::<Bool>(NOT_REVERSED_SQL))
            .into_boxed();
        if let Some(id) = filter.campaign_id {
            q = q.filter(materials::campaign_id.eq(id));
        }
        if let Some(id) = filter.material_id {
            q = q.filter(receipts::material_id.eq(id));
        }
        if let Some(id) = filter.origin_id {
            q = q.filter(receipts::location_id.eq(id));
        }
        if let Some(id) = filter.region_id {
            q = q.filter(locations::region_id.eq(id));
        }
        if let Some(id) = filter.type_id {
            q = q.filter(locations::location_type_id.eq(id));
        }
        if let Some(from) = filter.from {
            q = q.filter(receipts::received_on.ge(from));
        }
        if let Some(to) = filter.to {
            q = q.filter(receipts::received_on.le(to));
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

pub(super) fn chunk(conn: &mut DbConn, filter: &Filter, after: i32, lang: Lang) -> QueryResult<Chunk> {
    let recorded_by = username_of("receipts.recorded_by");
    let rows: Vec<Row> = query!(filter)
        .filter(receipts::id.gt(after))
        .order(receipts::id)
        .limit(CHUNK)
        .select((
            (
                receipts::id,
                receipts::received_on,
                materials::code,
                locations::code,
                receipts::quantity,
                receipts::supplier,
                receipts::reference,
                receipts::external_ref,
            ),
            (
                name_in(lang, "materials"),
                locations::name,
                regions::code.nullable(),
                diesel::dsl::sql::<Nullable<Text>>(&recorded_by),
            ),
        ))
        .load(conn)?;
    let last = rows.last().map(|r| r.0 .0);
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
