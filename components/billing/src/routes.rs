//! Every route this component serves. `docs/openapi.json` documents these
//! (tests/e2e/tests/openapi.rs checks every component's table against it), and
//! spin.toml routes `/api/billing` (and `/api/billing/...`), `/webhooks/stripe`
//! and `/health/billing` here.

use edge::{Method, Route, Router};

use crate::handlers::{billing, checkout, health, webhooks};

pub static ROUTES: &[Route] = &[
    // Exact route in spin.toml: this component's own health check.
    Route::new(Method::Get, "/health/billing", health::health),
    Route::new(Method::Get, "/api/billing", billing::get),
    // The owner sends the browser to Stripe: Checkout (subscribe) and the
    // Customer Portal (change plan, card, cancel).
    Route::new(Method::Post, "/api/billing/checkout", checkout::checkout),
    Route::new(Method::Post, "/api/billing/portal", checkout::portal),
    // No credential: the request proves itself with its Stripe-Signature.
    Route::new(Method::Post, "/webhooks/stripe", webhooks::stripe),
];

pub static ROUTER: Router = Router::new(ROUTES);
