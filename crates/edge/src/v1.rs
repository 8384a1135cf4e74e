//! The wire format of the published multilogin.io clients (their desktop CLI
//! and web dashboard), which call `/api/v1/…` and unwrap `{success, data}`.
//!
//! A component serves those paths by running its own handler and changing
//! only the wire: the query (page numbers become `limit`/`offset`), the body
//! (their field names become ours) and the answer (ours, reshaped, inside
//! the envelope). Domain rules, SQL, audit and scoping stay in the one
//! handler both surfaces share.
//!
//! Errors keep BrowserCloud's status and body (`code`, `details`), except
//! that `error` carries the human-readable message: both clients show
//! `error` to the user (`throw new Error(data.error || data.message)`).

use serde_json::{Map, Value, json};

use crate::error::{ApiError, FieldError};
use crate::request::{Ctx, percent_decode, percent_encode};
use crate::response::Response;

/// Runs `handler` on `ctx` and answers in the envelope, with `reshape`
/// applied to a successful body (an empty one reads as `null`).
pub fn run(
    ctx: &mut Ctx,
    handler: fn(&mut Ctx) -> Result<Response, ApiError>,
    reshape: impl FnOnce(Value) -> Result<Value, ApiError>,
) -> Result<Response, ApiError> {
    let result = handler(ctx);
    answer(ctx, result, reshape)
}

/// [`run`] for a result already at hand.
pub fn answer(
    ctx: &Ctx,
    result: Result<Response, ApiError>,
    reshape: impl FnOnce(Value) -> Result<Value, ApiError>,
) -> Result<Response, ApiError> {
    let response = match result {
        Ok(r) => r,
        Err(e) => return Ok(humanize(e.into_response(&ctx.request_id))),
    };
    if response.status >= 400 {
        return Ok(humanize(response));
    }
    if response.status == 304 {
        return Ok(response);
    }
    let body = if response.body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&response.body)
            .map_err(|e| ApiError::internal(format!("re-reading a handler's body: {e}")))?
    };
    match reshape(body) {
        Ok(data) => envelope(response, &data, None),
        Err(e) => Ok(humanize(e.into_response(&ctx.request_id))),
    }
}

/// `data` in the envelope with `response`'s status (200 for a 204) and its
/// headers (an `ETag`, `Location`), `message` when given.
pub fn envelope(
    response: Response,
    data: &Value,
    message: Option<&str>,
) -> Result<Response, ApiError> {
    let status = if response.status == 204 {
        200
    } else {
        response.status
    };
    let mut out = Response::envelope(status, data, message)?;
    for (name, value) in response.headers {
        if name != "content-type" && name != "content-length" {
            out.set_header(&name, value);
        }
    }
    Ok(out)
}

/// An error body with `error` set to its message.
pub fn humanize(mut response: Response) -> Response {
    let Ok(Value::Object(mut body)) = serde_json::from_slice::<Value>(&response.body) else {
        return response;
    };
    if let Some(message) = body.get("message").cloned() {
        body.insert("error".into(), message);
        if let Ok(bytes) = serde_json::to_vec(&body) {
            response.body = bytes;
        }
    }
    response
}

/// The query as decoded pairs, in order.
pub fn query_pairs(ctx: &Ctx) -> Vec<(String, String)> {
    ctx.request
        .query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Some((percent_decode(k)?, percent_decode(v)?))
        })
        .collect()
}

/// Replaces the query with `pairs`, percent-encoded.
pub fn set_query(ctx: &mut Ctx, pairs: &[(String, String)]) {
    ctx.request.query = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
}

/// Renames query parameters (`from` -> `to`; an empty `to` drops it) and
/// keeps the rest.
pub fn rename_query(ctx: &mut Ctx, renames: &[(&str, &str)]) {
    let pairs: Vec<(String, String)> = query_pairs(ctx)
        .into_iter()
        .filter_map(|(k, v)| match renames.iter().find(|(from, _)| *from == k) {
            Some((_, "")) => None,
            Some((_, to)) => Some(((*to).to_owned(), v)),
            None => Some((k, v)),
        })
        .collect();
    set_query(ctx, &pairs);
}

/// `?page=&limit=` of the clients' lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageNumber {
    pub page: i64,
    pub limit: i64,
}

impl PageNumber {
    /// Pages deeper than this are refused (the offset cap of every list).
    pub const MAX_PAGE: i64 = 10_000;

    /// Reads `page` (from 1) and `limit` (1 to `max`, default `default`)
    /// and rewrites them as our `limit`/`offset`; 400 naming a bad one.
    pub fn take(ctx: &mut Ctx, default: i64, max: i64) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        let number = |name: &str, lo: i64, hi: i64, fallback: i64, errors: &mut Vec<_>| match ctx
            .query(name)
            .as_deref()
            .map(str::trim)
        {
            None | Some("") => fallback,
            Some(raw) => match raw.parse::<i64>() {
                Ok(n) if (lo..=hi).contains(&n) => n,
                _ => {
                    errors.push(FieldError::new(
                        name,
                        format!("must be a whole number from {lo} to {hi}"),
                    ));
                    fallback
                }
            },
        };
        let page = number("page", 1, Self::MAX_PAGE, 1, &mut errors);
        let limit = number("limit", 1, max, default, &mut errors);
        if !errors.is_empty() {
            return Err(ApiError::invalid_input(errors));
        }
        let mut pairs: Vec<(String, String)> = query_pairs(ctx)
            .into_iter()
            .filter(|(k, _)| k != "page" && k != "limit" && k != "offset")
            .collect();
        pairs.push(("limit".into(), limit.to_string()));
        pairs.push(("offset".into(), ((page - 1) * limit).to_string()));
        set_query(ctx, &pairs);
        Ok(Self { page, limit })
    }

    /// `{items, total, page, pageSize, totalPages}`.
    pub fn listed(&self, items: Vec<Value>, total: i64) -> Value {
        let total_pages = if total <= 0 {
            0
        } else {
            (total + self.limit - 1) / self.limit
        };
        json!({
            "items": items,
            "total": total,
            "page": self.page,
            "pageSize": self.limit,
            "totalPages": total_pages,
        })
    }
}

