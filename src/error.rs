//! A re-export of the web layer's error under its old path, while the modules that name it move
//! off it.
pub use crate::web::AppError;
