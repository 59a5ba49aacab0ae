//! Imports through the real pages and the real binary: the demo exported and imported into an
//! empty deployment gives the same dashboard; problems are named by line and column and nothing
//! is written; encodings and separators; the same file twice; external references; stock that
//! would go negative; formula injection; limits; roles; two confirmations at once.

use crate::helpers::*;
use campaign_tracker::reports::coverage::{dashboard, Dashboard, DashboardQuery};

both_backends!(
    a_round_trip_gives_the_same_dashboard,
    problems_are_named_by_line_and_column_and_nothing_is_written,
    windows_1252_semicolons_and_crlf_are_read,
    the_same_file_is_refused_twice_and_external_refs_skip,
    stock_that_would_go_negative_is_refused_by_row,
    a_formula_exports_inert_and_reimports_unchanged,
    files_over_the_limits_are_refused_at_once,
    each_kind_needs_its_permission,
    two_confirmations_write_once,
    the_command_line_checks_and_imports,
    an_import_belongs_to_its_uploader,
    wide_headers_are_refused_in_one_pass,
);

/// Uploads a file; gives the response (303 to the preview, or 422 with the refusal).
async fn upload(app: &TestApp, client: &reqwest::Client, kind: &str, origin: &str, bytes: &[u8]) -> Page {
    let token = app.csrf_token(client, "/imports").await;
    let parts: Vec<Part> = vec![
        ("csrf_token", None, token.as_bytes()),
        ("kind", None, kind.as_bytes()),
        ("origin", None, origin.as_bytes()),
        ("file", Some(("data.csv", "text/csv")), bytes),
    ];
    app.post_multipart(client, "/imports", &parts).await
}

/// Uploads and confirms; panics with the preview when the file has problems.
async fn import(app: &TestApp, client: &reqwest::Client, kind: &str, origin: &str, bytes: &[u8]) -> String {
    let page = upload(app, client, kind, origin, bytes).await;
    assert_eq!(page.status, 303, "{kind}: {}", page.describe());
    let preview_path = page.location().expect("preview");
    let preview = app.get(client, &preview_path).await;
    assert!(
        preview.has(&format!("form[action='{preview_path}/commit']")),
        "{kind} preview has problems: {:?}",
        preview.texts("td")
    );
    let done = app.post_form_from(client, &preview_path, &format!("{preview_path}/commit"), &[]).await;
    assert_eq!(done.status, 303, "{kind} commit: {}", done.describe());
    preview_path
}

async fn full_demo(backend: Backend) -> TestApp {
    let app = spawn_demo_app(backend).await;
    {
        let mut conn = app.conn();
        campaign_tracker::demo::history::load_history(&mut conn, 1, &mut |_, _| {}).expect("history");
        campaign_tracker::demo::targets::load_targets(&mut conn).expect("targets");
        campaign_tracker::demo::airings::load_airings(&mut conn).expect("airings");
    }
    app
}

/// The demo's campaign, materials, regions, types and users, without a single place.
async fn empty_deployment(backend: Backend) -> TestApp {
    let app = spawn_app(backend).await;
    campaign_tracker::demo::load_reference(&mut app.conn()).expect("reference data");
    app
}

/// The dashboard's figures that do not depend on where stock sits: per material distributed,
/// airings and outlets; per region × type distributed, target, reached and registered.
/// Per material (code, distributed, airings, outlets); per "region/type" (distributed, target,
/// reached, registered).
type Figures = (Vec<(String, i64, i64, i64)>, Vec<(String, (i64, i64, i64, i64))>);

fn figures(app: &TestApp, material: &str) -> Figures {
    let mut conn = app.conn();
    let q = DashboardQuery {
        scope: Default::default(),
        campaign_id: app.scalar("SELECT id FROM campaigns") as i32,
        from: chrono::NaiveDate::from_ymd_opt(2005, 1, 1).expect("date"),
        to: today(),
        material_id: campaign_tracker::domain::MaterialId(app.material_id(material) as i32),
        transit_days: 14,
    };
    let d: Dashboard = dashboard(&mut conn, &q).expect("dashboard");
    let mut materials: Vec<_> =
        d.materials.iter().map(|(m, l)| (m.code.clone(), l.distributed, l.airings, l.outlets)).collect();
    materials.sort();
    let regions: std::collections::HashMap<i32, String> =
        d.regions.iter().map(|r| (r.region.id, r.region.code.clone())).collect();
    let types: std::collections::HashMap<i32, String> = d.types.iter().map(|t| (t.id, t.code.clone())).collect();
    let mut cells: Vec<_> = d
        .cells
        .iter()
        .map(|((r, t), c)| {
            let key = format!(
                "{}/{}",
                regions.get(r).cloned().unwrap_or_default(),
                types.get(t).cloned().unwrap_or_default()
            );
            (key, (c.distributed, c.target, c.reached, c.registered))
        })
        .collect();
    cells.sort();
    (materials, cells)
}

