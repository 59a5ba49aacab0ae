//! Stock work over HTTP: receipts and their reversal, adjustments and counts, the period lock,
//! refusals of bad input, and who may use the stock routes. The `pub` helpers below post the
//! stock forms and are shared with the shipment, concurrency and invariant tests.

use crate::helpers::*;

both_backends!(
    receipt_and_reversal,
    adjustments_and_counts,
    lock_date_closes_the_period,
    bad_input_is_refused,
    roles_on_stock_routes,
);

// ---------------------------------------------------------------------------------------------
// Helpers shared by the stock tests
// ---------------------------------------------------------------------------------------------

/// Owned form fields.
pub type Fields = Vec<(String, String)>;

pub fn f(k: &str, v: impl ToString) -> (String, String) {
    (k.to_string(), v.to_string())
}

/// POSTs owned fields with the browser's token (and the submission key in `fields`, if any).
pub async fn post(app: &TestApp, b: &Browser, path: &str, fields: &Fields) -> Page {
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    app.send(b, path, &refs).await
}

/// POSTs owned fields plus a fresh submission key. The helpers post the same content again on
/// purpose (ten shipments of ten posters to one place), so they answer the likely-duplicate
/// question up front; `tests/app/field.rs` asks it.
pub async fn post_once(app: &TestApp, b: &Browser, path: &str, fields: &Fields) -> Page {
    let mut all = fields.clone();
    all.push(f("submission_key", submission_key()));
    all.push(f("confirm", "duplicate"));
    post(app, b, path, &all).await
}

pub fn receipt_fields(material: i64, location: i64, quantity: &str, received_on: &str) -> Fields {
    vec![
        f("material_id", material),
        f("location_id", location),
        f("quantity", quantity),
        f("received_on", received_on),
        f("supplier", "Imprenta Nacional"),
        f("reference", "NE-001"),
    ]
}

pub async fn receipt(app: &TestApp, b: &Browser, material: i64, location: i64, quantity: &str, on: &str) -> Page {
    post_once(app, b, "/receipts/new", &receipt_fields(material, location, quantity, on)).await
}

/// Records a receipt dated today and returns its id.
pub async fn receipt_ok(app: &TestApp, b: &Browser, material: i64, location: i64, quantity: i64) -> i64 {
    let page = receipt(app, b, material, location, &quantity.to_string(), &day(0)).await;
    let to = page.assert_see_other();
    id_in(&to, "/receipts/").unwrap_or_else(|| panic!("receipt went to {to}\n{}", page.describe()))
}

/// Stocks a depot with more than a print run on purpose (a receipt confirmed as over the
/// limit) and returns the receipt's id.
pub async fn stock_up(app: &TestApp, b: &Browser, material: i64, location: i64, quantity: i64) -> i64 {
    let mut fields = receipt_fields(material, location, &quantity.to_string(), &day(0));
    fields.push(f("confirm", "over_limit"));
    let page = post_once(app, b, "/receipts/new", &fields).await;
    let to = page.assert_see_other();
    id_in(&to, "/receipts/").unwrap_or_else(|| panic!("receipt went to {to}\n{}", page.describe()))
}

/// A shipment form: origin, destination, lines (material, quantity as typed).
pub fn shipment_fields(origin: i64, destination: i64, lines: &[(i64, &str)]) -> Fields {
    let mut fields = vec![
        f("origin_id", origin),
        f("destination_id", destination),
        f("carrier", "Transportes Andinos"),
        f("expected_on", ""),
        f("note", ""),
    ];
    for i in 0..6 {
        match lines.get(i) {
            Some((m, q)) => {
                fields.push(f(&format!("line_material_{i}"), m));
                fields.push(f(&format!("line_quantity_{i}"), q));
            }
            None => {
                fields.push(f(&format!("line_material_{i}"), ""));
                fields.push(f(&format!("line_quantity_{i}"), ""));
            }
        }
    }
    fields
}

/// POST /shipments/new with `action` (draft or dispatch, dispatched today).
pub async fn new_shipment(
    app: &TestApp,
    b: &Browser,
    origin: i64,
    destination: i64,
    lines: &[(i64, &str)],
    action: &str,
) -> Page {
    let mut fields = shipment_fields(origin, destination, lines);
    fields.push(f("action", action));
    fields.push(f("dispatched_on", day(0)));
    post_once(app, b, "/shipments/new", &fields).await
}

/// Creates a shipment (draft or dispatched) and returns its id.
pub async fn shipment_ok(
    app: &TestApp,
    b: &Browser,
    origin: i64,
    destination: i64,
    lines: &[(i64, i64)],
    action: &str,
) -> i64 {
    let typed: Vec<String> = lines.iter().map(|(_, q)| q.to_string()).collect();
    let lines: Vec<(i64, &str)> = lines.iter().zip(&typed).map(|((m, _), q)| (*m, q.as_str())).collect();
    let page = new_shipment(app, b, origin, destination, &lines, action).await;
    let to = page.assert_see_other();
    id_in(&to, "/shipments/").unwrap_or_else(|| panic!("shipment went to {to}\n{}", page.describe()))
}

pub async fn dispatch(app: &TestApp, b: &Browser, id: i64, on: &str) -> Page {
    post_once(app, b, &format!("/shipments/{id}/dispatch"), &vec![f("dispatched_on", on)]).await
}

/// The lines of a shipment: (line id, material id, quantity sent).
pub fn shipment_lines(app: &TestApp, id: i64) -> Vec<(i64, i64, i64)> {
    let ids = app
        .numbers(&format!("SELECT CAST(id AS BIGINT) AS n FROM shipment_lines WHERE shipment_id = {id} ORDER BY id"));
    ids.into_iter()
        .map(|line| {
            let material = app.scalar(&format!("SELECT material_id FROM shipment_lines WHERE id = {line}"));
            let quantity = app.scalar(&format!("SELECT quantity FROM shipment_lines WHERE id = {line}"));
            (line, material, quantity)
        })
        .collect()
}

