//! Both backends' migrations build the same tables, columns and indexes.

use crate::helpers::*;
use campaign_tracker::db::{connect_pool, run_migrations, DbConn};
use diesel::Connection;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, PartialEq)]
struct Shape {
    columns: BTreeMap<String, BTreeSet<String>>,
    indexes: BTreeSet<String>,
}

fn sqlite_shape(conn: &mut DbConn) -> Shape {
    let tables = strings(conn, "SELECT name AS s FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
    let mut columns = BTreeMap::new();
    for table in tables {
        let names = strings(conn, &format!("SELECT name AS s FROM pragma_table_info({})", lit(&table)));
        // pragma_index_list must answer too (every table's indexes are read below by name).
        let _ = strings(conn, &format!("SELECT name AS s FROM pragma_index_list({})", lit(&table)));
        columns.insert(table, names.into_iter().collect());
    }
    let indexes =
        strings(conn, "SELECT name AS s FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex%'")
            .into_iter()
            .collect();
    Shape { columns, indexes }
}

fn postgres_shape(conn: &mut DbConn) -> Shape {
    let tables = strings(
        conn,
        "SELECT CAST(table_name AS TEXT) AS s FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
    );
    let mut columns = BTreeMap::new();
    for table in tables {
        let names = strings(
            conn,
            &format!(
                "SELECT CAST(column_name AS TEXT) AS s FROM information_schema.columns \
                 WHERE table_schema = 'public' AND table_name = {}",
                lit(&table)
            ),
        );
        columns.insert(table, names.into_iter().collect());
    }
    // Indexes that back a PRIMARY KEY or UNIQUE constraint are implicit on SQLite.
    let indexes = strings(
        conn,
        "SELECT CAST(indexname AS TEXT) AS s FROM pg_indexes WHERE schemaname = 'public' \
         AND indexname NOT IN (SELECT conname FROM pg_constraint)",
    )
    .into_iter()
    .collect();
    Shape { columns, indexes }
}

#[test]
fn schema_parity() {
    if postgres_admin_url().is_none() {
        eprintln!("skipped: TEST_DATABASE_URL not set");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("parity.db");
    let sqlite = diesel::sqlite::SqliteConnection::establish(path.to_str().expect("utf-8")).expect("open sqlite");
    let mut sqlite = DbConn::Sqlite(sqlite);
    run_migrations(&mut sqlite).expect("migrate sqlite");
    let sqlite_shape = sqlite_shape(&mut sqlite);

    let (admin_url, name, url) = fresh_postgres_from_scratch();
    let pool = connect_pool(&url, 1).expect("pool");
    let postgres_shape = {
        let mut conn = pool.get().expect("conn");
        // Running the migrations again is a no-op.
        run_migrations(&mut conn).expect("re-run migrations");
        postgres_shape(&mut conn)
    };
    drop(pool);
    drop_pg_database(&admin_url, &name);

    assert!(sqlite_shape.columns.contains_key("users"), "{sqlite_shape:?}");
    // The reference search is each backend's own: an FTS5 table (and the tables FTS5 keeps
    // beside it) on SQLite, a pg_trgm index on PostgreSQL. Both must be there.
    let mut sqlite_shape = sqlite_shape;
    let mut postgres_shape = postgres_shape;
    let fts: Vec<String> =
        sqlite_shape.columns.keys().filter(|t| t.starts_with("shipment_references")).cloned().collect();
    assert!(fts.contains(&"shipment_references".to_string()), "no FTS5 reference table: {fts:?}");
    for table in fts {
        sqlite_shape.columns.remove(&table);
    }
    assert!(postgres_shape.indexes.remove("shipments_reference_trigrams"), "no trigram index on PostgreSQL");
    let sqlite_tables: BTreeSet<&String> = sqlite_shape.columns.keys().collect();
    let postgres_tables: BTreeSet<&String> = postgres_shape.columns.keys().collect();
    assert_eq!(sqlite_tables, postgres_tables, "same tables");
    for (table, columns) in &sqlite_shape.columns {
        assert_eq!(Some(columns), postgres_shape.columns.get(table), "columns of {table}");
    }
    assert_eq!(sqlite_shape.indexes, postgres_shape.indexes, "same index names");
}
