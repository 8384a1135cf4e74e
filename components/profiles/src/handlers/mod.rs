//! One module per resource. A handler authenticates through the `identity`
//! dependency, parses its input into domain types (every invalid field named
//! in one 422; bad query parameters and headers in a 400), calls the
//! persistence layer or the `locks` dependency and builds the JSON view.

pub mod bulk;
pub mod fingerprints;
pub mod groups;
pub mod health;
pub mod launch;
pub mod locks;
pub mod profiles;
pub mod proxies;
pub mod tags;
pub mod templates;

use edge::{ApiError, Ctx, FieldError, Response};
use platform_bindings::{LockError, Principal};
use roles::Permission;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::domain::{self, ClientId, query::Page};
use crate::persistence::Actor;

/// The authenticated caller, holding `scope`.
pub(crate) fn caller(ctx: &mut Ctx, scope: &str) -> Result<Principal, ApiError> {
    let principal = platform_bindings::authenticate(ctx)?;
    platform_bindings::require_scope(&principal, scope)?;
    Ok(principal)
}

/// The authenticated caller, holding `scope` and, by its team role,
/// `permission` (the shared table in crates/roles).
pub(crate) fn allowed(
    ctx: &mut Ctx,
    scope: &str,
    permission: Permission,
) -> Result<Principal, ApiError> {
    platform_bindings::authorize(ctx, scope, permission)
}

/// The caller as the persistence layer scopes and audits it.
pub(crate) fn actor<'a>(caller: &'a Principal, ctx: &'a Ctx) -> Actor<'a> {
    Actor {
        team_id: &caller.team_id,
        user_id: &caller.user_id,
        request_id: &ctx.request_id,
    }
}

/// 422 naming every invalid field, or nothing.
pub(crate) fn check(errors: Vec<FieldError>) -> Result<(), ApiError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

/// `?limit=&offset=`: 400 naming a bad one.
pub(crate) fn page(ctx: &Ctx) -> Result<Page, ApiError> {
    Page::parse(
        ctx.query("limit").as_deref(),
        ctx.query("offset").as_deref(),
    )
    .map_err(ApiError::invalid_input)
}

/// A path id; one that cannot be ours is 404 at once (as an unknown or
/// another team's id is).
pub(crate) fn row_id(
    ctx: &Ctx,
    name: &str,
    not_found: fn() -> ApiError,
) -> Result<String, ApiError> {
    let id = ctx.param(name)?;
    if domain::is_row_id(id) {
        Ok(id.to_owned())
    } else {
        Err(not_found())
    }
}

/// `X-Client-ID`, when sent (400 when malformed).
pub(crate) fn client_id(ctx: &Ctx) -> Result<Option<ClientId>, ApiError> {
    match ctx.header("x-client-id") {
        None => Ok(None),
        Some(raw) => ClientId::parse(raw)
            .map(Some)
            .map_err(|why| ApiError::bad_request("invalid_client_id", why)),
    }
}

/// `X-Client-ID`, required (400 without).
pub(crate) fn required_client_id(ctx: &Ctx) -> Result<ClientId, ApiError> {
    client_id(ctx)?
        .ok_or_else(|| ApiError::bad_request("client_id_required", "X-Client-ID header required"))
}

/// The body as a JSON object (415 / 400 from the edge when it is not one).
pub(crate) fn body(ctx: &Ctx) -> Result<Map<String, Value>, ApiError> {
    ctx.json::<Map<String, Value>>()
}

/// A body field: absent, explicitly `null`, or a value of type `T`.
pub(crate) enum Field<T> {
    Absent,
    Null,
    Value(T),
}

impl<T> Field<T> {
    /// `Some(None)` for null, `Some(Some(v))` for a value, `None` when absent.
    pub fn into_change(self) -> Option<Option<T>> {
        match self {
            Field::Absent => None,
            Field::Null => Some(None),
            Field::Value(v) => Some(Some(v)),
        }
    }
}

/// Reads `name` from a body object; a value of the wrong type is a
/// [`FieldError`] pushed onto `errors` (and read as absent).
pub(crate) fn field<T: DeserializeOwned>(
    body: &Map<String, Value>,
    name: &str,
    expected: &str,
    errors: &mut Vec<FieldError>,
) -> Field<T> {
    match body.get(name) {
        None => Field::Absent,
        Some(Value::Null) => Field::Null,
        Some(v) => match serde_json::from_value::<T>(v.clone()) {
            Ok(t) => Field::Value(t),
            Err(_) => {
                errors.push(FieldError::new(name, format!("must be {expected}")));
                Field::Absent
            }
        },
    }
}

/// A refused lock call as a response: the one error body, plus the holder
/// (client id, user, since, expires; never the token) as data when there
/// is one.
pub(crate) fn lock_refusal(e: LockError, request_id: &str) -> Result<Response, ApiError> {
    let holder = match &e {
        LockError::Held(h) | LockError::NotHolder(Some(h)) => Some(serde_json::json!({
            "profileId": h.profile_id,
            "clientId": h.client_id,
            "userId": h.user_id,
            "userName": h.user_name,
            "since": h.since,
            "heartbeatAt": h.heartbeat_at,
            "expiresAt": h.expires_at,
        })),
        _ => None,
    };
    let error = platform_bindings::lock_error(e);
    let Some(holder) = holder else {
        return Err(error);
    };
    let mut response = error.into_response(request_id);
    let mut body: Value = serde_json::from_slice(&response.body)
        .map_err(|e| ApiError::internal(format!("re-reading error body: {e}")))?;
    body["holder"] = holder;
    response.body = serde_json::to_vec(&body)
        .map_err(|e| ApiError::internal(format!("serializing error body: {e}")))?;
    Ok(response)
}
