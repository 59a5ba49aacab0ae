//! Location registry pages: filtered, paginated list; details; form.

use crate::domain::Invalid;
use crate::domain::Permission;
use crate::models::location::{LocationQuery, LocationRow, OWNERSHIPS};
use crate::models::location_type::LocationType;
use crate::models::region::Region;
use crate::models::Page;
use crate::views::components::{
    csrf, described_by, filter_field, filter_input, filter_refusal, filter_select, form_error, heading, input,
    input_with_hint, pagination, required_note, select, status_badge, table_region,
};
use crate::views::form::{FieldErrors, FormState};
use crate::views::layout::page;
use crate::views::page::PageContext;
use maud::{html, Markup};

fn type_name(ctx: &PageContext, row: &LocationRow) -> String {
    match ctx.lang {
        crate::domain::Lang::En => row.type_name_en.clone(),
        crate::domain::Lang::Es => row.type_name_es.clone(),
    }
}

/// The location list with its filters. `rows` is None when a filter was refused: the form
/// comes back with the messages and no rows.
pub fn list(
    ctx: &PageContext,
    query: &LocationQuery,
    errors: &FieldErrors,
    refusal: Option<&Invalid>,
    regions: &[Region],
    types: &[LocationType],
    rows: Option<&Page<LocationRow>>,
) -> Markup {
    let regions: Vec<(String, String)> =
        regions.iter().map(|r| (r.id.to_string(), r.name(ctx.lang).to_string())).collect();
    let types: Vec<(String, String)> = types.iter().map(|t| (t.id.to_string(), t.name(ctx.lang).to_string())).collect();
    let chosen_status = if query.status.is_empty() { "active" } else { query.status.as_str() };
    let invalid = |name: &str| errors.get(name).is_some().then_some("true");
    let title = ctx.t("nav.locations");
    let can_manage = ctx.can(Permission::ManageReference);
    let action = can_manage.then(|| ("/locations/new", ctx.t("location.new")));
    page(
        ctx,
        &title,
        html! {
            (heading(&title, action))
            form.filters method="get" action="/locations" role="search" {
                (filter_refusal(ctx, refusal))
                (filter_select(ctx, errors, "region", "field.region", &query.region, &regions))
                (filter_select(ctx, errors, "type", "field.location_type", &query.location_type, &types))
                (filter_field(ctx, errors, "status", "field.status", None, html! {
                    select #status name="status" aria-invalid=[invalid("status")] aria-describedby=[described_by(errors, "status", false)] {
                        @for (value, key) in [("active", "status.active"), ("inactive", "status.inactive"), ("all", "filter.all")] {
                            option value=(value) selected[chosen_status == value] { (ctx.t(key)) }
                        }
                    }
                }))
                (filter_input(ctx, errors, "q", "filter.text", "search", &query.text, None))
                button type="submit" { (ctx.t("filter.apply")) }
            }
            @if let Some(rows) = rows {
                (crate::views::components::download_links(ctx, crate::exchange::export::Kind::Locations, &query.to_query_string()))
                @if rows.rows.is_empty() {
                    p.empty { (ctx.t("list.empty")) }
                } @else {
                    (table_region(&title, html! {
                        table {
                            thead { tr {
                                th scope="col" { (ctx.t("field.code")) }
                                th scope="col" { (ctx.t("field.name")) }
                                th scope="col" { (ctx.t("field.location_type")) }
                                th scope="col" { (ctx.t("field.region")) }
                                th scope="col" { (ctx.t("field.city")) }
                                th scope="col" { (ctx.t("field.status")) }
                            } }
                            tbody {
                                @for row in &rows.rows {
                                    tr {
                                        td { code { (row.location.code) } }
                                        td { a href=(format!("/locations/{}", row.location.id)) { (row.location.name) } }
                                        td { (type_name(ctx, row)) }
                                        td { (row.region_name.get(ctx.lang)) }
                                        td { (row.location.city) @if row.location.country != "VE" { " (" (row.location.country) ")" } }
                                        td { (status_badge(ctx, row.location.is_active)) }
                                    }
                                }
                            }
                        }
                    }))
                }
                (pagination(ctx, &query.to_query_string(), rows.page, rows.page_count(), rows.total))
            }
        },
    )
}

