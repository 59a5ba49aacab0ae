//! The location registry: filtered list, details, create, edit, deactivate and reactivate.

use crate::domain::{Code, Invalid, OptionalText, Permission, RequiredText};
use crate::models::audit::AuditEntry;
use crate::models::location::{parse_country, parse_ownership, Location, LocationChanges, LocationQuery};
use crate::models::location_type::LocationType;
use crate::models::query::Refusals;
use crate::models::region::Region;
use crate::views;
use crate::views::form::{FieldErrors, FormState};
use crate::web::ctx::Ctx;
use crate::web::forms::{required_id, PostForm};
use crate::web::{db, html, page_param, parse_id, redirect_with_flash, save_form, unprocessable, AppError};
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
        .route("/locations/{id}/activate", web::post().to(activate));
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

/// Checks the references and the rules that span tables, then writes.
fn write(
    conn: &mut crate::db::DbConn,
    id: Option<i32>,
    parsed: ParsedLocation,
    actor: &crate::models::audit::Actor,
) -> Result<i32, AppError> {
    let mut changes = parsed.changes;
    let location_type = LocationType::find(conn, changes.location_type_id)?
        .ok_or(AppError::Refused(Invalid::new("err.unknown_location_type")))?;
    let region = match changes.region_id {
        Some(id) => Region::find(conn, id)?,
        None => None,
    }
    .ok_or(AppError::Refused(Invalid::new("err.unknown_region")))?;
    if location_type.code == "media_outlet" && changes.ownership.is_none() {
        return Err(AppError::Refused(Invalid::new("err.ownership_required")));
    }
    if location_type.code != "media_outlet" {
        changes.ownership = None;
    }
    if region.is_abroad == (changes.country == "VE") {
        return Err(AppError::Refused(Invalid::new("err.country_region")));
    }
    changes.is_depot = location_type.is_depot;
    let summary = format!("{} {}", changes.code, changes.name);
    match id {
        Some(id) => {
            Location::update(conn, id, &changes)?;
            AuditEntry::record(conn, actor, "update", "location", id, &summary)?;
            Ok(id)
        }
        None => {
            let id = Location::insert(conn, &changes)?;
            AuditEntry::record(conn, actor, "create", "location", id, &summary)?;
            Ok(id)
        }
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
    Ok(html(views::locations::detail(&ctx.page, &row)))
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
    let saved = save_form(&ctx, &form, parse(&form), |conn, parsed, actor| write(conn, None, parsed, actor)).await?;
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
    let saved =
        save_form(&ctx, &form, parse(&form), move |conn, parsed, actor| write(conn, Some(id), parsed, actor)).await?;
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
    let actor = crate::web::actor(&ctx);
    crate::web::write(&ctx, move |conn| -> Result<(), AppError> {
        let row = Location::find(conn, id)?.ok_or(AppError::NotFound)?;
        Location::set_active(conn, id, active)?;
        let action = if active { "activate" } else { "deactivate" };
        AuditEntry::record(conn, &actor, action, "location", id, &row.location.code)?;
        Ok(())
    })
    .await?;
    let key = if active { "flash.activated" } else { "flash.deactivated" };
    Ok(redirect_with_flash(&ctx, &format!("/locations/{id}"), key, None))
}

async fn deactivate(ctx: Ctx, id: web::Path<String>, form: PostForm) -> Result<HttpResponse, AppError> {
    set_active(ctx, id, form, false).await
}

async fn activate(ctx: Ctx, id: web::Path<String>, form: PostForm) -> Result<HttpResponse, AppError> {
    set_active(ctx, id, form, true).await
}
