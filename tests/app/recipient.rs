//! The recipient confirms without an account: the delivery note's link (or its short code) and
//! the place's PIN. A full confirmation delivers through the ledger; a shortfall leaves the rest
//! in transit, disputed; wrong PINs lock the link until staff unlock it; dead, expired and
//! already-delivered links say so; a confirmation racing a staff delivery posts one delivery.

use crate::delivery_codes::{decode_qr, dispatched_to_a_point, short_code, spawn_public_app, PUBLIC_URL};
use crate::helpers::*;
use crate::stock::*;

both_backends!(
    a_recipient_confirms_with_the_place_pin,
    a_shortfall_stays_in_transit_disputed,
    wrong_pins_lock_the_link_until_staff_unlock_it,
    links_that_no_longer_confirm_say_so,
    a_short_code_opens_the_link,
    a_confirmation_racing_a_staff_delivery_posts_one_delivery,
    a_recipient_corrects_within_the_hour,
    a_recipient_disagrees_with_a_staff_delivery,
    a_photo_is_kept_shrunk_and_stripped,
);

/// Makes the place's PIN as staff do and reads it off the place card.
async fn make_pin(app: &TestApp, staff: &Browser, place: i64) -> String {
    let page = app.get(&staff.client, &format!("/locations/{place}")).await;
    let key = page.input_value("submission_key").unwrap_or_else(|| panic!("no PIN form\n{}", page.describe()));
    let card = app
        .post_raw(
            &staff.client,
            &format!("/locations/{place}/pin"),
            &[("submission_key", &key)],
            Some(&staff.token),
            &[],
        )
        .await;
    card.assert_status(200);
    card.text(".place-card .pin").expect("a PIN").chars().filter(char::is_ascii_digit).collect()
}

/// The path of the shipment's link, read from its waybill's QR code.
async fn link_path(app: &TestApp, staff: &Browser, id: i64) -> String {
    let waybill = app.get(&staff.client, &format!("/shipments/{id}/waybill")).await;
    decode_qr(&waybill).strip_prefix(PUBLIC_URL).expect("the public address").to_string()
}

struct Visit {
    client: reqwest::Client,
    page: Page,
}

/// A phone with no account opens the link.
async fn open(app: &TestApp, path: &str) -> Visit {
    let client = client();
    let page = app.get(&client, path).await;
    Visit { client, page }
}

/// Posts the page's form with `received` per line (in the page's order) and `pin`.
async fn post_confirmation(app: &TestApp, visit: &Visit, path: &str, received: &[(&str, &str)], pin: &str) -> Page {
    let key = visit.page.input_value("submission_key").unwrap_or_else(|| panic!("no form\n{}", visit.page.describe()));
    let token = visit.page.csrf().expect("a token");
    let mut fields: Vec<(String, String)> = vec![
        ("submission_key".into(), key),
        ("confirmer_name".into(), "Carmen Rodríguez".into()),
        ("confirmer_role".into(), "Directora".into()),
        ("phone".into(), "+58 412 555 0101".into()),
        ("pin".into(), pin.into()),
        ("i_confirm".into(), "on".into()),
    ];
    let names = visit.page.attrs("input[name^=\"received_\"]", "name");
    assert_eq!(names.len(), received.len(), "one field per line\n{}", visit.page.describe());
    for (name, (quantity, reason)) in names.iter().zip(received) {
        fields.push((name.clone(), quantity.to_string()));
        fields.push((name.replace("received_", "reason_"), reason.to_string()));
    }
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    app.post_raw(&visit.client, path, &refs, Some(&token), &[]).await
}

fn wrong(pin: &str) -> String {
    let n: u32 = pin.parse().expect("digits");
    format!("{:06}", (n + 1) % 1_000_000)
}

fn deliveries(app: &TestApp, id: i64) -> i64 {
    app.scalar(&format!("SELECT COUNT(*) FROM stock_movements WHERE shipment_id = {id} AND kind = 'delivery'"))
}

