//! One module per route group. Handlers authenticate through the `identity`
//! dependency, read their input (400 naming what is wrong), and run the
//! write protocol of the `sessions` crate.

pub mod conflict;
pub mod health;
pub mod pull;
pub mod push;
pub mod versions;

use edge::{ApiError, Ctx, domain::ClientId};
use platform_bindings::Principal;
use sessions::rules::Preconditions;

/// The authenticated caller, holding `scope`.
pub(crate) fn caller(ctx: &mut Ctx, scope: &str) -> Result<Principal, ApiError> {
    let principal = platform_bindings::authenticate(ctx)?;
    platform_bindings::require_scope(&principal, scope)?;
    Ok(principal)
}

/// The authenticated caller, holding `scope` and allowed by its team role to
/// sync (the shared table in crates/roles: members and above).
pub(crate) fn writer(ctx: &mut Ctx, scope: &str) -> Result<Principal, ApiError> {
    platform_bindings::authorize(ctx, scope, roles::Permission::Sync)
}

pub(crate) fn not_found() -> ApiError {
    ApiError::not_found("profile_not_found", "No profile with this id")
}

/// The `:profileId` path parameter; one that cannot be an id is 404 at once.
pub(crate) fn profile_id(ctx: &Ctx) -> Result<String, ApiError> {
    let id = ctx.param("profileId")?;
    if edge::ids::is_row_id(id) {
        Ok(id.to_owned())
    } else {
        Err(not_found())
    }
}

/// `X-Client-ID`, when sent (400 when malformed).
pub(crate) fn client_id(ctx: &Ctx) -> Result<Option<ClientId>, ApiError> {
    ctx.header("x-client-id")
        .map(ClientId::parse)
        .transpose()
        .map_err(|why| ApiError::bad_request("invalid_client_id", why))
}

/// `If-Match` and `X-Lock-Token` (400 when malformed).
pub(crate) fn preconditions(ctx: &Ctx) -> Result<Preconditions, ApiError> {
    let if_match = match ctx.header("if-match") {
        None => None,
        Some(raw) => Some(entity_tag(raw).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_if_match",
                "If-Match must be one session hash (quoted or not) or *",
            )
        })?),
    };
    let lock_token = match ctx.header("x-lock-token") {
        None => None,
        Some(raw) => Some(
            raw.trim()
                .parse::<i64>()
                .ok()
                .filter(|t| *t > 0)
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "invalid_lock_token",
                        "X-Lock-Token must be the positive whole number the launch returned",
                    )
                })?,
        ),
    };
    Ok(Preconditions {
        if_match,
        lock_token,
        lock_client: None,
    })
}

/// One entity tag: `*`, `"hash"`, `W/"hash"` or a bare hash.
pub(crate) fn entity_tag(raw: &str) -> Option<String> {
    let s = raw.trim();
    if s == "*" {
        return Some(s.to_owned());
    }
    let s = s.strip_prefix("W/").unwrap_or(s);
    let s = s
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(s);
    sessions::payload::is_hash(s).then(|| s.to_owned())
}

/// Whether `If-None-Match` names `hash` (a list of tags, or `*`).
pub(crate) fn none_match(ctx: &Ctx, hash: &str) -> bool {
    ctx.header("if-none-match").is_some_and(|raw| {
        raw.split(',')
            .filter_map(entity_tag)
            .any(|tag| tag == "*" || tag == hash)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_tags_are_read_quoted_weak_or_bare() {
        let h = "a".repeat(64);
        assert_eq!(entity_tag(&format!("\"{h}\"")), Some(h.clone()));
        assert_eq!(entity_tag(&format!("W/\"{h}\"")), Some(h.clone()));
        assert_eq!(entity_tag(&format!(" {h} ")), Some(h.clone()));
        assert_eq!(entity_tag("*"), Some("*".into()));
        assert_eq!(entity_tag("\"abc\""), None);
        assert_eq!(entity_tag(&"A".repeat(64)), None);
    }
}
