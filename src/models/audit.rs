//! The audit log: every write, who made it, when, from where, and to which record.

use crate::db::schema::audit_log;
use crate::db::DbConn;
use crate::domain::UserId;
use crate::models::keyset::{Seek, Total, Window};
use crate::models::now;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Who is writing: a signed-in user, or the command line.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<UserId>,
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
    pub user_id: Option<UserId>,
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

    /// One keyset page of the log, newest first: the entries after (or before) an id, the total
    /// counted up to `COUNT_CAP`.
    pub fn window(
        conn: &mut DbConn,
        filter: &AuditFilter,
        seek: &Seek,
        per_page: usize,
    ) -> QueryResult<Window<AuditEntry>> {
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
        let total = Total::count(conn, build().select(audit_log::id))?;
        let back = seek.backwards();
        // A key that does not read is the first page (or the last), never an error.
        let key = match seek {
            Seek::After(k) | Seek::Before(k) => k.parse::<i32>().ok(),
            Seek::First | Seek::Last => None,
        };
        let q = match key {
            Some(id) if back => build().filter(audit_log::id.gt(id)),
            Some(id) => build().filter(audit_log::id.lt(id)),
            None => build(),
        };
        let q = if back { q.order(audit_log::id.asc()) } else { q.order(audit_log::id.desc()) };
        let rows = q.limit(per_page as i64 + 1).select(AuditEntry::as_select()).load(conn)?;
        Ok(Window::from_rows(rows, per_page, seek, total, |e| e.id.to_string()))
    }

    pub fn entities(conn: &mut DbConn) -> QueryResult<Vec<String>> {
        audit_log::table.select(audit_log::entity).distinct().order(audit_log::entity).load(conn)
    }
}
