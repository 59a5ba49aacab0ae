//! The kinds of export, their filters (the same as the pages'), and row sources that read
//! keyset-paginated chunks (`WHERE (day, id) > last ORDER BY day, id LIMIT n`): diesel loads a
//! whole result set, so a chunk at a time keeps memory flat however large the export. Dated
//! rows (distributions, receipts, airings, ledger movements) come in date order, the rest by id.
//!
//! One file per kind, each with its columns, a `count` and a `chunk`:
//! `distributions`, `locations`, `shipments`, `receipts`, `airings`, `targets`, `stock`
//! (balances), `ledger` (movements) and `coverage` (the dashboard's region × type figures).

mod airings;
mod coverage;
mod distributions;
mod ledger;
mod locations;
mod receipts;
mod shipments;
mod stock;
mod targets;

use crate::db::schema::{campaigns, materials};
use crate::db::DbConn;
use crate::domain::{Invalid, Lang};
use crate::domain::{LocationId, MaterialId};
use crate::models::airing::{AiringFilter, AiringQuery};
use crate::models::location::{LocationFilter, LocationQuery};
use crate::models::query::{self, keep};
use crate::models::receipt::{ReceiptFilter, ReceiptQuery};
use crate::models::shipment::{ShipmentFilter, ShipmentQuery};
use crate::reports::stock::{HoldingFilter, StockQuery};
use chrono::NaiveDate;
use diesel::prelude::*;

pub use airings::AIRING_COLUMNS;
pub use coverage::COVERAGE_COLUMNS;
pub use distributions::DISTRIBUTION_COLUMNS;
pub use ledger::LEDGER_COLUMNS;
pub use locations::LOCATION_COLUMNS;
pub use receipts::RECEIPT_COLUMNS;
pub use shipments::SHIPMENT_COLUMNS;
pub use stock::STOCK_COLUMNS;
pub use targets::TARGET_COLUMNS;

/// Rows read per query.
pub const CHUNK: i64 = 5000;

/// Excel's row limit, header included.
pub const XLSX_MAX_ROWS: u64 = 1_048_576;

/// What can be exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Distributions,
    Locations,
    Shipments,
    Receipts,
    Airings,
    Targets,
    /// Balances: what each place holds of each material.
    Stock,
    /// Movements of the stock ledger.
    Ledger,
    /// The dashboard's region × location type figures for a campaign, material and range.
    Coverage,
}

impl Kind {
    pub const ALL: [Kind; 9] = [
        Kind::Distributions,
        Kind::Locations,
        Kind::Shipments,
        Kind::Receipts,
        Kind::Airings,
        Kind::Targets,
        Kind::Stock,
        Kind::Ledger,
        Kind::Coverage,
    ];

    pub fn parse(raw: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Distributions => "distributions",
            Kind::Locations => "locations",
            Kind::Shipments => "shipments",
            Kind::Receipts => "receipts",
            Kind::Airings => "airings",
            Kind::Targets => "targets",
            Kind::Stock => "stock",
            Kind::Ledger => "ledger",
            Kind::Coverage => "coverage",
        }
    }

    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Kind::Distributions => &DISTRIBUTION_COLUMNS,
            Kind::Locations => &LOCATION_COLUMNS,
            Kind::Shipments => &SHIPMENT_COLUMNS,
            Kind::Receipts => &RECEIPT_COLUMNS,
            Kind::Airings => &AIRING_COLUMNS,
            Kind::Targets => &TARGET_COLUMNS,
            Kind::Stock => &STOCK_COLUMNS,
            Kind::Ledger => &LEDGER_COLUMNS,
            Kind::Coverage => &COVERAGE_COLUMNS,
        }
    }
}

/// One value of an export row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    Date(NaiveDate),
    Bool(bool),
    Empty,
}

impl From<Option<String>> for Cell {
    fn from(value: Option<String>) -> Self {
        value.map(Cell::Text).unwrap_or(Cell::Empty)
    }
}

impl Cell {
    fn date(value: Option<NaiveDate>) -> Cell {
        value.map(Cell::Date).unwrap_or(Cell::Empty)
    }

    fn int(value: Option<i32>) -> Cell {
        value.map(|n| Cell::Int(i64::from(n))).unwrap_or(Cell::Empty)
    }
}

