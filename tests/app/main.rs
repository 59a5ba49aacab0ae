//! Integration tests: the real application over HTTP, on SQLite and (with TEST_DATABASE_URL) on
//! PostgreSQL. Each test body is an `async fn NAME(backend: Backend)`; `both_backends!(NAME)`
//! makes `NAME::sqlite` and `NAME::postgres` out of it.
//!
//! Run: `cargo test --test app` (SQLite only; the postgres variants print
//! "skipped: TEST_DATABASE_URL not set" and pass), or with PostgreSQL too:
//! `TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo test --test app`.
//! PostgreSQL tests clone a migrated template database `ct_tpl_<hash of migrations/postgres>`
//! into `ct_test_<random>` per test and drop it afterwards.

#[macro_use]
mod helpers;

mod airings;
mod audit;
mod auth;
mod backup;
mod basics;
mod browser;
mod collation;
mod commands;
mod concurrency;
mod crash;
mod csrf;
mod dashboard;
mod delivery_codes;
mod demo;
mod exports;
mod field;
mod hardening;
mod i18n;
mod imports;
mod instances;
mod invariant;
mod keyset;
mod lists;
mod locations;
mod place_pins;
mod plans;
mod process;
mod recipient;
mod reference;
mod regions;
mod roles;
mod schema;
mod shipments;
mod shutdown;
mod stock;
mod targets;
mod users;
mod validation;
