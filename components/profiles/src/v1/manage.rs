//! The dashboard's profile management under `/api/v1/profiles`: create,
//! PATCH, delete, bulk delete, duplicate, export, import and regenerate,
//! each through the shared handler of `/api/profiles`.
//!
//! The dashboard keeps a team proxy's id in `proxy` (ours: `proxyId`; our
//! `proxy` is a profile's own proxy URL) and may hold the Worker's template
//! ids (`windows_chrome_desktop`); both are read as ours here.

use edge::v1;
use edge::{ApiError, Ctx, FieldError, Response, db};
use platform_bindings::Principal;
use serde_json::{Map, Value, json};

use crate::handlers::profiles::{self as shared, create_as};
use crate::handlers::{allowed, bulk, caller, row_id};
use crate::persistence::profiles as store;
use roles::Permission;

/// The Worker's template ids, as ours.
const TEMPLATE_ALIASES: &[(&str, &str)] = &[
    ("windows_chrome_desktop", "windows-chrome"),
    ("windows_firefox_desktop", "windows-firefox"),
    ("mac_chrome_desktop", "macos-chrome"),
    ("mac_safari_desktop", "macos-safari"),
    ("linux_chrome_desktop", "linux-chrome"),
    ("android_chrome_mobile", "android-chrome"),
    ("ios_safari_mobile", "ios-safari"),
];

/// Most profiles one import or export carries (the Worker's caps).
const MAX_IMPORT: usize = 50;
const MAX_EXPORT: usize = 100;

/// A dashboard profile body in our names.
fn ours(mut body: Map<String, Value>) -> Map<String, Value> {
    if let Some(proxy) = body.remove("proxy") {
        match &proxy {
            // A URL is a profile's own proxy; anything else names a team proxy.
            Value::String(s) if s.contains("://") => {
                body.insert("proxy".into(), proxy);
            }
            Value::String(s) if s.trim().is_empty() => {
                body.insert("proxyId".into(), Value::Null);
            }
            _ => {
                body.insert("proxyId".into(), proxy);
            }
        }
    }
    if let Some(Value::String(t)) = body.get("templateId")
        && let Some((_, to)) = TEMPLATE_ALIASES.iter().find(|(from, _)| from == t)
    {
        body.insert("templateId".into(), json!(to));
    }
    body
}

fn rewrite_body(ctx: &mut Ctx) -> Result<(), ApiError> {
    let body = ctx.json::<Map<String, Value>>()?;
    v1::set_body(ctx, &Value::Object(ours(body)))
}

fn with_message(mut body: Value, message: &str) -> Value {
    let mut view = super::profile(v1::take(&mut body, "profile"));
    if view.is_null() {
        view = super::profile(body);
    }
    view["message"] = json!(message);
    view
}

/// `POST /api/v1/profiles {name, templateId, groupId?, tags?, timezone?,
/// language?, proxy?, notes?}` -> 201 the profile.
pub fn create(ctx: &mut Ctx) -> Result<Response, ApiError> {
    if let Err(e) = rewrite_body(ctx) {
        return v1::answer(ctx, Err(e), Ok);
    }
    v1::run(ctx, shared::create, |b| Ok(super::profile(b)))
}

/// `PATCH /api/v1/profiles/:id` (any of create's fields) -> the profile and
/// `message`.
pub fn update(ctx: &mut Ctx) -> Result<Response, ApiError> {
    if let Err(e) = rewrite_body(ctx) {
        return v1::answer(ctx, Err(e), Ok);
    }
    v1::run(ctx, shared::update, |b| {
        Ok(with_message(b, "Profile updated successfully"))
    })
}

/// `DELETE /api/v1/profiles/:id` -> `{id, message}`.
pub fn delete(ctx: &mut Ctx) -> Result<Response, ApiError> {
    v1::run(ctx, shared::delete, |mut b| {
        b["message"] = json!("Profile deleted successfully");
        Ok(b)
    })
}

/// `POST /api/v1/profiles/bulk-delete {ids}` -> the per-id results of our
/// bulk delete and `message`.
pub fn bulk_delete(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let rewritten = ctx.json::<Map<String, Value>>().and_then(|b| {
        v1::set_body(
            ctx,
            &json!({ "action": "delete", "ids": b.get("ids").cloned() }),
        )
    });
    if let Err(e) = rewritten {
        return v1::answer(ctx, Err(e), Ok);
    }
    v1::run(ctx, bulk::bulk, |mut b| {
        let n = b["succeeded"].as_i64().unwrap_or(0);
        b["message"] = json!(format!("{n} profiles deleted"));
        Ok(b)
    })
}

/// `POST /api/v1/profiles/:id/duplicate {newName?}` -> 201 the copy: a new
/// fingerprint from the same template, the same group, tags, timezone,
/// language, team proxy and notes (a profile's own proxy is not copied:
/// its credentials are sealed to the profile).
pub fn duplicate(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let result = allowed(ctx, "profiles:write", Permission::Sync).and_then(|caller| {
        platform_bindings::idempotent(ctx, &caller, |ctx| duplicate_as(ctx, &caller))
    });
    v1::answer(ctx, result, |b| Ok(super::profile(b)))
}

fn duplicate_as(ctx: &mut Ctx, caller: &Principal) -> Result<Response, ApiError> {
    let id = row_id(ctx, "id", store::not_found)?;
    let input = v1::body_or_empty(ctx)?;
    let db = db::open()?;
    let p = store::require(&db, &caller.team_id, &id)?;
    let name = match input.get("newName") {
        Some(Value::String(n)) => n.clone(),
        None | Some(Value::Null) => format!("{} (copy)", p.name),
        Some(_) => return Err(FieldError::new("newName", "must be a string").into()),
    };
    v1::set_body(
        ctx,
        &json!({
            "name": name,
            "templateId": p.template_id,
            "groupId": p.group_id,
            "tags": p.tags,
            "timezone": p.fingerprint.timezone,
            "language": p.fingerprint.language,
            "proxyId": p.proxy_id,
            "notes": p.notes,
        }),
    )?;
    create_as(ctx, caller)
}

