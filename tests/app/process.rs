//! The real `campaign-tracker` binary as a child process, for the tests that signal or kill it
//! (shutdown, crash) or run its commands (backup): a fresh demo database, a free port, a
//! signed-in HTTP session that survives restarts, and direct SQL checks of the ledger.

use crate::helpers::*;
use campaign_tracker::db::DbConn;
use reqwest::cookie::{CookieStore, Jar};
use reqwest::Client;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The binary under test, built by cargo for this test run.
pub const BIN: &str = env!("CARGO_BIN_EXE_campaign-tracker");

/// Fixed, so a restarted server accepts the CSRF tokens of the sessions it had (the generated key
/// would be kept in the database too; this does not depend on it).
const SESSION_KEY: &str = "process-tests-session-key-0123456789abcdef";

/// A fresh database with the demo reference data and users (no history): SQLite file or
/// PostgreSQL database, dropped at the end.
pub struct TestDb {
    pub url: String,
    /// Holds the SQLite file and the server logs.
    pub dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

impl TestDb {
    pub fn demo(backend: Backend) -> TestDb {
        let dir = tempfile::Builder::new().prefix("ct-process-").tempdir().expect("temp dir");
        let (url, pg, sqlite_dir) = match backend {
            Backend::Sqlite => {
                let (sqlite_dir, url) = fresh_sqlite();
                (url, None, Some(sqlite_dir))
            }
            Backend::Postgres => {
                let (admin, name, url) = fresh_postgres();
                (url, Some((admin, name)), None)
            }
        };
        // The SQLite file moves next to the logs, so one directory holds the whole story.
        let url = match sqlite_dir {
            Some(old) => {
                let path = dir.path().join("app.db");
                std::fs::copy(&url, &path).expect("move the SQLite file");
                drop(old);
                path.to_str().expect("utf-8 temp path").to_string()
            }
            None => url,
        };
        let db = TestDb { url, dir, pg };
        let mut conn = db.conn();
        campaign_tracker::demo::load(&mut conn).unwrap_or_else(|e| panic!("demo::load failed: {e:?}"));
        db
    }

    /// A new direct connection (not pooled), with the application's settings.
    pub fn conn(&self) -> DbConn {
        campaign_tracker::db::connection::establish(&self.url).unwrap_or_else(|e| panic!("connect: {e}"))
    }

    pub fn log_path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.pg.take() {
            drop_pg_database(&admin, &name);
        }
    }
}

/// A port nobody listens on right now (the OS's choice, released at once).
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    listener.local_addr().expect("local address").port()
}

/// A running `campaign-tracker serve`.
pub struct Server {
    pub child: Child,
    pub port: u16,
    log: PathBuf,
}

impl Server {
    /// Starts `serve` on `database_url` and `port`, and waits until `/healthz` answers 200; Err
    /// when the process ended first (a port taken meanwhile, say) or did not answer in 60 s.
    pub async fn start(database_url: &str, port: u16, log: &Path) -> Result<Server, String> {
        let out = std::fs::OpenOptions::new().create(true).append(true).open(log).expect("open the server log");
        let err = out.try_clone().expect("clone the log handle");
        let child = Command::new(BIN)
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .env("DATABASE_URL", database_url)
            .env("SESSION_KEY", SESSION_KEY)
            .env("WORKERS", "2")
            .env("POOL_SIZE", "4")
            .env("RUST_LOG", std::env::var("SERVER_LOG").unwrap_or_else(|_| "info,actix_server=warn".into()))
            .env_remove("PUBLIC_URL")
            .env_remove("COOKIE_SECURE")
            .env_remove("TRUSTED_PROXIES")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {BIN}: {e}"));
        let mut server = Server { child, port, log: log.to_path_buf() };
        let probe = Client::builder().timeout(Duration::from_secs(2)).build().expect("client");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!("the server exited ({status}) before answering:\n{}", server.log_tail()));
            }
            if let Ok(r) = probe.get(format!("{}/healthz", server.address())).send().await {
                if r.status().as_u16() == 200 {
                    return Ok(server);
                }
            }
            if Instant::now() > deadline {
                server.kill();
                return Err(format!("the server did not answer /healthz in 60 s:\n{}", server.log_tail()));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Starts on `port` if it is free, else on another free port.
    pub async fn start_anywhere(database_url: &str, port: u16, log: &Path) -> Server {
        let mut port = port;
        let mut last = String::new();
        for _ in 0..5 {
            match Server::start(database_url, port, log).await {
                Ok(server) => return server,
                Err(e) => last = e,
            }
            port = free_port();
        }
        panic!("cannot start the server: {last}");
    }

    pub fn address(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL (std's `Child::kill`), then reaps the process.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends a signal by name (`TERM`, `INT`) with the `kill` command.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill").arg(format!("-{name}")).arg(self.pid().to_string()).status();
        assert!(status.is_ok_and(|s| s.success()), "kill -{name} {} failed", self.pid());
    }

    /// The exit status, if the process has ended within `timeout`.
    pub async fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The last lines of the server's log, for failure messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.kill();
        }
    }
}

