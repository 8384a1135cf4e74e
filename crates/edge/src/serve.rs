//! The request pipeline, independent of Spin (so it is tested natively).

use std::time::Instant;

use crate::cors::{self, CorsPolicy, OriginDecision};
use crate::error::ApiError;
use crate::ids;
use crate::rate_limit::RateLimit;
use crate::request::{Ctx, Method, Request};
use crate::response::Response;
use crate::router::{Matched, Router};

/// Default body limit: 1 MiB (`max_body_bytes` variable).
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// Per-request configuration, read from Spin variables by [`crate::spin`].
#[derive(Debug, Clone)]
pub struct EdgeConfig {
    pub cors: CorsPolicy,
    pub max_body_bytes: usize,
    /// Problems found while reading the configuration, logged with the request id.
    pub warnings: Vec<String>,
}

impl Default for EdgeConfig {
    fn default() -> Self {
        Self {
            cors: CorsPolicy::default(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            warnings: Vec::new(),
        }
    }
}

/// Headers every response carries.
const SECURITY_HEADERS: &[(&str, &str)] = &[
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    (
        "content-security-policy",
        "default-src 'none'; frame-ancestors 'none'",
    ),
    (
        "strict-transport-security",
        "max-age=63072000; includeSubDomains",
    ),
    ("cross-origin-opener-policy", "same-origin"),
    ("permissions-policy", "interest-cohort=()"),
];

/// Answers one request: request id, CORS, body limit, routing, error
/// mapping, response headers, one access-log line.
pub fn serve(request: Request, config: &EdgeConfig, router: &Router) -> Response {
    let started = Instant::now();
    let request_id = request
        .header("x-request-id")
        .filter(|id| ids::is_acceptable_request_id(id))
        .map(str::to_owned)
        .unwrap_or_else(ids::new_request_id);
    for warning in &config.warnings {
        crate::log(&request_id, format!("configuration: {warning}"));
    }
    let method = request.method;
    let path = request.path.clone();
    let origin = config.cors.decide(request.header("origin"));

    crate::db::set_client(crate::db::Client::from_headers(
        request.header("spin-client-addr"),
        request.header("user-agent"),
    ));
    let mut rate_limit = None;
    let mut response = if is_preflight(&request) {
        match &origin {
            OriginDecision::Allowed(o) => {
                let mut r = Response::no_content();
                r.headers.extend(cors::preflight_headers(o));
                r
            }
            _ => ApiError::forbidden(
                "origin_not_allowed",
                "This origin is not allowed to call the API",
            )
            .into_response(&request_id),
        }
    } else {
        let mut ctx = Ctx::new(request, request_id.clone());
        let result = dispatch(&mut ctx, config, router);
        rate_limit = ctx.rate_limit;
        let mut r = result.unwrap_or_else(|e| e.into_response(&request_id));
        if method == Method::Head {
            r.body.clear();
        }
        r
    };
    finish(&mut response, &request_id, &origin, rate_limit);
    crate::log(
        &request_id,
        format!(
            "{} {} -> {} ({} ms)",
            method.as_str(),
            path,
            response.status,
            started.elapsed().as_millis()
        ),
    );
    response
}

fn is_preflight(request: &Request) -> bool {
    request.method == Method::Options
        && request.header("origin").is_some()
        && request.header("access-control-request-method").is_some()
}

fn dispatch(ctx: &mut Ctx, config: &EdgeConfig, router: &Router) -> Result<Response, ApiError> {
    check_body_size(&ctx.request, config.max_body_bytes)?;
    let method = ctx.request.method;
    let lookup = if method == Method::Head {
        Method::Get
    } else {
        method
    };
    match router.find(lookup, &ctx.request.path) {
        Matched::Route(handler, params) => {
            ctx.params = params;
            handler(ctx)
        }
        Matched::MethodNotAllowed(allowed) if method == Method::Options => {
            let allow = allowed.iter().map(|m| m.as_str()).collect::<Vec<_>>();
            Ok(Response::no_content().with_header("allow", allow.join(", ")))
        }
        Matched::MethodNotAllowed(allowed) => Err(ApiError::MethodNotAllowed { allowed }),
        Matched::NotFound => Err(ApiError::not_found(
            "route_not_found",
            format!("No route for {} {}", method.as_str(), ctx.request.path),
        )),
    }
}

/// 413 before anything reads the body: by `Content-Length`, then by size.
fn check_body_size(request: &Request, limit: usize) -> Result<(), ApiError> {
    let declared = request
        .header("content-length")
        .and_then(|v| v.trim().parse::<u64>().ok());
    let too_large = declared.is_some_and(|n| n > limit as u64) || request.body.len() > limit;
    if too_large {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    Ok(())
}

fn finish(
    response: &mut Response,
    request_id: &str,
    origin: &OriginDecision,
    rate_limit: Option<RateLimit>,
) {
    response.set_header("x-request-id", request_id);
    for (name, value) in SECURITY_HEADERS {
        response.set_header(name, *value);
    }
    if response.header("cache-control").is_none() {
        response.set_header("cache-control", "no-store");
    }
    response.set_header("vary", "Origin");
    if let OriginDecision::Allowed(o) = origin
        && response.header("access-control-allow-origin").is_none()
    {
        response.headers.extend(cors::response_headers(o));
    }
    if let Some(state) = rate_limit
        && response.header("x-ratelimit-limit").is_none()
    {
        response.headers.extend(state.headers());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::router::Route;
    use serde_json::Value;

    fn hello(_: &mut Ctx) -> Result<Response, ApiError> {
        Response::json(200, &serde_json::json!({"hello": "world"}))
    }
    fn authed(ctx: &mut Ctx) -> Result<Response, ApiError> {
        ctx.set_rate_limit(RateLimit {
            limit: 10,
            remaining: 9,
            reset: 1_700_000_060,
        });
        Response::json(200, &serde_json::json!({}))
    }
    fn echo(ctx: &mut Ctx) -> Result<Response, ApiError> {
        let v: Value = ctx.json()?;
        Response::json(200, &v)
    }
    fn boom(_: &mut Ctx) -> Result<Response, ApiError> {
        Err(ApiError::internal("db exploded: /var/secret"))
    }

    static ROUTES: &[Route] = &[
        Route::new(Method::Get, "/hello", hello),
        Route::new(Method::Get, "/authed", authed),
        Route::new(Method::Post, "/echo", echo),
        Route::new(Method::Get, "/boom", boom),
    ];
    static ROUTER: Router = Router::new(ROUTES);

    fn config() -> EdgeConfig {
        EdgeConfig {
            cors: CorsPolicy::parse("http://localhost:3000, chrome-extension://abcdefghijklmnop").0,
            max_body_bytes: 64,
            warnings: Vec::new(),
        }
    }

    fn run(req: Request) -> Response {
        serve(req, &config(), &ROUTER)
    }

    fn body(r: &Response) -> Value {
        serde_json::from_slice(&r.body).expect("json")
    }

    #[test]
    fn every_response_has_a_request_id_and_security_headers() {
        for path in ["/hello", "/nope", "/boom"] {
            let r = run(Request::new(Method::Get, path));
            assert_eq!(r.header("x-request-id").map(str::len), Some(24), "{path}");
            assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
            assert_eq!(r.header("x-frame-options"), Some("DENY"));
            assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
        }
    }

    #[test]
    fn a_sane_client_request_id_is_kept() {
        let r =
            run(Request::new(Method::Get, "/hello").with_header("X-Request-Id", "client-req-0001"));
        assert_eq!(r.header("x-request-id"), Some("client-req-0001"));
    }

    #[test]
    fn unknown_paths_get_a_json_404() {
        let r = run(Request::new(Method::Get, "/nope"));
        assert_eq!(r.status, 404);
        assert_eq!(body(&r)["code"], "route_not_found");
        assert_eq!(body(&r)["success"], false);
    }

    #[test]
    fn a_wrong_method_gets_405_with_allow() {
        let r = run(Request::new(Method::Delete, "/hello"));
        assert_eq!(r.status, 405);
        assert_eq!(r.header("allow"), Some("GET, OPTIONS"));
    }

    #[test]
    fn internal_errors_are_500_without_detail() {
        let r = run(Request::new(Method::Get, "/boom"));
        assert_eq!(r.status, 500);
        assert!(!String::from_utf8_lossy(&r.body).contains("secret"));
    }

    #[test]
    fn preflight_from_an_allowed_origin_is_204_with_cors_headers() {
        let r = run(Request::new(Method::Options, "/echo")
            .with_header("Origin", "http://localhost:3000")
            .with_header("Access-Control-Request-Method", "POST"));
        assert_eq!(r.status, 204);
        assert_eq!(
            r.header("access-control-allow-origin"),
            Some("http://localhost:3000")
        );
        assert!(
            r.header("access-control-allow-headers")
                .expect("headers")
                .contains("X-Api-Key")
        );
    }

    #[test]
    fn preflight_from_a_refused_origin_is_403_without_allow_origin() {
        let r = run(Request::new(Method::Options, "/echo")
            .with_header("Origin", "https://evil.example")
            .with_header("Access-Control-Request-Method", "POST"));
        assert_eq!(r.status, 403);
        assert_eq!(r.header("access-control-allow-origin"), None);
        assert_eq!(body(&r)["code"], "origin_not_allowed");
    }

    #[test]
    fn actual_requests_get_allow_origin_only_for_listed_origins() {
        let ok = run(Request::new(Method::Get, "/hello")
            .with_header("Origin", "chrome-extension://abcdefghijklmnop"));
        assert_eq!(
            ok.header("access-control-allow-origin"),
            Some("chrome-extension://abcdefghijklmnop")
        );
        let refused =
            run(Request::new(Method::Get, "/hello").with_header("Origin", "https://evil.example"));
        assert_eq!(refused.status, 200);
        assert_eq!(refused.header("access-control-allow-origin"), None);
    }

    #[test]
    fn bodies_over_the_limit_are_413_before_parsing() {
        let big = format!(r#"{{"x":"{}"}}"#, "a".repeat(100));
        let r = run(Request::new(Method::Post, "/echo")
            .with_header("content-type", "application/json")
            .with_body(big));
        assert_eq!(r.status, 413);
        let declared = run(Request::new(Method::Post, "/echo")
            .with_header("content-type", "application/json")
            .with_header("content-length", "1000000")
            .with_body("{}"));
        assert_eq!(declared.status, 413);
    }

    #[test]
    fn the_content_type_is_checked_before_parsing() {
        let r = run(Request::new(Method::Post, "/echo")
            .with_header("content-type", "text/plain")
            .with_body("{}"));
        assert_eq!(r.status, 415);
    }

    #[test]
    fn authenticated_responses_carry_rate_limit_headers() {
        let r = run(Request::new(Method::Get, "/authed"));
        assert_eq!(r.header("x-ratelimit-limit"), Some("10"));
        assert_eq!(r.header("x-ratelimit-remaining"), Some("9"));
        assert_eq!(r.header("x-ratelimit-reset"), Some("1700000060"));
        assert_eq!(
            run(Request::new(Method::Get, "/hello")).header("x-ratelimit-limit"),
            None
        );
    }

    #[test]
    fn head_is_answered_like_get_without_a_body() {
        let r = run(Request::new(Method::Head, "/hello"));
        assert_eq!(r.status, 200);
        assert!(r.body.is_empty());
    }
}
