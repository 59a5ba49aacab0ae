//! Any bytes given to the import parser: a table or a refusal, never a panic; memory bounded by
//! the parser's own limits (20 MB, 200,000 rows).
//!
//!     cargo install cargo-fuzz && cargo +nightly fuzz run import_table -- -rss_limit_mb=512

#![no_main]

use campaign_tracker::exchange::import::table;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(table) = table::read(data, &mut |_| {}) {
        assert!(table.rows.len() <= table::MAX_ROWS);
        for row in &table.rows {
            for i in 0..table.columns.len() {
                let _ = table.cell(row, Some(i));
            }
        }
    }
});
