//! The tier table: what each subscription tier is entitled to, as one typed value
//! ([`TIER_TABLE`]). Quotas, history retention, offline packs, analytics and `GET /v1/me` all
//! read it through [`Tier::entitlements`]. Source: the seed's tier table (daily limits,
//! history retention, offline mode, image cache budget, analytics, practice access, tutor).

use serde::Serialize;

use super::tier::Tier;

/// Bytes in one megabyte (decimal, as the seed's table writes "MB").
pub const MB: u64 = 1_000_000;

/// Daily limits per IST day; `None` means unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DailyLimits {
    /// Practice questions served (quizzes and offline packs).
    pub practice_questions: Option<u32>,
    /// Snap solves.
    pub snaps: Option<u32>,
    /// AI tutor answers.
    pub tutor_messages: Option<u32>,
}

/// Depth of the progress analytics (`GET /v1/me/progress`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AnalyticsLevel {
    /// Overall accuracy, streak, per-subject (and per-topic) θ.
    Basic,
    /// Basic, plus per chapter, time per question, accuracy trend over recent weeks and the
    /// weakest topics with a suggested quiz.
    Detailed,
}

/// Practice access: the size of the practice allowance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PracticeAccess {
    /// Capped by [`DailyLimits::practice_questions`], online only.
    Limited,
    /// Unlimited, offline packs included.
    Full,
}

/// AI tutor level (model and budgets per tier come from `TUTOR_*_{FREE,PRO,ULTRA}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TutorLevel {
    /// Free.
    Basic,
    /// Pro.
    Enhanced,
    /// Ultra.
    Premium,
}

/// Everything one tier is entitled to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Entitlements {
    /// Daily limits.
    pub daily_limits: DailyLimits,
    /// Days snaps and tutor conversations are kept; `None` = forever.
    pub history_retention_days: Option<u32>,
    /// Bytes of question images the app may cache on the device.
    pub image_cache_bytes: u64,
    /// Offline practice packs allowed.
    pub offline_practice: bool,
    /// Analytics depth.
    pub analytics: AnalyticsLevel,
    /// Practice access.
    pub practice: PracticeAccess,
    /// Tutor level.
    pub tutor: TutorLevel,
}

/// The seed's tier table, one row per tier in [`Tier::ALL`] order.
pub const TIER_TABLE: [(Tier, Entitlements); 3] = [
    (
        Tier::Free,
        Entitlements {
            daily_limits: DailyLimits { practice_questions: Some(30), snaps: Some(3), tutor_messages: Some(10) },
            history_retention_days: Some(7),
            image_cache_bytes: 10 * MB,
            offline_practice: false,
            analytics: AnalyticsLevel::Basic,
            practice: PracticeAccess::Limited,
            tutor: TutorLevel::Basic,
        },
    ),
    (
        Tier::Pro,
        Entitlements {
            daily_limits: DailyLimits { practice_questions: None, snaps: Some(15), tutor_messages: Some(50) },
            history_retention_days: Some(30),
            image_cache_bytes: 100 * MB,
            offline_practice: true,
            analytics: AnalyticsLevel::Detailed,
            practice: PracticeAccess::Full,
            tutor: TutorLevel::Enhanced,
        },
    ),
    (
        Tier::Ultra,
        Entitlements {
            daily_limits: DailyLimits { practice_questions: None, snaps: None, tutor_messages: None },
            history_retention_days: None,
            image_cache_bytes: 500 * MB,
            offline_practice: true,
            analytics: AnalyticsLevel::Detailed,
            practice: PracticeAccess::Full,
            tutor: TutorLevel::Premium,
        },
    ),
];

impl Tier {
    /// Every tier, lowest first.
    pub const ALL: [Tier; 3] = [Tier::Free, Tier::Pro, Tier::Ultra];

    /// This tier's row of [`TIER_TABLE`].
    pub fn entitlements(self) -> &'static Entitlements {
        &TIER_TABLE[self as usize].1
    }

    /// The lowest tier that allows offline practice packs.
    pub fn lowest_with_offline() -> Tier {
        Tier::ALL.into_iter().find(|t| t.entitlements().offline_practice).unwrap_or(Tier::Ultra)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_rows_are_in_tier_order() {
        for (i, (tier, _)) in TIER_TABLE.iter().enumerate() {
            assert_eq!(Tier::ALL[i], *tier);
            assert_eq!(*tier as usize, i);
        }
    }

    #[test]
    fn the_seed_table() {
        assert_eq!(Tier::Free.entitlements().image_cache_bytes, 10_000_000);
        assert_eq!(Tier::Ultra.entitlements().image_cache_bytes, 500_000_000);
        assert!(!Tier::Free.entitlements().offline_practice);
        assert_eq!(Tier::lowest_with_offline(), Tier::Pro);
        assert_eq!(Tier::Free.practice_questions_per_day(), Some(30));
        assert_eq!(Tier::Pro.snaps_per_day(), Some(15));
        assert_eq!(Tier::Pro.tutor_messages_per_day(), Some(50));
        assert_eq!(Tier::Ultra.history_retention_days(), None);
        assert_eq!(Tier::Pro.entitlements().analytics, AnalyticsLevel::Detailed);
    }
}
