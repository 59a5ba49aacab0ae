//! The plans of the hot pages' queries: runs the model functions behind each list page on a
//! connection, records the SQL they send (diesel's connection instrumentation) and explains each
//! statement as its backend would run it — `EXPLAIN QUERY PLAN` on SQLite, the generic plan of a
//! prepared statement on PostgreSQL. The `explain` command prints them; tests/app/plans.rs
//! asserts that the big tables are read through their indexes.

use crate::db::{Backend, DbConn};
use crate::domain::RegionScope;
use crate::domain::{LocationId, MaterialId};
use crate::models::airing::{self, Airing, AiringQuery};
use crate::models::audit::{AuditEntry, AuditFilter};
use crate::models::campaign::Campaign;
use crate::models::keyset::Seek;
use crate::models::location::{Location, LocationQuery};
use crate::models::material::Material;
use crate::models::query::{self, Refusals};
use crate::models::receipt::{Receipt, ReceiptQuery};
use crate::models::region::Region;
use crate::models::shipment::{Shipment, ShipmentQuery};
use crate::reports::coverage::{self, DashboardParams};
use crate::reports::stock::{self, StockQuery};
use diesel::connection::{get_default_instrumentation, InstrumentationEvent, SimpleConnection};
use diesel::prelude::*;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// One statement a page sent, and how its backend would run it.
#[derive(Debug, Clone)]
pub struct Statement {
    /// The SQL as sent, with placeholders (`?` on SQLite, `$1`… on PostgreSQL).
    pub sql: String,
    /// True when diesel keeps it as a prepared statement on the connection: on PostgreSQL such
    /// a statement runs the generic plan shown once it has been executed five times.
    pub cached: bool,
    /// The plan, one line per node, indented as the backend shows it.
    pub plan: Vec<String>,
}

/// The statements of one page, in the order it sent them (each once).
#[derive(Debug, Clone)]
pub struct PagePlan {
    pub page: String,
    pub statements: Vec<Statement>,
}

/// Why the plans could not be shown.
#[derive(Debug, thiserror::Error)]
pub enum ExplainError {
    #[error("database error: {0}")]
    Database(#[from] diesel::result::Error),
    /// A page refused its sample filter: the sample is wrong, not the data.
    #[error("{page}: the sample filter was refused ({fields})")]
    Refused { page: String, fields: String },
    /// The backend could not explain a statement a page sent.
    #[error("{page}: {error}\n  in {sql}")]
    Statement { page: String, sql: String, error: diesel::result::Error },
}

/// Runs the hot pages' model functions on `conn` and explains every SELECT they send. The pages
/// are those `benches/pages.rs` sweeps, each list on its first page, a next page by keyset and,
/// where the list offers it, its last page and the page before that. Values come from the data
/// (the demo's POSTER, DEP-CCS, VE-K and school when present); plans do not depend on them.
pub fn hot_pages(conn: &mut DbConn) -> Result<Vec<PagePlan>, ExplainError> {
    let sample = Sample::read(conn)?;
    let recorder = Arc::new(Mutex::new(Recorder::default()));
    let sink = Arc::clone(&recorder);
    conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
        let Ok(mut r) = sink.lock() else { return };
        match event {
            InstrumentationEvent::StartQuery { query, .. } => r.queries.push(query.to_string()),
            InstrumentationEvent::CacheQuery { sql, .. } => {
                r.cached.insert(sql.to_string());
            }
            _ => {}
        }
    });
    let mut capture = Capture { recorder, pages: Vec::new() };
    let visited = visit(conn, &sample, &mut capture);
    conn.set_instrumentation(get_default_instrumentation());
    visited?;
    let cached = capture.recorder.lock().map(|r| r.cached.clone()).unwrap_or_default();
    let mut plans = Vec::new();
    for (page, sent) in capture.pages {
        let mut statements: Vec<Statement> = Vec::new();
        for sql in sent {
            if statements.iter().any(|s| s.sql == sql) {
                continue;
            }
            let plan = explain(conn, &sql).map_err(|error| ExplainError::Statement {
                page: page.clone(),
                sql: sql.clone(),
                error,
            })?;
            statements.push(Statement { cached: cached.contains(&sql), sql, plan });
        }
        plans.push(PagePlan { page, statements });
    }
    Ok(plans)
}

