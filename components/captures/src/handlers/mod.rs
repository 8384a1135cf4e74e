//! One module per concern: the upload (JSON with a data URL, or the raw
//! image), the image bytes, and the metadata routes (list, get, delete).
//! A handler authenticates through the `identity` dependency, parses its
//! input into domain types (every invalid field named in one 400), calls
//! the persistence layer and the blob store, and answers in the
//! `{success, data, message?}` envelope (the image route: the bytes).

pub mod captures;
pub mod health;
pub mod image;
pub mod upload;

use edge::{ApiError, Ctx};
use platform_bindings::Principal;
use serde_json::Value;

use crate::domain::{self, Page};
use crate::persistence::Actor;
use crate::persistence::captures::project_not_found;

const READ: &str = "captures:read";
const WRITE: &str = "captures:write";

/// The authenticated caller, holding `scope`.
fn caller(ctx: &mut Ctx, scope: &str) -> Result<Principal, ApiError> {
    let principal = platform_bindings::authenticate(ctx)?;
    platform_bindings::require_scope(&principal, scope)?;
    Ok(principal)
}

/// The caller as the persistence layer records it in the audit log.
fn actor<'a>(caller: &'a Principal, ctx: &'a Ctx) -> Actor<'a> {
    Actor {
        user_id: &caller.user_id,
        team_id: &caller.team_id,
        request_id: &ctx.request_id,
    }
}

/// `?limit=&offset=`, 400 naming a bad one.
fn page(ctx: &Ctx) -> Result<Page, ApiError> {
    Page::parse(
        ctx.query("limit").as_deref(),
        ctx.query("offset").as_deref(),
    )
    .map_err(ApiError::invalid_input)
}

/// The `pagination` object of a list response.
fn pagination(page: Page, total: i64) -> Value {
    serde_json::json!({ "limit": page.limit, "offset": page.offset, "total": total })
}

/// The `:id` of the path; an id that cannot be one of ours is 404 at once.
fn capture_id(ctx: &Ctx) -> Result<String, ApiError> {
    let id = ctx.param("id")?;
    if domain::is_row_id(id) {
        Ok(id.to_owned())
    } else {
        Err(crate::persistence::captures::not_found())
    }
}

/// A project id given by the client: one that cannot be ours is 404 like
/// an unknown one (whether it is the caller's is checked in the database).
fn project_id(raw: Option<String>) -> Result<Option<String>, ApiError> {
    match raw.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(id) if domain::is_row_id(id) => Ok(Some(id.to_owned())),
        Some(_) => Err(project_not_found()),
    }
}
