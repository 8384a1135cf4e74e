//! Every route this component serves. `docs/openapi.json` documents these
//! (tests/e2e/tests/openapi.rs checks every component's table against it), and
//! spin.toml routes `/api/teams/...`, `/api/audit/...`, `/api/webhooks/...` and
//! `/health/teams` here.

use edge::{Method, Route, Router};

use crate::handlers::{audit, health, hooks, invitations, members, teams};
use crate::v1;

pub static ROUTES: &[Route] = &[
    // Exact route in spin.toml: this component's own health check.
    Route::new(Method::Get, "/health/teams", health::health),
    Route::new(Method::Get, "/api/teams", teams::list),
    Route::new(Method::Post, "/api/teams", teams::create),
    Route::new(
        Method::Post,
        "/api/teams/invitations/accept",
        invitations::accept,
    ),
    Route::new(Method::Put, "/api/teams/:id", teams::rename),
    Route::new(Method::Get, "/api/teams/:id/members", members::list),
    Route::new(
        Method::Post,
        "/api/teams/:id/invitations",
        invitations::create,
    ),
    Route::new(Method::Get, "/api/teams/:id/invitations", invitations::list),
    Route::new(
        Method::Delete,
        "/api/teams/:id/invitations/:invitationId",
        invitations::cancel,
    ),
    Route::new(
        Method::Put,
        "/api/teams/:id/members/:userId",
        members::change_role,
    ),
    Route::new(
        Method::Delete,
        "/api/teams/:id/members/:userId",
        members::remove,
    ),
    Route::new(Method::Get, "/api/audit", audit::list),
    Route::new(Method::Get, "/api/webhooks", hooks::list),
    Route::new(Method::Post, "/api/webhooks", hooks::create),
    Route::new(Method::Get, "/api/webhooks/:id", hooks::get),
    Route::new(Method::Put, "/api/webhooks/:id", hooks::update),
    Route::new(Method::Delete, "/api/webhooks/:id", hooks::delete),
    Route::new(
        Method::Post,
        "/api/webhooks/:id/secret",
        hooks::rotate_secret,
    ),
    Route::new(
        Method::Get,
        "/api/webhooks/:id/deliveries",
        hooks::deliveries,
    ),
    Route::new(
        Method::Post,
        "/api/webhooks/:id/deliveries/retry",
        hooks::retry,
    ),
    // The published multilogin.io dashboard's team page (src/v1.rs).
    Route::new(Method::Get, "/api/v1/teams/current", v1::current),
    Route::new(Method::Patch, "/api/v1/teams/current", v1::rename),
    Route::new(Method::Get, "/api/v1/teams/members", v1::list_members),
    Route::new(Method::Post, "/api/v1/teams/members/invite", v1::invite),
    Route::new(
        Method::Patch,
        "/api/v1/teams/members/:memberId",
        v1::change_role,
    ),
    Route::new(
        Method::Delete,
        "/api/v1/teams/members/:memberId",
        v1::remove,
    ),
    Route::new(Method::Post, "/api/v1/teams/leave", v1::leave),
    Route::new(
        Method::Get,
        "/api/v1/teams/invitations",
        v1::list_invitations,
    ),
    Route::new(
        Method::Delete,
        "/api/v1/teams/invitations/:invitationId",
        v1::cancel_invitation,
    ),
    Route::new(Method::Get, "/api/v1/audit", v1::audit),
    Route::new(Method::Get, "/api/v1/users/activity", v1::audit),
];

pub static ROUTER: Router = Router::new(ROUTES);
