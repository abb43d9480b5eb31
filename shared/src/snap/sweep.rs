//! Retention sweep (`jeevibe sweep`, and a scheduled trigger in production): deletes snaps
//! whose retention has ended, with their images, in batches; and fails snaps left `pending`
//! for longer than [`STALE_PENDING`] (a crashed instance), releasing their reservations.
//!
//! One query per batch over the top-level `snaps` collection (`expires_at <= now`, ascending),
//! so the sweep's cost is proportional to what it deletes, not to the number of users.

use chrono::{DateTime, Utc};

use super::settle::{Settlement, settle};
use crate::domain::{SnapId, UserId};
use crate::objects::ObjectStorage;
use crate::quota::Counter;
use crate::records::UserDoc;
use crate::records::snap::{SnapDoc, SnapFailure, SnapStatus};
use crate::store::{Direction, DocumentStore, MAX_WRITES_PER_COMMIT, Op, Query, Value, Write};

/// A snap still `pending` this long after its last change is abandoned (no inline request or
/// job can still be working on it: both give up within minutes).
pub const STALE_PENDING: chrono::Duration = chrono::Duration::hours(1);

/// What a sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SweepReport {
    /// Snap documents deleted because their retention ended.
    pub snaps_deleted: usize,
    /// Image objects deleted with them.
    pub images_deleted: usize,
    /// Abandoned pending snaps failed and released.
    pub stale_released: usize,
    /// Query + commit rounds.
    pub batches: usize,
}

/// Runs the sweep at `now` in batches of `batch` (1–500) documents.
///
/// # Errors
/// Store or object storage errors (what was deleted before stays deleted; a re-run continues).
pub async fn sweep(
    store: &dyn DocumentStore,
    images: &ObjectStorage,
    now: DateTime<Utc>,
    batch: usize,
) -> anyhow::Result<SweepReport> {
    let batch = batch.clamp(1, MAX_WRITES_PER_COMMIT / 2);
    let mut report = SweepReport::default();
    loop {
        let q = Query::new(SnapDoc::collection()?)
            .filter("expires_at", Op::Le, Value::timestamp(now))
            .order_by("expires_at", Direction::Asc)
            .limit(batch);
        let docs = store.query(&q).await?;
        if docs.is_empty() {
            break;
        }
        report.batches += 1;
        let mut keys = Vec::with_capacity(docs.len());
        let mut writes = Vec::with_capacity(docs.len() * 2);
        for d in &docs {
            let snap: SnapDoc = d.decode()?;
            keys.push(snap.image.key.clone());
            writes.push(Write::delete(d.path.clone()));
            if snap.status == SnapStatus::Pending
                && let Ok(uid) = UserId::parse(&snap.uid)
            {
                writes.push(Write::transform(UserDoc::path(&uid)?, vec![Counter::Snaps.increment(snap.quota_day, -1)]));
            }
        }
        images.delete_many(&keys).await?;
        report.images_deleted += keys.len();
        store.commit(writes).await?;
        report.snaps_deleted += docs.len();
        if docs.len() < batch {
            break;
        }
    }
    let pending = Query::new(SnapDoc::collection()?).filter("status", Op::Eq, Value::string("pending"));
    for d in store.query(&pending).await? {
        let snap: SnapDoc = d.decode()?;
        if now - snap.updated_at.0 < STALE_PENDING {
            continue;
        }
        let Ok(id) = SnapId::parse(d.path.id()) else { continue };
        let failure = SnapFailure {
            code: "snap_abandoned".into(),
            detail: "the solve did not finish; this snap was not charged".into(),
        };
        if settle(store, &id, &Settlement::Failed(failure), snap.attempts, now).await?.is_some() {
            report.stale_released += 1;
        }
    }
    Ok(report)
}
