//! `/api/proxies`: a team's proxies. Addresses are parsed and checked;
//! usernames and passwords are sealed at rest and never shown here (only a
//! launch response carries them in clear).

use edge::{ApiError, Ctx, FieldError, Response, db};
use platform_bindings::Principal;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Field, actor, allowed, body, caller, check, field, page, row_id};
use crate::config;
use crate::domain::Name;
use crate::domain::crypto::{self, Keys};
use crate::domain::proxy::{Credentials, ProxyAddress, Scheme};
use crate::persistence::proxies::{self as store, ProxyFields};
use roles::Permission;

/// Associated data of a team proxy's sealed credentials.
pub(crate) fn proxy_aad(team_id: &str, proxy_id: &str) -> String {
    format!("proxy:{team_id}:{proxy_id}")
}

#[derive(Serialize, Deserialize)]
struct SealedCredentials {
    u: String,
    p: String,
}

/// Seals an address's credentials for the row named by `aad`.
pub(crate) fn seal_credentials(
    address: &ProxyAddress,
    aad: &str,
) -> Result<Option<String>, ApiError> {
    let Some(c) = &address.credentials else {
        return Ok(None);
    };
    let keys = config::seal_keys()?;
    let plaintext = serde_json::to_vec(&SealedCredentials {
        u: c.username.clone(),
        p: c.password.clone(),
    })
    .map_err(ApiError::internal)?;
    crypto::seal(&keys, aad, &plaintext)
        .map(Some)
        .map_err(ApiError::internal)
}

/// Opens sealed credentials (500 when they do not open: a key was lost).
pub(crate) fn open_credentials(
    keys: &Keys,
    aad: &str,
    sealed: &str,
) -> Result<Credentials, ApiError> {
    let plaintext = crypto::open(keys, aad, sealed).map_err(ApiError::internal)?;
    let c: SealedCredentials = serde_json::from_slice(&plaintext).map_err(ApiError::internal)?;
    Ok(Credentials {
        username: c.u,
        password: c.p,
    })
}

/// The address of a body: `url`, or `scheme` + `host` + `port` (+
/// `username`, `password`). `None` when the body names no address.
fn address(
    input: &serde_json::Map<String, serde_json::Value>,
    errors: &mut Vec<FieldError>,
) -> Option<ProxyAddress> {
    let url = field::<String>(input, "url", "a proxy URL", errors);
    let scheme = field::<String>(input, "scheme", "http, https, socks4 or socks5", errors);
    let host = field::<String>(input, "host", "a hostname or IP address", errors);
    let port = match input.get("port") {
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        None | Some(serde_json::Value::Null) => None,
        Some(_) => {
            errors.push(FieldError::new("port", "must be a number from 1 to 65535"));
            None
        }
    };
    let username = field::<String>(input, "username", "a string", errors);
    let password = field::<String>(input, "password", "a string", errors);
    if let Field::Value(url) = url {
        return ProxyAddress::parse_url("url", &url)
            .map_err(|e| errors.push(e))
            .ok();
    }
    let parts = (scheme, host, port);
    if matches!(
        parts,
        (
            Field::Absent | Field::Null,
            Field::Absent | Field::Null,
            None
        )
    ) {
        return None;
    }
    let (Field::Value(scheme), Field::Value(host), Some(port)) = parts else {
        errors.push(FieldError::new(
            "url",
            "give url, or scheme, host and port together",
        ));
        return None;
    };
    let Some(scheme) = Scheme::parse(scheme.trim()) else {
        errors.push(FieldError::new(
            "scheme",
            "must be http, https, socks4 or socks5",
        ));
        return None;
    };
    let credentials = match (username, password) {
        (Field::Value(u), Field::Value(p)) => Some(Credentials {
            username: u,
            password: p,
        }),
        (Field::Value(u), _) => Some(Credentials {
            username: u,
            password: String::new(),
        }),
        (_, Field::Value(p)) => Some(Credentials {
            username: String::new(),
            password: p,
        }),
        _ => None,
    };
    ProxyAddress::from_parts("proxy", scheme, &host, &port, credentials)
        .map_err(|e| errors.push(e))
        .ok()
}

fn fields(name: &str, a: &ProxyAddress, sealed: Option<String>) -> ProxyFields {
    ProxyFields {
        name: name.to_owned(),
        scheme: a.scheme.as_str().to_owned(),
        host: a.host.clone(),
        port: a.port,
        sealed_credentials: sealed,
    }
}

