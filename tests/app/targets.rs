//! The allocation plan: the grid saved and read back with its totals, refusals of bad input,
//! who may edit, the split helper's proposal, and the demo plan.

use crate::helpers::*;

both_backends!(
    manager_saves_and_reads_back,
    bad_input_is_refused,
    roles_on_target_routes,
    split_helper_proposes_without_saving,
    demo_targets_load_once,
);

/// A signed-in browser with its session's CSRF token (scraped from the plan page's header form).
async fn browser(app: &TestApp, (username, password): (&str, &str)) -> Browser {
    let client = app.signed_in(username, password).await;
    let token = app.csrf_token(&client, "/targets").await;
    Browser { client, token }
}

fn type_id(app: &TestApp, code: &str) -> i64 {
    app.scalar(&format!("SELECT id FROM location_types WHERE code = {}", lit(code)))
}

fn cell(region: i64, location_type: i64) -> String {
    format!("cell_{region}_{location_type}")
}

fn target(app: &TestApp, material: i64, region: i64, location_type: i64) -> Option<i64> {
    app.scalar_opt(&format!(
        "SELECT quantity FROM targets WHERE material_id = {material} AND region_id = {region} AND location_type_id = {location_type}"
    ))
}

fn audits(app: &TestApp) -> i64 {
    app.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'targets'")
}

/// Every grid input of a page as (name, value; blank = 0).
fn grid_inputs(page: &Page) -> Vec<(String, i64)> {
    let doc = page.html();
    let selector = sel("input[name^=\"cell_\"]");
    doc.select(&selector)
        .map(|e| {
            let name = e.value().attr("name").unwrap_or_default().to_string();
            let value = e.value().attr("value").unwrap_or_default().trim().to_string();
            let n = if value.is_empty() { 0 } else { value.parse().unwrap_or_else(|_| panic!("{name}={value}")) };
            (name, n)
        })
        .collect()
}

/// The cells of the read-only grid's row headed `row` (tbody or tfoot), whitespace-collapsed.
fn grid_row(page: &Page, row: &str) -> Vec<String> {
    let doc = page.html();
    let rows = sel("table.plan tr");
    let head = sel("th");
    let cells = sel("td");
    for tr in doc.select(&rows) {
        let name = tr.select(&head).next().map(|th| collapse(&th.text().collect::<String>())).unwrap_or_default();
        if name == row {
            return tr.select(&cells).map(|td| collapse(&td.text().collect::<String>())).collect();
        }
    }
    panic!("no grid row {row}\n{}", page.describe());
}

/// The column headers of the read-only grid.
fn grid_columns(page: &Page) -> Vec<String> {
    page.texts("table.plan thead th")
}

