//! Airings of the information spots over HTTP: recording, the list and its totals, refusals of
//! bad input, one-time keys, reversal, who may record, region limits, and the demo schedule.

use crate::helpers::*;
use campaign_tracker::models::airing::{Airing, AiringFilter};
use futures_util::future::join_all;

both_backends!(
    record_and_list,
    bad_input_is_refused,
    double_submission_records_once,
    reversal_nets_to_zero,
    roles_on_airing_routes,
    region_limits_on_airings,
    demo_loader_is_idempotent_and_adds_up,
);

type Fields = Vec<(String, String)>;

fn f(k: &str, v: impl ToString) -> (String, String) {
    (k.to_string(), v.to_string())
}

fn airing_fields(material: i64, location: i64, times: &str, aired_on: &str) -> Fields {
    vec![
        f("material_id", material),
        f("location_id", location),
        f("aired_on", aired_on),
        f("times", times),
        f("time_slot", "20:00–21:00"),
        f("programme", "Noticiero estelar"),
    ]
}

async fn post(app: &TestApp, b: &Browser, path: &str, fields: &Fields) -> Page {
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    app.send(b, path, &refs).await
}

async fn post_once(app: &TestApp, b: &Browser, path: &str, fields: &Fields) -> Page {
    let mut all = fields.clone();
    all.push(f("submission_key", submission_key()));
    post(app, b, path, &all).await
}

/// Records an airing and returns its id.
async fn airing_ok(app: &TestApp, b: &Browser, material: i64, location: i64, times: i64, on: &str) -> i64 {
    let page = post_once(app, b, "/airings/new", &airing_fields(material, location, &times.to_string(), on)).await;
    let to = page.assert_see_other();
    id_in(&to, "/airings/").unwrap_or_else(|| panic!("airing went to {to}\n{}", page.describe()))
}

fn assert_refused(page: &Page, what: &str) -> String {
    assert_eq!(page.status, 422, "{what}: expected 422\n{}", page.describe());
    let message = page.texts(".form-error, p.field-error").join(" | ");
    assert!(!message.trim().is_empty(), "{what}: 422 without a message\n{}", page.describe());
    message
}

/// Rows an airing may write, and the stock tables it must never touch.
fn written(app: &TestApp) -> Vec<(String, i64)> {
    ["airings", "submissions", "stock_movements", "stock_balances", "receipts"]
        .iter()
        .map(|t| (t.to_string(), app.count(t)))
        .collect()
}

/// Net times per outlet, straight from SQL.
fn net_sql(app: &TestApp, filter: &str) -> i64 {
    app.scalar(&format!(
        "SELECT COALESCE(SUM(CASE WHEN reverses_id IS NULL THEN times ELSE -times END), 0) FROM airings {filter}"
    ))
}

/// The cells of each body row of the table under heading `#id`, whitespace-collapsed.
fn table_rows(page: &Page, id: &str) -> Vec<Vec<String>> {
    let doc = page.html();
    let rows = sel(&format!("#{id} + .table-wrap tbody tr"));
    let cells = sel("th, td");
    doc.select(&rows).map(|r| r.select(&cells).map(|c| collapse(&c.text().collect::<String>())).collect()).collect()
}

/// A browser signed in as `username`, its CSRF token taken from the airing list.
async fn browser(app: &TestApp, (username, password): (&str, &str)) -> Browser {
    let client = app.signed_in(username, password).await;
    let token = app.csrf_token(&client, "/airings").await;
    Browser { client, token }
}

fn totals(app: &TestApp, filter: &AiringFilter) -> Vec<campaign_tracker::models::airing::OutletTotal> {
    Airing::totals_by_outlet(&mut app.conn(), filter).expect("totals_by_outlet")
}

// ---------------------------------------------------------------------------------------------

