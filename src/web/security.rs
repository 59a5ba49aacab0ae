//! The browser id cookie, CSRF tokens, the Origin check, flash cookies, the language choice and
//! the security headers every response carries.

use crate::domain::Lang;
use crate::web::ctx::Flash;
use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

pub const BROWSER_COOKIE: &str = "ct_sid";
pub const LANG_COOKIE: &str = "ct_lang";
pub const FLASH_COOKIE: &str = "ct_flash";

/// 32 random bytes, hex-encoded.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Percent-encodes a value for a query string.
pub fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The random value in the `ct_sid` cookie. It names the browser; once signed in, its SHA-256
/// is the session's id. A new one is issued at sign-in and sign-out.
#[derive(Debug, Clone)]
pub struct BrowserId {
    token: String,
    new: bool,
}

impl BrowserId {
    pub fn hash(&self) -> String {
        sha256_hex(&self.token)
    }

    pub fn is_new(&self) -> bool {
        self.new
    }

    pub fn token(&self) -> &str {
        &self.token
    }
}

/// A browser id to set on the response (a new browser, or a rotation).
#[derive(Clone)]
struct SetBrowserId(String);

/// True for a value shaped like `random_token()`: 64 hex digits.
pub fn is_token(value: &str) -> bool {
    value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The request's browser id; a new one is made (and set on the response) when there is none.
pub fn browser_id(req: &HttpRequest) -> BrowserId {
    if let Some(SetBrowserId(token)) = req.extensions().get::<SetBrowserId>() {
        return BrowserId { token: token.clone(), new: true };
    }
    match req.cookie(BROWSER_COOKIE) {
        Some(cookie) if is_token(cookie.value()) => BrowserId { token: cookie.value().to_string(), new: false },
        _ => {
            let token = random_token();
            req.extensions_mut().insert(SetBrowserId(token.clone()));
            BrowserId { token, new: true }
        }
    }
}

/// Issues a fresh browser id for this response (sign-in, sign-out), returning it.
pub fn rotate_browser_id(req: &HttpRequest) -> BrowserId {
    let token = random_token();
    req.extensions_mut().insert(SetBrowserId(token.clone()));
    BrowserId { token, new: true }
}

/// The CSRF token for a browser: an HMAC of its id under the shared key, so every instance that
/// shares the key accepts it and no other browser can produce it.
pub fn csrf_token(key: &[u8], browser: &BrowserId) -> String {
    #[allow(clippy::expect_used)]
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(b"csrf:");
    mac.update(browser.token.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Compares two tokens in constant time.
pub fn tokens_match(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// The client's address. Forwarded headers are ignored: they are trivially forged unless a
/// trusted proxy sets them.
pub fn client_ip(req: &HttpRequest) -> String {
    req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_else(|| "unknown".into())
}

/// The language: the remembered choice, else the browser's Accept-Language, else English.
pub fn request_lang(req: &HttpRequest) -> Lang {
    if let Some(lang) = req.cookie(LANG_COOKIE).and_then(|c| Lang::parse(c.value())) {
        return lang;
    }
    req.headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Lang::from_accept_language)
        .unwrap_or_default()
}

/// Marker: the flash cookie was shown and must be cleared.
#[derive(Clone)]
struct FlashShown;

/// Reads the flash message, marking it to be cleared from the browser.
pub fn take_flash(req: &HttpRequest) -> Option<Flash> {
    let cookie = req.cookie(FLASH_COOKIE)?;
    req.extensions_mut().insert(FlashShown);
    let raw: String =
        url::form_urlencoded::parse(format!("f={}", cookie.value()).as_bytes()).next().map(|(_, v)| v.into_owned())?;
    let (key, arg) = match raw.split_once('|') {
        Some((k, a)) => (k.to_string(), Some(a.to_string())),
        None => (raw, None),
    };
    // Only message keys of our own catalogue are shown; a forged cookie shows nothing.
    if !key.starts_with("flash.") {
        return None;
    }
    Some(Flash { key, arg })
}

/// A cookie with the attributes every cookie of ours carries.
pub fn cookie(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    Cookie::build(name, value).path("/").http_only(true).same_site(SameSite::Lax).secure(secure).finish()
}

/// The flash cookie for a redirect.
pub fn flash_cookie(key: &str, arg: Option<&str>, secure: bool) -> Cookie<'static> {
    let raw = match arg {
        Some(a) => format!("{key}|{a}"),
        None => key.to_string(),
    };
    let mut c = cookie(FLASH_COOKIE, encode(&raw), secure);
    c.set_max_age(actix_web::cookie::time::Duration::seconds(60));
    c
}

const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Sets the browser id and clears a shown flash; adds the security headers to every response.
pub async fn cookies_and_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let secure =
        req.app_data::<actix_web::web::Data<crate::web::AppState>>().map(|s| s.config.secure_cookies).unwrap_or(false);
    let mut res = next.call(req).await?;
    let set_id = res.request().extensions().get::<SetBrowserId>().cloned();
    if let Some(SetBrowserId(token)) = set_id {
        let mut c = cookie(BROWSER_COOKIE, token, secure);
        c.set_max_age(actix_web::cookie::time::Duration::hours(12));
        res.response_mut().add_cookie(&c).ok();
    }
    let shown = res.request().extensions().get::<FlashShown>().is_some();
    let setting_flash = res.response().cookies().any(|c| c.name() == FLASH_COOKIE);
    if shown && !setting_flash {
        let mut c = cookie(FLASH_COOKIE, String::new(), secure);
        c.make_removal();
        res.response_mut().add_cookie(&c).ok();
    }
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(res)
}

/// True when the request's Origin (if any) is this site: the configured public URL, or the Host.
pub fn origin_allowed(req: &HttpRequest, public_url: Option<&str>) -> bool {
    let Some(origin) = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        // Browsers send Origin on every cross-site POST; without it the CSRF token decides.
        return true;
    };
    if let Some(public) = public_url {
        return origin.trim_end_matches('/') == public.trim_end_matches('/');
    }
    let info = req.connection_info();
    let expected = format!("{}://{}", info.scheme(), info.host());
    origin == expected
}
