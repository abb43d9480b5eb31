//! The student's progress as the app shows it, built from the user document (one masked read).
//!
//! Every tier gets the basic view ([`Progress`]); tiers with detailed analytics
//! ([`AnalyticsLevel::Detailed`], Pro and Ultra) also get [`Detailed`]: θ per topic, per chapter, time per
//! question, the accuracy trend over the last [`TREND_WEEKS`] ISO weeks (IST) and the weakest
//! topics with a quiz request the app can send to `POST /v1/quizzes` as is.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::{AnalyticsLevel, IstDay, Subject, Tier, UserId};
use crate::records::UserDoc;
use crate::snapshot::week::IsoWeek;
use crate::store::{DocumentStore, StoreError};

/// Fields of `users/{uid}` the basic view reads (the field mask of the one read).
pub const PROGRESS_FIELDS: &[&str] = &["abilities", "totals", "streak"];

/// Fields of `users/{uid}` the detailed view reads.
pub const DETAILED_PROGRESS_FIELDS: &[&str] = &["abilities", "totals", "streak", "weeks"];

/// Weeks in the accuracy trend (the user document keeps 12).
pub const TREND_WEEKS: usize = 8;

/// Weakest topics listed in the detailed view.
pub const WEAKEST_TOPICS: usize = 3;

/// The field mask for `level`.
pub fn fields_for(level: AnalyticsLevel) -> &'static [&'static str] {
    match level {
        AnalyticsLevel::Basic => PROGRESS_FIELDS,
        AnalyticsLevel::Detailed => DETAILED_PROGRESS_FIELDS,
    }
}

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

/// The progress every tier gets (the basic view: totals, overall accuracy, streak, per-subject
/// θ), and for Pro and Ultra the detailed analytics (per topic and chapter, time, trend, weakest).
#[derive(Debug, Clone, Serialize)]
pub struct Progress {
    /// Caller.
    pub uid: String,
    /// Caller's tier.
    pub tier: Tier,
    /// `basic` or `detailed` (the tier's analytics level).
    pub view: AnalyticsLevel,
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
    /// The detailed analytics (Pro and Ultra only).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub detailed: Option<Detailed>,
}

/// Attempts and θ of one chapter.
#[derive(Debug, Clone, Serialize)]
pub struct ChapterView {
    /// Subject.
    pub subject: Subject,
    /// Chapter.
    pub chapter: String,
    /// Topics practised in it.
    pub topics: usize,
    /// Questions attempted.
    pub answered: i64,
    /// Full-mark answers.
    pub correct: i64,
    /// `correct / answered` (`null` when none).
    pub accuracy: Option<f64>,
    /// Mean θ of its topics practised.
    pub mean_theta: f64,
}

/// One ISO week (IST) of the trend.
#[derive(Debug, Clone, Serialize)]
pub struct WeekTrend {
    /// `YYYY-Www`.
    pub week: String,
    /// Quizzes (and offline sessions) completed.
    pub quizzes: i64,
    /// Questions attempted.
    pub answered: i64,
    /// Full-mark answers.
    pub correct: i64,
    /// `correct / answered` (`null` in a week without attempts).
    pub accuracy: Option<f64>,
    /// Seconds per question seen (skipped included; `null` when none).
    pub seconds_per_question: Option<f64>,
}

/// A weak topic and the quiz to practise it.
#[derive(Debug, Clone, Serialize)]
pub struct WeakTopicView {
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
    /// `correct / answered`.
    pub accuracy: Option<f64>,
    /// Body for `POST /v1/quizzes`, sendable as is.
    pub suggested_quiz: serde_json::Value,
}

