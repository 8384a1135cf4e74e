//! `/api/webhooks`: a team's outbound webhooks, for its admins and owners
//! (`Permission::ManageWebhooks`; credentials need `webhooks:read` /
//! `webhooks:write`). The list and create act on `?teamId` (the caller must
//! be a member) or the credential's team; a webhook by id is reachable by
//! the admins of its own team only (anyone else: 404). The signing secret
//! is returned once, by create and by rotate; invalid input is 400 naming
//! each field (`url` against `webhook_allowed_hosts`).

use edge::{ApiError, Ctx, FieldError, Response, db};
use platform_bindings::Principal;
use serde_json::{Map, Value, json};
use webhooks::store::{self, Webhook};
use webhooks::{config, events, hosts, secret};

use crate::persistence;
use roles::{Permission, Role};

const MAX_DESCRIPTION_CHARS: usize = 200;

pub(crate) fn not_found() -> ApiError {
    ApiError::not_found("webhook_not_found", "No webhook with this id")
}

/// The authenticated caller holding `scope`.
fn caller(ctx: &mut Ctx, scope: &str) -> Result<Principal, ApiError> {
    let principal = platform_bindings::authenticate(ctx)?;
    platform_bindings::require_scope(&principal, scope)?;
    Ok(principal)
}

/// `?teamId` (a team the caller is a member of) or the credential's team,
/// if the caller's role there manages webhooks.
fn team_of_request(ctx: &Ctx, db: &db::Connection, caller: &Principal) -> Result<String, ApiError> {
    let (team_id, role) = match ctx.query("teamId") {
        None => (
            caller.team_id.clone(),
            platform_bindings::role_of(caller.role),
        ),
        Some(id) => {
            let team = if super::is_id(&id) {
                persistence::team_of_member(db, &id, &caller.user_id)?
            } else {
                None
            };
            let team = team.ok_or_else(super::team_not_found)?;
            let role = Role::parse(team.role).ok_or_else(|| ApiError::internal("team role"))?;
            (team.id, role)
        }
    };
    roles::require(role, Permission::ManageWebhooks)?;
    Ok(team_id)
}

/// The webhook `:id`, if the caller manages webhooks in its team (not a
/// member of it: 404; a member without the role: 403).
pub(crate) fn webhook_for(
    ctx: &Ctx,
    db: &db::Connection,
    caller: &Principal,
) -> Result<Webhook, ApiError> {
    let id = ctx.param("id")?;
    if !super::is_id(id) {
        return Err(not_found());
    }
    let webhook = store::get(db, id)?.ok_or_else(not_found)?;
    let team = persistence::team_of_member(db, &webhook.team_id, &caller.user_id)?
        .ok_or_else(not_found)?;
    let role = Role::parse(team.role).ok_or_else(|| ApiError::internal("team role"))?;
    roles::require(role, Permission::ManageWebhooks)?;
    Ok(webhook)
}

/// The fields of a create or update body; `None` when absent.
struct Input {
    url: Option<String>,
    events: Option<Vec<String>>,
    description: Option<String>,
    active: Option<bool>,
}

/// Reads and checks the body; `required` for create. 400 naming each field.
fn input(ctx: &Ctx, required: bool) -> Result<Input, ApiError> {
    let body: Map<String, Value> = ctx.json().map_err(ApiError::into_invalid_input)?;
    let mut errors = Vec::new();
    let settings = config::settings()?;
    let url = match body.get("url") {
        Some(Value::String(raw)) => hosts::check_url(raw, &settings.allowed)
            .map(|u| u.to_string())
            .map_err(|why| errors.push(FieldError::new("url", why)))
            .ok(),
        None if !required => None,
        _ => {
            errors.push(FieldError::new("url", "is required: an https:// URL"));
            None
        }
    };
    let events = match body.get("events") {
        Some(v) => match serde_json::from_value::<Vec<String>>(v.clone()) {
            Ok(list) => events::parse_list(&list)
                .map(|l| l.iter().map(|e| e.name().to_owned()).collect())
                .map_err(|why| errors.push(FieldError::new("events", why)))
                .ok(),
            Err(_) => {
                errors.push(FieldError::new("events", "must be a list of event names"));
                None
            }
        },
        None if !required => None,
        None => {
            errors.push(FieldError::new(
                "events",
                format!("is required: a list of {}", events::names()),
            ));
            None
        }
    };
    let description = match body.get("description") {
        None => None,
        Some(Value::Null) => Some(String::new()),
        Some(Value::String(s))
            if s.chars().count() <= MAX_DESCRIPTION_CHARS && !s.chars().any(char::is_control) =>
        {
            Some(s.trim().to_owned())
        }
        Some(_) => {
            errors.push(FieldError::new(
                "description",
                format!("must be text of at most {MAX_DESCRIPTION_CHARS} characters"),
            ));
            None
        }
    };
    let active = match body.get("active") {
        None => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => {
            errors.push(FieldError::new("active", "must be true or false"));
            None
        }
    };
    if !errors.is_empty() {
        return Err(ApiError::invalid_input(errors));
    }
    Ok(Input {
        url,
        events,
        description,
        active,
    })
}

