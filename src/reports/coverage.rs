//! The dashboard's read model. Flows within a date range come from `daily_flows` (kept by the
//! ledger in each movement's transaction); stock on hand and in transit, and reach, come from
//! the balance cache as of today. Nothing here scans the ledger itself.

use crate::db::schema::{airings, daily_flows, locations, materials, shipments, stock_balances, targets};
use crate::db::DbConn;
use crate::domain::RegionScope;
use crate::domain::{LocationId, MaterialId};
use crate::models::campaign::Campaign;
use crate::models::location_type::LocationType;
use crate::models::material::Material;
use crate::models::query::{self, keep, Refusals};
use crate::models::region::Region;
use chrono::NaiveDate;
use diesel::prelude::*;
use std::collections::HashMap;

/// Default days in transit before a shipment is flagged.
pub const DEFAULT_TRANSIT_DAYS: i64 = 14;

/// The dashboard's and the report's query string as typed (`campaign`, `material`, `from`,
/// `to`, `days`); empty means the default: the first campaign, its period, its first material.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct DashboardParams {
    pub campaign: String,
    pub material: String,
    pub from: String,
    pub to: String,
    pub days: String,
}

impl DashboardParams {
    pub fn from_query_string(query: &str) -> Result<DashboardParams, crate::domain::Invalid> {
        crate::models::query::from_query_string(query)
    }

    /// The campaign asked for (by id or code), else the first; None when it names none.
    pub fn campaign<'a>(&self, campaigns: &'a [Campaign]) -> Option<&'a Campaign> {
        let raw = self.campaign.trim();
        if raw.is_empty() {
            return campaigns.first();
        }
        campaigns.iter().find(|c| c.code == raw || c.id.to_string() == raw)
    }

    /// Checks every value at once against the campaigns and materials there are; refusals come
    /// back under the parameters' names.
    pub fn check(
        &self,
        scope: RegionScope,
        campaigns: &[Campaign],
        materials: &[Material],
    ) -> Result<(Campaign, DashboardQuery), Refusals> {
        use crate::domain::Invalid;
        let mut refusals = Refusals::new();
        let campaign = self.campaign(campaigns);
        if campaign.is_none() {
            refusals.push(("campaign", Invalid::with("export.err.campaign", self.campaign.trim())));
        }
        let from = keep(&mut refusals, "from", query::date(&self.from));
        let to = keep(&mut refusals, "to", query::date(&self.to));
        let days = match self.days.trim() {
            "" => DEFAULT_TRANSIT_DAYS,
            raw => raw.parse::<i64>().ok().filter(|d| (1..=365).contains(d)).unwrap_or_else(|| {
                refusals.push(("days", Invalid::with("filter.err.days", raw)));
                DEFAULT_TRANSIT_DAYS
            }),
        };
        let Some(campaign) = campaign else {
            return Err(refusals);
        };
        let own: Vec<&Material> =
            materials.iter().filter(|m| m.campaign_id == campaign.id && !m.is_broadcast()).collect();
        let material = self.material.trim();
        let material_id = if material.is_empty() {
            own.first().map(|m| m.id).unwrap_or_default()
        } else {
            let named = |m: &Material| m.code == material || m.id.to_string() == material;
            match own.iter().find(|m| named(m)) {
                Some(m) => m.id,
                // Switching the campaign sends the other campaign's material along: its first
                // material is what the new choice list would show.
                None if materials.iter().any(|m| named(m) && m.campaign_id != campaign.id) => {
                    own.first().map(|m| m.id).unwrap_or_default()
                }
                None => {
                    refusals.push(("material", Invalid::with("export.err.material", material)));
                    MaterialId::default()
                }
            }
        };
        let (from, to) = (from.unwrap_or(campaign.starts_on), to.unwrap_or(campaign.ends_on));
        if to < from {
            refusals.push(("to", Invalid::new("filter.err.to_before_from")));
        }
        if !refusals.is_empty() {
            return Err(refusals);
        }
        let q = DashboardQuery { scope, campaign_id: campaign.id, from, to, material_id, transit_days: days };
        Ok((campaign.clone(), q))
    }
}

/// What the dashboard is asked for, checked.
#[derive(Debug, Clone)]
pub struct DashboardQuery {
    /// Whose figures: a region-limited user's regions only.
    pub scope: RegionScope,
    pub campaign_id: i32,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The material the map, heat table, reach and chart show.
    pub material_id: MaterialId,
    /// Shipments in transit longer than this are flagged.
    pub transit_days: i64,
}

