//! The recipient's pages, reached without an account: `/c/{token}` from the delivery note's QR
//! code, and `/confirm` to type its short code. The token opens that one shipment and nothing
//! else; the place's PIN, typed on the page, says that the place itself confirms. Wrong PINs
//! count against the link (locked at five) and against the address (slowed like sign-ins).

use crate::app::confirmations::{usable_code, ConfirmDelivery, Confirmer, WrongPin};
use crate::app::shipments::LineReceipt;
use crate::app::{Command, Plan};
use crate::domain::{Invalid, LinkToken, OptionalText, Quantity, RequiredText, ShortCode};
use crate::models::confirmation::{ConfirmedLine, RecipientConfirmation};
use crate::models::delivery_code::{DeliveryCode, PIN_ATTEMPTS};
use crate::models::location::Location;
use crate::models::material::Material;
use crate::models::shipment::{Shipment, ShipmentLine, ShipmentStatus, SHORTFALL_REASONS};
use crate::models::throttle::LoginThrottle;
use crate::views::form::{FieldErrors, FormState, SUBMISSION_KEY};
use crate::views::recipient::{LinkState, Opened};
use crate::web::commands::ALREADY_DELIVERED;
use crate::web::ctx::Ctx;
use crate::web::forms::PostForm;
use crate::web::{db, html, redirect, write, write_retrying, AppError};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/c/{token}", web::get().to(show))
        .route("/c/{token}", web::post().to(confirm))
        .route("/confirm", web::get().to(code_form))
        .route("/confirm", web::post().to(find_code));
}

/// A delivery note's code with everything its page shows.
struct Found {
    code: DeliveryCode,
    shipment: Shipment,
    origin: Location,
    destination: Location,
    lines: Vec<(ShipmentLine, Material)>,
    has_pin: bool,
    confirmation: Option<(RecipientConfirmation, Vec<ConfirmedLine>)>,
}

/// What a link leads to, before any form: the page's state, or why it leads nowhere.
enum Standing {
    Dead { key: &'static str, status: StatusCode },
    Locked,
    NoPin,
    Open,
    Confirmed,
    DeliveredByStaff,
}

impl Found {
    fn standing(&self, link_days: u32) -> Standing {
        let today = chrono::Utc::now().date_naive();
        let dead = |key| Standing::Dead { key, status: StatusCode::NOT_FOUND };
        if self.code.voided_at.is_some() {
            return dead("recipient.link_dead");
        }
        match self.shipment.status {
            ShipmentStatus::Delivered if self.confirmation.is_some() => Standing::Confirmed,
            ShipmentStatus::Delivered => Standing::DeliveredByStaff,
            ShipmentStatus::Dispatched => match usable_code(&self.code, &self.shipment, link_days, today) {
                Err(crate::app::confirmations::ConfirmError::Expired) => {
                    Standing::Dead { key: "recipient.expired", status: StatusCode::GONE }
                }
                Err(crate::app::confirmations::ConfirmError::Locked) => Standing::Locked,
                Err(_) => dead("recipient.link_dead"),
                Ok(()) if !self.has_pin => Standing::NoPin,
                Ok(()) => Standing::Open,
            },
            ShipmentStatus::Draft | ShipmentStatus::Cancelled => dead("recipient.link_dead"),
        }
    }

    fn opened(&self) -> Opened<'_> {
        Opened { shipment: &self.shipment, origin: &self.origin, destination: &self.destination, lines: &self.lines }
    }
}

