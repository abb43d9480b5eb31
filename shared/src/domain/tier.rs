//! Subscription tiers and their entitlements (the seed's rate-limit table).

use serde::{Deserialize, Serialize};

/// Subscription tier, from the `tier` custom claim of the Firebase ID token.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
        match self {
            Tier::Free => Some(30),
            Tier::Pro | Tier::Ultra => None,
        }
    }
}