async fn a_recipient_confirms_with_the_place_pin(backend: Backend) {
    let app = spawn_public_app(backend).await;
    let clerk = app.browser(LOGISTICS.0, LOGISTICS.1).await;
    let (id, place) = dispatched_to_a_point(&app, &clerk).await;
    let pin = make_pin(&app, &clerk, place).await;
    let path = link_path(&app, &clerk, id).await;
    let (poster, flier, transit) = (app.material_id("POSTER"), app.material_id("FLIER"), app.transit_id());
    let (p0, f0, t0) = (app.on_hand(poster, place), app.on_hand(flier, place), app.on_hand(poster, transit));

    let visit = open(&app, &path).await;
    visit.page.assert_status(200);
    assert_eq!(visit.page.header("cache-control").as_deref(), Some("no-store"));
    let text = collapse(&visit.page.body);
    assert!(text.contains("POSTER") || text.contains("Afiche") || text.contains("Poster"), "{}", visit.page.describe());
    assert!(!visit.page.has("nav"), "no staff navigation for a recipient");

    // No token, no record.
    let forged = app.post_raw(&visit.client, &path, &[("pin", &pin)], None, &[]).await;
    forged.assert_status(403);

    // A wrong PIN records nothing and counts against the link.
    let refused = post_confirmation(&app, &visit, &path, &[("100", ""), ("40", "")], &wrong(&pin)).await;
    refused.assert_status(422);
    assert!(collapse(&refused.body).contains("Attempts left before the link locks: 4"), "{}", refused.describe());
    assert!(!refused.body.contains(&wrong(&pin)), "a refused form never shows the PIN back");
    assert_eq!(refused.input_value("confirmer_name").as_deref(), Some("Carmen Rodríguez"), "what was typed is kept");
    assert_eq!(deliveries(&app, id), 0);
    assert_eq!(app.scalar(&format!("SELECT failed_pins FROM delivery_codes WHERE shipment_id = {id}")), 1);

    // The right PIN delivers everything through the ledger.
    let done = post_confirmation(&app, &visit, &path, &[("100", ""), ("40", "")], &pin).await;
    assert_eq!(done.assert_see_other(), path);
    assert_eq!(app.strings(&format!("SELECT status AS s FROM shipments WHERE id = {id}")), vec!["delivered"]);
    assert_eq!((app.on_hand(poster, place), app.on_hand(flier, place)), (p0 + 100, f0 + 40));
    assert_eq!(app.on_hand(poster, transit), t0 - 100);
    assert_eq!(deliveries(&app, id), 2);
    let audit = app.strings(&format!(
        "SELECT action || ' ' || actor || ' ' || ip AS s FROM audit_log WHERE entity = 'shipment' AND entity_id = '{id}'"
    ));
    assert!(
        audit.iter().any(|a| a.starts_with("recipient_confirm recipient: Carmen Rodríguez (Directora) 127.0.0.1")),
        "{audit:?}"
    );
    assert!(audit.iter().any(|a| a.starts_with("wrong_pin")), "{audit:?}");

    // The receipt: number, name and role, never the phone.
    let receipt = app.get(&visit.client, &path).await;
    receipt.assert_status(200);
    let text = collapse(&receipt.body);
    assert!(text.contains("Delivery confirmed") && text.contains("RC-"), "{}", receipt.describe());
    assert!(text.contains("Carmen Rodríguez") && text.contains("Directora"));
    assert!(!text.contains("555 0101"), "the recipient's page never shows the phone");
    assert!(receipt.has("details.correction"), "within the hour a correction is offered, folded away");

    // The same form again (a retry on a flaky network) records nothing more.
    let again = post_confirmation(&app, &visit, &path, &[("100", ""), ("40", "")], &pin).await;
    assert_eq!(again.assert_see_other(), path);
    assert_eq!(deliveries(&app, id), 2);
    assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM recipient_confirmations WHERE shipment_id = {id}")), 1);

    // Staff see who confirmed, with the phone.
    let page = app.get(&clerk.client, &format!("/shipments/{id}")).await;
    let text = collapse(&page.body);
    assert!(text.contains("Confirmed by the recipient") && text.contains("+58 412 555 0101"), "{}", page.describe());

    // The distributions download says who confirmed.
    let reference = app.strings(&format!("SELECT reference AS s FROM shipments WHERE id = {id}")).remove(0);
    let rows = crate::exports::export_rows(&app, &clerk.client, "/export/distributions.csv").await;
    let at = |name: &str| rows[0].iter().position(|c| c == name).unwrap_or_else(|| panic!("no column {name}"));
    let ours: Vec<&Vec<String>> = rows[1..].iter().filter(|r| r[at("shipment_reference")] == reference).collect();
    assert_eq!(ours.len(), 2, "two lines delivered");
    for row in ours {
        assert_eq!(row[at("confirmed_by_recipient")], "true");
        assert_eq!(row[at("confirmer_name")], "Carmen Rodríguez");
        assert_eq!(row[at("confirmer_role")], "Directora");
        assert!(!row[at("confirmed_at")].is_empty());
    }

    // In Spanish by the browser's language.
    let spanish = client();
    let page = spanish.get(app.url(&path)).header("Accept-Language", "es-VE,es;q=0.9").send().await.expect("GET");
    let body = page.text().await.expect("a body");
    assert!(collapse(&body).contains("Entrega confirmada"), "{body}");

    // Reversing the delivery kills the link and sets the confirmation aside (kept).
    let reversed =
        post_once(&app, &clerk, &format!("/shipments/{id}/reverse-delivery"), &vec![f("reason", "wrong school")]).await;
    reversed.assert_see_other();
    app.get(&visit.client, &path).await.assert_status(404);
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM recipient_confirmations WHERE shipment_id = {id} AND superseded_at IS NOT NULL"
        )),
        1
    );
}

