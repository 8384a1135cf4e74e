//! Outbound webhooks, shared by the components that emit events (profiles:
//! `profile.launched`, `profile.released`, `lock.taken_over`; sync:
//! `sync.conflict`; teams: `member.joined`) and by teams, which manages the
//! webhooks under `/api/webhooks`.
//!
//! ```text
//! state change transaction ── outbox::enqueue (a pending row per subscribed webhook)
//! commit
//! deliver::after_commit ───── claim → sign → POST (deadline) → record outcome
//!                             + the team's due retries (backoff ×4 from webhook_retry_base)
//! ```
//!
//! Every delivery is `POST <url>` with `Content-Type: application/json`,
//! `Webhook-Id` (the event's id, the same in every retry), `Webhook-Event`,
//! `Webhook-Delivery` (the delivery's id) and `Webhook-Signature:
//! t=<unix seconds>,v1=<hex HMAC-SHA256 of "{t}.{body}">` keyed with the
//! webhook's `whsec_…` secret, exactly as Stripe signs (`crates/webhook-signature`).
//!
//! Pure parts ([`events`], [`hosts`], the schedule in [`config`],
//! [`secret`]) are unit-tested natively; [`store`], [`outbox`], [`send`] and
//! [`deliver`] call Spin's SQLite and outbound HTTP.

pub mod config;
pub mod deliver;
pub mod events;
pub mod hosts;
pub mod outbox;
pub mod secret;
pub mod send;
pub mod store;

pub use events::Event;
