//! Flows and their executions: status values, URLs, step lists, execution
//! results, and the arithmetic of `success_rate` / `total_executions`.

use serde_json::Value;

use edge::FieldError;

use super::Hostname;

/// Longest URL accepted for `baseUrl` / `startUrl`.
pub const MAX_URL_CHARS: usize = 2048;
/// Most screenshot keys on one execution.
pub const MAX_SCREENSHOT_KEYS: usize = 200;
/// Longest screenshot key (a blob-store key).
pub const MAX_SCREENSHOT_KEY_CHARS: usize = 512;
/// Longest error message of an execution, in characters.
pub const MAX_ERROR_CHARS: usize = 4000;
/// Longest duration accepted: one week, in milliseconds.
pub const MAX_DURATION_MS: i64 = 7 * 24 * 3600 * 1000;

/// A flow's lifecycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowStatus {
    Draft,
    Active,
    Archived,
}

impl FlowStatus {
    pub const ALL: [FlowStatus; 3] = [FlowStatus::Draft, FlowStatus::Active, FlowStatus::Archived];

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw.trim())
            .ok_or_else(|| {
                FieldError::new(field, "must be one of \"draft\", \"active\", \"archived\"")
            })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FlowStatus::Draft => "draft",
            FlowStatus::Active => "active",
            FlowStatus::Archived => "archived",
        }
    }
}

/// How a finished execution ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failed,
}

impl Outcome {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        match raw.trim() {
            "success" => Ok(Outcome::Success),
            "failed" => Ok(Outcome::Failed),
            _ => Err(FieldError::new(field, "must be \"success\" or \"failed\"")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failed => "failed",
        }
    }
}

/// A flow's execution statistics. `total` counts finished executions,
/// `successful` those that ended in success; the rate is derived, never
/// stored on its own, so the three cannot disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowStats {
    pub total: i64,
    pub successful: i64,
}

impl FlowStats {
    /// The statistics after one more finished execution.
    pub fn record(self, outcome: Outcome) -> Self {
        Self {
            total: self.total.saturating_add(1),
            successful: self.successful.saturating_add(match outcome {
                Outcome::Success => 1,
                Outcome::Failed => 0,
            }),
        }
    }

    /// `successful / total`, from 0.0 to 1.0; 0.0 before any execution.
    pub fn success_rate(self) -> f64 {
        if self.total <= 0 {
            0.0
        } else {
            // Counts stay far below 2^53, where i64 -> f64 is exact.
            #[allow(clippy::cast_precision_loss)]
            let rate = self.successful.clamp(0, self.total) as f64 / self.total as f64;
            rate
        }
    }
}

/// An absolute `http` or `https` URL with a valid host; returned trimmed.
pub fn parse_url(field: &str, raw: &str) -> Result<String, FieldError> {
    let url = raw.trim();
    if url.is_empty() {
        return Err(FieldError::new(field, "is required"));
    }
    if url.chars().count() > MAX_URL_CHARS {
        return Err(FieldError::new(
            field,
            format!("must be at most {MAX_URL_CHARS} characters"),
        ));
    }
    let lower = url.to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return Err(FieldError::new(
            field,
            "must be an absolute http:// or https:// URL",
        ));
    }
    Hostname::parse(field, url)?;
    Ok(url.to_owned())
}

/// `steps` of a flow: a list of at most `max` step objects (their content
/// is the recorder's business). Returns the list as JSON text.
pub fn parse_flow_steps(field: &str, raw: &Value, max: usize) -> Result<Value, Vec<FieldError>> {
    let Some(items) = raw.as_array() else {
        return Err(vec![FieldError::new(
            field,
            "must be a list of step objects",
        )]);
    };
    if items.len() > max {
        return Err(vec![FieldError::new(
            field,
            format!("must contain at most {max} steps"),
        )]);
    }
    let errors: Vec<FieldError> = items
        .iter()
        .enumerate()
        .filter(|(_, step)| !step.is_object())
        .take(super::test_case::MAX_REPORTED_ERRORS)
        .map(|(i, _)| FieldError::new(format!("{field}[{i}]"), "must be an object"))
        .collect();
    if errors.is_empty() {
        Ok(raw.clone())
    } else {
        Err(errors)
    }
}

