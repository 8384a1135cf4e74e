//! `POST /api/proxies {url}`: any text either is refused with a field error or parses to an
//! address whose display form (without credentials) parses back to the same scheme, host and
//! port, and whose full form (credentials percent-encoded again) parses back to the same
//! address, credentials included.
#![no_main]

use libfuzzer_sys::fuzz_target;
use profiles::domain::proxy::ProxyAddress;

/// Every byte but the RFC 3986 unreserved ones as `%XX`.
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fuzz_target!(|raw: &str| {
    let Ok(address) = ProxyAddress::parse_url("url", raw) else {
        return;
    };
    let shown = address.display();
    let again = ProxyAddress::parse_url("url", &shown)
        .unwrap_or_else(|e| panic!("{shown:?} (from {raw:?}) does not parse back: {e:?}"));
    assert_eq!(again.scheme, address.scheme, "{raw:?}");
    assert_eq!(again.host, address.host, "{raw:?}");
    assert_eq!(again.port, address.port, "{raw:?}");
    assert_eq!(again.credentials, None, "{raw:?}");

    let Some(credentials) = &address.credentials else {
        return;
    };
    let (scheme, rest) = shown.split_once("://").expect("display has a scheme");
    let full = format!(
        "{scheme}://{}:{}@{rest}",
        percent_encode(&credentials.username),
        percent_encode(&credentials.password)
    );
    let again = ProxyAddress::parse_url("url", &full)
        .unwrap_or_else(|e| panic!("{raw:?} rendered with its credentials is refused: {e:?}"));
    assert_eq!(again, address, "{raw:?}");
});
