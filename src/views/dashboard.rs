//! The managers' dashboard: materials at a glance, the coverage map, the type × region heat
//! table, reach, progress over time and the gaps to act on. Every number links to its rows.

use crate::domain::Invalid;
use crate::domain::MaterialId;
use crate::i18n::{number, tr, tr_arg};
use crate::models::campaign::Campaign;
use crate::models::material::Material;
use crate::reports::coverage::{Cell, Dashboard, DashboardParams, DashboardQuery, RegionCoverage};
use crate::views::charts::{line_chart, Series, NARROW, WIDE};
use crate::views::components::{described_by, filter_field, filter_input};
use crate::views::form::FieldErrors;
use crate::views::layout::page;
use crate::views::page::PageContext;
use chrono::{Datelike, Duration, NaiveDate};
use maud::{html, Markup, PreEscaped};

/// The colour band of a coverage percentage: (css class, fill, text colour). Fills are a
/// sequential blue scale with a warm band for "target, nothing delivered"; text colours keep
/// 4.5:1 contrast on every fill. The map uses the colours as SVG attributes; tables use the
/// `heat-*` classes of app.css (the CSP allows no inline styles), which repeat them.
pub fn band(percent: Option<f64>) -> (&'static str, &'static str, &'static str) {
    match percent {
        None => ("none", "#e5e7eb", "#1b2430"),
        Some(p) if p <= 0.0 => ("zero", "#f6d5d9", "#5c0f19"),
        Some(p) if p < 25.0 => ("low", "#deebf7", "#1b2430"),
        Some(p) if p < 50.0 => ("mid", "#9ecae1", "#1b2430"),
        Some(p) if p < 75.0 => ("high", "#2468a2", "#ffffff"),
        Some(p) if p < 100.0 => ("higher", "#1a4f80", "#ffffff"),
        // Done is green, not one more blue: it must not look like 75–100 %.
        Some(_) => ("full", "#1e6b3a", "#ffffff"),
    }
}

const LEGEND: [(&str, Option<f64>); 7] = [
    ("dashboard.legend.none", None),
    ("dashboard.legend.zero", Some(0.0)),
    ("dashboard.legend.low", Some(10.0)),
    ("dashboard.legend.mid", Some(30.0)),
    ("dashboard.legend.high", Some(60.0)),
    ("dashboard.legend.higher", Some(80.0)),
    ("dashboard.legend.full", Some(100.0)),
];

fn percent_text(ctx: &PageContext, p: Option<f64>) -> String {
    match p {
        // A no-break space: "68 %" never wraps between its number and its sign.
        Some(p) => format!("{}\u{a0}%", number(ctx.lang, p.round() as i64)),
        None => "—".into(),
    }
}

/// Links to the rows behind a number.
pub struct Links<'a> {
    pub q: &'a DashboardQuery,
}

impl Links<'_> {
    fn range(&self) -> String {
        format!("from={}&to={}", self.q.from, self.q.to)
    }

    /// Delivered shipments to distribution points, narrowed to a region and type.
    pub fn distributed(&self, material: MaterialId, region: Option<i32>, kind: Option<i32>) -> String {
        let mut s = format!("/shipments?status=delivered&dest=points&material={material}&{}", self.range());
        if let Some(r) = region {
            s.push_str(&format!("&region={r}"));
        }
        if let Some(t) = kind {
            s.push_str(&format!("&type={t}"));
        }
        s
    }

    /// The dashboard's filters as a coverage export's query.
    fn coverage_export(&self, ctx: &PageContext) -> Markup {
        let query = format!("campaign={}&material={}&{}", self.q.campaign_id, self.q.material_id, self.range());
        crate::views::components::download_links(ctx, crate::exchange::export::Kind::Coverage, &query)
    }
}

pub fn page_view(
    ctx: &PageContext,
    campaigns: &[Campaign],
    campaign: &Campaign,
    q: &DashboardQuery,
    d: &Dashboard,
) -> Markup {
    let title = ctx.t("dashboard.title");
    let links = Links { q };
    let chosen = d.materials.iter().find(|(m, _)| m.id == q.material_id).map(|(m, _)| m.clone());
    let chosen_name = chosen.as_ref().map(|m| m.name(ctx.lang).to_string()).unwrap_or_default();
    page(
        ctx,
        &title,
        html! {
            div.page-heading {
                h1 { (title) }
                a.button.secondary-button href=(format!("/report?campaign={}&from={}&to={}", campaign.id, q.from, q.to)) { (ctx.t("report.title")) }
            }
            (filters(ctx, campaigns, campaign, q, d))
            p.meta { (tr_arg(ctx.lang, "dashboard.range_note", &format!("{} – {}", q.from, q.to))) }
            (materials_table(ctx, q, d, &links))
            section.card #coverage aria-labelledby="coverage-heading" {
                h2 #coverage-heading { (tr_arg(ctx.lang, "dashboard.coverage_for", &chosen_name)) }
                (links.coverage_export(ctx))
                div.map-and-table {
                    (tile_map(ctx, q, &d.regions, &links))
                    (tile_grid(ctx, q, &d.regions, &links))
                    (legend(ctx))
                }
                details {
                    summary { (ctx.t("dashboard.map_as_table")) }
                    (region_table(ctx, q, &d.regions, &links))
                }
            }
            (heat_table(ctx, q, d, &links))
            (reach(ctx, d, &links))
            (over_time(ctx, q, d))
            (recipients(ctx, d, &chosen_name))
            (alerts(ctx, q, d, &links))
        },
    )
}

