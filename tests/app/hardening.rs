//! The findings of a security pass, each tried as the attacker did: forms kept for anonymous
//! visitors, the administrator kept out by someone else's guesses, `next` with control
//! characters, cached proof scans and their file names, another region's count sheet, and
//! submission keys shared between users.

use crate::helpers::*;
use crate::stock::{f, post, receipt_fields, receipt_ok, shipment_ok, some_destination};
use chrono::Duration;

both_backends!(
    anonymous_posts_are_never_kept,
    kept_forms_are_capped,
    a_known_browser_gets_through_a_throttled_username,
    next_with_control_characters_goes_home,
    proof_scans_are_not_cached_and_keep_their_names,
    another_regions_count_sheet_is_not_found,
    submission_keys_belong_to_their_user,
    bodies_that_drip_are_cut_off,
);

/// Limits `username` to the region with ISO code `region`.
pub fn limit_to_region(app: &TestApp, username: &str, region: &str) {
    app.exec(&format!(
        "INSERT INTO user_regions (user_id, region_id) SELECT u.id, r.id FROM users u, regions r \
         WHERE u.username = {} AND r.code = {}",
        lit(username),
        lit(region)
    ));
}

async fn anonymous_posts_are_never_kept(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    // A visitor who never signed in posts with the login page's token: sent to sign in, nothing kept.
    let visitor = client();
    let token = app.csrf_token(&visitor, "/login").await;
    let note = "x".repeat(250 * 1024);
    for _ in 0..5 {
        let page = app
            .post_raw(&visitor, "/campaigns/new", &[("code", "SPAM"), ("description", &note)], Some(&token), &[])
            .await;
        let location = page.assert_to_login();
        assert!(query_param(&location, "resume").is_none(), "no form kept for a stranger: {location}");
        assert_eq!(query_param(&location, "next").as_deref(), Some("/campaigns/new"));
    }
    assert_eq!(app.count("pending_forms"), 0, "an anonymous post is never stored");

    // A forged device cookie does not make a stranger known.
    let stranger = bare_client();
    let login = app.get(&stranger, "/login").await;
    let (sid, token) = (login.cookie_value("ct_sid").expect("ct_sid"), login.csrf().expect("token"));
    let forged = "61646d696e.00000000000000000000000000000000.9999999999.deadbeef";
    let cookie = format!("ct_sid={sid}; ct_device={forged}");
    let page =
        app.post_raw(&stranger, "/campaigns/new", &[("code", "SPAM")], Some(&token), &[("cookie", &cookie)]).await;
    assert!(query_param(&page.assert_to_login(), "resume").is_none());
    assert_eq!(app.count("pending_forms"), 0);
}

/// Signs `browser` in as admin, then lets its session expire.
async fn expired_admin(app: &TestApp) -> (reqwest::Client, String) {
    let browser = app.signed_in(ADMIN.0, ADMIN.1).await;
    let token = app.csrf_token(&browser, "/campaigns/new").await;
    app.exec(&format!("UPDATE sessions SET last_seen_at = {}", lit(&ts_from_now(-Duration::hours(3)))));
    (browser, token)
}

async fn kept_forms_are_capped(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let (browser, token) = expired_admin(&app).await;

    // A browser that had a session keeps a real form, but not one far larger than any real form.
    let huge = "x".repeat(64 * 1024);
    let page = app.post_raw(&browser, "/campaigns/new", &[("description", &huge)], Some(&token), &[]).await;
    assert!(query_param(&page.assert_to_login(), "resume").is_none(), "a 64 KB form is not kept");
    assert_eq!(app.count("pending_forms"), 0);

    // At most five per browser: the oldest make room.
    for i in 0..8 {
        let code = format!("C{i}");
        let page = app.post_raw(&browser, "/campaigns/new", &[("code", &code)], Some(&token), &[]).await;
        assert!(query_param(&page.assert_to_login(), "resume").is_some(), "form {i} kept");
    }
    assert_eq!(app.count("pending_forms"), 5, "five kept per browser");
    let bodies = app.strings("SELECT body AS s FROM pending_forms ORDER BY body");
    assert_eq!(bodies, ["code=C3", "code=C4", "code=C5", "code=C6", "code=C7"], "the newest five stay");
}

