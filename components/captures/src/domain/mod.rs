//! Parse, don't validate: the component's input types, each returning the
//! value in normal form or [`FieldError`]s naming the field as the client
//! sent it. Free of Spin imports, so everything here is unit-tested natively.

pub mod data_url;
pub mod fields;
pub mod image;

use edge::FieldError;

pub use data_url::DataUrl;
pub use edge::page::Page;
pub use image::ImageType;

/// Trimmed text of 1..=`max` characters without control characters.
pub fn required_text(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(FieldError::new(field, "is required"));
    }
    bounded(field, text, max, false)
}

/// An absent or blank value is `None`; otherwise like [`required_text`],
/// with line breaks and tabs allowed when `multiline`.
pub fn optional_text(
    field: &str,
    raw: Option<&str>,
    max: usize,
    multiline: bool,
) -> Result<Option<String>, FieldError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => bounded(field, text, max, multiline).map(Some),
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

/// The blob key of a capture's image: `captures/{userId}/{captureId}-{ms}.{ext}`
/// (seed 001's layout). Every part is made by the app (hex ids, a number,
/// a fixed extension), so the key always meets the blob store's rules.
pub fn blob_key(user_id: &str, capture_id: &str, captured_at_ms: i64, kind: ImageType) -> String {
    format!(
        "captures/{user_id}/{capture_id}-{captured_at_ms}.{}",
        kind.extension()
    )
}

/// Lowercase hex SHA-256 of `bytes`: a capture image's ETag.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether an `If-None-Match` header matches `etag` (quoted): `*`, or one
/// of its comma-separated tags, compared weakly (a `W/` prefix ignored), as
/// RFC 9110 says for `If-None-Match`.
pub fn if_none_match(header: &str, etag: &str) -> bool {
    header.split(',').map(str::trim).any(|tag| {
        tag == "*"
            || tag.strip_prefix("W/").unwrap_or(tag) == etag.strip_prefix("W/").unwrap_or(etag)
    })
}

/// Whether `id` can be one of our row ids (anything else is 404 at once).
pub use edge::ids::is_row_id;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_text_is_trimmed_bounded_and_single_line() {
        assert_eq!(required_text("t", "  Home  ", 10).expect("valid"), "Home");
        assert_eq!(
            required_text("t", " ", 10).expect_err("blank").message,
            "is required"
        );
        assert!(required_text("t", &"x".repeat(11), 10).is_err());
        assert!(required_text("t", "a\nb", 10).is_err());
    }

    #[test]
    fn optional_text_treats_blank_as_absent() {
        assert_eq!(optional_text("n", None, 5, true).expect("valid"), None);
        assert_eq!(
            optional_text("n", Some("  "), 5, true).expect("valid"),
            None
        );
        assert_eq!(
            optional_text("n", Some("a\nb"), 5, true)
                .expect("valid")
                .as_deref(),
            Some("a\nb")
        );
        assert!(optional_text("t", Some("a\nb"), 5, false).is_err());
        assert!(optional_text("n", Some("a\u{0}b"), 5, true).is_err());
    }

    #[test]
    fn blob_keys_follow_the_seed_layout() {
        assert_eq!(
            blob_key("u1", "c1", 1_760_448_258_123, ImageType::Jpeg),
            "captures/u1/c1-1760448258123.jpg"
        );
    }

    #[test]
    fn sha256_is_lowercase_hex() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn if_none_match_takes_lists_stars_and_weak_tags() {
        let etag = "\"abc\"";
        assert!(if_none_match("\"abc\"", etag));
        assert!(if_none_match("\"x\", \"abc\"", etag));
        assert!(if_none_match("W/\"abc\"", etag));
        assert!(if_none_match("*", etag));
        assert!(!if_none_match("\"abcd\"", etag));
        assert!(
            !if_none_match("abc", etag),
            "an unquoted tag is another tag"
        );
        assert!(!if_none_match("", etag));
    }
}
