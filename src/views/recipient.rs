//! The recipient's pages, opened from a delivery note without an account: phone-first, small,
//! usable without script. They show the shipment and never staff-only facts (the confirmer's
//! phone, the place's PIN, other shipments).

use crate::i18n::number;
use crate::models::confirmation::{ConfirmedLine, RecipientConfirmation, RecipientResponse};
use crate::models::location::Location;
use crate::models::material::Material;
use crate::models::shipment::{Shipment, ShipmentLine, SHORTFALL_REASONS};
use crate::views::components::{checkbox, csrf, form_error, input_autocomplete, input_with_hint, required_note};
use crate::views::form::FormState;
use crate::views::layout::page;
use crate::views::page::PageContext;
use crate::views::widgets::{submission_key, units};
use maud::{html, Markup};

/// The form that corrects a confirmation, until when.
pub struct Correction<'a> {
    pub form: &'a FormState,
    pub action: String,
    pub until: chrono::NaiveDateTime,
}

/// What a delivery note's link opens.
pub struct Opened<'a> {
    pub shipment: &'a Shipment,
    pub origin: &'a Location,
    pub destination: &'a Location,
    pub lines: &'a [(ShipmentLine, Material)],
}

/// Where the link stands.
pub enum LinkState<'a> {
    /// The recipient may confirm: the form.
    Open { form: &'a FormState, action: String },
    /// Five wrong PINs locked it until staff unlock it.
    Locked,
    /// The place has no confirmation PIN yet.
    NoPin,
    /// The recipient confirmed: what they said, read-only, and within the hour a form to correct it.
    Confirmed {
        confirmation: &'a RecipientConfirmation,
        lines: &'a [ConfirmedLine],
        correction: Option<Correction<'a>>,
    },
    /// Staff recorded the delivery first: the recipient's answer, or the form to give one.
    DeliveredByStaff { response: Option<&'a RecipientResponse>, answer: Option<(&'a FormState, String)> },
}

fn shipment_facts(ctx: &PageContext, o: &Opened) -> Markup {
    html! {
        dl.facts {
            dt { (ctx.t("recipient.reference")) } dd { (o.shipment.reference) }
            dt { (ctx.t("field.origin")) } dd { (o.origin.name) " — " (o.origin.city) }
            dt { (ctx.t("field.destination")) } dd { (o.destination.name) " — " (o.destination.city) }
            @if let Some(d) = o.shipment.dispatched_on { dt { (ctx.t("field.dispatched_on")) } dd { (d) } }
        }
    }
}

/// The lines sent, and (once recorded) what arrived.
fn lines_table(ctx: &PageContext, o: &Opened, received: impl Fn(&ShipmentLine) -> Option<i32>) -> Markup {
    html! {
        ul.recipient-lines {
            @for (line, m) in o.lines {
                li {
                    strong { (m.name(ctx.lang)) }
                    span { (ctx.t("shipment.sent")) ": " (units(ctx.lang, i64::from(line.quantity), m.pack_size)) }
                    @if let Some(r) = received(line) {
                        span { (ctx.t("shipment.received")) ": " (units(ctx.lang, i64::from(r), m.pack_size)) }
                    }
                }
            }
        }
    }
}