/// One material's line in the summary table.
#[derive(Debug, Clone, Default)]
pub struct MaterialLine {
    pub received: i64,
    pub distributed: i64,
    pub lost: i64,
    pub in_depots: i64,
    pub in_transit: i64,
    /// Distributed since the start, for the share of the print run.
    pub distributed_ever: i64,
    pub airings: i64,
    pub outlets: i64,
    /// What lies outside the range, so that every line adds up with the stock as of today.
    pub outside: Outside,
}

/// Flows of a material before and after the dashboard's range.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outside {
    pub received_before: i64,
    pub received_after: i64,
    pub distributed_before: i64,
    pub distributed_after: i64,
    pub lost_before: i64,
    pub lost_after: i64,
}

impl Outside {
    pub fn is_empty(&self) -> bool {
        *self == Outside::default()
    }
}

/// A region's coverage for the chosen material.
#[derive(Debug, Clone)]
pub struct RegionCoverage {
    pub region: Region,
    pub distributed: i64,
    pub target: i64,
}

impl RegionCoverage {
    /// Share of the target distributed, when there is a target.
    pub fn percent(&self) -> Option<f64> {
        (self.target > 0).then(|| self.distributed as f64 * 100.0 / self.target as f64)
    }
}

/// A region × type cell: distributed in the range, target, places reached and registered.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cell {
    pub distributed: i64,
    pub target: i64,
    pub reached: i64,
    pub registered: i64,
}

/// A depot whose stock of a material falls short of its region's open targets.
#[derive(Debug, Clone)]
pub struct DepotShortfall {
    pub depot_id: LocationId,
    pub depot_name: String,
    pub material_id: MaterialId,
    pub material_name: crate::domain::Names,
    pub on_hand: i64,
    pub open_target: i64,
}

/// A shipment still in transit after its expected date, or, without one, after the threshold
/// of days since dispatch.
#[derive(Debug, Clone)]
pub struct LateShipment {
    pub id: i32,
    pub reference: String,
    pub dispatched_on: NaiveDate,
    pub expected_on: Option<NaiveDate>,
    pub days_late: i64,
    pub origin: String,
    pub destination: String,
}

/// Places of a kind in some regions with a target for a material and nothing delivered in the
/// range ("target, nothing delivered"), or with registered places, no target and nothing
/// delivered ("unplanned").
#[derive(Debug, Clone)]
pub struct Gap {
    pub material_id: MaterialId,
    pub type_id: i32,
    /// (region, places registered there) in the dashboard's region order.
    pub regions: Vec<(Region, i64)>,
}

/// Everything the dashboard shows.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub materials: Vec<(Material, MaterialLine)>,
    pub regions: Vec<RegionCoverage>,
    pub types: Vec<LocationType>,
    /// (region id, type id) → cell, for the chosen material.
    pub cells: HashMap<(i32, i32), Cell>,
    /// Distributed per day in the range, per material.
    pub daily: Vec<(MaterialId, NaiveDate, i64)>,
    /// Distributed before the range starts, per material (for cumulative progress).
    pub before_range: HashMap<MaterialId, i64>,
    /// Total target per material.
    pub target_totals: HashMap<MaterialId, i64>,
    pub depot_shortfalls: Vec<DepotShortfall>,
    pub late_shipments: Vec<LateShipment>,
    /// Every material's targets with nothing delivered in the range, by material and type.
    pub gaps: Vec<Gap>,
    /// Every material's kinds of place it is planned for, in regions without a target that got
    /// nothing: registered places nobody planned for.
    pub unplanned: Vec<Gap>,
    pub recipients: RecipientFigures,
}

/// What recipients confirmed themselves, for the chosen material in the range, and what waits
/// for staff because of them (whatever the range).
#[derive(Debug, Clone, Default)]
pub struct RecipientFigures {
    /// (region id, type id) → units recipients confirmed receiving.
    pub confirmed: HashMap<(i32, i32), i64>,
    /// Units recipients said did not arrive that staff have not settled, and in how many shipments.
    pub disputed_units: i64,
    pub disputed_shipments: i64,
    /// Deliveries staff recorded that the recipient disagrees with.
    pub disagreements: i64,
}

impl RecipientFigures {
    pub fn in_region(&self, region: i32) -> i64 {
        self.confirmed.iter().filter(|((r, _), _)| *r == region).map(|(_, n)| n).sum()
    }