async fn record_and_list(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let b = browser(&app, LOGISTICS).await;
    let spot = app.material_id("SPOT");
    let vtv = app.location_id("MED-VTV");
    let vvn = app.location_id("MED-VVN");

    let form = app.get(&b.client, "/airings/new").await;
    form.assert_status(200);
    for field in ["material_id", "location_id", "aired_on", "times", "time_slot", "programme", "submission_key"] {
        assert!(form.has(&format!("[name=\"{field}\"]")), "/airings/new has {field}\n{}", form.describe());
    }
    // Only spots and active media outlets are offered.
    let materials = form.attrs("select[name=\"material_id\"] option", "value");
    assert_eq!(materials, vec![String::new(), spot.to_string()], "only the spot material is offered");
    assert_eq!(form.selected("material_id"), Some(spot.to_string()), "the only spot is preselected");
    let outlets = form.attrs("select[name=\"location_id\"] option", "value");
    let media = app.scalar(
        "SELECT COUNT(*) FROM locations l JOIN location_types t ON t.id = l.location_type_id \
         WHERE t.code = 'media_outlet' AND l.is_active = true",
    );
    assert_eq!(outlets.len() as i64, media + 1, "every active outlet, plus the empty choice");
    assert!(!outlets.contains(&app.location_id("DEP-CCS").to_string()), "no depot offered");
    assert_eq!(form.input_value("aired_on"), Some(day(0)), "today is the default day");

    let before = written(&app);
    let audit_before = app.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'airing'");
    let id = airing_ok(&app, &b, spot, vtv, 4, &day(-2)).await;
    let id2 = airing_ok(&app, &b, spot, vtv, 3, &day(-1)).await;
    let id3 = airing_ok(&app, &b, spot, vvn, 2, &day(-1)).await;
    assert_eq!(app.count("airings"), before[0].1 + 3);
    assert_eq!(app.count("stock_movements"), before[2].1, "airings never touch the stock ledger");
    assert_eq!(app.count("stock_balances"), before[3].1);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'airing'"), audit_before + 3, "audited");
    assert_eq!(app.scalar(&format!("SELECT times FROM airings WHERE id = {id}")), 4, "the row holds what was typed");
    assert_eq!(
        app.strings(&format!("SELECT time_slot AS s FROM airings WHERE id = {id}")),
        vec!["20:00–21:00".to_string()]
    );

    let page = app.get(&b.client, &format!("/airings/{id}")).await;
    page.assert_status(200);
    assert!(page.flash().is_some(), "flash after recording\n{}", page.describe());
    assert!(page.has(&format!("form[action=\"/airings/{id}/reverse\"]")), "reversal form\n{}", page.describe());

    let list = app.get(&b.client, "/airings").await;
    list.assert_status(200);
    for i in [id, id2, id3] {
        assert!(list.has(&format!("a[href=\"/airings/{i}\"]")), "the list links airing {i}\n{}", list.describe());
    }
    let rows = table_rows(&list, "by-outlet");
    let vtv_row = vec!["Venezolana de Televisión (VTV)".to_string(), "State".into(), "7".into()];
    let vvn_row = vec!["Venevisión".to_string(), "Private".into(), "2".into()];
    assert_eq!(rows, vec![vtv_row, vvn_row], "net times per outlet, largest first");
    let month_rows = table_rows(&list, "by-month");
    assert!(!month_rows.is_empty(), "months listed\n{}", list.describe());

    // The model's totals agree with SQL.
    let all = AiringFilter::default();
    let t = totals(&app, &all);
    assert_eq!(t.iter().find(|t| t.location_id.0 == vtv as i32).map(|t| t.times), Some(7));
    assert_eq!(t.iter().find(|t| t.location_id.0 == vvn as i32).map(|t| t.times), Some(2));
    assert_eq!(
        Airing::summary(&mut app.conn(), Some(campaign_tracker::domain::MaterialId(spot as i32)), None, None)
            .expect("summary"),
        (9, 2)
    );
    let months = Airing::by_month(&mut app.conn(), &all).expect("by_month");
    assert_eq!(months.iter().map(|(_, n)| n).sum::<i64>(), 9);
    // Filters: by ownership and by outlet.
    let state = AiringFilter { ownership: Some("state".into()), ..Default::default() };
    assert_eq!(totals(&app, &state).iter().map(|t| t.times).sum::<i64>(), 7);
    let list = app.get(&b.client, &format!("/airings?outlet={vvn}")).await;
    list.assert_status(200);
    assert!(list.has(&format!("a[href=\"/airings/{id3}\"]")));
    assert!(!list.has(&format!("a[href=\"/airings/{id}\"]")), "filtered by outlet\n{}", list.describe());
    let list = app.get(&b.client, &format!("/airings?from={}&to={}", day(-1), day(0))).await;
    assert!(!list.has(&format!("a[href=\"/airings/{id}\"]")), "filtered by date\n{}", list.describe());
    assert!(list.has(&format!("a[href=\"/airings/{id2}\"]")));
    // Nonsense filters are refused beside their fields (422, no figures), never a 500 and
    // never totals that quietly ignored them; the export refuses them in the same words.
    let list = app.get(&b.client, "/airings?spot=x&outlet=-1&ownership=evil&region=%00&from=2005-13-45&page=0").await;
    list.assert_status(422);
    for (field, message) in [
        ("spot", "Unknown material: x"),
        ("outlet", "Unknown place: -1"),
        ("ownership", "Unknown ownership (use state or private): evil"),
        ("region", "Unknown region: \u{FFFD}"),
        ("from", "Not a date (use YYYY-MM-DD): 2005-13-45"),
    ] {
        assert_eq!(list.field_error(field).as_deref(), Some(message), "{field}\n{}", list.describe());
    }
    for shown in [id, id2, id3] {
        assert!(!list.has(&format!("a[href=\"/airings/{shown}\"]")), "no rows\n{}", list.describe());
    }
    assert!(!list.has("a[download]") && !list.has("h2#by-outlet"), "no figures, nothing to download");
    let list = app.get(&b.client, &format!("/airings?from={}&to={}", day(0), day(-1))).await;
    list.assert_status(422);
    assert_eq!(list.field_error("to").as_deref(), Some("“To” cannot be before “From”."));
    let export = app.get(&b.client, &format!("/export/airings.csv?from={}&to={}", day(0), day(-1))).await;
    export.assert_status(400);
    assert_eq!(export.text(".export-refused").as_deref(), Some("“To” cannot be before “From”."));
    let list = app.get(&b.client, "/airings?outlet=MED-VVN").await;
    list.assert_status(200);
    assert!(list.has(&format!("a[href=\"/airings/{id3}\"]")), "an outlet by its code");
    // Spanish.
    let es = app.get_with(&b.client, "/airings", &[("Accept-Language", "es")]).await;
    es.assert_status(200);
}

