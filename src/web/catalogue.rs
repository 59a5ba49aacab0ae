//! Campaigns and their materials: lists, details, create and edit.

use crate::app::reference::{Save, SaveMaterial};
use crate::domain::{Code, OptionalText, Permission, Quantity, RequiredText};
use crate::models::campaign::{Campaign, CampaignChanges};
use crate::models::material::{parse_kind, Material, MaterialChanges};
use crate::views;
use crate::views::form::{FieldErrors, FormState};
use crate::web::ctx::query_param;
use crate::web::ctx::Ctx;
use crate::web::forms::{names, optional_int, required_date, required_id, PostForm};
use crate::web::{db, html, parse_id, redirect_with_flash, save_command, unprocessable, AppError};
use actix_web::{web, HttpResponse};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/campaigns", web::get().to(campaign_list))
        .route("/campaigns/new", web::get().to(campaign_new_form))
        .route("/campaigns/new", web::post().to(campaign_create))
        .route("/campaigns/{id}", web::get().to(campaign_detail))
        .route("/campaigns/{id}/edit", web::get().to(campaign_edit_form))
        .route("/campaigns/{id}/edit", web::post().to(campaign_update))
        .route("/materials", web::get().to(material_list))
        .route("/materials/new", web::get().to(material_new_form))
        .route("/materials/new", web::post().to(material_create))
        .route("/materials/{id}", web::get().to(material_detail))
        .route("/materials/{id}/edit", web::get().to(material_edit_form))
        .route("/materials/{id}/edit", web::post().to(material_update));
}

// ---- campaigns ----

fn parse_campaign(form: &PostForm) -> Result<CampaignChanges, FieldErrors> {
    let mut e = FieldErrors::new();
    let code = e.check("code", Code::parse(form.get("code")));
    let name = names(form, &mut e, "name", 120);
    let owner = names(form, &mut e, "owner", 160);
    let description = e.check("description", OptionalText::parse(form.get("description"), 2000));
    let starts_on = e.check("starts_on", required_date(form.get("starts_on")));
    let ends_on = e.check("ends_on", required_date(form.get("ends_on")));
    if let (Some(s), Some(end)) = (starts_on, ends_on) {
        if end < s {
            e.add("ends_on", crate::domain::Invalid::new("err.ends_before_start"));
        }
    }
    match (code, name, owner, description, starts_on, ends_on) {
        (Some(code), Some(name), Some(owner), Some(description), Some(starts_on), Some(ends_on)) if e.is_empty() => {
            Ok(CampaignChanges {
                code: code.into_inner(),
                name_en: name.en,
                name_es: name.es,
                owner_en: owner.en,
                owner_es: owner.es,
                description: description.into_inner(),
                starts_on,
                ends_on,
            })
        }
        _ => Err(e),
    }
}

fn campaign_values(c: &Campaign) -> FormState {
    let mut f = FormState::default();
    f.set("code", &c.code);
    f.set("name_en", &c.name_en);
    f.set("name_es", &c.name_es);
    f.set("owner_en", &c.owner_en);
    f.set("owner_es", &c.owner_es);
    f.set("description", &c.description);
    f.set("starts_on", c.starts_on.to_string());
    f.set("ends_on", c.ends_on.to_string());
    f
}

async fn campaign_list(ctx: Ctx) -> Result<HttpResponse, AppError> {
    ctx.require(Permission::Read)?;
    let (campaigns, counts) = db(&ctx, |conn| Ok((Campaign::all(conn)?, Campaign::material_counts(conn)?))).await?;
    Ok(html(views::catalogue::campaign_list(&ctx.page, &campaigns, &counts)))
}

async fn campaign_detail(ctx: Ctx, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    ctx.require(Permission::Read)?;
    let id = parse_id(&id)?;
    let (campaign, materials) = db(&ctx, move |conn| {
        let campaign = Campaign::find(conn, id)?.ok_or(AppError::NotFound)?;
        Ok((campaign, Material::all(conn, Some(id))?))
    })
    .await?;
    Ok(html(views::catalogue::campaign_detail(&ctx.page, &campaign, &materials)))
}

async fn campaign_new_form(ctx: Ctx) -> Result<HttpResponse, AppError> {
    ctx.require(Permission::ManageReference)?;
    let values = ctx.resumed_form().await?.map(FormState::from_values).unwrap_or_default();
    Ok(html(views::catalogue::campaign_form(&ctx.page, &values, "/campaigns/new", &ctx.t("campaign.new"))))
}

