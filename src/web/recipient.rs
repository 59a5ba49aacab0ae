//! The recipient's pages, reached without an account: `/c/{token}` from the delivery note's QR
//! code, and `/confirm` to type its short code. The token opens that one shipment and nothing
//! else; the place's PIN, typed on the page, says that the place itself confirms. Wrong PINs
//! count against the link (locked at five) and against the address (slowed like sign-ins).

use crate::app::confirmations::{link_expired, usable_code, ConfirmDelivery, Confirmer, RespondToDelivery, WrongPin};
use crate::app::shipments::LineReceipt;
use crate::app::{Command, Plan};
use crate::domain::{Invalid, LinkToken, OptionalText, Photo, RequiredText, ShortCode};
use crate::models::confirmation::{ConfirmedLine, RecipientConfirmation, RecipientResponse};
use crate::models::delivery_code::{DeliveryCode, PIN_ATTEMPTS};
use crate::models::location::Location;
use crate::models::material::Material;
use crate::models::shipment::{Shipment, ShipmentLine, ShipmentStatus};
use crate::models::throttle::LoginThrottle;
use crate::views::form::{FieldErrors, FormState, SUBMISSION_KEY};
use crate::views::recipient::{LinkState, Opened};
use crate::web::commands::ALREADY_DELIVERED;
use crate::web::ctx::Ctx;
use crate::web::forms::{PostForm, UploadForm};
use crate::web::{db, html, redirect, write, write_retrying, AppError};
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};

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
    /// The recipient's answer through this code to a delivery staff recorded.
    response: Option<RecipientResponse>,
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

    /// The confirmation this link made, while the recipient may still correct it.
    fn correctable(&self) -> Option<&RecipientConfirmation> {
        let (c, _) = self.confirmation.as_ref()?;
        (c.code_id == self.code.id
            && self.code.locked_at.is_none()
            && self.code.voided_at.is_none()
            && crate::app::confirmations::correctable(c, crate::models::now()))
        .then_some(c)
    }

    /// True while the recipient may answer a delivery staff recorded: no answer yet, the link
    /// neither locked nor expired, and a PIN to answer with.
    fn answerable(&self, link_days: u32) -> bool {
        matches!(self.standing(link_days), Standing::DeliveredByStaff)
            && self.response.is_none()
            && self.has_pin
            && self.code.locked_at.is_none()
            && !link_expired(&self.shipment, link_days, chrono::Utc::now().date_naive())
    }

    /// The form to correct the confirmation, filled with what it said (never the phone).
    fn correction_form(&self) -> FormState {
        let mut form = FormState::default();
        form.set(SUBMISSION_KEY, crate::views::form::new_submission_key());
        if let Some((c, lines)) = &self.confirmation {
            form.set("confirmer_name", c.confirmer_name.clone());
            form.set("confirmer_role", c.confirmer_role.clone());
            for line in lines {
                form.set(&format!("received_{}", line.shipment_line_id), line.received.to_string());
                if let Some(reason) = &line.shortfall_reason {
                    form.set(&format!("reason_{}", line.shipment_line_id), reason.clone());
                }
            }
        }
        form
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
            response: RecipientResponse::for_code(conn, code.id)?,
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
            Some((confirmation, lines)) => {
                let correction = found.correctable().map(|c| crate::views::recipient::Correction {
                    form,
                    action: action.clone(),
                    until: c.confirmed_at + chrono::Duration::minutes(crate::app::confirmations::CORRECTION_MINUTES),
                });
                LinkState::Confirmed { confirmation, lines, correction }
            }
            None => LinkState::DeliveredByStaff { response: None, answer: None },
        },
        Standing::DeliveredByStaff => LinkState::DeliveredByStaff {
            response: found.response.as_ref(),
            answer: found.answerable(ctx.state.config.confirm_link_days).then(|| (form, action.clone())),
        },
    };
    page_with(status, crate::views::recipient::link(&ctx.page, &found.opened(), &state))
}

fn dead(ctx: &Ctx) -> HttpResponse {
    page_with(StatusCode::NOT_FOUND, crate::views::recipient::dead_link(&ctx.page, "recipient.link_dead"))
}

async fn show(ctx: Ctx, token: web::Path<String>) -> Result<HttpResponse, AppError> {
    let Some(found) = find(&ctx, &token).await? else { return Ok(dead(&ctx)) };
    let form = if found.correctable().is_some() {
        found.correction_form()
    } else {
        let mut form = FormState::default();
        form.set(SUBMISSION_KEY, crate::views::form::new_submission_key());
        form
    };
    Ok(render(&ctx, &found, &token, &form, StatusCode::OK))
}

/// The throttle key of the requesting address, for PIN and short-code guesses.
fn address_key(ctx: &Ctx) -> String {
    LoginThrottle::ip_key(&format!("confirm/{}", ctx.ip))
}

