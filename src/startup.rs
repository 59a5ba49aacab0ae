//! Builds the pool, runs migrations, prepares the shared key and the first-run link, binds the
//! port and returns the server ready to run.

use crate::config::Config;
use crate::db::{connect_pool, run_migrations, DbError};
use crate::models::setting::Setting;
use crate::models::user::User;
use crate::web::state::AppState;
use crate::web::{self, security};
use actix_web::middleware::{from_fn, Compress, ErrorHandlers, Logger};
use actix_web::{web as aw, App, HttpServer};
use std::net::TcpListener;

/// Why the server could not start, worded for one log line.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Database(#[from] DbError),
    #[error("cannot bind {addr}: {reason}")]
    Bind { addr: String, reason: String },
    #[error("cannot prepare the database: {0}")]
    Prepare(String),
}

const SESSION_KEY_SETTING: &str = "session_key";

/// A server bound to its port, not yet running.
pub struct Application {
    pub port: u16,
    /// The one-time first-administrator path, while no user exists.
    pub setup_link: Option<String>,
    server: actix_web::dev::Server,
}

impl Application {
    pub fn build(config: Config) -> Result<Application, StartupError> {
        let pool = connect_pool(&config.database_url, config.pool_size)?;
        let mut conn = pool.get().map_err(|e| StartupError::Prepare(e.to_string()))?;
        run_migrations(&mut conn)?;
        let session_key = match &config.session_key {
            Some(key) => key.as_bytes().to_vec(),
            None => Setting::get_or_insert(&mut conn, SESSION_KEY_SETTING, &crate::tokens::random_token())
                .map_err(|e| StartupError::Prepare(e.to_string()))?
                .into_bytes(),
        };
        let setup_link = prepare_setup_link(&mut conn).map_err(|e| StartupError::Prepare(e.to_string()))?;
        drop(conn);

        let listener = TcpListener::bind(&config.bind)
            .map_err(|e| StartupError::Bind { addr: config.bind.clone(), reason: e.to_string() })?;
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
        let workers = config.workers.max(1);
        let imports = tokio::sync::Semaphore::new(web::IMPORTS_AT_ONCE);
        let import_worker = crate::exchange::import::worker::ImportWorker::start()
            .map_err(|e| StartupError::Prepare(format!("cannot start the import thread: {e}")))?;
        let health_pool = connect_pool(&config.database_url, 1)?;
        let figures = Default::default();
        let writer = match crate::db::Backend::from_url(&config.database_url) {
            crate::db::Backend::Sqlite => Some(crate::db::writer::Writer::start(&config.database_url)?),
            crate::db::Backend::Postgres => None,
        };
        let state = aw::Data::new(AppState {
            pool,
            health_pool,
            writer,
            config,
            delivery_key: crate::domain::DeliveryKey::derive(&session_key),
            session_key,
            imports,
            import_worker,
            figures,
        });
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(aw::FormConfig::default().limit(web::forms::MAX_FORM_BYTES))
                .wrap(ErrorHandlers::new().default_handler(web::errors::render))
                .wrap(from_fn(security::cookies_and_headers))
                .wrap(Compress::default())
                .wrap(Logger::new("%a \"%r\" %s %b %Dms"))
                .configure(web::routes)
                .default_service(aw::to(not_found))
        })
        .workers(workers)
        // SIGTERM and Ctrl-C both stop gracefully (actix alone stops at once on SIGINT): no new
        // connections, and the requests in flight get SHUTDOWN_TIMEOUT_SECS to finish.
        .shutdown_signal(stop_requested())
        .shutdown_timeout(SHUTDOWN_TIMEOUT_SECS)
        .listen(listener)
        .map_err(|e| StartupError::Bind { addr: format!("port {port}"), reason: e.to_string() })?
        .run();
        Ok(Application { port, setup_link, server })
    }

    /// The running server; await it (or spawn it) to serve.
    pub fn run(self) -> actix_web::dev::Server {
        self.server
    }
}

/// Seconds the requests in flight get after SIGTERM or Ctrl-C before they are dropped. Every write
/// is one transaction, so a dropped request leaves nothing half written.
pub const SHUTDOWN_TIMEOUT_SECS: u64 = 30;

/// Resolves at the first SIGTERM or SIGINT.
async fn stop_requested() {
    #[cfg(unix)]
    {
        use actix_web::rt::signal::unix::{signal, SignalKind};
        use futures_util::future::{select, Either};
        let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) else {
            log::error!("cannot listen for SIGTERM and SIGINT: the server stops only when killed");
            return std::future::pending().await;
        };
        let name = match select(std::pin::pin!(term.recv()), std::pin::pin!(int.recv())).await {
            Either::Left(_) => "SIGTERM",
            Either::Right(_) => "SIGINT",
        };
        log::info!(
            "{name} received: no new connections; finishing the requests in flight (at most {SHUTDOWN_TIMEOUT_SECS} s)"
        );
    }
    #[cfg(not(unix))]
    {
        let _ = actix_web::rt::signal::ctrl_c().await;
        log::info!("Ctrl-C received: finishing the requests in flight (at most {SHUTDOWN_TIMEOUT_SECS} s)");
    }
}

async fn not_found() -> actix_web::HttpResponse {
    actix_web::HttpResponse::NotFound().finish()
}

/// While no user exists, a fresh random token is stored (hashed) and its path returned.
fn prepare_setup_link(conn: &mut crate::db::DbConn) -> diesel::QueryResult<Option<String>> {
    if User::count(conn)? > 0 {
        Setting::delete(conn, web::auth::SETUP_TOKEN_KEY)?;
        return Ok(None);
    }
    let token = crate::tokens::random_token();
    Setting::set(conn, web::auth::SETUP_TOKEN_KEY, &crate::tokens::sha256_hex(&token))?;
    Ok(Some(format!("/setup/{token}")))
}
