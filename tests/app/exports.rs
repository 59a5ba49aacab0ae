//! Exports: the distribution CSV checked against the shipment lines with independent SQL, its
//! Excel flavour, formula neutralization, XLSX equal to CSV, filters, access and the command line.

use crate::helpers::*;

both_backends!(
    distributions_csv_matches_the_shipment_lines,
    excel_flavour_has_a_bom_and_the_language_separator,
    formulas_are_neutralized_and_numbers_are_not,
    xlsx_has_the_same_rows_as_the_csv,
    filters_narrow_the_rows,
    exports_need_a_sign_in_and_respect_regions,
    command_line_exports_the_same_rows,
    shipments_export_uses_the_list_filters,
);

const HEADER: [&str; 12] = [
    "delivered_on",
    "shipment_reference",
    "material_code",
    "material_name",
    "quantity",
    "location_name",
    "location_type",
    "region_code",
    "region_name",
    "city",
    "country",
    "recorded_by",
];

/// Delivered lines with units received, to places that are not depots.
const DELIVERED: &str = "FROM shipment_lines sl JOIN shipments s ON s.id = sl.shipment_id \
     JOIN locations l ON l.id = s.destination_id JOIN materials m ON m.id = sl.material_id \
     WHERE s.status = 'delivered' AND l.is_depot = FALSE AND sl.quantity_received > 0";

async fn with_history(backend: Backend) -> TestApp {
    let app = spawn_demo_app(backend).await;
    {
        let mut conn = app.conn();
        campaign_tracker::demo::history::load_history(&mut conn, 1, &mut |_, _| {}).expect("history");
    }
    app
}

/// The records of a CSV body, header first.
fn records(body: &str, delimiter: u8) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).delimiter(delimiter).from_reader(body.as_bytes());
    reader.records().map(|r| r.expect("csv record").iter().map(String::from).collect()).collect()
}

async fn download(app: &TestApp, client: &reqwest::Client, path: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let response = client.get(app.url(path)).send().await.unwrap_or_else(|e| panic!("GET {path}: {e}"));
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.bytes().await.expect("body").to_vec())
}

fn sum_quantity(rows: &[Vec<String>]) -> i64 {
    rows.iter().map(|r| r[4].parse::<i64>().unwrap_or_else(|_| panic!("quantity {:?} is a number", r[4]))).sum()
}

async fn distributions_csv_matches_the_shipment_lines(backend: Backend) {
    let app = with_history(backend).await;
    let client = app.signed_in(VIEWER.0, VIEWER.1).await;
    let page = app.get(&client, "/export/distributions.csv").await;
    page.assert_status(200);
    assert_eq!(page.header("content-type").as_deref(), Some("text/csv; charset=utf-8"));
    let disposition = page.header("content-disposition").unwrap_or_default();
    let today = chrono::Utc::now().date_naive().format("%Y-%m-%d").to_string();
    assert!(disposition.starts_with("attachment; filename=\""), "{disposition}");
    assert!(disposition.ends_with(&format!("-distributions-{today}.csv\"")), "{disposition}");
    assert!(!page.body.starts_with('\u{feff}'), "the plain CSV has no BOM");

    let rows = records(&page.body, b',');
    assert_eq!(&rows[0][..12], &HEADER[..], "the canonical columns come first");
    let data = &rows[1..];
    assert!(data.len() > 100, "the demo history has distributions");
    assert_eq!(data.len() as i64, app.scalar(&format!("SELECT COUNT(*) {DELIVERED}")));
    assert_eq!(
        sum_quantity(data),
        app.scalar(&format!("SELECT CAST(COALESCE(SUM(sl.quantity_received), 0) AS BIGINT) {DELIVERED}"))
    );
    for row in data {
        assert!(chrono::NaiveDate::parse_from_str(&row[0], "%Y-%m-%d").is_ok(), "ISO date: {row:?}");
        assert_eq!(row.len(), rows[0].len());
    }
    let types = app.strings("SELECT code AS s FROM location_types WHERE is_depot = FALSE");
    assert!(data.iter().all(|r| types.contains(&r[6])), "only distribution points, by type code");
    let recorded = app.scalar(&format!(
        "SELECT COUNT(*) {DELIVERED} AND EXISTS (SELECT 1 FROM shipment_events e JOIN users u ON u.id = e.user_id \
         WHERE e.shipment_id = s.id AND e.status = 'delivered')"
    ));
    assert_eq!(
        data.iter().filter(|r| !r[11].is_empty()).count() as i64,
        recorded,
        "recorded_by from the delivery event"
    );
}

