//! Stock: what each place holds of each material now (the balance cache, non-zero balances,
//! stock in transit included), with the stock page's filters, keyed by the balance row.

use super::{name_in, Cell, Chunk, Filter, CHUNK};
use crate::db::schema::{location_types, locations, materials, regions, stock_balances};
use crate::db::DbConn;
use crate::domain::Lang;
use diesel::prelude::*;

/// The stock columns, in this order.
pub const STOCK_COLUMNS: [&str; 7] =
    ["material_code", "material_name", "location_code", "location_name", "location_type", "region_code", "on_hand"];

type Row = (i32, String, String, String, String, String, Option<String>, i32);

macro_rules! query {
    ($filter:expr) => {{
        let filter: &Filter = $filter;
        let mut q = stock_balances::table
            .inner_join(materials::table)
            .inner_join(locations::table)
            .inner_join(location_types::table.on(location_types::id.eq(locations::location_type_id)))
            .left_join(regions::table.on(locations::region_id.eq(regions::id.nullable())))
            .filter(stock_balances::on_hand.gt(0))
            .into_boxed();
        if let Some(id) = filter.campaign_id {
            q = q.filter(materials::campaign_id.eq(id));
        }
        if let Some(id) = filter.material_id {
            q = q.filter(stock_balances::material_id.eq(id));
        }
        if let Some(id) = filter.origin_id {
            q = q.filter(stock_balances::location_id.eq(id));
        }
        if let Some(id) = filter.region_id {
            q = q.filter(locations::region_id.eq(id));
        }
        if let Some(id) = filter.type_id {
            q = q.filter(locations::location_type_id.eq(id));
        }
        if filter.depots_only {
            q = q.filter(locations::is_depot.eq(true));
        }
        if filter.points_only {
            q = q.filter(locations::is_depot.eq(false));
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
    let rows: Vec<Row> = query!(filter)
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
