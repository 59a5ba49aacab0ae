//! Several instances as one service: two servers on the same database, as behind a load balancer
//! without sticky sessions. A sign-in on one is a session on the other, a form served by one is
//! accepted by the other, failed sign-ins are counted across both, and 64 dispatches racing for
//! the last units through both still let exactly ten through.
//!
//! PostgreSQL is what several instances are for (TEST_DATABASE_URL; skipped without it); the
//! session and CSRF check also runs with two instances on one SQLite file (one machine).

use crate::helpers::*;
use crate::stock::*;
use futures_util::future::join_all;

/// The origin the browser sees: the load balancer's, not an instance's.
const PUBLIC_URL: &str = "http://tracker.test";

fn skip_without_postgres() -> bool {
    if postgres_admin_url().is_none() {
        eprintln!("skipped: TEST_DATABASE_URL not set");
        return true;
    }
    false
}

/// Instance A on a fresh demo database and instance B on the same database, both configured as
/// behind one load balancer (its public URL; `proxies` trusted).
async fn two_instances(backend: Backend, proxies: &str) -> (TestApp, TestApp) {
    let trusted = campaign_tracker::config::parse_trusted_proxies(proxies).expect("trusted proxies");
    let behind_the_balancer = |config: &mut campaign_tracker::config::Config| {
        config.public_url = Some(PUBLIC_URL.to_string());
        config.trusted_proxies = trusted.clone();
    };
    let a = spawn_app_with(backend, behind_the_balancer).await;
    {
        let mut conn = a.conn();
        campaign_tracker::demo::load(&mut conn).unwrap_or_else(|e| panic!("demo::load failed: {e:?}"));
    }
    let b = a.another_instance(behind_the_balancer).await;
    assert_ne!(a.port, b.port);
    (a, b)
}

mod sessions_and_csrf {
    #[tokio::test]
    async fn postgres() {
        if super::skip_without_postgres() {
            return;
        }
        super::sessions_and_csrf(crate::helpers::Backend::Postgres).await
    }

    /// Two instances on one SQLite file work on one machine (WAL, busy_timeout): the same check.
    #[tokio::test]
    async fn sqlite_one_machine() {
        super::sessions_and_csrf(crate::helpers::Backend::Sqlite).await
    }
}

async fn sessions_and_csrf(backend: Backend) {
    let (a, b) = two_instances(backend, "").await;
    let origin = [("Origin", PUBLIC_URL)];

    // Sign in on A; replay only that cookie, by hand, to B.
    let browser = client();
    let signed_in = a.login(&browser, LOGISTICS.0, LOGISTICS.1).await;
    signed_in.assert_see_other();
    let sid = signed_in.cookie_value("ct_sid").expect("a new browser id at sign-in");
    let cookie = format!("ct_sid={sid}");
    let on_b = b.get_with(&bare_client(), "/stock", &[("Cookie", &cookie)]).await;
    on_b.assert_status(200);
    b.get(&bare_client(), "/stock").await.assert_to_login();

    // A form served by A, posted to B (with the balancer's Origin; B's Host is its own address).
    let form = a.get_with(&bare_client(), "/receipts/new", &[("Cookie", &cookie)]).await;
    form.assert_status(200);
    let token = form.csrf().expect("a CSRF token on the receipt form");
    let poster = a.material_id("POSTER");
    let depot = a.location_id("DEP-CCS");
    let before = a.on_hand(poster, depot);
    let mut fields = receipt_fields(poster, depot, "123", &day(0));
    fields.push(f("submission_key", submission_key()));
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let cookie_and_origin = [("Cookie", cookie.as_str()), origin[0]];
    let page = b.post_raw(&bare_client(), "/receipts/new", &refs, Some(&token), &cookie_and_origin).await;
    let receipt = id_in(&page.assert_see_other(), "/receipts/").expect("a receipt");
    assert_eq!(b.on_hand(poster, depot), before + 123);
    assert_eq!(
        a.scalar(&format!("SELECT recorded_by FROM receipts WHERE id = {receipt}")),
        a.user_id(LOGISTICS.0),
        "recorded as the user signed in on A"
    );
    a.get_with(&bare_client(), &format!("/receipts/{receipt}"), &[("Cookie", &cookie)]).await.assert_status(200);

    // B still refuses what it must: another browser's token, a foreign Origin.
    let stranger = client();
    let foreign = a.get(&stranger, "/login").await.csrf().expect("a token for another browser");
    let mut again = receipt_fields(poster, depot, "5", &day(0));
    again.push(f("submission_key", submission_key()));
    let refs: Vec<(&str, &str)> = again.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    b.post_raw(&bare_client(), "/receipts/new", &refs, Some(&foreign), &cookie_and_origin).await.assert_status(403);
    let evil = [("Cookie", cookie.as_str()), ("Origin", "http://evil.example")];
    b.post_raw(&bare_client(), "/receipts/new", &refs, Some(&token), &evil).await.assert_status(403);
    assert_eq!(b.on_hand(poster, depot), before + 123, "nothing written by the refusals");

    // Signing out on B ends the session on A at once.
    b.post_raw(&bare_client(), "/logout", &[], Some(&token), &cookie_and_origin).await.assert_to_login();
    a.get_with(&bare_client(), "/stock", &[("Cookie", &cookie)]).await.assert_to_login();
}

