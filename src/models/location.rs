//! The location registry every campaign uses: depots and distribution points. Never deleted.

use crate::db::schema::{location_types, locations, regions, stock_balances};
use crate::db::DbConn;
use crate::domain::collation::sort_key;
use crate::domain::{Invalid, Names};
use crate::domain::{LocationId, MaterialId};
use crate::models::{like_pattern, now, Page};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Who owns a media outlet.
pub const OWNERSHIPS: [&str; 2] = ["state", "private"];

/// Checks an ownership; empty means none.
pub fn parse_ownership(raw: &str) -> Result<Option<&'static str>, Invalid> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    OWNERSHIPS.iter().find(|o| **o == raw).map(|o| Some(*o)).ok_or(Invalid::new("err.unknown_choice"))
}

/// An ISO 3166-1 alpha-2 country code.
pub fn parse_country(raw: &str) -> Result<String, Invalid> {
    let code = raw.trim().to_uppercase();
    if code.is_empty() {
        return Err(Invalid::new("err.required"));
    }
    if code.len() != 2 || !code.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(Invalid::new("err.country"));
    }
    Ok(code)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = locations)]
pub struct Location {
    pub id: LocationId,
    pub code: String,
    pub name: String,
    pub location_type_id: i32,
    /// None only for system locations (stock in transit), which belong to no region.
    pub region_id: Option<i32>,
    pub city: String,
    pub country: String,
    pub ownership: Option<String>,
    pub contact: String,
    pub is_depot: bool,
    pub is_active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// When staff last made the place's confirmation PIN (the PIN itself is kept only hashed).
    pub confirm_pin_set_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = locations)]
#[diesel(treat_none_as_null = true)]
pub struct LocationChanges {
    pub code: String,
    pub name: String,
    pub location_type_id: i32,
    pub region_id: Option<i32>,
    pub city: String,
    pub country: String,
    pub ownership: Option<String>,
    pub contact: String,
    /// Copied from the location type, so depot queries need no join.
    pub is_depot: bool,
}

/// A location with the names of its type and region, as lists show it.
#[derive(Debug, Clone)]
pub struct LocationRow {
    pub location: Location,
    pub type_code: String,
    pub type_name_en: String,
    pub type_name_es: String,
    pub region_code: String,
    pub region_name: Names,
}

/// The location list's filters as typed in its query string (`region`, `type`, `q`, `status`);
/// empty means any, and the status active. A region or type by id or by code.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct LocationQuery {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub region: String,
    #[serde(rename = "type", skip_serializing_if = "String::is_empty")]
    pub location_type: String,
    #[serde(rename = "q", skip_serializing_if = "String::is_empty")]
    pub text: String,
    /// "active" (the default), "inactive" or "all".
    #[serde(skip_serializing_if = "String::is_empty")]
    pub status: String,
}

impl LocationQuery {
    pub fn from_query_string(query: &str) -> Result<LocationQuery, Invalid> {
        crate::models::query::from_query_string(query)
    }

    /// The filters as a query string (empty ones left out), for page and download links.
    pub fn to_query_string(&self) -> String {
        serde_urlencoded::to_string(self).unwrap_or_default()
    }

    /// Checks every filter at once; refusals come back under the parameters' names.
    pub fn check(&self, conn: &mut DbConn) -> QueryResult<Result<LocationFilter, crate::models::query::Refusals>> {
        use crate::models::query::{self, keep, Refusals};
        let mut refusals = Refusals::new();
        let region_id = keep(&mut refusals, "region", query::region(conn, &self.region)?);
        let location_type_id = keep(&mut refusals, "type", query::location_type(conn, &self.location_type)?);
        let text = keep(&mut refusals, "q", query::text(&self.text, 100));
        let status = keep(
            &mut refusals,
            "status",
            query::one_of(&self.status, &["active", "inactive", "all"], "export.err.status"),
        );
        if !refusals.is_empty() {
            return Ok(Err(refusals));
        }
        let active = match status {
            Some("all") => None,
            Some("inactive") => Some(false),
            _ => Some(true),
        };
        Ok(Ok(LocationFilter { region_id, location_type_id, text, active, system: false }))
    }
}

/// The location list's filters, checked.
#[derive(Debug, Default, Clone)]
pub struct LocationFilter {
    pub region_id: Option<i32>,
    pub location_type_id: Option<i32>,
    pub text: Option<String>,
    /// None: all; Some(true): active only; Some(false): deactivated only.
    pub active: Option<bool>,
    /// The system location for stock in transit (in no region) too: the download lists every
    /// place, the page those people manage.
    pub system: bool,
}