/// An execution's `log`: a string, or a list of strings / objects, whose
/// JSON form is at most `max_bytes`. Returns the JSON text to store.
pub fn parse_log(field: &str, raw: &Value, max_bytes: usize) -> Result<Option<String>, FieldError> {
    match raw {
        Value::Null => return Ok(None),
        Value::String(_) => {}
        Value::Array(items) if items.iter().all(|i| i.is_string() || i.is_object()) => {}
        _ => {
            return Err(FieldError::new(
                field,
                "must be a string or a list of strings or objects",
            ));
        }
    }
    let text = raw.to_string();
    if text.len() > max_bytes {
        return Err(FieldError::new(
            field,
            format!("must be at most {max_bytes} bytes (as JSON)"),
        ));
    }
    Ok(Some(text))
}

/// `screenshotKeys`: blob keys, at most 200, each 1..=512 characters of
/// `[A-Za-z0-9/._-]` (keys such as `captures/{user}/{id}-{ts}.png`).
pub fn parse_screenshot_keys(field: &str, raw: &Value) -> Result<Vec<String>, Vec<FieldError>> {
    let items = match raw {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items,
        _ => return Err(vec![FieldError::new(field, "must be a list of strings")]),
    };
    if items.len() > MAX_SCREENSHOT_KEYS {
        return Err(vec![FieldError::new(
            field,
            format!("must contain at most {MAX_SCREENSHOT_KEYS} keys"),
        )]);
    }
    let mut errors = Vec::new();
    let mut keys = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let ok = item.as_str().filter(|k| {
            !k.is_empty()
                && k.len() <= MAX_SCREENSHOT_KEY_CHARS
                && !k.contains("..")
                && k.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'_' | b'-'))
        });
        match ok {
            Some(k) => keys.push(k.to_owned()),
            None => errors.push(FieldError::new(
                format!("{field}[{i}]"),
                format!(
                    "must be a key of 1 to {MAX_SCREENSHOT_KEY_CHARS} characters of letters, digits, '/', '.', '_', '-'"
                ),
            )),
        }
    }
    errors.truncate(super::test_case::MAX_REPORTED_ERRORS);
    if errors.is_empty() {
        Ok(keys)
    } else {
        Err(errors)
    }
}

