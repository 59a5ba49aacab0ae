//! The `campaign-tracker` command: serve (the default), migrate, user administration, demo data,
//! exports, imports, backups and the hot queries' plans.

use campaign_tracker::config::{Config, DEFAULT_BIND, DEFAULT_DATABASE_URL};
use campaign_tracker::db::{connect_pool, redact_url, run_migrations, DbConn};
use campaign_tracker::domain::{Password, Role, Username};
use campaign_tracker::models::audit::{Actor, AuditEntry};
use campaign_tracker::models::user::User;
use campaign_tracker::startup::Application;
use campaign_tracker::{accounts, demo};
use clap::{Args, Parser, Subcommand};
use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

/// Tracks the printed and broadcast material of public awareness campaigns.
#[derive(Parser)]
#[command(name = "campaign-tracker", version, about)]
struct Cli {
    /// SQLite file path (or sqlite://path), or a postgres:// URL.
    #[arg(long = "database", env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    database_url: String,

    #[command(subcommand)]
    command: Option<Command>,

    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Start the web server (the default when no command is given).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Load the reference campaign (2005–2006), its locations, one demo user per role and its
    /// distribution history.
    Demo {
        /// Multiply the distribution history for benchmarks (408 gives about 1,000,000 ledger rows).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=2000))]
        scale: u32,
    },
    /// Export rows as CSV (to standard output, or --output) or XLSX (needs --output), with the
    /// filters of the page: distributions, shipments or locations.
    Export(Box<ExportArgs>),
    /// Import a CSV file (locations, receipts, distributions, airings or targets): every row is
    /// checked first, then all rows are written or none. --dry-run only checks.
    Import {
        /// What the file holds: locations, receipts, distributions, airings or targets.
        kind: String,
        /// The CSV file (comma or semicolon; UTF-8 or Windows-1252; at most 20 MB and 200,000 rows).
        file: std::path::PathBuf,
        /// Check every row and show what would be written, without writing.
        #[arg(long)]
        dry_run: bool,
        /// Distributions: the code of the depot every row was sent from (instead of an origin_code column).
        #[arg(long)]
        origin: Option<String>,
        /// How quantities with separators are read: en (1,500) or es (1.500); plain digits always work.
        #[arg(long, default_value = "en")]
        lang: String,
        /// Write rows the preview asks about: `over_limit` (quantities beyond a material's print run or limit).
        #[arg(long)]
        confirm: Vec<String>,
    },
    /// Copy the SQLite database to FILE, consistently, while the server runs (VACUUM INTO); FILE
    /// must not exist. For PostgreSQL use pg_dump.
    Backup {
        /// The new file to write.
        file: std::path::PathBuf,
    },
    /// Print the plan of every query the list pages send (the shipment list in each order and
    /// filter, receipts, ledgers, stock, audit log, airings, locations, the dashboard):
    /// EXPLAIN QUERY PLAN on SQLite, the generic plan of the prepared statement on PostgreSQL,
    /// after when the planner's statistics were gathered.
    Explain,
}

#[derive(Args)]
struct ExportArgs {
    /// What to export: distributions, shipments, locations, receipts, airings, targets, stock, ledger or coverage.
    kind: String,
    /// Campaign code.
    #[arg(long)]
    campaign: Option<String>,
    /// Material code.
    #[arg(long)]
    material: Option<String>,
    /// Region code (of the destination, for distributions).
    #[arg(long)]
    region: Option<String>,
    /// Location type code.
    #[arg(long = "type")]
    location_type: Option<String>,
    /// First day, YYYY-MM-DD.
    #[arg(long)]
    from: Option<String>,
    /// Last day, YYYY-MM-DD.
    #[arg(long)]
    to: Option<String>,
    /// Shipments: origin depot code.
    #[arg(long)]
    origin: Option<String>,
    /// Shipments: only those to distribution points (no transfers between depots).
    #[arg(long)]
    points_only: bool,
    /// Locations: text in the name, code or city; shipments: in the reference or a place's name.
    #[arg(long)]
    search: Option<String>,
    /// Locations: active (default), inactive or all; shipments: draft, dispatched, delivered or cancelled.
    #[arg(long)]
    status: Option<String>,
    /// csv or xlsx.
    #[arg(long, default_value = "csv")]
    format: String,
    /// The file to write (standard output when absent, for CSV).
    #[arg(long, short)]
    output: Option<std::path::PathBuf>,
    /// CSV for Excel: a UTF-8 BOM, and ';' as separator with --lang es.
    #[arg(long)]
    excel: bool,
    /// Language of translated cells and of the Excel separator: en or es.
    #[arg(long, default_value = "en")]
    lang: String,
}

