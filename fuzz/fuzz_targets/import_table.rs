//! Any bytes given to the import parser: a table or a refusal, never a panic; memory bounded by
//! the parser's own limits (20 MB, 200,000 rows).
//!
//!     cargo install cargo-fuzz
//!     cargo +nightly fuzz run import_table -- -rss_limit_mb=512 -max_len=65536
//!
//! With only a stable toolchain, `RUSTC_BOOTSTRAP=1` lets it take cargo-fuzz's `-Z` flags (the
//! address sanitizer's runtime ships with stable): `RUSTC_BOOTSTRAP=1 cargo fuzz run import_table`.

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
