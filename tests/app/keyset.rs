//! Keyset pages: following "next" from the first page and "previous" from the last meets every
//! row exactly once, in every order the shipments list offers and on the receipts and airings
//! lists, with ties in the sort key; a key that matches no row still lands on a page; a page's rows are the
//! first rows of its export.

use crate::helpers::*;
use std::collections::BTreeSet;

both_backends!(walks_meet_every_row_once, stale_and_bogus_keys_land_on_a_page);

async fn with_history(backend: Backend) -> TestApp {
    let app = spawn_demo_app(backend).await;
    {
        let mut conn = app.conn();
        campaign_tracker::demo::history::load_history(&mut conn, 1, &mut |_, _| {}).expect("history");
        campaign_tracker::demo::airings::load_airings(&mut conn).expect("airings");
    }
    // Ties: a third of the shipments changed at the same instant.
    exec_sql(&mut app.conn(), "UPDATE shipments SET updated_at = '2006-06-01 12:00:00' WHERE id % 3 = 0");
    app
}

/// Ids a list shows, following `rel` links from `start` to the end.
async fn walk(app: &TestApp, client: &reqwest::Client, start: &str, rel: &str, prefix: &str) -> Vec<i64> {
    let mut pages: Vec<Vec<i64>> = Vec::new();
    let mut path = start.to_string();
    for _ in 0..200 {
        let page = app.get(client, &path).await;
        page.assert_status(200);
        let ids: Vec<i64> = page
            .attrs("main table tbody a[href]", "href")
            .iter()
            .filter_map(|h| h.strip_prefix(prefix).and_then(|r| r.parse().ok()))
            .collect();
        assert!(ids.len() <= 50, "{path}: {} rows", ids.len());
        pages.push(ids);
        match page.attr(&format!("a[rel=\"{rel}\"]"), "href") {
            Some(next) => path = next,
            None => {
                if rel == "prev" {
                    pages.reverse();
                }
                return pages.concat();
            }
        }
    }
    panic!("{start}: the walk did not end");
}

