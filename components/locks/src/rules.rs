//! The lock rules, as pure functions. The SQL in [`crate::store`] applies
//! the same rules in single statements (so they hold under concurrency);
//! these functions explain a refused statement and are unit-tested.
//!
//! A lock is **live** while `now < expires_at`; every acquire and heartbeat
//! sets `expires_at = now + ttl`. An acquire by `client` succeeds when the
//! lock is free, held by `client`, or stale; the fencing token grows by one
//! for every new holder (a different client, or any client taking a free or
//! stale lock) and stays the same when the live holder acquires again.

use roles::Role;

/// Default time-to-live of a lock without heartbeat: 5 minutes.
pub const DEFAULT_TTL_MS: i64 = 5 * 60 * 1000;
/// Heartbeat interval handed to holders: 15 seconds.
pub const HEARTBEAT_INTERVAL_MS: i64 = 15 * 1000;
/// Shortest accepted `lock_ttl` (tests use short ones).
pub const MIN_TTL_MS: i64 = 200;
/// Longest accepted `lock_ttl`: one day.
pub const MAX_TTL_MS: i64 = 24 * 60 * 60 * 1000;
/// Longest client id.
pub const MAX_CLIENT_ID_LEN: usize = 128;

/// Parses a time-to-live: `300` (seconds), `300s`, `5m`, `1h`, `1500ms`.
pub fn parse_ttl(raw: &str) -> Result<i64, String> {
    let s = raw.trim();
    let (digits, unit_ms) = if let Some(n) = s.strip_suffix("ms") {
        (n, 1)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1000)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60_000)
    } else if let Some(n) = s.strip_suffix('h') {
        (n, 3_600_000)
    } else {
        (s, 1000)
    };
    let digits = digits.trim();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "{raw:?} is not a duration (use 300, 300s, 5m, 1h or 1500ms)"
        ));
    }
    let n: i64 = digits
        .parse()
        .map_err(|_| format!("{raw:?} is too large"))?;
    let ms = n
        .checked_mul(unit_ms)
        .ok_or_else(|| format!("{raw:?} is too large"))?;
    if !(MIN_TTL_MS..=MAX_TTL_MS).contains(&ms) {
        return Err(format!(
            "{raw:?} is outside {MIN_TTL_MS} ms to {} hours",
            MAX_TTL_MS / 3_600_000
        ));
    }
    Ok(ms)
}

/// The heartbeat interval for a time-to-live: 15 s, or a third of the ttl
/// when that is shorter (so a holder heartbeats at least twice before its
/// lock could go stale).
pub fn heartbeat_interval_ms(ttl_ms: i64) -> u32 {
    let interval = HEARTBEAT_INTERVAL_MS.min(ttl_ms / 3).max(1);
    u32::try_from(interval).unwrap_or(u32::MAX)
}

/// A client id (`X-Client-ID`): 1 to 128 characters of `[A-Za-z0-9._:-]`,
/// so it is safe to log and to show in a refusal.
pub fn check_client_id(client_id: &str) -> Result<(), String> {
    if client_id.is_empty() {
        return Err("the client id is empty".into());
    }
    if client_id.len() > MAX_CLIENT_ID_LEN {
        return Err(format!(
            "the client id is longer than {MAX_CLIENT_ID_LEN} characters"
        ));
    }
    if !client_id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
    {
        return Err("the client id may only contain letters, digits, '.', '_', ':' and '-'".into());
    }
    Ok(())
}

/// Who may force-release a lock: whoever the shared permission table
/// (crates/roles) gives `ForceRelease`, the team's owners and admins.
pub fn may_force_release(role: Role) -> bool {
    role.can(roles::Permission::ForceRelease)
}

/// A lock row as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockState {
    /// The holder, `None` once released.
    pub client_id: Option<String>,
    /// The last fencing token handed out (0 before the first acquire).
    pub token: u64,
    /// When the holder's lock goes stale.
    pub expires_at: Option<i64>,
}

impl LockState {
    /// Whether someone holds the lock at `now`.
    pub fn is_live(&self, now: i64) -> bool {
        self.client_id.is_some() && self.expires_at.is_some_and(|e| now < e)
    }

    /// The live holder's client id.
    pub fn live_holder(&self, now: i64) -> Option<&str> {
        self.client_id.as_deref().filter(|_| self.is_live(now))
    }
}

/// What an acquire does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acquire {
    /// A new holder: the token becomes `token + 1`.
    NewHolder { token: u64 },
    /// The live holder acquires again: same token, new expiry.
    Renew { token: u64 },
    /// Someone else holds a live lock.
    Refuse,
}

/// The acquire rule. `state` is `None` before the profile's first acquire.
pub fn acquire(state: Option<&LockState>, client_id: &str, now: i64) -> Acquire {
    match state {
        None => Acquire::NewHolder { token: 1 },
        Some(s) => match s.live_holder(now) {
            None => Acquire::NewHolder { token: s.token + 1 },
            Some(holder) if holder == client_id => Acquire::Renew { token: s.token },
            Some(_) => Acquire::Refuse,
        },
    }
}

