//! Shipments: list, drafts, dispatch, delivery, cancellation, reversal, waybill and proof.

use crate::app::confirmations::{IssueDeliveryCode, Resolution, ResolveDispute, UnlockDeliveryCode};
use crate::app::shipments::{
    AttachProof, Cancel, CreateShipment, Deliver, Dispatch, Draft, LineReceipt, ReverseDelivery, UpdateDraft,
};
use crate::app::Access;
use crate::domain::{Invalid, OptionalText, Permission, Quantity, ShipmentStatus};
use crate::domain::{LocationId, MaterialId, PositiveQuantity, ShipmentId, UserId};
use crate::models::delivery_code::DeliveryCode;
use crate::models::location::{DestinationGroup, Location};
use crate::models::location_type::LocationType;
use crate::models::material::Material;
use crate::models::query::Refusals;
use crate::models::region::Region;
use crate::models::shipment::{Attachment, Shipment, ShipmentHeader, ShipmentQuery};
use crate::views;
use crate::views::form::{FieldErrors, FormState};
use crate::views::shipments::{Detail, DraftChoices, ListChoices, LINE_SLOTS};
use crate::web::ctx::query_param;
use crate::web::ctx::Ctx;
use crate::web::forms::{required_date, required_id, PostForm, Refusal, UploadForm};
use crate::web::stock::parse_reason;
use crate::web::AppError;
use crate::web::{db, html, parse_id, seek_param, submission, unprocessable};
use actix_web::{web, HttpResponse};
use chrono::NaiveDate;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/shipments", web::get().to(list))
        .route("/shipments/new", web::get().to(new_form))
        .route("/shipments/new", web::post().to(create))
        .route("/shipments/waybills", web::get().to(waybills))
        .route("/shipments/{id}", web::get().to(detail))
        .route("/shipments/{id}/edit", web::get().to(edit_form))
        .route("/shipments/{id}/edit", web::post().to(update))
        .route("/shipments/{id}/dispatch", web::post().to(dispatch))
        .route("/shipments/{id}/deliver", web::get().to(deliver_form))
        .route("/shipments/{id}/deliver", web::post().to(deliver))
        .route("/shipments/{id}/cancel", web::post().to(cancel))
        .route("/shipments/{id}/reverse-delivery", web::post().to(reverse_delivery))
        .route("/shipments/{id}/waybill", web::get().to(waybill))
        .route("/shipments/{id}/code", web::post().to(issue_code))
        .route("/shipments/{id}/code/unlock", web::post().to(unlock_code))
        .route("/shipments/{id}/dispute", web::post().to(resolve_dispute))
        .route("/shipments/{id}/proof", web::post().to(upload_proof))
        .route("/attachments/{id}", web::get().to(attachment));
}

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

fn parse_optional_date(raw: &str) -> Result<Option<NaiveDate>, Invalid> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        required_date(raw).map(Some)
    }
}

/// The shipment list, filtered by its query string (`ShipmentQuery`). A filter that cannot be
/// used is shown beside its field with 422 and no rows: never a list that quietly ignored it.
async fn list(ctx: Ctx) -> Result<HttpResponse, AppError> {
    let user = ctx.require(Permission::Read)?;
    let regions = user.access().regions;
    let seek = seek_param(&ctx);
    let read = ShipmentQuery::from_query_string(&ctx.page.query);
    let query = read.clone().unwrap_or_default();
    let (rows, materials, depots, regions, types) = db(&ctx, move |conn| {
        let rows = match read {
            Err(unreadable) => Err((Refusals::new(), unreadable)),
            Ok(query) => match query.check(conn, regions)? {
                Ok(filter) => Ok(Shipment::window(conn, &filter, &seek, 50)?),
                Err(refusals) => Err((refusals, Invalid::new("form.fix_errors"))),
            },
        };
        Ok((
            rows,
            Material::stocked(conn)?,
            Location::depots(conn, None)?,
            Region::all(conn)?,
            LocationType::all(conn)?,
        ))
    })
    .await?;
    let choices = ListChoices { materials: &materials, depots: &depots, regions: &regions, types: &types };
    match rows {
        Ok(rows) => {
            Ok(html(views::shipments::list(&ctx.page, &query, &FieldErrors::new(), None, Some(&rows), &choices)))
        }
        Err((refusals, summary)) => {
            // A filter the form has no field for (a campaign from a link) is named at the top.
            let summary = match refusals.iter().find(|(field, _)| !views::shipments::LIST_FIELDS.contains(field)) {
                Some((_, invalid)) => invalid.clone(),
                None => summary,
            };
            let errors = FieldErrors::from_refusals(refusals);
            Ok(unprocessable(views::shipments::list(&ctx.page, &query, &errors, Some(&summary), None, &choices)))
        }
    }
}

