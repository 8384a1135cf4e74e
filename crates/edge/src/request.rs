//! A request as the edge sees it (independent of Spin's types) and the
//! per-request context handed to handlers.

use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::rate_limit::RateLimit;

/// HTTP methods the API distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Patch,
    Delete,
    Options,
    /// Anything else (`TRACE`, `CONNECT`, extensions): never routed.
    Other,
}

impl Method {
    pub fn parse(s: &str) -> Self {
        match s.to_ascii_uppercase().as_str() {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            "OPTIONS" => Method::Options,
            _ => Method::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Other => "OTHER",
        }
    }
}

/// An incoming request. Header names are lowercase.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    /// The path, without the query string.
    pub path: String,
    /// The raw query string, without `?`.
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// A request with no headers and no body (tests, internal use).
    pub fn new(method: Method, path_and_query: &str) -> Self {
        let (path, query) = match path_and_query.split_once('?') {
            Some((p, q)) => (p.to_owned(), q.to_owned()),
            None => (path_and_query.to_owned(), String::new()),
        };
        Self {
            method,
            path,
            query,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Adds a header (name lowercased).
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .push((name.to_ascii_lowercase(), value.to_owned()));
        self
    }

    /// Sets the body.
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What a handler gets: the request, its id, the path parameters, a slot
/// for the rate-limit state once the caller is authenticated, and one for
/// the authenticated caller itself.
#[derive(Debug)]
pub struct Ctx {
    pub request: Request,
    pub request_id: String,
    pub(crate) params: Vec<(&'static str, String)>,
    pub(crate) rate_limit: Option<RateLimit>,
    caller: Memo,
}

/// A value kept for the rest of one request (the authenticated caller, so
/// that a handler run by another, as the `/api/v1` surface runs them, does
/// not authenticate and count the request twice).
#[derive(Default)]
struct Memo(Option<Box<dyn std::any::Any>>);

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Memo(set)"
        } else {
            "Memo(empty)"
        })
    }
}

impl Ctx {
    pub fn new(request: Request, request_id: String) -> Self {
        Self {
            request,
            request_id,
            params: Vec::new(),
            rate_limit: None,
            caller: Memo::default(),
        }
    }

    /// Keeps the authenticated caller for the rest of this request.
    pub fn remember_caller<T: Clone + 'static>(&mut self, caller: &T) {
        self.caller = Memo(Some(Box::new(caller.clone())));
    }

    /// The caller kept by [`Ctx::remember_caller`], if it is a `T`.
    pub fn remembered_caller<T: Clone + 'static>(&self) -> Option<T> {
        self.caller.0.as_ref()?.downcast_ref::<T>().cloned()
    }

    /// Sets a path parameter (a route of one surface running another's
    /// handler, which reads `:name`).
    pub fn set_param(&mut self, name: &'static str, value: impl Into<String>) {
        self.params.retain(|(n, _)| *n != name);
        self.params.push((name, value.into()));
    }

    /// A path parameter (`:id` in the route pattern).
    pub fn param(&self, name: &str) -> Result<&str, ApiError> {
        self.params
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| ApiError::internal(format!("route has no parameter {name}")))
    }

    /// A request header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.request.header(name)
    }

    /// A query-string parameter, percent-decoded (`+` as space).
    pub fn query(&self, name: &str) -> Option<String> {
        self.request
            .query
            .split('&')
            .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
            .find(|(k, _)| percent_decode(k).as_deref() == Some(name))
            .and_then(|(_, v)| percent_decode(v))
    }

    /// Records the authenticated caller's budget: the response then carries
    /// the `X-RateLimit-*` headers.
    pub fn set_rate_limit(&mut self, state: RateLimit) {
        self.rate_limit = Some(state);
    }

    /// Log a line carrying this request's id.
    pub fn log(&self, message: impl std::fmt::Display) {
        crate::log(&self.request_id, message);
    }

    /// Reads the body as JSON into `T`:
    /// not `application/json` -> 415; empty or not JSON -> 400 saying what
    /// is wrong and where; JSON of the wrong shape -> 422 naming the field.
    /// (The size limit was already enforced before routing.)
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        let content_type = self.header("content-type").unwrap_or("");
        if !is_json_content_type(content_type) {
            return Err(ApiError::UnsupportedMediaType {
                message: if content_type.is_empty() {
                    "Send the body as JSON with Content-Type: application/json".into()
                } else {
                    format!("Content-Type {content_type:?} is not supported; send application/json")
                },
            });
        }
        if self.request.body.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::bad_request(
                "empty_body",
                "The request body is empty; expected a JSON object",
            ));
        }
        let value: serde_json::Value = serde_json::from_slice(&self.request.body).map_err(|e| {
            ApiError::bad_request("malformed_json", format!("The body is not valid JSON: {e}"))
        })?;
        if !value.is_object() {
            return Err(ApiError::bad_request(
                "malformed_json",
                "The body must be a JSON object",
            ));
        }
        serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            let field = if path == "." { "body".to_owned() } else { path };
            let inner = e.into_inner().to_string();
            // serde names a missing field in backticks: "missing field `email`".
            let field = match field_named_in(&inner) {
                Some(missing) if inner.starts_with("missing field") => {
                    if field == "body" {
                        missing.to_owned()
                    } else {
                        format!("{field}.{missing}")
                    }
                }
                _ => field,
            };
            ApiError::validation(vec![crate::error::FieldError::new(field, inner)])
        })
    }
}

