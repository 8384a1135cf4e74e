//! Every route this component serves. `docs/openapi.json` documents these
//! (tests/e2e/tests/openapi.rs checks every component's table against it), and spin.toml routes their prefixes here.

use edge::{Method, Route, Router};

use crate::handlers::{account, auth, docs, health, info, keys};
use crate::v1;

pub static ROUTES: &[Route] = &[
    Route::new(Method::Get, "/health", health::health),
    Route::new(Method::Get, "/openapi.json", docs::openapi),
    Route::new(Method::Post, "/auth/register", auth::register),
    Route::new(Method::Post, "/auth/login", auth::login),
    Route::new(Method::Post, "/auth/logout", auth::logout),
    Route::new(Method::Get, "/auth/me", auth::me),
    Route::new(Method::Put, "/auth/me", account::update),
    Route::new(Method::Delete, "/auth/me", account::delete),
    Route::new(Method::Post, "/auth/password", account::change_password),
    Route::new(Method::Post, "/auth/switch-team", auth::switch_team),
    Route::new(Method::Post, "/api/keys", keys::create),
    Route::new(Method::Get, "/api/keys", keys::list),
    Route::new(Method::Delete, "/api/keys/:id", keys::revoke),
    Route::new(Method::Get, "/api/v1/info", info::info),
    // The published multilogin.io clients' surface (src/v1.rs).
    Route::new(Method::Post, "/api/v1/auth/register", v1::register),
    Route::new(Method::Post, "/api/v1/auth/login", v1::login),
    Route::new(Method::Get, "/api/v1/users/me", v1::me),
    Route::new(Method::Patch, "/api/v1/users/me", v1::update_me),
    Route::new(Method::Delete, "/api/v1/users/me", v1::delete_me),
    Route::new(
        Method::Post,
        "/api/v1/users/me/change-password",
        v1::change_password,
    ),
    Route::new(Method::Get, "/api/v1/users/api-keys", v1::list_keys),
    Route::new(Method::Post, "/api/v1/users/api-keys", v1::create_key),
    Route::new(Method::Delete, "/api/v1/users/api-keys/:id", v1::revoke_key),
];

pub static ROUTER: Router = Router::new(ROUTES);
