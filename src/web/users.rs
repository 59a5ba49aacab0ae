//! Account administration: add users, change roles and regions, disable, reset passwords,
//! end sessions. Admins only.

use crate::accounts;
use crate::domain::{Invalid, OptionalText, Password, Permission, RequiredText, Role, Username};
use crate::models::audit::AuditEntry;
use crate::models::region::Region;
use crate::models::session::Session;
use crate::models::user::{NewUser, User, UserId};
use crate::views;
use crate::views::form::{FieldErrors, FormState};
use crate::web::ctx::Ctx;
use crate::web::forms::PostForm;
use crate::web::{actor, db, html, parse_id, redirect_with_flash, save_form, unprocessable, AppError};
use actix_web::{web, HttpResponse};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/users", web::get().to(list))
        .route("/users/new", web::get().to(new_form))
        .route("/users/new", web::post().to(create))
        .route("/users/{id}/edit", web::get().to(edit_form))
        .route("/users/{id}/edit", web::post().to(update))
        .route("/users/{id}/password", web::post().to(reset_password))
        .route("/users/{id}/end-sessions", web::post().to(end_sessions))
        .route("/users/{id}/disable", web::post().to(disable))
        .route("/users/{id}/enable", web::post().to(enable));
}

async fn list(ctx: Ctx) -> Result<HttpResponse, AppError> {
    ctx.require(Permission::ManageUsers)?;
    let users = db(&ctx, |conn| Ok(User::all(conn)?)).await?;
    Ok(html(views::admin::user_list(&ctx.page, &users)))
}

async fn new_form(ctx: Ctx) -> Result<HttpResponse, AppError> {
    ctx.require(Permission::ManageUsers)?;
    let mut values = ctx.resumed_form().await?.map(FormState::from_values).unwrap_or_default();
    if values.value("role").is_empty() {
        values.set("role", Role::Viewer.as_str());
    }
    Ok(html(views::admin::user_new(&ctx.page, &values)))
}

struct NewAccount {
    username: Username,
    display_name: String,
    role: Role,
    hash: String,
}

async fn create(ctx: Ctx, form: PostForm) -> Result<HttpResponse, AppError> {
    ctx.require_post(Permission::ManageUsers, &form).await?;
    let mut e = FieldErrors::new();
    let username = e.check("username", Username::parse(form.get("username")));
    let display_name = e.check("display_name", OptionalText::parse(form.get("display_name"), 80));
    let role = e.check("role", Role::parse(form.get("role")));
    let password = e.check("password", Password::parse(form.get("password")));
    let parsed = match (username, display_name, role, password) {
        (Some(username), Some(display_name), Some(role), Some(password)) if e.is_empty() => {
            let hash = accounts::hash_password(&password)?;
            Ok(NewAccount { username, display_name: display_name.into_inner(), role, hash })
        }
        _ => Err(e),
    };
    let saved = save_form(&ctx, &form, parsed, |conn, a, actor| {
        if User::find_by_username(conn, a.username.as_str())?.is_some() {
            return Err(AppError::Refused(Invalid::new("err.username_taken")));
        }
        let display = if a.display_name.is_empty() { a.username.as_str().to_string() } else { a.display_name.clone() };
        let user = User::insert(
            conn,
            &NewUser { username: a.username.as_str(), display_name: &display, password_hash: &a.hash, role: a.role },
        )?;
        AuditEntry::record(
            conn,
            actor,
            "create",
            "user",
            user.id,
            &format!("{} ({})", user.username, a.role.as_str()),
        )?;
        Ok(user.id)
    })
    .await?;
    match saved {
        Ok(id) => Ok(redirect_with_flash(&ctx, &format!("/users/{id}/edit"), "flash.saved", None)),
        Err(mut state) => {
            if state.form_error.as_ref().is_some_and(|f| f.key == "err.username_taken") {
                state.errors.add("username", Invalid::new("err.username_taken"));
                state.form_error = None;
            }
            Ok(unprocessable(views::admin::user_new(&ctx.page, &state)))
        }
    }
}

