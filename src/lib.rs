//! campaign-tracker: inventory and distribution tracking for public awareness campaigns.
//!
//! Module map (requests flow web → models → views):
//! - `config`    settings from flags and the environment
//! - `startup`   pool, migrations, shared key, routes → a bound server
//! - `db`        both backends (MultiConnection), pool, pragmas, SQLite's one writer, migrations, schema, query plans
//! - `domain`    parse-don't-validate values: Quantity, Code, Username, Role, Lang …
//! - `models`    one module per table: rows and their queries, and the lists' query types
//! - `ledger`    the one gate for every quantity change: movements, balances, daily flows
//! - `app`       commands: every change (stock, airings, targets, reference data, accounts), checked then written
//! - `reports`   dashboard coverage, stock and the campaign report, from the summaries
//! - `exchange`  CSV/XLSX exports and imports, shared by the pages and the command line
//! - `accounts`  argon2id password hashing and account creation
//! - `demo`      the reference campaign of 2005–2006 as demo data
//! - `tokens`    random tokens and their SHA-256
//! - `i18n`      the translation catalogue (`locales/app.yml`) and number formatting
//! - `web`       routes per area, request context, forms, CSRF, security headers, the HTTP error and its pages
//! - `views`     maud pages and components, given a page context, never the request

rust_i18n::i18n!("locales", fallback = "en");

pub mod accounts;
pub mod app;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod exchange;
pub mod i18n;
pub mod ledger;
pub mod models;
pub mod reports;
pub mod startup;
pub mod tokens;
pub mod views;
pub mod web;