async fn manager_saves_and_reads_back(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let manager = browser(&app, MANAGER).await;
    let poster = app.material_id("POSTER");
    let (tachira, capital) = (app.region_id("VE-S"), app.region_id("VE-A"));
    let (school, hospital, community) =
        (type_id(&app, "school"), type_id(&app, "hospital"), type_id(&app, "community_org"));
    let edit = format!("/targets/edit?material={poster}");

    let form = app.get(&manager.client, &edit).await;
    form.assert_status(200);
    // Every region is a row, abroad last; the channel's kinds are columns; no depot column.
    let inputs = grid_inputs(&form);
    assert_eq!(inputs.len(), 26 * 3, "26 regions × the three poster channels\n{}", form.describe());
    assert!(inputs.iter().any(|(n, _)| *n == cell(tachira, school)));
    assert!(!inputs.iter().any(|(n, _)| n.ends_with(&format!("_{}", type_id(&app, "depot")))));
    // Each box has its own label: "Táchira, School".
    let label = form.text(&format!("label[for=\"{}\"]", cell(tachira, school))).unwrap_or_default();
    assert_eq!(label, "Táchira, School", "{}", form.describe());

    let page = app
        .send(
            &manager,
            &edit,
            &[
                (&cell(tachira, school), "1200"),
                (&cell(tachira, hospital), ""),
                (&cell(capital, school), "300"),
                (&cell(capital, community), " 45 "),
            ],
        )
        .await;
    assert_eq!(page.assert_see_other(), format!("/targets?material={poster}"));
    assert_eq!(target(&app, poster, tachira, school), Some(1200));
    assert_eq!(target(&app, poster, tachira, hospital), Some(0), "blank is a row at 0");
    assert_eq!(target(&app, poster, capital, community), Some(45));
    assert_eq!(app.count("targets"), 4);
    assert_eq!(audits(&app), 1);
    let summary = app.strings("SELECT summary AS s FROM audit_log WHERE entity = 'targets'");
    assert!(summary[0].contains("POSTER") && summary[0].contains("total 1545"), "{summary:?}");
    assert_eq!(
        app.scalar("SELECT updated_by FROM targets WHERE quantity = 1200"),
        app.user_id("manager"),
        "the editor is recorded"
    );

    // Read back as the viewer: row, column and grand totals.
    let viewer = app.signed_in(VIEWER.0, VIEWER.1).await;
    let read = app.get(&viewer, &format!("/targets?material={poster}")).await;
    read.assert_status(200);
    let columns = grid_columns(&read);
    let at =
        |name: &str| columns.iter().position(|c| c == name).unwrap_or_else(|| panic!("column {name}: {columns:?}")) - 1;
    let tachira_row = grid_row(&read, "Táchira");
    assert_eq!(tachira_row[at("School")], "1,200");
    assert_eq!(tachira_row.first().map(String::as_str), Some("1,200"), "row total");
    assert_eq!(grid_row(&read, "Distrito Capital").first().map(String::as_str), Some("345"));
    let totals = grid_row(&read, "Total");
    assert_eq!(totals[at("School")], "1,500", "column total");
    assert_eq!(totals.first().map(String::as_str), Some("1,545"), "grand total");
    assert!(!read.has("p.notice"), "within the print run: no warning\n{}", read.describe());
    // The viewer is offered no edit button.
    assert!(!read.has("a[href^=\"/targets/edit\"]"), "{}", read.describe());

    // Edited in place: a second save updates the row, adds none, and is audited.
    let page = app.send(&manager, &edit, &[(&cell(tachira, school), "1000")]).await;
    page.assert_see_other();
    assert_eq!(target(&app, poster, tachira, school), Some(1000));
    assert_eq!(app.count("targets"), 4);
    assert_eq!(audits(&app), 2);
    let form = app.get(&manager.client, &edit).await;
    assert_eq!(form.input_value(&cell(tachira, school)).as_deref(), Some("1000"));

    // Over the print run: flagged.
    let page = app.send(&manager, &edit, &[(&cell(capital, school), "60000")]).await;
    page.assert_see_other();
    let read = app.get(&viewer, &format!("/targets?material={poster}")).await;
    assert!(read.has("p.notice"), "a plan above the print run is flagged\n{}", read.describe());
    assert!(read.text("p.notice").unwrap_or_default().contains("1,045"), "{}", read.describe());
}

async fn bad_input_is_refused(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let manager = browser(&app, MANAGER).await;
    let flier = app.material_id("FLIER");
    let (tachira, lara) = (app.region_id("VE-S"), app.region_id("VE-K"));
    let airport = type_id(&app, "airport");
    let edit = format!("/targets/edit?material={flier}");
    let bad_cell = cell(tachira, airport);
    let good_cell = cell(lara, airport);
    for (typed, message) in [
        ("-5", "Cannot be negative."),
        ("abc", "Enter a whole number, like 1500."),
        ("1.5", "Enter a whole number, like 1500."),
        ("2147483648", "At most 2147483647."),
    ] {
        let page = app.send(&manager, &edit, &[(&good_cell, "100"), (&bad_cell, typed)]).await;
        assert_eq!(page.status, 422, "{typed}\n{}", page.describe());
        assert_eq!(page.field_error(&bad_cell).as_deref(), Some(message), "{typed}\n{}", page.describe());
        assert_eq!(page.input_value(&bad_cell).as_deref(), Some(typed), "the typed value stays");
        assert_eq!(page.input_value(&good_cell).as_deref(), Some("100"), "the other boxes stay");
        assert_eq!(page.attr(&format!("input[name=\"{bad_cell}\"]"), "aria-invalid").as_deref(), Some("true"));
        assert!(page.has(".form-error"), "{}", page.describe());
        assert_eq!(app.count("targets"), 0, "{typed}: nothing written");
        assert_eq!(audits(&app), 0);
    }
    // A cell naming no region or a depot column is refused as a whole.
    let depot = type_id(&app, "depot");
    let page = app.send(&manager, &edit, &[(&cell(tachira, depot), "5")]).await;
    assert_eq!(page.status, 400, "{}", page.describe());
    let page = app.send(&manager, &edit, &[("cell_999999_1", "5")]).await;
    assert_eq!(page.status, 400, "{}", page.describe());
    assert_eq!(app.count("targets"), 0);
    // The largest allowed number is accepted.
    let page = app.send(&manager, &edit, &[(&bad_cell, "2147483647")]).await;
    page.assert_see_other();
    assert_eq!(target(&app, flier, tachira, airport), Some(2_147_483_647));
    // Unknown or broadcast materials are not found.
    let spot = app.material_id("SPOT");
    assert_eq!(app.get(&manager.client, &format!("/targets?material={spot}")).await.status, 404);
    assert_eq!(app.get(&manager.client, "/targets?material=abc").await.status, 404);
    assert_eq!(app.send(&manager, &format!("/targets/edit?material={spot}"), &[]).await.status, 404);
}

