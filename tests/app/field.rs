//! Ready for the field: quantities read as people write them in their language, never guessed.

use crate::helpers::*;
use crate::stock::{f, post_once, receipt_fields};

both_backends!(quantities_are_read_as_the_language_writes_them, imports_read_quantities_in_their_language);

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
        let page = post_once(&app, browser, "/receipts/new", &receipt_fields(poster, depot, typed, &day(0))).await;
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
