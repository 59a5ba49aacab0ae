//! Mixed load: 64 concurrent signed-in clients, 90 % reads (dashboard, shipments list, stock,
//! locations list) and 10 % writes (a receipt, or a shipment created and dispatched at once, each
//! with its submission key), against the release server started as its own process
//! (`campaign-tracker serve --trusted-proxies 127.0.0.1`) on the demo database. Then the same load
//! again while a password-spraying attack sends 30 failed sign-ins per second.
//!
//!     TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench load
//!
//! SQLite always (a temporary file); PostgreSQL when BENCH_DATABASE_URL or TEST_DATABASE_URL is
//! set (a fresh database `ct_bench_load_<pid>`, dropped at the end). BENCH_SECONDS (default 60)
//! per phase. Prints status counts, p50/p99 per request class and requests/s per phase, and
//! fails when any answer is a 5xx, no answer, or a body containing "database is locked".
//!
//! The load generator plays the load balancer: the server trusts 127.0.0.1, every request
//! carries `X-Forwarded-For`. Each signed-in client has its own address (10.20.0.x). The attack
//! is a botnet spraying passwords: every attempt fetches the sign-in form and posts it with a
//! different username and a different address (100.64.x.y), so neither the per-username nor
//! the per-address throttle slows it down and every attempt costs a full argon2id check (of the
//! dummy hash): the worst case for everyone else. An attacker from one address would be
//! throttled after four attempts and cost almost nothing.

mod common;
use common::{csrf, free_port, option_value, percentile, sign_in_with};
use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CLIENTS: usize = 64;
const BAD_LOGINS_PER_SECOND: u64 = 30;
const BIN: &str = env!("CARGO_BIN_EXE_campaign-tracker");

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Class {
    Dashboard,
    Shipments,
    Stock,
    Locations,
    Receipt,
    Dispatch,
}

const CLASSES: [Class; 6] =
    [Class::Dashboard, Class::Shipments, Class::Stock, Class::Locations, Class::Receipt, Class::Dispatch];

impl Class {
    fn label(self) -> &'static str {
        match self {
            Class::Dashboard => "GET /dashboard",
            Class::Shipments => "GET /shipments",
            Class::Stock => "GET /stock",
            Class::Locations => "GET /locations",
            Class::Receipt => "POST receipt",
            Class::Dispatch => "POST create+dispatch",
        }
    }

    fn is_write(self) -> bool {
        matches!(self, Class::Receipt | Class::Dispatch)
    }

    /// The n-th request of client `i`: 2 slots in 20 are writes (one of each), the other 18 cycle
    /// through the four reads; clients start at different points of the cycle.
    fn pick(i: usize, n: usize) -> Class {
        let slot = (n + i * 7) % 20;
        match slot {
            0 => Class::Receipt,
            10 => Class::Dispatch,
            _ => [Class::Dashboard, Class::Shipments, Class::Stock, Class::Locations][slot % 4],
        }
    }
}

/// One answer: its class, latency, status (0: no answer) and whether the body said the database
/// was locked.
struct Sample {
    class: Class,
    ms: f64,
    status: u16,
    locked: bool,
}

/// Count, p50 and p99 of the samples `keep` selects.
fn stats(samples: &[Sample], keep: impl Fn(&Sample) -> bool) -> (usize, f64, f64) {
    let mut ms: Vec<f64> = samples.iter().filter(|s| keep(s)).map(|s| s.ms).collect();
    ms.sort_by(f64::total_cmp);
    (ms.len(), percentile(&ms, 0.50), percentile(&ms, 0.99))
}

struct Phase {
    samples: Vec<Sample>,
    seconds: f64,
}

impl Phase {
    fn statuses(&self, class: Class) -> BTreeMap<u16, usize> {
        let mut map = BTreeMap::new();
        for s in self.samples.iter().filter(|s| s.class == class) {
            *map.entry(s.status).or_default() += 1;
        }
        map
    }

    fn problems(&self, name: &str) -> Vec<String> {
        let mut problems = Vec::new();
        let server_errors = self.samples.iter().filter(|s| s.status >= 500).count();
        let no_answer = self.samples.iter().filter(|s| s.status == 0).count();
        let locked = self.samples.iter().filter(|s| s.locked).count();
        if server_errors > 0 {
            problems.push(format!("{name}: {server_errors} answers with a 5xx status"));
        }
        if no_answer > 0 {
            problems.push(format!("{name}: {no_answer} requests without an answer"));
        }
        if locked > 0 {
            problems.push(format!("{name}: {locked} bodies containing \"database is locked\""));
        }
        problems
    }
}

/// A signed-in client: its HTTP client (cookie jar, its own X-Forwarded-For) and CSRF token.
#[derive(Clone)]
struct Client {
    http: reqwest::Client,
    token: String,
}

