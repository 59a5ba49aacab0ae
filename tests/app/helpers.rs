//! Test harness: starts the real application on a fresh database (SQLite file or PostgreSQL
//! database cloned from a migrated template), and gives tests a browser-like HTTP client plus
//! direct SQL access for setting up and inspecting state.

#![allow(dead_code)]

use campaign_tracker::config::Config;
use campaign_tracker::db::{connect_pool, run_migrations, DbConn, Pool};
use campaign_tracker::domain::Role;
use campaign_tracker::startup::Application;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use diesel::RunQueryDsl;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use reqwest::Client;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// Which database the application under test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates `mod NAME { sqlite(), postgres() }`, each calling `async fn NAME(backend: Backend)`.
/// The PostgreSQL variant passes (and says so) when TEST_DATABASE_URL is not set.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }

                #[tokio::test]
                async fn postgres() {
                    if $crate::helpers::postgres_admin_url().is_none() {
                        eprintln!("skipped: TEST_DATABASE_URL not set");
                        return;
                    }
                    super::$name($crate::helpers::Backend::Postgres).await
                }
            }
        )+
    };
}

/// The PostgreSQL server URL from TEST_DATABASE_URL, if set (and not empty).
pub fn postgres_admin_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL").ok().filter(|url| !url.trim().is_empty())
}

// ---------------------------------------------------------------------------------------------
// Databases
// ---------------------------------------------------------------------------------------------

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// SHA-256 over every file (path and content) below `dir`, in a stable order.
fn hash_dir(hasher: &mut Sha256, dir: &Path) {
    let mut entries: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(read) => read.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(_) => return,
    };
    entries.sort();
    for path in entries {
        if path.is_dir() {
            hash_dir(hasher, &path);
        } else if let Ok(bytes) = std::fs::read(&path) {
            hasher.update(path.strip_prefix(manifest_dir()).unwrap_or(&path).to_string_lossy().as_bytes());
            hasher.update([0u8]);
            hasher.update(&bytes);
            hasher.update([0u8]);
        }
    }
}

fn migrations_hash(sub: &str) -> String {
    let mut hasher = Sha256::new();
    hash_dir(&mut hasher, &manifest_dir().join("migrations").join(sub));
    hex::encode(hasher.finalize())[..16].to_string()
}

fn random_suffix() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// A migrated, empty SQLite file made once per test process; tests copy it.
fn sqlite_template() -> PathBuf {
    static TEMPLATE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    static GUARD: Mutex<()> = Mutex::new(());
    let _guard = GUARD.lock().unwrap_or_else(|e| e.into_inner());
    let (_, path) = TEMPLATE.get_or_init(|| {
        let dir = tempfile::Builder::new().prefix("ct-template-").tempdir().expect("temp dir for the SQLite template");
        let path = dir.path().join("template.db");
        // A plain connection (rollback journal, not WAL) so the file alone is the whole database.
        let conn =
            SqliteConnection::establish(path.to_str().expect("utf-8 temp path")).expect("open the SQLite template");
        let mut conn = DbConn::Sqlite(conn);
        run_migrations(&mut conn).expect("migrate the SQLite template");
        drop(conn);
        (dir, path)
    });
    path.clone()
}

/// A fresh SQLite file migrated from the template, in its own temp dir.
pub fn fresh_sqlite() -> (tempfile::TempDir, String) {
    let template = sqlite_template();
    let dir = tempfile::Builder::new().prefix("ct-test-").tempdir().expect("temp dir for a test database");
    let path = dir.path().join("app.db");
    std::fs::copy(&template, &path).expect("copy the SQLite template");
    let url = path.to_str().expect("utf-8 temp path").to_string();
    (dir, url)
}

