//! Cross-site request forgery: every POST needs this browser's token and no foreign Origin.

use crate::helpers::*;

both_backends!(csrf_protection);

fn campaign_fields(code: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("code", code),
        ("name_es", "CSRF probe"),
        ("owner_es", "Tester"),
        ("description", "made by the csrf test"),
        ("starts_on", "2026-01-01"),
        ("ends_on", "2026-02-01"),
    ]
}

async fn csrf_protection(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let admin = app.signed_in(ADMIN.0, ADMIN.1).await;
    let other_admin = app.signed_in(ADMIN.0, ADMIN.1).await;
    let campaigns = app.count("campaigns");
    let audit = app.count("audit_log");

    // 1. No token at all.
    let page = app.post_raw(&admin, "/campaigns/new", &campaign_fields("CSRF-1"), None, &[]).await;
    assert_eq!(page.status, 403, "no token\n{}", page.describe());

    // 2. An empty or made-up token.
    let page = app.post_raw(&admin, "/campaigns/new", &campaign_fields("CSRF-2"), Some(""), &[]).await;
    assert_eq!(page.status, 403, "empty token\n{}", page.describe());
    let page = app.post_raw(&admin, "/campaigns/new", &campaign_fields("CSRF-3"), Some("deadbeef"), &[]).await;
    assert_eq!(page.status, 403, "made-up token\n{}", page.describe());

    // 3. A token from another browser (another cookie jar, even of the same user).
    let foreign_token = app.csrf_token(&other_admin, "/campaigns/new").await;
    let own_token = app.csrf_token(&admin, "/campaigns/new").await;
    assert_ne!(foreign_token, own_token, "tokens are per browser");
    let page = app.post_raw(&admin, "/campaigns/new", &campaign_fields("CSRF-4"), Some(&foreign_token), &[]).await;
    assert_eq!(page.status, 403, "other browser's token\n{}", page.describe());
    // An anonymous browser's token too.
    let anon_token = app.csrf_token(&client(), "/login").await;
    let page = app.post_raw(&admin, "/campaigns/new", &campaign_fields("CSRF-5"), Some(&anon_token), &[]).await;
    assert_eq!(page.status, 403, "anonymous browser's token\n{}", page.describe());

    // 4. A valid token but a foreign Origin.
    let page = app
        .post_raw(
            &admin,
            "/campaigns/new",
            &campaign_fields("CSRF-6"),
            Some(&own_token),
            &[("Origin", "http://evil.example")],
        )
        .await;
    assert_eq!(page.status, 403, "foreign Origin\n{}", page.describe());
    // "null" origin (sandboxed iframe, data: URL) is not ours either.
    let page = app
        .post_raw(&admin, "/campaigns/new", &campaign_fields("CSRF-7"), Some(&own_token), &[("Origin", "null")])
        .await;
    assert_eq!(page.status, 403, "Origin: null\n{}", page.describe());

    // 5. Logout and sign-in forms are protected too.
    let page = app.post_raw(&admin, "/logout", &[], None, &[]).await;
    assert_eq!(page.status, 403, "logout without token\n{}", page.describe());
    app.get(&admin, "/").await.assert_status(200);
    let login_browser = client();
    app.get(&login_browser, "/login").await.assert_status(200);
    let page = app.post_raw(&login_browser, "/login", &[("username", ADMIN.0), ("password", ADMIN.1)], None, &[]).await;
    assert_eq!(page.status, 403, "login without token\n{}", page.describe());
    app.get(&login_browser, "/").await.assert_to_login();

    assert_eq!(app.count("campaigns"), campaigns, "refused POSTs write nothing");
    assert_eq!(app.count("audit_log"), audit, "refused POSTs write nothing");

    // 6. A token from before sign-in is dead after it (ct_sid rotates at login), and one from
    //    before sign-out is dead after that.
    let browser = client();
    let before_login = app.csrf_token(&browser, "/login").await;
    app.login_ok(&browser, ADMIN.0, ADMIN.1).await;
    let page = app.post_raw(&browser, "/campaigns/new", &campaign_fields("CSRF-8"), Some(&before_login), &[]).await;
    assert_eq!(page.status, 403, "pre-login token after login\n{}", page.describe());
    let signed_in_token = app.csrf_token(&browser, "/").await;
    assert_ne!(before_login, signed_in_token, "token changes with ct_sid at login");
    app.post_raw(&browser, "/logout", &[], Some(&signed_in_token), &[]).await.assert_see_other();
    let page =
        app.post_raw(&browser, "/lang", &[("lang", "es"), ("next", "/login")], Some(&signed_in_token), &[]).await;
    assert_eq!(page.status, 403, "pre-logout token after logout\n{}", page.describe());

    assert_eq!(app.count("campaigns"), campaigns, "refused POSTs write nothing");

    // Control: the same request with the browser's own token, and with our own Origin, works.
    let page = app.post_raw(&admin, "/campaigns/new", &campaign_fields("CSRF-OK"), Some(&own_token), &[]).await;
    page.assert_see_other();
    let origin = app.address.clone();
    let page = app
        .post_raw(&admin, "/campaigns/new", &campaign_fields("CSRF-OK2"), Some(&own_token), &[("Origin", &origin)])
        .await;
    page.assert_see_other();
    assert_eq!(app.count("campaigns"), campaigns + 2);
}
