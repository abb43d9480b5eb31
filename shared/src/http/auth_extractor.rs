//! `AuthUser` as an axum extractor: reads `Authorization: Bearer <ID token>` and verifies it.
//! Failures are 401 problem details with `WWW-Authenticate` as RFC 6750 §3 describes.

use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use axum::http::request::Parts;

use super::state::AppState;
use crate::auth::{AuthError, AuthUser};
use crate::problem::{ErrorCode, Problem};

impl From<AuthError> for Problem {
    fn from(e: AuthError) -> Self {
        let (code, challenge) = match &e {
            AuthError::Missing => (ErrorCode::MissingToken, "Bearer realm=\"jeevibe\"".to_owned()),
            AuthError::Expired => {
                (ErrorCode::TokenExpired, "Bearer error=\"invalid_token\", error_description=\"expired\"".to_owned())
            }
            AuthError::Invalid(_) => (ErrorCode::InvalidToken, "Bearer error=\"invalid_token\"".to_owned()),
            AuthError::KeysUnavailable(_) => {
                return Problem::new(ErrorCode::AuthKeysUnavailable, e.to_string()).retry_after(30);
            }
        };
        Problem::new(code, e.to_string()).with_header(WWW_AUTHENTICATE, &challenge)
    }
}

/// Extracts the bearer token from an `Authorization` value (scheme is case-insensitive).
pub fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer)
            .ok_or(AuthError::Missing)?;
        let user = state.verifier.verify(token).await?;
        if let Some(slot) = parts.extensions.get::<super::layers::RequestUser>() {
            let _ = slot.0.set(user.uid.to_string());
        }
        Ok(user)
    }
}
