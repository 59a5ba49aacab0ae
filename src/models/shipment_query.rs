//! The shipment list's query type: what the list page, the shipments export and the command
//! line ask for. `ShipmentQuery` is the query string as typed; `check` turns it into a
//! `ShipmentFilter` of ids and dates or refuses it field by field; `ShipmentFilter::query` is
//! the one diesel query every reader of the list narrows.

use crate::db::connection::MultiBackend;
use crate::db::schema::{locations, materials, shipment_lines, shipments};
use crate::db::DbConn;
use crate::domain::Invalid;
use crate::models::like_pattern;
use crate::models::query::{self, keep, Refusals};
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Date, Text};
use serde::{Deserialize, Serialize};

/// The longest search text the list takes.
pub const TEXT_MAX: usize = 100;

/// The list's filters as typed in its query string; empty means any. Materials, places, regions,
/// types and campaigns by id (the page's selects) or by code (scripts and the command line).
/// The page's own `after`, `before` and `last` are not its business.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
pub struct ShipmentQuery {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub status: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub campaign: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub material: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub origin: String,
    /// The destination's region.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub region: String,
    /// The destination's location type.
    #[serde(rename = "type", skip_serializing_if = "String::is_empty")]
    pub location_type: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub from: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub to: String,
    /// Part of the reference or of a place's name.
    #[serde(rename = "q", skip_serializing_if = "String::is_empty")]
    pub text: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub sort: String,
    /// "points": distribution points only (no transfers between depots).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub dest: String,
}

/// The shipment filters, checked: every field optional.
#[derive(Debug, Default, Clone)]
pub struct ShipmentFilter {
    pub status: Option<String>,
    pub campaign_id: Option<i32>,
    pub material_id: Option<i32>,
    pub origin_id: Option<i32>,
    pub destination_region_id: Option<i32>,
    pub destination_type_id: Option<i32>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub text: Option<String>,
    /// Only shipments whose origin or destination lies in these regions (a region-limited user).
    pub regions: Option<Vec<i32>>,
    /// Only shipments to places that are not depots: distribution, not transfers.
    pub points_only: bool,
    pub sort: ShipmentSort,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum ShipmentSort {
    #[default]
    Newest,
    Oldest,
    Reference,
    Status,
}

impl ShipmentSort {
    pub const ALL: [ShipmentSort; 4] =
        [ShipmentSort::Newest, ShipmentSort::Oldest, ShipmentSort::Reference, ShipmentSort::Status];

    /// "" is the default order; anything unknown is None.
    pub fn parse(raw: &str) -> Option<ShipmentSort> {
        match raw.trim() {
            "" => Some(ShipmentSort::Newest),
            raw => ShipmentSort::ALL.into_iter().find(|s| s.as_str() == raw),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ShipmentSort::Newest => "newest",
            ShipmentSort::Oldest => "oldest",
            ShipmentSort::Reference => "reference",
            ShipmentSort::Status => "status",
        }
    }
}

/// The date a shipment is filed under: delivered, else dispatched, else expected. (Both
/// backends store dates as comparable values; a timestamp cast would differ between them.)
pub const EFFECTIVE_DATE_SQL: &str = "COALESCE(shipments.delivered_on, shipments.dispatched_on, shipments.expected_on)";

/// The shipments a filter lets through, before any order or page.
pub type Shipments = shipments::BoxedQuery<'static, MultiBackend>;

impl ShipmentQuery {
    pub fn from_query_string(query: &str) -> Result<ShipmentQuery, Invalid> {
        query::from_query_string(query)
    }

    /// The filters as a query string (empty ones left out), for page and download links.
    pub fn to_query_string(&self) -> String {
        serde_urlencoded::to_string(self).unwrap_or_default()
    }

    /// Checks every filter at once; the refusals come back per field, under the parameter's
    /// name. `regions` is what a region-limited user may see.
    pub fn check(&self, conn: &mut DbConn, regions: Option<Vec<i32>>) -> QueryResult<Result<ShipmentFilter, Refusals>> {
        let mut refusals = Refusals::new();
        let status = keep(
            &mut refusals,
            "status",
            query::one_of(&self.status, &super::shipment::STATUSES, "export.err.shipment_status"),
        );
        let campaign_id = keep(&mut refusals, "campaign", query::campaign(conn, &self.campaign)?);
        let material_id = keep(&mut refusals, "material", query::material(conn, &self.material)?);
        let origin_id = keep(&mut refusals, "origin", query::place(conn, &self.origin, "export.err.origin")?);
        let destination_region_id = keep(&mut refusals, "region", query::region(conn, &self.region)?);
        let destination_type_id = keep(&mut refusals, "type", query::location_type(conn, &self.location_type)?);
        let from = keep(&mut refusals, "from", query::date(&self.from));
        let to = keep(&mut refusals, "to", query::date(&self.to));
        query::check_range(&mut refusals, from, to);
        let text = keep(&mut refusals, "q", query::text(&self.text, TEXT_MAX));
        let sort = keep(
            &mut refusals,
            "sort",
            ShipmentSort::parse(&self.sort).map(Some).ok_or_else(|| Invalid::with("filter.err.sort", self.sort.trim())),
        );
        let points_only =
            keep(&mut refusals, "dest", query::one_of(&self.dest, &["points"], "filter.err.dest")).is_some();
        if !refusals.is_empty() {
            return Ok(Err(refusals));
        }
        Ok(Ok(ShipmentFilter {
            status: status.map(str::to_string),
            campaign_id,
            material_id,
            origin_id,
            destination_region_id,
            destination_type_id,
            from,
            to,
            text,
            regions,
            points_only,
            sort: sort.unwrap_or_default(),
        }))
    }
}

/// The places a filter's destination region, type or "distribution points only" stands for.
#[derive(Debug, Clone)]
pub struct PlaceLists {
    destinations: Option<Vec<i32>>,
    depots: Vec<i32>,
}

impl ShipmentFilter {
    /// The shipments this filter lets through: one query over `shipments` alone, which the
    /// list orders and pages and the export reads in chunks.
    pub fn query(&self, conn: &mut DbConn) -> QueryResult<Shipments> {
        let places = self.places(conn)?;
        Ok(self.rows(&places))
    }

