//! Stock pages: the overview, a material's ledger, a location's stock, receipts, adjustments,
//! whole-depot counts and the period lock.

use crate::domain::Invalid;
use crate::domain::Permission;
use crate::i18n::number;
use crate::models::keyset::Window;
use crate::models::location::Location;
use crate::models::material::Material;
use crate::models::receipt::{Receipt, ReceiptQuery, ReceiptRow, ReversedFilter};
use crate::models::region::Region;
use crate::models::Page;
use crate::reports::stock::{Holding, LedgerLine, MaterialBalance, MaterialTotals, StockQuery};
use crate::views::components::{
    csrf, described_by, filter_field, filter_input, filter_refusal, filter_select, form_error, heading, input,
    input_with_hint, keyset_nav, pagination, select, textarea,
};
use crate::views::form::{FieldErrors, FormState};
use crate::views::layout::page;
use crate::views::page::PageContext;
use crate::views::widgets::{movement_kind, submission_key, units};
use chrono::NaiveDate;
use maud::{html, Markup};

fn can_record(ctx: &PageContext) -> bool {
    ctx.can(Permission::RecordStock)
}

pub fn material_options(lang: crate::domain::Lang, materials: &[Material]) -> Vec<(String, String)> {
    materials.iter().map(|m| (m.id.to_string(), format!("{} — {}", m.code, m.name(lang)))).collect()
}

pub fn location_options(locations: &[Location]) -> Vec<(String, String)> {
    locations.iter().map(|l| (l.id.to_string(), format!("{} — {}", l.code, l.name))).collect()
}

/// Totals per material, then the holdings with their filters. `holdings` is None when a filter
/// was refused: the form comes back with its messages and no holdings.
#[allow(clippy::too_many_arguments)]
pub fn overview(
    ctx: &PageContext,
    totals: &[(Material, MaterialTotals)],
    holdings: Option<&Page<Holding>>,
    query: &StockQuery,
    errors: &FieldErrors,
    refusal: Option<&Invalid>,
    materials: &[Material],
    regions: &[Region],
) -> Markup {
    let title = ctx.t("nav.stock");
    let base = query.to_query_string();
    let materials: Vec<(String, String)> =
        materials.iter().map(|m| (m.id.to_string(), m.name(ctx.lang).to_string())).collect();
    let regions: Vec<(String, String)> =
        regions.iter().map(|r| (r.id.to_string(), r.name(ctx.lang).to_string())).collect();
    page(
        ctx,
        &title,
        html! {
            div.page-heading {
                h1 { (title) }
                @if can_record(ctx) {
                    div.button-row {
                        a.button href="/receipts/new" { (ctx.t("receipt.new")) }
                        a.button href="/shipments/new" { (ctx.t("shipment.new")) }
                        a.button.secondary-button href="/adjustments/new" { (ctx.t("adjustment.new")) }
                    }
                }
            }
            h2 { (ctx.t("stock.by_material")) }
            div.table-wrap role="region" aria-label=(ctx.t("stock.by_material")) tabindex="0" {
                table {
                    thead { tr {
                        th scope="col" { (ctx.t("field.material")) }
                        th scope="col" .num { (ctx.t("stock.received")) }
                        th scope="col" .num { (ctx.t("stock.in_depots")) }
                        th scope="col" .num { (ctx.t("stock.in_transit")) }
                        th scope="col" .num { (ctx.t("stock.distributed")) }
                        th scope="col" .num { (ctx.t("stock.lost")) }
                        th scope="col" .num { (ctx.t("stock.corrections")) }
                    } }
                    tbody {
                        @for (m, t) in totals {
                            tr {
                                th scope="row" { a href=(format!("/stock/materials/{}", m.id)) { (m.name(ctx.lang)) } }
                                td.num { (number(ctx.lang, t.received)) }
                                td.num { a href=(format!("/stock?material={}&depots=1", m.id)) { (number(ctx.lang, t.in_depots)) } }
                                td.num { a href=(format!("/shipments?status=dispatched&material={}", m.id)) { (number(ctx.lang, t.in_transit)) } }
                                td.num { a href=(format!("/stock?material={}", m.id)) { (number(ctx.lang, t.distributed)) } }
                                td.num { (number(ctx.lang, t.lost)) }
                                td.num { "+" (number(ctx.lang, t.counted_up)) " / −" (number(ctx.lang, t.counted_down)) }
                            }
                        }
                    }
                }
            }
            h2 #holdings { (ctx.t("stock.by_location")) }
            form.filters method="get" action="/stock" {
                (filter_refusal(ctx, refusal))
                (filter_select(ctx, errors, "material", "field.material", &query.material, &materials))
                (filter_select(ctx, errors, "region", "field.region", &query.region, &regions))
                div.field.checkbox.has-error[errors.get("depots").is_some()] {
                    @if let Some(e) = errors.get("depots") { p.field-error id="depots-error" { (crate::i18n::invalid(ctx.lang, e)) } }
                    input #depots type="checkbox" name="depots" value="1" checked[query.depots == "1"]
                        aria-invalid=[errors.get("depots").is_some().then_some("true")] aria-describedby=[described_by(errors, "depots", false)];
                    label for="depots" { (ctx.t("stock.depots_only")) }
                }
                button type="submit" { (ctx.t("filter.apply")) }
            }
            @if let Some(holdings) = holdings {
                (crate::views::components::download_links(ctx, crate::exchange::export::Kind::Stock, &base))
                @if holdings.rows.is_empty() {
                    p.empty { (ctx.t("list.empty")) }
                } @else {
                    div.table-wrap role="region" aria-label=(ctx.t("stock.by_location")) tabindex="0" {
                        table {
                            thead { tr {
                                th scope="col" { (ctx.t("field.location")) }
                                th scope="col" { (ctx.t("field.region")) }
                                th scope="col" { (ctx.t("field.material")) }
                                th scope="col" .num { (ctx.t("stock.on_hand")) }
                                th scope="col" .num { (ctx.t("stock.incoming")) }
                            } }
                            tbody {
                                @for h in &holdings.rows {
                                    tr {
                                        td {
                                            a href=(format!("/stock/locations/{}", h.location_id)) { (h.location_name) }
                                            @if h.is_depot { " " span.badge { (ctx.t("stock.depot")) } }
                                        }
                                        td { (h.region_name.get(ctx.lang)) }
                                        td { a href=(format!("/stock/materials/{}?location={}", h.material_id, h.location_id)) { (h.material_name.get(ctx.lang)) } }
                                        td.num { (units(ctx.lang, h.on_hand, h.pack_size)) }
                                        td.num { @if h.incoming > 0 { (number(ctx.lang, h.incoming)) } @else { "—" } }
                                    }
                                }
                            }
                        }
                    }
                }
                (pagination(ctx, &base, holdings.page, holdings.page_count(), holdings.total))
            }
        },
    )
}

