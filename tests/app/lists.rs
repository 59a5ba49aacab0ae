//! The lists people read most: the receipt list's filters (and the dashboard's link into them),
//! a material's ledger opening on its newest movements, and the shipment list's dates and units
//! per material.

use crate::helpers::*;
use crate::stock::{f, post_once, receipt_fields, reverse, shipment_fields, stock_up, Fields};
use std::collections::BTreeSet;

both_backends!(
    receipt_filters_narrow_the_list,
    the_dashboard_link_opens_a_filtered_list,
    a_filter_that_cannot_be_used_is_refused_beside_its_field,
    a_region_limited_clerk_filters_only_their_receipts,
    the_ledger_opens_on_the_newest_movements,
    the_shipment_list_shows_dates_and_units_per_material,
    a_shipment_filter_is_refused_alike_by_the_list_and_its_export,
    the_shipment_list_shows_the_first_rows_of_its_export,
);

/// Records a receipt through the form with this supplier and returns its id.
async fn receipt_from(
    app: &TestApp,
    b: &Browser,
    material: i64,
    depot: i64,
    quantity: i64,
    on: &str,
    supplier: &str,
) -> i64 {
    let mut fields: Fields = receipt_fields(material, depot, &quantity.to_string(), on);
    fields.retain(|(k, _)| k != "supplier");
    fields.push(f("supplier", supplier));
    let page = post_once(app, b, "/receipts/new", &fields).await;
    let to = page.assert_see_other();
    id_in(&to, "/receipts/").unwrap_or_else(|| panic!("receipt went to {to}\n{}", page.describe()))
}

/// The receipts a list page shows, in page order.
fn listed(page: &Page) -> Vec<i64> {
    page.attrs("table tbody tr td a[href]", "href").iter().filter_map(|h| id_in(h, "/receipts/")).collect()
}

fn set(ids: &[i64]) -> BTreeSet<i64> {
    ids.iter().copied().collect()
}

/// GET a receipt list that must be shown (200), and the receipts on it.
async fn shown(app: &TestApp, client: &reqwest::Client, path: &str) -> BTreeSet<i64> {
    let page = app.get(client, path).await;
    page.assert_status(200);
    set(&listed(&page))
}

// ---------------------------------------------------------------------------------------------
// Receipts
// ---------------------------------------------------------------------------------------------

