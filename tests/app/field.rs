//! Ready for the field: quantities read as people write them in their language, never guessed.

use crate::helpers::*;
use crate::stock::{f, post, post_once, receipt_fields, shipment_fields, some_destination};

both_backends!(
    quantities_are_read_as_the_language_writes_them,
    imports_read_quantities_in_their_language,
    a_quantity_beyond_the_print_run_asks_first,
    back_and_resubmit_records_once,
    the_same_content_again_asks_first,
    imports_ask_about_quantities_beyond_the_print_run,
    reference_data_reads_in_the_readers_language,
);

/// A signed-in browser whose interface is in `lang`.
async fn browser_in(app: &TestApp, user: (&str, &str), lang: &str) -> Browser {
    let b = app.browser(user.0, user.1).await;
    app.send(&b, "/lang", &[("lang", lang), ("next", "/")]).await.assert_see_other();
    b
}

async fn quantities_are_read_as_the_language_writes_them(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let (poster, depot) = (app.material_id("POSTER"), app.location_id("DEP-LAR"));
    let es = browser_in(&app, LOGISTICS, "es").await;
    let en = browser_in(&app, LOGISTICS, "en").await;

    // What the field found: `1.500,00` in Spanish was recorded as 150.000.
    for (browser, typed, message) in [
        (&es, "1.500,00", "Solo unidades enteras"),
        (&es, "1,5", "Solo unidades enteras"),
        (&es, "1.5", "cada tres cifras"),
        (&es, "1.50", "cada tres cifras"),
        (&en, "1.5", "Whole units only"),
        (&en, "12,34", "every three digits"),
        (&en, "1,500.00", "Whole units only"),
    ] {
        let page = post_once(&app, browser, "/receipts/new", &receipt_fields(poster, depot, typed, &day(0))).await;
        assert_eq!(page.status, 422, "{typed:?} is refused\n{}", page.describe());
        let said = page.field_error("quantity").unwrap_or_default();
        assert!(said.contains(message), "{typed:?}: the message says why: {said:?}");
        assert_eq!(page.input_value("quantity").as_deref(), Some(typed), "what was typed stays");
    }
    assert_eq!(app.count("receipts"), 0, "nothing recorded");

    // Grouped as each language writes it: recorded as written.
    for (browser, typed) in [(&es, "1.500"), (&es, "1 500"), (&en, "1,500"), (&en, "1500"), (&es, "1.500.000")] {
        let mut fields = receipt_fields(poster, depot, typed, &day(0));
        fields.push(f("confirm", "over_limit"));
        let page = post_once(&app, browser, "/receipts/new", &fields).await;
        page.assert_see_other();
    }
    assert_eq!(
        app.numbers("SELECT CAST(quantity AS BIGINT) AS n FROM receipts ORDER BY id"),
        [1_500, 1_500, 1_500, 1_500, 1_500_000]
    );
    // The same rules on a shipment line and on a delivery.
    let destination = crate::stock::some_destination(&app, None);
    let mut fields = crate::stock::shipment_fields(depot, destination, &[(poster, "2.000,5")]);
    fields.push(f("action", "dispatch"));
    let page = post_once(&app, &es, "/shipments/new", &fields).await;
    assert_eq!(page.status, 422, "{}", page.describe());
    assert!(page.field_error("line_quantity_0").unwrap_or_default().contains("unidades enteras"));
}