/// Every movement of a material with the running balance.
pub fn ledger(
    ctx: &PageContext,
    material: &Material,
    location: Option<&Location>,
    lines: &Window<LedgerLine>,
) -> Markup {
    let title = format!("{} · {}", ctx.t("stock.ledger"), material.name(ctx.lang));
    let base = location.map(|l| format!("location={}", l.id)).unwrap_or_default();
    page(
        ctx,
        &title,
        html! {
            h1 { (title) }
            p.meta {
                @if let Some(l) = location {
                    (crate::i18n::tr_arg(ctx.lang, "stock.balance_at", &l.name)) " · "
                    a href=(format!("/stock/materials/{}", material.id)) { (ctx.t("stock.all_locations")) }
                } @else if ctx.reader.as_ref().is_some_and(|r| r.region_limited) {
                    (ctx.t("stock.balance_regions"))
                } @else {
                    (ctx.t("stock.balance_system"))
                }
            }
            @let export_query = [format!("material={}", material.id), base.clone()].join("&");
            (crate::views::components::download_links(ctx, crate::exchange::export::Kind::Ledger, export_query.trim_end_matches('&')))
            div.table-wrap role="region" aria-label=(title) tabindex="0" {
                table {
                    thead { tr {
                        th scope="col" { (ctx.t("field.date")) }
                        th scope="col" { (ctx.t("movement.kind")) }
                        th scope="col" { (ctx.t("movement.from")) }
                        th scope="col" { (ctx.t("movement.to")) }
                        th scope="col" .num { (ctx.t("field.quantity")) }
                        th scope="col" .num { (ctx.t("movement.change")) }
                        th scope="col" .num { (ctx.t("movement.balance")) }
                        th scope="col" { (ctx.t("movement.record")) }
                        th scope="col" { (ctx.t("audit.who")) }
                    } }
                    tbody {
                        @for line in &lines.rows {
                            @let m = &line.movement;
                            tr.reversed[line.reversed] {
                                td { (m.effective_on) }
                                td {
                                    (movement_kind(ctx.lang, m.kind.as_str(), m.reverses_id.is_some()))
                                    @if line.reversed { " " span.badge.off { (ctx.t("movement.reversed")) } }
                                    @if !m.reason.is_empty() { br; span.meta { (m.reason) } }
                                }
                                td { (line.from_name.as_deref().unwrap_or("—")) }
                                td { (line.to_name.as_deref().unwrap_or("—")) }
                                td.num { (number(ctx.lang, i64::from(m.quantity))) }
                                td.num { @if line.delta > 0 { "+" } (number(ctx.lang, line.delta)) }
                                td.num { (number(ctx.lang, line.balance)) }
                                td {
                                    @if let (Some(id), Some(reference)) = (m.shipment_id, &line.shipment_reference) {
                                        a href=(format!("/shipments/{id}")) { (reference) }
                                    } @else if let Some(id) = m.receipt_id {
                                        a href=(format!("/receipts/{id}")) { (ctx.t("receipt.title")) " #" (id) }
                                    } @else if let Some(id) = m.adjustment_id {
                                        a href=(format!("/adjustments/{id}")) { (ctx.t("adjustment.title")) " #" (id) }
                                    }
                                }
                                td { (line.recorded_by.as_deref().unwrap_or("—")) " · " (m.recorded_at.format("%Y-%m-%d %H:%M")) }
                            }
                        }
                    }
                }
            }
            (keyset_nav(ctx, &base, lines))
        },
    )
}

