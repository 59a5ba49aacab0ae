//! Password hashing (argon2id, OWASP parameters) and creating accounts.

use crate::app::users::{CreateUser, UserError};
use crate::db::DbConn;
use crate::domain::{Invalid, Password, Role, Username};
use crate::models::audit::Actor;
use crate::models::user::User;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// Why an account could not be created or a password hashed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("database error: {0}")]
    Database(#[from] diesel::result::Error),
    #[error("password hashing failed: {0}")]
    Hash(String),
    /// The username is not one an account may have; the key says why.
    #[error("username: {}", .0.key)]
    Username(Invalid),
    /// The password is too short or too long; the key says which.
    #[error("password: {}", .0.key)]
    Password(Invalid),
    /// Another account has the username.
    #[error("username {0} is taken")]
    Taken(String),
    /// Any other refusal of the account command.
    #[error(transparent)]
    Refused(UserError),
}

/// argon2id with OWASP's recommended minimum: 19 MiB of memory, 2 passes, 1 lane.
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A PHC string of the password, with a fresh salt.
pub fn hash_password(password: &Password) -> Result<String, AccountError> {
    hash_secret(password.expose())
}

/// A PHC string of any secret a person types (a password, a place's PIN), with a fresh salt.
pub fn hash_secret(secret: &str) -> Result<String, AccountError> {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AccountError::Hash(e.to_string()))
}

/// Verifies a password against a stored PHC string; a malformed hash never matches.
pub fn verify_password(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => hasher().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
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
) -> Result<User, AccountError> {
    let username = Username::parse(username).map_err(AccountError::Username)?;
    let password = Password::parse(password).map_err(AccountError::Password)?;
    let hash = hash_password(&password)?;
    let command = CreateUser {
        actor: Actor::cli(),
        username: username.clone(),
        display_name: display_name.to_string(),
        role,
        password_hash: hash,
    };
    let id = conn.write_transaction(|conn| crate::app::run(conn, &command)).map_err(|e| match e {
        UserError::UsernameTaken => AccountError::Taken(username.as_str().to_string()),
        UserError::Database(e) => AccountError::Database(e),
        other => AccountError::Refused(other),
    })?;
    User::find(conn, id)?.ok_or(AccountError::Database(diesel::result::Error::NotFound))
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
