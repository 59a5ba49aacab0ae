//! The audit log page.

use crate::domain::Permission;
use crate::error::AppError;
use crate::models::audit::{AuditEntry, AuditFilter};
use crate::views;
use crate::web::ctx::Ctx;
use crate::web::{db, html, page_param, query_param};
use actix_web::{web, HttpResponse};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/audit", web::get().to(audit));
}

async fn audit(ctx: Ctx) -> Result<HttpResponse, AppError> {
    ctx.require(Permission::ReadAudit)?;
    let entity = query_param(&ctx, "entity");
    let filter = AuditFilter { entity: (!entity.is_empty()).then(|| entity.clone()), actor: None };
    let page = page_param(&ctx);
    let (entries, entities) =
        db(&ctx, move |conn| Ok((AuditEntry::page(conn, &filter, page, 100)?, AuditEntry::entities(conn)?))).await?;
    Ok(html(views::admin::audit(&ctx, &entries, &entities, &entity)))
}