async fn imports_read_quantities_in_their_language(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let file = "received_on;material_code;location_code;quantity\n2006-02-01;POSTER;DEP-CCS;1.500\n2006-02-02;POSTER;DEP-CCS;2000\n";
    // Read in English, `1.500` is one and a half: refused by line and column, nothing written.
    let en = browser_in(&app, LOGISTICS, "en").await;
    let preview = app.get(&en.client, &upload(&app, &en, file).await.assert_see_other()).await;
    let problems = preview.texts("tbody tr");
    assert!(
        problems.iter().any(|p| p.starts_with("2quantity") && p.contains("Whole units only")),
        "line 2, column quantity: {problems:?}"
    );
    // Read in Spanish it is fifteen hundred.
    let es = browser_in(&app, ADMIN, "es").await;
    let path = upload(&app, &es, file).await.assert_see_other();
    let done = app.post_form_from(&es.client, &path, &format!("{path}/commit"), &[]).await;
    done.assert_see_other();
    assert_eq!(app.numbers("SELECT CAST(quantity AS BIGINT) AS n FROM receipts ORDER BY id"), [1_500, 2_000]);

    // The command line reads them as --lang says.
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("r.csv");
    std::fs::write(&path, "received_on,material_code,location_code,quantity\n2006-03-01,POSTER,DEP-CCS,\"1,250\"\n")
        .expect("write");
    let run = |lang: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_campaign-tracker"))
            .args(["import", "receipts", path.to_str().expect("path"), "--lang", lang])
            .env("DATABASE_URL", &app.database_url)
            .env("RUST_LOG", "error")
            .output()
            .expect("run the binary")
    };
    let spanish = run("es");
    assert!(!spanish.status.success(), "`1,250` read in Spanish has a decimal part");
    assert!(String::from_utf8_lossy(&spanish.stderr).contains("Whole units only"), "{spanish:?}");
    let english = run("en");
    assert!(english.status.success(), "{}", String::from_utf8_lossy(&english.stderr));
    assert_eq!(app.scalar("SELECT MAX(quantity) FROM receipts WHERE received_on = '2006-03-01'"), 1_250);
}

/// Uploads a receipts file as `b`; gives the response.
async fn upload(app: &TestApp, b: &Browser, file: &str) -> Page {
    let parts: Vec<Part> = vec![
        ("csrf_token", None, b.token.as_bytes()),
        ("kind", None, b"receipts"),
        ("origin", None, b""),
        ("file", Some(("recepciones.csv", "text/csv")), file.as_bytes()),
    ];
    app.post_multipart(&b.client, "/imports", &parts).await
}

/// POSTs with a fresh key and nothing confirmed.
async fn post_fresh(app: &TestApp, b: &Browser, path: &str, fields: &crate::stock::Fields) -> Page {
    let mut all = fields.clone();
    all.push(f("submission_key", submission_key()));
    post(app, b, path, &all).await
}

/// The same post with `answers` ticked.
async fn post_confirmed(
    app: &TestApp,
    b: &Browser,
    path: &str,
    fields: &crate::stock::Fields,
    answers: &[&str],
) -> Page {
    let mut all = fields.clone();
    all.push(f("submission_key", submission_key()));
    all.extend(answers.iter().map(|a| f("confirm", a)));
    post(app, b, path, &all).await
}

