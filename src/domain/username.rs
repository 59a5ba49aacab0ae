//! Login names.

use super::Invalid;

/// 3–40 characters of a–z, 0–9, `.`, `_`, `-`; stored lower-case so `Ana` and `ana` are one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let name = raw.trim().to_lowercase();
        if name.is_empty() {
            return Err(Invalid::new("err.required"));
        }
        if name.chars().count() < 3 {
            return Err(Invalid::with("err.too_short", 3));
        }
        if name.chars().count() > 40 {
            return Err(Invalid::with("err.too_long", 40));
        }
        if !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')) {
            return Err(Invalid::new("err.username_chars"));
        }
        Ok(Username(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_cases_and_checks_characters() {
        assert_eq!(Username::parse(" Ana.Perez ").map(|u| u.0), Ok("ana.perez".into()));
        assert_eq!(Username::parse("ab").unwrap_err().key, "err.too_short");
        assert_eq!(Username::parse("ana perez").unwrap_err().key, "err.username_chars");
        assert_eq!(Username::parse("<script>").unwrap_err().key, "err.username_chars");
        assert_eq!(Username::parse(&"a".repeat(41)).unwrap_err().key, "err.too_long");
    }
}
