//! The lists people read most: the receipt list's filters (and the dashboard's link into them),
//! a material's ledger opening on its newest movements, and the shipment list's dates and units
//! per material.

use crate::helpers::*;
use crate::stock::{f, post_once, receipt_fields, shipment_fields, stock_up, Fields};

both_backends!(the_ledger_opens_on_the_newest_movements, the_shipment_list_shows_dates_and_units_per_material,);

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
    assert!(next.contains(&format!("location={ccs}")) && next.contains("page=2"), "{next}");
    let second = app.get(&b.client, &next).await;
    second.assert_status(200);
    let older = ledger_lines(&second);
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
