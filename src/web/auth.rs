//! Sign-in, sign-out, first-run setup and the language switch.

use crate::accounts;
use crate::app::{
    self,
    sessions::{OpenSession, RecordSignInAttempt, SetUpFirstAdmin, SignOut},
};
use crate::domain::{Invalid, Lang, Password, Username};
use crate::models::setting::Setting;
use crate::models::throttle::LoginThrottle;
use crate::models::user::User;
use crate::views;
use crate::views::form::{FieldErrors, FormState};
use crate::web::ctx::query_param;
use crate::web::ctx::Ctx;
use crate::web::forms::PostForm;
use crate::web::{db, device, html, redirect, redirect_with_flash, security, unprocessable, AppError};
use actix_web::{web, HttpRequest, HttpResponse};

pub const SETUP_TOKEN_KEY: &str = "setup_token_sha256";

/// Password checks run at most on half the cores at once (at least one): argon2id is slow on
/// purpose, and a flood of sign-ins (a password spray) must queue here rather than take the
/// CPU, the workers and the database connections from the people already signed in.
fn hashing_gate() -> &'static tokio::sync::Semaphore {
    static GATE: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    GATE.get_or_init(|| {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        tokio::sync::Semaphore::new((cores / 2).max(1))
    })
}

/// How long a sign-in waits for its turn to check a password before "busy, try again".
pub const HASH_QUEUE_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// Verifies a password on the blocking pool, holding no database connection, once a turn at
/// the hashing gate is free; None when no turn came within `HASH_QUEUE_WAIT`.
pub async fn verify_password_queued(password: String, stored: String) -> Result<Option<bool>, AppError> {
    let permit = match actix_web::rt::time::timeout(HASH_QUEUE_WAIT, hashing_gate().acquire()).await {
        Ok(Ok(permit)) => permit,
        _ => return Ok(None),
    };
    let verified = web::block(move || accounts::verify_password(&password, &stored)).await?;
    drop(permit);
    Ok(Some(verified))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/login", web::get().to(login_form))
        .route("/login", web::post().to(login))
        .route("/logout", web::post().to(logout))
        .route("/lang", web::post().to(switch_language))
        .route("/setup/{token}", web::get().to(setup_form))
        .route("/setup/{token}", web::post().to(setup));
}

/// Only a local path may follow sign-in or a language switch: printable ASCII that starts with
/// one `/` and has no `//` or `\` anywhere. Browsers drop tabs and newlines from a URL, so
/// `/\t/evil.example` would become `//evil.example`, another site.
pub fn safe_next(next: &str) -> String {
    let ok = next.starts_with('/')
        && next.bytes().all(|b| b.is_ascii_graphic())
        && !next.contains("//")
        && !next.contains('\\');
    if ok {
        next.to_string()
    } else {
        "/".to_string()
    }
}

async fn login_form(ctx: Ctx) -> HttpResponse {
    if ctx.user.is_some() {
        return redirect(&safe_next(&query_param(&ctx, "next")));
    }
    let form = FormState::default();
    html(views::auth::login(&ctx.page, &form, &query_param(&ctx, "next"), &query_param(&ctx, "resume")))
}

enum LoginOutcome {
    Ok(User),
    Refused,
    Wait(i64),
    /// Too many sign-ins are checking passwords at this moment.
    Busy,
}