/// A place's page. `pin_form` is the one-time key of the form that makes the place's
/// confirmation PIN, for those who may make it; `refusal` why a PIN was not made.
pub fn detail(ctx: &PageContext, row: &LocationRow, pin_form: Option<&str>, refusal: Option<&Invalid>) -> Markup {
    let l = &row.location;
    let can_manage = ctx.can(Permission::ManageReference);
    page(
        ctx,
        &l.name,
        html! {
            (heading(&l.name, can_manage.then(|| (format!("/locations/{}/edit", l.id), ctx.t("action.edit"))).as_ref().map(|(h, t)| (h.as_str(), t.clone()))))
            dl.facts {
                dt { (ctx.t("field.code")) } dd { code { (l.code) } }
                dt { (ctx.t("field.location_type")) } dd { (type_name(ctx, row)) }
                dt { (ctx.t("field.region")) } dd { (row.region_name.get(ctx.lang)) " (" (row.region_code) ")" }
                dt { (ctx.t("field.city")) } dd { (l.city) }
                dt { (ctx.t("field.country")) } dd { (l.country) }
                @if let Some(o) = &l.ownership { dt { (ctx.t("field.ownership")) } dd { (ctx.t(&format!("ownership.{o}"))) } }
                @if !l.contact.is_empty() { dt { (ctx.t("field.contact")) } dd { (l.contact) } }
                dt { (ctx.t("field.status")) } dd { (status_badge(ctx, l.is_active)) }
                @if !l.is_depot && l.region_id.is_some() {
                    dt { (ctx.t("pin.label")) }
                    dd {
                        @match l.confirm_pin_set_at {
                            Some(at) => { (crate::i18n::tr_arg(ctx.lang, "pin.made_on", &at.format("%Y-%m-%d %H:%M").to_string())) }
                            None => { (ctx.t("pin.none")) }
                        }
                    }
                }
            }
            @if let Some(refusal) = refusal {
                div.form-error role="alert" { (crate::i18n::invalid(ctx.lang, refusal)) }
            }
            @if let Some(key) = pin_form {
                section.pin-make aria-labelledby="pin-heading" {
                    h2 #pin-heading { (ctx.t("pin.heading")) }
                    p.hint { (ctx.t("pin.hint")) }
                    form method="post" action=(format!("/locations/{}/pin", l.id)) {
                        (csrf(ctx))
                        input type="hidden" name=(crate::views::form::SUBMISSION_KEY) value=(key);
                        button.secondary type="submit" {
                            (ctx.t(if l.confirm_pin_set_at.is_some() { "pin.replace" } else { "pin.make" }))
                        }
                    }
                }
            }
            @if can_manage {
                form method="post" action=(format!("/locations/{}/{}", l.id, if l.is_active { "deactivate" } else { "activate" })) {
                    (csrf(ctx))
                    @if l.is_active {
                        p.hint { (ctx.t("location.deactivate_hint")) }
                        button.secondary type="submit" { (ctx.t("location.deactivate")) }
                    } @else {
                        button.secondary type="submit" { (ctx.t("location.activate")) }
                    }
                }
            }
        },
    )
}

pub fn form(
    ctx: &PageContext,
    form: &FormState,
    regions: &[Region],
    types: &[LocationType],
    action: &str,
    title: &str,
) -> Markup {
    let region_options: Vec<(String, String)> =
        regions.iter().map(|r| (r.id.to_string(), format!("{} ({})", r.name(ctx.lang), r.code))).collect();
    let type_options: Vec<(String, String)> =
        types.iter().map(|t| (t.id.to_string(), t.name(ctx.lang).to_string())).collect();
    let ownership_options: Vec<(String, String)> =
        OWNERSHIPS.iter().map(|o| (o.to_string(), ctx.t(&format!("ownership.{o}")))).collect();
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
                (input(ctx, form, "name", "field.name", "text", true))
                (select(ctx, form, "location_type_id", "field.location_type", &type_options, true))
                (select(ctx, form, "region_id", "field.region", &region_options, true))
                (input(ctx, form, "city", "field.city", "text", true))
                (input_with_hint(ctx, form, "country", "field.country", "text", true, Some("hint.country")))
                (select(ctx, form, "ownership", "field.ownership", &ownership_options, false))
                (input(ctx, form, "contact", "field.contact", "text", false))
                div.actions {
                    button.primary type="submit" { (ctx.t("action.save")) }
                    a href="/locations" { (ctx.t("action.cancel")) }
                }
            }
        },
    )
}

/// The place card: the place's new confirmation PIN, shown this once, to print and hand to the
/// institution apart from any delivery note.
pub fn place_card(ctx: &PageContext, row: &LocationRow, pin: &crate::domain::PlacePin) -> Markup {
    let l = &row.location;
    let title = format!("{} — {}", ctx.t("pin.card_title"), l.name);
    page(
        ctx,
        &title,
        html! {
            article.place-card {
                h1 { (ctx.t("pin.card_title")) }
                p.no-print.notice role="status" { (ctx.t("pin.shown_once")) }
                dl.facts {
                    dt { (ctx.t("field.name")) } dd { (l.name) }
                    dt { (ctx.t("field.code")) } dd { code { (l.code) } }
                    dt { (ctx.t("field.city")) } dd { (l.city) ", " (row.region_name.get(ctx.lang)) }
                }
                p.pin-label { (ctx.t("pin.label")) }
                p.pin lang="zxx" { (pin.grouped()) }
                ul.pin-rules {
                    li { (ctx.t("pin.rule_apart")) }
                    li { (ctx.t("pin.rule_carrier")) }
                    li { (ctx.t("pin.rule_new")) }
                }
                p.no-print {
                    button.secondary type="button" data-print="" { (ctx.t("action.print")) }
                    " "
                    a href=(format!("/locations/{}", l.id)) { (ctx.t("pin.back")) }
                }
            }
        },
    )
}
