//! HTTP: routes per area, the request context, forms, security middleware and error pages.
//! Handlers are thin: extract, authorize, one model call, render or redirect. They give views a
//! `PageContext` (`ctx.page`), never the request: views depend on nothing here.

pub mod airings;
pub mod audit;
pub mod auth;
pub mod catalogue;
pub mod commands;
pub mod ctx;
pub mod dashboard;
pub mod device;
pub mod error;
pub mod errors;
pub mod exports;
pub mod forms;
pub mod home;
pub mod imports;
pub mod locations;
pub mod recipient;
pub mod reference;
pub mod security;
pub mod shipments;
pub mod state;
pub mod stock;
pub mod submission;
pub mod targets;
pub mod users;

use crate::db::DbConn;
use crate::models::audit::Actor;
use crate::web::state::AppState;
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use ctx::{query_param, Ctx};
use maud::Markup;

pub use error::AppError;

/// Imports uploaded and checked at the same time by one instance; others wait their turn.
pub const IMPORTS_AT_ONCE: usize = 1;

/// Registers every route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/static/{file:.*}", web::get().to(static_file))
        .configure(auth::routes)
        .configure(home::routes)
        .configure(catalogue::routes)
        .configure(locations::routes)
        .configure(reference::routes)
        .configure(users::routes)
        .configure(audit::routes)
        .configure(stock::routes)
        .configure(shipments::routes)
        .configure(airings::routes)
        .configure(targets::routes)
        .configure(dashboard::routes)
        .configure(exports::routes)
        .configure(imports::routes)
        .configure(recipient::routes);
}

/// Runs `f` with a pooled connection on the blocking thread pool.
pub async fn db<T, F>(ctx: &Ctx, f: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
{
    let pool = ctx.pool();
    web::block(move || {
        let mut conn = pool.get()?;
        f(&mut conn)
    })
    .await?
}

/// Runs `f` in one write transaction: through SQLite's one writer (see `db::writer`), or on a
/// pooled PostgreSQL connection.
pub async fn write<T, F>(ctx: &Ctx, f: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
{
    write_with(&ctx.state, f).await
}

/// `write`, before a request's context exists.
pub async fn write_with<T, F>(state: &AppState, f: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
{
    match &state.writer {
        Some(writer) => writer.run(f).await,
        None => {
            let pool = state.pool.clone();
            web::block(move || pool.get()?.write_transaction(f)).await?
        }
    }
}

/// Attempts of a write transaction that PostgreSQL aborted as a deadlock or serialization
/// failure; the ledger locks rows in a fixed order, so this is a backstop.
const WRITE_ATTEMPTS: u32 = 3;

/// True for a failure that a new attempt of the same transaction may not meet.
fn is_transient(e: &AppError) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match e {
        AppError::Database(Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _)) => true,
        AppError::Database(Error::DatabaseError(_, info)) => info.message().contains("deadlock detected"),
        _ => false,
    }
}

/// `write`, tried again on PostgreSQL when it was aborted as a deadlock or serialization
/// failure (SQLite's one writer meets neither).
pub async fn write_retrying<T, F>(ctx: &Ctx, f: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: Fn(&mut DbConn) -> Result<T, AppError> + Send + 'static,
{
    if let Some(writer) = &ctx.state.writer {
        return writer.run(f).await;
    }
    db(ctx, move |conn| {
        let mut attempt = 1;
        loop {
            match conn.write_transaction(&f) {
                Err(e) if attempt < WRITE_ATTEMPTS && is_transient(&e) => {
                    log::warn!("retrying a write transaction after: {e}");
                    std::thread::sleep(std::time::Duration::from_millis(10 * u64::from(attempt)));
                    attempt += 1;
                }
                other => return other,
            }
        }
    })
    .await
}

/// Post/Redirect/Get: a 303 to `location` carrying a flash message.
pub fn redirect_with_flash(ctx: &Ctx, location: &str, key: &str, arg: Option<&str>) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .cookie(security::flash_cookie(key, arg, ctx.state.config.secure_cookies))
        .finish()
}

pub fn redirect(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish()
}

/// A form shown again with its messages: 422, so scripts and tests can tell it from success.
pub fn unprocessable(markup: Markup) -> HttpResponse {
    HttpResponse::UnprocessableEntity().content_type("text/html; charset=utf-8").body(markup.into_string())
}

pub fn html(markup: Markup) -> HttpResponse {
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(markup.into_string())
}

/// The audit actor for the signed-in user of `ctx`.
pub fn actor(ctx: &Ctx) -> Actor {
    match &ctx.user {
        Some(u) => Actor { user_id: Some(u.id), name: u.username.clone(), ip: ctx.ip.clone() },
        None => Actor { user_id: None, name: "anonymous".into(), ip: ctx.ip.clone() },
    }
}

/// Who acts in this request, for a command: where they may act and how the audit log names them.
pub fn caller(ctx: &Ctx) -> crate::app::Caller {
    let access = match &ctx.user {
        Some(u) => u.access(),
        None => crate::app::Access { user_id: None, regions: Some(Vec::new()) },
    };
    crate::app::Caller { access, actor: actor(ctx) }
}

/// Which keyset page a list request asks for (`after`, `before`, `last`); an old `?page=` link
/// is the first page.
pub fn seek_param(ctx: &Ctx) -> crate::models::keyset::Seek {
    let get = |k: &str| Some(query_param(ctx, k)).filter(|v| !v.is_empty());
    crate::models::keyset::Seek::from_params(get("after").as_deref(), get("before").as_deref(), get("last").as_deref())
}

/// The `page` parameter of an offset list: a whole number from 1, anything else is page 1.
pub fn page_param(ctx: &Ctx) -> i64 {
    query_param(ctx, "page").parse::<i64>().ok().filter(|p| *p >= 1 && *p <= 1_000_000).unwrap_or(1)
}

/// `Content-Disposition` for a file of any name (RFC 6266): an ASCII `filename` for old clients
/// and the exact name, percent-encoded UTF-8, as `filename*`.
pub fn content_disposition(attachment: bool, file_name: &str) -> header::ContentDisposition {
    use header::{Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue};
    let fallback: String = file_name
        .chars()
        .map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' })
        .collect();
    let mut parameters = vec![DispositionParam::Filename(fallback.clone())];
    if fallback != file_name {
        parameters.push(DispositionParam::FilenameExt(ExtendedValue {
            charset: Charset::Ext("UTF-8".into()),
            language_tag: None,
            value: file_name.as_bytes().to_vec(),
        }));
    }
    let disposition = if attachment { DispositionType::Attachment } else { DispositionType::Inline };
    ContentDisposition { disposition, parameters }
}

/// An id from a path segment or select; anything but a positive 32-bit number is "not found".
pub fn parse_id<Id: From<i32>>(raw: &str) -> Result<Id, AppError> {
    raw.parse::<i32>().ok().filter(|id| *id > 0).map(Id::from).ok_or(AppError::NotFound)
}

/// Answers 200 when the database answers; for load balancers, no sign-in.
async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let pool = state.health_pool.clone();
    let ok = web::block(move || -> Result<(), AppError> {
        use diesel::connection::SimpleConnection;
        let mut conn = pool.get()?;
        conn.batch_execute("SELECT 1")?;
        Ok(())
    })
    .await;
    match ok {
        Ok(Ok(())) => HttpResponse::Ok().content_type("text/plain").body("ok"),
        _ => HttpResponse::ServiceUnavailable().content_type("text/plain").body("database unavailable"),
    }
}

