//! `POST /api/proxies {url}`: any text either is refused with a field error or parses to an
//! address whose display form (without credentials) parses back to the same address.
#![no_main]

use libfuzzer_sys::fuzz_target;
use profiles::domain::proxy::ProxyAddress;

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
});