async fn a_shortfall_stays_in_transit_disputed(backend: Backend) {
    let app = spawn_public_app(backend).await;
    let clerk = app.browser(LOGISTICS.0, LOGISTICS.1).await;
    let (id, place) = dispatched_to_a_point(&app, &clerk).await;
    let pin = make_pin(&app, &clerk, place).await;
    let path = link_path(&app, &clerk, id).await;
    let (poster, transit) = (app.material_id("POSTER"), app.transit_id());
    let (p0, t0) = (app.on_hand(poster, place), app.on_hand(poster, transit));
    let visit = open(&app, &path).await;

    // A shortfall without a reason is refused, the PIN asked again, nothing recorded.
    let refused = post_confirmation(&app, &visit, &path, &[("90", ""), ("40", "")], &pin).await;
    refused.assert_status(422);
    assert!(refused.has("#pin"), "{}", refused.describe());
    assert_eq!(deliveries(&app, id), 0);
    // "1.500" is more than was sent, never 1.5 or 1500 quietly.
    let refused = post_confirmation(&app, &visit, &path, &[("1.500", ""), ("40", "")], &pin).await;
    refused.assert_status(422);

    let done = post_confirmation(&app, &visit, &path, &[("90", "lost"), ("40", "")], &pin).await;
    assert_eq!(done.assert_see_other(), path);
    assert_eq!(app.on_hand(poster, place), p0 + 90);
    assert_eq!(app.on_hand(poster, transit), t0 - 90, "the 10 missing stay in transit");
    assert_eq!(
        app.scalar(&format!("SELECT COUNT(*) FROM stock_movements WHERE shipment_id = {id} AND kind = 'shortfall'")),
        0,
        "a recipient never writes stock off"
    );
    assert_eq!(app.scalar(&format!("SELECT disputed_units FROM recipient_confirmations WHERE shipment_id = {id}")), 10);
    let receipt = app.get(&visit.client, &path).await;
    assert!(collapse(&receipt.body).contains("10 units sent did not arrive"), "{}", receipt.describe());
    let staff = app.get(&clerk.client, &format!("/shipments/{id}")).await;
    assert!(collapse(&staff.body).contains("10 units disputed, still in transit"), "{}", staff.describe());

    // The list and its download find it by what the recipient did.
    let reference = app.strings(&format!("SELECT reference AS s FROM shipments WHERE id = {id}")).remove(0);
    let listed = |page: &Page| page.body.contains(&reference);
    for (state, expected) in [("disputed", true), ("confirmed", true), ("awaiting", false)] {
        let page = app.get(&clerk.client, &format!("/shipments?recipient={state}")).await;
        page.assert_status(200);
        assert_eq!(listed(&page), expected, "recipient={state}\n{}", page.describe());
    }
    let rows = crate::exports::export_rows(&app, &clerk.client, "/export/shipments.csv?recipient=disputed").await;
    assert!(rows[1..].iter().any(|r| r.contains(&reference)), "the download holds what the list shows");
    app.get(&clerk.client, "/shipments?recipient=maybe").await.assert_status(422);

    // The dashboard puts what recipients confirmed beside what was distributed, and counts the
    // disputed units waiting for staff.
    let dashboard =
        app.get(&clerk.client, &format!("/dashboard?material={poster}&from={}&to={}", day(-1), day(1))).await;
    dashboard.assert_status(200);
    let section =
        dashboard.text("#recipients").unwrap_or_else(|| panic!("no recipients' section\n{}", dashboard.describe()));
    let section = collapse(&section);
    assert!(section.contains("10 units disputed by recipients, waiting for staff (1 shipments)"), "{section}");
    let row = dashboard.texts("#recipients tbody tr").into_iter().map(|r| collapse(&r)).find(|r| r.contains("90"));
    // The 90 delivered were all confirmed by the recipient (the 10 missing are not distributed).
    assert_eq!(row.map(|r| r.replace('\u{a0}', " ")).as_deref(), Some("Táchira9090100 %"), "{section}");

    // Staff of a region at neither end reach none of it; the origin's staff settle nothing at
    // the destination.
    for (region, dispute_status) in [("VE-K", 404), ("VE-A", 404)] {
        let (user, password) = app.create_user(campaign_tracker::domain::Role::Logistics);
        crate::hardening::limit_to_region(&app, &user, region);
        let other = app.browser(&user, &password).await;
        let settle = vec![f("resolution", "lost"), f("note", "")];
        let page = post_once(&app, &other, &format!("/shipments/{id}/dispute"), &settle).await;
        assert_eq!(page.status, dispute_status, "{region}\n{}", page.describe());
        if region == "VE-K" {
            for action in ["code", "code/unlock"] {
                let page = post_once(&app, &other, &format!("/shipments/{id}/{action}"), &vec![]).await;
                assert_eq!(page.status, 404, "{region} {action}\n{}", page.describe());
            }
        }
    }
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM recipient_confirmations WHERE shipment_id = {id} AND resolution IS NOT NULL"
        )),
        0
    );

    // Staff settle it: lost, with the recipient's reason. Once.
    let dispute = format!("/shipments/{id}/dispute");
    let unchosen = post_once(&app, &clerk, &dispute, &vec![f("note", "")]).await;
    unchosen.assert_status(422);
    let settle = vec![f("resolution", "lost"), f("note", "carrier confirms the box fell")];
    let settled = post_once(&app, &clerk, &dispute, &settle).await;
    assert_eq!(settled.assert_see_other(), format!("/shipments/{id}"));
    assert_eq!(app.on_hand(poster, transit), t0 - 100, "the disputed units left transit");
    assert_eq!(
        app.strings(&format!(
            "SELECT reason AS s FROM stock_movements WHERE shipment_id = {id} AND kind = 'shortfall'"
        )),
        vec!["lost"]
    );
    assert_refused(&post_once(&app, &clerk, &dispute, &settle).await, "settling twice");
    let staff = app.get(&clerk.client, &format!("/shipments/{id}")).await;
    assert!(collapse(&staff.body).contains("10 disputed units recorded as lost"), "{}", staff.describe());
    assert!(!listed(&app.get(&clerk.client, "/shipments?recipient=disputed").await), "settled: no longer disputed");

    // Another: the missing units turn up after all, and are delivered.
    let (other, _) = dispatched_to_a_point(&app, &clerk).await;
    let other_reference = app.strings(&format!("SELECT reference AS s FROM shipments WHERE id = {other}")).remove(0);
    let awaiting = app.get(&clerk.client, "/shipments?recipient=awaiting").await;
    assert!(awaiting.body.contains(&other_reference), "{}", awaiting.describe());
    let path = link_path(&app, &clerk, other).await;
    let visit = open(&app, &path).await;
    let p1 = app.on_hand(poster, place);
    post_confirmation(&app, &visit, &path, &[("95", "other"), ("40", "")], &pin).await.assert_see_other();
    let arrived = vec![f("resolution", "arrived"), f("note", "")];
    post_once(&app, &clerk, &format!("/shipments/{other}/dispute"), &arrived).await.assert_see_other();
    assert_eq!(app.on_hand(poster, place), p1 + 100);
    let received = app.scalar(&format!(
        "SELECT MIN(quantity_received) FROM shipment_lines WHERE shipment_id = {other} AND material_id = {poster}"
    ));
    assert_eq!(received, 100);
    // A viewer cannot settle anything.
    let viewer = app.browser(VIEWER.0, VIEWER.1).await;
    post_once(&app, &viewer, &dispute, &settle).await.assert_status(403);
}

