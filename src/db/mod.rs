//! Database access for both backends: the connection enum, the pool, migrations and schema, and
//! the plans of the hot pages' queries.

pub mod backup;
pub mod bulk;
pub mod collation;
pub mod connection;
pub mod plans;
pub mod schema;
pub mod writer;

pub use connection::{
    analyze_after_bulk_load, connect_pool, redact as redact_url, run_migrations, Backend, DbConn, DbError, Pool,
    PooledConn,
};

/// An error that takes in every failure of `Connections`: a query's, the pool's and the writer's.
pub trait FromDbErrors:
    From<diesel::result::Error> + From<diesel::r2d2::PoolError> + From<writer::WriterError> + Send + 'static
{
}

impl<E> FromDbErrors for E where
    E: From<diesel::result::Error> + From<diesel::r2d2::PoolError> + From<writer::WriterError> + Send + 'static
{
}

/// Where long work takes a database connection only for each query it makes (an import's
/// check reads a whole file, which needs no connection): the pool, or one connection already
/// held (the command line).
pub trait Connections<E: FromDbErrors> {
    /// Runs `f` on a connection, taken for it alone or the one held.
    fn with<T>(&mut self, f: impl FnOnce(&mut DbConn) -> Result<T, E>) -> Result<T, E>;

    /// SQLite's one writer, when the caller runs inside the server; writes then go through it.
    fn writer(&self) -> Option<&writer::Writer> {
        None
    }

    /// Runs `f` in a write transaction: through the writer when there is one.
    fn write<T: Send + 'static>(
        &mut self,
        f: impl FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E> {
        match self.writer() {
            Some(writer) => writer.run_blocking(f),
            None => self.with(|conn| conn.write_transaction(f)),
        }
    }
}

/// The server's connections: reads from the pool, writes through SQLite's one writer.
pub struct ServerConnections {
    pub pool: Pool,
    pub writer: Option<writer::Writer>,
}

impl<E: FromDbErrors> Connections<E> for ServerConnections {
    fn with<T>(&mut self, f: impl FnOnce(&mut DbConn) -> Result<T, E>) -> Result<T, E> {
        self.pool.with(f)
    }

    fn writer(&self) -> Option<&writer::Writer> {
        self.writer.as_ref()
    }
}

impl<E: FromDbErrors> Connections<E> for DbConn {
    fn with<T>(&mut self, f: impl FnOnce(&mut DbConn) -> Result<T, E>) -> Result<T, E> {
        f(self)
    }
}

impl<E: FromDbErrors> Connections<E> for Pool {
    fn with<T>(&mut self, f: impl FnOnce(&mut DbConn) -> Result<T, E>) -> Result<T, E> {
        let mut conn = self.get()?;
        f(&mut conn)
    }
}
