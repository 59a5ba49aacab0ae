//! One-time submission keys: the same form, posted again, leads to what it recorded the first time.
//! A key belongs to the user who posted it: another user's same key is a different key.

use crate::db::schema::submissions;
use crate::db::DbConn;
use crate::domain::UserId;
use crate::models::now;
use chrono::Duration;
use diesel::prelude::*;

/// Spent keys are kept this long, then purged.
const KEEP_FOR: Duration = Duration::days(7);

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = submissions)]
pub struct Submission {
    pub key: String,
    pub user_id: UserId,
    pub fingerprint: String,
    pub result_path: String,
}

impl Submission {
    pub fn find(conn: &mut DbConn, user_id: UserId, key: &str) -> QueryResult<Option<Submission>> {
        submissions::table.find((user_id, key)).select(Submission::as_select()).first(conn).optional()
    }

    /// Claims the key; false when it was already claimed. A concurrent claim of the same key
    /// waits for this transaction (PostgreSQL's unique index; SQLite's one writer) and then
    /// finds it taken.
    pub fn claim(conn: &mut DbConn, key: &str, user_id: UserId, fingerprint: &str) -> QueryResult<bool> {
        let values = (
            submissions::key.eq(key),
            submissions::user_id.eq(user_id),
            submissions::fingerprint.eq(fingerprint),
            submissions::result_path.eq(""),
            submissions::created_at.eq(now()),
        );
        let insert = diesel::insert_into(submissions::table).values(values).on_conflict_do_nothing();
        // MultiConnection has no upsert; the inner connection is inside the same transaction.
        let inserted = match conn {
            DbConn::Sqlite(c) => insert.execute(c)?,
            DbConn::Postgresql(c) => insert.execute(c)?,
        };
        Ok(inserted == 1)
    }

    pub fn set_result(conn: &mut DbConn, user_id: UserId, key: &str, path: &str) -> QueryResult<()> {
        diesel::update(submissions::table.find((user_id, key))).set(submissions::result_path.eq(path)).execute(conn)?;
        Ok(())
    }

    pub fn purge_old(conn: &mut DbConn) -> QueryResult<usize> {
        diesel::delete(submissions::table.filter(submissions::created_at.lt(now() - KEEP_FOR))).execute(conn)
    }
}
