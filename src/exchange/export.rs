//! The kinds of export, their filters (the same as the pages'), and row sources that read
//! keyset-paginated chunks (`WHERE id > last ORDER BY id LIMIT n`): diesel loads a whole result
//! set, so a chunk at a time keeps memory flat however large the export.

use crate::db::schema::{campaigns, location_types, locations, materials, regions, shipment_lines, shipments};
use crate::db::DbConn;
use crate::domain::Lang;
use crate::models::like_pattern;
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};

/// Rows read per query.
pub const CHUNK: i64 = 5000;

/// Excel's row limit, header included.
pub const XLSX_MAX_ROWS: u64 = 1_048_576;

/// The canonical distribution columns, in this order.
pub const DISTRIBUTION_COLUMNS: [&str; 14] = [
    "delivered_on",
    "shipment_reference",
    "material_code",
    "material_name",
    "quantity",
    "location_name",
    "location_type",
    "region_code",
    "region_name",
    "city",
    "country",
    "recorded_by",
    "location_code",
    "quantity_sent",
];

pub const LOCATION_COLUMNS: [&str; 12] = [
    "code",
    "name",
    "location_type",
    "location_type_name",
    "region_code",
    "region_name",
    "city",
    "country",
    "ownership",
    "contact",
    "is_depot",
    "is_active",
];

pub const SHIPMENT_COLUMNS: [&str; 17] = [
    "reference",
    "status",
    "origin_code",
    "origin_name",
    "destination_code",
    "destination_name",
    "destination_type",
    "destination_region_code",
    "carrier",
    "expected_on",
    "dispatched_on",
    "delivered_on",
    "units",
    "units_received",
    "received_by",
    "created_by",
    "note",
];

/// What can be exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Distributions,
    Locations,
    Shipments,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Distributions, Kind::Locations, Kind::Shipments];

    pub fn parse(raw: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Distributions => "distributions",
            Kind::Locations => "locations",
            Kind::Shipments => "shipments",
        }
    }

    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Kind::Distributions => &DISTRIBUTION_COLUMNS,
            Kind::Locations => &LOCATION_COLUMNS,
            Kind::Shipments => &SHIPMENT_COLUMNS,
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
    /// Locations: "active" (default), "inactive" or "all"; shipments: a shipment status.
    pub status: String,
    /// Shipments: the origin depot.
    pub origin: String,
    /// Shipments: "points" for distribution points only.
    pub dest: String,
}

/// A filter that could not be understood: a translation key and the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub key: &'static str,
    pub arg: String,
}

impl Refusal {
    fn new(key: &'static str, arg: &str) -> Refusal {
        Refusal { key, arg: arg.to_string() }
    }

    /// The message in a language.
    pub fn message(&self, lang: Lang) -> String {
        crate::i18n::tr_arg(lang, self.key, &self.arg)
    }
}

/// Filters resolved to ids, plus what the user may see.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub campaign_id: Option<i32>,
    pub material_id: Option<i32>,
    pub region_id: Option<i32>,
    pub type_id: Option<i32>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub text: Option<String>,
    pub active: Option<bool>,
    /// Shipments: one status; origin; distribution points only.
    pub status: Option<String>,
    pub origin_id: Option<i32>,
    pub points_only: bool,
    /// A region-limited user's regions.
    pub regions: Option<Vec<i32>>,
    /// The campaign code for the file name.
    pub campaign_code: Option<String>,
}

fn date(raw: &str, key: &'static str) -> Result<Option<NaiveDate>, Refusal> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").map(Some).map_err(|_| Refusal::new(key, raw))
}

/// Looks a code up, else takes a numeric id (the pages' selects send ids).
macro_rules! lookup {
    ($conn:expr, $table:ident, $raw:expr, $key:expr) => {{
        let raw = $raw.trim();
        if raw.is_empty() {
            Ok(None)
        } else {
            let by_code: Option<i32> =
                $table::table.filter($table::code.eq(raw)).select($table::id).first::<i32>(&mut *$conn).optional()?;
            let found = match by_code {
                Some(id) => Some(id),
                None => match raw.parse::<i32>() {
                    Ok(id) => $table::table.find(id).select($table::id).first::<i32>(&mut *$conn).optional()?,
                    Err(_) => None,
                },
            };
            found.map(Some).ok_or_else(|| Refusal::new($key, raw))
        }
    }};
}

