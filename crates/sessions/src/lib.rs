//! A profile's synced session: its cookies and localStorage.
//!
//! [`payload`] validates what a client pushes and gives it one canonical
//! JSON form and hash; [`codec`] gzips it and un-gzips with a bound checked
//! while decompressing (a gzip bomb stops at the limit); [`store`] keeps the
//! version rows in SQLite; [`blobs`] names the content-addressed blobs and
//! reads, writes and collects them through the `blob-store` dependency.
//!
//! The write protocol, which keeps a warmed session whole through crashes:
//! 1. register the blob key in `session_blob_gc` (due later),
//! 2. write the blob `sessions/{profileId}/{hash}.json.gz`,
//! 3. in one transaction: check the preconditions again, insert the version
//!    row (now current), drop the gc entry, prune versions beyond the kept
//!    number and register their blobs for collection.
//!
//! A crash before 3 commits leaves the previous version current and an
//! entry that a later push collects.

pub mod blobs;
pub mod codec;
pub mod payload;
pub mod rules;
pub mod store;

pub use payload::SessionData;
