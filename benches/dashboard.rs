//! Dashboard latency at scale, next to the database's own time for the same SQL.
//!
//! Per backend (SQLite always; PostgreSQL when BENCH_DATABASE_URL or TEST_DATABASE_URL is set,
//! in a fresh database `ct_bench_dash_<pid>` dropped at the end):
//!
//! 1. loads the demo (reference data, `history` at BENCH_SCALE — default 408, about 1,000,000
//!    ledger rows — the allocation plan and the broadcast airings);
//! 2. times BENCH_REQUESTS (default 50) sequential `GET /dashboard` of a signed-in manager
//!    (default query: the demo campaign's whole period, its first stocked material) after 5
//!    warm-up requests, and `GET /healthz` for the HTTP floor;
//! 3. times `reports::coverage::dashboard()` in process (diesel, no HTTP, no rendering);
//! 4. times the very SQL the request issues (the handler's two look-ups and every query of
//!    `dashboard()`, with the same literal parameters) through the database's own CLI —
//!    `sqlite3 FILE` / `psql URL`, one process each — BENCH_RAW_RUNS (default 20) times after 3
//!    warm-up runs, and each query alone for the breakdown.
//!
//!     TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench dashboard
//!
//! BENCH_SQLITE_FILE=/path/bench.db keeps the SQLite database between runs (loaded when empty);
//! BENCH_KEEP_PG=1 keeps the PostgreSQL database for EXPLAIN ANALYZE (drop it by hand).
//! Targets: dashboard median within 1.5× of the raw SQL; under 100 ms median on SQLite.

mod common;
use campaign_tracker::config::Config;
use campaign_tracker::db::schema::{daily_flows, stock_movements};
use campaign_tracker::db::{connect_pool, run_migrations, DbConn};
use campaign_tracker::models::campaign::Campaign;
use campaign_tracker::models::material::Material;
use campaign_tracker::reports::coverage::{self, DashboardQuery};
use campaign_tracker::startup::Application;
use chrono::NaiveDate;
use common::{env_or, percentile, sign_in_manager, thousands, DropDatabase};
use diesel::RunQueryDsl;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

const WARMUP: usize = 5;
const RAW_WARMUP: usize = 3;
/// The dashboard's default "days in transit" threshold (reports::coverage::DEFAULT_TRANSIT_DAYS).
const TRANSIT_DAYS: i64 = campaign_tracker::reports::coverage::DEFAULT_TRANSIT_DAYS;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn min(samples: &[f64]) -> f64 {
    samples.iter().copied().fold(f64::INFINITY, f64::min)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Sqlite,
    Postgres,
}

/// What the dashboard asks for by default, resolved the way `web::dashboard::query` does.
#[derive(Debug, Clone)]
struct Params {
    campaign_id: i32,
    from: NaiveDate,
    to: NaiveDate,
    material_id: campaign_tracker::domain::MaterialId,
    /// Every material of the campaign (broadcast spots included), as `dashboard()` uses them.
    ids: Vec<campaign_tracker::domain::MaterialId>,
    /// `late_shipments`: min(to, today) − transit days.
    cutoff: NaiveDate,
}

fn params(conn: &mut DbConn) -> Params {
    let campaigns = Campaign::all(conn).expect("campaigns");
    let campaign = campaigns.first().expect("a campaign").clone();
    let materials = Material::all(conn, Some(campaign.id)).expect("materials");
    let material_id = materials.iter().find(|m| !m.is_broadcast()).map(|m| m.id).unwrap_or_default();
    let today = campaign.ends_on.min(chrono::Utc::now().date_naive());
    Params {
        campaign_id: campaign.id,
        from: campaign.starts_on,
        to: campaign.ends_on,
        material_id,
        ids: materials.iter().map(|m| m.id).collect(),
        cutoff: today - chrono::Duration::days(TRANSIT_DAYS),
    }
}