async fn receipt_filters_narrow_the_list(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let b = app.browser(LOGISTICS.0, LOGISTICS.1).await;
    let (poster, flier) = (app.material_id("POSTER"), app.material_id("FLIER"));
    let (ccs, anz) = (app.location_id("DEP-CCS"), app.location_id("DEP-ANZ"));
    assert_eq!(app.count("receipts"), 0, "the demo starts without receipts");

    let r1 = receipt_from(&app, &b, poster, ccs, 100, &day(-3), "Imprenta Nacional").await;
    let r2 = receipt_from(&app, &b, flier, ccs, 200, &day(-2), "Gráficas del Sur").await;
    let r3 = receipt_from(&app, &b, poster, anz, 300, &day(0), "IMPRENTA NACIONAL C.A.").await;
    let r4 = receipt_from(&app, &b, poster, anz, 400, &day(-1), "Imprenta Nacional").await;
    reverse(&app, &b, &format!("/receipts/{r4}/reverse"), "typed twice").await.assert_see_other();
    let c = &b.client;

    let all = app.get(c, "/receipts").await;
    all.assert_status(200);
    assert_eq!(listed(&all), vec![r3, r4, r2, r1], "every receipt, newest first");
    for field in ["material", "depot", "from", "to", "supplier", "reversed"] {
        assert!(
            all.has(&format!("form[method=\"get\"] label[for=\"{field}\"]")),
            "a label for {field}\n{}",
            all.describe()
        );
        assert!(all.has(&format!("form[method=\"get\"] [name=\"{field}\"]")), "a {field} filter\n{}", all.describe());
    }
    assert!(all.has(&format!("tr.reversed a[href=\"/receipts/{r4}\"]")), "the reversed receipt is marked");
    let badges = all.texts("tr.reversed .badge");
    assert_eq!(badges, vec!["reversed".to_string()], "and says so, once\n{}", all.describe());

    assert_eq!(shown(&app, c, &format!("/receipts?material={poster}")).await, set(&[r1, r3, r4]));
    assert_eq!(shown(&app, c, &format!("/receipts?material={flier}")).await, set(&[r2]));
    assert_eq!(shown(&app, c, &format!("/receipts?depot={ccs}")).await, set(&[r1, r2]));
    assert_eq!(shown(&app, c, &format!("/receipts?depot={anz}")).await, set(&[r3, r4]));
    assert_eq!(shown(&app, c, &format!("/receipts?from={}", day(-1))).await, set(&[r3, r4]));
    assert_eq!(shown(&app, c, &format!("/receipts?to={}", day(-2))).await, set(&[r1, r2]));
    assert_eq!(shown(&app, c, &format!("/receipts?from={}&to={}", day(-2), day(-1))).await, set(&[r2, r4]));
    assert_eq!(shown(&app, c, &format!("/receipts?from={0}&to={0}", day(-3))).await, set(&[r1]), "one day");
    // Supplier: part of the name, capitals or not.
    assert_eq!(shown(&app, c, "/receipts?supplier=imprenta").await, set(&[r1, r3, r4]));
    assert_eq!(shown(&app, c, "/receipts?supplier=NACIONAL+C.A").await, set(&[r3]));
    assert_eq!(shown(&app, c, "/receipts?supplier=del+sur").await, set(&[r2]));
    assert_eq!(shown(&app, c, "/receipts?supplier=100%25").await, set(&[]), "% is a character, not a wildcard");
    assert_eq!(shown(&app, c, "/receipts?reversed=all").await, set(&[r1, r2, r3, r4]));
    assert_eq!(shown(&app, c, "/receipts?reversed=standing").await, set(&[r1, r2, r3]));
    assert_eq!(shown(&app, c, "/receipts?reversed=reversed").await, set(&[r4]));
    let combined = format!("/receipts?material={poster}&depot={anz}&reversed=standing&supplier=imprenta");
    let page = app.get(c, &combined).await;
    assert_eq!(set(&listed(&page)), set(&[r3]), "filters combine");
    assert_eq!(page.selected("material"), Some(poster.to_string()), "the form keeps the filters");
    assert_eq!(page.selected("depot"), Some(anz.to_string()));
    assert_eq!(page.selected("reversed"), Some("standing".into()));
    assert_eq!(page.input_value("supplier"), Some("imprenta".into()));
    // The download is the list's own filter.
    let csv = page
        .attrs("a[download]", "href")
        .into_iter()
        .find(|h| h.starts_with("/export/receipts.csv"))
        .expect("a CSV link");
    assert!(csv.contains(&format!("depot={anz}")) && csv.contains("supplier=imprenta"), "{csv}");
    let body = app.get(c, &csv).await;
    body.assert_status(200);
    let lines: Vec<&str> = body.body.lines().skip(1).filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "the export has the list's one row: {:?}", body.body);
    assert!(lines[0].contains(",300,") && lines[0].contains("DEP-ANZ"), "{:?}", lines[0]);

    // Pages keep the filters: 55 more posters at Caracas, 50 a page.
    for i in 0..55 {
        receipt_from(&app, &b, poster, ccs, 10 + i, &day(-4), "Lote").await;
    }
    let filter = format!("material={poster}&depot={ccs}");
    let first = app.get(c, &format!("/receipts?{filter}")).await;
    first.assert_status(200);
    assert_eq!(listed(&first).len(), 50);
    let next = first.attr("a[rel=\"next\"]", "href").expect("a next page");
    assert!(next.contains(&format!("material={poster}")) && next.contains(&format!("depot={ccs}")), "{next}");
    assert!(next.contains("after="), "a keyset link: {next}");
    let second = app.get(c, &next).await;
    second.assert_status(200);
    let expected: BTreeSet<i64> = app
        .numbers(&format!(
            "SELECT CAST(id AS BIGINT) AS n FROM receipts WHERE material_id = {poster} AND location_id = {ccs}"
        ))
        .into_iter()
        .collect();
    assert_eq!(expected.len(), 56);
    let both: BTreeSet<i64> = listed(&first).into_iter().chain(listed(&second)).collect();
    assert_eq!(both, expected, "two pages: exactly the filtered receipts");
    let back = second.attr("a[rel=\"prev\"]", "href").expect("a previous page");
    assert!(back.contains(&format!("depot={ccs}")), "{back}");
}