/// What the form says, checked; the PIN apart (it is checked against the place's hash).
fn read_form(form: &PostForm, found: &Found) -> (Result<(Vec<LineReceipt>, Confirmer), FieldErrors>, String) {
    let mut e = FieldErrors::new();
    let lines = crate::web::shipments::read_line_receipts(form, &found.lines, &mut e);
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

/// A post to the link, as a plain form or (with a photo) as an upload, read into one form and
/// the photo's bytes; an upload over the limit is said so, never cut silently.
async fn read_post(
    ctx: &Ctx,
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<(PostForm, Option<Result<Vec<u8>, Invalid>>), AppError> {
    let multipart = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !multipart {
        let form = PostForm::from_request(req, &mut payload.into_inner()).await?;
        return Ok((form, None));
    }
    let upload = actix_multipart::Multipart::new(req.headers(), payload);
    let mut form = UploadForm::read(&ctx.state, &ctx.browser, req, upload, Photo::MAX_UPLOAD).await?;
    let photo = if form.too_large {
        Some(Err(Invalid::new("photo.too_large")))
    } else {
        form.take_file("photo").map(|f| Ok(f.data))
    };
    Ok((form.into_post_form(crate::web::security::request_lang(req)), photo))
}

async fn confirm(
    ctx: Ctx,
    token: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let (form, photo) = read_post(&ctx, &req, payload).await?;
    let Some(found) = find(&ctx, &token).await? else { return Ok(dead(&ctx)) };
    let here = format!("/c/{token}");
    let key = form.get(SUBMISSION_KEY).trim().to_string();
    if !crate::web::submission::is_key(&key) {
        return Err(AppError::Refused(Invalid::new("err.submission_key")));
    }
    // The same form again (double tap, a retry on a flaky network): what it recorded.
    let replayed = {
        let key = key.clone();
        db(&ctx, move |conn| {
            Ok(RecipientConfirmation::by_key(conn, &key)?.is_some() || RecipientResponse::by_key(conn, &key)?.is_some())
        })
        .await?
    };
    if replayed {
        return Ok(redirect(&here));
    }
    if found.answerable(ctx.state.config.confirm_link_days) {
        return answer(ctx, found, &token, form, key).await;
    }
    // Open: a first confirmation; confirmed by this link within the hour: a correction.
    let previous_phone = found.correctable().map(|c| c.phone.clone());
    let open = matches!(found.standing(ctx.state.config.confirm_link_days), Standing::Open);
    if !open && previous_phone.is_none() {
        return Ok(render(&ctx, &found, &token, &FormState::default(), StatusCode::CONFLICT));
    }
    let (mut parsed, pin) = read_form(&form, &found);
    // Decoding and shrinking a phone's picture takes a moment of CPU: off the request threads.
    let photo = match photo {
        Some(Ok(bytes)) => Some(web::block(move || Photo::from_upload(&bytes)).await?),
        other => other.map(|refused| refused.and_then(|_| Err(Invalid::new("photo.not_a_photo")))),
    };
    let photo = match photo {
        None => None,
        Some(Ok(photo)) => Some(photo),
        Some(Err(invalid)) => {
            let mut errors = parsed.err().unwrap_or_default();
            errors.add("photo", invalid);
            parsed = Err(errors);
            None
        }
    };
    if let Err(page) = pin_gate(&ctx, &found, &token, &form, &pin, parsed.as_ref().err().cloned()).await? {
        return Ok(page);
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
    // The recipient's page never shows the phone, so a correction left blank keeps it.
    if confirmer.phone.is_empty() {
        confirmer.phone = previous_phone.unwrap_or_default();
    }
    let command = ConfirmDelivery {
        code_id: found.code.id,
        confirmer,
        lines,
        photo,
        submission_key: key,
        link_days: ctx.state.config.confirm_link_days,
    };
    let written = checked_then_written(&ctx, command).await;
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

/// Checks a command on a read connection, then writes its plan (retried on PostgreSQL after a
/// deadlock): the recipient's posts carry their own one-time key, so they need no other.
async fn checked_then_written<C>(ctx: &Ctx, command: C) -> Result<<C::Plan as Plan>::Output, AppError>
where
    C: Command,
    AppError: From<C::Error>,
{
    let plan = db(ctx, move |conn| Ok(command.validate(conn)?)).await?;
    write_retrying(ctx, move |conn| Ok(plan.write(conn)?)).await
}

/// Typing the place's PIN: the page to answer instead when it did not pass (the address must
/// wait, the PIN is not six digits, or it is wrong: counted, and at the limit the link locks).
/// `errors` are the rest of the form's, shown beside the PIN's.
async fn pin_gate(
    ctx: &Ctx,
    found: &Found,
    token: &str,
    form: &PostForm,
    pin: &str,
    errors: Option<FieldErrors>,
) -> Result<Result<(), HttpResponse>, AppError> {
    let throttle = address_key(ctx);
    let wait = {
        let keys = vec![throttle.clone()];
        db(ctx, move |conn| Ok(LoginThrottle::wait_seconds(conn, &keys)?)).await?
    };
    if wait > 0 {
        let message = Invalid::with("recipient.wait", wait);
        let state = again(form, FieldErrors::new(), Some(message));
        return Ok(Err(render(ctx, found, token, &state, StatusCode::TOO_MANY_REQUESTS)));
    }
    let mut errors = errors.unwrap_or_default();
    if !(pin.len() == crate::domain::PlacePin::LEN && pin.bytes().all(|b| b.is_ascii_digit())) {
        errors.add("pin", Invalid::new("recipient.pin_shape"));
        return Ok(Err(render(ctx, found, token, &again(form, errors, None), StatusCode::UNPROCESSABLE_ENTITY)));
    }
    let place = found.destination.id;
    let typed = pin.to_string();
    // argon2id takes tens of milliseconds of CPU: off the request threads.
    let pin_ok = db(ctx, move |conn| {
        let hash = Location::confirm_pin_hash(conn, place)?;
        Ok(hash.is_some_and(|h| crate::accounts::verify_password(&typed, &h)))
    })
    .await?;
    if pin_ok {
        return Ok(Ok(()));
    }
    let wrong = WrongPin { code_id: found.code.id, ip: ctx.ip.clone() };
    let keys = vec![throttle];
    let failed = write(ctx, move |conn| {
        LoginThrottle::record_failure(conn, &keys)?;
        Ok(wrong.write(conn)?)
    })
    .await?;
    if failed >= PIN_ATTEMPTS {
        let Some(found) = find(ctx, token).await? else { return Ok(Err(dead(ctx))) };
        return Ok(Err(render(ctx, &found, token, &FormState::default(), StatusCode::UNPROCESSABLE_ENTITY)));
    }
    errors.add("pin", Invalid::with("recipient.wrong_pin", PIN_ATTEMPTS - failed));
    Ok(Err(render(ctx, found, token, &again(form, errors, None), StatusCode::UNPROCESSABLE_ENTITY)))
}

/// The recipient agrees with a delivery staff recorded, or disagrees and says why.
async fn answer(ctx: Ctx, found: Found, token: &str, form: PostForm, key: String) -> Result<HttpResponse, AppError> {
    let mut e = FieldErrors::new();
    let agrees = match form.get("answer") {
        "agree" => Some(true),
        "disagree" => Some(false),
        _ => {
            e.add("answer", Invalid::new("recipient.choose_answer"));
            None
        }
    };
    let note = e.check("answer_note", OptionalText::parse(form.get("answer_note"), 1000));
    if agrees == Some(false) && note.as_ref().is_some_and(|n| n.clone().into_inner().is_empty()) {
        e.add("answer_note", Invalid::new("recipient.say_what_differs"));
    }
    let name = e.check("confirmer_name", RequiredText::parse(form.get("confirmer_name"), 120));
    let role = e.check("confirmer_role", RequiredText::parse(form.get("confirmer_role"), 120));
    let phone = e.check("phone", OptionalText::parse(form.get("phone"), 40));
    let pin: String = form.get("pin").chars().filter(|c| !c.is_whitespace()).collect();
    let errors = (!e.is_empty()).then(|| e.clone());
    if let Err(page) = pin_gate(&ctx, &found, token, &form, &pin, errors).await? {
        return Ok(page);
    }
    let (Some(agrees), Some(note), Some(name), Some(role), Some(phone), true) =
        (agrees, note, name, role, phone, e.is_empty())
    else {
        let state = again(&form, e, Some(Invalid::new("recipient.pin_again")));
        return Ok(render(&ctx, &found, token, &state, StatusCode::UNPROCESSABLE_ENTITY));
    };
    let command = RespondToDelivery {
        code_id: found.code.id,
        agrees,
        note: note.into_inner(),
        confirmer: Confirmer {
            name: name.into_inner(),
            role: role.into_inner(),
            phone: phone.into_inner(),
            ip: ctx.ip.clone(),
        },
        submission_key: key,
        link_days: ctx.state.config.confirm_link_days,
    };
    let written = checked_then_written(&ctx, command).await;
    let here = format!("/c/{token}");
    match written {
        Ok(()) => Ok(redirect(&here)),
        // Another answer came first (a second phone, the same tap twice): the page shows it.
        Err(AppError::Refused(invalid)) if invalid.key == ALREADY_DELIVERED => Ok(redirect(&here)),
        Err(AppError::Database(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        ))) => Ok(redirect(&here)),
        Err(AppError::Refused(invalid)) => {
            let state = again(&form, FieldErrors::new(), Some(invalid));
            Ok(render(&ctx, &found, token, &state, StatusCode::UNPROCESSABLE_ENTITY))
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