struct Choices {
    depots: Vec<Location>,
    destinations: Vec<DestinationGroup>,
    materials: Vec<Material>,
    holdings: Vec<(LocationId, MaterialId, i32)>,
}

async fn draft_choices(ctx: &Ctx, access: &Access) -> Result<Choices, AppError> {
    let regions = access.regions.clone();
    db(ctx, move |conn| {
        let depots = Location::depots(conn, regions.as_deref())?;
        let ids: Vec<LocationId> = depots.iter().map(|d| d.id).collect();
        Ok(Choices {
            holdings: Location::holdings(conn, &ids)?,
            depots,
            destinations: Location::destinations(conn)?,
            materials: Material::stocked(conn)?,
        })
    })
    .await
}

fn render_draft(
    ctx: &Ctx,
    form: &FormState,
    c: &Choices,
    action: &str,
    title: &str,
    allow_dispatch: bool,
) -> maud::Markup {
    let choices = DraftChoices {
        depots: &c.depots,
        destinations: &c.destinations,
        materials: &c.materials,
        holdings: &c.holdings,
    };
    views::shipments::draft_form(&ctx.page, form, &choices, action, title, allow_dispatch)
}

/// A draft as typed; the dispatch date too when "save and dispatch" was pressed.
fn parse_draft(form: &PostForm) -> Result<(Draft, Option<NaiveDate>), FieldErrors> {
    let mut e = FieldErrors::new();
    let origin_id = e.check("origin_id", required_id(form.get("origin_id")));
    let destination_id = e.check("destination_id", required_id(form.get("destination_id")));
    if origin_id.is_some() && origin_id == destination_id {
        e.add("destination_id", Invalid::new("err.same_origin_destination"));
    }
    let carrier = e.check("carrier", OptionalText::parse(form.get("carrier"), 120));
    let expected_on = e.check("expected_on", parse_optional_date(form.get("expected_on")));
    let note = e.check("note", OptionalText::parse(form.get("note"), 1000));
    let mut lines: Vec<(MaterialId, PositiveQuantity)> = Vec::new();
    let mut filled = false;
    for i in 0..LINE_SLOTS {
        let material = form.get(&format!("line_material_{i}"));
        let quantity_field = format!("line_quantity_{i}");
        let quantity = form.get(&quantity_field);
        if material.trim().is_empty() && quantity.trim().is_empty() {
            continue;
        }
        filled = true;
        let Some(material_id) = e.check(&format!("line_material_{i}"), required_id(material)) else { continue };
        let Some(q) = e.check(&quantity_field, Quantity::parse_positive(quantity, form.lang())) else { continue };
        if lines.iter().any(|(m, _)| *m == material_id) {
            e.add(&quantity_field, Invalid::new("err.duplicate_line"));
            continue;
        }
        lines.push((material_id, q));
    }
    // Only when no line was filled at all: a filled line with a mistake says so beside it.
    if !filled {
        e.add("lines", Invalid::new("err.no_lines"));
    }
    let dispatch_on = if form.get("action") == "dispatch" {
        match form.get("dispatched_on").trim() {
            "" => Some(today()),
            raw => e.check("dispatched_on", required_date(raw)),
        }
    } else {
        None
    };
    if let (Some(Some(expected)), Some(dispatched)) = (expected_on, dispatch_on) {
        if expected < dispatched {
            e.add("expected_on", Invalid::new("err.expected_before_dispatch"));
        }
    }
    match (origin_id, destination_id, carrier, expected_on, note) {
        (Some(origin_id), Some(destination_id), Some(carrier), Some(expected_on), Some(note)) if e.is_empty() => Ok((
            Draft {
                header: ShipmentHeader {
                    origin_id,
                    destination_id,
                    carrier: carrier.into_inner(),
                    expected_on,
                    note: note.into_inner(),
                    external_ref: None,
                },
                lines,
            },
            dispatch_on,
        )),
        _ => Err(e),
    }
}

