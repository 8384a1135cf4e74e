//! The component's variables: per-team limits and the key that seals proxy
//! credentials. (`lock_ttl` is read by the `locks` dependency, `jwt_secret`
//! and the rate limits by `identity`.)

use edge::ApiError;

use crate::domain::crypto::{self, Keys, SealKey};

/// Variable: most profiles one team may have, whatever its plan (the
/// deployment's ceiling; the plan's own limit is `billing_<plan>_max_profiles`,
/// see `crates/plans`).
pub const VAR_MAX_PROFILES: &str = "max_profiles_per_team";
/// Variable: most groups one team may have.
pub const VAR_MAX_GROUPS: &str = "max_groups_per_team";
/// Variable: most proxies one team may have.
pub const VAR_MAX_PROXIES: &str = "max_proxies_per_team";
/// Variable: most tags on one profile.
pub const VAR_MAX_TAGS: &str = "max_tags_per_profile";
/// Variable (secret, optional): the secret proxy credentials are sealed
/// with; without it a key is derived from `jwt_secret`.
pub const VAR_PROXY_KEY: &str = "proxy_credentials_key";
/// Variable (secret): the session-token secret, the fallback sealing secret.
pub const VAR_JWT_SECRET: &str = "jwt_secret";

/// Variable: the largest session a launch reads back (see components/sync).
pub const VAR_MAX_SESSION_BYTES: &str = "max_session_bytes";
pub const DEFAULT_MAX_SESSION_BYTES: u64 = 16 * 1024 * 1024;

/// The largest session a launch reads back, bytes of JSON.
pub fn max_session_bytes() -> Result<usize, ApiError> {
    edge::config::number(VAR_MAX_SESSION_BYTES, DEFAULT_MAX_SESSION_BYTES)
        .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
}

pub const DEFAULT_MAX_PROFILES: u32 = 1000;
pub const DEFAULT_MAX_GROUPS: u32 = 200;
pub const DEFAULT_MAX_PROXIES: u32 = 1000;
pub const DEFAULT_MAX_TAGS: u32 = 20;

/// The per-team limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub profiles: u32,
    pub groups: u32,
    pub proxies: u32,
    pub tags: u32,
}

pub fn limits() -> Result<Limits, ApiError> {
    Ok(Limits {
        profiles: number(VAR_MAX_PROFILES, DEFAULT_MAX_PROFILES)?,
        groups: number(VAR_MAX_GROUPS, DEFAULT_MAX_GROUPS)?,
        proxies: number(VAR_MAX_PROXIES, DEFAULT_MAX_PROXIES)?,
        tags: number(VAR_MAX_TAGS, DEFAULT_MAX_TAGS)?,
    })
}

/// The sealing keys: see [`crate::domain::crypto`].
pub fn seal_keys() -> Result<Keys, ApiError> {
    let read = |name: &str| {
        edge::spin::variable(name)
            .map_err(ApiError::internal)
            .map(|v| v.filter(|s| !s.trim().is_empty()))
    };
    let dedicated = read(VAR_PROXY_KEY)?
        .map(|s| SealKey::derive(crypto::PURPOSE, crypto::DEDICATED_KEY_ID, &s))
        .transpose()
        .map_err(|e| ApiError::internal(format!("{VAR_PROXY_KEY}: {e}")))?;
    let fallback = read(VAR_JWT_SECRET)?
        .map(|s| SealKey::derive(crypto::PURPOSE, crypto::FALLBACK_KEY_ID, &s))
        .transpose()
        .map_err(|e| ApiError::internal(format!("{VAR_JWT_SECRET}: {e}")))?;
    Keys::new(dedicated, fallback).map_err(ApiError::internal)
}

fn number(name: &str, default: u32) -> Result<u32, ApiError> {
    match edge::spin::variable(name).map_err(ApiError::internal)? {
        None => Ok(default),
        Some(v) => match v.trim().parse::<u32>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(ApiError::internal(format!(
                "variable {name} = {v:?} is not a positive whole number"
            ))),
        },
    }
}
