//! Accounts: who can sign in, with which role, limited to which regions.

use crate::db::schema::{sessions, user_regions, users};
use crate::db::DbConn;
use crate::domain::Role;
pub use crate::domain::UserId;
use crate::models::now;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: Role,
    pub is_active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
}

impl User {
    pub fn id(&self) -> UserId {
        self.id
    }

    pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
        users::table.count().get_result(conn)
    }

    pub fn all(conn: &mut DbConn) -> QueryResult<Vec<User>> {
        users::table.order(users::username).select(User::as_select()).load(conn)
    }

    pub fn find(conn: &mut DbConn, id: UserId) -> QueryResult<Option<User>> {
        users::table.find(id.0).select(User::as_select()).first(conn).optional()
    }

    pub fn find_by_username(conn: &mut DbConn, username: &str) -> QueryResult<Option<User>> {
        users::table.filter(users::username.eq(username)).select(User::as_select()).first(conn).optional()
    }

    pub fn insert(conn: &mut DbConn, new: &NewUser) -> QueryResult<User> {
        let at = now();
        diesel::insert_into(users::table)
            .values((
                users::username.eq(new.username),
                users::display_name.eq(new.display_name),
                users::password_hash.eq(new.password_hash),
                users::role.eq(new.role),
                users::is_active.eq(true),
                users::created_at.eq(at),
                users::updated_at.eq(at),
            ))
            .get_result::<(UserId, String, String, String, Role, bool, NaiveDateTime, NaiveDateTime)>(conn)
            .map(|row| User {
                id: row.0,
                username: row.1,
                display_name: row.2,
                password_hash: row.3,
                role: row.4,
                is_active: row.5,
                created_at: row.6,
                updated_at: row.7,
            })
    }

    pub fn update_profile(conn: &mut DbConn, id: UserId, display_name: &str, role: Role) -> QueryResult<usize> {
        diesel::update(users::table.find(id.0))
            .set((users::display_name.eq(display_name), users::role.eq(role), users::updated_at.eq(now())))
            .execute(conn)
    }

    pub fn set_password_hash(conn: &mut DbConn, id: UserId, hash: &str) -> QueryResult<usize> {
        diesel::update(users::table.find(id.0))
            .set((users::password_hash.eq(hash), users::updated_at.eq(now())))
            .execute(conn)
    }

    /// Enables or disables the account; disabling also ends its sessions at once.
    pub fn set_active(conn: &mut DbConn, id: UserId, active: bool) -> QueryResult<usize> {
        let n = diesel::update(users::table.find(id.0))
            .set((users::is_active.eq(active), users::updated_at.eq(now())))
            .execute(conn)?;
        if !active {
            Self::end_sessions(conn, id)?;
        }
        Ok(n)
    }

    pub fn end_sessions(conn: &mut DbConn, id: UserId) -> QueryResult<usize> {
        diesel::delete(sessions::table.filter(sessions::user_id.eq(id.0))).execute(conn)
    }

    pub fn active_admin_count(conn: &mut DbConn) -> QueryResult<i64> {
        users::table.filter(users::role.eq(Role::Admin)).filter(users::is_active.eq(true)).count().get_result(conn)
    }

    pub fn region_ids(conn: &mut DbConn, id: UserId) -> QueryResult<Vec<i32>> {
        user_regions::table
            .filter(user_regions::user_id.eq(id.0))
            .select(user_regions::region_id)
            .order(user_regions::region_id)
            .load(conn)
    }

    /// Replaces the regions a user is limited to; none means all regions.
    pub fn set_regions(conn: &mut DbConn, id: UserId, region_ids: &[i32]) -> QueryResult<()> {
        diesel::delete(user_regions::table.filter(user_regions::user_id.eq(id.0))).execute(conn)?;
        for region_id in region_ids {
            diesel::insert_into(user_regions::table)
                .values((user_regions::user_id.eq(id.0), user_regions::region_id.eq(region_id)))
                .execute(conn)?;
        }
        Ok(())
    }
}
