//! Validation errors keep what was typed, escape it, and nothing a person can send gives a 500.

use crate::helpers::*;

both_backends!(validation_keeps_input, duplicate_codes, junk_never_gives_500);

async fn validation_keeps_input(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let admin = app.signed_in(ADMIN.0, ADMIN.1).await;
    let campaign = app.scalar("SELECT id FROM campaigns WHERE code = 'VE-TIP-2005'").to_string();
    let materials = app.count("materials");

    let form = app.get(&admin, "/materials/new").await;
    form.assert_status(200);
    let token = form.csrf().expect("csrf");
    for field in [
        "campaign_id",
        "code",
        "name_es",
        "name_en",
        "kind",
        "planned_quantity",
        "pack_size",
        "supplier",
        "language",
        "unit",
    ] {
        assert!(form.has(&format!("[name=\"{field}\"]")), "/materials/new has a field {field}\n{}", form.describe());
    }

    let base = |quantity: &'static str| {
        vec![
            ("campaign_id", campaign.clone()),
            ("code", "NEW-MAT-1".to_string()),
            ("name_es", "Pósters <b>".to_string()),
            ("kind", "banner".to_string()),
            ("planned_quantity", quantity.to_string()),
            ("pack_size", "".to_string()),
            ("supplier", "Imprenta \"La Nacional\" & Hijos".to_string()),
            ("language", "es".to_string()),
            ("unit", "units".to_string()),
        ]
    };
    for quantity in ["-5", "abc", "2147483648", "1e5", ""] {
        let fields = base(quantity);
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let page = app.post_raw(&admin, "/materials/new", &fields, Some(&token), &[]).await;
        assert_eq!(page.status, 422, "planned_quantity={quantity:?}\n{}", page.describe());
        let message = page
            .field_error("planned_quantity")
            .unwrap_or_else(|| panic!("no #planned_quantity-error for {quantity:?}\n{}", page.describe()));
        assert!(!message.is_empty());
        assert_eq!(
            page.count(".field-error"),
            1,
            "only planned_quantity is wrong for {quantity:?}\n{}",
            page.describe()
        );
        // Typed values kept (scraper decodes entities, so this is what the person sees).
        assert_eq!(page.input_value("name_es").as_deref(), Some("Pósters <b>"), "{}", page.describe());
        assert_eq!(page.input_value("code").as_deref(), Some("NEW-MAT-1"));
        assert_eq!(page.input_value("planned_quantity").as_deref(), Some(quantity));
        assert_eq!(page.input_value("supplier").as_deref(), Some("Imprenta \"La Nacional\" & Hijos"));
        assert_eq!(page.selected("kind").as_deref(), Some("banner"), "select keeps its choice");
        assert_eq!(page.selected("campaign_id").as_deref(), Some(campaign.as_str()));
        // Escaped: the raw markup never reaches the page.
        assert!(!page.body.contains("<b>"), "unescaped <b> in the page\n{}", page.describe());
        assert!(page.csrf().is_some(), "the re-rendered form keeps its csrf token");
    }

    // Several errors at once: each next to its own field.
    let fields = [
        ("campaign_id", campaign.as_str()),
        ("code", "bad code!"),
        ("name_es", ""),
        ("kind", "hologram"),
        ("planned_quantity", "12"),
        ("pack_size", "0"),
        ("supplier", "x"),
        ("language", "es"),
        ("unit", "units"),
    ];
    let page = app.post_raw(&admin, "/materials/new", &fields, Some(&token), &[]).await;
    assert_eq!(page.status, 422, "{}", page.describe());
    for field in ["code", "name_es", "name_en", "kind", "pack_size"] {
        assert!(page.field_error(field).is_some(), "expected #{field}-error\n{}", page.describe());
    }
    assert!(page.field_error("planned_quantity").is_none(), "12 is a fine quantity");
    assert_eq!(page.input_value("code").as_deref(), Some("bad code!"));

    // An unknown campaign id is a field error, not a 500.
    let fields = [
        ("campaign_id", "99999"),
        ("code", "NEW-MAT-2"),
        ("name_es", "Afiches"),
        ("kind", "poster"),
        ("planned_quantity", "100"),
        ("pack_size", ""),
        ("supplier", "x"),
        ("language", "es"),
        ("unit", "units"),
    ];
    let page = app.post_raw(&admin, "/materials/new", &fields, Some(&token), &[]).await;
    assert_eq!(page.status, 422, "unknown campaign\n{}", page.describe());

    assert_eq!(app.count("materials"), materials, "nothing saved by invalid forms");

    // The same form, valid, saves; the flash shows on the next page; the quantity is as typed.
    let fields = [
        ("campaign_id", campaign.as_str()),
        ("code", "new-mat-3"),
        ("name_es", "Pósters <b>"),
        ("kind", "poster"),
        ("planned_quantity", "2147483647"),
        ("pack_size", "50"),
        ("supplier", "x"),
        ("language", "es"),
        ("unit", "units"),
    ];
    let page = app.post_raw(&admin, "/materials/new", &fields, Some(&token), &[]).await;
    let next = page.assert_see_other();
    let shown = app.get(&admin, &next).await;
    shown.assert_status(200);
    assert!(shown.has(".flash"), "flash after a save\n{}", shown.describe());
    assert_eq!(shown.attr(".flash", "role").as_deref(), Some("status"));
    assert!(!shown.body.contains("<b>"), "stored markup is escaped on display");
    assert_eq!(app.scalar("SELECT planned_quantity FROM materials WHERE code = 'NEW-MAT-3'"), 2147483647);

    // Campaign dates: ends before it starts, and a date that does not exist.
    let campaigns = app.count("campaigns");
    let fields = [
        ("code", "DATES-1"),
        ("name_es", "Fechas"),
        ("owner_es", "Ana"),
        ("description", ""),
        ("starts_on", "2026-05-01"),
        ("ends_on", "2026-04-01"),
    ];
    let page = app.post_form(&admin, "/campaigns/new", &fields).await;
    assert_eq!(page.status, 422, "ends before start\n{}", page.describe());
    assert_eq!(page.input_value("starts_on").as_deref(), Some("2026-05-01"));
    let fields = [
        ("code", "DATES-2"),
        ("name_es", "Fechas"),
        ("owner_es", "Ana"),
        ("description", ""),
        ("starts_on", "2026-02-30"),
        ("ends_on", "2026-04-01"),
    ];
    let page = app.post_form(&admin, "/campaigns/new", &fields).await;
    assert_eq!(page.status, 422, "Feb 30\n{}", page.describe());
    assert!(page.field_error("starts_on").is_some(), "{}", page.describe());
    assert_eq!(app.count("campaigns"), campaigns);
}

