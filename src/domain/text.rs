//! Free text fields: trimmed, length-bounded, free of control characters.

use super::Invalid;

fn clean(raw: &str, max: usize) -> Result<String, Invalid> {
    let text = raw.trim();
    if text.chars().count() > max {
        return Err(Invalid::with("err.too_long", max));
    }
    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err(Invalid::new("err.control_chars"));
    }
    Ok(text.to_string())
}

/// Text that must not be empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequiredText(String);

impl RequiredText {
    pub fn parse(raw: &str, max: usize) -> Result<Self, Invalid> {
        let text = clean(raw, max)?;
        if text.is_empty() {
            return Err(Invalid::new("err.required"));
        }
        Ok(RequiredText(text))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// Text that may be empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionalText(String);

impl OptionalText {
    pub fn parse(raw: &str, max: usize) -> Result<Self, Invalid> {
        clean(raw, max).map(OptionalText)
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_bounds() {
        assert_eq!(RequiredText::parse("  Caracas ", 10).map(RequiredText::into_inner), Ok("Caracas".into()));
        assert_eq!(RequiredText::parse("   ", 10).unwrap_err().key, "err.required");
        assert_eq!(RequiredText::parse("Anzoátegui!", 10).unwrap_err().key, "err.too_long");
        assert!(RequiredText::parse("Anzoátegui", 10).is_ok(), "counts characters, not bytes");
        assert_eq!(OptionalText::parse("", 10).map(OptionalText::into_inner), Ok(String::new()));
        assert_eq!(OptionalText::parse("a\u{0}b", 10).unwrap_err().key, "err.control_chars");
    }
}
