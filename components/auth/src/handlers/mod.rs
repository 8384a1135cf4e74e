//! One module per resource. A handler parses its input into domain types,
//! authenticates through the `identity` dependency when the route needs it,
//! calls the persistence layer and builds the JSON view.

pub mod account;
pub mod auth;
pub mod docs;
pub mod health;
pub mod info;
pub mod keys;

use edge::{ApiError, FieldError};

/// Collects field parse results into one 422 naming every invalid field.
pub(crate) fn all_valid(errors: Vec<Option<FieldError>>) -> Result<(), ApiError> {
    let errors: Vec<FieldError> = errors.into_iter().flatten().collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}