/// The heartbeat and release rule: the caller must present the current
/// holder's client id and token. A lock that went stale but was not taken
/// over still belongs to its holder (nobody else got a token since). No
/// token names the holder by client id alone (the `/api/v1` clients).
pub fn is_holder(state: &LockState, client_id: &str, token: Option<u64>) -> bool {
    state.client_id.as_deref() == Some(client_id) && token.is_none_or(|t| state.token == t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(client: &str, token: u64, expires_at: i64) -> LockState {
        LockState {
            client_id: Some(client.into()),
            token,
            expires_at: Some(expires_at),
        }
    }

    #[test]
    fn ttl_takes_seconds_minutes_hours_and_milliseconds() {
        assert_eq!(parse_ttl("300"), Ok(300_000));
        assert_eq!(parse_ttl("300s"), Ok(300_000));
        assert_eq!(parse_ttl(" 5m "), Ok(300_000));
        assert_eq!(parse_ttl("1h"), Ok(3_600_000));
        assert_eq!(parse_ttl("1500ms"), Ok(1_500));
    }

    #[test]
    fn ttl_outside_the_bounds_or_unreadable_is_refused() {
        for raw in [
            "",
            "m",
            "-5s",
            "1.5s",
            "5 minutes",
            "100ms",
            "25h",
            "99999999999999999999",
        ] {
            assert!(parse_ttl(raw).is_err(), "{raw:?}");
        }
    }

    #[test]
    fn the_heartbeat_interval_is_15_seconds_or_a_third_of_a_short_ttl() {
        assert_eq!(heartbeat_interval_ms(DEFAULT_TTL_MS), 15_000);
        assert_eq!(heartbeat_interval_ms(45_000), 15_000);
        assert_eq!(heartbeat_interval_ms(3_000), 1_000);
        assert_eq!(heartbeat_interval_ms(MIN_TTL_MS), 66);
    }

    #[test]
    fn client_ids_are_short_and_harmless() {
        assert!(check_client_id("desktop-3f2a.b_c:1").is_ok());
        assert!(check_client_id("550e8400-e29b-41d4-a716-446655440000").is_ok());
        assert!(check_client_id("").is_err());
        assert!(check_client_id("has space").is_err());
        assert!(check_client_id("line\nbreak").is_err());
        assert!(check_client_id("quote\"").is_err());
        assert!(check_client_id(&"x".repeat(129)).is_err());
    }

    #[test]
    fn only_owners_and_admins_force_release() {
        assert!(may_force_release(Role::Owner));
        assert!(may_force_release(Role::Admin));
        assert!(!may_force_release(Role::Member));
        assert!(!may_force_release(Role::Viewer));
    }

    #[test]
    fn a_first_acquire_gets_token_one() {
        assert_eq!(acquire(None, "a", 0), Acquire::NewHolder { token: 1 });
    }

    #[test]
    fn a_free_lock_goes_to_a_new_holder_with_a_greater_token() {
        let released = LockState {
            client_id: None,
            token: 7,
            expires_at: None,
        };
        assert_eq!(
            acquire(Some(&released), "b", 1_000),
            Acquire::NewHolder { token: 8 }
        );
    }

    #[test]
    fn a_live_lock_is_refused_to_another_client_and_renewed_for_its_holder() {
        let s = held("a", 3, 10_000);
        assert_eq!(acquire(Some(&s), "b", 9_999), Acquire::Refuse);
        assert_eq!(acquire(Some(&s), "a", 9_999), Acquire::Renew { token: 3 });
    }

    #[test]
    fn a_stale_lock_is_taken_over_with_a_greater_token_even_by_its_old_holder() {
        let s = held("a", 3, 10_000);
        assert_eq!(
            acquire(Some(&s), "b", 10_000),
            Acquire::NewHolder { token: 4 }
        );
        assert_eq!(
            acquire(Some(&s), "a", 10_001),
            Acquire::NewHolder { token: 4 }
        );
    }

    #[test]
    fn tokens_strictly_increase_across_holders() {
        let mut state: Option<LockState> = None;
        let mut last = 0;
        for (i, client) in ["a", "b", "a", "c"].iter().enumerate() {
            let now = (i as i64) * 1_000_000;
            let Acquire::NewHolder { token } = acquire(state.as_ref(), client, now) else {
                panic!("stale lock should be taken");
            };
            assert!(token > last);
            last = token;
            state = Some(held(client, token, now + 10));
        }
    }

    #[test]
    fn heartbeat_and_release_need_both_client_and_token() {
        let s = held("a", 5, 10_000);
        assert!(is_holder(&s, "a", Some(5)));
        assert!(!is_holder(&s, "a", Some(4)));
        assert!(!is_holder(&s, "b", Some(5)));
        // by client id alone: the holder's client, never another
        assert!(is_holder(&s, "a", None));
        assert!(!is_holder(&s, "b", None));
        let released = LockState {
            client_id: None,
            token: 5,
            expires_at: None,
        };
        assert!(!is_holder(&released, "a", Some(5)));
        assert!(!is_holder(&released, "a", None));
        // stale but not taken over: still the holder's
        assert!(is_holder(&s, "a", Some(5)) && !s.is_live(20_000));
    }
}
