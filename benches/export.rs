//! Export throughput and memory at scale, next to the database's own CSV of the same query.
//!
//! Per backend (SQLite always; PostgreSQL when BENCH_DATABASE_URL or TEST_DATABASE_URL is set,
//! in a fresh database `ct_bench_export_<pid>` dropped at the end):
//!
//! 1. loads the demo (reference data and `history` at BENCH_SCALE — default 850, about
//!    1,000,000 distribution rows);
//! 2. starts the release binary, `target/release/campaign-tracker serve`, as its own process on a
//!    free port, signs in as the demo manager and downloads `GET /export/distributions.csv`
//!    BENCH_RUNS times (default 3), reading the whole body: rows/s, first byte, and the server
//!    process's peak RSS (VmHWM in /proc/PID/status) after startup and after the exports;
//! 3. runs the same query — the export's seventeen columns, the same joins, ordered the same way —
//!    through the database's own CSV writer, `sqlite3 -csv -header FILE "…"` and
//!    `psql URL -c "\copy (…) to stdout csv header"`, the same number of times, its output read
//!    through a pipe like the HTTP body; and checks that both give the same number of rows.
//!
//! ```sh
//! TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench export
//! BENCH_SCALE=2 cargo bench --bench export          # a quick run, a few thousand rows
//! ```
//!
//! BENCH_SQLITE_FILE=/path/bench.db keeps the SQLite database between runs (loaded when empty);
//! BENCH_PG_DATABASE=name does the same on PostgreSQL (created when missing, never dropped);
//! BENCH_KEEP_PG=1 keeps the fresh PostgreSQL database (drop it by hand).
//! Target: the export at least half as fast (rows/s) as the database's own CSV.

mod common;
use campaign_tracker::db::{connect_pool, run_migrations, DbConn};
use campaign_tracker::domain::Lang;
use campaign_tracker::exchange::csv::Flavour;
use campaign_tracker::exchange::export::{Filter, Kind, Source};
use common::{env_or, median, sign_in_manager, thousands, DropDatabase};
use diesel::RunQueryDsl;
use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

/// The export's rows as one SQL statement: the seventeen distribution columns, the same joins and
/// conditions (delivered lines with units received, to places that are not depots), in the same
/// order (delivery date, then line).
const DISTRIBUTIONS_SQL: &str = "SELECT s.delivered_on AS delivered_on, s.reference AS shipment_reference, \
     m.code AS material_code, m.name_en AS material_name, sl.quantity_received AS quantity, l.name AS location_name, \
     lt.code AS location_type, g.code AS region_code, g.name_en AS region_name, l.city AS city, l.country AS country, \
     (SELECT u.username FROM shipment_events e JOIN users u ON u.id = e.user_id WHERE e.shipment_id = s.id \
      AND e.status = 'delivered' ORDER BY e.at DESC, e.id DESC LIMIT 1) AS recorded_by, \
     l.code AS location_code, sl.quantity AS quantity_sent, \
     (SELECT o.code FROM locations o WHERE o.id = s.origin_id) AS origin_code, s.external_ref AS external_ref, sl.shortfall_reason AS shortfall_reason \
     FROM shipment_lines sl JOIN shipments s ON s.id = sl.shipment_id JOIN materials m ON m.id = sl.material_id \
     JOIN locations l ON l.id = s.destination_id JOIN location_types lt ON lt.id = l.location_type_id \
     LEFT JOIN regions g ON g.id = l.region_id \
     WHERE s.status = 'delivered' AND l.is_depot = FALSE AND sl.quantity_received > 0 ORDER BY s.delivered_on, sl.id";

/// Loads what is missing (every loader does nothing when its data is already there).
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
    if analyze {
        diesel::sql_query("VACUUM ANALYZE").execute(conn).expect("vacuum analyze");
    }
    let seconds = started.elapsed().as_secs_f64();
    println!("  loaded in {seconds:.1} s ({} movements written)", thousands(history.movements as u64));
    seconds
}

