//! HTML pages (maud). Views never query: they render what handlers give them, with the
//! request as a `page::PageContext` and form state as `form::FormState`.

pub mod admin;
pub mod airings;
pub mod auth;
pub mod catalogue;
pub mod charts;
pub mod components;
pub mod dashboard;
pub mod errors;
pub mod form;
pub mod home;
pub mod imports;
pub mod layout;
pub mod locations;
pub mod page;
pub mod recipient;
pub mod report;
pub mod shipments;
pub mod stock;
pub mod targets;
pub mod widgets;
