//! The page shell: header with navigation, language switch and account, flash message, footer.

use crate::domain::{Lang, Permission};
use crate::i18n::tr_arg;
use crate::views::page::PageContext;
use maud::{html, Markup, DOCTYPE};

/// A full page around `body`, titled `title`.
pub fn page(ctx: &PageContext, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(ctx.lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (ctx.t("app.name")) }
                link rel="stylesheet" href="/static/app.css";
                script src="/static/app.js" defer {}
                link rel="icon" href="/static/favicon.svg" type="image/svg+xml";
            }
            body {
                a.skip-link href="#main" { (ctx.t("nav.skip")) }
                header.site-header {
                    div.header-inner {
                        a.brand href="/" { (ctx.t("app.name")) }
                        @if ctx.signed_in() { (nav(ctx)) }
                        div.header-tools {
                            (language_switch(ctx))
                            @if let Some(user) = &ctx.reader {
                                form.inline method="post" action="/logout" {
                                    input type="hidden" name="csrf_token" value=(ctx.csrf);
                                    span.who { (user.display_name) " · " (ctx.t(&format!("role.{}", user.role.as_str()))) }
                                    " "
                                    button.link-button type="submit" { (ctx.t("auth.sign_out")) }
                                }
                            }
                        }
                    }
                }
                main #main {
                    @if let Some(flash) = &ctx.flash {
                        div.flash role="status" {
                            @match &flash.arg {
                                Some(arg) => (tr_arg(ctx.lang, &flash.key, arg)),
                                None => (ctx.t(&flash.key)),
                            }
                        }
                    }
                    (body)
                }
                footer.site-footer {
                    p { (ctx.t("app.footer")) }
                }
            }
        }
    }
}

fn nav(ctx: &PageContext) -> Markup {
    let can = |p: Permission| ctx.can(p);
    let current = |prefix: &str| ctx.path == prefix || ctx.path.starts_with(&format!("{prefix}/"));
    let imports = can(Permission::RecordStock) || can(Permission::ManageReference) || can(Permission::ManageTargets);
    // What people use every day stands in the bar; reference data and administration open from
    // a menu each (`<details>`: no script needed), so the bar fits one line at 1280 px.
    let daily: Vec<(&str, &str, bool)> = vec![
        ("/", "nav.home", can(Permission::Read)),
        ("/dashboard", "nav.dashboard", can(Permission::Read)),
        ("/report", "nav.report", can(Permission::Read)),
        ("/stock", "nav.stock", can(Permission::Read)),
        ("/shipments", "nav.shipments", can(Permission::Read)),
        ("/receipts", "nav.receipts", can(Permission::Read)),
        ("/targets", "nav.targets", can(Permission::Read)),
        ("/airings", "nav.airings", can(Permission::Read)),
    ];
    let data: Vec<(&str, &str, bool)> = vec![
        ("/campaigns", "nav.campaigns", can(Permission::Read)),
        ("/materials", "nav.materials", can(Permission::Read)),
        ("/locations", "nav.locations", can(Permission::Read)),
        ("/regions", "nav.regions", can(Permission::Read)),
        ("/location-types", "nav.location_types", can(Permission::Read)),
        ("/imports", "nav.imports", imports),
    ];
    let admin: Vec<(&str, &str, bool)> = vec![
        ("/users", "nav.users", can(Permission::ManageUsers)),
        ("/audit", "nav.audit", can(Permission::ReadAudit)),
        ("/settings/lock-date", "nav.lock_date", can(Permission::ManageReference)),
    ];
    let link = |href: &str, key: &str| {
        let here = if href == "/" { ctx.path == "/" } else { current(href) };
        html! {
            li {
                @if here { a href=(href) aria-current="page" { (ctx.t(key)) } } @else { a href=(href) { (ctx.t(key)) } }
            }
        }
    };
    let group = |label: &str, items: &[(&str, &str, bool)]| {
        let shown: Vec<&(&str, &str, bool)> = items.iter().filter(|i| i.2).collect();
        let open_here = shown.iter().any(|(href, _, _)| current(href));
        html! {
            @if !shown.is_empty() {
                li.nav-group {
                    details open[open_here] {
                        summary { (ctx.t(label)) }
                        ul { @for (href, key, _) in shown { (link(href, key)) } }
                    }
                }
            }
        }
    };
    html! {
        nav.main-nav aria-label=(ctx.t("nav.label")) {
            ul {
                @for (href, key, allowed) in &daily { @if *allowed { (link(href, key)) } }
                (group("nav.data", &data))
                (group("nav.admin", &admin))
            }
        }
    }
}

/// A form per language: works without JavaScript and changes nothing over GET.
fn language_switch(ctx: &PageContext) -> Markup {
    html! {
        form.inline.lang-switch method="post" action="/lang" {
            input type="hidden" name="csrf_token" value=(ctx.csrf);
            input type="hidden" name="next" value=(ctx.here());
            span.visually-hidden { (ctx.t("nav.language")) }
            @for lang in Lang::ALL {
                @if lang == ctx.lang {
                    span.lang-current aria-current="true" lang=(lang.code()) { (lang.native_name()) }
                } @else {
                    button.link-button type="submit" name="lang" value=(lang.code()) lang=(lang.code()) { (lang.native_name()) }
                }
            }
        }
    }
}