/// What a location holds and what is on its way to it.
pub fn location_stock(
    ctx: &PageContext,
    location: &Location,
    balances: &[MaterialBalance],
    incoming: &[(crate::domain::MaterialId, crate::domain::Names, i64)],
) -> Markup {
    let title = format!("{} · {}", ctx.t("nav.stock"), location.name);
    page(
        ctx,
        &title,
        html! {
            div.page-heading {
                h1 { (title) }
                div.button-row {
                    a.button.secondary-button href=(format!("/locations/{}", location.id)) { (ctx.t("stock.location_details")) }
                    @if location.is_depot && can_record(ctx) {
                        a.button href=(format!("/counts/new?location={}", location.id)) { (ctx.t("count.new")) }
                    }
                }
            }
            h2 { (if location.is_depot { ctx.t("stock.holds") } else { ctx.t("stock.received_here") }) }
            (crate::views::components::download_links(ctx, crate::exchange::export::Kind::Stock, &format!("location={}", location.id)))
            @if balances.is_empty() {
                p.empty { (ctx.t("stock.nothing")) }
            } @else {
                table {
                    thead { tr {
                        th scope="col" { (ctx.t("field.material")) }
                        th scope="col" .num { (ctx.t("stock.on_hand")) }
                    } }
                    tbody {
                        @for b in balances {
                            tr {
                                td { a href=(format!("/stock/materials/{}?location={}", b.material_id, location.id)) { (b.material_name.get(ctx.lang)) } }
                                td.num { (units(ctx.lang, b.on_hand, b.pack_size)) }
                            }
                        }
                    }
                }
            }
            @if !incoming.is_empty() {
                h2 { (ctx.t("stock.incoming")) }
                table {
                    thead { tr { th scope="col" { (ctx.t("field.material")) } th scope="col" .num { (ctx.t("field.quantity")) } } }
                    tbody {
                        @for (_, name, q) in incoming { tr { td { (name.get(ctx.lang)) } td.num { (number(ctx.lang, *q)) } } }
                    }
                }
                p { a href=(format!("/shipments?status=dispatched&q={}", crate::views::components::url_encode(&location.name))) { (ctx.t("stock.incoming_shipments")) } }
            }
        },
    )
}