/// The detailed analytics.
#[derive(Debug, Clone, Serialize)]
pub struct Detailed {
    /// Per topic practised, weakest (lowest θ) first.
    pub topics: Vec<TopicView>,
    /// Per chapter practised, weakest (lowest mean θ) first.
    pub chapters: Vec<ChapterView>,
    /// Mean seconds per question over all practice (skipped included; `null` before any).
    pub seconds_per_question: Option<f64>,
    /// The last [`TREND_WEEKS`] weeks, oldest first, the current week last (zeros for weeks
    /// without practice).
    pub trend: Vec<WeekTrend>,
    /// Up to [`WEAKEST_TOPICS`] topics with the lowest θ among those attempted.
    pub weakest: Vec<WeakTopicView>,
    /// The first weakest topic's quiz request (`null` before any practice).
    pub suggested_quiz: Option<serde_json::Value>,
}

/// Size of the suggested quiz.
pub const SUGGESTED_QUIZ_SIZE: i64 = 10;

fn detailed(user: &UserDoc, topics: Vec<TopicView>, today: IstDay) -> Detailed {
    let mut chapters: BTreeMap<(Subject, &str), (usize, i64, i64, f64)> = BTreeMap::new();
    for t in user.abilities.values() {
        let e = chapters.entry((t.subject, t.chapter.as_str())).or_default();
        e.0 += 1;
        e.1 += t.answered;
        e.2 += t.correct;
        e.3 += t.theta;
    }
    let mut chapters: Vec<ChapterView> = chapters
        .into_iter()
        .map(|((subject, chapter), (n, answered, correct, theta))| ChapterView {
            subject,
            chapter: chapter.to_owned(),
            topics: n,
            answered,
            correct,
            accuracy: ratio(correct, answered),
            mean_theta: theta / n as f64,
        })
        .collect();
    chapters.sort_by(|a, b| a.mean_theta.total_cmp(&b.mean_theta));
    let seen = user.totals.answered + user.totals.skipped;
    let per_question = |seconds: i64, seen: i64| (seen > 0).then(|| seconds as f64 / seen as f64);
    let mut weeks = vec![IsoWeek::of_day(today)];
    while weeks.len() < TREND_WEEKS {
        let prev = weeks[weeks.len() - 1].prev();
        weeks.push(prev);
    }
    weeks.reverse();
    let trend = weeks
        .into_iter()
        .map(|w| {
            let label = w.label();
            let stats = user.weeks.get(&label).cloned().unwrap_or_default();
            let answered: i64 = stats.subjects.values().map(|s| s.answered).sum();
            let correct: i64 = stats.subjects.values().map(|s| s.correct).sum();
            WeekTrend {
                week: label,
                quizzes: stats.quizzes,
                answered,
                correct,
                accuracy: ratio(correct, answered),
                seconds_per_question: per_question(stats.seconds, answered + stats.skipped),
            }
        })
        .collect();
    let mut weak: Vec<(&String, &crate::records::TopicStats)> =
        user.abilities.iter().filter(|(_, t)| t.answered > 0).collect();
    weak.sort_by(|a, b| a.1.theta.total_cmp(&b.1.theta).then_with(|| a.0.cmp(b.0)));
    let weakest: Vec<WeakTopicView> = weak
        .into_iter()
        .take(WEAKEST_TOPICS)
        .map(|(k, t)| WeakTopicView {
            topic_key: k.clone(),
            subject: t.subject,
            chapter: t.chapter.clone(),
            topic: t.topic.clone(),
            theta: t.theta,
            accuracy: ratio(t.correct, t.answered),
            suggested_quiz: serde_json::json!({
                "subject": t.subject.as_str(),
                "chapter": t.chapter,
                "size": SUGGESTED_QUIZ_SIZE,
            }),
        })
        .collect();
    let suggested_quiz = weakest.first().map(|w| w.suggested_quiz.clone());
    Detailed {
        topics,
        chapters,
        seconds_per_question: per_question(user.totals.seconds, seen),
        trend,
        weakest,
        suggested_quiz,
    }
}

/// Builds `tier`'s progress view of `user` as seen on `today` (pure).
pub fn progress(uid: &UserId, tier: Tier, user: &UserDoc, today: IstDay) -> Progress {
    let view = tier.entitlements().analytics;
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
        view,
        detailed: (view == AnalyticsLevel::Detailed).then(|| detailed(user, topics, today)),
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
    }
}
