//! The request context every page handler extracts: who is signed in, in which language, the
//! browser's CSRF token, the flash message, and the authorization checks.

use crate::db::Pool;
use crate::domain::{Lang, Permission, Role};
use crate::models::pending_form::PendingForm;
use crate::models::session::{Session, Upkeep};
use crate::models::user::User;
use crate::views::page::{PageContext, Reader};
use crate::web::forms::PostForm;
use crate::web::security::{self, BrowserId};
use crate::web::state::AppState;
use crate::web::AppError;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use std::future::Future;
use std::pin::Pin;

/// The signed-in user, as a handler needs them.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: crate::domain::UserId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// The regions the user is limited to; empty means all.
    pub region_ids: Vec<i32>,
}

impl CurrentUser {
    /// The regions whose records and figures this user sees.
    pub fn scope(&self) -> crate::domain::RegionScope {
        crate::domain::RegionScope::of(&self.region_ids)
    }

    /// Where this user may act on stock.
    pub fn access(&self) -> crate::app::Access {
        crate::app::Access {
            user_id: Some(self.id),
            regions: (!self.region_ids.is_empty()).then(|| self.region_ids.clone()),
        }
    }
}

/// Everything about the request that handlers and authorization need.
pub struct Ctx {
    /// What the page rendered for this request is told.
    pub page: PageContext,
    pub user: Option<CurrentUser>,
    pub ip: String,
    pub browser: BrowserId,
    /// The browser carries a valid device cookie: someone signed in from it before.
    pub known_browser: bool,
    pub state: web::Data<AppState>,
}

impl Ctx {
    pub fn pool(&self) -> Pool {
        self.state.pool.clone()
    }

    /// The signed-in user allowed to do `permission`: otherwise a redirect to sign in, or 403.
    pub fn require(&self, permission: Permission) -> Result<&CurrentUser, AppError> {
        match &self.user {
            None => Err(AppError::LoginRequired {
                next: format!("/login?next={}", crate::views::components::url_encode(&self.page.here())),
            }),
            Some(user) if user.role.can(permission) => Ok(user),
            Some(_) => Err(AppError::Forbidden),
        }
    }

    /// Like `require`, for a POST: a person whose session expired keeps what they typed. The form
    /// is parked in the database and they are sent to sign in, then back to the form.
    /// Only a browser that had a real session (its device cookie says so) gets its form kept, so
    /// anonymous visitors cannot fill the database; the size and number kept are capped too.
    pub async fn require_post(&self, permission: Permission, form: &PostForm) -> Result<&CurrentUser, AppError> {
        if self.user.is_some() {
            return self.require(permission);
        }
        let sign_in = AppError::LoginRequired {
            next: format!("/login?next={}", crate::views::components::url_encode(&self.page.path)),
        };
        let body = form.without_secrets();
        if !self.known_browser || body.len() > crate::models::pending_form::MAX_BODY_BYTES {
            return Err(sign_in);
        }
        let id = crate::tokens::random_token();
        let owner = self.browser.hash();
        let path = self.page.path.clone();
        let saved_id = id.clone();
        let kept =
            crate::web::write(self, move |conn| Ok(PendingForm::save(conn, &saved_id, &owner, &path, &body)?)).await?;
        if !kept {
            return Err(sign_in);
        }
        Err(AppError::LoginRequired { next: format!("/login?resume={id}") })
    }

    /// The values a person typed before their session expired, when this page is resumed.
    pub async fn resumed_form<T: serde::de::DeserializeOwned + Send + 'static>(&self) -> Result<Option<T>, AppError> {
        let id = query_param(self, "resume");
        if !crate::tokens::is_token(&id) {
            return Ok(None);
        }
        let owner = self.browser.hash();
        let path = self.page.path.clone();
        let pool = self.pool();
        let body = web::block(move || -> Result<Option<String>, AppError> {
            let mut conn = pool.get()?;
            let found = PendingForm::find(&mut conn, &id, &owner)?;
            Ok(found.filter(|f| f.path == path).map(|f| f.body))
        })
        .await??;
        Ok(body.and_then(|b| serde_urlencoded::from_str(&b).ok()))
    }

    /// Translates a key in the request's language.
    pub fn t(&self, key: &str) -> String {
        self.page.t(key)
    }

    /// The request's language.
    pub fn lang(&self) -> Lang {
        self.page.lang
    }
}

impl FromRequest for Ctx {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| AppError::BadRequest("application state missing".into()))?;
            let browser = security::browser_id(&req);
            let lang = security::request_lang(&req);
            let flash = security::take_flash(&req);
            let csrf = security::csrf_token(&state.session_key, &browser);
            let ip = security::client_ip(&req);
            let known_browser = !crate::web::device::from_request(&state.session_key, &req).is_empty();
            let session_hash = browser.hash();
            let pool = state.pool.clone();
            let user = if browser.is_new() {
                None
            } else {
                let read_hash = session_hash.clone();
                let (user, upkeep) = web::block(move || -> Result<_, AppError> {
                    let mut conn = pool.get()?;
                    let (found, upkeep) = Session::resolve(&mut conn, &read_hash)?;
                    let Some((_, user)) = found else {
                        return Ok((None, upkeep));
                    };
                    let region_ids = User::region_ids(&mut conn, user.id())?;
                    let user = CurrentUser {
                        id: user.id,
                        role: user.role,
                        username: user.username,
                        display_name: user.display_name,
                        region_ids,
                    };
                    Ok((Some(user), upkeep))
                })
                .await??;
                if upkeep == Upkeep::Remove {
                    // Awaited: an expired session must stay expired even if its clock is put back.
                    crate::web::write_with(&state, move |conn| Ok(Session::keep_up(conn, &session_hash, upkeep)?))
                        .await?;
                } else if upkeep == Upkeep::Touch {
                    // Waited for up to half a second and never an error: a page does not wait behind an
                    // import's write, or fail on a full queue, for its session's idle clock (a
                    // touch that waits longer is still written when its turn comes).
                    let touch =
                        crate::web::write_with(&state, move |conn| Ok(Session::keep_up(conn, &session_hash, upkeep)?));
                    if let Ok(Err(e)) = actix_web::rt::time::timeout(std::time::Duration::from_millis(500), touch).await
                    {
                        log::warn!("session upkeep not written: {e}");
                    }
                }
                user
            };
            if let Some(user) = &user {
                req.extensions_mut().insert(user.clone());
            }
            let reader = user.as_ref().map(|u| Reader {
                display_name: u.display_name.clone(),
                role: u.role,
                region_limited: !u.region_ids.is_empty(),
            });
            let page = PageContext {
                lang,
                csrf,
                reader,
                flash,
                path: req.path().to_string(),
                query: req.query_string().to_string(),
            };
            Ok(Ctx { page, user, ip, browser, known_browser, state })
        })
    }
}

/// A query-string parameter of the request, or "". Control characters are dropped: they mean
/// nothing in a filter, and PostgreSQL refuses a NUL in text.
pub fn query_param(ctx: &Ctx, name: &str) -> String {
    url::form_urlencoded::parse(ctx.page.query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.chars().filter(|c| !c.is_control()).collect::<String>().trim().to_string())
        .unwrap_or_default()
}