pub fn receipt_form(ctx: &PageContext, form: &FormState, materials: &[Material], depots: &[Location]) -> Markup {
    let title = ctx.t("receipt.new");
    page(
        ctx,
        &title,
        html! {
            h1 { (title) }
            (form_error(ctx, form))
            form.stacked method="post" action="/receipts/new" novalidate {
                (csrf(ctx))
                (submission_key(form))
                (select(ctx, form, "material_id", "field.material", &material_options(ctx.lang, materials), true))
                (select(ctx, form, "location_id", "field.depot", &location_options(depots), true))
                (input_with_hint(ctx, form, "quantity", "field.quantity", "text", true, Some("hint.units")))
                (input(ctx, form, "received_on", "field.received_on", "date", true))
                (input(ctx, form, "supplier", "field.supplier", "text", false))
                (input_with_hint(ctx, form, "reference", "field.delivery_reference", "text", false, Some("hint.delivery_reference")))
                (crate::views::components::questions(ctx, form))
                div.actions {
                    button.primary type="submit" { (ctx.t("receipt.record")) }
                    a href="/receipts" { (ctx.t("action.cancel")) }
                }
            }
        },
    )
}

/// What the receipt list's filters offer: materials and the depots the person may see.
pub struct ReceiptChoices<'a> {
    pub materials: &'a [Material],
    pub depots: &'a [Location],
}

/// The receipt list with its filters. `rows` is None when a filter was refused: the form comes
/// back with the messages and no rows, never rows that ignored a filter.
pub fn receipt_list(
    ctx: &PageContext,
    query: &ReceiptQuery,
    errors: &FieldErrors,
    refusal: Option<&Invalid>,
    receipts: Option<&Window<ReceiptRow>>,
    choices: &ReceiptChoices,
) -> Markup {
    let title = ctx.t("nav.receipts");
    let query_string = query.to_query_string();
    let reversed: Vec<(String, String)> =
        ReversedFilter::CHOICES[1..].iter().map(|c| (c.to_string(), ctx.t(&format!("filter.reversed.{c}")))).collect();
    let reversed_invalid = errors.get("reversed").is_some();
    page(
        ctx,
        &title,
        html! {
            (heading(&title, can_record(ctx).then(|| ("/receipts/new", ctx.t("receipt.new")))))
            form.filters method="get" action="/receipts" role="search" {
                (filter_refusal(ctx, refusal))
                (filter_select(ctx, errors, "material", "field.material", &query.material, &material_options(ctx.lang, choices.materials)))
                (filter_select(ctx, errors, "depot", "field.depot", &query.depot, &location_options(choices.depots)))
                (filter_input(ctx, errors, "from", "filter.from", "date", &query.from, None))
                (filter_input(ctx, errors, "to", "filter.to", "date", &query.to, None))
                (filter_input(ctx, errors, "supplier", "filter.supplier", "search", &query.supplier, None))
                (filter_field(ctx, errors, "reversed", "filter.reversed", None, html! {
                    select #reversed name="reversed" aria-invalid=[reversed_invalid.then_some("true")] aria-describedby=[described_by(errors, "reversed", false)] {
                        option value="" { (ctx.t("filter.reversed.all")) }
                        @for (value, text) in &reversed { option value=(value) selected[query.reversed == *value] { (text) } }
                    }
                }))
                button type="submit" { (ctx.t("filter.apply")) }
            }
            @if let Some(receipts) = receipts {
                (crate::views::components::download_links(ctx, crate::exchange::export::Kind::Receipts, &query_string))
                @if receipts.rows.is_empty() {
                    p.empty { (ctx.t("list.empty")) }
                } @else {
                    div.table-wrap role="region" aria-label=(title) tabindex="0" {
                        table {
                            thead { tr {
                                th scope="col" { (ctx.t("field.received_on")) }
                                th scope="col" { (ctx.t("field.material")) }
                                th scope="col" { (ctx.t("field.depot")) }
                                th scope="col" .num { (ctx.t("field.quantity")) }
                                th scope="col" { (ctx.t("field.supplier")) }
                                th scope="col" { (ctx.t("field.delivery_reference")) }
                            } }
                            tbody {
                                @for r in &receipts.rows {
                                    tr.reversed[r.reversed] {
                                        td { a href=(format!("/receipts/{}", r.receipt.id)) { (r.receipt.received_on) } }
                                        td { (r.material_name.get(ctx.lang)) }
                                        td { (r.location_name) }
                                        td.num { (number(ctx.lang, i64::from(r.receipt.quantity))) @if r.reversed { " " span.badge.off { (ctx.t("movement.reversed")) } } }
                                        td { (r.receipt.supplier) }
                                        td { (r.receipt.reference) }
                                    }
                                }
                            }
                        }
                    }
                }
                (keyset_nav(ctx, &query_string, receipts))
            }
        },
    )
}