async fn wrong_pins_lock_the_link_until_staff_unlock_it(backend: Backend) {
    let app = spawn_public_app(backend).await;
    let clerk = app.browser(LOGISTICS.0, LOGISTICS.1).await;
    let (id, place) = dispatched_to_a_point(&app, &clerk).await;
    let pin = make_pin(&app, &clerk, place).await;
    let path = link_path(&app, &clerk, id).await;
    let visit = open(&app, &path).await;
    for attempt in 1..=5 {
        let mut page = post_confirmation(&app, &visit, &path, &[("100", ""), ("40", "")], &wrong(&pin)).await;
        if page.status == 429 {
            // The address is slowed like sign-ins after the third failure: wait as asked.
            assert!(collapse(&page.body).contains("Wait"), "{}", page.describe());
            tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
            page = post_confirmation(&app, &visit, &path, &[("100", ""), ("40", "")], &wrong(&pin)).await;
        }
        page.assert_status(422);
        if attempt == 5 {
            assert!(collapse(&page.body).contains("locked after five wrong PINs"), "{}", page.describe());
        }
    }
    let audit =
        app.strings(&format!("SELECT action AS s FROM audit_log WHERE entity_id = '{id}' AND action = 'link_locked'"));
    assert_eq!(audit.len(), 1);
    // Locked: even the right PIN does nothing.
    let locked = open(&app, &path).await;
    assert!(!locked.page.has("#pin"), "{}", locked.page.describe());
    assert!(collapse(&staff_page(&app, &clerk, id).await.body).contains("Locked"));

    // Staff unlock it; the recipient (after the address's wait) confirms.
    let page = staff_page(&app, &clerk, id).await;
    let key = page.input_value("submission_key").expect("a key");
    let unlocked = app
        .post_raw(
            &clerk.client,
            &format!("/shipments/{id}/code/unlock"),
            &[("submission_key", &key)],
            Some(&clerk.token),
            &[],
        )
        .await;
    assert_eq!(unlocked.assert_see_other(), format!("/shipments/{id}"));
    tokio::time::sleep(std::time::Duration::from_millis(4100)).await;
    let visit = open(&app, &path).await;
    let done = post_confirmation(&app, &visit, &path, &[("100", ""), ("40", "")], &pin).await;
    assert_eq!(done.assert_see_other(), path, "{}", done.describe());
    assert_eq!(deliveries(&app, id), 2);
}

