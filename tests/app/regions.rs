//! A region-limited user sees only their regions' operational records and figures: every page and
//! export walked as a clerk limited to Lara shows no other region's shipment, receipt, stock,
//! airing, target or coverage, every link on their dashboard opens, and their dashboard's figures
//! are the sums of their own exports.

use crate::hardening::limit_to_region;
use crate::helpers::*;
use std::collections::{BTreeMap, BTreeSet};

both_backends!(a_region_limited_user_sees_only_their_regions);

/// The demo with its history, targets and airings; the logistics clerk limited to Lara (VE-K).
async fn lara_clerk(backend: Backend) -> (TestApp, reqwest::Client) {
    let app = spawn_demo_app(backend).await;
    {
        let mut conn = app.conn();
        campaign_tracker::demo::history::load_history(&mut conn, 1, &mut |_, _| {}).expect("history");
        campaign_tracker::demo::targets::load_targets(&mut conn).expect("targets");
        campaign_tracker::demo::airings::load_airings(&mut conn).expect("airings");
    }
    limit_to_region(&app, LOGISTICS.0, "VE-K");
    let clerk = app.signed_in(LOGISTICS.0, LOGISTICS.1).await;
    (app, clerk)
}

/// A CSV body as maps from column name to value.
fn table(body: &str) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::ReaderBuilder::new().from_reader(body.as_bytes());
    let header: Vec<String> = reader.headers().expect("header").iter().map(String::from).collect();
    reader
        .records()
        .map(|r| header.iter().cloned().zip(r.expect("record").iter().map(String::from)).collect())
        .collect()
}

fn number(text: &str) -> i64 {
    text.trim().replace(',', "").parse().unwrap_or_else(|_| panic!("{text:?} is not a number"))
}

/// Sums `column` per `key` column.
fn sums(rows: &[BTreeMap<String, String>], key: &str, column: &str) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    for row in rows {
        *out.entry(row[key].clone()).or_default() += number(&row[column]);
    }
    out
}