fn filters(
    ctx: &PageContext,
    campaigns: &[Campaign],
    campaign: &Campaign,
    q: &DashboardQuery,
    d: &Dashboard,
) -> Markup {
    let materials: Vec<&Material> = d.materials.iter().map(|(m, _)| m).collect();
    let typed = DashboardParams {
        campaign: campaign.id.to_string(),
        material: q.material_id.to_string(),
        from: q.from.to_string(),
        to: q.to.to_string(),
        days: q.transit_days.to_string(),
    };
    filter_form(ctx, "/dashboard", campaigns, &materials, &typed, &FieldErrors::new())
}

/// The campaign, material, range and days; the material list is the campaign's own.
fn filter_form(
    ctx: &PageContext,
    action: &str,
    campaigns: &[Campaign],
    materials: &[&Material],
    typed: &DashboardParams,
    errors: &FieldErrors,
) -> Markup {
    let invalid = |name: &str| errors.get(name).is_some().then_some("true");
    let chosen = |c: &Campaign| typed.campaign == c.id.to_string() || typed.campaign == c.code;
    let chosen_material = |m: &Material| typed.material == m.id.to_string() || typed.material == m.code;
    html! {
        form.filters method="get" action=(action) {
            (filter_field(ctx, errors, "campaign", "field.campaign", None, html! {
                select #campaign name="campaign" aria-invalid=[invalid("campaign")] aria-describedby=[described_by(errors, "campaign", false)] {
                    @for c in campaigns { option value=(c.id) selected[chosen(c)] { (c.name(ctx.lang)) } }
                }
            }))
            (filter_field(ctx, errors, "material", "dashboard.material_shown", None, html! {
                select #material name="material" aria-invalid=[invalid("material")] aria-describedby=[described_by(errors, "material", false)] {
                    @for m in materials {
                        @if !m.is_broadcast() { option value=(m.id) selected[chosen_material(m)] { (m.name(ctx.lang)) } }
                    }
                }
            }))
            (filter_input(ctx, errors, "from", "filter.from", "date", &typed.from, None))
            (filter_input(ctx, errors, "to", "filter.to", "date", &typed.to, None))
            (filter_field(ctx, errors, "days", "dashboard.transit_days", None, html! {
                input #days name="days" type="number" min="1" max="365" value=(typed.days)
                    aria-invalid=[invalid("days")] aria-describedby=[described_by(errors, "days", false)];
            }))
            button type="submit" { (ctx.t("filter.apply")) }
        }
    }
}

/// The dashboard or report asked with values that cannot be used: the filters again, each
/// message beside its field, and no figures.
pub fn refused(
    ctx: &PageContext,
    action: &str,
    campaigns: &[Campaign],
    materials: &[Material],
    typed: &DashboardParams,
    errors: &FieldErrors,
    summary: &Invalid,
) -> Markup {
    let title = ctx.t(if action == "/report" { "report.title" } else { "dashboard.title" });
    let campaign = typed.campaign(campaigns).or(campaigns.first());
    let own: Vec<&Material> =
        materials.iter().filter(|m| campaign.is_some_and(|c| c.id == m.campaign_id) && !m.is_broadcast()).collect();
    page(
        ctx,
        &title,
        html! {
            h1 { (title) }
            div.form-error role="alert" { (crate::i18n::invalid(ctx.lang, summary)) }
            (filter_form(ctx, action, campaigns, &own, typed, errors))
        },
    )
}

