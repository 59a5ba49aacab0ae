//! Dispatch throughput: 64 concurrent signed-in clients each create-and-dispatch shipments of
//! one poster from a well-stocked depot, next to the same server's /healthz as the ceiling.
//! Prints requests/s, p50 and p99 for SQLite and, when BENCH_DATABASE_URL (or
//! TEST_DATABASE_URL) is set, PostgreSQL; beside them the rate of bare durable commits on the
//! same database (the floor a write cannot go under) and the statements each dispatch sends.
//!
//!     cargo bench --bench dispatch            # BENCH_SECONDS=10 by default

mod common;
use campaign_tracker::config::Config;
use campaign_tracker::db::{connect_pool, run_migrations};
use campaign_tracker::startup::Application;
use common::{csrf, dispatch_form, sign_in_with};
use std::time::{Duration, Instant};

const CLIENTS: usize = 64;

/// Statements sent by every connection of this process, counted through diesel's instrumentation.
static STATEMENTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

struct CountStatements;

impl diesel::connection::Instrumentation for CountStatements {
    fn on_connection_event(&mut self, event: diesel::connection::InstrumentationEvent<'_>) {
        if let diesel::connection::InstrumentationEvent::StartQuery { .. } = event {
            STATEMENTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

fn count_statements() -> Option<Box<dyn diesel::connection::Instrumentation>> {
    Some(Box::new(CountStatements))
}

/// Bare durable commits a second on this database, one connection with the application's
/// settings: `BEGIN IMMEDIATE; INSERT one row; COMMIT` (a plain transaction on PostgreSQL).
fn bare_commits(database_url: &str, seconds: f64) -> f64 {
    use diesel::connection::SimpleConnection;
    let mut conn = campaign_tracker::db::connection::establish(database_url).expect("connection");
    let begin = match conn {
        campaign_tracker::db::DbConn::Sqlite(_) => "BEGIN IMMEDIATE",
        campaign_tracker::db::DbConn::Postgresql(_) => "BEGIN",
    };
    conn.batch_execute("CREATE TABLE IF NOT EXISTS bench_commits (n INTEGER NOT NULL)").expect("table");
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed().as_secs_f64() < seconds {
        conn.batch_execute(&format!("{begin}; INSERT INTO bench_commits (n) VALUES ({n}); COMMIT")).expect("commit");
        n += 1;
    }
    let rate = n as f64 / start.elapsed().as_secs_f64();
    conn.batch_execute("DROP TABLE bench_commits").expect("drop");
    rate
}

struct Figures {
    requests: usize,
    errors: usize,
    /// Unexpected answers by status (0: no answer).
    error_statuses: std::collections::BTreeMap<u16, usize>,
    seconds: f64,
    latencies_ms: Vec<f64>,
}

impl Figures {
    fn percentile(&self, p: f64) -> f64 {
        if self.latencies_ms.is_empty() {
            return f64::NAN;
        }
        let mut sorted = self.latencies_ms.clone();
        sorted.sort_by(f64::total_cmp);
        let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        sorted[index]
    }

    fn line(&self, what: &str) -> String {
        format!(
            "{what:<28} {:>9.0} req/s   p50 {:>7.2} ms   p99 {:>7.2} ms   ({} requests, {} errors{})",
            self.requests as f64 / self.seconds,
            self.percentile(0.50),
            self.percentile(0.99),
            self.requests,
            self.errors,
            if self.error_statuses.is_empty() {
                String::new()
            } else {
                format!(" by status {:?}", self.error_statuses)
            }
        )
    }
}

async fn client(base: &str) -> (reqwest::Client, String) {
    let builder = reqwest::Client::builder().pool_max_idle_per_host(1);
    let c = sign_in_with(builder, base, "logistics", "demo-logistics-pass").await;
    // Signing in issues a new browser id, and with it a new CSRF token.
    let page = c.get(format!("{base}/stock")).send().await.expect("page").text().await.expect("body");
    (c, csrf(&page))
}

async fn run<F, Fut>(seconds: u64, clients: &[(reqwest::Client, String)], request: F) -> Figures
where
    F: Fn(reqwest::Client, String, usize) -> Fut + Send + Sync + 'static + Clone,
    Fut: std::future::Future<Output = Result<(), u16>> + Send,
{
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (i, (c, token)) in clients.iter().enumerate() {
        let (c, token, request) = (c.clone(), token.clone(), request.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors: Vec<u16> = Vec::new();
            let mut n = 0;
            while Instant::now() < deadline {
                let t = Instant::now();
                if let Err(status) = request(c.clone(), token.clone(), i * 1_000_000 + n).await {
                    errors.push(status);
                }
                latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                n += 1;
            }
            (latencies, errors)
        }));
    }
    let mut figures =
        Figures { requests: 0, errors: 0, error_statuses: Default::default(), seconds: 0.0, latencies_ms: Vec::new() };
    for task in tasks {
        let (latencies, errors) = task.await.expect("task");
        figures.requests += latencies.len();
        figures.errors += errors.len();
        for status in errors {
            *figures.error_statuses.entry(status).or_default() += 1;
        }
        figures.latencies_ms.extend(latencies);
    }
    figures.seconds = start.elapsed().as_secs_f64();
    figures
}

async fn bench(label: &str, database_url: &str, seconds: u64) {
    {
        let pool = connect_pool(database_url, 2).expect("database");
        let mut conn = pool.get().expect("connection");
        run_migrations(&mut conn).expect("migrations");
        campaign_tracker::demo::load(&mut conn).expect("demo");
    }
    let mut config = Config::for_tests(database_url);
    config.workers = 2;
    config.pool_size = std::env::var("BENCH_POOL_SIZE").ok().and_then(|v| v.parse().ok()).unwrap_or(16);
    let app = Application::build(config).expect("server");
    let base = format!("http://127.0.0.1:{}", app.port);
    tokio::spawn(app.run());

    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        clients.push(client(&base).await);
    }
    let (c, token) = &clients[0];
    let (material, depot, destination) = common::stocked_dispatch_choices(c, &base, token).await;

