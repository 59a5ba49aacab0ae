//! The import pages: `/imports` (upload form, templates, recent imports), `/imports/{id}` (the
//! preview, and the result once committed), its confirm and discard buttons, and
//! `/imports/templates/{kind}.csv`. Each kind needs the permission its records need by hand.

use super::service::{self, Committed, Uploaded};
use super::table::MAX_BYTES;
use super::{ImportKind, Report};
use crate::domain::{Invalid, Permission, Role};
use crate::error::AppError;
use crate::i18n::{number, tr_arg};
use crate::models::import::ImportRecord;
use crate::models::location::Location;
use crate::views::components::{csrf, heading};
use crate::views::layout::page;
use crate::web::ctx::Ctx;
use crate::web::forms::{PostForm, UploadForm};
use crate::web::{db, html, parse_id, redirect_with_flash, unprocessable};
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use maud::{html, Markup};

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

fn kind_name(ctx: &Ctx, kind: ImportKind) -> String {
    ctx.t(&format!("import.kind.{}", kind.as_str()))
}

/// What the upload form shows.
struct FormData {
    kinds: Vec<ImportKind>,
    depots: Vec<Location>,
    recent: Vec<(ImportRecord, Option<String>)>,
}

/// An administrator sees every user's imports; anyone else their own.
fn sees_all(ctx: &Ctx) -> bool {
    ctx.user.as_ref().is_some_and(|u| u.role == Role::Admin)
}