async fn excel_flavour_has_a_bom_and_the_language_separator(backend: Backend) {
    let app = with_history(backend).await;
    let client = app.signed_in(MANAGER.0, MANAGER.1).await;
    let es = app.get_with(&client, "/export/distributions.csv?excel=1", &[("Accept-Language", "es")]).await;
    es.assert_status(200);
    let body = es.body.strip_prefix('\u{feff}').expect("a UTF-8 BOM first");
    assert!(body.starts_with("delivered_on;shipment_reference;"), "{}", &body[..60]);
    let es_rows = records(body, b';');
    assert_eq!(&es_rows[0][..12], &HEADER[..]);

    let en = app.get_with(&client, "/export/distributions.csv?excel=1", &[("Accept-Language", "en")]).await;
    let body = en.body.strip_prefix('\u{feff}').expect("a UTF-8 BOM first");
    assert!(body.starts_with("delivered_on,shipment_reference,"));
    assert_eq!(records(body, b',').len(), es_rows.len(), "the same rows in either flavour");
}

async fn formulas_are_neutralized_and_numbers_are_not(backend: Backend) {
    let app = with_history(backend).await;
    let name = "=HYPERLINK(\"http://x\",\"y\")";
    app.exec(&format!(
        "INSERT INTO locations (code, name, location_type_id, region_id, city, country, contact, is_depot, is_active, created_at, updated_at) \
         SELECT 'EVIL-1', {}, t.id, (SELECT MIN(id) FROM regions), '-Caracas', 'VE', '@me', FALSE, TRUE, '2026-01-01 00:00:00', '2026-01-01 00:00:00' \
         FROM location_types t WHERE t.is_depot = FALSE ORDER BY t.id LIMIT 1",
        lit(name)
    ));
    let client = app.signed_in(LOGISTICS.0, LOGISTICS.1).await;
    let page = app.get(&client, "/export/locations.csv?q=EVIL&status=all").await;
    page.assert_status(200);
    let rows = records(&page.body, b',');
    assert_eq!(rows[0][..4], ["code", "name", "location_type", "location_type_name"]);
    assert_eq!(rows.len(), 2, "{}", page.body);
    assert_eq!(rows[1][1], format!("'{name}"));
    assert_eq!(rows[1][6], "'-Caracas");
    assert_eq!(rows[1][9], "'@me");
    assert_eq!(rows[1][10], "false");

    let all = records(&app.get(&client, "/export/locations.csv?status=all").await.body, b',');
    assert_eq!(all.len() as i64 - 1, app.count("locations"));

    let data = records(&app.get(&client, "/export/distributions.csv").await.body, b',');
    assert!(data[1..].iter().all(|r| r[4].parse::<i64>().is_ok_and(|n| n > 0)), "quantities stay plain numbers");
}

/// A calamine cell as the CSV writes it.
fn cell_text(cell: &calamine::Data) -> String {
    match cell {
        calamine::Data::String(s) => s.clone(),
        calamine::Data::Int(n) => n.to_string(),
        calamine::Data::Float(f) => format!("{}", *f as i64),
        calamine::Data::Bool(b) => b.to_string(),
        calamine::Data::DateTime(d) => {
            let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).expect("epoch");
            (epoch + chrono::Duration::days(d.as_f64() as i64)).format("%Y-%m-%d").to_string()
        }
        calamine::Data::Empty => String::new(),
        other => format!("{other:?}"),
    }
}

