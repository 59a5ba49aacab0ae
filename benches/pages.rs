//! Every GET page at a million ledger rows, at one and at sixteen concurrent clients, each beside
//! `/healthz` measured in the same run. Printed figures, not a timed test.
//!
//! 1. loads `demo --scale 408` (BENCH_SCALE; 1,000,678 movements) once per backend, with the demo
//!    targets and airings; on PostgreSQL then `VACUUM ANALYZE`s, as `demo` itself does;
//! 2. starts the release binary, `campaign-tracker serve`, as its own process with its default
//!    pool, and signs in as the demo manager (who reads everything);
//! 3. for each page: the first request alone ("cold"), then one client for up to BENCH_REQUESTS
//!    requests or BENCH_SECONDS, then sixteen clients (BENCH_CLIENTS) for BENCH_SECONDS while a
//!    seventeenth asks `/healthz` every 50 ms: p50 / p95 / p99, requests a second, and `/healthz`'s
//!    p99 under that load. A non-200 answer is counted as an error;
//! 4. last, the dashboard at sixteen clients while a logistics clerk saves and dispatches a
//!    one-poster shipment every 100 ms through the real form, each write changing the figures
//!    the dashboard keeps (it adds those shipments to the data).
//!
//! ```sh
//! TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench pages
//! BENCH_SQLITE_FILE=/tmp/pages.db BENCH_PG_DB=ct_bench_pages cargo bench --bench pages   # keep the data between runs
//! BENCH_ONLY=shipments cargo bench --bench pages                                        # pages whose label contains it
//! ```
//!
//! To compare with another build on the same data: BENCH_SERVER_BIN=/path/to/campaign-tracker
//! and BENCH_NO_PREPARE=1 (the database as it is, loaded by that build's own `demo --scale`).

mod common;

use campaign_tracker::db::{connect_pool, run_migrations, DbConn};
use common::{
    csrf, dispatch_form, env_or, option_value, percentile, sign_in_manager, sign_in_with, thousands, DropDatabase,
};
use diesel::RunQueryDsl;
use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn prepare(conn: &mut DbConn, scale: u32, analyze: bool) {
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
    campaign_tracker::demo::targets::load_targets(conn).expect("targets");
    campaign_tracker::demo::airings::load_airings(conn).expect("airings");
    if analyze {
        campaign_tracker::db::analyze_after_bulk_load(conn).expect("vacuum analyze");
    }
    println!(
        "  ready in {:.1} s ({} movements written now)",
        started.elapsed().as_secs_f64(),
        thousands(history.movements as u64)
    );
}

fn scalar(conn: &mut DbConn, sql: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(sql).get_result::<N>(conn).unwrap_or_else(|e| panic!("{sql}: {e}")).n
}

