//! `campaign-tracker backup FILE` while the server writes: the copy is a consistent snapshot that
//! holds everything acknowledged before the backup began, nothing sent after it ended, passes
//! `integrity_check`, keeps every balance equal to its movements, and serves as a new app.
//! An existing FILE and a PostgreSQL URL are refused with one line and status 1.

use crate::helpers::*;
use crate::process::{balance_mismatches, note, sqlite_integrity, Session, BIN};
use crate::stock::{f, post_once, stock_up, Fields};
use campaign_tracker::config::Config;
use campaign_tracker::db::connection::establish;
use campaign_tracker::startup::Application;
use futures_util::future::{join, join_all};
use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// One form a writer sent: its tag (receipt reference or shipment note), when it went out, and
/// when its 303 came back.
struct Write {
    receipt: bool,
    tag: String,
    sent: Instant,
    acked: Instant,
}

async fn run_cli(args: Vec<String>, database_url: String) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(BIN).args(&args).env("DATABASE_URL", database_url).output().expect("run the binary")
    })
    .await
    .expect("blocking task")
}

/// Sends receipts and "save and dispatch" shipments one after another until `stop`.
async fn writer(
    app: &TestApp,
    b: &Browser,
    n: usize,
    (stop, acks): (&AtomicBool, &AtomicUsize),
    ids: (i64, i64, i64),
) -> Vec<Write> {
    let (material, depot, point) = ids;
    let mut writes = Vec::new();
    for i in 0.. {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let tag = format!("BK-{n}-{i}");
        let receipt = i % 2 == 0;
        let (path, fields): (&str, Fields) = if receipt {
            let fields = vec![
                f("material_id", material),
                f("location_id", depot),
                f("quantity", 10 + i),
                f("received_on", day(0)),
                f("supplier", "Imprenta Nacional"),
                f("reference", &tag),
            ];
            ("/receipts/new", fields)
        } else {
            let mut fields = vec![
                f("origin_id", depot),
                f("destination_id", point),
                f("carrier", "Transportes Andinos"),
                f("expected_on", ""),
                f("note", &tag),
                f("line_material_0", material),
                f("line_quantity_0", 1 + i % 5),
                f("action", "dispatch"),
                f("dispatched_on", day(0)),
            ];
            for slot in 1..6 {
                fields.push(f(&format!("line_material_{slot}"), ""));
                fields.push(f(&format!("line_quantity_{slot}"), ""));
            }
            ("/shipments/new", fields)
        };
        let sent = Instant::now();
        let page = post_once(app, b, path, &fields).await;
        page.assert_see_other();
        writes.push(Write { receipt, tag, sent, acked: Instant::now() });
        acks.fetch_add(1, Ordering::SeqCst);
    }
    writes
}

fn count_of(conn: &mut campaign_tracker::db::DbConn, w: &Write) -> i64 {
    let sql = if w.receipt {
        format!("SELECT COUNT(*) FROM receipts WHERE reference = {}", lit(&w.tag))
    } else {
        format!("SELECT COUNT(*) FROM shipments WHERE note = {} AND status = 'dispatched'", lit(&w.tag))
    };
    scalar(conn, &sql)
}

fn one_line(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).trim_end().to_string()
}

