//! Password hashing (argon2id, OWASP parameters) and creating accounts.

use crate::db::DbConn;
use crate::domain::{Password, Role, Username};
use crate::error::AppError;
use crate::models::audit::{Actor, AuditEntry};
use crate::models::user::{NewUser, User};
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// argon2id with OWASP's recommended minimum: 19 MiB of memory, 2 passes, 1 lane.
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash_password(password: &Password) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Hash(e.to_string()))
}

/// Verifies a password against a stored PHC string; a malformed hash never matches.
pub fn verify_password(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => hasher().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

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
    let verified = actix_web::web::block(move || verify_password(&password, &stored)).await?;
    drop(permit);
    Ok(Some(verified))
}

/// A hash to verify against when the username is unknown, so both failures take the same time.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        Password::parse("not-a-real-password-0").ok().and_then(|p| hash_password(&p).ok()).unwrap_or_default()
    })
}

/// Validates and creates an account, recording it in the audit log.
pub fn create_user(
    conn: &mut DbConn,
    username: &str,
    display_name: &str,
    role: Role,
    password: &str,
) -> Result<User, AppError> {
    let username = Username::parse(username).map_err(|e| AppError::Invalid(format!("username: {}", e.key)))?;
    let password = Password::parse(password).map_err(|e| AppError::Invalid(format!("password: {}", e.key)))?;
    let hash = hash_password(&password)?;
    let display_name = if display_name.trim().is_empty() { username.as_str() } else { display_name.trim() };
    conn.write_transaction(|conn| {
        let user =
            User::insert(conn, &NewUser { username: username.as_str(), display_name, password_hash: &hash, role })
                .map_err(|e| {
                    if crate::models::is_unique_violation(&e) {
                        AppError::Invalid(format!("username {} is taken", username.as_str()))
                    } else {
                        e.into()
                    }
                })?;
        AuditEntry::record(
            conn,
            &Actor::cli(),
            "create",
            "user",
            user.id,
            &format!("{} ({})", user.username, role.as_str()),
        )?;
        Ok(user)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let password = Password::parse("correct horse battery").expect("valid");
        let hash = hash_password(&password).expect("hash");
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("wrong horse battery", &hash));
        assert!(!verify_password("x", "not a hash"));
    }
}