/// The pages to sweep: every list unfiltered, with its heaviest filter and at its far end; the
/// detail pages; the dashboard, report and stock pages; the first byte of each export.
fn pages(conn: &mut DbConn) -> Vec<(String, String)> {
    let poster = scalar(conn, "SELECT CAST(id AS BIGINT) AS n FROM materials WHERE code = 'POSTER'");
    let ccs = scalar(conn, "SELECT CAST(id AS BIGINT) AS n FROM locations WHERE code = 'DEP-CCS'");
    let lara = scalar(conn, "SELECT CAST(id AS BIGINT) AS n FROM regions WHERE code = 'VE-K'");
    let school = scalar(conn, "SELECT CAST(id AS BIGINT) AS n FROM location_types WHERE code = 'school'");
    let point = scalar(
        conn,
        "SELECT CAST(MIN(s.destination_id) AS BIGINT) AS n FROM shipments s JOIN locations l ON l.id = s.destination_id WHERE l.is_depot = FALSE",
    );
    let shipment = scalar(conn, "SELECT CAST(MAX(id) AS BIGINT) AS n FROM shipments WHERE status = 'delivered'");
    let receipt = scalar(conn, "SELECT CAST(MAX(id) AS BIGINT) AS n FROM receipts");
    let delivered = scalar(conn, "SELECT COUNT(*) AS n FROM shipments WHERE status = 'delivered'");
    let last_page = (delivered + 49) / 50;
    let spot = scalar(conn, "SELECT CAST(MIN(id) AS BIGINT) AS n FROM materials WHERE kind = 'broadcast_spot'");
    let p = |label: &str, path: String| (label.to_string(), path);
    vec![
        p("dashboard", "/dashboard".into()),
        p("report", "/report".into()),
        p("stock", "/stock".into()),
        p("stock, depots of one material", format!("/stock?material={poster}&depots=1")),
        p("stock at a depot", format!("/stock/locations/{ccs}")),
        p("stock at a distribution point", format!("/stock/locations/{point}")),
        p("material ledger", format!("/stock/materials/{poster}")),
        p("material ledger at a depot", format!("/stock/materials/{poster}?location={ccs}")),
        p("material ledger, last page", format!("/stock/materials/{poster}?last=1")),
        p("material ledger at a distribution point", format!("/stock/materials/{poster}?location={point}")),
        p("shipments", "/shipments".into()),
        p("shipments delivered, last page", format!("/shipments?status=delivered&page={last_page}&last=1")),
        p(
            "shipments by material, region, type",
            format!("/shipments?material={poster}&region={lara}&type={school}&dest=points"),
        ),
        p("shipments by text", "/shipments?q=escuela".into()),
        p("shipments by a text that matches nothing", "/shipments?q=zqxj".into()),
        p("shipments by part of a reference", "/shipments?q=h-01234".into()),
        p("shipments to distribution points", "/shipments?dest=points".into()),
        p("shipments to a type of place", format!("/shipments?type={school}")),
        p("shipments by reference", "/shipments?sort=reference".into()),
        p("shipment", format!("/shipments/{shipment}")),
        p("waybill", format!("/shipments/{shipment}/waybill")),
        p("receipts", "/receipts".into()),
        p("receipts of a material, a year", format!("/receipts?material={poster}&from=2005-01-01&to=2005-12-31")),
        p("receipt", format!("/receipts/{receipt}")),
        p("airings", "/airings".into()),
        p("airings, last page", "/airings?last=1".into()),
        p("airings of a spot", format!("/airings?spot={spot}")),
        p("targets", format!("/targets?material={poster}")),
        p("locations", "/locations".into()),
        p("locations by text", "/locations?q=escuela&status=all".into()),
        p("audit log", "/audit".into()),
        p("imports", "/imports".into()),
        p("export shipments (first byte)", "/export/shipments.csv".into()),
        p("export distributions (first byte)", "/export/distributions.csv".into()),
        p("export ledger (first byte)", format!("/export/ledger.csv?material={poster}")),
    ]
}

