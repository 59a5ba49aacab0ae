//! Stock positions derived from the ledger and its balance cache.
//!
//! Per material the books always balance:
//! received + counted up − lost − counted down = in depots + in transit + distributed.

use crate::db::schema::{
    location_types, locations, materials, regions, shipment_lines, shipments, stock_balances, stock_movements,
};
use crate::db::DbConn;
use crate::domain::{LocationId, MaterialId, MovementId, ShipmentId, UserId};
use crate::domain::{Names, RegionScope};
use crate::ledger::Movement;
use crate::models::keyset::{self, Seek, Total, Window, COUNT_CAP};
use crate::models::Page;
use diesel::prelude::*;
use std::collections::HashMap;

/// One material's totals over the whole ledger.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MaterialTotals {
    pub material_id: MaterialId,
    pub received: i64,
    pub counted_up: i64,
    pub counted_down: i64,
    /// Losses, damage and delivery shortfalls.
    pub lost: i64,
    pub in_depots: i64,
    pub in_transit: i64,
    /// Held by locations that are not depots: delivered to where it is used.
    pub distributed: i64,
}

impl MaterialTotals {
    /// True when the books balance (they always should).
    pub fn balances(&self) -> bool {
        self.received + self.counted_up - self.lost - self.counted_down
            == self.in_depots + self.in_transit + self.distributed
    }
}

/// Stock as of today, per material, from the balance cache.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Held {
    pub in_depots: i64,
    pub in_transit: i64,
    /// At places that are not depots: delivered to where it is used.
    pub at_places: i64,
}

/// Per material, what is held today within the scope. Stock in transit belongs to no region;
/// for a region-limited user it is what travels to or from their regions.
pub fn held_today(
    conn: &mut DbConn,
    material_ids: &[MaterialId],
    scope: &RegionScope,
) -> QueryResult<HashMap<MaterialId, Held>> {
    let mut by_material: HashMap<MaterialId, Held> = HashMap::new();
    let mut held_query = stock_balances::table
        .inner_join(locations::table.inner_join(location_types::table))
        .filter(stock_balances::material_id.eq_any(material_ids))
        .group_by((stock_balances::material_id, locations::is_depot, location_types::code))
        .select((
            stock_balances::material_id,
            locations::is_depot,
            location_types::code,
            diesel::dsl::sum(stock_balances::on_hand),
        ))
        .into_boxed();
    if let Some(regions) = scope.ids() {
        held_query = held_query.filter(locations::region_id.eq_any(regions.to_vec()));
    }
    let held: Vec<(MaterialId, bool, String, Option<i64>)> = held_query.load(conn)?;
    for (material_id, is_depot, type_code, quantity) in held {
        let entry = by_material.entry(material_id).or_default();
        let quantity = quantity.unwrap_or(0);
        if type_code == "transit" {
            entry.in_transit += quantity;
        } else if is_depot {
            entry.in_depots += quantity;
        } else {
            entry.at_places += quantity;
        }
    }
    if let Some(regions) = scope.ids() {
        let (origins, destinations) = diesel::alias!(locations as origins, locations as destinations);
        let travelling: Vec<(MaterialId, Option<i64>)> = shipment_lines::table
            .inner_join(shipments::table)
            .inner_join(origins.on(origins.field(locations::id).eq(shipments::origin_id)))
            .inner_join(destinations.on(destinations.field(locations::id).eq(shipments::destination_id)))
            .filter(shipments::status.eq(crate::domain::ShipmentStatus::Dispatched))
            .filter(shipment_lines::material_id.eq_any(material_ids))
            .filter(
                origins
                    .field(locations::region_id)
                    .eq_any(regions.to_vec())
                    .or(destinations.field(locations::region_id).eq_any(regions.to_vec())),
            )
            .group_by(shipment_lines::material_id)
            .select((shipment_lines::material_id, diesel::dsl::sum(shipment_lines::quantity)))
            .load(conn)?;
        for (material_id, quantity) in travelling {
            by_material.entry(material_id).or_default().in_transit += quantity.unwrap_or(0);
        }
    }
    Ok(by_material)
}