#[derive(Args, Clone)]
struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "BIND_ADDRESS", default_value = DEFAULT_BIND)]
    bind: String,
    /// Secret for CSRF tokens, shared by every instance; generated and kept in the database when absent.
    #[arg(long, env = "SESSION_KEY", hide_env_values = true)]
    session_key: Option<String>,
    /// Mark cookies Secure (when served over HTTPS).
    #[arg(long, env = "COOKIE_SECURE")]
    secure_cookies: bool,
    /// Public origin POSTs must come from, e.g. https://tracker.example.org (default: the request's Host).
    #[arg(long, env = "PUBLIC_URL")]
    public_url: Option<String>,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "WORKERS")]
    workers: Option<usize>,
    /// Database connections in the pool.
    #[arg(long, env = "POOL_SIZE", default_value_t = 16)]
    pool_size: u32,
    /// Reverse proxies whose X-Forwarded-For gives the client's address: IPs or CIDR networks,
    /// comma-separated, e.g. 10.0.0.0/8,127.0.0.1 (default: none, the peer address is the client).
    #[arg(long, env = "TRUSTED_PROXIES")]
    trusted_proxies: Option<String>,
    /// Days after dispatch that a delivery note's QR code and short code still let the
    /// recipient confirm.
    #[arg(long, env = "CONFIRM_LINK_DAYS", default_value_t = campaign_tracker::config::DEFAULT_CONFIRM_LINK_DAYS)]
    confirm_link_days: u32,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user; the password is read from standard input (prompted without echo on a terminal).
    Add {
        #[arg(long)]
        username: String,
        /// admin, manager, logistics or viewer.
        #[arg(long)]
        role: String,
        #[arg(long)]
        display_name: Option<String>,
    },
    /// List users.
    List,
    /// Disable a user and end their sessions.
    Disable { username: String },
    /// Set a new password (read like `user add`) and end the user's sessions.
    SetPassword { username: String },
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info,actix_server=warn")).init();
    let cli = Cli::parse();
    let result = match cli.command {
        None => serve(&cli.database_url, cli.serve),
        Some(Command::Serve(args)) => serve(&cli.database_url, args),
        Some(Command::Migrate) => migrate(&cli.database_url),
        Some(Command::User(cmd)) => user(&cli.database_url, cmd),
        Some(Command::Demo { scale }) => load_demo(&cli.database_url, scale),
        Some(Command::Export(args)) => export(&cli.database_url, *args),
        Some(Command::Import { kind, file, dry_run, origin, lang, confirm }) => {
            match campaign_tracker::domain::Lang::parse(&lang) {
                Some(lang) => {
                    let answers = campaign_tracker::domain::Answers::from_codes(confirm.iter().map(String::as_str));
                    let request =
                        campaign_tracker::exchange::import::cli::Request { kind, file, dry_run, origin, lang, answers };
                    import(&cli.database_url, request)
                }
                None => Err(format!("unknown language {lang:?}: use en or es")),
            }
        }
        Some(Command::Backup { file }) => backup(&cli.database_url, &file),
        Some(Command::Explain) => explain(&cli.database_url),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn serve(database_url: &str, args: ServeArgs) -> Result<(), String> {
    let config = Config {
        database_url: database_url.to_string(),
        bind: args.bind.clone(),
        session_key: args.session_key.filter(|k| !k.is_empty()),
        secure_cookies: args.secure_cookies,
        public_url: args.public_url.filter(|u| !u.trim().is_empty()),
        workers: args.workers.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)),
        pool_size: args.pool_size.max(2),
        trusted_proxies: campaign_tracker::config::parse_trusted_proxies(args.trusted_proxies.as_deref().unwrap_or(""))
            .map_err(|e| format!("TRUSTED_PROXIES: {e}"))?,
        body_timeout: Default::default(),
        confirm_link_days: args.confirm_link_days,
    };
    if config.session_key.as_ref().is_some_and(|k| k.len() < 32) {
        return Err("SESSION_KEY must be at least 32 characters".into());
    }
    if let Some(public) = &config.public_url {
        let origin = url::Url::parse(public).ok().map(|u| u.origin()).filter(|o| o.is_tuple());
        if origin.is_none() {
            return Err(format!("PUBLIC_URL {public:?} is not an origin such as https://tracker.example.org"));
        }
    }
    let public = config.public_url.clone().unwrap_or_else(|| format!("http://{}", config.bind));
    let trusted = config.trusted_proxies.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
    let app = Application::build(config).map_err(|e| e.to_string())?;
    log::info!("database: {}", redact_url(database_url));
    if !trusted.is_empty() {
        log::info!("client addresses from X-Forwarded-For when the peer is one of: {trusted}");
    }
    log::info!("listening on http://{} (port {})", args.bind, app.port);
    if let Some(link) = &app.setup_link {
        log::warn!(
            "no user exists yet: open {}{} to create the first administrator (the link works once)",
            public.trim_end_matches('/'),
            link
        );
    }
    actix_web::rt::System::new().block_on(app.run()).map_err(|e| format!("server stopped: {e}"))?;
    log::info!("server stopped");
    Ok(())
}

