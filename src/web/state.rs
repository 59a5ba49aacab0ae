//! What every handler can reach: the pools, the configuration, the CSRF key and the shared workers.

use crate::config::Config;
use crate::db::Pool;

/// What every handler can reach.
pub struct AppState {
    pub pool: Pool,
    /// One connection kept for `/healthz`, so a health check never queues behind page queries.
    pub health_pool: Pool,
    /// SQLite's one writer (every write of the server goes through it); none on PostgreSQL,
    /// whose writers each take a pooled connection.
    pub writer: Option<crate::db::writer::Writer>,
    pub config: Config,
    /// Key for CSRF tokens; shared by every instance through the database or SESSION_KEY.
    pub session_key: Vec<u8>,
    /// Key for delivery notes' codes, derived from the same secret.
    pub delivery_key: crate::domain::DeliveryKey,
    /// Turns to upload and check an import: each holds its file and rows in memory.
    pub imports: tokio::sync::Semaphore,
    /// The thread that reads and checks import files.
    pub import_worker: crate::exchange::import::worker::ImportWorker,
    /// Dashboard and report figures, kept until the data changes.
    pub figures: std::sync::Arc<crate::reports::cache::Figures>,
}
