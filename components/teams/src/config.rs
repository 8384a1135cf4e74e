//! The component's variables: how long an invitation can be accepted.

use edge::ApiError;

/// Variable: invitation lifetime (`604800`, `3600s`, `30m`, `48h`, `7d`).
pub const VAR_INVITATION_TTL: &str = "invitation_ttl";
/// Seven days, when the variable is unset or empty.
pub const DEFAULT_INVITATION_TTL_MS: i64 = 7 * 24 * 3_600_000;

/// The invitation lifetime in milliseconds.
pub fn invitation_ttl_ms() -> Result<i64, ApiError> {
    match edge::spin::variable(VAR_INVITATION_TTL).map_err(ApiError::internal)? {
        Some(raw) if !raw.trim().is_empty() => parse_duration_ms(&raw).ok_or_else(|| {
            ApiError::internal(format!(
                "variable {VAR_INVITATION_TTL} = {raw:?} is not a duration (e.g. 7d, 48h, 30m, 3600s)"
            ))
        }),
        _ => Ok(DEFAULT_INVITATION_TTL_MS),
    }
}

/// `3600` / `3600s` / `30m` / `48h` / `7d` to milliseconds; positive only.
pub fn parse_duration_ms(raw: &str) -> Option<i64> {
    let s = raw.trim();
    let (digits, unit_ms) = if let Some(n) = s.strip_suffix("ms") {
        (n, 1)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1_000)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60_000)
    } else if let Some(n) = s.strip_suffix('h') {
        (n, 3_600_000)
    } else if let Some(n) = s.strip_suffix('d') {
        (n, 86_400_000)
    } else {
        (s, 1_000)
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = digits.parse().ok()?;
    n.checked_mul(unit_ms).filter(|ms| *ms > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration_ms("604800"), Some(DEFAULT_INVITATION_TTL_MS));
        assert_eq!(parse_duration_ms("7d"), Some(DEFAULT_INVITATION_TTL_MS));
        assert_eq!(parse_duration_ms("48h"), Some(48 * 3_600_000));
        assert_eq!(parse_duration_ms(" 30m "), Some(1_800_000));
        assert_eq!(parse_duration_ms("3600s"), Some(3_600_000));
        assert_eq!(parse_duration_ms("1500ms"), Some(1500));
        for bad in ["", "0", "-5", "5x", "d", "1.5h", "99999999999999999999d"] {
            assert_eq!(parse_duration_ms(bad), None, "{bad}");
        }
    }
}