/// The release server as its own process, so its memory is its own.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(database_url: &str) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("addr").port();
        let child = Command::new(env!("CARGO_BIN_EXE_campaign-tracker"))
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

    /// VmHWM (peak resident set) of the server process, in KiB.
    fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
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
    while started.elapsed() < Duration::from_secs(60) {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await {
            if r.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not answer /healthz within 60 s");
}

/// One read of an export or a CLI's output: seconds, first byte (ms), bytes, lines.
#[derive(Debug, Clone, Copy)]
struct Download {
    seconds: f64,
    first_byte_ms: f64,
    bytes: u64,
    lines: u64,
}

async fn http_export(client: &reqwest::Client, url: &str) -> Download {
    let started = Instant::now();
    let mut response = client.get(url).send().await.expect("export request");
    assert_eq!(response.status().as_u16(), 200, "GET {url}");
    let mut first_byte_ms = f64::NAN;
    let (mut bytes, mut lines) = (0u64, 0u64);
    while let Some(chunk) = response.chunk().await.expect("body") {
        if bytes == 0 {
            first_byte_ms = started.elapsed().as_secs_f64() * 1000.0;
        }
        bytes += chunk.len() as u64;
        lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
    }
    Download { seconds: started.elapsed().as_secs_f64(), first_byte_ms, bytes, lines }
}

fn cli_export(backend: Backend, target: &str) -> Download {
    let mut command = match backend {
        Backend::Sqlite => {
            let mut c = Command::new("sqlite3");
            c.args(["-batch", "-csv", "-header", target, &format!("{DISTRIBUTIONS_SQL};")]);
            c
        }
        Backend::Postgres => {
            let mut c = Command::new("psql");
            c.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", target, "-c"])
                .arg(format!("\\copy ({DISTRIBUTIONS_SQL}) to stdout csv header"));
            c
        }
    };
    let started = Instant::now();
    let mut child = command.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().expect("start the database CLI");
    let mut out = child.stdout.take().expect("stdout");
    let mut buf = vec![0u8; 64 * 1024];
    let mut first_byte_ms = f64::NAN;
    let (mut bytes, mut lines) = (0u64, 0u64);
    loop {
        let n = out.read(&mut buf).expect("read the CLI's output");
        if n == 0 {
            break;
        }
        if bytes == 0 {
            first_byte_ms = started.elapsed().as_secs_f64() * 1000.0;
        }
        bytes += n as u64;
        lines += buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
    }
    assert!(child.wait().expect("the CLI ends").success(), "the database CLI failed");
    Download { seconds: started.elapsed().as_secs_f64(), first_byte_ms, bytes, lines }
}

/// The export without HTTP: every chunk read on one connection, then read and encoded as CSV.
fn in_process(database_url: &str) -> (f64, f64) {
    let pool = connect_pool(database_url, 1).expect("database");
    let mut conn = pool.get().expect("connection");
    let mut times = [0.0; 2];
    for (i, encode) in [false, true].into_iter().enumerate() {
        let started = Instant::now();
        let mut source = Source::new(Kind::Distributions, Filter::default(), Lang::En);
        let mut bytes = 0;
        while !source.is_done() {
            let rows = source.next_chunk(&mut conn).expect("chunk");
            if encode {
                bytes += campaign_tracker::exchange::csv::rows(Flavour::PLAIN, &rows).expect("csv").len();
            }
        }
        std::hint::black_box(bytes);
        times[i] = started.elapsed().as_secs_f64();
    }
    (times[0], times[1])
}

struct Figures {
    label: &'static str,
    cli: &'static str,
    rows: u64,
    app: Vec<Download>,
    db: Vec<Download>,
    rss_idle_kib: u64,
    rss_peak_kib: u64,
}

async fn bench(label: &'static str, backend: Backend, database_url: &str, cli_target: &str) -> Figures {
    let scale: u32 = env_or("BENCH_SCALE", 850);
    let runs: usize = env_or("BENCH_RUNS", 3).max(1);
    println!("{label}: preparing (scale {scale})");
    let rows = {
        let pool = connect_pool(database_url, 1).expect("database");
        let mut conn = pool.get().expect("connection");
        prepare(&mut conn, scale, backend == Backend::Postgres);
        let source = Source::new(Kind::Distributions, Filter::default(), Lang::En);
        source.count(&mut conn).expect("count") as u64
    };
    println!("  {} distribution rows", thousands(rows));
    let in_process = tokio::task::block_in_place(|| in_process(database_url));
    println!(
        "  in process (one connection, no HTTP): reading the chunks {:.2} s, reading and encoding CSV {:.2} s",
        in_process.0, in_process.1
    );

    let server = Server::start(database_url);
    wait_until_up(&server.base).await;
    let client = sign_in_manager(&server.base).await;
    let rss_idle_kib = server.peak_rss_kib();
    let url = format!("{}/export/distributions.csv", server.base);
    let mut app = Vec::new();
    for run in 0..runs {
        let read = http_export(&client, &url).await;
        println!(
            "  export run {}: {:.2} s, {} lines, {} MB, first byte {:.1} ms",
            run + 1,
            read.seconds,
            thousands(read.lines),
            read.bytes / 1_000_000,
            read.first_byte_ms
        );
        app.push(read);
    }
    let rss_peak_kib = server.peak_rss_kib();
    drop(server);

    let cli = if backend == Backend::Sqlite { "sqlite3 -csv" } else { "psql \\copy" };
    let mut db = Vec::new();
    for run in 0..runs {
        let read = tokio::task::block_in_place(|| cli_export(backend, cli_target));
        println!("  {cli} run {}: {:.2} s, {} lines", run + 1, read.seconds, thousands(read.lines));
        db.push(read);
    }
    for read in app.iter().chain(&db) {
        assert_eq!(read.lines, rows + 1, "header and one line per row (no line breaks inside the demo's values)");
    }
    Figures { label, cli, rows, app, db, rss_idle_kib, rss_peak_kib }
}

fn report(results: &[Figures]) {
    println!();
    println!(
        "export benchmark: GET /export/distributions.csv from the release server next to the database's own CSV \
         ({} cores, median of {} runs)",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        results.first().map(|r| r.app.len()).unwrap_or(0)
    );
    println!(
        "| backend | rows | export | rows/s | first byte | server peak RSS (idle → after) | database CSV | rows/s | ratio | target ≥ 0.5× |"
    );
    println!("|---|---:|---:|---:|---:|---:|---|---:|---:|---|");
    for r in results {
        let app_s = median(&r.app.iter().map(|x| x.seconds).collect::<Vec<_>>());
        let db_s = median(&r.db.iter().map(|x| x.seconds).collect::<Vec<_>>());
        let first = median(&r.app.iter().map(|x| x.first_byte_ms).collect::<Vec<_>>());
        let (app_rate, db_rate) = (r.rows as f64 / app_s, r.rows as f64 / db_s);
        let ratio = app_rate / db_rate;
        println!(
            "| {} | {} | {:.2} s | {} | {:.1} ms | {:.0} → {:.0} MB | {:.2} s (`{}`) | {} | {:.2}× | {} |",
            r.label,
            thousands(r.rows),
            app_s,
            thousands(app_rate as u64),
            first,
            r.rss_idle_kib as f64 / 1024.0,
            r.rss_peak_kib as f64 / 1024.0,
            db_s,
            r.cli,
            thousands(db_rate as u64),
            ratio,
            if ratio >= 0.5 { "met" } else { "MISSED" }
        );
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
        results.push(bench("SQLite", Backend::Sqlite, &path, &path).await);

        let pg = std::env::var("BENCH_DATABASE_URL").or_else(|_| std::env::var("TEST_DATABASE_URL")).ok();
        if let Some(admin_url) = pg.filter(|u| !u.trim().is_empty()) {
            let kept = std::env::var("BENCH_PG_DATABASE").ok().filter(|n| !n.is_empty());
            let name = kept.clone().unwrap_or_else(|| format!("ct_bench_export_{}", std::process::id()));
            {
                let admin = connect_pool(&admin_url, 1).expect("postgres");
                let mut conn = admin.get().expect("connection");
                let created = diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut conn);
                if kept.is_none() {
                    created.expect("create database");
                }
            }
            let guard = DropDatabase { admin_url: admin_url.clone(), name: name.clone() };
            let mut url = url::Url::parse(&admin_url).expect("url");
            url.set_path(&name);
            results.push(bench("PostgreSQL", Backend::Postgres, url.as_str(), url.as_str()).await);
            if kept.is_some() || std::env::var("BENCH_KEEP_PG").is_ok_and(|v| !v.is_empty()) {
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
}