/// A non-negative count or duration no larger than `max`.
pub fn parse_count(field: &str, raw: &Value, max: i64) -> Result<Option<i64>, FieldError> {
    match raw {
        Value::Null => Ok(None),
        Value::Number(n) => n
            .as_i64()
            .filter(|v| (0..=max).contains(v))
            .map(Some)
            .ok_or_else(|| {
                FieldError::new(field, format!("must be a whole number from 0 to {max}"))
            }),
        _ => Err(FieldError::new(field, "must be a whole number")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NONE: FlowStats = FlowStats {
        total: 0,
        successful: 0,
    };

    #[test]
    fn success_rate_is_zero_before_any_execution() {
        assert_eq!(NONE.success_rate(), 0.0);
    }

    #[test]
    fn success_rate_follows_each_finished_execution() {
        let s = NONE.record(Outcome::Success);
        assert_eq!((s.total, s.successful, s.success_rate()), (1, 1, 1.0));
        let s = s.record(Outcome::Failed);
        assert_eq!((s.total, s.successful, s.success_rate()), (2, 1, 0.5));
        let s = s.record(Outcome::Success).record(Outcome::Success);
        assert_eq!((s.total, s.successful, s.success_rate()), (4, 3, 0.75));
        let s = s.record(Outcome::Failed).record(Outcome::Failed);
        assert_eq!((s.total, s.successful), (6, 3));
        assert!((s.success_rate() - 0.5).abs() < f64::EPSILON);
    }

    #[test]
    fn only_failures_is_a_rate_of_zero() {
        let s = NONE.record(Outcome::Failed).record(Outcome::Failed);
        assert_eq!((s.total, s.successful, s.success_rate()), (2, 0, 0.0));
    }

    #[test]
    fn the_rate_of_one_in_three_is_a_third() {
        let s = NONE
            .record(Outcome::Success)
            .record(Outcome::Failed)
            .record(Outcome::Failed);
        assert!((s.success_rate() - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn inconsistent_stored_counts_never_give_a_rate_above_one() {
        let s = FlowStats {
            total: 2,
            successful: 5,
        };
        assert_eq!(s.success_rate(), 1.0);
    }

    #[test]
    fn statuses_and_outcomes_parse() {
        assert_eq!(
            FlowStatus::parse("status", "active").expect("valid"),
            FlowStatus::Active
        );
        assert_eq!(
            FlowStatus::parse("status", "nope").expect_err("bad").field,
            "status"
        );
        assert_eq!(
            Outcome::parse("status", "failed").expect("valid"),
            Outcome::Failed
        );
        assert!(Outcome::parse("status", "running").is_err());
    }

    #[test]
    fn urls_must_be_absolute_http_with_a_valid_host() {
        assert_eq!(
            parse_url("baseUrl", " https://shop.example.com/cart ").expect("valid"),
            "https://shop.example.com/cart"
        );
        for bad in [
            "",
            "shop.example.com",
            "ftp://x.com",
            "javascript:alert(1)",
            "https://",
            "https://exa mple.com",
        ] {
            assert_eq!(parse_url("baseUrl", bad).expect_err(bad).field, "baseUrl");
        }
    }

    #[test]
    fn flow_steps_are_a_bounded_list_of_objects() {
        assert!(parse_flow_steps("steps", &json!([{"action": "click"}]), 5).is_ok());
        assert!(parse_flow_steps("steps", &json!([]), 5).is_ok());
        let errors = parse_flow_steps("steps", &json!([{}, "click", 3]), 5).expect_err("invalid");
        assert_eq!(
            errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(),
            ["steps[1]", "steps[2]"]
        );
        assert!(parse_flow_steps("steps", &json!(vec![json!({}); 6]), 5).is_err());
        assert!(parse_flow_steps("steps", &json!({}), 5).is_err());
    }

    #[test]
    fn logs_are_bounded_in_bytes() {
        assert_eq!(parse_log("log", &json!(null), 10).expect("valid"), None);
        assert_eq!(
            parse_log("log", &json!("ok"), 10)
                .expect("valid")
                .as_deref(),
            Some("\"ok\"")
        );
        assert!(parse_log("log", &json!(["a", {"t": 1}]), 100).is_ok());
        assert!(parse_log("log", &json!("x".repeat(20)), 10).is_err());
        assert!(parse_log("log", &json!(5), 10).is_err());
        assert!(parse_log("log", &json!([1]), 10).is_err());
    }

    #[test]
    fn screenshot_keys_are_safe_blob_keys() {
        assert_eq!(
            parse_screenshot_keys("screenshotKeys", &json!(["captures/u/1-2.png"])).expect("valid"),
            vec!["captures/u/1-2.png".to_string()]
        );
        let errors =
            parse_screenshot_keys("screenshotKeys", &json!(["ok.png", "../x", "", 3, "a b"]))
                .expect_err("invalid");
        assert_eq!(
            errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(),
            [
                "screenshotKeys[1]",
                "screenshotKeys[2]",
                "screenshotKeys[3]",
                "screenshotKeys[4]"
            ]
        );
    }

    #[test]
    fn counts_are_whole_and_bounded() {
        assert_eq!(parse_count("n", &json!(3), 5).expect("valid"), Some(3));
        assert_eq!(parse_count("n", &json!(null), 5).expect("valid"), None);
        for bad in [json!(-1), json!(6), json!(1.5), json!("3")] {
            assert!(parse_count("n", &bad, 5).is_err(), "{bad}");
        }
    }
}
