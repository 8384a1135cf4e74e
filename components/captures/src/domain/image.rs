//! The image types a capture may be, told apart by their magic bytes: what
//! a client declares (a data URL's type, a `Content-Type`) must agree with
//! what the bytes are, and the bytes decide what is stored and served.

use edge::{ApiError, FieldError};

use super::DataUrl;

/// A supported capture image type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageType {
    Png,
    Jpeg,
    Webp,
}

/// What the API says it accepts, in messages.
pub const SUPPORTED: &str = "image/png, image/jpeg or image/webp";

impl ImageType {
    /// The media type (`Content-Type`).
    pub fn mime(self) -> &'static str {
        match self {
            ImageType::Png => "image/png",
            ImageType::Jpeg => "image/jpeg",
            ImageType::Webp => "image/webp",
        }
    }

    /// The blob key's file extension.
    pub fn extension(self) -> &'static str {
        match self {
            ImageType::Png => "png",
            ImageType::Jpeg => "jpg",
            ImageType::Webp => "webp",
        }
    }

    /// How people name the format.
    pub fn name(self) -> &'static str {
        match self {
            ImageType::Png => "PNG",
            ImageType::Jpeg => "JPEG",
            ImageType::Webp => "WebP",
        }
    }

    /// The type a media type names (case-insensitive, parameters ignored);
    /// `None` for anything else.
    pub fn from_mime(raw: &str) -> Option<Self> {
        let essence = raw.split(';').next().unwrap_or("").trim();
        [ImageType::Png, ImageType::Jpeg, ImageType::Webp]
            .into_iter()
            .find(|t| essence.eq_ignore_ascii_case(t.mime()))
    }

    /// The type the bytes are, by their signature: PNG's eight-byte
    /// signature, JPEG's SOI marker followed by a marker, or a RIFF
    /// container of form `WEBP` whose first chunk is `VP8 `, `VP8L` or `VP8X`.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
        if bytes.starts_with(PNG) {
            return Some(ImageType::Png);
        }
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            return Some(ImageType::Jpeg);
        }
        let webp = bytes.len() >= 16
            && &bytes[0..4] == b"RIFF"
            && &bytes[8..12] == b"WEBP"
            && matches!(&bytes[12..16], b"VP8 " | b"VP8L" | b"VP8X");
        webp.then_some(ImageType::Webp)
    }
}

/// The bytes' type, which must be the `declared` one (`what` says where the
/// client declared it, for the message). 415 when the bytes are no supported
/// image or another one than declared.
pub fn check(bytes: &[u8], declared: ImageType, what: &str) -> Result<ImageType, ApiError> {
    match ImageType::sniff(bytes) {
        None => Err(ApiError::UnsupportedMediaType {
            message: format!(
                "The image is not PNG, JPEG or WebP (its first bytes match none of their signatures); {what} says {}",
                declared.mime()
            ),
        }),
        Some(actual) if actual != declared => Err(ApiError::UnsupportedMediaType {
            message: format!(
                "{what} says {} but the bytes are a {} image ({}); send the type the image is",
                declared.mime(),
                actual.name(),
                actual.mime()
            ),
        }),
        Some(actual) => Ok(actual),
    }
}

/// 413 for an image of `size` bytes over the limit of `max`.
pub fn too_large(size: usize, max: usize) -> ApiError {
    ApiError::too_large(
        "capture_too_large",
        format!("The image is {size} bytes; the limit is {max} bytes (max_capture_bytes)"),
    )
}

/// The image of an upload's `imageData` (`field`): its declared type must
/// be a supported one (415), its size at most `max` (413, known before the
/// payload is decoded when it is far over), its base64 valid and not empty
/// (400), and its bytes of the declared type (415).
pub fn from_data_url(
    field: &str,
    url: &DataUrl<'_>,
    max: usize,
) -> Result<(ImageType, Vec<u8>), ApiError> {
    let declared = ImageType::from_mime(url.media_type).ok_or_else(|| {
        let named = if url.media_type.is_empty() {
            "no type".to_owned()
        } else {
            format!("{:?}", url.media_type)
        };
        ApiError::UnsupportedMediaType {
            message: format!("{field} is a data URL of {named}; send {SUPPORTED}"),
        }
    })?;
    if url.min_decoded_len() > max {
        return Err(too_large(url.min_decoded_len(), max));
    }
    let bytes = url
        .decode()
        .map_err(|why| ApiError::invalid_input(vec![FieldError::new(field, why)]))?;
    if bytes.is_empty() {
        return Err(ApiError::invalid_input(vec![FieldError::new(
            field,
            "is a data URL of an empty image",
        )]));
    }
    if bytes.len() > max {
        return Err(too_large(bytes.len(), max));
    }
    let kind = check(&bytes, declared, &format!("{field}'s data URL"))?;
    Ok((kind, bytes))
}

/// The image of a raw upload, sent as the body with `Content-Type`
/// `declared`: not empty (400), at most `max` bytes (413), of the declared
/// type (415).
pub fn from_body(declared: ImageType, bytes: &[u8], max: usize) -> Result<ImageType, ApiError> {
    if bytes.is_empty() {
        return Err(ApiError::bad_request(
            "empty_body",
            format!(
                "The request body is empty; send the image's bytes as {}",
                declared.mime()
            ),
        ));
    }
    if bytes.len() > max {
        return Err(too_large(bytes.len(), max));
    }
    check(bytes, declared, "Content-Type")
}

