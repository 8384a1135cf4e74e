//! `GET /api/templates`: the fingerprint templates (compiled in).

use edge::{ApiError, Ctx, Response};
use serde_json::json;

use super::{caller, page};
use crate::domain::fingerprint;

/// `GET /api/templates?limit&offset` -> `{templates: [{id, name, os,
/// browser, device}], total}`.
pub fn list(ctx: &mut Ctx) -> Result<Response, ApiError> {
    caller(ctx, "profiles:read")?;
    let page = page(ctx)?;
    let catalog = fingerprint::catalog().map_err(ApiError::internal)?;
    let views: Vec<_> = catalog
        .templates
        .iter()
        .skip(page.offset as usize)
        .take(page.limit as usize)
        .map(|t| json!({ "id": t.id, "name": t.name, "os": t.os, "browser": t.browser, "device": t.device }))
        .collect();
    Response::json(
        200,
        &json!({
            "templates": views,
            "total": catalog.templates.len(),
            "limit": page.limit,
            "offset": page.offset,
        }),
    )
}

/// `GET /api/templates/:id` -> the whole template, with every value it
/// picks from, and the locales.
pub fn get(ctx: &mut Ctx) -> Result<Response, ApiError> {
    caller(ctx, "profiles:read")?;
    let id = ctx.param("id")?.to_owned();
    let catalog = fingerprint::catalog().map_err(ApiError::internal)?;
    let template = catalog
        .template(&id)
        .ok_or_else(|| ApiError::not_found("template_not_found", "No template with this id"))?;
    let mut body = serde_json::to_value(template).map_err(ApiError::internal)?;
    body["locales"] = serde_json::to_value(&catalog.locales).map_err(ApiError::internal)?;
    Response::json(200, &body)
}
