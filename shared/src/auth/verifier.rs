//! Verification of Firebase ID tokens.
//!
//! Checks, in the order of Firebase's "verify ID tokens using a third-party JWT library":
//! header `alg` is RS256 and `kid` names a current Google key; the RS256 signature verifies;
//! `exp` is in the future, `iat` and `auth_time` are in the past (each allowing `leeway`
//! seconds of clock skew); `aud` equals the project id; `iss` is
//! `https://securetoken.google.com/<project-id>`; `sub` is a non-empty string of at most 128
//! characters (it becomes the uid).

use std::sync::Arc;
use std::time::Duration;

use super::claims::{AuthUser, FirebaseClaims};
use super::keys::KeyStore;
use super::rs256;
use crate::clock::Clock;
use crate::domain::{Tier, UserId};

/// Why a token was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    /// No bearer token.
    #[error("missing bearer token")]
    Missing,
    /// The token has expired.
    #[error("ID token has expired")]
    Expired,
    /// Any other verification failure.
    #[error("invalid ID token: {0}")]
    Invalid(String),
    /// The keys could not be fetched.
    #[error("token signing keys unavailable: {0}")]
    KeysUnavailable(String),
}

/// Verifies ID tokens for one Firebase project.
pub struct TokenVerifier {
    project_id: String,
    issuer: String,
    keys: Arc<KeyStore>,
    leeway: Duration,
    clock: Arc<dyn Clock>,
}

impl TokenVerifier {
    /// A verifier for `project_id` using `keys`, allowing `leeway` of clock skew.
    pub fn new(project_id: &str, keys: Arc<KeyStore>, leeway: Duration, clock: Arc<dyn Clock>) -> Self {
        Self {
            project_id: project_id.to_owned(),
            issuer: format!("https://securetoken.google.com/{project_id}"),
            keys,
            leeway,
            clock,
        }
    }

    /// The expected issuer.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Verifies `token` and returns the caller.
    ///
    /// # Errors
    /// [`AuthError`] naming the first check that failed.
    pub async fn verify(&self, token: &str) -> Result<AuthUser, AuthError> {
        let validation = rs256::validation(&[&self.project_id], &[&self.issuer], &["exp", "iat", "aud", "iss", "sub"]);
        let c: FirebaseClaims = rs256::decode_rs256(token, &self.keys, &validation).await?;
        let now = self.clock.now().timestamp();
        let skew = self.leeway.as_secs() as i64;
        rs256::check_times(c.exp, c.iat, now, skew)?;
        if c.auth_time.saturating_sub(skew) > now {
            return Err(AuthError::Invalid("auth_time is in the future".into()));
        }
        let uid = UserId::parse(&c.sub).map_err(|e| AuthError::Invalid(format!("sub: {e}")))?;
        let tier = match c.tier.as_deref() {
            None => Tier::Free,
            Some(t) => Tier::parse(t)
                .ok_or_else(|| AuthError::Invalid(format!("tier claim {t:?} is not free, pro or ultra")))?,
        };
        Ok(AuthUser { uid, tier })
    }
}
