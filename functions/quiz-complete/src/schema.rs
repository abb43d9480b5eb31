//! The responses of `POST /v1/quizzes/{id}/complete`, `GET /v1/me/progress` and
//! `POST /v1/offline-packs/{id}/results` as OpenAPI
//! schemas (the handlers write them as JSON; the contract test checks the two agree).

use serde::Serialize;
use utoipa::ToSchema;

use shared::domain::{AnalyticsLevel, Subject, Tier};
use shared::grading::Outcome;
use shared::practice::pack_sync::ItemStatus;
use shared::records::AbilityChange;
use shared::records::pack::TimeFlag;

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

/// Response 200 of `GET /v1/me/progress`: every tier gets the basic fields; Pro and Ultra
/// (`view: detailed`) also get `topics`, `chapters`, `seconds_per_question`, `trend`, `weakest`
/// and `suggested_quiz`, which are absent from the basic view.
#[derive(Debug, Serialize, ToSchema)]
pub struct Progress {
    /// Firebase uid.
    pub uid: String,
    /// Tier from the token.
    pub tier: Tier,
    /// `basic` (Free) or `detailed` (Pro, Ultra): the tier's analytics level.
    pub view: AnalyticsLevel,
    /// Completed quizzes (and offline syncs).
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
    /// Detailed view only: per topic, weakest (lowest θ) first.
    #[schema(nullable = false)]
    pub topics: Option<Vec<TopicProgress>>,
    /// Detailed view only: per chapter practised, weakest (lowest mean θ) first.
    #[schema(nullable = false)]
    pub chapters: Option<Vec<ChapterProgress>>,
    /// Detailed view only: mean seconds per question over all practice (skips included);
    /// `null` before any.
    pub seconds_per_question: Option<f64>,
    /// Detailed view only: the last 8 ISO weeks (IST), oldest first, the current week last.
    #[schema(nullable = false)]
    pub trend: Option<Vec<WeekTrend>>,
    /// Detailed view only: up to 3 attempted topics with the lowest θ.
    #[schema(nullable = false)]
    pub weakest: Option<Vec<WeakTopic>>,
    /// Detailed view only: the first weakest topic's quiz request (`null` before any practice).
    pub suggested_quiz: Option<SuggestedQuiz>,
}

/// One chapter's aggregate (detailed view).
#[derive(Debug, Serialize, ToSchema)]
pub struct ChapterProgress {
    /// The subject.
    pub subject: Subject,
    /// Chapter name.
    pub chapter: String,
    /// Topics practised in it.
    pub topics: u32,
    /// Questions answered.
    pub answered: i64,
    /// Fully correct.
    pub correct: i64,
    /// `correct / answered`; `null` when none answered.
    pub accuracy: Option<f64>,
    /// Mean θ over its topics.
    pub mean_theta: f64,
}

/// One ISO week (IST) of the accuracy trend (detailed view).
#[derive(Debug, Serialize, ToSchema)]
pub struct WeekTrend {
    /// `YYYY-Www`.
    #[schema(pattern = "^[0-9]{4}-W[0-9]{2}$")]
    pub week: String,
    /// Quizzes (and offline syncs) completed.
    pub quizzes: i64,
    /// Questions answered.
    pub answered: i64,
    /// Fully correct.
    pub correct: i64,
    /// `correct / answered`; `null` in a week without answers.
    pub accuracy: Option<f64>,
    /// Seconds per question seen (skips included); `null` when none.
    pub seconds_per_question: Option<f64>,
}

/// A weak topic and the quiz to practise it (detailed view).
#[derive(Debug, Serialize, ToSchema)]
pub struct WeakTopic {
    /// `subject/chapter/topic` slug.
    pub topic_key: String,
    /// The subject.
    pub subject: Subject,
    /// Chapter name.
    pub chapter: String,
    /// Topic name.
    pub topic: String,
    /// Ability θ.
    pub theta: f64,
    /// `correct / answered`.
    pub accuracy: Option<f64>,
    /// Body for `POST /v1/quizzes`, sendable as is.
    pub suggested_quiz: SuggestedQuiz,
}

/// A `POST /v1/quizzes` body suggested by the progress view.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestedQuiz {
    /// The topic's subject.
    pub subject: Subject,
    /// The topic's chapter.
    pub chapter: String,
    /// Questions (10).
    pub size: i64,
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

/// Response 200 of `POST /v1/offline-packs/{id}/results`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PackSynced {
    /// The pack.
    pub pack_id: String,
    /// The completed quiz record this sync wrote; `null` when nothing was new.
    pub quiz_id: Option<String>,
    /// Results applied by this sync.
    pub applied_now: u32,
    /// Results applied so far, this sync included.
    pub applied_total: u32,
    /// Questions in the pack.
    pub pack_items: u32,
    /// RFC 3339; results are refused after this (410).
    #[schema(format = DateTime)]
    pub expires_at: String,
    /// The submitted results in request order.
    pub items: Vec<SyncedResult>,
    /// θ movement per topic applied by this sync.
    pub abilities: Vec<AbilityChange>,
}

/// One synced result as graded and stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct SyncedResult {
    /// Question id.
    pub question_id: String,
    /// `applied` by this sync or `already_applied` by an earlier one (its stored grading).
    pub status: ItemStatus,
    /// Sync number that applied it (1 = the first sync that applied anything).
    pub sync: i64,
    /// The response as graded (`null` when skipped).
    pub response: serde_json::Value,
    /// Marks awarded (may be negative).
    pub marks: i64,
    /// How the response was judged.
    pub outcome: Outcome,
    /// Seconds spent (rounded).
    pub seconds: i64,
    /// When it was answered: the device time clamped to [issue, sync] (RFC 3339).
    #[schema(format = DateTime)]
    pub answered_at: String,
    /// Set when the device time was clamped; `null` otherwise.
    pub time_flag: Option<TimeFlag>,
    /// The answer key.
    pub correct_answer: serde_json::Value,
    /// Worked solution; `null` when the question left the bank.
    pub solution: Option<String>,
}
