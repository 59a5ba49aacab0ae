//! The location registry: filtered list, details, create, edit, deactivate and reactivate.

use crate::app::confirmations::MakePlacePin;
use crate::app::reference::{Save, SaveLocation, SetLocationActive};
use crate::domain::{Code, Invalid, LocationId, OptionalText, Permission, PlacePin, RequiredText};
use crate::models::location::{parse_country, parse_ownership, Location, LocationChanges, LocationQuery};
use crate::models::location_type::LocationType;
use crate::models::query::Refusals;
use crate::models::region::Region;
use crate::views;
use crate::views::form::{FieldErrors, FormState};
use crate::web::ctx::Ctx;
use crate::web::forms::{required_id, PostForm};
use crate::web::submission::{self, Submitted};
use crate::web::{db, html, page_param, parse_id, redirect_with_flash, save_command, unprocessable, AppError};
use actix_web::{web, HttpResponse};

pub const PER_PAGE: i64 = 50;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/locations", web::get().to(list))
        .route("/locations/new", web::get().to(new_form))
        .route("/locations/new", web::post().to(create))
        .route("/locations/{id}", web::get().to(detail))
        .route("/locations/{id}/edit", web::get().to(edit_form))
        .route("/locations/{id}/edit", web::post().to(update))
        .route("/locations/{id}/deactivate", web::post().to(deactivate))
        .route("/locations/{id}/activate", web::post().to(activate))
        .route("/locations/{id}/pin", web::post().to(make_pin));
}

/// The typed fields; references (type, region) are checked against the database in `write`.
struct ParsedLocation {
    changes: LocationChanges,
}

fn parse(form: &PostForm) -> Result<ParsedLocation, FieldErrors> {
    let mut e = FieldErrors::new();
    let code = e.check("code", Code::parse(form.get("code")));
    let name = e.check("name", RequiredText::parse(form.get("name"), 160));
    let type_id = e.check("location_type_id", required_id(form.get("location_type_id")));
    let region_id = e.check("region_id", required_id(form.get("region_id")));
    let city = e.check("city", RequiredText::parse(form.get("city"), 80));
    let country = e.check("country", parse_country(form.get("country")));
    let ownership = e.check("ownership", parse_ownership(form.get("ownership")));
    let contact = e.check("contact", OptionalText::parse(form.get("contact"), 200));
    match (code, name, type_id, region_id, city, country, ownership, contact) {
        (
            Some(code),
            Some(name),
            Some(type_id),
            Some(region_id),
            Some(city),
            Some(country),
            Some(ownership),
            Some(contact),
        ) if e.is_empty() => Ok(ParsedLocation {
            changes: LocationChanges {
                code: code.into_inner(),
                name: name.into_inner(),
                location_type_id: type_id,
                region_id: Some(region_id),
                city: city.into_inner(),
                country,
                ownership: ownership.map(String::from),
                contact: contact.into_inner(),
                is_depot: false,
            },
        }),
        _ => Err(e),
    }
}

fn values_of(l: &Location) -> FormState {
    let mut f = FormState::default();
    f.set("code", &l.code);
    f.set("name", &l.name);
    f.set("location_type_id", l.location_type_id.to_string());
    f.set("region_id", l.region_id.map(|r| r.to_string()).unwrap_or_default());
    f.set("city", &l.city);
    f.set("country", &l.country);
    f.set("ownership", l.ownership.clone().unwrap_or_default());
    f.set("contact", &l.contact);
    f
}

async fn choices(ctx: &Ctx) -> Result<(Vec<Region>, Vec<LocationType>), AppError> {
    db(ctx, |conn| Ok((Region::all(conn)?, LocationType::all(conn)?))).await
}

