//! Exports: the distribution CSV checked against the shipment lines with independent SQL, its
//! Excel flavour, formula neutralization, XLSX equal to CSV, filters, access and the command line;
//! then every other kind (receipts, airings, targets, stock, ledger, coverage) against independent
//! SQL over the demo, reversals left out, region limits, bad filters and the pages' links.

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
    distributions_end_with_origin_and_external_ref,
    receipts_export_leaves_out_reversed_receipts,
    airings_export_has_net_airings_only,
    targets_stock_and_ledger_match_the_tables,
    coverage_export_matches_the_dashboard,
    new_kinds_respect_regions,
    bad_filters_are_refused_with_a_page,
    pages_link_their_exports,
    command_line_exports_every_kind,
    dated_rows_come_in_date_order,
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
    // The header row stays in view and carries filter buttons over every column.
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.clone())).expect("a zip archive");
    let mut sheet = String::new();
    std::io::Read::read_to_string(&mut archive.by_name("xl/worksheets/sheet1.xml").expect("the sheet"), &mut sheet)
        .expect("sheet xml");
    assert!(sheet.contains(r#"ySplit="1""#) && sheet.contains(r#"state="frozen""#), "frozen header row");
    let last = (b'A' + (csv_rows[0].len() - 1) as u8) as char;
    assert!(sheet.contains(&format!(r#"<autoFilter ref="A1:{last}{}"/>"#, csv_rows.len())), "autofilter over the data");
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

// ---- every other kind ----

use crate::stock::{f, post_once, receipt, receipt_ok};

/// The demo with its history at scale 2 (written in bulk, so quick to load, and with more ledger
/// rows than one export chunk), allocation plan and broadcast airings.
async fn with_everything(backend: Backend) -> TestApp {
    let app = spawn_demo_app(backend).await;
    {
        let mut conn = app.conn();
        campaign_tracker::demo::history::load_history(&mut conn, 2, &mut |_, _| {}).expect("history");
        campaign_tracker::demo::targets::load_targets(&mut conn).expect("targets");
        campaign_tracker::demo::airings::load_airings(&mut conn).expect("airings");
    }
    app
}

/// Independent SQL rows as the CSV writes them: every expression as text, NULL as empty, joined
/// with `|` (compare with `joined`).
fn sql_rows(app: &TestApp, exprs: &[&str], rest: &str) -> Vec<String> {
    let text: Vec<String> = exprs.iter().map(|e| format!("COALESCE(CAST(({e}) AS TEXT), '')")).collect();
    app.strings(&format!("SELECT {} AS s {rest}", text.join(" || '|' || ")))
}

fn joined(rows: &[Vec<String>]) -> Vec<String> {
    rows.iter().map(|r| r.join("|")).collect()
}

/// A CSV export that must succeed, as records (header first).
pub async fn export_rows(app: &TestApp, client: &reqwest::Client, path: &str) -> Vec<Vec<String>> {
    let page = app.get(client, path).await;
    assert_eq!(page.status, 200, "{path}: {}", page.text(".export-refused").unwrap_or_default());
    assert_eq!(page.header("content-type").as_deref(), Some("text/csv; charset=utf-8"), "{path}");
    records(&page.body, b',')
}

/// The rows of the first sheet of an XLSX export, as the CSV writes them.
async fn xlsx_rows(app: &TestApp, client: &reqwest::Client, path: &str, sheet: &str) -> Vec<Vec<String>> {
    use calamine::Reader;
    let (status, _, bytes) = download(app, client, path).await;
    assert_eq!(status, 200, "{path}");
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).expect("an xlsx file");
    let range = book.worksheet_range(sheet).unwrap_or_else(|e| panic!("sheet {sheet}: {e}"));
    range.rows().map(|r| r.iter().map(cell_text).collect()).collect()
}

fn column(rows: &[Vec<String>], name: &str) -> usize {
    rows[0].iter().position(|c| c == name).unwrap_or_else(|| panic!("no column {name} in {:?}", rows[0]))
}

const RECEIPTS_SQL: &str =
    "FROM receipts r JOIN materials m ON m.id = r.material_id JOIN locations l ON l.id = r.location_id \
     LEFT JOIN regions g ON g.id = l.region_id LEFT JOIN users u ON u.id = r.recorded_by \
     WHERE NOT EXISTS (SELECT 1 FROM stock_movements x WHERE x.receipt_id = r.id AND x.reverses_id IS NOT NULL)";
const RECEIPT_EXPRS: [&str; 11] = [
    "r.received_on",
    "m.code",
    "l.code",
    "r.quantity",
    "r.supplier",
    "r.reference",
    "r.external_ref",
    "m.name_en",
    "l.name",
    "g.code",
    "u.username",
];

const AIRINGS_SQL: &str =
    "FROM airings a JOIN materials m ON m.id = a.material_id JOIN locations l ON l.id = a.location_id \
     LEFT JOIN regions g ON g.id = l.region_id LEFT JOIN users u ON u.id = a.recorded_by \
     WHERE a.reverses_id IS NULL AND a.id NOT IN (SELECT c.reverses_id FROM airings c WHERE c.reverses_id IS NOT NULL)";
const AIRING_EXPRS: [&str; 11] = [
    "a.aired_on",
    "m.code",
    "l.code",
    "a.times",
    "a.time_slot",
    "a.programme",
    "a.external_ref",
    "m.name_en",
    "l.name",
    "g.code",
    "u.username",
];

const LEDGER_SQL: &str = "FROM stock_movements x JOIN materials m ON m.id = x.material_id \
     LEFT JOIN locations fl ON fl.id = x.from_location_id LEFT JOIN locations tl ON tl.id = x.to_location_id \
     LEFT JOIN shipments s ON s.id = x.shipment_id LEFT JOIN users u ON u.id = x.recorded_by";
const LEDGER_EXPRS: [&str; 14] = [
    "x.id",
    "x.effective_on",
    "x.kind",
    "m.code",
    "fl.code",
    "tl.code",
    "x.quantity",
    "x.reverses_id",
    "s.reference",
    "x.receipt_id",
    "x.adjustment_id",
    "x.reason",
    "u.username",
    "SUBSTR(CAST(x.recorded_at AS TEXT), 1, 19)",
];

async fn distributions_end_with_origin_and_external_ref(backend: Backend) {
    let app = with_everything(backend).await;
    app.exec(&format!("UPDATE shipments SET external_ref = 'EXT-42' WHERE id = (SELECT MIN(s.id) {DELIVERED})"));
    let client = app.signed_in(VIEWER.0, VIEWER.1).await;
    let rows = export_rows(&app, &client, "/export/distributions.csv").await;
    assert_eq!(rows[0], campaign_tracker::exchange::export::DISTRIBUTION_COLUMNS);
    assert_eq!(&rows[0][12..17], ["location_code", "quantity_sent", "origin_code", "external_ref", "shortfall_reason"]);
    let expected = sql_rows(
        &app,
        &["s.reference", "sl.quantity", "o.code", "s.external_ref", "sl.shortfall_reason"],
        &format!(
            "{} ORDER BY s.delivered_on, sl.id",
            DELIVERED.replace(" WHERE ", " JOIN locations o ON o.id = s.origin_id WHERE ")
        ),
    );
    let got: Vec<String> =
        rows[1..].iter().map(|r| [&r[1], &r[13], &r[14], &r[15], &r[16]].map(|c| c.as_str()).join("|")).collect();
    // The demo delivers some shipments short: their reasons come out.
    assert!(rows[1..].iter().any(|r| !r[16].is_empty()), "a shortfall reason");
    assert_eq!(got, expected);
    let tagged = app.scalar(&format!("SELECT COUNT(*) {DELIVERED} AND s.external_ref = 'EXT-42'"));
    assert!(tagged > 0);
    assert_eq!(rows[1..].iter().filter(|r| r[15] == "EXT-42").count() as i64, tagged);
    assert!(rows[1..].iter().all(|r| r[15] == "EXT-42" || r[15].is_empty()), "empty when there is none");
    let depots = app.strings("SELECT code AS s FROM locations WHERE is_depot = TRUE");
    assert!(rows[1..].iter().all(|r| depots.contains(&r[14])), "shipments leave from depots");
    // Staff recorded every demo delivery: no recipient confirmed any.
    assert_eq!(&rows[0][17..], ["confirmed_by_recipient", "confirmer_name", "confirmer_role", "confirmed_at"]);
    assert!(rows[1..].iter().all(|r| r[17] == "false" && r[18..].iter().all(String::is_empty)));
}

async fn receipts_export_leaves_out_reversed_receipts(backend: Backend) {
    let app = with_everything(backend).await;
    let b = app.browser(LOGISTICS.0, LOGISTICS.1).await;
    let (poster, ccs) = (app.material_id("POSTER"), app.location_id("DEP-CCS"));
    let kept = receipt_ok(&app, &b, poster, ccs, 120).await;
    let gone = receipt_ok(&app, &b, poster, ccs, 77).await;
    let reversed = post_once(&app, &b, &format!("/receipts/{gone}/reverse"), &vec![f("reason", "entered twice")]).await;
    reversed.assert_see_other();
    assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM stock_movements WHERE receipt_id = {gone}")), 2);

    let client = app.signed_in(VIEWER.0, VIEWER.1).await;
    let rows = export_rows(&app, &client, "/export/receipts.csv").await;
    assert_eq!(
        rows[0],
        [
            "received_on",
            "material_code",
            "location_code",
            "quantity",
            "supplier",
            "reference",
            "external_ref",
            "material_name",
            "location_name",
            "region_code",
            "recorded_by"
        ]
    );
    assert_eq!(
        joined(&rows[1..]),
        sql_rows(&app, &RECEIPT_EXPRS, &format!("{RECEIPTS_SQL} ORDER BY r.received_on, r.id"))
    );
    assert_eq!(rows.len() as i64 - 1, app.count("receipts") - 1, "all but the reversed one");
    assert!(rows[1..].iter().any(|r| r[3] == "120" && r[10] == "logistics"), "the new receipt, with who recorded it");
    assert!(!rows[1..].iter().any(|r| r[3] == "77"), "the reversed receipt is left out");
    let _ = kept;

    // Filters: today's receipts of one material.
    let today = day(0);
    let rows = export_rows(&app, &client, &format!("/export/receipts.csv?material=POSTER&from={today}")).await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!((rows[1][0].as_str(), rows[1][1].as_str(), rows[1][2].as_str()), (today.as_str(), "POSTER", "DEP-CCS"));
}

fn airing_fields(material: i64, location: i64, times: i64, aired_on: &str) -> crate::stock::Fields {
    vec![
        f("material_id", material),
        f("location_id", location),
        f("aired_on", aired_on),
        f("times", times),
        f("time_slot", "20:00–21:00"),
        f("programme", "Noticiero estelar"),
    ]
}

async fn airings_export_has_net_airings_only(backend: Backend) {
    let app = with_everything(backend).await;
    let b = app.browser(LOGISTICS.0, LOGISTICS.1).await;
    let (spot, globo) = (app.material_id("SPOT"), app.location_id("MED-GLOBO"));
    let page = post_once(&app, &b, "/airings/new", &airing_fields(spot, globo, 7, &day(-3))).await;
    let new = id_in(&page.assert_see_other(), "/airings/").expect("airing id");
    let demo = app.scalar(&format!("SELECT MIN(a.id) {AIRINGS_SQL}"));
    let net_before = app.scalar(&format!("SELECT COUNT(*) {AIRINGS_SQL}"));
    for id in [new, demo] {
        let page = post_once(&app, &b, &format!("/airings/{id}/reverse"), &vec![f("reason", "wrong channel")]).await;
        page.assert_see_other();
    }
    let client = app.signed_in(VIEWER.0, VIEWER.1).await;
    let rows = export_rows(&app, &client, "/export/airings.csv").await;
    assert_eq!(
        rows[0],
        [
            "aired_on",
            "material_code",
            "location_code",
            "times",
            "time_slot",
            "programme",
            "external_ref",
            "material_name",
            "location_name",
            "region_code",
            "recorded_by"
        ]
    );
    assert!(rows.len() > 10, "the demo schedule is exported");
    assert_eq!(joined(&rows[1..]), sql_rows(&app, &AIRING_EXPRS, &format!("{AIRINGS_SQL} ORDER BY a.aired_on, a.id")));
    assert_eq!(rows.len() as i64 - 1, net_before - 2, "neither the two corrected airings nor their corrections");
    assert!(!rows[1..].iter().any(|r| r[2] == "MED-GLOBO" && r[3] == "7"), "the reversed airing is left out");

    // The same rows in Excel.
    assert_eq!(xlsx_rows(&app, &client, "/export/airings.xlsx", "airings").await, rows);

    // The list's own filters: spot, outlet, ownership.
    let narrowed = export_rows(&app, &client, &format!("/export/airings.csv?spot={spot}&ownership=state")).await;
    let expected =
        app.scalar(&format!("SELECT COUNT(*) {AIRINGS_SQL} AND a.material_id = {spot} AND l.ownership = 'state'"));
    assert_eq!(narrowed.len() as i64 - 1, expected);
    assert!(narrowed[1..].iter().all(|r| r[1] == "SPOT"));
    let vtv = app.location_id("MED-VTV");
    let outlet = export_rows(&app, &client, &format!("/export/airings.csv?outlet={vtv}")).await;
    assert_eq!(
        outlet.len() as i64 - 1,
        app.scalar(&format!("SELECT COUNT(*) {AIRINGS_SQL} AND a.location_id = {vtv}"))
    );
    assert!(outlet[1..].iter().all(|r| r[2] == "MED-VTV"));
}

async fn targets_stock_and_ledger_match_the_tables(backend: Backend) {
    let app = with_everything(backend).await;
    let client = app.signed_in(VIEWER.0, VIEWER.1).await;

    let targets = export_rows(&app, &client, "/export/targets.csv").await;
    assert_eq!(
        targets[0],
        [
            "material_code",
            "region_code",
            "location_type",
            "quantity",
            "material_name",
            "region_name",
            "location_type_name"
        ]
    );
    let from_targets = "FROM targets t JOIN materials m ON m.id = t.material_id JOIN regions g ON g.id = t.region_id \
         JOIN location_types lt ON lt.id = t.location_type_id ORDER BY t.id";
    let exprs = ["m.code", "g.code", "lt.code", "t.quantity", "m.name_en", "g.name_en", "lt.name_en"];
    assert!(targets.len() > 10, "the demo plan is exported");
    assert_eq!(joined(&targets[1..]), sql_rows(&app, &exprs, from_targets));
    let es = app.get_with(&client, "/export/targets.csv", &[("Accept-Language", "es")]).await;
    let es_rows = records(&es.body, b',');
    let exprs_es = ["m.code", "g.code", "lt.code", "t.quantity", "m.name_es", "g.name_es", "lt.name_es"];
    assert_eq!(joined(&es_rows[1..]), sql_rows(&app, &exprs_es, from_targets), "type names in the language");

    let stock = export_rows(&app, &client, "/export/stock.csv").await;
    assert_eq!(
        stock[0],
        ["material_code", "material_name", "location_code", "location_name", "location_type", "region_code", "on_hand"]
    );
    let from_stock = "FROM stock_balances b JOIN materials m ON m.id = b.material_id JOIN locations l ON l.id = b.location_id \
         JOIN location_types lt ON lt.id = l.location_type_id LEFT JOIN regions g ON g.id = l.region_id WHERE b.on_hand > 0";
    let exprs = ["m.code", "m.name_en", "l.code", "l.name", "lt.code", "g.code", "b.on_hand"];
    assert_eq!(joined(&stock[1..]), sql_rows(&app, &exprs, &format!("{from_stock} ORDER BY b.id")));
    let held: i64 = stock[1..].iter().map(|r| r[6].parse::<i64>().expect("on_hand")).sum();
    assert_eq!(held, app.scalar("SELECT CAST(SUM(on_hand) AS BIGINT) FROM stock_balances"), "every unit held");
    let depots = export_rows(&app, &client, "/export/stock.csv?depots=1&material=POSTER").await;
    assert!(depots.len() > 1);
    assert_eq!(
        depots.len() as i64 - 1,
        app.scalar(&format!("SELECT COUNT(*) {from_stock} AND l.is_depot = TRUE AND m.code = 'POSTER'"))
    );

    let ledger = export_rows(&app, &client, "/export/ledger.csv").await;
    assert_eq!(
        ledger[0],
        [
            "id",
            "effective_on",
            "kind",
            "material_code",
            "from_location_code",
            "to_location_code",
            "quantity",
            "reverses_id",
            "shipment_reference",
            "receipt_id",
            "adjustment_id",
            "reason",
            "recorded_by",
            "recorded_at"
        ]
    );
    assert!(
        ledger.len() as i64 - 1 > campaign_tracker::exchange::export::CHUNK,
        "more than one chunk: {}",
        ledger.len()
    );
    assert_eq!(
        joined(&ledger[1..]),
        sql_rows(&app, &LEDGER_EXPRS, &format!("{LEDGER_SQL} ORDER BY x.effective_on, x.id"))
    );

    // A material's ledger at one place and in a range, as the ledger page asks for it.
    let (poster, ccs) = (app.material_id("POSTER"), app.location_id("DEP-CCS"));
    let path = format!("/export/ledger.csv?material={poster}&location={ccs}&from=2005-03-01&to=2005-09-30");
    let narrowed = export_rows(&app, &client, &path).await;
    let expected = sql_rows(
        &app,
        &LEDGER_EXPRS,
        &format!(
            "{LEDGER_SQL} WHERE x.material_id = {poster} AND (x.from_location_id = {ccs} OR x.to_location_id = {ccs}) \
             AND x.effective_on BETWEEN '2005-03-01' AND '2005-09-30' ORDER BY x.effective_on, x.id"
        ),
    );
    assert!(!expected.is_empty());
    assert_eq!(joined(&narrowed[1..]), expected);
}

/// Sums per "region|type" from independent SQL (columns `s` and `n`).
fn per_cell(app: &TestApp, sql: &str) -> std::collections::BTreeMap<String, i64> {
    crate::helpers::string_numbers(&mut app.conn(), sql).into_iter().collect()
}

async fn coverage_export_matches_the_dashboard(backend: Backend) {
    let app = with_everything(backend).await;
    let client = app.signed_in(MANAGER.0, MANAGER.1).await;
    let dashboard = app.get(&client, "/dashboard").await;
    let links = dashboard.attrs("a[download]", "href");
    let link = links.iter().find(|h| h.starts_with("/export/coverage.csv?")).expect("a coverage link").clone();
    assert!(
        links.iter().filter(|h| h.starts_with("/export/coverage.")).count() >= 6,
        "map, heat table and reach: {links:?}"
    );
    let material = query_param(&link, "material").expect("material");
    let (from, to) = (query_param(&link, "from").expect("from"), query_param(&link, "to").expect("to"));

    let rows = export_rows(&app, &client, &link).await;
    assert_eq!(
        rows[0],
        [
            "region_code",
            "region_name",
            "location_type",
            "location_type_name",
            "distributed",
            "target",
            "percent_of_target",
            "places_reached",
            "places_registered"
        ]
    );
    let n = |s: &str| s.parse::<i64>().unwrap_or_else(|_| panic!("{s:?} is a number"));
    let mut got = std::collections::BTreeMap::new();
    for r in &rows[1..] {
        let (distributed, target) = (n(&r[4]), n(&r[5]));
        let percent = (target > 0).then(|| ((distributed as f64) * 100.0 / target as f64).round() as i64);
        assert_eq!(r[6], percent.map(|p| p.to_string()).unwrap_or_default(), "{r:?}");
        got.insert(format!("{}|{}", r[0], r[2]), (distributed, target, n(&r[7]), n(&r[8])));
    }
    let cell = "g.code || '|' || lt.code AS s";
    let types = "JOIN location_types lt ON lt.id = l.location_type_id JOIN regions g ON g.id = l.region_id";
    let point = "lt.is_depot = FALSE AND lt.code <> 'transit' AND l.is_depot = FALSE";
    let distributed = per_cell(
        &app,
        &format!(
            "SELECT {cell}, CAST(SUM(CASE WHEN x.reverses_id IS NULL THEN x.quantity ELSE -x.quantity END) AS BIGINT) AS n \
             FROM stock_movements x JOIN locations l ON l.id = CASE WHEN x.reverses_id IS NULL THEN x.to_location_id ELSE x.from_location_id END \
             {types} WHERE x.kind = 'delivery' AND {point} AND x.material_id = {material} \
             AND x.effective_on BETWEEN '{from}' AND '{to}' GROUP BY g.code, lt.code"
        ),
    );
    let target = per_cell(
        &app,
        &format!(
            "SELECT {cell}, CAST(SUM(t.quantity) AS BIGINT) AS n FROM targets t JOIN regions g ON g.id = t.region_id \
             JOIN location_types lt ON lt.id = t.location_type_id WHERE t.material_id = {material} \
             AND lt.is_depot = FALSE AND lt.code <> 'transit' GROUP BY g.code, lt.code"
        ),
    );
    let reached = per_cell(
        &app,
        &format!(
            "SELECT {cell}, CAST(COUNT(*) AS BIGINT) AS n FROM stock_balances b JOIN locations l ON l.id = b.location_id \
             {types} WHERE b.material_id = {material} AND b.on_hand > 0 AND {point} GROUP BY g.code, lt.code"
        ),
    );
    let registered = per_cell(
        &app,
        &format!(
            "SELECT {cell}, CAST(COUNT(*) AS BIGINT) AS n FROM locations l {types} \
             WHERE l.is_active = TRUE AND {point} GROUP BY g.code, lt.code"
        ),
    );
    let mut expected = std::collections::BTreeMap::new();
    for key in distributed.keys().chain(target.keys()).chain(reached.keys()).chain(registered.keys()) {
        let get = |m: &std::collections::BTreeMap<String, i64>| m.get(key).copied().unwrap_or(0);
        let figures = (get(&distributed), get(&target), get(&reached), get(&registered));
        if figures != (0, 0, 0, 0) {
            expected.insert(key.clone(), figures);
        }
    }
    assert!(distributed.values().sum::<i64>() > 0, "something was distributed");
    assert_eq!(got, expected);

    // The same export narrowed to one region, and in Excel.
    let region = format!("{link}&region=VE-A");
    let one = export_rows(&app, &client, &region).await;
    assert!(one.len() > 1 && one[1..].iter().all(|r| r[0] == "VE-A"));
    let xlsx = link.replacen("coverage.csv", "coverage.xlsx", 1);
    let sheet = xlsx_rows(&app, &client, &xlsx, "coverage").await;
    assert_eq!(sheet.len(), rows.len());
    assert_eq!(sheet[0], rows[0]);
}

async fn new_kinds_respect_regions(backend: Backend) {
    let app = with_everything(backend).await;
    // The demo's receipts all arrive in VE-A: one elsewhere too.
    let b = app.browser(LOGISTICS.0, LOGISTICS.1).await;
    receipt_ok(&app, &b, app.material_id("POSTER"), app.location_id("DEP-ANZ"), 10).await;
    let admin = app.signed_in(ADMIN.0, ADMIN.1).await;
    app.exec(
        "INSERT INTO user_regions (user_id, region_id) SELECT u.id, r.id FROM users u, regions r \
         WHERE u.username = 'logistics' AND r.code = 'VE-A'",
    );
    let limited = app.signed_in(LOGISTICS.0, LOGISTICS.1).await;
    for kind in ["receipts", "airings", "targets", "stock", "coverage"] {
        let all = export_rows(&app, &admin, &format!("/export/{kind}.csv")).await;
        let mine = export_rows(&app, &limited, &format!("/export/{kind}.csv")).await;
        let col = column(&all, "region_code");
        let theirs: Vec<&Vec<String>> = all[1..].iter().filter(|r| r[col] == "VE-A").collect();
        assert!(!theirs.is_empty(), "{kind}: the demo has rows in VE-A");
        assert!(theirs.len() < all.len() - 1, "{kind}: and elsewhere");
        assert_eq!(mine[1..].iter().collect::<Vec<_>>(), theirs, "{kind}: exactly the rows of their region");
        let elsewhere = export_rows(&app, &limited, &format!("/export/{kind}.csv?region=VE-B")).await;
        assert_eq!(elsewhere.len(), 1, "{kind}: another region's filter gives nothing");
    }
    let ledger = export_rows(&app, &limited, "/export/ledger.csv").await;
    let in_region = "(SELECT l.id FROM locations l JOIN regions g ON g.id = l.region_id WHERE g.code = 'VE-A')";
    let expected = app.scalar(&format!(
        "SELECT COUNT(*) FROM stock_movements WHERE from_location_id IN {in_region} OR to_location_id IN {in_region}"
    ));
    assert!(expected > 0 && expected < app.count("stock_movements"));
    assert_eq!(ledger.len() as i64 - 1, expected, "movements touching their region");
}

async fn bad_filters_are_refused_with_a_page(backend: Backend) {
    let app = with_everything(backend).await;
    let client = app.signed_in(VIEWER.0, VIEWER.1).await;
    for (path, message) in [
        ("/export/receipts.csv?material=NOPE", "Unknown material: NOPE"),
        ("/export/receipts.xlsx?from=2005-02-30", "Not a date (use YYYY-MM-DD): 2005-02-30"),
        ("/export/airings.csv?ownership=public", "Unknown ownership (use state or private): public"),
        ("/export/airings.csv?spot=NOPE", "Unknown material: NOPE"),
        ("/export/airings.xlsx?outlet=999999", "Unknown place: 999999"),
        ("/export/targets.xlsx?region=NOPE", "Unknown region: NOPE"),
        ("/export/stock.csv?type=NOPE", "Unknown location type: NOPE"),
        ("/export/stock.csv?location=NOWHERE", "Unknown place: NOWHERE"),
        ("/export/ledger.csv?to=tomorrow", "Not a date (use YYYY-MM-DD): tomorrow"),
        ("/export/ledger.xlsx?location=NOWHERE", "Unknown place: NOWHERE"),
        ("/export/coverage.csv?campaign=NOPE", "Unknown campaign: NOPE"),
        ("/export/coverage.xlsx?material=NOPE", "Unknown material: NOPE"),
    ] {
        let page = app.get(&client, path).await;
        assert_eq!(page.status, 400, "{path}: {}", page.describe());
        assert!(page.header("content-type").unwrap_or_default().starts_with("text/html"), "{path}");
        assert_eq!(page.text(".export-refused").as_deref(), Some(message), "{path}");
    }
    let es = app.get_with(&client, "/export/airings.csv?ownership=public", &[("Accept-Language", "es")]).await;
    es.assert_status(400);
    assert_eq!(es.text(".export-refused").as_deref(), Some("Propiedad desconocida (use state o private): public"));
}

async fn pages_link_their_exports(backend: Backend) {
    let app = with_everything(backend).await;
    let client = app.signed_in(VIEWER.0, VIEWER.1).await;
    let (poster, ccs, spot) = (app.material_id("POSTER"), app.location_id("DEP-CCS"), app.material_id("SPOT"));
    for (page, link) in [
        ("/receipts".to_string(), "/export/receipts.csv".to_string()),
        (format!("/stock?material={poster}&depots=1"), format!("/export/stock.csv?material={poster}&depots=1")),
        (format!("/stock/locations/{ccs}"), format!("/export/stock.csv?location={ccs}")),
        (format!("/stock/materials/{poster}"), format!("/export/ledger.csv?material={poster}")),
        (
            format!("/stock/materials/{poster}?location={ccs}"),
            format!("/export/ledger.csv?material={poster}&location={ccs}"),
        ),
        (format!("/airings?spot={spot}"), format!("/export/airings.csv?spot={spot}")),
        (format!("/targets?material={poster}"), format!("/export/targets.csv?material={poster}")),
    ] {
        let shown = app.get(&client, &page).await;
        shown.assert_status(200);
        let hrefs = shown.attrs("a[download]", "href");
        assert!(hrefs.contains(&link), "{page} links {link}: {hrefs:?}");
        let excel = link.replacen(".csv", ".xlsx", 1);
        assert!(hrefs.contains(&excel), "{page} links {excel}: {hrefs:?}");
        export_rows(&app, &client, &link).await;
    }
    let held = export_rows(&app, &client, &format!("/export/stock.csv?location={ccs}")).await;
    assert!(held.len() > 1 && held[1..].iter().all(|r| r[2] == "DEP-CCS"));
    let plan = export_rows(&app, &client, &format!("/export/targets.csv?material={poster}")).await;
    assert_eq!(
        plan.len() as i64 - 1,
        app.scalar(&format!("SELECT COUNT(*) FROM targets WHERE material_id = {poster}"))
    );
    assert!(plan[1..].iter().all(|r| r[0] == "POSTER"));
    let depots = export_rows(&app, &client, &format!("/export/stock.csv?material={poster}&depots=1")).await;
    let depot_codes = app.strings("SELECT code AS s FROM locations WHERE is_depot = TRUE");
    assert!(depots.len() > 1 && depots[1..].iter().all(|r| r[0] == "POSTER" && depot_codes.contains(&r[2])));
    // The stock page and its download are one query: the same places, and the same refusal.
    let page = app.get(&client, &format!("/stock?material={poster}&depots=1")).await;
    let mut listed: Vec<i64> = page.linked_ids("/stock/locations/");
    listed.dedup();
    let mut exported: Vec<i64> = depots[1..].iter().map(|r| app.location_id(&r[2])).collect();
    exported.sort();
    listed.sort();
    assert_eq!(listed, exported, "the page's depots are the download's");
    same_refusal(&app, &client, "/stock?dest=everywhere", "/export/stock.csv?dest=everywhere").await;

    // The airing list and its download too: the download's own filters narrow the list's rows.
    let all = export_rows(&app, &client, "/export/airings.csv").await;
    let outlets_type = app.strings(
        "SELECT DISTINCT lt.code AS s FROM airings a JOIN locations l ON l.id = a.location_id \
         JOIN location_types lt ON lt.id = l.location_type_id",
    );
    assert_eq!(outlets_type.len(), 1, "the demo's outlets are of one type: {outlets_type:?}");
    let by_type =
        export_rows(&app, &client, &format!("/export/airings.csv?type={}&campaign=VE-TIP-2005", outlets_type[0])).await;
    assert!(all.len() > 1);
    assert_eq!(by_type, all, "every outlet is of that type, every spot of the one campaign");
    let none = export_rows(&app, &client, "/export/airings.csv?type=school").await;
    assert_eq!(none.len(), 1, "no school airs a spot: {none:?}");
    same_refusal(&app, &client, "/airings?type=NOPE", "/export/airings.csv?type=NOPE").await;
}

/// A filter the page refuses (422, the message above its form) the download refuses too (400),
/// in the same words.
async fn same_refusal(app: &TestApp, client: &reqwest::Client, page: &str, download: &str) {
    let refused = app.get(client, page).await;
    refused.assert_status(422);
    let message = refused.text(".form-error").unwrap_or_else(|| panic!("no message\n{}", refused.describe()));
    let file = app.get(client, download).await;
    file.assert_status(400);
    assert_eq!(file.text(".export-refused"), Some(message), "{page} and {download}");
}

async fn command_line_exports_every_kind(backend: Backend) {
    let app = with_everything(backend).await;
    let bin = env!("CARGO_BIN_EXE_campaign-tracker");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(bin)
            .args(args)
            .env("DATABASE_URL", &app.database_url)
            .env("RUST_LOG", "error")
            .output()
            .expect("run the binary");
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    let admin = app.signed_in(ADMIN.0, ADMIN.1).await;
    for kind in ["receipts", "airings", "targets", "stock", "ledger", "coverage"] {
        let cli = records(&String::from_utf8(run(&["export", kind])).expect("utf-8"), b',');
        let web = export_rows(&app, &admin, &format!("/export/{kind}.csv")).await;
        assert!(cli.len() > 1, "{kind}");
        assert_eq!(cli, web, "{kind}: the command line gives the download's rows");
    }
    let cli = records(&String::from_utf8(run(&["export", "stock", "--origin", "DEP-CCS"])).expect("utf-8"), b',');
    assert_eq!(cli, export_rows(&app, &admin, "/export/stock.csv?location=DEP-CCS").await);

    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("targets.xlsx");
    run(&["export", "targets", "--format", "xlsx", "--output", file.to_str().expect("path")]);
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&file).expect("an xlsx file");
    use calamine::Reader;
    let range = book.worksheet_range("targets").expect("the targets sheet");
    let rows: Vec<Vec<String>> = range.rows().map(|r| r.iter().map(cell_text).collect()).collect();
    assert_eq!(rows, export_rows(&app, &admin, "/export/targets.csv").await);

    let out = std::process::Command::new(bin)
        .args(["export", "everything"])
        .env("DATABASE_URL", &app.database_url)
        .output()
        .expect("run the binary");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("coverage"), "the error lists every kind: {stderr}");
}

/// Receipts, distributions, airings and ledger movements come in date order, whatever order they
/// were recorded in: a receipt backdated today sits among its date's rows, and a ledger longer
/// than one chunk loses and repeats nothing across chunks that end inside a day.
async fn dated_rows_come_in_date_order(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    {
        let mut conn = app.conn();
        campaign_tracker::demo::history::load_history(&mut conn, 3, &mut |_, _| {}).expect("history");
        campaign_tracker::demo::airings::load_airings(&mut conn).expect("airings");
    }
    let b = app.browser(LOGISTICS.0, LOGISTICS.1).await;
    let (poster, ccs) = (app.material_id("POSTER"), app.location_id("DEP-CCS"));
    let first_day = app.strings("SELECT CAST(MIN(received_on) AS TEXT) AS s FROM receipts").remove(0);
    let backdated = receipt(&app, &b, poster, ccs, "321", &first_day).await;
    backdated.assert_see_other();

    let client = app.signed_in(VIEWER.0, VIEWER.1).await;
    let receipts = export_rows(&app, &client, "/export/receipts.csv").await;
    let on_first_day: Vec<&Vec<String>> = receipts[1..].iter().take_while(|r| r[0] == first_day).collect();
    assert!(
        on_first_day.iter().any(|r| r[3] == "321"),
        "the receipt recorded last but dated {first_day} comes with that day's rows"
    );
    for (path, date_column) in [
        ("/export/receipts.csv", "received_on"),
        ("/export/distributions.csv", "delivered_on"),
        ("/export/airings.csv", "aired_on"),
        ("/export/ledger.csv", "effective_on"),
    ] {
        let rows = export_rows(&app, &client, path).await;
        let at = column(&rows, date_column);
        let dates: Vec<&str> = rows[1..].iter().map(|r| r[at].as_str()).collect();
        assert!(dates.len() > 10, "{path} has rows");
        assert!(dates.windows(2).all(|w| w[0] <= w[1]), "{path} is in {date_column} order");
    }
    let ledger = export_rows(&app, &client, "/export/ledger.csv").await;
    let movements = app.count("stock_movements");
    assert!(movements > 5000, "the ledger spans more than one chunk ({movements})");
    let ids: std::collections::BTreeSet<&str> = ledger[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(ledger.len() as i64 - 1, movements, "every movement once");
    assert_eq!(ids.len() as i64, movements, "no movement twice");
}
