//! The dashboard and the campaign report: every figure checked against the ledger, computed here
//! independently with raw SQL over `stock_movements` (not the summary table the page reads).

use crate::helpers::*;

both_backends!(
    dashboard_numbers_match_the_ledger,
    summary_table_equals_the_ledger,
    report_writes_the_campaign,
    report_places_reached_are_the_delivered_shipments_places,
    gaps_overdue_and_what_lies_outside_the_range,
    values_that_cannot_be_used_are_refused_beside_their_fields,
);

const FROM: &str = "2005-01-01";
const TO: &str = "2006-12-31";

/// "48,876" → 48876; "—" → None.
fn parse_number(text: &str) -> Option<i64> {
    let digits: String = text.chars().filter(|c| c.is_ascii_digit() || *c == '-').collect();
    digits.parse().ok()
}

async fn load_history(app: &TestApp) {
    let mut conn = app.conn();
    campaign_tracker::demo::history::load_history(&mut conn, 1, &mut |_, _| {}).expect("history");
}

/// Net quantity of `kind` movements of a material, at non-depot places (`points`) or anywhere.
fn ledger_sum(app: &TestApp, material: i64, kind: &str, points_only: bool, extra: &str) -> i64 {
    let depot = if points_only { "AND l.is_depot = FALSE" } else { "" };
    let forward = app.scalar(&format!(
        "SELECT CAST(COALESCE(SUM(m.quantity), 0) AS BIGINT) FROM stock_movements m JOIN locations l ON l.id = COALESCE(m.to_location_id, m.from_location_id) \
         WHERE m.material_id = {material} AND m.kind = '{kind}' AND m.reverses_id IS NULL {depot} \
         AND m.effective_on BETWEEN '{FROM}' AND '{TO}' {extra}"
    ));
    let back = app.scalar(&format!(
        "SELECT CAST(COALESCE(SUM(m.quantity), 0) AS BIGINT) FROM stock_movements m JOIN locations l ON l.id = COALESCE(m.from_location_id, m.to_location_id) \
         WHERE m.material_id = {material} AND m.kind = '{kind}' AND m.reverses_id IS NOT NULL {depot} \
         AND m.effective_on BETWEEN '{FROM}' AND '{TO}' {extra}"
    ));
    forward - back
}

/// Stock held today at places matching `condition`, summed from the movements themselves.
fn held(app: &TestApp, material: i64, condition: &str) -> i64 {
    app.scalar(&format!(
        "SELECT CAST(COALESCE(SUM(delta), 0) AS BIGINT) FROM ( \
           SELECT m.quantity AS delta, m.to_location_id AS place FROM stock_movements m WHERE m.material_id = {material} AND m.to_location_id IS NOT NULL \
           UNION ALL SELECT -m.quantity, m.from_location_id FROM stock_movements m WHERE m.material_id = {material} AND m.from_location_id IS NOT NULL) f \
         JOIN locations l ON l.id = f.place JOIN location_types t ON t.id = l.location_type_id WHERE {condition}"
    ))
}

/// The numbers of a table row whose header cell reads `name`.
fn row_numbers(page: &Page, table: &str, name: &str) -> Vec<Option<i64>> {
    let html = page.html();
    let rows = sel(&format!("{table} tbody tr"));
    let th = sel("th");
    let td = sel("td");
    for row in html.select(&rows) {
        let header = row.select(&th).next().map(|h| collapse(&h.text().collect::<String>())).unwrap_or_default();
        if header == name {
            return row
                .select(&td)
                .map(|c| parse_number(c.text().collect::<String>().split('(').next().unwrap_or("")))
                .collect();
        }
    }
    panic!("no row {name:?} in {table}: {}", page.describe())
}