async fn a_round_trip_gives_the_same_dashboard(backend: Backend) {
    let source = full_demo(backend).await;
    let admin = source.signed_in(ADMIN.0, ADMIN.1).await;
    let mut files = Vec::new();
    for path in [
        "/export/locations.csv?status=all",
        "/export/receipts.csv",
        "/export/distributions.csv",
        "/export/airings.csv",
        "/export/targets.csv",
    ] {
        let (status, _, bytes) = source.get_bytes(&admin, path).await;
        assert_eq!(status, 200, "{path}");
        files.push(bytes);
    }

    let target = empty_deployment(backend).await;
    assert_eq!(target.scalar("SELECT COUNT(*) FROM locations WHERE region_id IS NOT NULL"), 0);
    let client = target.signed_in(ADMIN.0, ADMIN.1).await;
    import(&target, &client, "locations", "", &files[0]).await;
    import(&target, &client, "receipts", "", &files[1]).await;
    // Transfers between depots are not distributions: every delivery leaves the central depot,
    // which received the whole print run.
    let central = target.location_id("DEP-CCS").to_string();
    import(&target, &client, "distributions", &central, &files[2]).await;
    import(&target, &client, "airings", "", &files[3]).await;
    import(&target, &client, "targets", "", &files[4]).await;

    for material in ["POSTER", "FLIER"] {
        if source.scalar_opt(&format!("SELECT id FROM materials WHERE code = '{material}'")).is_none() {
            continue;
        }
        let (a, b) = (figures(&source, material), figures(&target, material));
        assert_eq!(a.0, b.0, "per-material figures for {material}");
        assert_eq!(a.1, b.1, "region × type figures for {material}");
    }
    let distributed = "SELECT COALESCE(SUM(quantity), 0) FROM daily_flows WHERE flow = 'distributed'";
    assert_eq!(source.scalar(distributed), target.scalar(distributed));
    assert!(target.scalar(distributed) > 0);
    assert!(campaign_tracker::ledger::mismatched_balances(&mut target.conn()).expect("query").is_empty());
}

async fn problems_are_named_by_line_and_column_and_nothing_is_written(backend: Backend) {
    let app = full_demo(backend).await;
    let client = app.signed_in(LOGISTICS.0, LOGISTICS.1).await;
    let before = (app.count("receipts"), app.count("stock_movements"));
    let future = day(30);
    let file = format!(
        "received_on,material_code,location_code,quantity\n\
         2006-01-10,POSTER,DEP-CCS,100\n\
         2006-01-11,NOPE,DEP-CCS,100\n\
         2006-01-12,POSTER,DEP-CCS,-5\n\
         10/01/2006,POSTER,DEP-CCS,abc\n\
         {future},POSTER,SCH-NOWHERE,1\n"
    );
    let page = upload(&app, &client, "receipts", "", file.as_bytes()).await;
    assert_eq!(page.status, 303, "{}", page.describe());
    let path = page.location().expect("preview");
    let preview = app.get(&client, &path).await;
    let cells = preview.texts("tbody td");
    let problems: Vec<(String, String)> = cells.chunks(3).map(|c| (c[0].clone(), c[1].clone())).collect();
    for expected in [
        ("3", "material_code"),
        ("4", "quantity"),
        ("5", "received_on"),
        ("5", "quantity"),
        ("6", "received_on"),
        ("6", "location_code"),
    ] {
        assert!(problems.contains(&(expected.0.to_string(), expected.1.to_string())), "{expected:?} in {problems:?}");
    }
    assert!(preview.body.contains("No material has the code NOPE"), "{}", preview.body);
    assert!(!preview.has(&format!("form[action='{path}/commit']")), "no confirm button with problems");
    // Confirming anyway writes nothing.
    let forced = app.post_form_from(&client, &path, &format!("{path}/commit"), &[]).await;
    assert_eq!(forced.status, 422, "{}", forced.describe());
    assert_eq!((app.count("receipts"), app.count("stock_movements")), before);

    // A file without the required columns is refused whole and not kept.
    let imports = app.count("imports");
    let page = upload(&app, &client, "receipts", "", b"date;what\n2006-01-01;x\n").await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("lacks required columns"), "{}", page.body);
    assert_eq!(app.count("imports"), imports);
}

