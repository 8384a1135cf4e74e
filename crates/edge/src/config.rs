//! Reading limits from Spin variables: whole numbers and durations, with a
//! default when the variable is unset or empty and a logged 500 when it is
//! set to something unreadable (a deployment mistake, not a client's).

use crate::error::ApiError;

/// A positive whole-number variable, or `default`.
pub fn number(name: &str, default: u64) -> Result<u64, ApiError> {
    match crate::spin::variable(name).map_err(ApiError::internal)? {
        Some(v) if !v.trim().is_empty() => match v.trim().parse::<u64>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(ApiError::internal(format!(
                "variable {name} = {v:?} is not a positive whole number"
            ))),
        },
        _ => Ok(default),
    }
}

/// A duration variable in milliseconds (see [`parse_duration_ms`]), or `default_ms`.
pub fn duration_ms(name: &str, default_ms: i64) -> Result<i64, ApiError> {
    match crate::spin::variable(name).map_err(ApiError::internal)? {
        Some(raw) if !raw.trim().is_empty() => parse_duration_ms(&raw).ok_or_else(|| {
            ApiError::internal(format!(
                "variable {name} = {raw:?} is not a duration (e.g. 7d, 48h, 30m, 3600s, 1500ms)"
            ))
        }),
        _ => Ok(default_ms),
    }
}

/// `3600` / `3600s` / `30m` / `48h` / `7d` / `1500ms` to milliseconds; positive only.
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
        assert_eq!(parse_duration_ms("604800"), Some(7 * 86_400_000));
        assert_eq!(parse_duration_ms("7d"), Some(7 * 86_400_000));
        assert_eq!(parse_duration_ms("48h"), Some(48 * 3_600_000));
        assert_eq!(parse_duration_ms(" 30m "), Some(1_800_000));
        assert_eq!(parse_duration_ms("3600s"), Some(3_600_000));
        assert_eq!(parse_duration_ms("1500ms"), Some(1500));
        for bad in ["", "0", "-5", "5x", "d", "1.5h", "99999999999999999999d"] {
            assert_eq!(parse_duration_ms(bad), None, "{bad}");
        }
    }
}
