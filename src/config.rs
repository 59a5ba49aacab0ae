//! Settings from flags and the environment.

use std::net::IpAddr;

/// Everything the server needs to start.
#[derive(Debug, Clone)]
pub struct Config {
    /// An SQLite file path (or `sqlite://path`), or a `postgres://` URL.
    pub database_url: String,
    /// Address to listen on, e.g. `127.0.0.1:8080`.
    pub bind: String,
    /// Secret for CSRF tokens; when absent, one is generated once and kept in the database.
    pub session_key: Option<String>,
    /// Mark cookies `Secure` (serve over HTTPS, directly or behind a proxy).
    pub secure_cookies: bool,
    /// The public origin (`https://tracker.example.org`) that POSTs must come from; when absent,
    /// the request's own Host is expected.
    pub public_url: Option<String>,
    /// HTTP worker threads.
    pub workers: usize,
    /// Database connections in the pool.
    pub pool_size: u32,
    /// Reverse proxies (load balancers) whose `X-Forwarded-For` is believed; empty: none.
    pub trusted_proxies: Vec<IpNet>,
    /// How long a form's body may take to arrive, and a file upload's (slower, larger).
    pub body_timeout: BodyTimeouts,
    /// Days after dispatch that a delivery note's code still opens its confirmation page.
    pub confirm_link_days: u32,
}

/// A delivery note's code works this many days after dispatch unless configured otherwise.
pub const DEFAULT_CONFIRM_LINK_DAYS: u32 = 60;

/// Bodies that drip in slower than this are cut off with 408, so a slow sender cannot hold a
/// worker's connection for ever.
#[derive(Debug, Clone, Copy)]
pub struct BodyTimeouts {
    pub form: std::time::Duration,
    pub upload: std::time::Duration,
}

impl Default for BodyTimeouts {
    fn default() -> Self {
        BodyTimeouts { form: std::time::Duration::from_secs(30), upload: std::time::Duration::from_secs(60) }
    }
}

pub const DEFAULT_DATABASE_URL: &str = "campaign-tracker.db";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

impl Config {
    /// A configuration for an integration test: a free port, small pool, two workers.
    pub fn for_tests(database_url: &str) -> Config {
        Config {
            database_url: database_url.to_string(),
            bind: "127.0.0.1:0".into(),
            session_key: None,
            secure_cookies: false,
            public_url: None,
            workers: 2,
            pool_size: 8,
            trusted_proxies: Vec::new(),
            body_timeout: BodyTimeouts::default(),
            confirm_link_days: DEFAULT_CONFIRM_LINK_DAYS,
        }
    }
}

/// An IP network: an address and a prefix length (`10.0.0.0/8`, `::1/128`); a bare address is a
/// network of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    /// True when `ip` is inside this network (an IPv4-mapped IPv6 address counts as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl std::str::FromStr for IpNet {
    type Err = String;

    fn from_str(text: &str) -> Result<IpNet, String> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| format!("{text:?} is not an IP address or CIDR network"))?;
        let addr = addr.to_canonical();
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => match p.parse::<u8>() {
                Ok(p) if p <= max => p,
                _ => return Err(format!("{text:?}: the prefix length must be 0 to {max}")),
            },
        };
        Ok(IpNet { addr, prefix })
    }
}

impl std::fmt::Display for IpNet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// Parses `TRUSTED_PROXIES`: IPs or CIDR networks separated by commas (spaces allowed); empty
/// means none.
pub fn parse_trusted_proxies(text: &str) -> Result<Vec<IpNet>, String> {
    text.split(',').map(str::trim).filter(|part| !part.is_empty()).map(str::parse).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an IP")
    }

    #[test]
    fn trusted_proxies_parse() {
        assert_eq!(parse_trusted_proxies("").expect("empty"), vec![]);
        assert_eq!(parse_trusted_proxies(" , ").expect("blank"), vec![]);
        let nets = parse_trusted_proxies("127.0.0.1, 10.0.0.0/8,::1,fd00::/8").expect("valid");
        assert_eq!(
            nets.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["127.0.0.1/32", "10.0.0.0/8", "::1/128", "fd00::/8"]
        );
        for bad in ["10.0.0.0/33", "::/129", "10.0.0/8", "proxy.local", "10.0.0.1/x", "10.0.0.1/-1", "1.2.3.4:80"] {
            assert!(parse_trusted_proxies(bad).is_err(), "{bad} is refused");
        }
        assert!(parse_trusted_proxies("127.0.0.1,nope").is_err(), "one bad entry refuses the list");
    }

    #[test]
    fn networks_contain_their_addresses() {
        let net: IpNet = "10.1.0.0/16".parse().expect("net");
        assert!(net.contains(ip("10.1.0.1")));
        assert!(net.contains(ip("10.1.255.255")));
        assert!(!net.contains(ip("10.2.0.1")));
        assert!(net.contains(ip("::ffff:10.1.2.3")), "IPv4-mapped IPv6 is the IPv4 address");
        assert!(!net.contains(ip("::1")));
        let one: IpNet = "192.0.2.7".parse().expect("one address");
        assert!(one.contains(ip("192.0.2.7")));
        assert!(!one.contains(ip("192.0.2.8")));
        let all: IpNet = "0.0.0.0/0".parse().expect("all IPv4");
        assert!(all.contains(ip("203.0.113.9")));
        assert!(!all.contains(ip("2001:db8::1")));
        let v6: IpNet = "2001:db8::/32".parse().expect("v6 net");
        assert!(v6.contains(ip("2001:db8:ffff::1")));
        assert!(!v6.contains(ip("2001:db9::1")));
        let mapped: IpNet = "::ffff:127.0.0.1".parse().expect("mapped");
        assert!(mapped.contains(ip("127.0.0.1")), "a mapped address in the list is its IPv4 address");
        let all6: IpNet = "::/0".parse().expect("all IPv6");
        assert!(all6.contains(ip("2001:db8::1")));
    }
}
