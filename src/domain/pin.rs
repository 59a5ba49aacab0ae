//! A place's confirmation PIN: six digits the institution keeps apart from any delivery note.

use rand::Rng;

/// Six decimal digits, drawn from the operating system's random source.
#[derive(Clone, PartialEq, Eq)]
pub struct PlacePin(String);

impl PlacePin {
    pub const LEN: usize = 6;

    /// A fresh PIN: every one of the 1,000,000 equally likely.
    pub fn generate() -> PlacePin {
        let n: u32 = rand::rngs::OsRng.gen_range(0..1_000_000);
        PlacePin(format!("{n:06}"))
    }

    /// The digits, for the one page that shows them and for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// "123 456": easier to read aloud and to copy by hand.
    pub fn grouped(&self) -> String {
        format!("{} {}", &self.0[..3], &self.0[3..])
    }
}

/// Never printed by accident (a log line, a panic message).
impl std::fmt::Debug for PlacePin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PlacePin(******)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_digits_kept_out_of_debug_output() {
        for _ in 0..200 {
            let pin = PlacePin::generate();
            assert_eq!(pin.expose().len(), PlacePin::LEN);
            assert!(pin.expose().bytes().all(|b| b.is_ascii_digit()));
            assert_eq!(pin.grouped().replace(' ', ""), pin.expose());
            assert!(!format!("{pin:?}").contains(pin.expose()));
        }
    }
}