async fn form_data(ctx: &Ctx, kinds: Vec<ImportKind>) -> Result<FormData, AppError> {
    let regions = ctx.user.as_ref().map(|u| u.access()).and_then(|a| a.regions);
    let uploader = if sees_all(ctx) { None } else { ctx.user.as_ref().map(|u| u.id) };
    db(ctx, move |conn| {
        Ok(FormData {
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
        _ => {
            let title = ctx.t("import.busy");
            let body = page(ctx, &title, html! { (heading(&title, None)) p { (ctx.t("import.busy_hint")) } });
            Err(HttpResponse::ServiceUnavailable()
                .insert_header((header::RETRY_AFTER, "30"))
                .content_type("text/html; charset=utf-8")
                .body(body.into_string()))
        }
    }
}

async fn index(ctx: Ctx) -> Result<HttpResponse, AppError> {
    let kinds = require_any(&ctx)?;
    let data = form_data(&ctx, kinds).await?;
    Ok(html(render_index(&ctx, &data, None, None)))
}

fn render_index(ctx: &Ctx, data: &FormData, refusal: Option<&Report>, chosen: Option<ImportKind>) -> Markup {
    let title = ctx.t("import.title");
    let body = html! {
        (heading(&title, None))
        p { (ctx.t("import.intro")) }
        @if let Some(report) = refusal {
            div.form-error role="alert" {
                h2 { (ctx.t("import.refused")) }
                @if let Some(e) = &report.file_error { p { (e.message(ctx.lang)) } }
            }
        }
        form.stacked method="post" action="/imports" enctype="multipart/form-data" data-busy="" {
            (csrf(ctx))
            div.field {
                label for="kind" { (ctx.t("import.kind")) }
                select #kind name="kind" {
                    @for kind in &data.kinds {
                        option value=(kind.as_str()) selected[chosen == Some(*kind)] { (kind_name(ctx, *kind)) }
                    }
                }
            }
            div.field {
                label for="file" { (ctx.t("import.file")) }
                p.hint #file-hint { (ctx.t("import.file_hint")) }
                input #file type="file" name="file" accept=".csv,.txt,text/csv" required aria-describedby="file-hint";
            }
            @if data.kinds.contains(&ImportKind::Distributions) {
                div.field {
                    label for="origin" { (ctx.t("import.origin")) }
                    p.hint #origin-hint { (ctx.t("import.origin_hint")) }
                    select #origin name="origin" aria-describedby="origin-hint" {
                        option value="" { (ctx.t("import.origin_from_file")) }
                        @for depot in &data.depots {
                            option value=(depot.id) { (depot.name) " (" (depot.code) ")" }
                        }
                    }
                }
            }
            button type="submit" { (ctx.t("import.check")) }
            p.busy role="status" hidden { progress {} " " (ctx.t("import.checking")) }
        }
        h2 { (ctx.t("import.templates")) }
        p { (ctx.t("import.templates_hint")) }
        ul.templates {
            @for kind in &data.kinds {
                li {
                    a href=(format!("/imports/templates/{}.csv", kind.as_str())) download {
                        (kind_name(ctx, *kind)) " (" (kind.as_str()) ".csv)"
                    }
                    " — " (ctx.t("import.required_columns")) " "
                    // One element per column, so the list wraps between names on a phone.
                    @for (i, column) in kind.required().iter().enumerate() {
                        @if i > 0 { ", " }
                        code { (column.replace('|', " / ")) }
                    }
                }
            }
        }
        h2 { (ctx.t("import.recent")) }
        @if data.recent.is_empty() {
            p { (ctx.t("import.none_yet")) }
        } @else {
            div.table-wrap role="region" aria-label=(ctx.t("import.recent")) tabindex="0" {
                table {
                    thead { tr {
                        th scope="col" { "#" }
                        th scope="col" { (ctx.t("import.kind")) }
                        th scope="col" { (ctx.t("import.file")) }
                        th scope="col" .num { (ctx.t("import.rows")) }
                        th scope="col" { (ctx.t("import.status")) }
                        th scope="col" { (ctx.t("import.uploaded")) }
                    } }
                    tbody {
                        @for (record, by) in &data.recent {
                            tr {
                                td { a href=(format!("/imports/{}", record.id)) { (record.id) } }
                                td { (ImportKind::parse(&record.kind).map(|k| kind_name(ctx, k)).unwrap_or_default()) }
                                td { (record.file_name) }
                                td.num { (number(ctx.lang, i64::from(record.rows))) }
                                td { (ctx.t(&format!("import.status.{}", record.status))) }
                                td { (record.uploaded_at.format("%Y-%m-%d %H:%M")) " · " (by.as_deref().unwrap_or("cli")) }
                            }
                        }
                    }
                }
            }
        }
    };
    page(ctx, &title, body)
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
    let mut form = UploadForm::read(&ctx, &req, payload, MAX_BYTES).await?;
    let (kind, origin) = (form.text("kind"), form.text("origin"));
    let too_large = form.too_large;
    let file = form.take_file("file").map(|f| (f.filename.unwrap_or_else(|| "upload.csv".into()), f.data));
    let chosen = ImportKind::parse(kind.trim());
    let refuse = |report: Report, data: FormData| unprocessable(render_index(&ctx, &data, Some(&report), chosen));
    let refusal = |key: &str, arg: String| Report::refused(super::table::FileError::new(key, arg));
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
    let options = super::Options { origin_id, numbers: ctx.lang };
    // The file is read with no connection held; the checks take one per query.
    let mut pool = ctx.pool();
    let uploaded = ctx
        .state
        .import_worker
        .run(move || service::upload(&mut pool, kind, &file_name, &bytes, options, &access, &mut |_, _| {}))
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

async fn show(ctx: Ctx, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    let id = parse_id(&id)?;
    let (record, kind, origin) = load(&ctx, id).await?;
    let report = service::stored_report(&record);
    Ok(html(render_import(&ctx, &record, kind, origin.as_ref(), &report, None)))
}

fn render_import(
    ctx: &Ctx,
    record: &ImportRecord,
    kind: ImportKind,
    origin: Option<&Location>,
    report: &Report,
    refusal: Option<&Invalid>,
) -> Markup {
    let title = tr_arg(ctx.lang, "import.title_one", &record.id.to_string());
    let pending = record.status == "pending";
    // Only the uploader confirms or discards; an administrator may look.
    let owner = ctx.user.as_ref().is_some_and(|u| record.uploaded_by == Some(u.id));
    let body = html! {
        (heading(&title, None))
        @if let Some(invalid) = refusal {
            div.form-error role="alert" { p { (crate::i18n::invalid(ctx.lang, invalid)) } }
        }
        dl.facts {
            dt { (ctx.t("import.kind")) } dd { (kind_name(ctx, kind)) }
            dt { (ctx.t("import.file")) } dd { (record.file_name) }
            dt { (ctx.t("import.format")) } dd { (report.encoding) ", " (ctx.t("import.separator")) " " code { (report.delimiter) } }
            @if let Some(o) = origin { dt { (ctx.t("import.origin")) } dd { (o.name) " (" (o.code) ")" } }
            dt { (ctx.t("import.status")) } dd { (ctx.t(&format!("import.status.{}", record.status))) }
            @if let Some(ms) = record.lock_ms {
                dt { (ctx.t("import.lock_time")) } dd { (number(ctx.lang, i64::from(ms))) " ms" }
            }
        }
        @if let Some(e) = &report.file_error {
            div.form-error role="alert" { p { (e.message(ctx.lang)) } }
        }
        h2 {
            @if record.status == "committed" { (ctx.t("import.done")) }
            @else if !pending { (ctx.t("import.did")) }
            @else if report.is_clean() { (ctx.t("import.will")) }
            @else { (ctx.t("import.would")) }
        }
        ul {
            li { (tr_arg(ctx.lang, "import.rows_read", &number(ctx.lang, report.rows as i64))) }
            @for (key, n) in &report.effects {
                li { (tr_arg(ctx.lang, key, &number(ctx.lang, *n as i64))) }
            }
            @if report.skipped > 0 {
                li { (tr_arg(ctx.lang, "import.skipped", &number(ctx.lang, report.skipped as i64))) }
            }
        }
        @if report.problem_count > 0 {
            h2 #problems { (tr_arg(ctx.lang, "import.problems", &number(ctx.lang, report.problem_count as i64))) }
            p { (ctx.t("import.problems_hint")) }
            div.table-wrap role="region" aria-labelledby="problems" tabindex="0" {
                table {
                    thead { tr {
                        th scope="col" .num { (ctx.t("import.line")) }
                        th scope="col" { (ctx.t("import.column")) }
                        th scope="col" { (ctx.t("import.problem")) }
                    } }
                    tbody {
                        @for p in &report.problems {
                            tr { td.num { (p.line) } td { code { (p.column) } } td { (p.message(ctx.lang)) } }
                        }
                    }
                }
            }
            @if report.problem_count > report.problems.len() {
                p { (tr_arg(ctx.lang, "import.more_problems", &number(ctx.lang, (report.problem_count - report.problems.len()) as i64))) }
            }
        }
        @if !report.warnings.is_empty() {
            h2 #warnings { (tr_arg(ctx.lang, "import.warnings", &number(ctx.lang, report.warnings.len() as i64))) }
            div.table-wrap role="region" aria-labelledby="warnings" tabindex="0" {
                table {
                    thead { tr {
                        th scope="col" .num { (ctx.t("import.line")) }
                        th scope="col" { (ctx.t("import.column")) }
                        th scope="col" { (ctx.t("import.to_confirm")) }
                    } }
                    tbody {
                        @for w in &report.warnings {
                            tr { td.num { (w.line) } td { code { (w.column) } } td { (w.message(ctx.lang)) } }
                        }
                    }
                }
            }
        }
        @if pending && owner {
            div.actions {
                @if report.is_clean() {
                    form.inline method="post" action=(format!("/imports/{}/commit", record.id)) data-busy="" {
                        (csrf(ctx))
                        @if !report.warnings.is_empty() {
                            div.field.checkbox {
                                input #confirm-over_limit type="checkbox" name="confirm" value="over_limit";
                                label for="confirm-over_limit" { (ctx.t("import.confirm_over_limit")) }
                            }
                        }
                        button type="submit" { (ctx.t("import.confirm")) }
                        p.busy role="status" hidden { progress {} " " (ctx.t("import.writing")) }
                    }
                    " "
                }
                form.inline method="post" action=(format!("/imports/{}/discard", record.id)) {
                    (csrf(ctx))
                    button.secondary type="submit" { (ctx.t("import.discard")) }
                }
            }
        }
        p { a href="/imports" { (ctx.t("import.back")) } }
    };
    page(ctx, &title, body)
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
    let mut pool = ctx.pool();
    let answers = form.answers();
    let outcome = ctx
        .state
        .import_worker
        .run(move || match service::commit(&mut pool, id, &actor, &access, answers, &mut |_, _| {}) {
            Ok(outcome) => Ok(Ok(outcome)),
            Err(AppError::Refused(invalid)) => Ok(Err(invalid)),
            Err(e) => Err(e),
        })
        .await
        .ok_or_else(|| AppError::Invalid("the import thread stopped".into()))??;
    match outcome {
        Ok(Committed::Done { .. }) => {
            Ok(redirect_with_flash(&ctx, &format!("/imports/{id}"), "import.committed", None))
        }
        Ok(Committed::Problems(report)) => {
            let (record, _, _) = load(&ctx, id).await?;
            Ok(unprocessable(render_import(&ctx, &record, kind, origin.as_ref(), &report, None)))
        }
        Err(invalid) => {
            let report = service::stored_report(&record);
            let (record, _, _) = load(&ctx, id).await.unwrap_or((record, kind, None));
            Ok(unprocessable(render_import(&ctx, &record, kind, origin.as_ref(), &report, Some(&invalid))))
        }
    }
}

async fn discard(ctx: Ctx, id: web::Path<String>, _form: PostForm) -> Result<HttpResponse, AppError> {
    let id = parse_id(&id)?;
    own(&ctx, id).await?;
    db(&ctx, move |conn| Ok(ImportRecord::discard(conn, id)?)).await?;
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
