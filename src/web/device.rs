//! Device cookies (OWASP's defence against lockout by throttling): a browser that signed in as a
//! user carries a signed cookie naming that user. A username throttled by someone else's failed
//! guesses still accepts attempts from a browser with a valid device cookie for it, which are
//! themselves throttled per cookie. The same cookie tells that a browser had a real session, the
//! condition for keeping a form it posts after its session expired.
//!
//! One cookie holds up to `MAX_ENTRIES` users (a shared depot computer), each entry
//! `hex(username).nonce.expires.mac`, entries joined by `~`; the MAC is an HMAC-SHA256 under the
//! shared session key, so every instance accepts what any instance issued.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const DEVICE_COOKIE: &str = "ct_device";
/// How long a browser stays known without signing in again.
pub const KEEP_DAYS: i64 = 180;
/// Users remembered per browser; the oldest entry makes room for a new one.
const MAX_ENTRIES: usize = 4;

/// One signed-in user remembered by a browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceEntry {
    pub username: String,
    /// Random, per sign-in: the throttle key of attempts made with this entry.
    pub nonce: String,
    /// Unix seconds after which the entry is ignored.
    pub expires: i64,
}

impl DeviceEntry {
    /// The login throttle key for attempts carrying this entry.
    pub fn throttle_key(&self) -> String {
        format!("device:{}", self.nonce)
    }
}

fn mac(key: &[u8], payload: &str) -> String {
    #[allow(clippy::expect_used)]
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(b"device:");
    mac.update(payload.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn encode_entry(key: &[u8], entry: &DeviceEntry) -> String {
    let payload = format!("{}.{}.{}", hex::encode(entry.username.as_bytes()), entry.nonce, entry.expires);
    let signature = mac(key, &payload);
    format!("{payload}.{signature}")
}

fn decode_entry(key: &[u8], raw: &str, now: i64) -> Option<DeviceEntry> {
    let (payload, signature) = raw.rsplit_once('.')?;
    if !super::security::tokens_match(signature, &mac(key, payload)) {
        return None;
    }
    let mut parts = payload.split('.');
    let username = String::from_utf8(hex::decode(parts.next()?).ok()?).ok()?;
    let nonce = parts.next()?.to_string();
    let expires: i64 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || expires < now || nonce.len() != 32 {
        return None;
    }
    Some(DeviceEntry { username, nonce, expires })
}

/// The valid entries of a cookie value; anything forged, expired or malformed is left out.
pub fn entries(key: &[u8], cookie: &str, now: i64) -> Vec<DeviceEntry> {
    cookie.split('~').take(MAX_ENTRIES * 2).filter_map(|raw| decode_entry(key, raw, now)).collect()
}

/// The valid entries the request's cookie carries.
pub fn from_request(key: &[u8], req: &actix_web::HttpRequest) -> Vec<DeviceEntry> {
    match req.cookie(DEVICE_COOKIE) {
        Some(cookie) => entries(key, cookie.value(), chrono::Utc::now().timestamp()),
        None => Vec::new(),
    }
}

/// The cookie value after `username` signed in: a fresh entry for them first, then the others.
pub fn after_sign_in(key: &[u8], current: &[DeviceEntry], username: &str, now: i64) -> String {
    let mut nonce = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut nonce);
    let fresh =
        DeviceEntry { username: username.to_string(), nonce: hex::encode(nonce), expires: now + KEEP_DAYS * 24 * 3600 };
    std::iter::once(&fresh)
        .chain(current.iter().filter(|e| e.username != username))
        .take(MAX_ENTRIES)
        .map(|e| encode_entry(key, e))
        .collect::<Vec<_>>()
        .join("~")
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"a key of at least thirty-two bytes, for tests";

    #[test]
    fn a_signed_entry_reads_back_and_a_forged_one_does_not() {
        let now = 1_800_000_000;
        let value = after_sign_in(KEY, &[], "Ana.Pérez", now);
        let read = entries(KEY, &value, now);
        assert_eq!(read.len(), 1);
        assert_eq!(read[0].username, "Ana.Pérez");
        assert_eq!(read[0].expires, now + KEEP_DAYS * 24 * 3600);
        assert!(entries(b"another key, also long enough to be used", &value, now).is_empty(), "other key");
        // Another name under the same signature.
        let forged = value.replacen(&hex::encode("Ana.Pérez"), &hex::encode("admin"), 1);
        assert!(entries(KEY, &forged, now).is_empty(), "forged name");
        assert!(entries(KEY, &value, now + KEEP_DAYS * 24 * 3600 + 1).is_empty(), "expired");
        assert!(entries(KEY, "", now).is_empty());
        assert!(entries(KEY, "x.y.z.w~~..", now).is_empty());
    }

    #[test]
    fn several_users_share_a_browser_newest_first() {
        let now = 1_800_000_000;
        let mut value = String::new();
        for name in ["a", "b", "c", "d", "e", "b"] {
            let current = entries(KEY, &value, now);
            value = after_sign_in(KEY, &current, name, now);
        }
        let names: Vec<String> = entries(KEY, &value, now).into_iter().map(|e| e.username).collect();
        assert_eq!(names, ["b", "e", "d", "c"]);
    }
}
