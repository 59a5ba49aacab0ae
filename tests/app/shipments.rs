//! Shipments over HTTP: the whole lifecycle with its stock effects, region limits, and the
//! signed delivery note upload.

use crate::helpers::*;
use crate::stock::*;

both_backends!(shipment_lifecycle, region_limits, proof_upload);

fn status(app: &TestApp, id: i64) -> String {
    app.strings(&format!("SELECT status AS s FROM shipments WHERE id = {id}")).remove(0)
}

fn movements_of(app: &TestApp, id: i64) -> i64 {
    app.scalar(&format!("SELECT COUNT(*) FROM stock_movements WHERE shipment_id = {id}"))
}

/// The history lines of a shipment page.
fn history(page: &Page) -> Vec<String> {
    page.texts("ol.history li")
}

async fn shipment_lifecycle(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let logistics = app.browser(LOGISTICS.0, LOGISTICS.1).await;
    let admin = app.browser(ADMIN.0, ADMIN.1).await;
    let poster = app.material_id("POSTER");
    let flier = app.material_id("FLIER");
    let origin = app.location_id("DEP-CCS");
    let transit = app.transit_id();
    let destination = some_destination(&app, Some(app.region_id("VE-S")));
    receipt_ok(&app, &logistics, poster, origin, 1000).await;
    receipt_ok(&app, &logistics, flier, origin, 500).await;
    let p0 = app.on_hand(poster, origin);
    let f0 = app.on_hand(flier, origin);
    let t0 = app.on_hand(poster, transit);
    let tf0 = app.on_hand(flier, transit);
    let d0 = app.on_hand(poster, destination);
    let df0 = app.on_hand(flier, destination);

    // The form.
    let form = app.get(&logistics.client, "/shipments/new").await;
    form.assert_status(200);
    for field in [
        "origin_id",
        "destination_id",
        "carrier",
        "expected_on",
        "note",
        "line_material_0",
        "line_quantity_0",
        "line_material_5",
        "line_quantity_5",
        "dispatched_on",
        "submission_key",
        "csrf_token",
    ] {
        assert!(form.has(&format!("[name=\"{field}\"]")), "/shipments/new has {field}\n{}", form.describe());
    }
    assert!(
        form.has("button[name=\"action\"][value=\"draft\"]") && form.has("button[name=\"action\"][value=\"dispatch\"]")
    );

    // Draft: nothing moves.
    let id = shipment_ok(&app, &logistics, origin, destination, &[(poster, 100), (flier, 50)], "draft").await;
    assert_eq!(status(&app, id), "draft");
    assert_eq!((app.on_hand(poster, origin), app.on_hand(flier, origin)), (p0, f0), "a draft moves nothing");
    assert_eq!(app.on_hand(poster, transit), t0);
    assert_eq!(movements_of(&app, id), 0);
    let page = app.get(&logistics.client, &format!("/shipments/{id}")).await;
    page.assert_status(200);
    assert!(page.has(&format!("form[action=\"/shipments/{id}/dispatch\"]")), "dispatch offered\n{}", page.describe());

    // Edit the draft.
    let edit = app.get(&logistics.client, &format!("/shipments/{id}/edit")).await;
    edit.assert_status(200);
    assert_eq!(edit.input_value("line_quantity_0").as_deref(), Some("100"), "{}", edit.describe());
    assert_eq!(edit.selected("origin_id"), Some(origin.to_string()));
    let mut fields = shipment_fields(origin, destination, &[(poster, "120"), (flier, "40")]);
    fields.retain(|(k, _)| k != "carrier");
    fields.push(f("carrier", "Expresos Mérida"));
    fields.push(f("action", "draft"));
    let page = post_once(&app, &logistics, &format!("/shipments/{id}/edit"), &fields).await;
    assert_eq!(page.assert_see_other(), format!("/shipments/{id}"));
    let lines = shipment_lines(&app, id);
    assert_eq!(lines.iter().map(|(_, m, q)| (*m, *q)).collect::<Vec<_>>(), vec![(poster, 120), (flier, 40)]);
    assert_eq!(app.strings(&format!("SELECT carrier AS s FROM shipments WHERE id = {id}")), vec!["Expresos Mérida"]);
    assert_eq!(app.on_hand(poster, origin), p0, "editing moves nothing");

    // Dispatch: origin down, transit up.
    let page = dispatch(&app, &logistics, id, &day(0)).await;
    assert_eq!(page.assert_see_other(), format!("/shipments/{id}"));
    assert_eq!(status(&app, id), "dispatched");
    assert_eq!(app.on_hand(poster, origin), p0 - 120);
    assert_eq!(app.on_hand(flier, origin), f0 - 40);
    assert_eq!(app.on_hand(poster, transit), t0 + 120);
    assert_eq!(app.on_hand(flier, transit), tf0 + 40);
    assert_eq!(
        app.scalar(&format!("SELECT COUNT(*) FROM stock_movements WHERE shipment_id = {id} AND kind = 'dispatch' AND from_location_id = {origin} AND to_location_id = {transit}")),
        2
    );
    // A dispatched shipment is no longer editable nor dispatchable.
    let page = post_once(&app, &logistics, &format!("/shipments/{id}/edit"), &fields).await;
    assert_refused(&page, "editing a dispatched shipment");
    let page = dispatch(&app, &logistics, id, &day(0)).await;
    assert_refused(&page, "dispatching twice");
    assert_eq!(app.on_hand(poster, origin), p0 - 120, "second dispatch moved nothing");
    let waybill = app.get(&logistics.client, &format!("/shipments/{id}/waybill")).await;
    waybill.assert_status(200);
    assert!(
        waybill.body.contains("POSTER") && waybill.body.contains("120"),
        "waybill lists the lines\n{}",
        waybill.describe()
    );

    // Delivery with a shortfall.
    let form = app.get(&admin.client, &format!("/shipments/{id}/deliver")).await;
    form.assert_status(200);
    let (poster_line, flier_line) = (lines[0].0, lines[1].0);
    for name in [
        format!("received_{poster_line}"),
        format!("reason_{poster_line}"),
        format!("received_{flier_line}"),
        "delivered_on".into(),
        "received_by".into(),
        "submission_key".into(),
    ] {
        assert!(form.has(&format!("[name=\"{name}\"]")), "deliver form has {name}\n{}", form.describe());
    }
    let rows = stock_rows(&app);
    let page = deliver(&app, &admin, id, &[(poster_line, "100".into(), ""), (flier_line, "40".into(), "")]).await;
    assert_refused(&page, "shortfall without a reason");
    assert!(
        page.field_error(&format!("reason_{poster_line}")).is_some(),
        "the reason box says why\n{}",
        page.describe()
    );
    let page = deliver(&app, &admin, id, &[(poster_line, "121".into(), ""), (flier_line, "40".into(), "")]).await;
    assert_refused(&page, "receiving more than was sent");
    assert_eq!(stock_rows(&app), rows, "refused deliveries write nothing");
    assert_eq!(status(&app, id), "dispatched");

    let page = deliver(&app, &admin, id, &[(poster_line, "100".into(), "lost"), (flier_line, "40".into(), "")]).await;
    assert_eq!(page.assert_see_other(), format!("/shipments/{id}"));
    assert_eq!(status(&app, id), "delivered");
    assert_eq!(app.on_hand(poster, destination), d0 + 100, "destination up by what arrived");
    assert_eq!(app.on_hand(flier, destination), df0 + 40);
    assert_eq!(app.on_hand(poster, transit), t0, "nothing left in transit");
    assert_eq!(app.on_hand(flier, transit), tf0);
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM stock_movements WHERE shipment_id = {id} AND kind = 'shortfall' AND material_id = {poster} \
             AND quantity = 20 AND from_location_id = {transit} AND to_location_id IS NULL AND reason = 'lost'"
        )),
        1,
        "the shortfall is written off with its reason"
    );
    let page = app.get(&admin.client, &format!("/shipments/{id}")).await;
    page.assert_status(200);
    assert!(page.flash().is_some());
    let events = history(&page);
    let expect =
        [("Draft created", "Demo Logistics"), ("Dispatched", "Demo Logistics"), ("Delivered", "Demo Administrator")];
    assert_eq!(events.len(), 3, "three steps: {events:?}");
    for ((label, who), line) in expect.iter().zip(&events) {
        assert!(line.contains(label) && line.contains(who), "history line {line:?} should say {label} by {who}");
    }
    // Delivering twice is refused.
    let page = deliver(&app, &admin, id, &[(poster_line, "120".into(), ""), (flier_line, "40".into(), "")]).await;
    assert_refused(&page, "delivering a delivered shipment");
    assert_eq!(app.on_hand(poster, destination), d0 + 100);

    // Reverse the delivery: back in transit, the shortfall undone.
    let page = reverse_delivery(&app, &admin, id, "  ").await;
    assert_refused(&page, "reversal of a delivery without a reason");
    let page = reverse_delivery(&app, &admin, id, "counted at the wrong school").await;
    assert_eq!(page.assert_see_other(), format!("/shipments/{id}"));
    assert_eq!(status(&app, id), "dispatched");
    assert_eq!(app.on_hand(poster, destination), d0);
    assert_eq!(app.on_hand(flier, destination), df0);
    assert_eq!(app.on_hand(poster, transit), t0 + 120);
    assert_eq!(app.on_hand(flier, transit), tf0 + 40);
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM stock_movements WHERE shipment_id = {id} AND reverses_id IS NOT NULL"
        )),
        3,
        "two deliveries and one shortfall reversed"
    );
    let page = reverse_delivery(&app, &admin, id, "again").await;
    assert_refused(&page, "reversing a delivery that is not delivered");
    // Deliver again, in full this time.
    let page = deliver(&app, &admin, id, &[(poster_line, "120".into(), ""), (flier_line, "40".into(), "")]).await;
    page.assert_see_other();
    assert_eq!(app.on_hand(poster, destination), d0 + 120);
    assert_eq!(app.on_hand(poster, transit), t0);
    let page = app.get(&admin.client, &format!("/shipments/{id}")).await;
    let events = history(&page);
    assert!(events.iter().any(|e| e.contains("Delivery reversed") && e.contains("Demo Administrator")), "{events:?}");
    assert_eq!(events.len(), 5, "draft, dispatched, delivered, delivery reversed, delivered: {events:?}");
    // A delivered shipment cannot be cancelled.
    let page = cancel(&app, &logistics, id, "too late").await;
    assert_refused(&page, "cancelling a delivered shipment");

    // Cancel a draft: nothing moves.
    let p1 = app.on_hand(poster, origin);
    let draft = shipment_ok(&app, &logistics, origin, destination, &[(poster, 30)], "draft").await;
    let page = cancel(&app, &logistics, draft, "").await;
    assert_refused(&page, "cancelling without a reason");
    let page = cancel(&app, &logistics, draft, "the school closed").await;
    page.assert_see_other();
    assert_eq!(status(&app, draft), "cancelled");
    assert_eq!(movements_of(&app, draft), 0);
    assert_eq!(app.on_hand(poster, origin), p1);
    let page = dispatch(&app, &logistics, draft, &day(0)).await;
    assert_refused(&page, "dispatching a cancelled draft");
    assert_eq!(app.on_hand(poster, origin), p1);

    // Cancel a dispatched shipment: the stock returns to the origin.
    let sent = shipment_ok(&app, &logistics, origin, destination, &[(poster, 70), (flier, 10)], "dispatch").await;
    assert_eq!(status(&app, sent), "dispatched");
    assert_eq!(app.on_hand(poster, origin), p1 - 70);
    assert_eq!(app.on_hand(poster, transit), t0 + 70);
    let page = cancel(&app, &logistics, sent, "truck broke down").await;
    page.assert_see_other();
    assert_eq!(status(&app, sent), "cancelled");
    assert_eq!(app.on_hand(poster, origin), p1, "back at the origin");
    assert_eq!(app.on_hand(flier, origin), f0 - 40);
    assert_eq!(app.on_hand(poster, transit), t0);
    assert_eq!(app.on_hand(flier, transit), tf0);
    assert_eq!(
        app.scalar(&format!("SELECT COUNT(*) FROM stock_movements WHERE shipment_id = {sent} AND kind = 'return' AND to_location_id = {origin}")),
        2
    );
    let page = cancel(&app, &logistics, sent, "twice").await;
    assert_refused(&page, "cancelling twice");
    assert_eq!(app.on_hand(poster, origin), p1, "a second cancel returns nothing more");
    let page = deliver(
        &app,
        &admin,
        sent,
        &[(shipment_lines(&app, sent)[0].0, "70".into(), ""), (shipment_lines(&app, sent)[1].0, "10".into(), "")],
    )
    .await;
    assert_refused(&page, "delivering a cancelled shipment");

    // A transfer to another depot raises that depot's stock (and it can ship it on).
    let other = app.location_id("DEP-ANZ");
    let o0 = app.on_hand(poster, other);
    let transfer = shipment_ok(&app, &logistics, origin, other, &[(poster, 200)], "dispatch").await;
    deliver_all(&app, &admin, transfer).await.assert_see_other();
    assert_eq!(app.on_hand(poster, other), o0 + 200);
    assert_eq!(app.on_hand(poster, origin), p1 - 200);
    let onward = shipment_ok(&app, &logistics, other, destination, &[(poster, 150)], "dispatch").await;
    assert_eq!(status(&app, onward), "dispatched");
    assert_eq!(app.on_hand(poster, other), o0 + 50);

    // The list filters find them.
    let list = app.get(&admin.client, &format!("/shipments?status=cancelled&origin={origin}&sort=newest")).await;
    list.assert_status(200);
    let listed = list.linked_ids("/shipments/");
    assert!(listed.contains(&draft) && listed.contains(&sent) && !listed.contains(&id), "cancelled filter: {listed:?}");
    let list = app.get(&admin.client, &format!("/shipments?status=dispatched&material={poster}")).await;
    assert!(list.linked_ids("/shipments/").contains(&onward));
    assert!(campaign_tracker::ledger::mismatched_balances(&mut app.conn()).expect("query").is_empty());
}