async fn login(ctx: Ctx, form: PostForm, req: HttpRequest) -> Result<HttpResponse, AppError> {
    let username = form.get("username").trim().to_lowercase();
    let password = form.get("password").to_string();
    let resume = form.get("resume").to_string();
    let devices = device::from_request(&ctx.state.session_key, &req);
    let known = devices.iter().find(|e| e.username.to_lowercase() == username).cloned();
    let user_key = LoginThrottle::user_key(&username);
    let ip_key = LoginThrottle::ip_key(&ctx.ip);
    // A browser this user signed in from before is throttled on its own cookie, not on the
    // username: guesses from anywhere else cannot keep the user out. Its failures count against
    // the username too.
    let (lookup_keys, failure_keys, success_key) = match &known {
        Some(entry) => (
            vec![entry.throttle_key(), ip_key.clone()],
            vec![entry.throttle_key(), user_key, ip_key],
            entry.throttle_key(),
        ),
        None => (vec![user_key.clone(), ip_key.clone()], vec![user_key.clone(), ip_key], user_key),
    };
    // The throttle is checked and the user read first; the hash is checked with no database
    // connection held, then the outcome is written.
    let found = db(&ctx, move |conn| {
        let wait = LoginThrottle::wait_seconds(conn, &lookup_keys)?;
        if wait > 0 {
            return Ok(Err(wait));
        }
        // A name that cannot exist is not looked up (PostgreSQL refuses a NUL in text).
        Ok(Ok(match crate::domain::Username::parse(&username) {
            Ok(name) => User::find_by_username(conn, name.as_str())?,
            Err(_) => None,
        }))
    })
    .await?;
    let outcome = match found {
        Err(wait) => LoginOutcome::Wait(wait),
        Ok(user) => {
            // An unknown name is checked against a dummy hash: the same work, so timing does not
            // reveal which usernames exist.
            let stored =
                user.as_ref().map(|u| u.password_hash.clone()).unwrap_or_else(|| accounts::dummy_hash().into());
            match verify_password_queued(password, stored).await? {
                None => LoginOutcome::Busy,
                Some(verified) => {
                    let attempt = RecordSignInAttempt { user, password_matched: verified, success_key, failure_keys };
                    match crate::web::write(&ctx, move |conn| Ok::<_, AppError>(app::run(conn, &attempt)?)).await? {
                        Some(user) => LoginOutcome::Ok(user),
                        None => LoginOutcome::Refused,
                    }
                }
            }
        }
    };

    let next = form.get("next").to_string();
    let mut state = FormState::default();
    state.set("username", form.get("username"));
    match outcome {
        LoginOutcome::Wait(seconds) => {
            state.form_error = Some(Invalid::with("auth.throttled", seconds));
            let body = views::auth::login(&ctx.page, &state, &next, &resume).into_string();
            Ok(HttpResponse::TooManyRequests()
                .insert_header(("Retry-After", seconds.to_string()))
                .content_type("text/html; charset=utf-8")
                .body(body))
        }
        LoginOutcome::Busy => {
            state.form_error = Some(Invalid::with("auth.busy", HASH_QUEUE_WAIT.as_secs()));
            let body = views::auth::login(&ctx.page, &state, &next, &resume).into_string();
            Ok(HttpResponse::ServiceUnavailable()
                .insert_header(("Retry-After", HASH_QUEUE_WAIT.as_secs().to_string()))
                .content_type("text/html; charset=utf-8")
                .body(body))
        }
        LoginOutcome::Refused => {
            state.form_error = Some(Invalid::new("auth.failed"));
            Ok(unprocessable(views::auth::login(&ctx.page, &state, &next, &resume)))
        }
        LoginOutcome::Ok(user) => {
            let old_owner = ctx.browser.hash();
            // A new id at sign-in: a session id planted before sign-in is worth nothing.
            let fresh = security::rotate_browser_id(&req);
            let session_id = fresh.hash();
            let ip = ctx.ip.clone();
            let resume_id = resume.clone();
            let device_value =
                device::after_sign_in(&ctx.state.session_key, &devices, &user.username, chrono::Utc::now().timestamp());
            // The session, its audit entry and a parked form's transfer land together or not at all.
            let parked = crate::tokens::is_token(&resume_id).then_some((resume_id, old_owner));
            let open = OpenSession { user, session_id, ip, resume: parked };
            let pending_path = crate::web::write(&ctx, move |conn| Ok::<_, AppError>(app::run(conn, &open)?)).await?;
            let target = match pending_path {
                Some(path) => format!("{}?resume={}", safe_next(&path), crate::views::components::url_encode(&resume)),
                None => safe_next(&next),
            };
            let mut remembered = security::cookie(device::DEVICE_COOKIE, device_value, ctx.state.config.secure_cookies);
            remembered.set_max_age(actix_web::cookie::time::Duration::days(device::KEEP_DAYS));
            Ok(HttpResponse::SeeOther()
                .insert_header((actix_web::http::header::LOCATION, target))
                .cookie(remembered)
                .finish())
        }
    }
}