/// The throttle key of the admin's username.
const ADMIN_KEY: &str = "user:admin";

/// An attacker who waited out each delay from ever new addresses: the username owes 15 minutes.
fn throttled_for_15_minutes(app: &TestApp) {
    app.exec("DELETE FROM login_throttles");
    app.exec(&format!(
        "INSERT INTO login_throttles (key, failures, last_failure_at) VALUES ({}, 40, {})",
        lit(ADMIN_KEY),
        lit(&ts_from_now(Duration::zero()))
    ));
}

async fn a_known_browser_gets_through_a_throttled_username(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.trusted_proxies = campaign_tracker::config::parse_trusted_proxies("127.0.0.1").expect("proxy list")
    })
    .await;
    {
        let mut conn = app.conn();
        campaign_tracker::demo::load(&mut conn).expect("demo");
    }
    // The administrator signs in from their own browser once, and signs out.
    let admins_browser = app.signed_in(ADMIN.0, ADMIN.1).await;
    let token = app.csrf_token(&admins_browser, "/campaigns").await;
    app.post_raw(&admins_browser, "/logout", &[], Some(&token), &[]).await.assert_see_other();

    // Failures from rotating addresses: four free ones, then each address gets the delay.
    for i in 1..=6 {
        let page = login_from(&app, &client(), ADMIN.0, "guess-guess", &format!("198.51.100.{i}")).await;
        assert!(page.status == 422 || page.status == 429, "{}", page.describe());
    }
    assert!(app.scalar(&format!("SELECT failures FROM login_throttles WHERE key = {}", lit(ADMIN_KEY))) >= 4);
    throttled_for_15_minutes(&app);

    // An unknown browser, even with the right password, waits.
    let unknown = login_from(&app, &client(), ADMIN.0, ADMIN.1, "203.0.113.1").await;
    assert_eq!(unknown.status, 429, "a browser that never signed in is delayed\n{}", unknown.describe());

    // The administrator's own browser signs in at once.
    let known = login_from(&app, &admins_browser, ADMIN.0, ADMIN.1, "203.0.113.2").await;
    assert_eq!(known.assert_see_other(), "/", "the known browser is let through\n{}", known.describe());
    app.get(&admins_browser, "/users").await.assert_status(200);
    // The attacker's standing delay is still there for everyone else.
    let page = login_from(&app, &client(), ADMIN.0, ADMIN.1, "203.0.113.3").await;
    assert_eq!(page.status, 429);

    // Guesses through a known browser are throttled per cookie, whatever the address: four free,
    // then a delay.
    let token = app.csrf_token(&admins_browser, "/campaigns").await;
    app.post_raw(&admins_browser, "/logout", &[], Some(&token), &[]).await.assert_see_other();
    for attempt in 1..=4 {
        let page = login_from(&app, &admins_browser, ADMIN.0, "wrong-password", &format!("192.0.2.{attempt}")).await;
        assert_eq!(page.status, 422, "attempt {attempt} with the device cookie\n{}", page.describe());
    }
    let page = login_from(&app, &admins_browser, ADMIN.0, ADMIN.1, "192.0.2.100").await;
    assert_eq!(page.status, 429, "the device cookie's own delay applies\n{}", page.describe());
    assert_eq!(app.count("login_throttles WHERE key LIKE 'device:%'"), 1, "one throttle per device cookie");

    // Another user's device cookie does not let anyone through as the admin.
    app.exec("DELETE FROM login_throttles WHERE key LIKE 'device:%'");
    let viewers_browser = app.signed_in(VIEWER.0, VIEWER.1).await;
    let token = app.csrf_token(&viewers_browser, "/campaigns").await;
    app.post_raw(&viewers_browser, "/logout", &[], Some(&token), &[]).await.assert_see_other();
    let page = login_from(&app, &viewers_browser, ADMIN.0, ADMIN.1, "192.0.2.200").await;
    assert_eq!(page.status, 429, "a device cookie names its user\n{}", page.describe());
}