/// The filters as typed (page query or command line); codes or ids, empty means any.
#[derive(Debug, Clone, Default)]
pub struct Params {
    pub campaign: String,
    pub material: String,
    pub region: String,
    pub location_type: String,
    pub from: String,
    pub to: String,
    /// Locations: text search over name, code and city.
    pub text: String,
    /// Locations: "active" (default), "inactive" or "all"; shipments: a shipment status;
    /// airings: the outlet's ownership ("state" or "private").
    pub status: String,
    /// Shipments: the origin depot; stock and ledger: the place; airings: the outlet.
    pub origin: String,
    /// Shipments and stock: "points" for distribution points only.
    pub dest: String,
    /// Stock: "1" for depots only.
    pub depots: String,
    /// Receipts: part of the supplier's name, any case.
    pub supplier: String,
    /// Receipts: "standing" (the default), "reversed" or "all".
    pub reversed: String,
    /// Shipments: the list's order, checked as the list checks it (a file comes in id order).
    pub sort: String,
    /// Shipments: "awaiting", "confirmed" or "disputed" (what the recipient did).
    pub recipient: String,
}

/// A filter that could not be understood, with the message its page shows beside the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub Invalid);

impl Refusal {
    /// The first of a list's refusals (an export answers one message).
    fn first(refusals: crate::models::query::Refusals) -> Refusal {
        let invalid = refusals.into_iter().next().map(|(_, invalid)| invalid);
        Refusal(invalid.unwrap_or_else(|| Invalid::new("filter.err.unreadable")))
    }

    /// The message in a language.
    pub fn message(&self, lang: Lang) -> String {
        crate::i18n::invalid(lang, &self.0)
    }
}

impl Params {
    /// The location list's query, under the list's own names.
    fn location_query(&self) -> LocationQuery {
        LocationQuery {
            region: self.region.clone(),
            location_type: self.location_type.clone(),
            text: self.text.clone(),
            status: self.status.clone(),
        }
    }

    /// The airing list's query, under the list's own names.
    fn airing_query(&self) -> AiringQuery {
        AiringQuery {
            campaign: self.campaign.clone(),
            location_type: self.location_type.clone(),
            spot: self.material.clone(),
            outlet: self.origin.clone(),
            ownership: self.status.clone(),
            region: self.region.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
        }
    }

    /// The receipt list's query: the receiving place comes as `depot`, `origin` or `location`;
    /// a file holds the receipts that stand unless asked otherwise.
    fn receipt_query(&self) -> ReceiptQuery {
        let reversed = if self.reversed.trim().is_empty() { "standing" } else { self.reversed.as_str() };
        ReceiptQuery {
            material: self.material.clone(),
            depot: self.origin.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            supplier: self.supplier.clone(),
            reversed: reversed.to_string(),
        }
    }

    /// The shipment list's query, under the list's own names.
    fn shipment_query(&self) -> ShipmentQuery {
        ShipmentQuery {
            status: self.status.clone(),
            campaign: self.campaign.clone(),
            material: self.material.clone(),
            origin: self.origin.clone(),
            region: self.region.clone(),
            location_type: self.location_type.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            text: self.text.clone(),
            sort: self.sort.clone(),
            dest: self.dest.clone(),
            recipient: self.recipient.clone(),
        }
    }
}

impl Params {
    /// The stock list's query, under the list's own names.
    fn stock_query(&self) -> StockQuery {
        StockQuery {
            campaign: self.campaign.clone(),
            material: self.material.clone(),
            region: self.region.clone(),
            location_type: self.location_type.clone(),
            location: self.origin.clone(),
            depots: self.depots.clone(),
            dest: self.dest.clone(),
        }
    }
}

impl From<StockQuery> for Params {
    fn from(q: StockQuery) -> Params {
        Params {
            campaign: q.campaign,
            material: q.material,
            region: q.region,
            location_type: q.location_type,
            origin: q.location,
            depots: q.depots,
            dest: q.dest,
            ..Params::default()
        }
    }
}

impl From<ShipmentQuery> for Params {
    fn from(q: ShipmentQuery) -> Params {
        Params {
            campaign: q.campaign,
            material: q.material,
            region: q.region,
            location_type: q.location_type,
            from: q.from,
            to: q.to,
            text: q.text,
            status: q.status,
            origin: q.origin,
            dest: q.dest,
            sort: q.sort,
            recipient: q.recipient,
            ..Params::default()
        }
    }
}

/// Filters resolved to ids, plus what the user may see.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub campaign_id: Option<i32>,
    pub material_id: Option<MaterialId>,
    pub region_id: Option<i32>,
    pub type_id: Option<i32>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Shipments: the origin depot; stock and ledger: the place; airings: the outlet.
    pub origin_id: Option<LocationId>,
    /// Shipments: distribution points only.
    pub points_only: bool,
    /// A region-limited user's regions.
    pub regions: Option<Vec<i32>>,
    /// The campaign code for the file name.
    pub campaign_code: Option<String>,
    /// Shipments: the shipment list's own filters, checked as the list checks them.
    pub shipments: ShipmentFilter,
    /// Receipts: the receipt list's own filters, checked as the list checks them.
    pub receipts: ReceiptFilter,
    /// Stock: the stock list's own filters, checked as the list checks them.
    pub holdings: HoldingFilter,
    /// Locations: the location list's own filters, checked as the list checks them.
    pub locations: LocationFilter,
    /// Airings: the airing list's own filters, checked as the list checks them.
    pub airings: AiringFilter,
}