    let health_base = base.clone();
    let health = run(seconds, &clients, move |c, _, _| {
        let url = format!("{health_base}/healthz");
        async move {
            match c.get(url).send().await {
                Ok(r) if r.status().is_success() => Ok(()),
                Ok(r) => Err(r.status().as_u16()),
                Err(_) => Err(0),
            }
        }
    })
    .await;

    let commits = bare_commits(database_url, seconds as f64 / 2.0);

    let dispatch_base = base.clone();
    let run_id = std::process::id();
    let dispatch = move |c: reqwest::Client, token: String, n: usize| {
        let url = format!("{dispatch_base}/shipments/new");
        let (material, depot, destination) = (material.clone(), depot.clone(), destination.clone());
        async move {
            let key = format!("bench-{run_id:08}-{n:010}");
            let response =
                c.post(url).form(&dispatch_form(&token, &key, &depot, &destination, &material, "1")).send().await;
            match response {
                Ok(r) if r.status().as_u16() == 303 => Ok(()),
                Ok(r) => Err(r.status().as_u16()),
                Err(_) => Err(0),
            }
        }
    };
    let before = STATEMENTS.load(std::sync::atomic::Ordering::Relaxed);
    let alone = run(seconds.div_ceil(2), &clients[..1], dispatch.clone()).await;
    let statements = STATEMENTS.load(std::sync::atomic::Ordering::Relaxed) - before;
    let crowd = run(seconds, &clients, dispatch).await;

    let rate = |f: &Figures| f.requests as f64 / f.seconds;
    println!("{label}");
    println!("  {}", health.line("GET /healthz (ceiling)"));
    println!("  {:<28} {commits:>9.0} commits/s", "bare durable commit (floor)");
    println!("  {}", alone.line("create + dispatch, 1 client"));
    println!("  {}", crowd.line(&format!("create + dispatch, {CLIENTS}")));
    println!(
        "  {:.1} statements per dispatch (1 client); {CLIENTS} clients: {:.2}× bare commits, {:.3}× /healthz",
        statements as f64 / alone.requests.max(1) as f64,
        rate(&crowd) / commits,
        rate(&crowd) / rate(&health),
    );
}

fn main() {
    diesel::connection::set_default_instrumentation(count_statements).expect("instrumentation");
    let seconds: u64 = std::env::var("BENCH_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(10);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    println!(
        "dispatch benchmark: {CLIENTS} concurrent clients, {seconds} s per figure, {} cores",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0)
    );
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("bench.db");
        bench("SQLite (WAL, synchronous=FULL)", path.to_str().unwrap_or_default(), seconds).await;
        let pg = std::env::var("BENCH_DATABASE_URL").or_else(|_| std::env::var("TEST_DATABASE_URL")).ok();
        if let Some(admin_url) = pg {
            let name = format!("ct_bench_{}", std::process::id());
            let admin = connect_pool(&admin_url, 1).expect("postgres");
            {
                use diesel::RunQueryDsl;
                let mut conn = admin.get().expect("connection");
                diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut conn).expect("create database");
            }
            let mut url = url::Url::parse(&admin_url).expect("url");
            url.set_path(&name);
            bench("PostgreSQL", url.as_str(), seconds).await;
            use diesel::RunQueryDsl;
            let mut conn = admin.get().expect("connection");
            diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn)
                .expect("drop database");
        } else {
            println!("PostgreSQL: skipped (set BENCH_DATABASE_URL=postgres://…)");
        }
    });
}
