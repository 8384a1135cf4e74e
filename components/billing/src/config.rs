//! The component's variables: the Stripe webhook's signing secret and
//! tolerance, and which Stripe prices are which plan. (The plans' limits,
//! `billing_<plan>_*`, are read by `crates/plans`; `jwt_secret` and the
//! rate limits by `identity`.)

use edge::ApiError;

use crate::stripe::PriceMap;

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