async fn a_region_limited_user_sees_only_their_regions(backend: Backend) {
    let (app, clerk) = lara_clerk(backend).await;
    let lara = app.region_id("VE-K");
    let places: BTreeSet<i64> = app
        .numbers(&format!("SELECT CAST(id AS BIGINT) AS n FROM locations WHERE region_id = {lara}"))
        .into_iter()
        .collect();
    let codes: BTreeSet<String> =
        app.strings(&format!("SELECT code AS s FROM locations WHERE region_id = {lara}")).into_iter().collect();
    let in_lara = format!("(SELECT id FROM locations WHERE region_id = {lara})");
    let shipments: BTreeSet<i64> = app
        .numbers(&format!(
            "SELECT CAST(id AS BIGINT) AS n FROM shipments WHERE origin_id IN {in_lara} OR destination_id IN {in_lara}"
        ))
        .into_iter()
        .collect();
    let receipts: BTreeSet<i64> = app
        .numbers(&format!("SELECT CAST(id AS BIGINT) AS n FROM receipts WHERE location_id IN {in_lara}"))
        .into_iter()
        .collect();
    assert!(!shipments.is_empty() && app.count("shipments") > shipments.len() as i64, "the demo has both kinds");

    // Every page: only Lara's records are linked.
    let poster = app.material_id("POSTER");
    let depot = app.location_id("DEP-LAR");
    for path in [
        "/dashboard".to_string(),
        "/report".into(),
        "/stock".into(),
        "/stock?depots=1".into(),
        "/shipments".into(),
        "/shipments?status=dispatched".into(),
        "/shipments?status=delivered".into(),
        "/receipts".into(),
        "/targets".into(),
        "/airings".into(),
        format!("/stock/materials/{poster}"),
        format!("/stock/locations/{depot}"),
    ] {
        let page = app.get(&clerk, &path).await;
        page.assert_status(200);
        for id in page.linked_ids("/shipments/") {
            assert!(shipments.contains(&id), "{path} links shipment {id} of another region");
        }
        for id in page.linked_ids("/receipts/") {
            assert!(receipts.contains(&id), "{path} links receipt {id} of another region");
        }
        for id in page.linked_ids("/stock/locations/") {
            assert!(places.contains(&id), "{path} links the stock of place {id} of another region");
        }
    }
    // Another region's records are not found.
    let elsewhere = app.scalar(&format!(
        "SELECT MIN(id) FROM shipments WHERE origin_id NOT IN {in_lara} AND destination_id NOT IN {in_lara}"
    ));
    app.get(&clerk, &format!("/shipments/{elsewhere}")).await.assert_status(404);
    let other_depot = app.location_id("DEP-MER");
    app.get(&clerk, &format!("/stock/locations/{other_depot}")).await.assert_status(404);

    // The dashboard: Lara's tile and row only, the plan of Lara only, and every link opens.
    let dashboard = app.get(&clerk, "/dashboard").await;
    assert_eq!(dashboard.count("#coverage-map .tile"), 1, "one tile: Lara's\n{}", dashboard.describe());
    let plan = app.get(&clerk, "/targets").await;
    assert_eq!(plan.texts("tbody th[scope=row]"), ["Lara"], "the plan shows Lara only");
    let mut links: Vec<String> =
        dashboard.attrs("main a[href]", "href").into_iter().filter(|h| h.starts_with('/')).collect();
    links.sort();
    links.dedup();
    for link in &links {
        let status = app.get(&clerk, link).await.status;
        assert_eq!(status, 200, "the dashboard's link {link} opens for the clerk");
    }

    // Every export: Lara's rows only.
    let csv = |path: &'static str| {
        let (app, clerk) = (&app, &clerk);
        async move {
            let page = app.get(clerk, path).await;
            page.assert_status(200);
            table(&page.body)
        }
    };
    let distributions = csv("/export/distributions.csv").await;
    assert!(!distributions.is_empty());
    assert!(distributions.iter().all(|r| r["region_code"] == "VE-K"), "distributions in Lara only");
    for row in csv("/export/shipments.csv").await {
        assert!(codes.contains(&row["origin_code"]) || codes.contains(&row["destination_code"]), "shipment {row:?}");
    }
    for kind in ["receipts", "airings", "stock"] {
        let path: &'static str = Box::leak(format!("/export/{kind}.csv").into_boxed_str());
        for row in csv(path).await {
            assert_eq!(row["region_code"], "VE-K", "{kind}: {row:?}");
        }
    }
    for kind in ["targets", "coverage"] {
        let path: &'static str = Box::leak(format!("/export/{kind}.csv").into_boxed_str());
        let rows = csv(path).await;
        assert!(!rows.is_empty(), "{kind} has Lara's rows");
        assert!(rows.iter().all(|r| r["region_code"] == "VE-K"), "{kind} in Lara only");
    }

    // The dashboard's figures are the sums of the clerk's own exports over the same range.
    let (from, to) = (dashboard.input_value("from").expect("from"), dashboard.input_value("to").expect("to"));
    let range = format!("from={from}&to={to}");
    let name_to_code: BTreeMap<String, String> = app
        .strings("SELECT name_en || '|' || code AS s FROM materials")
        .into_iter()
        .map(|s| {
            let (name, code) = s.split_once('|').expect("name|code");
            (name.to_string(), code.to_string())
        })
        .collect();
    let get = |path: String| {
        let (app, clerk) = (&app, &clerk);
        async move { table(&app.get(clerk, &path).await.body) }
    };
    let received = sums(&get(format!("/export/receipts.csv?{range}")).await, "material_code", "quantity");
    let distributed = sums(&get(format!("/export/distributions.csv?{range}")).await, "material_code", "quantity");
    let in_depots = sums(&get("/export/stock.csv?depots=1".into()).await, "material_code", "on_hand");
    let in_transit: i64 =
        get("/export/shipments.csv?status=dispatched".into()).await.iter().map(|r| number(&r["units"])).sum();
    let aired = sums(&get(format!("/export/airings.csv?{range}")).await, "material_code", "times");
    let mut transit_on_page = 0;
    let mut rows = 0;
    for row in dashboard.html().select(&sel("table.dashboard-materials tbody tr")) {
        let name = collapse(&row.select(&sel("th")).next().expect("name").text().collect::<String>());
        let code = &name_to_code[&name];
        let cell = |col: &str| {
            row.select(&sel(&format!("td[data-col={col}]")))
                .next()
                .map(|td| collapse(&td.text().collect::<String>()))
                .unwrap_or_else(|| panic!("{code}: no {col} cell"))
        };
        let expect = |m: &BTreeMap<String, i64>| m.get(code).copied().unwrap_or(0);
        if row.select(&sel("td[data-col=airings]")).next().is_some() {
            // A broadcast spot: "N airings · M outlets".
            let airings = number(cell("airings").split_whitespace().next().expect("airings"));
            assert_eq!(airings, expect(&aired), "{code}: airings on the dashboard and in the export");
        } else {
            assert_eq!(number(&cell("received")), expect(&received), "{code}: received");
            assert_eq!(number(&cell("in_depots")), expect(&in_depots), "{code}: in depots");
            assert_eq!(number(&cell("distributed")), expect(&distributed), "{code}: distributed");
            transit_on_page += number(&cell("in_transit"));
        }
        rows += 1;
    }
    assert_eq!(rows, 6, "six materials");
    assert_eq!(transit_on_page, in_transit, "in transit to or from Lara");
    // Lara receives by transfer from the central depot, so its own receipts may be none.
    assert!(distributed.values().sum::<i64>() > 0 && in_depots.values().sum::<i64>() > 0, "figures to compare");
}
