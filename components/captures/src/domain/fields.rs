//! A capture's descriptive fields (seed 001's upload body: `projectId`,
//! `url`, `title`, `notes`, `domSnapshot`, plus `viewport` and `metadata`),
//! the same rules whether they come from a JSON body or, for a raw image
//! upload, from query parameters.

use edge::FieldError;
use serde_json::{Map, Value};

use super::{optional_text, required_text};

/// Longest page URL, in characters.
pub const MAX_URL_CHARS: usize = 2048;
/// Longest page title, in characters.
pub const MAX_TITLE_CHARS: usize = 500;
/// Longest notes, in characters.
pub const MAX_NOTES_CHARS: usize = 2000;
/// Largest `metadata` object, in bytes of JSON.
pub const MAX_METADATA_BYTES: usize = 16 * 1024;
/// Largest viewport side, in CSS pixels.
pub const MAX_VIEWPORT_SIDE: u64 = 100_000;
/// Largest device pixel ratio.
pub const MAX_PIXEL_RATIO: f64 = 16.0;

/// The text fields every upload has, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Described {
    /// The project the capture is for, trimmed; `None` when not given.
    /// (Whether it is one of the caller's is for the database to say.)
    pub project_id: Option<String>,
    pub url: String,
    pub title: Option<String>,
    pub notes: Option<String>,
}

/// Parses the text fields, pushing every problem onto `errors`.
pub fn describe(
    project_id: Option<&str>,
    url: Option<&str>,
    title: Option<&str>,
    notes: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> Option<Described> {
    let url = parse_url("url", url.unwrap_or(""))
        .map_err(|e| errors.push(e))
        .ok();
    let title = optional_text("title", title, MAX_TITLE_CHARS, false)
        .map_err(|e| errors.push(e))
        .ok();
    let notes = optional_text("notes", notes, MAX_NOTES_CHARS, true)
        .map_err(|e| errors.push(e))
        .ok();
    let project_id = project_id
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned);
    Some(Described {
        project_id,
        url: url?,
        title: title?,
        notes: notes?,
    })
}

/// The captured page's address: an absolute URL of any scheme (pages of
/// `http`, `https`, `file`, `chrome-extension` … are all captured), 1 to
/// 2048 characters, without whitespace or control characters.
pub fn parse_url(field: &str, raw: &str) -> Result<String, FieldError> {
    let url = required_text(field, raw, MAX_URL_CHARS)?;
    if url.chars().any(char::is_whitespace) {
        return Err(FieldError::new(field, "must not contain whitespace"));
    }
    let scheme = url.split_once(':').map(|(s, _)| s).unwrap_or("");
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok || url.len() == scheme.len() + 1 {
        return Err(FieldError::new(
            field,
            "must be an absolute URL (https://example.com/page)",
        ));
    }
    Ok(url)
}

/// `viewport`: absent or null, or `{width, height, devicePixelRatio?}` with
/// whole-number sides of 1 to 100000 and a ratio above 0 up to 16. Returned
/// with only those keys.
pub fn parse_viewport(field: &str, raw: &Value) -> Result<Option<Value>, Vec<FieldError>> {
    let object = match raw {
        Value::Null => return Ok(None),
        Value::Object(o) => o,
        _ => {
            return Err(vec![FieldError::new(
                field,
                "must be an object {width, height, devicePixelRatio?}",
            )]);
        }
    };
    let mut errors = Vec::new();
    let mut out = Map::new();
    for side in ["width", "height"] {
        match object.get(side).and_then(Value::as_u64) {
            Some(n) if (1..=MAX_VIEWPORT_SIDE).contains(&n) => {
                out.insert(side.into(), n.into());
            }
            _ => errors.push(FieldError::new(
                format!("{field}.{side}"),
                format!("must be a whole number from 1 to {MAX_VIEWPORT_SIDE}"),
            )),
        }
    }
    match object.get("devicePixelRatio") {
        None | Some(Value::Null) => {}
        Some(v) => match v.as_f64() {
            Some(r) if r > 0.0 && r <= MAX_PIXEL_RATIO => {
                out.insert("devicePixelRatio".into(), v.clone());
            }
            _ => errors.push(FieldError::new(
                format!("{field}.devicePixelRatio"),
                format!("must be a number above 0, at most {MAX_PIXEL_RATIO}"),
            )),
        },
    }
    for key in object.keys() {
        if !matches!(key.as_str(), "width" | "height" | "devicePixelRatio") {
            errors.push(FieldError::new(
                format!("{field}.{key}"),
                "is not a viewport field (width, height, devicePixelRatio)",
            ));
        }
    }
    if errors.is_empty() {
        Ok(Some(Value::Object(out)))
    } else {
        Err(errors)
    }
}

/// `metadata`: absent or null, or a JSON object of at most 16 KiB.
pub fn parse_metadata(field: &str, raw: &Value) -> Result<Option<Value>, FieldError> {
    match raw {
        Value::Null => Ok(None),
        Value::Object(_) if raw.to_string().len() > MAX_METADATA_BYTES => Err(FieldError::new(
            field,
            format!("must be at most {MAX_METADATA_BYTES} bytes of JSON"),
        )),
        Value::Object(_) => Ok(Some(raw.clone())),
        _ => Err(FieldError::new(field, "must be an object")),
    }
}

