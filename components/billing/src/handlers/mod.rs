//! One module per route: the team's billing (authenticated through the
//! `identity` dependency), the Stripe webhook (authenticated by its
//! signature), the health check.

pub mod billing;
pub mod health;
pub mod webhooks;