    pub fn of_type(&self, kind: i32) -> i64 {
        self.confirmed.iter().filter(|((_, t), _)| *t == kind).map(|(_, n)| n).sum()
    }
}

/// Read from the confirmations alone (few beside the ledger): what recipients confirmed of
/// the material delivered in the range, and the disputes and disagreements open now.
fn recipient_figures(conn: &mut DbConn, q: &DashboardQuery) -> QueryResult<RecipientFigures> {
    use crate::db::schema::shipment_lines;
    use crate::db::schema::{
        recipient_confirmation_lines as cl, recipient_confirmations as rc, recipient_responses as rr,
    };
    let mut confirmed = rc::table
        .inner_join(cl::table)
        .inner_join(shipments::table)
        .inner_join(shipment_lines::table.on(shipment_lines::id.eq(cl::shipment_line_id)))
        .inner_join(locations::table.on(locations::id.eq(shipments::destination_id)))
        .filter(rc::superseded_at.is_null())
        .filter(shipment_lines::material_id.eq(q.material_id))
        .filter(shipments::delivered_on.between(q.from, q.to))
        .select((locations::region_id, locations::location_type_id, cl::received))
        .into_boxed();
    let mut disputes = rc::table
        .inner_join(shipments::table)
        .inner_join(locations::table.on(locations::id.eq(shipments::destination_id)))
        .filter(rc::superseded_at.is_null())
        .filter(rc::disputed_units.gt(0))
        .filter(rc::resolution.is_null())
        .select(rc::disputed_units)
        .into_boxed();
    let mut disagreements = rr::table
        .inner_join(shipments::table)
        .inner_join(locations::table.on(locations::id.eq(shipments::destination_id)))
        .filter(rr::agrees.eq(false))
        .filter(shipments::status.eq(crate::domain::ShipmentStatus::Delivered))
        .select(rr::id)
        .into_boxed();
    if let Some(regions) = q.scope.ids() {
        confirmed = confirmed.filter(locations::region_id.eq_any(regions.to_vec()));
        disputes = disputes.filter(locations::region_id.eq_any(regions.to_vec()));
        disagreements = disagreements.filter(locations::region_id.eq_any(regions.to_vec()));
    }
    let mut figures = RecipientFigures::default();
    // One row per confirmed line: confirmations are a small table beside the ledger.
    for (region, kind, received) in confirmed.load::<(Option<i32>, i32, i32)>(conn)? {
        if let Some(region) = region {
            *figures.confirmed.entry((region, kind)).or_default() += i64::from(received);
        }
    }
    let disputed: Vec<i32> = disputes.load(conn)?;
    figures.disputed_shipments = disputed.len() as i64;
    figures.disputed_units = disputed.iter().map(|n| i64::from(*n)).sum();
    figures.disagreements = disagreements.load::<i32>(conn)?.len() as i64;
    Ok(figures)
}

/// SUM over a BIGINT column: PostgreSQL widens it to NUMERIC, so it is cast back.
fn sum_flows() -> diesel::expression::SqlLiteral<diesel::sql_types::Nullable<diesel::sql_types::BigInt>> {
    diesel::dsl::sql("CAST(SUM(daily_flows.quantity) AS BIGINT)")
}

fn sum_i64(value: Option<i64>) -> i64 {
    value.unwrap_or(0)
}

