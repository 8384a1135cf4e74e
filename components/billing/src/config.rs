//! The component's variables: the Stripe webhook's signing secret and
//! tolerance, which Stripe prices are which plan, and how to call Stripe's
//! API (secret key, base URL, timeout). (The plans' limits,
//! `billing_<plan>_*`, are read by `crates/plans`; `jwt_secret` and the
//! rate limits by `identity`.)

use edge::ApiError;
use plans::Plan;

use crate::stripe::PriceMap;
use crate::stripe_api::Client;

/// Variable (secret): the webhook endpoint's signing secret (`whsec_…`), or
/// several separated by commas while rotating. Empty: every webhook is
/// refused (400 `webhook_not_configured`, logged).
pub const VAR_WEBHOOK_SECRET: &str = "stripe_webhook_secret";
/// Variable: how far a signature's timestamp may be from now (`300`, `300s`, `5m`).
pub const VAR_WEBHOOK_TOLERANCE: &str = "stripe_webhook_tolerance";
/// Variable: Stripe price ids (comma-separated) of the pro plan.
pub const VAR_PRICE_PRO: &str = "stripe_price_pro";
/// Variable: Stripe price ids (comma-separated) of the team plan.
pub const VAR_PRICE_TEAM: &str = "stripe_price_team";

/// Variable (secret): the Stripe API's secret key (`sk_live_…`, or a
/// restricted `rk_…` key allowed to write Checkout and Customer Portal
/// sessions). Empty: checkout and portal answer 503 `billing_not_configured`.
pub const VAR_SECRET_KEY: &str = "stripe_secret_key";
/// Variable: Stripe's API, `scheme://host[:port]` (also the component's
/// `allowed_outbound_hosts` entry); `https://api.stripe.com`.
pub const VAR_API_BASE: &str = "stripe_api_base";
/// Variable: how long one call to Stripe's API may take (`10s`, `1500ms`).
pub const VAR_TIMEOUT: &str = "stripe_timeout";

/// Stripe's API when the variable is unset.
pub const DEFAULT_API_BASE: &str = "https://api.stripe.com";
/// Ten seconds: creating a session takes well under one.
pub const DEFAULT_TIMEOUT_MS: i64 = 10_000;

/// Five minutes, Stripe's own default.
pub const DEFAULT_TOLERANCE_MS: i64 = webhook_signature::DEFAULT_TOLERANCE_SECS as i64 * 1000;

fn text(name: &str) -> Result<String, ApiError> {
    Ok(edge::spin::variable(name)
        .map_err(ApiError::internal)?
        .unwrap_or_default())
}

/// The signing secrets (none when unset or empty).
pub fn webhook_secrets() -> Result<Vec<String>, ApiError> {
    Ok(split_list(&text(VAR_WEBHOOK_SECRET)?))
}

/// The timestamp tolerance, whole seconds.
pub fn webhook_tolerance_secs() -> Result<u64, ApiError> {
    let ms = edge::config::duration_ms(VAR_WEBHOOK_TOLERANCE, DEFAULT_TOLERANCE_MS)?;
    Ok(u64::try_from(ms / 1000).unwrap_or(0))
}

/// Which prices are which plan.
pub fn prices() -> Result<PriceMap, ApiError> {
    Ok(PriceMap::new(
        split_list(&text(VAR_PRICE_PRO)?),
        split_list(&text(VAR_PRICE_TEAM)?),
    ))
}

/// Stripe's API client, or why it cannot be made (no secret key, an
/// unreadable base URL): the caller answers 503 `billing_not_configured`
/// and logs the reason.
pub fn stripe_client() -> Result<Result<Client, String>, ApiError> {
    let key = text(VAR_SECRET_KEY)?;
    if key.trim().is_empty() {
        return Ok(Err(format!("the variable {VAR_SECRET_KEY} is empty")));
    }
    let base = text(VAR_API_BASE)?;
    let base = if base.trim().is_empty() {
        DEFAULT_API_BASE.to_owned()
    } else {
        base
    };
    let timeout_ms = edge::config::duration_ms(VAR_TIMEOUT, DEFAULT_TIMEOUT_MS)?;
    Ok(Client::new(&base, &key, timeout_ms).map_err(|e| format!("{VAR_API_BASE}: {e}")))
}

/// The variable listing `plan`'s prices (none for the free plan).
pub fn price_variable(plan: Plan) -> Option<&'static str> {
    match plan {
        Plan::Free => None,
        Plan::Pro => Some(VAR_PRICE_PRO),
        Plan::Team => Some(VAR_PRICE_TEAM),
    }
}

/// The price a Checkout Session for `plan` sells: the first one its
/// variable lists (`None` for the free plan, or when the variable is empty).
pub fn checkout_price(plan: Plan) -> Result<Option<String>, ApiError> {
    let Some(var) = price_variable(plan) else {
        return Ok(None);
    };
    Ok(split_list(&text(var)?).into_iter().next())
}

/// `a, b,,c` -> `[a, b, c]`.
pub fn split_list(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_split_on_commas_without_blanks() {
        assert_eq!(split_list(""), Vec::<String>::new());
        assert_eq!(split_list(" whsec_a "), vec!["whsec_a"]);
        assert_eq!(split_list("price_1, price_2,,"), vec!["price_1", "price_2"]);
    }
}
