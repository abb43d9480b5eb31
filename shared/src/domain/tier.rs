//! Subscription tiers. What each is entitled to is the tier table,
//! [`super::entitlements::TIER_TABLE`]; the accessors below read it.

use serde::{Deserialize, Serialize};

/// Subscription tier, from the `tier` custom claim of the Firebase ID token.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    /// Free (the default when the claim is absent).
    #[default]
    Free,
    /// Pro.
    Pro,
    /// Ultra.
    Ultra,
}

impl Tier {
    /// Parses `free` / `pro` / `ultra`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "free" => Some(Tier::Free),
            "pro" => Some(Tier::Pro),
            "ultra" => Some(Tier::Ultra),
            _ => None,
        }
    }

    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Free => "free",
            Tier::Pro => "pro",
            Tier::Ultra => "ultra",
        }
    }

    /// Practice questions allowed per IST day; `None` means unlimited.
    /// Source: the seed's rate-limit table (Practice: Free 30/day, Pro and Ultra unlimited).
    pub fn practice_questions_per_day(self) -> Option<u32> {
        self.entitlements().daily_limits.practice_questions
    }

    /// Snap solves allowed per IST day; `None` means unlimited.
    /// Source: the seed's rate-limit table (Snap Solve: Free 3/day, Pro 15/day, Ultra unlimited).
    pub fn snaps_per_day(self) -> Option<u32> {
        self.entitlements().daily_limits.snaps
    }

    /// AI tutor messages allowed per IST day; `None` means unlimited.
    /// Source: the seed's rate-limit table (AI Tutor: Free 10/day, Pro 50/day, Ultra unlimited).
    pub fn tutor_messages_per_day(self) -> Option<u32> {
        self.entitlements().daily_limits.tutor_messages
    }

    /// How long snap and tutor history is kept, in days; `None` means unlimited.
    /// Source: the seed's tier table (Snap History: Free 7 days, Pro 30 days, Ultra unlimited).
    pub fn history_retention_days(self) -> Option<u32> {
        self.entitlements().history_retention_days
    }
}