async fn the_dashboard_link_opens_a_filtered_list(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let b = app.browser(LOGISTICS.0, LOGISTICS.1).await;
    let (poster, flier) = (app.material_id("POSTER"), app.material_id("FLIER"));
    let ccs = app.location_id("DEP-CCS");
    let _older = receipt_from(&app, &b, poster, ccs, 100, &day(-20), "Imprenta Nacional").await;
    let recent = receipt_from(&app, &b, poster, ccs, 200, &day(-1), "Imprenta Nacional").await;
    let other = receipt_from(&app, &b, flier, ccs, 300, &day(-1), "Imprenta Nacional").await;

    // The link the dashboard writes, by hand.
    let path = format!("/receipts?material={poster}&from={}&to={}", day(-7), day(0));
    assert_eq!(shown(&app, &b.client, &path).await, set(&[recent]), "{path}");

    // And as the dashboard writes it.
    let manager = app.signed_in(MANAGER.0, MANAGER.1).await;
    let dashboard = app.get(&manager, "/dashboard").await;
    dashboard.assert_status(200);
    let links: Vec<String> = dashboard
        .attrs("a[href]", "href")
        .into_iter()
        .filter(|h| h.starts_with(&format!("/receipts?material={poster}&")))
        .collect();
    assert!(!links.is_empty(), "the dashboard links the poster receipts\n{}", dashboard.describe());
    for link in links {
        let page = app.get(&manager, &link).await;
        page.assert_status(200);
        let ids = set(&listed(&page));
        assert!(!ids.contains(&other), "{link}: fliers are not posters");
        let from = query_param(&link, "from").expect("a from date");
        let to = query_param(&link, "to").expect("a to date");
        let expected: BTreeSet<i64> = app
            .numbers(&format!(
                "SELECT CAST(id AS BIGINT) AS n FROM receipts WHERE material_id = {poster} \
                 AND received_on >= {} AND received_on <= {}",
                lit(&from),
                lit(&to)
            ))
            .into_iter()
            .collect();
        assert_eq!(ids, expected, "{link}");
    }
}

async fn a_filter_that_cannot_be_used_is_refused_beside_its_field(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let b = app.browser(LOGISTICS.0, LOGISTICS.1).await;
    let poster = app.material_id("POSTER");
    let ccs = app.location_id("DEP-CCS");
    let id = receipt_from(&app, &b, poster, ccs, 100, &day(0), "Imprenta Nacional").await;
    let c = &b.client;
    assert_eq!(shown(&app, c, "/receipts").await, set(&[id]));
    let spot = app.material_id("SPOT");
    let field_shop = some_destination_not_depot(&app);

    for (query, field, message) in [
        ("material=99999999".to_string(), "material", "Unknown material: 99999999"),
        ("material=abc".to_string(), "material", "Unknown material: abc"),
        (format!("material={spot}"), "material", "Choose a material from the list."),
        ("depot=99999999".to_string(), "depot", "Unknown place: 99999999"),
        (format!("depot={field_shop}"), "depot", "Choose a depot from the list."),
        ("from=2024-13-01".to_string(), "from", "Not a date (use YYYY-MM-DD): 2024-13-01"),
        ("to=yesterday".to_string(), "to", "Not a date (use YYYY-MM-DD): yesterday"),
        (format!("from={}&to={}", day(0), day(-1)), "to", "“To” cannot be before “From”."),
        ("reversed=maybe".to_string(), "reversed", "Unknown reversal filter (use standing, reversed or all): maybe"),
        (format!("supplier={}", "x".repeat(161)), "supplier", "At most 160 characters."),
    ] {
        let path = format!("/receipts?{query}");
        let page = app.get(c, &path).await;
        assert_eq!(page.status, 422, "{path}\n{}", page.describe());
        assert_eq!(page.field_error(field).as_deref(), Some(message), "{path}\n{}", page.describe());
        assert_eq!(page.attr(&format!("[name=\"{field}\"]"), "aria-invalid").as_deref(), Some("true"), "{path}");
        assert_eq!(page.count("table tbody tr"), 0, "{path}: no rows\n{}", page.describe());
        assert!(listed(&page).is_empty(), "{path}");
        assert!(!page.has("a[download]"), "{path}: nothing to download");
        assert!(page.text(".form-error").is_some(), "{path}: a message at the top");
        // The export with the same filter refuses it with the same words.
        let export = app.get(c, &format!("/export/receipts.csv?{query}")).await;
        assert_eq!(export.status, 400, "export {query}\n{}", export.describe());
        assert_eq!(export.text(".export-refused").as_deref(), Some(message), "export {query}");
    }
    // What was typed stays in the form.
    let page = app.get(c, "/receipts?from=2024-13-01&supplier=Imprenta").await;
    assert_eq!(page.input_value("from").as_deref(), Some("2024-13-01"));
    assert_eq!(page.input_value("supplier").as_deref(), Some("Imprenta"));
    // Several refusals at once, each beside its field.
    let page = app.get(c, "/receipts?material=0&to=x").await;
    assert_eq!(page.status, 422);
    assert!(page.field_error("material").is_some() && page.field_error("to").is_some(), "{}", page.describe());
    // A filter given twice is not guessed at.
    let page = app.get(c, &format!("/receipts?material={poster}&material=0")).await;
    assert_eq!(page.status, 422, "{}", page.describe());
    assert_eq!(page.text(".form-error").as_deref(), Some("These filters could not be read: give each one once."));
    assert_eq!(page.count("table tbody tr"), 0);
    // In Spanish.
    let page = app.get_with(c, "/receipts?material=99999999&from=2024-02-30", &[("Accept-Language", "es")]).await;
    assert_eq!(page.status, 422);
    assert_eq!(page.field_error("material").as_deref(), Some("Material desconocido: 99999999"));
    assert_eq!(page.field_error("from").as_deref(), Some("No es una fecha (use AAAA-MM-DD): 2024-02-30"));
    let page =
        app.get_with(c, &format!("/receipts?from={}&to={}", day(0), day(-1)), &[("Accept-Language", "es")]).await;
    assert_eq!(page.field_error("to").as_deref(), Some("“Hasta” no puede ser anterior a “Desde”."));
    // Not filters: the page number.
    assert_eq!(shown(&app, c, "/receipts?page=abc").await, set(&[id]));
}