fn open(database_url: &str) -> Result<campaign_tracker::db::PooledConn, String> {
    let pool = connect_pool(database_url, 2).map_err(|e| e.to_string())?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    run_migrations(&mut conn).map_err(|e| e.to_string())?;
    Ok(conn)
}

fn migrate(database_url: &str) -> Result<(), String> {
    open(database_url)?;
    println!("database {} is up to date", redact_url(database_url));
    Ok(())
}

/// Reads a password: prompted twice without echo on a terminal, else one line of standard input.
fn read_password() -> Result<Password, String> {
    let raw = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ").map_err(|e| e.to_string())?;
        let again = rpassword::prompt_password("Password again: ").map_err(|e| e.to_string())?;
        if first != again {
            return Err("the two passwords differ".into());
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map_err(|e| format!("cannot read the password: {e}"))?;
        line.trim_end_matches(['\r', '\n']).to_string()
    };
    Password::parse(&raw).map_err(|e| match e.key {
        "err.password_short" => {
            format!("the password must have at least {} characters", campaign_tracker::domain::MIN_PASSWORD_LEN)
        }
        _ => "the password is too long".to_string(),
    })
}

fn find_user(conn: &mut DbConn, username: &str) -> Result<User, String> {
    User::find_by_username(conn, &username.trim().to_lowercase())
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no user named {username:?}"))
}

fn user(database_url: &str, cmd: UserCommand) -> Result<(), String> {
    let mut conn = open(database_url)?;
    match cmd {
        UserCommand::Add { username, role, display_name } => {
            let name = Username::parse(&username)
                .map_err(|_| format!("invalid username {username:?}: use 3–40 of a–z, 0–9, '.', '_', '-'"))?;
            let role = Role::parse(&role)
                .map_err(|_| format!("unknown role {role:?}: use admin, manager, logistics or viewer"))?;
            if User::find_by_username(&mut conn, name.as_str()).map_err(|e| e.to_string())?.is_some() {
                return Err(format!("user {:?} already exists", name.as_str()));
            }
            let password = read_password()?;
            let user = accounts::create_user(
                &mut conn,
                name.as_str(),
                display_name.as_deref().unwrap_or(""),
                role,
                password.expose(),
            )
            .map_err(|e| e.to_string())?;
            println!("added {} ({})", user.username, role.as_str());
        }
        UserCommand::List => {
            let users = User::all(&mut conn).map_err(|e| e.to_string())?;
            println!("{:<24} {:<10} {:<8} display name", "username", "role", "active");
            for u in users {
                println!(
                    "{:<24} {:<10} {:<8} {}",
                    u.username,
                    u.role.as_str(),
                    if u.is_active { "yes" } else { "no" },
                    u.display_name
                );
            }
        }
        UserCommand::Disable { username } => {
            let user = find_user(&mut conn, &username)?;
            conn.write_transaction(|conn| -> Result<(), diesel::result::Error> {
                User::set_active(conn, user.id(), false)?;
                AuditEntry::record(conn, &Actor::cli(), "disable", "user", user.id, &user.username)
            })
            .map_err(|e| e.to_string())?;
            println!("disabled {} and ended their sessions", user.username);
        }
        UserCommand::SetPassword { username } => {
            let user = find_user(&mut conn, &username)?;
            let password = read_password()?;
            let hash = accounts::hash_password(&password).map_err(|e| e.to_string())?;
            conn.write_transaction(|conn| -> Result<(), diesel::result::Error> {
                User::set_password_hash(conn, user.id(), &hash)?;
                User::end_sessions(conn, user.id())?;
                AuditEntry::record(conn, &Actor::cli(), "reset_password", "user", user.id, &user.username)
            })
            .map_err(|e| e.to_string())?;
            println!("password of {} changed; their sessions were ended", user.username);
        }
    }
    Ok(())
}

