//! A student's snap history: newest first with cursor pagination, one snap, deletion.
//! Another user's snap and an expired snap read as missing on every path.

use chrono::{DateTime, Utc};

use crate::domain::{SnapId, UserId};
use crate::pagination::PageCursor;
use crate::quota::Counter;
use crate::records::UserDoc;
use crate::records::snap::{SnapDoc, SnapStatus};
use crate::store::{DocumentStore, StoreError, TransactionRetry, Write};

/// One page of history.
#[derive(Debug, Clone)]
pub struct SnapPage {
    /// Snaps, newest first (expired ones left out).
    pub items: Vec<(SnapId, SnapDoc)>,
    /// Cursor of the next page, when there may be one.
    pub next: Option<PageCursor>,
}

/// Reads the caller's snap, `None` when missing, another user's, or expired.
///
/// # Errors
/// Store errors.
pub async fn get(
    store: &dyn DocumentStore,
    uid: &UserId,
    id: &SnapId,
    now: DateTime<Utc>,
) -> Result<Option<SnapDoc>, StoreError> {
    if !id.is_owned_by(uid) {
        return Ok(None);
    }
    let snap = store.get(&SnapDoc::path(id)?, None).await?.map(|d| d.decode::<SnapDoc>()).transpose()?;
    Ok(snap.filter(|s| s.uid == uid.as_str() && !s.is_expired(now)))
}

/// Lists the caller's snaps, newest first: `uid == X order by created_at desc`, `limit` per
/// page, starting after `cursor`.
///
/// # Errors
/// Store errors.
pub async fn list(
    store: &dyn DocumentStore,
    uid: &UserId,
    limit: usize,
    cursor: Option<PageCursor>,
    now: DateTime<Utc>,
) -> Result<SnapPage, StoreError> {
    let (docs, next) =
        crate::pagination::owned_page(store, SnapDoc::collection()?, uid, "created_at", limit, cursor).await?;
    let mut items = Vec::with_capacity(docs.len());
    for d in docs {
        let snap: SnapDoc = d.decode()?;
        if snap.is_expired(now) {
            continue;
        }
        if let Ok(id) = SnapId::parse(d.path.id()) {
            items.push((id, snap));
        }
    }
    Ok(SnapPage { items, next })
}

/// Deletes the caller's snap document (a pending snap's reservation is released in the same
/// commit) and returns it so the caller can delete its image; `None` when there was none to
/// delete.
///
/// # Errors
/// Store errors.
pub async fn delete(
    store: &dyn DocumentStore,
    uid: &UserId,
    id: &SnapId,
    now: DateTime<Utc>,
) -> Result<Option<SnapDoc>, StoreError> {
    if !id.is_owned_by(uid) {
        return Ok(None);
    }
    let path = SnapDoc::path(id)?;
    let mut retry = TransactionRetry::default();
    loop {
        let mut txn = store.begin().await?;
        let snap = txn.get(&path).await?.map(|d| d.decode::<SnapDoc>()).transpose()?;
        let Some(snap) = snap.filter(|s| s.uid == uid.as_str() && !s.is_expired(now)) else {
            return Ok(None);
        };
        let mut writes = vec![Write::delete(path.clone())];
        if snap.status == SnapStatus::Pending {
            writes.push(Write::transform(UserDoc::path(uid)?, vec![Counter::Snaps.increment(snap.quota_day, -1)]));
        }
        match txn.commit(writes).await {
            Ok(()) => return Ok(Some(snap)),
            Err(StoreError::Aborted) if retry.backoff().await => continue,
            Err(e) => return Err(e),
        }
    }
}
