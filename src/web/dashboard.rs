//! The dashboard (the managers' and viewers' landing page) and the printable campaign report.

use crate::domain::Permission;
use crate::error::AppError;
use crate::models::campaign::Campaign;
use crate::models::material::Material;
use crate::reports::coverage::{self, DashboardQuery};
use crate::views;
use crate::web::ctx::Ctx;
use crate::web::{db, html, query_param};
use actix_web::{web, HttpResponse};
use chrono::NaiveDate;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard", web::get().to(dashboard)).route("/report", web::get().to(report));
}

/// Default days in transit before a shipment is flagged.
pub const DEFAULT_TRANSIT_DAYS: i64 = 14;

/// The campaign and range asked for, with the campaign's own period and first stocked material
/// as defaults. Anything unreadable falls back to its default rather than failing.
fn query(ctx: &Ctx, campaigns: &[Campaign], materials: &[Material]) -> Option<(Campaign, DashboardQuery)> {
    let scope = ctx.user.as_ref().map(|u| u.scope()).unwrap_or_default();
    let campaign = query_param(ctx, "campaign")
        .parse::<i32>()
        .ok()
        .and_then(|id| campaigns.iter().find(|c| c.id == id))
        .or_else(|| campaigns.first())?
        .clone();
    let date = |name: &str, default: NaiveDate| {
        NaiveDate::parse_from_str(&query_param(ctx, name), "%Y-%m-%d").unwrap_or(default)
    };
    let mut from = date("from", campaign.starts_on);
    let mut to = date("to", campaign.ends_on);
    if to < from {
        std::mem::swap(&mut from, &mut to);
    }
    let own: Vec<&Material> = materials.iter().filter(|m| m.campaign_id == campaign.id && !m.is_broadcast()).collect();
    let material_id = query_param(ctx, "material")
        .parse::<i32>()
        .ok()
        .filter(|id| own.iter().any(|m| m.id == *id))
        .or_else(|| own.first().map(|m| m.id))
        .unwrap_or(0);
    let transit_days =
        query_param(ctx, "days").parse::<i64>().ok().filter(|d| (1..=365).contains(d)).unwrap_or(DEFAULT_TRANSIT_DAYS);
    Some((campaign.clone(), DashboardQuery { scope, campaign_id: campaign.id, from, to, material_id, transit_days }))
}

async fn dashboard(ctx: Ctx) -> Result<HttpResponse, AppError> {
    ctx.require(Permission::Read)?;
    let (campaigns, materials) = db(&ctx, |conn| Ok((Campaign::all(conn)?, Material::all(conn, None)?))).await?;
    let Some((campaign, q)) = query(&ctx, &campaigns, &materials) else {
        return Ok(html(views::home::home(&ctx, &[], 0)));
    };
    let asked = q.clone();
    let figures = ctx.state.figures.clone();
    let data = db(&ctx, move |conn| {
        let key = crate::reports::cache::key(&asked, chrono::Utc::now().date_naive());
        Ok(figures.dashboards.get_or_compute(conn, key, |conn| coverage::dashboard(conn, &asked))?)
    })
    .await?;
    Ok(html(views::dashboard::page_view(&ctx, &campaigns, &campaign, &q, &data)))
}

async fn report(ctx: Ctx) -> Result<HttpResponse, AppError> {
    ctx.require(Permission::Read)?;
    let (campaigns, materials) = db(&ctx, |conn| Ok((Campaign::all(conn)?, Material::all(conn, None)?))).await?;
    let Some((campaign, q)) = query(&ctx, &campaigns, &materials) else {
        return Err(AppError::NotFound);
    };
    let asked = q.clone();
    let figures = ctx.state.figures.clone();
    let data = db(&ctx, move |conn| {
        let key = crate::reports::cache::key(&asked, chrono::Utc::now().date_naive());
        Ok(figures.reports.get_or_compute(conn, key, |conn| crate::reports::campaign::report(conn, &asked))?)
    })
    .await?;
    Ok(html(views::report::page_view(&ctx, &campaign, &q, &data)))
}
