//! Which URLs a webhook may point at.
//!
//! The rule is the variable `webhook_allowed_hosts`, one entry in the syntax
//! of Spin's `allowed_outbound_hosts` (it *is* the `allowed_outbound_hosts`
//! entry of every component that delivers, so Spin enforces it too):
//! `scheme://host[:port]`, the scheme `*` or a name, the host `*`,
//! `*.domain`, a name, an address or a CIDR range, the port a number, `a..b`
//! (half-open), `*`, or absent for the scheme's well-known port. The
//! default, `https://*:443`, allows any HTTPS host on 443.
//!
//! On top of Spin's check, a URL is refused when:
//! - its scheme is not `http` or `https`, it has user info or a fragment,
//!   or it is longer than 2048 bytes;
//! - its host is a private, loopback, link-local or otherwise internal
//!   address, or a local name (`localhost`, `*.local`, `*.internal`, a name
//!   without a dot), unless the rule names that host explicitly (a literal
//!   host or a CIDR range, not a wildcard): `http://127.0.0.1:*` allows
//!   local receivers, `https://*:443` never does.
//!
//! What the guest cannot see: where a public name resolves to. A name that
//! resolves to an internal address passes this check (DNS rebinding); keep
//! such destinations out at the network level (egress policy) in production.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

/// Longest webhook URL accepted.
pub const MAX_URL_LEN: usize = 2048;

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostRule {
    Any,
    /// `*.example.com`, stored as `.example.com`.
    Subdomain(String),
    Literal(String),
    Cidr(IpAddr, u8),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PortRule {
    Any,
    Port(u16),
    /// Half-open, as in Spin.
    Range(u16, u16),
}

/// One `allowed_outbound_hosts` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost {
    original: String,
    /// `None` for `*`.
    scheme: Option<String>,
    host: HostRule,
    port: PortRule,
}

impl std::fmt::Display for AllowedHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.original)
    }
}

fn well_known_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

impl AllowedHost {
    /// Parses an entry as Spin does (the subset a webhook can use).
    pub fn parse(entry: &str) -> Result<Self, String> {
        let original = entry.trim().to_owned();
        let (scheme, rest) = original
            .split_once("://")
            .ok_or_else(|| format!("{original:?} has no scheme (e.g. https://)"))?;
        let scheme = match scheme {
            "*" => None,
            s if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphabetic()) => {
                Some(s.to_ascii_lowercase())
            }
            s => return Err(format!("scheme {s:?} is not a name or *")),
        };
        let (host, port) = rest.rsplit_once(':').unwrap_or((rest, ""));
        let port = match port.split_once('/') {
            Some((_, path)) if !path.is_empty() => {
                return Err(format!("{original:?} has a path"));
            }
            Some((port, _)) => port,
            None => port,
        };
        let host = parse_host(host.trim())?;
        let port = match port {
            "" => PortRule::Port(
                scheme
                    .as_deref()
                    .and_then(well_known_port)
                    .ok_or_else(|| format!("{original:?} needs a port"))?,
            ),
            "*" => PortRule::Any,
            p => match p.split_once("..") {
                Some((a, b)) => PortRule::Range(
                    a.parse()
                        .map_err(|_| format!("port range {p:?} is not numbers"))?,
                    b.parse()
                        .map_err(|_| format!("port range {p:?} is not numbers"))?,
                ),
                None => PortRule::Port(
                    p.parse()
                        .map_err(|_| format!("port {p:?} is not a number"))?,
                ),
            },
        };
        Ok(Self {
            original,
            scheme,
            host,
            port,
        })
    }

    fn allows_scheme(&self, scheme: &str) -> bool {
        self.scheme.as_deref().is_none_or(|s| s == scheme)
    }

    fn allows_port(&self, port: u16) -> bool {
        match self.port {
            PortRule::Any => true,
            PortRule::Port(p) => p == port,
            PortRule::Range(a, b) => (a..b).contains(&port),
        }
    }

    /// Whether the host part allows `host`; `explicitly` when it names it
    /// (a literal or a CIDR range, not a wildcard).
    fn host_match(&self, host: &Host<&str>) -> Option<bool> {
        let text = host_text(host);
        match &self.host {
            HostRule::Any => Some(false),
            HostRule::Subdomain(suffix) => text.ends_with(suffix.as_str()).then_some(false),
            HostRule::Literal(name) => (*name == text).then_some(true),
            HostRule::Cidr(net, bits) => ip_of(host)
                .is_some_and(|ip| cidr_contains(*net, *bits, ip))
                .then_some(true),
        }
    }
}

fn parse_host(host: &str) -> Result<HostRule, String> {
    if host == "*" {
        return Ok(HostRule::Any);
    }
    if host.is_empty() || host.starts_with('{') || host == "self" || host == "self.alt" {
        return Err(format!("host {host:?} cannot be used for webhooks"));
    }
    if let Some((net, bits)) = host.split_once('/') {
        let ip: IpAddr = net
            .trim_matches(|c| c == '[' || c == ']')
            .parse()
            .map_err(|_| format!("{host:?} is not a CIDR range"))?;
        let bits: u8 = bits
            .parse()
            .map_err(|_| format!("{host:?} is not a CIDR range"))?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        if bits > max {
            return Err(format!("{host:?} is not a CIDR range"));
        }
        return Ok(HostRule::Cidr(ip, bits));
    }
    if let Some(domain) = host.strip_prefix("*.") {
        if domain.contains('*') {
            return Err(format!("{host:?}: wildcards only as the first label"));
        }
        return Ok(HostRule::Subdomain(format!(
            ".{}",
            domain.to_ascii_lowercase()
        )));
    }
    if host.contains('*') {
        return Err(format!("{host:?}: wildcards only as the first label"));
    }
    Ok(HostRule::Literal(host.to_ascii_lowercase()))
}

