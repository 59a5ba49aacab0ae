//! Airing pages: the list with its totals per spot and outlet and per month, the form that
//! records an airing, and an airing's page with its reversal.

use crate::domain::Invalid;
use crate::domain::Permission;
use crate::domain::{LocationId, MaterialId};
use crate::i18n::{invalid, number, tr_arg};
use crate::models::airing::{Airing, AiringQuery, AiringRow, OutletTotal};
use crate::models::keyset::Window;
use crate::models::location::Location;
use crate::models::material::Material;
use crate::models::region::Region;
use crate::views::components::{
    csrf, filter_input, filter_refusal, filter_select, form_error, input, input_with_hint, keyset_nav, required_note,
    select, table_region,
};
use crate::views::form::{FieldErrors, FormState};
use crate::views::layout::page;
use crate::views::page::PageContext;
use crate::views::stock::reason_form;
use crate::views::widgets::submission_key;
use chrono::NaiveDate;
use maud::{html, Markup};

fn can_record(ctx: &PageContext) -> bool {
    ctx.can(Permission::RecordStock)
}

fn ownership(ctx: &PageContext, value: Option<&str>) -> String {
    match value {
        Some(o) if !o.is_empty() => ctx.t(&format!("ownership.{o}")),
        _ => "—".into(),
    }
}

fn ownership_badge(ctx: &PageContext, value: Option<&str>) -> Markup {
    html! {
        @match value {
            Some("state") => span.badge { (ctx.t("ownership.state")) },
            Some("private") => span.badge.transit { (ctx.t("ownership.private")) },
            _ => "—",
        }
    }
}

/// "2005-03" as "March 2005" / "marzo 2005".
pub fn month_label(ctx: &PageContext, month: &str) -> String {
    match month.split_once('-') {
        Some((year, m)) if m.len() == 2 => format!("{}\u{a0}{year}", ctx.t(&format!("airing.month.{m}"))),
        _ => month.to_string(),
    }
}

/// What the list page shows: the filters' choices, and what the filters found (None when a
/// filter was refused: the form comes back with its messages, never figures that ignored it).
pub struct ListData {
    pub found: Option<Found>,
    pub spots: Vec<Material>,
    pub outlets: Vec<Location>,
    pub regions: Vec<Region>,
}

/// The airings a filter found, their totals per outlet and per month.
pub struct Found {
    pub rows: Window<AiringRow>,
    pub totals: Vec<OutletTotal>,
    pub months: Vec<(String, i64)>,
}

pub fn list(
    ctx: &PageContext,
    query: &AiringQuery,
    errors: &FieldErrors,
    refusal: Option<&Invalid>,
    data: &ListData,
) -> Markup {
    let query_string = query.to_query_string();
    let title = ctx.t("nav.airings");
    let spots: Vec<(String, String)> =
        data.spots.iter().map(|m| (m.id.to_string(), m.name(ctx.lang).to_string())).collect();
    let outlets: Vec<(String, String)> = data.outlets.iter().map(|l| (l.id.to_string(), l.name.clone())).collect();
    let ownerships: Vec<(String, String)> =
        ["state", "private"].iter().map(|o| (o.to_string(), ctx.t(&format!("ownership.{o}")))).collect();
    let regions: Vec<(String, String)> =
        data.regions.iter().map(|r| (r.id.to_string(), r.name(ctx.lang).to_string())).collect();
    let total_times: i64 = data.found.iter().flat_map(|f| &f.totals).map(|t| t.times).sum();
    let mut aired_outlets: Vec<LocationId> =
        data.found.iter().flat_map(|f| &f.totals).filter(|t| t.times > 0).map(|t| t.location_id).collect();
    aired_outlets.sort_unstable();
    aired_outlets.dedup();
    page(
        ctx,
        &title,
        html! {
            div.page-heading {
                h1 { (title) }
                @if can_record(ctx) { a.button href="/airings/new" { (ctx.t("airing.new")) } }
            }
            p.meta { (ctx.t("airing.intro")) }
            form.filters method="get" action="/airings" role="search" {
                (filter_refusal(ctx, refusal))
                (filter_select(ctx, errors, "spot", "field.spot", &query.spot, &spots))
                (filter_select(ctx, errors, "outlet", "field.outlet", &query.outlet, &outlets))
                (filter_select(ctx, errors, "ownership", "field.ownership", &query.ownership, &ownerships))
                (filter_select(ctx, errors, "region", "field.region", &query.region, &regions))
                (filter_input(ctx, errors, "from", "filter.from", "date", &query.from, None))
                (filter_input(ctx, errors, "to", "filter.to", "date", &query.to, None))
                button type="submit" { (ctx.t("filter.apply")) }
            }
            @if let Some(found) = &data.found {
                (crate::views::components::download_links(ctx, crate::exchange::export::Kind::Airings, &query_string))
                @if found.rows.rows.is_empty() && found.totals.is_empty() {
                    p.empty { (ctx.t("list.empty")) }
                } @else {
                    p.summary-line {
                        strong { (tr_arg(ctx.lang, "airing.summary_times", &number(ctx.lang, total_times))) }
                        " · "
                        (tr_arg(ctx.lang, "airing.summary_outlets", &number(ctx.lang, aired_outlets.len() as i64)))
                    }
                    h2 #by-outlet { (ctx.t("airing.by_outlet")) }
                    (outlet_table(ctx, &found.totals))
                    h2 #by-month { (ctx.t("airing.by_month")) }
                    (month_table(ctx, &found.months))
                    h2 #records { (ctx.t("airing.records")) }
                    (record_table(ctx, &found.rows.rows))
                    (keyset_nav(ctx, &query_string, &found.rows))
                }
            }
        },
    )
}