async fn bad_input_is_refused(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let b = browser(&app, LOGISTICS).await;
    let spot = app.material_id("SPOT");
    let vtv = app.location_id("MED-VTV");
    let poster = app.material_id("POSTER");
    let depot = app.location_id("DEP-CCS");
    let school = app.scalar(
        "SELECT MIN(l.id) FROM locations l JOIN location_types t ON t.id = l.location_type_id WHERE t.code = 'school'",
    );
    let rows = written(&app);

    let cases: Vec<(&str, Fields, &str)> = vec![
        ("zero times", airing_fields(spot, vtv, "0", &day(0)), "times"),
        ("negative times", airing_fields(spot, vtv, "-3", &day(0)), "times"),
        ("non-numeric times", airing_fields(spot, vtv, "tres", &day(0)), "times"),
        ("2147483648 times", airing_fields(spot, vtv, "2147483648", &day(0)), "times"),
        ("10001 times", airing_fields(spot, vtv, "10001", &day(0)), "times"),
        ("empty times", airing_fields(spot, vtv, "", &day(0)), "times"),
        ("future date", airing_fields(spot, vtv, "2", &day(2)), "aired_on"),
        ("bad date", airing_fields(spot, vtv, "2", "2006-02-30"), "aired_on"),
        ("a poster is not a spot", airing_fields(poster, vtv, "2", &day(0)), "material_id"),
        ("unknown material", airing_fields(999_999, vtv, "2", &day(0)), "material_id"),
        ("material id not a number", airing_fields(0, vtv, "2", &day(0)), "material_id"),
        ("a depot is not a media outlet", airing_fields(spot, depot, "2", &day(0)), "location_id"),
        ("a school is not a media outlet", airing_fields(spot, school, "2", &day(0)), "location_id"),
        ("unknown location", airing_fields(spot, 999_999, "2", &day(0)), "location_id"),
    ];
    for (what, fields, field) in cases {
        let page = post_once(&app, &b, "/airings/new", &fields).await;
        assert_refused(&page, what);
        assert!(page.field_error(field).is_some(), "{what}: message beside {field}\n{}", page.describe());
    }
    let mut long_slot = airing_fields(spot, vtv, "2", &day(0));
    long_slot[4] = f("time_slot", "x".repeat(41));
    assert_refused(&post_once(&app, &b, "/airings/new", &long_slot).await, "time slot of 41 characters");
    let mut long_programme = airing_fields(spot, vtv, "2", &day(0));
    long_programme[5] = f("programme", "p".repeat(121));
    assert_refused(&post_once(&app, &b, "/airings/new", &long_programme).await, "programme of 121 characters");
    let mut nul = airing_fields(spot, vtv, "2", &day(0));
    nul[5] = f("programme", "a\u{0}b");
    assert_refused(&post_once(&app, &b, "/airings/new", &nul).await, "control characters");
    // Without a submission key: refused, not a 500.
    let page = post(&app, &b, "/airings/new", &airing_fields(spot, vtv, "2", &day(0))).await;
    assert_refused(&page, "no submission key");
    assert_eq!(written(&app), rows, "refusals write nothing");

    // A deactivated outlet is not offered and is refused.
    let admin = browser(&app, ADMIN).await;
    let avila = app.location_id("MED-AVILA");
    app.exec(&format!("UPDATE locations SET is_active = false WHERE id = {avila}"));
    let form = app.get(&b.client, "/airings/new").await;
    assert!(!form.attrs("select[name=\"location_id\"] option", "value").contains(&avila.to_string()));
    assert_refused(&post_once(&app, &b, "/airings/new", &airing_fields(spot, avila, "2", &day(0))).await, "inactive");

    // The lock date applies to airings: on or before it is refused.
    let page = app.send(&admin, "/settings/lock-date", &[("lock_date", &day(-10))]).await;
    page.assert_see_other();
    for on in [day(-10), day(-30)] {
        let page = post_once(&app, &b, "/airings/new", &airing_fields(spot, vtv, "2", &on)).await;
        let message = assert_refused(&page, "inside the closed period");
        assert!(message.contains("closed"), "says the period is closed: {message}");
        assert!(page.field_error("aired_on").is_some(), "beside the date\n{}", page.describe());
    }
    assert_eq!(written(&app), rows, "refusals write nothing");
    airing_ok(&app, &b, spot, vtv, 2, &day(-9)).await;
    assert_eq!(app.count("airings"), rows[0].1 + 1);
}

