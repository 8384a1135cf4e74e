//! `Content-Encoding: gzip` sync bodies: any bytes inflate to at most the limit or are
//! refused, and what we compress inflates back byte for byte.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sessions::codec::{gunzip, gzip};

const LIMIT: usize = 64 * 1024;

fuzz_target!(|data: &[u8]| {
    if let Ok(out) = gunzip(data, LIMIT) {
        assert!(out.len() <= LIMIT);
    }
    let packed = gzip(data);
    assert_eq!(gunzip(&packed, data.len()).expect("round trip"), data);
    if !data.is_empty() {
        assert!(
            gunzip(&packed, data.len() - 1).is_err(),
            "one byte over is refused"
        );
    }
});
