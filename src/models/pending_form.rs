//! Forms posted after the session expired, kept until the person signs in again.

use crate::db::schema::pending_forms;
use crate::db::DbConn;
use crate::models::now;
use chrono::Duration;
use diesel::prelude::*;

/// Kept this long; a form not resumed by then is dropped.
const KEEP_FOR: Duration = Duration::hours(12);

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = pending_forms)]
pub struct PendingForm {
    pub id: String,
    pub owner: String,
    pub path: String,
    pub body: String,
}

impl PendingForm {
    pub fn save(conn: &mut DbConn, id: &str, owner: &str, path: &str, body: &str) -> QueryResult<()> {
        diesel::delete(pending_forms::table.filter(pending_forms::created_at.lt(now() - KEEP_FOR))).execute(conn)?;
        diesel::insert_into(pending_forms::table)
            .values((
                pending_forms::id.eq(id),
                pending_forms::owner.eq(owner),
                pending_forms::path.eq(path),
                pending_forms::body.eq(body),
                pending_forms::created_at.eq(now()),
            ))
            .execute(conn)?;
        Ok(())
    }

    /// The form saved by this browser under this id, if any.
    pub fn find(conn: &mut DbConn, id: &str, owner: &str) -> QueryResult<Option<PendingForm>> {
        pending_forms::table
            .filter(pending_forms::id.eq(id))
            .filter(pending_forms::owner.eq(owner))
            .select(PendingForm::as_select())
            .first(conn)
            .optional()
    }

    /// Hands the form over to the new browser id after sign-in.
    pub fn transfer(conn: &mut DbConn, id: &str, from_owner: &str, to_owner: &str) -> QueryResult<usize> {
        diesel::update(
            pending_forms::table.filter(pending_forms::id.eq(id)).filter(pending_forms::owner.eq(from_owner)),
        )
        .set(pending_forms::owner.eq(to_owner))
        .execute(conn)
    }

    pub fn delete(conn: &mut DbConn, id: &str) -> QueryResult<usize> {
        diesel::delete(pending_forms::table.find(id)).execute(conn)
    }
}