/// Net times per outlet (rows) and spot (columns), with totals.
fn outlet_table(ctx: &PageContext, totals: &[OutletTotal]) -> Markup {
    let mut spots: Vec<(MaterialId, String, String)> = Vec::new();
    let mut outlets: Vec<(LocationId, String, Option<String>)> = Vec::new();
    for t in totals {
        if !spots.iter().any(|(id, _, _)| *id == t.material_id) {
            spots.push((t.material_id, t.material_code.clone(), t.material_name.get(ctx.lang).to_string()));
        }
        if !outlets.iter().any(|(id, _, _)| *id == t.location_id) {
            outlets.push((t.location_id, t.location_name.clone(), t.ownership.clone()));
        }
    }
    spots.sort_by_key(|(id, _, _)| *id);
    let cell = |outlet: LocationId, spot: MaterialId| {
        totals.iter().filter(|t| t.location_id == outlet && t.material_id == spot).map(|t| t.times).sum::<i64>()
    };
    let several = spots.len() > 1;
    let label = ctx.t("airing.by_outlet");
    table_region(
        &label,
        html! {
            table {
                thead { tr {
                    th scope="col" { (ctx.t("field.outlet")) }
                    th scope="col" { (ctx.t("field.ownership")) }
                    @for (_, code, name) in &spots { th scope="col" .num title=(name) { (code) } }
                    @if several { th scope="col" .num { (ctx.t("airing.total")) } }
                } }
                tbody {
                    @for (id, name, owner) in &outlets {
                        tr {
                            th scope="row" { a href=(format!("/airings?outlet={id}")) { (name) } }
                            td { (ownership_badge(ctx, owner.as_deref())) }
                            @for (spot, _, _) in &spots { td.num { (number(ctx.lang, cell(*id, *spot))) } }
                            @if several {
                                td.num { (number(ctx.lang, spots.iter().map(|(s, _, _)| cell(*id, *s)).sum())) }
                            }
                        }
                    }
                }
                tfoot { tr {
                    th scope="row" { (ctx.t("airing.total")) }
                    td {}
                    @for (spot, _, _) in &spots {
                        td.num { strong { (number(ctx.lang, totals.iter().filter(|t| t.material_id == *spot).map(|t| t.times).sum())) } }
                    }
                    @if several { td.num { strong { (number(ctx.lang, totals.iter().map(|t| t.times).sum())) } } }
                } }
            }
        },
    )
}

/// Net times per month, with a bar drawn by the browser (`meter`, no styles needed).
fn month_table(ctx: &PageContext, months: &[(String, i64)]) -> Markup {
    let max = months.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let label = ctx.t("airing.by_month");
    table_region(
        &label,
        html! {
            table.months {
                thead { tr {
                    th scope="col" { (ctx.t("airing.month")) }
                    th scope="col" .num { (ctx.t("field.times")) }
                    th scope="col" { span.visually-hidden { (ctx.t("airing.chart")) } }
                } }
                tbody {
                    @for (month, n) in months {
                        tr {
                            th scope="row" { (month_label(ctx, month)) }
                            td.num { (number(ctx.lang, *n)) }
                            td { meter min="0" max=(max) value=((*n).max(0)) aria-hidden="true" {} }
                        }
                    }
                }
            }
        },
    )
}

