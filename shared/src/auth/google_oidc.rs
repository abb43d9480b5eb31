//! Verification of Google-signed OIDC identity tokens: the `Authorization: Bearer` token that a
//! Pub/Sub push subscription with authentication (and Cloud Scheduler, Cloud Tasks) attaches to
//! its requests, minted for a service account ("Authentication for push subscriptions",
//! <https://cloud.google.com/pubsub/docs/authenticate-push-subscriptions>).
//!
//! Checks: header `alg` RS256 with a `kid` among Google's OAuth 2.0 keys ([`GOOGLE_OIDC_CERTS_URL`],
//! a JWK Set, cached per `Cache-Control` by a [`KeyStore`]); the signature; `aud` equals the
//! configured audience (the subscription's `oidcToken.audience`, by default the push endpoint
//! URL); `iss` is `https://accounts.google.com` or `accounts.google.com` (Google's OpenID
//! Connect documentation names both); `exp` in the future and `iat` in the past with the
//! configured skew; and, when a service account is configured, `email` equals it with
//! `email_verified: true`. The audience alone does not identify the sender: any Google account
//! can obtain an identity token for any audience, so production configures the service account.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::keys::KeyStore;
use super::rs256;
use super::verifier::AuthError;
use crate::clock::Clock;

/// Google's OAuth 2.0 signing keys as a JWK Set (the `jwks_uri` of
/// `https://accounts.google.com/.well-known/openid-configuration`).
pub const GOOGLE_OIDC_CERTS_URL: &str = "https://www.googleapis.com/oauth2/v3/certs";

/// The `iss` values of Google identity tokens.
pub const GOOGLE_ISSUERS: [&str; 2] = ["https://accounts.google.com", "accounts.google.com"];

/// The claims of a Google identity token that we read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoogleOidcClaims {
    /// Issuer: one of [`GOOGLE_ISSUERS`].
    pub iss: String,
    /// Audience: the subscription's configured audience.
    pub aud: String,
    /// Subject: the service account's unique id.
    pub sub: String,
    /// The service account's email (present when the token was minted with the email scope, as
    /// Pub/Sub's are).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Whether Google verified `email`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
}

/// Verifies Google identity tokens for one audience and, optionally, one service account.
pub struct GoogleOidcVerifier {
    audience: String,
    service_account: Option<String>,
    keys: Arc<KeyStore>,
    leeway: Duration,
    clock: Arc<dyn Clock>,
}

impl GoogleOidcVerifier {
    /// A verifier accepting tokens for `audience` signed by a key of `keys` (Google's JWK Set in
    /// production), whose `email` is `service_account` when given, allowing `leeway` of clock
    /// skew.
    pub fn new(
        audience: &str,
        service_account: Option<&str>,
        keys: Arc<KeyStore>,
        leeway: Duration,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self { audience: audience.to_owned(), service_account: service_account.map(str::to_owned), keys, leeway, clock }
    }

    /// The expected audience.
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// The expected service account email, if any.
    pub fn service_account(&self) -> Option<&str> {
        self.service_account.as_deref()
    }

    /// Verifies `token` and returns its claims.
    ///
    /// # Errors
    /// [`AuthError::Expired`] past `exp`; [`AuthError::Invalid`] naming the first other check
    /// that failed (alg, kid, signature, aud, iss, iat, email, email_verified);
    /// [`AuthError::KeysUnavailable`] when Google's keys cannot be fetched.
    pub async fn verify(&self, token: &str) -> Result<GoogleOidcClaims, AuthError> {
        let validation = rs256::validation(&[&self.audience], &GOOGLE_ISSUERS, &["exp", "iat", "aud", "iss", "sub"]);
        let c: GoogleOidcClaims = rs256::decode_rs256(token, &self.keys, &validation).await?;
        rs256::check_times(c.exp, c.iat, self.clock.now().timestamp(), self.leeway.as_secs() as i64)?;
        if let Some(expected) = &self.service_account {
            match c.email.as_deref() {
                Some(email) if email.eq_ignore_ascii_case(expected) => {}
                Some(email) => {
                    return Err(AuthError::Invalid(format!("email {email:?} is not the push service account")));
                }
                None => return Err(AuthError::Invalid("token has no email claim".into())),
            }
            if c.email_verified != Some(true) {
                return Err(AuthError::Invalid("email_verified is not true".into()));
            }
        }
        Ok(c)
    }
}