/// Failed sign-ins count in the database: alternating between the instances does not reset
/// them. Both instances trust the balancer (127.0.0.1 here), so the client's address is the one
/// it forwards, in the throttle, the session row and the audit log.
#[tokio::test]
async fn throttle_across_instances() {
    if skip_without_postgres() {
        return;
    }
    let (a, b) = two_instances(Backend::Postgres, "127.0.0.1").await;
    let attacker = [("X-Forwarded-For", "203.0.113.7"), ("Origin", PUBLIC_URL)];
    let browser = client();
    // One browser, one token: a token from A is good on B.
    let token = a.get(&browser, "/login").await.csrf().expect("login token");
    let wrong = [("username", ADMIN.0), ("password", "not-the-password")];
    for (i, instance) in [&a, &b, &a, &b].into_iter().enumerate() {
        let page = instance.post_raw(&browser, "/login", &wrong, Some(&token), &attacker).await;
        assert_eq!(
            page.status,
            422,
            "failure {} on port {} is refused, not throttled\n{}",
            i + 1,
            instance.port,
            page.describe()
        );
    }
    // The fifth attempt waits, whichever instance it reaches (even with the right password).
    let right = [("username", ADMIN.0), ("password", ADMIN.1)];
    for instance in [&a, &b] {
        let page = instance.post_raw(&browser, "/login", &right, Some(&token), &attacker).await;
        assert_eq!(page.status, 429, "throttled on port {}\n{}", instance.port, page.describe());
        assert!(page.header("retry-after").is_some(), "Retry-After is set");
    }
    assert_eq!(a.scalar("SELECT failures FROM login_throttles WHERE key = 'user:admin'"), 4);
    assert_eq!(a.scalar("SELECT failures FROM login_throttles WHERE key = 'ip:203.0.113.7'"), 4);
    assert_eq!(a.count("login_throttles"), 2, "the balancer's own address is not counted");

    // Another person behind the same balancer is not slowed by the first one's failures.
    let colleague = [("X-Forwarded-For", "198.51.100.20"), ("Origin", PUBLIC_URL)];
    let other = client();
    let token = b.get(&other, "/login").await.csrf().expect("login token");
    let page = b
        .post_raw(&other, "/login", &[("username", MANAGER.0), ("password", MANAGER.1)], Some(&token), &colleague)
        .await;
    page.assert_see_other();
    assert_eq!(
        a.strings("SELECT ip AS s FROM sessions"),
        vec!["198.51.100.20".to_string()],
        "the session keeps the client's address, not the balancer's"
    );
    assert_eq!(
        a.strings("SELECT ip AS s FROM audit_log WHERE action = 'sign_in'"),
        vec!["198.51.100.20".to_string()],
        "so does the audit log"
    );
}