/// The delivery form: per line (line id, received as typed, shortfall reason).
pub fn delivery_fields(lines: &[(i64, String, &str)], on: &str) -> Fields {
    let mut fields = vec![f("delivered_on", on), f("received_by", "Ana Pérez"), f("note", "")];
    for (line, received, reason) in lines {
        fields.push(f(&format!("received_{line}"), received));
        fields.push(f(&format!("reason_{line}"), reason));
    }
    fields
}

pub async fn deliver(app: &TestApp, b: &Browser, id: i64, lines: &[(i64, String, &str)]) -> Page {
    post_once(app, b, &format!("/shipments/{id}/deliver"), &delivery_fields(lines, &day(0))).await
}

/// Delivers everything that was sent.
pub async fn deliver_all(app: &TestApp, b: &Browser, id: i64) -> Page {
    let lines: Vec<(i64, String, &str)> =
        shipment_lines(app, id).into_iter().map(|(line, _, q)| (line, q.to_string(), "")).collect();
    deliver(app, b, id, &lines).await
}

pub async fn cancel(app: &TestApp, b: &Browser, id: i64, reason: &str) -> Page {
    post_once(app, b, &format!("/shipments/{id}/cancel"), &vec![f("reason", reason)]).await
}

pub async fn reverse_delivery(app: &TestApp, b: &Browser, id: i64, reason: &str) -> Page {
    post_once(app, b, &format!("/shipments/{id}/reverse-delivery"), &vec![f("reason", reason)]).await
}

pub fn adjustment_fields(location: i64, material: i64, kind: &str, quantity: &str, on: &str, reason: &str) -> Fields {
    vec![
        f("location_id", location),
        f("material_id", material),
        f("kind", kind),
        f("quantity", quantity),
        f("effective_on", on),
        f("reason", reason),
    ]
}

pub async fn adjust(
    app: &TestApp,
    b: &Browser,
    location: i64,
    material: i64,
    kind: &str,
    quantity: i64,
    reason: &str,
) -> Page {
    post_once(
        app,
        b,
        "/adjustments/new",
        &adjustment_fields(location, material, kind, &quantity.to_string(), &day(0), reason),
    )
    .await
}

pub async fn reverse(app: &TestApp, b: &Browser, path: &str, reason: &str) -> Page {
    post_once(app, b, path, &vec![f("reason", reason)]).await
}

/// Posts a count at `location`: (material, counted as typed); other materials left blank.
pub async fn count(app: &TestApp, b: &Browser, location: i64, counted: &[(i64, &str)], on: &str) -> Page {
    let mut fields = vec![f("location_id", location), f("counted_on", on), f("note", "quarterly count")];
    for (m, q) in counted {
        fields.push(f(&format!("counted_{m}"), q));
    }
    post_once(app, b, &format!("/counts/new?location={location}"), &fields).await
}

/// Brings the balance of `material` at `location` to exactly `target` with a count.
pub async fn set_balance(app: &TestApp, b: &Browser, location: i64, material: i64, target: i64) {
    if app.on_hand(material, location) == target {
        return;
    }
    let typed = target.to_string();
    let page = count(app, b, location, &[(material, &typed)], &day(0)).await;
    page.assert_see_other();
    assert_eq!(app.on_hand(material, location), target, "the count set the balance");
}

/// Asserts a 422 that shows a message (in `.form-error` or a `.field-error`) and returns it.
pub fn assert_refused(page: &Page, what: &str) -> String {
    assert_eq!(page.status, 422, "{what}: expected 422\n{}", page.describe());
    let messages: Vec<String> = page.texts(".form-error, p.field-error");
    let message = messages.join(" | ");
    assert!(!message.trim().is_empty(), "{what}: 422 without a message\n{}", page.describe());
    message
}

/// Rows per table that stock work writes, to check that a refusal wrote nothing.
pub fn stock_rows(app: &TestApp) -> Vec<(String, i64)> {
    [
        "receipts",
        "shipments",
        "shipment_lines",
        "shipment_events",
        "adjustments",
        "stock_counts",
        "stock_movements",
        "submissions",
        "attachments",
    ]
    .iter()
    .map(|t| (t.to_string(), app.count(t)))
    .collect()
}

/// Every balance as (material, location, on_hand).
pub fn balances(app: &TestApp) -> Vec<String> {
    app.strings(
        "SELECT CAST(material_id AS TEXT) || ':' || CAST(location_id AS TEXT) || '=' || CAST(on_hand AS TEXT) AS s \
         FROM stock_balances ORDER BY material_id, location_id",
    )
}

/// A non-depot location with a region (a place material is distributed to).
pub fn some_destination(app: &TestApp, region: Option<i64>) -> i64 {
    let filter = region.map(|r| format!(" AND region_id = {r}")).unwrap_or_default();
    app.scalar(&format!(
        "SELECT MIN(id) FROM locations WHERE is_depot = false AND is_active = true AND region_id IS NOT NULL{filter}"
    ))
}

// ---------------------------------------------------------------------------------------------
// 1. Receipts
// ---------------------------------------------------------------------------------------------

