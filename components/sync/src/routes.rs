//! Every route this component serves (documented in docs/openapi.json).

use edge::{Method, Route, Router};

use crate::handlers::{health, pull, push, versions};
use crate::v1;

pub static ROUTES: &[Route] = &[
    // Exact route in spin.toml: this component's own health check.
    Route::new(Method::Get, "/health/sync", health::health),
    Route::new(Method::Get, "/api/sync/:profileId", pull::pull),
    Route::new(Method::Post, "/api/sync/:profileId", push::push),
    Route::new(Method::Get, "/api/sync/:profileId/versions", versions::list),
    Route::new(
        Method::Post,
        "/api/sync/:profileId/restore",
        versions::restore,
    ),
    // The published multilogin.io clients' surface (src/v1.rs).
    // Before `/:profileId`, so that it is not read as a profile id.
    Route::new(Method::Post, "/api/v1/sync/bulk-upload", v1::bulk_upload),
    Route::new(Method::Get, "/api/v1/sync/:profileId", v1::pull),
    Route::new(Method::Post, "/api/v1/sync/:profileId", v1::push),
    Route::new(Method::Delete, "/api/v1/sync/:profileId", v1::clear),
    Route::new(Method::Post, "/api/v1/sync/:profileId/upload", v1::push),
    Route::new(
        Method::Get,
        "/api/v1/sync/:profileId/download",
        v1::download,
    ),
    Route::new(Method::Get, "/api/v1/sync/:profileId/status", v1::status),
];

pub static ROUTER: Router = Router::new(ROUTES);
