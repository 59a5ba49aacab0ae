//! The landing page.

use crate::domain::Permission;
use crate::models::campaign::Campaign;
use crate::models::location::Location;
use crate::models::material::Material;
use crate::views;
use crate::web::ctx::Ctx;
use crate::web::{db, html, AppError};
use actix_web::{web, HttpResponse};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home));
}

async fn home(ctx: Ctx) -> Result<HttpResponse, AppError> {
    let user = ctx.require(Permission::Read)?;
    // Managers and viewers come to read coverage: the dashboard is their start page.
    if matches!(user.role, crate::domain::Role::Manager | crate::domain::Role::Viewer) {
        return Ok(crate::web::redirect("/dashboard"));
    }
    let (campaigns, locations) = db(&ctx, |conn| {
        let campaigns = Campaign::all(conn)?;
        let materials = Material::all(conn, None)?;
        let grouped = campaigns
            .into_iter()
            .map(|c| {
                let own = materials.iter().filter(|m| m.campaign_id == c.id).cloned().collect();
                (c, own)
            })
            .collect::<Vec<_>>();
        Ok((grouped, Location::count(conn)?))
    })
    .await?;
    Ok(html(views::home::home(&ctx.page, &campaigns, locations)))
}
