//! Shipment pages: the filtered list, the draft form, the shipment with its actions and
//! history, the delivery form and the printable delivery note (waybill).

use crate::domain::{Invalid, Permission, ShipmentStatus};
use crate::domain::{LocationId, MaterialId};
use crate::i18n::number;
use crate::models::keyset::Window;
use crate::models::location::{DestinationGroup, Location};
use crate::models::location_type::LocationType;
use crate::models::material::Material;
use crate::models::region::Region;
use crate::models::shipment::{MaterialUnits, Shipment, ShipmentEvent, ShipmentLine, ShipmentRow, SHORTFALL_REASONS};
use crate::models::shipment::{ShipmentQuery, ShipmentSort};
use crate::views::components::{
    csrf, described_by, filter_field, filter_input, filter_refusal, filter_select, form_error, input, input_with_hint,
    keyset_nav, select, textarea,
};
use crate::views::form::{FieldErrors, FormState};
use crate::views::layout::page;
use crate::views::page::PageContext;
use crate::views::stock::{location_options, reason_form};
use crate::views::widgets::{shipment_status, submission_key, units};
use maud::{html, Markup};

/// Draft forms offer this many line slots.
pub const LINE_SLOTS: usize = 6;

fn can_record(ctx: &PageContext) -> bool {
    ctx.can(Permission::RecordStock)
}

/// The filters the list's form shows, each with its message when refused.
pub const LIST_FIELDS: [&str; 11] =
    ["status", "recipient", "material", "origin", "region", "type", "from", "to", "q", "dest", "sort"];

pub struct ListChoices<'a> {
    pub materials: &'a [Material],
    pub depots: &'a [Location],
    pub regions: &'a [Region],
    pub types: &'a [LocationType],
}

/// The shipment list with its filters. `rows` is None when a filter was refused: the form comes
/// back with the messages and no rows, never rows that ignored a filter.
pub fn list(
    ctx: &PageContext,
    query: &ShipmentQuery,
    errors: &FieldErrors,
    refusal: Option<&Invalid>,
    rows: Option<&Window<ShipmentRow>>,
    choices: &ListChoices,
) -> Markup {
    let query_string = query.to_query_string();
    let title = ctx.t("nav.shipments");
    let statuses: Vec<(String, String)> =
        ShipmentStatus::ALL.iter().map(|s| (s.to_string(), ctx.t(&format!("shipment.status.{s}")))).collect();
    let recipient_states: Vec<(String, String)> = crate::models::shipment_query::RecipientState::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), ctx.t(&format!("recipient.state.{}", s.as_str()))))
        .collect();
    let materials: Vec<(String, String)> =
        choices.materials.iter().map(|m| (m.id.to_string(), m.name(ctx.lang).to_string())).collect();
    let regions: Vec<(String, String)> =
        choices.regions.iter().map(|r| (r.id.to_string(), r.name(ctx.lang).to_string())).collect();
    let types: Vec<(String, String)> =
        choices.types.iter().map(|t| (t.id.to_string(), t.name(ctx.lang).to_string())).collect();
    let sorts: Vec<(String, String)> =
        ShipmentSort::ALL.iter().map(|s| (s.as_str().to_string(), ctx.t(&format!("sort.{}", s.as_str())))).collect();
    let chosen_sort = if query.sort.is_empty() { ShipmentSort::Newest.as_str() } else { query.sort.as_str() };
    let invalid = |name: &str| errors.get(name).is_some().then_some("true");
    page(
        ctx,
        &title,
        html! {
            div.page-heading {
                h1 { (title) }
                div.actions {
                    a.button.secondary-button href="/shipments/waybills" { (ctx.t("waybill.batch_link")) }
                    @if can_record(ctx) { a.button href="/shipments/new" { (ctx.t("shipment.new")) } }
                }
            }
            form.filters method="get" action="/shipments" role="search" {
                (filter_refusal(ctx, refusal))
                @if !query.campaign.is_empty() { input type="hidden" name="campaign" value=(query.campaign); }
                (filter_select(ctx, errors, "status", "field.status", &query.status, &statuses))
                (filter_select(ctx, errors, "recipient", "field.recipient", &query.recipient, &recipient_states))
                (filter_select(ctx, errors, "material", "field.material", &query.material, &materials))
                (filter_select(ctx, errors, "origin", "field.origin", &query.origin, &location_options(choices.depots)))
                (filter_select(ctx, errors, "region", "field.destination_region", &query.region, &regions))
                (filter_select(ctx, errors, "type", "field.destination_type", &query.location_type, &types))
                (filter_input(ctx, errors, "from", "filter.from", "date", &query.from, None))
                (filter_input(ctx, errors, "to", "filter.to", "date", &query.to, None))
                (filter_input(ctx, errors, "q", "filter.shipment_text", "search", &query.text, None))
                div.field.checkbox.has-error[errors.get("dest").is_some()] {
                    @if let Some(e) = errors.get("dest") { p.field-error id="dest-error" { (crate::i18n::invalid(ctx.lang, e)) } }
                    input #dest type="checkbox" name="dest" value="points" checked[query.dest == "points"]
                        aria-invalid=[invalid("dest")] aria-describedby=[described_by(errors, "dest", false)];
                    label for="dest" { (ctx.t("filter.points_only")) }
                }
                (filter_field(ctx, errors, "sort", "filter.sort", None, html! {
                    select #sort name="sort" aria-invalid=[invalid("sort")] aria-describedby=[described_by(errors, "sort", false)] {
                        @for (value, text) in &sorts { option value=(value) selected[chosen_sort == value] { (text) } }
                    }
                }))
                button type="submit" { (ctx.t("filter.apply")) }
            }
            @if let Some(rows) = rows {
                (crate::views::components::download_links(ctx, crate::exchange::export::Kind::Shipments, &query_string))
                @if rows.rows.is_empty() {
                    p.empty { (ctx.t("list.empty")) }
                } @else {
                    div.table-wrap role="region" aria-label=(title) tabindex="0" {
                        table.shipment-list {
                            thead { tr {
                                th scope="col" { (ctx.t("field.reference")) }
                                th scope="col" { (ctx.t("field.status")) }
                                th scope="col" { (ctx.t("field.origin")) }
                                th scope="col" { (ctx.t("field.destination")) }
                                th scope="col" { (ctx.t("field.dispatched_on")) }
                                th scope="col" { (ctx.t("field.expected_on")) }
                                th scope="col" { (ctx.t("field.delivered_on")) }
                                th scope="col" { (ctx.t("field.units")) }
                            } }
                            tbody {
                                @for r in &rows.rows {
                                    @let s = &r.shipment;
                                    tr {
                                        td { a href=(format!("/shipments/{}", s.id)) { (s.reference) } }
                                        td { (shipment_status(ctx, s.status)) }
                                        td { (r.origin_name) }
                                        td { (r.destination_name) }
                                        td.date data-col="dispatched" { (optional_date(s.dispatched_on)) }
                                        td.date data-col="expected" { (optional_date(s.expected_on)) }
                                        td.date data-col="delivered" { (optional_date(s.delivered_on)) }
                                        td data-col="units" { (material_units(ctx, &r.units)) }
                                    }
                                }
                            }
                        }
                    }
                }
                (keyset_nav(ctx, &query_string, rows))
            }
        },
    )
}

