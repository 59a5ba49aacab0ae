//! The audit log page.

use crate::domain::{Invalid, Permission};
use crate::models::audit::{AuditEntry, AuditFilter};
use crate::views;
use crate::views::form::FieldErrors;
use crate::web::ctx::Ctx;
use crate::web::{db, html, seek_param, unprocessable, AppError};
use actix_web::{web, HttpResponse};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/audit", web::get().to(audit));
}

/// The log's filter as typed: the kind of record (`entity`), empty for every kind.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
struct AuditQuery {
    entity: String,
}

/// The log, newest first, by keyset. A kind of record that is not in the log is refused beside
/// its field (422), never an empty list that looks like "nothing happened".
async fn audit(ctx: Ctx) -> Result<HttpResponse, AppError> {
    ctx.require(Permission::ReadAudit)?;
    let read: Result<AuditQuery, Invalid> = crate::models::query::from_query_string(&ctx.page.query);
    let entity = read.as_ref().map(|q| q.entity.trim().to_string()).unwrap_or_default();
    let seek = seek_param(&ctx);
    let asked = entity.clone();
    let (entries, entities) = db(&ctx, move |conn| {
        let entities = AuditEntry::entities(conn)?;
        let entries = match read {
            Err(unreadable) => Err((None, unreadable)),
            Ok(_) if !asked.is_empty() && !entities.contains(&asked) => {
                Err((Some(Invalid::with("filter.err.entity", &asked)), Invalid::new("form.fix_errors")))
            }
            Ok(_) => {
                let filter = AuditFilter { entity: (!asked.is_empty()).then_some(asked), actor: None };
                Ok(AuditEntry::window(conn, &filter, &seek, 100)?)
            }
        };
        Ok((entries, entities))
    })
    .await?;
    match entries {
        Ok(entries) => {
            Ok(html(views::admin::audit(&ctx.page, Some(&entries), &entities, &entity, &FieldErrors::new(), None)))
        }
        Err((field, summary)) => {
            let mut errors = FieldErrors::new();
            if let Some(invalid) = field {
                errors.add("entity", invalid);
            }
            Ok(unprocessable(views::admin::audit(&ctx.page, None, &entities, &entity, &errors, Some(&summary))))
        }
    }
}
