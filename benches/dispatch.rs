//! Dispatch throughput: 64 concurrent signed-in clients each create-and-dispatch shipments of
//! one poster from a well-stocked depot, next to the same server's /healthz as the ceiling.
//! Prints requests/s, p50 and p99 for SQLite and, when BENCH_DATABASE_URL (or
//! TEST_DATABASE_URL) is set, PostgreSQL.
//!
//!     cargo bench --bench dispatch            # BENCH_SECONDS=10 by default

mod common;
use campaign_tracker::config::Config;
use campaign_tracker::db::{connect_pool, run_migrations};
use campaign_tracker::startup::Application;
use common::{csrf, dispatch_form, option_value, sign_in_with};
use std::time::{Duration, Instant};

const CLIENTS: usize = 64;

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
    config.pool_size = 16;
    let app = Application::build(config).expect("server");
    let base = format!("http://127.0.0.1:{}", app.port);
    tokio::spawn(app.run());

    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        clients.push(client(&base).await);
    }
    // Enough posters at the central depot for every dispatch the run can make.
    let (c, token) = &clients[0];
    let form = c
        .get(format!("{base}/receipts/new?key=bench-receipt-form-key"))
        .send()
        .await
        .expect("form")
        .text()
        .await
        .expect("body");
    let material = option_value(&form, "POSTER");
    let depot = option_value(&form, "DEP-CCS");
    let r = c
        .post(format!("{base}/receipts/new"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("submission_key", &format!("bench-receipt-{}", std::process::id())),
            ("material_id", &material),
            ("location_id", &depot),
            ("quantity", "1000000000"),
            ("confirm", "over_limit"),
            ("received_on", &chrono::Utc::now().date_naive().to_string()),
            ("supplier", "bench"),
            ("reference", "bench"),
        ])
        .send()
        .await
        .expect("receipt");
    assert_eq!(r.status().as_u16(), 303, "the stocking receipt failed");
    let new_form = c
        .get(format!("{base}/shipments/new?key=bench-shipment-form-key"))
        .send()
        .await
        .expect("form")
        .text()
        .await
        .expect("body");
    let destination = option_value(&new_form, "Hospital");

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

    let dispatch_base = base.clone();
    let run_id = std::process::id();
    let dispatch = run(seconds, &clients, move |c, token, n| {
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
    })
    .await;

    println!("{label}");
    println!("  {}", health.line("GET /healthz (ceiling)"));
    println!("  {}", dispatch.line("create + dispatch"));
}

fn main() {
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