async fn dashboard_numbers_match_the_ledger(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    load_history(&app).await;
    let poster = app.scalar("SELECT id FROM materials WHERE code = 'POSTER'");
    let poster_name = app.strings("SELECT name_en AS s FROM materials WHERE code = 'POSTER'").remove(0);
    // A plan with a covered cell and a gap: schools in Táchira, hospitals in Amazonas (never served).
    let tachira = app.scalar("SELECT id FROM regions WHERE code = 'VE-S'");
    let amazonas = app.scalar("SELECT id FROM regions WHERE code = 'VE-Z'");
    let school = app.scalar("SELECT id FROM location_types WHERE code = 'school'");
    let hospital = app.scalar("SELECT id FROM location_types WHERE code = 'hospital'");
    app.exec(&format!(
        "INSERT INTO targets (material_id, region_id, location_type_id, quantity, updated_at) VALUES \
         ({poster}, {tachira}, {school}, 5000, '2005-01-01 00:00:00'), ({poster}, {amazonas}, {hospital}, 700, '2005-01-01 00:00:00')"
    ));
    let client = app.signed_in(MANAGER.0, MANAGER.1).await;
    let home = app.get(&client, "/").await;
    assert_eq!(home.location().as_deref(), Some("/dashboard"), "managers start on the dashboard");
    let page = app.get(&client, &format!("/dashboard?material={poster}&from={FROM}&to={TO}")).await;
    page.assert_status(200);

    // Per material: print run, received, in depots, in transit, distributed, lost.
    let cells = row_numbers(&page, "table.dashboard-materials", &poster_name);
    let received = ledger_sum(&app, poster, "receipt", false, "");
    let distributed = ledger_sum(&app, poster, "delivery", true, "");
    let lost = ledger_sum(&app, poster, "shortfall", false, "")
        + ledger_sum(&app, poster, "loss", false, "")
        + ledger_sum(&app, poster, "damage", false, "");
    let in_depots = held(&app, poster, "l.is_depot = TRUE");
    let in_transit = held(&app, poster, "t.code = 'transit'");
    // Key figures first: distributed, its share; then received, lost; stock today; the print run.
    assert_eq!(cells[0], Some(distributed), "distributed");
    assert_eq!(cells[2], Some(received), "received");
    assert_eq!(cells[3], Some(lost), "lost");
    assert_eq!(cells[4], Some(in_depots), "in depots");
    assert_eq!(cells[5], Some(in_transit), "in transit");
    assert_eq!(cells[6], Some(60_000), "print run");
    assert!(distributed > 40_000, "the demo history distributes most posters: {distributed}");

    // The map as a table: Táchira's distributed posters and target.
    let tachira_distributed = ledger_sum(&app, poster, "delivery", true, &format!("AND l.region_id = {tachira}"));
    let region_cells = row_numbers(&page, "#coverage table", "Táchira");
    assert_eq!(region_cells[0], Some(tachira_distributed), "Táchira distributed");
    assert_eq!(region_cells[1], Some(5000), "Táchira target");
    // The tile links to the deliveries behind it, and that list counts them.
    let tile = page
        .attrs("#coverage-map a", "href")
        .into_iter()
        .find(|h| h.contains(&format!("region={tachira}")))
        .expect("a tile for Táchira");
    let list = app.get(&client, &tile).await;
    list.assert_status(200);
    let shipments_behind = app.scalar(&format!(
        "SELECT COUNT(DISTINCT s.id) FROM shipments s JOIN shipment_lines sl ON sl.shipment_id = s.id JOIN locations l ON l.id = s.destination_id \
         WHERE s.status = 'delivered' AND sl.material_id = {poster} AND l.is_depot = FALSE AND l.region_id = {tachira} \
         AND s.delivered_on BETWEEN '{FROM}' AND '{TO}'"
    ));
    let total =
        list.text("nav.pagination p").and_then(|t| parse_number(t.split(' ').next().unwrap_or(""))).expect("a total");
    assert_eq!(total, shipments_behind, "the drill-down lists the shipments behind the tile");

    // Heat table: the Táchira × school cell and the Amazonas × hospital gap.
    let heat_school = ledger_sum(
        &app,
        poster,
        "delivery",
        true,
        &format!("AND l.region_id = {tachira} AND l.location_type_id = {school}"),
    );
    let html = page.text("table.heat").expect("heat table");
    assert!(
        html.contains(&campaign_tracker::i18n::number(campaign_tracker::domain::Lang::En, heat_school)),
        "heat cell {heat_school}"
    );
    let gaps = page.text("#alerts ul.gaps").expect("the gap is listed");
    assert!(gaps.contains("Hospital: 1 region: Amazonas"), "gap line: {gaps}");

    // Reach by type: schools holding posters today out of active schools.
    let reached = app.scalar(&format!(
        "SELECT COUNT(*) FROM (SELECT place FROM ( \
           SELECT m.to_location_id AS place, m.quantity AS delta FROM stock_movements m WHERE m.material_id = {poster} AND m.to_location_id IS NOT NULL \
           UNION ALL SELECT m.from_location_id, -m.quantity FROM stock_movements m WHERE m.material_id = {poster} AND m.from_location_id IS NOT NULL) f \
           JOIN locations l ON l.id = f.place WHERE l.location_type_id = {school} AND l.is_depot = FALSE GROUP BY place HAVING SUM(delta) > 0) r"
    ));
    let registered = app.scalar(&format!("SELECT COUNT(*) FROM locations WHERE location_type_id = {school} AND is_active = TRUE AND region_id IS NOT NULL"));
    let html = page.html();
    let school_row = html
        .select(&sel("section[aria-labelledby=reach-heading] tbody tr"))
        .find(|row| {
            row.select(&sel("th")).next().map(|h| collapse(&h.text().collect::<String>())) == Some("School".into())
        })
        .expect("a reach row for schools");
    let reach_cell =
        school_row.select(&sel("td")).next().map(|c| collapse(&c.text().collect::<String>())).unwrap_or_default();
    assert_eq!(reach_cell, format!("{reached} / {registered}"), "reach of schools");

    // Shipments in transit longer than 14 days: every dispatched demo shipment is years old.
    let late = app.strings("SELECT reference AS s FROM shipments WHERE status = 'dispatched'");
    assert!(!late.is_empty());
    let alerts = page.text("#alerts").expect("alerts");
    for reference in late {
        assert!(alerts.contains(&reference), "{reference} listed as late");
    }
    app.stop().await;
}

