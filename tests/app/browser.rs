//! A real browser: headless Chromium, driven by playwright-core from tests/browser/, against the
//! application on a demo database (reference data, the campaign's history, targets and airings).
//!
//! - tests/browser/e2e.js: sign-in through the form → the manager's dashboard → a map tile's
//!   drill-down into the shipments, screenshots in target/browser/, and the Spanish dashboard.
//! - tests/browser/a11y.js: axe-core (WCAG 2.1 A+AA, best practice) and the Nu HTML checker over
//!   every page, English and Spanish, 1280 and 390 px wide, and the recipient's confirmation
//!   from a delivery note's link, on a phone's width, without an account.
//!
//! Needs Node, `npm ci --prefix tests/browser` (.ci/run does it), Chromium at $CHROMIUM or
//! /usr/bin/chromium, and Java for the Nu HTML checker. Without node_modules or Chromium the test
//! prints "skipped: …" and passes, except where CI=true: there it fails.
//! Run: `cargo test --test app browser -- --nocapture`.

use crate::helpers::{spawn_app_with, Backend};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Why the browser tests cannot run here, if they cannot.
fn missing_prerequisite(root: &Path) -> Option<String> {
    let modules = root.join("tests/browser/node_modules");
    if ["playwright-core", "axe-core", "vnu-jar"].iter().any(|package| !modules.join(package).is_dir()) {
        return Some(format!("{} is missing or incomplete (run `npm ci --prefix tests/browser`)", modules.display()));
    }
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_string());
    if !Path::new(&chromium).is_file() {
        return Some(format!(
            "no Chromium at {chromium} (set CHROMIUM, or install Debian's chromium and chromium-driver)"
        ));
    }
    if Command::new("node").arg("--version").output().map(|o| !o.status.success()).unwrap_or(true) {
        return Some("`node` is not on PATH".to_string());
    }
    None
}

/// Runs `node <script>` from the repository root (off the runtime's thread, so the server keeps
/// answering) and prints what it said. Gives whether it exited 0.
async fn run_node(script: &str, base: &str, out: &Path, env: &[(&str, String)]) -> bool {
    let root = repo_root();
    let (script, base, out) = (script.to_string(), base.to_string(), out.to_path_buf());
    let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    let started = Instant::now();
    let name = script.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node").arg(&script).current_dir(&root).env("BASE", &base).env("OUT", &out).envs(env).output()
    })
    .await
    .expect("the node task")
    .unwrap_or_else(|e| panic!("could not start `node {name}`: {e}"));
    println!("---- node {name}: {} in {:.1} s", output.status, started.elapsed().as_secs_f64());
    println!("{}", String::from_utf8_lossy(&output.stdout));
    if !output.stderr.is_empty() {
        println!("stderr:\n{}", String::from_utf8_lossy(&output.stderr));
    }
    output.status.success()
}

#[tokio::test]
async fn browser_end_to_end_and_accessibility() {
    let root = repo_root();
    if let Some(why) = missing_prerequisite(&root) {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("the browser tests cannot run and CI=true: {why}");
        }
        eprintln!("skipped: {why}");
        return;
    }

    let started = Instant::now();
    // The server knows its public address (its own), so delivery notes carry their QR code.
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
    let app = spawn_app_with(Backend::Sqlite, |config| {
        config.bind = format!("127.0.0.1:{port}");
        config.public_url = Some(format!("http://127.0.0.1:{port}"));
    })
    .await;
    let shipment = {
        let mut conn = app.conn();
        campaign_tracker::demo::load(&mut conn).unwrap_or_else(|e| panic!("demo::load failed: {e:?}"));
        campaign_tracker::demo::history::load_history(&mut conn, 1, &mut |_, _| {})
            .unwrap_or_else(|e| panic!("load_history: {e:?}"));
        campaign_tracker::demo::targets::load_targets(&mut conn).unwrap_or_else(|e| panic!("load_targets: {e:?}"));
        campaign_tracker::demo::airings::load_airings(&mut conn).unwrap_or_else(|e| panic!("load_airings: {e:?}"));
        // Import #1: an upload with problems, so the preview's problem table is checked too.
        let file = b"received_on,material_code,location_code,quantity\n2006-01-10,POSTER,DEP-CCS,100\n2006-01-11,NOPE,DEP-CCS,-5\n";
        campaign_tracker::exchange::import::service::upload(
            &mut *conn,
            campaign_tracker::exchange::import::ImportKind::Receipts,
            "field.csv",
            file.to_vec(),
            Default::default(),
            &campaign_tracker::app::Access::everywhere(None),
            &mut |_, _| {},
        )
        .unwrap_or_else(|e| panic!("import upload: {e:?}"));
        // A shipment in transit to a distribution point, dispatched today: the recipient's page.
        let id = app.scalar(
            "SELECT MIN(s.id) FROM shipments s JOIN locations l ON l.id = s.destination_id \
             WHERE s.status = 'dispatched' AND l.is_depot = FALSE AND l.region_id IS NOT NULL",
        );
        app.exec(&format!("UPDATE shipments SET dispatched_on = CURRENT_DATE, expected_on = NULL WHERE id = {id}"));
        id
    };
    println!("demo database and server ready in {:.1} s at {}", started.elapsed().as_secs_f64(), app.address);

    let out = root.join("target/browser");
    std::fs::create_dir_all(&out).expect("create target/browser");
    // The end-to-end run signs in without a mistake; the a11y run's refused sign-ins
    // (one per language) come at its very end.
    let e2e = run_node("tests/browser/e2e.js", &app.address, &out, &[]).await;
    let a11y =
        run_node("tests/browser/a11y.js", &app.address, &out.join("a11y"), &[("SHIPMENT", shipment.to_string())]).await;
    let elapsed = started.elapsed().as_secs_f64();
    println!("browser tests done in {elapsed:.1} s; screenshots and reports in {}", out.display());
    assert!(e2e, "tests/browser/e2e.js failed (its output is above)");
    assert!(a11y, "tests/browser/a11y.js found problems (its output is above)");
}
