//! `data:` URLs as the extension sends screenshots (`data:image/png;base64,…`,
//! what `canvas.toDataURL` and `tabs.captureVisibleTab` produce): the
//! declared media type and the base64 payload, decoded the forgiving way
//! browsers decode them (ASCII whitespace ignored, padding optional).

use base64::Engine;
use base64::alphabet::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

/// Standard alphabet; `=` padding may be present or not.
const ENGINE: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A base64 `data:` URL, split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataUrl<'a> {
    /// The media type as written (`image/png`); empty when the URL names none.
    pub media_type: &'a str,
    /// The base64 text after the comma.
    pub payload: &'a str,
}

impl<'a> DataUrl<'a> {
    /// Splits `data:<media type>[;param=value]*;base64,<payload>`. The error
    /// says what is wrong, for a message naming the field.
    pub fn parse(raw: &'a str) -> Result<Self, &'static str> {
        let raw = raw.trim();
        let rest = raw
            .get(..5)
            .filter(|scheme| scheme.eq_ignore_ascii_case("data:"))
            .map(|_| &raw[5..])
            .ok_or("must be a data URL (data:image/png;base64,…)")?;
        let (header, payload) = rest
            .split_once(',')
            .ok_or("is a data URL without a comma before its data")?;
        let mut parts = header.split(';');
        let media_type = parts.next().unwrap_or("").trim();
        let base64 = header
            .rsplit(';')
            .next()
            .is_some_and(|last| last.trim().eq_ignore_ascii_case("base64"))
            && header.contains(';');
        if !base64 {
            return Err("must be a base64 data URL (…;base64,…)");
        }
        if payload.is_empty() {
            return Err("is a data URL without data");
        }
        Ok(Self {
            media_type,
            payload,
        })
    }

    /// At least how many bytes the payload decodes to, without decoding it
    /// (so an oversize image is refused before its copy is made).
    pub fn min_decoded_len(&self) -> usize {
        let chars = self
            .payload
            .bytes()
            .filter(|b| !b.is_ascii_whitespace())
            .count();
        (chars / 4 * 3).saturating_sub(2)
    }

    /// The payload's bytes; the error says why it is not base64.
    pub fn decode(&self) -> Result<Vec<u8>, String> {
        let result = if self.payload.bytes().any(|b| b.is_ascii_whitespace()) {
            let compact: Vec<u8> = self
                .payload
                .bytes()
                .filter(|b| !b.is_ascii_whitespace())
                .collect();
            ENGINE.decode(compact)
        } else {
            ENGINE.decode(self.payload)
        };
        result.map_err(|e| format!("is not valid base64 ({e})"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_png_data_url_splits_into_type_and_payload() {
        let url = DataUrl::parse("data:image/png;base64,iVBORw0KGgo=").expect("valid");
        assert_eq!(url.media_type, "image/png");
        assert_eq!(url.payload, "iVBORw0KGgo=");
        assert_eq!(url.decode().expect("base64"), b"\x89PNG\r\n\x1a\n".to_vec());
    }

    #[test]
    fn scheme_and_base64_marker_are_case_insensitive_and_parameters_allowed() {
        let url = DataUrl::parse(" DATA:image/jpeg;name=shot.jpg;BASE64,/9j/4A== ").expect("valid");
        assert_eq!(url.media_type, "image/jpeg");
        assert_eq!(url.decode().expect("base64"), vec![0xFF, 0xD8, 0xFF, 0xE0]);
    }

    #[test]
    fn what_is_not_a_base64_data_url_says_why() {
        for (raw, why) in [
            ("iVBORw0KGgo=", "must be a data URL"),
            ("https://example.com/a.png", "must be a data URL"),
            ("data:image/png;base64", "without a comma"),
            ("data:image/png,rawbytes", "must be a base64 data URL"),
            ("data:base64,AAAA", "must be a base64 data URL"),
            ("data:image/png;base64,", "without data"),
            ("dat", "must be a data URL"),
        ] {
            let e = DataUrl::parse(raw).expect_err(raw);
            assert!(e.contains(why), "{raw}: {e}");
        }
    }

    #[test]
    fn the_payload_decodes_forgivingly_but_not_loosely() {
        let url = DataUrl::parse("data:image/png;base64,iVBO Rw0K\nGgo").expect("valid");
        assert_eq!(
            url.decode()
                .expect("whitespace and missing padding are fine"),
            b"\x89PNG\r\n\x1a\n".to_vec()
        );
        for bad in ["iVBORw0KGgo*", "iVBORw0KGg-_", "i", "iVBORw0KGgo==="] {
            let url = DataUrl {
                media_type: "image/png",
                payload: bad,
            };
            assert!(
                url.decode().expect_err(bad).contains("not valid base64"),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_decoded_size_is_known_from_below_before_decoding() {
        for len in [0usize, 1, 2, 3, 4, 5, 100, 1000, 4096] {
            let data = vec![7u8; len];
            let payload = ENGINE.encode(&data);
            let url = DataUrl {
                media_type: "image/png",
                payload: &payload,
            };
            assert!(url.min_decoded_len() <= len, "{len}");
            assert!(url.min_decoded_len() + 2 >= len, "{len}");
        }
    }
}
