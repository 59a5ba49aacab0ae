//! The dashboard (the managers' and viewers' landing page) and the printable campaign report.

use crate::domain::Invalid;
use crate::domain::Permission;
use crate::models::campaign::Campaign;
use crate::models::material::Material;
use crate::reports::coverage::{self, DashboardParams, DashboardQuery};
use crate::views;
use crate::views::form::FieldErrors;
use crate::web::ctx::Ctx;
use crate::web::{db, html, unprocessable, AppError};
use actix_web::{web, HttpResponse};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard", web::get().to(dashboard)).route("/report", web::get().to(report));
}

/// What a dashboard or report request asks for: None when there is no campaign yet, else the
/// checked query, or the values as typed with what was refused.
type Asked = Option<Result<(Campaign, DashboardQuery), Refused>>;

/// A refused request: the values as typed, the messages per field and the one at the top.
struct Refused {
    params: DashboardParams,
    errors: FieldErrors,
    summary: Invalid,
}

fn asked(ctx: &Ctx, campaigns: &[Campaign], materials: &[Material]) -> Asked {
    if campaigns.is_empty() {
        return None;
    }
    let scope = ctx.user.as_ref().map(|u| u.scope()).unwrap_or_default();
    let params = match DashboardParams::from_query_string(&ctx.page.query) {
        Ok(params) => params,
        Err(unreadable) => {
            return Some(Err(Refused {
                params: DashboardParams::default(),
                errors: FieldErrors::new(),
                summary: unreadable,
            }))
        }
    };
    Some(params.check(scope, campaigns, materials).map_err(|refusals| {
        let errors = FieldErrors::from_refusals(refusals);
        Refused { params, errors, summary: Invalid::new("form.fix_errors") }
    }))
}

/// The filters again with their messages (422): never figures for something not asked.
fn refused(ctx: &Ctx, action: &str, campaigns: &[Campaign], materials: &[Material], r: &Refused) -> HttpResponse {
    unprocessable(views::dashboard::refused(&ctx.page, action, campaigns, materials, &r.params, &r.errors, &r.summary))
}

async fn dashboard(ctx: Ctx) -> Result<HttpResponse, AppError> {
    ctx.require(Permission::Read)?;
    let (campaigns, materials) = db(&ctx, |conn| Ok((Campaign::all(conn)?, Material::all(conn, None)?))).await?;
    let (campaign, q) = match asked(&ctx, &campaigns, &materials) {
        None => return Ok(html(views::home::home(&ctx.page, &[], 0))),
        Some(Err(r)) => return Ok(refused(&ctx, "/dashboard", &campaigns, &materials, &r)),
        Some(Ok(asked)) => asked,
    };
    let asked = q.clone();
    let figures = ctx.state.figures.clone();
    let data = db(&ctx, move |conn| {
        let key = crate::reports::cache::key(&asked, chrono::Utc::now().date_naive());
        Ok(figures.dashboards.get_or_compute(conn, key, |conn| coverage::dashboard(conn, &asked))?)
    })
    .await?;
    Ok(html(views::dashboard::page_view(&ctx.page, &campaigns, &campaign, &q, &data)))
}

async fn report(ctx: Ctx) -> Result<HttpResponse, AppError> {
    ctx.require(Permission::Read)?;
    let (campaigns, materials) = db(&ctx, |conn| Ok((Campaign::all(conn)?, Material::all(conn, None)?))).await?;
    let (campaign, q) = match asked(&ctx, &campaigns, &materials) {
        None => return Err(AppError::NotFound),
        Some(Err(r)) => return Ok(refused(&ctx, "/report", &campaigns, &materials, &r)),
        Some(Ok(asked)) => asked,
    };
    let asked = q.clone();
    let figures = ctx.state.figures.clone();
    let data = db(&ctx, move |conn| {
        let key = crate::reports::cache::key(&asked, chrono::Utc::now().date_naive());
        Ok(figures.reports.get_or_compute(conn, key, |conn| crate::reports::campaign::report(conn, &asked))?)
    })
    .await?;
    Ok(html(views::report::page_view(&ctx.page, &campaign, &q, &data)))
}