async fn walks_meet_every_row_once(backend: Backend) {
    let app = with_history(backend).await;
    let viewer = app.signed_in(VIEWER.0, VIEWER.1).await;
    let all: BTreeSet<i64> = app.numbers("SELECT CAST(id AS BIGINT) AS n FROM shipments").into_iter().collect();
    assert!(all.len() > 500, "enough shipments to page ({})", all.len());
    for sort in ["", "&sort=oldest", "&sort=reference", "&sort=status"] {
        let forwards = walk(&app, &viewer, &format!("/shipments?dest={sort}"), "next", "/shipments/").await;
        let backwards = walk(&app, &viewer, &format!("/shipments?last=1{sort}"), "prev", "/shipments/").await;
        assert_eq!(forwards.len(), all.len(), "{sort}: every shipment once going forwards");
        assert_eq!(forwards.iter().copied().collect::<BTreeSet<_>>(), all, "{sort}: the same shipments");
        assert_eq!(backwards, forwards, "{sort}: the same order walking back from the last page");
    }
    // With a filter: delivered points only.
    let delivered: BTreeSet<i64> = app
        .numbers("SELECT CAST(s.id AS BIGINT) AS n FROM shipments s JOIN locations l ON l.id = s.destination_id WHERE s.status = 'delivered' AND l.is_depot = FALSE")
        .into_iter()
        .collect();
    let forwards = walk(&app, &viewer, "/shipments?status=delivered&dest=points", "next", "/shipments/").await;
    assert_eq!(forwards.len(), delivered.len());
    assert_eq!(forwards.iter().copied().collect::<BTreeSet<_>>(), delivered);

    // Material, destination region and type (points only): the dashboard's drill-down.
    let (poster, lara) =
        (app.material_id("POSTER"), app.scalar("SELECT CAST(id AS BIGINT) FROM regions WHERE code = 'VE-K'"));
    let school = app.scalar("SELECT CAST(id AS BIGINT) FROM location_types WHERE code = 'school'");
    let drilled: BTreeSet<i64> = app
        .numbers(&format!(
            "SELECT CAST(s.id AS BIGINT) AS n FROM shipments s JOIN locations d ON d.id = s.destination_id \
             WHERE d.region_id = {lara} AND d.location_type_id = {school} AND d.is_depot = FALSE \
             AND EXISTS (SELECT 1 FROM shipment_lines l WHERE l.shipment_id = s.id AND l.material_id = {poster})"
        ))
        .into_iter()
        .collect();
    assert!(!drilled.is_empty());
    let path = format!("/shipments?material={poster}&region={lara}&type={school}&dest=points");
    let found = walk(&app, &viewer, &path, "next", "/shipments/").await;
    assert_eq!(found.len(), drilled.len(), "{path}: each once");
    assert_eq!(found.iter().copied().collect::<BTreeSet<_>>(), drilled, "{path}");
    let by_material: BTreeSet<i64> = app
        .numbers(&format!(
            "SELECT DISTINCT CAST(shipment_id AS BIGINT) AS n FROM shipment_lines WHERE material_id = {poster}"
        ))
        .into_iter()
        .collect();
    let found = walk(&app, &viewer, &format!("/shipments?material={poster}"), "next", "/shipments/").await;
    assert_eq!(found.iter().copied().collect::<BTreeSet<_>>(), by_material, "by material alone");

    // Text: part of a place's name (either end) or of the reference, any case; "_" is literal.
    let liceo: BTreeSet<i64> = app
        .numbers(
            "SELECT CAST(s.id AS BIGINT) AS n FROM shipments s JOIN locations o ON o.id = s.origin_id \
             JOIN locations d ON d.id = s.destination_id WHERE lower(d.name) LIKE '%liceo%' OR lower(o.name) LIKE '%liceo%'",
        )
        .into_iter()
        .collect();
    assert!(!liceo.is_empty());
    let found = walk(&app, &viewer, "/shipments?q=LICEO", "next", "/shipments/").await;
    assert_eq!(found.iter().copied().collect::<BTreeSet<_>>(), liceo, "a place's name finds its shipments");
    let one = walk(&app, &viewer, "/shipments?q=sh-000012", "next", "/shipments/").await;
    assert_eq!(one, vec![app.scalar("SELECT CAST(id AS BIGINT) FROM shipments WHERE reference = 'SH-000012'")]);
    assert!(walk(&app, &viewer, "/shipments?q=li_eo", "next", "/shipments/").await.is_empty(), "_ matches only itself");
    // Three characters or more are looked up in the reference index: pieces of many
    // references page like any list, a renamed reference is found by its new name only, and a
    // text nothing holds is an empty list.
    let many: BTreeSet<i64> = app
        .numbers("SELECT CAST(id AS BIGINT) AS n FROM shipments WHERE lower(reference) LIKE '%h-0000%'")
        .into_iter()
        .collect();
    assert!(many.len() > 50, "enough references to page ({})", many.len());
    let found = walk(&app, &viewer, "/shipments?q=H-0000", "next", "/shipments/").await;
    assert_eq!(found.len(), many.len(), "each once");
    assert_eq!(found.iter().copied().collect::<BTreeSet<_>>(), many);
    let renamed = app.scalar("SELECT CAST(MIN(id) AS BIGINT) FROM shipments");
    let old = app.strings(&format!("SELECT reference AS s FROM shipments WHERE id = {renamed}")).remove(0);
    exec_sql(&mut app.conn(), &format!("UPDATE shipments SET reference = 'Lote \"Qx\" 7' WHERE id = {renamed}"));
    assert_eq!(walk(&app, &viewer, "/shipments?q=%22qx%22", "next", "/shipments/").await, vec![renamed]);
    let by_old = walk(&app, &viewer, &format!("/shipments?q={old}"), "next", "/shipments/").await;
    assert!(!by_old.contains(&renamed), "{old} still found after the rename");
    // What a page of few matches gathers through the index is what a walk and the download
    // find, letters beyond ASCII included (SQLite's FTS5 folds their case, its LIKE does not).
    let accented = app.scalar("SELECT CAST(MAX(id) AS BIGINT) FROM shipments");
    exec_sql(&mut app.conn(), &format!("UPDATE shipments SET reference = 'LOTE-ÑUÑOA-9' WHERE id = {accented}"));
    for text in ["%C3%B1u%C3%B1oa", "%C3%91U%C3%91OA", "LOTE-%C3%91", "lote-"] {
        let listed = walk(&app, &viewer, &format!("/shipments?q={text}"), "next", "/shipments/").await;
        let export = app.get(&viewer, &format!("/export/shipments.csv?q={text}")).await;
        let exported: Vec<String> = csv::Reader::from_reader(export.body.as_bytes())
            .records()
            .map(|r| r.expect("a CSV record")[0].to_string())
            .collect();
        let mut listed_references: Vec<String> = listed
            .iter()
            .map(|id| app.strings(&format!("SELECT reference AS s FROM shipments WHERE id = {id}")).remove(0))
            .collect();
        listed_references.sort();
        let mut exported = exported;
        exported.sort();
        assert_eq!(listed_references, exported, "q={text}: the page and the download disagree");
        if text == "lote-" {
            assert_eq!(listed, vec![accented], "the ASCII part finds it");
        }
    }
    let page = app.get(&viewer, "/shipments?q=zqxj").await;
    assert_eq!(page.status, 200);
    assert!(walk(&app, &viewer, "/shipments?q=zqxj", "next", "/shipments/").await.is_empty());

    // Receipts, with ties on the date.
    exec_sql(&mut app.conn(), "UPDATE receipts SET received_on = '2005-06-01' WHERE id % 2 = 0");
    let receipts: BTreeSet<i64> = app.numbers("SELECT CAST(id AS BIGINT) AS n FROM receipts").into_iter().collect();
    let forwards = walk(&app, &viewer, "/receipts?reversed=", "next", "/receipts/").await;
    let backwards = walk(&app, &viewer, "/receipts?last=1", "prev", "/receipts/").await;
    assert_eq!(forwards.len(), receipts.len());
    assert_eq!(forwards.iter().copied().collect::<BTreeSet<_>>(), receipts);
    assert_eq!(backwards, forwards);

    // Airings, with ties on the day.
    exec_sql(&mut app.conn(), "UPDATE airings SET aired_on = '2005-06-01' WHERE id % 2 = 0");
    let airings: BTreeSet<i64> = app.numbers("SELECT CAST(id AS BIGINT) AS n FROM airings").into_iter().collect();
    assert!(airings.len() > 50, "enough airings to page ({})", airings.len());
    let forwards = walk(&app, &viewer, "/airings", "next", "/airings/").await;
    let backwards = walk(&app, &viewer, "/airings?last=1", "prev", "/airings/").await;
    assert_eq!(forwards.len(), airings.len(), "every airing once");
    assert_eq!(forwards.iter().copied().collect::<BTreeSet<_>>(), airings);
    assert_eq!(backwards, forwards, "the same order walking back from the last page");

    // The first page is the first rows of the export with the same filters.
    let page = app.get(&viewer, "/shipments?status=delivered&sort=reference").await;
    let shown: Vec<String> = page.texts("main table tbody tr td:first-child a");
    let export = app.get(&viewer, "/export/shipments.csv?status=delivered").await;
    let mut references: Vec<String> = csv::Reader::from_reader(export.body.as_bytes())
        .records()
        .map(|r| r.expect("a CSV record")[0].to_string())
        .collect();
    references.sort();
    assert_eq!(shown, references[..shown.len()].to_vec(), "the page's references are the export's first, in order");
}

