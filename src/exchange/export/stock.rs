//! Stock: what each place holds of each material now (the balance cache, non-zero balances,
//! stock in transit included), the stock list's own query (`HoldingFilter::query`), keyed by
//! the balance row.

use super::{name_in, Cell, Chunk, CHUNK};
use crate::db::schema::{location_types, locations, materials, regions, stock_balances};
use crate::db::DbConn;
use crate::domain::Lang;
use crate::reports::stock::HoldingFilter;
use diesel::prelude::*;

/// The stock columns, in this order.
pub const STOCK_COLUMNS: [&str; 7] =
    ["material_code", "material_name", "location_code", "location_name", "location_type", "region_code", "on_hand"];

type Row = (i32, String, String, String, String, String, Option<String>, i32);

pub(super) fn count(conn: &mut DbConn, filter: &HoldingFilter) -> QueryResult<i64> {
    filter.query().count().get_result(conn)
}

pub(super) fn chunk(conn: &mut DbConn, filter: &HoldingFilter, after: i32, lang: Lang) -> QueryResult<Chunk> {
    let rows: Vec<Row> = filter
        .query()
        .filter(stock_balances::id.gt(after))
        .order(stock_balances::id)
        .limit(CHUNK)
        .select((
            stock_balances::id,
            materials::code,
            name_in(lang, "materials"),
            locations::code,
            locations::name,
            location_types::code,
            regions::code.nullable(),
            stock_balances::on_hand,
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
                Cell::Text(r.4),
                Cell::Text(r.5),
                r.6.into(),
                Cell::Int(i64::from(r.7)),
            ]
        })
        .collect();
    Ok((last, cells))
}
