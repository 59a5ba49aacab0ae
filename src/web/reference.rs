//! Reference data: regions and location types. Everyone reads; admins write.

use crate::app::reference::Save;
use crate::domain::{Code, Permission, RequiredText};
use crate::models::location_type::{LocationType, LocationTypeChanges};
use crate::models::region::{Region, RegionChanges};
use crate::views;
use crate::views::form::checkbox;
use crate::views::form::{FieldErrors, FormState};
use crate::web::ctx::Ctx;
use crate::web::forms::{names, optional_int, PostForm};
use crate::web::{db, html, parse_id, redirect_with_flash, save_command, unprocessable, AppError};
use actix_web::{web, HttpResponse};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/regions", web::get().to(region_list))
        .route("/regions/new", web::get().to(region_new_form))
        .route("/regions/new", web::post().to(region_create))
        .route("/regions/{id}/edit", web::get().to(region_edit_form))
        .route("/regions/{id}/edit", web::post().to(region_update))
        .route("/location-types", web::get().to(type_list))
        .route("/location-types/new", web::get().to(type_new_form))
        .route("/location-types/new", web::post().to(type_create))
        .route("/location-types/{id}/edit", web::get().to(type_edit_form))
        .route("/location-types/{id}/edit", web::post().to(type_update));
}

// ---- regions ----

fn parse_region(form: &PostForm) -> Result<RegionChanges, FieldErrors> {
    let mut e = FieldErrors::new();
    let code = e.check("code", Code::parse(form.get("code")));
    let name = names(form, &mut e, "name", 80);
    let col = e.check("tile_col", optional_int(form.get("tile_col")));
    let row = e.check("tile_row", optional_int(form.get("tile_row")));
    for (field, value) in [("tile_col", col), ("tile_row", row)] {
        if value.flatten().is_some_and(|v| v > 30) {
            e.add(field, crate::domain::Invalid::with("err.too_large", 30));
        }
    }
    match (code, name, col, row) {
        (Some(code), Some(name), Some(tile_col), Some(tile_row)) if e.is_empty() => Ok(RegionChanges {
            code: code.into_inner(),
            name_en: name.en,
            name_es: name.es,
            tile_col,
            tile_row,
            is_abroad: checkbox(form.get("is_abroad")),
        }),
        _ => Err(e),
    }
}

fn region_values(r: &Region) -> FormState {
    let mut f = FormState::default();
    f.set("code", &r.code);
    f.set("name_en", &r.name_en);
    f.set("name_es", &r.name_es);
    f.set("tile_col", r.tile_col.map(|v| v.to_string()).unwrap_or_default());
    f.set("tile_row", r.tile_row.map(|v| v.to_string()).unwrap_or_default());
    if r.is_abroad {
        f.set("is_abroad", "on");
    }
    f
}

async fn region_list(ctx: Ctx) -> Result<HttpResponse, AppError> {
    ctx.require(Permission::Read)?;
    let regions = db(&ctx, |conn| Ok(Region::all(conn)?)).await?;
    Ok(html(views::admin::region_list(&ctx.page, &regions)))
}

async fn region_new_form(ctx: Ctx) -> Result<HttpResponse, AppError> {
    ctx.require(Permission::ManageReference)?;
    let values = ctx.resumed_form().await?.map(FormState::from_values).unwrap_or_default();
    Ok(html(views::admin::region_form(&ctx.page, &values, "/regions/new", &ctx.t("region.new"))))
}

async fn region_create(ctx: Ctx, form: PostForm) -> Result<HttpResponse, AppError> {
    ctx.require_post(Permission::ManageReference, &form).await?;
    let saved =
        save_command(&ctx, &form, parse_region(&form), |record, actor| Save { actor, id: None, record }).await?;
    match saved {
        Ok(_) => Ok(redirect_with_flash(&ctx, "/regions", "flash.saved", None)),
        Err(state) => {
            Ok(unprocessable(views::admin::region_form(&ctx.page, &state, "/regions/new", &ctx.t("region.new"))))
        }
    }
}

async fn region_edit_form(ctx: Ctx, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    ctx.require(Permission::ManageReference)?;
    let id = parse_id(&id)?;
    let region = db(&ctx, move |conn| Region::find(conn, id)?.ok_or(AppError::NotFound)).await?;
    let values = match ctx.resumed_form().await? {
        Some(v) => FormState::from_values(v),
        None => region_values(&region),
    };
    Ok(html(views::admin::region_form(&ctx.page, &values, &format!("/regions/{id}/edit"), &ctx.t("region.edit"))))
}

