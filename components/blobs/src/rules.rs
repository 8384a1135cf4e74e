//! What both backends accept, checked once before either is called: the key
//! rules of `wit/deps/blobs/blobs.wit`, the size limit, the list page size and the
//! content type. Pure functions, so the S3 store and the embedded store can
//! never disagree about what is valid.

/// Longest key, in bytes.
pub const MAX_KEY_BYTES: usize = 512;
/// Largest page of a listing (S3's own maximum).
pub const MAX_LIST_LIMIT: u32 = 1000;
/// What a blob stored without a content type is served as.
pub const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";
/// Longest content type kept.
pub const MAX_CONTENT_TYPE_BYTES: usize = 256;

fn allowed_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'_' | b'=' | b'-')
}

/// Checks a key: 1 to 512 bytes of `[A-Za-z0-9/._=-]`, not starting with
/// `/`, without `..` or `//`. The message says which rule failed.
pub fn check_key(key: &str) -> Result<(), String> {
    if key.is_empty() {
        return Err("the key is empty".into());
    }
    check_chars("key", key)?;
    if key.starts_with('/') {
        return Err(format!("key {key:?} starts with '/'"));
    }
    if key.contains("..") {
        return Err(format!("key {key:?} contains '..'"));
    }
    if key.contains("//") {
        return Err(format!("key {key:?} contains '//'"));
    }
    Ok(())
}

/// Checks a listing prefix or `start-after`: any start of a valid key
/// (possibly empty), so only the characters and the length are checked.
pub fn check_fragment(what: &str, value: &str) -> Result<(), String> {
    check_chars(what, value)
}

fn check_chars(what: &str, value: &str) -> Result<(), String> {
    if value.len() > MAX_KEY_BYTES {
        return Err(format!(
            "the {what} is {} bytes long; at most {MAX_KEY_BYTES} are allowed",
            value.len()
        ));
    }
    match value.bytes().position(|b| !allowed_byte(b)) {
        None => Ok(()),
        Some(at) => Err(format!(
            "{what} {value:?} has a character outside [A-Za-z0-9/._=-] at byte {at}"
        )),
    }
}

/// `Err(limit)` when `len` bytes exceed the limit.
pub fn check_size(len: usize, max_bytes: u64) -> Result<(), u64> {
    match u64::try_from(len) {
        Ok(n) if n <= max_bytes => Ok(()),
        _ => Err(max_bytes),
    }
}

/// The page size actually used: the WIT allows 1 to 1000, and a caller
/// asking for 0 or more than 1000 gets the nearest of those.
pub fn list_limit(requested: u32) -> u32 {
    requested.clamp(1, MAX_LIST_LIMIT)
}

/// The content type to store: trimmed, the default when empty. It travels
/// as an HTTP header to S3, so anything that cannot be a header value is
/// refused rather than mangled.
pub fn content_type(raw: &str) -> Result<String, String> {
    let value = raw.trim();
    if value.is_empty() {
        return Ok(DEFAULT_CONTENT_TYPE.into());
    }
    if value.len() > MAX_CONTENT_TYPE_BYTES {
        return Err(format!(
            "content type is {} bytes long; at most {MAX_CONTENT_TYPE_BYTES} are allowed",
            value.len()
        ));
    }
    if !value.bytes().all(|b| b == b' ' || b.is_ascii_graphic()) {
        return Err(format!(
            "content type {value:?} is not a valid header value"
        ));
    }
    Ok(value.into())
}

/// Where a listing of `prefix` starts, given the caller's `start-after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListFrom<'a> {
    /// At the first key with the prefix.
    Start,
    /// After this key, which has the prefix.
    After(&'a str),
    /// Past every key with the prefix: the page is empty.
    Past,
}

/// Decided here rather than by the store because S3 servers disagree:
/// Garage lists nothing when `start-after` sorts before the prefix, AWS
/// lists everything. A `start-after` below the prefix is dropped, one above
/// every prefixed key (greater, and not starting with it) means no keys.
pub fn list_from<'a>(prefix: &str, start_after: Option<&'a str>) -> ListFrom<'a> {
    match start_after {
        None => ListFrom::Start,
        Some(after) if after < prefix => ListFrom::Start,
        Some(after) if after.starts_with(prefix) => ListFrom::After(after),
        Some(_) => ListFrom::Past,
    }
}

