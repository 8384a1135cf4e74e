//! Import-side bindings for `browser-cloud:platform` (the root `wit/`),
//! generated once here for the `http-service` world and shared by every
//! HTTP component, with helpers that map them onto [`edge`] types.
//!
//! An HTTP component authenticates a request with one call:
//!
//! ```text
//! fn list_keys(ctx: &mut edge::Ctx) -> Result<edge::Response, edge::ApiError> {
//!     let caller = platform_bindings::authenticate(ctx)?;   // 401 / 429 mapped, rate-limit headers recorded
//!     platform_bindings::require_scope(&caller, "keys:read")?; // 403 if the credential lacks it
//!     // ... queries scoped to caller.user_id / caller.team_id
//! }
//! ```
//!
//! and, in `spin.toml`, plugs the provider in:
//!
//! ```toml
//! [component.my-component]
//! dependencies_inherit_configuration = true
//! [component.my-component.dependencies]
//! "browser-cloud:identity/identity" = { path = "target/wasm32-wasip2/release/identity.wasm" }
//! ```

wit_bindgen::generate!({
    world: "http-service",
    path: "../../wit",
    // the interfaces live in packages of their own under wit/deps
    generate_all,
    additional_derives: [PartialEq, Eq],
});

pub use browser_cloud::blobs::blob_store::{self, Blob, BlobError, BlobMeta, BlobPage};
pub use browser_cloud::identity::identity::{
    self, AuthError, CredentialKind, Principal, RateLimit, TeamRole,
};
pub use browser_cloud::locks::locks::{self, ActiveLocks, Holder, Lease, LockError};

use edge::{ApiError, Ctx};

/// Headers the identity provider reads; only these cross the boundary.
const CREDENTIAL_HEADERS: &[&str] = &["authorization", "x-api-key"];

/// Authenticates the request through the `identity` dependency. On success
/// the caller's rate-limit state is recorded on `ctx`, so the response
/// carries `X-RateLimit-*`; on failure the error is already the right
/// 401 / 429 / 500.
pub fn authenticate(ctx: &mut Ctx) -> Result<Principal, ApiError> {
    // Once per request: a handler run by another (the /api/v1 surface) is
    // not counted against the rate limits twice.
    if let Some(principal) = ctx.remembered_caller::<Principal>() {
        return Ok(principal);
    }
    let mut headers: Vec<(String, String)> = ctx
        .request
        .headers
        .iter()
        .filter(|(name, _)| CREDENTIAL_HEADERS.contains(&name.as_str()))
        .cloned()
        .collect();
    headers.push(("x-request-id".into(), ctx.request_id.clone()));
    match identity::authenticate(&headers) {
        Ok(principal) => {
            ctx.set_rate_limit(edge_rate_limit(principal.rate_limit));
            ctx.remember_caller(&principal);
            Ok(principal)
        }
        Err(e) => Err(auth_error(e)),
    }
}

/// The edge's copy of the WIT rate-limit record.
pub fn edge_rate_limit(r: RateLimit) -> edge::RateLimit {
    edge::RateLimit {
        limit: r.limit,
        remaining: r.remaining,
        reset: r.reset,
    }
}

/// Maps the provider's error onto the API's one error type.
pub fn auth_error(e: AuthError) -> ApiError {
    match e {
        AuthError::Missing => ApiError::unauthorized(
            "missing_credentials",
            "Authenticate with Authorization: Bearer <token or API key>, or X-Api-Key: bgx_…",
        ),
        AuthError::Malformed(why) => ApiError::unauthorized("malformed_credentials", why),
        AuthError::Invalid => {
            ApiError::unauthorized("invalid_credentials", "The credential is not valid")
        }
        AuthError::Expired => {
            ApiError::unauthorized("credentials_expired", "The credential has expired")
        }
        AuthError::Revoked => {
            ApiError::unauthorized("credentials_revoked", "The credential has been revoked")
        }
        AuthError::RateLimited(state) => ApiError::RateLimited(edge_rate_limit(state)),
        AuthError::Internal(detail) => ApiError::internal(format!("identity provider: {detail}")),
    }
}

/// 403 unless one of the principal's scopes grants `wanted` (`*`, `keys:*`
/// and `keys:write` all grant `keys:write`).
pub fn require_scope(principal: &Principal, wanted: &str) -> Result<(), ApiError> {
    let wanted_scope = edge::domain::Scope::parse("scope", wanted)
        .map_err(|e| ApiError::internal(format!("bad scope in code: {e}")))?;
    let granted = principal.scopes.iter().any(|held| {
        edge::domain::Scope::parse("scope", held).is_ok_and(|s| s.grants(&wanted_scope))
    });
    if granted {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "insufficient_scope",
            format!("This credential lacks the scope {wanted:?}"),
        ))
    }
}