fn some_destination_not_depot(app: &TestApp) -> i64 {
    app.scalar("SELECT MIN(id) FROM locations WHERE is_depot = false AND is_active = true")
}

async fn a_region_limited_clerk_filters_only_their_receipts(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let admin = app.browser(ADMIN.0, ADMIN.1).await;
    let poster = app.material_id("POSTER");
    let (ccs, anz) = (app.location_id("DEP-CCS"), app.location_id("DEP-ANZ"));
    let anzoategui = app.region_id("VE-B");
    let at_ccs = receipt_from(&app, &admin, poster, ccs, 100, &day(-1), "Imprenta Nacional").await;
    let at_anz = receipt_from(&app, &admin, poster, anz, 200, &day(-1), "Imprenta Nacional").await;
    let at_anz_too = receipt_from(&app, &admin, poster, anz, 300, &day(0), "Gráficas del Sur").await;

    let (username, password) = app.create_user(campaign_tracker::domain::Role::Logistics);
    let user_id = app.user_id(&username);
    app.send(
        &admin,
        &format!("/users/{user_id}/edit"),
        &[("display_name", "Anzoátegui Logistics"), ("role", "logistics"), ("region_ids", &anzoategui.to_string())],
    )
    .await
    .assert_see_other();
    let clerk = app.signed_in(&username, &password).await;

    let theirs: BTreeSet<i64> = app
        .numbers(&format!(
            "SELECT CAST(r.id AS BIGINT) AS n FROM receipts r JOIN locations l ON l.id = r.location_id \
             WHERE l.region_id = {anzoategui}"
        ))
        .into_iter()
        .collect();
    assert_eq!(theirs, set(&[at_anz, at_anz_too]));
    for query in [
        String::new(),
        format!("material={poster}"),
        format!("material={poster}&from={}&to={}", day(-1), day(0)),
        "supplier=imprenta".to_string(),
        "reversed=standing".to_string(),
        format!("depot={anz}"),
    ] {
        let ids = shown(&app, &clerk, &format!("/receipts?{query}")).await;
        assert!(!ids.contains(&at_ccs), "?{query}: Caracas is not theirs");
        assert!(ids.is_subset(&theirs), "?{query}: {ids:?}");
    }
    assert_eq!(shown(&app, &clerk, "/receipts?supplier=imprenta").await, set(&[at_anz]));
    // The depot filter offers their depots only, and another's is not a choice.
    let page = app.get(&clerk, "/receipts").await;
    let offered: BTreeSet<i64> =
        page.attrs("select[name=\"depot\"] option", "value").iter().filter_map(|v| v.parse().ok()).collect();
    let their_depots: BTreeSet<i64> = app
        .numbers(&format!(
            "SELECT CAST(id AS BIGINT) AS n FROM locations WHERE is_depot = TRUE AND is_active = TRUE AND region_id = {anzoategui}"
        ))
        .into_iter()
        .collect();
    assert_eq!(offered, their_depots);
    assert!(offered.contains(&anz) && !offered.contains(&ccs));
    let page = app.get(&clerk, &format!("/receipts?depot={ccs}")).await;
    assert_eq!(page.status, 422, "{}", page.describe());
    assert_eq!(page.field_error("depot").as_deref(), Some("Choose a depot from the list."));
    assert!(listed(&page).is_empty());
    // Their download is theirs too: another region's depot is refused in the page's words, and
    // without a depot only their receipts come.
    let csv = app.get(&clerk, &format!("/export/receipts.csv?depot={ccs}")).await;
    csv.assert_status(400);
    assert_eq!(csv.text(".export-refused").as_deref(), Some("Choose a depot from the list."));
    let csv = app.get(&clerk, "/export/receipts.csv").await;
    csv.assert_status(200);
    assert_eq!(csv.body.lines().filter(|l| !l.trim().is_empty()).count(), 3, "a header and their two: {}", csv.body);
}

