//! Import speed and the write lock a 200,000-row commit holds, per backend.
//!
//! Per backend (SQLite in a temporary file always; PostgreSQL when BENCH_DATABASE_URL or
//! TEST_DATABASE_URL is set, in a fresh database `ct_bench_import_<pid>` dropped at the end):
//! loads the demo's reference data and places, then imports through the same service the page
//! and the command line use (`exchange::import::service`):
//!
//! 1. `receipts`: BENCH_ROWS (default 200,000) rows, one receipt each;
//! 2. `distributions`: BENCH_ROWS rows, each a delivered shipment of one unit from the central
//!    depot to one of the demo's distribution points.
//!
//! For each it prints the time to read and check every row (no lock), the commit's time with the
//! write lock held (other writers wait that long), and rows/s overall.
//!
//! Then, on SQLite, the release binary as its own process takes eight 17 MB uploads at once
//! over HTTP (a signed-in clerk, the real multipart form): it prints how long they took, and the
//! server's resident memory idle before, at its peak (VmHWM) and after.
//!
//!     TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench import

mod common;
use campaign_tracker::app::Access;
use campaign_tracker::db::{connect_pool, run_migrations, DbConn};
use campaign_tracker::domain::Answers;
use campaign_tracker::exchange::import::service::{self, Committed, Uploaded};
use campaign_tracker::exchange::import::{ImportKind, Options};
use campaign_tracker::models::audit::Actor;
use common::env_or;
use diesel::connection::SimpleConnection;
use diesel::{Connection, RunQueryDsl};
use std::time::Instant;

struct Figures {
    backend: &'static str,
    kind: &'static str,
    rows: usize,
    check_ms: u128,
    lock_ms: u128,
    total_ms: u128,
}

#[derive(diesel::QueryableByName)]
struct Code {
    #[diesel(sql_type = diesel::sql_types::Text)]
    code: String,
}

fn run(
    conn: &mut DbConn,
    kind: ImportKind,
    bytes: &[u8],
    origin: Option<campaign_tracker::domain::LocationId>,
) -> (u128, u128, u128) {
    let access = Access::everywhere(None);
    let options = Options { origin_id: origin, ..Default::default() };
    let started = Instant::now();
    let id = match service::upload(conn, kind, "bench.csv", bytes.to_vec(), options, &access, &mut |_, _| {})
        .expect("upload")
    {
        Uploaded::Stored { id, report } => {
            assert!(report.is_clean(), "{:?}", report.problems.first());
            id
        }
        Uploaded::Refused(report) => panic!("refused: {:?}", report.file_error),
    };
    let checked = started.elapsed().as_millis();
    match service::commit(conn, id, &Actor::cli(), &access, Answers::all(), &mut |_, _| {}).expect("commit") {
        Committed::Done { lock_ms, .. } => (checked, lock_ms, started.elapsed().as_millis()),
        Committed::Problems(report) => panic!("problems: {:?}", report.problems.first()),
    }
}

fn bench(backend: &'static str, url: &str, rows: usize) -> Vec<Figures> {
    let pool = connect_pool(url, 2).expect("pool");
    let mut conn = pool.get().expect("connection");
    run_migrations(&mut conn).expect("migrations");
    campaign_tracker::demo::load(&mut conn).expect("demo");
    let points: Vec<String> =
        diesel::sql_query("SELECT code FROM locations WHERE is_depot = FALSE AND region_id IS NOT NULL ORDER BY code")
            .load::<Code>(&mut conn)
            .expect("places")
            .into_iter()
            .map(|c| c.code)
            .collect();
    let central: campaign_tracker::domain::LocationId = {
        #[derive(diesel::QueryableByName)]
        struct Id {
            #[diesel(sql_type = diesel::sql_types::Integer)]
            id: campaign_tracker::domain::LocationId,
        }
        diesel::sql_query("SELECT id FROM locations WHERE code = 'DEP-CCS'")
            .get_result::<Id>(&mut conn)
            .expect("depot")
            .id
    };
    let mut out = Vec::new();

    let mut receipts = String::from("received_on,material_code,location_code,quantity,external_ref\n");
    for i in 0..rows {
        receipts.push_str(&format!("2006-01-{:02},POSTER,DEP-CCS,{},B-{i}\n", 1 + i % 28, 10 + i % 90));
    }
    let (check_ms, lock_ms, total_ms) = run(&mut conn, ImportKind::Receipts, receipts.as_bytes(), None);
    out.push(Figures { backend, kind: "receipts", rows, check_ms, lock_ms, total_ms });

    let mut deliveries = String::from("delivered_on,shipment_reference,material_code,quantity,location_code\n");
    for i in 0..rows {
        let place = &points[i % points.len()];
        deliveries.push_str(&format!("2006-02-{:02},BD-{i},POSTER,1,{place}\n", 1 + i % 28));
    }
    let (check_ms, lock_ms, total_ms) = run(&mut conn, ImportKind::Distributions, deliveries.as_bytes(), Some(central));
    out.push(Figures { backend, kind: "distributions", rows, check_ms, lock_ms, total_ms });
    out
}

