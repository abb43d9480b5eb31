//! The student's progress as the app shows it, built from the user document (one masked read).

use serde::Serialize;

use crate::domain::{IstDay, Subject, Tier, UserId};
use crate::records::UserDoc;
use crate::store::{DocumentStore, StoreError};

/// Fields of `users/{uid}` the progress views read (the field mask of the one read).
pub const PROGRESS_FIELDS: &[&str] = &["abilities", "totals", "streak"];

/// Reads the fields of `users/{uid}` named in `mask` (a missing document is a new student).
///
/// # Errors
/// Store errors; a stored document that no longer decodes.
pub async fn read_profile(store: &dyn DocumentStore, uid: &UserId, mask: &[&str]) -> Result<UserDoc, StoreError> {
    Ok(store.get(&UserDoc::path(uid)?, Some(mask)).await?.map(|d| d.decode()).transpose()?.unwrap_or_default())
}

/// `correct / answered`, `None` when nothing was answered.
pub fn ratio(correct: i64, answered: i64) -> Option<f64> {
    (answered > 0).then(|| correct as f64 / answered as f64)
}

/// θ and counts of one topic.
#[derive(Debug, Clone, Serialize)]
pub struct TopicView {
    /// Topic key.
    pub topic_key: String,
    /// Subject.
    pub subject: Subject,
    /// Chapter.
    pub chapter: String,
    /// Topic.
    pub topic: String,
    /// θ.
    pub theta: f64,
    /// Its standard error.
    pub se: f64,
    /// Questions attempted.
    pub answered: i64,
    /// Full-mark answers.
    pub correct: i64,
    /// `correct / answered` (`null` when none).
    pub accuracy: Option<f64>,
}

/// Attempts, accuracy and mean θ of one subject.
#[derive(Debug, Clone, Serialize)]
pub struct SubjectView {
    /// Subject.
    pub subject: Subject,
    /// Questions attempted.
    pub answered: i64,
    /// Full-mark answers.
    pub correct: i64,
    /// `correct / answered` (`null` when none).
    pub accuracy: Option<f64>,
    /// Mean θ of the subject's topics practised.
    pub mean_theta: f64,
}

/// The streak as of today.
#[derive(Debug, Clone, Serialize)]
pub struct StreakView {
    /// Current run (0 once a whole IST day passed without a quiz).
    pub current: i64,
    /// Longest run.
    pub longest: i64,
    /// Last IST day with a completed quiz.
    pub last_day: Option<IstDay>,
}

/// The progress every tier gets: totals, overall accuracy, streak, per-subject and per-topic θ.
#[derive(Debug, Clone, Serialize)]
pub struct Progress {
    /// Caller.
    pub uid: String,
    /// Caller's tier.
    pub tier: Tier,
    /// Quizzes (and offline sessions) completed.
    pub quizzes_completed: i64,
    /// Questions attempted.
    pub questions_answered: i64,
    /// Full-mark answers.
    pub correct: i64,
    /// `correct / questions_answered` (`null` when none).
    pub accuracy: Option<f64>,
    /// Streak.
    pub streak: StreakView,
    /// Per subject practised.
    pub subjects: Vec<SubjectView>,
    /// Per topic practised, weakest (lowest θ) first.
    pub topics: Vec<TopicView>,
}

/// Builds the progress view of `user` as seen on `today` (pure).
pub fn progress(uid: &UserId, tier: Tier, user: &UserDoc, today: IstDay) -> Progress {
    let mut topics: Vec<TopicView> = user
        .abilities
        .iter()
        .map(|(k, t)| TopicView {
            topic_key: k.clone(),
            subject: t.subject,
            chapter: t.chapter.clone(),
            topic: t.topic.clone(),
            theta: t.theta,
            se: t.se,
            answered: t.answered,
            correct: t.correct,
            accuracy: ratio(t.correct, t.answered),
        })
        .collect();
    topics.sort_by(|a, b| a.theta.total_cmp(&b.theta));
    let subjects = Subject::ALL
        .iter()
        .filter_map(|s| {
            let ts: Vec<&TopicView> = topics.iter().filter(|t| t.subject == *s).collect();
            if ts.is_empty() {
                return None;
            }
            let answered: i64 = ts.iter().map(|t| t.answered).sum();
            let correct: i64 = ts.iter().map(|t| t.correct).sum();
            let mean_theta = ts.iter().map(|t| t.theta).sum::<f64>() / ts.len() as f64;
            Some(SubjectView { subject: *s, answered, correct, accuracy: ratio(correct, answered), mean_theta })
        })
        .collect();
    Progress {
        uid: uid.to_string(),
        tier,
        quizzes_completed: user.totals.quizzes,
        questions_answered: user.totals.answered,
        correct: user.totals.correct,
        accuracy: ratio(user.totals.correct, user.totals.answered),
        streak: StreakView {
            current: user.streak.as_of(today),
            longest: user.streak.longest,
            last_day: user.streak.last_day,
        },
        subjects,
        topics,
    }
}
