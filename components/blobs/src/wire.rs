//! What S3 answers, read as pure functions: ETags, HTTP and RFC 3339
//! dates, and the error document.

/// An ETag without its quotes (and without a weak `W/` marker, which S3
/// never sends for objects but some proxies add).
pub fn unquote_etag(raw: &str) -> String {
    let s = raw.trim();
    let s = s.strip_prefix("W/").unwrap_or(s);
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
        .to_owned()
}

/// `Last-Modified` / `Date` (`Sun, 06 Nov 1994 08:49:37 GMT`) in unix ms.
pub fn http_date_ms(raw: &str) -> Result<u64, String> {
    let ts = jiff::fmt::rfc2822::DateTimeParser::new()
        .parse_timestamp(raw.trim())
        .map_err(|e| format!("{raw:?} is not an HTTP date: {e}"))?;
    unix_ms(ts, raw)
}

/// A listing's `LastModified` (`2026-11-22T07:21:22.265Z`) in unix ms.
pub fn rfc3339_ms(raw: &str) -> Result<u64, String> {
    let ts: jiff::Timestamp = raw
        .trim()
        .parse()
        .map_err(|e| format!("{raw:?} is not an RFC 3339 time: {e}"))?;
    unix_ms(ts, raw)
}

fn unix_ms(ts: jiff::Timestamp, raw: &str) -> Result<u64, String> {
    u64::try_from(ts.as_millisecond()).map_err(|_| format!("{raw:?} is before 1970"))
}

/// `Code: Message` from an S3 error document, or the start of the body when
/// it is not one; for the log.
pub fn error_detail(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let field = |name: &str| {
        let open = format!("<{name}>");
        let close = format!("</{name}>");
        let start = text.find(&open)? + open.len();
        let len = text[start..].find(&close)?;
        Some(text[start..start + len].trim().to_owned())
    };
    match (field("Code"), field("Message")) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code,
        _ => text.chars().take(200).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_lose_their_quotes() {
        assert_eq!(unquote_etag("\"5d41402abc4b2a76\""), "5d41402abc4b2a76");
        assert_eq!(unquote_etag("W/\"abc\""), "abc");
        assert_eq!(unquote_etag("abc"), "abc");
        assert_eq!(unquote_etag(" \"abc-2\" "), "abc-2");
        assert_eq!(unquote_etag("\""), "\"");
    }

    #[test]
    fn http_dates() {
        assert_eq!(
            http_date_ms("Sun, 06 Nov 1994 08:49:37 GMT"),
            Ok(784_111_777_000)
        );
        assert_eq!(
            http_date_ms("Sun, 22 Nov 2026 07:21:22 GMT"),
            Ok(1_795_332_082_000)
        );
        assert!(http_date_ms("yesterday").is_err());
        assert!(http_date_ms("").is_err());
    }

    #[test]
    fn rfc3339_times() {
        assert_eq!(rfc3339_ms("1994-11-06T08:49:37Z"), Ok(784_111_777_000));
        assert_eq!(
            rfc3339_ms("2026-11-22T07:21:22.265Z"),
            Ok(1_795_332_082_265)
        );
        assert_eq!(
            rfc3339_ms("2026-11-22T09:21:22.265+02:00"),
            Ok(1_795_332_082_265)
        );
        assert!(rfc3339_ms("1969-12-31T23:59:59Z").is_err());
        assert!(rfc3339_ms("22/11/2026").is_err());
    }

    #[test]
    fn error_documents() {
        let xml = br#"<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Forbidden: bad key</Message><Resource>/b/k</Resource></Error>"#;
        assert_eq!(error_detail(xml), "AccessDenied: Forbidden: bad key");
        assert_eq!(
            error_detail(b"<Error><Code>NoSuchBucket</Code></Error>"),
            "NoSuchBucket"
        );
        assert_eq!(error_detail(b"gateway down"), "gateway down");
        assert_eq!(error_detail(&[b'x'; 500]).len(), 200);
    }
}
