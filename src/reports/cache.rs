//! Figures computed once per change, not once per reader. The dashboard, the report and the
//! coverage export are the same figures for everyone asking the same question, so each is kept
//! in memory under its question and a version of the data that every write changes: readers
//! between two writes share one computation, and a computation runs once while the readers who
//! arrive meanwhile wait for it.
//!
//! The version is read from the database on every request, so several instances stay right:
//! every state change is recorded in `audit_log` in its own transaction, so the newest entry's
//! id, with how many of the last thousand ids are there (a transaction that took an earlier id
//! and committed later still changes it), changes with every write. "Today" is part of the
//! question, since stock as of today and overdue shipments move with the date.

use crate::db::DbConn;
use diesel::prelude::*;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The version of everything the figures read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DataVersion {
    newest: i64,
    recent: i64,
}

impl DataVersion {
    pub fn read(conn: &mut DbConn) -> QueryResult<DataVersion> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            newest: i64,
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            recent: i64,
        }
        // Two index lookups: the newest id, then a count over at most a thousand ids.
        let row: Row = diesel::sql_query(
            "SELECT CAST(COALESCE(m.newest, 0) AS BIGINT) AS newest, \
                    CAST((SELECT COUNT(*) FROM audit_log WHERE id > COALESCE(m.newest, 0) - 1000) AS BIGINT) AS recent \
             FROM (SELECT MAX(id) AS newest FROM audit_log) m",
        )
        .get_result(conn)?;
        Ok(DataVersion { newest: row.newest, recent: row.recent })
    }
}

/// Computed values of one kind, by question, each valid for one data version.
pub struct Memo<T> {
    entries: Mutex<HashMap<String, (DataVersion, Arc<T>)>>,
    /// Held while computing, so readers who miss together compute once.
    computing: Mutex<()>,
}

/// Questions kept per kind; the oldest half goes when it fills (a region-limited user, another
/// range or material each add one).
const CAPACITY: usize = 64;

impl<T> Default for Memo<T> {
    fn default() -> Self {
        Memo { entries: Mutex::new(HashMap::new()), computing: Mutex::new(()) }
    }
}

impl<T> Memo<T> {
    fn get(&self, key: &str, version: DataVersion) -> Option<Arc<T>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.get(key).filter(|(v, _)| *v == version).map(|(_, value)| value.clone())
    }

    /// The value for `key` at the data's current version: kept, or computed now.
    pub fn get_or_compute<E>(
        &self,
        conn: &mut DbConn,
        key: String,
        compute: impl FnOnce(&mut DbConn) -> Result<T, E>,
    ) -> Result<Arc<T>, E>
    where
        E: From<diesel::result::Error>,
    {
        let version = DataVersion::read(conn)?;
        if let Some(value) = self.get(&key, version) {
            return Ok(value);
        }
        let _turn = self.computing.lock().unwrap_or_else(|e| e.into_inner());
        // Someone may have computed it while this reader waited.
        let version = DataVersion::read(conn)?;
        if let Some(value) = self.get(&key, version) {
            return Ok(value);
        }
        let value = Arc::new(compute(conn)?);
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= CAPACITY {
            // Stale versions first, then arbitrary ones: a cache, not a record.
            entries.retain(|_, (v, _)| *v == version);
            if entries.len() >= CAPACITY {
                let drop: Vec<String> = entries.keys().take(CAPACITY / 2).cloned().collect();
                for k in drop {
                    entries.remove(&k);
                }
            }
        }
        entries.insert(key, (version, value.clone()));
        Ok(value)
    }
}

/// The kept figures of one server process.
#[derive(Default)]
pub struct Figures {
    pub dashboards: Memo<crate::reports::coverage::Dashboard>,
    pub reports: Memo<crate::reports::campaign::CampaignReport>,
}

/// The key of a question: its parameters and today's date.
pub fn key(q: &crate::reports::coverage::DashboardQuery, today: chrono::NaiveDate) -> String {
    format!("{q:?}@{today}")
}
