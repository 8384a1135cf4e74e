//! The provider's variables (inherited from the component it is plugged
//! into) and which backend they select.

use std::fmt;

pub const VAR_ENDPOINT: &str = "blob_endpoint";
pub const VAR_BUCKET: &str = "blob_bucket";
pub const VAR_REGION: &str = "blob_region";
pub const VAR_ACCESS_KEY: &str = "blob_access_key";
pub const VAR_SECRET_KEY: &str = "blob_secret_key";
pub const VAR_MAX_BLOB_BYTES: &str = "max_blob_bytes";
pub const VAR_TIMEOUT: &str = "blob_timeout";

/// Not empty, because Spin 4 checks a templated `allowed_outbound_hosts`
/// entry against the variable's default and refuses an empty one; any
/// scheme but http(s) selects the embedded store.
pub const DEFAULT_ENDPOINT: &str = "embedded://local:0";
pub const DEFAULT_REGION: &str = "us-east-1";
/// 32 MiB.
pub const DEFAULT_MAX_BLOB_BYTES: u64 = 32 * 1024 * 1024;
/// How long one S3 request may take, answer and body included: long enough
/// for the largest blob on a slow link, short enough that a hung server
/// fails the request (503) instead of holding it forever.
pub const DEFAULT_TIMEOUT_MS: i64 = 30_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub backend: Backend,
    pub max_blob_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// Chunked in the SQLite database `default`.
    Embedded,
    S3(S3Settings),
}

#[derive(Clone, PartialEq, Eq)]
pub struct S3Settings {
    /// `http(s)://host[:port]`; the bucket goes in the path (path-style).
    pub endpoint: url::Url,
    pub bucket: String,
    pub region: String,
    pub access_key: String,
    pub secret_key: String,
    /// `blob_timeout`: the deadline of one request, in milliseconds.
    pub timeout_ms: i64,
}

// Written by hand so that the secret key never reaches a log line.
impl fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Settings")
            .field("endpoint", &self.endpoint.as_str())
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .field("timeout_ms", &self.timeout_ms)
            .finish()
    }
}

impl Config {
    /// Reads the variables from Spin.
    pub fn load() -> Result<Self, String> {
        Self::from_variables(edge::spin::variable)
    }

    /// Builds the configuration from a variable source: `Ok(None)` is an
    /// undeclared variable (it takes its default), `Err` an unreadable one.
    pub fn from_variables(
        get: impl Fn(&str) -> Result<Option<String>, String>,
    ) -> Result<Self, String> {
        let read = |name: &str| -> Result<String, String> {
            Ok(get(name)?.map(|v| v.trim().to_owned()).unwrap_or_default())
        };
        let max_blob_bytes = match read(VAR_MAX_BLOB_BYTES)?.as_str() {
            "" => DEFAULT_MAX_BLOB_BYTES,
            raw => raw.parse::<u64>().map_err(|_| {
                format!("variable {VAR_MAX_BLOB_BYTES}: {raw:?} is not a number of bytes")
            })?,
        };
        let endpoint = match read(VAR_ENDPOINT)? {
            e if e.is_empty() => DEFAULT_ENDPOINT.to_owned(),
            e => e,
        };
        if !selects_s3(&endpoint) {
            return Ok(Self {
                backend: Backend::Embedded,
                max_blob_bytes,
            });
        }
        let endpoint = url::Url::parse(&endpoint)
            .map_err(|e| format!("variable {VAR_ENDPOINT}: {endpoint:?} is not a URL: {e}"))?;
        if endpoint.host_str().is_none_or(str::is_empty) {
            return Err(format!("variable {VAR_ENDPOINT}: {endpoint} has no host"));
        }
        let required = |name: &str| -> Result<String, String> {
            match read(name)? {
                v if v.is_empty() => Err(format!(
                    "variable {name} must be set when {VAR_ENDPOINT} is an http(s) URL"
                )),
                v => Ok(v),
            }
        };
        let region = match read(VAR_REGION)? {
            r if r.is_empty() => DEFAULT_REGION.to_owned(),
            r => r,
        };
        let timeout_ms = match read(VAR_TIMEOUT)?.as_str() {
            "" => DEFAULT_TIMEOUT_MS,
            raw => edge::config::parse_duration_ms(raw)
                .filter(|ms| *ms > 0)
                .ok_or_else(|| {
                    format!("variable {VAR_TIMEOUT}: {raw:?} is not a duration (30s, 1500ms)")
                })?,
        };
        Ok(Self {
            backend: Backend::S3(S3Settings {
                endpoint,
                bucket: required(VAR_BUCKET)?,
                region,
                access_key: required(VAR_ACCESS_KEY)?,
                secret_key: required(VAR_SECRET_KEY)?,
                timeout_ms,
            }),
            max_blob_bytes,
        })
    }
}