/// The location list, filtered by its query string (`LocationQuery`). A filter that cannot be
/// used is shown beside its field with 422 and no rows.
async fn list(ctx: Ctx) -> Result<HttpResponse, AppError> {
    ctx.require(Permission::Read)?;
    let read = LocationQuery::from_query_string(&ctx.page.query);
    let query = read.clone().unwrap_or_default();
    let page = page_param(&ctx);
    let (regions, types, rows) = db(&ctx, move |conn| {
        let rows = match read {
            Err(unreadable) => Err((Refusals::new(), unreadable)),
            Ok(query) => match query.check(conn)? {
                Ok(filter) => Ok(Location::page(conn, &filter, page, PER_PAGE)?),
                Err(refusals) => Err((refusals, Invalid::new("form.fix_errors"))),
            },
        };
        Ok((Region::all(conn)?, LocationType::all(conn)?, rows))
    })
    .await?;
    match rows {
        Ok(rows) => Ok(html(views::locations::list(
            &ctx.page,
            &query,
            &FieldErrors::new(),
            None,
            &regions,
            &types,
            Some(&rows),
        ))),
        Err((refusals, summary)) => {
            let errors = FieldErrors::from_refusals(refusals);
            Ok(unprocessable(views::locations::list(
                &ctx.page,
                &query,
                &errors,
                Some(&summary),
                &regions,
                &types,
                None,
            )))
        }
    }
}

async fn detail(ctx: Ctx, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    ctx.require(Permission::Read)?;
    let id = parse_id(&id)?;
    let row = db(&ctx, move |conn| Location::find(conn, id)?.ok_or(AppError::NotFound)).await?;
    let pin_form = may_make_pin(&ctx, &row.location).then(crate::views::form::new_submission_key);
    Ok(html(views::locations::detail(&ctx.page, &row, pin_form.as_deref(), None)))
}

/// Logistics staff of the place's region and admins make a distribution point's PIN.
fn may_make_pin(ctx: &Ctx, place: &Location) -> bool {
    let Some(user) = &ctx.user else { return false };
    user.role.can(Permission::RecordStock)
        && user.access().covers(place.region_id)
        && !place.is_depot
        && place.region_id.is_some()
        && place.is_active
}

/// Makes the place's confirmation PIN and answers the place card, the one page that ever
/// shows it (not a redirect: the PIN never travels in an address or a cookie). The same form
/// posted again leads to the place, whose PIN is the one this key made.
async fn make_pin(ctx: Ctx, id: web::Path<String>, form: PostForm) -> Result<HttpResponse, AppError> {
    let user = ctx.require_post(Permission::RecordStock, &form).await?;
    let (user_id, access) = (user.id, user.access());
    let id: LocationId = parse_id(&id)?;
    let pin = PlacePin::generate();
    let secret = pin.expose().to_string();
    // argon2id takes tens of milliseconds of CPU: off the request threads.
    let pin_hash = web::block(move || crate::accounts::hash_secret(&secret)).await??;
    let command = MakePlacePin { actor: crate::web::actor(&ctx), access, location_id: id, pin_hash };
    let outcome = match submission::once(&ctx, &form, user_id, command, |id| format!("/locations/{id}")).await {
        // A place that has no PIN to make: its page, saying why.
        Err(AppError::Refused(refusal)) => {
            let row = db(&ctx, move |conn| Location::find(conn, id)?.ok_or(AppError::NotFound)).await?;
            let pin_form = may_make_pin(&ctx, &row.location).then(crate::views::form::new_submission_key);
            return Ok(unprocessable(views::locations::detail(&ctx.page, &row, pin_form.as_deref(), Some(&refusal))));
        }
        outcome => outcome?,
    };
    match outcome {
        Submitted::Recorded(_) => {
            let row = db(&ctx, move |conn| Location::find(conn, id)?.ok_or(AppError::NotFound)).await?;
            let mut response = html(views::locations::place_card(&ctx.page, &row, &pin));
            response.headers_mut().insert(
                actix_web::http::header::CACHE_CONTROL,
                actix_web::http::header::HeaderValue::from_static("no-store"),
            );
            Ok(response)
        }
        Submitted::Replayed(path) | Submitted::KeyUsed(path) => {
            Ok(redirect_with_flash(&ctx, &path, "flash.pin_already_made", None))
        }
    }
}