/// The plan of one statement as sent (placeholders unbound): SQLite's `EXPLAIN QUERY PLAN`, or
/// on PostgreSQL the generic plan, which a prepared statement switches to after five runs when
/// it costs no more than the custom ones.
pub fn explain(conn: &mut DbConn, sql: &str) -> QueryResult<Vec<String>> {
    match conn {
        DbConn::Sqlite(c) => explain_sqlite(c, sql),
        DbConn::Postgresql(c) => explain_postgres(c, sql),
    }
}

#[derive(QueryableByName)]
struct SqlitePlanRow {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    id: i32,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    parent: i32,
    #[diesel(sql_type = diesel::sql_types::Text)]
    detail: String,
}

#[derive(QueryableByName)]
struct PgPlanRow {
    #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
    line: String,
}

/// SQLite leaves unbound parameters NULL, and plans without looking at them (no statistics
/// tables here), so the statement's own text is explained as is.
fn explain_sqlite(conn: &mut diesel::sqlite::SqliteConnection, sql: &str) -> QueryResult<Vec<String>> {
    let rows: Vec<SqlitePlanRow> = diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}")).load(conn)?;
    // Rows come parent first; a node is indented one step deeper than its parent, as the
    // sqlite3 shell shows them.
    let mut depth: Vec<(i32, usize)> = Vec::new();
    Ok(rows
        .into_iter()
        .map(|row| {
            let d = depth.iter().find(|(id, _)| *id == row.parent).map(|(_, d)| d + 1).unwrap_or(0);
            depth.push((row.id, d));
            format!("{}{}", "  ".repeat(d), row.detail)
        })
        .collect())
}

/// The name the plan is prepared under for the moment it is explained.
const PLAN_STATEMENT: &str = "campaign_tracker_plan";

/// PREPARE infers each parameter's type from where it stands, as the server does for diesel's
/// own statements (diesel sends the same types: a column's own, `bigint` for LIMIT, an array of
/// the column's type for `= ANY`); NULLs then stand for every value, which a generic plan never
/// looks at.
fn explain_postgres(conn: &mut diesel::pg::PgConnection, sql: &str) -> QueryResult<Vec<String>> {
    conn.batch_execute(&format!("PREPARE {PLAN_STATEMENT} AS {sql}"))?;
    let explained = conn.batch_execute("SET plan_cache_mode = force_generic_plan").and_then(|()| {
        let n = pg_parameter_count(sql);
        let call = if n == 0 {
            PLAN_STATEMENT.to_string()
        } else {
            format!("{PLAN_STATEMENT}({})", vec!["NULL"; n].join(", "))
        };
        diesel::sql_query(format!("EXPLAIN EXECUTE {call}")).load::<PgPlanRow>(conn)
    });
    // Whatever the outcome, the connection is left as it was found.
    let cleaned = conn.batch_execute(&format!("DEALLOCATE {PLAN_STATEMENT}; RESET plan_cache_mode"));
    let rows = explained?;
    cleaned?;
    Ok(rows.into_iter().map(|r| r.line).collect())
}

/// The highest `$n` in a PostgreSQL statement, outside quoted text.
fn pg_parameter_count(sql: &str) -> usize {
    let mut highest = 0;
    let mut quoted = false;
    let mut chars = sql.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            // A doubled quote inside text leaves and re-enters it: still right.
            '\'' => quoted = !quoted,
            '$' if !quoted => {
                let digits: String = sql[i + 1..].chars().take_while(char::is_ascii_digit).collect();
                if let Ok(n) = digits.parse::<usize>() {
                    highest = highest.max(n);
                }
                for _ in 0..digits.len() {
                    chars.next();
                }
            }
            _ => {}
        }
    }
    highest
}

