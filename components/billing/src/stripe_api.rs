//! Stripe's API as this component calls it: a Checkout Session (to
//! subscribe a team to a plan) and a Customer Portal session (to change
//! the plan, the card, or cancel), each one form-encoded POST with the
//! secret key as a bearer token, sent by `crates/outbound-http` with the
//! `stripe_timeout` deadline.
//!
//! * `POST {stripe_api_base}/v1/checkout/sessions`: `mode=subscription`,
//!   the plan's price (quantity 1), `success_url`, `cancel_url`,
//!   `client_reference_id` and `metadata[team_id]` (the team), and
//!   `subscription_data[metadata][team_id]`, which is how the webhook
//!   ([`crate::stripe`]) finds the team of every subscription event later;
//!   `customer` when the team already has a Stripe customer (so one team
//!   keeps one customer), else Stripe creates one.
//! * `POST {stripe_api_base}/v1/billing_portal/sessions`: `customer`,
//!   `return_url`.
//!
//! Both answer an object with `id` and `url` (where the browser goes). What
//! a failure means for the client is decided here ([`StripeError`]); the
//! detail (Stripe's error type, code, message and request id) is for the
//! log only.

use serde_json::Value;
use url::Url;

use crate::form;
use crate::stripe::is_stripe_id;

/// Stripe's answers are a few kilobytes; anything past this is not one.
pub const MAX_ANSWER_BYTES: usize = 256 * 1024;
/// `POST` path of a Checkout Session.
pub const CHECKOUT_SESSIONS: &str = "/v1/checkout/sessions";
/// `POST` path of a Customer Portal session.
pub const PORTAL_SESSIONS: &str = "/v1/billing_portal/sessions";

/// Where and how to call Stripe.
#[derive(Clone, PartialEq, Eq)]
pub struct Client {
    /// `scheme://host[:port]` and any path prefix, without a trailing `/`.
    base: String,
    secret_key: String,
    timeout_ms: i64,
}

// The secret key stays out of every log line, even a debug one.
impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("timeout_ms", &self.timeout_ms)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for the API at `base` (an absolute http(s) URL without
    /// query) with `secret_key`; `Err` says what is wrong with `base`.
    pub fn new(base: &str, secret_key: &str, timeout_ms: i64) -> Result<Self, String> {
        let trimmed = base.trim().trim_end_matches('/');
        let url = Url::parse(trimmed).map_err(|e| format!("{base:?} is not a URL: {e}"))?;
        if !matches!(url.scheme(), "http" | "https")
            || url.host_str().is_none_or(str::is_empty)
            || url.query().is_some()
            || url.fragment().is_some()
        {
            return Err(format!(
                "{base:?} is not an http(s) URL of the form scheme://host[:port]"
            ));
        }
        Ok(Self {
            base: trimmed.to_owned(),
            secret_key: secret_key.trim().to_owned(),
            timeout_ms,
        })
    }

    /// The URL of an API path (`/v1/…`).
    pub fn endpoint(&self, path: &str) -> Result<Url, String> {
        let joined = format!("{}{path}", self.base);
        Url::parse(&joined).map_err(|e| format!("{joined:?}: {e}"))
    }

    /// The headers of every call: the key as a bearer token, a form body.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        vec![
            ("authorization", format!("Bearer {}", self.secret_key)),
            (
                "content-type",
                "application/x-www-form-urlencoded".to_owned(),
            ),
            ("accept", "application/json".to_owned()),
        ]
    }

    /// POSTs `params` to `path` and reads the session it creates.
    pub fn create_session(
        &self,
        path: &str,
        params: &[(String, String)],
    ) -> Result<Session, StripeError> {
        let url = self.endpoint(path).map_err(StripeError::Unavailable)?;
        let body = form::encode(params);
        let answer = outbound_http::post(
            &url,
            &self.headers(),
            body.as_bytes(),
            self.timeout_ms,
            MAX_ANSWER_BYTES,
        )
        .map_err(|e| StripeError::Unavailable(format!("POST {url}: {e}")))?;
        read_session(answer.status, &answer.body, answer.header("request-id"))
            .map_err(|e| e.context(&format!("POST {url}")))
    }
}

/// A session Stripe created: its id and where to send the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: String,
    pub url: String,
}