/// Totals for every stocked material within the scope: flows from the daily summary, stock
/// from the balance cache; the ledger itself is not read. For a region-limited user, transfers
/// between regions move stock in and out of their books, so their totals need not balance.
pub fn material_totals(
    conn: &mut DbConn,
    material_ids: &[MaterialId],
    scope: &RegionScope,
) -> QueryResult<Vec<MaterialTotals>> {
    use crate::db::schema::daily_flows;
    let mut by_material: HashMap<MaterialId, MaterialTotals> =
        material_ids.iter().map(|&id| (id, MaterialTotals { material_id: id, ..Default::default() })).collect();
    let mut flows_query = daily_flows::table
        .filter(daily_flows::material_id.eq_any(material_ids))
        .filter(daily_flows::flow.eq_any(["received", "lost", "count_up", "count_down"]))
        .group_by((daily_flows::material_id, daily_flows::flow))
        .select((
            daily_flows::material_id,
            daily_flows::flow,
            diesel::dsl::sql::<diesel::sql_types::Nullable<diesel::sql_types::BigInt>>(
                "CAST(SUM(daily_flows.quantity) AS BIGINT)",
            ),
        ))
        .into_boxed();
    if let Some(regions) = scope.ids() {
        flows_query = flows_query.filter(daily_flows::region_id.eq_any(regions.to_vec()));
    }
    let flows: Vec<(MaterialId, String, Option<i64>)> = flows_query.load(conn)?;
    for (material_id, flow, quantity) in flows {
        let Some(t) = by_material.get_mut(&material_id) else { continue };
        let quantity = quantity.unwrap_or(0);
        match flow.as_str() {
            "received" => t.received += quantity,
            "lost" => t.lost += quantity,
            "count_up" => t.counted_up += quantity,
            _ => t.counted_down += quantity,
        }
    }
    for (material_id, held) in held_today(conn, material_ids, scope)? {
        if let Some(t) = by_material.get_mut(&material_id) {
            t.in_depots = held.in_depots;
            t.in_transit = held.in_transit;
            t.distributed = held.at_places;
        }
    }
    let mut rows: Vec<MaterialTotals> = by_material.into_values().collect();
    rows.sort_by_key(|t| t.material_id);
    Ok(rows)
}

/// A location's position in one material.
#[derive(Debug, Clone)]
pub struct Holding {
    pub location_id: LocationId,
    pub location_code: String,
    pub location_name: String,
    pub is_depot: bool,
    pub region_name: Names,
    pub material_id: MaterialId,
    pub material_name: Names,
    pub pack_size: Option<i32>,
    pub on_hand: i64,
    /// Dispatched to this location and not yet delivered.
    pub incoming: i64,
}

/// The stock list's filters as typed in its query string — the stock page, its download and the
/// command line's `export stock` read the same (`material`, `region`, `depots=1`, and for the
/// download `campaign`, `type`, `location` and `dest=points`); empty means any. Each by id or
/// by code.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct StockQuery {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub campaign: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub material: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub region: String,
    /// The place's location type.
    #[serde(rename = "type", skip_serializing_if = "String::is_empty")]
    pub location_type: String,
    /// One place (`origin` too, as the downloads of other lists call it).
    #[serde(alias = "origin", skip_serializing_if = "String::is_empty")]
    pub location: String,
    /// "1": depots only.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub depots: String,
    /// "points": distribution points only.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub dest: String,
}

impl StockQuery {
    pub fn from_query_string(query: &str) -> Result<StockQuery, crate::domain::Invalid> {
        crate::models::query::from_query_string(query)
    }

    /// The filters as a query string (empty ones left out), for page and download links.
    pub fn to_query_string(&self) -> String {
        serde_urlencoded::to_string(self).unwrap_or_default()
    }

