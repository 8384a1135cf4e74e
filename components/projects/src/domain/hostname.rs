//! [`Hostname`]: the key of a project, in one normal form so that
//! `https://GitHub.com:443/login`, `github.com.` and `GITHUB.COM` are one
//! project, and `bücher.example` and `xn--bcher-kva.example` too.

use std::net::{Ipv4Addr, Ipv6Addr};

use edge::FieldError;

/// A normalised hostname: lower case, IDNA ASCII form (punycode), no scheme,
/// user info, port, path, query, fragment or trailing dot. IPv4 addresses
/// are kept as dotted quads and IPv6 addresses as `[canonical]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hostname(String);

impl Hostname {
    /// Longest input read (a URL the extension pasted, say).
    pub const MAX_INPUT_LEN: usize = 2048;
    /// DNS limit on a name's length (without the trailing dot).
    pub const MAX_LEN: usize = 253;
    /// DNS limit on one label.
    pub const MAX_LABEL_LEN: usize = 63;

    /// Normalises `raw` (a hostname, `host:port` or a whole URL) and checks
    /// it; the error names `field`.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let invalid = |why: String| FieldError::new(field, why);
        let input = raw.trim();
        if input.is_empty() {
            return Err(invalid("is required".into()));
        }
        if input.len() > Self::MAX_INPUT_LEN {
            return Err(invalid(format!(
                "must be at most {} characters",
                Self::MAX_INPUT_LEN
            )));
        }
        if input.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(invalid(
                "must not contain spaces or control characters".into(),
            ));
        }
        // Scheme: `https://host/...`; anything before `://` that looks like one.
        let rest = match input.split_once("://") {
            Some((scheme, rest)) if is_scheme(scheme) => rest,
            Some(_) => return Err(invalid("is not a hostname or URL".into())),
            None => input,
        };
        // Path, query and fragment.
        let authority = rest.split(['/', '?', '#', '\\']).next().unwrap_or_default();
        if authority.contains('@') {
            return Err(invalid("must not contain a user name or password".into()));
        }
        let host = strip_port(authority).map_err(|why| invalid(why.into()))?;
        if host.is_empty() {
            return Err(invalid("has no host name".into()));
        }
        if let Some(v6) = host.strip_prefix('[') {
            let addr = v6
                .strip_suffix(']')
                .and_then(|a| a.parse::<Ipv6Addr>().ok())
                .ok_or_else(|| invalid("is not a valid IPv6 address".into()))?;
            return Ok(Self(format!("[{addr}]")));
        }
        let host = host.strip_suffix('.').unwrap_or(host);
        let ascii = idna::domain_to_ascii_cow(host.as_bytes(), idna::AsciiDenyList::URL)
            .map_err(|_| invalid("is not a valid internationalised domain name".into()))?;
        check_ascii_name(&ascii).map_err(invalid)?;
        Ok(Self(ascii.into_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name for people: Unicode labels where the ASCII form is punycode
    /// (`xn--bcher-kva.example` -> `bücher.example`).
    pub fn display_name(&self) -> String {
        match idna::domain_to_unicode(&self.0) {
            (unicode, Ok(())) => unicode,
            (_, Err(_)) => self.0.clone(),
        }
    }
}

/// `[a-z][a-z0-9+.-]*`, as RFC 3986 defines a scheme.
fn is_scheme(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// `host`, `host:443`, `[::1]:8080` -> the host part; a port must be digits.
fn strip_port(authority: &str) -> Result<&str, &'static str> {
    let (host, port) = if authority.starts_with('[') {
        match authority.find(']') {
            Some(end) => {
                let (host, after) = authority.split_at(end + 1);
                match after.strip_prefix(':') {
                    Some(port) => (host, Some(port)),
                    None if after.is_empty() => (host, None),
                    None => return Err("is not a valid IPv6 address"),
                }
            }
            None => return Err("is not a valid IPv6 address"),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if let Some(port) = port
        && (port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err("has an invalid port");
    }
    if host.contains(':') && !host.starts_with('[') {
        return Err("is not a hostname (IPv6 addresses go in brackets)");
    }
    Ok(host)
}

/// The checks after IDNA: lengths, and letters, digits, `-` and `_` (which
/// browsers accept in host names) in each label; a name whose last label is
/// all digits must be an IPv4 address.
fn check_ascii_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("has no host name".into());
    }
    if name.len() > Hostname::MAX_LEN {
        return Err(format!(
            "must be at most {} characters (in its ASCII form)",
            Hostname::MAX_LEN
        ));
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Err("must not contain empty labels (\"..\")".into());
        }
        if label.len() > Hostname::MAX_LABEL_LEN {
            return Err(format!(
                "has a label longer than {} characters",
                Hostname::MAX_LABEL_LEN
            ));
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        {
            return Err(format!(
                "label {label:?} contains characters not allowed in a hostname"
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!("label {label:?} must not start or end with '-'"));
        }
    }
    let last = name.rsplit('.').next().unwrap_or_default();
    if last.bytes().all(|b| b.is_ascii_digit()) && name.parse::<Ipv4Addr>().is_err() {
        return Err("is not a valid IPv4 address".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(raw: &str) -> String {
        Hostname::parse("hostname", raw)
            .unwrap_or_else(|e| panic!("{raw:?}: {e}"))
            .as_str()
            .to_owned()
    }

    #[test]
    fn hostnames_are_lowercased_and_trimmed() {
        assert_eq!(norm("GitHub.COM"), "github.com");
        assert_eq!(norm("  example.com  "), "example.com");
        assert_eq!(norm("example.com."), "example.com");
    }

    #[test]
    fn scheme_port_path_query_and_fragment_are_removed() {
        assert_eq!(
            norm("https://GitHub.com:443/login?next=/x#top"),
            "github.com"
        );
        assert_eq!(norm("http://localhost:3000"), "localhost");
        assert_eq!(norm("example.com:8080"), "example.com");
        assert_eq!(norm("example.com/path/to"), "example.com");
        assert_eq!(norm("chrome-extension://abc/x.html"), "abc");
        assert_eq!(norm("sub.example.co.uk?x=1"), "sub.example.co.uk");
    }

    #[test]
    fn internationalised_names_become_punycode() {
        assert_eq!(norm("bücher.example"), "xn--bcher-kva.example");
        assert_eq!(norm("BÜCHER.example"), "xn--bcher-kva.example");
        assert_eq!(norm("xn--bcher-kva.example"), "xn--bcher-kva.example");
        assert_eq!(norm("https://пример.рф/путь"), "xn--e1afmkfd.xn--p1ai");
        // Full-width characters map to ASCII (UTS #46).
        assert_eq!(norm("ｅｘａｍｐｌｅ.com"), "example.com");
    }

    #[test]
    fn the_display_name_is_unicode() {
        let h = Hostname::parse("hostname", "https://XN--BCHER-KVA.example/").expect("valid");
        assert_eq!(h.as_str(), "xn--bcher-kva.example");
        assert_eq!(h.display_name(), "bücher.example");
        let h = Hostname::parse("hostname", "github.com").expect("valid");
        assert_eq!(h.display_name(), "github.com");
    }

    #[test]
    fn ip_addresses_are_kept_in_canonical_form() {
        assert_eq!(norm("127.0.0.1:8080"), "127.0.0.1");
        assert_eq!(norm("http://[::1]:3000/x"), "[::1]");
        assert_eq!(norm("[2001:DB8:0:0::1]"), "[2001:db8::1]");
    }

    #[test]
    fn real_world_labels_that_strict_idna_rejects_are_accepted() {
        assert_eq!(
            norm("r3---sn-abc.googlevideo.com"),
            "r3---sn-abc.googlevideo.com"
        );
        assert_eq!(norm("my_site.example.com"), "my_site.example.com");
    }

    #[test]
    fn invalid_hostnames_are_refused_naming_the_field() {
        for raw in [
            "",
            "   ",
            "exa mple.com",
            "example..com",
            "-example.com",
            "example-.com",
            "user:pass@example.com",
            "example.com:http",
            "example.com:123456",
            "ex!ample.com",
            "exa<mple.com",
            "[::1",
            "[zz::1]",
            "::1",
            "999.1.1.1",
            "https://",
            "file:///etc/passwd",
            "http:/example.com",
            "1http://example.com",
            "a\u{0007}b.com",
        ] {
            let e = Hostname::parse("hostname", raw).expect_err(raw);
            assert_eq!(e.field, "hostname", "{raw:?}");
        }
        let long_label = format!("{}.com", "a".repeat(64));
        assert!(Hostname::parse("hostname", &long_label).is_err());
        let long_name = format!("{}com", "abcdefghi.".repeat(26));
        assert!(Hostname::parse("hostname", &long_name).is_err());
        assert!(Hostname::parse("hostname", &"a".repeat(3000)).is_err());
    }
}
