//! The responses of `POST /v1/quizzes/{id}/complete` and `GET /v1/me/progress` as OpenAPI
//! schemas (the handlers write them as JSON; the contract test checks the two agree).

use serde::Serialize;
use utoipa::ToSchema;

use shared::domain::{Subject, Tier};
use shared::grading::Outcome;
use shared::records::AbilityChange;

/// Response 200 of a completion (first time or replayed).
#[derive(Debug, Serialize, ToSchema)]
pub struct CompletionResult {
    /// The quiz.
    pub quiz_id: String,
    /// True when the quiz was already completed and this is the stored result.
    pub replayed: bool,
    /// RFC 3339.
    #[schema(format = DateTime)]
    pub completed_at: String,
    /// Total marks (JEE marking: +4, −1 or −2, partial for multi-correct).
    pub score: i64,
    /// 4 per question.
    pub max_score: i64,
    /// Fully correct answers.
    pub correct: i64,
    /// Partially correct (multi-correct only).
    pub partial: i64,
    /// Wrong answers.
    pub incorrect: i64,
    /// Unanswered questions.
    pub skipped: i64,
    /// Every question of the quiz, in quiz order.
    pub items: Vec<GradedItem>,
    /// θ movement per topic answered.
    pub abilities: Vec<AbilityChange>,
}

/// One graded question of a completion.
#[derive(Debug, Serialize, ToSchema)]
pub struct GradedItem {
    /// Question id.
    pub question_id: String,
    /// The response as read (`null` when skipped).
    pub response: serde_json::Value,
    /// Marks awarded (may be negative).
    pub marks: i64,
    /// How the response was judged.
    pub outcome: Outcome,
    /// Seconds spent (rounded).
    pub seconds: i64,
    /// The answer key (per type: `"B"`, `["A","C"]`, a number, or `{"value", "tolerance"}`).
    pub correct_answer: serde_json::Value,
    /// Worked solution (Markdown with LaTeX); `null` when the question left the bank.
    pub solution: Option<String>,
}

/// Response 200 of `GET /v1/me/progress`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Progress {
    /// Firebase uid.
    pub uid: String,
    /// Tier from the token.
    pub tier: Tier,
    /// Completed quizzes.
    pub quizzes_completed: i64,
    /// Questions answered (skips excluded).
    pub questions_answered: i64,
    /// Fully correct answers.
    pub correct: i64,
    /// `correct / questions_answered`; `null` before the first answer.
    pub accuracy: Option<f64>,
    /// Daily practice streak (IST days).
    pub streak: Streak,
    /// Per subject with at least one topic.
    pub subjects: Vec<SubjectProgress>,
    /// Per topic, weakest (lowest θ) first.
    pub topics: Vec<TopicProgress>,
}

/// The practice streak.
#[derive(Debug, Serialize, ToSchema)]
pub struct Streak {
    /// Consecutive IST days up to today (0 when broken).
    pub current: i64,
    /// Longest ever.
    pub longest: i64,
    /// Last practice day, `YYYY-MM-DD` (IST); `null` before any.
    #[schema(format = Date)]
    pub last_day: Option<String>,
}

/// One subject's aggregate.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubjectProgress {
    /// The subject.
    pub subject: Subject,
    /// Questions answered.
    pub answered: i64,
    /// Fully correct.
    pub correct: i64,
    /// `correct / answered`; `null` when none answered.
    pub accuracy: Option<f64>,
    /// Mean θ over the subject's topics.
    pub mean_theta: f64,
}

/// One topic's ability estimate.
#[derive(Debug, Serialize, ToSchema)]
pub struct TopicProgress {
    /// `subject/chapter/topic` slug.
    pub topic_key: String,
    /// The subject.
    pub subject: Subject,
    /// Chapter name.
    pub chapter: String,
    /// Topic name.
    pub topic: String,
    /// Ability θ (logistic metric).
    pub theta: f64,
    /// Standard error of θ.
    pub se: f64,
    /// Questions answered.
    pub answered: i64,
    /// Fully correct.
    pub correct: i64,
    /// `correct / answered`; `null` when none answered.
    pub accuracy: Option<f64>,
}