/// The URL of database `name` on the same server as `admin_url`.
pub fn pg_url_for(admin_url: &str, name: &str) -> String {
    let mut url = url::Url::parse(admin_url).expect("TEST_DATABASE_URL is a URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

/// Serialises template creation across test processes.
const PG_LOCK_KEY: i64 = 0x6374_7465_7374; // "cttest"

/// The name of a migrated template database, created once (per migrations content) on the server.
fn pg_template(admin_url: &str) -> String {
    static TEMPLATE: OnceLock<String> = OnceLock::new();
    static GUARD: Mutex<()> = Mutex::new(());
    let _guard = GUARD.lock().unwrap_or_else(|e| e.into_inner());
    TEMPLATE
        .get_or_init(|| {
            let name = format!("ct_tpl_{}", migrations_hash("postgres"));
            let mut admin = PgConnection::establish(admin_url).expect("connect to TEST_DATABASE_URL");
            admin.batch_execute(&format!("SELECT pg_advisory_lock({PG_LOCK_KEY})")).expect("advisory lock");
            let exists = pg_database_exists(&mut admin, &name);
            if !exists {
                let building = format!("{name}_building");
                let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {building}"));
                admin.batch_execute(&format!("CREATE DATABASE {building}")).expect("create the template database");
                {
                    let conn = PgConnection::establish(&pg_url_for(admin_url, &building))
                        .expect("connect to the new template database");
                    let mut conn = DbConn::Postgresql(conn);
                    run_migrations(&mut conn).expect("migrate the PostgreSQL template");
                }
                admin
                    .batch_execute(&format!("ALTER DATABASE {building} RENAME TO {name}"))
                    .expect("rename the template database");
            }
            // Templates of older migrations are of no use any more; one still in use stays.
            let old: Vec<OneText> = diesel::sql_query(format!(
                "SELECT CAST(datname AS TEXT) AS s FROM pg_database \
                 WHERE datname LIKE 'ct\\_tpl\\_%' AND datname <> '{name}' AND datname NOT LIKE '%\\_building'"
            ))
            .load(&mut admin)
            .unwrap_or_default();
            for db in old {
                let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {}", db.s));
            }
            admin.batch_execute(&format!("SELECT pg_advisory_unlock({PG_LOCK_KEY})")).expect("advisory unlock");
            name
        })
        .clone()
}

#[derive(diesel::QueryableByName)]
struct OneI64 {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    n: Option<i64>,
}

#[derive(diesel::QueryableByName)]
struct OneText {
    #[diesel(sql_type = diesel::sql_types::Text)]
    s: String,
}

#[derive(diesel::QueryableByName)]
struct TextAndI64 {
    #[diesel(sql_type = diesel::sql_types::Text)]
    s: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn pg_database_exists(conn: &mut PgConnection, name: &str) -> bool {
    let rows: Vec<OneI64> =
        diesel::sql_query(format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM pg_database WHERE datname = '{name}'"))
            .load(conn)
            .expect("query pg_database");
    rows.first().and_then(|r| r.n).unwrap_or(0) > 0
}

/// A fresh PostgreSQL database cloned from the template: (admin url, database name, url).
pub fn fresh_postgres() -> (String, String, String) {
    let admin_url = postgres_admin_url().expect("TEST_DATABASE_URL");
    let template = pg_template(&admin_url);
    let name = format!("ct_test_{}", random_suffix());
    let mut admin = PgConnection::establish(&admin_url).expect("connect to TEST_DATABASE_URL");
    let mut last_error = None;
    for _ in 0..20 {
        // Two CREATE DATABASE ... TEMPLATE at once can collide; serialise and retry.
        admin.batch_execute(&format!("SELECT pg_advisory_lock({PG_LOCK_KEY})")).expect("advisory lock");
        let result = admin.batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {template}"));
        admin.batch_execute(&format!("SELECT pg_advisory_unlock({PG_LOCK_KEY})")).expect("advisory unlock");
        match result {
            Ok(()) => {
                let url = pg_url_for(&admin_url, &name);
                return (admin_url, name, url);
            }
            Err(e) => {
                last_error = Some(e);
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
        }
    }
    panic!("cannot create test database from {template}: {last_error:?}");
}

/// A fresh, migrated, empty PostgreSQL database built without the template (for schema checks).
pub fn fresh_postgres_from_scratch() -> (String, String, String) {
    let admin_url = postgres_admin_url().expect("TEST_DATABASE_URL");
    let name = format!("ct_test_{}", random_suffix());
    let mut admin = PgConnection::establish(&admin_url).expect("connect to TEST_DATABASE_URL");
    admin.batch_execute(&format!("CREATE DATABASE {name}")).expect("create a database");
    let url = pg_url_for(&admin_url, &name);
    let conn = PgConnection::establish(&url).expect("connect to the new database");
    let mut conn = DbConn::Postgresql(conn);
    run_migrations(&mut conn).expect("migrate");
    (admin_url, name, url)
}

pub fn drop_pg_database(admin_url: &str, name: &str) {
    if let Ok(mut admin) = PgConnection::establish(admin_url) {
        let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    }
}

// ---------------------------------------------------------------------------------------------
// Direct SQL, portable across both backends
// ---------------------------------------------------------------------------------------------

/// Runs statements (no results).
pub fn exec_sql(conn: &mut DbConn, sql: &str) {
    let result = match conn {
        DbConn::Sqlite(c) => c.batch_execute(sql),
        DbConn::Postgresql(c) => c.batch_execute(sql),
    };
    result.unwrap_or_else(|e| panic!("SQL failed: {sql}: {e}"));
}

/// `SELECT CAST((sql) AS BIGINT)`: a single number (None when the subquery gives no row/NULL).
pub fn scalar_opt(conn: &mut DbConn, sql: &str) -> Option<i64> {
    let wrapped = format!("SELECT CAST(({sql}) AS BIGINT) AS n");
    let rows: Vec<OneI64> = match conn {
        DbConn::Sqlite(c) => diesel::sql_query(&wrapped).load(c),
        DbConn::Postgresql(c) => diesel::sql_query(&wrapped).load(c),
    }
    .unwrap_or_else(|e| panic!("SQL failed: {wrapped}: {e}"));
    rows.first().and_then(|r| r.n)
}

pub fn scalar(conn: &mut DbConn, sql: &str) -> i64 {
    scalar_opt(conn, sql).unwrap_or_else(|| panic!("no value for {sql}"))
}

/// A query whose single column is aliased `s` and is text (cast it to TEXT on PostgreSQL).
pub fn strings(conn: &mut DbConn, sql: &str) -> Vec<String> {
    let rows: Vec<OneText> = match conn {
        DbConn::Sqlite(c) => diesel::sql_query(sql).load(c),
        DbConn::Postgresql(c) => diesel::sql_query(sql).load(c),
    }
    .unwrap_or_else(|e| panic!("SQL failed: {sql}: {e}"));
    rows.into_iter().map(|r| r.s).collect()
}

/// A query with columns `s` (text) and `n` (BIGINT: cast it).
pub fn string_numbers(conn: &mut DbConn, sql: &str) -> Vec<(String, i64)> {
    let rows: Vec<TextAndI64> = match conn {
        DbConn::Sqlite(c) => diesel::sql_query(sql).load(c),
        DbConn::Postgresql(c) => diesel::sql_query(sql).load(c),
    }
    .unwrap_or_else(|e| panic!("SQL failed: {sql}: {e}"));
    rows.into_iter().map(|r| (r.s, r.n)).collect()
}

/// A query whose single column is aliased `n` and cast to BIGINT.
pub fn numbers(conn: &mut DbConn, sql: &str) -> Vec<i64> {
    let rows: Vec<OneI64> = match conn {
        DbConn::Sqlite(c) => diesel::sql_query(sql).load(c),
        DbConn::Postgresql(c) => diesel::sql_query(sql).load(c),
    }
    .unwrap_or_else(|e| panic!("SQL failed: {sql}: {e}"));
    rows.into_iter().filter_map(|r| r.n).collect()
}

/// A timestamp literal `offset` from now (UTC), in the format diesel stores in SQLite.
pub fn ts_from_now(offset: chrono::Duration) -> String {
    (chrono::Utc::now().naive_utc() + offset).format("%Y-%m-%d %H:%M:%S%.6f").to_string()
}

/// Quotes a string as an SQL literal.
pub fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

// ---------------------------------------------------------------------------------------------
// The application under test
// ---------------------------------------------------------------------------------------------

pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub backend: Backend,
    pub database_url: String,
    pub pool: Pool,
    pub setup_link: Option<String>,
    handle: actix_web::dev::ServerHandle,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // The stop command is sent at once; the runtime ending stops what is left.
        drop(self.handle.stop(false));
        if let Some((admin_url, name)) = self.pg.take() {
            drop_pg_database(&admin_url, &name);
        }
    }
}

/// Starts the application on a fresh, migrated, empty database (no user: the setup link is live).
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// Like `spawn_app`, with a chance to change the configuration first.
pub async fn spawn_app_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> TestApp {
    let (dir, pg, url) = match backend {
        Backend::Sqlite => {
            let (dir, url) = fresh_sqlite();
            (Some(dir), None, url)
        }
        Backend::Postgres => {
            let (admin_url, name, url) = fresh_postgres();
            (None, Some((admin_url, name)), url)
        }
    };
    let mut config = Config::for_tests(&url);
    adjust(&mut config);
    let app = Application::build(config).unwrap_or_else(|e| panic!("Application::build failed: {e:?}"));
    let port = app.port;
    let setup_link = app.setup_link.clone();
    let server = app.run();
    let handle = server.handle();
    tokio::spawn(server);
    let pool = connect_pool(&url, 3).expect("test pool");
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        backend,
        database_url: url,
        pool,
        setup_link,
        handle,
        _dir: dir,
        pg,
    }
}

/// Starts the application and loads the demo data set (reference data + demo users).
pub async fn spawn_demo_app(backend: Backend) -> TestApp {
    let app = spawn_app(backend).await;
    {
        let mut conn = app.conn();
        campaign_tracker::demo::load(&mut conn).unwrap_or_else(|e| panic!("demo::load failed: {e:?}"));
    }
    app
}

pub const ADMIN: (&str, &str) = ("admin", "demo-admin-pass");
pub const MANAGER: (&str, &str) = ("manager", "demo-manager-pass");
pub const LOGISTICS: (&str, &str) = ("logistics", "demo-logistics-pass");
pub const VIEWER: (&str, &str) = ("viewer", "demo-viewer-pass");

/// A browser: keeps cookies, never follows redirects (tests look at each 303).
pub fn client() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .expect("reqwest client")
}

/// A client without a cookie jar (for replaying a given cookie by hand).
pub fn bare_client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .expect("reqwest client")
}

