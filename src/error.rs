//! A re-export kept for the stock module, which names the web layer's error by its old path.
pub use crate::web::AppError;
