//! Reference data and account pages: regions, location types, users, the audit log.

use crate::domain::{Invalid, Permission, Role};
use crate::models::audit::AuditEntry;
use crate::models::keyset::Window;
use crate::models::location_type::LocationType;
use crate::models::region::Region;
use crate::models::user::User;
use crate::views::components::{
    checkbox, csrf, filter_refusal, filter_select, form_error, heading, input, keyset_nav, required_note, select,
    status_badge, table_region,
};
use crate::views::form::{FieldErrors, FormState};
use crate::views::layout::page;
use crate::views::page::PageContext;
use maud::{html, Markup};

fn can_manage(ctx: &PageContext) -> bool {
    ctx.can(Permission::ManageReference)
}

fn form_actions(ctx: &PageContext, cancel: &str) -> Markup {
    html! {
        div.actions {
            button.primary type="submit" { (ctx.t("action.save")) }
            a href=(cancel) { (ctx.t("action.cancel")) }
        }
    }
}

pub fn region_list(ctx: &PageContext, regions: &[Region]) -> Markup {
    let title = ctx.t("nav.regions");
    page(
        ctx,
        &title,
        html! {
            (heading(&title, can_manage(ctx).then(|| ("/regions/new", ctx.t("region.new")))))
            (table_region(&title, html! { table {
                thead { tr {
                    th scope="col" { (ctx.t("field.code")) }
                    th scope="col" { (ctx.t("field.name")) }
                    th scope="col" { (ctx.t("field.tile")) }
                    @if can_manage(ctx) { th scope="col" { span.visually-hidden { (ctx.t("action.edit")) } } }
                } }
                tbody {
                    @for r in regions {
                        tr {
                            td { code { (r.code) } }
                            td { a href=(format!("/locations?region={}", r.id)) { (r.name(ctx.lang)) } @if r.is_abroad { " " span.badge { (ctx.t("region.abroad")) } } }
                            td { @if let (Some(c), Some(row)) = (r.tile_col, r.tile_row) { (c) ", " (row) } @else { "—" } }
                            @if can_manage(ctx) { td { a href=(format!("/regions/{}/edit", r.id)) { (ctx.t("action.edit")) span.visually-hidden { " " (r.name(ctx.lang)) } } } }
                        }
                    }
                }
            } }))
        },
    )
}

pub fn region_form(ctx: &PageContext, form: &FormState, action: &str, title: &str) -> Markup {
    page(
        ctx,
        title,
        html! {
            h1 { (title) }
            (form_error(ctx, form))
            form.stacked method="post" action=(action) novalidate {
                (csrf(ctx))
                (required_note(ctx))
                (input(ctx, form, "code", "field.code", "text", true))
                (crate::views::components::input_with_hint(ctx, form, "name_es", "field.name_es", "text", false, Some("hint.names_either")))
                (input(ctx, form, "name_en", "field.name_en", "text", false))
                (input(ctx, form, "tile_col", "field.tile_col", "text", false))
                (input(ctx, form, "tile_row", "field.tile_row", "text", false))
                (checkbox(ctx, form, "is_abroad", "field.is_abroad"))
                (form_actions(ctx, "/regions"))
            }
        },
    )
}

pub fn type_list(ctx: &PageContext, types: &[LocationType]) -> Markup {
    let title = ctx.t("nav.location_types");
    page(
        ctx,
        &title,
        html! {
            (heading(&title, can_manage(ctx).then(|| ("/location-types/new", ctx.t("location_type.new")))))
            (table_region(&title, html! { table {
                thead { tr {
                    th scope="col" { (ctx.t("field.code")) }
                    th scope="col" { (ctx.t("field.name_en")) }
                    th scope="col" { (ctx.t("field.name_es")) }
                    th scope="col" { (ctx.t("field.is_depot")) }
                    @if can_manage(ctx) { th scope="col" { span.visually-hidden { (ctx.t("action.edit")) } } }
                } }
                tbody {
                    @for t in types {
                        tr {
                            td { code { (t.code) } }
                            td lang="en" { a href=(format!("/locations?type={}", t.id)) { (t.name_en) } }
                            td lang="es" { (t.name_es) }
                            td { @if t.is_depot { (ctx.t("answer.yes")) } @else { (ctx.t("answer.no")) } }
                            @if can_manage(ctx) { td { a href=(format!("/location-types/{}/edit", t.id)) { (ctx.t("action.edit")) span.visually-hidden { " " (t.name(ctx.lang)) } } } }
                        }
                    }
                }
            } }))
        },
    )
}