async fn campaign_create(ctx: Ctx, form: PostForm) -> Result<HttpResponse, AppError> {
    ctx.require_post(Permission::ManageReference, &form).await?;
    let saved =
        save_command(&ctx, &form, parse_campaign(&form), |record, actor| Save { actor, id: None, record }).await?;
    match saved {
        Ok(id) => Ok(redirect_with_flash(&ctx, &format!("/campaigns/{id}"), "flash.saved", None)),
        Err(state) => Ok(unprocessable(views::catalogue::campaign_form(
            &ctx.page,
            &state,
            "/campaigns/new",
            &ctx.t("campaign.new"),
        ))),
    }
}

async fn campaign_edit_form(ctx: Ctx, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    ctx.require(Permission::ManageReference)?;
    let id = parse_id(&id)?;
    let campaign = db(&ctx, move |conn| Campaign::find(conn, id)?.ok_or(AppError::NotFound)).await?;
    let values = match ctx.resumed_form().await? {
        Some(v) => FormState::from_values(v),
        None => campaign_values(&campaign),
    };
    let action = format!("/campaigns/{id}/edit");
    Ok(html(views::catalogue::campaign_form(&ctx.page, &values, &action, &ctx.t("campaign.edit"))))
}

async fn campaign_update(ctx: Ctx, id: web::Path<String>, form: PostForm) -> Result<HttpResponse, AppError> {
    ctx.require_post(Permission::ManageReference, &form).await?;
    let id = parse_id(&id)?;
    let saved =
        save_command(&ctx, &form, parse_campaign(&form), move |record, actor| Save { actor, id: Some(id), record })
            .await?;
    let action = format!("/campaigns/{id}/edit");
    match saved {
        Ok(id) => Ok(redirect_with_flash(&ctx, &format!("/campaigns/{id}"), "flash.saved", None)),
        Err(state) => {
            Ok(unprocessable(views::catalogue::campaign_form(&ctx.page, &state, &action, &ctx.t("campaign.edit"))))
        }
    }
}

// ---- materials ----

fn parse_material(form: &PostForm) -> Result<MaterialChanges, FieldErrors> {
    let mut e = FieldErrors::new();
    let campaign_id = e.check("campaign_id", required_id(form.get("campaign_id")));
    let code = e.check("code", Code::parse(form.get("code")));
    let name = names(form, &mut e, "name", 120);
    let kind = e.check("kind", parse_kind(form.get("kind")));
    let planned = e.check("planned_quantity", Quantity::parse(form.get("planned_quantity"), form.lang()));
    let pack_size = e.check(
        "pack_size",
        optional_int(form.get("pack_size")).and_then(|p| match p {
            Some(0) => Err(crate::domain::Invalid::new("err.zero")),
            other => Ok(other),
        }),
    );
    let unit = e.check("unit", RequiredText::parse(form.get("unit"), 40));
    let supplier = e.check("supplier", OptionalText::parse(form.get("supplier"), 160));
    let language = e.check("language", OptionalText::parse(form.get("language"), 40));
    let limit = e.check(
        "quantity_limit",
        match form.get("quantity_limit").trim() {
            "" => Ok(None),
            raw => Quantity::parse_positive(raw, form.lang()).map(|q| Some(q.get())),
        },
    );
    match (campaign_id, code, name, kind, planned, pack_size, unit, supplier, language, limit) {
        (
            Some(campaign_id),
            Some(code),
            Some(name),
            Some(kind),
            Some(planned),
            Some(pack_size),
            Some(unit),
            Some(supplier),
            Some(language),
            Some(quantity_limit),
        ) if e.is_empty() => Ok(MaterialChanges {
            campaign_id,
            code: code.into_inner(),
            name_en: name.en,
            name_es: name.es,
            kind: kind.to_string(),
            planned_quantity: planned.get(),
            pack_size,
            supplier: supplier.into_inner(),
            language: language.into_inner(),
            unit: unit.into_inner(),
            quantity_limit,
        }),
        _ => Err(e),
    }
}

fn material_values(m: &Material) -> FormState {
    let mut f = FormState::default();
    f.set("campaign_id", m.campaign_id.to_string());
    f.set("code", &m.code);
    f.set("name_en", &m.name_en);
    f.set("name_es", &m.name_es);
    f.set("kind", &m.kind);
    f.set("planned_quantity", m.planned_quantity.to_string());
    f.set("pack_size", m.pack_size.map(|p| p.to_string()).unwrap_or_default());
    f.set("unit", &m.unit);
    f.set("supplier", &m.supplier);
    f.set("language", &m.language);
    f.set("quantity_limit", m.quantity_limit.map(|q| q.to_string()).unwrap_or_default());
    f
}

