//! The printable campaign report, written from the data in the manner of the source document:
//! "Design and production of sixty thousand (60,000) posters … distributed among … in N regions".

use crate::domain::Lang;
use crate::i18n::{number, number_words, tr};
use crate::models::campaign::Campaign;
use crate::reports::campaign::{CampaignReport, MaterialReport, TypeLine};
use crate::reports::coverage::DashboardQuery;
use crate::views::layout::page;
use crate::web::ctx::Ctx;
use maud::{html, Markup};

/// "sixty thousand (60,000)"
fn quantity(lang: Lang, n: i64) -> String {
    format!("{} ({})", number_words(lang, n), number(lang, n))
}

/// "a, b and c" / "a, b y c"
fn list(lang: Lang, items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} {} {last}", init.join(", "), tr(lang, "report.and")),
    }
}

fn type_phrase(lang: Lang, t: &TypeLine) -> String {
    let key = format!("type_plural.{}", t.code);
    let plural = tr(lang, &key);
    let name = if plural == key {
        match lang {
            Lang::En => t.name_en.clone(),
            Lang::Es => t.name_es.clone(),
        }
    } else {
        plural
    };
    format!("{} {name}", number(lang, t.places))
}

/// The paragraph about one material.
pub fn sentence(lang: Lang, m: &MaterialReport) -> String {
    let noun = tr(lang, &format!("kind_plural.{}", m.material.kind));
    if m.material.is_broadcast() {
        return tr(lang, "report.broadcast")
            .replace("%{quantity}", &quantity(lang, i64::from(m.material.planned_quantity)))
            .replace("%{noun}", &noun)
            .replace("%{airings}", &number(lang, m.airings))
            .replace("%{outlets}", &number(lang, m.outlets_state + m.outlets_private))
            .replace("%{state}", &number(lang, m.outlets_state))
            .replace("%{private}", &number(lang, m.outlets_private));
    }
    let mut text = tr(lang, "report.produced")
        .replace("%{quantity}", &quantity(lang, i64::from(m.material.planned_quantity)))
        .replace("%{noun}", &noun)
        .replace("%{name}", &m.material.name);
    if m.distributed > 0 {
        let percent = if m.material.planned_quantity > 0 {
            (m.distributed as f64 * 100.0 / f64::from(m.material.planned_quantity)).round() as i64
        } else {
            0
        };
        let types: Vec<String> = m.by_type.iter().filter(|t| t.places > 0).map(|t| type_phrase(lang, t)).collect();
        let regions: Vec<String> = m.by_region.iter().map(|(name, _)| name.clone()).collect();
        text.push(' ');
        text.push_str(
            &tr(lang, "report.distributed")
                .replace("%{distributed}", &quantity(lang, m.distributed))
                .replace("%{percent}", &number(lang, percent))
                .replace("%{places}", &list(lang, &types))
                .replace("%{regions}", &quantity(lang, regions.len() as i64))
                .replace(
                    "%{region_word}",
                    &tr(lang, if regions.len() == 1 { "report.region_one" } else { "report.region_many" }),
                )
                .replace("%{region_list}", &list(lang, &regions)),
        );
    } else {
        text.push(' ');
        text.push_str(&tr(lang, "report.none_distributed"));
    }
    text
}

pub fn page_view(ctx: &Ctx, campaign: &Campaign, q: &DashboardQuery, r: &CampaignReport) -> Markup {
    let title = format!("{} · {}", ctx.t("report.title"), campaign.name);
    page(
        ctx,
        &title,
        html! {
            article.report {
                header {
                    h1 { (campaign.name) }
                    p.meta { (campaign.owner) }
                    p.meta { (ctx.t("report.period")) " " (q.from) " – " (q.to) }
                    p.no-print { button.secondary type="button" data-print="" { (ctx.t("action.print")) } " " a href=(format!("/dashboard?campaign={}&from={}&to={}", campaign.id, q.from, q.to)) { (ctx.t("dashboard.title")) } }
                }
                h2 { (ctx.t("report.summary")) }
                ul.report-points {
                    @for m in &r.materials { li { (sentence(ctx.lang, m)) } }
                }
                h2 { (ctx.t("report.tables")) }
                div.table-wrap role="region" aria-label=(ctx.t("dashboard.by_material")) tabindex="0" {
                table {
                    caption { (ctx.t("dashboard.by_material")) }
                    thead { tr {
                        th scope="col" { (ctx.t("field.material")) }
                        th scope="col" .num { (ctx.t("field.planned_quantity")) }
                        th scope="col" .num { (ctx.t("stock.received")) }
                        th scope="col" .num { (ctx.t("stock.distributed")) }
                        th scope="col" .num { (ctx.t("dashboard.share_distributed")) }
                    } }
                    tbody {
                        @for m in &r.materials {
                            tr {
                                th scope="row" { (m.material.name) }
                                td.num { (number(ctx.lang, i64::from(m.material.planned_quantity))) }
                                @if m.material.is_broadcast() {
                                    td.num colspan="3" { (crate::i18n::tr_arg(ctx.lang, "dashboard.airings", &number(ctx.lang, m.airings))) }
                                } @else {
                                    td.num { (number(ctx.lang, m.received)) }
                                    td.num { (number(ctx.lang, m.distributed)) }
                                    td.num {
                                        @if m.material.planned_quantity > 0 {
                                            (number(ctx.lang, (m.distributed as f64 * 100.0 / f64::from(m.material.planned_quantity)).round() as i64)) " %"
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                }
                @for m in r.materials.iter().filter(|m| !m.by_region.is_empty()) {
                    div.table-wrap role="region" aria-label=(format!("{}: {}", m.material.name, ctx.t("report.by_region"))) tabindex="0" {
                        table {
                            caption { (m.material.name) ": " (ctx.t("report.by_region")) }
                            thead { tr { th scope="col" { (ctx.t("field.region")) } th scope="col" .num { (ctx.t("stock.distributed")) } } }
                            tbody {
                                @for (region, units) in &m.by_region { tr { th scope="row" { (region) } td.num { (number(ctx.lang, *units)) } } }
                            }
                        }
                    }
                }
            }
        },
    )
}