/// Why no session came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StripeError {
    /// No answer in time, no connection, a 5xx or a 429: Stripe is (for
    /// now) out of reach; retrying later may work (503 `stripe_unavailable`).
    Unavailable(String),
    /// Stripe refused the request (4xx: a bad key, an unknown price or
    /// customer), or answered 2xx with something that is not a session
    /// (502 `stripe_request_failed`): a configuration or data problem on our
    /// side, so retrying will not help.
    Refused(String),
}

impl StripeError {
    /// The detail, for the log.
    pub fn detail(&self) -> &str {
        match self {
            StripeError::Unavailable(d) | StripeError::Refused(d) => d,
        }
    }

    fn context(self, what: &str) -> Self {
        match self {
            StripeError::Unavailable(d) => StripeError::Unavailable(format!("{what}: {d}")),
            StripeError::Refused(d) => StripeError::Refused(format!("{what}: {d}")),
        }
    }
}

/// Stripe's answer as a session, or what went wrong. `request_id` is
/// Stripe's `Request-Id` header, for the log.
pub fn read_session(
    status: u16,
    body: &[u8],
    request_id: Option<&str>,
) -> Result<Session, StripeError> {
    let request = request_id
        .map(|r| format!(" [Stripe request {r}]"))
        .unwrap_or_default();
    if !(200..300).contains(&status) {
        let detail = format!(
            "Stripe answered HTTP {status}: {}{request}",
            error_detail(body)
        );
        return Err(if status == 429 || status >= 500 {
            StripeError::Unavailable(detail)
        } else {
            StripeError::Refused(detail)
        });
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        StripeError::Refused(format!(
            "Stripe answered HTTP {status} with a body that is not JSON: {e}{request}"
        ))
    })?;
    let id = value["id"].as_str().filter(|id| is_stripe_id(id));
    let url = value["url"].as_str().filter(|u| {
        Url::parse(u).is_ok_and(|u| matches!(u.scheme(), "https" | "http") && u.has_host())
    });
    match (id, url) {
        (Some(id), Some(url)) => Ok(Session {
            id: id.to_owned(),
            url: url.to_owned(),
        }),
        _ => Err(StripeError::Refused(format!(
            "Stripe answered HTTP {status} without a session id and an http(s) url{request}"
        ))),
    }
}

/// `type/code (param): message` of Stripe's error object, or the start of
/// a body that is not one.
fn error_detail(body: &[u8]) -> String {
    let value: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let error = &value["error"];
    if !error.is_object() {
        let text = String::from_utf8_lossy(body);
        return format!("{:?}", text.chars().take(200).collect::<String>());
    }
    let field = |name: &str| error[name].as_str().unwrap_or("-").to_owned();
    let param = error["param"]
        .as_str()
        .map(|p| format!(" (param {p})"))
        .unwrap_or_default();
    format!(
        "{}/{}{param}: {}",
        field("type"),
        field("code"),
        field("message")
    )
}

fn pair(k: &str, v: &str) -> (String, String) {
    (k.to_owned(), v.to_owned())
}

/// The Checkout Session of a subscription to `price` for `team_id`.
pub fn checkout_params(
    price: &str,
    success_url: &str,
    cancel_url: &str,
    team_id: &str,
    customer: Option<&str>,
) -> Vec<(String, String)> {
    let mut params = vec![
        pair("mode", "subscription"),
        pair("line_items[0][price]", price),
        pair("line_items[0][quantity]", "1"),
        pair("success_url", success_url),
        pair("cancel_url", cancel_url),
        pair("client_reference_id", team_id),
        pair("metadata[team_id]", team_id),
        pair("subscription_data[metadata][team_id]", team_id),
    ];
    if let Some(customer) = customer {
        params.push(pair("customer", customer));
    }
    params
}