/// `GET /api/webhooks?teamId` -> `{webhooks, total}`.
pub fn list(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = caller(ctx, "webhooks:read")?;
    let db = db::open()?;
    let team_id = team_of_request(ctx, &db, &caller)?;
    let hooks = store::list(&db, &team_id)?;
    Response::json(
        200,
        &json!({
            "webhooks": hooks.iter().map(Webhook::view).collect::<Vec<_>>(),
            "total": hooks.len(),
        }),
    )
}

/// `POST /api/webhooks?teamId {url, events, description?, active?}` -> 201
/// `{webhook, secret, message}`: the secret is shown here only.
pub fn create(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = caller(ctx, "webhooks:write")?;
    platform_bindings::idempotent(ctx, &caller, |ctx| create_as(ctx, &caller))
}

fn create_as(ctx: &mut Ctx, caller: &Principal) -> Result<Response, ApiError> {
    let db = db::open()?;
    let team_id = team_of_request(ctx, &db, caller)?;
    let input = input(ctx, true)?;
    let (Some(url), Some(events)) = (input.url, input.events) else {
        return Err(ApiError::internal(
            "validation passed but a field is missing",
        ));
    };
    let id = edge::ids::new_id()?;
    let plain = secret::generate()?;
    let now = edge::time::now_ms();
    let webhook = Webhook {
        secret_sealed: secret::seal(&config::keys()?, &team_id, &id, &plain)?,
        secret_last4: secret::last4(&plain),
        id,
        team_id,
        url,
        events,
        description: input.description.unwrap_or_default(),
        active: input.active.unwrap_or(true),
        created_by: Some(caller.user_id.clone()),
        created_at: now,
        updated_at: now,
    };
    db::transaction(&db, |db| {
        if store::count(db, &webhook.team_id)? >= store::MAX_PER_TEAM {
            return Err(ApiError::conflict(
                "webhook_limit_reached",
                format!("A team may have at most {} webhooks", store::MAX_PER_TEAM),
            ));
        }
        store::insert(db, &webhook)?;
        audit(db, caller, &webhook, "webhook.create", &ctx.request_id)
    })?;
    Response::json(
        201,
        &json!({
            "webhook": webhook.view(),
            "secret": plain,
            "message": "Store this signing secret now: it is not shown again",
        }),
    )
}

fn audit(
    db: &db::Connection,
    caller: &Principal,
    w: &Webhook,
    action: &'static str,
    request_id: &str,
) -> Result<(), ApiError> {
    db::audit(
        db,
        &db::AuditEntry {
            team_id: Some(&w.team_id),
            user_id: Some(&caller.user_id),
            action,
            target_type: "webhook",
            target_id: &w.id,
            details: json!({ "url": w.url, "events": w.events, "active": w.active }),
            request_id,
        },
    )
}

/// `GET /api/webhooks/:id`.
pub fn get(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = caller(ctx, "webhooks:read")?;
    let db = db::open()?;
    let webhook = webhook_for(ctx, &db, &caller)?;
    Response::json(200, &webhook.view())
}

/// `PUT /api/webhooks/:id {url?, events?, description?, active?}` -> the webhook.
pub fn update(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = caller(ctx, "webhooks:write")?;
    let db = db::open()?;
    let mut webhook = webhook_for(ctx, &db, &caller)?;
    let input = input(ctx, false)?;
    if let Some(url) = input.url {
        webhook.url = url;
    }
    if let Some(events) = input.events {
        webhook.events = events;
    }
    if let Some(d) = input.description {
        webhook.description = d;
    }
    if let Some(a) = input.active {
        webhook.active = a;
    }
    webhook.updated_at = edge::time::now_ms().max(webhook.updated_at + 1);
    db::transaction(&db, |db| {
        store::update(db, &webhook)?;
        audit(db, &caller, &webhook, "webhook.update", &ctx.request_id)
    })?;
    Response::json(200, &webhook.view())
}

