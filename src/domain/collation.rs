//! Spanish collation (CLDR's, through ICU4X): Mérida before Miranda, Cúcuta before Curazao, ñ
//! after n, "Escuela 2" before "Escuela 10". Names are sorted by a sort key computed here and
//! kept beside the name, so that both databases sort and page by comparing bytes.

use icu_collator::options::CollatorOptions;
use icu_collator::preferences::CollationNumericOrdering;
use icu_collator::{Collator, CollatorBorrowed, CollatorPreferences};
use std::cmp::Ordering;
use std::sync::LazyLock;

/// Changes whenever the keys written by this build could differ from an earlier build's (a new
/// ICU4X or CLDR, other options): stored keys are then recomputed after migrating.
pub const VERSION: &str = "icu_collator-2.4/es/numeric";

static SPANISH: LazyLock<CollatorBorrowed<'static>> = LazyLock::new(|| {
    let mut prefs = CollatorPreferences::from(&icu_locale_core::locale!("es"));
    prefs.numeric_ordering = Some(CollationNumericOrdering::True);
    // The collation data is compiled into the binary: construction cannot miss it.
    Collator::try_new(prefs, CollatorOptions::default()).expect("compiled Spanish collation data")
});

/// The bytes that order `text` as Spanish readers expect when compared byte by byte.
pub fn sort_key(text: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(text.len() * 2 + 4);
    let Ok(()) = SPANISH.write_sort_key_to(text, &mut key);
    key
}

/// Compares two texts in Spanish order (for the few lists sorted in memory).
pub fn compare(a: &str, b: &str) -> Ordering {
    SPANISH.compare(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(words: &[&str]) -> Vec<String> {
        let mut by_key: Vec<&str> = words.to_vec();
        by_key.sort_by_key(|w| sort_key(w));
        let mut by_compare: Vec<&str> = words.to_vec();
        by_compare.sort_by(|a, b| compare(a, b));
        assert_eq!(by_key, by_compare, "keys and comparison agree");
        by_key.into_iter().map(String::from).collect()
    }

    #[test]
    fn spanish_order() {
        assert_eq!(sorted(&["Miranda", "Mérida"]), ["Mérida", "Miranda"]);
        assert_eq!(sorted(&["Curazao", "Cúcuta"]), ["Cúcuta", "Curazao"]);
        assert_eq!(sorted(&["ñame", "nube", "oso"]), ["nube", "ñame", "oso"]);
        assert_eq!(sorted(&["Escuela 10", "Escuela 2"]), ["Escuela 2", "Escuela 10"]);
        assert_eq!(sorted(&["zulia", "Anzoátegui", "apure"]), ["Anzoátegui", "apure", "zulia"]);
    }

    #[test]
    fn differing_names_get_differing_keys() {
        assert_ne!(sort_key("Mérida"), sort_key("Merida"));
        assert_ne!(sort_key("mérida"), sort_key("Mérida"));
        assert_eq!(sort_key("Mérida"), sort_key("Mérida"));
    }
}