async fn double_submission_records_once(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let b = browser(&app, LOGISTICS).await;
    let spot = app.material_id("SPOT");
    let rnv = app.location_id("MED-RNV");
    let before = app.count("airings");

    let mut fields = airing_fields(spot, rnv, "5", &day(0));
    fields.push(f("submission_key", submission_key()));
    let pages: Vec<Page> = join_all((0..10).map(|_| post(&app, &b, "/airings/new", &fields))).await;
    let locations: Vec<String> = pages.iter().map(|p| p.assert_see_other()).collect();
    assert!(locations.iter().all(|l| *l == locations[0]), "every response leads to the same airing: {locations:?}");
    assert!(id_in(&locations[0], "/airings/").is_some(), "{locations:?}");
    assert_eq!(app.count("airings"), before + 1, "exactly one airing row");
    assert_eq!(net_sql(&app, &format!("WHERE location_id = {rnv}")), 5, "counted once");

    // The same key with other content is refused.
    let mut other = airing_fields(spot, rnv, "6", &day(0));
    other.push(fields.last().cloned().expect("key"));
    assert_refused(&post(&app, &b, "/airings/new", &other).await, "same key, other content");
    assert_eq!(app.count("airings"), before + 1);
}

async fn reversal_nets_to_zero(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let b = browser(&app, LOGISTICS).await;
    let spot = app.material_id("SPOT");
    let globo = app.location_id("MED-GLOBO");
    let id = airing_ok(&app, &b, spot, globo, 5, &day(-3)).await;
    let filter =
        AiringFilter { location_id: Some(campaign_tracker::domain::LocationId(globo as i32)), ..Default::default() };
    assert_eq!(totals(&app, &filter).iter().map(|t| t.times).sum::<i64>(), 5);

    // A reason is required.
    let rows = written(&app);
    let page = post_once(&app, &b, &format!("/airings/{id}/reverse"), &vec![f("reason", "  ")]).await;
    assert_refused(&page, "reversal without a reason");
    assert_eq!(written(&app), rows);

    let page =
        post_once(&app, &b, &format!("/airings/{id}/reverse"), &vec![f("reason", "typed the wrong channel")]).await;
    assert_eq!(page.assert_see_other(), format!("/airings/{id}"));
    let correction = app.scalar(&format!("SELECT id FROM airings WHERE reverses_id = {id}"));
    assert_eq!(app.scalar(&format!("SELECT times FROM airings WHERE id = {correction}")), 5, "same times");
    assert_eq!(net_sql(&app, &format!("WHERE location_id = {globo}")), 0);
    assert_eq!(totals(&app, &filter).iter().map(|t| t.times).sum::<i64>(), 0, "the totals net to zero");
    assert_eq!(Airing::summary(&mut app.conn(), None, None, None).expect("summary"), (0, 0));
    assert_eq!(Airing::by_month(&mut app.conn(), &filter).expect("months").iter().map(|(_, n)| n).sum::<i64>(), 0);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'airing' AND action = 'reverse'"), 1);
    assert_eq!(app.count("stock_movements"), rows[2].1, "no stock touched");

    let list = app.get(&b.client, "/airings").await;
    list.assert_status(200);
    assert!(
        list.has(&format!("tr.reversed a[href=\"/airings/{id}\"]")),
        "original listed, reversed\n{}",
        list.describe()
    );
    assert!(list.has(&format!("a[href=\"/airings/{correction}\"]")), "correction listed\n{}", list.describe());
    let rows_text = table_rows(&list, "by-outlet");
    assert_eq!(rows_text, vec![vec!["Globovisión".to_string(), "Private".into(), "0".into()]], "0 for the outlet");
    let detail = app.get(&b.client, &format!("/airings/{id}")).await;
    detail.assert_status(200);
    assert!(detail.has("h1 .badge.off"), "marked reversed\n{}", detail.describe());
    assert!(!detail.has("form[action$=\"/reverse\"]"), "no second reversal offered");
    app.get(&b.client, &format!("/airings/{correction}")).await.assert_status(200);

    // Twice, or a correction itself: refused, nothing written.
    let rows = written(&app);
    let page = post_once(&app, &b, &format!("/airings/{id}/reverse"), &vec![f("reason", "again")]).await;
    let message = assert_refused(&page, "second reversal");
    assert!(message.to_lowercase().contains("already"), "{message}");
    let page = post_once(&app, &b, &format!("/airings/{correction}/reverse"), &vec![f("reason", "undo")]).await;
    assert_refused(&page, "reversal of a correction");
    assert_eq!(written(&app), rows);
    // Unknown ids are 404.
    let page = post_once(&app, &b, "/airings/999999/reverse", &vec![f("reason", "x")]).await;
    page.assert_status(404);
    app.get(&b.client, "/airings/999999").await.assert_status(404);
    app.get(&b.client, "/airings/abc").await.assert_status(404);

    // Concurrent reversals of one airing: one wins.
    let id = airing_ok(&app, &b, spot, globo, 2, &day(-3)).await;
    let path = format!("/airings/{id}/reverse");
    let pages: Vec<Page> = join_all((0..6).map(|n| {
        let fields = vec![f("reason", format!("duplicate {n}"))];
        let (app, b, path) = (&app, &b, &path);
        async move { post_once(app, b, path, &fields).await }
    }))
    .await;
    assert!(pages.iter().all(|p| p.status == 303 || p.status == 422), "303 or 422 only");
    assert_eq!(pages.iter().filter(|p| p.status == 303).count(), 1, "one reversal");
    assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM airings WHERE reverses_id = {id}")), 1);

    // Reversal inside the closed period is refused.
    let id = airing_ok(&app, &b, spot, globo, 2, &day(-20)).await;
    let admin = browser(&app, ADMIN).await;
    app.send(&admin, "/settings/lock-date", &[("lock_date", &day(-10))]).await.assert_see_other();
    let page = post_once(&app, &b, &format!("/airings/{id}/reverse"), &vec![f("reason", "late")]).await;
    assert_refused(&page, "reversal in the closed period");
}