fn profile_values(user: &User, region_ids: &[i32]) -> FormState {
    let mut f = FormState::default();
    f.set("display_name", &user.display_name);
    f.set("role", user.role().as_str());
    f.multi.insert("region_ids".into(), region_ids.iter().map(|id| id.to_string()).collect());
    f
}

async fn load(ctx: &Ctx, id: i32) -> Result<(User, Vec<i32>, Vec<Region>, i64), AppError> {
    db(ctx, move |conn| {
        let user = User::find(conn, UserId(id))?.ok_or(AppError::NotFound)?;
        let region_ids = User::region_ids(conn, UserId(id))?;
        let sessions = Session::count_for_user(conn, id)?;
        Ok((user, region_ids, Region::all(conn)?, sessions))
    })
    .await
}

async fn edit_form(ctx: Ctx, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    ctx.require(Permission::ManageUsers)?;
    let id = parse_id(&id)?;
    let (user, region_ids, regions, sessions) = load(&ctx, id).await?;
    let values = profile_values(&user, &region_ids);
    Ok(html(views::admin::user_edit(&ctx.page, &user, &regions, &values, &FormState::default(), sessions)))
}

struct Profile {
    display_name: String,
    role: Role,
    region_ids: Vec<i32>,
}

/// Refuses a change that would leave no active administrator.
fn keep_an_admin(conn: &mut crate::db::DbConn, user: &User, stays_admin: bool) -> Result<(), AppError> {
    if user.role() == Role::Admin && user.is_active && !stays_admin && User::active_admin_count(conn)? <= 1 {
        return Err(AppError::Refused(Invalid::new("err.last_admin")));
    }
    Ok(())
}

async fn update(ctx: Ctx, id: web::Path<String>, form: PostForm) -> Result<HttpResponse, AppError> {
    ctx.require_post(Permission::ManageUsers, &form).await?;
    let id = parse_id(&id)?;
    let (user, _, regions, sessions) = load(&ctx, id).await?;
    let mut e = FieldErrors::new();
    let display_name = e.check("display_name", RequiredText::parse(form.get("display_name"), 80));
    let role = e.check("role", Role::parse(form.get("role")));
    let mut region_ids = Vec::new();
    for raw in form.all("region_ids") {
        match raw.parse::<i32>().ok().filter(|rid| regions.iter().any(|r| r.id == *rid)) {
            Some(rid) => region_ids.push(rid),
            None => e.add("region_ids", Invalid::new("err.unknown_region")),
        }
    }
    let parsed = match (display_name, role) {
        (Some(d), Some(role)) if e.is_empty() => Ok(Profile { display_name: d.into_inner(), role, region_ids }),
        _ => Err(e),
    };
    let saved = save_form(&ctx, &form, parsed, move |conn, p, actor| {
        let current = User::find(conn, UserId(id))?.ok_or(AppError::NotFound)?;
        keep_an_admin(conn, &current, p.role == Role::Admin)?;
        User::update_profile(conn, UserId(id), &p.display_name, p.role)?;
        User::set_regions(conn, UserId(id), &p.region_ids)?;
        let summary = format!("{}: role {}, {} region(s)", current.username, p.role.as_str(), p.region_ids.len());
        AuditEntry::record(conn, actor, "update", "user", id, &summary)?;
        Ok(id)
    })
    .await?;
    match saved {
        Ok(id) => Ok(redirect_with_flash(&ctx, &format!("/users/{id}/edit"), "flash.saved", None)),
        Err(state) => Ok(unprocessable(views::admin::user_edit(
            &ctx.page,
            &user,
            &regions,
            &state,
            &FormState::default(),
            sessions,
        ))),
    }
}

