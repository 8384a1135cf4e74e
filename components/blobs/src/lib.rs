//! The `blobs` library component: exports `browser-cloud:blobs/blob-store`
//! (see `wit/deps/blobs/blobs.wit`) and has no HTTP route. Spin plugs it into each HTTP
//! component that imports the interface (`[component.X.dependencies]`),
//! with the parent's variables, SQLite database and outbound hosts
//! inherited (`dependencies_inherit_configuration = true`).
//!
//! Layers: [`rules`] decides what is valid (keys, size limit, page size,
//! content type) for both backends; [`config`] reads the variables and
//! picks the backend; [`s3`] talks to an S3-compatible server over
//! outbound HTTP; [`embedded`] keeps blobs chunked in SQLite; [`wire`]
//! reads S3's answers.
//!
//! The two backends differ where S3 leaves no choice: an S3 ETag is the
//! server's (an MD5 for Garage and AWS), the embedded one the hex SHA-256;
//! S3 times are to the second on get/head. Listings carry no content type
//! on either backend, because ListObjectsV2 has none.

pub mod config;
pub mod embedded;
pub mod rules;
pub mod s3;
pub mod wire;

/// Export-side bindings of the `blob-provider` world. The ABI glue that
/// wit-bindgen generates is `unsafe` by nature; it stays inside this module.
#[allow(unsafe_code)]
mod bindings {
    wit_bindgen::generate!({
        world: "blob-provider",
        path: "../../wit",
        // the interfaces live in packages of their own under wit/deps
        generate_all,
        additional_derives: [PartialEq, Eq],
    });

    // Only for wasm: a native build, for unit tests, has nothing to export.
    #[cfg(target_arch = "wasm32")]
    use super::Provider;
    #[cfg(target_arch = "wasm32")]
    export!(Provider with_types_in self);
}

pub use bindings::exports::browser_cloud::blobs::blob_store;

use blob_store::{Blob, BlobError, BlobMeta, BlobPage, Guest};
use config::{Backend, Config};

/// The component's implementation of `blob-store`.
pub struct Provider;

impl Guest for Provider {
    fn put(key: String, data: Vec<u8>, content_type: String) -> Result<BlobMeta, BlobError> {
        logged("put", &key, || {
            rules::check_key(&key).map_err(BlobError::InvalidKey)?;
            let config = load()?;
            rules::check_size(data.len(), config.max_blob_bytes).map_err(BlobError::TooLarge)?;
            let content_type = rules::content_type(&content_type).map_err(BlobError::Internal)?;
            match &config.backend {
                Backend::Embedded => embedded::put(&key, &data, &content_type),
                Backend::S3(settings) => {
                    s3::S3::new(settings, config.max_blob_bytes)?.put(&key, data, &content_type)
                }
            }
        })
    }

    fn get(key: String) -> Result<Option<Blob>, BlobError> {
        logged("get", &key, || {
            rules::check_key(&key).map_err(BlobError::InvalidKey)?;
            let config = load()?;
            match config.backend {
                Backend::Embedded => embedded::get(&key),
                Backend::S3(settings) => s3::S3::new(&settings, config.max_blob_bytes)?.get(&key),
            }
        })
    }

    fn head(key: String) -> Result<Option<BlobMeta>, BlobError> {
        logged("head", &key, || {
            rules::check_key(&key).map_err(BlobError::InvalidKey)?;
            let config = load()?;
            match config.backend {
                Backend::Embedded => embedded::head(&key),
                Backend::S3(settings) => s3::S3::new(&settings, config.max_blob_bytes)?.head(&key),
            }
        })
    }

    fn delete(key: String) -> Result<(), BlobError> {
        logged("delete", &key, || {
            rules::check_key(&key).map_err(BlobError::InvalidKey)?;
            let config = load()?;
            match config.backend {
                Backend::Embedded => embedded::delete(&key),
                Backend::S3(settings) => {
                    s3::S3::new(&settings, config.max_blob_bytes)?.delete(&key)
                }
            }
        })
    }

    fn list_prefix(
        prefix: String,
        start_after: Option<String>,
        limit: u32,
    ) -> Result<BlobPage, BlobError> {
        logged("list", &prefix, || {
            rules::check_fragment("prefix", &prefix).map_err(BlobError::InvalidKey)?;
            if let Some(after) = &start_after {
                rules::check_fragment("start-after", after).map_err(BlobError::InvalidKey)?;
            }
            let limit = rules::list_limit(limit);
            let config = load()?;
            let after = match rules::list_from(&prefix, start_after.as_deref()) {
                rules::ListFrom::Start => None,
                rules::ListFrom::After(after) => Some(after),
                rules::ListFrom::Past => {
                    return Ok(BlobPage {
                        items: Vec::new(),
                        next_start_after: None,
                    });
                }
            };
            match config.backend {
                Backend::Embedded => embedded::list(&prefix, after, limit),
                Backend::S3(settings) => {
                    s3::S3::new(&settings, config.max_blob_bytes)?.list(&prefix, after, limit)
                }
            }
        })
    }
}

fn load() -> Result<Config, BlobError> {
    Config::load().map_err(|e| BlobError::Internal(format!("configuration: {e}")))
}

/// Runs a call; failures the caller cannot fix by changing its input are
/// logged here too (the caller only maps them to 500 / 503).
fn logged<T>(
    operation: &str,
    key: &str,
    call: impl FnOnce() -> Result<T, BlobError>,
) -> Result<T, BlobError> {
    let result = call();
    match &result {
        Err(BlobError::Internal(detail)) => {
            edge::log("-", format!("blobs: {operation} {key:?}: {detail}"))
        }
        Err(BlobError::Unavailable(detail)) => edge::log(
            "-",
            format!("blobs: {operation} {key:?}: store unavailable: {detail}"),
        ),
        _ => {}
    }
    result
}
