//! `POST /internal/jobs/pubsub`: the endpoint of the job topic's Pub/Sub push subscription,
//! mounted on every function. Each request must carry the Google-signed OIDC token the
//! subscription attaches (`Authorization: Bearer`, verified by
//! [`GoogleOidcVerifier`]); only then is the body read and its job run through the instance's
//! [`JobDispatcher`](crate::jobs::JobDispatcher) with [`handle_pubsub_push`].
//!
//! Answers (Pub/Sub acknowledges on 102, 200, 201, 202 and 204 and redelivers on anything
//! else, "Push subscriptions"):
//! - 204: the job ran, or failed permanently (an unknown kind included): acknowledged;
//! - 503 `job_failed`: a retryable failure or a panic: redelivered with the subscription's
//!   retry policy;
//! - 400 `malformed_body`: the body is not a push envelope carrying a job;
//! - 401 `missing_token` / `invalid_token` / `token_expired`: the token is missing or refused
//!   (wrong audience, issuer, service account, signature, times); nothing is run;
//! - 503 `auth_keys_unavailable`: Google's keys cannot be fetched;
//! - 503 `push_not_configured`: `PUSH_AUDIENCE` is unset, so no request is ever accepted;
//! - 413 `payload_too_large`: the body is over [`PUSH_BODY_LIMIT`].

use std::sync::Arc;

use anyhow::Context as _;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::response::{IntoResponse, Response};

use super::auth_extractor::bearer;
use super::layers::RequestUser;
use super::state::AppState;
use crate::auth::{AuthError, GoogleOidcVerifier, KeySource, KeyStore};
use crate::clock::Clock;
use crate::config::{AuthKeysConfig, Config};
use crate::jobs::{PUBSUB_MAX_MESSAGE_BYTES, handle_pubsub_push};
use crate::problem::{ErrorCode, Problem};

/// The route path.
pub const PUSH_ROUTE: &str = "/internal/jobs/pubsub";

/// Largest push request body, bytes: the base64 form (4/3, RFC 4648 §4) of the largest Pub/Sub
/// message ([`PUBSUB_MAX_MESSAGE_BYTES`], 10 MB) plus 64 KiB for the push envelope around it.
/// The body is read only after the token verifies.
pub const PUSH_BODY_LIMIT: usize = PUBSUB_MAX_MESSAGE_BYTES / 3 * 4 + 64 * 1024;

/// The push token verifier of `config` (`None` when `PUSH_AUDIENCE` is unset), using `clock`
/// and the Firebase tokens' clock skew. No key is fetched until the first push.
///
/// # Errors
/// When `GOOGLE_OIDC_KEYS_FILE` cannot be read or holds no usable keys.
pub fn push_verifier(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<Option<Arc<GoogleOidcVerifier>>> {
    let Some(audience) = &config.push.audience else { return Ok(None) };
    let source = match &config.push.keys {
        AuthKeysConfig::Url(url) => KeySource::Url(url.clone()),
        AuthKeysConfig::File(path) | AuthKeysConfig::DevDir(path) => {
            let body = std::fs::read(path).with_context(|| format!("GOOGLE_OIDC_KEYS_FILE {}", path.display()))?;
            crate::auth::keys::parse_keys(&body)
                .map_err(|e| anyhow::anyhow!("GOOGLE_OIDC_KEYS_FILE {}: {e}", path.display()))?;
            KeySource::File(path.clone())
        }
    };
    let keys = Arc::new(KeyStore::new(source, crate::startup::KEY_REFRESH_COOLDOWN));
    Ok(Some(Arc::new(GoogleOidcVerifier::new(
        audience,
        config.push.service_account.as_deref(),
        keys,
        config.clock_skew,
        clock,
    ))))
}

/// The handler of [`PUSH_ROUTE`] (see the module docs for its answers).
#[utoipa::path(
    post,
    path = "/internal/jobs/pubsub",
    tag = "internal",
    security(("google_oidc_token" = [])),
    request_body(content = crate::openapi::PushEnvelope, description = "A Pub/Sub push envelope carrying one job."),
    responses(
        (status = 204, description = "The job ran, or failed permanently: acknowledged."),
        (status = 400, description = "`malformed_body` / `malformed_request`: not a push envelope carrying a job.", body = crate::openapi::ProblemSchema, content_type = "application/problem+json"),
        (status = 401, description = "`missing_token`, `invalid_token`, `token_expired`: nothing is run.", body = crate::openapi::ProblemSchema, content_type = "application/problem+json"),
        (status = 503, description = "`job_failed` (redelivered), `auth_keys_unavailable`, `push_not_configured` (`PUSH_AUDIENCE` unset).", body = crate::openapi::ProblemSchema, content_type = "application/problem+json"),
    ),
)]
pub async fn receive_push(State(state): State<AppState>, req: Request) -> Response {
    let Some(verifier) = state.push_auth.as_ref() else {
        return Problem::new(ErrorCode::PushNotConfigured, "the Pub/Sub push route is not configured (PUSH_AUDIENCE)")
            .into_response();
    };
    let token = req.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(bearer);
    let claims = match token {
        None => return Problem::from(AuthError::Missing).into_response(),
        Some(t) => match verifier.verify(t).await {
            Ok(c) => c,
            Err(e) => return Problem::from(e).into_response(),
        },
    };
    if let Some(slot) = req.extensions().get::<RequestUser>() {
        let _ = slot.0.set(claims.email.unwrap_or(claims.sub));
    }
    let body = match Bytes::from_request(req, &()).await {
        Ok(b) => b,
        Err(r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return Problem::new(
                ErrorCode::PayloadTooLarge,
                format!("the request body is larger than {PUSH_BODY_LIMIT} bytes"),
            )
            .with("limit", PUSH_BODY_LIMIT)
            .into_response();
        }
        Err(r) => {
            return Problem::new(ErrorCode::MalformedRequest, format!("could not read the body: {}", r.body_text()))
                .into_response();
        }
    };
    match handle_pubsub_push(&body, state.job_handlers.as_ref()).await {
        StatusCode::BAD_REQUEST => {
            Problem::new(ErrorCode::MalformedBody, "the body is not a Pub/Sub push envelope carrying a job")
                .into_response()
        }
        StatusCode::SERVICE_UNAVAILABLE => {
            Problem::new(ErrorCode::JobFailed, "the job failed with a retryable error; Pub/Sub will deliver it again")
                .into_response()
        }
        status => status.into_response(),
    }
}