async fn find(ctx: &Ctx, token: &str) -> Result<Option<Found>, AppError> {
    let Some(token) = LinkToken::parse(token) else { return Ok(None) };
    db(ctx, move |conn| {
        let Some(code) = DeliveryCode::by_token(conn, &token)? else { return Ok(None) };
        let shipment = Shipment::find(conn, code.shipment_id)?.ok_or(AppError::NotFound)?;
        let origin = Location::get(conn, shipment.origin_id)?.ok_or(AppError::NotFound)?;
        let destination = Location::get(conn, shipment.destination_id)?.ok_or(AppError::NotFound)?;
        let confirmation = match RecipientConfirmation::current_for(conn, shipment.id)? {
            Some(c) => {
                let lines = RecipientConfirmation::lines(conn, c.id)?;
                Some((c, lines))
            }
            None => None,
        };
        Ok(Some(Found {
            lines: Shipment::line_materials(conn, shipment.id)?,
            has_pin: Location::confirm_pin_hash(conn, destination.id)?.is_some(),
            code,
            shipment,
            origin,
            destination,
            confirmation,
        }))
    })
    .await
}

fn page_with(status: StatusCode, markup: maud::Markup) -> HttpResponse {
    let mut response = html(markup);
    *response.status_mut() = status;
    // A phone's shared browser must not show a later visitor what was typed or confirmed.
    response
        .headers_mut()
        .insert(actix_web::http::header::CACHE_CONTROL, actix_web::http::header::HeaderValue::from_static("no-store"));
    response
}

/// The link's page as it stands, with `form` when it is open.
fn render(ctx: &Ctx, found: &Found, token: &str, form: &FormState, status: StatusCode) -> HttpResponse {
    let action = format!("/c/{token}");
    let state = match found.standing(ctx.state.config.confirm_link_days) {
        Standing::Dead { key, status } => {
            return page_with(status, crate::views::recipient::dead_link(&ctx.page, key));
        }
        Standing::Locked => LinkState::Locked,
        Standing::NoPin => LinkState::NoPin,
        Standing::Open => LinkState::Open { form, action },
        Standing::Confirmed => match &found.confirmation {
            Some((confirmation, lines)) => LinkState::Confirmed { confirmation, lines },
            None => LinkState::DeliveredByStaff,
        },
        Standing::DeliveredByStaff => LinkState::DeliveredByStaff,
    };
    page_with(status, crate::views::recipient::link(&ctx.page, &found.opened(), &state))
}

fn dead(ctx: &Ctx) -> HttpResponse {
    page_with(StatusCode::NOT_FOUND, crate::views::recipient::dead_link(&ctx.page, "recipient.link_dead"))
}

async fn show(ctx: Ctx, token: web::Path<String>) -> Result<HttpResponse, AppError> {
    let Some(found) = find(&ctx, &token).await? else { return Ok(dead(&ctx)) };
    let mut form = FormState::default();
    form.set(SUBMISSION_KEY, crate::views::form::new_submission_key());
    Ok(render(&ctx, &found, &token, &form, StatusCode::OK))
}

/// The throttle key of the requesting address, for PIN and short-code guesses.
fn address_key(ctx: &Ctx) -> String {
    LoginThrottle::ip_key(&format!("confirm/{}", ctx.ip))
}

/// What the form says, checked; the PIN apart (it is checked against the place's hash).
fn read_form(form: &PostForm, found: &Found) -> (Result<(Vec<LineReceipt>, Confirmer), FieldErrors>, String) {
    let mut e = FieldErrors::new();
    let mut lines = Vec::new();
    for (line, _) in &found.lines {
        let field = format!("received_{}", line.id);
        let reason_field = format!("reason_{}", line.id);
        let Some(received) = e.check(&field, Quantity::parse(form.get(&field), form.lang())) else { continue };
        if received.get() > line.quantity.get() {
            e.add(&field, Invalid::with("err.more_than_sent", line.quantity));
            continue;
        }
        let reason = form.get(&reason_field).trim().to_string();
        if received.get() < line.quantity.get() && !SHORTFALL_REASONS.contains(&reason.as_str()) {
            e.add(&reason_field, Invalid::new("err.shortfall_reason"));
            continue;
        }
        lines.push(LineReceipt { line_id: line.id, received: received.get(), shortfall_reason: Some(reason) });
    }
    let name = e.check("confirmer_name", RequiredText::parse(form.get("confirmer_name"), 120));
    let role = e.check("confirmer_role", RequiredText::parse(form.get("confirmer_role"), 120));
    let phone = e.check("phone", OptionalText::parse(form.get("phone"), 40));
    if !crate::views::form::checkbox(form.get("i_confirm")) {
        e.add("i_confirm", Invalid::new("recipient.tick_to_confirm"));
    }
    let pin: String = form.get("pin").chars().filter(|c| !c.is_whitespace()).collect();
    let parsed = match (name, role, phone, e.is_empty()) {
        (Some(name), Some(role), Some(phone), true) => Ok((
            lines,
            Confirmer {
                name: name.into_inner(),
                role: role.into_inner(),
                phone: phone.into_inner(),
                ip: String::new(),
            },
        )),
        _ => Err(e),
    };
    (parsed, pin)
}

