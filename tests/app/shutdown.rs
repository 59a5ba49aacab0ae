//! Graceful shutdown of the real binary: on SIGTERM (or Ctrl-C's SIGINT) it stops accepting at
//! once, finishes the requests in flight — POSTs whose body is still arriving, a CSV export being
//! read — and exits with status 0, having written every acknowledged form whole.

use crate::helpers::*;
use crate::process::*;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

both_backends!(sigterm_finishes_requests_in_flight);

async fn sigterm_finishes_requests_in_flight(backend: Backend) {
    stops_gracefully(backend, "TERM").await
}

#[tokio::test]
async fn ctrl_c_finishes_requests_in_flight_too() {
    stops_gracefully(Backend::Sqlite, "INT").await
}

/// A POST sent by hand: the head and half the body are out, the rest waits for `finish`.
struct SlowPost {
    stream: TcpStream,
    rest: Vec<u8>,
}

impl SlowPost {
    async fn begin(server: &Server, session: &Session, path: &str, fields: &[(String, String)]) -> SlowPost {
        let mut all = fields.to_vec();
        all.push(("csrf_token".into(), session.token.clone()));
        let body = form_body(&all).into_bytes();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n",
            port = server.port,
            cookie = session.cookie_header(&server.address()),
            len = body.len()
        );
        let mut stream = TcpStream::connect(("127.0.0.1", server.port)).await.expect("connect for a slow POST");
        stream.write_all(head.as_bytes()).await.expect("send the head");
        let half = body.len() / 2;
        stream.write_all(&body[..half]).await.expect("send half the body");
        stream.flush().await.expect("flush");
        SlowPost { stream, rest: body[half..].to_vec() }
    }

    /// Sends the rest of the body; the status and Location of the answer.
    async fn finish(mut self) -> (u16, Option<String>) {
        self.stream.write_all(&self.rest).await.expect("send the rest of the body");
        let mut answer = Vec::new();
        self.stream.read_to_end(&mut answer).await.expect("read the answer");
        let text = String::from_utf8_lossy(&answer);
        let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let location = text
            .lines()
            .take_while(|l| !l.is_empty())
            .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("location")))
            .map(|(_, v)| v.trim().to_string());
        (status, location)
    }
}

fn f(k: &str, v: impl ToString) -> (String, String) {
    (k.to_string(), v.to_string())
}

