//! Daily quotas counted per IST calendar day in `users/{uid}/usage/{YYYY-MM-DD}`.
//!
//! Exactness: the counter is read and incremented inside the same store transaction as the
//! work it pays for (Firestore serializable transactions; SQLite's serialized writer), so N
//! concurrent requests can never spend more than the limit. The decision itself is the pure
//! [`decide`]; the HTTP side emits the IETF RateLimit fields ([`rate_limit_headers`]).

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{IstDay, UserId};
use crate::store::{DocPath, StoreError};

/// Fields of a usage document (all counters default to 0).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UsageDoc {
    /// IST day `YYYY-MM-DD`.
    #[serde(default)]
    pub day: String,
    /// Practice questions served today.
    #[serde(default)]
    pub practice_questions: i64,
}

/// Field name of the practice counter.
pub const PRACTICE_FIELD: &str = "practice_questions";

/// `users/{uid}/usage/{day}`.
///
/// # Errors
/// Invalid path (cannot happen for a parsed uid).
pub fn usage_path(uid: &UserId, day: IstDay) -> Result<DocPath, StoreError> {
    DocPath::parse(&format!("users/{}/usage/{day}", uid.as_str()))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions() {
        assert_eq!(decide(Some(30), 0, 10), Decision::Allowed { remaining: Some(20) });
        assert_eq!(decide(Some(30), 25, 5), Decision::Allowed { remaining: Some(0) });
        assert_eq!(decide(Some(30), 25, 6), Decision::Denied { remaining: 5 });
        assert_eq!(decide(Some(30), 40, 1), Decision::Denied { remaining: 0 });
        assert_eq!(decide(None, 1_000, 30), Decision::Allowed { remaining: None });
    }
}