/// `application/json` or `application/<x>+json`, any parameters.
pub fn is_json_content_type(value: &str) -> bool {
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// serde names fields in backticks: "missing field `email`", "unknown field `x`".
fn field_named_in(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(&message[start..start + len])
}

/// Percent-encodes everything but RFC 3986's unreserved characters (a query
/// component, a URL's userinfo).
pub fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Percent-decodes a query component; `None` if the result is not UTF-8.
pub fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Login {
        email: String,
        password: String,
    }

    fn ctx(content_type: &str, body: &str) -> Ctx {
        let mut req = Request::new(Method::Post, "/auth/login").with_body(body);
        if !content_type.is_empty() {
            req = req.with_header("Content-Type", content_type);
        }
        Ctx::new(req, "rid".into())
    }

    #[test]
    fn json_bodies_parse() {
        let c = ctx(
            "application/json; charset=utf-8",
            r#"{"email":"a@b.c","password":"x"}"#,
        );
        assert_eq!(c.json::<Login>().expect("parses").email, "a@b.c");
    }

    #[test]
    fn a_wrong_content_type_is_415() {
        assert_eq!(
            ctx("text/plain", "{}")
                .json::<Login>()
                .expect_err("should fail")
                .status(),
            415
        );
        assert_eq!(
            ctx("", "{}")
                .json::<Login>()
                .expect_err("should fail")
                .status(),
            415
        );
    }

    #[test]
    fn malformed_json_is_400_saying_where() {
        let e = ctx("application/json", r#"{"email": "a@b.c",}"#)
            .json::<Login>()
            .expect_err("should fail");
        assert_eq!(e.status(), 400);
        assert_eq!(e.code(), "malformed_json");
        assert!(matches!(&e, ApiError::BadRequest { message, .. } if message.contains("line 1")));
    }

    #[test]
    fn an_empty_body_is_400() {
        assert_eq!(
            ctx("application/json", "  ")
                .json::<Login>()
                .expect_err("should fail")
                .code(),
            "empty_body"
        );
    }

    #[test]
    fn a_json_array_is_not_an_object() {
        assert_eq!(
            ctx("application/json", "[1]")
                .json::<Login>()
                .expect_err("should fail")
                .status(),
            400
        );
    }

    #[test]
    fn a_missing_field_is_422_naming_it() {
        let e = ctx("application/json", r#"{"email":"a@b.c"}"#)
            .json::<Login>()
            .expect_err("should fail");
        assert_eq!(e.status(), 422);
        assert!(
            matches!(&e, ApiError::Validation { details, .. } if details[0].field == "password")
        );
    }

    #[test]
    fn a_field_of_the_wrong_type_is_422_naming_it() {
        let e = ctx("application/json", r#"{"email":null,"password":"x"}"#)
            .json::<Login>()
            .expect_err("should fail");
        assert_eq!(e.status(), 422);
        assert!(
            matches!(&e, ApiError::Validation { details, .. } if details[0].field == "email"),
            "{e:?}"
        );
    }

    #[test]
    fn query_parameters_are_decoded() {
        let c = Ctx::new(
            Request::new(Method::Get, "/x?search=a%25b+c&limit=5&flag"),
            "rid".into(),
        );
        assert_eq!(c.query("search").as_deref(), Some("a%b c"));
        assert_eq!(c.query("limit").as_deref(), Some("5"));
        assert_eq!(c.query("flag").as_deref(), Some(""));
        assert_eq!(c.query("missing"), None);
    }

    #[test]
    fn truncated_percent_escapes_are_kept_literally() {
        assert_eq!(percent_decode("100%").as_deref(), Some("100%"));
        assert_eq!(percent_decode("%4").as_deref(), Some("%4"));
        assert_eq!(percent_decode("%zz").as_deref(), Some("%zz"));
        assert_eq!(percent_decode("%ff"), None);
    }

    #[test]
    fn json_content_types_are_recognised() {
        assert!(is_json_content_type("application/json"));
        assert!(is_json_content_type("Application/JSON; charset=UTF-8"));
        assert!(is_json_content_type("application/merge-patch+json"));
        assert!(!is_json_content_type("text/json"));
        assert!(!is_json_content_type("multipart/form-data"));
    }
}
