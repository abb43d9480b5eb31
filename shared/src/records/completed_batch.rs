//! Completed quizzes in batches: `users/{uid}.completed_quizzes` and
//! `users/{uid}/quiz_batches/{quizId}`.
//!
//! A completion puts the completed quiz ([`QuizDoc`], the shape a quiz document has always had)
//! into the user document's `completed_quizzes` map, in the user-document write it makes anyway,
//! instead of creating a quiz document: 1 read, 1 write. When the map reaches
//! [`COMPLETED_BATCH_SIZE`] entries, the same commit moves them all into one batch document
//! ([`QuizBatchDoc`], id = the completing quiz's) and empties the map: 1 read, 2 writes. A
//! batch is written once (precondition `exists = false`) and never changed; the Firestore TTL
//! policy on its `retain_until` deletes it [`QUIZ_RETENTION_DAYS`] after its last completion,
//! so every result is kept at least that long.
//!
//! [`admit`] and [`QuizBatchDoc::completed_between`] are pure; finding one completed quiz by id
//! (map, then batch, then the legacy quiz document) is [`crate::practice::completed`].
//!
//! [`QUIZ_RETENTION_DAYS`]: super::quiz::QUIZ_RETENTION_DAYS

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::quiz::{QuizDoc, retain_until};
use crate::domain::{QuizId, UserId};
use crate::store::{CollectionPath, DocPath, StoreError, Timestamp};

/// Field of the user document holding the completed quizzes not yet moved into a batch (a
/// map: quiz id → [`QuizDoc`]).
pub const COMPLETED_QUIZZES_FIELD: &str = "completed_quizzes";

/// Subcollection of `users/{uid}` holding the batches.
pub const QUIZ_BATCHES: &str = "quiz_batches";

/// Field of a batch listing its quiz ids (an array, for an `array-contains` lookup).
pub const QUIZ_IDS_FIELD: &str = "quiz_ids";

/// Field of a batch holding its newest completion time (the weekly snapshot's range filter).
pub const LAST_COMPLETED_AT_FIELD: &str = "last_completed_at";

/// Completed quizzes gathered in the user document before they move into one batch document.
///
/// Why 10: a completed quiz is ≈ 3.5 KB (`docs/cost.md`), so the map adds less than ≈ 35 KB
/// (at most 9 entries stay between completions, 4.5 on average: ≈ 16 KB) to the user document
/// that both quiz transactions read on every call: more bytes, no more operations, and far
/// below Firestore's 1 MiB document limit
/// (<https://firebase.google.com/docs/firestore/quotas#collections_documents_and_fields>) even
/// for 30-question quizzes. A completion then costs 1 + 1/10 writes on average (the batch
/// document is created on every 10th); a larger batch saves little more (1 + 1/20 = 1.05) for
/// twice the bytes on every quiz call.
pub const COMPLETED_BATCH_SIZE: usize = 10;

/// `users/{uid}/quiz_batches/{quizId}`: up to [`COMPLETED_BATCH_SIZE`] completed quizzes moved
/// out of the user document together. Immutable once written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuizBatchDoc {
    /// Owner.
    pub uid: String,
    /// The ids of `quizzes`, sorted (queried with `array-contains`).
    pub quiz_ids: Vec<String>,
    /// Quiz id → the completed quiz.
    pub quizzes: BTreeMap<String, QuizDoc>,
    /// Earliest completion time among `quizzes`.
    pub first_completed_at: Timestamp,
    /// Latest completion time among `quizzes`.
    pub last_completed_at: Timestamp,
    /// When the batch may be deleted (its Firestore TTL field): `last_completed_at` +
    /// [`super::quiz::QUIZ_RETENTION_DAYS`], so no quiz in it goes before its own retention.
    pub retain_until: Timestamp,
}

/// Completion time of a completed quiz (its result's; `created_at` for a result-less record,
/// which completion never writes).
pub fn completed_at(quiz: &QuizDoc) -> Timestamp {
    quiz.result.as_ref().map_or(quiz.created_at, |r| r.completed_at)
}

impl QuizBatchDoc {
    /// `users/{uid}/quiz_batches`.
    ///
    /// # Errors
    /// Invalid path (cannot happen for a parsed uid).
    pub fn collection(uid: &UserId) -> Result<CollectionPath, StoreError> {
        CollectionPath::parse(&format!("users/{}/{QUIZ_BATCHES}", uid.as_str()))
    }

    /// `users/{uid}/quiz_batches/{id}`.
    ///
    /// # Errors
    /// Invalid path (cannot happen for parsed ids).
    pub fn path(uid: &UserId, id: &QuizId) -> Result<DocPath, StoreError> {
        Self::collection(uid)?.doc(id.as_str())
    }

    /// The batch holding `quizzes` of `uid`; `None` when `quizzes` is empty.
    pub fn of(uid: &UserId, quizzes: BTreeMap<String, QuizDoc>) -> Option<Self> {
        let first = quizzes.values().map(completed_at).min()?;
        let last = quizzes.values().map(completed_at).max()?;
        Some(QuizBatchDoc {
            uid: uid.to_string(),
            quiz_ids: quizzes.keys().cloned().collect(),
            first_completed_at: first,
            last_completed_at: last,
            retain_until: retain_until(last),
            quizzes,
        })
    }

