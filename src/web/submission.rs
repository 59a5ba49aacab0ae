//! One-time submission keys: every stock form carries a random key; the same key posted again
//! (double click, reload, flaky network) leads to what it recorded the first time, and the same
//! key with other content is refused.

use crate::db::DbConn;
use crate::domain::Invalid;
use crate::error::AppError;
use crate::models::submission::Submission;
use crate::web::ctx::Ctx;
use crate::web::db;
use crate::web::forms::PostForm;
use crate::web::security::{random_token, sha256_hex};

pub const FIELD: &str = "submission_key";

/// A fresh key for a form being shown.
pub fn new_key() -> String {
    random_token()
}

/// What a submission came to.
pub enum Submitted {
    /// Recorded now; the page of the new record.
    Recorded(String),
    /// Recorded earlier under the same key; the page of that record.
    Replayed(String),
}

/// A digest of what was typed, without the token and the key themselves.
fn fingerprint(form: &PostForm) -> String {
    let mut pairs: Vec<(String, String)> =
        form.values_all().into_iter().filter(|(k, _)| k != "csrf_token" && k != FIELD).collect();
    pairs.sort();
    let joined: Vec<String> = pairs.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    sha256_hex(&joined.join("\n"))
}

fn replay(existing: Submission, fingerprint: &str) -> Result<Submitted, AppError> {
    if existing.fingerprint == fingerprint && !existing.result_path.is_empty() {
        Ok(Submitted::Replayed(existing.result_path))
    } else {
        Err(AppError::Refused(Invalid::new("err.key_reused")))
    }
}

/// Attempts of a write transaction that PostgreSQL aborted as a deadlock or serialization
/// failure; the ledger locks rows in a fixed order, so this is a backstop.
const ATTEMPTS: u32 = 3;

/// True for a failure that a new attempt of the same transaction may not meet.
fn is_transient(e: &AppError) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match e {
        AppError::Database(Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _)) => true,
        AppError::Database(Error::DatabaseError(_, info)) => info.message().contains("deadlock detected"),
        _ => false,
    }
}

/// Runs `work` once per key, in one write transaction with the key's claim. `work` gives the
/// path of what it recorded.
pub async fn once<F>(ctx: &Ctx, form: &PostForm, user_id: i32, work: F) -> Result<Submitted, AppError>
where
    F: Fn(&mut DbConn) -> Result<String, AppError> + Send + 'static,
{
    let key = form.get(FIELD).trim().to_string();
    if key.len() < 16 || key.len() > 128 || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(AppError::Refused(Invalid::new("err.submission_key")));
    }
    let print = fingerprint(form);
    db(ctx, move |conn| {
        if let Some(existing) = Submission::find(conn, user_id, &key)? {
            return replay(existing, &print);
        }
        let mut attempt = 1;
        let result = loop {
            let result = conn.write_transaction(|conn| -> Result<String, AppError> {
                // Claimed first: a concurrent request with the same key waits here, then fails.
                Submission::claim(conn, &key, user_id, &print)?;
                let path = work(conn)?;
                Submission::set_result(conn, user_id, &key, &path)?;
                Ok(path)
            });
            match result {
                Err(e) if attempt < ATTEMPTS && is_transient(&e) => {
                    log::warn!("retrying a write transaction after: {e}");
                    std::thread::sleep(std::time::Duration::from_millis(10 * u64::from(attempt)));
                    attempt += 1;
                }
                other => break other,
            }
        };
        match result {
            Ok(path) => Ok(Submitted::Recorded(path)),
            Err(e) => match Submission::find(conn, user_id, &key)? {
                // Someone else's identical request won the race: lead to its record.
                Some(existing) => replay(existing, &print),
                None => Err(e),
            },
        }
    })
    .await
}

/// Runs stock work once per key and answers like Post/Redirect/Get: the record's page with a
/// flash message, or — when a rule refused it — the refusal for the form to show.
pub async fn record<F>(
    ctx: &Ctx,
    form: &PostForm,
    user_id: i32,
    flash_key: &str,
    work: F,
) -> Result<Result<actix_web::HttpResponse, Invalid>, AppError>
where
    F: Fn(&mut DbConn) -> Result<String, AppError> + Send + 'static,
{
    match once(ctx, form, user_id, work).await {
        Ok(Submitted::Recorded(path)) => Ok(Ok(crate::web::redirect_with_flash(ctx, &path, flash_key, None))),
        Ok(Submitted::Replayed(path)) => {
            Ok(Ok(crate::web::redirect_with_flash(ctx, &path, "flash.already_recorded", None)))
        }
        Err(AppError::Refused(invalid)) => Ok(Err(invalid)),
        Err(e) => Err(e),
    }
}
