//! The landing page: the campaigns and their materials at a glance.

use crate::i18n::number;
use crate::models::campaign::Campaign;
use crate::models::material::Material;
use crate::views::components::table_region;
use crate::views::layout::page;
use crate::views::page::PageContext;
use maud::{html, Markup};

pub fn home(ctx: &PageContext, campaigns: &[(Campaign, Vec<Material>)], location_count: i64) -> Markup {
    let title = ctx.t("home.title");
    page(
        ctx,
        &title,
        html! {
            h1 { (title) }
            @if campaigns.is_empty() {
                p { (ctx.t("home.empty")) }
            }
            @for (campaign, materials) in campaigns {
                section.card {
                    h2 { a href=(format!("/campaigns/{}", campaign.id)) { (campaign.name(ctx.lang)) } }
                    p.meta { (campaign.owner(ctx.lang)) " · " (campaign.starts_on) " – " (campaign.ends_on) }
                    (table_region(&format!("{} · {}", ctx.t("nav.materials"), campaign.name(ctx.lang)), html! { table {
                        caption.visually-hidden { (ctx.t("nav.materials")) }
                        thead { tr {
                            th scope="col" { (ctx.t("field.name")) }
                            th scope="col" { (ctx.t("field.kind")) }
                            th scope="col" .num { (ctx.t("field.planned_quantity")) }
                        } }
                        tbody {
                            @for m in materials {
                                tr {
                                    td { a href=(format!("/materials/{}", m.id)) { (m.name(ctx.lang)) } }
                                    td { (ctx.t(&format!("kind.{}", m.kind))) }
                                    td.num { (number(ctx.lang, i64::from(m.planned_quantity))) " " (m.unit) }
                                }
                            }
                        }
                    } }))
                }
            }
            p { a href="/locations" { (crate::i18n::tr_arg(ctx.lang, "home.locations", &number(ctx.lang, location_count))) } }
        },
    )
}
