//! `POST /api/fingerprints/validate`: every inconsistency of a fingerprint.

use edge::{ApiError, Ctx, FieldError, Response};
use serde_json::Value;

use super::{body, caller};
use crate::domain::fingerprint::{self, Fingerprint};

/// `POST /api/fingerprints/validate {fingerprint}` (or the fingerprint
/// itself) -> `{valid, errors: [{code, field, message}], warnings}`. A body
/// that is not a fingerprint at all is 422 naming the field.
pub fn validate(ctx: &mut Ctx) -> Result<Response, ApiError> {
    caller(ctx, "profiles:read")?;
    let input = body(ctx)?;
    let value = match input.get("fingerprint") {
        Some(fp @ Value::Object(_)) => fp.clone(),
        _ => Value::Object(input),
    };
    let fp: Fingerprint = serde_json::from_value(value).map_err(|e| {
        let message = e.to_string();
        let field = message
            .split('`')
            .nth(1)
            .unwrap_or("fingerprint")
            .to_owned();
        ApiError::validation(vec![FieldError::new(field, message)])
    })?;
    Response::json(200, &fingerprint::validate(&fp))
}
