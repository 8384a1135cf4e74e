//! `/api/keys`: create (shown once), list, revoke. Only the caller's keys.

use credentials::ApiKeyKind;
use edge::domain::{self, KeyName, Scope};
use edge::{ApiError, Ctx, FieldError, Response, db};
use platform_bindings::Principal;
use serde::Deserialize;
use serde_json::json;

use crate::persistence::{self, NewApiKey};

#[derive(Deserialize)]
struct CreateBody {
    name: String,
    kind: String,
    scopes: Option<Vec<String>>,
}

/// `POST /api/keys {name, kind: desktop|extension, scopes?}` -> 201
/// `{key, apiKey}`. `key` is the only time the key is ever shown. A key's
/// scopes default to, and may not exceed, the caller's.
pub fn create(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = platform_bindings::authenticate(ctx)?;
    platform_bindings::require_scope(&caller, "keys:write")?;
    platform_bindings::idempotent(ctx, &caller, |ctx| create_as(ctx, &caller))
}

fn create_as(ctx: &mut Ctx, caller: &Principal) -> Result<Response, ApiError> {
    let body: CreateBody = ctx.json()?;
    let held = domain::parse_scopes("scopes", &caller.scopes).map_err(ApiError::validation)?;

    let name = KeyName::parse("name", &body.name);
    let kind = ApiKeyKind::parse(body.kind.trim())
        .ok_or_else(|| FieldError::new("kind", "must be \"desktop\" or \"extension\""));
    let scopes = match &body.scopes {
        Some(raw) => domain::parse_scopes("scopes", raw),
        None => Ok(held.clone()),
    };
    let mut errors = vec![name.as_ref().err().cloned(), kind.as_ref().err().cloned()];
    if let Err(scope_errors) = &scopes {
        errors.extend(scope_errors.iter().cloned().map(Some));
    }
    super::all_valid(errors)?;
    let (Ok(name), Ok(kind), Ok(scopes)) = (name, kind, scopes) else {
        return Err(ApiError::internal(
            "validation passed but a field did not parse",
        ));
    };
    if !domain::scopes_grant(&held, &scopes) {
        return Err(ApiError::forbidden(
            "scope_escalation",
            "A key cannot have scopes its creator does not have",
        ));
    }
    let scopes: Vec<String> = scopes.iter().map(|s| Scope::as_str(s).to_owned()).collect();

    let generated = credentials::api_key::generate(kind).map_err(ApiError::internal)?;
    let id = edge::ids::new_id()?;
    let db = db::open()?;
    let key = persistence::create_api_key(
        &db,
        &NewApiKey {
            id: &id,
            user_id: &caller.user_id,
            team_id: &caller.team_id,
            kind: kind.as_str(),
            name: name.as_str(),
            key_prefix: &generated.prefix,
            last_four: &generated.last_four,
            key_hash: &generated.hash,
            scopes: &scopes,
        },
        &ctx.request_id,
    )?;
    Response::json(
        201,
        &json!({
            "key": generated.plaintext,
            "apiKey": key.view(),
            "message": "Store this key now: it is not shown again",
        }),
    )
}

/// `GET /api/keys` -> `{keys, total}`: the caller's keys, newest first,
/// with prefix and last four only.
pub fn list(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = platform_bindings::authenticate(ctx)?;
    platform_bindings::require_scope(&caller, "keys:read")?;
    let db = db::open()?;
    let keys = persistence::api_keys_of_user(&db, &caller.user_id)?;
    let views: Vec<_> = keys.iter().map(|k| k.view()).collect();
    Response::json(200, &json!({ "keys": views, "total": views.len() }))
}

/// `DELETE /api/keys/:id` -> `{success, apiKey}`; refused from the next
/// request on. Another user's key is 404, as is an unknown id.
pub fn revoke(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = platform_bindings::authenticate(ctx)?;
    platform_bindings::require_scope(&caller, "keys:write")?;
    let id = ctx.param("id")?.to_owned();
    if !(id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())) {
        return Err(ApiError::not_found(
            "api_key_not_found",
            "No API key with this id",
        ));
    }
    let db = db::open()?;
    let key = persistence::revoke_api_key(&db, &id, &caller.user_id, &ctx.request_id)?;
    Response::json(200, &json!({ "success": true, "apiKey": key.view() }))
}