async fn roles_on_target_routes(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let poster = app.material_id("POSTER");
    let edit = format!("/targets/edit?material={poster}");
    let field = cell(app.region_id("VE-S"), type_id(&app, "school"));

    for (username, password) in [LOGISTICS, VIEWER] {
        let b = browser(&app, (username, password)).await;
        app.get(&b.client, "/targets").await.assert_status(200);
        app.get(&b.client, &format!("/targets?material={poster}&all=1")).await.assert_status(200);
        app.get(&b.client, &edit).await.assert_status(403);
        app.get(&b.client, &format!("{edit}&split=1&total=10&types=1")).await.assert_status(403);
        app.send(&b, &edit, &[(&field, "10")]).await.assert_status(403);
    }
    for (username, password) in [ADMIN, MANAGER] {
        let b = browser(&app, (username, password)).await;
        let page = app.get(&b.client, "/targets").await;
        page.assert_status(200);
        assert!(page.has(&format!("a[href^=\"/targets/edit?material={poster}\"]")), "{}", page.describe());
        app.get(&b.client, &edit).await.assert_status(200);
    }
    // Signed out: to the sign-in page, for reading and writing.
    let anonymous = client();
    app.get(&anonymous, "/targets").await.assert_to_login();
    app.get(&anonymous, &edit).await.assert_to_login();
    let token = app.csrf_token(&anonymous, "/login").await;
    app.post_raw(&anonymous, &edit, &[(&field, "10")], Some(&token), &[]).await.assert_to_login();

    // Without the CSRF token, or with a wrong one: refused before anything is read.
    let manager = browser(&app, MANAGER).await;
    app.post_raw(&manager.client, &edit, &[(&field, "10")], None, &[]).await.assert_status(403);
    app.post_raw(&manager.client, &edit, &[(&field, "10")], Some("forged"), &[]).await.assert_status(403);
    // A save must name its material.
    app.send(&manager, "/targets/edit", &[(&field, "10")]).await.assert_status(400);
    assert_eq!(app.count("targets"), 0, "no refused request wrote anything");
    assert_eq!(audits(&app), 0);

    // The session expires while the grid is filled in: after signing in, the grid comes back as
    // typed, for its material, and nothing is saved until it is posted again.
    let flier = app.material_id("FLIER");
    let airport = cell(app.region_id("VE-S"), type_id(&app, "airport"));
    app.exec(&format!("UPDATE sessions SET last_seen_at = {}", lit(&ts_from_now(-chrono::Duration::hours(3)))));
    let flier_text = flier.to_string();
    let page = app
        .send(&manager, &format!("/targets/edit?material={flier}"), &[("material", &flier_text), (&airport, "777")])
        .await;
    let location = page.assert_to_login();
    let resume = query_param(&location, "resume").unwrap_or_else(|| panic!("no resume id: {location}"));
    let token = app.csrf_token(&manager.client, &location).await;
    let fields = [("username", MANAGER.0), ("password", MANAGER.1), ("resume", resume.as_str())];
    let back = app.post_raw(&manager.client, "/login", &fields, Some(&token), &[]).await.assert_see_other();
    assert!(back.starts_with("/targets/edit?"), "back to the grid: {back}");
    let restored = app.get(&manager.client, &back).await;
    restored.assert_status(200);
    assert!(restored.text("h1").unwrap_or_default().contains("FLIER"), "{}", restored.describe());
    assert_eq!(restored.input_value(&airport).as_deref(), Some("777"), "{}", restored.describe());
    assert_eq!(app.count("targets"), 0);
}

