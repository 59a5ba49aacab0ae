//! Crash safety: the real binary is killed with SIGKILL at random moments while a signed-in
//! client records receipts, "save and dispatch" shipments, and drafts dispatched later, each with
//! a one-time submission key. After every restart: SQLite's `integrity_check` is ok; every
//! acknowledged submission (a 303 received) is there exactly once; an unacknowledged one is there
//! at most once, whole, and sent again with the same key it is recorded exactly once and leads to
//! the same record; every balance equals the sum of its movements.
//!
//! Short form (`cargo test`): 20 kills per backend. Long form:
//! `CRASH_ROUNDS=100 cargo test --test app crash -- --nocapture` (CRASH_SEED=N replays a run's
//! random choices; the server logs stay in the temp dir printed on failure).

use crate::helpers::*;
use crate::process::*;
use campaign_tracker::db::DbConn;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use std::time::{Duration, Instant};

both_backends!(acknowledged_writes_survive_sigkill);

/// Clients writing at once while the server is killed.
const WRITERS: usize = 4;

fn rounds() -> usize {
    std::env::var("CRASH_ROUNDS").ok().and_then(|v| v.trim().parse().ok()).unwrap_or(20).max(1)
}

/// What a submission was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Receipt,
    /// A shipment created and dispatched in one form ("save and dispatch").
    SaveAndDispatch,
    Draft,
    /// The dispatch of a draft, by id.
    Dispatch(i64),
}

/// One form sent with its one-time key, and the answer when one came.
#[derive(Debug, Clone)]
struct Sub {
    kind: Kind,
    /// The receipt's reference or the shipment's note: finds the record.
    tag: String,
    path: String,
    fields: Vec<(String, String)>,
    key: String,
    /// The Location of the 303, once received.
    acked: Option<String>,
}

/// The demo's places and materials the client works with.
#[derive(Clone)]
struct Plan {
    materials: Vec<i64>,
    depots: Vec<i64>,
    points: Vec<i64>,
}

fn f(k: &str, v: impl ToString) -> (String, String) {
    (k.to_string(), v.to_string())
}

impl Sub {
    fn new(kind: Kind, tag: String, path: String, mut fields: Vec<(String, String)>) -> Sub {
        let key = submission_key();
        fields.push(f("submission_key", &key));
        // Clients repeat work and stock depots beyond a print run on purpose: both questions are
        // answered up front.
        fields.push(f("confirm", "duplicate"));
        fields.push(f("confirm", "over_limit"));
        Sub { kind, tag, path, fields, key, acked: None }
    }

    fn receipt(tag: String, material: i64, depot: i64, quantity: i64) -> Sub {
        let fields = vec![
            f("material_id", material),
            f("location_id", depot),
            f("quantity", quantity),
            f("received_on", day(0)),
            f("supplier", "Imprenta Nacional"),
            f("reference", &tag),
        ];
        Sub::new(Kind::Receipt, tag, "/receipts/new".into(), fields)
    }

    fn shipment(tag: String, origin: i64, destination: i64, material: i64, quantity: i64, dispatch: bool) -> Sub {
        let mut fields = vec![
            f("origin_id", origin),
            f("destination_id", destination),
            f("carrier", "Transportes Andinos"),
            f("expected_on", ""),
            f("note", &tag),
            f("line_material_0", material),
            f("line_quantity_0", quantity),
            f("action", if dispatch { "dispatch" } else { "draft" }),
            f("dispatched_on", day(0)),
        ];
        for i in 1..6 {
            fields.push(f(&format!("line_material_{i}"), ""));
            fields.push(f(&format!("line_quantity_{i}"), ""));
        }
        let kind = if dispatch { Kind::SaveAndDispatch } else { Kind::Draft };
        Sub::new(kind, tag, "/shipments/new".into(), fields)
    }

    fn dispatch(id: i64) -> Sub {
        Sub::new(
            Kind::Dispatch(id),
            String::new(),
            format!("/shipments/{id}/dispatch"),
            vec![f("dispatched_on", day(0))],
        )
    }

    fn random(rng: &mut StdRng, plan: &Plan, tag: String) -> Sub {
        let material = plan.materials[rng.gen_range(0..plan.materials.len())];
        let depot = plan.depots[rng.gen_range(0..plan.depots.len())];
        let point = plan.points[rng.gen_range(0..plan.points.len())];
        match rng.gen_range(0..10) {
            0..=3 => Sub::receipt(tag, material, depot, rng.gen_range(1..=500)),
            4..=7 => Sub::shipment(tag, depot, point, material, rng.gen_range(1..=20), true),
            _ => Sub::shipment(tag, depot, point, material, rng.gen_range(1..=20), false),
        }
    }