async fn receipt_and_reversal(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let b = app.browser(LOGISTICS.0, LOGISTICS.1).await;
    let poster = app.material_id("POSTER");
    let depot = app.location_id("DEP-ANZ");
    let before = app.on_hand(poster, depot);

    let form = app.get(&b.client, "/receipts/new").await;
    form.assert_status(200);
    for field in ["material_id", "location_id", "quantity", "received_on", "supplier", "reference", "submission_key"] {
        assert!(form.has(&format!("[name=\"{field}\"]")), "/receipts/new has {field}\n{}", form.describe());
    }
    let key = form.input_value("submission_key").expect("a submission key");
    assert!(
        key.len() >= 16 && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
        "submission key {key:?} is random text of at least 16 characters"
    );
    let again = app.get(&b.client, "/receipts/new").await;
    assert_ne!(again.input_value("submission_key"), Some(key), "each form gets its own key");

    let id = receipt_ok(&app, &b, poster, depot, 2500).await;
    assert_eq!(app.on_hand(poster, depot), before + 2500, "a receipt raises the balance");
    assert_eq!(app.ledger_sum(poster, depot), before + 2500);
    let page = app.get(&b.client, &format!("/receipts/{id}")).await;
    page.assert_status(200);
    assert!(page.flash().is_some(), "flash after recording\n{}", page.describe());
    assert!(page.has(&format!("form[action=\"/receipts/{id}/reverse\"]")), "reversal form\n{}", page.describe());
    // The ledger page shows the receipt and the running balance.
    let ledger = app.get(&b.client, &format!("/stock/materials/{poster}?location={depot}")).await;
    ledger.assert_status(200);
    assert!(ledger.has(&format!("a[href=\"/receipts/{id}\"]")), "ledger links the receipt\n{}", ledger.describe());
    // A place that does not read is as unknown as one that does not exist: never the whole
    // ledger instead of the place's.
    for bad in ["abc", "99999999", "%00"] {
        app.get(&b.client, &format!("/stock/materials/{poster}?location={bad}")).await.assert_status(404);
    }

    // Reversal needs a reason.
    let page = reverse(&app, &b, &format!("/receipts/{id}/reverse"), "  ").await;
    assert_refused(&page, "reversal without a reason");
    assert_eq!(app.on_hand(poster, depot), before + 2500);

    let page = reverse(&app, &b, &format!("/receipts/{id}/reverse"), "typed the wrong depot").await;
    assert_eq!(page.assert_see_other(), format!("/receipts/{id}"));
    assert_eq!(app.on_hand(poster, depot), before, "reversal takes the units back");
    assert_eq!(app.ledger_sum(poster, depot), before);
    // The original stays, the reversal points at it.
    assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM receipts WHERE id = {id}")), 1);
    assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM stock_movements WHERE receipt_id = {id}")), 2);
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM stock_movements WHERE receipt_id = {id} AND reverses_id IS NOT NULL AND kind = 'receipt' \
             AND from_location_id = {depot} AND to_location_id IS NULL AND quantity = 2500"
        )),
        1,
        "the reversal is a receipt movement the other way, pointing at the original"
    );
    let list = app.get(&b.client, "/receipts").await;
    list.assert_status(200);
    assert!(
        list.has(&format!("tr.reversed a[href=\"/receipts/{id}\"]")),
        "the list still shows the receipt, marked reversed\n{}",
        list.describe()
    );
    let detail = app.get(&b.client, &format!("/receipts/{id}")).await;
    detail.assert_status(200);
    assert!(detail.has("h1 .badge.off"), "the receipt page says reversed\n{}", detail.describe());

    // Reversing twice is refused and changes nothing.
    let rows = stock_rows(&app);
    let page = reverse(&app, &b, &format!("/receipts/{id}/reverse"), "again").await;
    let message = assert_refused(&page, "second reversal");
    assert!(message.to_lowercase().contains("already"), "message says already reversed: {message}");
    assert_eq!(app.on_hand(poster, depot), before);
    assert_eq!(stock_rows(&app), rows, "nothing written by the refused second reversal");

    // A reversal that would leave the depot negative is refused: ship the units out first.
    let id2 = receipt_ok(&app, &b, poster, depot, 300).await;
    let level = app.on_hand(poster, depot);
    let dest = some_destination(&app, None);
    shipment_ok(&app, &b, depot, dest, &[(poster, level)], "dispatch").await;
    assert_eq!(app.on_hand(poster, depot), 0);
    let page = reverse(&app, &b, &format!("/receipts/{id2}/reverse"), "wrong quantity").await;
    assert_refused(&page, "reversal of a receipt whose stock left");
    assert_eq!(app.on_hand(poster, depot), 0);
    assert!(campaign_tracker::ledger::mismatched_balances(&mut app.conn()).expect("query").is_empty());
}

// ---------------------------------------------------------------------------------------------
// 3. Adjustments and counts
// ---------------------------------------------------------------------------------------------