async fn summary_table_equals_the_ledger(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    load_history(&app).await;
    let mut conn = app.conn();
    let mismatches = campaign_tracker::reports::coverage::summary_mismatches(&mut conn).expect("compare");
    assert!(mismatches.is_empty(), "after the history: {mismatches:?}");
    drop(conn);
    // Reverse a delivery and a receipt through the web: the summary follows.
    let client = app.signed_in(LOGISTICS.0, LOGISTICS.1).await;
    let delivered = app.scalar("SELECT MAX(id) FROM shipments WHERE status = 'delivered'");
    let page = app.get(&client, &format!("/shipments/{delivered}")).await;
    let key = submission_key();
    let done = app
        .post_form(
            &client,
            &format!("/shipments/{delivered}/reverse-delivery"),
            &[
                ("csrf_token", page.csrf().expect("csrf").as_str()),
                ("submission_key", key.as_str()),
                ("reason", "recorded at the wrong school"),
            ],
        )
        .await;
    done.assert_see_other();
    let receipt = app.scalar("SELECT MIN(id) FROM receipts");
    let page = app.get(&client, &format!("/receipts/{receipt}")).await;
    let key = submission_key();
    // A receipt fully shipped onward cannot be reversed (stock would go negative); either answer
    // is fine here, the summary must match the ledger after both.
    let _ = app
        .post_form(
            &client,
            &format!("/receipts/{receipt}/reverse"),
            &[
                ("csrf_token", page.csrf().expect("csrf").as_str()),
                ("submission_key", key.as_str()),
                ("reason", "duplicate delivery note"),
            ],
        )
        .await;
    let mut conn = app.conn();
    let mismatches = campaign_tracker::reports::coverage::summary_mismatches(&mut conn).expect("compare");
    assert!(mismatches.is_empty(), "after reversals: {mismatches:?}");
    let distributed_flows =
        app.scalar("SELECT CAST(COALESCE(SUM(quantity), 0) AS BIGINT) FROM daily_flows WHERE flow = 'distributed'");
    let from_ledger = app.scalar(
        "SELECT CAST(COALESCE(SUM(CASE WHEN m.reverses_id IS NULL THEN m.quantity ELSE -m.quantity END), 0) AS BIGINT) \
         FROM stock_movements m JOIN locations l ON l.id = CASE WHEN m.reverses_id IS NULL THEN m.to_location_id ELSE m.from_location_id END \
         WHERE m.kind = 'delivery' AND l.is_depot = FALSE",
    );
    assert_eq!(distributed_flows, from_ledger);
    drop(conn);
    app.stop().await;
}