pub fn reason_form(ctx: &PageContext, form: &FormState, action: &str, button_key: &str, hint_key: &str) -> Markup {
    html! {
        form.stacked.reason-form method="post" action=(action) novalidate {
            (csrf(ctx))
            (submission_key(form))
            p.hint { (ctx.t(hint_key)) }
            (textarea(ctx, form, "reason", "field.reason"))
            button.danger type="submit" { (ctx.t(button_key)) }
        }
    }
}

pub fn receipt_detail(
    ctx: &PageContext,
    receipt: &Receipt,
    material: &Material,
    depot: &Location,
    reversed: bool,
    form: &FormState,
) -> Markup {
    let title = format!("{} #{}", ctx.t("receipt.title"), receipt.id);
    page(
        ctx,
        &title,
        html! {
            h1 { (title) @if reversed { " " span.badge.off { (ctx.t("movement.reversed")) } } }
            (form_error(ctx, form))
            dl.facts {
                dt { (ctx.t("field.material")) } dd { a href=(format!("/stock/materials/{}", material.id)) { (material.name(ctx.lang)) } }
                dt { (ctx.t("field.depot")) } dd { a href=(format!("/stock/locations/{}", depot.id)) { (depot.name) } }
                dt { (ctx.t("field.quantity")) } dd { (units(ctx.lang, i64::from(receipt.quantity), material.pack_size)) }
                dt { (ctx.t("field.received_on")) } dd { (receipt.received_on) }
                dt { (ctx.t("field.supplier")) } dd { (receipt.supplier) }
                dt { (ctx.t("field.delivery_reference")) } dd { (receipt.reference) }
                dt { (ctx.t("audit.when")) } dd { (receipt.recorded_at.format("%Y-%m-%d %H:%M")) }
            }
            @if can_record(ctx) && !reversed {
                section.card {
                    h2 { (ctx.t("receipt.reverse")) }
                    (reason_form(ctx, form, &format!("/receipts/{}/reverse", receipt.id), "receipt.reverse", "reverse.hint"))
                }
            }
        },
    )
}

pub fn adjustment_form(ctx: &PageContext, form: &FormState, materials: &[Material], depots: &[Location]) -> Markup {
    let title = ctx.t("adjustment.new");
    let kinds: Vec<(String, String)> = crate::models::adjustment::ADJUSTMENT_KINDS
        .iter()
        .map(|k| (k.to_string(), ctx.t(&format!("movement.{k}"))))
        .collect();
    page(
        ctx,
        &title,
        html! {
            h1 { (title) }
            (form_error(ctx, form))
            form.stacked method="post" action="/adjustments/new" novalidate {
                (csrf(ctx))
                (submission_key(form))
                (select(ctx, form, "location_id", "field.depot", &location_options(depots), true))
                (select(ctx, form, "material_id", "field.material", &material_options(ctx.lang, materials), true))
                (select(ctx, form, "kind", "field.adjustment_kind", &kinds, true))
                (input_with_hint(ctx, form, "quantity", "field.quantity", "text", true, Some("hint.units")))
                (input(ctx, form, "effective_on", "field.date", "date", true))
                (textarea(ctx, form, "reason", "field.reason"))
                (crate::views::components::questions(ctx, form))
                div.actions {
                    button.primary type="submit" { (ctx.t("adjustment.record")) }
                    a href="/stock" { (ctx.t("action.cancel")) }
                }
            }
        },
    )
}

