//! Step 3 of a snap: turn the reservation into a charge (solved) or give it back (failed).
//!
//! Each is one transaction that reads the snap and acts only while it is `pending`, so a
//! confirmation or release happens exactly once however many times the inline path, a queued
//! job or the sweep try it.

use chrono::{DateTime, Utc};

use crate::ai::{AiUsage, SnapSolution};
use crate::domain::{SnapId, UserId};
use crate::quota::Counter;
use crate::records::UserDoc;
use crate::records::snap::{SnapDoc, SnapFailure, SnapStatus};
use crate::store::{DocumentStore, Precondition, StoreError, Timestamp, TransactionRetry, Write, to_fields};

/// What a solve produced.
#[derive(Debug, Clone)]
pub enum Settlement {
    /// Solved: store the solution and keep the charge.
    Solved {
        /// The validated solution.
        solution: Box<SnapSolution>,
        /// Similar bank questions (ids).
        similar: Vec<String>,
        /// Model usage.
        usage: AiUsage,
    },
    /// Failed: store why and release the reservation.
    Failed(SnapFailure),
}

/// Applies `outcome` to a pending snap; returns the snap as stored afterwards (unchanged when
/// it was no longer pending, or `None` when it no longer exists, e.g. deleted meanwhile).
///
/// # Errors
/// Store errors.
pub async fn settle(
    store: &dyn DocumentStore,
    id: &SnapId,
    outcome: &Settlement,
    attempts: u32,
    now: DateTime<Utc>,
) -> Result<Option<SnapDoc>, StoreError> {
    let path = SnapDoc::path(id)?;
    let mut retry = TransactionRetry::default();
    loop {
        let mut txn = store.begin().await?;
        let Some(mut snap) = txn.get(&path).await?.map(|d| d.decode::<SnapDoc>()).transpose()? else {
            return Ok(None);
        };
        if snap.status != SnapStatus::Pending {
            return Ok(Some(snap));
        }
        snap.updated_at = Timestamp(now);
        snap.attempts = snap.attempts.max(attempts);
        let mut writes = Vec::with_capacity(2);
        match outcome {
            Settlement::Solved { solution, similar, usage } => {
                snap.status = SnapStatus::Solved;
                snap.solution = Some((**solution).clone());
                snap.similar = similar.clone();
                snap.usage = Some(usage.clone());
                snap.failure = None;
            }
            Settlement::Failed(f) => {
                snap.status = SnapStatus::Failed;
                snap.failure = Some(f.clone());
                let uid = UserId::parse(&snap.uid).map_err(StoreError::Codec)?;
                writes.push(Write::transform(UserDoc::path(&uid)?, vec![Counter::Snaps.increment(snap.quota_day, -1)]));
            }
        }
        writes.insert(0, Write::set(path.clone(), to_fields(&snap)?).with_precondition(Precondition::Exists(true)));
        match txn.commit(writes).await {
            Ok(()) => return Ok(Some(snap)),
            Err(StoreError::Aborted) if retry.backoff().await => continue,
            Err(StoreError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e),
        }
    }
}
