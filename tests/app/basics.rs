//! Health check, security headers, first-run setup.

use crate::helpers::*;

both_backends!(
    healthz_without_login,
    static_files_without_login,
    security_headers,
    first_run_setup,
    secure_cookies_when_configured
);

async fn healthz_without_login(backend: Backend) {
    let app = spawn_app(backend).await;
    let page = app.get(&client(), "/healthz").await;
    page.assert_status(200);
    assert!(page.body.contains("ok"), "{}", page.describe());
}

fn assert_security_headers(page: &Page) {
    let csp = page
        .header("content-security-policy")
        .unwrap_or_else(|| panic!("no Content-Security-Policy\n{}", page.describe()));
    assert!(csp.contains("frame-ancestors 'none'"), "CSP lacks frame-ancestors 'none': {csp}\n{}", page.describe());
    // The directive that governs scripts: script-src, else default-src.
    let directives: Vec<&str> = csp.split(';').map(str::trim).collect();
    let script = directives
        .iter()
        .find(|d| d.starts_with("script-src ") || **d == "script-src")
        .or_else(|| directives.iter().find(|d| d.starts_with("default-src")));
    if let Some(script) = script {
        assert!(!script.contains("'unsafe-inline'"), "script-src allows 'unsafe-inline': {csp}");
    }
    assert!(script.is_some(), "CSP has neither script-src nor default-src: {csp}");
    assert_eq!(
        page.header("x-content-type-options").as_deref(),
        Some("nosniff"),
        "X-Content-Type-Options\n{}",
        page.describe()
    );
    assert!(page.header("referrer-policy").is_some(), "no Referrer-Policy\n{}", page.describe());
}

async fn security_headers(backend: Backend) {
    let app = spawn_demo_app(backend).await;

    // A page, anonymous.
    let login = app.get(&client(), "/login").await;
    login.assert_status(200);
    assert_security_headers(&login);
    // The redirect an anonymous visitor gets.
    let redirect = app.get(&client(), "/campaigns").await;
    redirect.assert_to_login();
    assert_security_headers(&redirect);

    // A page, signed in.
    let viewer = app.signed_in(VIEWER.0, VIEWER.1).await;
    let home = app.get(&viewer, "/dashboard").await;
    home.assert_status(200);
    assert_security_headers(&home);

    // A 404: unknown id and unknown route.
    let missing = app.get(&viewer, "/campaigns/99999999").await;
    missing.assert_status(404);
    assert_security_headers(&missing);
    assert!(missing.body.to_lowercase().contains("<html"), "404 is an HTML page\n{}", missing.describe());
    let missing_route = app.get(&viewer, "/no-such-page").await;
    missing_route.assert_status(404);
    assert_security_headers(&missing_route);

    // A 403: a viewer on the users page.
    let forbidden = app.get(&viewer, "/users").await;
    forbidden.assert_status(403);
    assert_security_headers(&forbidden);
    assert!(forbidden.body.to_lowercase().contains("<html"), "403 is an HTML page\n{}", forbidden.describe());

    // healthz too.
    let health = app.get(&client(), "/healthz").await;
    assert_security_headers(&health);
}

async fn first_run_setup(backend: Backend) {
    let app = spawn_app(backend).await;
    let link = app.setup_link.clone().expect("an empty database gives a setup link");
    assert!(link.starts_with("/setup/"), "setup link {link}");
    assert_eq!(app.count("users"), 0);

    let browser = client();
    // Wrong token: 404 for both GET and POST.
    app.get(&browser, "/setup/not-the-token").await.assert_status(404);
    let form = app.get(&browser, &link).await;
    form.assert_status(200);
    let token = form.csrf().unwrap_or_else(|| panic!("setup form has csrf_token\n{}", form.describe()));
    let fields = [
        ("username", "Founder"),
        ("display_name", "First Admin"),
        ("password", "a-very-long-setup-password"),
        ("password_confirm", "a-very-long-setup-password"),
    ];
    app.post_raw(&browser, "/setup/not-the-token", &fields, Some(&token), &[]).await.assert_status(404);
    assert_eq!(app.count("users"), 0, "a wrong token writes nothing");

    // Mismatched confirmation is a validation error, not a user.
    let mismatch = [
        ("username", "founder"),
        ("display_name", "First Admin"),
        ("password", "a-very-long-setup-password"),
        ("password_confirm", "something-else-entirely"),
    ];
    let page = app.post_raw(&browser, &link, &mismatch, Some(&token), &[]).await;
    page.assert_status(422);
    assert_eq!(app.count("users"), 0);

    // The real thing: an admin is created and signed in.
    let token = app.get(&browser, &link).await.csrf().expect("csrf");
    let done = app.post_raw(&browser, &link, &fields, Some(&token), &[]).await;
    assert_eq!(done.assert_see_other(), "/", "{}", done.describe());
    assert_eq!(app.count("users"), 1);
    assert_eq!(app.strings("SELECT role AS s FROM users"), vec!["admin".to_string()]);
    app.get(&browser, "/dashboard").await.assert_status(200);
    // The admin can sign in with the chosen password (username stored lower-case).
    app.signed_in("founder", "a-very-long-setup-password").await;

    // Once a user exists the link is dead, for GET and POST, from any browser.
    app.get(&browser, &link).await.assert_status(404);
    app.get(&client(), &link).await.assert_status(404);
    let other = client();
    let token = app.csrf_token(&other, "/login").await;
    let again = [
        ("username", "second"),
        ("display_name", "Second"),
        ("password", "another-long-password"),
        ("password_confirm", "another-long-password"),
    ];
    app.post_raw(&other, &link, &again, Some(&token), &[]).await.assert_status(404);
    assert_eq!(app.count("users"), 1);
}

async fn static_files_without_login(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = client();
    let login = app.get(&browser, "/login").await;
    let mut assets = login.attrs("link[href^=\"/static/\"]", "href");
    assets.extend(login.attrs("script[src^=\"/static/\"]", "src"));
    assert!(!assets.is_empty(), "the login page links its stylesheet from /static/\n{}", login.describe());
    for asset in assets {
        let page = app.get(&client(), &asset).await;
        assert_eq!(page.status, 200, "{asset} without login\n{}", page.describe());
    }
    let missing = app.get(&client(), "/static/no-such-file.css").await;
    assert_eq!(missing.status, 404, "a missing asset is 404, not a login redirect\n{}", missing.describe());
    let traversal = app.get(&client(), "/static/..%2F..%2FCargo.toml").await;
    assert!(traversal.status == 404 || traversal.status == 400, "{}", traversal.describe());
    assert!(!traversal.body.contains("[package]"));
}

async fn secure_cookies_when_configured(backend: Backend) {
    let app = spawn_app_with(backend, |config| config.secure_cookies = true).await;
    let page = app.get(&client(), "/login").await;
    page.assert_status(200);
    let line = page.set_cookie("ct_sid").unwrap_or_else(|| panic!("ct_sid set on /login: {:?}", page.set_cookies()));
    let attrs: Vec<String> = line.to_ascii_lowercase().split(';').skip(1).map(|a| a.trim().to_string()).collect();
    assert!(attrs.iter().any(|a| a == "secure"), "Secure with secure_cookies: {line}");
    assert!(attrs.iter().any(|a| a == "httponly"), "{line}");
}
