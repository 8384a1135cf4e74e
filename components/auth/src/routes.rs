//! Every route this component serves. `docs/openapi.json` documents these
//! (tests/e2e/tests/openapi.rs checks every component's table against it), and spin.toml routes their prefixes here.

use edge::{Method, Route, Router};

use crate::handlers::{auth, docs, health, info, keys};
use crate::v1;

pub static ROUTES: &[Route] = &[
    Route::new(Method::Get, "/health", health::health),
    Route::new(Method::Get, "/openapi.json", docs::openapi),
    Route::new(Method::Post, "/auth/register", auth::register),
    Route::new(Method::Post, "/auth/login", auth::login),
    Route::new(Method::Post, "/auth/logout", auth::logout),
    Route::new(Method::Get, "/auth/me", auth::me),
    Route::new(Method::Post, "/auth/switch-team", auth::switch_team),
    Route::new(Method::Post, "/api/keys", keys::create),
    Route::new(Method::Get, "/api/keys", keys::list),
    Route::new(Method::Delete, "/api/keys/:id", keys::revoke),
    Route::new(Method::Get, "/api/v1/info", info::info),
    // The published multilogin.io clients' surface (src/v1.rs).
    Route::new(Method::Post, "/api/v1/auth/register", v1::register),
    Route::new(Method::Post, "/api/v1/auth/login", v1::login),
    Route::new(Method::Get, "/api/v1/users/me", v1::me),
];

pub static ROUTER: Router = Router::new(ROUTES);