// ---------------------------------------------------------------------------------------------
// 10. Region limits
// ---------------------------------------------------------------------------------------------

async fn region_limits(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let admin = app.browser(ADMIN.0, ADMIN.1).await;
    let tachira = app.region_id("VE-S");
    let (username, password) = app.create_user(campaign_tracker::domain::Role::Logistics);
    let user_id = app.user_id(&username);
    let page = app
        .send(
            &admin,
            &format!("/users/{user_id}/edit"),
            &[("display_name", "Táchira Logistics"), ("role", "logistics"), ("region_ids", &tachira.to_string())],
        )
        .await;
    page.assert_see_other();
    assert_eq!(
        app.numbers(&format!("SELECT CAST(region_id AS BIGINT) AS n FROM user_regions WHERE user_id = {user_id}")),
        vec![tachira]
    );
    let limited = app.browser(&username, &password).await;

    let poster = app.material_id("POSTER");
    let ccs = app.location_id("DEP-CCS");
    let tac = app.location_id("DEP-TAC");
    let anz = app.location_id("DEP-ANZ");
    let mer = app.location_id("DEP-MER");
    let tachira_place = some_destination(&app, Some(tachira));
    let elsewhere = some_destination(&app, Some(app.region_id("VE-B")));

    // Receipts: only at their depots.
    let form = app.get(&limited.client, "/receipts/new").await;
    form.assert_status(200);
    let offered = form.attrs("select[name=\"location_id\"] option", "value");
    assert!(offered.contains(&tac.to_string()), "DEP-TAC offered: {offered:?}");
    assert!(!offered.contains(&ccs.to_string()), "DEP-CCS not offered: {offered:?}");
    let rows = stock_rows(&app);
    let held = balances(&app);
    let page = receipt(&app, &limited, poster, ccs, "50", &day(0)).await;
    assert!(page.status == 403 || page.status == 422, "receipt at DEP-CCS\n{}", page.describe());
    assert_eq!(stock_rows(&app), rows, "nothing written");
    assert_eq!(balances(&app), held);
    let tac_receipt = receipt_ok(&app, &limited, poster, tac, 50).await;
    app.get(&limited.client, &format!("/receipts/{tac_receipt}")).await.assert_status(200);

    // Other regions' records are not theirs to see.
    let ccs_receipt = receipt_ok(&app, &admin, poster, ccs, 5000).await;
    let page = app.get(&limited.client, &format!("/receipts/{ccs_receipt}")).await;
    assert!(page.status == 404 || page.status == 403, "DEP-CCS receipt\n{}", page.describe());
    let page = reverse(&app, &limited, &format!("/receipts/{ccs_receipt}/reverse"), "not mine").await;
    assert!(page.status == 404 || page.status == 403, "reversing a DEP-CCS receipt\n{}", page.describe());
    let list = app.get(&limited.client, "/receipts").await;
    list.assert_status(200);
    let listed = list.linked_ids("/receipts/");
    assert!(listed.contains(&tac_receipt) && !listed.contains(&ccs_receipt), "receipt list is limited: {listed:?}");
    let page = adjust(&app, &limited, ccs, poster, "loss", 1, "not mine").await;
    assert!(page.status == 403 || page.status == 422, "adjustment at DEP-CCS\n{}", page.describe());
    let page = app.get(&limited.client, &format!("/counts/new?location={ccs}")).await;
    assert!(page.status == 403 || page.status == 404, "count sheet of DEP-CCS\n{}", page.describe());
    let page = count(&app, &limited, ccs, &[(poster, "0")], &day(0)).await;
    assert!(page.status == 403 || page.status == 404, "count at DEP-CCS\n{}", page.describe());
    assert!(app.on_hand(poster, ccs) >= 5000, "DEP-CCS untouched");
    let page = new_shipment(&app, &limited, ccs, tachira_place, &[(poster, "10")], "dispatch").await;
    assert!(page.status == 403 || page.status == 422, "shipment from DEP-CCS\n{}", page.describe());

    // DEP-CCS → Táchira: seen, delivered by them, but not dispatched or cancelled by them.
    let inbound = shipment_ok(&app, &admin, ccs, tachira_place, &[(poster, 40)], "draft").await;
    app.get(&limited.client, &format!("/shipments/{inbound}")).await.assert_status(200);
    let page = dispatch(&app, &limited, inbound, &day(0)).await;
    assert!(page.status == 403 || page.status == 404, "dispatch by the destination's region\n{}", page.describe());
    let page = app.get(&limited.client, &format!("/shipments/{inbound}/edit")).await;
    assert!(page.status == 403 || page.status == 404, "edit by the destination's region\n{}", page.describe());
    assert_eq!(status(&app, inbound), "draft");
    dispatch(&app, &admin, inbound, &day(0)).await.assert_see_other();
    let page = cancel(&app, &limited, inbound, "not mine to cancel").await;
    assert!(page.status == 403 || page.status == 404, "cancel by the destination's region\n{}", page.describe());
    assert_eq!(status(&app, inbound), "dispatched");
    let page = app.get(&limited.client, &format!("/shipments/{inbound}")).await;
    page.assert_status(200);
    assert!(page.has(&format!("a[href=\"/shipments/{inbound}/deliver\"]")), "delivery offered\n{}", page.describe());
    assert!(!page.has(&format!("form[action=\"/shipments/{inbound}/cancel\"]")), "cancel not offered");
    app.get(&limited.client, &format!("/shipments/{inbound}/deliver")).await.assert_status(200);
    let d0 = app.on_hand(poster, tachira_place);
    deliver_all(&app, &limited, inbound).await.assert_see_other();
    assert_eq!(status(&app, inbound), "delivered");
    assert_eq!(app.on_hand(poster, tachira_place), d0 + 40);
    let list = app.get(&limited.client, "/shipments").await;
    assert!(list.linked_ids("/shipments/").contains(&inbound));

    // Outbound from Táchira: they dispatch; the destination's region delivers, not them.
    let outbound = shipment_ok(&app, &limited, tac, anz, &[(poster, 20)], "dispatch").await;
    let page = deliver_all(&app, &limited, outbound).await;
    assert!(page.status == 403 || page.status == 404, "delivery by the origin's region\n{}", page.describe());
    let page = app.get(&limited.client, &format!("/shipments/{outbound}/deliver")).await;
    assert!(page.status == 403 || page.status == 404, "deliver form for the origin's region\n{}", page.describe());
    assert_eq!(status(&app, outbound), "dispatched");

    // Between two other regions: not found.
    receipt_ok(&app, &admin, poster, anz, 100).await;
    let foreign = shipment_ok(&app, &admin, anz, mer, &[(poster, 10)], "dispatch").await;
    let foreign_draft = shipment_ok(&app, &admin, ccs, elsewhere, &[(poster, 10)], "draft").await;
    for path in [
        format!("/shipments/{foreign}"),
        format!("/shipments/{foreign}/waybill"),
        format!("/shipments/{foreign}/deliver"),
        format!("/shipments/{foreign_draft}"),
        format!("/shipments/{foreign_draft}/edit"),
    ] {
        let page = app.get(&limited.client, &path).await;
        assert_eq!(page.status, 404, "GET {path} by a Táchira user\n{}", page.describe());
    }
    let rows = stock_rows(&app);
    for page in [
        deliver_all(&app, &limited, foreign).await,
        cancel(&app, &limited, foreign, "x").await,
        dispatch(&app, &limited, foreign_draft, &day(0)).await,
        cancel(&app, &limited, foreign_draft, "x").await,
    ] {
        assert!(page.status == 404 || page.status == 403, "acting on another region's shipment\n{}", page.describe());
    }
    assert_eq!(stock_rows(&app), rows, "nothing written for another region's shipments");
    let list = app.get(&limited.client, "/shipments").await;
    let listed = list.linked_ids("/shipments/");
    assert!(
        !listed.contains(&foreign) && !listed.contains(&foreign_draft),
        "list limited to their regions: {listed:?}"
    );
    // Stock pages of other regions.
    let page = app.get(&limited.client, &format!("/stock/locations/{ccs}")).await;
    assert!(page.status == 404 || page.status == 403, "stock of DEP-CCS\n{}", page.describe());
    app.get(&limited.client, &format!("/stock/locations/{tac}")).await.assert_status(200);
}

