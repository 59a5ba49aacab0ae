//! One-time submission keys: every stock form carries a random key; the same key posted again
//! (double click, reload, flaky network) leads to what it recorded the first time, and the same
//! key with other content is refused.

use crate::app::{Command, Plan};
use crate::db::DbConn;
use crate::domain::Invalid;
use crate::domain::UserId;
use crate::domain::{LocationId, MaterialId};
use crate::models::submission::Submission;
use crate::tokens::sha256_hex;
use crate::web::ctx::Ctx;
use crate::web::forms::{PostForm, Refusal};
use crate::web::AppError;
use crate::web::{db, write_retrying};

/// What a submission came to.
pub enum Submitted {
    /// Recorded now; the page of the new record.
    Recorded(String),
    /// Recorded earlier under the same key; the page of that record.
    Replayed(String),
    /// The key recorded other content before; the page of that record. Nothing was written.
    KeyUsed(String),
}

/// A digest of what was typed, without the token, the key and the answers to questions.
fn fingerprint(form: &PostForm) -> String {
    let mut pairs: Vec<(String, String)> = form
        .values_all()
        .into_iter()
        .filter(|(k, _)| k != "csrf_token" && k != crate::views::form::SUBMISSION_KEY && k != "confirm")
        .collect();
    pairs.sort();
    let joined: Vec<String> = pairs.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    sha256_hex(&joined.join("\n"))
}

fn replay(existing: Submission, fingerprint: &str) -> Result<Submitted, AppError> {
    if existing.fingerprint == fingerprint && !existing.result_path.is_empty() {
        Ok(Submitted::Replayed(existing.result_path))
    } else if !existing.result_path.is_empty() {
        Ok(Submitted::KeyUsed(existing.result_path))
    } else {
        Err(AppError::Refused(Invalid::new("err.key_reused")))
    }
}

/// What a key's write found: its own record, or one recorded earlier under the same key.
enum Claimed {
    Recorded(String),
    Earlier(Submission),
}

/// Runs `work` once per key, in one write transaction with the key's claim, after `check` on a
/// read connection: what the check gives is what `work` writes, and `work` gives the path of
/// what it recorded. A check that fails under a key already spent leads to that key's record,
/// as a write would.
async fn once_checked<P, C, F>(
    ctx: &Ctx,
    form: &PostForm,
    user_id: UserId,
    check: C,
    work: F,
) -> Result<Submitted, AppError>
where
    P: Send + Sync + 'static,
    C: FnOnce(&mut DbConn) -> Result<P, AppError> + Send + 'static,
    F: Fn(&mut DbConn, &P) -> Result<String, AppError> + Send + 'static,
{
    let key = form.get(crate::views::form::SUBMISSION_KEY).trim().to_string();
    if !is_key(&key) {
        return Err(AppError::Refused(Invalid::new("err.submission_key")));
    }
    let print = fingerprint(form);
    let plan = match db(ctx, check).await {
        Ok(plan) => plan,
        Err(e) => return after_failure(ctx, e, user_id, key, print).await,
    };
    let claimed_key = key.clone();
    let claimed_print = print.clone();
    let result = write_retrying(ctx, move |conn| {
        // Claimed first: a concurrent request with the same key waits here, then finds it taken.
        if !Submission::claim(conn, &claimed_key, user_id, &claimed_print)? {
            let existing = Submission::find(conn, user_id, &claimed_key)?.ok_or(AppError::NotFound)?;
            return Ok(Claimed::Earlier(existing));
        }
        let path = work(conn, &plan)?;
        Submission::set_result(conn, user_id, &claimed_key, &path)?;
        Ok(Claimed::Recorded(path))
    })
    .await;
    match result {
        Ok(Claimed::Recorded(path)) => Ok(Submitted::Recorded(path)),
        Ok(Claimed::Earlier(existing)) => replay(existing, &print),
        Err(e) => after_failure(ctx, e, user_id, key, print).await,
    }
}

/// A check or write that failed: a record made earlier under the same key (a resubmission, or
/// someone else's identical request that won the race) is led to; otherwise the failure, a
/// shortage named in the reader's language.
async fn after_failure(
    ctx: &Ctx,
    e: AppError,
    user_id: UserId,
    key: String,
    print: String,
) -> Result<Submitted, AppError> {
    if let Some(existing) = db(ctx, move |conn| Ok(Submission::find(conn, user_id, &key)?)).await? {
        return replay(existing, &print);
    }
    match e {
        AppError::Short { material_id, location_id, available } => {
            let lang = ctx.lang();
            let refusal = db(ctx, move |conn| short(conn, lang, material_id, location_id, available)).await?;
            Err(AppError::Refused(refusal))
        }
        e => Err(e),
    }
}