    /// The quizzes of the batch completed in `[start, end)`, as (id, quiz).
    pub fn completed_between(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> impl Iterator<Item = (&String, &QuizDoc)> {
        completed_between(&self.quizzes, start, end)
    }
}

/// The quizzes of `quizzes` (a `completed_quizzes` map or a batch's) completed in
/// `[start, end)`, as (id, quiz).
pub fn completed_between(
    quizzes: &BTreeMap<String, QuizDoc>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> impl Iterator<Item = (&String, &QuizDoc)> {
    quizzes.iter().filter(move |(_, q)| {
        let at = completed_at(q).0;
        at >= start && at < end
    })
}

/// The user document's `completed_quizzes` (`completed`, taken by value: its entries move,
/// none is copied) after completing `quiz` as `id` at `now`, and the batch to create in the
/// same commit, if any.
///
/// Entries past their `retain_until` are dropped first (kept no longer than a quiz document
/// or a batch would be). When the map then holds [`COMPLETED_BATCH_SIZE`] entries, all of them
/// move into one batch with the id `id` (the map comes back empty). Pure.
pub fn admit(
    mut completed: BTreeMap<String, QuizDoc>,
    uid: &UserId,
    id: &QuizId,
    quiz: QuizDoc,
    now: DateTime<Utc>,
) -> (BTreeMap<String, QuizDoc>, Option<QuizBatchDoc>) {
    completed.retain(|_, q| q.retain_until.is_none_or(|r| r.0 >= now));
    completed.insert(id.to_string(), quiz);
    if completed.len() >= COMPLETED_BATCH_SIZE {
        return (BTreeMap::new(), QuizBatchDoc::of(uid, completed));
    }
    (completed, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::quiz::{QuizResult, QuizStatus};

    fn at(minute: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-28T10:00:00Z").unwrap().to_utc() + chrono::Duration::minutes(minute)
    }

    fn done(minute: i64) -> QuizDoc {
        let completed = Timestamp(at(minute));
        QuizDoc {
            uid: "alice".into(),
            status: QuizStatus::Completed,
            created_at: Timestamp(at(minute - 5)),
            expires_at: Timestamp(at(minute + 60)),
            subject: None,
            chapter: None,
            items: Vec::new(),
            result: Some(QuizResult {
                completed_at: completed,
                score: minute,
                max_score: 40,
                correct: 0,
                partial: 0,
                incorrect: 0,
                skipped: 0,
                items: Vec::new(),
                abilities: Vec::new(),
            }),
            retain_until: Some(retain_until(completed)),
        }
    }

    #[test]
    fn the_tenth_completion_moves_the_map_into_one_batch() {
        let alice = UserId::parse("alice").unwrap();
        let mut map = BTreeMap::new();
        let mut ids = Vec::new();
        for m in 0..COMPLETED_BATCH_SIZE as i64 - 1 {
            let id = QuizId::generate_at(&alice, at(m));
            let (next, batch) = admit(map, &alice, &id, done(m), at(m));
            assert!(batch.is_none(), "no batch before the {COMPLETED_BATCH_SIZE}th");
            assert_eq!(next.len(), m as usize + 1);
            map = next;
            ids.push(id);
        }
        let last = QuizId::generate_at(&alice, at(30));
        let (map, batch) = admit(map, &alice, &last, done(30), at(30));
        assert!(map.is_empty());
        let batch = batch.unwrap();
        ids.push(last);
        let mut expected: Vec<String> = ids.iter().map(ToString::to_string).collect();
        expected.sort();
        assert_eq!(batch.quiz_ids, expected);
        assert_eq!(batch.quizzes.len(), COMPLETED_BATCH_SIZE);
        assert_eq!(batch.uid, "alice");
        assert_eq!((batch.first_completed_at, batch.last_completed_at), (Timestamp(at(0)), Timestamp(at(30))));
        assert_eq!(batch.retain_until.0, at(30) + chrono::Duration::days(30));
        assert_eq!(batch.quizzes[ids[3].as_str()].result.as_ref().unwrap().score, 3);
    }

    #[test]
    fn entries_past_their_retention_are_dropped() {
        let alice = UserId::parse("alice").unwrap();
        let old = QuizId::generate_at(&alice, at(0));
        let (map, _) = admit(BTreeMap::new(), &alice, &old, done(0), at(0));
        let month = 30 * 24 * 60;
        let new = QuizId::generate_at(&alice, at(month));
        let (kept, _) = admit(map, &alice, &new, done(month), at(month));
        assert_eq!(kept.len(), 2, "kept through its retain_until");
        let newer = QuizId::generate_at(&alice, at(month + 1));
        let (kept, batch) = admit(kept, &alice, &newer, done(month + 1), at(month + 1));
        assert!(batch.is_none());
        assert_eq!(kept.keys().cloned().collect::<Vec<_>>(), vec![new.to_string(), newer.to_string()]);
    }

    #[test]
    fn quizzes_are_selected_by_completion_time() {
        let alice = UserId::parse("alice").unwrap();
        let quizzes: BTreeMap<String, QuizDoc> =
            (0..4).map(|m| (QuizId::generate_at(&alice, at(m * 10)).to_string(), done(m * 10))).collect();
        let batch = QuizBatchDoc::of(&alice, quizzes.clone()).unwrap();
        let scores: Vec<i64> =
            batch.completed_between(at(10), at(30)).map(|(_, q)| q.result.as_ref().unwrap().score).collect();
        assert_eq!(scores, vec![10, 20], "start inclusive, end exclusive");
        assert!(QuizBatchDoc::of(&alice, BTreeMap::new()).is_none());
        // Round trip through the store's encoding: timestamps stay timestamps.
        let fields = crate::store::to_fields(&batch).unwrap();
        assert!(matches!(fields[LAST_COMPLETED_AT_FIELD], crate::store::Value::TimestampValue(_)));
        assert!(matches!(fields[QUIZ_IDS_FIELD], crate::store::Value::ArrayValue(_)));
        assert_eq!(crate::store::from_fields::<QuizBatchDoc>(&fields).unwrap(), batch);
    }
}