    /// Places are few, so a region, a type or "not a depot" becomes a list of place ids read
    /// once per page or export; the list then walks its sort index and checks each shipment
    /// against them.
    pub fn places(&self, conn: &mut DbConn) -> QueryResult<PlaceLists> {
        let destinations: Option<Vec<i32>> =
            if self.destination_region_id.is_some() || self.destination_type_id.is_some() {
                let mut places = locations::table.select(locations::id).into_boxed();
                if let Some(region_id) = self.destination_region_id {
                    places = places.filter(locations::region_id.eq(region_id));
                }
                if let Some(type_id) = self.destination_type_id {
                    places = places.filter(locations::location_type_id.eq(type_id));
                }
                if self.points_only {
                    places = places.filter(locations::is_depot.eq(false));
                }
                Some(places.load(conn)?)
            } else {
                None
            };
        let depots: Vec<i32> = if self.points_only && destinations.is_none() {
            locations::table.filter(locations::is_depot.eq(true)).select(locations::id).load(conn)?
        } else {
            Vec::new()
        };
        Ok(PlaceLists { destinations, depots })
    }

    /// `query` over place lists already read.
    pub fn rows(&self, places: &PlaceLists) -> Shipments {
        let mut q = shipments::table.into_boxed();
        if let Some(status) = &self.status {
            q = q.filter(shipments::status.eq(status.clone()));
        }
        // Checked per shipment on its (shipment, material) key: the list walks its sort index
        // and stops at a page, where a set of every shipment with the material would be built.
        if let Some(material_id) = self.material_id {
            q = q.filter(diesel::dsl::exists(
                shipment_lines::table
                    .filter(shipment_lines::shipment_id.eq(shipments::id))
                    .filter(shipment_lines::material_id.eq(material_id)),
            ));
        }
        if let Some(campaign_id) = self.campaign_id {
            q = q.filter(diesel::dsl::exists(
                shipment_lines::table
                    .inner_join(materials::table)
                    .filter(shipment_lines::shipment_id.eq(shipments::id))
                    .filter(materials::campaign_id.eq(campaign_id)),
            ));
        }
        if let Some(origin_id) = self.origin_id {
            q = q.filter(shipments::origin_id.eq(origin_id));
        }
        if let Some(places) = &places.destinations {
            q = q.filter(shipments::destination_id.eq_any(places.clone()));
        } else if !places.depots.is_empty() {
            q = q.filter(shipments::destination_id.ne_all(places.depots.clone()));
        }
        if let Some(from) = self.from {
            q = q.filter(diesel::dsl::sql::<Bool>(&format!("{EFFECTIVE_DATE_SQL} >= ")).bind::<Date, _>(from));
        }
        if let Some(to) = self.to {
            q = q.filter(diesel::dsl::sql::<Bool>(&format!("{EFFECTIVE_DATE_SQL} <= ")).bind::<Date, _>(to));
        }
        if let Some(regions) = &self.regions {
            // Whole numbers, written into the SQL. The unary plus keeps SQLite walking the
            // list's sort index and stopping at a page, where it would otherwise gather every
            // shipment of the region's places through two indexes and sort them (182 ms →
            // 12 ms for Caracas at 419,000 shipments).
            let list: Vec<String> = regions.iter().map(i32::to_string).collect();
            let places = format!("(SELECT id FROM locations WHERE region_id IN ({}))", list.join(","));
            q = q.filter(diesel::dsl::sql::<Bool>(&if regions.is_empty() {
                "1 = 0".to_string()
            } else {
                format!("(+shipments.origin_id IN {places} OR +shipments.destination_id IN {places})")
            }));
        }
        if let Some(text) = &self.text {
            let pattern = like_pattern(text);
            // Places are few: match their names once, then each shipment is two set checks.
            q = q.filter(
                diesel::dsl::sql::<Bool>("(lower(shipments.reference) LIKE ")
                    .bind::<Text, _>(pattern.clone())
                    .sql(" ESCAPE '\\' OR shipments.origin_id IN (SELECT id FROM locations WHERE lower(name) LIKE ")
                    .bind::<Text, _>(pattern.clone())
                    .sql(" ESCAPE '\\') OR shipments.destination_id IN (SELECT id FROM locations WHERE lower(name) LIKE ")
                    .bind::<Text, _>(pattern)
                    .sql(" ESCAPE '\\'))"),
            );
        }
        q
    }
}
