//! The code a delivery note carries to a distribution point: issued on dispatch, printed as a
//! QR code (decoded here by a real decoder) with its link and short code, the same on every
//! reprint, voided by a new one, and printed only when the server knows its public address.

use crate::helpers::*;
use crate::stock::*;

both_backends!(
    a_dispatched_note_carries_a_code_that_reprints_the_same,
    a_code_needs_the_public_address,
    a_days_notes_print_together
);

pub const PUBLIC_URL: &str = "https://tracker.example.org";

/// The demo data set on a server that knows its public address.
pub async fn spawn_public_app(backend: Backend) -> TestApp {
    let app = spawn_app_with(backend, |c| c.public_url = Some(PUBLIC_URL.to_string())).await;
    {
        let mut conn = app.conn();
        campaign_tracker::demo::load(&mut conn).unwrap_or_else(|e| panic!("demo::load failed: {e:?}"));
    }
    app
}

/// A shipment of 100 posters and 40 fliers from the Caracas depot to a school, dispatched today.
pub async fn dispatched_to_a_point(app: &TestApp, b: &Browser) -> (i64, i64) {
    let (poster, flier) = (app.material_id("POSTER"), app.material_id("FLIER"));
    let origin = app.location_id("DEP-CCS");
    let destination = some_destination(app, Some(app.region_id("VE-S")));
    receipt_ok(app, b, poster, origin, 1000).await;
    receipt_ok(app, b, flier, origin, 500).await;
    let id = shipment_ok(app, b, origin, destination, &[(poster, 100), (flier, 40)], "draft").await;
    assert_eq!(dispatch(app, b, id, &day(0)).await.assert_see_other(), format!("/shipments/{id}"));
    (id, destination)
}

/// Decodes the waybill's QR code: its SVG's dark squares drawn into a bitmap, read by `rqrr`.
pub fn decode_qr(page: &Page) -> String {
    let body = &page.body;
    let at = body.find("<svg").unwrap_or_else(|| panic!("no QR code on the page\n{}", page.describe()));
    let svg = &body[at..at + body[at..].find("</svg>").expect("a closed <svg>")];
    let number = |name: &str| -> usize {
        let start = svg.find(&format!(" {name}=\"")).expect("svg size") + name.len() + 3;
        svg[start..].split('"').next().and_then(|n| n.parse().ok()).expect("a number")
    };
    let (width, height) = (number("width"), number("height"));
    let path = svg.split(" d=\"").nth(1).expect("a path of dark modules").split('"').next().expect("a path");
    let mut dark = vec![false; width * height];
    // Each dark run is "M{left} {top}h{width}v{height}H{left}V{top}".
    for run in path.split('M').filter(|r| !r.is_empty()) {
        let numbers: Vec<usize> = run
            .split(|c: char| !c.is_ascii_digit())
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().expect("a number"))
            .collect();
        let (left, top, w, h) = (numbers[0], numbers[1], numbers[2], numbers[3]);
        for y in top..top + h {
            for x in left..left + w {
                dark[y * width + x] = true;
            }
        }
    }
    let mut image =
        rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| if dark[y * width + x] { 0 } else { 255 });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code");
    grids[0].decode().expect("a readable QR code").1
}

/// The short code printed on a page.
pub fn short_code(page: &Page) -> String {
    page.text(".short-code").unwrap_or_else(|| panic!("no short code\n{}", page.describe()))
}

