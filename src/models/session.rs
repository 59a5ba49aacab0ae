//! Server-side sessions: the cookie holds a random token, the table holds its SHA-256.

use crate::db::schema::{sessions, users};
use crate::db::DbConn;
use crate::domain::UserId;
use crate::models::now;
use crate::models::user::User;
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

/// Signed-in users' sessions expire after this long without a request…
pub const IDLE_TIMEOUT: Duration = Duration::hours(2);
/// …and after this long in any case.
pub const ABSOLUTE_TIMEOUT: Duration = Duration::hours(12);
/// Refreshing `last_seen_at` on every request would turn each read into a write.
const TOUCH_INTERVAL: Duration = Duration::seconds(60);

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct Session {
    pub id: String,
    pub user_id: UserId,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub ip: String,
}

/// What a session row needs after a request read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upkeep {
    None,
    Touch,
    Remove,
}

impl Session {
    pub fn create(conn: &mut DbConn, id_hash: &str, user_id: UserId, ip: &str) -> QueryResult<()> {
        let at = now();
        diesel::insert_into(sessions::table)
            .values((
                sessions::id.eq(id_hash),
                sessions::user_id.eq(user_id),
                sessions::created_at.eq(at),
                sessions::last_seen_at.eq(at),
                sessions::ip.eq(ip),
            ))
            .execute(conn)?;
        Ok(())
    }

    /// The live session and its active user, and what the session row needs (the idle clock
    /// refreshed, or removal once expired). Only reads: the caller writes the upkeep.
    pub fn resolve(conn: &mut DbConn, id_hash: &str) -> QueryResult<(Option<(Session, User)>, Upkeep)> {
        let found = sessions::table
            .inner_join(users::table)
            .filter(sessions::id.eq(id_hash))
            .select((Session::as_select(), User::as_select()))
            .first::<(Session, User)>(conn)
            .optional()?;
        let Some((session, user)) = found else {
            return Ok((None, Upkeep::None));
        };
        let at = now();
        let expired = at - session.last_seen_at > IDLE_TIMEOUT || at - session.created_at > ABSOLUTE_TIMEOUT;
        if expired || !user.is_active {
            return Ok((None, Upkeep::Remove));
        }
        let upkeep = if at - session.last_seen_at > TOUCH_INTERVAL { Upkeep::Touch } else { Upkeep::None };
        Ok((Some((session, user)), upkeep))
    }

    /// Writes what `resolve` found the session row needs.
    pub fn keep_up(conn: &mut DbConn, id_hash: &str, upkeep: Upkeep) -> QueryResult<()> {
        match upkeep {
            Upkeep::None => {}
            Upkeep::Touch => {
                diesel::update(sessions::table.find(id_hash)).set(sessions::last_seen_at.eq(now())).execute(conn)?;
            }
            Upkeep::Remove => {
                Self::delete(conn, id_hash)?;
            }
        }
        Ok(())
    }

    pub fn delete(conn: &mut DbConn, id_hash: &str) -> QueryResult<usize> {
        diesel::delete(sessions::table.find(id_hash)).execute(conn)
    }

    /// Removes sessions past either timeout.
    pub fn purge_expired(conn: &mut DbConn) -> QueryResult<usize> {
        let at = now();
        diesel::delete(
            sessions::table.filter(
                sessions::last_seen_at.lt(at - IDLE_TIMEOUT).or(sessions::created_at.lt(at - ABSOLUTE_TIMEOUT)),
            ),
        )
        .execute(conn)
    }

    pub fn count_for_user(conn: &mut DbConn, user_id: UserId) -> QueryResult<i64> {
        sessions::table.filter(sessions::user_id.eq(user_id)).count().get_result(conn)
    }
}
