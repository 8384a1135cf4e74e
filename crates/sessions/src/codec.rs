//! gzip both ways. Decompression is bounded while it runs: a gzip bomb is
//! stopped after `limit + 1` bytes of output, never inflated in full.

use std::io::{Read, Write};

use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;

/// Why un-gzipping failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GunzipError {
    /// More than the limit (bytes) would come out.
    TooLarge(usize),
    /// Not gzip, truncated or corrupt.
    Corrupt(String),
}

/// gzip at a fast level: session JSON compresses well at any level, and a
/// push is on the request path.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(data.len() / 4 + 64), Compression::fast());
    // Writing into a Vec cannot fail.
    if encoder.write_all(data).is_err() {
        return Vec::new();
    }
    encoder.finish().unwrap_or_default()
}

/// Un-gzips `data`, refusing output larger than `limit` bytes.
pub fn gunzip(data: &[u8], limit: usize) -> Result<Vec<u8>, GunzipError> {
    let mut out = Vec::new();
    let bound = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    MultiGzDecoder::new(data)
        .take(bound)
        .read_to_end(&mut out)
        .map_err(|e| GunzipError::Corrupt(e.to_string()))?;
    if out.len() > limit {
        return Err(GunzipError::TooLarge(limit));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let data = b"{\"cookies\":[],\"localStorage\":{}}".repeat(100);
        let packed = gzip(&data);
        assert!(packed.len() < data.len());
        assert_eq!(gunzip(&packed, data.len()).expect("gunzip"), data);
    }

    #[test]
    fn a_bomb_stops_at_the_limit() {
        // 16 MiB of zeros packs into ~16 KiB at the best level.
        let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
        encoder.write_all(&vec![0u8; 16 << 20]).expect("gzip");
        let bomb = encoder.finish().expect("gzip");
        assert!(bomb.len() < 64 << 10, "{}", bomb.len());
        assert_eq!(gunzip(&bomb, 1 << 20), Err(GunzipError::TooLarge(1 << 20)));
    }

    #[test]
    fn garbage_and_truncation_are_corrupt() {
        assert!(matches!(
            gunzip(b"not gzip", 100),
            Err(GunzipError::Corrupt(_))
        ));
        let packed = gzip(b"hello hello hello hello");
        assert!(matches!(
            gunzip(&packed[..packed.len() - 6], 100),
            Err(GunzipError::Corrupt(_))
        ));
    }
}
