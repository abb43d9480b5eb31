//! Offline practice packs (Pro and Ultra): a set of adaptive questions chosen by the quiz
//! engine ([`super::generate::choose`]) for practice without a connection, with answers
//! withheld. Results come back through [`super::pack_sync`].
//!
//! A download reads the user document in a transaction. When the pack it points at is still
//! current (same size asked, not within [`REISSUE_BEFORE_EXPIRY_HOURS`] of its expiry, not
//! fully synced) it is served again: `304` when the client already holds its entity tag
//! (1 read), else the stored pack (2 reads). Otherwise a new pack is issued: 1 read, 2 writes
//! (the pack; the user document's recent window, pack pointer and practice counter).

use chrono::{DateTime, Duration, Utc};

use super::complete::store_value;
use super::error::PracticeError;
use super::generate::{choose, pools_for, quiz_item};
use crate::bank::QuestionBank;
use crate::domain::{IstDay, PackId, ServedQuestion, Tier, UserId};
use crate::quota::{self, Decision};
use crate::records::UserDoc;
use crate::records::pack::{PACK_FORMAT, PackDoc, PackRef, entity_tag};
use crate::store::{DocumentStore, Fields, StoreError, Timestamp, TransactionRetry, Value, Write, to_fields};
use crate::user_lock::UserLocks;

/// Questions in a pack when `size` is not given.
pub const DEFAULT_PACK_SIZE: i64 = 20;
/// Largest pack (the cap on `size`).
pub const MAX_PACK_SIZE: i64 = 50;
/// How long a pack's results are accepted after issue, days.
pub const PACK_TTL_DAYS: i64 = 7;
/// A pack this close to its expiry is replaced by a new one on download, hours (so the app
/// never starts a pack it cannot sync).
pub const REISSUE_BEFORE_EXPIRY_HOURS: i64 = 24;

/// Refuses tiers without offline practice.
///
/// # Errors
/// [`PracticeError::TierRequired`] naming the lowest tier with offline practice.
pub fn require_offline(tier: Tier) -> Result<(), PracticeError> {
    if tier.entitlements().offline_practice {
        Ok(())
    } else {
        Err(PracticeError::TierRequired { feature: "offline practice", tier, required: Tier::lowest_with_offline() })
    }
}

/// Validates `?size=` (default [`DEFAULT_PACK_SIZE`], 1–[`MAX_PACK_SIZE`]).
///
/// # Errors
/// [`PracticeError::InvalidRequest`].
pub fn pack_size(size: Option<i64>) -> Result<usize, PracticeError> {
    let size = size.unwrap_or(DEFAULT_PACK_SIZE);
    if !(1..=MAX_PACK_SIZE).contains(&size) {
        return Err(PracticeError::InvalidRequest {
            detail: format!("size must be between 1 and {MAX_PACK_SIZE}, got {size}"),
            question_id: None,
        });
    }
    Ok(size as usize)
}

/// Outcome of [`download`].
#[derive(Debug, Clone)]
pub enum PackDownload {
    /// The client holds the current pack (`If-None-Match` matched its tag): `304`.
    NotModified {
        /// The pack's entity tag.
        etag: String,
    },
    /// The current pack, or a new one.
    Pack {
        /// Its id.
        id: PackId,
        /// Entity tag of this representation ([`entity_tag`]).
        etag: String,
        /// The stored pack.
        pack: Box<PackDoc>,
        /// True when it was issued by this call.
        issued: bool,
    },
}

fn is_current(r: &PackRef, size: usize, now: DateTime<Utc>) -> bool {
    r.requested == size as i64
        && r.applied < r.items
        && now < r.expires_at.0 - Duration::hours(REISSUE_BEFORE_EXPIRY_HOURS)
}

