//! `campaign-tracker backup FILE`: a consistent copy of a live SQLite database, taken with
//! `VACUUM INTO` through the application's own connection settings while the server keeps running.

use super::connection::{establish, Backend, DbConn, DbError};
use diesel::connection::SimpleConnection;
use diesel::RunQueryDsl;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What a backup wrote.
#[derive(Debug)]
pub struct BackupReport {
    /// The copy.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// From opening the database to the copy being on disk and checked.
    pub elapsed: Duration,
}

/// Why no backup was written, worded for one `error:` line.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "backup copies SQLite databases; for PostgreSQL use pg_dump, e.g. pg_dump --format=custom --file=FILE '{0}' (restore with pg_restore, see the README)"
    )]
    Postgres(String),
    #[error("{0} already exists: a backup never overwrites a file, choose a new name")]
    Exists(PathBuf),
    #[error("no SQLite database at {0}")]
    NoDatabase(String),
    #[error("the backup file name must be valid UTF-8: {0}")]
    BadName(PathBuf),
    #[error("cannot create {path}: {reason}")]
    Create { path: PathBuf, reason: String },
    #[error(transparent)]
    Database(#[from] DbError),
    #[error("the copy to {path} failed: {reason}")]
    Copy { path: PathBuf, reason: String },
    #[error("the copy {path} failed its check: {result}")]
    Check { path: PathBuf, result: String },
}

#[derive(diesel::QueryableByName)]
struct CheckRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    quick_check: String,
}

/// Copies the SQLite database at `database_url` to `target`, which must not exist yet.
///
/// `VACUUM INTO` reads one snapshot (a read transaction; in WAL mode writers carry on), so the copy
/// holds every transaction committed before it started and none of those committed after. The
/// copy is created with mode 0600 (it holds password hashes and sessions), fsynced, and
/// `PRAGMA quick_check`ed before it is reported.
pub fn backup(database_url: &str, target: &Path) -> Result<BackupReport, BackupError> {
    let started = Instant::now();
    if Backend::from_url(database_url) == Backend::Postgres {
        return Err(BackupError::Postgres(super::redact_url(database_url)));
    }
    let source = database_url.strip_prefix("sqlite://").unwrap_or(database_url);
    if !Path::new(source).is_file() {
        return Err(BackupError::NoDatabase(source.to_string()));
    }
    let name = target.to_str().ok_or_else(|| BackupError::BadName(target.to_path_buf()))?.to_string();
    // Created here, empty and exclusively: a file that appeared meanwhile is never overwritten
    // (VACUUM INTO accepts an empty file).
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(target).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            BackupError::Exists(target.to_path_buf())
        } else {
            BackupError::Create { path: target.to_path_buf(), reason: e.to_string() }
        }
    })?;
    match copy_into(database_url, &name, target) {
        Ok(bytes) => Ok(BackupReport { path: target.to_path_buf(), bytes, elapsed: started.elapsed() }),
        Err(e) => {
            // A half-written copy must not pass for a backup.
            let _ = std::fs::remove_file(target);
            Err(e)
        }
    }
}

fn copy_into(database_url: &str, name: &str, target: &Path) -> Result<u64, BackupError> {
    let copy_failed = |reason: String| BackupError::Copy { path: target.to_path_buf(), reason };
    let mut conn = establish(database_url)?;
    let DbConn::Sqlite(inner) = &mut conn else {
        return Err(BackupError::Postgres(super::redact_url(database_url)));
    };
    diesel::sql_query("VACUUM INTO ?")
        .bind::<diesel::sql_types::Text, _>(name)
        .execute(inner)
        .map_err(|e| copy_failed(e.to_string()))?;
    drop(conn);

    File::open(target).and_then(|f| f.sync_all()).map_err(|e| copy_failed(e.to_string()))?;
    if let Some(dir) = target.parent().map(|p| if p.as_os_str().is_empty() { Path::new(".") } else { p }) {
        // The new directory entry too, so the copy survives a power cut right after.
        File::open(dir).and_then(|d| d.sync_all()).map_err(|e| copy_failed(e.to_string()))?;
    }

    let mut copy = establish(name)?;
    let DbConn::Sqlite(inner) = &mut copy else {
        return Err(copy_failed("not an SQLite file".into()));
    };
    // The copy keeps the rollback journal: a single file, whole on its own.
    inner.batch_execute("PRAGMA journal_mode = DELETE;").map_err(|e| copy_failed(e.to_string()))?;
    let rows: Vec<CheckRow> =
        diesel::sql_query("PRAGMA quick_check").load(inner).map_err(|e| copy_failed(e.to_string()))?;
    let result = rows.into_iter().map(|r| r.quick_check).collect::<Vec<_>>().join("; ");
    if result != "ok" {
        return Err(BackupError::Check { path: target.to_path_buf(), result });
    }
    drop(copy);
    std::fs::metadata(target).map(|m| m.len()).map_err(|e| copy_failed(e.to_string()))
}
