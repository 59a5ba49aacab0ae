//! The import pages: `/imports` (upload form, templates, recent imports), `/imports/{id}` (the
//! preview, and the result once committed), its confirm and discard buttons, and
//! `/imports/templates/{kind}.csv`. Each kind needs the permission its records need by hand.

use crate::domain::{Permission, Role};
use crate::exchange::import::service::{self, Committed, Uploaded};
use crate::exchange::import::table::MAX_BYTES;
use crate::exchange::import::{ImportError, ImportKind, Report};
use crate::models::import::ImportRecord;
use crate::models::location::Location;
use crate::views;
use crate::views::imports::ImportForm;
use crate::web::ctx::Ctx;
use crate::web::forms::{PostForm, UploadForm};
use crate::web::{db, html, parse_id, redirect_with_flash, unprocessable, AppError};
use actix_web::http::header;
use actix_web::{web, HttpResponse};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/imports", web::get().to(index))
        .route("/imports", web::post().to(upload))
        .route("/imports/templates/{file}", web::get().to(template))
        .route("/imports/{id}", web::get().to(show))
        .route("/imports/{id}/commit", web::post().to(commit))
        .route("/imports/{id}/discard", web::post().to(discard));
}

/// The kinds the signed-in user may import.
fn allowed(ctx: &Ctx) -> Vec<ImportKind> {
    let Some(user) = &ctx.user else { return Vec::new() };
    ImportKind::ALL.into_iter().filter(|k| user.role.can(k.permission())).collect()
}

/// Any import permission at all, or 403 (401 when signed out).
fn require_any(ctx: &Ctx) -> Result<Vec<ImportKind>, AppError> {
    ctx.require(Permission::Read)?;
    let kinds = allowed(ctx);
    if kinds.is_empty() {
        return Err(AppError::Forbidden);
    }
    Ok(kinds)
}

/// An administrator sees every user's imports; anyone else their own.
fn sees_all(ctx: &Ctx) -> bool {
    ctx.user.as_ref().is_some_and(|u| u.role == Role::Admin)
}

async fn form_data(ctx: &Ctx, kinds: Vec<ImportKind>) -> Result<ImportForm, AppError> {
    let regions = ctx.user.as_ref().map(|u| u.access()).and_then(|a| a.regions);
    let uploader = if sees_all(ctx) { None } else { ctx.user.as_ref().map(|u| u.id) };
    db(ctx, move |conn| {
        Ok(ImportForm {
            kinds,
            depots: Location::depots(conn, regions.as_deref())?,
            recent: ImportRecord::recent(conn, uploader, 20)?,
        })
    })
    .await
}

/// How long an upload waits for its turn before it is turned away.
const TURN_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

/// A turn to read and check a file (imports hold whole files in memory), or 503 after a minute.
async fn turn(ctx: &Ctx) -> Result<tokio::sync::SemaphorePermit<'_>, HttpResponse> {
    match actix_web::rt::time::timeout(TURN_WAIT, ctx.state.imports.acquire()).await {
        Ok(Ok(permit)) => Ok(permit),
        _ => Err(HttpResponse::ServiceUnavailable()
            .insert_header((header::RETRY_AFTER, "30"))
            .content_type("text/html; charset=utf-8")
            .body(views::imports::busy(&ctx.page).into_string())),
    }
}

async fn index(ctx: Ctx) -> Result<HttpResponse, AppError> {
    let kinds = require_any(&ctx)?;
    let data = form_data(&ctx, kinds).await?;
    Ok(html(views::imports::index(&ctx.page, &data, None, None)))
}

/// Reads the multipart upload, stopping at the size limit so a huge body is never held.
async fn upload(
    ctx: Ctx,
    req: actix_web::HttpRequest,
    payload: actix_multipart::Multipart,
) -> Result<HttpResponse, AppError> {
    let kinds = require_any(&ctx)?;
    let _turn = match turn(&ctx).await {
        Ok(permit) => permit,
        Err(busy) => return Ok(busy),
    };
    let mut form = UploadForm::read(&ctx.state, &ctx.browser, &req, payload, MAX_BYTES).await?;
    let (kind, origin) = (form.text("kind"), form.text("origin"));
    let too_large = form.too_large;
    let file = form.take_file("file").map(|f| (f.filename.unwrap_or_else(|| "upload.csv".into()), f.data));
    let chosen = ImportKind::parse(kind.trim());
    let refuse = |report: Report, data: ImportForm| {
        unprocessable(views::imports::index(&ctx.page, &data, Some(&report), chosen))
    };
    let refusal = |key: &str, arg: String| Report::refused(crate::exchange::import::table::FileError::new(key, arg));
    let Some(kind) = chosen.filter(|k| kinds.contains(k)) else {
        let data = form_data(&ctx, kinds).await?;
        return Ok(refuse(refusal("import.err.kind", kind), data));
    };
    if too_large {
        let data = form_data(&ctx, kinds).await?;
        return Ok(refuse(refusal("import.err.too_large", format!("> {}", MAX_BYTES / (1024 * 1024))), data));
    }
    let Some((file_name, bytes)) = file else {
        let data = form_data(&ctx, kinds).await?;
        return Ok(refuse(refusal("import.err.empty", String::new()), data));
    };
    let user = ctx.require(kind.permission())?;
    let access = user.access();
    let origin_id = match origin.trim() {
        "" => None,
        raw => Some(parse_id(raw)?),
    };
    let depot_ok = {
        let access = access.clone();
        db(&ctx, move |conn| match origin_id {
            None => Ok(true),
            Some(id) => Ok(Location::get(conn, id)?.is_some_and(|l| l.is_depot && access.covers(l.region_id))),
        })
        .await?
    };
    if !depot_ok || (origin_id.is_some() && kind != ImportKind::Distributions) {
        let data = form_data(&ctx, kinds).await?;
        return Ok(refuse(refusal("import.err.origin", origin), data));
    }
    let options = crate::exchange::import::Options { origin_id, numbers: ctx.lang() };
    // The file is read with no connection held; the checks take one per query.
    let mut pool = crate::db::ServerConnections { pool: ctx.pool(), writer: ctx.state.writer.clone() };
    let uploaded = ctx
        .state
        .import_worker
        .run(move || service::upload(&mut pool, kind, &file_name, bytes, options, &access, &mut |_, _| {}))
        .await
        .ok_or_else(|| AppError::Invalid("the import thread stopped".into()))??;
    match uploaded {
        Uploaded::Stored { id, .. } => {
            Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, format!("/imports/{id}"))).finish())
        }
        Uploaded::Refused(report) => {
            let data = form_data(&ctx, kinds).await?;
            Ok(refuse(report, data))
        }
    }
}