fn state_with(form: &PostForm, errors: FieldErrors, refusal: Option<Invalid>) -> FormState {
    let mut state = FormState::from_values(form.values());
    state.errors = errors;
    state.form_error = refusal;
    state
}

fn refused(form: &PostForm, refusal: Refusal) -> FormState {
    crate::web::forms::refused(form, refusal)
}

async fn new_form(ctx: Ctx) -> Result<HttpResponse, AppError> {
    let user = ctx.require(Permission::RecordStock)?;
    let choices = draft_choices(&ctx, &user.access()).await?;
    let mut form = match submission::new_record_form(&ctx, user.id).await? {
        Ok(form) => form,
        Err(go) => return Ok(go),
    };
    if form.value("origin_id").is_empty() {
        let origin = query_param(&ctx, "origin");
        if !origin.is_empty() {
            form.set("origin_id", origin);
        } else if choices.depots.len() == 1 {
            form.set("origin_id", choices.depots[0].id.to_string());
        }
    }
    if form.value("dispatched_on").is_empty() {
        form.set("dispatched_on", today().to_string());
    }
    Ok(html(render_draft(&ctx, &form, &choices, "/shipments/new", &ctx.t("shipment.new"), true)))
}

async fn create(ctx: Ctx, form: PostForm) -> Result<HttpResponse, AppError> {
    let user = ctx.require_post(Permission::RecordStock, &form).await?;
    let access = user.access();
    let title = ctx.t("shipment.new");
    // The form's choices are read only to show it again: a post that succeeds does not need them.
    let (draft, dispatch_on) = match parse_draft(&form) {
        Ok(parsed) => parsed,
        Err(errors) => {
            let choices = draft_choices(&ctx, &access).await?;
            return Ok(unprocessable(render_draft(
                &ctx,
                &state_with(&form, errors, None),
                &choices,
                "/shipments/new",
                &title,
                true,
            )));
        }
    };
    let flash = if dispatch_on.is_some() { "flash.dispatched" } else { "flash.draft_saved" };
    let command = CreateShipment {
        by: crate::web::caller(&ctx),
        draft,
        dispatch_on,
        answers: form.answers(),
        codes: Some(ctx.state.delivery_key.clone()),
    };
    let outcome = submission::command(&ctx, &form, user.id, flash, command, |id| format!("/shipments/{id}")).await?;
    match outcome {
        Ok(response) => Ok(response),
        Err(refusal) => {
            let choices = draft_choices(&ctx, &user.access()).await?;
            Ok(unprocessable(render_draft(&ctx, &refused(&form, refusal), &choices, "/shipments/new", &title, true)))
        }
    }
}

/// Everything the shipment page shows, if the user may see it (origin or destination in their
/// regions; otherwise 404).
async fn load(ctx: &Ctx, access: Access, id: ShipmentId) -> Result<LoadedShipment, AppError> {
    db(ctx, move |conn| {
        let shipment = Shipment::find(conn, id)?.ok_or(AppError::NotFound)?;
        let origin = Location::get(conn, shipment.origin_id)?.ok_or(AppError::NotFound)?;
        let destination = Location::get(conn, shipment.destination_id)?.ok_or(AppError::NotFound)?;
        let as_origin = access.covers(origin.region_id);
        let as_destination = access.covers(destination.region_id);
        if !as_origin && !as_destination {
            return Err(AppError::NotFound);
        }
        Ok(LoadedShipment {
            lines: Shipment::line_materials(conn, id)?,
            events: Shipment::events(conn, id)?,
            attachments: Attachment::list(conn, id)?,
            code: DeliveryCode::live_for(conn, id)?,
            confirmation: crate::models::confirmation::RecipientConfirmation::current_for(conn, id)?,
            response: crate::models::confirmation::RecipientResponse::latest_for(conn, id)?,
            shipment,
            origin,
            destination,
            as_origin,
            as_destination,
        })
    })
    .await
}