    /// Checks every filter at once; refusals come back under the parameters' names.
    pub fn check(
        &self,
        conn: &mut DbConn,
        regions: Option<Vec<i32>>,
    ) -> QueryResult<Result<HoldingFilter, crate::models::query::Refusals>> {
        use crate::models::query::{self, keep, Refusals};
        let mut refusals = Refusals::new();
        let campaign_id = keep(&mut refusals, "campaign", query::campaign(conn, &self.campaign)?);
        let material_id = keep(&mut refusals, "material", query::material(conn, &self.material)?);
        let region_id = keep(&mut refusals, "region", query::region(conn, &self.region)?);
        let location_type_id = keep(&mut refusals, "type", query::location_type(conn, &self.location_type)?);
        let location_id = keep(&mut refusals, "location", query::place(conn, &self.location, "export.err.location")?);
        let depots_only = keep(&mut refusals, "depots", query::one_of(&self.depots, &["1"], "filter.err.depots"));
        let points_only = keep(&mut refusals, "dest", query::one_of(&self.dest, &["points"], "filter.err.dest"));
        if !refusals.is_empty() {
            return Ok(Err(refusals));
        }
        Ok(Ok(HoldingFilter {
            campaign_id,
            material_id,
            region_id,
            location_type_id,
            location_id,
            depots_only: depots_only.is_some(),
            points_only: points_only.is_some(),
            regions,
            in_transit: false,
        }))
    }
}

/// The holdings filters, checked.
#[derive(Debug, Clone, Default)]
pub struct HoldingFilter {
    pub campaign_id: Option<i32>,
    pub material_id: Option<MaterialId>,
    pub region_id: Option<i32>,
    pub location_type_id: Option<i32>,
    pub location_id: Option<LocationId>,
    pub depots_only: bool,
    pub points_only: bool,
    pub regions: Option<Vec<i32>>,
    /// Stock in transit too (it belongs to no region): the download lists every balance, the
    /// page the places that hold them.
    pub in_transit: bool,
}

/// Non-zero balances with their material, place, type and region: what every reader of the
/// stock list narrows.
#[diesel::dsl::auto_type]
fn balances() -> _ {
    let regions_of_places: diesel::dsl::Eq<locations::region_id, diesel::dsl::Nullable<regions::id>> =
        locations::region_id.eq(regions::id.nullable());
    let places_types: diesel::dsl::Eq<location_types::id, locations::location_type_id> =
        location_types::id.eq(locations::location_type_id);
    let nothing: i32 = 0;
    stock_balances::table
        .inner_join(materials::table)
        .inner_join(locations::table)
        .inner_join(location_types::table.on(places_types))
        .left_join(regions::table.on(regions_of_places))
        .filter(stock_balances::on_hand.gt(nothing))
}

/// The stock list's one query, which the page orders and pages and the export reads in chunks.
pub type Holdings = diesel::dsl::IntoBoxed<'static, balances, crate::db::connection::MultiBackend>;

impl HoldingFilter {
    pub fn query(&self) -> Holdings {
        let mut q = balances().into_boxed();
        if !self.in_transit {
            q = q.filter(locations::region_id.is_not_null());
        }
        if let Some(id) = self.campaign_id {
            q = q.filter(materials::campaign_id.eq(id));
        }
        if let Some(id) = self.material_id {
            q = q.filter(stock_balances::material_id.eq(id));
        }
        if let Some(id) = self.location_id {
            q = q.filter(stock_balances::location_id.eq(id));
        }
        if let Some(id) = self.region_id {
            q = q.filter(locations::region_id.eq(id));
        }
        if let Some(id) = self.location_type_id {
            q = q.filter(locations::location_type_id.eq(id));
        }
        if self.depots_only {
            q = q.filter(locations::is_depot.eq(true));
        }
        if self.points_only {
            q = q.filter(locations::is_depot.eq(false));
        }
        if let Some(regions) = &self.regions {
            q = q.filter(locations::region_id.eq_any(regions.clone()));
        }
        q
    }
}