/// `GET /api/v1/profiles/export?ids=a,b` (or the first 100) -> `{version,
/// exportedAt, profiles: [{name, templateId, groupId, tags, timezone,
/// language, proxy, notes}]}`: settings, never sessions or credentials.
pub fn export(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let result = (|| {
        let caller = caller(ctx, "profiles:read")?;
        let db = db::open()?;
        let ids: Vec<String> = ctx
            .query("ids")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        if ids.len() > MAX_EXPORT {
            return Err(ApiError::invalid_input(vec![FieldError::new(
                "ids",
                format!("at most {MAX_EXPORT} ids"),
            )]));
        }
        let profiles = if ids.is_empty() {
            let q = crate::domain::query::ProfileQuery::parse(&Default::default())
                .map_err(ApiError::invalid_input)?;
            store::list(
                &db,
                &caller.team_id,
                &crate::domain::query::ProfileQuery {
                    page: crate::domain::query::Page {
                        limit: MAX_EXPORT as u32,
                        offset: 0,
                    },
                    ..q
                },
            )?
            .profiles
        } else {
            let mut found = Vec::new();
            for id in &ids {
                if crate::domain::is_row_id(id)
                    && let Some(p) = store::get(&db, &caller.team_id, id)?
                {
                    found.push(p);
                }
            }
            found
        };
        let items: Vec<Value> = profiles
            .iter()
            .map(|p| {
                json!({
                    "name": p.name,
                    "templateId": p.template_id,
                    "groupId": p.group_id,
                    "tags": p.tags,
                    "timezone": p.fingerprint.timezone,
                    "language": p.fingerprint.language,
                    "proxy": p.proxy_id,
                    "notes": p.notes,
                })
            })
            .collect();
        Response::json(
            200,
            &json!({
                "version": "1.0",
                "exportedAt": edge::time::now_ms(),
                "profiles": items,
            }),
        )
    })();
    v1::answer(ctx, result, Ok)
}

/// `POST /api/v1/profiles/import {profiles: [1..50 of create's body]}` ->
/// 201 `{results: [{index, success, id?, name?, error?}], imported,
/// failed}`: each profile is created on its own, as one create would be.
pub fn import(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let result = allowed(ctx, "profiles:write", Permission::Sync).and_then(|caller| {
        platform_bindings::idempotent(ctx, &caller, |ctx| import_as(ctx, &caller))
    });
    v1::answer(ctx, result, Ok)
}

fn import_as(ctx: &mut Ctx, caller: &Principal) -> Result<Response, ApiError> {
    let input = ctx.json::<Map<String, Value>>()?;
    let items = match input.get("profiles") {
        Some(Value::Array(items)) if !items.is_empty() && items.len() <= MAX_IMPORT => {
            items.clone()
        }
        _ => {
            return Err(ApiError::invalid_input(vec![FieldError::new(
                "profiles",
                format!("must be a list of 1 to {MAX_IMPORT} profiles"),
            )]));
        }
    };
    let mut results = Vec::new();
    let (mut imported, mut failed) = (0, 0);
    for (index, item) in items.into_iter().enumerate() {
        let outcome = match item {
            Value::Object(body) => {
                v1::set_body(ctx, &Value::Object(ours(body))).and_then(|()| create_as(ctx, caller))
            }
            _ => Err(FieldError::new(format!("profiles[{index}]"), "must be an object").into()),
        };
        let response = outcome.unwrap_or_else(|e| e.into_response(&ctx.request_id));
        let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
        if response.status == 201 {
            imported += 1;
            results.push(
                json!({"index": index, "success": true, "id": body["id"], "name": body["name"]}),
            );
        } else {
            failed += 1;
            results.push(json!({"index": index, "success": false, "error": body["message"], "code": body["code"]}));
        }
    }
    Response::json(
        201,
        &json!({ "results": results, "imported": imported, "failed": failed }),
    )
}

/// `POST /api/v1/profiles/:id/regenerate-fingerprint` -> the profile with
/// `message`, `userAgent` and `platform` (what the dashboard shows).
pub fn regenerate(ctx: &mut Ctx) -> Result<Response, ApiError> {
    v1::run(ctx, shared::regenerate_fingerprint, |b| {
        Ok(with_message(b, "Fingerprint regenerated successfully"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dashboards_proxy_id_and_template_ids_read_as_ours() {
        let m = |v: Value| match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        };
        let b = ours(m(
            json!({"proxy": "abc", "templateId": "mac_safari_desktop"}),
        ));
        assert_eq!(b.get("proxyId"), Some(&json!("abc")));
        assert_eq!(b.get("proxy"), None);
        assert_eq!(b.get("templateId"), Some(&json!("macos-safari")));
        let b = ours(m(
            json!({"proxy": "socks5://u:p@h:1", "templateId": "windows-chrome"}),
        ));
        assert_eq!(b.get("proxy"), Some(&json!("socks5://u:p@h:1")));
        assert_eq!(b.get("templateId"), Some(&json!("windows-chrome")));
        let b = ours(m(json!({"proxy": "", "name": "x"})));
        assert_eq!(b.get("proxyId"), Some(&Value::Null));
        let b = ours(m(json!({"proxy": null})));
        assert_eq!(b.get("proxyId"), Some(&Value::Null));
    }
}