/// "Posters: only 295 left at Depósito Central", in the reader's language.
fn short(
    conn: &mut DbConn,
    lang: crate::domain::Lang,
    material_id: MaterialId,
    location_id: LocationId,
    available: i32,
) -> Result<Invalid, AppError> {
    let material = crate::models::material::Material::find(conn, material_id)?;
    let place = crate::models::location::Location::get(conn, location_id)?;
    Ok(Invalid::named(
        "err.short",
        vec![
            ("material", material.map(|m| m.name(lang).to_string()).unwrap_or_default()),
            ("n", crate::i18n::number(lang, i64::from(available))),
            ("place", place.map(|p| p.name).unwrap_or_default()),
        ],
    ))
}

/// Runs a command once per key: checked on a read connection, its plan written by the writer
/// with the key's claim. `path` names the page of what it recorded. Answers like Post/Redirect/Get:
/// the record's page with a flash message, or — when a rule refused it or a question is open —
/// the refusal for the form to show.
pub async fn command<C>(
    ctx: &Ctx,
    form: &PostForm,
    user_id: UserId,
    flash_key: &str,
    command: C,
    path: impl Fn(&<C::Plan as Plan>::Output) -> String + Send + 'static,
) -> Result<Result<actix_web::HttpResponse, Refusal>, AppError>
where
    C: Command,
    AppError: From<C::Error>,
{
    let outcome = once(ctx, form, user_id, command, path).await;
    answer(ctx, flash_key, outcome)
}

/// Runs a command once per key, like `command`, and says what it came to: for a handler whose
/// answer to a first submission is a page only that response may show (a new PIN).
pub async fn once<C>(
    ctx: &Ctx,
    form: &PostForm,
    user_id: UserId,
    command: C,
    path: impl Fn(&<C::Plan as Plan>::Output) -> String + Send + 'static,
) -> Result<Submitted, AppError>
where
    C: Command,
    AppError: From<C::Error>,
{
    once_checked(
        ctx,
        form,
        user_id,
        move |conn| Ok(command.validate(conn)?),
        move |conn, plan: &C::Plan| Ok(path(&plan.write(conn)?)),
    )
    .await
}

/// A submission's outcome as Post/Redirect/Get, or the refusal for the form to show.
fn answer(
    ctx: &Ctx,
    flash_key: &str,
    outcome: Result<Submitted, AppError>,
) -> Result<Result<actix_web::HttpResponse, Refusal>, AppError> {
    match outcome {
        Ok(Submitted::Recorded(path)) => Ok(Ok(crate::web::redirect_with_flash(ctx, &path, flash_key, None))),
        Ok(Submitted::Replayed(path)) => {
            Ok(Ok(crate::web::redirect_with_flash(ctx, &path, "flash.already_recorded", None)))
        }
        Ok(Submitted::KeyUsed(path)) => Ok(Err(Refusal::KeyUsed { path })),
        Err(AppError::Refused(invalid)) => Ok(Err(Refusal::Rule(invalid))),
        Err(AppError::Questions(questions)) => Ok(Err(Refusal::Questions(questions))),
        Err(e) => Err(e),
    }
}

/// What a new-record page does with the key in its address: a page without one is sent to its
/// own address with a fresh key, so that Back returns to the same key; a key this user already
/// spent leads to what it recorded.
pub enum PageKey {
    Use(String),
    Go(actix_web::HttpResponse),
}

/// The one-time key of a new-record page, from `?key=` (see `PageKey`).
pub async fn page_key(ctx: &Ctx, user_id: UserId) -> Result<PageKey, AppError> {
    let key = crate::web::ctx::query_param(ctx, "key");
    if !is_key(&key) {
        let mut query: Vec<(String, String)> = url::form_urlencoded::parse(ctx.page.query.as_bytes())
            .filter(|(k, _)| k != "key")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        query.push(("key".into(), crate::views::form::new_submission_key()));
        let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(query).finish();
        return Ok(PageKey::Go(crate::web::redirect(&format!("{}?{query}", ctx.page.path))));
    }
    let spent = key.clone();
    let earlier = db(ctx, move |conn| Ok(Submission::find(conn, user_id, &spent)?)).await?;
    match earlier {
        Some(s) if !s.result_path.is_empty() => {
            Ok(PageKey::Go(crate::web::redirect_with_flash(ctx, &s.result_path, "flash.already_recorded", None)))
        }
        _ => Ok(PageKey::Use(key)),
    }
}

/// The form of a new-record page: what a resumed post held, else empty, with the page's
/// one-time key (see `page_key`); or where to go instead.
pub async fn new_record_form(
    ctx: &Ctx,
    user_id: UserId,
) -> Result<Result<crate::views::form::FormState, actix_web::HttpResponse>, AppError> {
    let key = match page_key(ctx, user_id).await? {
        PageKey::Use(key) => key,
        PageKey::Go(go) => return Ok(Err(go)),
    };
    let mut form = ctx.resumed_form().await?.map(crate::views::form::FormState::from_values).unwrap_or_default();
    if form.value(crate::views::form::SUBMISSION_KEY).is_empty() {
        form.set(crate::views::form::SUBMISSION_KEY, key);
    }
    Ok(Ok(form))
}

/// True for a key of the shape forms carry.
pub fn is_key(key: &str) -> bool {
    (16..=128).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}