/// An import the user may see: their own (an administrator sees every one), of their kinds.
/// Anyone else's is "not found".
async fn load(ctx: &Ctx, id: i32) -> Result<(ImportRecord, ImportKind, Option<Location>), AppError> {
    let kinds = require_any(ctx)?;
    let user_id = ctx.user.as_ref().map(|u| u.id);
    let all = sees_all(ctx);
    let (record, origin) = db(ctx, move |conn| {
        let record =
            ImportRecord::find(conn, id)?.filter(|r| all || r.uploaded_by == user_id).ok_or(AppError::NotFound)?;
        let origin = match record.origin_id {
            Some(id) => Location::get(conn, id)?,
            None => None,
        };
        Ok((record, origin))
    })
    .await?;
    let kind = ImportKind::parse(&record.kind).filter(|k| kinds.contains(k)).ok_or(AppError::NotFound)?;
    Ok((record, kind, origin))
}

/// Only the uploader confirms or discards; an administrator may look.
fn owner(ctx: &Ctx, record: &ImportRecord) -> bool {
    ctx.user.as_ref().is_some_and(|u| record.uploaded_by == Some(u.id))
}

async fn show(ctx: Ctx, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    let id = parse_id(&id)?;
    let (record, kind, origin) = load(&ctx, id).await?;
    let report = service::stored_report(&record);
    Ok(html(views::imports::import(&ctx.page, &record, kind, origin.as_ref(), &report, None, owner(&ctx, &record))))
}

/// The import, if the signed-in user uploaded it: only the uploader commits or discards.
async fn own(ctx: &Ctx, id: i32) -> Result<(ImportRecord, ImportKind, Option<Location>), AppError> {
    let loaded = load(ctx, id).await?;
    let user = ctx.require(loaded.1.permission())?;
    if loaded.0.uploaded_by != Some(user.id) {
        return Err(AppError::Forbidden);
    }
    Ok(loaded)
}

async fn commit(ctx: Ctx, id: web::Path<String>, form: PostForm) -> Result<HttpResponse, AppError> {
    let id = parse_id(&id)?;
    let (record, kind, origin) = own(&ctx, id).await?;
    let access = ctx.require(kind.permission())?.access();
    let actor = crate::web::actor(&ctx);
    let _turn = match turn(&ctx).await {
        Ok(permit) => permit,
        Err(busy) => return Ok(busy),
    };
    let mut connections = crate::db::ServerConnections { pool: ctx.pool(), writer: ctx.state.writer.clone() };
    let answers = form.answers();
    let outcome = ctx
        .state
        .import_worker
        .run(move || match service::commit(&mut connections, id, &actor, &access, answers, &mut |_, _| {}) {
            Ok(outcome) => Ok(Ok(outcome)),
            Err(ImportError::Refused(invalid)) => Ok(Err(invalid)),
            Err(e) => Err(AppError::from(e)),
        })
        .await
        .ok_or_else(|| AppError::Invalid("the import thread stopped".into()))??;
    let (report, refusal) = match outcome {
        Ok(Committed::Done { .. }) => {
            return Ok(redirect_with_flash(&ctx, &format!("/imports/{id}"), "import.committed", None))
        }
        Ok(Committed::Problems(report)) => (report, None),
        Err(invalid) => (service::stored_report(&record), Some(invalid)),
    };
    let (record, _, _) = load(&ctx, id).await.unwrap_or((record, kind, None));
    let owner = owner(&ctx, &record);
    Ok(unprocessable(views::imports::import(
        &ctx.page,
        &record,
        kind,
        origin.as_ref(),
        &report,
        refusal.as_ref(),
        owner,
    )))
}

async fn discard(ctx: Ctx, id: web::Path<String>, _form: PostForm) -> Result<HttpResponse, AppError> {
    let id = parse_id(&id)?;
    own(&ctx, id).await?;
    crate::web::write(&ctx, move |conn| Ok(ImportRecord::discard(conn, id)?)).await?;
    Ok(redirect_with_flash(&ctx, &format!("/imports/{id}"), "import.discarded", None))
}

/// A header-only CSV with the export's columns, for any signed-in user who may import it.
async fn template(ctx: Ctx, file: web::Path<String>) -> Result<HttpResponse, AppError> {
    let kinds = require_any(&ctx)?;
    let kind = file
        .strip_suffix(".csv")
        .and_then(ImportKind::parse)
        .filter(|k| kinds.contains(k))
        .ok_or(AppError::NotFound)?;
    let flavour = crate::exchange::csv::Flavour::PLAIN;
    let bytes = crate::exchange::csv::header(flavour, &kind.template_columns())
        .map_err(|e| AppError::Invalid(e.to_string()))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}-template.csv\"", kind.as_str()),
        ))
        .body(bytes))
}