// ---------------------------------------------------------------------------------------------
// 11. Proof of delivery
// ---------------------------------------------------------------------------------------------

/// A real 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0, 0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D,
    0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

async fn proof_upload(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let b = app.browser(LOGISTICS.0, LOGISTICS.1).await;
    let poster = app.material_id("POSTER");
    let origin = app.location_id("DEP-LAR");
    receipt_ok(&app, &b, poster, origin, 100).await;
    let id = shipment_ok(&app, &b, origin, some_destination(&app, None), &[(poster, 10)], "dispatch").await;
    let path = format!("/shipments/{id}/proof");
    let attachments = app.count("attachments");
    let page = app.get(&b.client, &format!("/shipments/{id}")).await;
    assert!(
        page.has(&format!("form[action=\"{path}\"][enctype=\"multipart/form-data\"] input[name=\"proof\"]")),
        "{}",
        page.describe()
    );

    // A PNG with binary bytes (NUL, high bytes) beyond the header, served back byte for byte.
    let mut png = PNG.to_vec();
    png.extend((0..=255u8).cycle().take(3000));
    let page = app
        .post_multipart(
            &b.client,
            &path,
            &[("csrf_token", None, b.token.as_bytes()), ("proof", Some(("nota firmada.png", "image/png")), &png)],
        )
        .await;
    assert_eq!(page.assert_see_other(), format!("/shipments/{id}"));
    assert_eq!(app.count("attachments"), attachments + 1);
    let page = app.get(&b.client, &format!("/shipments/{id}")).await;
    let links = page.linked_ids("/attachments/");
    assert_eq!(links.len(), 1, "the shipment links its attachment\n{}", page.describe());
    assert!(history(&page).iter().any(|e| e.contains("Signed note attached")), "{:?}", history(&page));
    let (status, content_type, bytes) = app.get_bytes(&b.client, &format!("/attachments/{}", links[0])).await;
    assert_eq!(status, 200);
    assert_eq!(content_type.as_deref(), Some("image/png"));
    assert!(bytes == png, "the attachment comes back byte-identical ({} vs {} bytes)", bytes.len(), png.len());
    // Other readers see it too (viewer), anonymous is sent to sign in.
    let viewer = app.browser(VIEWER.0, VIEWER.1).await;
    let (status, _, bytes) = app.get_bytes(&viewer.client, &format!("/attachments/{}", links[0])).await;
    assert_eq!((status, bytes == png), (200, true));
    app.get(&client(), &format!("/attachments/{}", links[0])).await.assert_to_login();

    // A PDF is accepted by its magic bytes whatever it is called.
    let pdf = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n".to_vec();
    let page = app
        .post_multipart(
            &b.client,
            &path,
            &[
                ("csrf_token", None, b.token.as_bytes()),
                ("proof", Some(("scan.bin", "application/octet-stream")), &pdf),
            ],
        )
        .await;
    page.assert_see_other();
    assert_eq!(app.count("attachments"), attachments + 2);

    // A text file, even one claiming to be a PNG, is refused.
    for (name, claimed) in [("notes.txt", "text/plain"), ("fake.png", "image/png")] {
        let page = app
            .post_multipart(
                &b.client,
                &path,
                &[
                    ("csrf_token", None, b.token.as_bytes()),
                    ("proof", Some((name, claimed)), b"just some text, not an image"),
                ],
            )
            .await;
        assert_refused(&page, &format!("text file {name}"));
    }
    // No file.
    let page = app.post_multipart(&b.client, &path, &[("csrf_token", None, b.token.as_bytes())]).await;
    assert_refused(&page, "no file");
    // No CSRF token, or a wrong one: 403.
    let page = app.post_multipart(&b.client, &path, &[("proof", Some(("a.png", "image/png")), &png)]).await;
    assert_eq!(page.status, 403, "upload without csrf\n{}", page.describe());
    let page = app
        .post_multipart(
            &b.client,
            &path,
            &[("csrf_token", None, b"forged"), ("proof", Some(("a.png", "image/png")), &png)],
        )
        .await;
    assert_eq!(page.status, 403, "upload with a forged csrf\n{}", page.describe());
    // Larger than 5 MB.
    let mut big = PNG.to_vec();
    big.resize(5 * 1024 * 1024 + 10, 0);
    let page = app
        .post_multipart(
            &b.client,
            &path,
            &[("csrf_token", None, b.token.as_bytes()), ("proof", Some(("big.png", "image/png")), &big)],
        )
        .await;
    assert!(page.status == 422 || page.status == 413, "upload of more than 5 MB\n{}", page.describe());
    assert_eq!(app.count("attachments"), attachments + 2, "refused uploads store nothing");
    // A draft takes no proof.
    let draft = shipment_ok(&app, &b, origin, some_destination(&app, None), &[(poster, 1)], "draft").await;
    let page = app
        .post_multipart(
            &b.client,
            &format!("/shipments/{draft}/proof"),
            &[("csrf_token", None, b.token.as_bytes()), ("proof", Some(("a.png", "image/png")), &png)],
        )
        .await;
    assert_refused(&page, "proof for a draft");
    assert_eq!(app.count("attachments"), attachments + 2);
}