// ---------------------------------------------------------------------------------------------
// The ledger
// ---------------------------------------------------------------------------------------------

fn number_cell(text: &str) -> i64 {
    let digits: String = text.chars().filter(|c| c.is_ascii_digit() || *c == '-').collect();
    digits.parse().unwrap_or_else(|_| panic!("{text:?} is not a number"))
}

/// (receipt id linked, date, change, balance) per ledger line, in page order.
fn ledger_lines(page: &Page) -> Vec<(Option<i64>, String, i64, i64)> {
    let doc = page.html();
    doc.select(&sel("table tbody tr"))
        .map(|row| {
            let cells: Vec<String> =
                row.select(&sel("td")).map(|td| collapse(&td.text().collect::<String>())).collect();
            let receipt =
                row.select(&sel("a[href]")).filter_map(|a| a.value().attr("href")).find_map(|h| id_in(h, "/receipts/"));
            (receipt, cells[0].clone(), number_cell(&cells[5]), number_cell(&cells[6]))
        })
        .collect()
}

async fn the_ledger_opens_on_the_newest_movements(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let b = app.browser(LOGISTICS.0, LOGISTICS.1).await;
    let poster = app.material_id("POSTER");
    let ccs = app.location_id("DEP-CCS");
    assert_eq!(app.ledger_sum(poster, ccs), 0, "Caracas starts without posters");

    // 104 receipts over four days, recorded out of date order; then a loss today.
    let mut recorded: Vec<(String, i64, i64)> = Vec::new();
    for i in 0..104i64 {
        let on = day(-((i * 3) % 4));
        let id = receipt_from(&app, &b, poster, ccs, i + 1, &on, "Imprenta Nacional").await;
        recorded.push((on, id, i + 1));
    }
    let loss = crate::stock::adjust(&app, &b, ccs, poster, "loss", 7, "rain").await.assert_see_other();
    assert!(loss.starts_with("/adjustments/"), "{loss}");
    let total: i64 = recorded.iter().map(|r| r.2).sum::<i64>() - 7;
    assert_eq!(app.on_hand(poster, ccs), total);

    let path = format!("/stock/materials/{poster}?location={ccs}");
    let first = app.get(&b.client, &path).await;
    first.assert_status(200);
    let lines = ledger_lines(&first);
    assert_eq!(lines.len(), 100, "a page of 100");
    assert_eq!((lines[0].0, lines[0].1.as_str(), lines[0].2), (None, day(0).as_str(), -7), "the loss first");
    assert_eq!(lines[0].3, total, "the newest line's balance is what the depot holds");
    // Then the receipts by date, newest first; on one day the last recorded first.
    let mut expected = recorded.clone();
    expected.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
    let shown: Vec<i64> = lines[1..].iter().map(|l| l.0.expect("a receipt line")).collect();
    let wanted: Vec<i64> = expected.iter().take(99).map(|r| r.1).collect();
    assert_eq!(shown, wanted);
    for pair in lines.windows(2) {
        assert!(pair[0].1 >= pair[1].1, "dates go back in time: {pair:?}");
        assert_eq!(pair[1].3, pair[0].3 - pair[0].2, "each balance is the one after it less its change: {pair:?}");
    }

    // Older movements are on the next page, and their balances carry on.
    let next = first.attr("a[rel=\"next\"]", "href").expect("a next page");
    assert!(next.contains(&format!("location={ccs}")) && next.contains("after="), "{next}");
    let second = app.get(&b.client, &next).await;
    second.assert_status(200);
    let older = ledger_lines(&second);
    // The last page holds the oldest hundred, read from the far end with the same balances;
    // "previous" leads back to the first page.
    let last_link = first.attr("a[href*=\"last=1\"]", "href").expect("a last-page link");
    let last_page = app.get(&b.client, &last_link).await;
    last_page.assert_status(200);
    let all: Vec<_> = lines.iter().chain(older.iter()).cloned().collect();
    assert_eq!(ledger_lines(&last_page), all[all.len() - 100..].to_vec(), "the last page read from the oldest end");
    let back = second.attr("a[rel=\"prev\"]", "href").expect("a previous page");
    assert_eq!(ledger_lines(&app.get(&b.client, &back).await), lines, "previous leads back to the first page");
    assert_eq!(older.len(), 5);
    let last = lines.last().expect("a line");
    assert_eq!(older[0].3, last.3 - last.2, "page 2 starts where page 1 left off");
    let oldest: Vec<i64> = older.iter().map(|l| l.0.expect("a receipt line")).collect();
    assert_eq!(oldest, expected.iter().skip(99).map(|r| r.1).collect::<Vec<_>>());
    let very_last = older.last().expect("a line");
    assert_eq!(very_last.3, very_last.2, "the oldest movement's balance is its own change");

    // The whole-system ledger reads the same way.
    let system = app.get(&b.client, &format!("/stock/materials/{poster}")).await;
    let lines = ledger_lines(&system);
    assert_eq!(lines[0].1, day(0));
    assert_eq!(lines[0].3, total, "the system holds what Caracas holds");
}

