//! `allowed_outbound_hosts`, parsed and matched by Spin's rules: `scheme://host[:port]`, where
//! the scheme is `*` or letters, the host `*`, `*.domain`, a literal name or address, a CIDR
//! range (`10.0.0.0/8`) or `self`, and the port a number, a half-open range `a..b`, or `*`. A
//! missing port means the scheme's well-known port. Templates (`{{ var }}`) are expanded before
//! parsing. Error messages are Spin's.

use anyhow::{Context, Result, bail, ensure};
use std::net::IpAddr;
use url::Host;

/// Service chaining names end with this (`<component>.spin.internal`).
const SERVICE_CHAINING_DOMAIN: &str = "spin.internal";

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    Any,
    /// `*.example.com`, stored as `.example.com`: any name ending with it.
    AnySubdomain(String),
    /// `self`: only relative (same-app) requests, which this runner does not make.
    ToSelf,
    Literal(Host),
    Cidr(IpAddr, u8),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PortPattern {
    Any,
    Port(u16),
    /// Half-open, like Rust's `a..b`; `a >= b` allows nothing, as in Spin.
    Range(u16, u16),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost {
    /// `None` for `*`.
    scheme: Option<String>,
    host: HostPattern,
    port: PortPattern,
}

#[derive(Debug, Clone, Default)]
pub struct AllowedHosts(Vec<AllowedHost>);

impl AllowedHosts {
    pub fn parse(entries: &[String]) -> Result<Self> {
        if entries.len() == 1 && entries[0] == "insecure:allow-all" {
            bail!(
                "'insecure:allow-all' is not allowed - use '*://*:*' instead if you really want to allow all outbound traffic'"
            );
        }
        entries
            .iter()
            .map(|e| AllowedHost::parse(e))
            .collect::<Result<Vec<_>>>()
            .map(Self)
    }

    /// `scheme` and `host` as the request URI has them (`host` may be a bracketed IPv6).
    pub fn allows(&self, scheme: &str, host: &str, port: Option<u16>) -> bool {
        let Ok(host) = Host::parse(host) else {
            return false;
        };
        self.0.iter().any(|a| a.matches(scheme, &host, port))
    }
}

impl AllowedHost {
    pub fn parse(entry: &str) -> Result<Self> {
        let url = entry.trim();
        let Some((scheme, rest)) = url.split_once("://") else {
            match url {
                "*" | ":" | "" | "?" => bail!(
                    "{url:?} is not an allowed outbound host format.\nHosts must be in the form <scheme>://<host>[:<port>], with '*' wildcards allowed for each.\nIf you intended to allow all outbound networking, you can use '*://*:*' - this will obviate all network sandboxing.\nLearn more: https://spinframework.dev/v3/http-outbound#granting-http-permissions-to-components"
                ),
                _ => bail!(
                    "{url:?} does not contain a scheme (e.g., 'http://' or '*://')\nLearn more: https://spinframework.dev/v3/http-outbound#granting-http-permissions-to-components"
                ),
            }
        };
        let (host, rest) = rest.rsplit_once(':').unwrap_or((rest, ""));
        let port = match rest.split_once('/') {
            Some((port, path)) => {
                if !path.is_empty() {
                    bail!("{url:?} has a path but is not allowed to");
                }
                port
            }
            None => rest,
        };
        let port = parse_port(port, scheme)
            .with_context(|| format!("Invalid allowed host port {port:?}"))?;
        let scheme_pattern = parse_scheme(scheme)
            .with_context(|| format!("Invalid allowed host scheme {scheme:?}"))?;
        let host = parse_host(host).with_context(|| format!("Invalid allowed host {host:?}"))?;
        Ok(Self {
            scheme: scheme_pattern,
            host,
            port,
        })
    }

    fn matches(&self, scheme: &str, host: &Host, port: Option<u16>) -> bool {
        let scheme_ok = self.scheme.as_deref().is_none_or(|s| s == scheme);
        let host_ok = match (&self.host, host) {
            (HostPattern::Any, _) => true,
            (HostPattern::AnySubdomain(suffix), Host::Domain(d)) => d.ends_with(suffix.as_str()),
            (HostPattern::Literal(l), h) => l == h,
            (HostPattern::Cidr(net, bits), Host::Ipv4(ip)) => {
                in_network(*net, *bits, IpAddr::V4(*ip))
            }
            (HostPattern::Cidr(net, bits), Host::Ipv6(ip)) => {
                in_network(*net, *bits, IpAddr::V6(*ip))
            }
            _ => false,
        };
        let port_ok = match self.port {
            PortPattern::Any => true,
            _ => match port.or_else(|| well_known_port(scheme)) {
                None => false,
                Some(p) => match self.port {
                    PortPattern::Port(a) => a == p,
                    PortPattern::Range(a, b) => (a..b).contains(&p),
                    PortPattern::Any => true,
                },
            },
        };
        scheme_ok && host_ok && port_ok
    }
}

fn parse_scheme(scheme: &str) -> Result<Option<String>> {
    if scheme == "*" {
        return Ok(None);
    }
    if scheme.starts_with('{') {
        bail!("scheme lists are not supported");
    }
    if scheme.chars().any(|c| !c.is_alphabetic()) {
        bail!("only alphabetic characters are allowed");
    }
    Ok(Some(scheme.to_string()))
}

fn parse_host(host: &str) -> Result<HostPattern> {
    let host = host.trim();
    if host == "*" {
        return Ok(HostPattern::Any);
    }
    if host == "self" || host == "self.alt" {
        return Ok(HostPattern::ToSelf);
    }
    if host.starts_with('{') {
        ensure!(host.ends_with('}'));
        bail!("host lists are not yet supported");
    }
    if let Some((net, bits)) = parse_cidr(host) {
        return Ok(HostPattern::Cidr(net, bits));
    }
    let host = host.trim_end_matches('/');
    if host.contains('/') {
        bail!("must not include a path");
    }
    if let Some(domain) = host.strip_prefix("*.") {
        if domain.contains('*') {
            bail!("wildcards are allowed only as prefixes");
        }
        return Ok(HostPattern::AnySubdomain(format!(".{domain}")));
    }
    if host.contains('*') {
        bail!("wildcards are allowed only as subdomains");
    }
    Ok(HostPattern::Literal(Host::parse(host)?))
}

/// `addr/bits`, with host bits allowed (they are ignored, as Spin truncates them).
fn parse_cidr(s: &str) -> Option<(IpAddr, u8)> {
    let (addr, bits) = s.split_once('/')?;
    let addr: IpAddr = addr.parse().ok()?;
    let bits: u8 = bits.parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    (bits <= max).then_some((addr, bits))
}

fn in_network(net: IpAddr, bits: u8, ip: IpAddr) -> bool {
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(bits))
            };
            u32::from(n) & mask == u32::from(i) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(i)) => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(bits))
            };
            u128::from(n) & mask == u128::from(i) & mask
        }
        _ => false,
    }
}

