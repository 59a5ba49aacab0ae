//! `GET /export/{kind}.csv` and `GET /export/{kind}.xlsx`: the same filters as the kind's page,
//! any signed-in role, a region-limited user only their regions. CSV is streamed chunk by chunk
//! (each chunk read in `web::block` on a pooled connection); XLSX is written in constant memory
//! to a temporary file, then streamed.

use crate::domain::Invalid;
use crate::domain::Permission;
use crate::exchange::csv::{self as csv_out, Flavour};
use crate::exchange::export::{Filter, Kind, Params, Source, XLSX_MAX_ROWS};
use crate::exchange::xlsx;
use crate::models::shipment::ShipmentQuery;
use crate::reports::stock::StockQuery;
use crate::web::ctx::query_param;
use crate::web::ctx::Ctx;
use crate::web::AppError;
use actix_web::http::header;
use actix_web::web::{self, Bytes};
use actix_web::HttpResponse;
use std::io::Read;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/export/{file}", web::get().to(export));
}

/// The page filters an export understands, under the names the kind's page uses: the airing
/// list's `spot`, `outlet` and `ownership`; the stock pages' `location` and `depots=1`; the
/// receipt list's `depot`, `supplier` and `reversed`.
fn params(ctx: &Ctx, kind: Kind) -> Result<Params, Invalid> {
    if kind == Kind::Shipments {
        // The list's own query type, read exactly as the list reads it.
        return ShipmentQuery::from_query_string(&ctx.page.query).map(Params::from);
    }
    if kind == Kind::Stock {
        return StockQuery::from_query_string(&ctx.page.query).map(Params::from);
    }
    let first = |names: &[&str]| names.iter().map(|n| query_param(ctx, n)).find(|v| !v.is_empty()).unwrap_or_default();
    Ok(Params {
        campaign: query_param(ctx, "campaign"),
        material: first(if kind == Kind::Airings { &["material", "spot"] } else { &["material"] }),
        region: query_param(ctx, "region"),
        location_type: query_param(ctx, "type"),
        from: query_param(ctx, "from"),
        to: query_param(ctx, "to"),
        text: query_param(ctx, "q"),
        status: first(if kind == Kind::Airings { &["status", "ownership"] } else { &["status"] }),
        origin: match kind {
            Kind::Airings => first(&["origin", "outlet", "location"]),
            Kind::Shipments => query_param(ctx, "origin"),
            Kind::Receipts => first(&["depot", "origin", "location"]),
            _ => first(&["origin", "location"]),
        },
        dest: query_param(ctx, "dest"),
        supplier: query_param(ctx, "supplier"),
        reversed: query_param(ctx, "reversed"),
        sort: String::new(),
        depots: String::new(),
        recipient: String::new(),
    })
}

/// An I/O failure while writing an export.
fn io_error(e: std::io::Error) -> AppError {
    AppError::Invalid(format!("export failed: {e}"))
}

/// A refused export as a page (the error pages replace any body that is not HTML).
fn refused(ctx: &Ctx, status: actix_web::http::StatusCode, message: String) -> HttpResponse {
    let body = crate::views::errors::export_refused(&ctx.page, &message);
    HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body.into_string())
}

fn attachment(name: &str) -> header::ContentDisposition {
    crate::web::content_disposition(true, name)
}

async fn export(ctx: Ctx, file: web::Path<String>) -> Result<HttpResponse, AppError> {
    let user = ctx.require(Permission::Read)?;
    let (kind, extension) = file.rsplit_once('.').ok_or(AppError::NotFound)?;
    let kind = Kind::parse(kind).ok_or(AppError::NotFound)?;
    if !matches!(extension, "csv" | "xlsx") {
        return Err(AppError::NotFound);
    }
    let lang = ctx.lang();
    let params = match params(&ctx, kind) {
        Ok(params) => params,
        Err(invalid) => {
            let message = crate::i18n::invalid(lang, &invalid);
            return Ok(refused(&ctx, actix_web::http::StatusCode::BAD_REQUEST, message));
        }
    };
    let regions = user.access().regions;
    let resolved = crate::web::db(&ctx, move |conn| Ok(Filter::resolve(conn, kind, &params, regions)?)).await?;
    let filter = match resolved {
        Ok(filter) => filter,
        Err(refusal) => return Ok(refused(&ctx, actix_web::http::StatusCode::BAD_REQUEST, refusal.message(lang))),
    };
    let name = filter.file_name(kind, extension, chrono::Utc::now().date_naive());
    let source = Source::new(kind, filter, lang);
    if extension == "xlsx" {
        return xlsx_response(&ctx, source, &name).await;
    }
    let flavour = if query_param(&ctx, "excel") == "1" { Flavour::excel(lang) } else { Flavour::PLAIN };
    Ok(csv_response(&ctx, source, &name, flavour))
}