async fn duplicate_codes(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let admin = app.signed_in(ADMIN.0, ADMIN.1).await;
    let campaign = app.scalar("SELECT id FROM campaigns WHERE code = 'VE-TIP-2005'").to_string();

    // A material code that exists (in any case: codes are stored upper-case).
    let materials = app.count("materials");
    let fields = [
        ("campaign_id", campaign.as_str()),
        ("code", "poster"),
        ("name_es", "Otro afiche"),
        ("kind", "poster"),
        ("planned_quantity", "10"),
        ("pack_size", ""),
        ("supplier", "x"),
        ("language", "es"),
        ("unit", "units"),
    ];
    let page = app.post_form(&admin, "/materials/new", &fields).await;
    assert_eq!(page.status, 422, "duplicate material code\n{}", page.describe());
    assert!(page.field_error("code").is_some(), "{}", page.describe());
    assert_eq!(page.input_value("name_es").as_deref(), Some("Otro afiche"));
    assert_eq!(app.count("materials"), materials);

    // A campaign code that exists.
    let fields = [
        ("code", "VE-TIP-2005"),
        ("name_es", "Copia"),
        ("owner_es", "Ana"),
        ("description", ""),
        ("starts_on", "2026-01-01"),
        ("ends_on", "2026-01-02"),
    ];
    let page = app.post_form(&admin, "/campaigns/new", &fields).await;
    assert_eq!(page.status, 422, "duplicate campaign code\n{}", page.describe());
    assert!(page.field_error("code").is_some(), "{}", page.describe());

    // A location code that exists: on create and on edit of another location.
    let existing = app.strings("SELECT code AS s FROM locations WHERE region_id IS NOT NULL ORDER BY id LIMIT 2");
    let region = app.scalar("SELECT MIN(id) FROM regions").to_string();
    let location_type = app.scalar("SELECT MIN(id) FROM location_types").to_string();
    let locations = app.count("locations");
    let fields = [
        ("code", existing[0].as_str()),
        ("name", "Depósito duplicado"),
        ("location_type_id", location_type.as_str()),
        ("region_id", region.as_str()),
        ("city", "Caracas"),
        ("country", "VE"),
        ("ownership", "state"),
        ("contact", ""),
    ];
    let page = app.post_form(&admin, "/locations/new", &fields).await;
    assert_eq!(page.status, 422, "duplicate location code\n{}", page.describe());
    let message = page.field_error("code").unwrap_or_else(|| panic!("#code-error\n{}", page.describe()));
    assert!(!message.is_empty());
    assert_eq!(page.input_value("name").as_deref(), Some("Depósito duplicado"));
    assert_eq!(page.selected("region_id").as_deref(), Some(region.as_str()));
    assert_eq!(page.selected("ownership").as_deref(), Some("state"));
    assert_eq!(app.count("locations"), locations);

    let second = app.scalar(&format!("SELECT id FROM locations WHERE code = {}", lit(&existing[1])));
    let edit = format!("/locations/{second}/edit");
    let page = app.post_form(&admin, &edit, &fields).await;
    assert_eq!(page.status, 422, "edit to a taken code\n{}", page.describe());
    assert!(page.field_error("code").is_some(), "{}", page.describe());
    assert_eq!(app.strings(&format!("SELECT code AS s FROM locations WHERE id = {second}")), vec![existing[1].clone()]);

    // A valid new location with a fresh code is saved; the same code again is refused.
    let fields = [
        ("code", "TEST-LOC-1"),
        ("name", "Depósito de prueba"),
        ("location_type_id", location_type.as_str()),
        ("region_id", region.as_str()),
        ("city", "Caracas"),
        ("country", "VE"),
        ("ownership", ""),
        ("contact", ""),
    ];
    app.post_form(&admin, "/locations/new", &fields).await.assert_see_other();
    let page = app.post_form(&admin, "/locations/new", &fields).await;
    assert_eq!(page.status, 422, "{}", page.describe());
    assert!(page.field_error("code").is_some());
    assert_eq!(app.count("locations"), locations + 1);
}

