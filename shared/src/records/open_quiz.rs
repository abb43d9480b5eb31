//! `users/{uid}.open_quizzes`: the quizzes generated and not yet completed, by quiz id, kept
//! in the user document instead of a quiz document of their own.
//!
//! Both quiz transactions read and write the user document anyway (the daily quota counter,
//! the recent-question window, abilities), so an open quiz held there costs no write of its
//! own: generation is 1 read and 1 write, and completion moves the quiz, completed
//! ([`OpenQuiz::completed`]), to the completed quizzes of the same document
//! ([`crate::records::completed_batch`]). An entry holds exactly what the quiz document held
//! before completion: its times, filters and items with their grading snapshot.
//!
//! The map is bounded ([`MAX_OPEN_QUIZZES`]) and pruned on every write of it ([`admit`],
//! [`prune`]): entries past `expires_at` are dropped, and beyond the bound the oldest are
//! evicted. The creation time of the newest evicted entry is kept
//! ([`EVICTED_THROUGH_FIELD`]) so that completing an evicted quiz is told apart from an unknown
//! id without any further record.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::quiz::{QuizDoc, QuizItem, QuizResult, QuizStatus};
use crate::domain::{QuizId, Subject, UserId};
use crate::store::Timestamp;

/// Field of the user document holding the open quizzes (a map: quiz id → [`OpenQuiz`]).
pub const OPEN_QUIZZES_FIELD: &str = "open_quizzes";

/// Field of the user document holding the creation time of the newest open quiz evicted by
/// [`MAX_OPEN_QUIZZES`] (a timestamp; absent until the first eviction).
pub const EVICTED_THROUGH_FIELD: &str = "open_quizzes_evicted_through";

/// Most open quizzes kept per user: generating one more evicts the oldest still open.
///
/// Why 5: the app shows one quiz at a time, so more than one open quiz means abandoned ones
/// (or a second device); 5 leaves room for those while keeping the user document small. Both
/// quiz transactions read the whole user document, so every entry is paid in bytes on every
/// quiz call: a 30-question entry is ≈ 10 KB (≈ 330 bytes an item), so the bound adds at most
/// ≈ 50 KB, far below Firestore's 1 MiB document limit
/// (<https://firebase.google.com/docs/firestore/quotas#collections_documents_and_fields>).
/// The tier's daily quota would be a looser bound (Free: 30 one-question quizzes a day, a
/// higher tier unlimited), hence a count.
pub const MAX_OPEN_QUIZZES: usize = 5;

/// A generated quiz that is not completed yet: what its quiz document held before completion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenQuiz {
    /// Generation time.
    pub created_at: Timestamp,
    /// After this the quiz cannot be completed.
    pub expires_at: Timestamp,
    /// Subject filter used, if any.
    #[serde(default)]
    pub subject: Option<Subject>,
    /// Chapter filter used, if any.
    #[serde(default)]
    pub chapter: Option<String>,
    /// Items in order, with their grading snapshot.
    pub items: Vec<QuizItem>,
}

impl OpenQuiz {
    /// This quiz once completed with `result`, in the shape a completed quiz document has always
    /// had (status `completed`, items, result, `retain_until`): the value the completion keeps in
    /// `completed_quizzes` and later in a batch.
    pub fn completed(self, uid: &UserId, result: QuizResult) -> QuizDoc {
        QuizDoc {
            uid: uid.to_string(),
            status: QuizStatus::Completed,
            created_at: self.created_at,
            expires_at: self.expires_at,
            subject: self.subject,
            chapter: self.chapter,
            items: self.items,
            retain_until: Some(super::quiz::retain_until(result.completed_at)),
            result: Some(result),
        }
    }
}

/// `open` without the entries past their `expires_at` at `now`.
pub fn prune(open: &BTreeMap<String, OpenQuiz>, now: DateTime<Utc>) -> BTreeMap<String, OpenQuiz> {
    open.iter().filter(|(_, q)| q.expires_at.0 >= now).map(|(id, q)| (id.clone(), q.clone())).collect()
}

/// The open quizzes after adding `quiz` as `id` at `now`: expired entries pruned, then the
/// oldest (by `created_at`, then id) evicted beyond [`MAX_OPEN_QUIZZES`]. Returns the new map
/// and the creation time of the newest evicted entry (`None` when nothing was evicted).
pub fn admit(
    open: &BTreeMap<String, OpenQuiz>,
    id: &QuizId,
    quiz: OpenQuiz,
    now: DateTime<Utc>,
) -> (BTreeMap<String, OpenQuiz>, Option<Timestamp>) {
    let mut kept = prune(open, now);
    kept.insert(id.to_string(), quiz);
    let mut by_age: Vec<(Timestamp, String)> = kept.iter().map(|(id, q)| (q.created_at, id.clone())).collect();
    by_age.sort();
    let excess = by_age.len().saturating_sub(MAX_OPEN_QUIZZES);
    let mut evicted_through = None;
    for (created_at, id) in by_age.into_iter().take(excess) {
        kept.remove(&id);
        evicted_through = Some(created_at);
    }
    (kept, evicted_through)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-28T10:00:00Z").unwrap().to_utc() + chrono::Duration::minutes(minute)
    }

    fn quiz(created: i64, ttl_minutes: i64) -> OpenQuiz {
        OpenQuiz {
            created_at: Timestamp(at(created)),
            expires_at: Timestamp(at(created + ttl_minutes)),
            subject: None,
            chapter: None,
            items: Vec::new(),
        }
    }

    #[test]
    fn the_oldest_are_evicted_beyond_the_bound() {
        let alice = UserId::parse("alice").unwrap();
        let mut open = BTreeMap::new();
        let mut ids = Vec::new();
        for m in 0..MAX_OPEN_QUIZZES as i64 {
            let id = QuizId::generate_at(&alice, at(m));
            let (next, evicted) = admit(&open, &id, quiz(m, 60), at(m));
            assert_eq!(evicted, None);
            open = next;
            ids.push(id);
        }
        let newest = QuizId::generate_at(&alice, at(10));
        let (open, evicted) = admit(&open, &newest, quiz(10, 60), at(10));
        assert_eq!(open.len(), MAX_OPEN_QUIZZES);
        assert_eq!(evicted, Some(Timestamp(at(0))));
        assert!(!open.contains_key(ids[0].as_str()));
        assert!(open.contains_key(ids[1].as_str()) && open.contains_key(newest.as_str()));
    }

    #[test]
    fn expired_entries_are_pruned_not_evicted() {
        let alice = UserId::parse("alice").unwrap();
        let old = QuizId::generate_at(&alice, at(0));
        let (open, _) = admit(&BTreeMap::new(), &old, quiz(0, 30), at(0));
        assert_eq!(prune(&open, at(30)).len(), 1, "still completable at its expiry");
        assert!(prune(&open, at(31)).is_empty());
        let new = QuizId::generate_at(&alice, at(45));
        let (open, evicted) = admit(&open, &new, quiz(45, 30), at(45));
        assert_eq!(open.keys().collect::<Vec<_>>(), vec![new.as_str()]);
        assert_eq!(evicted, None, "an expired quiz is answered as expired, not as evicted");
    }
}