#[derive(rust_embed::RustEmbed)]
#[folder = "static/"]
struct StaticAssets;

/// Stylesheet, icons and scripts, embedded in the binary.
async fn static_file(path: web::Path<String>) -> HttpResponse {
    match StaticAssets::get(path.as_str()) {
        Some(file) => HttpResponse::Ok()
            .content_type(file.metadata.mimetype())
            .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
            .body(file.data.into_owned()),
        None => HttpResponse::NotFound().finish(),
    }
}

/// Validates and writes a form in one write transaction with its audit entry. Gives the saved
/// record's id, or the form state to show again (typed values, messages; a duplicate `code` is
/// reported on that field).
async fn save_form<T, W, Id>(
    ctx: &Ctx,
    form: &forms::PostForm,
    parsed: Result<T, crate::views::form::FieldErrors>,
    write: W,
) -> Result<Result<Id, crate::views::form::FormState>, AppError>
where
    T: Send + 'static,
    Id: Send + 'static,
    W: FnOnce(&mut DbConn, T, &Actor) -> Result<Id, AppError> + Send + 'static,
{
    let mut state = crate::views::form::FormState::from_values(form.values());
    for (name, values) in multi_values(form) {
        state.multi.insert(name, values);
    }
    let value = match parsed {
        Ok(value) => value,
        Err(errors) => {
            state.errors = errors;
            return Ok(Err(state));
        }
    };
    let actor = actor(ctx);
    let result = self::write(ctx, move |conn| write(conn, value, &actor)).await;
    match result {
        Ok(id) => Ok(Ok(id)),
        Err(AppError::Database(e)) if crate::models::is_unique_violation(&e) => {
            state.errors.add("code", crate::domain::Invalid::new("err.code_taken"));
            Ok(Err(state))
        }
        Err(AppError::Refused(invalid)) if invalid.key == "err.code_taken" => {
            state.errors.add("code", invalid);
            Ok(Err(state))
        }
        Err(AppError::Refused(invalid)) => {
            state.form_error = Some(invalid);
            Ok(Err(state))
        }
        Err(e) => Err(e),
    }
}

/// `save_form` for a command: `make` turns the parsed form and the actor into the command,
/// which is checked and written in one write transaction.
pub async fn save_command<T, C, M>(
    ctx: &Ctx,
    form: &forms::PostForm,
    parsed: Result<T, crate::views::form::FieldErrors>,
    make: M,
) -> Result<Result<<C::Plan as crate::app::Plan>::Output, crate::views::form::FormState>, AppError>
where
    T: Send + 'static,
    C: crate::app::Command,
    <C::Plan as crate::app::Plan>::Output: Send + 'static,
    M: FnOnce(T, Actor) -> C + Send + 'static,
    AppError: From<C::Error>,
{
    save_form(ctx, form, parsed, move |conn, value, actor| Ok(crate::app::run(conn, &make(value, actor.clone()))?))
        .await
}

/// Repeated fields (checkbox lists) of a form.
fn multi_values(form: &forms::PostForm) -> Vec<(String, Vec<String>)> {
    ["region_ids"]
        .iter()
        .map(|name| (name.to_string(), form.all(name).into_iter().map(String::from).collect()))
        .collect()
}