pub fn type_form(ctx: &PageContext, form: &FormState, action: &str, title: &str) -> Markup {
    page(
        ctx,
        title,
        html! {
            h1 { (title) }
            (form_error(ctx, form))
            form.stacked method="post" action=(action) novalidate {
                (csrf(ctx))
                (required_note(ctx))
                (input(ctx, form, "code", "field.code", "text", true))
                (input(ctx, form, "name_en", "field.name_en", "text", true))
                (input(ctx, form, "name_es", "field.name_es", "text", true))
                (checkbox(ctx, form, "is_depot", "field.is_depot"))
                (form_actions(ctx, "/location-types"))
            }
        },
    )
}

fn role_options(ctx: &PageContext) -> Vec<(String, String)> {
    Role::ALL.iter().map(|r| (r.as_str().to_string(), ctx.t(&format!("role.{}", r.as_str())))).collect()
}

pub fn user_list(ctx: &PageContext, users: &[User]) -> Markup {
    let title = ctx.t("nav.users");
    page(
        ctx,
        &title,
        html! {
            (heading(&title, Some(("/users/new", ctx.t("user.new")))))
            (table_region(&title, html! { table {
                thead { tr {
                    th scope="col" { (ctx.t("field.username")) }
                    th scope="col" { (ctx.t("field.display_name")) }
                    th scope="col" { (ctx.t("field.role")) }
                    th scope="col" { (ctx.t("field.status")) }
                } }
                tbody {
                    @for u in users {
                        tr {
                            td { a href=(format!("/users/{}/edit", u.id)) { (u.username) } }
                            td { (u.display_name) }
                            td { (ctx.t(&format!("role.{}", u.role.as_str()))) }
                            td { (status_badge(ctx, u.is_active)) }
                        }
                    }
                }
            } }))
        },
    )
}

pub fn user_new(ctx: &PageContext, form: &FormState) -> Markup {
    let title = ctx.t("user.new");
    page(
        ctx,
        &title,
        html! {
            h1 { (title) }
            (form_error(ctx, form))
            form.stacked method="post" action="/users/new" novalidate {
                (csrf(ctx))
                (required_note(ctx))
                (input(ctx, form, "username", "field.username", "text", true))
                (input(ctx, form, "display_name", "field.display_name", "text", false))
                (select(ctx, form, "role", "field.role", &role_options(ctx), true))
                (input(ctx, form, "password", "field.password", "password", true))
                (form_actions(ctx, "/users"))
            }
        },
    )
}

