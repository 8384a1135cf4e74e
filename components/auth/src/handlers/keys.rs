//! `/api/keys`: create (shown once), list, revoke. A key acts for one team,
//! as its creator, with the creator's role in that team at each request.
//! Members see and revoke their own keys; whoever the permission table
//! gives `ManageKeys` in a team (admins, owners) sees and revokes every
//! key of that team.

use credentials::ApiKeyKind;
use edge::domain::{self, KeyName, Scope};
use edge::{ApiError, Ctx, FieldError, Response, db};
use platform_bindings::Principal;
use roles::{Permission, Role};
use serde::Deserialize;
use serde_json::json;

use crate::persistence::{self, NewApiKey};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateBody {
    name: String,
    kind: String,
    scopes: Option<Vec<String>>,
    team_id: Option<String>,
    expires_at: Option<i64>,
}

/// The longest a key may be made to last: ten years.
const MAX_KEY_LIFETIME_MS: i64 = 10 * 366 * 24 * 60 * 60 * 1000;

/// `POST /api/keys {name, kind: desktop|extension, scopes?, teamId?,
/// expiresAt?}` -> 201
/// `{key, apiKey}`. `key` is the only time the key is ever shown. A key's
/// scopes default to, and may not exceed, the caller's. It acts for
/// `teamId` (a team the caller belongs to; only a signed-in user, not
/// another key, may name a team other than its own) or the caller's team.
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
    let now = edge::time::now_ms();
    let expires = match body.expires_at {
        Some(at) if at <= now => Err(FieldError::new("expiresAt", "must be in the future")),
        Some(at) if at > now.saturating_add(MAX_KEY_LIFETIME_MS) => Err(FieldError::new(
            "expiresAt",
            "must be at most ten years from now",
        )),
        other => Ok(other),
    };
    let mut errors = vec![
        name.as_ref().err().cloned(),
        kind.as_ref().err().cloned(),
        expires.as_ref().err().cloned(),
    ];
    if let Err(scope_errors) = &scopes {
        errors.extend(scope_errors.iter().cloned().map(Some));
    }
    super::all_valid(errors)?;
    let (Ok(name), Ok(kind), Ok(scopes), Ok(expires_at)) = (name, kind, scopes, expires) else {
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

    let db = db::open()?;
    let team_id = match body.team_id.as_deref() {
        None => caller.team_id.clone(),
        Some(id) if id == caller.team_id => caller.team_id.clone(),
        Some(id) => {
            if caller.session_id.is_none() {
                return Err(ApiError::forbidden(
                    "key_bound_to_team",
                    "An API key acts for its own team only; sign in to create a key for another team",
                ));
            }
            member_role(&db, id, &caller.user_id)?;
            id.to_owned()
        }
    };
    let generated = credentials::api_key::generate(kind).map_err(ApiError::internal)?;
    let id = edge::ids::new_id()?;
    let key = persistence::create_api_key(
        &db,
        &NewApiKey {
            id: &id,
            user_id: &caller.user_id,
            team_id: &team_id,
            kind: kind.as_str(),
            name: name.as_str(),
            key_prefix: &generated.prefix,
            last_four: &generated.last_four,
            key_hash: &generated.hash,
            scopes: &scopes,
            expires_at,
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

/// `GET /api/keys[?teamId=]` -> `{keys, total}`, newest first, with prefix
/// and last four only: without `teamId`, the caller's own keys in every
/// team; with it, that team's keys: all of them for those who manage its
/// keys, the caller's own otherwise.
pub fn list(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = platform_bindings::authenticate(ctx)?;
    platform_bindings::require_scope(&caller, "keys:read")?;
    let team = ctx.query("teamId");
    let db = db::open()?;
    let keys = match team.as_deref() {
        None => persistence::api_keys_of_user(&db, &caller.user_id)?,
        Some(id) => {
            if !edge::ids::is_row_id(id) {
                return Err(team_not_found());
            }
            if member_role(&db, id, &caller.user_id)?.can(Permission::ManageKeys) {
                persistence::api_keys_of_team(&db, id)?
            } else {
                persistence::api_keys_of_user_in_team(&db, &caller.user_id, id)?
            }
        }
    };
    let views: Vec<_> = keys.iter().map(|k| k.view()).collect();
    Response::json(200, &json!({ "keys": views, "total": views.len() }))
}

/// `DELETE /api/keys/:id` -> `{success, apiKey}`; refused from the next
/// request on. The caller's own key, or any key of a team in which the
/// caller manages keys; any other key is 404, as is an unknown id.
pub fn revoke(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = platform_bindings::authenticate(ctx)?;
    platform_bindings::require_scope(&caller, "keys:write")?;
    let id = ctx.param("id")?.to_owned();
    if !edge::ids::is_row_id(&id) {
        return Err(ApiError::not_found(
            "api_key_not_found",
            "No API key with this id",
        ));
    }
    let db = db::open()?;
    let key =
        persistence::revoke_api_key(&db, &id, &caller.user_id, &ctx.request_id, |db, key| {
            if key.user_id == caller.user_id {
                return Ok(true);
            }
            Ok(persistence::membership(db, &key.team_id, &caller.user_id)?
                .and_then(|m| Role::parse(&m.role))
                .is_some_and(|role| role.can(Permission::ManageKeys)))
        })?;
    Response::json(200, &json!({ "success": true, "apiKey": key.view() }))
}

/// The caller's role in a team; 404 when they are not a member.
fn member_role(db: &db::Connection, team_id: &str, user_id: &str) -> Result<Role, ApiError> {
    let membership = persistence::membership(db, team_id, user_id)?.ok_or_else(team_not_found)?;
    Role::parse(&membership.role).ok_or_else(|| ApiError::internal("team role"))
}

fn team_not_found() -> ApiError {
    ApiError::not_found("team_not_found", "No team with this id")
}
