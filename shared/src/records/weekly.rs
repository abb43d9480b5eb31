//! `users/{uid}/weeks/{YYYY-Www}`: per-user weekly statistics (ISO weeks of IST days), kept
//! with increment transforms only, for the weekly progress snapshot.

use crate::domain::{IstDay, Subject, UserId};
use crate::store::{DocPath, FieldTransform, StoreError, Value, Write};

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

/// `users/{uid}/weeks/{week}`.
///
/// # Errors
/// Invalid path (cannot happen for a parsed uid).
pub fn week_path(uid: &UserId, day: IstDay) -> Result<DocPath, StoreError> {
    DocPath::parse(&format!("users/{}/weeks/{}", uid.as_str(), day.iso_week()))
}

/// The write that adds `delta` to the week of `day` (creates the document when missing).
///
/// # Errors
/// Invalid path.
pub fn weekly_write(uid: &UserId, day: IstDay, delta: &WeeklyDelta) -> Result<Write, StoreError> {
    let inc = |f: String, n: i64| FieldTransform::Increment(f, Value::IntegerValue(n));
    let mut t = vec![
        inc("quizzes".into(), 1),
        inc("skipped".into(), delta.skipped),
        inc("marks".into(), delta.marks),
        inc("seconds".into(), delta.seconds),
        FieldTransform::ServerTimestamp("updated_at".into()),
    ];
    t.extend(delta.answered.iter().map(|(s, n)| inc(format!("subjects.{}.answered", s.as_str()), *n)));
    t.extend(delta.correct.iter().map(|(s, n)| inc(format!("subjects.{}.correct", s.as_str()), *n)));
    let mut fields = crate::store::Fields::new();
    fields.insert("week".into(), Value::string(day.iso_week()));
    Ok(Write::merge(week_path(uid, day)?, fields).with_transforms(t))
}
