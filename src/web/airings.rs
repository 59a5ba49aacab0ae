//! Airings of the information spots by media outlets: the list with its totals, recording an
//! airing, its page, and its reversal. Spots are aired, not stocked: nothing here touches the
//! stock ledger, but the period lock applies all the same.

use crate::domain::{Invalid, OptionalText, Permission, Quantity};
use crate::models::airing::{self, Airing, AiringQuery, NewAiring, MAX_TIMES};
use crate::web::AppError;

use crate::app::airings::{RecordAiring, ReverseAiring};
use crate::app::Access;
use crate::models::location::Location;
use crate::models::material::Material;
use crate::models::query::Refusals;
use crate::models::region::Region;
use crate::views;
use crate::views::airings::{AiringPage, Found, ListData};
use crate::views::form::{FieldErrors, FormState};
use crate::web::ctx::query_param;
use crate::web::ctx::Ctx;
use crate::web::forms::{required_date, required_id, PostForm, Refusal};
use crate::web::stock::parse_reason;
use crate::web::{db, html, parse_id, seek_param, submission, unprocessable};
use actix_web::{web, HttpResponse};
use chrono::NaiveDate;

/// Rows per page of the airing list.
const PER_PAGE: usize = 50;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/airings", web::get().to(list))
        .route("/airings/new", web::get().to(new_form))
        .route("/airings/new", web::post().to(create))
        .route("/airings/{id}", web::get().to(detail))
        .route("/airings/{id}/reverse", web::post().to(reverse));
}

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

// ---- list ----

/// The airing list, filtered by its query string (`AiringQuery`). A filter that cannot be used
/// is shown beside its field with 422 and no figures: never totals that quietly ignored it.
/// The airing list's filters the page's form has fields for.
const PAGE_FILTERS: [&str; 6] = ["spot", "outlet", "ownership", "region", "from", "to"];

async fn list(ctx: Ctx) -> Result<HttpResponse, AppError> {
    let user = ctx.require(Permission::Read)?;
    let scope = user.access().regions;
    let read = AiringQuery::from_query_string(&ctx.page.query);
    let query = read.clone().unwrap_or_default();
    let seek = seek_param(&ctx);
    let (data, refused) = db(&ctx, move |conn| {
        let outlets = airing::media_outlets(conn, false, scope.as_deref())?;
        let regions: Vec<Region> =
            Region::all(conn)?.into_iter().filter(|r| outlets.iter().any(|o| o.region_id == Some(r.id))).collect();
        let checked = match read {
            Err(unreadable) => Err((Refusals::new(), unreadable)),
            Ok(query) => query.check(conn, scope)?.map_err(|refusals| {
                let summary = crate::models::query::summary(&refusals, &PAGE_FILTERS);
                (refusals, summary)
            }),
        };
        let (found, refused) = match checked {
            Ok(filter) => (
                Some(Found {
                    rows: Airing::window(conn, &filter, &seek, PER_PAGE)?,
                    totals: Airing::totals_by_outlet(conn, &filter)?,
                    months: Airing::by_month(conn, &filter)?,
                }),
                None,
            ),
            Err(refused) => (None, Some(refused)),
        };
        Ok((ListData { found, spots: airing::spots(conn)?, outlets, regions }, refused))
    })
    .await?;
    match refused {
        None => Ok(html(views::airings::list(&ctx.page, &query, &FieldErrors::new(), None, &data))),
        Some((refusals, summary)) => {
            let errors = FieldErrors::from_refusals(refusals);
            Ok(unprocessable(views::airings::list(&ctx.page, &query, &errors, Some(&summary), &data)))
        }
    }
}

// ---- recording ----

/// The spots, and every active outlet with those this user may record for.
async fn choices(ctx: &Ctx, access: &Access) -> Result<(Vec<Material>, Vec<Location>, Vec<Location>), AppError> {
    let access = access.clone();
    db(ctx, move |conn| {
        let active = airing::media_outlets(conn, true, None)?;
        let mine = active.iter().filter(|l| access.covers(l.region_id)).cloned().collect();
        Ok((airing::spots(conn)?, active, mine))
    })
    .await
}

fn parse_times(raw: &str, lang: crate::domain::Lang) -> Result<i32, Invalid> {
    let too_large = || Invalid::new("err.too_many_times");
    match Quantity::parse_positive(raw, lang) {
        Ok(q) if q.get() <= MAX_TIMES => Ok(q.get()),
        Ok(_) => Err(too_large()),
        Err(e) if e.key == "err.too_large" => Err(too_large()),
        Err(e) => Err(e),
    }
}

/// Parses the form; the spot and the outlet must be among `spots` and the `active` outlets (the
/// write checks them again, with the user's regions, inside its transaction).
fn parse_airing(form: &PostForm, spots: &[Material], active: &[Location]) -> Result<NewAiring, FieldErrors> {
    let mut e = FieldErrors::new();
    let material_id = e.check(
        "material_id",
        required_id(form.get("material_id")).and_then(|id| {
            if spots.iter().any(|m| m.id == id) {
                Ok(id)
            } else {
                Err(Invalid::new("err.not_a_spot"))
            }
        }),
    );
    let location_id = e.check(
        "location_id",
        required_id(form.get("location_id")).and_then(|id| {
            if active.iter().any(|l| l.id == id) {
                Ok(id)
            } else {
                Err(Invalid::new("err.not_a_media_outlet"))
            }
        }),
    );
    let aired_on = e.check(
        "aired_on",
        required_date(form.get("aired_on")).and_then(|d| {
            if d <= today() {
                Ok(d)
            } else {
                Err(Invalid::new("err.future_date"))
            }
        }),
    );
    let times = e.check("times", parse_times(form.get("times"), form.lang()));
    let time_slot = e.check("time_slot", OptionalText::parse(form.get("time_slot"), 40));
    let programme = e.check("programme", OptionalText::parse(form.get("programme"), 120));
    match (material_id, location_id, aired_on, times, time_slot, programme) {
        (Some(material_id), Some(location_id), Some(aired_on), Some(times), Some(time_slot), Some(programme))
            if e.is_empty() =>
        {
            Ok(NewAiring {
                material_id,
                location_id,
                aired_on,
                times,
                time_slot: time_slot.into_inner(),
                programme: programme.into_inner(),
                external_ref: None,
            })
        }
        _ => Err(e),
    }
}