async fn region_update(ctx: Ctx, id: web::Path<String>, form: PostForm) -> Result<HttpResponse, AppError> {
    ctx.require_post(Permission::ManageReference, &form).await?;
    let id = parse_id(&id)?;
    let saved =
        save_command(&ctx, &form, parse_region(&form), move |record, actor| Save { actor, id: Some(id), record })
            .await?;
    match saved {
        Ok(_) => Ok(redirect_with_flash(&ctx, "/regions", "flash.saved", None)),
        Err(state) => Ok(unprocessable(views::admin::region_form(
            &ctx.page,
            &state,
            &format!("/regions/{id}/edit"),
            &ctx.t("region.edit"),
        ))),
    }
}

// ---- location types ----

fn parse_type(form: &PostForm) -> Result<LocationTypeChanges, FieldErrors> {
    let mut e = FieldErrors::new();
    let code = e.check("code", Code::parse(form.get("code")));
    let name_en = e.check("name_en", RequiredText::parse(form.get("name_en"), 80));
    let name_es = e.check("name_es", RequiredText::parse(form.get("name_es"), 80));
    match (code, name_en, name_es) {
        (Some(code), Some(name_en), Some(name_es)) if e.is_empty() => Ok(LocationTypeChanges {
            // Type codes are lower-case words in the catalogue (`media_outlet`).
            code: code.into_inner().to_lowercase(),
            name_en: name_en.into_inner(),
            name_es: name_es.into_inner(),
            is_depot: checkbox(form.get("is_depot")),
        }),
        _ => Err(e),
    }
}

fn type_values(t: &LocationType) -> FormState {
    let mut f = FormState::default();
    f.set("code", &t.code);
    f.set("name_en", &t.name_en);
    f.set("name_es", &t.name_es);
    if t.is_depot {
        f.set("is_depot", "on");
    }
    f
}

async fn type_list(ctx: Ctx) -> Result<HttpResponse, AppError> {
    ctx.require(Permission::Read)?;
    let types = db(&ctx, |conn| Ok(LocationType::all(conn)?)).await?;
    Ok(html(views::admin::type_list(&ctx.page, &types)))
}

async fn type_new_form(ctx: Ctx) -> Result<HttpResponse, AppError> {
    ctx.require(Permission::ManageReference)?;
    let values = ctx.resumed_form().await?.map(FormState::from_values).unwrap_or_default();
    Ok(html(views::admin::type_form(&ctx.page, &values, "/location-types/new", &ctx.t("location_type.new"))))
}

async fn type_create(ctx: Ctx, form: PostForm) -> Result<HttpResponse, AppError> {
    ctx.require_post(Permission::ManageReference, &form).await?;
    let saved = save_command(&ctx, &form, parse_type(&form), |record, actor| Save { actor, id: None, record }).await?;
    match saved {
        Ok(_) => Ok(redirect_with_flash(&ctx, "/location-types", "flash.saved", None)),
        Err(state) => Ok(unprocessable(views::admin::type_form(
            &ctx.page,
            &state,
            "/location-types/new",
            &ctx.t("location_type.new"),
        ))),
    }
}

async fn type_edit_form(ctx: Ctx, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    ctx.require(Permission::ManageReference)?;
    let id = parse_id(&id)?;
    let t = db(&ctx, move |conn| LocationType::find(conn, id)?.ok_or(AppError::NotFound)).await?;
    let values = match ctx.resumed_form().await? {
        Some(v) => FormState::from_values(v),
        None => type_values(&t),
    };
    Ok(html(views::admin::type_form(
        &ctx.page,
        &values,
        &format!("/location-types/{id}/edit"),
        &ctx.t("location_type.edit"),
    )))
}

async fn type_update(ctx: Ctx, id: web::Path<String>, form: PostForm) -> Result<HttpResponse, AppError> {
    ctx.require_post(Permission::ManageReference, &form).await?;
    let id = parse_id(&id)?;
    let saved =
        save_command(&ctx, &form, parse_type(&form), move |record, actor| Save { actor, id: Some(id), record }).await?;
    match saved {
        Ok(_) => Ok(redirect_with_flash(&ctx, "/location-types", "flash.saved", None)),
        Err(state) => Ok(unprocessable(views::admin::type_form(
            &ctx.page,
            &state,
            &format!("/location-types/{id}/edit"),
            &ctx.t("location_type.edit"),
        ))),
    }
}
