//! One module per resource. A handler authenticates through the `identity`
//! dependency, parses its input into domain types (every invalid field named
//! in one 400, as seed 001's extension API answers bad input), calls the
//! persistence layer and answers in the `{success, data, message?}` envelope.

pub mod flows;
pub mod health;
pub mod projects;
pub mod test_plans;

use edge::{ApiError, Ctx, FieldError};
use platform_bindings::Principal;
use serde_json::{Map, Value};

use crate::domain::{self, Page};
use crate::persistence::Actor;

/// The authenticated caller, holding `scope`.
pub(crate) fn caller(ctx: &mut Ctx, scope: &str) -> Result<Principal, ApiError> {
    let principal = platform_bindings::authenticate(ctx)?;
    platform_bindings::require_scope(&principal, scope)?;
    Ok(principal)
}

/// The caller as the persistence layer records it in the audit log.
pub(crate) fn actor<'a>(caller: &'a Principal, ctx: &'a Ctx) -> Actor<'a> {
    Actor {
        user_id: &caller.user_id,
        team_id: &caller.team_id,
        request_id: &ctx.request_id,
    }
}

/// The body as a JSON object. Unreadable JSON is 400, a wrong content type
/// 415 (from the edge).
pub(crate) fn body(ctx: &Ctx) -> Result<Map<String, Value>, ApiError> {
    ctx.json::<Map<String, Value>>()
        .map_err(ApiError::into_invalid_input)
}

/// 400 naming every invalid field, or nothing.
pub(crate) fn check(errors: Vec<FieldError>) -> Result<(), ApiError> {
    domain::all_valid(errors).map_err(ApiError::invalid_input)
}

/// `?limit=&offset=`, 400 naming a bad one.
pub(crate) fn page(ctx: &Ctx) -> Result<Page, ApiError> {
    Page::parse(
        ctx.query("limit").as_deref(),
        ctx.query("offset").as_deref(),
    )
    .map_err(ApiError::invalid_input)
}

/// The `pagination` object of a list response.
pub(crate) fn pagination(page: Page, total: i64) -> Value {
    serde_json::json!({ "limit": page.limit, "offset": page.offset, "total": total })
}

/// A path id that cannot be one of ours is 404 at once.
pub(crate) fn row_id(
    ctx: &Ctx,
    name: &str,
    not_found: fn() -> ApiError,
) -> Result<String, ApiError> {
    let id = ctx.param(name)?;
    if domain::is_row_id(id) {
        Ok(id.to_owned())
    } else {
        Err(not_found())
    }
}

/// A body field, telling "absent" from `null` from a value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Field<'a> {
    Absent,
    Null,
    Present(&'a Value),
}

impl<'a> Field<'a> {
    pub(crate) fn of(body: &'a Map<String, Value>, name: &str) -> Self {
        match body.get(name) {
            None => Field::Absent,
            Some(Value::Null) => Field::Null,
            Some(v) => Field::Present(v),
        }
    }

    /// The value when present, else `null` (for parsers that take a Value).
    pub(crate) fn value(self) -> &'a Value {
        match self {
            Field::Present(v) => v,
            Field::Absent | Field::Null => &Value::Null,
        }
    }
}

/// A string field: `Ok(None)` when absent or null, an error naming the field
/// when it is not a string.
pub(crate) fn string<'a>(
    body: &'a Map<String, Value>,
    name: &str,
) -> Result<Option<&'a str>, FieldError> {
    match Field::of(body, name) {
        Field::Absent | Field::Null => Ok(None),
        Field::Present(Value::String(s)) => Ok(Some(s)),
        Field::Present(_) => Err(FieldError::new(name, "must be a string")),
    }
}

/// A required, bounded, single-line text field.
pub(crate) fn required_text(
    body: &Map<String, Value>,
    name: &str,
    max: usize,
) -> Result<String, FieldError> {
    domain::required_text(name, string(body, name)?.unwrap_or(""), max)
}

/// An optional, bounded text field (blank = none).
pub(crate) fn optional_text(
    body: &Map<String, Value>,
    name: &str,
    max: usize,
) -> Result<Option<String>, FieldError> {
    domain::optional_text(name, string(body, name)?, max)
}

/// For an update: `None` to keep the field, `Some(new)` to replace it
/// (`Some(None)` clears an optional field sent as null or blank).
pub(crate) fn optional_text_patch(
    body: &Map<String, Value>,
    name: &str,
    max: usize,
) -> Result<Option<Option<String>>, FieldError> {
    match Field::of(body, name) {
        Field::Absent => Ok(None),
        _ => optional_text(body, name, max).map(Some),
    }
}

/// Splits results into values and the errors to report.
pub(crate) fn collect<T>(result: Result<T, FieldError>, errors: &mut Vec<FieldError>) -> Option<T> {
    match result {
        Ok(v) => Some(v),
        Err(e) => {
            errors.push(e);
            None
        }
    }
}

/// Like [`collect`] for parsers that report several fields.
pub(crate) fn collect_all<T>(
    result: Result<T, Vec<FieldError>>,
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    match result {
        Ok(v) => Some(v),
        Err(mut e) => {
            errors.append(&mut e);
            None
        }
    }
}

/// The value of a field that passed validation (the caller checked
/// `errors` is empty, so `None` here is a bug, not a client error).
pub(crate) fn valid<T>(value: Option<T>) -> Result<T, ApiError> {
    value.ok_or_else(|| ApiError::internal("validation passed but a field did not parse"))
}
