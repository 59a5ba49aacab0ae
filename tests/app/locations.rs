//! The locations list: filters by region, type, text and status, and pages of 50.

use crate::helpers::*;
use std::collections::BTreeSet;

both_backends!(locations_filters_and_pages, locations_deactivate_activate);

const PER_PAGE: usize = 50;

/// Locations a person manages. The system location for stock in transit (no region) is neither
/// listed nor shown.
const VISIBLE: &str = "region_id IS NOT NULL";

/// Every location id listed over all pages of `query` (asserting page sizes on the way).
async fn all_pages(app: &TestApp, browser: &reqwest::Client, query: &str) -> Vec<i64> {
    let mut ids = Vec::new();
    for page_number in 1..=40 {
        let path = format!("/locations?{query}&page={page_number}");
        let page = app.get(browser, &path).await;
        page.assert_status(200);
        let listed = page.linked_ids("/locations/");
        assert!(listed.len() <= PER_PAGE, "{path} lists {} (> 50)", listed.len());
        if listed.is_empty() {
            break;
        }
        let full = listed.len() == PER_PAGE;
        ids.extend(listed);
        if !full {
            break;
        }
    }
    ids
}

fn set(ids: &[i64]) -> BTreeSet<i64> {
    ids.iter().copied().collect()
}