async fn staff_page(app: &TestApp, staff: &Browser, id: i64) -> Page {
    app.get(&staff.client, &format!("/shipments/{id}")).await
}

async fn links_that_no_longer_confirm_say_so(backend: Backend) {
    let app = spawn_public_app(backend).await;
    let clerk = app.browser(LOGISTICS.0, LOGISTICS.1).await;
    let (id, place) = dispatched_to_a_point(&app, &clerk).await;
    make_pin(&app, &clerk, place).await;
    let old = link_path(&app, &clerk, id).await;

    // Mistyped or made-up links.
    for path in ["/c/not-a-token", "/c/00000000000000000000000000000000", "/c/../../etc/passwd"] {
        let page = app.get(&client(), path).await;
        assert_eq!(page.status, 404, "{path}\n{}", page.describe());
    }
    // Re-issued: the old note no longer opens anything, the new one does.
    let page = staff_page(&app, &clerk, id).await;
    let key = page.input_value("submission_key").expect("a key");
    app.post_raw(&clerk.client, &format!("/shipments/{id}/code"), &[("submission_key", &key)], Some(&clerk.token), &[])
        .await
        .assert_see_other();
    let dead = open(&app, &old).await;
    dead.page.assert_status(404);
    assert!(collapse(&dead.page.body).contains("replaced by a new delivery note"), "{}", dead.page.describe());
    let new = link_path(&app, &clerk, id).await;
    open(&app, &new).await.page.assert_status(200);

    // Expired: dispatched longer ago than links live.
    app.exec(&format!("UPDATE shipments SET dispatched_on = dispatched_on - 61 WHERE id = {id}").replace(
        "dispatched_on - 61",
        if app.backend == Backend::Sqlite { "date(dispatched_on, '-61 days')" } else { "dispatched_on - 61" },
    ));
    let expired = open(&app, &new).await;
    expired.page.assert_status(410);
    assert!(collapse(&expired.page.body).contains("expired"), "{}", expired.page.describe());

    // A place with no PIN: the page says whom to ask.
    let (other, _) = dispatched_to_a_point(&app, &clerk).await;
    app.exec(&format!(
        "UPDATE locations SET confirm_pin_hash = NULL WHERE id = (SELECT destination_id FROM shipments WHERE id = {other})"
    ));
    let no_pin = open(&app, &link_path(&app, &clerk, other).await).await;
    assert!(collapse(&no_pin.page.body).contains("no confirmation PIN yet"), "{}", no_pin.page.describe());

    // Cancelled: dead.
    let path = link_path(&app, &clerk, other).await;
    post_once(&app, &clerk, &format!("/shipments/{other}/cancel"), &vec![f("reason", "not needed")])
        .await
        .assert_see_other();
    open(&app, &path).await.page.assert_status(404);
}

async fn a_short_code_opens_the_link(backend: Backend) {
    let app = spawn_public_app(backend).await;
    let clerk = app.browser(LOGISTICS.0, LOGISTICS.1).await;
    let (id, _) = dispatched_to_a_point(&app, &clerk).await;
    let waybill = app.get(&clerk.client, &format!("/shipments/{id}/waybill")).await;
    let short = short_code(&waybill);
    let path = decode_qr(&waybill).strip_prefix(PUBLIC_URL).expect("public").to_string();

    let phone = client();
    let form = app.get(&phone, "/confirm").await;
    form.assert_status(200);
    let token = form.csrf().expect("a token");
    // Lower case, no dash: forgiven.
    let typed = short.replace('-', "").to_lowercase();
    let found = app.post_raw(&phone, "/confirm", &[("code", &typed)], Some(&token), &[]).await;
    assert_eq!(found.assert_see_other(), path);
    // One character wrong: the check character catches it, and it costs nothing.
    let mut typo: Vec<char> = short.chars().collect();
    typo[0] = if typo[0] == 'A' { 'B' } else { 'A' };
    let typo: String = typo.into_iter().collect();
    let refused = app.post_raw(&phone, "/confirm", &[("code", &typo)], Some(&token), &[]).await;
    refused.assert_status(422);
    assert!(collapse(&refused.body).contains("check each character"), "{}", refused.describe());
    assert_eq!(app.scalar("SELECT COUNT(*) FROM login_throttles WHERE key LIKE 'ip:confirm/%'"), 0);
}

