//! Short unique codes that imports and exports use to match materials and locations.

use super::Invalid;

/// 1–20 characters of A–Z, 0–9, `-`, `_` or `.`; stored upper-case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code(String);

pub const MAX_CODE_LEN: usize = 20;

impl Code {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let code = raw.trim().to_uppercase();
        if code.is_empty() {
            return Err(Invalid::new("err.required"));
        }
        if code.chars().count() > MAX_CODE_LEN {
            return Err(Invalid::with("err.too_long", MAX_CODE_LEN));
        }
        if !code.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.')) {
            return Err(Invalid::new("err.code_chars"));
        }
        Ok(Code(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upper_cases_and_trims() {
        assert_eq!(Code::parse("  dep-ccs ").map(Code::into_inner), Ok("DEP-CCS".into()));
    }

    #[test]
    fn refuses_empty_long_and_odd_characters() {
        assert_eq!(Code::parse("  ").unwrap_err().key, "err.required");
        assert_eq!(Code::parse(&"A".repeat(21)).unwrap_err().key, "err.too_long");
        assert_eq!(Code::parse("AB CD").unwrap_err().key, "err.code_chars");
        assert_eq!(Code::parse("Ñ1").unwrap_err().key, "err.code_chars");
        assert!(Code::parse(&"A".repeat(20)).is_ok());
    }
}
