//! Proxy addresses: `scheme://[user[:password]@]host:port`, parsed and
//! checked (scheme http, https, socks4 or socks5; a port from 1 to 65535; a
//! hostname, IPv4 or bracketed IPv6 host; user and password
//! percent-decoded). The credentials are kept apart so they can be sealed.

use std::net::{Ipv4Addr, Ipv6Addr};

use edge::FieldError;

/// The protocol spoken to the proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
    Socks4,
    Socks5,
}

impl Scheme {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.to_ascii_lowercase().as_str() {
            "http" => Some(Self::Http),
            "https" => Some(Self::Https),
            "socks4" => Some(Self::Socks4),
            "socks5" => Some(Self::Socks5),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Https => "https",
            Self::Socks4 => "socks4",
            Self::Socks5 => "socks5",
        }
    }
}

/// Username and password of a proxy. `Debug` never prints them.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credentials(..)")
    }
}

/// A checked proxy address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyAddress {
    pub scheme: Scheme,
    /// Lowercase hostname, dotted IPv4, or IPv6 without brackets.
    pub host: String,
    pub port: u16,
    pub credentials: Option<Credentials>,
}

impl ProxyAddress {
    /// Parses `scheme://[user[:password]@]host:port` (one trailing `/`
    /// allowed, nothing else after the port).
    pub fn parse_url(field: &str, raw: &str) -> Result<Self, FieldError> {
        let bad = |why: &str| FieldError::new(field, why);
        let s = raw.trim();
        if s.len() > 2048 {
            return Err(bad("is too long"));
        }
        let (scheme, rest) = s
            .split_once("://")
            .ok_or_else(|| bad("must look like scheme://user:pass@host:port"))?;
        let scheme = Scheme::parse(scheme)
            .ok_or_else(|| bad("scheme must be http, https, socks4 or socks5"))?;
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains(['/', '?', '#']) {
            return Err(bad("must not have a path, query or fragment"));
        }
        let (userinfo, hostport) = match rest.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, rest),
        };
        let credentials = match userinfo {
            None => None,
            Some(u) => {
                let (user, pass) = u.split_once(':').unwrap_or((u, ""));
                let decode = |p: &str| {
                    percent_decode(p).ok_or_else(|| {
                        bad("has a malformed percent-escape in the user or password")
                    })
                };
                Some(Credentials {
                    username: decode(user)?,
                    password: decode(pass)?,
                })
            }
        };
        let (host, port) = split_host_port(hostport).ok_or_else(|| bad("must end with :port"))?;
        Self::from_parts(field, scheme, host, port, credentials)
    }

    /// Checks separately given parts (`scheme`, `host`, `port`, ...).
    pub fn from_parts(
        field: &str,
        scheme: Scheme,
        host: &str,
        port: &str,
        credentials: Option<Credentials>,
    ) -> Result<Self, FieldError> {
        let bad = |why: String| FieldError::new(field, why);
        let port: u16 = match port.trim().parse::<u32>() {
            Ok(p) if (1..=65535).contains(&p) => p as u16,
            _ => return Err(bad(format!("port {port:?} is not from 1 to 65535"))),
        };
        let host = parse_host(host)
            .ok_or_else(|| bad(format!("host {host:?} is not a hostname or IP address")))?;
        let credentials = match credentials {
            Some(c) if c.username.is_empty() && c.password.is_empty() => None,
            Some(c) => {
                if c.username.is_empty() {
                    return Err(bad("a password needs a username".into()));
                }
                if c.username.len() > 255 || c.password.len() > 255 {
                    return Err(bad("username and password must be at most 255 bytes".into()));
                }
                if c.username
                    .chars()
                    .chain(c.password.chars())
                    .any(char::is_control)
                {
                    return Err(bad(
                        "username and password must not contain control characters".into(),
                    ));
                }
                if scheme == Scheme::Socks4 && !c.password.is_empty() {
                    return Err(bad("socks4 has a user id but no password".into()));
                }
                Some(c)
            }
            None => None,
        };
        Ok(Self {
            scheme,
            host,
            port,
            credentials,
        })
    }

    /// `scheme://host:port`, without credentials (safe to show).
    pub fn display(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        format!("{}://{host}:{}", self.scheme.as_str(), self.port)
    }
}

/// `host:port` or `[v6]:port`.
fn split_host_port(s: &str) -> Option<(&str, &str)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = after.strip_prefix(':')?;
        Some((host, port))
    } else {
        let (host, port) = s.rsplit_once(':')?;
        if host.contains(':') {
            return None;
        }
        Some((host, port))
    }
}