/// Streams the CSV: the header at once, then one chunk per poll, so a slow reader holds back
/// the reading and memory stays flat.
fn csv_response(ctx: &Ctx, source: Source, name: &str, flavour: Flavour) -> HttpResponse {
    let pool = ctx.pool();
    let head = csv_out::header(flavour, source.kind.columns()).map(Bytes::from);
    let stream = futures_util::stream::unfold((Some(source), Some(head)), move |(source, head)| {
        let pool = pool.clone();
        async move {
            if let Some(head) = head {
                return Some((head.map_err(io_error), (source, None)));
            }
            let mut source = source?;
            if source.is_done() {
                return None;
            }
            let chunk = web::block(move || -> Result<(Source, Vec<u8>), AppError> {
                let mut conn = pool.get()?;
                let rows = source.next_chunk(&mut conn)?;
                let bytes = csv_out::rows(flavour, &rows).map_err(io_error)?;
                Ok((source, bytes))
            })
            .await;
            match chunk {
                Ok(Ok((source, bytes))) => Some((Ok(Bytes::from(bytes)), (Some(source), None))),
                Ok(Err(e)) => {
                    log::error!("export stopped: {e}");
                    Some((Err(e), (None, None)))
                }
                Err(e) => Some((Err(AppError::from(e)), (None, None))),
            }
        }
    });
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(attachment(name))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(stream)
}

/// Writes the XLSX to a temporary file on the blocking pool (a pooled connection per chunk),
/// then streams the file; refused with a clear message beyond Excel's row limit.
async fn xlsx_response(ctx: &Ctx, source: Source, name: &str) -> Result<HttpResponse, AppError> {
    let lang = ctx.lang();
    let counted = source.clone();
    let rows = crate::web::db(ctx, move |conn| Ok(counted.count(conn)?)).await?;
    if rows as u64 + 1 > XLSX_MAX_ROWS {
        let message = crate::i18n::tr_arg(lang, "export.err.too_many_rows", &crate::i18n::number(lang, rows));
        return Ok(refused(ctx, actix_web::http::StatusCode::UNPROCESSABLE_ENTITY, message));
    }
    let pool = ctx.pool();
    let path = std::env::temp_dir().join(format!("campaign-tracker-{}.xlsx", crate::tokens::random_token()));
    let file = web::block(move || -> Result<std::fs::File, AppError> {
        let mut source = source;
        let written = xlsx::write(
            &path,
            &mut source,
            |s| {
                let mut conn = pool.get().map_err(|e| e.to_string())?;
                s.next_chunk(&mut conn).map_err(|e| e.to_string())
            },
            |_| {},
        );
        let opened = written
            .map_err(|e| AppError::Invalid(e.to_string()))
            .and_then(|_| std::fs::File::open(&path).map_err(io_error));
        // The open file stays readable after its name is gone; nothing is left behind.
        let _ = std::fs::remove_file(&path);
        opened
    })
    .await??;
    let stream = futures_util::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let read = web::block(move || {
            let mut buf = vec![0u8; 64 * 1024];
            let n = file.read(&mut buf)?;
            buf.truncate(n);
            Ok::<_, std::io::Error>((file, buf))
        })
        .await;
        match read {
            Ok(Ok((_, buf))) if buf.is_empty() => None,
            Ok(Ok((file, buf))) => Some((Ok(Bytes::from(buf)), Some(file))),
            Ok(Err(e)) => Some((Err(io_error(e)), None)),
            Err(e) => Some((Err(AppError::from(e)), None)),
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header(attachment(name))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(stream))
}
