//! The component's variables: how long an invitation can be accepted.

use edge::ApiError;

/// Variable: invitation lifetime (`604800`, `3600s`, `30m`, `48h`, `7d`).
pub const VAR_INVITATION_TTL: &str = "invitation_ttl";
/// Seven days, when the variable is unset or empty.
pub const DEFAULT_INVITATION_TTL_MS: i64 = 7 * 24 * 3_600_000;

/// The invitation lifetime in milliseconds.
pub fn invitation_ttl_ms() -> Result<i64, ApiError> {
    edge::config::duration_ms(VAR_INVITATION_TTL, DEFAULT_INVITATION_TTL_MS)
}
