//! Requests at the same time: many dispatches racing for the last units of one depot, and the
//! same submission sent many times at once.

use crate::helpers::*;
use crate::stock::*;
use futures_util::future::join_all;

both_backends!(
    concurrent_dispatches_of_drafts,
    concurrent_create_and_dispatch,
    double_submission,
    concurrent_work_in_opposite_orders,
    concurrent_reversals_of_one_record,
);

const RACERS: usize = 64;

/// Creates an active depot in region VE-A through the admin form and returns its id.
async fn fresh_depot(app: &TestApp, admin: &Browser, code: &str) -> i64 {
    let depot_type = app.scalar("SELECT id FROM location_types WHERE code = 'depot'");
    let region = app.region_id("VE-A");
    let page = app
        .send(
            admin,
            "/locations/new",
            &[
                ("code", code),
                ("name", &format!("Depósito de prueba {code}")),
                ("location_type_id", &depot_type.to_string()),
                ("region_id", &region.to_string()),
                ("city", "Caracas"),
                ("country", "VE"),
                ("ownership", ""),
                ("contact", ""),
            ],
        )
        .await;
    let to = page.assert_see_other();
    let id = id_in(&to, "/locations/").unwrap_or_else(|| panic!("new location went to {to}\n{}", page.describe()));
    assert_eq!(
        app.scalar(&format!("SELECT COUNT(*) FROM locations WHERE id = {id} AND is_depot = true")),
        1,
        "a depot"
    );
    id
}

/// Signed-in browsers: logistics and admin, alternately.
async fn browsers(app: &TestApp, n: usize) -> Vec<Browser> {
    let mut all = Vec::new();
    for i in 0..n {
        let who = if i % 2 == 0 { LOGISTICS } else { ADMIN };
        all.push(app.browser(who.0, who.1).await);
    }
    all
}

/// "Posters …: only N left at Depósito …." → N.
fn units_left(body: &str) -> Option<i64> {
    let doc = scraper::Html::parse_document(body);
    let text: String = doc.select(&sel(".form-error")).map(|e| collapse(&e.text().collect::<String>())).collect();
    let rest = text.split(": only ").nth(1)?;
    let (n, tail) = rest.split_once(' ')?;
    tail.starts_with("left at ").then(|| n.replace(',', "").parse().ok())?
}

/// Checks the outcome of the race: exactly `winners` 303s, the rest refused with the message.
fn tally(pages: &[Page], winners: usize) -> Vec<String> {
    let mut won = Vec::new();
    let mut problems = Vec::new();
    for page in pages {
        match page.status {
            303 => won.push(page.location().unwrap_or_default()),
            422 | 409 => match units_left(&page.body) {
                Some(n) if n < 10 => {}
                other => {
                    problems.push(format!("refusal without 'only N left' (N < 10), got {other:?}\n{}", page.describe()))
                }
            },
            _ => problems.push(format!("unexpected status\n{}", page.describe())),
        }
    }
    assert!(problems.is_empty(), "{} bad responses; first: {}", problems.len(), problems[0]);
    assert_eq!(won.len(), winners, "exactly {winners} dispatches succeed");
    won
}

/// What the race is measured against: (dispatch movements from the depot, units they carried,
/// dispatched shipments from it, units of the material in transit).
fn before_the_race(app: &TestApp, depot: i64, poster: i64) -> [i64; 4] {
    [
        app.scalar(&format!("SELECT COUNT(*) FROM stock_movements WHERE kind = 'dispatch' AND from_location_id = {depot}")),
        app.scalar(&format!(
            "SELECT COALESCE(SUM(quantity), 0) FROM stock_movements WHERE kind = 'dispatch' AND from_location_id = {depot} AND material_id = {poster}"
        )),
        app.scalar(&format!("SELECT COUNT(*) FROM shipments WHERE origin_id = {depot} AND status = 'dispatched'")),
        app.on_hand(poster, app.transit_id()),
    ]
}