/// Serves `uid`'s current pack of `size` questions or issues a new one. `holds` says whether
/// the client already has a representation with a given entity tag (`If-None-Match`).
///
/// # Errors
/// [`PracticeError::TierRequired`], [`PracticeError::BankEmpty`],
/// [`PracticeError::QuotaExceeded`] (only with a limited tier), [`PracticeError::Store`].
#[allow(clippy::too_many_arguments)]
pub async fn download(
    store: &dyn DocumentStore,
    locks: &UserLocks,
    bank: &QuestionBank,
    uid: &UserId,
    tier: Tier,
    size: usize,
    holds: &(dyn Fn(&str) -> bool + Sync),
    now: DateTime<Utc>,
) -> Result<PackDownload, PracticeError> {
    require_offline(tier)?;
    let user_path = UserDoc::path(uid)?;
    let day = IstDay::of(now);
    let limit = tier.practice_questions_per_day();
    let _queue = locks.lock(uid.as_str()).await;
    let mut retry = TransactionRetry::default();
    loop {
        let mut txn = store.begin().await?;
        let mut user: UserDoc = txn.get(&user_path).await?.map(|d| d.decode()).transpose()?.unwrap_or_default();
        if let Some(r) = user.offline_pack.as_ref().filter(|r| is_current(r, size, now))
            && let Ok(id) = PackId::parse(&r.id)
        {
            let tag = entity_tag(&r.id, usize::try_from(r.applied).unwrap_or(0));
            if holds(&tag) {
                return Ok(PackDownload::NotModified { etag: tag });
            }
            if let Some(pack) = txn.get(&PackDoc::path(uid, &id)?).await?.map(|d| d.decode::<PackDoc>()).transpose()? {
                let etag = entity_tag(id.as_str(), pack.applied.len());
                return Ok(PackDownload::Pack { id, etag, pack: Box::new(pack), issued: false });
            }
        }
        let pools = pools_for(bank, None, None)?;
        let chosen = choose(&pools, &user, size);
        let n = chosen.len() as u32;
        let used = quota::practice_used(&user.usage, day);
        if let Decision::Denied { remaining } = quota::decide(limit, used, n) {
            return Err(PracticeError::QuotaExceeded { tier, limit: limit.unwrap_or(0), remaining, requested: n, now });
        }
        let id = PackId::generate(uid);
        let etag = entity_tag(id.as_str(), 0);
        let pack = PackDoc {
            uid: uid.to_string(),
            created_at: Timestamp(now),
            expires_at: Timestamp(now + Duration::days(PACK_TTL_DAYS)),
            version: format!("{PACK_FORMAT}.{}", bank.version()),
            etag: etag.clone(),
            requested: size as i64,
            items: chosen.iter().map(|q| quiz_item(q)).collect(),
            questions: chosen
                .iter()
                .map(|q| serde_json::to_value(ServedQuestion::from(*q)))
                .collect::<Result<_, _>>()
                .map_err(|e| PracticeError::Internal(e.to_string()))?,
            applied: Default::default(),
            syncs: 0,
        };
        user.remember(chosen.iter().map(|q| q.id.to_string()));
        let pointer = PackRef {
            id: id.to_string(),
            etag,
            requested: size as i64,
            items: i64::from(n),
            applied: 0,
            expires_at: pack.expires_at,
        };
        let fields = Fields::from([
            ("recent".to_owned(), Value::array(user.recent.iter().map(|id| Value::string(id.clone())).collect())),
            ("offline_pack".to_owned(), store_value(&pointer)?),
        ]);
        let mut mask: Vec<String> = fields.keys().cloned().collect();
        mask.extend(quota::stale_days(&user.usage, day));
        let writes = vec![
            Write::create(PackDoc::path(uid, &id)?, to_fields(&pack)?),
            Write::merge_mask(user_path.clone(), fields, mask).with_transform(quota::spend_practice(day, n)),
        ];
        match txn.commit(writes).await {
            Ok(()) => {
                let etag = pack.etag.clone();
                return Ok(PackDownload::Pack { id, etag, pack: Box::new(pack), issued: true });
            }
            Err(StoreError::Aborted) if retry.backoff().await => continue,
            Err(e) => return Err(e.into()),
        }
    }
}
