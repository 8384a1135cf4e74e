//! The variables of delivery, read by every component that delivers
//! (profiles, sync, teams), and the retry schedule.

use edge::ApiError;

use crate::hosts::AllowedHost;

/// Variable: the one `allowed_outbound_hosts` entry webhook URLs must match
/// (also the components' `allowed_outbound_hosts`, so Spin enforces it).
pub const VAR_ALLOWED_HOSTS: &str = "webhook_allowed_hosts";
pub const DEFAULT_ALLOWED_HOSTS: &str = "https://*:443";
/// Variable: attempts before a delivery is given up (`failed`).
pub const VAR_MAX_ATTEMPTS: &str = "webhook_max_attempts";
pub const DEFAULT_MAX_ATTEMPTS: u64 = 8;
/// Variable: the wait after the first failed attempt; each later wait is
/// four times the one before (30 s, 2 min, 8 min, 32 min, …), at most a day.
pub const VAR_RETRY_BASE: &str = "webhook_retry_base";
pub const DEFAULT_RETRY_BASE_MS: i64 = 30_000;
/// Variable: how long one attempt may take (connect, first byte, whole answer).
pub const VAR_TIMEOUT: &str = "webhook_timeout";
pub const DEFAULT_TIMEOUT_MS: i64 = 5_000;
/// Variable (secret, optional): the secret webhook signing secrets are
/// sealed with; without it a key is derived from `jwt_secret`.
pub const VAR_SECRET_KEY: &str = "webhook_secret_key";

/// The longest wait between attempts.
pub const MAX_RETRY_DELAY_MS: i64 = 24 * 3_600_000;
/// Bounds of `webhook_timeout`.
pub const TIMEOUT_RANGE_MS: (i64, i64) = (100, 30_000);

/// The delivery settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub allowed: AllowedHost,
    pub max_attempts: i64,
    pub retry_base_ms: i64,
    pub timeout_ms: i64,
}

/// Reads the settings (a 500 naming the variable when one is unreadable).
pub fn settings() -> Result<Settings, ApiError> {
    let raw = edge::spin::variable(VAR_ALLOWED_HOSTS)
        .map_err(ApiError::internal)?
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_ALLOWED_HOSTS.to_owned());
    let allowed = AllowedHost::parse(&raw)
        .map_err(|e| ApiError::internal(format!("variable {VAR_ALLOWED_HOSTS}: {e}")))?;
    let max_attempts = edge::config::number(VAR_MAX_ATTEMPTS, DEFAULT_MAX_ATTEMPTS)?;
    let timeout_ms = edge::config::duration_ms(VAR_TIMEOUT, DEFAULT_TIMEOUT_MS)?
        .clamp(TIMEOUT_RANGE_MS.0, TIMEOUT_RANGE_MS.1);
    Ok(Settings {
        allowed,
        max_attempts: i64::try_from(max_attempts.min(100)).unwrap_or(100),
        retry_base_ms: edge::config::duration_ms(VAR_RETRY_BASE, DEFAULT_RETRY_BASE_MS)?,
        timeout_ms,
    })
}

/// The sealing keys of webhook secrets (see `crates/sealing`).
pub fn keys() -> Result<sealing::Keys, ApiError> {
    let read = |name: &str| edge::spin::variable(name).map_err(ApiError::internal);
    let dedicated = read(VAR_SECRET_KEY)?;
    let jwt = read("jwt_secret")?;
    sealing::Keys::from_secrets(
        sealing::WEBHOOK_SECRETS,
        dedicated.as_deref(),
        jwt.as_deref(),
    )
    .map_err(|e| ApiError::internal(format!("webhook secret keys: {e}")))
}

/// The wait after the `attempt`-th attempt failed: `base × 4^(attempt-1)`,
/// at most [`MAX_RETRY_DELAY_MS`].
pub fn retry_delay_ms(base_ms: i64, attempt: i64) -> i64 {
    let exponent = u32::try_from((attempt - 1).clamp(0, 30)).unwrap_or(30);
    base_ms
        .max(1)
        .saturating_mul(4_i64.saturating_pow(exponent))
        .min(MAX_RETRY_DELAY_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_fourfold_up_to_a_day() {
        let waits: Vec<i64> = (1..=5).map(|a| retry_delay_ms(30_000, a)).collect();
        assert_eq!(waits, vec![30_000, 120_000, 480_000, 1_920_000, 7_680_000]);
        assert_eq!(retry_delay_ms(30_000, 40), MAX_RETRY_DELAY_MS);
        assert_eq!(retry_delay_ms(1, 1), 1);
        assert_eq!(retry_delay_ms(0, 0), 1);
    }
}