/// A kB figure from /proc/PID/status.
fn status_kb(pid: u32, field: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    text.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// One stored upload committed through the form while a clerk saves and dispatches a shipment
/// every 100 ms: what a large import does to the other writers.
struct CommitAlongside {
    rows: usize,
    status: u16,
    seconds: f64,
    /// Each dispatch posted during the commit: (status, milliseconds).
    dispatches: Vec<(u16, f64)>,
}

/// Eight 17 MB uploads at once to the release binary: (seconds, statuses, RSS idle, peak,
/// after), then one of them committed alongside a dispatching clerk.
fn parallel_uploads() -> ((f64, Vec<u16>, u64, u64, u64), CommitAlongside) {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let status = std::process::Command::new("cargo")
        .args(["build", "--release", "--bin", "campaign-tracker"])
        .current_dir(&root)
        .status()
        .expect("cargo build");
    assert!(status.success(), "release build failed");
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("uploads.db");
    {
        let pool = connect_pool(db.to_str().expect("path"), 1).expect("pool");
        let mut conn = pool.get().expect("connection");
        run_migrations(&mut conn).expect("migrations");
        campaign_tracker::demo::load(&mut conn).expect("demo");
    }
    let port = common::free_port();
    let mut child = std::process::Command::new(root.join("target/release/campaign-tracker"))
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", &db)
        .env("RUST_LOG", "error")
        .spawn()
        .expect("start the server");
    let base = format!("http://127.0.0.1:{port}");
    let pid = child.id();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let figures = runtime.block_on(async {
        let started = Instant::now();
        while reqwest::get(format!("{base}/healthz")).await.map(|r| r.status().as_u16()).ok() != Some(200) {
            assert!(started.elapsed().as_secs() < 60, "the server did not start");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let client = common::sign_in_with(reqwest::Client::builder(), &base, "logistics", "demo-logistics-pass").await;
        let page = client.get(format!("{base}/imports")).send().await.expect("imports").text().await.expect("body");
        let token = common::csrf(&page);
        // 17 MB in 180,000 rows: a long supplier and reference on each.
        let mut file = String::from("received_on,material_code,location_code,quantity,supplier,reference\n");
        let mut i = 0;
        while file.len() < 17 * 1024 * 1024 {
            file.push_str(&format!(
                "2006-01-{:02},POSTER,DEP-CCS,{},Imprenta Nacional de la República Bolivariana,NE-2006-{i:08}\n",
                1 + i % 28,
                10 + i % 90
            ));
            i += 1;
        }
        let boundary = "----benchboundary";
        let mut body = Vec::new();
        for (name, value) in [("csrf_token", token.as_str()), ("kind", "receipts"), ("origin", "")] {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
            );
        }
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\nContent-Type: text/csv\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(file.as_bytes());
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let idle = status_kb(pid, "VmRSS:");
        let started = Instant::now();
        let uploads = (0..8).map(|_| {
            let (client, body, url) = (client.clone(), body.clone(), format!("{base}/imports"));
            tokio::spawn(async move {
                client
                    .post(url)
                    .header("Content-Type", format!("multipart/form-data; boundary={boundary}"))
                    .body(body)
                    .send()
                    .await
                    .map(|r| {
                        let location = r.headers().get("location").and_then(|l| l.to_str().ok()).map(str::to_string);
                        (r.status().as_u16(), location)
                    })
                    .unwrap_or((0, None))
            })
        });
        let mut statuses = Vec::new();
        let mut stored = Vec::new();
        for upload in uploads.collect::<Vec<_>>() {
            let (status, location) = upload.await.expect("upload task");
            statuses.push(status);
            stored.extend(location);
        }
        let seconds = started.elapsed().as_secs_f64();
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let memory = (seconds, statuses, idle, status_kb(pid, "VmHWM:"), status_kb(pid, "VmRSS:"));

        let (material, depot, destination) = common::stocked_dispatch_choices(&client, &base, &token).await;
        let import = stored.first().expect("a stored upload").clone();
        let committing = {
            let (client, token, url) = (client.clone(), token.clone(), format!("{base}{import}/commit"));
            tokio::spawn(async move {
                let started = Instant::now();
                let status = client
                    .post(url)
                    .form(&[("csrf_token", token.as_str()), ("confirm", "over_limit")])
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0);
                (status, started.elapsed().as_secs_f64())
            })
        };
        let mut dispatches = Vec::new();
        while !committing.is_finished() {
            let key = format!("bench-import-dispatch-{}-{}", std::process::id(), dispatches.len());
            let form = common::dispatch_form(&token, &key, &depot, &destination, &material, "1");
            let t = Instant::now();
            let status = client
                .post(format!("{base}/shipments/new"))
                .form(&form)
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0);
            dispatches.push((status, t.elapsed().as_secs_f64() * 1000.0));
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let (status, seconds) = committing.await.expect("commit task");
        (memory, CommitAlongside { rows: i, status, seconds, dispatches })
    });
    let _ = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status();
    let _ = child.wait();
    figures
}