pub fn dashboard(conn: &mut DbConn, q: &DashboardQuery) -> QueryResult<Dashboard> {
    let materials_list = Material::all(conn, Some(q.campaign_id))?;
    let ids: Vec<MaterialId> = materials_list.iter().map(|m| m.id).collect();
    let scope = q.scope.ids().map(<[i32]>::to_vec);

    // Received and lost in the range (distributed comes from the daily series below), and all
    // three before and after it, so that each line adds up with the stock as of today.
    let mut lines: HashMap<MaterialId, MaterialLine> = HashMap::new();
    let bucket =
        |condition: &str| -> diesel::expression::SqlLiteral<diesel::sql_types::Nullable<diesel::sql_types::BigInt>> {
            diesel::dsl::sql(&format!(
                "CAST(SUM(CASE WHEN {condition} THEN daily_flows.quantity ELSE 0 END) AS BIGINT)"
            ))
        };
    let (from, to) = (q.from.format("%Y-%m-%d").to_string(), q.to.format("%Y-%m-%d").to_string());
    let mut flows_query = daily_flows::table
        .filter(daily_flows::material_id.eq_any(&ids))
        .filter(daily_flows::flow.eq_any(["received", "lost", "distributed"]))
        .group_by((daily_flows::material_id, daily_flows::flow))
        .select((
            daily_flows::material_id,
            daily_flows::flow,
            // The dates are the query's own, formatted here: no text typed by anyone.
            bucket(&format!("daily_flows.day < '{from}'")),
            bucket(&format!("daily_flows.day >= '{from}' AND daily_flows.day <= '{to}'")),
            bucket(&format!("daily_flows.day > '{to}'")),
        ))
        .into_boxed();
    if let Some(regions) = &scope {
        flows_query = flows_query.filter(daily_flows::region_id.eq_any(regions.clone()));
    }
    /// Material, flow, and its sums before, within and after the range.
    type FlowRow = (MaterialId, String, Option<i64>, Option<i64>, Option<i64>);
    let flows: Vec<FlowRow> = flows_query.load(conn)?;
    for (material_id, flow, before, within, after) in flows {
        let line = lines.entry(material_id).or_default();
        let (before, within, after) = (sum_i64(before), sum_i64(within), sum_i64(after));
        match flow.as_str() {
            "received" => {
                line.received += within;
                line.outside.received_before += before;
                line.outside.received_after += after;
            }
            "lost" => {
                line.lost += within;
                line.outside.lost_before += before;
                line.outside.lost_after += after;
            }
            _ => {
                line.outside.distributed_before += before;
                line.outside.distributed_after += after;
            }
        }
    }
    // Distribution since the start, before the range, and per region, in one pass.
    let mut per_region_query = daily_flows::table
        .filter(daily_flows::material_id.eq_any(&ids))
        .filter(daily_flows::flow.eq("distributed"))
        .group_by((daily_flows::material_id, daily_flows::region_id))
        .select((
            daily_flows::material_id,
            daily_flows::region_id,
            sum_flows(),
            diesel::dsl::sql::<diesel::sql_types::Nullable<diesel::sql_types::BigInt>>(
                "CAST(SUM(CASE WHEN daily_flows.day < ",
            )
            .bind::<diesel::sql_types::Date, _>(q.from)
            .sql(" THEN daily_flows.quantity ELSE 0 END) AS BIGINT)"),
        ))
        .into_boxed();
    if let Some(regions) = &scope {
        per_region_query = per_region_query.filter(daily_flows::region_id.eq_any(regions.clone()));
    }
    let per_region: Vec<(MaterialId, i32, Option<i64>, Option<i64>)> = per_region_query.load(conn)?;
    let mut before_range: HashMap<MaterialId, i64> = HashMap::new();
    let mut distributed_by_region: HashMap<(MaterialId, i32), i64> = HashMap::new();
    for (material_id, region_id, ever, before) in per_region {
        lines.entry(material_id).or_default().distributed_ever += sum_i64(ever);
        *before_range.entry(material_id).or_default() += sum_i64(before);
        distributed_by_region.insert((material_id, region_id), sum_i64(ever));
    }

    // Stock as of today: depots from the balance cache; in transit from the cache, or for a
    // region-limited user from the shipments in transit to or from their regions.
    for (material_id, held) in crate::reports::stock::held_today(conn, &ids, &q.scope)? {
        let line = lines.entry(material_id).or_default();
        line.in_depots += held.in_depots;
        line.in_transit += held.in_transit;
    }

    // Airings in the range, net of corrections, and the outlets that aired.
    let mut aired_query = airings::table
        .inner_join(locations::table)
        .filter(airings::aired_on.between(q.from, q.to))
        .filter(airings::material_id.eq_any(&ids))
        .select((airings::material_id, airings::location_id, airings::times, airings::reverses_id))
        .into_boxed();
    if let Some(regions) = &scope {
        aired_query = aired_query.filter(locations::region_id.eq_any(regions.clone()));
    }
    let aired: Vec<(MaterialId, LocationId, i32, Option<i32>)> = aired_query.load(conn)?;
    let mut outlet_net: HashMap<(MaterialId, LocationId), i64> = HashMap::new();
    for (material_id, location_id, times, reverses) in aired {
        let signed = if reverses.is_some() { -i64::from(times) } else { i64::from(times) };
        *outlet_net.entry((material_id, location_id)).or_default() += signed;
    }
    for ((material_id, _), net) in &outlet_net {
        let line = lines.entry(*material_id).or_default();
        line.airings += net;
        if *net > 0 {
            line.outlets += 1;
        }
    }

    // The chosen material: by region, by region × type, reach.
    let all_regions: Vec<Region> = Region::all(conn)?.into_iter().filter(|r| q.scope.covers(Some(r.id))).collect();
    let types: Vec<LocationType> =
        LocationType::all(conn)?.into_iter().filter(|t| !t.is_depot && t.code != "transit").collect();
    let mut cells: HashMap<(i32, i32), Cell> = HashMap::new();
    let mut distributed_query = daily_flows::table
        .filter(daily_flows::flow.eq("distributed"))
        .filter(daily_flows::material_id.eq(q.material_id))
        .filter(daily_flows::day.between(q.from, q.to))
        .group_by((daily_flows::region_id, daily_flows::location_type_id))
        .select((daily_flows::region_id, daily_flows::location_type_id, sum_flows()))
        .into_boxed();
    if let Some(regions) = &scope {
        distributed_query = distributed_query.filter(daily_flows::region_id.eq_any(regions.clone()));
    }
    let distributed: Vec<(i32, i32, Option<i64>)> = distributed_query.load(conn)?;
    for (region, kind, quantity) in distributed {
        cells.entry((region, kind)).or_default().distributed += sum_i64(quantity);
    }
    let mut planned_query = targets::table
        .filter(targets::material_id.eq(q.material_id))
        .select((targets::region_id, targets::location_type_id, targets::quantity))
        .into_boxed();
    if let Some(regions) = &scope {
        planned_query = planned_query.filter(targets::region_id.eq_any(regions.clone()));
    }
    let planned: Vec<(i32, i32, i32)> = planned_query.load(conn)?;
    for (region, kind, quantity) in planned {
        cells.entry((region, kind)).or_default().target += i64::from(quantity);
    }
    let mut reached_query = stock_balances::table
        .inner_join(locations::table)
        .filter(stock_balances::material_id.eq(q.material_id))
        .filter(stock_balances::on_hand.gt(0))
        .filter(locations::is_depot.eq(false))
        .filter(locations::region_id.is_not_null())
        .group_by((locations::region_id, locations::location_type_id))
        .select((locations::region_id, locations::location_type_id, diesel::dsl::count_star()))
        .into_boxed();
    if let Some(regions) = &scope {
        reached_query = reached_query.filter(locations::region_id.eq_any(regions.clone()));
    }
    let reached: Vec<(Option<i32>, i32, i64)> = reached_query.load(conn)?;
    for (region, kind, count) in reached {
        cells.entry((region.unwrap_or(0), kind)).or_default().reached += count;
    }
    let mut registered_query = locations::table
        .filter(locations::is_active.eq(true))
        .filter(locations::is_depot.eq(false))
        .filter(locations::region_id.is_not_null())
        .group_by((locations::region_id, locations::location_type_id))
        .select((locations::region_id, locations::location_type_id, diesel::dsl::count_star()))
        .into_boxed();
    if let Some(regions) = &scope {
        registered_query = registered_query.filter(locations::region_id.eq_any(regions.clone()));
    }
    let registered: Vec<(Option<i32>, i32, i64)> = registered_query.load(conn)?;
    for (region, kind, count) in registered {
        cells.entry((region.unwrap_or(0), kind)).or_default().registered += count;
    }
    let (gaps, unplanned) = gaps(conn, q, &ids, &all_regions, &types, &cells)?;
    let regions = all_regions
        .into_iter()
        .map(|region| {
            let (distributed, target) = cells
                .iter()
                .filter(|((r, _), _)| *r == region.id)
                .fold((0, 0), |(d, t), (_, c)| (d + c.distributed, t + c.target));
            RegionCoverage { region, distributed, target }
        })
        .collect();

    // Over time: distributed per day in the range, every material.
    let mut daily_query = daily_flows::table
        .filter(daily_flows::flow.eq("distributed"))
        .filter(daily_flows::material_id.eq_any(&ids))
        .filter(daily_flows::day.between(q.from, q.to))
        .group_by((daily_flows::material_id, daily_flows::day))
        .select((daily_flows::material_id, daily_flows::day, sum_flows()))
        .order(daily_flows::day)
        .into_boxed();
    if let Some(regions) = &scope {
        daily_query = daily_query.filter(daily_flows::region_id.eq_any(regions.clone()));
    }
    let daily_rows: Vec<(MaterialId, NaiveDate, Option<i64>)> = daily_query.load(conn)?;
    let daily: Vec<(MaterialId, NaiveDate, i64)> = daily_rows.into_iter().map(|(m, d, s)| (m, d, sum_i64(s))).collect();
    let mut totals_query = targets::table
        .filter(targets::material_id.eq_any(&ids))
        .group_by(targets::material_id)
        .select((targets::material_id, diesel::dsl::sum(targets::quantity)))
        .into_boxed();
    if let Some(regions) = &scope {
        totals_query = totals_query.filter(targets::region_id.eq_any(regions.clone()));
    }
    let totals: Vec<(MaterialId, Option<i64>)> = totals_query.load(conn)?;
    let target_totals = totals.into_iter().map(|(m, s)| (m, sum_i64(s))).collect();
    for (material_id, _, quantity) in &daily {
        lines.entry(*material_id).or_default().distributed += quantity;
    }
    let materials: Vec<(Material, MaterialLine)> = materials_list
        .into_iter()
        .map(|m| {
            let line = lines.remove(&m.id).unwrap_or_default();
            (m, line)
        })
        .collect();

    let depot_shortfalls = depot_shortfalls(conn, &ids, &distributed_by_region, &q.scope)?;
    // Overdue is about today whatever the range: a past range must not hide a shipment late now.
    let late_shipments = late_shipments(conn, chrono::Utc::now().date_naive(), q.transit_days, &q.scope)?;
    let recipients = recipient_figures(conn, q)?;
    Ok(Dashboard {
        recipients,
        materials,
        regions,
        types,
        cells,
        daily,
        before_range,
        target_totals,
        depot_shortfalls,
        late_shipments,
        gaps,
        unplanned,
    })
}