/// When the planner's statistics were last gathered, in a line or a few: on PostgreSQL per big
/// table (a plan on tables never analysed guesses its row counts); on SQLite whether `ANALYZE`
/// ever ran (without it the planner goes by the indexes alone, as these plans assume).
pub fn statistics(conn: &mut DbConn) -> QueryResult<Vec<String>> {
    #[derive(QueryableByName)]
    struct Line {
        #[diesel(sql_type = diesel::sql_types::Text)]
        line: String,
    }
    let sql = match conn.backend() {
        Backend::Postgres => {
            "SELECT relname || ': ' || n_live_tup || ' rows, analysed ' || \
             COALESCE(CAST(GREATEST(last_analyze, last_autoanalyze) AS TEXT), 'never') AS line \
             FROM pg_stat_user_tables WHERE relname IN \
             ('stock_movements', 'shipments', 'shipment_lines', 'receipts', 'audit_log', 'daily_flows', 'stock_balances') \
             ORDER BY relname"
        }
        Backend::Sqlite => {
            "SELECT CASE WHEN COUNT(*) = 0 THEN 'no statistics (ANALYZE never ran): plans follow the indexes' \
             ELSE 'statistics from ANALYZE (sqlite_stat1) are present' END AS line \
             FROM sqlite_master WHERE name = 'sqlite_stat1'"
        }
    };
    Ok(diesel::sql_query(sql).load::<Line>(conn)?.into_iter().map(|l| l.line).collect())
}

/// The plans as an operator reads them: each page, each statement, its plan beneath.
pub fn render(pages: &[PagePlan]) -> String {
    let mut out = String::new();
    for page in pages {
        out.push_str(&format!("== {} ==\n", page.page));
        for s in &page.statements {
            let mark = if s.cached { " [prepared, cached]" } else { "" };
            out.push_str(&format!("{}{mark}\n", s.sql));
            for line in &s.plan {
                out.push_str(&format!("    {line}\n"));
            }
        }
        out.push('\n');
    }
    out
}

#[derive(Default)]
struct Recorder {
    /// What was sent since the last page was taken, with diesel's " -- binds: …" suffix.
    queries: Vec<String>,
    /// Statements diesel prepared and cached on the connection.
    cached: HashSet<String>,
}

struct Capture {
    recorder: Arc<Mutex<Recorder>>,
    pages: Vec<(String, Vec<String>)>,
}

impl Capture {
    /// Runs one page's reads and keeps the SELECTs they sent.
    fn page(
        &mut self,
        conn: &mut DbConn,
        label: &str,
        reads: impl FnOnce(&mut DbConn) -> Result<(), ExplainError>,
    ) -> Result<(), ExplainError> {
        self.take();
        reads(conn)?;
        let sent = self
            .take()
            .into_iter()
            .map(|q| match q.split_once(" -- binds: ") {
                Some((sql, _)) => sql.to_string(),
                None => q,
            })
            .filter(|sql| {
                let head = sql.trim_start().get(..6).unwrap_or("").to_ascii_uppercase();
                head == "SELECT" || head.starts_with("WITH")
            })
            .collect();
        self.pages.push((label.to_string(), sent));
        Ok(())
    }

    fn take(&self) -> Vec<String> {
        self.recorder.lock().map(|mut r| std::mem::take(&mut r.queries)).unwrap_or_default()
    }
}

/// The values the pages are asked with.
struct Sample {
    material: Option<MaterialId>,
    depot: Option<LocationId>,
    /// A place that is no depot.
    point: Option<LocationId>,
    region: Option<i32>,
    location_type: Option<i32>,
    spot: Option<MaterialId>,
    campaigns: Vec<Campaign>,
}