/// A lowercase hostname, a dotted IPv4 address or an IPv6 address.
fn parse_host(raw: &str) -> Option<String> {
    let h = raw.trim().trim_start_matches('[').trim_end_matches(']');
    if h.is_empty() {
        return None;
    }
    if let Ok(v6) = h.parse::<Ipv6Addr>() {
        return Some(v6.to_string());
    }
    if h.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return h.parse::<Ipv4Addr>().ok().map(|a| a.to_string());
    }
    let host = h.strip_suffix('.').unwrap_or(h).to_ascii_lowercase();
    let labels: Vec<&str> = host.split('.').collect();
    let ok = host.len() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && labels
            .last()
            .is_some_and(|tld| !tld.bytes().all(|b| b.is_ascii_digit()));
    ok.then_some(host)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(raw: &str) -> ProxyAddress {
        ProxyAddress::parse_url("url", raw).unwrap_or_else(|e| panic!("{raw}: {e}"))
    }

    /// (url, scheme, host, port, credentials)
    type Case<'a> = (&'a str, Scheme, &'a str, u16, Option<(&'a str, &'a str)>);

    #[test]
    fn proxy_urls_parse_into_their_parts() {
        let table: &[Case<'_>] = &[
            ("http://1.2.3.4:8080", Scheme::Http, "1.2.3.4", 8080, None),
            (
                "https://Proxy.Example.COM:443/",
                Scheme::Https,
                "proxy.example.com",
                443,
                None,
            ),
            (
                "socks5://user:pa%3Ass@gw.example.net:1080",
                Scheme::Socks5,
                "gw.example.net",
                1080,
                Some(("user", "pa:ss")),
            ),
            (
                "SOCKS5://u:p@[2001:db8::1]:1080",
                Scheme::Socks5,
                "2001:db8::1",
                1080,
                Some(("u", "p")),
            ),
            (
                "socks4://userid@10.0.0.1:1080",
                Scheme::Socks4,
                "10.0.0.1",
                1080,
                Some(("userid", "")),
            ),
            (
                "http://a%40b:p%40ss@host.example:3128",
                Scheme::Http,
                "host.example",
                3128,
                Some(("a@b", "p@ss")),
            ),
            (
                "http://@host.example:3128",
                Scheme::Http,
                "host.example",
                3128,
                None,
            ),
            (
                "http://x:y@proxy-1.example:65535",
                Scheme::Http,
                "proxy-1.example",
                65535,
                Some(("x", "y")),
            ),
        ];
        for (raw, scheme, host, port, creds) in table {
            let p = ok(raw);
            assert_eq!(p.scheme, *scheme, "{raw}");
            assert_eq!(p.host, *host, "{raw}");
            assert_eq!(p.port, *port, "{raw}");
            assert_eq!(
                p.credentials
                    .as_ref()
                    .map(|c| (c.username.as_str(), c.password.as_str())),
                *creds,
                "{raw}"
            );
        }
    }

    #[test]
    fn malformed_proxy_urls_are_refused() {
        for raw in [
            "",
            "1.2.3.4:8080",
            "ftp://1.2.3.4:21",
            "http://1.2.3.4",
            "http://1.2.3.4:0",
            "http://1.2.3.4:65536",
            "http://1.2.3.4:80a",
            "http://999.1.1.1:80",
            "http://1.2.3:80",
            "http://exa mple.com:80",
            "http://-bad.example:80",
            "http://bad-.example:80",
            "http://a..b:80",
            "http://host.example:80/path",
            "http://host.example:80?q=1",
            "http://2001:db8::1:80",
            "http://[2001:db8::zz]:80",
            "socks4://user:secret@10.0.0.1:1080",
            "http://:pass@host.example:80",
            "http://u:%zz@host.example:80",
        ] {
            assert!(ProxyAddress::parse_url("url", raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn display_never_shows_credentials() {
        let p = ok("socks5://user:secret@[::1]:1080");
        assert_eq!(p.display(), "socks5://[::1]:1080");
        assert!(!format!("{p:?}").contains("secret"));
    }

    #[test]
    fn parts_are_checked_like_urls() {
        let p = ProxyAddress::from_parts("proxy", Scheme::Http, "Example.com", "8080", None)
            .expect("ok");
        assert_eq!(p.host, "example.com");
        assert!(
            ProxyAddress::from_parts("proxy", Scheme::Http, "example.com", "70000", None).is_err()
        );
    }
}
