//! Forms posted after the session expired, kept until the person signs in again.

use crate::db::schema::pending_forms;
use crate::db::DbConn;
use crate::models::now;
use chrono::Duration;
use diesel::prelude::*;

/// Kept this long; a form not resumed by then is dropped.
const KEEP_FOR: Duration = Duration::hours(12);
/// The largest body kept: the largest real form (a count sheet, a shipment) is a few KB.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// Forms kept per browser, and overall; the oldest go first.
const PER_OWNER: i64 = 5;
const OVERALL: i64 = 2000;

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = pending_forms)]
pub struct PendingForm {
    pub id: String,
    pub owner: String,
    pub path: String,
    pub body: String,
}

impl PendingForm {
    /// Keeps a form (at most `MAX_BODY_BYTES`: a larger one is not kept and `false` comes back),
    /// dropping expired forms and the oldest beyond the caps per browser and overall.
    pub fn save(conn: &mut DbConn, id: &str, owner: &str, path: &str, body: &str) -> QueryResult<bool> {
        if body.len() > MAX_BODY_BYTES {
            return Ok(false);
        }
        diesel::delete(pending_forms::table.filter(pending_forms::created_at.lt(now() - KEEP_FOR))).execute(conn)?;
        let beyond_owner_cap: Vec<String> = pending_forms::table
            .filter(pending_forms::owner.eq(owner))
            .order((pending_forms::created_at.desc(), pending_forms::id.desc()))
            .offset(PER_OWNER - 1)
            .select(pending_forms::id)
            .load(conn)?;
        let beyond_cap: Vec<String> = pending_forms::table
            .order((pending_forms::created_at.desc(), pending_forms::id.desc()))
            .offset(OVERALL - 1)
            .select(pending_forms::id)
            .load(conn)?;
        for ids in [beyond_owner_cap, beyond_cap] {
            if !ids.is_empty() {
                diesel::delete(pending_forms::table.filter(pending_forms::id.eq_any(ids))).execute(conn)?;
            }
        }
        diesel::insert_into(pending_forms::table)
            .values((
                pending_forms::id.eq(id),
                pending_forms::owner.eq(owner),
                pending_forms::path.eq(path),
                pending_forms::body.eq(body),
                pending_forms::created_at.eq(now()),
            ))
            .execute(conn)?;
        Ok(true)
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