async fn reset_password(ctx: Ctx, id: web::Path<String>, form: PostForm) -> Result<HttpResponse, AppError> {
    ctx.require_post(Permission::ManageUsers, &form).await?;
    let id = parse_id(&id)?;
    let (user, region_ids, regions, sessions) = load(&ctx, id).await?;
    let password = match Password::parse(form.get("password")) {
        Ok(p) => p,
        Err(invalid) => {
            let mut password_form = FormState::default();
            password_form.errors.add("password", invalid);
            let values = profile_values(&user, &region_ids);
            return Ok(unprocessable(views::admin::user_edit(
                &ctx.page,
                &user,
                &regions,
                &values,
                &password_form,
                sessions,
            )));
        }
    };
    let hash = accounts::hash_password(&password)?;
    let actor = actor(&ctx);
    crate::web::write(&ctx, move |conn| -> Result<(), AppError> {
        User::set_password_hash(conn, UserId(id), &hash)?;
        // A reset password means the old one may be known: end every session it opened.
        User::end_sessions(conn, UserId(id))?;
        AuditEntry::record(conn, &actor, "reset_password", "user", id, &user.username)?;
        Ok(())
    })
    .await?;
    Ok(redirect_with_flash(&ctx, &format!("/users/{id}/edit"), "flash.password_reset", None))
}

async fn end_sessions(ctx: Ctx, id: web::Path<String>, form: PostForm) -> Result<HttpResponse, AppError> {
    ctx.require_post(Permission::ManageUsers, &form).await?;
    let id = parse_id(&id)?;
    let actor = actor(&ctx);
    let ended = crate::web::write(&ctx, move |conn| -> Result<usize, AppError> {
        let user = User::find(conn, UserId(id))?.ok_or(AppError::NotFound)?;
        let n = User::end_sessions(conn, UserId(id))?;
        AuditEntry::record(conn, &actor, "end_sessions", "user", id, &format!("{}: {n}", user.username))?;
        Ok(n)
    })
    .await?;
    // Ending one's own sessions signs oneself out too.
    let location =
        if ctx.user.as_ref().is_some_and(|u| u.id == id) { "/login".to_string() } else { format!("/users/{id}/edit") };
    Ok(redirect_with_flash(&ctx, &location, "flash.sessions_ended", Some(&ended.to_string())))
}

async fn set_active(ctx: Ctx, id: web::Path<String>, form: PostForm, active: bool) -> Result<HttpResponse, AppError> {
    let me = ctx.require_post(Permission::ManageUsers, &form).await?.id;
    let id = parse_id(&id)?;
    let actor = actor(&ctx);
    let result = crate::web::write(&ctx, move |conn| -> Result<(), AppError> {
        let user = User::find(conn, UserId(id))?.ok_or(AppError::NotFound)?;
        if !active {
            if id == me {
                return Err(AppError::Refused(Invalid::new("err.self_disable")));
            }
            keep_an_admin(conn, &user, false)?;
        }
        User::set_active(conn, UserId(id), active)?;
        AuditEntry::record(conn, &actor, if active { "enable" } else { "disable" }, "user", id, &user.username)?;
        Ok(())
    })
    .await;
    match result {
        Ok(()) => {
            let key = if active { "flash.user_enabled" } else { "flash.user_disabled" };
            Ok(redirect_with_flash(&ctx, &format!("/users/{id}/edit"), key, None))
        }
        Err(AppError::Refused(invalid)) => {
            let (user, region_ids, regions, sessions) = load(&ctx, id).await?;
            let mut values = profile_values(&user, &region_ids);
            values.form_error = Some(invalid);
            Ok(unprocessable(views::admin::user_edit(
                &ctx.page,
                &user,
                &regions,
                &values,
                &FormState::default(),
                sessions,
            )))
        }
        Err(e) => Err(e),
    }
}

async fn disable(ctx: Ctx, id: web::Path<String>, form: PostForm) -> Result<HttpResponse, AppError> {
    set_active(ctx, id, form, false).await
}

async fn enable(ctx: Ctx, id: web::Path<String>, form: PostForm) -> Result<HttpResponse, AppError> {
    set_active(ctx, id, form, true).await
}
