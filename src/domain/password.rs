//! A new password, checked for length before it is hashed.

use super::Invalid;

/// A password of 10 to 128 characters (NIST SP 800-63B: length over composition rules).
pub struct Password(String);

pub const MIN_PASSWORD_LEN: usize = 10;
pub const MAX_PASSWORD_LEN: usize = 128;

impl Password {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let length = raw.chars().count();
        if length < MIN_PASSWORD_LEN {
            return Err(Invalid::with("err.password_short", MIN_PASSWORD_LEN));
        }
        if length > MAX_PASSWORD_LEN {
            return Err(Invalid::with("err.too_long", MAX_PASSWORD_LEN));
        }
        Ok(Password(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

// Never print a password, not even by accident in a debug log.
impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_bounds() {
        assert_eq!(Password::parse("short").unwrap_err().key, "err.password_short");
        assert!(Password::parse("ten chars!").is_ok());
        assert_eq!(Password::parse(&"x".repeat(129)).unwrap_err().key, "err.too_long");
    }

    #[test]
    fn debug_hides_the_secret() {
        let p = Password::parse("correct horse battery").expect("valid");
        assert!(!format!("{p:?}").contains("horse"));
    }
}
