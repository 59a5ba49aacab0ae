//! The audit log shows writes with who, when, what and which record.

use crate::helpers::*;

both_backends!(audit_lists_a_write);
both_backends!(audit_codes_read_in_the_reader_language);

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
        let other = app.get(&browser, "/audit?entity=no-such-entity").await;
        other.assert_status(200);
        assert!(!other.body.contains("AUDIT-2026"), "the filter filters");
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

    // Paging parameter is accepted.
    app.get(&admin, "/audit?page=2").await.assert_status(200);
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
