//! A completed quiz ([`QuizDoc`]): a snapshot of what grading needed (so a later bank change
//! cannot alter it) and its result. The completion
//! ([`crate::practice::complete`](mod@crate::practice::complete), from the open quiz of
//! [`crate::records::open_quiz`]) keeps it in the user document's `completed_quizzes` and
//! moves it, ten at a time, into a batch
//! `users/{uid}/quiz_batches/{id}` ([`crate::records::completed_batch`]). Its own document
//! `users/{uid}/quizzes/{quizId}` is written by an offline pack sync, and was by completions
//! before batches (and, before open quizzes moved into the user document, by generation,
//! `open`, with completion adding the result); [`crate::practice::completed::find`] looks in
//! all three places.

use serde::{Deserialize, Serialize};

use crate::domain::{IrtParams, QuestionType, QuizId, Subject, UserId};
use crate::grading::Outcome;
use crate::store::{DocPath, StoreError, Timestamp};

/// Lifecycle of a quiz.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuizStatus {
    /// Generated, not yet completed: only in documents written before open quizzes moved
    /// into the user document ([`crate::records::open_quiz`]).
    Open,
    /// Completed; `result` is set and never changes again.
    Completed,
}

/// One question of a quiz, with its grading snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuizItem {
    /// Question id.
    pub question_id: String,
    /// Topic key.
    pub topic_key: String,
    /// Subject.
    pub subject: Subject,
    /// Chapter.
    pub chapter: String,
    /// Topic.
    pub topic: String,
    /// Type.
    #[serde(rename = "type")]
    pub kind: QuestionType,
    /// IRT parameters at generation time.
    pub irt: IrtParams,
    /// Answer key (bank JSON shape).
    pub answer: serde_json::Value,
}

/// Graded response to one item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ItemResult {
    /// Question id.
    pub question_id: String,
    /// What the student answered (`null` when skipped).
    pub response: serde_json::Value,
    /// Marks awarded.
    pub marks: i64,
    /// Outcome.
    pub outcome: Outcome,
    /// Seconds spent.
    pub seconds: i64,
    /// The correct answer.
    pub correct_answer: serde_json::Value,
}

/// θ movement of one topic caused by the quiz.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AbilityChange {
    /// Topic key.
    pub topic_key: String,
    /// θ before.
    pub theta_before: f64,
    /// θ after.
    pub theta_after: f64,
    /// SE after.
    pub se_after: f64,
}

/// The stored result of a completed quiz.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuizResult {
    /// Completion time.
    pub completed_at: Timestamp,
    /// Total marks.
    pub score: i64,
    /// Maximum marks (4 per question).
    pub max_score: i64,
    /// Full-mark answers.
    pub correct: i64,
    /// Partial-mark answers.
    pub partial: i64,
    /// Wrong answers.
    pub incorrect: i64,
    /// Skipped questions.
    pub skipped: i64,
    /// Per question, in quiz order.
    pub items: Vec<ItemResult>,
    /// Per topic θ changes.
    pub abilities: Vec<AbilityChange>,
}

/// A quiz document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuizDoc {
    /// Owner.
    pub uid: String,
    /// Status.
    pub status: QuizStatus,
    /// Creation time.
    pub created_at: Timestamp,
    /// After this the quiz cannot be completed (and a Firestore TTL policy may delete open ones).
    pub expires_at: Timestamp,
    /// Subject filter used, if any.
    #[serde(default)]
    pub subject: Option<Subject>,
    /// Chapter filter used, if any.
    #[serde(default)]
    pub chapter: Option<String>,
    /// Items in order.
    pub items: Vec<QuizItem>,
    /// Set once completed.
    #[serde(default)]
    pub result: Option<QuizResult>,
    /// When the completed quiz may be deleted: completion + [`QUIZ_RETENTION_DAYS`]. The
    /// Firestore TTL policy of `quizzes` is on this field (`expires_at` ends only the time to
    /// complete); in the user document's map an entry past it is dropped on the next
    /// completion. Absent on documents written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retain_until: Option<Timestamp>,
}

/// Days a completed quiz is kept (its result, for replay, the tutor and history; the weekly
/// snapshot needs only the last 7), the retention `docs/cost.md` prices.
pub const QUIZ_RETENTION_DAYS: i64 = 30;

/// `retain_until` of a quiz completed at `completed_at`.
pub fn retain_until(completed_at: Timestamp) -> Timestamp {
    Timestamp(completed_at.0 + chrono::Duration::days(QUIZ_RETENTION_DAYS))
}

impl QuizDoc {
    /// `users/{uid}/quizzes/{quizId}`.
    ///
    /// # Errors
    /// Invalid path (cannot happen for parsed ids).
    pub fn path(uid: &UserId, id: &QuizId) -> Result<DocPath, StoreError> {
        DocPath::parse(&format!("users/{}/quizzes/{}", uid.as_str(), id.as_str()))
    }
}