/// The form as posted, to show again: everything but the PIN, with the errors.
fn again(form: &PostForm, errors: FieldErrors, message: Option<Invalid>) -> FormState {
    let mut state = FormState::from_values(form.values());
    state.values.remove("pin");
    state.errors = errors;
    state.form_error = message;
    state
}

async fn confirm(ctx: Ctx, token: web::Path<String>, form: PostForm) -> Result<HttpResponse, AppError> {
    let Some(found) = find(&ctx, &token).await? else { return Ok(dead(&ctx)) };
    let here = format!("/c/{token}");
    let key = form.get(SUBMISSION_KEY).trim().to_string();
    if !crate::web::submission::is_key(&key) {
        return Err(AppError::Refused(Invalid::new("err.submission_key")));
    }
    // The same form again (double tap, a retry on a flaky network): what it recorded.
    let replayed = {
        let key = key.clone();
        db(&ctx, move |conn| Ok(RecipientConfirmation::by_key(conn, &key)?)).await?
    };
    if replayed.is_some() {
        return Ok(redirect(&here));
    }
    if !matches!(found.standing(ctx.state.config.confirm_link_days), Standing::Open) {
        return Ok(render(&ctx, &found, &token, &FormState::default(), StatusCode::CONFLICT));
    }
    let throttle = address_key(&ctx);
    let wait = {
        let keys = vec![throttle.clone()];
        db(&ctx, move |conn| Ok(LoginThrottle::wait_seconds(conn, &keys)?)).await?
    };
    if wait > 0 {
        let message = Invalid::with("recipient.wait", wait);
        return Ok(render(
            &ctx,
            &found,
            &token,
            &again(&form, FieldErrors::new(), Some(message)),
            StatusCode::TOO_MANY_REQUESTS,
        ));
    }
    let (parsed, pin) = read_form(&form, &found);
    if !(pin.len() == crate::domain::PlacePin::LEN && pin.bytes().all(|b| b.is_ascii_digit())) {
        let mut errors = parsed.err().unwrap_or_default();
        errors.add("pin", Invalid::new("recipient.pin_shape"));
        return Ok(render(&ctx, &found, &token, &again(&form, errors, None), StatusCode::UNPROCESSABLE_ENTITY));
    }
    let place = found.destination.id;
    // argon2id takes tens of milliseconds of CPU: off the request threads.
    let pin_ok = db(&ctx, move |conn| {
        let hash = Location::confirm_pin_hash(conn, place)?;
        Ok(hash.is_some_and(|h| crate::accounts::verify_password(&pin, &h)))
    })
    .await?;
    if !pin_ok {
        let wrong = WrongPin { code_id: found.code.id, ip: ctx.ip.clone() };
        let keys = vec![throttle];
        let failed = write(&ctx, move |conn| {
            LoginThrottle::record_failure(conn, &keys)?;
            Ok(wrong.write(conn)?)
        })
        .await?;
        if failed >= PIN_ATTEMPTS {
            let Some(found) = find(&ctx, &token).await? else { return Ok(dead(&ctx)) };
            return Ok(render(&ctx, &found, &token, &FormState::default(), StatusCode::UNPROCESSABLE_ENTITY));
        }
        let mut errors = parsed.err().unwrap_or_default();
        errors.add("pin", Invalid::with("recipient.wrong_pin", PIN_ATTEMPTS - failed));
        return Ok(render(&ctx, &found, &token, &again(&form, errors, None), StatusCode::UNPROCESSABLE_ENTITY));
    }
    let (lines, mut confirmer) = match parsed {
        Ok(parsed) => parsed,
        Err(errors) => {
            let message = Invalid::new("recipient.pin_again");
            return Ok(render(
                &ctx,
                &found,
                &token,
                &again(&form, errors, Some(message)),
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
    };
    confirmer.ip = ctx.ip.clone();
    let command = ConfirmDelivery {
        code_id: found.code.id,
        confirmer,
        lines,
        submission_key: key,
        link_days: ctx.state.config.confirm_link_days,
    };
    let checked = db(&ctx, move |conn| Ok(command.validate(conn)?)).await;
    let written = match checked {
        Ok(plan) => write_retrying(&ctx, move |conn| Ok(plan.write(conn)?)).await,
        Err(e) => Err(e),
    };
    match written {
        Ok(_) => Ok(redirect(&here)),
        // A staff delivery or another confirmation won the race: the page shows that record.
        Err(AppError::Refused(invalid)) if invalid.key == ALREADY_DELIVERED => Ok(redirect(&here)),
        Err(AppError::Refused(invalid)) => {
            let Some(found) = find(&ctx, &token).await? else { return Ok(dead(&ctx)) };
            let state = again(&form, FieldErrors::new(), Some(invalid));
            Ok(render(&ctx, &found, &token, &state, StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(e),
    }
}

async fn code_form(ctx: Ctx) -> Result<HttpResponse, AppError> {
    Ok(page_with(StatusCode::OK, crate::views::recipient::code_form(&ctx.page, &FormState::default())))
}

/// A typed short code leads to its link's page. A code that fails its check character is a
/// typo and costs nothing; one that passes but names no live note counts against the address.
async fn find_code(ctx: Ctx, form: PostForm) -> Result<HttpResponse, AppError> {
    let refuse = |key: &'static str, arg: Option<i64>, status: StatusCode| {
        let mut state = FormState::from_values(form.values());
        let message = match arg {
            Some(n) => Invalid::with(key, n),
            None => Invalid::new(key),
        };
        state.errors.add("code", message);
        page_with(status, crate::views::recipient::code_form(&ctx.page, &state))
    };
    let Some(code) = ShortCode::parse(form.get("code")) else {
        return Ok(refuse("recipient.code_typo", None, StatusCode::UNPROCESSABLE_ENTITY));
    };
    let keys = vec![address_key(&ctx)];
    let wait = {
        let keys = keys.clone();
        db(&ctx, move |conn| Ok(LoginThrottle::wait_seconds(conn, &keys)?)).await?
    };
    if wait > 0 {
        return Ok(refuse("recipient.wait", Some(wait), StatusCode::TOO_MANY_REQUESTS));
    }
    let found = db(&ctx, move |conn| Ok(DeliveryCode::by_short_code(conn, &code)?)).await?;
    match found.filter(|c| c.voided_at.is_none()) {
        Some(found) => {
            let (token, _) = found.code(&ctx.state.delivery_key);
            Ok(redirect(&format!("/c/{}", token.expose())))
        }
        None => {
            write(&ctx, move |conn| Ok(LoginThrottle::record_failure(conn, &keys)?)).await?;
            Ok(refuse("recipient.code_unknown", None, StatusCode::UNPROCESSABLE_ENTITY))
        }
    }
}
