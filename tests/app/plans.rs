//! The hot pages' queries read the big tables through their indexes: every statement the list
//! pages send (src/db/plans.rs runs the real model functions and explains what they send), on
//! the demo data with its history. docs/query-plans.md has the same plans at a million rows.

use crate::helpers::*;
use campaign_tracker::db::plans::{self, PagePlan, Statement};
use std::collections::BTreeMap;

both_backends!(hot_queries_use_their_indexes);

/// The tables that grow with the ledger: a page must never read one of them whole.
const BIG: [&str; 5] = ["stock_movements", "shipments", "shipment_lines", "receipts", "audit_log"];

async fn hot_queries_use_their_indexes(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let mut conn = app.conn();
    campaign_tracker::demo::history::load_history(&mut conn, 1, &mut |_, _| {}).expect("history");
    campaign_tracker::demo::targets::load_targets(&mut conn).expect("targets");
    campaign_tracker::demo::airings::load_airings(&mut conn).expect("airings");
    // What `demo` does after loading: on PostgreSQL VACUUM ANALYZE, so the plans are made
    // from real statistics.
    campaign_tracker::db::analyze_after_bulk_load(&mut conn).expect("vacuum analyze");
    if backend == Backend::Postgres {
        // A few thousand rows fit in a handful of pages, where reading a table whole is
        // cheaper than any index, and sorting the one row a generic plan expects of a date
        // range is as cheap as walking an index in order: the planner rightly does both. With
        // sequential scans and sorts priced out it shows instead whether an index can serve
        // the filter and the order, as it must at a million rows (docs/query-plans.md); where
        // none can, the scan or the sort is still there.
        exec_sql(&mut conn, "SET enable_seqscan = off; SET enable_sort = off; SET enable_incremental_sort = off");
    }
    let pages = plans::hot_pages(&mut conn).unwrap_or_else(|e| panic!("plans: {e}"));
    if backend == Backend::Postgres {
        exec_sql(&mut conn, "RESET enable_seqscan; RESET enable_sort; RESET enable_incremental_sort");
    }

    let labels: Vec<&str> = pages.iter().map(|p| p.page.as_str()).collect();
    for expected in [
        "dashboard",
        "shipments",
        "shipments, next page",
        "shipments by status, previous page",
        "shipments by text",
        "receipts, last page",
        "material ledger at a depot, next page",
        "stock",
        "audit log, previous page",
        "airings",
        "locations",
    ] {
        assert!(labels.contains(&expected), "no page {expected:?} among {labels:?}");
    }
    // Shipments to schools are many: that page walks the sort index, checking each shipment's
    // destination against the list of schools, and never sorts.
    let schools = pages.iter().find(|p| p.page == "shipments to a type of place").expect("a page to a type of place");
    assert!(
        schools
            .statements
            .iter()
            .any(|s| s.sql.contains("+shipments.destination_id IN (") && s.sql.contains("ORDER BY")),
        "the page to a type of place did not walk its sort index: {:?}",
        schools.statements.iter().map(|s| &s.sql).collect::<Vec<_>>()
    );
    // A text no shipment holds is looked up in the reference index (FTS5's trigram table,
    // pg_trgm's GIN index), never sought shipment by shipment along the list's order.
    let nothing = pages
        .iter()
        .find(|p| p.page == "shipments by a text that matches nothing")
        .expect("a page searching a text that matches nothing");
    let index = match backend {
        Backend::Sqlite => "VIRTUAL TABLE INDEX",
        Backend::Postgres => "shipments_reference_trigrams",
    };
    assert!(
        nothing.statements.iter().any(|s| s.plan.iter().any(|line| line.contains(index))),
        "the search did not use the reference index: {:#?}",
        nothing.statements
    );
    // Its page reads the matches, not the list's order. (On PostgreSQL sorting is priced out
    // above, so the planner must walk; docs/query-plans.md shows its plan at a million rows.)
    let walked = if backend == Backend::Sqlite {
        nothing.statements.iter().filter(|s| is_keyset(&s.sql)).collect()
    } else {
        Vec::new()
    };
    for statement in walked {
        assert!(
            !statement.plan.iter().any(|line| line.contains("shipments_by_updated")),
            "the search walked the list: {}\n{}",
            statement.sql,
            statement.plan.join("\n")
        );
    }
    let sent: usize = pages.iter().map(|p| p.statements.len()).sum();
    assert!(sent > 100, "the pages sent {sent} statements");

    let mut faults: Vec<String> = Vec::new();
    let mut read_big = 0;
    for page in &pages {
        for statement in &page.statements {
            let tables = big_tables(&statement.sql);
            if tables.is_empty() {
                continue;
            }
            read_big += 1;
            let found = match backend {
                Backend::Sqlite => sqlite_faults(statement, &tables),
                Backend::Postgres => postgres_faults(statement, &tables),
            };
            faults.extend(found.into_iter().map(|f| describe(page, statement, &f)));
        }
    }
    assert!(read_big > 50, "only {read_big} statements read the big tables");
    assert!(faults.is_empty(), "{} plans do not use an index:\n\n{}", faults.len(), faults.join("\n\n"));
}

fn describe(page: &PagePlan, statement: &Statement, fault: &str) -> String {
    format!("{}: {fault}\n  {}\n    {}", page.page, statement.sql, statement.plan.join("\n    "))
}