async fn a_quantity_beyond_the_print_run_asks_first(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let b = browser_in(&app, LOGISTICS, "en").await;
    let (poster, depot) = (app.material_id("POSTER"), app.location_id("DEP-CCS"));
    let rows = crate::stock::stock_rows(&app);

    // 150,000 posters, whose whole print run is 60,000: asked, not recorded.
    let fields = receipt_fields(poster, depot, "150,000", &day(0));
    let page = post_fresh(&app, &b, "/receipts/new", &fields).await;
    assert_eq!(page.status, 422, "{}", page.describe());
    let asked = page.text("fieldset.questions").unwrap_or_default();
    assert!(
        asked.contains(
            "150,000 Posters on the crime of trafficking in persons is more than the whole print run of 60,000"
        ),
        "{asked}"
    );
    assert!(page.has("fieldset.questions input[type=checkbox][name=confirm][value=over_limit]:not([checked])"));
    assert_eq!(page.input_value("quantity").as_deref(), Some("150,000"), "what was typed stays");
    assert_eq!(crate::stock::stock_rows(&app), rows, "nothing written");
    // The same post, confirmed: recorded.
    post_confirmed(&app, &b, "/receipts/new", &fields, &["over_limit"]).await.assert_see_other();
    assert_eq!(app.on_hand(poster, depot), 150_000);

    // A limit an administrator set asks earlier, in Spanish too.
    app.exec(&format!("UPDATE materials SET quantity_limit = 500 WHERE id = {poster}"));
    let es = browser_in(&app, ADMIN, "es").await;
    let destination = some_destination(&app, None);
    let mut shipment = shipment_fields(depot, destination, &[(poster, "600")]);
    shipment.push(f("action", "dispatch"));
    let page = post_fresh(&app, &es, "/shipments/new", &shipment).await;
    assert_eq!(page.status, 422, "{}", page.describe());
    let asked = page.text("fieldset.questions").unwrap_or_default();
    assert!(asked.contains("600 de "), "{asked}");
    assert!(asked.contains("500 que admite un registro"), "{asked}");
    post_confirmed(&app, &es, "/shipments/new", &shipment, &["over_limit"]).await.assert_see_other();
    // An adjustment and a count ask alike.
    let adjustment = crate::stock::adjustment_fields(depot, poster, "count_up", "501", &day(0), "found a pallet");
    assert_eq!(post_fresh(&app, &b, "/adjustments/new", &adjustment).await.status, 422);
    post_confirmed(&app, &b, "/adjustments/new", &adjustment, &["over_limit"]).await.assert_see_other();
    let count = vec![f("location_id", depot), f("counted_on", day(0)), f(&format!("counted_{poster}"), "9000")];
    let path = format!("/counts/new?location={depot}");
    assert_eq!(post_fresh(&app, &b, &path, &count).await.status, 422);
    post_confirmed(&app, &b, &path, &count, &["over_limit"]).await.assert_see_other();
    assert_eq!(app.on_hand(poster, depot), 9000);
}

async fn back_and_resubmit_records_once(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let b = browser_in(&app, LOGISTICS, "en").await;
    let (flier, depot) = (app.material_id("FLIER"), app.location_id("DEP-LAR"));
    // The form page sends the browser to its own address with its key.
    let first = app.get_raw(&b.client, "/receipts/new").await;
    let own = first.assert_see_other();
    assert!(own.starts_with("/receipts/new?key="), "{own}");
    let form = app.get_raw(&b.client, &own).await;
    form.assert_status(200);
    let key = form.input_value("submission_key").expect("key");
    assert_eq!(Some(key.clone()), query_param(&own, "key"), "the form carries the key in its address");

    let mut fields = receipt_fields(flier, depot, "260", &day(0));
    fields.push(f("reference", "BACK-TEST"));
    fields.push(f("submission_key", &key));
    let recorded = post(&app, &b, "/receipts/new", &fields).await.assert_see_other();
    // Back: the form's address leads to what it recorded.
    let back = app.get_raw(&b.client, &own).await;
    assert_eq!(back.assert_see_other(), recorded);
    let shown = app.get(&b.client, &recorded).await;
    assert!(shown.flash().unwrap_or_default().contains("already recorded"), "{:?}", shown.flash());
    // A page the browser kept and sent again: recorded once, and said so.
    assert_eq!(post(&app, &b, "/receipts/new", &fields).await.assert_see_other(), recorded);
    assert_eq!(app.count("receipts"), 1);
    // A key is the user's own: another user's address with it is a fresh form.
    let other = app.browser(ADMIN.0, ADMIN.1).await;
    app.get_raw(&other.client, &own).await.assert_status(200);
}