fn record_table(ctx: &PageContext, rows: &[AiringRow]) -> Markup {
    let label = ctx.t("airing.records");
    table_region(
        &label,
        html! {
            table {
                thead { tr {
                    th scope="col" { (ctx.t("field.aired_on")) }
                    th scope="col" { (ctx.t("field.outlet")) }
                    th scope="col" { (ctx.t("field.spot")) }
                    th scope="col" { (ctx.t("field.time_slot")) }
                    th scope="col" { (ctx.t("field.programme")) }
                    th scope="col" .num { (ctx.t("field.times")) }
                } }
                tbody {
                    @for r in rows {
                        @let a = &r.airing;
                        tr.reversed[r.reversed_by.is_some()] {
                            td { a href=(format!("/airings/{}", a.id)) { (day(a.aired_on)) } }
                            td { (r.location_name) " " span.meta { "(" (ownership(ctx, r.ownership.as_deref())) ")" } }
                            td { abbr title=(r.material_name.get(ctx.lang)) { (r.material_code) } }
                            td { (a.time_slot) }
                            td { (a.programme) }
                            td.num {
                                @if a.is_reversal() {
                                    span.badge.off { (ctx.t("airing.correction")) } " "
                                } @else if r.reversed_by.is_some() {
                                    span.badge.off { (ctx.t("movement.reversed")) } " "
                                }
                                (signed(ctx, a.signed_times()))
                            }
                        }
                    }
                }
            }
        },
    )
}

/// A day that never breaks across lines (non-breaking hyphens), machine-readable too.
fn day(date: NaiveDate) -> Markup {
    html! { time datetime=(date) { (date.format("%Y\u{2011}%m\u{2011}%d")) } }
}

/// A count with a true minus sign when negative.
fn signed(ctx: &PageContext, n: i64) -> String {
    if n < 0 {
        format!("−{}", number(ctx.lang, -n))
    } else {
        number(ctx.lang, n)
    }
}

/// The outlet select, grouped by ownership; the typed value stays selected.
fn outlet_select(ctx: &PageContext, form: &FormState, outlets: &[Location]) -> Markup {
    let name = "location_id";
    let has_error = form.errors.get(name).is_some();
    let chosen = form.value(name);
    let hint_id = format!("{name}-hint");
    let described = if has_error { format!("{name}-error {hint_id}") } else { hint_id.clone() };
    let groups: Vec<(String, Vec<&Location>)> = ["state", "private", ""]
        .iter()
        .map(|o| {
            let members: Vec<&Location> =
                outlets.iter().filter(|l| l.ownership.as_deref().unwrap_or("") == *o).collect();
            let label = if o.is_empty() { ctx.t("airing.ownership_unknown") } else { ctx.t(&format!("ownership.{o}")) };
            (label, members)
        })
        .filter(|(_, members)| !members.is_empty())
        .collect();
    html! {
        div.field.has-error[has_error] {
            label for=(name) { (ctx.t("field.outlet")) " " abbr.req title=(ctx.t("form.required")) { "*" } }
            p.hint id=(hint_id) { (ctx.t("hint.outlet")) }
            @if let Some(e) = form.errors.get(name) { p.field-error id=(format!("{name}-error")) { (invalid(ctx.lang, e)) } }
            select id=(name) name=(name) required
                aria-invalid=[has_error.then_some("true")]
                aria-describedby=(described) {
                option value="" { (ctx.t("form.choose")) }
                @for (label, members) in &groups {
                    optgroup label=(label) {
                        @for l in members {
                            @let value = l.id.to_string();
                            option value=(value) selected[value == chosen] {
                                (l.name) " · " (ownership(ctx, l.ownership.as_deref()))
                            }
                        }
                    }
                }
            }
        }
    }
}