pub fn adjustment_detail(
    ctx: &PageContext,
    adjustment: &crate::models::adjustment::Adjustment,
    material: &Material,
    depot: &Location,
    reversed: bool,
    form: &FormState,
) -> Markup {
    let title = format!("{} #{}", ctx.t("adjustment.title"), adjustment.id);
    page(
        ctx,
        &title,
        html! {
            h1 { (title) @if reversed { " " span.badge.off { (ctx.t("movement.reversed")) } } }
            (form_error(ctx, form))
            dl.facts {
                dt { (ctx.t("field.adjustment_kind")) } dd { (ctx.t(&format!("movement.{}", adjustment.kind))) }
                dt { (ctx.t("field.material")) } dd { a href=(format!("/stock/materials/{}", material.id)) { (material.name(ctx.lang)) } }
                dt { (ctx.t("field.depot")) } dd { a href=(format!("/stock/locations/{}", depot.id)) { (depot.name) } }
                dt { (ctx.t("field.quantity")) } dd { (units(ctx.lang, i64::from(adjustment.quantity), material.pack_size)) }
                dt { (ctx.t("field.date")) } dd { (adjustment.effective_on) }
                dt { (ctx.t("field.reason")) } dd { (adjustment.reason) }
            }
            @if can_record(ctx) && !reversed {
                section.card {
                    h2 { (ctx.t("adjustment.reverse")) }
                    (reason_form(ctx, form, &format!("/adjustments/{}/reverse", adjustment.id), "adjustment.reverse", "reverse.hint"))
                }
            }
        },
    )
}

/// The count sheet: what the ledger says is at the depot, with a box for what was counted.
/// Printed, it is the paper the counters fill in.
pub fn count_form(
    ctx: &PageContext,
    depot: &Location,
    rows: &[(Material, i64)],
    form: &FormState,
    today: NaiveDate,
) -> Markup {
    let title = format!("{} · {}", ctx.t("count.new"), depot.name);
    page(
        ctx,
        &title,
        html! {
            h1 { (title) }
            p.meta { (ctx.t("count.intro")) " " (crate::i18n::tr_arg(ctx.lang, "count.printed_on", &today.to_string())) }
            (form_error(ctx, form))
            form method="post" action=(format!("/counts/new?location={}", depot.id)) novalidate {
                (csrf(ctx))
                (submission_key(form))
                input type="hidden" name="location_id" value=(depot.id);
                table.count-sheet {
                    thead { tr {
                        th scope="col" { (ctx.t("field.material")) }
                        th scope="col" .num { (ctx.t("count.book")) }
                        th scope="col" { (ctx.t("count.counted")) }
                    } }
                    tbody {
                        @for (m, book) in rows {
                            @let name = format!("counted_{}", m.id);
                            tr {
                                th scope="row" { label for=(name) { (m.code) " — " (m.name(ctx.lang)) } }
                                td.num { (units(ctx.lang, *book, m.pack_size)) }
                                td {
                                    @if let Some(e) = form.errors.get(&name) { p.field-error id=(format!("{name}-error")) { (crate::i18n::invalid(ctx.lang, e)) } }
                                    input.count-input id=(name) name=(name) type="text" inputmode="numeric" value=(form.value(&name))
                                        aria-describedby=[form.errors.get(&name).map(|_| format!("{name}-error"))];
                                }
                            }
                        }
                    }
                }
                div.count-footer {
                    (input(ctx, form, "counted_on", "field.date", "date", true))
                    (textarea(ctx, form, "note", "field.note"))
                    p.print-only { (ctx.t("count.signature")) " ______________________" }
                }
                (crate::views::components::questions(ctx, form))
                div.actions {
                    button.primary type="submit" { (ctx.t("count.post")) }
                    button.secondary type="button" data-print="" { (ctx.t("action.print")) }
                }
            }
        },
    )
}

pub fn lock_date_form(ctx: &PageContext, form: &FormState, current: Option<NaiveDate>) -> Markup {
    let title = ctx.t("lock.title");
    page(
        ctx,
        &title,
        html! {
            h1 { (title) }
            p { (ctx.t("lock.intro")) }
            p { strong { (ctx.t("lock.current")) ": " } @if let Some(d) = current { (d) } @else { (ctx.t("lock.none")) } }
            (form_error(ctx, form))
            form.stacked method="post" action="/settings/lock-date" novalidate {
                (csrf(ctx))
                (input_with_hint(ctx, form, "lock_date", "field.lock_date", "date", false, Some("hint.lock_date")))
                button.primary type="submit" { (ctx.t("action.save")) }
            }
        },
    )
}
