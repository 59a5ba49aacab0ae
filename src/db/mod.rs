//! Database access for both backends: the connection enum, the pool, migrations and schema.

pub mod backup;
pub mod bulk;
pub mod connection;
pub mod schema;

pub use connection::{connect_pool, redact as redact_url, run_migrations, Backend, DbConn, DbError, Pool, PooledConn};