async fn xlsx_has_the_same_rows_as_the_csv(backend: Backend) {
    use calamine::Reader;
    let app = with_history(backend).await;
    let client = app.signed_in(ADMIN.0, ADMIN.1).await;
    let (status, headers, csv_bytes) = download(&app, &client, "/export/distributions.csv").await;
    assert_eq!(status, 200);
    assert!(headers.get("content-disposition").is_some());
    let csv_rows = records(&String::from_utf8(csv_bytes).expect("utf-8"), b',');

    let (status, headers, bytes) = download(&app, &client, "/export/distributions.xlsx").await;
    assert_eq!(status, 200);
    assert_eq!(
        headers.get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    );
    let disposition = headers.get("content-disposition").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(disposition.contains("-distributions-") && disposition.ends_with(".xlsx\""), "{disposition}");
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).expect("an xlsx file");
    let range = book.worksheet_range("distributions").expect("the distributions sheet");
    let xlsx_rows: Vec<Vec<String>> = range.rows().map(|r| r.iter().map(cell_text).collect()).collect();
    assert_eq!(xlsx_rows.len(), csv_rows.len());
    assert_eq!(xlsx_rows, csv_rows, "the same cells in both formats");
}

async fn filters_narrow_the_rows(backend: Backend) {
    let app = with_history(backend).await;
    let client = app.signed_in(VIEWER.0, VIEWER.1).await;
    let all = records(&app.get(&client, "/export/distributions.csv").await.body, b',');
    let material = all[1][2].clone();
    let (from, to) = ("2005-06-01", "2005-12-31");
    let encoded: String = url::form_urlencoded::byte_serialize(material.as_bytes()).collect();
    let path = format!("/export/distributions.csv?material={encoded}&from={from}&to={to}");
    let page = app.get(&client, &path).await;
    assert_eq!(page.status, 200, "{path}: {}", page.text(".export-refused").unwrap_or_default());
    let rows = records(&page.body, b',');
    let data = &rows[1..];
    assert!(!data.is_empty() && data.len() < all.len() - 1, "narrower: {} of {}", data.len(), all.len() - 1);
    assert!(data.iter().all(|r| r[2] == material && r[0].as_str() >= from && r[0].as_str() <= to));
    let expected = app.scalar(&format!(
        "SELECT COUNT(*) {DELIVERED} AND m.code = {} AND s.delivered_on BETWEEN '{from}' AND '{to}'",
        lit(&material)
    ));
    assert_eq!(data.len() as i64, expected);

    // The page's selects send ids: the same rows.
    let id = app.scalar(&format!("SELECT id FROM materials WHERE code = {}", lit(&material)));
    let by_id = app.get(&client, &format!("/export/distributions.csv?material={id}&from={from}&to={to}")).await;
    assert_eq!(records(&by_id.body, b','), rows);

    let region = data[0][7].clone();
    let by_region = records(
        &app.get(
            &client,
            &format!(
                "/export/distributions.csv?region={}",
                url::form_urlencoded::byte_serialize(region.as_bytes()).collect::<String>()
            ),
        )
        .await
        .body,
        b',',
    );
    assert!(by_region.len() > 1 && by_region[1..].iter().all(|r| r[7] == region));

    let bad = app.get(&client, "/export/distributions.csv?material=NOPE").await;
    bad.assert_status(400);
    assert_eq!(bad.text(".export-refused").as_deref(), Some("Unknown material: NOPE"));
    app.get(&client, "/export/distributions.csv?from=yesterday").await.assert_status(400);
    app.get(&client, "/export/nothing.csv").await.assert_status(404);
    app.get(&client, "/export/distributions.pdf").await.assert_status(404);

    let dashboard = app.get(&client, "/dashboard").await;
    assert!(dashboard
        .attrs("a[download]", "href")
        .iter()
        .any(|h| h.starts_with("/export/distributions.csv?campaign=")));
    let locations = app.get(&client, "/locations").await;
    assert!(locations.attrs("a[download]", "href").iter().any(|h| h.starts_with("/export/locations.xlsx")));
}

async fn exports_need_a_sign_in_and_respect_regions(backend: Backend) {
    let app = with_history(backend).await;
    for path in ["/export/distributions.csv", "/export/locations.xlsx"] {
        app.get(&client(), path).await.assert_to_login();
    }
    let all = records(&app.get(&app.signed_in(ADMIN.0, ADMIN.1).await, "/export/distributions.csv").await.body, b',');
    let region = all[1][7].clone();
    app.exec(&format!(
        "INSERT INTO user_regions (user_id, region_id) SELECT u.id, r.id FROM users u, regions r \
         WHERE u.username = 'logistics' AND r.code = {}",
        lit(&region)
    ));
    let client = app.signed_in(LOGISTICS.0, LOGISTICS.1).await;
    let mine = records(&app.get(&client, "/export/distributions.csv").await.body, b',');
    assert!(mine.len() > 1 && mine.len() < all.len());
    assert!(mine[1..].iter().all(|r| r[7] == region), "a region-limited user gets only their regions");
}