/// An `http://` or `https://` endpoint is an S3 server; anything else is
/// the embedded store.
pub fn selects_s3(endpoint: &str) -> bool {
    endpoint.split_once("://").is_some_and(|(scheme, _)| {
        scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_variables(|name| Ok(map.get(name).cloned()))
    }

    const S3_VARS: [(&str, &str); 4] = [
        (VAR_ENDPOINT, "http://127.0.0.1:3900"),
        (VAR_BUCKET, "blobs"),
        (VAR_ACCESS_KEY, "GK0123"),
        (VAR_SECRET_KEY, "s3cr3t"),
    ];

    #[test]
    fn nothing_set_is_the_embedded_store_with_32_mib() {
        assert_eq!(
            config(&[]),
            Ok(Config {
                backend: Backend::Embedded,
                max_blob_bytes: DEFAULT_MAX_BLOB_BYTES
            })
        );
    }

    #[test]
    fn the_default_endpoint_and_other_schemes_are_embedded() {
        for endpoint in [
            DEFAULT_ENDPOINT,
            "",
            "  ",
            "file:///tmp/x",
            "sqlite://default",
        ] {
            let c = config(&[(VAR_ENDPOINT, endpoint), (VAR_BUCKET, "ignored")]);
            assert_eq!(c.map(|c| c.backend), Ok(Backend::Embedded), "{endpoint:?}");
        }
    }

    #[test]
    fn an_http_endpoint_is_s3() {
        let c = config(&S3_VARS).expect("valid");
        let Backend::S3(s3) = c.backend else {
            panic!("not s3: {c:?}")
        };
        assert_eq!(s3.endpoint.as_str(), "http://127.0.0.1:3900/");
        assert_eq!(s3.bucket, "blobs");
        assert_eq!(s3.region, DEFAULT_REGION);
        assert_eq!(s3.access_key, "GK0123");
        assert_eq!(s3.secret_key, "s3cr3t");
        assert!(selects_s3("HTTPS://s3.example.com"));
    }

    #[test]
    fn region_and_limit_are_read() {
        let mut vars = S3_VARS.to_vec();
        vars.push((VAR_REGION, "garage"));
        vars.push((VAR_MAX_BLOB_BYTES, " 1024 "));
        let c = config(&vars).expect("valid");
        assert_eq!(c.max_blob_bytes, 1024);
        assert!(matches!(c.backend, Backend::S3(s) if s.region == "garage"));
    }

    #[test]
    fn s3_needs_bucket_and_both_keys() {
        for missing in [VAR_BUCKET, VAR_ACCESS_KEY, VAR_SECRET_KEY] {
            let vars: Vec<_> = S3_VARS
                .iter()
                .filter(|(k, _)| *k != missing)
                .copied()
                .collect();
            let err = config(&vars).expect_err(missing);
            assert!(err.contains(missing), "{err}");
        }
    }

    #[test]
    fn bad_values_are_configuration_errors() {
        assert!(config(&[(VAR_MAX_BLOB_BYTES, "32MB")]).is_err());
        assert!(config(&[(VAR_MAX_BLOB_BYTES, "-1")]).is_err());
        assert!(config(&[(VAR_ENDPOINT, "http://")]).is_err());
        let unreadable = Config::from_variables(|_| Err("denied".into()));
        assert_eq!(unreadable, Err("denied".into()));
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let c = config(&S3_VARS).expect("valid");
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(shown.contains("GK0123"));
    }
}
