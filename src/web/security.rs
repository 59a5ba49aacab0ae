//! The browser id cookie, CSRF tokens, the Origin check, flash cookies, the language choice and
//! the security headers every response carries.

use crate::config::IpNet;
use crate::domain::Lang;
use crate::tokens::{is_token, random_token, sha256_hex};
use crate::views::components::url_encode;
use crate::views::page::Flash;
use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::net::{IpAddr, SocketAddr};

pub const BROWSER_COOKIE: &str = "ct_sid";
pub const LANG_COOKIE: &str = "ct_lang";
pub const FLASH_COOKIE: &str = "ct_flash";

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

/// The proxies configured as trusted (none without application state, as in unit tests).
fn trusted_proxies(req: &HttpRequest) -> &[IpNet] {
    req.app_data::<actix_web::web::Data<crate::web::state::AppState>>()
        .map(|s| s.config.trusted_proxies.as_slice())
        .unwrap_or_default()
}

/// True when the connection comes from one of the `trusted` proxies.
fn peer_is_trusted(req: &HttpRequest, trusted: &[IpNet]) -> bool {
    req.peer_addr().is_some_and(|a| trusted.iter().any(|net| net.contains(a.ip())))
}

/// The client's address, as used for login throttling, sessions and the audit log: the peer
/// address, unless the peer is a trusted proxy; then the right-most address of `X-Forwarded-For`
/// that is not a trusted proxy (everything left of it could have been written by the client).
pub fn client_ip(req: &HttpRequest) -> String {
    client_ip_behind(req, trusted_proxies(req))
}

fn client_ip_behind(req: &HttpRequest, trusted: &[IpNet]) -> String {
    let forwarded: Vec<&str> =
        req.headers().get_all("x-forwarded-for").filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).collect();
    client_address(req.peer_addr().map(|a| a.ip()), &forwarded, trusted)
        .map(|ip| ip.to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`1.2.3.4:80`, `[::1]:80`).
fn forwarded_address(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| entry.strip_prefix('[')?.strip_suffix(']')?.parse().ok())
        .map(|ip| ip.to_canonical())
}

/// Picks the client's address from the peer and the `X-Forwarded-For` entries (in header order).
/// Walking from the right, each trusted hop vouches for the entry before it; the first entry that
/// is not a trusted proxy is the client. An entry that is not an address stops the walk at the
/// last hop known; when every entry is a trusted proxy, the left-most is the client.
pub fn client_address(peer: Option<IpAddr>, forwarded_for: &[&str], trusted: &[IpNet]) -> Option<IpAddr> {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut client = peer?.to_canonical();
    if !is_trusted(client) {
        return Some(client);
    }
    for entry in forwarded_for.iter().rev().filter(|e| !e.trim().is_empty()) {
        let Some(ip) = forwarded_address(entry) else {
            return Some(client);
        };
        client = ip;
        if !is_trusted(ip) {
            break;
        }
    }
    Some(client)
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
    let mut c = cookie(FLASH_COOKIE, url_encode(&raw), secure);
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
    let secure = req
        .app_data::<actix_web::web::Data<crate::web::state::AppState>>()
        .map(|s| s.config.secure_cookies)
        .unwrap_or(false);
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

/// True when the request's Origin (if any) is this site: the configured public URL, else the
/// Host (behind a trusted proxy, the `Forwarded` / `X-Forwarded-Host` / `X-Forwarded-Proto` it
/// sets; from anyone else those headers are ignored). A proxy that rewrites Host without saying
/// so needs `PUBLIC_URL`.
pub fn origin_allowed(req: &HttpRequest, public_url: Option<&str>) -> bool {
    origin_allowed_behind(req, public_url, trusted_proxies(req))
}

fn origin_allowed_behind(req: &HttpRequest, public_url: Option<&str>, trusted: &[IpNet]) -> bool {
    let Some(origin) = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        // Browsers send Origin on every cross-site POST; without it the CSRF token decides.
        return true;
    };
    let expected = match public_url {
        Some(public) => public.to_string(),
        None if peer_is_trusted(req, trusted) => {
            let info = req.connection_info();
            format!("{}://{}", info.scheme(), info.host())
        }
        None => {
            let host = req.headers().get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
            format!("http://{host}")
        }
    };
    same_origin(origin, &expected)
}