/// The SQL the dashboard request sends, in order, as plain text with its parameters inlined
/// the way diesel binds them: SQLite gets dates as 'YYYY-MM-DD' text and booleans as 0/1;
/// PostgreSQL gets `= ANY(int4[])` for `eq_any`, typed dates and true/false.
fn queries(kind: Kind, p: &Params) -> Vec<(&'static str, String)> {
    let pg = kind == Kind::Postgres;
    let date = |d: NaiveDate| if pg { format!("'{d}'::date") } else { format!("'{d}'") };
    let (t, f) = if pg { ("true", "false") } else { ("1", "0") };
    let ids = p.ids.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
    let in_ids = |col: &str| {
        if pg {
            format!("{col} = ANY('{{{}}}'::int4[])", ids.replace(' ', ""))
        } else {
            format!("{col} IN ({ids})")
        }
    };
    let (from, to, m, c, cutoff) = (date(p.from), date(p.to), p.material_id, p.campaign_id, date(p.cutoff));
    let sum = "CAST(SUM(daily_flows.quantity) AS BIGINT)";
    vec![
        // web::dashboard::dashboard, before dashboard()
        ("handler: campaigns", "SELECT * FROM campaigns ORDER BY starts_on DESC".to_string()),
        ("handler: materials", "SELECT * FROM materials ORDER BY campaign_id, id".to_string()),
        // reports::coverage::dashboard
        ("materials of campaign", format!("SELECT * FROM materials WHERE campaign_id = {c} ORDER BY campaign_id, id")),
        (
            "flows in range (received, lost)",
            format!(
                "SELECT material_id, flow, {sum} FROM daily_flows WHERE {} AND flow IN ('received', 'lost') \
                 AND day BETWEEN {from} AND {to} GROUP BY material_id, flow",
                in_ids("material_id")
            ),
        ),
        (
            "distributed ever, before range, by region",
            format!(
                "SELECT material_id, region_id, {sum}, CAST(SUM(CASE WHEN daily_flows.day < {from} \
                 THEN daily_flows.quantity ELSE 0 END) AS BIGINT) FROM daily_flows WHERE {} AND flow = 'distributed' \
                 GROUP BY material_id, region_id",
                in_ids("material_id")
            ),
        ),
        (
            "held by material/depot/type",
            format!(
                "SELECT stock_balances.material_id, locations.is_depot, location_types.code, SUM(stock_balances.on_hand) \
                 FROM stock_balances INNER JOIN (locations INNER JOIN location_types \
                 ON locations.location_type_id = location_types.id) ON stock_balances.location_id = locations.id \
                 WHERE {} GROUP BY stock_balances.material_id, locations.is_depot, location_types.code",
                in_ids("stock_balances.material_id")
            ),
        ),
        (
            "airings in range",
            format!(
                "SELECT material_id, location_id, times, reverses_id FROM airings \
                 WHERE aired_on BETWEEN {from} AND {to} AND {}",
                in_ids("material_id")
            ),
        ),
        ("regions", "SELECT * FROM regions".to_string()),
        ("location types", "SELECT * FROM location_types ORDER BY code".to_string()),
        (
            "region×type distributed",
            format!(
                "SELECT region_id, location_type_id, {sum} FROM daily_flows WHERE flow = 'distributed' \
                 AND material_id = {m} AND day BETWEEN {from} AND {to} GROUP BY region_id, location_type_id"
            ),
        ),
        (
            "targets of material",
            format!("SELECT region_id, location_type_id, quantity FROM targets WHERE material_id = {m}"),
        ),
        (
            "reach (stock_balances)",
            format!(
                "SELECT locations.region_id, locations.location_type_id, COUNT(*) FROM stock_balances \
                 INNER JOIN locations ON stock_balances.location_id = locations.id \
                 WHERE stock_balances.material_id = {m} AND stock_balances.on_hand > 0 AND locations.is_depot = {f} \
                 AND locations.region_id IS NOT NULL GROUP BY locations.region_id, locations.location_type_id"
            ),
        ),
        (
            "registered locations",
            format!(
                "SELECT region_id, location_type_id, COUNT(*) FROM locations WHERE is_active = {t} \
                 AND is_depot = {f} AND region_id IS NOT NULL GROUP BY region_id, location_type_id"
            ),
        ),
        (
            "daily distributed",
            format!(
                "SELECT material_id, day, {sum} FROM daily_flows WHERE flow = 'distributed' AND {} \
                 AND day BETWEEN {from} AND {to} GROUP BY material_id, day ORDER BY day",
                in_ids("material_id")
            ),
        ),
        (
            "target totals",
            format!(
                "SELECT material_id, SUM(quantity) FROM targets WHERE {} GROUP BY material_id",
                in_ids("material_id")
            ),
        ),
        (
            "shortfall: targets by region",
            format!(
                "SELECT material_id, region_id, SUM(quantity) FROM targets WHERE {} GROUP BY material_id, region_id",
                in_ids("material_id")
            ),
        ),
        (
            "shortfall: depots",
            format!("SELECT id, name, region_id FROM locations WHERE is_depot = {t} AND is_active = {t}"),
        ),
        (
            "shortfall: depot stock",
            format!(
                "SELECT stock_balances.material_id, stock_balances.location_id, stock_balances.on_hand \
                 FROM stock_balances INNER JOIN locations ON stock_balances.location_id = locations.id \
                 WHERE locations.is_depot = {t} AND {}",
                in_ids("stock_balances.material_id")
            ),
        ),
        ("shortfall: material names", format!("SELECT id, name FROM materials WHERE {}", in_ids("id"))),
        (
            "late shipments",
            format!(
                "SELECT shipments.id, shipments.reference, shipments.dispatched_on, locations.name FROM shipments \
                 INNER JOIN locations ON locations.id = shipments.destination_id \
                 WHERE shipments.status = 'dispatched' AND shipments.dispatched_on < {cutoff} \
                 ORDER BY shipments.dispatched_on LIMIT 50"
            ),
        ),
    ]
}