fn host_text(host: &Host<&str>) -> String {
    match host {
        Host::Domain(d) => d.to_ascii_lowercase(),
        Host::Ipv4(ip) => ip.to_string(),
        Host::Ipv6(ip) => format!("[{ip}]"),
    }
}

fn ip_of(host: &Host<&str>) -> Option<IpAddr> {
    match host {
        Host::Ipv4(ip) => Some(IpAddr::V4(*ip)),
        Host::Ipv6(ip) => Some(IpAddr::V6(*ip)),
        Host::Domain(_) => None,
    }
}

fn cidr_contains(net: IpAddr, bits: u8, ip: IpAddr) -> bool {
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(n) & mask == u32::from(i) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(i)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(n) & mask == u128::from(i) & mask
        }
        _ => false,
    }
}

fn internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240 // reserved
}

fn internal_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    if let Some(v4) = ip.to_ipv4_mapped() {
        return internal_v4(v4);
    }
    if ip.segments()[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let o = ip.octets();
        return internal_v4(Ipv4Addr::new(o[12], o[13], o[14], o[15]));
    }
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
}

/// Whether a host is internal: a private, loopback, link-local or reserved
/// address, or a local name.
pub fn is_internal(host: &Host<&str>) -> bool {
    match host {
        Host::Ipv4(ip) => internal_v4(*ip),
        Host::Ipv6(ip) => internal_v6(*ip),
        Host::Domain(d) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            !d.contains('.')
                || [
                    ".localhost",
                    ".local",
                    ".internal",
                    ".localdomain",
                    ".home.arpa",
                    ".arpa",
                ]
                .iter()
                .any(|s| d.ends_with(s))
        }
    }
}

/// Checks a webhook URL against the rule; the error says why, for the
/// field `url`.
pub fn check_url(raw: &str, rule: &AllowedHost) -> Result<Url, String> {
    if raw.len() > MAX_URL_LEN {
        return Err(format!("must be at most {MAX_URL_LEN} bytes"));
    }
    let url = Url::parse(raw.trim()).map_err(|e| format!("is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("must be an https:// URL".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry a user name or password".into());
    }
    if url.fragment().is_some() {
        return Err("must not have a #fragment".into());
    }
    let host = url.host().ok_or("has no host")?;
    let port = url.port_or_known_default().ok_or("has no port")?;
    let matched = rule.host_match(&host);
    if !rule.allows_scheme(url.scheme()) || !rule.allows_port(port) || matched.is_none() {
        return Err(if url.scheme() == "http" {
            format!("must be https: plain http only to hosts webhook_allowed_hosts allows ({rule})")
        } else {
            format!("is not allowed by webhook_allowed_hosts ({rule})")
        });
    }
    if is_internal(&host) && matched != Some(true) {
        return Err(format!(
            "points at a private, loopback or local host; allowed only when webhook_allowed_hosts names it ({rule})"
        ));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(s: &str) -> AllowedHost {
        AllowedHost::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn the_default_allows_public_https_on_443_only() {
        let r = rule("https://*:443");
        assert!(check_url("https://hooks.example.com/in?x=1", &r).is_ok());
        assert!(check_url("https://hooks.example.com:443/in", &r).is_ok());
        for bad in [
            "http://hooks.example.com/in",
            "https://hooks.example.com:8443/in",
            "ftp://hooks.example.com/in",
            "https://user:pw@hooks.example.com/in",
            "https://hooks.example.com/in#frag",
            "https://127.0.0.1/in",
            "https://10.1.2.3/in",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/in",
            "https://[fd00::1]/in",
            "https://[::ffff:192.168.0.1]/in",
            "https://0x7f000001/in",
            "https://localhost/in",
            "https://metadata.google.internal/x",
            "https://printer.local/x",
            "https://intranet/x",
            "not a url",
        ] {
            assert!(check_url(bad, &r).is_err(), "{bad}");
        }
        assert!(check_url(&format!("https://a.example/{}", "x".repeat(2100)), &r).is_err());
    }

    #[test]
    fn a_rule_naming_a_local_host_allows_it() {
        let r = rule("http://127.0.0.1:*");
        assert!(check_url("http://127.0.0.1:45678/hook", &r).is_ok());
        assert!(check_url("http://127.0.0.2:45678/hook", &r).is_err());
        assert!(check_url("https://hooks.example.com/in", &r).is_err());
        let r = rule("*://10.0.0.0/8:8000..9000");
        assert!(check_url("http://10.20.30.40:8080/", &r).is_ok());
        assert!(check_url("http://10.20.30.40:9000/", &r).is_err());
        assert!(check_url("http://11.0.0.1:8080/", &r).is_err());
    }

    #[test]
    fn subdomain_rules_never_name_internal_addresses() {
        let r = rule("https://*.example.com");
        assert!(check_url("https://a.b.example.com/x", &r).is_ok());
        assert!(check_url("https://example.com/x", &r).is_err());
        assert!(check_url("https://evil.com/x", &r).is_err());
    }

    #[test]
    fn rules_parse_as_spin_parses_them() {
        for ok in [
            "https://*:443",
            "http://127.0.0.1:*",
            "*://*:*",
            "https://*.example.com",
            "http://10.0.0.0/8:80",
        ] {
            assert!(AllowedHost::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "*",
            "hooks.example.com",
            "ftp://x",
            "https://a*b.com:443",
            "https://x:port",
        ] {
            assert!(AllowedHost::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(rule("https://*:443").to_string(), "https://*:443");
    }
}
