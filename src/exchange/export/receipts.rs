//! Receipts: material arriving at a depot, one row per receipt, keyed by the receipt. By default
//! only receipts that stand (a receipt whose movement was reversed is left out); `reversed=all`
//! or `reversed=reversed` ask for others. The filters are the receipt list's own
//! (`models::receipt::filter_receipts`).

use super::{name_in, username_of, Cell, Chunk, Filter, CHUNK};
use crate::db::schema::{locations, materials, receipts, regions};
use crate::db::DbConn;
use crate::domain::Lang;
use crate::models::receipt::filter_receipts;
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};

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
            .into_boxed();
        if let Some(id) = filter.campaign_id {
            q = q.filter(materials::campaign_id.eq(id));
        }
        if let Some(id) = filter.region_id {
            q = q.filter(locations::region_id.eq(id));
        }
        if let Some(id) = filter.type_id {
            q = q.filter(locations::location_type_id.eq(id));
        }
        filter_receipts!(q, &filter.receipts)
    }};
}

pub(super) fn count(conn: &mut DbConn, filter: &Filter) -> QueryResult<i64> {
    query!(filter).count().get_result(conn)
}

pub(super) fn chunk(conn: &mut DbConn, filter: &Filter, after: super::Cursor, lang: Lang) -> QueryResult<Chunk> {
    let recorded_by = username_of("receipts.recorded_by");
    let rows: Vec<Row> = super::after_day!(query!(filter), receipts::received_on, receipts::id, after)
        .order((receipts::received_on, receipts::id))
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