async fn a_confirmation_racing_a_staff_delivery_posts_one_delivery(backend: Backend) {
    let app = spawn_public_app(backend).await;
    let clerk = app.browser(LOGISTICS.0, LOGISTICS.1).await;
    let admin = app.browser(ADMIN.0, ADMIN.1).await;
    let (id, place) = dispatched_to_a_point(&app, &clerk).await;
    let pin = make_pin(&app, &clerk, place).await;
    let path = link_path(&app, &clerk, id).await;
    let visit = open(&app, &path).await;
    let lines = shipment_lines(&app, id);
    let mut staff_fields = vec![f("delivered_on", day(0)), f("received_by", "Portero"), f("note", "")];
    for (line, _, quantity) in &lines {
        staff_fields.push(f(&format!("received_{line}"), quantity));
        staff_fields.push(f(&format!("reason_{line}"), ""));
    }
    let deliver_path = format!("/shipments/{id}/deliver");
    let (staff, recipient) = tokio::join!(
        post_once(&app, &admin, &deliver_path, &staff_fields),
        post_confirmation(&app, &visit, &path, &[("100", ""), ("40", "")], &pin),
    );
    staff.assert_see_other();
    recipient.assert_see_other();
    assert_eq!(deliveries(&app, id), 2, "exactly one delivery of the two lines");
    let confirmed = app.scalar(&format!("SELECT COUNT(*) FROM recipient_confirmations WHERE shipment_id = {id}"));
    let page = app.get(&visit.client, &path).await;
    let text = collapse(&page.body);
    if confirmed == 1 {
        assert!(text.contains("Delivery confirmed"), "{}", page.describe());
    } else {
        assert!(text.contains("already recorded this delivery"), "{}", page.describe());
    }
}

async fn a_recipient_corrects_within_the_hour(backend: Backend) {
    let app = spawn_public_app(backend).await;
    let clerk = app.browser(LOGISTICS.0, LOGISTICS.1).await;
    let (id, place) = dispatched_to_a_point(&app, &clerk).await;
    let pin = make_pin(&app, &clerk, place).await;
    let path = link_path(&app, &clerk, id).await;
    let (poster, transit) = (app.material_id("POSTER"), app.transit_id());
    let (p0, t0) = (app.on_hand(poster, place), app.on_hand(poster, transit));
    let visit = open(&app, &path).await;
    post_confirmation(&app, &visit, &path, &[("100", ""), ("40", "")], &pin).await.assert_see_other();

    // Within the hour the page offers the correction, filled with what was said.
    let page = app.get(&visit.client, &path).await;
    assert!(collapse(&page.body).contains("Correct it until"), "{}", page.describe());
    let fields = page.attrs("input[name^=\"received_\"]", "name");
    assert_eq!(page.input_value(&fields[0]).as_deref(), Some("100"));
    let visit = Visit { client: visit.client, page };
    let corrected = post_confirmation(&app, &visit, &path, &[("99", "damaged"), ("40", "")], &pin).await;
    assert_eq!(corrected.assert_see_other(), path);
    assert_eq!(app.on_hand(poster, place), p0 + 99, "the first delivery reversed, the corrected one posted");
    assert_eq!(app.on_hand(poster, transit), t0 - 99, "one unit disputed, in transit");
    let rows = app.strings(&format!(
        "SELECT CAST(disputed_units AS TEXT) || ' ' || CASE WHEN superseded_at IS NULL THEN 'current' ELSE 'set aside' END AS s \
         FROM recipient_confirmations WHERE shipment_id = {id} ORDER BY id"
    ));
    assert_eq!(rows, vec!["0 set aside", "1 current"], "nothing is overwritten");
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM recipient_confirmations WHERE shipment_id = {id} AND supersedes_id IS NOT NULL"
        )),
        1
    );
    let phone = app.strings(&format!(
        "SELECT phone AS s FROM recipient_confirmations WHERE shipment_id = {id} AND superseded_at IS NULL"
    ));
    assert_eq!(phone, vec!["+58 412 555 0101"], "the phone typed again");
    let audit = app
        .strings(&format!("SELECT action AS s FROM audit_log WHERE entity_id = '{id}' AND action LIKE 'recipient_%'"));
    assert_eq!(audit.len(), 2);
    assert!(audit.contains(&"recipient_correct".to_string()), "{audit:?}");

    // After the hour: read-only, and a post (from a page opened before) is refused.
    let visit = Visit { page: app.get(&visit.client, &path).await, client: visit.client };
    app.exec(&format!(
        "UPDATE recipient_confirmations SET confirmed_at = {} WHERE shipment_id = {id}",
        if app.backend == Backend::Sqlite {
            "datetime(confirmed_at, '-61 minutes')"
        } else {
            "confirmed_at - INTERVAL '61 minutes'"
        }
    ));
    let page = app.get(&visit.client, &path).await;
    assert!(!page.has("#pin"), "{}", page.describe());
    let late = post_confirmation(&app, &visit, &path, &[("98", "damaged"), ("40", "")], &pin).await;
    late.assert_status(409);
    assert_eq!(app.on_hand(poster, place), p0 + 99);
}

