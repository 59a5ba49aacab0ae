//! Read models: stock positions, ledgers with running balances, and (later) coverage.

pub mod cache;
pub mod campaign;
pub mod coverage;
pub mod stock;
