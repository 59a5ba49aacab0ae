//! Failed-login counters per username and per IP, kept in the database so every instance sees them.

use crate::db::schema::login_throttles;
use crate::db::DbConn;
use crate::models::now;
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

/// Failures allowed before any delay applies: the fifth attempt after four failures waits.
const FREE_FAILURES: i32 = 3;
/// The longest wait between two attempts: long enough to stop guessing, short enough that an
/// attacker cannot lock the administrator out for long.
const MAX_DELAY_SECONDS: i64 = 15 * 60;
/// A counter untouched this long starts again from zero.
const FORGET_AFTER: Duration = Duration::hours(24);

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = login_throttles)]
pub struct LoginThrottle {
    pub key: String,
    pub failures: i32,
    pub last_failure_at: NaiveDateTime,
}

impl LoginThrottle {
    /// The key for a username, whatever the IP. Whatever was typed (control characters, any
    /// length) becomes a storable key.
    pub fn user_key(username: &str) -> String {
        let clean: String = username.trim().to_lowercase().chars().filter(|c| !c.is_control()).take(64).collect();
        format!("user:{clean}")
    }

    /// The key for an IP address, whatever the username.
    pub fn ip_key(ip: &str) -> String {
        format!("ip:{ip}")
    }

    /// The delay owed after `failures` failures: doubling from one second.
    pub fn delay_for(failures: i32) -> Duration {
        if failures <= FREE_FAILURES {
            return Duration::zero();
        }
        let exponent = (failures - FREE_FAILURES - 1).min(20) as u32;
        Duration::seconds((1i64 << exponent).min(MAX_DELAY_SECONDS))
    }

    /// Seconds the caller must still wait before another attempt for any of these keys.
    pub fn wait_seconds(conn: &mut DbConn, keys: &[String]) -> QueryResult<i64> {
        let rows: Vec<LoginThrottle> = login_throttles::table
            .filter(login_throttles::key.eq_any(keys))
            .select(LoginThrottle::as_select())
            .load(conn)?;
        let at = now();
        Ok(rows
            .iter()
            .filter(|row| at - row.last_failure_at < FORGET_AFTER)
            .map(|row| {
                let ready_at = row.last_failure_at + Self::delay_for(row.failures);
                (ready_at - at).num_milliseconds().max(0).saturating_add(999) / 1000
            })
            .max()
            .unwrap_or(0))
    }

    /// Counts one failure against each key.
    pub fn record_failure(conn: &mut DbConn, keys: &[String]) -> QueryResult<()> {
        let at = now();
        for key in keys {
            // Relative UPDATE first; insert when the key is new; a racing insert means update again.
            let forget_before = at - FORGET_AFTER;
            diesel::delete(
                login_throttles::table
                    .filter(login_throttles::key.eq(key))
                    .filter(login_throttles::last_failure_at.lt(forget_before)),
            )
            .execute(conn)?;
            let bump = |conn: &mut DbConn| {
                diesel::update(login_throttles::table.find(key))
                    .set((
                        login_throttles::failures.eq(login_throttles::failures + 1),
                        login_throttles::last_failure_at.eq(at),
                    ))
                    .execute(conn)
            };
            if bump(conn)? == 0 {
                // In its own savepoint: inside a PostgreSQL transaction a failed insert would
                // otherwise abort the whole transaction, and the update after it with it.
                let inserted = conn.transaction(|conn| {
                    diesel::insert_into(login_throttles::table)
                        .values((
                            login_throttles::key.eq(key),
                            login_throttles::failures.eq(1),
                            login_throttles::last_failure_at.eq(at),
                        ))
                        .execute(conn)
                });
                match inserted {
                    Ok(_) => {}
                    Err(e) if super::is_unique_violation(&e) => {
                        bump(conn)?;
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(())
    }

    pub fn clear(conn: &mut DbConn, key: &str) -> QueryResult<()> {
        diesel::delete(login_throttles::table.find(key)).execute(conn)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_storable_whatever_was_typed() {
        assert_eq!(LoginThrottle::user_key(" Ana\u{0}x "), "user:anax");
        assert_eq!(LoginThrottle::user_key(&"a".repeat(500)).len(), "user:".len() + 64);
    }

    #[test]
    fn delay_grows_and_is_capped() {
        assert_eq!(LoginThrottle::delay_for(FREE_FAILURES), Duration::zero());
        assert_eq!(LoginThrottle::delay_for(FREE_FAILURES + 1), Duration::seconds(1));
        assert_eq!(LoginThrottle::delay_for(FREE_FAILURES + 3), Duration::seconds(4));
        assert_eq!(LoginThrottle::delay_for(1000), Duration::seconds(MAX_DELAY_SECONDS));
        assert_eq!(LoginThrottle::delay_for(4), Duration::seconds(1), "four failures: the fifth attempt waits");
    }
}
