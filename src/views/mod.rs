//! HTML pages (maud). Views never query: they render what handlers give them.

pub mod admin;
pub mod auth;
pub mod catalogue;
pub mod components;
pub mod errors;
pub mod home;
pub mod layout;
pub mod locations;
pub mod shipments;
pub mod stock;
pub mod widgets;