// ---------------------------------------------------------------------------------------------
// Shipments
// ---------------------------------------------------------------------------------------------

/// The cells of the list row that links shipment `id`, by column heading.
fn shipment_row(page: &Page, id: i64) -> Vec<(String, String)> {
    let doc = page.html();
    let headings: Vec<String> =
        doc.select(&sel("table thead th")).map(|th| collapse(&th.text().collect::<String>())).collect();
    let href = format!("/shipments/{id}");
    let row = doc
        .select(&sel("table tbody tr"))
        .find(|r| r.select(&sel("a[href]")).any(|a| a.value().attr("href") == Some(href.as_str())))
        .unwrap_or_else(|| panic!("no row for shipment {id}\n{}", page.describe()));
    let cells: Vec<String> = row.select(&sel("td")).map(|td| collapse(&td.text().collect::<String>())).collect();
    assert_eq!(cells.len(), headings.len(), "a cell per column");
    headings.into_iter().zip(cells).collect()
}

fn cell<'a>(row: &'a [(String, String)], heading: &str) -> &'a str {
    row.iter()
        .find(|(h, _)| h == heading)
        .map(|(_, c)| c.as_str())
        .unwrap_or_else(|| panic!("no {heading:?} in {row:?}"))
}

/// The units cell's lines, by shipment.
fn unit_lines(page: &Page, id: i64) -> Vec<String> {
    let doc = page.html();
    let href = format!("/shipments/{id}");
    let row = doc
        .select(&sel("table tbody tr"))
        .find(|r| r.select(&sel("a[href]")).any(|a| a.value().attr("href") == Some(href.as_str())))
        .expect("the row");
    row.select(&sel("ul.material-units li")).map(|li| collapse(&li.text().collect::<String>())).collect()
}

