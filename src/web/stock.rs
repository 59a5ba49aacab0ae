//! Stock pages and stock work other than shipments: the overview, ledgers, receipts,
//! adjustments, whole-depot counts and the period lock.

use crate::app::adjustments::{PostCount, RecordAdjustment, ReverseAdjustment};
use crate::app::receipts::{RecordReceipt, ReverseReceipt};
use crate::app::settings::SetLockDate;
use crate::app::Access;
use crate::domain::{AdjustmentId, LocationId, MaterialId, ReceiptId};
use crate::domain::{Invalid, OptionalText, Permission, Quantity};
use crate::ledger;
use crate::models::adjustment::{Adjustment, NewAdjustment, ADJUSTMENT_KINDS};
use crate::models::location::Location;
use crate::models::material::Material;
use crate::models::query::Refusals;
use crate::models::receipt::{NewReceipt, Receipt, ReceiptQuery};
use crate::models::region::Region;
use crate::reports::stock::{self as report, StockQuery};
use crate::views;
use crate::views::form::{FieldErrors, FormState};
use crate::web::ctx::query_param;
use crate::web::ctx::{Ctx, CurrentUser};
use crate::web::forms::{required_date, required_id, PostForm, Refusal};
use crate::web::AppError;
use crate::web::{db, html, page_param, parse_id, redirect_with_flash, seek_param, submission, unprocessable};
use actix_web::{web, HttpResponse};
use chrono::NaiveDate;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/stock", web::get().to(overview))
        .route("/stock/materials/{id}", web::get().to(material_ledger))
        .route("/stock/locations/{id}", web::get().to(location_stock))
        .route("/receipts", web::get().to(receipt_list))
        .route("/receipts/new", web::get().to(receipt_new_form))
        .route("/receipts/new", web::post().to(receipt_create))
        .route("/receipts/{id}", web::get().to(receipt_detail))
        .route("/receipts/{id}/reverse", web::post().to(receipt_reverse))
        .route("/adjustments/new", web::get().to(adjustment_new_form))
        .route("/adjustments/new", web::post().to(adjustment_create))
        .route("/adjustments/{id}", web::get().to(adjustment_detail))
        .route("/adjustments/{id}/reverse", web::post().to(adjustment_reverse))
        .route("/counts/new", web::get().to(count_form))
        .route("/counts/new", web::post().to(count_post))
        .route("/settings/lock-date", web::get().to(lock_date_form))
        .route("/settings/lock-date", web::post().to(lock_date_save));
}

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// The regions a list is limited to for this user (None: all).
fn scope(user: &CurrentUser) -> Option<Vec<i32>> {
    user.access().regions
}