async fn junk_never_gives_500(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let admin = app.signed_in(ADMIN.0, ADMIN.1).await;
    let mut problems = Vec::new();

    // Odd ids and query strings.
    for path in [
        "/locations/abc",
        "/locations/99999999999",
        "/locations/0",
        "/locations/-1",
        "/locations/1.5",
        "/campaigns/abc",
        "/campaigns/99999999999/edit",
        "/materials/%00",
        "/materials/99999999999",
        "/users/abc/edit",
        "/regions/99999999999/edit",
        "/location-types/abc/edit",
    ] {
        let page = app.get(&admin, path).await;
        if page.status != 404 {
            problems.push(format!("GET {path} -> {} (expected 404)", page.status));
        }
    }
    for path in [
        "/locations?page=abc",
        "/locations?page=-1",
        "/locations?page=99999999999999999999",
        "/locations?page=1000000",
        "/locations?region=abc&type=%FF&q=%00%27%22%3C&status=bogus",
        "/locations?region=abc",
        "/locations?type=%FF",
        "/locations?status=bogus",
        "/locations?q=%27%22%3C",
        "/locations?q=%00",
        "/locations?q=a%00b&status=all",
        "/audit?entity=%00",
        "/locations?q=%25%25_",
        "/materials?campaign=abc",
        "/materials?campaign=99999999999",
        "/audit?entity=%27%3B+DROP+TABLE+users&page=-3",
        "/campaigns?x=%FF%FE",
    ] {
        let page = app.get(&admin, path).await;
        if page.status >= 500 {
            problems.push(format!("GET {path} -> {}", page.status));
        }
    }

    // POST bodies: huge strings, invalid UTF-8, control characters, repeated and missing fields.
    let token = app.csrf_token(&admin, "/materials/new").await;
    let huge = "x".repeat(100 * 1024);
    let campaign = app.scalar("SELECT id FROM campaigns WHERE code = 'VE-TIP-2005'").to_string();
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        (
            "/materials/new",
            format!("csrf_token={token}&campaign_id={campaign}&code=HUGE&name={huge}&kind=poster&planned_quantity=1&supplier=x&language=es&unit=u").into_bytes(),
        ),
        ("/campaigns/new", format!("csrf_token={token}&code=X&name={huge}&owner={huge}").into_bytes()),
        ("/locations/new", {
            let mut body = format!("csrf_token={token}&code=BAD-UTF8&name=").into_bytes();
            body.extend_from_slice(&[0xff, 0xfe, 0xc3, 0x28]);
            body.extend_from_slice(b"&city=%FF%FE&country=%C3%28");
            body
        }),
        ("/campaigns/new", format!("csrf_token={token}&code=%00&name=a%00b&owner=%01&starts_on=0000-00-00&ends_on=99999-12-31").into_bytes()),
        ("/regions/new", format!("csrf_token={token}&code=R1&code=R2&name=x&tile_col=99999999999&tile_row=-1&is_abroad=maybe").into_bytes()),
        ("/location-types/new", format!("csrf_token={token}&code=&name_en=&name_es=&is_depot=%FF").into_bytes()),
        ("/users/new", format!("csrf_token={token}&username=%3Cscript%3E&display_name={huge}&role=root&password=x").into_bytes()),
        ("/materials/new", format!("csrf_token={token}&%%%=&&&==&campaign_id=-1&planned_quantity=%2B5").into_bytes()),
        ("/materials/new", format!("csrf_token={token}&campaign_id=1&planned_quantity=99999999999999999999999999").into_bytes()),
    ];
    for (path, body) in bodies {
        let response = admin
            .post(app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("POST");
        let page = Page::from_response("POST", path, response).await;
        if page.status >= 500 || page.status == 200 || page.status == 303 {
            problems.push(format!("POST {path} (junk) -> {} (expected a 4xx)", page.status));
        }
    }
    // A JSON body and a multipart body where a form is expected.
    for content_type in ["application/json", "multipart/form-data; boundary=xyz", "text/plain"] {
        let response = admin
            .post(app.url("/campaigns/new"))
            .header("content-type", content_type)
            .body(format!("{{\"csrf_token\":\"{token}\"}}"))
            .send()
            .await
            .expect("POST");
        let page = Page::from_response("POST", "/campaigns/new", response).await;
        if page.status >= 500 {
            problems.push(format!("POST /campaigns/new as {content_type} -> {}", page.status));
        }
    }
    // Sign-in with NUL bytes and odd bytes in the username (the throttle keys are stored).
    let anon = client();
    let token = app.csrf_token(&anon, "/login").await;
    for username in ["a%00b", "%FF%FE", "x%00"] {
        let body = format!("csrf_token={token}&username={username}&password=wrong%00pass");
        let response = anon
            .post(app.url("/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("POST /login");
        let page = Page::from_response("POST", "/login", response).await;
        if page.status >= 500 || page.status == 303 {
            problems.push(format!("POST /login username={username} -> {} (expected 4xx)", page.status));
        }
    }
    // Garbage cookies.
    let response = bare_client()
        .get(app.url("/"))
        .header("cookie", "ct_sid=%00garbage; ct_lang=zz; ct_flash=%FF%FE")
        .send()
        .await
        .expect("GET /");
    let page = Page::from_response("GET", "/ (garbage cookies)", response).await;
    if page.status != 303 {
        problems.push(format!("GET / with garbage cookies -> {} (expected 303 to /login)", page.status));
    }
    // A form posted after the session expired, with a NUL byte in it, is kept or refused, not a 500.
    let (second_admin, second_password) = app.create_user(campaign_tracker::domain::Role::Admin);
    let expired = app.signed_in(&second_admin, &second_password).await;
    let token = app.csrf_token(&expired, "/campaigns/new").await;
    app.exec(&format!(
        "UPDATE sessions SET last_seen_at = {} WHERE user_id = {}",
        lit(&ts_from_now(-chrono::Duration::hours(3))),
        app.user_id(&second_admin)
    ));
    let response = expired
        .post(app.url("/campaigns/new"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf_token={token}&code=NUL&name=a%00b&owner=x&starts_on=2026-01-01&ends_on=2026-01-02"))
        .send()
        .await
        .expect("POST");
    let page = Page::from_response("POST", "/campaigns/new (expired, NUL)", response).await;
    if page.status >= 500 {
        problems.push(format!("POST /campaigns/new after expiry with a NUL byte -> {}", page.status));
    }

    // The app still answers.
    app.get(&admin, "/").await.assert_status(200);
    app.get(&client(), "/healthz").await.assert_status(200);
    assert!(problems.is_empty(), "junk input problems:\n{}", problems.join("\n"));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM materials WHERE code IN ('HUGE')"), 0, "a 100 KB name is refused");
}
