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
    if !invalid.args.is_empty() {
        let args: Vec<(&str, &str)> = invalid.args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        return tr_args(lang, invalid.key, &args);
    }
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
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
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

/// The grammatical gender of the noun a number counts: Spanish numbers agree with it ("una
/// región", "veintiuna escuelas", "doscientas"); English numbers do not change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gender {
    Masculine,
    Feminine,
}

/// The gender of a noun of the catalogue, as its `.gender` key says ("f" or "m").
pub fn gender_of(lang: Lang, key: &str) -> Gender {
    if tr(lang, &format!("{key}.gender")) == "f" {
        Gender::Feminine
    } else {
        Gender::Masculine
    }
}

/// A whole number in words, standing alone: "sixty thousand", "sesenta mil", "veintiuno".
pub fn number_words(lang: Lang, n: i64) -> String {
    if n < 0 {
        return number(lang, n);
    }
    match lang {
        Lang::En => english_words(n as u64),
        Lang::Es => spanish_words(n as u64, None),
    }
}

/// A whole number in words before the noun it counts, agreeing with the noun's gender:
/// "una", "veintiún", "doscientas". Whole millions take "de" before a Spanish noun (`needs_de`).
pub fn count_words(lang: Lang, n: i64, gender: Gender) -> String {
    if n < 0 {
        return number(lang, n);
    }
    match lang {
        Lang::En => english_words(n as u64),
        Lang::Es => spanish_words(n as u64, Some(gender)),
    }
}

/// "de" follows whole millions before a noun in Spanish: "un millón de afiches".
pub fn needs_de(lang: Lang, n: i64) -> bool {
    lang == Lang::Es && n >= 1_000_000 && n % 1_000_000 == 0
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

/// Spanish words for `n`; `noun` is the gender of the noun they go before, if any: "uno" alone,
/// "un"/"una" before a noun, and feminine hundreds ("doscientas") before a feminine one. Millions
/// are a masculine noun themselves ("veintiún millones"); thousands agree with the noun counted
/// ("veintiuna mil escuelas", "veintiún mil" alone).
fn spanish_words(n: u64, noun: Option<Gender>) -> String {
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
    fn below_hundred(n: u64, noun: Option<Gender>) -> String {
        let word = if n < 30 {
            UNITS[n as usize].to_string()
        } else if n.is_multiple_of(10) {
            TENS[(n / 10) as usize].to_string()
        } else {
            format!("{} y {}", TENS[(n / 10) as usize], UNITS[(n % 10) as usize])
        };
        let Some(stem) = word.strip_suffix("uno") else { return word };
        match noun {
            None => word.clone(),
            Some(Gender::Feminine) => format!("{stem}una"),
            // "veintiuno" shortens with an accent: veintiún.
            Some(Gender::Masculine) if stem.ends_with("veinti") => format!("{stem}ún"),
            Some(Gender::Masculine) => format!("{stem}un"),
        }
    }
    fn below_thousand(n: u64, noun: Option<Gender>) -> String {
        let (hundreds, rest) = (n / 100, n % 100);
        let hundreds_word = |h: u64| {
            let word = HUNDREDS[h as usize];
            match noun {
                Some(Gender::Feminine) if h >= 2 => format!("{}as", &word[..word.len() - 2]),
                _ => word.to_string(),
            }
        };
        match (hundreds, rest) {
            (0, r) => below_hundred(r, noun),
            (1, 0) => "cien".into(),
            (h, 0) => hundreds_word(h),
            (h, r) => format!("{} {}", hundreds_word(h), below_hundred(r, noun)),
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
            format!("{} millones", spanish_words(millions, Some(Gender::Masculine)))
        });
    }
    if thousands > 0 {
        parts.push(if thousands == 1 {
            "mil".to_string()
        } else {
            format!("{} mil", below_thousand(thousands, Some(noun.unwrap_or(Gender::Masculine))))
        });
    }
    if rest > 0 {
        parts.push(below_thousand(rest, noun));
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

    #[test]
    fn spanish_numbers_agree_with_their_noun() {
        use Gender::{Feminine as F, Masculine as M};
        let es = |n, g| count_words(Lang::Es, n, g);
        assert_eq!((es(1, F), es(1, M)), ("una".into(), "un".into()), "una región, un afiche");
        assert_eq!((es(21, F), es(21, M)), ("veintiuna".into(), "veintiún".into()));
        assert_eq!((es(31, F), es(31, M)), ("treinta y una".into(), "treinta y un".into()));
        assert_eq!((es(100, F), es(100, M)), ("cien".into(), "cien".into()));
        assert_eq!((es(101, F), es(101, M)), ("ciento una".into(), "ciento un".into()));
        assert_eq!((es(200, F), es(200, M)), ("doscientas".into(), "doscientos".into()));
        assert_eq!(es(21_000, F), "veintiuna mil");
        assert_eq!(es(21_000, M), "veintiún mil");
        assert_eq!(es(500_500, F), "quinientas mil quinientas");
        assert_eq!((es(1_000_000, F), es(1_000_000, M)), ("un millón".into(), "un millón".into()));
        assert_eq!(es(21_000_000, F), "veintiún millones", "millones is masculine whatever is counted");
        assert!(needs_de(Lang::Es, 1_000_000) && !needs_de(Lang::Es, 1_500_000) && !needs_de(Lang::En, 1_000_000));
        assert_eq!(count_words(Lang::En, 21, F), "twenty-one");
    }
}