struct LoadedShipment {
    shipment: Shipment,
    origin: Location,
    destination: Location,
    lines: Vec<(crate::models::shipment::ShipmentLine, Material)>,
    events: Vec<(crate::models::shipment::ShipmentEvent, Option<String>)>,
    attachments: Vec<(i32, String, String)>,
    /// The live code of its delivery note, if it has one.
    code: Option<DeliveryCode>,
    /// What the recipient confirmed through the code, if they did.
    confirmation: Option<crate::models::confirmation::RecipientConfirmation>,
    /// What the recipient answered to a delivery staff recorded.
    response: Option<crate::models::confirmation::RecipientResponse>,
    as_origin: bool,
    as_destination: bool,
}

impl LoadedShipment {
    /// What the note's code looks like to staff: where it leads, or why there is none.
    fn note_code(&self, ctx: &Ctx) -> views::shipments::NoteCode {
        note_code(ctx, &self.shipment, &self.destination, self.code.as_ref())
    }
}

/// What a shipment's delivery note prints for the recipient: the code and where it leads, or
/// why there is none.
fn note_code(
    ctx: &Ctx,
    shipment: &Shipment,
    destination: &Location,
    code: Option<&DeliveryCode>,
) -> views::shipments::NoteCode {
    use views::shipments::NoteCode;
    let confirmable =
        shipment.status == ShipmentStatus::Dispatched && crate::app::shipments::takes_delivery_code(destination);
    match (code, ctx.state.config.public_url.as_deref()) {
        _ if !confirmable => NoteCode::NotConfirmable,
        (None, _) => NoteCode::Missing,
        (Some(_), None) => NoteCode::NoPublicUrl,
        (Some(code), Some(public)) => {
            let (token, short) = code.code(&ctx.state.delivery_key);
            let public = public.trim_end_matches('/');
            NoteCode::Printed {
                link: format!("{public}/c/{}", token.expose()),
                typed_at: format!("{public}/confirm"),
                short: short.grouped(),
                locked: code.locked_at.is_some(),
            }
        }
    }
}

fn render_detail(ctx: &Ctx, s: &LoadedShipment, form: &FormState) -> maud::Markup {
    views::shipments::detail(
        &ctx.page,
        &Detail {
            shipment: &s.shipment,
            origin: &s.origin,
            destination: &s.destination,
            lines: &s.lines,
            events: &s.events,
            attachments: &s.attachments,
            code: &s.note_code(ctx),
            confirmation: s.confirmation.as_ref(),
            response: s.response.as_ref(),
            may_act_as_origin: s.as_origin,
            may_act_as_destination: s.as_destination,
        },
        form,
    )
}

async fn detail(ctx: Ctx, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    let user = ctx.require(Permission::Read)?;
    let id = parse_id(&id)?;
    let loaded = load(&ctx, user.access(), id).await?;
    Ok(html(render_detail(&ctx, &loaded, &FormState::default())))
}

fn draft_values(s: &LoadedShipment) -> FormState {
    let mut f = FormState::default();
    f.set("origin_id", s.shipment.origin_id.to_string());
    f.set("destination_id", s.shipment.destination_id.to_string());
    f.set("carrier", &s.shipment.carrier);
    f.set("expected_on", s.shipment.expected_on.map(|d| d.to_string()).unwrap_or_default());
    f.set("note", &s.shipment.note);
    for (i, (line, _)) in s.lines.iter().enumerate().take(LINE_SLOTS) {
        f.set(&format!("line_material_{i}"), line.material_id.to_string());
        f.set(&format!("line_quantity_{i}"), line.quantity.to_string());
    }
    f
}

async fn edit_form(ctx: Ctx, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    let user = ctx.require(Permission::RecordStock)?;
    let access = user.access();
    let id = parse_id(&id)?;
    let loaded = load(&ctx, access.clone(), id).await?;
    if !loaded.as_origin {
        return Err(AppError::Forbidden);
    }
    if loaded.shipment.status != ShipmentStatus::Draft {
        return Ok(crate::web::redirect(&format!("/shipments/{id}")));
    }
    let choices = draft_choices(&ctx, &access).await?;
    let form = match ctx.resumed_form().await? {
        Some(v) => FormState::from_values(v),
        None => draft_values(&loaded),
    };
    let title = format!("{} {}", ctx.t("shipment.edit"), loaded.shipment.reference);
    Ok(html(render_draft(&ctx, &form, &choices, &format!("/shipments/{id}/edit"), &title, false)))
}