/// A date, or a dash when there is none.
fn optional_date(date: Option<chrono::NaiveDate>) -> String {
    date.map(|d| d.to_string()).unwrap_or_else(|| "—".into())
}

/// "1,200 Posters …", "300 Fliers …": one line per material in the reader's language, never
/// different materials added into one number.
fn material_units(ctx: &PageContext, units: &[MaterialUnits]) -> Markup {
    html! {
        @if units.is_empty() {
            "—"
        } @else {
            ul.material-units {
                @for u in units {
                    li { span.n { (number(ctx.lang, u.units)) } " " (u.name.get(ctx.lang)) }
                }
            }
        }
    }
}

/// Destinations grouped by region, for a long select that stays usable.
/// The destination picker: places grouped by region, each with its code, type and city. With
/// the static script, a region, a type and a text narrow the list as the clerk types; without it
/// the whole grouped list still works.
pub fn destination_select(ctx: &PageContext, form: &FormState, groups: &[DestinationGroup]) -> Markup {
    let name = "destination_id";
    let chosen = form.value(name);
    let error = form.errors.get(name);
    let mut types: Vec<(i32, &str)> = Vec::new();
    for (place, type_name) in groups.iter().flat_map(|g| &g.places) {
        if !types.iter().any(|(id, _)| *id == place.location_type_id) {
            types.push((place.location_type_id, type_name.get(ctx.lang)));
        }
    }
    types.sort_by(|a, b| crate::domain::collation::compare(a.1, b.1));
    html! {
        div.field.has-error[error.is_some()] {
            label for=(name) { (ctx.t("field.destination")) " " abbr.req title=(ctx.t("form.required")) { "*" } }
            p.hint id="destination_id-hint" { (ctx.t("hint.destination")) }
            div.picker-filter data-filters=(name) hidden {
                div {
                    label for="destination_region" { (ctx.t("picker.region")) }
                    select id="destination_region" data-filter="region" {
                        option value="" { (ctx.t("picker.any_region")) }
                        @for g in groups { option value=(g.region_id) { (g.region.get(ctx.lang)) } }
                    }
                }
                div {
                    label for="destination_type" { (ctx.t("picker.type")) }
                    select id="destination_type" data-filter="type" {
                        option value="" { (ctx.t("picker.any_type")) }
                        @for (id, type_name) in &types { option value=(id) { (type_name) } }
                    }
                }
                div {
                    label for="destination_text" { (ctx.t("picker.text")) }
                    input id="destination_text" type="search" data-filter="text" autocomplete="off";
                }
                p.hint aria-live="polite" data-filter-count=(ctx.t("picker.count")) {}
            }
            @if let Some(e) = error { p.field-error id="destination_id-error" { (crate::i18n::invalid(ctx.lang, e)) } }
            select id=(name) name=(name) required aria-describedby=(if error.is_some() { "destination_id-error destination_id-hint" } else { "destination_id-hint" }) {
                option value="" { (ctx.t("form.choose")) }
                @for g in groups {
                    optgroup label=(g.region.get(ctx.lang)) {
                        @for (l, type_name) in &g.places {
                            option value=(l.id) selected[chosen == l.id.to_string()]
                                data-region=(g.region_id) data-type=(l.location_type_id) {
                                (l.name) " — " (l.code) " · " (type_name.get(ctx.lang)) @if !l.city.is_empty() { " · " (l.city) }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub struct DraftChoices<'a> {
    pub depots: &'a [Location],
    pub destinations: &'a [DestinationGroup],
    pub materials: &'a [Material],
    /// (place, material, on hand) for the depots offered as origin.
    pub holdings: &'a [(LocationId, MaterialId, i32)],
}

/// What each origin holds of each material, as `{"origin": {"material": "12,345"}}` written in
/// the reader's language, for the script that shows it beside each line.
fn holdings_json(ctx: &PageContext, holdings: &[(LocationId, MaterialId, i32)]) -> String {
    let mut by_origin: std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>> =
        std::collections::BTreeMap::new();
    for (place, material, on_hand) in holdings {
        by_origin
            .entry(place.to_string())
            .or_default()
            .insert(material.to_string(), crate::i18n::number(ctx.lang, i64::from(*on_hand)));
    }
    serde_json::to_string(&by_origin).unwrap_or_default()
}

pub fn draft_form(
    ctx: &PageContext,
    form: &FormState,
    choices: &DraftChoices,
    action: &str,
    title: &str,
    allow_dispatch: bool,
) -> Markup {
    let material_options: Vec<(String, String)> =
        choices.materials.iter().map(|m| (m.id.to_string(), format!("{} — {}", m.code, m.name(ctx.lang)))).collect();
    page(
        ctx,
        title,
        html! {
            h1 { (title) }
            (form_error(ctx, form))
            form.stacked.wide method="post" action=(action) novalidate
                data-holdings=(holdings_json(ctx, choices.holdings)) data-holds=(ctx.t("shipment.origin_holds"))
                data-holds-none=(ctx.t("shipment.origin_holds_none")) {
                (csrf(ctx))
                (submission_key(form))
                (select(ctx, form, "origin_id", "field.origin", &location_options(choices.depots), true))
                (destination_select(ctx, form, choices.destinations))
                (input(ctx, form, "carrier", "field.carrier", "text", false))
                (input(ctx, form, "expected_on", "field.expected_on", "date", false))
                fieldset {
                    legend { (ctx.t("shipment.lines")) }
                    @if let Some(e) = form.errors.get("lines") { p.field-error id="lines-error" { (crate::i18n::invalid(ctx.lang, e)) } }
                    p.hint { (ctx.t("hint.lines")) }
                    table.lines {
                        thead { tr { th scope="col" { (ctx.t("field.material")) } th scope="col" { (ctx.t("field.quantity")) } } }
                        tbody {
                            @for i in 0..LINE_SLOTS {
                                @let m = format!("line_material_{i}");
                                @let q = format!("line_quantity_{i}");
                                tr {
                                    td {
                                        label.visually-hidden for=(m) { (ctx.t("field.material")) " " (i + 1) }
                                        select id=(m) name=(m) {
                                            option value="" { "—" }
                                            @for (value, text) in &material_options { option value=(value) selected[form.value(&m) == value] { (text) } }
                                        }
                                    }
                                    td {
                                        label.visually-hidden for=(q) { (ctx.t("field.quantity")) " " (i + 1) }
                                        @if let Some(e) = form.errors.get(&q) { p.field-error id=(format!("{q}-error")) { (crate::i18n::invalid(ctx.lang, e)) } }
                                        input id=(q) name=(q) type="text" inputmode="numeric" value=(form.value(&q))
                                            aria-invalid=[form.errors.get(&q).map(|_| "true")]
                                            aria-describedby=(match form.errors.get(&q) { Some(_) => format!("{q}-error {q}-holds"), None => format!("{q}-holds") });
                                        p.hint.holds id=(format!("{q}-holds")) aria-live="polite" data-line=(i) {}
                                    }
                                }
                            }
                        }
                    }
                }
                (textarea(ctx, form, "note", "field.note"))
                @if allow_dispatch {
                    (input_with_hint(ctx, form, "dispatched_on", "field.dispatched_on", "date", false, Some("hint.dispatch_now")))
                }
                (crate::views::components::questions(ctx, form))
                div.actions {
                    button.primary type="submit" name="action" value="draft" { (ctx.t("shipment.save_draft")) }
                    @if allow_dispatch {
                        button.primary type="submit" name="action" value="dispatch" { (ctx.t("shipment.save_dispatch")) }
                    }
                    a href="/shipments" { (ctx.t("action.cancel")) }
                }
            }
        },
    )
}

/// What the shipment page shows and which actions the user may take.
pub struct Detail<'a> {
    pub shipment: &'a Shipment,
    pub origin: &'a Location,
    pub destination: &'a Location,
    pub lines: &'a [(ShipmentLine, Material)],
    pub events: &'a [(ShipmentEvent, Option<String>)],
    pub attachments: &'a [(i32, String, String)],
    pub code: &'a NoteCode,
    pub confirmation: Option<&'a crate::models::confirmation::RecipientConfirmation>,
    pub response: Option<&'a crate::models::confirmation::RecipientResponse>,
    pub may_act_as_origin: bool,
    pub may_act_as_destination: bool,
}

/// The code a delivery note carries, as staff see it.
#[derive(Debug, Clone)]
pub enum NoteCode {
    /// Not in transit to a distribution point: nothing for a recipient to confirm.
    NotConfirmable,
    /// In transit to a distribution point with no code (dispatched before codes, or voided).
    Missing,
    /// A code exists but the server does not know its public address to print it with.
    NoPublicUrl,
    Printed {
        link: String,
        typed_at: String,
        short: String,
        locked: bool,
    },
}

/// The recipient's QR code: an SVG drawn here from the link, labelled for screen readers.
fn qr_code(link: &str, label: &str) -> Markup {
    let Ok(code) = qrcode::QrCode::with_error_correction_level(link.as_bytes(), qrcode::EcLevel::M) else {
        return html! {};
    };
    let svg = code.render::<qrcode::render::svg::Color>().min_dimensions(152, 152).quiet_zone(true).build();
    // The renderer writes a standalone file; inside HTML only the <svg> element belongs.
    let svg = svg.find("<svg").map_or(svg.as_str(), |at| &svg[at..]);
    let label = html! { (label) }.into_string();
    maud::PreEscaped(svg.replacen("<svg ", &format!("<svg role=\"img\" aria-label=\"{label}\" "), 1))
}

/// The staff card that settles what a recipient said did not arrive.
fn dispute_card(
    ctx: &PageContext,
    s: &Shipment,
    c: &crate::models::confirmation::RecipientConfirmation,
    form: &FormState,
) -> Markup {
    let has_error = form.errors.get("resolution").is_some();
    html! {
        section.card {
            h2 { (ctx.t("dispute.title")) }
            p { (crate::i18n::tr_arg(ctx.lang, "dispute.intro", &number(ctx.lang, i64::from(c.disputed_units)))) }
            form.stacked method="post" action=(format!("/shipments/{}/dispute", s.id)) novalidate {
                (csrf(ctx))
                (submission_key(form))
                fieldset.has-error[has_error] aria-describedby=[has_error.then_some("resolution-error")] {
                    legend { (ctx.t("dispute.what_happened")) }
                    @if let Some(e) = form.errors.get("resolution") {
                        p.field-error id="resolution-error" { (crate::i18n::invalid(ctx.lang, e)) }
                    }
                    @for (value, key) in [("arrived", "dispute.arrived"), ("lost", "dispute.lost")] {
                        div.field.checkbox {
                            input type="radio" name="resolution" id=(format!("resolution-{value}")) value=(value)
                                checked[form.value("resolution") == value];
                            label for=(format!("resolution-{value}")) { (ctx.t(key)) }
                        }
                    }
                }
                (textarea(ctx, form, "note", "field.note"))
                button type="submit" { (ctx.t("dispute.settle")) }
            }
        }
    }
}

/// The staff card about the note's code: the short code, a locked link to unlock, a new code.
fn code_card(ctx: &PageContext, d: &Detail, form: &FormState) -> Markup {
    let s = d.shipment;
    html! {
        section.card {
            h2 { (ctx.t("code.title")) }
            @match d.code {
                NoteCode::Printed { short, locked, .. } => {
                    p { (ctx.t("code.short")) ": " strong.short-code { (short) } }
                    @if *locked {
                        p.notice { (ctx.t("code.locked")) }
                        form method="post" action=(format!("/shipments/{}/code/unlock", s.id)) {
                            (csrf(ctx))
                            (submission_key(form))
                            button type="submit" { (ctx.t("code.unlock")) }
                        }
                    }
                }
                NoteCode::NoPublicUrl => p { (ctx.t("code.no_public_url")) },
                NoteCode::Missing => p { (ctx.t("code.missing")) },
                NoteCode::NotConfirmable => {},
            }
            form method="post" action=(format!("/shipments/{}/code", s.id)) {
                (csrf(ctx))
                (submission_key(form))
                @if !matches!(d.code, NoteCode::Missing) { p.hint { (ctx.t("code.reissue_hint")) } }
                button.secondary type="submit" {
                    (ctx.t(if matches!(d.code, NoteCode::Missing) { "code.issue" } else { "code.reissue" }))
                }
            }
        }
    }
}

pub fn detail(ctx: &PageContext, d: &Detail, form: &FormState) -> Markup {
    let s = d.shipment;
    let writer = can_record(ctx);
    let today = chrono::Utc::now().date_naive().to_string();
    page(
        ctx,
        &s.reference,
        html! {
            div.page-heading {
                h1 { (ctx.t("shipment.title")) " " (s.reference) " " (shipment_status(ctx, s.status)) }
                a.button.secondary-button href=(format!("/shipments/{}/waybill", s.id)) { (ctx.t("shipment.waybill")) }
            }
            (form_error(ctx, form))
            dl.facts {
                dt { (ctx.t("field.origin")) } dd { a href=(format!("/stock/locations/{}", d.origin.id)) { (d.origin.name) } }
                dt { (ctx.t("field.destination")) } dd {
                    a href=(format!("/stock/locations/{}", d.destination.id)) { (d.destination.name) }
                    @if d.destination.is_depot { " " span.badge { (ctx.t("shipment.transfer")) } }
                }
                dt { (ctx.t("field.carrier")) } dd { @if s.carrier.is_empty() { "—" } @else { (s.carrier) } }
                @if let Some(e) = s.expected_on { dt { (ctx.t("field.expected_on")) } dd { (e) } }
                @if let Some(e) = s.dispatched_on { dt { (ctx.t("field.dispatched_on")) } dd { (e) } }
                @if let Some(e) = s.delivered_on { dt { (ctx.t("field.delivered_on")) } dd { (e) } }
                @if !s.received_by.is_empty() { dt { (ctx.t("field.received_by")) } dd { (s.received_by) } }
                @if let Some(r) = d.response {
                    dt { (ctx.t("shipment.recipient_answer")) }
                    dd {
                        @if r.agrees { (ctx.t("shipment.recipient_agrees")) } @else {
                            span.badge.disputed { (ctx.t("shipment.recipient_disagrees")) } " " (r.note)
                        }
                        " · " (r.confirmer_name) " · " (r.confirmer_role)
                        @if !r.phone.is_empty() { " · " a href=(format!("tel:{}", r.phone)) { (r.phone) } }
                        " · " (r.responded_at.format("%Y-%m-%d %H:%M")) " UTC"
                    }
                }
                @if let Some(c) = d.confirmation {
                    dt { (ctx.t("shipment.confirmed_by_recipient")) }
                    dd.recipient-confirmation {
                        (c.confirmer_name) " · " (c.confirmer_role)
                        @if !c.phone.is_empty() { " · " a href=(format!("tel:{}", c.phone)) { (c.phone) } }
                        " · " (c.confirmed_at.format("%Y-%m-%d %H:%M")) " UTC · " (c.number())
                        @if c.dispute_open() {
                            " " span.badge.disputed { (crate::i18n::tr_arg(ctx.lang, "shipment.disputed_units", &number(ctx.lang, i64::from(c.disputed_units)))) }
                        } @else if let Some(r) = &c.resolution {
                            " " span.badge { (crate::i18n::tr_arg(ctx.lang, &format!("dispute.settled_{r}"), &number(ctx.lang, i64::from(c.disputed_units)))) }
                        }
                    }
                }
                @if !s.delivery_note.is_empty() { dt { (ctx.t("field.delivery_note")) } dd { (s.delivery_note) } }
                @if !s.note.is_empty() { dt { (ctx.t("field.note")) } dd { (s.note) } }
            }
            h2 { (ctx.t("shipment.lines")) }
            table {
                thead { tr {
                    th scope="col" { (ctx.t("field.material")) }
                    th scope="col" .num { (ctx.t("shipment.sent")) }
                    th scope="col" .num { (ctx.t("shipment.received")) }
                    th scope="col" { (ctx.t("shipment.shortfall")) }
                } }
                tbody {
                    @for (line, m) in d.lines {
                        tr {
                            td { a href=(format!("/stock/materials/{}", m.id)) { (m.name(ctx.lang)) } }
                            td.num { (units(ctx.lang, i64::from(line.quantity), m.pack_size)) }
                            td.num { @if let Some(r) = line.quantity_received { (units(ctx.lang, i64::from(r), m.pack_size)) } @else { "—" } }
                            td {
                                @if let (Some(r), Some(reason)) = (line.quantity_received, &line.shortfall_reason) {
                                    (number(ctx.lang, i64::from(line.quantity.get() - r))) " · " (ctx.t(&format!("shortfall.{reason}")))
                                } @else { "—" }
                            }
                        }
                    }
                }
            }
            @if writer {
                div.action-cards {
                    @if s.status == ShipmentStatus::Draft && d.may_act_as_origin {
                        section.card {
                            h2 { (ctx.t("shipment.dispatch")) }
                            form.stacked method="post" action=(format!("/shipments/{}/dispatch", s.id)) novalidate {
                                (csrf(ctx))
                                (submission_key(form))
                                div.field {
                                    label for="dispatched_on" { (ctx.t("field.dispatched_on")) }
                                    input #dispatched_on name="dispatched_on" type="date" value=(if form.value("dispatched_on").is_empty() { today.as_str() } else { form.value("dispatched_on") });
                                }
                                (crate::views::components::questions(ctx, form))
                                button.primary type="submit" { (ctx.t("shipment.dispatch")) }
                            }
                            p { a href=(format!("/shipments/{}/edit", s.id)) { (ctx.t("shipment.edit")) } }
                        }
                    }
                    @if !matches!(d.code, NoteCode::NotConfirmable) { (code_card(ctx, d, form)) }
                    @if let Some(c) = d.confirmation.filter(|c| c.dispute_open() && d.may_act_as_destination) {
                        (dispute_card(ctx, s, c, form))
                    }
                    @if s.status == ShipmentStatus::Dispatched && d.may_act_as_destination {
                        section.card {
                            h2 { (ctx.t("shipment.deliver")) }
                            p { (ctx.t("shipment.deliver_hint")) }
                            a.button href=(format!("/shipments/{}/deliver", s.id)) { (ctx.t("shipment.deliver")) }
                        }
                    }
                    @if (s.status == ShipmentStatus::Draft || s.status == ShipmentStatus::Dispatched) && d.may_act_as_origin {
                        section.card {
                            h2 { (ctx.t("shipment.cancel")) }
                            (reason_form(ctx, form, &format!("/shipments/{}/cancel", s.id), "shipment.cancel",
                                if s.status == ShipmentStatus::Draft { "shipment.cancel_draft_hint" } else { "shipment.cancel_dispatched_hint" }))
                        }
                    }
                    @if s.status == ShipmentStatus::Delivered && d.may_act_as_destination {
                        section.card {
                            h2 { (ctx.t("shipment.reverse_delivery")) }
                            (reason_form(ctx, form, &format!("/shipments/{}/reverse-delivery", s.id), "shipment.reverse_delivery", "shipment.reverse_delivery_hint"))
                        }
                    }
                    @if s.status.has_moved() && (d.may_act_as_destination || d.may_act_as_origin) {
                        section.card {
                            h2 { (ctx.t("shipment.proof")) }
                            form.stacked method="post" action=(format!("/shipments/{}/proof", s.id)) enctype="multipart/form-data" {
                                (csrf(ctx))
                                div.field {
                                    label for="proof" { (ctx.t("shipment.proof_file")) }
                                    p.hint id="proof-hint" { (ctx.t("hint.proof")) }
                                    input #proof name="proof" type="file" accept="image/jpeg,image/png,application/pdf" aria-describedby="proof-hint" required;
                                }
                                button type="submit" { (ctx.t("shipment.attach")) }
                            }
                        }
                    }
                }
            }
            @if !d.attachments.is_empty() {
                h2 { (ctx.t("shipment.attachments")) }
                ul {
                    @for (id, name, _) in d.attachments { li { a href=(format!("/attachments/{id}")) { (name) } } }
                }
            }
            h2 { (ctx.t("shipment.history")) }
            ol.history {
                @for (e, who) in d.events {
                    li {
                        time datetime=(e.at.format("%Y-%m-%dT%H:%M:%SZ")) { (e.at.format("%Y-%m-%d %H:%M")) }
                        " · " (ctx.t(&format!("shipment.event.{}", e.status.as_str())))
                        " · " (who.as_deref().unwrap_or("—"))
                        @if !e.note.is_empty() { " · " em { (e.note) } }
                    }
                }
            }
        },
    )
}

pub fn deliver_form(
    ctx: &PageContext,
    shipment: &Shipment,
    lines: &[(ShipmentLine, Material)],
    form: &FormState,
) -> Markup {
    let title = format!("{} · {}", ctx.t("shipment.deliver"), shipment.reference);
    let reasons: Vec<(String, String)> =
        SHORTFALL_REASONS.iter().map(|r| (r.to_string(), ctx.t(&format!("shortfall.{r}")))).collect();
    page(
        ctx,
        &title,
        html! {
            h1 { (title) }
            p { (ctx.t("shipment.deliver_intro")) }
            (form_error(ctx, form))
            form.stacked.wide method="post" action=(format!("/shipments/{}/deliver", shipment.id)) novalidate {
                (csrf(ctx))
                (submission_key(form))
                table.lines {
                    thead { tr {
                        th scope="col" { (ctx.t("field.material")) }
                        th scope="col" .num { (ctx.t("shipment.sent")) }
                        th scope="col" { (ctx.t("shipment.received")) }
                        th scope="col" { (ctx.t("shipment.shortfall_reason")) }
                    } }
                    tbody {
                        @for (line, m) in lines {
                            @let rq = format!("received_{}", line.id);
                            @let rr = format!("reason_{}", line.id);
                            tr {
                                th scope="row" { (m.name(ctx.lang)) }
                                td.num { (units(ctx.lang, i64::from(line.quantity), m.pack_size)) }
                                td {
                                    label.visually-hidden for=(rq) { (ctx.t("shipment.received")) " " (m.name(ctx.lang)) }
                                    @if let Some(e) = form.errors.get(&rq) { p.field-error id=(format!("{rq}-error")) { (crate::i18n::invalid(ctx.lang, e)) } }
                                    input id=(rq) name=(rq) type="text" inputmode="numeric" value=(form.value(&rq))
                                        aria-invalid=[form.errors.get(&rq).map(|_| "true")]
                                        aria-describedby=[form.errors.get(&rq).map(|_| format!("{rq}-error"))];
                                }
                                td {
                                    label.visually-hidden for=(rr) { (ctx.t("shipment.shortfall_reason")) " " (m.name(ctx.lang)) }
                                    @if let Some(e) = form.errors.get(&rr) { p.field-error id=(format!("{rr}-error")) { (crate::i18n::invalid(ctx.lang, e)) } }
                                    select id=(rr) name=(rr) aria-describedby=[form.errors.get(&rr).map(|_| format!("{rr}-error"))] {
                                        option value="" { (ctx.t("shortfall.none")) }
                                        @for (value, text) in &reasons { option value=(value) selected[form.value(&rr) == value] { (text) } }
                                    }
                                }
                            }
                        }
                    }
                }
                (input(ctx, form, "delivered_on", "field.delivered_on", "date", true))
                (input(ctx, form, "received_by", "field.received_by", "text", true))
                (textarea(ctx, form, "note", "field.delivery_note"))
                div.actions {
                    button.primary type="submit" { (ctx.t("shipment.confirm_delivery")) }
                    a href=(format!("/shipments/{}", shipment.id)) { (ctx.t("action.cancel")) }
                }
            }
        },
    )
}

/// The delivery note printed to travel with the shipment and be signed on arrival.
pub fn waybill(
    ctx: &PageContext,
    shipment: &Shipment,
    origin: &Location,
    destination: &Location,
    lines: &[(ShipmentLine, Material)],
    code: &NoteCode,
) -> Markup {
    let title = format!("{} {}", ctx.t("shipment.waybill"), shipment.reference);
    page(
        ctx,
        &title,
        html! {
            p.no-print { button.secondary type="button" data-print="" { (ctx.t("action.print")) } }
            (waybill_note(ctx, shipment, origin, destination, lines, code))
        },
    )
}

/// One delivery note: alone on its page, or one of a batch, each on its own printed page.
fn waybill_note(
    ctx: &PageContext,
    shipment: &Shipment,
    origin: &Location,
    destination: &Location,
    lines: &[(ShipmentLine, Material)],
    code: &NoteCode,
) -> Markup {
    html! {
        article.waybill {
            header {
                h1 { (ctx.t("shipment.waybill")) " " (shipment.reference) }
            }
            dl.facts {
                dt { (ctx.t("field.origin")) } dd { (origin.name) " — " (origin.city) }
                dt { (ctx.t("field.destination")) } dd { (destination.name) " — " (destination.city) ", " (destination.country) }
                dt { (ctx.t("field.carrier")) } dd { @if shipment.carrier.is_empty() { "—" } @else { (shipment.carrier) } }
                dt { (ctx.t("field.dispatched_on")) } dd { @if let Some(d) = shipment.dispatched_on { (d) } @else { "—" } }
                dt { (ctx.t("field.expected_on")) } dd { @if let Some(d) = shipment.expected_on { (d) } @else { "—" } }
            }
            (crate::views::components::table_region(&ctx.t("shipment.lines"), html! {
            table {
                thead { tr {
                    th scope="col" { (ctx.t("field.code")) }
                    th scope="col" { (ctx.t("field.material")) }
                    th scope="col" .num { (ctx.t("field.units")) }
                    th scope="col" .num { (ctx.t("field.packs")) }
                    th scope="col" { (ctx.t("shipment.received")) }
                } }
                tbody {
                    @for (line, m) in lines {
                        tr {
                            td { code { (m.code) } }
                            td { (m.name(ctx.lang)) }
                            td.num { (number(ctx.lang, i64::from(line.quantity))) }
                            td.num { (crate::views::widgets::packs(ctx.lang, i64::from(line.quantity), m.pack_size).unwrap_or_else(|| "—".into())) }
                            td.write-in { "" }
                        }
                    }
                }
            }
            }))
            @match code {
                NoteCode::Printed { link, typed_at, short, .. } => {
                    section.recipient-code {
                        (qr_code(link, &ctx.t("code.qr_label")))
                        div {
                            h2 { (ctx.t("code.recipient_title")) }
                            p { (ctx.t("code.recipient_scan")) }
                            p.link { code { (link) } }
                            p { (ctx.t("code.recipient_type")) " " code { (typed_at) } " · " strong.short-code { (short) } }
                            p { (ctx.t("code.recipient_pin")) }
                        }
                    }
                }
                NoteCode::NoPublicUrl => p.notice.no-print { (ctx.t("code.no_public_url")) },
                NoteCode::Missing => p.notice.no-print {
                    (ctx.t("code.missing")) " "
                    a href=(format!("/shipments/{}", shipment.id)) { (ctx.t("code.issue_on_shipment")) }
                },
                NoteCode::NotConfirmable => {},
            }
            div.signatures {
                section {
                    h2 { (ctx.t("waybill.sender")) }
                    p { (ctx.t("waybill.name")) ": ______________________________" }
                    p { (ctx.t("waybill.signature")) ": ______________________________" }
                    p { (ctx.t("waybill.date")) ": ____ / ____ / ________" }
                }
                section {
                    h2 { (ctx.t("waybill.receiver")) }
                    p { (ctx.t("waybill.name")) ": ______________________________" }
                    p { (ctx.t("waybill.signature")) ": ______________________________" }
                    p { (ctx.t("waybill.date")) ": ____ / ____ / ________" }
                }
            }
        }
    }
}

/// The batch print's form: a depot and a day.
pub struct BatchForm<'a> {
    pub depots: &'a [Location],
    pub origin: Option<LocationId>,
    pub on: String,
    pub errors: &'a FieldErrors,
}

/// One note of a batch: the shipment, its destination, its lines and its code.
pub type BatchNote = (Shipment, Location, Vec<(ShipmentLine, Material)>, NoteCode);

/// The delivery notes of what a depot dispatched on a day, one per printed page.
pub fn waybills(
    ctx: &PageContext,
    form: &BatchForm,
    origin: Option<&Location>,
    notes: &[BatchNote],
    limit: usize,
) -> Markup {
    let title = ctx.t("waybill.batch_title");
    let depots: Vec<(String, String)> = form.depots.iter().map(|d| (d.id.to_string(), d.name.clone())).collect();
    let chosen = form.origin.map(|o| o.to_string()).unwrap_or_default();
    page(
        ctx,
        &title,
        html! {
            div.no-print {
                h1 { (title) }
                form.filters method="get" action="/shipments/waybills" {
                    (filter_select(ctx, form.errors, "origin", "field.origin", &chosen, &depots))
                    (filter_input(ctx, form.errors, "on", "field.dispatched_on", "date", &form.on, None))
                    button type="submit" { (ctx.t("waybill.batch_show")) }
                }
                @if let Some(origin) = origin {
                    @if notes.is_empty() {
                        p { (ctx.t("waybill.batch_none")) }
                    } @else {
                        p {
                            (crate::i18n::tr_arg(ctx.lang, "waybill.batch_count", &number(ctx.lang, notes.len() as i64)).replace("%{depot}", &origin.name))
                            @if notes.len() == limit { " " (crate::i18n::tr_arg(ctx.lang, "waybill.batch_limit", &number(ctx.lang, limit as i64))) }
                        }
                        p { button.primary type="button" data-print="" { (ctx.t("action.print")) } }
                    }
                }
            }
            @if let Some(origin) = origin {
                @for (shipment, destination, lines, code) in notes {
                    (waybill_note(ctx, shipment, origin, destination, lines, code))
                }
            }
        },
    )
}