/// One HTTP response, read in full.
#[derive(Debug)]
pub struct Page {
    pub method: String,
    pub path: String,
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub async fn from_response(method: &str, path: &str, response: reqwest::Response) -> Page {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("read body");
        Page {
            method: method.to_string(),
            path: path.to_string(),
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// Short description for assertion messages.
    pub fn describe(&self) -> String {
        let snippet: String = self.body.chars().take(1500).collect();
        let errors: Vec<String> = {
            let doc = self.html();
            let selector = sel(".field-error, .form-error, .flash");
            doc.select(&selector)
                .map(|e| {
                    format!(
                        "{}#{}: {}",
                        e.value().attr("class").unwrap_or(""),
                        e.value().attr("id").unwrap_or(""),
                        collapse(&e.text().collect::<String>())
                    )
                })
                .collect()
        };
        format!(
            "{} {} -> {} (Location: {:?})\nmessages: {:?}\n--- body (first 1500 chars) ---\n{}\n---",
            self.method,
            self.path,
            self.status,
            self.location(),
            errors,
            snippet
        )
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
    }

    /// The Location header as a local path (scheme and host removed when present).
    pub fn location(&self) -> Option<String> {
        let raw = self.headers.get(LOCATION)?.to_str().ok()?.to_string();
        if let Some(rest) = raw.strip_prefix("http://").or_else(|| raw.strip_prefix("https://")) {
            match rest.find('/') {
                Some(i) => Some(rest[i..].to_string()),
                None => Some("/".to_string()),
            }
        } else {
            Some(raw)
        }
    }

    /// The raw Location header.
    pub fn raw_location(&self) -> Option<String> {
        self.header("location")
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers.get_all(SET_COOKIE).iter().filter_map(|v| v.to_str().ok().map(str::to_string)).collect()
    }

    /// The full Set-Cookie line for `name`, if this response sets it.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.set_cookies().into_iter().find(|c| c.split('=').next().map(str::trim) == Some(name))
    }

    /// The value `name` is set to by this response.
    pub fn cookie_value(&self, name: &str) -> Option<String> {
        let line = self.set_cookie(name)?;
        let first = line.split(';').next()?;
        Some(first.split_once('=')?.1.trim().to_string())
    }

    pub fn html(&self) -> scraper::Html {
        scraper::Html::parse_document(&self.body)
    }

    pub fn has(&self, css: &str) -> bool {
        let selector = sel(css);
        self.html().select(&selector).next().is_some()
    }

    pub fn count(&self, css: &str) -> usize {
        let selector = sel(css);
        self.html().select(&selector).count()
    }

    /// Text of every element matching `css`, whitespace-collapsed.
    pub fn texts(&self, css: &str) -> Vec<String> {
        let selector = sel(css);
        self.html().select(&selector).map(|e| collapse(&e.text().collect::<String>())).collect()
    }

    pub fn text(&self, css: &str) -> Option<String> {
        self.texts(css).into_iter().next()
    }

    pub fn attr(&self, css: &str, attr: &str) -> Option<String> {
        let selector = sel(css);
        self.html().select(&selector).next().and_then(|e| e.value().attr(attr).map(str::to_string))
    }

    pub fn attrs(&self, css: &str, attr: &str) -> Vec<String> {
        let selector = sel(css);
        self.html().select(&selector).filter_map(|e| e.value().attr(attr).map(str::to_string)).collect()
    }

    /// The CSRF token of the first form on the page.
    pub fn csrf(&self) -> Option<String> {
        csrf_from(&self.body)
    }

    /// The value attribute of `<input name=NAME>` (or the text of `<textarea name=NAME>`).
    pub fn input_value(&self, name: &str) -> Option<String> {
        self.attr(&format!("input[name=\"{name}\"]"), "value")
            .or_else(|| self.text(&format!("textarea[name=\"{name}\"]")))
    }

    /// The value of the selected option of `<select name=NAME>`.
    pub fn selected(&self, name: &str) -> Option<String> {
        self.attr(&format!("select[name=\"{name}\"] option[selected]"), "value")
    }

    /// The `lang` attribute of `<html>`.
    pub fn lang(&self) -> Option<String> {
        self.attr("html", "lang")
    }

    /// Text of `.field-error#FIELD-error`.
    pub fn field_error(&self, field: &str) -> Option<String> {
        self.text(&format!("p.field-error[id=\"{field}-error\"]"))
    }

    /// Text of the flash message (`.flash`).
    pub fn flash(&self) -> Option<String> {
        self.text(".flash")
    }

    /// Location ids linked as `/locations/{id}` (distinct, in page order).
    pub fn linked_ids(&self, prefix: &str) -> Vec<i64> {
        let mut ids = Vec::new();
        for href in self.attrs("a[href]", "href") {
            let path = href.split(['?', '#']).next().unwrap_or("");
            if let Some(rest) = path.strip_prefix(prefix) {
                if let Ok(id) = rest.parse::<i64>() {
                    if !ids.contains(&id) {
                        ids.push(id);
                    }
                }
            }
        }
        ids
    }

    pub fn assert_status(&self, expected: u16) -> &Self {
        assert_eq!(self.status, expected, "unexpected status\n{}", self.describe());
        self
    }

    /// Asserts a 303 and returns its local Location.
    pub fn assert_see_other(&self) -> String {
        assert_eq!(self.status, 303, "expected 303 See Other\n{}", self.describe());
        self.location().unwrap_or_else(|| panic!("303 without Location\n{}", self.describe()))
    }

    /// Asserts a 303 to `/login` (any query) and returns the Location.
    pub fn assert_to_login(&self) -> String {
        let location = self.assert_see_other();
        assert!(
            location == "/login" || location.starts_with("/login?"),
            "expected a redirect to /login, got {location}\n{}",
            self.describe()
        );
        location
    }
}

pub fn sel(css: &str) -> scraper::Selector {
    scraper::Selector::parse(css).unwrap_or_else(|e| panic!("bad selector {css}: {e:?}"))
}

pub fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The value of the first `input[name=csrf_token]` in `html`.
pub fn csrf_from(html: &str) -> Option<String> {
    let doc = scraper::Html::parse_document(html);
    let selector = sel("input[name=\"csrf_token\"]");
    let value = doc.select(&selector).next().and_then(|e| e.value().attr("value").map(str::to_string));
    value
}

/// True when `to` is `from` with a `key=` parameter added: a new-record page's own key.
pub fn is_own_key_redirect(from: &str, to: &str) -> bool {
    let (from_path, _) = from.split_once('?').unwrap_or((from, ""));
    let (to_path, _) = to.split_once('?').unwrap_or((to, ""));
    from_path == to_path && query_param(to, "key").is_some() && query_param(from, "key").is_none()
}

/// The value of query parameter `key` in a local path such as `/login?next=%2Fx`.
pub fn query_param(path: &str, key: &str) -> Option<String> {
    let url = url::Url::parse(&format!("http://localhost{path}")).ok()?;
    let value = url.query_pairs().find(|(k, _)| k == key).map(|(_, v)| v.into_owned());
    value
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// A pooled connection for direct SQL.
    pub fn conn(&self) -> campaign_tracker::db::PooledConn {
        self.pool.get().expect("test pool connection")
    }

    pub fn exec(&self, sql: &str) {
        exec_sql(&mut self.conn(), sql)
    }

    pub fn scalar(&self, sql: &str) -> i64 {
        scalar(&mut self.conn(), sql)
    }

    pub fn scalar_opt(&self, sql: &str) -> Option<i64> {
        scalar_opt(&mut self.conn(), sql)
    }

    pub fn count(&self, table: &str) -> i64 {
        self.scalar(&format!("SELECT COUNT(*) FROM {table}"))
    }

    pub fn strings(&self, sql: &str) -> Vec<String> {
        strings(&mut self.conn(), sql)
    }

    pub fn numbers(&self, sql: &str) -> Vec<i64> {
        numbers(&mut self.conn(), sql)
    }

    pub fn user_id(&self, username: &str) -> i64 {
        self.scalar(&format!("SELECT id FROM users WHERE username = {}", lit(username)))
    }

    /// GET, following a new-record page's redirect to its own address with a one-time key
    /// (`?key=`), as a browser does: the page is what a test asks for. `get_raw` does not follow.
    pub async fn get(&self, client: &Client, path: &str) -> Page {
        let page = self.get_raw(client, path).await;
        match page.location().filter(|to| page.status == 303 && is_own_key_redirect(path, to)) {
            Some(to) => self.get_raw(client, &to).await,
            None => page,
        }
    }

    pub async fn get_raw(&self, client: &Client, path: &str) -> Page {
        let response = client.get(self.url(path)).send().await.unwrap_or_else(|e| panic!("GET {path} failed: {e}"));
        Page::from_response("GET", path, response).await
    }

    /// GET with headers, following a new-record page's own key redirect like `get`.
    pub async fn get_with(&self, client: &Client, path: &str, headers: &[(&str, &str)]) -> Page {
        let get = |path: String| {
            let mut request = client.get(self.url(&path));
            for (k, v) in headers {
                request = request.header(*k, *v);
            }
            async move {
                let response = request.send().await.unwrap_or_else(|e| panic!("GET {path} failed: {e}"));
                Page::from_response("GET", &path, response).await
            }
        };
        let page = get(path.to_string()).await;
        match page.location().filter(|to| page.status == 303 && is_own_key_redirect(path, to)) {
            Some(to) => get(to).await,
            None => page,
        }
    }

    /// A CSRF token for this browser: from `page` when it has a form, else from `/campaigns` (any
    /// signed-in role reads it; `/` redirects managers and viewers), else `/login`.
    pub async fn csrf_token(&self, client: &Client, page: &str) -> String {
        for path in [page, "/campaigns", "/login"] {
            let p = self.get(client, path).await;
            if p.status == 200 {
                if let Some(token) = p.csrf() {
                    return token;
                }
            }
        }
        panic!("no csrf_token found on {page}, /campaigns or /login");
    }

    /// POSTs `fields` plus `csrf_token` exactly as given (no token added when `token` is None).
    pub async fn post_raw(
        &self,
        client: &Client,
        path: &str,
        fields: &[(&str, &str)],
        token: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Page {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        if let Some(token) = token {
            all.push(("csrf_token", token));
        }
        let mut request = client.post(self.url(path)).form(&all);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let response = request.send().await.unwrap_or_else(|e| panic!("POST {path} failed: {e}"));
        Page::from_response("POST", path, response).await
    }

    /// POSTs a form with a token scraped from GET `path` (or `/`, `/login` when `path` has no form).
    pub async fn post_form(&self, client: &Client, path: &str, fields: &[(&str, &str)]) -> Page {
        let token = self.csrf_token(client, path).await;
        self.post_raw(client, path, fields, Some(&token), &[]).await
    }

    /// POSTs a form with a token scraped from GET `form_page`.
    pub async fn post_form_from(&self, client: &Client, form_page: &str, path: &str, fields: &[(&str, &str)]) -> Page {
        let token = self.csrf_token(client, form_page).await;
        self.post_raw(client, path, fields, Some(&token), &[]).await
    }

    /// Signs in through the login form; returns the POST's response.
    pub async fn login(&self, client: &Client, username: &str, password: &str) -> Page {
        self.login_with(client, username, password, &[]).await
    }

    pub async fn login_with(&self, client: &Client, username: &str, password: &str, extra: &[(&str, &str)]) -> Page {
        let form = self.get(client, "/login").await;
        assert_eq!(form.status, 200, "GET /login\n{}", form.describe());
        let token = form.csrf().unwrap_or_else(|| panic!("no csrf_token on /login\n{}", form.describe()));
        let mut fields = vec![("username", username), ("password", password)];
        fields.extend_from_slice(extra);
        self.post_raw(client, "/login", &fields, Some(&token), &[]).await
    }

    /// Signs in and asserts success.
    pub async fn login_ok(&self, client: &Client, username: &str, password: &str) {
        let page = self.login(client, username, password).await;
        let location = page.assert_see_other();
        assert!(!location.starts_with("/login"), "sign-in of {username} went back to {location}\n{}", page.describe());
    }

    /// A new browser, signed in as `username`.
    pub async fn signed_in(&self, username: &str, password: &str) -> Client {
        let c = client();
        self.login_ok(&c, username, password).await;
        c
    }

    /// Creates a user directly (argon2id) and returns (username, password).
    pub fn create_user(&self, role: Role) -> (String, String) {
        let username = format!("t{}{}", role_name(role), &random_suffix()[..8]);
        let password = format!("pw-{}-long", random_suffix());
        let mut conn = self.conn();
        campaign_tracker::accounts::create_user(&mut conn, &username, "Test User", role, &password)
            .unwrap_or_else(|e| panic!("create_user failed: {e:?}"));
        (username, password)
    }

    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}

pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Admin => "admin",
        Role::Manager => "manager",
        Role::Logistics => "logistics",
        Role::Viewer => "viewer",
    }
}