async fn split_helper_proposes_without_saving(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let manager = browser(&app, MANAGER).await;
    let poster = app.material_id("POSTER");
    let school = type_id(&app, "school");
    let tachira = app.region_id("VE-S");
    let capital = app.region_id("VE-A");
    let edit = format!("/targets/edit?material={poster}");

    // The defaults: the print run, the poster's channels, registered locations, weights of 1.
    let form = app.get(&manager.client, &edit).await;
    form.assert_status(200);
    assert_eq!(form.input_value("total").as_deref(), Some("60000"));
    let mut checked = form.attrs("input[name=\"types\"][checked]", "value");
    checked.sort();
    let mut channel: Vec<String> =
        ["school", "hospital", "community_org"].iter().map(|c| type_id(&app, c).to_string()).collect();
    channel.sort();
    assert_eq!(checked, channel, "{}", form.describe());
    assert_eq!(form.attr("input[name=\"basis\"][checked]", "value").as_deref(), Some("registered"));
    assert_eq!(form.input_value(&format!("weight_{tachira}")).as_deref(), Some("1"));
    assert!(
        !form.attrs("input[name=\"types\"]", "value").contains(&type_id(&app, "depot").to_string()),
        "depots are never a target column"
    );

    // Registered locations, counted independently.
    let registered = |region: i64| {
        app.scalar(&format!(
            "SELECT COUNT(*) FROM locations WHERE is_active = TRUE AND is_depot = FALSE \
             AND location_type_id = {school} AND region_id = {region}"
        ))
    };
    let all_schools = app.scalar(&format!(
        "SELECT COUNT(*) FROM locations WHERE is_active = TRUE AND is_depot = FALSE \
         AND location_type_id = {school} AND region_id IS NOT NULL"
    ));
    assert!(registered(tachira) > 0 && all_schools > registered(tachira));

    // A total that divides exactly: every cell is 100 × its registered schools.
    let total = 100 * all_schools;
    let page = app.get(&manager.client, &format!("{edit}&split=1&total={total}&types={school}&basis=registered")).await;
    page.assert_status(200);
    assert!(page.has("p.notice"), "the proposal is announced\n{}", page.describe());
    let cells = grid_inputs(&page);
    assert_eq!(cells.iter().map(|c| c.1).sum::<i64>(), total, "the proposal adds up to the total");
    let value = |cells: &[(String, i64)], name: &str| cells.iter().find(|c| c.0 == name).map(|c| c.1);
    assert_eq!(value(&cells, &cell(tachira, school)), Some(100 * registered(tachira)));
    assert_eq!(value(&cells, &cell(capital, school)), Some(100 * registered(capital)));

    // An awkward total still adds up exactly, each cell within one unit of its exact share.
    let total = 12_345;
    let page = app.get(&manager.client, &format!("{edit}&split=1&total={total}&types={school}&basis=registered")).await;
    let cells = grid_inputs(&page);
    assert_eq!(cells.iter().map(|c| c.1).sum::<i64>(), total);
    let exact = total * registered(tachira) / all_schools;
    let got = value(&cells, &cell(tachira, school)).unwrap_or(-1);
    assert!(got == exact || got == exact + 1, "Táchira gets {got}, exact share {exact}");

    // Weights: Táchira 3, Distrito Capital 1, everyone else 0.
    let mut query = format!("{edit}&split=1&total=400&types={school}&basis=weights");
    for id in app.numbers("SELECT CAST(id AS BIGINT) AS n FROM regions") {
        let w = if id == tachira {
            "3"
        } else if id == capital {
            "1"
        } else {
            ""
        };
        query.push_str(&format!("&weight_{id}={w}"));
    }
    let page = app.get(&manager.client, &query).await;
    page.assert_status(200);
    let weighted = grid_inputs(&page);
    assert_eq!(value(&weighted, &cell(tachira, school)), Some(300), "{}", page.describe());
    assert_eq!(value(&weighted, &cell(capital, school)), Some(100));
    assert_eq!(weighted.iter().map(|c| c.1).sum::<i64>(), 400);

    // Nothing was written by any proposal.
    assert_eq!(app.count("targets"), 0);
    assert_eq!(audits(&app), 0);

    // Refusals: a bad total, no kind of place, an unknown basis, no weight at all.
    let page = app.get(&manager.client, &format!("{edit}&split=1&total=-1&types={school}")).await;
    assert_eq!(page.status, 422, "{}", page.describe());
    assert!(page.field_error("total").is_some());
    let page = app.get(&manager.client, &format!("{edit}&split=1&total=10")).await;
    assert_eq!(page.status, 422);
    assert!(page.field_error("types").is_some());
    let page = app.get(&manager.client, &format!("{edit}&split=1&total=10&types={school}&basis=magic")).await;
    assert_eq!(page.status, 422);
    let page = app.get(&manager.client, &format!("{edit}&split=1&total=10&types={school}&basis=weights")).await;
    assert_eq!(page.status, 422, "every weight blank\n{}", page.describe());
    assert!(page.has(".form-error"));
    assert_eq!(app.count("targets"), 0);

    // Saving the proposal as shown writes exactly it.
    let fields: Vec<(String, String)> = cells.iter().map(|(n, v)| (n.clone(), v.to_string())).collect();
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    app.send(&manager, &edit, &refs).await.assert_see_other();
    assert_eq!(app.scalar(&format!("SELECT SUM(quantity) FROM targets WHERE material_id = {poster}")), total);
    assert_eq!(target(&app, poster, tachira, school), Some(got));
    assert_eq!(audits(&app), 1);
}