/// The account page: profile and regions form, password reset, sessions, enable/disable.
pub fn user_edit(
    ctx: &PageContext,
    user: &User,
    regions: &[Region],
    form: &FormState,
    password_form: &FormState,
    sessions: i64,
) -> Markup {
    let title = format!("{} · {}", ctx.t("user.edit"), user.username);
    let chosen = form.multi.get("region_ids").cloned().unwrap_or_default();
    page(
        ctx,
        &title,
        html! {
            h1 { (title) }
            p { (ctx.t("field.status")) ": " (status_badge(ctx, user.is_active)) }
            (form_error(ctx, form))
            form.stacked method="post" action=(format!("/users/{}/edit", user.id)) novalidate {
                (csrf(ctx))
                (required_note(ctx))
                (input(ctx, form, "display_name", "field.display_name", "text", true))
                (select(ctx, form, "role", "field.role", &role_options(ctx), true))
                fieldset.regions {
                    legend { (ctx.t("user.regions")) }
                    p.hint { (ctx.t("user.regions_hint")) }
                    div.checkbox-grid {
                        @for r in regions {
                            div.checkbox {
                                input type="checkbox" name="region_ids" value=(r.id) id=(format!("region-{}", r.id)) checked[chosen.contains(&r.id.to_string())];
                                label for=(format!("region-{}", r.id)) { (r.name(ctx.lang)) }
                            }
                        }
                    }
                }
                (form_actions(ctx, "/users"))
            }
            section.card {
                h2 { (ctx.t("user.reset_password")) }
                form.stacked method="post" action=(format!("/users/{}/password", user.id)) novalidate {
                    (csrf(ctx))
                    (input(ctx, password_form, "password", "field.new_password", "password", true))
                    button type="submit" { (ctx.t("user.reset_password")) }
                }
            }
            section.card {
                h2 { (ctx.t("user.sessions")) }
                p { (crate::i18n::tr_arg(ctx.lang, "user.session_count", &sessions.to_string())) }
                form method="post" action=(format!("/users/{}/end-sessions", user.id)) {
                    (csrf(ctx))
                    button.secondary type="submit" { (ctx.t("user.end_sessions")) }
                }
            }
            section.card {
                h2 { (ctx.t("user.access")) }
                @if user.is_active {
                    form method="post" action=(format!("/users/{}/disable", user.id)) {
                        (csrf(ctx))
                        p.hint { (ctx.t("user.disable_hint")) }
                        button.danger type="submit" { (ctx.t("user.disable")) }
                    }
                } @else {
                    form method="post" action=(format!("/users/{}/enable", user.id)) {
                        (csrf(ctx))
                        button type="submit" { (ctx.t("user.enable")) }
                    }
                }
            }
        },
    )
}

/// An audit log code in the reader's language; a code this catalogue does not know (written by a
/// later version, say) shows as itself rather than as a key.
fn audit_term(ctx: &PageContext, group: &str, code: &str) -> String {
    let key = format!("audit.{group}.{code}");
    let term = ctx.t(&key);
    if term == key {
        code.to_string()
    } else {
        term
    }
}

/// The audit log with its filter. `entries` is None when the filter was refused.
pub fn audit(
    ctx: &PageContext,
    entries: Option<&Window<AuditEntry>>,
    entities: &[String],
    chosen: &str,
    errors: &FieldErrors,
    refusal: Option<&Invalid>,
) -> Markup {
    let title = ctx.t("nav.audit");
    let base_query = if chosen.is_empty() {
        String::new()
    } else {
        format!("entity={}", crate::views::components::url_encode(chosen))
    };
    let options: Vec<(String, String)> = entities.iter().map(|e| (e.clone(), audit_term(ctx, "entity", e))).collect();
    page(
        ctx,
        &title,
        html! {
            h1 { (title) }
            form.filters method="get" action="/audit" {
                (filter_refusal(ctx, refusal))
                (filter_select(ctx, errors, "entity", "audit.entity", chosen, &options))
                button type="submit" { (ctx.t("filter.apply")) }
            }
            @if let Some(entries) = entries {
                (table_region(&title, html! {
                    table {
                        thead { tr {
                            th scope="col" { (ctx.t("audit.when")) }
                            th scope="col" { (ctx.t("audit.who")) }
                            th scope="col" { (ctx.t("audit.action")) }
                            th scope="col" { (ctx.t("audit.record")) }
                            th scope="col" { (ctx.t("audit.summary")) }
                            th scope="col" { (ctx.t("audit.ip")) }
                        } }
                        tbody {
                            @for e in &entries.rows {
                                tr {
                                    td { time datetime=(e.at.format("%Y-%m-%dT%H:%M:%SZ")) { (e.at.format("%Y-%m-%d %H:%M:%S")) } }
                                    td { (e.actor) }
                                    td { (audit_term(ctx, "act", &e.action)) }
                                    td { (audit_term(ctx, "entity", &e.entity)) " #" (e.entity_id) }
                                    td { (e.summary) }
                                    td { (e.ip) }
                                }
                            }
                        }
                    }
                }))
                (keyset_nav(ctx, &base_query, entries))
            }
        },
    )
}