async fn a_recipient_disagrees_with_a_staff_delivery(backend: Backend) {
    let app = spawn_public_app(backend).await;
    let clerk = app.browser(LOGISTICS.0, LOGISTICS.1).await;
    let (id, place) = dispatched_to_a_point(&app, &clerk).await;
    let pin = make_pin(&app, &clerk, place).await;
    let path = link_path(&app, &clerk, id).await;
    let mut staff_fields = vec![f("delivered_on", day(0)), f("received_by", "Portero"), f("note", "")];
    for (line, _, quantity) in shipment_lines(&app, id) {
        staff_fields.push(f(&format!("received_{line}"), quantity));
        staff_fields.push(f(&format!("reason_{line}"), ""));
    }
    post_once(&app, &clerk, &format!("/shipments/{id}/deliver"), &staff_fields).await.assert_see_other();

    let visit = open(&app, &path).await;
    visit.page.assert_status(200);
    assert!(collapse(&visit.page.body).contains("already recorded this delivery"), "{}", visit.page.describe());
    assert!(visit.page.has("input[name=\"answer\"]"), "an answer is asked for");
    let key = visit.page.input_value("submission_key").expect("a key");
    let token = visit.page.csrf().expect("a token");
    let answer = |answer: &'static str, note: &'static str, pin: String| {
        let (key, token, client, path) = (key.clone(), token.clone(), visit.client.clone(), path.clone());
        let app = &app;
        async move {
            let fields = [
                ("submission_key", key.as_str()),
                ("answer", answer),
                ("answer_note", note),
                ("confirmer_name", "Luis Pérez"),
                ("confirmer_role", "Subdirector"),
                ("pin", pin.as_str()),
            ];
            app.post_raw(&client, &path, &fields, Some(&token), &[]).await
        }
    };
    // Disagreeing needs a word on what differs; a wrong PIN is counted.
    answer("disagree", "", pin.clone()).await.assert_status(422);
    answer("disagree", "only 60 posters came", wrong(&pin)).await.assert_status(422);
    assert_eq!(app.scalar(&format!("SELECT failed_pins FROM delivery_codes WHERE shipment_id = {id}")), 1);
    assert_eq!(answer("disagree", "only 60 posters came", pin.clone()).await.assert_see_other(), path);

    let page = app.get(&visit.client, &path).await;
    let text = collapse(&page.body);
    assert!(
        text.contains("You said something is different") && text.contains("only 60 posters came"),
        "{}",
        page.describe()
    );
    assert!(!page.has("input[name=\"answer\"]"), "one answer per note");
    // The same form again records nothing more; another answer is refused.
    answer("disagree", "only 60 posters came", pin.clone()).await.assert_see_other();
    assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM recipient_responses WHERE shipment_id = {id}")), 1);
    // Nothing moved: an answer is a word, never a posting.
    assert_eq!(
        app.scalar(&format!("SELECT COUNT(*) FROM stock_movements WHERE shipment_id = {id} AND kind = 'delivery'")),
        2
    );
    let staff = app.get(&clerk.client, &format!("/shipments/{id}")).await;
    assert!(staff.body.contains(">Disagrees</span> only 60 posters came"), "{}", staff.describe());
    let listed = app.get(&clerk.client, "/shipments?recipient=disagreed").await;
    let reference = app.strings(&format!("SELECT reference AS s FROM shipments WHERE id = {id}")).remove(0);
    assert!(listed.body.contains(&reference), "{}", listed.describe());
    let audit = app.strings(&format!(
        "SELECT action AS s FROM audit_log WHERE entity_id = '{id}' AND action = 'recipient_disagree'"
    ));
    assert_eq!(audit.len(), 1);
}

