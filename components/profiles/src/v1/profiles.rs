//! `GET /api/v1/profiles` and `/api/v1/profiles/:id`.

use edge::v1::{self, PageNumber};
use edge::{ApiError, Ctx, Response};
use serde_json::Value;

use crate::handlers::profiles as shared;

/// `?page&limit&sortBy&sortOrder&status&search&groupId&tags` -> `{items,
/// profiles, total, page, pageSize, totalPages}`: the dashboard reads
/// `items`, the CLI `profiles`.
pub fn list(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let page = match PageNumber::take(ctx, 50, 100) {
        Ok(p) => p,
        Err(e) => return v1::answer(ctx, Err(e), Ok),
    };
    v1::rename_query(
        ctx,
        &[
            ("sortBy", "orderBy"),
            ("sortOrder", "order"),
            ("tags", "tag"),
        ],
    );
    v1::run(ctx, shared::list, |mut body| {
        let total = body["total"].as_i64().unwrap_or(0);
        let items: Vec<Value> = match v1::take(&mut body, "profiles") {
            Value::Array(items) => items.into_iter().map(super::profile).collect(),
            _ => Vec::new(),
        };
        let mut out = page.listed(items.clone(), total);
        out["profiles"] = Value::Array(items);
        Ok(out)
    })
}

/// `GET /api/v1/profiles/:id`.
pub fn get(ctx: &mut Ctx) -> Result<Response, ApiError> {
    v1::run(ctx, shared::get, |body| Ok(super::profile(body)))
}