impl Filter {
    /// Resolves typed filters; `Ok(Err(_))` is a filter the person must correct.
    pub fn resolve(
        conn: &mut DbConn,
        kind: Kind,
        params: &Params,
        regions: Option<Vec<i32>>,
    ) -> QueryResult<Result<Filter, Refusal>> {
        let campaign_id = match lookup!(conn, campaigns, &params.campaign, "export.err.campaign") {
            Ok(v) => v,
            Err(r) => return Ok(Err(r)),
        };
        let material_id = match lookup!(conn, materials, &params.material, "export.err.material") {
            Ok(v) => v,
            Err(r) => return Ok(Err(r)),
        };
        let region_id = match lookup!(conn, regions, &params.region, "export.err.region") {
            Ok(v) => v,
            Err(r) => return Ok(Err(r)),
        };
        let type_id = match lookup!(conn, location_types, &params.location_type, "export.err.location_type") {
            Ok(v) => v,
            Err(r) => return Ok(Err(r)),
        };
        let (from, to) = match (date(&params.from, "export.err.date"), date(&params.to, "export.err.date")) {
            (Ok(f), Ok(t)) => (f, t),
            (Err(r), _) | (_, Err(r)) => return Ok(Err(r)),
        };
        let origin_id = match lookup!(conn, locations, &params.origin, "export.err.origin") {
            Ok(v) => v,
            Err(r) => return Ok(Err(r)),
        };
        let raw_status = params.status.trim();
        let (active, status) = match kind {
            Kind::Locations => match raw_status {
                "" | "active" => (Some(true), None),
                "inactive" => (Some(false), None),
                "all" => (None, None),
                other => return Ok(Err(Refusal::new("export.err.status", other))),
            },
            Kind::Shipments if raw_status.is_empty() => (None, None),
            Kind::Shipments => match crate::models::shipment::STATUSES.iter().find(|s| **s == raw_status) {
                Some(s) => (None, Some(s.to_string())),
                None => return Ok(Err(Refusal::new("export.err.shipment_status", raw_status))),
            },
            Kind::Distributions => (None, None),
        };
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
        let text = Some(params.text.trim().chars().take(100).collect::<String>()).filter(|t| !t.is_empty());
        Ok(Ok(Filter {
            campaign_id,
            material_id,
            region_id,
            type_id,
            from,
            to,
            text,
            active,
            status,
            origin_id,
            points_only,
            regions,
            campaign_code,
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

type DistributionTuple = (
    i32,
    Option<NaiveDate>,
    String,
    String,
    String,
    Option<i32>,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    Option<String>,
    String,
    i32,
);

type LocationTuple = (
    i32,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    Option<String>,
    String,
    bool,
    bool,
);

fn is_sqlite(conn: &DbConn) -> bool {
    matches!(conn, DbConn::Sqlite(_))
}

/// The username who recorded the (latest) delivery of the shipment. Ordered by time first, so
/// PostgreSQL looks the shipment's few events up by its index rather than walking the primary key.
const RECORDED_BY_SQL: &str =
    "(SELECT users.username FROM shipment_events JOIN users ON users.id = shipment_events.user_id \
     WHERE shipment_events.shipment_id = shipments.id AND shipment_events.status = 'delivered' \
     ORDER BY shipment_events.at DESC, shipment_events.id DESC LIMIT 1)";

macro_rules! distribution_query {
    ($filter:expr, $sqlite:expr) => {{
        let filter: &Filter = $filter;
        // On SQLite, `|| ''` keeps the planner from driving the join by the status index, which
        // would sort every delivered line for each chunk; walking shipment_lines by id keeps each
        // chunk cheap. PostgreSQL's statistics choose that walk by themselves.
        let delivered = if $sqlite { "shipments.status || '' = 'delivered'" } else { "shipments.status = 'delivered'" };
        let mut q = shipment_lines::table
            .inner_join(shipments::table)
            .inner_join(materials::table)
            .inner_join(locations::table.on(locations::id.eq(shipments::destination_id)))
            .inner_join(location_types::table.on(location_types::id.eq(locations::location_type_id)))
            .left_join(regions::table.on(locations::region_id.eq(regions::id.nullable())))
            .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(delivered))
            .filter(locations::is_depot.eq(false))
            .filter(shipment_lines::quantity_received.gt(0))
            .into_boxed();
        if let Some(id) = filter.campaign_id {
            q = q.filter(materials::campaign_id.eq(id));
        }
        if let Some(id) = filter.material_id {
            q = q.filter(shipment_lines::material_id.eq(id));
        }
        if let Some(id) = filter.region_id {
            q = q.filter(locations::region_id.eq(id));
        }
        if let Some(id) = filter.type_id {
            q = q.filter(locations::location_type_id.eq(id));
        }
        if let Some(from) = filter.from {
            q = q.filter(shipments::delivered_on.ge(from));
        }
        if let Some(to) = filter.to {
            q = q.filter(shipments::delivered_on.le(to));
        }
        if let Some(regions) = &filter.regions {
            q = q.filter(locations::region_id.eq_any(regions.clone()));
        }
        q
    }};
}

macro_rules! location_query {
    ($filter:expr) => {{
        let filter: &Filter = $filter;
        let mut q = locations::table
            .inner_join(location_types::table)
            .left_join(regions::table.on(locations::region_id.eq(regions::id.nullable())))
            .into_boxed();
        if let Some(id) = filter.region_id {
            q = q.filter(locations::region_id.eq(id));
        }
        if let Some(id) = filter.type_id {
            q = q.filter(locations::location_type_id.eq(id));
        }
        if let Some(active) = filter.active {
            q = q.filter(locations::is_active.eq(active));
        }
        if let Some(text) = &filter.text {
            let pattern = like_pattern(text);
            q = q.filter(
                diesel::dsl::sql::<diesel::sql_types::Bool>("(lower(locations.name) LIKE ")
                    .bind::<Text, _>(pattern.clone())
                    .sql(" ESCAPE '\\' OR lower(locations.code) LIKE ")
                    .bind::<Text, _>(pattern.clone())
                    .sql(" ESCAPE '\\' OR lower(locations.city) LIKE ")
                    .bind::<Text, _>(pattern)
                    .sql(" ESCAPE '\\')"),
            );
        }
        q
    }};
}

/// The date a shipment is filed under, as on the shipment list: delivered, dispatched, expected.
const EFFECTIVE_DATE_SQL: &str = "COALESCE(shipments.delivered_on, shipments.dispatched_on, shipments.expected_on)";

const UNITS_SQL: &str =
    "(SELECT CAST(COALESCE(SUM(shipment_lines.quantity), 0) AS BIGINT) FROM shipment_lines WHERE shipment_lines.shipment_id = shipments.id)";
const UNITS_RECEIVED_SQL: &str = "(SELECT CAST(SUM(shipment_lines.quantity_received) AS BIGINT) FROM shipment_lines WHERE shipment_lines.shipment_id = shipments.id)";
const CREATED_BY_SQL: &str = "(SELECT users.username FROM users WHERE users.id = shipments.created_by)";

macro_rules! shipment_query {
    ($filter:expr, $origins:expr, $destinations:expr) => {{
        let filter: &Filter = $filter;
        let (origins, destinations) = ($origins, $destinations);
        let mut q = shipments::table
            .inner_join(origins.on(origins.field(locations::id).eq(shipments::origin_id)))
            .inner_join(destinations.on(destinations.field(locations::id).eq(shipments::destination_id)))
            .inner_join(
                location_types::table.on(location_types::id.eq(destinations.field(locations::location_type_id))),
            )
            .left_join(regions::table.on(destinations.field(locations::region_id).eq(regions::id.nullable())))
            .into_boxed();
        if let Some(status) = &filter.status {
            q = q.filter(shipments::status.eq(status.clone()));
        }
        if let Some(id) = filter.material_id {
            q = q.filter(shipments::id.eq_any(
                shipment_lines::table.filter(shipment_lines::material_id.eq(id)).select(shipment_lines::shipment_id),
            ));
        }
        if let Some(id) = filter.campaign_id {
            q = q.filter(
                shipments::id.eq_any(
                    shipment_lines::table
                        .inner_join(materials::table)
                        .filter(materials::campaign_id.eq(id))
                        .select(shipment_lines::shipment_id),
                ),
            );
        }
        if let Some(id) = filter.origin_id {
            q = q.filter(shipments::origin_id.eq(id));
        }
        if let Some(id) = filter.region_id {
            q = q.filter(destinations.field(locations::region_id).eq(id));
        }
        if let Some(id) = filter.type_id {
            q = q.filter(destinations.field(locations::location_type_id).eq(id));
        }
        if filter.points_only {
            q = q.filter(destinations.field(locations::is_depot).eq(false));
        }
        if let Some(from) = filter.from {
            q = q.filter(
                diesel::dsl::sql::<diesel::sql_types::Bool>(&format!("{EFFECTIVE_DATE_SQL} >= "))
                    .bind::<diesel::sql_types::Date, _>(from),
            );
        }
        if let Some(to) = filter.to {
            q = q.filter(
                diesel::dsl::sql::<diesel::sql_types::Bool>(&format!("{EFFECTIVE_DATE_SQL} <= "))
                    .bind::<diesel::sql_types::Date, _>(to),
            );
        }
        if let Some(regions) = &filter.regions {
            q = q.filter(
                origins
                    .field(locations::region_id)
                    .eq_any(regions.clone())
                    .or(destinations.field(locations::region_id).eq_any(regions.clone())),
            );
        }
        if let Some(text) = &filter.text {
            let pattern = like_pattern(text);
            q = q.filter(
                diesel::dsl::sql::<diesel::sql_types::Bool>("(lower(shipments.reference) LIKE ")
                    .bind::<Text, _>(pattern.clone())
                    .sql(" ESCAPE '\\' OR lower(origins.name) LIKE ")
                    .bind::<Text, _>(pattern.clone())
                    .sql(" ESCAPE '\\' OR lower(destinations.name) LIKE ")
                    .bind::<Text, _>(pattern)
                    .sql(" ESCAPE '\\')"),
            );
        }
        q
    }};
}

type ShipmentTuple = (
    (i32, String, String, String, String, String, String, String),
    (Option<String>, String, Option<NaiveDate>, Option<NaiveDate>, Option<NaiveDate>, i64, Option<i64>, String),
    (Option<String>, String),
);

/// Reads an export a chunk at a time, remembering the last id read.
#[derive(Debug, Clone)]
pub struct Source {
    pub kind: Kind,
    pub filter: Filter,
    pub lang: Lang,
    last_id: i32,
    done: bool,
}

impl Source {
    pub fn new(kind: Kind, filter: Filter, lang: Lang) -> Source {
        Source { kind, filter, lang, last_id: 0, done: false }
    }

    pub fn is_done(&self) -> bool {
        self.done
    }

    /// How many rows the export has.
    pub fn count(&self, conn: &mut DbConn) -> QueryResult<i64> {
        match self.kind {
            Kind::Distributions => distribution_query!(&self.filter, is_sqlite(conn)).count().get_result(conn),
            Kind::Locations => location_query!(&self.filter).count().get_result(conn),
            Kind::Shipments => {
                let (origins, destinations) = diesel::alias!(locations as origins, locations as destinations);
                shipment_query!(&self.filter, origins, destinations).count().get_result(conn)
            }
        }
    }

    /// The next chunk of rows; empty once everything was read.
    pub fn next_chunk(&mut self, conn: &mut DbConn) -> QueryResult<Vec<Vec<Cell>>> {
        if self.done {
            return Ok(Vec::new());
        }
        let (last, rows) = match self.kind {
            Kind::Distributions => self.distributions(conn)?,
            Kind::Locations => self.locations(conn)?,
            Kind::Shipments => self.shipments(conn)?,
        };
        if rows.len() < CHUNK as usize {
            self.done = true;
        }
        if let Some(last) = last {
            self.last_id = last;
        }
        Ok(rows)
    }

    fn distributions(&self, conn: &mut DbConn) -> QueryResult<(Option<i32>, Vec<Vec<Cell>>)> {
        let rows: Vec<DistributionTuple> = distribution_query!(&self.filter, is_sqlite(conn))
            .filter(shipment_lines::id.gt(self.last_id))
            .order(shipment_lines::id)
            .limit(CHUNK)
            .select((
                shipment_lines::id,
                shipments::delivered_on,
                shipments::reference,
                materials::code,
                materials::name,
                shipment_lines::quantity_received,
                locations::name,
                location_types::code,
                regions::code.nullable(),
                regions::name.nullable(),
                locations::city,
                locations::country,
                diesel::dsl::sql::<Nullable<Text>>(RECORDED_BY_SQL),
                locations::code,
                shipment_lines::quantity,
            ))
            .load(conn)?;
        let last = rows.last().map(|r| r.0);
        let cells = rows
            .into_iter()
            .map(|r| {
                vec![
                    r.1.map(Cell::Date).unwrap_or(Cell::Empty),
                    Cell::Text(r.2),
                    Cell::Text(r.3),
                    Cell::Text(r.4),
                    Cell::Int(i64::from(r.5.unwrap_or(0))),
                    Cell::Text(r.6),
                    Cell::Text(r.7),
                    r.8.into(),
                    r.9.into(),
                    Cell::Text(r.10),
                    Cell::Text(r.11),
                    r.12.into(),
                    Cell::Text(r.13),
                    Cell::Int(i64::from(r.14)),
                ]
            })
            .collect();
        Ok((last, cells))
    }

    fn locations(&self, conn: &mut DbConn) -> QueryResult<(Option<i32>, Vec<Vec<Cell>>)> {
        let rows: Vec<LocationTuple> = location_query!(&self.filter)
            .filter(locations::id.gt(self.last_id))
            .order(locations::id)
            .limit(CHUNK)
            .select((
                locations::id,
                locations::code,
                locations::name,
                location_types::code,
                location_types::name_en,
                location_types::name_es,
                regions::code.nullable(),
                regions::name.nullable(),
                locations::city,
                locations::country,
                locations::ownership,
                locations::contact,
                locations::is_depot,
                locations::is_active,
            ))
            .load(conn)?;
        let last = rows.last().map(|r| r.0);
        let lang = self.lang;
        let cells = rows
            .into_iter()
            .map(|r| {
                vec![
                    Cell::Text(r.1),
                    Cell::Text(r.2),
                    Cell::Text(r.3),
                    Cell::Text(if lang == Lang::Es { r.5 } else { r.4 }),
                    r.6.into(),
                    r.7.into(),
                    Cell::Text(r.8),
                    Cell::Text(r.9),
                    r.10.into(),
                    Cell::Text(r.11),
                    Cell::Bool(r.12),
                    Cell::Bool(r.13),
                ]
            })
            .collect();
        Ok((last, cells))
    }

    fn shipments(&self, conn: &mut DbConn) -> QueryResult<(Option<i32>, Vec<Vec<Cell>>)> {
        let (origins, destinations) = diesel::alias!(locations as origins, locations as destinations);
        let rows: Vec<ShipmentTuple> = shipment_query!(&self.filter, origins, destinations)
            .filter(shipments::id.gt(self.last_id))
            .order(shipments::id)
            .limit(CHUNK)
            .select((
                (
                    shipments::id,
                    shipments::reference,
                    shipments::status,
                    origins.field(locations::code),
                    origins.field(locations::name),
                    destinations.field(locations::code),
                    destinations.field(locations::name),
                    location_types::code,
                ),
                (
                    regions::code.nullable(),
                    shipments::carrier,
                    shipments::expected_on,
                    shipments::dispatched_on,
                    shipments::delivered_on,
                    diesel::dsl::sql::<diesel::sql_types::BigInt>(UNITS_SQL),
                    diesel::dsl::sql::<Nullable<diesel::sql_types::BigInt>>(UNITS_RECEIVED_SQL),
                    shipments::received_by,
                ),
                (diesel::dsl::sql::<Nullable<Text>>(CREATED_BY_SQL), shipments::note),
            ))
            .load(conn)?;
        let last = rows.last().map(|r| r.0 .0);
        let date = |d: Option<NaiveDate>| d.map(Cell::Date).unwrap_or(Cell::Empty);
        let cells = rows
            .into_iter()
            .map(|(a, b, c)| {
                vec![
                    Cell::Text(a.1),
                    Cell::Text(a.2),
                    Cell::Text(a.3),
                    Cell::Text(a.4),
                    Cell::Text(a.5),
                    Cell::Text(a.6),
                    Cell::Text(a.7),
                    b.0.into(),
                    Cell::Text(b.1),
                    date(b.2),
                    date(b.3),
                    date(b.4),
                    Cell::Int(b.5),
                    b.6.map(Cell::Int).unwrap_or(Cell::Empty),
                    Cell::Text(b.7),
                    c.0.into(),
                    Cell::Text(c.1),
                ]
            })
            .collect();
        Ok((last, cells))
    }
}