/// Holdings with something on hand, by region and location.
pub fn holdings(conn: &mut DbConn, filter: &HoldingFilter, page: i64, per_page: i64) -> QueryResult<Page<Holding>> {
    let total = filter.query().count().get_result(conn)?;
    type Row =
        (LocationId, String, String, bool, (Option<String>, Option<String>), MaterialId, Names, Option<i32>, i32);
    let rows: Vec<Row> = filter
        .query()
        .order((
            locations::is_depot.desc(),
            regions::is_abroad.nullable(),
            regions::sort_key.nullable(),
            locations::sort_key,
            locations::id,
            materials::id,
        ))
        .limit(per_page)
        .offset((page - 1) * per_page)
        .select((
            locations::id,
            locations::code,
            locations::name,
            locations::is_depot,
            (regions::name_en.nullable(), regions::name_es.nullable()),
            materials::id,
            (materials::name_en, materials::name_es),
            materials::pack_size,
            stock_balances::on_hand,
        ))
        .load(conn)?;
    let location_ids: Vec<LocationId> = rows.iter().map(|r| r.0).collect();
    let incoming = incoming_to(conn, &location_ids)?;
    Ok(Page {
        rows: rows
            .into_iter()
            .map(|r| Holding {
                incoming: incoming.get(&(r.0, r.5)).copied().unwrap_or(0),
                location_id: r.0,
                location_code: r.1,
                location_name: r.2,
                is_depot: r.3,
                // The page lists places, every one in a region.
                region_name: Names { en: r.4 .0.unwrap_or_default(), es: r.4 .1.unwrap_or_default() },
                material_id: r.5,
                material_name: r.6,
                pack_size: r.7,
                on_hand: i64::from(r.8),
            })
            .collect(),
        total,
        page,
        per_page,
    })
}

/// Units dispatched to these locations and not yet delivered, by (location, material).
pub fn incoming_to(
    conn: &mut DbConn,
    location_ids: &[LocationId],
) -> QueryResult<HashMap<(LocationId, MaterialId), i64>> {
    let rows: Vec<(LocationId, MaterialId, Option<i64>)> = shipment_lines::table
        .inner_join(shipments::table)
        .filter(shipments::status.eq(crate::domain::ShipmentStatus::Dispatched))
        .filter(shipments::destination_id.eq_any(location_ids))
        .group_by((shipments::destination_id, shipment_lines::material_id))
        .select((shipments::destination_id, shipment_lines::material_id, diesel::dsl::sum(shipment_lines::quantity)))
        .load(conn)?;
    Ok(rows.into_iter().map(|(l, m, q)| ((l, m), q.unwrap_or(0))).collect())
}

/// One material's balance at a location.
#[derive(Debug, Clone)]
pub struct MaterialBalance {
    pub material_id: MaterialId,
    pub material_name: Names,
    pub pack_size: Option<i32>,
    pub on_hand: i64,
}

/// What one location holds, per material (including zero balances it once had).
pub fn location_balances(conn: &mut DbConn, location_id: LocationId) -> QueryResult<Vec<MaterialBalance>> {
    let rows: Vec<(MaterialId, Names, Option<i32>, i32)> = stock_balances::table
        .inner_join(materials::table)
        .filter(stock_balances::location_id.eq(location_id))
        .order(materials::id)
        .select((
            materials::id,
            (materials::name_en, materials::name_es),
            materials::pack_size,
            stock_balances::on_hand,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(material_id, material_name, pack_size, q)| MaterialBalance {
            material_id,
            material_name,
            pack_size,
            on_hand: i64::from(q),
        })
        .collect())
}

/// A ledger line: the movement, its effect on the balance shown, and the balance after it.
#[derive(Debug, Clone)]
pub struct LedgerLine {
    pub movement: Movement,
    pub delta: i64,
    pub balance: i64,
    pub reversed: bool,
    pub recorded_by: Option<String>,
    pub from_name: Option<String>,
    pub to_name: Option<String>,
    pub shipment_reference: Option<String>,
}

/// The change a movement makes to the stock held at `places` if given, else to the stock in
/// the system.
fn delta_of(m: &Movement, places: Option<&[LocationId]>) -> i64 {
    let q = i64::from(m.quantity);
    match places {
        Some(places) => {
            let inside = |l: Option<LocationId>| l.is_some_and(|l| places.contains(&l));
            let mut d = 0;
            if inside(m.to_location_id) {
                d += q;
            }
            if inside(m.from_location_id) {
                d -= q;
            }
            d
        }
        None => match (m.from_location_id, m.to_location_id) {
            (None, Some(_)) => q,
            (Some(_), None) => -q,
            _ => 0,
        },
    }
}

