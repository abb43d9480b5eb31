//! Per-request counts of billable store operations (Firestore's billing units: document
//! reads, writes and deletes; <https://firebase.google.com/docs/firestore/pricing>).
//!
//! The HTTP layer opens a scope per request with [`metered`]; every backend calls
//! [`record_reads`] / [`record_writes`] / [`record_deletes`] as Firestore would bill: one read
//! per document returned (and one for a query or get that returns nothing), one write per
//! set/merge/transform write, one delete per delete.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counters of one scope (a request, a job).
#[derive(Debug, Default)]
pub struct Meter {
    reads: AtomicU64,
    writes: AtomicU64,
    deletes: AtomicU64,
}

/// A snapshot of a [`Meter`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Usage {
    /// Document reads.
    pub reads: u64,
    /// Document writes (sets, merges, transforms).
    pub writes: u64,
    /// Document deletes.
    pub deletes: u64,
}

impl Meter {
    /// Current counts.
    pub fn usage(&self) -> Usage {
        Usage {
            reads: self.reads.load(Ordering::Relaxed),
            writes: self.writes.load(Ordering::Relaxed),
            deletes: self.deletes.load(Ordering::Relaxed),
        }
    }
}

tokio::task_local! {
    static METER: Arc<Meter>;
}

/// Runs `fut` with a fresh meter and returns its output with the usage it caused. Scopes
/// nest: when `fut` ends, its usage is also added to the enclosing scope, if any (a test or a
/// batch job metering several requests sees their sum).
pub async fn metered<F: Future>(fut: F) -> (F::Output, Usage) {
    let meter = Arc::new(Meter::default());
    let out = METER.scope(meter.clone(), fut).await;
    let usage = meter.usage();
    record_reads(usage.reads);
    record_writes(usage.writes);
    record_deletes(usage.deletes);
    (out, usage)
}

fn add(f: impl FnOnce(&Meter)) {
    let _ = METER.try_with(|m| f(m));
}

/// Records `n` billed document reads in the current scope (no-op outside a scope).
pub fn record_reads(n: u64) {
    add(|m| {
        m.reads.fetch_add(n, Ordering::Relaxed);
    });
}

/// Records `n` billed document writes in the current scope.
pub fn record_writes(n: u64) {
    add(|m| {
        m.writes.fetch_add(n, Ordering::Relaxed);
    });
}

/// Records `n` billed document deletes in the current scope.
pub fn record_deletes(n: u64) {
    add(|m| {
        m.deletes.fetch_add(n, Ordering::Relaxed);
    });
}

/// Bills a commit as sent: deletes count as deletes, every other write as a write. A commit
/// that fails (precondition, contention) is counted too, so the figures are an upper bound of
/// what Firestore bills (its pricing page does not say that failed writes are free).
pub fn record_commit(writes: &[super::Write]) {
    let deletes = writes.iter().filter(|w| matches!(w.kind, super::WriteKind::Delete)).count() as u64;
    record_deletes(deletes);
    record_writes(writes.len() as u64 - deletes);
}

/// Bills a query or batched get that returned `n` documents (minimum one read).
pub fn record_query(n: usize) {
    record_reads((n as u64).max(1));
}
