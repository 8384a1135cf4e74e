//! The component's limits, from Spin variables (`spin.toml`), each with a
//! default used when the variable is not declared; a value that is not a
//! positive whole number is reported and replaced by the default.
//!
//! Captures need a larger request body than the app-wide `max_body_bytes`
//! (1 MiB by default): a screenshot of up to `max_capture_bytes`, sent as a
//! base64 data URL (4/3 of its size), next to a DOM snapshot of up to
//! `max_dom_snapshot_bytes`. [`Limits::body_bytes`] is this component's own
//! body limit, set on the edge at the entry point; every other component
//! keeps `max_body_bytes`.

use edge::EdgeConfig;

/// Variable: largest capture image, in bytes (decoded).
pub const VAR_MAX_CAPTURE_BYTES: &str = "max_capture_bytes";
/// Variable: largest DOM snapshot, in bytes of JSON.
pub const VAR_MAX_DOM_SNAPSHOT_BYTES: &str = "max_dom_snapshot_bytes";

pub const DEFAULT_MAX_CAPTURE_BYTES: usize = 10 * 1024 * 1024;
pub const DEFAULT_MAX_DOM_SNAPSHOT_BYTES: usize = 2 * 1024 * 1024;

/// Room in an upload body for everything but the image and the snapshot:
/// the data URL's header, the other fields (metadata alone may be 16 KiB),
/// JSON punctuation, and escapes that make a snapshot longer in the body
/// than as the compact JSON it is measured by.
pub const BODY_OVERHEAD_BYTES: usize = 256 * 1024;

/// Size limits on what clients store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_capture_bytes: usize,
    pub max_dom_snapshot_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_capture_bytes: DEFAULT_MAX_CAPTURE_BYTES,
            max_dom_snapshot_bytes: DEFAULT_MAX_DOM_SNAPSHOT_BYTES,
        }
    }
}

impl Limits {
    /// The largest upload body: a base64 data URL of the largest image plus
    /// the largest snapshot plus [`BODY_OVERHEAD_BYTES`], and never less
    /// than the app-wide limit `general`.
    pub fn body_bytes(&self, general: usize) -> usize {
        let base64 = self.max_capture_bytes.div_ceil(3).saturating_mul(4);
        base64
            .saturating_add(self.max_dom_snapshot_bytes)
            .saturating_add(BODY_OVERHEAD_BYTES)
            .max(general)
    }
}

/// Reads the limits; each problem with a variable is pushed onto `warnings`.
pub fn read(warnings: &mut Vec<String>) -> Limits {
    let d = Limits::default();
    Limits {
        max_capture_bytes: number(VAR_MAX_CAPTURE_BYTES, d.max_capture_bytes, warnings),
        max_dom_snapshot_bytes: number(
            VAR_MAX_DOM_SNAPSHOT_BYTES,
            d.max_dom_snapshot_bytes,
            warnings,
        ),
    }
}

/// The limits for a handler (problems were logged at the entry point).
pub fn limits() -> Limits {
    read(&mut Vec::new())
}

/// The entry point's edge settings: this component's body limit.
pub fn configure(edge: &mut EdgeConfig) {
    let limits = read(&mut edge.warnings);
    edge.max_body_bytes = limits.body_bytes(edge.max_body_bytes);
}

fn number(name: &str, default: usize, warnings: &mut Vec<String>) -> usize {
    match edge::spin::variable(name) {
        Ok(None) => default,
        Ok(Some(v)) => parse_positive(&v).unwrap_or_else(|| {
            warnings.push(format!(
                "variable {name} = {v:?} is not a positive whole number; using {default}"
            ));
            default
        }),
        Err(e) => {
            warnings.push(format!("{e}; using {default}"));
            default
        }
    }
}

fn parse_positive(raw: &str) -> Option<usize> {
    raw.trim().parse::<usize>().ok().filter(|n| *n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_positive_whole_numbers_are_limits() {
        assert_eq!(parse_positive(" 42 "), Some(42));
        assert_eq!(parse_positive("0"), None);
        assert_eq!(parse_positive("10MB"), None);
    }

    #[test]
    fn the_body_limit_fits_the_largest_data_url_and_snapshot() {
        let limits = Limits::default();
        let body = limits.body_bytes(1024 * 1024);
        let data_url = "data:image/webp;base64,".len() + DEFAULT_MAX_CAPTURE_BYTES.div_ceil(3) * 4;
        assert!(body >= data_url + DEFAULT_MAX_DOM_SNAPSHOT_BYTES + 64 * 1024);
        // 10 MiB image + 2 MiB snapshot: about 16.3 MB, under a 20 MiB proxy limit.
        assert!(body < 20 * 1024 * 1024, "{body}");
    }

    #[test]
    fn the_body_limit_is_never_below_the_general_one() {
        let small = Limits {
            max_capture_bytes: 10,
            max_dom_snapshot_bytes: 10,
        };
        assert_eq!(small.body_bytes(5_000_000), 5_000_000);
    }
}