async fn roles_on_airing_routes(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let spot = app.material_id("SPOT");
    let vtv = app.location_id("MED-VTV");
    let logistics = browser(&app, LOGISTICS).await;
    let id = airing_ok(&app, &logistics, spot, vtv, 1, &day(0)).await;
    let rows = written(&app);

    for (user, password) in [VIEWER, MANAGER] {
        let b = browser(&app, (user, password)).await;
        app.get(&b.client, "/airings").await.assert_status(200);
        let detail = app.get(&b.client, &format!("/airings/{id}")).await;
        detail.assert_status(200);
        assert!(!detail.has("form[action$=\"/reverse\"]"), "{user} is not offered a reversal");
        let list = app.get(&b.client, "/airings").await;
        assert!(!list.has("a[href=\"/airings/new\"]"), "{user} is not offered the form");
        app.get(&b.client, "/airings/new").await.assert_status(403);
        post_once(&app, &b, "/airings/new", &airing_fields(spot, vtv, "2", &day(0))).await.assert_status(403);
        post_once(&app, &b, &format!("/airings/{id}/reverse"), &vec![f("reason", "no")]).await.assert_status(403);
    }
    let admin = browser(&app, ADMIN).await;
    app.get(&admin.client, "/airings/new").await.assert_status(200);

    let anonymous = client();
    app.get(&anonymous, "/airings").await.assert_to_login();
    app.get(&anonymous, "/airings/new").await.assert_to_login();
    app.get(&anonymous, &format!("/airings/{id}")).await.assert_to_login();
    let token = app.csrf_token(&anonymous, "/login").await;
    let key = submission_key();
    let page = app
        .post_raw(
            &anonymous,
            "/airings/new",
            &[
                ("material_id", &spot.to_string()),
                ("location_id", &vtv.to_string()),
                ("times", "2"),
                ("submission_key", &key),
            ],
            Some(&token),
            &[],
        )
        .await;
    page.assert_to_login();
    assert_eq!(written(&app), rows, "no role without the permission wrote anything");
}