/// Places with their type and region: what every reader of the location list narrows.
#[diesel::dsl::auto_type]
fn places() -> _ {
    let region_of_place: diesel::dsl::Eq<locations::region_id, diesel::dsl::Nullable<regions::id>> =
        locations::region_id.eq(regions::id.nullable());
    locations::table.inner_join(location_types::table).left_join(regions::table.on(region_of_place))
}

/// The location list's one query, which the page orders and pages and the export reads in
/// chunks.
pub type Places = diesel::dsl::IntoBoxed<'static, places, crate::db::connection::MultiBackend>;

impl LocationFilter {
    pub fn query(&self) -> Places {
        let mut query = places().into_boxed();
        if !self.system {
            query = query.filter(locations::region_id.is_not_null());
        }
        if let Some(id) = self.region_id {
            query = query.filter(locations::region_id.eq(id));
        }
        if let Some(id) = self.location_type_id {
            query = query.filter(locations::location_type_id.eq(id));
        }
        if let Some(active) = self.active {
            query = query.filter(locations::is_active.eq(active));
        }
        if let Some(text) = self.text.as_deref().filter(|t| !t.trim().is_empty()) {
            let pattern = like_pattern(text.trim());
            query = query.filter(
                diesel::dsl::sql::<diesel::sql_types::Bool>("(lower(locations.name) LIKE ")
                    .bind::<diesel::sql_types::Text, _>(pattern.clone())
                    .sql(" ESCAPE '\\' OR lower(locations.code) LIKE ")
                    .bind::<diesel::sql_types::Text, _>(pattern.clone())
                    .sql(" ESCAPE '\\' OR lower(locations.city) LIKE ")
                    .bind::<diesel::sql_types::Text, _>(pattern)
                    .sql(" ESCAPE '\\')"),
            );
        }
        query
    }
}

/// The places of one region a shipment can go to, each with its type's name.
#[derive(Debug, Clone)]
pub struct DestinationGroup {
    pub region_id: i32,
    pub region: Names,
    pub places: Vec<(Location, Names)>,
}

type RowTuple = (Location, String, String, String, String, Names);

impl Location {
    /// Every place in these regions, active or not.
    pub fn ids_in_regions(conn: &mut DbConn, regions: &[i32]) -> QueryResult<Vec<LocationId>> {
        locations::table.filter(locations::region_id.eq_any(regions)).select(locations::id).load(conn)
    }

    pub fn find(conn: &mut DbConn, id: LocationId) -> QueryResult<Option<LocationRow>> {
        locations::table
            .inner_join(location_types::table)
            .inner_join(regions::table)
            .filter(locations::id.eq(id))
            .select((
                Location::as_select(),
                location_types::code,
                location_types::name_en,
                location_types::name_es,
                regions::code,
                (regions::name_en, regions::name_es),
            ))
            .first::<RowTuple>(conn)
            .optional()
            .map(|row| row.map(into_row))
    }

    pub fn find_by_code(conn: &mut DbConn, code: &str) -> QueryResult<Option<Location>> {
        locations::table.filter(locations::code.eq(code)).select(Location::as_select()).first(conn).optional()
    }

    /// The system location holding stock in transit.
    pub fn transit_id(conn: &mut DbConn) -> QueryResult<LocationId> {
        locations::table.filter(locations::code.eq("TRANSIT")).select(locations::id).first(conn)
    }

    pub fn page(
        conn: &mut DbConn,
        filter: &LocationFilter,
        page: i64,
        per_page: i64,
    ) -> QueryResult<Page<LocationRow>> {
        let total = filter.query().count().get_result(conn)?;
        // The page lists places in regions only (`query`), so every region column is there.
        let rows = filter
            .query()
            .order((regions::is_abroad.nullable(), regions::sort_key.nullable(), locations::sort_key, locations::id))
            .limit(per_page)
            .offset((page - 1) * per_page)
            .select((
                Location::as_select(),
                location_types::code,
                location_types::name_en,
                location_types::name_es,
                regions::code.nullable().assume_not_null(),
                (regions::name_en.nullable().assume_not_null(), regions::name_es.nullable().assume_not_null()),
            ))
            .load::<RowTuple>(conn)?;
        Ok(Page { rows: rows.into_iter().map(into_row).collect(), total, page, per_page })
    }

