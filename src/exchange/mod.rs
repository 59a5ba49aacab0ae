//! Data exchange: CSV and XLSX exports, streamed in keyset-paginated chunks so memory stays flat.
//!
//! - `export`  the kinds of export, their filters and row sources (one chunk per query)
//! - `csv`     CSV encoding: RFC 4180, ISO dates, formula neutralization, the Excel flavour
//! - `xlsx`    XLSX written in constant memory to a temporary file
//! - `cli`     `campaign-tracker export KIND …`
//! - `import`  validated, all-or-nothing imports of CSV files (its own module map)
//!
//! The routes are `web::exports` and `web::imports`; the pages, `views::imports` and the
//! download links in `views::components`. Nothing here knows HTTP.

pub mod cli;
pub mod csv;
pub mod export;
pub mod import;
pub mod xlsx;