async fn windows_1252_semicolons_and_crlf_are_read(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let client = app.signed_in(ADMIN.0, ADMIN.1).await;
    // What Spanish Excel on Windows writes: Windows-1252, semicolons, CRLF, a quoted newline.
    let mut file = b"code;name;location_type;region_code;city;country;contact\r\n".to_vec();
    file.extend_from_slice(b"SCH-ANZ-9;Escuela Anzo\xe1tegui;school;VE-B;Barcelona;VE;\"Directora\r\nTel. 0281\"\r\n");
    file.extend_from_slice(b"HOS-ANZ-9;Hospital Jos\xe9 Mar\xeda;hospital;VE-B;Puerto La Cruz;ve;\r\n");
    import(&app, &client, "locations", "", &file).await;
    let names = app.strings("SELECT name AS s FROM locations WHERE code IN ('SCH-ANZ-9', 'HOS-ANZ-9') ORDER BY code");
    assert_eq!(names, ["Hospital José María", "Escuela Anzoátegui"]);
    let contact = app.strings("SELECT contact AS s FROM locations WHERE code = 'SCH-ANZ-9'");
    assert_eq!(contact, ["Directora\r\nTel. 0281"]);

    // UTF-8 with a BOM and commas: the same rows again are unchanged, nothing to do.
    let mut utf8 = "\u{feff}code,name,location_type,region_code,city,country,contact\n".as_bytes().to_vec();
    utf8.extend_from_slice("HOS-ANZ-9,Hospital José María,hospital,VE-B,Puerto La Cruz,VE,\n".as_bytes());
    let page = upload(&app, &client, "locations", "", &utf8).await;
    let preview = app.get(&client, &page.location().expect("preview")).await;
    assert!(preview.body.contains("Rows already recorded (skipped): 1"), "{}", preview.body);
}

fn receipts_file(refs: &[(&str, i32)]) -> Vec<u8> {
    let mut out = String::from("received_on,material_code,location_code,quantity,external_ref\r\n");
    for (r, q) in refs {
        out.push_str(&format!("2006-02-01,POSTER,DEP-CCS,{q},{r}\r\n"));
    }
    out.into_bytes()
}

async fn the_same_file_is_refused_twice_and_external_refs_skip(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let client = app.signed_in(LOGISTICS.0, LOGISTICS.1).await;
    let depot = app.location_id("DEP-CCS");
    let poster = app.material_id("POSTER");
    import(&app, &client, "receipts", "", &receipts_file(&[("PRN-1", 100), ("PRN-2", 50)])).await;
    assert_eq!(app.on_hand(poster, depot), 150);

    let again = upload(&app, &client, "receipts", "", &receipts_file(&[("PRN-1", 100), ("PRN-2", 50)])).await;
    assert_eq!(again.status, 422, "{}", again.describe());
    assert!(again.body.contains("imported already"), "{}", again.body);

    // A changed file with the same references: only the new row is written.
    import(&app, &client, "receipts", "", &receipts_file(&[("PRN-1", 100), ("PRN-2", 50), ("PRN-3", 7)])).await;
    assert_eq!(app.on_hand(poster, depot), 157);
    assert_eq!(app.count("receipts"), 3);
    assert_eq!(app.ledger_sum(poster, depot), 157);

    // The same reference twice in one file is a problem, not a guess.
    let page = upload(&app, &client, "receipts", "", &receipts_file(&[("PRN-9", 1), ("PRN-9", 2)])).await;
    let preview = app.get(&client, &page.location().expect("preview")).await;
    assert!(preview.body.contains("appears on an earlier row"), "{}", preview.body);
}