pub fn link(ctx: &PageContext, o: &Opened, state: &LinkState) -> Markup {
    let title = ctx.t("recipient.title");
    page(
        ctx,
        &title,
        html! {
            div.recipient {
                h1 { (title) }
                (shipment_facts(ctx, o))
                @match state {
                    LinkState::Open { form, action } => (confirm_form(ctx, o, form, action)),
                    LinkState::Locked => {
                        p.notice role="alert" { (ctx.t("recipient.locked")) }
                        (lines_table(ctx, o, |_| None))
                    }
                    LinkState::NoPin => {
                        p.notice { (ctx.t("recipient.no_pin")) }
                        (lines_table(ctx, o, |_| None))
                    }
                    LinkState::Confirmed { confirmation, lines, correction } => {
                        div.receipt {
                            h2 { (ctx.t("recipient.confirmed")) }
                            p { (ctx.t("recipient.number")) ": " strong.short-code { (confirmation.number()) } }
                            p {
                                (confirmation.confirmer_name) " · " (confirmation.confirmer_role) " · "
                                time datetime=(confirmation.confirmed_at.format("%Y-%m-%dT%H:%M:%SZ")) {
                                    (confirmation.confirmed_at.format("%Y-%m-%d %H:%M")) " UTC"
                                }
                            }
                            (lines_table(ctx, o, |l| lines.iter().find(|c| c.shipment_line_id == l.id).map(|c| c.received)))
                            @if confirmation.disputed_units > 0 {
                                p.notice { (crate::i18n::tr_arg(ctx.lang, "recipient.disputed", &number(ctx.lang, i64::from(confirmation.disputed_units)))) }
                            }
                            p.no-print { button.secondary type="button" data-print="" { (ctx.t("action.print")) } }
                        }
                        @if let Some(c) = correction {
                            details.no-print.correction open[c.form.form_error.is_some() || !c.form.errors.is_empty()] {
                                summary { (crate::i18n::tr_arg(ctx.lang, "recipient.correct", &c.until.format("%H:%M").to_string())) }
                                (confirm_form(ctx, o, c.form, &c.action))
                            }
                        }
                    }
                    LinkState::DeliveredByStaff { response, answer } => {
                        p { (ctx.t("recipient.delivered_by_staff")) }
                        (lines_table(ctx, o, |l| l.quantity_received))
                        @if let Some(d) = o.shipment.delivered_on { p { (ctx.t("field.delivered_on")) ": " (d) } }
                        @if let Some(r) = response {
                            div.receipt {
                                h2 { (ctx.t(if r.agrees { "recipient.you_agreed" } else { "recipient.you_disagreed" })) }
                                @if !r.note.is_empty() { p { (r.note) } }
                                p { (r.confirmer_name) " · " (r.confirmer_role) " · " (r.responded_at.format("%Y-%m-%d %H:%M")) " UTC" }
                            }
                        }
                        @if let Some((form, action)) = answer { (answer_form(ctx, form, action)) }
                    }
                }
            }
        },
    )
}

fn confirm_form(ctx: &PageContext, o: &Opened, form: &FormState, action: &str) -> Markup {
    let reasons: Vec<(String, String)> =
        SHORTFALL_REASONS.iter().map(|r| (r.to_string(), ctx.t(&format!("shortfall.{r}")))).collect();
    html! {
        p { (ctx.t("recipient.intro")) }
        (form_error(ctx, form))
        form.stacked method="post" action=(action) enctype="multipart/form-data" novalidate {
            (csrf(ctx))
            (submission_key(form))
            (required_note(ctx))
            @for (line, m) in o.lines {
                @let field = format!("received_{}", line.id);
                @let reason = format!("reason_{}", line.id);
                fieldset.recipient-line {
                    legend { (m.name(ctx.lang)) }
                    p.hint { (ctx.t("shipment.sent")) ": " (units(ctx.lang, i64::from(line.quantity), m.pack_size)) }
                    @let has_error = form.errors.get(&field).is_some();
                    div.field.has-error[has_error] {
                        label for=(field) { (ctx.t("recipient.received")) " " abbr.req title=(ctx.t("form.required")) { "*" } }
                        @if let Some(e) = form.errors.get(&field) { p.field-error id=(format!("{field}-error")) { (crate::i18n::invalid(ctx.lang, e)) } }
                        input id=(field) name=(field) type="text" inputmode="numeric" required
                            value=(form.value(&field))
                            aria-invalid=[has_error.then_some("true")]
                            aria-describedby=[has_error.then(|| format!("{field}-error"))];
                    }
                    @let reason_error = form.errors.get(&reason).is_some();
                    div.field.has-error[reason_error] {
                        label for=(reason) { (ctx.t("recipient.reason")) }
                        @if let Some(e) = form.errors.get(&reason) { p.field-error id=(format!("{reason}-error")) { (crate::i18n::invalid(ctx.lang, e)) } }
                        select id=(reason) name=(reason)
                            aria-invalid=[reason_error.then_some("true")]
                            aria-describedby=[reason_error.then(|| format!("{reason}-error"))] {
                            option value="" { (ctx.t("shortfall.none")) }
                            @for (value, text) in &reasons { option value=(value) selected[form.value(&reason) == value] { (text) } }
                        }
                    }
                }
            }
            (input_autocomplete(ctx, form, "confirmer_name", "recipient.name", "text", true, "name"))
            (input_autocomplete(ctx, form, "confirmer_role", "recipient.role", "text", true, "organization-title"))
            (input_autocomplete(ctx, form, "phone", "recipient.phone", "tel", false, "tel"))
            @let photo_error = form.errors.get("photo").is_some();
            div.field.has-error[photo_error] {
                label for="photo" { (ctx.t("recipient.photo")) }
                p.hint id="photo-hint" { (ctx.t("recipient.photo_hint")) }
                @if let Some(e) = form.errors.get("photo") { p.field-error id="photo-error" { (crate::i18n::invalid(ctx.lang, e)) } }
                input #photo name="photo" type="file" accept="image/jpeg,image/png" capture="environment"
                    aria-invalid=[photo_error.then_some("true")]
                    aria-describedby=(if photo_error { "photo-error photo-hint" } else { "photo-hint" });
            }
            (pin_field(ctx, form))
            (checkbox(ctx, form, "i_confirm", "recipient.i_confirm"))
            button.primary type="submit" { (ctx.t("recipient.submit")) }
        }
    }
}

