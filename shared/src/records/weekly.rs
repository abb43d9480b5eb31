//! Per-user weekly statistics kept in the user document under `weeks.{YYYY-Www}` (ISO weeks
//! of IST days), advanced with increment transforms in the completion's commit, for the weekly
//! progress snapshot. The 12 most recent weeks are kept; older ones are deleted by the next
//! completion.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::{IstDay, Subject};
use crate::store::{FieldTransform, Timestamp, Value};

/// Field of the user document holding the weeks.
pub const WEEKS_FIELD: &str = "weeks";

/// Weeks kept in the user document.
pub const KEEP_WEEKS: usize = 12;

/// Attempts in one subject.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SubjectWeek {
    /// Questions attempted.
    #[serde(default)]
    pub answered: i64,
    /// Full-mark answers.
    #[serde(default)]
    pub correct: i64,
}

/// One week's statistics.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WeekStats {
    /// Quizzes completed.
    #[serde(default)]
    pub quizzes: i64,
    /// Questions skipped.
    #[serde(default)]
    pub skipped: i64,
    /// Marks.
    #[serde(default)]
    pub marks: i64,
    /// Seconds spent.
    #[serde(default)]
    pub seconds: i64,
    /// Per subject (`physics`, `chemistry`, `mathematics`).
    #[serde(default)]
    pub subjects: BTreeMap<String, SubjectWeek>,
    /// Last completion (server time).
    #[serde(default)]
    pub updated_at: Option<Timestamp>,
}

/// Counts one completed quiz contributes to its week.
#[derive(Debug, Clone, Default)]
pub struct WeeklyDelta {
    /// Questions attempted, per subject.
    pub answered: Vec<(Subject, i64)>,
    /// Full-mark answers, per subject.
    pub correct: Vec<(Subject, i64)>,
    /// Skipped questions.
    pub skipped: i64,
    /// Marks.
    pub marks: i64,
    /// Seconds spent.
    pub seconds: i64,
}

/// The transforms that add `delta` to the week of `day` (the week entry is created when missing).
pub fn weekly_transforms(day: IstDay, delta: &WeeklyDelta) -> Vec<FieldTransform> {
    let week = format!("{WEEKS_FIELD}.{}", day.iso_week());
    let inc = |f: String, n: i64| FieldTransform::Increment(f, Value::IntegerValue(n));
    let mut t = vec![
        inc(format!("{week}.quizzes"), 1),
        inc(format!("{week}.skipped"), delta.skipped),
        inc(format!("{week}.marks"), delta.marks),
        inc(format!("{week}.seconds"), delta.seconds),
        FieldTransform::ServerTimestamp(format!("{week}.updated_at")),
    ];
    t.extend(delta.answered.iter().map(|(s, n)| inc(format!("{week}.subjects.{}.answered", s.as_str()), *n)));
    t.extend(delta.correct.iter().map(|(s, n)| inc(format!("{week}.subjects.{}.correct", s.as_str()), *n)));
    t
}

/// Field paths of the weeks to delete so that, with `day`'s week, at most [`KEEP_WEEKS`] remain.
pub fn stale_weeks(weeks: &BTreeMap<String, WeekStats>, day: IstDay) -> Vec<String> {
    let current = day.iso_week();
    let mut older: Vec<&String> = weeks.keys().filter(|w| **w != current).collect();
    older.sort();
    let excess = older.len().saturating_sub(KEEP_WEEKS - 1);
    older.into_iter().take(excess).map(|w| format!("{WEEKS_FIELD}.{w}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_twelve_weeks() {
        let weeks: BTreeMap<String, WeekStats> =
            (1..=14).map(|w| (format!("2026-W{w:02}"), WeekStats::default())).collect();
        let day = IstDay::of(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 4, 15, 6, 0, 0).unwrap());
        assert_eq!(day.iso_week(), "2026-W16");
        let stale = stale_weeks(&weeks, day);
        assert_eq!(stale, vec!["weeks.2026-W01", "weeks.2026-W02", "weeks.2026-W03"]);
    }
}