async fn report_writes_the_campaign(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    load_history(&app).await;
    let client = app.signed_in(VIEWER.0, VIEWER.1).await;
    let page = app.get(&client, &format!("/report?from={FROM}&to={TO}")).await;
    page.assert_status(200);
    let text = collapse(&page.text("ul.report-points").expect("summary"));
    assert!(text.contains("Design and production of sixty thousand (60,000) posters"), "{text}");
    assert!(text.contains("eighty-four (84) banners"), "{text}");
    let poster = app.scalar("SELECT id FROM materials WHERE code = 'POSTER'");
    let distributed = ledger_sum(&app, poster, "delivery", true, "");
    let regions = app.scalar(&format!(
        "SELECT COUNT(DISTINCT l.region_id) FROM stock_movements m JOIN locations l ON l.id = m.to_location_id \
         WHERE m.material_id = {poster} AND m.kind = 'delivery' AND l.is_depot = FALSE AND m.reverses_id IS NULL"
    ));
    let english = campaign_tracker::i18n::number(campaign_tracker::domain::Lang::En, distributed);
    assert!(text.contains(&format!("({english})")), "distributed posters {english} in {text}");
    assert!(text.contains(&format!("({regions}) regions")), "{regions} regions in {text}");
    // The same report in Spanish.
    let es = app.get_with(&client, &format!("/report?from={FROM}&to={TO}"), &[("Accept-Language", "es")]).await;
    let texto = collapse(&es.text("ul.report-points").expect("resumen"));
    assert!(texto.contains("Diseño y producción de sesenta mil (60.000) afiches"), "{texto}");
    app.stop().await;
}

async fn gaps_overdue_and_what_lies_outside_the_range(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    load_history(&app).await;
    let (poster, flier) = (app.material_id("POSTER"), app.material_id("FLIER"));
    let region = |code: &str| app.region_id(code);
    let kind = |code: &str| app.scalar(&format!("SELECT id FROM location_types WHERE code = '{code}'"));
    // Posters planned for Zulia's hospitals (nothing delivered there), fliers for Lara's and
    // Táchira's hospitals (fliers go to airports and transport): two materials' gaps at once;
    // Mérida's hospitals, registered, with no flier plan and no fliers, are unplanned.
    let (zulia, lara, tachira) = (region("VE-V"), region("VE-K"), region("VE-S"));
    let hospital = kind("hospital");
    app.exec(&format!(
        "INSERT INTO targets (material_id, region_id, location_type_id, quantity, updated_at) VALUES \
         ({poster}, {zulia}, {hospital}, 900, '2005-01-01 00:00:00'), \
         ({flier}, {lara}, {hospital}, 400, '2005-01-01 00:00:00'), \
         ({flier}, {tachira}, {hospital}, 400, '2005-01-01 00:00:00')"
    ));
    // A shipment already 3 days past its expected date.
    let b = app.browser(LOGISTICS.0, LOGISTICS.1).await;
    let depot = app.location_id("DEP-LAR");
    crate::stock::receipt_ok(&app, &b, poster, depot, 50).await;
    let destination = crate::stock::some_destination(&app, Some(lara));
    let mut fields = crate::stock::shipment_fields(depot, destination, &[(poster, "5")]);
    fields.retain(|(k, _)| k != "expected_on");
    fields.extend([
        crate::stock::f("expected_on", day(-3)),
        crate::stock::f("action", "dispatch"),
        crate::stock::f("dispatched_on", day(-6)),
    ]);
    let late = crate::stock::post_once(&app, &b, "/shipments/new", &fields).await.assert_see_other();
    let reference = app.strings(&format!(
        "SELECT reference AS s FROM shipments WHERE id = {}",
        id_in(&late, "/shipments/").expect("id")
    ));

    let client = app.signed_in(MANAGER.0, MANAGER.1).await;
    let page = app.get(&client, &format!("/dashboard?material={poster}&from={FROM}&to={TO}")).await;
    page.assert_status(200);
    let gaps = page.text("#alerts ul.gaps").expect("gaps");
    assert!(gaps.contains("Posters on the crime of trafficking in persons"), "{gaps}");
    assert!(gaps.contains("Fliers with contact numbers"), "the other material's gaps too: {gaps}");
    assert!(gaps.contains("Hospital: 1 region: Zulia"), "{gaps}");
    assert!(gaps.contains("Hospital: 2 regions: Lara (") && gaps.contains("Táchira ("), "{gaps}");
    let alerts = page.text("#alerts").expect("alerts");
    let unplanned = alerts.split("Unplanned").nth(1).unwrap_or_default();
    assert!(unplanned.contains("Mérida"), "Mérida's airports got no plan: {unplanned}");
    // Overdue by the expected date, with its origin and how late.
    let overdue = page.text("#alerts ul.overdue").expect("overdue");
    let line = overdue.split(&reference[0]).nth(1).expect("the late shipment is listed");
    assert!(line.contains("Depósito Regional Lara") && line.contains("3 days late"), "{line}");
    // The receipt dated today lies after the range: said beside the material, and its line adds up.
    let outside = page
        .html()
        .select(&sel("table.dashboard-materials tbody tr"))
        .find_map(|row| row.select(&sel(".outside")).next().map(|o| collapse(&o.text().collect::<String>())))
        .expect("an outside note");
    assert!(outside.contains("50 received after 2006-12-31"), "{outside}");
}