/// The release server as its own process.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(database_url: &str) -> Server {
        let port = common::free_port();
        let binary = std::env::var("BENCH_SERVER_BIN")
            .ok()
            .filter(|b| !b.is_empty())
            .unwrap_or_else(|| env!("CARGO_BIN_EXE_campaign-tracker").to_string());
        let child = Command::new(binary)
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("BIND_ADDRESS", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start campaign-tracker serve");
        Server { child, base: format!("http://127.0.0.1:{port}") }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn wait_until_up(base: &str) {
    let client = reqwest::Client::new();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(120) {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await {
            if r.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not answer /healthz within 120 s");
}

/// One GET read to the end (or to its first byte): milliseconds and whether it was a 200.
async fn get(client: &reqwest::Client, url: &str, first_byte_only: bool) -> (f64, bool) {
    let started = Instant::now();
    match client.get(url).send().await {
        Ok(mut response) => {
            let ok = response.status().as_u16() == 200;
            if first_byte_only {
                let _ = response.chunk().await;
            } else {
                while let Ok(Some(_)) = response.chunk().await {}
            }
            (started.elapsed().as_secs_f64() * 1000.0, ok)
        }
        Err(_) => (started.elapsed().as_secs_f64() * 1000.0, false),
    }
}

#[derive(Default, Clone)]
struct Run {
    samples: Vec<f64>,
    errors: usize,
    seconds: f64,
}

impl Run {
    fn rate(&self) -> f64 {
        self.samples.len() as f64 / self.seconds.max(1e-9)
    }
    fn p(&self, q: f64) -> f64 {
        percentile(&self.samples, q)
    }
}

struct PageFigures {
    label: String,
    cold: f64,
    one: Run,
    many: Run,
    healthz_under_load: Run,
}

async fn sequential(client: &reqwest::Client, url: &str, first_byte: bool, requests: usize, limit: Duration) -> Run {
    let mut run = Run::default();
    let started = Instant::now();
    while run.samples.len() + run.errors < requests && started.elapsed() < limit {
        let (ms, ok) = get(client, url, first_byte).await;
        if ok {
            run.samples.push(ms);
        } else {
            run.errors += 1;
        }
    }
    run.seconds = started.elapsed().as_secs_f64();
    run
}

/// `clients` loops for `limit`, and `/healthz` every 50 ms beside them.
async fn concurrent(
    client: &reqwest::Client,
    base: &str,
    url: &str,
    first_byte: bool,
    clients: usize,
    limit: Duration,
) -> (Run, Run) {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (client, url) = (client.clone(), url.to_string());
        tasks.push(tokio::spawn(async move {
            let mut run = Run::default();
            while started.elapsed() < limit {
                let (ms, ok) = get(&client, &url, first_byte).await;
                if ok {
                    run.samples.push(ms);
                } else {
                    run.errors += 1;
                }
            }
            run
        }));
    }
    let health = {
        let (client, url) = (reqwest::Client::new(), format!("{base}/healthz"));
        tokio::spawn(async move {
            let mut run = Run::default();
            while started.elapsed() < limit {
                let (ms, ok) = get(&client, &url, false).await;
                if ok {
                    run.samples.push(ms);
                } else {
                    run.errors += 1;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            run
        })
    };
    let mut all = Run::default();
    for task in tasks {
        let run = task.await.expect("client task");
        all.samples.extend(run.samples);
        all.errors += run.errors;
    }
    all.seconds = started.elapsed().as_secs_f64();
    let mut health = health.await.expect("healthz task");
    health.seconds = all.seconds;
    (all, health)
}

/// The dashboard read by `clients` while a logistics clerk saves and dispatches a one-poster
/// shipment every 100 ms through the real form: each write changes the figures the dashboard
/// keeps between writes. Gives the readers, `/healthz` meanwhile and the writes (their
/// latencies; errors are refused posts).
async fn dashboard_under_writes(
    base: &str,
    reader: &reqwest::Client,
    clients: usize,
    limit: Duration,
) -> (Run, Run, Run) {
    let writer = sign_in_with(reqwest::Client::builder(), base, "logistics", "demo-logistics-pass").await;
    let page = |path: String| {
        let writer = writer.clone();
        async move { writer.get(path).send().await.expect("page").text().await.expect("body") }
    };
    let form = page(format!("{base}/shipments/new?key=bench-writer-form")).await;
    let token = csrf(&form);
    let (material, depot, destination) =
        (option_value(&form, "POSTER"), option_value(&form, "DEP-CCS"), option_value(&form, "Hospital"));
    assert!(!material.is_empty() && !depot.is_empty() && !destination.is_empty(), "the shipment form's options");
    let started = Instant::now();
    let url = format!("{base}/shipments/new");
    let writes = tokio::spawn(async move {
        let mut run = Run::default();
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        let mut n = 0u64;
        while started.elapsed() < limit {
            tick.tick().await;
            n += 1;
            let key = format!("bench-writer-{}-{n}", std::process::id());
            let sent = Instant::now();
            let response =
                writer.post(&url).form(&dispatch_form(&token, &key, &depot, &destination, &material, "1")).send().await;
            match response {
                Ok(r) if r.status().as_u16() == 303 => run.samples.push(sent.elapsed().as_secs_f64() * 1000.0),
                _ => run.errors += 1,
            }
        }
        run.seconds = started.elapsed().as_secs_f64();
        run
    });
    let (many, health) = concurrent(reader, base, &format!("{base}/dashboard"), false, clients, limit).await;
    let written = writes.await.expect("writer task");
    (many, health, written)
}

struct Figures {
    label: &'static str,
    healthz_one: Run,
    healthz_many: Run,
    pages: Vec<PageFigures>,
}

async fn bench(label: &'static str, database_url: &str, analyze: bool) -> Figures {
    let scale: u32 = env_or("BENCH_SCALE", 408);
    let requests: usize = env_or("BENCH_REQUESTS", 30);
    let seconds: u64 = env_or("BENCH_SECONDS", 5);
    let clients: usize = env_or("BENCH_CLIENTS", 16);
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let limit = Duration::from_secs(seconds);
    println!("{label}: preparing (scale {scale})");
    let list = {
        let pool = connect_pool(database_url, 1).expect("database");
        let mut conn = pool.get().expect("connection");
        if std::env::var("BENCH_NO_PREPARE").map(|v| v.is_empty()).unwrap_or(true) {
            prepare(&mut conn, scale, analyze);
        }
        let movements = scalar(&mut conn, "SELECT COUNT(*) AS n FROM stock_movements");
        let shipments = scalar(&mut conn, "SELECT COUNT(*) AS n FROM shipments");
        println!("  {} movements, {} shipments", thousands(movements), thousands(shipments));
        pages(&mut conn)
    };
    let server = Server::start(database_url);
    wait_until_up(&server.base).await;
    let base = server.base.clone();
    let client = Arc::new(sign_in_manager(&base).await);
    let healthz = format!("{base}/healthz");
    let healthz_one = sequential(&client, &healthz, false, 200, limit).await;
    let (healthz_many, _) = concurrent(&client, &base, &healthz, false, clients, limit).await;
    let mut figures = Vec::new();
    for (page, path) in list.into_iter().filter(|(l, _)| only.is_empty() || l.contains(&only)) {
        let url = format!("{base}{path}");
        let first_byte = path.starts_with("/export/");
        let (cold, ok) = get(&client, &url, first_byte).await;
        assert!(ok, "{label}: GET {path} did not answer 200");
        let one = sequential(&client, &url, first_byte, requests, limit).await;
        let (many, health) = concurrent(&client, &base, &url, first_byte, clients, limit).await;
        println!(
            "  {page:<40} cold {cold:>8.1} ms | 1: p50 {:>7.1} p95 {:>7.1} p99 {:>7.1} ms {:>7.1}/s | {clients}: p50 {:>7.1} p95 {:>7.1} p99 {:>7.1} ms {:>7.1}/s{} | healthz p99 {:>6.1} ms",
            one.p(0.5),
            one.p(0.95),
            one.p(0.99),
            one.rate(),
            many.p(0.5),
            many.p(0.95),
            many.p(0.99),
            many.rate(),
            if many.errors + one.errors > 0 { format!(" ({} errors)", many.errors + one.errors) } else { String::new() },
            health.p(0.99),
        );
        figures.push(PageFigures { label: page, cold, one, many, healthz_under_load: health });
    }
    const UNDER_WRITES: &str = "dashboard while one writer dispatches 10/s";
    if only.is_empty() || UNDER_WRITES.contains(&only) {
        let (many, health, written) = dashboard_under_writes(&base, &client, clients, limit).await;
        println!(
            "  {UNDER_WRITES:<40} {clients}: p50 {:>7.1} p95 {:>7.1} p99 {:>7.1} ms {:>7.1}/s{} | {:.1} dispatches/s ({} refused) | healthz p99 {:>6.1} ms",
            many.p(0.5),
            many.p(0.95),
            many.p(0.99),
            many.rate(),
            if many.errors > 0 { format!(" ({} errors)", many.errors) } else { String::new() },
            written.samples.len() as f64 / written.seconds,
            written.errors,
            health.p(0.99),
        );
        figures.push(PageFigures {
            label: format!("{UNDER_WRITES} ({:.1} written/s)", written.samples.len() as f64 / written.seconds),
            cold: f64::NAN,
            one: Run::default(),
            many,
            healthz_under_load: health,
        });
    }
    drop(server);
    Figures { label, healthz_one, healthz_many, pages: figures }
}

fn report(results: &[Figures]) {
    let clients: usize = env_or("BENCH_CLIENTS", 16);
    println!();
    println!("pages benchmark ({} cores)", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0));
    for r in results {
        println!(
            "{}: /healthz alone, 1 client {:.0} req/s (p99 {:.1} ms), {clients} clients {:.0} req/s (p99 {:.1} ms)",
            r.label,
            r.healthz_one.rate(),
            r.healthz_one.p(0.99),
            r.healthz_many.rate(),
            r.healthz_many.p(0.99)
        );
        println!(
            "| page | cold ms | 1 client p50 / p95 / p99 ms | req/s | {clients} clients p50 / p95 / p99 ms | req/s | /healthz p99 ms meanwhile |"
        );
        println!("|---|---:|---:|---:|---:|---:|---:|");
        for p in &r.pages {
            println!(
                "| {} | {:.0} | {:.0} / {:.0} / {:.0} | {:.1} | {:.0} / {:.0} / {:.0} | {:.1} | {:.1} |",
                p.label,
                p.cold,
                p.one.p(0.5),
                p.one.p(0.95),
                p.one.p(0.99),
                p.one.rate(),
                p.many.p(0.5),
                p.many.p(0.95),
                p.many.p(0.99),
                p.many.rate(),
                p.healthz_under_load.p(0.99)
            );
        }
        let slow: Vec<&str> = r.pages.iter().filter(|p| p.one.p(0.95) >= 100.0).map(|p| p.label.as_str()).collect();
        let weak: Vec<&str> = r
            .pages
            .iter()
            .filter(|p| p.many.rate() < 50.0 || p.many.p(0.99) >= 500.0 || p.many.rate() < p.one.rate())
            .map(|p| p.label.as_str())
            .collect();
        let starved = r.pages.iter().filter(|p| p.healthz_under_load.p(0.99) >= 10.0).count();
        println!("targets ({}):", r.label);
        println!(
            "  every page p95 < 100 ms at one client: {}",
            if slow.is_empty() { "met".to_string() } else { format!("MISSED by {}: {}", slow.len(), slow.join(", ")) }
        );
        println!(
            "  {clients} clients: >= 50 req/s, p99 < 500 ms, no less than one client: {}",
            if weak.is_empty() { "met".to_string() } else { format!("MISSED by {}: {}", weak.len(), weak.join(", ")) }
        );
        println!(
            "  /healthz p99 < 10 ms while {clients} clients read: {}",
            if starved == 0 { "met".to_string() } else { format!("MISSED on {starved} pages") }
        );
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let scratch = tempfile::tempdir().expect("tempdir");
    let mut results = Vec::new();
    runtime.block_on(async {
        if std::env::var("BENCH_SKIP_SQLITE").map(|v| v.is_empty()).unwrap_or(true) {
            let path = match std::env::var("BENCH_SQLITE_FILE") {
                Ok(path) if !path.is_empty() => path,
                _ => scratch.path().join("pages.db").to_str().expect("utf-8 path").to_string(),
            };
            results.push(bench("SQLite", &path, false).await);
        }
        let pg = std::env::var("BENCH_DATABASE_URL").or_else(|_| std::env::var("TEST_DATABASE_URL")).ok();
        if let Some(admin_url) = pg {
            let kept = std::env::var("BENCH_PG_DB").ok().filter(|v| !v.is_empty());
            let name = kept.clone().unwrap_or_else(|| format!("ct_bench_pages_{}", std::process::id()));
            {
                let admin = connect_pool(&admin_url, 1).expect("postgres");
                let mut conn = admin.get().expect("connection");
                let exists =
                    scalar(&mut conn, &format!("SELECT COUNT(*) AS n FROM pg_database WHERE datname = '{name}'"));
                if exists == 0 {
                    diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut conn).expect("create database");
                }
            }
            let guard = DropDatabase { admin_url: admin_url.clone(), name: name.clone() };
            let mut url = url::Url::parse(&admin_url).expect("url");
            url.set_path(&name);
            results.push(bench("PostgreSQL", url.as_str(), true).await);
            if kept.is_some() {
                std::mem::forget(guard);
                println!("PostgreSQL database {name} kept (BENCH_PG_DB)");
            }
        } else {
            println!("PostgreSQL: skipped (set BENCH_DATABASE_URL=postgres://…)");
        }
    });
    report(&results);
}