async fn the_shipment_list_shows_dates_and_units_per_material(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let b = app.browser(LOGISTICS.0, LOGISTICS.1).await;
    let (poster, flier) = (app.material_id("POSTER"), app.material_id("FLIER"));
    let (ccs, anz) = (app.location_id("DEP-CCS"), app.location_id("DEP-ANZ"));
    stock_up(&app, &b, poster, ccs, 5000).await;
    stock_up(&app, &b, flier, ccs, 5000).await;

    let mut fields = shipment_fields(ccs, anz, &[(poster, "1200"), (flier, "300")]);
    fields.retain(|(k, _)| k != "expected_on");
    fields.push(f("expected_on", day(3)));
    fields.push(f("action", "dispatch"));
    fields.push(f("dispatched_on", day(0)));
    let page = post_once(&app, &b, "/shipments/new", &fields).await;
    let sent = id_in(&page.assert_see_other(), "/shipments/").expect("a shipment");
    let draft = crate::stock::shipment_ok(&app, &b, ccs, anz, &[(flier, 40)], "draft").await;

    let list = app.get(&b.client, "/shipments").await;
    list.assert_status(200);
    let row = shipment_row(&list, sent);
    assert_eq!(cell(&row, "Dispatched on"), day(0));
    assert_eq!(cell(&row, "Expected on"), day(3));
    assert_eq!(cell(&row, "Delivered on"), "—");
    assert_eq!(
        unit_lines(&list, sent),
        vec!["1,200 Posters on the crime of trafficking in persons", "300 Fliers with contact numbers"],
        "units per material, never added together"
    );
    assert!(!cell(&row, "Units").contains("1,500"), "{row:?}");
    let row = shipment_row(&list, draft);
    assert_eq!(cell(&row, "Dispatched on"), "—");
    assert_eq!(cell(&row, "Expected on"), "—");
    assert_eq!(unit_lines(&list, draft), vec!["40 Fliers with contact numbers"]);
    // On a phone the table scrolls in its own box, the reference kept in view.
    assert!(list.has("div.table-wrap[role=\"region\"][tabindex=\"0\"] table.shipment-list"), "{}", list.describe());
    let css = app.get(&b.client, "/static/app.css").await;
    css.assert_status(200);
    let narrow = css.body.rsplit("@media (max-width: 40rem)").next().unwrap_or_default();
    assert!(narrow.contains("table.shipment-list td:first-child") && narrow.contains("position: sticky"), "{narrow}");

    let es = app.get_with(&b.client, "/shipments", &[("Accept-Language", "es")]).await;
    es.assert_status(200);
    let row = shipment_row(&es, sent);
    assert_eq!(cell(&row, "Despachado el"), day(0));
    assert_eq!(cell(&row, "Esperado el"), day(3));
    assert_eq!(
        unit_lines(&es, sent),
        vec!["1.200 Afiches sobre el delito de trata de personas", "300 Volantes con los números de contacto"]
    );
}

// ---------------------------------------------------------------------------------------------
// Shipments: one query type for the list and its export
// ---------------------------------------------------------------------------------------------

/// The shipments a list page shows, in page order.
fn listed_shipments(page: &Page) -> Vec<i64> {
    page.attrs("table tbody tr td a[href]", "href").iter().filter_map(|h| id_in(h, "/shipments/")).collect()
}

async fn a_shipment_filter_is_refused_alike_by_the_list_and_its_export(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let b = app.browser(LOGISTICS.0, LOGISTICS.1).await;
    let (poster, ccs, anz) = (app.material_id("POSTER"), app.location_id("DEP-CCS"), app.location_id("DEP-ANZ"));
    stock_up(&app, &b, poster, ccs, 500).await;
    let sent = crate::stock::shipment_ok(&app, &b, ccs, anz, &[(poster, 10)], "dispatch").await;
    let c = &b.client;
    let list = app.get(c, "/shipments").await;
    list.assert_status(200);
    assert_eq!(listed_shipments(&list), vec![sent]);

    for (query, field, message) in [
        ("status=lost", "status", "Unknown shipment status (use draft, dispatched, delivered or cancelled): lost"),
        ("material=99999999", "material", "Unknown material: 99999999"),
        ("material=NOPE", "material", "Unknown material: NOPE"),
        ("origin=-1", "origin", "Unknown origin: -1"),
        ("region=%00", "region", "Unknown region: \u{FFFD}"),
        ("type=9999999999", "type", "Unknown location type: 9999999999"),
        ("from=2024-13-01", "from", "Not a date (use YYYY-MM-DD): 2024-13-01"),
        ("to=x", "to", "Not a date (use YYYY-MM-DD): x"),
        ("from=2026-02-02&to=2026-02-01", "to", "“To” cannot be before “From”."),
        ("sort=sideways", "sort", "Unknown order (use newest, oldest, reference or status): sideways"),
        ("dest=depots", "dest", "Unknown destination filter (use points): depots"),
    ] {
        let path = format!("/shipments?{query}");
        let page = app.get(c, &path).await;
        assert_eq!(page.status, 422, "{path}\n{}", page.describe());
        assert_eq!(page.field_error(field).as_deref(), Some(message), "{path}\n{}", page.describe());
        assert_eq!(page.attr(&format!("[name=\"{field}\"]"), "aria-invalid").as_deref(), Some("true"), "{path}");
        assert!(listed_shipments(&page).is_empty(), "{path}: no rows");
        assert!(!page.has("a[download]"), "{path}: nothing to download");
        assert!(page.text(".form-error").is_some(), "{path}: a message at the top");
        // The export with the same filter refuses it with the same words.
        let export = app.get(c, &format!("/export/shipments.csv?{query}")).await;
        assert_eq!(export.status, 400, "export {query}\n{}", export.describe());
        assert_eq!(export.text(".export-refused").as_deref(), Some(message), "export {query}");
    }
    // A filter with no field of its own (a campaign from a link) is named at the top.
    let page = app.get(c, "/shipments?campaign=NOPE").await;
    assert_eq!(page.status, 422);
    assert_eq!(page.text(".form-error").as_deref(), Some("Unknown campaign: NOPE"));
    // Several refusals at once, each beside its field; what was typed stays.
    let page = app.get(c, "/shipments?status=lost&from=2024-13-01&q=Caracas").await;
    assert_eq!(page.status, 422);
    assert!(page.field_error("status").is_some() && page.field_error("from").is_some(), "{}", page.describe());
    assert_eq!(page.input_value("from").as_deref(), Some("2024-13-01"));
    assert_eq!(page.input_value("q").as_deref(), Some("Caracas"));
    // A filter given twice is not guessed at.
    let page = app.get(c, "/shipments?status=draft&status=delivered").await;
    assert_eq!(page.status, 422);
    assert_eq!(page.text(".form-error").as_deref(), Some("These filters could not be read: give each one once."));
    // In Spanish, page and export alike.
    let es = [("Accept-Language", "es")];
    let page = app.get_with(c, "/shipments?material=NOPE", &es).await;
    assert_eq!(page.field_error("material").as_deref(), Some("Material desconocido: NOPE"));
    let export = app.get_with(c, "/export/shipments.csv?material=NOPE", &es).await;
    assert_eq!(export.text(".export-refused").as_deref(), Some("Material desconocido: NOPE"));
    // Codes are as good as ids; old page numbers are not filters.
    for path in ["/shipments?material=POSTER&origin=DEP-CCS&status=dispatched", "/shipments?page=-3"] {
        let page = app.get(c, path).await;
        assert_eq!(page.status, 200, "{path}\n{}", page.describe());
        assert_eq!(listed_shipments(&page), vec![sent], "{path}");
    }
}