/// `GET /api/proxies?limit&offset` -> `{proxies, total}`.
pub fn list(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = caller(ctx, "proxies:read")?;
    let page = page(ctx)?;
    let db = db::open()?;
    let (proxies, total) = store::list(&db, &caller.team_id, page.limit, page.offset)?;
    Response::json(
        200,
        &json!({
            "proxies": proxies.iter().map(|p| p.view()).collect::<Vec<_>>(),
            "total": total,
            "limit": page.limit,
            "offset": page.offset,
        }),
    )
}

/// `GET /api/proxies/:id`.
pub fn get(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = caller(ctx, "proxies:read")?;
    let id = row_id(ctx, "id", store::not_found)?;
    let db = db::open()?;
    Response::json(200, &store::get(&db, &caller.team_id, &id)?.view())
}

/// `POST /api/proxies {name, url}` or `{name, scheme, host, port,
/// username?, password?}` -> 201 proxy.
pub fn create(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = allowed(ctx, "proxies:write", Permission::ManageProxies)?;
    platform_bindings::idempotent(ctx, &caller, |ctx| create_as(ctx, &caller))
}

fn create_as(ctx: &mut Ctx, caller: &Principal) -> Result<Response, ApiError> {
    let input = body(ctx)?;
    let mut errors = Vec::new();
    let name = match field::<String>(&input, "name", "a string", &mut errors) {
        Field::Value(n) => Name::parse("name", &n).map_err(|e| errors.push(e)).ok(),
        _ => {
            errors.push(FieldError::new("name", "is required"));
            None
        }
    };
    let address = address(&input, &mut errors);
    if address.is_none()
        && !errors
            .iter()
            .any(|e| ["url", "scheme", "host", "port", "proxy"].contains(&e.field.as_str()))
    {
        errors.push(FieldError::new(
            "url",
            "is required (or scheme, host and port)",
        ));
    }
    check(errors)?;
    let (Some(name), Some(address)) = (name, address) else {
        return Err(ApiError::internal(
            "validation passed but a field did not parse",
        ));
    };
    let limits = config::limits()?;
    let id = edge::ids::new_id()?;
    let sealed = seal_credentials(&address, &proxy_aad(&caller.team_id, &id))?;
    let db = db::open()?;
    let proxy = store::create(
        &db,
        actor(caller, ctx),
        &id,
        &fields(name.as_str(), &address, sealed),
        limits.proxies,
    )?;
    Response::json(201, &proxy.view())
}

/// `PUT /api/proxies/:id {name?, url? | scheme, host, port, username?,
/// password?}`: a new address replaces the credentials with its own.
pub fn update(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = allowed(ctx, "proxies:write", Permission::ManageProxies)?;
    let id = row_id(ctx, "id", store::not_found)?;
    let input = body(ctx)?;
    let mut errors = Vec::new();
    let name = match field::<String>(&input, "name", "a string", &mut errors) {
        Field::Value(n) => Name::parse("name", &n).map_err(|e| errors.push(e)).ok(),
        Field::Null => {
            errors.push(FieldError::new("name", "cannot be null"));
            None
        }
        Field::Absent => None,
    };
    let address = address(&input, &mut errors);
    check(errors)?;
    let sealed = match &address {
        Some(a) => Some(seal_credentials(a, &proxy_aad(&caller.team_id, &id))?),
        None => None,
    };
    let db = db::open()?;
    let proxy = store::update(&db, actor(&caller, ctx), &id, |current| {
        let name = name.as_ref().map_or(current.name.as_str(), |n| n.as_str());
        Ok(match (&address, sealed) {
            (Some(a), Some(sealed)) => fields(name, a, sealed),
            _ => ProxyFields {
                name: name.to_owned(),
                scheme: current.scheme.clone(),
                host: current.host.clone(),
                port: u16::try_from(current.port).map_err(ApiError::internal)?,
                sealed_credentials: current.credentials.clone(),
            },
        })
    })?;
    Response::json(200, &proxy.view())
}

/// `DELETE /api/proxies/:id` -> `{success}`; 409 while profiles use it.
pub fn delete(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = allowed(ctx, "proxies:write", Permission::ManageProxies)?;
    let id = row_id(ctx, "id", store::not_found)?;
    let db = db::open()?;
    store::delete(&db, actor(&caller, ctx), &id)?;
    Response::json(200, &json!({ "success": true, "id": id }))
}
