//! One delivery attempt: a POST over Spin's outbound HTTP (so the URL's
//! host must be in the component's `allowed_outbound_hosts`), bounded in
//! time by `crates/outbound-http` (connect / first-byte / between-bytes
//! timeouts and a deadline, after which the request is dropped). Only the
//! status matters; the answer's body is not read.

use std::time::Instant;

use outbound_http::Failure;
use url::Url;

/// What came of an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The receiver's status, when it answered.
    pub status: Option<u16>,
    /// Why it failed (no answer, or a status that is not 2xx); `None` on success.
    pub error: Option<String>,
    pub duration_ms: i64,
}

impl Attempt {
    pub fn succeeded(&self) -> bool {
        self.error.is_none()
    }
}

/// POSTs `body` to `url` with `headers`, waiting at most `timeout_ms`.
pub fn post(url: &Url, headers: &[(&str, String)], body: &[u8], timeout_ms: i64) -> Attempt {
    let started = Instant::now();
    let result = outbound_http::post(url, headers, body, timeout_ms, 0);
    let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    match result {
        Ok(answer) if (200..300).contains(&answer.status) => Attempt {
            status: Some(answer.status),
            error: None,
            duration_ms,
        },
        Ok(answer) => Attempt {
            status: Some(answer.status),
            error: Some(format!("the receiver answered HTTP {}", answer.status)),
            duration_ms,
        },
        Err(failure) => Attempt {
            status: None,
            error: Some(describe(&failure)),
            duration_ms,
        },
    }
}

/// A failure as a delivery's `lastError`: a denied host names the variable
/// that sets the allowed hosts.
fn describe(failure: &Failure) -> String {
    match failure {
        Failure::Denied => format!("{failure} (webhook_allowed_hosts)"),
        other => other.to_string(),
    }
}