/// "Posters …: only N left at Depósito …." → N.
fn units_left(page: &Page) -> Option<i64> {
    let text = page.texts(".form-error").join(" ");
    let rest = text.split(": only ").nth(1)?;
    let (n, tail) = rest.split_once(' ')?;
    tail.starts_with("left at ").then(|| n.replace(',', "").parse().ok())?
}

/// The 64-way race of `concurrency::concurrent_create_and_dispatch` (100 posters, 64 requests
/// for 10 each), with the requests split 32/32 between the two instances.
#[tokio::test]
async fn dispatch_race_across_instances() {
    if skip_without_postgres() {
        return;
    }
    let (a, b) = two_instances(Backend::Postgres, "").await;
    let admin = a.browser(ADMIN.0, ADMIN.1).await;
    let depot = a.location_id("DEP-BAR");
    let poster = a.material_id("POSTER");
    receipt_ok(&a, &admin, poster, depot, 37).await;
    set_balance(&a, &admin, depot, poster, 100).await;
    let destination = some_destination(&a, None);
    let shipments_before = a.count("shipments");
    let dispatches_before = a.scalar(&format!(
        "SELECT COUNT(*) FROM stock_movements WHERE kind = 'dispatch' AND from_location_id = {depot}"
    ));
    let in_transit_before = a.on_hand(poster, a.transit_id());

    // Browsers signed in on either instance; each sends to both.
    let browsers = [
        a.browser(LOGISTICS.0, LOGISTICS.1).await,
        b.browser(ADMIN.0, ADMIN.1).await,
        b.browser(LOGISTICS.0, LOGISTICS.1).await,
        a.browser(ADMIN.0, ADMIN.1).await,
    ];
    let mut fields = shipment_fields(depot, destination, &[(poster, "10")]);
    fields.push(f("action", "dispatch"));
    fields.push(f("dispatched_on", day(0)));
    let requests = (0..64).map(|i| {
        let instance = if i % 2 == 0 { &a } else { &b };
        let browser = &browsers[(i / 2) % browsers.len()];
        let mut fields = fields.clone();
        fields.push(f("submission_key", submission_key()));
        // The same shipment 64 times on purpose.
        fields.push(f("confirm", "duplicate"));
        async move { (instance.port, post(instance, browser, "/shipments/new", &fields).await) }
    });
    let pages: Vec<(u16, Page)> = join_all(requests).await;

    let mut won = Vec::new();
    let mut problems = Vec::new();
    for (port, page) in &pages {
        match page.status {
            303 => won.push((*port, page.location().unwrap_or_default())),
            422 | 409 if units_left(page).is_some_and(|n| n < 10) => {}
            _ => problems.push(format!("port {port}: {}", page.describe())),
        }
    }
    assert!(problems.is_empty(), "{} unexpected responses (no 5xx allowed); first: {}", problems.len(), problems[0]);
    assert_eq!(won.len(), 10, "exactly ten dispatches succeed: {won:?}");
    let on_a = won.iter().filter(|(port, _)| *port == a.port).count();
    eprintln!("two instances: {on_a} of the 10 winners on A, {} on B", 10 - on_a);
    assert_eq!(pages.iter().filter(|(port, _)| *port == a.port).count(), 32, "32 requests each");

    assert_eq!(a.on_hand(poster, depot), 0, "the depot is empty");
    assert_eq!(a.scalar("SELECT COUNT(*) FROM stock_balances WHERE on_hand < 0"), 0, "no negative balance");
    assert_eq!(a.count("shipments"), shipments_before + 10, "refused ones leave no shipment behind");
    assert_eq!(
        a.scalar(&format!(
            "SELECT COUNT(*) FROM stock_movements WHERE kind = 'dispatch' AND from_location_id = {depot}"
        )),
        dispatches_before + 10,
        "ten dispatch movements"
    );
    assert_eq!(a.on_hand(poster, a.transit_id()), in_transit_before + 100, "the hundred in transit");
    assert!(
        campaign_tracker::ledger::mismatched_balances(&mut a.conn()).expect("query").is_empty(),
        "every balance equals the sum of its movements"
    );
}