/// Every material's targets with nothing delivered in the range, and the registered places of
/// the kinds a material is planned for in regions nobody planned it for and that got nothing;
/// each grouped by material and kind of place. `cells` holds the places registered per region
/// and kind.
fn gaps(
    conn: &mut DbConn,
    q: &DashboardQuery,
    material_ids: &[MaterialId],
    regions: &[Region],
    types: &[LocationType],
    cells: &HashMap<(i32, i32), Cell>,
) -> QueryResult<(Vec<Gap>, Vec<Gap>)> {
    use std::collections::HashSet;
    let scope = q.scope.ids().map(<[i32]>::to_vec);
    let mut got_query = daily_flows::table
        .filter(daily_flows::flow.eq("distributed"))
        .filter(daily_flows::material_id.eq_any(material_ids))
        .filter(daily_flows::day.between(q.from, q.to))
        .group_by((daily_flows::material_id, daily_flows::region_id, daily_flows::location_type_id))
        .select((daily_flows::material_id, daily_flows::region_id, daily_flows::location_type_id, sum_flows()))
        .into_boxed();
    let mut planned_query = targets::table
        .filter(targets::material_id.eq_any(material_ids))
        .filter(targets::quantity.gt(0))
        .select((targets::material_id, targets::region_id, targets::location_type_id))
        .into_boxed();
    if let Some(regions) = &scope {
        got_query = got_query.filter(daily_flows::region_id.eq_any(regions.clone()));
        planned_query = planned_query.filter(targets::region_id.eq_any(regions.clone()));
    }
    let got: HashSet<(MaterialId, i32, i32)> = got_query
        .load::<(MaterialId, i32, i32, Option<i64>)>(conn)?
        .into_iter()
        .filter(|(_, _, _, q)| sum_i64(*q) > 0)
        .map(|(m, r, t, _)| (m, r, t))
        .collect();
    let planned: HashSet<(MaterialId, i32, i32)> = planned_query.load(conn)?.into_iter().collect();
    let registered = |r: i32, t: i32| cells.get(&(r, t)).map(|c| c.registered).unwrap_or(0);
    let (mut gaps, mut unplanned) = (Vec::new(), Vec::new());
    for &m in material_ids {
        for t in types {
            let kind_planned = planned.iter().any(|(pm, _, pt)| *pm == m && *pt == t.id);
            if !kind_planned {
                continue;
            }
            let short: Vec<(Region, i64)> = regions
                .iter()
                .filter(|r| planned.contains(&(m, r.id, t.id)) && !got.contains(&(m, r.id, t.id)))
                .map(|r| (r.clone(), registered(r.id, t.id)))
                .collect();
            let nobody: Vec<(Region, i64)> = regions
                .iter()
                .filter(|r| !planned.contains(&(m, r.id, t.id)) && !got.contains(&(m, r.id, t.id)))
                .filter(|r| registered(r.id, t.id) > 0)
                .map(|r| (r.clone(), registered(r.id, t.id)))
                .collect();
            if !short.is_empty() {
                gaps.push(Gap { material_id: m, type_id: t.id, regions: short });
            }
            if !nobody.is_empty() {
                unplanned.push(Gap { material_id: m, type_id: t.id, regions: nobody });
            }
        }
    }
    Ok((gaps, unplanned))
}

