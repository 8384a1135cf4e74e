//! The one error type of the API, mapped to a status and a JSON body here and
//! nowhere else.
//!
//! Every error body has the same shape, in both API families:
//!
//! ```json
//! {"success":false,"error":"Not Found","message":"No API key with that id","code":"api_key_not_found"}
//! ```
//!
//! plus `details` (a list of `{field, message}`) for validation errors
//! (422 `validation_failed`; 400 `invalid_input` on the extension API).
//! [`ApiError::Internal`] carries detail for the log only: the client gets a
//! generic message and the request id to quote.

use serde::Serialize;

use crate::rate_limit::RateLimit;
use crate::request::Method;
use crate::response::Response;

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field's name as the client sent it (`email`, `scopes[2]`).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        ApiError::validation(vec![e])
    }
}

/// Every way a request can fail. `code` is a stable, machine-readable
/// snake_case string (`profile_not_found`); `message` is for people.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// 400: the request cannot be read (malformed JSON, missing header).
    BadRequest { code: &'static str, message: String },
    /// 400 naming each invalid field, with the same body as `Validation`:
    /// how the extension API (`/api/v1/*`, seed 001, which knows no 422)
    /// answers invalid input. See [`ApiError::into_invalid_input`].
    InvalidInput {
        code: &'static str,
        message: String,
        details: Vec<FieldError>,
    },
    /// 401: no credential, or one that does not authenticate.
    Unauthorized { code: &'static str, message: String },
    /// 403: authenticated but not allowed (scope, role, refused origin).
    Forbidden { code: &'static str, message: String },
    /// 404: no such resource, or not the caller's (never a hint which).
    NotFound { code: &'static str, message: String },
    /// 405: the path exists, the method does not.
    MethodNotAllowed { allowed: Vec<Method> },
    /// 409: conflicts with the current state (duplicate, held lock).
    Conflict { code: &'static str, message: String },
    /// 412: a conditional request's precondition (`If-Match`) failed.
    /// `current` is the resource's current validator: sent as `ETag` and
    /// as `current` in the body, so the client can fetch and merge.
    PreconditionFailed {
        code: &'static str,
        message: String,
        current: Option<String>,
    },
    /// 413: the body is larger than `limit` bytes.
    PayloadTooLarge { limit: usize },
    /// 413: one part of an accepted body is over its own limit (an image,
    /// a DOM snapshot); the message says which part and the limit.
    TooLarge { code: &'static str, message: String },
    /// 415: the body is not `application/json`.
    UnsupportedMediaType { message: String },
    /// 422: well-formed but invalid; `details` names each field.
    Validation {
        code: &'static str,
        message: String,
        details: Vec<FieldError>,
    },
    /// 429: over the request budget.
    RateLimited(RateLimit),
    /// 500: our fault. The text is logged with the request id, never sent.
    Internal(String),
    /// 503: a backing service (the blob store) is unreachable; nothing was
    /// changed. The text is logged with the request id, never sent.
    Unavailable(String),
    /// 502 or 503 naming what failed: a service this one calls (Stripe)
    /// refused (502) or cannot be reached or is not configured (503).
    /// `message` is for the client; `detail` is logged, never sent.
    Upstream {
        status: u16,
        code: &'static str,
        message: String,
        detail: String,
    },
}

impl ApiError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            message: message.into(),
        }
    }
    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        Self::Unauthorized {
            code,
            message: message.into(),
        }
    }
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::Forbidden {
            code,
            message: message.into(),
        }
    }
    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::NotFound {
            code,
            message: message.into(),
        }
    }
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            message: message.into(),
        }
    }
    pub fn precondition_failed(
        code: &'static str,
        message: impl Into<String>,
        current: Option<String>,
    ) -> Self {
        Self::PreconditionFailed {
            code,
            current,
            message: message.into(),
        }
    }
    /// 413 for one part of a body over its own limit.
    pub fn too_large(code: &'static str, message: impl Into<String>) -> Self {
        Self::TooLarge {
            code,
            message: message.into(),
        }
    }
    /// 422 naming every invalid field; the message lists them all.
    pub fn validation(details: Vec<FieldError>) -> Self {
        let message = details
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        Self::Validation {
            code: "validation_failed",
            message,
            details,
        }
    }
    /// 400 naming every invalid field (extension API style).
    pub fn invalid_input(details: Vec<FieldError>) -> Self {
        match Self::validation(details) {
            Self::Validation {
                message, details, ..
            } => Self::InvalidInput {
                code: "invalid_input",
                message,
                details,
            },
            other => other,
        }
    }

    /// The same error, with a 422 `Validation` turned into a 400
    /// `InvalidInput` (for the extension API); anything else unchanged.
    pub fn into_invalid_input(self) -> Self {
        match self {
            Self::Validation { details, .. } => Self::invalid_input(details),
            other => other,
        }
    }

    /// 503 with `detail` for the log.
    pub fn unavailable(detail: impl std::fmt::Display) -> Self {
        Self::Unavailable(detail.to_string())
    }

    /// 503 with its own code and message (`Retry-After: 5`); `detail` is
    /// for the log.
    pub fn service_unavailable(
        code: &'static str,
        message: impl Into<String>,
        detail: impl std::fmt::Display,
    ) -> Self {
        Self::Upstream {
            status: 503,
            code,
            message: message.into(),
            detail: detail.to_string(),
        }
    }

    /// 502: the service this one called refused the request; `detail` is
    /// for the log.
    pub fn bad_gateway(
        code: &'static str,
        message: impl Into<String>,
        detail: impl std::fmt::Display,
    ) -> Self {
        Self::Upstream {
            status: 502,
            code,
            message: message.into(),
            detail: detail.to_string(),
        }
    }

    /// 500 with `detail` for the log.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        Self::Internal(detail.to_string())
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            ApiError::BadRequest { .. } | ApiError::InvalidInput { .. } => 400,
            ApiError::Unauthorized { .. } => 401,
            ApiError::Forbidden { .. } => 403,
            ApiError::NotFound { .. } => 404,
            ApiError::MethodNotAllowed { .. } => 405,
            ApiError::Conflict { .. } => 409,
            ApiError::PreconditionFailed { .. } => 412,
            ApiError::PayloadTooLarge { .. } | ApiError::TooLarge { .. } => 413,
            ApiError::UnsupportedMediaType { .. } => 415,
            ApiError::Validation { .. } => 422,
            ApiError::RateLimited(_) => 429,
            ApiError::Internal(_) => 500,
            ApiError::Unavailable(_) => 503,
            ApiError::Upstream { status, .. } => *status,
        }
    }

    /// The machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest { code, .. }
            | ApiError::Unauthorized { code, .. }
            | ApiError::Forbidden { code, .. }
            | ApiError::NotFound { code, .. }
            | ApiError::Conflict { code, .. }
            | ApiError::PreconditionFailed { code, .. }
            | ApiError::TooLarge { code, .. }
            | ApiError::Validation { code, .. }
            | ApiError::InvalidInput { code, .. }
            | ApiError::Upstream { code, .. } => code,
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::UnsupportedMediaType { .. } => "unsupported_media_type",
            ApiError::RateLimited(_) => "rate_limited",
            ApiError::Internal(_) => "internal_error",
            ApiError::Unavailable(_) => "service_unavailable",
        }
    }

    /// Turns the error into its response. Internal detail is logged here,
    /// with the request id, and replaced by a generic message.
    pub fn into_response(self, request_id: &str) -> Response {
        let status = self.status();
        let code = self.code();
        let mut extra_headers: Vec<(String, String)> = Vec::new();
        let mut details = None;
        let mut current = None;
        if let ApiError::Unauthorized { .. } = &self {
            extra_headers.push(("www-authenticate".into(), "Bearer".into()));
        }
        let message = match self {
            ApiError::BadRequest { message, .. }
            | ApiError::Unauthorized { message, .. }
            | ApiError::Forbidden { message, .. }
            | ApiError::NotFound { message, .. }
            | ApiError::Conflict { message, .. }
            | ApiError::TooLarge { message, .. }
            | ApiError::UnsupportedMediaType { message } => message,
            ApiError::PreconditionFailed {
                message,
                current: validator,
                ..
            } => {
                if let Some(v) = &validator {
                    extra_headers.push(("etag".into(), format!("\"{v}\"")));
                }
                current = validator;
                message
            }
            ApiError::Validation {
                message,
                details: fields,
                ..
            }
            | ApiError::InvalidInput {
                message,
                details: fields,
                ..
            } => {
                details = Some(fields);
                message
            }
            ApiError::MethodNotAllowed { allowed } => {
                let allow = allowed
                    .iter()
                    .map(|m| m.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                extra_headers.push(("allow".into(), allow.clone()));
                format!("This path does not accept that method; allowed: {allow}")
            }
            ApiError::PayloadTooLarge { limit } => {
                format!("The request body is larger than the limit of {limit} bytes")
            }
            ApiError::RateLimited(state) => {
                extra_headers.extend(state.headers());
                extra_headers.push(("retry-after".into(), state.retry_after().to_string()));
                format!(
                    "Rate limit of {} requests per minute exceeded; retry after {} seconds",
                    state.limit,
                    state.retry_after()
                )
            }
            ApiError::Internal(detail) => {
                crate::log(request_id, format!("internal error: {detail}"));
                format!(
                    "An internal error occurred; quote request id {request_id} when reporting it"
                )
            }
            ApiError::Unavailable(detail) => {
                crate::log(request_id, format!("backing service unavailable: {detail}"));
                extra_headers.push(("retry-after".into(), "5".into()));
                format!(
                    "A storage service is unavailable; nothing was changed. Retry later (request id {request_id})"
                )
            }
            ApiError::Upstream {
                status,
                code,
                message,
                detail,
            } => {
                crate::log(request_id, format!("upstream {status} {code}: {detail}"));
                if status == 503 {
                    extra_headers.push(("retry-after".into(), "5".into()));
                }
                message
            }
        };
        let body = ErrorBody {
            success: false,
            error: reason_phrase(status),
            message,
            code,
            details,
            current,
        };
        let mut response = match serde_json::to_vec(&body) {
            Ok(bytes) => Response::raw_json(status, bytes),
            // Serializing strings cannot fail; keep a fixed body just in case.
            Err(_) => Response::raw_json(
                500,
                br#"{"success":false,"error":"Internal Server Error","message":"An internal error occurred","code":"internal_error"}"#.to_vec(),
            ),
        };
        response.headers.extend(extra_headers);
        response
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status(), self.code())
    }
}