async fn demo_targets_load_once(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let written = {
        let mut conn = app.conn();
        campaign_tracker::demo::targets::load_targets(&mut conn).unwrap_or_else(|e| panic!("load_targets: {e:?}"))
    };
    assert!(written > 0);
    assert_eq!(app.count("targets"), written as i64);
    assert_eq!(audits(&app), 1, "one summary entry");
    for code in ["POSTER", "FLIER", "PAMPHLET", "BANNER", "IOM-LEAFLET"] {
        let m = app.material_id(code);
        let run = app.scalar(&format!("SELECT planned_quantity FROM materials WHERE id = {m}"));
        let planned = app.scalar(&format!("SELECT COALESCE(SUM(quantity), 0) FROM targets WHERE material_id = {m}"));
        assert!(planned * 100 >= run * 85 && planned * 100 <= run * 95, "{code}: {planned} of {run}");
    }
    let spot = app.material_id("SPOT");
    assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM targets WHERE material_id = {spot}")), 0);
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM targets t JOIN location_types lt ON lt.id = t.location_type_id \
             WHERE lt.is_depot = TRUE OR lt.code = 'transit'"
        ),
        0
    );
    // Some targets lie where no place is registered (Zulia): uncovered cells on the dashboard.
    let zulia = app.region_id("VE-V");
    assert!(app.scalar(&format!("SELECT COUNT(*) FROM targets WHERE region_id = {zulia} AND quantity > 0")) > 0);
    assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM locations WHERE region_id = {zulia}")), 0);

    // A second load changes nothing.
    let again = {
        let mut conn = app.conn();
        campaign_tracker::demo::targets::load_targets(&mut conn).unwrap_or_else(|e| panic!("load_targets: {e:?}"))
    };
    assert_eq!(again, 0);
    assert_eq!(app.count("targets"), written as i64);
    assert_eq!(audits(&app), 1);

    // The default page shows the first stocked material's plan.
    let viewer = app.signed_in(VIEWER.0, VIEWER.1).await;
    let page = app.get(&viewer, "/targets").await;
    page.assert_status(200);
    assert!(page.text("h2").unwrap_or_default().starts_with("POSTER"), "{}", page.describe());
    let columns = grid_columns(&page);
    assert!(columns.contains(&"School".to_string()) && !columns.contains(&"Depot".to_string()), "{columns:?}");
}
