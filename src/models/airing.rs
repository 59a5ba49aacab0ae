//! Airings: a media outlet broadcasting the campaign's information spots on a day, some number
//! of times. Spots are aired, not stocked: airings never touch the stock ledger. A correction is
//! a new row pointing at the one it reverses (same times, counted negatively); nothing is
//! deleted or edited.

use crate::db::connection::MultiBackend;
use crate::db::schema::{airings, location_types, locations, materials};
use crate::db::DbConn;
use crate::domain::{AiringId, LocationId, MaterialId, UserId};
use crate::models::keyset::{self, Seek, Total, Window};
use crate::models::location::Location;
use crate::models::material::Material;
use crate::models::now;
use crate::models::query::{self, keep, Refusals};
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::dsl::sum;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// The location type code of the places that air spots.
pub const MEDIA_OUTLET: &str = "media_outlet";
/// The material kind of the spots.
pub const BROADCAST_SPOT: &str = "broadcast_spot";
/// The most times one airing row may record (one outlet, one day, one slot).
pub const MAX_TIMES: i32 = 10_000;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = airings)]
pub struct Airing {
    pub id: AiringId,
    pub material_id: MaterialId,
    pub location_id: LocationId,
    pub aired_on: NaiveDate,
    pub times: i32,
    pub time_slot: String,
    pub programme: String,
    pub external_ref: Option<String>,
    /// Set on a correction: the airing it cancels.
    pub reverses_id: Option<AiringId>,
    pub reason: String,
    pub recorded_by: Option<UserId>,
    pub recorded_at: NaiveDateTime,
}

#[derive(Debug, Clone)]
pub struct NewAiring {
    pub material_id: MaterialId,
    pub location_id: LocationId,
    pub aired_on: NaiveDate,
    pub times: i32,
    pub time_slot: String,
    pub programme: String,
    pub external_ref: Option<String>,
}

/// The airing list's filters as typed in its query string; empty means any. The spot, the
/// outlet and the region by id (the page's selects) or by code; the export takes the same.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
pub struct AiringQuery {
    /// The download's filters beside the page's own.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub campaign: String,
    #[serde(rename = "type", skip_serializing_if = "String::is_empty")]
    pub location_type: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub spot: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub outlet: String,
    /// "state" or "private".
    #[serde(skip_serializing_if = "String::is_empty")]
    pub ownership: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub region: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub from: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub to: String,
}

impl AiringQuery {
    pub fn from_query_string(query: &str) -> Result<AiringQuery, crate::domain::Invalid> {
        query::from_query_string(query)
    }

    /// The filters as a query string (empty ones left out), for page and download links.
    pub fn to_query_string(&self) -> String {
        serde_urlencoded::to_string(self).unwrap_or_default()
    }

    /// Checks every filter at once; the refusals come back under the parameters' names.
    pub fn check(&self, conn: &mut DbConn, regions: Option<Vec<i32>>) -> QueryResult<Result<AiringFilter, Refusals>> {
        let mut refusals = Refusals::new();
        let campaign_id = keep(&mut refusals, "campaign", query::campaign(conn, &self.campaign)?);
        let location_type_id = keep(&mut refusals, "type", query::location_type(conn, &self.location_type)?);
        let material_id = keep(&mut refusals, "spot", query::material(conn, &self.spot)?);
        let location_id = keep(&mut refusals, "outlet", query::place(conn, &self.outlet, "export.err.location")?);
        let ownership = keep(
            &mut refusals,
            "ownership",
            query::one_of(&self.ownership, &crate::models::location::OWNERSHIPS, "export.err.ownership"),
        );
        let region_id = keep(&mut refusals, "region", query::region(conn, &self.region)?);
        let from = keep(&mut refusals, "from", query::date(&self.from));
        let to = keep(&mut refusals, "to", query::date(&self.to));
        query::check_range(&mut refusals, from, to);
        if !refusals.is_empty() {
            return Ok(Err(refusals));
        }
        Ok(Ok(AiringFilter {
            campaign_id,
            location_type_id,
            material_id,
            location_id,
            ownership: ownership.map(str::to_string),
            region_id,
            from,
            to,
            regions,
        }))
    }
}