/// Compares two origins as browsers do: scheme, host (case-insensitively) and port (a default
/// port written or not). A path after the origin (`https://host/`) is ignored.
pub fn same_origin(a: &str, b: &str) -> bool {
    let origin = |text: &str| {
        url::Url::parse(text).ok().map(|u| u.origin()).filter(|o| o.is_tuple()).map(|o| o.ascii_serialization())
    };
    matches!((origin(a), origin(b)), (Some(x), Some(y)) if x == y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_trusted_proxies;
    use actix_web::test::TestRequest;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an IP")
    }

    fn nets(text: &str) -> Vec<IpNet> {
        parse_trusted_proxies(text).expect("valid list")
    }

    fn pick(peer: &str, forwarded: &[&str], trusted: &str) -> String {
        client_address(Some(ip(peer)), forwarded, &nets(trusted)).expect("an address").to_string()
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client() {
        assert_eq!(pick("203.0.113.5", &["198.51.100.1"], ""), "203.0.113.5", "X-Forwarded-For ignored");
        assert_eq!(pick("10.0.0.2", &["198.51.100.1"], "10.0.0.1"), "10.0.0.2", "an untrusted peer's header ignored");
        assert_eq!(client_address(None, &[], &[]), None);
    }

    #[test]
    fn behind_a_trusted_proxy_the_right_most_untrusted_address_is_the_client() {
        assert_eq!(pick("10.0.0.1", &["198.51.100.1"], "10.0.0.0/8"), "198.51.100.1");
        // The client wrote "1.1.1.1" itself; the proxy appended the address it saw.
        assert_eq!(pick("10.0.0.1", &["1.1.1.1", " 198.51.100.1"], "10.0.0.0/8"), "198.51.100.1");
        // Two proxies: the edge proxy's own address is trusted too, so the walk goes past it.
        assert_eq!(pick("10.0.0.1", &["6.6.6.6", "198.51.100.1", "10.0.0.9"], "10.0.0.0/8"), "198.51.100.1");
        // Every hop trusted: the left-most is the best there is.
        assert_eq!(pick("127.0.0.1", &["10.0.0.3", "10.0.0.9"], "10.0.0.0/8,127.0.0.1"), "10.0.0.3");
        // No header: the proxy itself (a health check).
        assert_eq!(pick("10.0.0.1", &[], "10.0.0.0/8"), "10.0.0.1");
        assert_eq!(pick("10.0.0.1", &["", " "], "10.0.0.0/8"), "10.0.0.1");
    }

    #[test]
    fn forwarded_entries_with_ports_brackets_and_garbage() {
        assert_eq!(pick("10.0.0.1", &["198.51.100.1:4711"], "10.0.0.1"), "198.51.100.1");
        assert_eq!(pick("10.0.0.1", &["[2001:db8::7]:443"], "10.0.0.1"), "2001:db8::7");
        assert_eq!(pick("10.0.0.1", &["[2001:db8::7]"], "10.0.0.1"), "2001:db8::7");
        assert_eq!(pick("10.0.0.1", &["::ffff:198.51.100.1"], "10.0.0.1"), "198.51.100.1", "mapped → IPv4");
        assert_eq!(pick("::ffff:10.0.0.1", &["198.51.100.1"], "10.0.0.1"), "198.51.100.1", "mapped peer");
        // An entry that is no address stops the walk at the last hop known.
        assert_eq!(pick("10.0.0.1", &["198.51.100.1", "unknown"], "10.0.0.1"), "10.0.0.1");
        assert_eq!(pick("10.0.0.1", &["unknown", "10.0.0.2"], "10.0.0.0/8"), "10.0.0.2");
        assert_eq!(pick("10.0.0.1", &["198.51.100.1", "x, y"], "10.0.0.1"), "10.0.0.1");
    }

    #[test]
    fn client_ip_reads_every_forwarded_header() {
        let peer: SocketAddr = "127.0.0.1:5000".parse().expect("socket address");
        let req = TestRequest::default()
            .peer_addr(peer)
            .append_header(("X-Forwarded-For", "6.6.6.6, 203.0.113.8"))
            .append_header(("X-Forwarded-For", "198.51.100.1"))
            .to_http_request();
        assert_eq!(client_ip_behind(&req, &nets("127.0.0.1")), "198.51.100.1");
        assert_eq!(client_ip_behind(&req, &nets("127.0.0.1,198.51.100.0/24")), "203.0.113.8");
        assert_eq!(client_ip_behind(&req, &[]), "127.0.0.1");
        assert_eq!(client_ip(&req), "127.0.0.1", "no application state: no trusted proxy");
        let alone = TestRequest::default().to_http_request();
        assert_eq!(client_ip(&alone), "unknown");
    }

    fn post(peer: &str, headers: &[(&str, &str)]) -> HttpRequest {
        let mut req = TestRequest::post().uri("/x").peer_addr(peer.parse().expect("socket address"));
        for (k, v) in headers {
            req = req.insert_header((*k, *v));
        }
        req.to_http_request()
    }

    #[test]
    fn origin_is_the_public_url_when_set() {
        // Behind a proxy that rewrites Host to the instance's own address.
        let req = post("10.0.0.1:4000", &[("Host", "10.0.0.5:8080"), ("Origin", "https://tracker.example.org")]);
        let public = Some("https://tracker.example.org");
        assert!(origin_allowed_behind(&req, public, &[]));
        assert!(origin_allowed_behind(&req, Some("https://Tracker.Example.org:443/"), &[]), "normalised");
        assert!(!origin_allowed_behind(&req, Some("http://tracker.example.org"), &[]), "scheme counts");
        assert!(!origin_allowed_behind(&req, None, &[]), "without PUBLIC_URL the rewritten Host is expected");
        let evil = post("10.0.0.1:4000", &[("Host", "10.0.0.5:8080"), ("Origin", "https://evil.example")]);
        assert!(!origin_allowed_behind(&evil, public, &[]));
        let null = post("10.0.0.1:4000", &[("Origin", "null")]);
        assert!(!origin_allowed_behind(&null, public, &[]));
        let none = post("10.0.0.1:4000", &[("Host", "10.0.0.5:8080")]);
        assert!(origin_allowed_behind(&none, public, &[]), "no Origin: the CSRF token decides");
    }

    #[test]
    fn origin_without_public_url_is_the_host() {
        let req = post(
            "203.0.113.5:4000",
            &[("Host", "Tracker.example.org:8080"), ("Origin", "http://tracker.example.org:8080")],
        );
        assert!(origin_allowed_behind(&req, None, &[]));
        let other =
            post("203.0.113.5:4000", &[("Host", "tracker.example.org:8080"), ("Origin", "http://tracker.example.org")]);
        assert!(!origin_allowed_behind(&other, None, &[]), "port counts");
    }

    #[test]
    fn forwarded_host_and_scheme_count_only_from_a_trusted_proxy() {
        let headers = [
            ("Host", "10.0.0.5:8080"),
            ("X-Forwarded-Host", "tracker.example.org"),
            ("X-Forwarded-Proto", "https"),
            ("Origin", "https://tracker.example.org"),
        ];
        let req = post("10.0.0.1:4000", &headers);
        assert!(origin_allowed_behind(&req, None, &nets("10.0.0.1")));
        assert!(!origin_allowed_behind(&req, None, &[]), "from anyone else the headers are ignored");
        let forged = post("203.0.113.5:4000", &headers);
        assert!(!origin_allowed_behind(&forged, None, &nets("10.0.0.1")));
    }

    #[test]
    fn origins_compare_like_browsers() {
        assert!(same_origin("https://a.example", "https://A.example:443/"));
        assert!(same_origin("http://127.0.0.1:8080", "http://127.0.0.1:8080"));
        assert!(!same_origin("http://a.example", "https://a.example"));
        assert!(!same_origin("https://a.example:8443", "https://a.example"));
        assert!(!same_origin("null", "null"));
        assert!(!same_origin("", ""));
    }
}
