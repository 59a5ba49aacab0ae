//! Targets: the allocation plan, one row per material × region × location type cell as saved
//! (zero cells included), keyed by the target.

use super::{in_lang, name_in, Cell, Chunk, Filter, CHUNK};
use crate::db::schema::{location_types, materials, regions, targets};
use crate::db::DbConn;
use crate::domain::Lang;
use diesel::prelude::*;

/// The target columns, in this order (the target import reads them back by name).
pub const TARGET_COLUMNS: [&str; 7] =
    ["material_code", "region_code", "location_type", "quantity", "material_name", "region_name", "location_type_name"];

type Row = (i32, String, String, String, i32, String, String, String, String);

macro_rules! query {
    ($filter:expr) => {{
        let filter: &Filter = $filter;
        let mut q = targets::table
            .inner_join(materials::table)
            .inner_join(regions::table)
            .inner_join(location_types::table)
            .into_boxed();
        if let Some(id) = filter.campaign_id {
            q = q.filter(materials::campaign_id.eq(id));
        }
        if let Some(id) = filter.material_id {
            q = q.filter(targets::material_id.eq(id));
        }
        if let Some(id) = filter.region_id {
            q = q.filter(targets::region_id.eq(id));
        }
        if let Some(id) = filter.type_id {
            q = q.filter(targets::location_type_id.eq(id));
        }
        if let Some(regions) = &filter.regions {
            q = q.filter(targets::region_id.eq_any(regions.clone()));
        }
        q
    }};
}

pub(super) fn count(conn: &mut DbConn, filter: &Filter) -> QueryResult<i64> {
    query!(filter).count().get_result(conn)
}

pub(super) fn chunk(conn: &mut DbConn, filter: &Filter, after: i32, lang: Lang) -> QueryResult<Chunk> {
    let rows: Vec<Row> = query!(filter)
        .filter(targets::id.gt(after))
        .order(targets::id)
        .limit(CHUNK)
        .select((
            targets::id,
            materials::code,
            regions::code,
            location_types::code,
            targets::quantity,
            name_in(lang, "materials"),
            name_in(lang, "regions"),
            location_types::name_en,
            location_types::name_es,
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
                Cell::Int(i64::from(r.4)),
                Cell::Text(r.5),
                Cell::Text(r.6),
                Cell::Text(in_lang(lang, r.7, r.8)),
            ]
        })
        .collect();
    Ok((last, cells))
}