async fn update(ctx: Ctx, id: web::Path<String>, form: PostForm) -> Result<HttpResponse, AppError> {
    let user = ctx.require_post(Permission::RecordStock, &form).await?;
    let access = user.access();
    let id = parse_id(&id)?;
    let loaded = load(&ctx, access.clone(), id).await?;
    let title = format!("{} {}", ctx.t("shipment.edit"), loaded.shipment.reference);
    let action = format!("/shipments/{id}/edit");
    let (draft, _) = match parse_draft(&form) {
        Ok(parsed) => parsed,
        Err(errors) => {
            let choices = draft_choices(&ctx, &access).await?;
            return Ok(unprocessable(render_draft(
                &ctx,
                &state_with(&form, errors, None),
                &choices,
                &action,
                &title,
                false,
            )));
        }
    };
    let command = UpdateDraft { by: crate::web::caller(&ctx), shipment_id: id, draft, answers: form.answers() };
    let outcome =
        submission::command(&ctx, &form, user.id, "flash.draft_saved", command, move |_| format!("/shipments/{id}"))
            .await?;
    match outcome {
        Ok(response) => Ok(response),
        Err(refusal) => {
            let choices = draft_choices(&ctx, &user.access()).await?;
            Ok(unprocessable(render_draft(&ctx, &refused(&form, refusal), &choices, &action, &title, false)))
        }
    }
}

/// Runs a shipment command under the form's submission key; a refusal shows the shipment page
/// again with the message (422).
async fn act<C>(
    ctx: &Ctx,
    form: &PostForm,
    id: ShipmentId,
    user_id: UserId,
    flash: &str,
    command: C,
) -> Result<HttpResponse, AppError>
where
    C: crate::app::Command,
    AppError: From<C::Error>,
{
    let outcome = submission::command(ctx, form, user_id, flash, command, move |_| format!("/shipments/{id}")).await?;
    match outcome {
        Ok(response) => Ok(response),
        Err(refusal) => {
            let access = ctx.user.as_ref().map(|u| u.access()).ok_or(AppError::Forbidden)?;
            let loaded = load(ctx, access, id).await?;
            Ok(unprocessable(render_detail(ctx, &loaded, &refused(form, refusal))))
        }
    }
}

async fn dispatch(ctx: Ctx, id: web::Path<String>, form: PostForm) -> Result<HttpResponse, AppError> {
    let user = ctx.require_post(Permission::RecordStock, &form).await?;
    let access = user.access();
    let id = parse_id(&id)?;
    let date = match form.get("dispatched_on").trim() {
        "" => Ok(today()),
        raw => required_date(raw),
    };
    let date = match date {
        Ok(d) => d,
        Err(invalid) => {
            let loaded = load(&ctx, access, id).await?;
            let mut state = state_with(&form, FieldErrors::new(), Some(invalid.clone()));
            state.errors.add("dispatched_on", invalid);
            return Ok(unprocessable(render_detail(&ctx, &loaded, &state)));
        }
    };
    let command = Dispatch {
        by: crate::web::caller(&ctx),
        shipment_id: id,
        on: date,
        answers: form.answers(),
        codes: Some(ctx.state.delivery_key.clone()),
    };
    act(&ctx, &form, id, user.id, "flash.dispatched", command).await
}

/// The reason typed for a cancellation or a delivery reversal; a missing one shows the shipment
/// page again (422).
async fn reason_or_page(
    ctx: &Ctx,
    form: &PostForm,
    access: Access,
    id: ShipmentId,
) -> Result<Result<String, HttpResponse>, AppError> {
    match parse_reason(form) {
        Ok(reason) => Ok(Ok(reason)),
        Err(invalid) => {
            let loaded = load(ctx, access, id).await?;
            Ok(Err(unprocessable(render_detail(ctx, &loaded, &state_with(form, FieldErrors::new(), Some(invalid))))))
        }
    }
}

async fn cancel(ctx: Ctx, id: web::Path<String>, form: PostForm) -> Result<HttpResponse, AppError> {
    let user = ctx.require_post(Permission::RecordStock, &form).await?;
    let id = parse_id(&id)?;
    let reason = match reason_or_page(&ctx, &form, user.access(), id).await? {
        Ok(reason) => reason,
        Err(page) => return Ok(page),
    };
    let command = Cancel { by: crate::web::caller(&ctx), shipment_id: id, reason };
    act(&ctx, &form, id, user.id, "flash.cancelled", command).await
}

