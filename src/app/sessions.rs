//! Signing in and out: what a password check's outcome writes (the throttle's counters, the
//! session, its audit line, a form parked before sign-in), and the first administrator.

use super::{Command, Plan};
use crate::db::DbConn;
use crate::domain::{Role, Username};
use crate::models::audit::{Actor, AuditEntry};
use crate::models::pending_form::PendingForm;
use crate::models::session::Session;
use crate::models::setting::Setting;
use crate::models::throttle::LoginThrottle;
use crate::models::user::{NewUser, User};
use diesel::result::Error as DieselError;

/// Record a password check: an active user whose password matched clears the counter of the
/// key they signed in under; anything else counts a failure against every key given. Gives the
/// user when they may sign in.
#[derive(Debug, Clone)]
pub struct RecordSignInAttempt {
    pub user: Option<User>,
    pub password_matched: bool,
    pub success_key: String,
    pub failure_keys: Vec<String>,
}

impl Command for RecordSignInAttempt {
    type Plan = RecordSignInAttempt;
    type Error = DieselError;

    fn validate(&self, _conn: &mut DbConn) -> Result<RecordSignInAttempt, DieselError> {
        Ok(self.clone())
    }
}

impl Plan for RecordSignInAttempt {
    type Output = Option<User>;
    type Error = DieselError;

    fn write(&self, conn: &mut DbConn) -> Result<Option<User>, DieselError> {
        match &self.user {
            Some(user) if self.password_matched && user.is_active => {
                LoginThrottle::clear(conn, &self.success_key)?;
                Ok(Some(user.clone()))
            }
            _ => {
                LoginThrottle::record_failure(conn, &self.failure_keys)?;
                Ok(None)
            }
        }
    }
}

/// Open a session for a signed-in user, with its audit line; a form parked by the same browser
/// before sign-in (`resume` under `old_owner`) moves to the new session. Gives the parked form's
/// page, if there was one. Old sessions and submission keys are purged on the way.
#[derive(Debug, Clone)]
pub struct OpenSession {
    pub user: User,
    pub session_id: String,
    pub ip: String,
    pub resume: Option<(String, String)>,
}

impl Command for OpenSession {
    type Plan = OpenSession;
    type Error = DieselError;

    fn validate(&self, _conn: &mut DbConn) -> Result<OpenSession, DieselError> {
        Ok(self.clone())
    }
}

impl Plan for OpenSession {
    type Output = Option<String>;
    type Error = DieselError;

    fn write(&self, conn: &mut DbConn) -> Result<Option<String>, DieselError> {
        let user = &self.user;
        Session::purge_expired(conn)?;
        crate::models::submission::Submission::purge_old(conn)?;
        Session::create(conn, &self.session_id, user.id, &self.ip)?;
        let actor = Actor { user_id: Some(user.id), name: user.username.clone(), ip: self.ip.clone() };
        AuditEntry::record(conn, &actor, "sign_in", "user", user.id, "")?;
        let Some((resume_id, old_owner)) = &self.resume else { return Ok(None) };
        let pending = PendingForm::find(conn, resume_id, old_owner)?;
        if pending.is_some() {
            PendingForm::transfer(conn, resume_id, old_owner, &self.session_id)?;
        }
        Ok(pending.map(|p| p.path))
    }
}

/// End a session; the audit log says so when there was one.
#[derive(Debug, Clone)]
pub struct SignOut {
    pub actor: Actor,
    pub session_id: String,
}

impl Command for SignOut {
    type Plan = SignOut;
    type Error = DieselError;

    fn validate(&self, _conn: &mut DbConn) -> Result<SignOut, DieselError> {
        Ok(self.clone())
    }
}

impl Plan for SignOut {
    type Output = ();
    type Error = DieselError;

    fn write(&self, conn: &mut DbConn) -> Result<(), DieselError> {
        if Session::delete(conn, &self.session_id)? > 0 {
            let user_id = self.actor.user_id.map_or(0, |id| id.0);
            AuditEntry::record(conn, &self.actor, "sign_out", "user", user_id, "")?;
        }
        Ok(())
    }
}

/// Create the first administrator from the set-up link and sign them in; the link's token
/// (setting `token_key`) is spent. Gives false when a user exists already: two people racing
/// for the link get one administrator.
#[derive(Debug, Clone)]
pub struct SetUpFirstAdmin {
    pub username: Username,
    pub display_name: String,
    pub password_hash: String,
    pub token_key: &'static str,
    pub session_id: String,
    pub ip: String,
}

impl Command for SetUpFirstAdmin {
    type Plan = SetUpFirstAdmin;
    type Error = DieselError;

    fn validate(&self, _conn: &mut DbConn) -> Result<SetUpFirstAdmin, DieselError> {
        Ok(self.clone())
    }
}

impl Plan for SetUpFirstAdmin {
    type Output = bool;
    type Error = DieselError;

    fn write(&self, conn: &mut DbConn) -> Result<bool, DieselError> {
        // Counted inside the write: the check and the insert are one transaction.
        if User::count(conn)? > 0 {
            return Ok(false);
        }
        let name = self.username.as_str();
        let display = if self.display_name.is_empty() { name } else { &self.display_name };
        let new =
            NewUser { username: name, display_name: display, password_hash: &self.password_hash, role: Role::Admin };
        let user = User::insert(conn, &new)?;
        Setting::delete(conn, self.token_key)?;
        let actor = Actor { user_id: Some(user.id), name: user.username.clone(), ip: self.ip.clone() };
        AuditEntry::record(conn, &actor, "create", "user", user.id, "first administrator (setup)")?;
        Session::create(conn, &self.session_id, user.id, &self.ip)?;
        Ok(true)
    }
}