/// Depots holding less of a material than their region still has to distribute: the region's
/// target for it less what was distributed there since the start.
fn depot_shortfalls(
    conn: &mut DbConn,
    material_ids: &[MaterialId],
    done: &HashMap<(MaterialId, i32), i64>,
    scope: &RegionScope,
) -> QueryResult<Vec<DepotShortfall>> {
    let planned: Vec<(MaterialId, i32, Option<i64>)> = targets::table
        .filter(targets::material_id.eq_any(material_ids))
        .group_by((targets::material_id, targets::region_id))
        .select((targets::material_id, targets::region_id, diesel::dsl::sum(targets::quantity)))
        .load::<(MaterialId, i32, Option<i64>)>(conn)?
        .into_iter()
        .filter(|(_, region, _)| scope.covers(Some(*region)))
        .collect();
    let depots: Vec<(LocationId, String, Option<i32>)> = locations::table
        .filter(locations::is_depot.eq(true))
        .filter(locations::is_active.eq(true))
        .select((locations::id, locations::name, locations::region_id))
        .load(conn)?;
    let stock: Vec<(MaterialId, LocationId, i32)> = stock_balances::table
        .inner_join(locations::table)
        .filter(locations::is_depot.eq(true))
        .filter(stock_balances::material_id.eq_any(material_ids))
        .select((stock_balances::material_id, stock_balances::location_id, stock_balances::on_hand))
        .load(conn)?;
    let names: HashMap<MaterialId, crate::domain::Names> = materials::table
        .filter(materials::id.eq_any(material_ids))
        .select((materials::id, (materials::name_en, materials::name_es)))
        .load(conn)?
        .into_iter()
        .collect();
    let mut out = Vec::new();
    for (material_id, region_id, target) in planned {
        let open = sum_i64(target) - done.get(&(material_id, region_id)).copied().unwrap_or(0);
        if open <= 0 {
            continue;
        }
        for (depot_id, depot_name, depot_region) in depots.iter().filter(|d| d.2 == Some(region_id)) {
            let on_hand =
                stock.iter().find(|(m, l, _)| *m == material_id && l == depot_id).map(|s| i64::from(s.2)).unwrap_or(0);
            if on_hand < open {
                let _ = depot_region;
                out.push(DepotShortfall {
                    depot_id: *depot_id,
                    depot_name: depot_name.clone(),
                    material_id,
                    material_name: names.get(&material_id).cloned().unwrap_or_default(),
                    on_hand,
                    open_target: open,
                });
            }
        }
    }
    out.sort_by_key(|s| std::cmp::Reverse(s.open_target - s.on_hand));
    Ok(out)
}

