//! `GET /v1/me`: who the caller is, what their tier entitles them to (the tier table row,
//! [`crate::domain::entitlements`]), today's usage of each daily counter with what remains,
//! and when the counters reset (the next IST midnight). Built from one masked read of the user
//! document ([`ACCOUNT_FIELDS`]).

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::{Entitlements, IstDay, Tier, UserId};
use crate::quota::{self, Counter};
use crate::records::UserDoc;

/// Fields of `users/{uid}` read for the account view.
pub const ACCOUNT_FIELDS: &[&str] = &[quota::USAGE_FIELD, "offline_pack"];

/// One daily counter today.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CounterView {
    /// Units used today.
    pub used: i64,
    /// Daily limit (`null` = unlimited).
    pub limit: Option<u32>,
    /// Units left today (`null` = unlimited).
    pub remaining: Option<u32>,
}

/// Today's usage.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UsageView {
    /// The IST day counted (`YYYY-MM-DD`).
    #[schema(value_type = String, format = Date)]
    pub day: IstDay,
    /// When every counter resets: the next IST midnight (RFC 3339, UTC).
    #[schema(format = DateTime)]
    pub resets_at: String,
    /// Seconds until then.
    pub resets_in_seconds: u64,
    /// Practice questions served (quizzes and offline packs).
    pub practice_questions: CounterView,
    /// Snap solves.
    pub snaps: CounterView,
    /// Tutor answers.
    pub tutor_messages: CounterView,
}

/// The offline pack last issued.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OfflinePackView {
    /// Pack id.
    pub id: String,
    /// Its entity tag (send as `If-None-Match`).
    pub etag: String,
    /// Items in it.
    pub items: i64,
    /// Items synced.
    pub applied: i64,
    /// Its expiry (RFC 3339).
    #[schema(format = DateTime)]
    pub expires_at: String,
}

/// The body of `GET /v1/me`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Account {
    /// Caller.
    pub uid: String,
    /// Tier from the token's `tier` claim.
    pub tier: Tier,
    /// The tier's entitlements.
    #[schema(value_type = Entitlements)]
    pub entitlements: &'static Entitlements,
    /// Today's usage.
    pub usage: UsageView,
    /// The offline pack last issued (`null` when none).
    pub offline_pack: Option<OfflinePackView>,
}

fn counter(c: Counter, tier: Tier, user: &UserDoc, day: IstDay) -> CounterView {
    let used = c.used(&user.usage, day);
    let limit = c.limit(tier);
    let remaining = limit.map(|l| (i64::from(l) - used).clamp(0, i64::from(l)) as u32);
    CounterView { used, limit, remaining }
}

/// Builds the account view (pure).
pub fn account(uid: &UserId, tier: Tier, user: &UserDoc, now: DateTime<Utc>) -> Account {
    let day = IstDay::of(now);
    Account {
        uid: uid.to_string(),
        tier,
        entitlements: tier.entitlements(),
        usage: UsageView {
            day,
            resets_at: day.succ().start_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            resets_in_seconds: IstDay::seconds_until_next(now),
            practice_questions: counter(Counter::PracticeQuestions, tier, user, day),
            snaps: counter(Counter::Snaps, tier, user, day),
            tutor_messages: counter(Counter::TutorMessages, tier, user, day),
        },
        offline_pack: user.offline_pack.as_ref().map(|p| OfflinePackView {
            id: p.id.clone(),
            etag: crate::records::pack::entity_tag(&p.id, usize::try_from(p.applied).unwrap_or(0)),
            items: p.items,
            applied: p.applied,
            expires_at: p.expires_at.to_rfc3339(),
        }),
    }
}
