//! Per-minute request budgets, counted with atomic key-value increments
//! (`wasi:keyvalue/atomics.increment` on the store `default`), so any number
//! of instances on any number of machines count into the same counter
//! without a read-then-write race.
//!
//! A counter's key is `rl:<what>:<id>:<minute>`, where `<minute>` is unix
//! seconds / 60. The first request of a minute deletes the counter of the
//! minute before, so counters do not pile up. Three counters: the
//! credential's (`rate_limit_per_minute`), the user's
//! (`rate_limit_user_per_minute`) and the team's, whose budget is its billing
//! plan's `requests_per_minute` (`crates/plans`, which also names its key
//! for `GET /api/billing`).

use spin_sdk::wit::wasi::keyvalue::{atomics, store};

use crate::config::Limits;
use crate::identity::{AuthError, RateLimit};

/// The key-value store holding the counters.
pub const STORE: &str = "default";
/// Length of a window in seconds.
pub const WINDOW_SECS: u64 = plans::RATE_WINDOW_SECS;

/// What a counter counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Counter {
    /// One API key or one session (`rl:cred:<key id or jti>`).
    Credential(String),
    /// One user across all their credentials (`rl:user:<user id>`).
    User(String),
    /// Every credential of one team (`rl:team:<team id>`), on its plan's budget.
    Team(String),
}

impl Counter {
    fn key(&self, window: u64) -> String {
        match self {
            Counter::Credential(id) => format!("rl:cred:{id}:{window}"),
            Counter::User(id) => format!("rl:user:{id}:{window}"),
            Counter::Team(id) => plans::team_counter_key(id, window),
        }
    }

    fn limit(&self, limits: &Limits) -> u32 {
        match self {
            Counter::Credential(_) => limits.per_credential,
            Counter::User(_) => limits.per_user,
            Counter::Team(_) => limits.per_team,
        }
    }
}

/// The window `now` falls in, and when it ends (unix seconds).
pub fn window(now_secs: u64) -> (u64, u64) {
    let index = now_secs / WINDOW_SECS;
    (index, (index + 1) * WINDOW_SECS)
}

/// The budget after `count` requests in a window ending at `reset`, and
/// whether this request went over it.
pub fn budget(count: i64, limit: u32, reset: u64) -> (RateLimit, bool) {
    let used = u64::try_from(count).unwrap_or(0);
    let remaining = u64::from(limit).saturating_sub(used);
    (
        RateLimit {
            limit,
            remaining: u32::try_from(remaining).unwrap_or(u32::MAX),
            reset,
        },
        used > u64::from(limit),
    )
}

/// Counts this request on every counter. Returns the tightest budget, or
/// `rate-limited` with the budget that was exceeded.
pub fn count(
    counters: &[Counter],
    limits: &Limits,
    now_secs: u64,
    request_id: &str,
) -> Result<RateLimit, AuthError> {
    let bucket = store::open(STORE)
        .map_err(|e| AuthError::Internal(format!("opening key-value store {STORE}: {e:?}")))?;
    let (index, reset) = window(now_secs);
    let mut tightest: Option<RateLimit> = None;
    for counter in counters {
        let key = counter.key(index);
        let n = increment(&bucket, &key, request_id)?;
        if n == 1 {
            let previous = counter.key(index.saturating_sub(1));
            if let Err(e) = bucket.delete(&previous) {
                // Only housekeeping: the request is still counted correctly.
                edge::log(
                    request_id,
                    format!("identity: could not delete old counter {previous}: {e:?}"),
                );
            }
        }
        let (state, over) = budget(n, counter.limit(limits), reset);
        if over {
            return Err(AuthError::RateLimited(state));
        }
        if tightest.is_none_or(|t| state.remaining < t.remaining) {
            tightest = Some(state);
        }
    }
    tightest.ok_or_else(|| AuthError::Internal("no rate-limit counter".into()))
}

/// Attempts of one increment that the store failed for its own reasons.
const INCREMENT_ATTEMPTS: usize = 3;

/// `atomics::increment`, tried again when the store fails (`Error::Other`). Spin's SQLite
/// store increments in a deferred transaction: when two processes share its file (two
/// deployments of this app on one volume), one of two concurrent increments fails at once
/// with "database is locked" and writes nothing, so another attempt counts it exactly once.
fn increment(bucket: &store::Bucket, key: &str, request_id: &str) -> Result<i64, AuthError> {
    let mut attempt = 1;
    loop {
        match atomics::increment(bucket, key, 1) {
            Ok(n) => return Ok(n),
            Err(store::Error::Other(e)) if attempt < INCREMENT_ATTEMPTS => {
                edge::log(
                    request_id,
                    format!("identity: incrementing {key} failed ({e}), attempt {attempt}"),
                );
                attempt += 1;
            }
            Err(e) => return Err(AuthError::Internal(format!("incrementing {key}: {e:?}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_whole_minutes() {
        assert_eq!(window(1_700_000_000), (28_333_333, 1_700_000_040));
        assert_eq!(window(1_700_000_040), (28_333_334, 1_700_000_100));
    }

    #[test]
    fn the_budget_counts_down_and_the_request_after_the_limit_is_over() {
        assert_eq!(
            budget(1, 5, 60),
            (
                RateLimit {
                    limit: 5,
                    remaining: 4,
                    reset: 60
                },
                false
            )
        );
        assert_eq!(
            budget(5, 5, 60),
            (
                RateLimit {
                    limit: 5,
                    remaining: 0,
                    reset: 60
                },
                false
            )
        );
        assert_eq!(
            budget(6, 5, 60),
            (
                RateLimit {
                    limit: 5,
                    remaining: 0,
                    reset: 60
                },
                true
            )
        );
    }

    #[test]
    fn counters_of_different_kinds_never_share_a_key() {
        assert_ne!(
            Counter::Credential("a".into()).key(1),
            Counter::User("a".into()).key(1)
        );
        assert_ne!(
            Counter::User("a".into()).key(1),
            Counter::User("a".into()).key(2)
        );
        assert_ne!(
            Counter::User("a".into()).key(1),
            Counter::Team("a".into()).key(1)
        );
        assert_eq!(Counter::Team("t".into()).key(3), "rl:team:t:3");
    }
}