/// What the writes need: ids from the demo's forms.
#[derive(Clone)]
struct Ids {
    poster: String,
    depot: String,
    destination: String,
}

fn today() -> String {
    chrono::Utc::now().date_naive().to_string()
}

async fn sign_in(base: &str, i: usize) -> Client {
    let address = format!("10.20.{}.{}", i / 250, i % 250 + 1);
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-forwarded-for", address.parse().expect("header value"));
    let builder =
        reqwest::Client::builder().pool_max_idle_per_host(1).default_headers(headers).timeout(Duration::from_secs(120));
    let http = sign_in_with(builder, base, "logistics", "demo-logistics-pass").await;
    // Signing in issues a new browser id, and with it a new CSRF token.
    let page = http.get(format!("{base}/stock")).send().await.expect("page").text().await.expect("body");
    Client { http, token: csrf(&page) }
}

async fn request(base: &str, c: &Client, ids: &Ids, class: Class, key: &str) -> (u16, bool) {
    let builder = match class {
        Class::Dashboard => c.http.get(format!("{base}/dashboard")),
        Class::Shipments => c.http.get(format!("{base}/shipments")),
        Class::Stock => c.http.get(format!("{base}/stock")),
        Class::Locations => c.http.get(format!("{base}/locations")),
        Class::Receipt => c.http.post(format!("{base}/receipts/new")).form(&[
            ("csrf_token", c.token.as_str()),
            ("submission_key", key),
            ("material_id", &ids.poster),
            ("location_id", &ids.depot),
            ("quantity", "10"),
            ("received_on", &today()),
            ("supplier", "Imprenta Nacional"),
            ("reference", "load"),
            // The same receipt over and over, on purpose.
            ("confirm", "duplicate"),
        ]),
        Class::Dispatch => c.http.post(format!("{base}/shipments/new")).form(&[
            ("csrf_token", c.token.as_str()),
            ("submission_key", key),
            ("origin_id", &ids.depot),
            ("destination_id", &ids.destination),
            ("carrier", "load"),
            ("line_material_0", &ids.poster),
            ("line_quantity_0", "1"),
            ("confirm", "duplicate"),
            ("action", "dispatch"),
        ]),
    };
    match builder.send().await {
        Ok(r) => {
            let status = r.status().as_u16();
            let body = r.text().await.unwrap_or_default();
            (status, body.contains("database is locked"))
        }
        Err(_) => (0, false),
    }
}

/// Every client sends requests back to back until the deadline.
async fn run_phase(seconds: u64, base: &str, clients: &[Client], ids: &Ids, tag: &str) -> Phase {
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for (i, c) in clients.iter().enumerate() {
        let (c, ids, base, tag) = (c.clone(), ids.clone(), base.to_string(), tag.to_string());
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut n = 0;
            while Instant::now() < deadline {
                let class = Class::pick(i, n);
                let key = format!("load-{}-{tag}-{i:03}-{n:08}", std::process::id());
                let t = Instant::now();
                let (status, locked) = request(&base, &c, &ids, class, &key).await;
                samples.push(Sample { class, ms: t.elapsed().as_secs_f64() * 1000.0, status, locked });
                n += 1;
            }
            samples
        }));
    }
    let mut samples = Vec::new();
    for task in tasks {
        samples.extend(task.await.expect("client task"));
    }
    Phase { samples, seconds: start.elapsed().as_secs_f64() }
}

/// The attack's outcome: statuses of the failed sign-ins and their latencies.
#[derive(Default)]
struct Attack {
    statuses: BTreeMap<u16, usize>,
    ms: Vec<f64>,
}

/// One attempt from a new address with a new username: the form, then a wrong password.
async fn bad_login(base: &str, http: &reqwest::Client, n: u64) -> (u16, f64) {
    let address = format!("100.64.{}.{}", (n / 250) % 250, n % 250 + 1);
    let t = Instant::now();
    let form = match http.get(format!("{base}/login")).header("x-forwarded-for", &address).send().await {
        Ok(r) => r,
        Err(_) => return (0, t.elapsed().as_secs_f64() * 1000.0),
    };
    let cookie = form
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("ct_sid="))
        .and_then(|v| v.split(';').next())
        .unwrap_or_default()
        .to_string();
    let token = csrf(&form.text().await.unwrap_or_default());
    let username = format!("guess{n:06}");
    let status = match http
        .post(format!("{base}/login"))
        .header("x-forwarded-for", &address)
        .header("cookie", cookie)
        .form(&[("username", username.as_str()), ("password", "Summer2024!"), ("csrf_token", &token)])
        .send()
        .await
    {
        Ok(r) => {
            let status = r.status().as_u16();
            let _ = r.bytes().await;
            status
        }
        Err(_) => 0,
    };
    (status, t.elapsed().as_secs_f64() * 1000.0)
}