fn late_shipments(
    conn: &mut DbConn,
    today: NaiveDate,
    days: i64,
    scope: &RegionScope,
) -> QueryResult<Vec<LateShipment>> {
    let cutoff = today - chrono::Duration::days(days.max(0));
    let (origins, destinations) = diesel::alias!(locations as origins, locations as destinations);
    // Late is past the expected date when there is one, else past the threshold since dispatch.
    let mut query = shipments::table
        .inner_join(destinations.on(destinations.field(locations::id).eq(shipments::destination_id)))
        .inner_join(origins.on(origins.field(locations::id).eq(shipments::origin_id)))
        .filter(shipments::status.eq(crate::domain::ShipmentStatus::Dispatched))
        .filter(
            shipments::expected_on
                .lt(today)
                .or(shipments::expected_on.is_null().and(shipments::dispatched_on.lt(cutoff))),
        )
        .order((shipments::dispatched_on, shipments::id))
        .limit(200)
        .select((
            shipments::id,
            shipments::reference,
            shipments::dispatched_on,
            shipments::expected_on,
            origins.field(locations::name),
            destinations.field(locations::name),
        ))
        .into_boxed();
    if let Some(regions) = scope.ids() {
        query = query.filter(
            origins
                .field(locations::region_id)
                .eq_any(regions.to_vec())
                .or(destinations.field(locations::region_id).eq_any(regions.to_vec())),
        );
    }
    type Row = (i32, String, Option<NaiveDate>, Option<NaiveDate>, String, String);
    let rows: Vec<Row> = query.load(conn)?;
    let mut late: Vec<LateShipment> = rows
        .into_iter()
        .filter_map(|(id, reference, dispatched_on, expected_on, origin, destination)| {
            let dispatched_on = dispatched_on?;
            let due = expected_on.unwrap_or(dispatched_on + chrono::Duration::days(days.max(0)));
            let days_late = (today - due).num_days();
            (days_late > 0).then_some(LateShipment {
                id,
                reference,
                dispatched_on,
                expected_on,
                days_late,
                origin,
                destination,
            })
        })
        .collect();
    late.sort_by_key(|s| (std::cmp::Reverse(s.days_late), s.id));
    late.truncate(50);
    Ok(late)
}