async fn the_same_content_again_asks_first(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let b = browser_in(&app, LOGISTICS, "en").await;
    let (flier, depot) = (app.material_id("FLIER"), app.location_id("DEP-LAR"));
    let mut fields = receipt_fields(flier, depot, "260", &day(0));
    fields.retain(|(k, _)| k != "reference");
    fields.push(f("reference", "BACK-TEST"));
    let recorded = post_fresh(&app, &b, "/receipts/new", &fields).await.assert_see_other();
    let id = id_in(&recorded, "/receipts/").expect("id");

    // The same receipt with a fresh key (a new form filled alike): asked, naming the first.
    let page = post_fresh(&app, &b, "/receipts/new", &fields).await;
    assert_eq!(page.status, 422, "{}", page.describe());
    let asked = page.text("fieldset.questions").unwrap_or_default();
    assert!(
        asked.contains(
            "A receipt of 260 Fliers with contact numbers at Depósito Regional Lara, reference BACK-TEST was recorded less than a minute ago"
        ),
        "{asked}"
    );
    assert!(page.has(&format!("fieldset.questions a[href='/receipts/{id}']")), "links the first one");
    assert_eq!(app.count("receipts"), 1);
    // Confirmed: a second receipt. Another user recording the same is not asked.
    post_confirmed(&app, &b, "/receipts/new", &fields, &["duplicate"]).await.assert_see_other();
    let admin = browser_in(&app, ADMIN, "en").await;
    post_fresh(&app, &admin, "/receipts/new", &fields).await.assert_see_other();
    assert_eq!(app.count("receipts"), 3);
    // Any other field differing is new content.
    let mut other = fields.clone();
    other.retain(|(k, _)| k != "reference");
    other.push(f("reference", "BACK-TEST-2"));
    post_fresh(&app, &b, "/receipts/new", &other).await.assert_see_other();

    // Shipments: the same lines to the same place, asked in Spanish.
    let es = browser_in(&app, LOGISTICS, "es").await;
    let destination = some_destination(&app, None);
    let mut shipment = shipment_fields(depot, destination, &[(flier, "10")]);
    shipment.push(f("action", "draft"));
    let first = post_fresh(&app, &es, "/shipments/new", &shipment).await.assert_see_other();
    let page = post_fresh(&app, &es, "/shipments/new", &shipment).await;
    assert_eq!(page.status, 422, "{}", page.describe());
    let asked = page.text("fieldset.questions").unwrap_or_default();
    assert!(asked.contains("Un envío de 10 unidades") && asked.contains("hace menos de un minuto"), "{asked}");
    assert!(page.has(&format!("fieldset.questions a[href='{first}']")));
    post_confirmed(&app, &es, "/shipments/new", &shipment, &["duplicate"]).await.assert_see_other();
}

async fn imports_ask_about_quantities_beyond_the_print_run(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let b = browser_in(&app, LOGISTICS, "en").await;
    let file = "received_on,material_code,location_code,quantity\n2006-02-01,POSTER,DEP-CCS,70000\n2006-02-02,POSTER,DEP-CCS,10\n";
    let path = upload(&app, &b, file).await.assert_see_other();
    let preview = app.get(&b.client, &path).await;
    let rows = preview.texts("section, table").join(" ");
    assert!(preview.has("#warnings"), "{}", preview.describe());
    assert!(rows.contains("70000 × POSTER is more than its whole print run of 60000"), "{rows}");
    assert!(preview.has(&format!("form[action='{path}/commit'] input[name=confirm][value=over_limit]")));
    // Confirmed without the box: refused, nothing written; with it: written.
    let page = app.post_form_from(&b.client, &path, &format!("{path}/commit"), &[]).await;
    assert_eq!(page.status, 422, "{}", page.describe());
    assert!(page.text(".form-error").unwrap_or_default().contains("tick the box"), "{}", page.describe());
    assert_eq!(app.count("receipts"), 0);
    let page = app.post_form_from(&b.client, &path, &format!("{path}/commit"), &[("confirm", "over_limit")]).await;
    page.assert_see_other();
    assert_eq!(app.count("receipts"), 2);

    // The command line asks for --confirm over_limit.
    let dir = tempfile::tempdir().expect("temp dir");
    let csv = dir.path().join("big.csv");
    std::fs::write(&csv, "received_on,material_code,location_code,quantity\n2006-03-01,FLIER,DEP-CCS,90000\n")
        .expect("write");
    let run = |extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_campaign-tracker"))
            .args(["import", "receipts", csv.to_str().expect("path")])
            .args(extra)
            .env("DATABASE_URL", &app.database_url)
            .env("RUST_LOG", "error")
            .output()
            .expect("run the binary")
    };
    let asked = run(&[]);
    assert!(!asked.status.success());
    assert!(String::from_utf8_lossy(&asked.stderr).contains("--confirm over_limit"), "{asked:?}");
    assert_eq!(app.count("receipts"), 2);
    let confirmed = run(&["--confirm", "over_limit"]);
    assert!(confirmed.status.success(), "{}", String::from_utf8_lossy(&confirmed.stderr));
    assert_eq!(app.count("receipts"), 3);
}