    pub fn insert(conn: &mut DbConn, new: &LocationChanges) -> QueryResult<LocationId> {
        let at = now();
        diesel::insert_into(locations::table)
            .values((
                new,
                locations::sort_key.eq(sort_key(&new.name)),
                locations::is_active.eq(true),
                locations::created_at.eq(at),
                locations::updated_at.eq(at),
            ))
            .returning(locations::id)
            .get_result(conn)
    }

    pub fn update(conn: &mut DbConn, id: LocationId, changes: &LocationChanges) -> QueryResult<usize> {
        diesel::update(locations::table.find(id))
            .set((changes, locations::sort_key.eq(sort_key(&changes.name)), locations::updated_at.eq(now())))
            .execute(conn)
    }

    /// Replaces the place's confirmation PIN (its argon2id hash): the PIN before it stops
    /// working at once.
    /// Only an active distribution point is changed (checked again here: the command's check
    /// ran on a read connection).
    pub fn set_confirm_pin(conn: &mut DbConn, id: LocationId, pin_hash: &str) -> QueryResult<usize> {
        let at = now();
        let point = locations::table
            .find(id)
            .filter(locations::is_depot.eq(false))
            .filter(locations::is_active.eq(true))
            .filter(locations::region_id.is_not_null());
        diesel::update(point)
            .set((locations::confirm_pin_hash.eq(pin_hash), locations::confirm_pin_set_at.eq(at)))
            .execute(conn)
    }

    /// The stored hash of the place's confirmation PIN, if it has one.
    pub fn confirm_pin_hash(conn: &mut DbConn, id: LocationId) -> QueryResult<Option<String>> {
        locations::table.find(id).select(locations::confirm_pin_hash).first(conn).optional().map(Option::flatten)
    }

    /// Deactivated locations stay in every history but are offered for no new work.
    pub fn set_active(conn: &mut DbConn, id: LocationId, active: bool) -> QueryResult<usize> {
        diesel::update(locations::table.find(id))
            .set((locations::is_active.eq(active), locations::updated_at.eq(now())))
            .execute(conn)
    }

    /// Active depots, optionally only in some regions, by name.
    pub fn depots(conn: &mut DbConn, regions: Option<&[i32]>) -> QueryResult<Vec<Location>> {
        let mut q =
            locations::table.filter(locations::is_depot.eq(true)).filter(locations::is_active.eq(true)).into_boxed();
        if let Some(regions) = regions {
            q = q.filter(locations::region_id.eq_any(regions.to_vec()));
        }
        q.order((locations::sort_key, locations::id)).select(Location::as_select()).load(conn)
    }

    /// Every active location that can receive a shipment, grouped by region in Spanish order,
    /// each with its type so the picker can say what a place is and narrow by it.
    pub fn destinations(conn: &mut DbConn) -> QueryResult<Vec<DestinationGroup>> {
        let rows: Vec<(Location, Names, Names)> = locations::table
            .inner_join(regions::table)
            .inner_join(location_types::table)
            .filter(locations::is_active.eq(true))
            .order((regions::is_abroad, regions::sort_key, locations::sort_key, locations::id))
            .select((
                Location::as_select(),
                (regions::name_en, regions::name_es),
                (location_types::name_en, location_types::name_es),
            ))
            .load(conn)?;
        let mut groups: Vec<DestinationGroup> = Vec::new();
        for (location, region, type_name) in rows {
            match groups.last_mut() {
                Some(group) if Some(group.region_id) == location.region_id => group.places.push((location, type_name)),
                _ => groups.push(DestinationGroup {
                    region_id: location.region_id.unwrap_or_default(),
                    region,
                    places: vec![(location, type_name)],
                }),
            }
        }
        Ok(groups)
    }

    /// What each of these places holds, material by material (the balance cache).
    pub fn holdings(conn: &mut DbConn, location_ids: &[LocationId]) -> QueryResult<Vec<(LocationId, MaterialId, i32)>> {
        stock_balances::table
            .filter(stock_balances::location_id.eq_any(location_ids))
            .filter(stock_balances::on_hand.ne(0))
            .select((stock_balances::location_id, stock_balances::material_id, stock_balances::on_hand))
            .load(conn)
    }

    /// A location by id without joins (system locations included).
    pub fn get(conn: &mut DbConn, id: LocationId) -> QueryResult<Option<Location>> {
        locations::table.find(id).select(Location::as_select()).first(conn).optional()
    }

    pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
        locations::table.count().get_result(conn)
    }
}

fn into_row(row: RowTuple) -> LocationRow {
    LocationRow {
        location: row.0,
        type_code: row.1,
        type_name_en: row.2,
        type_name_es: row.3,
        region_code: row.4,
        region_name: row.5,
    }
}
