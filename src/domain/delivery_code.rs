//! The code a delivery note carries: a link token for the QR code and a short code for typing.
//! Both are derived from a server key, the shipment and a random nonce stored with it, so a
//! reprint shows the same code and a new nonce voids every printed copy; the database alone (a
//! leaked backup) cannot make a working link.

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// The server's key for delivery codes, kept apart from the CSRF key by its own derivation.
#[derive(Clone)]
pub struct DeliveryKey([u8; 32]);

impl DeliveryKey {
    /// The key for delivery codes, derived from the instance's secret (shared by every instance).
    pub fn derive(secret: &[u8]) -> DeliveryKey {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes keys of any length");
        mac.update(b"campaign-tracker delivery codes v1");
        DeliveryKey(mac.finalize().into_bytes().into())
    }

    /// The token and short code of `shipment_id`'s note under `nonce`.
    pub fn code(&self, shipment_id: i32, nonce: &str) -> (LinkToken, ShortCode) {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        mac.update(format!("{shipment_id}:{nonce}").as_bytes());
        let digest: [u8; 32] = mac.finalize().into_bytes().into();
        let token = LinkToken(hex::encode(&digest[..LinkToken::BYTES]));
        let mut wide = [0u8; 8];
        wide.copy_from_slice(&digest[LinkToken::BYTES..LinkToken::BYTES + 8]);
        (token, ShortCode::from_number(u64::from_be_bytes(wide)))
    }
}

/// Never printed by accident.
impl std::fmt::Debug for DeliveryKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeliveryKey(…)")
    }
}

/// A fresh nonce: 128 random bits, hex.
pub fn new_nonce() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The token in a delivery note's link: 128 bits, as 32 hex digits.
#[derive(Clone, PartialEq, Eq)]
pub struct LinkToken(String);

impl LinkToken {
    const BYTES: usize = 16;

    /// A token as typed into a link, if shaped like one (case is forgiven).
    pub fn parse(text: &str) -> Option<LinkToken> {
        let text = text.trim().to_ascii_lowercase();
        (text.len() == Self::BYTES * 2 && text.bytes().all(|b| b.is_ascii_hexdigit())).then_some(LinkToken(text))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What the database keeps to find the token by: a digest, never the token.
    pub fn digest(&self) -> String {
        crate::tokens::sha256_hex(&self.0)
    }
}

impl std::fmt::Debug for LinkToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkToken(…)")
    }
}

/// Eight characters for typing: seven drawn from an alphabet of 31 with no look-alikes (no 0, O,
/// 1, I or L) and a check character that catches any one mistyped character and any two
/// neighbours swapped.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ShortCode(String);

impl ShortCode {
    pub const ALPHABET: &'static [u8; 31] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    pub const LEN: usize = 8;

    fn from_number(mut n: u64) -> ShortCode {
        let mut values = [0u8; Self::LEN - 1];
        for v in &mut values {
            *v = (n % 31) as u8;
            n /= 31;
        }
        let mut text: String = values.iter().map(|v| char::from(Self::ALPHABET[usize::from(*v)])).collect();
        text.push(char::from(Self::ALPHABET[usize::from(check_value(&values))]));
        ShortCode(text)
    }

    /// A code as a person typed it: case, spaces and dashes are forgiven; a wrong character or
    /// a failed check is refused.
    pub fn parse(text: &str) -> Option<ShortCode> {
        let cleaned: Vec<u8> =
            text.bytes().filter(|b| !b.is_ascii_whitespace() && *b != b'-').map(|b| b.to_ascii_uppercase()).collect();
        if cleaned.len() != Self::LEN {
            return None;
        }
        let values: Option<Vec<u8>> =
            cleaned.iter().map(|c| Self::ALPHABET.iter().position(|a| a == c).map(|p| p as u8)).collect();
        let values = values?;
        let (payload, check) = values.split_at(Self::LEN - 1);
        (check_value(payload) == check[0]).then(|| ShortCode(String::from_utf8_lossy(&cleaned).into_owned()))
    }

    /// As stored: eight characters, no dash.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// As printed: "ABCD-EFGH".
    pub fn grouped(&self) -> String {
        format!("{}-{}", &self.0[..4], &self.0[4..])
    }
}

/// A weighted sum modulo 31: with weights 1..=7, distinct and non-zero modulo the prime 31, a
/// single changed value or two swapped neighbours always change it.
fn check_value(values: &[u8]) -> u8 {
    let sum: u32 = values.iter().enumerate().map(|(i, v)| (i as u32 + 1) * u32::from(*v)).sum();
    ((31 - sum % 31) % 31) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_nonce_gives_the_same_code_and_another_nonce_another() {
        let key = DeliveryKey::derive(b"an instance secret of some length");
        let nonce = new_nonce();
        assert_eq!(key.code(7, &nonce), key.code(7, &nonce));
        assert_ne!(key.code(7, &nonce).0, key.code(8, &nonce).0);
        assert_ne!(key.code(7, &nonce).0, key.code(7, &new_nonce()).0);
        let other = DeliveryKey::derive(b"another instance's secret");
        assert_ne!(key.code(7, &nonce).0, other.code(7, &nonce).0);
        let (token, _) = key.code(7, &nonce);
        assert_eq!(token.expose().len(), 32);
        assert_eq!(LinkToken::parse(&token.expose().to_uppercase()), Some(token.clone()));
        assert!(!format!("{token:?} {key:?}").contains(token.expose()));
    }

    #[test]
    fn short_codes_parse_back_and_catch_one_typo_or_one_swap() {
        let key = DeliveryKey::derive(b"secret");
        for _ in 0..300 {
            let (_, code) = key.code(1, &new_nonce());
            assert_eq!(code.as_str().len(), ShortCode::LEN);
            assert_eq!(ShortCode::parse(&code.grouped().to_lowercase()), Some(code.clone()));
            let bytes = code.as_str().as_bytes();
            for i in 0..ShortCode::LEN {
                for a in ShortCode::ALPHABET.iter().filter(|a| **a != bytes[i]) {
                    let mut typo = bytes.to_vec();
                    typo[i] = *a;
                    assert_eq!(ShortCode::parse(std::str::from_utf8(&typo).expect("ASCII")), None);
                }
                if i + 1 < ShortCode::LEN && bytes[i] != bytes[i + 1] {
                    let mut swapped = bytes.to_vec();
                    swapped.swap(i, i + 1);
                    assert_eq!(ShortCode::parse(std::str::from_utf8(&swapped).expect("ASCII")), None);
                }
            }
        }
        assert_eq!(ShortCode::parse("O0I1L234"), None);
        assert_eq!(ShortCode::parse(""), None);
    }
}
