//! One connection type over SQLite and PostgreSQL, a pool that keeps connect errors readable,
//! and the per-connection SQLite pragmas the ledger relies on.

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{self, ManageConnection};
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::time::Duration;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// The application's connection: either backend, chosen at run time from the URL.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

pub type Pool = r2d2::Pool<ConnectionManager>;
pub type PooledConn = r2d2::PooledConnection<ConnectionManager>;

/// Which database a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// `postgres://` or `postgresql://` is PostgreSQL; anything else is an SQLite path or `sqlite://` URL.
    pub fn from_url(url: &str) -> Self {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// A connection or migration failure, worded for a person reading one log line.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("malformed database URL {url:?}: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("cannot connect to the {backend} database: {reason}")]
    Connect { backend: &'static str, reason: String },
    #[error("cannot migrate the database: {0}")]
    Migrate(String),
}

/// Strips `sqlite://` so both a plain path and a URL open the same file.
fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://").unwrap_or(url)
}

/// Opens one connection of the right backend and applies the per-connection settings.
pub fn establish(url: &str) -> Result<DbConn, DbError> {
    match Backend::from_url(url) {
        Backend::Postgres => {
            url::Url::parse(url).map_err(|e| DbError::BadUrl { url: redact(url), reason: e.to_string() })?;
            let conn = PgConnection::establish(url)
                .map_err(|e| DbError::Connect { backend: "PostgreSQL", reason: one_line(&e.to_string()) })?;
            Ok(DbConn::Postgresql(conn))
        }
        Backend::Sqlite => {
            let path = sqlite_path(url);
            if path.is_empty() || path == ":memory:" {
                return Err(DbError::BadUrl {
                    url: url.to_string(),
                    reason: "an SQLite database must be a file path (each pooled connection would get its own in-memory database)".into(),
                });
            }
            let mut conn = SqliteConnection::establish(path)
                .map_err(|e| DbError::Connect { backend: "SQLite", reason: format!("{path}: {e}") })?;
            // synchronous=FULL: an acknowledged write survives a power cut, not only a crash.
            // mmap: every pooled connection reads the file through the operating system's one
            // page cache instead of copying pages into a small cache of its own, which made
            // sixteen readers slower together than one alone.
            conn.batch_execute(
                "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA synchronous = FULL; \
                 PRAGMA mmap_size = 1073741824;",
            )
            .map_err(|e| DbError::Connect { backend: "SQLite", reason: e.to_string() })?;
            Ok(DbConn::Sqlite(conn))
        }
    }
}

/// libpq's messages span lines; a log line should not.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Hides a password in a URL before it reaches a log line.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}

/// r2d2 manager that picks the backend from the URL and reports the real connect error.
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: String,
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConn;
    type Error = DbError;

    fn connect(&self) -> Result<DbConn, DbError> {
        establish(&self.url)
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), DbError> {
        conn.batch_execute("SELECT 1").map_err(|e| DbError::Connect { backend: "database", reason: e.to_string() })
    }

    fn has_broken(&self, _conn: &mut DbConn) -> bool {
        false
    }
}

/// Builds the pool, failing at once with the real reason when the database cannot be reached.
pub fn connect_pool(url: &str, max_size: u32) -> Result<Pool, DbError> {
    // One connection first: its error is the one the person needs to read.
    let first = establish(url)?;
    if let DbConn::Sqlite(mut conn) = first {
        // WAL is a property of the file: set it once, not per connection.
        conn.batch_execute("PRAGMA journal_mode = WAL;")
            .map_err(|e| DbError::Connect { backend: "SQLite", reason: e.to_string() })?;
    }
    r2d2::Pool::builder()
        .max_size(max_size)
        .connection_timeout(Duration::from_secs(30))
        .build(ConnectionManager { url: url.to_string() })
        .map_err(|e| DbError::Connect { backend: Backend::from_url(url).name(), reason: e.to_string() })
}

/// Applies the pending migrations of the connection's own backend, then computes what the
/// database cannot (name sort keys).
pub fn run_migrations(conn: &mut DbConn) -> Result<(), DbError> {
    let result = match conn {
        DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|_| ()),
        DbConn::Postgresql(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|_| ()),
    };
    result.map_err(|e| DbError::Migrate(e.to_string()))?;
    super::collation::refresh_sort_keys(conn).map_err(|e| DbError::Migrate(e.to_string()))?;
    Ok(())
}

/// Refreshes the planner's statistics after a bulk load (`demo`, an import): on PostgreSQL
/// `VACUUM ANALYZE`, whose visibility map also lets counts read an index alone (a place's
/// capped ledger count took 340 ms reading the table, 1.6 ms after it, at a million rows);
/// SQLite plans from its indexes alone here and needs nothing. Not inside a transaction.
pub fn analyze_after_bulk_load(conn: &mut DbConn) -> diesel::QueryResult<()> {
    match conn {
        DbConn::Postgresql(c) => c.batch_execute("VACUUM ANALYZE"),
        DbConn::Sqlite(_) => Ok(()),
    }
}

impl DbConn {
    pub fn backend(&self) -> Backend {
        match self {
            DbConn::Sqlite(_) => Backend::Sqlite,
            DbConn::Postgresql(_) => Backend::Postgres,
        }
    }

    /// Runs `f` in a write transaction: `BEGIN IMMEDIATE` on SQLite, so two writers never race
    /// to upgrade a read lock; an ordinary transaction on PostgreSQL. Nested transactions inside
    /// `f` become savepoints, because the inner connection's transaction manager is told.
    pub fn write_transaction<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E>,
        E: From<diesel::result::Error>,
    {
        use diesel::connection::{AnsiTransactionManager, TransactionManager};
        let nested = match self {
            DbConn::Sqlite(inner) => {
                !matches!(AnsiTransactionManager::transaction_manager_status_mut(inner).transaction_depth(), Ok(None))
            }
            DbConn::Postgresql(_) => false,
        };
        match self {
            // On PostgreSQL, or inside the SQLite writer's group transaction (a savepoint of it).
            DbConn::Postgresql(_) => self.transaction(f),
            DbConn::Sqlite(_) if nested => self.transaction(f),
            DbConn::Sqlite(inner) => {
                AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?;
                let result = f(self);
                let DbConn::Sqlite(inner) = self else {
                    return result;
                };
                match result {
                    Ok(value) => match AnsiTransactionManager::commit_transaction(inner) {
                        Ok(()) => Ok(value),
                        Err(e) => {
                            let _ = AnsiTransactionManager::rollback_transaction(inner);
                            Err(e.into())
                        }
                    },
                    Err(e) => {
                        let _ = AnsiTransactionManager::rollback_transaction(inner);
                        Err(e)
                    }
                }
            }
        }
    }
}