/// A summary row that differs from what the ledger says it should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryMismatch {
    pub material_id: MaterialId,
    pub flow: String,
    pub region_id: i32,
    pub location_type_id: i32,
    pub day: NaiveDate,
    pub summary: i64,
    pub ledger: i64,
}

/// Summary rows that differ from the ledger. Empty when the summary is true; a test keeps it so.
pub fn summary_mismatches(conn: &mut DbConn) -> QueryResult<Vec<SummaryMismatch>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        material_id: MaterialId,
        #[diesel(sql_type = diesel::sql_types::Text)]
        flow: String,
        #[diesel(sql_type = diesel::sql_types::Integer)]
        region_id: i32,
        #[diesel(sql_type = diesel::sql_types::Integer)]
        location_type_id: i32,
        #[diesel(sql_type = diesel::sql_types::Date)]
        day: NaiveDate,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        summary: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        ledger: i64,
    }
    // The same derivation as the migration's backfill, compared row by row.
    let derived = "SELECT material_id, flow, region_id, location_type_id, effective_on AS day, CAST(SUM(signed) AS BIGINT) AS total FROM ( \
        SELECT m.material_id, \
               CASE WHEN m.kind = 'receipt' THEN 'received' \
                    WHEN m.kind = 'delivery' AND l.is_depot THEN 'transferred' \
                    WHEN m.kind = 'delivery' THEN 'distributed' \
                    WHEN m.kind IN ('loss', 'damage', 'shortfall') THEN 'lost' \
                    ELSE m.kind END AS flow, \
               COALESCE(l.region_id, 0) AS region_id, l.location_type_id, m.effective_on, \
               CASE WHEN m.reverses_id IS NULL THEN m.quantity ELSE -m.quantity END AS signed \
        FROM stock_movements m JOIN locations l ON l.id = CASE WHEN m.reverses_id IS NULL \
             THEN COALESCE(m.to_location_id, m.from_location_id) ELSE COALESCE(m.from_location_id, m.to_location_id) END \
        WHERE m.kind IN ('receipt', 'delivery', 'loss', 'damage', 'shortfall', 'count_up', 'count_down')) f \
        GROUP BY material_id, flow, region_id, location_type_id, effective_on";
    let sql = format!(
        "WITH derived AS ({derived}), \
         keys AS (SELECT material_id, flow, region_id, location_type_id, day FROM derived \
                  UNION SELECT material_id, flow, region_id, location_type_id, day FROM daily_flows) \
         SELECT k.material_id, k.flow, k.region_id, k.location_type_id, k.day, \
                CAST(COALESCE(s.quantity, 0) AS BIGINT) AS summary, CAST(COALESCE(d.total, 0) AS BIGINT) AS ledger \
         FROM keys k \
         LEFT JOIN daily_flows s ON s.material_id = k.material_id AND s.flow = k.flow AND s.region_id = k.region_id \
              AND s.location_type_id = k.location_type_id AND s.day = k.day \
         LEFT JOIN derived d ON d.material_id = k.material_id AND d.flow = k.flow AND d.region_id = k.region_id \
              AND d.location_type_id = k.location_type_id AND d.day = k.day \
         WHERE COALESCE(s.quantity, 0) <> COALESCE(d.total, 0)"
    );
    let rows: Vec<Row> = diesel::sql_query(sql).load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| SummaryMismatch {
            material_id: r.material_id,
            flow: r.flow,
            region_id: r.region_id,
            location_type_id: r.location_type_id,
            day: r.day,
            summary: r.summary,
            ledger: r.ledger,
        })
        .collect())
}