/// The authenticated caller, holding `scope` on its credential and, by its
/// role in the team, `permission`: the check every handler starts with.
pub fn authorize(
    ctx: &mut Ctx,
    scope: &str,
    permission: roles::Permission,
) -> Result<Principal, ApiError> {
    let principal = authenticate(ctx)?;
    require_scope(&principal, scope)?;
    require_permission(&principal, permission)?;
    Ok(principal)
}

/// Runs a create handler at most once per `Idempotency-Key` of this caller
/// (see `edge::idempotency`): keys are scoped to the caller's team and user.
pub fn idempotent(
    ctx: &mut Ctx,
    principal: &Principal,
    handler: impl FnOnce(&mut Ctx) -> Result<edge::Response, ApiError>,
) -> Result<edge::Response, ApiError> {
    let scope = format!("{}:{}", principal.team_id, principal.user_id);
    edge::idempotency::once(ctx, &scope, handler)
}

/// The API / column name of a credential kind.
pub fn credential_kind_str(kind: CredentialKind) -> &'static str {
    match kind {
        CredentialKind::Jwt => "jwt",
        CredentialKind::DesktopKey => "desktop",
        CredentialKind::ExtensionKey => "extension",
    }
}

/// The API / column name of a team role.
pub fn team_role_str(role: TeamRole) -> &'static str {
    role_of(role).as_str()
}

/// The identity provider's role as the shared permission table knows it.
pub fn role_of(role: TeamRole) -> roles::Role {
    match role {
        TeamRole::Owner => roles::Role::Owner,
        TeamRole::Admin => roles::Role::Admin,
        TeamRole::Member => roles::Role::Member,
        TeamRole::Viewer => roles::Role::Viewer,
    }
}

/// 403 `insufficient_role` unless the caller's role in its team holds
/// `permission` (the one table, crates/roles).
pub fn require_permission(
    principal: &Principal,
    permission: roles::Permission,
) -> Result<(), ApiError> {
    roles::require(role_of(principal.role), permission)
}

/// The `locks` actor for an authenticated caller.
pub fn lock_actor(principal: &Principal, request_id: &str) -> locks::Actor {
    locks::Actor {
        team_id: principal.team_id.clone(),
        user_id: principal.user_id.clone(),
        role: match principal.role {
            TeamRole::Owner => locks::Role::Owner,
            TeamRole::Admin => locks::Role::Admin,
            TeamRole::Member => locks::Role::Member,
            TeamRole::Viewer => locks::Role::Viewer,
        },
        request_id: request_id.to_owned(),
    }
}

/// Maps the lock provider's error onto the API's one error type. A refusal
/// names the holder in its message; callers that want the holder as data
/// too read it from the [`LockError`] before mapping.
pub fn lock_error(e: LockError) -> ApiError {
    match e {
        LockError::NotFound => ApiError::not_found("profile_not_found", "No profile with this id"),
        LockError::Held(holder) => ApiError::conflict(
            "profile_locked",
            format!("The profile is in use: {}", describe_holder(&holder)),
        ),
        LockError::NotHolder(Some(holder)) => ApiError::conflict(
            "lock_not_held",
            format!(
                "This client does not hold the lock (wrong client id or token); {}",
                describe_holder(&holder)
            ),
        ),
        LockError::NotHolder(None) => ApiError::conflict(
            "lock_not_held",
            "This client does not hold the lock (wrong client id or token, released, or taken over after going stale)",
        ),
        LockError::Forbidden(why) => ApiError::forbidden("lock_force_release_forbidden", why),
        LockError::NotLocked => {
            ApiError::not_found("lock_not_found", "The profile has no active lock")
        }
        LockError::Invalid(why) => ApiError::bad_request("invalid_lock_request", why),
        LockError::Internal(detail) => ApiError::internal(format!("lock provider: {detail}")),
    }
}

/// `held by client "c1" (user u1 "Ann") since 2026-… until 2026-…`.
pub fn describe_holder(h: &Holder) -> String {
    let user = match &h.user_name {
        Some(name) => format!("user {} ({name:?})", h.user_id),
        None => format!("user {}", h.user_id),
    };
    format!(
        "held by client {:?} of {user} since {}, expires at {} unless renewed",
        h.client_id,
        edge::time::iso8601_ms(h.since),
        edge::time::iso8601_ms(h.expires_at)
    )
}

/// Maps the blob provider's error onto the API's one error type: an
/// unreachable store is 503 (nothing changed), an oversize blob 413.
pub fn blob_error(e: BlobError) -> ApiError {
    match e {
        BlobError::TooLarge(limit) => ApiError::PayloadTooLarge {
            limit: usize::try_from(limit).unwrap_or(usize::MAX),
        },
        BlobError::Unavailable(detail) => ApiError::unavailable(format!("blob store: {detail}")),
        BlobError::InvalidKey(why) => ApiError::internal(format!("blob key built wrong: {why}")),
        BlobError::Internal(detail) => ApiError::internal(format!("blob provider: {detail}")),
    }
}