async fn reference_data_reads_in_the_readers_language(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    {
        let mut conn = app.conn();
        campaign_tracker::demo::history::load_history(&mut conn, 1, &mut |_, _| {}).expect("history");
    }
    let es = browser_in(&app, MANAGER, "es").await;
    let en = browser_in(&app, ADMIN, "en").await;

    let dashboard = app.get(&es.client, "/dashboard").await;
    assert!(dashboard.body.contains("Afiches sobre el delito de trata de personas"), "Spanish material names");
    assert!(!dashboard.body.contains("Posters on the crime"), "no English name on a Spanish page");
    assert!(dashboard.body.contains("Campaña de prevención contra la trata de personas"));
    let dashboard = app.get(&en.client, "/dashboard").await;
    assert!(dashboard.body.contains("Posters on the crime of trafficking in persons"));

    // The report: Spanish names, numbers agreeing with their nouns, abroad apart from the regions.
    let report = app.get(&es.client, "/report").await;
    report.assert_status(200);
    let points = report.texts("ul.report-points li").join("\n");
    assert!(report.body.contains("Ministerio del Interior y Justicia"), "the ministry in Spanish");
    assert!(points.contains("(Afiches sobre el delito de trata de personas)"), "{points}");
    assert!(points.contains("en once (11) regiones ("), "{points}");
    assert!(points.contains("embajadas y consulados en el exterior"), "{points}");
    assert!(
        !points.contains("Abroad") && !points.contains("Exterior,") && !points.contains("doce (12) regiones"),
        "{points}"
    );
    let report = app.get(&en.client, "/report").await;
    let points = report.texts("ul.report-points li").join("\n");
    assert!(
        points.contains("in eleven (11) regions (") && points.contains("embassies and consulates abroad"),
        "{points}"
    );

    // Regions and the exports' name columns; codes stay as they are.
    assert!(app.get(&es.client, "/regions").await.body.contains("Exterior"));
    assert!(app.get(&en.client, "/regions").await.body.contains("Abroad"));
    let names = |body: &str| -> Vec<(String, String)> {
        let mut reader = csv::ReaderBuilder::new().from_reader(body.as_bytes());
        reader.records().map(|r| r.expect("row")).map(|r| (r[2].to_string(), r[3].to_string())).collect()
    };
    let spanish = names(&app.get(&es.client, "/export/distributions.csv?material=POSTER").await.body);
    assert!(spanish
        .iter()
        .all(|(code, name)| code == "POSTER" && name == "Afiches sobre el delito de trata de personas"));
    let english = names(&app.get(&en.client, "/export/distributions.csv?material=POSTER").await.body);
    assert!(english
        .iter()
        .all(|(code, name)| code == "POSTER" && name == "Posters on the crime of trafficking in persons"));
    assert!(!spanish.is_empty() && spanish.len() == english.len());
}