/// Filters of the airing list and of its totals. Every field narrows; `regions` is the
/// signed-in user's scope (None: every region).
#[derive(Debug, Clone, Default)]
pub struct AiringFilter {
    pub campaign_id: Option<i32>,
    /// The outlet's location type.
    pub location_type_id: Option<i32>,
    pub material_id: Option<MaterialId>,
    pub location_id: Option<LocationId>,
    /// "state" or "private".
    pub ownership: Option<String>,
    pub region_id: Option<i32>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub regions: Option<Vec<i32>>,
}

/// An airing with the names a list shows.
#[derive(Debug, Clone)]
pub struct AiringRow {
    pub airing: Airing,
    pub material_code: String,
    pub material_name: crate::domain::Names,
    pub location_name: String,
    pub ownership: Option<String>,
    /// The correction that reversed this airing, if any.
    pub reversed_by: Option<AiringId>,
}

/// Net times one spot material was aired by one outlet (corrections subtracted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutletTotal {
    pub material_id: MaterialId,
    pub material_code: String,
    pub material_name: crate::domain::Names,
    pub location_id: LocationId,
    pub location_code: String,
    pub location_name: String,
    pub ownership: Option<String>,
    /// Net broadcasts: the sum of `times`, corrections counted negatively.
    pub times: i64,
    /// Net airing records: originals minus corrections.
    pub records: i64,
}

type Predicate = Box<dyn BoxableExpression<airings::table, MultiBackend, SqlType = Bool>>;

impl Airing {
    pub fn is_reversal(&self) -> bool {
        self.reverses_id.is_some()
    }

    /// What this row adds to the totals: its times, negative for a correction.
    pub fn signed_times(&self) -> i64 {
        if self.is_reversal() {
            -i64::from(self.times)
        } else {
            i64::from(self.times)
        }
    }

    /// An airing with the same content recorded by `user_id` since `since`, newest first.
    pub fn recent_same(
        conn: &mut DbConn,
        user_id: UserId,
        new: &NewAiring,
        since: NaiveDateTime,
    ) -> QueryResult<Option<Airing>> {
        airings::table
            .filter(airings::recorded_by.eq(user_id))
            .filter(airings::recorded_at.ge(since))
            .filter(airings::reverses_id.is_null())
            .filter(airings::material_id.eq(new.material_id))
            .filter(airings::location_id.eq(new.location_id))
            .filter(airings::aired_on.eq(new.aired_on))
            .filter(airings::times.eq(new.times))
            .filter(airings::time_slot.eq(&new.time_slot))
            .filter(airings::programme.eq(&new.programme))
            .order(airings::id.desc())
            .select(Airing::as_select())
            .first(conn)
            .optional()
    }

    pub fn insert(conn: &mut DbConn, new: &NewAiring, recorded_by: Option<UserId>) -> QueryResult<AiringId> {
        diesel::insert_into(airings::table)
            .values((
                airings::material_id.eq(new.material_id),
                airings::location_id.eq(new.location_id),
                airings::aired_on.eq(new.aired_on),
                airings::times.eq(new.times),
                airings::time_slot.eq(&new.time_slot),
                airings::programme.eq(&new.programme),
                airings::external_ref.eq(&new.external_ref),
                airings::reason.eq(""),
                airings::recorded_by.eq(recorded_by),
                airings::recorded_at.eq(now()),
            ))
            .returning(airings::id)
            .get_result(conn)
    }

    pub fn find(conn: &mut DbConn, id: AiringId) -> QueryResult<Option<Airing>> {
        airings::table.find(id).select(Airing::as_select()).first(conn).optional()
    }

    /// The correction of airing `id`, if it was reversed.
    pub fn reversal_of(conn: &mut DbConn, id: AiringId) -> QueryResult<Option<Airing>> {
        airings::table.filter(airings::reverses_id.eq(id)).select(Airing::as_select()).first(conn).optional()
    }

    /// Inserts the correcting row of `original`: same spot, outlet, day, slot and times, pointing
    /// at it. The UNIQUE reverses_id refuses a second correction of the same airing; the caller
    /// checks the rules (not already reversed, not itself a correction) first.
    pub fn reverse(
        conn: &mut DbConn,
        original: &Airing,
        reason: &str,
        recorded_by: Option<UserId>,
    ) -> QueryResult<AiringId> {
        diesel::insert_into(airings::table)
            .values((
                airings::material_id.eq(original.material_id),
                airings::location_id.eq(original.location_id),
                airings::aired_on.eq(original.aired_on),
                airings::times.eq(original.times),
                airings::time_slot.eq(&original.time_slot),
                airings::programme.eq(&original.programme),
                airings::reverses_id.eq(Some(original.id)),
                airings::reason.eq(reason),
                airings::recorded_by.eq(recorded_by),
                airings::recorded_at.eq(now()),
            ))
            .returning(airings::id)
            .get_result(conn)
    }

    pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
        airings::table.count().get_result(conn)
    }

    /// One keyset page of airings and corrections, newest day first: the rows after (or before)
    /// a (day, id) key along the `airings_by_date` index, never an OFFSET; counted up to
    /// `COUNT_CAP`.
    pub fn window(
        conn: &mut DbConn,
        filter: &AiringFilter,
        seek: &Seek,
        per_page: usize,
    ) -> QueryResult<Window<AiringRow>> {
        let places = place_ids(conn, filter)?;
        let total = Total::count(conn, airings::table.filter(predicate(filter, places.clone())).select(airings::id))?;
        let key = match seek {
            Seek::After(k) | Seek::Before(k) => keyset::parse_date_key(k),
            Seek::First | Seek::Last => None,
        };
        let q = airings::table.filter(predicate(filter, places)).into_boxed();
        // A key that does not read is the first page (or the last), never an error.
        let q = match (key, seek.backwards()) {
            (Some((on, id)), false) => {
                q.filter(airings::aired_on.le(on).and(airings::aired_on.lt(on).or(airings::id.lt(id))))
            }
            (Some((on, id)), true) => {
                q.filter(airings::aired_on.ge(on).and(airings::aired_on.gt(on).or(airings::id.gt(id))))
            }
            (None, _) => q,
        };
        let q = if seek.backwards() {
            q.order((airings::aired_on.asc(), airings::id.asc()))
        } else {
            q.order((airings::aired_on.desc(), airings::id.desc()))
        };
        let rows: Vec<Airing> = q.limit(per_page as i64 + 1).select(Airing::as_select()).load(conn)?;
        let ids: Vec<AiringId> = rows.iter().map(|a| a.id).collect();
        let reversals: Vec<(AiringId, Option<AiringId>)> = airings::table
            .filter(airings::reverses_id.eq_any(&ids))
            .select((airings::id, airings::reverses_id))
            .load(conn)?;
        let reversed: HashMap<AiringId, AiringId> =
            reversals.into_iter().filter_map(|(id, of)| of.map(|of| (of, id))).collect();
        let names = RowNames::load(conn, rows.iter().map(|a| (a.material_id, a.location_id)))?;
        let rows = rows
            .into_iter()
            .map(|airing| {
                let (material_code, material_name) = names.material(airing.material_id);
                let (_, location_name, ownership) = names.location(airing.location_id);
                AiringRow {
                    reversed_by: reversed.get(&airing.id).copied(),
                    material_code,
                    material_name,
                    location_name,
                    ownership,
                    airing,
                }
            })
            .collect();
        Ok(Window::from_rows(rows, per_page, seek, total, |r: &AiringRow| {
            keyset::date_key(r.airing.aired_on, r.airing.id)
        }))
    }

    /// Net times per spot material and outlet, largest first; outlets whose airings were all
    /// corrected stay, with 0.
    pub fn totals_by_outlet(conn: &mut DbConn, filter: &AiringFilter) -> QueryResult<Vec<OutletTotal>> {
        let places = place_ids(conn, filter)?;
        let mut net: BTreeMap<(MaterialId, LocationId), (i64, i64)> = BTreeMap::new();
        for reversals in [false, true] {
            let sign = if reversals { -1 } else { 1 };
            let rows: Vec<(MaterialId, LocationId, Option<i64>, i64)> = airings::table
                .filter(predicate(filter, places.clone()))
                .filter(kind(reversals))
                .group_by((airings::material_id, airings::location_id))
                .select((airings::material_id, airings::location_id, sum(airings::times), diesel::dsl::count_star()))
                .load(conn)?;
            for (m, l, times, records) in rows {
                let entry = net.entry((m, l)).or_default();
                entry.0 += sign * times.unwrap_or(0);
                entry.1 += sign * records;
            }
        }
        let names = RowNames::load(conn, net.keys().copied())?;
        let mut totals: Vec<OutletTotal> = net
            .into_iter()
            .map(|((material_id, location_id), (times, records))| {
                let (material_code, material_name) = names.material(material_id);
                let (location_code, location_name, ownership) = names.location(location_id);
                OutletTotal {
                    material_id,
                    material_code,
                    material_name,
                    location_id,
                    location_code,
                    location_name,
                    ownership,
                    times,
                    records,
                }
            })
            .collect();
        totals.sort_by(|a, b| {
            b.times
                .cmp(&a.times)
                .then_with(|| crate::domain::collation::compare(&a.location_name, &b.location_name))
                .then_with(|| a.material_id.cmp(&b.material_id))
        });
        Ok(totals)
    }

    /// Net times per month ("YYYY-MM"), oldest first, every month from the first to the last
    /// (months without airings show 0). Grouped in Rust: no backend-specific date functions.
    pub fn by_month(conn: &mut DbConn, filter: &AiringFilter) -> QueryResult<Vec<(String, i64)>> {
        let places = place_ids(conn, filter)?;
        let mut months: BTreeMap<(i32, u32), i64> = BTreeMap::new();
        for reversals in [false, true] {
            let sign = if reversals { -1 } else { 1 };
            let rows: Vec<(NaiveDate, Option<i64>)> = airings::table
                .filter(predicate(filter, places.clone()))
                .filter(kind(reversals))
                .group_by(airings::aired_on)
                .select((airings::aired_on, sum(airings::times)))
                .load(conn)?;
            for (day, times) in rows {
                *months.entry((day.year(), day.month())).or_default() += sign * times.unwrap_or(0);
            }
        }
        let (Some(first), Some(last)) = (months.keys().next().copied(), months.keys().last().copied()) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        let (mut y, mut m) = first;
        while (y, m) <= last {
            out.push((format!("{y:04}-{m:02}"), months.get(&(y, m)).copied().unwrap_or(0)));
            (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        }
        Ok(out)
    }

    /// Net times aired and how many distinct outlets aired at least once (net), for one spot
    /// material (None: all) between two days (inclusive; None: open).
    pub fn summary(
        conn: &mut DbConn,
        material_id: Option<MaterialId>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> QueryResult<(i64, i64)> {
        let filter = AiringFilter { material_id, from, to, ..Default::default() };
        let totals = Self::totals_by_outlet(conn, &filter)?;
        let times = totals.iter().map(|t| t.times).sum();
        let mut per_outlet: HashMap<LocationId, i64> = HashMap::new();
        for t in &totals {
            *per_outlet.entry(t.location_id).or_default() += t.times;
        }
        let outlets = per_outlet.values().filter(|n| **n > 0).count() as i64;
        Ok((times, outlets))
    }

    /// Net times aired (see `summary`).
    pub fn net_total(
        conn: &mut DbConn,
        material_id: Option<MaterialId>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> QueryResult<i64> {
        Ok(Self::summary(conn, material_id, from, to)?.0)
    }

    /// Distinct outlets that aired (net) at least once (see `summary`).
    pub fn outlets_count(
        conn: &mut DbConn,
        material_id: Option<MaterialId>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> QueryResult<i64> {
        Ok(Self::summary(conn, material_id, from, to)?.1)
    }
}

/// The spot materials (kind broadcast_spot), in campaign order.
pub fn spots(conn: &mut DbConn) -> QueryResult<Vec<Material>> {
    materials::table
        .filter(materials::kind.eq(BROADCAST_SPOT))
        .order((materials::campaign_id, materials::id))
        .select(Material::as_select())
        .load(conn)
}

/// Media outlets by name, optionally only active ones and only in some regions.
pub fn media_outlets(conn: &mut DbConn, active_only: bool, regions: Option<&[i32]>) -> QueryResult<Vec<Location>> {
    let mut q =
        locations::table.inner_join(location_types::table).filter(location_types::code.eq(MEDIA_OUTLET)).into_boxed();
    if active_only {
        q = q.filter(locations::is_active.eq(true));
    }
    if let Some(regions) = regions {
        q = q.filter(locations::region_id.eq_any(regions.to_vec()));
    }
    let mut outlets: Vec<Location> = q.select(Location::as_select()).load(conn)?;
    outlets.sort_by_cached_key(|l| crate::domain::collation::sort_key(&l.name));
    Ok(outlets)
}

/// True when `location` is of the media outlet type.
pub fn is_media_outlet(conn: &mut DbConn, location: &Location) -> QueryResult<bool> {
    let code: Option<String> =
        location_types::table.find(location.location_type_id).select(location_types::code).first(conn).optional()?;
    Ok(code.as_deref() == Some(MEDIA_OUTLET))
}

fn kind(reversals: bool) -> Predicate {
    if reversals {
        Box::new(airings::reverses_id.is_not_null())
    } else {
        Box::new(airings::reverses_id.is_null())
    }
}

/// The locations a filter allows, when it narrows them (None: any location).
fn place_ids(conn: &mut DbConn, filter: &AiringFilter) -> QueryResult<Option<Vec<LocationId>>> {
    if filter.location_id.is_none()
        && filter.ownership.is_none()
        && filter.region_id.is_none()
        && filter.location_type_id.is_none()
        && filter.regions.is_none()
    {
        return Ok(None);
    }
    let mut q = locations::table.into_boxed();
    if let Some(id) = filter.location_type_id {
        q = q.filter(locations::location_type_id.eq(id));
    }
    if let Some(id) = filter.location_id {
        q = q.filter(locations::id.eq(id));
    }
    if let Some(ownership) = &filter.ownership {
        q = q.filter(locations::ownership.eq(ownership.clone()));
    }
    if let Some(region) = filter.region_id {
        q = q.filter(locations::region_id.eq(region));
    }
    if let Some(regions) = &filter.regions {
        q = q.filter(locations::region_id.eq_any(regions.clone()));
    }
    Ok(Some(q.select(locations::id).load(conn)?))
}

impl AiringFilter {
    /// The airings this filter lets through, corrections included: the list pages them, its
    /// download keeps the net ones.
    pub fn query(&self, conn: &mut DbConn) -> QueryResult<airings::BoxedQuery<'static, MultiBackend>> {
        let places = place_ids(conn, self)?;
        Ok(airings::table.filter(predicate(self, places)).into_boxed())
    }
}

/// The filter as one boolean expression over `airings` alone, so it serves plain, paged and
/// grouped queries alike.
fn predicate(filter: &AiringFilter, places: Option<Vec<LocationId>>) -> Predicate {
    let mut parts: Vec<Predicate> = Vec::new();
    if let Some(m) = filter.material_id {
        parts.push(Box::new(airings::material_id.eq(m)));
    }
    if let Some(campaign) = filter.campaign_id {
        let spots = materials::table.filter(materials::campaign_id.eq(campaign)).select(materials::id);
        parts.push(Box::new(airings::material_id.eq_any(spots)));
    }
    if let Some(places) = places {
        parts.push(Box::new(airings::location_id.eq_any(places)));
    }
    if let Some(from) = filter.from {
        parts.push(Box::new(airings::aired_on.ge(from)));
    }
    if let Some(to) = filter.to {
        parts.push(Box::new(airings::aired_on.le(to)));
    }
    parts.into_iter().fold(Box::new(airings::id.is_not_null()), |acc, p| Box::new(acc.and(p)))
}

/// Codes and names of the materials and locations some rows refer to.
struct RowNames {
    materials: HashMap<MaterialId, (String, crate::domain::Names)>,
    locations: HashMap<LocationId, (String, String, Option<String>)>,
}

impl RowNames {
    fn load(conn: &mut DbConn, pairs: impl Iterator<Item = (MaterialId, LocationId)>) -> QueryResult<RowNames> {
        let (mut material_ids, mut location_ids): (Vec<MaterialId>, Vec<LocationId>) = pairs.unzip();
        material_ids.sort_unstable();
        material_ids.dedup();
        location_ids.sort_unstable();
        location_ids.dedup();
        let materials: Vec<(MaterialId, String, crate::domain::Names)> = materials::table
            .filter(materials::id.eq_any(&material_ids))
            .select((materials::id, materials::code, (materials::name_en, materials::name_es)))
            .load(conn)?;
        let locations: Vec<(LocationId, String, String, Option<String>)> = locations::table
            .filter(locations::id.eq_any(&location_ids))
            .select((locations::id, locations::code, locations::name, locations::ownership))
            .load(conn)?;
        Ok(RowNames {
            materials: materials.into_iter().map(|(id, code, name)| (id, (code, name))).collect(),
            locations: locations.into_iter().map(|(id, code, name, o)| (id, (code, name, o))).collect(),
        })
    }

    fn material(&self, id: MaterialId) -> (String, crate::domain::Names) {
        self.materials.get(&id).cloned().unwrap_or_default()
    }

    fn location(&self, id: LocationId) -> (String, String, Option<String>) {
        self.locations.get(&id).cloned().unwrap_or_default()
    }
}