// ---------------------------------------------------------------------------------------------
// Stock: submission keys, dates, ids, balances, signed-in browsers with one CSRF token
// ---------------------------------------------------------------------------------------------

/// A fresh one-time submission key (34 characters of [a-z0-9-]).
pub fn submission_key() -> String {
    format!("k-{}{}", random_suffix(), random_suffix())
}

/// Today (UTC), the application's notion of "today".
pub fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

/// The date `offset` days from today as YYYY-MM-DD (negative: in the past).
pub fn day(offset: i64) -> String {
    (today() + chrono::Duration::days(offset)).format("%Y-%m-%d").to_string()
}

/// The id at the end of a local path such as `/receipts/12` (None when it is not a number).
pub fn id_in(path: &str, prefix: &str) -> Option<i64> {
    path.split(['?', '#']).next()?.strip_prefix(prefix)?.parse().ok()
}

/// One part of a multipart form: name, (filename, content type) for a file, and the bytes.
pub type Part<'a> = (&'a str, Option<(&'a str, &'a str)>, &'a [u8]);

/// A signed-in browser with the CSRF token of its session (valid for every form of the session).
pub struct Browser {
    pub client: Client,
    pub token: String,
}

impl TestApp {
    /// Signs in as `username` and scrapes the session's CSRF token once.
    pub async fn browser(&self, username: &str, password: &str) -> Browser {
        let client = self.signed_in(username, password).await;
        // Every page a signed-in user may read carries the header forms, and with them the token.
        let token = self.csrf_token(&client, "/campaigns").await;
        Browser { client, token }
    }

