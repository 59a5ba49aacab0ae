//! Accounts: adding users, their role and regions, password resets, ending sessions, disabling.
//! Whatever would leave no active administrator is refused. Run each command whole inside one
//! write (`app::run`): the administrator count it checks is the one it changes.

use super::{Command, Plan};
use crate::db::DbConn;
use crate::domain::{Role, Username};
use crate::models::audit::{Actor, AuditEntry};
use crate::models::user::{NewUser, User, UserId};

/// Why an account change was refused.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("no such user")]
    NotFound,
    #[error("the username is taken")]
    UsernameTaken,
    #[error("no active administrator would be left")]
    LastAdmin,
    #[error("one cannot disable oneself")]
    SelfDisable,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Refuses a change that would leave no active administrator.
fn keep_an_admin(conn: &mut DbConn, user: &User, stays_admin: bool) -> Result<(), UserError> {
    if user.role == Role::Admin && user.is_active && !stays_admin && User::active_admin_count(conn)? <= 1 {
        return Err(UserError::LastAdmin);
    }
    Ok(())
}

fn existing(conn: &mut DbConn, id: UserId) -> Result<User, UserError> {
    User::find(conn, id)?.ok_or(UserError::NotFound)
}

/// Add a user with an already hashed password; a blank display name is the username.
#[derive(Debug, Clone)]
pub struct CreateUser {
    pub actor: Actor,
    pub username: Username,
    pub display_name: String,
    pub role: Role,
    pub password_hash: String,
}

impl Command for CreateUser {
    type Plan = CreateUser;
    type Error = UserError;

    fn validate(&self, conn: &mut DbConn) -> Result<CreateUser, UserError> {
        if User::find_by_username(conn, self.username.as_str())?.is_some() {
            return Err(UserError::UsernameTaken);
        }
        Ok(self.clone())
    }
}

impl Plan for CreateUser {
    /// The new user's id.
    type Output = UserId;
    type Error = UserError;

    fn write(&self, conn: &mut DbConn) -> Result<UserId, UserError> {
        let name = self.username.as_str();
        let display = if self.display_name.trim().is_empty() { name } else { self.display_name.trim() };
        let new =
            NewUser { username: name, display_name: display, password_hash: &self.password_hash, role: self.role };
        let user = User::insert(conn, &new).map_err(|e| {
            if crate::models::is_unique_violation(&e) {
                UserError::UsernameTaken
            } else {
                UserError::Database(e)
            }
        })?;
        let summary = format!("{} ({})", user.username, self.role.as_str());
        AuditEntry::record(conn, &self.actor, "create", "user", user.id, &summary)?;
        Ok(user.id)
    }
}

/// Change a user's display name, role and regions.
#[derive(Debug, Clone)]
pub struct UpdateProfile {
    pub actor: Actor,
    pub user_id: UserId,
    pub display_name: String,
    pub role: Role,
    pub region_ids: Vec<i32>,
}

impl Command for UpdateProfile {
    type Plan = UpdateProfile;
    type Error = UserError;

    fn validate(&self, conn: &mut DbConn) -> Result<UpdateProfile, UserError> {
        existing(conn, self.user_id)?;
        Ok(self.clone())
    }
}

impl Plan for UpdateProfile {
    type Output = UserId;
    type Error = UserError;

    fn write(&self, conn: &mut DbConn) -> Result<UserId, UserError> {
        let current = existing(conn, self.user_id)?;
        keep_an_admin(conn, &current, self.role == Role::Admin)?;
        let id = self.user_id;
        User::update_profile(conn, id, &self.display_name, self.role)?;
        User::set_regions(conn, id, &self.region_ids)?;
        let summary = format!("{}: role {}, {} region(s)", current.username, self.role.as_str(), self.region_ids.len());
        AuditEntry::record(conn, &self.actor, "update", "user", self.user_id, &summary)?;
        Ok(self.user_id)
    }
}

/// Set a new password (already hashed): every session the old one opened ends, since a reset
/// means the old one may be known.
#[derive(Debug, Clone)]
pub struct ResetPassword {
    pub actor: Actor,
    pub user_id: UserId,
    pub password_hash: String,
}

impl Command for ResetPassword {
    type Plan = ResetPassword;
    type Error = UserError;

    fn validate(&self, conn: &mut DbConn) -> Result<ResetPassword, UserError> {
        existing(conn, self.user_id)?;
        Ok(self.clone())
    }
}

impl Plan for ResetPassword {
    type Output = ();
    type Error = UserError;

    fn write(&self, conn: &mut DbConn) -> Result<(), UserError> {
        let user = existing(conn, self.user_id)?;
        User::set_password_hash(conn, self.user_id, &self.password_hash)?;
        User::end_sessions(conn, self.user_id)?;
        AuditEntry::record(conn, &self.actor, "reset_password", "user", self.user_id, &user.username)?;
        Ok(())
    }
}

/// End every session of a user; gives how many ended.
#[derive(Debug, Clone)]
pub struct EndSessions {
    pub actor: Actor,
    pub user_id: UserId,
}

impl Command for EndSessions {
    type Plan = EndSessions;
    type Error = UserError;

    fn validate(&self, conn: &mut DbConn) -> Result<EndSessions, UserError> {
        existing(conn, self.user_id)?;
        Ok(self.clone())
    }
}

impl Plan for EndSessions {
    type Output = usize;
    type Error = UserError;

    fn write(&self, conn: &mut DbConn) -> Result<usize, UserError> {
        let user = existing(conn, self.user_id)?;
        let n = User::end_sessions(conn, self.user_id)?;
        AuditEntry::record(
            conn,
            &self.actor,
            "end_sessions",
            "user",
            self.user_id,
            &format!("{}: {n}", user.username),
        )?;
        Ok(n)
    }
}

/// Disable a user (their sessions and tokens stop working) or enable them again. Nobody
/// disables themselves.
#[derive(Debug, Clone)]
pub struct SetUserActive {
    pub actor: Actor,
    pub user_id: UserId,
    pub active: bool,
}

impl Command for SetUserActive {
    type Plan = SetUserActive;
    type Error = UserError;

    fn validate(&self, conn: &mut DbConn) -> Result<SetUserActive, UserError> {
        existing(conn, self.user_id)?;
        if !self.active && self.actor.user_id == Some(self.user_id) {
            return Err(UserError::SelfDisable);
        }
        Ok(self.clone())
    }
}

impl Plan for SetUserActive {
    type Output = ();
    type Error = UserError;

    fn write(&self, conn: &mut DbConn) -> Result<(), UserError> {
        let user = existing(conn, self.user_id)?;
        if !self.active {
            keep_an_admin(conn, &user, false)?;
        }
        User::set_active(conn, self.user_id, self.active)?;
        let action = if self.active { "enable" } else { "disable" };
        AuditEntry::record(conn, &self.actor, action, "user", self.user_id, &user.username)?;
        Ok(())
    }
}
