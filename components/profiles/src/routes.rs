//! Every route this component serves. `docs/openapi.json` documents exactly
//! these (tests/e2e/tests/openapi.rs checks every component's table against
//! it), and spin.toml routes their prefixes here.

use edge::{Method, Route, Router};

use crate::v1;

use crate::handlers::{
    bulk, fingerprints, groups, health, launch, locks, profiles, proxies, tags, templates,
};

pub static ROUTES: &[Route] = &[
    // Exact route in spin.toml: this component's own health check.
    Route::new(Method::Get, "/health/profiles", health::health),
    Route::new(Method::Get, "/api/profiles", profiles::list),
    Route::new(Method::Post, "/api/profiles", profiles::create),
    // Before `/:id`, so that it is not read as a profile id.
    Route::new(Method::Post, "/api/profiles/bulk", bulk::bulk),
    Route::new(Method::Get, "/api/profiles/:id", profiles::get),
    Route::new(Method::Put, "/api/profiles/:id", profiles::update),
    Route::new(Method::Delete, "/api/profiles/:id", profiles::delete),
    Route::new(Method::Post, "/api/profiles/:id/launch", launch::launch),
    Route::new(
        Method::Post,
        "/api/profiles/:id/heartbeat",
        launch::heartbeat,
    ),
    Route::new(Method::Post, "/api/profiles/:id/release", launch::release),
    Route::new(
        Method::Post,
        "/api/profiles/:id/regenerate-fingerprint",
        profiles::regenerate_fingerprint,
    ),
    Route::new(Method::Get, "/api/locks", locks::list),
    Route::new(
        Method::Delete,
        "/api/locks/:profileId",
        locks::force_release,
    ),
    Route::new(Method::Get, "/api/groups", groups::list),
    Route::new(Method::Post, "/api/groups", groups::create),
    Route::new(Method::Get, "/api/groups/:id", groups::get),
    Route::new(Method::Put, "/api/groups/:id", groups::update),
    Route::new(Method::Delete, "/api/groups/:id", groups::delete),
    Route::new(Method::Get, "/api/tags", tags::list),
    Route::new(Method::Get, "/api/proxies", proxies::list),
    Route::new(Method::Post, "/api/proxies", proxies::create),
    Route::new(Method::Get, "/api/proxies/:id", proxies::get),
    Route::new(Method::Put, "/api/proxies/:id", proxies::update),
    Route::new(Method::Delete, "/api/proxies/:id", proxies::delete),
    Route::new(Method::Get, "/api/templates", templates::list),
    Route::new(Method::Get, "/api/templates/:id", templates::get),
    Route::new(
        Method::Post,
        "/api/fingerprints/validate",
        fingerprints::validate,
    ),
    // The published multilogin.io clients' surface (src/v1): the same
    // handlers, their wire format.
    Route::new(Method::Get, "/api/v1/profiles", v1::profiles::list),
    Route::new(Method::Post, "/api/v1/profiles", v1::manage::create),
    // Before `/:id`, so that they are not read as profile ids.
    Route::new(Method::Get, "/api/v1/profiles/export", v1::manage::export),
    Route::new(Method::Post, "/api/v1/profiles/import", v1::manage::import),
    Route::new(
        Method::Post,
        "/api/v1/profiles/bulk-delete",
        v1::manage::bulk_delete,
    ),
    Route::new(Method::Get, "/api/v1/profiles/:id", v1::profiles::get),
    Route::new(Method::Patch, "/api/v1/profiles/:id", v1::manage::update),
    Route::new(Method::Delete, "/api/v1/profiles/:id", v1::manage::delete),
    Route::new(
        Method::Post,
        "/api/v1/profiles/:id/duplicate",
        v1::manage::duplicate,
    ),
    Route::new(
        Method::Post,
        "/api/v1/profiles/:id/regenerate-fingerprint",
        v1::manage::regenerate,
    ),
    Route::new(
        Method::Post,
        "/api/v1/profiles/:id/launch",
        v1::launch::launch,
    ),
    Route::new(
        Method::Post,
        "/api/v1/profiles/:id/heartbeat",
        v1::launch::heartbeat,
    ),
    Route::new(Method::Post, "/api/v1/profiles/:id/stop", v1::launch::stop),
    Route::new(
        Method::Post,
        "/api/v1/profiles/:id/release",
        v1::launch::stop,
    ),
    Route::new(Method::Get, "/api/v1/groups", v1::groups::list),
    Route::new(Method::Post, "/api/v1/groups", v1::groups::create),
    Route::new(Method::Get, "/api/v1/groups/:id", v1::groups::get),
    Route::new(Method::Patch, "/api/v1/groups/:id", v1::groups::update),
    Route::new(Method::Delete, "/api/v1/groups/:id", v1::groups::delete),
    Route::new(
        Method::Post,
        "/api/v1/groups/:id/profiles",
        v1::groups::add_profiles,
    ),
    Route::new(
        Method::Delete,
        "/api/v1/groups/:id/profiles",
        v1::groups::remove_profiles,
    ),
    Route::new(Method::Get, "/api/v1/proxies", v1::proxies::list),
    Route::new(Method::Post, "/api/v1/proxies", v1::proxies::create),
    Route::new(Method::Get, "/api/v1/proxies/:id", v1::proxies::get),
    Route::new(Method::Patch, "/api/v1/proxies/:id", v1::proxies::update),
    Route::new(Method::Delete, "/api/v1/proxies/:id", v1::proxies::delete),
    Route::new(Method::Get, "/api/v1/health/system", v1::health::system),
    Route::new(Method::Get, "/api/v1/templates", v1::templates::list),
    Route::new(Method::Get, "/api/v1/templates/:id", v1::templates::get),
    Route::new(
        Method::Post,
        "/api/v1/templates/:id/preview",
        v1::templates::preview,
    ),
];

pub static ROUTER: Router = Router::new(ROUTES);
