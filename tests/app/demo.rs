//! The demo data set: exact contents, and loading it twice changes nothing.

use crate::helpers::*;

both_backends!(demo_idempotent_and_exact);

/// Every table of the database (including diesel's migration table).
pub fn table_names(app: &TestApp) -> Vec<String> {
    let mut names = match app.backend {
        Backend::Sqlite => app.strings(
            "SELECT name AS s FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        ),
        Backend::Postgres => app.strings(
            "SELECT CAST(table_name AS TEXT) AS s FROM information_schema.tables \
             WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name",
        ),
    };
    names.sort();
    names
}

fn row_counts(app: &TestApp) -> Vec<(String, i64)> {
    table_names(app)
        .into_iter()
        .map(|t| {
            let n = app.count(&format!("\"{t}\""));
            (t, n)
        })
        .collect()
}

async fn demo_idempotent_and_exact(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let first = row_counts(&app);
    {
        let mut conn = app.conn();
        campaign_tracker::demo::load(&mut conn).unwrap_or_else(|e| panic!("second demo::load: {e:?}"));
    }
    let second = row_counts(&app);
    assert_eq!(first, second, "a second demo load changes no row count (audit_log included)");
    assert!(first.iter().any(|(t, _)| t == "audit_log"));

    // Exact reference data.
    assert_eq!(app.count("campaigns"), 1);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM campaigns WHERE code = 'VE-TIP-2005'"), 1);
    let mut conn = app.conn();
    let mut quantities = string_numbers(
        &mut conn,
        "SELECT code AS s, CAST(planned_quantity AS BIGINT) AS n FROM materials ORDER BY code",
    );
    drop(conn);
    quantities.sort();
    let mut expected: Vec<(String, i64)> =
        [("BANNER", 84), ("FLIER", 50000), ("IOM-LEAFLET", 5000), ("PAMPHLET", 30000), ("POSTER", 60000), ("SPOT", 4)]
            .iter()
            .map(|(c, n)| (c.to_string(), *n))
            .collect();
    expected.sort();
    assert_eq!(quantities, expected, "demo materials and planned quantities");
    let campaign = app.scalar("SELECT id FROM campaigns WHERE code = 'VE-TIP-2005'");
    assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM materials WHERE campaign_id = {campaign}")), 6);

    assert_eq!(app.count("regions"), 26, "25 states + ABROAD");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM regions WHERE code LIKE 'VE-%'"), 25);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM regions WHERE code = 'ABROAD'"), 1);
    assert!(app.count("locations") >= 200, "at least 200 demo locations");
    assert!(app.count("location_types") >= 1);

    // The demo users exist with their roles and passwords.
    for (user, role) in [("admin", "admin"), ("manager", "manager"), ("logistics", "logistics"), ("viewer", "viewer")] {
        assert_eq!(
            app.strings(&format!("SELECT role AS s FROM users WHERE username = {}", lit(user))),
            vec![role.to_string()]
        );
    }
    for (user, password) in [ADMIN, MANAGER, LOGISTICS, VIEWER] {
        app.signed_in(user, password).await;
    }

    // The quantities are on the materials page, as numbers a person reads (60000 or 60,000 …).
    let viewer = app.signed_in(VIEWER.0, VIEWER.1).await;
    let page = app.get(&viewer, &format!("/materials?campaign={campaign}")).await;
    page.assert_status(200);
    let digits: String = page.body.chars().filter(|c| !matches!(c, ',' | '.' | '\u{a0}' | '\u{202f}')).collect();
    for code in ["POSTER", "FLIER", "PAMPHLET", "BANNER", "IOM-LEAFLET", "SPOT"] {
        assert!(page.body.contains(code), "{code} on the materials page\n{}", page.describe());
    }
    for quantity in ["60000", "50000", "30000", "5000"] {
        assert!(digits.contains(quantity), "{quantity} on the materials page");
    }
}
