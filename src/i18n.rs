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

/// The string for `key` with each `%{name}` replaced by its value.
pub fn tr_args(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    let mut text = tr(lang, key);
    for (name, value) in args {
        text = text.replace(&format!("%{{{name}}}"), value);
    }
    text
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

/// A whole number in words, as reports write quantities: "sixty thousand", "sesenta mil".
pub fn number_words(lang: Lang, n: i64) -> String {
    if n < 0 {
        return number(lang, n);
    }
    match lang {
        Lang::En => english_words(n as u64),
        Lang::Es => spanish_words(n as u64, false),
    }
}

fn english_words(n: u64) -> String {
    const SMALL: [&str; 20] = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
    ];
    const TENS: [&str; 10] = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];
    fn below_thousand(n: u64) -> String {
        let (hundreds, rest) = (n / 100, n % 100);
        let mut parts = Vec::new();
        if hundreds > 0 {
            parts.push(format!("{} hundred", SMALL[hundreds as usize]));
        }
        if rest > 0 {
            parts.push(if rest < 20 {
                SMALL[rest as usize].to_string()
            } else if rest % 10 == 0 {
                TENS[(rest / 10) as usize].to_string()
            } else {
                format!("{}-{}", TENS[(rest / 10) as usize], SMALL[(rest % 10) as usize])
            });
        }
        parts.join(" and ")
    }
    if n == 0 {
        return SMALL[0].into();
    }
    let mut parts = Vec::new();
    for (scale, name) in [(1_000_000_000u64, "billion"), (1_000_000, "million"), (1_000, "thousand"), (1, "")] {
        let chunk = (n / scale) % 1000;
        if chunk > 0 {
            let words = below_thousand(chunk);
            parts.push(if name.is_empty() { words } else { format!("{words} {name}") });
        }
    }
    parts.join(" ")
}

/// `short` drops the final "-o" of "uno" before a noun or "mil": "veintiún mil", "un millón".
fn spanish_words(n: u64, short: bool) -> String {
    const UNITS: [&str; 30] = [
        "cero",
        "uno",
        "dos",
        "tres",
        "cuatro",
        "cinco",
        "seis",
        "siete",
        "ocho",
        "nueve",
        "diez",
        "once",
        "doce",
        "trece",
        "catorce",
        "quince",
        "dieciséis",
        "diecisiete",
        "dieciocho",
        "diecinueve",
        "veinte",
        "veintiuno",
        "veintidós",
        "veintitrés",
        "veinticuatro",
        "veinticinco",
        "veintiséis",
        "veintisiete",
        "veintiocho",
        "veintinueve",
    ];
    const TENS: [&str; 10] =
        ["", "", "", "treinta", "cuarenta", "cincuenta", "sesenta", "setenta", "ochenta", "noventa"];
    const HUNDREDS: [&str; 10] = [
        "",
        "ciento",
        "doscientos",
        "trescientos",
        "cuatrocientos",
        "quinientos",
        "seiscientos",
        "setecientos",
        "ochocientos",
        "novecientos",
    ];
    fn below_hundred(n: u64, short: bool) -> String {
        let word = if n < 30 {
            UNITS[n as usize].to_string()
        } else if n % 10 == 0 {
            TENS[(n / 10) as usize].to_string()
        } else {
            format!("{} y {}", TENS[(n / 10) as usize], UNITS[(n % 10) as usize])
        };
        if short && word.ends_with("uno") {
            let stem = &word[..word.len() - 3];
            // "veintiuno" shortens with an accent: veintiún.
            if stem.ends_with("veinti") {
                format!("{stem}ún")
            } else {
                format!("{stem}un")
            }
        } else {
            word
        }
    }
    fn below_thousand(n: u64, short: bool) -> String {
        let (hundreds, rest) = (n / 100, n % 100);
        match (hundreds, rest) {
            (0, r) => below_hundred(r, short),
            (1, 0) => "cien".into(),
            (h, 0) => HUNDREDS[h as usize].into(),
            (h, r) => format!("{} {}", HUNDREDS[h as usize], below_hundred(r, short)),
        }
    }
    if n == 0 {
        return "cero".into();
    }
    let millions = n / 1_000_000;
    let thousands = (n / 1000) % 1000;
    let rest = n % 1000;
    let mut parts = Vec::new();
    if millions > 0 {
        parts.push(if millions == 1 {
            "un millón".to_string()
        } else {
            format!("{} millones", spanish_words(millions, true))
        });
    }
    if thousands > 0 {
        parts.push(if thousands == 1 { "mil".to_string() } else { format!("{} mil", below_thousand(thousands, true)) });
    }
    if rest > 0 {
        parts.push(below_thousand(rest, short));
    }
    parts.join(" ")
}

#[cfg(test)]
mod words_tests {
    use super::*;

    #[test]
    fn english_as_the_source_writes_them() {
        assert_eq!(number_words(Lang::En, 60_000), "sixty thousand");
        assert_eq!(number_words(Lang::En, 84), "eighty-four");
        assert_eq!(number_words(Lang::En, 4), "four");
        assert_eq!(number_words(Lang::En, 2_130), "two thousand one hundred and thirty");
        assert_eq!(number_words(Lang::En, 1_000_001), "one million one");
    }

    #[test]
    fn spanish_with_its_agreements() {
        assert_eq!(number_words(Lang::Es, 60_000), "sesenta mil");
        assert_eq!(number_words(Lang::Es, 84), "ochenta y cuatro");
        assert_eq!(number_words(Lang::Es, 100), "cien");
        assert_eq!(number_words(Lang::Es, 101), "ciento uno");
        assert_eq!(number_words(Lang::Es, 1_000), "mil");
        assert_eq!(number_words(Lang::Es, 21_000), "veintiún mil");
        assert_eq!(number_words(Lang::Es, 31_000), "treinta y un mil");
        assert_eq!(number_words(Lang::Es, 500_500), "quinientos mil quinientos");
        assert_eq!(number_words(Lang::Es, 1_000_000), "un millón");
        assert_eq!(number_words(Lang::Es, 2_500_000), "dos millones quinientos mil");
    }
}