async fn reverse_delivery(ctx: Ctx, id: web::Path<String>, form: PostForm) -> Result<HttpResponse, AppError> {
    let user = ctx.require_post(Permission::RecordStock, &form).await?;
    let id = parse_id(&id)?;
    let reason = match reason_or_page(&ctx, &form, user.access(), id).await? {
        Ok(reason) => reason,
        Err(page) => return Ok(page),
    };
    let command = ReverseDelivery { by: crate::web::caller(&ctx), shipment_id: id, reason };
    act(&ctx, &form, id, user.id, "flash.reversed", command).await
}

/// What arrived per line, as a delivery form (staff's or the recipient's) says it: a quantity
/// in the form's language, no more than was sent, and a known reason for any shortfall.
pub(crate) fn read_line_receipts(
    form: &PostForm,
    lines: &[(crate::models::shipment::ShipmentLine, Material)],
    e: &mut FieldErrors,
) -> Vec<LineReceipt> {
    let mut receipts = Vec::new();
    for (line, _) in lines {
        let field = format!("received_{}", line.id);
        let reason_field = format!("reason_{}", line.id);
        let Some(received) = e.check(&field, Quantity::parse(form.get(&field), form.lang())) else { continue };
        if received.get() > line.quantity.get() {
            e.add(&field, Invalid::with("err.more_than_sent", line.quantity));
            continue;
        }
        let reason = form.get(&reason_field).trim().to_string();
        if received.get() < line.quantity.get()
            && !crate::models::shipment::SHORTFALL_REASONS.contains(&reason.as_str())
        {
            e.add(&reason_field, Invalid::new("err.shortfall_reason"));
            continue;
        }
        receipts.push(LineReceipt {
            line_id: line.id,
            received: received.get(),
            shortfall_reason: (!reason.is_empty()).then_some(reason),
        });
    }
    receipts
}

async fn deliver_form(ctx: Ctx, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    let user = ctx.require(Permission::RecordStock)?;
    let id = parse_id(&id)?;
    let loaded = load(&ctx, user.access(), id).await?;
    if !loaded.as_destination {
        return Err(AppError::Forbidden);
    }
    if loaded.shipment.status != ShipmentStatus::Dispatched {
        return Ok(crate::web::redirect(&format!("/shipments/{id}")));
    }
    let mut form = match submission::new_record_form(&ctx, user.id).await? {
        Ok(form) => form,
        Err(go) => return Ok(go),
    };
    if form.value("delivered_on").is_empty() {
        form.set("delivered_on", today().to_string());
    }
    for (line, _) in &loaded.lines {
        let field = format!("received_{}", line.id);
        if form.value(&field).is_empty() {
            form.set(&field, line.quantity.to_string());
        }
    }
    Ok(html(views::shipments::deliver_form(&ctx.page, &loaded.shipment, &loaded.lines, &form)))
}

async fn deliver(ctx: Ctx, id: web::Path<String>, form: PostForm) -> Result<HttpResponse, AppError> {
    let user = ctx.require_post(Permission::RecordStock, &form).await?;
    let access = user.access();
    let id = parse_id(&id)?;
    let loaded = load(&ctx, access.clone(), id).await?;
    let mut e = FieldErrors::new();
    let delivered_on = e.check("delivered_on", required_date(form.get("delivered_on")));
    let received_by = e.check("received_by", crate::domain::RequiredText::parse(form.get("received_by"), 120));
    let note = e.check("note", OptionalText::parse(form.get("note"), 1000));
    let lines = read_line_receipts(&form, &loaded.lines, &mut e);
    let (Some(delivered_on), Some(received_by), Some(note), true) = (delivered_on, received_by, note, e.is_empty())
    else {
        return Ok(unprocessable(views::shipments::deliver_form(
            &ctx.page,
            &loaded.shipment,
            &loaded.lines,
            &state_with(&form, e, None),
        )));
    };
    let command = Deliver {
        by: crate::web::caller(&ctx),
        shipment_id: id,
        delivered_on,
        received_by: received_by.into_inner(),
        note: note.into_inner(),
        lines,
    };
    let outcome =
        submission::command(&ctx, &form, user.id, "flash.delivered", command, move |_| format!("/shipments/{id}"))
            .await?;
    Ok(outcome.unwrap_or_else(|refusal| {
        unprocessable(views::shipments::deliver_form(
            &ctx.page,
            &loaded.shipment,
            &loaded.lines,
            &refused(&form, refusal),
        ))
    }))
}