const SENTINEL: &str = "ct-bench-end-of-block";

/// One long-lived `sqlite3` or `psql` process fed through its standard input; a block of SQL
/// is timed from writing it to reading the sentinel printed after it.
struct Cli {
    kind: Kind,
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    stderr_path: std::path::PathBuf,
}

impl Cli {
    fn start(kind: Kind, target: &str, scratch: &std::path::Path) -> Cli {
        let stderr_path = scratch.join(format!("cli-{}.stderr", if kind == Kind::Sqlite { "sqlite" } else { "pg" }));
        let stderr = std::fs::File::create(&stderr_path).expect("stderr file");
        let mut command = match kind {
            Kind::Sqlite => {
                let mut c = Command::new("sqlite3");
                c.args(["-bail", "-batch", target]);
                c
            }
            Kind::Postgres => {
                let mut c = Command::new("psql");
                c.args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", target]);
                c
            }
        };
        let mut child =
            command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(stderr).spawn().unwrap_or_else(|e| {
                panic!("cannot start the {} CLI: {e}", if kind == Kind::Sqlite { "sqlite3" } else { "psql" })
            });
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        Cli { kind, child, stdin, stdout, stderr_path }
    }

    /// Runs `sql`, its output discarded (or counted when `count_rows`), and waits for the end.
    fn block(&mut self, sql: &str, count_rows: bool) -> (Duration, usize) {
        let script = match (self.kind, count_rows) {
            (Kind::Sqlite, false) => format!(".output /dev/null\n{sql}\n.output stdout\nSELECT '{SENTINEL}';\n"),
            (Kind::Sqlite, true) => format!("{sql}\nSELECT '{SENTINEL}';\n"),
            (Kind::Postgres, false) => format!("\\o /dev/null\n{sql}\n\\o\n\\echo {SENTINEL}\n"),
            (Kind::Postgres, true) => format!("{sql}\n\\echo {SENTINEL}\n"),
        };
        let started = Instant::now();
        self.stdin.write_all(script.as_bytes()).expect("write to the CLI");
        self.stdin.flush().expect("flush");
        let mut rows = 0;
        let mut line = String::new();
        loop {
            line.clear();
            let n = self.stdout.read_line(&mut line).expect("read from the CLI");
            if n == 0 {
                let err = std::fs::read_to_string(&self.stderr_path).unwrap_or_default();
                panic!("the CLI stopped: {err}");
            }
            if line.trim_end() == SENTINEL {
                break;
            }
            rows += 1;
        }
        (started.elapsed(), rows)
    }