/// 404 for a record outside the user's regions: its existence is not theirs to know.
fn visible(access: &Access, location: &Location) -> Result<(), AppError> {
    if access.covers(location.region_id) {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// Form values of a refused submission, with the refusal shown above the form.
fn refused_state(form: &PostForm, refusal: Refusal) -> FormState {
    crate::web::forms::refused(form, refusal)
}

// ---- overview and ledgers ----

/// The stock list's filters the page's form has fields for.
const PAGE_FILTERS: [&str; 3] = ["material", "region", "depots"];

/// The stock page: totals per material, then holdings filtered by the query string
/// (`StockQuery`). A filter that cannot be used is shown beside its field with 422 and no
/// holdings: never a list that quietly ignored it.
async fn overview(ctx: Ctx) -> Result<HttpResponse, AppError> {
    let user = ctx.require(Permission::Read)?;
    let read = StockQuery::from_query_string(&ctx.page.query);
    let query = read.clone().unwrap_or_default();
    let regions_seen = scope(user);
    let page = page_param(&ctx);
    let scope = user.scope();
    let (totals, holdings, materials, regions) = db(&ctx, move |conn| {
        let materials = Material::stocked(conn)?;
        let ids: Vec<MaterialId> = materials.iter().map(|m| m.id).collect();
        let totals = report::material_totals(conn, &ids, &scope)?;
        let joined = materials
            .iter()
            .map(|m| {
                let t = totals
                    .iter()
                    .find(|t| t.material_id == m.id)
                    .cloned()
                    .unwrap_or(report::MaterialTotals { material_id: m.id, ..Default::default() });
                (m.clone(), t)
            })
            .collect::<Vec<_>>();
        let holdings = match read {
            Err(unreadable) => Err((Refusals::new(), unreadable)),
            Ok(query) => match query.check(conn, regions_seen)? {
                Ok(filter) => Ok(report::holdings(conn, &filter, page, 50)?),
                Err(refusals) => {
                    let summary = crate::models::query::summary(&refusals, &PAGE_FILTERS);
                    Err((refusals, summary))
                }
            },
        };
        Ok((joined, holdings, materials, Region::all(conn)?))
    })
    .await?;
    match holdings {
        Ok(holdings) => Ok(html(views::stock::overview(
            &ctx.page,
            &totals,
            Some(&holdings),
            &query,
            &FieldErrors::new(),
            None,
            &materials,
            &regions,
        ))),
        Err((refusals, summary)) => {
            let errors = FieldErrors::from_refusals(refusals);
            Ok(unprocessable(views::stock::overview(
                &ctx.page,
                &totals,
                None,
                &query,
                &errors,
                Some(&summary),
                &materials,
                &regions,
            )))
        }
    }
}

async fn material_ledger(ctx: Ctx, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    let user = ctx.require(Permission::Read)?;
    let access = user.access();
    let id = parse_id(&id)?;
    // The place narrows whose ledger this is: one that does not read is as unknown as one that
    // does not exist (404), never the whole ledger instead.
    let raw = url::form_urlencoded::parse(ctx.page.query.as_bytes()).find(|(k, _)| k == "location").map(|(_, v)| v);
    let location_id = match raw.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(raw.parse::<LocationId>().map_err(|_| AppError::NotFound)?),
    };
    let seek = seek_param(&ctx);
    let (material, location, lines) = db(&ctx, move |conn| {
        let material = Material::find(conn, id)?.ok_or(AppError::NotFound)?;
        let location = match location_id {
            Some(l) => {
                let location = Location::get(conn, l)?.ok_or(AppError::NotFound)?;
                if location.code != "TRANSIT" {
                    visible(&access, &location)?;
                } else if access.regions.is_some() {
                    return Err(AppError::NotFound);
                }
                Some(location)
            }
            None => None,
        };
        // One place; else a region-limited user's places; else the whole system.
        let places: Option<Vec<LocationId>> = match (&location, &access.regions) {
            (Some(l), _) => Some(vec![l.id]),
            (None, Some(regions)) => Some(Location::ids_in_regions(conn, regions)?),
            (None, None) => None,
        };
        let lines = report::material_ledger(conn, material.id, places.as_deref(), &seek, 100)?;
        Ok((material, location, lines))
    })
    .await?;
    Ok(html(views::stock::ledger(&ctx.page, &material, location.as_ref(), &lines)))
}

async fn location_stock(ctx: Ctx, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    let user = ctx.require(Permission::Read)?;
    let access = user.access();
    let id = parse_id(&id)?;
    let (location, balances, incoming) = db(&ctx, move |conn| {
        let location = Location::get(conn, id)?.ok_or(AppError::NotFound)?;
        visible(&access, &location)?;
        let balances = report::location_balances(conn, id)?;
        let materials = Material::all(conn, None)?;
        let incoming = report::incoming_to(conn, &[id])?
            .into_iter()
            .filter_map(|((_, m), q)| materials.iter().find(|x| x.id == m).map(|x| (m, x.names(), q)))
            .collect::<Vec<_>>();
        Ok((location, balances, incoming))
    })
    .await?;
    Ok(html(views::stock::location_stock(&ctx.page, &location, &balances, &incoming)))
}

// ---- receipts ----

async fn stock_choices(ctx: &Ctx, access: &Access) -> Result<(Vec<Material>, Vec<Location>), AppError> {
    let regions = access.regions.clone();
    db(ctx, move |conn| Ok((Material::stocked(conn)?, Location::depots(conn, regions.as_deref())?))).await
}

fn parse_receipt(form: &PostForm) -> Result<NewReceipt, FieldErrors> {
    let mut e = FieldErrors::new();
    let material_id = e.check("material_id", required_id(form.get("material_id")));
    let location_id = e.check("location_id", required_id(form.get("location_id")));
    let quantity = e.check("quantity", Quantity::parse_positive(form.get("quantity"), form.lang()));
    let received_on = e.check("received_on", required_date(form.get("received_on")));
    let supplier = e.check("supplier", OptionalText::parse(form.get("supplier"), 160));
    let reference = e.check("reference", OptionalText::parse(form.get("reference"), 80));
    match (material_id, location_id, quantity, received_on, supplier, reference) {
        (Some(material_id), Some(location_id), Some(q), Some(received_on), Some(supplier), Some(reference))
            if e.is_empty() =>
        {
            Ok(NewReceipt {
                material_id,
                location_id,
                quantity: q,
                received_on,
                supplier: supplier.into_inner(),
                reference: reference.into_inner(),
                external_ref: None,
            })
        }
        _ => Err(e),
    }
}

/// The receipt list, filtered by its query string (`ReceiptQuery`). A filter that cannot be
/// used is shown beside its field with 422 and no rows: never a list that quietly ignored it.
async fn receipt_list(ctx: Ctx) -> Result<HttpResponse, AppError> {
    let user = ctx.require(Permission::Read)?;
    let access = user.access();
    let seek = seek_param(&ctx);
    let (materials, depots) = stock_choices(&ctx, &access).await?;
    let read = ReceiptQuery::from_query_string(&ctx.page.query);
    let query = read.clone().unwrap_or_default();
    let regions = access.regions.clone();
    let found = db(&ctx, move |conn| {
        Ok(match read {
            Err(unreadable) => Err((Refusals::new(), unreadable)),
            Ok(query) => match query.check(conn, regions)? {
                Ok(filter) => Ok(Receipt::window(conn, &filter, &seek, 50)?),
                Err(refusals) => Err((refusals, Invalid::new("form.fix_errors"))),
            },
        })
    })
    .await?;
    let choices = views::stock::ReceiptChoices { materials: &materials, depots: &depots };
    match found {
        Ok(rows) => {
            Ok(html(views::stock::receipt_list(&ctx.page, &query, &FieldErrors::new(), None, Some(&rows), &choices)))
        }
        Err((refusals, summary)) => {
            let errors = FieldErrors::from_refusals(refusals);
            Ok(unprocessable(views::stock::receipt_list(&ctx.page, &query, &errors, Some(&summary), None, &choices)))
        }
    }
}

async fn receipt_new_form(ctx: Ctx) -> Result<HttpResponse, AppError> {
    let user = ctx.require(Permission::RecordStock)?;
    let (materials, depots) = stock_choices(&ctx, &user.access()).await?;
    let mut form = match submission::new_record_form(&ctx, user.id).await? {
        Ok(form) => form,
        Err(go) => return Ok(go),
    };
    if form.value("received_on").is_empty() {
        form.set("received_on", today().to_string());
    }
    if form.value("location_id").is_empty() && depots.len() == 1 {
        form.set("location_id", depots[0].id.to_string());
    }
    Ok(html(views::stock::receipt_form(&ctx.page, &form, &materials, &depots)))
}

async fn receipt_create(ctx: Ctx, form: PostForm) -> Result<HttpResponse, AppError> {
    let user = ctx.require_post(Permission::RecordStock, &form).await?;
    let access = user.access();
    let new = match parse_receipt(&form) {
        Ok(new) => new,
        Err(errors) => {
            let (materials, depots) = stock_choices(&ctx, &access).await?;
            let mut state = FormState::from_values(form.values());
            state.errors = errors;
            return Ok(unprocessable(views::stock::receipt_form(&ctx.page, &state, &materials, &depots)));
        }
    };
    let command = RecordReceipt { by: crate::web::caller(&ctx), receipt: new, answers: form.answers() };
    let outcome =
        submission::command(&ctx, &form, user.id, "flash.receipt_recorded", command, |id| format!("/receipts/{id}"))
            .await?;
    match outcome {
        Ok(response) => Ok(response),
        Err(refusal) => {
            // The form's choices are read only to show it again.
            let (materials, depots) = stock_choices(&ctx, &user.access()).await?;
            Ok(unprocessable(views::stock::receipt_form(
                &ctx.page,
                &refused_state(&form, refusal),
                &materials,
                &depots,
            )))
        }
    }
}

async fn load_receipt(
    ctx: &Ctx,
    access: Access,
    id: ReceiptId,
) -> Result<(Receipt, Material, Location, bool), AppError> {
    db(ctx, move |conn| {
        let receipt = Receipt::find(conn, id)?.ok_or(AppError::NotFound)?;
        let depot = Location::get(conn, receipt.location_id)?.ok_or(AppError::NotFound)?;
        visible(&access, &depot)?;
        let material = Material::find(conn, receipt.material_id)?.ok_or(AppError::NotFound)?;
        let movements = ledger::movements_of(conn, ledger::Source { receipt_id: Some(id), ..Default::default() })?;
        let reversed = movements.iter().any(|m| m.reverses_id.is_some());
        Ok((receipt, material, depot, reversed))
    })
    .await
}

async fn receipt_detail(ctx: Ctx, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    let user = ctx.require(Permission::Read)?;
    let id = parse_id(&id)?;
    let (receipt, material, depot, reversed) = load_receipt(&ctx, user.access(), id).await?;
    Ok(html(views::stock::receipt_detail(&ctx.page, &receipt, &material, &depot, reversed, &FormState::default())))
}

/// The reason typed for a reversal or cancellation.
pub fn parse_reason(form: &PostForm) -> Result<String, Invalid> {
    let reason = crate::domain::RequiredText::parse(form.get("reason"), 500).map_err(|e| {
        if e.key == "err.required" {
            Invalid::new("err.reason_required")
        } else {
            e
        }
    })?;
    Ok(reason.into_inner())
}

async fn receipt_reverse(ctx: Ctx, id: web::Path<String>, form: PostForm) -> Result<HttpResponse, AppError> {
    let user = ctx.require_post(Permission::RecordStock, &form).await?;
    let access = user.access();
    let id = parse_id(&id)?;
    let loaded = load_receipt(&ctx, access.clone(), id).await?;
    let refuse = |refusal: Refusal| {
        let (receipt, material, depot, reversed) = &loaded;
        unprocessable(views::stock::receipt_detail(
            &ctx.page,
            receipt,
            material,
            depot,
            *reversed,
            &refused_state(&form, refusal),
        ))
    };
    let reason = match parse_reason(&form) {
        Ok(r) => r,
        Err(invalid) => return Ok(refuse(Refusal::Rule(invalid))),
    };
    let command = ReverseReceipt { by: crate::web::caller(&ctx), receipt_id: id, reason };
    let outcome =
        submission::command(&ctx, &form, user.id, "flash.reversed", command, move |_| format!("/receipts/{id}"))
            .await?;
    Ok(outcome.unwrap_or_else(refuse))
}

// ---- adjustments ----

fn parse_adjustment(form: &PostForm) -> Result<NewAdjustment, FieldErrors> {
    let mut e = FieldErrors::new();
    let location_id = e.check("location_id", required_id(form.get("location_id")));
    let material_id = e.check("material_id", required_id(form.get("material_id")));
    let kind = e.check(
        "kind",
        ADJUSTMENT_KINDS.iter().find(|k| **k == form.get("kind")).copied().ok_or(Invalid::new("err.unknown_choice")),
    );
    let quantity = e.check("quantity", Quantity::parse_positive(form.get("quantity"), form.lang()));
    let effective_on = e.check("effective_on", required_date(form.get("effective_on")));
    let reason = e.check("reason", parse_reason(form));
    match (location_id, material_id, kind, quantity, effective_on, reason) {
        (Some(location_id), Some(material_id), Some(kind), Some(q), Some(effective_on), Some(reason))
            if e.is_empty() =>
        {
            Ok(NewAdjustment {
                material_id,
                location_id,
                kind,
                quantity: q,
                effective_on,
                reason,
                stock_count_id: None,
            })
        }
        _ => Err(e),
    }
}

async fn adjustment_new_form(ctx: Ctx) -> Result<HttpResponse, AppError> {
    let user = ctx.require(Permission::RecordStock)?;
    let (materials, depots) = stock_choices(&ctx, &user.access()).await?;
    let mut form = match submission::new_record_form(&ctx, user.id).await? {
        Ok(form) => form,
        Err(go) => return Ok(go),
    };
    if form.value("effective_on").is_empty() {
        form.set("effective_on", today().to_string());
    }
    if form.value("location_id").is_empty() {
        form.set("location_id", query_param(&ctx, "location"));
    }
    Ok(html(views::stock::adjustment_form(&ctx.page, &form, &materials, &depots)))
}

async fn adjustment_create(ctx: Ctx, form: PostForm) -> Result<HttpResponse, AppError> {
    let user = ctx.require_post(Permission::RecordStock, &form).await?;
    let access = user.access();
    let new = match parse_adjustment(&form) {
        Ok(new) => new,
        Err(errors) => {
            let (materials, depots) = stock_choices(&ctx, &access).await?;
            let mut state = FormState::from_values(form.values());
            state.errors = errors;
            return Ok(unprocessable(views::stock::adjustment_form(&ctx.page, &state, &materials, &depots)));
        }
    };
    let command = RecordAdjustment { by: crate::web::caller(&ctx), adjustment: new, answers: form.answers() };
    let outcome = submission::command(&ctx, &form, user.id, "flash.adjustment_recorded", command, |id| {
        format!("/adjustments/{id}")
    })
    .await?;
    match outcome {
        Ok(response) => Ok(response),
        Err(refusal) => {
            // The form's choices are read only to show it again.
            let (materials, depots) = stock_choices(&ctx, &user.access()).await?;
            Ok(unprocessable(views::stock::adjustment_form(
                &ctx.page,
                &refused_state(&form, refusal),
                &materials,
                &depots,
            )))
        }
    }
}

async fn load_adjustment(
    ctx: &Ctx,
    access: Access,
    id: AdjustmentId,
) -> Result<(Adjustment, Material, Location, bool), AppError> {
    db(ctx, move |conn| {
        let adjustment = Adjustment::find(conn, id)?.ok_or(AppError::NotFound)?;
        let depot = Location::get(conn, adjustment.location_id)?.ok_or(AppError::NotFound)?;
        visible(&access, &depot)?;
        let material = Material::find(conn, adjustment.material_id)?.ok_or(AppError::NotFound)?;
        let movements = ledger::movements_of(conn, ledger::Source { adjustment_id: Some(id), ..Default::default() })?;
        Ok((adjustment, material, depot, movements.iter().any(|m| m.reverses_id.is_some())))
    })
    .await
}

async fn adjustment_detail(ctx: Ctx, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    let user = ctx.require(Permission::Read)?;
    let id = parse_id(&id)?;
    let (a, material, depot, reversed) = load_adjustment(&ctx, user.access(), id).await?;
    Ok(html(views::stock::adjustment_detail(&ctx.page, &a, &material, &depot, reversed, &FormState::default())))
}

async fn adjustment_reverse(ctx: Ctx, id: web::Path<String>, form: PostForm) -> Result<HttpResponse, AppError> {
    let user = ctx.require_post(Permission::RecordStock, &form).await?;
    let access = user.access();
    let id = parse_id(&id)?;
    let loaded = load_adjustment(&ctx, access.clone(), id).await?;
    let refuse = |refusal: Refusal| {
        let (a, material, depot, reversed) = &loaded;
        unprocessable(views::stock::adjustment_detail(
            &ctx.page,
            a,
            material,
            depot,
            *reversed,
            &refused_state(&form, refusal),
        ))
    };
    let reason = match parse_reason(&form) {
        Ok(r) => r,
        Err(invalid) => return Ok(refuse(Refusal::Rule(invalid))),
    };
    let command = ReverseAdjustment { by: crate::web::caller(&ctx), adjustment_id: id, reason };
    let outcome =
        submission::command(&ctx, &form, user.id, "flash.reversed", command, move |_| format!("/adjustments/{id}"))
            .await?;
    Ok(outcome.unwrap_or_else(refuse))
}

// ---- counts ----

async fn count_sheet(
    ctx: &Ctx,
    access: Access,
    location_id: LocationId,
) -> Result<(Location, Vec<(Material, i64)>), AppError> {
    db(ctx, move |conn| {
        // Another region's depot is "not found", like every record outside the user's regions.
        let depot = crate::app::active_depot(conn, &access, location_id).map_err(|e| match e {
            crate::app::Lookup::Refused(_) => AppError::NotFound,
            crate::app::Lookup::Database(e) => AppError::Database(e),
        })?;
        let mut rows = Vec::new();
        for m in Material::stocked(conn)? {
            let book = i64::from(ledger::on_hand(conn, m.id, depot.id)?);
            rows.push((m, book));
        }
        Ok((depot, rows))
    })
    .await
}

async fn count_form(ctx: Ctx) -> Result<HttpResponse, AppError> {
    let user = ctx.require(Permission::RecordStock)?;
    let Ok(location_id) = query_param(&ctx, "location").parse::<LocationId>() else {
        return Ok(crate::web::redirect("/stock?depots=1"));
    };
    let (depot, rows) = count_sheet(&ctx, user.access(), location_id).await?;
    let mut form = match submission::new_record_form(&ctx, user.id).await? {
        Ok(form) => form,
        Err(go) => return Ok(go),
    };
    if form.value("counted_on").is_empty() {
        form.set("counted_on", today().to_string());
    }
    Ok(html(views::stock::count_form(&ctx.page, &depot, &rows, &form, today())))
}

async fn count_post(ctx: Ctx, form: PostForm) -> Result<HttpResponse, AppError> {
    let user = ctx.require_post(Permission::RecordStock, &form).await?;
    let access = user.access();
    // The depot comes with the form; the page's own address names it too.
    let location_id = match form.get("location_id") {
        "" => parse_id(&query_param(&ctx, "location"))?,
        raw => parse_id(raw)?,
    };
    let (depot, rows) = count_sheet(&ctx, access.clone(), location_id).await?;
    let mut e = FieldErrors::new();
    let counted_on = e.check("counted_on", required_date(form.get("counted_on")));
    let note = e.check("note", OptionalText::parse(form.get("note"), 500));
    let mut counted = Vec::new();
    for (m, _) in &rows {
        let field = format!("counted_{}", m.id);
        // A blank box means "not counted": that material is left as it is.
        if form.get(&field).trim().is_empty() {
            continue;
        }
        if let Some(q) = e.check(&field, Quantity::parse(form.get(&field), form.lang())) {
            counted.push((m.id, q.get()));
        }
    }
    if counted.is_empty() && e.is_empty() {
        e.add("counted_on", Invalid::new("err.nothing_counted"));
    }
    let show = |state: FormState| unprocessable(views::stock::count_form(&ctx.page, &depot, &rows, &state, today()));
    let (Some(counted_on), Some(note), true) = (counted_on, note, e.is_empty()) else {
        let mut state = FormState::from_values(form.values());
        state.errors = e;
        return Ok(show(state));
    };
    let command = PostCount {
        by: crate::web::caller(&ctx),
        location_id,
        counted_on,
        note: note.into_inner(),
        counted,
        answers: form.answers(),
    };
    let outcome = submission::command(&ctx, &form, user.id, "flash.count_posted", command, move |_| {
        format!("/stock/locations/{location_id}")
    })
    .await?;
    Ok(outcome.unwrap_or_else(|refusal| show(refused_state(&form, refusal))))
}

// ---- period lock ----

async fn lock_date_form(ctx: Ctx) -> Result<HttpResponse, AppError> {
    ctx.require(Permission::ManageReference)?;
    let current = db(&ctx, |conn| Ok(ledger::lock_date(conn)?)).await?;
    let mut form = FormState::default();
    form.set("lock_date", current.map(|d| d.to_string()).unwrap_or_default());
    Ok(html(views::stock::lock_date_form(&ctx.page, &form, current)))
}

async fn lock_date_save(ctx: Ctx, form: PostForm) -> Result<HttpResponse, AppError> {
    ctx.require_post(Permission::ManageReference, &form).await?;
    let raw = form.get("lock_date").trim();
    // Empty reopens every period; a date closes everything up to it, never the future.
    let date = match raw {
        "" => Ok(None),
        _ => required_date(raw)
            .and_then(|d| if d <= today() { Ok(Some(d)) } else { Err(Invalid::new("err.future_date")) }),
    };
    let date = match date {
        Ok(date) => date,
        Err(invalid) => {
            let mut state = FormState::from_values(form.values());
            state.errors.add("lock_date", invalid);
            let current = db(&ctx, |conn| Ok(ledger::lock_date(conn)?)).await?;
            return Ok(unprocessable(views::stock::lock_date_form(&ctx.page, &state, current)));
        }
    };
    let command = SetLockDate { actor: crate::web::actor(&ctx), date };
    crate::web::write(&ctx, move |conn| Ok::<_, AppError>(crate::app::run(conn, &command)?)).await?;
    Ok(redirect_with_flash(&ctx, "/settings/lock-date", "flash.saved", None))
}
