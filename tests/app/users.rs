//! User administration: add, change role, disable, enable, reset password, end sessions.

use crate::helpers::*;

both_backends!(user_administration, admin_cannot_lock_out_the_last_admin);

async fn user_administration(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let admin = app.signed_in(ADMIN.0, ADMIN.1).await;

    // Add a viewer.
    let form = app.get(&admin, "/users/new").await;
    form.assert_status(200);
    let users = app.count("users");
    let fields = [
        ("username", "Ana.Perez"),
        ("display_name", "Ana Pérez"),
        ("role", "viewer"),
        ("password", "first-password-123"),
    ];
    let page = app.post_form(&admin, "/users/new", &fields).await;
    let next = page.assert_see_other();
    let shown = app.get(&admin, &next).await;
    assert!(shown.has(".flash"), "flash after adding a user\n{}", shown.describe());
    assert_eq!(app.count("users"), users + 1);
    let id = app.user_id("ana.perez");
    assert_eq!(app.strings(&format!("SELECT role AS s FROM users WHERE id = {id}")), vec!["viewer".to_string()]);
    let list = app.get(&admin, "/users").await;
    list.assert_status(200);
    assert!(list.body.contains("ana.perez"), "{}", list.describe());
    // The same username again (any case) is refused on the field.
    let page = app.post_form(&admin, "/users/new", &fields).await;
    assert_eq!(page.status, 422, "{}", page.describe());
    assert!(page.field_error("username").is_some(), "{}", page.describe());
    assert!(!page.body.contains("first-password-123"), "passwords are never echoed back");
    // A short password is refused on the field.
    let short = [("username", "bob"), ("display_name", "Bob"), ("role", "viewer"), ("password", "short")];
    let page = app.post_form(&admin, "/users/new", &short).await;
    assert_eq!(page.status, 422, "{}", page.describe());
    assert!(page.field_error("password").is_some(), "{}", page.describe());
    assert_eq!(page.selected("role").as_deref(), Some("viewer"));
    assert_eq!(app.count("users"), users + 1);

    // The new user signs in; as a viewer they may not see /users.
    let ana = app.signed_in("ana.perez", "first-password-123").await;
    app.get(&ana, "/users").await.assert_status(403);

    // Change the role to admin (and limit to two regions): takes effect on the live session.
    let regions = app.numbers("SELECT CAST(id AS BIGINT) AS n FROM regions ORDER BY id LIMIT 2");
    let (r1, r2) = (regions[0].to_string(), regions[1].to_string());
    let edit = format!("/users/{id}/edit");
    let form = app.get(&admin, &edit).await;
    form.assert_status(200);
    assert_eq!(form.input_value("display_name").as_deref(), Some("Ana Pérez"));
    assert_eq!(form.selected("role").as_deref(), Some("viewer"));
    let fields =
        [("display_name", "Ana P."), ("role", "admin"), ("region_ids", r1.as_str()), ("region_ids", r2.as_str())];
    app.post_form(&admin, &edit, &fields).await.assert_see_other();
    assert_eq!(app.strings(&format!("SELECT role AS s FROM users WHERE id = {id}")), vec!["admin".to_string()]);
    assert_eq!(
        app.numbers(&format!(
            "SELECT CAST(region_id AS BIGINT) AS n FROM user_regions WHERE user_id = {id} ORDER BY region_id"
        )),
        regions
    );
    app.get(&ana, "/users").await.assert_status(200);
    // An unknown role is a field error.
    let bad = [("display_name", "Ana"), ("role", "root")];
    let page = app.post_form(&admin, &edit, &bad).await;
    assert_eq!(page.status, 422, "{}", page.describe());
    assert!(page.field_error("role").is_some(), "{}", page.describe());
    // Back to logistics, no regions.
    let fields = [("display_name", "Ana P."), ("role", "logistics")];
    app.post_form(&admin, &edit, &fields).await.assert_see_other();
    assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM user_regions WHERE user_id = {id}")), 0);
    app.get(&ana, "/users").await.assert_status(403);
    app.get(&ana, "/").await.assert_status(200);

    // Disable: the live session ends at once and sign-in is refused.
    let page = app.post_form_from(&admin, &edit, &format!("/users/{id}/disable"), &[]).await;
    page.assert_see_other();
    assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM sessions WHERE user_id = {id}")), 0);
    app.get(&ana, "/").await.assert_to_login();
    let page = app.login(&client(), "ana.perez", "first-password-123").await;
    assert_eq!(page.status, 422, "a disabled user cannot sign in\n{}", page.describe());

    // Enable: sign-in works again.
    app.post_form_from(&admin, &edit, &format!("/users/{id}/enable"), &[]).await.assert_see_other();
    let _ana = app.signed_in("ana.perez", "first-password-123").await;

    // Reset password: the old one stops working, the new one works.
    let page = app.post_form_from(&admin, &edit, &format!("/users/{id}/password"), &[("password", "tiny")]).await;
    assert_eq!(page.status, 422, "short password refused\n{}", page.describe());
    let page = app
        .post_form_from(&admin, &edit, &format!("/users/{id}/password"), &[("password", "second-password-456")])
        .await;
    page.assert_see_other();
    let old = app.login(&client(), "ana.perez", "first-password-123").await;
    assert_eq!(old.status, 422, "old password refused\n{}", old.describe());
    // (Whether a reset also ends the user's sessions is the app's choice: sign in afresh.)
    let ana = app.signed_in("ana.perez", "second-password-456").await;
    let ana_second_browser = app.signed_in("ana.perez", "second-password-456").await;

    // End sessions: every browser of that user is signed out at once.
    app.get(&ana, "/").await.assert_status(200);
    let page = app.post_form_from(&admin, &edit, &format!("/users/{id}/end-sessions"), &[]).await;
    page.assert_see_other();
    app.get(&ana, "/").await.assert_to_login();
    app.get(&ana_second_browser, "/").await.assert_to_login();
    assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM sessions WHERE user_id = {id}")), 0);
    // The admin's own session is untouched.
    app.get(&admin, "/users").await.assert_status(200);

    // Each of these writes is in the audit log with the admin as actor.
    assert!(
        app.scalar(&format!("SELECT COUNT(*) FROM audit_log WHERE entity_id = '{id}' AND actor = 'admin'")) >= 6,
        "user admin writes are audited"
    );
    // Unknown user ids: 404.
    let token = app.csrf_token(&admin, "/users").await;
    app.post_raw(&admin, "/users/99999999/disable", &[], Some(&token), &[]).await.assert_status(404);
}

