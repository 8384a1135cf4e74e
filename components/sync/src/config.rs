//! The component's variables. (`max_body_bytes`, which the edge enforces
//! before routing, is mapped from `max_sync_body_bytes` in spin.toml: the
//! compressed or plain body a push may send.)

use edge::ApiError;

/// Variable: the largest session (canonical JSON, after un-gzipping), bytes.
pub const VAR_MAX_SESSION_BYTES: &str = "max_session_bytes";
/// Variable: how many versions of a profile's session are kept.
pub const VAR_VERSIONS_KEPT: &str = "sync_versions_kept";
/// Variable: how long a written blob may wait for its version row before
/// it counts as garbage (`1h`, `30m`, `3600`).
pub const VAR_ORPHAN_GRACE: &str = "sync_orphan_grace";

pub const DEFAULT_MAX_SESSION_BYTES: u64 = 16 * 1024 * 1024;
pub const DEFAULT_VERSIONS_KEPT: u64 = 20;
pub const DEFAULT_ORPHAN_GRACE_MS: i64 = 3_600_000;

#[derive(Debug, Clone, Copy)]
pub struct Config {
    pub max_session_bytes: usize,
    pub versions_kept: i64,
    pub orphan_grace_ms: i64,
}

pub fn load() -> Result<Config, ApiError> {
    Ok(Config {
        max_session_bytes: usize::try_from(edge::config::number(
            VAR_MAX_SESSION_BYTES,
            DEFAULT_MAX_SESSION_BYTES,
        )?)
        .unwrap_or(usize::MAX),
        versions_kept: i64::try_from(edge::config::number(
            VAR_VERSIONS_KEPT,
            DEFAULT_VERSIONS_KEPT,
        )?)
        .unwrap_or(i64::MAX),
        orphan_grace_ms: edge::config::duration_ms(VAR_ORPHAN_GRACE, DEFAULT_ORPHAN_GRACE_MS)?,
    })
}
