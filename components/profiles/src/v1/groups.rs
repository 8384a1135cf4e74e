//! `/api/v1/groups`.

use crate::handlers::groups as shared;
use edge::v1;
use edge::{ApiError, Ctx, Response};

/// -> the team's groups as a bare array (`[{id, name, color, profileCount,
/// …}]`), as both clients read it; the first 100 by name.
pub fn list(ctx: &mut Ctx) -> Result<Response, ApiError> {
    v1::set_query(ctx, &[("limit".into(), "100".into())]);
    v1::run(ctx, shared::list, |mut body| {
        Ok(v1::take(&mut body, "groups"))
    })
}