async fn stock_that_would_go_negative_is_refused_by_row(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let client = app.signed_in(ADMIN.0, ADMIN.1).await;
    import(&app, &client, "receipts", "", &receipts_file(&[("R-1", 100)])).await;
    let file = "delivered_on,shipment_reference,material_code,quantity,location_code,origin_code\n\
                2006-03-01,F-1,POSTER,60,SCH-0001,DEP-CCS\n\
                2006-03-02,F-2,POSTER,60,SCH-0002,DEP-CCS\n";
    let schools: Vec<String> =
        app.strings("SELECT code AS s FROM locations WHERE code LIKE 'SCH-%' ORDER BY code LIMIT 2");
    let file = file.replace("SCH-0001", &schools[0]).replace("SCH-0002", &schools[1]);
    let movements = app.count("stock_movements");
    let page = upload(&app, &client, "distributions", "", file.as_bytes()).await;
    let preview = app.get(&client, &page.location().expect("preview")).await;
    let cells = preview.texts("tbody td");
    assert_eq!(&cells[..2], ["3", "quantity"], "{cells:?}");
    assert!(cells[2].contains("40 × POSTER / DEP-CCS"), "{cells:?}");
    assert_eq!(app.count("stock_movements"), movements);

    // Within the stock, the shipment is written delivered, with its movements.
    let ok = file.replace(",60,", ",50,");
    import(&app, &client, "distributions", "", ok.as_bytes()).await;
    assert_eq!(app.on_hand(app.material_id("POSTER"), app.location_id("DEP-CCS")), 0);
    assert_eq!(app.strings("SELECT status AS s FROM shipments WHERE reference = 'F-1'"), ["delivered"]);
    assert!(campaign_tracker::ledger::mismatched_balances(&mut app.conn()).expect("query").is_empty());
}

async fn a_formula_exports_inert_and_reimports_unchanged(backend: Backend) {
    let source = spawn_demo_app(backend).await;
    let formula = "=HYPERLINK(\"http://x\",\"y\")";
    source.exec(&format!(
        "UPDATE locations SET name = '{}' WHERE code = (SELECT MIN(code) FROM locations WHERE code LIKE 'SCH-%')",
        formula.replace('\'', "''")
    ));
    let admin = source.signed_in(ADMIN.0, ADMIN.1).await;
    let (_, _, bytes) = source.get_bytes(&admin, "/export/locations.csv?status=all").await;
    let text = String::from_utf8(bytes.clone()).expect("utf-8");
    assert!(text.contains("\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""), "inert in the CSV");

    let target = empty_deployment(backend).await;
    let client = target.signed_in(ADMIN.0, ADMIN.1).await;
    import(&target, &client, "locations", "", &bytes).await;
    let names = target.strings("SELECT name AS s FROM locations WHERE name LIKE '%HYPERLINK%'");
    assert_eq!(names, [formula]);
    // And the page shows it as text.
    let page = target.get(&client, "/locations?q=HYPERLINK").await;
    assert!(page.body.contains("=HYPERLINK(&quot;http://x&quot;,&quot;y&quot;)"), "escaped on the page");
}

async fn files_over_the_limits_are_refused_at_once(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let client = app.signed_in(ADMIN.0, ADMIN.1).await;
    let huge = vec![b'a'; 21 * 1024 * 1024];
    let page = upload(&app, &client, "locations", "", &huge).await;
    assert_eq!(page.status, 422, "{}", page.describe());
    assert!(page.body.contains("too large"), "{}", page.body);
    let mut many = String::from("received_on,material_code,location_code,quantity\n");
    for _ in 0..200_001 {
        many.push_str("2006-01-01,POSTER,DEP-CCS,1\n");
    }
    let page = upload(&app, &client, "receipts", "", many.as_bytes()).await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("more than 200000 rows"), "{}", page.body);
    for (bytes, expected) in [
        (&b""[..], "empty"),
        (&b"PK\x03\x04\x14\x00"[..], "Excel workbook"),
        (&b"received_on,material_code,location_code,quantity\n"[..], "no data rows"),
    ] {
        let page = upload(&app, &client, "receipts", "", bytes).await;
        assert_eq!(page.status, 422, "{expected}");
        assert!(page.body.contains(expected), "{expected}: {}", page.body);
    }
    assert_eq!(app.count("imports"), 0);
    assert_eq!(app.count("receipts"), 0);
}

async fn each_kind_needs_its_permission(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let viewer = app.signed_in(VIEWER.0, VIEWER.1).await;
    assert_eq!(app.get(&viewer, "/imports").await.status, 403);
    assert_eq!(app.get(&viewer, "/imports/templates/receipts.csv").await.status, 403);

    let logistics = app.signed_in(LOGISTICS.0, LOGISTICS.1).await;
    let page = app.get(&logistics, "/imports").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.attrs("select#kind option", "value"), ["receipts", "distributions", "airings"]);
    let page = upload(&app, &logistics, "locations", "", b"code,name\nX,Y\n").await;
    assert_eq!(page.status, 422, "logistics cannot import places");
    assert_eq!(app.get(&logistics, "/imports/templates/locations.csv").await.status, 404);

    let manager = app.signed_in(MANAGER.0, MANAGER.1).await;
    assert_eq!(app.get(&manager, "/imports").await.attrs("select#kind option", "value"), ["targets"]);
    let (status, _, template) = app.get_bytes(&manager, "/imports/templates/targets.csv").await;
    assert_eq!(status, 200);
    let header = String::from_utf8(template).expect("utf-8");
    assert!(header.starts_with("material_code,region_code,location_type,quantity"), "{header}");

    // Another user's upload of a kind one may not import is not shown.
    let admin = app.signed_in(ADMIN.0, ADMIN.1).await;
    let page = upload(
        &app,
        &admin,
        "locations",
        "",
        b"code,name,location_type,region_code,city,country\nL-1,A,school,VE-B,X,VE\n",
    )
    .await;
    let path = page.location().expect("preview");
    assert_eq!(app.get(&logistics, &path).await.status, 404);
    // Without a CSRF token, nothing is stored.
    let imports = app.count("imports");
    let parts: Vec<Part> = vec![("kind", None, b"receipts"), ("file", Some(("x.csv", "text/csv")), b"a\n1\n")];
    let page = app.post_multipart(&admin, "/imports", &parts).await;
    assert_eq!(page.status, 403);
    assert_eq!(app.count("imports"), imports);
}

