//! One module per route: the team's billing and the owner's Stripe
//! sessions (authenticated through the `identity` dependency), the Stripe
//! webhook (authenticated by its signature), the health check.

pub mod billing;
pub mod checkout;
pub mod health;
pub mod webhooks;