fn materials_table(ctx: &PageContext, q: &DashboardQuery, d: &Dashboard, links: &Links) -> Markup {
    let range = format!("from={}&to={}", q.from, q.to);
    let within =
        crate::i18n::tr_args(ctx.lang, "dashboard.within", &[("from", &q.from.to_string()), ("to", &q.to.to_string())]);
    html! {
        section {
            h2 #materials-heading { (ctx.t("dashboard.by_material")) }
            (crate::views::components::download_links(
                ctx,
                crate::exchange::export::Kind::Distributions,
                &format!("campaign={}&{range}", q.campaign_id),
            ))
            div.table-wrap role="region" aria-labelledby="materials-heading" tabindex="0" {
                // The figures a manager reads first come first: on a phone they are what shows
                // without scrolling sideways.
                table.dashboard-materials {
                    thead {
                        tr {
                            td {}
                            th scope="colgroup" colspan="4" { (within) }
                            th scope="colgroup" colspan="2" { (ctx.t("dashboard.as_of_today")) }
                            td {}
                        }
                        tr {
                            th scope="col" { (ctx.t("field.material")) }
                            th scope="col" .num { (ctx.t("stock.distributed")) }
                            th scope="col" .num { (ctx.t("dashboard.share_distributed")) }
                            th scope="col" .num { (ctx.t("stock.received")) }
                            th scope="col" .num { (ctx.t("stock.lost")) }
                            th scope="col" .num { (ctx.t("stock.in_depots")) }
                            th scope="col" .num { (ctx.t("stock.in_transit")) }
                            th scope="col" .num { (ctx.t("field.planned_quantity")) }
                        }
                    }
                    tbody {
                        @for (m, line) in &d.materials {
                            tr {
                                th scope="row" {
                                    (m.name(ctx.lang))
                                    @if !line.outside.is_empty() && !m.is_broadcast() {
                                        br; span.small.outside { (outside_note(ctx, q, &line.outside)) }
                                    }
                                }
                                @if m.is_broadcast() {
                                    td colspan="6" data-col="airings" {
                                        a href=(format!("/airings?spot={}&{range}", m.id)) {
                                            (tr_arg(ctx.lang, "dashboard.airings", &number(ctx.lang, line.airings)))
                                            " · "
                                            (tr_arg(ctx.lang, "dashboard.outlets", &number(ctx.lang, line.outlets)))
                                        }
                                    }
                                } @else {
                                    td.num data-col="distributed" { a href=(links.distributed(m.id, None, None)) { (number(ctx.lang, line.distributed)) } }
                                    td.num {
                                        @if m.planned_quantity > 0 {
                                            (percent_text(ctx, Some(line.distributed as f64 * 100.0 / f64::from(m.planned_quantity))))
                                        } @else { "—" }
                                    }
                                    td.num data-col="received" { a href=(format!("/receipts?material={}&{range}", m.id)) { (number(ctx.lang, line.received)) } }
                                    td.num data-col="lost" { a href=(format!("/stock/materials/{}", m.id)) { (number(ctx.lang, line.lost)) } }
                                    td.num data-col="in_depots" { a href=(format!("/stock?material={}&depots=1", m.id)) { (number(ctx.lang, line.in_depots)) } }
                                    td.num data-col="in_transit" { a href=(format!("/shipments?status=dispatched&material={}", m.id)) { (number(ctx.lang, line.in_transit)) } }
                                }
                                td.num { (number(ctx.lang, i64::from(m.planned_quantity))) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// "Outside the range: 2,000 received after 2006-12-31 · 500 distributed before 2005-01-01": what
/// the figures within the range leave out, so that each line adds up with the stock today.
fn outside_note(ctx: &PageContext, q: &DashboardQuery, o: &crate::reports::coverage::Outside) -> String {
    let mut parts = Vec::new();
    for (n, key, date) in [
        (o.received_before, "dashboard.received_before", q.from),
        (o.received_after, "dashboard.received_after", q.to),
        (o.distributed_before, "dashboard.distributed_before", q.from),
        (o.distributed_after, "dashboard.distributed_after", q.to),
        (o.lost_before, "dashboard.lost_before", q.from),
        (o.lost_after, "dashboard.lost_after", q.to),
    ] {
        if n != 0 {
            parts.push(crate::i18n::tr_args(
                ctx.lang,
                key,
                &[("n", &number(ctx.lang, n)), ("date", &date.to_string())],
            ));
        }
    }
    format!("{} {}", ctx.t("dashboard.outside"), parts.join(" · "))
}

/// Each region a square where it lies, "abroad" beside the country; coloured by % of target.
fn tile_map(ctx: &PageContext, q: &DashboardQuery, regions: &[RegionCoverage], links: &Links) -> Markup {
    const SIZE: i32 = 78;
    const GAP: i32 = 4;
    let cols = regions.iter().filter_map(|r| r.region.tile_col).max().unwrap_or(9) + 1;
    let rows = regions.iter().filter_map(|r| r.region.tile_row).max().unwrap_or(5) + 1;
    let width = cols * (SIZE + GAP);
    let height = rows * (SIZE + GAP);
    html! {
        svg #coverage-map viewBox=(format!("0 0 {width} {height}")) role="group" aria-label=(ctx.t("dashboard.map_label")) class="tile-map" {
            @for r in regions {
                @if let (Some(col), Some(row)) = (r.region.tile_col, r.region.tile_row) {
                    @let (class, fill, text) = band(r.percent());
                    @let x = col * (SIZE + GAP);
                    @let y = row * (SIZE + GAP);
                    @let visible = format!("{} {}", short_name(r.region.name(ctx.lang)), percent_text(ctx, r.percent()));
                    // The accessible name starts with what the tile shows (WCAG 2.5.3), then says it in full.
                    @let label = format!("{visible} — {}: {}", r.region.name(ctx.lang), match r.percent() {
                        Some(_) => tr_arg(ctx.lang, "dashboard.tile_label", &format!("{} / {}", number(ctx.lang, r.distributed), number(ctx.lang, r.target))),
                        None => format!("{} · {}", number(ctx.lang, r.distributed), tr(ctx.lang, "dashboard.legend.none")),
                    });
                    a href=(links.distributed(q.material_id, Some(r.region.id), None)) aria-label=(label) {
                        title { (label) }
                        rect class=(format!("tile {class}")) x=(x) y=(y) width=(SIZE) height=(SIZE) rx="6" fill=(fill) {}
                        // One text with two lines and a space between them: its words read as they look.
                        text x=(x + SIZE / 2) y=(y + 30) fill=(text) text-anchor="middle" {
                            tspan.tile-name x=(x + SIZE / 2) { (short_name(r.region.name(ctx.lang))) }
                            " "
                            tspan.tile-value x=(x + SIZE / 2) dy="24" { (percent_text(ctx, r.percent())) }
                        }
                    }
                }
            }
        }
    }
}

/// The map on a phone: a grid of legible tiles, one per region, that open to show the region's
/// figures when tapped (`<details>`, no script); the geographic map would be too small to read.
fn tile_grid(ctx: &PageContext, q: &DashboardQuery, regions: &[RegionCoverage], links: &Links) -> Markup {
    let mut ordered: Vec<&RegionCoverage> = regions.iter().collect();
    // West to east, north to south, as the map lays them out.
    ordered.sort_by_key(|r| (r.region.tile_row.unwrap_or(99), r.region.tile_col.unwrap_or(99)));
    html! {
        ul.tile-grid aria-label=(ctx.t("dashboard.map_label")) {
            @for r in ordered {
                @let (class, _, _) = band(r.percent());
                li {
                    details {
                        summary class=(format!("heat-{class}")) {
                            span.tile-name { (r.region.name(ctx.lang)) }
                            span.tile-value { (percent_text(ctx, r.percent())) }
                        }
                        dl {
                            dt { (ctx.t("stock.distributed")) }
                            dd { a href=(links.distributed(q.material_id, Some(r.region.id), None)) { (number(ctx.lang, r.distributed)) } }
                            dt { (ctx.t("dashboard.target")) }
                            dd { a href=(format!("/targets?material={}", q.material_id)) { (number(ctx.lang, r.target)) } }
                        }
                    }
                }
            }
        }
    }
}

/// Region names cut to fit a tile: "Distrito Capital" → "Distrito C.", "Nueva Esparta" → "Nueva Esp.".
fn short_name(name: &str) -> String {
    let name = name.split(" (").next().unwrap_or(name);
    if name.chars().count() <= 9 {
        return name.to_string();
    }
    let mut words = name.split_whitespace();
    let first = words.next().unwrap_or("");
    match words.next() {
        // "Distrito Capital" → "Distrito C.", "Nueva Esparta" → "Nueva E."
        Some(second) if first.chars().count() <= 8 => format!("{first} {}.", second.chars().next().unwrap_or(' ')),
        _ => format!("{}.", first.chars().take(8).collect::<String>()),
    }
}

fn legend(ctx: &PageContext) -> Markup {
    html! {
        div.legend {
            h3 { (ctx.t("dashboard.legend")) }
            ul {
                @for (key, sample) in LEGEND {
                    @let (class, _, _) = band(sample);
                    li { span class=(format!("swatch heat-{class}")) aria-hidden="true" {} (ctx.t(key)) }
                }
            }
        }
    }
}

fn region_table(ctx: &PageContext, q: &DashboardQuery, regions: &[RegionCoverage], links: &Links) -> Markup {
    html! {
        div.table-wrap role="region" aria-label=(ctx.t("dashboard.map_as_table")) tabindex="0" {
            table {
                thead { tr {
                    th scope="col" { (ctx.t("field.region")) }
                    th scope="col" .num { (ctx.t("stock.distributed")) }
                    th scope="col" .num { (ctx.t("dashboard.target")) }
                    th scope="col" .num { (ctx.t("dashboard.percent_of_target")) }
                } }
                tbody {
                    @for r in regions {
                        tr {
                            th scope="row" { (r.region.name(ctx.lang)) }
                            td.num { a href=(links.distributed(q.material_id, Some(r.region.id), None)) { (number(ctx.lang, r.distributed)) } }
                            td.num { a href=(format!("/targets?material={}", q.material_id)) { (number(ctx.lang, r.target)) } }
                            td.num { (percent_text(ctx, r.percent())) }
                        }
                    }
                }
            }
        }
    }
}

/// Types that have a target or a delivery for the chosen material: the heat table's columns.
fn active_types(d: &Dashboard) -> Vec<&crate::models::location_type::LocationType> {
    d.types
        .iter()
        .filter(|t| d.cells.iter().any(|((_, k), c)| *k == t.id && (c.target > 0 || c.distributed > 0)))
        .collect()
}

fn heat_table(ctx: &PageContext, q: &DashboardQuery, d: &Dashboard, links: &Links) -> Markup {
    let types = active_types(d);
    let cell = |region: i32, kind: i32| d.cells.get(&(region, kind)).copied().unwrap_or_default();
    html! {
        section.card {
            h2 #heat-heading { (ctx.t("dashboard.heat")) }
            p.hint { (ctx.t("dashboard.heat_hint")) }
            (links.coverage_export(ctx))
            @if types.is_empty() {
                p.empty { (ctx.t("dashboard.nothing_planned")) }
            } @else {
                div.table-wrap role="region" aria-labelledby="heat-heading" tabindex="0" {
                    table.heat {
                        thead { tr {
                            th scope="col" { (ctx.t("field.region")) }
                            @for t in &types { th scope="col" .num { (t.name(ctx.lang)) } }
                        } }
                        tbody {
                            @for r in &d.regions {
                                @if types.iter().any(|t| { let c = cell(r.region.id, t.id); c.target > 0 || c.distributed > 0 }) {
                                    tr {
                                        th scope="row" { (r.region.name(ctx.lang)) }
                                        @for t in &types {
                                            @let c = cell(r.region.id, t.id);
                                            @let percent = (c.target > 0).then(|| c.distributed as f64 * 100.0 / c.target as f64);
                                            @let (class, _, _) = band(percent);
                                            td class=(format!("num heat-{class}")) {
                                                @if c.target == 0 && c.distributed == 0 {
                                                    span.visually-hidden { (ctx.t("dashboard.nothing")) } "·"
                                                } @else {
                                                    a href=(links.distributed(q.material_id, Some(r.region.id), Some(t.id))) {
                                                        (number(ctx.lang, c.distributed))
                                                    }
                                                    @if c.target > 0 {
                                                        br; span.small { (tr_arg(ctx.lang, "dashboard.of_target", &number(ctx.lang, c.target))) " · " (percent_text(ctx, percent)) }
                                                    }
                                                    @if c.target > 0 && c.distributed == 0 { " " span.flag title=(ctx.t("dashboard.gap")) { "⚠" span.visually-hidden { (ctx.t("dashboard.gap")) } } }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn reach(ctx: &PageContext, d: &Dashboard, links: &Links) -> Markup {
    let by_type: Vec<(&str, Cell)> = d
        .types
        .iter()
        .map(|t| {
            let total = d.cells.iter().filter(|((_, k), _)| *k == t.id).fold(Cell::default(), |acc, (_, c)| Cell {
                reached: acc.reached + c.reached,
                registered: acc.registered + c.registered,
                ..acc
            });
            (t.name(ctx.lang), total)
        })
        .filter(|(_, c)| c.registered > 0)
        .collect();
    let by_region: Vec<(&RegionCoverage, Cell)> = d
        .regions
        .iter()
        .map(|r| {
            let total = d.cells.iter().filter(|((g, _), _)| *g == r.region.id).fold(Cell::default(), |acc, (_, c)| {
                Cell { reached: acc.reached + c.reached, registered: acc.registered + c.registered, ..acc }
            });
            (r, total)
        })
        .filter(|(_, c)| c.registered > 0)
        .collect();
    let pct = |c: &Cell| percent_text(ctx, (c.registered > 0).then(|| c.reached as f64 * 100.0 / c.registered as f64));
    html! {
        section.card aria-labelledby="reach-heading" {
            h2 #reach-heading { (ctx.t("dashboard.reach")) }
            p.hint { (ctx.t("dashboard.reach_hint")) }
            (links.coverage_export(ctx))
            div.two-columns {
                div.table-wrap role="region" aria-label=(ctx.t("dashboard.reach_by_type")) tabindex="0" {
                    table {
                        caption { (ctx.t("dashboard.reach_by_type")) }
                        thead { tr { th scope="col" { (ctx.t("field.location_type")) } th scope="col" .num { (ctx.t("dashboard.reached")) } th scope="col" .num { "%" } } }
                        tbody {
                            @for (name, c) in &by_type {
                                tr { th scope="row" { (name) } td.num { (number(ctx.lang, c.reached)) " / " (number(ctx.lang, c.registered)) } td.num { (pct(c)) } }
                            }
                        }
                    }
                }
                div.table-wrap role="region" aria-label=(ctx.t("dashboard.reach_by_region")) tabindex="0" {
                    table {
                        caption { (ctx.t("dashboard.reach_by_region")) }
                        thead { tr { th scope="col" { (ctx.t("field.region")) } th scope="col" .num { (ctx.t("dashboard.reached")) } th scope="col" .num { "%" } } }
                        tbody {
                            @for (r, c) in &by_region {
                                tr {
                                    th scope="row" { a href=(format!("/locations?region={}", r.region.id)) { (r.region.name(ctx.lang)) } }
                                    td.num { (number(ctx.lang, c.reached)) " / " (number(ctx.lang, c.registered)) }
                                    td.num { (pct(c)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

const SERIES_COLOURS: [(u8, u8, u8); 6] =
    [(29, 79, 122), (200, 82, 0), (0, 128, 96), (153, 51, 153), (110, 110, 110), (180, 30, 60)];

/// The Monday of a date's week.
fn week_of(day: NaiveDate) -> NaiveDate {
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

fn over_time(ctx: &PageContext, q: &DashboardQuery, d: &Dashboard) -> Markup {
    let epoch = week_of(q.from);
    let weeks = ((q.to - epoch).num_days() / 7 + 1).clamp(1, 2_000) as usize;
    let stocked: Vec<_> = d.materials.iter().filter(|(m, _)| !m.is_broadcast()).collect();
    // Weekly distributed per material, and cumulative share of target.
    let mut weekly: Vec<Vec<i64>> = vec![vec![0; weeks]; stocked.len()];
    for (i, (m, _)) in stocked.iter().enumerate() {
        for (material, day, quantity) in &d.daily {
            if *material == m.id {
                let w = ((week_of(*day) - epoch).num_days() / 7) as usize;
                if let Some(slot) = weekly[i].get_mut(w) {
                    *slot += quantity;
                }
            }
        }
    }
    // Weeks start on a Monday, which may fall before the range: labels never show a month
    // before it.
    let label = move |x: &i32| (epoch + Duration::days(i64::from(*x))).max(q.from).format("%Y-%m").to_string();
    let lang = ctx.lang;
    let units_label = move |y: &f64| number(lang, y.round() as i64);
    let percent_label = move |y: &f64| format!("{}\u{a0}%", number(lang, y.round() as i64));
    let mut cumulative_series = Vec::new();
    let mut y_max: f64 = 100.0;
    for (i, (m, _)) in stocked.iter().enumerate() {
        let target = d.target_totals.get(&m.id).copied().unwrap_or(0);
        if target <= 0 {
            continue;
        }
        let mut running = d.before_range.get(&m.id).copied().unwrap_or(0);
        let points: Vec<(i32, f64)> = weekly[i]
            .iter()
            .enumerate()
            .map(|(w, q)| {
                running += q;
                ((w * 7) as i32, running as f64 * 100.0 / target as f64)
            })
            .collect();
        y_max = y_max.max(points.iter().map(|p| p.1).fold(0.0, f64::max));
        let (r, g, b) = SERIES_COLOURS[i % SERIES_COLOURS.len()];
        cumulative_series.push(Series { name: m.name(ctx.lang), colour: plotters::style::RGBColor(r, g, b), points });
    }
    let chosen = stocked.iter().position(|(m, _)| m.id == q.material_id);
    let weekly_chart = chosen.map(|i| {
        let (r, g, b) = SERIES_COLOURS[i % SERIES_COLOURS.len()];
        let points: Vec<(i32, f64)> = weekly[i].iter().enumerate().map(|(w, q)| ((w * 7) as i32, *q as f64)).collect();
        let max = points.iter().map(|p| p.1).fold(0.0, f64::max) * 1.1;
        let series = [Series { name: stocked[i].0.name(ctx.lang), colour: plotters::style::RGBColor(r, g, b), points }];
        let caption = ctx.t("dashboard.units_per_week");
        (
            line_chart(&series, &label, &units_label, max, &caption, WIDE),
            line_chart(&series, &label, &units_label, max, &caption, NARROW),
        )
    });
    let caption = ctx.t("dashboard.percent_of_target");
    let cumulative_chart = (
        line_chart(&cumulative_series, &label, &percent_label, y_max * 1.05, &caption, WIDE),
        line_chart(&cumulative_series, &label, &percent_label, y_max * 1.05, &caption, NARROW),
    );
    html! {
        section.card aria-labelledby="time-heading" {
            h2 #time-heading { (ctx.t("dashboard.over_time")) }
            h3 #cumulative-heading { (ctx.t("dashboard.cumulative")) }
            figure.chart.chart-wide role="img" aria-labelledby="cumulative-heading" { (PreEscaped(cumulative_chart.0)) }
            figure.chart.chart-narrow role="img" aria-labelledby="cumulative-heading" { (PreEscaped(cumulative_chart.1)) }
            div.chart-narrow { (crate::views::charts::legend_list(&cumulative_series)) }
            @if let Some((wide, narrow)) = weekly_chart {
                h3 #weekly-heading { (ctx.t("dashboard.weekly")) }
                figure.chart.chart-wide role="img" aria-labelledby="weekly-heading" { (PreEscaped(wide)) }
                figure.chart.chart-narrow role="img" aria-labelledby="weekly-heading" { (PreEscaped(narrow)) }
            }
            details {
                summary { (ctx.t("dashboard.chart_as_table")) }
                div.table-wrap role="region" aria-label=(ctx.t("dashboard.chart_as_table")) tabindex="0" {
                    table {
                        thead { tr {
                            th scope="col" { (ctx.t("dashboard.week_of")) }
                            @for (m, _) in &stocked { th scope="col" .num { (m.name(ctx.lang)) } }
                        } }
                        tbody {
                            @for w in 0..weeks {
                                @if weekly.iter().any(|series| series[w] != 0) {
                                    tr {
                                        th scope="row" { (epoch + Duration::days((w * 7) as i64)) }
                                        @for series in &weekly { td.num { (number(ctx.lang, series[w])) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A list of gaps, grouped by material: "Posters · Hospitals: Lara (12 places), Zulia (3)".
fn gap_list(ctx: &PageContext, q: &DashboardQuery, d: &Dashboard, gaps: &[crate::reports::coverage::Gap]) -> Markup {
    let links = Links { q };
    html! {
        ul.gaps {
            @for (m, _) in d.materials.iter().filter(|(m, _)| gaps.iter().any(|g| g.material_id == m.id)) {
                li {
                    strong { (m.name(ctx.lang)) }
                    ul {
                        @for g in gaps.iter().filter(|g| g.material_id == m.id) {
                            @let kind = d.types.iter().find(|t| t.id == g.type_id).map(|t| t.name(ctx.lang)).unwrap_or_default();
                            li {
                                @let key = if g.regions.len() == 1 { "dashboard.gap_line_one" } else { "dashboard.gap_line" };
                                (tr_arg(ctx.lang, key, &number(ctx.lang, g.regions.len() as i64)).replace("%{type}", kind))
                                ": "
                                @for (i, (r, places)) in g.regions.iter().enumerate() {
                                    @if i > 0 { ", " }
                                    a href=(links.distributed(m.id, Some(r.id), Some(g.type_id))) { (r.name(ctx.lang)) }
                                    @if *places > 0 {
                                        " (" (tr_arg(ctx.lang, "dashboard.places", &number(ctx.lang, *places))) ")"
                                    } @else {
                                        " (" (ctx.t("dashboard.no_places")) ")"
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// What recipients confirmed themselves, beside what was distributed, by region and by type;
/// and what waits for staff because of them.
fn recipients(ctx: &PageContext, d: &Dashboard, material: &str) -> Markup {
    let r = &d.recipients;
    let share = |confirmed: i64, distributed: i64| {
        percent_text(ctx, (distributed > 0).then(|| confirmed as f64 * 100.0 / distributed as f64))
    };
    let regions: Vec<(&str, i64, i64)> = d
        .regions
        .iter()
        .map(|c| (c.region.name(ctx.lang), c.distributed, r.in_region(c.region.id)))
        .filter(|(_, distributed, confirmed)| *distributed > 0 || *confirmed > 0)
        .collect();
    let types: Vec<(&str, i64, i64)> = d
        .types
        .iter()
        .map(|t| {
            let distributed = d.cells.iter().filter(|((_, kind), _)| *kind == t.id).map(|(_, c)| c.distributed).sum();
            (t.name(ctx.lang), distributed, r.of_type(t.id))
        })
        .filter(|(_, distributed, confirmed)| *distributed > 0 || *confirmed > 0)
        .collect();
    let table = |caption: &str, first: &str, rows: &[(&str, i64, i64)]| {
        html! {
            (crate::views::components::table_region(caption, html! {
                table {
                    caption { (caption) }
                    thead { tr {
                        th scope="col" { (first) }
                        th scope="col" .num { (ctx.t("dashboard.units_distributed")) }
                        th scope="col" .num { (ctx.t("dashboard.confirmed_by_recipients")) }
                        th scope="col" .num { (ctx.t("dashboard.confirmed_share")) }
                    } }
                    tbody {
                        @for (name, distributed, confirmed) in rows {
                            tr {
                                th scope="row" { (name) }
                                td.num { (number(ctx.lang, *distributed)) }
                                td.num { (number(ctx.lang, *confirmed)) }
                                td.num { (share(*confirmed, *distributed)) }
                            }
                        }
                    }
                }
            }))
        }
    };
    html! {
        section.card #recipients aria-labelledby="recipients-heading" {
            h2 #recipients-heading { (tr_arg(ctx.lang, "dashboard.recipients_for", material)) }
            p.hint { (ctx.t("dashboard.recipients_hint")) }
            ul {
                li {
                    a href="/shipments?recipient=disputed" {
                        (tr_arg(ctx.lang, "dashboard.disputed_open", &number(ctx.lang, r.disputed_units))
                            .replace("%{shipments}", &number(ctx.lang, r.disputed_shipments)))
                    }
                }
                li { a href="/shipments?recipient=disagreed" { (tr_arg(ctx.lang, "dashboard.disagreements", &number(ctx.lang, r.disagreements))) } }
            }
            @if regions.is_empty() {
                p { (ctx.t("dashboard.no_recipient_figures")) }
            } @else {
                div.two-tables {
                    (table(&ctx.t("dashboard.recipients_by_region"), &ctx.t("field.region"), &regions))
                    (table(&ctx.t("dashboard.recipients_by_type"), &ctx.t("field.location_type"), &types))
                }
            }
        }
    }
}

fn alerts(ctx: &PageContext, q: &DashboardQuery, d: &Dashboard, _links: &Links) -> Markup {
    html! {
        section.card #alerts aria-labelledby="alerts-heading" {
            h2 #alerts-heading { (ctx.t("dashboard.alerts")) }
            h3 { (ctx.t("dashboard.gaps")) }
            p.hint { (tr_arg(ctx.lang, "dashboard.gaps_hint", &format!("{} – {}", q.from, q.to))) }
            @if d.gaps.is_empty() {
                p { (ctx.t("dashboard.no_gaps")) }
            } @else {
                (gap_list(ctx, q, d, &d.gaps))
            }
            h3 { (ctx.t("dashboard.unplanned")) }
            p.hint { (ctx.t("dashboard.unplanned_hint")) }
            @if d.unplanned.is_empty() {
                p { (ctx.t("dashboard.no_unplanned")) }
            } @else {
                (gap_list(ctx, q, d, &d.unplanned))
            }
            h3 { (ctx.t("dashboard.depot_shortfalls")) " " span.small { "(" (ctx.t("dashboard.as_of_today")) ")" } }
            @if d.depot_shortfalls.is_empty() {
                p { (ctx.t("dashboard.no_depot_shortfalls")) }
            } @else {
                ul {
                    @for s in d.depot_shortfalls.iter().take(20) {
                        li {
                            a href=(format!("/stock/locations/{}", s.depot_id)) { (s.depot_name) } ": "
                            (s.material_name.get(ctx.lang)) " — "
                            (tr_arg(ctx.lang, "dashboard.depot_shortfall", &number(ctx.lang, s.on_hand)).replace("%{open}", &number(ctx.lang, s.open_target)))
                        }
                    }
                }
            }
            h3 { (ctx.t("dashboard.overdue")) " " span.small { "(" (ctx.t("dashboard.as_of_today")) ")" } }
            p.hint { (tr_arg(ctx.lang, "dashboard.overdue_hint", &q.transit_days.to_string())) }
            @if d.late_shipments.is_empty() {
                p { (ctx.t("dashboard.no_late")) }
            } @else {
                ul.overdue {
                    @for s in &d.late_shipments {
                        li {
                            a href=(format!("/shipments/{}", s.id)) { (s.reference) }
                            " " (s.origin) " → " (s.destination) " · "
                            strong { (tr_arg(ctx.lang, "dashboard.days_late", &number(ctx.lang, s.days_late))) }
                            " · " (ctx.t("field.dispatched_on")) " " (s.dispatched_on)
                            @if let Some(expected) = s.expected_on { " · " (ctx.t("field.expected_on")) " " (expected) }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_follow_the_percentage() {
        assert_eq!(band(None).0, "none");
        assert_eq!(band(Some(0.0)).0, "zero");
        assert_eq!(band(Some(24.9)).0, "low");
        assert_eq!(band(Some(50.0)).0, "high");
        assert_eq!(band(Some(130.0)).0, "full");
    }

    #[test]
    fn names_fit_a_tile() {
        assert_eq!(short_name("Lara"), "Lara");
        assert_eq!(short_name("Distrito Capital"), "Distrito C.");
        assert_eq!(short_name("La Guaira (Vargas)"), "La Guaira");
        assert_eq!(short_name("Anzoátegui"), "Anzoáteg.");
        assert!(short_name("Dependencias Federales").chars().count() <= 11);
    }
}
