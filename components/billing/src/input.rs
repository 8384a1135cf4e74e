//! The bodies of `POST /api/billing/checkout` and `POST /api/billing/portal`,
//! read into checked values (plain Rust, unit-tested): each invalid field is
//! one [`FieldError`], answered together as 400 `invalid_input`.

use edge::FieldError;
use plans::Plan;
use serde_json::{Map, Value};

/// The longest redirect URL taken (Stripe's own limit is 5000).
pub const MAX_URL_CHARS: usize = 2048;

/// Where Stripe sends the browser back: an absolute `http(s)` URL with a
/// host and no user or password, at most [`MAX_URL_CHARS`]. Kept exactly as
/// sent (trimmed), so a `{CHECKOUT_SESSION_ID}` placeholder reaches Stripe
/// unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectUrl(String);

impl RedirectUrl {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim();
        if s.is_empty() {
            return Err("must be an absolute http(s) URL".into());
        }
        if s.chars().count() > MAX_URL_CHARS {
            return Err(format!("must be at most {MAX_URL_CHARS} characters"));
        }
        if s.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err("must not contain spaces or control characters".into());
        }
        let url = url::Url::parse(s).map_err(|_| "must be an absolute http(s) URL".to_string())?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err("must be an http or https URL".into());
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err("must name a host".into());
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("must not carry a user name or password".into());
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A plan that is bought through Checkout: pro or team.
pub fn paid_plan(raw: &str) -> Result<Plan, String> {
    match Plan::parse(raw) {
        Some(plan @ (Plan::Pro | Plan::Team)) => Ok(plan),
        Some(Plan::Free) => Err(
            "must be pro or team; to go back to free, cancel the subscription in the billing portal"
                .into(),
        ),
        None => Err("must be pro or team".into()),
    }
}

/// `POST /api/billing/checkout`'s body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutInput {
    pub plan: Plan,
    pub success_url: RedirectUrl,
    pub cancel_url: RedirectUrl,
}

/// `POST /api/billing/portal`'s body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalInput {
    pub return_url: RedirectUrl,
}

/// Reads `{plan, successUrl, cancelUrl}`.
pub fn checkout(body: &Map<String, Value>) -> Result<CheckoutInput, Vec<FieldError>> {
    let mut errors = Vec::new();
    let plan = required(body, "plan", "pro or team", &mut errors, paid_plan);
    let success_url = required(
        body,
        "successUrl",
        "an absolute http(s) URL",
        &mut errors,
        RedirectUrl::parse,
    );
    let cancel_url = required(
        body,
        "cancelUrl",
        "an absolute http(s) URL",
        &mut errors,
        RedirectUrl::parse,
    );
    match (plan, success_url, cancel_url) {
        (Some(plan), Some(success_url), Some(cancel_url)) if errors.is_empty() => {
            Ok(CheckoutInput {
                plan,
                success_url,
                cancel_url,
            })
        }
        _ => Err(errors),
    }
}

/// Reads `{returnUrl}`.
pub fn portal(body: &Map<String, Value>) -> Result<PortalInput, Vec<FieldError>> {
    let mut errors = Vec::new();
    match required(
        body,
        "returnUrl",
        "an absolute http(s) URL",
        &mut errors,
        RedirectUrl::parse,
    ) {
        Some(return_url) if errors.is_empty() => Ok(PortalInput { return_url }),
        _ => Err(errors),
    }
}

/// A required string field read with `parse`; a missing, non-string or
/// refused value is pushed onto `errors`.
fn required<T>(
    body: &Map<String, Value>,
    name: &str,
    expected: &str,
    errors: &mut Vec<FieldError>,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Option<T> {
    match body.get(name) {
        None | Some(Value::Null) => {
            errors.push(FieldError::new(name, format!("is required: {expected}")));
            None
        }
        Some(Value::String(s)) => parse(s)
            .map_err(|why| errors.push(FieldError::new(name, why)))
            .ok(),
        Some(_) => {
            errors.push(FieldError::new(
                name,
                format!("must be a string: {expected}"),
            ));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(v: Value) -> Map<String, Value> {
        v.as_object().expect("object").clone()
    }

    fn fields(errors: Vec<FieldError>) -> Vec<String> {
        errors.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn redirect_urls_are_absolute_http_urls_kept_as_sent() {
        for ok in [
            "https://app.example.com/billing/done?session={CHECKOUT_SESSION_ID}",
            "http://localhost:3000/after",
            "http://127.0.0.1:8080/",
            " https://app.example.com/x#done ",
        ] {
            let url = RedirectUrl::parse(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
            assert_eq!(url.as_str(), ok.trim());
        }
        let long = format!("https://app.example.com/{}", "a".repeat(MAX_URL_CHARS));
        for bad in [
            "",
            "   ",
            "/billing/done",
            "app.example.com/done",
            "javascript:alert(1)",
            "data:text/html,hi",
            "ftp://example.com/x",
            "https://",
            "https://user:pw@app.example.com/",
            "https://app.example.com@evil.example/",
            "https://app.example.com/a b",
            "https://app.example.com/a\nb",
            "https://app.example.com/a\u{0}b",
            long.as_str(),
        ] {
            assert!(RedirectUrl::parse(bad).is_err(), "{bad:?} was accepted");
        }
        let exactly = format!(
            "https://a.example/{}",
            "a".repeat(MAX_URL_CHARS - "https://a.example/".len())
        );
        assert!(RedirectUrl::parse(&exactly).is_ok());
    }

    #[test]
    fn only_paid_plans_are_bought() {
        assert_eq!(paid_plan("pro"), Ok(Plan::Pro));
        assert_eq!(paid_plan("team"), Ok(Plan::Team));
        assert!(paid_plan("free").is_err());
        assert!(paid_plan("Pro").is_err());
        assert!(paid_plan("enterprise").is_err());
    }

    #[test]
    fn a_checkout_body_names_every_bad_field() {
        let good = checkout(&object(json!({
            "plan": "team",
            "successUrl": "https://app.example.com/ok",
            "cancelUrl": "https://app.example.com/cancel",
        })))
        .expect("valid");
        assert_eq!(good.plan, Plan::Team);
        assert_eq!(good.success_url.as_str(), "https://app.example.com/ok");
        assert_eq!(
            fields(checkout(&object(json!({}))).expect_err("empty")),
            vec!["plan", "successUrl", "cancelUrl"]
        );
        assert_eq!(
            fields(
                checkout(&object(json!({
                    "plan": "free",
                    "successUrl": 42,
                    "cancelUrl": "https://app.example.com/cancel",
                })))
                .expect_err("bad")
            ),
            vec!["plan", "successUrl"]
        );
    }

    #[test]
    fn a_portal_body_needs_a_return_url() {
        assert!(portal(&object(json!({ "returnUrl": "https://app.example.com/" }))).is_ok());
        assert_eq!(
            fields(portal(&object(json!({ "returnUrl": null }))).expect_err("null")),
            vec!["returnUrl"]
        );
        assert_eq!(
            fields(portal(&object(json!({ "returnUrl": "mailto:a@b.c" }))).expect_err("mailto")),
            vec!["returnUrl"]
        );
    }
}
