//! Daily quotas counted per IST calendar day inside the user document:
//! `users/{uid}.usage.{YYYY-MM-DD}.practice_questions`. Keeping the counter in the document
//! the quiz transaction reads and writes anyway costs no extra read or write.
//!
//! Exactness: the counter is read inside the same store transaction as the work it pays for
//! and advanced with an increment transform in that transaction's commit (Firestore
//! serializable transactions; SQLite's serialized writer), so N concurrent requests can never
//! spend more than the limit. Days before yesterday are deleted by the next write. The
//! decision itself is the pure [`decide`]; the HTTP side emits the IETF RateLimit fields
//! ([`rate_limit_headers`]).

use std::collections::BTreeMap;

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::IstDay;
use crate::store::{FieldTransform, Value};

/// Counters of one IST day (all default to 0).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DailyUsage {
    /// Practice questions served that day.
    #[serde(default)]
    pub practice_questions: i64,
    /// Snap solves charged or reserved that day (a reservation is released when the solve fails).
    #[serde(default)]
    pub snaps: i64,
    /// Tutor answers charged that day.
    #[serde(default)]
    pub tutor_messages: i64,
}

/// A daily counter of the user document, with its field name and RateLimit policy name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    /// Practice questions (`usage.{day}.practice_questions`, policy `practice`).
    PracticeQuestions,
    /// Snap solves (`usage.{day}.snaps`, policy `snaps`).
    Snaps,
    /// Tutor answers (`usage.{day}.tutor_messages`, policy `tutor`).
    TutorMessages,
}

impl Counter {
    /// Field name inside `usage.{day}`.
    pub fn field(self) -> &'static str {
        match self {
            Counter::PracticeQuestions => "practice_questions",
            Counter::Snaps => "snaps",
            Counter::TutorMessages => "tutor_messages",
        }
    }

    /// Policy name in the RateLimit header fields.
    pub fn policy(self) -> &'static str {
        match self {
            Counter::PracticeQuestions => "practice",
            Counter::Snaps => "snaps",
            Counter::TutorMessages => "tutor",
        }
    }

    /// The tier's daily limit for this counter (`None` = unlimited).
    pub fn limit(self, tier: crate::domain::Tier) -> Option<u32> {
        match self {
            Counter::PracticeQuestions => tier.practice_questions_per_day(),
            Counter::Snaps => tier.snaps_per_day(),
            Counter::TutorMessages => tier.tutor_messages_per_day(),
        }
    }

    /// The value of this counter in one day's usage.
    pub fn of(self, u: &DailyUsage) -> i64 {
        match self {
            Counter::PracticeQuestions => u.practice_questions,
            Counter::Snaps => u.snaps,
            Counter::TutorMessages => u.tutor_messages,
        }
    }

    /// Units already counted on `day`.
    pub fn used(self, usage: &BTreeMap<String, DailyUsage>, day: IstDay) -> i64 {
        usage.get(&day.to_string()).map_or(0, |u| self.of(u))
    }

    /// The increment transform adding `n` (negative to release a reservation) on `day`.
    pub fn increment(self, day: IstDay, n: i64) -> FieldTransform {
        FieldTransform::Increment(format!("{USAGE_FIELD}.{day}.{}", self.field()), Value::IntegerValue(n))
    }
}

/// Field of the user document holding usage per day.
pub const USAGE_FIELD: &str = "usage";

/// Practice questions already served on `day`.
pub fn practice_used(usage: &BTreeMap<String, DailyUsage>, day: IstDay) -> i64 {
    Counter::PracticeQuestions.used(usage, day)
}

/// The increment that spends `n` practice questions on `day`.
pub fn spend_practice(day: IstDay, n: u32) -> FieldTransform {
    Counter::PracticeQuestions.increment(day, i64::from(n))
}

/// Field paths of days older than yesterday (to delete in the same write).
pub fn stale_days(usage: &BTreeMap<String, DailyUsage>, today: IstDay) -> Vec<String> {
    let keep_from = today.pred().to_string();
    usage.keys().filter(|d| d.as_str() < keep_from.as_str()).map(|d| format!("{USAGE_FIELD}.{d}")).collect()
}

