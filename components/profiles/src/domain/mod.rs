//! Input types of the component: parse, don't validate. Everything here is
//! plain Rust without Spin imports, unit-tested natively. Each `parse`
//! returns the value in its normal form or a [`FieldError`] naming the
//! field, so a handler collects every invalid field into one 422.

pub mod bulk;
pub mod crypto;
pub mod fingerprint;
pub mod proxy;
pub mod query;

use edge::FieldError;

pub use edge::ids::is_row_id;

/// Trimmed text of 1..=`max` characters without control characters.
fn bounded_text(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(FieldError::new(field, "is required"));
    }
    if text.chars().count() > max {
        return Err(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(text.to_owned())
}

/// A profile's, group's or proxy's display name: 1 to 100 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name(String);

impl Name {
    pub const MAX_CHARS: usize = 100;
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        bounded_text(field, raw, Self::MAX_CHARS).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Free-text notes: at most 1000 characters (line breaks and tabs allowed).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Notes(String);

impl Notes {
    pub const MAX_CHARS: usize = 1000;
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        if raw.chars().count() > Self::MAX_CHARS {
            return Err(FieldError::new(
                field,
                format!("must be at most {} characters", Self::MAX_CHARS),
            ));
        }
        if raw
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(FieldError::new(
                field,
                "must not contain control characters",
            ));
        }
        Ok(Self(raw.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A profile's tags: each 1 to 50 characters, trimmed, without control
/// characters; duplicates (ignoring case) dropped, order kept; at most `max`.
pub fn parse_tags(field: &str, raw: &[String], max: usize) -> Result<Vec<String>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut tags: Vec<String> = Vec::new();
    for (i, tag) in raw.iter().enumerate() {
        match bounded_text(&format!("{field}[{i}]"), tag, 50) {
            Ok(t) => {
                if !tags.iter().any(|x| x.eq_ignore_ascii_case(&t)) {
                    tags.push(t);
                }
            }
            Err(e) => errors.push(e),
        }
    }
    if tags.len() > max {
        errors.push(FieldError::new(
            field,
            format!("must list at most {max} tags"),
        ));
    }
    if errors.is_empty() {
        Ok(tags)
    } else {
        Err(errors)
    }
}

/// A group colour: `#rrggbb`, lowercased.
pub fn parse_color(field: &str, raw: &str) -> Result<String, FieldError> {
    let s = raw.trim();
    let ok = s.len() == 7 && s.starts_with('#') && s.bytes().skip(1).all(|b| b.is_ascii_hexdigit());
    if ok {
        Ok(s.to_ascii_lowercase())
    } else {
        Err(FieldError::new(field, "must be a colour like #1e90ff"))
    }
}

/// `X-Client-ID`: see [`edge::domain::ClientId`].
pub use edge::domain::ClientId;

/// A fingerprint seed given by the client: 1 to 64 printable ASCII
/// characters (a random one is made when none is given).
pub fn parse_seed(field: &str, raw: &str) -> Result<String, FieldError> {
    let s = raw.trim();
    if s.is_empty() || s.len() > 64 || !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(FieldError::new(
            field,
            "must be 1 to 64 printable ASCII characters",
        ));
    }
    Ok(s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_ids_are_32_lowercase_hex() {
        assert!(is_row_id("0123456789abcdef0123456789abcdef"));
        assert!(!is_row_id("0123456789ABCDEF0123456789abcdef"));
        assert!(!is_row_id("nope"));
        assert!(!is_row_id("../../etc/passwd0123456789abcdef0"));
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            Name::parse("name", "  Shop 1 ").expect("ok").as_str(),
            "Shop 1"
        );
        assert_eq!(Name::parse("name", "  ").expect_err("empty").field, "name");
        assert!(Name::parse("name", &"x".repeat(101)).is_err());
        assert!(Name::parse("name", "a\u{7}b").is_err());
    }

    #[test]
    fn notes_allow_line_breaks_up_to_1000_characters() {
        assert!(Notes::parse("notes", "line 1\nline 2\ttab").is_ok());
        assert!(Notes::parse("notes", &"x".repeat(1001)).is_err());
        assert!(Notes::parse("notes", "bell\u{7}").is_err());
    }

    #[test]
    fn tags_are_deduplicated_ignoring_case_and_each_bad_one_is_named() {
        let tags = parse_tags("tags", &["ads".into(), " ADS ".into(), "fb".into()], 5).expect("ok");
        assert_eq!(tags, vec!["ads", "fb"]);
        let errors =
            parse_tags("tags", &["ok".into(), "".into(), "x".repeat(51)], 5).expect_err("bad");
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["tags[1]", "tags[2]"]);
        assert!(parse_tags("tags", &["a".into(), "b".into(), "c".into()], 2).is_err());
    }

    #[test]
    fn colours_are_hex_triplets() {
        assert_eq!(parse_color("color", "#1E90FF").expect("ok"), "#1e90ff");
        for bad in ["1e90ff", "#1e90f", "#1e90fg", "red"] {
            assert!(parse_color("color", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn client_ids_are_short_and_harmless() {
        assert!(ClientId::parse("desktop-01.abc_DEF:9").is_ok());
        for bad in ["", "   ", "a b", "x\"y", "new\nline"] {
            assert!(ClientId::parse(bad).is_err(), "{bad:?}");
        }
        assert!(ClientId::parse(&"a".repeat(129)).is_err());
    }

    #[test]
    fn seeds_are_printable_ascii() {
        assert_eq!(parse_seed("seed", " abc-123 ").expect("ok"), "abc-123");
        assert!(parse_seed("seed", "").is_err());
        assert!(parse_seed("seed", "has space").is_err());
        assert!(parse_seed("seed", "ünicode").is_err());
    }
}
