//! Whether a write (push or restore) may become current: pure, so every
//! case is unit-tested; checked once before the blob is written and again
//! inside the transaction that makes it current.

use edge::ApiError;

use crate::store::{LockRow, WriteState};

/// What the writer sent along with its data.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Preconditions {
    /// `If-Match`: the hash the writer's data is based on (`*`: any current version).
    pub if_match: Option<String>,
    /// `X-Lock-Token`: the fencing token of the writer's launch lock.
    pub lock_token: Option<i64>,
    /// The client the writer holds the lock as, when it holds it by client
    /// id alone (the published clients' `/api/v1` routes, which never see a
    /// token): a live lock of this client lets it write without a token.
    pub lock_client: Option<String>,
}

/// Refuses the write when:
/// - `If-Match` names another hash than the current one (412, with the current hash);
/// - another client holds a live lock and the writer does not carry its token (409);
/// - the writer carries a token older than the lock's latest: it was fenced
///   out by a newer holder, even if that holder has released since (409).
pub fn check(state: &WriteState, pre: &Preconditions, now: i64) -> Result<(), ApiError> {
    if let Some(expected) = &pre.if_match {
        let matches = match &state.current_hash {
            Some(current) => expected == "*" || expected == current,
            None => false,
        };
        if !matches {
            return Err(ApiError::precondition_failed(
                "session_changed",
                match &state.current_hash {
                    Some(current) => format!(
                        "If-Match {expected:?} is not the current session {current:?}: pull, merge and push again"
                    ),
                    None => {
                        format!("If-Match {expected:?} given but the profile has no session yet")
                    }
                },
                state.current_hash.clone(),
            ));
        }
    }
    if let Some(lock) = &state.lock {
        match pre.lock_token {
            Some(token) if token == lock.token => {}
            Some(token) if token < lock.token => {
                return Err(ApiError::conflict(
                    "lock_not_held",
                    format!(
                        "Lock token {token} is out of date: the profile was launched again since (token {}){}",
                        lock.token,
                        holder_text(lock, now)
                    ),
                ));
            }
            None if pre.lock_client.is_some() && pre.lock_client == lock.client_id => {}
            _ if lock.is_live(now) => {
                return Err(ApiError::conflict(
                    "profile_locked",
                    format!(
                        "The profile is in use{}; send the lock's token in X-Lock-Token to sync from that client",
                        holder_text(lock, now)
                    ),
                ));
            }
            Some(token) => {
                return Err(ApiError::conflict(
                    "lock_not_held",
                    format!("Lock token {token} was never handed out for this profile"),
                ));
            }
            None => {}
        }
    }
    Ok(())
}

fn holder_text(lock: &LockRow, now: i64) -> String {
    match (&lock.client_id, &lock.user_id) {
        (Some(client), user) if lock.is_live(now) => format!(
            ": held by client {client:?}{} since {}, expires at {} unless renewed",
            user.as_deref()
                .map(|u| format!(" of user {u}"))
                .unwrap_or_default(),
            edge::time::iso8601_ms(lock.acquired_at),
            edge::time::iso8601_ms(lock.expires_at)
        ),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_000_000;

    fn state(hash: Option<&str>, lock: Option<LockRow>) -> WriteState {
        WriteState {
            current_hash: hash.map(str::to_owned),
            lock,
        }
    }

    fn lock(client: Option<&str>, token: i64, expires_at: i64) -> LockRow {
        LockRow {
            client_id: client.map(str::to_owned),
            user_id: Some("u1".into()),
            token,
            acquired_at: NOW - 10,
            expires_at,
        }
    }

    fn pre(if_match: Option<&str>, token: Option<i64>) -> Preconditions {
        Preconditions {
            if_match: if_match.map(str::to_owned),
            lock_token: token,
            lock_client: None,
        }
    }

    fn code(r: Result<(), ApiError>) -> (u16, &'static str) {
        let e = r.expect_err("refused");
        (e.status(), e.code())
    }

    #[test]
    fn if_match_must_name_the_current_hash() {
        let s = state(Some("h1"), None);
        assert!(check(&s, &pre(Some("h1"), None), NOW).is_ok());
        assert!(check(&s, &pre(Some("*"), None), NOW).is_ok());
        assert!(check(&s, &pre(None, None), NOW).is_ok());
        let e = check(&s, &pre(Some("h0"), None), NOW).expect_err("stale");
        assert_eq!(e.status(), 412);
        assert!(
            matches!(e, ApiError::PreconditionFailed { current: Some(ref c), .. } if c == "h1")
        );
        assert_eq!(
            code(check(&state(None, None), &pre(Some("*"), None), NOW)),
            (412, "session_changed")
        );
    }

    #[test]
    fn a_live_lock_needs_its_token() {
        let s = state(None, Some(lock(Some("c1"), 7, NOW + 1)));
        assert!(check(&s, &pre(None, Some(7)), NOW).is_ok());
        assert_eq!(
            code(check(&s, &pre(None, None), NOW)),
            (409, "profile_locked")
        );
        assert_eq!(
            code(check(&s, &pre(None, Some(6)), NOW)),
            (409, "lock_not_held")
        );
        assert_eq!(
            code(check(&s, &pre(None, Some(8)), NOW)),
            (409, "profile_locked")
        );
    }

    #[test]
    fn a_stale_or_released_lock_lets_anyone_write_but_fences_old_tokens() {
        for l in [lock(Some("c1"), 7, NOW), lock(None, 7, NOW + 100)] {
            let s = state(Some("h"), Some(l));
            assert!(check(&s, &pre(None, None), NOW).is_ok());
            assert!(check(&s, &pre(None, Some(7)), NOW).is_ok());
            assert_eq!(
                code(check(&s, &pre(None, Some(3)), NOW)),
                (409, "lock_not_held")
            );
            assert_eq!(
                code(check(&s, &pre(None, Some(9)), NOW)),
                (409, "lock_not_held")
            );
        }
    }

    #[test]
    fn a_client_holding_by_client_id_writes_without_a_token_and_others_do_not() {
        let s = state(Some("h1"), Some(lock(Some("client_a"), 4, NOW + 1000)));
        let by = |client: &str, token: Option<i64>| Preconditions {
            lock_client: Some(client.to_owned()),
            ..pre(None, token)
        };
        assert!(check(&s, &by("client_a", None), NOW).is_ok());
        assert_eq!(
            code(check(&s, &by("client_b", None), NOW)),
            (409, "profile_locked")
        );
        // a token sent along is still checked: an old one is fenced
        assert_eq!(
            code(check(&s, &by("client_a", Some(3)), NOW)),
            (409, "lock_not_held")
        );
        assert!(check(&s, &by("client_a", Some(4)), NOW).is_ok());
    }

    #[test]
    fn a_never_locked_profile_takes_any_write() {
        let s = state(Some("h"), None);
        assert!(check(&s, &pre(None, Some(1)), NOW).is_ok());
    }
}