async fn the_shipment_list_shows_the_first_rows_of_its_export(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let b = app.browser(LOGISTICS.0, LOGISTICS.1).await;
    let (poster, flier) = (app.material_id("POSTER"), app.material_id("FLIER"));
    let (ccs, anz) = (app.location_id("DEP-CCS"), app.location_id("DEP-ANZ"));
    let point = app
        .scalar("SELECT MIN(id) FROM locations WHERE is_depot = false AND is_active = true AND region_id IS NOT NULL");
    stock_up(&app, &b, poster, ccs, 5000).await;
    stock_up(&app, &b, flier, ccs, 5000).await;
    let mut made = Vec::new();
    for (to, material, action) in
        [(anz, poster, "dispatch"), (point, poster, "dispatch"), (point, flier, "draft"), (anz, flier, "dispatch")]
    {
        made.push((to, material, action, crate::stock::shipment_ok(&app, &b, ccs, to, &[(material, 5)], action).await));
    }
    let references = |ids: &[i64]| -> BTreeSet<String> { ids.iter().map(|id| format!("SH-{id:06}")).collect() };
    for query in [
        String::new(),
        format!("material={poster}"),
        "status=dispatched".to_string(),
        "dest=points".to_string(),
        format!("material={flier}&status=dispatched"),
        format!("q=SH-{:06}", made[1].3),
    ] {
        let page = app.get(&b.client, &format!("/shipments?{query}")).await;
        page.assert_status(200);
        let shown = listed_shipments(&page);
        let (status, _, body) = download(&app, &b.client, &format!("/export/shipments.csv?{query}")).await;
        assert_eq!(status, 200, "{query}");
        let body = String::from_utf8(body).expect("utf-8");
        let mut reader = csv::ReaderBuilder::new().from_reader(body.as_bytes());
        let exported: BTreeSet<String> = reader.records().map(|r| r.expect("csv record")[0].to_string()).collect();
        assert_eq!(references(&shown), exported, "{query}: the page shows the export's rows");
        assert!(!shown.is_empty() || query.contains("q="), "{query}: something to compare");
    }
}

async fn download(app: &TestApp, client: &reqwest::Client, path: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let response = client.get(app.url(path)).send().await.unwrap_or_else(|e| panic!("GET {path}: {e}"));
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.bytes().await.expect("body").to_vec())
}