    /// The id in the Location of the 303.
    fn acked_id(&self) -> Option<i64> {
        let location = self.acked.as_deref()?;
        id_in(location, "/receipts/").or_else(|| id_in(location, "/shipments/"))
    }
}

/// Sends `sub`: Ok(Location) for a 303; Err for no answer (the server died); a panic for any
/// other answer, which would be a bug.
async fn send(session: &Session, base: &str, sub: &Sub) -> Result<String, String> {
    match session.post(base, &sub.path, &sub.fields).await {
        Ok((303, Some(location))) => Ok(location),
        Ok((status, location)) => {
            panic!("{} {} answered {status} (Location {location:?}), expected 303: {sub:?}", base, sub.path)
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Sends `sub` again to a running server, which must answer; a connection the client kept from
/// before the kill may fail once, so a transport error is retried (the key makes that safe).
async fn resend(session: &Session, base: &str, sub: &Sub, server: &Server) -> String {
    let mut last = String::new();
    for _ in 0..3 {
        match send(session, base, sub).await {
            Ok(location) => return location,
            Err(e) => last = e,
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("resending {sub:?} to the restarted server: {last}\n{}", server.log_tail())
}

/// One client: sends submissions until one gets no answer. Returns every submission it sent
/// and the drafts it did not get to dispatch.
async fn writer(
    session: Session,
    base: String,
    plan: Plan,
    mut rng: StdRng,
    prefix: String,
    mut drafts: Vec<i64>,
) -> (Vec<Sub>, Vec<i64>) {
    let mut sent = Vec::new();
    for n in 0.. {
        let mut sub = match drafts.pop() {
            Some(id) => Sub::dispatch(id),
            None => Sub::random(&mut rng, &plan, format!("{prefix}-{n}")),
        };
        match send(&session, &base, &sub).await {
            Ok(location) => {
                sub.acked = Some(location);
                sent.push(sub);
            }
            Err(_) => {
                sent.push(sub);
                break;
            }
        }
        if let Some(last) = sent.last() {
            if last.kind == Kind::Draft {
                drafts.extend(last.acked_id());
            }
        }
    }
    (sent, drafts)
}

/// What the database holds of the client's work.
#[derive(Default)]
struct Snapshot {
    receipts: HashMap<String, Vec<i64>>,
    shipments: HashMap<String, Vec<i64>>,
    status: HashMap<i64, String>,
    receipt_moves: HashMap<i64, i64>,
    dispatch_moves: HashMap<i64, i64>,
    submissions: HashMap<String, String>,
}

fn split2(s: &str) -> (String, String) {
    let (a, b) = s.split_once('|').unwrap_or((s, ""));
    (a.to_string(), b.to_string())
}

fn snapshot(conn: &mut DbConn) -> Snapshot {
    let mut snap = Snapshot::default();
    for row in
        strings(conn, "SELECT reference || '|' || CAST(id AS TEXT) AS s FROM receipts WHERE reference LIKE 'CR-%'")
    {
        let (tag, id) = split2(&row);
        snap.receipts.entry(tag).or_default().push(id.parse().expect("receipt id"));
    }
    for row in strings(
        conn,
        "SELECT note || '|' || CAST(id AS TEXT) || '|' || status AS s FROM shipments WHERE note LIKE 'CR-%'",
    ) {
        let parts: Vec<&str> = row.rsplitn(3, '|').collect();
        let (status, id, tag) = (parts[0], parts[1].parse::<i64>().expect("shipment id"), parts[2]);
        snap.shipments.entry(tag.to_string()).or_default().push(id);
        snap.status.insert(id, status.to_string());
    }
    let counts = |conn: &mut DbConn, column: &str, kind: &str| -> HashMap<i64, i64> {
        string_numbers(
            conn,
            &format!(
                "SELECT CAST({column} AS TEXT) AS s, CAST(COUNT(*) AS BIGINT) AS n FROM stock_movements \
                 WHERE {column} IS NOT NULL AND kind = '{kind}' GROUP BY {column}"
            ),
        )
        .into_iter()
        .map(|(id, n)| (id.parse().expect("an id"), n))
        .collect()
    };
    snap.receipt_moves = counts(conn, "receipt_id", "receipt");
    snap.dispatch_moves = counts(conn, "shipment_id", "dispatch");
    snap.submissions =
        strings(conn, "SELECT key || '|' || result_path AS s FROM submissions").iter().map(|row| split2(row)).collect();
    snap
}

/// Tallies of one verification.
#[derive(Default, Debug)]
struct Found {
    acked: usize,
    /// Unacknowledged submissions the database had recorded (committed, the answer lost).
    committed_unacked: usize,
    /// Unacknowledged submissions the database had not recorded.
    absent_unacked: usize,
}

/// Checks every submission against the database; panics with the reason.
fn verify(db: &TestDb, book: &[Sub], when: &str) -> Found {
    let mut conn = db.conn();
    let integrity = sqlite_integrity(&mut conn);
    assert_eq!(integrity, "ok", "{when}: integrity check");
    let wrong = balance_mismatches(&mut conn);
    assert!(wrong.is_empty(), "{when}: balances differ from the sum of their movements: {wrong:?}");
    let snap = snapshot(&mut conn);
    drop(conn);

    let mut found = Found::default();
    for sub in book {
        let what = format!("{when}: {:?} {} (key {}, acked {:?})", sub.kind, sub.tag, sub.key, sub.acked);
        let key_path = snap.submissions.get(&sub.key);
        let recorded: Option<i64> = match sub.kind {
            Kind::Receipt | Kind::SaveAndDispatch | Kind::Draft => {
                let ids = match sub.kind {
                    Kind::Receipt => snap.receipts.get(&sub.tag),
                    _ => snap.shipments.get(&sub.tag),
                };
                let ids = ids.cloned().unwrap_or_default();
                assert!(ids.len() <= 1, "{what}: recorded {} times: {ids:?}", ids.len());
                let id = ids.first().copied();
                if let Some(id) = id {
                    let (prefix, moves) = match sub.kind {
                        Kind::Receipt => ("/receipts", snap.receipt_moves.get(&id).copied().unwrap_or(0)),
                        _ => ("/shipments", snap.dispatch_moves.get(&id).copied().unwrap_or(0)),
                    };
                    let status = snap.status.get(&id).map(String::as_str).unwrap_or("");
                    match sub.kind {
                        Kind::Receipt => assert_eq!(moves, 1, "{what}: a receipt has one movement"),
                        // Created and dispatched in one transaction: never a draft left behind.
                        Kind::SaveAndDispatch => {
                            assert_eq!((status, moves), ("dispatched", 1), "{what}: dispatched with its movement")
                        }
                        _ => assert!(
                            (status, moves) == ("draft", 0) || (status, moves) == ("dispatched", 1),
                            "{what}: a draft moves nothing until dispatched: {status}, {moves} movements"
                        ),
                    }
                    assert_eq!(
                        key_path.map(String::as_str),
                        Some(format!("{prefix}/{id}").as_str()),
                        "{what}: the key leads to the record"
                    );
                } else {
                    assert!(key_path.is_none(), "{what}: a key spent without a record: {key_path:?}");
                }
                id
            }
            Kind::Dispatch(id) => {
                let status = snap.status.get(&id).map(String::as_str).unwrap_or("");
                let moves = snap.dispatch_moves.get(&id).copied().unwrap_or(0);
                assert!(
                    (status, moves) == ("draft", 0) || (status, moves) == ("dispatched", 1),
                    "{what}: shipment {id} is {status} with {moves} dispatch movements"
                );
                // Each draft gets one dispatch submission: dispatched exactly when its key is spent.
                assert_eq!(status == "dispatched", key_path.is_some(), "{what}: key spent iff dispatched");
                if let Some(path) = key_path {
                    assert_eq!(path, &format!("/shipments/{id}"), "{what}: the key leads to the shipment");
                }
                (status == "dispatched").then_some(id)
            }
        };
        match (&sub.acked, recorded) {
            (Some(_), Some(id)) => {
                if !matches!(sub.kind, Kind::Dispatch(_)) {
                    assert_eq!(sub.acked_id(), Some(id), "{what}: the 303 led to the record found");
                }
                found.acked += 1;
            }
            (Some(_), None) => panic!("{what}: acknowledged but not in the database"),
            (None, Some(_)) => found.committed_unacked += 1,
            (None, None) => found.absent_unacked += 1,
        }
    }
    found
}

async fn acknowledged_writes_survive_sigkill(backend: Backend) {
    let started = Instant::now();
    let rounds = rounds();
    let seed: u64 = std::env::var("CRASH_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or_else(rand::random);
    let mut rng = StdRng::seed_from_u64(seed);
    let db = TestDb::demo(backend);
    let log = db.log_path("server.log");
    note(&format!("crash test on {backend:?}: {rounds} kills, CRASH_SEED={seed}, logs in {}", log.display()));

    let plan = {
        let mut conn = db.conn();
        Plan {
            materials: numbers(
                &mut conn,
                "SELECT CAST(id AS BIGINT) AS n FROM materials WHERE kind <> 'broadcast_spot' ORDER BY id LIMIT 3",
            ),
            depots: numbers(
                &mut conn,
                "SELECT CAST(id AS BIGINT) AS n FROM locations WHERE is_depot = TRUE AND is_active = TRUE ORDER BY id LIMIT 3",
            ),
            points: numbers(
                &mut conn,
                "SELECT CAST(id AS BIGINT) AS n FROM locations \
                 WHERE is_depot = FALSE AND is_active = TRUE AND code <> 'TRANSIT' ORDER BY id LIMIT 12",
            ),
        }
    };
    assert!(plan.materials.len() == 3 && plan.depots.len() == 3 && plan.points.len() >= 6, "demo places");

    let mut server = Server::start_anywhere(&db.url, free_port(), &log).await;
    let session = Session::sign_in(&server.address(), LOGISTICS).await;
    let mut book: Vec<Sub> = Vec::new();
    // Stock enough that no shipment is refused.
    for (i, material) in plan.materials.iter().enumerate() {
        for (j, depot) in plan.depots.iter().enumerate() {
            let mut sub = Sub::receipt(format!("CR-seed-{i}-{j}"), *material, *depot, 1_000_000);
            sub.acked = Some(send(&session, &server.address(), &sub).await.expect("seed receipt"));
            book.push(sub);
        }
    }

    let mut drafts: Vec<i64> = Vec::new();
    let (mut committed_unacked, mut absent_unacked, mut kill_ms) = (0, 0, Vec::new());
    for round in 0..rounds {
        // Writers at full speed, and a kill at a random moment.
        let base = server.address();
        let mut shares: Vec<Vec<i64>> = vec![Vec::new(); WRITERS];
        for (i, id) in drafts.drain(..).enumerate() {
            shares[i % WRITERS].push(id);
        }
        let tasks: Vec<_> = shares
            .into_iter()
            .enumerate()
            .map(|(w, share)| {
                let writer_rng = StdRng::seed_from_u64(rng.gen());
                tokio::spawn(writer(
                    session.clone(),
                    base.clone(),
                    plan.clone(),
                    writer_rng,
                    format!("CR-{round}-{w}"),
                    share,
                ))
            })
            .collect();
        let delay = rng.gen_range(5..400);
        kill_ms.push(delay);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        server.kill();
        for task in tasks {
            let (sent, left) = task.await.expect("writer task");
            book.extend(sent);
            drafts.extend(left);
        }

        // Restart, then look before sending anything again.
        server = Server::start_anywhere(&db.url, server.port, &log).await;
        let found = verify(&db, &book, &format!("after kill {}", round + 1));
        committed_unacked += found.committed_unacked;
        absent_unacked += found.absent_unacked;

        // Everything unanswered, sent again with the same key: recorded once, same record.
        let base = server.address();
        for sub in book.iter_mut().filter(|s| s.acked.is_none()) {
            sub.acked = Some(resend(&session, &base, sub, &server).await);
            if sub.kind == Kind::Draft {
                drafts.extend(sub.acked_id());
            }
        }
        let found = verify(&db, &book, &format!("after resending, round {}", round + 1));
        assert_eq!(found.acked, book.len(), "every submission acknowledged and found");
    }
    server.kill();
    let found = verify(&db, &book, "at the end");
    let receipts = book.iter().filter(|s| s.kind == Kind::Receipt).count();
    let shipments = book.iter().filter(|s| matches!(s.kind, Kind::SaveAndDispatch | Kind::Draft)).count();
    kill_ms.sort_unstable();
    note(&format!(
        "crash test on {backend:?}: {rounds} SIGKILLs (after {}–{} ms of writing, median {} ms), {} submissions ({receipts} receipts, \
         {shipments} shipments, {} dispatches of drafts) all found once; unanswered at a kill: {committed_unacked} \
         already committed, {absent_unacked} not; {:.1} s",
        kill_ms[0],
        kill_ms[kill_ms.len() - 1],
        kill_ms[kill_ms.len() / 2],
        found.acked,
        book.iter().filter(|s| matches!(s.kind, Kind::Dispatch(_))).count(),
        started.elapsed().as_secs_f64()
    ));
}
