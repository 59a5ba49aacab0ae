//! The audit log: every write, who made it, when, from where, and to which record.

use crate::db::schema::audit_log;
use crate::db::DbConn;
use crate::models::{now, Page};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Who is writing: a signed-in user, or the command line.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<i32>,
    pub name: String,
    pub ip: String,
}

impl Actor {
    /// Writes made by the command line (demo loader, user administration).
    pub fn cli() -> Self {
        Actor { user_id: None, name: "cli".into(), ip: "-".into() }
    }
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct AuditEntry {
    pub id: i32,
    pub at: NaiveDateTime,
    pub user_id: Option<i32>,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub summary: String,
    pub ip: String,
}

/// Filters of the audit page.
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub entity: Option<String>,
    pub actor: Option<String>,
}

impl AuditEntry {
    /// Appends one entry; call it inside the transaction of the write it describes.
    pub fn record(
        conn: &mut DbConn,
        actor: &Actor,
        action: &str,
        entity: &str,
        entity_id: impl ToString,
        summary: &str,
    ) -> QueryResult<()> {
        diesel::insert_into(audit_log::table)
            .values((
                audit_log::at.eq(now()),
                audit_log::user_id.eq(actor.user_id),
                audit_log::actor.eq(&actor.name),
                audit_log::action.eq(action),
                audit_log::entity.eq(entity),
                audit_log::entity_id.eq(entity_id.to_string()),
                audit_log::summary.eq(summary),
                audit_log::ip.eq(&actor.ip),
            ))
            .execute(conn)?;
        Ok(())
    }

    pub fn page(conn: &mut DbConn, filter: &AuditFilter, page: i64, per_page: i64) -> QueryResult<Page<AuditEntry>> {
        let build = || {
            let mut query = audit_log::table.into_boxed();
            if let Some(entity) = &filter.entity {
                query = query.filter(audit_log::entity.eq(entity.clone()));
            }
            if let Some(actor) = &filter.actor {
                query = query.filter(audit_log::actor.eq(actor.clone()));
            }
            query
        };
        let total = build().count().get_result(conn)?;
        let rows = build()
            .order(audit_log::id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
            .select(AuditEntry::as_select())
            .load(conn)?;
        Ok(Page { rows, total, page, per_page })
    }

    pub fn entities(conn: &mut DbConn) -> QueryResult<Vec<String>> {
        audit_log::table.select(audit_log::entity).distinct().order(audit_log::entity).load(conn)
    }
}
