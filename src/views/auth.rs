//! Sign-in and first-run setup pages.

use crate::views::components::{csrf, form_error, input, input_autocomplete, required_note};
use crate::views::form::FormState;
use crate::views::layout::page;
use crate::views::page::PageContext;
use maud::{html, Markup};

pub fn login(ctx: &PageContext, form: &FormState, next: &str, resume: &str) -> Markup {
    let title = ctx.t("auth.sign_in");
    page(
        ctx,
        &title,
        html! {
            section.narrow {
                h1 { (title) }
                @if !resume.is_empty() {
                    p.notice role="status" { (ctx.t("auth.resume_notice")) }
                }
                (form_error(ctx, form))
                form method="post" action="/login" novalidate {
                    (csrf(ctx))
                    input type="hidden" name="next" value=(next);
                    input type="hidden" name="resume" value=(resume);
                    div.field {
                        label for="username" { (ctx.t("field.username")) }
                        input #username name="username" type="text" value=(form.value("username"))
                            autocomplete="username" autocapitalize="none" required autofocus;
                    }
                    div.field {
                        label for="password" { (ctx.t("field.password")) }
                        input #password name="password" type="password" autocomplete="current-password" required;
                    }
                    button.primary type="submit" { (title) }
                }
            }
        },
    )
}

pub fn setup(ctx: &PageContext, form: &FormState, token: &str) -> Markup {
    let title = ctx.t("setup.title");
    page(
        ctx,
        &title,
        html! {
            section.narrow {
                h1 { (title) }
                p { (ctx.t("setup.intro")) }
                (form_error(ctx, form))
                form method="post" action=(format!("/setup/{token}")) novalidate {
                    (csrf(ctx))
                    (required_note(ctx))
                    (input_autocomplete(ctx, form, "username", "field.username", "text", true, "username"))
                    (input_autocomplete(ctx, form, "display_name", "field.display_name", "text", false, "name"))
                    (input(ctx, form, "password", "field.password", "password", true))
                    (input(ctx, form, "password_confirm", "field.password_confirm", "password", true))
                    button.primary type="submit" { (ctx.t("setup.submit")) }
                }
            }
        },
    )
}