async fn stops_gracefully(backend: Backend, signal: &str) {
    let db = TestDb::demo(backend);
    let (material, depot, point) = {
        let mut conn = db.conn();
        (
            scalar(&mut conn, "SELECT MIN(id) FROM materials WHERE kind <> 'broadcast_spot'"),
            scalar(&mut conn, "SELECT MIN(id) FROM locations WHERE is_depot = TRUE AND is_active = TRUE"),
            scalar(
                &mut conn,
                "SELECT MIN(id) FROM locations WHERE is_depot = FALSE AND is_active = TRUE AND code <> 'TRANSIT'",
            ),
        )
    };
    let mut server = Server::start_anywhere(&db.url, free_port(), &db.log_path("server.log")).await;
    let base = server.address();
    let session = Session::sign_in(&base, LOGISTICS).await;

    // The whole export once, to compare with the one cut by the signal.
    let export = format!("{base}/export/locations.csv?status=all");
    let full = session.client.get(&export).send().await.expect("export").bytes().await.expect("export body");
    assert!(full.len() > 20_000, "the demo's 290 locations: {} bytes", full.len());

    // Requests in flight: three forms half sent, an export with one chunk read.
    let tag = format!("SD-{signal}-{}", rand::random::<u32>());
    let receipt = |n: u32, quantity: i64| {
        vec![
            f("material_id", material),
            f("location_id", depot),
            f("quantity", quantity),
            f("received_on", day(0)),
            f("supplier", "Imprenta Nacional"),
            f("reference", format!("{tag}-{n}")),
            f("submission_key", submission_key()),
        ]
    };
    let mut shipment = vec![
        f("origin_id", depot),
        f("destination_id", point),
        f("carrier", "Transportes Andinos"),
        f("expected_on", ""),
        f("note", format!("{tag}-ship")),
        f("line_material_0", material),
        f("line_quantity_0", 7),
        f("action", "dispatch"),
        f("dispatched_on", day(0)),
        f("submission_key", submission_key()),
    ];
    for i in 1..6 {
        shipment.push(f(&format!("line_material_{i}"), ""));
        shipment.push(f(&format!("line_quantity_{i}"), ""));
    }
    let first = SlowPost::begin(&server, &session, "/receipts/new", &receipt(1, 1000)).await;
    let second = SlowPost::begin(&server, &session, "/receipts/new", &receipt(2, 2000)).await;
    let third = SlowPost::begin(&server, &session, "/shipments/new", &shipment).await;
    let mut stream = session.client.get(&export).send().await.expect("export in flight");
    assert_eq!(stream.status().as_u16(), 200);
    let mut body = stream.chunk().await.expect("first chunk").expect("a first chunk").to_vec();
    tokio::time::sleep(Duration::from_millis(200)).await;

    server.signal(signal);
    let signalled = Instant::now();

    // New connections are refused at once, while the requests in flight keep the process up.
    let refused = loop {
        match std::net::TcpStream::connect_timeout(&([127, 0, 0, 1], server.port).into(), Duration::from_secs(1)) {
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => break signalled.elapsed(),
            _ if signalled.elapsed() > Duration::from_secs(5) => {
                panic!("new connections still accepted 5 s after SIG{signal}\n{}", server.log_tail())
            }
            _ => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    };
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(server.is_running(), "the server waits for the requests in flight\n{}", server.log_tail());

    let answers = [first.finish().await, second.finish().await, third.finish().await];
    while let Some(chunk) = stream.chunk().await.expect("the rest of the export") {
        body.extend_from_slice(&chunk);
    }
    let status = server.wait_exit(Duration::from_secs(40)).await;
    let stopped = signalled.elapsed();
    let log = server.log_tail();
    assert!(status.is_some_and(|s| s.success()), "exit status after SIG{signal}: {status:?}\n{log}");
    assert!(log.contains(&format!("SIG{signal} received")), "the log says why it stops\n{log}");
    assert!(log.contains("server stopped"), "and that it stopped\n{log}");

    for (answer, prefix) in answers.iter().zip(["/receipts/", "/receipts/", "/shipments/"]) {
        assert_eq!(answer.0, 303, "a form in flight is answered: {answer:?}\n{log}");
        assert!(answer.1.as_deref().is_some_and(|l| l.starts_with(prefix)), "and led to its record: {answer:?}");
    }
    assert_eq!(body.len(), full.len(), "the export in flight arrives whole");
    assert!(body == full.as_ref(), "the export in flight is the same export");

    let mut conn = db.conn();
    assert_eq!(sqlite_integrity(&mut conn), "ok");
    assert_eq!(balance_mismatches(&mut conn), Vec::<String>::new(), "balances equal the sums of movements");
    for (n, quantity) in [(1, 1000), (2, 2000)] {
        let reference = lit(&format!("{tag}-{n}"));
        assert_eq!(scalar(&mut conn, &format!("SELECT COUNT(*) FROM receipts WHERE reference = {reference}")), 1);
        assert_eq!(
            scalar(
                &mut conn,
                &format!(
                    "SELECT COUNT(*) FROM stock_movements m JOIN receipts r ON m.receipt_id = r.id \
                     WHERE r.reference = {reference} AND m.quantity = {quantity}"
                )
            ),
            1,
            "the receipt's movement"
        );
    }
    let ship_note = lit(&format!("{tag}-ship"));
    assert_eq!(
        strings(&mut conn, &format!("SELECT status AS s FROM shipments WHERE note = {ship_note}")),
        vec!["dispatched".to_string()]
    );
    note(&format!(
        "SIG{signal} on {backend:?}: new connections refused after {} ms; 3 POSTs in flight answered 303 and an export \
         of {} bytes completed; exit 0 after {} ms",
        refused.as_millis(),
        body.len(),
        stopped.as_millis()
    ));
}