/// A phone's picture: a JPEG of `width` × `height` with an EXIF block naming a camera owner.
fn phone_jpeg(width: u32, height: u32) -> Vec<u8> {
    let picture = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 251) as u8, (y % 241) as u8, 120]));
    let mut jpeg = Vec::new();
    image::DynamicImage::ImageRgb8(picture)
        .write_to(&mut std::io::Cursor::new(&mut jpeg), image::ImageFormat::Jpeg)
        .expect("a jpeg");
    // An APP1 "Exif" segment right after the start marker, as cameras write it.
    let payload = b"Exif\0\0OWNER=Carmen Rodriguez GPS=10.49,-66.87";
    let length = (payload.len() + 2) as u16;
    let mut with_exif = jpeg[..2].to_vec();
    with_exif.extend_from_slice(&[0xFF, 0xE1]);
    with_exif.extend_from_slice(&length.to_be_bytes());
    with_exif.extend_from_slice(payload);
    with_exif.extend_from_slice(&jpeg[2..]);
    with_exif
}

async fn a_photo_is_kept_shrunk_and_stripped(backend: Backend) {
    let app = spawn_public_app(backend).await;
    let clerk = app.browser(LOGISTICS.0, LOGISTICS.1).await;
    let (id, place) = dispatched_to_a_point(&app, &clerk).await;
    let pin = make_pin(&app, &clerk, place).await;
    let path = link_path(&app, &clerk, id).await;
    let visit = open(&app, &path).await;
    assert!(
        visit.page.has("form[enctype=\"multipart/form-data\"] input[type=file][name=photo]"),
        "{}",
        visit.page.describe()
    );
    let key = visit.page.input_value("submission_key").expect("a key");
    let token = visit.page.csrf().expect("a token");
    let names = visit.page.attrs("input[name^=\"received_\"]", "name");
    let photo = phone_jpeg(3000, 2000);
    let post = |file: Vec<u8>, filename: &'static str| {
        let (key, token, names, pin, client, path) =
            (key.clone(), token.clone(), names.clone(), pin.clone(), visit.client.clone(), path.clone());
        let app = &app;
        async move {
            let quantities = ["100", "40"];
            let mut text: Vec<(String, String)> = vec![
                ("csrf_token".into(), token),
                ("submission_key".into(), key),
                ("confirmer_name".into(), "Carmen".into()),
                ("confirmer_role".into(), "Directora".into()),
                ("pin".into(), pin),
                ("i_confirm".into(), "on".into()),
            ];
            for (name, quantity) in names.iter().zip(quantities) {
                text.push((name.clone(), quantity.into()));
            }
            let mut parts: Vec<Part> = text.iter().map(|(k, v)| (k.as_str(), None, v.as_bytes())).collect();
            parts.push(("photo", Some((filename, "image/jpeg")), &file));
            app.post_multipart(&client, &path, &parts).await
        }
    };
    // Not a picture: refused beside the field, nothing recorded.
    let refused = post(b"%PDF-1.4 a scan".to_vec(), "scan.pdf").await;
    refused.assert_status(422);
    assert!(collapse(&refused.body).contains("not a photo"), "{}", refused.describe());
    assert_eq!(deliveries(&app, id), 0);
    // Over 15 MB: said so.
    let huge = post(vec![0xFF; 15 * 1024 * 1024 + 1], "huge.jpg").await;
    huge.assert_status(422);
    assert!(collapse(&huge.body).contains("larger than 15 MB"), "{}", huge.describe());

    let done = post(photo.clone(), "IMG_0001.jpg").await;
    assert_eq!(done.assert_see_other(), path, "{}", done.describe());
    assert_eq!(deliveries(&app, id), 2);
    // Kept for staff: a JPEG of 2,048 px at most, without the camera's metadata.
    let staff = app.get(&clerk.client, &format!("/shipments/{id}")).await;
    let link =
        staff.attrs("a[href^=\"/attachments/\"]", "href").pop().unwrap_or_else(|| panic!("{}", staff.describe()));
    let response = clerk.client.get(app.url(&link)).send().await.expect("GET the photo");
    assert_eq!(response.status(), 200);
    let kept = response.bytes().await.expect("bytes").to_vec();
    assert!(kept.starts_with(&[0xFF, 0xD8, 0xFF]));
    let decoded = image::load_from_memory(&kept).expect("a readable JPEG");
    assert_eq!((decoded.width(), decoded.height()), (2048, 1365));
    assert!(!kept.windows(5).any(|w| w == b"OWNER") && !kept.windows(4).any(|w| w == b"Exif"), "metadata stripped");
    // Never on the recipient's page.
    let receipt = app.get(&visit.client, &path).await;
    assert!(!receipt.body.contains("/attachments/"), "{}", receipt.describe());
    // Nor can the recipient's browser fetch it.
    let fetched = visit.client.get(app.url(&link)).send().await.expect("GET");
    assert_ne!(fetched.status(), 200);
}
