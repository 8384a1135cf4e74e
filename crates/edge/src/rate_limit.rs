//! The request budget reported on every authenticated response.

use serde::Serialize;

/// The caller's budget for the current window after this request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RateLimit {
    /// Requests allowed per window.
    pub limit: u32,
    /// Requests left in the window.
    pub remaining: u32,
    /// End of the window, unix seconds.
    pub reset: u64,
}

impl RateLimit {
    /// `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset` (unix seconds).
    pub fn headers(&self) -> [(String, String); 3] {
        [
            ("x-ratelimit-limit".into(), self.limit.to_string()),
            ("x-ratelimit-remaining".into(), self.remaining.to_string()),
            ("x-ratelimit-reset".into(), self.reset.to_string()),
        ]
    }

    /// Seconds until the window resets, at least 1: the `Retry-After` value.
    pub fn retry_after(&self) -> u64 {
        self.reset.saturating_sub(crate::time::now_secs()).max(1)
    }
}