async fn adjustments_and_counts(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let b = app.browser(LOGISTICS.0, LOGISTICS.1).await;
    let pamphlet = app.material_id("PAMPHLET");
    let poster = app.material_id("POSTER");
    let flier = app.material_id("FLIER");
    let depot = app.location_id("DEP-TAC");
    receipt_ok(&app, &b, pamphlet, depot, 400).await;
    receipt_ok(&app, &b, poster, depot, 90).await;
    let start = app.on_hand(pamphlet, depot);

    let form = app.get(&b.client, "/adjustments/new").await;
    form.assert_status(200);
    for field in ["location_id", "material_id", "kind", "quantity", "effective_on", "reason", "submission_key"] {
        assert!(form.has(&format!("[name=\"{field}\"]")), "/adjustments/new has {field}\n{}", form.describe());
    }

    let mut expected = start;
    for (kind, quantity, delta) in [("count_up", 15, 15), ("loss", 5, -5), ("damage", 3, -3), ("count_down", 2, -2)] {
        let page = adjust(&app, &b, depot, pamphlet, kind, quantity, &format!("{kind} found in the store room")).await;
        let to = page.assert_see_other();
        let id = id_in(&to, "/adjustments/").unwrap_or_else(|| panic!("{kind} went to {to}"));
        expected += delta;
        assert_eq!(app.on_hand(pamphlet, depot), expected, "{kind} {quantity}");
        assert_eq!(
            app.scalar(&format!("SELECT COUNT(*) FROM stock_movements WHERE adjustment_id = {id} AND kind = '{kind}'")),
            1
        );
        app.get(&b.client, &to).await.assert_status(200);
    }

    // No reason: refused, nothing written.
    let rows = stock_rows(&app);
    for reason in ["", "   "] {
        let page =
            post_once(&app, &b, "/adjustments/new", &adjustment_fields(depot, pamphlet, "loss", "4", &day(0), reason))
                .await;
        assert_refused(&page, "adjustment without a reason");
        assert!(page.field_error("reason").is_some(), "the reason field says why\n{}", page.describe());
    }
    // More than there is: refused.
    let page = adjust(&app, &b, depot, pamphlet, "loss", expected + 1, "flood").await;
    let message = assert_refused(&page, "loss larger than the balance");
    assert!(message.replace(',', "").contains(&format!("only {expected} left")), "says how much is left: {message}");
    assert_eq!(stock_rows(&app), rows, "refused adjustments write nothing");
    assert_eq!(app.on_hand(pamphlet, depot), expected);

    // Reversing an adjustment undoes it once.
    let page = adjust(&app, &b, depot, pamphlet, "damage", 10, "water damage").await;
    let path = page.assert_see_other();
    assert_eq!(app.on_hand(pamphlet, depot), expected - 10);
    let page = reverse(&app, &b, &format!("{path}/reverse"), "the boxes were dry after all").await;
    page.assert_see_other();
    assert_eq!(app.on_hand(pamphlet, depot), expected);
    let page = reverse(&app, &b, &format!("{path}/reverse"), "again").await;
    assert_refused(&page, "second reversal of an adjustment");
    assert_eq!(app.on_hand(pamphlet, depot), expected);

    // A count: the sheet shows what the books say; posted differences become corrections.
    let sheet = app.get(&b.client, &format!("/counts/new?location={depot}")).await;
    sheet.assert_status(200);
    for m in [pamphlet, poster, flier] {
        assert!(sheet.has(&format!("input[name=\"counted_{m}\"]")), "count box for {m}\n{}", sheet.describe());
    }
    let poster_book = app.on_hand(poster, depot);
    let flier_book = app.on_hand(flier, depot);
    let counts_before = app.count("stock_counts");
    let adjustments_before = app.count("adjustments");
    let pamphlet_count = (expected - 37).to_string();
    let poster_count = (poster_book + 7).to_string();
    let page =
        count(&app, &b, depot, &[(pamphlet, &pamphlet_count), (poster, &poster_count), (flier, "")], &day(0)).await;
    let to = page.assert_see_other();
    assert_eq!(to, format!("/stock/locations/{depot}"));
    assert_eq!(app.on_hand(pamphlet, depot), expected - 37, "balance equals the count");
    assert_eq!(app.on_hand(poster, depot), poster_book + 7, "balance equals the count");
    assert_eq!(app.on_hand(flier, depot), flier_book, "a blank box leaves the material alone");
    assert_eq!(app.count("stock_counts"), counts_before + 1);
    assert_eq!(app.count("adjustments"), adjustments_before + 2, "two corrections");
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM adjustments WHERE stock_count_id IS NOT NULL AND material_id = {pamphlet} \
             AND kind = 'count_down' AND quantity = 37 AND location_id = {depot}"
        )),
        1
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM adjustments WHERE stock_count_id IS NOT NULL AND material_id = {poster} \
             AND kind = 'count_up' AND quantity = 7 AND location_id = {depot}"
        )),
        1
    );
    let shown = app.get(&b.client, &to).await;
    shown.assert_status(200);
    assert!(shown.flash().is_some(), "flash after the count\n{}", shown.describe());

    // The same count again: no difference, no correction.
    let page = count(&app, &b, depot, &[(pamphlet, &pamphlet_count)], &day(0)).await;
    page.assert_see_other();
    assert_eq!(app.count("adjustments"), adjustments_before + 2);
    // Nothing counted, or a bad number: refused.
    let rows = stock_rows(&app);
    let page = count(&app, &b, depot, &[(pamphlet, "")], &day(0)).await;
    assert_refused(&page, "count with nothing counted");
    let page = count(&app, &b, depot, &[(pamphlet, "-3")], &day(0)).await;
    assert_refused(&page, "count of -3");
    assert!(page.field_error(&format!("counted_{pamphlet}")).is_some(), "{}", page.describe());
    let page = count(&app, &b, depot, &[(pamphlet, "lots")], &day(0)).await;
    assert_refused(&page, "count of 'lots'");
    assert_eq!(stock_rows(&app), rows);
    // A count sheet for something that is not a depot.
    let not_depot = some_destination(&app, None);
    let page = app.get(&b.client, &format!("/counts/new?location={not_depot}")).await;
    assert!(page.status == 404 || page.status == 422, "count sheet of a non-depot\n{}", page.describe());
    assert!(campaign_tracker::ledger::mismatched_balances(&mut app.conn()).expect("query").is_empty());
}

// ---------------------------------------------------------------------------------------------
// 4. Period lock
// ---------------------------------------------------------------------------------------------