pub fn form(ctx: &PageContext, form: &FormState, spots: &[Material], outlets: &[Location], today: NaiveDate) -> Markup {
    let title = ctx.t("airing.new");
    let spot_options: Vec<(String, String)> =
        spots.iter().map(|m| (m.id.to_string(), format!("{} — {}", m.code, m.name(ctx.lang)))).collect();
    page(
        ctx,
        &title,
        html! {
            h1 { (title) }
            p.meta { (ctx.t("airing.form_intro")) }
            (form_error(ctx, form))
            form.stacked method="post" action="/airings/new" novalidate {
                (csrf(ctx))
                (submission_key(form))
                (required_note(ctx))
                (select(ctx, form, "material_id", "field.spot", &spot_options, true))
                (outlet_select(ctx, form, outlets))
                (date_input(ctx, form, today))
                (input_with_hint(ctx, form, "times", "field.times", "text", true, Some("hint.times")))
                (input_with_hint(ctx, form, "time_slot", "field.time_slot", "text", false, Some("hint.time_slot")))
                (input(ctx, form, "programme", "field.programme", "text", false))
                (crate::views::components::questions(ctx, form))
                div.actions {
                    button.primary type="submit" { (ctx.t("airing.record")) }
                    a href="/airings" { (ctx.t("action.cancel")) }
                }
            }
        },
    )
}

/// The day of the airing: a date box that offers no day after today.
fn date_input(ctx: &PageContext, form: &FormState, today: NaiveDate) -> Markup {
    let name = "aired_on";
    let has_error = form.errors.get(name).is_some();
    html! {
        div.field.has-error[has_error] {
            label for=(name) { (ctx.t("field.aired_on")) " " abbr.req title=(ctx.t("form.required")) { "*" } }
            @if let Some(e) = form.errors.get(name) { p.field-error id=(format!("{name}-error")) { (invalid(ctx.lang, e)) } }
            input id=(name) name=(name) type="date" value=(form.value(name)) max=(today) required
                aria-invalid=[has_error.then_some("true")]
                aria-describedby=[has_error.then(|| format!("{name}-error"))];
        }
    }
}

/// What an airing's page shows.
pub struct AiringPage {
    pub airing: Airing,
    pub material: Material,
    pub outlet: Location,
    /// The correction that reversed it.
    pub correction: Option<Airing>,
    /// For a correction: the airing it reverses.
    pub original: Option<Airing>,
}

pub fn detail(ctx: &PageContext, p: &AiringPage, form: &FormState) -> Markup {
    let a = &p.airing;
    let title = if a.is_reversal() {
        format!("{} #{}", ctx.t("airing.correction"), a.id)
    } else {
        format!("{} #{}", ctx.t("airing.title"), a.id)
    };
    page(
        ctx,
        &title,
        html! {
            p.meta { a href="/airings" { "← " (ctx.t("nav.airings")) } }
            h1 { (title) @if p.correction.is_some() { " " span.badge.off { (ctx.t("movement.reversed")) } } }
            (form_error(ctx, form))
            dl.facts {
                dt { (ctx.t("field.spot")) } dd { (p.material.code) " — " (p.material.name(ctx.lang)) }
                dt { (ctx.t("field.outlet")) } dd {
                    a href=(format!("/locations/{}", p.outlet.id)) { (p.outlet.name) } " "
                    (ownership_badge(ctx, p.outlet.ownership.as_deref()))
                }
                dt { (ctx.t("field.aired_on")) } dd { (a.aired_on) }
                dt { (ctx.t("field.times")) } dd { (signed(ctx, a.signed_times())) }
                dt { (ctx.t("field.time_slot")) } dd { @if a.time_slot.is_empty() { "—" } @else { (a.time_slot) } }
                dt { (ctx.t("field.programme")) } dd { @if a.programme.is_empty() { "—" } @else { (a.programme) } }
                @if let Some(r) = &a.external_ref { dt { (ctx.t("field.reference")) } dd { (r) } }
                @if let Some(of) = a.reverses_id {
                    dt { (ctx.t("airing.corrects")) } dd {
                        a href=(format!("/airings/{of}")) { (ctx.t("airing.title")) " #" (of) }
                        @if let Some(o) = &p.original { " · " (o.aired_on) }
                    }
                    dt { (ctx.t("field.reason")) } dd { (a.reason) }
                }
                @if let Some(c) = &p.correction {
                    dt { (ctx.t("airing.reversed_by")) } dd {
                        a href=(format!("/airings/{}", c.id)) { (ctx.t("airing.correction")) " #" (c.id) }
                        " · " (c.reason)
                    }
                }
                dt { (ctx.t("audit.when")) } dd { (a.recorded_at.format("%Y-%m-%d %H:%M")) }
            }
            @if can_record(ctx) && p.correction.is_none() && !a.is_reversal() {
                section.card {
                    h2 { (ctx.t("airing.reverse")) }
                    (reason_form(ctx, form, &format!("/airings/{}/reverse", a.id), "airing.reverse", "airing.reverse_hint"))
                }
            }
        },
    )
}