async fn a_dispatched_note_carries_a_code_that_reprints_the_same(backend: Backend) {
    let app = spawn_public_app(backend).await;
    let clerk = app.browser(LOGISTICS.0, LOGISTICS.1).await;
    let (id, _) = dispatched_to_a_point(&app, &clerk).await;

    let waybill = app.get(&clerk.client, &format!("/shipments/{id}/waybill")).await;
    waybill.assert_status(200);
    let link = decode_qr(&waybill);
    let token = link.strip_prefix(&format!("{PUBLIC_URL}/c/")).unwrap_or_else(|| panic!("QR code carries {link}"));
    assert!(token.len() >= 32 && token.bytes().all(|b| b.is_ascii_hexdigit()), "a 128-bit token: {token}");
    assert!(waybill.body.contains(&link), "the link is printed beside the QR code");
    let short = short_code(&waybill);
    assert!(campaign_tracker::domain::ShortCode::parse(&short).is_some(), "short code {short} passes its check");
    assert!(collapse(&waybill.body).contains(&format!("{PUBLIC_URL}/confirm")));

    // Only digests are stored: neither the token nor anything that gives it.
    let stored = app.strings(&format!("SELECT token_digest AS s FROM delivery_codes WHERE shipment_id = {id}"));
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].contains(token));

    // A reprint shows the same code, and so does the shipment page's short code.
    let again = app.get(&clerk.client, &format!("/shipments/{id}/waybill")).await;
    assert_eq!(decode_qr(&again), link);
    let page = app.get(&clerk.client, &format!("/shipments/{id}")).await;
    assert_eq!(short_code(&page), short);

    // A new code voids the old: the note is printed again with another link.
    let key = page.input_value("submission_key").expect("a key");
    let issued = app
        .post_raw(&clerk.client, &format!("/shipments/{id}/code"), &[("submission_key", &key)], Some(&clerk.token), &[])
        .await;
    assert_eq!(issued.assert_see_other(), format!("/shipments/{id}/waybill"));
    let reprinted = app.get(&clerk.client, &format!("/shipments/{id}/waybill")).await;
    let new_link = decode_qr(&reprinted);
    assert_ne!(new_link, link);
    assert_ne!(short_code(&reprinted), short);
    let live =
        app.scalar(&format!("SELECT COUNT(*) FROM delivery_codes WHERE shipment_id = {id} AND voided_at IS NULL"));
    assert_eq!(live, 1, "one live code");
    // The same form posted again (Back, reload) issues nothing more.
    let replay = app
        .post_raw(&clerk.client, &format!("/shipments/{id}/code"), &[("submission_key", &key)], Some(&clerk.token), &[])
        .await;
    replay.assert_see_other();
    assert!(app.get(&clerk.client, &format!("/shipments/{id}/waybill")).await.body.contains(&new_link));
    assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM delivery_codes WHERE shipment_id = {id}")), 2);

    // A viewer reads the note but issues nothing; staff of another region see no such shipment.
    let viewer = app.browser(VIEWER.0, VIEWER.1).await;
    let page = app
        .post_raw(
            &viewer.client,
            &format!("/shipments/{id}/code"),
            &[("submission_key", &submission_key())],
            Some(&viewer.token),
            &[],
        )
        .await;
    page.assert_status(403);
    // A transfer between depots gets no code to confirm with.
    let poster = app.material_id("POSTER");
    let transfer =
        shipment_ok(&app, &clerk, app.location_id("DEP-CCS"), app.location_id("DEP-MER"), &[(poster, 10)], "draft")
            .await;
    dispatch(&app, &clerk, transfer, &day(0)).await.assert_see_other();
    assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM delivery_codes WHERE shipment_id = {transfer}")), 0);
    let note = app.get(&clerk.client, &format!("/shipments/{transfer}/waybill")).await;
    assert!(!note.has(".recipient-code"), "{}", note.describe());

    // "Save and dispatch" at once issues a code as well.
    let at_once =
        shipment_ok(&app, &clerk, app.location_id("DEP-CCS"), some_destination(&app, None), &[(poster, 5)], "dispatch")
            .await;
    assert_eq!(
        app.scalar(&format!("SELECT COUNT(*) FROM delivery_codes WHERE shipment_id = {at_once} AND voided_at IS NULL")),
        1
    );

    // Cancelling the shipment voids its code.
    let cancel = post_once(&app, &clerk, &format!("/shipments/{id}/cancel"), &vec![f("reason", "wrong school")]).await;
    cancel.assert_see_other();
    assert_eq!(
        app.scalar(&format!("SELECT COUNT(*) FROM delivery_codes WHERE shipment_id = {id} AND voided_at IS NULL")),
        0
    );
}

async fn a_code_needs_the_public_address(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let clerk = app.browser(LOGISTICS.0, LOGISTICS.1).await;
    let (id, _) = dispatched_to_a_point(&app, &clerk).await;
    let waybill = app.get(&clerk.client, &format!("/shipments/{id}/waybill")).await;
    waybill.assert_status(200);
    assert!(!waybill.body.contains("<svg"), "no QR code pointing at the clerk's own address");
    assert!(collapse(&waybill.body).contains("PUBLIC_URL"), "{}", waybill.describe());
}

async fn a_days_notes_print_together(backend: Backend) {
    let app = spawn_public_app(backend).await;
    let clerk = app.browser(LOGISTICS.0, LOGISTICS.1).await;
    let (first, _) = dispatched_to_a_point(&app, &clerk).await;
    let (second, _) = dispatched_to_a_point(&app, &clerk).await;
    let depot = app.location_id("DEP-CCS");
    let page = app.get(&clerk.client, &format!("/shipments/waybills?origin={depot}&on={}", day(0))).await;
    page.assert_status(200);
    assert_eq!(page.texts("article.waybill").len(), 2, "{}", page.describe());
    assert_eq!(page.texts(".recipient-code").len(), 2, "each note carries its own code");
    for id in [first, second] {
        let reference = app.strings(&format!("SELECT reference AS s FROM shipments WHERE id = {id}")).remove(0);
        assert!(page.body.contains(&reference));
        // The same code as the note printed alone.
        let alone = app.get(&clerk.client, &format!("/shipments/{id}/waybill")).await;
        let link = decode_qr(&alone);
        assert!(page.body.contains(&link), "{link}");
    }
    // Another day: none. A place that is not a depot: refused, with the form.
    let page = app.get(&clerk.client, &format!("/shipments/waybills?origin={depot}&on={}", day(-3))).await;
    page.assert_status(200);
    assert!(page.texts("article.waybill").is_empty());
    let point = some_destination(&app, None);
    app.get(&clerk.client, &format!("/shipments/waybills?origin={point}")).await.assert_status(422);
    app.get(&clerk.client, &format!("/shipments/waybills?origin={depot}&on=yesterday")).await.assert_status(422);
    // Without a depot, the form alone.
    let page = app.get(&clerk.client, "/shipments/waybills").await;
    page.assert_status(200);
    assert!(page.has("select[name=\"origin\"]"));
}