async fn region_limits_on_airings(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let admin = browser(&app, ADMIN).await;
    let tachira = app.region_id("VE-S");
    let (username, password) = app.create_user(campaign_tracker::domain::Role::Logistics);
    let user_id = app.user_id(&username);
    app.send(
        &admin,
        &format!("/users/{user_id}/edit"),
        &[("display_name", "Táchira Logistics"), ("role", "logistics"), ("region_ids", &tachira.to_string())],
    )
    .await
    .assert_see_other();
    let limited = browser(&app, (&username, &password)).await;
    let spot = app.material_id("SPOT");
    let trt = app.location_id("MED-TRT");
    let vtv = app.location_id("MED-VTV");

    let form = app.get(&limited.client, "/airings/new").await;
    form.assert_status(200);
    let offered = form.attrs("select[name=\"location_id\"] option", "value");
    assert_eq!(offered, vec![String::new(), trt.to_string()], "only the outlet in Táchira");

    let rows = written(&app);
    let page = post_once(&app, &limited, "/airings/new", &airing_fields(spot, vtv, "2", &day(0))).await;
    page.assert_status(403);
    assert_eq!(written(&app), rows, "nothing written outside the user's regions");
    let own = airing_ok(&app, &limited, spot, trt, 3, &day(0)).await;

    // Airings elsewhere are not theirs to see or reverse.
    let everyone = browser(&app, LOGISTICS).await;
    let elsewhere = airing_ok(&app, &everyone, spot, vtv, 2, &day(0)).await;
    app.get(&limited.client, &format!("/airings/{elsewhere}")).await.assert_status(404);
    let page = post_once(&app, &limited, &format!("/airings/{elsewhere}/reverse"), &vec![f("reason", "x")]).await;
    page.assert_status(404);
    let list = app.get(&limited.client, "/airings").await;
    list.assert_status(200);
    assert!(list.has(&format!("a[href=\"/airings/{own}\"]")));
    assert!(
        !list.has(&format!("a[href=\"/airings/{elsewhere}\"]")),
        "list limited to the regions\n{}",
        list.describe()
    );
    app.get(&limited.client, &format!("/airings/{own}")).await.assert_status(200);
}

