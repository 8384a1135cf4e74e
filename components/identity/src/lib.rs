//! The `identity` library component: exports `browser-cloud:identity/identity`
//! (see `wit/deps/identity/identity.wit`) and has no HTTP route. Spin plugs it into each
//! HTTP component that imports the interface (`[component.X.dependencies]`),
//! with the parent's SQLite database, key-value store and variables
//! inherited (`dependencies_inherit_configuration = true`).
//!
//! Layers: [`credential`] reads the headers (pure), [`store`] looks the
//! credential up in SQLite, [`rate`] counts the request with atomic
//! key-value increments, [`config`] reads the variables.

pub mod config;
pub mod credential;
pub mod rate;
pub mod store;

/// Export-side bindings of the `identity-provider` world. The ABI glue that
/// wit-bindgen generates is `unsafe` by nature; it stays inside this module.
#[allow(unsafe_code)]
mod bindings {
    wit_bindgen::generate!({
        world: "identity-provider",
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

use identity::{AuthError, Guest, Principal};

pub use bindings::exports::browser_cloud::identity::identity;

/// The component's implementation of `identity`.
pub struct Provider;

impl Guest for Provider {
    fn authenticate(headers: Vec<(String, String)>) -> Result<Principal, AuthError> {
        authenticate(&headers)
    }
}

/// Authenticates a request from its headers. Internal failures are logged
/// here with the caller's request id (and returned for the caller's log).
pub fn authenticate(headers: &[(String, String)]) -> Result<Principal, AuthError> {
    let request_id = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("x-request-id"))
        .map_or("-", |(_, v)| v.as_str());
    let result = check(headers, request_id);
    if let Err(AuthError::Internal(detail)) = &result {
        edge::log(request_id, format!("identity: {detail}"));
    }
    result
}

fn check(headers: &[(String, String)], request_id: &str) -> Result<Principal, AuthError> {
    let presented = credential::read(headers)?;
    let db = store::open().map_err(AuthError::Internal)?;
    let identity = match presented {
        credential::Presented::Jwt(token) => {
            let secret = config::jwt_secret().map_err(AuthError::Internal)?;
            let claims = credentials::token::verify(&secret, &token).map_err(|e| match e {
                credentials::TokenError::Expired => AuthError::Expired,
                _ => AuthError::Invalid,
            })?;
            store::session(&db, &claims, edge::time::now_ms())?
        }
        credential::Presented::Key(key) => store::api_key(&db, &key, edge::time::now_ms())?,
    };
    let limits = config::limits(identity.plan).map_err(AuthError::Internal)?;
    let rate_limit = rate::count(
        &identity.counters(),
        &limits,
        edge::time::now_secs(),
        request_id,
    )?;
    Ok(identity.into_principal(rate_limit))
}
