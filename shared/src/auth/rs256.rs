//! The checks every Google-signed JWT shares, whoever issued it (Firebase ID tokens, Google
//! OIDC identity tokens): header `alg` is RS256 and `kid` names a key of the [`KeyStore`]; the
//! RS256 signature verifies; the claims deserialize and pass `validation` (audience, issuer,
//! required claims); `exp` is in the future and `iat` in the past, each allowing a clock skew.

use jsonwebtoken::{Algorithm, Validation, decode, decode_header};
use serde::de::DeserializeOwned;

use super::keys::{KeyError, KeyStore};
use super::verifier::AuthError;

/// A validation for RS256 that checks `aud` against `audiences`, `iss` against `issuers` and
/// requires `required` claims. `exp` is left to [`check_times`] (one clock, one leeway).
pub(crate) fn validation(audiences: &[&str], issuers: &[&str], required: &[&str]) -> Validation {
    let mut v = Validation::new(Algorithm::RS256);
    v.set_audience(audiences);
    v.set_issuer(issuers);
    v.set_required_spec_claims(required);
    v.validate_exp = false;
    v
}

/// Verifies `token`'s header and signature with a key of `keys` and returns its claims.
///
/// # Errors
/// [`AuthError::Invalid`] for a malformed token, another `alg`, a missing or unknown `kid`, a
/// bad signature or a claim `validation` refuses; [`AuthError::KeysUnavailable`] when the key
/// document cannot be fetched.
pub(crate) async fn decode_rs256<T: DeserializeOwned>(
    token: &str,
    keys: &KeyStore,
    validation: &Validation,
) -> Result<T, AuthError> {
    let header = decode_header(token).map_err(|e| AuthError::Invalid(format!("malformed token: {e}")))?;
    if header.alg != Algorithm::RS256 {
        return Err(AuthError::Invalid(format!("alg {:?} is not RS256", header.alg)));
    }
    let kid = header.kid.ok_or_else(|| AuthError::Invalid("token has no kid".into()))?;
    let key = keys.get(&kid).await.map_err(|e| match e {
        KeyError::UnknownKid(k) => AuthError::Invalid(format!("kid {k:?} is not a current signing key")),
        KeyError::Unavailable(m) => AuthError::KeysUnavailable(m),
    })?;
    decode::<T>(token, &key, validation).map(|d| d.claims).map_err(|e| AuthError::Invalid(e.to_string()))
}

/// Checks `exp` (seconds since the epoch) is after `now` and `iat` not after it, each allowing
/// `skew_secs`.
///
/// # Errors
/// [`AuthError::Expired`], or [`AuthError::Invalid`] for an `iat` in the future.
pub(crate) fn check_times(exp: i64, iat: i64, now: i64, skew_secs: i64) -> Result<(), AuthError> {
    if exp.saturating_add(skew_secs) <= now {
        return Err(AuthError::Expired);
    }
    if iat.saturating_sub(skew_secs) > now {
        return Err(AuthError::Invalid("iat is in the future".into()));
    }
    Ok(())
}