/// `DELETE /api/webhooks/:id` -> `{success, id}`; its deliveries go with it.
pub fn delete(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = caller(ctx, "webhooks:write")?;
    let db = db::open()?;
    let webhook = webhook_for(ctx, &db, &caller)?;
    db::transaction(&db, |db| {
        store::delete(db, &webhook.team_id, &webhook.id)?;
        audit(db, &caller, &webhook, "webhook.delete", &ctx.request_id)
    })?;
    Response::json(200, &json!({ "success": true, "id": webhook.id }))
}

/// `POST /api/webhooks/:id/secret` -> `{webhook, secret, message}`: a new
/// signing secret, shown here only; the old one signs nothing from now on.
pub fn rotate_secret(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = caller(ctx, "webhooks:write")?;
    let db = db::open()?;
    let mut webhook = webhook_for(ctx, &db, &caller)?;
    let plain = secret::generate()?;
    webhook.secret_sealed = secret::seal(&config::keys()?, &webhook.team_id, &webhook.id, &plain)?;
    webhook.secret_last4 = secret::last4(&plain);
    webhook.updated_at = edge::time::now_ms().max(webhook.updated_at + 1);
    db::transaction(&db, |db| {
        store::update(db, &webhook)?;
        audit(
            db,
            &caller,
            &webhook,
            "webhook.rotate_secret",
            &ctx.request_id,
        )
    })?;
    Response::json(
        200,
        &json!({
            "webhook": webhook.view(),
            "secret": plain,
            "message": "Store this signing secret now: it is not shown again",
        }),
    )
}

/// `GET /api/webhooks/:id/deliveries?status&limit&cursor` -> `{deliveries,
/// nextCursor, limit}`, newest first.
pub fn deliveries(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = caller(ctx, "webhooks:read")?;
    let db = db::open()?;
    let webhook = webhook_for(ctx, &db, &caller)?;
    let status = match ctx.query("status") {
        None => Ok(None),
        Some(s) if ["pending", "delivered", "failed"].contains(&s.as_str()) => Ok(Some(s)),
        Some(_) => Err(FieldError::new(
            "status",
            "must be pending, delivered or failed",
        )),
    };
    let limit = super::int_query(ctx, "limit", Some(20), 1, 100);
    let cursor = match ctx.query("cursor") {
        None => Ok(None),
        Some(c) => crate::handlers::audit::decode_cursor(c.trim())
            .map(Some)
            .ok_or_else(|| FieldError::new("cursor", "is not a cursor from a previous page")),
    };
    let errors: Vec<FieldError> = [
        status.as_ref().err(),
        limit.as_ref().err(),
        cursor.as_ref().err(),
    ]
    .into_iter()
    .flatten()
    .cloned()
    .collect();
    if !errors.is_empty() {
        return Err(ApiError::invalid_input(errors));
    }
    let (Ok(status), Ok(limit), Ok(cursor)) = (status, limit, cursor) else {
        return Err(ApiError::internal(
            "validation passed but a query did not parse",
        ));
    };
    let limit = limit.unwrap_or(20);
    let (page, next) = webhooks::outbox::list(
        &db,
        &webhook.team_id,
        &webhook.id,
        status.as_deref(),
        cursor,
        limit,
    )?;
    Response::json(
        200,
        &json!({
            "deliveries": page.into_iter().map(|d| d.view).collect::<Vec<_>>(),
            "nextCursor": next.map(crate::handlers::audit::encode_cursor),
            "limit": limit,
        }),
    )
}

/// `POST /api/webhooks/:id/deliveries/retry` -> `{attempted, deliveries}`:
/// the webhook's oldest undelivered deliveries (pending, or failed for
/// good: one more attempt each), at most five, are attempted now; call
/// again for more. 409 while the webhook is inactive.
pub fn retry(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = caller(ctx, "webhooks:write")?;
    let db = db::open()?;
    let webhook = webhook_for(ctx, &db, &caller)?;
    if !webhook.active {
        return Err(ApiError::conflict(
            "webhook_inactive",
            "The webhook is inactive: activate it first (PUT {\"active\": true})",
        ));
    }
    let ids = webhooks::deliver::retry(&db, &webhook.team_id, &webhook.id, &ctx.request_id)?;
    db::audit(
        &db,
        &db::AuditEntry {
            team_id: Some(&webhook.team_id),
            user_id: Some(&caller.user_id),
            action: "webhook.retry",
            target_type: "webhook",
            target_id: &webhook.id,
            details: json!({ "deliveries": ids }),
            request_id: &ctx.request_id,
        },
    )?;
    let views = webhooks::outbox::views(&db, &webhook.team_id, &ids)?;
    Response::json(
        200,
        &json!({ "attempted": views.len(), "deliveries": views }),
    )
}
