//! Proxy credentials sealed at rest: `crates/sealing` under the purpose
//! `proxy-credentials` (key from `proxy_credentials_key`, else from
//! `jwt_secret` under its own label).

pub use sealing::{
    DEDICATED_KEY_ID, FALLBACK_KEY_ID, Keys, PROXY_CREDENTIALS as PURPOSE, SealKey, open, seal,
};
