//! `POST /api/v1/captures/upload {imageData}`: any text is refused or split; a payload that
//! decodes is never shorter than the lower bound used to refuse oversize images before
//! decoding them.
#![no_main]

use captures::domain::data_url::DataUrl;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|raw: &str| {
    let Ok(url) = DataUrl::parse(raw) else {
        return;
    };
    assert!(raw.trim().len() >= 5 + url.payload.len());
    if let Ok(bytes) = url.decode() {
        assert!(
            bytes.len() >= url.min_decoded_len(),
            "{} decoded bytes, bound {}",
            bytes.len(),
            url.min_decoded_len()
        );
    }
});
