//! Location registry pages: filtered, paginated list; details; form.

use crate::domain::Permission;
use crate::models::location::{LocationRow, OWNERSHIPS};
use crate::models::location_type::LocationType;
use crate::models::region::Region;
use crate::models::Page;
use crate::views::components::{
    csrf, form_error, heading, input, input_with_hint, pagination, required_note, select, status_badge, table_region,
};
use crate::views::layout::page;
use crate::web::ctx::Ctx;
use crate::web::forms::FormState;
use maud::{html, Markup};

/// The list's filters as typed, to keep them in the form and the page links.
pub struct LocationQuery {
    pub region: String,
    pub location_type: String,
    pub text: String,
    pub status: String,
}

impl LocationQuery {
    pub fn to_query_string(&self) -> String {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in
            [("region", &self.region), ("type", &self.location_type), ("q", &self.text), ("status", &self.status)]
        {
            if !v.is_empty() {
                s.append_pair(k, v);
            }
        }
        s.finish()
    }
}

fn type_name(ctx: &Ctx, row: &LocationRow) -> String {
    match ctx.lang {
        crate::domain::Lang::En => row.type_name_en.clone(),
        crate::domain::Lang::Es => row.type_name_es.clone(),
    }
}

pub fn list(
    ctx: &Ctx,
    query: &LocationQuery,
    regions: &[Region],
    types: &[LocationType],
    rows: &Page<LocationRow>,
) -> Markup {
    let title = ctx.t("nav.locations");
    let can_manage = ctx.user.as_ref().is_some_and(|u| u.role.can(Permission::ManageReference));
    let action = can_manage.then(|| ("/locations/new", ctx.t("location.new")));
    page(
        ctx,
        &title,
        html! {
            (heading(&title, action))
            form.filters method="get" action="/locations" role="search" {
                div.field {
                    label for="region" { (ctx.t("field.region")) }
                    select #region name="region" {
                        option value="" { (ctx.t("filter.all")) }
                        @for r in regions { option value=(r.id) selected[query.region == r.id.to_string()] { (r.name(ctx.lang)) } }
                    }
                }
                div.field {
                    label for="type" { (ctx.t("field.location_type")) }
                    select #type name="type" {
                        option value="" { (ctx.t("filter.all")) }
                        @for t in types { option value=(t.id) selected[query.location_type == t.id.to_string()] { (t.name(ctx.lang)) } }
                    }
                }
                div.field {
                    label for="status" { (ctx.t("field.status")) }
                    select #status name="status" {
                        @for (value, key) in [("active", "status.active"), ("inactive", "status.inactive"), ("all", "filter.all")] {
                            option value=(value) selected[query.status == value || (query.status.is_empty() && value == "active")] { (ctx.t(key)) }
                        }
                    }
                }
                div.field {
                    label for="q" { (ctx.t("filter.text")) }
                    input #q name="q" type="search" value=(query.text);
                }
                button type="submit" { (ctx.t("filter.apply")) }
            }
            (crate::exchange::web::download_links(ctx, crate::exchange::export::Kind::Locations, &query.to_query_string()))
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
        },
    )
}

pub fn detail(ctx: &Ctx, row: &LocationRow) -> Markup {
    let l = &row.location;
    let can_manage = ctx.user.as_ref().is_some_and(|u| u.role.can(Permission::ManageReference));
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
    ctx: &Ctx,
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