/// A material's movements, newest first, a keyset page at a time, each with the running balance
/// after it held at `places` (one place, or a region-limited user's places), or without them of
/// all the material in the system. The balance starts from the balance cache (today's), less
/// what the movements newer than the page changed, so the newest pages read only themselves;
/// the last page sums from the first movement instead, which is as short from that end.
pub fn material_ledger(
    conn: &mut DbConn,
    material_id: MaterialId,
    places: Option<&[LocationId]>,
    seek: &Seek,
    per_page: usize,
) -> QueryResult<Window<LedgerLine>> {
    use crate::db::schema::users;
    // The movements of the material, or of the material at `places`: out of them (`Side::From`)
    // or into them (`Side::To`). Each side walks its own index in the ledger's order, so a place's
    // page and its capped count never read the material's other movements.
    #[derive(Clone, Copy)]
    enum Side {
        All,
        From,
        To,
    }
    let build = |side: Side| {
        let q = stock_movements::table.filter(stock_movements::material_id.eq(material_id)).into_boxed();
        match (side, places) {
            // One place is `=`: PostgreSQL's generic plan for `= ANY($1)` cannot walk the
            // (material, place, date) index in order and sorted the place's whole ledger.
            (Side::From, Some([place])) => q.filter(stock_movements::from_location_id.eq(*place)),
            (Side::To, Some([place])) => q.filter(stock_movements::to_location_id.eq(*place)),
            (Side::From, Some(places)) => q.filter(stock_movements::from_location_id.eq_any(places.to_vec())),
            (Side::To, Some(places)) => q.filter(stock_movements::to_location_id.eq_any(places.to_vec())),
            _ => q,
        }
    };
    let sides: &[Side] = if places.is_some() { &[Side::From, Side::To] } else { &[Side::All] };
    let total = match places {
        None => Total::count(conn, build(Side::All).select(stock_movements::id))?,
        Some(places) => {
            let out = Total::count(conn, build(Side::From).select(stock_movements::id))?;
            let into = Total::count(conn, build(Side::To).select(stock_movements::id))?;
            match (out, into) {
                (Total::Exact(out), Total::Exact(into)) => {
                    // A movement between two of the places is on both sides: at most `out` of them.
                    let both: i64 = build(Side::From)
                        .filter(stock_movements::to_location_id.eq_any(places.to_vec()))
                        .count()
                        .get_result(conn)?;
                    Total::from_capped(out + into - both)
                }
                _ => Total::MoreThan(COUNT_CAP),
            }
        }
    };
    let key = match seek {
        Seek::After(k) | Seek::Before(k) => keyset::parse_date_key(k),
        Seek::First | Seek::Last => None,
    };
    // Newest first: the page people open is what just happened; later pages go back in time.
    let mut movements: Vec<Movement> = Vec::new();
    for &side in sides {
        let q = build(side);
        let q = if seek.backwards() {
            let q = match key {
                Some((on, id)) => q.filter(
                    stock_movements::effective_on
                        .ge(on)
                        .and(stock_movements::effective_on.gt(on).or(stock_movements::id.gt(id))),
                ),
                None => q,
            };
            q.order((stock_movements::effective_on.asc(), stock_movements::id.asc()))
        } else {
            let q = match key {
                Some((on, id)) => q.filter(
                    stock_movements::effective_on
                        .le(on)
                        .and(stock_movements::effective_on.lt(on).or(stock_movements::id.lt(id))),
                ),
                None => q,
            };
            q.order((stock_movements::effective_on.desc(), stock_movements::id.desc()))
        };
        movements.extend(q.limit(per_page as i64 + 1).select(Movement::as_select()).load::<Movement>(conn)?);
    }
    // Both sides merged in the ledger's order (newest first), each movement once.
    movements.sort_by_key(|m| std::cmp::Reverse((m.effective_on, m.id)));
    movements.dedup_by_key(|m| m.id);
    if seek.backwards() {
        movements.reverse();
    }
    let more = movements.len() > per_page;
    movements.truncate(per_page);
    if seek.backwards() {
        movements.reverse();
    }
    // What the movements up to (`up_to`) or after a movement changed at the places (or in the
    // system): into them less out of them, each side summed along its own index.
    type BigSum = diesel::sql_types::Nullable<diesel::sql_types::BigInt>;
    let changed = |conn: &mut DbConn, at: &Movement, up_to: bool| -> QueryResult<i64> {
        let (on, id) = (at.effective_on, at.id);
        let mut total = 0;
        let signed: &[(Side, &str)] = if places.is_some() {
            &[(Side::To, "quantity"), (Side::From, "-quantity")]
        } else {
            &[(Side::All, "CASE WHEN from_location_id IS NULL THEN quantity WHEN to_location_id IS NULL THEN -quantity ELSE 0 END")]
        };
        for &(side, delta) in signed {
            let q = build(side);
            let q = if up_to {
                q.filter(
                    stock_movements::effective_on
                        .le(on)
                        .and(stock_movements::effective_on.lt(on).or(stock_movements::id.le(id))),
                )
            } else {
                q.filter(
                    stock_movements::effective_on
                        .ge(on)
                        .and(stock_movements::effective_on.gt(on).or(stock_movements::id.gt(id))),
                )
            };
            total += q
                .select(diesel::dsl::sql::<BigSum>(&format!("CAST(SUM({delta}) AS BIGINT)")))
                .first::<Option<i64>>(conn)?
                .unwrap_or(0);
        }
        Ok(total)
    };
    // The balance after this page's newest movement: from the first movement for the last page
    // (as short from that end), else today's balance less what came after it.
    let closing: i64 = match movements.first() {
        None => 0,
        Some(newest) if matches!(seek, Seek::Last) => changed(conn, newest, true)?,
        Some(newest) => {
            let mut today = stock_balances::table.filter(stock_balances::material_id.eq(material_id)).into_boxed();
            if let Some(places) = places {
                today = today.filter(stock_balances::location_id.eq_any(places.to_vec()));
            }
            let today: i64 = today
                .select(diesel::dsl::sql::<BigSum>("CAST(SUM(stock_balances.on_hand) AS BIGINT)"))
                .first::<Option<i64>>(conn)?
                .unwrap_or(0);
            today - changed(conn, newest, false)?
        }
    };
    let ids: Vec<MovementId> = movements.iter().map(|m| m.id).collect();
    let reversed: Vec<MovementId> = stock_movements::table
        .filter(stock_movements::reverses_id.eq_any(&ids))
        .select(stock_movements::reverses_id.assume_not_null())
        .load(conn)?;
    let mut place_ids: Vec<LocationId> =
        movements.iter().flat_map(|m| [m.from_location_id, m.to_location_id]).flatten().collect();
    place_ids.sort_unstable();
    place_ids.dedup();
    let names: HashMap<LocationId, String> = locations::table
        .filter(locations::id.eq_any(&place_ids))
        .select((locations::id, locations::name))
        .load(conn)?
        .into_iter()
        .collect();
    let user_ids: Vec<UserId> = movements.iter().filter_map(|m| m.recorded_by).collect();
    let people: HashMap<UserId, String> = users::table
        .filter(users::id.eq_any(&user_ids))
        .select((users::id, users::display_name))
        .load(conn)?
        .into_iter()
        .collect();
    let shipment_ids: Vec<ShipmentId> = movements.iter().filter_map(|m| m.shipment_id).collect();
    let references: HashMap<ShipmentId, String> = shipments::table
        .filter(shipments::id.eq_any(&shipment_ids))
        .select((shipments::id, shipments::reference))
        .load(conn)?
        .into_iter()
        .collect();
    // Walking back in time: each line shows the balance after it, then its change is undone.
    let mut balance = closing;
    let rows = movements
        .into_iter()
        .map(|m| {
            let delta = delta_of(&m, places);
            let after = balance;
            balance -= delta;
            LedgerLine {
                delta,
                balance: after,
                reversed: reversed.contains(&m.id),
                recorded_by: m.recorded_by.and_then(|u| people.get(&u).cloned()),
                from_name: m.from_location_id.and_then(|l| names.get(&l).cloned()),
                to_name: m.to_location_id.and_then(|l| names.get(&l).cloned()),
                shipment_reference: m.shipment_id.and_then(|s| references.get(&s).cloned()),
                movement: m,
            }
        })
        .collect::<Vec<LedgerLine>>();
    Ok(Window::from_page(rows, more, seek, total, |l| keyset::date_key(l.movement.effective_on, l.movement.id)))
}
