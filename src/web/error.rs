//! The web layer's error: every failure a handler can meet, mapped to one status code, and the
//! other modules' errors turned into it. The page a person sees for it is rendered by
//! `web::errors`, which knows the request's language.

use crate::accounts::AccountError;
use crate::db::bulk::ReserveError;
use crate::domain::{LocationId, MaterialId};
use crate::exchange::import::ImportError;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

/// What a handler fails with; only this layer speaks HTTP.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("database error: {0}")]
    Database(#[from] diesel::result::Error),
    #[error("database pool error: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    /// The writer's queue was full, or the writer stopped.
    #[error("{0}")]
    Writer(#[from] crate::db::writer::WriterError),
    #[error("a blocking task failed")]
    Blocking(#[from] actix_web::error::BlockingError),
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The request body did not arrive in time.
    #[error("request body timed out")]
    BodyTimeout,
    #[error("sign-in required")]
    LoginRequired { next: String },
    /// A refusal in plain words of our own (a failed export, a stopped thread); the person sees
    /// the 400 page.
    #[error("{0}")]
    Invalid(String),
    /// A domain rule refused the request; the key is shown to the person.
    #[error("refused: {}", .0.key)]
    Refused(crate::domain::Invalid),
    /// Not enough of a material at a place; nothing was written. Named in words by the layer
    /// that knows the reader's language.
    #[error("only {available} left of material {material_id} at location {location_id}")]
    Short { material_id: MaterialId, location_id: LocationId, available: i32 },
    /// Something unusual that the person must confirm first; nothing was written.
    #[error("needs confirmation: {}", .0.iter().map(|q| q.code()).collect::<Vec<_>>().join(", "))]
    Questions(Vec<crate::domain::Question>),
}

impl AppError {
    /// True for failures of our own (a 500), which are logged with their details.
    pub fn is_internal(&self) -> bool {
        matches!(
            self,
            AppError::Database(_)
                | AppError::Pool(_)
                | AppError::Blocking(_)
                | AppError::Hash(_)
                | AppError::Writer(crate::db::writer::WriterError::Stopped)
        )
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::BadRequest(_) | AppError::Invalid(_) => StatusCode::BAD_REQUEST,
            AppError::Refused(_) | AppError::Questions(_) | AppError::Short { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::LoginRequired { .. } => StatusCode::SEE_OTHER,
            AppError::Database(diesel::result::Error::NotFound) => StatusCode::NOT_FOUND,
            // Every connection stayed busy past the pool's timeout: a moment of overload, not a bug.
            AppError::Pool(_) | AppError::Writer(crate::db::writer::WriterError::Busy) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if self.is_internal() {
            log::error!("{self}");
        }
        match self {
            AppError::LoginRequired { next } => {
                HttpResponse::SeeOther().insert_header((actix_web::http::header::LOCATION, next.as_str())).finish()
            }
            AppError::Writer(crate::db::writer::WriterError::Busy) => {
                HttpResponse::ServiceUnavailable().insert_header((actix_web::http::header::RETRY_AFTER, "1")).finish()
            }
            // An empty body: the error-page middleware renders it in the person's language.
            _ => HttpResponse::build(self.status_code()).finish(),
        }
    }
}

impl From<crate::ledger::LedgerError> for AppError {
    fn from(e: crate::ledger::LedgerError) -> Self {
        use crate::ledger::Refusal;
        match e.refusal() {
            Ok(Refusal::Short { material_id, location_id, available }) => {
                AppError::Short { material_id, location_id, available }
            }
            Ok(Refusal::Rule(invalid)) => AppError::Refused(invalid),
            Err(e) => AppError::Database(e),
        }
    }
}

/// An import's failure as the page answers it: a refusal or a shortfall the person reads, a
/// busy writer, or a failure of ours.
impl From<ImportError> for AppError {
    fn from(e: ImportError) -> Self {
        match e {
            ImportError::Database(e) | ImportError::Ids(ReserveError::Database(e)) => AppError::Database(e),
            ImportError::Pool(e) => AppError::Pool(e),
            ImportError::Writer(e) => AppError::Writer(e),
            ImportError::NotFound => AppError::NotFound,
            ImportError::Refused(invalid) => AppError::Refused(invalid),
            ImportError::Short { material_id, location_id, available } => {
                AppError::Short { material_id, location_id, available }
            }
            e @ (ImportError::Ids(ReserveError::Overflow { .. }) | ImportError::Report(_)) => {
                AppError::Invalid(e.to_string())
            }
        }
    }
}

impl From<AccountError> for AppError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Database(e) => AppError::Database(e),
            AccountError::Hash(reason) => AppError::Hash(reason),
            AccountError::Refused(e) => e.into(),
            e @ (AccountError::Username(_) | AccountError::Password(_) | AccountError::Taken(_)) => {
                AppError::Invalid(e.to_string())
            }
        }
    }
}