impl Filter {
    /// Resolves typed filters; `Ok(Err(_))` is a filter the person must correct.
    pub fn resolve(
        conn: &mut DbConn,
        kind: Kind,
        params: &Params,
        regions: Option<Vec<i32>>,
    ) -> QueryResult<Result<Filter, Refusal>> {
        let shipments = if kind == Kind::Shipments {
            match params.shipment_query().check(conn, regions.clone())? {
                Ok(filter) => filter,
                Err(refusals) => return Ok(Err(Refusal::first(refusals))),
            }
        } else {
            ShipmentFilter::default()
        };
        let receipts = if kind == Kind::Receipts {
            match params.receipt_query().check(conn, regions.clone())? {
                Ok(filter) => filter,
                Err(refusals) => return Ok(Err(Refusal::first(refusals))),
            }
        } else {
            ReceiptFilter::default()
        };
        let holdings = if kind == Kind::Stock {
            match params.stock_query().check(conn, regions.clone())? {
                // The file lists every balance, stock in transit included.
                Ok(filter) => HoldingFilter { in_transit: true, ..filter },
                Err(refusals) => return Ok(Err(Refusal::first(refusals))),
            }
        } else {
            HoldingFilter::default()
        };
        let locations = if kind == Kind::Locations {
            match params.location_query().check(conn)? {
                // The file lists every place, the system location for stock in transit too.
                Ok(filter) => LocationFilter { system: true, ..filter },
                Err(refusals) => return Ok(Err(Refusal::first(refusals))),
            }
        } else {
            LocationFilter::default()
        };
        let airings = if kind == Kind::Airings {
            match params.airing_query().check(conn, regions.clone())? {
                Ok(filter) => filter,
                Err(refusals) => return Ok(Err(Refusal::first(refusals))),
            }
        } else {
            AiringFilter::default()
        };
        // The same lookups and messages as every list's query type.
        let mut refusals = crate::models::query::Refusals::new();
        let campaign_id = keep(&mut refusals, "campaign", query::campaign(conn, &params.campaign)?);
        let material_id = keep(&mut refusals, "material", query::material(conn, &params.material)?);
        let region_id = keep(&mut refusals, "region", query::region(conn, &params.region)?);
        let type_id = keep(&mut refusals, "type", query::location_type(conn, &params.location_type)?);
        let from = keep(&mut refusals, "from", query::date(&params.from));
        let to = keep(&mut refusals, "to", query::date(&params.to));
        query::check_range(&mut refusals, from, to);
        let place_key = if kind == Kind::Shipments { "export.err.origin" } else { "export.err.location" };
        let origin_id = keep(&mut refusals, "origin", query::place(conn, &params.origin, place_key)?);
        if !refusals.is_empty() {
            return Ok(Err(Refusal::first(refusals)));
        }
        let points_only = params.dest.trim() == "points";
        let campaign_code = match (campaign_id, material_id) {
            (Some(id), _) => campaigns::table.find(id).select(campaigns::code).first::<String>(conn).optional()?,
            (None, Some(id)) => materials::table
                .inner_join(campaigns::table)
                .filter(materials::id.eq(id))
                .select(campaigns::code)
                .first::<String>(conn)
                .optional()?,
            (None, None) => {
                let codes: Vec<String> = campaigns::table.select(campaigns::code).limit(2).load(conn)?;
                (codes.len() == 1).then(|| codes[0].clone())
            }
        };
        Ok(Ok(Filter {
            campaign_id,
            material_id,
            region_id,
            type_id,
            from,
            to,
            origin_id,
            points_only,
            regions,
            campaign_code,
            shipments,
            receipts,
            holdings,
            locations,
            airings,
        }))
    }

    /// `VE-TIP-2005-distributions-2026-11-29.csv`: campaign, kind and today's date.
    pub fn file_name(&self, kind: Kind, extension: &str, today: NaiveDate) -> String {
        let campaign = self.campaign_code.as_deref().unwrap_or("campaign-tracker");
        let safe: String =
            campaign.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' }).collect();
        format!("{safe}-{}-{}.{extension}", kind.as_str(), today.format("%Y-%m-%d"))
    }
}

fn is_sqlite(conn: &DbConn) -> bool {
    matches!(conn, DbConn::Sqlite(_))
}

/// A translated name: Spanish or English.
fn in_lang(lang: Lang, en: String, es: String) -> String {
    if lang == Lang::Es {
        es
    } else {
        en
    }
}

