//! Names sort as Spanish readers expect on both backends: the stored sort key, not the bytes of
//! the name, orders the locations list and the destination picker; keys missing after an upgrade
//! are filled in when the database is migrated.

use crate::helpers::*;

both_backends!(places_sort_in_spanish_order, missing_sort_keys_are_filled_on_migrate);

/// Adds places named `names` in one region through the real form; gives their codes in order.
async fn add_places(app: &TestApp, admin: &reqwest::Client, region_id: i64, type_id: i64, names: &[&str]) {
    for (i, name) in names.iter().enumerate() {
        let code = format!("ORD-{i}");
        let page = app
            .post_form_from(
                admin,
                "/locations/new",
                "/locations/new",
                &[
                    ("code", &code),
                    ("name", name),
                    ("location_type_id", &type_id.to_string()),
                    ("region_id", &region_id.to_string()),
                    ("city", "Ciudad"),
                    ("country", "VE"),
                    ("ownership", ""),
                    ("contact", ""),
                ],
            )
            .await;
        page.assert_see_other();
    }
}

async fn places_sort_in_spanish_order(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let admin = app.signed_in(ADMIN.0, ADMIN.1).await;
    let region = app.scalar("SELECT id FROM regions WHERE code = 'VE-K'");
    let school = app.scalar("SELECT id FROM location_types WHERE code = 'school'");
    // Byte order would give Curazao, Cúcuta, Escuela 10, Escuela 2, Miranda, Mérida, Zamora, ñame, nube.
    add_places(
        &app,
        &admin,
        region,
        school,
        &[
            "Zamora Ord",
            "Miranda Ord",
            "Mérida Ord",
            "Curazao Ord",
            "Cúcuta Ord",
            "Escuela Ord 10",
            "Escuela Ord 2",
            "ñame Ord",
            "nube Ord",
        ],
    )
    .await;
    let expected = [
        "Cúcuta Ord",
        "Curazao Ord",
        "Escuela Ord 2",
        "Escuela Ord 10",
        "Mérida Ord",
        "Miranda Ord",
        "nube Ord",
        "ñame Ord",
        "Zamora Ord",
    ];

    let viewer = app.signed_in(VIEWER.0, VIEWER.1).await;
    let list = app.get(&viewer, "/locations?q=ord-&status=all").await;
    list.assert_status(200);
    let names: Vec<String> = list
        .texts("main table tbody tr a[href^='/locations/']")
        .into_iter()
        .filter(|t| t.ends_with("Ord") || t.contains("Ord "))
        .collect();
    assert_eq!(names, expected, "the locations list in Spanish order\n{}", list.describe());

    // The destination picker: the same order within the region, each place with code and type.
    let clerk = app.signed_in(LOGISTICS.0, LOGISTICS.1).await;
    let form = app.get(&clerk, "/shipments/new").await;
    form.assert_status(200);
    let picked: Vec<String> = form
        .texts(&format!("#destination_id option[data-region='{region}']"))
        .into_iter()
        .filter(|t| t.contains(" Ord"))
        .collect();
    let picked_names: Vec<&str> = picked.iter().map(|t| t.split(" — ").next().unwrap_or("")).collect();
    assert_eq!(picked_names, expected, "the picker in Spanish order\n{picked:?}");
    assert!(
        picked[0].contains("ORD-4") && picked[0].contains("School") && picked[0].contains("Ciudad"),
        "code, type and city shown: {}",
        picked[0]
    );
    assert!(form.has("[data-filters=destination_id] #destination_region"), "a region filter for the picker");
    assert!(form.has(&format!("#destination_type option[value='{school}']")), "a type filter for the picker");
}

async fn missing_sort_keys_are_filled_on_migrate(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let blank = match backend {
        Backend::Sqlite => "x''",
        Backend::Postgres => "''::bytea",
    };
    exec_sql(&mut app.conn(), &format!("UPDATE locations SET sort_key = {blank} WHERE code LIKE 'DEP-%'"));
    exec_sql(&mut app.conn(), &format!("UPDATE regions SET sort_key = {blank}"));
    let blanks = format!("SELECT COUNT(*) FROM locations WHERE sort_key = {blank}");
    assert!(app.scalar(&blanks) > 0);
    campaign_tracker::db::run_migrations(&mut app.conn()).expect("migrate");
    assert_eq!(app.scalar(&blanks), 0, "every location keyed again");
    assert_eq!(
        app.scalar(&format!("SELECT COUNT(*) FROM regions WHERE sort_key = {blank}")),
        0,
        "every region keyed again"
    );

    // Another collation version re-keys every row, not only the blank ones.
    exec_sql(
        &mut app.conn(),
        "UPDATE locations SET sort_key = name_bytes_placeholder"
            .replace(
                "name_bytes_placeholder",
                match backend {
                    Backend::Sqlite => "x'00'",
                    Backend::Postgres => "'\\x00'::bytea",
                },
            )
            .as_str(),
    );
    exec_sql(&mut app.conn(), "UPDATE app_settings SET value = 'an older collation' WHERE key = 'collation_version'");
    campaign_tracker::db::run_migrations(&mut app.conn()).expect("migrate");
    let stale = match backend {
        Backend::Sqlite => "SELECT COUNT(*) FROM locations WHERE sort_key = x'00'",
        Backend::Postgres => "SELECT COUNT(*) FROM locations WHERE sort_key = '\\x00'::bytea",
    };
    assert_eq!(app.scalar(stale), 0, "a new collation version re-keys every place");
    let viewer = app.signed_in(VIEWER.0, VIEWER.1).await;
    app.get(&viewer, "/locations").await.assert_status(200);
}
