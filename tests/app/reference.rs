//! Admin writes to reference data: regions, location types, campaigns, materials, locations.

use crate::helpers::*;

both_backends!(reference_data_writes);

async fn reference_data_writes(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let admin = app.signed_in(ADMIN.0, ADMIN.1).await;

    // Region: create (abroad, with tile position), list, edit, duplicate code.
    let regions = app.count("regions");
    let fields = [
        ("code", "xx-test"),
        ("name_es", "Región de prueba"),
        ("tile_col", "3"),
        ("tile_row", "4"),
        ("is_abroad", "on"),
    ];
    let page = app.post_form(&admin, "/regions/new", &fields).await;
    let next = page.assert_see_other();
    assert!(app.get(&admin, &next).await.has(".flash"));
    assert_eq!(app.count("regions"), regions + 1);
    let region = app.scalar("SELECT id FROM regions WHERE code = 'XX-TEST'");
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM regions WHERE id = {region} AND is_abroad = true AND tile_col = 3 AND tile_row = 4"
        )),
        1
    );
    let list = app.get(&admin, "/regions").await;
    list.assert_status(200);
    assert!(list.body.contains("Región de prueba"), "{}", list.describe());
    let edit = format!("/regions/{region}/edit");
    let form = app.get(&admin, &edit).await;
    form.assert_status(200);
    assert_eq!(form.input_value("name_es").as_deref(), Some("Región de prueba"));
    assert!(form.has("input[name=\"is_abroad\"][checked]"), "checkbox kept\n{}", form.describe());
    // Unchecking the box (the field is simply absent) clears the flag.
    let fields = [("code", "XX-TEST"), ("name_es", "Región editada"), ("tile_col", ""), ("tile_row", "")];
    app.post_form(&admin, &edit, &fields).await.assert_see_other();
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM regions WHERE id = {region} AND is_abroad = false AND name_es = 'Región editada'"
        )),
        1
    );
    let fields = [("code", "VE-A"), ("name_es", "Copia"), ("tile_col", "x"), ("tile_row", "")];
    let page = app.post_form(&admin, "/regions/new", &fields).await;
    assert_eq!(page.status, 422, "{}", page.describe());
    assert!(page.field_error("tile_col").is_some(), "{}", page.describe());
    let fields = [("code", "VE-A"), ("name_es", "Copia"), ("tile_col", ""), ("tile_row", "")];
    let page = app.post_form(&admin, "/regions/new", &fields).await;
    assert_eq!(page.status, 422, "duplicate region code\n{}", page.describe());
    assert!(page.field_error("code").is_some(), "{}", page.describe());
    assert_eq!(app.count("regions"), regions + 1);

    // Location type: create a depot type, edit it, duplicate code.
    let types = app.count("location_types");
    let fields =
        [("code", "TEST-DEPOT"), ("name_en", "Test depot"), ("name_es", "Depósito de prueba"), ("is_depot", "on")];
    app.post_form(&admin, "/location-types/new", &fields).await.assert_see_other();
    assert_eq!(app.count("location_types"), types + 1);
    let location_type = app.scalar("SELECT id FROM location_types WHERE UPPER(code) = 'TEST-DEPOT'");
    assert_eq!(
        app.scalar(&format!("SELECT COUNT(*) FROM location_types WHERE id = {location_type} AND is_depot = true")),
        1
    );
    let list = app.get(&admin, "/location-types").await;
    assert!(list.body.contains("Test depot"), "{}", list.describe());
    let list_es = app.get_with(&client(), "/location-types", &[]).await;
    list_es.assert_to_login();
    let page = app.post_form(&admin, "/location-types/new", &fields).await;
    assert_eq!(page.status, 422, "duplicate type code\n{}", page.describe());
    assert!(page.field_error("code").is_some());
    let edit = format!("/location-types/{location_type}/edit");
    let fields = [("code", "TEST-DEPOT"), ("name_en", "Test depot 2"), ("name_es", "Depósito 2"), ("is_depot", "on")];
    app.post_form(&admin, &edit, &fields).await.assert_see_other();
    assert_eq!(
        app.strings(&format!("SELECT name_en AS s FROM location_types WHERE id = {location_type}")),
        vec!["Test depot 2".to_string()]
    );

    // A location in the new region, of the new type: found by the filters, shown on its page.
    let fields = [
        ("code", "TEST-LOC-9"),
        ("name", "Almacén central de prueba"),
        ("location_type_id", &location_type.to_string()),
        ("region_id", &region.to_string()),
        ("city", "Bogotá"),
        ("country", "VE"),
        ("ownership", "private"),
        ("contact", "+58 212 555 0000"),
    ]
    .map(|(k, v)| (k, v.to_string()));
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let page = app.post_form(&admin, "/locations/new", &fields).await;
    page.assert_see_other();
    let location = app.scalar("SELECT id FROM locations WHERE code = 'TEST-LOC-9'");
    let detail = app.get(&admin, &format!("/locations/{location}")).await;
    detail.assert_status(200);
    assert!(detail.body.contains("Almacén central de prueba"), "{}", detail.describe());
    let listed = app.get(&admin, &format!("/locations?region={region}&status=all")).await;
    assert_eq!(listed.linked_ids("/locations/"), vec![location]);
    // Edit keeps values in the form and saves changes.
    let edit = format!("/locations/{location}/edit");
    let form = app.get(&admin, &edit).await;
    assert_eq!(form.input_value("city").as_deref(), Some("Bogotá"));
    // (Ownership only applies to media outlets in this app: a depot's is dropped.)
    assert_eq!(form.selected("region_id").as_deref(), Some(region.to_string().as_str()));
    let mut changed = fields.clone();
    for field in changed.iter_mut() {
        if field.0 == "city" {
            field.1 = "Cúcuta";
        }
        if field.0 == "ownership" {
            field.1 = "";
        }
    }
    app.post_form(&admin, &edit, &changed).await.assert_see_other();
    assert_eq!(
        app.strings(&format!("SELECT city AS s FROM locations WHERE id = {location}")),
        vec!["Cúcuta".to_string()]
    );
    assert_eq!(
        app.scalar(&format!("SELECT COUNT(*) FROM locations WHERE id = {location} AND ownership IS NULL")),
        1,
        "empty ownership is stored as NULL"
    );

    // Campaign and material edit round trips.
    let campaign = app.scalar("SELECT id FROM campaigns WHERE code = 'VE-TIP-2005'");
    let form = app.get(&admin, &format!("/campaigns/{campaign}/edit")).await;
    form.assert_status(200);
    let starts = form.input_value("starts_on").expect("starts_on");
    assert_eq!(starts.len(), 10, "YYYY-MM-DD: {starts}");
    let material = app.scalar("SELECT id FROM materials WHERE code = 'BANNER'");
    let edit = format!("/materials/{material}/edit");
    let form = app.get(&admin, &edit).await;
    form.assert_status(200);
    assert_eq!(form.selected("kind").as_deref(), Some("banner"), "{}", form.describe());
    let quantity = form.input_value("planned_quantity").expect("planned_quantity");
    let digits: String = quantity.chars().filter(|c| c.is_ascii_digit()).collect();
    assert_eq!(digits, "84");
    let fields = [
        ("campaign_id", campaign.to_string()),
        ("code", "BANNER".to_string()),
        ("name_es", form.input_value("name_es").unwrap_or_default()),
        ("kind", "banner".to_string()),
        ("planned_quantity", "1.200".to_string()),
        ("pack_size", "".to_string()),
        ("supplier", form.input_value("supplier").unwrap_or_else(|| "x".into())),
        ("language", form.input_value("language").unwrap_or_else(|| "es".into())),
        ("unit", form.input_value("unit").unwrap_or_else(|| "units".into())),
    ];
    // In English "1.200" is one point two: refused, never read as twelve hundred.
    let typed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let page = app.post_form(&admin, &edit, &typed).await;
    assert_eq!(page.status, 422, "{}", page.describe());
    let fields: Vec<(&str, &str)> =
        fields.iter().map(|(k, v)| (*k, if *k == "planned_quantity" { "1,200" } else { v.as_str() })).collect();
    let page = app.post_form(&admin, &edit, &fields).await;
    page.assert_see_other();
    assert_eq!(
        app.scalar(&format!("SELECT planned_quantity FROM materials WHERE id = {material}")),
        1200,
        "grouped digits are accepted"
    );
    let page = app.get(&admin, &format!("/materials/{material}")).await;
    page.assert_status(200);
}
