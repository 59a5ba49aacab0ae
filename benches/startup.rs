//! Cold start and idle memory of the release server, per backend.
//!
//! For SQLite (a new file) and, when BENCH_DATABASE_URL or TEST_DATABASE_URL is set, PostgreSQL
//! (a new database `ct_bench_start_<pid>`, dropped at the end), BENCH_STARTS times (default 5):
//! starts `target/release/campaign-tracker serve` on an empty database, which migrates it, and
//! times the first `GET /healthz` answered 200 ("cold start to ready"); the first start migrates
//! an empty database, later ones find it migrated. Then reads the process's resident memory
//! (VmRSS) idle after start, and after 200 requests of the sign-in page, and its peak (VmHWM).
//! The reference is `/bin/true` started the same way (the cost of spawning a process here).
//!
//!     TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench startup

mod common;
use common::{env_or, free_port};
use diesel::connection::SimpleConnection;
use diesel::Connection;
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn binary() -> std::path::PathBuf {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let bin = root.join("target/release/campaign-tracker");
    if !bin.exists() {
        let status = Command::new("cargo")
            .args(["build", "--release", "--bin", "campaign-tracker"])
            .current_dir(&root)
            .status()
            .expect("cargo build");
        assert!(status.success(), "release build failed");
    }
    bin
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

/// One HTTP/1.0 GET; true on a 200.
fn get_ok(port: u16, path: &str) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else { return false };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    if stream.write_all(format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && &head[9..12] == b"200"
}

struct Start {
    ready: Duration,
    child: Child,
    port: u16,
}

fn start(bin: &std::path::Path, url: &str) -> Start {
    let port = free_port();
    let started = Instant::now();
    let child = Command::new(bin)
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the server");
    while !get_ok(port, "/healthz") {
        assert!(started.elapsed() < Duration::from_secs(60), "the server did not become ready");
        std::thread::sleep(Duration::from_millis(2));
    }
    Start { ready: started.elapsed(), child, port }
}

fn stop(mut s: Start) {
    let _ = Command::new("kill").args(["-TERM", &s.child.id().to_string()]).status();
    let _ = s.child.wait();
}

struct Figures {
    backend: &'static str,
    first_ms: f64,
    warm_ms: Vec<f64>,
    idle_kb: u64,
    busy_kb: u64,
    peak_kb: u64,
}

fn bench(backend: &'static str, bin: &std::path::Path, url: &str, starts: usize) -> Figures {
    let first = start(bin, url);
    let first_ms = first.ready.as_secs_f64() * 1000.0;
    stop(first);
    let mut warm_ms = Vec::new();
    let (mut idle_kb, mut busy_kb, mut peak_kb) = (0, 0, 0);
    for i in 0..starts {
        let s = start(bin, url);
        warm_ms.push(s.ready.as_secs_f64() * 1000.0);
        if i == 0 {
            std::thread::sleep(Duration::from_millis(500));
            idle_kb = status_kb(s.child.id(), "VmRSS:");
            for _ in 0..200 {
                get_ok(s.port, "/login");
            }
            busy_kb = status_kb(s.child.id(), "VmRSS:");
            peak_kb = status_kb(s.child.id(), "VmHWM:");
        }
        stop(s);
    }
    Figures { backend, first_ms, warm_ms, idle_kb, busy_kb, peak_kb }
}

fn main() {
    let starts: usize = env_or("BENCH_STARTS", 5);
    let bin = binary();
    let mut figures = Vec::new();

    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("start.db");
    figures.push(bench("SQLite", &bin, file.to_str().expect("path"), starts));

    let admin = std::env::var("BENCH_DATABASE_URL").or_else(|_| std::env::var("TEST_DATABASE_URL")).ok();
    if let Some(admin) = admin.filter(|u| !u.trim().is_empty()) {
        let name = format!("ct_bench_start_{}", std::process::id());
        let mut pg = diesel::pg::PgConnection::establish(&admin).expect("PostgreSQL admin connection");
        pg.batch_execute(&format!("CREATE DATABASE {name}")).expect("create database");
        let mut url = url::Url::parse(&admin).expect("url");
        url.set_path(&name);
        figures.push(bench("PostgreSQL", &bin, url.as_str(), starts));
        pg.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).expect("drop database");
    }

    let spawn: Vec<f64> = (0..starts.max(1))
        .map(|_| {
            let t = Instant::now();
            let _ = Command::new("/bin/true").status();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    let median = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
    };

    println!();
    println!("Cold start and idle memory (release build; reference: spawning /bin/true {:.1} ms)", median(&spawn));
    println!(
        "{:<11} {:>22} {:>22} {:>12} {:>18} {:>12}",
        "backend", "first start (migrate)", "start, median (ms)", "idle RSS", "after 200 req RSS", "peak RSS"
    );
    for f in &figures {
        println!(
            "{:<11} {:>19.0} ms {:>22.0} {:>9.1} MB {:>15.1} MB {:>9.1} MB",
            f.backend,
            f.first_ms,
            median(&f.warm_ms),
            f.idle_kb as f64 / 1024.0,
            f.busy_kb as f64 / 1024.0,
            f.peak_kb as f64 / 1024.0
        );
    }
}