/// The Customer Portal session of `customer`.
pub fn portal_params(customer: &str, return_url: &str) -> Vec<(String, String)> {
    vec![pair("customer", customer), pair("return_url", return_url)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_base_is_an_http_url_and_paths_join_it() {
        let c = Client::new("https://api.stripe.com/", "sk_test_1", 10_000).expect("client");
        assert_eq!(
            c.endpoint(CHECKOUT_SESSIONS).expect("url").as_str(),
            "https://api.stripe.com/v1/checkout/sessions"
        );
        let local = Client::new("http://127.0.0.1:4242", "sk_test_1", 1).expect("client");
        assert_eq!(
            local.endpoint(PORTAL_SESSIONS).expect("url").as_str(),
            "http://127.0.0.1:4242/v1/billing_portal/sessions"
        );
        for bad in [
            "",
            "api.stripe.com",
            "ftp://api.stripe.com",
            "https://api.stripe.com?x=1",
            "embedded://local:0",
        ] {
            assert!(Client::new(bad, "sk", 1).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_key_is_a_bearer_token_and_never_in_debug_output() {
        let c = Client::new("https://api.stripe.com", " sk_live_secret ", 1).expect("client");
        assert!(
            c.headers()
                .contains(&("authorization", "Bearer sk_live_secret".to_owned()))
        );
        assert!(!format!("{c:?}").contains("sk_live"));
    }

    #[test]
    fn checkout_params_carry_the_team_everywhere_stripe_returns_it() {
        let p = checkout_params("price_pro", "https://a/ok", "https://a/no", "team1", None);
        let get = |k: &str| p.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        assert_eq!(get("mode"), Some("subscription"));
        assert_eq!(get("line_items[0][price]"), Some("price_pro"));
        assert_eq!(get("line_items[0][quantity]"), Some("1"));
        assert_eq!(get("success_url"), Some("https://a/ok"));
        assert_eq!(get("cancel_url"), Some("https://a/no"));
        assert_eq!(get("client_reference_id"), Some("team1"));
        assert_eq!(get("subscription_data[metadata][team_id]"), Some("team1"));
        assert_eq!(get("customer"), None);
        let known = checkout_params(
            "price_pro",
            "https://a/ok",
            "https://a/no",
            "t",
            Some("cus_1"),
        );
        assert_eq!(known.last(), Some(&pair("customer", "cus_1")));
        assert_eq!(
            portal_params("cus_1", "https://a/back"),
            vec![
                pair("customer", "cus_1"),
                pair("return_url", "https://a/back")
            ]
        );
    }

    #[test]
    fn a_session_is_read_from_a_2xx_answer() {
        let body = json!({
            "id": "cs_test_a1", "object": "checkout.session",
            "url": "https://checkout.stripe.com/c/pay/cs_test_a1#fidkdWxOYHwnPyd1blpxYHZxWjA0",
        });
        assert_eq!(
            read_session(200, body.to_string().as_bytes(), None),
            Ok(Session {
                id: "cs_test_a1".into(),
                url: "https://checkout.stripe.com/c/pay/cs_test_a1#fidkdWxOYHwnPyd1blpxYHZxWjA0"
                    .into(),
            })
        );
        for bad in [
            json!({ "id": "cs_1" }),
            json!({ "url": "https://checkout.stripe.com/x" }),
            json!({ "id": "cs 1", "url": "https://checkout.stripe.com/x" }),
            json!({ "id": "cs_1", "url": "javascript:alert(1)" }),
        ] {
            assert!(
                matches!(
                    read_session(200, bad.to_string().as_bytes(), None),
                    Err(StripeError::Refused(_))
                ),
                "{bad}"
            );
        }
        assert!(matches!(
            read_session(200, b"<html>", None),
            Err(StripeError::Refused(_))
        ));
    }

    #[test]
    fn stripe_errors_are_refusals_and_outages_are_unavailable() {
        let body = json!({ "error": {
            "type": "invalid_request_error", "code": "resource_missing", "param": "customer",
            "message": "No such customer: 'cus_gone'",
        }});
        let e = read_session(400, body.to_string().as_bytes(), Some("req_9")).expect_err("refused");
        assert_eq!(
            e,
            StripeError::Refused(
                "Stripe answered HTTP 400: invalid_request_error/resource_missing (param customer): \
                 No such customer: 'cus_gone' [Stripe request req_9]"
                    .into()
            )
        );
        assert!(matches!(
            read_session(401, b"{}", None),
            Err(StripeError::Refused(_))
        ));
        assert!(matches!(
            read_session(429, b"{}", None),
            Err(StripeError::Unavailable(_))
        ));
        assert!(matches!(
            read_session(503, b"upstream down", None),
            Err(StripeError::Unavailable(d)) if d.contains("upstream down")
        ));
    }
}