/// Agree with a delivery staff recorded, or disagree and say what differs.
fn answer_form(ctx: &PageContext, form: &FormState, action: &str) -> Markup {
    let has_error = form.errors.get("answer").is_some();
    html! {
        (form_error(ctx, form))
        form.stacked method="post" action=(action) novalidate {
            (csrf(ctx))
            (submission_key(form))
            (required_note(ctx))
            fieldset.has-error[has_error] aria-describedby=[has_error.then_some("answer-error")] {
                legend { (ctx.t("recipient.is_it_right")) " " abbr.req title=(ctx.t("form.required")) { "*" } }
                @if let Some(e) = form.errors.get("answer") { p.field-error id="answer-error" { (crate::i18n::invalid(ctx.lang, e)) } }
                @for (value, key) in [("agree", "recipient.agree"), ("disagree", "recipient.disagree")] {
                    div.field.checkbox {
                        input type="radio" name="answer" id=(format!("answer-{value}")) value=(value) checked[form.value("answer") == value];
                        label for=(format!("answer-{value}")) { (ctx.t(key)) }
                    }
                }
            }
            (crate::views::components::textarea(ctx, form, "answer_note", "recipient.what_differs"))
            (input_autocomplete(ctx, form, "confirmer_name", "recipient.name", "text", true, "name"))
            (input_autocomplete(ctx, form, "confirmer_role", "recipient.role", "text", true, "organization-title"))
            (input_autocomplete(ctx, form, "phone", "recipient.phone", "tel", false, "tel"))
            (pin_field(ctx, form))
            button.primary type="submit" { (ctx.t("recipient.send_answer")) }
        }
    }
}

/// The place's PIN: never sent back, so a refused form asks for it again.
fn pin_field(ctx: &PageContext, form: &FormState) -> Markup {
    let pin_error = form.errors.get("pin").is_some();
    html! {
        div.field.has-error[pin_error] {
            label for="pin" { (ctx.t("recipient.pin")) " " abbr.req title=(ctx.t("form.required")) { "*" } }
            p.hint id="pin-hint" { (ctx.t("recipient.pin_hint")) }
            @if let Some(e) = form.errors.get("pin") { p.field-error id="pin-error" { (crate::i18n::invalid(ctx.lang, e)) } }
            input #pin name="pin" type="password" inputmode="numeric" autocomplete="off" required
                aria-invalid=[pin_error.then_some("true")]
                aria-describedby=(if pin_error { "pin-error pin-hint" } else { "pin-hint" });
        }
    }
}

/// A link that opens nothing: replaced, cancelled, reversed, mistyped or expired.
pub fn dead_link(ctx: &PageContext, message_key: &str) -> Markup {
    let title = ctx.t("recipient.title");
    page(
        ctx,
        &title,
        html! {
            div.recipient {
                h1 { (title) }
                p.notice { (ctx.t(message_key)) }
                p { a href="/confirm" { (ctx.t("recipient.type_code")) } }
            }
        },
    )
}

/// The page to type a delivery note's short code on.
pub fn code_form(ctx: &PageContext, form: &FormState) -> Markup {
    let title = ctx.t("recipient.title");
    page(
        ctx,
        &title,
        html! {
            div.recipient {
                h1 { (title) }
                p { (ctx.t("recipient.code_intro")) }
                (form_error(ctx, form))
                form.stacked method="post" action="/confirm" novalidate {
                    (csrf(ctx))
                    (input_with_hint(ctx, form, "code", "recipient.code", "text", true, Some("recipient.code_hint")))
                    button.primary type="submit" { (ctx.t("recipient.open")) }
                }
            }
        },
    )
}
