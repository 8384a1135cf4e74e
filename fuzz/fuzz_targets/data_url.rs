//! `POST /api/v1/captures/upload {imageData}`: any text is refused or split, and a payload that
//! decodes is never shorter than the lower bound used to refuse oversize images before decoding
//! them; any bytes, encoded the ways browsers and tools write a data URL (padded or not, lines
//! broken), decode back to the same bytes.
#![no_main]

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use captures::domain::data_url::DataUrl;
use libfuzzer_sys::fuzz_target;

fn check_bound(url: &DataUrl<'_>, decoded: usize) {
    assert!(
        decoded >= url.min_decoded_len(),
        "{decoded} decoded bytes, bound {}",
        url.min_decoded_len()
    );
}

fuzz_target!(|data: &[u8]| {
    if let Ok(raw) = std::str::from_utf8(data)
        && let Ok(url) = DataUrl::parse(raw)
    {
        assert!(raw.trim().len() >= 5 + url.payload.len());
        if let Ok(bytes) = url.decode() {
            check_bound(&url, bytes.len());
        }
    }

    if data.is_empty() {
        return;
    }
    let padded = STANDARD.encode(data);
    let wrapped = padded
        .as_bytes()
        .chunks(76)
        .map(|line| std::str::from_utf8(line).expect("base64 is ASCII"))
        .collect::<Vec<_>>()
        .join("\r\n");
    for payload in [padded.clone(), STANDARD_NO_PAD.encode(data), wrapped] {
        let raw = format!("data:image/png;base64,{payload}");
        let url = DataUrl::parse(&raw).unwrap_or_else(|e| panic!("{raw:?}: {e}"));
        assert_eq!(url.media_type, "image/png");
        let bytes = url.decode().unwrap_or_else(|e| panic!("{raw:?}: {e}"));
        assert_eq!(bytes, data, "{raw:?}");
        check_bound(&url, bytes.len());
    }
    // Padded, the bound is tight: an image more than two bytes over the cap is refused undecoded.
    let url = DataUrl {
        media_type: "image/png",
        payload: &padded,
    };
    assert!(url.min_decoded_len() + 2 >= data.len());
});