async fn command_line_exports_the_same_rows(backend: Backend) {
    let app = with_history(backend).await;
    let bin = env!("CARGO_BIN_EXE_campaign-tracker");
    let run = |args: &[&str]| {
        std::process::Command::new(bin)
            .args(args)
            .env("DATABASE_URL", &app.database_url)
            .env("RUST_LOG", "error")
            .output()
            .expect("run the binary")
    };
    let out = run(&["export", "distributions", "--from", "2005-01-01", "--to", "2006-12-31"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows = records(&String::from_utf8(out.stdout).expect("utf-8"), b',');
    assert_eq!(&rows[0][..12], &HEADER[..]);
    let web = records(&app.get(&app.signed_in(ADMIN.0, ADMIN.1).await, "/export/distributions.csv").await.body, b',');
    assert_eq!(rows, web);

    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("d.xlsx");
    let out = run(&["export", "distributions", "--format", "xlsx", "--output", file.to_str().expect("path")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(std::fs::metadata(&file).expect("xlsx written").len() > 1000);

    for (args, expected) in [
        (&["export", "distributions", "--format", "xlsx"][..], "needs --output"),
        (&["export", "everything"][..], "unknown export"),
        (&["export", "distributions", "--material", "NOPE"][..], "Unknown material: NOPE"),
        (&["export", "distributions", "--from", "2005-13-01"][..], "Not a date"),
        (&["export", "distributions", "--format", "pdf"][..], "unknown format"),
    ] {
        let out = run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} must fail");
        assert!(stderr.contains(expected) && stderr.trim().lines().count() == 1, "{args:?}: {stderr}");
    }
}

async fn shipments_export_uses_the_list_filters(backend: Backend) {
    let app = with_history(backend).await;
    let client = app.signed_in(VIEWER.0, VIEWER.1).await;
    let all = records(&app.get(&client, "/export/shipments.csv").await.body, b',');
    assert_eq!(all[0][..3], ["reference", "status", "origin_code"]);
    assert_eq!(all.len() as i64 - 1, app.count("shipments"));
    let units: i64 = all[1..].iter().map(|r| r[12].parse::<i64>().expect("units")).sum();
    assert_eq!(units, app.scalar("SELECT CAST(COALESCE(SUM(quantity), 0) AS BIGINT) FROM shipment_lines"));

    // The dashboard's drill-down to the shipment list, exported.
    let material = app.scalar("SELECT MIN(material_id) FROM shipment_lines");
    let query = format!("status=delivered&dest=points&material={material}&from=2005-01-01&to=2005-12-31");
    let list = app.get(&client, &format!("/shipments?{query}")).await;
    list.assert_status(200);
    let links = list.attrs("a[download]", "href");
    let csv_link = links.iter().find(|h| h.starts_with("/export/shipments.csv?")).expect("a CSV link on the list");
    assert!(csv_link.contains(&format!("material={material}")), "{csv_link}");
    let page = app.get(&client, csv_link).await;
    page.assert_status(200);
    let rows = records(&page.body, b',');
    let expected = app.scalar(&format!(
        "SELECT COUNT(*) FROM shipments s JOIN locations d ON d.id = s.destination_id \
         WHERE s.status = 'delivered' AND d.is_depot = FALSE AND s.delivered_on BETWEEN '2005-01-01' AND '2005-12-31' \
         AND EXISTS (SELECT 1 FROM shipment_lines sl WHERE sl.shipment_id = s.id AND sl.material_id = {material})"
    ));
    assert!(expected > 0);
    assert_eq!(rows.len() as i64 - 1, expected);
    assert!(rows[1..].iter().all(|r| r[1] == "delivered"));
    app.get(&client, "/export/shipments.csv?status=lost").await.assert_status(400);
}
