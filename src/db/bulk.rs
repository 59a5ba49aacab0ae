//! Bulk writes for loads of many records (the demo history, imports): ids reserved up front so
//! records and their movements can be written without reading ids back, and multi-row inserts.

use crate::db::DbConn;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

/// A multi-row INSERT: MultiConnection cannot batch-insert, so the statement goes to the inner
/// connection (inside the caller's transaction). Evaluates to the row count, `?` on failure.
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr) => {
        match $conn {
            $crate::db::DbConn::Sqlite(c) => diesel::insert_into($table).values($rows).execute(c)?,
            $crate::db::DbConn::Postgresql(c) => diesel::insert_into($table).values($rows).execute(c)?,
        }
    };
}
pub(crate) use insert_rows;

/// Bound parameters per statement stay far below SQLite's 32 766 and PostgreSQL's 65 535.
pub const INSERT_PARAMETERS: usize = 15_000;

#[derive(QueryableByName)]
pub struct IdRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
}

/// Why fresh ids could not be reserved.
#[derive(Debug, thiserror::Error)]
pub enum ReserveError {
    #[error("database error: {0}")]
    Database(#[from] diesel::result::Error),
    /// The table's ids would pass `i32::MAX`.
    #[error("{table}: ids beyond the integer range")]
    Overflow { table: String },
}

/// Reserves `n` fresh ids of a table: PostgreSQL draws them from the sequence; SQLite continues
/// after the highest id ever used (the write transaction holds the only write lock). Call it
/// inside the write transaction that inserts the rows.
pub fn reserve_ids(conn: &mut DbConn, table: &str, n: usize) -> Result<Vec<i32>, ReserveError> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let overflow = || ReserveError::Overflow { table: table.to_string() };
    match conn {
        DbConn::Sqlite(_) => {
            let base = diesel::sql_query(format!(
                "SELECT MAX(COALESCE((SELECT MAX(id) FROM {table}), 0), \
                 COALESCE((SELECT seq FROM sqlite_sequence WHERE name = '{table}'), 0)) AS id"
            ))
            .get_result::<IdRow>(conn)?
            .id;
            let last = i32::try_from(base + n as i64).map_err(|_| overflow())?;
            Ok(((last - n as i32 + 1)..=last).collect())
        }
        DbConn::Postgresql(_) => {
            let rows = diesel::sql_query(format!(
                "SELECT nextval(pg_get_serial_sequence('{table}', 'id')) AS id FROM generate_series(1, {n})"
            ))
            .load::<IdRow>(conn)?;
            rows.into_iter().map(|r| i32::try_from(r.id).map_err(|_| overflow())).collect()
        }
    }
}
