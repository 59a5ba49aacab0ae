//! English and Spanish: Accept-Language, and the language switch that sets a cookie.

use crate::helpers::*;

both_backends!(both_languages);

async fn both_languages(backend: Backend) {
    let app = spawn_demo_app(backend).await;

    // Default: English.
    let page = app.get(&client(), "/login").await;
    page.assert_status(200);
    assert_eq!(page.lang().as_deref(), Some("en"), "{}", page.describe());
    assert_eq!(page.text("h1").as_deref(), Some("Sign in"), "{}", page.describe());

    // Accept-Language picks Spanish.
    let page = app.get_with(&client(), "/login", &[("Accept-Language", "es-VE,es;q=0.9")]).await;
    page.assert_status(200);
    assert_eq!(page.lang().as_deref(), Some("es"), "{}", page.describe());
    assert_eq!(page.text("h1").as_deref(), Some("Iniciar sesión"), "{}", page.describe());
    // An unsupported first choice falls to the next supported one.
    let page = app.get_with(&client(), "/login", &[("Accept-Language", "fr-FR, es;q=0.8, en;q=0.5")]).await;
    assert_eq!(page.lang().as_deref(), Some("es"));
    let page = app.get_with(&client(), "/login", &[("Accept-Language", "en-US,en;q=0.9,es;q=0.8")]).await;
    assert_eq!(page.lang().as_deref(), Some("en"));

    // The switch: POST /lang sets ct_lang and goes back to `next`.
    let browser = client();
    let token = app.csrf_token(&browser, "/login").await;
    let page = app.post_raw(&browser, "/lang", &[("lang", "es"), ("next", "/login")], Some(&token), &[]).await;
    assert_eq!(page.assert_see_other(), "/login", "{}", page.describe());
    assert_eq!(page.cookie_value("ct_lang").as_deref(), Some("es"), "{:?}", page.set_cookies());
    // The cookie wins over Accept-Language.
    let page = app.get_with(&browser, "/login", &[("Accept-Language", "en-US,en;q=0.9")]).await;
    assert_eq!(page.lang().as_deref(), Some("es"), "{}", page.describe());
    assert_eq!(page.text("h1").as_deref(), Some("Iniciar sesión"));

    // Signed-in pages follow it too, and the choice survives sign-in.
    app.login_ok(&browser, VIEWER.0, VIEWER.1).await;
    let home = app.get(&browser, "/dashboard").await;
    home.assert_status(200);
    assert_eq!(home.lang().as_deref(), Some("es"), "{}", home.describe());
    let campaigns = app.get(&browser, "/campaigns").await;
    assert_eq!(campaigns.lang().as_deref(), Some("es"));

    // Switch back to English (signed in), with an off-site next: stays on the site.
    let token = app.csrf_token(&browser, "/").await;
    let page = app.post_raw(&browser, "/lang", &[("lang", "en"), ("next", "//evil.example/")], Some(&token), &[]).await;
    let location = page.assert_see_other();
    assert!(location.starts_with('/') && !location.starts_with("//"), "lang next stays local: {location}");
    assert!(!page.raw_location().unwrap_or_default().contains("evil.example"));
    let home = app.get_with(&browser, "/dashboard", &[("Accept-Language", "es")]).await;
    assert_eq!(home.lang().as_deref(), Some("en"), "{}", home.describe());

    // An unknown language is not a 500.
    let token = app.csrf_token(&browser, "/").await;
    let page = app.post_raw(&browser, "/lang", &[("lang", "xx"), ("next", "/")], Some(&token), &[]).await;
    assert!(page.status < 500, "{}", page.describe());
    // Every page in Spanish has a lang attribute; the 404 page too.
    let page = app.get_with(&client(), "/nowhere", &[("Accept-Language", "es")]).await;
    assert!(page.status == 404 || page.status == 303, "{}", page.describe());
}
