//! The audit log shows writes with who, when, what and which record.

use crate::helpers::*;

both_backends!(audit_lists_a_write);
both_backends!(audit_codes_read_in_the_reader_language);
both_backends!(audit_pages_walk_by_keyset);

async fn audit_lists_a_write(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let admin = app.signed_in(ADMIN.0, ADMIN.1).await;
    let before = app.count("audit_log");

    let fields = [
        ("code", "AUDIT-2026"),
        ("name_es", "Campaña auditada"),
        ("owner_es", "Oficina"),
        ("description", "a write to be audited"),
        ("starts_on", "2026-03-01"),
        ("ends_on", "2026-06-30"),
    ];
    let page = app.post_form(&admin, "/campaigns/new", &fields).await;
    let next = page.assert_see_other();
    let shown = app.get(&admin, &next).await;
    shown.assert_status(200);
    assert!(shown.has(".flash"), "flash after creating a campaign\n{}", shown.describe());
    assert!(shown.body.contains("AUDIT-2026") || shown.body.contains("Campaña auditada"));

    let id = app.scalar("SELECT id FROM campaigns WHERE code = 'AUDIT-2026'");
    assert_eq!(app.count("audit_log"), before + 1, "one audit entry per write");
    let admin_id = app.user_id("admin");
    assert_eq!(app.strings("SELECT actor AS s FROM audit_log ORDER BY id DESC LIMIT 1"), vec!["admin".to_string()]);
    assert_eq!(app.scalar_opt("SELECT user_id FROM audit_log ORDER BY id DESC LIMIT 1"), Some(admin_id));
    assert_eq!(app.strings("SELECT entity_id AS s FROM audit_log ORDER BY id DESC LIMIT 1"), vec![id.to_string()]);
    let entity = app.strings("SELECT entity AS s FROM audit_log ORDER BY id DESC LIMIT 1").remove(0);

    // The audit page shows it with the actor's username, for admin and manager.
    for (user, password) in [ADMIN, MANAGER] {
        let browser = app.signed_in(user, password).await;
        let page = app.get(&browser, "/audit").await;
        page.assert_status(200);
        assert!(page.body.contains("admin"), "actor on /audit\n{}", page.describe());
        assert!(
            page.body.contains("AUDIT-2026") || page.body.contains(&format!("/campaigns/{id}")),
            "the record on /audit\n{}",
            page.describe()
        );
        let filtered = app.get(&browser, &format!("/audit?entity={entity}")).await;
        filtered.assert_status(200);
        assert!(
            filtered.body.contains("AUDIT-2026") || filtered.body.contains(&format!("/campaigns/{id}")),
            "filtered by entity={entity}\n{}",
            filtered.describe()
        );
        // A kind of record that is not in the log is refused beside the field, not shown as
        // an empty log.
        let other = app.get(&browser, "/audit?entity=no-such-entity").await;
        other.assert_status(422);
        assert_eq!(
            other.field_error("entity").as_deref(),
            Some("No record of this kind is in the log: no-such-entity")
        );
        assert!(!other.body.contains("AUDIT-2026"), "no rows");
    }

    // Editing writes one more entry.
    let edit = format!("/campaigns/{id}/edit");
    let form = app.get(&admin, &edit).await;
    form.assert_status(200);
    assert_eq!(form.input_value("code").as_deref(), Some("AUDIT-2026"), "edit form is filled in");
    let fields = [
        ("code", "AUDIT-2026"),
        ("name_es", "Campaña auditada (editada)"),
        ("owner_es", "Oficina"),
        ("description", "edited"),
        ("starts_on", "2026-03-01"),
        ("ends_on", "2026-07-31"),
    ];
    let entity_count = |app: &TestApp| {
        app.scalar(&format!("SELECT COUNT(*) FROM audit_log WHERE entity = {} AND entity_id = '{id}'", lit(&entity)))
    };
    assert_eq!(entity_count(&app), 1);
    app.post_form(&admin, &edit, &fields).await.assert_see_other();
    assert_eq!(entity_count(&app), 2, "the edit is audited");
    assert_eq!(
        app.strings(&format!("SELECT name_es AS s FROM campaigns WHERE id = {id}")),
        vec!["Campaña auditada (editada)".to_string()]
    );

    // Reads write nothing to the audit log.
    let n = app.count("audit_log");
    app.get(&admin, "/campaigns").await.assert_status(200);
    app.get(&admin, &format!("/campaigns/{id}")).await.assert_status(200);
    assert_eq!(app.count("audit_log"), n);

    // An old page number is the first page.
    app.get(&admin, "/audit?page=2").await.assert_status(200);
}