async fn waybill(ctx: Ctx, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    let user = ctx.require(Permission::Read)?;
    let id = parse_id(&id)?;
    let s = load(&ctx, user.access(), id).await?;
    let code = s.note_code(&ctx);
    Ok(html(views::shipments::waybill(&ctx.page, &s.shipment, &s.origin, &s.destination, &s.lines, &code)))
}

/// Notes printed together at most: a depot's day is rarely more.
const BATCH_NOTES: i64 = 200;

/// The delivery notes of everything a depot dispatched on a day, one per printed page.
async fn waybills(ctx: Ctx) -> Result<HttpResponse, AppError> {
    let user = ctx.require(Permission::Read)?;
    let access = user.access();
    let mut errors = FieldErrors::new();
    let origin_raw = query_param(&ctx, "origin");
    let on_raw = query_param(&ctx, "on");
    let on = if on_raw.trim().is_empty() { Some(today()) } else { errors.check("on", required_date(&on_raw)) };
    let (depots, origin) = db(&ctx, move |conn| {
        let depots: Vec<Location> = Location::depots(conn, access.regions.as_deref())?;
        let origin = origin_raw.trim().parse::<i32>().ok().and_then(|id| depots.iter().find(|d| d.id.0 == id).cloned());
        Ok((depots, origin))
    })
    .await?;
    if !query_param(&ctx, "origin").trim().is_empty() && origin.is_none() {
        errors.add("origin", Invalid::new("err.unknown_depot"));
    }
    let notes = match (&origin, on) {
        (Some(origin), Some(on)) if errors.is_empty() => {
            let origin_id = origin.id;
            let loaded = db(&ctx, move |conn| {
                let mut notes = Vec::new();
                for shipment in Shipment::dispatched_from_on(conn, origin_id, on, BATCH_NOTES)? {
                    let destination = Location::get(conn, shipment.destination_id)?.ok_or(AppError::NotFound)?;
                    let lines = Shipment::line_materials(conn, shipment.id)?;
                    let code = DeliveryCode::live_for(conn, shipment.id)?;
                    notes.push((shipment, destination, lines, code));
                }
                Ok(notes)
            })
            .await?;
            loaded
                .into_iter()
                .map(|(shipment, destination, lines, code)| {
                    let code = note_code(&ctx, &shipment, &destination, code.as_ref());
                    (shipment, destination, lines, code)
                })
                .collect()
        }
        _ => Vec::new(),
    };
    let form = views::shipments::BatchForm {
        depots: &depots,
        origin: origin.as_ref().map(|o| o.id),
        on: if on_raw.trim().is_empty() { today().to_string() } else { on_raw.clone() },
        errors: &errors,
    };
    let page = views::shipments::waybills(&ctx.page, &form, origin.as_ref(), &notes, BATCH_NOTES as usize);
    Ok(if errors.is_empty() { html(page) } else { unprocessable(page) })
}

/// A new code for the delivery note, voiding every printed copy of the one before; then the
/// note to print again.
async fn issue_code(ctx: Ctx, id: web::Path<String>, form: PostForm) -> Result<HttpResponse, AppError> {
    let user = ctx.require_post(Permission::RecordStock, &form).await?;
    let id = parse_id(&id)?;
    let command =
        IssueDeliveryCode { by: crate::web::caller(&ctx), shipment_id: id, codes: ctx.state.delivery_key.clone() };
    let outcome = submission::command(&ctx, &form, user.id, "flash.code_issued", command, |id| {
        format!("/shipments/{id}/waybill")
    })
    .await?;
    match outcome {
        Ok(response) => Ok(response),
        Err(refusal) => {
            let loaded = load(&ctx, user.access(), id).await?;
            Ok(unprocessable(render_detail(&ctx, &loaded, &refused(&form, refusal))))
        }
    }
}