fn after_the_race(app: &TestApp, depot: i64, poster: i64, before: [i64; 4]) {
    assert_eq!(
        app.scalar(&format!("SELECT COALESCE(SUM(on_hand), 0) FROM stock_balances WHERE location_id = {depot} AND material_id = {poster}")),
        0,
        "the depot is empty"
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM stock_balances WHERE on_hand < 0"), 0, "no negative balance");
    let after = before_the_race(app, depot, poster);
    assert_eq!(after[0], before[0] + 10, "exactly ten new dispatch movements from the depot");
    assert_eq!(after[1], before[1] + 100, "carrying the hundred posters");
    assert_eq!(after[2], before[2] + 10, "exactly ten more shipments dispatched");
    assert_eq!(after[3], before[3] + 100, "all hundred in transit");
    assert!(campaign_tracker::ledger::mismatched_balances(&mut app.conn()).expect("query").is_empty());
}

async fn concurrent_dispatches_of_drafts(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let admin = app.browser(ADMIN.0, ADMIN.1).await;
    let depot = fresh_depot(&app, &admin, "DEP-RACE").await;
    let poster = app.material_id("POSTER");
    receipt_ok(&app, &admin, poster, depot, 100).await;
    assert_eq!(app.on_hand(poster, depot), 100);
    let destination = some_destination(&app, None);
    let mut drafts = Vec::new();
    for _ in 0..RACERS {
        drafts.push(shipment_ok(&app, &admin, depot, destination, &[(poster, 10)], "draft").await);
    }
    let before = before_the_race(&app, depot, poster);

    let clients = browsers(&app, 4).await;
    let today = day(0);
    let requests = drafts.iter().enumerate().map(|(i, id)| {
        let b = &clients[i % clients.len()];
        let key = submission_key();
        let path = format!("/shipments/{id}/dispatch");
        let today = today.clone();
        let app = &app;
        async move { app.send(b, &path, &[("dispatched_on", &today), ("submission_key", &key)]).await }
    });
    let started = std::time::Instant::now();
    let pages: Vec<Page> = join_all(requests).await;
    eprintln!("{RACERS} concurrent dispatches took {:?}", started.elapsed());
    let won = tally(&pages, 10);
    let mut won_ids: Vec<i64> = won.iter().filter_map(|p| id_in(p, "/shipments/")).collect();
    won_ids.sort();
    won_ids.dedup();
    assert_eq!(won_ids.len(), 10, "ten different shipments dispatched: {won:?}");
    let mut dispatched = app.numbers(&format!(
        "SELECT CAST(id AS BIGINT) AS n FROM shipments WHERE origin_id = {depot} AND status = 'dispatched'"
    ));
    dispatched.sort();
    assert_eq!(dispatched, won_ids, "the winners are the dispatched ones");
    assert_eq!(
        app.scalar(&format!("SELECT COUNT(*) FROM shipments WHERE origin_id = {depot} AND status = 'draft'")),
        (RACERS - 10) as i64,
        "the losers are still drafts"
    );
    after_the_race(&app, depot, poster, before);
}

async fn concurrent_create_and_dispatch(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let admin = app.browser(ADMIN.0, ADMIN.1).await;
    // A demo depot brought to exactly 100 posters first (whatever the demo put there).
    let depot = app.location_id("DEP-BAR");
    let poster = app.material_id("POSTER");
    receipt_ok(&app, &admin, poster, depot, 37).await;
    set_balance(&app, &admin, depot, poster, 100).await;
    let destination = some_destination(&app, None);
    let shipments_before = app.count("shipments");
    let before = before_the_race(&app, depot, poster);

    let clients = browsers(&app, 4).await;
    let mut fields = shipment_fields(depot, destination, &[(poster, "10")]);
    fields.push(f("action", "dispatch"));
    fields.push(f("dispatched_on", day(0)));
    let requests = (0..RACERS).map(|i| {
        let b = &clients[i % clients.len()];
        let mut fields = fields.clone();
        fields.push(f("submission_key", submission_key()));
        // The same shipment 64 times on purpose.
        fields.push(f("confirm", "duplicate"));
        let app = &app;
        async move { post(app, b, "/shipments/new", &fields).await }
    });
    let pages: Vec<Page> = join_all(requests).await;
    tally(&pages, 10);
    assert_eq!(app.count("shipments"), shipments_before + 10, "refused ones leave no shipment behind");
    after_the_race(&app, depot, poster, before);
}

async fn double_submission(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let b = app.browser(LOGISTICS.0, LOGISTICS.1).await;
    let poster = app.material_id("POSTER");
    let depot = app.location_id("DEP-LAR");
    receipt_ok(&app, &b, poster, depot, 100).await;
    let before = app.on_hand(poster, depot);
    let receipts_before = app.count("receipts");

    // The same receipt ten times at once.
    let key = submission_key();
    let mut fields = receipt_fields(poster, depot, "777", &day(0));
    fields.push(f("submission_key", &key));
    let pages: Vec<Page> = join_all((0..10).map(|_| post(&app, &b, "/receipts/new", &fields))).await;
    let locations: Vec<String> = pages.iter().map(|p| p.assert_see_other()).collect();
    assert!(locations.iter().all(|l| *l == locations[0]), "every response leads to the same receipt: {locations:?}");
    let id = id_in(&locations[0], "/receipts/").expect("a receipt path");
    assert_eq!(app.count("receipts"), receipts_before + 1, "exactly one receipt row");
    assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM stock_movements WHERE receipt_id = {id}")), 1);
    assert_eq!(app.on_hand(poster, depot), before + 777, "counted once");

    // Once more, later: the same record, said so.
    let page = post(&app, &b, "/receipts/new", &fields).await;
    assert_eq!(page.assert_see_other(), locations[0]);
    let shown = app.get(&b.client, &locations[0]).await;
    let flash = shown.flash().unwrap_or_default();
    assert!(flash.to_lowercase().contains("already recorded"), "flash says already recorded: {flash:?}");

    // The same key with other content: refused, nothing written.
    let rows = stock_rows(&app);
    let mut other = receipt_fields(poster, depot, "778", &day(0));
    other.push(f("submission_key", &key));
    let page = post(&app, &b, "/receipts/new", &other).await;
    let message = assert_refused(&page, "same key, other content");
    assert!(message.contains("already used to record"), "{message}");
    // It links to what the key recorded and gives a fresh form: never the used key again.
    assert!(page.has(&format!(".form-error a[href='{}']", locations[0])), "{}", page.describe());
    let fresh = page.input_value("submission_key").expect("a key");
    assert_ne!(fresh, key, "a fresh key");
    assert_eq!(page.input_value("quantity").as_deref(), Some("778"), "what was typed stays");
    let mut other = receipt_fields(app.material_id("FLIER"), depot, "777", &day(0));
    other.push(f("submission_key", &key));
    let page = post(&app, &b, "/receipts/new", &other).await;
    assert_refused(&page, "same key, other material");
    // The same key on another form.
    let page = post(&app, &b, "/adjustments/new", &{
        let mut a = adjustment_fields(depot, poster, "loss", "1", &day(0), "x");
        a.push(f("submission_key", &key));
        a
    })
    .await;
    assert_refused(&page, "same key on another form");
    assert_eq!(stock_rows(&app), rows, "nothing written");
    assert_eq!(app.on_hand(poster, depot), before + 777);

    // A shipment created and dispatched, submitted ten times at once.
    let destination = some_destination(&app, None);
    let shipments_before = app.count("shipments");
    let key = submission_key();
    let mut fields = shipment_fields(depot, destination, &[(poster, "50")]);
    fields.extend([f("action", "dispatch"), f("dispatched_on", day(0)), f("submission_key", &key)]);
    let pages: Vec<Page> = join_all((0..10).map(|_| post(&app, &b, "/shipments/new", &fields))).await;
    let locations: Vec<String> = pages.iter().map(|p| p.assert_see_other()).collect();
    assert!(locations.iter().all(|l| *l == locations[0]), "same shipment for all: {locations:?}");
    assert_eq!(app.count("shipments"), shipments_before + 1, "exactly one shipment");
    assert_eq!(app.on_hand(poster, depot), before + 777 - 50, "dispatched once");

    // Ten identical dispatches of one draft at once.
    let draft = shipment_ok(&app, &b, depot, destination, &[(poster, 25)], "draft").await;
    let key = submission_key();
    let today = day(0);
    let path = format!("/shipments/{draft}/dispatch");
    let fields = vec![f("dispatched_on", &today), f("submission_key", &key)];
    let pages: Vec<Page> = join_all((0..10).map(|_| post(&app, &b, &path, &fields))).await;
    for page in &pages {
        assert_eq!(page.assert_see_other(), format!("/shipments/{draft}"));
    }
    assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM stock_movements WHERE shipment_id = {draft}")), 1);
    assert_eq!(app.on_hand(poster, depot), before + 777 - 75);

    // Ten identical reversals of one receipt at once.
    let key = submission_key();
    let path = format!("/receipts/{id}/reverse");
    let fields = vec![f("reason", "double entry"), f("submission_key", &key)];
    let pages: Vec<Page> = join_all((0..10).map(|_| post(&app, &b, &path, &fields))).await;
    for page in &pages {
        assert_eq!(page.assert_see_other(), format!("/receipts/{id}"), "{}", page.describe());
    }
    assert_eq!(
        app.scalar(&format!("SELECT COUNT(*) FROM stock_movements WHERE receipt_id = {id}")),
        2,
        "reversed once"
    );
    assert_eq!(app.on_hand(poster, depot), before - 75);
    assert!(campaign_tracker::ledger::mismatched_balances(&mut app.conn()).expect("query").is_empty());
}

/// Plenty of stock, so every request should succeed: dispatches of two-line shipments whose lines
/// come in opposite orders, cancellations of dispatched shipments (stock back from transit to the
/// origin) and deliveries (transit to destination), all at once on the same balance rows. A
/// database that locks balance rows in different orders per request may deadlock here; a
/// deadlock must not reach the person as a 500.
async fn concurrent_work_in_opposite_orders(backend: Backend) {
    let _ = env_logger::builder().is_test(true).try_init();
    let app = spawn_demo_app(backend).await;
    let admin = app.browser(ADMIN.0, ADMIN.1).await;
    let depot = app.location_id("DEP-CAR");
    let other = app.location_id("DEP-ARA");
    let poster = app.material_id("POSTER");
    let flier = app.material_id("FLIER");
    stock_up(&app, &admin, poster, depot, 100_000).await;
    stock_up(&app, &admin, flier, depot, 100_000).await;
    receipt_ok(&app, &admin, poster, other, 1000).await;
    receipt_ok(&app, &admin, flier, other, 1000).await;
    let destination = some_destination(&app, None);
    let by_status = |origin: i64, status: &str| {
        app.scalar(&format!("SELECT COUNT(*) FROM shipments WHERE origin_id = {origin} AND status = '{status}'"))
    };
    let before = (by_status(depot, "dispatched"), by_status(depot, "cancelled"), by_status(other, "delivered"));
    let mut drafts = Vec::new();
    for i in 0..32 {
        let lines = if i % 2 == 0 { [(poster, 10), (flier, 10)] } else { [(flier, 10), (poster, 10)] };
        drafts.push(shipment_ok(&app, &admin, depot, destination, &lines, "draft").await);
    }
    let mut to_cancel = Vec::new();
    for i in 0..16 {
        let lines = if i % 2 == 0 { [(poster, 5), (flier, 5)] } else { [(flier, 5), (poster, 5)] };
        to_cancel.push(shipment_ok(&app, &admin, depot, other, &lines, "dispatch").await);
    }
    let mut to_deliver = Vec::new();
    for i in 0..16 {
        let lines = if i % 2 == 0 { [(poster, 3), (flier, 3)] } else { [(flier, 3), (poster, 3)] };
        to_deliver.push(shipment_ok(&app, &admin, other, depot, &lines, "dispatch").await);
    }
    // The deliveries go back into the origin depot, so they touch (material, depot) too.
    let clients = browsers(&app, 4).await;
    let today = day(0);
    let mut requests: Vec<(String, Fields)> = Vec::new();
    for id in &drafts {
        requests.push((format!("/shipments/{id}/dispatch"), vec![f("dispatched_on", &today)]));
    }
    for id in &to_cancel {
        requests.push((format!("/shipments/{id}/cancel"), vec![f("reason", "plans changed")]));
    }
    for id in &to_deliver {
        let lines: Vec<(i64, String, &str)> =
            shipment_lines(&app, *id).into_iter().map(|(line, _, q)| (line, q.to_string(), "")).collect();
        requests.push((format!("/shipments/{id}/deliver"), delivery_fields(&lines, &today)));
    }
    // Interleave the kinds of work.
    let mut order: Vec<usize> = (0..requests.len()).collect();
    order.sort_by_key(|i| (i % 16, *i));
    let pages: Vec<Page> = join_all(order.iter().enumerate().map(|(n, i)| {
        let b = &clients[n % clients.len()];
        let (path, fields) = &requests[*i];
        let mut fields = fields.clone();
        fields.push(f("submission_key", submission_key()));
        fields.push(f("confirm", "duplicate"));
        let app = &app;
        async move { post(app, b, path, &fields).await }
    }))
    .await;
    let failures: Vec<String> = pages.iter().filter(|p| p.status != 303).map(|p| p.describe()).collect();
    assert!(
        failures.is_empty(),
        "{} of {} requests failed although every one was valid (statuses: {:?}); first:\n{}",
        failures.len(),
        pages.len(),
        pages.iter().map(|p| p.status).filter(|s| *s != 303).collect::<Vec<_>>(),
        failures[0]
    );
    assert_eq!(
        (by_status(depot, "dispatched"), by_status(depot, "cancelled"), by_status(other, "delivered")),
        (before.0 + 32, before.1 + 16, before.2 + 16)
    );
    assert!(campaign_tracker::ledger::mismatched_balances(&mut app.conn()).expect("query").is_empty());
}

/// Several people reverse the same adjustment or receipt at the same moment (two tabs, a
/// colleague): one reversal is recorded and the others are told it was already reversed, never
/// a 500, even when both passed the "not yet reversed" check before either wrote.
async fn concurrent_reversals_of_one_record(backend: Backend) {
    let _ = env_logger::builder().is_test(true).try_init();
    let app = spawn_demo_app(backend).await;
    let admin = app.browser(ADMIN.0, ADMIN.1).await;
    let depot = app.location_id("DEP-CAR");
    let poster = app.material_id("POSTER");
    stock_up(&app, &admin, poster, depot, 10_000).await;
    let mut records = Vec::new();
    for _ in 0..6 {
        let page = adjust(&app, &admin, depot, poster, "damage", 7, "wet").await;
        records.push(page.assert_see_other());
        records.push(format!("/receipts/{}", receipt_ok(&app, &admin, poster, depot, 11).await));
    }
    let clients = browsers(&app, 6).await;
    for record in &records {
        let path = format!("{record}/reverse");
        let pages: Vec<Page> = join_all(clients.iter().map(|b| reverse(&app, b, &path, "entered twice"))).await;
        let won = pages.iter().filter(|p| p.status == 303).count();
        assert_eq!(
            won,
            1,
            "{path}: one reversal wins, statuses {:?}",
            pages.iter().map(|p| p.status).collect::<Vec<_>>()
        );
        for page in pages.iter().filter(|p| p.status != 303) {
            let message = assert_refused(page, &path);
            assert!(message.contains("already"), "{path}: refused as already reversed, got {message}");
        }
    }
    let reversals =
        app.scalar("SELECT COUNT(*) FROM stock_movements WHERE reverses_id IS NOT NULL AND reason = 'entered twice'");
    assert_eq!(reversals, records.len() as i64, "one reversal movement per record");
    assert!(campaign_tracker::ledger::mismatched_balances(&mut app.conn()).expect("query").is_empty());
}