#[tokio::test]
async fn backup_while_writing_restores_everything_acknowledged() {
    let app = spawn_demo_app(Backend::Sqlite).await;
    campaign_tracker::demo::history::load_history(&mut app.conn(), 1, &mut |_, _| {})
        .unwrap_or_else(|e| panic!("load_history: {e:?}"));
    let material = app.scalar("SELECT MIN(id) FROM materials WHERE kind <> 'broadcast_spot'");
    let depot = app.scalar("SELECT MIN(id) FROM locations WHERE is_depot = TRUE AND is_active = TRUE");
    let point =
        app.scalar("SELECT MIN(id) FROM locations WHERE is_depot = FALSE AND is_active = TRUE AND code <> 'TRANSIT'");
    let browsers = [
        app.browser(LOGISTICS.0, LOGISTICS.1).await,
        app.browser(LOGISTICS.0, LOGISTICS.1).await,
        app.browser(ADMIN.0, ADMIN.1).await,
    ];
    stock_up(&app, &browsers[0], material, depot, 1_000_000).await;

    let dir = tempfile::Builder::new().prefix("ct-backup-").tempdir().expect("temp dir");
    let copy = dir.path().join("copy.db");
    let copy_arg = copy.to_str().expect("utf-8 path").to_string();

    // Writers at full speed; the backup runs in the middle of their work.
    let (stop, acks) = (AtomicBool::new(false), AtomicUsize::new(0));
    let writers = join_all(
        browsers.iter().enumerate().map(|(n, b)| writer(&app, b, n, (&stop, &acks), (material, depot, point))),
    );
    let controller = async {
        // A writer has one form in flight at a time: 3 answers per writer before the backup, and 3
        // more after it, make sure some forms were answered before it began and sent after it ended.
        let acks = &acks;
        let wait_for = |n: usize| async move {
            let deadline = Instant::now() + Duration::from_secs(60);
            while acks.load(Ordering::SeqCst) < n && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        wait_for(3 * browsers.len()).await;
        let started = Instant::now();
        let output = run_cli(vec!["backup".into(), copy_arg.clone()], app.database_url.clone()).await;
        let ended = Instant::now();
        wait_for(acks.load(Ordering::SeqCst) + 3 * browsers.len()).await;
        stop.store(true, Ordering::SeqCst);
        (output, started, ended)
    };
    let (writes, (output, started, ended)) = join(writers, controller).await;
    let writes: Vec<Write> = writes.into_iter().flatten().collect();
    assert!(output.status.success(), "backup failed: {}", one_line(&output.stderr));
    let printed = one_line(&output.stdout);
    assert!(printed.contains("written to") && printed.contains(" MB in ") && printed.ends_with(" s"), "{printed}");

    let before: Vec<&Write> = writes.iter().filter(|w| w.acked < started).collect();
    let after: Vec<&Write> = writes.iter().filter(|w| w.sent > ended).collect();
    let during = writes.len() - before.len() - after.len();
    assert!(!before.is_empty() && !after.is_empty(), "writes before ({}) and after ({})", before.len(), after.len());

    // The copy, opened as it is: whole and consistent.
    {
        let mut conn = establish(&copy_arg).expect("open the copy");
        assert_eq!(sqlite_integrity(&mut conn), "ok", "integrity_check of the copy");
        assert_eq!(balance_mismatches(&mut conn), Vec::<String>::new(), "balances equal the sums of movements");
        for w in &before {
            assert_eq!(count_of(&mut conn, w), 1, "{} acknowledged before the backup is in the copy once", w.tag);
        }
        for w in &after {
            assert_eq!(count_of(&mut conn, w), 0, "{} sent after the backup ended is not in the copy", w.tag);
        }
        for w in &writes {
            assert!(count_of(&mut conn, w) <= 1, "{} at most once", w.tag);
        }
    }
    // …and the live database has everything.
    for w in &writes {
        assert_eq!(count_of(&mut app.conn(), w), 1, "{} in the live database", w.tag);
    }

    // An existing file is never overwritten; PostgreSQL is pointed to pg_dump.
    let copy_bytes = std::fs::read(&copy).expect("read the copy");
    let again = run_cli(vec!["backup".into(), copy_arg.clone()], app.database_url.clone()).await;
    assert_eq!(again.status.code(), Some(1), "an existing file is refused");
    let message = one_line(&again.stderr);
    assert!(
        message.starts_with("error: ") && message.contains("already exists") && !message.contains('\n'),
        "{message}"
    );
    assert!(std::fs::read(&copy).expect("read the copy") == copy_bytes, "the existing file is left as it was");
    let pg = run_cli(
        vec!["backup".into(), dir.path().join("pg.db").to_str().expect("utf-8").into()],
        "postgres://someone:secret@127.0.0.1:1/nowhere".into(),
    )
    .await;
    assert_eq!(pg.status.code(), Some(1), "PostgreSQL is refused");
    let message = one_line(&pg.stderr);
    assert!(message.contains("pg_dump") && !message.contains("secret") && !message.contains('\n'), "{message}");
    assert!(!Path::new(&dir.path().join("pg.db")).exists(), "nothing written for PostgreSQL");

    // Restore = start the server on the copy.
    let restored = Application::build(Config::for_tests(&copy_arg)).expect("start on the copy");
    let base = format!("http://127.0.0.1:{}", restored.port);
    let server = restored.run();
    let handle = server.handle();
    tokio::spawn(server);
    let session = Session::sign_in(&base, LOGISTICS).await;
    let mut conn = establish(&copy_arg).expect("open the restored database");
    for w in before.iter().rev().take(6) {
        let (table, column) = if w.receipt { ("receipts", "reference") } else { ("shipments", "note") };
        let id = scalar(&mut conn, &format!("SELECT id FROM {table} WHERE {column} = {}", lit(&w.tag)));
        let page = session.client.get(format!("{base}/{table}/{id}")).send().await.expect("GET a record");
        assert_eq!(page.status().as_u16(), 200, "/{table}/{id} on the restored app");
        assert!(page.text().await.expect("body").contains(&w.tag), "/{table}/{id} shows {}", w.tag);
    }
    let fields = vec![
        f("material_id", material),
        f("location_id", depot),
        f("quantity", 5),
        f("received_on", day(0)),
        f("supplier", "Imprenta Nacional"),
        f("reference", "BK-after-restore"),
        f("submission_key", submission_key()),
        f("confirm", "duplicate"),
    ];
    let (status, _) = session.post(&base, "/receipts/new", &fields).await.expect("POST on the restored app");
    assert_eq!(status, 303, "the restored app records new work");
    assert_eq!(balance_mismatches(&mut conn), Vec::<String>::new());
    handle.stop(true).await;

    note(&format!(
        "backup: {} writes ({} acknowledged before it began, {during} during, {} after); {printed}",
        writes.len(),
        before.len(),
        after.len()
    ));
}
