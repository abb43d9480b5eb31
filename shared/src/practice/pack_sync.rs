//! Syncing results practised offline: `POST /v1/offline-packs/{id}/results`.
//!
//! **Exactly once.** One transaction reads the pack and the user document (2 reads). Results
//! for items the pack already records as applied are answered from the pack and change
//! nothing; the others are graded with the quiz marking ([`super::complete::grade_items`]),
//! applied to θ, totals, streak and the weekly statistics with the same user-document write a
//! completion uses ([`super::complete::user_update`]), recorded as one completed quiz
//! (`users/{uid}/quizzes/{id}`, so history and the weekly snapshot see offline practice), and
//! marked applied in the pack, all in one commit (3 writes). Two concurrent syncs both read the
//! pack; the second commit aborts (Firestore's serializable transactions; SQLite's version
//! check), retries, and finds the items applied. The quiz record's id is derived from (pack,
//! sync number) and created with an existence precondition, a second guard against a double
//! apply. A retried, duplicated, partial or late sync (after a later online quiz) therefore
//! applies each item once; θ moves from whatever it is at the time of the sync.
//!
//! **Device times** are not trusted: a time after the server's clock is clamped to the sync
//! time and flagged `future`; one before the pack's issue is clamped to the issue time and
//! flagged `before_issue`. The latest clamped time of the newly applied items dates the
//! session (its IST day for the streak, its ISO week for the weekly statistics; a day before
//! the streak's last day leaves the streak as it is).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::complete::{Answer, grade_items, store_value, user_update, validate_answers};
use super::error::PracticeError;
use super::pack::MAX_PACK_SIZE;
use crate::domain::{IstDay, PackId, QuizId, UserId};
use crate::records::pack::{AppliedItem, PackDoc, TimeFlag};
use crate::records::{AbilityChange, QuizDoc, QuizItem, QuizStatus, UserDoc};
use crate::store::{
    DocumentStore, Fields, Precondition, StoreError, Timestamp, TransactionRetry, Value, Write, to_fields,
};
use crate::user_lock::UserLocks;

/// One result practised offline.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PackResult {
    /// Question id (one of the pack's).
    pub question_id: String,
    /// Response in the per-type shape; `null` = skipped.
    #[serde(default)]
    pub answer: serde_json::Value,
    /// Seconds spent, 0–10800.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 10800)]
    pub seconds: f64,
    /// When the device recorded the answer (RFC 3339).
    #[schema(value_type = String, format = DateTime)]
    pub answered_at: DateTime<Utc>,
}

/// Whether a result changed anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    /// Applied by this sync.
    Applied,
    /// Applied by an earlier sync; this one changed nothing for it (its stored grading is
    /// returned, even when the answer sent now differs).
    AlreadyApplied,
}

/// A synced item as graded and stored.
#[derive(Debug, Clone)]
pub struct SyncedItem {
    /// Question id.
    pub question_id: String,
    /// Applied now or before.
    pub status: ItemStatus,
    /// How it was applied.
    pub applied: AppliedItem,
    /// The correct answer.
    pub correct_answer: serde_json::Value,
}

/// Outcome of [`sync`].
#[derive(Debug, Clone)]
pub struct SyncOutcome {
    /// The submitted results in request order.
    pub items: Vec<SyncedItem>,
    /// The completed quiz this sync recorded (`None` when nothing was new).
    pub quiz_id: Option<QuizId>,
    /// θ changes of this sync.
    pub abilities: Vec<AbilityChange>,
    /// Items in the pack.
    pub pack_items: usize,
    /// Items applied so far, this sync included.
    pub applied_total: usize,
    /// The pack's expiry.
    pub expires_at: Timestamp,
}

/// Clamps a device time into `[issued, now]`, saying why when it had to.
pub fn clamp_device_time(
    at: DateTime<Utc>,
    issued: DateTime<Utc>,
    now: DateTime<Utc>,
) -> (DateTime<Utc>, Option<TimeFlag>) {
    if at > now {
        (now, Some(TimeFlag::Future))
    } else if at < issued {
        (issued, Some(TimeFlag::BeforeIssue))
    } else {
        (at, None)
    }
}

/// Checks a sync body before any read (at most [`MAX_PACK_SIZE`] results, one per question,
/// seconds in range).
///
/// # Errors
/// As [`validate_answers`].
pub fn validate_results(results: &[PackResult]) -> Result<(), PracticeError> {
    let answers: Vec<Answer> = results.iter().map(as_answer).collect();
    validate_answers(&answers, MAX_PACK_SIZE as usize)
}

fn as_answer(r: &PackResult) -> Answer {
    Answer { question_id: r.question_id.clone(), answer: r.answer.clone(), seconds: r.seconds }
}

