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