fn main() {
    let rows: usize = env_or("BENCH_ROWS", 200_000);
    let mut figures = Vec::new();

    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("import-bench.db");
    eprintln!("SQLite: {rows} rows per kind…");
    figures.extend(bench("SQLite", file.to_str().expect("path"), rows));

    let admin = std::env::var("BENCH_DATABASE_URL").or_else(|_| std::env::var("TEST_DATABASE_URL")).ok();
    if let Some(admin) = admin.filter(|u| !u.trim().is_empty()) {
        let name = format!("ct_bench_import_{}", std::process::id());
        let mut pg = diesel::pg::PgConnection::establish(&admin).expect("PostgreSQL admin connection");
        pg.batch_execute(&format!("CREATE DATABASE {name}")).expect("create database");
        let mut url = url::Url::parse(&admin).expect("url");
        url.set_path(&name);
        eprintln!("PostgreSQL: {rows} rows per kind…");
        figures.extend(bench("PostgreSQL", url.as_str(), rows));
        pg.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).expect("drop database");
    }

    println!();
    println!("Import: {rows} rows per file, through exchange::import::service (release build, this machine)");
    println!(
        "{:<11} {:<14} {:>12} {:>16} {:>10} {:>10}",
        "backend", "kind", "check (ms)", "write lock (ms)", "total (s)", "rows/s"
    );
    for f in &figures {
        println!(
            "{:<11} {:<14} {:>12} {:>16} {:>10.1} {:>10.0}",
            f.backend,
            f.kind,
            f.check_ms,
            f.lock_ms,
            f.total_ms as f64 / 1000.0,
            f.rows as f64 / (f.total_ms as f64 / 1000.0)
        );
    }

    eprintln!("eight 17 MB uploads at once to the release binary…");
    let ((seconds, statuses, idle, peak, after), alongside) = parallel_uploads();
    println!();
    println!("Eight 17 MB receipt uploads at once over HTTP (SQLite, release binary as its own process)");
    println!("{:>10} {:>24} {:>14} {:>14} {:>14}", "time (s)", "statuses", "RSS idle (MB)", "peak (MB)", "after (MB)");
    let mut counted: std::collections::BTreeMap<u16, usize> = Default::default();
    for s in statuses {
        *counted.entry(s).or_default() += 1;
    }
    let statuses: Vec<String> = counted.iter().map(|(s, n)| format!("{n}×{s}")).collect();
    println!(
        "{:>10.1} {:>24} {:>14.1} {:>14.1} {:>14.1}",
        seconds,
        statuses.join(" "),
        idle as f64 / 1024.0,
        peak as f64 / 1024.0,
        after as f64 / 1024.0
    );

    println!();
    println!("One of them committed through the form while a clerk saves and dispatches every 100 ms (SQLite)");
    let CommitAlongside { rows, status, seconds, dispatches } = alongside;
    let mut by_status: std::collections::BTreeMap<u16, usize> = Default::default();
    for (s, _) in &dispatches {
        *by_status.entry(*s).or_default() += 1;
    }
    let waits: Vec<f64> = dispatches.iter().map(|(_, ms)| *ms).collect();
    println!(
        "commit: {status}, {rows} rows in {seconds:.1} s = {:.0} rows/s; dispatches meanwhile: {:?} by status, \
         p50 {:.0} ms, longest {:.0} ms",
        rows as f64 / seconds,
        by_status,
        common::median(&waits),
        waits.iter().copied().fold(0.0, f64::max)
    );
}
