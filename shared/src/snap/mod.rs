//! Snap-solve use cases: a photographed question becomes a worked solution.
//!
//! 1. [`reserve`]: idempotency check + one unit of the daily snap quota reserved + a `pending`
//!    snap, in one transaction.
//! 2. [`solve`]: the model call (inline, or in a queued [`job`] after `202 Accepted`).
//! 3. [`settle`]: the reservation becomes a charge (solved) or is released (failed).
//!
//! [`history`] lists, reads and deletes snaps; [`sweep`] enforces retention.

pub mod history;
pub mod job;
pub mod reserve;
pub mod settle;
pub mod solve;
pub mod sweep;

/// Object key of a snap's stored image: `snaps/{snap id}.{jpg|heic}` (no uid in it, so a
/// presigned URL reveals nothing about the owner).
pub fn image_key(id: &crate::domain::SnapId, mime_type: &str) -> String {
    let ext = if mime_type == "image/heic" || mime_type == "image/heif" { "heic" } else { "jpg" };
    format!("snaps/{id}.{ext}")
}
