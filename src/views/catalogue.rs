//! Campaign and material pages: lists, details and forms.

use crate::domain::Permission;
use crate::i18n::number;
use crate::models::campaign::Campaign;
use crate::models::material::{Material, MATERIAL_KINDS};
use crate::views::components::{
    csrf, form_error, heading, input, input_with_hint, required_note, select, table_region, textarea,
};
use crate::views::form::FormState;
use crate::views::layout::page;
use crate::views::page::PageContext;
use maud::{html, Markup};

fn can_manage(ctx: &PageContext) -> bool {
    ctx.can(Permission::ManageReference)
}

pub fn campaign_list(ctx: &PageContext, campaigns: &[Campaign], material_counts: &[(i32, i64)]) -> Markup {
    let title = ctx.t("nav.campaigns");
    let action = can_manage(ctx).then(|| ("/campaigns/new", ctx.t("campaign.new")));
    page(
        ctx,
        &title,
        html! {
            (heading(&title, action))
            (table_region(&title, html! { table {
                thead { tr {
                    th scope="col" { (ctx.t("field.code")) }
                    th scope="col" { (ctx.t("field.name")) }
                    th scope="col" { (ctx.t("field.owner")) }
                    th scope="col" { (ctx.t("field.period")) }
                    th scope="col" .num { (ctx.t("nav.materials")) }
                } }
                tbody {
                    @for c in campaigns {
                        tr {
                            td { code { (c.code) } }
                            td { a href=(format!("/campaigns/{}", c.id)) { (c.name(ctx.lang)) } }
                            td { (c.owner(ctx.lang)) }
                            td { (c.starts_on) " – " (c.ends_on) }
                            td.num { (material_counts.iter().find(|(id, _)| *id == c.id).map(|(_, n)| *n).unwrap_or(0)) }
                        }
                    }
                }
            } }))
        },
    )
}

pub fn campaign_detail(ctx: &PageContext, campaign: &Campaign, materials: &[Material]) -> Markup {
    let action = can_manage(ctx).then(|| (format!("/campaigns/{}/edit", campaign.id), ctx.t("action.edit")));
    page(
        ctx,
        campaign.name(ctx.lang),
        html! {
            (heading(campaign.name(ctx.lang), action.as_ref().map(|(h, t)| (h.as_str(), t.clone()))))
            dl.facts {
                dt { (ctx.t("field.code")) } dd { code { (campaign.code) } }
                dt { (ctx.t("field.owner")) } dd { (campaign.owner(ctx.lang)) }
                dt { (ctx.t("field.period")) } dd { (campaign.starts_on) " – " (campaign.ends_on) }
                @if !campaign.description.is_empty() {
                    dt { (ctx.t("field.description")) } dd { (campaign.description) }
                }
            }
            div.page-heading {
                h2 { (ctx.t("nav.materials")) }
                @if can_manage(ctx) {
                    a.button href=(format!("/materials/new?campaign={}", campaign.id)) { (ctx.t("material.new")) }
                }
            }
            (material_table(ctx, &ctx.t("nav.materials"), materials))
        },
    )
}

fn material_table(ctx: &PageContext, label: &str, materials: &[Material]) -> Markup {
    table_region(
        label,
        html! { table {
            thead { tr {
                th scope="col" { (ctx.t("field.code")) }
                th scope="col" { (ctx.t("field.name")) }
                th scope="col" { (ctx.t("field.kind")) }
                th scope="col" .num { (ctx.t("field.planned_quantity")) }
                th scope="col" .num { (ctx.t("field.pack_size")) }
                th scope="col" { (ctx.t("field.supplier")) }
            } }
            tbody {
                @for m in materials {
                    tr {
                        td { code { (m.code) } }
                        td { a href=(format!("/materials/{}", m.id)) { (m.name(ctx.lang)) } }
                        td { (ctx.t(&format!("kind.{}", m.kind))) }
                        td.num { (number(ctx.lang, i64::from(m.planned_quantity))) " " (m.unit) }
                        td.num { @if let Some(p) = m.pack_size { (number(ctx.lang, i64::from(p))) } @else { "—" } }
                        td { (m.supplier) }
                    }
                }
            }
        } },
    )
}

pub fn campaign_form(ctx: &PageContext, form: &FormState, action: &str, title: &str) -> Markup {
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
                (input_with_hint(ctx, form, "name_es", "field.name_es", "text", false, Some("hint.names_either")))
                (input(ctx, form, "name_en", "field.name_en", "text", false))
                (input_with_hint(ctx, form, "owner_es", "field.owner_es", "text", false, Some("hint.names_either")))
                (input(ctx, form, "owner_en", "field.owner_en", "text", false))
                (textarea(ctx, form, "description", "field.description"))
                (input(ctx, form, "starts_on", "field.starts_on", "date", true))
                (input(ctx, form, "ends_on", "field.ends_on", "date", true))
                div.actions {
                    button.primary type="submit" { (ctx.t("action.save")) }
                    a href="/campaigns" { (ctx.t("action.cancel")) }
                }
            }
        },
    )
}