async fn admin_cannot_lock_out_the_last_admin(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let admin = app.signed_in(ADMIN.0, ADMIN.1).await;
    let admin_id = app.user_id("admin");
    let edit = format!("/users/{admin_id}/edit");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM users WHERE role = 'admin' AND is_active = true"), 1);

    let refused = |page: &Page| page.status == 422 || page.status == 303 || page.status == 409 || page.status == 403;

    // Disabling oneself: refused (422, or a redirect with an error flash), never a 500.
    let page = app.post_form_from(&admin, &edit, &format!("/users/{admin_id}/disable"), &[]).await;
    assert!(refused(&page), "{}", page.describe());
    if page.status == 303 {
        let shown = app.get(&admin, &page.location().unwrap_or_default()).await;
        assert!(shown.has(".flash"), "an error flash\n{}", shown.describe());
    }
    assert_eq!(
        app.scalar(&format!("SELECT COUNT(*) FROM users WHERE id = {admin_id} AND is_active = true")),
        1,
        "the admin is still active"
    );
    app.get(&admin, "/users").await.assert_status(200);

    // Demoting the last admin: refused too.
    let page = app.post_form(&admin, &edit, &[("display_name", "Administrator"), ("role", "viewer")]).await;
    assert!(refused(&page), "{}", page.describe());
    assert_eq!(
        app.strings(&format!("SELECT role AS s FROM users WHERE id = {admin_id}")),
        vec!["admin".to_string()],
        "the last admin stays admin"
    );
    // Ending one's own sessions is not a 500 either.
    let page = app.post_form_from(&admin, &edit, &format!("/users/{admin_id}/end-sessions"), &[]).await;
    assert!(page.status < 500, "{}", page.describe());

    // With a second admin, the first may be disabled by the second, and then the second is the
    // last one: it cannot disable itself.
    let admin = app.signed_in(ADMIN.0, ADMIN.1).await;
    let (second, second_password) = app.create_user(campaign_tracker::domain::Role::Admin);
    let second_id = app.user_id(&second);
    let second_browser = app.signed_in(&second, &second_password).await;
    let page = app.post_form_from(&second_browser, "/users", &format!("/users/{admin_id}/disable"), &[]).await;
    page.assert_see_other();
    app.get(&admin, "/").await.assert_to_login();
    let page = app.post_form_from(&second_browser, "/users", &format!("/users/{second_id}/disable"), &[]).await;
    assert!(refused(&page), "{}", page.describe());
    assert_eq!(app.scalar("SELECT COUNT(*) FROM users WHERE role = 'admin' AND is_active = true"), 1);
    app.get(&second_browser, "/users").await.assert_status(200);
}
