//! Parse, don't validate: the component's input types, each with a `parse`
//! that returns the value in normal form or [`FieldError`]s naming the field
//! as the client sent it (`testCases[2].steps[0]`). Free of Spin imports, so
//! everything here is unit-tested natively.

pub mod flow;
pub mod hostname;
pub mod test_case;

use edge::FieldError;

pub use edge::page::Page;
pub use hostname::Hostname;

/// Longest project, test plan or flow name, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest description (or goal), in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 2000;

/// Trimmed text of 1..=`max` characters without control characters.
pub fn required_text(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(FieldError::new(field, "is required"));
    }
    bounded(field, text, max, false)
}

/// Like [`required_text`], but an absent, null or blank value is `None`;
/// line breaks and tabs are allowed (descriptions are prose).
pub fn optional_text(
    field: &str,
    raw: Option<&str>,
    max: usize,
) -> Result<Option<String>, FieldError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => bounded(field, text, max, true).map(Some),
    }
}

fn bounded(field: &str, text: &str, max: usize, multiline: bool) -> Result<String, FieldError> {
    if text.chars().count() > max {
        return Err(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    let allowed = |c: char| multiline && matches!(c, '\n' | '\r' | '\t');
    if text.chars().any(|c| c.is_control() && !allowed(c)) {
        return Err(FieldError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(text.to_owned())
}

pub use edge::ids::is_row_id;

/// Collects per-field results into `Ok` or every error.
pub fn all_valid(errors: Vec<FieldError>) -> Result<(), Vec<FieldError>> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_text_is_trimmed_bounded_and_single_line() {
        assert_eq!(
            required_text("name", "  Shop  ", 10).expect("valid"),
            "Shop"
        );
        assert_eq!(
            required_text("name", " ", 10).expect_err("blank").message,
            "is required"
        );
        assert!(required_text("name", &"x".repeat(11), 10).is_err());
        assert!(required_text("name", "a\nb", 10).is_err());
        assert!(required_text("name", "ünïcödé", 7).is_ok());
    }

    #[test]
    fn optional_text_treats_blank_as_absent_and_allows_line_breaks() {
        assert_eq!(optional_text("d", None, 5).expect("valid"), None);
        assert_eq!(optional_text("d", Some("  "), 5).expect("valid"), None);
        assert_eq!(
            optional_text("d", Some("a\nb"), 5)
                .expect("valid")
                .as_deref(),
            Some("a\nb")
        );
        assert!(optional_text("d", Some("a\u{0000}b"), 5).is_err());
        assert!(optional_text("d", Some("abcdef"), 5).is_err());
    }

    #[test]
    fn row_ids_are_32_lowercase_hex_characters() {
        assert!(is_row_id("0123456789abcdef0123456789abcdef"));
        assert!(!is_row_id("0123456789ABCDEF0123456789ABCDEF"));
        assert!(!is_row_id("0123456789abcdef"));
        assert!(!is_row_id("../../etc/passwd"));
    }
}
