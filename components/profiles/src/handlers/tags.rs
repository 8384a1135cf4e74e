//! `GET /api/tags`: the tags the team's profiles carry, with counts.

use edge::{ApiError, Ctx, Response, db};
use serde_json::json;

use super::{caller, page};
use crate::persistence::profiles as store;

/// `GET /api/tags?limit&offset` -> `{tags: [{name, count}], total}`, most
/// used first.
pub fn list(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = caller(ctx, "profiles:read")?;
    let page = page(ctx)?;
    let db = db::open()?;
    let (tags, total) = store::tags(&db, &caller.team_id, page.limit, page.offset)?;
    let views: Vec<_> = tags
        .iter()
        .map(|(name, count)| json!({ "name": name, "count": count }))
        .collect();
    Response::json(
        200,
        &json!({ "tags": views, "total": total, "limit": page.limit, "offset": page.offset }),
    )
}
