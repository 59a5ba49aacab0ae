//! Account administration: add users, change roles and regions, disable, reset passwords,
//! end sessions. Admins only.

use crate::accounts;
use crate::app;
use crate::app::users::{CreateUser, EndSessions, ResetPassword, SetUserActive, UpdateProfile};
use crate::domain::{Invalid, OptionalText, Password, Permission, RequiredText, Role, Username};
use crate::models::region::Region;
use crate::models::session::Session;
use crate::models::user::{User, UserId};
use crate::views;
use crate::views::form::{FieldErrors, FormState};
use crate::web::ctx::Ctx;
use crate::web::forms::PostForm;
use crate::web::{actor, db, html, parse_id, redirect_with_flash, save_command, unprocessable, AppError};
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
    password_hash: String,
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
            let password_hash = accounts::hash_password(&password)?;
            Ok(NewAccount { username, display_name: display_name.into_inner(), role, password_hash })
        }
        _ => Err(e),
    };
    let saved = save_command(&ctx, &form, parsed, |a, actor| CreateUser {
        actor,
        username: a.username,
        display_name: a.display_name,
        role: a.role,
        password_hash: a.password_hash,
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
    f.set("role", user.role.as_str());
    f.multi.insert("region_ids".into(), region_ids.iter().map(|id| id.to_string()).collect());
    f
}

async fn load(ctx: &Ctx, id: UserId) -> Result<(User, Vec<i32>, Vec<Region>, i64), AppError> {
    db(ctx, move |conn| {
        let user = User::find(conn, id)?.ok_or(AppError::NotFound)?;
        let region_ids = User::region_ids(conn, id)?;
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
    let saved = save_command(&ctx, &form, parsed, move |p, actor| UpdateProfile {
        actor,
        user_id: id,
        display_name: p.display_name,
        role: p.role,
        region_ids: p.region_ids,
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
    let command = ResetPassword { actor: actor(&ctx), user_id: id, password_hash: hash };
    crate::web::write(&ctx, move |conn| Ok::<_, AppError>(app::run(conn, &command)?)).await?;
    Ok(redirect_with_flash(&ctx, &format!("/users/{id}/edit"), "flash.password_reset", None))
}

async fn end_sessions(ctx: Ctx, id: web::Path<String>, form: PostForm) -> Result<HttpResponse, AppError> {
    ctx.require_post(Permission::ManageUsers, &form).await?;
    let id = parse_id(&id)?;
    let command = EndSessions { actor: actor(&ctx), user_id: id };
    let ended = crate::web::write(&ctx, move |conn| Ok::<_, AppError>(app::run(conn, &command)?)).await?;
    // Ending one's own sessions signs oneself out too.
    let location =
        if ctx.user.as_ref().is_some_and(|u| u.id == id) { "/login".to_string() } else { format!("/users/{id}/edit") };
    Ok(redirect_with_flash(&ctx, &location, "flash.sessions_ended", Some(&ended.to_string())))
}

async fn set_active(ctx: Ctx, id: web::Path<String>, form: PostForm, active: bool) -> Result<HttpResponse, AppError> {
    ctx.require_post(Permission::ManageUsers, &form).await?;
    let id = parse_id(&id)?;
    let command = SetUserActive { actor: actor(&ctx), user_id: id, active };
    let result = crate::web::write(&ctx, move |conn| Ok::<_, AppError>(app::run(conn, &command)?)).await;
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