/// The smallest string greater than every key that starts with `prefix`:
/// keys only hold bytes below 0x7F, so `prefix` + DEL bounds them. With
/// `key >= prefix AND key < upper` a listing is one index range.
pub fn prefix_upper_bound(prefix: &str) -> String {
    format!("{prefix}\u{7f}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_that_follow_the_rules() {
        for key in [
            "a",
            "sessions/0f3a/9c.json",
            "captures/team_1/img-2.png",
            "A=b.c_d-e",
            "trailing/",
            &"k".repeat(MAX_KEY_BYTES),
        ] {
            assert_eq!(check_key(key), Ok(()), "{key:?}");
        }
    }

    #[test]
    fn keys_that_break_them() {
        let long = "k".repeat(MAX_KEY_BYTES + 1);
        for (key, why) in [
            ("", "empty"),
            ("/abs", "starts with '/'"),
            ("a/../b", "'..'"),
            ("a..b", "'..'"),
            ("a//b", "'//'"),
            ("sp ace", "outside"),
            ("é", "outside"),
            ("a?b", "outside"),
            ("a\\b", "outside"),
            ("a\nb", "outside"),
            ("a%2F", "outside"),
            (long.as_str(), "at most 512"),
        ] {
            let err = check_key(key).expect_err(key);
            assert!(err.contains(why), "{key:?}: {err}");
        }
    }

    #[test]
    fn fragments_may_be_empty_or_partial() {
        assert_eq!(check_fragment("prefix", ""), Ok(()));
        assert_eq!(check_fragment("prefix", "a/"), Ok(()));
        assert_eq!(check_fragment("prefix", "a/."), Ok(()));
        assert!(check_fragment("prefix", "a b").is_err());
        assert!(check_fragment("prefix", &"k".repeat(MAX_KEY_BYTES + 1)).is_err());
    }

    #[test]
    fn size_limit_is_inclusive() {
        assert_eq!(check_size(0, 0), Ok(()));
        assert_eq!(check_size(10, 10), Ok(()));
        assert_eq!(check_size(11, 10), Err(10));
    }

    #[test]
    fn list_limit_is_clamped() {
        assert_eq!(list_limit(0), 1);
        assert_eq!(list_limit(1), 1);
        assert_eq!(list_limit(1000), 1000);
        assert_eq!(list_limit(5000), 1000);
    }

    #[test]
    fn content_types() {
        assert_eq!(content_type("").as_deref(), Ok(DEFAULT_CONTENT_TYPE));
        assert_eq!(content_type("  ").as_deref(), Ok(DEFAULT_CONTENT_TYPE));
        assert_eq!(content_type(" image/png ").as_deref(), Ok("image/png"));
        assert_eq!(
            content_type("text/plain; charset=utf-8").as_deref(),
            Ok("text/plain; charset=utf-8")
        );
        assert!(content_type("text/plain\r\nx-evil: 1").is_err());
        assert!(content_type(&"a".repeat(MAX_CONTENT_TYPE_BYTES + 1)).is_err());
    }

    #[test]
    fn where_listings_start() {
        assert_eq!(list_from("l/x/", None), ListFrom::Start);
        assert_eq!(list_from("l/x/", Some("l/a")), ListFrom::Start);
        assert_eq!(list_from("l/x/", Some("l/x")), ListFrom::Start);
        assert_eq!(list_from("l/x/", Some("l/x/")), ListFrom::After("l/x/"));
        assert_eq!(list_from("l/x/", Some("l/x/1")), ListFrom::After("l/x/1"));
        assert_eq!(list_from("l/x/", Some("l/x0")), ListFrom::Past);
        assert_eq!(list_from("l/x/", Some("l/z")), ListFrom::Past);
        assert_eq!(list_from("", Some("a")), ListFrom::After("a"));
    }

    #[test]
    fn prefix_range_holds_exactly_the_prefixed_keys() {
        let upper = prefix_upper_bound("a/");
        let inside = |k: &str| k >= "a/" && k < upper.as_str();
        assert!(inside("a/"));
        assert!(inside("a/b"));
        assert!(inside("a/zzzz"));
        assert!(inside(&format!("a/{}", "z".repeat(500))));
        assert!(!inside("a"));
        assert!(!inside("a0"));
        assert!(!inside("b/"));
        assert!(!inside("a."));
        let all = prefix_upper_bound("");
        assert!("zzz" < all.as_str() && "" < all.as_str());
    }
}