/// 415 for a declared type this API does not store.
pub fn unsupported(declared: &str, what: &str) -> ApiError {
    ApiError::UnsupportedMediaType {
        message: format!("{what} {declared:?} is not supported; send {SUPPORTED}"),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The smallest well-formed images of each type (1×1), for tests.
    pub(crate) const PNG_1X1: &[u8] = &[
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F,
        0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8,
        0xCF, 0xC0, 0xF0, 0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00,
        0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ];
    pub(crate) const JPEG_START: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F'];
    pub(crate) const WEBP_START: &[u8] = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00";

    #[test]
    fn each_type_is_known_by_its_signature() {
        assert_eq!(ImageType::sniff(PNG_1X1), Some(ImageType::Png));
        assert_eq!(ImageType::sniff(JPEG_START), Some(ImageType::Jpeg));
        assert_eq!(ImageType::sniff(WEBP_START), Some(ImageType::Webp));
    }

    #[test]
    fn anything_else_is_no_image() {
        assert_eq!(ImageType::sniff(b""), None);
        assert_eq!(ImageType::sniff(b"GIF89a\x01\x00\x01\x00"), None);
        assert_eq!(
            ImageType::sniff(b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
            None
        );
        assert_eq!(ImageType::sniff(&PNG_1X1[..7]), None, "a cut signature");
        assert_eq!(ImageType::sniff(&[0xFF, 0xD8]), None);
        assert_eq!(
            ImageType::sniff(b"RIFF\x1a\x00\x00\x00WAVEfmt \x10\x00\x00\x00"),
            None,
            "RIFF of another form"
        );
        assert_eq!(
            ImageType::sniff(b"RIFF\x1a\x00\x00\x00WEBPJUNK"),
            None,
            "no VP8 chunk"
        );
    }

    #[test]
    fn media_types_are_read_case_insensitively_without_parameters() {
        assert_eq!(ImageType::from_mime("image/png"), Some(ImageType::Png));
        assert_eq!(
            ImageType::from_mime("Image/JPEG; q=1"),
            Some(ImageType::Jpeg)
        );
        assert_eq!(ImageType::from_mime(" image/webp "), Some(ImageType::Webp));
        assert_eq!(ImageType::from_mime("image/jpg"), None);
        assert_eq!(ImageType::from_mime("image/gif"), None);
        assert_eq!(ImageType::from_mime("image/png+xml"), None);
    }

    #[test]
    fn declared_and_actual_types_must_agree() {
        assert_eq!(
            check(PNG_1X1, ImageType::Png, "imageData").expect("agrees"),
            ImageType::Png
        );
        let e = check(JPEG_START, ImageType::Png, "imageData").expect_err("disagrees");
        assert_eq!(e.status(), 415);
        assert!(
            matches!(&e, ApiError::UnsupportedMediaType { message } if message.contains("image/png") && message.contains("JPEG")),
            "{e:?}"
        );
        let e = check(b"hello", ImageType::Webp, "Content-Type").expect_err("no image");
        assert_eq!(e.status(), 415);
    }

    fn data_url(raw: &str) -> DataUrl<'_> {
        DataUrl::parse(raw).expect("a data URL")
    }

    fn b64(bytes: &[u8]) -> String {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    #[test]
    fn a_png_data_url_gives_its_bytes() {
        let raw = format!("data:image/png;base64,{}", b64(PNG_1X1));
        let (kind, bytes) = from_data_url("imageData", &data_url(&raw), 1000).expect("valid");
        assert_eq!(kind, ImageType::Png);
        assert_eq!(bytes, PNG_1X1);
    }

    #[test]
    fn each_bad_data_url_gets_its_status() {
        let status = |raw: &str, max: usize| {
            from_data_url("imageData", &data_url(raw), max)
                .expect_err(raw)
                .status()
        };
        let png = b64(PNG_1X1);
        assert_eq!(status(&format!("data:image/gif;base64,{png}"), 1000), 415);
        assert_eq!(status(&format!("data:;base64,{png}"), 1000), 415);
        assert_eq!(
            status(&format!("data:image/jpeg;base64,{png}"), 1000),
            415,
            "declared JPEG, is PNG"
        );
        assert_eq!(
            status(
                &format!("data:image/png;base64,{}", b64(b"not an image")),
                1000
            ),
            415
        );
        assert_eq!(status("data:image/png;base64,!!!!", 1000), 400);
        assert_eq!(status("data:image/png;base64,==", 1000), 400);
        assert_eq!(
            status(&format!("data:image/png;base64,{png}"), PNG_1X1.len() - 1),
            413
        );
        let huge = format!("data:image/png;base64,{}", "A".repeat(4000));
        let e = from_data_url("imageData", &data_url(&huge), 100).expect_err("huge");
        assert_eq!((e.status(), e.code()), (413, "capture_too_large"));
    }

    #[test]
    fn a_raw_body_must_be_of_its_content_type_and_size() {
        assert_eq!(
            from_body(ImageType::Png, PNG_1X1, 1000).expect("valid"),
            ImageType::Png
        );
        assert_eq!(
            from_body(ImageType::Webp, PNG_1X1, 1000)
                .expect_err("PNG sent as WebP")
                .status(),
            415
        );
        assert_eq!(
            from_body(ImageType::Png, PNG_1X1, 10)
                .expect_err("too big")
                .status(),
            413
        );
        assert_eq!(
            from_body(ImageType::Png, b"", 10)
                .expect_err("empty")
                .status(),
            400
        );
    }

    #[test]
    fn extensions_and_types_match() {
        assert_eq!(ImageType::Jpeg.extension(), "jpg");
        assert_eq!(ImageType::Webp.mime(), "image/webp");
        assert_eq!(ImageType::Png.name(), "PNG");
    }
}
