//! Claims of a Firebase ID token and the authenticated user derived from them.

use serde::{Deserialize, Serialize};

use crate::domain::{Tier, UserId};

/// The claims we read from a Firebase ID token (standard JWT claims plus Firebase's
/// `auth_time` and our `tier` custom claim, which only the Admin SDK can set).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FirebaseClaims {
    /// Issuer: `https://securetoken.google.com/<project-id>`.
    pub iss: String,
    /// Audience: the project id.
    pub aud: String,
    /// Subject: the uid.
    pub sub: String,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// When the user authenticated, seconds since the epoch.
    pub auth_time: i64,
    /// Subscription tier custom claim (`free` / `pro` / `ultra`); absent means free.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
}

/// The caller of a request, after verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthUser {
    /// Firebase uid.
    pub uid: UserId,
    /// Tier from the custom claim.
    pub tier: Tier,
}
