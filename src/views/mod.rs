//! HTML pages (maud). Views never query: they render what handlers give them.

pub mod admin;
pub mod airings;
pub mod auth;
pub mod catalogue;
pub mod charts;
pub mod components;
pub mod dashboard;
pub mod errors;
pub mod home;
pub mod layout;
pub mod locations;
pub mod report;
pub mod shipments;
pub mod stock;
pub mod targets;
pub mod widgets;