/// The big tables a statement names, under their own names and their aliases (a plan names a
/// table by its alias: `own`, `reversal`).
fn big_tables(sql: &str) -> BTreeMap<String, &'static str> {
    const KEYWORDS: [&str; 20] = [
        "as", "where", "join", "inner", "left", "right", "cross", "on", "order", "group", "limit", "offset", "and",
        "or", "union", "having", "natural", "using", "select", "from",
    ];
    let cleaned: String = sql.chars().map(|c| if matches!(c, '"' | '`' | '(' | ')' | ',') { ' ' } else { c }).collect();
    let tokens: Vec<&str> = cleaned.split_whitespace().collect();
    let mut names = BTreeMap::new();
    for (i, token) in tokens.iter().enumerate() {
        let Some(table) = BIG.iter().find(|t| t.eq_ignore_ascii_case(token)) else { continue };
        names.insert(table.to_string(), *table);
        let alias = match tokens.get(i + 1) {
            Some(next) if next.eq_ignore_ascii_case("as") => tokens.get(i + 2),
            next => next,
        };
        if let Some(alias) = alias.filter(|a| {
            a.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(a))
                && !BIG.contains(a)
        }) {
            names.insert(alias.to_string(), *table);
        }
    }
    names
}

/// A page of a keyset list: ordered and limited, no offset, over a big table. Its rows must
/// come in the index's order, never gathered and sorted.
fn is_keyset(sql: &str) -> bool {
    let upper = sql.to_ascii_uppercase();
    let first_table = upper
        .split_once(" FROM ")
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .map(|t| t.trim_matches(['"', '`', '(']).to_ascii_lowercase());
    upper.contains(" ORDER BY ")
        && upper.contains(" LIMIT ")
        && !upper.contains(" OFFSET ")
        && first_table.is_some_and(|t| BIG.contains(&t.as_str()))
}

/// A statement with a LIMIT and no condition, grouping or DISTINCT stops reading after that
/// many rows whatever it reads them through: a capped count of every receipt, the first page of
/// the whole audit log (walked in id order, which on SQLite is the table's own B-tree). Were its
/// order not served, the sort would show (a temporary B-tree, a Sort node).
fn stops_at_limit(sql: &str) -> bool {
    let upper = sql.to_ascii_uppercase();
    upper.contains(" LIMIT ") && ![" WHERE ", " GROUP BY ", " DISTINCT "].iter().any(|k| upper.contains(k))
}

/// A shipment page that gathers its rows through the destination index and sorts them: the
/// list goes that way only when its capped count found so few matches that sorting them reads
/// fewer rows than walking the sort index would (`Reach::for_page`); with many it walks, which
/// the test checks on the page to a type of place.
fn gathers_few(sql: &str) -> bool {
    sql.contains("shipments.destination_id IN (") && !sql.contains("+shipments.destination_id IN (")
}

/// A search that gathers its few matches through the reference index and sorts them: SQLite's
/// FTS5 table, PostgreSQL's trigram index read first into an array.
fn gathers_few_references(sql: &str, backend: Backend) -> bool {
    match backend {
        Backend::Sqlite => sql.contains("shipment_references MATCH"),
        Backend::Postgres => sql.contains("ARRAY(SELECT found.id FROM shipments found"),
    }
}

/// SQLite: `SCAN t` without an index reads the whole table; a temporary B-tree for ORDER BY
/// gathers every matching row to sort them.
fn sqlite_faults(statement: &Statement, tables: &BTreeMap<String, &'static str>) -> Vec<String> {
    let keyset = is_keyset(&statement.sql);
    let bounded = stops_at_limit(&statement.sql);
    let mut faults = Vec::new();
    for line in &statement.plan {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("SCAN ").filter(|_| !bounded) {
            let name = rest.split_whitespace().next().unwrap_or("");
            let indexed = line.contains(" USING INDEX ") || line.contains(" USING COVERING INDEX ");
            if let (Some(table), false) = (tables.get(name), indexed) {
                faults.push(format!("reads {table} whole: {line}"));
            }
        }
        if keyset
            && line.contains("TEMP B-TREE")
            && line.contains("ORDER BY")
            && !gathers_few(&statement.sql)
            && !gathers_few_references(&statement.sql, Backend::Sqlite)
        {
            faults.push(format!("sorts a keyset page: {line}"));
        }
    }
    faults
}

/// PostgreSQL: a `Seq Scan` on a big table; a `Sort` (or `Incremental Sort`) in a keyset page.
fn postgres_faults(statement: &Statement, tables: &BTreeMap<String, &'static str>) -> Vec<String> {
    let keyset = is_keyset(&statement.sql);
    let bounded = stops_at_limit(&statement.sql);
    let mut faults = Vec::new();
    for line in &statement.plan {
        let node = line.trim().trim_start_matches("->").trim();
        if let Some(rest) = node.strip_prefix("Seq Scan on ").filter(|_| !bounded) {
            let name = rest.split_whitespace().next().unwrap_or("");
            if let Some(table) = tables.get(name) {
                faults.push(format!("reads {table} whole: {node}"));
            }
        }
        if keyset
            && (node.starts_with("Sort  (") || node.starts_with("Incremental Sort  ("))
            && !gathers_few(&statement.sql)
            && !gathers_few_references(&statement.sql, Backend::Postgres)
        {
            faults.push(format!("sorts a keyset page: {node}"));
        }
    }
    faults
}