/// The summaries a log page shows, in page order (the seeded ones are unique).
fn entry_summaries(page: &Page) -> Vec<String> {
    page.texts("table tbody tr td:nth-child(5)")
}

async fn audit_pages_walk_by_keyset(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let admin = app.signed_in(ADMIN.0, ADMIN.1).await;
    // 230 entries of one kind (2 full pages and a part), all at the same second: the id orders them.
    let values: Vec<String> = (0..230)
        .map(|i| format!("('2026-01-01 00:00:00', NULL, 'seed', 'create', 'walk', '{i}', 'walk-{i:03}', '')"))
        .collect();
    app.exec(&format!(
        "INSERT INTO audit_log (at, user_id, actor, action, entity, entity_id, summary, ip) VALUES {}",
        values.join(", ")
    ));
    let expected: Vec<String> = (0..230).rev().map(|i| format!("walk-{i:03}")).collect();
    // Front to back.
    let mut seen = Vec::new();
    let mut path = "/audit?entity=walk".to_string();
    for _ in 0..10 {
        let page = app.get(&admin, &path).await;
        page.assert_status(200);
        seen.extend(entry_summaries(&page));
        match page.attr("nav.pagination a[rel=\"next\"]", "href") {
            Some(next) => path = next,
            None => break,
        }
    }
    assert_eq!(seen, expected, "every entry once, newest first");
    // Back to front from the last page.
    let mut seen = Vec::new();
    let mut path = "/audit?entity=walk&last=1".to_string();
    for _ in 0..10 {
        let page = app.get(&admin, &path).await;
        page.assert_status(200);
        let mut rows = entry_summaries(&page);
        rows.extend(seen);
        seen = rows;
        match page.attr("nav.pagination a[rel=\"prev\"]", "href") {
            Some(prev) => path = prev,
            None => break,
        }
    }
    assert_eq!(seen, expected, "every entry once, walking back");
    let first = app.get(&admin, "/audit?entity=walk").await;
    assert!(first.text("nav.pagination p").is_some_and(|t| t.contains("230")), "{}", first.describe());
    // A key that no longer matches a row still orders; one that does not read is the first page.
    for path in ["/audit?entity=walk&after=999999999", "/audit?entity=walk&after=abc", "/audit?before=-5"] {
        app.get(&admin, path).await.assert_status(200);
    }
}

async fn audit_codes_read_in_the_reader_language(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let admin = app.signed_in(ADMIN.0, ADMIN.1).await;
    let fields = [
        ("code", "AUDIT-LANG"),
        ("name_es", "Idiomas"),
        ("owner_es", "Oficina"),
        ("description", ""),
        ("starts_on", "2026-03-01"),
        ("ends_on", "2026-06-30"),
    ];
    app.post_form(&admin, "/campaigns/new", &fields).await.assert_see_other();
    let row_of = |page: &Page, needle: &str| {
        page.texts("tbody tr").into_iter().find(|row| row.contains(needle)).unwrap_or_else(|| {
            panic!("no audit row with {needle}\n{}", page.describe());
        })
    };

    let english = app.get_with(&admin, "/audit", &[("Accept-Language", "en")]).await;
    english.assert_status(200);
    let created = row_of(&english, "AUDIT-LANG");
    assert!(created.contains("Created") && created.contains("Campaign #"), "{created}");
    assert!(english.texts("tbody td").iter().any(|cell| cell == "Signed in"), "{}", english.describe());
    assert!(english.texts("select[name=entity] option").contains(&"Campaign".to_string()), "the filter reads too");

    let token = english.csrf().expect("a CSRF token on /audit");
    app.post_raw(&admin, "/lang", &[("lang", "es"), ("next", "/audit")], Some(&token), &[]).await.assert_see_other();
    let spanish = app.get(&admin, "/audit").await;
    assert_eq!(spanish.lang().as_deref(), Some("es"));
    let created = row_of(&spanish, "AUDIT-LANG");
    assert!(created.contains("Creado") && created.contains("Campaña #"), "{created}");
    assert!(spanish.texts("tbody td").iter().any(|cell| cell == "Inició sesión"), "{}", spanish.describe());
    for code in ["sign_in", "create", "campaign"] {
        assert!(!spanish.texts("tbody td").iter().any(|cell| cell == code), "raw code {code} on the page");
    }
    // The filter still takes the code.
    let filtered = app.get(&admin, "/audit?entity=campaign").await;
    assert!(filtered.body.contains("AUDIT-LANG"), "{}", filtered.describe());
    assert!(!filtered.texts("tbody td").iter().any(|cell| cell == "Inició sesión"), "the filter filters");
}