fn parse_port(port: &str, scheme: &str) -> Result<PortPattern> {
    if port.is_empty() {
        return well_known_port(scheme).map(PortPattern::Port).with_context(|| {
            format!("no port was provided and the scheme {scheme:?} does not have a known default port number")
        });
    }
    if port == "*" {
        return Ok(PortPattern::Any);
    }
    if port.starts_with('{') {
        bail!("port lists are not yet supported");
    }
    if let Some((start, end)) = port.split_once("..") {
        let start = start
            .parse()
            .with_context(|| format!("port range {port:?} contains non-number"))?;
        let end = end
            .parse()
            .with_context(|| format!("port range {port:?} contains non-number"))?;
        return Ok(PortPattern::Range(start, end));
    }
    Ok(PortPattern::Port(port.parse().with_context(|| {
        format!("port {port:?} is not a number")
    })?))
}

fn well_known_port(scheme: &str) -> Option<u16> {
    match scheme {
        "postgres" => Some(5432),
        "mysql" => Some(3306),
        "redis" => Some(6379),
        "mqtt" => Some(1883),
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

/// `<component>.spin.internal[:port]`, Spin's service-chaining names.
pub fn is_service_chaining_host(host: &str) -> bool {
    let (host, _) = host.rsplit_once(':').unwrap_or((host, ""));
    host.split_once('.')
        .is_some_and(|(_, rest)| rest == SERVICE_CHAINING_DOMAIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(entries: &[&str]) -> AllowedHosts {
        AllowedHosts::parse(&entries.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    fn err(entry: &str) -> String {
        format!("{:#}", AllowedHost::parse(entry).unwrap_err())
    }

    #[test]
    fn exact_host_with_default_port() {
        let h = hosts(&["https://example.com"]);
        assert!(h.allows("https", "example.com", None));
        assert!(h.allows("https", "EXAMPLE.com", Some(443)));
        assert!(!h.allows("https", "example.com", Some(8443)));
        assert!(!h.allows("http", "example.com", None));
        assert!(!h.allows("https", "api.example.com", None));
    }

    #[test]
    fn wildcards_for_scheme_host_and_port() {
        let h = hosts(&["*://127.0.0.1:*", "https://*.example.com"]);
        assert!(h.allows("http", "127.0.0.1", Some(39999)));
        assert!(h.allows("https", "a.b.example.com", None));
        assert!(!h.allows("https", "example.com", None));
        assert!(!h.allows("https", "badexample.com", None));
    }

    #[test]
    fn port_ranges_are_half_open_and_an_empty_range_allows_nothing() {
        let h = hosts(&["http://localhost:3000..3002"]);
        assert!(h.allows("http", "localhost", Some(3001)));
        assert!(!h.allows("http", "localhost", Some(3002)));
        let empty = hosts(&["http://localhost:3000..3000"]);
        assert!(!empty.allows("http", "localhost", Some(3000)));
    }

    #[test]
    fn cidr_ranges_and_ipv6_literals_match_addresses() {
        let h = hosts(&[
            "http://10.1.2.3/8:*",
            "http://[::1]:8080",
            "https://fd00::/16:443",
        ]);
        assert!(h.allows("http", "10.200.0.1", Some(1)));
        assert!(!h.allows("http", "11.0.0.1", Some(1)));
        assert!(!h.allows("http", "ten.example", Some(1)));
        assert!(h.allows("http", "[0:0::1]", Some(8080)));
        assert!(h.allows("https", "[fd00:1::2]", None));
    }

    #[test]
    fn self_is_accepted_but_allows_no_absolute_url() {
        let h = hosts(&["http://self", "https://self.alt"]);
        assert!(!h.allows("http", "self", None));
        assert!(!h.allows("http", "localhost", None));
    }

    #[test]
    fn nothing_allowed_by_default() {
        assert!(!hosts(&[]).allows("https", "example.com", None));
    }

    #[test]
    fn bad_entries_are_refused_with_spins_messages() {
        assert!(err("example.com").contains("does not contain a scheme"));
        assert!(err("*").contains("is not an allowed outbound host format"));
        assert!(err("*://example.com").contains("does not have a known default port number"));
        assert!(err("https://ex*mple.com").contains("wildcards are allowed only as subdomains"));
        assert!(err("https://*.*.com").contains("wildcards are allowed only as prefixes"));
        assert!(err("https://a.com:99999").contains("is not a number"));
        assert!(err("https://a.com:1..x").contains("contains non-number"));
        assert!(err("https://a.com/path").contains("must not include a path"));
        assert!(err("https://a.com:443/path").contains("has a path but is not allowed to"));
        assert!(err("http+unix://a.com:1").contains("only alphabetic characters are allowed"));
        assert!(err("{http,https}://a.com:1").contains("scheme lists are not supported"));
        assert!(err("http://[::1]").contains("Invalid allowed host port"));
        let all = AllowedHosts::parse(&["insecure:allow-all".to_string()]).unwrap_err();
        assert!(all.to_string().contains("'*://*:*'"));
    }

    #[test]
    fn service_chaining_hosts_are_recognised() {
        assert!(is_service_chaining_host("api.spin.internal"));
        assert!(is_service_chaining_host("api.spin.internal:80"));
        assert!(!is_service_chaining_host("spin.internal"));
        assert!(!is_service_chaining_host("example.com"));
    }
}