#[derive(Serialize)]
struct ErrorBody {
    success: bool,
    error: &'static str,
    message: String,
    code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<Vec<FieldError>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    current: Option<String>,
}

/// The standard reason phrase, used as the body's `error` field.
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        412 => "Precondition Failed",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Internal Server Error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn body(r: &Response) -> Value {
        serde_json::from_slice(&r.body).expect("json body")
    }

    #[test]
    fn not_found_has_the_documented_shape() {
        let r = ApiError::not_found("profile_not_found", "No profile with that id")
            .into_response("rid");
        assert_eq!(r.status, 404);
        assert_eq!(
            body(&r),
            json!({"success":false,"error":"Not Found","message":"No profile with that id","code":"profile_not_found"})
        );
    }

    #[test]
    fn validation_errors_carry_details_naming_each_field() {
        let r = ApiError::validation(vec![
            FieldError::new("password", "must be at least 10 characters"),
            FieldError::new("email", "is not an email address"),
        ])
        .into_response("rid");
        assert_eq!(r.status, 422);
        let b = body(&r);
        assert_eq!(b["code"], "validation_failed");
        assert_eq!(b["error"], "Unprocessable Entity");
        assert_eq!(b["details"][0]["field"], "password");
        assert_eq!(b["details"][1]["field"], "email");
        assert!(b["message"].as_str().expect("message").contains("password"));
    }

    #[test]
    fn invalid_input_is_400_with_the_same_details() {
        let e = ApiError::validation(vec![FieldError::new("hostname", "is required")])
            .into_invalid_input();
        assert_eq!(e.status(), 400);
        let r = e.into_response("rid");
        let b = body(&r);
        assert_eq!(b["code"], "invalid_input");
        assert_eq!(b["error"], "Bad Request");
        assert_eq!(b["details"][0]["field"], "hostname");
        let other = ApiError::not_found("x", "y").into_invalid_input();
        assert_eq!(other.status(), 404);
    }

    #[test]
    fn a_part_over_its_own_limit_is_413_saying_which() {
        let r = ApiError::too_large(
            "dom_snapshot_too_large",
            "domSnapshot is 9 bytes; the limit is 8",
        )
        .into_response("rid");
        assert_eq!(r.status, 413);
        assert_eq!(
            body(&r),
            json!({"success":false,"error":"Payload Too Large","message":"domSnapshot is 9 bytes; the limit is 8","code":"dom_snapshot_too_large"})
        );
    }

    #[test]
    fn internal_detail_is_never_sent() {
        let r =
            ApiError::internal("sqlite: disk I/O error at /secret/path").into_response("abc123");
        assert_eq!(r.status, 500);
        let text = String::from_utf8(r.body.clone()).expect("utf8");
        assert!(!text.contains("secret"));
        assert!(text.contains("abc123"));
        assert_eq!(body(&r)["code"], "internal_error");
    }

    #[test]
    fn rate_limited_sets_retry_after_and_rate_headers() {
        let state = RateLimit {
            limit: 5,
            remaining: 0,
            reset: crate::time::now_secs() + 30,
        };
        let r = ApiError::RateLimited(state).into_response("rid");
        assert_eq!(r.status, 429);
        let retry: u64 = r
            .header("retry-after")
            .expect("retry-after")
            .parse()
            .expect("number");
        assert!((1..=30).contains(&retry));
        assert_eq!(r.header("x-ratelimit-limit"), Some("5"));
        assert_eq!(r.header("x-ratelimit-remaining"), Some("0"));
    }

    #[test]
    fn method_not_allowed_lists_the_allowed_methods() {
        let r = ApiError::MethodNotAllowed {
            allowed: vec![Method::Get, Method::Post],
        }
        .into_response("rid");
        assert_eq!(r.status, 405);
        assert_eq!(r.header("allow"), Some("GET, POST"));
    }

    #[test]
    fn every_status_has_its_reason_phrase() {
        for (status, phrase) in [
            (400, "Bad Request"),
            (401, "Unauthorized"),
            (403, "Forbidden"),
            (409, "Conflict"),
            (412, "Precondition Failed"),
            (413, "Payload Too Large"),
            (415, "Unsupported Media Type"),
            (500, "Internal Server Error"),
        ] {
            assert_eq!(reason_phrase(status), phrase);
        }
    }

    #[test]
    fn upstream_failures_keep_their_code_and_log_their_detail_only() {
        let r = ApiError::bad_gateway("stripe_request_failed", "refused", "sk_live_secret")
            .into_response("rid");
        assert_eq!(r.status, 502);
        let b = body(&r);
        assert_eq!(b["error"], "Bad Gateway");
        assert_eq!(b["code"], "stripe_request_failed");
        assert_eq!(b["message"], "refused");
        assert!(!String::from_utf8_lossy(&r.body).contains("sk_live"));
        let r = ApiError::service_unavailable("billing_not_configured", "not set up", "why")
            .into_response("rid");
        assert_eq!(r.status, 503);
        assert_eq!(body(&r)["code"], "billing_not_configured");
        assert!(
            r.headers
                .iter()
                .any(|(n, v)| n == "retry-after" && v == "5")
        );
    }
}