async fn lock_date_closes_the_period(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let admin = app.browser(ADMIN.0, ADMIN.1).await;
    let logistics = app.browser(LOGISTICS.0, LOGISTICS.1).await;
    let poster = app.material_id("POSTER");
    let flier = app.material_id("FLIER");
    let depot = app.location_id("DEP-MER");

    // Before the lock: an old receipt and an old adjustment.
    let page = receipt(&app, &logistics, poster, depot, "800", &day(-10)).await;
    let old = id_in(&page.assert_see_other(), "/receipts/").expect("receipt id");
    let page = post_once(
        &app,
        &logistics,
        "/adjustments/new",
        &adjustment_fields(depot, poster, "count_up", "12", &day(-9), "found behind the shelf"),
    )
    .await;
    let old_adjustment = page.assert_see_other();

    // Only an administrator sets the lock.
    app.get(&logistics.client, "/settings/lock-date").await.assert_status(403);
    let page = app.send(&logistics, "/settings/lock-date", &[("lock_date", &day(-5))]).await;
    page.assert_status(403);
    for who in [MANAGER, VIEWER] {
        let b = app.browser(who.0, who.1).await;
        app.get(&b.client, "/settings/lock-date").await.assert_status(403);
        app.send(&b, "/settings/lock-date", &[("lock_date", &day(-5))]).await.assert_status(403);
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM app_settings WHERE key = 'lock_date'"), 0);

    let form = app.get(&admin.client, "/settings/lock-date").await;
    form.assert_status(200);
    assert!(form.has("input[name=\"lock_date\"]"), "{}", form.describe());
    // Not in the future.
    let page = app.send(&admin, "/settings/lock-date", &[("lock_date", &day(3))]).await;
    assert_refused(&page, "lock date in the future");
    let page = app.send(&admin, "/settings/lock-date", &[("lock_date", "31/12/2005")]).await;
    assert_refused(&page, "lock date that is not a date");
    let page = app.send(&admin, "/settings/lock-date", &[("lock_date", &day(-5))]).await;
    page.assert_see_other();
    let form = app.get(&admin.client, "/settings/lock-date").await;
    assert_eq!(form.input_value("lock_date"), Some(day(-5)), "{}", form.describe());

    let level = app.on_hand(poster, depot);
    for date in [day(-5), day(-6), day(-30)] {
        let page = receipt(&app, &logistics, poster, depot, "10", &date).await;
        let message = assert_refused(&page, &format!("receipt dated {date} inside the closed period"));
        assert!(message.contains(&day(-5)), "message names the lock date: {message}");
    }
    let page = post_once(
        &app,
        &logistics,
        "/adjustments/new",
        &adjustment_fields(depot, poster, "loss", "1", &day(-5), "rats"),
    )
    .await;
    assert_refused(&page, "adjustment on the lock date");
    let page = count(&app, &logistics, depot, &[(poster, "0")], &day(-6)).await;
    assert_refused(&page, "count inside the closed period");
    // Reversing movements dated inside the closed period.
    let page = reverse(&app, &logistics, &format!("/receipts/{old}/reverse"), "late correction").await;
    assert_refused(&page, "reversal of a receipt dated before the lock");
    let page = reverse(&app, &logistics, &format!("{old_adjustment}/reverse"), "late correction").await;
    assert_refused(&page, "reversal of an adjustment dated before the lock");
    // A dispatch dated on the lock date.
    let draft = shipment_ok(&app, &logistics, depot, some_destination(&app, None), &[(poster, 5)], "draft").await;
    let rows_with_draft = stock_rows(&app);
    let page = dispatch(&app, &logistics, draft, &day(-5)).await;
    assert_refused(&page, "dispatch dated on the lock date");
    assert_eq!(stock_rows(&app), rows_with_draft, "refusals inside the closed period write nothing");
    assert_eq!(app.on_hand(poster, depot), level);
    assert_eq!(
        app.scalar(&format!("SELECT COUNT(*) FROM shipments WHERE id = {draft} AND status = 'draft'")),
        1,
        "the refused dispatch left a draft"
    );

    // The day after the lock is open.
    let page = receipt(&app, &logistics, flier, depot, "10", &day(-4)).await;
    page.assert_see_other();
    assert!(app.on_hand(flier, depot) >= 10);

    // Reopening: the old receipt can be reversed again.
    let page = app.send(&admin, "/settings/lock-date", &[("lock_date", "")]).await;
    page.assert_see_other();
    let page = reverse(&app, &logistics, &format!("/receipts/{old}/reverse"), "late correction").await;
    page.assert_see_other();
}

// ---------------------------------------------------------------------------------------------
// 8. Bad input
// ---------------------------------------------------------------------------------------------

async fn bad_input_is_refused(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let b = app.browser(ADMIN.0, ADMIN.1).await;
    let poster = app.material_id("POSTER");
    let spot = app.material_id("SPOT");
    let depot = app.location_id("DEP-CCS");
    let other_depot = app.location_id("DEP-ANZ");
    let not_depot = some_destination(&app, None);
    receipt_ok(&app, &b, poster, depot, 1000).await;
    let rows = stock_rows(&app);
    let held = balances(&app);
    let far = "2999-01-01".to_string();
    let numbers = ["0", "-5", "abc", "2147483648", "", "1e3", "12.5x"];

    // Receipts.
    for q in numbers {
        let page = receipt(&app, &b, poster, depot, q, &day(0)).await;
        assert_refused(&page, &format!("receipt quantity {q:?}"));
        assert!(page.field_error("quantity").is_some(), "quantity {q:?}: field error\n{}", page.describe());
    }
    let cases: Vec<(String, Fields)> = vec![
        ("receipt of an unknown material".into(), receipt_fields(99_999_999, depot, "10", &day(0))),
        ("receipt at an unknown location".into(), receipt_fields(poster, 99_999_999, "10", &day(0))),
        ("receipt at a non-depot".into(), receipt_fields(poster, not_depot, "10", &day(0))),
        ("receipt of a broadcast spot".into(), receipt_fields(spot, depot, "10", &day(0))),
        ("receipt dated far in the future".into(), receipt_fields(poster, depot, "10", &far)),
        ("receipt with a bad date".into(), receipt_fields(poster, depot, "10", "2024-02-30")),
        (
            "receipt with a non-numeric material".into(),
            receipt_fields(poster, depot, "10", &day(0))
                .into_iter()
                .map(|(k, v)| if k == "material_id" { (k, "poster".into()) } else { (k, v) })
                .collect(),
        ),
    ];
    for (what, fields) in &cases {
        let page = post_once(&app, &b, "/receipts/new", fields).await;
        assert_refused(&page, what);
    }
    let page = receipt(&app, &b, spot, depot, "10", &day(0)).await;
    let message = assert_refused(&page, "SPOT receipt");
    assert!(message.to_lowercase().contains("broadcast"), "says why a spot is refused: {message}");

    // Shipments.
    for q in numbers {
        let page = new_shipment(&app, &b, depot, not_depot, &[(poster, q)], "dispatch").await;
        assert_refused(&page, &format!("shipment line quantity {q:?}"));
    }
    let page = new_shipment(&app, &b, depot, not_depot, &[], "dispatch").await;
    assert_refused(&page, "shipment without lines");
    assert!(page.field_error("lines").is_some(), "no lines: #lines-error\n{}", page.describe());
    let page = new_shipment(&app, &b, depot, not_depot, &[], "draft").await;
    assert_refused(&page, "draft without lines");
    let page = new_shipment(&app, &b, depot, not_depot, &[(99_999_999, "10")], "dispatch").await;
    assert_refused(&page, "shipment of an unknown material");
    let page = new_shipment(&app, &b, depot, not_depot, &[(spot, "10")], "draft").await;
    let message = assert_refused(&page, "shipment line of a broadcast spot");
    assert!(message.to_lowercase().contains("broadcast"), "says why a spot is refused: {message}");
    let page = new_shipment(&app, &b, depot, not_depot, &[(poster, "10"), (spot, "5")], "dispatch").await;
    assert_refused(&page, "shipment with a spot among its lines");
    let page = new_shipment(&app, &b, depot, 99_999_999, &[(poster, "10")], "dispatch").await;
    assert_refused(&page, "shipment to an unknown location");
    let page = new_shipment(&app, &b, 99_999_999, not_depot, &[(poster, "10")], "dispatch").await;
    assert_refused(&page, "shipment from an unknown location");
    let page = new_shipment(&app, &b, not_depot, depot, &[(poster, "10")], "dispatch").await;
    assert_refused(&page, "shipment from a non-depot");
    let page = new_shipment(&app, &b, depot, depot, &[(poster, "10")], "dispatch").await;
    assert_refused(&page, "shipment to its own origin");
    let page = new_shipment(&app, &b, depot, app.transit_id(), &[(poster, "10")], "dispatch").await;
    assert_refused(&page, "shipment to the TRANSIT system location");
    let page = new_shipment(&app, &b, depot, not_depot, &[(poster, "10"), (poster, "5")], "dispatch").await;
    assert_refused(&page, "the same material on two lines");
    let page = new_shipment(&app, &b, depot, not_depot, &[(poster, "1001")], "dispatch").await;
    let message = assert_refused(&page, "more than the origin holds");
    // It names the material and the place.
    assert!(
        message.contains("Posters on the crime of trafficking in persons: only 1,000 left at Depósito"),
        "says what, how much and where: {message}"
    );
    let mut fields = shipment_fields(depot, not_depot, &[(poster, "10")]);
    fields.push(f("action", "dispatch"));
    fields.push(f("dispatched_on", &far));
    let page = post_once(&app, &b, "/shipments/new", &fields).await;
    assert_refused(&page, "dispatch dated far in the future");

    // Adjustments.
    for q in numbers {
        let page =
            post_once(&app, &b, "/adjustments/new", &adjustment_fields(depot, poster, "loss", q, &day(0), "x")).await;
        assert_refused(&page, &format!("adjustment quantity {q:?}"));
    }
    for (what, fields) in [
        ("adjustment of an unknown kind", adjustment_fields(depot, poster, "gift", "1", &day(0), "x")),
        ("adjustment of an unknown material", adjustment_fields(depot, 99_999_999, "loss", "1", &day(0), "x")),
        ("adjustment at an unknown location", adjustment_fields(99_999_999, poster, "count_up", "1", &day(0), "x")),
        ("adjustment at a non-depot", adjustment_fields(not_depot, poster, "count_up", "1", &day(0), "x")),
        ("adjustment of a spot", adjustment_fields(depot, spot, "count_up", "1", &day(0), "x")),
        ("adjustment far in the future", adjustment_fields(depot, poster, "count_up", "1", &far, "x")),
    ] {
        let page = post_once(&app, &b, "/adjustments/new", &fields).await;
        assert_refused(&page, what);
    }

    // Submission keys: missing, too short, odd characters.
    for key in ["", "short", "has spaces in it ok", "ünïcödé-ünïcödé-ünïcödé"] {
        let mut fields = receipt_fields(poster, depot, "10", &day(0));
        fields.push(f("submission_key", key));
        let page = post(&app, &b, "/receipts/new", &fields).await;
        assert_refused(&page, &format!("submission key {key:?}"));
    }
    // Deactivated places take nothing.
    let closed = app.location_id("DEP-VAR");
    app.send(&b, &format!("/locations/{closed}/deactivate"), &[]).await.assert_see_other();
    let page = receipt(&app, &b, poster, closed, "10", &day(0)).await;
    assert_refused(&page, "receipt at a deactivated depot");
    let page = new_shipment(&app, &b, depot, closed, &[(poster, "10")], "dispatch").await;
    assert_refused(&page, "shipment to a deactivated depot");
    assert_eq!(stock_rows(&app), rows, "no refused request wrote anything");
    assert_eq!(balances(&app), held, "no refused request moved stock");

    // Deliveries and dispatches with bad input.
    let id = shipment_ok(&app, &b, depot, other_depot, &[(poster, 100)], "dispatch").await;
    let lines = shipment_lines(&app, id);
    let line = lines[0].0;
    let rows = stock_rows(&app);
    let held = balances(&app);
    for (what, received, reason) in [
        ("received -1", "-1", ""),
        ("received abc", "abc", ""),
        ("received 2147483648", "2147483648", "lost"),
        ("received nothing typed", "", ""),
        ("received more than sent", "101", ""),
        ("shortfall without a reason", "90", ""),
        ("shortfall with an unknown reason", "90", "eaten"),
    ] {
        let page = deliver(&app, &b, id, &[(line, received.to_string(), reason)]).await;
        assert_refused(&page, what);
    }
    let mut fields = delivery_fields(&[(line, "100".into(), "")], &far);
    fields.push(f("submission_key", submission_key()));
    let page = post(&app, &b, &format!("/shipments/{id}/deliver"), &fields).await;
    assert_refused(&page, "delivery far in the future");
    let mut fields = delivery_fields(&[(line, "100".into(), "")], &day(-3));
    fields.push(f("submission_key", submission_key()));
    let page = post(&app, &b, &format!("/shipments/{id}/deliver"), &fields).await;
    assert_refused(&page, "delivery before the dispatch");
    let page = dispatch(&app, &b, id, &day(0)).await;
    assert_refused(&page, "dispatching a dispatched shipment");
    assert_eq!(stock_rows(&app), rows, "no refused delivery wrote anything");
    assert_eq!(balances(&app), held, "no refused delivery moved stock");

    // Junk ids in paths: 404, never 500.
    for path in [
        "/receipts/abc",
        "/receipts/99999999",
        "/shipments/-1",
        "/shipments/99999999",
        "/adjustments/0",
        "/stock/materials/99999999",
        "/stock/locations/99999999",
        "/attachments/99999999",
        "/shipments/99999999/waybill",
    ] {
        let page = app.get(&b.client, path).await;
        assert_eq!(page.status, 404, "GET {path}\n{}", page.describe());
    }
    for path in [
        "/receipts/99999999/reverse",
        "/shipments/99999999/dispatch",
        "/shipments/99999999/cancel",
        "/adjustments/99999999/reverse",
        "/shipments/99999999/reverse-delivery",
        "/shipments/99999999/deliver",
    ] {
        let page = post_once(&app, &b, path, &vec![f("reason", "x"), f("dispatched_on", day(0))]).await;
        assert_eq!(page.status, 404, "POST {path}\n{}", page.describe());
    }
    // Junk filters: refused beside their fields, never a 500 and never a list that ignored them.
    let junk = "/shipments?status=lost&material=x&origin=-1&region=%00&type=9999999999&from=2024-13-01&to=x&q=%25&sort=sideways&page=-3";
    let page = app.get(&b.client, junk).await;
    assert_eq!(page.status, 422, "GET {junk}\n{}", page.describe());
    for field in ["status", "material", "origin", "region", "type", "from", "to", "sort"] {
        assert!(page.field_error(field).is_some(), "{field} refused\n{}", page.describe());
    }
    assert!(page.field_error("q").is_none(), "a % is text to look for");
    let junk = "/stock?material=abc&region=-1&depots=maybe&page=999999";
    let page = app.get(&b.client, junk).await;
    assert_eq!(page.status, 422, "GET {junk}\n{}", page.describe());
    for (field, message) in [
        ("material", "Unknown material: abc"),
        ("region", "Unknown region: -1"),
        ("depots", "Unknown depots filter (use 1 for depots only): maybe"),
    ] {
        assert_eq!(page.field_error(field).as_deref(), Some(message), "{field}\n{}", page.describe());
    }
    let export = app.get(&b.client, &format!("/export/stock.csv?{}", junk.trim_start_matches("/stock?"))).await;
    assert_eq!(export.status, 400, "{}", export.describe());
    assert!(!page.has("a[download]") && !page.has("h2#holdings + form + table"), "no holdings\n{}", page.describe());
    assert!(page.has("a[href^=\"/stock/materials/\"]"), "the totals per material still show");
    let export = app.get(&b.client, "/export/stock.csv?depots=maybe").await;
    assert_eq!(export.status, 400);
    assert_eq!(export.text(".export-refused").as_deref(), Some("Unknown depots filter (use 1 for depots only): maybe"));
    let page = app.get(&b.client, "/stock?material=POSTER&depots=1").await;
    assert_eq!(page.status, 200, "codes are as good as ids\n{}", page.describe());
    for path in ["/receipts?page=abc"] {
        let page = app.get(&b.client, path).await;
        assert_eq!(page.status, 200, "GET {path}\n{}", page.describe());
    }
}

// ---------------------------------------------------------------------------------------------
// 9. Roles × stock routes
// ---------------------------------------------------------------------------------------------

async fn roles_on_stock_routes(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let admin = app.browser(ADMIN.0, ADMIN.1).await;
    let poster = app.material_id("POSTER");
    let depot = app.location_id("DEP-CCS");
    let other = app.location_id("DEP-ANZ");
    let receipt_id = receipt_ok(&app, &admin, poster, depot, 1000).await;
    let draft = shipment_ok(&app, &admin, depot, other, &[(poster, 10)], "draft").await;
    let sent = shipment_ok(&app, &admin, depot, other, &[(poster, 10)], "dispatch").await;
    let delivered = shipment_ok(&app, &admin, depot, other, &[(poster, 10)], "dispatch").await;
    deliver_all(&app, &admin, delivered).await.assert_see_other();
    let adjustment = adjust(&app, &admin, depot, poster, "loss", 1, "torn").await.assert_see_other();
    let adjustment = id_in(&adjustment, "/adjustments/").expect("adjustment id");

    let forms: Vec<String> = vec![
        "/receipts/new".into(),
        "/shipments/new".into(),
        "/adjustments/new".into(),
        format!("/counts/new?location={depot}"),
        format!("/shipments/{draft}/edit"),
        format!("/shipments/{sent}/deliver"),
    ];
    let posts: Vec<String> = vec![
        "/receipts/new".into(),
        format!("/receipts/{receipt_id}/reverse"),
        "/shipments/new".into(),
        format!("/shipments/{draft}/edit"),
        format!("/shipments/{draft}/dispatch"),
        format!("/shipments/{sent}/deliver"),
        format!("/shipments/{sent}/cancel"),
        format!("/shipments/{delivered}/reverse-delivery"),
        "/adjustments/new".into(),
        format!("/adjustments/{adjustment}/reverse"),
        format!("/counts/new?location={depot}"),
        "/settings/lock-date".into(),
    ];
    let reads: Vec<String> = vec![
        "/stock".into(),
        format!("/stock/materials/{poster}"),
        format!("/stock/materials/{poster}?location={depot}"),
        format!("/stock/locations/{depot}"),
        "/receipts".into(),
        format!("/receipts/{receipt_id}"),
        "/shipments".into(),
        format!("/shipments/{sent}"),
        format!("/shipments/{sent}/waybill"),
        format!("/adjustments/{adjustment}"),
    ];
    let proof = format!("/shipments/{sent}/proof");

    // Anonymous: every page sends to sign-in (POSTs carry a valid token of this browser).
    let anonymous = client();
    let token = app.csrf_token(&anonymous, "/login").await;
    for path in forms.iter().chain(reads.iter()).chain(std::iter::once(&"/settings/lock-date".to_string())) {
        app.get(&anonymous, path).await.assert_to_login();
    }
    for path in &posts {
        let page = app
            .post_raw(&anonymous, path, &[("submission_key", &submission_key()), ("reason", "x")], Some(&token), &[])
            .await;
        page.assert_to_login();
    }
    let page = app.post_multipart(&anonymous, &proof, &[("csrf_token", None, token.as_bytes())]).await;
    page.assert_to_login();

    let rows = stock_rows(&app);
    let held = balances(&app);
    for who in [VIEWER, MANAGER] {
        let b = app.browser(who.0, who.1).await;
        for path in &reads {
            let page = app.get(&b.client, path).await;
            assert_eq!(page.status, 200, "{} reads {path}\n{}", who.0, page.describe());
            assert!(!page.has("form[action$=\"/reverse\"]"), "{} is offered a reversal on {path}", who.0);
        }
        for path in &forms {
            let page = app.get(&b.client, path).await;
            assert_eq!(page.status, 403, "{} GET {path}\n{}", who.0, page.describe());
        }
        for path in &posts {
            // A complete, valid-looking form: the role alone must refuse it.
            let mut fields = receipt_fields(poster, depot, "5", &day(0));
            fields.extend(shipment_fields(depot, other, &[(poster, "5")]).into_iter().filter(|(k, _)| k != "carrier"));
            fields.extend([
                f("reason", "by mistake"),
                f("dispatched_on", day(0)),
                f("action", "draft"),
                f("kind", "count_up"),
                f("effective_on", day(0)),
                f("location_id", depot),
                f("counted_on", day(0)),
                f(&format!("counted_{poster}"), "0"),
                f("lock_date", day(-1)),
            ]);
            let page = post_once(&app, &b, path, &fields).await;
            assert_eq!(page.status, 403, "{} POST {path}\n{}", who.0, page.describe());
        }
        let page = app
            .post_multipart(
                &b.client,
                &proof,
                &[
                    ("csrf_token", None, b.token.as_bytes()),
                    ("proof", Some(("a.png", "image/png")), b"\x89PNG\r\n\x1a\nxx"),
                ],
            )
            .await;
        assert_eq!(page.status, 403, "{} uploads a proof\n{}", who.0, page.describe());
    }
    assert_eq!(stock_rows(&app), rows, "viewer and manager wrote nothing");
    assert_eq!(balances(&app), held);

    // Logistics and admin: the forms open, the POSTs are considered (refused only for content).
    for who in [LOGISTICS, ADMIN] {
        let b = app.browser(who.0, who.1).await;
        for path in forms.iter().chain(reads.iter()) {
            let page = app.get(&b.client, path).await;
            assert_eq!(page.status, 200, "{} GET {path}\n{}", who.0, page.describe());
        }
        for path in posts.iter().filter(|p| *p != "/settings/lock-date") {
            // Empty content (the count form names its depot): 422 (or a redirect), never 403.
            let page = app.send(&b, path, &[("location_id", &depot.to_string())]).await;
            assert!(
                page.status == 422 || page.status == 303,
                "{} POST {path} with nothing filled in\n{}",
                who.0,
                page.describe()
            );
        }
        let page = app.post_multipart(&b.client, &proof, &[("csrf_token", None, b.token.as_bytes())]).await;
        assert_refused(&page, &format!("{} uploads no file", who.0));
    }
    let logistics = app.browser(LOGISTICS.0, LOGISTICS.1).await;
    app.get(&logistics.client, "/settings/lock-date").await.assert_status(403);
    app.get(&admin.client, "/settings/lock-date").await.assert_status(200);
}