/// A DOM snapshot over its limit: its size in bytes of JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotTooLarge(pub usize);

/// `domSnapshot`: absent or null, or any JSON value (seed 001 sends an
/// object; an HTML string is fine too), kept as compact JSON text of at
/// most `max` bytes.
pub fn dom_snapshot(raw: &Value, max: usize) -> Result<Option<String>, SnapshotTooLarge> {
    if raw.is_null() {
        return Ok(None);
    }
    let text = raw.to_string();
    if text.len() > max {
        return Err(SnapshotTooLarge(text.len()));
    }
    Ok(Some(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn names(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn the_seed_fields_are_trimmed_and_blank_optionals_are_absent() {
        let mut errors = Vec::new();
        let d = describe(
            Some(" 0123456789abcdef0123456789abcdef "),
            Some(" https://example.com/page "),
            Some("Login Page"),
            Some("  "),
            &mut errors,
        )
        .expect("valid");
        assert!(errors.is_empty());
        assert_eq!(
            d.project_id.as_deref(),
            Some("0123456789abcdef0123456789abcdef")
        );
        assert_eq!(d.url, "https://example.com/page");
        assert_eq!(d.title.as_deref(), Some("Login Page"));
        assert_eq!(d.notes, None);
        let d = describe(
            Some(""),
            Some("file:///tmp/a.html"),
            None,
            None,
            &mut errors,
        )
        .expect("valid");
        assert_eq!(d.project_id, None);
    }

    #[test]
    fn every_bad_text_field_is_named() {
        let mut errors = Vec::new();
        let long = "x".repeat(MAX_TITLE_CHARS + 1);
        assert!(describe(None, None, Some(&long), Some("a\u{7}"), &mut errors).is_none());
        assert_eq!(names(&errors), vec!["url", "title", "notes"]);
    }

    #[test]
    fn urls_are_absolute_without_whitespace() {
        for ok in [
            "https://example.com/a?b=c#d",
            "http://localhost:3000",
            "chrome-extension://abc/page.html",
            "about:blank",
        ] {
            assert_eq!(parse_url("url", ok).expect(ok), ok);
        }
        for bad in [
            "",
            "example.com/page",
            "/relative",
            "https://exa mple.com",
            "1http://x",
            "https:",
            "://x",
        ] {
            assert_eq!(parse_url("url", bad).expect_err(bad).field, "url", "{bad}");
        }
        assert!(parse_url("url", &format!("https://e.com/{}", "a".repeat(2048))).is_err());
    }

    #[test]
    fn a_viewport_keeps_its_three_fields() {
        assert_eq!(
            parse_viewport("viewport", &json!(null)).expect("absent"),
            None
        );
        assert_eq!(
            parse_viewport(
                "viewport",
                &json!({ "width": 1280, "height": 720, "devicePixelRatio": 2 })
            )
            .expect("valid"),
            Some(json!({ "width": 1280, "height": 720, "devicePixelRatio": 2 }))
        );
        assert_eq!(
            parse_viewport("viewport", &json!({ "width": 1, "height": 1 })).expect("valid"),
            Some(json!({ "width": 1, "height": 1 }))
        );
    }

    #[test]
    fn a_bad_viewport_names_each_field() {
        let errors = parse_viewport(
            "viewport",
            &json!({ "width": 0, "height": 1.5, "devicePixelRatio": -1, "zoom": 2 }),
        )
        .expect_err("invalid");
        assert_eq!(
            names(&errors),
            vec![
                "viewport.width",
                "viewport.height",
                "viewport.devicePixelRatio",
                "viewport.zoom"
            ]
        );
        assert!(parse_viewport("viewport", &json!([1280, 720])).is_err());
    }

    #[test]
    fn metadata_is_a_bounded_object() {
        assert_eq!(
            parse_metadata("metadata", &json!(null)).expect("absent"),
            None
        );
        assert_eq!(
            parse_metadata("metadata", &json!({ "browser": "Chrome 131" })).expect("valid"),
            Some(json!({ "browser": "Chrome 131" }))
        );
        assert!(parse_metadata("metadata", &json!("text")).is_err());
        let big = json!({ "x": "y".repeat(MAX_METADATA_BYTES) });
        assert!(parse_metadata("metadata", &big).is_err());
    }

    #[test]
    fn a_dom_snapshot_is_compact_json_within_its_limit() {
        assert_eq!(dom_snapshot(&json!(null), 10).expect("absent"), None);
        assert_eq!(
            dom_snapshot(&json!({ "html": "<p>" }), 100).expect("fits"),
            Some(r#"{"html":"<p>"}"#.to_owned())
        );
        assert_eq!(
            dom_snapshot(&json!("<html></html>"), 15).expect("fits"),
            Some(r#""<html></html>""#.to_owned())
        );
        assert_eq!(
            dom_snapshot(&json!({ "html": "<p>" }), 13),
            Err(SnapshotTooLarge(14))
        );
    }
}