/// The field a refusal is about, so the message shows beside it as well as above the form.
fn field_of(invalid: &Invalid) -> Option<&'static str> {
    match invalid.key {
        "err.not_a_spot" | "err.unknown_material" => Some("material_id"),
        "err.not_a_media_outlet" | "err.inactive_location" => Some("location_id"),
        "err.period_closed" | "err.future_date" => Some("aired_on"),
        "err.too_many_times" | "err.zero" => Some("times"),
        _ => None,
    }
}

fn refused_state(form: &PostForm, refusal: Refusal) -> FormState {
    let field = match &refusal {
        Refusal::Rule(invalid) => field_of(invalid).map(|f| (f, invalid.clone())),
        _ => None,
    };
    let mut state = crate::web::forms::refused(form, refusal);
    if let Some((field, invalid)) = field {
        state.errors.add(field, invalid);
    }
    state
}

async fn new_form(ctx: Ctx) -> Result<HttpResponse, AppError> {
    let user = ctx.require(Permission::RecordStock)?;
    let (spots, _, outlets) = choices(&ctx, &user.access()).await?;
    let mut form = match submission::new_record_form(&ctx, user.id).await? {
        Ok(form) => form,
        Err(go) => return Ok(go),
    };
    if form.value("aired_on").is_empty() {
        form.set("aired_on", today().to_string());
    }
    if form.value("material_id").is_empty() && spots.len() == 1 {
        form.set("material_id", spots[0].id.to_string());
    }
    if form.value("location_id").is_empty() {
        form.set("location_id", query_param(&ctx, "outlet"));
    }
    Ok(html(views::airings::form(&ctx.page, &form, &spots, &outlets, today())))
}

async fn create(ctx: Ctx, form: PostForm) -> Result<HttpResponse, AppError> {
    let user = ctx.require_post(Permission::RecordStock, &form).await?;
    let access = user.access();
    let (spots, active, outlets) = choices(&ctx, &access).await?;
    let show = |state: FormState| unprocessable(views::airings::form(&ctx.page, &state, &spots, &outlets, today()));
    let new = match parse_airing(&form, &spots, &active) {
        Ok(new) => new,
        Err(errors) => {
            let mut state = FormState::from_values(form.values());
            state.errors = errors;
            return Ok(show(state));
        }
    };
    let command = RecordAiring { by: crate::web::caller(&ctx), airing: new, answers: form.answers() };
    let outcome =
        submission::command(&ctx, &form, user.id, "flash.airing_recorded", command, |id| format!("/airings/{id}"))
            .await?;
    Ok(outcome.unwrap_or_else(|refusal| show(refused_state(&form, refusal))))
}

// ---- one airing ----

async fn load(ctx: &Ctx, access: Access, id: crate::domain::AiringId) -> Result<AiringPage, AppError> {
    db(ctx, move |conn| {
        let airing = Airing::find(conn, id)?.ok_or(AppError::NotFound)?;
        let outlet = Location::get(conn, airing.location_id)?.ok_or(AppError::NotFound)?;
        // An airing outside the user's regions is not theirs to know of.
        if !access.covers(outlet.region_id) {
            return Err(AppError::NotFound);
        }
        let material = Material::find(conn, airing.material_id)?.ok_or(AppError::NotFound)?;
        let correction = Airing::reversal_of(conn, id)?;
        let original = match airing.reverses_id {
            Some(of) => Airing::find(conn, of)?,
            None => None,
        };
        Ok(AiringPage { airing, material, outlet, correction, original })
    })
    .await
}

async fn detail(ctx: Ctx, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    let user = ctx.require(Permission::Read)?;
    let id = parse_id(&id)?;
    let loaded = load(&ctx, user.access(), id).await?;
    Ok(html(views::airings::detail(&ctx.page, &loaded, &FormState::default())))
}

async fn reverse(ctx: Ctx, id: web::Path<String>, form: PostForm) -> Result<HttpResponse, AppError> {
    let user = ctx.require_post(Permission::RecordStock, &form).await?;
    let access = user.access();
    let id = parse_id(&id)?;
    let loaded = load(&ctx, access.clone(), id).await?;
    let refuse = |refusal: Refusal| {
        unprocessable(views::airings::detail(&ctx.page, &loaded, &crate::web::forms::refused(&form, refusal)))
    };
    let reason = match parse_reason(&form) {
        Ok(r) => r,
        Err(invalid) => {
            let mut state = FormState::from_values(form.values());
            state.errors.add("reason", invalid);
            return Ok(unprocessable(views::airings::detail(&ctx.page, &loaded, &state)));
        }
    };
    let command = ReverseAiring { by: crate::web::caller(&ctx), airing_id: id, reason };
    let outcome =
        submission::command(&ctx, &form, user.id, "flash.reversed", command, move |_| format!("/airings/{id}")).await?;
    Ok(outcome.unwrap_or_else(refuse))
}