/// A name column in the export's language: `materials.name_en` or `materials.name_es`.
fn name_in(lang: Lang, table: &'static str) -> diesel::expression::SqlLiteral<diesel::sql_types::Text> {
    diesel::dsl::sql(match (lang, table) {
        (Lang::Es, "materials") => "materials.name_es",
        (Lang::Es, "regions") => "regions.name_es",
        (_, "regions") => "regions.name_en",
        _ => "materials.name_en",
    })
}

/// The region's name in the export's language, where the region may be missing (a left join).
fn region_name_in(lang: Lang) -> diesel::expression::SqlLiteral<diesel::sql_types::Nullable<diesel::sql_types::Text>> {
    diesel::dsl::sql(if lang == Lang::Es { "regions.name_es" } else { "regions.name_en" })
}

/// The username of a `recorded_by` column, as a correlated subquery.
fn username_of(column: &str) -> String {
    format!("(SELECT users.username FROM users WHERE users.id = {column})")
}

/// Where a chunk ends: the last row's date (for kinds in date order) and id.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Cursor {
    /// None before the first chunk, and always for kinds read in id order.
    pub day: Option<NaiveDate>,
    pub id: i32,
}

impl Cursor {
    fn by_id(id: i32) -> Cursor {
        Cursor { day: None, id }
    }
}

/// A chunk as read: where it ended (None when empty) and the rows.
type Chunk = (Option<Cursor>, Vec<Vec<Cell>>);

/// Keyset over a date and an id: rows after `after` in (date, id) order.
macro_rules! after_day {
    ($query:expr, $day:expr, $id:expr, $after:expr) => {{
        let after: super::Cursor = $after;
        match after.day {
            None => $query,
            Some(day) => $query.filter($day.gt(day).or($day.eq(day).and($id.gt(after.id)))),
        }
    }};
}
pub(super) use after_day;

/// Reads an export a chunk at a time, remembering the last id read.
#[derive(Debug, Clone)]
pub struct Source {
    pub kind: Kind,
    pub filter: Filter,
    pub lang: Lang,
    last: Cursor,
    done: bool,
}

impl Source {
    pub fn new(kind: Kind, filter: Filter, lang: Lang) -> Source {
        Source { kind, filter, lang, last: Cursor::default(), done: false }
    }

    pub fn is_done(&self) -> bool {
        self.done
    }

    /// How many rows the export has.
    pub fn count(&self, conn: &mut DbConn) -> QueryResult<i64> {
        let f = &self.filter;
        match self.kind {
            Kind::Distributions => distributions::count(conn, f),
            Kind::Locations => locations::count(conn, &f.locations),
            Kind::Shipments => shipments::count(conn, &f.shipments),
            Kind::Receipts => receipts::count(conn, f),
            Kind::Airings => airings::count(conn, &f.airings),
            Kind::Targets => targets::count(conn, f),
            Kind::Stock => stock::count(conn, &f.holdings),
            Kind::Ledger => ledger::count(conn, f),
            Kind::Coverage => Ok(coverage::rows(conn, f, self.lang)?.len() as i64),
        }
    }

    /// The next chunk of rows; empty once everything was read.
    pub fn next_chunk(&mut self, conn: &mut DbConn) -> QueryResult<Vec<Vec<Cell>>> {
        if self.done {
            return Ok(Vec::new());
        }
        let (last, rows) = if is_sqlite(conn) {
            self.read(conn)?
        } else {
            // A chunk is a short index walk. On large tables PostgreSQL's planner would start
            // parallel workers for each one, which doubled a chunk's time (measured at 1,000,000
            // distribution rows on two cores), so this transaction does without them.
            conn.transaction(|conn| {
                diesel::sql_query("SET LOCAL max_parallel_workers_per_gather = 0").execute(conn)?;
                self.read(conn)
            })?
        };
        // Coverage is a few hundred cells at most: one chunk.
        if rows.len() < CHUNK as usize || self.kind == Kind::Coverage {
            self.done = true;
        }
        if let Some(last) = last {
            self.last = last;
        }
        Ok(rows)
    }

    fn read(&self, conn: &mut DbConn) -> QueryResult<Chunk> {
        let (f, after, lang) = (&self.filter, self.last, self.lang);
        match self.kind {
            Kind::Distributions => distributions::chunk(conn, f, after, lang),
            Kind::Locations => locations::chunk(conn, &f.locations, after.id, lang),
            Kind::Shipments => shipments::chunk(conn, &f.shipments, after.id),
            Kind::Receipts => receipts::chunk(conn, f, after, lang),
            Kind::Airings => airings::chunk(conn, &f.airings, after, lang),
            Kind::Targets => targets::chunk(conn, f, after.id, lang),
            Kind::Stock => stock::chunk(conn, &f.holdings, after.id, lang),
            Kind::Ledger => ledger::chunk(conn, f, after),
            Kind::Coverage => Ok((None, coverage::rows(conn, f, lang)?)),
        }
    }
}