    fn finish(mut self) {
        let _ = writeln!(self.stdin, "{}", if self.kind == Kind::Sqlite { ".quit" } else { "\\q" });
        drop(self.stdin);
        let _ = self.child.wait();
        let err = std::fs::read_to_string(&self.stderr_path).unwrap_or_default();
        if !err.trim().is_empty() {
            println!("  CLI stderr: {}", err.trim());
        }
    }
}

struct RawFigures {
    /// Whole-script run times (ms).
    runs: Vec<f64>,
    /// Per query: label, median ms, rows.
    per_query: Vec<(&'static str, f64, usize)>,
}

fn raw_sql(kind: Kind, target: &str, p: &Params, runs: usize, scratch: &std::path::Path) -> RawFigures {
    let qs = queries(kind, p);
    let script: String = qs.iter().map(|(_, sql)| format!("{sql};\n")).collect();
    // Kept for EXPLAIN and for running by hand: $TMPDIR/ct-bench-dashboard-{sqlite,pg}.sql.
    let kept = std::env::temp_dir().join(if kind == Kind::Sqlite {
        "ct-bench-dashboard-sqlite.sql"
    } else {
        "ct-bench-dashboard-pg.sql"
    });
    std::fs::write(&kept, &script).expect("script");
    let mut cli = Cli::start(kind, target, scratch);
    // A trivial block first: the process is up and connected before anything is timed.
    cli.block("SELECT 1;", false);
    for _ in 0..RAW_WARMUP {
        cli.block(&script, false);
    }
    let runs: Vec<f64> = (0..runs).map(|_| ms(cli.block(&script, false).0)).collect();
    let mut per_query = Vec::new();
    for (label, sql) in &qs {
        let (_, rows) = cli.block(&format!("{sql};"), true);
        let times: Vec<f64> = (0..11).map(|_| ms(cli.block(&format!("{sql};"), false).0)).collect();
        per_query.push((*label, percentile(&times, 0.5), rows));
    }
    // The sentinel alone: what the pipe round trip adds to every figure above.
    let empty: Vec<f64> = (0..21).map(|_| ms(cli.block("", false).0)).collect();
    per_query.push(("(empty block: pipe round trip)", percentile(&empty, 0.5), 0));
    cli.finish();
    RawFigures { runs, per_query }
}

async fn timed_gets(c: &reqwest::Client, url: &str, warmup: usize, n: usize) -> (Vec<f64>, usize) {
    let mut bytes = 0;
    let mut samples = Vec::with_capacity(n);
    for i in 0..warmup + n {
        let started = Instant::now();
        let r = c.get(url).send().await.expect("request");
        let status = r.status().as_u16();
        let body = r.bytes().await.expect("body");
        let elapsed = ms(started.elapsed());
        assert_eq!(status, 200, "GET {url} answered {status}");
        bytes = body.len();
        if i >= warmup {
            samples.push(elapsed);
        }
    }
    (samples, bytes)
}

struct Figures {
    label: &'static str,
    movements: i64,
    flows: i64,
    load_seconds: f64,
    dashboard: Vec<f64>,
    page_bytes: usize,
    healthz: Vec<f64>,
    in_process: Vec<f64>,
    raw: RawFigures,
    cli: &'static str,
}

fn count(conn: &mut DbConn) -> (i64, i64) {
    use diesel::QueryDsl;
    let movements: i64 = stock_movements::table.count().get_result(conn).expect("count");
    let flows: i64 = daily_flows::table.count().get_result(conn).expect("count");
    (movements, flows)
}

/// Loads what is missing; every loader does nothing when its data is already there.
fn prepare(conn: &mut DbConn, scale: u32, analyze: bool) -> f64 {
    let started = Instant::now();
    run_migrations(conn).expect("migrations");
    campaign_tracker::demo::load(conn).expect("demo");
    let mut last_tenth = 0;
    let history = campaign_tracker::demo::history::load_history(conn, scale, &mut |done, total| {
        let tenth = (done * 10).checked_div(total).unwrap_or(0);
        if tenth > last_tenth {
            last_tenth = tenth;
            print!(" {}%", tenth * 10);
            let _ = std::io::stdout().flush();
        }
    })
    .expect("history");
    if last_tenth > 0 {
        println!();
    }
    let targets = campaign_tracker::demo::targets::load_targets(conn).expect("targets");
    let airings = campaign_tracker::demo::airings::load_airings(conn).expect("airings");
    if analyze {
        diesel::sql_query("VACUUM ANALYZE").execute(conn).expect("vacuum analyze");
    }
    let seconds = started.elapsed().as_secs_f64();
    if history.movements == 0 && targets == 0 && airings == 0 {
        println!("  data already loaded ({seconds:.1} s to check)");
    } else {
        println!(
            "  loaded in {seconds:.1} s: {} movements, {} target cells, {} airings{}",
            thousands(history.movements as i64),
            targets,
            airings,
            if analyze { ", then VACUUM ANALYZE" } else { "" }
        );
    }
    seconds
}

async fn bench(
    label: &'static str,
    kind: Kind,
    database_url: &str,
    cli_target: &str,
    scratch: &std::path::Path,
) -> Figures {
    let scale: u32 = env_or("BENCH_SCALE", 408);
    let requests: usize = env_or("BENCH_REQUESTS", 50);
    let raw_runs: usize = env_or("BENCH_RAW_RUNS", 20);
    println!("{label}: preparing (scale {scale})");
    let pool = connect_pool(database_url, 1).expect("database");
    let (load_seconds, movements, flows, p) = {
        let mut conn = pool.get().expect("connection");
        let load_seconds = prepare(&mut conn, scale, kind == Kind::Postgres);
        let (movements, flows) = count(&mut conn);
        println!("  stock_movements {} rows, daily_flows {} rows", thousands(movements), thousands(flows));
        (load_seconds, movements, flows, params(&mut conn))
    };
    println!(
        "  query: campaign {} from {} to {}, material {}, materials {:?}, late cutoff {}",
        p.campaign_id, p.from, p.to, p.material_id, p.ids, p.cutoff
    );

    // dashboard() in process, diesel only.
    let in_process = {
        let mut conn = pool.get().expect("connection");
        let q = DashboardQuery {
            scope: Default::default(),
            campaign_id: p.campaign_id,
            from: p.from,
            to: p.to,
            material_id: p.material_id,
            transit_days: TRANSIT_DAYS,
        };
        let mut samples = Vec::new();
        for i in 0..WARMUP + requests {
            let started = Instant::now();
            let d = coverage::dashboard(&mut conn, &q).expect("dashboard()");
            let elapsed = ms(started.elapsed());
            std::hint::black_box(&d);
            if i >= WARMUP {
                samples.push(elapsed);
            }
        }
        samples
    };
    drop(pool);

    let app = Application::build(Config::for_tests(database_url)).expect("server");
    let base = format!("http://127.0.0.1:{}", app.port);
    let server = tokio::spawn(app.run());
    let client = sign_in_manager(&base).await;
    let (healthz, _) = timed_gets(&client, &format!("{base}/healthz"), WARMUP, requests).await;
    let (dashboard, page_bytes) = timed_gets(&client, &format!("{base}/dashboard"), WARMUP, requests).await;
    server.abort();

    let raw = tokio::task::block_in_place(|| raw_sql(kind, cli_target, &p, raw_runs, scratch));
    let cli = if kind == Kind::Sqlite { "sqlite3" } else { "psql" };
    Figures { label, movements, flows, load_seconds, dashboard, page_bytes, healthz, in_process, raw, cli }
}

fn report(results: &[Figures]) {
    println!();
    println!("dashboard benchmark ({} cores)", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0));
    for r in results {
        println!(
            "{:<11} stock_movements {:>10}  daily_flows {:>7}  (load {:.1} s)",
            r.label,
            thousands(r.movements),
            thousands(r.flows),
            r.load_seconds
        );
        let raw_median = percentile(&r.raw.runs, 0.5);
        let dash_median = percentile(&r.dashboard, 0.5);
        println!(
            "  GET /dashboard            median {:>8.2} ms   p99 {:>8.2} ms   min {:>8.2} ms   ({} requests, {} KiB page)",
            dash_median,
            percentile(&r.dashboard, 0.99),
            min(&r.dashboard),
            r.dashboard.len(),
            r.page_bytes / 1024
        );
        println!(
            "  dashboard() in process    median {:>8.2} ms   p99 {:>8.2} ms   min {:>8.2} ms   (diesel, no HTTP)",
            percentile(&r.in_process, 0.5),
            percentile(&r.in_process, 0.99),
            min(&r.in_process)
        );
        println!(
            "  raw SQL ({:<7})         median {:>8.2} ms   p99 {:>8.2} ms   min {:>8.2} ms   ({} runs of {} statements)",
            r.cli,
            raw_median,
            percentile(&r.raw.runs, 0.99),
            min(&r.raw.runs),
            r.raw.runs.len(),
            r.raw.per_query.len() - 1
        );
        println!("  GET /healthz              median {:>8.2} ms", percentile(&r.healthz, 0.5));
        println!("  ratio dashboard / raw SQL  {:.2}×", dash_median / raw_median);
        println!("  per query through {} (median of 11, ms; includes the pipe round trip):", r.cli);
        let mut sorted = r.raw.per_query.clone();
        sorted.sort_by(|a, b| b.1.total_cmp(&a.1));
        for (label, median, rows) in sorted {
            println!("    {median:>8.3}  {label:<34} {rows:>6} rows");
        }
    }
    println!();
    println!("targets:");
    for r in results {
        let dash = percentile(&r.dashboard, 0.5);
        let ratio = dash / percentile(&r.raw.runs, 0.5);
        println!("  {:<11} ratio {:.2}× ≤ 1.5×: {}", r.label, ratio, if ratio <= 1.5 { "met" } else { "MISSED" });
        if r.cli == "sqlite3" {
            println!(
                "  {:<11} median {:.1} ms < 100 ms: {}",
                r.label,
                dash,
                if dash < 100.0 { "met" } else { "MISSED" }
            );
        }
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let scratch = tempfile::tempdir().expect("tempdir");
    let mut results = Vec::new();
    runtime.block_on(async {
        let sqlite_path = match std::env::var("BENCH_SQLITE_FILE") {
            Ok(path) if !path.is_empty() => std::path::PathBuf::from(path),
            _ => scratch.path().join("bench.db"),
        };
        let path = sqlite_path.to_str().expect("utf-8 path").to_string();
        results.push(bench("SQLite", Kind::Sqlite, &path, &path, scratch.path()).await);

        let pg = std::env::var("BENCH_DATABASE_URL").or_else(|_| std::env::var("TEST_DATABASE_URL")).ok();
        if let Some(admin_url) = pg {
            let name = format!("ct_bench_dash_{}", std::process::id());
            {
                let admin = connect_pool(&admin_url, 1).expect("postgres");
                let mut conn = admin.get().expect("connection");
                diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut conn).expect("create database");
            }
            let guard = DropDatabase { admin_url: admin_url.clone(), name: name.clone() };
            let mut url = url::Url::parse(&admin_url).expect("url");
            url.set_path(&name);
            results.push(bench("PostgreSQL", Kind::Postgres, url.as_str(), url.as_str(), scratch.path()).await);
            if std::env::var("BENCH_KEEP_PG").is_ok_and(|v| !v.is_empty()) {
                // For EXPLAIN ANALYZE afterwards; drop it by hand: DROP DATABASE … WITH (FORCE).
                std::mem::forget(guard);
                println!("PostgreSQL database {name} kept (BENCH_KEEP_PG)");
            } else {
                drop(guard);
            }
        } else {
            println!("PostgreSQL: skipped (set BENCH_DATABASE_URL=postgres://…)");
        }
    });
    report(&results);
    println!("SQL as run: {}/ct-bench-dashboard-{{sqlite,pg}}.sql", std::env::temp_dir().display());
}