/// Outcome of a quota check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Allowed; `remaining` after this request (None = unlimited).
    Allowed {
        /// Units left today after this request.
        remaining: Option<u32>,
    },
    /// Refused; nothing is spent.
    Denied {
        /// Units left today.
        remaining: u32,
    },
}

/// Decides whether `requested` units fit under `limit` given `used` today.
pub fn decide(limit: Option<u32>, used: i64, requested: u32) -> Decision {
    match limit {
        None => Decision::Allowed { remaining: None },
        Some(limit) => {
            let remaining = (i64::from(limit) - used).max(0) as u32;
            if requested <= remaining {
                Decision::Allowed { remaining: Some(remaining - requested) }
            } else {
                Decision::Denied { remaining }
            }
        }
    }
}

/// The IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers-10):
/// `RateLimit-Policy: "<name>";q=<limit>;w=86400` and `RateLimit: "<name>";r=<remaining>;t=<secs>`,
/// where `t` is the seconds until the quota resets at the next IST midnight.
pub fn rate_limit_headers(policy: &str, limit: u32, remaining: u32, now: DateTime<Utc>) -> HeaderMap {
    let reset = IstDay::seconds_until_next(now);
    let mut h = HeaderMap::new();
    let mut put = |name: &'static str, v: String| {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.insert(HeaderName::from_static(name), v);
        }
    };
    put("ratelimit-policy", format!("\"{policy}\";q={limit};w=86400"));
    put("ratelimit", format!("\"{policy}\";r={remaining};t={reset}"));
    h
}

impl Counter {
    /// What the counter counts, for messages.
    pub fn noun(self) -> &'static str {
        match self {
            Counter::PracticeQuestions => "practice questions",
            Counter::Snaps => "snap solves",
            Counter::TutorMessages => "tutor messages",
        }
    }
}

/// The `429 quota_exceeded` problem: `limit`, `remaining` and `requested` members, the
/// RateLimit fields, and `Retry-After` = seconds to the next IST midnight (when the same
/// request can succeed; `remaining` tells the client whether a smaller one succeeds now).
pub fn exceeded(
    counter: Counter,
    tier: crate::domain::Tier,
    limit: u32,
    remaining: u32,
    requested: u32,
    now: DateTime<Utc>,
) -> crate::problem::Problem {
    crate::problem::Problem::new(
        crate::problem::ErrorCode::QuotaExceeded,
        format!(
            "the {} tier allows {limit} {} per IST day; {remaining} left today, {requested} requested",
            tier.as_str(),
            counter.noun()
        ),
    )
    .with("limit", limit)
    .with("remaining", remaining)
    .with("requested", requested)
    .with_headers(rate_limit_headers(counter.policy(), limit, remaining, now))
    .retry_after(IstDay::seconds_until_next(now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_by_day() {
        let day = IstDay::of(chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, 28, 6, 0, 0).unwrap());
        let usage: BTreeMap<String, DailyUsage> = [("2026-11-25", 3), ("2026-11-27", 5), ("2026-11-28", 7)]
            .into_iter()
            .map(|(d, n)| (d.to_owned(), DailyUsage { practice_questions: n, ..DailyUsage::default() }))
            .collect();
        assert_eq!(practice_used(&usage, day), 7);
        assert_eq!(practice_used(&usage, day.succ()), 0);
        assert_eq!(stale_days(&usage, day), vec!["usage.2026-11-25".to_owned()]);
    }

    #[test]
    fn decisions() {
        assert_eq!(decide(Some(30), 0, 10), Decision::Allowed { remaining: Some(20) });
        assert_eq!(decide(Some(30), 25, 5), Decision::Allowed { remaining: Some(0) });
        assert_eq!(decide(Some(30), 25, 6), Decision::Denied { remaining: 5 });
        assert_eq!(decide(Some(30), 40, 1), Decision::Denied { remaining: 0 });
        assert_eq!(decide(None, 1_000, 30), Decision::Allowed { remaining: None });
    }
}
