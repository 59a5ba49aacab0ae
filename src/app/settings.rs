//! Settings that change what the other commands accept: the lock date closing past periods.

use super::{Command, Plan};
use crate::db::DbConn;
use crate::ledger;
use crate::models::audit::{Actor, AuditEntry};
use crate::models::setting::Setting;
use chrono::NaiveDate;

/// Why the lock date was not set.
#[derive(Debug, thiserror::Error)]
pub enum LockDateError {
    #[error("the lock date lies in the future")]
    Future,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Close every period up to `date` (no new record may be dated on or before it), or reopen them
/// all with None. The future is never closed.
#[derive(Debug, Clone)]
pub struct SetLockDate {
    pub actor: Actor,
    pub date: Option<NaiveDate>,
}

impl Command for SetLockDate {
    type Plan = SetLockDate;
    type Error = LockDateError;

    fn validate(&self, _conn: &mut DbConn) -> Result<SetLockDate, LockDateError> {
        if self.date.is_some_and(|d| d > chrono::Utc::now().date_naive()) {
            return Err(LockDateError::Future);
        }
        Ok(self.clone())
    }
}

impl Plan for SetLockDate {
    type Output = ();
    type Error = LockDateError;

    fn write(&self, conn: &mut DbConn) -> Result<(), LockDateError> {
        match self.date {
            Some(d) => Setting::set(conn, ledger::LOCK_DATE_SETTING, &d.to_string())?,
            None => Setting::delete(conn, ledger::LOCK_DATE_SETTING)?,
        }
        let summary = self.date.map(|d| d.to_string()).unwrap_or_else(|| "none".into());
        AuditEntry::record(conn, &self.actor, "set_lock_date", "setting", ledger::LOCK_DATE_SETTING, &summary)?;
        Ok(())
    }
}