async fn values_that_cannot_be_used_are_refused_beside_their_fields(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let client = app.signed_in(MANAGER.0, MANAGER.1).await;
    let poster = app.material_id("POSTER");
    let spot = app.material_id("SPOT");
    for path in ["/dashboard", "/report"] {
        for (query, field, message) in [
            ("from=2005-13-01", "from", "Not a date (use YYYY-MM-DD): 2005-13-01"),
            ("to=tomorrow", "to", "Not a date (use YYYY-MM-DD): tomorrow"),
            ("from=2006-01-02&to=2006-01-01", "to", "“To” cannot be before “From”."),
            ("material=99999999", "material", "Unknown material: 99999999"),
            ("material=NOPE", "material", "Unknown material: NOPE"),
            ("days=0", "days", "Days in transit are a whole number from 1 to 365: 0"),
            ("days=abc", "days", "Days in transit are a whole number from 1 to 365: abc"),
            ("campaign=NOPE", "campaign", "Unknown campaign: NOPE"),
        ] {
            let url = format!("{path}?{query}");
            let page = app.get(&client, &url).await;
            assert_eq!(page.status, 422, "{url}\n{}", page.describe());
            assert_eq!(page.field_error(field).as_deref(), Some(message), "{url}\n{}", page.describe());
            assert_eq!(page.attr(&format!("[name=\"{field}\"]"), "aria-invalid").as_deref(), Some("true"), "{url}");
            assert!(!page.has("#coverage") && !page.has("table"), "{url}: no figures\n{}", page.describe());
            assert!(page.text(".form-error").is_some(), "{url}: a message at the top");
        }
        // What was typed stays in the form; a value given twice is not guessed at.
        let page = app.get(&client, &format!("{path}?from=2005-13-01&to=2006-12-31")).await;
        assert_eq!(page.input_value("from").as_deref(), Some("2005-13-01"));
        assert_eq!(page.input_value("to").as_deref(), Some("2006-12-31"));
        let page = app.get(&client, &format!("{path}?days=3&days=4")).await;
        assert_eq!(page.status, 422);
        assert_eq!(page.text(".form-error").as_deref(), Some("These filters could not be read: give each one once."));
        // Good values, by id or by code, and the spot (not on the map) is no material to map.
        for query in
            [format!("material={poster}&from={FROM}&to={TO}&days=30"), "material=POSTER&campaign=VE-TIP-2005".into()]
        {
            app.get(&client, &format!("{path}?{query}")).await.assert_status(200);
        }
        let page = app.get(&client, &format!("{path}?material={spot}")).await;
        assert_eq!(page.status, 422, "{}", page.describe());
    }
    let es = app.get_with(&client, "/dashboard?days=400", &[("Accept-Language", "es")]).await;
    es.assert_status(422);
    assert_eq!(es.field_error("days").as_deref(), Some("Los días en tránsito son un número entero de 1 a 365: 400"));
}