async fn logout(ctx: Ctx, _form: PostForm, req: HttpRequest) -> Result<HttpResponse, AppError> {
    let session_id = ctx.browser.hash();
    let sign_out = SignOut { actor: crate::web::actor(&ctx), session_id };
    crate::web::write(&ctx, move |conn| Ok::<_, AppError>(app::run(conn, &sign_out)?)).await?;
    security::rotate_browser_id(&req);
    Ok(redirect_with_flash(&ctx, "/login", "flash.signed_out", None))
}

async fn switch_language(ctx: Ctx, form: PostForm) -> HttpResponse {
    let lang = Lang::parse(form.get("lang")).unwrap_or_default();
    let mut cookie = security::cookie(security::LANG_COOKIE, lang.code().to_string(), ctx.state.config.secure_cookies);
    cookie.set_max_age(actix_web::cookie::time::Duration::days(365));
    HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, safe_next(form.get("next"))))
        .cookie(cookie)
        .finish()
}

/// True while no user exists and the token is the one printed at start-up.
fn setup_allowed(conn: &mut crate::db::DbConn, token: &str) -> Result<bool, AppError> {
    if User::count(conn)? > 0 {
        return Ok(false);
    }
    let stored = Setting::get(conn, SETUP_TOKEN_KEY)?;
    Ok(stored.is_some_and(|s| security::tokens_match(&s, &crate::tokens::sha256_hex(token))))
}

async fn setup_form(ctx: Ctx, token: web::Path<String>) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    let check = token.clone();
    if !db(&ctx, move |conn| setup_allowed(conn, &check)).await? {
        return Err(AppError::NotFound);
    }
    Ok(html(views::auth::setup(&ctx.page, &FormState::default(), &token)))
}

async fn setup(ctx: Ctx, token: web::Path<String>, form: PostForm, req: HttpRequest) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    let mut errors = FieldErrors::new();
    let username = errors.check("username", Username::parse(form.get("username")));
    let display_name = errors.check("display_name", crate::domain::OptionalText::parse(form.get("display_name"), 80));
    let password = errors.check("password", Password::parse(form.get("password")));
    if password.is_some() && form.get("password") != form.get("password_confirm") {
        errors.add("password_confirm", Invalid::new("err.password_mismatch"));
    }
    let check = token.clone();
    if !db(&ctx, move |conn| setup_allowed(conn, &check)).await? {
        return Err(AppError::NotFound);
    }
    let (Some(username), Some(display_name), Some(password), true) =
        (username, display_name, password, errors.is_empty())
    else {
        let mut state = FormState::from_values(form.values());
        state.errors = errors;
        return Ok(unprocessable(views::auth::setup(&ctx.page, &state, &token)));
    };
    let hash = accounts::hash_password(&password)?;
    let fresh = security::rotate_browser_id(&req);
    let session_id = fresh.hash();
    let ip = ctx.ip.clone();
    let set_up = SetUpFirstAdmin {
        username,
        display_name: display_name.into_inner(),
        password_hash: hash,
        token_key: SETUP_TOKEN_KEY,
        session_id,
        ip,
    };
    let created = crate::web::write(&ctx, move |conn| Ok::<_, AppError>(app::run(conn, &set_up)?)).await?;
    if !created {
        return Err(AppError::NotFound);
    }
    Ok(redirect_with_flash(&ctx, "/", "flash.setup_done", None))
}
