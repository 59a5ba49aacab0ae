//! Translation: every user-facing string comes from `locales/app.yml` through `tr`.

use crate::domain::{Invalid, Lang};

/// The string for `key` in `lang`; a key missing from the catalogue shows as itself, and a test
/// fails on any page that shows one.
pub fn tr(lang: Lang, key: &str) -> String {
    rust_i18n::t!(key, locale = lang.code()).into_owned()
}

/// The string for `key` with `%{n}` replaced by `arg`.
pub fn tr_arg(lang: Lang, key: &str, arg: &str) -> String {
    tr(lang, key).replace("%{n}", arg)
}

/// A validation message in `lang`.
pub fn invalid(lang: Lang, invalid: &Invalid) -> String {
    match &invalid.arg {
        Some(arg) => tr_arg(lang, invalid.key, arg),
        None => tr(lang, invalid.key),
    }
}

/// A whole number with the language's thousands separator: 60,000 or 60.000.
pub fn number(lang: Lang, n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let sep = match lang {
        Lang::En => ',',
        Lang::Es => '.',
    };
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(sep);
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_group_by_language() {
        assert_eq!(number(Lang::En, 60_000), "60,000");
        assert_eq!(number(Lang::Es, 60_000), "60.000");
        assert_eq!(number(Lang::En, 84), "84");
        assert_eq!(number(Lang::En, -1_234_567), "-1,234,567");
    }

    #[test]
    fn catalogue_answers_in_both_languages() {
        assert_eq!(tr(Lang::En, "auth.sign_in"), "Sign in");
        assert_eq!(tr(Lang::Es, "auth.sign_in"), "Iniciar sesión");
        assert_eq!(tr_arg(Lang::En, "err.too_long", "20"), "At most 20 characters.");
    }
}