async fn stale_and_bogus_keys_land_on_a_page(backend: Backend) {
    let app = with_history(backend).await;
    let viewer = app.signed_in(VIEWER.0, VIEWER.1).await;
    for path in [
        "/shipments?after=nonsense",
        "/shipments?before=%00%FF~x",
        "/shipments?after=2099-01-01T00:00:00.000000~999999999",
        "/shipments?before=1900-01-01T00:00:00.000000~1",
        "/shipments?sort=status&after=zzz~-5",
        "/shipments?page=7",
        "/receipts?after=2005-02-30~1",
        "/airings?page=7",
        "/airings?after=2005-02-30~1",
        "/airings?before=1800-01-01~0",
        "/receipts?before=1800-01-01~0",
        "/stock/materials/1?after=9999-12-31~2147483647",
    ] {
        let page = app.get(&viewer, path).await;
        assert_eq!(page.status, 200, "{path}\n{}", page.describe());
    }
    // A key between rows (its shipment gone from the filter) lands on the rows after it.
    let first = app.get(&viewer, "/shipments?status=delivered").await;
    let next = first.attr("a[rel=\"next\"]", "href").expect("a next page");
    let second_ids = app.get(&viewer, &next).await.linked_ids("/shipments/");
    let key_id: i64 =
        next.rsplit("%7E").next().and_then(|s| s.split('&').next()).and_then(|s| s.parse().ok()).expect("the key's id");
    let last_shown = *first.linked_ids("/shipments/").last().expect("rows");
    assert_eq!(key_id, last_shown, "the next link carries the last row's key");
    exec_sql(&mut app.conn(), &format!("UPDATE shipments SET status = 'cancelled' WHERE id = {key_id}"));
    let again = app.get(&viewer, &next).await;
    again.assert_status(200);
    assert_eq!(
        again.linked_ids("/shipments/").first(),
        second_ids.first(),
        "the page after a vanished key starts at the same row"
    );
}