async fn locations_filters_and_pages(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let viewer = app.signed_in(VIEWER.0, VIEWER.1).await;
    let total = app.scalar(&format!("SELECT COUNT(*) FROM locations WHERE {VISIBLE}"));
    assert!(total > 100, "demo has enough locations to page ({total})");

    // Pagination: 50 per page, nothing lost, nothing repeated.
    let first = app.get(&viewer, "/locations?status=all").await;
    first.assert_status(200);
    assert_eq!(first.linked_ids("/locations/").len(), PER_PAGE, "first page has 50\n{}", first.describe());
    let page2 = app.get(&viewer, "/locations?status=all&page=2").await;
    page2.assert_status(200);
    let overlap: Vec<i64> =
        page2.linked_ids("/locations/").into_iter().filter(|id| first.linked_ids("/locations/").contains(id)).collect();
    assert!(overlap.is_empty(), "page 2 repeats page 1: {overlap:?}");
    let listed = all_pages(&app, &viewer, "status=all").await;
    assert_eq!(listed.len() as i64, total, "all pages together list every location once");
    assert_eq!(
        set(&listed),
        set(&app.numbers(&format!("SELECT CAST(id AS BIGINT) AS n FROM locations WHERE {VISIBLE}")))
    );
    let last_page = (total as usize).div_ceil(PER_PAGE);
    let last = app.get(&viewer, &format!("/locations?status=all&page={last_page}")).await;
    assert_eq!(
        last.linked_ids("/locations/").len(),
        total as usize - (last_page - 1) * PER_PAGE,
        "last page holds the rest"
    );
    // Past the end: no rows (or the last page), never an error.
    let beyond = app.get(&viewer, &format!("/locations?status=all&page={}", last_page + 5)).await;
    beyond.assert_status(200);

    // By region: the region with the most locations.
    let regions = app.numbers(&format!(
        "SELECT CAST(region_id AS BIGINT) AS n FROM locations WHERE {VISIBLE} GROUP BY region_id ORDER BY COUNT(*) DESC, region_id"
    ));
    let region = regions[0];
    let expected = app.numbers(&format!("SELECT CAST(id AS BIGINT) AS n FROM locations WHERE region_id = {region}"));
    let listed = all_pages(&app, &viewer, &format!("region={region}&status=all")).await;
    assert_eq!(set(&listed), set(&expected), "region filter");
    assert_eq!(listed.len(), expected.len());

    // By type.
    let location_type = app.numbers(&format!(
        "SELECT CAST(location_type_id AS BIGINT) AS n FROM locations WHERE {VISIBLE} GROUP BY location_type_id ORDER BY COUNT(*) ASC, location_type_id"
    ))[0];
    let expected = app.numbers(&format!(
        "SELECT CAST(id AS BIGINT) AS n FROM locations WHERE {VISIBLE} AND location_type_id = {location_type}"
    ));
    let listed = all_pages(&app, &viewer, &format!("type={location_type}&status=all")).await;
    assert_eq!(set(&listed), set(&expected), "type filter");

    // Region and type together.
    let expected = app.numbers(&format!(
        "SELECT CAST(id AS BIGINT) AS n FROM locations WHERE region_id = {region} AND location_type_id = {location_type}"
    ));
    let listed = all_pages(&app, &viewer, &format!("region={region}&type={location_type}&status=all")).await;
    assert_eq!(set(&listed), set(&expected), "region + type filter");

    // Text: a location's full code finds it; every hit mentions the text somewhere.
    let code =
        app.strings(&format!("SELECT code AS s FROM locations WHERE {VISIBLE} ORDER BY id DESC LIMIT 1")).remove(0);
    let target = app.scalar(&format!("SELECT id FROM locations WHERE code = {}", lit(&code)));
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("q", &code.to_lowercase())
        .append_pair("status", "all")
        .finish();
    let listed = all_pages(&app, &viewer, &query).await;
    assert!(listed.contains(&target), "q={code} finds location {target}: {listed:?}");
    assert!(listed.len() < total as usize, "the text filter filters");
    // A name fragment: every listed location has it in some text column.
    let name = app.strings(&format!("SELECT name AS s FROM locations WHERE id = {target}")).remove(0);
    let fragment: String = name.chars().take(6).collect();
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("q", &fragment)
        .append_pair("status", "all")
        .finish();
    let listed = all_pages(&app, &viewer, &query).await;
    assert!(listed.contains(&target), "q={fragment:?} finds {name:?}");
    let needle = fragment.to_lowercase();
    for id in &listed {
        let texts = app.strings(&format!(
            "SELECT code AS s FROM locations WHERE id = {id} UNION ALL SELECT name FROM locations WHERE id = {id} \
             UNION ALL SELECT city FROM locations WHERE id = {id} UNION ALL SELECT contact FROM locations WHERE id = {id}"
        ));
        assert!(
            texts.iter().any(|t| t.to_lowercase().contains(&needle)),
            "location {id} ({texts:?}) listed for q={fragment:?}"
        );
    }
    // Nothing matches.
    let none = app.get(&viewer, "/locations?q=zzzz-no-such-place-zzzz&status=all").await;
    none.assert_status(200);
    assert!(none.linked_ids("/locations/").is_empty());
    // LIKE wildcards are literal.
    let wild = app.get(&viewer, "/locations?q=%25&status=all").await;
    wild.assert_status(200);
    assert!(
        wild.linked_ids("/locations/").len() < PER_PAGE || total < PER_PAGE as i64,
        "q=% must not match everything"
    );

    // Status: deactivate two locations directly.
    let inactive =
        app.numbers(&format!("SELECT CAST(id AS BIGINT) AS n FROM locations WHERE {VISIBLE} ORDER BY id LIMIT 2"));
    app.exec(&format!("UPDATE locations SET is_active = false WHERE id IN ({}, {})", inactive[0], inactive[1]));
    let listed = all_pages(&app, &viewer, "status=inactive").await;
    assert_eq!(set(&listed), set(&inactive), "status=inactive");
    let listed = all_pages(&app, &viewer, "status=active").await;
    assert_eq!(listed.len() as i64, total - 2, "status=active");
    assert!(!listed.contains(&inactive[0]));
    let listed = all_pages(&app, &viewer, "status=all").await;
    assert_eq!(listed.len() as i64, total, "status=all");

    // A filter the list cannot use is refused beside its field, and by the download alike.
    for (query, field, message) in [
        ("status=gone", "status", "Unknown status (use active, inactive or all): gone"),
        ("region=NOPE", "region", "Unknown region: NOPE"),
        ("type=99999999", "type", "Unknown location type: 99999999"),
    ] {
        let page = app.get(&viewer, &format!("/locations?{query}")).await;
        assert_eq!(page.status, 422, "{query}\n{}", page.describe());
        assert_eq!(page.field_error(field).as_deref(), Some(message), "{query}\n{}", page.describe());
        assert!(page.linked_ids("/locations/").is_empty(), "{query}: no rows");
        let export = app.get(&viewer, &format!("/export/locations.csv?{query}")).await;
        assert_eq!(export.status, 400, "export {query}");
        assert_eq!(export.text(".export-refused").as_deref(), Some(message), "export {query}");
    }
    let page = app.get(&viewer, &format!("/locations?q={}", "x".repeat(101))).await;
    assert_eq!(page.status, 422);
    assert_eq!(page.field_error("q").as_deref(), Some("At most 100 characters."));
    let page = app.get(&viewer, "/locations?region=VE-A&type=school").await;
    assert_eq!(page.status, 200, "codes are as good as ids\n{}", page.describe());
}

async fn locations_deactivate_activate(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let admin = app.signed_in(ADMIN.0, ADMIN.1).await;
    let id = app.scalar(&format!("SELECT MAX(id) FROM locations WHERE {VISIBLE}"));
    let detail = format!("/locations/{id}");
    app.get(&admin, &detail).await.assert_status(200);

    let page = app.post_form_from(&admin, &detail, &format!("/locations/{id}/deactivate"), &[]).await;
    page.assert_see_other();
    assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM locations WHERE id = {id} AND is_active = false")), 1);
    // Still viewable.
    app.get(&admin, &detail).await.assert_status(200);
    let page = app.post_form_from(&admin, &detail, &format!("/locations/{id}/activate"), &[]).await;
    let next = page.assert_see_other();
    assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM locations WHERE id = {id} AND is_active = true")), 1);
    let shown = app.get(&admin, &next).await;
    assert!(shown.has(".flash"), "flash after activate\n{}", shown.describe());
    // Unknown ids: 404.
    let token = app.csrf_token(&admin, &detail).await;
    app.post_raw(&admin, "/locations/99999999/deactivate", &[], Some(&token), &[]).await.assert_status(404);
}
