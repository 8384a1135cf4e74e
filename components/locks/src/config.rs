//! The provider's variable (inherited from the component it is plugged into).

use crate::rules::{self, DEFAULT_TTL_MS};

/// Variable: how long a lock lives without a heartbeat (`300`, `300s`,
/// `5m`, `1500ms`; a bare number is seconds). Default 5 minutes.
pub const VAR_LOCK_TTL: &str = "lock_ttl";

/// The lock time-to-live in milliseconds; an undeclared variable takes the
/// default, an unreadable one is a configuration error.
pub fn ttl_ms() -> Result<i64, String> {
    match edge::spin::variable(VAR_LOCK_TTL)? {
        None => Ok(DEFAULT_TTL_MS),
        Some(raw) => rules::parse_ttl(&raw).map_err(|e| format!("variable {VAR_LOCK_TTL}: {e}")),
    }
}