impl Sample {
    fn read(conn: &mut DbConn) -> Result<Sample, ExplainError> {
        use crate::db::schema::locations;
        // A demo code when there is one (the pages the benchmark measures), else the first.
        let stocked = Material::stocked(conn)?;
        let material = found(query::material(conn, "POSTER"))?
            .filter(|id| stocked.iter().any(|m| m.id == *id))
            .or(stocked.first().map(|m| m.id));
        let depot = found(query::place(conn, "DEP-CCS", ""))?.or(Location::depots(conn, None)?.first().map(|l| l.id));
        let point: Option<(LocationId, Option<i32>, i32)> = locations::table
            .filter(locations::is_depot.eq(false))
            .filter(locations::region_id.is_not_null())
            .order(locations::id)
            .select((locations::id, locations::region_id, locations::location_type_id))
            .first(conn)
            .optional()?;
        let region = found(query::region(conn, "VE-K"))?.or(point.and_then(|p| p.1));
        let location_type = found(query::location_type(conn, "school"))?.or(point.map(|p| p.2));
        let spot = airing::spots(conn)?.first().map(|m| m.id);
        Ok(Sample {
            material,
            depot,
            point: point.map(|p| p.0),
            region,
            location_type,
            spot,
            campaigns: Campaign::all(conn)?,
        })
    }
}

/// A sample filter the page refused: the sample is wrong, not the data.
fn refused(label: &str, refusals: Refusals) -> ExplainError {
    let fields: Vec<&str> = refusals.iter().map(|(field, _)| *field).collect();
    ExplainError::Refused { page: label.to_string(), fields: fields.join(", ") }
}

/// A sampled lookup's id, if it found one.
fn found<Id>(lookup: query::Lookup<Id>) -> QueryResult<Option<Id>> {
    Ok(lookup?.ok().flatten())
}