/// "Places reached" in the report (read from the ledger's deliveries into each place) are the
/// distinct non-depot destinations of the shipments delivered in the range with something
/// received, counted here from the shipments themselves — after a delivery was reversed, for
/// everyone and for a reader limited to that shipment's region; abroad apart.
async fn report_places_reached_are_the_delivered_shipments_places(backend: Backend) {
    use campaign_tracker::domain::RegionScope;
    use campaign_tracker::reports::coverage::DashboardQuery;
    use std::collections::BTreeMap;
    let app = spawn_demo_app(backend).await;
    load_history(&app).await;
    let mut conn = app.conn();
    // The latest delivery to a place that received nothing else of that material in the range:
    // reversing it takes the place off that material's count.
    let reversed = app.scalar(&format!(
        "SELECT MAX(s.id) FROM shipments s JOIN locations l ON l.id = s.destination_id \
         JOIN shipment_lines sl ON sl.shipment_id = s.id \
         WHERE s.status = 'delivered' AND l.is_depot = FALSE AND sl.quantity_received > 0 \
         AND (SELECT COUNT(*) FROM shipments o JOIN shipment_lines ol ON ol.shipment_id = o.id \
              WHERE o.destination_id = s.destination_id AND o.status = 'delivered' \
              AND ol.material_id = sl.material_id AND ol.quantity_received > 0 \
              AND o.delivered_on BETWEEN '{FROM}' AND '{TO}') = 1 \
         AND s.delivered_on BETWEEN '{FROM}' AND '{TO}'"
    ));
    let region = app.scalar(&format!(
        "SELECT l.region_id FROM shipments s JOIN locations l ON l.id = s.destination_id WHERE s.id = {reversed}"
    ));
    let count_places = |conn: &mut campaign_tracker::db::DbConn, extra: &str| -> BTreeMap<String, i64> {
        string_numbers(
            conn,
            &format!(
                "SELECT m.code || ' ' || t.code AS s, CAST(COUNT(DISTINCT s.destination_id) AS BIGINT) AS n \
                 FROM shipments s JOIN shipment_lines sl ON sl.shipment_id = s.id \
                 JOIN materials m ON m.id = sl.material_id \
                 JOIN locations l ON l.id = s.destination_id JOIN location_types t ON t.id = l.location_type_id \
                 JOIN regions r ON r.id = l.region_id \
                 WHERE s.status = 'delivered' AND s.delivered_on BETWEEN '{FROM}' AND '{TO}' \
                 AND sl.quantity_received > 0 {extra} GROUP BY m.code, t.code"
            ),
        )
        .into_iter()
        .collect()
    };
    let before = count_places(&mut conn, "AND l.is_depot = FALSE");
    let by = campaign_tracker::app::Caller {
        access: campaign_tracker::app::Access::everywhere(None),
        actor: campaign_tracker::models::audit::Actor::cli(),
    };
    let reverse = campaign_tracker::app::shipments::ReverseDelivery {
        by,
        shipment_id: campaign_tracker::domain::ShipmentId(reversed as i32),
        reason: "wrong place".into(),
    };
    diesel::Connection::transaction(&mut *conn, |c| campaign_tracker::app::run(c, &reverse))
        .expect("reverse the delivery");
    let campaign_id = app.scalar("SELECT MIN(id) FROM campaigns") as i32;
    let material_id = campaign_tracker::domain::MaterialId(app.scalar("SELECT MIN(id) FROM materials") as i32);
    let from = chrono::NaiveDate::parse_from_str(FROM, "%Y-%m-%d").expect("date");
    let to = chrono::NaiveDate::parse_from_str(TO, "%Y-%m-%d").expect("date");
    for (scope, extra) in [
        (RegionScope::of(&[]), String::new()),
        (RegionScope::of(&[region as i32]), format!("AND l.region_id = {region}")),
    ] {
        let q = DashboardQuery { scope, campaign_id, from, to, material_id, transit_days: 30 };
        let report = campaign_tracker::reports::campaign::report(&mut conn, &q).expect("report");
        let mut reported: BTreeMap<String, i64> = BTreeMap::new();
        let mut abroad: BTreeMap<String, i64> = BTreeMap::new();
        for m in &report.materials {
            for line in m.by_type.iter().filter(|l| l.places > 0) {
                reported.insert(format!("{} {}", m.material.code, line.code), line.places);
            }
            if m.abroad_places > 0 {
                abroad.insert(m.material.code.clone(), m.abroad_places);
            }
        }
        // Per type: the points reached (abroad's too); abroad apart: every place there.
        let expected = count_places(&mut conn, &format!("AND l.is_depot = FALSE {extra}"));
        assert!(!expected.is_empty(), "no places reached at all: the comparison would be empty");
        assert_eq!(reported, expected, "places reached per material and type ({extra:?})");
        if extra.is_empty() {
            let expected_abroad: BTreeMap<String, i64> = count_places(&mut conn, "AND r.is_abroad = TRUE")
                .into_iter()
                .fold(BTreeMap::new(), |mut per, (key, n)| {
                    *per.entry(key.split(' ').next().unwrap_or_default().to_string()).or_insert(0) += n;
                    per
                });
            assert!(!expected_abroad.is_empty(), "nothing reached abroad: the comparison would be empty");
            assert_eq!(abroad, expected_abroad, "places reached abroad per material");
        }
    }
    assert_ne!(
        before,
        count_places(&mut conn, "AND l.is_depot = FALSE"),
        "the reversed delivery took a place off a count"
    );
}