/// Signs in through the form as if from `address` (the load balancer's `X-Forwarded-For`).
async fn login_from(app: &TestApp, browser: &reqwest::Client, user: &str, password: &str, address: &str) -> Page {
    let token = app.get(browser, "/login").await.csrf().expect("token on /login");
    let fields = [("username", user), ("password", password)];
    app.post_raw(browser, "/login", &fields, Some(&token), &[("x-forwarded-for", address)]).await
}

async fn next_with_control_characters_goes_home(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = client();
    let token = app.csrf_token(&browser, "/login").await;
    for (next, expected) in [
        ("/\t/evil.example", "/"),
        ("/\n/evil.example", "/"),
        ("/\r\n/evil.example", "/"),
        ("/ /evil.example", "/"),
        ("/\u{0}/evil.example", "/"),
        ("/x//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("/é", "/"),
        ("evil.example", "/"),
        ("/locations?q=M%C3%A9rida&page=2", "/locations?q=M%C3%A9rida&page=2"),
    ] {
        let page = app.post_raw(&browser, "/lang", &[("lang", "es"), ("next", next)], Some(&token), &[]).await;
        assert_eq!(page.assert_see_other(), expected, "next={next:?}");
        let raw = page.raw_location().unwrap_or_default();
        assert!(!raw.contains("evil"), "next={next:?} led to {raw:?}");
    }
}

async fn proof_scans_are_not_cached_and_keep_their_names(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let b = app.browser(LOGISTICS.0, LOGISTICS.1).await;
    let poster = app.material_id("POSTER");
    let origin = app.location_id("DEP-LAR");
    receipt_ok(&app, &b, poster, origin, 100).await;
    let id = shipment_ok(&app, &b, origin, some_destination(&app, None), &[(poster, 10)], "dispatch").await;
    let pdf = b"%PDF-1.4\n%%EOF\n".to_vec();
    let name = "acta de entrega Mérida n°1.pdf";
    let page = app
        .post_multipart(
            &b.client,
            &format!("/shipments/{id}/proof"),
            &[("csrf_token", None, b.token.as_bytes()), ("proof", Some((name, "application/pdf")), &pdf)],
        )
        .await;
    page.assert_see_other();
    let attachment = app.scalar("SELECT MAX(id) FROM attachments");
    let response = b.client.get(app.url(&format!("/attachments/{attachment}"))).send().await.expect("GET");
    let cache = response.headers().get("cache-control").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let disposition = response.headers().get("content-disposition").expect("Content-Disposition").as_bytes().to_vec();
    assert_eq!(cache, "no-store", "a proof scan is never cached");
    assert!(disposition.is_ascii(), "the header is ASCII: {}", String::from_utf8_lossy(&disposition));
    let disposition = String::from_utf8(disposition).expect("ascii");
    assert!(disposition.starts_with("inline"), "{disposition}");
    assert!(disposition.contains("filename=\"acta de entrega M_rida n_1.pdf\""), "ASCII fallback: {disposition}");
    assert!(
        disposition.contains("filename*=UTF-8''acta%20de%20entrega%20M%C3%A9rida%20n%C2%B01.pdf"),
        "the exact name, RFC 6266: {disposition}"
    );
}

async fn another_regions_count_sheet_is_not_found(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    limit_to_region(&app, LOGISTICS.0, "VE-K");
    let b = app.browser(LOGISTICS.0, LOGISTICS.1).await;
    let own = app.location_id("DEP-LAR");
    let other = app.location_id("DEP-MER");
    app.get(&b.client, &format!("/counts/new?location={own}")).await.assert_status(200);
    app.get(&b.client, &format!("/counts/new?location={other}")).await.assert_status(404);
    let page = post(
        &app,
        &b,
        &format!("/counts/new?location={other}"),
        &vec![f("location_id", other), f("counted_on", day(0)), f("submission_key", submission_key())],
    )
    .await;
    assert_eq!(page.status, 404, "{}", page.describe());
}

async fn submission_keys_belong_to_their_user(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let first = app.browser(LOGISTICS.0, LOGISTICS.1).await;
    let second = app.browser(ADMIN.0, ADMIN.1).await;
    let (poster, depot) = (app.material_id("POSTER"), app.location_id("DEP-LAR"));
    let key = submission_key();
    let mut fields = receipt_fields(poster, depot, "100", &day(0));
    fields.push(f("submission_key", &key));

    let mine = post(&app, &first, "/receipts/new", &fields).await.assert_see_other();
    // The same key and content from another user is that user's own new receipt.
    let theirs = post(&app, &second, "/receipts/new", &fields).await.assert_see_other();
    assert_ne!(mine, theirs, "another user's key never leads to my record");
    assert_eq!(app.count("receipts"), 2);
    // Each user's own replay still leads to their own record, recorded once.
    assert_eq!(post(&app, &first, "/receipts/new", &fields).await.assert_see_other(), mine);
    assert_eq!(post(&app, &second, "/receipts/new", &fields).await.assert_see_other(), theirs);
    assert_eq!(app.count("receipts"), 2);
}

/// Sends a request whose body arrives one byte every 300 ms; gives the status line and how long
/// the answer took.
fn drip(port: u16, head: &str, body_len: usize) -> (String, std::time::Duration) {
    use std::io::{Read, Write};
    let started = std::time::Instant::now();
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.set_read_timeout(Some(std::time::Duration::from_millis(300))).expect("timeout");
    stream.write_all(head.as_bytes()).expect("head");
    let mut answer = Vec::new();
    for _ in 0..body_len {
        if stream.write_all(b"a").is_err() {
            break;
        }
        let mut buf = [0u8; 4096];
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                answer.extend_from_slice(&buf[..n]);
                break;
            }
            Err(_) => {}
        }
        if started.elapsed() > std::time::Duration::from_secs(20) {
            break;
        }
    }
    let text = String::from_utf8_lossy(&answer).into_owned();
    (text.lines().next().unwrap_or("").to_string(), started.elapsed())
}

