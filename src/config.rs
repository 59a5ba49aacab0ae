//! Settings from flags and the environment.

/// Everything the server needs to start.
#[derive(Debug, Clone)]
pub struct Config {
    /// An SQLite file path (or `sqlite://path`), or a `postgres://` URL.
    pub database_url: String,
    /// Address to listen on, e.g. `127.0.0.1:8080`.
    pub bind: String,
    /// Secret for CSRF tokens; when absent, one is generated once and kept in the database.
    pub session_key: Option<String>,
    /// Mark cookies `Secure` (serve over HTTPS, directly or behind a proxy).
    pub secure_cookies: bool,
    /// The public origin (`https://tracker.example.org`) that POSTs must come from; when absent,
    /// the request's own Host is expected.
    pub public_url: Option<String>,
    /// HTTP worker threads.
    pub workers: usize,
    /// Database connections in the pool.
    pub pool_size: u32,
}

pub const DEFAULT_DATABASE_URL: &str = "campaign-tracker.db";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

impl Config {
    /// A configuration for an integration test: a free port, small pool, two workers.
    pub fn for_tests(database_url: &str) -> Config {
        Config {
            database_url: database_url.to_string(),
            bind: "127.0.0.1:0".into(),
            session_key: None,
            secure_cookies: false,
            public_url: None,
            workers: 2,
            pool_size: 8,
        }
    }
}