/// The body as a JSON object, where an empty body reads as `{}` (the
/// clients POST with `Content-Type: application/json` and no body).
pub fn body_or_empty(ctx: &Ctx) -> Result<Map<String, Value>, ApiError> {
    if ctx.request.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    ctx.json::<Map<String, Value>>()
}

/// Replaces the body with `value` as JSON (what the shared handler reads).
pub fn set_body(ctx: &mut Ctx, value: &Value) -> Result<(), ApiError> {
    ctx.request.body = serde_json::to_vec(value)
        .map_err(|e| ApiError::internal(format!("serializing a rewritten body: {e}")))?;
    set_header(ctx, "content-type", "application/json");
    Ok(())
}

/// Sets a request header (name lowercase), replacing any earlier value.
pub fn set_header(ctx: &mut Ctx, name: &str, value: &str) {
    ctx.request.headers.retain(|(n, _)| n != name);
    ctx.request
        .headers
        .push((name.to_owned(), value.to_owned()));
}

/// Moves body fields to their new names (`from` -> `to`), keeping the rest.
pub fn rename_fields(body: &mut Map<String, Value>, renames: &[(&str, &str)]) {
    for (from, to) in renames {
        if let Some(v) = body.remove(*from) {
            body.insert((*to).to_owned(), v);
        }
    }
}

/// A field of a reshaped body: `Null` when absent.
pub fn take(value: &mut Value, name: &str) -> Value {
    value
        .as_object_mut()
        .and_then(|o| o.remove(name))
        .unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{Method, Request};

    fn ctx(path_and_query: &str) -> Ctx {
        Ctx::new(Request::new(Method::Get, path_and_query), "req-1".into())
    }

    #[test]
    fn a_success_is_wrapped_with_its_status_and_headers() {
        let c = ctx("/x");
        let r = Response::json(201, &json!({"id": "a"}))
            .expect("json")
            .with_header("etag", "\"h\"");
        let out = answer(&c, Ok(r), |mut v| {
            v["extra"] = json!(1);
            Ok(v)
        })
        .expect("answer");
        assert_eq!(out.status, 201);
        assert_eq!(out.header("etag"), Some("\"h\""));
        let body: Value = serde_json::from_slice(&out.body).expect("json");
        assert_eq!(
            body,
            json!({"success": true, "data": {"id": "a", "extra": 1}})
        );
    }

    #[test]
    fn an_error_keeps_status_and_code_with_the_message_as_error() {
        let c = ctx("/x");
        let out = answer(
            &c,
            Err(ApiError::not_found(
                "profile_not_found",
                "No profile with this id",
            )),
            Ok,
        )
        .expect("answer");
        assert_eq!(out.status, 404);
        let body: Value = serde_json::from_slice(&out.body).expect("json");
        assert_eq!(body["success"], false);
        assert_eq!(body["error"], "No profile with this id");
        assert_eq!(body["code"], "profile_not_found");
    }

    #[test]
    fn page_numbers_become_limit_and_offset() {
        let mut c = ctx("/x?search=a%20b&page=3&limit=20&sortBy=name");
        let p = PageNumber::take(&mut c, 50, 100).expect("valid");
        assert_eq!(p, PageNumber { page: 3, limit: 20 });
        assert_eq!(c.query("offset").as_deref(), Some("40"));
        assert_eq!(c.query("limit").as_deref(), Some("20"));
        assert_eq!(c.query("search").as_deref(), Some("a b"));
        assert_eq!(c.query("page"), None);
        let listed = p.listed(vec![json!(1)], 41);
        assert_eq!(listed["totalPages"], 3);
        assert_eq!(listed["pageSize"], 20);
        for bad in ["/x?page=0", "/x?limit=101", "/x?page=abc"] {
            let mut c = ctx(bad);
            let e = PageNumber::take(&mut c, 50, 100).expect_err(bad);
            assert_eq!(e.status(), 400, "{bad}");
        }
    }

    #[test]
    fn query_renames_keep_other_parameters() {
        let mut c = ctx("/x?sortBy=lastActive&sortOrder=asc&q=%26");
        rename_query(&mut c, &[("sortBy", "orderBy"), ("sortOrder", "order")]);
        assert_eq!(c.query("orderBy").as_deref(), Some("lastActive"));
        assert_eq!(c.query("order").as_deref(), Some("asc"));
        assert_eq!(c.query("q").as_deref(), Some("&"));
        rename_query(&mut c, &[("q", "")]);
        assert_eq!(c.query("q"), None);
    }
}