async fn demo_loader_is_idempotent_and_adds_up(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let written_rows = campaign_tracker::demo::airings::load_airings(&mut app.conn()).expect("load_airings");
    let rows = app.count("airings");
    assert_eq!(written_rows as i64, rows);
    assert!((300..=2000).contains(&rows), "several hundred airings: {rows}");
    assert_eq!(campaign_tracker::demo::airings::load_airings(&mut app.conn()).expect("again"), 0, "idempotent");
    assert_eq!(app.count("airings"), rows, "the second call adds nothing");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'airing'"), 1, "one audit entry");

    // Only the spot, only MED- outlets of both ownerships, in the campaign period, 1–6 a day.
    let spot = app.material_id("SPOT");
    assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM airings WHERE material_id <> {spot}")), 0);
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM airings a JOIN locations l ON l.id = a.location_id WHERE l.code NOT LIKE 'MED-%'"
        ),
        0
    );
    for ownership in ["state", "private"] {
        let n = app.scalar(&format!(
            "SELECT COUNT(*) FROM airings a JOIN locations l ON l.id = a.location_id WHERE l.ownership = '{ownership}'"
        ));
        assert!(n > 20, "{ownership} outlets air the spot: {n}");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM airings WHERE times < 1 OR times > 6"), 0);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM airings WHERE aired_on < '2005-03-01' OR aired_on > '2006-11-30'"), 0);
    assert!(app.scalar("SELECT COUNT(*) FROM airings WHERE reverses_id IS NOT NULL") > 0, "some corrections");

    // The model's totals equal an independent SQL sum, overall, per outlet, and per period.
    let total = net_sql(&app, "");
    assert!(total > 0);
    let t = totals(&app, &AiringFilter::default());
    assert_eq!(t.iter().map(|t| t.times).sum::<i64>(), total);
    for outlet in t.iter().take(5) {
        assert_eq!(outlet.times, net_sql(&app, &format!("WHERE location_id = {}", outlet.location_id)));
    }
    let outlets_sql = app.scalar(
        "SELECT COUNT(*) FROM (SELECT location_id FROM airings GROUP BY location_id \
         HAVING SUM(CASE WHEN reverses_id IS NULL THEN times ELSE -times END) > 0) x",
    );
    assert_eq!(
        Airing::summary(&mut app.conn(), Some(campaign_tracker::domain::MaterialId(spot as i32)), None, None)
            .expect("summary"),
        (total, outlets_sql)
    );
    let from = chrono::NaiveDate::from_ymd_opt(2005, 9, 1);
    let to = chrono::NaiveDate::from_ymd_opt(2005, 12, 31);
    assert_eq!(
        Airing::net_total(&mut app.conn(), Some(campaign_tracker::domain::MaterialId(spot as i32)), from, to)
            .expect("net_total"),
        net_sql(&app, "WHERE aired_on >= '2005-09-01' AND aired_on <= '2005-12-31'")
    );
    let months = Airing::by_month(&mut app.conn(), &AiringFilter::default()).expect("by_month");
    assert_eq!(months.first().map(|m| m.0.as_str()), Some("2005-03"));
    assert_eq!(months.last().map(|m| m.0.as_str()), Some("2006-11"));
    assert_eq!(months.len(), 21, "every month from March 2005 to November 2006");
    assert_eq!(months.iter().map(|(_, n)| n).sum::<i64>(), total);

    // The pages show it.
    let b = browser(&app, VIEWER).await;
    let list = app.get(&b.client, "/airings").await;
    list.assert_status(200);
    assert_eq!(table_rows(&list, "by-month").len(), 21);
    let es = app.get_with(&b.client, "/airings?ownership=private&page=2", &[("Accept-Language", "es")]).await;
    es.assert_status(200);
}