    /// POSTs `fields` with the browser's CSRF token.
    pub async fn send(&self, b: &Browser, path: &str, fields: &[(&str, &str)]) -> Page {
        self.post_raw(&b.client, path, fields, Some(&b.token), &[]).await
    }

    /// POSTs `fields` with the browser's CSRF token and, unless given, a fresh submission key.
    pub async fn send_once(&self, b: &Browser, path: &str, fields: &[(&str, &str)]) -> Page {
        let key = submission_key();
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        if !fields.iter().any(|(k, _)| *k == "submission_key") {
            all.push(("submission_key", &key));
        }
        self.post_raw(&b.client, path, &all, Some(&b.token), &[]).await
    }

    pub fn location_id(&self, code: &str) -> i64 {
        self.scalar(&format!("SELECT id FROM locations WHERE code = {}", lit(code)))
    }

    pub fn material_id(&self, code: &str) -> i64 {
        self.scalar(&format!("SELECT id FROM materials WHERE code = {}", lit(code)))
    }

    pub fn region_id(&self, code: &str) -> i64 {
        self.scalar(&format!("SELECT id FROM regions WHERE code = {}", lit(code)))
    }

    pub fn transit_id(&self) -> i64 {
        self.location_id("TRANSIT")
    }

    /// Units of `material` at `location` according to `stock_balances` (0 without a row).
    pub fn on_hand(&self, material: i64, location: i64) -> i64 {
        self.scalar(&format!(
            "SELECT COALESCE(SUM(on_hand), 0) FROM stock_balances WHERE material_id = {material} AND location_id = {location}"
        ))
    }