async fn bodies_that_drip_are_cut_off(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.body_timeout = campaign_tracker::config::BodyTimeouts {
            form: std::time::Duration::from_secs(1),
            upload: std::time::Duration::from_secs(2),
        }
    })
    .await;
    {
        let mut conn = app.conn();
        campaign_tracker::demo::load(&mut conn).expect("demo");
    }
    // A sign-in form sent a byte at a time.
    let browser = bare_client();
    let login = app.get(&browser, "/login").await;
    let sid = login.cookie_value("ct_sid").expect("ct_sid");
    let head = format!(
        "POST /login HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: ct_sid={sid}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 200\r\n\r\n",
        port = app.port
    );
    let port = app.port;
    let (status, took) = tokio::task::spawn_blocking(move || drip(port, &head, 200)).await.expect("drip");
    assert!(status.contains(" 408 "), "a dripping form is cut off: {status:?} after {took:?}");
    assert!(took < std::time::Duration::from_secs(5), "after about a second: {took:?}");

    // An upload sent a byte at a time, by a signed-in clerk.
    let token = login.csrf().expect("token");
    let signed = app
        .post_raw(
            &browser,
            "/login",
            &[("username", LOGISTICS.0), ("password", LOGISTICS.1)],
            Some(&token),
            &[("cookie", &format!("ct_sid={sid}"))],
        )
        .await;
    let session = signed.cookie_value("ct_sid").expect("a new session cookie");
    let head = format!(
        "POST /imports HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: ct_sid={session}\r\n\
         Content-Type: multipart/form-data; boundary=xyz\r\nContent-Length: 5000\r\n\r\n--xyz\r\n\
         Content-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\n",
        port = app.port
    );
    let (status, took) = tokio::task::spawn_blocking(move || drip(port, &head, 5000)).await.expect("drip");
    assert!(status.contains(" 408 "), "a dripping upload is cut off: {status:?} after {took:?}");
    assert!(took < std::time::Duration::from_secs(6), "after about two seconds: {took:?}");
    // The server still answers.
    app.get(&client(), "/healthz").await.assert_status(200);
}