/// Applies `results` of pack `pack_id` to `uid`, exactly once per item (see the module docs).
///
/// # Errors
/// [`PracticeError::PackNotOwned`], [`PracticeError::PackNotFound`],
/// [`PracticeError::ItemNotInPack`], [`PracticeError::PackExpired`] (only when something new
/// would be applied), [`PracticeError::InvalidAnswer`], [`PracticeError::Store`].
pub async fn sync(
    store: &dyn DocumentStore,
    locks: &UserLocks,
    clock: &dyn crate::clock::Clock,
    uid: &UserId,
    pack_id: &PackId,
    results: &[PackResult],
) -> Result<SyncOutcome, PracticeError> {
    if !pack_id.is_owned_by(uid) {
        return Err(PracticeError::PackNotOwned);
    }
    let pack_path = PackDoc::path(uid, pack_id)?;
    let user_path = UserDoc::path(uid)?;
    let _queue = locks.lock(uid.as_str()).await;
    let mut retry = TransactionRetry::default();
    loop {
        let mut txn = store.begin().await?;
        let docs = txn.get_all(&[pack_path.clone(), user_path.clone()]).await?;
        let Some(mut pack) = docs[0].as_ref().map(|d| d.decode::<PackDoc>()).transpose()? else {
            return Err(PracticeError::PackNotFound(pack_id.to_string()));
        };
        if pack.uid != uid.as_str() {
            return Err(PracticeError::PackNotOwned);
        }
        let user: UserDoc = docs[1].as_ref().map(|d| d.decode()).transpose()?.unwrap_or_default();
        let now = clock.now();
        let in_pack: HashSet<&str> = pack.items.iter().map(|i| i.question_id.as_str()).collect();
        if let Some(stray) = results.iter().find(|r| !in_pack.contains(r.question_id.as_str())) {
            return Err(PracticeError::ItemNotInPack(stray.question_id.clone()));
        }
        let fresh: Vec<&PackResult> = results.iter().filter(|r| !pack.applied.contains_key(&r.question_id)).collect();
        // Grade every result (new or not) so that a body refused once is refused every time.
        let all_items: Vec<QuizItem> =
            pack.items.iter().filter(|i| results.iter().any(|r| r.question_id == i.question_id)).cloned().collect();
        let all_answers: Vec<Answer> = results.iter().map(as_answer).collect();
        grade_items(&all_items, &user, &all_answers, Timestamp(now))?;
        if fresh.is_empty() {
            return Ok(outcome(&pack, results, None, Vec::new()));
        }
        if now > pack.expires_at.0 {
            return Err(PracticeError::PackExpired { pack_id: pack_id.to_string(), expires_at: pack.expires_at });
        }
        let times: Vec<(DateTime<Utc>, Option<TimeFlag>)> =
            fresh.iter().map(|r| clamp_device_time(r.answered_at, pack.created_at.0, now)).collect();
        let session_at = times.iter().map(|(t, _)| *t).max().unwrap_or(now);
        let items: Vec<QuizItem> =
            pack.items.iter().filter(|i| fresh.iter().any(|r| r.question_id == i.question_id)).cloned().collect();
        let answers: Vec<Answer> = fresh.iter().map(|r| as_answer(r)).collect();
        let graded = grade_items(&items, &user, &answers, Timestamp(session_at))?;
        let sync_no = pack.syncs + 1;
        let quiz_id = QuizId::for_idempotency_key(uid, &format!("{}#{sync_no}", pack_id.as_str()));
        for (r, (at, flag)) in fresh.iter().zip(&times) {
            let Some(g) = graded.result.items.iter().find(|g| g.question_id == r.question_id) else { continue };
            pack.applied.insert(
                r.question_id.clone(),
                AppliedItem {
                    sync: sync_no,
                    answered_at: Timestamp(*at),
                    time_flag: *flag,
                    response: g.response.clone(),
                    marks: g.marks,
                    outcome: g.outcome,
                    seconds: g.seconds,
                    quiz_id: quiz_id.to_string(),
                },
            );
        }
        pack.syncs = sync_no;
        let record = QuizDoc {
            uid: uid.to_string(),
            status: QuizStatus::Completed,
            created_at: pack.created_at,
            expires_at: pack.expires_at,
            subject: None,
            chapter: None,
            items,
            retain_until: Some(crate::records::quiz::retain_until(graded.result.completed_at)),
            result: Some(graded.result.clone()),
        };
        let pack_fields = Fields::from([
            ("applied".to_owned(), store_value(&pack.applied)?),
            ("syncs".to_owned(), Value::IntegerValue(sync_no)),
        ]);
        let mut user_write = user_update(uid, &user, &graded, IstDay::of(session_at))?;
        if let Some(mut pointer) = user.offline_pack.clone().filter(|p| p.id == pack_id.as_str()) {
            pointer.applied = pack.applied.len() as i64;
            if let crate::store::WriteKind::Merge { fields, mask } = &mut user_write.kind {
                fields.insert("offline_pack".to_owned(), store_value(&pointer)?);
                mask.push("offline_pack".to_owned());
            }
        }
        let writes = vec![
            Write::merge(pack_path.clone(), pack_fields).with_precondition(Precondition::Exists(true)),
            Write::create(QuizDoc::path(uid, &quiz_id)?, to_fields(&record)?),
            user_write,
        ];
        match txn.commit(writes).await {
            Ok(()) => return Ok(outcome(&pack, results, Some(quiz_id), graded.result.abilities)),
            Err(StoreError::Aborted | StoreError::AlreadyExists(_)) if retry.backoff().await => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

fn outcome(
    pack: &PackDoc,
    results: &[PackResult],
    quiz_id: Option<QuizId>,
    abilities: Vec<AbilityChange>,
) -> SyncOutcome {
    let this_sync = quiz_id.as_ref().map(|q| q.to_string());
    let items = results
        .iter()
        .filter_map(|r| {
            let applied = pack.applied.get(&r.question_id)?.clone();
            let correct_answer = pack
                .items
                .iter()
                .find(|i| i.question_id == r.question_id)
                .map(|i| i.answer.clone())
                .unwrap_or_default();
            let status = if this_sync.as_deref() == Some(applied.quiz_id.as_str()) {
                ItemStatus::Applied
            } else {
                ItemStatus::AlreadyApplied
            };
            Some(SyncedItem { question_id: r.question_id.clone(), status, applied, correct_answer })
        })
        .collect();
    SyncOutcome {
        items,
        quiz_id,
        abilities,
        pack_items: pack.items.len(),
        applied_total: pack.applied.len(),
        expires_at: pack.expires_at,
    }
}
