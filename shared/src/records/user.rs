//! `users/{uid}`: the student's abilities per topic, running totals, streak, the window of
//! recently served questions, daily quota counters, weekly statistics, the open quizzes and the
//! completed quizzes not yet moved into a batch.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::weekly::WeekStats;
use crate::domain::{IstDay, Subject, UserId};
use crate::irt::Ability;
use crate::quota::DailyUsage;
use crate::store::{DocPath, StoreError, Timestamp};

/// How many recently served question ids are remembered (never served again while in the
/// window, unless the filtered pool runs out).
pub const RECENT_WINDOW: usize = 300;

/// Ability and counts for one topic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopicStats {
    /// Subject.
    pub subject: Subject,
    /// Chapter display name.
    pub chapter: String,
    /// Topic display name.
    pub topic: String,
    /// EAP ability estimate θ.
    pub theta: f64,
    /// Its standard error.
    pub se: f64,
    /// Questions attempted (not skipped).
    pub answered: i64,
    /// Questions with full marks.
    pub correct: i64,
    /// Last update.
    pub updated_at: Timestamp,
}

impl TopicStats {
    /// The ability part.
    pub fn ability(&self) -> Ability {
        Ability { theta: self.theta, se: self.se }
    }
}

/// Running totals over all completed quizzes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    /// Quizzes completed.
    #[serde(default)]
    pub quizzes: i64,
    /// Questions attempted.
    #[serde(default)]
    pub answered: i64,
    /// Full marks.
    #[serde(default)]
    pub correct: i64,
    /// Partial marks (multi-correct).
    #[serde(default)]
    pub partial: i64,
    /// Wrong.
    #[serde(default)]
    pub incorrect: i64,
    /// Skipped.
    #[serde(default)]
    pub skipped: i64,
    /// Sum of marks.
    #[serde(default)]
    pub marks: i64,
    /// Seconds spent.
    #[serde(default)]
    pub seconds: i64,
}

/// Consecutive IST days with at least one completed quiz.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Streak {
    /// Current run length, as of `last_day`.
    #[serde(default)]
    pub current: i64,
    /// Longest run ever.
    #[serde(default)]
    pub longest: i64,
    /// Last IST day with a completed quiz.
    #[serde(default)]
    pub last_day: Option<IstDay>,
}

impl Streak {
    /// The streak after completing a quiz on `day`.
    pub fn record(&self, day: IstDay) -> Streak {
        let current = match self.last_day {
            Some(d) if d == day => self.current,
            Some(d) if d.succ() == day => self.current + 1,
            _ => 1,
        };
        Streak { current, longest: self.longest.max(current), last_day: Some(day) }
    }

    /// The run as seen on `today`: 0 once a whole IST day has passed without a quiz.
    pub fn as_of(&self, today: IstDay) -> i64 {
        match self.last_day {
            Some(d) if d == today || d.succ() == today => self.current,
            _ => 0,
        }
    }
}

/// The user document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserDoc {
    /// Topic key → stats.
    #[serde(default)]
    pub abilities: BTreeMap<String, TopicStats>,
    /// Totals.
    #[serde(default)]
    pub totals: Totals,
    /// Streak.
    #[serde(default)]
    pub streak: Streak,
    /// Recently served question ids, oldest first, at most [`RECENT_WINDOW`].
    #[serde(default)]
    pub recent: Vec<String>,
    /// Quota counters per IST day (today and yesterday), see [`crate::quota`].
    #[serde(default)]
    pub usage: BTreeMap<String, DailyUsage>,
    /// Weekly statistics, see [`crate::records::weekly`].
    #[serde(default)]
    pub weeks: BTreeMap<String, WeekStats>,
    /// Last ISO week (IST) with a completed quiz (written for the snapshot planner,
    /// [`crate::snapshot::active`]); read so that a late offline sync never moves it back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_active_week: Option<String>,
    /// The offline pack last issued, see [`crate::records::pack`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offline_pack: Option<super::pack::PackRef>,
    /// Quizzes generated and not yet completed, by quiz id, at most
    /// [`super::open_quiz::MAX_OPEN_QUIZZES`], see [`crate::records::open_quiz`].
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub open_quizzes: BTreeMap<String, super::open_quiz::OpenQuiz>,
    /// Creation time of the newest open quiz evicted by the bound (absent until one is),
    /// see [`crate::records::open_quiz::admit`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_quizzes_evicted_through: Option<Timestamp>,
    /// Completed quizzes not yet moved into a batch document, by quiz id, fewer than
    /// [`super::completed_batch::COMPLETED_BATCH_SIZE`], see [`crate::records::completed_batch`].
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub completed_quizzes: BTreeMap<String, super::quiz::QuizDoc>,
}

impl UserDoc {
    /// `users/{uid}`.
    ///
    /// # Errors
    /// Invalid path (cannot happen for a parsed uid).
    pub fn path(uid: &UserId) -> Result<DocPath, StoreError> {
        DocPath::parse(&format!("users/{}", uid.as_str()))
    }

    /// Appends served ids to the recent window, dropping the oldest beyond [`RECENT_WINDOW`].
    pub fn remember(&mut self, served: impl IntoIterator<Item = String>) {
        for id in served {
            self.recent.retain(|r| *r != id);
            self.recent.push(id);
        }
        let excess = self.recent.len().saturating_sub(RECENT_WINDOW);
        self.recent.drain(..excess);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn day(d: u32) -> IstDay {
        IstDay::of(NaiveDate::from_ymd_opt(2026, 11, d).unwrap().and_hms_opt(12, 0, 0).unwrap().and_utc())
    }

    #[test]
    fn streaks() {
        let s = Streak::default().record(day(1));
        assert_eq!(s.current, 1);
        let s = s.record(day(1)).record(day(2)).record(day(3));
        assert_eq!((s.current, s.longest), (3, 3));
        assert_eq!(s.as_of(day(4)), 3);
        assert_eq!(s.as_of(day(5)), 0);
        let s = s.record(day(6));
        assert_eq!((s.current, s.longest), (1, 3));
    }

    #[test]
    fn recent_window_is_bounded() {
        let mut u = UserDoc::default();
        u.remember((0..400).map(|i| format!("q{i}")));
        assert_eq!(u.recent.len(), RECENT_WINDOW);
        assert_eq!(u.recent[0], "q100");
        u.remember(["q100".to_owned()]);
        assert_eq!(u.recent.last().unwrap(), "q100");
        assert_eq!(u.recent.len(), RECENT_WINDOW);
    }
}
