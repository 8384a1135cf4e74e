//! CORS from an allow-list: the `cors_allowed_origins` variable, a
//! comma-separated list of exact origins (`https://app.example.com`,
//! `http://localhost:3000`, `chrome-extension://<id>`, `moz-extension://<id>`).
//!
//! Only listed origins get `Access-Control-Allow-Origin`, and it is always
//! the listed origin, never a wildcard and never an unlisted origin echoed
//! back. A preflight from a listed origin is answered 204; from any other
//! origin 403.

/// Methods a preflight may ask for.
pub const ALLOWED_METHODS: &str = "GET, POST, PUT, PATCH, DELETE, OPTIONS";
/// Request headers a preflight may ask for.
pub const ALLOWED_HEADERS: &str = "Authorization, Content-Type, X-Api-Key, X-Client-ID, X-Request-Id, X-Lock-Token, Idempotency-Key, If-Match, If-None-Match";
/// Response headers scripts may read.
pub const EXPOSED_HEADERS: &str = "X-Request-Id, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After, ETag, Location";
/// How long a browser may cache a preflight answer, in seconds.
pub const MAX_AGE_SECS: u32 = 86_400;

/// The parsed allow-list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CorsPolicy {
    origins: Vec<String>,
}

/// What the policy says about a request's `Origin`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginDecision {
    /// No `Origin` header: not a cross-origin browser request.
    NoOrigin,
    /// Listed: answer with this exact origin.
    Allowed(String),
    /// Not listed.
    Refused,
}

impl CorsPolicy {
    /// Parses the variable. Returns the policy and the entries it ignored
    /// (wildcards, entries that are not an origin), for the log.
    pub fn parse(list: &str) -> (Self, Vec<String>) {
        let mut origins = Vec::new();
        let mut ignored = Vec::new();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            match normalize_origin(entry) {
                Some(origin) if !origins.contains(&origin) => origins.push(origin),
                Some(_) => {}
                None => ignored.push(entry.to_owned()),
            }
        }
        (Self { origins }, ignored)
    }

    /// The listed origins, normalized.
    pub fn origins(&self) -> &[String] {
        &self.origins
    }

    /// Decides on a request's `Origin` header.
    pub fn decide(&self, origin: Option<&str>) -> OriginDecision {
        let Some(origin) = origin else {
            return OriginDecision::NoOrigin;
        };
        match normalize_origin(origin) {
            Some(o) if self.origins.contains(&o) => OriginDecision::Allowed(o),
            _ => OriginDecision::Refused,
        }
    }
}

/// Headers for a response to an allowed origin's actual request.
pub fn response_headers(origin: &str) -> Vec<(String, String)> {
    vec![
        ("access-control-allow-origin".into(), origin.to_owned()),
        ("access-control-allow-credentials".into(), "true".into()),
        (
            "access-control-expose-headers".into(),
            EXPOSED_HEADERS.into(),
        ),
    ]
}

/// Headers for a 204 preflight answer to an allowed origin.
pub fn preflight_headers(origin: &str) -> Vec<(String, String)> {
    vec![
        ("access-control-allow-origin".into(), origin.to_owned()),
        ("access-control-allow-credentials".into(), "true".into()),
        (
            "access-control-allow-methods".into(),
            ALLOWED_METHODS.into(),
        ),
        (
            "access-control-allow-headers".into(),
            ALLOWED_HEADERS.into(),
        ),
        ("access-control-max-age".into(), MAX_AGE_SECS.to_string()),
    ]
}

/// `scheme://host[:port]`, lowercased, no path, no trailing slash; or `None`
/// if the text is not a single origin (`*`, `null`, a URL with a path).
fn normalize_origin(s: &str) -> Option<String> {
    let s = s.trim().trim_end_matches('/');
    let (scheme, rest) = s.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let valid_scheme = matches!(
        scheme.as_str(),
        "http" | "https" | "chrome-extension" | "moz-extension" | "safari-web-extension"
    );
    let valid_rest = !rest.is_empty()
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    (valid_scheme && valid_rest).then(|| format!("{scheme}://{}", rest.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> CorsPolicy {
        CorsPolicy::parse(
            "https://app.example.com, http://localhost:3000/, chrome-extension://abcdefghijklmnopabcdefghijklmnop, moz-extension://0c6e5d1a-1111-4c3e-9f6a-2f1d2a3b4c5d",
        )
        .0
    }

    #[test]
    fn listed_origins_are_allowed_exactly() {
        let p = policy();
        assert_eq!(
            p.decide(Some("https://app.example.com")),
            OriginDecision::Allowed("https://app.example.com".into())
        );
        assert_eq!(
            p.decide(Some("http://localhost:3000")),
            OriginDecision::Allowed("http://localhost:3000".into())
        );
    }

    #[test]
    fn extensions_are_allowed_by_id_only() {
        let p = policy();
        assert!(matches!(
            p.decide(Some("chrome-extension://abcdefghijklmnopabcdefghijklmnop")),
            OriginDecision::Allowed(_)
        ));
        assert_eq!(
            p.decide(Some("chrome-extension://someotherextensionidxxxxxxxxxxxx")),
            OriginDecision::Refused
        );
        assert!(matches!(
            p.decide(Some("moz-extension://0c6e5d1a-1111-4c3e-9f6a-2f1d2a3b4c5d")),
            OriginDecision::Allowed(_)
        ));
    }

    #[test]
    fn other_origins_are_refused_not_reflected() {
        let p = policy();
        for origin in [
            "https://evil.example",
            "https://app.example.com.evil.example",
            "http://app.example.com",
            "http://localhost:3001",
            "null",
            "*",
        ] {
            assert_eq!(p.decide(Some(origin)), OriginDecision::Refused, "{origin}");
        }
    }

    #[test]
    fn requests_without_origin_are_not_cors() {
        assert_eq!(policy().decide(None), OriginDecision::NoOrigin);
    }

    #[test]
    fn wildcards_and_junk_in_the_list_are_ignored_and_reported() {
        let (p, ignored) =
            CorsPolicy::parse("*, https://ok.example, ftp://x, https://x.example/path");
        assert_eq!(p.origins(), ["https://ok.example".to_string()]);
        assert_eq!(ignored.len(), 3);
        assert_eq!(
            p.decide(Some("https://anything.example")),
            OriginDecision::Refused
        );
    }

    #[test]
    fn an_empty_list_allows_nothing() {
        let (p, _) = CorsPolicy::parse("");
        assert_eq!(
            p.decide(Some("http://localhost:3000")),
            OriginDecision::Refused
        );
    }
}