pub fn material_list(ctx: &PageContext, campaigns: &[Campaign], chosen: Option<i32>, materials: &[Material]) -> Markup {
    let title = ctx.t("nav.materials");
    let new_href = match chosen {
        Some(id) => format!("/materials/new?campaign={id}"),
        None => "/materials/new".into(),
    };
    let action = can_manage(ctx).then(|| (new_href.as_str(), ctx.t("material.new")));
    page(
        ctx,
        &title,
        html! {
            (heading(&title, action))
            form.filters method="get" action="/materials" {
                div.field {
                    label for="campaign" { (ctx.t("field.campaign")) }
                    select #campaign name="campaign" {
                        option value="" { (ctx.t("filter.all")) }
                        @for c in campaigns {
                            option value=(c.id) selected[chosen == Some(c.id)] { (c.name(ctx.lang)) }
                        }
                    }
                }
                button type="submit" { (ctx.t("filter.apply")) }
            }
            (material_table(ctx, &title, materials))
        },
    )
}

pub fn material_detail(ctx: &PageContext, material: &Material, campaign: &Campaign) -> Markup {
    let action = can_manage(ctx).then(|| (format!("/materials/{}/edit", material.id), ctx.t("action.edit")));
    page(
        ctx,
        material.name(ctx.lang),
        html! {
            (heading(material.name(ctx.lang), action.as_ref().map(|(h, t)| (h.as_str(), t.clone()))))
            dl.facts {
                dt { (ctx.t("field.code")) } dd { code { (material.code) } }
                dt { (ctx.t("field.campaign")) } dd { a href=(format!("/campaigns/{}", campaign.id)) { (campaign.name(ctx.lang)) } }
                dt { (ctx.t("field.kind")) } dd { (ctx.t(&format!("kind.{}", material.kind))) }
                dt { (ctx.t("field.planned_quantity")) } dd {
                    (number(ctx.lang, i64::from(material.planned_quantity))) " " (material.unit)
                    @if let Some((packs, rest)) = material.packs(i64::from(material.planned_quantity)) {
                        " (" (crate::i18n::tr_arg(ctx.lang, "material.packs", &number(ctx.lang, packs)))
                        @if rest > 0 { " + " (number(ctx.lang, rest)) }
                        ")"
                    }
                }
                dt { (ctx.t("field.pack_size")) } dd { @if let Some(p) = material.pack_size { (number(ctx.lang, i64::from(p))) } @else { "—" } }
                dt { (ctx.t("field.quantity_limit")) } dd {
                    @match material.limit() {
                        Some(limit) => (number(ctx.lang, i64::from(limit))),
                        None => "—",
                    }
                    @if material.quantity_limit.is_none() && material.limit().is_some() { " (" (ctx.t("material.limit_is_print_run")) ")" }
                }
                dt { (ctx.t("field.supplier")) } dd { (material.supplier) }
                dt { (ctx.t("field.language")) } dd { (material.language) }
            }
        },
    )
}

pub fn material_form(ctx: &PageContext, form: &FormState, campaigns: &[Campaign], action: &str, title: &str) -> Markup {
    let campaign_options: Vec<(String, String)> =
        campaigns.iter().map(|c| (c.id.to_string(), c.name(ctx.lang).to_string())).collect();
    let kind_options: Vec<(String, String)> =
        MATERIAL_KINDS.iter().map(|k| (k.to_string(), ctx.t(&format!("kind.{k}")))).collect();
    page(
        ctx,
        title,
        html! {
            h1 { (title) }
            (form_error(ctx, form))
            form.stacked method="post" action=(action) novalidate {
                (csrf(ctx))
                (required_note(ctx))
                (select(ctx, form, "campaign_id", "field.campaign", &campaign_options, true))
                (input(ctx, form, "code", "field.code", "text", true))
                (input_with_hint(ctx, form, "name_es", "field.name_es", "text", false, Some("hint.names_either")))
                (input(ctx, form, "name_en", "field.name_en", "text", false))
                (select(ctx, form, "kind", "field.kind", &kind_options, true))
                (input_with_hint(ctx, form, "planned_quantity", "field.planned_quantity", "text", true, Some("hint.units")))
                (input_with_hint(ctx, form, "pack_size", "field.pack_size", "text", false, Some("hint.pack_size")))
                (input_with_hint(ctx, form, "quantity_limit", "field.quantity_limit", "text", false, Some("hint.quantity_limit")))
                (input(ctx, form, "unit", "field.unit", "text", true))
                (input(ctx, form, "supplier", "field.supplier", "text", false))
                (input(ctx, form, "language", "field.language", "text", false))
                div.actions {
                    button.primary type="submit" { (ctx.t("action.save")) }
                    a href="/materials" { (ctx.t("action.cancel")) }
                }
            }
        },
    )
}