/// Sends BAD_LOGINS_PER_SECOND attempts per second, each on its own task (the rate does not
/// drop when the server slows down), until `deadline`; then waits for those still running.
async fn attack(base: String, deadline: Instant) -> Attack {
    // Every attempt comes from another address, so none shares a connection with another:
    // reusing idle connections would also race the server closing them after its keep-alive.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(120))
        .build()
        .expect("client");
    let mut ticks = tokio::time::interval(Duration::from_micros(1_000_000 / BAD_LOGINS_PER_SECOND));
    let mut attempts = Vec::new();
    let mut n = 0u64;
    loop {
        ticks.tick().await;
        if Instant::now() >= deadline {
            break;
        }
        let (base, http) = (base.clone(), http.clone());
        attempts.push(tokio::spawn(async move { bad_login(&base, &http, n).await }));
        n += 1;
    }
    let mut outcome = Attack::default();
    for attempt in attempts {
        let (status, ms) = attempt.await.expect("attempt task");
        *outcome.statuses.entry(status).or_default() += 1;
        outcome.ms.push(ms);
    }
    outcome.ms.sort_by(f64::total_cmp);
    outcome
}

/// The server process; killed (by its own pid) when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Loads the demo into `database_url` and starts `campaign-tracker serve` on it, its log
/// (warnings and errors) going to `log`.
async fn start_server(database_url: &str, log: &std::path::Path) -> Server {
    let loaded = Command::new(BIN)
        .args(["--database", database_url, "demo"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .status()
        .expect("run campaign-tracker demo");
    assert!(loaded.success(), "campaign-tracker demo failed");
    let port = free_port();
    let bind = format!("127.0.0.1:{port}");
    let child = Command::new(BIN)
        .args(["serve", "--database", database_url, "--bind", &bind, "--trusted-proxies", "127.0.0.1"])
        .args(["--pool-size", "16"])
        .env("RUST_LOG", "warn")
        .env_remove("PUBLIC_URL")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).expect("server log file"))
        .spawn()
        .expect("start campaign-tracker serve");
    let server = Server { child, base: format!("http://{bind}") };
    let probe = reqwest::Client::new();
    for _ in 0..300 {
        if let Ok(r) = probe.get(format!("{}/healthz", server.base)).send().await {
            if r.status().is_success() {
                return server;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not answer /healthz within 30 s");
}

fn row(phase: &Phase, keep: impl Fn(&Sample) -> bool) -> String {
    let (n, p50, p99) = stats(&phase.samples, keep);
    format!("{:>8.1} {:>8.1} {:>9.1}", n as f64 / phase.seconds, p50, p99)
}

/// Runs both phases on one backend and prints the figures; returns what went wrong.
async fn bench(label: &str, database_url: &str, seconds: u64) -> Vec<String> {
    let log_dir = tempfile::tempdir().expect("tempdir");
    let log = log_dir.path().join("server.log");
    let server = start_server(database_url, &log).await;
    let base = server.base.clone();
    let mut clients = Vec::new();
    for i in 0..CLIENTS {
        clients.push(sign_in(&base, i).await);
    }
    // Enough posters at the central depot for every dispatch the run can make.
    let c = &clients[0];
    let form = c
        .http
        .get(format!("{base}/receipts/new?key=load-receipt-form-key"))
        .send()
        .await
        .expect("form")
        .text()
        .await
        .expect("body");
    let ids = Ids {
        poster: option_value(&form, "POSTER"),
        depot: option_value(&form, "DEP-CCS"),
        destination: {
            let form = c
                .http
                .get(format!("{base}/shipments/new?key=load-shipment-form-key"))
                .send()
                .await
                .expect("form")
                .text()
                .await
                .expect("body");
            option_value(&form, "Hospital")
        },
    };
    let r = c
        .http
        .post(format!("{base}/receipts/new"))
        .form(&[
            ("csrf_token", c.token.as_str()),
            ("submission_key", &format!("load-stock-{}", std::process::id())),
            ("material_id", &ids.poster),
            ("location_id", &ids.depot),
            ("quantity", "1000000000"),
            ("confirm", "over_limit"),
            ("received_on", &today()),
            ("supplier", "bench"),
            ("reference", "bench"),
        ])
        .send()
        .await
        .expect("receipt");
    let status = r.status().as_u16();
    if status != 303 {
        let body = r.text().await.unwrap_or_default();
        let errors: Vec<&str> = body.lines().filter(|l| l.contains("error")).take(5).collect();
        panic!("the stocking receipt failed ({status}): {errors:?}");
    }

    let alone = run_phase(seconds, &base, &clients, &ids, "a").await;
    let attacker = tokio::spawn(attack(base.clone(), Instant::now() + Duration::from_secs(seconds)));
    let attacked = run_phase(seconds, &base, &clients, &ids, "b").await;
    let attack = attacker.await.expect("attack task");
    drop(server);

    println!("{label}");
    println!(
        "  {:<22} | {:^28} | with {BAD_LOGINS_PER_SECOND} failed sign-ins/s alongside",
        "",
        format!("alone, {CLIENTS} clients")
    );
    println!(
        "  {:<22} | {:>8} {:>8} {:>9} | {:>8} {:>8} {:>9}",
        "", "req/s", "p50 ms", "p99 ms", "req/s", "p50 ms", "p99 ms"
    );
    for class in CLASSES {
        println!(
            "  {:<22} | {} | {}",
            class.label(),
            row(&alone, |s| s.class == class),
            row(&attacked, |s| s.class == class)
        );
    }
    println!(
        "  {:<22} | {} | {}",
        "all reads",
        row(&alone, |s| !s.class.is_write()),
        row(&attacked, |s| !s.class.is_write())
    );
    println!(
        "  {:<22} | {} | {}",
        "all writes",
        row(&alone, |s| s.class.is_write()),
        row(&attacked, |s| s.class.is_write())
    );
    println!("  {:<22} | {} | {}", "everything", row(&alone, |_| true), row(&attacked, |_| true));
    for (name, phase) in [("alone", &alone), ("attacked", &attacked)] {
        let statuses: Vec<String> = CLASSES.iter().map(|c| format!("{} {:?}", c.label(), phase.statuses(*c))).collect();
        println!("  statuses {name}: {}", statuses.join("; "));
    }
    println!(
        "  failed sign-ins: {} sent in {seconds} s, statuses {:?}, p50 {:.1} ms, p99 {:.1} ms",
        attack.ms.len(),
        attack.statuses,
        percentile(&attack.ms, 0.50),
        percentile(&attack.ms, 0.99)
    );
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    for line in logged.lines().filter(|l| l.contains(" ERROR ")) {
        let message = line.split_once("] ").map(|(_, m)| m).unwrap_or(line).to_string();
        *errors.entry(message).or_default() += 1;
    }
    println!("  server log: {} errors {errors:?}", errors.values().sum::<usize>());
    println!("  phases took {:.1} s and {:.1} s (until the last answer)", alone.seconds, attacked.seconds);
    let mut problems = alone.problems(&format!("{label}, alone"));
    problems.extend(attacked.problems(&format!("{label}, attacked")));
    // A 503 with Retry-After is the server shedding sign-ins it has no turn for (at most half
    // the cores check passwords): an answer, not a failure. A 500 or no answer is a failure.
    let attack_errors: usize =
        attack.statuses.iter().filter(|(s, _)| **s == 0 || (**s >= 500 && **s != 503)).map(|(_, n)| n).sum();
    if attack_errors > 0 {
        problems.push(format!("{label}: {attack_errors} failed sign-ins got a 500 or no answer"));
    }
    for (name, phase) in [("alone", &alone), ("attacked", &attacked)] {
        for class in CLASSES {
            let ok = if class.is_write() { 303 } else { 200 };
            let other: usize = phase.statuses(class).iter().filter(|(s, _)| **s != ok).map(|(_, n)| n).sum();
            if other > 0 {
                println!("  note: {name}, {}: {other} answers other than {ok}", class.label());
            }
        }
    }
    println!(
        "  {}",
        if problems.is_empty() { "no 5xx, no \"database is locked\"".to_string() } else { problems.join("; ") }
    );
    problems
}

fn main() {
    let seconds: u64 = std::env::var("BENCH_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(60);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    println!(
        "load benchmark: {CLIENTS} clients (90 % reads, 10 % writes), {seconds} s alone, then {seconds} s with \
         {BAD_LOGINS_PER_SECOND} failed sign-ins/s; release server process, {} cores shared with the load generator",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0)
    );
    let problems = runtime.block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("load.db");
        let mut problems = bench("SQLite (WAL, synchronous=FULL)", path.to_str().unwrap_or_default(), seconds).await;
        let pg = std::env::var("BENCH_DATABASE_URL").or_else(|_| std::env::var("TEST_DATABASE_URL")).ok();
        if let Some(admin_url) = pg.filter(|u| !u.trim().is_empty()) {
            use diesel::{Connection, RunQueryDsl};
            let name = format!("ct_bench_load_{}", std::process::id());
            let mut admin = diesel::PgConnection::establish(&admin_url).expect("postgres");
            diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut admin).expect("create database");
            let mut url = url::Url::parse(&admin_url).expect("url");
            url.set_path(&name);
            problems.extend(bench("PostgreSQL", url.as_str(), seconds).await);
            diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin)
                .expect("drop database");
        } else {
            println!("PostgreSQL: skipped (set BENCH_DATABASE_URL=postgres://…)");
        }
        problems
    });
    assert!(problems.is_empty(), "load test failed: {}", problems.join("; "));
}