/// A signed-in browser whose cookies are readable (for hand-written requests) and valid on any
/// port of 127.0.0.1, so it survives a restart on another port.
#[derive(Clone)]
pub struct Session {
    pub client: Client,
    pub jar: Arc<Jar>,
    pub token: String,
}

impl Session {
    pub async fn sign_in(base: &str, (username, password): (&str, &str)) -> Session {
        let jar = Arc::new(Jar::default());
        let client = Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .build()
            .expect("reqwest client");
        let login = client.get(format!("{base}/login")).send().await.expect("GET /login");
        let token = csrf_from(&login.text().await.expect("login page")).expect("csrf token on /login");
        let response = client
            .post(format!("{base}/login"))
            .form(&[("username", username), ("password", password), ("csrf_token", &token)])
            .send()
            .await
            .expect("POST /login");
        assert_eq!(response.status().as_u16(), 303, "sign-in of {username}");
        let page = client.get(format!("{base}/campaigns")).send().await.expect("GET /campaigns");
        let token = csrf_from(&page.text().await.expect("campaigns page")).expect("csrf token on /campaigns");
        Session { client, jar, token }
    }

    /// POSTs `fields` and the session's CSRF token; the status and the Location of the answer.
    pub async fn post(
        &self,
        base: &str,
        path: &str,
        fields: &[(String, String)],
    ) -> Result<(u16, Option<String>), reqwest::Error> {
        let mut all: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        all.push(("csrf_token", &self.token));
        let response = self.client.post(format!("{base}{path}")).form(&all).send().await?;
        let status = response.status().as_u16();
        let location = response.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_string);
        Ok((status, location))
    }

    /// The `Cookie` header this browser sends to `base`.
    pub fn cookie_header(&self, base: &str) -> String {
        let url = url::Url::parse(base).expect("base URL");
        self.jar.cookies(&url).and_then(|v| v.to_str().ok().map(str::to_string)).unwrap_or_default()
    }
}

/// A urlencoded body.
pub fn form_body(fields: &[(String, String)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        s.append_pair(k, v);
    }
    s.finish()
}

// ---------------------------------------------------------------------------------------------
// Checks on the database itself
// ---------------------------------------------------------------------------------------------

/// `PRAGMA integrity_check` and `foreign_key_check` on SQLite: "ok" and nothing (PostgreSQL: ok).
pub fn sqlite_integrity(conn: &mut DbConn) -> String {
    let DbConn::Sqlite(_) = conn else { return "ok".into() };
    let result = strings(conn, "SELECT integrity_check AS s FROM pragma_integrity_check").join("; ");
    let foreign = strings(conn, "SELECT \"table\" AS s FROM pragma_foreign_key_check");
    if foreign.is_empty() {
        result
    } else {
        format!("{result}; foreign keys broken in {foreign:?}")
    }
}

/// Every (material, location) whose cached balance differs from the sum of its movements, as
/// "material:location cached=N ledger=M".
pub fn balance_mismatches(conn: &mut DbConn) -> Vec<String> {
    let key = "CAST(material_id AS TEXT) || ':' || CAST(location_id AS TEXT)";
    let cached: HashMap<String, i64> =
        string_numbers(conn, &format!("SELECT {key} AS s, CAST(on_hand AS BIGINT) AS n FROM stock_balances"))
            .into_iter()
            .collect();
    let ledger: HashMap<String, i64> = string_numbers(
        conn,
        "SELECT CAST(material_id AS TEXT) || ':' || CAST(location_id AS TEXT) AS s, CAST(SUM(q) AS BIGINT) AS n FROM (\
            SELECT material_id, to_location_id AS location_id, quantity AS q FROM stock_movements \
             WHERE to_location_id IS NOT NULL \
            UNION ALL \
            SELECT material_id, from_location_id AS location_id, -quantity AS q FROM stock_movements \
             WHERE from_location_id IS NOT NULL) m \
         GROUP BY material_id, location_id",
    )
    .into_iter()
    .collect();
    let mut wrong: Vec<String> = Vec::new();
    for (k, n) in &cached {
        let sum = ledger.get(k).copied().unwrap_or(0);
        if sum != *n {
            wrong.push(format!("{k} cached={n} ledger={sum}"));
        }
    }
    for (k, sum) in &ledger {
        if *sum != 0 && !cached.contains_key(k) {
            wrong.push(format!("{k} cached=none ledger={sum}"));
        }
    }
    wrong.sort();
    wrong
}

/// Writes `text` to standard error at once (visible with `--nocapture`).
pub fn note(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{text}");
}
