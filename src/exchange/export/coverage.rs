//! Coverage: the dashboard's region × location type figures for one material over a date range
//! (distributed, target, places reached and registered), read through
//! `reports::coverage::dashboard` so the file and the dashboard never disagree. A few hundred
//! cells at most, so one chunk. Cells with nothing to say (all four figures zero) are left out.

use super::{Cell, Filter};
use crate::db::DbConn;
use crate::domain::Lang;
use crate::domain::RegionScope;
use crate::models::campaign::Campaign;
use crate::models::material::Material;
use crate::reports::coverage::{self, DashboardQuery};
use diesel::QueryResult;

/// The coverage columns, in this order.
pub const COVERAGE_COLUMNS: [&str; 9] = [
    "region_code",
    "region_name",
    "location_type",
    "location_type_name",
    "distributed",
    "target",
    "percent_of_target",
    "places_reached",
    "places_registered",
];

/// Days in transit before a shipment is late: the dashboard's default. Late shipments are not
/// part of this export; `dashboard()` needs a value all the same.
const TRANSIT_DAYS: i64 = 14;

/// The dashboard's query for these filters, with the dashboard's defaults: the newest campaign
/// (or the material's), its period, its first stocked material. None without any campaign.
fn dashboard_query(conn: &mut DbConn, filter: &Filter) -> QueryResult<Option<DashboardQuery>> {
    let campaigns = Campaign::all(conn)?;
    let material = match filter.material_id {
        Some(id) => Material::find(conn, id)?,
        None => None,
    };
    let campaign = filter
        .campaign_id
        .and_then(|id| campaigns.iter().find(|c| c.id == id))
        .or_else(|| material.as_ref().and_then(|m| campaigns.iter().find(|c| c.id == m.campaign_id)))
        .or_else(|| campaigns.first());
    let Some(campaign) = campaign else {
        return Ok(None);
    };
    let material_id = match material {
        Some(m) => m.id,
        None => {
            Material::all(conn, Some(campaign.id))?.iter().find(|m| !m.is_broadcast()).map(|m| m.id).unwrap_or_default()
        }
    };
    let mut from = filter.from.unwrap_or(campaign.starts_on);
    let mut to = filter.to.unwrap_or(campaign.ends_on);
    if to < from {
        std::mem::swap(&mut from, &mut to);
    }
    let scope = RegionScope::of(filter.regions.as_deref().unwrap_or_default());
    Ok(Some(DashboardQuery { scope, campaign_id: campaign.id, from, to, material_id, transit_days: TRANSIT_DAYS }))
}

/// Every row, regions in the dashboard's order, then location types by code.
pub(super) fn rows(conn: &mut DbConn, filter: &Filter, lang: Lang) -> QueryResult<Vec<Vec<Cell>>> {
    let Some(q) = dashboard_query(conn, filter)? else {
        return Ok(Vec::new());
    };
    let d = coverage::dashboard(conn, &q)?;
    let mut out = Vec::new();
    for r in &d.regions {
        let region = &r.region;
        if filter.region_id.is_some_and(|id| id != region.id) {
            continue;
        }
        for t in d.types.iter().filter(|t| filter.type_id.is_none_or(|id| id == t.id)) {
            let c = d.cells.get(&(region.id, t.id)).copied().unwrap_or_default();
            if c.distributed == 0 && c.target == 0 && c.reached == 0 && c.registered == 0 {
                continue;
            }
            let percent = (c.target > 0).then(|| (c.distributed as f64 * 100.0 / c.target as f64).round() as i64);
            out.push(vec![
                Cell::Text(region.code.clone()),
                Cell::Text(region.name(lang).to_string()),
                Cell::Text(t.code.clone()),
                Cell::Text(t.name(lang).to_string()),
                Cell::Int(c.distributed),
                Cell::Int(c.target),
                percent.map(Cell::Int).unwrap_or(Cell::Empty),
                Cell::Int(c.reached),
                Cell::Int(c.registered),
            ]);
        }
    }
    Ok(out)
}