async fn two_confirmations_write_once(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let client = app.signed_in(LOGISTICS.0, LOGISTICS.1).await;
    let page = upload(&app, &client, "receipts", "", &receipts_file(&[("C-1", 10), ("C-2", 20)])).await;
    let path = page.location().expect("preview");
    let token = app.csrf_token(&client, &path).await;
    let commit = format!("{path}/commit");
    let (a, b) = tokio::join!(
        app.post_raw(&client, &commit, &[], Some(&token), &[]),
        app.post_raw(&client, &commit, &[], Some(&token), &[])
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [303, 422], "{} / {}", a.describe(), b.describe());
    assert_eq!(app.count("receipts"), 2);
    assert_eq!(app.on_hand(app.material_id("POSTER"), app.location_id("DEP-CCS")), 30);
    let lock_ms = app.scalar_opt("SELECT lock_ms FROM imports");
    assert!(lock_ms.is_some(), "the write lock's time is kept");
}

async fn the_command_line_checks_and_imports(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("receipts.csv");
    std::fs::write(&file, receipts_file(&[("CLI-1", 5)])).expect("write");
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_campaign-tracker"))
            .args(args)
            .env("DATABASE_URL", &app.database_url)
            .env("RUST_LOG", "error")
            .output()
            .expect("run the binary")
    };
    let path = file.to_str().expect("path");
    let out = run(&["import", "receipts", path, "--dry-run"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Receipts to record: 1"));
    assert_eq!(app.count("receipts"), 0);

    let out = run(&["import", "receipts", path]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("write lock was held"));
    assert_eq!(app.count("receipts"), 1);

    let out = run(&["import", "receipts", path]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("imported already"));
    assert_eq!(app.count("receipts"), 1);

    std::fs::write(&file, b"received_on,material_code,location_code,quantity\n2006-01-01,NOPE,DEP-CCS,1\n")
        .expect("write");
    let out = run(&["import", "receipts", path, "--dry-run"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("line 2, material_code: No material has the code NOPE"), "{stderr}");
    for (args, expected) in [
        (&["import", "everything", path][..], "unknown import"),
        (&["import", "receipts", "/nonexistent.csv"][..], "cannot read"),
        (&["import", "receipts", path, "--origin", "NOPE"][..], "is not a depot"),
    ] {
        let out = run(args);
        assert!(!out.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(expected),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

async fn an_import_belongs_to_its_uploader(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    crate::hardening::limit_to_region(&app, LOGISTICS.0, "VE-K");
    let admin = app.signed_in(ADMIN.0, ADMIN.1).await;
    // The administrator's receipts for the central depot (another region than the clerk's).
    let page = upload(&app, &admin, "receipts", "", &receipts_file(&[("A-1", 10)])).await;
    let theirs = page.location().expect("preview");
    let stored = app.strings("SELECT report AS s FROM imports");

    // A region-limited clerk can neither see, nor discard, nor commit it.
    let clerk = app.signed_in(LOGISTICS.0, LOGISTICS.1).await;
    assert_eq!(app.get(&clerk, &theirs).await.status, 404);
    let listed = app.get(&clerk, "/imports").await;
    assert!(listed.linked_ids("/imports/").is_empty(), "another user's imports are not listed\n{}", listed.describe());
    let token = app.csrf_token(&clerk, "/imports").await;
    for action in ["discard", "commit"] {
        let page = app.post_raw(&clerk, &format!("{theirs}/{action}"), &[], Some(&token), &[]).await;
        assert_eq!(page.status, 404, "{action}: {}", page.describe());
    }
    assert_eq!(app.strings("SELECT status AS s FROM imports"), ["pending"]);
    assert_eq!(app.strings("SELECT report AS s FROM imports"), stored, "the preview is untouched");

    // The clerk's own upload: listed for them and for the administrator, who may look but not act.
    let depot = app.location_id("DEP-LAR");
    let file = "received_on,material_code,location_code,quantity\n2006-02-01,POSTER,DEP-LAR,5\n";
    let page = upload(&app, &clerk, "receipts", "", file.as_bytes()).await;
    let mine = page.location().expect("preview");
    assert_eq!(app.get(&clerk, "/imports").await.linked_ids("/imports/").len(), 1);
    assert_eq!(app.get(&admin, "/imports").await.linked_ids("/imports/").len(), 2, "an administrator sees all");
    let seen = app.get(&admin, &mine).await;
    seen.assert_status(200);
    assert!(!seen.has(&format!("form[action='{mine}/commit']")), "no confirm button for someone else's import");
    let token = app.csrf_token(&admin, &mine).await;
    let page = app.post_raw(&admin, &format!("{mine}/commit"), &[], Some(&token), &[]).await;
    assert_eq!(page.status, 403, "{}", page.describe());
    assert_eq!(app.on_hand(app.material_id("POSTER"), depot), 0, "nothing written");

    // A commit the data no longer allows is refused and leaves the stored preview as it was.
    let stored =
        app.strings(&format!("SELECT report AS s FROM imports WHERE id = {}", id_in(&mine, "/imports/").expect("id")));
    app.exec(&format!(
        "UPDATE locations SET is_active = {} WHERE id = {depot}",
        if app.backend == Backend::Sqlite { "0" } else { "false" }
    ));
    let token = app.csrf_token(&clerk, &mine).await;
    let page = app.post_raw(&clerk, &format!("{mine}/commit"), &[], Some(&token), &[]).await;
    assert_eq!(page.status, 422, "{}", page.describe());
    assert_eq!(
        app.strings(&format!("SELECT report AS s FROM imports WHERE id = {}", id_in(&mine, "/imports/").expect("id"))),
        stored
    );
    // The uploader discards their own.
    let page = app.post_raw(&clerk, &format!("{mine}/discard"), &[], Some(&token), &[]).await;
    page.assert_see_other();
}

async fn wide_headers_are_refused_in_one_pass(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let client = app.signed_in(LOGISTICS.0, LOGISTICS.1).await;
    // 40,000 columns took 5 s when each name was compared with all before it.
    let mut wide = String::from("received_on,material_code,location_code,quantity");
    for i in 0..40_000 {
        wide.push_str(&format!(",c{i}"));
    }
    wide.push_str("\n2006-02-01,POSTER,DEP-CCS,1\n");
    let page = upload(&app, &client, "receipts", "", wide.as_bytes()).await;
    assert_eq!(page.status, 422, "{}", page.describe());
    assert!(page.body.contains("40,004 columns") || page.body.contains("40004 columns"), "{}", page.describe());
    // Up to 200 columns are read; a repeated name is named.
    let mut header: Vec<String> =
        vec!["received_on".into(), "material_code".into(), "location_code".into(), "quantity".into()];
    header.extend((0..195).map(|i| format!("extra_{i}")));
    header.push("extra_7".into());
    let file = format!("{}\n2006-02-01,POSTER,DEP-CCS,1\n", header.join(","));
    let page = upload(&app, &client, "receipts", "", file.as_bytes()).await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("extra_7"), "the repeated column is named\n{}", page.describe());
    header.pop();
    let file = format!("{}\n2006-02-01,POSTER,DEP-CCS,1\n", header.join(","));
    let page = upload(&app, &client, "receipts", "", file.as_bytes()).await;
    assert_eq!(page.status, 303, "199 distinct columns are fine\n{}", page.describe());
    assert_eq!(app.count("imports"), 1);
}