    /// The signed sum of the movements of `material` at `location` (to adds, from subtracts).
    pub fn ledger_sum(&self, material: i64, location: i64) -> i64 {
        self.scalar(&format!(
            "SELECT COALESCE(SUM(CASE WHEN to_location_id = {location} THEN quantity ELSE 0 END), 0) \
                  - COALESCE(SUM(CASE WHEN from_location_id = {location} THEN quantity ELSE 0 END), 0) \
             FROM stock_movements WHERE material_id = {material}"
        ))
    }

    /// A multipart/form-data POST built by hand: (name, filename and content type for files, bytes).
    pub async fn post_multipart(&self, client: &Client, path: &str, parts: &[Part<'_>]) -> Page {
        let boundary = format!("----ctboundary{}", random_suffix());
        let mut body: Vec<u8> = Vec::new();
        for (name, file, data) in parts {
            body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            match file {
                Some((filename, content_type)) => {
                    body.extend_from_slice(
                        format!(
                            "Content-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
                        )
                        .as_bytes(),
                    );
                }
                None => {
                    body.extend_from_slice(
                        format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
                    );
                }
            }
            body.extend_from_slice(data);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let response = client
            .post(self.url(path))
            .header("Content-Type", format!("multipart/form-data; boundary={boundary}"))
            .body(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path} failed: {e}"));
        Page::from_response("POST", path, response).await
    }

    /// GET returning the raw bytes and content type (for attachments).
    pub async fn get_bytes(&self, client: &Client, path: &str) -> (u16, Option<String>, Vec<u8>) {
        let response = client.get(self.url(path)).send().await.unwrap_or_else(|e| panic!("GET {path} failed: {e}"));
        let status = response.status().as_u16();
        let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).map(str::to_string);
        let bytes = response.bytes().await.expect("read body").to_vec();
        (status, content_type, bytes)
    }
}

// ---------------------------------------------------------------------------------------------
// Several instances on one database (tests/app/instances.rs)
// ---------------------------------------------------------------------------------------------

impl TestApp {
    /// A second instance of the application on this one's database, as a second server behind a
    /// load balancer: its own port, pool, workers and configuration (`adjust`), nothing shared in
    /// memory. It does not own the database; drop it before (or with) the first instance.
    pub async fn another_instance(&self, adjust: impl FnOnce(&mut Config)) -> TestApp {
        let mut config = Config::for_tests(&self.database_url);
        adjust(&mut config);
        let app = Application::build(config).unwrap_or_else(|e| panic!("second Application::build failed: {e:?}"));
        let port = app.port;
        let setup_link = app.setup_link.clone();
        let server = app.run();
        let handle = server.handle();
        tokio::spawn(server);
        let pool = connect_pool(&self.database_url, 3).expect("test pool");
        TestApp {
            address: format!("http://127.0.0.1:{port}"),
            port,
            backend: self.backend,
            database_url: self.database_url.clone(),
            pool,
            setup_link,
            handle,
            _dir: None,
            pg: None,
        }
    }
}