fn id(value: Option<impl std::fmt::Display>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// Keys that land in the middle of a list: the plan is the same for any key.
const AT_KEY: &str = "2006-01-15T12:00:00.000000~1000";
const ON_KEY: &str = "2006-01-15~1000";

/// Every hot page's reads, as its handler makes them (src/web/*.rs), signed in as someone who
/// reads everything unless the label says otherwise.
fn visit(conn: &mut DbConn, s: &Sample, c: &mut Capture) -> Result<(), ExplainError> {
    // The dashboard: its summary reads daily_flows and stock_balances (the page keeps the
    // figures until the data changes; these are the reads of a first visit).
    if !s.campaigns.is_empty() {
        let materials = Material::all(conn, None)?;
        let (_, asked) = DashboardParams::default()
            .check(RegionScope::All, &s.campaigns, &materials)
            .map_err(|r| refused("dashboard", r))?;
        c.page(conn, "dashboard", |conn| {
            Campaign::all(conn)?;
            Material::all(conn, None)?;
            coverage::dashboard(conn, &asked)?;
            Ok(())
        })?;
        c.page(conn, "report", |conn| {
            crate::reports::campaign::report(conn, &asked)?;
            Ok(())
        })?;
    }

    // Stock: totals per material, then the holdings.
    let holdings = |label: &'static str, q: StockQuery| {
        move |conn: &mut DbConn| -> Result<(), ExplainError> {
            let materials = Material::stocked(conn)?;
            let ids: Vec<MaterialId> = materials.iter().map(|m| m.id).collect();
            stock::material_totals(conn, &ids, &RegionScope::All)?;
            let filter = q.check(conn, None)?.map_err(|r| refused(label, r))?;
            stock::holdings(conn, &filter, 1, 50)?;
            Region::all(conn)?;
            Ok(())
        }
    };
    c.page(conn, "stock", holdings("stock", StockQuery::default()))?;
    if s.material.is_some() {
        let q = StockQuery { material: id(s.material), depots: "1".into(), ..Default::default() };
        c.page(conn, "stock, depots of one material", holdings("stock, depots of one material", q))?;
    }
    for (label, place) in [("stock at a depot", s.depot), ("stock at a distribution point", s.point)] {
        let Some(place) = place else { continue };
        c.page(conn, label, |conn| {
            Location::get(conn, place)?;
            stock::location_balances(conn, place)?;
            Material::all(conn, None)?;
            stock::incoming_to(conn, &[place])?;
            Ok(())
        })?;
    }

    // A material's ledger: of all the system, at one depot, and at a region-limited user's
    // places.
    if let Some(material) = s.material {
        let region_places = match s.region {
            Some(region) => Some(Location::ids_in_regions(conn, &[region])?),
            None => None,
        };
        let whose: [(&str, Option<Vec<LocationId>>); 3] = [
            ("material ledger", None),
            ("material ledger at a depot", s.depot.map(|d| vec![d])),
            ("material ledger of a region's places", region_places),
        ];
        for (label, places) in whose {
            if label != "material ledger" && places.is_none() {
                continue;
            }
            for (part, seek) in seeks(ON_KEY) {
                c.page(conn, &format!("{label}{part}"), |conn| {
                    Material::find(conn, material)?;
                    stock::material_ledger(conn, material, places.as_deref(), &seek, 100)?;
                    Ok(())
                })?;
            }
        }
    }

    // The shipment list in each order, then with each filter.
    let shipments = |label: String, q: ShipmentQuery, regions: Option<Vec<i32>>, seek: Seek| {
        move |conn: &mut DbConn| -> Result<(), ExplainError> {
            let filter = q.check(conn, regions)?.map_err(|r| refused(&label, r))?;
            Shipment::window(conn, &filter, &seek, 50)?;
            Ok(())
        }
    };
    let orders = [
        ("", "", AT_KEY.to_string()),
        (" oldest first", "oldest", AT_KEY.to_string()),
        (" by reference", "reference", "SH-001000~1000".to_string()),
        (" by status", "status", "delivered~1000".to_string()),
    ];
    for (name, sort, key) in orders {
        for (part, seek) in seeks(&key) {
            let label = format!("shipments{name}{part}");
            let q = ShipmentQuery { sort: sort.into(), ..Default::default() };
            c.page(conn, &label, shipments(label.clone(), q, None, seek))?;
        }
    }
    // Each filter on its first page and the next; the one the benchmark reads at its far end
    // on its last page too. A filter whose sample the data lacks is not this database's page.
    let filters: Vec<(&str, bool, ShipmentQuery, Option<Vec<i32>>)> = vec![
        ("shipments delivered", true, ShipmentQuery { status: "delivered".into(), ..Default::default() }, None),
        (
            "shipments by material",
            s.material.is_some(),
            ShipmentQuery { material: id(s.material), ..Default::default() },
            None,
        ),
        (
            "shipments from a depot",
            s.depot.is_some(),
            ShipmentQuery { origin: id(s.depot), ..Default::default() },
            None,
        ),
        (
            "shipments to a region",
            s.region.is_some(),
            ShipmentQuery { region: id(s.region), ..Default::default() },
            None,
        ),
        (
            "shipments to a type of place",
            s.location_type.is_some(),
            ShipmentQuery { location_type: id(s.location_type), ..Default::default() },
            None,
        ),
        (
            "shipments by material, region, type",
            s.material.is_some() && s.region.is_some() && s.location_type.is_some(),
            ShipmentQuery {
                material: id(s.material),
                region: id(s.region),
                location_type: id(s.location_type),
                dest: "points".into(),
                ..Default::default()
            },
            None,
        ),
        ("shipments to distribution points", true, ShipmentQuery { dest: "points".into(), ..Default::default() }, None),
        ("shipments by text", true, ShipmentQuery { text: "escuela".into(), ..Default::default() }, None),
        // A text no reference or place holds: the reference index answers that nothing does.
        (
            "shipments by a text that matches nothing",
            true,
            ShipmentQuery { text: "zqxj".into(), ..Default::default() },
            None,
        ),
        ("shipments of a region-limited user", s.region.is_some(), ShipmentQuery::default(), s.region.map(|r| vec![r])),
    ];
    for (name, available, q, regions) in filters {
        if !available {
            continue;
        }
        let mut pages = vec![("", Seek::First), (", next page", Seek::After(AT_KEY.into()))];
        if name == "shipments delivered" {
            pages.push((", last page", Seek::Last));
        }
        for (part, seek) in pages {
            let label = format!("{name}{part}");
            c.page(conn, &label, shipments(label.clone(), q.clone(), regions.clone(), seek))?;
        }
    }

    // Receipts, newest received first.
    let receipts = |label: String, q: ReceiptQuery, seek: Seek| {
        move |conn: &mut DbConn| -> Result<(), ExplainError> {
            Material::stocked(conn)?;
            Location::depots(conn, None)?;
            let filter = q.check(conn, None)?.map_err(|r| refused(&label, r))?;
            Receipt::window(conn, &filter, &seek, 50)?;
            Ok(())
        }
    };
    for (part, seek) in seeks(ON_KEY) {
        let label = format!("receipts{part}");
        c.page(conn, &label, receipts(label.clone(), ReceiptQuery::default(), seek))?;
    }
    if s.depot.is_some() {
        let label = "receipts at a depot".to_string();
        let q = ReceiptQuery { depot: id(s.depot), ..Default::default() };
        c.page(conn, &label, receipts(label.clone(), q, Seek::First))?;
    }
    if s.material.is_some() {
        let label = "receipts of a material, a year".to_string();
        let q = ReceiptQuery {
            material: id(s.material),
            from: "2005-01-01".into(),
            to: "2005-12-31".into(),
            ..Default::default()
        };
        c.page(conn, &label, receipts(label.clone(), q, Seek::First))?;
    }

    // Airings: the list (newest day first, by keyset), the totals per outlet and the months.
    let airings = |label: String, q: AiringQuery, seek: Seek| {
        move |conn: &mut DbConn| -> Result<(), ExplainError> {
            airing::media_outlets(conn, false, None)?;
            Region::all(conn)?;
            let filter = q.check(conn, None)?.map_err(|r| refused(&label, r))?;
            Airing::window(conn, &filter, &seek, 50)?;
            Airing::totals_by_outlet(conn, &filter)?;
            Airing::by_month(conn, &filter)?;
            airing::spots(conn)?;
            Ok(())
        }
    };
    for (part, seek) in seeks(ON_KEY) {
        let label = format!("airings{part}");
        c.page(conn, &label, airings(label.clone(), AiringQuery::default(), seek))?;
    }
    if s.spot.is_some() {
        let label = "airings of a spot".to_string();
        let q = AiringQuery { spot: id(s.spot), ..Default::default() };
        c.page(conn, &label, airings(label.clone(), q, Seek::First))?;
    }

    // Locations, paged by number.
    let locations = |label: &'static str, q: LocationQuery| {
        move |conn: &mut DbConn| -> Result<(), ExplainError> {
            let filter = q.check(conn)?.map_err(|r| refused(label, r))?;
            Location::page(conn, &filter, 1, 50)?;
            Region::all(conn)?;
            crate::models::location_type::LocationType::all(conn)?;
            Ok(())
        }
    };
    c.page(conn, "locations", locations("locations", LocationQuery::default()))?;
    let q = LocationQuery { text: "escuela".into(), status: "all".into(), ..Default::default() };
    c.page(conn, "locations by text", locations("locations by text", q))?;

    // The audit log, whole and of one kind of record, by id.
    let entity = AuditEntry::entities(conn)?.into_iter().next();
    for (name, entity) in [("audit log", None), ("audit log of one kind of record", entity)] {
        if name != "audit log" && entity.is_none() {
            continue;
        }
        for (part, seek) in seeks("1000") {
            let filter = AuditFilter { entity: entity.clone(), actor: None };
            c.page(conn, &format!("{name}{part}"), |conn| {
                AuditEntry::entities(conn)?;
                AuditEntry::window(conn, &filter, &seek, 100)?;
                Ok(())
            })?;
        }
    }
    Ok(())
}

/// A keyset list's four pages: the first, the one after a key, the last, the one before a key.
fn seeks(key: &str) -> [(&'static str, Seek); 4] {
    [
        ("", Seek::First),
        (", next page", Seek::After(key.to_string())),
        (", last page", Seek::Last),
        (", previous page", Seek::Before(key.to_string())),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_counted_outside_quoted_text() {
        assert_eq!(pg_parameter_count("SELECT 1"), 0);
        assert_eq!(pg_parameter_count("SELECT a FROM t WHERE a = $1 AND b LIKE $2 ESCAPE '\\' LIMIT $3"), 3);
        assert_eq!(pg_parameter_count("SELECT '$9', 'it''s $8' FROM t WHERE a = $2 OR b = $10"), 10);
    }
}