/// Staff settle the units a recipient said did not arrive: delivered after all, or lost.
async fn resolve_dispute(ctx: Ctx, id: web::Path<String>, form: PostForm) -> Result<HttpResponse, AppError> {
    let user = ctx.require_post(Permission::RecordStock, &form).await?;
    let id = parse_id(&id)?;
    let note = OptionalText::parse(form.get("note"), 1000);
    let (Some(resolution), Ok(note)) = (Resolution::parse(form.get("resolution")), note) else {
        let loaded = load(&ctx, user.access(), id).await?;
        let mut errors = FieldErrors::new();
        errors.add("resolution", Invalid::new("err.choose_resolution"));
        return Ok(unprocessable(render_detail(&ctx, &loaded, &state_with(&form, errors, None))));
    };
    let command = ResolveDispute { by: crate::web::caller(&ctx), shipment_id: id, resolution, note: note.into_inner() };
    act(&ctx, &form, id, user.id, "flash.dispute_resolved", command).await
}

/// Staff unlock a link that wrong PINs locked.
async fn unlock_code(ctx: Ctx, id: web::Path<String>, form: PostForm) -> Result<HttpResponse, AppError> {
    let user = ctx.require_post(Permission::RecordStock, &form).await?;
    let id = parse_id(&id)?;
    let command = UnlockDeliveryCode { by: crate::web::caller(&ctx), shipment_id: id };
    act(&ctx, &form, id, user.id, "flash.code_unlocked", command).await
}

/// Largest accepted scan of a signed delivery note.
pub const MAX_PROOF_BYTES: usize = 5 * 1024 * 1024;

/// The file type by its first bytes, not by what the browser claims.
fn sniff(data: &[u8]) -> Option<&'static str> {
    if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if data.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else {
        None
    }
}

async fn upload_proof(
    ctx: Ctx,
    id: web::Path<String>,
    req: actix_web::HttpRequest,
    payload: actix_multipart::Multipart,
) -> Result<HttpResponse, AppError> {
    let user = ctx.require(Permission::RecordStock)?.clone();
    let id = parse_id(&id)?;
    let mut form = UploadForm::read(&ctx.state, &ctx.browser, &req, payload, MAX_PROOF_BYTES).await?;
    let file = form.take_file("proof").map(|f| (f.filename.unwrap_or_else(|| "proof".into()), f.data));
    let access = user.access();
    let loaded = load(&ctx, access, id).await?;
    let refuse = |invalid: Invalid| unprocessable(render_detail(&ctx, &loaded, &state_with_refusal(invalid)));
    if form.too_large {
        return Ok(refuse(Invalid::with("err.file_too_large", MAX_PROOF_BYTES / (1024 * 1024))));
    }
    let Some((filename, data)) = file else {
        return Ok(refuse(Invalid::new("err.file_missing")));
    };
    if data.len() > MAX_PROOF_BYTES {
        return Ok(refuse(Invalid::with("err.file_too_large", MAX_PROOF_BYTES / (1024 * 1024))));
    }
    let Some(content_type) = sniff(&data) else { return Ok(refuse(Invalid::new("err.file_type"))) };
    let filename: String = filename.chars().filter(|c| !c.is_control() && *c != '/' && *c != '\\').take(120).collect();
    let command = AttachProof { by: crate::web::caller(&ctx), shipment_id: id, filename, content_type, data };
    match crate::web::write(&ctx, move |conn| Ok::<_, AppError>(crate::app::run(conn, &command)?)).await {
        Ok(()) => Ok(crate::web::redirect_with_flash(&ctx, &format!("/shipments/{id}"), "flash.attached", None)),
        Err(AppError::Refused(invalid)) => Ok(refuse(invalid)),
        Err(e) => Err(e),
    }
}

fn state_with_refusal(invalid: Invalid) -> FormState {
    FormState { form_error: Some(invalid), ..Default::default() }
}

async fn attachment(ctx: Ctx, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    let user = ctx.require(Permission::Read)?;
    let id = parse_id(&id)?;
    let a = db(&ctx, move |conn| Ok(Attachment::find(conn, id)?)).await?.ok_or(AppError::NotFound)?;
    // The attachment is visible exactly when its shipment is.
    load(&ctx, user.access(), a.shipment_id).await?;
    Ok(HttpResponse::Ok()
        .content_type(a.content_type.as_str())
        .insert_header(crate::web::content_disposition(false, &a.filename))
        // A scan of a signed note is as private as any page: never kept by a browser or a proxy.
        .insert_header(("Cache-Control", "no-store"))
        .body(a.data))
}