async fn material_list(ctx: Ctx) -> Result<HttpResponse, AppError> {
    ctx.require(Permission::Read)?;
    let chosen = query_param(&ctx, "campaign").parse::<i32>().ok();
    let (campaigns, materials) = db(&ctx, move |conn| Ok((Campaign::all(conn)?, Material::all(conn, chosen)?))).await?;
    Ok(html(views::catalogue::material_list(&ctx.page, &campaigns, chosen, &materials)))
}

async fn material_detail(ctx: Ctx, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    ctx.require(Permission::Read)?;
    let id = parse_id(&id)?;
    let (material, campaign) = db(&ctx, move |conn| {
        let material = Material::find(conn, id)?.ok_or(AppError::NotFound)?;
        let campaign = Campaign::find(conn, material.campaign_id)?.ok_or(AppError::NotFound)?;
        Ok((material, campaign))
    })
    .await?;
    Ok(html(views::catalogue::material_detail(&ctx.page, &material, &campaign)))
}

async fn material_new_form(ctx: Ctx) -> Result<HttpResponse, AppError> {
    ctx.require(Permission::ManageReference)?;
    let campaigns = db(&ctx, |conn| Ok(Campaign::all(conn)?)).await?;
    let mut values = match ctx.resumed_form().await? {
        Some(v) => FormState::from_values(v),
        None => FormState::default(),
    };
    if values.value("campaign_id").is_empty() {
        values.set("campaign_id", query_param(&ctx, "campaign"));
    }
    if values.value("unit").is_empty() {
        values.set("unit", ctx.t("material.default_unit"));
    }
    Ok(html(views::catalogue::material_form(&ctx.page, &values, &campaigns, "/materials/new", &ctx.t("material.new"))))
}

async fn material_create(ctx: Ctx, form: PostForm) -> Result<HttpResponse, AppError> {
    ctx.require_post(Permission::ManageReference, &form).await?;
    let saved = save_command(&ctx, &form, parse_material(&form), |record, actor| {
        SaveMaterial(Save { actor, id: None, record })
    })
    .await?;
    match saved {
        Ok(id) => Ok(redirect_with_flash(&ctx, &format!("/materials/{id}"), "flash.saved", None)),
        Err(state) => {
            let campaigns = db(&ctx, |conn| Ok(Campaign::all(conn)?)).await?;
            Ok(unprocessable(views::catalogue::material_form(
                &ctx.page,
                &state,
                &campaigns,
                "/materials/new",
                &ctx.t("material.new"),
            )))
        }
    }
}

async fn material_edit_form(ctx: Ctx, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    ctx.require(Permission::ManageReference)?;
    let id = parse_id(&id)?;
    let (material, campaigns) =
        db(&ctx, move |conn| Ok((Material::find(conn, id)?.ok_or(AppError::NotFound)?, Campaign::all(conn)?))).await?;
    let values = match ctx.resumed_form().await? {
        Some(v) => FormState::from_values(v),
        None => material_values(&material),
    };
    let action = format!("/materials/{id}/edit");
    Ok(html(views::catalogue::material_form(&ctx.page, &values, &campaigns, &action, &ctx.t("material.edit"))))
}

async fn material_update(ctx: Ctx, id: web::Path<String>, form: PostForm) -> Result<HttpResponse, AppError> {
    ctx.require_post(Permission::ManageReference, &form).await?;
    let id = parse_id(&id)?;
    db(&ctx, move |conn| Material::find(conn, id)?.ok_or(AppError::NotFound)).await?;
    let saved = save_command(&ctx, &form, parse_material(&form), move |record, actor| {
        SaveMaterial(Save { actor, id: Some(id), record })
    })
    .await?;
    let action = format!("/materials/{id}/edit");
    match saved {
        Ok(id) => Ok(redirect_with_flash(&ctx, &format!("/materials/{id}"), "flash.saved", None)),
        Err(state) => {
            let campaigns = db(&ctx, |conn| Ok(Campaign::all(conn)?)).await?;
            Ok(unprocessable(views::catalogue::material_form(
                &ctx.page,
                &state,
                &campaigns,
                &action,
                &ctx.t("material.edit"),
            )))
        }
    }
}