fn load_demo(database_url: &str, scale: u32) -> Result<(), String> {
    let mut conn = open(database_url)?;
    let s = demo::load(&mut conn).map_err(|e| e.to_string())?;
    println!(
        "reference data in {}: {} regions, {} location types, {} campaigns, {} materials, {} locations, {} users added",
        redact_url(database_url),
        s.regions,
        s.location_types,
        s.campaigns,
        s.materials,
        s.locations,
        s.users
    );
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("history {bar:40} {pos}/{len} movements ({per_sec}, {eta} left)")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let started = std::time::Instant::now();
    let history = demo::history::load_history(&mut conn, scale, &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })
    .map_err(|e| e.to_string())?;
    bar.finish_and_clear();
    // PostgreSQL plans from the statistics of an empty database until it is analysed (the lists
    // and the report took 5-8x longer at a million rows before), and counts read the table until
    // it is vacuumed.
    campaign_tracker::db::analyze_after_bulk_load(&mut conn).map_err(|e| e.to_string())?;
    if history.movements == 0 {
        println!("history: already loaded, nothing added");
    } else {
        println!(
            "history: {} receipts, {} shipments, {} ledger movements in {:.1} s",
            history.receipts,
            history.shipments,
            history.movements,
            started.elapsed().as_secs_f64()
        );
    }
    let targets = demo::targets::load_targets(&mut conn).map_err(|e| e.to_string())?;
    if targets > 0 {
        println!("allocation plan: {targets} targets");
    }
    let airings = demo::airings::load_airings(&mut conn).map_err(|e| e.to_string())?;
    if airings > 0 {
        println!("broadcast: {airings} airing records");
    }
    println!("demo users (username / password):");
    for (username, _, password, role) in demo::DEMO_USERS {
        println!("  {username:<10} / {password:<20} ({})", role.as_str());
    }
    Ok(())
}

fn export(database_url: &str, args: ExportArgs) -> Result<(), String> {
    let lang = campaign_tracker::domain::Lang::parse(&args.lang)
        .ok_or_else(|| format!("unknown language {:?}: use en or es", args.lang))?;
    let request = campaign_tracker::exchange::cli::Request {
        kind: args.kind,
        params: campaign_tracker::exchange::export::Params {
            campaign: args.campaign.unwrap_or_default(),
            material: args.material.unwrap_or_default(),
            region: args.region.unwrap_or_default(),
            location_type: args.location_type.unwrap_or_default(),
            from: args.from.unwrap_or_default(),
            to: args.to.unwrap_or_default(),
            text: args.search.unwrap_or_default(),
            status: args.status.unwrap_or_default(),
            origin: args.origin.unwrap_or_default(),
            dest: if args.points_only { "points".into() } else { String::new() },
            ..Default::default()
        },
        format: args.format,
        output: args.output,
        excel: args.excel,
        lang,
    };
    let mut conn = open(database_url)?;
    let summary = campaign_tracker::exchange::cli::run(&mut conn, request)?;
    eprintln!("{summary}");
    Ok(())
}

fn import(database_url: &str, request: campaign_tracker::exchange::import::cli::Request) -> Result<(), String> {
    let mut conn = open(database_url)?;
    match campaign_tracker::exchange::import::cli::run(&mut conn, request) {
        Ok(lines) => {
            for line in lines {
                eprintln!("{line}");
            }
            Ok(())
        }
        Err(lines) => {
            let (last, rest) = lines.split_last().map(|(l, r)| (l.clone(), r)).unwrap_or_default();
            for line in rest {
                eprintln!("{line}");
            }
            Err(last)
        }
    }
}

fn backup(database_url: &str, file: &std::path::Path) -> Result<(), String> {
    let report = campaign_tracker::db::backup::backup(database_url, file).map_err(|e| e.to_string())?;
    println!(
        "backup of {} written to {}: {:.1} MB in {:.2} s",
        redact_url(database_url),
        report.path.display(),
        report.bytes as f64 / 1_000_000.0,
        report.elapsed.as_secs_f64()
    );
    Ok(())
}

fn explain(database_url: &str) -> Result<(), String> {
    let mut conn = open(database_url)?;
    let backend = conn.backend();
    let statistics = campaign_tracker::db::plans::statistics(&mut conn).map_err(|e| e.to_string())?;
    let pages = campaign_tracker::db::plans::hot_pages(&mut conn).map_err(|e| e.to_string())?;
    println!("plans of the list pages' queries on {} ({})", backend.name(), redact_url(database_url));
    for line in statistics {
        println!("  {line}");
    }
    println!();
    print!("{}", campaign_tracker::db::plans::render(&pages));
    Ok(())
}
