//! Friendly error pages: what happened and where to go next.

use crate::domain::Lang;
use crate::i18n::tr;
use maud::{html, Markup, DOCTYPE};

/// A complete error page for `status`; it needs no session, so any failure can show it.
pub fn page(lang: Lang, status: u16, signed_in: bool) -> Markup {
    let key = match status {
        400 => "error.400",
        403 => "error.403",
        404 => "error.404",
        405 => "error.405",
        408 => "error.408",
        413 => "error.413",
        429 => "error.429",
        503 => "error.503",
        s if s >= 500 => "error.500",
        _ => "error.other",
    };
    let title = tr(lang, &format!("{key}.title"));
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " (" (status) ") · " (tr(lang, "app.name")) }
                link rel="stylesheet" href="/static/app.css";
            }
            body {
                header.site-header { div.header-inner { a.brand href="/" { (tr(lang, "app.name")) } } }
                main #main.error-page {
                    h1 { (title) }
                    p { (tr(lang, &format!("{key}.body"))) }
                    p.error-code { (tr(lang, "error.code")) " " (status) }
                    p {
                        @if signed_in {
                            a.button href="/" { (tr(lang, "error.home")) }
                        } @else {
                            a.button href="/login" { (tr(lang, "auth.sign_in")) }
                        }
                    }
                }
            }
        }
    }
}

/// A download that was refused, and why, inside the usual page (the error pages replace any
/// body that is not HTML).
pub fn export_refused(ctx: &crate::views::page::PageContext, message: &str) -> Markup {
    let title = ctx.t("export.refused");
    crate::views::layout::page(
        ctx,
        &title,
        html! {
            h1 { (title) }
            p.export-refused { (message) }
        },
    )
}
