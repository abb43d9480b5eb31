//! Step 1 of a snap: one store transaction that checks the idempotency key, checks the tier's
//! daily snap quota and reserves one unit of it, and creates the `pending` snap document.
//!
//! Exactness: the counter `users/{uid}.usage.{day}.snaps` is read in the same transaction that
//! increments it (transform) and creates the snap, so N concurrent requests with one unit left
//! produce exactly one reservation; the others see the increment (or abort and retry, then see
//! it). A reservation becomes a charge when the solve succeeds ([`super::settle::confirm`]) and
//! is given back when it fails ([`super::settle::release`]).
//!
//! Idempotency (Stripe's semantics, <https://docs.stripe.com/api/idempotent_requests>): with an
//! `Idempotency-Key`, the snap id is derived from (uid, key), so the snap document is the
//! idempotency record. Same key and same image: a solved snap is replayed, a pending one is
//! `409`; same key, other image: `422`; a failed one is tried again (it was never charged).

use chrono::{DateTime, Utc};

use crate::domain::{IstDay, SnapId, Tier, UserId};
use crate::quota::{self, Counter, Decision};
use crate::records::UserDoc;
use crate::records::snap::{SnapDoc, SnapImage, SnapStatus};
use crate::store::{DocumentStore, Fields, Precondition, StoreError, Timestamp, TransactionRetry, Write, to_fields};
use crate::user_lock::UserLocks;

/// What the caller asks to reserve.
#[derive(Debug, Clone)]
pub struct ReserveRequest<'a> {
    /// Caller.
    pub uid: &'a UserId,
    /// Caller's tier (limit and retention).
    pub tier: Tier,
    /// Snap id (random, or derived from the idempotency key).
    pub snap_id: &'a SnapId,
    /// SHA-256 (hex) of the uploaded bytes.
    pub request_hash: &'a str,
    /// The client's idempotency key.
    pub idempotency_key: Option<&'a str>,
    /// Where the image will be stored.
    pub image: SnapImage,
    /// Now.
    pub now: DateTime<Utc>,
}

/// Outcome of [`reserve`].
#[derive(Debug, Clone, PartialEq)]
pub enum Reservation {
    /// A unit is reserved and the snap is `pending`: go and solve it.
    Started {
        /// The new snap document.
        snap: Box<SnapDoc>,
        /// Daily limit (`None` = unlimited).
        limit: Option<u32>,
        /// Units left after this reservation (`None` = unlimited).
        remaining: Option<u32>,
    },
    /// Same key, same image, already solved: answer with the stored snap (no charge).
    Replay(Box<SnapDoc>),
    /// Same key, still being solved: `409 idempotency_in_progress`.
    InProgress,
    /// Same key, different image: `422 idempotency_key_reused`.
    KeyReused,
    /// The day's quota is spent: `429 quota_exceeded`.
    Denied {
        /// Daily limit.
        limit: u32,
        /// Units left (0).
        remaining: u32,
    },
}

/// The retention end of a snap created at `now` by `tier` (`None` = unlimited).
pub fn expiry(tier: Tier, now: DateTime<Utc>) -> Option<Timestamp> {
    tier.history_retention_days().map(|d| Timestamp(now + chrono::Duration::days(i64::from(d))))
}

/// Runs the reservation transaction (retried on contention).
///
/// # Errors
/// Store errors (timeouts, unavailability, exhausted contention retries).
pub async fn reserve(
    store: &dyn DocumentStore,
    locks: &UserLocks,
    req: ReserveRequest<'_>,
) -> Result<Reservation, StoreError> {
    let user_path = UserDoc::path(req.uid)?;
    let snap_path = SnapDoc::path(req.snap_id)?;
    let day = IstDay::of(req.now);
    let limit = Counter::Snaps.limit(req.tier);
    let _queue = locks.lock(req.uid.as_str()).await;
    let mut retry = TransactionRetry::default();
    loop {
        let mut txn = store.begin().await?;
        let docs = txn.get_all(&[user_path.clone(), snap_path.clone()]).await?;
        let user: UserDoc = docs[0].as_ref().map(|d| d.decode()).transpose()?.unwrap_or_default();
        let existing: Option<SnapDoc> =
            docs[1].as_ref().map(|d| d.decode::<SnapDoc>()).transpose()?.filter(|s| s.uid == req.uid.as_str());
        if let Some(prev) = &existing {
            if prev.request_hash != req.request_hash {
                return Ok(Reservation::KeyReused);
            }
            match prev.status {
                SnapStatus::Solved => return Ok(Reservation::Replay(Box::new(prev.clone()))),
                SnapStatus::Pending => return Ok(Reservation::InProgress),
                SnapStatus::Failed => {} // never charged: try again
            }
        }
        let used = Counter::Snaps.used(&user.usage, day);
        let remaining = match quota::decide(limit, used, 1) {
            Decision::Allowed { remaining } => remaining,
            Decision::Denied { remaining } => {
                return Ok(Reservation::Denied { limit: limit.unwrap_or(0), remaining });
            }
        };
        let snap = SnapDoc {
            uid: req.uid.to_string(),
            status: SnapStatus::Pending,
            created_at: Timestamp(req.now),
            updated_at: Timestamp(req.now),
            expires_at: expiry(req.tier, req.now),
            quota_day: day,
            request_hash: req.request_hash.to_owned(),
            idempotency_key: req.idempotency_key.map(str::to_owned),
            image: req.image.clone(),
            attempts: existing.as_ref().map_or(0, |p| p.attempts),
            solution: None,
            similar: Vec::new(),
            usage: None,
            failure: None,
        };
        let snap_write = match &existing {
            None => Write::create(snap_path.clone(), to_fields(&snap)?),
            Some(_) => Write::set(snap_path.clone(), to_fields(&snap)?).with_precondition(Precondition::Exists(true)),
        };
        let writes = vec![
            snap_write,
            Write::merge_mask(user_path.clone(), Fields::new(), quota::stale_days(&user.usage, day))
                .with_transform(Counter::Snaps.increment(day, 1)),
        ];
        match txn.commit(writes).await {
            Ok(()) => return Ok(Reservation::Started { snap: Box::new(snap), limit, remaining }),
            Err(StoreError::Aborted | StoreError::AlreadyExists(_)) if retry.backoff().await => continue,
            Err(e) => return Err(e),
        }
    }
}