async fn new_form(ctx: Ctx) -> Result<HttpResponse, AppError> {
    ctx.require(Permission::ManageReference)?;
    let (regions, types) = choices(&ctx).await?;
    let mut values = ctx.resumed_form().await?.map(FormState::from_values).unwrap_or_default();
    if values.value("country").is_empty() {
        values.set("country", "VE");
    }
    Ok(html(views::locations::form(&ctx.page, &values, &regions, &types, "/locations/new", &ctx.t("location.new"))))
}

async fn create(ctx: Ctx, form: PostForm) -> Result<HttpResponse, AppError> {
    ctx.require_post(Permission::ManageReference, &form).await?;
    let saved = save_command(&ctx, &form, parse(&form), |parsed, actor| {
        SaveLocation(Save { actor, id: None, record: parsed.changes })
    })
    .await?;
    match saved {
        Ok(id) => Ok(redirect_with_flash(&ctx, &format!("/locations/{id}"), "flash.saved", None)),
        Err(state) => {
            let (regions, types) = choices(&ctx).await?;
            Ok(unprocessable(views::locations::form(
                &ctx.page,
                &state,
                &regions,
                &types,
                "/locations/new",
                &ctx.t("location.new"),
            )))
        }
    }
}

async fn edit_form(ctx: Ctx, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    ctx.require(Permission::ManageReference)?;
    let id = parse_id(&id)?;
    let row = db(&ctx, move |conn| Location::find(conn, id)?.ok_or(AppError::NotFound)).await?;
    let (regions, types) = choices(&ctx).await?;
    let values = match ctx.resumed_form().await? {
        Some(v) => FormState::from_values(v),
        None => values_of(&row.location),
    };
    let action = format!("/locations/{id}/edit");
    Ok(html(views::locations::form(&ctx.page, &values, &regions, &types, &action, &ctx.t("location.edit"))))
}

async fn update(ctx: Ctx, id: web::Path<String>, form: PostForm) -> Result<HttpResponse, AppError> {
    ctx.require_post(Permission::ManageReference, &form).await?;
    let id = parse_id(&id)?;
    db(&ctx, move |conn| Location::find(conn, id)?.ok_or(AppError::NotFound)).await?;
    let saved = save_command(&ctx, &form, parse(&form), move |parsed, actor| {
        SaveLocation(Save { actor, id: Some(id), record: parsed.changes })
    })
    .await?;
    match saved {
        Ok(id) => Ok(redirect_with_flash(&ctx, &format!("/locations/{id}"), "flash.saved", None)),
        Err(state) => {
            let (regions, types) = choices(&ctx).await?;
            let action = format!("/locations/{id}/edit");
            Ok(unprocessable(views::locations::form(
                &ctx.page,
                &state,
                &regions,
                &types,
                &action,
                &ctx.t("location.edit"),
            )))
        }
    }
}

async fn set_active(ctx: Ctx, id: web::Path<String>, form: PostForm, active: bool) -> Result<HttpResponse, AppError> {
    ctx.require_post(Permission::ManageReference, &form).await?;
    let id = parse_id(&id)?;
    let command = SetLocationActive { actor: crate::web::actor(&ctx), location_id: id, active };
    crate::web::write(&ctx, move |conn| Ok::<_, AppError>(crate::app::run(conn, &command)?)).await?;
    let key = if active { "flash.activated" } else { "flash.deactivated" };
    Ok(redirect_with_flash(&ctx, &format!("/locations/{id}"), key, None))
}

async fn deactivate(ctx: Ctx, id: web::Path<String>, form: PostForm) -> Result<HttpResponse, AppError> {
    set_active(ctx, id, form, false).await
}

async fn activate(ctx: Ctx, id: web::Path<String>, form: PostForm) -> Result<HttpResponse, AppError> {
    set_active(ctx, id, form, true).await
}
