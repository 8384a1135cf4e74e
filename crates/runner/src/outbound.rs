//! `allowed_outbound_hosts`, in Spin's syntax: `scheme://host[:port]`, where the scheme may be
//! `*`, the host `*` or `*.domain`, and the port a number, a range `a..b`, or `*`. A missing
//! port means the scheme's default. Templates (`{{ var }}`) are expanded before parsing.

use anyhow::{Result, bail};

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    Any,
    Exact(String),
    /// `*.example.com`: any subdomain of `example.com` (not the domain itself).
    Subdomain(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PortPattern {
    Any,
    Range(u16, u16),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost {
    scheme: Option<String>,
    host: HostPattern,
    port: PortPattern,
}

#[derive(Debug, Clone, Default)]
pub struct AllowedHosts(Vec<AllowedHost>);

impl AllowedHosts {
    pub fn parse(entries: &[String]) -> Result<Self> {
        entries.iter().map(|e| AllowedHost::parse(e)).collect::<Result<Vec<_>>>().map(Self)
    }

    pub fn allows(&self, scheme: &str, host: &str, port: Option<u16>) -> bool {
        let scheme = scheme.to_ascii_lowercase();
        let Some(port) = port.or_else(|| default_port(&scheme)) else {
            return false;
        };
        let host = host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
        self.0.iter().any(|a| a.matches(&scheme, &host, port))
    }
}

impl AllowedHost {
    pub fn parse(entry: &str) -> Result<Self> {
        let Some((scheme, rest)) = entry.split_once("://") else {
            bail!("allowed_outbound_hosts entry {entry:?} must have a scheme, e.g. `https://{entry}`");
        };
        if scheme.is_empty() {
            bail!("allowed_outbound_hosts entry {entry:?} has an empty scheme");
        }
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains('/') {
            bail!("allowed_outbound_hosts entry {entry:?} must not contain a path");
        }
        let (host, port) = split_host_port(rest);
        if host.is_empty() {
            bail!("allowed_outbound_hosts entry {entry:?} has no host");
        }
        let host = match host {
            "*" => HostPattern::Any,
            h if h.starts_with("*.") => HostPattern::Subdomain(h[2..].to_ascii_lowercase()),
            h if h.contains('*') => bail!("allowed_outbound_hosts entry {entry:?}: `*` is only allowed as the whole host or a leading `*.`"),
            h => HostPattern::Exact(h.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase()),
        };
        let scheme_pattern = if scheme == "*" { None } else { Some(scheme.to_ascii_lowercase()) };
        let port = match port {
            Some("*") => PortPattern::Any,
            Some(p) if p.contains("..") => {
                let (a, b) = p.split_once("..").unwrap_or((p, p));
                let (a, b) = (parse_port(entry, a)?, parse_port(entry, b)?);
                if a >= b {
                    bail!("allowed_outbound_hosts entry {entry:?}: port range start must be below its end");
                }
                // Spin's ranges are half-open, like Rust's `a..b`.
                PortPattern::Range(a, b - 1)
            }
            Some(p) => {
                let p = parse_port(entry, p)?;
                PortPattern::Range(p, p)
            }
            None => match scheme_pattern.as_deref().and_then(default_port) {
                Some(p) => PortPattern::Range(p, p),
                None => bail!("allowed_outbound_hosts entry {entry:?} must give a port for scheme {scheme:?}"),
            },
        };
        Ok(Self { scheme: scheme_pattern, host, port })
    }

    fn matches(&self, scheme: &str, host: &str, port: u16) -> bool {
        let scheme_ok = self.scheme.as_deref().is_none_or(|s| s == scheme);
        let host_ok = match &self.host {
            HostPattern::Any => true,
            HostPattern::Exact(h) => h == host,
            HostPattern::Subdomain(d) => host.len() > d.len() + 1 && host.ends_with(d.as_str()) && host[..host.len() - d.len()].ends_with('.'),
        };
        let port_ok = match self.port {
            PortPattern::Any => true,
            PortPattern::Range(a, b) => (a..=b).contains(&port),
        };
        scheme_ok && host_ok && port_ok
    }
}

fn split_host_port(s: &str) -> (&str, Option<&str>) {
    if let Some(rest) = s.strip_prefix('[') {
        // IPv6 literal: [::1]:8080
        if let Some(end) = rest.find(']') {
            let host = &s[..end + 2];
            let port = s[end + 2..].strip_prefix(':');
            return (host, port);
        }
    }
    match s.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (s, None),
    }
}

fn parse_port(entry: &str, p: &str) -> Result<u16> {
    p.parse::<u16>()
        .map_err(|_| anyhow::anyhow!("allowed_outbound_hosts entry {entry:?} has an invalid port {p:?}"))
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        "redis" => Some(6379),
        "postgres" => Some(5432),
        "mysql" => Some(3306),
        "mqtt" => Some(1883),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(entries: &[&str]) -> AllowedHosts {
        AllowedHosts::parse(&entries.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
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
    fn port_ranges_are_half_open() {
        let h = hosts(&["http://localhost:3000..3002"]);
        assert!(h.allows("http", "localhost", Some(3001)));
        assert!(!h.allows("http", "localhost", Some(3002)));
    }

    #[test]
    fn nothing_allowed_by_default() {
        assert!(!hosts(&[]).allows("https", "example.com", None));
    }

    #[test]
    fn bad_entries_are_refused() {
        for bad in ["example.com", "*://example.com", "https://ex*mple.com", "https://a.com:99999", "https://a.com/path"] {
            assert!(AllowedHost::parse(bad).is_err(), "{bad}");
        }
    }
}
